/* render_parse.c — a template's text compiled into nodes: tag names, the
 * parser with its load-time checks, and the linking of partials that
 * measures how deep a template nests. */
#include "render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_internal.h"
#include "utf8.h"

/* "FILE:LINE: what" — the form compilers use, so editors can jump to it. */
__attribute__((format(printf, 5, 6))) static int tplerr(const tpl_t *t, unsigned line, char *why,
                                                        size_t whylen, const char *fmt, ...)
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

static int is_ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_name_byte(unsigned char c)
{
    return is_ascii_alnum(c) || c == '_' || c == '-' || c >= 0x80;
}

int render_valid_name(const char *s, size_t len)
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
int render_name_compile(node_t *nd, const char *s, size_t len)
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

void render_tpl_free(tpl_t *t)
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
tpl_t *render_tpl_new(const char *name, size_t namelen, const char *file, char *buf, const char *text,
                      size_t len)
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
        render_tpl_free(t);
        return NULL;
    }
    return t;
}

node_t *render_node_add(tpl_t *t, int kind, unsigned line, size_t off, size_t len)
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

typedef struct {
    tpl_t *t;
    size_t lpos; /* line is the line number of byte lpos */
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
static int standalone(const char *s, size_t n, size_t pos, size_t ts, size_t after, size_t *keep,
                      size_t *next)
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
        size_t k = utf8_seq_len(s + i, t->len - i);
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
        return tplerr(
            t, line, why, whylen,
            "%s%.*s%s: unescaped output is not allowed; every value is HTML-escaped, write {{%.*s}}",
            sigil == '{' ? "{{{" : "{{&", SHOWN(len), name, sigil == '{' ? "}}}" : "}}", SHOWN(len), name);
    case '=':
        return tplerr(t, line, why, whylen, "set-delimiter tags {{=…=}} are not supported");
    case '/': {
        if (p->nopen == 0)
            return tplerr(t, line, why, whylen, "{{/%.*s}} closes no open section", SHOWN(len), name);
        node_t *o = &t->nodes[p->open[p->nopen - 1]];
        if (o->len != len || memcmp(t->text + o->off, name, len) != 0)
            return tplerr(t, line, why, whylen, "{{/%.*s}} closes {{%c%.*s}} opened at line %u", SHOWN(len),
                          name, o->kind == N_SECTION ? '#' : '^', SHOWN(o->len), t->text + o->off, o->line);
        o->end = t->n;
        p->nopen--;
        return 0;
    }
    case '>':
        if (!render_valid_name(name, len))
            return tplerr(t, line, why, whylen, "{{>%.*s}}: a partial name is 1-%d of A-Z a-z 0-9 _ -",
                          SHOWN(len), name, RENDER_NAME_MAX);
        return render_node_add(t, N_PARTIAL, line, cs, len) ? 0 : RENDER_ENOMEM;
    default:
        break;
    }

    int kind = sigil == '#' ? N_SECTION : sigil == '^' ? N_INVERTED : N_VAR;
    if (len == 0)
        return tplerr(t, line, why, whylen, "empty tag {{%s}}", sigil == '#' ? "#" : sigil == '^' ? "^" : "");
    if (kind != N_VAR && p->nopen == RENDER_MAX_DEPTH)
        return tplerr(t, line, why, whylen, "sections nest more than %d deep", RENDER_MAX_DEPTH);
    nd = render_node_add(t, kind, line, cs, len);
    if (nd == NULL)
        return RENDER_ENOMEM;
    rc = render_name_compile(nd, name, len);
    if (rc == -1)
        return tplerr(t, line, why, whylen,
                      "'%.*s' is not a name (segments of A-Z a-z 0-9 _ - joined by dots, or a lone dot)",
                      SHOWN(len), name);
    if (rc != 0)
        return rc;
    if (kind != N_VAR)
        p->open[p->nopen++] = t->n - 1;
    return 0;
}

/* Compile t->text into t->nodes. Partials are left to render_tpl_link(). */
int render_parse(tpl_t *t, char *why, size_t whylen)
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
            if (!render_node_add(t, N_TEXT, 0, pos, n - pos))
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
        if (keep > pos && !render_node_add(t, N_TEXT, line, pos, keep - pos))
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

tpl_t *render_set_find(const render_set_t *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->n; i++) {
        const char *tn = set->t[i]->name;
        if (strlen(tn) == len && memcmp(tn, name, len) == 0)
            return set->t[i];
    }
    return NULL;
}

/* Point each {{>x}} of t at template x of set. hint says where x was looked for. */
int render_tpl_link(tpl_t *t, const render_set_t *set, const char *hint, char *why, size_t whylen)
{
    for (size_t i = 0; i < t->n; i++) {
        node_t *nd = &t->nodes[i];
        if (nd->kind != N_PARTIAL)
            continue;
        const char *pn = t->text + nd->off;
        if (strlen(t->name) == nd->len && memcmp(t->name, pn, nd->len) == 0)
            return tplerr(t, nd->line, why, whylen,
                          "{{>%.*s}} includes the template itself; recursive partials are not supported",
                          SHOWN(nd->len), pn);
        nd->partial = render_set_find(set, pn, nd->len);
        if (nd->partial == NULL)
            return tplerr(t, nd->line, why, whylen, "{{>%.*s}}: unknown partial (%s%.*s%s)", SHOWN(nd->len),
                          pn, hint ? "no " : "no template named '", SHOWN(nd->len), pn,
                          hint ? hint : "' is loaded");
    }
    return 0;
}

/* How deep sections and partials nest when t is rendered; refuses cycles
 * and anything deeper than RENDER_MAX_DEPTH, so render() needs no guess. */
int render_tpl_measure(tpl_t *t, char *why, size_t whylen)
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
                              "{{>%s}} leads back to '%s'; recursive partials are not supported", pt->name,
                              pt->name);
            int rc = render_tpl_measure(pt, why, whylen);
            if (rc != 0)
                return rc;
            d = open + 1 + pt->depth;
        }
        if (d > RENDER_MAX_DEPTH)
            return tplerr(t, nd->line, why, whylen, "sections and partials nest %d deep here, more than %d",
                          d, RENDER_MAX_DEPTH);
        if (d > deepest)
            deepest = d;
    }
    t->depth = deepest;
    t->mark = 2;
    return 0;
}

int render_set_add(render_set_t *set, tpl_t *t)
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
