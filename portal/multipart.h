/* multipart.h — a multipart/form-data request body (RFC 7578 over RFC 2046 §5.1), read strictly.
 *
 * The file check (POST /check, POST /api/v1/packages/verify) takes its two files this way: what a
 * browser's form with enctype="multipart/form-data" sends, and `curl -F`. Nothing else here reads
 * multipart, so the reading is strict where RFC 2046 is lax and two readers could disagree about
 * what a body holds:
 *   - the body begins with the first delimiter: no preamble;
 *   - every line of the structure ends with CRLF, never a bare LF; no transport padding after a
 *     delimiter; nothing after the close delimiter but one CRLF (no epilogue);
 *   - a line in a part's content that begins with "--BOUNDARY" but is no delimiter is refused (the
 *     client's boundary was not one it could use);
 *   - each part has exactly one Content-Disposition, `form-data` with a `name`, and at most one
 *     `filename`; no two parts have the same name; a Content-Transfer-Encoding other than 7bit, 8bit
 *     or binary is refused (RFC 7578 §4.7: not used); other header fields are ignored (§4.8);
 *   - header lines are not folded, at most MULTIPART_MAX_HEADERS a part and MULTIPART_MAX_LINE bytes
 *     each; at most MULTIPART_MAX_PARTS parts.
 * Parameter values are a token or a quoted-string as browsers write them (the HTML standard's
 * encoding: a quote is sent as %22, CR and LF as %0D and %0A, and a backslash is itself, not an
 * escape), so every value is a slice of the body.
 *
 * Pure functions over bytes, no libh2o, so that they can be fuzzed on their own
 * (tests/fuzz/fuzz_multipart.c). */
#ifndef HOCBA_PORTAL_MULTIPART_H
#define HOCBA_PORTAL_MULTIPART_H

#include "lookup/str.h"

#define MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 §5.1.1 */
#define MULTIPART_MAX_PARTS 8
#define MULTIPART_MAX_HEADERS 8 /* header lines of one part */
#define MULTIPART_MAX_LINE 1024 /* bytes of one header line, without its CRLF */

enum {
    MULTIPART_OK = 0,
    MULTIPART_ENOTFORM = -1,   /* the Content-Type is not multipart/form-data */
    MULTIPART_EBOUNDARY = -2,  /* multipart/form-data without a usable boundary parameter */
    MULTIPART_ESTRUCTURE = -3, /* a delimiter where there should be none, or none where there should
                                * be one: a preamble, no close delimiter, an epilogue, a bare LF, a
                                * line beginning with the delimiter that is none */
    MULTIPART_EHEADER = -4,    /* a part's header block: a line without a colon, folded, too long or
                                * too many; no Content-Disposition, two, not form-data, no name; a
                                * Content-Transfer-Encoding that is not the identity */
    MULTIPART_EDUPLICATE = -5, /* two parts with the same name */
    MULTIPART_ETOOMANY = -6,   /* more than MULTIPART_MAX_PARTS parts */
};

/** One part. Every str_t points into the body given to multipart_parse. */
typedef struct {
    str_t name;     /* the Content-Disposition's name, never empty */
    str_t filename; /* its filename, when has_filename (may be empty: a file input left empty) */
    int has_filename;
    str_t type;    /* the part's Content-Type value, or empty */
    str_t content; /* the bytes of the part, exactly as sent */
} multipart_part_t;

/** The boundary of a multipart/form-data Content-Type field value (media type and parameters as
 * match_media_type reads them; the boundary parameter once, 1–70 characters of RFC 2046's bchars,
 * not ending in a space; other parameters ignored).
 * @param out  receives the boundary, NUL-terminated
 * @param len  receives its length
 * @return MULTIPART_OK, MULTIPART_ENOTFORM or MULTIPART_EBOUNDARY. Thread-safe; allocates nothing. */
int multipart_boundary(str_t content_type, char out[MULTIPART_BOUNDARY_MAX + 1], size_t *len);

/** Split a multipart/form-data body into its parts, as the rules above say.
 * @param body      the request body
 * @param boundary  from multipart_boundary
 * @param parts     receives the parts in the order sent (at most MULTIPART_MAX_PARTS)
 * @param nparts    receives how many; 0 for a body that is only the close delimiter
 * @param at        on failure: the offset in body where the problem was found (for a message)
 * @return MULTIPART_OK, MULTIPART_ESTRUCTURE, MULTIPART_EHEADER, MULTIPART_EDUPLICATE or
 *         MULTIPART_ETOOMANY. Thread-safe; allocates nothing. */
int multipart_parse(str_t body, str_t boundary, multipart_part_t parts[MULTIPART_MAX_PARTS], size_t *nparts,
                    size_t *at);

/** The part with this name, or NULL. */
const multipart_part_t *multipart_find(const multipart_part_t *parts, size_t nparts, const char *name);

#endif
