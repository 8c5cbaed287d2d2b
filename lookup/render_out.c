/* render_out.c — the page being written: a bounded growing buffer, and the
 * project's only HTML escaper (render_escape). */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "render_internal.h"
#include "utf8.h"

/* ` and = are escaped too: they matter in unquoted attribute values, and a
 * template author may forget the quotes. */
static const char *const entity[128] = {
    ['&'] = "&amp;",  ['<'] = "&lt;",  ['>'] = "&gt;",  ['"'] = "&quot;",
    ['\''] = "&#39;", ['`'] = "&#96;", ['='] = "&#61;",
};

/* Make room for `more` bytes plus the NUL; sets the sticky error instead of
 * growing past the bound. */
int render_out_reserve(render_out_t *o, size_t more)
{
    if (o->err)
        return o->err;
    size_t max = o->max ? o->max : RENDER_OUT_MAX;
    if (o->len > max || more > max - o->len) {
        o->err = RENDER_ETOOBIG;
        return o->err;
    }
    size_t need = o->len + more + 1;
    if (need <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < need)
        cap *= 2;
    if (cap > max + 1)
        cap = max + 1;
    char *p = realloc(o->ptr, cap);
    if (p == NULL) {
        o->err = RENDER_ENOMEM;
        return o->err;
    }
    if (o->ptr == NULL)
        p[0] = '\0';
    o->ptr = p;
    o->cap = cap;
    return 0;
}

void render_out_put(render_out_t *o, const void *p, size_t n)
{
    if (render_out_reserve(o, n) != 0)
        return;
    memcpy(o->ptr + o->len, p, n);
    o->len += n;
    o->ptr[o->len] = '\0';
}

void render_out_puts(render_out_t *o, const char *s)
{
    render_out_put(o, s, strlen(s));
}

void render_escape(str_t in, render_out_t *out)
{
    if (out == NULL || in.ptr == NULL || in.len == 0)
        return;
    const unsigned char *s = (const unsigned char *)in.ptr;
    size_t n = in.len, i = 0, run_start = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (b >= 0x20 && b < 0x7F && entity[b] == NULL) {
            i++;
            continue;
        }
        size_t bad = 1, k = 0;
        if (b >= 0x80) {
            utf8_char_t ch = {0};
            k = utf8_decode(s + i, n - i, &ch);
            bad = ch.bad;
            /* well-formed and not a C1 control (U+0080–U+009F is C2 80–9F) */
            if (k > 0 && !(b == 0xC2 && s[i + 1] < 0xA0)) {
                i += k;
                continue;
            }
        }
        if (i > run_start)
            render_out_put(out, s + run_start, i - run_start);
        if (b < 0x80) {
            if (entity[b] != NULL)
                render_out_puts(out, entity[b]);
            else if (b == '\n' || b == '\t')
                render_out_put(out, s + i, 1);
            i++;
        } else if (k == 0) {
            render_out_put(out, "\xEF\xBF\xBD", 3);
            i += bad;
        } else {
            i += k; /* a C1 control: dropped */
        }
        run_start = i;
        if (out->err != 0)
            return;
    }
    if (i > run_start)
        render_out_put(out, s + run_start, i - run_start);
}

void render_out_reset(render_out_t *out)
{
    if (out == NULL)
        return;
    out->len = 0;
    out->err = 0;
    if (out->ptr != NULL)
        out->ptr[0] = '\0';
}

void render_out_free(render_out_t *out)
{
    if (out == NULL)
        return;
    free(out->ptr);
    memset(out, 0, sizeof *out);
}

const char *render_strerror(int err)
{
    switch (err) {
    case RENDER_OK:
        return "ok";
    case RENDER_ENOMEM:
        return "out of memory";
    case RENDER_ESYNTAX:
        return "template syntax error";
    case RENDER_EIO:
        return "cannot read templates";
    case RENDER_EEXIST:
        return "template already loaded";
    case RENDER_ENOTFOUND:
        return "no such template";
    case RENDER_ETOOBIG:
        return "page larger than the output bound";
    case RENDER_EDEPTH:
        return "nesting too deep";
    case RENDER_EINVAL:
        return "invalid argument";
    default:
        return "unknown error";
    }
}
