/* check.c — the file check (lookup/filecheck.h): a person or a program sends
 * a payload and its .p7s, and is told what the portal would say of them;
 * nothing is kept. */
#include "portal/check.h"

#include <string.h>
#include <time.h>

#include "lookup/filecheck.h"
#include "portal/limits.h"
#include "portal/multipart.h"

/* The page of /check: the form, with a message when the request was refused (status 4xx) or the
 * answer above it (ctx holds "result"). */
static int check_page(rq_t *r, int status, const char *message, json_t *ctx)
{
    json_t *c = ctx != NULL ? ctx : json_object();
    rq_add_base(r, c);
    json_object_set_new(
        c, "check_action",
        json_string(r->lang_explicit ? (r->lang ? "/check?lang=en" : "/check?lang=vi") : "/check"));
    if (message != NULL)
        json_object_set_new(c, "form_error", json_string(message));
    return rq_render_page(r, status, "check", c, RQ_PRIVATE);
}

static int check_refused(rq_t *r, int api, int status, const char *error, const char *detail_key)
{
    return api ? rq_problem(r, status, error, rq_tr(r, detail_key))
               : check_page(r, status, rq_tr(r, detail_key), NULL);
}

/* The two files of a file check, from its multipart/form-data body: 0, or the refusal's status with
 * *error and *key (the catalog key of its detail) set. */
static int check_parts(h2o_req_t *req, str_t *payload, str_t *signature, const char **error, const char **key)
{
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    size_t blen, n, at;
    /* a second Content-Type leaves the media type unknown, as on the verify route */
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    str_t type = ct < 0 || h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, ct) >= 0
                     ? str_n("", 0)
                     : str_n(req->headers.entries[ct].value.base, req->headers.entries[ct].value.len);
    int rc = multipart_boundary(type, boundary, &blen);
    *error = "bad_multipart";
    if (rc == MULTIPART_ENOTFORM) {
        *error = "unsupported_media_type";
        *key = "error.415.multipart";
        return 415;
    }
    if (rc == MULTIPART_OK)
        rc = multipart_parse(str_n(req->entity.base, req->entity.len), str_n(boundary, blen), parts, &n, &at);
    static const char *const WHY[] = {[-MULTIPART_EBOUNDARY] = "error.bad_multipart.boundary",
                                      [-MULTIPART_ESTRUCTURE] = "error.bad_multipart.structure",
                                      [-MULTIPART_EHEADER] = "error.bad_multipart.header",
                                      [-MULTIPART_EDUPLICATE] = "error.bad_multipart.duplicate",
                                      [-MULTIPART_ETOOMANY] = "error.bad_multipart.parts"};
    if (rc != MULTIPART_OK) {
        *key = WHY[-rc];
        return 400;
    }
    const multipart_part_t *p = multipart_find(parts, n, "payload"),
                           *s = multipart_find(parts, n, "signature");
    if (p == NULL || s == NULL || p->content.len == 0 || s->content.len == 0 || n != 2) {
        *key = n > 2 || (n == 2 && (p == NULL || s == NULL)) ? "error.bad_multipart.parts"
                                                             : "error.bad_multipart.missing";
        return 400;
    }
    if (p->content.len > LIMITS_MAX_PART || s->content.len > LIMITS_MAX_PART) {
        *error = "too_large";
        *key = "error.too_large.part";
        return 413;
    }
    *payload = p->content;
    *signature = s->content;
    return 0;
}

/* GET /check: the form. POST /check (api 0) and POST /api/v1/packages/verify (api 1): the verdict on
 * the two files sent, charged as a lookup whatever it finds; nothing is kept of them. */
int check_route(rq_t *r, int api)
{
    if (!api && !rq_is_method(r->req, "POST"))
        return check_page(r, 200, NULL, NULL);
    unsigned wait = rq_limited(r);
    if (wait)
        return rq_too_many(r, wait, api);
    rq_charge(r, 1);
    str_t payload, signature;
    const char *error, *key;
    int status = check_parts(r->req, &payload, &signature, &error, &key);
    if (status == 415)
        rq_add_header_name(r->req, "accept-post", "multipart/form-data"); /* RFC 9110 §15.5.16 */
    if (status != 0)
        return check_refused(r, api, status, error, key);
    int rc = FILECHECK_EUNAVAILABLE;
    filecheck_t f;
    memset(&f, 0, sizeof f);
    /* the thread's own store: the certificates of a file sent are not kept in the shared one */
    int unavailable;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    trust_t *trust = txn != NULL ? snapshot_check_trust(&r->w->rd, txn, &unavailable) : NULL;
    if (trust != NULL)
        rc = filecheck_run(r->w->rd.env->ix, txn, trust, payload, signature, (int64_t)time(NULL), &f);
    snapshot_end(&r->w->rd);
    json_t *o = NULL;
    if (rc == FILECHECK_OK)
        o = api ? filecheck_api_json(&f, portal.public_url)
                : filecheck_page_context(&f, r->w->catalog[r->lang], rq_lang_query(r));
    filecheck_free(&f);
    if (o == NULL) {
        const char *why =
            rq_tr(r, rc == FILECHECK_EUNJUDGED ? "error.503.revocation_file" : "error.503.message");
        return api ? rq_problem(r, 503, "unavailable", why) : rq_error_page(r, 503, why, NULL);
    }
    return api ? rq_respond_json(r, o) : check_page(r, 200, NULL, o);
}
