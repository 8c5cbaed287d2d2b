/* utf8.c — cutting and cleaning UTF-8 text for messages, utf8.h. */
#include "utf8.h"

#include <string.h>

size_t utf8_cut(const char *s, size_t n)
{
    size_t back = 0;
    while (back < 3 && back < n && ((unsigned char)s[n - 1 - back] & 0xC0) == 0x80)
        back++;
    if (back == n)
        return n; /* nothing but continuation bytes: not UTF-8 anyway */
    unsigned char lead = (unsigned char)s[n - 1 - back];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return want > back + 1 ? n - 1 - back : n;
}

/* Length of the well-formed sequence at p (RFC 3629 §4's byte ranges), or 0. */
static size_t seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* below is overlong */
    else if (c == 0xED)
        hi = 0x9F; /* above are the surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* below is overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above is beyond U+10FFFF */
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t utf8_scrub(const char *in, size_t len, char *out, size_t outlen)
{
    static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0, o = 0;

    while (i < len) {
        size_t n = seq_len(u + i, len - i);
        const char *piece = n ? in + i : REPLACEMENT;
        size_t plen = n ? n : 3;
        if (o + plen > outlen - 1)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += n ? n : 1;
    }
    out[o] = '\0';
    return o;
}
