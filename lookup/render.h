/* render.h — HTML pages from templates: a small subset of Mustache over jansson values.
 *
 * This is the one place where HTML escaping happens. Templates hold HTML; C
 * code hands raw values in a json_t context, and every value written into a
 * page goes through render_escape. There is no unescaped tag: `{{{x}}}` and
 * `{{&x}}` are refused when a template is loaded, so no value can become markup.
 *
 * Template syntax
 *   {{name}}  {{a.b.c}}   a value, HTML-escaped. Name lookup walks the
 *                         context stack outward (innermost section first) for
 *                         the first object holding `a`, then follows b, c from
 *                         there only. Strings are escaped, integers written in
 *                         decimal, reals with %g, true/false as "true"/"false";
 *                         null, objects, arrays and missing names write nothing.
 *   {{.}}                 the current item (top of the context stack).
 *   {{#name}}…{{/name}}   a section: an array renders the body once per element
 *                         with the element pushed; an object once with it
 *                         pushed; true, a non-empty string or a non-zero number
 *                         once with it pushed. false, null, missing, an empty
 *                         array, "" and 0 render nothing.
 *   {{^name}}…{{/name}}   inverted: the body renders exactly when the section
 *                         would render nothing.
 *   {{>partial}}          another template of the same set, rendered with the
 *                         current context stack.
 *   {{! comment }}        nothing; may span lines.
 * Whitespace inside a tag is ignored (`{{# name }}`). A line holding only a
 * section, inverted, closing, partial or comment tag (and blanks) is dropped
 * whole, as in Mustache, so templates can be indented without blank lines in
 * the output. Names are segments of A-Z a-z 0-9 _ - (and UTF-8 bytes) joined
 * by dots; a dot always walks into an object, so a catalog key read by a
 * template must not contain a dot. Template and partial names are 1–64 of
 * A-Z a-z 0-9 _ -. Set-delimiter tags (`{{=<% %>=}}`) are not supported.
 *
 * Limits: sections and partials nest at most RENDER_MAX_DEPTH deep (checked
 * when templates are loaded, so a recursive partial is refused at load); a
 * page is at most out->max bytes (RENDER_OUT_MAX unless set).
 *
 * Memory and threads: a render_set_t has one owner, who frees it with
 * render_set_free. Once loading is over it is never modified, so any number
 * of threads may call render() on it at once. render() only reads the
 * context (no reference is taken or dropped), so several threads may also
 * share one context as long as nobody changes it. Each thread needs its own
 * render_out_t. There is no global mutable state. */
#ifndef HOCBA_RENDER_H
#define HOCBA_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "str.h"

#define RENDER_OUT_MAX (4u << 20)      /* default bound on one page: 4 MiB */
#define RENDER_MAX_DEPTH 32            /* sections + partials nested */
#define RENDER_MAX_TEMPLATE (1u << 20) /* bytes of one template */
#define RENDER_MAX_TEMPLATES 256       /* templates in one set */
#define RENDER_NAME_MAX 64             /* bytes of a template name */
#define RENDER_WHY_LEN 256             /* a good size for the why buffer */

enum {
    RENDER_OK = 0,
    RENDER_ENOMEM = -1,    /* out of memory */
    RENDER_ESYNTAX = -2,   /* load: a template is wrong; why says "FILE:LINE: what" */
    RENDER_EIO = -3,       /* load: the directory or a file cannot be read, or is too large */
    RENDER_EEXIST = -4,    /* load: the set already has a template of that name */
    RENDER_ENOTFOUND = -5, /* render: no template of that name */
    RENDER_ETOOBIG = -6,   /* render: the output would pass out->max */
    RENDER_EDEPTH = -7,    /* render: nesting deeper than RENDER_MAX_DEPTH */
    RENDER_EINVAL = -8,    /* a required argument is NULL, or a name is not a valid template name */
};

/** A set of compiled templates; immutable once loaded. */
typedef struct render_set render_set_t;

/** A growable output buffer.
 * Start from `render_out_t out = {0};` and, if the default bound does not
 * fit, set out.max before the first use. ptr is NUL-terminated whenever it is
 * not NULL (the NUL is not counted in len). Owned by the caller: release with
 * render_out_free, or empty it for reuse with render_out_reset. */
typedef struct {
    char *ptr;  /* the bytes written so far, or NULL before the first */
    size_t len; /* bytes in ptr */
    size_t cap; /* bytes allocated at ptr */
    size_t max; /* bound on len; 0 means RENDER_OUT_MAX */
    int err;    /* 0, or the first error of an append (RENDER_ENOMEM / RENDER_ETOOBIG);
                 * sticky: once set, further appends write nothing */
} render_out_t;

/** Make an empty set, for render_load_string.
 * @param out  receives the set; the caller owns it (render_set_free)
 * @return RENDER_OK, RENDER_EINVAL or RENDER_ENOMEM. */
int render_set_new(render_set_t **out);

/** Load and compile every `*.html` file of a directory (not its
 * subdirectories), each named after its file name without `.html`.
 * Everything is checked here so that rendering cannot meet a syntax problem:
 * well-formed tags, balanced and correctly closed sections, no unescaped tags,
 * every partial exists, no recursive partials, nesting within
 * RENDER_MAX_DEPTH, templates valid UTF-8. Files are read in name order, so
 * the first problem reported is always the same one.
 * @param dir     the directory
 * @param out     receives the set on success (the caller owns it); NULL on failure
 * @param why     receives one line on failure, NUL-terminated, at most whylen
 *                bytes, e.g. "transcript.html:42: {{/subjects}} closes
 *                {{#qualities}} opened at line 40"; may be NULL
 * @return RENDER_OK, RENDER_ESYNTAX, RENDER_EIO (no such directory, a file
 *         unreadable or over RENDER_MAX_TEMPLATE, no template at all, more
 *         than RENDER_MAX_TEMPLATES), RENDER_EINVAL (a file name that is not a
 *         valid template name) or RENDER_ENOMEM.
 * The spaces and tabs that indent each line of a file are dropped (lines
 * stay where they are, so messages keep their line numbers): HTML collapses
 * them, and they were 11 % of a transcript page's bytes.
 * Not to be called concurrently with anything else on the same set. */
int render_load_dir(const char *dir, render_set_t **out, char *why, size_t whylen);

/** Compile one template from memory and add it to a set (tests, tools).
 * Partials it uses must already be in the set (a template cannot use itself).
 * @param set   the set to add to; unchanged on failure
 * @param name  the template's name, NUL-terminated; also the "file" in messages
 * @param text  the template text, not NUL-terminated
 * @param why   receives "NAME:LINE: what" on failure; may be NULL
 * @return RENDER_OK, RENDER_ESYNTAX, RENDER_EEXIST, RENDER_EINVAL (bad name),
 *         RENDER_EIO (text over RENDER_MAX_TEMPLATE, or the set is full) or
 *         RENDER_ENOMEM.
 * Not to be called while another thread renders from the same set. */
int render_load_string(render_set_t *set, const char *name, str_t text, char *why, size_t whylen);

/** 1 when the set holds a template of this name. Thread-safe. */
int render_has(const render_set_t *set, const char *name);

/** Render a template and append the page to out.
 * @param set   a loaded set
 * @param name  the template, NUL-terminated
 * @param ctx   the root of the context stack; only read; NULL renders as {}
 * @param out   the buffer to append to; its err must be 0
 * @return RENDER_OK; RENDER_ENOTFOUND, RENDER_ETOOBIG, RENDER_EDEPTH,
 *         RENDER_ENOMEM or RENDER_EINVAL. On an error nothing of this call
 *         stays in out (len is back where it was) and out->err holds the
 *         error, so a half page is never sent by mistake.
 * Thread-safe: many threads may render from one set at once, each into its own out. */
int render(const render_set_t *set, const char *name, json_t *ctx, render_out_t *out);

/** A copy of a set with one name's values fixed: every {{NAME.a.b}} (not
 * sections) becomes the literal text that rendering it would give with
 * `values` as NAME, escaped once here instead of on every render, and joins
 * the literal text around it. The page catalog ("t", a few hundred lookups
 * and escapes a page) is bound this way, once per language.
 * The result renders exactly as the set does with a context whose root holds
 * NAME = values, provided no object pushed by a section has a member NAME
 * (it would shadow the root's): NAME is reserved for the bound values.
 * Sections on NAME stay dynamic, so keep NAME in the context too.
 * @param set     a loaded set; unchanged
 * @param name    the first segment to bind, NUL-terminated
 * @param values  read now only; may be released after the call
 * @param out     receives the new set (the caller owns it; render_set_free)
 * @return RENDER_OK, RENDER_EINVAL or RENDER_ENOMEM. Not to be called while
 *         another thread loads into set. */
int render_bind(const render_set_t *set, const char *name, const json_t *values, render_set_t **out);

/** Append one value, HTML-escaped, to out: the only other escaping entry point.
 * & < > " ' ` = become entities; valid UTF-8 passes through; each invalid
 * UTF-8 sequence (maximal subpart, as the Unicode standard recommends)
 * becomes U+FFFD; control characters (C0 other than \n and \t, DEL, C1) are
 * dropped. On failure out->err is set (see render_out_t).
 * Thread-safe. */
void render_escape(str_t in, render_out_t *out);

/** Empty out for reuse: len and err back to 0, the memory kept. */
void render_out_reset(render_out_t *out);

/** Release out's memory and zero it (max too); safe on a zeroed buffer. */
void render_out_free(render_out_t *out);

/** Free a set and every template in it; NULL is allowed. */
void render_set_free(render_set_t *set);

/** A short English name of a RENDER_E* constant, for logs. */
const char *render_strerror(int err);

#endif
