/* der.h — a minimal, bounds-checked reader of DER and BER (X.690) encodings.
 *
 * Only what CMS SignedData and X.509 need: single-byte tags; lengths definite
 * (minimal in DER, any long form in BER) or, in BER, indefinite (the content
 * ends with the end-of-contents octets 00 00). A cursor reads DER unless made
 * with der_cursor_ber; elements read by a BER cursor are read inside as BER
 * too. Nesting is bounded (DER_MAX_DEPTH), so no input recurses deeper.
 * Nothing is allocated; every element points into the caller's buffer. A
 * form that only BER allows, met by a DER cursor, is refused with DER_EBER so
 * the caller can say so. */
#ifndef HOCBA_DER_H
#define HOCBA_DER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
    DER_OK = 0,
    DER_EEND = -1,  /* no more elements in this sequence */
    DER_EBAD = -2,  /* malformed: truncated, over-long length, high tag number */
    DER_EBER = -3,  /* a form BER allows and DER does not: indefinite or non-minimal length */
    DER_EDEEP = -4, /* elements nested deeper than DER_MAX_DEPTH */
    DER_EEOC = -5,  /* end-of-contents octets missing (an indefinite length never ends) or out of place */
};

/* How deep elements may nest: the outermost element is at depth 0. A CMS
 * SignedData with its certificates goes 10 deep. */
#define DER_MAX_DEPTH 32

/* Tags as they appear on the wire. */
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTCTIME 0x17
#define DER_GENTIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX(n) (0x80 | (n))      /* [n] IMPLICIT primitive */
#define DER_CTX_CONS(n) (0xa0 | (n)) /* [n] constructed */

/** One element: its tag, its content, and its whole encoding. */
typedef struct {
    unsigned tag;
    const uint8_t *val; /* content octets (without the end-of-contents octets of an indefinite length) */
    size_t len;
    const uint8_t *raw; /* tag + length + content (+ 00 00 when indefinite) */
    size_t rawlen;
    int indefinite; /* BER: the length was indefinite */
    int ber;        /* read by a BER cursor, so der_inside reads BER too */
    int depth;      /* 0 for an element of a cursor made by der_cursor or der_cursor_ber */
} der_elem_t;

/** A cursor over the content of a constructed element (or a whole buffer). */
typedef struct {
    const uint8_t *p;
    size_t len;
    int ber;   /* BER forms accepted */
    int depth; /* the depth of the elements it reads */
} der_cur_t;

/** The identifier and length octets of an element. */
typedef struct {
    unsigned tag;
    size_t hdrlen; /* identifier and length octets */
    size_t len;    /* content length; 0 when indefinite */
    int indefinite;
} der_header_t;

/** A cursor over buf[0..len) that reads DER only. */
static inline der_cur_t der_cursor(const void *buf, size_t len)
{
    der_cur_t c = {(const uint8_t *)buf, len, 0, 0};
    return c;
}

/** A cursor over buf[0..len) that reads BER (DER included). */
static inline der_cur_t der_cursor_ber(const void *buf, size_t len)
{
    der_cur_t c = {(const uint8_t *)buf, len, 1, 0};
    return c;
}

/** A cursor over the content of e, reading as e was read. */
static inline der_cur_t der_inside(const der_elem_t *e)
{
    der_cur_t c = {e->val, e->len, e->ber, e->depth + 1};
    return c;
}

/** Read the identifier and length octets at p[0..avail).
 * @param ber  accept BER's forms: non-minimal long lengths, indefinite lengths
 * @return DER_OK, with a definite content length that fits in avail;
 *         DER_EEOC when p starts with the end-of-contents octets 00 00
 *         (h->hdrlen 2, h->tag 0); DER_EBAD when truncated, a length runs
 *         past avail, a high tag number, tag 0 with a length, an indefinite
 *         length on a primitive element or the reserved length octet 0xff;
 *         DER_EBER when !ber and the form is BER's only.
 * Inline: der_next and the BER walker read every element's header with it. */
static inline int der_read_header(const uint8_t *p, size_t avail, int ber, der_header_t *h)
{
    if (avail < 2)
        return DER_EBAD;
    unsigned tag = p[0];
    size_t first = p[1], hdr = 2, len;
    if ((tag & 0x1f) == 0x1f)
        return DER_EBAD; /* high tag numbers: nothing we read uses them */
    h->indefinite = 0;
    if (tag == 0) { /* universal 0 is reserved for the end-of-contents octets */
        if (first != 0)
            return DER_EBAD;
        h->tag = 0;
        h->hdrlen = 2;
        h->len = 0;
        return DER_EEOC;
    }
    if (first < 0x80) {
        len = first;
    } else if (first == 0x80) {
        if (!(tag & 0x20))
            return DER_EBAD; /* X.690 8.1.3.2: indefinite only for constructed */
        if (!ber)
            return DER_EBER;
        h->indefinite = 1;
        len = 0;
    } else {
        size_t n = first & 0x7f, i = 0;
        if (first == 0xff || n > avail - 2)
            return DER_EBAD; /* 0xff: X.690 8.1.3.5 reserves it */
        while (i < n && p[2 + i] == 0)
            i++; /* leading zero octets: BER allows them */
        len = 0;
        for (; i < n; i++) {
            if (len > avail >> 8)
                return DER_EBAD; /* longer than what is there, and never an overflow */
            len = (len << 8) | p[2 + i];
        }
        hdr += n;
        if (!ber && (len < 0x80 || p[2] == 0))
            return DER_EBER; /* DER: the long form only when needed, in the fewest octets */
    }
    if (len > avail - hdr)
        return DER_EBAD;
    h->tag = tag;
    h->hdrlen = hdr;
    h->len = len;
    return DER_OK;
}

/** Read the next element and advance. An indefinite length is followed to
 * its end-of-contents octets (nested ones too, at most DER_MAX_DEPTH deep).
 * @return DER_OK, DER_EEND when the cursor is empty, or DER_EBAD, DER_EBER,
 *         DER_EDEEP, DER_EEOC (an indefinite length that never ends, or
 *         end-of-contents octets where no indefinite length ends). */
int der_next(der_cur_t *c, der_elem_t *e);

/** Read the next element, which must have the given tag.
 * @return DER_OK, or DER_EBAD if another tag came (nothing consumed then), or an error of der_next. */
int der_expect(der_cur_t *c, unsigned tag, der_elem_t *e);

/** If the next element has the tag, read it and return DER_OK; else leave the
 * cursor and return DER_EEND. Errors of der_next pass through. */
int der_optional(der_cur_t *c, unsigned tag, der_elem_t *e);

/** 1 when e is an OID whose content equals the given content bytes. */
int der_oid_is(const der_elem_t *e, const uint8_t *oid, size_t oidlen);

/** Parse a UTCTime or GeneralizedTime element (DER forms: ...Z) to UTC seconds.
 * @return DER_OK or DER_EBAD. */
int der_time(const der_elem_t *e, int64_t *out);

#endif
