/* payload.c — validation of signed payloads, package-format.md §3, §4, §5.
 *
 * The order of refusals matters: size first (cheap, bounds everything
 * after), then UTF-8 over the raw bytes (so a refusal can name the byte
 * offset, which jansson cannot), then JSON, then the schema rules in the
 * order of the spec's tables, so the first failure reported is always the
 * same one. Member paths and messages are put together only for a refusal.
 *
 * Reasons name the member by path, with array indices counted from 0 as in
 * JSONPath and jq: "subjects[0]" is the first subject. They never echo more
 * than ECHO_MAX bytes of the input, and escape whatever could disturb a
 * terminal or a log line. */
#include "payload.h"

#include "jsonfast.h"
#include "utf8.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

#define SCHEMA_TRANSCRIPT "hocba.tieuhoc.v1"
#define SCHEMA_RECALL "hocba.recall.v1"

#define MAX_SUBJECTS 20
#define MAX_QUALITIES 10
#define MAX_COMPETENCIES 20
#define STR_(x) #x
#define STR(x) STR_(x) /* a bound's digits in a message */

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

static const char *const REQUIRED_ROLES[] = {"homeroom_teacher", "principal", "school_seal"};
#define NREQUIRED_ROLES (sizeof REQUIRED_ROLES / sizeof REQUIRED_ROLES[0])

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decode one UTF-8 character of s[0..n). Returns its length and the code
 * point in *cp, or 0 when the bytes there are not a valid sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* What is wrong at the first invalid UTF-8 sequence. */
typedef struct {
    const char *what;
    int legacy; /* 1 when the bytes look like text in a pre-Unicode code page */
} utf8_fault_t;

/* Find the first invalid UTF-8 sequence of s. Returns len when there is none;
 * otherwise its offset, with *f saying what is wrong there. The cases are told
 * apart because "overlong" or "surrogate" tells a vendor which of their
 * encoders is broken, while a lead byte followed by plain ASCII is what
 * Windows-1258, TCVN3 or VNI text looks like, which is a different fix. */
static size_t utf8_first_invalid(const unsigned char *s, size_t len, utf8_fault_t *f)
{
    static const utf8_fault_t stray = {"a continuation byte with no lead byte before it", 1};
    static const utf8_fault_t never = {"a byte that never appears in UTF-8", 1};
    static const utf8_fault_t cut = {"a lead byte without enough continuation bytes", 1};
    static const utf8_fault_t cut_eof = {"a sequence cut short by the end of the payload", 0};
    static const utf8_fault_t overlong = {"an overlong encoding", 0};
    static const utf8_fault_t surrogate = {"a UTF-16 surrogate (U+D800 to U+DFFF)", 0};
    static const utf8_fault_t too_big = {"a code point above U+10FFFF", 0};
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        const utf8_fault_t *out_of_range = &overlong;
        size_t need;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c <= 0xBF) {
            *f = stray;
            return i;
        }
        if (c >= 0xF8) {
            *f = never;
            return i;
        }
        /* C0, C1 and F5 to F7 never start a valid sequence; when a
         * continuation byte follows, say what the sequence would have meant */
        if (c <= 0xC1 || c >= 0xF5) {
            *f = i + 1 < len && (s[i + 1] & 0xC0) == 0x80 ? (c <= 0xC1 ? overlong : too_big) : cut;
            return i;
        }
        need = c <= 0xDF ? 2 : c <= 0xEF ? 3 : 4;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
            out_of_range = &surrogate;
        } else if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
            out_of_range = &too_big;
        }
        for (size_t k = 1; k < need; k++) {
            if (i + k >= len) {
                *f = cut_eof;
                return i;
            }
            unsigned char b = s[i + k];
            if ((b & 0xC0) != 0x80) {
                *f = cut;
                return i;
            }
            if (k == 1 && (b < lo || b > hi)) {
                *f = *out_of_range;
                return i;
            }
        }
        i += need;
    }
    return len;
}

/* Characters a reason must not carry raw: C0 and C1 controls, DEL, and the
 * invisible ones that reorder or hide text (bidi controls, zero-width
 * characters, line and paragraph separators, BOM). */
static int invisible(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

/* Control characters in the Unicode sense (general category Cc). */
static int control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* ---- reasons ------------------------------------------------------------- */

/* Append to buf at *o, never past n - 1; keeps buf NUL-terminated. */
static void put(char *buf, size_t n, size_t *o, const char *s, size_t len)
{
    if (*o + 1 >= n)
        return;
    if (len > n - 1 - *o)
        len = n - 1 - *o;
    memcpy(buf + *o, s, len);
    *o += len;
    buf[*o] = '\0';
}

/* Quote at most ECHO_MAX bytes of s as a JSON-like string literal, escaping
 * quotes, backslashes, invisible characters and invalid bytes. When s is
 * longer, the quote ends with "..." and says how long s is. */
static void echo(char *buf, size_t n, const char *s, size_t len)
{
    size_t o = 0, i = 0;
    char tmp[40];

    buf[0] = '\0';
    put(buf, n, &o, "\"", 1);
    while (i < len) {
        uint32_t cp = 0;
        size_t cl = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        size_t take = cl ? cl : 1;
        if (i + take > ECHO_MAX)
            break;
        if (cl == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned char)s[i]);
            put(buf, n, &o, tmp, strlen(tmp));
        } else if (cp == '"' || cp == '\\') {
            put(buf, n, &o, "\\", 1);
            put(buf, n, &o, s + i, 1);
        } else if (cp == '\n') {
            put(buf, n, &o, "\\n", 2);
        } else if (cp == '\t') {
            put(buf, n, &o, "\\t", 2);
        } else if (cp == '\r') {
            put(buf, n, &o, "\\r", 2);
        } else if (invisible(cp)) {
            snprintf(tmp, sizeof tmp, "\\u%04X", (unsigned)cp);
            put(buf, n, &o, tmp, strlen(tmp));
        } else {
            put(buf, n, &o, s + i, cl);
        }
        i += take;
    }
    if (i < len) {
        snprintf(tmp, sizeof tmp, "...\" (%zu bytes)", len);
        put(buf, n, &o, tmp, strlen(tmp));
    } else {
        put(buf, n, &o, "\"", 1);
    }
}

/* Describe a JSON value for "got ...": strings quoted, numbers as written,
 * containers by kind only. */
static void describe(char *buf, size_t n, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        echo(buf, n, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        char num[40];
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        /* 10.0 prints as "10"; keep it visibly a real, as it was written */
        snprintf(buf, n, "the real number %s%s", num, strpbrk(num, ".eEn") ? "" : ".0");
        break;
    }
    case JSON_TRUE:
        snprintf(buf, n, "true");
        break;
    case JSON_FALSE:
        snprintf(buf, n, "false");
        break;
    case JSON_NULL:
        snprintf(buf, n, "null");
        break;
    case JSON_OBJECT:
        snprintf(buf, n, "an object");
        break;
    case JSON_ARRAY:
        if (json_array_size(v) == 0)
            snprintf(buf, n, "an empty array");
        else
            snprintf(buf, n, "an array of %zu %s", json_array_size(v),
                     json_array_size(v) == 1 ? "entry" : "entries");
        break;
    }
}

/* Copy a finished reason into the caller's buffer. A reason that does not
 * fit is cut on a character boundary and ends with "...". */
static void deliver(const why_t *w, const char *s, size_t len)
{
    if (w->buf == NULL || w->len == 0)
        return;
    if (len < w->len) {
        memcpy(w->buf, s, len);
        w->buf[len] = '\0';
        return;
    }
    size_t room = w->len >= 4 ? w->len - 4 : w->len - 1;
    size_t cut = utf8_cut(s, room);
    memcpy(w->buf, s, cut);
    if (w->len >= 4) {
        memcpy(w->buf + cut, "...", 3);
        cut += 3;
    }
    w->buf[cut] = '\0';
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(const why_t *w, int err, const char *fmt, ...)
{
    char buf[REASON_BUF];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : utf8_cut(buf, sizeof buf - 1);
    deliver(w, buf, len);
    return err;
}

/* Where a member sits, spelled out only when a refusal names it: the top
 * level (key ""), an object member ("school") or an array entry
 * ("subjects", 2). */
typedef struct {
    const char *key;
    long index; /* -1 when not an array entry */
} where_t;

static const where_t AT_TOP = {"", -1};
static const where_t AT_SCHOOL = {"school", -1};
static const where_t AT_STUDENT = {"student", -1};

/* "key" or "key[index]"; "" at the top level. */
static void where_text(char *buf, size_t n, const where_t *at)
{
    if (at->index < 0)
        snprintf(buf, n, "%s", at->key);
    else
        snprintf(buf, n, "%s[%ld]", at->key, at->index);
}

/* "where.key", or "key" at the top level. */
static void join(char *buf, size_t n, const where_t *at, const char *key)
{
    char prefix[PATH_LEN];
    size_t o = 0;

    where_text(prefix, sizeof prefix, at);
    buf[0] = '\0';
    if (prefix[0] != '\0') {
        put(buf, n, &o, prefix, strlen(prefix));
        put(buf, n, &o, ".", 1);
    }
    put(buf, n, &o, key, strlen(key));
}

/* ---- members ------------------------------------------------------------ */

/* Look up obj[key] and check its JSON type. An absent optional member gives
 * 0 and *out NULL; JSON null is a value of the wrong type, not an absence. */
static int member(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
                  json_type type, const char *expected, json_t **out)
{
    char path[PATH_LEN], got[ECHO_BUF];
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL) {
        if (!required)
            return 0;
        join(path, sizeof path, at, key);
        return fail(w, PAYLOAD_ESCHEMA, "%s: required member is missing; expected %s", path, expected);
    }
    /* JSON_TRUE stands for "a boolean": jansson has no single boolean type */
    int ok = type == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == type;
    if (!ok) {
        join(path, sizeof path, at, key);
        describe(got, sizeof got, v);
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, expected, got);
    }
    *out = v;
    return 0;
}

/* check_content's verdict without its message, in one pass over the bytes:
 * the payload is valid UTF-8, so a control character is a byte below 0x20
 * or 0x7F, or the lead byte 0xC2 before 0x80-0x9F (a C1 control). */
static int content_ok(const char *s, size_t len, enum str_kind kind)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0 || len > (kind == STR_TEXT ? STR_MAX_TEXT : STR_MAX_OTHER))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = u[i];
        if (b >= 0x20 && b != 0x7F && (b != 0xC2 || i + 1 == len || u[i + 1] >= 0xA0))
            continue;
        if (!(b == '\n' && kind == STR_TEXT))
            return 0;
    }
    return 1;
}

/* The content rules every string shares (§3: non-empty, valid UTF-8, no
 * control characters except \n in free text). UTF-8 validity is already
 * established for the whole payload. C1 controls (U+0080 to U+009F) count as
 * control characters, as Unicode has it: in a Vietnamese name they only come
 * from text decoded with the wrong code page. */
static int check_content(const why_t *w, const char *path, const char *s, size_t len, enum str_kind kind)
{
    size_t max = kind == STR_TEXT ? STR_MAX_TEXT : STR_MAX_OTHER;

    if (len == 0)
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected a non-empty string, got \"\"", path);
    if (len > max)
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected at most %zu bytes, got %zu bytes", path, max, len);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t cl = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (cl == 0) /* cannot happen after the payload-wide check; stay safe anyway */
            return fail(w, PAYLOAD_ESCHEMA, "%s: not valid UTF-8 at byte %zu", path, i);
        if (control(cp) && !(kind == STR_TEXT && cp == '\n'))
            return fail(w, PAYLOAD_ESCHEMA, "%s: expected no control characters%s, got U+%04X at byte %zu",
                        path, kind == STR_TEXT ? " other than \\n" : "", (unsigned)cp, i);
        i += cl;
    }
    return 0;
}

/* A string member: type, then the shared content rules unless kind is
 * STR_FORMAT. *s is NULL when an optional member is absent. */
static int string_member(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
                         enum str_kind kind, const char *expected, const char **s, size_t *len)
{
    char path[PATH_LEN];
    json_t *v;
    int rc = member(w, obj, at, key, required, JSON_STRING, expected, &v);

    *s = NULL;
    *len = 0;
    if (rc != 0 || v == NULL)
        return rc;
    *s = json_string_value(v);
    *len = json_string_length(v);
    if (kind == STR_FORMAT || content_ok(*s, *len, kind))
        return 0;
    join(path, sizeof path, at, key); /* the message says what is wrong and where */
    return check_content(w, path, *s, *len, kind);
}

/* An integer member within [lo, hi]. *present is 0 when an optional member is absent. */
static int int_member(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
                      json_int_t lo, json_int_t hi, const char *expected, json_int_t *out, int *present)
{
    char path[PATH_LEN];
    json_t *v;
    int rc = member(w, obj, at, key, required, JSON_INTEGER, expected, &v);

    *present = 0;
    if (rc != 0 || v == NULL)
        return rc;
    *out = json_integer_value(v);
    if (*out < lo || *out > hi) {
        join(path, sizeof path, at, key);
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %" JSON_INTEGER_FORMAT, path, expected, *out);
    }
    *present = 1;
    return 0;
}

/* A string-valued refusal: "path: expected X, got "value" (detail)". */
static int bad_value(const why_t *w, const char *path, const char *expected, const char *s, size_t len,
                     const char *detail)
{
    char got[ECHO_BUF];
    echo(got, sizeof got, s, len);
    if (detail != NULL && detail[0] != '\0')
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s; %s", path, expected, got, detail);
    return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, expected, got);
}

/* ---- formats ------------------------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_id_char(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

static int is_lower_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Value of a digit that is_lower_hex accepted. */
static unsigned hex_value(char c)
{
    return is_digit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* Number of characters (not bytes) in the first n bytes of s. */
static size_t char_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* A string of min..max bytes from one character class. Non-ASCII bytes are
 * never in a class, so bytes and characters agree whenever it passes. */
static int charset_member(const why_t *w, const json_t *obj, const where_t *at, const char *key,
                          int required, size_t min, size_t max, int (*ok)(unsigned char),
                          const char *expected, const char **out)
{
    char path[PATH_LEN], detail[64];
    const char *s;
    size_t len;
    int rc = string_member(w, obj, at, key, required, STR_FORMAT, expected, &s, &len);

    *out = s;
    if (rc != 0 || s == NULL)
        return rc;
    size_t i = 0;
    while (i < len && ok((unsigned char)s[i]))
        i++;
    if (i == len && len >= min && len <= max)
        return 0;
    *out = NULL;
    join(path, sizeof path, at, key);
    if (i < len) {
        snprintf(detail, sizeof detail, "character %zu is not allowed", char_count(s, i) + 1);
        return bad_value(w, path, expected, s, len, detail);
    }
    /* all ASCII by now; a long value's echo already gives its length */
    snprintf(detail, sizeof detail, "%zu characters", len);
    return bad_value(w, path, expected, s, len, len == 0 || len > ECHO_MAX ? NULL : detail);
}

static int leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* A date YYYY-MM-DD that exists in the (proleptic) Gregorian calendar. Any
 * four-digit year is accepted: plausibility is not a rule of the format. */
static int date_member(const why_t *w, const json_t *obj, const where_t *at, const char *key,
                       const char **out)
{
    static const char expected[] = "a calendar date YYYY-MM-DD";
    char path[PATH_LEN], detail[64];
    const char *s;
    size_t len;
    int rc = string_member(w, obj, at, key, 1, STR_FORMAT, expected, &s, &len);

    *out = NULL;
    if (rc != 0)
        return rc;
    int shape = len == 10 && s[4] == '-' && s[7] == '-';
    for (size_t i = 0; shape && i < len; i++)
        if (i != 4 && i != 7 && !is_digit((unsigned char)s[i]))
            shape = 0;
    detail[0] = '\0';
    if (shape) {
        int y = digits_value(s, 4), m = digits_value(s + 5, 2), d = digits_value(s + 8, 2);
        if (m < 1 || m > 12)
            snprintf(detail, sizeof detail, "there is no month %02d", m);
        else if (d < 1 || d > days_in_month(y, m))
            snprintf(detail, sizeof detail, "month %02d of %04d has %d days", m, y, days_in_month(y, m));
        else
            *out = s;
    }
    if (*out != NULL)
        return 0;
    join(path, sizeof path, at, key);
    return bad_value(w, path, expected, s, len, detail);
}

/* A lookup code in canonical form (§2): what a school writes in supersedes
 * or a recall's code is copied from our own output, so no normalisation. */
static int code_member(const why_t *w, const json_t *obj, const char *key, int required, char out[CODE_LEN],
                       int *present)
{
    static const char expected[] = "a lookup code (16 symbols, upper case, no hyphens)";
    char got[ECHO_BUF], canon[CODE_LEN], detail[80];
    const char *s;
    size_t len;
    code_error_t e;
    int rc = string_member(w, obj, &AT_TOP, key, required, STR_FORMAT, expected, &s, &len);

    *present = 0;
    if (rc != 0 || s == NULL)
        return rc;
    if (code_is_canonical(str_n(s, len))) {
        memcpy(out, s, CODE_LEN);
        *present = 1;
        return 0;
    }
    switch (code_parse(str_n(s, len), canon, &e)) {
    case CODE_OK:
        snprintf(detail, sizeof detail, "not in canonical form; write it as %.*s", CODE_LEN, canon);
        break;
    case CODE_ECHECK:
        snprintf(detail, sizeof detail, "its check symbol does not match");
        break;
    case CODE_ECHAR:
        snprintf(detail, sizeof detail, "character %zu cannot appear in a code", e.pos);
        break;
    case CODE_ELENGTH:
        snprintf(detail, sizeof detail, "%zu symbols instead of 16", e.count);
        break;
    default:
        snprintf(detail, sizeof detail, "no symbols");
        break;
    }
    echo(got, sizeof got, s, len);
    return fail(w, PAYLOAD_ESCHEMA, "%s: %s is not a valid lookup code: %s", key, got, detail);
}

/* A string member that must be one of a fixed list. */
static int enum_member(const why_t *w, const json_t *obj, const where_t *at, const char *key,
                       const char *const *allowed, size_t nallowed, const char *expected, const char *hint,
                       const char **out)
{
    char path[PATH_LEN];
    const char *s;
    size_t len;
    int rc = string_member(w, obj, at, key, 1, STR_FORMAT, expected, &s, &len);

    *out = NULL;
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < nallowed; i++) {
        if (str_eq(str_n(s, len), str_c(allowed[i]))) {
            *out = s;
            return 0;
        }
    }
    join(path, sizeof path, at, key);
    return bad_value(w, path, expected, s, len, hint);
}

/* ---- transcript parts ---------------------------------------------------- */

static int check_school(const why_t *w, const json_t *root, payload_t *out)
{
    static const char expected[] = "an object {code, name, province, district?, ward?}";
    const char *s;
    size_t len;
    json_t *school;
    int rc;

    if ((rc = member(w, root, &AT_TOP, "school", 1, JSON_OBJECT, expected, &school)) != 0)
        return rc;
    if ((rc = charset_member(w, school, &AT_SCHOOL, "code", 1, 1, 20, is_alnum,
                             "1 to 20 characters of A-Z a-z 0-9", &out->school_code)) != 0)
        return rc;
    if ((rc = string_member(w, school, &AT_SCHOOL, "name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = string_member(w, school, &AT_SCHOOL, "province", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = string_member(w, school, &AT_SCHOOL, "district", 0, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    return string_member(w, school, &AT_SCHOOL, "ward", 0, STR_PLAIN, "a string", &s, &len);
}

static int check_student(const why_t *w, const json_t *root, payload_t *out)
{
    static const char expected[] = "an object {id, full_name, date_of_birth, gender, ...}";
    /* "Nữ" precomposed (NFC) and decomposed (NFD, as macOS text fields may
     * produce): they look the same, so refusing one would baffle the sender. */
    static const char *const genders[] = {"Nam", "N\xE1\xBB\xAF", "Nu\xCC\x9B\xCC\x83"};
    static const char *const optional[] = {"ethnicity", "place_of_birth", "address", "guardian_name"};
    const char *s;
    size_t len;
    json_t *student;
    int rc;

    if ((rc = member(w, root, &AT_TOP, "student", 1, JSON_OBJECT, expected, &student)) != 0)
        return rc;
    if ((rc = charset_member(w, student, &AT_STUDENT, "id", 1, 1, 20, is_digit, "1 to 20 digits",
                             &out->student_id)) != 0)
        return rc;
    if ((rc = string_member(w, student, &AT_STUDENT, "full_name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = date_member(w, student, &AT_STUDENT, "date_of_birth", &s)) != 0)
        return rc;
    if ((rc = enum_member(w, student, &AT_STUDENT, "gender", genders, 3, "\"Nam\" or \"N\xE1\xBB\xAF\"", NULL,
                          &s)) != 0)
        return rc;
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if ((rc = string_member(w, student, &AT_STUDENT, optional[i], 0, STR_PLAIN, "a string", &s, &len)) != 0)
            return rc;
    return charset_member(w, student, &AT_STUDENT, "citizen_id", 0, 12, 12, is_digit, "exactly 12 digits", &s);
}

/* What to check in each entry of subjects, qualities or competencies. */
typedef struct {
    const char *key;
    size_t max;
    const char *array; /* "an array of 1 to <max> entries" */
    const char *entry; /* "an object {...}" */
    const char *const *levels;
    size_t nlevels;
    const char *levels_expected; /* "T, H or C" */
    int has_score;
} evaluation_t;

static const char *const SUBJECT_LEVELS[] = {"T", "H", "C"};
static const char *const QUALITY_LEVELS[] = {"T", "\xC4\x90", "C"}; /* Đ is U+0110 */

static int check_evaluations(const why_t *w, const json_t *root, const evaluation_t *ev)
{
    char prefix[PATH_LEN], got[ECHO_BUF];
    const char *s;
    size_t len;
    json_t *arr;
    int rc;

    if ((rc = member(w, root, &AT_TOP, ev->key, 1, JSON_ARRAY, ev->array, &arr)) != 0)
        return rc;
    if (json_array_size(arr) == 0 || json_array_size(arr) > ev->max) {
        describe(got, sizeof got, arr);
        return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", ev->key, ev->array, got);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const where_t at_e = {ev->key, (long)i}, *at = &at_e;
        if (!json_is_object(e)) {
            where_text(prefix, sizeof prefix, at);
            describe(got, sizeof got, e);
            return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", prefix, ev->entry, got);
        }
        if ((rc = string_member(w, e, at, "name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
            return rc;
        /* Đ is the one level people mistype as D or đ; say which character is meant */
        const json_t *lv = json_object_get(e, "level");
        const char *hint = NULL;
        if (ev->levels == QUALITY_LEVELS && json_is_string(lv) &&
            (strcmp(json_string_value(lv), "D") == 0 || strcmp(json_string_value(lv), "\xC4\x91") == 0 ||
             strcmp(json_string_value(lv), "d") == 0))
            hint = "\xC4\x90 is U+0110, capital D with stroke";
        if ((rc = enum_member(w, e, at, "level", ev->levels, ev->nlevels, ev->levels_expected, hint,
                              &s)) != 0)
            return rc;
        if (ev->has_score) {
            json_int_t score;
            int present;
            if ((rc = int_member(w, e, at, "score", 0, 0, 10, "an integer from 0 to 10", &score,
                                 &present)) != 0)
                return rc;
        }
        if ((rc = string_member(w, e, at, "comment", 0, STR_TEXT, "a string", &s, &len)) != 0)
            return rc;
    }
    return 0;
}

static int check_awards(const why_t *w, const json_t *root)
{
    char path[PATH_LEN], got[ECHO_BUF];
    json_t *arr;
    int rc = member(w, root, &AT_TOP, "awards", 0, JSON_ARRAY, "an array of strings", &arr);

    if (rc != 0 || arr == NULL)
        return rc;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *a = json_array_get(arr, i);
        if (json_is_string(a) && content_ok(json_string_value(a), json_string_length(a), STR_TEXT))
            continue;
        snprintf(path, sizeof path, "awards[%zu]", i);
        if (!json_is_string(a)) {
            describe(got, sizeof got, a);
            return fail(w, PAYLOAD_ESCHEMA, "%s: expected a string, got %s", path, got);
        }
        return check_content(w, path, json_string_value(a), json_string_length(a), STR_TEXT);
    }
    return 0;
}

/* §5: the declared signers. A transcript must declare each required role
 * exactly once; other roles may appear any number of times. */
static int check_signers(const why_t *w, const json_t *root, payload_t *out)
{
    static const char entry[] = "an object {role, name, certificate_sha256}";
    static const char hex_expected[] = "64 lower-case hex digits (SHA-256 of the certificate's DER)";
    static const char expected[] = "an array of 1 to " STR(PAYLOAD_MAX_SIGNERS) " signers";
    char prefix[PATH_LEN], path[PATH_LEN], got[ECHO_BUF], detail[64];
    int seen[NREQUIRED_ROLES] = {0}, first[NREQUIRED_ROLES] = {0};
    const char *s;
    size_t len;
    json_t *arr;
    int rc;

    if ((rc = member(w, root, &AT_TOP, "signers", 1, JSON_ARRAY, expected, &arr)) != 0)
        return rc;
    if (json_array_size(arr) > PAYLOAD_MAX_SIGNERS ||
        (json_array_size(arr) == 0 && out->kind == PAYLOAD_RECALL)) {
        describe(got, sizeof got, arr);
        return fail(w, PAYLOAD_ESCHEMA, "signers: expected %s, got %s", expected, got);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        payload_signer_t *sg = &out->signers[i];
        const where_t at_e = {"signers", (long)i}, *at = &at_e;
        if (!json_is_object(e)) {
            where_text(prefix, sizeof prefix, at);
            describe(got, sizeof got, e);
            return fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", prefix, entry, got);
        }
        if ((rc = string_member(w, e, at, "role", 1, STR_PLAIN, "a string", &sg->role, &len)) != 0)
            return rc;
        if ((rc = string_member(w, e, at, "name", 1, STR_PLAIN, "a string", &sg->name, &len)) != 0)
            return rc;
        if ((rc = string_member(w, e, at, "certificate_sha256", 1, STR_FORMAT, hex_expected, &s, &len)) !=
            0)
            return rc;
        for (size_t k = 0; k < len; k++) {
            if (!is_lower_hex((unsigned char)s[k])) {
                join(path, sizeof path, at, "certificate_sha256");
                unsigned char c = (unsigned char)s[k];
                if (c >= 'A' && c <= 'F')
                    snprintf(detail, sizeof detail, "upper-case hex is not accepted");
                else
                    snprintf(detail, sizeof detail, "character %zu is not a hex digit", char_count(s, k) + 1);
                return bad_value(w, path, hex_expected, s, len, detail);
            }
        }
        if (len != 64) {
            join(path, sizeof path, at, "certificate_sha256");
            snprintf(detail, sizeof detail, "%zu digits", len);
            return bad_value(w, path, hex_expected, s, len, len == 0 || len > ECHO_MAX ? NULL : detail);
        }
        for (size_t k = 0; k < 32; k++) {
            sg->cert_sha256[k] = (unsigned char)(hex_value(s[2 * k]) << 4 | hex_value(s[2 * k + 1]));
        }
        out->nsigners = i + 1;

        for (size_t r = 0; r < NREQUIRED_ROLES && out->kind == PAYLOAD_TRANSCRIPT; r++) {
            if (strcmp(sg->role, REQUIRED_ROLES[r]) != 0)
                continue;
            if (seen[r]) {
                where_text(prefix, sizeof prefix, at);
                return fail(w, PAYLOAD_ESCHEMA,
                            "%s.role: role %s is declared twice (signers[%d] and signers[%zu]); a transcript "
                            "declares it exactly once",
                            prefix, REQUIRED_ROLES[r], first[r], i);
            }
            seen[r] = 1;
            first[r] = (int)i;
        }
    }
    for (size_t r = 0; r < NREQUIRED_ROLES && out->kind == PAYLOAD_TRANSCRIPT; r++)
        if (!seen[r])
            return fail(w, PAYLOAD_ESCHEMA,
                        "signers: required role %s is not declared (a transcript needs homeroom_teacher, "
                        "principal and school_seal)",
                        REQUIRED_ROLES[r]);
    return 0;
}

/* ---- schemas ------------------------------------------------------------- */

static int check_transcript(const why_t *w, const json_t *root, payload_t *out)
{
    static const char *const results[] = {"HTXS", "HTT", "HT", "CHT"};
    static const evaluation_t subjects = {
        "subjects", MAX_SUBJECTS, "an array of 1 to " STR(MAX_SUBJECTS) " entries", "an object {name, level, score?, comment?}", SUBJECT_LEVELS, 3, "T, H or C",
        1};
    static const evaluation_t qualities = {"qualities",
                                           MAX_QUALITIES,
                                           "an array of 1 to " STR(MAX_QUALITIES) " entries",
                                           "an object {name, level, comment?}",
                                           QUALITY_LEVELS,
                                           3,
                                           "T, \xC4\x90 or C",
                                           0};
    static const evaluation_t competencies = {"competencies",
                                              MAX_COMPETENCIES,
                                              "an array of 1 to " STR(MAX_COMPETENCIES) " entries",
                                              "an object {name, level, comment?}",
                                              QUALITY_LEVELS,
                                              3,
                                              "T, \xC4\x90 or C",
                                              0};
    const char *s;
    size_t len;
    json_t *v;
    json_int_t n;
    int rc, present;

    if ((rc = charset_member(w, root, &AT_TOP, "document_id", 1, 1, 64, is_id_char,
                             "1 to 64 characters of A-Z a-z 0-9 . _ -", &out->document_id)) != 0)
        return rc;
    if ((rc = date_member(w, root, &AT_TOP, "issued_on", &out->issued_on)) != 0)
        return rc;

    static const char year_expected[] = "YYYY-YYYY, the second year one after the first";
    if ((rc = string_member(w, root, &AT_TOP, "school_year", 1, STR_FORMAT, year_expected, &s, &len)) != 0)
        return rc;
    int shape = len == 9 && s[4] == '-';
    for (size_t i = 0; shape && i < len; i++)
        if (i != 4 && !is_digit((unsigned char)s[i]))
            shape = 0;
    if (!shape || digits_value(s + 5, 4) != digits_value(s, 4) + 1)
        return bad_value(w, "school_year", year_expected, s, len, NULL);
    out->school_year = s;

    if ((rc = check_school(w, root, out)) != 0)
        return rc;
    if ((rc = check_student(w, root, out)) != 0)
        return rc;
    if ((rc = int_member(w, root, &AT_TOP, "grade", 1, 1, 5, "an integer from 1 to 5", &n, &present)) != 0)
        return rc;
    out->grade = (int)n;
    if ((rc = string_member(w, root, &AT_TOP, "class", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &subjects)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &qualities)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &competencies)) != 0)
        return rc;
    if ((rc = enum_member(w, root, &AT_TOP, "result", results, 4, "HTXS, HTT, HT or CHT", NULL, &s)) != 0)
        return rc;
    if ((rc = member(w, root, &AT_TOP, "program_completed", 1, JSON_TRUE, "true or false", &v)) != 0)
        return rc;
    if ((rc = check_awards(w, root)) != 0)
        return rc;
    if ((rc = string_member(w, root, &AT_TOP, "remarks", 0, STR_TEXT, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = int_member(w, root, &AT_TOP, "days_absent", 0, 0, JSON_INT_MAX, "an integer of 0 or more", &n,
                         &present)) != 0)
        return rc;
    if ((rc = check_signers(w, root, out)) != 0)
        return rc;
    return code_member(w, root, "supersedes", 0, out->supersedes, &out->has_supersedes);
}

static int check_recall(const why_t *w, const json_t *root, payload_t *out)
{
    const char *s;
    size_t len;
    int rc, present;

    if ((rc = code_member(w, root, "code", 1, out->target, &present)) != 0)
        return rc;
    if ((rc = charset_member(w, root, &AT_TOP, "school_code", 1, 1, 20, is_alnum,
                             "1 to 20 characters of A-Z a-z 0-9 (the transcript's school.code)",
                             &out->school_code)) != 0)
        return rc;
    if ((rc = date_member(w, root, &AT_TOP, "recalled_on", &out->recalled_on)) != 0)
        return rc;
    if ((rc = string_member(w, root, &AT_TOP, "reason", 1, STR_TEXT, "a string", &s, &len)) != 0)
        return rc;
    out->reason = s;
    return check_signers(w, root, out);
}

/* jansson's text ends in " near 'TOKEN'" with the raw token, which can be long
 * or hold any byte: keep the words, quote the token as echo() does. */
static int json_failure(const why_t *w, const json_error_t *jerr)
{
    char words[JSON_ERROR_TEXT_LENGTH], token[ECHO_BUF];
    const char *near = strstr(jerr->text, " near '");
    size_t wlen = near ? (size_t)(near - jerr->text) : strnlen(jerr->text, sizeof jerr->text - 1);

    memcpy(words, jerr->text, wlen);
    words[wlen] = '\0';
    /* jansson names its own flag here, which means nothing to a sender */
    if (json_error_code(jerr) == json_error_null_character)
        snprintf(words, sizeof words, "\\u0000 (NUL) is not allowed in a string");
    if (near == NULL)
        return fail(w, PAYLOAD_EJSON, "payload is not valid JSON: line %d, column %d: %s", jerr->line,
                    jerr->column, words);
    const char *t = near + strlen(" near '");
    size_t tlen = strnlen(t, sizeof jerr->text - (size_t)(t - jerr->text));
    if (tlen > 0 && t[tlen - 1] == '\'')
        tlen--;
    echo(token, sizeof token, t, tlen);
    return fail(w, PAYLOAD_EJSON, "payload is not valid JSON: line %d, column %d: %s near %s", jerr->line,
                jerr->column, words, token);
}

/* ---- public -------------------------------------------------------------- */

int payload_parse(const void *bytes, size_t len, payload_t *out, char *why, size_t whylen)
{
    const why_t w = {why, whylen};
    const unsigned char *b = bytes;
    utf8_fault_t fault = {NULL, 0};
    json_error_t jerr;
    json_t *schema;
    int rc;

    memset(out, 0, sizeof *out);
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (len == 0 || bytes == NULL)
        return fail(&w, PAYLOAD_ESIZE, "payload is empty");
    if (len > PAYLOAD_MAX_BYTES)
        return fail(&w, PAYLOAD_ESIZE, "payload is %zu bytes; the limit is 64 KiB (%d bytes)", len,
                    PAYLOAD_MAX_BYTES);

    size_t skip = len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0;
    /* jsonfast gives json_loadb's very tree several times faster, or declines
     * (every malformed document, and a few rare well-formed ones). What it
     * accepts is strict UTF-8 throughout (it checks every string by the
     * ranges utf8_first_invalid uses; outside strings JSON is ASCII), so
     * only a declined document needs the UTF-8 pass, which words the
     * refusal; then jansson parses, and words its error. */
    out->root = jsonfast_parse((const char *)b + skip, len - skip);
    size_t bad = out->root != NULL ? len : utf8_first_invalid(b, len, &fault);
    if (bad < len) {
        char hex[16] = "";
        size_t show = len - bad < 4 ? len - bad : 4, o = 0;
        for (size_t i = 0; i < show; i++)
            o += (size_t)snprintf(hex + o, sizeof hex - o, i ? " %02X" : "%02X", b[bad + i]);
        return fail(&w, PAYLOAD_EUTF8, "payload is not valid UTF-8 at byte offset %zu: %s (bytes %s)%s", bad,
                    fault.what, hex,
                    fault.legacy ? "; was it saved in another encoding, such as Windows-1258 or TCVN3?" : "");
    }

    /* JSON_DECODE_ANY so that a scalar document is "JSON, but not an object"
     * rather than a parse error; no JSON_ALLOW_NUL, so "\u0000" is refused. */
    if (out->root == NULL)
        out->root =
            json_loadb((const char *)b + skip, len - skip, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (out->root == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return fail(&w, PAYLOAD_ENOMEM, "out of memory while parsing the payload");
        return json_failure(&w, &jerr);
    }

    if (!json_is_object(out->root)) {
        char got[ECHO_BUF];
        describe(got, sizeof got, out->root);
        rc = fail(&w, PAYLOAD_ESCHEMA, "payload: expected a JSON object at the top level, got %s", got);
        goto refused;
    }
    static const char schema_expected[] = "\"" SCHEMA_TRANSCRIPT "\" or \"" SCHEMA_RECALL "\"";
    if ((rc = member(&w, out->root, &AT_TOP, "schema", 1, JSON_STRING, schema_expected, &schema)) != 0)
        goto refused;
    str_t sv = str_n(json_string_value(schema), json_string_length(schema));
    if (str_eq(sv, str_c(SCHEMA_TRANSCRIPT))) {
        out->kind = PAYLOAD_TRANSCRIPT;
        rc = check_transcript(&w, out->root, out);
    } else if (str_eq(sv, str_c(SCHEMA_RECALL))) {
        out->kind = PAYLOAD_RECALL;
        rc = check_recall(&w, out->root, out);
    } else {
        rc = bad_value(&w, "schema", schema_expected, sv.ptr, sv.len, NULL);
    }
    if (rc == 0)
        return PAYLOAD_OK;
refused:
    payload_free(out);
    return rc;
}

void payload_free(payload_t *p)
{
    if (p == NULL)
        return;
    json_decref(p->root);
    memset(p, 0, sizeof *p);
}

int payload_find_role(const payload_t *p, const char *role)
{
    if (p == NULL || role == NULL)
        return -1;
    for (size_t i = 0; i < p->nsigners && i < PAYLOAD_MAX_SIGNERS; i++)
        if (p->signers[i].role != NULL && strcmp(p->signers[i].role, role) == 0)
            return (int)i;
    return -1;
}
