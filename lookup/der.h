/* der.h — a minimal, bounds-checked reader of DER (X.690) encodings.
 *
 * Only what CMS SignedData and X.509 need: single-byte tags, definite
 * lengths in minimal form. Nothing is allocated; every element points into
 * the caller's buffer. Indefinite (BER) lengths are refused with DER_EBER so
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
    DER_EBER = -3,  /* BER indefinite length, not DER */
};

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
#define DER_CTX(n) (0x80 | (n))         /* [n] IMPLICIT primitive */
#define DER_CTX_CONS(n) (0xa0 | (n))    /* [n] constructed */

/** One element: its tag, its content, and its whole encoding. */
typedef struct {
    unsigned tag;
    const uint8_t *val;   /* content octets */
    size_t len;
    const uint8_t *raw;   /* tag + length + content */
    size_t rawlen;
} der_elem_t;

/** A cursor over the content of a constructed element (or a whole buffer). */
typedef struct {
    const uint8_t *p;
    size_t len;
} der_cur_t;

/** A cursor over buf[0..len). */
static inline der_cur_t der_cursor(const void *buf, size_t len)
{
    der_cur_t c = {(const uint8_t *)buf, len};
    return c;
}

/** A cursor over the content of e. */
static inline der_cur_t der_inside(const der_elem_t *e)
{
    der_cur_t c = {e->val, e->len};
    return c;
}

/** Read the next element and advance.
 * @return DER_OK, DER_EEND when the cursor is empty, DER_EBAD or DER_EBER. */
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
