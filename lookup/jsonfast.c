/* jsonfast.c — a one-pass JSON reader building jansson's tree, jsonfast.h.
 *
 * Every rule below is jansson 2.14's (src/load.c, src/utf.c, src/strconv.c),
 * restated for a reader that walks a pointer instead of a byte stream:
 * - whitespace is space, tab, newline and carriage return, nothing else;
 * - strings are strict UTF-8 (no overlong forms, no UTF-16 surrogates, nothing
 *   above U+10FFFF), hold no raw byte below 0x20, and know the escapes
 *   \" \\ \/ \b \f \n \r \t \uXXXX, where a high surrogate must be followed by
 *   an escaped low one and a lone low surrogate is an error;
 * - numbers follow the JSON grammar; one without '.', 'e' or 'E' is a
 *   json_int_t (strtoll, an error on overflow), any other a double (strtod,
 *   an error only on overflow to ±HUGE_VAL; underflow is accepted);
 * - with JSON_REJECT_DUPLICATES a repeated key is an error;
 * - only whitespace may follow the value.
 * One deliberate difference: a NUL byte is never taken. In a string it is a
 * control character to jansson too, and before a value it is an invalid
 * token; but jansson's stream skips a NUL it has pushed back after a number
 * or a word, so it accepts "1\0" and "[true\0]". Those are declined here.
 * Whatever this reader is unsure of it declines instead of deciding: the
 * caller's json_loadb has the final word and the exact error message.
 *
 * Every function returns NULL (or -1) both for "jansson would refuse" and
 * for "declined": the caller cannot tell them apart and need not. */
#include "jsonfast.h"

#include "utf8.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Escaped strings up to this many source bytes decode on the stack; longer
 * ones (rare) into a heap buffer of the source length, which bounds the
 * decoded length: every escape decodes to no more bytes than it is long. */
#define SCRATCH_LEN 256

typedef struct {
    const unsigned char *p;   /* next unread byte */
    const unsigned char *end; /* one past the last byte */
} reader_t;

/* A string body as found between its quotes, and the first backslash in it
 * (NULL when there is none, and the body is then the value as it stands). */
typedef struct {
    const unsigned char *ptr;
    size_t len;
    const unsigned char *esc;
} body_t;

/* Byte classes inside a string. PLAIN is printable ASCII other than the quote
 * and the backslash: the fast loop only looks for the first byte that is not. */
enum { PLAIN = 0, QUOTE, BACKSLASH, HIGH, CONTROL };

#define P PLAIN
#define Q QUOTE
#define B BACKSLASH
#define H HIGH
#define C CONTROL
/* clang-format off */
static const unsigned char STRING_CLASS[256] = {
    C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, /* 0x00 */
    C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, /* 0x10 */
    P, P, Q, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x20 */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x30 */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x40 */
    P, P, P, P, P, P, P, P, P, P, P, P, B, P, P, P, /* 0x50 */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x60 */
    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, /* 0x70 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x80 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0x90 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xA0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xB0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xC0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xD0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xE0 */
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, /* 0xF0 */
};
/* clang-format on */
#undef P
#undef Q
#undef B
#undef H
#undef C

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale; /* (locale_t)0 if newlocale failed: reals are then declined */

/* jansson converts a real's text to the process locale's decimal point before
 * strtod; converting in the "C" locale gives the same double without
 * depending on, or touching, the process locale. */
static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(reader_t *r)
{
    const unsigned char *p = r->p, *end = r->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    r->p = p;
}

/* Four hex digits at p (the caller checked there are four bytes), or -1. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (is_digit(c))
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Find the end of the string whose opening quote r->p is on, checking every
 * byte before the first backslash. From a backslash on, the body is only
 * delimited here (a backslash hides the byte after it, so \" does not end
 * it) and decode_escaped checks the rest. */
static int scan_string(reader_t *r, body_t *b)
{
    const unsigned char *start = r->p + 1, *p = start, *end = r->end;

    b->esc = NULL;
    for (;;) {
        while (p < end && STRING_CLASS[*p] == PLAIN)
            p++;
        if (p == end)
            return -1;
        switch (STRING_CLASS[*p]) {
        case QUOTE:
            b->ptr = start;
            b->len = (size_t)(p - start);
            r->p = p + 1;
            return 0;
        case HIGH: {
            size_t n = utf8_seq_len(p, (size_t)(end - p));
            if (n == 0)
                return -1;
            p += n;
            break;
        }
        case BACKSLASH:
            b->esc = p;
            while (p < end && *p != '"') {
                if (*p == '\\' && ++p == end)
                    return -1;
                p++;
            }
            if (p == end)
                return -1;
            b->ptr = start;
            b->len = (size_t)(p - start);
            r->p = p + 1;
            return 0;
        default:
            return -1; /* a raw control character, NUL included */
        }
    }
}

/* Decode the body of a string that holds escapes into dst, which has room
 * for b->len bytes; check every byte from the first backslash on.
 * @return the decoded length, or -1 (an error, or \u0000, which jansson
 * refuses without JSON_ALLOW_NUL and in keys always). */
static long decode_escaped(const body_t *b, char *dst)
{
    const unsigned char *p = b->esc, *end = b->ptr + b->len;
    size_t prefix = (size_t)(b->esc - b->ptr);
    unsigned char *o = (unsigned char *)dst + prefix;

    memcpy(dst, b->ptr, prefix);
    while (p < end) {
        unsigned char c = *p;
        if (c != '\\') {
            if (c < 0x20)
                return -1;
            if (c < 0x80) {
                *o++ = c;
                p++;
            } else {
                size_t n = utf8_seq_len(p, (size_t)(end - p));
                if (n == 0)
                    return -1;
                memcpy(o, p, n);
                o += n;
                p += n;
            }
            continue;
        }
        if (end - p < 2)
            return -1;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
            *o++ = p[1];
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            long cp;
            if (end - p < 6 || (cp = hex4(p + 2)) < 0)
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo;
                p += 6;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = hex4(p + 2)) < 0 || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
                return -1;
            }
            if (cp < 0x80) {
                *o++ = (unsigned char)cp;
            } else if (cp < 0x800) {
                *o++ = (unsigned char)(0xC0 | (cp >> 6));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (unsigned char)(0xE0 | (cp >> 12));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (unsigned char)(0xF0 | (cp >> 18));
                *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            }
            p += 4; /* the common += 2 below covers the backslash and the 'u' */
            break;
        }
        default:
            return -1;
        }
        p += 2;
    }
    return (long)(o - (unsigned char *)dst);
}

/* The string's value: the body itself when it has no escape, else its
 * decoding in stack (SCRATCH_LEN bytes) or in *heap, which the caller frees.
 * @return 0, or -1 with nothing to free. */
static int string_value(const body_t *b, char *stack, char **heap, const char **val, size_t *len)
{
    char *dst = stack;
    long n;

    *heap = NULL;
    if (b->esc == NULL) {
        *val = (const char *)b->ptr;
        *len = b->len;
        return 0;
    }
    if (b->len > SCRATCH_LEN) {
        dst = *heap = malloc(b->len);
        if (dst == NULL)
            return -1;
    }
    n = decode_escaped(b, dst);
    if (n < 0) {
        free(*heap);
        *heap = NULL;
        return -1;
    }
    *val = dst;
    *len = (size_t)n;
    return 0;
}

static json_t *parse_string(reader_t *r)
{
    body_t b;
    char stack[SCRATCH_LEN], *heap;
    const char *val;
    size_t len;
    json_t *s;

    if (scan_string(r, &b) < 0 || string_value(&b, stack, &heap, &val, &len) < 0)
        return NULL;
    s = json_stringn_nocheck(val, len);
    free(heap);
    return s;
}

/* The double of a number's text, by strtod itself, not a conversion of our
 * own, so that it is the one jansson gets, to the last bit. 0, or -1 when the
 * text is longer than JSONFAST_MAX_REAL_CHARS, is not wholly a number,
 * overflows to ±HUGE_VAL, or no "C" locale could be made. */
static int read_real(str_t t, double *d)
{
    char text[JSONFAST_MAX_REAL_CHARS + 1], *stop;
    int saved_errno = errno;
    if (t.len == 0 || t.len > JSONFAST_MAX_REAL_CHARS)
        return -1;
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale == (locale_t)0)
        return -1;
    memcpy(text, t.ptr, t.len);
    text[t.len] = '\0';
    errno = 0;
    *d = strtod_l(text, &stop, c_locale);
    int overflow = (*d == HUGE_VAL || *d == -HUGE_VAL) && errno == ERANGE;
    errno = saved_errno;
    return stop == text + t.len && !overflow ? 0 : -1;
}

/* The number at r->p, by the grammar of RFC 8259 §6, which is the one
 * lex_scan_number enforces: no leading zeros, no bare '-', digits on both
 * sides of '.', digits after 'e'. */
static json_t *parse_number(reader_t *r)
{
    const unsigned char *start = r->p, *p = start, *end = r->end, *digits;
    int negative = 0, real = 0;

    if (*p == '-') {
        negative = 1;
        p++;
    }
    digits = p;
    if (p == end || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    size_t ndigits = (size_t)(p - digits);
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        real = 1;
    }
    r->p = p;

    if (!real) {
        uint64_t v = 0;
        if (ndigits > JSONFAST_MAX_INT_DIGITS)
            return NULL;
        for (const unsigned char *d = digits; d < p; d++)
            v = v * 10 + (uint64_t)(*d - '0');
        return json_integer(negative ? -(json_int_t)v : (json_int_t)v);
    }

    double d;
    if (read_real(str_n(start, (size_t)(p - start)), &d) != 0)
        return NULL;
    return json_real(d);
}

/* "true", "false" or "null" at r->p. A letter right after it would make
 * jansson read a longer word and refuse it; here the caller refuses it, as
 * no value may be followed by a letter. */
static json_t *parse_literal(reader_t *r, const char *word, size_t n, json_t *value)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return NULL;
    r->p += n;
    return value;
}

static json_t *parse_value(reader_t *r, int depth);

/* After a member of an array or object: 1 when `close` ends the container,
 * 0 after a comma (and the whitespace after it), -1 on anything else. */
static int after_member(reader_t *r, unsigned char close)
{
    skip_ws(r);
    if (r->p == r->end)
        return -1;
    if (*r->p == close) {
        r->p++;
        return 1;
    }
    if (*r->p != ',')
        return -1;
    r->p++;
    skip_ws(r);
    return 0;
}

static json_t *parse_array(reader_t *r, int depth)
{
    json_t *array = json_array();
    if (array == NULL)
        return NULL;

    r->p++; /* '[' */
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return array;
    }
    for (;;) {
        json_t *v = parse_value(r, depth + 1);
        if (v == NULL || json_array_append_new(array, v) != 0)
            goto fail;
        int k = after_member(r, ']');
        if (k < 0)
            goto fail;
        if (k > 0)
            return array;
    }

fail:
    json_decref(array);
    return NULL;
}

static json_t *parse_object(reader_t *r, int depth)
{
    json_t *object = json_object();
    char stack[SCRATCH_LEN], *heap = NULL;
    if (object == NULL)
        return NULL;

    r->p++; /* '{' */
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return object;
    }
    for (;;) {
        body_t b;
        const char *key;
        size_t klen, before;
        json_t *v;

        if (r->p == r->end || *r->p != '"' || scan_string(r, &b) < 0 ||
            string_value(&b, stack, &heap, &key, &klen) < 0)
            goto fail;
        skip_ws(r);
        if (r->p == r->end || *r->p != ':')
            goto fail;
        r->p++;
        skip_ws(r);
        v = parse_value(r, depth + 1);
        if (v == NULL)
            goto fail;
        /* A repeated key replaces the value and leaves the size as it was:
         * cheaper than looking the key up first, and only ever on a
         * document jansson refuses anyway. */
        before = json_object_size(object);
        if (json_object_setn_new_nocheck(object, key, klen, v) != 0 || json_object_size(object) == before)
            goto fail;
        free(heap);
        heap = NULL;
        int k = after_member(r, '}');
        if (k < 0)
            goto fail;
        if (k > 0)
            return object;
    }

fail:
    free(heap);
    json_decref(object);
    return NULL;
}

/* The value at r->p; whitespace before it is already skipped. */
static json_t *parse_value(reader_t *r, int depth)
{
    if (depth > JSONFAST_MAX_DEPTH || r->p == r->end)
        return NULL;
    switch (*r->p) {
    case '"':
        return parse_string(r);
    case '{':
        return parse_object(r, depth);
    case '[':
        return parse_array(r, depth);
    case 't':
        return parse_literal(r, "true", 4, json_true());
    case 'f':
        return parse_literal(r, "false", 5, json_false());
    case 'n':
        return parse_literal(r, "null", 4, json_null());
    default:
        if (*r->p == '-' || is_digit(*r->p))
            return parse_number(r);
        return NULL;
    }
}

json_t *jsonfast_parse(const char *buf, size_t len)
{
    reader_t r;
    json_t *root;

    if (buf == NULL)
        return NULL;
    r.p = (const unsigned char *)buf;
    r.end = r.p + len;
    skip_ws(&r);
    root = parse_value(&r, 1);
    if (root == NULL)
        return NULL;
    skip_ws(&r);
    if (r.p != r.end) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---- how numbers were written ----------------------------------------------- */

typedef struct {
    const unsigned char *p, *end; /* the scan of the bytes: what is left */
    const json_t *const *nodes;
    str_t *texts;
    size_t n, left; /* nodes, and those not yet found */
    size_t last;    /* where the last one found was, plus one */
} numbers_t;

/* The next number token at or after *pp: outside strings, a number is the
 * only thing that starts with '-' or a digit. 0, or -1 when none is left. */
static int next_token(const unsigned char **pp, const unsigned char *end, str_t *t)
{
    const unsigned char *p = *pp;
    while (p < end) {
        if (*p == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end)
                    p++;
            if (p < end)
                p++;
        } else if (*p == '-' || is_digit(*p)) {
            const unsigned char *start = p;
            while (p < end && (is_digit(*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E'))
                p++;
            *t = str_n(start, (size_t)(p - start));
            *pp = p;
            return 0;
        } else {
            p++;
        }
    }
    *pp = p;
    return -1;
}

static int next_number(numbers_t *w, str_t *t)
{
    return next_token(&w->p, w->end, t);
}

/* Walk v in document order; 1 once every node is found (or the bytes hold no
 * more numbers), which ends the walk. */
static int walk_numbers(numbers_t *w, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
            if (walk_numbers(w, json_object_iter_value(it)))
                return 1;
        return 0;
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(v); i++)
            if (walk_numbers(w, json_array_get(v, i)))
                return 1;
        return 0;
    case JSON_INTEGER:
    case JSON_REAL: {
        str_t t;
        if (next_number(w, &t) != 0)
            return 1;
        /* nodes are usually asked in document order: look from after the
         * last one found, round to it */
        for (size_t k = 0; k < w->n; k++) {
            size_t i = (w->last + k) % w->n;
            if (w->nodes[i] == v && w->texts[i].ptr == NULL) {
                w->texts[i] = t;
                w->left--;
                w->last = i + 1;
                break;
            }
        }
        return w->left == 0;
    }
    default:
        return 0;
    }
}

int jsonfast_number_texts(const char *buf, size_t len, const json_t *root, const json_t *const *nodes,
                          str_t *texts, size_t n)
{
    numbers_t w = {(const unsigned char *)buf, (const unsigned char *)buf + len, nodes, texts, n, 0, 0};

    for (size_t i = 0; i < n; i++) {
        texts[i] = str_n(NULL, 0);
        w.left += nodes[i] != NULL;
    }
    if (w.left > 0 && buf != NULL && root != NULL)
        walk_numbers(&w, (json_t *)root); /* jansson's iterators take no const */
    return w.left == 0 ? 0 : -1;
}

int jsonfast_renumber(const char *text, size_t tlen, const char *orig, size_t olen, jsonfast_put_fn put,
                      void *arg)
{
    const unsigned char *t0 = (const unsigned char *)text, *tend = t0 + tlen;
    const unsigned char *o0 = (const unsigned char *)orig, *oend = o0 + olen;
    const unsigned char *tp = t0, *op = o0;
    str_t a, b;
    double x, y;

    if (text == NULL || (orig == NULL && olen > 0))
        return -1;
    /* first every pair is checked, so that nothing is written for texts that differ */
    for (;;) {
        int ta = next_token(&tp, tend, &a), tb = next_token(&op, oend, &b);
        if (ta != 0 || tb != 0) {
            if (ta != tb)
                return -1;
            break;
        }
        if (read_real(a, &x) != 0 || read_real(b, &y) != 0 || x != y)
            return -1;
    }
    const char *from = text;
    tp = t0, op = o0;
    while (next_token(&tp, tend, &a) == 0 && next_token(&op, oend, &b) == 0) {
        if (a.ptr > from)
            put(arg, from, (size_t)(a.ptr - from));
        put(arg, b.ptr, b.len);
        from = a.ptr + a.len;
    }
    if (text + tlen > from)
        put(arg, from, (size_t)(text + tlen - from));
    return 0;
}
