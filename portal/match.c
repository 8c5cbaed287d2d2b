/* match.c — request routing and the batch-verify body, without HTTP. */
#include "portal/match.h"

#include <string.h>


static int eq(str_t s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static int starts(str_t s, const char *prefix, str_t *rest)
{
    size_t n = strlen(prefix);
    if (s.len < n || memcmp(s.ptr, prefix, n) != 0)
        return 0;
    *rest = str_n(s.ptr + n, s.len - n);
    return 1;
}

/* Files clients ask for at the root of the site whatever the pages link to
 * (crawlers /robots.txt, browsers and older clients /favicon.ico): served
 * from static/ under the same name, as /static/NAME is. */
static const char *const ROOT_FILES[] = {"/robots.txt", "/favicon.ico"};

static int root_file(str_t path)
{
    for (size_t i = 0; i < sizeof ROOT_FILES / sizeof *ROOT_FILES; i++)
        if (eq(path, ROOT_FILES[i]))
            return 1;
    return 0;
}

/* /v/SEG[/sub]: the kind of page SUB names, or MATCH_NOT_FOUND. */
static void match_v(str_t rest, int upper, match_t *m)
{
    const char *slash = memchr(rest.ptr, '/', rest.len);
    m->seg = str_n(rest.ptr, slash ? (size_t)(slash - rest.ptr) : rest.len);
    m->sub = slash ? str_n(slash, rest.len - m->seg.len) : str_n("", 0);
    m->upper = upper;
    if (m->sub.len == 0)
        m->kind = MATCH_PAGE;
    else if (upper)
        m->kind = MATCH_NOT_FOUND; /* only the page itself, as a QR code holds it */
    else if (eq(m->sub, "/print"))
        m->kind = MATCH_PRINT;
    else if (eq(m->sub, "/qr.svg"))
        m->kind = MATCH_QR_SVG;
    else if (eq(m->sub, "/qr.png"))
        m->kind = MATCH_QR_PNG;
    else
        m->kind = MATCH_NOT_FOUND;
}

void match_request(str_t target, match_t *m)
{
    str_t rest;
    const char *q = target.len ? memchr(target.ptr, '?', target.len) : NULL;
    memset(m, 0, sizeof *m);
    m->path = str_n(target.ptr, q ? (size_t)(q - target.ptr) : target.len);
    m->query = q ? str_n(q + 1, target.len - m->path.len - 1) : str_n("", 0);
    m->seg = m->sub = str_n("", 0);
    if (starts(m->path, "/v/", &rest))
        match_v(rest, 0, m);
    else if (starts(m->path, "/V/", &rest))
        match_v(rest, 1, m);
    else if (eq(m->path, "/api/v1/verify"))
        m->kind = MATCH_API_VERIFY;
    else if (starts(m->path, "/api/v1/transcripts/", &rest) && memchr(rest.ptr, '/', rest.len) == NULL) {
        m->kind = MATCH_API_TRANSCRIPT;
        m->seg = rest;
    } else if (starts(m->path, "/api/", &rest))
        m->kind = MATCH_NOT_FOUND_API;
    else if (eq(m->path, "/"))
        m->kind = MATCH_HOME;
    else if (eq(m->path, "/lookup"))
        m->kind = MATCH_LOOKUP;
    else if (eq(m->path, "/healthz"))
        m->kind = MATCH_HEALTH;
    else if (eq(m->path, "/metrics"))
        m->kind = MATCH_METRICS;
    else if (starts(m->path, "/static/", &rest)) {
        m->kind = MATCH_STATIC;
        m->seg = rest;
    } else if (root_file(m->path)) {
        m->kind = MATCH_STATIC;
        m->seg = str_n(m->path.ptr + 1, m->path.len - 1); /* the name, without its slash */
    } else
        m->kind = MATCH_NOT_FOUND;
}

int match_method_allowed(const match_t *m, str_t method, const char **allow)
{
    if (m->kind == MATCH_API_VERIFY) {
        *allow = "POST";
        return eq(method, "POST");
    }
    *allow = "GET, HEAD";
    return eq(method, "GET") || eq(method, "HEAD");
}

int match_verify_body(str_t body, json_t **root, json_t **codes, const char **error)
{
    json_error_t err;
    *root = *codes = NULL;
    if (body.len > PORTAL_MAX_BODY) {
        *error = "too_large";
        return MATCH_BODY_TOO_LARGE;
    }
    json_t *doc = json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES, &err);
    json_t *list = json_object_get(doc, "codes");
    if (!json_is_array(list)) {
        json_decref(doc);
        *error = "bad_request";
        return MATCH_BODY_BAD;
    }
    if (json_array_size(list) > PORTAL_MAX_CODES) {
        json_decref(doc);
        *error = "too_many_codes";
        return MATCH_BODY_BAD;
    }
    *root = doc;
    *codes = list;
    return MATCH_BODY_OK;
}
