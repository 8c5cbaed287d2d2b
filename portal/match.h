/* match.h — which route a request is for, and the batch-verify request
 * (its Content-Type and body).
 *
 * Pure functions over the raw request bytes, with no libh2o in them, so
 * that they can be fuzzed on their own (tests/fuzz/): the route, the query
 * parameters, the page language, the client a proxy names, the batch-verify
 * body. Paths are matched byte for byte as received: no decoding, no "..",
 * no trailing-slash guessing (http.md). */
#ifndef HOCBA_PORTAL_MATCH_H
#define HOCBA_PORTAL_MATCH_H

#include <jansson.h>
#include <sys/socket.h>

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
    MATCH_STATIC,         /* seg: the name under /static/, or at the root robots.txt, favicon.ico */
    MATCH_PAGE,           /* seg: the code segment of /v/SEG (or /V/SEG) */
    MATCH_PRINT,          /* /v/SEG/print */
    MATCH_QR_SVG,         /* /v/SEG/qr.svg */
    MATCH_QR_PNG,         /* /v/SEG/qr.png */
    MATCH_API_TRANSCRIPT, /* seg: /api/v1/transcripts/SEG */
    MATCH_API_VERIFY,
    MATCH_RECEIPT,            /* /v/SEG/receipt: the printable receipt */
    MATCH_API_RECEIPT,        /* seg: /api/v1/transcripts/SEG/receipt, the signed receipt */
    MATCH_CHECK,              /* /check: the file check's form (GET) and its answer (POST) */
    MATCH_API_PACKAGE_VERIFY, /* /api/v1/packages/verify: the file check's API */
    MATCH_STATS,              /* /stats: the public figures */
    MATCH_API_STATS,          /* /api/v1/stats */
    MATCH_KINDS               /* how many kinds there are */
};

typedef struct {
    int kind;    /* enum match_kind */
    int upper;   /* reached through /V/: answered with a redirect to /v/ */
    str_t path;  /* without the query */
    str_t query; /* after '?', possibly empty */
    str_t seg;   /* see enum match_kind; empty otherwise */
    str_t sub;   /* what followed the code segment, e.g. "/print" */
    /* After /v/, /V/ or /api/v1/transcripts/, whatever route the path is: the bytes up to the next
     * '/' or '&', where a code route has its code (the access log hides them whatever they hold);
     * ptr NULL for any other path. */
    str_t code;
} match_t;

/** Classify a request target (path and query as received).
 * All str_t of m point into target. Thread-safe; allocates nothing. */
void match_request(str_t target, match_t *m);

/** The value of a query parameter, raw (not decoded): what follows the first "NAME=" that starts
 * the query or follows a '&', up to the next '&'.
 * @param query  the query, without its '?' (match_t.query)
 * @return the value, pointing into query; len 0 when it is empty ("NAME=" or a bare "NAME") and
 *         ptr NULL too when the query has no such parameter. Thread-safe; allocates nothing. */
str_t match_query_param(str_t query, const char *name);

/** Percent-decode a query value as a form sends it: '+' is a space, "%XX" the byte of two hex
 * digits (a '%' without two hex digits after it is kept as it is).
 * @param out  receives at most n-1 bytes (what does not fit is dropped), NUL-terminated; n >= 1
 * @return the bytes written, without the NUL. Thread-safe; allocates nothing. */
size_t match_url_decode(str_t in, char *out, size_t n);

enum { MATCH_LANG_VI = 0, MATCH_LANG_EN = 1 };

/** The language of a page: ?lang=vi or ?lang=en wins (*chosen = 1); else the one of vi and en with
 * the higher q in Accept-Language (RFC 9110 §12.5.4: "en", "en-GB", ... with q=1 when not given;
 * English only when its q is above 0 and above Vietnamese's), else Vietnamese.
 * @param query            the query, without its '?'
 * @param accept_language  the first Accept-Language field's value, or NULL when there is none
 * @param chosen           set to 1 when the query chose, else 0
 * @return MATCH_LANG_VI or MATCH_LANG_EN. Thread-safe; allocates nothing. */
int match_lang(str_t query, const str_t *accept_language, int *chosen);

/** The address an X-Forwarded-For field value ends with (the one the nearest proxy added: HAProxy
 * adds a field, nginx appends to the last), trailing whitespace ignored; elements are separated by
 * ',', spaces or tabs.
 * @param value  the last X-Forwarded-For field's value
 * @param out    receives the address (match_parse_ip)
 * @return 0, or -1 when the last element is no address. Thread-safe; allocates nothing. */
int match_forwarded_for(str_t value, struct sockaddr_storage *out);

/** Whether the method is allowed on the matched route.
 * @param allow  receives the Allow header value for a 405
 * @return 1 when allowed. */
int match_method_allowed(const match_t *m, str_t method, const char **allow);

enum {
    MATCH_BODY_OK = 0,
    MATCH_BODY_BAD = 400,         /* not {"codes": [STRING, ...]}, or over 100 codes */
    MATCH_BODY_TOO_LARGE = 413,   /* over 16 KiB */
    MATCH_BODY_UNSUPPORTED = 415, /* no Content-Type, or one that is not JSON */
};

/** Why a batch-verify request is refused: what its problem answer says. */
typedef struct {
    const char *error;  /* the stable error member: "too_large", "unsupported_media_type", "bad_request",
                         * "too_many_codes" */
    const char *detail; /* the catalog key of its detail (templates/i18n/), e.g. "error.415.message" */
} match_refusal_t;

#define MATCH_PARAM_MAX 256 /* bytes of a media-type parameter's value kept for match_param_fn */

/** Receives each parameter of a media type: its name as sent, its value (a quoted-string's text
 * without its quotes and escapes; at most MATCH_PARAM_MAX bytes, in a buffer valid for the call) and
 * the value's whole length (over MATCH_PARAM_MAX when it was cut).
 * @return 0 to go on, anything else to refuse the media type. */
typedef int (*match_param_fn)(void *arg, str_t name, str_t value, size_t len);

/** Whether a Content-Type field value (RFC 9110 §8.3.1) is type/subtype (ASCII, compared without
 * regard to case) with well-formed parameters (token or quoted-string values, empty ones allowed),
 * each of which fn accepts.
 * @param type     e.g. "application", lower case
 * @param subtype  e.g. "json", lower case
 * @param fn       NULL to accept any parameter
 * @return 1 when it is, 0 otherwise. Thread-safe; allocates nothing. */
int match_media_type(str_t value, const char *type, const char *subtype, match_param_fn fn, void *arg);

/** Whether a Content-Type field value names JSON as the verify route reads it: application/json
 * (type and subtype in any case), with any parameters (RFC 9110 §8.3.1: token or quoted-string
 * values, empty ones allowed), of which a charset must be utf-8 (RFC 8259 §8.1: JSON exchanged
 * between systems is UTF-8). application/STH+json is not taken: no such type names this body.
 * @return 1 when it does, 0 otherwise. Thread-safe; allocates nothing. */
int match_json_media_type(str_t value);

/** Check a POST /api/v1/verify request and parse its body, in this order: size (413), Content-Type
 * (415), then the schema of static/openapi.json (400): a JSON object (RFC 8259, UTF-8, no member
 * twice) whose only member is "codes", an array of strings, at most 100 of them.
 * @param type   the Content-Type field's value, or NULL when the request has none
 * @param body   the request body
 * @param root   receives the parsed document on success (json_decref it); NULL otherwise
 * @param codes  receives the array inside root (borrowed); NULL otherwise
 * @param why    on failure: the problem's error member and detail
 * @return MATCH_BODY_OK, MATCH_BODY_TOO_LARGE, MATCH_BODY_UNSUPPORTED or MATCH_BODY_BAD.
 * Thread-safe; allocates only the document it returns. */
int match_verify_body(const str_t *type, str_t body, json_t **root, json_t **codes, match_refusal_t *why);

/** An IPv4 or IPv6 address literal (no port, no brackets, no zone), as inet_pton reads it.
 * @param s    len bytes, not NUL-terminated
 * @param out  receives the address, port 0; zeroed when it is none
 * @return 0, or -1 when it is not one. Thread-safe; allocates nothing. */
int match_parse_ip(const char *s, size_t len, struct sockaddr_storage *out);

#endif
