/* payload_internal.h — what the payload validator's files share; not for
 * callers outside lookup/payload*.c (they use payload.h).
 *
 * The validator is four files:
 * - payload.c           bytes to tree (size, UTF-8, JSON), the schema's
 *                       dispatch, hocba.tieuhoc.v1 and hocba.recall.v1;
 * - payload_check.c     how a member is checked and how a refusal is worded:
 *                       the checks every schema uses (pv_string, pv_int, ...);
 * - payload_envelope.c  the envelope every transcript schema shares
 *                       (package-format.md §3b: "the same envelope as §3"):
 *                       identity, school, student, awards, remarks, signers,
 *                       supersedes;
 * - payload_trunghoc.c  hocba.trunghoc.v1 (§3b).
 * The prefix pv_ ("payload validation") marks these internal symbols.
 *
 * Every check returns 0 or the error it wrote a reason for (PAYLOAD_E*), so a
 * caller writes `if ((rc = pv_x(...)) != 0) return rc;` and the first
 * failure in the order of the spec's tables is the one reported. */
#ifndef HOCBA_PAYLOAD_INTERNAL_H
#define HOCBA_PAYLOAD_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>

#include "payload.h"
#include "str.h"

/* Bounds the format does not set, chosen here. Free text (comment, remarks,
 * reason, awards entries) may hold a paragraph; every other string is a name,
 * an identifier or a short value. 2000 bytes is several hundred Vietnamese
 * words; 200 bytes is far more than the longest school or commune name. */
#define STR_MAX_TEXT 2000
#define STR_MAX_OTHER 200

#define ECHO_MAX 40  /* input bytes quoted in a reason */
#define ECHO_BUF 320 /* ECHO_MAX bytes escaped at worst as \u0085 (6 each), plus the suffix */
#define PATH_LEN 64  /* longest path: "competencies[19].comment" and the like */
#define REASON_BUF 1024

#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

#define STR_(x) #x
#define STR(x) STR_(x) /* a bound's digits in a message */

#define PV_LEVEL_D "\xC4\x90" /* Đ, U+0110: a level of several scales */

/* How a string member is checked before its own rule. */
enum str_kind {
    STR_PLAIN,  /* non-empty, no control character, at most STR_MAX_OTHER bytes */
    STR_TEXT,   /* free text: as plain, but \n is allowed and up to STR_MAX_TEXT bytes */
    STR_FORMAT, /* the member's own format rule says everything (dates, codes, ids) */
};

/* Where a refusal is written. */
typedef struct {
    char *buf;
    size_t len;
} why_t;

/* Where a member sits, spelled out only when a refusal names it: the top
 * level (key ""), an object member ("school") or an array entry
 * ("subjects", 2). */
typedef struct {
    const char *key;
    long index; /* -1 when not an array entry */
} where_t;

#define PV_AT_TOP (&(const where_t){"", -1})

/* ---- character classes ---------------------------------------------------- */

static inline int pv_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline int pv_is_alnum(unsigned char c)
{
    return pv_is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline int pv_is_id_char(unsigned char c)
{
    return pv_is_alnum(c) || c == '.' || c == '_' || c == '-';
}

static inline int pv_is_lower_hex(unsigned char c)
{
    return pv_is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Value of a digit that pv_is_lower_hex accepted. */
static inline unsigned pv_hex_value(char c)
{
    return pv_is_digit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* Number of characters (not bytes) in the first n bytes of s. */
static inline size_t pv_char_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* The value of n decimal digits that pv_is_digit accepted. */
static inline int pv_digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* ---- reasons (payload_check.c) --------------------------------------------- */

/** Quote at most ECHO_MAX bytes of s into buf (n bytes, ECHO_BUF is enough)
 * as a JSON-like string literal, escaping what could disturb a terminal. */
void pv_echo(char *buf, size_t n, const char *s, size_t len);

/** A JSON value for "got ...": strings quoted, numbers, containers by kind. */
void pv_describe(char *buf, size_t n, const json_t *v);

/** Write the reason (printf-style) and return err. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
int pv_fail(const why_t *w, int err, const char *fmt, ...);

/** "key" or "key[index]" of at; "" at the top level. */
void pv_where_text(char *buf, size_t n, const where_t *at);

/** "where.key", or "key" at the top level. */
void pv_join(char *buf, size_t n, const where_t *at, const char *key);

/** "path: expected X, got "value"" and "; detail" when detail is not empty. */
int pv_bad_value(const why_t *w, const char *path, const char *expected, const char *s, size_t len,
                 const char *detail);

/* ---- members (payload_check.c) ---------------------------------------------- */

/** obj[key] of a JSON type (JSON_TRUE stands for "a boolean"). An absent
 * optional member gives 0 and *out NULL; JSON null is of the wrong type. */
int pv_member(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
              json_type type, const char *expected, json_t **out);

/** 1 when s passes the content rules of kind (pv_check_content's verdict, fast). */
int pv_content_ok(const char *s, size_t len, enum str_kind kind);

/** The content rules every string shares; the refusal names path. */
int pv_check_content(const why_t *w, const char *path, const char *s, size_t len, enum str_kind kind);

/** A string member: type, then the content rules unless kind is STR_FORMAT.
 * *s is NULL when an optional member is absent. */
int pv_string(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
              enum str_kind kind, const char *expected, const char **s, size_t *len);

/** An integer member within [lo, hi]; *present is 0 when an optional one is absent. */
int pv_int(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required, json_int_t lo,
           json_int_t hi, const char *expected, json_int_t *out, int *present);

/** A string of min..max bytes of one character class. */
int pv_charset(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
               size_t min, size_t max, int (*ok)(unsigned char), const char *expected, const char **out);

/** A required calendar date YYYY-MM-DD. */
int pv_date(const why_t *w, const json_t *obj, const where_t *at, const char *key, const char **out);

/** A top-level lookup code in canonical form; *present 0 when an optional one is absent. */
int pv_code(const why_t *w, const json_t *obj, const char *key, int required, char out[CODE_LEN],
            int *present);

/** A required string that is one of allowed; hint (or NULL) ends the refusal.
 * *index (when not NULL) receives the place of the value in allowed. */
int pv_enum(const why_t *w, const json_t *obj, const where_t *at, const char *key, const char *const *allowed,
            size_t nallowed, const char *expected, const char *hint, const char **out, size_t *index);

/** The hint for a level written D, d or đ where Đ (U+0110) is one of the
 * levels: the one character people mistype. NULL for any other value. */
const char *pv_level_d_hint(const json_t *v);

/* ---- the envelope (payload_envelope.c) ---------------------------------------- */

/** What a transcript schema checks between the envelope's student and its
 * awards (package-format.md §3, §3b): grade, class and the year's results.
 * doc is the payload as parsed (after a byte-order mark), for a check of how
 * a number was written. */
typedef int (*pv_body_fn)(const why_t *w, const json_t *root, str_t doc, payload_t *out);

/** A transcript: document_id, issued_on, school_year, school, student, then
 * body, then awards, remarks, signers and supersedes; fills out's envelope
 * fields (document_id, issued_on, school_year, year_start, school_code,
 * student_id, signers, supersedes). */
int pv_envelope(const why_t *w, const json_t *root, str_t doc, payload_t *out, pv_body_fn body);

/** §5's signers; a transcript (out->kind) must declare each required role once. */
int pv_signers(const why_t *w, const json_t *root, payload_t *out);

/* ---- hocba.trunghoc.v1 (payload_trunghoc.c) ---------------------------------- */

/** The body of a lower or upper secondary transcript (§3b): level, program,
 * grade (and its school year), class, subjects, learning, conduct, decision,
 * sessions_absent; fills out's level, program and grade. */
int pv_trunghoc_body(const why_t *w, const json_t *root, str_t doc, payload_t *out);

#endif
