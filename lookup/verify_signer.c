/* verify_signer.c — the checks of one SignerInfo (integrity, signature,
 * chain, validity, revocation), the check that a stored record is the one
 * its code names, and how a check's item is written into the verdict. */
#include "verify.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"
#include "verify_internal.h"

/* src into dst[0..n), cut on a character when it does not fit. */
void verify_copy_str(char *dst, size_t n, const char *src)
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
    verify_copy_str(out, max + 1, subject);
    return out;
}

static void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

__attribute__((format(printf, 5, 6))) void verify_item(verdict_t *v, int check, int signer, int ok,
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
        snprintf(why, whylen,
                 "the certificate's key usage allows neither digitalSignature nor nonRepudiation");
        return -1;
    }
    int n = chain != NULL ? chain->n : 0;
    for (int i = -1; i < n; i++) {
        const trust_cert_t *c = i < 0 ? leaf : chain->c[i];
        if (t < c->not_before) {
            format_time(t, ts);
            format_time(c->not_before, ws);
            snprintf(why, whylen, "%s was not yet valid at the signing time %s: valid from %s",
                     who_is(c, i, sb), ts, ws);
            return -1;
        }
        if (t > c->not_after) {
            format_time(t, ts);
            format_time(c->not_after, ws);
            snprintf(why, whylen, "%s had expired at the signing time %s: valid until %s", who_is(c, i, sb),
                     ts, ws);
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
                     c->revoked_key_compromise ? " because its key was compromised"
                                               : ", before the signing time");
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

/* A stored record must be the one its lookup code names: the code is
 * derived from the payload's SHA-256, so a record moved or copied under
 * another code (a damaged or altered index) is not shown as that code's. */
void verify_check_code(verdict_t *v, digests_t *dg, const char code[CODE_LEN])
{
    const unsigned char *d;
    unsigned int dlen = 0;
    char derived[CODE_LEN];
    if (verify_payload_digest(dg, CMS_MD_SHA256, &d, &dlen) != 0) {
        verify_item(v, VERIFY_INTEGRITY, -1, 0, "the payload digest cannot be computed");
        return;
    }
    code_from_digest(d, derived);
    if (memcmp(derived, code, CODE_LEN) != 0)
        verify_item(
            v, VERIFY_INTEGRITY, -1, 0,
            "the stored payload is not the one this lookup code was made from (its SHA-256 gives another "
            "code): the record was moved or altered after publication");
}

/* Per SignerInfo: integrity, signature, chain, validity, revocation. */

void verify_check_signer(verdict_t *v, trust_t *trust, const payload_t *p, const cms_signed_t *sd, size_t k,
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
    verify_copy_str(vs->role, sizeof vs->role, "undeclared");
    if (s->cert >= 0) {
        cert = trust_cert_get(trust, &extra[s->cert]);
        memcpy(vs->cert_sha256, extra[s->cert].sha256, 32);
        if (cert != NULL) {
            verify_copy_str(vs->cn, sizeof vs->cn, cert->cn);
            verify_copy_str(vs->o, sizeof vs->o, cert->o);
            verify_copy_str(vs->l, sizeof vs->l, cert->l);
            memcpy(vs->key_id, cert->key_id, 32);
            vs->has_key = 1;
        }
        vs->declared = declared_by_hash(p, v, vs->cert_sha256);
        if (vs->declared >= 0) {
            verify_copy_str(vs->role, sizeof vs->role, p->signers[vs->declared].role);
            verify_copy_str(vs->name, sizeof vs->name, p->signers[vs->declared].name);
        }
    }
    if (registry_only)
        return;
    if (s->cert < 0 || cert == NULL || (s->problem && s->message_digest == NULL)) {
        verify_item(v, VERIFY_SIGNATURE, idx, 0, "signature %zu cannot be checked: %s", k + 1,
                    cert == NULL && s->cert >= 0 ? "its certificate cannot be read" : s->problem);
        return;
    }
    /* integrity */
    const unsigned char *d;
    unsigned int dlen = 0;
    if (verify_payload_digest(dg, s->md, &d, &dlen) != 0) {
        verify_item(v, VERIFY_INTEGRITY, idx, 0, "the payload digest cannot be computed");
        return;
    }
    if (s->message_digest_len == dlen && CRYPTO_memcmp(d, s->message_digest, dlen) == 0)
        verify_item(v, VERIFY_INTEGRITY, idx, 1, "the payload is exactly what was signed");
    else
        verify_item(v, VERIFY_INTEGRITY, idx, 0,
                    "the payload differs from what was signed (altered after signing)");
    /* signature */
    if (s->problem != NULL)
        verify_item(v, VERIFY_SIGNATURE, idx, 0, "%s", s->problem);
    else if (cert->key_problem != NULL)
        verify_item(v, VERIFY_SIGNATURE, idx, 0, "%s", cert->key_problem);
    else if (cert->not_der)
        verify_item(v, VERIFY_SIGNATURE, idx, 0,
                    "the certificate is not DER-encoded: a certificate in the signature file must be DER");
    else if (verify_check_signature(s, cert->pkey, why, sizeof why) != 0)
        verify_item(v, VERIFY_SIGNATURE, idx, 0, "%s", why);
    else
        verify_item(v, VERIFY_SIGNATURE, idx, 1, "the signature verifies with the certificate's key");
    /* chain */
    trust_chain_t chain;
    int chained = trust_cert_chain(trust, cert, extra, sd->ncerts,
                                   s->has_signing_time ? s->signing_time : TRUST_ANY_TIME, &chain, why,
                                   sizeof why) == 0;
    if (chained)
        verify_item(v, VERIFY_CHAIN, idx, 1, "the certificate chains to the trust anchor %s",
                    brief(chain.n > 0 ? chain.c[chain.n - 1]->subject : cert->subject, 160, anchor));
    else
        verify_item(v, VERIFY_CHAIN, idx, 0, "%s", why);
    /* validity and revocation need a signing time */
    if (!s->has_signing_time) {
        verify_item(v, VERIFY_VALIDITY, idx, 0, "the signing time is missing");
        return;
    }
    if (check_validity(cert, chained ? &chain : NULL, s->signing_time, published_at, why, sizeof why) != 0)
        verify_item(v, VERIFY_VALIDITY, idx, 0, "%s", why);
    else
        verify_item(v, VERIFY_VALIDITY, idx, 1, "the certificates were valid at the signing time");
    const trust_cert_t *unknown;
    if (check_revocation(cert, chained ? &chain : NULL, s->signing_time, why, sizeof why, &unknown) != 0) {
        verify_item(v, VERIFY_REVOCATION, idx, 0, "%s", why);
    } else if (unknown != NULL) {
        char ca[sizeof v->unjudged_ca];
        trust_unchecked_issuer_name(trust, unknown, ca, sizeof ca);
        if (v->unjudged++ == 0)
            memcpy(v->unjudged_ca, ca, sizeof ca);
        verify_item(
            v, VERIFY_REVOCATION, idx, 1,
            "no loaded CRL revokes the certificate, but the revocations of its CA %s cannot be checked now: "
            "none of that CA's CRLs verifies against the trust store",
            ca);
    } else {
        verify_item(v, VERIFY_REVOCATION, idx, 1, "no loaded CRL revokes the certificate");
    }
}
