/* limits.h — what libh2o 2.2.5 decides about a request before the portal's
 * handler runs, and what it does not tell the handler.
 *
 * A request that frames its body in two ways is told apart
 * (limits_framing) so that it is refused, not served: libh2o reads such a
 * body one way and keeps none of the framing fields in the request's
 * headers. */
#ifndef HOCBA_PORTAL_LIMITS_H
#define HOCBA_PORTAL_LIMITS_H

#include <h2o.h>

/** Whether an HTTP/1 request frames its body in more than one way (framing.h), read from the bytes
 * libh2o received for it: its connection's input still begins with the request's head while the
 * request is handled.
 * @return FRAMING_OK (also for any HTTP/2 request: its frames say where a body ends),
 * FRAMING_CONFLICT, or FRAMING_UNREAD when its head is not where it should be — a caller refuses
 * that as it refuses a conflict. Thread-safe for requests of the calling thread; allocates
 * nothing. */
int limits_framing(h2o_req_t *req);

#endif
