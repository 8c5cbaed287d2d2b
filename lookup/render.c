/* render.c — templates compiled once, rendered many times; the project's only HTML escaper.
 *
 * A template is compiled into a flat array of nodes. A section node knows
 * the index just past its body, so rendering is a loop with one recursion per
 * section or partial, and never looks at template text again except to copy
 * literal runs. Every check that can fail is done at load, so render() can
 * only fail on its output bound or on memory. */
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum node_kind {
    N_TEXT,     /* literal bytes: off/len in the template text */
    N_VAR,      /* {{name}} */
    N_SECTION,  /* {{#name}} … body … ; end is the index after the body */
    N_INVERTED, /* {{^name}} */
    N_PARTIAL,  /* {{>name}} */
};

typedef struct tpl tpl_t;

typedef struct {
    unsigned char kind;
    unsigned line;  /* line of the tag in the template, for messages */
    size_t off;     /* N_TEXT: the literal; tags: the name as written */
    size_t len;
    const char **seg; /* name segments, each NUL-terminated; NULL for "." (one allocation) */
    size_t nseg;
    size_t end;       /* sections: index of the first node after the body */
    tpl_t *partial;   /* N_PARTIAL, once linked */
} node_t;

struct tpl {
    char *name; /* without .html */
    char *file; /* what messages call it: the path, or the name */
    char *text; /* an owned copy of the template */
    size_t len;
    node_t *nodes;
    size_t n, cap;
    int depth; /* deepest nesting of sections and partials when rendered */
    int mark;  /* while linking: 0 not visited, 1 in progress, 2 done */
};

struct render_set {
    tpl_t **t;
    size_t n, cap;
};

/* ---- messages ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void setwhy(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* "FILE:LINE: what" — the form compilers use, so editors can jump to it. */
__attribute__((format(printf, 5, 6))) static int tplerr(const tpl_t *t, unsigned line, char *why, size_t whylen,
                                                        const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return RENDER_ESYNTAX;
    int k = snprintf(why, whylen, "%s:%u: ", t->file, line);
    if (k >= 0 && (size_t)k < whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why + k, whylen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return RENDER_ESYNTAX;
}

/* At most this many bytes of a name are quoted in a message. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

/* ---- output buffer ------------------------------------------------------- */

/* Make room for `more` bytes plus the NUL; sets the sticky error instead of
 * growing past the bound. */
static int out_reserve(render_out_t *o, size_t more)
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

static void out_put(render_out_t *o, const void *p, size_t n)
{
    if (out_reserve(o, n) != 0)
        return;
    memcpy(o->ptr + o->len, p, n);
    o->len += n;
    o->ptr[o->len] = '\0';
}

static void out_puts(render_out_t *o, const char *s)
{
    out_put(o, s, strlen(s));
}

/* ---- UTF-8 and escaping -------------------------------------------------- */

/* Length (1–4) of the well-formed UTF-8 sequence at s, or 0 when there is
 * none; then *bad is the length of the maximal subpart to replace by one
 * U+FFFD (at least 1), as Unicode §3.9 and the WHATWG decoder do. Overlongs,
 * surrogates and code points above U+10FFFF are not well-formed. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char b = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || s[k] < lo || s[k] > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* ` and = are escaped too: they matter in unquoted attribute values, and a
 * template author may forget the quotes. */
static const char *const entity[128] = {
    ['&'] = "&amp;", ['<'] = "&lt;",  ['>'] = "&gt;",  ['"'] = "&quot;",
    ['\''] = "&#39;", ['`'] = "&#96;", ['='] = "&#61;",
};

/* ---- names --------------------------------------------------------------- */

static int is_ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_name_byte(unsigned char c)
{
    return is_ascii_alnum(c) || c == '_' || c == '-' || c >= 0x80;
}

static int valid_tpl_name(const char *s, size_t len)
{
    if (len == 0 || len > RENDER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_ascii_alnum(c) && c != '_' && c != '-')
            return 0;
    }
    return 1;
}

/* Split a.b.c into NUL-terminated segments in one allocation.
 * @return 0, -1 when it is not a valid name, RENDER_ENOMEM. */
static int name_compile(node_t *nd, const char *s, size_t len)
{
    if (len == 1 && s[0] == '.') {
        nd->seg = NULL;
        nd->nseg = 0;
        return 0;
    }
    size_t nseg = 1, seglen = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (seglen == 0)
                return -1;
            nseg++;
            seglen = 0;
        } else if (is_name_byte(c)) {
            seglen++;
        } else {
            return -1;
        }
    }
    if (seglen == 0)
        return -1;
    char *mem = malloc(nseg * sizeof(char *) + len + 1);
    if (mem == NULL)
        return RENDER_ENOMEM;
    const char **seg = (const char **)(void *)mem;
    char *chars = mem + nseg * sizeof(char *);
    memcpy(chars, s, len);
    chars[len] = '\0';
    size_t k = 0;
    seg[k++] = chars;
    for (size_t i = 0; i < len; i++) {
        if (chars[i] == '.') {
            chars[i] = '\0';
            seg[k++] = chars + i + 1;
        }
    }
    nd->seg = seg;
    nd->nseg = nseg;
    return 0;
}

/* ---- templates ----------------------------------------------------------- */

static void tpl_free(tpl_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free((void *)t->nodes[i].seg);
    free(t->nodes);
    free(t->text);
    free(t->file);
    free(t->name);
    free(t);
}

/* A template over a copy of text (or over buf, whose ownership it takes). */
static tpl_t *tpl_new(const char *name, size_t namelen, const char *file, char *buf, const char *text, size_t len)
{
    tpl_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        free(buf);
        return NULL;
    }
    t->depth = -1;
    t->name = strndup(name, namelen);
    t->file = strdup(file);
    if (buf != NULL) {
        t->text = buf;
    } else {
        t->text = malloc(len + 1);
        if (t->text != NULL) {
            memcpy(t->text, text, len);
            t->text[len] = '\0';
        }
    }
    t->len = len;
    if (t->name == NULL || t->file == NULL || t->text == NULL) {
        tpl_free(t);
        return NULL;
    }
    return t;
}

static node_t *node_add(tpl_t *t, int kind, unsigned line, size_t off, size_t len)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        node_t *p = realloc(t->nodes, cap * sizeof *p);
        if (p == NULL)
            return NULL;
        t->nodes = p;
        t->cap = cap;
    }
    node_t *nd = &t->nodes[t->n++];
    memset(nd, 0, sizeof *nd);
    nd->kind = (unsigned char)kind;
    nd->line = line;
    nd->off = off;
    nd->len = len;
    return nd;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
    tpl_t *t;
    size_t lpos;   /* line is the line number of byte lpos */
    unsigned line;
    size_t open[RENDER_MAX_DEPTH]; /* node indexes of the open sections */
    int nopen;
} parser_t;

/* Line number of byte off; calls come with growing offsets. */
static unsigned line_at(parser_t *p, size_t off)
{
    for (; p->lpos < off; p->lpos++)
        if (p->t->text[p->lpos] == '\n')
            p->line++;
    return p->line;
}

static int is_tag_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A section, closing, partial or comment tag alone on its line (blanks
 * aside) takes the whole line with it, as Mustache's "standalone" rule.
 * text starts at pos; the tag spans [ts, after). On 1, the literal before
 * ends at *keep and parsing resumes at *next. */
static int standalone(const char *s, size_t n, size_t pos, size_t ts, size_t after, size_t *keep, size_t *next)
{
    size_t i = ts;
    while (i > pos && (s[i - 1] == ' ' || s[i - 1] == '\t'))
        i--;
    if (i != 0 && s[i - 1] != '\n')
        return 0;
    size_t j = after;
    while (j < n && (s[j] == ' ' || s[j] == '\t'))
        j++;
    if (j + 1 < n && s[j] == '\r' && s[j + 1] == '\n')
        j++;
    if (j < n && s[j] != '\n')
        return 0;
    *keep = i;
    *next = j < n ? j + 1 : n;
    return 1;
}

static int check_utf8(const tpl_t *t, char *why, size_t whylen)
{
    const unsigned char *s = (const unsigned char *)t->text;
    unsigned line = 1;
    for (size_t i = 0; i < t->len;) {
        size_t bad = 0, k = utf8_seq(s + i, t->len - i, &bad);
        if (k == 0)
            return tplerr(t, line, why, whylen, "byte 0x%02X is not valid UTF-8", s[i]);
        if (s[i] == '\n')
            line++;
        i += k;
    }
    return 0;
}

static int parse_tag(parser_t *p, char sigil, size_t cs, size_t ce, unsigned line, char *why, size_t whylen)
{
    tpl_t *t = p->t;
    const char *name = t->text + cs;
    size_t len = ce - cs;
    node_t *nd;
    int rc;

    switch (sigil) {
    case '!':
        /* A comment ends at the first closing braces, so a tag written
         * inside one would end it early and leak the rest as text. */
        if (memmem(name, len, "{{", 2) != NULL)
            return tplerr(t, line, why, whylen, "a comment cannot contain '{{': it ends at the first '}}'");
        return 0;
    case '{':
    case '&':
        return tplerr(t, line, why, whylen,
                      "%s%.*s%s: unescaped output is not allowed; every value is HTML-escaped, write {{%.*s}}",
                      sigil == '{' ? "{{{" : "{{&", SHOWN(len), name, sigil == '{' ? "}}}" : "}}", SHOWN(len), name);
    case '=':
        return tplerr(t, line, why, whylen, "set-delimiter tags {{=…=}} are not supported");
    case '/': {
        if (p->nopen == 0)
            return tplerr(t, line, why, whylen, "{{/%.*s}} closes no open section", SHOWN(len), name);
        node_t *o = &t->nodes[p->open[p->nopen - 1]];
        if (o->len != len || memcmp(t->text + o->off, name, len) != 0)
            return tplerr(t, line, why, whylen, "{{/%.*s}} closes {{%c%.*s}} opened at line %u", SHOWN(len), name,
                          o->kind == N_SECTION ? '#' : '^', SHOWN(o->len), t->text + o->off, o->line);
        o->end = t->n;
        p->nopen--;
        return 0;
    }
    case '>':
        if (!valid_tpl_name(name, len))
            return tplerr(t, line, why, whylen, "{{>%.*s}}: a partial name is 1-%d of A-Z a-z 0-9 _ -", SHOWN(len),
                          name, RENDER_NAME_MAX);
        return node_add(t, N_PARTIAL, line, cs, len) ? 0 : RENDER_ENOMEM;
    default:
        break;
    }

    int kind = sigil == '#' ? N_SECTION : sigil == '^' ? N_INVERTED : N_VAR;
    if (len == 0)
        return tplerr(t, line, why, whylen, "empty tag {{%s}}", sigil == '#' ? "#" : sigil == '^' ? "^" : "");
    if (kind != N_VAR && p->nopen == RENDER_MAX_DEPTH)
        return tplerr(t, line, why, whylen, "sections nest more than %d deep", RENDER_MAX_DEPTH);
    nd = node_add(t, kind, line, cs, len);
    if (nd == NULL)
        return RENDER_ENOMEM;
    rc = name_compile(nd, name, len);
    if (rc == -1)
        return tplerr(t, line, why, whylen,
                      "'%.*s' is not a name (segments of A-Z a-z 0-9 _ - joined by dots, or a lone dot)", SHOWN(len),
                      name);
    if (rc != 0)
        return rc;
    if (kind != N_VAR)
        p->open[p->nopen++] = t->n - 1;
    return 0;
}

/* Compile t->text into t->nodes. Partials are left to tpl_link(). */
static int parse(tpl_t *t, char *why, size_t whylen)
{
    int rc = check_utf8(t, why, whylen);
    if (rc != 0)
        return rc;
    parser_t p = {.t = t, .line = 1};
    const char *s = t->text;
    size_t n = t->len, pos = 0;

    while (pos < n) {
        const char *open = memmem(s + pos, n - pos, "{{", 2);
        if (open == NULL) {
            if (!node_add(t, N_TEXT, 0, pos, n - pos))
                return RENDER_ENOMEM;
            break;
        }
        size_t ts = (size_t)(open - s);
        unsigned line = line_at(&p, ts);
        const char *close = memmem(s + ts + 2, n - ts - 2, "}}", 2);
        if (close == NULL)
            return tplerr(t, line, why, whylen, "'{{' is never closed by '}}'");
        size_t cs = ts + 2, ce = (size_t)(close - s), after = ce + 2;
        while (cs < ce && is_tag_space(s[cs]))
            cs++;
        char sigil = cs < ce && strchr("#^/>!{&=", s[cs]) != NULL ? s[cs] : 0;
        if (sigil == '{' && after < n && s[after] == '}')
            after++; /* {{{x}}}: say so with the whole tag, below */
        if (sigil != 0)
            cs++;
        while (cs < ce && is_tag_space(s[cs]))
            cs++;
        while (ce > cs && is_tag_space(s[ce - 1]))
            ce--;
        if (sigil == '{' && ce > cs && s[ce - 1] == '}')
            ce--;

        size_t keep = ts, next = after;
        if (sigil != 0 && strchr("#^/>!", sigil) != NULL)
            standalone(s, n, pos, ts, after, &keep, &next);
        if (keep > pos && !node_add(t, N_TEXT, line, pos, keep - pos))
            return RENDER_ENOMEM;
        rc = parse_tag(&p, sigil, cs, ce, line, why, whylen);
        if (rc != 0)
            return rc;
        pos = next;
    }
    if (p.nopen > 0) {
        const node_t *o = &t->nodes[p.open[p.nopen - 1]];
        return tplerr(t, o->line, why, whylen, "{{%c%.*s}} is never closed (no {{/%.*s}})",
                      o->kind == N_SECTION ? '#' : '^', SHOWN(o->len), s + o->off, SHOWN(o->len), s + o->off);
    }
    return 0;
}

/* ---- linking ------------------------------------------------------------- */

static tpl_t *set_find(const render_set_t *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->n; i++) {
        const char *tn = set->t[i]->name;
        if (strlen(tn) == len && memcmp(tn, name, len) == 0)
            return set->t[i];
    }
    return NULL;
}

/* Point each {{>x}} of t at template x of set. hint says where x was looked for. */
static int tpl_link(tpl_t *t, const render_set_t *set, const char *hint, char *why, size_t whylen)
{
    for (size_t i = 0; i < t->n; i++) {
        node_t *nd = &t->nodes[i];
        if (nd->kind != N_PARTIAL)
            continue;
        const char *pn = t->text + nd->off;
        if (strlen(t->name) == nd->len && memcmp(t->name, pn, nd->len) == 0)
            return tplerr(t, nd->line, why, whylen, "{{>%.*s}} includes the template itself; recursive partials are not supported",
                          SHOWN(nd->len), pn);
        nd->partial = set_find(set, pn, nd->len);
        if (nd->partial == NULL)
            return tplerr(t, nd->line, why, whylen, "{{>%.*s}}: unknown partial (%s%.*s%s)", SHOWN(nd->len), pn,
                          hint ? "no " : "no template named '", SHOWN(nd->len), pn, hint ? hint : "' is loaded");
    }
    return 0;
}

/* How deep sections and partials nest when t is rendered; refuses cycles
 * and anything deeper than RENDER_MAX_DEPTH, so render() needs no guess. */
static int tpl_measure(tpl_t *t, char *why, size_t whylen)
{
    if (t->mark == 2)
        return 0;
    t->mark = 1;
    size_t ends[RENDER_MAX_DEPTH];
    int open = 0, deepest = 0;
    for (size_t i = 0; i < t->n; i++) {
        while (open > 0 && ends[open - 1] == i)
            open--;
        const node_t *nd = &t->nodes[i];
        int d = 0;
        if (nd->kind == N_SECTION || nd->kind == N_INVERTED) {
            ends[open++] = nd->end;
            d = open;
        } else if (nd->kind == N_PARTIAL) {
            tpl_t *pt = nd->partial;
            if (pt->mark == 1)
                return tplerr(t, nd->line, why, whylen,
                              "{{>%s}} leads back to '%s'; recursive partials are not supported", pt->name, pt->name);
            int rc = tpl_measure(pt, why, whylen);
            if (rc != 0)
                return rc;
            d = open + 1 + pt->depth;
        }
        if (d > RENDER_MAX_DEPTH)
            return tplerr(t, nd->line, why, whylen, "sections and partials nest %d deep here, more than %d", d,
                          RENDER_MAX_DEPTH);
        if (d > deepest)
            deepest = d;
    }
    t->depth = deepest;
    t->mark = 2;
    return 0;
}

static int set_add(render_set_t *set, tpl_t *t)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        tpl_t **p = realloc(set->t, cap * sizeof *p);
        if (p == NULL)
            return RENDER_ENOMEM;
        set->t = p;
        set->cap = cap;
    }
    set->t[set->n++] = t;
    return 0;
}

/* ---- loading a directory ------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.html names of dir, sorted. */
static int list_html(const char *dir, char ***names, size_t *count, char *why, size_t whylen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        setwhy(why, whylen, "%s: %s", dir, strerror(errno));
        return RENDER_EIO;
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= 5 || memcmp(e->d_name + l - 5, ".html", 5) != 0)
            continue;
        if (n == RENDER_MAX_TEMPLATES) {
            setwhy(why, whylen, "%s: more than %d templates", dir, RENDER_MAX_TEMPLATES);
            rc = RENDER_EIO;
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **p = realloc(v, nc * sizeof *p);
            if (p == NULL) {
                rc = RENDER_ENOMEM;
                break;
            }
            v = p;
            cap = nc;
        }
        if ((v[n] = strdup(e->d_name)) == NULL) {
            rc = RENDER_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        setwhy(why, whylen, "%s: no *.html template", dir);
        rc = RENDER_EIO;
    }
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    qsort(v, n, sizeof *v, cmp_str);
    *names = v;
    *count = n;
    return 0;
}

/* Read a whole template file, refusing anything that is not a regular file
 * of at most RENDER_MAX_TEMPLATE bytes. */
static int read_file(const char *path, char **buf, size_t *len, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        setwhy(why, whylen, "%s: %s", path, strerror(errno));
        return RENDER_EIO;
    }
    int rc = RENDER_EIO;
    char *b = NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        setwhy(why, whylen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        setwhy(why, whylen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > RENDER_MAX_TEMPLATE) {
        setwhy(why, whylen, "%s: larger than %u bytes", path, RENDER_MAX_TEMPLATE);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    b = malloc(size + 1);
    if (b == NULL) {
        rc = RENDER_ENOMEM;
        goto out;
    }
    if (fread(b, 1, size, f) != size || fgetc(f) != EOF) {
        setwhy(why, whylen, "%s: could not read it whole (changed while reading?)", path);
        goto out;
    }
    b[size] = '\0';
    *buf = b;
    *len = size;
    b = NULL;
    rc = 0;
out:
    free(b);
    fclose(f);
    return rc;
}

/* ---- rendering ----------------------------------------------------------- */

typedef struct {
    const json_t *stack[RENDER_MAX_DEPTH + 2]; /* the context stack; [0] is the root */
    int n;
    render_out_t *out;
} run_t;

/* Mustache lookup: the innermost object that has the first segment, then
 * strictly down the rest. */
static const json_t *lookup(const run_t *r, const node_t *nd)
{
    if (nd->nseg == 0)
        return r->stack[r->n - 1];
    const json_t *v = NULL;
    for (int i = r->n - 1; i >= 0 && v == NULL; i--)
        if (json_is_object(r->stack[i]))
            v = json_object_get(r->stack[i], nd->seg[0]);
    for (size_t k = 1; v != NULL && k < nd->nseg; k++)
        v = json_is_object(v) ? json_object_get(v, nd->seg[k]) : NULL;
    return v;
}

static int truthy(const json_t *v)
{
    if (v == NULL)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return 1;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return 1;
    default:
        return 0;
    }
}

static void put_value(render_out_t *o, const json_t *v)
{
    char buf[64];
    int k;
    if (v == NULL)
        return;
    switch (json_typeof(v)) {
    case JSON_STRING:
        render_escape(str_n(json_string_value(v), json_string_length(v)), o);
        return;
    case JSON_INTEGER:
        k = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        k = snprintf(buf, sizeof buf, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        out_puts(o, "true");
        return;
    case JSON_FALSE:
        out_puts(o, "false");
        return;
    default:
        return;
    }
    if (k > 0 && (size_t)k < sizeof buf)
        out_put(o, buf, (size_t)k);
}

static int run(run_t *r, const tpl_t *t, size_t from, size_t to, int depth);

static int run_body(run_t *r, const tpl_t *t, const node_t *nd, size_t i, const json_t *push, int depth)
{
    if (depth + 1 > RENDER_MAX_DEPTH || r->n >= (int)(sizeof r->stack / sizeof r->stack[0]))
        return RENDER_EDEPTH;
    if (push != NULL)
        r->stack[r->n++] = push;
    int rc = run(r, t, i + 1, nd->end, depth + 1);
    if (push != NULL)
        r->n--;
    return rc;
}

static int run(run_t *r, const tpl_t *t, size_t from, size_t to, int depth)
{
    for (size_t i = from; i < to; i++) {
        const node_t *nd = &t->nodes[i];
        const json_t *v;
        int rc = 0;
        switch (nd->kind) {
        case N_TEXT:
            out_put(r->out, t->text + nd->off, nd->len);
            break;
        case N_VAR:
            put_value(r->out, lookup(r, nd));
            break;
        case N_SECTION:
            v = lookup(r, nd);
            if (json_is_array(v)) {
                size_t count = json_array_size(v);
                for (size_t k = 0; k < count && rc == 0; k++)
                    rc = run_body(r, t, nd, i, json_array_get(v, k), depth);
            } else if (truthy(v)) {
                rc = run_body(r, t, nd, i, v, depth);
            }
            i = nd->end - 1;
            break;
        case N_INVERTED:
            if (!truthy(lookup(r, nd)))
                rc = run_body(r, t, nd, i, NULL, depth);
            i = nd->end - 1;
            break;
        case N_PARTIAL:
            if (depth + 1 > RENDER_MAX_DEPTH)
                return RENDER_EDEPTH;
            rc = run(r, nd->partial, 0, nd->partial->n, depth + 1);
            break;
        default:
            break;
        }
        if (rc != 0)
            return rc;
        if (r->out->err != 0)
            return r->out->err;
    }
    return 0;
}

/* ---- public -------------------------------------------------------------- */

int render_set_new(render_set_t **out)
{
    if (out == NULL)
        return RENDER_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? RENDER_OK : RENDER_ENOMEM;
}

/* Drop the spaces and tabs after each newline of buf[0..*len), in place;
 * buf stays NUL-terminated (read_file leaves room for it). */
static void drop_indentation(char *buf, size_t *len)
{
    size_t o = 0;
    int line_start = 0;
    for (size_t i = 0; i < *len; i++) {
        if (line_start && (buf[i] == ' ' || buf[i] == '\t'))
            continue;
        line_start = buf[i] == '\n';
        buf[o++] = buf[i];
    }
    buf[o] = '\0';
    *len = o;
}

int render_load_dir(const char *dir, render_set_t **out, char *why, size_t whylen)
{
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (dir == NULL || out == NULL)
        return RENDER_EINVAL;
    *out = NULL;

    char **names = NULL;
    size_t nnames = 0;
    render_set_t *set = NULL;
    char *path = NULL;
    int rc = list_html(dir, &names, &nnames, why, whylen);
    if (rc != 0)
        return rc;
    rc = render_set_new(&set);
    if (rc != 0)
        goto out;

    size_t dlen = strlen(dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
    for (size_t i = 0; i < nnames; i++) {
        size_t nlen = strlen(names[i]) - 5; /* without .html */
        if (!valid_tpl_name(names[i], nlen)) {
            setwhy(why, whylen, "%s%s%s: a template name is 1-%d of A-Z a-z 0-9 _ -", dir, sep, names[i],
                   RENDER_NAME_MAX);
            rc = RENDER_EINVAL;
            goto out;
        }
        size_t plen = dlen + strlen(sep) + strlen(names[i]) + 1;
        free(path);
        if ((path = malloc(plen)) == NULL) {
            rc = RENDER_ENOMEM;
            goto out;
        }
        snprintf(path, plen, "%s%s%s", dir, sep, names[i]);
        char *buf = NULL;
        size_t len = 0;
        if ((rc = read_file(path, &buf, &len, why, whylen)) != 0)
            goto out;
        drop_indentation(buf, &len);
        tpl_t *t = tpl_new(names[i], nlen, path, buf, NULL, len);
        if (t == NULL) {
            rc = RENDER_ENOMEM;
            goto out;
        }
        if ((rc = parse(t, why, whylen)) != 0 || (rc = set_add(set, t)) != 0) {
            tpl_free(t);
            goto out;
        }
    }

    char hint[96];
    snprintf(hint, sizeof hint, ".html in %s", dir);
    for (size_t i = 0; i < set->n; i++)
        if ((rc = tpl_link(set->t[i], set, hint, why, whylen)) != 0)
            goto out;
    for (size_t i = 0; i < set->n; i++)
        if ((rc = tpl_measure(set->t[i], why, whylen)) != 0)
            goto out;
    *out = set;
    set = NULL;
out:
    if (rc == RENDER_ENOMEM)
        setwhy(why, whylen, "out of memory");
    free(path);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    render_set_free(set);
    return rc;
}

int render_load_string(render_set_t *set, const char *name, str_t text, char *why, size_t whylen)
{
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (set == NULL || name == NULL || (text.ptr == NULL && text.len > 0))
        return RENDER_EINVAL;
    size_t nlen = strlen(name);
    if (!valid_tpl_name(name, nlen)) {
        setwhy(why, whylen, "'%.*s': a template name is 1-%d of A-Z a-z 0-9 _ -", SHOWN(nlen), name,
               RENDER_NAME_MAX);
        return RENDER_EINVAL;
    }
    if (set_find(set, name, nlen) != NULL) {
        setwhy(why, whylen, "%s: a template of that name is already loaded", name);
        return RENDER_EEXIST;
    }
    if (text.len > RENDER_MAX_TEMPLATE || set->n >= RENDER_MAX_TEMPLATES) {
        setwhy(why, whylen, "%s: %s", name,
               text.len > RENDER_MAX_TEMPLATE ? "template too large" : "too many templates in the set");
        return RENDER_EIO;
    }
    tpl_t *t = tpl_new(name, nlen, name, NULL, text.len ? text.ptr : "", text.len);
    if (t == NULL)
        return RENDER_ENOMEM;
    int rc = parse(t, why, whylen);
    if (rc == 0)
        rc = tpl_link(t, set, NULL, why, whylen);
    if (rc == 0)
        rc = tpl_measure(t, why, whylen);
    if (rc == 0)
        rc = set_add(set, t);
    if (rc != 0) {
        if (rc == RENDER_ENOMEM)
            setwhy(why, whylen, "out of memory");
        tpl_free(t);
    }
    return rc;
}

int render_has(const render_set_t *set, const char *name)
{
    return set != NULL && name != NULL && set_find(set, name, strlen(name)) != NULL;
}

int render(const render_set_t *set, const char *name, json_t *ctx, render_out_t *out)
{
    if (out == NULL || set == NULL || name == NULL)
        return RENDER_EINVAL;
    if (out->err != 0)
        return out->err;
    const tpl_t *t = set_find(set, name, strlen(name));
    if (t == NULL)
        return RENDER_ENOTFOUND;

    size_t start = out->len;
    run_t r = {.n = 1, .out = out};
    r.stack[0] = ctx;
    int rc = out_reserve(out, 0);
    if (rc == 0)
        rc = run(&r, t, 0, t->n, 0);
    if (rc == 0)
        rc = out->err;
    if (rc != 0) {
        out->len = start;
        if (out->ptr != NULL)
            out->ptr[start] = '\0';
        out->err = rc; /* render.h: the error stays in out->err until render_out_reset */
    }
    return rc;
}

/* t with {{name.…}} variables replaced by their text (render_bind); its
 * partials still point into the old set, for the caller to relink. */
static tpl_t *tpl_bind(const tpl_t *t, const char *name, const json_t *values)
{
    tpl_t *nt = calloc(1, sizeof *nt);
    size_t *map = calloc(t->n + 1, sizeof *map);
    unsigned char *ends_here = calloc(t->n + 1, 1);
    render_out_t buf = {0};
    if (nt == NULL || map == NULL || ends_here == NULL)
        goto fail;
    nt->name = strdup(t->name);
    nt->file = strdup(t->file);
    if (nt->name == NULL || nt->file == NULL)
        goto fail;
    for (size_t i = 0; i < t->n; i++)
        if (t->nodes[i].kind == N_SECTION || t->nodes[i].kind == N_INVERTED)
            ends_here[t->nodes[i].end] = 1;
    for (size_t i = 0; i < t->n; i++) {
        const node_t *nd = &t->nodes[i];
        int bind = nd->kind == N_VAR && nd->nseg >= 2 && strcmp(nd->seg[0], name) == 0;
        map[i] = nt->n;
        if (nd->kind == N_TEXT || bind) {
            size_t at = buf.len;
            if (nd->kind == N_TEXT) {
                out_put(&buf, t->text + nd->off, nd->len);
            } else {
                const json_t *v = values;
                for (size_t k = 1; v != NULL && k < nd->nseg; k++)
                    v = json_is_object(v) ? json_object_get(v, nd->seg[k]) : NULL;
                put_value(&buf, v);
            }
            node_t *prev = nt->n > 0 ? &nt->nodes[nt->n - 1] : NULL;
            if (prev != NULL && prev->kind == N_TEXT && !ends_here[i] && prev->off + prev->len == at)
                prev->len += buf.len - at; /* one literal run with the text before */
            else if (node_add(nt, N_TEXT, nd->line, at, buf.len - at) == NULL)
                goto fail;
            continue;
        }
        /* a tag: its name goes into the text (never output), for messages and partials */
        size_t at = buf.len;
        out_put(&buf, t->text + nd->off, nd->len);
        node_t *c = node_add(nt, nd->kind, nd->line, at, nd->len);
        if (c == NULL)
            goto fail;
        c->end = nd->end;
        c->partial = nd->partial;
        if (nd->kind != N_PARTIAL && name_compile(c, t->text + nd->off, nd->len) != 0)
            goto fail;
    }
    map[t->n] = nt->n;
    if (buf.err != 0 || out_reserve(&buf, 0) != 0)
        goto fail;
    for (size_t i = 0; i < nt->n; i++)
        if (nt->nodes[i].kind == N_SECTION || nt->nodes[i].kind == N_INVERTED)
            nt->nodes[i].end = map[nt->nodes[i].end];
    nt->text = buf.ptr;
    nt->len = buf.len;
    nt->depth = t->depth;
    nt->mark = 2;
    free(map);
    free(ends_here);
    return nt;
fail:
    free(map);
    free(ends_here);
    render_out_free(&buf);
    tpl_free(nt);
    return NULL;
}

int render_bind(const render_set_t *set, const char *name, const json_t *values, render_set_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (set == NULL || name == NULL || out == NULL)
        return RENDER_EINVAL;
    render_set_t *b;
    int rc = render_set_new(&b);
    for (size_t i = 0; rc == 0 && i < set->n; i++) {
        tpl_t *nt = tpl_bind(set->t[i], name, values);
        rc = nt == NULL ? RENDER_ENOMEM : set_add(b, nt);
        if (rc != 0)
            tpl_free(nt);
    }
    /* partials: the new set's template of the same name */
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        for (size_t k = 0; k < b->t[i]->n; k++) {
            node_t *nd = &b->t[i]->nodes[k];
            if (nd->kind == N_PARTIAL)
                nd->partial = set_find(b, nd->partial->name, strlen(nd->partial->name));
        }
    }
    if (rc != 0) {
        render_set_free(b);
        return rc;
    }
    *out = b;
    return RENDER_OK;
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
            k = utf8_seq(s + i, n - i, &bad);
            /* well-formed and not a C1 control (U+0080–U+009F is C2 80–9F) */
            if (k > 0 && !(b == 0xC2 && s[i + 1] < 0xA0)) {
                i += k;
                continue;
            }
        }
        if (i > run_start)
            out_put(out, s + run_start, i - run_start);
        if (b < 0x80) {
            if (entity[b] != NULL)
                out_puts(out, entity[b]);
            else if (b == '\n' || b == '\t')
                out_put(out, s + i, 1);
            i++;
        } else if (k == 0) {
            out_put(out, "\xEF\xBF\xBD", 3);
            i += bad;
        } else {
            i += k; /* a C1 control: dropped */
        }
        run_start = i;
        if (out->err != 0)
            return;
    }
    if (i > run_start)
        out_put(out, s + run_start, i - run_start);
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

void render_set_free(render_set_t *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++)
        tpl_free(set->t[i]);
    free(set->t);
    free(set);
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
