/* cms.h — reading a detached CMS SignedData (RFC 5652) without OpenSSL's decoders.
 *
 * OpenSSL 3.0 spends ~100 µs decoding each certificate of a package
 * (platform-facts.md); a verdict needs none of that when the certificates
 * are already known. This module only finds things: the certificates as DER
 * slices, and per SignerInfo its signer identifier, algorithms, the signed
 * attributes it needs and the signature. It checks structure, not
 * cryptography; verify.c does that. Everything points into the caller's
 * buffer, which must outlive the cms_signed_t. Untrusted input: fuzzed. */
#ifndef HOCBA_CMS_H
#define HOCBA_CMS_H

#include <stddef.h>
#include <stdint.h>

#include "der.h"

#define CMS_MAX_CERTS 32
#define CMS_MAX_SIGNERS 16

enum { CMS_MD_NONE = 0, CMS_MD_SHA256, CMS_MD_SHA384, CMS_MD_SHA512 };
enum { CMS_SIG_NONE = 0, CMS_SIG_RSA, CMS_SIG_RSA_PSS, CMS_SIG_ECDSA };

/** A certificate found in SignedData.certificates. */
typedef struct {
    const uint8_t *der; /* the whole Certificate */
    size_t len;
    der_elem_t serial;  /* INTEGER */
    der_elem_t issuer;  /* Name, raw encoding compared byte for byte */
    const uint8_t *ski; /* subjectKeyIdentifier, or NULL */
    size_t skilen;
} cms_cert_t;

/** One SignerInfo. `problem` is set when it cannot be verified at all. */
typedef struct {
    int cert;                 /* index into cms_signed_t.certs, -1 if not included */
    int md;                   /* CMS_MD_* of digestAlgorithm */
    int sig;                  /* CMS_SIG_* of signatureAlgorithm */
    der_elem_t sig_params;    /* signatureAlgorithm parameters (RSASSA-PSS), len 0 if absent */
    const uint8_t *attrs;     /* signed attributes, whole [0] element */
    size_t attrslen;
    const uint8_t *message_digest; /* messageDigest value, or NULL */
    size_t message_digest_len;
    int content_type_ok;      /* contentType attribute present and equal to id-data */
    int has_signing_time;
    int64_t signing_time;     /* UTC seconds */
    const uint8_t *signature;
    size_t signature_len;
    const char *problem;      /* NULL, or why this signer cannot verify (English) */
} cms_signer_t;

typedef struct {
    /* SignedData.certificates: the offsets of its content in the input, so
     * the index can store each certificate once and splice them back */
    size_t certs_start, certs_end; /* both 0 when there is no certificate set */
    int certs_only;                /* the set holds certificates and nothing else */
    size_t ncerts;
    cms_cert_t certs[CMS_MAX_CERTS];
    size_t nsigners;
    cms_signer_t signers[CMS_MAX_SIGNERS];
} cms_signed_t;

enum {
    CMS_OK = 0,
    CMS_EFORMAT = -1, /* not a DER CMS SignedData */
    CMS_EBER = -2,    /* BER indefinite lengths */
    CMS_EATTACHED = -3, /* eContent present or eContentType not id-data */
    CMS_ELIMIT = -4,  /* more certificates or signers than we accept */
};

/** Parse a DER ContentInfo holding a detached SignedData.
 * @param why  receives a one-line reason on failure (English)
 * @return CMS_OK or a negative CMS_E* constant. Allocates nothing; thread-safe. */
int cms_parse(const uint8_t *der, size_t len, cms_signed_t *out, char *why, size_t whylen);

/** Parse the parts of an X.509 certificate that signer matching needs.
 * @return 0 or -1 when the DER is not a certificate. */
int cms_cert_parse(const uint8_t *der, size_t len, cms_cert_t *out);

#endif
