/* stats_view.h — the public figures as the portal shows them (http.md
 * `GET /stats`, `GET /api/v1/stats`): counts by school year, level and
 * province, never finer and never added up, each count under
 * STATS_SHOWN_FROM shown as "<10" so that no small school's or province's
 * figures single anyone out.
 *
 * Both take the province rows of stats_collect (STATS_BY_PROVINCE, every
 * school year) and give jansson values with new references. */
#ifndef HOCBA_STATS_VIEW_H
#define HOCBA_STATS_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "stats.h"

/** 1 when a count is shown as it is, 0 when it is shown as "<10". */
int stats_shown(uint64_t n);

/** A count as the API gives it: the integer, or the string "<10". */
json_t *stats_public_count(uint64_t n);

/** The context of templates/stats.html for one school year:
 *   "years"        each {value "2024-2025", current}, every school year counted,
 *                  and "has_years";
 *   "year"         the school year shown ("YYYY-YYYY"), unless there is none;
 *   "levels"       the year's levels, each {code, name, rows: [{province,
 *                  published, recalled, replaced}]}, counts as text with the
 *                  catalog's thousands separator, or "<10";
 *   "chart_levels" {code, name, current}: the levels the chart can show;
 *   "chart_level", "chart": the chart of one level, its geometry worked out
 *                  here: width, height, rows [{province, label_x, label_y,
 *                  published {x, y, w, h, label, label_x, label_y},
 *                  recalled {...}}] (a masked count: w 0, label "<10");
 *   "shown_from"   STATS_SHOWN_FROM.
 * No "chart" when the year has no rows.
 * @param year   a school year's first year, or 0 for the latest that has begun
 * @param level  enum index_level for the chart, or 0 for the first of the year
 * @param this_year  the current calendar year (the default year is not after it)
 * @param t      the page language's catalog: level names (level.school.*,
 *               program.GDTX) and thousands_separator
 * @return a new object, or NULL when out of memory. */
json_t *stats_page_context(const stats_t *s, int year, int level, int this_year, json_t *t);

/** The body of GET /api/v1/stats: {"school_years": [...], "shown_from": 10,
 * "rows": [{school_year, level, province, published, recalled, replaced}]},
 * rows of one school year or of all (year 0), transcripts of an unknown
 * school year left out.
 * @return a new object, or NULL when out of memory. */
json_t *stats_api(const stats_t *s, int year);

#endif
