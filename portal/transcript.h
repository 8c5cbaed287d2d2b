/* transcript.h — the routes about one transcript's code (http.md): its page
 * (/v/CODE), printable copy (/v/CODE/print), API answer
 * (/api/v1/transcripts/CODE), QR code, receipts, and the batch check
 * (POST /api/v1/verify). Each is a lookup, charged to the client (rq.h) as a
 * hit or a miss, and answered whatever happens (@return 0 for all). */
#ifndef HOCBA_PORTAL_TRANSCRIPT_H
#define HOCBA_PORTAL_TRANSCRIPT_H

#include "lookup/code.h"
#include "portal/rq.h"

/* what transcript_answer answers with */
enum { TRANSCRIPT_PAGE, TRANSCRIPT_PRINT, TRANSCRIPT_API };

/** The page, printable copy or API answer of a canonical code: the verdict computed again from the
 * stored bytes, or taken from the thread's cache under a key that covers everything it depends on
 * (view_digest, the trust inputs' version, the route and language). 404 when there is no such
 * transcript (the form again, for a page), 503 when it cannot be checked now. */
int transcript_answer(rq_t *r, const char code[CODE_LEN], int kind);

/** The QR code (SVG, or PNG when png) of a canonical code's page URL. Public, cacheable; 404 for a
 * code with no transcript, which costs a miss; a known code's costs nothing. */
int transcript_qr(rq_t *r, const char code[CODE_LEN], int png);

/** GET /api/v1/transcripts/SEG: SEG in any valid spelling (400 malformed_code otherwise). */
int transcript_api(rq_t *r, str_t seg);

/** POST /api/v1/verify: the request checked (match_verify_body), then each code looked up and
 * charged as the same lookups one by one would be; 503 when the index cannot be read. */
int transcript_verify(rq_t *r);

/** /v/CODE/receipt (api 0: the printable receipt) and the signed receipt of
 * /api/v1/transcripts/CODE/receipt (api 1): a lookup and one signature (lookup/receipt.h); never
 * cached. 409 for a transcript that has no receipt (receipt_allowed). Only with --receipt-key. */
int transcript_receipt(rq_t *r, const char code[CODE_LEN], int api);

/** GET /api/v1/transcripts/SEG/receipt: 404 without a receipt key, else transcript_receipt of SEG
 * in any valid spelling (400 malformed_code otherwise). */
int transcript_api_receipt(rq_t *r, str_t seg);

#endif
