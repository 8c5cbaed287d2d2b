/* fuzz_router.c — the request router on any method and target bytes:
 * every slice it returns lies inside the input, and the route kinds keep
 * their promises. Input: METHOD, a NUL byte, then the target. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "portal/match.h"

static int inside(str_t s, const uint8_t *data, size_t size)
{
    return s.len == 0 || ((const uint8_t *)s.ptr >= data && (const uint8_t *)s.ptr + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : 0;
    str_t method = str_n(data, mlen), target = str_n(nul ? nul + 1 : data, nul ? size - mlen - 1 : size);
    match_t m;
    const char *allow = NULL;
    match_request(target, &m);
    if (!inside(m.path, data, size) || !inside(m.query, data, size) || !inside(m.seg, data, size) ||
        !inside(m.sub, data, size))
        __builtin_trap();
    if (m.kind < MATCH_NOT_FOUND || m.kind >= MATCH_KINDS)
        __builtin_trap();
    /* a code route's segment never holds a slash; nothing routes with "..": the segment is checked as a code */
    if ((m.kind == MATCH_PAGE || m.kind == MATCH_API_TRANSCRIPT || m.kind == MATCH_API_RECEIPT ||
         m.kind == MATCH_RECEIPT) &&
        memchr(m.seg.ptr, '/', m.seg.len) != NULL)
        __builtin_trap();
    if (m.path.len + (m.query.len ? m.query.len + 1 : 0) > target.len)
        __builtin_trap();
    int ok = match_method_allowed(&m, method, &allow);
    if (allow == NULL || (ok && !(mlen == 3 || mlen == 4)))
        __builtin_trap();
    return 0;
}
