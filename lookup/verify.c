/* verify.c — signature verification of a package, check by check. */
#include "verify.h"

#include "ber.h"
#include "utf8.h"
#include "vnfold.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const CHECK_NAMES[VERIFY_NCHECKS] = {
    "integrity", "signature", "chain", "validity", "revocation", "roles", "seal_registry", "staff_registry",
};

static const char *const REQUIRED_ROLES[] = {"homeroom_teacher", "principal", "school_seal"};

/* Algorithms are fetched once per process (platform-facts.md: fetching per
 * call costs more than the verification). Immutable after the once. */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *MDS[4];

/* Verification contexts, per thread, for the keys that signed lately.
 * Making one per signature (EVP_PKEY_CTX_new_from_pkey, verify_init,
 * set_signature_md) fetches the signature method under a global lock: 3.5
 * µs a signature, 7 % of a cold page. A thread keeps up to pctx_sets *
 * PCTX_WAYS of them (~400 bytes each), a set chosen by a hash of the key's
 * address, round robin within the set. A context holds a reference to its
 * key, so a slot's key pointer can never name a key freed and another
 * allocated at the same address. */
#define PCTX_WAYS 4
typedef struct {
    struct {
        EVP_PKEY *pkey;
        const EVP_MD *md;
        EVP_PKEY_CTX *ctx;
    } way[PCTX_WAYS];
    unsigned next; /* the way to reuse next */
} pctx_set_t;

typedef struct {
    unsigned nsets; /* a power of two */
    pctx_set_t set[];
} pctx_cache_t;

static unsigned pctx_sets = VERIFY_KEY_CONTEXTS / PCTX_WAYS;
static pthread_key_t pctx_key;
static int pctx_key_ok;

static void pctx_cache_free(void *p)
{
    pctx_cache_t *c = p;
    for (unsigned i = 0; c != NULL && i < c->nsets; i++)
        for (int k = 0; k < PCTX_WAYS; k++)
            EVP_PKEY_CTX_free(c->set[i].way[k].ctx);
    free(c);
}

/* The thread that exits last is often main, whose keys get no destructor. */
__attribute__((destructor)) static void pctx_main_thread_free(void)
{
    if (pctx_key_ok) {
        pctx_cache_free(pthread_getspecific(pctx_key));
        pthread_setspecific(pctx_key, NULL);
    }
}

void verify_set_key_contexts(unsigned per_thread)
{
    unsigned sets = 1;
    while (sets < 65536 && sets * 2 * PCTX_WAYS <= per_thread)
        sets *= 2;
    pctx_sets = sets;
}

static void fetch_mds(void)
{
    MDS[CMS_MD_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    MDS[CMS_MD_SHA384] = EVP_MD_fetch(NULL, "SHA2-384", NULL);
    MDS[CMS_MD_SHA512] = EVP_MD_fetch(NULL, "SHA2-512", NULL);
    pctx_key_ok = pthread_key_create(&pctx_key, pctx_cache_free) == 0;
}

/* This thread's context to verify md digests with pkey (RSA PKCS #1 v1.5 or
 * ECDSA), or NULL (then the caller makes a context of its own). */
static EVP_PKEY_CTX *pctx_get(EVP_PKEY *pkey, const EVP_MD *md)
{
    if (!pctx_key_ok)
        return NULL;
    pctx_cache_t *c = pthread_getspecific(pctx_key);
    if (c == NULL) {
        unsigned n = pctx_sets;
        if ((c = calloc(1, sizeof *c + n * sizeof c->set[0])) == NULL ||
            pthread_setspecific(pctx_key, c) != 0) {
            free(c);
            return NULL;
        }
        c->nsets = n;
    }
    uint64_t h = ((uint64_t)(uintptr_t)pkey ^ ((uint64_t)(uintptr_t)md >> 3)) * UINT64_C(0x9E3779B97F4A7C15);
    pctx_set_t *set = &c->set[(h >> 32) & (c->nsets - 1)];
    for (int k = 0; k < PCTX_WAYS; k++)
        if (set->way[k].pkey == pkey && set->way[k].md == md)
            return set->way[k].ctx;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    unsigned k = set->next;
    set->next = (k + 1) % PCTX_WAYS;
    EVP_PKEY_CTX_free(set->way[k].ctx);
    set->way[k].pkey = pkey;
    set->way[k].md = md;
    set->way[k].ctx = ctx;
    return ctx;
}

const char *verify_check_name(int check)
{
    return check >= 0 && check < VERIFY_NCHECKS ? CHECK_NAMES[check] : "unknown";
}

/* src into dst[0..n), cut on a character when it does not fit. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len > n - 1)
        len = utf8_cut(src, n - 1);
    memcpy(dst, src ? src : "", len);
    dst[len] = '\0';
}

/* At most max bytes of a certificate subject, for a message: cut on a
 * character, as "%.80s" would not. out holds max + 1 bytes. */
#define BRIEF_LEN 161
static const char *brief(const char *subject, size_t max, char *out)
{
    copy_str(out, max + 1, subject);
    return out;
}

static void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

__attribute__((format(printf, 5, 6))) static void item(verdict_t *v, int check, int signer, int ok,
                                                       const char *fmt, ...)
{
    if (!ok)
        v->ok = 0; /* even when there is no room left to say why */
    if (v->nitems == VERIFY_MAX_ITEMS)
        return;
    verify_item_t *it = &v->items[v->nitems++];
    it->check = check;
    it->signer = signer;
    it->ok = ok;
    /* most details, all those of a valid record but two, are plain text:
     * copied, not formatted (18 formattings were 2 µs of a cold page) */
    size_t n = strchr(fmt, '%') == NULL ? strlen(fmt) : 0;
    if (n > 0 && n < sizeof it->detail) {
        memcpy(it->detail, fmt, n + 1);
    } else {
        va_list ap;
        va_start(ap, fmt);
        int len = vsnprintf(it->detail, sizeof it->detail, fmt, ap);
        va_end(ap);
        if (len >= (int)sizeof it->detail) /* cut: end on a character */
            it->detail[utf8_cut(it->detail, sizeof it->detail - 1)] = '\0';
    }
}


int verify_pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *derlen)
{
    BIO *b = BIO_new_mem_buf(in, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    int rc = -1;
    if (b != NULL && PEM_read_bio(b, &name, &header, &data, &n) == 1 &&
        (strcmp(name, "CMS") == 0 || strcmp(name, "PKCS7") == 0) && n > 0) {
        *der = malloc((size_t)n);
        if (*der != NULL) {
            memcpy(*der, data, (size_t)n);
            *derlen = (size_t)n;
            rc = 0;
        }
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(b);
    ERR_clear_error();
    return rc;
}

/* RSASSA-PSS parameters: hash, MGF1 hash, salt length. SHA-1 defaults are refused. */
static int setup_pss(EVP_PKEY_CTX *pctx, const der_elem_t *params, const EVP_MD *md)
{
    if (params->rawlen == 0)
        return -1;
    const unsigned char *p = params->raw;
    RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &p, (long)params->rawlen);
    int rc = -1;
    if (pss == NULL || pss->hashAlgorithm == NULL || pss->maskGenAlgorithm == NULL)
        goto done;
    const ASN1_OBJECT *obj;
    X509_ALGOR_get0(&obj, NULL, NULL, pss->hashAlgorithm);
    if (OBJ_obj2nid(obj) != EVP_MD_get_type(md))
        goto done;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&obj, &ptype, &pval, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE)
        goto done;
    const ASN1_STRING *seq = pval;
    const unsigned char *q = ASN1_STRING_get0_data(seq);
    X509_ALGOR *mgfmd = d2i_X509_ALGOR(NULL, &q, ASN1_STRING_length(seq));
    if (mgfmd == NULL)
        goto done;
    X509_ALGOR_get0(&obj, NULL, NULL, mgfmd);
    const EVP_MD *mgf = EVP_get_digestbynid(OBJ_obj2nid(obj));
    X509_ALGOR_free(mgfmd);
    long salt = pss->saltLength ? ASN1_INTEGER_get(pss->saltLength) : 20;
    if (mgf == NULL || EVP_MD_get_type(mgf) == NID_sha1 || salt < 0 || salt > 1024)
        goto done;
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf) > 0 && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)salt) > 0)
        rc = 0;
done:
    RSA_PSS_PARAMS_free(pss);
    return rc;
}

/* Verify the signature over the signed attributes attrs[0..len) (DER; the
 * first octet is taken as SET, RFC 5652 §5.4).
 * @return 0 verified, 1 it does not verify, -1 cannot be checked (why set) */
static int verify_attrs(const cms_signer_t *s, EVP_PKEY *pkey, const uint8_t *attrs, size_t len, char *why,
                        size_t whylen)
{
    uint8_t small[1024];
    uint8_t *buf = len <= sizeof small ? small : malloc(len);
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = MDS[s->md];
    int rc = -1;
    if (buf == NULL || md == NULL) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    memcpy(buf, attrs, len);
    buf[0] = DER_SET;
    int id = EVP_PKEY_get_base_id(pkey);
    int rsa = id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
    if ((s->sig == CMS_SIG_ECDSA && id != EVP_PKEY_EC) || (s->sig != CMS_SIG_ECDSA && !rsa)) {
        snprintf(why, whylen, "the signature algorithm does not match the certificate's key");
        goto done;
    }
    /* PKCS #1 v1.5 and ECDSA: digest here, verify with this thread's context
     * for the key (RSASSA-PSS sets parameters per signature: the long way) */
    if (s->sig != CMS_SIG_RSA_PSS && id != EVP_PKEY_RSA_PSS && (pctx = pctx_get(pkey, md)) != NULL) {
        unsigned char dig[EVP_MAX_MD_SIZE];
        unsigned dlen = 0;
        rc = EVP_Digest(buf, len, dig, &dlen, md, NULL) == 1 &&
                     EVP_PKEY_verify(pctx, s->signature, s->signature_len, dig, dlen) == 1
                 ? 0
                 : 1;
        goto done;
    }
    if ((mctx = EVP_MD_CTX_new()) == NULL || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
        snprintf(why, whylen, "the signature cannot be checked with this certificate's key");
        goto done;
    }
    if (s->sig == CMS_SIG_RSA_PSS && setup_pss(pctx, &s->sig_params, md) != 0) {
        snprintf(why, whylen, "the RSASSA-PSS parameters are missing, weak (SHA-1) or inconsistent");
        goto done;
    }
    rc = EVP_DigestVerify(mctx, s->signature, s->signature_len, buf, len) == 1 ? 0 : 1;
done:
    ERR_clear_error();
    EVP_MD_CTX_free(mctx);
    if (buf != small)
        free(buf);
    return rc;
}

/* A certificate of a signer's chain, as a check's detail names it. A CA by
 * its subject (an organisation, useful to an operator); the signer's own
 * certificate never: its subject names a person, their school, and may
 * carry an identity number, and details are shown for invalid records,
 * which name nobody (http.md). The check's role says whose it is. */
static const char *who_is(const trust_cert_t *c, int chain_pos, char sb[BRIEF_LEN])
{
    char b[BRIEF_LEN];
    if (chain_pos < 0)
        return "the signer's certificate";
    snprintf(sb, BRIEF_LEN, "a CA certificate of its chain (%s)", brief(c->subject, 80, b));
    return sb;
}

/* The signed attributes as the file sends them, each re-encoded in DER but
 * kept in the order received, as a SET: what OpenSSL verifies over
 * (CMS_Attributes_Verify), and what a signer that does not sort them signs.
 * *out is malloc'd. */
static int attrs_in_sent_order(const cms_signer_t *s, uint8_t **out, size_t *outlen)
{
    der_cur_t c = der_cursor_ber(s->attrs_sent, s->attrs_sentlen);
    der_elem_t top, a;
    size_t n = 6; /* room for the SET's header */
    uint8_t *buf = malloc(n + s->attrslen);
    if (buf == NULL || der_next(&c, &top) != DER_OK)
        goto fail;
    der_cur_t in = der_inside(&top);
    while (der_next(&in, &a) == DER_OK) {
        uint8_t *d;
        size_t dl;
        if (ber_to_der(a.raw, a.rawlen, 0, &d, &dl, NULL, 0) != 0)
            goto fail;
        if (dl > 6 + s->attrslen - n) { /* the same elements as the DER, so it fits */
            free(d);
            goto fail;
        }
        memcpy(buf + n, d, dl);
        n += dl;
        free(d);
    }
    /* the header in front, as DER writes it */
    size_t clen = n - 6, h = clen < 0x80 ? 2 : clen < 0x100 ? 3 : clen < 0x10000 ? 4 : 5;
    uint8_t *p = buf + 6 - h;
    p[0] = DER_SET;
    if (h == 2) {
        p[1] = (uint8_t)clen;
    } else {
        p[1] = (uint8_t)(0x80 | (h - 2));
        for (size_t i = 0; i < h - 2; i++)
            p[2 + i] = (uint8_t)(clen >> (8 * (h - 3 - i)));
    }
    memmove(buf, p, h + clen);
    *out = buf;
    *outlen = h + clen;
    return 0;
fail:
    free(buf);
    return -1;
}

/* The signature covers the DER of the signed attributes as a SET (tag 0x31),
 * not as the [0] IMPLICIT that is on the wire (RFC 5652 §5.4); attributes
 * that came in another encoding are their DER re-encoding by now. A signer
 * may instead have hashed them in the order it sends them, each in DER but
 * the SET unsorted: `openssl cms -verify` verifies over that order
 * (CMS_Attributes_Verify), so a vendor who tests with it sees such files
 * verify, and they are accepted here too (decisions.md). Both are the same
 * attributes, read from the DER bytes, so neither shows other values. */
static int check_signature(const cms_signer_t *s, EVP_PKEY *pkey, char *why, size_t whylen)
{
    int rc = verify_attrs(s, pkey, s->attrs, s->attrslen, why, whylen);
    if (rc <= 0)
        return rc;
    if (!s->attrs_ber) {
        snprintf(why, whylen, "the signature does not verify with the signer's public key");
        return -1;
    }
    uint8_t *sent = NULL;
    size_t n = 0;
    rc = -1;
    if (attrs_in_sent_order(s, &sent, &n) == 0 && (n != s->attrslen || memcmp(sent, s->attrs, n) != 0))
        rc = verify_attrs(s, pkey, sent, n, why, whylen);
    free(sent);
    if (rc != 0)
        snprintf(why, whylen, "%s",
                 "the signature does not verify with the signer's public key over the DER encoding of its "
                 "signed attributes (RFC 5652 §5.4), sorted or in the order the file sends them");
    return rc;
}

/* Validity of the chain at t; writes the first problem into why. */
static int check_validity(const trust_cert_t *leaf, const trust_chain_t *chain, int64_t t,
                          int64_t published_at, char *why, size_t whylen)
{
    char ts[32], ws[32], sb[BRIEF_LEN];
    if (t > published_at + VERIFY_SKEW) {
        format_time(t, ts);
        format_time(published_at, ws);
        snprintf(why, whylen, "the signing time %s is later than the publication time %s", ts, ws);
        return -1;
    }
    if (!leaf->usage_ok) {
        snprintf(why, whylen, "the certificate's key usage allows neither digitalSignature nor nonRepudiation");
        return -1;
    }
    int n = chain != NULL ? chain->n : 0;
    for (int i = -1; i < n; i++) {
        const trust_cert_t *c = i < 0 ? leaf : chain->c[i];
        if (t < c->not_before) {
            format_time(t, ts);
            format_time(c->not_before, ws);
            snprintf(why, whylen, "%s was not yet valid at the signing time %s: valid from %s", who_is(c, i, sb), ts,
                     ws);
            return -1;
        }
        if (t > c->not_after) {
            format_time(t, ts);
            format_time(c->not_after, ws);
            snprintf(why, whylen, "%s had expired at the signing time %s: valid until %s", who_is(c, i, sb), ts, ws);
            return -1;
        }
    }
    return 0;
}

/* Revocation of the signer's certificate and of each CA certificate of its
 * chain but the anchor. *unknown receives the first CA of the chain whose
 * revocations cannot be judged now (a remembered issuer none of whose CRLs
 * verifies, §6): a flag the store set once for its version, so this costs
 * a read per certificate. */
static int check_revocation(const trust_cert_t *leaf, const trust_chain_t *chain, int64_t t, char *why,
                            size_t whylen, const trust_cert_t **unknown)
{
    int n = chain != NULL ? chain->n : 0;
    *unknown = NULL;
    for (int i = -1; i < n; i++) {
        const trust_cert_t *c = i < 0 ? leaf : chain->c[i];
        if (c->is_anchor)
            continue;
        if (i + 1 < n && chain->c[i + 1]->revocations_unknown && *unknown == NULL)
            *unknown = chain->c[i + 1];
        if (!c->revoked)
            continue;
        if (c->revoked_key_compromise || c->revoked_at <= t) {
            char ws[32], sb[BRIEF_LEN];
            format_time(c->revoked_at, ws);
            snprintf(why, whylen, "%s was revoked by its CA on %s%s", who_is(c, i, sb), ws,
                     c->revoked_key_compromise ? " because its key was compromised" : ", before the signing time");
            return -1;
        }
    }
    return 0;
}

/* The declared signer index whose certificate_sha256 equals h, or -1. */
/* The declared signer a signature by the certificate with hash h stands
 * for: the first declaration of that hash that no earlier signature has
 * taken (§5: one SignerInfo per declared signer). So one person declared in
 * two roles signs once for each, and a second signature where one is
 * declared is not declared. */
static int declared_by_hash(const payload_t *p, const verdict_t *v, const unsigned char h[32])
{
    for (size_t i = 0; p != NULL && i < p->nsigners; i++) {
        if (memcmp(p->signers[i].cert_sha256, h, 32) != 0)
            continue;
        int taken = 0;
        for (size_t j = 0; j < v->nsigners && !taken; j++)
            taken = v->signers[j].has_signature && v->signers[j].declared == (int)i;
        if (!taken)
            return (int)i;
    }
    return -1;
}

static int signer_with_role(const verdict_t *v, const char *role)
{
    for (size_t i = 0; i < v->nsigners; i++)
        if (v->signers[i].declared >= 0 && strcmp(v->signers[i].role, role) == 0)
            return (int)i;
    return -1;
}

/* The declared signer with this role who signed, with a known key, or NULL. */
static const verify_signer_t *signed_with_role(const verdict_t *v, const char *role)
{
    int i = signer_with_role(v, role);
    return i >= 0 && v->signers[i].has_signature && v->signers[i].has_key ? &v->signers[i] : NULL;
}

/* Check 6 for a transcript (§5): the required roles are declared (that each
 * declared signer signed is check_declarations'); no one signs with the
 * seal: a certificate registered as any school's seal signs only as
 * school_seal, and the seal's key is neither the teacher's nor the
 * principal's; and the teacher and the principal sign with two keys, unless
 * the one certificate is listed as both principal and teacher of the school
 * (one person in both posts). A key is the key itself (trust_cert_t.key_id),
 * so a second certificate for one key is the same key. */
static void check_roles_transcript(verdict_t *v, trust_t *trust, const char *school)
{
    int ok = 1, both_posts = 0;
    unsigned char bad[VERIFY_MAX_SIGNERS] = {0};
    for (size_t r = 0; r < sizeof REQUIRED_ROLES / sizeof *REQUIRED_ROLES; r++) {
        int i = signer_with_role(v, REQUIRED_ROLES[r]);
        if (i < 0) {
            item(v, VERIFY_ROLES, -1, 0, "required role %s is not declared in signers", REQUIRED_ROLES[r]);
            ok = 0;
        }
    }
    const verify_signer_t *seal = signed_with_role(v, "school_seal"),
                          *teacher = signed_with_role(v, "homeroom_teacher"),
                          *principal = signed_with_role(v, "principal");
    for (size_t i = 0; i < v->nsigners; i++) {
        const verify_signer_t *s = &v->signers[i];
        if (!s->has_signature || s->declared < 0 || strcmp(s->role, "school_seal") == 0)
            continue;
        const char *seal_of = trust_seal_school(trust, s->cert_sha256);
        if (seal_of != NULL)
            item(v, VERIFY_ROLES, (int)i, 0,
                 "the certificate is registered as the school seal of %.24s; a seal certificate signs only as "
                 "school_seal",
                 seal_of);
        else if (seal != NULL && (s == teacher || s == principal) && memcmp(s->key_id, seal->key_id, 32) == 0)
            item(v, VERIFY_ROLES, (int)i, 0,
                 "signed with the school seal's key; the seal's key is never a person's");
        else
            continue;
        bad[i] = 1;
        ok = 0;
    }
    if (teacher != NULL && principal != NULL && !bad[teacher - v->signers] && !bad[principal - v->signers] &&
        memcmp(teacher->key_id, principal->key_id, 32) == 0) {
        both_posts = memcmp(teacher->cert_sha256, principal->cert_sha256, 32) == 0 &&
                     trust_staff_registered(trust, school, TRUST_STAFF_PRINCIPAL, principal->cert_sha256) ==
                         TRUST_STAFF_LISTED &&
                     trust_staff_registered(trust, school, TRUST_STAFF_TEACHER, teacher->cert_sha256) ==
                         TRUST_STAFF_LISTED;
        if (!both_posts) {
            item(v, VERIFY_ROLES, (int)(principal - v->signers), 0,
                 "the homeroom teacher and the principal signed with one key; one person signs for both posts "
                 "only with one certificate that the school registry lists as both principal and teacher of "
                 "school %.24s",
                 school);
            ok = 0;
        }
    }
    if (ok)
        item(v, VERIFY_ROLES, -1, 1,
             both_posts ? "homeroom teacher, principal and school seal are declared and signed; the principal, "
                          "registered for both posts, is also the homeroom teacher"
                        : "homeroom teacher, principal and school seal are declared and signed, each with a key of "
                          "its own");
}

/* Whatever the schema: every declared signer signed, every signature declared. */
static void check_declarations(verdict_t *v)
{
    for (size_t i = 0; i < v->nsigners; i++) {
        verify_signer_t *s = &v->signers[i];
        char h[17];
        str_hex(s->cert_sha256, 8, h);
        if (s->declared < 0)
            item(v, VERIFY_ROLES, (int)i, 0, "a signature by certificate %s... is not declared in signers", h);
        else if (!s->has_signature)
            item(v, VERIFY_ROLES, (int)i, 0,
                 "%s is declared with certificate_sha256 %s... but no signature was made with that "
                 "certificate",
                 s->role, h);
    }
}

static void check_seal(verdict_t *v, trust_t *trust, const char *school, int signer)
{
    const verify_signer_t *s = &v->signers[signer];
    if (trust_seal_registered(trust, school, s->cert_sha256)) {
        item(v, VERIFY_SEAL_REGISTRY, signer, 1, "the seal certificate is registered to school %.24s", school);
        return;
    }
    const char *other = trust_seal_school(trust, s->cert_sha256);
    if (other != NULL)
        item(v, VERIFY_SEAL_REGISTRY, signer, 0,
             "the school_seal certificate is registered to another school (%.24s), not to %.24s", other, school);
    else
        item(v, VERIFY_SEAL_REGISTRY, signer, 0,
             "the school_seal certificate is not registered to school %.24s in the school registry", school);
}

/* Check 8 (§5): where the registry lists principal (teacher) certificates
 * for the school, the principal (homeroom teacher) signed with one of them.
 * Where it lists none, or is v1, there is nothing to check and no item. */
static void check_staff(verdict_t *v, trust_t *trust, const char *school)
{
    static const struct {
        const char *role, *list, *who;
        int staff;
    } R[] = {
        {"principal", "principal_certificates", "principal", TRUST_STAFF_PRINCIPAL},
        {"homeroom_teacher", "teacher_certificates", "homeroom teacher", TRUST_STAFF_TEACHER},
    };
    for (size_t r = 0; r < sizeof R / sizeof *R; r++) {
        int i = signer_with_role(v, R[r].role);
        if (i < 0 || !v->signers[i].has_signature)
            continue;
        int st = trust_staff_registered(trust, school, R[r].staff, v->signers[i].cert_sha256);
        if (st == TRUST_STAFF_LISTED)
            item(v, VERIFY_STAFF_REGISTRY, i, 1, "the %s certificate is registered to school %.24s", R[r].who,
                 school);
        else if (st == TRUST_STAFF_NOT_LISTED)
            item(v, VERIFY_STAFF_REGISTRY, i, 0,
                 "the %s certificate is not among the %s that the school registry lists for school %.24s",
                 R[r].who, R[r].list, school);
    }
}

/* Per SignerInfo: integrity, signature, chain, validity, revocation. */
/* The payload's digest per algorithm, computed at most once per package. */
typedef struct {
    const uint8_t *payload;
    size_t len;
    unsigned char d[4][EVP_MAX_MD_SIZE];
    unsigned int dlen[4];
} digests_t;

static int payload_digest(digests_t *dg, int md, const unsigned char **out, unsigned int *outlen)
{
    if (dg->dlen[md] == 0 && EVP_Digest(dg->payload, dg->len, dg->d[md], &dg->dlen[md], MDS[md], NULL) != 1)
        return -1;
    *out = dg->d[md];
    *outlen = dg->dlen[md];
    return 0;
}

/* A stored record must be the one its lookup code names: the code is
 * derived from the payload's SHA-256, so a record moved or copied under
 * another code (a damaged or altered index) is not shown as that code's. */
static void check_code(verdict_t *v, digests_t *dg, const char code[CODE_LEN])
{
    const unsigned char *d;
    unsigned int dlen = 0;
    char derived[CODE_LEN];
    if (payload_digest(dg, CMS_MD_SHA256, &d, &dlen) != 0) {
        item(v, VERIFY_INTEGRITY, -1, 0, "the payload digest cannot be computed");
        return;
    }
    code_from_digest(d, derived);
    if (memcmp(derived, code, CODE_LEN) != 0)
        item(v, VERIFY_INTEGRITY, -1, 0,
             "the stored payload is not the one this lookup code was made from (its SHA-256 gives another "
             "code): the record was moved or altered after publication");
}

static void check_signer(verdict_t *v, trust_t *trust, const payload_t *p, const cms_signed_t *sd, size_t k,
                         digests_t *dg, const trust_der_t *extra, int64_t published_at, int registry_only)
{
    const cms_signer_t *s = &sd->signers[k];
    int idx = (int)v->nsigners++;
    verify_signer_t *vs = &v->signers[idx];
    trust_cert_t *cert = NULL;
    char why[VERIFY_DETAIL_LEN], anchor[BRIEF_LEN];

    memset(vs, 0, sizeof *vs);
    vs->declared = -1;
    vs->has_signature = 1;
    vs->signing_time = s->has_signing_time ? s->signing_time : -1;
    copy_str(vs->role, sizeof vs->role, "undeclared");
    if (s->cert >= 0) {
        cert = trust_cert_get(trust, &extra[s->cert]);
        memcpy(vs->cert_sha256, extra[s->cert].sha256, 32);
        if (cert != NULL) {
            copy_str(vs->cn, sizeof vs->cn, cert->cn);
            copy_str(vs->o, sizeof vs->o, cert->o);
            copy_str(vs->l, sizeof vs->l, cert->l);
            memcpy(vs->key_id, cert->key_id, 32);
            vs->has_key = 1;
        }
        vs->declared = declared_by_hash(p, v, vs->cert_sha256);
        if (vs->declared >= 0) {
            copy_str(vs->role, sizeof vs->role, p->signers[vs->declared].role);
            copy_str(vs->name, sizeof vs->name, p->signers[vs->declared].name);
        }
    }
    if (registry_only)
        return;
    if (s->cert < 0 || cert == NULL || (s->problem && s->message_digest == NULL)) {
        item(v, VERIFY_SIGNATURE, idx, 0, "signature %zu cannot be checked: %s", k + 1,
             cert == NULL && s->cert >= 0 ? "its certificate cannot be read" : s->problem);
        return;
    }
    /* integrity */
    const unsigned char *d;
    unsigned int dlen = 0;
    if (payload_digest(dg, s->md, &d, &dlen) != 0) {
        item(v, VERIFY_INTEGRITY, idx, 0, "the payload digest cannot be computed");
        return;
    }
    if (s->message_digest_len == dlen && CRYPTO_memcmp(d, s->message_digest, dlen) == 0)
        item(v, VERIFY_INTEGRITY, idx, 1, "the payload is exactly what was signed");
    else
        item(v, VERIFY_INTEGRITY, idx, 0, "the payload differs from what was signed (altered after signing)");
    /* signature */
    if (s->problem != NULL)
        item(v, VERIFY_SIGNATURE, idx, 0, "%s", s->problem);
    else if (cert->key_problem != NULL)
        item(v, VERIFY_SIGNATURE, idx, 0, "%s", cert->key_problem);
    else if (cert->not_der)
        item(v, VERIFY_SIGNATURE, idx, 0,
             "the certificate is not DER-encoded: a certificate in the signature file must be DER");
    else if (check_signature(s, cert->pkey, why, sizeof why) != 0)
        item(v, VERIFY_SIGNATURE, idx, 0, "%s", why);
    else
        item(v, VERIFY_SIGNATURE, idx, 1, "the signature verifies with the certificate's key");
    /* chain */
    trust_chain_t chain;
    int chained = trust_cert_chain(trust, cert, extra, sd->ncerts,
                                   s->has_signing_time ? s->signing_time : TRUST_ANY_TIME, &chain, why,
                                   sizeof why) == 0;
    if (chained)
        item(v, VERIFY_CHAIN, idx, 1, "the certificate chains to the trust anchor %s",
             brief(chain.n > 0 ? chain.c[chain.n - 1]->subject : cert->subject, 160, anchor));
    else
        item(v, VERIFY_CHAIN, idx, 0, "%s", why);
    /* validity and revocation need a signing time */
    if (!s->has_signing_time) {
        item(v, VERIFY_VALIDITY, idx, 0, "the signing time is missing");
        return;
    }
    if (check_validity(cert, chained ? &chain : NULL, s->signing_time, published_at, why, sizeof why) != 0)
        item(v, VERIFY_VALIDITY, idx, 0, "%s", why);
    else
        item(v, VERIFY_VALIDITY, idx, 1, "the certificates were valid at the signing time");
    const trust_cert_t *unknown;
    if (check_revocation(cert, chained ? &chain : NULL, s->signing_time, why, sizeof why, &unknown) != 0) {
        item(v, VERIFY_REVOCATION, idx, 0, "%s", why);
    } else if (unknown != NULL) {
        char ca[sizeof v->unjudged_ca];
        trust_unchecked_issuer_name(trust, unknown, ca, sizeof ca);
        if (v->unjudged++ == 0)
            memcpy(v->unjudged_ca, ca, sizeof ca);
        item(v, VERIFY_REVOCATION, idx, 1,
             "no loaded CRL revokes the certificate, but the revocations of its CA %s cannot be checked now: "
             "none of that CA's CRLs verifies against the trust store",
             ca);
    } else {
        item(v, VERIFY_REVOCATION, idx, 1, "no loaded CRL revokes the certificate");
    }
}

int verify_package(trust_t *trust, const payload_t *p, const uint8_t *payload, size_t plen, const uint8_t *cms,
                   size_t cmslen, int64_t published_at, const unsigned char *recall_target_principal,
                   verdict_t *v)
{
    return verify_package_shared(trust, p, payload, plen, cms, cmslen, published_at, recall_target_principal, NULL,
                                 v);
}

int verify_package_shared(trust_t *trust, const payload_t *p, const uint8_t *payload, size_t plen,
                          const uint8_t *cms, size_t cmslen, int64_t published_at,
                          const unsigned char *recall_target_principal, verify_shared_t *shared, verdict_t *v)
{
    cms_signed_t *sd = malloc(sizeof *sd);
    uint8_t *der = NULL, *attrs_der[CMS_MAX_SIGNERS] = {NULL};
    size_t derlen = 0;
    trust_der_t extra[CMS_MAX_CERTS];
    digests_t dg;
    char why[VERIFY_DETAIL_LEN];
    int rc = 0;

    pthread_once(&md_once, fetch_mds);
    memset(dg.dlen, 0, sizeof dg.dlen);
    /* Only the counts: items and signers are written whole as they are added
     * (a verdict is 40 KB; clearing it all cost more than a hash). */
    v->nitems = v->nsigners = 0;
    v->ok = 1;
    v->unjudged = 0;
    v->unjudged_ca[0] = '\0';
    if (shared != NULL)
        shared->ncerts = 0, shared->has_digest = 0;
    if (sd == NULL)
        return -1;
    if (cmslen >= 11 && memcmp(cms, "-----BEGIN ", 11) == 0) {
        if (verify_pem_to_der(cms, cmslen, &der, &derlen) != 0) {
            item(v, VERIFY_SIGNATURE, -1, 0, "the signature file is not a CMS structure (unreadable PEM)");
            goto done;
        }
        cms = der;
        cmslen = derlen;
    }
    if (cms_parse(cms, cmslen, sd, why, sizeof why) != CMS_OK) {
        item(v, VERIFY_SIGNATURE, -1, 0, "%s", why);
        goto done;
    }
    /* Signed attributes in BER: their DER is what was signed, and what the
     * checks read (messageDigest, signingTime), never the file's bytes */
    for (size_t k = 0; k < sd->nsigners; k++) {
        cms_signer_t *s = &sd->signers[k];
        size_t n;
        if (!s->attrs_ber)
            continue;
        int e = ber_to_der(s->attrs, s->attrslen, DER_SET, &attrs_der[k], &n, NULL, 0);
        if (e == -ENOMEM) {
            rc = -1;
            goto done;
        }
        if (e == 0) /* else it keeps its problem: cms_parse found the attributes well-formed */
            cms_signer_read_attrs(s, attrs_der[k], n);
    }
    for (size_t i = 0; i < sd->ncerts; i++) {
        const unsigned char *hint = shared != NULL && shared->cert_hints != NULL && i < shared->ncert_hints
                                        ? shared->cert_hints + 32 * i
                                        : NULL;
        if (trust_der_hinted(trust, &extra[i], sd->certs[i].der, sd->certs[i].len, hint) != 0) {
            rc = -1; /* out of memory: no verdict rather than a wrong one */
            goto done;
        }
    }
    if (shared != NULL) {
        for (size_t i = 0; i < sd->ncerts; i++)
            memcpy(shared->cert_sha256[i], extra[i].sha256, 32);
        shared->ncerts = sd->ncerts;
    }
    dg.payload = payload;
    dg.len = plen;
    if (shared != NULL && shared->payload_sha256 != NULL) {
        memcpy(dg.d[CMS_MD_SHA256], shared->payload_sha256, 32);
        dg.dlen[CMS_MD_SHA256] = 32;
    }
    if (shared != NULL && shared->code != NULL)
        check_code(v, &dg, shared->code);
    for (size_t k = 0; k < sd->nsigners; k++)
        check_signer(v, trust, p, sd, k, &dg, extra, published_at, shared != NULL && shared->registry_only);

    if (p == NULL) {
        item(v, VERIFY_ROLES, -1, 0, "the stored payload is no longer a valid document");
        goto done;
    }
    /* declared signers that did not sign */
    for (size_t i = 0; i < p->nsigners; i++) {
        int found = 0;
        for (size_t j = 0; j < v->nsigners; j++)
            found |= v->signers[j].declared == (int)i;
        if (found || v->nsigners == VERIFY_MAX_SIGNERS)
            continue;
        verify_signer_t *vs = &v->signers[v->nsigners++];
        memset(vs, 0, sizeof *vs);
        vs->declared = (int)i;
        vs->signing_time = -1;
        copy_str(vs->role, sizeof vs->role, p->signers[i].role);
        copy_str(vs->name, sizeof vs->name, p->signers[i].name);
        memcpy(vs->cert_sha256, p->signers[i].cert_sha256, 32);
    }
    check_declarations(v);

    int seal = signer_with_role(v, "school_seal");
    if (p->kind == PAYLOAD_TRANSCRIPT) {
        check_roles_transcript(v, trust, p->school_code);
        if (seal >= 0 && v->signers[seal].has_signature)
            check_seal(v, trust, p->school_code, seal);
        else
            item(v, VERIFY_SEAL_REGISTRY, -1, 0, "the school seal did not sign");
        check_staff(v, trust, p->school_code);
    } else {
        /* A recall is authorised by a seal registered to the school, or by
         * the principal who signed the recalled transcript while the
         * registry still lists that certificate where it lists any (§4). */
        int principal = signer_with_role(v, "principal");
        int by_seal = seal >= 0 && v->signers[seal].has_signature &&
                      trust_seal_registered(trust, p->school_code, v->signers[seal].cert_sha256);
        int by_principal = principal >= 0 && v->signers[principal].has_signature &&
                           recall_target_principal != NULL &&
                           memcmp(v->signers[principal].cert_sha256, recall_target_principal, 32) == 0;
        int delisted = by_principal && trust_staff_registered(trust, p->school_code, TRUST_STAFF_PRINCIPAL,
                                                              recall_target_principal) == TRUST_STAFF_NOT_LISTED;
        if (seal >= 0 && v->signers[seal].has_signature)
            check_seal(v, trust, p->school_code, seal);
        if (by_seal || (by_principal && !delisted))
            item(v, VERIFY_ROLES, -1, 1, "the recall is signed by %s",
                 by_seal ? "the school's registered seal" : "the principal who signed the transcript");
        else if (delisted)
            item(v, VERIFY_ROLES, -1, 0,
                 "the recall is signed by the principal who signed the transcript, but the school registry no "
                 "longer lists that certificate among the principal_certificates of school %.24s, and by no "
                 "registered seal",
                 p->school_code);
        else
            item(v, VERIFY_ROLES, -1, 0,
                 "the recall is signed neither by a seal registered to school %.24s nor by the principal who "
                 "signed the transcript (a recall signed by another school?)",
                 p->school_code);
    }
done:
    if (shared != NULL && (shared->has_digest = dg.dlen[CMS_MD_SHA256] == 32) != 0)
        memcpy(shared->digest, dg.d[CMS_MD_SHA256], 32);
    for (size_t k = 0; k < CMS_MAX_SIGNERS; k++)
        free(attrs_der[k]);
    free(der);
    free(sd);
    return rc;
}

int verify_principal_cert(const verdict_t *v, unsigned char out[32])
{
    int i = signer_with_role(v, "principal");
    if (i < 0 || !v->signers[i].has_signature)
        return -1;
    memcpy(out, v->signers[i].cert_sha256, 32);
    return 0;
}

int verify_school_name(const trust_t *trust, const payload_t *p, verify_school_name_t *out)
{
    json_t *school = json_object_get(p->root, "school");
    memset(out, 0, sizeof *out);
    out->name = json_string_value(json_object_get(school, "name"));
    out->province = json_string_value(json_object_get(school, "province"));
    if (trust_school_name(trust, p->school_code, p->issued_on, &out->reg_name, &out->reg_province, &out->until) !=
        0)
        return -1;
    out->registered = 1;
    int same_name = vnfold_equal(str_c(out->name), str_c(out->reg_name));
    int same_prov = vnfold_equal(str_c(out->province), str_c(out->reg_province));
    if (same_name < 0 || same_prov < 0) {
        out->error = same_name == VNFOLD_ENOMEM || same_prov == VNFOLD_ENOMEM ? VNFOLD_ENOMEM : VNFOLD_EUTF8;
        return -1;
    }
    out->name_ok = same_name;
    out->province_ok = same_prov;
    return same_name && same_prov ? 0 : -1;
}

void verify_reason(const verdict_t *v, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->nitems && used + 1 < n; i++) {
        const verify_item_t *it = &v->items[i];
        if (it->ok)
            continue;
        int w;
        if (it->signer >= 0)
            w = snprintf(buf + used, n - used, "%s%s (%s): %s", used ? "; " : "", verify_check_name(it->check),
                         v->signers[it->signer].role, it->detail);
        else
            w = snprintf(buf + used, n - used, "%s%s: %s", used ? "; " : "", verify_check_name(it->check),
                         it->detail);
        if (w < 0)
            break;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
}
