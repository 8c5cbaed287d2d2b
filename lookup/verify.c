/* verify.c — signature verification of a package, check by check: the CMS
 * read, each SignerInfo checked (verify_signer.c), then what the payload
 * declares of its signers (verify_roles.c). How the files divide the work
 * is told in verify_internal.h. */
#include "verify.h"

#include "ber.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_internal.h"

static const char *const CHECK_NAMES[VERIFY_NCHECKS] = {
    "integrity", "signature", "chain", "validity", "revocation", "roles", "seal_registry", "staff_registry",
};

const char *verify_check_name(int check)
{
    return check >= 0 && check < VERIFY_NCHECKS ? CHECK_NAMES[check] : "unknown";
}

int verify_package(trust_t *trust, const payload_t *p, const uint8_t *payload, size_t plen,
                   const uint8_t *cms, size_t cmslen, int64_t published_at,
                   const unsigned char *recall_target_principal, verdict_t *v)
{
    return verify_package_shared(trust, p, payload, plen, cms, cmslen, published_at, recall_target_principal,
                                 NULL, v);
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

    verify_fetch_mds_once();
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
    if (verify_is_pem(cms, cmslen)) {
        if (verify_pem_to_der(cms, cmslen, &der, &derlen) != 0) {
            verify_item(v, VERIFY_SIGNATURE, -1, 0,
                        "the signature file is not a CMS structure (unreadable PEM)");
            goto done;
        }
        cms = der;
        cmslen = derlen;
    }
    if (cms_parse(cms, cmslen, sd, why, sizeof why) != CMS_OK) {
        verify_item(v, VERIFY_SIGNATURE, -1, 0, "%s", why);
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
        verify_check_code(v, &dg, shared->code);
    for (size_t k = 0; k < sd->nsigners; k++)
        verify_check_signer(v, trust, p, sd, k, &dg, extra, published_at,
                            shared != NULL && shared->registry_only);

    if (p == NULL) {
        verify_item(v, VERIFY_ROLES, -1, 0, "the stored payload is no longer a valid document");
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
        verify_copy_str(vs->role, sizeof vs->role, p->signers[i].role);
        verify_copy_str(vs->name, sizeof vs->name, p->signers[i].name);
        memcpy(vs->cert_sha256, p->signers[i].cert_sha256, 32);
    }
    verify_check_declarations(v);

    int seal = verify_signer_with_role(v, "school_seal");
    if (p->kind == PAYLOAD_TRANSCRIPT) {
        verify_check_roles(v, trust, p->school_code);
        if (seal >= 0 && v->signers[seal].has_signature)
            verify_check_seal(v, trust, p->school_code, seal);
        else
            verify_item(v, VERIFY_SEAL_REGISTRY, -1, 0, "the school seal did not sign");
        verify_check_staff(v, trust, p->school_code);
    } else {
        /* A recall is authorised by a seal registered to the school, or by
         * the principal who signed the recalled transcript while the
         * registry still lists that certificate where it lists any (§4). */
        int principal = verify_signer_with_role(v, "principal");
        int by_seal = seal >= 0 && v->signers[seal].has_signature &&
                      trust_seal_registered(trust, p->school_code, v->signers[seal].cert_sha256);
        int by_principal = principal >= 0 && v->signers[principal].has_signature &&
                           recall_target_principal != NULL &&
                           memcmp(v->signers[principal].cert_sha256, recall_target_principal, 32) == 0;
        int delisted =
            by_principal && trust_staff_registered(trust, p->school_code, TRUST_STAFF_PRINCIPAL,
                                                   recall_target_principal) == TRUST_STAFF_NOT_LISTED;
        if (seal >= 0 && v->signers[seal].has_signature)
            verify_check_seal(v, trust, p->school_code, seal);
        if (by_seal || (by_principal && !delisted))
            verify_item(v, VERIFY_ROLES, -1, 1, "the recall is signed by %s",
                        by_seal ? "the school's registered seal" : "the principal who signed the transcript");
        else if (delisted)
            verify_item(
                v, VERIFY_ROLES, -1, 0,
                "the recall is signed by the principal who signed the transcript, but the school registry no "
                "longer lists that certificate among the principal_certificates of school %.24s, and by no "
                "registered seal",
                p->school_code);
        else
            verify_item(
                v, VERIFY_ROLES, -1, 0,
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
            w = snprintf(buf + used, n - used, "%s%s (%s): %s", used ? "; " : "",
                         verify_check_name(it->check), v->signers[it->signer].role, it->detail);
        else
            w = snprintf(buf + used, n - used, "%s%s: %s", used ? "; " : "", verify_check_name(it->check),
                         it->detail);
        if (w < 0)
            break;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
}
