/* test_stats_view.c — lookup/stats_view: the public figures (GET /stats and
 * GET /api/v1/stats) from rows made here by hand, as stats_collect gives
 * them: what is masked, what is never added up, the chart's choice of level
 * and its bars. The portal's answers over HTTP are in test_portal_stats.c, the
 * counts themselves in test_publish_cli.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/stats_view.h"

#define ROW(y, l, p, pub, rec, rep)                                                                          \
    {                                                                                                        \
        (y), (l), 0, {(p), sizeof(p) - 1}, {"", 0}, (pub), (rec), (rep)                                      \
    }

/* Two school years; 2024 has primary in two provinces and lower secondary
 * in one; counts on both sides of 10; one transcript of unknown year. */
static stats_row_t ROWS[] = {
    ROW(0, 0, "", 3, 0, 0),
    ROW(2023, INDEX_LEVEL_TH, "Hà Nội", 1234567, 10, 9),
    ROW(2024, INDEX_LEVEL_TH, "Hà Nội", 10, 9, 0),
    ROW(2024, INDEX_LEVEL_TH, "Đà Nẵng", 40, 12, 1),
    ROW(2024, INDEX_LEVEL_THCS, "Hà Nội", 9, 0, 0),
};

static stats_t sample(void)
{
    stats_t s = {ROWS, sizeof ROWS / sizeof *ROWS, {0}};
    return s;
}

static json_t *catalog(const char *sep)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "thousands_separator", sep, "level.school.TH", "Tiểu học",
                     "level.school.THCS", "THCS name", "level.school.THPT", "THPT name", "program.GDTX",
                     "GDTX name");
}

static const char *str_at(json_t *o, const char *a, size_t i, const char *b)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(o, a), i), b));
}

/* ---- stats_public_count and the API ---- */

static void test_stats_counts_under_ten_are_masked_from_zero_to_nine(void **state)
{
    (void)state;
    static const struct {
        uint64_t n;
        const char *masked; /* NULL: shown as the integer */
    } CASES[] = {{0, "<10"}, {1, "<10"}, {9, "<10"}, {10, NULL}, {11, NULL}, {1234567, NULL}};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        json_t *j = stats_public_count(CASES[i].n);
        if (CASES[i].masked != NULL) {
            assert_true(json_is_string(j));
            assert_string_equal(json_string_value(j), CASES[i].masked);
        } else {
            assert_true(json_is_integer(j));
            assert_int_equal(json_integer_value(j), CASES[i].n);
        }
        assert_int_equal(stats_shown(CASES[i].n), CASES[i].masked == NULL);
        json_decref(j);
    }
}

static void test_stats_api_gives_each_cell_masked_and_no_total(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *o = stats_api(&s, 0);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    /* the unknown year's transcripts are left out; nothing is added up */
    assert_string_equal(
        text,
        "{\"school_years\":[\"2023-2024\",\"2024-2025\"],\"shown_from\":10,\"rows\":["
        "{\"school_year\":\"2023-2024\",\"level\":\"TH\",\"province\":\"Hà Nội\",\"published\":1234567,"
        "\"recalled\":10,\"replaced\":\"<10\"},"
        "{\"school_year\":\"2024-2025\",\"level\":\"TH\",\"province\":\"Hà Nội\",\"published\":10,"
        "\"recalled\":\"<10\",\"replaced\":\"<10\"},"
        "{\"school_year\":\"2024-2025\",\"level\":\"TH\",\"province\":\"Đà Nẵng\",\"published\":40,"
        "\"recalled\":12,\"replaced\":\"<10\"},"
        "{\"school_year\":\"2024-2025\",\"level\":\"THCS\",\"province\":\"Hà Nội\",\"published\":\"<10\","
        "\"recalled\":\"<10\",\"replaced\":\"<10\"}]}");
    free(text);
    json_decref(o);
}

static void test_stats_api_of_one_year_keeps_every_year_listed(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *o = stats_api(&s, 2023);
    assert_int_equal(json_array_size(json_object_get(o, "school_years")), 2);
    assert_int_equal(json_array_size(json_object_get(o, "rows")), 1);
    assert_string_equal(str_at(o, "rows", 0, "school_year"), "2023-2024");
    json_decref(o);
    o = stats_api(&s, 2019);
    assert_int_equal(json_array_size(json_object_get(o, "rows")), 0);
    json_decref(o);
}

/* ---- the page's context ---- */

static void test_stats_page_shows_the_latest_year_with_the_catalogs_separator(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *t = catalog(".");
    json_t *c = stats_page_context(&s, 0, 0, 2026, t);
    assert_string_equal(json_string_value(json_object_get(c, "year")), "2024-2025");
    assert_true(json_is_true(json_object_get(c, "has_years")));
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(c, "years"), 1), "current")));
    assert_true(json_is_false(json_object_get(json_array_get(json_object_get(c, "years"), 0), "current")));
    /* two levels that year, each its own table, named from the catalog */
    json_t *levels = json_object_get(c, "levels");
    assert_int_equal(json_array_size(levels), 2);
    assert_string_equal(str_at(c, "levels", 0, "name"), "Tiểu học");
    assert_string_equal(str_at(c, "levels", 1, "code"), "THCS");
    json_t *rows = json_object_get(json_array_get(levels, 0), "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "recalled")), "<10");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "published")), "40");
    json_decref(c);

    /* the earlier year, in English's way */
    json_decref(t);
    t = catalog(",");
    c = stats_page_context(&s, 2023, 0, 2026, t);
    assert_string_equal(str_at(c, "levels", 0, "name"), "Tiểu học");
    rows = json_object_get(json_array_get(json_object_get(c, "levels"), 0), "rows");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "published")),
                        "1,234,567");
    json_decref(c);
    json_decref(t);
}

static void test_stats_chart_draws_one_level_and_no_bar_for_a_masked_count(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *t = catalog(".");
    json_t *c = stats_page_context(&s, 2024, INDEX_LEVEL_TH, 2026, t);
    assert_string_equal(json_string_value(json_object_get(c, "chart_level")), "Tiểu học");
    json_t *bars = json_object_get(json_object_get(c, "chart"), "rows");
    assert_int_equal(json_array_size(bars), 2);
    json_t *hn = json_array_get(bars, 0), *dn = json_array_get(bars, 1);
    assert_string_equal(json_string_value(json_object_get(hn, "province")), "Hà Nội");
    /* the longest shown bar is Đà Nẵng's 40; Hà Nội's 10 a quarter of it */
    json_int_t full = json_integer_value(json_object_get(json_object_get(dn, "published"), "w"));
    assert_true(full > 100);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hn, "published"), "w")),
                     (full + 2) / 4);
    /* Hà Nội's 9 recalls: no bar, the label "<10" */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hn, "recalled"), "w")), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(hn, "recalled"), "label")), "<10");
    /* rows do not overlap */
    assert_true(json_integer_value(json_object_get(json_object_get(dn, "published"), "y")) >
                json_integer_value(json_object_get(json_object_get(hn, "recalled"), "y")) +
                    json_integer_value(json_object_get(json_object_get(hn, "recalled"), "h")));
    json_t *choice = json_object_get(c, "chart_levels");
    assert_int_equal(json_array_size(choice), 2);
    assert_true(json_is_true(json_object_get(json_array_get(choice, 0), "current")));
    json_decref(c);

    /* ?level=THCS: its one masked cell, no bar at all */
    c = stats_page_context(&s, 2024, INDEX_LEVEL_THCS, 2026, t);
    assert_string_equal(json_string_value(json_object_get(c, "chart_level")), "THCS name");
    bars = json_object_get(json_object_get(c, "chart"), "rows");
    assert_int_equal(json_array_size(bars), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(json_array_get(bars, 0), "published"), "w")), 0);
    json_decref(c);

    /* a level the year does not have: the first of the year */
    c = stats_page_context(&s, 2023, INDEX_LEVEL_GDTX, 2026, t);
    assert_string_equal(json_string_value(json_object_get(c, "chart_level")), "Tiểu học");
    json_decref(c);
    json_decref(t);
}

static void test_stats_page_of_a_year_without_figures_has_no_chart(void **state)
{
    (void)state;
    stats_t s = sample(), none = {NULL, 0, {0}};
    json_t *t = catalog(".");
    json_t *c = stats_page_context(&s, 2019, 0, 2026, t);
    assert_string_equal(json_string_value(json_object_get(c, "year")), "2019-2020");
    assert_null(json_object_get(c, "chart"));
    assert_int_equal(json_array_size(json_object_get(c, "levels")), 0);
    json_decref(c);
    c = stats_page_context(&none, 0, 0, 2026, t);
    assert_null(json_object_get(c, "year"));
    assert_null(json_object_get(c, "chart"));
    assert_true(json_is_false(json_object_get(c, "has_years")));
    json_decref(c);
    json_decref(t);
}

/* A school year that has not begun (a school could publish one to put it at the top) is listed, but the
 * page opens on the latest that has. */
static void test_stats_page_opens_on_the_latest_year_begun(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *t = catalog(".");
    json_t *c = stats_page_context(&s, 0, 0, 2023, t);
    assert_string_equal(json_string_value(json_object_get(c, "year")), "2023-2024");
    assert_int_equal(json_array_size(json_object_get(c, "years")), 2);
    json_decref(c);
    c = stats_page_context(&s, 0, 0, 2000, t); /* nothing begun: the oldest */
    assert_string_equal(json_string_value(json_object_get(c, "year")), "2023-2024");
    json_decref(c);
    json_decref(t);
}

/* The separator is the catalog's, cut to 8 bytes: a long one cannot overrun the count's buffer. */
static void test_stats_counts_take_a_separator_of_at_most_eight_bytes(void **state)
{
    (void)state;
    stats_t s = sample();
    json_t *t = catalog("<-------long------->");
    json_t *c = stats_page_context(&s, 2023, 0, 2026, t);
    json_t *rows = json_object_get(json_array_get(json_object_get(c, "levels"), 0), "rows");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "published")),
                        "1<-------234<-------567");
    json_decref(c);
    json_decref(t);
    json_t *big = stats_public_count(UINT64_MAX);
    assert_int_equal(json_integer_value(big), INT64_MAX);
    json_decref(big);
}

/* ---- the parsers of the query ---- */

static void test_stats_parses_school_years_and_levels_exactly(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int year;
    } YEARS[] = {{"2024-2025", 2024}, {"2024-2026", 0}, {"2024-2024", 0}, {"2024-202", 0},
                 {"2024-20255", 0},   {"2024/2025", 0}, {"", 0},          {"0000-0001", 0},
                 {"+024-2025", 0},    {"2024-2025 ", 0}};
    for (size_t i = 0; i < sizeof YEARS / sizeof *YEARS; i++)
        if (stats_parse_school_year(YEARS[i].in) != YEARS[i].year)
            fail_msg("stats_parse_school_year(\"%s\"): expected %d, got %d", YEARS[i].in, YEARS[i].year,
                     stats_parse_school_year(YEARS[i].in));
    static const struct {
        const char *in;
        int level;
    } LEVELS[] = {{"TH", INDEX_LEVEL_TH},
                  {"THCS", INDEX_LEVEL_THCS},
                  {"THPT", INDEX_LEVEL_THPT},
                  {"GDTX", INDEX_LEVEL_GDTX},
                  {"thcs", 0},
                  {"?", 0},
                  {"", 0},
                  {"THC", 0}};
    for (size_t i = 0; i < sizeof LEVELS / sizeof *LEVELS; i++)
        if (stats_parse_level(LEVELS[i].in) != LEVELS[i].level)
            fail_msg("stats_parse_level(\"%s\"): expected %d, got %d", LEVELS[i].in, LEVELS[i].level,
                     stats_parse_level(LEVELS[i].in));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_counts_under_ten_are_masked_from_zero_to_nine),
        cmocka_unit_test(test_stats_api_gives_each_cell_masked_and_no_total),
        cmocka_unit_test(test_stats_api_of_one_year_keeps_every_year_listed),
        cmocka_unit_test(test_stats_page_shows_the_latest_year_with_the_catalogs_separator),
        cmocka_unit_test(test_stats_chart_draws_one_level_and_no_bar_for_a_masked_count),
        cmocka_unit_test(test_stats_page_of_a_year_without_figures_has_no_chart),
        cmocka_unit_test(test_stats_page_opens_on_the_latest_year_begun),
        cmocka_unit_test(test_stats_counts_take_a_separator_of_at_most_eight_bytes),
        cmocka_unit_test(test_stats_parses_school_years_and_levels_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
