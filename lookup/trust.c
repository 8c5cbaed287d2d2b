/* trust.c — the trust store: built from its inputs, freed, and its counts.
 * The store's other concerns have files of their own (trust_internal.h). */
#include "trust.h"

#include <openssl/x509v3.h>
#include <stdlib.h>

#include "trust_internal.h"

int trust_build(const trust_inputs_t *in, trust_t **out, char *why, size_t whylen)
{
    char sub[TRUST_WHY_LEN];
    trust_t *t = calloc(1, sizeof *t);
    *out = NULL;
    if (t == NULL) {
        WHY("out of memory");
        return -1;
    }
    pthread_rwlock_init(&t->lock, NULL);
    t->version = in->version;
    t->store = X509_STORE_new();
    t->intermediates = sk_X509_new_null();
    if (t->store == NULL || t->intermediates == NULL || trust_certcache_grow(t) != 0) {
        WHY("out of memory");
        goto fail;
    }
    if (in->anchors.len == 0) {
        WHY("no trust anchors are loaded (run: hocba-publish trust ANCHORS.pem)");
        goto fail;
    }
    if (trust_bundle_read(in->anchors, trust_store_add_cert, t, 1, sub, sizeof sub) < 0) {
        WHY("trust anchors: %s", sub);
        goto fail;
    }
    if (in->intermediates.len > 0 &&
        trust_bundle_read(in->intermediates, trust_store_add_cert, t, 0, sub, sizeof sub) < 0) {
        WHY("intermediate certificates: %s", sub);
        goto fail;
    }
    /* Certificates added so far were checked against no CRL; CRLs come
     * next and the store certs' revocation is looked up again below. */
    t->crls = calloc(in->ncrls ? in->ncrls * TRUST_MAX_CRLS_PER_FILE : 1, sizeof *t->crls);
    if (t->crls == NULL || trust_issuers_remember(t, in) != 0) {
        WHY("out of memory");
        goto fail;
    }
    for (size_t i = 0; i < in->ncrls; i++) {
        X509_CRL *file[TRUST_MAX_CRLS_PER_FILE] = {0};
        char bad[TRUST_WHY_LEN];
        int n = trust_crls_parse(in->crls[i], file, bad, sizeof bad);
        if (n < 0)
            t->nrejected++; /* an unreadable file: counted as one */
        for (int k = 0; k < n; k++) {
            /* one stored before incomplete CRLs were refused is never used */
            const trust_cert_t *by = trust_crl_verifier(t, file[k]);
            const char *incomplete = trust_crl_incomplete(file[k]);
            t->nrejected += by == NULL || incomplete != NULL;
            if (trust_crl_add(t, i, file[k], by, incomplete) != 0) {
                while (++k < n)
                    X509_CRL_free(file[k]);
                WHY("out of memory");
                goto fail;
            }
        }
    }
    if (trust_issuers_judge(t) != 0) {
        WHY("out of memory");
        goto fail;
    }
    for (size_t i = 0; i < t->nslots; i++) {
        trust_cert_t *c = t->slots[i];
        if (c != NULL) {
            trust_find_revocation(t, c);
            c->revocations_unknown = trust_unchecked_of(t, c) != NULL;
        }
    }
    if (in->registry.len > 0 && trust_registry_parse(in->registry, &t->reg, why, whylen) < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    trust_free(t);
    return -1;
}

void trust_free(trust_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nslots; i++) {
        if (t->slots[i] != NULL) {
            X509_free(t->slots[i]->x);
            free(t->slots[i]);
        }
    }
    free(t->slots);
    for (size_t i = 0; i < t->ninfos; i++)
        X509_CRL_free(t->all[i]);
    free(t->all);
    free(t->infos);
    free(t->crls);
    for (size_t i = 0; t->remembered_name != NULL && i < t->nissuers; i++)
        X509_NAME_free(t->remembered_name[i]);
    free(t->remembered_name);
    free(t->remembered_key);
    free(t->remembered_key_ok);
    free(t->remembered);
    free(t->remembered_buf);
    free(t->issuers);
    free(t->unchecked);
    trust_registry_free(&t->reg);
    sk_X509_pop_free(t->intermediates, X509_free);
    X509_STORE_free(t->store);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

uint64_t trust_version(const trust_t *t)
{
    return t->version;
}

size_t trust_anchor_count(const trust_t *t)
{
    return t->nanchors;
}

size_t trust_crl_count(const trust_t *t)
{
    return t->ncrls;
}

size_t trust_crls_rejected(const trust_t *t)
{
    return t->nrejected;
}

size_t trust_school_count(const trust_t *t)
{
    return t->reg.nschools;
}

size_t trust_cert_count(trust_t *t, size_t *der_bytes)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t n = t->nused;
    if (der_bytes != NULL)
        *der_bytes = t->der_bytes;
    pthread_rwlock_unlock(&t->lock);
    return n;
}
