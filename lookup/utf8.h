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
