/* der.c — DER element reader. */
#include "der.h"

#include <string.h>

int der_next(der_cur_t *c, der_elem_t *e)
{
    if (c->len == 0)
        return DER_EEND;
    const uint8_t *p = c->p;
    size_t avail = c->len, hdr = 2;
    if (avail < 2)
        return DER_EBAD;
    unsigned tag = p[0];
    if ((tag & 0x1f) == 0x1f)
        return DER_EBAD; /* high tag numbers: nothing we read uses them */
    size_t len = p[1];
    if (len == 0x80)
        return DER_EBER;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n > 4 || avail < 2 + n)
            return DER_EBAD;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | p[2 + i];
        /* DER: minimal length encoding */
        if (len < 0x80 || (n > 1 && p[2] == 0))
            return DER_EBAD;
        hdr += n;
    }
    if (len > avail - hdr)
        return DER_EBAD;
    e->tag = tag;
    e->raw = p;
    e->rawlen = hdr + len;
    e->val = p + hdr;
    e->len = len;
    c->p += e->rawlen;
    c->len -= e->rawlen;
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
