/* trust.c — trust store and certificate cache. */
#include "trust.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ber.h"
#include "digest.h"
#include "utf8.h"

typedef struct {
    unsigned char sha256[32];
    char code[24];
} seal_t;

/* A name a school had, in force up to and including `until`. */
typedef struct {
    char *name, *province;
    char until[11]; /* YYYY-MM-DD */
} former_t;

/* One school of the registry (package-format.md §6). Hash lists are sorted. */
typedef struct {
    char code[24];
    char *name, *province;
    former_t *former; /* sorted by until */
    size_t nformer;
    unsigned char (*seals)[32], (*principals)[32], (*teachers)[32];
    size_t nseals, nprincipals, nteachers;
} school_t;

typedef struct {
    int version;       /* 1 or 2: hocba.schools.vN */
    school_t *schools; /* sorted by code */
    size_t nschools;
    seal_t *seals; /* every school's seals, sorted by sha256 */
    size_t nseals;
} registry_t;

typedef struct {
    X509_CRL *crl;     /* borrowed from trust.all */
    X509_NAME *issuer; /* borrowed from crl */
} crl_t;

/* A remembered issuer none of whose CRLs verifies now (§6). */
typedef struct {
    size_t issuer; /* its index in trust.remembered */
    char cn[TRUST_CN_LEN];
    char hash[9];
} unchecked_t;

struct trust {
    uint64_t version;
    X509_STORE *store;
    STACK_OF(X509) *intermediates;
    size_t nanchors;
    crl_t *crls; /* the CRLs in use: those that verify */
    size_t ncrls, nrejected;
    X509_CRL **all; /* every stored CRL that reads as one, and what is known of it */
    trust_crl_info_t *infos;
    size_t ninfos;
    trust_issuer_t *remembered; /* copies of the inputs' issuers, in remembered_buf */
    uint8_t *remembered_buf;
    /* each remembered issuer's name decoded (NULL when it does not decode)
     * and the key_id of its key: how it is compared (issuer_is) */
    X509_NAME **remembered_name;
    unsigned char (*remembered_key)[32];
    int *remembered_key_ok;
    trust_issuer_info_t *issuers; /* one for each remembered issuer */
    size_t nissuers;
    unchecked_t *unchecked; /* those with no CRL that verifies now */
    size_t nunchecked;
    registry_t reg; /* empty (version 0) when no registry is loaded */

    pthread_rwlock_t lock; /* guards the cache below: read to look up, write to add */
    trust_cert_t **slots;
    size_t nslots, nused;
};

#define WHY(...) why_put(why, whylen, __VA_ARGS__)

/* A refusal into why; a cut one ends on a character (reasons quote names). */
__attribute__((format(printf, 3, 4))) static void why_put(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    if (whylen > 0 && n >= (int)whylen)
        why[utf8_cut(why, whylen - 1)] = '\0';
}

static int is_pem(str_t s)
{
    return s.len >= 11 && memcmp(s.ptr, "-----BEGIN ", 11) == 0;
}

static int64_t asn1_time_to_unix(const ASN1_TIME *a)
{
    struct tm tm;
    if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* ---- issuers --------------------------------------------------------------- */

int trust_issuer_of_cert(const uint8_t *der, size_t len, trust_issuer_t *out)
{
    /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
     * OPTIONAL, serialNumber, signature, issuer, validity, subject,
     * subjectPublicKeyInfo, ... }, ... } */
    static const unsigned FIELDS[] = {DER_INTEGER, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE,
                                      DER_SEQUENCE}; /* serial .. key */
    der_cur_t c = der_cursor(der, len);
    der_elem_t cert, tbs, field[6];
    if (der_expect(&c, DER_SEQUENCE, &cert) != DER_OK)
        return -1;
    c = der_inside(&cert);
    if (der_expect(&c, DER_SEQUENCE, &tbs) != DER_OK)
        return -1;
    c = der_inside(&tbs);
    if (der_optional(&c, DER_CTX_CONS(0), &field[0]) < DER_EEND) /* version */
        return -1;
    for (int i = 0; i < 6; i++)
        if (der_expect(&c, FIELDS[i], &field[i]) != DER_OK)
            return -1;
    out->name = str_n((const char *)field[4].raw, field[4].rawlen);
    out->spki = str_n((const char *)field[5].raw, field[5].rawlen);
    return 0;
}

int trust_issuer_id(const trust_issuer_t *is, unsigned char id[32])
{
    /* in a certificate the two lie one after the other: no copy then */
    if (is->name.ptr + is->name.len == is->spki.ptr)
        return digest_sha256(is->name.ptr, is->name.len + is->spki.len, id);
    uint8_t small[2048];
    size_t n = is->name.len + is->spki.len;
    uint8_t *buf = n <= sizeof small ? small : malloc(n);
    if (buf == NULL)
        return -1;
    memcpy(buf, is->name.ptr, is->name.len);
    memcpy(buf + is->name.len, is->spki.ptr, is->spki.len);
    int rc = digest_sha256(buf, n, id);
    if (buf != small)
        free(buf);
    return rc;
}

/* The CN of a name, UTF-8 without control characters (for status lines and
 * metrics labels), or "" when it has none. */
static void name_cn(const X509_NAME *name, char *out, size_t n)
{
    int i = name != NULL ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    unsigned char *u = NULL;
    int len = i >= 0 ? ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) : -1;
    out[0] = '\0';
    if (len > 0)
        utf8_scrub((const char *)u, (size_t)len, out, n);
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    OPENSSL_free(u);
    ERR_clear_error();
}

/* 1 when a CA certificate with this subject and key (its key_id) is
 * remembered issuer i. A name is compared as OpenSSL compares it when it
 * builds chains and matches CRLs (X509_NAME_cmp: canonical, case- and
 * string-type-insensitive), and the key as the key itself, not as the bytes
 * of a certificate: a copy of the CA's certificate with the same key and
 * the name written as PrintableString instead of UTF8String is the same
 * issuer (review: it was another, whose revocations were judged, so its
 * certificates answered valid while the CA's CRLs could not be checked).
 * Called when the store is built and once per certificate cached, never per
 * answer. */
static int issuer_is(const trust_t *t, size_t i, const X509_NAME *subject, const unsigned char key_id[32])
{
    return t->remembered_name[i] != NULL && t->remembered_key_ok[i] &&
           memcmp(t->remembered_key[i], key_id, 32) == 0 && X509_NAME_cmp(t->remembered_name[i], subject) == 0;
}

/* The remembered issuer without a CRL that verifies now that CA certificate
 * c stands for, or NULL. */
static const unchecked_t *unchecked_of(const trust_t *t, const trust_cert_t *c)
{
    for (size_t i = 0; i < t->nunchecked; i++)
        if (issuer_is(t, t->unchecked[i].issuer, X509_get_subject_name(c->x), c->key_id))
            return &t->unchecked[i];
    return NULL;
}

/* ---- registry ------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_hash(const char *s, unsigned char out[32])
{
    if (s == NULL || strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int seal_cmp(const void *a, const void *b)
{
    const seal_t *x = a, *y = b;
    int c = memcmp(x->sha256, y->sha256, 32);
    return c ? c : strcmp(x->code, y->code);
}

static int school_cmp(const void *a, const void *b)
{
    return strcmp(((const school_t *)a)->code, ((const school_t *)b)->code);
}

static int former_cmp(const void *a, const void *b)
{
    return strcmp(((const former_t *)a)->until, ((const former_t *)b)->until);
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int valid_school_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* A calendar date YYYY-MM-DD (proleptic Gregorian), as payloads write them. */
static int valid_date(const char *s)
{
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m >= 1 && m <= 12 && d >= 1 && d <= DAYS[m - 1] + (m == 2 && leap);
}

static void school_free(school_t *s)
{
    free(s->name);
    free(s->province);
    for (size_t i = 0; i < s->nformer; i++) {
        free(s->former[i].name);
        free(s->former[i].province);
    }
    free(s->former);
    free(s->seals);
    free(s->principals);
    free(s->teachers);
}

static void registry_free(registry_t *r)
{
    for (size_t i = 0; i < r->nschools; i++)
        school_free(&r->schools[i]);
    free(r->schools);
    free(r->seals);
    memset(r, 0, sizeof *r);
}

/* A list of certificate hashes: schools[i].key, absent or an array of
 * 64 lower-case hex digits each. *out is malloc'd and sorted (NULL, 0 when
 * absent or empty). */
static int parse_hashes(json_t *s, size_t i, const char *key, unsigned char (**out)[32], size_t *n, char *why,
                        size_t whylen)
{
    json_t *list = json_object_get(s, key);
    *out = NULL;
    *n = 0;
    if (list == NULL)
        return 0;
    if (!json_is_array(list)) {
        WHY("school registry: schools[%zu].%s must be an array of certificate SHA-256s", i, key);
        return -1;
    }
    size_t cnt = json_array_size(list);
    if (cnt == 0)
        return 0;
    if ((*out = malloc(cnt * sizeof **out)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (size_t j = 0; j < cnt; j++)
        if (parse_hash(json_string_value(json_array_get(list, j)), (*out)[j]) != 0) {
            WHY("school registry: schools[%zu].%s[%zu] must be 64 lower-case hex digits", i, key, j);
            free(*out);
            *out = NULL;
            return -1;
        }
    qsort(*out, cnt, 32, hash_cmp);
    *n = cnt;
    return 0;
}

/* schools[i].former_names: [{"name", "province", "until": DATE}], sorted by until. */
static int parse_former(json_t *s, size_t i, const char *code, school_t *out, char *why, size_t whylen)
{
    json_t *list = json_object_get(s, "former_names");
    if (list == NULL)
        return 0;
    if (!json_is_array(list)) {
        WHY("school registry: schools[%zu] (%s).former_names must be an array of {name, province, until}", i,
            code);
        return -1;
    }
    size_t cnt = json_array_size(list);
    if (cnt > 0 && (out->former = calloc(cnt, sizeof *out->former)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (size_t j = 0; j < cnt; j++) {
        json_t *f = json_array_get(list, j);
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *prov = json_string_value(json_object_get(f, "province"));
        const char *until = json_string_value(json_object_get(f, "until"));
        const char *k;
        json_t *v;
        if (!json_is_object(f) || name == NULL || name[0] == '\0' || prov == NULL || prov[0] == '\0') {
            WHY("school registry: schools[%zu] (%s).former_names[%zu] needs a name and a province", i, code, j);
            return -1;
        }
        if (!valid_date(until)) {
            WHY("school registry: schools[%zu] (%s).former_names[%zu].until must be a date YYYY-MM-DD (the last "
                "day the name was in force)",
                i, code, j);
            return -1;
        }
        json_object_foreach(f, k, v)
        {
            if (strcmp(k, "name") != 0 && strcmp(k, "province") != 0 && strcmp(k, "until") != 0) {
                WHY("school registry: schools[%zu] (%s).former_names[%zu]: unknown member \"%.40s\" (a former "
                    "name has name, province and until)",
                    i, code, j, k);
                return -1;
            }
        }
        former_t *e = &out->former[out->nformer++];
        memcpy(e->until, until, 11);
        if ((e->name = strdup(name)) == NULL || (e->province = strdup(prov)) == NULL) {
            WHY("out of memory");
            return -1;
        }
    }
    if (cnt > 0)
        qsort(out->former, cnt, sizeof *out->former, former_cmp);
    for (size_t j = 1; j < cnt; j++)
        if (strcmp(out->former[j - 1].until, out->former[j].until) == 0) {
            WHY("school registry: schools[%zu] (%s).former_names: two names end on %s", i, code,
                out->former[j].until);
            return -1;
        }
    return 0;
}

static const char *const V2_MEMBERS[] = {"principal_certificates", "teacher_certificates", "former_names"};
static const char *const SCHOOL_MEMBERS[] = {"code",
                                             "name",
                                             "province",
                                             "seal_certificates",
                                             "principal_certificates",
                                             "teacher_certificates",
                                             "former_names"};

/* One entry of "schools". */
static int parse_school(json_t *s, size_t i, int version, school_t *out, char *why, size_t whylen)
{
    const char *code = json_string_value(json_object_get(s, "code"));
    const char *name = json_string_value(json_object_get(s, "name"));
    const char *prov = json_string_value(json_object_get(s, "province"));
    if (!json_is_object(s)) {
        WHY("school registry: schools[%zu] must be an object", i);
        return -1;
    }
    if (code == NULL || !valid_school_code(code)) {
        WHY("school registry: schools[%zu].code must be 1-20 letters or digits", i);
        return -1;
    }
    snprintf(out->code, sizeof out->code, "%s", code);
    if (name == NULL || name[0] == '\0' || prov == NULL || prov[0] == '\0') {
        WHY("school registry: schools[%zu] (%s) needs a name and a province", i, code);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v)
    {
        int known = 0;
        for (size_t m = 0; m < sizeof SCHOOL_MEMBERS / sizeof *SCHOOL_MEMBERS; m++)
            known |= strcmp(k, SCHOOL_MEMBERS[m]) == 0;
        int v2 = 0;
        for (size_t m = 0; m < sizeof V2_MEMBERS / sizeof *V2_MEMBERS; m++)
            v2 |= strcmp(k, V2_MEMBERS[m]) == 0;
        /* v1 files may carry members of their own (as before); one that
         * means something in v2 would bind nothing here: refused */
        if (version == 1 && v2) {
            WHY("school registry: schools[%zu] (%s).%s is a member of hocba.schools.v2, but the file says "
                "\"schema\": \"hocba.schools.v1\", under which it would bind nothing",
                i, code, k);
            return -1;
        }
        if (version == 2 && !known) {
            WHY("school registry: schools[%zu] (%s): unknown member \"%.40s\" (a school has code, name, province, "
                "seal_certificates, principal_certificates, teacher_certificates, former_names)",
                i, code, k);
            return -1;
        }
    }
    if (!json_is_array(json_object_get(s, "seal_certificates"))) {
        WHY("school registry: schools[%zu].seal_certificates must be an array", i);
        return -1;
    }
    if ((out->name = strdup(name)) == NULL || (out->province = strdup(prov)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    if (parse_hashes(s, i, "seal_certificates", &out->seals, &out->nseals, why, whylen) != 0 ||
        parse_hashes(s, i, "principal_certificates", &out->principals, &out->nprincipals, why, whylen) != 0 ||
        parse_hashes(s, i, "teacher_certificates", &out->teachers, &out->nteachers, why, whylen) != 0)
        return -1;
    return parse_former(s, i, code, out, why, whylen);
}

static const seal_t *seal_find(const seal_t *seals, size_t n, const unsigned char sha256[32])
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(seals[mid].sha256, sha256, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && memcmp(seals[lo].sha256, sha256, 32) == 0 ? &seals[lo] : NULL;
}

/* A staff certificate that is some school's seal would fail every record it
 * signs (§5: a seal certificate signs only as school_seal). */
static int staff_not_seal(const registry_t *r, char *why, size_t whylen)
{
    for (size_t i = 0; i < r->nschools; i++) {
        const school_t *s = &r->schools[i];
        for (int role = 0; role < 2; role++) {
            size_t n = role ? s->nteachers : s->nprincipals;
            const unsigned char(*h)[32] = role ? s->teachers : s->principals;
            for (size_t j = 0; j < n; j++) {
                const seal_t *seal = seal_find(r->seals, r->nseals, h[j]);
                if (seal != NULL) {
                    char hex[17];
                    str_hex(h[j], 8, hex);
                    WHY("school registry: school %s lists certificate %s... in %s, but it is registered as the "
                        "seal of school %s; a seal certificate is never a person's (package-format.md §5)",
                        s->code, hex, role ? "teacher_certificates" : "principal_certificates", seal->code);
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* Parse and check a registry; on success *out holds it (when out is not
 * NULL). @return the number of schools, or -1 with *why set. */
static int parse_registry(str_t json, registry_t *out, char *why, size_t whylen)
{
    json_error_t err;
    json_t *root = json_loadb(json.ptr, json.len, JSON_REJECT_DUPLICATES, &err);
    registry_t r;
    int rc = -1;

    memset(&r, 0, sizeof r);
    if (root == NULL) {
        WHY("school registry is not valid JSON: line %d: %s", err.line, err.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(root, "schema"));
    json_t *schools = json_object_get(root, "schools");
    if (schema != NULL && strcmp(schema, "hocba.schools.v1") == 0)
        r.version = 1;
    else if (schema != NULL && strcmp(schema, "hocba.schools.v2") == 0)
        r.version = 2;
    else {
        WHY("school registry: schema must be \"hocba.schools.v1\" or \"hocba.schools.v2\"");
        goto done;
    }
    if (!json_is_array(schools)) {
        WHY("school registry: \"schools\" must be an array");
        goto done;
    }
    size_t n = json_array_size(schools);
    if (n > 0 && (r.schools = calloc(n, sizeof *r.schools)) == NULL) {
        WHY("out of memory");
        goto done;
    }
    size_t nseals = 0;
    for (size_t i = 0; i < n; i++) {
        r.nschools = i + 1;
        if (parse_school(json_array_get(schools, i), i, r.version, &r.schools[i], why, whylen) != 0)
            goto done;
        nseals += r.schools[i].nseals;
    }
    if (n > 0)
        qsort(r.schools, n, sizeof *r.schools, school_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r.schools[i - 1].code, r.schools[i].code) == 0) {
            WHY("school registry: school %s is listed twice", r.schools[i].code);
            goto done;
        }
    if (nseals > 0 && (r.seals = malloc(nseals * sizeof *r.seals)) == NULL) {
        WHY("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < r.schools[i].nseals; j++) {
            seal_t *e = &r.seals[r.nseals++];
            memcpy(e->sha256, r.schools[i].seals[j], 32);
            snprintf(e->code, sizeof e->code, "%s", r.schools[i].code);
        }
    if (r.nseals > 0)
        qsort(r.seals, r.nseals, sizeof *r.seals, seal_cmp);
    if (staff_not_seal(&r, why, whylen) != 0)
        goto done;
    rc = (int)n;
    if (out != NULL) {
        *out = r;
        memset(&r, 0, sizeof r);
    }
done:
    registry_free(&r);
    json_decref(root);
    return rc;
}

/* ---- certificate cache ----------------------------------------------------- */

static const char *key_problem(EVP_PKEY *pk)
{
    if (pk == NULL)
        return "the certificate's public key cannot be read";
    int id = EVP_PKEY_get_base_id(pk);
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
        return EVP_PKEY_get_bits(pk) >= 2048 ? NULL : "the RSA key is shorter than 2048 bits";
    if (id == EVP_PKEY_EC) {
        char group[64];
        size_t glen = 0;
        if (EVP_PKEY_get_group_name(pk, group, sizeof group, &glen) == 1 &&
            (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0))
            return NULL;
        return "the ECDSA key is not on curve P-256 or P-384";
    }
    return "the key is neither RSA nor ECDSA";
}

/* Revocation of x by any usable CRL of its issuer: keyCompromise wins,
 * otherwise the earliest revocation date. */
static void find_revocation(const trust_t *t, trust_cert_t *c)
{
    X509_NAME *issuer = X509_get_issuer_name(c->x);
    for (size_t i = 0; i < t->ncrls; i++) {
        X509_REVOKED *rev = NULL;
        if (X509_NAME_cmp(t->crls[i].issuer, issuer) != 0)
            continue;
        if (X509_CRL_get0_by_cert(t->crls[i].crl, &rev, c->x) != 1 || rev == NULL)
            continue;
        int64_t when = asn1_time_to_unix(X509_REVOKED_get0_revocationDate(rev));
        ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
        /* a CA's or an attribute authority's key compromised is a key
         * compromised too (RFC 5280 §5.3.1): revoked whatever the date */
        long r = reason != NULL ? ASN1_ENUMERATED_get(reason) : -1;
        int kc =
            r == CRL_REASON_KEY_COMPROMISE || r == CRL_REASON_CA_COMPROMISE || r == CRL_REASON_AA_COMPROMISE;
        ASN1_ENUMERATED_free(reason);
        if (!c->revoked || when < c->revoked_at)
            c->revoked_at = when;
        c->revoked = 1;
        c->revoked_key_compromise |= kc;
    }
}

/* Two certificates hold one key when they hold the same public key, however
 * encoded (§5 check 6 compares SubjectPublicKeyInfo): an RSA modulus is the
 * same key under rsaEncryption and RSASSA-PSS identifiers, and an EC point
 * the same key written compressed or not. So the id hashes the key itself:
 * RSA its modulus, EC its curve and point; any other key its
 * SubjectPublicKeyInfo DER. */
static int key_id(X509_PUBKEY *xpk, EVP_PKEY *pk, unsigned char out[32])
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int id = pk != NULL ? EVP_PKEY_get_base_id(pk) : EVP_PKEY_NONE, rc = -1;
    BIGNUM *n = NULL, *px = NULL, *py = NULL;
    char group[64] = "";
    if ((id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1) {
        len = 4 + (size_t)BN_num_bytes(n);
        if ((buf = malloc(len)) != NULL) {
            memcpy(buf, "RSA:", 4);
            BN_bn2bin(n, buf + 4);
        }
    } else if (id == EVP_PKEY_EC &&
               EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) == 1 &&
               EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &px) == 1 &&
               EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &py) == 1) {
        size_t g = strlen(group), w = (size_t)(EVP_PKEY_get_bits(pk) + 7) / 8;
        len = 3 + g + 1 + 2 * w;
        if ((buf = malloc(len)) != NULL) {
            memcpy(buf, "EC:", 3);
            memcpy(buf + 3, group, g);
            buf[3 + g] = ':';
            if (BN_bn2binpad(px, buf + 4 + g, (int)w) < 0 || BN_bn2binpad(py, buf + 4 + g + w, (int)w) < 0) {
                free(buf);
                buf = NULL;
            }
        }
    } else {
        int l = xpk != NULL ? i2d_X509_PUBKEY(xpk, &buf) : -1;
        if (l > 0) {
            unsigned char *copy = malloc((size_t)l);
            if (copy != NULL)
                memcpy(copy, buf, (size_t)l);
            OPENSSL_free(buf);
            buf = copy;
            len = (size_t)l;
        } else {
            buf = NULL;
        }
    }
    if (buf != NULL)
        rc = digest_sha256(buf, len, out);
    free(buf);
    BN_free(n);
    BN_free(px);
    BN_free(py);
    ERR_clear_error();
    return rc;
}

/* Every value of one attribute of a name, in order, as UTF-8 joined by ", "
 * into out (cut on a character; bytes that are not UTF-8 become U+FFFD). */
static void name_values(X509_NAME *nm, int nid, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = X509_NAME_get_index_by_NID(nm, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(nm, nid, i)) {
        unsigned char *u = NULL;
        int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)));
        if (len > 0 && used + 2 < n) {
            if (used > 0) {
                memcpy(out + used, ", ", 2);
                used += 2;
            }
            used += utf8_scrub((const char *)u, (size_t)len, out + used, n - used);
        }
        OPENSSL_free(u);
    }
    ERR_clear_error();
}

static trust_cert_t *cert_new(const trust_t *t, const uint8_t *der, size_t len, const unsigned char h[32])
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len) {
        X509_free(x);
        ERR_clear_error();
        return NULL;
    }
    /* the entry and, after it, the DER its hash was computed from */
    trust_cert_t *c = calloc(1, sizeof *c + len);
    if (c == NULL) {
        X509_free(x);
        return NULL;
    }
    memcpy(c->sha256, h, 32);
    memcpy(c + 1, der, len);
    c->der = (const uint8_t *)(c + 1);
    c->der_len = len;
    c->x = x;
    c->pkey = X509_get0_pubkey(x);
    c->key_problem = key_problem(c->pkey);
    /* once per certificate (1-2 µs for the whole walk, too much per answer) */
    c->not_der = ber_is_der(der, len, 0) != 1;
    if (key_id(X509_get_X509_PUBKEY(x), c->pkey, c->key_id) != 0) { /* out of memory: unknown rather than a key of its own */
        X509_free(x);
        free(c);
        return NULL;
    }
    c->not_before = asn1_time_to_unix(X509_get0_notBefore(x));
    c->not_after = asn1_time_to_unix(X509_get0_notAfter(x));
    uint32_t flags = X509_get_extension_flags(x);
    c->usage_ok = !(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
    trust_issuer_t self;
    if (trust_issuer_of_cert(der, len, &self) == 0)
        trust_issuer_id(&self, c->ca_id);
    c->revocations_unknown = unchecked_of(t, c) != NULL;
    BIO *b = BIO_new(BIO_s_mem());
    if (b != NULL) {
        X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
        int n = BIO_read(b, c->subject, sizeof c->subject - 1);
        c->subject[n > 0 ? utf8_cut(c->subject, (size_t)n) : 0] = '\0'; /* a long subject is cut */
        BIO_free(b);
    }
    name_values(X509_get_subject_name(x), NID_commonName, c->cn, sizeof c->cn);
    name_values(X509_get_subject_name(x), NID_organizationName, c->o, sizeof c->o);
    name_values(X509_get_subject_name(x), NID_localityName, c->l, sizeof c->l);
    find_revocation(t, c);
    return c;
}

static size_t slot_of(const unsigned char h[32], size_t nslots)
{
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (size_t)(v & (nslots - 1));
}

static int cache_grow(trust_t *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 256;
    trust_cert_t **slots = calloc(n, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < t->nslots; i++) {
        trust_cert_t *c = t->slots[i];
        if (c == NULL)
            continue;
        size_t k = slot_of(c->sha256, n);
        while (slots[k] != NULL)
            k = (k + 1) & (n - 1);
        slots[k] = c;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

/* Look up by hash; with der, add when missing. Caller holds the lock. */
static trust_cert_t *cache_get(trust_t *t, const unsigned char h[32], const uint8_t *der, size_t len)
{
    if (t->nslots > 0) {
        size_t k = slot_of(h, t->nslots);
        while (t->slots[k] != NULL) {
            if (memcmp(t->slots[k]->sha256, h, 32) == 0)
                return t->slots[k];
            k = (k + 1) & (t->nslots - 1);
        }
    }
    if (der == NULL)
        return NULL;
    if ((t->nused + 1) * 10 > t->nslots * 7 && cache_grow(t) != 0)
        return NULL;
    trust_cert_t *c = cert_new(t, der, len, h);
    if (c == NULL)
        return NULL;
    size_t k = slot_of(h, t->nslots);
    while (t->slots[k] != NULL)
        k = (k + 1) & (t->nslots - 1);
    t->slots[k] = c;
    t->nused++;
    return c;
}

int trust_der(trust_der_t *d, const uint8_t *der, size_t len)
{
    d->der = der;
    d->len = len;
    return digest_sha256(der, len, d->sha256);
}

int trust_der_hinted(trust_t *t, trust_der_t *d, const uint8_t *der, size_t len, const unsigned char *hint)
{
    if (hint != NULL) {
        pthread_rwlock_rdlock(&t->lock);
        const trust_cert_t *c = cache_get(t, hint, NULL, 0);
        int same = c != NULL && c->der_len == len && memcmp(c->der, der, len) == 0;
        pthread_rwlock_unlock(&t->lock);
        if (same) {
            d->der = der;
            d->len = len;
            memcpy(d->sha256, hint, 32); /* == c->sha256, the hash of these bytes */
            return 0;
        }
    }
    return trust_der(d, der, len);
}

trust_cert_t *trust_cert_get(trust_t *t, const trust_der_t *d)
{
    pthread_rwlock_rdlock(&t->lock);
    trust_cert_t *c = cache_get(t, d->sha256, NULL, 0);
    pthread_rwlock_unlock(&t->lock);
    if (c != NULL)
        return c;
    pthread_rwlock_wrlock(&t->lock);
    c = cache_get(t, d->sha256, d->der, d->len);
    pthread_rwlock_unlock(&t->lock);
    return c;
}

/* ---- bundles and CRLs -------------------------------------------------------- */

/* Read every PEM block of a bundle; each must be a certificate. Calls add()
 * with each DER unless add is NULL. Returns the count or -1. */
/* One PEM block of a bundle, its index from 0: 0 to go on, -1 with *why set
 * to stop. */
typedef int (*pem_block_fn)(void *arg, int index, const char *name, const unsigned char *data, long len,
                            char *why, size_t whylen);

/* Call fn on each PEM block of pem in turn. none: the reason when pem is not
 * empty but holds no block (an empty pem holds none, and that is no error).
 * @return how many blocks, or -1 with *why set (a damaged block, or what fn
 *         refused). */
static int pem_each(str_t pem, pem_block_fn fn, void *arg, const char *none, char *why, size_t whylen)
{
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    int n = 0;
    if (b == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (PEM_read_bio(b, &name, &header, &data, &len) != 1) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE && (n > 0 || pem.len == 0))
                break;
            if (n == 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                WHY("%s", none);
            else
                WHY("PEM block %d cannot be read (truncated or damaged)", n + 1);
            n = -1;
            break;
        }
        int rc = fn(arg, n, name, data, len, why, whylen);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (rc != 0) {
            n = -1;
            break;
        }
        n++;
    }
    BIO_free(b);
    return n;
}

typedef struct {
    int (*add)(trust_t *, const uint8_t *, size_t, int);
    trust_t *t;
    int anchor;
} bundle_t;

static int bundle_cert(void *arg, int index, const char *name, const unsigned char *data, long len, char *why,
                       size_t whylen)
{
    const bundle_t *bu = arg;
    int ok = strcmp(name, "CERTIFICATE") == 0;
    if (ok) {
        const unsigned char *p = data;
        X509 *x = d2i_X509(NULL, &p, len);
        ok = x != NULL && p == data + len;
        X509_free(x);
        ERR_clear_error();
    }
    if (!ok) {
        WHY("PEM block %d is a \"%s\", not a readable CERTIFICATE", index + 1, name);
        return -1;
    }
    if (bu->add != NULL && bu->add(bu->t, data, (size_t)len, bu->anchor) != 0) {
        WHY("certificate %d cannot be used (out of memory)", index + 1);
        return -1;
    }
    return 0;
}

static int read_bundle(str_t pem, int (*add)(trust_t *, const uint8_t *, size_t, int), trust_t *t, int anchor,
                       char *why, size_t whylen)
{
    bundle_t bu = {add, t, anchor};
    return pem_each(pem, bundle_cert, &bu, "holds no PEM certificate", why, whylen);
}

static int add_store_cert(trust_t *t, const uint8_t *der, size_t len, int anchor)
{
    unsigned char h[32];
    trust_cert_t *c = digest_sha256(der, len, h) == 0 ? cache_get(t, h, der, len) : NULL;
    if (c == NULL)
        return -1;
    if (anchor) {
        if (!c->is_anchor && X509_STORE_add_cert(t->store, c->x) != 1)
            return -1;
        c->is_anchor = 1;
        t->nanchors++;
    } else if (!c->is_intermediate) {
        c->is_intermediate = 1;
        if (!X509_up_ref(c->x))
            return -1;
        if (!sk_X509_push(t->intermediates, c->x)) {
            X509_free(c->x);
            return -1;
        }
    }
    return 0;
}

static int crl_block(void *arg, int index, const char *name, const unsigned char *data, long len, char *why,
                     size_t whylen)
{
    X509_CRL **out = arg;
    if (index == TRUST_MAX_CRLS_PER_FILE) {
        WHY("holds more than %d CRLs; give them as several files", TRUST_MAX_CRLS_PER_FILE);
        return -1;
    }
    X509_CRL *crl = NULL;
    if (strcmp(name, "X509 CRL") == 0) {
        const unsigned char *p = data;
        crl = d2i_X509_CRL(NULL, &p, len);
        if (crl != NULL && p != data + len) {
            X509_CRL_free(crl);
            crl = NULL;
        }
        ERR_clear_error();
    }
    if (crl == NULL) {
        WHY("PEM block %d is a \"%s\", not a readable X509 CRL", index + 1, name);
        return -1;
    }
    out[index] = crl;
    return 0;
}

/* The CRLs of one CRL file: one DER CRL, or PEM "X509 CRL" blocks, as many
 * as a bundle made with cat holds (each is used: a bundle's second CRL must
 * not be dropped unseen). Up to TRUST_MAX_CRLS_PER_FILE go to out.
 * @return how many, or -1 with *why set when the file is not wholly CRLs
 *         (a damaged block, another kind of block, trailing DER bytes). */
static int parse_crls(str_t in, X509_CRL **out, char *why, size_t whylen)
{
    if (!is_pem(in)) {
        const unsigned char *p = (const unsigned char *)in.ptr;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)in.len);
        ERR_clear_error();
        if (crl == NULL || p != (const unsigned char *)in.ptr + in.len) {
            X509_CRL_free(crl);
            WHY("not a CRL (DER or PEM X509 CRL expected)");
            return -1;
        }
        out[0] = crl;
        return 1;
    }
    int n = pem_each(in, crl_block, out, "not a CRL (DER or PEM X509 CRL expected)", why, whylen);
    if (n < 0)
        for (int i = 0; i < TRUST_MAX_CRLS_PER_FILE && out[i] != NULL; i++) {
            X509_CRL_free(out[i]);
            out[i] = NULL;
        }
    return n;
}

/* Why a CRL is not a complete CRL of its issuer, or NULL when it is. A delta
 * CRL lists only what changed since a base CRL, and an
 * issuingDistributionPoint may narrow a CRL to CA or end-entity
 * certificates, to some reasons, to one distribution point's certificates,
 * or make it an indirect CRL whose entries may be another CA's. Judged as
 * the issuer's CRL, any of them would let a revoked certificate pass
 * (issue of the review: an empty delta CRL replaced the CRL that revoked a
 * teacher). An extension present but unreadable is refused as well. */
static const char *crl_incomplete(X509_CRL *crl)
{
    const char *why = NULL;
    int crit = -1;
    ASN1_INTEGER *delta = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
    if (delta != NULL || crit != -1)
        why = "is a delta CRL (deltaCRLIndicator)";
    ASN1_INTEGER_free(delta);
    crit = -1;
    ISSUING_DIST_POINT *idp = why == NULL ? X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL)
                                          : NULL;
    if (why != NULL || (idp == NULL && crit == -1))
        ; /* decided, or no issuingDistributionPoint: complete */
    else if (idp == NULL)
        why = "has an issuingDistributionPoint that cannot be read";
    else if (idp->onlyCA > 0)
        why = "covers only CA certificates (issuingDistributionPoint onlyContainsCACerts)";
    else if (idp->onlyuser > 0)
        why = "covers only end-entity certificates (issuingDistributionPoint onlyContainsUserCerts)";
    else if (idp->onlyattr > 0)
        why = "covers only attribute certificates (issuingDistributionPoint onlyContainsAttributeCerts)";
    else if (idp->onlysomereasons != NULL)
        why = "covers only some revocation reasons (issuingDistributionPoint onlySomeReasons)";
    else if (idp->distpoint != NULL)
        why = "covers only the certificates of one distribution point (issuingDistributionPoint "
              "distributionPoint)";
    else if (idp->indirectCRL > 0)
        why = "is an indirect CRL (issuingDistributionPoint indirectCRL)";
    ISSUING_DIST_POINT_free(idp);
    ERR_clear_error();
    return why;
}

/* The anchor or intermediate with the CRL's issuer name that verifies it,
 * or NULL. */
static const trust_cert_t *crl_verifier(const trust_t *t, X509_CRL *crl)
{
    X509_NAME *issuer = X509_CRL_get_issuer(crl);
    for (size_t i = 0; i < t->nslots; i++) {
        trust_cert_t *c = t->slots[i];
        if (c == NULL || !(c->is_anchor || c->is_intermediate))
            continue;
        if (X509_NAME_cmp(X509_get_subject_name(c->x), issuer) == 0 && X509_CRL_verify(crl, c->pkey) == 1)
            return c;
    }
    ERR_clear_error();
    return NULL;
}

static int crl_verifies(const trust_t *t, X509_CRL *crl)
{
    return crl_verifier(t, crl) != NULL ? 0 : -1;
}

/* 1 when the CRL names is's name as its issuer (as X509_NAME_cmp compares
 * names, like crl_verifier) and is's key verifies it. */
static int crl_signed_by(X509_CRL *crl, const trust_issuer_t *is)
{
    const unsigned char *n = (const unsigned char *)is->name.ptr, *p = (const unsigned char *)is->spki.ptr;
    X509_NAME *name = d2i_X509_NAME(NULL, &n, (long)is->name.len);
    EVP_PKEY *key = name != NULL && X509_NAME_cmp(name, X509_CRL_get_issuer(crl)) == 0
                        ? d2i_PUBKEY(NULL, &p, (long)is->spki.len)
                        : NULL;
    int ok = key != NULL && X509_CRL_verify(crl, key) == 1;
    EVP_PKEY_free(key);
    X509_NAME_free(name);
    ERR_clear_error();
    return ok;
}

/* Keep copies of the remembered issuers (the inputs may be freed after the
 * build). */
static int copy_remembered(trust_t *t, const trust_inputs_t *in)
{
    size_t bytes = 0;
    for (size_t i = 0; i < in->nissuers; i++)
        bytes += in->issuers[i].name.len + in->issuers[i].spki.len;
    t->remembered = calloc(in->nissuers ? in->nissuers : 1, sizeof *t->remembered);
    t->remembered_buf = malloc(bytes ? bytes : 1);
    t->issuers = calloc(in->nissuers ? in->nissuers : 1, sizeof *t->issuers);
    t->remembered_name = calloc(in->nissuers ? in->nissuers : 1, sizeof *t->remembered_name);
    t->remembered_key = calloc(in->nissuers ? in->nissuers : 1, sizeof *t->remembered_key);
    t->remembered_key_ok = calloc(in->nissuers ? in->nissuers : 1, sizeof *t->remembered_key_ok);
    if (t->remembered == NULL || t->remembered_buf == NULL || t->issuers == NULL || t->remembered_name == NULL ||
        t->remembered_key == NULL || t->remembered_key_ok == NULL)
        return -1;
    t->nissuers = in->nissuers; /* from here trust_free frees the names decoded */
    uint8_t *w = t->remembered_buf;
    for (size_t i = 0; i < in->nissuers; i++) {
        const trust_issuer_t *is = &in->issuers[i];
        memcpy(w, is->name.ptr, is->name.len);
        memcpy(w + is->name.len, is->spki.ptr, is->spki.len);
        t->remembered[i].name = str_n(w, is->name.len);
        t->remembered[i].spki = str_n(w + is->name.len, is->spki.len);
        w += is->name.len + is->spki.len;
        trust_issuer_info_t *info = &t->issuers[i];
        if (trust_issuer_id(&t->remembered[i], info->id) != 0)
            return -1;
        str_hex(info->id, 4, info->hash);
        const unsigned char *p = (const unsigned char *)is->name.ptr;
        X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)is->name.len);
        name_cn(name, info->cn, sizeof info->cn);
        t->remembered_name[i] = name;
        p = (const unsigned char *)is->spki.ptr;
        X509_PUBKEY *xpk = d2i_X509_PUBKEY(NULL, &p, (long)is->spki.len);
        EVP_PKEY *pk = xpk != NULL ? X509_PUBKEY_get0(xpk) : NULL;
        /* a key that does not decode matches no certificate's */
        t->remembered_key_ok[i] = pk != NULL && key_id(xpk, pk, t->remembered_key[i]) == 0;
        X509_PUBKEY_free(xpk);
        ERR_clear_error();
    }
    return 0;
}

/* Add what is known of one stored CRL; with `by` (the store certificate
 * that verifies it) it is in use unless it is incomplete (crl_incomplete). */
static int add_crl(trust_t *t, size_t file, X509_CRL *crl, const trust_cert_t *by, const char *incomplete)
{
    trust_crl_info_t *grown = realloc(t->infos, (t->ninfos + 1) * sizeof *t->infos);
    X509_CRL **all = grown != NULL ? realloc(t->all, (t->ninfos + 1) * sizeof *t->all) : NULL;
    if (grown != NULL)
        t->infos = grown;
    if (all == NULL) {
        X509_CRL_free(crl);
        return -1;
    }
    t->all = all;
    trust_crl_info_t *info = &t->infos[t->ninfos];
    t->all[t->ninfos++] = crl;
    memset(info, 0, sizeof *info);
    info->file = file;
    const unsigned char *der = NULL;
    size_t dlen = 0;
    X509_NAME_get0_der(X509_CRL_get_issuer(crl), &der, &dlen);
    info->issuer.name = str_n(der, dlen);
    info->incomplete = incomplete;
    if (by != NULL) {
        info->issuer_known = 1;
        info->verifies = incomplete == NULL;
        trust_issuer_of_cert(by->der, by->der_len, &info->issuer);
        memcpy(info->issuer_id, by->ca_id, 32);
        /* a remembered issuer it is (issuer_is) names it: one CA, one id */
        for (size_t i = 0; i < t->nissuers; i++)
            if (issuer_is(t, i, X509_get_subject_name(by->x), by->key_id)) {
                info->issuer = t->remembered[i];
                memcpy(info->issuer_id, t->issuers[i].id, 32);
                break;
            }
    }
    for (size_t i = 0; !info->issuer_known && i < t->nissuers; i++) {
        if (crl_signed_by(crl, &t->remembered[i])) {
            info->issuer_known = 1;
            info->issuer = t->remembered[i];
            memcpy(info->issuer_id, t->issuers[i].id, 32);
        }
    }
    unsigned char h[32];
    if (!info->issuer_known && digest_sha256(der, dlen, h) != 0)
        return -1;
    str_hex(info->issuer_known ? info->issuer_id : h, 4, info->issuer_hash);
    name_cn(X509_CRL_get_issuer(crl), info->issuer_cn, sizeof info->issuer_cn);
    ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    BIGNUM *bn = number != NULL ? ASN1_INTEGER_to_BN(number, NULL) : NULL;
    char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
    if (dec != NULL)
        snprintf(info->number, sizeof info->number, "%s", dec);
    OPENSSL_free(dec);
    BN_free(bn);
    ASN1_INTEGER_free(number);
    ERR_clear_error();
    info->this_update = asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl));
    info->next_update = X509_CRL_get0_nextUpdate(crl) ? asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl)) : 0;
    if (info->verifies) {
        t->crls[t->ncrls].crl = crl;
        t->crls[t->ncrls].issuer = X509_CRL_get_issuer(crl);
        t->ncrls++;
    }
    return 0;
}

/* Where each remembered issuer stands, and the list of those none of whose
 * CRLs verifies now. */
static int judge_issuers(trust_t *t)
{
    t->unchecked = calloc(t->nissuers ? t->nissuers : 1, sizeof *t->unchecked);
    if (t->unchecked == NULL)
        return -1;
    for (size_t i = 0; i < t->nissuers; i++) {
        trust_issuer_info_t *is = &t->issuers[i];
        for (size_t k = 0; k < t->ninfos && !is->checked; k++)
            is->checked = t->infos[k].verifies && memcmp(t->infos[k].issuer_id, is->id, 32) == 0;
        for (size_t k = 0; k < t->nslots && !is->in_store; k++) {
            const trust_cert_t *c = t->slots[k];
            is->in_store = c != NULL && (c->is_anchor || c->is_intermediate) &&
                           issuer_is(t, i, X509_get_subject_name(c->x), c->key_id);
        }
        if (is->checked)
            continue;
        unchecked_t *u = &t->unchecked[t->nunchecked++];
        u->issuer = i;
        memcpy(u->cn, is->cn, sizeof u->cn);
        memcpy(u->hash, is->hash, sizeof u->hash);
    }
    return 0;
}

/* ---- public --------------------------------------------------------------- */

int trust_build(const trust_inputs_t *in, trust_t **out, char *why, size_t whylen)
{
    char sub[TRUST_WHY_LEN];
    trust_t *t = calloc(1, sizeof *t);
    *out = NULL;
    if (t == NULL) {
        WHY("out of memory");
        return -1;
    }
    pthread_rwlock_init(&t->lock, NULL);
    t->version = in->version;
    t->store = X509_STORE_new();
    t->intermediates = sk_X509_new_null();
    if (t->store == NULL || t->intermediates == NULL || cache_grow(t) != 0) {
        WHY("out of memory");
        goto fail;
    }
    if (in->anchors.len == 0) {
        WHY("no trust anchors are loaded (run: hocba-publish trust ANCHORS.pem)");
        goto fail;
    }
    if (read_bundle(in->anchors, add_store_cert, t, 1, sub, sizeof sub) < 0) {
        WHY("trust anchors: %s", sub);
        goto fail;
    }
    if (in->intermediates.len > 0 && read_bundle(in->intermediates, add_store_cert, t, 0, sub, sizeof sub) < 0) {
        WHY("intermediate certificates: %s", sub);
        goto fail;
    }
    /* Certificates added so far were checked against no CRL; CRLs come
     * next and the store certs' revocation is looked up again below. */
    t->crls = calloc(in->ncrls ? in->ncrls * TRUST_MAX_CRLS_PER_FILE : 1, sizeof *t->crls);
    if (t->crls == NULL || copy_remembered(t, in) != 0) {
        WHY("out of memory");
        goto fail;
    }
    for (size_t i = 0; i < in->ncrls; i++) {
        X509_CRL *file[TRUST_MAX_CRLS_PER_FILE] = {0};
        char bad[TRUST_WHY_LEN];
        int n = parse_crls(in->crls[i], file, bad, sizeof bad);
        if (n < 0)
            t->nrejected++; /* an unreadable file: counted as one */
        for (int k = 0; k < n; k++) {
            /* one stored before incomplete CRLs were refused is never used */
            const trust_cert_t *by = crl_verifier(t, file[k]);
            const char *incomplete = crl_incomplete(file[k]);
            t->nrejected += by == NULL || incomplete != NULL;
            if (add_crl(t, i, file[k], by, incomplete) != 0) {
                while (++k < n)
                    X509_CRL_free(file[k]);
                WHY("out of memory");
                goto fail;
            }
        }
    }
    if (judge_issuers(t) != 0) {
        WHY("out of memory");
        goto fail;
    }
    for (size_t i = 0; i < t->nslots; i++) {
        trust_cert_t *c = t->slots[i];
        if (c != NULL) {
            find_revocation(t, c);
            c->revocations_unknown = unchecked_of(t, c) != NULL;
        }
    }
    if (in->registry.len > 0 && parse_registry(in->registry, &t->reg, why, whylen) < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    trust_free(t);
    return -1;
}

void trust_free(trust_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nslots; i++) {
        if (t->slots[i] != NULL) {
            X509_free(t->slots[i]->x);
            free(t->slots[i]);
        }
    }
    free(t->slots);
    for (size_t i = 0; i < t->ninfos; i++)
        X509_CRL_free(t->all[i]);
    free(t->all);
    free(t->infos);
    free(t->crls);
    for (size_t i = 0; t->remembered_name != NULL && i < t->nissuers; i++)
        X509_NAME_free(t->remembered_name[i]);
    free(t->remembered_name);
    free(t->remembered_key);
    free(t->remembered_key_ok);
    free(t->remembered);
    free(t->remembered_buf);
    free(t->issuers);
    free(t->unchecked);
    registry_free(&t->reg);
    sk_X509_pop_free(t->intermediates, X509_free);
    X509_STORE_free(t->store);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

uint64_t trust_version(const trust_t *t)
{
    return t->version;
}

size_t trust_anchor_count(const trust_t *t)
{
    return t->nanchors;
}

size_t trust_crl_count(const trust_t *t)
{
    return t->ncrls;
}

size_t trust_crls_rejected(const trust_t *t)
{
    return t->nrejected;
}

size_t trust_school_count(const trust_t *t)
{
    return t->reg.nschools;
}

size_t trust_crl_infos(const trust_t *t, const trust_crl_info_t **out)
{
    *out = t->infos;
    return t->ninfos;
}

size_t trust_issuer_infos(const trust_t *t, const trust_issuer_info_t **out)
{
    *out = t->issuers;
    return t->nissuers;
}

size_t trust_issuers_unchecked(const trust_t *t)
{
    return t->nunchecked;
}

int trust_crl_signed_by(const trust_t *t, size_t i, const trust_issuer_t *candidate)
{
    return i < t->ninfos && crl_signed_by(t->all[i], candidate);
}

void trust_unchecked_issuer_name(const trust_t *t, const trust_cert_t *c, char *out, size_t n)
{
    const unchecked_t *u = unchecked_of(t, c);
    if (u != NULL)
        snprintf(out, n, "\"%s\" [%s]", u->cn, u->hash);
    else
        snprintf(out, n, "(unknown)");
    out[utf8_cut(out, strlen(out))] = '\0';
}

/* A cached chain may be reused when each certificate in it is known to the
 * store, or was supplied by this package. */
static int chain_usable(const trust_cert_t *c, const trust_der_t *extra, size_t nextra)
{
    for (int i = 0; i < c->chain.n; i++) {
        const trust_cert_t *e = c->chain.c[i];
        if (e->is_anchor || e->is_intermediate)
            continue;
        size_t k = 0;
        while (k < nextra && memcmp(extra[k].sha256, e->sha256, 32) != 0)
            k++;
        if (k == nextra)
            return 0;
    }
    return 1;
}

/* 1 when every CA certificate of c's cached chain is valid at at. */
static int chain_valid_at(const trust_cert_t *c, int64_t at)
{
    for (int i = 0; at != TRUST_ANY_TIME && i < c->chain.n; i++)
        if (at < c->chain.c[i]->not_before || at > c->chain.c[i]->not_after)
            return 0;
    return 1;
}

/* Chain building sees the dates (so it prefers issuers valid at the time
 * set) but does not fail on them: the caller checks validity itself. */
static int ignore_dates(int ok, X509_STORE_CTX *ctx)
{
    int err = X509_STORE_CTX_get_error(ctx);
    return ok || err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID;
}

int trust_cert_chain(trust_t *t, trust_cert_t *c, const trust_der_t *extra, size_t nextra, int64_t at,
                     trust_chain_t *out, char *why, size_t whylen)
{
    int rc = -1;
    pthread_rwlock_rdlock(&t->lock);
    int usable = c->chain_state == 1 && chain_usable(c, extra, nextra) && chain_valid_at(c, at);
    if (usable)
        *out = c->chain;
    pthread_rwlock_unlock(&t->lock);
    if (usable)
        return 0;
    pthread_rwlock_wrlock(&t->lock);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_dup(t->intermediates);
    if (ctx == NULL || untrusted == NULL) {
        WHY("out of memory");
        goto done;
    }
    for (size_t i = 0; i < nextra; i++) {
        trust_cert_t *e = cache_get(t, extra[i].sha256, extra[i].der, extra[i].len);
        if (e != NULL && e != c && !sk_X509_push(untrusted, e->x)) {
            WHY("out of memory");
            goto done;
        }
    }
    if (X509_STORE_CTX_init(ctx, t->store, c->x, untrusted) != 1) {
        WHY("out of memory");
        goto done;
    }
    if (at == TRUST_ANY_TIME) {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
    } else {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
        X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
        X509_STORE_CTX_set_verify_cb(ctx, ignore_dates);
    }
    if (X509_verify_cert(ctx) != 1) {
        int err = X509_STORE_CTX_get_error(ctx);
        if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
            err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
            WHY("the certificate does not chain to a trusted anchor (%s)", X509_verify_cert_error_string(err));
        else
            WHY("the certificate chain does not verify (%s)", X509_verify_cert_error_string(err));
        goto done;
    }
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int n = sk_X509_num(chain);
    if (n - 1 > TRUST_MAX_DEPTH) {
        WHY("the certificate chain is longer than %d", TRUST_MAX_DEPTH);
        goto done;
    }
    trust_chain_t found = {.n = n - 1};
    for (int i = 1; i < n; i++) {
        unsigned char h[32];
        unsigned int hl = 0;
        X509 *x = sk_X509_value(chain, i);
        if (X509_digest(x, EVP_sha256(), h, &hl) != 1 ||
            (found.c[i - 1] = cache_get(t, h, NULL, 0)) == NULL) {
            WHY("the certificate chain holds an unknown certificate");
            goto done;
        }
    }
    c->chain = found;
    c->chain_state = 1;
    *out = found;
    rc = 0;
done:
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

int trust_seal_registered(const trust_t *t, const char *school_code, const unsigned char sha256[32])
{
    const seal_t *e = seal_find(t->reg.seals, t->reg.nseals, sha256);
    for (; e != NULL && e < t->reg.seals + t->reg.nseals && memcmp(e->sha256, sha256, 32) == 0; e++)
        if (strcmp(e->code, school_code) == 0)
            return 1;
    return 0;
}

const char *trust_seal_school(const trust_t *t, const unsigned char sha256[32])
{
    const seal_t *e = seal_find(t->reg.seals, t->reg.nseals, sha256);
    return e != NULL ? e->code : NULL;
}

static const school_t *school_find(const trust_t *t, const char *code)
{
    school_t key;
    if (code == NULL || strlen(code) >= sizeof key.code || t->reg.nschools == 0)
        return NULL;
    memcpy(key.code, code, strlen(code) + 1);
    return bsearch(&key, t->reg.schools, t->reg.nschools, sizeof key, school_cmp);
}

static int hash_listed(const unsigned char (*list)[32], size_t n, const unsigned char sha256[32])
{
    return n > 0 && bsearch(sha256, list, n, 32, hash_cmp) != NULL;
}

int trust_registry_version(const trust_t *t)
{
    return t->reg.version;
}

int trust_staff_registered(const trust_t *t, const char *school_code, int role, const unsigned char sha256[32])
{
    const school_t *s = school_find(t, school_code);
    if (s == NULL)
        return TRUST_STAFF_UNBOUND;
    size_t n = role == TRUST_STAFF_PRINCIPAL ? s->nprincipals : s->nteachers;
    if (n == 0)
        return TRUST_STAFF_UNBOUND;
    return hash_listed(role == TRUST_STAFF_PRINCIPAL ? s->principals : s->teachers, n, sha256)
               ? TRUST_STAFF_LISTED
               : TRUST_STAFF_NOT_LISTED;
}

size_t trust_school_certs(const trust_t *t, const char *school_code, int role,
                          const unsigned char (**list)[32])
{
    const school_t *s = school_find(t, school_code);
    *list = NULL;
    if (s == NULL)
        return 0;
    if (role == TRUST_SCHOOL_SEAL) {
        *list = (const unsigned char(*)[32])s->seals;
        return s->nseals;
    }
    *list = (const unsigned char(*)[32])(role == TRUST_STAFF_PRINCIPAL ? s->principals : s->teachers);
    return role == TRUST_STAFF_PRINCIPAL ? s->nprincipals : s->nteachers;
}

void trust_subject_shown(const char *cn, const char *o, const char *l, char *out, size_t n)
{
    const char *const types[] = {"CN", "O", "L"}, *const vals[] = {cn, o, l};
    size_t k = 0;
    out[0] = '\0';
    for (int a = 0; a < 3; a++) {
        size_t len = strlen(vals[a]);
        if (len == 0)
            continue;
        int w = snprintf(out + k, n - k, "%s%s=", k ? "," : "", types[a]);
        if (w < 0 || (size_t)w >= n - k)
            break;
        k += (size_t)w;
        for (size_t i = 0; i < len && k + 3 < n; i++) {
            char ch = vals[a][i];
            if (strchr(",+\"\\<>;", ch) != NULL || (i == 0 && (ch == '#' || ch == ' ')) ||
                (i == len - 1 && ch == ' '))
                out[k++] = '\\';
            out[k++] = ch;
        }
        out[k] = '\0';
    }
    out[utf8_cut(out, k)] = '\0';
}

int trust_school_name(const trust_t *t, const char *school_code, const char *date, const char **name,
                      const char **province, const char **until)
{
    const school_t *s = school_find(t, school_code);
    if (s == NULL)
        return -1;
    *name = s->name;
    *province = s->province;
    if (until != NULL)
        *until = NULL;
    for (size_t i = 0; date != NULL && i < s->nformer; i++)
        if (strcmp(date, s->former[i].until) <= 0) {
            *name = s->former[i].name;
            *province = s->former[i].province;
            if (until != NULL)
                *until = s->former[i].until;
            break;
        }
    return 0;
}

const char *trust_school_code(const trust_t *t, size_t i)
{
    return i < t->reg.nschools ? t->reg.schools[i].code : NULL;
}

static int same_hashes(const unsigned char (*a)[32], size_t na, const unsigned char (*b)[32], size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * 32) == 0);
}

int trust_school_same(const trust_t *a, const trust_t *b, const char *school_code)
{
    const school_t *x = school_find(a, school_code), *y = school_find(b, school_code);
    if (x == NULL || y == NULL)
        return x == y;
    if (strcmp(x->name, y->name) != 0 || strcmp(x->province, y->province) != 0 || x->nformer != y->nformer ||
        !same_hashes(x->seals, x->nseals, y->seals, y->nseals) ||
        !same_hashes(x->principals, x->nprincipals, y->principals, y->nprincipals) ||
        !same_hashes(x->teachers, x->nteachers, y->teachers, y->nteachers))
        return 0;
    for (size_t i = 0; i < x->nformer; i++)
        if (strcmp(x->former[i].name, y->former[i].name) != 0 ||
            strcmp(x->former[i].province, y->former[i].province) != 0 ||
            strcmp(x->former[i].until, y->former[i].until) != 0)
            return 0;
    return 1;
}

int trust_check_crl(const trust_t *t, str_t in, char *why, size_t whylen)
{
    X509_CRL *file[TRUST_MAX_CRLS_PER_FILE] = {0};
    int n = parse_crls(in, file, why, whylen);
    for (int k = 0; k < n; k++) {
        if (crl_verifies(t, file[k]) != 0) {
            char issuer[256];
            X509_NAME_oneline(X509_CRL_get_issuer(file[k]), issuer, sizeof issuer);
            if (n > 1)
                WHY("CRL %d of the file: its signature does not verify against any trusted CA named %s",
                    k + 1, issuer);
            else
                WHY("the CRL's signature does not verify against any trusted CA named %s", issuer);
            n = -1;
            break;
        }
        const char *incomplete = crl_incomplete(file[k]);
        if (incomplete != NULL) {
            if (n > 1)
                WHY("CRL %d of the file %s: only a complete CRL of its issuer (every certificate, every "
                    "reason) is used; give the issuer's full CRL",
                    k + 1, incomplete);
            else
                WHY("the CRL %s: only a complete CRL of its issuer (every certificate, every reason) is "
                    "used; give the issuer's full CRL",
                    incomplete);
            n = -1;
            break;
        }
    }
    for (int k = 0; k < TRUST_MAX_CRLS_PER_FILE; k++)
        X509_CRL_free(file[k]);
    return n;
}

int trust_check_bundle(str_t pem, int need_one, char *why, size_t whylen)
{
    if (pem.len == 0) {
        if (need_one)
            WHY("the file is empty");
        return need_one ? -1 : 0;
    }
    return read_bundle(pem, NULL, NULL, 0, why, whylen);
}

int trust_check_registry(str_t json, char *why, size_t whylen)
{
    return parse_registry(json, NULL, why, whylen);
}
