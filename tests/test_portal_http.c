/* test_portal_http.c — hocba-portal as an HTTP server (docs/portal.md): static files and the files at
 * the root of the site, hostile paths and headers (4xx or a closed connection, never 5xx, never a
 * crash), matching paths byte for byte, many clients at once, /healthz and /metrics. The group (a
 * portal serving the demo data) and the helpers are tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: static files, hostile input ------------------------------------------------------ */

static void test_static_stylesheet_is_css(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/static/style.css");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "text/css");
}

static void test_static_openapi_is_json_of_openapi_3(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/static/openapi.json");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    const char *v = json_string_value(json_object_get(http_expect_json(r), "openapi"));
    EXPECT(r, v && v[0] == '3', "expected \"openapi\": \"3…\", got %s", v ? v : "none");
}

/* ---- tests: files at the root of the site --------------------------------------------------- */

/* What clients ask for at the root whatever the pages say (crawlers, and
 * browsers that look for /favicon.ico): the files of static/ by those names. */
static const struct {
    const char *path, *type, *file;
} ROOT_FILES[] = {
    {"/robots.txt", "text/plain; charset=utf-8", "static/robots.txt"},
    {"/favicon.ico", "image/x-icon", "static/favicon.ico"},
};
#define NROOT_FILES (sizeof ROOT_FILES / sizeof *ROOT_FILES)

static void test_root_files_are_static_files_served_byte_for_byte(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < NROOT_FILES; i++) {
        size_t len = 0;
        const char *want = harness_read_file(ROOT_FILES[i].file, &len);
        assert_non_null(want);
        resp_t *r = pf_get(c, ROOT_FILES[i].path);
        EXPECT_STATUS(r, 200);
        const char *type = http_header(r, "content-type");
        EXPECT(r, type && strcasecmp(type, ROOT_FILES[i].type) == 0,
               "expected Content-Type %s for %s, got %s", ROOT_FILES[i].type, r->what, type ? type : "none");
        EXPECT(r, r->bodylen == len && memcmp(r->body, want, len) == 0,
               "expected the %zu bytes of %s from %s, got %zu bytes that differ", len, ROOT_FILES[i].file,
               r->what, r->bodylen);
        http_expect_header_has(r, "cache-control", "max-age=");
    }
}

static void test_root_files_answer_head_and_405_with_allow(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < NROOT_FILES; i++) {
        off_t size = harness_file_size(ROOT_FILES[i].file);
        resp_t *h = pf_request(c, "HEAD", ROOT_FILES[i].path, NULL, NULL, 0);
        EXPECT_STATUS(h, 200);
        http_expect_type(h, ROOT_FILES[i].type);
        const char *cl = http_header(h, "content-length");
        EXPECT(h, cl && atoll(cl) == (long long)size, "expected Content-Length %lld for %s, got %s",
               (long long)size, h->what, cl ? cl : "none");
        EXPECT(h, h->bodylen == 0, "expected no body for %s, got %zu bytes", h->what, h->bodylen);
        static const char *const others[] = {"POST", "PUT", "DELETE"};
        for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
            resp_t *r = pf_request(c, others[k], ROOT_FILES[i].path, NULL, "", 0);
            EXPECT_STATUS(r, 405);
            const char *allow = http_header(r, "allow");
            EXPECT(r, allow && strcmp(allow, "GET, HEAD") == 0, "expected Allow: GET, HEAD for %s, got %s",
                   r->what, allow ? allow : "none");
        }
    }
}

/* The home page is for search engines; what lies under a lookup code, the
 * API and the forms' targets are not (robots.txt matches by prefix, case
 * sensitive: /V/ is named apart). */
static void test_robots_txt_keeps_crawlers_off_codes_api_and_forms(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/robots.txt");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "User-agent: *\n");
    static const char *const off[] = {"/v/", "/V/", "/api/", "/lookup", "/check"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        EXPECT_BODY_HAS(r, harness_printf("\nDisallow: %s\n", off[i]));
    EXPECT(r, !http_body_has(r, "Disallow: /\n") && !http_body_has(r, "Disallow: / "),
           "expected robots.txt to leave the home page to crawlers, it disallows the whole site");
}

/* An ICO header (reserved 0, type 1, count), then count 16-byte entries
 * whose images lie inside the file and are PNGs of the size they claim. */
static void test_favicon_ico_holds_png_icons_of_their_stated_sizes(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/favicon.ico");
    EXPECT_STATUS(r, 200);
    const unsigned char *b = (const unsigned char *)r->body;
    size_t n = r->bodylen;
    EXPECT(r, n >= 6 && b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0, "expected an ICO header from %s",
           r->what);
    unsigned count = b[4] | b[5] << 8;
    EXPECT(r, count >= 1 && 6 + 16 * (size_t)count <= n, "expected 1 or more icon entries in %s, got %u",
           r->what, count);
    for (unsigned i = 0; i < count; i++) {
        const unsigned char *e = b + 6 + 16 * i;
        unsigned w = e[0] ? e[0] : 256, h = e[1] ? e[1] : 256;
        size_t len = e[8] | e[9] << 8 | (size_t)e[10] << 16 | (size_t)e[11] << 24;
        size_t off = e[12] | e[13] << 8 | (size_t)e[14] << 16 | (size_t)e[15] << 24;
        EXPECT(r, off < n && len <= n - off && len >= 24 && memcmp(b + off, "\x89PNG\r\n\x1a\n", 8) == 0,
               "expected icon %u of %s to be a PNG inside the file (offset %zu, %zu bytes of %zu)", i,
               r->what, off, len, n);
        const unsigned char *ihdr = b + off + 16; /* width and height, big-endian */
        unsigned pw = (unsigned)ihdr[0] << 24 | ihdr[1] << 16 | ihdr[2] << 8 | ihdr[3];
        unsigned ph = (unsigned)ihdr[4] << 24 | ihdr[5] << 16 | ihdr[6] << 8 | ihdr[7];
        EXPECT(r, pw == w && ph == h,
               "expected icon %u of %s to be %ux%u as its entry says, its PNG is %ux%u", i, r->what, w, h, pw,
               ph);
    }
}

/* Every page names the icon (the screen pages and the printable copy have
 * their own heads), and the SVG it names is served. */
static void test_pages_link_the_site_icon(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/", "/?lang=en", harness_printf("/v/%s", c->valid.code),
                           harness_printf("/v/%s/print", c->valid.code), "/no-such-page"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_BODY_HAS(r, "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">");
        EXPECT_BODY_HAS(r, "<link rel=\"icon\" href=\"/favicon.ico\"");
    }
    resp_t *svg = pf_get(c, "/static/favicon.svg");
    EXPECT_STATUS(svg, 200);
    http_expect_type(svg, "image/svg+xml");
    EXPECT_BODY_HAS(svg, "<svg");
}

/* Raw bytes: no client normalises these. docs/portal.md: paths are
 * matched byte for byte; a /v/ segment outside 1–64 of [A-Za-z0-9.-] is a
 * 404, a /lookup code that does not parse is a 400. */
static void test_hostile_paths_get_4xx_never_5xx(void **state)
{
    ctx_t *c = *state;
    char *longcode = harness_malloc(5001);
    memset(longcode, 'A', 5000);
    longcode[5000] = '\0';
    struct {
        const char *path;
        int want;
    } cases[] = {
        {"/static/../README.md", 404},
        {"/static/%2e%2e/README.md", 404},
        {"/static/..%2fREADME.md", 404},
        {"/v/%2e%2e", 404},
        {"/v/..%2fetc", 404},
        {harness_printf("/v/%.8s%%00%.8s", c->valid.code, c->valid.code + 8), 404},
        {"/v/\xff\xfe", 404},
        {harness_printf("/v/%.8s\xff%.7s", c->valid.code, c->valid.code + 8), 404},
        {harness_printf("/v/%s", longcode), 404},
        {harness_printf("/lookup?code=%s", longcode), 400},
        {"/lookup?code=%ff%fe%00", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        resp_t *r = pf_get(c, cases[i].path);
        EXPECT(r, r->status >= 400 && r->status < 500, "expected a 4xx for %s, got %d%s", r->what, r->status,
               r->status ? "" : " (no answer)");
        EXPECT(r, r->status == cases[i].want, "expected %d for %s (docs/portal.md), got %d", cases[i].want,
               r->what, r->status);
    }
    pf_expect_alive(c);
}

/* 4xx, or the connection closed without an answer; never 5xx, never a crash. */
static void expect_refused_or_closed(const resp_t *r, const char *what)
{
    EXPECT(r, (r->status >= 400 && r->status < 500) || (r->status == 0 && r->err != HTTP_ETIMEOUT),
           "expected a 4xx or a closed connection for %s (%s), got %d%s", r->what, what, r->status,
           r->err == HTTP_ETIMEOUT ? " (timed out)" : "");
}

static void test_header_value_of_20_kib_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    size_t big = 20 * 1024;
    char *v = harness_malloc(big + 1);
    memset(v, 'x', big);
    v[big] = '\0';
    resp_t *r = pf_get_h(c, "/", harness_printf("X-Big: %s\r\n", v));
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a header value of 20 KiB");
}

static void test_200_header_lines_are_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    const char *many = "";
    for (int i = 0; i < 200; i++)
        many = harness_printf("%sX-H-%d: v\r\n", many, i);
    resp_t *r = pf_get_h(c, "/", many);
    pf_expect_alive(c);
    expect_refused_or_closed(r, "200 header lines");
}

/* GET path with `extra` header fields X-H-0..., besides Host and Connection. */
static resp_t *get_with_fields(ctx_t *c, const char *path, int extra)
{
    const char *many = "";
    for (int i = 0; i < extra; i++)
        many = harness_printf("%sX-H-%d: v\r\n", many, i);
    return pf_get_h(c, path, many);
}

static resp_t *get_with_value(ctx_t *c, const char *path, size_t n)
{
    char *v = harness_malloc(n + 1);
    memset(v, 'x', n);
    v[n] = '\0';
    return pf_get_h(c, path, harness_printf("X-Big: %s\r\n", v));
}

/* docs/portal.md: headers up to 8 KiB and 64 fields are served; more is 431. */
static void test_headers_within_8_kib_and_64_fields_are_served(void **state)
{
    ctx_t *c = *state;
    resp_t *r = get_with_value(c, "/", 7 * 1024);
    EXPECT(r, r->status == 200, "expected 200 for a header value of 7 KiB, got %d", r->status);
    r = get_with_fields(c, "/", 62);
    EXPECT(r, r->status == 200, "expected 200 for 64 header fields (Host, Connection and 62 more), got %d",
           r->status);
}

static void test_headers_over_8_kib_or_64_fields_are_431(void **state)
{
    ctx_t *c = *state;
    resp_t *r = get_with_value(c, "/", 9 * 1024);
    EXPECT(r, r->status == 431, "expected 431 for a header value of 9 KiB, got %d", r->status);
    pf_expect_html(r);
    r = get_with_value(c, harness_api_path(c->valid.code), 9 * 1024);
    EXPECT(r, r->status == 431, "expected 431 for a header value of 9 KiB on the API, got %d", r->status);
    http_expect_type(r, "application/problem+json");
    r = get_with_fields(c, "/", 63);
    EXPECT(r, r->status == 431, "expected 431 for 65 header fields (Host, Connection and 63 more), got %d",
           r->status);
    pf_expect_alive(c);
}

static void test_header_line_without_colon_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get_h(c, "/", "ThisLineHasNoColon\r\n");
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a header line without a colon");
}

static void test_tls_hello_on_cleartext_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
    resp_t *r = http_send(NULL, c->port, junk, sizeof junk - 1, 0);
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a TLS ClientHello on cleartext");
}

/* docs/portal.md: cleartext HTTP/2 (h2c upgrade) is off. */
static void test_h2c_upgrade_is_not_taken(void **state)
{
    ctx_t *c = *state;
    const char *req = harness_printf(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
        "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
        c->port);
    resp_t *r = http_send(NULL, c->port, req, strlen(req), 0);
    EXPECT_STATUS(r, 200);
    EXPECT(r, strncmp(r->raw, "HTTP/1.1 ", 9) == 0, "expected an HTTP/1.1 answer to an h2c upgrade");
}

/* docs/portal.md: anything else is a 404, problem+json under /api/. */
static void test_unknown_api_paths_are_404_problem_json(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/api/v1/nothing", "/api/v2/transcripts/X",
                           harness_printf("%s/", harness_api_path(c->valid.code)),
                           harness_printf("%s/extra", harness_api_path(c->valid.code))};
    for (size_t i = 0; i < 4; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 404);
        http_expect_type(r, "application/problem+json");
        http_expect_json(r);
    }
}

/* docs/portal.md: no percent-decoding, no dot segments, no trailing-slash
 * guessing, no doubled slashes. */
static void test_paths_are_matched_byte_for_byte(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code;
    const char *paths[] = {
        harness_printf("//v/%s", code),
        harness_printf("/./v/%s", code),
        harness_printf("/v/./%s", code),
        harness_printf("/v/%s/print/", code),
        harness_printf("/v/%s/qr.svg/", code),
        harness_printf("/v/%.4s%%2D%s", code, code + 4),
        harness_printf("/v/%%%02X%s", (unsigned char)code[0], code + 1),
        "/static/style.css/",
        "/static//style.css",
        "/static/",
        "/static",
        "/healthz/",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 404);
    }
}

/* 32 clients at once, each with its request sent before any answer is
 * read: every one gets its 200. */
static void test_serves_many_clients_at_once(void **state)
{
    enum { N = 32 };
    ctx_t *c = *state;
    int fds[N];
    char *bufs[N] = {0};
    size_t lens[N] = {0}, caps[N] = {0};
    const char *paths[N];
    for (int i = 0; i < N; i++) {
        const char *code = i % 3 == 0 ? c->valid.code : i % 3 == 1 ? c->valid2.code : c->xss.code;
        paths[i] = i % 2 ? harness_printf("/v/%s", code) : harness_api_path(code);
        const char *req = harness_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                                         paths[i], c->port);
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            send(fds[i], req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
            for (int k = 0; k <= i; k++)
                if (fds[k] >= 0)
                    close(fds[k]);
            fail_msg("expected to connect and send request %d of %d, failed: %s", i + 1, N, strerror(errno));
        }
    }
    long deadline = harness_now_ms() + 2 * HTTP_TIMEOUT_MS;
    int open_n = N;
    while (open_n > 0 && harness_now_ms() < deadline) {
        struct pollfd p[N];
        for (int i = 0; i < N; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (poll(p, N, 200) <= 0)
            continue;
        for (int i = 0; i < N; i++) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char tmp[65536];
            ssize_t got = recv(fds[i], tmp, sizeof tmp, 0);
            if (got > 0) {
                harness_append(&bufs[i], &lens[i], &caps[i], tmp, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i]);
                fds[i] = -1;
                open_n--;
            }
        }
    }
    for (int i = 0; i < N; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        if (bufs[i])
            harness_keep(bufs[i]);
    }
    for (int i = 0; i < N; i++)
        if (!bufs[i] || strncmp(bufs[i], "HTTP/1.1 200 ", 13) != 0)
            fail_msg("expected 200 for GET %s (client %d of %d at once), got \"%.60s\"%s", paths[i], i + 1, N,
                     bufs[i] ? bufs[i] : "", fds[i] >= 0 ? " (no close in time)" : "");
    pf_expect_alive(c);
}

static void test_healthz_answers_200(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/healthz");
    EXPECT_STATUS(r, 200);
}

static void test_metrics_answers_prometheus_text(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/metrics");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "text/plain");
    EXPECT_BODY_HAS(r, "hocba_");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_stylesheet_is_css),
        cmocka_unit_test(test_static_openapi_is_json_of_openapi_3),
        cmocka_unit_test(test_root_files_are_static_files_served_byte_for_byte),
        cmocka_unit_test(test_root_files_answer_head_and_405_with_allow),
        cmocka_unit_test(test_robots_txt_keeps_crawlers_off_codes_api_and_forms),
        cmocka_unit_test(test_favicon_ico_holds_png_icons_of_their_stated_sizes),
        cmocka_unit_test(test_pages_link_the_site_icon),
        cmocka_unit_test(test_hostile_paths_get_4xx_never_5xx),
        cmocka_unit_test(test_header_value_of_20_kib_is_refused_without_a_crash),
        cmocka_unit_test(test_200_header_lines_are_refused_without_a_crash),
        cmocka_unit_test(test_headers_within_8_kib_and_64_fields_are_served),
        cmocka_unit_test(test_headers_over_8_kib_or_64_fields_are_431),
        cmocka_unit_test(test_header_line_without_colon_is_refused_without_a_crash),
        cmocka_unit_test(test_tls_hello_on_cleartext_is_refused_without_a_crash),
        cmocka_unit_test(test_h2c_upgrade_is_not_taken),
        cmocka_unit_test(test_unknown_api_paths_are_404_problem_json),
        cmocka_unit_test(test_paths_are_matched_byte_for_byte),
        cmocka_unit_test(test_serves_many_clients_at_once),
        cmocka_unit_test(test_healthz_answers_200),
        cmocka_unit_test(test_metrics_answers_prometheus_text),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
