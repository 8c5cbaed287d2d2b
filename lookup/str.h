/* str.h — a byte string as pointer + length.
 *
 * Everything that comes from outside (packages, URLs, headers, LMDB values)
 * is handled as a str_t so that no code depends on a terminating NUL. */
#ifndef HOCBA_STR_H
#define HOCBA_STR_H

#include <stddef.h>
#include <string.h>

typedef struct {
    const char *ptr;
    size_t len;
} str_t;

/** A str_t over a NUL-terminated literal or C string. */
static inline str_t str_c(const char *s)
{
    str_t r = {s, s ? strlen(s) : 0};
    return r;
}

/** A str_t over len bytes at p. */
static inline str_t str_n(const void *p, size_t len)
{
    str_t r = {(const char *)p, len};
    return r;
}

/** 1 when a and b hold the same bytes. */
static inline int str_eq(str_t a, str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/** Write n bytes as 2n lower-case hex digits and a NUL (out has 2n+1 bytes). */
static inline void str_hex(const unsigned char *in, size_t n, char *out)
{
    static const char X[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = X[in[i] >> 4];
        out[2 * i + 1] = X[in[i] & 15];
    }
    out[2 * n] = '\0';
}

#endif
