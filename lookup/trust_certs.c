/* trust_certs.c — the store's certificate cache: each certificate decoded
 * once (key, validity, usage, revocation under the store's CRLs), looked up
 * by the SHA-256 of its DER, and its chain to an anchor. */
#include "trust.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "ber.h"
#include "digest.h"
#include "trust_internal.h"
#include "utf8.h"

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
void trust_find_revocation(const trust_t *t, trust_cert_t *c)
{
    X509_NAME *issuer = X509_get_issuer_name(c->x);
    for (size_t i = 0; i < t->ncrls; i++) {
        X509_REVOKED *rev = NULL;
        if (X509_NAME_cmp(t->crls[i].issuer, issuer) != 0)
            continue;
        if (X509_CRL_get0_by_cert(t->crls[i].crl, &rev, c->x) != 1 || rev == NULL)
            continue;
        int64_t when = trust_asn1_time_to_unix(X509_REVOKED_get0_revocationDate(rev));
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

/* Every value of one attribute of a name, in order, as UTF-8 joined by ", "
 * into out (cut on a character; bytes that are not UTF-8 become U+FFFD). */
static void name_values(X509_NAME *nm, int nid, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = X509_NAME_get_index_by_NID(nm, nid, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(nm, nid, i)) {
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
    if (trust_key_id(X509_get_X509_PUBKEY(x), c->pkey, c->key_id) !=
        0) { /* out of memory: unknown rather than a key of its own */
        X509_free(x);
        free(c);
        return NULL;
    }
    c->not_before = trust_asn1_time_to_unix(X509_get0_notBefore(x));
    c->not_after = trust_asn1_time_to_unix(X509_get0_notAfter(x));
    uint32_t flags = X509_get_extension_flags(x);
    c->usage_ok =
        !(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
    trust_issuer_t self;
    if (trust_issuer_of_cert(der, len, &self) == 0)
        trust_issuer_id(&self, c->ca_id);
    c->revocations_unknown = trust_unchecked_of(t, c) != NULL;
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
    trust_find_revocation(t, c);
    return c;
}

static size_t slot_of(const unsigned char h[32], size_t nslots)
{
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (size_t)(v & (nslots - 1));
}

int trust_certcache_grow(trust_t *t)
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
trust_cert_t *trust_certcache_get(trust_t *t, const unsigned char h[32], const uint8_t *der, size_t len)
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
    if ((t->nused + 1) * 10 > t->nslots * 7 && trust_certcache_grow(t) != 0)
        return NULL;
    trust_cert_t *c = cert_new(t, der, len, h);
    if (c == NULL)
        return NULL;
    size_t k = slot_of(h, t->nslots);
    while (t->slots[k] != NULL)
        k = (k + 1) & (t->nslots - 1);
    t->slots[k] = c;
    t->nused++;
    t->der_bytes += len;
    return c;
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
        const trust_cert_t *c = trust_certcache_get(t, hint, NULL, 0);
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
    trust_cert_t *c = trust_certcache_get(t, d->sha256, NULL, 0);
    pthread_rwlock_unlock(&t->lock);
    if (c != NULL)
        return c;
    pthread_rwlock_wrlock(&t->lock);
    c = trust_certcache_get(t, d->sha256, d->der, d->len);
    pthread_rwlock_unlock(&t->lock);
    return c;
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
        trust_cert_t *e = trust_certcache_get(t, extra[i].sha256, extra[i].der, extra[i].len);
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
        if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
            err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
            err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
            WHY("the certificate does not chain to a trusted anchor (%s)",
                X509_verify_cert_error_string(err));
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
            (found.c[i - 1] = trust_certcache_get(t, h, NULL, 0)) == NULL) {
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
