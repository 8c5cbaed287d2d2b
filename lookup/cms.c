/* cms.c — structural reading of a detached CMS SignedData. */
#include "cms.h"

#include "ber.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

static const uint8_t OID_SIGNED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t OID_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const uint8_t OID_CONTENT_TYPE[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t OID_MESSAGE_DIGEST[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t OID_SIGNING_TIME[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
static const uint8_t OID_SKI[] = {0x55, 0x1d, 0x0e};

/* Digest and signature algorithm identifiers we accept (package-format.md §5). */
static const struct {
    uint8_t oid[10];
    size_t len;
    int md;
} DIGESTS[] = {
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, 9, CMS_MD_SHA256},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, 9, CMS_MD_SHA384},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, 9, CMS_MD_SHA512},
};

static const struct {
    uint8_t oid[10];
    size_t len;
    int sig;
} SIGS[] = {
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}, 9, CMS_SIG_RSA},     /* rsaEncryption */
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 9, CMS_SIG_RSA},     /* sha256WithRSA */
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 9, CMS_SIG_RSA},     /* sha384WithRSA */
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 9, CMS_SIG_RSA},     /* sha512WithRSA */
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}, 9, CMS_SIG_RSA_PSS}, /* RSASSA-PSS */
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}, 7, CMS_SIG_ECDSA},               /* id-ecPublicKey */
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 8, CMS_SIG_ECDSA},         /* ecdsa-with-SHA256 */
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 8, CMS_SIG_ECDSA},         /* ecdsa-with-SHA384 */
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 8, CMS_SIG_ECDSA},         /* ecdsa-with-SHA512 */
};

#define FAIL(code, ...)                                                                                      \
    do {                                                                                                     \
        snprintf(why, whylen, __VA_ARGS__);                                                                  \
        return code;                                                                                         \
    } while (0)

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static int read_algorithm(der_cur_t *c, der_elem_t *oid, der_elem_t *params)
{
    der_elem_t seq;
    if (der_expect(c, DER_SEQUENCE, &seq) != DER_OK)
        return -1;
    der_cur_t in = der_inside(&seq);
    if (der_expect(&in, DER_OID, oid) != DER_OK)
        return -1;
    memset(params, 0, sizeof(*params));
    if (in.len > 0 && der_next(&in, params) != DER_OK)
        return -1;
    return in.len == 0 ? 0 : -1;
}

int cms_cert_parse(const uint8_t *der, size_t len, cms_cert_t *out)
{
    der_cur_t c = der_cursor(der, len);
    der_elem_t cert, tbs, e, oid, params;
    memset(out, 0, sizeof(*out));
    if (der_expect(&c, DER_SEQUENCE, &cert) != DER_OK || c.len != 0)
        return -1;
    der_cur_t ci = der_inside(&cert);
    if (der_expect(&ci, DER_SEQUENCE, &tbs) != DER_OK || read_algorithm(&ci, &oid, &params) != 0 ||
        der_expect(&ci, DER_BIT_STRING, &e) != DER_OK || ci.len != 0)
        return -1;
    der_cur_t t = der_inside(&tbs);
    if (der_optional(&t, DER_CTX_CONS(0), &e) < DER_EEND) /* version */
        return -1;
    if (der_expect(&t, DER_INTEGER, &out->serial) != DER_OK || read_algorithm(&t, &oid, &params) != 0 ||
        der_expect(&t, DER_SEQUENCE, &out->issuer) != DER_OK || der_expect(&t, DER_SEQUENCE, &e) != DER_OK ||
        der_expect(&t, DER_SEQUENCE, &e) != DER_OK || der_expect(&t, DER_SEQUENCE, &e) != DER_OK)
        return -1;
    out->der = der;
    out->len = len;
    while (t.len > 0) {
        if (der_next(&t, &e) != DER_OK)
            return -1;
        if (e.tag != DER_CTX_CONS(3))
            continue;
        der_cur_t x = der_inside(&e);
        der_elem_t exts, ext;
        if (der_expect(&x, DER_SEQUENCE, &exts) != DER_OK)
            return -1;
        der_cur_t xs = der_inside(&exts);
        while (der_next(&xs, &ext) == DER_OK) {
            der_cur_t xe = der_inside(&ext);
            der_elem_t id, val, b;
            if (der_expect(&xe, DER_OID, &id) != DER_OK)
                return -1;
            der_optional(&xe, 0x01, &b); /* critical */
            if (der_expect(&xe, DER_OCTET_STRING, &val) != DER_OK)
                return -1;
            if (der_oid_is(&id, OID_SKI, sizeof OID_SKI)) {
                der_cur_t v = der_inside(&val);
                der_elem_t key;
                if (der_expect(&v, DER_OCTET_STRING, &key) == DER_OK) {
                    out->ski = key.val;
                    out->skilen = key.len;
                }
            }
        }
    }
    return 0;
}

/* What keeps a signer from being verified, the first that applies. */
static void set_problem(cms_signer_t *s)
{
    if (s->md == CMS_MD_NONE)
        s->problem = "its digest algorithm is not SHA-256, SHA-384 or SHA-512";
    else if (s->sig == CMS_SIG_NONE)
        s->problem = "its signature algorithm is not RSA (PKCS#1 v1.5 or PSS) or ECDSA";
    else if (s->attrs_problem != NULL)
        s->problem = s->attrs_problem;
    else if (s->cert < 0)
        s->problem = "its certificate is not included in the signature file";
    else
        s->problem = NULL;
}

/* Signed attributes, from their DER: record what the checks need, refuse
 * duplicates of the three that matter (RFC 5652 §11 allows each only once). */
static const char *read_signed_attrs(const uint8_t *der, size_t len, cms_signer_t *s)
{
    der_cur_t top = der_cursor(der, len);
    der_elem_t attrs, attr;
    int seen_ct = 0, seen_md = 0, seen_st = 0;
    s->message_digest = NULL;
    s->message_digest_len = 0;
    s->content_type_ok = s->has_signing_time = 0;
    s->signing_time = 0;
    if (der_next(&top, &attrs) != DER_OK || top.len != 0 ||
        (attrs.tag != DER_CTX_CONS(0) && attrs.tag != DER_SET))
        return "the signed attributes are malformed";
    der_cur_t c = der_inside(&attrs);
    while (der_next(&c, &attr) == DER_OK) {
        der_cur_t a = der_inside(&attr);
        der_elem_t type, values, v;
        if (attr.tag != DER_SEQUENCE || der_expect(&a, DER_OID, &type) != DER_OK ||
            der_expect(&a, DER_SET, &values) != DER_OK)
            return "a signed attribute is malformed";
        der_cur_t vs = der_inside(&values);
        int one = der_next(&vs, &v) == DER_OK && vs.len == 0;
        if (der_oid_is(&type, OID_CONTENT_TYPE, sizeof OID_CONTENT_TYPE)) {
            seen_ct++;
            s->content_type_ok = one && der_oid_is(&v, OID_DATA, sizeof OID_DATA);
        } else if (der_oid_is(&type, OID_MESSAGE_DIGEST, sizeof OID_MESSAGE_DIGEST)) {
            seen_md++;
            if (one && v.tag == DER_OCTET_STRING) {
                s->message_digest = v.val;
                s->message_digest_len = v.len;
            }
        } else if (der_oid_is(&type, OID_SIGNING_TIME, sizeof OID_SIGNING_TIME)) {
            seen_st++;
            s->has_signing_time = one && der_time(&v, &s->signing_time) == DER_OK;
        }
    }
    if (c.len != 0)
        return "the signed attributes are malformed";
    if (seen_ct > 1 || seen_md > 1 || seen_st > 1)
        return "a signed attribute appears twice";
    if (!seen_ct || !s->content_type_ok)
        return "the contentType signed attribute is missing or is not id-data";
    if (!seen_md || s->message_digest == NULL)
        return "the messageDigest signed attribute is missing";
    if (!seen_st || !s->has_signing_time)
        return "the signingTime signed attribute is missing or unreadable";
    return NULL;
}

void cms_signer_read_attrs(cms_signer_t *s, const uint8_t *der, size_t len)
{
    s->attrs = der;
    s->attrslen = len;
    s->attrs_problem = read_signed_attrs(der, len, s);
    set_problem(s);
}

/* Comparing two Names as X.509 does means decoding both, and a Name is the
 * sender's bytes: it can hold thousands of RDNs (10 ms to decode). A file
 * gets NAME_MATCHES such comparisons in all, of Names of at most
 * NAME_MATCH_MAX bytes: ample for a signer or two whose library re-encoded
 * a real issuer (a few hundred bytes), and a bounded cost for any file. */
#define NAME_MATCHES 8
#define NAME_MATCH_MAX 1024

/* Two Names alike as X.509 compares them (X509_NAME_cmp: each string in
 * its canonical form, whatever its type; BER read as its DER). A signer
 * whose library wrote its issuer's name in BER, or with another string
 * type than the certificate's, names that certificate all the same, as
 * OpenSSL's own CMS reader finds it; the signature is then checked with the
 * key of the certificate found, so a looser match cannot pass a signature. */
static int same_name(const der_elem_t *a, const der_elem_t *b, int *left)
{
    if (*left <= 0 || a->rawlen > NAME_MATCH_MAX || b->rawlen > NAME_MATCH_MAX)
        return 0;
    (*left)--;
    const unsigned char *pa = a->raw, *pb = b->raw;
    X509_NAME *na = d2i_X509_NAME(NULL, &pa, (long)a->rawlen);
    X509_NAME *nb = d2i_X509_NAME(NULL, &pb, (long)b->rawlen);
    int same = na != NULL && nb != NULL && X509_NAME_cmp(na, nb) == 0;
    X509_NAME_free(na);
    X509_NAME_free(nb);
    ERR_clear_error();
    return same;
}

/* The certificate a SignerInfo's sid names: by subjectKeyIdentifier, or by
 * issuer and serial number, the issuer's bytes first and then as Names
 * (*left: the file's comparisons as Names still allowed). */
static int find_cert(const cms_signed_t *sd, const der_elem_t *sid, int *left)
{
    der_elem_t issuer, serial;
    if (sid->tag != DER_CTX(0)) {
        der_cur_t c = der_inside(sid);
        if (der_expect(&c, DER_SEQUENCE, &issuer) != DER_OK || der_expect(&c, DER_INTEGER, &serial) != DER_OK)
            return -1;
    }
    for (int by_name = 0; by_name < 2; by_name++) {
        for (size_t i = 0; i < sd->ncerts; i++) {
            const cms_cert_t *ct = &sd->certs[i];
            if (sid->tag == DER_CTX(0)) {
                if (!by_name && ct->ski && ct->skilen == sid->len && memcmp(ct->ski, sid->val, sid->len) == 0)
                    return (int)i;
                continue;
            }
            if (serial.len != ct->serial.len || memcmp(serial.val, ct->serial.val, serial.len) != 0)
                continue;
            if (!by_name ? issuer.rawlen == ct->issuer.rawlen &&
                               memcmp(issuer.raw, ct->issuer.raw, issuer.rawlen) == 0
                         : same_name(&issuer, &ct->issuer, left))
                return (int)i;
        }
    }
    return -1;
}

static int read_signer(const der_elem_t *si, cms_signed_t *sd, cms_signer_t *s, int *name_matches)
{
    der_cur_t c = der_inside(si);
    der_elem_t version, sid, oid, params, e;
    memset(s, 0, sizeof(*s));
    s->cert = -1;
    if (der_expect(&c, DER_INTEGER, &version) != DER_OK || der_next(&c, &sid) != DER_OK ||
        (sid.tag != DER_SEQUENCE && sid.tag != DER_CTX(0)) || read_algorithm(&c, &oid, &params) != 0)
        return -1;
    for (size_t i = 0; i < sizeof DIGESTS / sizeof *DIGESTS; i++)
        if (der_oid_is(&oid, DIGESTS[i].oid, DIGESTS[i].len))
            s->md = DIGESTS[i].md;
    int rc = der_optional(&c, DER_CTX_CONS(0), &e);
    if (rc < DER_EEND)
        return -1;
    if (rc == DER_OK) {
        /* DER attributes are read where they are; others once re-encoded
         * (cms_signer_read_attrs), from the bytes the signature covers */
        s->attrs = s->attrs_sent = e.raw;
        s->attrslen = s->attrs_sentlen = e.rawlen;
        int der = ber_is_der(e.raw, e.rawlen, DER_SET);
        if (der == 1) {
            s->attrs_problem = read_signed_attrs(e.raw, e.rawlen, s);
        } else if (der == 0) {
            s->attrs_ber = 1;
            s->attrs_problem = "its signed attributes are in BER and were not re-encoded";
        } else {
            s->attrs_problem = "the signed attributes are malformed";
        }
    } else {
        s->attrs_problem =
            "it has no signed attributes (contentType, messageDigest and signingTime are required)";
    }
    if (read_algorithm(&c, &oid, &s->sig_params) != 0)
        return -1;
    for (size_t i = 0; i < sizeof SIGS / sizeof *SIGS; i++)
        if (der_oid_is(&oid, SIGS[i].oid, SIGS[i].len))
            s->sig = SIGS[i].sig;
    if (der_expect(&c, DER_OCTET_STRING, &e) != DER_OK)
        return -1;
    s->signature = e.val;
    s->signature_len = e.len;
    if (der_optional(&c, DER_CTX_CONS(1), &e) < DER_EEND || c.len != 0)
        return -1;
    s->cert = find_cert(sd, &sid, name_matches);
    set_problem(s);
    return 0;
}

static int parse(const uint8_t *der, size_t len, cms_signed_t *out, char *why, size_t whylen)
{
    der_cur_t c = der_cursor_ber(der, len);
    der_elem_t ci, type, wrap, sd, e;
    int rc;

    memset(out, 0, sizeof(*out));
    if (der_expect(&c, DER_SEQUENCE, &ci) != DER_OK || c.len != 0)
        FAIL(CMS_EFORMAT, "the signature file is not a CMS structure (ContentInfo)");
    der_cur_t cc = der_inside(&ci);
    if (der_expect(&cc, DER_OID, &type) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file is not a CMS structure (no content type)");
    if (!der_oid_is(&type, OID_SIGNED_DATA, sizeof OID_SIGNED_DATA))
        FAIL(CMS_EFORMAT, "the signature file is not a CMS SignedData (another content type)");
    if (der_expect(&cc, DER_CTX_CONS(0), &wrap) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file is not a CMS SignedData (no content)");
    der_cur_t w = der_inside(&wrap);
    if (der_expect(&w, DER_SEQUENCE, &sd) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file is not a CMS SignedData");
    /* nothing after the content, nor after the SignedData in it: bytes no
     * signature covers would make another file that still verifies */
    if (cc.len != 0 || w.len != 0)
        FAIL(CMS_EFORMAT, "the signature file has data after its SignedData (not a ContentInfo)");

    der_cur_t s = der_inside(&sd);
    der_elem_t version, digests, encap, eoid;
    if (der_expect(&s, DER_INTEGER, &version) != DER_OK || der_expect(&s, DER_SET, &digests) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file is not a CMS SignedData (bad header)");
    if (der_expect(&s, DER_SEQUENCE, &encap) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file has no encapsulated content info");
    der_cur_t ec = der_inside(&encap);
    if (der_expect(&ec, DER_OID, &eoid) != DER_OK)
        FAIL(CMS_EFORMAT, "the signature file has no eContentType");
    if (!der_oid_is(&eoid, OID_DATA, sizeof OID_DATA))
        FAIL(CMS_EATTACHED, "the signed content type is not id-data");
    if (ec.len != 0)
        FAIL(CMS_EATTACHED, "the signature is not detached: it embeds content (sign with detached content)");

    rc = der_optional(&s, DER_CTX_CONS(0), &e);
    if (rc < DER_EEND)
        FAIL(CMS_EFORMAT, "the certificate set of the signature file is malformed");
    if (rc == DER_OK) {
        /* the certificates are the set's whole content, back to back,
         * whatever the set's own length form: the index can splice them */
        der_cur_t cs = der_inside(&e);
        der_elem_t cert;
        out->certs_start = (size_t)(e.val - der);
        out->certs_end = out->certs_start + e.len;
        out->certs_only = 1;
        while ((rc = der_next(&cs, &cert)) == DER_OK) {
            if (cert.tag != DER_SEQUENCE) {
                out->certs_only = 0;
                continue; /* attribute certificates and other choices: not ours */
            }
            if (out->ncerts == CMS_MAX_CERTS)
                FAIL(CMS_ELIMIT, "the signature file holds more than %d certificates", CMS_MAX_CERTS);
            /* read as DER: a certificate is known by the hash of its DER
             * (certificate_sha256); what is not read here is checked once
             * per certificate by the trust store (trust_cert_t.not_der) */
            if (cms_cert_parse(cert.raw, cert.rawlen, &out->certs[out->ncerts]) != 0)
                FAIL(CMS_EFORMAT, "certificate %zu in the signature file is %s", out->ncerts + 1,
                     ber_is_der(cert.raw, cert.rawlen, 0) == 0 ? "not DER-encoded (BER)" : "malformed");
            out->ncerts++;
        }
        if (rc != DER_EEND)
            FAIL(CMS_EFORMAT, "the certificate set of the signature file is malformed");
    }
    rc = der_optional(&s, DER_CTX_CONS(1), &e); /* embedded CRLs: we use the trust store's */
    if (rc < DER_EEND)
        FAIL(CMS_EFORMAT, "the CRL set of the signature file is malformed");
    der_elem_t sis, si;
    if (der_expect(&s, DER_SET, &sis) != DER_OK || s.len != 0)
        FAIL(CMS_EFORMAT, "the signature file has no readable signerInfos");
    der_cur_t sc = der_inside(&sis);
    int name_matches = NAME_MATCHES;
    while ((rc = der_next(&sc, &si)) == DER_OK) {
        if (out->nsigners == CMS_MAX_SIGNERS)
            FAIL(CMS_ELIMIT, "the signature file holds more than %d signatures", CMS_MAX_SIGNERS);
        if (si.tag != DER_SEQUENCE || read_signer(&si, out, &out->signers[out->nsigners], &name_matches) != 0)
            FAIL(CMS_EFORMAT, "signature %zu (SignerInfo) in the signature file is malformed",
                 out->nsigners + 1);
        out->nsigners++;
    }
    if (rc != DER_EEND)
        FAIL(CMS_EFORMAT, "the signerInfos of the signature file are malformed");
    if (out->nsigners == 0)
        FAIL(CMS_EFORMAT, "the signature file holds no signature");
    return CMS_OK;
}

int cms_parse(const uint8_t *der, size_t len, cms_signed_t *out, char *why, size_t whylen)
{
    int rc = parse(der, len, out, why, whylen);
    /* A structure that does not read may be an encoding that does not:
     * then that is the reason (walking the whole file only on failure).
     * What does not even start as a SEQUENCE is no CMS at all. */
    char enc[128];
    if (rc == CMS_EFORMAT && len > 0 && der[0] == DER_SEQUENCE && ber_check(der, len, enc, sizeof enc) != 0)
        snprintf(why, whylen, "the signature file is not well-formed BER: %s", enc);
    return rc;
}
