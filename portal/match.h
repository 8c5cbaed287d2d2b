/* match.h — which route a request is for, and the batch-verify body.
 *
 * Pure functions over the raw request bytes, with no libh2o in them, so
 * that they can be fuzzed on their own (tests/fuzz/). Paths are matched
 * byte for byte as received: no decoding, no "..", no trailing-slash
 * guessing (http.md). */
#ifndef HOCBA_PORTAL_MATCH_H
#define HOCBA_PORTAL_MATCH_H

#include <jansson.h>

#include "lookup/str.h"

#define PORTAL_MAX_BODY 16384 /* POST /api/v1/verify, http.md */
#define PORTAL_MAX_CODES 100

enum match_kind {
    MATCH_NOT_FOUND = 0, /* no such page */
    MATCH_NOT_FOUND_API, /* under /api/: answered as problem+json */
    MATCH_HOME,
    MATCH_LOOKUP,
    MATCH_HEALTH,
    MATCH_METRICS,
    MATCH_STATIC,       /* seg: the name under /static/, or at the root robots.txt, favicon.ico */
    MATCH_PAGE,         /* seg: the code segment of /v/SEG (or /V/SEG) */
    MATCH_PRINT,        /* /v/SEG/print */
    MATCH_QR_SVG,       /* /v/SEG/qr.svg */
    MATCH_QR_PNG,       /* /v/SEG/qr.png */
    MATCH_API_TRANSCRIPT, /* seg: /api/v1/transcripts/SEG */
    MATCH_API_VERIFY,
};

typedef struct {
    int kind;  /* enum match_kind */
    int upper; /* reached through /V/: answered with a redirect to /v/ */
    str_t path;  /* without the query */
    str_t query; /* after '?', possibly empty */
    str_t seg;   /* see enum match_kind; empty otherwise */
    str_t sub;   /* what followed the code segment, e.g. "/print" */
} match_t;

/** Classify a request target (path and query as received).
 * All str_t of m point into target. Thread-safe; allocates nothing. */
void match_request(str_t target, match_t *m);

/** Whether the method is allowed on the matched route.
 * @param allow  receives the Allow header value for a 405
 * @return 1 when allowed. */
int match_method_allowed(const match_t *m, str_t method, const char **allow);

enum {
    MATCH_BODY_OK = 0,
    MATCH_BODY_TOO_LARGE = 413, /* over 16 KiB */
    MATCH_BODY_BAD = 400,       /* not {"codes": [...]} or over 100 codes */
};

/** Parse the body of POST /api/v1/verify: {"codes": [CODE, ...]}.
 * @param root   receives the parsed document on success (json_decref it)
 * @param codes  receives the array inside root (borrowed)
 * @param error  on failure: the stable error member ("too_large",
 *               "bad_request", "too_many_codes")
 * @return MATCH_BODY_OK, MATCH_BODY_TOO_LARGE or MATCH_BODY_BAD. */
int match_verify_body(str_t body, json_t **root, json_t **codes, const char **error);

#endif
