/* check.h — the file check's routes (http.md): GET /check (the form),
 * POST /check (the answer as a page) and POST /api/v1/packages/verify (as
 * JSON). */
#ifndef HOCBA_PORTAL_CHECK_H
#define HOCBA_PORTAL_CHECK_H

#include "portal/rq.h"

/** Answer a file check request: GET /check gives the form; a POST is charged as a lookup, its
 * multipart/form-data body read (exactly two parts, "payload" and "signature", each at most
 * LIMITS_MAX_PART bytes: 400, 413 or 415 otherwise) and the two files judged (filecheck_run)
 * against the index and trust inputs of the moment; 503 when they cannot be read.
 * @param api  0: /check (pages), 1: /api/v1/packages/verify (JSON and problems)
 * @return 0. */
int check_route(rq_t *r, int api);

#endif
