/* render_internal.h — what the template engine's own files share; nothing
 * outside lookup/render*.c includes it (callers use render.h).
 *
 * A template is compiled into a flat array of nodes. A section node knows
 * the index just past its body, so rendering is a loop with one recursion per
 * section or partial, and never looks at template text again except to copy
 * literal runs. Every check that can fail is done at load, so render() can
 * only fail on its output bound or on memory.
 *
 * The engine is four files, each calling only those below it in this list:
 * - render.c        rendering a compiled template, and render_bind;
 * - render_load.c   template sets: loaded from a directory or a string, freed;
 * - render_parse.c  a template's text compiled into nodes, partials linked;
 * - render_out.c    the output buffer and the project's only HTML escaper.
 * Symbols shared between them carry the module's prefix, render_. */
#ifndef HOCBA_RENDER_INTERNAL_H
#define HOCBA_RENDER_INTERNAL_H

#include "render.h"

#include <stddef.h>

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
    unsigned line; /* line of the tag in the template, for messages */
    size_t off;    /* N_TEXT: the literal; tags: the name as written */
    size_t len;
    const char **seg; /* name segments, each NUL-terminated; NULL for "." (one allocation) */
    size_t nseg;
    size_t end;     /* sections: index of the first node after the body */
    tpl_t *partial; /* N_PARTIAL, once linked */
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

/* At most this many bytes of a name are quoted in a message. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

/* ---- render_parse.c ------------------------------------------------------------------------------ */

/** 1 when s[0..len) is a template name: 1-RENDER_NAME_MAX of A-Z a-z 0-9 _ -. */
int render_valid_name(const char *s, size_t len);

/** Split a.b.c into NUL-terminated segments in one allocation (nd->seg, nd->nseg).
 * @return 0, -1 when it is not a valid name, RENDER_ENOMEM. */
int render_name_compile(node_t *nd, const char *s, size_t len);

/** Free a template and all it owns (NULL is fine). */
void render_tpl_free(tpl_t *t);

/** A template over a copy of text (or over buf, whose ownership it takes, even on failure).
 * file: what messages call it. @return it, or NULL when out of memory. */
tpl_t *render_tpl_new(const char *name, size_t namelen, const char *file, char *buf, const char *text,
                      size_t len);

/** Append a node to t. @return it (zeroed but for these fields), or NULL when out of memory. */
node_t *render_node_add(tpl_t *t, int kind, unsigned line, size_t off, size_t len);

/** Compile t->text into t->nodes. Partials are left to render_tpl_link.
 * @return 0, RENDER_ESYNTAX with "FILE:LINE: what" in why, RENDER_ENOMEM. */
int render_parse(tpl_t *t, char *why, size_t whylen);

/** The template of set named name[0..len), or NULL. */
tpl_t *render_set_find(const render_set_t *set, const char *name, size_t len);

/** Point each {{>x}} of t at template x of set; hint says where x was looked for (NULL: in set).
 * @return 0, or RENDER_ESYNTAX with why set. */
int render_tpl_link(tpl_t *t, const render_set_t *set, const char *hint, char *why, size_t whylen);

/** Set t->depth, refusing cycles of partials and anything deeper than RENDER_MAX_DEPTH.
 * @return 0, or RENDER_ESYNTAX with why set. */
int render_tpl_measure(tpl_t *t, char *why, size_t whylen);

/** Add t to set, which takes it. @return 0, or RENDER_ENOMEM (t is not taken then). */
int render_set_add(render_set_t *set, tpl_t *t);

/* ---- render_out.c -------------------------------------------------------------------------------- */

/** Make room for `more` bytes plus the NUL; sets the sticky error instead of growing past the bound.
 * @return 0, or the error now in o->err. */
int render_out_reserve(render_out_t *o, size_t more);

/** Append n bytes as they are (never values: those go through render_escape). */
void render_out_put(render_out_t *o, const void *p, size_t n);

/** Append a NUL-terminated string as it is. */
void render_out_puts(render_out_t *o, const char *s);

#endif
