/* test_metrics.c — the portal's /metrics counters (portal/metrics.h): each
 * count lands in its series (unknown routes and statuses in "other"), the
 * latency histogram is cumulative, counting from many threads loses nothing,
 * the index and CRL gauges appear exactly when their inputs are there, and
 * the whole text is well-formed Prometheus exposition. The counters are the
 * process's, so each test compares a rendering before and after it counts.
 * The CRLs come from demo data (hocba-demo, in the group setup). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portal/metrics.h"
#include "tests/harness.h"

typedef struct {
    const char *tmp;
    trust_t *trust; /* the demo's anchors, intermediates and both CRLs */
} ctx_t;

/* The exposition as a NUL-terminated string kept until the group ends. */
static const char *render(const index_counts_t *counts, trust_t *trust, const int *conns, int nthreads)
{
    h2o_mem_pool_t pool;
    h2o_mem_init_pool(&pool);
    h2o_iovec_t out = {NULL, 0};
    metrics_render(&pool, &out, counts, trust, conns, nthreads);
    char *text = harness_strndup(out.base, out.len);
    h2o_mem_clear_pool(&pool);
    return text;
}

/* The value of the sample series (name and labels, as written) in text, or -1 when it is not there. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return -1;
}

/* A counter's value: 0 when the series is not written yet (counters of routes appear once counted). */
static double counter(const char *series)
{
    double v = sample(render(NULL, NULL, NULL, 0), series);
    return v < 0 ? 0 : v;
}

static void expect_grew(const char *series, double before, double by)
{
    double after = counter(series);
    if (after - before < by - 1e-9 || after - before > by + 1e-9)
        fail_msg("%s: expected %g more than %g, got %g", series, by, before, after);
}

static void test_metrics_counts_a_request_by_route_and_status(void **state)
{
    (void)state;
    const char *s = "hocba_requests_total{route=\"lookup\",status=\"404\"}";
    const char *other = "hocba_requests_total{route=\"page\",status=\"404\"}";
    double before = counter(s), other_before = counter(other);
    metrics_request(ROUTE_LOOKUP, 404, 0.001);
    metrics_request(ROUTE_LOOKUP, 404, 0.001);
    expect_grew(s, before, 2);
    expect_grew(other, other_before, 0);
}

static void test_metrics_counts_unknown_routes_and_statuses_as_other(void **state)
{
    (void)state;
    const char *route = "hocba_requests_total{route=\"other\",status=\"200\"}";
    const char *status = "hocba_requests_total{route=\"api\",status=\"other\"}";
    double r0 = counter(route), s0 = counter(status);
    metrics_request(-1, 200, 0);
    metrics_request(ROUTE_COUNT, 200, 0);
    metrics_request(ROUTE_API, 418, 0);
    expect_grew(route, r0, 2);
    expect_grew(status, s0, 1);
}

/* 3 ms lands in the 5 ms bucket and every one above it, not in the 2.5 ms one. */
static void test_metrics_latency_histogram_is_cumulative(void **state)
{
    (void)state;
    const char *below = "hocba_request_seconds_bucket{le=\"0.0025\"}";
    const char *at = "hocba_request_seconds_bucket{le=\"0.005\"}";
    const char *top = "hocba_request_seconds_bucket{le=\"1\"}";
    const char *inf = "hocba_request_seconds_bucket{le=\"+Inf\"}";
    double b0 = counter(below), a0 = counter(at), t0 = counter(top), i0 = counter(inf);
    double c0 = counter("hocba_request_seconds_count"), sum0 = counter("hocba_request_seconds_sum");
    metrics_request(ROUTE_HOME, 200, 0.003);
    expect_grew(below, b0, 0);
    expect_grew(at, a0, 1);
    expect_grew(top, t0, 1);
    expect_grew(inf, i0, 1);
    expect_grew("hocba_request_seconds_count", c0, 1);
    expect_grew("hocba_request_seconds_sum", sum0, 0.003);
    /* slower than the last bound: only +Inf */
    t0 = counter(top);
    i0 = counter(inf);
    metrics_request(ROUTE_HOME, 200, 5.0);
    expect_grew(top, t0, 0);
    expect_grew(inf, i0, 1);
}

static void test_metrics_counts_verdicts_any_other_as_invalid(void **state)
{
    (void)state;
    const char *valid = "hocba_verdicts_total{status=\"valid\"}";
    const char *recalled = "hocba_verdicts_total{status=\"recalled\"}";
    const char *invalid = "hocba_verdicts_total{status=\"invalid\"}";
    double v0 = counter(valid), r0 = counter(recalled), i0 = counter(invalid);
    metrics_verdict(VIEW_VALID);
    metrics_verdict(VIEW_RECALLED);
    metrics_verdict(VIEW_RECALLED);
    metrics_verdict(VIEW_INVALID);
    metrics_verdict(12345);
    expect_grew(valid, v0, 1);
    expect_grew(recalled, r0, 2);
    expect_grew(invalid, i0, 2);
}

static void test_metrics_counts_rate_limited_answers_and_cache_lookups(void **state)
{
    (void)state;
    const char *hit = "hocba_cache_lookups_total{result=\"hit\"}";
    const char *miss = "hocba_cache_lookups_total{result=\"miss\"}";
    double l0 = counter("hocba_rate_limited_total"), h0 = counter(hit), m0 = counter(miss);
    metrics_rate_limited();
    metrics_cache(1);
    metrics_cache(1);
    metrics_cache(1);
    metrics_cache(0);
    expect_grew("hocba_rate_limited_total", l0, 1);
    expect_grew(hit, h0, 3);
    expect_grew(miss, m0, 1);
}

enum { THREADS = 4, PER_THREAD = 20000 };

static void *count_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_request(ROUTE_QR, 200, 0.5);
    return NULL;
}

/* Any thread counts: four at once lose no request and no fraction of a second. */
static void test_metrics_loses_no_count_between_threads(void **state)
{
    (void)state;
    const char *s = "hocba_requests_total{route=\"qr\",status=\"200\"}";
    double n0 = counter(s), sum0 = counter("hocba_request_seconds_sum");
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, count_many, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    expect_grew(s, n0, THREADS * PER_THREAD);
    expect_grew("hocba_request_seconds_sum", sum0, THREADS * PER_THREAD * 0.5);
}

static void test_metrics_shows_each_threads_connections(void **state)
{
    (void)state;
    const int conns[3] = {5, 0, 17};
    const char *text = render(NULL, NULL, conns, 3);
    assert_true(sample(text, "hocba_open_connections{thread=\"0\"}") == 5);
    assert_true(sample(text, "hocba_open_connections{thread=\"1\"}") == 0);
    assert_true(sample(text, "hocba_open_connections{thread=\"2\"}") == 17);
    assert_true(sample(text, "hocba_open_connections{thread=\"3\"}") == -1);
}

static void test_metrics_says_when_the_index_cannot_be_read(void **state)
{
    (void)state;
    const char *text = render(NULL, NULL, NULL, 0);
    assert_true(sample(text, "hocba_index_readable") == 0);
    if (strstr(text, "hocba_index_transcripts") != NULL || strstr(text, "hocba_trust_version") != NULL)
        fail_msg("expected no index gauges without counts, got:\n%s", text);
}

static void test_metrics_shows_the_index_counts_and_age(void **state)
{
    (void)state;
    index_counts_t c;
    memset(&c, 0, sizeof c);
    c.transcripts = 1234;
    c.recalls = 5;
    c.trust_version = 9;
    const char *text = render(&c, NULL, NULL, 0);
    assert_true(sample(text, "hocba_index_readable") == 1);
    assert_true(sample(text, "hocba_index_transcripts") == 1234);
    assert_true(sample(text, "hocba_index_recalls") == 5);
    assert_true(sample(text, "hocba_trust_version") == 9);
    if (sample(text, "hocba_index_age_seconds") != -1)
        fail_msg("expected no age when nothing was ever published, got:\n%s", text);
    c.last_published = (uint64_t)time(NULL) - 100;
    double age = sample(render(&c, NULL, NULL, 0), "hocba_index_age_seconds");
    if (age < 100 || age > 110)
        fail_msg("expected an index age of about 100 seconds, got %g", age);
}

/* The demo's two CRLs, both verifying, each a series of the three CRL gauges labelled by its CA. */
static void test_metrics_shows_each_crl_of_the_trust_store(void **state)
{
    ctx_t *c = *state;
    const char *none = render(NULL, NULL, NULL, 0);
    if (strstr(none, "hocba_crl_") != NULL || strstr(none, "hocba_revocation_unchecked_issuers") != NULL)
        fail_msg("expected no CRL gauges without a trust store, got:\n%s", none);

    const char *text = render(NULL, c->trust, NULL, 0);
    const trust_crl_info_t *ci;
    size_t n = trust_crl_infos(c->trust, &ci);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        char series[256];
        snprintf(series, sizeof series, "hocba_crl_verifies{issuer=\"%s\",cn=\"%s\",number=\"%s\"}",
                 ci[i].issuer_hash, ci[i].issuer_cn, ci[i].number);
        if (sample(text, series) != 1)
            fail_msg("expected %s 1 in:\n%s", series, text);
        snprintf(series, sizeof series, "hocba_crl_age_seconds{issuer=\"%s\",cn=\"%s\",number=\"%s\"}",
                 ci[i].issuer_hash, ci[i].issuer_cn, ci[i].number);
        double age = sample(text, series);
        if (age < (double)(time(NULL) - ci[i].this_update) - 5)
            fail_msg("expected %s to be the CRL's age, got %g", series, age);
    }
    assert_non_null(strstr(text, "cn=\"Hocba DEMO Issuing CA\""));
    assert_true(sample(text, "hocba_revocation_unchecked_issuers") == 0);
}

/* Every line is a comment or a sample of a metric whose # TYPE came before it, and the text ends
 * with a newline. */
static void test_metrics_exposition_is_well_formed(void **state)
{
    ctx_t *c = *state;
    index_counts_t counts;
    memset(&counts, 0, sizeof counts);
    counts.last_published = 1;
    const int conns[2] = {1, 2};
    metrics_request(ROUTE_VERIFY, 200, 0.01);
    const char *text = render(&counts, c->trust, conns, 2);
    size_t len = strlen(text);
    assert_true(len > 0 && text[len - 1] == '\n');
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t n = (size_t)(end - line);
        if (n > 7 && (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)) {
            line = end + 1;
            continue;
        }
        size_t name = strcspn(line, "{ ");
        const char *value = memrchr(line, ' ', n); /* label values may hold spaces (a CA's CN) */
        char *num_end = NULL;
        if (value != NULL)
            strtod(value + 1, &num_end);
        if (name == 0 || value == NULL || num_end != end)
            fail_msg("not a comment or a sample: %.*s", (int)n, line);
        /* a histogram's series are typed by its base name */
        static const char *const SUFFIX[] = {"_bucket", "_sum", "_count", ""};
        int typed = 0;
        for (size_t k = 0; k < sizeof SUFFIX / sizeof SUFFIX[0] && !typed; k++) {
            size_t sl = strlen(SUFFIX[k]);
            char type[160];
            if (sl < name && strncmp(line + name - sl, SUFFIX[k], sl) == 0) {
                snprintf(type, sizeof type, "# TYPE %.*s ", (int)(name - sl), line);
                typed = strstr(text, type) != NULL && strstr(text, type) < line;
            }
        }
        if (!typed)
            fail_msg("a sample of a metric with no # TYPE before it: %.*s", (int)n, line);
        line = end + 1;
    }
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (c != NULL)
        trust_free(c->trust);
    harness_group_end(state, c != NULL ? c->tmp : NULL);
    return 0;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    if ((c->tmp = harness_make_tmp("hocba-test-metrics")) == NULL)
        return -1;
    const char *demo = harness_printf("%s/demo", c->tmp);
    if (harness_make_demo(demo, "2", "11") != 0)
        return -1;
    size_t la, li, l1, l2;
    const char *a = harness_read_file(harness_printf("%s/trust/anchors.pem", demo), &la);
    const char *in = harness_read_file(harness_printf("%s/trust/intermediates.pem", demo), &li);
    const char *crl1 = harness_read_file(harness_printf("%s/trust/issuing-ca.crl", demo), &l1);
    const char *crl2 = harness_read_file(harness_printf("%s/trust/root-ca.crl", demo), &l2);
    if (a == NULL || in == NULL || crl1 == NULL || crl2 == NULL)
        return -1;
    str_t crls[2] = {str_n(crl1, l1), str_n(crl2, l2)};
    trust_inputs_t inputs = {1, str_n(a, la), str_n(in, li), str_n(NULL, 0), 2, crls, 0, NULL};
    char why[TRUST_WHY_LEN];
    if (trust_build(&inputs, &c->trust, why, sizeof why) != 0) {
        print_error("trust_build: %s\n", why);
        return -1;
    }
    return 0;
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_counts_a_request_by_route_and_status),
        cmocka_unit_test(test_metrics_counts_unknown_routes_and_statuses_as_other),
        cmocka_unit_test(test_metrics_latency_histogram_is_cumulative),
        cmocka_unit_test(test_metrics_counts_verdicts_any_other_as_invalid),
        cmocka_unit_test(test_metrics_counts_rate_limited_answers_and_cache_lookups),
        cmocka_unit_test(test_metrics_loses_no_count_between_threads),
        cmocka_unit_test(test_metrics_shows_each_threads_connections),
        cmocka_unit_test(test_metrics_says_when_the_index_cannot_be_read),
        cmocka_unit_test(test_metrics_shows_the_index_counts_and_age),
        cmocka_unit_test(test_metrics_shows_each_crl_of_the_trust_store),
        cmocka_unit_test(test_metrics_exposition_is_well_formed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
