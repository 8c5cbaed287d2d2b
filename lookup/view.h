/* view.h — what the portal shows for a lookup code: the transcript model.
 *
 * A view is computed from the index and the trust store at the moment of a
 * request: the stored bytes are parsed and every signature re-verified
 * (verify.h); recall links are followed. From a view come the JSON answer
 * of the API and the context the HTML templates render. Personal data that
 * must not leave the server (address, guardian) is removed here, and the
 * citizen id masked, so no caller can forget it. No HTTP in here. */
#ifndef HOCBA_VIEW_H
#define HOCBA_VIEW_H

#include <jansson.h>
#include <lmdb.h>

#include "index.h"
#include "payload.h"
#include "trust.h"
#include "verify.h"

enum view_status { VIEW_VALID = 0, VIEW_RECALLED, VIEW_INVALID };

enum {
    VIEW_OK = 0,
    VIEW_ENOTFOUND = -1,    /* no transcript with that code */
    VIEW_EUNAVAILABLE = -2, /* the index cannot be read: "cannot check now" */
    VIEW_ENOMEM = -3,
    VIEW_EUNJUDGED = -4, /* it would be valid or recalled, but the revocation of a certificate of it
                          * cannot be judged now (package-format.md §6): "cannot check now" */
};

typedef struct {
    char code[CODE_LEN];
    int status; /* enum view_status */
    int64_t published_at;
    int has_payload_sha256;           /* 1 once the stored payload was hashed (every verified record) */
    unsigned char payload_sha256[32]; /* the SHA-256 of the stored payload bytes (a receipt names it) */
    payload_t pl;                     /* parsed payload; pl.root NULL if it no longer parses */
    verdict_t *verdict;               /* owned */
    int recalled;
    char recall_code[CODE_LEN];
    const char *recalled_on; /* into recall_pl, may be NULL */
    const char *recall_reason;
    payload_t recall_pl;
    int replaced;
    char replaced_by[CODE_LEN];
    char *payload; /* the stored payload bytes (a copy, owned), for the API's numbers as written */
    size_t payload_len;
} view_t;

/** Compute the view of a code inside a read transaction.
 * @return VIEW_OK, VIEW_ENOTFOUND, VIEW_EUNAVAILABLE (a damaged record or
 *         an LMDB error: never reported as invalid) or VIEW_EUNJUDGED (every
 *         check holds but a CA of its chains is a remembered issuer with no
 *         CRL that verifies now: never reported as valid; a record that
 *         fails a check is VIEW_OK and invalid whatever its CAs). view_free
 *         in every case. */
int view_compute(index_t *ix, MDB_txn *txn, trust_t *trust, const char code[CODE_LEN], view_t *v);

void view_free(view_t *v);

/** Feed a digest everything view_compute reads for code, as stored: the code, the record and the
 * certificates it names (index_digest_doc), and each link view_compute may follow (recalled-by,
 * superseded-by) with the record it names. A link that cannot be read is fed as a mark of its own,
 * as is a linked record that cannot be read: view_compute decides what they mean, and they are
 * part of the state. Two calls feed the same bytes exactly when a view computed under the same
 * trust inputs would be the same (the portal keys its cache of answers with it, cache.h).
 * @param feed  receives the bytes in order (pointers into the map, valid while txn is)
 * @return VIEW_OK, VIEW_ENOTFOUND (no transcript with that code: a recall notice's code included)
 *         or VIEW_EUNAVAILABLE (a damaged record or an LMDB error); on either error the digest
 *         is incomplete and must not be used. Thread-safe for separate transactions; allocates
 *         nothing. */
int view_digest(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_feed_fn feed, void *arg);

/** "valid", "recalled" or "invalid". */
const char *view_status_name(int status);

/** The API answer of http.md (GET /api/v1/transcripts/CODE). New reference.
 * Its "transcript" holds the payload's numbers as jansson keeps them (a
 * double for 7.8); view_api_text writes them as signed. */
json_t *view_api_json(const view_t *v);

/** The API answer as the portal sends it: view_api_json as compact JSON,
 * "transcript" last, with every number of "transcript" written as in the
 * signed payload ("7.8", "8.0", "10"; not 7.7999999999999998, which jansson
 * writes back for 7.8), so that a reader gets the payload's numbers as
 * signed (http.md: "the payload as signed").
 * @param len  receives the length (the bytes are NUL-terminated too)
 * @return the bytes, malloc'd (the caller frees them), or NULL when memory
 *         runs out. Thread-safe. */
char *view_api_text(const view_t *v, size_t *len);

/** The entry of a computed view in the batch answer (http.md, POST /api/v1/verify):
 * {"code", "status"}, with a "summary" for a recalled transcript that a replacement supersedes
 * ({"superseded_by": CODE}) and for an invalid one ({"failed_checks": [check names]}).
 * @return a new reference, or NULL when memory runs out. Thread-safe. */
json_t *view_summary_json(const view_t *v);

/** The payload as signed, without address and guardian_name, citizen_id
 * masked to its last 3 digits. New reference, or NULL. */
json_t *view_public_transcript(const payload_t *pl);

/** The template context of the transcript pages (see templates/).
 * @param t           the catalog of the page's language (borrowed)
 * @param lang_query  what keeps the page's language on its links to other
 *                    pages: "", "?lang=en" or "?lang=vi" (ASCII, short)
 * @param public_url  ASCII (the portal refuses any other at start-up), no trailing slash
 * @return a new object, or NULL when memory runs out. */
json_t *view_page_context(const view_t *v, json_t *t, const char *lang_query, const char *public_url);

/** The catalog's text for prefix + key (e.g. "check." "integrity"), or key itself when the catalog
 * has none. Borrowed from t. */
const char *view_label(json_t *t, const char *prefix, const char *key);

/** Set o's "role_label": a signer's role in the catalog t's words ("Other signer (ROLE)" for a role
 * it does not know). */
void view_role_label(json_t *o, json_t *t, const char *role);

/** Format UTC seconds as dd/mm/yyyy (Vietnam time, UTC+7), NUL-terminated. */
void view_format_date(int64_t t, char out[16]);

/** Format UTC seconds as dd/mm/yyyy HH:MM (UTC+7). */
void view_format_datetime(int64_t t, char out[32]);

/** Format UTC seconds as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ". */
void view_format_rfc3339(int64_t t, char out[24]);

#endif
