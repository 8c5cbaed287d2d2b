/* ber.c — BER checked, and re-encoded in DER. */
#include "ber.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Universal tag numbers whose constructed form is a string cut in segments
 * (X.690 8.6.4, 8.7.3, 8.23.5): BIT STRING, OCTET STRING, ObjectDescriptor,
 * the character strings, UTCTime and GeneralizedTime. */
#define STRING_TYPES                                                                                         \
    ((1u << 3) | (1u << 4) | (1u << 7) | (1u << 12) | (1u << 18) | (1u << 19) | (1u << 20) | (1u << 21) |    \
     (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30))
/* Universal types that are primitive only: BOOLEAN, INTEGER, NULL, OBJECT
 * IDENTIFIER, REAL, ENUMERATED, RELATIVE-OID. */
#define PRIMITIVE_TYPES ((1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 9) | (1u << 10) | (1u << 13))

#define STR_(x) #x
#define STR(x) STR_(x)

#define IS_UNIVERSAL(tag) (((tag)&0xc0) == 0)
#define IS_CONSTRUCTED(tag) (((tag)&0x20) != 0)

/* One walk over an element and everything in it: checks it, notes whether
 * its DER would differ, and (write) writes its DER into out. */
typedef struct {
    const uint8_t *base; /* the input, for positions in messages */
    int write;
    uint8_t *out;
    size_t len, cap;
    int changed; /* the DER differs from the input (but for a re-tagged first octet) */
    int err;     /* the first problem */
    size_t at;
    const char *why;
} walk_t;

/* State of joining the segments of one constructed string. */
typedef struct {
    int bits;    /* a BIT STRING: each segment starts with its count of unused bits */
    int pending; /* unused bits of the segment before: only the last may have any */
} join_t;

static int fail(walk_t *w, const uint8_t *at, int rc, const char *why)
{
    if (w->err == 0) {
        w->err = rc;
        w->at = (size_t)(at - w->base);
        w->why = why;
    }
    return rc;
}

/* Words for a header der_read_header refused. */
static const char *header_problem(const uint8_t *p, size_t avail)
{
    if (avail < 2)
        return "the data ends inside an element's header";
    if ((p[0] & 0x1f) == 0x1f)
        return "a tag in the high-tag-number form";
    if (p[0] == 0)
        return "end-of-contents octets with a length";
    if (p[1] == 0x80)
        return "an indefinite length on a primitive element";
    if (p[1] == 0xff)
        return "the reserved length octet 0xff";
    return "a length runs past the end of what holds it";
}

/* Append n bytes (write only). */
static int put(walk_t *w, const uint8_t *at, const void *p, size_t n)
{
    if (!w->write)
        return 0;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 256;
        while (n > cap - w->len) {
            if (cap > SIZE_MAX / 2)
                return fail(w, at, -ENOMEM, "out of memory");
            cap *= 2;
        }
        uint8_t *b = realloc(w->out, cap);
        if (b == NULL)
            return fail(w, at, -ENOMEM, "out of memory");
        w->out = b;
        w->cap = cap;
    }
    if (n > 0)
        memcpy(w->out + w->len, p, n);
    w->len += n;
    return 0;
}

/* The DER header of tag and a content of len bytes into h; its size. */
static size_t header(unsigned tag, size_t len, uint8_t h[2 + sizeof(size_t)])
{
    h[0] = (uint8_t)tag;
    if (len < 0x80) {
        h[1] = (uint8_t)len;
        return 2;
    }
    size_t n = 0;
    for (size_t v = len; v > 0; v >>= 8)
        n++;
    h[1] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        h[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    return 2 + n;
}

/* The size of the DER header of a content of len bytes. */
static size_t header_len(size_t len)
{
    size_t n = 2;
    if (len >= 0x80)
        for (; len > 0; len >>= 8)
            n++;
    return n;
}

static int put_header(walk_t *w, const uint8_t *at, unsigned tag, size_t len)
{
    uint8_t h[2 + sizeof(size_t)];
    return put(w, at, h, header(tag, len, h));
}

/* Put the DER header of the content written since start in front of it. */
static int close_element(walk_t *w, const uint8_t *at, size_t start, unsigned tag)
{
    if (!w->write)
        return 0;
    uint8_t h[2 + sizeof(size_t)];
    size_t clen = w->len - start, n = header(tag, clen, h);
    if (put(w, at, h, n) != 0)
        return w->err;
    memmove(w->out + start + n, w->out + start, clen);
    memcpy(w->out + start, h, n);
    return 0;
}

/* X.690 11.6: SET OF elements in ascending order of their encodings, the
 * shorter padded at its end with zero octets. */
static int set_order(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c != 0)
        return c;
    const uint8_t *tail = alen > blen ? a : b;
    for (size_t i = n; i < (alen > blen ? alen : blen); i++)
        if (tail[i] != 0)
            return alen > blen ? 1 : -1;
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} span_t;

static int span_order(const void *x, const void *y)
{
    const span_t *a = x, *b = y;
    return set_order(a->p, a->n, b->p, b->n);
}

/* Sort the DER elements written since start (write only). */
static int sort_set(walk_t *w, const uint8_t *at, size_t start)
{
    size_t n = 0, total = w->len - start;
    der_header_t h;
    for (size_t o = start; o < w->len; o += h.hdrlen + h.len, n++)
        if (der_read_header(w->out + o, w->len - o, 0, &h) != DER_OK)
            return fail(w, at, DER_EBAD, "internal error: a re-encoded element does not read back");
    if (n < 2)
        return 0;
    span_t *s = malloc(n * sizeof *s);
    uint8_t *tmp = malloc(total);
    if (s == NULL || tmp == NULL) {
        free(s);
        free(tmp);
        return fail(w, at, -ENOMEM, "out of memory");
    }
    size_t i = 0;
    for (size_t o = start; o < w->len; o += h.hdrlen + h.len) {
        der_read_header(w->out + o, w->len - o, 0, &h);
        s[i].p = w->out + o;
        s[i++].n = h.hdrlen + h.len;
    }
    qsort(s, n, sizeof *s, span_order);
    size_t o = 0;
    for (i = 0; i < n; i++) {
        memcpy(tmp + o, s[i].p, s[i].n);
        o += s[i].n;
    }
    memcpy(w->out + start, tmp, total);
    free(s);
    free(tmp);
    return 0;
}

/* Read the header at p for walking: errors worded. */
static int read_header(walk_t *w, const uint8_t *p, size_t avail, int depth, der_header_t *h)
{
    if (depth > DER_MAX_DEPTH)
        return fail(w, p, DER_EDEEP, "elements nested more than " STR(DER_MAX_DEPTH) " deep");
    int rc = der_read_header(p, avail, 1, h);
    if (rc == DER_EEOC)
        return fail(w, p, DER_EEOC, "end-of-contents octets where no indefinite length ends");
    if (rc != DER_OK)
        return fail(w, p, rc, header_problem(p, avail));
    return 0;
}

/* At c[*o] in the content of a constructed element: 1 when the content ends
 * there (the end of a definite length, or an indefinite length's
 * end-of-contents octets, consumed), 0 when an element follows, or an error
 * (an indefinite length that never ends). */
static int content_ends(walk_t *w, const uint8_t *c, size_t limit, int indefinite, size_t *o)
{
    if (!indefinite)
        return *o == limit;
    if (*o == limit)
        return fail(w, c + *o, DER_EEOC, "an indefinite length has no end-of-contents octets");
    if (limit - *o >= 2 && c[*o] == 0 && c[*o + 1] == 0) {
        *o += 2;
        return 1;
    }
    return 0;
}

/* The segments of a constructed string in c[0..limit) (to its
 * end-of-contents octets when indefinite), their contents appended;
 * *used receives the bytes read. */
static int join_segments(walk_t *w, join_t *j, const uint8_t *c, size_t limit, int indefinite, int depth,
                         size_t *used)
{
    size_t o = 0;
    int rc;
    while ((rc = content_ends(w, c, limit, indefinite, &o)) == 0) {
        der_header_t h;
        const uint8_t *p = c + o;
        if ((rc = read_header(w, p, limit - o, depth, &h)) != 0)
            return rc;
        if ((h.tag & ~0x20u) != (j->bits ? 0x03u : 0x04u))
            return fail(w, p, DER_EBAD, "a segment of a constructed string is not of its type");
        const uint8_t *v = p + h.hdrlen;
        if (IS_CONSTRUCTED(h.tag)) {
            size_t u;
            if ((rc = join_segments(w, j, v, h.indefinite ? limit - o - h.hdrlen : h.len, h.indefinite,
                                    depth + 1, &u)) != 0)
                return rc;
            o += h.hdrlen + u;
            continue;
        }
        if (j->bits) {
            if (h.len == 0 || v[0] > 7)
                return fail(w, p, DER_EBAD,
                            "a BIT STRING segment without a count of unused bits from 0 to 7");
            if (j->pending != 0)
                return fail(w, p, DER_EBAD, "a BIT STRING segment other than the last has unused bits");
            j->pending = v[0];
            rc = put(w, p, v + 1, h.len - 1);
        } else {
            rc = put(w, p, v, h.len);
        }
        if (rc != 0)
            return rc;
        o += h.hdrlen + h.len;
    }
    if (rc < 0)
        return rc;
    *used = o;
    return 0;
}

/* The element at p (avail bytes to the end of what holds it), at depth;
 * *used receives its size in the input. tag_out: the tag to write instead
 * of its own (0: its own). */
static int element(walk_t *w, const uint8_t *p, size_t avail, int depth, unsigned tag_out, size_t *used)
{
    der_header_t h;
    int rc;
    if ((rc = read_header(w, p, avail, depth, &h)) != 0)
        return rc;
    const uint8_t *c = p + h.hdrlen;
    unsigned num = h.tag & 0x1f, tag = tag_out ? tag_out : h.tag;
    int cons = IS_CONSTRUCTED(h.tag);
    int joined = cons && IS_UNIVERSAL(h.tag) && (STRING_TYPES >> num & 1);
    if (h.indefinite || h.hdrlen != header_len(h.len))
        w->changed = 1;
    if (tag_out && (!cons || !IS_CONSTRUCTED(tag_out) || joined))
        return fail(w, p, DER_EBAD, "the element to re-tag is not constructed");
    if (IS_UNIVERSAL(h.tag) && (num == 16 || num == 17) && !cons)
        return fail(w, p, DER_EBAD, "a SEQUENCE or SET in the primitive form");
    if (IS_UNIVERSAL(h.tag) && (PRIMITIVE_TYPES >> num & 1) && cons)
        return fail(w, p, DER_EBAD,
                    "a BOOLEAN, INTEGER, NULL, OBJECT IDENTIFIER or ENUMERATED in the constructed form");

    if (!cons) {
        if (h.tag == 0x01) { /* BOOLEAN: DER writes TRUE as 0xff */
            if (h.len != 1)
                return fail(w, p, DER_EBAD, "a BOOLEAN that is not one octet");
            uint8_t v = c[0] ? 0xff : 0;
            w->changed |= v != c[0];
            if ((rc = put_header(w, p, tag, 1)) != 0 || (rc = put(w, p, &v, 1)) != 0)
                return rc;
        } else if ((rc = put_header(w, p, tag, h.len)) != 0 || (rc = put(w, p, c, h.len)) != 0) {
            return rc;
        }
        *used = h.hdrlen + h.len;
        return 0;
    }

    size_t start = w->len, limit = h.indefinite ? avail - h.hdrlen : h.len, o = 0;
    if (joined) { /* never DER: one primitive string instead */
        join_t j = {num == 3, 0};
        uint8_t unused = 0;
        w->changed = 1;
        if (j.bits && (rc = put(w, p, &unused, 1)) != 0)
            return rc;
        if ((rc = join_segments(w, &j, c, limit, h.indefinite, depth + 1, &o)) != 0)
            return rc;
        if (j.bits && w->write)
            w->out[start] = (uint8_t)j.pending;
        if ((rc = close_element(w, p, start, tag & ~0x20u)) != 0)
            return rc;
        *used = h.hdrlen + o;
        return 0;
    }

    int set = tag == DER_SET;
    const uint8_t *prev = NULL;
    size_t prevlen = 0;
    while ((rc = content_ends(w, c, limit, h.indefinite, &o)) == 0) {
        size_t u;
        if ((rc = element(w, c + o, limit - o, depth + 1, 0, &u)) != 0)
            return rc;
        if (set && prev != NULL && !w->changed && set_order(prev, prevlen, c + o, u) > 0)
            w->changed = 1; /* out of order; the elements themselves are DER so far */
        prev = c + o;
        prevlen = u;
        o += u;
    }
    if (rc < 0)
        return rc;
    if (set && w->write && (rc = sort_set(w, p, start)) != 0)
        return rc;
    if ((rc = close_element(w, p, start, tag)) != 0)
        return rc;
    *used = h.hdrlen + o;
    return 0;
}

/* Walk in[0..len): exactly one element. */
static int walk(walk_t *w, const uint8_t *in, size_t len, unsigned outer_tag)
{
    size_t used;
    w->base = in;
    if (len == 0)
        return fail(w, in, DER_EBAD, "no data");
    int rc = element(w, in, len, 0, outer_tag, &used);
    if (rc != 0)
        return rc;
    if (used != len)
        return fail(w, in + used, DER_EBAD, "data after the end of the outermost element");
    return 0;
}

static void say(const walk_t *w, char *why, size_t whylen)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s at byte %zu", w->why ? w->why : "malformed", w->at);
}

int ber_check(const uint8_t *in, size_t len, char *why, size_t whylen)
{
    walk_t w = {0};
    int rc = walk(&w, in, len, 0);
    if (rc != 0)
        say(&w, why, whylen);
    return rc;
}

int ber_is_der(const uint8_t *in, size_t len, unsigned outer_tag)
{
    walk_t w = {0};
    int rc = walk(&w, in, len, outer_tag);
    return rc != 0 ? rc : !w.changed;
}

int ber_to_der(const uint8_t *in, size_t len, unsigned outer_tag, uint8_t **out, size_t *outlen, char *why,
               size_t whylen)
{
    walk_t w = {0};
    w.write = 1;
    *out = NULL;
    *outlen = 0;
    int rc = walk(&w, in, len, outer_tag);
    if (rc != 0) {
        say(&w, why, whylen);
        free(w.out);
        return rc;
    }
    *out = w.out;
    *outlen = w.len;
    return 0;
}
