/* test_operations.c — running the portal as a service: TLS with HTTP/2 by
 * ALPN and HSTS, no cleartext HTTP/2, log reopening on SIGHUP. The real
 * binary on loopback; TLS spoken by the stock openssl s_client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"

static char dir[256], db[300], logpath[300];
static int port;
static pid_t portal = -1;

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Output of a shell command, at most n-1 bytes. */
static size_t capture(const char *cmd, char *out, size_t n)
{
    FILE *p = popen(cmd, "r");
    size_t got = 0;
    if (p == NULL)
        return 0;
    while (got + 1 < n) {
        size_t r = fread(out + got, 1, n - 1 - got, p);
        if (r == 0)
            break;
        got += r;
    }
    out[got] = '\0';
    pclose(p);
    return got;
}

static int tls_up(void)
{
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd,
             "printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 5 "
             "openssl s_client "
             "-connect 127.0.0.1:%d -alpn http/1.1 -quiet 2>/dev/null",
             port);
    capture(cmd, out, sizeof out);
    return strstr(out, "200 OK") != NULL;
}

static int setup(void **state)
{
    (void)state;
    char cmd[2048], portstr[32], listen[64], url[64], cert[300], key[300];
    const char *bin = getenv("HOCBA_BIN") ? getenv("HOCBA_BIN") : "bin";
    snprintf(dir, sizeof dir, "/tmp/hocba-test-ops-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(db, sizeof db, "%s/index", dir);
    snprintf(logpath, sizeof logpath, "%s/access.log", dir);
    snprintf(cert, sizeof cert, "%s/tls.pem", dir);
    snprintf(key, sizeof key, "%s/tls.key", dir);
    snprintf(cmd, sizeof cmd,
             "%s/hocba-demo --out %s/demo --students 4 --seed 2 >/dev/null && "
             "%s/hocba-publish --db %s trust %s/demo/trust/anchors.pem %s/demo/trust/intermediates.pem "
             ">/dev/null && "
             "%s/hocba-publish --db %s schools %s/demo/schools.json >/dev/null && "
             "%s/hocba-publish --db %s batch %s/demo/batch >/dev/null && "
             /* RSA, as most deployments: static-RSA key exchange is possible at all */
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
             "-subj /CN=localhost -days 2 2>/dev/null",
             bin, dir, bin, db, dir, dir, bin, db, dir, bin, db, dir, key, cert);
    if (run(cmd) != 0)
        return -1;
    port = harness_free_port();
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    char exe[300];
    snprintf(exe, sizeof exe, "%s/hocba-portal", bin);
    portal = fork();
    if (portal == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(exe, exe, "--db", db, "--listen", listen, "--public-url", url, "--tls-cert", cert, "--tls-key",
              key, "--access-log", logpath, "--rate-limit", "0", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !tls_up(); i++)
        usleep(100000);
    return tls_up() ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    int status = 0;
    if (portal > 0) {
        kill(portal, SIGTERM);
        for (int i = 0; i < 50 && waitpid(portal, &status, WNOHANG) == 0; i++)
            usleep(100000);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void test_tls_offers_http2_by_alpn(void **state)
{
    (void)state;
    char cmd[512], out[8192];
    snprintf(cmd, sizeof cmd,
             "timeout 5 openssl s_client -connect 127.0.0.1:%d -alpn h2,http/1.1 </dev/null 2>&1", port);
    capture(cmd, out, sizeof out);
    if (strstr(out, "ALPN protocol: h2") == NULL)
        fail_msg("expected the server to pick h2 by ALPN; s_client said:\n%.2000s", out);
}

static void test_tls_answers_carry_hsts(void **state)
{
    (void)state;
    char cmd[512], out[16384];
    snprintf(cmd, sizeof cmd,
             "printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 5 openssl "
             "s_client "
             "-connect 127.0.0.1:%d -alpn http/1.1 -quiet 2>/dev/null",
             port);
    capture(cmd, out, sizeof out);
    if (strstr(out, "200 OK") == NULL || strstr(out, "strict-transport-security: max-age=") == NULL)
        fail_msg("expected 200 with Strict-Transport-Security over TLS, got:\n%.1500s", out);
}

static void test_tls_refuses_tls_1_1(void **state)
{
    (void)state;
    char cmd[512], out[8192];
    snprintf(cmd, sizeof cmd,
             "timeout 5 openssl s_client -connect 127.0.0.1:%d -tls1_1 </dev/null 2>&1; echo rc=$?", port);
    capture(cmd, out, sizeof out);
    if (strstr(out, "Cipher is (NONE)") == NULL && strstr(out, "alert") == NULL &&
        strstr(out, "rc=1") == NULL)
        fail_msg("expected a TLS 1.1 handshake to fail, got:\n%.1500s", out);
}

/* TLS 1.2 offers ECDHE with AEAD only (Mozilla "intermediate" without
 * DHE): a client that offers one suite gets it, or no handshake at all. */
static void test_tls12_offers_only_ecdhe_with_aead(void **state)
{
    (void)state;
    static const struct {
        const char *suite;
        int offered;
    } cases[] = {
        {"ECDHE-RSA-AES128-GCM-SHA256", 1},
        {"ECDHE-RSA-AES256-GCM-SHA384", 1},
        {"ECDHE-RSA-CHACHA20-POLY1305", 1},
        {"AES128-GCM-SHA256", 0}, /* static RSA: no forward secrecy */
        {"AES256-GCM-SHA384", 0},
        {"AES128-SHA", 0}, /* static RSA and CBC */
        {"AES256-SHA256", 0},
        {"ECDHE-RSA-AES128-SHA", 0}, /* CBC: Lucky13 */
        {"ECDHE-RSA-AES256-SHA384", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cmd[512], out[8192], want[128];
        snprintf(
            cmd, sizeof cmd,
            "timeout 5 openssl s_client -connect 127.0.0.1:%d -tls1_2 -cipher %s </dev/null 2>&1; echo rc=$?",
            port, cases[i].suite);
        capture(cmd, out, sizeof out);
        snprintf(want, sizeof want, "Cipher is %s", cases[i].suite);
        if ((strstr(out, want) != NULL) != cases[i].offered)
            fail_msg("TLS 1.2 suite %s: expected it %s, s_client said:\n%.1500s", cases[i].suite,
                     cases[i].offered ? "negotiated" : "refused", out);
    }
}

static void test_tls13_is_offered(void **state)
{
    (void)state;
    char cmd[512], out[8192];
    snprintf(cmd, sizeof cmd, "timeout 5 openssl s_client -connect 127.0.0.1:%d -tls1_3 </dev/null 2>&1",
             port);
    capture(cmd, out, sizeof out);
    if (strstr(out, "New, TLSv1.3, Cipher is TLS_") == NULL)
        fail_msg("expected a TLS 1.3 handshake, s_client said:\n%.1500s", out);
}

static void test_sighup_reopens_the_access_log(void **state)
{
    (void)state;
    char moved[320], out[4096];
    struct stat st;
    snprintf(moved, sizeof moved, "%s.1", logpath);
    assert_int_equal(stat(logpath, &st), 0);
    assert_int_equal(rename(logpath, moved), 0); /* what logrotate does */
    assert_int_equal(kill(portal, SIGHUP), 0);
    usleep(200000);
    assert_true(tls_up());
    assert_true(tls_up());
    if (stat(logpath, &st) != 0)
        fail_msg("expected a new %s after SIGHUP: %s", logpath, strerror(errno));
    FILE *f = fopen(logpath, "r");
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    out[n] = '\0';
    if (strstr(out, "/healthz") == NULL)
        fail_msg("expected the requests after SIGHUP in the new log, got: %s", out);
}

/* Cleartext HTTP/2 is off: a prior-knowledge preface on a cleartext
 * listener gets no HTTP/2 server preface (docs/operations.md). */
static void test_cleartext_http2_prior_knowledge_is_refused(void **state)
{
    (void)state;
    char cmd[1400];
    int p2 = harness_free_port();
    const char *bin = getenv("HOCBA_BIN") ? getenv("HOCBA_BIN") : "bin";
    snprintf(cmd, sizeof cmd,
             "%s/hocba-portal --db %s --listen 127.0.0.1:%d >/dev/null 2>&1 & pid=$!; "
             "for i in $(seq 50); do printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | timeout 1 bash -c 'exec "
             "3<>/dev/tcp/127.0.0.1/%d; cat >&3; cat <&3' "
             "2>/dev/null | grep -q '200 OK' && break; sleep 0.1; done; "
             "printf 'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n\\000\\000\\000\\004\\000\\000\\000\\000\\000' "
             "| timeout 3 bash -c "
             "'exec 3<>/dev/tcp/127.0.0.1/%d; cat >&3; cat <&3' 2>/dev/null | od -An -tx1 | head -c 60 > "
             "%s/h2c.out; "
             "kill $pid; wait $pid",
             bin, db, p2, p2, p2, dir);
    run(cmd);
    char path[320], out[256] = "";
    snprintf(path, sizeof path, "%s/h2c.out", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    /* an HTTP/2 server preface is a SETTINGS frame: type 04 at byte 4 */
    if (strncmp(out, " 00 00", 6) == 0 && strstr(out, " 04 ") == out + 9)
        fail_msg("the cleartext listener answered an HTTP/2 preface: %s", out);
}

static void test_metrics_show_index_age_counts_and_trust_version(void **state)
{
    (void)state;
    char cmd[512], out[16384];
    snprintf(
        cmd, sizeof cmd,
        "printf 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 5 openssl "
        "s_client -connect 127.0.0.1:%d -alpn http/1.1 -quiet 2>/dev/null",
        port);
    capture(cmd, out, sizeof out);
    const char *want[] = {"hocba_index_age_seconds ",
                          "hocba_trust_version 3",
                          "hocba_index_transcripts ",
                          "hocba_index_recalls ",
                          "hocba_index_readable 1",
                          "hocba_request_seconds_bucket",
                          "hocba_cache_lookups_total{result=\"hit\"}",
                          "hocba_verdicts_total{status=\"valid\"}"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (strstr(out, want[i]) == NULL)
            fail_msg("expected \"%s\" in /metrics, got:\n%.3000s", want[i], out);
    const char *n = strstr(out, "\nhocba_index_transcripts ");
    if (n == NULL || atoi(n + strlen("\nhocba_index_transcripts ")) < 4)
        fail_msg("expected at least the 4 demo transcripts counted, got: %.40s", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_offers_http2_by_alpn),
        cmocka_unit_test(test_tls_answers_carry_hsts),
        cmocka_unit_test(test_tls_refuses_tls_1_1),
        cmocka_unit_test(test_tls12_offers_only_ecdhe_with_aead),
        cmocka_unit_test(test_tls13_is_offered),
        cmocka_unit_test(test_sighup_reopens_the_access_log),
        cmocka_unit_test(test_cleartext_http2_prior_knowledge_is_refused),
        cmocka_unit_test(test_metrics_show_index_age_counts_and_trust_version),
    };
    return cmocka_run_group_tests_name("operations", tests, setup, teardown);
}
