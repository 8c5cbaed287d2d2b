/* fuzz_framing.c — the framing check on any method and request bytes: it
 * reads nothing outside them, answers one of its three values, and once it
 * has found the end of a head, nothing after it changes its answer.
 * Input: METHOD, a NUL byte, then the bytes received. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char more[] = "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : 0;
    str_t method = str_n(data, mlen), raw = str_n(nul ? nul + 1 : data, nul ? size - mlen - 1 : size);
    int got = framing_check(raw, method);
    if (got != FRAMING_OK && got != FRAMING_CONFLICT && got != FRAMING_UNREAD)
        __builtin_trap();
    if (got != FRAMING_UNREAD && (raw.len <= mlen || memcmp(raw.ptr, method.ptr, mlen) != 0) &&
        (raw.len <= mlen + 1 || memcmp(raw.ptr + 1, method.ptr, mlen) != 0) &&
        (raw.len <= mlen + 2 || memcmp(raw.ptr + 2, method.ptr, mlen) != 0))
        __builtin_trap(); /* an answer only for a request line that begins with the method */
    if (got == FRAMING_UNREAD)
        return 0;
    /* a copy, so that a read past the end of raw is a read past an allocation */
    char *longer = malloc(raw.len + sizeof more);
    if (longer == NULL)
        return 0;
    memcpy(longer, raw.ptr, raw.len);
    memcpy(longer + raw.len, more, sizeof more - 1);
    if (framing_check(str_n(longer, raw.len + sizeof more - 1), method) != got)
        __builtin_trap();
    free(longer);
    return 0;
}
