/* fuzz_router.c — the request router and the request's parsers (match.h)
 * on any method and target bytes: every slice they return lies inside the
 * input, and the route kinds, query parameters, percent-decoding, language
 * and X-Forwarded-For keep their promises. Input: METHOD, a NUL byte, then
 * the target; the target's bytes are also read as an Accept-Language and an
 * X-Forwarded-For field value. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

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
    /* a code route's segment never holds a slash; nothing routes with "..": the segment is checked as a code
     */
    if ((m.kind == MATCH_PAGE || m.kind == MATCH_API_TRANSCRIPT || m.kind == MATCH_API_RECEIPT ||
         m.kind == MATCH_RECEIPT) &&
        memchr(m.seg.ptr, '/', m.seg.len) != NULL)
        __builtin_trap();
    if (m.path.len + (m.query.len ? m.query.len + 1 : 0) > target.len)
        __builtin_trap();
    int ok = match_method_allowed(&m, method, &allow);
    if (allow == NULL || (ok && !(mlen == 3 || mlen == 4)))
        __builtin_trap();
    /* the code segment the log hides: after a code prefix, inside the path, no '/' in it */
    if (m.code.ptr != NULL &&
        (!inside(m.code, data, size) || (const uint8_t *)m.code.ptr < (const uint8_t *)m.path.ptr ||
         m.code.ptr + m.code.len > m.path.ptr + m.path.len || memchr(m.code.ptr, '/', m.code.len) != NULL))
        __builtin_trap();
    if ((m.kind == MATCH_PAGE || m.kind == MATCH_API_TRANSCRIPT) &&
        (m.code.ptr != m.seg.ptr || m.code.len > m.seg.len))
        __builtin_trap();

    /* query parameters: inside the query, never holding a '&' */
    static const char *const names[] = {"code", "lang", "x"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        str_t v = match_query_param(m.query, names[i]);
        if ((v.len > 0 && (v.ptr < m.query.ptr || v.ptr + v.len > m.query.ptr + m.query.len)) ||
            memchr(v.ptr ? v.ptr : "", '&', v.len) != NULL)
            __builtin_trap();
        /* decoding never writes more than asked, never more bytes than it read, and ends with a NUL */
        char out[300];
        size_t n = match_url_decode(v, out, i == 2 ? 1 : sizeof out);
        if (n >= (i == 2 ? 1 : sizeof out) || n > v.len || out[n] != '\0')
            __builtin_trap();
    }
    size_t n = match_url_decode(target, (char[64]){0}, 64);
    if (n > 63 || n > target.len)
        __builtin_trap();

    /* the language: one of two, chosen only by a lang parameter naming it */
    int chosen = -1;
    int lang = match_lang(m.query, &target, &chosen);
    str_t l = match_query_param(m.query, "lang");
    if ((lang != MATCH_LANG_VI && lang != MATCH_LANG_EN) || (chosen != 0 && chosen != 1) ||
        (chosen && (l.len != 2 || lang != (l.ptr[0] == 'e'))))
        __builtin_trap();
    if (match_lang(m.query, NULL, &chosen) != (chosen ? lang : MATCH_LANG_VI))
        __builtin_trap();

    /* X-Forwarded-For: an address or nothing */
    struct sockaddr_storage ss;
    int rc = match_forwarded_for(target, &ss);
    if (rc != 0 && rc != -1)
        __builtin_trap();
    if (rc == 0 ? ss.ss_family != AF_INET && ss.ss_family != AF_INET6 : ss.ss_family != 0)
        __builtin_trap();
    return 0;
}
