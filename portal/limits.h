/* limits.h — what libh2o 2.2.5 decides about a request before the portal's
 * handler runs, made the portal's own answer.
 *
 * libh2o reads a request's body before any handler sees it. A body over
 * the server's limit (by its Content-Length, before a byte of it is read;
 * chunked, as soon as the limit is passed), a body whose framing it cannot
 * read (an unknown Transfer-Encoding, a Content-Length that is no number,
 * broken chunks) or an Expect it does not meet is answered by libh2o
 * itself, with its own plain-text 413, 400 or 417 and the connection
 * closed — no problem+json, none of the portal's headers, no access-log
 * line. Those answers are bound to the host's fallback path (no handler
 * ever is); a filter there (limits_register) turns them into the portal's
 * problem answers as they start. And a request that frames its body in two
 * ways is told apart (limits_framing) so that it is refused, not served.
 *
 * Over HTTP/2, libh2o 2.2.5 answers a body over the limit with RST_STREAM
 * (REFUSED_STREAM) and no answer at all, from inside its frame reader: there
 * is nothing to dress (docs/portal.md). */
#ifndef HOCBA_PORTAL_LIMITS_H
#define HOCBA_PORTAL_LIMITS_H

#include <h2o.h>

/** The largest request body a route reads, but the file check's (POST /check, POST
 * /api/v1/packages/verify); routes have their own, smaller ones (POST /api/v1/verify: 16 KiB). */
#define LIMITS_MAX_BODY (64 * 1024)

/** The largest part of the file check's multipart body (package-format.md §1: a payload is at most
 * 64 KiB; a .p7s is a few KiB). */
#define LIMITS_MAX_PART (64 * 1024)

/** The largest request body the server reads (h2o_globalconf_t.max_request_entity_size): the file
 * check's two parts and their multipart framing. libh2o 2.2.5 has one limit for the whole server (a
 * per-path one came later), so this one is the server's and each route refuses more than its own
 * (routes.c: LIMITS_MAX_BODY on every other route, with the connection closed as libh2o closes it). */
#define LIMITS_MAX_REQUEST (2 * LIMITS_MAX_PART + 8 * 1024)

/** Makes the portal's answer in place of one libh2o began: status, headers, metrics and log line
 * set on req, the problem+json body returned (in req's pool). status is 413, 400 or 417; error the
 * problem's `error` member; detail_key the catalog key of its detail. */
typedef h2o_iovec_t (*limits_answer_fn)(h2o_req_t *req, int status, const char *error,
                                        const char *detail_key);

/** Register, on host's fallback path, the filter that makes libh2o's own error answers the
 * portal's: 413 `too_large`, 400 `bad_framing` (HTTP/1: every 400 libh2o makes there is about
 * framing; also whenever the request frames its body in two ways, whatever libh2o answered),
 * 400 `bad_request` (HTTP/2: a header it refuses), 417 `expectation_failed`; each problem+json in
 * the request's language with the portal's headers and an access-log line (made by answer:
 * routes_own_error), and the connection closed. Other answers pass as they are (libh2o 2.2.5 makes
 * none there while a handler is registered at "/").
 * Call while configuring, before any context is made; host belongs to the public listener
 * (answer may need its worker context). */
void limits_register(h2o_hostconf_t *host, limits_answer_fn answer);

/** Whether an HTTP/1 request frames its body in more than one way (framing.h), read from the bytes
 * libh2o received for it: its connection's input still begins with the request's head while the
 * request is handled.
 * @return FRAMING_OK (also for any HTTP/2 request: its frames say where a body ends),
 * FRAMING_CONFLICT, or FRAMING_UNREAD when its head is not where it should be — a caller refuses
 * that as it refuses a conflict. Thread-safe for requests of the calling thread; allocates
 * nothing. */
int limits_framing(h2o_req_t *req);

#endif
