/* trust_issuer.c — issuers of CRLs (package-format.md §6): an issuer's
 * identity, how a key is told from another, the issuers the index remembers
 * and which of them have no CRL that verifies now. */
#include "trust.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "digest.h"
#include "trust_internal.h"
#include "utf8.h"

int trust_issuer_of_cert(const uint8_t *der, size_t len, trust_issuer_t *out)
{
    /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
     * OPTIONAL, serialNumber, signature, issuer, validity, subject,
     * subjectPublicKeyInfo, ... }, ... } */
    static const unsigned FIELDS[] = {DER_INTEGER,  DER_SEQUENCE, DER_SEQUENCE,
                                      DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE}; /* serial .. key */
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
void trust_name_cn(const X509_NAME *name, char *out, size_t n)
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
int trust_issuer_is(const trust_t *t, size_t i, const X509_NAME *subject, const unsigned char key_id[32])
{
    return t->remembered_name[i] != NULL && t->remembered_key_ok[i] &&
           memcmp(t->remembered_key[i], key_id, 32) == 0 &&
           X509_NAME_cmp(t->remembered_name[i], subject) == 0;
}

/* The remembered issuer without a CRL that verifies now that CA certificate
 * c stands for, or NULL. */
const unchecked_t *trust_unchecked_of(const trust_t *t, const trust_cert_t *c)
{
    for (size_t i = 0; i < t->nunchecked; i++)
        if (trust_issuer_is(t, t->unchecked[i].issuer, X509_get_subject_name(c->x), c->key_id))
            return &t->unchecked[i];
    return NULL;
}

/* Two certificates hold one key when they hold the same public key, however
 * encoded (§5 check 6 compares SubjectPublicKeyInfo): an RSA modulus is the
 * same key under rsaEncryption and RSASSA-PSS identifiers, and an EC point
 * the same key written compressed or not. So the id hashes the key itself:
 * RSA its modulus, EC its curve and point; any other key its
 * SubjectPublicKeyInfo DER. */
int trust_key_id(X509_PUBKEY *xpk, EVP_PKEY *pk, unsigned char out[32])
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int id = pk != NULL ? EVP_PKEY_get_base_id(pk) : EVP_PKEY_NONE, rc = -1;
    BIGNUM *n = NULL, *px = NULL, *py = NULL;
    char group[64] = "";
    if ((id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) &&
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1) {
        len = 4 + (size_t)BN_num_bytes(n);
        if ((buf = malloc(len)) != NULL) {
            memcpy(buf, "RSA:", 4);
            BN_bn2bin(n, buf + 4);
        }
    } else if (id == EVP_PKEY_EC &&
               EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) ==
                   1 &&
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

/* Keep copies of the remembered issuers (the inputs may be freed after the
 * build). */
int trust_issuers_remember(trust_t *t, const trust_inputs_t *in)
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
    if (t->remembered == NULL || t->remembered_buf == NULL || t->issuers == NULL ||
        t->remembered_name == NULL || t->remembered_key == NULL || t->remembered_key_ok == NULL)
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
        trust_name_cn(name, info->cn, sizeof info->cn);
        t->remembered_name[i] = name;
        p = (const unsigned char *)is->spki.ptr;
        X509_PUBKEY *xpk = d2i_X509_PUBKEY(NULL, &p, (long)is->spki.len);
        EVP_PKEY *pk = xpk != NULL ? X509_PUBKEY_get0(xpk) : NULL;
        /* a key that does not decode matches no certificate's */
        t->remembered_key_ok[i] = pk != NULL && trust_key_id(xpk, pk, t->remembered_key[i]) == 0;
        X509_PUBKEY_free(xpk);
        ERR_clear_error();
    }
    return 0;
}

/* Where each remembered issuer stands, and the list of those none of whose
 * CRLs verifies now. */
int trust_issuers_judge(trust_t *t)
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
                           trust_issuer_is(t, i, X509_get_subject_name(c->x), c->key_id);
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

size_t trust_issuer_infos(const trust_t *t, const trust_issuer_info_t **out)
{
    *out = t->issuers;
    return t->nissuers;
}

size_t trust_issuers_unchecked(const trust_t *t)
{
    return t->nunchecked;
}

void trust_unchecked_issuer_name(const trust_t *t, const trust_cert_t *c, char *out, size_t n)
{
    const unchecked_t *u = trust_unchecked_of(t, c);
    if (u != NULL)
        snprintf(out, n, "\"%s\" [%s]", u->cn, u->hash);
    else
        snprintf(out, n, "(unknown)");
    out[utf8_cut(out, strlen(out))] = '\0';
}
