/* ratelimit.h — lookups per minute per client address (token buckets).
 *
 * Each client has a bucket of N tokens refilled at N per minute; a hit
 * costs 1 and a miss more (the routes say how much), so guessing codes is
 * slow. IPv6 clients are keyed by their /64. Memory is bounded whatever the
 * number of clients: the bucket idle for longest is reused. */
#ifndef HOCBA_PORTAL_RATELIMIT_H
#define HOCBA_PORTAL_RATELIMIT_H

#include <sys/socket.h>

struct ratelimit;

/** A limiter allowing per_minute lookups a minute to each client.
 * @return it (ratelimit_free), or NULL when memory runs out. */
struct ratelimit *ratelimit_new(unsigned per_minute);

/** Free r (NULL is ignored); no thread may use it any more. */
void ratelimit_free(struct ratelimit *r);

/** Whether the client sa may look up now, without charging it.
 * @return 0 when it may; otherwise the seconds to wait. Thread-safe. */
unsigned ratelimit_check(struct ratelimit *r, const struct sockaddr *sa);

/** Charge cost tokens to the client sa (a hit costs 1, a miss more). Thread-safe. */
void ratelimit_charge(struct ratelimit *r, const struct sockaddr *sa, unsigned cost);

#endif
