/* trust_crl.c — CRL files: read, judged complete or not, matched with the
 * store certificate or remembered issuer that signed them. */
#include "trust.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "trust_internal.h"

static int is_pem(str_t s)
{
    return s.len >= 11 && memcmp(s.ptr, "-----BEGIN ", 11) == 0;
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
int trust_crls_parse(str_t in, X509_CRL **out, char *why, size_t whylen)
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
    int n = trust_pem_each(in, crl_block, out, "not a CRL (DER or PEM X509 CRL expected)", why, whylen);
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
const char *trust_crl_incomplete(X509_CRL *crl)
{
    const char *why = NULL;
    int crit = -1;
    ASN1_INTEGER *delta = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
    if (delta != NULL || crit != -1)
        why = "is a delta CRL (deltaCRLIndicator)";
    ASN1_INTEGER_free(delta);
    crit = -1;
    ISSUING_DIST_POINT *idp =
        why == NULL ? X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL) : NULL;
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
const trust_cert_t *trust_crl_verifier(const trust_t *t, X509_CRL *crl)
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
    return trust_crl_verifier(t, crl) != NULL ? 0 : -1;
}

/* 1 when the CRL names is's name as its issuer (as X509_NAME_cmp compares
 * names, like trust_crl_verifier) and is's key verifies it. */
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

/* Add what is known of one stored CRL; with `by` (the store certificate
 * that verifies it) it is in use unless it is incomplete (trust_crl_incomplete). */
int trust_crl_add(trust_t *t, size_t file, X509_CRL *crl, const trust_cert_t *by, const char *incomplete)
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
        /* a remembered issuer it is (trust_issuer_is) names it: one CA, one id */
        for (size_t i = 0; i < t->nissuers; i++)
            if (trust_issuer_is(t, i, X509_get_subject_name(by->x), by->key_id)) {
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
    trust_name_cn(X509_CRL_get_issuer(crl), info->issuer_cn, sizeof info->issuer_cn);
    ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    BIGNUM *bn = number != NULL ? ASN1_INTEGER_to_BN(number, NULL) : NULL;
    char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
    if (dec != NULL)
        snprintf(info->number, sizeof info->number, "%s", dec);
    OPENSSL_free(dec);
    BN_free(bn);
    ASN1_INTEGER_free(number);
    ERR_clear_error();
    info->this_update = trust_asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl));
    info->next_update =
        X509_CRL_get0_nextUpdate(crl) ? trust_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl)) : 0;
    if (info->verifies) {
        t->crls[t->ncrls].crl = crl;
        t->crls[t->ncrls].issuer = X509_CRL_get_issuer(crl);
        t->ncrls++;
    }
    return 0;
}

size_t trust_crl_infos(const trust_t *t, const trust_crl_info_t **out)
{
    *out = t->infos;
    return t->ninfos;
}

int trust_crl_signed_by(const trust_t *t, size_t i, const trust_issuer_t *candidate)
{
    return i < t->ninfos && crl_signed_by(t->all[i], candidate);
}

int trust_check_crl(const trust_t *t, str_t in, char *why, size_t whylen)
{
    X509_CRL *file[TRUST_MAX_CRLS_PER_FILE] = {0};
    int n = trust_crls_parse(in, file, why, whylen);
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
        const char *incomplete = trust_crl_incomplete(file[k]);
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
