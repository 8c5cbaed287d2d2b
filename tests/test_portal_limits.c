/* test_portal_limits.c — the per-client rate limit of hocba-portal (docs/portal.md) and what else
 * the second portal of tests/portal_fixture.h shows (pf_start_rl_portal: --rate-limit 10, no caches,
 * two threads, a trusted proxy, a metrics listener of its own): each test talks from its own loopback
 * source address, so they do not share a bucket; the last stops that portal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: rate limits (a second portal, --rate-limit 10, and no caches: --cache-entries 0)
 * ------------------------------------ */

static void expect_429(const resp_t *r)
{
    EXPECT_STATUS(r, 429);
    const char *ra = http_header(r, "retry-after");
    char *end;
    long secs = ra ? strtol(ra, &end, 10) : 0;
    EXPECT(r, ra && *ra && *end == '\0' && secs > 0, "expected Retry-After as whole seconds > 0, got %s",
           ra ? ra : "none");
}

static void test_rate_limit_serves_a_code_at_most_n_times_then_429(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.2", *path = harness_printf("/v/%s", c->valid.code);
    int served = 0;
    resp_t *r = NULL;
    for (int i = 0; i < RL_LIMIT + 5; i++) {
        r = pf_rl_get(c, src, path);
        if (r->status != 200)
            break;
        served++;
    }
    expect_429(r);
    pf_expect_html(r);
    EXPECT(r, served <= RL_LIMIT && served >= RL_LIMIT - 1,
           "expected %d lookups served before the 429 (--rate-limit %d), got %d", RL_LIMIT, RL_LIMIT, served);
    r = http_request(src, c->rl_port, "GET", harness_api_path(c->valid.code), NULL, NULL, 0);
    http_expect_problem(r, 429, "rate_limited");
    expect_429(r);
}

/* docs/portal.md: a miss costs 5 tokens of 10, so the third miss is 429. */
static void test_rate_limit_misses_cost_five(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.3";
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[0])), 404);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[1])), 404);
    resp_t *r = pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[2]));
    expect_429(r);
    r = http_request(src, c->rl_port, "GET", harness_api_path(c->unknown[3]), NULL, NULL, 0);
    http_expect_problem(r, 429, "rate_limited");
}

static void test_rate_limit_never_applies_to_home_static_and_healthz(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.4";
    resp_t *r = NULL;
    for (int i = 0; i < 4 && (!r || r->status != 429); i++)
        r = pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[i]));
    expect_429(r);
    for (int i = 0; i < RL_LIMIT + 2; i++) {
        EXPECT_STATUS(pf_rl_get(c, src, "/"), 200);
        EXPECT_STATUS(pf_rl_get(c, src, "/static/style.css"), 200);
        EXPECT_STATUS(pf_rl_get(c, src, "/healthz"), 200);
    }
}

/* docs/portal.md: QR images cost only when the code is unknown. */
static void test_rate_limit_qr_of_a_known_code_costs_nothing(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.5";
    for (int i = 0; i < RL_LIMIT + 5; i++)
        EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->valid.code)), 200);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->valid.code)), 200);
}

/* docs/portal.md: a client out of tokens gets 429 for the QR of any code,
 * known or not: had only unknown codes been refused, the QR route would have
 * told it, without limit, which codes exist. */
static void test_rate_limit_qr_tells_nothing_once_the_bucket_is_empty(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.8";
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[0])), 404);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[1])), 404);
    resp_t *known = pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->valid.code));
    resp_t *unknown = pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->unknown[2]));
    resp_t *png = pf_rl_get(c, src, harness_printf("/v/%s/qr.png", c->valid.code));
    expect_429(known);
    expect_429(unknown);
    expect_429(png);
}

/* docs/portal.md: /lookup with a bad code is a miss (5 tokens); a good one
 * only redirects, and costs nothing. */
static void test_rate_limit_bad_lookups_cost_five_and_good_ones_nothing(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.6";
    for (int i = 0; i < RL_LIMIT + 5; i++)
        EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/lookup?code=%s", pf_lower(c->valid.code))), 303);
    const char *typo = harness_printf("/lookup?code=%s", pf_bad_check(c->valid.code));
    EXPECT_STATUS(pf_rl_get(c, src, typo), 400);
    EXPECT_STATUS(pf_rl_get(c, src, typo), 400);
    expect_429(pf_rl_get(c, src, typo));
}

/* docs/portal.md: behind a --trusted-proxy (here 127.0.0.20), the client is
 * the address that proxy put last in X-Forwarded-For, each with its own
 * bucket and its own /24 in the access log; from any other peer the header
 * is the client's own and is not believed. */
static void test_rate_limit_believes_x_forwarded_for_only_from_a_trusted_proxy(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *path = harness_printf("/v/%s", c->valid.code);
    resp_t *r = NULL;
    int served = 0;
    for (int i = 0; i < RL_LIMIT + 3; i++) {
        r = http_request("127.0.0.20", c->rl_port, "GET", path, "X-Forwarded-For: 198.51.100.1\r\n", NULL, 0);
        served += r->status == 200;
    }
    expect_429(r);
    EXPECT(r, served <= RL_LIMIT, "expected at most %d answers for one forwarded client, got %d", RL_LIMIT,
           served);
    /* another client behind the same proxy has its own bucket; what a client
     * wrote itself before the proxy's address is not the client */
    EXPECT_STATUS(
        http_request("127.0.0.20", c->rl_port, "GET", path, "X-Forwarded-For: 198.51.100.2\r\n", NULL, 0),
        200);
    EXPECT_STATUS(
        http_request("127.0.0.20", c->rl_port, "GET", path,
                     "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.9, 2001:db8::7\r\n", NULL,
                     0),
        200);
    /* from a peer that is not a trusted proxy, the header changes nothing */
    served = 0;
    for (int i = 0; i < RL_LIMIT + 3; i++) {
        const char *fwd = harness_printf("X-Forwarded-For: 198.51.100.%d\r\n", 50 + i);
        r = http_request("127.0.0.21", c->rl_port, "GET", path, fwd, NULL, 0);
        served += r->status == 200;
    }
    expect_429(r);
    EXPECT(r, served <= RL_LIMIT,
           "expected at most %d answers for 127.0.0.21 whatever its X-Forwarded-For, got %d", RL_LIMIT,
           served);
    const char *needles[] = {"198.51.100.0 - - ", "2001:db8:: - - "};
    char *log = harness_read_file(harness_printf("%s/access-rl.log", c->tmp), NULL);
    for (int tries = 0; tries < 60 && !(log && strstr(log, needles[0]) && strstr(log, needles[1])); tries++) {
        harness_sleep_ms(50);
        log = harness_read_file(harness_printf("%s/access-rl.log", c->tmp), NULL);
    }
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1]))
        fail_msg("expected access log lines for the forwarded clients 198.51.100.0/24 and 2001:db8::/48");
    EXPECT(r, strstr(log, "198.51.100.50") == NULL && strstr(log, "198.51.100.0 - - ") != NULL,
           "expected no untrusted X-Forwarded-For address in the access log");
}

/* docs/portal.md: each code of a batch verify is a lookup. A batch of 100
 * unknown codes runs out of tokens after two of them (5 each, 10 tokens)
 * and is answered 429, as the same lookups one by one would be; the client
 * then waits. (Before, the whole batch was answered and the debt capped.) */
static void test_rate_limit_batch_verify_pays_for_each_code(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *body = "{\"codes\": [";
    for (int i = 0; i < 100; i++)
        body = harness_printf("%s%s\"%.15s%c\"", body, i ? "," : "", c->unknown[i % 4],
                              "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[i % 32]);
    body = harness_printf("%s]}", body);
    resp_t *r = http_request("127.0.0.22", c->rl_port, "POST", "/api/v1/verify",
                             "Content-Type: application/json\r\n", body, strlen(body));
    expect_429(r);
    expect_429(pf_rl_get(c, "127.0.0.22", harness_printf("/v/%s", c->valid.code)));
}

/* docs/portal.md: with --metrics-listen, /metrics is only there. */
static void test_metrics_listen_moves_metrics_off_the_public_listener(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    resp_t *r = pf_rl_get(c, "127.0.0.7", "/metrics");
    EXPECT(r, r->status == 404,
           "expected 404 for /metrics on the public listener with --metrics-listen, got %d", r->status);
    r = http_request("127.0.0.7", c->rl_metrics_port, "GET", "/metrics", NULL, NULL, 0);
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "hocba_");
    r = http_request("127.0.0.7", c->rl_metrics_port, "POST", "/metrics", NULL, "x", 1);
    EXPECT_STATUS(r, 405);
    const char *allow = http_header(r, "allow");
    EXPECT(r, allow && strcmp(allow, "GET, HEAD") == 0, "expected Allow: GET, HEAD on /metrics, got %s",
           allow ? allow : "none");
}

/* hocba_open_connections{thread="i"} from the metrics listener, or -1. */
static int open_connections(ctx_t *c, int thread)
{
    resp_t *r = http_request("127.0.0.7", c->rl_metrics_port, "GET", "/metrics", NULL, NULL, 0);
    const char *needle = harness_printf("hocba_open_connections{thread=\"%d\"} ", thread);
    const char *at = r->status == 200 && r->body ? strstr(r->body, needle) : NULL;
    return at ? atoi(at + strlen(needle)) : -1;
}

/* Keep-alive clients stay on the thread that accepted them: connections go
 * to a thread with the fewest, so six clients that connect one after the
 * other are served three by each of the two threads. */
static void test_connections_are_spread_evenly_over_threads(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->rl_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *req = harness_printf("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", c->rl_port);
    int fds[6], n = 0;
    for (; n < 6; n++) {
        char tmp[512];
        struct pollfd p = {.events = POLLIN};
        fds[n] = p.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[n] < 0 || connect(fds[n], (struct sockaddr *)&a, sizeof a) != 0 ||
            send(fds[n], req, strlen(req), 0) <= 0 || poll(&p, 1, HTTP_TIMEOUT_MS) <= 0 ||
            recv(fds[n], tmp, sizeof tmp, 0) <= 0)
            break;
    }
    int t0 = open_connections(c, 0), t1 = open_connections(c, 1);
    for (int i = 0; i <= n && i < 6; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (n < 6)
        fail_msg("expected six keep-alive clients to be answered, client %d was not", n + 1);
    if (t0 != 3 || t1 != 3)
        fail_msg("expected 3 and 3 open connections on the two threads, got %d and %d", t0, t1);
    long start = harness_now_ms();
    while ((t0 = open_connections(c, 0)) + (t1 = open_connections(c, 1)) != 0 &&
           harness_now_ms() - start < HTTP_TIMEOUT_MS)
        harness_sleep_ms(20);
    if (t0 != 0 || t1 != 0)
        fail_msg("expected no open connection once the clients left, got %d and %d", t0, t1);
}

static void test_rate_limited_portal_stops_on_sigterm_with_exit_0(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    pid_t pid = c->rl_pid;
    /* an idle keep-alive connection, as a browser leaves one */
    int idle = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->rl_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *req = harness_printf("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", c->rl_port);
    char tmp[512];
    if (idle >= 0 && connect(idle, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(idle, req, strlen(req), 0) > 0) {
        struct pollfd p = {.fd = idle, .events = POLLIN};
        if (poll(&p, 1, HTTP_TIMEOUT_MS) > 0 && recv(idle, tmp, sizeof tmp, 0) > 0) {
        }
    }
    int st;
    int ended = harness_stop(pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    c->rl_pid = 0;
    if (idle >= 0)
        close(idle);
    if (!ended || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        harness_dump_file_tail("rate-limited portal output", c->rl_err);
        fail_msg(
            "expected exit status 0 within %d ms of SIGTERM (one idle keep-alive connection open), got: %s%s",
            STOP_TIMEOUT_MS, ended ? harness_wait_status_text(st) : "still running (killed)",
            harness_sanitizer_note(c->rl_err));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_limit_serves_a_code_at_most_n_times_then_429),
        cmocka_unit_test(test_rate_limit_misses_cost_five),
        cmocka_unit_test(test_rate_limit_believes_x_forwarded_for_only_from_a_trusted_proxy),
        cmocka_unit_test(test_rate_limit_batch_verify_pays_for_each_code),
        cmocka_unit_test(test_rate_limit_never_applies_to_home_static_and_healthz),
        cmocka_unit_test(test_rate_limit_qr_of_a_known_code_costs_nothing),
        cmocka_unit_test(test_rate_limit_qr_tells_nothing_once_the_bucket_is_empty),
        cmocka_unit_test(test_rate_limit_bad_lookups_cost_five_and_good_ones_nothing),
        cmocka_unit_test(test_metrics_listen_moves_metrics_off_the_public_listener),
        cmocka_unit_test(test_connections_are_spread_evenly_over_threads),
        cmocka_unit_test(test_rate_limited_portal_stops_on_sigterm_with_exit_0),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
