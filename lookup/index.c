/* index.c — the LMDB index: opening (and upgrading) it, links, document
 * ids, certificates, counts. Records are in index_doc.c, trust inputs in
 * index_trust.c, the departments' counts in index_tally.c, the
 * publication log in index_log.c. */
#include "index.h"
#include "index_internal.h"

#include "cms.h"
#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

static size_t map_size(void)
{
    const char *s = getenv("HOCBA_MAP_SIZE");
    if (s != NULL && *s != '\0') {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0' && v >= (1u << 20))
            return (size_t)v;
    }
    return INDEX_DEFAULT_MAP_SIZE;
}

int index_meta_get_u64(index_t *ix, MDB_txn *txn, const char *key, uint64_t *out)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, ix->meta, &k, &v);
    *out = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size != 8)
        return INDEX_ECORRUPT;
    *out = get_u64(v.mv_data);
    return 0;
}

int index_meta_put_u64(index_t *ix, MDB_txn *txn, const char *key, uint64_t value)
{
    uint8_t buf[8];
    put_u64(buf, value);
    MDB_val k = {strlen(key), (void *)key}, v = {8, buf};
    return ix_put(ix, txn, ix->meta, &k, &v, 0);
}

int index_meta_bump(index_t *ix, MDB_txn *txn, const char *key)
{
    uint64_t n;
    int rc = index_meta_get_u64(ix, txn, key, &n);
    return rc ? rc : index_meta_put_u64(ix, txn, key, n + 1);
}

/* ---- upgrades in place ----------------------------------------------------------------- */

/* One step of an upgrade in place, from format `from` to from + 1, inside
 * the write transaction of the index_open that found the older format
 * (package-format.md rev. 2 §6). A step fills what its format adds from what
 * is stored; it never re-checks, changes or removes a stored record, so
 * every code printed on paper keeps answering. Steps may run again: a crash
 * before the commit leaves the old format and nothing else, and the next
 * program to open the index starts over. Later formats add a step here (new
 * counters, per-record tables), and an index several formats old goes
 * through each in turn, all in one transaction.
 * @return INDEX_OK, or an error with *why set. */
typedef int (*upgrade_fn)(index_t *ix, MDB_txn *txn, char *why, size_t whylen);

static int remember_crl_issuer_of(index_t *ix, MDB_txn *txn, const trust_t *t, size_t ncrls, int *found,
                                  const uint8_t *der, size_t len)
{
    trust_issuer_t cand;
    if (trust_issuer_of_cert(der, len, &cand) != 0)
        return 0; /* not for this step to judge: the record it belongs to answers for it */
    for (size_t i = 0; i < ncrls; i++) {
        if (found[i] || !trust_crl_signed_by(t, i, &cand))
            continue;
        int rc = index_remember_issuer(ix, txn, &cand);
        if (rc != INDEX_OK)
            return rc;
        found[i] = 1;
    }
    return 0;
}

/* The certificates of the records stored whole (ncerts 0: a PEM .p7s, or
 * one whose certificate set holds more than certificates), whose
 * certificates are not in the certs table: each is tried as the issuer of
 * the CRLs not yet attributed. A record that does not read is not for this
 * step to judge. */
static int remember_crl_issuers_in_whole_records(index_t *ix, MDB_txn *txn, const trust_t *t, size_t ncrls,
                                                 int *found)
{
    MDB_cursor *cur;
    MDB_val k, v;
    cms_signed_t *sd = malloc(sizeof *sd);
    char cwhy[160];
    int rc = sd == NULL ? ENOMEM : mdb_cursor_open(txn, ix->docs, &cur), r;
    if (rc != 0) {
        free(sd);
        return rc;
    }
    for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0 && rc == INDEX_OK;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        record_t rec;
        if (index_parse_record(v, &rec) != INDEX_OK || rec.ncerts != 0 || rec.suffix != 0 ||
            rec.prefix != rec.clen)
            continue;
        const uint8_t *p7s = rec.pre;
        size_t len = (size_t)rec.prefix;
        uint8_t *der = NULL;
        if (verify_is_pem(p7s, len)) {
            if (verify_pem_to_der(p7s, len, &der, &len) != 0)
                continue;
            p7s = der;
        }
        if (cms_parse(p7s, len, sd, cwhy, sizeof cwhy) == CMS_OK)
            for (size_t i = 0; i < sd->ncerts && rc == INDEX_OK; i++)
                rc = remember_crl_issuer_of(ix, txn, t, ncrls, found, sd->certs[i].der, sd->certs[i].len);
        free(der);
        size_t left = 0;
        for (size_t i = 0; i < ncrls; i++)
            left += !found[i];
        if (left == 0)
            break;
    }
    if (rc == INDEX_OK && r != 0 && r != MDB_NOTFOUND)
        rc = r;
    mdb_cursor_close(cur);
    free(sd);
    return rc;
}

/* Format 4 adds the issuers table: every issuer a stored CRL comes from is
 * remembered. A CRL that verifies against the stored anchors and
 * intermediates names its issuer by the certificate that verifies it. One
 * that no longer does (the anchors were replaced without the intermediates,
 * say: format 3 then left it out without a word, issue 17) is attributed to
 * a certificate of the packages with its issuer's name whose key verifies
 * it, so that its issuer's records answer "cannot check now" from the
 * upgrade on: a certificate of the certs table, or one inside a .p7s stored
 * whole (PEM, or a certificate set with more than certificates in it),
 * which is not in that table. A CRL whose issuer is nowhere cannot be
 * remembered: the upgrade is refused, naming it, rather than forget that
 * its CA publishes revocations (a package carrying that CA's certificate
 * would then be published valid whatever the CRL says), unless the
 * operator said --drop-unverifiable-crls (INDEX_OPEN_FORGET_UNFOUND): then
 * it is left unremembered, and said so (index_upgrade_note), and the trust
 * or crl command on that line may make it verify again. */
static int upgrade_to_4(index_t *ix, MDB_txn *txn, char *why, size_t whylen)
{
    trust_inputs_t in;
    str_t *list = NULL;
    trust_t *t = NULL;
    char twhy[TRUST_WHY_LEN];
    int *found = NULL;
    int rc = index_get_trust(ix, txn, &in, &list);
    if (rc != INDEX_OK) {
        WHY("the trust inputs cannot be read: %s", index_strerror(rc));
        return rc;
    }
    /* the CRLs' issuers need anchors and intermediates, not the registry;
     * without readable anchors no CRL could have been accepted */
    in.registry = str_n(NULL, 0);
    if (in.ncrls == 0 || trust_build(&in, &t, twhy, sizeof twhy) != 0) {
        free(list);
        return INDEX_OK;
    }
    const trust_crl_info_t *ci;
    size_t n = trust_crl_infos(t, &ci), unknown = 0;
    if ((found = calloc(n ? n : 1, sizeof *found)) == NULL)
        rc = ENOMEM;
    for (size_t i = 0; rc == INDEX_OK && i < n; i++) {
        found[i] = ci[i].issuer_known;
        unknown += !found[i];
        if (found[i])
            rc = index_remember_issuer(ix, txn, &ci[i].issuer);
    }
    if (rc == INDEX_OK && unknown > 0) {
        MDB_cursor *cur;
        MDB_val k, v;
        if ((rc = mdb_cursor_open(txn, ix->certs, &cur)) == 0) {
            int r;
            for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0 && rc == INDEX_OK;
                 r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
                rc = remember_crl_issuer_of(ix, txn, t, n, found, v.mv_data, v.mv_size);
            if (rc == INDEX_OK && r != MDB_NOTFOUND)
                rc = r;
            mdb_cursor_close(cur);
        }
    }
    unknown = 0;
    for (size_t i = 0; rc == INDEX_OK && i < n; i++)
        unknown += !found[i];
    if (rc == INDEX_OK && unknown > 0)
        rc = remember_crl_issuers_in_whole_records(ix, txn, t, n, found);
    if (rc != INDEX_OK) {
        WHY("the issuers of the stored CRLs cannot be remembered: %s", index_strerror(rc));
    } else {
        size_t first = n, left = 0;
        for (size_t i = 0; i < n; i++)
            if (!found[i]) {
                first = left++ == 0 ? i : first;
            }
        if (left > 0) {
            char what[320];
            snprintf(what, sizeof what,
                     "CRL %s%s of CA \"%s\" [%s]%s no longer verifies against the stored anchors and "
                     "intermediates, and no certificate of its CA is in them or in any stored package",
                     ci[first].number[0] ? "number " : "(no number)", ci[first].number, ci[first].issuer_cn,
                     ci[first].issuer_hash, left > 1 ? " (and other CRLs)" : "");
            if (ix->forget_unfound) {
                snprintf(ix->note, sizeof ix->note,
                         "%s: its CA is not remembered as publishing revocations (--drop-unverifiable-crls) "
                         "until a CRL of it verifies against the trust store",
                         what);
            } else {
                WHY("%s, so the upgrade cannot remember that this CA publishes revocations "
                    "(package-format.md §6); give the CA's certificate in the intermediates bundle and "
                    "upgrade with that: hocba-publish --db %s trust ANCHORS.pem INTERMEDIATES.pem "
                    "--drop-unverifiable-crls",
                    what, ix->path);
                rc = EINVAL;
            }
        }
    }
    free(found);
    trust_free(t);
    free(list);
    return rc;
}

/* Format 6 writes a record's payload as an LZ4 block (record format 4) and
 * reads the zlib streams of records of format 3 as before: no stored byte
 * changes, only the number, which tells a program of format 5 (that cannot
 * read format 4 records) to leave the index alone. */
static int upgrade_to_6(index_t *ix, MDB_txn *txn, char *why, size_t whylen)
{
    (void)ix, (void)txn, (void)why, (void)whylen;
    return INDEX_OK;
}

static const upgrade_fn UPGRADES[INDEX_FORMAT + 1] = {
    [3] = upgrade_to_4,
    [4] = index_upgrade_to_5,
    [5] = upgrade_to_6,
};

/* Bring an index of format `from` to INDEX_FORMAT, step by step, in txn. */
static int upgrade(index_t *ix, MDB_txn *txn, int from, char *why, size_t whylen)
{
    char sub[768];
    for (int f = from; f < INDEX_FORMAT; f++) {
        int rc = UPGRADES[f] != NULL ? UPGRADES[f](ix, txn, sub, sizeof sub) : EINVAL;
        if (rc != INDEX_OK) {
            WHY("the index cannot be upgraded from format %d to %d, nothing was changed: %s", f, f + 1,
                UPGRADES[f] != NULL ? sub : "no upgrade step");
            return rc;
        }
    }
    return INDEX_OK;
}

/* meta "format": one ASCII digit, 1-9; -1 for anything else. */
static int format_of(MDB_val v)
{
    return v.mv_size == 1 && *(char *)v.mv_data >= '1' && *(char *)v.mv_data <= '9' ? *(char *)v.mv_data - '0'
                                                                                    : -1;
}

int index_stored_format(index_t *ix, MDB_txn *txn)
{
    MDB_val k = {6, "format"}, v;
    return mdb_get(txn, ix->meta, &k, &v) == 0 ? format_of(v) : -1;
}

int index_open(const char *path, int open_flags, index_t **out, char *why, size_t whylen)
{
    int readonly = open_flags & INDEX_OPEN_READONLY;
    index_t *ix = calloc(1, sizeof *ix);
    MDB_txn *txn = NULL;
    int rc;
    *out = NULL;
    if (ix == NULL) {
        WHY("out of memory");
        return -1;
    }
    ix->readonly = readonly;
    ix->forget_unfound = (open_flags & INDEX_OPEN_FORGET_UNFOUND) != 0;
    ix->path = path;
    if (!readonly && mkdir(path, 0750) != 0 && errno != EEXIST) {
        WHY("cannot create the index directory %s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        WHY("%s is not an index directory", path);
        goto fail;
    }
    if (readonly) {
        char data[4096];
        snprintf(data, sizeof data, "%s/data.mdb", path);
        if (stat(data, &st) != 0) {
            WHY("%s holds no index (no data.mdb); publish something first", path);
            goto fail;
        }
    }
    if ((rc = mdb_env_create(&ix->env)) != 0 || (rc = mdb_env_set_maxdbs(ix->env, 16)) != 0 ||
        (rc = mdb_env_set_mapsize(ix->env, map_size())) != 0 ||
        (rc = mdb_env_set_maxreaders(ix->env, 256)) != 0) {
        WHY("cannot set up LMDB: %s", mdb_strerror(rc));
        goto fail;
    }
    /* MDB_NOTLS: readers may keep one read txn per thread and renew it. */
    if ((rc = mdb_env_open(ix->env, path, (readonly ? MDB_RDONLY : 0) | MDB_NOTLS, 0640)) != 0) {
        WHY("cannot open the index %s: %s", path, mdb_strerror(rc));
        goto fail;
    }
    /* A snapshot cut short (a copy that ran out of disk) must be refused
     * here: touching its missing pages would kill the process (SIGBUS). */
    MDB_envinfo info;
    MDB_stat est;
    char datafile[4096];
    snprintf(datafile, sizeof datafile, "%s/data.mdb", path);
    if (mdb_env_info(ix->env, &info) == 0 && mdb_env_stat(ix->env, &est) == 0 && stat(datafile, &st) == 0 &&
        (uint64_t)st.st_size < ((uint64_t)info.me_last_pgno + 1) * est.ms_psize) {
        WHY("%s is truncated: data.mdb has %lld bytes, its pages need %llu", path, (long long)st.st_size,
            (unsigned long long)(((uint64_t)info.me_last_pgno + 1) * est.ms_psize));
        goto fail;
    }
    if (!readonly) {
        /* readers (the portal, another user in the same group) register in
         * the lock file's reader table, so it must be group-writable */
        char lock[4096];
        snprintf(lock, sizeof lock, "%s/lock.mdb", path);
        chmod(lock, 0660);
    }
    int dead = 0;
    mdb_reader_check(ix->env, &dead); /* slots left by crashed processes */
    if ((rc = mdb_txn_begin(ix->env, NULL, readonly ? MDB_RDONLY : 0, &txn)) != 0) {
        WHY("cannot read the index %s: %s", path, mdb_strerror(rc));
        goto fail;
    }
    unsigned flags = readonly ? 0 : MDB_CREATE;
    if ((rc = mdb_dbi_open(txn, "meta", flags, &ix->meta)) != 0) {
        WHY(rc == MDB_NOTFOUND ? "%s is not a hocba index (no %s table)" : "cannot open %s: %s", path,
            rc == MDB_NOTFOUND ? "meta" : mdb_strerror(rc));
        goto fail;
    }
    /* the format first: a table the format adds is missing from an older
     * index until it is upgraded */
    MDB_val k = {6, "format"}, v;
    int format = 0;
    rc = mdb_get(txn, ix->meta, &k, &v);
    if (rc == 0)
        format = format_of(v);
    else if (rc != MDB_NOTFOUND || readonly) {
        WHY("cannot initialise %s: %s", path, mdb_strerror(rc));
        goto fail;
    }
    if (format > 0 && format < INDEX_FORMAT && format >= INDEX_OLDEST_UPGRADABLE && readonly) {
        WHY("%s has index format %d; this program reads format %d: upgrade it in place with "
            "`hocba-publish --db %s status` (docs/index-format.md)",
            path, format, INDEX_FORMAT, path);
        goto fail;
    }
    if (format > INDEX_FORMAT) {
        WHY("%s has index format %d, written by newer programs; this program reads format %d: run the "
            "programs of format %d on it (docs/index-format.md)",
            path, format, INDEX_FORMAT, format);
        goto fail;
    }
    if (format != 0 && format != INDEX_FORMAT &&
        !(format >= INDEX_OLDEST_UPGRADABLE && format < INDEX_FORMAT)) {
        WHY("%s has index format %.*s; this program reads format %d (publish the packages again into a new "
            "index: docs/index-format.md)",
            path, (int)(v.mv_size < 8 ? v.mv_size : 8), (char *)v.mv_data, INDEX_FORMAT);
        goto fail;
    }
    const char *names[] = {"crls", "docs", "links", "docids", "certs", "issuers", "summary", "tally"};
    MDB_dbi *dbis[] = {&ix->crls,  &ix->docs,    &ix->links,   &ix->docids,
                       &ix->certs, &ix->issuers, &ix->summary, &ix->tally};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((rc = mdb_dbi_open(txn, names[i], flags, dbis[i])) != 0) {
            WHY(rc == MDB_NOTFOUND ? "%s is not a hocba index (no %s table)" : "cannot open %s: %s", path,
                rc == MDB_NOTFOUND ? names[i] : mdb_strerror(rc));
            goto fail;
        }
    }
    if (!readonly && format > 0 && format < INDEX_FORMAT) {
        if (upgrade(ix, txn, format, why, whylen) != 0)
            goto fail;
        ix->upgraded_from = format;
    }
    if (!readonly && format != INDEX_FORMAT) {
        char f0 = '0' + INDEX_FORMAT;
        MDB_val f = {1, &f0};
        if ((rc = ix_put(ix, txn, ix->meta, &k, &f, 0)) != 0) {
            WHY("cannot initialise %s: %s", path, mdb_strerror(rc));
            goto fail;
        }
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc != 0) {
        WHY("cannot initialise %s: %s", path, mdb_strerror(rc));
        goto fail;
    }
    *out = ix;
    return 0;
fail:
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (ix->env != NULL)
        mdb_env_close(ix->env);
    free(ix);
    return -1;
}

const char *index_upgrade_note(const index_t *ix)
{
    return ix->note;
}

int index_upgraded_from(const index_t *ix)
{
    return ix->upgraded_from;
}

void index_close(index_t *ix)
{
    if (ix == NULL)
        return;
    index_log_detach(ix);
    mdb_env_close(ix->env);
    free(ix);
}

MDB_env *index_env(index_t *ix)
{
    return ix->env;
}

int index_begin(index_t *ix, int rdonly, MDB_txn **txn)
{
    if (!rdonly)
        index_log_reset(ix); /* what a write transaction aborted without index_abort left */
    return mdb_txn_begin(ix->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
}

int index_get_link(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int type, char out[CODE_LEN])
{
    char key[CODE_LEN + 1];
    memcpy(key, code, CODE_LEN);
    key[CODE_LEN] = (char)type;
    MDB_val k = {sizeof key, key}, v;
    int rc = mdb_get(txn, ix->links, &k, &v);
    if (rc == MDB_NOTFOUND)
        return INDEX_ENOTFOUND;
    if (rc != 0)
        return rc;
    if (v.mv_size != CODE_LEN)
        return INDEX_ECORRUPT;
    memcpy(out, v.mv_data, CODE_LEN);
    return INDEX_OK;
}

int index_put_link(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int type, const char to[CODE_LEN])
{
    char key[CODE_LEN + 1];
    memcpy(key, code, CODE_LEN);
    key[CODE_LEN] = (char)type;
    MDB_val k = {sizeof key, key}, v = {CODE_LEN, (void *)to};
    int rc = ix_put(ix, txn, ix->links, &k, &v, MDB_NOOVERWRITE);
    return rc == 0 && type == INDEX_LINK_RECALLED_BY ? index_count_recall(ix, txn, code) : rc;
}

static int docid_key(str_t school, str_t id, char *buf, size_t n, MDB_val *k)
{
    if (school.len + 1 + id.len > n)
        return INDEX_ECORRUPT;
    memcpy(buf, school.ptr, school.len);
    buf[school.len] = '/';
    memcpy(buf + school.len + 1, id.ptr, id.len);
    k->mv_size = school.len + 1 + id.len;
    k->mv_data = buf;
    return 0;
}

int index_get_docid(index_t *ix, MDB_txn *txn, str_t school, str_t document_id, char out[CODE_LEN])
{
    char buf[256];
    MDB_val k, v;
    int rc = docid_key(school, document_id, buf, sizeof buf, &k);
    if (rc != 0)
        return rc;
    rc = mdb_get(txn, ix->docids, &k, &v);
    if (rc == MDB_NOTFOUND)
        return INDEX_ENOTFOUND;
    if (rc != 0)
        return rc;
    if (v.mv_size != CODE_LEN)
        return INDEX_ECORRUPT;
    memcpy(out, v.mv_data, CODE_LEN);
    return INDEX_OK;
}

int index_put_docid(index_t *ix, MDB_txn *txn, str_t school, str_t document_id, const char code[CODE_LEN],
                    int replace)
{
    char buf[256];
    MDB_val k, v = {CODE_LEN, (void *)code};
    int rc = docid_key(school, document_id, buf, sizeof buf, &k);
    return rc ? rc : ix_put(ix, txn, ix->docids, &k, &v, replace ? 0 : MDB_NOOVERWRITE);
}

int index_each_docid(index_t *ix, MDB_txn *txn, str_t school, int (*fn)(void *arg, const char code[CODE_LEN]),
                     void *arg)
{
    char prefix[64];
    MDB_cursor *cur;
    MDB_val k, v;
    if (school.len + 1 > sizeof prefix)
        return INDEX_OK; /* no school code is that long: it has none */
    memcpy(prefix, school.ptr, school.len);
    prefix[school.len] = '/';
    k.mv_size = school.len + 1;
    k.mv_data = prefix;
    int rc = mdb_cursor_open(txn, ix->docids, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < school.len + 1 || memcmp(k.mv_data, prefix, school.len + 1) != 0)
            break;
        if (v.mv_size != CODE_LEN) {
            rc = INDEX_ECORRUPT;
            break;
        }
        if ((rc = fn(arg, v.mv_data)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? INDEX_OK : rc;
}

int index_each_code(index_t *ix, MDB_txn *txn, int (*fn)(void *arg, const char code[CODE_LEN]), void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, ix->docs, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != CODE_LEN) {
            rc = INDEX_ECORRUPT;
            break;
        }
        if ((rc = fn(arg, k.mv_data)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? INDEX_OK : rc;
}

int index_get_cert(index_t *ix, MDB_txn *txn, const unsigned char sha256[32], str_t *der)
{
    MDB_val k = {32, (void *)sha256}, v;
    int rc = mdb_get(txn, ix->certs, &k, &v);
    if (rc == MDB_NOTFOUND)
        return INDEX_ENOTFOUND;
    if (rc != 0)
        return rc;
    *der = str_n(v.mv_data, v.mv_size);
    return INDEX_OK;
}

int index_set_last_published(index_t *ix, MDB_txn *txn, int64_t when)
{
    return index_meta_put_u64(ix, txn, "last_published", (uint64_t)when);
}

int index_counts(index_t *ix, MDB_txn *txn, index_counts_t *out)
{
    MDB_stat st;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = index_meta_get_u64(ix, txn, "transcripts", &out->transcripts)) != 0 ||
        (rc = index_meta_get_u64(ix, txn, "recalls", &out->recalls)) != 0 ||
        (rc = index_meta_get_u64(ix, txn, "trust_version", &out->trust_version)) != 0 ||
        (rc = index_meta_get_u64(ix, txn, "last_published", &out->last_published)) != 0 ||
        (rc = mdb_stat(txn, ix->crls, &st)) != 0)
        return rc;
    out->crls = st.ms_entries;
    return 0;
}

const char *index_strerror(int rc)
{
    switch (rc) {
    case INDEX_OK:
        return "ok";
    case INDEX_ENOTFOUND:
        return "not found";
    case INDEX_ECORRUPT:
        return "a stored value is damaged";
    case INDEX_ELOG:
        return "the publication log cannot be written";
    case MDB_MAP_FULL:
        return "the index map is full (raise HOCBA_MAP_SIZE)";
    case ENOSPC:
        return "the disk is full";
    default:
        return mdb_strerror(rc);
    }
}

const char *index_write_error(index_t *ix, int rc)
{
    const char *path = NULL;
    if (rc == INDEX_ELOG)
        return index_log_error(ix);
    struct statvfs vfs;
    if ((rc == EIO || rc == ENOSPC) && mdb_env_get_path(ix->env, &path) == 0 && path != NULL &&
        statvfs(path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < ((uint64_t)16 << 20))
        return "the disk holding the index is full (less than 16 MiB free); free space and publish again";
    return index_strerror(rc);
}
