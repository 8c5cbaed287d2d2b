/* render_load.c — template sets: made empty, loaded from a directory of
 * *.html files or from a string, asked for a name, freed. */
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "render_internal.h"

#include "file.h"

__attribute__((format(printf, 3, 4))) static void setwhy(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

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
 * of at most RENDER_MAX_TEMPLATE bytes (lookup/file.h). */
static int read_file(const char *path, char **buf, size_t *len, char *why, size_t whylen)
{
    switch (file_read(path, RENDER_MAX_TEMPLATE, buf, len)) {
    case FILE_OK:
        return 0;
    case FILE_ENOMEM:
        return RENDER_ENOMEM;
    case FILE_ENOTREG:
        setwhy(why, whylen, "%s: not a regular file", path);
        return RENDER_EIO;
    case FILE_ETOOBIG:
        setwhy(why, whylen, "%s: larger than %u bytes", path, RENDER_MAX_TEMPLATE);
        return RENDER_EIO;
    case FILE_EREAD:
        setwhy(why, whylen, "%s: could not read it whole (changed while reading?)", path);
        return RENDER_EIO;
    default:
        setwhy(why, whylen, "%s: %s", path, strerror(errno));
        return RENDER_EIO;
    }
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

int render_set_new(render_set_t **out)
{
    if (out == NULL)
        return RENDER_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? RENDER_OK : RENDER_ENOMEM;
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
        if (!render_valid_name(names[i], nlen)) {
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
        tpl_t *t = render_tpl_new(names[i], nlen, path, buf, NULL, len);
        if (t == NULL) {
            rc = RENDER_ENOMEM;
            goto out;
        }
        if ((rc = render_parse(t, why, whylen)) != 0 || (rc = render_set_add(set, t)) != 0) {
            render_tpl_free(t);
            goto out;
        }
    }

    char hint[96];
    snprintf(hint, sizeof hint, ".html in %s", dir);
    for (size_t i = 0; i < set->n; i++)
        if ((rc = render_tpl_link(set->t[i], set, hint, why, whylen)) != 0)
            goto out;
    for (size_t i = 0; i < set->n; i++)
        if ((rc = render_tpl_measure(set->t[i], why, whylen)) != 0)
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
    if (!render_valid_name(name, nlen)) {
        setwhy(why, whylen, "'%.*s': a template name is 1-%d of A-Z a-z 0-9 _ -", SHOWN(nlen), name,
               RENDER_NAME_MAX);
        return RENDER_EINVAL;
    }
    if (render_set_find(set, name, nlen) != NULL) {
        setwhy(why, whylen, "%s: a template of that name is already loaded", name);
        return RENDER_EEXIST;
    }
    if (text.len > RENDER_MAX_TEMPLATE || set->n >= RENDER_MAX_TEMPLATES) {
        setwhy(why, whylen, "%s: %s", name,
               text.len > RENDER_MAX_TEMPLATE ? "template too large" : "too many templates in the set");
        return RENDER_EIO;
    }
    tpl_t *t = render_tpl_new(name, nlen, name, NULL, text.len ? text.ptr : "", text.len);
    if (t == NULL)
        return RENDER_ENOMEM;
    int rc = render_parse(t, why, whylen);
    if (rc == 0)
        rc = render_tpl_link(t, set, NULL, why, whylen);
    if (rc == 0)
        rc = render_tpl_measure(t, why, whylen);
    if (rc == 0)
        rc = render_set_add(set, t);
    if (rc != 0) {
        if (rc == RENDER_ENOMEM)
            setwhy(why, whylen, "out of memory");
        render_tpl_free(t);
    }
    return rc;
}

int render_has(const render_set_t *set, const char *name)
{
    return set != NULL && name != NULL && render_set_find(set, name, strlen(name)) != NULL;
}

void render_set_free(render_set_t *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++)
        render_tpl_free(set->t[i]);
    free(set->t);
    free(set);
}
