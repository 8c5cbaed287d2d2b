/* metrics.h — counters for /metrics in the Prometheus text format.
 *
 * Process-wide counters (atomics): any thread counts, any thread renders. */
#ifndef HOCBA_PORTAL_METRICS_H
#define HOCBA_PORTAL_METRICS_H

#include <h2o.h>

#include "lookup/index.h"
#include "lookup/trust.h"
#include "lookup/view.h"

/** The routes as the metrics count them (label `route`). */
enum {
    ROUTE_HOME,
    ROUTE_LOOKUP,
    ROUTE_PAGE,
    ROUTE_PRINT,
    ROUTE_QR,
    ROUTE_API,
    ROUTE_VERIFY,
    ROUTE_STATIC,
    ROUTE_HEALTH,
    ROUTE_METRICS,
    ROUTE_OTHER,
    ROUTE_RECEIPT,
    ROUTE_CHECK,
    ROUTE_STATS,
    ROUTE_COUNT
};

/** Count an answer of route (ROUTE_*; any other counts as ROUTE_OTHER) with its status and the
 * seconds it took. Thread-safe. */
void metrics_request(int route, int status, double seconds);

/** Count a verdict: an enum view_status (any other counts as invalid). Thread-safe. */
void metrics_verdict(int status);

/** Count an answer 429. Thread-safe. */
void metrics_rate_limited(void);

/** Count a look-up in an answer cache: hit 1, miss 0. Thread-safe. */
void metrics_cache(int hit);

/** The exposition, in pool.
 * @param counts    NULL when the index cannot be read
 * @param trust     NULL when the trust inputs cannot be (then no CRL gauges)
 * @param conns     conns[i]: the connections thread i serves, for i < nthreads
 * @param out       receives the text (in pool) */
void metrics_render(h2o_mem_pool_t *pool, h2o_iovec_t *out, const index_counts_t *counts, trust_t *trust,
                    const int *conns, int nthreads);

#endif
