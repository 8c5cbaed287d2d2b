/* framing.c — the fields that frame a request's body, counted in its head. */
#include "portal/framing.h"

#include <string.h>

/* The line at *at in raw, without its LF and a CR before it; *at moves
 * past the LF. 0 when no LF is left. */
static int next_line(str_t raw, size_t *at, str_t *line)
{
    const char *lf = memchr(raw.ptr + *at, '\n', raw.len - *at);
    if (lf == NULL)
        return 0;
    size_t end = (size_t)(lf - raw.ptr);
    *line = str_n(raw.ptr + *at, end - *at);
    if (line->len > 0 && line->ptr[line->len - 1] == '\r')
        line->len--;
    *at = end + 1;
    return 1;
}

/* 1 when name is lit (lower case), whatever the case of name. */
static int name_is(str_t name, const char *lit)
{
    size_t n = strlen(lit);
    if (name.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

int framing_check(str_t raw, str_t method)
{
    size_t at = 0, lengths = 0, codings = 0;
    str_t line;
    /* libh2o skips one empty line before the request line */
    if (raw.len > 0 && raw.ptr[0] == '\n')
        at = 1;
    else if (raw.len > 1 && raw.ptr[0] == '\r' && raw.ptr[1] == '\n')
        at = 2;
    if (!next_line(raw, &at, &line) || method.len == 0 || line.len <= method.len ||
        memcmp(line.ptr, method.ptr, method.len) != 0 || line.ptr[method.len] != ' ')
        return FRAMING_UNREAD;
    for (;;) {
        if (!next_line(raw, &at, &line))
            return FRAMING_UNREAD; /* no end of the head */
        if (line.len == 0)
            break;
        /* obsolete line folding: a proxy in front may read the folded
         * line as a field of its own (" Transfer-Encoding: chunked") where
         * libh2o sees none, so it is refused (RFC 9112 §5.2 allows that) */
        if (line.ptr[0] == ' ' || line.ptr[0] == '\t')
            return FRAMING_CONFLICT;
        const char *colon = memchr(line.ptr, ':', line.len);
        if (colon == NULL)
            return FRAMING_UNREAD; /* libh2o refuses such a line */
        str_t name = str_n(line.ptr, (size_t)(colon - line.ptr));
        lengths += name_is(name, "content-length");
        codings += name_is(name, "transfer-encoding");
    }
    return lengths + codings > 1 ? FRAMING_CONFLICT : FRAMING_OK;
}
