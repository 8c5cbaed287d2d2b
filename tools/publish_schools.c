/* publish_schools.c — `schools`: a new school registry, and the published
 * records it would newly invalidate, re-checked under the old registry and
 * the new one before anything is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/index.h"
#include "lookup/payload.h"
#include "lookup/trust.h"
#include "lookup/verify.h"
#include "tools/publish.h"

/* What `schools` found newly failing: a check, for a certificate in a role
 * at a school, in so many records. */
typedef struct {
    char school[24];
    char role[40];
    int check;
    unsigned char cert[32];
    size_t records;
} finding_t;

typedef struct {
    index_t *ix;
    MDB_txn *txn;
    trust_t *old, *new;
    verdict_t *va, *vb;
    char (*codes)[CODE_LEN]; /* a school's transcripts, while it is looked at */
    size_t ncodes, cap;
    finding_t *found;
    size_t nfound, found_cap;
    size_t schools, records, invalidated; /* schools changed, records re-checked, records newly failing */
    int all; /* a certificate became a seal: every published record was re-checked */
    int dbrc;
} recheck_t;

static int add_code(void *arg, const char code[CODE_LEN])
{
    recheck_t *rc = arg;
    if (rc->ncodes == rc->cap) {
        size_t cap = rc->cap ? rc->cap * 2 : 256;
        char(*grown)[CODE_LEN] = realloc(rc->codes, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        rc->codes = grown;
        rc->cap = cap;
    }
    memcpy(rc->codes[rc->ncodes++], code, CODE_LEN);
    return 0;
}

static int code_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CODE_LEN);
}

/* Every published transcript of a school into rc->codes, sorted, each once:
 * those its document_ids name and, down each supersedes link, the
 * transcripts replaced under the same document_id. */
static int school_codes(recheck_t *rc, const char *school)
{
    rc->ncodes = 0;
    int r = index_each_docid(rc->ix, rc->txn, str_c(school), add_code, rc);
    for (size_t i = 0; r == INDEX_OK && i < rc->ncodes; i++) {
        char old[CODE_LEN];
        int l = index_get_link(rc->ix, rc->txn, rc->codes[i], INDEX_LINK_SUPERSEDES, old);
        if (l == INDEX_OK)
            r = add_code(rc, old); /* looked at in turn: its own link is followed too */
        else if (l != INDEX_ENOTFOUND)
            r = l;
    }
    if (r != INDEX_OK)
        return r;
    if (rc->ncodes == 0)
        return INDEX_OK;
    qsort(rc->codes, rc->ncodes, CODE_LEN, code_cmp);
    size_t n = 0;
    for (size_t i = 0; i < rc->ncodes; i++)
        if (n == 0 || memcmp(rc->codes[n - 1], rc->codes[i], CODE_LEN) != 0)
            memmove(rc->codes[n++], rc->codes[i], CODE_LEN);
    rc->ncodes = n;
    return INDEX_OK;
}

static int is_registry_check(int check)
{
    return check == VERIFY_ROLES || check == VERIFY_SEAL_REGISTRY || check == VERIFY_STAFF_REGISTRY;
}

static int fails(const verdict_t *v, int check, int signer)
{
    for (size_t i = 0; i < v->nitems; i++)
        if (!v->items[i].ok && v->items[i].check == check && v->items[i].signer == signer)
            return 1;
    return 0;
}

static int note_finding(recheck_t *rc, const char *school, const verdict_t *v, const verify_item_t *it)
{
    finding_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.school, sizeof f.school, "%s", school);
    snprintf(f.role, sizeof f.role, "%s", it->signer >= 0 ? v->signers[it->signer].role : "-");
    f.check = it->check;
    if (it->signer >= 0)
        memcpy(f.cert, v->signers[it->signer].cert_sha256, 32);
    for (size_t i = 0; i < rc->nfound; i++) {
        finding_t *g = &rc->found[i];
        if (g->check == f.check && strcmp(g->school, f.school) == 0 && strcmp(g->role, f.role) == 0 &&
            memcmp(g->cert, f.cert, 32) == 0) {
            g->records++;
            return 0;
        }
    }
    if (rc->nfound == rc->found_cap) {
        size_t cap = rc->found_cap ? rc->found_cap * 2 : 16;
        finding_t *grown = realloc(rc->found, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        rc->found = grown;
        rc->found_cap = cap;
    }
    f.records = 1;
    rc->found[rc->nfound++] = f;
    return 0;
}

/* One published record under both registries: what checks 6-8 fail under
 * the new one that they did not under the old one. Only the registry's
 * checks are computed (verify_shared_t.registry_only). */
static int recheck_record(recheck_t *rc, const char *school, const char code[CODE_LEN])
{ /* school NULL: the record's own school.code */
    index_doc_t doc;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    memset(&pl, 0, sizeof pl);
    int r = index_get_doc(rc->ix, rc->txn, code, INDEX_WITH_CMS, &doc);
    if (r != INDEX_OK || doc.kind != INDEX_KIND_TRANSCRIPT ||
        payload_parse(doc.payload.ptr, doc.payload.len, &pl, why, sizeof why) != PAYLOAD_OK) {
        /* damaged or not a transcript: the portal answers "cannot check now" for it whatever the registry */
        index_doc_free(&doc);
        payload_free(&pl);
        return r == INDEX_OK || r == INDEX_ECORRUPT ? 0 : r;
    }
    if (school == NULL)
        school = pl.school_code != NULL ? pl.school_code : "-";
    verify_shared_t sa = {.cert_hints = doc.cert_sha256, .ncert_hints = doc.ncerts, .registry_only = 1};
    verify_shared_t sb = sa;
    int bad =
        verify_package_shared(rc->old, &pl, (const uint8_t *)doc.payload.ptr, doc.payload.len,
                              (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at, NULL, &sa,
                              rc->va) ||
        verify_package_shared(rc->new, &pl, (const uint8_t *)doc.payload.ptr, doc.payload.len,
                              (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at, NULL, &sb, rc->vb);
    r = bad ? ENOMEM : 0;
    int newly = 0;
    for (size_t i = 0; r == 0 && i < rc->vb->nitems; i++) {
        const verify_item_t *it = &rc->vb->items[i];
        if (it->ok || !is_registry_check(it->check) || fails(rc->va, it->check, it->signer))
            continue;
        newly = 1;
        r = note_finding(rc, school, rc->vb, it);
    }
    rc->records++;
    rc->invalidated += newly;
    payload_free(&pl);
    index_doc_free(&doc);
    return r;
}

/* 1 when the new registry lists as a seal a certificate that no school's
 * seal_certificates held in the old one. Check 6 reads the seals of every
 * school (trust_seal_school: a certificate registered as a seal of any
 * school signs only as school_seal), so such a certificate newly fails
 * wherever it signed in another role, in any school. */
static int seals_gained(const trust_t *old, const trust_t *new)
{
    const char *code;
    for (size_t i = 0; (code = trust_school_code(new, i)) != NULL; i++) {
        const unsigned char(*list)[32];
        size_t n = trust_school_certs(new, code, TRUST_SCHOOL_SEAL, &list);
        for (size_t k = 0; k < n; k++)
            if (trust_seal_school(old, list[k]) == NULL)
                return 1;
    }
    return 0;
}

/* Checks 6-8 of the published transcripts of every school whose registry
 * entry differs between old and new (package-format.md §6); and, when a
 * certificate became a seal (seals_gained), of every published transcript,
 * whatever its school: there is no index of records by certificate, and a
 * walk of all of them costs 0.35 s for the 5,047 transcripts of the demo
 * (--students 5000; one school's 264: 0.03 s), once per such change. A seal that is
 * removed or moves needs no more than the schools concerned: check 6 then
 * fails nothing new elsewhere, and checks 7 and 8 read the record's own
 * school only. */
static int recheck_schools(recheck_t *rc)
{
    const trust_t *both[2] = {rc->old, rc->new};
    rc->all = seals_gained(rc->old, rc->new);
    for (int w = 0; w < 2; w++) {
        const char *code;
        for (size_t i = 0; (code = trust_school_code(both[w], i)) != NULL; i++) {
            /* a school in both is looked at once, from the old registry */
            const char *name, *province;
            if (trust_school_same(rc->old, rc->new, code) ||
                (w == 1 && trust_school_name(rc->old, code, NULL, &name, &province, NULL) == 0))
                continue;
            rc->schools++;
            if (rc->all)
                continue; /* counted; every record is looked at below */
            int r = school_codes(rc, code);
            for (size_t k = 0; r == 0 && k < rc->ncodes; k++)
                r = recheck_record(rc, code, rc->codes[k]);
            if (r != 0)
                return r;
        }
    }
    if (!rc->all)
        return 0;
    rc->ncodes = 0;
    int r = index_each_code(rc->ix, rc->txn, add_code, rc);
    for (size_t k = 0; r == 0 && k < rc->ncodes; k++)
        r = recheck_record(rc, NULL, rc->codes[k]);
    return r;
}

static void print_findings(const recheck_t *rc, FILE *out)
{
    for (size_t i = 0; i < rc->nfound; i++) {
        const finding_t *f = &rc->found[i];
        char hex[17];
        str_hex(f->cert, 8, hex);
        fprintf(out, "  school %s, %s certificate %s...: %s fails for %zu record%s\n", f->school, f->role,
                hex, verify_check_name(f->check), f->records, f->records == 1 ? "" : "s");
    }
}

int cmd_schools(index_t *ix, int argc, char **argv, int accept)
{
    char why[TRUST_WHY_LEN];
    uint8_t *j = NULL;
    size_t len;
    int n, rc = EXIT_NOTHING;
    MDB_txn *txn = NULL;
    str_t *crls = NULL;
    trust_inputs_t in;
    index_counts_t counts;
    recheck_t re;

    memset(&re, 0, sizeof re);
    if (argc != 1)
        publish_die_usage();
    if (publish_read_file(argv[0], 64 << 20, &j, &len, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: schools: %s\n", why);
        goto done;
    }
    if ((n = trust_check_registry(str_n(j, len), why, sizeof why)) < 0) {
        fprintf(stderr, "hocba-publish: schools: %s: %s; nothing was changed\n", argv[0], why);
        goto done;
    }
    /* One write transaction: no batch can publish, under the old registry,
     * a record this re-check would not see. */
    int r = index_begin(ix, 0, &txn);
    if (r == 0)
        r = index_counts(ix, txn, &counts);
    if (r == 0)
        r = index_get_trust(ix, txn, &in, &crls);
    if (r != 0) {
        fprintf(stderr, "hocba-publish: schools: nothing was changed: cannot read the index: %s\n",
                index_strerror(r));
        goto done;
    }
    double t0 = publish_now_seconds();
    if (counts.transcripts > 0) {
        trust_inputs_t next = in;
        next.registry = str_n(j, len);
        re.ix = ix;
        re.txn = txn;
        re.va = malloc(sizeof *re.va);
        re.vb = malloc(sizeof *re.vb);
        if (re.va == NULL || re.vb == NULL) {
            fprintf(stderr, "hocba-publish: schools: nothing was changed: out of memory\n");
            goto done;
        }
        if (trust_build(&in, &re.old, why, sizeof why) != 0 ||
            trust_build(&next, &re.new, why, sizeof why) != 0) {
            /* without the stores in use, what the records answer now is unknown */
            fprintf(
                stderr,
                "hocba-publish: schools: %s: the published records cannot be re-checked against the trust "
                "inputs in use (%s)%s\n",
                argv[0], why,
                accept ? "; loading it all the same (--accept-invalidation)" : "; nothing was changed");
            if (!accept)
                goto done;
        } else if ((r = recheck_schools(&re)) != 0) {
            fprintf(stderr,
                    "hocba-publish: schools: nothing was changed: re-checking the published records: %s\n",
                    r == ENOMEM ? "out of memory" : index_strerror(r));
            goto done;
        }
    }
    double secs = publish_now_seconds() - t0;
    if (re.invalidated > 0) {
        fprintf(
            stderr,
            "hocba-publish: schools: %s: under this registry %zu published record%s of %s would no longer "
            "verify:\n",
            argv[0], re.invalidated, re.invalidated == 1 ? "" : "s",
            re.all ? "any school (a certificate newly registered as a seal signs only as school_seal, "
                     "in every school)"
            : re.schools == 1 ? "the school whose entry changed"
                              : "the schools whose entry changed");
        print_findings(&re, stderr);
        if (!accept) {
            fprintf(
                stderr,
                "hocba-publish: schools: refused, nothing was changed. A registry lists every certificate "
                "a school has used, past ones included (package-format.md §6); give "
                "--accept-invalidation to load it all the same, and those records answer invalid\n");
            goto done;
        }
        fprintf(stderr,
                "hocba-publish: schools: loading it all the same (--accept-invalidation): those records now "
                "answer invalid\n");
    }
    r = index_set_trust_value(ix, txn, "registry", str_n(j, len));
    rc = publish_commit_or_say(ix, txn, r, "schools");
    txn = NULL;
    if (rc == 0)
        printf("schools: %d registered; re-checked %zu published record%s of %s%zu changed school%s in %.2f "
               "s, %zu "
               "no longer verify\n",
               n, re.records, re.records == 1 ? "" : "s",
               re.all ? "every school (a certificate newly registered as a seal) for " : "", re.schools,
               re.schools == 1 ? "" : "s", secs, re.invalidated);
done:
    if (txn != NULL)
        mdb_txn_abort(txn);
    free(crls);
    trust_free(re.old);
    trust_free(re.new);
    free(re.va);
    free(re.vb);
    free(re.codes);
    free(re.found);
    free(j);
    return rc;
}
