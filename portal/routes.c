/* routes.c — every route of http.md: the handlers libh2o calls, what they
 * refuse before routing, the route table, and the small routes (home,
 * lookup form, static files, health, metrics, the /v/ family's redirects).
 * The transcript routes are in transcript.c, the file check in check.c, the
 * answers they share in rq.c.
 *
 * Paths are matched exactly as received (match.h): no decoding, no "..", no
 * trailing slash guessing. All domain work is in lookup/. */
#include "portal/routes.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lookup/code.h"
#include "lookup/stats_view.h"
#include "portal/check.h"
#include "portal/framing.h"
#include "portal/limits.h"
#include "portal/match.h"
#include "portal/metrics.h"
#include "portal/rq.h"
#include "portal/server.h"
#include "portal/snapshot.h"
#include "portal/transcript.h"

static int on_home(rq_t *r)
{
    json_t *c = rq_base_context(r);
    json_object_set_new(c, "form", json_pack("{s:s}", "value", ""));
    json_object_set_new(c, "is_home", json_true()); /* the page search results describe (layout-top) */
    return rq_render_page(r, 200, "home", c, 0);
}

static int on_lookup(rq_t *r)
{
    char raw[300], code[CODE_LEN + 1] = {0}, msg[512], loc[64];
    code_error_t e;
    str_t q = match_query_param(r->query, "code");
    size_t n = match_url_decode(q, raw, sizeof raw);
    int rc = code_parse(q.len > 3 * 256 ? str_n(raw, 257) : str_n(raw, n), code, &e);
    if (rc != CODE_OK) {
        unsigned wait = rq_limited(r);
        if (wait)
            return rq_too_many(r, wait, 0);
        rq_charge(r, RQ_MISS_COST);
        code_error_text(&e, rq_lang_name(r), msg, sizeof msg);
        return rq_error_page(r, 400, msg, raw);
    }
    snprintf(loc, sizeof loc, "/v/%s%s", code, r->lang_explicit ? rq_lang_query(r) : "");
    return rq_redirect(r, 303, loc);
}

/* The code segment of a path: [A-Za-z0-9.-]{1,64}; -1 when it is not one. */
static int code_segment(str_t seg, char code[CODE_LEN], code_error_t *e)
{
    if (seg.len == 0 || seg.len > 64)
        return -1;
    for (size_t i = 0; i < seg.len; i++) {
        char c = seg.ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.'))
            return -1;
    }
    return code_parse(seg, code, e) == CODE_OK ? 0 : 1;
}

/* A query value decoded into out (n bytes, "" when absent): 0, or -1 when
 * it does not fit or holds a NUL. */
static int query_text(rq_t *r, const char *name, char *out, size_t n)
{
    str_t v = match_query_param(r->query, name);
    if (v.len >= 3 * n)
        return -1; /* no value that long decodes to fewer than n bytes */
    size_t len = match_url_decode(v, out, n);
    return len + 1 >= n || memchr(out, 0, len) != NULL ? -1 : 0;
}

static int this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return gmtime_r(&now, &tm) != NULL ? tm.tm_year + 1900 : 0;
}

/* GET /stats (api 0) and GET /api/v1/stats (api 1): the public figures,
 * read from the index's counts (lookup/stats_view.h); ?year=YYYY-YYYY picks
 * a school year, ?level= the page's chart. Neither is charged: reading a
 * few hundred counts costs less than a page of the site. */
static int on_stats(rq_t *r, int api)
{
    char ytext[16], ltext[8];
    int year = 0, level = 0;
    if (query_text(r, "year", ytext, sizeof ytext) != 0 ||
        (ytext[0] != '\0' && (year = stats_parse_school_year(ytext)) == 0))
        return api ? rq_problem(r, 400, "bad_request", rq_tr(r, "error.stats_year.message"))
                   : rq_error_page(r, 400, rq_tr(r, "error.stats_year.message"), NULL);
    if (!api && (query_text(r, "level", ltext, sizeof ltext) != 0 ||
                 (ltext[0] != '\0' && (level = stats_parse_level(ltext)) == 0)))
        return rq_error_page(r, 400, rq_tr(r, "error.stats_level.message"), NULL);
    stats_t s;
    json_t *o = NULL;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    if (txn != NULL && stats_collect(r->w->rd.env->ix, txn, STATS_BY_PROVINCE, 0, &s) == INDEX_OK)
        o = api ? stats_api(&s, year)
                : stats_page_context(&s, year, level, this_year(), r->w->catalog[r->lang]);
    if (txn != NULL) {
        stats_free(&s); /* the rows point into the map: freed before the read ends */
        snapshot_end(&r->w->rd);
    }
    if (o == NULL)
        return api ? rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"))
                   : rq_error_page(r, 503, rq_tr(r, "error.503.message"), NULL);
    if (api)
        return rq_respond_json(r, o);
    json_t *c = rq_base_context(r);
    json_object_update(c, o);
    json_decref(o);
    json_object_set_new(c, "page_title", json_string(rq_tr(r, "stats_title")));
    return rq_render_page(r, 200, "stats", c, 0);
}

static int on_static(rq_t *r, str_t name)
{
    for (size_t i = 0; i < portal.nstatics; i++) {
        const static_file_t *f = &portal.statics[i];
        if (strlen(f->name) == name.len && memcmp(f->name, name.ptr, name.len) == 0)
            return rq_respond(r, 200, f->type, f->data, f->len, RQ_PUBLIC_CACHE);
    }
    return rq_error_page(r, 404, NULL, NULL);
}

static int on_health(rq_t *r)
{
    int unavailable = 1;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    if (txn != NULL) {
        snapshot_trust(&r->w->rd, txn, &unavailable);
        snapshot_end(&r->w->rd);
    }
    if (unavailable)
        return rq_respond(r, 503, "text/plain; charset=utf-8", "unavailable\n", 12, 0);
    return rq_respond(r, 200, "text/plain; charset=utf-8", "ok\n", 3, 0);
}

static int on_metrics(rq_t *r)
{
    h2o_iovec_t out;
    index_counts_t counts;
    int unavailable = 1;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    int ok = txn != NULL && index_counts(r->w->rd.env->ix, txn, &counts) == 0;
    /* the thread keeps its store until the next request: it outlives the render */
    snapshot_trust_t *t = ok ? snapshot_trust(&r->w->rd, txn, &unavailable) : NULL;
    snapshot_end(&r->w->rd);
    int conns[PORTAL_MAX_THREADS];
    for (int i = 0; i < portal.threads; i++)
        conns[i] = portal.workers != NULL ? atomic_load(&portal.workers[i].conns) : 0;
    metrics_render(&r->req->pool, &out, ok ? &counts : NULL, t != NULL ? t->trust : NULL, conns,
                   portal.threads);
    return rq_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", out.base, out.len, 0);
}

/* /v/SEG, /v/SEG/qr.svg, /v/SEG/qr.png, /v/SEG/print, and /V/SEG. */
static int on_v(rq_t *r, const match_t *m)
{
    char code[CODE_LEN + 1] = {0}, msg[512], loc[96];
    code_error_t e;
    if (m->kind == MATCH_RECEIPT && portal.receipts == NULL)
        return rq_error_page(r, 404, NULL, NULL); /* no receipt key: no receipts (http.md) */
    int rc = code_segment(m->seg, code, &e);
    if (rc < 0)
        return rq_error_page(r, 404, NULL, NULL);
    if (rc > 0) {
        unsigned wait = rq_limited(r);
        if (wait)
            return rq_too_many(r, wait, 0);
        rq_charge(r, RQ_MISS_COST);
        code_error_text(&e, rq_lang_name(r), msg, sizeof msg);
        return rq_error_page(r, 400, msg, "");
    }
    if (m->upper || m->seg.len != CODE_LEN || memcmp(m->seg.ptr, code, CODE_LEN) != 0) {
        snprintf(loc, sizeof loc, "/v/%s%.*s%s", code, (int)m->sub.len, m->sub.ptr,
                 r->lang_explicit ? rq_lang_query(r) : "");
        return rq_redirect(r, 301, loc);
    }
    if (m->kind == MATCH_QR_SVG || m->kind == MATCH_QR_PNG)
        return transcript_qr(r, code, m->kind == MATCH_QR_PNG);
    if (m->kind == MATCH_RECEIPT)
        return transcript_receipt(r, code, 0);
    return transcript_answer(r, code, m->kind == MATCH_PRINT ? TRANSCRIPT_PRINT : TRANSCRIPT_PAGE);
}

/* A request of the public listener, routed (m) and its language picked. */
static void begin(rq_t *r, h2o_req_t *req, match_t *m)
{
    memset(r, 0, sizeof *r);
    r->w = H2O_STRUCT_FROM_MEMBER(worker_t, ctx, req->conn->ctx);
    r->req = req;
    r->start = rq_now();
    r->route = ROUTE_OTHER;
    match_request(str_n(req->path.base, req->path.len), m); /* also splits path and query */
    r->m = m;
    r->path = m->path;
    r->query = m->query;
    ssize_t h = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT_LANGUAGE, -1);
    str_t accept =
        h < 0 ? str_n("", 0) : str_n(req->headers.entries[h].value.base, req->headers.entries[h].value.len);
    r->lang = match_lang(m->query, h < 0 ? NULL : &accept, &r->lang_explicit);
}

int routes_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    rq_t r;
    match_t m;
    const char *allow;
    begin(&r, req, &m);

    /* A body framed in two ways is read one way here and maybe another by
     * a proxy in front: refused, and nothing more is read on the
     * connection, so that what followed it is never taken as a request
     * (RFC 9112 §6.3; limits.h). */
    if (limits_framing(req) != FRAMING_OK) {
        req->http1_is_persistent = 0;
        return rq_problem(&r, 400, "bad_framing", rq_tr(&r, "error.bad_framing.message"));
    }

    /* Bounded headers: nothing we serve needs more (docs/portal.md). */
    size_t hbytes = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        hbytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    /* libh2o keeps Host apart from req->headers: it counts as one field too */
    if (hbytes + req->authority.len > PORTAL_MAX_HEADER_BYTES || req->headers.size + 1 > PORTAL_MAX_HEADERS) {
        if (r.path.len >= 5 && memcmp(r.path.ptr, "/api/", 5) == 0)
            return rq_problem(&r, 431, "headers_too_large", rq_tr(&r, "error.431.message"));
        return rq_error_page(&r, 431, NULL, NULL);
    }

    /* Only the file check reads a body over 64 KiB (limits.h): any other is refused as libh2o
     * refuses one over the server's limit, with the connection closed. */
    if (req->entity.len > LIMITS_MAX_BODY &&
        !(rq_is_method(req, "POST") && (m.kind == MATCH_CHECK || m.kind == MATCH_API_PACKAGE_VERIFY))) {
        req->http1_is_persistent = 0;
        return rq_problem(&r, 413, "too_large", rq_tr(&r, "error.too_large.message"));
    }

    static const int ROUTE_OF[] = {
        [MATCH_NOT_FOUND] = ROUTE_OTHER,
        [MATCH_NOT_FOUND_API] = ROUTE_OTHER,
        [MATCH_HOME] = ROUTE_HOME,
        [MATCH_LOOKUP] = ROUTE_LOOKUP,
        [MATCH_HEALTH] = ROUTE_HEALTH,
        [MATCH_METRICS] = ROUTE_METRICS,
        [MATCH_STATIC] = ROUTE_STATIC,
        [MATCH_PAGE] = ROUTE_PAGE,
        [MATCH_PRINT] = ROUTE_PRINT,
        [MATCH_QR_SVG] = ROUTE_QR,
        [MATCH_QR_PNG] = ROUTE_QR,
        [MATCH_API_TRANSCRIPT] = ROUTE_API,
        [MATCH_API_VERIFY] = ROUTE_VERIFY,
        [MATCH_RECEIPT] = ROUTE_RECEIPT,
        [MATCH_API_RECEIPT] = ROUTE_RECEIPT,
        [MATCH_CHECK] = ROUTE_CHECK,
        [MATCH_API_PACKAGE_VERIFY] = ROUTE_CHECK,
        [MATCH_STATS] = ROUTE_STATS,
        [MATCH_API_STATS] = ROUTE_STATS,
    };
    if (m.kind == MATCH_METRICS && portal.metrics_listen != NULL)
        m.kind = MATCH_NOT_FOUND; /* metrics are on their private listener */
    r.route = ROUTE_OF[m.kind];
    if (m.kind == MATCH_NOT_FOUND)
        return rq_error_page(&r, 404, NULL, NULL);
    if (m.kind == MATCH_NOT_FOUND_API)
        return rq_problem(&r, 404, "not_found", rq_tr(&r, "error.404.message"));
    if (!match_method_allowed(&m, str_n(req->method.base, req->method.len), &allow))
        return rq_not_allowed(&r, allow);
    switch (m.kind) {
    case MATCH_HOME:
        return on_home(&r);
    case MATCH_LOOKUP:
        return on_lookup(&r);
    case MATCH_HEALTH:
        return on_health(&r);
    case MATCH_METRICS:
        return on_metrics(&r);
    case MATCH_STATIC:
        return on_static(&r, m.seg);
    case MATCH_API_TRANSCRIPT:
        return transcript_api(&r, m.seg);
    case MATCH_API_VERIFY:
        return transcript_verify(&r);
    case MATCH_API_RECEIPT:
        return transcript_api_receipt(&r, m.seg);
    case MATCH_CHECK:
        return check_route(&r, 0);
    case MATCH_API_PACKAGE_VERIFY:
        return check_route(&r, 1);
    case MATCH_STATS:
        return on_stats(&r, 0);
    case MATCH_API_STATS:
        return on_stats(&r, 1);
    default:
        return on_v(&r, &m);
    }
}

h2o_iovec_t routes_own_error(h2o_req_t *req, int status, const char *error, const char *detail_key)
{
    rq_t r;
    match_t m;
    begin(&r, req, &m); /* counted as ROUTE_OTHER, as the handler's refusals before routing are */
    /* libh2o's headers (its text/plain) go: the answer is the portal's */
    memset(&req->res.headers, 0, sizeof req->res.headers);
    size_t len = 0;
    char *s = rq_problem_json(&r, status, error, rq_tr(&r, detail_key), &len);
    if (s == NULL) {
        rq_dress(&r, 500, "text/plain", 0, 0);
        return h2o_iovec_init("", 0);
    }
    rq_dress(&r, status, "application/problem+json", len, RQ_PRIVATE);
    h2o_iovec_t body = h2o_strdup(&req->pool, s, len);
    free(s);
    return body;
}

int routes_on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    rq_t r;
    match_t m;
    memset(&r, 0, sizeof r);
    r.req = req;
    r.start = rq_now();
    r.route = ROUTE_METRICS;
    match_request(str_n(req->path.base, req->path.len), &m); /* for the access log */
    r.m = &m;
    /* the private listener runs on thread 0's loop, its context inside worker 0 */
    r.w = H2O_STRUCT_FROM_MEMBER(worker_t, metrics_ctx, req->conn->ctx);
    if (!h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/metrics"))) {
        r.route = ROUTE_OTHER;
        return rq_respond(&r, 404, "text/plain; charset=utf-8", "not found\n", 10, 0);
    }
    if (!rq_is_method(req, "GET") && !rq_is_method(req, "HEAD")) {
        rq_add_header(req, H2O_TOKEN_ALLOW, "GET, HEAD");
        return rq_respond(&r, 405, "text/plain; charset=utf-8", "method not allowed\n", 19, 0);
    }
    return on_metrics(&r);
}
