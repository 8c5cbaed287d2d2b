/* test_portal_stats.c — the public figures of hocba-portal (GET /stats, GET /api/v1/stats): the
 * publisher's figures, masked under ten, in each language, and the queries it refuses. The group (a
 * portal serving the demo data) and the helpers are tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: the public figures (GET /stats, GET /api/v1/stats) --------------------------------- */

/* A count of the API as the publisher's figure n must show: n from 10 on, else "<10". */
static int public_count_is(json_t *j, json_int_t n)
{
    return n >= 10 ? json_is_integer(j) && json_integer_value(j) == n
                   : json_is_string(j) && strcmp(json_string_value(j), "<10") == 0;
}

/* The API row of a school year, level and province, or NULL. */
static json_t *api_row(json_t *api, const char *year, const char *level, const char *province)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(api, "rows"), i,
                       row) if (strcmp(json_string_value(json_object_get(row, "school_year")), year) == 0 &&
                                strcmp(json_string_value(json_object_get(row, "level")), level) == 0 &&
                                strcmp(json_string_value(json_object_get(row, "province")), province) ==
                                    0) return row;
    return NULL;
}

/* One tally cell of the public figures (docs/index-format.md): 'P', the year big-endian, the level, the
 * province; published, recalled, replaced as u64 LE. NULL counts delete it. */
static void put_province_cell(ctx_t *c, int year, int level, const char *province, const uint64_t *counts)
{
    unsigned char key[300], val[24];
    size_t pl = strlen(province);
    key[0] = 'P';
    key[1] = (unsigned char)(year >> 8);
    key[2] = (unsigned char)year;
    key[3] = (unsigned char)level;
    memcpy(key + 4, province, pl);
    for (int i = 0; counts != NULL && i < 24; i++)
        val[i] = (unsigned char)(counts[i / 8] >> (8 * (i % 8)));
    pf_lmdb_put(c, "tally", key, 4 + pl, counts != NULL ? val : NULL, sizeof val, 0);
}

/* Every province figure the publisher reports is in the API, masked under ten, and nothing else is:
 * no total, no finer cell. A cell written with counts on both sides of ten shows each as it must. */
static void test_stats_api_gives_the_publishers_figures_masked_under_ten(void **state)
{
    ctx_t *c = *state;
    static const uint64_t COUNTS[3] = {1234567, 9, 10};
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", COUNTS);
    harness_run_t run;
    const char *argv[] = {c->publish_bin, "--db", c->db, "stats", "--json", NULL};
    harness_run(&run, NULL, argv, CHILD_TIMEOUT_MS);
    if (run.status != 0) {
        harness_dump_run(&run);
        fail_msg("hocba-publish stats --json failed");
    }
    resp_t *r = pf_get(c, "/api/v1/stats");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    json_t *api = http_expect_json(r);
    assert_int_equal(json_integer_value(json_object_get(api, "shown_from")), 10);
    size_t lines = 0, masked = 0;
    for (char *line = strtok(run.out, "\n"); line != NULL; line = strtok(NULL, "\n"), lines++) {
        json_t *cli = http_json_parse(line, strlen(line));
        assert_non_null(cli);
        const char *year = json_string_value(json_object_get(cli, "school_year"));
        const char *level = json_string_value(json_object_get(cli, "level"));
        const char *province = json_string_value(json_object_get(cli, "province"));
        json_t *row = api_row(api, year, level, province);
        if (row == NULL)
            fail_msg("GET /api/v1/stats has no row for %s %s %s", year, level, province);
        static const char *const COUNT_NAMES[] = {"published", "recalled", "replaced"};
        for (size_t k = 0; k < 3; k++) {
            json_int_t n = json_integer_value(json_object_get(cli, COUNT_NAMES[k]));
            masked += n < 10;
            if (!public_count_is(json_object_get(row, COUNT_NAMES[k]), n))
                fail_msg("%s %s %s: %s is %" JSON_INTEGER_FORMAT " to the publisher; the API gives %s", year,
                         level, province, COUNT_NAMES[k], n,
                         json_dumps(json_object_get(row, COUNT_NAMES[k]), JSON_ENCODE_ANY));
        }
    }
    assert_true(masked > 0 && lines > 1);
    assert_int_equal(json_array_size(json_object_get(api, "rows")), lines);
    json_t *test_row = api_row(api, "2030-2031", "THPT", "Tỉnh Thử Nghiệm");
    assert_non_null(test_row);
    assert_true(public_count_is(json_object_get(test_row, "published"), 1234567));
    assert_true(public_count_is(json_object_get(test_row, "recalled"), 9));
    assert_true(public_count_is(json_object_get(test_row, "replaced"), 10));

    /* one school year: its rows only, every year still listed */
    api = http_expect_json(pf_get(c, "/api/v1/stats?year=2030-2031"));
    assert_int_equal(json_array_size(json_object_get(api, "rows")), 1);
    assert_true(json_array_size(json_object_get(api, "school_years")) >= 2);
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", NULL);
    api = http_expect_json(pf_get(c, "/api/v1/stats"));
    assert_null(api_row(api, "2030-2031", "THPT", "Tỉnh Thử Nghiệm"));
}

/* The page in each language: its heading, counts in the language's way, the chart as an image with a
 * name, a table a level, no script; the security headers of every HTML page. */
static void test_stats_page_shows_a_years_figures_in_each_language(void **state)
{
    ctx_t *c = *state;
    static const uint64_t COUNTS[3] = {1234567, 9, 10};
    static const struct {
        const char *path, *lang, *heading, *big, *title;
    } PAGES[] = {
        {"/stats?year=2030-2031", "vi", "<h1>Số liệu học bạ số đã phát hành</h1>", ">1.234.567<",
         "<title>Số liệu học bạ số — "},
        {"/stats?year=2030-2031&lang=en", "en", "<h1>Học bạ số transcripts published</h1>", ">1,234,567<",
         "<title>Học bạ số figures — "},
    };
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", COUNTS);
    for (size_t i = 0; i < sizeof PAGES / sizeof *PAGES; i++) {
        resp_t *r = pf_get(c, PAGES[i].path);
        EXPECT_STATUS(r, 200);
        pf_expect_html(r);
        pf_expect_html_security_headers(r);
        EXPECT_BODY_HAS(r, harness_printf("<html lang=\"%s\"", PAGES[i].lang));
        EXPECT_BODY_HAS(r, PAGES[i].heading);
        EXPECT_BODY_HAS(r, PAGES[i].title);
        EXPECT_BODY_HAS(r, PAGES[i].big);
        EXPECT_BODY_HAS(r, ">&lt;10<");
        EXPECT_BODY_HAS(r, "<svg viewBox=");
        EXPECT_BODY_HAS(r, "role=\"img\" aria-labelledby=\"chart-title\"");
        EXPECT_BODY_HAS(r, "<title id=\"chart-title\">");
        EXPECT_BODY_HAS(r, "Tỉnh Thử Nghiệm");
        EXPECT_BODY_HAS(r, "aria-current=\"page\" href=\"/stats?year=2030-2031");
        EXPECT_BODY_LACKS(r, "<script");
        EXPECT(r, http_body_count(r, "class=\"bar-published\"") == 1, "expected one published bar on %s",
               r->what);
    }
    /* the latest year that has begun by default, and links to every other */
    resp_t *r = pf_get(c, "/stats");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "aria-current=\"page\" href=\"/stats?year=2024-2025\"");
    EXPECT_BODY_HAS(r, "<a href=\"/stats?year=2030-2031\">");
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", NULL);
    /* the demo's own year: its primary chart, its levels to choose from */
    r = pf_get(c, "/stats?year=2024-2025&level=THCS");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "Cấp Trung học cơ sở, 2024-2025</h2>");
    EXPECT_BODY_HAS(r, "href=\"/stats?year=2024-2025&amp;level=TH#h-chart\"");
    /* a year without figures says so */
    r = pf_get(c, "/stats?year=2019-2020&lang=en");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "No Học bạ số transcript has been published for the school year 2019-2020.");
    EXPECT_BODY_LACKS(r, "class=\"stats-chart\"");
    /* every page links to it */
    EXPECT_BODY_HAS(pf_get(c, "/?lang=en"), "<a href=\"/stats?lang=en\">");
}

/* A school year or level the page cannot read is a 400 that says how to write one; a problem+json on
 * the API. Other methods are 405. */
static void test_stats_refuses_a_query_it_cannot_read(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *path;
        int status;
        const char *says; /* in the body */
    } CASES[] = {
        {"/stats?year=2024", 400, "2024-2025"},
        {"/stats?year=2024-2026", 400, "2024-2025"},
        {"/stats?year=2024-2025%00", 400, "2024-2025"},
        {"/stats?year=2024-2025xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 400,
         "2024-2025"},
        {"/stats?year=%32%30%32%34-%32%30%32%35", 200, "class=\"stats-chart\""},
        {"/stats?level=thcs", 400, "TH, THCS, THPT"},
        {"/stats?level=THCS%20", 400, "TH, THCS, THPT"},
        {"/stats?year=2024-2025&level=%3Cscript%3E", 400, "TH, THCS, THPT"},
        {"/stats?lang=en&level=X", 400, "A level is TH, THCS, THPT or GDTX."},
        {"/api/v1/stats?year=20242025", 400, "\"error\":\"bad_request\""},
        {"/api/v1/stats?year=", 200, "\"rows\":[{"},
        {"/api/v1/stats?level=anything", 200, "\"rows\":[{"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        resp_t *r = pf_get(c, CASES[i].path);
        EXPECT_STATUS(r, CASES[i].status);
        EXPECT_BODY_HAS(r, CASES[i].says);
        EXPECT_BODY_LACKS(r, "<script>");
        if (CASES[i].status == 400 && strncmp(CASES[i].path, "/api/", 5) == 0)
            http_expect_type(r, "application/problem+json");
    }
    resp_t *r = pf_request(c, "POST", "/stats", "Content-Type: text/plain\r\n", "x", 1);
    EXPECT_STATUS(r, 405);
    http_expect_header_has(r, "allow", "GET, HEAD");
    r = pf_request(c, "DELETE", "/api/v1/stats", NULL, NULL, 0);
    EXPECT_STATUS(r, 405);
    http_expect_type(r, "application/problem+json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_api_gives_the_publishers_figures_masked_under_ten),
        cmocka_unit_test(test_stats_page_shows_a_years_figures_in_each_language),
        cmocka_unit_test(test_stats_refuses_a_query_it_cannot_read),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
