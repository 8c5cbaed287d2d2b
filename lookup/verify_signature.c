/* verify_signature.c — the cryptography of a verdict: digest algorithms
 * fetched once, per-thread verification contexts for the keys that signed
 * lately, RSASSA-PSS parameters, and the signature over the signed
 * attributes (check 2), in DER or in the order the file sends them. */
#include "verify.h"

#include "ber.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "verify_internal.h"

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

void verify_fetch_mds_once(void)
{
    pthread_once(&md_once, fetch_mds);
}

/* The signature covers the DER of the signed attributes as a SET (tag 0x31),
 * not as the [0] IMPLICIT that is on the wire (RFC 5652 §5.4); attributes
 * that came in another encoding are their DER re-encoding by now. A signer
 * may instead have hashed them in the order it sends them, each in DER but
 * the SET unsorted: `openssl cms -verify` verifies over that order
 * (CMS_Attributes_Verify), so a vendor who tests with it sees such files
 * verify, and they are accepted here too (decisions.md). Both are the same
 * attributes, read from the DER bytes, so neither shows other values. */
int verify_check_signature(const cms_signer_t *s, EVP_PKEY *pkey, char *why, size_t whylen)
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

int verify_payload_digest(digests_t *dg, int md, const unsigned char **out, unsigned int *outlen)
{
    if (dg->dlen[md] == 0 && EVP_Digest(dg->payload, dg->len, dg->d[md], &dg->dlen[md], MDS[md], NULL) != 1)
        return -1;
    *out = dg->d[md];
    *outlen = dg->dlen[md];
    return 0;
}

void verify_set_key_contexts(unsigned per_thread)
{
    unsigned sets = 1;
    while (sets < 65536 && sets * 2 * PCTX_WAYS <= per_thread)
        sets *= 2;
    pctx_sets = sets;
}

/* Where the armour may begin: after a UTF-8 byte-order mark and white space, which editors and
 * Windows tools leave and OpenSSL's reader passes over. */
static size_t pem_skip(const uint8_t *p, size_t len)
{
    size_t i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

int verify_is_pem(const uint8_t *p, size_t len)
{
    size_t i = pem_skip(p, len);
    return len - i >= 11 && memcmp(p + i, "-----BEGIN ", 11) == 0;
}

int verify_pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *derlen)
{
    size_t skip = pem_skip(in, len);
    in += skip;
    len -= skip;
    BIO *b = len <= INT_MAX ? BIO_new_mem_buf(in, (int)len) : NULL;
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
