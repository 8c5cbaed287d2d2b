/* transcript.c — the routes about one transcript's code: its page, printable
 * copy and API answer (re-verified, or from the cache under a key that covers
 * everything they depend on), its QR code, its receipts, and the batch check
 * of many codes. The view itself is made in lookup/view.c. */
#include "portal/transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "lookup/jarena.h"
#include "lookup/qr.h"
#include "lookup/receipt.h"
#include "lookup/view.h"
#include "portal/cache.h"
#include "portal/metrics.h"

#define PAGE_BUFFER_KEEP (256 * 1024) /* a thread keeps its page buffer up to this capacity */

/* The view of a code in txn under t (NULL: the trust inputs cannot be read), its verdict counted:
 * VIEW_OK, VIEW_ENOTFOUND, VIEW_EUNAVAILABLE or VIEW_EUNJUDGED. */
static int compute_view(rq_t *r, MDB_txn *txn, const snapshot_trust_t *t, const char code[CODE_LEN],
                        view_t *v)
{
    int rc = t == NULL ? VIEW_EUNAVAILABLE : view_compute(r->w->rd.env->ix, txn, t->trust, code, v);
    if (rc == VIEW_OK)
        metrics_verdict(v->status);
    return rc == VIEW_ENOMEM ? VIEW_EUNAVAILABLE : rc;
}

/* The view of a code in a read of its own. trust_version, when not NULL, receives the version
 * of the trust inputs it was computed under. */
static int lookup_view(rq_t *r, const char code[CODE_LEN], view_t *v, uint64_t *trust_version)
{
    snapshot_trust_t *t;
    memset(v, 0, sizeof *v);
    MDB_txn *txn = rq_begin_trusted(r, &t);
    if (t != NULL && trust_version != NULL)
        *trust_version = t->version;
    int rc = compute_view(r, txn, t, code, v);
    snapshot_end(&r->w->rd);
    return rc;
}

/* No transcript under a code: charged as a miss; a page shows the form again with the code looked
 * up, to compare with the paper. */
static int not_found(rq_t *r, const char code[CODE_LEN], int api)
{
    char g[CODE_GROUPED_LEN + 1];
    rq_charge(r, RQ_MISS_COST);
    if (api)
        return rq_problem(r, 404, "not_found", rq_tr(r, "error.404.message"));
    code_format_grouped(code, g);
    return rq_error_page(r, 404, NULL, g);
}

static void feed_mac(void *arg, const void *bytes, size_t len)
{
    EVP_MAC_update(arg, bytes, len);
}

/* The cache key of an answer: a keyed digest of everything the answer
 * depends on (cache.h), 16 bytes, zero-padded to the cache's 32.
 * Poly1305 with one key for the whole run is not a MAC any more, but no
 * digest ever leaves the process, and as a universal hash under a secret
 * key it makes a collision with a cached answer's key improbable (< 2^-87)
 * for any bytes written into the index — at 4 times SHA-256's speed.
 * @return VIEW_OK, VIEW_ENOTFOUND or VIEW_EUNAVAILABLE. */
static int answer_key(rq_t *r, MDB_txn *txn, const snapshot_trust_t *t, const char code[CODE_LEN], int kind,
                      unsigned char key[32])
{
    /* the language, and whether it was chosen: a chosen one stays on the links */
    unsigned char head[2 + 8 + 8] = {(unsigned char)kind, (unsigned char)(r->lang | r->lang_explicit << 1)};
    size_t outl = 0;
    if (r->w->key_mac == NULL && portal.key_mac != NULL)
        r->w->key_mac = EVP_MAC_CTX_new(portal.key_mac);
    EVP_MAC_CTX *h = r->w->key_mac;
    if (h == NULL || EVP_MAC_init(h, portal.cache_secret, sizeof portal.cache_secret, NULL) != 1)
        return VIEW_EUNAVAILABLE;
    memcpy(head + 2, &t->version, 8);
    memcpy(head + 10, &t->env_gen, 8);
    EVP_MAC_update(h, head, sizeof head);
    /* a 503 is never cached: a view that cannot be computed has no key */
    int rc = view_digest(r->w->rd.env->ix, txn, code, feed_mac, h);
    memset(key, 0, 32);
    if (rc == VIEW_OK && (EVP_MAC_final(h, key, &outl, 32) != 1 || outl != 16))
        rc = VIEW_EUNAVAILABLE;
    return rc;
}

/* The body of a transcript answer from a freshly computed view, NULL when
 * it could not be made. Called inside the request's jansson region, so what
 * it returns lies outside it: a page is rendered into the thread's page
 * buffer, kept between requests; the API's JSON is malloc'd and also left
 * in *to_free. */
static const char *make_answer(rq_t *r, const view_t *v, int kind, size_t *len, char **to_free)
{
    if (kind == TRANSCRIPT_API) {
        *to_free = view_api_text(v, len); /* the transcript's numbers as signed */
        return *to_free;
    }
    json_t *c = view_page_context(v, r->w->catalog[r->lang], rq_lang_query(r), portal.public_url);
    if (c == NULL)
        return NULL;
    rq_add_base(r, c); /* view_page_context sets none of add_base's keys */
    if (portal.receipts != NULL && receipt_allowed(v)) {
        char url[64];
        snprintf(url, sizeof url, "/v/%.16s/receipt%s", v->code, rq_lang_query(r));
        json_object_set_new(c, "receipt_url", json_string(url));
    }
    render_out_t *out = &r->w->page;
    render_out_reset(out);
    int rc = render(portal.pages[r->lang], kind == TRANSCRIPT_PRINT ? "print" : "transcript", c, out);
    json_decref(c);
    if (rc != 0)
        return NULL;
    *len = out->len;
    return out->ptr;
}

/* The page buffer keeps its capacity for the next page, unless an unusual
 * page made it large. */
static void trim_page_buffer(worker_t *w)
{
    if (w->page.cap > PAGE_BUFFER_KEEP)
        render_out_free(&w->page);
}

/* The code of an API path's segment (any valid spelling): 0, or -1 once the request was answered
 * (400 malformed_code, charged as a miss, or 429). */
static int api_code(rq_t *r, str_t seg, char code[CODE_LEN + 1])
{
    char msg[512];
    code_error_t e;
    if (seg.len <= 64 && code_parse(seg, code, &e) == CODE_OK)
        return 0;
    unsigned wait = rq_limited(r);
    if (wait) {
        rq_too_many(r, wait, 1);
        return -1;
    }
    rq_charge(r, RQ_MISS_COST);
    if (seg.len > 64) {
        e.err = CODE_ELENGTH;
        e.count = seg.len;
    }
    code_error_text(&e, rq_lang_name(r), msg, sizeof msg);
    rq_problem(r, 400, "malformed_code", msg);
    return -1;
}

/* A transcript route: verdict re-computed from the stored bytes, or taken
 * from the cache under a key that covers everything it depends on. */
int transcript_answer(rq_t *r, const char code[CODE_LEN], int kind)
{
    int api = kind == TRANSCRIPT_API, status, rc;
    unsigned char key[32];
    const char *type = api ? "application/json" : "text/html; charset=utf-8";
    int flags = RQ_PRIVATE | (api ? 0 : RQ_HTML);
    unsigned wait = rq_limited(r);
    if (wait)
        return rq_too_many(r, wait, api);
    snapshot_trust_t *t;
    MDB_txn *txn = rq_begin_trusted(r, &t);
    /* without a cache the key would be computed for nothing */
    rc = t == NULL             ? VIEW_EUNAVAILABLE
         : r->w->cache == NULL ? VIEW_OK
                               : answer_key(r, txn, t, code, kind, key);
    if (rc == VIEW_OK && r->w->cache != NULL) {
        size_t len;
        const char *hit = cache_get(r->w->cache, key, &status, &len);
        metrics_cache(hit != NULL);
        if (hit != NULL) {
            snapshot_end(&r->w->rd);
            rq_charge(r, 1);
            metrics_verdict(status);
            return rq_respond(r, 200, type, hit, len, flags);
        }
    }
    /* The payload tree and the page context live and die in this thread's
     * jansson arena (jarena.h): only the rendered body leaves it. */
    view_t v;
    memset(&v, 0, sizeof v);
    const char *body = NULL;
    char *to_free = NULL;
    size_t len = 0;
    jarena_begin(r->w->arena);
    if (rc == VIEW_OK)
        rc = compute_view(r, txn, t, code, &v);
    snapshot_end(&r->w->rd);
    if (rc == VIEW_OK) {
        status = v.status;
        body = make_answer(r, &v, kind, &len, &to_free);
    }
    view_free(&v);
    jarena_end(r->w->arena);
    if (rc == VIEW_ENOTFOUND) {
        return not_found(r, code, api);
    }
    if (rc == VIEW_EUNJUDGED) /* package-format.md §6: never valid, never cached */
        return api ? rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.revocation"))
                   : rq_error_page(r, 503, rq_tr(r, "error.503.revocation"), NULL);
    if (rc != VIEW_OK)
        return api ? rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"))
                   : rq_error_page(r, 503, NULL, NULL);
    rq_charge(r, 1);
    if (body == NULL) {
        trim_page_buffer(r->w);
        return api ? rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"))
                   : rq_error_page(r, 503, NULL, NULL);
    }
    cache_put(r->w->cache, key, status, body, len);
    rq_respond(r, 200, type, body, len, flags);
    free(to_free);
    trim_page_buffer(r->w);
    return 0;
}

int transcript_qr(rq_t *r, const char code[CODE_LEN], int png)
{
    index_doc_t d;
    /* checked before the index is read: a client out of tokens gets 429 for
     * every code alike, or the QR route would tell it, for free, which codes
     * exist. A known code's QR still costs nothing (it comes with its page). */
    unsigned wait = rq_limited(r);
    if (wait)
        return rq_too_many(r, wait, 0);
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    if (txn == NULL)
        return rq_error_page(r, 503, NULL, NULL);
    int rc = index_get_doc(r->w->rd.env->ix, txn, code, INDEX_HEAD_ONLY, &d);
    int kind = rc == INDEX_OK ? d.kind : 0;
    index_doc_free(&d);
    snapshot_end(&r->w->rd);
    if (rc == INDEX_ENOTFOUND || (rc == INDEX_OK && kind != INDEX_KIND_TRANSCRIPT))
        return not_found(r, code, 0);
    if (rc != INDEX_OK)
        return rq_error_page(r, 503, NULL, NULL);
    char content[700], g[CODE_GROUPED_LEN + 1];
    int alnum = 0;
    qr_symbol_t sym;
    qr_buf_t out;
    memset(&out, 0, sizeof out);
    if (qr_content(str_c(portal.public_url), code, content, sizeof content, &alnum) != 0 ||
        qr_encode(content, alnum, &sym) != 0)
        return rq_error_page(r, 503, NULL, NULL);
    code_format_grouped(code, g);
    rc = png ? qr_png(&sym, 8, &out) : qr_svg(&sym, str_c(g), 8, &out);
    qr_free(&sym);
    if (rc != 0) {
        qr_buf_free(&out);
        return rq_error_page(r, 503, NULL, NULL);
    }
    rq_respond(r, 200, png ? "image/png" : "image/svg+xml", out.ptr, out.len, RQ_PUBLIC_CACHE);
    qr_buf_free(&out);
    return 0;
}

int transcript_api(rq_t *r, str_t seg)
{
    char code[CODE_LEN + 1] = {0};
    return api_code(r, seg, code) != 0 ? 0 : transcript_answer(r, code, TRANSCRIPT_API);
}

int transcript_verify(rq_t *r)
{
    h2o_req_t *req = r->req;
    unsigned wait = rq_limited(r);
    if (wait)
        return rq_too_many(r, wait, 1);
    json_t *body, *codes;
    match_refusal_t why;
    /* a second Content-Type leaves the media type unknown: it is taken as none that is JSON */
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    str_t type = ct < 0 || h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, ct) >= 0
                     ? str_n("", 0)
                     : str_n(req->headers.entries[ct].value.base, req->headers.entries[ct].value.len);
    int bad = match_verify_body(ct < 0 ? NULL : &type, str_n(req->entity.base, req->entity.len), &body,
                                &codes, &why);
    if (bad == MATCH_BODY_UNSUPPORTED)
        rq_add_header_name(req, "accept-post", "application/json"); /* RFC 9110 §15.5.16 */
    if (bad != MATCH_BODY_OK)
        return rq_problem(r, bad, why.error, rq_tr(r, why.detail));
    json_t *results = json_array();
    size_t i;
    json_t *c;
    int unavailable = 0;
    json_array_foreach(codes, i, c)
    {
        char code[CODE_LEN + 1] = {0};
        const char *s = json_string_value(c);
        json_t *res;
        view_t v;
        /* each code is a lookup: a batch runs out of tokens as the same
         * lookups one by one would (a batch of misses is not 100 guesses for
         * the price of one) */
        if (i > 0 && (wait = rq_limited(r)) != 0) {
            json_decref(results);
            json_decref(body);
            return rq_too_many(r, wait, 1);
        }
        if (s == NULL || code_parse(str_n(s, json_string_length(c)), code, NULL) != CODE_OK) {
            rq_charge(r, RQ_MISS_COST);
            res = json_pack("{s:O, s:s}", "code", c, "status", "malformed");
        } else {
            int rc = lookup_view(r, code, &v, NULL);
            if (rc == VIEW_ENOTFOUND) {
                rq_charge(r, RQ_MISS_COST);
                res = json_pack("{s:s, s:s}", "code", code, "status", "not_found");
            } else if (rc == VIEW_EUNJUDGED) {
                /* http.md: this entry cannot be checked now; the others can */
                rq_charge(r, 1);
                res = json_pack("{s:s, s:s}", "code", code, "status", "unavailable");
            } else if (rc != VIEW_OK) {
                unavailable = 1;
                res = NULL;
            } else {
                rq_charge(r, 1);
                res = view_summary_json(&v);
            }
            view_free(&v);
        }
        if (unavailable)
            break;
        json_array_append_new(results, res);
    }
    json_decref(body);
    if (unavailable) {
        json_decref(results);
        return rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"));
    }
    return rq_respond_json(r, json_pack("{s:o}", "results", results));
}

/* /v/CODE/receipt (api 0) and /api/v1/transcripts/CODE/receipt (api 1): a lookup, charged as one,
 * and one signature. Never cached: each is a statement about the moment of its request. */
int transcript_receipt(rq_t *r, const char code[CODE_LEN], int api)
{
    view_t v;
    uint64_t version = 0;
    unsigned wait = rq_limited(r);
    if (wait)
        return rq_too_many(r, wait, api);
    int rc = lookup_view(r, code, &v, &version);
    if (rc == VIEW_ENOTFOUND) {
        view_free(&v);
        return not_found(r, code, api);
    }
    if (rc != VIEW_OK) {
        view_free(&v);
        const char *why = rq_tr(r, rc == VIEW_EUNJUDGED ? "error.503.revocation" : "error.503.message");
        return api ? rq_problem(r, 503, "unavailable", why) : rq_error_page(r, 503, why, NULL);
    }
    rq_charge(r, 1);
    if (!receipt_allowed(&v)) {
        view_free(&v);
        return api ? rq_problem(r, 409, "not_receiptable", rq_tr(r, "error.409.message"))
                   : rq_error_page(r, 409, NULL, NULL);
    }
    int64_t now = (int64_t)time(NULL);
    size_t len = 0, derlen = 0;
    unsigned char *der = NULL;
    char *statement = receipt_statement(&v, portal.public_url, version, now, &len);
    if (statement == NULL || receipt_sign(portal.receipts, statement, len, now, &der, &derlen) != 0) {
        view_free(&v);
        free(statement);
        return api ? rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"))
                   : rq_error_page(r, 503, NULL, NULL);
    }
    if (api) {
        char disposition[96];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"hocba-receipt-%.16s.p7m\"", code);
        rq_add_header(r->req, H2O_TOKEN_CONTENT_DISPOSITION, disposition);
        rq_respond(r, 200, "application/pkcs7-mime; smime-type=signed-data", (const char *)der, derlen,
                   RQ_PRIVATE);
    } else {
        json_t *c = receipt_page_context(&v, r->w->catalog[r->lang], rq_lang_query(r), portal.public_url,
                                         version, now, statement, len, der, derlen);
        if (c != NULL)
            rq_add_base(r, c);
        if (c == NULL)
            rq_error_page(r, 503, NULL, NULL);
        else
            rq_render_page(r, 200, "receipt", c, RQ_PRIVATE);
    }
    view_free(&v);
    free(statement);
    free(der);
    return 0;
}

int transcript_api_receipt(rq_t *r, str_t seg)
{
    char code[CODE_LEN + 1] = {0};
    if (portal.receipts == NULL)
        return rq_problem(r, 404, "not_found", rq_tr(r, "error.404.message"));
    return api_code(r, seg, code) != 0 ? 0 : transcript_receipt(r, code, 1);
}
