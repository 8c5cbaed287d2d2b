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

size_t utf8_scrub(const char *in, size_t len, char *out, size_t outlen)
{
    static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0, o = 0;

    while (i < len) {
        size_t n = utf8_seq_len(u + i, len - i);
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
