/* utf8.h — cutting and cleaning UTF-8 text for messages.
 *
 * Messages quote certificate subjects, file names and payload values, and
 * are cut to fixed buffers. A cut inside a Vietnamese character ("ộ" is
 * three bytes) leaves bytes that are not UTF-8, and jansson refuses such a
 * string: an API answer or a publisher's JSON line would lose the message
 * instead of showing it. Every cut goes through utf8_cut; text that may not
 * be UTF-8 at all (file names) goes through utf8_scrub. */
#ifndef HOCBA_UTF8_H
#define HOCBA_UTF8_H

#include <stddef.h>

/** Length of the well-formed UTF-8 sequence at p (RFC 3629 §4's byte
 * ranges: no overlong form, no UTF-16 surrogate, nothing above U+10FFFF),
 * or 0 when there is none.
 * @param avail  bytes readable at p, at least 1
 * Inline: jsonfast calls it for every non-ASCII character it reads. */
static inline size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3)
            return 0;
        if (c == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (c == 0xED)
            hi = 0x9F; /* above are the surrogates U+D800..U+DFFF */
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4)
            return 0;
        if (c == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above is beyond U+10FFFF */
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0; /* a continuation byte, C0, C1 or F5..FF */
}

/** Length of the longest prefix of s[0..n) that does not end inside a
 * character: n minus the bytes of a sequence left incomplete at the end.
 * @param s  UTF-8 text (bytes that are not are kept as they are)
 * Thread-safe; reads at most s[0..n). */
size_t utf8_cut(const char *s, size_t n);

/** Copy len bytes of in to out as valid UTF-8: each byte that does not
 * start a well-formed sequence (RFC 3629) becomes U+FFFD, and the copy is
 * cut on a character boundary to fit outlen - 1 bytes, then NUL-terminated.
 * @param outlen  at least 1
 * @return the length written (without the NUL).
 * Thread-safe. */
size_t utf8_scrub(const char *in, size_t len, char *out, size_t outlen);

#endif
