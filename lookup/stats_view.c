/* stats_view.c — the public figures (http.md GET /stats and GET
 * /api/v1/stats): the cells of one school year, level and province, never
 * finer and never added up, each count under STATS_SHOWN_FROM shown as
 * "<10", and the bar chart of published against recalled per province that
 * the page draws as inline SVG (templates/stats.html) from the geometry
 * worked out here.
 *
 * Nothing is added across cells on the public side: a total next to the
 * cells it adds up would give away a masked cell (the total less the
 * others), so the chart shows one level's cells, as the table does. */
#include "stats_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chart's geometry, in the SVG's own units: a phone shows it about
 * 1:1, a wide screen scales it up to the width the stylesheet allows. Each
 * province is a row: its name above two bars, published then recalled. */
#define CHART_WIDTH 360 /* the viewBox */
#define CHART_BARS 280  /* the longest bar, leaving room for its count */
#define CHART_NAME 15   /* the name's line, above the bars */
#define CHART_BAR 12    /* a bar's height */
#define CHART_GAP 2     /* between the two bars */
#define CHART_ROW 52    /* a province: the name, two bars, the space below */
#define CHART_TOP 4

int stats_shown(uint64_t n)
{
    return n >= STATS_SHOWN_FROM;
}

/* A count as a page shows it: with the catalog's thousands separator (at
 * most SEP_MAX bytes are taken of it), or "<10". */
#define SEP_MAX 8
static json_t *count_text(uint64_t n, const char *sep)
{
    char digits[24], out[24 + 7 * SEP_MAX];
    size_t sl = strnlen(sep, SEP_MAX), w = 0;
    if (!stats_shown(n))
        return json_string("<"
                           "10");
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            memcpy(out + w, sep, sl);
            w += sl;
        }
        out[w++] = digits[i];
    }
    return json_stringn(out, w);
}

json_t *stats_public_count(uint64_t n)
{
    if (n > (uint64_t)INT64_MAX)
        n = (uint64_t)INT64_MAX; /* only a damaged count: JSON integers stop there */
    return stats_shown(n) ? json_integer((json_int_t)n)
                          : json_string("<"
                                        "10");
}

/* The school years the rows hold, in order (rows are sorted by year), in
 * years (s->n entries at least). */
static size_t years_of(const stats_t *s, int *years)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->rows[i].year > 0 && (n == 0 || years[n - 1] != s->rows[i].year))
            years[n++] = s->rows[i].year;
    return n;
}

static json_t *year_text(int year)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%04d", year, year + 1);
    return json_string(buf);
}

static const char *catalog_text(json_t *t, const char *key)
{
    const char *s = json_string_value(json_object_get(t, key));
    return s != NULL ? s : key;
}

/* The level's name as the transcript pages give it. */
static json_t *level_name(json_t *t, int level)
{
    char key[32];
    if (level == INDEX_LEVEL_GDTX)
        snprintf(key, sizeof key, "program.GDTX");
    else
        snprintf(key, sizeof key, "level.school.%s", stats_level_name(level));
    return json_string(catalog_text(t, key));
}

/* One bar of the chart, its top at y: its length and its label (a masked
 * count has no bar, only "<10"). */
static json_t *bar(uint64_t n, uint64_t max, int y, const char *sep)
{
    int w = stats_shown(n) && max > 0 ? (int)((double)n * CHART_BARS / (double)max + 0.5) : 0;
    if (stats_shown(n) && w < 1)
        w = 1;
    return json_pack("{s:i, s:i, s:i, s:i, s:o, s:i, s:i}", "x", 0, "y", y, "w", w, "h", CHART_BAR, "label",
                     count_text(n, sep), "label_x", w + 5, "label_y", y + CHART_BAR - 2);
}

/* The chart of one level's cells: a province a row, its published and
 * recalled bars scaled to the largest count shown. */
static json_t *chart(const stats_t *s, int year, int level, const char *sep)
{
    uint64_t max = 0;
    json_t *rows = json_array();
    for (size_t i = 0; i < s->n; i++)
        if (s->rows[i].year == year && s->rows[i].level == level && stats_shown(s->rows[i].published) &&
            s->rows[i].published > max)
            max = s->rows[i].published;
    int y = CHART_TOP;
    for (size_t i = 0; i < s->n; i++) {
        const stats_row_t *r = &s->rows[i];
        if (r->year != year || r->level != level)
            continue;
        int bars_y = y + CHART_NAME + 3;
        json_array_append_new(rows, json_pack("{s:s%, s:i, s:i, s:o, s:o}", "province", r->province.ptr,
                                              r->province.len, "label_x", 0, "label_y", y + CHART_NAME - 3,
                                              "published", bar(r->published, max, bars_y, sep), "recalled",
                                              bar(r->recalled, max, bars_y + CHART_BAR + CHART_GAP, sep)));
        y += CHART_ROW;
    }
    return json_pack("{s:o, s:i, s:i}", "rows", rows, "width", CHART_WIDTH, "height", y);
}

/* The table of one level's cells. */
static json_t *level_table(const stats_t *s, int year, int level, json_t *t, const char *sep)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const stats_row_t *r = &s->rows[i];
        if (r->year == year && r->level == level)
            json_array_append_new(rows, json_pack("{s:s%, s:o, s:o, s:o}", "province", r->province.ptr,
                                                  r->province.len, "published", count_text(r->published, sep),
                                                  "recalled", count_text(r->recalled, sep), "replaced",
                                                  count_text(r->replaced, sep)));
    }
    return json_pack("{s:s, s:o, s:o}", "code", stats_level_name(level), "name", level_name(t, level), "rows",
                     rows);
}

json_t *stats_page_context(const stats_t *s, int year, int level, int this_year, json_t *t)
{
    int *years = malloc((s->n + 1) * sizeof *years);
    if (years == NULL)
        return NULL;
    size_t ny = years_of(s, years);
    const char *sep = catalog_text(t, "thousands_separator");
    json_t *c = json_object(), *ylist = json_array(), *levels = json_array(), *lchoice = json_array();
    for (size_t i = 0; year == 0 && i < ny; i++)
        if (years[ny - 1 - i] <= this_year)
            year = years[ny - 1 - i]; /* the latest begun */
    if (year == 0 && ny > 0)
        year = years[0];
    for (size_t i = 0; i < ny; i++)
        json_array_append_new(
            ylist, json_pack("{s:o, s:b}", "value", year_text(years[i]), "current", years[i] == year));
    int first = 0, chosen = 0;
    for (int l = INDEX_LEVEL_TH; l <= INDEX_LEVEL_GDTX; l++) {
        int present = 0;
        for (size_t i = 0; i < s->n && !present; i++)
            present = s->rows[i].year == year && s->rows[i].level == l;
        if (!present)
            continue;
        first = first ? first : l;
        chosen = l == level ? l : chosen;
        json_array_append_new(levels, level_table(s, year, l, t, sep));
    }
    chosen = chosen ? chosen : first;
    for (size_t i = 0; i < json_array_size(levels); i++) {
        json_t *lv = json_array_get(levels, i);
        json_array_append_new(lchoice, json_pack("{s:O, s:O, s:b}", "code", json_object_get(lv, "code"),
                                                 "name", json_object_get(lv, "name"), "current",
                                                 strcmp(json_string_value(json_object_get(lv, "code")),
                                                        stats_level_name(chosen)) == 0));
    }
    json_object_set_new(c, "years", ylist);
    json_object_set_new(c, "has_years", json_boolean(ny > 0));
    json_object_set_new(c, "levels", levels);
    json_object_set_new(c, "chart_levels", lchoice);
    json_object_set_new(c, "shown_from", json_integer(STATS_SHOWN_FROM));
    if (year > 0)
        json_object_set_new(c, "year", year_text(year));
    if (chosen) {
        json_object_set_new(c, "chart_level", level_name(t, chosen));
        json_object_set_new(c, "chart", chart(s, year, chosen, sep));
    }
    free(years);
    return c;
}

json_t *stats_api(const stats_t *s, int year)
{
    int *years = malloc((s->n + 1) * sizeof *years);
    if (years == NULL)
        return NULL;
    size_t ny = years_of(s, years);
    json_t *ylist = json_array(), *rows = json_array();
    for (size_t i = 0; i < ny; i++)
        json_array_append_new(ylist, year_text(years[i]));
    free(years);
    for (size_t i = 0; i < s->n; i++) {
        const stats_row_t *r = &s->rows[i];
        if (r->year <= 0 || (year != 0 && r->year != year))
            continue; /* unknown: only the publisher's report says it */
        json_array_append_new(
            rows, json_pack("{s:o, s:s, s:s%, s:o, s:o, s:o}", "school_year", year_text(r->year), "level",
                            stats_level_name(r->level), "province", r->province.ptr, r->province.len,
                            "published", stats_public_count(r->published), "recalled",
                            stats_public_count(r->recalled), "replaced", stats_public_count(r->replaced)));
    }
    return json_pack("{s:o, s:i, s:o}", "school_years", ylist, "shown_from", STATS_SHOWN_FROM, "rows", rows);
}
