/* routes.c — every route of http.md: matching, rate limits, answers.
 *
 * Paths are matched exactly as received: no decoding, no "..", no trailing
 * slash guessing. All domain work is in lookup/ (view, render, qr). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lookup/code.h"
#include "lookup/filecheck.h"
#include "lookup/jarena.h"
#include "lookup/qr.h"
#include "lookup/receipt.h"
#include "lookup/verify.h"
#include "lookup/view.h"
#include "portal/cache.h"
#include "portal/framing.h"
#include "portal/limits.h"
#include "portal/multipart.h"
#include "portal/alog.h"
#include "portal/match.h"
#include "portal/metrics.h"
#include "portal/ratelimit.h"
#include "portal/routes.h"
#include "portal/server.h"
#include "portal/snapshot.h"

#include <openssl/evp.h>

#define MISS_COST 5 /* a lookup that finds nothing costs five hits (http.md: misses count more) */
#define PAGE_BUFFER_KEEP (256 * 1024) /* a thread keeps its page buffer up to this capacity */

/* No script-src: default-src 'none' refuses every script, so connect-src
 * 'self' allows nothing a page does; it lets tools that fetch in the page's
 * context read the site's own files (Lighthouse's robots.txt check). */
#define CSP                                                                                                  \
    "default-src 'none'; img-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; "         \
    "base-uri 'none'; frame-ancestors 'none'"

enum { F_HTML = 1, F_PRIVATE = 2, F_PUBLIC_CACHE = 4 };

typedef struct {
    worker_t *w;
    h2o_req_t *req;
    int route;
    int lang; /* 0 vi, 1 en */
    int lang_explicit;
    const match_t *m; /* its route, for the access log */
    str_t path;       /* without the query */
    str_t query;      /* after '?', may be empty */
    double start;
    int client_known; /* 0 not looked up yet, 1 in client, -1 unknown (client_of) */
    struct sockaddr_storage client;
} rq_t;

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int is_method(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 301:
        return "Moved Permanently";
    case 303:
        return "See Other";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

/* h2o keeps the pointers it is given: values are copied into the request's pool. */
static void add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, v.base, v.len);
}

/* name must be a string literal (h2o keeps the pointer). */
static void add_header_name(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base, v.len);
}

static const struct sockaddr_storage *client_of(rq_t *r);

/* An answer's status, headers, metrics and log line: all of respond but
 * the sending, which libh2o's own error answers do themselves
 * (routes_own_error). */
static void dress(rq_t *r, int status, const char *type, size_t len, int flags)
{
    h2o_req_t *req = r->req;
    req->res.status = status;
    req->res.reason = reason_of(status);
    if (type != NULL)
        add_header(req, H2O_TOKEN_CONTENT_TYPE, type);
    add_header_name(req, "x-content-type-options", "nosniff");
    add_header_name(req, "referrer-policy", "no-referrer");
    if (req->scheme == &H2O_URL_SCHEME_HTTPS)
        add_header(req, H2O_TOKEN_STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    if (flags & F_HTML) {
        add_header_name(req, "content-security-policy", CSP);
        add_header_name(req, "x-frame-options", "DENY");
    }
    if (flags & F_PRIVATE) {
        add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
        add_header_name(req, "x-robots-tag", "noindex");
    } else if (flags & F_PUBLIC_CACHE) {
        add_header(req, H2O_TOKEN_CACHE_CONTROL, "public, max-age=3600");
    } else {
        add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-cache");
    }
    req->res.content_length = len;
    double dt = now_s() - r->start;
    metrics_request(r->route, status, dt);
    alog_request(req, r->m, client_of(r), status, is_method(req, "HEAD") ? 0 : len, dt);
}

/* Every answer goes out here: headers, body, log line, metrics. */
static int respond(rq_t *r, int status, const char *type, const char *body, size_t len, int flags)
{
    dress(r, status, type, len, flags);
    h2o_send_inline(r->req, body, len);
    return 0;
}

/* ---- client address and rate limits ----------------------------------------------- */

static int same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    return a->ss_family == AF_INET6 &&
           memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* The address the last X-Forwarded-For field ends with (match_forwarded_for). */
static int forwarded_for(h2o_req_t *req, struct sockaddr_storage *out)
{
    ssize_t i = -1, last = -1;
    while ((i = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, i)) != -1)
        last = i;
    if (last < 0)
        return -1;
    const h2o_iovec_t v = req->headers.entries[last].value;
    return match_forwarded_for(str_n(v.base, v.len), out);
}

/* The client of a request, found once: its TCP peer, or, when the peer is a
 * --trusted-proxy, the address that proxy put last in X-Forwarded-For (a
 * client's own X-Forwarded-For is never believed; a proxy's header that
 * cannot be read leaves the proxy's address). NULL when it is unknown. */
static const struct sockaddr_storage *client_of(rq_t *r)
{
    if (r->client_known == 0) {
        r->client_known = -1;
        memset(&r->client, 0, sizeof r->client);
        if (r->req->conn->callbacks->get_peername(r->req->conn, (struct sockaddr *)&r->client) > 0) {
            r->client_known = 1;
            for (int i = 0; i < portal.ntrusted_proxies; i++) {
                struct sockaddr_storage fwd;
                if (same_ip(&r->client, &portal.trusted_proxies[i])) {
                    if (forwarded_for(r->req, &fwd) == 0)
                        r->client = fwd;
                    break;
                }
            }
        }
    }
    return r->client_known > 0 ? &r->client : NULL;
}

static unsigned limited(rq_t *r)
{
    const struct sockaddr_storage *ss = portal.limiter != NULL ? client_of(r) : NULL;
    return ss != NULL ? ratelimit_check(portal.limiter, (const struct sockaddr *)ss) : 0;
}

static void charge(rq_t *r, unsigned cost)
{
    const struct sockaddr_storage *ss = portal.limiter != NULL ? client_of(r) : NULL;
    if (ss != NULL)
        ratelimit_charge(portal.limiter, (const struct sockaddr *)ss, cost);
}

/* ---- language -------------------------------------------------------------------- */

/* What keeps a page's language on its links and redirects: English always
 * (Vietnamese is the default), Vietnamese when it was chosen with ?lang=vi
 * (a browser that prefers English would otherwise switch back). */
static const char *lang_query(const rq_t *r)
{
    return r->lang ? "?lang=en" : r->lang_explicit ? "?lang=vi" : "";
}

static const char *lang_name(const rq_t *r)
{
    return r->lang ? "en" : "vi";
}

static const char *tr(const rq_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r->w->catalog[r->lang], key));
    return s != NULL ? s : key;
}

/* ---- rendering ------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} dump_buf_t;

static int dump_append(const char *buf, size_t size, void *data)
{
    dump_buf_t *d = data;
    if (size >= d->cap - d->len) {
        size_t cap = d->cap * 2 > d->len + size + 1 ? d->cap * 2 : d->len + size + 1;
        char *p = realloc(d->p, cap);
        if (p == NULL)
            return -1;
        d->p = p;
        d->cap = cap;
    }
    memcpy(d->p + d->len, buf, size);
    d->len += size;
    d->p[d->len] = '\0';
    return 0;
}

/* Compact JSON in plain malloc'd memory, NUL-terminated, or NULL. Unlike
 * json_dumps's, the text never lives in a jansson arena (jarena.h), so it
 * may outlive the request's region and is freed with free(). */
static char *dump_json(const json_t *o, size_t *len)
{
    dump_buf_t d = {NULL, 0, 0};
    if (json_dump_callback(o, dump_append, &d, JSON_COMPACT) != 0 || d.p == NULL) {
        free(d.p);
        return NULL;
    }
    *len = d.len;
    return d.p;
}

/* A path the language link may repeat: on this site, whatever a browser
 * makes of it. "//host" and "/\host" would leave it (a browser reads a
 * backslash as a slash), and a byte outside printable ASCII is not part of
 * any path a browser sends. */
static int local_path(str_t p)
{
    if (p.len == 0 || p.len >= 512 || p.ptr[0] != '/' || (p.len > 1 && (p.ptr[1] == '/' || p.ptr[1] == '\\')))
        return 0;
    for (size_t i = 0; i < p.len; i++)
        if ((unsigned char)p.ptr[i] <= 0x20 || (unsigned char)p.ptr[i] >= 0x7F)
            return 0;
    return 1;
}

/* What every page's context has: the language, its catalog, the public URL
 * and the link to the same page in the other language. */
static void add_base(rq_t *r, json_t *c)
{
    char sw[600];
    json_object_set_new(c, "lang", json_string(lang_name(r)));
    json_object_set_new(c, "lang_explicit", json_boolean(r->lang_explicit));
    json_object_set(c, "t", r->w->catalog[r->lang]);
    json_object_set_new(c, "public_url", json_string(portal.public_url));
    snprintf(sw, sizeof sw, "/%s", lang_query(r)); /* home, in this page's language */
    json_object_set_new(c, "home_url", json_string(sw));
    /* the same page in the other language; the home page's when the path
     * is not one to repeat */
    str_t path = local_path(r->path) ? r->path : str_n("/", 1);
    snprintf(sw, sizeof sw, "%.*s?lang=%s", (int)path.len, path.ptr, r->lang ? "vi" : "en");
    json_object_set_new(c, "lang_switch_url", json_string(sw));
}

static json_t *base_context(rq_t *r)
{
    json_t *c = json_object();
    if (c != NULL)
        add_base(r, c);
    return c;
}

static int render_page(rq_t *r, int status, const char *tmpl, json_t *ctx, int flags)
{
    render_out_t out;
    memset(&out, 0, sizeof out);
    int rc = render(portal.pages[r->lang], tmpl, ctx, &out);
    json_decref(ctx);
    if (rc != 0) {
        render_out_free(&out);
        static const char fallback[] = "<!doctype html><title>500</title><p>Internal error / Lỗi hệ thống</p>";
        return respond(r, 500, "text/html; charset=utf-8", fallback, sizeof fallback - 1, F_HTML);
    }
    respond(r, status, "text/html; charset=utf-8", out.ptr, out.len, F_HTML | flags);
    render_out_free(&out);
    return 0;
}

/* An error page; with form_value non-NULL the lookup form is shown again. */
static int error_page(rq_t *r, int status, const char *message, const char *form_value)
{
    char key[32];
    json_t *c = base_context(r);
    snprintf(key, sizeof key, "error.%d.title", status);
    const char *title = tr(r, key);
    if (message == NULL) {
        snprintf(key, sizeof key, "error.%d.message", status);
        message = tr(r, key);
    }
    json_object_set_new(c, "error", json_pack("{s:i, s:s, s:s}", "status", status, "title", title, "message", message));
    if (form_value != NULL) {
        /* what the person typed, as typed: the renderer escapes it and
         * replaces bytes that are not UTF-8 */
        json_t *form = json_pack("{s:s}", "error", message);
        json_object_set_new(form, "value", json_stringn_nocheck(form_value, strlen(form_value)));
        json_object_set_new(c, "form", form);
    }
    return render_page(r, status, "error", c, F_PRIVATE);
}

/* An RFC 9457 problem in the page language, compact JSON in malloc'd
 * memory (*len bytes), or NULL. */
static char *problem_json(rq_t *r, int status, const char *error, const char *detail, size_t *len)
{
    char key[64];
    /* the error's own title where the catalog has one (a status may stand
     * for several errors: 400 bad_request, too_many_codes, malformed_code),
     * else the status's */
    snprintf(key, sizeof key, "error.%s.title", error);
    if (json_object_get(r->w->catalog[r->lang], key) == NULL)
        snprintf(key, sizeof key, "error.%d.title", status);
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", tr(r, key), "status", status,
                          "detail", detail ? detail : "", "error", error);
    char *s = o ? dump_json(o, len) : NULL;
    json_decref(o);
    return s;
}

static int problem(rq_t *r, int status, const char *error, const char *detail)
{
    size_t len = 0;
    char *s = problem_json(r, status, error, detail, &len);
    if (s == NULL) /* out of memory: no body, but the headers of any API answer (http.md) */
        return respond(r, 500, "text/plain", "", 0, F_PRIVATE);
    respond(r, status, "application/problem+json", s, len, F_PRIVATE);
    free(s);
    return 0;
}

/* A 200 API answer of the JSON o (its reference is taken; NULL when it could not be made), or
 * 503 when it cannot be written. */
static int respond_json(rq_t *r, json_t *o)
{
    size_t len = 0;
    char *s = o != NULL ? dump_json(o, &len) : NULL;
    json_decref(o);
    if (s == NULL)
        return problem(r, 503, "unavailable", tr(r, "error.503.message"));
    respond(r, 200, "application/json", s, len, F_PRIVATE);
    free(s);
    return 0;
}

static int too_many(rq_t *r, unsigned wait, int api)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%u", wait);
    add_header(r->req, H2O_TOKEN_RETRY_AFTER, secs);
    metrics_rate_limited();
    return api ? problem(r, 429, "rate_limited", tr(r, "error.429.message")) : error_page(r, 429, NULL, NULL);
}

static int redirect(rq_t *r, int status, const char *location)
{
    add_header(r->req, H2O_TOKEN_LOCATION, location);
    return respond(r, status, "text/plain; charset=utf-8", "", 0, 0);
}

static int not_allowed(rq_t *r, const char *allow)
{
    add_header(r->req, H2O_TOKEN_ALLOW, allow);
    if (r->path.len >= 5 && memcmp(r->path.ptr, "/api/", 5) == 0)
        return problem(r, 405, "method_not_allowed", tr(r, "error.405.message"));
    return error_page(r, 405, NULL, NULL);
}

/* ---- the index --------------------------------------------------------------------------- */

/* A read of the index with the trust store for it: the transaction (snapshot_end it whatever
 * happens), or NULL; *t is NULL when either cannot be read now. */
static MDB_txn *begin_trusted(rq_t *r, snapshot_trust_t **t)
{
    int unavailable;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    *t = txn != NULL ? snapshot_trust(&r->w->rd, txn, &unavailable) : NULL;
    return txn;
}

/* The view of a code in txn under t (NULL: the trust inputs cannot be read), its verdict counted:
 * VIEW_OK, VIEW_ENOTFOUND, VIEW_EUNAVAILABLE or VIEW_EUNJUDGED. */
static int compute_view(rq_t *r, MDB_txn *txn, const snapshot_trust_t *t, const char code[CODE_LEN], view_t *v)
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
    MDB_txn *txn = begin_trusted(r, &t);
    if (t != NULL && trust_version != NULL)
        *trust_version = t->version;
    int rc = compute_view(r, txn, t, code, v);
    snapshot_end(&r->w->rd);
    return rc;
}

/* ---- routes -------------------------------------------------------------------------------- */

static int on_home(rq_t *r)
{
    json_t *c = base_context(r);
    json_object_set_new(c, "form", json_pack("{s:s}", "value", ""));
    json_object_set_new(c, "is_home", json_true()); /* the page search results describe (layout-top) */
    return render_page(r, 200, "home", c, 0);
}

static int on_lookup(rq_t *r)
{
    char raw[300], code[CODE_LEN + 1] = {0}, msg[512], loc[64];
    code_error_t e;
    str_t q = match_query_param(r->query, "code");
    size_t n = match_url_decode(q, raw, sizeof raw);
    int rc = code_parse(q.len > 3 * 256 ? str_n(raw, 257) : str_n(raw, n), code, &e);
    if (rc != CODE_OK) {
        unsigned wait = limited(r);
        if (wait)
            return too_many(r, wait, 0);
        charge(r, MISS_COST);
        code_error_text(&e, lang_name(r), msg, sizeof msg);
        return error_page(r, 400, msg, raw);
    }
    snprintf(loc, sizeof loc, "/v/%s%s", code, r->lang_explicit ? lang_query(r) : "");
    return redirect(r, 303, loc);
}

/* The code segment of a path: [A-Za-z0-9.-]{1,64}; -1 when it is not one. */
static int code_segment(str_t seg, char code[CODE_LEN], code_error_t *e)
{
    if (seg.len == 0 || seg.len > 64)
        return -1;
    for (size_t i = 0; i < seg.len; i++) {
        char c = seg.ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return -1;
    }
    return code_parse(seg, code, e) == CODE_OK ? 0 : 1;
}

enum { ANSWER_PAGE, ANSWER_PRINT, ANSWER_API };

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
    if (kind == ANSWER_API) {
        *to_free = view_api_text(v, len); /* the transcript's numbers as signed */
        return *to_free;
    }
    json_t *c = view_page_context(v, r->w->catalog[r->lang], lang_query(r), portal.public_url);
    if (c == NULL)
        return NULL;
    add_base(r, c); /* view_page_context sets none of add_base's keys */
    if (portal.receipts != NULL && receipt_allowed(v)) {
        char url[64];
        snprintf(url, sizeof url, "/v/%.16s/receipt%s", v->code, lang_query(r));
        json_object_set_new(c, "receipt_url", json_string(url));
    }
    render_out_t *out = &r->w->page;
    render_out_reset(out);
    int rc = render(portal.pages[r->lang], kind == ANSWER_PRINT ? "print" : "transcript", c, out);
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

/* A transcript route: verdict re-computed from the stored bytes, or taken
 * from the cache under a key that covers everything it depends on. */
static int on_answer(rq_t *r, const char code[CODE_LEN], int kind)
{
    int api = kind == ANSWER_API, status, rc;
    unsigned char key[32];
    const char *type = api ? "application/json" : "text/html; charset=utf-8";
    int flags = F_PRIVATE | (api ? 0 : F_HTML);
    unsigned wait = limited(r);
    if (wait)
        return too_many(r, wait, api);
    snapshot_trust_t *t;
    MDB_txn *txn = begin_trusted(r, &t);
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
            charge(r, 1);
            metrics_verdict(status);
            return respond(r, 200, type, hit, len, flags);
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
        charge(r, MISS_COST);
        if (api)
            return problem(r, 404, "not_found", tr(r, "error.404.message"));
        /* the form again with the code looked up, to compare with the paper */
        char g[CODE_GROUPED_LEN + 1];
        code_format_grouped(code, g);
        return error_page(r, 404, NULL, g);
    }
    if (rc == VIEW_EUNJUDGED) /* package-format.md §6: never valid, never cached */
        return api ? problem(r, 503, "unavailable", tr(r, "error.503.revocation"))
                   : error_page(r, 503, tr(r, "error.503.revocation"), NULL);
    if (rc != VIEW_OK)
        return api ? problem(r, 503, "unavailable", tr(r, "error.503.message"))
                   : error_page(r, 503, NULL, NULL);
    charge(r, 1);
    if (body == NULL) {
        trim_page_buffer(r->w);
        return api ? problem(r, 503, "unavailable", tr(r, "error.503.message")) : error_page(r, 503, NULL, NULL);
    }
    cache_put(r->w->cache, key, status, body, len);
    respond(r, 200, type, body, len, flags);
    free(to_free);
    trim_page_buffer(r->w);
    return 0;
}

static int on_qr(rq_t *r, const char code[CODE_LEN], int png)
{
    index_doc_t d;
    /* checked before the index is read: a client out of tokens gets 429 for
     * every code alike, or the QR route would tell it, for free, which codes
     * exist. A known code's QR still costs nothing (it comes with its page). */
    unsigned wait = limited(r);
    if (wait)
        return too_many(r, wait, 0);
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    if (txn == NULL)
        return error_page(r, 503, NULL, NULL);
    int rc = index_get_doc(r->w->rd.env->ix, txn, code, INDEX_HEAD_ONLY, &d);
    int kind = rc == INDEX_OK ? d.kind : 0;
    index_doc_free(&d);
    snapshot_end(&r->w->rd);
    if (rc == INDEX_ENOTFOUND || (rc == INDEX_OK && kind != INDEX_KIND_TRANSCRIPT)) {
        charge(r, MISS_COST);
        char g[CODE_GROUPED_LEN + 1];
        code_format_grouped(code, g);
        return error_page(r, 404, NULL, g);
    }
    if (rc != INDEX_OK)
        return error_page(r, 503, NULL, NULL);
    char content[700], g[CODE_GROUPED_LEN + 1];
    int alnum = 0;
    qr_symbol_t sym;
    qr_buf_t out;
    memset(&out, 0, sizeof out);
    if (qr_content(str_c(portal.public_url), code, content, sizeof content, &alnum) != 0 ||
        qr_encode(content, alnum, &sym) != 0)
        return error_page(r, 503, NULL, NULL);
    code_format_grouped(code, g);
    rc = png ? qr_png(&sym, 8, &out) : qr_svg(&sym, str_c(g), 8, &out);
    qr_free(&sym);
    if (rc != 0) {
        qr_buf_free(&out);
        return error_page(r, 503, NULL, NULL);
    }
    respond(r, 200, png ? "image/png" : "image/svg+xml", out.ptr, out.len, F_PUBLIC_CACHE);
    qr_buf_free(&out);
    return 0;
}

/* The code of an API path's segment (any valid spelling): 0, or -1 once the request was answered
 * (400 malformed_code, charged as a miss, or 429). */
static int api_code(rq_t *r, str_t seg, char code[CODE_LEN + 1])
{
    char msg[512];
    code_error_t e;
    if (seg.len <= 64 && code_parse(seg, code, &e) == CODE_OK)
        return 0;
    unsigned wait = limited(r);
    if (wait) {
        too_many(r, wait, 1);
        return -1;
    }
    charge(r, MISS_COST);
    if (seg.len > 64) {
        e.err = CODE_ELENGTH;
        e.count = seg.len;
    }
    code_error_text(&e, lang_name(r), msg, sizeof msg);
    problem(r, 400, "malformed_code", msg);
    return -1;
}

static int on_api_transcript(rq_t *r, str_t seg)
{
    char code[CODE_LEN + 1] = {0};
    return api_code(r, seg, code) != 0 ? 0 : on_answer(r, code, ANSWER_API);
}

static int on_api_verify(rq_t *r)
{
    h2o_req_t *req = r->req;
    unsigned wait = limited(r);
    if (wait)
        return too_many(r, wait, 1);
    json_t *body, *codes;
    match_refusal_t why;
    /* a second Content-Type leaves the media type unknown: it is taken as none that is JSON */
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    str_t type = ct < 0 || h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, ct) >= 0
                     ? str_n("", 0)
                     : str_n(req->headers.entries[ct].value.base, req->headers.entries[ct].value.len);
    int bad = match_verify_body(ct < 0 ? NULL : &type, str_n(req->entity.base, req->entity.len), &body, &codes,
                                &why);
    if (bad == MATCH_BODY_UNSUPPORTED)
        add_header_name(req, "accept-post", "application/json"); /* RFC 9110 §15.5.16 */
    if (bad != MATCH_BODY_OK)
        return problem(r, bad, why.error, tr(r, why.detail));
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
        if (i > 0 && (wait = limited(r)) != 0) {
            json_decref(results);
            json_decref(body);
            return too_many(r, wait, 1);
        }
        if (s == NULL || code_parse(str_n(s, json_string_length(c)), code, NULL) != CODE_OK) {
            charge(r, MISS_COST);
            res = json_pack("{s:O, s:s}", "code", c, "status", "malformed");
        } else {
            int rc = lookup_view(r, code, &v, NULL);
            if (rc == VIEW_ENOTFOUND) {
                charge(r, MISS_COST);
                res = json_pack("{s:s, s:s}", "code", code, "status", "not_found");
            } else if (rc == VIEW_EUNJUDGED) {
                /* http.md: this entry cannot be checked now; the others can */
                charge(r, 1);
                res = json_pack("{s:s, s:s}", "code", code, "status", "unavailable");
            } else if (rc != VIEW_OK) {
                unavailable = 1;
                res = NULL;
            } else {
                charge(r, 1);
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
        return problem(r, 503, "unavailable", tr(r, "error.503.message"));
    }
    return respond_json(r, json_pack("{s:o}", "results", results));
}

/* ---- receipts (lookup/receipt.h) ------------------------------------------------------- */

/* /v/CODE/receipt (api 0) and /api/v1/transcripts/CODE/receipt (api 1): a lookup, charged as one,
 * and one signature. Never cached: each is a statement about the moment of its request. */
static int on_receipt(rq_t *r, const char code[CODE_LEN], int api)
{
    view_t v;
    uint64_t version = 0;
    unsigned wait = limited(r);
    if (wait)
        return too_many(r, wait, api);
    int rc = lookup_view(r, code, &v, &version);
    if (rc == VIEW_ENOTFOUND) {
        view_free(&v);
        charge(r, MISS_COST);
        if (api)
            return problem(r, 404, "not_found", tr(r, "error.404.message"));
        char g[CODE_GROUPED_LEN + 1];
        code_format_grouped(code, g);
        return error_page(r, 404, NULL, g);
    }
    if (rc != VIEW_OK) {
        view_free(&v);
        const char *why = tr(r, rc == VIEW_EUNJUDGED ? "error.503.revocation" : "error.503.message");
        return api ? problem(r, 503, "unavailable", why) : error_page(r, 503, why, NULL);
    }
    charge(r, 1);
    if (!receipt_allowed(&v)) {
        view_free(&v);
        return api ? problem(r, 409, "not_receiptable", tr(r, "error.409.message")) : error_page(r, 409, NULL, NULL);
    }
    int64_t now = (int64_t)time(NULL);
    size_t len = 0, derlen = 0;
    unsigned char *der = NULL;
    char *statement = receipt_statement(&v, portal.public_url, version, now, &len);
    if (statement == NULL || receipt_sign(portal.receipts, statement, len, now, &der, &derlen) != 0) {
        view_free(&v);
        free(statement);
        return api ? problem(r, 503, "unavailable", tr(r, "error.503.message")) : error_page(r, 503, NULL, NULL);
    }
    if (api) {
        char disposition[96];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"hocba-receipt-%.16s.p7m\"", code);
        add_header(r->req, H2O_TOKEN_CONTENT_DISPOSITION, disposition);
        respond(r, 200, "application/pkcs7-mime; smime-type=signed-data", (const char *)der, derlen, F_PRIVATE);
    } else {
        json_t *c = receipt_page_context(&v, r->w->catalog[r->lang], lang_query(r), portal.public_url, version, now,
                                         statement, len, der, derlen);
        if (c != NULL)
            add_base(r, c);
        if (c == NULL)
            error_page(r, 503, NULL, NULL);
        else
            render_page(r, 200, "receipt", c, F_PRIVATE);
    }
    view_free(&v);
    free(statement);
    free(der);
    return 0;
}

static int on_api_receipt(rq_t *r, str_t seg)
{
    char code[CODE_LEN + 1] = {0};
    if (portal.receipts == NULL)
        return problem(r, 404, "not_found", tr(r, "error.404.message"));
    return api_code(r, seg, code) != 0 ? 0 : on_receipt(r, code, 1);
}

/* ---- the file check (lookup/filecheck.h) ------------------------------------------------- */

/* The page of /check: the form, with a message when the request was refused (status 4xx) or the
 * answer above it (ctx holds "result"). */
static int check_page(rq_t *r, int status, const char *message, json_t *ctx)
{
    json_t *c = ctx != NULL ? ctx : json_object();
    add_base(r, c);
    json_object_set_new(c, "check_action", json_string(r->lang_explicit ? (r->lang ? "/check?lang=en" : "/check?lang=vi")
                                                                        : "/check"));
    if (message != NULL)
        json_object_set_new(c, "form_error", json_string(message));
    return render_page(r, status, "check", c, F_PRIVATE);
}

static int check_refused(rq_t *r, int api, int status, const char *error, const char *detail_key)
{
    return api ? problem(r, status, error, tr(r, detail_key)) : check_page(r, status, tr(r, detail_key), NULL);
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
    const multipart_part_t *p = multipart_find(parts, n, "payload"), *s = multipart_find(parts, n, "signature");
    if (p == NULL || s == NULL || p->content.len == 0 || s->content.len == 0 || n != 2) {
        *key = n > 2 || (n == 2 && (p == NULL || s == NULL)) ? "error.bad_multipart.parts" : "error.bad_multipart.missing";
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
static int on_check(rq_t *r, int api)
{
    if (!api && !is_method(r->req, "POST"))
        return check_page(r, 200, NULL, NULL);
    unsigned wait = limited(r);
    if (wait)
        return too_many(r, wait, api);
    charge(r, 1);
    str_t payload, signature;
    const char *error, *key;
    int status = check_parts(r->req, &payload, &signature, &error, &key);
    if (status == 415)
        add_header_name(r->req, "accept-post", "multipart/form-data"); /* RFC 9110 §15.5.16 */
    if (status != 0)
        return check_refused(r, api, status, error, key);
    int rc = FILECHECK_EUNAVAILABLE;
    filecheck_t f;
    memset(&f, 0, sizeof f);
    snapshot_trust_t *t;
    MDB_txn *txn = begin_trusted(r, &t);
    if (t != NULL)
        rc = filecheck_run(r->w->rd.env->ix, txn, t->trust, payload, signature, (int64_t)time(NULL), &f);
    snapshot_end(&r->w->rd);
    json_t *o = NULL;
    if (rc == FILECHECK_OK)
        o = api ? filecheck_api_json(&f, portal.public_url)
                : filecheck_page_context(&f, r->w->catalog[r->lang], lang_query(r));
    filecheck_free(&f);
    if (o == NULL) {
        const char *why = tr(r, rc == FILECHECK_EUNJUDGED ? "error.503.revocation_file" : "error.503.message");
        return api ? problem(r, 503, "unavailable", why) : error_page(r, 503, why, NULL);
    }
    return api ? respond_json(r, o) : check_page(r, 200, NULL, o);
}

static int on_static(rq_t *r, str_t name)
{
    for (size_t i = 0; i < portal.nstatics; i++) {
        const static_file_t *f = &portal.statics[i];
        if (strlen(f->name) == name.len && memcmp(f->name, name.ptr, name.len) == 0)
            return respond(r, 200, f->type, f->data, f->len, F_PUBLIC_CACHE);
    }
    return error_page(r, 404, NULL, NULL);
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
        return respond(r, 503, "text/plain; charset=utf-8", "unavailable\n", 12, 0);
    return respond(r, 200, "text/plain; charset=utf-8", "ok\n", 3, 0);
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
    metrics_render(&r->req->pool, &out, ok ? &counts : NULL, t != NULL ? t->trust : NULL, conns, portal.threads);
    return respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", out.base, out.len, 0);
}

/* /v/SEG, /v/SEG/qr.svg, /v/SEG/qr.png, /v/SEG/print, and /V/SEG. */
static int on_v(rq_t *r, const match_t *m)
{
    char code[CODE_LEN + 1] = {0}, msg[512], loc[96];
    code_error_t e;
    if (m->kind == MATCH_RECEIPT && portal.receipts == NULL)
        return error_page(r, 404, NULL, NULL); /* no receipt key: no receipts (http.md) */
    int rc = code_segment(m->seg, code, &e);
    if (rc < 0)
        return error_page(r, 404, NULL, NULL);
    if (rc > 0) {
        unsigned wait = limited(r);
        if (wait)
            return too_many(r, wait, 0);
        charge(r, MISS_COST);
        code_error_text(&e, lang_name(r), msg, sizeof msg);
        return error_page(r, 400, msg, "");
    }
    if (m->upper || m->seg.len != CODE_LEN || memcmp(m->seg.ptr, code, CODE_LEN) != 0) {
        snprintf(loc, sizeof loc, "/v/%s%.*s%s", code, (int)m->sub.len, m->sub.ptr,
                 r->lang_explicit ? lang_query(r) : "");
        return redirect(r, 301, loc);
    }
    if (m->kind == MATCH_QR_SVG || m->kind == MATCH_QR_PNG)
        return on_qr(r, code, m->kind == MATCH_QR_PNG);
    if (m->kind == MATCH_RECEIPT)
        return on_receipt(r, code, 0);
    return on_answer(r, code, m->kind == MATCH_PRINT ? ANSWER_PRINT : ANSWER_PAGE);
}

/* A request of the public listener, routed (m) and its language picked. */
static void begin(rq_t *r, h2o_req_t *req, match_t *m)
{
    memset(r, 0, sizeof *r);
    r->w = H2O_STRUCT_FROM_MEMBER(worker_t, ctx, req->conn->ctx);
    r->req = req;
    r->start = now_s();
    r->route = ROUTE_OTHER;
    match_request(str_n(req->path.base, req->path.len), m); /* also splits path and query */
    r->m = m;
    r->path = m->path;
    r->query = m->query;
    ssize_t h = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT_LANGUAGE, -1);
    str_t accept = h < 0 ? str_n("", 0) : str_n(req->headers.entries[h].value.base, req->headers.entries[h].value.len);
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
        return problem(&r, 400, "bad_framing", tr(&r, "error.bad_framing.message"));
    }

    /* Bounded headers: nothing we serve needs more (docs/portal.md). */
    size_t hbytes = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        hbytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    /* libh2o keeps Host apart from req->headers: it counts as one field too */
    if (hbytes + req->authority.len > PORTAL_MAX_HEADER_BYTES || req->headers.size + 1 > PORTAL_MAX_HEADERS) {
        if (r.path.len >= 5 && memcmp(r.path.ptr, "/api/", 5) == 0)
            return problem(&r, 431, "headers_too_large", tr(&r, "error.431.message"));
        return error_page(&r, 431, NULL, NULL);
    }

    /* Only the file check reads a body over 64 KiB (limits.h): any other is refused as libh2o
     * refuses one over the server's limit, with the connection closed. */
    if (req->entity.len > LIMITS_MAX_BODY && !(is_method(req, "POST") && (m.kind == MATCH_CHECK || m.kind == MATCH_API_PACKAGE_VERIFY))) {
        req->http1_is_persistent = 0;
        return problem(&r, 413, "too_large", tr(&r, "error.too_large.message"));
    }

    static const int ROUTE_OF[] = {
        [MATCH_NOT_FOUND] = ROUTE_OTHER,  [MATCH_NOT_FOUND_API] = ROUTE_OTHER, [MATCH_HOME] = ROUTE_HOME,
        [MATCH_LOOKUP] = ROUTE_LOOKUP,    [MATCH_HEALTH] = ROUTE_HEALTH,       [MATCH_METRICS] = ROUTE_METRICS,
        [MATCH_STATIC] = ROUTE_STATIC,    [MATCH_PAGE] = ROUTE_PAGE,           [MATCH_PRINT] = ROUTE_PRINT,
        [MATCH_QR_SVG] = ROUTE_QR,        [MATCH_QR_PNG] = ROUTE_QR,           [MATCH_API_TRANSCRIPT] = ROUTE_API,
        [MATCH_API_VERIFY] = ROUTE_VERIFY, [MATCH_RECEIPT] = ROUTE_RECEIPT,   [MATCH_API_RECEIPT] = ROUTE_RECEIPT,
        [MATCH_CHECK] = ROUTE_CHECK,       [MATCH_API_PACKAGE_VERIFY] = ROUTE_CHECK,
    };
    if (m.kind == MATCH_METRICS && portal.metrics_listen != NULL)
        m.kind = MATCH_NOT_FOUND; /* metrics are on their private listener */
    r.route = ROUTE_OF[m.kind];
    if (m.kind == MATCH_NOT_FOUND)
        return error_page(&r, 404, NULL, NULL);
    if (m.kind == MATCH_NOT_FOUND_API)
        return problem(&r, 404, "not_found", tr(&r, "error.404.message"));
    if (!match_method_allowed(&m, str_n(req->method.base, req->method.len), &allow))
        return not_allowed(&r, allow);
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
        return on_api_transcript(&r, m.seg);
    case MATCH_API_VERIFY:
        return on_api_verify(&r);
    case MATCH_API_RECEIPT:
        return on_api_receipt(&r, m.seg);
    case MATCH_CHECK:
        return on_check(&r, 0);
    case MATCH_API_PACKAGE_VERIFY:
        return on_check(&r, 1);
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
    char *s = problem_json(&r, status, error, tr(&r, detail_key), &len);
    if (s == NULL) {
        dress(&r, 500, "text/plain", 0, 0);
        return h2o_iovec_init("", 0);
    }
    dress(&r, status, "application/problem+json", len, F_PRIVATE);
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
    r.start = now_s();
    r.route = ROUTE_METRICS;
    match_request(str_n(req->path.base, req->path.len), &m); /* for the access log */
    r.m = &m;
    /* the private listener runs on thread 0's loop, its context inside worker 0 */
    r.w = H2O_STRUCT_FROM_MEMBER(worker_t, metrics_ctx, req->conn->ctx);
    if (!h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/metrics"))) {
        r.route = ROUTE_OTHER;
        return respond(&r, 404, "text/plain; charset=utf-8", "not found\n", 10, 0);
    }
    if (!is_method(req, "GET") && !is_method(req, "HEAD")) {
        add_header(req, H2O_TOKEN_ALLOW, "GET, HEAD");
        return respond(&r, 405, "text/plain; charset=utf-8", "method not allowed\n", 19, 0);
    }
    return on_metrics(&r);
}
