/* test_portal_ops.c — hocba-portal as operators run it (cli.md, docs/portal.md): its access log
 * (no lookup code in any spelling, no name, client addresses cut to /24), start-up failures (exit 2,
 * one line), an index of format 3 refused until `hocba-publish status` upgrades it, and the stop on
 * SIGTERM, which runs last. The group (a portal serving the demo data) and the helpers are
 * tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: access log --------------------------------------------------------------------- */

/* The log, once it has a line holding each needle (the portal may write a
 * line after the answer); NULL after 3 s. */
static char *log_with(ctx_t *c, const char *const *needles, size_t n)
{
    long start = harness_now_ms();
    for (;;) {
        size_t len;
        char *log = harness_read_file(c->log, &len);
        size_t found = 0;
        for (size_t i = 0; log && i < n; i++)
            found += strstr(log, needles[i]) != NULL;
        if (log && found == n)
            return log;
        if (harness_now_ms() - start > 3000)
            return log;
        harness_sleep_ms(50);
    }
}

static void expect_log_lacks(ctx_t *c, const char *log, const char *needle, const char *what)
{
    const char *at = strcasestr(log, needle);
    if (at) {
        const char *ls = at;
        while (ls > log && ls[-1] != '\n')
            ls--;
        size_t ll = strcspn(ls, "\n");
        fail_msg("expected the access log %s never to hold %s (%s), this line does: %.*s", c->log, what,
                 needle, (int)(ll > 400 ? 400 : ll), ls);
    }
}

/* The line of log holding needle, copied, or NULL. */
static const char *log_line(const char *log, const char *needle)
{
    const char *at = strstr(log, needle);
    if (!at)
        return NULL;
    const char *ls = at;
    while (ls > log && ls[-1] != '\n')
        ls--;
    return harness_strndup(ls, strcspn(ls, "\n"));
}

static void test_access_log_has_lines_without_code_or_name(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    size_t before = 0;
    harness_read_file(c->log, &before);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", code)), 200);
    EXPECT_STATUS(pf_get(c, harness_api_path(code)), 200);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", pf_grouped(code))), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?code=%s", pf_lower(pf_grouped(code)))), 303);
    const char *needles[] = {"GET /v/", "GET /api/v1/transcripts/", "GET /lookup?code="};
    long start = harness_now_ms();
    const char *fresh = "";
    char *log = NULL;
    for (;;) {
        size_t len;
        log = harness_read_file(c->log, &len);
        fresh = log && len > before ? log + before : "";
        int all = 1;
        for (size_t i = 0; i < 3; i++)
            all &= strstr(fresh, needles[i]) != NULL;
        if (all || harness_now_ms() - start > 3000)
            break;
        harness_sleep_ms(50);
    }
    if (!log)
        fail_msg("expected an access log at %s, there is none", c->log);
    for (size_t i = 0; i < 3; i++)
        if (!strstr(fresh, needles[i])) {
            harness_dump_file_tail("access log", c->log);
            fail_msg(
                "expected a new line with \"%s\" in the access log within 3 s of the request, found none",
                needles[i]);
        }
    const char *v = log_line(fresh, "GET /v/"), *a = log_line(fresh, "GET /api/v1/transcripts/");
    if (!strstr(v, " 200 ") || !strstr(a, " 200 "))
        fail_msg("expected the new /v/ and API lines to show status 200, got \"%s\" and \"%s\"", v, a);
    expect_log_lacks(c, log, code, "the lookup code");
    expect_log_lacks(c, log, pf_grouped(code), "the grouped lookup code");
    expect_log_lacks(c, log, c->valid2.name, "the pupil's name");
    for (size_t i = 0; i < c->ncodes; i++)
        expect_log_lacks(c, log, c->codes[i].code, "a lookup code");
    expect_log_lacks(c, log, c->xss.code, "a lookup code");
}

/* http.md: logs never hold a full lookup code, in whatever spelling it was
 * typed: with separators dropped and letters upper-cased, no line may
 * contain a published code. */
static void test_access_log_holds_no_code_in_any_spelling(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code, *lc = pf_lower(code);
    const char *typed[] = {harness_printf("%.4s%%20%.4s%%20%.4s%%20%.4s", lc, lc + 4, lc + 8, lc + 12),
                           harness_printf("%.4s+%.4s+%.4s+%.4s", lc, lc + 4, lc + 8, lc + 12),
                           harness_printf("%.4s.%.4s.%.4s.%.4s", code, code + 4, code + 8, code + 12),
                           harness_printf("%.2s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s", code, code + 2, code + 4,
                                          code + 6, code + 8, code + 10, code + 12, code + 14)};
    for (size_t i = 0; i < 4; i++)
        EXPECT_STATUS(pf_get(c, harness_printf("/lookup?code=%s", typed[i])), 303);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[2])), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[3])), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/print", typed[2])), 301);
    EXPECT_STATUS(pf_get(c, harness_api_path(typed[2])), 200);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[0])),
                  404); /* '%' is not a path character of a code */
    const char *needles[] = {"GET /lookup?code="};
    size_t len;
    harness_sleep_ms(200);
    char *log = log_with(c, needles, 1);
    if (!log)
        fail_msg("expected an access log at %s, there is none", c->log);
    len = strlen(log);
    char *norm = harness_malloc(len + 1), *o = norm;
    for (size_t i = 0; i < len; i++) {
        if (log[i] == '%' && i + 2 < len && log[i + 1] == '2' && log[i + 2] == '0') {
            i += 2;
            continue;
        }
        if (strchr("-. +", log[i]) && log[i] != '\n')
            continue;
        *o++ = (char)toupper((unsigned char)log[i]);
    }
    *o = '\0';
    const char *at = strstr(norm, code);
    if (at) {
        harness_dump_file_tail("access log", c->log);
        fail_msg(
            "expected no line of the access log to spell %s (separators dropped, upper-cased); one does, "
            "near \"%.60s\"",
            code, at - norm > 30 ? at - 30 : norm);
    }
}

/* docs/portal.md: the value of a code parameter is hashed wherever it
 * stands in the query (the lookup form puts a chosen language first), a
 * code typed with separators a code does not allow ('_') is still a code,
 * and a long path is scrubbed whole before the line is cut, so no part of a
 * code straddles the cut. Not even its first 8 symbols may show. */
static void test_access_log_hashes_a_code_anywhere_in_the_query(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    char pad[400];
    memset(pad, '_', 373);
    pad[373] = '\0';
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?lang=en&code=%.4s_%.4s_%.4s_%.4s", code, code + 4,
                                           code + 8, code + 12)),
                  400);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?lang=en&code=%.8s", code)), 400);
    EXPECT_STATUS(pf_get(c, harness_printf("/?q=%.4s_%.4s_%.4s_%.4s", code, code + 4, code + 8, code + 12)),
                  200);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?x=%s&code=%s", pad, code)), 303);
    const char *needles[] = {"GET /lookup?lang=en&code=h:", "GET /?q=h:", "GET /lookup?x=___"};
    char *log = log_with(c, needles, 3);
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1]) || !strstr(log, needles[2])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected hashed lines for /lookup?lang=en&code=, /?q= and /lookup?x= in %s", c->log);
    }
    size_t len = strlen(log);
    char *norm = harness_malloc(len + 1), *o = norm;
    for (size_t i = 0; i < len; i++)
        if (!strchr("_-. +", log[i]))
            *o++ = (char)toupper((unsigned char)log[i]);
    *o = '\0';
    const char *at = strstr(norm, harness_printf("%.8s", code));
    if (at) {
        harness_dump_file_tail("access log", c->log);
        fail_msg(
            "expected no line of the access log to hold the first 8 symbols of %s, one does, near \"%.60s\"",
            code, at - norm > 30 ? at - 30 : norm);
    }
}

/* Under /static/ only the files the portal serves are logged as they are:
 * a code anywhere else there, in the path or the query, is hashed. */
static void test_access_log_hashes_a_code_under_static(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    EXPECT_STATUS(pf_get(c, harness_printf("/static/%s", code)), 404);
    EXPECT_STATUS(pf_get(c, harness_printf("/static/style.css?code=%s", code)), 200);
    EXPECT_STATUS(pf_get(c, "/static/openapi.json"), 200);
    const char *needles[] = {"GET /static/openapi.json ", "GET /static/style.css?code="};
    char *log = log_with(c, needles, 2);
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected lines for GET /static/openapi.json and /static/style.css?code= in %s", c->log);
    }
    expect_log_lacks(c, log, code, "the lookup code");
}

/* docs/portal.md: the client address cut to /24. */
static void test_access_log_cuts_client_address_to_24(void **state)
{
    ctx_t *c = *state;
    /* short runs only: runs of 12 or more code-like characters are hashed */
    EXPECT_STATUS(pf_get(c, "/?lang=en&x=1"), 200);
    const char *needles[] = {"GET /?lang=en&x=1 "};
    char *log = log_with(c, needles, 1);
    if (!log || !strstr(log, needles[0])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected a line for GET /?lang=en&x=1 in %s, found none", c->log);
    }
    expect_log_lacks(c, log, "127.0.0.1", "the full client address");
}

/* ---- tests: start-up failures and shutdown ---------------------------------------------------- */

/* Run the portal with args; it must exit on its own within 10 s. */
static void run_portal(ctx_t *c, harness_run_t *r, const char *const *args)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = c->portal_bin;
    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    harness_run(r, NULL, argv, 10000);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strspn(p, " \t\r") < len)
            n++;
        p += len + (nl != NULL);
    }
    return n;
}

static void test_start_with_missing_db_exits_2_with_one_line(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db", harness_printf("%s/no-such-index", c->tmp), "--listen",
                          harness_printf("127.0.0.1:%d", harness_free_port()), NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
    struct stat sb;
    HARNESS_CHECK_RUN(stat(args[1], &sb) != 0, &r,
                      "expected the portal not to create %s (it only reads), it exists", args[1]);
}

static void test_start_on_a_port_in_use_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db", c->db, "--listen", harness_printf("127.0.0.1:%d", c->port), NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
    pf_expect_alive(c);
}

static void test_start_with_unknown_option_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {
        "--db", c->db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()), "--no-such-option",
        NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
}

/* --public-url values refused at start with a one-line reason. Pages and QR codes carry the public
 * URL as given: a host name must be in its ASCII (xn--) form. The portal's links start at the root of
 * its host, so a URL with a path would work in QR codes only (a trailing slash is not a path). */
static const struct {
    const char *url, *reason;
} BAD_PUBLIC_URLS[] = {
    {"https://tra-c\xE1\xBB\xA9u.h\xE1\xBB\x8D"
     "cba.vn",
     "xn--"},
    {"https://moet.example.vn/hocba", "without a path"},
};

static void test_start_with_a_public_url_it_cannot_serve_exits_2(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < sizeof BAD_PUBLIC_URLS / sizeof *BAD_PUBLIC_URLS; i++) {
        harness_run_t r;
        const char *args[] = {"--db",
                              c->db,
                              "--listen",
                              harness_printf("127.0.0.1:%d", harness_free_port()),
                              "--public-url",
                              BAD_PUBLIC_URLS[i].url,
                              NULL};
        run_portal(c, &r, args);
        HARNESS_EXPECT_EXIT(&r, 2);
        HARNESS_CHECK_RUN(count_lines(r.err) == 1 && strstr(r.err, BAD_PUBLIC_URLS[i].reason) != NULL, &r,
                          "--public-url %s: expected a one-line reason naming \"%s\", got: %s",
                          BAD_PUBLIC_URLS[i].url, BAD_PUBLIC_URLS[i].reason, r.err);
    }
}

/* ---- tests: an index of format 3 (docs/index-format.md) ----------------------------------------- */

/* Start a portal on db (--cache-entries 0) and wait for its /healthz;
 * c->other_pid is it. Returns its port. */
static int start_other_portal(ctx_t *c, const char *db)
{
    int port = harness_free_port();
    assert_true(port > 0);
    const char *err = harness_printf("%s/portal-other.err", c->tmp);
    const char *listen = harness_printf("127.0.0.1:%d", port);
    const char *argv[] = {c->portal_bin,     "--db", db,  "--listen", listen, "--rate-limit", "0",
                          "--cache-entries", "0",    NULL};
    c->other_pid = harness_start_bg(argv, err, 0);
    assert_true(c->other_pid > 0);
    char why[160];
    if (http_wait_healthy(&c->other_pid, port, err, READY_TIMEOUT_MS, why, sizeof why) != 0)
        fail_msg("expected a portal on %s to start: %s", db, why);
    return port;
}

static void stop_other_portal(ctx_t *c)
{
    int st;
    if (c->other_pid > 0)
        harness_stop(c->other_pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    c->other_pid = 0;
}

/* What the API answers for a code of codes.txt: its status, "not_found" for
 * a 404, "unavailable" for a 503. */
static const char *api_answer(int port, const char *code)
{
    resp_t *r = http_request(NULL, port, "GET", harness_api_path(code), NULL, NULL, 0);
    if (r->status == 404)
        return "not_found";
    if (r->status == 503)
        return "unavailable";
    const char *s =
        r->status == 200 ? json_string_value(json_object_get(http_expect_json(r), "status")) : NULL;
    return s ? s : harness_printf("HTTP %d", r->status);
}

typedef struct {
    const char *what;
    int format;                /* the format the index is made to have (harness_make_index_format) */
    int without_intermediates; /* the anchors were given again without the intermediates bundle */
} format_3_case_t;

static const format_3_case_t FORMAT_3[] = {
    {"format 3, the demo with its CRLs: every code answers as before", 3, 0},
    /* what format 3 let through (issue 17): the issuing CA's CRL no longer
     * verified and was left out; the upgrade finds that CA among the
     * packages' certificates, and its records fail closed */
    {"format 3, the anchors given again without the intermediates: every record answers \"cannot check now\"",
     3, 1},
    /* format 6 packs new payloads with LZ4 (record format 4): the records a
     * writer of format 5 left hold zlib streams (record format 3), and read
     * as before */
    {"format 5, its records of format 3: every code answers as before", 5, 0},
};

/* package-format.md rev. 2 §6: an index written under revision 1 (format
 * 3), or by an earlier format (5) of this revision, is upgraded in place by
 * the first hocba-publish command that opens it;
 * the portal refuses it until then, naming that command, and afterwards
 * every code answers as before (codes.txt: the demo with its CRLs). Running
 * the command again changes nothing. An index left with a CRL that no longer
 * verified comes out of the upgrade failing closed. */
static void test_older_index_is_refused_by_the_portal_until_status_upgrades_it(void **state)
{
    ctx_t *c = *state;
    for (size_t k = 0; k < sizeof FORMAT_3 / sizeof *FORMAT_3; k++) {
        const format_3_case_t *fc = &FORMAT_3[k];
        const char *db = harness_printf("%s/format-%d-%zu", c->tmp, fc->format, k);
        const char *anchors = harness_printf("%s/trust/anchors.pem", c->demo);
        harness_run_t r;
        PUBLISH_TO_OK(c, db, "trust", anchors, harness_printf("%s/trust/intermediates.pem", c->demo));
        PUBLISH_TO_OK(c, db, "schools", harness_printf("%s/schools.json", c->demo));
        PUBLISH_TO_OK(c, db, "batch", harness_printf("%s/batch", c->demo));
        PUBLISH_TO_OK(c, db, "crl", harness_printf("%s/trust/issuing-ca.crl", c->demo),
                      harness_printf("%s/trust/root-ca.crl", c->demo));
        if (fc->without_intermediates)
            PUBLISH_TO_OK(c, db, "trust", anchors, "--drop-unverifiable-crls");
        harness_make_index_format(db, fc->format);

        const char *args[] = {"--db", db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()),
                              NULL};
        run_portal(c, &r, args);
        HARNESS_EXPECT_EXIT(&r, 2);
        const char *cmd = harness_printf("hocba-publish --db %s status", db);
        HARNESS_CHECK_RUN(count_lines(r.err) == 1 && strstr(r.err, cmd) != NULL, &r,
                          "%s: expected one line naming `%s`, the command that upgrades the index", fc->what,
                          cmd);

        pf_publish_to(c, db, &r, "status", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        const char *said = harness_printf("from format %d to 6", fc->format);
        HARNESS_CHECK_RUN(strstr(r.err, "upgraded") != NULL && strstr(r.err, said) != NULL, &r,
                          "%s: expected the publisher to say it upgraded %s", fc->what, said);
        long version = harness_count_of(r.out, "trust_version", 0);
        pf_publish_to(c, db, &r, "status", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(
            strstr(r.err, "upgraded") == NULL && harness_count_of(r.out, "trust_version", 0) == version, &r,
            "%s: expected a second status to change nothing (trust_version %ld)", fc->what, version);

        int port = start_other_portal(c, db);
        for (size_t i = 0; i < c->ncodes; i++) {
            const harness_code_t *e = &c->codes[i];
            const char *want = strcmp(e->expect, "recall-notice") == 0       ? "not_found"
                               : fc->without_intermediates                   ? "unavailable"
                               : strcmp(e->expect, "invalid-after-crl") == 0 ? "invalid"
                                                                             : e->expect;
            const char *got = api_answer(port, e->code);
            if (strcmp(got, want) != 0) {
                stop_other_portal(c);
                fail_msg("%s: after the upgrade, expected %s for %s (%s), got %s", fc->what, want, e->code,
                         e->desc, got);
            }
        }
        stop_other_portal(c);
    }
}

/* An upgrade in place under a running portal (the newer programs'
 * hocba-publish on the index it serves) changes the format under it: the
 * portal, which reads the format once a second, stops with exit status 2
 * saying why, rather than answer "cannot check now" for every record the
 * newer programs write (systemd starts the installed programs again:
 * deploy/hocba-portal.service). */
static void test_portal_stops_when_its_index_changes_format_under_it(void **state)
{
    ctx_t *c = *state;
    const char *db = harness_printf("%s/format-under", c->tmp);
    PUBLISH_TO_OK(c, db, "trust", harness_printf("%s/trust/anchors.pem", c->demo),
                  harness_printf("%s/trust/intermediates.pem", c->demo));
    int port = start_other_portal(c, db);
    EXPECT_STATUS(http_request(NULL, port, "GET", "/healthz", NULL, NULL, 0), 200);
    harness_make_index_format(db, 7);
    long start = harness_now_ms();
    int st = 0;
    while (waitpid(c->other_pid, &st, WNOHANG) != c->other_pid) {
        if (harness_now_ms() - start > 5000) {
            stop_other_portal(c);
            fail_msg("expected the portal to stop within 5 s of its index's format becoming 7");
        }
        harness_sleep_ms(50);
    }
    c->other_pid = 0;
    const char *err = harness_read_file(harness_printf("%s/portal-other.err", c->tmp), NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || err == NULL || strstr(err, "now has format 7") == NULL ||
        strstr(err, "reads format 6") == NULL)
        fail_msg("expected exit status 2 and a line saying the index now has format 7 and this program reads "
                 "format 6; got %s and:\n%s",
                 harness_wait_status_text(st), err ? err : "(no output)");
}

/* ---- tests: shutdown (the last test: it stops the group's portal) ---------------------------- */

static void test_portal_stops_on_sigterm_with_exit_0(void **state)
{
    ctx_t *c = *state;
    char why[160];
    if (pf_stop_portal(c, why, sizeof why) != 0) {
        harness_dump_file_tail("portal output", c->perr);
        fail_msg("expected exit status 0 within %d ms of SIGTERM, got: %s%s", STOP_TIMEOUT_MS, why,
                 harness_sanitizer_note(c->perr));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_log_has_lines_without_code_or_name),
        cmocka_unit_test(test_access_log_holds_no_code_in_any_spelling),
        cmocka_unit_test(test_access_log_hashes_a_code_under_static),
        cmocka_unit_test(test_access_log_hashes_a_code_anywhere_in_the_query),
        cmocka_unit_test(test_access_log_cuts_client_address_to_24),
        cmocka_unit_test(test_older_index_is_refused_by_the_portal_until_status_upgrades_it),
        cmocka_unit_test(test_portal_stops_when_its_index_changes_format_under_it),
        cmocka_unit_test(test_start_with_missing_db_exits_2_with_one_line),
        cmocka_unit_test(test_start_on_a_port_in_use_exits_2),
        cmocka_unit_test(test_start_with_unknown_option_exits_2),
        cmocka_unit_test(test_start_with_a_public_url_it_cannot_serve_exits_2),
        cmocka_unit_test(test_portal_stops_on_sigterm_with_exit_0),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
