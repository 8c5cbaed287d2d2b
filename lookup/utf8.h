/* utf8.h — the one UTF-8 decoder (utf8_decode), and cutting and cleaning
 * UTF-8 text for messages.
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

/* What is wrong where no well-formed sequence starts (utf8_decode). */
enum utf8_fault {
    UTF8_OK = 0,
    UTF8_STRAY,     /* a continuation byte with no lead byte before it */
    UTF8_NEVER,     /* a byte that never appears in UTF-8 (F8..FF) */
    UTF8_CUT,       /* a lead byte without enough continuation bytes */
    UTF8_CUT_END,   /* a sequence cut short by the end of the bytes */
    UTF8_OVERLONG,  /* an overlong encoding (C0, C1, or E0/F0 too low) */
    UTF8_SURROGATE, /* a UTF-16 surrogate, U+D800..U+DFFF */
    UTF8_TOO_BIG,   /* a code point above U+10FFFF (F4 too high, F5..F7) */
};

/* One character as utf8_decode reads it. */
typedef struct {
    unsigned cp; /* the code point, when well-formed */
    size_t bad;  /* when not: the maximal subpart to replace by one U+FFFD (Unicode §3.9), at least 1 */
    int fault;   /* enum utf8_fault */
} utf8_char_t;

/** Decode the character at p: the project's one UTF-8 decoder (RFC 3629
 * §4's byte ranges: no overlong form, no surrogate, nothing above
 * U+10FFFF).
 * @param avail  bytes readable at p, at least 1
 * @param out    NULL, or receives the code point, or what is wrong and how
 *               many bytes a replacement stands for
 * @return the sequence's length (1-4), or 0 when none starts at p.
 * Inline: jsonfast and the escaper call it for every non-ASCII character. */
static inline size_t utf8_decode(const unsigned char *p, size_t avail, utf8_char_t *out)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    int out_of_range = UTF8_OVERLONG, fault;
    size_t need, k;
    unsigned v;

    if (c < 0x80) {
        if (out != NULL)
            out->cp = c;
        return 1;
    }
    if (c <= 0xBF || c >= 0xF8 || c <= 0xC1 || c >= 0xF5) {
        /* no sequence starts here; C0, C1 and F5..F7 followed by a
         * continuation byte say what the sequence would have meant */
        fault = c <= 0xBF                            ? UTF8_STRAY
                : c >= 0xF8                          ? UTF8_NEVER
                : avail < 2 || (p[1] & 0xC0) != 0x80 ? UTF8_CUT
                : c <= 0xC1                          ? UTF8_OVERLONG
                                                     : UTF8_TOO_BIG;
        k = 1;
        goto bad;
    }
    need = c <= 0xDF ? 2 : c <= 0xEF ? 3 : 4;
    v = c & (need == 2 ? 0x1F : need == 3 ? 0x0F : 0x07);
    if (c == 0xE0 || c == 0xF0) {
        lo = c == 0xE0 ? 0xA0 : 0x90;
    } else if (c == 0xED) {
        hi = 0x9F;
        out_of_range = UTF8_SURROGATE;
    } else if (c == 0xF4) {
        hi = 0x8F;
        out_of_range = UTF8_TOO_BIG;
    }
    for (k = 1; k < need; k++) {
        if (k >= avail) {
            fault = UTF8_CUT_END;
            goto bad;
        }
        if ((p[k] & 0xC0) != 0x80) {
            fault = UTF8_CUT;
            goto bad;
        }
        if (p[k] < lo || p[k] > hi) {
            fault = out_of_range;
            goto bad;
        }
        v = v << 6 | (p[k] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    if (out != NULL)
        out->cp = v;
    return need;
bad:
    if (out != NULL) {
        out->bad = k;
        out->fault = fault;
    }
    return 0;
}

/** Length of the well-formed UTF-8 sequence at p, or 0 when there is none:
 * utf8_decode without the details. @param avail  at least 1 */
static inline size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    return utf8_decode(p, avail, NULL);
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
