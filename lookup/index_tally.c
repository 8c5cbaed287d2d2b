/* index_tally.c — what each transcript is (table `summary`) and the counts
 * the departments' reports ask for (table `tally`), index format 5.
 *
 * Both are written by the transaction that publishes, so that the figures
 * are read without a scan, and both are a function of the records and their
 * links alone: an upgrade rebuilds them from what is stored, and a replica
 * that publishes the same packages holds the same bytes.
 *
 * summary value: 0 format (1), 1 schema, 2 level, 3 grade, 4-5 school year's
 * first year (u16 LE), 6 flags (bit 0: a replacement), 7 length of the
 * school code, the school code, then the province (the rest of the value).
 *
 * tally keys (docs/index-format.md), years big-endian so that they sort:
 *   'P' year(2) level(1) province                      (the public figures)
 *   'S' year(2) level(1) province NUL school NUL grade(1)
 * (a school's grades are neighbours, so that by school adds up adjacent
 * cells; NUL, which no payload or registry string holds, keeps names in
 * their alphabetical order)
 * values: published, recalled, replaced, u64 LE each (24 bytes). */
#include "index_internal.h"

#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_FORMAT 1
#define SUMMARY_FIXED 8
#define TALLY_VALUE_LEN 24
#define TALLY_KEY_MAX (4 + 3 + INDEX_PROVINCE_MAX + INDEX_SCHOOL_MAX)

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

int index_summarize(const payload_t *pl, const char *province, index_summary_t *out)
{
    size_t plen = province != NULL ? strlen(province) : pl->province_len;
    memset(out, 0, sizeof *out);
    if (province == NULL)
        province = pl->province;
    if (plen > INDEX_PROVINCE_MAX || pl->school_code == NULL || strlen(pl->school_code) > INDEX_SCHOOL_MAX)
        return -1;
    out->schema = pl->schema;
    out->level = pl->program == PAYLOAD_PROGRAM_GDTX  ? INDEX_LEVEL_GDTX
                 : pl->level == PAYLOAD_LEVEL_THCS    ? INDEX_LEVEL_THCS
                 : pl->level == PAYLOAD_LEVEL_THPT    ? INDEX_LEVEL_THPT
                 : pl->level == PAYLOAD_LEVEL_TIEUHOC ? INDEX_LEVEL_TH
                                                      : 0;
    out->grade = pl->grade;
    out->year = pl->year_start;
    out->replacement = pl->has_supersedes;
    memcpy(out->school, pl->school_code, strlen(pl->school_code));
    if (province != NULL)
        memcpy(out->province, province, plen);
    return 0;
}

/* ---- the summary table ---------------------------------------------------------------------------- */

static size_t summary_encode(const index_summary_t *s, uint8_t *buf)
{
    size_t sl = strnlen(s->school, INDEX_SCHOOL_MAX), pl = strnlen(s->province, INDEX_PROVINCE_MAX);
    buf[0] = SUMMARY_FORMAT;
    buf[1] = (uint8_t)s->schema;
    buf[2] = (uint8_t)s->level;
    buf[3] = (uint8_t)s->grade;
    buf[4] = (uint8_t)(s->year & 0xff);
    buf[5] = (uint8_t)((s->year >> 8) & 0xff);
    buf[6] = s->replacement ? 1 : 0;
    buf[7] = (uint8_t)sl;
    memcpy(buf + SUMMARY_FIXED, s->school, sl);
    memcpy(buf + SUMMARY_FIXED + sl, s->province, pl);
    return SUMMARY_FIXED + sl + pl;
}

static int summary_decode(const uint8_t *v, size_t n, index_summary_t *s)
{
    memset(s, 0, sizeof *s);
    if (n < SUMMARY_FIXED || v[0] != SUMMARY_FORMAT || v[7] > INDEX_SCHOOL_MAX ||
        SUMMARY_FIXED + (size_t)v[7] > n || n - SUMMARY_FIXED - v[7] > INDEX_PROVINCE_MAX || v[6] > 1)
        return INDEX_ECORRUPT;
    s->schema = v[1];
    s->level = v[2];
    s->grade = v[3];
    s->year = v[4] | v[5] << 8;
    s->replacement = v[6];
    memcpy(s->school, v + SUMMARY_FIXED, v[7]);
    memcpy(s->province, v + SUMMARY_FIXED + v[7], n - SUMMARY_FIXED - v[7]);
    return INDEX_OK;
}

int index_get_summary(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_summary_t *out)
{
    MDB_val k = {CODE_LEN, (void *)code}, v;
    int rc = mdb_get(txn, ix->summary, &k, &v);
    if (rc == MDB_NOTFOUND) {
        memset(out, 0, sizeof *out);
        return INDEX_ENOTFOUND;
    }
    return rc != 0 ? rc : summary_decode(v.mv_data, v.mv_size, out);
}

/* ---- the tally table ------------------------------------------------------------------------------ */

static size_t tally_key(int by, const index_summary_t *s, uint8_t *k)
{
    size_t pl = strnlen(s->province, INDEX_PROVINCE_MAX), n = 0;
    k[n++] = (uint8_t)by;
    k[n++] = (uint8_t)((s->year >> 8) & 0xff);
    k[n++] = (uint8_t)(s->year & 0xff);
    k[n++] = (uint8_t)s->level;
    if (by == INDEX_TALLY_SCHOOLS) {
        size_t sl = strnlen(s->school, INDEX_SCHOOL_MAX);
        memcpy(k + n, s->province, pl);
        n += pl;
        k[n++] = 0;
        memcpy(k + n, s->school, sl);
        n += sl;
        k[n++] = 0;
        k[n++] = (uint8_t)s->grade;
        return n;
    }
    memcpy(k + n, s->province, pl);
    return n + pl;
}

/* Add to one cell of the counts. */
static int tally_add(index_t *ix, MDB_txn *txn, int by, const index_summary_t *s, const uint64_t add[3])
{
    uint8_t key[TALLY_KEY_MAX], val[TALLY_VALUE_LEN];
    MDB_val k = {tally_key(by, s, key), key}, v;
    int rc = mdb_get(txn, ix->tally, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0 && v.mv_size != TALLY_VALUE_LEN)
        return INDEX_ECORRUPT;
    for (int i = 0; i < 3; i++)
        put_u64(val + 8 * i, (rc == 0 ? get_u64((const uint8_t *)v.mv_data + 8 * i) : 0) + add[i]);
    v.mv_size = sizeof val;
    v.mv_data = val;
    return ix_put(ix, txn, ix->tally, &k, &v, 0);
}

static int tally_both(index_t *ix, MDB_txn *txn, const index_summary_t *s, const uint64_t add[3])
{
    int rc = tally_add(ix, txn, INDEX_TALLY_SCHOOLS, s, add);
    return rc ? rc : tally_add(ix, txn, INDEX_TALLY_PROVINCES, s, add);
}

int index_count_transcript(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], const index_summary_t *s)
{
    uint8_t buf[SUMMARY_FIXED + INDEX_SCHOOL_MAX + INDEX_PROVINCE_MAX];
    MDB_val k = {CODE_LEN, (void *)code}, v = {summary_encode(s, buf), buf};
    int rc = ix_put(ix, txn, ix->summary, &k, &v, MDB_NOOVERWRITE);
    const uint64_t add[3] = {1, 0, s->replacement ? 1 : 0};
    return rc ? rc : tally_both(ix, txn, s, add);
}

int index_count_recall(index_t *ix, MDB_txn *txn, const char target[CODE_LEN])
{
    index_summary_t s;
    int rc = index_get_summary(ix, txn, target, &s);
    const uint64_t add[3] = {0, 1, 0};
    if (rc == INDEX_ENOTFOUND)
        return 0;
    return rc ? rc : tally_both(ix, txn, &s, add);
}

/* Read one cell's key and value. */
static int tally_decode(int by, const MDB_val *k, const MDB_val *v, index_tally_t *t)
{
    const uint8_t *p = k->mv_data;
    size_t n = k->mv_size;
    memset(t, 0, sizeof *t);
    if (n < 4 || v->mv_size != TALLY_VALUE_LEN)
        return INDEX_ECORRUPT;
    t->year = p[1] << 8 | p[2];
    t->level = p[3];
    if (by == INDEX_TALLY_SCHOOLS) {
        /* 4: province NUL school NUL grade */
        const uint8_t *z1 = n >= 7 ? memchr(p + 4, 0, n - 4) : NULL;
        const uint8_t *z2 = z1 != NULL ? memchr(z1 + 1, 0, (size_t)(p + n - z1 - 1)) : NULL;
        if (z2 == NULL || z2 + 2 != p + n)
            return INDEX_ECORRUPT;
        t->province = str_n((const char *)p + 4, (size_t)(z1 - p - 4));
        t->school = str_n((const char *)z1 + 1, (size_t)(z2 - z1 - 1));
        t->grade = p[n - 1];
    } else {
        t->province = str_n((const char *)p + 4, n - 4);
        t->school = str_n("", 0);
    }
    t->published = get_u64(v->mv_data);
    t->recalled = get_u64((const uint8_t *)v->mv_data + 8);
    t->replaced = get_u64((const uint8_t *)v->mv_data + 16);
    return INDEX_OK;
}

int index_each_tally(index_t *ix, MDB_txn *txn, int by, int year,
                     int (*fn)(void *arg, const index_tally_t *t), void *arg)
{
    uint8_t prefix[3] = {(uint8_t)by, (uint8_t)((year >> 8) & 0xff), (uint8_t)(year & 0xff)};
    size_t plen = year ? 3 : 1;
    MDB_val k = {plen, prefix}, v;
    MDB_cursor *cur;
    index_tally_t t;
    int rc = mdb_cursor_open(txn, ix->tally, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        if ((rc = tally_decode(by, &k, &v, &t)) != 0 || (rc = fn(arg, &t)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? INDEX_OK : rc;
}

/* ---- upgrade from format 4 ------------------------------------------------------------------------ */

/* The province a transcript counts under: the registry's spelling, as the
 * publisher takes it, when the registry lists its school under that
 * province (however spelt); otherwise the payload's. */
static const char *province_of(const trust_t *t, const payload_t *pl)
{
    verify_school_name_t sn;
    if (t != NULL && pl->kind == PAYLOAD_TRANSCRIPT)
        (void)verify_school_name(t, pl, &sn);
    else
        sn.province_ok = 0;
    return sn.province_ok ? sn.reg_province : NULL;
}

/* The summary of a stored transcript, from its payload; unknown (all zero)
 * when the payload no longer parses under today's rules, so that it still
 * counts as published. */
static int summarize_stored(index_t *ix, MDB_txn *txn, const trust_t *t, const char code[CODE_LEN],
                            index_summary_t *s)
{
    index_doc_t d;
    payload_t pl;
    char pwhy[PAYLOAD_WHY_LEN];
    memset(s, 0, sizeof *s);
    int rc = index_get_doc(ix, txn, code, 0, &d);
    if (rc == INDEX_OK && payload_parse(d.payload.ptr, d.payload.len, &pl, pwhy, sizeof pwhy) == PAYLOAD_OK) {
        if (index_summarize(&pl, province_of(t, &pl), s) != 0)
            memset(s, 0, sizeof *s);
        payload_free(&pl);
    }
    index_doc_free(&d);
    return rc;
}

/* Pass `kind` of the upgrade: every transcript's summary and count, or
 * every recall notice's count. */
static int upgrade_pass(index_t *ix, MDB_txn *txn, const trust_t *t, int kind, size_t *n, char *why,
                        size_t whylen)
{
    MDB_cursor *cur;
    MDB_val k, v;
    char code[CODE_LEN], target[CODE_LEN];
    index_summary_t s;
    int rc = mdb_cursor_open(txn, ix->docs, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != CODE_LEN || v.mv_size < 2 || ((const uint8_t *)v.mv_data)[1] != kind)
            continue; /* a damaged record counts nowhere; the portal reports it */
        memcpy(code, k.mv_data, CODE_LEN);
        if (kind == INDEX_KIND_TRANSCRIPT) {
            if ((rc = summarize_stored(ix, txn, t, code, &s)) == INDEX_ECORRUPT)
                memset(&s, 0, sizeof s);
            else if (rc != INDEX_OK)
                break;
            rc = index_count_transcript(ix, txn, code, &s);
        } else if ((rc = index_get_link(ix, txn, code, INDEX_LINK_RECALL_OF, target)) == INDEX_OK) {
            rc = index_count_recall(ix, txn, target);
        } else if (rc == INDEX_ENOTFOUND) {
            rc = INDEX_OK;
        }
        if (rc != INDEX_OK)
            break;
        (*n)++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        WHY("counting the stored %s: %s", kind == INDEX_KIND_TRANSCRIPT ? "transcripts" : "recalls",
            index_strerror(rc));
    return rc == MDB_NOTFOUND ? INDEX_OK : rc;
}

/* The stored trust inputs' registry, to spell provinces as the publisher
 * does; NULL when they build no store (no anchors yet, nothing published). */
static trust_t *stored_trust(index_t *ix, MDB_txn *txn)
{
    trust_inputs_t in;
    str_t *list = NULL;
    trust_t *t = NULL;
    char twhy[TRUST_WHY_LEN];
    if (index_get_trust(ix, txn, &in, &list) == INDEX_OK && trust_build(&in, &t, twhy, sizeof twhy) != 0)
        t = NULL;
    free(list);
    return t;
}

int index_upgrade_to_5(index_t *ix, MDB_txn *txn, char *why, size_t whylen)
{
    size_t transcripts = 0, recalls = 0;
    int rc = ix_empty(ix, txn, ix->summary);
    if (rc == 0)
        rc = ix_empty(ix, txn, ix->tally);
    if (rc != 0) {
        WHY("cannot empty the counts: %s", mdb_strerror(rc));
        return rc;
    }
    trust_t *t = stored_trust(ix, txn);
    if ((rc = upgrade_pass(ix, txn, t, INDEX_KIND_TRANSCRIPT, &transcripts, why, whylen)) == INDEX_OK)
        rc = upgrade_pass(ix, txn, t, INDEX_KIND_RECALL, &recalls, why, whylen);
    trust_free(t);
    return rc;
}
