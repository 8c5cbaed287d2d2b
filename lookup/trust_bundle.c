/* trust_bundle.c — PEM files block by block, and the bundles of anchors and
 * intermediates put into the store. */
#include "trust.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "digest.h"
#include "trust_internal.h"

/* Call fn on each PEM block of pem in turn. none: the reason when pem is not
 * empty but holds no block (an empty pem holds none, and that is no error).
 * @return how many blocks, or -1 with *why set (a damaged block, or what fn
 *         refused). */
int trust_pem_each(str_t pem, trust_pem_block_fn fn, void *arg, const char *none, char *why, size_t whylen)
{
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    int n = 0;
    if (b == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (PEM_read_bio(b, &name, &header, &data, &len) != 1) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE && (n > 0 || pem.len == 0))
                break;
            if (n == 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                WHY("%s", none);
            else
                WHY("PEM block %d cannot be read (truncated or damaged)", n + 1);
            n = -1;
            break;
        }
        int rc = fn(arg, n, name, data, len, why, whylen);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (rc != 0) {
            n = -1;
            break;
        }
        n++;
    }
    BIO_free(b);
    return n;
}

typedef struct {
    int (*add)(trust_t *, const uint8_t *, size_t, int);
    trust_t *t;
    int anchor;
} bundle_t;

static int bundle_cert(void *arg, int index, const char *name, const unsigned char *data, long len, char *why,
                       size_t whylen)
{
    const bundle_t *bu = arg;
    int ok = strcmp(name, "CERTIFICATE") == 0;
    if (ok) {
        const unsigned char *p = data;
        X509 *x = d2i_X509(NULL, &p, len);
        ok = x != NULL && p == data + len;
        X509_free(x);
        ERR_clear_error();
    }
    if (!ok) {
        WHY("PEM block %d is a \"%s\", not a readable CERTIFICATE", index + 1, name);
        return -1;
    }
    if (bu->add != NULL && bu->add(bu->t, data, (size_t)len, bu->anchor) != 0) {
        WHY("certificate %d cannot be used (out of memory)", index + 1);
        return -1;
    }
    return 0;
}

int trust_bundle_read(str_t pem, int (*add)(trust_t *, const uint8_t *, size_t, int), trust_t *t, int anchor,
                      char *why, size_t whylen)
{
    bundle_t bu = {add, t, anchor};
    return trust_pem_each(pem, bundle_cert, &bu, "holds no PEM certificate", why, whylen);
}

int trust_store_add_cert(trust_t *t, const uint8_t *der, size_t len, int anchor)
{
    unsigned char h[32];
    trust_cert_t *c = digest_sha256(der, len, h) == 0 ? trust_certcache_get(t, h, der, len) : NULL;
    if (c == NULL)
        return -1;
    if (anchor) {
        if (!c->is_anchor && X509_STORE_add_cert(t->store, c->x) != 1)
            return -1;
        c->is_anchor = 1;
        t->nanchors++;
    } else if (!c->is_intermediate) {
        c->is_intermediate = 1;
        if (!X509_up_ref(c->x))
            return -1;
        if (!sk_X509_push(t->intermediates, c->x)) {
            X509_free(c->x);
            return -1;
        }
    }
    return 0;
}

int trust_check_bundle(str_t pem, int need_one, char *why, size_t whylen)
{
    if (pem.len == 0) {
        if (need_one)
            WHY("the file is empty");
        return need_one ? -1 : 0;
    }
    return trust_bundle_read(pem, NULL, NULL, 0, why, whylen);
}
