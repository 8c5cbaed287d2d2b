/* publish_certs.c — `hocba-publish certs`: every certificate the school
 * registry names and every signer certificate of the stored records, per
 * school and role, with its subject, issuer, serial, validity, revocation
 * state and how many records it signed (cli.md, issue 19). A department
 * answers the readiness survey with it ("valid until at least the end of
 * September 2026?": `--expiring-before 2026-09-30` lists what to renew).
 *
 * The registry gives each school's seal, principal and teacher
 * certificates by SHA-256; the records give who signed what, in which role,
 * for which school. Neither is indexed by certificate, so the records are
 * read once, all of them (index_each_code): an occasional report, not a
 * hot path (docs/operations.md has the figure). A certificate's DER comes
 * from the certs table, or, for a record whose .p7s is PEM (kept whole),
 * from the .p7s itself. Subjects are shown as pages show signers: CN, O and
 * L only (package-format.md §5; UID carries citizen ids).
 *
 * Opened read-only: it runs beside the portal and a publisher. */
#include <errno.h>
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup/cms.h"
#include "lookup/jarena.h"
#include "lookup/payload.h"
#include "lookup/str.h"
#include "lookup/utf8.h"
#include "lookup/verify.h"
#include "tools/publish.h"

enum { REG_NONE = 0, REG_YES, REG_NO };      /* the registry binds no list there / lists it / lists others */
enum { REV_NO = 0, REV_YES, REV_UNCHECKED }; /* REV_UNCHECKED: its CA publishes CRLs, none verifies now */
enum { FMT_TABLE, FMT_CSV, FMT_JSON };

/* One row: a certificate in a role at a school. */
typedef struct {
    char school[24]; /* payload.c: 20 characters at most */
    char role[208];  /* payload.c: a short string, 200 bytes at most */
    unsigned char sha256[32];
    int registered; /* REG_* */
    size_t records;
    size_t last_doc;    /* the number of the record that last counted here (1 for the first) */
    trust_cert_t *cert; /* the trust store's; NULL: never seen in a package */
    int revocation;     /* REV_*, with cert */
} row_t;

/* A certificate the report looked up: the trust store's entry (NULL: the
 * index does not store it), and a record that carries it, whose other
 * certificates complete its chain as they do when the portal judges it. */
typedef struct {
    trust_cert_t *cert;
    int has_record;
    char record[CODE_LEN];
} seen_t;

typedef struct {
    index_t *ix;
    MDB_txn *txn;
    trust_t *trust;
    row_t *rows;
    size_t nrows, cap;
    keytab_t *by_row;  /* school + 0 + role + 0 + sha256 -> rows[i] */
    keytab_t *by_cert; /* sha256 -> seen[i] */
    seen_t *seen;
    size_t nseen, seen_cap;
    size_t docs, unreadable; /* records read, records whose payload could not be read */
    jarena_t *arena;         /* each record's jansson tree (jarena.h); NULL: malloc's */
} report_t;

/* What the registry calls each of its lists, as the role a record declares. */
static const struct {
    int list;
    const char *role;
} REGISTRY_ROLES[] = {
    {TRUST_SCHOOL_SEAL, "school_seal"},
    {TRUST_STAFF_PRINCIPAL, "principal"},
    {TRUST_STAFF_TEACHER, "homeroom_teacher"},
};

/* ---- rows ------------------------------------------------------------------------------------- */

static size_t row_key(const char *school, const char *role, const unsigned char sha256[32],
                      unsigned char key[KEYTAB_MAX_KEY])
{
    size_t s = strlen(school), r = strlen(role);
    if (s + 1 + r + 1 + 32 > KEYTAB_MAX_KEY)
        return 0;
    memcpy(key, school, s + 1);
    memcpy(key + s + 1, role, r + 1);
    memcpy(key + s + 1 + r + 1, sha256, 32);
    return s + r + 2 + 32;
}

/* The row of a certificate in a role at a school, made when new.
 * @return it, or NULL when out of memory (or a school or role too long to
 *         be one: payload.c bounds both). */
static row_t *row_of(report_t *rp, const char *school, const char *role, const unsigned char sha256[32])
{
    unsigned char key[KEYTAB_MAX_KEY];
    size_t klen = row_key(school, role, sha256, key), i;
    if (klen == 0 || strlen(school) >= sizeof rp->rows->school || strlen(role) >= sizeof rp->rows->role)
        return NULL;
    if (keytab_get(rp->by_row, key, klen, &i))
        return &rp->rows[i];
    if (rp->nrows == rp->cap) {
        size_t cap = rp->cap ? rp->cap * 2 : 64;
        row_t *grown = realloc(rp->rows, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        rp->rows = grown;
        rp->cap = cap;
    }
    row_t *row = &rp->rows[rp->nrows];
    memset(row, 0, sizeof *row);
    memcpy(row->school, school, strlen(school) + 1);
    memcpy(row->role, role, strlen(role) + 1);
    memcpy(row->sha256, sha256, 32);
    if (keytab_put(rp->by_row, key, klen, rp->nrows) != 0)
        return NULL;
    rp->nrows++;
    return row;
}

/* How the registry binds this row's certificate: listed for the role at the
 * school, not listed where the school has a list for the role, or no list
 * (a role the registry has no list for, a v1 registry's staff, a school it
 * does not know). */
static int registered(const trust_t *t, const row_t *row)
{
    if (strcmp(row->role, "school_seal") == 0)
        return trust_seal_registered(t, row->school, row->sha256) ? REG_YES : REG_NO;
    int list = strcmp(row->role, "principal") == 0          ? TRUST_STAFF_PRINCIPAL
               : strcmp(row->role, "homeroom_teacher") == 0 ? TRUST_STAFF_TEACHER
                                                            : -1;
    if (list < 0)
        return REG_NONE;
    int r = trust_staff_registered(t, row->school, list, row->sha256);
    return r == TRUST_STAFF_LISTED ? REG_YES : r == TRUST_STAFF_NOT_LISTED ? REG_NO : REG_NONE;
}

/* ---- certificates ------------------------------------------------------------------------------ */

/* Note what is known of a certificate: its entry, and a record with it
 * (code; NULL when none is at hand). */
static int remember_cert(report_t *rp, const unsigned char sha256[32], trust_cert_t *c, const char *code)
{
    size_t i;
    if (!keytab_get(rp->by_cert, sha256, 32, &i)) {
        if (rp->nseen == rp->seen_cap) {
            size_t cap = rp->seen_cap ? rp->seen_cap * 2 : 64;
            seen_t *grown = realloc(rp->seen, cap * sizeof *grown);
            if (grown == NULL)
                return ENOMEM;
            rp->seen = grown;
            rp->seen_cap = cap;
        }
        memset(&rp->seen[rp->nseen], 0, sizeof *rp->seen);
        int rc = keytab_put(rp->by_cert, sha256, 32, rp->nseen);
        if (rc != 0)
            return rc;
        i = rp->nseen++;
    }
    seen_t *e = &rp->seen[i];
    if (e->cert == NULL)
        e->cert = c;
    if (!e->has_record && code != NULL) {
        memcpy(e->record, code, CODE_LEN);
        e->has_record = 1;
    }
    return 0;
}

/* A certificate by its SHA-256, from the certs table (decoded once, by the
 * trust store's cache); *out NULL when the index does not store it.
 * @param code  a record that carries it, or NULL
 * @return 0, or an index error or ENOMEM. */
static int cert_of(report_t *rp, const unsigned char sha256[32], const char *code, trust_cert_t **out)
{
    size_t i;
    *out = NULL;
    if (keytab_get(rp->by_cert, sha256, 32, &i)) {
        *out = rp->seen[i].cert;
        return remember_cert(rp, sha256, *out, code);
    }
    str_t der;
    int rc = index_get_cert(rp->ix, rp->txn, sha256, &der);
    if (rc != INDEX_OK && rc != INDEX_ENOTFOUND)
        return rc;
    if (rc == INDEX_OK) {
        trust_der_t d;
        if (trust_der_hinted(rp->trust, &d, (const uint8_t *)der.ptr, der.len, sha256) == 0 &&
            memcmp(d.sha256, sha256, 32) == 0)
            *out = trust_cert_get(rp->trust, &d);
    }
    return remember_cert(rp, sha256, *out, code);
}

/* A stored record's .p7s, rebuilt, with its certificates found. */
typedef struct {
    index_doc_t doc;
    uint8_t *der; /* a PEM .p7s as DER (malloc'd), or NULL */
    cms_signed_t sd;
} p7s_t;

/* @return 0 with p->sd read; 1 when the record or its .p7s cannot be read
 *         (the portal answers "cannot check now" for it: nothing to learn
 *         here); or an LMDB error. p7s_close in every case. */
static int p7s_open(report_t *rp, const char code[CODE_LEN], p7s_t *p)
{
    char why[128];
    p->der = NULL;
    int rc = index_get_doc(rp->ix, rp->txn, code, INDEX_WITH_CMS, &p->doc);
    if (rc != INDEX_OK)
        return rc == INDEX_ECORRUPT || rc == INDEX_ENOTFOUND ? 1 : rc;
    const uint8_t *bytes = (const uint8_t *)p->doc.cms.ptr;
    size_t len = p->doc.cms.len;
    if (verify_is_pem(bytes, len)) {
        if (verify_pem_to_der(bytes, len, &p->der, &len) != 0)
            return 1;
        bytes = p->der;
    }
    return cms_parse(bytes, len, &p->sd, why, sizeof why) == CMS_OK ? 0 : 1;
}

static void p7s_close(p7s_t *p)
{
    free(p->der);
    index_doc_free(&p->doc);
}

/* The certificates of a stored .p7s the certs table does not have (a PEM
 * .p7s is stored whole): each is remembered by its own hash. */
static int certs_of_p7s(report_t *rp, const char code[CODE_LEN])
{
    p7s_t *p = malloc(sizeof *p);
    if (p == NULL)
        return ENOMEM;
    int rc = p7s_open(rp, code, p);
    for (size_t i = 0; rc == 0 && i < p->sd.ncerts; i++) {
        trust_der_t d;
        trust_cert_t *c;
        if (trust_der(&d, p->sd.certs[i].der, p->sd.certs[i].len) == 0 &&
            (c = trust_cert_get(rp->trust, &d)) != NULL)
            rc = remember_cert(rp, d.sha256, c, code);
    }
    p7s_close(p);
    free(p);
    return rc == 1 ? 0 : rc;
}

/* Whether a certificate is revoked by a CRL in use, or cannot be judged
 * now (package-format.md §6: a CA of its chain publishes CRLs, none of
 * which verifies). The chain is found as the portal finds it: with the
 * store's intermediates, and else with the certificates of a record that
 * carries it. */
static int revocation_of(report_t *rp, const unsigned char sha256[32], trust_cert_t *c)
{
    trust_chain_t chain;
    char why[TRUST_WHY_LEN];
    size_t i;
    int rc = trust_cert_chain(rp->trust, c, NULL, 0, TRUST_ANY_TIME, &chain, why, sizeof why);
    if (rc != 0 && keytab_get(rp->by_cert, sha256, 32, &i) && rp->seen[i].has_record) {
        p7s_t *p = malloc(sizeof *p);
        trust_der_t extra[CMS_MAX_CERTS];
        size_t n = 0;
        if (p != NULL && p7s_open(rp, rp->seen[i].record, p) == 0)
            for (size_t k = 0; k < p->sd.ncerts; k++)
                n += trust_der(&extra[n], p->sd.certs[k].der, p->sd.certs[k].len) == 0;
        if (n > 0)
            rc = trust_cert_chain(rp->trust, c, extra, n, TRUST_ANY_TIME, &chain, why, sizeof why);
        if (p != NULL)
            p7s_close(p);
        free(p);
    }
    for (int k = 0; rc == 0 && k < chain.n; k++)
        if (chain.c[k]->revocations_unknown)
            return REV_UNCHECKED;
    return c->revoked ? REV_YES : REV_NO;
}

/* ---- the scan ---------------------------------------------------------------------------------- */

/* One stored record: each certificate it declares, in its role, at its
 * school, counts one more record. */
static int count_record(void *arg, const char code[CODE_LEN])
{
    report_t *rp = arg;
    index_doc_t doc;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    int rc = index_get_doc(rp->ix, rp->txn, code, 0, &doc);
    rp->docs++;
    /* the tree lives and dies here: an arena spares malloc its few hundred
     * nodes (malloc and free took a quarter of the scan's time) */
    jarena_begin(rp->arena);
    if (rc != INDEX_OK ||
        payload_parse(doc.payload.ptr, doc.payload.len, &pl, why, sizeof why) != PAYLOAD_OK) {
        jarena_end(rp->arena);
        index_doc_free(&doc);
        rp->unreadable++;
        return rc == INDEX_OK || rc == INDEX_ECORRUPT ? 0 : rc; /* a damaged record is counted, not fatal */
    }
    index_doc_free(&doc);
    int missing = 0;
    rc = 0;
    for (size_t i = 0; rc == 0 && i < pl.nsigners; i++) {
        row_t *row = row_of(rp, pl.school_code, pl.signers[i].role, pl.signers[i].cert_sha256);
        trust_cert_t *c;
        if (row == NULL) {
            rc = ENOMEM;
            break;
        }
        if (row->last_doc != rp->docs) {
            row->records++;
            row->last_doc = rp->docs;
        }
        if ((rc = cert_of(rp, pl.signers[i].cert_sha256, code, &c)) == 0 && c == NULL)
            missing = 1;
    }
    payload_free(&pl);
    jarena_end(rp->arena);
    return rc == 0 && missing ? certs_of_p7s(rp, code) : rc;
}

/* ---- output ------------------------------------------------------------------------------------ */

typedef struct {
    char sha[65], subject[3 * (128 + 160 + 128)], issuer[512], serial[128];
    char not_before[24], not_after[24], revoked_on[24];
} shown_t;

/* A date as the table shows it: the YYYY-MM-DD of the RFC 3339 time. */
static const char *day_of(const char *rfc3339, char out[11])
{
    memcpy(out, rfc3339, 10);
    out[10] = '\0';
    return out;
}

static void name_rfc2253(X509_NAME *name, char *out, size_t n)
{
    BIO *b = BIO_new(BIO_s_mem());
    int got = 0;
    /* UTF-8 as it is, not \XX escapes: what people read (and openssl's
     * -nameopt RFC2253,-esc_msb) */
    if (b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
        got = BIO_read(b, out, (int)n - 1);
    out[got > 0 ? utf8_cut(out, (size_t)got) : 0] = '\0';
    BIO_free(b);
    ERR_clear_error();
}

/* What the report shows of a row's certificate. */
static void show(const row_t *row, shown_t *s)
{
    memset(s, 0, sizeof *s);
    str_hex(row->sha256, 32, s->sha);
    const trust_cert_t *c = row->cert;
    if (c == NULL)
        return;
    trust_subject_shown(c->cn, c->o, c->l, s->subject, sizeof s->subject);
    name_rfc2253(X509_get_issuer_name(c->x), s->issuer, sizeof s->issuer);
    BIO *b = BIO_new(BIO_s_mem());
    int got = 0;
    if (b != NULL && i2a_ASN1_INTEGER(b, X509_get0_serialNumber(c->x)) > 0)
        got = BIO_read(b, s->serial, sizeof s->serial - 1);
    s->serial[got > 0 ? got : 0] = '\0';
    BIO_free(b);
    ERR_clear_error();
    publish_rfc3339(c->not_before, s->not_before);
    publish_rfc3339(c->not_after, s->not_after);
    if (row->revocation == REV_YES)
        publish_rfc3339(c->revoked_at, s->revoked_on);
}

static const char *registered_word(int r)
{
    return r == REG_YES ? "yes" : r == REG_NO ? "no" : "-";
}

enum {
    COL_SCHOOL,
    COL_ROLE,
    COL_REG,
    COL_RECORDS,
    COL_FROM,
    COL_UNTIL,
    COL_REVOKED,
    COL_SERIAL,
    COL_SHA,
    COL_SUBJECT,
    COL_ISSUER,
    NCOLS
};

/* A row of the table: its cells, pointing into s and into buffers here. */
typedef struct {
    const char *v[NCOLS];
    char records[24], from[11], until[11], revoked[48], sha[20];
} cells_t;

static void table_cells(const row_t *row, const shown_t *s, cells_t *c)
{
    snprintf(c->records, sizeof c->records, "%zu", row->records);
    snprintf(c->sha, sizeof c->sha, "%.16s...", s->sha);
    const char *v[NCOLS] = {
        row->school, row->role, registered_word(row->registered), c->records, "-", "-", "-",
        "-",         c->sha,    "not seen in any package",        "-"};
    memcpy(c->v, v, sizeof v);
    if (row->cert == NULL)
        return;
    c->v[COL_FROM] = day_of(s->not_before, c->from);
    c->v[COL_UNTIL] = day_of(s->not_after, c->until);
    if (row->revocation == REV_UNCHECKED) {
        c->v[COL_REVOKED] = "cannot check now";
    } else if (row->revocation == REV_YES) {
        char day[11];
        snprintf(c->revoked, sizeof c->revoked, "yes, %s%s", day_of(s->revoked_on, day),
                 row->cert->revoked_key_compromise ? " (key compromise)" : "");
        c->v[COL_REVOKED] = c->revoked;
    } else {
        c->v[COL_REVOKED] = "no";
    }
    c->v[COL_SERIAL] = s->serial;
    c->v[COL_SUBJECT] = s->subject;
    c->v[COL_ISSUER] = s->issuer;
}

/* Aligned columns, the last one (the issuer) as long as it is: one pass
 * for the widths, one to print, so that a report of thousands of
 * certificates holds one row at a time. */
static void print_table(const report_t *rp, const size_t *keep, size_t n)
{
    static const char *const HEAD[NCOLS] = {"SCHOOL",      "ROLE",      "REGISTERED", "RECORDS",
                                            "NOT BEFORE",  "NOT AFTER", "REVOKED",    "SERIAL",
                                            "CERTIFICATE", "SUBJECT",   "ISSUER"};
    size_t width[NCOLS];
    shown_t s;
    cells_t c;
    for (int k = 0; k < NCOLS; k++)
        width[k] = report_width(HEAD[k]);
    for (size_t i = 0; i < n; i++) {
        show(&rp->rows[keep[i]], &s);
        table_cells(&rp->rows[keep[i]], &s, &c);
        for (int k = 0; k < NCOLS; k++)
            if (report_width(c.v[k]) > width[k])
                width[k] = report_width(c.v[k]);
    }
    for (size_t i = 0; i <= n; i++) {
        if (i > 0) {
            show(&rp->rows[keep[i - 1]], &s);
            table_cells(&rp->rows[keep[i - 1]], &s, &c);
        }
        for (int k = 0; k < NCOLS; k++) {
            report_cell(i == 0 ? HEAD[k] : c.v[k], k + 1 < NCOLS ? width[k] : 0);
            if (k + 1 < NCOLS)
                fputs("  ", stdout);
        }
        putchar('\n');
    }
}

static void print_csv(const report_t *rp, const size_t *keep, size_t n)
{
    static const char *const REVOKED_WORDS[] = {
        [REV_NO] = "no", [REV_YES] = "yes", [REV_UNCHECKED] = "cannot check now", [3] = ""};
    static const char *const HEAD[] = {"school",     "role",       "registered",         "records",
                                       "seen",       "not_before", "not_after",          "revoked",
                                       "revoked_on", "serial",     "certificate_sha256", "subject",
                                       "issuer"};
    enum { N = sizeof HEAD / sizeof *HEAD };
    for (size_t k = 0; k < N; k++)
        report_csv(HEAD[k], k + 1 == N);
    for (size_t i = 0; i < n; i++) {
        const row_t *row = &rp->rows[keep[i]];
        shown_t s;
        char records[24];
        show(row, &s);
        snprintf(records, sizeof records, "%zu", row->records);
        int seen = row->cert != NULL;
        const char *v[N] = {row->school,
                            row->role,
                            row->registered == REG_NONE ? "" : registered_word(row->registered),
                            records,
                            seen ? "yes" : "no",
                            s.not_before,
                            s.not_after,
                            REVOKED_WORDS[seen ? row->revocation : 3],
                            s.revoked_on,
                            s.serial,
                            s.sha,
                            s.subject,
                            s.issuer};
        for (size_t k = 0; k < N; k++)
            report_csv(v[k], k + 1 == N);
    }
}

/* One JSON object a line (as batch --json and check --json): a script reads
 * them one by one, `jq -s` makes an array. */
static int print_json(const report_t *rp, const size_t *keep, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const row_t *row = &rp->rows[keep[i]];
        shown_t s;
        show(row, &s);
        int seen = row->cert != NULL;
        json_t *reg = row->registered == REG_NONE ? json_null() : json_boolean(row->registered == REG_YES);
        int checked = seen && row->revocation != REV_UNCHECKED;
        json_t *rev = checked ? json_boolean(row->revocation == REV_YES) : json_null();
        json_t *o = json_pack(
            "{s:s, s:s, s:o, s:I, s:b, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:b}", "school",
            row->school, "role", row->role, "registered", reg, "records", (json_int_t)row->records, "seen",
            seen, "certificate_sha256", s.sha, "subject", seen ? s.subject : NULL, "issuer",
            seen ? s.issuer : NULL, "serial", seen ? s.serial : NULL, "not_before",
            seen ? s.not_before : NULL, "not_after", seen ? s.not_after : NULL, "revoked", rev, "revoked_on",
            row->revocation == REV_YES ? s.revoked_on : NULL, "revocation_checked", checked);
        char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (text == NULL) {
            fprintf(stderr, "hocba-publish: certs: out of memory\n");
            return -1;
        }
        printf("%s\n", text);
        free(text);
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------------- */

static int role_rank(const char *role)
{
    for (size_t i = 0; i < sizeof REGISTRY_ROLES / sizeof *REGISTRY_ROLES; i++)
        if (strcmp(role, REGISTRY_ROLES[i].role) == 0)
            return (int)i;
    return 3;
}

/* School, then seal, principal, homeroom teacher, other roles by name;
 * then the certificate that ends first. */
static int row_cmp(const void *a, const void *b, void *rows)
{
    const row_t *x = (const row_t *)rows + *(const size_t *)a, *y = (const row_t *)rows + *(const size_t *)b;
    int c = strcmp(x->school, y->school);
    if (c == 0)
        c = role_rank(x->role) - role_rank(y->role);
    if (c == 0)
        c = strcmp(x->role, y->role);
    if (c == 0 && x->cert != NULL && y->cert != NULL && x->cert->not_after != y->cert->not_after)
        c = x->cert->not_after < y->cert->not_after ? -1 : 1;
    if (c == 0)
        c = (x->cert == NULL) - (y->cert == NULL);
    return c != 0 ? c : memcmp(x->sha256, y->sha256, 32);
}

/* YYYY-MM-DD, a real date, as UTC seconds at its start. @return 0 or -1. */
static int parse_day(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int year = atoi(s), month = atoi(s + 5), day = atoi(s + 8);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    time_t t = timegm(&tm); /* normalises tm: 2026-02-30 becomes 2026-03-02 */
    if (tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day)
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* The registry's rows: every certificate it lists, per school and list. */
static int registry_rows(report_t *rp)
{
    const char *school;
    for (size_t i = 0; (school = trust_school_code(rp->trust, i)) != NULL; i++)
        for (size_t r = 0; r < sizeof REGISTRY_ROLES / sizeof *REGISTRY_ROLES; r++) {
            const unsigned char(*list)[32];
            size_t n = trust_school_certs(rp->trust, school, REGISTRY_ROLES[r].list, &list);
            for (size_t k = 0; k < n; k++)
                if (row_of(rp, school, REGISTRY_ROLES[r].role, list[k]) == NULL)
                    return ENOMEM;
        }
    return 0;
}

int cmd_certs(index_t *ix, int argc, char **argv)
{
    const char *school = NULL, *before = NULL;
    int fmt = FMT_TABLE, rc = EXIT_NOTHING, r;
    int64_t cutoff = 0;
    char why[TRUST_WHY_LEN];
    report_t rp;
    size_t *keep = NULL;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--expiring-before") == 0 && i + 1 < argc && before == NULL)
            before = argv[++i];
        else if (strcmp(argv[i], "--school") == 0 && i + 1 < argc && school == NULL)
            school = argv[++i];
        else if (strcmp(argv[i], "--csv") == 0 && fmt == FMT_TABLE)
            fmt = FMT_CSV;
        else if (strcmp(argv[i], "--json") == 0 && fmt == FMT_TABLE)
            fmt = FMT_JSON;
        else
            publish_die_usage();
    }
    if (before != NULL && parse_day(before, &cutoff) != 0) {
        fprintf(stderr, "hocba-publish: certs: --expiring-before wants a date YYYY-MM-DD, got \"%s\"\n",
                before);
        return EXIT_NOTHING;
    }
    memset(&rp, 0, sizeof rp);
    rp.ix = ix;
    if ((r = index_begin(ix, 1, &rp.txn)) != 0) {
        fprintf(stderr, "hocba-publish: certs: cannot read the index: %s\n", index_strerror(r));
        return EXIT_NOTHING;
    }
    if (publish_trust_from(ix, rp.txn, &rp.trust, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: certs: %s\n", why);
        goto done;
    }
    rp.arena = jarena_new(JARENA_CHUNK);
    if ((rp.by_row = keytab_new()) == NULL || (rp.by_cert = keytab_new()) == NULL) {
        fprintf(stderr, "hocba-publish: certs: out of memory\n");
        goto done;
    }
    if ((r = registry_rows(&rp)) != 0 || (r = index_each_code(ix, rp.txn, count_record, &rp)) != 0) {
        fprintf(stderr, "hocba-publish: certs: %s\n", r == ENOMEM ? "out of memory" : index_strerror(r));
        goto done;
    }
    if ((keep = malloc((rp.nrows ? rp.nrows : 1) * sizeof *keep)) == NULL) {
        fprintf(stderr, "hocba-publish: certs: out of memory\n");
        goto done;
    }
    size_t n = 0, unknown = 0;
    for (size_t i = 0; i < rp.nrows; i++) {
        row_t *row = &rp.rows[i];
        if (cert_of(&rp, row->sha256, NULL, &row->cert) != 0) {
            fprintf(stderr, "hocba-publish: certs: out of memory\n");
            goto done;
        }
        row->registered = registered(rp.trust, row);
        if (school != NULL && strcmp(row->school, school) != 0)
            continue;
        if (before != NULL && row->cert == NULL) {
            unknown++;
            continue;
        }
        if (before != NULL && row->cert->not_after >= cutoff)
            continue;
        if (row->cert != NULL)
            row->revocation = revocation_of(&rp, row->sha256, row->cert);
        keep[n++] = i;
    }
    qsort_r(keep, n, sizeof *keep, row_cmp, rp.rows);
    if (fmt == FMT_JSON && print_json(&rp, keep, n) != 0)
        goto done;
    if (fmt == FMT_CSV)
        print_csv(&rp, keep, n);
    else if (fmt == FMT_TABLE)
        print_table(&rp, keep, n);
    if (unknown > 0)
        fprintf(stderr,
                "hocba-publish: certs: %zu certificate%s the registry names %s never been seen in a package: "
                "%s end is unknown, so --expiring-before leaves %s out (certs without it lists %s)\n",
                unknown, unknown == 1 ? "" : "s", unknown == 1 ? "has" : "have",
                unknown == 1 ? "its" : "their", unknown == 1 ? "it" : "them", unknown == 1 ? "it" : "them");
    if (rp.unreadable > 0)
        fprintf(stderr,
                "hocba-publish: certs: %zu of the %zu stored records could not be read; their signers are "
                "not counted\n",
                rp.unreadable, rp.docs);
    rc = fflush(stdout) == 0 ? 0 : EXIT_NOTHING;
done:
    mdb_txn_abort(rp.txn);
    trust_free(rp.trust);
    keytab_free(rp.by_row);
    keytab_free(rp.by_cert);
    jarena_free(rp.arena);
    free(rp.rows);
    free(rp.seen);
    free(keep);
    return rc;
}
