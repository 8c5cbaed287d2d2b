/* der.c — DER and BER element reader. */
#include "der.h"

#include <string.h>

/* The content length of an indefinite-length element whose content starts
 * at p (avail bytes to the end of what holds it), its elements at depth:
 * up to the end-of-contents octets that close it. Nested indefinite
 * lengths are followed; definite ones are skipped whole. */
static int indefinite_len(const uint8_t *p, size_t avail, int depth, size_t *out)
{
    size_t o = 0;
    for (;;) {
        der_header_t h;
        if (o == avail)
            return DER_EEOC; /* never closed */
        int rc = der_read_header(p + o, avail - o, 1, &h);
        if (rc == DER_EEOC) {
            *out = o;
            return DER_OK;
        }
        if (rc != DER_OK)
            return rc;
        if (depth > DER_MAX_DEPTH)
            return DER_EDEEP;
        o += h.hdrlen;
        if (h.indefinite) {
            size_t n;
            if ((rc = indefinite_len(p + o, avail - o, depth + 1, &n)) != DER_OK)
                return rc;
            o += n + 2;
        } else {
            o += h.len;
        }
    }
}

int der_next(der_cur_t *c, der_elem_t *e)
{
    if (c->len == 0)
        return DER_EEND;
    if (c->depth > DER_MAX_DEPTH)
        return DER_EDEEP;
    der_header_t h;
    int rc;
    const uint8_t *p = c->p;
    /* most elements: a low tag and a short definite length */
    if (c->len >= 2 && p[1] < 0x80 && p[0] != 0 && (p[0] & 0x1f) != 0x1f && p[1] <= c->len - 2) {
        e->tag = p[0];
        e->raw = p;
        e->rawlen = 2 + (size_t)p[1];
        e->val = p + 2;
        e->len = p[1];
        e->indefinite = 0;
        e->ber = c->ber;
        e->depth = c->depth;
        c->p += e->rawlen;
        c->len -= e->rawlen;
        return DER_OK;
    }
    rc = der_read_header(c->p, c->len, c->ber, &h);
    if (rc != DER_OK)
        return rc; /* DER_EEOC too: a cursor never holds the octets that close its content */
    size_t len = h.len, rawlen;
    if (h.indefinite) {
        if ((rc = indefinite_len(c->p + h.hdrlen, c->len - h.hdrlen, c->depth + 1, &len)) != DER_OK)
            return rc;
        rawlen = h.hdrlen + len + 2;
    } else {
        rawlen = h.hdrlen + len;
    }
    e->tag = h.tag;
    e->raw = c->p;
    e->rawlen = rawlen;
    e->val = c->p + h.hdrlen;
    e->len = len;
    e->indefinite = h.indefinite;
    e->ber = c->ber;
    e->depth = c->depth;
    c->p += rawlen;
    c->len -= rawlen;
    return DER_OK;
}

int der_expect(der_cur_t *c, unsigned tag, der_elem_t *e)
{
    der_cur_t save = *c;
    int rc = der_next(c, e);
    if (rc != DER_OK)
        return rc == DER_EEND ? DER_EBAD : rc;
    if (e->tag != tag) {
        *c = save;
        return DER_EBAD;
    }
    return DER_OK;
}

int der_optional(der_cur_t *c, unsigned tag, der_elem_t *e)
{
    if (c->len == 0 || c->p[0] != tag)
        return DER_EEND;
    return der_next(c, e);
}

int der_oid_is(const der_elem_t *e, const uint8_t *oid, size_t oidlen)
{
    return e->tag == DER_OID && e->len == oidlen && memcmp(e->val, oid, oidlen) == 0;
}

static int digits(const uint8_t *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int der_time(const der_elem_t *e, int64_t *out)
{
    const uint8_t *p = e->val;
    int y, mo, d, h, mi, s;
    size_t ylen;
    if (e->tag == DER_UTCTIME && e->len == 13)
        ylen = 2;
    else if (e->tag == DER_GENTIME && e->len == 15)
        ylen = 4;
    else
        return DER_EBAD;
    if (p[e->len - 1] != 'Z' || digits(p, (int)ylen, &y) || digits(p + ylen, 2, &mo) ||
        digits(p + ylen + 2, 2, &d) || digits(p + ylen + 4, 2, &h) || digits(p + ylen + 6, 2, &mi) ||
        digits(p + ylen + 8, 2, &s))
        return DER_EBAD;
    if (ylen == 2)
        y += y >= 50 ? 1900 : 2000; /* RFC 5280 4.1.2.5.1 */
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
        return DER_EBAD;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return DER_EBAD;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return DER_OK;
}
