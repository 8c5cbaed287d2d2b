/* cms.h — reading a detached CMS SignedData (RFC 5652) without OpenSSL's decoders.
 *
 * OpenSSL 3.0 spends ~100 µs decoding each certificate of a package
 * (platform-facts.md); a verdict needs none of that when the certificates
 * are already known. This module only finds things: the certificates as DER
 * slices, and per SignerInfo its signer identifier, algorithms, the signed
 * attributes it needs and the signature. It checks structure, not
 * cryptography; verify_signature.c does that. Everything points into the caller's
 * buffer, which must outlive the cms_signed_t. Untrusted input: fuzzed.
 *
 * The file may be DER or BER (RFC 5652 allows both; Bouncy Castle and gpgsm
 * write indefinite lengths): the structure is read as BER, strictly
 * otherwise (nothing after the SignedData, bounded nesting). Certificates
 * must be DER, as they are hashed and stored by their bytes. Signed
 * attributes that are not DER are not read here: the signature covers their
 * DER (RFC 5652 §5.4), so they are read from the re-encoding that is
 * verified (cms_signer_read_attrs), never from the file's bytes. */
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
    der_elem_t issuer;  /* Name, as in the certificate (a signer's sid is matched to it as a Name) */
    const uint8_t *ski; /* subjectKeyIdentifier, or NULL */
    size_t skilen;
} cms_cert_t;

/** One SignerInfo. `problem` is set when it cannot be verified at all. */
typedef struct {
    int cert;              /* index into cms_signed_t.certs, -1 if not included */
    int md;                /* CMS_MD_* of digestAlgorithm */
    int sig;               /* CMS_SIG_* of signatureAlgorithm */
    der_elem_t sig_params; /* signatureAlgorithm parameters (RSASSA-PSS), len 0 if absent */
    const uint8_t *attrs;  /* signed attributes: the whole [0] element when it is DER; when attrs_ber,
                            * the file's BER until cms_signer_read_attrs gives their DER (tag SET) */
    size_t attrslen;
    int attrs_ber;             /* the signed attributes in the file are not DER (nothing read from them
                                * until cms_signer_read_attrs) */
    const uint8_t *attrs_sent; /* the signed attributes as the file has them (whole [0] element) */
    size_t attrs_sentlen;
    const char *attrs_problem;     /* why the signed attributes are unusable, or NULL */
    const uint8_t *message_digest; /* messageDigest value, or NULL */
    size_t message_digest_len;
    int content_type_ok; /* contentType attribute present and equal to id-data */
    int has_signing_time;
    int64_t signing_time; /* UTC seconds */
    const uint8_t *signature;
    size_t signature_len;
    const char *problem; /* NULL, or why this signer cannot verify (English) */
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
    CMS_EFORMAT = -1,   /* not a CMS SignedData in DER or BER */
    CMS_EATTACHED = -3, /* eContent present or eContentType not id-data */
    CMS_ELIMIT = -4,    /* more certificates or signers than we accept */
};

/** Parse a ContentInfo (DER or BER) holding a detached SignedData.
 * @param why  receives a one-line reason on failure (English); when the
 *             encoding itself is broken (an indefinite length never ends,
 *             end-of-contents octets out of place, nesting deeper than
 *             DER_MAX_DEPTH, a length past the end, data after the
 *             ContentInfo) it says which and at what byte
 * @return CMS_OK or a negative CMS_E* constant. Allocates nothing; thread-safe. */
int cms_parse(const uint8_t *der, size_t len, cms_signed_t *out, char *why, size_t whylen);

/** Read a signer's signed attributes from their DER: for a signer whose
 * attributes arrived in BER (attrs_ber), the bytes ber_to_der(s->attrs,
 * s->attrslen, DER_SET) gives. s->attrs then points at them, and
 * messageDigest, contentType and signingTime come from them, so what is
 * checked is what the signature covers; `problem` is set again.
 * @param der  one element, tag [0] or SET, in DER; must outlive s
 * Allocates nothing; thread-safe. */
void cms_signer_read_attrs(cms_signer_t *s, const uint8_t *der, size_t len);

/** Parse the parts of an X.509 certificate that signer matching needs, as
 * DER: the Certificate, its signature algorithm and value, and the fields
 * of tbsCertificate (their insides are not read).
 * @return 0 or -1 when the DER is not a certificate. */
int cms_cert_parse(const uint8_t *der, size_t len, cms_cert_t *out);

#endif
