/* http.c — the tests' HTTP/1.1 client; see http.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/wait.h>

#include "tests/harness.h"
#include "tests/http.h"

/* the test layer's timeout (http_set_timeout_ms) */
static long timeout_ms = HTTP_TIMEOUT_MS;

/* ---- the connection layer: helpers ---------------------------------------------------------- */

/* The end of a chunked body that starts at p (past its trailer), or 0 while it is not whole. */
static size_t chunked_end(const char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (nl == NULL)
            return 0;
        unsigned long size = strtoul(p + i, NULL, 16);
        i = (size_t)(nl - p) + 1;
        if (size == 0) {
            for (;;) { /* trailer lines up to an empty one */
                nl = memchr(p + i, '\n', n - i);
                if (nl == NULL)
                    return 0;
                size_t ll = (size_t)(nl - (p + i));
                i = (size_t)(nl - p) + 1;
                if (ll == 0 || (ll == 1 && p[i - 2] == '\r'))
                    return i;
            }
        }
        if (n - i < size + 2)
            return 0;
        i += size + 2;
    }
}

/* Where the first answer in b ends (0 while it is not whole); fills a's head fields. eof: the server
 * closed, so that a body without a length ends here. */
static size_t answer_end(const http_buf_t *b, http_answer_t *a, unsigned flags, int eof)
{
    const char *e = b->len ? memmem(b->p, b->len, "\r\n\r\n", 4) : NULL;
    if (e == NULL)
        return 0;
    a->head_len = (size_t)(e - b->p) + 4;
    a->status = b->len > 12 && strncmp(b->p, "HTTP/1.", 7) == 0 && b->p[8] == ' ' ? atoi(b->p + 9) : 0;
    size_t vl;
    const char *v = http_head_value(b->p, a->head_len, "connection", &vl);
    a->server_close = v && vl >= 5 && strncasecmp(v, "close", 5) == 0;
    v = http_head_value(b->p, a->head_len, "transfer-encoding", &vl);
    a->chunked = v && memmem(v, vl, "chunked", 7) != NULL;
    if (a->status == 0)
        return eof ? b->len : 0; /* no HTTP: what framing it has is unknown */
    if ((flags & HTTP_HEAD) || a->status == 204 || a->status == 304 || (a->status >= 100 && a->status < 200))
        return a->head_len;
    if (a->chunked) {
        size_t n = chunked_end(b->p + a->head_len, b->len - a->head_len);
        return n ? a->head_len + n : 0;
    }
    v = http_head_value(b->p, a->head_len, "content-length", &vl);
    if (v) {
        size_t cl = strtoul(v, NULL, 10);
        return b->len >= a->head_len + cl ? a->head_len + cl : 0;
    }
    a->server_close = 1;
    return eof ? b->len : 0;
}

/* How an exchange that read to its end (or the server's close) went. */
static int finish(const http_buf_t *b, http_answer_t *a, unsigned flags, int eof_err)
{
    if (a->end == 0)
        a->err = eof_err;
    else if (a->status == 0)
        a->err = HTTP_EGARBLED;
    else if (!(flags & HTTP_TO_CLOSE) && b->len > a->end)
        a->err = HTTP_EEXTRA;
    else
        a->err = HTTP_OK;
    return a->err;
}

/* ---- the connection layer -------------------------------------------------------------------- */

int http_connect(const char *src, int port, long wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (src != NULL) {
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = 0};
        if (inet_pton(AF_INET, src, &s.sin_addr) != 1) {
            errno = EINVAL;
            goto fail;
        }
        if (bind(fd, (struct sockaddr *)&s, sizeof s) != 0)
            goto fail;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    if (errno != EINPROGRESS)
        goto fail;
    if (wait_ms == 0)
        return fd;
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof err;
    if (poll(&pfd, 1, (int)wait_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
        return fd;
    errno = err ? err : ETIMEDOUT;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int http_exchange(int fd, const void *req, size_t reqlen, unsigned flags, long wait_ms, http_buf_t *b,
                  http_answer_t *a)
{
    memset(a, 0, sizeof *a);
    b->len = 0;
    if (harness_append(&b->p, &b->len, &b->cap, "", 0) != 0)
        return a->err = HTTP_ENOMEM;
    long deadline = harness_now_ms() + wait_ms;
    int write_open = 1, lingering = 0;
    for (;;) {
        long left = deadline - harness_now_ms();
        if (left <= 0 && lingering)
            return finish(b, a, flags, HTTP_ETIMEOUT);
        if (left <= 0) {
            a->end = answer_end(b, a, flags, 0); /* the head, when it came, for messages */
            return a->err = HTTP_ETIMEOUT;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (write_open && a->sent < reqlen ? POLLOUT : 0)};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue; /* EINTR, or the time is up: the loop's head says */
        if (pfd.revents & POLLOUT) {
            ssize_t w = send(fd, (const char *)req + a->sent, reqlen - a->sent, MSG_NOSIGNAL);
            if (w > 0)
                a->sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                write_open = 0; /* the server closed: read what it said */
        }
        if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char chunk[65536];
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (got > 0) {
            if (harness_append(&b->p, &b->len, &b->cap, chunk, (size_t)got) != 0)
                return a->err = HTTP_ENOMEM;
            if (lingering || (flags & HTTP_TO_CLOSE) || (a->end = answer_end(b, a, flags, 0)) == 0)
                continue;
            if (!(flags & HTTP_HEAD))
                return finish(b, a, flags, HTTP_ECLOSED);
            lingering = 1; /* a body after a HEAD's head would come now */
            if (deadline - harness_now_ms() > HTTP_HEAD_LINGER_MS)
                deadline = harness_now_ms() + HTTP_HEAD_LINGER_MS;
            continue;
        }
        a->closed = 1; /* EOF, or a reset */
        if (!lingering)
            a->end = answer_end(b, a, flags, 1);
        return finish(b, a, flags, got == 0 ? HTTP_ECLOSED : HTTP_ERESET);
    }
}

const char *http_head_value(const char *head, size_t head_len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', head_len), *end = head + head_len;
    while (p != NULL && p + 1 < end) {
        const char *line = p + 1, *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            break;
        size_t len = (size_t)(eol - line);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1, *ve = line + len;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

size_t http_dechunk(const char *p, size_t n, char *out)
{
    const char *end = p + n;
    size_t len = 0;
    while (p < end) {
        char *after;
        unsigned long size = strtoul(p, &after, 16);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || after == p || size == 0)
            break;
        p = nl + 1;
        if ((size_t)(end - p) < size)
            size = (unsigned long)(end - p);
        memcpy(out + len, p, size);
        len += size;
        p += size;
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
    }
    return len;
}

const char *http_strerror(int err)
{
    static const char *const T[] = {"ok",
                                    "connect failed",
                                    "connection reset",
                                    "connection closed before a complete answer",
                                    "no complete answer in time",
                                    "bytes after the answer that nobody asked for",
                                    "not an HTTP/1.x answer",
                                    "out of memory"};
    return err <= 0 && -err < (int)(sizeof T / sizeof *T) ? T[-err] : "?";
}

/* ---- the test layer: helpers ------------------------------------------------------------------ */

/* The request line of req, cut and with control bytes as '?', for messages. */
static void describe(char *what, size_t n, const char *req, size_t reqlen)
{
    const char *eol = memchr(req, '\r', reqlen);
    size_t rl = eol ? (size_t)(eol - req) : reqlen;
    const char *nl = memchr(req, '\n', rl);
    rl = nl ? (size_t)(nl - req) : rl;
    snprintf(what, n, "%.*s%s", (int)(rl < 150 ? rl : 150), req, rl < 150 ? "" : "...");
    for (char *q = what; *q; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
            *q = '?';
}

/* The first answer's body: for HEAD, what came after the head; chunked, decoded; else up to its
 * length. "" when no whole head came. */
static void set_body(resp_t *r, unsigned flags, int chunked)
{
    if (r->head_len == 0) {
        r->body = r->raw + r->rawlen;
        return;
    }
    const char *p = r->raw + r->head_len;
    size_t n = ((flags & HTTP_HEAD) || r->end < r->head_len ? r->rawlen : r->end) - r->head_len;
    if (chunked && !(flags & HTTP_HEAD)) {
        r->body = harness_malloc(n + 1);
        r->bodylen = http_dechunk(p, n, r->body);
        r->body[r->bodylen] = '\0';
    } else {
        r->body = harness_strndup(p, n);
        r->bodylen = n;
    }
}

static void release_json(void *j)
{
    json_decref(j);
}

/* ---- the test layer --------------------------------------------------------------------------- */

void http_set_timeout_ms(long ms)
{
    timeout_ms = ms;
}

resp_t *http_send(const char *src, int port, const void *req, size_t reqlen, unsigned flags)
{
    resp_t *r = harness_malloc(sizeof *r);
    memset(r, 0, sizeof *r);
    describe(r->what, sizeof r->what, req, reqlen);
    if (reqlen >= 5 && memcmp(req, "HEAD ", 5) == 0)
        flags |= HTTP_HEAD;
    http_buf_t b = {0};
    http_answer_t a = {.err = HTTP_ECONNECT};
    long start = harness_now_ms();
    int fd = http_connect(src, port, timeout_ms);
    if (fd >= 0) {
        http_exchange(fd, req, reqlen, flags, timeout_ms - (harness_now_ms() - start), &b, &a);
        close(fd);
    }
    r->ms = harness_now_ms() - start;
    if (b.p == NULL && harness_append(&b.p, &b.len, &b.cap, "", 0) != 0)
        fail_msg("out of memory");
    r->raw = harness_keep(b.p);
    r->rawlen = b.len;
    r->err = a.err;
    r->status = a.status;
    r->closed = a.closed;
    r->sent = a.sent;
    r->head_len = a.head_len;
    r->end = a.end;
    if (a.err == HTTP_ENOMEM)
        fail_msg("out of memory reading the answer to %s", r->what);
    set_body(r, flags, a.chunked);
    harness_api_log(req, reqlen, r->raw, r->head_len, r->body, r->bodylen);
    return r;
}

resp_t *http_request(const char *src, int port, const char *method, const char *path, const char *headers,
                     const void *body, size_t bodylen)
{
    char *head = harness_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sConnection: close\r\n", method,
                                path, port, headers ? headers : "");
    if (body != NULL)
        head = harness_printf("%sContent-Length: %zu\r\n", head, bodylen);
    size_t hl = strlen(head), n = hl + 2 + (body ? bodylen : 0);
    char *req = harness_malloc(n + 1);
    memcpy(req, head, hl);
    memcpy(req + hl, "\r\n", 2);
    if (body != NULL)
        memcpy(req + hl + 2, body, bodylen);
    req[n] = '\0';
    return http_send(src, port, req, n, 0);
}

resp_t *http_get(int port, const char *path)
{
    return http_request(NULL, port, "GET", path, NULL, NULL, 0);
}

const char *http_header(const resp_t *r, const char *name)
{
    size_t vl;
    const char *v = r->head_len ? http_head_value(r->raw, r->head_len, name, &vl) : NULL;
    return v ? harness_strndup(v, vl) : NULL;
}

void http_dump(const resp_t *r)
{
    fflush(stdout);
    fprintf(stderr, "--- request: %s (sent %zu bytes)\n--- %s after %ld ms, %zu bytes read%s\n", r->what,
            r->sent, http_strerror(r->err), r->ms, r->rawlen, r->closed ? ", then the server closed" : "");
    if (r->head_len == 0)
        fprintf(stderr, "--- no whole head; what came, first 1500:\n%.1500s\n", r->raw ? r->raw : "");
    else
        fprintf(stderr, "--- answer head:\n%.*s--- body (%zu bytes), first 1500:\n%.1500s\n",
                (int)r->head_len, r->raw, r->bodylen, r->body);
    fprintf(stderr, "--- end ---\n");
    fflush(stderr);
}

int http_body_has(const resp_t *r, const char *needle)
{
    return r->body && memmem(r->body, r->bodylen, needle, strlen(needle)) != NULL;
}

int http_body_has_ci(const resp_t *r, const char *needle)
{
    return r->body && strcasestr(r->body, needle) != NULL;
}

size_t http_body_count(const resp_t *r, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = r->body; p && (p = memmem(p, r->bodylen - (size_t)(p - r->body), needle, k)) != NULL;
         p += k)
        n++;
    return n;
}

void http_expect_header_has(const resp_t *r, const char *name, const char *needle)
{
    const char *v = http_header(r, name);
    EXPECT(r, v && strcasestr(v, needle), "expected header %s of %s to contain \"%s\", got %s%s%s", name,
           r->what, needle, v ? "\"" : "", v ? v : "no such header", v ? "\"" : "");
}

void http_expect_type(const resp_t *r, const char *want)
{
    const char *v = http_header(r, "content-type");
    EXPECT(r, v && strncasecmp(v, want, strlen(want)) == 0, "expected Content-Type %s for %s, got %s", want,
           r->what, v ? v : "none");
}

/* ---- JSON (jansson) ---------------------------------------------------------------------------- */

json_t *http_json_parse(const char *text, size_t len)
{
    json_t *j = text ? json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    return j ? harness_keep_with(j, release_json) : NULL;
}

json_t *http_json(const resp_t *r)
{
    return http_json_parse(r->body, r->bodylen);
}

json_t *http_expect_json(const resp_t *r)
{
    json_t *j = http_json(r);
    EXPECT(r, j != NULL, "expected a JSON body from %s, it does not parse", r->what);
    return j;
}

json_t *http_expect_problem(const resp_t *r, int status, const char *error)
{
    EXPECT_STATUS(r, status);
    http_expect_type(r, "application/problem+json");
    json_t *j = http_expect_json(r);
    json_t *e = json_object_get(j, "error");
    EXPECT(r, json_string_value(e) && strcmp(json_string_value(e), error) == 0,
           "expected \"error\": \"%s\" from %s, got %s", error, r->what,
           json_string_value(e) ? json_string_value(e) : http_json_type(e));
    EXPECT(r, json_is_string(json_object_get(j, "type")), "expected a string \"type\" in the problem from %s",
           r->what);
    EXPECT(r, json_is_string(json_object_get(j, "title")),
           "expected a string \"title\" in the problem from %s", r->what);
    const char *d = json_string_value(json_object_get(j, "detail"));
    EXPECT(r, d && *d, "expected a non-empty \"detail\" in the problem from %s", r->what);
    json_t *s = json_object_get(j, "status");
    EXPECT(r, json_is_number(s) && (int)json_number_value(s) == status,
           "expected \"status\": %d in the problem from %s", status, r->what);
    return j;
}

json_t *http_json_path(const json_t *j, const char *path)
{
    char part[64];
    json_t *v = (json_t *)j;
    while (v != NULL && *path) {
        size_t k = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)k, path);
        v = json_object_get(v, part);
        path += k + (path[k] == '.');
    }
    return v;
}

const char *http_json_string(const resp_t *r, const char *path)
{
    return json_string_value(http_json_path(http_json(r), path));
}

const char *http_json_type(const json_t *v)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "object",  [JSON_ARRAY] = "array", [JSON_STRING] = "string",
        [JSON_INTEGER] = "number", [JSON_REAL] = "number", [JSON_TRUE] = "boolean",
        [JSON_FALSE] = "boolean",  [JSON_NULL] = "null"};
    return v ? names[json_typeof(v)] : "absent";
}

int http_wait_healthy(pid_t *pid, int port, const char *errfile, long ms, char *why, size_t whylen)
{
    long start = harness_now_ms();
    while (harness_now_ms() - start < ms) {
        int st;
        if (waitpid(*pid, &st, WNOHANG) == *pid) {
            *pid = 0;
            harness_dump_file_tail("server output", errfile);
            snprintf(why, whylen, "it ended at start: %s", harness_wait_status_text(st));
            return -1;
        }
        if (http_get(port, "/healthz")->status == 200)
            return 0;
        harness_sleep_ms(50);
    }
    harness_dump_file_tail("server output", errfile);
    snprintf(why, whylen, "it did not answer GET /healthz 200 within %ld ms", ms);
    return -1;
}
