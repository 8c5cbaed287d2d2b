/* test_http_limits.c — what the portal answers to a body it will not read
 * and to a body framed in two ways (docs/portal.md, "Limits and timeouts";
 * portal/limits.h), over real HTTP/1.1.
 *
 * The group setup makes a small demo (2 pupils), publishes its trust
 * inputs, registry and batch, and starts the portal on a free loopback port
 * with an access log. Each case sends its bytes on a fresh connection —
 * head, body (sent as the server takes it, stopped when it closes) and a
 * second request pipelined after them — and reads until the server closes:
 * the first answer must be the portal's problem+json with its headers and
 * `Connection: close`, nothing may follow it (the pipelined request is
 * never answered), the connection must end, and the access log must have
 * the request's line. Every exchange is bounded (HTTP_TIMEOUT_MS). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/http.h"

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define CHILD_TIMEOUT_MS 120000
#define OVER (64 * 1024 + 1) /* one byte over the server's limit (LIMITS_MAX_BODY) */
#define BIG (10 * 1024 * 1024)

/* Pipelined after each request: answered only if the server reads on. */
#define NEXT "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

typedef struct {
    const char *tmp;
    char demo[320], db[320], log[320], perr[320];
    const char *portal_bin, *publish_bin, *demo_bin;
    int port;
    pid_t pid;
    char code[17];      /* a published code */
    json_t *catalog[2]; /* templates/i18n: vi, en */
} ctx_t;

/* ---- the client ------------------------------------------------------------------------- */

/* Send prefix, then fill bytes of 'a', then tail, on a fresh connection, as fast as the server takes
 * them (stopping when it closes), reading all along, until the server closes or HTTP_TIMEOUT_MS pass
 * (tests/http.h, HTTP_TO_CLOSE). */
static resp_t *exchange(ctx_t *c, const char *what, const char *prefix, size_t plen, size_t fill,
                        const char *tail)
{
    size_t tlen = tail ? strlen(tail) : 0, n = plen + fill + tlen;
    char *req = malloc(n ? n : 1);
    if (req == NULL)
        fail_msg("%s: out of memory for a request of %zu bytes", what, n);
    memcpy(req, prefix, plen);
    memset(req + plen, 'a', fill);
    if (tlen > 0)
        memcpy(req + plen + fill, tail, tlen);
    resp_t *r = http_send(NULL, c->port, req, n, HTTP_TO_CLOSE);
    free(req);
    if (r->err == HTTP_ECONNECT)
        fail_msg("%s: cannot connect to the portal on port %d", what, c->port);
    snprintf(r->what, sizeof r->what, "%s", what);
    return r;
}

/* The bytes read after the first answer (by its framing): a second answer, to the request pipelined
 * after it, or 0 when the first did not end. */
static size_t after(const resp_t *r)
{
    return r->end ? r->rawlen - r->end : 0;
}

/* ---- what a refusal must be --------------------------------------------------------------------------- */

/* One request the portal must refuse. Its bytes: "METHOD PATH HTTP/1.1",
 * Host, fields, a blank line, body, then fill bytes of 'a' (chunked: in
 * chunks of 32 KiB, and the last chunk), then NEXT. */
typedef struct {
    const char *what;
    const char *method, *path; /* "CODE" in path stands for a published code */
    const char *fields;        /* header lines, each ending in \r\n */
    const char *body;
    size_t fill;
    int chunked;
    int status;
    const char *error, *detail_key; /* the problem's error member, its detail's catalog key */
    int lang;                       /* 0 vi, 1 en: the detail's language */
    const char *logged;             /* how the request line begins in the access log */
} refusal_t;

static const char *with_code(const ctx_t *c, const char *s)
{
    const char *at = strstr(s, "CODE");
    return at ? harness_printf("%.*s%s%s", (int)(at - s), s, c->code, at + 4) : s;
}

/* The lines the access log gained since before (its size then). */
static const char *log_since(const ctx_t *c, size_t before)
{
    size_t len = 0;
    const char *log = harness_read_file(c->log, &len);
    return log && len > before ? log + before : "";
}

static void expect_refusal(ctx_t *c, const refusal_t *t)
{
    size_t before = 0;
    harness_read_file(c->log, &before);
    const char *path = with_code(c, t->path);
    char *head = harness_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n%s", t->method, path, t->fields,
                                t->body ? t->body : "");
    size_t fill = t->fill;
    if (t->chunked) {
        for (size_t left = fill; left > 0;) {
            size_t n = left < 32768 ? left : 32768;
            char *chunk = harness_malloc(n + 16);
            int k = snprintf(chunk, 16, "%zx\r\n", n);
            memset(chunk + k, 'a', n);
            memcpy(chunk + k + n, "\r\n", 3);
            head = harness_printf("%s%s", head, chunk);
            left -= n;
        }
        head = harness_printf("%s0\r\n\r\n", head);
        fill = 0;
    }
    resp_t *x = exchange(c, t->what, head, strlen(head), fill, NEXT);

    EXPECT(x, x->status == t->status, "%s: expected status %d, got %d%s", t->what, t->status, x->status,
           x->status ? "" : " (no answer)");
    const char *type = http_header(x, "content-type");
    EXPECT(x, type && strcmp(type, "application/problem+json") == 0,
           "%s: expected Content-Type application/problem+json, got %s", t->what, type ? type : "none");
    json_t *j = http_json(x);
    const char *error = json_string_value(json_object_get(j, "error"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *want = json_string_value(json_object_get(c->catalog[t->lang], t->detail_key));
    int status_ok = json_integer_value(json_object_get(j, "status")) == t->status;
    int typed =
        json_string_value(json_object_get(j, "type")) && json_string_value(json_object_get(j, "title"));
    EXPECT(x, error && strcmp(error, t->error) == 0, "%s: expected \"error\": \"%s\", got %s", t->what,
           t->error, error ? error : "none (or the body is no JSON object)");
    EXPECT(x, status_ok && typed, "%s: expected a problem with type, title and \"status\": %d", t->what,
           t->status);
    EXPECT(x, want && detail && strcmp(detail, want) == 0, "%s: expected the %s detail \"%s\", got \"%s\"",
           t->what, t->lang ? "English" : "Vietnamese", want ? want : t->detail_key,
           detail ? detail : "none");
    static const char *const headers[][2] = {{"x-content-type-options", "nosniff"},
                                             {"referrer-policy", "no-referrer"},
                                             {"cache-control", "no-store"},
                                             {"x-robots-tag", "noindex"},
                                             {"connection", "close"}};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        const char *v = http_header(x, headers[i][0]);
        EXPECT(x, v && strcasecmp(v, headers[i][1]) == 0, "%s: expected %s: %s, got %s", t->what,
               headers[i][0], headers[i][1], v ? v : "none");
    }
    EXPECT(x, after(x) == 0,
           "%s: expected nothing after the answer (the request pipelined after it must not be "
           "answered), got %zu more bytes",
           t->what, after(x));
    EXPECT(x, x->closed, "%s: expected the server to close the connection after the answer, it stayed open",
           t->what);

    const char *fresh = log_since(c, before);
    const char *line = strstr(fresh, harness_printf("\"%s", t->logged));
    const char *eol = line ? strchr(line, '\n') : NULL;
    const char *status = harness_printf(" %d ", t->status);
    if (!line || !eol || !memmem(line, (size_t)(eol - line), status, strlen(status))) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("%s: expected an access-log line for \"%s ...\" with status %d, found none", t->what,
                 t->logged, t->status);
    }
    if (strstr(fresh, c->code))
        fail_msg("%s: expected no lookup code in the access log, found %s", t->what, c->code);
}

static void expect_refusals(void **state, const refusal_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_refusal(*state, &t[i]);
}

/* ---- tests ------------------------------------------------------------------------------------------- */

#define TOO_LARGE 413, "too_large", "error.too_large.message"
#define BAD_FRAMING 400, "bad_framing", "error.bad_framing.message"

/* Over the limit by Content-Length, on any route, whatever the size: the
 * portal's 413 before the body is read. */
static void test_body_over_64_kib_by_length_is_413_problem_on_every_route(void **state)
{
    static const refusal_t T[] = {
        {"POST / 64 KiB+1", "POST", "/", "Content-Length: 65537\r\n", NULL, OVER, 0, TOO_LARGE, 0, "POST / "},
        {"POST /api/v1/verify 64 KiB+1", "POST", "/api/v1/verify", "Content-Length: 65537\r\n", NULL, OVER, 0,
         TOO_LARGE, 0, "POST /api/v1/verify "},
        {"POST /v/CODE 64 KiB+1", "POST", "/v/CODE", "Content-Length: 65537\r\n", NULL, OVER, 0, TOO_LARGE, 0,
         "POST /v/h:"},
        {"POST /no/such/path 64 KiB+1", "POST", "/no/such/path", "Content-Length: 65537\r\n", NULL, OVER, 0,
         TOO_LARGE, 0, "POST /no/such/path "},
        {"POST / 10 MB", "POST", "/", "Content-Length: 10485760\r\n", NULL, BIG, 0, TOO_LARGE, 0, "POST / "},
        {"POST /api/v1/verify 10 MB", "POST", "/api/v1/verify", "Content-Length: 10485760\r\n", NULL, BIG, 0,
         TOO_LARGE, 0, "POST /api/v1/verify "},
        {"GET /v/CODE 10 MB", "GET", "/v/CODE", "Content-Length: 10485760\r\n", NULL, BIG, 0, TOO_LARGE, 0,
         "GET /v/h:"},
        {"PUT /no/such/path 10 MB", "PUT", "/no/such/path", "Content-Length: 10485760\r\n", NULL, BIG, 0,
         TOO_LARGE, 0, "PUT /no/such/path "},
    };
    expect_refusals(state, T, sizeof T / sizeof *T);
}

static void test_chunked_body_over_64_kib_is_413_problem(void **state)
{
    static const refusal_t T[] = {
        {"chunked POST /api/v1/verify 96 KiB", "POST", "/api/v1/verify", "Transfer-Encoding: chunked\r\n",
         NULL, 96 * 1024, 1, TOO_LARGE, 0, "POST /api/v1/verify "},
        {"chunked POST / 64 KiB+1", "POST", "/", "Transfer-Encoding: chunked\r\n", NULL, OVER, 1, TOO_LARGE,
         0, "POST / "},
    };
    expect_refusals(state, T, sizeof T / sizeof *T);
}

/* The page language, when the request says it: ?lang=, Accept-Language. */
static void test_refusals_are_in_the_page_language(void **state)
{
    static const refusal_t T[] = {
        {"?lang=en, 64 KiB+1", "POST", "/api/v1/verify?lang=en", "Content-Length: 65537\r\n", NULL, OVER, 0,
         TOO_LARGE, 1, "POST /api/v1/verify?lang=en "},
        {"Accept-Language: en, chunked", "POST", "/", "Accept-Language: en\r\nTransfer-Encoding: chunked\r\n",
         NULL, OVER, 1, TOO_LARGE, 1, "POST / "},
        {"Accept-Language: en, CL + TE", "POST", "/api/v1/verify",
         "Accept-Language: en\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 0, 0,
         BAD_FRAMING, 1, "POST /api/v1/verify "},
        {"?lang=vi over Accept-Language: en", "POST", "/?lang=vi",
         "Accept-Language: en\r\nContent-Length: 65537\r\n", NULL, OVER, 0, TOO_LARGE, 0, "POST /?lang=vi "},
    };
    expect_refusals(state, T, sizeof T / sizeof *T);
}

/* RFC 9112 §6.3: a body framed in two ways is refused and the connection
 * closed, so that nothing sent after it is taken as a request (smuggling). */
static void test_conflicting_framing_is_400_and_closes_the_connection(void **state)
{
    static const refusal_t T[] = {
        {"two equal Content-Length", "POST", "/api/v1/verify", "Content-Length: 13\r\nContent-Length: 13\r\n",
         "{\"codes\": []}", 0, 0, BAD_FRAMING, 0, "POST /api/v1/verify "},
        {"two different Content-Length", "POST", "/api/v1/verify",
         "Content-Length: 13\r\nContent-Length: 5\r\n", "{\"codes\": []}", 0, 0, BAD_FRAMING, 0,
         "POST /api/v1/verify "},
        {"Content-Length then Transfer-Encoding", "POST", "/api/v1/verify",
         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 0, 0, BAD_FRAMING, 0,
         "POST /api/v1/verify "},
        {"Transfer-Encoding then Content-Length", "POST", "/api/v1/verify",
         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n", 0, 0, BAD_FRAMING, 0,
         "POST /api/v1/verify "},
        {"names in odd case, GET /", "GET", "/", "content-LENGTH: 5\r\nTRANSFER-encoding: chunked\r\n",
         "0\r\n\r\n", 0, 0, BAD_FRAMING, 0, "GET / "},
        {"Transfer-Encoding twice", "POST", "/",
         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 0, 0, BAD_FRAMING, 0,
         "POST / "},
        /* CL.TE: a proxy that reads 13 bytes passes "0\r\n\r\nSMUGGLED" on as
         * one body; read chunked, SMUGGLED would start the next request */
        {"CL.TE smuggling", "POST", "/v/CODE", "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n",
         "0\r\n\r\nSMUGGLED", 0, 0, BAD_FRAMING, 0, "POST /v/h:"},
        /* libh2o refuses the first length as too large before it reads on */
        {"two Content-Length over the limit", "POST", "/",
         "Content-Length: 65537\r\nContent-Length: 65537\r\n", NULL, OVER, 0, BAD_FRAMING, 0, "POST / "},
    };
    expect_refusals(state, T, sizeof T / sizeof *T);
}

/* What libh2o cannot read (an unknown coding, a length that is no number,
 * broken chunks) or will not meet gets the portal's answer too. */
static void test_unreadable_framing_and_expectations_get_problem_answers(void **state)
{
    static const refusal_t T[] = {
        {"Transfer-Encoding: gzip", "POST", "/", "Transfer-Encoding: gzip\r\n", "abc", 0, 0, BAD_FRAMING, 0,
         "POST / "},
        {"Content-Length: 5x", "POST", "/api/v1/verify", "Content-Length: 5x\r\n", "hello", 0, 0, BAD_FRAMING,
         0, "POST /api/v1/verify "},
        {"broken chunk", "POST", "/api/v1/verify", "Transfer-Encoding: chunked\r\n",
         "zz\r\nhello\r\n0\r\n\r\n", 0, 0, BAD_FRAMING, 0, "POST /api/v1/verify "},
        {"Expect: something", "POST", "/api/v1/verify", "Expect: something\r\nContent-Length: 3\r\n", "abc",
         0, 0, 417, "expectation_failed", "error.417.message", 0, "POST /api/v1/verify "},
    };
    expect_refusals(state, T, sizeof T / sizeof *T);
}

/* The control: a body framed once keeps the connection, and the request
 * pipelined after it is answered (so the refusals above are no artefact
 * of how this client pipelines). */
static void test_well_framed_bodies_keep_the_connection(void **state)
{
    ctx_t *c = *state;
    static const char *const fields[] = {"Content-Length: 13\r\n", "Transfer-Encoding: chunked\r\n"};
    static const char *const bodies[] = {"{\"codes\": []}", "d\r\n{\"codes\": []}\r\n0\r\n\r\n"};
    for (size_t i = 0; i < 2; i++) {
        const char *req = harness_printf(
            "POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n%s",
            fields[i], bodies[i]);
        resp_t *x = exchange(c, fields[i], req, strlen(req), 0, NEXT);
        EXPECT(x, x->status == 200, "expected 200 for a batch verify framed by %s, got %d", fields[i],
               x->status);
        EXPECT(x, after(x) > 0 && memmem(x->raw + x->end, after(x), "HTTP/1.1 200", 12),
               "expected the request pipelined after a body framed by %s to be answered 200", fields[i]);
        EXPECT(x, x->closed,
               "expected the connection to end after the pipelined request's Connection: close");
    }
}

/* ---- group setup and teardown ---------------------------------------------------------------------- */

static int start_portal(ctx_t *c)
{
    c->port = harness_free_port();
    if (c->port <= 0)
        return -1;
    snprintf(c->perr, sizeof c->perr, "%s/portal.err", c->tmp);
    const char *listen = harness_printf("127.0.0.1:%d", c->port);
    const char *argv[] = {c->portal_bin,  "--db", c->db,          "--listen", listen,
                          "--rate-limit", "0",    "--access-log", c->log,     NULL};
    c->pid = harness_start_bg(argv, c->perr, 0);
    if (c->pid <= 0)
        return -1;
    char why[160];
    if (http_wait_healthy(&c->pid, c->port, c->perr, READY_TIMEOUT_MS, why, sizeof why) == 0)
        return 0;
    print_error("the portal: %s\n", why);
    return -1;
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (!c)
        return 0;
    int rc = 0, st;
    if (c->pid > 0) {
        int ended = harness_stop(c->pid, SIGTERM, STOP_TIMEOUT_MS, &st);
        if (!ended || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            print_error("the portal did not exit 0 on SIGTERM within %d ms: %s%s\n", STOP_TIMEOUT_MS,
                        ended ? harness_wait_status_text(st) : "killed", harness_sanitizer_note(c->perr));
            harness_dump_file_tail("portal output", c->perr);
            rc = -1;
        }
    }
    json_decref(c->catalog[0]);
    json_decref(c->catalog[1]);
    harness_group_end(state, c->tmp);
    return rc;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    if (!(c->tmp = harness_make_tmp("hocba-http-limits")))
        return -1;
    snprintf(c->demo, sizeof c->demo, "%s/demo", c->tmp);
    snprintf(c->db, sizeof c->db, "%s/index", c->tmp);
    snprintf(c->log, sizeof c->log, "%s/access.log", c->tmp);
    if (harness_bin(&c->portal_bin, "HOCBA_BIN", "hocba-portal") ||
        harness_bin(&c->publish_bin, "HOCBA_BIN", "hocba-publish") ||
        harness_bin(&c->demo_bin, "HOCBA_BIN", "hocba-demo"))
        return -1;
    static const char *const langs[] = {"vi", "en"};
    for (int i = 0; i < 2; i++) {
        json_error_t err;
        const char *path = harness_printf("templates/i18n/%s.json", langs[i]);
        if (!(c->catalog[i] = json_load_file(path, 0, &err))) {
            print_error("run the tests from the project root (%s: %s)\n", path, err.text);
            return -1;
        }
    }
    harness_lsan_default();
    const char *demo[] = {c->demo_bin, "--out", c->demo, "--students", "2", "--seed", "5", NULL};
    const char *trust[] = {c->publish_bin,
                           "--db",
                           c->db,
                           "trust",
                           harness_printf("%s/trust/anchors.pem", c->demo),
                           harness_printf("%s/trust/intermediates.pem", c->demo),
                           NULL};
    const char *reg[] = {
        c->publish_bin, "--db", c->db, "schools", harness_printf("%s/schools.json", c->demo), NULL};
    const char *batch[] = {c->publish_bin, "--db", c->db, "batch", harness_printf("%s/batch", c->demo), NULL};
    if (harness_run_ok(demo, CHILD_TIMEOUT_MS) || harness_run_ok(trust, CHILD_TIMEOUT_MS) ||
        harness_run_ok(reg, CHILD_TIMEOUT_MS) || harness_run_ok(batch, CHILD_TIMEOUT_MS))
        return -1;
    harness_code_t *codes;
    size_t n;
    if (harness_load_codes(c->demo, 1, &codes, &n) != 0)
        return -1;
    snprintf(c->code, sizeof c->code, "%s", codes[0].code);
    return start_portal(c);
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_over_64_kib_by_length_is_413_problem_on_every_route),
        cmocka_unit_test(test_chunked_body_over_64_kib_is_413_problem),
        cmocka_unit_test(test_refusals_are_in_the_page_language),
        cmocka_unit_test(test_conflicting_framing_is_400_and_closes_the_connection),
        cmocka_unit_test(test_unreadable_framing_and_expectations_get_problem_answers),
        cmocka_unit_test(test_well_framed_bodies_keep_the_connection),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
