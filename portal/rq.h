/* rq.h — a request as the routes see it (its worker, route, language and
 * client), and the answers every route makes: pages, problems, redirects,
 * refusals. Every answer goes out through rq_respond (or rq_dress), which
 * sets the portal's headers and counts and logs the request.
 *
 * Each function runs on the request's event-loop thread and allocates from
 * its pool or frees before it returns. Output escaping happens in the
 * templates (lookup/render.h): what is given here is raw. */
#ifndef HOCBA_PORTAL_RQ_H
#define HOCBA_PORTAL_RQ_H

#include <h2o.h>
#include <jansson.h>
#include <lmdb.h>
#include <sys/socket.h>

#include "portal/match.h"
#include "portal/server.h"
#include "portal/snapshot.h"

#define RQ_MISS_COST 5 /* a lookup that finds nothing costs five hits (http.md: misses count more) */

/* flags of an answer (rq_respond) */
enum {
    RQ_HTML = 1,        /* a page: the Content-Security-Policy and X-Frame-Options */
    RQ_PRIVATE = 2,     /* no-store, noindex: anything about a code */
    RQ_PUBLIC_CACHE = 4 /* cacheable for an hour (static files, QR codes); neither: no-cache */
};

typedef struct {
    worker_t *w;
    h2o_req_t *req;
    int route;         /* ROUTE_* (metrics.h), as counted */
    int lang;          /* MATCH_LANG_VI or MATCH_LANG_EN */
    int lang_explicit; /* chosen with ?lang= (match_lang) */
    const match_t *m;  /* its route, for the access log */
    str_t path;        /* without the query */
    str_t query;       /* after '?', may be empty */
    double start;      /* rq_now() when it came */
    int client_known;  /* 0 not looked up yet, 1 in client, -1 unknown (rq_client) */
    struct sockaddr_storage client;
} rq_t;

/** Seconds since the epoch, to the microsecond, for an answer's duration. */
double rq_now(void);

/** Whether req's method is m (exactly, case included). */
int rq_is_method(h2o_req_t *req, const char *m);

/** Add a header to req's answer; value is copied into req's pool (libh2o keeps the pointers). */
void rq_add_header(h2o_req_t *req, const h2o_token_t *token, const char *value);

/** rq_add_header by name: name must be a string literal (libh2o keeps the pointer). */
void rq_add_header_name(h2o_req_t *req, const char *name, const char *value);

/** All of an answer but its sending: status and reason, Content-Type (none when type is NULL), the
 * portal's headers for flags (RQ_*), Content-Length len, the metrics and the access-log line. For
 * answers whose body libh2o sends (routes_own_error). */
void rq_dress(rq_t *r, int status, const char *type, size_t len, int flags);

/** Send an answer: rq_dress, then the body (len bytes, copied by libh2o). @return 0. */
int rq_respond(rq_t *r, int status, const char *type, const char *body, size_t len, int flags);

/** The request's client, found once: its TCP peer or, when the peer is a --trusted-proxy, the
 * address the last X-Forwarded-For field ends with (a client's own is never believed; a proxy's
 * that cannot be read leaves the proxy's address). @return it (in r), or NULL when unknown. */
const struct sockaddr_storage *rq_client(rq_t *r);

/** Whether the client is out of lookups (--rate-limit), without charging it.
 * @return 0 when it may go on (or there is no limit, or no client address); else the seconds to wait. */
unsigned rq_limited(rq_t *r);

/** Charge the client cost lookups (1 a hit, RQ_MISS_COST a miss); nothing without a limit. */
void rq_charge(rq_t *r, unsigned cost);

/** What keeps the page's language on its links and redirects: "?lang=en" for English, "?lang=vi"
 * for a Vietnamese one chosen with ?lang=vi, else "". */
const char *rq_lang_query(const rq_t *r);

/** "en" or "vi". */
const char *rq_lang_name(const rq_t *r);

/** The catalog's text for key in the request's language, or key itself when it has none. Borrowed
 * from the worker's catalog. */
const char *rq_tr(const rq_t *r, const char *key);

/** Set what every page's template context has: lang, lang_explicit, t (the catalog), public_url,
 * home_url and lang_switch_url (the same page in the other language). */
void rq_add_base(rq_t *r, json_t *c);

/** A new context with rq_add_base's members, or NULL when memory runs out. */
json_t *rq_base_context(rq_t *r);

/** Render template tmpl with ctx (its reference taken) in the request's language and send it as
 * HTML with status and flags (RQ_HTML added); a page that cannot be rendered is a plain 500.
 * @return 0. */
int rq_render_page(rq_t *r, int status, const char *tmpl, json_t *ctx, int flags);

/** The error page of status: message, or the catalog's for the status when NULL; with form_value
 * (what the person typed, raw) not NULL, the lookup form again, holding it. Private. @return 0. */
int rq_error_page(rq_t *r, int status, const char *message, const char *form_value);

/** An RFC 9457 problem in the request's language: type, title (the error's own where the catalog
 * has one, else the status's), status, detail (NULL: "") and error.
 * @return compact JSON, malloc'd (free it), *len bytes; NULL when memory runs out. */
char *rq_problem_json(rq_t *r, int status, const char *error, const char *detail, size_t *len);

/** Send rq_problem_json's problem as application/problem+json, private; out of memory: a 500
 * without a body. @return 0. */
int rq_problem(rq_t *r, int status, const char *error, const char *detail);

/** Send the JSON o (its reference taken; NULL when it could not be made) as a 200 API answer, or a
 * 503 problem when it cannot be written. @return 0. */
int rq_respond_json(rq_t *r, json_t *o);

/** Refuse a client out of lookups: 429 with Retry-After wait, as a problem (api) or a page; counted
 * (metrics_rate_limited). @return 0. */
int rq_too_many(rq_t *r, unsigned wait, int api);

/** A redirect (301, 303) to location (ASCII; copied). @return 0. */
int rq_redirect(rq_t *r, int status, const char *location);

/** 405 with Allow: allow; a problem under /api/, else a page. @return 0. */
int rq_not_allowed(rq_t *r, const char *allow);

/** A read of the index with the trust store for it (snapshot.h), for the worker's next lookup.
 * @param t  receives the store, or NULL when the index or the trust inputs cannot be read now
 * @return the transaction, or NULL; snapshot_end(&r->w->rd) it whatever this returns. */
MDB_txn *rq_begin_trusted(rq_t *r, snapshot_trust_t **t);

#endif
