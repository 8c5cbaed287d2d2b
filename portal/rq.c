/* rq.c — a request as the routes see it, and the answers they all make. */
#include "portal/rq.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "portal/alog.h"
#include "portal/metrics.h"
#include "portal/ratelimit.h"

/* No script-src: default-src 'none' refuses every script, so connect-src
 * 'self' allows nothing a page does; it lets tools that fetch in the page's
 * context read the site's own files (Lighthouse's robots.txt check). */
#define CSP                                                                                                  \
    "default-src 'none'; img-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; "         \
    "base-uri 'none'; frame-ancestors 'none'"

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

double rq_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int rq_is_method(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

/* h2o keeps the pointers it is given: values are copied into the request's pool. */
void rq_add_header(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, v.base, v.len);
}

/* name must be a string literal (h2o keeps the pointer). */
void rq_add_header_name(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base, v.len);
}

/* An answer's status, headers, metrics and log line: all of rq_respond but
 * the sending, which libh2o's own error answers do themselves
 * (routes_own_error). */
void rq_dress(rq_t *r, int status, const char *type, size_t len, int flags)
{
    h2o_req_t *req = r->req;
    req->res.status = status;
    req->res.reason = reason_of(status);
    if (type != NULL)
        rq_add_header(req, H2O_TOKEN_CONTENT_TYPE, type);
    rq_add_header_name(req, "x-content-type-options", "nosniff");
    rq_add_header_name(req, "referrer-policy", "no-referrer");
    if (req->scheme == &H2O_URL_SCHEME_HTTPS)
        rq_add_header(req, H2O_TOKEN_STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    if (flags & RQ_HTML) {
        rq_add_header_name(req, "content-security-policy", CSP);
        rq_add_header_name(req, "x-frame-options", "DENY");
    }
    if (flags & RQ_PRIVATE) {
        rq_add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
        rq_add_header_name(req, "x-robots-tag", "noindex");
    } else if (flags & RQ_PUBLIC_CACHE) {
        rq_add_header(req, H2O_TOKEN_CACHE_CONTROL, "public, max-age=3600");
    } else {
        rq_add_header(req, H2O_TOKEN_CACHE_CONTROL, "no-cache");
    }
    req->res.content_length = len;
    double dt = rq_now() - r->start;
    metrics_request(r->route, status, dt);
    alog_request(req, r->m, rq_client(r), status, rq_is_method(req, "HEAD") ? 0 : len, dt);
}

/* Every answer goes out here: headers, body, log line, metrics. */
int rq_respond(rq_t *r, int status, const char *type, const char *body, size_t len, int flags)
{
    rq_dress(r, status, type, len, flags);
    h2o_send_inline(r->req, body, len);
    return 0;
}

/* The client of a request, found once: its TCP peer, or, when the peer is a
 * --trusted-proxy, the address that proxy put last in X-Forwarded-For (a
 * client's own X-Forwarded-For is never believed; a proxy's header that
 * cannot be read leaves the proxy's address). NULL when it is unknown. */
const struct sockaddr_storage *rq_client(rq_t *r)
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

unsigned rq_limited(rq_t *r)
{
    const struct sockaddr_storage *ss = portal.limiter != NULL ? rq_client(r) : NULL;
    return ss != NULL ? ratelimit_check(portal.limiter, (const struct sockaddr *)ss) : 0;
}

void rq_charge(rq_t *r, unsigned cost)
{
    const struct sockaddr_storage *ss = portal.limiter != NULL ? rq_client(r) : NULL;
    if (ss != NULL)
        ratelimit_charge(portal.limiter, (const struct sockaddr *)ss, cost);
}

/* What keeps a page's language on its links and redirects: English always
 * (Vietnamese is the default), Vietnamese when it was chosen with ?lang=vi
 * (a browser that prefers English would otherwise switch back). */
const char *rq_lang_query(const rq_t *r)
{
    return r->lang ? "?lang=en" : r->lang_explicit ? "?lang=vi" : "";
}

const char *rq_lang_name(const rq_t *r)
{
    return r->lang ? "en" : "vi";
}

const char *rq_tr(const rq_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r->w->catalog[r->lang], key));
    return s != NULL ? s : key;
}

/* What every page's context has: the language, its catalog, the public URL
 * and the link to the same page in the other language. */
void rq_add_base(rq_t *r, json_t *c)
{
    char sw[600];
    json_object_set_new(c, "lang", json_string(rq_lang_name(r)));
    json_object_set_new(c, "lang_explicit", json_boolean(r->lang_explicit));
    json_object_set(c, "t", r->w->catalog[r->lang]);
    json_object_set_new(c, "public_url", json_string(portal.public_url));
    snprintf(sw, sizeof sw, "/%s", rq_lang_query(r)); /* home, in this page's language */
    json_object_set_new(c, "home_url", json_string(sw));
    /* the same page in the other language; the home page's when the path
     * is not one to repeat */
    str_t path = local_path(r->path) ? r->path : str_n("/", 1);
    snprintf(sw, sizeof sw, "%.*s?lang=%s", (int)path.len, path.ptr, r->lang ? "vi" : "en");
    json_object_set_new(c, "lang_switch_url", json_string(sw));
}

json_t *rq_base_context(rq_t *r)
{
    json_t *c = json_object();
    if (c != NULL)
        rq_add_base(r, c);
    return c;
}

int rq_render_page(rq_t *r, int status, const char *tmpl, json_t *ctx, int flags)
{
    render_out_t out;
    memset(&out, 0, sizeof out);
    int rc = render(portal.pages[r->lang], tmpl, ctx, &out);
    json_decref(ctx);
    if (rc != 0) {
        render_out_free(&out);
        static const char fallback[] =
            "<!doctype html><title>500</title><p>Internal error / Lỗi hệ thống</p>";
        return rq_respond(r, 500, "text/html; charset=utf-8", fallback, sizeof fallback - 1, RQ_HTML);
    }
    rq_respond(r, status, "text/html; charset=utf-8", out.ptr, out.len, RQ_HTML | flags);
    render_out_free(&out);
    return 0;
}

/* An error page; with form_value non-NULL the lookup form is shown again. */
int rq_error_page(rq_t *r, int status, const char *message, const char *form_value)
{
    char key[32];
    json_t *c = rq_base_context(r);
    snprintf(key, sizeof key, "error.%d.title", status);
    const char *title = rq_tr(r, key);
    if (message == NULL) {
        snprintf(key, sizeof key, "error.%d.message", status);
        message = rq_tr(r, key);
    }
    json_object_set_new(c, "error",
                        json_pack("{s:i, s:s, s:s}", "status", status, "title", title, "message", message));
    if (form_value != NULL) {
        /* what the person typed, as typed: the renderer escapes it and
         * replaces bytes that are not UTF-8 */
        json_t *form = json_pack("{s:s}", "error", message);
        json_object_set_new(form, "value", json_stringn_nocheck(form_value, strlen(form_value)));
        json_object_set_new(c, "form", form);
    }
    return rq_render_page(r, status, "error", c, RQ_PRIVATE);
}

/* An RFC 9457 problem in the page language, compact JSON in malloc'd
 * memory (*len bytes), or NULL. */
char *rq_problem_json(rq_t *r, int status, const char *error, const char *detail, size_t *len)
{
    char key[64];
    /* the error's own title where the catalog has one (a status may stand
     * for several errors: 400 bad_request, too_many_codes, malformed_code),
     * else the status's */
    snprintf(key, sizeof key, "error.%s.title", error);
    if (json_object_get(r->w->catalog[r->lang], key) == NULL)
        snprintf(key, sizeof key, "error.%d.title", status);
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", rq_tr(r, key),
                          "status", status, "detail", detail ? detail : "", "error", error);
    char *s = o ? dump_json(o, len) : NULL;
    json_decref(o);
    return s;
}

int rq_problem(rq_t *r, int status, const char *error, const char *detail)
{
    size_t len = 0;
    char *s = rq_problem_json(r, status, error, detail, &len);
    if (s == NULL) /* out of memory: no body, but the headers of any API answer (http.md) */
        return rq_respond(r, 500, "text/plain", "", 0, RQ_PRIVATE);
    rq_respond(r, status, "application/problem+json", s, len, RQ_PRIVATE);
    free(s);
    return 0;
}

/* A 200 API answer of the JSON o (its reference is taken; NULL when it could not be made), or
 * 503 when it cannot be written. */
int rq_respond_json(rq_t *r, json_t *o)
{
    size_t len = 0;
    char *s = o != NULL ? dump_json(o, &len) : NULL;
    json_decref(o);
    if (s == NULL)
        return rq_problem(r, 503, "unavailable", rq_tr(r, "error.503.message"));
    rq_respond(r, 200, "application/json", s, len, RQ_PRIVATE);
    free(s);
    return 0;
}

int rq_too_many(rq_t *r, unsigned wait, int api)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%u", wait);
    rq_add_header(r->req, H2O_TOKEN_RETRY_AFTER, secs);
    metrics_rate_limited();
    return api ? rq_problem(r, 429, "rate_limited", rq_tr(r, "error.429.message"))
               : rq_error_page(r, 429, NULL, NULL);
}

int rq_redirect(rq_t *r, int status, const char *location)
{
    rq_add_header(r->req, H2O_TOKEN_LOCATION, location);
    return rq_respond(r, status, "text/plain; charset=utf-8", "", 0, 0);
}

int rq_not_allowed(rq_t *r, const char *allow)
{
    rq_add_header(r->req, H2O_TOKEN_ALLOW, allow);
    if (r->path.len >= 5 && memcmp(r->path.ptr, "/api/", 5) == 0)
        return rq_problem(r, 405, "method_not_allowed", rq_tr(r, "error.405.message"));
    return rq_error_page(r, 405, NULL, NULL);
}

/* A read of the index with the trust store for it: the transaction (snapshot_end it whatever
 * happens), or NULL; *t is NULL when either cannot be read now. */
MDB_txn *rq_begin_trusted(rq_t *r, snapshot_trust_t **t)
{
    int unavailable;
    MDB_txn *txn = snapshot_begin(&r->w->rd);
    *t = txn != NULL ? snapshot_trust(&r->w->rd, txn, &unavailable) : NULL;
    return txn;
}
