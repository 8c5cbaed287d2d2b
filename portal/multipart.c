/* multipart.c — multipart/form-data bodies, read strictly (multipart.h has the rules). */
#include "portal/multipart.h"

#include <string.h>

#include "portal/match.h"

/* A lower-case ASCII word, compared without regard to case. */
static int ci_is(str_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

/* RFC 2046 §5.1.1 bchars (a space only inside) */
static int is_bchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("'()+_,-./:=? ", c) != NULL);
}

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

typedef struct {
    char *out;
    size_t len;
    int seen, bad;
} boundary_t;

static int boundary_param(void *arg, str_t name, str_t value, size_t len)
{
    boundary_t *b = arg;
    if (!ci_is(name, "boundary"))
        return 0;
    if (b->seen++ || len == 0 || len > MULTIPART_BOUNDARY_MAX || value.ptr[len - 1] == ' ') {
        b->bad = 1;
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if (!is_bchar((unsigned char)value.ptr[i]))
            b->bad = 1;
    memcpy(b->out, value.ptr, len);
    b->out[len] = '\0';
    b->len = len;
    return 0;
}

int multipart_boundary(str_t content_type, char out[MULTIPART_BOUNDARY_MAX + 1], size_t *len)
{
    boundary_t b = {out, 0, 0, 0};
    out[0] = '\0';
    *len = 0;
    if (!match_media_type(content_type, "multipart", "form-data", boundary_param, &b))
        return MULTIPART_ENOTFORM;
    if (!b.seen || b.bad)
        return MULTIPART_EBOUNDARY;
    *len = b.len;
    return MULTIPART_OK;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* A parameter value at p: a token, or a quoted-string without escapes (multipart.h). NULL when
 * there is none; else the end of it, with *v the value (without quotes). */
static const char *disp_value(const char *p, const char *end, str_t *v)
{
    if (p < end && *p == '"') {
        const char *q = ++p;
        while (q < end && *q != '"') {
            unsigned char c = (unsigned char)*q;
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return NULL;
            q++;
        }
        if (q == end)
            return NULL;
        *v = str_n(p, (size_t)(q - p));
        return q + 1;
    }
    const char *q = p;
    while (q < end && is_tchar((unsigned char)*q))
        q++;
    if (q == p)
        return NULL;
    *v = str_n(p, (size_t)(q - p));
    return q;
}

/* Content-Disposition: form-data; name=...; [filename=...]; other parameters ignored. */
static int read_disposition(str_t value, multipart_part_t *part)
{
    const char *p = value.ptr, *end = value.ptr + value.len, *t = p;
    int has_name = 0;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    if (!ci_is(str_n(t, (size_t)(p - t)), "form-data"))
        return -1;
    for (;;) {
        p = skip_ws(p, end);
        if (p == end)
            break;
        if (*p != ';')
            return -1;
        p = skip_ws(p + 1, end);
        const char *n = p;
        while (p < end && is_tchar((unsigned char)*p))
            p++;
        str_t name = str_n(n, (size_t)(p - n)), v;
        if (name.len == 0 || p == end || *p != '=' || (p = disp_value(p + 1, end, &v)) == NULL)
            return -1;
        if (ci_is(name, "name")) {
            if (has_name++ || v.len == 0)
                return -1;
            part->name = v;
        } else if (ci_is(name, "filename")) {
            if (part->has_filename++)
                return -1;
            part->filename = v;
        }
    }
    return has_name ? 0 : -1;
}

/* A part's header block from *pp to its empty line (each line ends with CRLF); *pp moves past it. */
static int read_headers(const char **pp, const char *end, multipart_part_t *part, const char *base,
                        size_t *at)
{
    const char *p = *pp;
    int lines = 0, disposition = 0, type = 0;
    for (;;) {
        *at = (size_t)(p - base);
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (lf == NULL || lf == p || lf[-1] != '\r')
            return MULTIPART_ESTRUCTURE; /* no end of the header block, or a bare LF */
        str_t line = str_n(p, (size_t)(lf - 1 - p));
        p = lf + 1;
        if (line.len == 0)
            break;
        if (++lines > MULTIPART_MAX_HEADERS || line.len > MULTIPART_MAX_LINE || line.ptr[0] == ' ' ||
            line.ptr[0] == '\t')
            return MULTIPART_EHEADER;
        for (size_t i = 0; i < line.len; i++) {
            unsigned char c = (unsigned char)line.ptr[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return MULTIPART_EHEADER; /* a CR alone, a NUL, ... */
        }
        const char *colon = memchr(line.ptr, ':', line.len);
        if (colon == NULL || colon == line.ptr)
            return MULTIPART_EHEADER;
        str_t name = str_n(line.ptr, (size_t)(colon - line.ptr));
        for (size_t i = 0; i < name.len; i++)
            if (!is_tchar((unsigned char)name.ptr[i]))
                return MULTIPART_EHEADER;
        const char *v = skip_ws(colon + 1, line.ptr + line.len), *ve = line.ptr + line.len;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        str_t value = str_n(v, (size_t)(ve - v));
        if (ci_is(name, "content-disposition")) {
            if (disposition++ || read_disposition(value, part) != 0)
                return MULTIPART_EHEADER;
        } else if (ci_is(name, "content-type")) {
            if (type++)
                return MULTIPART_EHEADER;
            part->type = value;
        } else if (ci_is(name, "content-transfer-encoding")) {
            if (!ci_is(value, "binary") && !ci_is(value, "8bit") && !ci_is(value, "7bit"))
                return MULTIPART_EHEADER;
        }
    }
    if (!disposition)
        return MULTIPART_EHEADER;
    *pp = p;
    return MULTIPART_OK;
}

/* The delimiter that ends a part's content beginning at p: the first CRLF "--" boundary after it.
 * NULL when there is none, and also when a line of the content begins with "--" boundary after a
 * bare LF (another reader would end the part there) or the content itself begins with it (the part
 * had no empty line after its header block). */
static const char *find_delimiter(const char *p, const char *end, str_t boundary)
{
    const char *q = p;
    while ((size_t)(end - q) >= 2 + boundary.len) {
        const char *d = memmem(q, (size_t)(end - q), "--", 2);
        if (d == NULL || (size_t)(end - d) < 2 + boundary.len)
            return NULL;
        if (memcmp(d + 2, boundary.ptr, boundary.len) != 0 || (d > p && d[-1] != '\n')) {
            q = d + 1;
            continue;
        }
        if (d == p || d - p < 2 || d[-2] != '\r')
            return NULL;
        return d - 2;
    }
    return NULL;
}

int multipart_parse(str_t body, str_t boundary, multipart_part_t parts[MULTIPART_MAX_PARTS], size_t *nparts,
                    size_t *at)
{
    const char *p = body.ptr, *end = body.ptr + body.len;
    size_t bl = boundary.len;
    *nparts = 0;
    *at = 0;
    if (bl == 0 || body.len < 2 + bl || memcmp(p, "--", 2) != 0 || memcmp(p + 2, boundary.ptr, bl) != 0)
        return MULTIPART_ESTRUCTURE; /* no preamble: the body begins with the first delimiter */
    p += 2 + bl;
    for (;;) {
        *at = (size_t)(p - body.ptr);
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            p += 2;
            *at = (size_t)(p - body.ptr);
            /* the close delimiter: then at most one CRLF, no epilogue */
            return p == end || (end - p == 2 && p[0] == '\r' && p[1] == '\n') ? MULTIPART_OK
                                                                              : MULTIPART_ESTRUCTURE;
        }
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return MULTIPART_ESTRUCTURE; /* transport padding, or "--BOUNDARYmore" */
        p += 2;
        if (*nparts == MULTIPART_MAX_PARTS)
            return MULTIPART_ETOOMANY;
        multipart_part_t *part = &parts[*nparts];
        memset(part, 0, sizeof *part);
        part->type = part->filename = str_n("", 0);
        int rc = read_headers(&p, end, part, body.ptr, at);
        if (rc != MULTIPART_OK)
            return rc;
        for (size_t i = 0; i < *nparts; i++)
            if (str_eq(parts[i].name, part->name))
                return MULTIPART_EDUPLICATE;
        const char *d = find_delimiter(p, end, boundary);
        if (d == NULL) {
            *at = (size_t)(p - body.ptr);
            return MULTIPART_ESTRUCTURE;
        }
        part->content = str_n(p, (size_t)(d - p));
        (*nparts)++;
        p = d + 4 + bl;
    }
}

const multipart_part_t *multipart_find(const multipart_part_t *parts, size_t nparts, const char *name)
{
    for (size_t i = 0; i < nparts; i++)
        if (str_eq(parts[i].name, str_c(name)))
            return &parts[i];
    return NULL;
}
