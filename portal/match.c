/* match.c — request routing, the request's parameters and the batch-verify
 * request, without HTTP. */
#include "portal/match.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
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

/* The first index from i that is not optional whitespace (RFC 9110 OWS). */
static size_t skip_ows(str_t v, size_t i)
{
    while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
        i++;
    return i;
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
    else if (eq(m->sub, "/receipt"))
        m->kind = MATCH_RECEIPT;
    else
        m->kind = MATCH_NOT_FOUND;
}

/* /api/v1/transcripts/SEG or SEG/receipt: 1 when rest is one of them (m says which), else 0. */
static int api_transcript(str_t rest, match_t *m)
{
    const char *slash = memchr(rest.ptr, '/', rest.len);
    m->seg = str_n(rest.ptr, slash ? (size_t)(slash - rest.ptr) : rest.len);
    if (slash == NULL) {
        m->kind = MATCH_API_TRANSCRIPT;
        return 1;
    }
    m->sub = str_n(slash, rest.len - m->seg.len);
    if (eq(m->sub, "/receipt")) {
        m->kind = MATCH_API_RECEIPT;
        return 1;
    }
    m->seg = m->sub = str_n("", 0);
    return 0;
}

/* The prefixes after which a path's next segment is a code (the access log hides it). */
static const char *const CODE_PREFIXES[] = {"/v/", "/V/", "/api/v1/transcripts/"};

static str_t code_segment(str_t path)
{
    str_t rest;
    for (size_t i = 0; i < sizeof CODE_PREFIXES / sizeof *CODE_PREFIXES; i++) {
        if (!starts(path, CODE_PREFIXES[i], &rest))
            continue;
        size_t e = 0;
        while (e < rest.len && rest.ptr[e] != '/' && rest.ptr[e] != '&')
            e++;
        return str_n(rest.ptr, e);
    }
    return str_n(NULL, 0);
}

void match_request(str_t target, match_t *m)
{
    str_t rest;
    const char *q = target.len ? memchr(target.ptr, '?', target.len) : NULL;
    memset(m, 0, sizeof *m);
    m->path = str_n(target.ptr, q ? (size_t)(q - target.ptr) : target.len);
    m->query = q ? str_n(q + 1, target.len - m->path.len - 1) : str_n("", 0);
    m->seg = m->sub = str_n("", 0);
    m->code = code_segment(m->path);
    if (starts(m->path, "/v/", &rest))
        match_v(rest, 0, m);
    else if (starts(m->path, "/V/", &rest))
        match_v(rest, 1, m);
    else if (eq(m->path, "/api/v1/verify"))
        m->kind = MATCH_API_VERIFY;
    else if (eq(m->path, "/api/v1/packages/verify"))
        m->kind = MATCH_API_PACKAGE_VERIFY;
    else if (eq(m->path, "/api/v1/stats"))
        m->kind = MATCH_API_STATS;
    else if (starts(m->path, "/api/v1/transcripts/", &rest) && api_transcript(rest, m))
        ;
    else if (starts(m->path, "/api/", &rest))
        m->kind = MATCH_NOT_FOUND_API;
    else if (eq(m->path, "/"))
        m->kind = MATCH_HOME;
    else if (eq(m->path, "/lookup"))
        m->kind = MATCH_LOOKUP;
    else if (eq(m->path, "/check"))
        m->kind = MATCH_CHECK;
    else if (eq(m->path, "/stats"))
        m->kind = MATCH_STATS;
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

str_t match_query_param(str_t q, const char *name)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < q.len) {
        size_t end = i;
        while (end < q.len && q.ptr[end] != '&')
            end++;
        if (end - i > nl && memcmp(q.ptr + i, name, nl) == 0 && q.ptr[i + nl] == '=')
            return str_n(q.ptr + i + nl + 1, end - i - nl - 1);
        if (end - i == nl && memcmp(q.ptr + i, name, nl) == 0)
            return str_n(q.ptr + i + nl, 0);
        i = end + 1;
    }
    return str_n(NULL, 0);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

size_t match_url_decode(str_t in, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < in.len && o + 1 < n; i++) {
        char c = in.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < in.len && hex_digit(in.ptr[i + 1]) >= 0 &&
                   hex_digit(in.ptr[i + 2]) >= 0) {
            c = (char)(hex_digit(in.ptr[i + 1]) << 4 | hex_digit(in.ptr[i + 2]));
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

/* Whether the two bytes at p are lang (two lower-case ASCII letters), in any case. */
static int is_lang(const char *p, const char *lang)
{
    return (p[0] | 0x20) == lang[0] && (p[1] | 0x20) == lang[1];
}

int match_lang(str_t query, const str_t *accept_language, int *chosen)
{
    str_t l = match_query_param(query, "lang");
    *chosen = 0;
    if (l.len == 2 && (memcmp(l.ptr, "en", 2) == 0 || memcmp(l.ptr, "vi", 2) == 0)) {
        *chosen = 1;
        return l.ptr[0] == 'e' ? MATCH_LANG_EN : MATCH_LANG_VI;
    }
    if (accept_language == NULL)
        return MATCH_LANG_VI;
    const str_t v = *accept_language;
    double best_vi = -1, best_en = -1;
    size_t i = 0;
    while (i < v.len) {
        size_t end = i;
        while (end < v.len && v.ptr[end] != ',')
            end++;
        /* language-range *( OWS ";" OWS parameter ) */
        str_t item = str_n(v.ptr, end);
        size_t s = skip_ows(item, i);
        size_t tag_end = s;
        while (tag_end < end && v.ptr[tag_end] != ';' && v.ptr[tag_end] != ' ' && v.ptr[tag_end] != '\t')
            tag_end++;
        double q = 1.0;
        for (size_t k = tag_end; k < end; k++) {
            if (v.ptr[k] != ';')
                continue;
            size_t a = skip_ows(item, k + 1);
            if (a + 1 < end && (v.ptr[a] == 'q' || v.ptr[a] == 'Q') && v.ptr[a + 1] == '=') {
                char num[8] = {0};
                size_t n = end - (a + 2) < 7 ? end - (a + 2) : 7;
                memcpy(num, v.ptr + a + 2, n);
                q = atof(num);
                break;
            }
        }
        if (tag_end - s >= 2 && (s + 2 == tag_end || v.ptr[s + 2] == '-')) {
            if (is_lang(v.ptr + s, "vi") && q > best_vi)
                best_vi = q;
            if (is_lang(v.ptr + s, "en") && q > best_en)
                best_en = q;
        }
        i = end + 1;
    }
    return best_en > best_vi && best_en > 0 ? MATCH_LANG_EN : MATCH_LANG_VI;
}

int match_forwarded_for(str_t v, struct sockaddr_storage *out)
{
    size_t end = v.len, start;
    while (end > 0 && (v.ptr[end - 1] == ' ' || v.ptr[end - 1] == '\t'))
        end--;
    start = end;
    while (start > 0 && v.ptr[start - 1] != ',' && v.ptr[start - 1] != ' ' && v.ptr[start - 1] != '\t')
        start--;
    return match_parse_ip(v.ptr + start, end - start, out);
}

int match_method_allowed(const match_t *m, str_t method, const char **allow)
{
    if (m->kind == MATCH_API_VERIFY || m->kind == MATCH_API_PACKAGE_VERIFY) {
        *allow = "POST";
        return eq(method, "POST");
    }
    if (m->kind == MATCH_CHECK) {
        *allow = "GET, HEAD, POST";
        return eq(method, "GET") || eq(method, "HEAD") || eq(method, "POST");
    }
    *allow = "GET, HEAD";
    return eq(method, "GET") || eq(method, "HEAD");
}

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t skip_token(str_t v, size_t i)
{
    while (i < v.len && is_tchar((unsigned char)v.ptr[i]))
        i++;
    return i;
}

/* Case-insensitive: v[from..to) is the ASCII word lit. */
static int word_is(str_t v, size_t from, size_t to, const char *lit)
{
    size_t n = strlen(lit);
    if (to - from != n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)v.ptr[from + k];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)lit[k])
            return 0;
    }
    return 1;
}

/* A parameter value at v[i..]: a token, or a quoted-string (RFC 9110 §5.6.4) whose unescaped
 * text is written to out (at most cap bytes kept; *len counts them all). Returns the index past
 * it, or 0 when there is none. */
static size_t param_value(str_t v, size_t i, char *out, size_t cap, size_t *len)
{
    *len = 0;
    if (i == v.len)
        return 0;
    if (v.ptr[i] != '"') {
        size_t end = skip_token(v, i);
        for (size_t k = i; k < end; k++, (*len)++)
            if (*len < cap)
                out[*len] = v.ptr[k];
        return end > i ? end : 0;
    }
    for (i++; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c == '"')
            return i + 1;
        if (c == '\\') {
            if (++i == v.len)
                return 0;
            c = (unsigned char)v.ptr[i];
            if (c != '\t' && (c < 0x20 || c == 0x7F)) /* quoted-pair: HTAB / SP / VCHAR / obs-text */
                return 0;
        } else if (c != '\t' && (c < 0x20 || c == 0x7F)) { /* qdtext */
            return 0;
        }
        if (*len < cap)
            out[*len] = (char)c;
        (*len)++;
    }
    return 0;
}

int match_media_type(str_t v, const char *type, const char *subtype, match_param_fn fn, void *arg)
{
    /* media-type = type "/" subtype parameters, parameters = *( OWS ";" OWS [ parameter ] ) */
    size_t i = skip_ows(v, 0), t = i;
    i = skip_token(v, i);
    if (!word_is(v, t, i, type) || i >= v.len || v.ptr[i] != '/')
        return 0;
    t = ++i;
    i = skip_token(v, i);
    if (!word_is(v, t, i, subtype))
        return 0;
    for (;;) {
        i = skip_ows(v, i);
        if (i == v.len)
            return 1;
        if (v.ptr[i] != ';')
            return 0;
        i = skip_ows(v, i + 1);
        if (i == v.len || v.ptr[i] == ';')
            continue; /* an empty parameter */
        size_t name = i;
        i = skip_token(v, i);
        if (i == name || i == v.len || v.ptr[i] != '=')
            return 0;
        char value[MATCH_PARAM_MAX];
        size_t len;
        size_t end = param_value(v, i + 1, value, sizeof value, &len);
        if (end == 0 || (fn != NULL && fn(arg, str_n(v.ptr + name, i - name),
                                          str_n(value, len < sizeof value ? len : sizeof value), len) != 0))
            return 0;
        i = end;
    }
}

/* JSON: a charset, if given, is utf-8 */
static int json_param(void *arg, str_t name, str_t value, size_t len)
{
    (void)arg;
    return word_is(name, 0, name.len, "charset") && (len != 5 || !word_is(value, 0, value.len, "utf-8"));
}

int match_json_media_type(str_t v)
{
    return match_media_type(v, "application", "json", json_param, NULL);
}

int match_verify_body(const str_t *type, str_t body, json_t **root, json_t **codes, match_refusal_t *why)
{
    json_error_t err;
    *root = *codes = NULL;
    why->error = "bad_request";
    if (body.len > PORTAL_MAX_BODY) {
        why->error = "too_large";
        why->detail = "error.413.message";
        return MATCH_BODY_TOO_LARGE;
    }
    if (type == NULL || !match_json_media_type(*type)) {
        why->error = "unsupported_media_type";
        why->detail = "error.415.message";
        return MATCH_BODY_UNSUPPORTED;
    }
    /* any JSON text (a lone string is JSON, just not the object asked for), "\u0000" included */
    json_t *doc =
        json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    json_t *list = json_object_get(doc, "codes");
    if (doc == NULL)
        why->detail = "error.bad_request.not_json";
    else if (!json_is_object(doc))
        why->detail = "error.bad_request.message";
    else if (list == NULL || json_object_size(doc) != 1)
        why->detail = "error.bad_request.members";
    else
        why->detail = json_is_array(list) ? NULL : "error.bad_request.codes";
    for (size_t i = 0; why->detail == NULL && i < json_array_size(list); i++)
        if (!json_is_string(json_array_get(list, i)))
            why->detail = "error.bad_request.codes";
    if (why->detail == NULL && json_array_size(list) > PORTAL_MAX_CODES) {
        why->error = "too_many_codes";
        why->detail = "error.too_many_codes.message";
    }
    if (why->detail != NULL) {
        json_decref(doc);
        return MATCH_BODY_BAD;
    }
    *root = doc;
    *codes = list;
    return MATCH_BODY_OK;
}

int match_parse_ip(const char *s, size_t len, struct sockaddr_storage *out)
{
    char buf[INET6_ADDRSTRLEN];
    memset(out, 0, sizeof *out);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        return 0;
    }
    memset(out, 0, sizeof *out);
    return -1;
}
