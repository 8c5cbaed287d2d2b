/* payload_check.c — how a payload member is checked and how a refusal is
 * worded, for every schema (payload_internal.h).
 *
 * Reasons name the member by path, with array indices counted from 0 as in
 * JSONPath and jq: "subjects[0]" is the first subject. They never echo more
 * than ECHO_MAX bytes of the input, and escape whatever could disturb a
 * terminal or a log line. Member paths and messages are put together only
 * for a refusal. */
#include "payload_internal.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- UTF-8 (utf8.h decodes) ---------------------------------------------- */

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
void pv_echo(char *buf, size_t n, const char *s, size_t len)
{
    size_t o = 0, i = 0;
    char tmp[40];

    buf[0] = '\0';
    put(buf, n, &o, "\"", 1);
    while (i < len) {
        utf8_char_t ch = {0};
        size_t cl = utf8_decode((const unsigned char *)s + i, len - i, &ch);
        uint32_t cp = ch.cp;
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
void pv_describe(char *buf, size_t n, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        pv_echo(buf, n, json_string_value(v), json_string_length(v));
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

int pv_fail(const why_t *w, int err, const char *fmt, ...)
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

/* "key" or "key[index]"; "" at the top level. */
void pv_where_text(char *buf, size_t n, const where_t *at)
{
    if (at->index < 0)
        snprintf(buf, n, "%s", at->key);
    else
        snprintf(buf, n, "%s[%ld]", at->key, at->index);
}

/* "where.key", or "key" at the top level. */
void pv_join(char *buf, size_t n, const where_t *at, const char *key)
{
    char prefix[PATH_LEN];
    size_t o = 0;

    pv_where_text(prefix, sizeof prefix, at);
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
int pv_member(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
              json_type type, const char *expected, json_t **out)
{
    char path[PATH_LEN], got[ECHO_BUF];
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL) {
        if (!required)
            return 0;
        pv_join(path, sizeof path, at, key);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: required member is missing; expected %s", path, expected);
    }
    /* JSON_TRUE stands for "a boolean": jansson has no single boolean type */
    int ok = type == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == type;
    if (!ok) {
        pv_join(path, sizeof path, at, key);
        pv_describe(got, sizeof got, v);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, expected, got);
    }
    *out = v;
    return 0;
}

/* check_content's verdict without its message, in one pass over the bytes:
 * the payload is valid UTF-8, so a control character is a byte below 0x20
 * or 0x7F, or the lead byte 0xC2 before 0x80-0x9F (a C1 control). */
int pv_content_ok(const char *s, size_t len, enum str_kind kind)
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
int pv_check_content(const why_t *w, const char *path, const char *s, size_t len, enum str_kind kind)
{
    size_t max = kind == STR_TEXT ? STR_MAX_TEXT : STR_MAX_OTHER;

    if (len == 0)
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected a non-empty string, got \"\"", path);
    if (len > max)
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected at most %zu bytes, got %zu bytes", path, max, len);
    for (size_t i = 0; i < len;) {
        utf8_char_t ch = {0};
        size_t cl = utf8_decode((const unsigned char *)s + i, len - i, &ch);
        uint32_t cp = ch.cp;
        if (cl == 0) /* cannot happen after the payload-wide check; stay safe anyway */
            return pv_fail(w, PAYLOAD_ESCHEMA, "%s: not valid UTF-8 at byte %zu", path, i);
        if (control(cp) && !(kind == STR_TEXT && cp == '\n'))
            return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected no control characters%s, got U+%04X at byte %zu",
                           path, kind == STR_TEXT ? " other than \\n" : "", (unsigned)cp, i);
        i += cl;
    }
    return 0;
}

/* A string member: type, then the shared content rules unless kind is
 * STR_FORMAT. *s is NULL when an optional member is absent. */
int pv_string(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
              enum str_kind kind, const char *expected, const char **s, size_t *len)
{
    char path[PATH_LEN];
    json_t *v;
    int rc = pv_member(w, obj, at, key, required, JSON_STRING, expected, &v);

    *s = NULL;
    *len = 0;
    if (rc != 0 || v == NULL)
        return rc;
    *s = json_string_value(v);
    *len = json_string_length(v);
    if (kind == STR_FORMAT || pv_content_ok(*s, *len, kind))
        return 0;
    pv_join(path, sizeof path, at, key); /* the message says what is wrong and where */
    return pv_check_content(w, path, *s, *len, kind);
}

/* An integer member within [lo, hi]. *present is 0 when an optional member is absent. */
int pv_int(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required, json_int_t lo,
           json_int_t hi, const char *expected, json_int_t *out, int *present)
{
    char path[PATH_LEN];
    json_t *v;
    int rc = pv_member(w, obj, at, key, required, JSON_INTEGER, expected, &v);

    *present = 0;
    if (rc != 0 || v == NULL)
        return rc;
    *out = json_integer_value(v);
    if (*out < lo || *out > hi) {
        pv_join(path, sizeof path, at, key);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %" JSON_INTEGER_FORMAT, path, expected,
                       *out);
    }
    *present = 1;
    return 0;
}

/* A string-valued refusal: "path: expected X, got "value" (detail)". */
int pv_bad_value(const why_t *w, const char *path, const char *expected, const char *s, size_t len,
                 const char *detail)
{
    char got[ECHO_BUF];
    pv_echo(got, sizeof got, s, len);
    if (detail != NULL && detail[0] != '\0')
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s; %s", path, expected, got, detail);
    return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, expected, got);
}

/* ---- formats ------------------------------------------------------------- */

/* A string of min..max bytes from one character class. Non-ASCII bytes are
 * never in a class, so bytes and characters agree whenever it passes. */
int pv_charset(const why_t *w, const json_t *obj, const where_t *at, const char *key, int required,
               size_t min, size_t max, int (*ok)(unsigned char), const char *expected, const char **out)
{
    char path[PATH_LEN], detail[64];
    const char *s;
    size_t len;
    int rc = pv_string(w, obj, at, key, required, STR_FORMAT, expected, &s, &len);

    *out = s;
    if (rc != 0 || s == NULL)
        return rc;
    size_t i = 0;
    while (i < len && ok((unsigned char)s[i]))
        i++;
    if (i == len && len >= min && len <= max)
        return 0;
    *out = NULL;
    pv_join(path, sizeof path, at, key);
    if (i < len) {
        snprintf(detail, sizeof detail, "character %zu is not allowed", pv_char_count(s, i) + 1);
        return pv_bad_value(w, path, expected, s, len, detail);
    }
    /* all ASCII by now; a long value's echo already gives its length */
    snprintf(detail, sizeof detail, "%zu characters", len);
    return pv_bad_value(w, path, expected, s, len, len == 0 || len > ECHO_MAX ? NULL : detail);
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

/* A date YYYY-MM-DD that exists in the (proleptic) Gregorian calendar. Any
 * four-digit year is accepted: plausibility is not a rule of the format. */
int pv_date(const why_t *w, const json_t *obj, const where_t *at, const char *key, const char **out)
{
    static const char expected[] = "a calendar date YYYY-MM-DD";
    char path[PATH_LEN], detail[64];
    const char *s;
    size_t len;
    int rc = pv_string(w, obj, at, key, 1, STR_FORMAT, expected, &s, &len);

    *out = NULL;
    if (rc != 0)
        return rc;
    int shape = len == 10 && s[4] == '-' && s[7] == '-';
    for (size_t i = 0; shape && i < len; i++)
        if (i != 4 && i != 7 && !pv_is_digit((unsigned char)s[i]))
            shape = 0;
    detail[0] = '\0';
    if (shape) {
        int y = pv_digits_value(s, 4), m = pv_digits_value(s + 5, 2), d = pv_digits_value(s + 8, 2);
        if (m < 1 || m > 12)
            snprintf(detail, sizeof detail, "there is no month %02d", m);
        else if (d < 1 || d > days_in_month(y, m))
            snprintf(detail, sizeof detail, "month %02d of %04d has %d days", m, y, days_in_month(y, m));
        else
            *out = s;
    }
    if (*out != NULL)
        return 0;
    pv_join(path, sizeof path, at, key);
    return pv_bad_value(w, path, expected, s, len, detail);
}

/* A lookup code in canonical form (§2): what a school writes in supersedes
 * or a recall's code is copied from our own output, so no normalisation. */
int pv_code(const why_t *w, const json_t *obj, const char *key, int required, char out[CODE_LEN],
            int *present)
{
    static const char expected[] = "a lookup code (16 symbols, upper case, no hyphens)";
    char got[ECHO_BUF], canon[CODE_LEN], detail[80];
    const char *s;
    size_t len;
    code_error_t e;
    int rc = pv_string(w, obj, PV_AT_TOP, key, required, STR_FORMAT, expected, &s, &len);

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
    pv_echo(got, sizeof got, s, len);
    return pv_fail(w, PAYLOAD_ESCHEMA, "%s: %s is not a valid lookup code: %s", key, got, detail);
}

/* A string member that must be one of a fixed list. */
int pv_enum(const why_t *w, const json_t *obj, const where_t *at, const char *key, const char *const *allowed,
            size_t nallowed, const char *expected, const char *hint, const char **out, size_t *index)
{
    char path[PATH_LEN];
    const char *s;
    size_t len;
    int rc = pv_string(w, obj, at, key, 1, STR_FORMAT, expected, &s, &len);

    *out = NULL;
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < nallowed; i++) {
        if (str_eq(str_n(s, len), str_c(allowed[i]))) {
            *out = s;
            if (index != NULL)
                *index = i;
            return 0;
        }
    }
    pv_join(path, sizeof path, at, key);
    return pv_bad_value(w, path, expected, s, len, hint);
}

/* Đ is the one level people mistype, as D, d or đ (and CĐ as CD): say which
 * character is meant. */
const char *pv_level_d_hint(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL)
        return NULL;
    if (s[0] == 'C')
        s++;
    if (strcmp(s, "D") == 0 || strcmp(s, "d") == 0 || strcmp(s, "\xC4\x91") == 0)
        return PV_LEVEL_D " is U+0110, capital D with stroke";
    return NULL;
}
