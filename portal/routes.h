/* routes.h — the handlers libh2o calls: every route of http.md on the
 * public listener, /metrics on the private one, and the portal's own form
 * of the error answers libh2o makes itself (limits.h). */
#ifndef HOCBA_PORTAL_ROUTES_H
#define HOCBA_PORTAL_ROUTES_H

#include <h2o.h>

/** The public listener's handler (h2o_handler_t.on_req): routes the request (match.h), refuses
 * what no route reads (framing, headers, body size, method) and answers it.
 * @return 0 (every request is answered). Runs on the request's event-loop thread. */
int routes_on_req(h2o_handler_t *self, h2o_req_t *req);

/** The private metrics listener's handler (--metrics-listen): GET or HEAD /metrics, 404 for any
 * other path. Runs on thread 0's loop (its metrics context). @return 0. */
int routes_on_metrics(h2o_handler_t *self, h2o_req_t *req);

/** Make an error answer libh2o began itself, before any handler ran (limits.h), the portal's: the
 * status and reason, the headers of the portal's problem answers in place of libh2o's, its
 * metrics and its access-log line, as routes_on_req's own problems have them.
 * @param status      the answer's status
 * @param error       the problem's stable `error` member ("too_large", ...)
 * @param detail_key  the catalog key of its `detail`, in the request's language
 * @return the problem+json body to send instead of libh2o's, in req's pool; req->res.content_length
 * is its length. Public listener only (its worker context). A limits_answer_fn. */
h2o_iovec_t routes_own_error(h2o_req_t *req, int status, const char *error, const char *detail_key);

#endif
