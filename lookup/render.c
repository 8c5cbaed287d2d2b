/* render.c — rendering a compiled template: the context stack, Mustache
 * lookup, sections and partials; and render_bind, which fills some
 * variables in ahead of time. Values reach the page only through
 * render_escape (render_out.c). How templates are compiled, loaded and held
 * is told in render_internal.h. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_internal.h"

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
        render_out_puts(o, "true");
        return;
    case JSON_FALSE:
        render_out_puts(o, "false");
        return;
    default:
        return;
    }
    if (k > 0 && (size_t)k < sizeof buf)
        render_out_put(o, buf, (size_t)k);
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
            render_out_put(r->out, t->text + nd->off, nd->len);
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
                render_out_put(&buf, t->text + nd->off, nd->len);
            } else {
                const json_t *v = values;
                for (size_t k = 1; v != NULL && k < nd->nseg; k++)
                    v = json_is_object(v) ? json_object_get(v, nd->seg[k]) : NULL;
                put_value(&buf, v);
            }
            node_t *prev = nt->n > 0 ? &nt->nodes[nt->n - 1] : NULL;
            if (prev != NULL && prev->kind == N_TEXT && !ends_here[i] && prev->off + prev->len == at)
                prev->len += buf.len - at; /* one literal run with the text before */
            else if (render_node_add(nt, N_TEXT, nd->line, at, buf.len - at) == NULL)
                goto fail;
            continue;
        }
        /* a tag: its name goes into the text (never output), for messages and partials */
        size_t at = buf.len;
        render_out_put(&buf, t->text + nd->off, nd->len);
        node_t *c = render_node_add(nt, nd->kind, nd->line, at, nd->len);
        if (c == NULL)
            goto fail;
        c->end = nd->end;
        c->partial = nd->partial;
        if (nd->kind != N_PARTIAL && render_name_compile(c, t->text + nd->off, nd->len) != 0)
            goto fail;
    }
    map[t->n] = nt->n;
    if (buf.err != 0 || render_out_reserve(&buf, 0) != 0)
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
    render_tpl_free(nt);
    return NULL;
}

int render(const render_set_t *set, const char *name, json_t *ctx, render_out_t *out)
{
    if (out == NULL || set == NULL || name == NULL)
        return RENDER_EINVAL;
    if (out->err != 0)
        return out->err;
    const tpl_t *t = render_set_find(set, name, strlen(name));
    if (t == NULL)
        return RENDER_ENOTFOUND;

    size_t start = out->len;
    run_t r = {.n = 1, .out = out};
    r.stack[0] = ctx;
    int rc = render_out_reserve(out, 0);
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
        rc = nt == NULL ? RENDER_ENOMEM : render_set_add(b, nt);
        if (rc != 0)
            render_tpl_free(nt);
    }
    /* partials: the new set's template of the same name */
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        for (size_t k = 0; k < b->t[i]->n; k++) {
            node_t *nd = &b->t[i]->nodes[k];
            if (nd->kind == N_PARTIAL)
                nd->partial = render_set_find(b, nd->partial->name, strlen(nd->partial->name));
        }
    }
    if (rc != 0) {
        render_set_free(b);
        return rc;
    }
    *out = b;
    return RENDER_OK;
}
