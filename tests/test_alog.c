/* test_alog.c — the access log (portal/alog.h): one Common Log Format line a
 * request, with no lookup code in it (a code route's segment, a `code`
 * parameter and any other piece of 12 or more letters and digits become
 * "h:" and 8 hex digits, the same for one code however it is typed), client
 * addresses cut to /24 and /48, odd bytes escaped, a file the portal serves
 * written as is, and the file reopened after SIGHUP.
 *
 * alog.c reads the process's portal_t (server.h), which main.c defines in
 * the portal; here the test defines it and sets what the log reads:
 * access_log, log_fd, log_key, statics, reopen_log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portal/alog.h"
#include "portal/server.h"
#include "tests/harness.h"

portal_t portal;

/* Canonical codes from spec/lookup-code-vectors.tsv. */
#define CODE_A "Q5VQQT42TCX1D4Q1"
#define CODE_B "SABR24PA3EYWNYPK"

typedef struct {
    const char *tmp;
    const char *log; /* this test's log file */
    int n;           /* tests so far, for a file of each one's own */
} ctx_t;

static static_file_t STATICS[] = {{"openapi.json", NULL, 0, "application/json"}};

static int test_setup(void **state)
{
    ctx_t *c = *state;
    if (portal.log_fd > STDOUT_FILENO)
        close(portal.log_fd);
    portal.log_fd = -1;
    atomic_store(&portal.reopen_log, 0);
    c->log = harness_printf("%s/access-%d.log", c->tmp, ++c->n);
    portal.access_log = c->log;
    return alog_open() == 0 ? 0 : -1;
}

/* Log a GET of target from client (NULL: unknown) answered 200 with 123 bytes, and return the line
 * it wrote, without its newline. */
static const char *log_line(ctx_t *c, const char *method, const char *target,
                            const struct sockaddr_storage *client)
{
    size_t before = 0, after = 0;
    const char *old = harness_read_file(c->log, &before);
    if (old == NULL)
        before = 0;
    h2o_req_t req;
    memset(&req, 0, sizeof req);
    req.method = h2o_iovec_init(method, strlen(method));
    req.path = h2o_iovec_init(target, strlen(target));
    req.version = 0x101;
    match_t m;
    match_request(str_n(target, strlen(target)), &m);
    alog_request(&req, &m, client, 200, 123, 0.0015);
    const char *all = harness_read_file(c->log, &after);
    if (all == NULL || after <= before || all[after - 1] != '\n')
        fail_msg("%s: expected one more line in %s, got %zu bytes after %zu", target, c->log, after, before);
    const char *line = harness_strndup(all + before, after - before - 1);
    if (strchr(line, '\n') != NULL)
        fail_msg("%s: expected one line, got: %s", target, line);
    return line;
}

/* The request's path as the line shows it: between the method and " HTTP/". */
static const char *logged_path(ctx_t *c, const char *target)
{
    const char *line = log_line(c, "GET", target, NULL);
    const char *p = strstr(line, "\"GET "), *e = strstr(line, " HTTP/1.1\"");
    if (p == NULL || e == NULL || e < p)
        fail_msg("%s: no request in the line: %s", target, line);
    return harness_strndup(p + 5, (size_t)(e - p - 5));
}

static void expect_path(ctx_t *c, const char *target, const char *want)
{
    const char *got = logged_path(c, target);
    if (strcmp(got, want) != 0)
        fail_msg("%s: expected the log to show %s, got %s", target, want, got);
}

/* The path logged for target must be the same as for other (codes hashed alike). */
static void expect_same_path(ctx_t *c, const char *target, const char *other)
{
    const char *a = logged_path(c, target), *b = logged_path(c, other);
    if (strcmp(a, b) != 0)
        fail_msg("expected %s and %s to be logged alike, got %s and %s", target, other, a, b);
}

static void expect_hidden(ctx_t *c, const char *target, const char *secret)
{
    const char *got = logged_path(c, target);
    if (strstr(got, secret) != NULL || strstr(got, "h:") == NULL)
        fail_msg("%s: expected %s replaced by a hash, got %s", target, secret, got);
}

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':') != NULL) {
        ss.ss_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
    } else {
        ss.ss_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
    }
    return ss;
}

static void test_alog_writes_one_common_log_format_line(void **state)
{
    ctx_t *c = *state;
    struct sockaddr_storage ss = addr("203.0.113.77");
    const char *line = log_line(c, "GET", "/health", &ss);
    char when[64];
    int n = 0;
    if (sscanf(line, "203.0.113.0 - - [%63[^]]] \"GET /health HTTP/1.1\" 200 123 0.001500%n", when, &n) !=
            1 ||
        line[n] != '\0' || strstr(when, " +0000") == NULL)
        fail_msg("expected `203.0.113.0 - - [DATE +0000] \"GET /health HTTP/1.1\" 200 123 0.001500`, got: %s",
                 line);
}

static void test_alog_cuts_client_addresses_to_their_network(void **state)
{
    ctx_t *c = *state;
    struct sockaddr_storage v4 = addr("198.51.100.200"), v6 = addr("2001:db8:abcd:1234:5678::9");
    const char *l4 = log_line(c, "GET", "/", &v4), *l6 = log_line(c, "GET", "/", &v6);
    const char *l0 = log_line(c, "GET", "/", NULL);
    if (strncmp(l4, "198.51.100.0 ", 13) != 0)
        fail_msg("expected the IPv4 client cut to 198.51.100.0, got: %s", l4);
    if (strncmp(l6, "2001:db8:abcd:: ", 16) != 0)
        fail_msg("expected the IPv6 client cut to 2001:db8:abcd::, got: %s", l6);
    if (strncmp(l0, "- - - [", 7) != 0)
        fail_msg("expected \"-\" for an unknown client, got: %s", l0);
}

static void test_alog_hides_the_code_of_a_code_route(void **state)
{
    ctx_t *c = *state;
    expect_hidden(c, "/v/" CODE_A, CODE_A);
    expect_hidden(c, "/v/" CODE_A "/print", CODE_A);
    expect_hidden(c, "/V/" CODE_A, CODE_A);
    expect_hidden(c, "/api/v1/transcripts/" CODE_A "/receipt", CODE_A);
    expect_hidden(c, "/v/abc", "abc"); /* whatever the segment holds, even no code */
    const char *p = logged_path(c, "/v/" CODE_A "/print");
    if (strncmp(p, "/v/h:", 5) != 0 || strlen(p) != 5 + 8 + 6 || strcmp(p + 13, "/print") != 0)
        fail_msg("expected /v/h:XXXXXXXX/print, got %s", p);
}

static void test_alog_hashes_one_code_alike_however_it_is_typed(void **state)
{
    ctx_t *c = *state;
    expect_same_path(c, "/v/" CODE_A, "/v/q5vq-qt42-tcx1-d4q1");
    expect_same_path(c, "/v/" CODE_A, "/v/Q5VQ.QT42.TCX1.D4Q1");
    const char *a = logged_path(c, "/v/" CODE_A), *b = logged_path(c, "/v/" CODE_B);
    if (strcmp(a, b) == 0)
        fail_msg("expected two codes hashed apart, got %s for both", a);
}

static void test_alog_hides_a_code_parameter_and_any_long_piece(void **state)
{
    ctx_t *c = *state;
    expect_hidden(c, "/lookup?code=abc", "abc");
    expect_hidden(c, "/lookup?lang=en&code=" CODE_A, CODE_A);
    expect_hidden(c, "/lookup?q=Q5VQ-QT42-TCX1-D4Q1", "QT42");
    expect_hidden(c, "/static/" CODE_A, CODE_A);
    expect_hidden(c, "/nothing/abcdef123456", "abcdef123456");
    expect_path(c, "/lookup?lang=en&xcode=abc", "/lookup?lang=en&xcode=abc"); /* not the code parameter */
    expect_path(c, "/nothing/abcdef12345", "/nothing/abcdef12345");           /* 11 letters and digits */
}

static void test_alog_writes_a_static_file_as_it_is(void **state)
{
    ctx_t *c = *state;
    expect_path(c, "/static/openapi.json", "/static/openapi.json");
    expect_hidden(c, "/static/openapi.json?x=" CODE_A, CODE_A);
    expect_hidden(c, "/static/openapi" CODE_A ".json", CODE_A);
}

static void test_alog_escapes_odd_bytes_and_methods(void **state)
{
    ctx_t *c = *state;
    expect_path(c, "/a\"b c\x01\xc3\xa9\\", "/a%22b%20c%01%C3%A9%5C");
    const char *line = log_line(c, "get\"x", "/", NULL);
    if (strstr(line, "\"????? / HTTP/1.1\"") == NULL)
        fail_msg("expected the method written as ?????, got: %s", line);
}

/* A code that a bounded copy would cut in two: past the path's room in the line, after a long run of
 * short pieces. Neither it nor any part of it may reach the log. */
static void test_alog_never_writes_part_of_a_code_in_a_long_path(void **state)
{
    ctx_t *c = *state;
    for (size_t at = 480; at < 530; at += 3) {
        char target[2048];
        size_t n = 0;
        target[n++] = '/';
        while (n < at) {
            target[n] = (n % 2) ? 'a' : '/';
            n++;
        }
        snprintf(target + n, sizeof target - n, "/%s/tail", CODE_A);
        const char *line = log_line(c, "GET", target, NULL);
        if (strstr(line, "Q5VQQT") != NULL || strlen(line) >= 1024)
            fail_msg("code at byte %zu: expected no part of it and a line under 1024 bytes, got: %s", at,
                     line);
    }
}

static void test_alog_writes_nothing_without_an_access_log(void **state)
{
    ctx_t *c = *state;
    close(portal.log_fd);
    portal.log_fd = -1;
    portal.access_log = NULL;
    assert_int_equal(alog_open(), 0);
    assert_int_equal(portal.log_fd, -1);
    h2o_req_t req;
    memset(&req, 0, sizeof req);
    req.method = h2o_iovec_init("GET", 3);
    req.path = h2o_iovec_init("/", 1);
    match_t m;
    match_request(str_n("/", 1), &m);
    alog_request(&req, &m, NULL, 200, 0, 0);
    size_t len = 99;
    assert_non_null(harness_read_file(c->log, &len));
    assert_int_equal(len, 0);
}

static void test_alog_open_fails_with_errno_on_a_missing_directory(void **state)
{
    ctx_t *c = *state;
    close(portal.log_fd);
    portal.log_fd = -1;
    portal.access_log = harness_printf("%s/no-such-dir/access.log", c->tmp);
    errno = 0;
    assert_int_equal(alog_open(), -1);
    if (errno != ENOENT)
        fail_msg("expected errno ENOENT, got %d (%s)", errno, strerror(errno));
    assert_int_equal(portal.log_fd, -1);
}

/* logrotate renames the file and sends SIGHUP (reopen_log): the next line goes to a new file at the
 * old name, on the same descriptor, and the renamed file keeps what came before. */
static void test_alog_reopens_the_file_after_sighup(void **state)
{
    ctx_t *c = *state;
    int fd = portal.log_fd;
    log_line(c, "GET", "/before", NULL);
    const char *rotated = harness_printf("%s.1", c->log);
    assert_int_equal(rename(c->log, rotated), 0);
    atomic_store(&portal.reopen_log, 1);
    const char *line = log_line(c, "GET", "/after", NULL);
    assert_non_null(strstr(line, "/after"));
    assert_int_equal(portal.log_fd, fd);
    assert_int_equal(atomic_load(&portal.reopen_log), 0);
    const char *old = harness_read_file(rotated, NULL);
    if (old == NULL || strstr(old, "/before") == NULL || strstr(old, "/after") != NULL)
        fail_msg("expected the rotated file to hold /before only, got: %s", old ? old : "(unreadable)");
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (portal.log_fd > STDOUT_FILENO)
        close(portal.log_fd);
    portal.log_fd = -1;
    harness_group_end(state, c != NULL ? c->tmp : NULL);
    return 0;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    if ((c->tmp = harness_make_tmp("hocba-test-alog")) == NULL)
        return -1;
    memset(portal.log_key, 0x5a, sizeof portal.log_key);
    portal.statics = STATICS;
    portal.nstatics = sizeof STATICS / sizeof STATICS[0];
    portal.log_fd = -1;
    return 0;
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

#define T(name) cmocka_unit_test_setup(name, test_setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_alog_writes_one_common_log_format_line),
        T(test_alog_cuts_client_addresses_to_their_network),
        T(test_alog_hides_the_code_of_a_code_route),
        T(test_alog_hashes_one_code_alike_however_it_is_typed),
        T(test_alog_hides_a_code_parameter_and_any_long_piece),
        T(test_alog_writes_a_static_file_as_it_is),
        T(test_alog_escapes_odd_bytes_and_methods),
        T(test_alog_never_writes_part_of_a_code_in_a_long_path),
        T(test_alog_writes_nothing_without_an_access_log),
        T(test_alog_open_fails_with_errno_on_a_missing_directory),
        T(test_alog_reopens_the_file_after_sighup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
