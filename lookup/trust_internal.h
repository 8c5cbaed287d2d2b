/* trust_internal.h — what the trust store's own files share; nothing outside
 * lookup/trust*.c includes it (callers use trust.h).
 *
 * The store is six files, each calling only those below it in this list:
 * - trust.c           trust_build and trust_free, and the store's counts;
 * - trust_crl.c       CRL files: read, judged complete, matched with a signer;
 * - trust_bundle.c    PEM files block by block; anchors and intermediates;
 * - trust_certs.c     the certificate cache and chains to an anchor;
 * - trust_issuer.c    issuers of CRLs, remembered or not, and key identity;
 * - trust_registry.c  the school registry.
 * Symbols shared between them carry the module's prefix, trust_. */
#ifndef HOCBA_TRUST_INTERNAL_H
#define HOCBA_TRUST_INTERNAL_H

#include "trust.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "utf8.h"

/* a registry's schools and seals (trust_registry.c) */
typedef struct seal seal_t;
typedef struct school school_t;

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
    STACK_OF(X509) * intermediates;
    size_t nanchors;
    crl_t *crls; /* the CRLs in use: those that verify */
    size_t ncrls, nrejected;
    X509_CRL **all; /* every stored CRL that reads as one, and what is known of it */
    trust_crl_info_t *infos;
    size_t ninfos;
    trust_issuer_t *remembered; /* copies of the inputs' issuers, in remembered_buf */
    uint8_t *remembered_buf;
    /* each remembered issuer's name decoded (NULL when it does not decode)
     * and the key_id of its key: how it is compared (trust_issuer_is) */
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
    size_t der_bytes; /* of the nused certificates' DER */
};

#define WHY(...) trust_why_put(why, whylen, __VA_ARGS__)

/* A refusal into why; a cut one ends on a character (reasons quote names). */
__attribute__((format(printf, 3, 4))) static inline void trust_why_put(char *why, size_t whylen,
                                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    if (whylen > 0 && n >= (int)whylen)
        why[utf8_cut(why, whylen - 1)] = '\0';
}

static inline int64_t trust_asn1_time_to_unix(const ASN1_TIME *a)
{
    struct tm tm;
    if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* ---- trust_issuer.c ------------------------------------------------------------------------------ */

/** The CN of a name, UTF-8 without control characters, or "" (n bytes at out). */
void trust_name_cn(const X509_NAME *name, char *out, size_t n);

/** 1 when a CA certificate with this subject and key (its key_id) is remembered issuer i. */
int trust_issuer_is(const trust_t *t, size_t i, const X509_NAME *subject, const unsigned char key_id[32]);

/** The remembered issuer without a CRL that verifies now that CA certificate c stands for, or NULL. */
const unchecked_t *trust_unchecked_of(const trust_t *t, const trust_cert_t *c);

/** The id of a key itself, however encoded (trust_cert_t.key_id). @return 0, or -1 (out of memory). */
int trust_key_id(X509_PUBKEY *xpk, EVP_PKEY *pk, unsigned char out[32]);

/** Copy the inputs' remembered issuers into t (the inputs may be freed after the build).
 * @return 0, or -1 when out of memory. */
int trust_issuers_remember(trust_t *t, const trust_inputs_t *in);

/** Where each remembered issuer stands once the CRLs are added; fills t->unchecked.
 * @return 0, or -1 when out of memory. */
int trust_issuers_judge(trust_t *t);

/* ---- trust_certs.c ------------------------------------------------------------------------------- */

/** Set c's revocation from the store's CRLs in use. */
void trust_find_revocation(const trust_t *t, trust_cert_t *c);

/** Double the cache's slots (256 the first time). @return 0, or -1 when out of memory. */
int trust_certcache_grow(trust_t *t);

/** Look a certificate up by the hash of its DER; with der, decode and add it when missing.
 * Caller holds t->lock (for writing when der is given). @return the entry, or NULL. */
trust_cert_t *trust_certcache_get(trust_t *t, const unsigned char h[32], const uint8_t *der, size_t len);

/* ---- trust_bundle.c ------------------------------------------------------------------------------ */

/* Read every PEM block of a bundle; each must be a certificate. Calls add()
 * with each DER unless add is NULL. Returns the count or -1. */
/* One PEM block of a bundle, its index from 0: 0 to go on, -1 with *why set
 * to stop. */
typedef int (*trust_pem_block_fn)(void *arg, int index, const char *name, const unsigned char *data, long len,
                                  char *why, size_t whylen);

/** Call fn on each PEM block of pem in turn; none: the reason when pem is not empty but holds no block.
 * @return how many blocks, or -1 with *why set. */
int trust_pem_each(str_t pem, trust_pem_block_fn fn, void *arg, const char *none, char *why, size_t whylen);

/** Read every PEM block of a bundle; each must be a certificate. Calls add() with each DER unless add is
 * NULL. @return the count, or -1 with *why set. */
int trust_bundle_read(str_t pem, int (*add)(trust_t *, const uint8_t *, size_t, int), trust_t *t, int anchor,
                      char *why, size_t whylen);

/** Put a certificate into the store as an anchor (anchor 1) or an intermediate. @return 0, or -1. */
int trust_store_add_cert(trust_t *t, const uint8_t *der, size_t len, int anchor);

/* ---- trust_crl.c --------------------------------------------------------------------------------- */

/** The CRLs of one CRL file (DER, or PEM blocks), up to TRUST_MAX_CRLS_PER_FILE into out.
 * @return how many, or -1 with *why set when the file is not wholly CRLs. */
int trust_crls_parse(str_t in, X509_CRL **out, char *why, size_t whylen);

/** Why a CRL is not a complete CRL of its issuer, or NULL when it is. */
const char *trust_crl_incomplete(X509_CRL *crl);

/** The anchor or intermediate with the CRL's issuer name that verifies it, or NULL. */
const trust_cert_t *trust_crl_verifier(const trust_t *t, X509_CRL *crl);

/** Add what is known of one stored CRL (t takes crl, freeing it on failure); with `by` it is in use unless
 * incomplete. @return 0, or -1 when out of memory. */
int trust_crl_add(trust_t *t, size_t file, X509_CRL *crl, const trust_cert_t *by, const char *incomplete);

/* ---- trust_registry.c ---------------------------------------------------------------------------- */

/** Parse and check a registry; on success *out holds it (when out is not NULL).
 * @return the number of schools, or -1 with *why set. */
int trust_registry_parse(str_t json, registry_t *out, char *why, size_t whylen);

/** Free what a registry holds and empty it. */
void trust_registry_free(registry_t *r);

#endif
