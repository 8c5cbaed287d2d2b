/* stats.h — the figures the departments' reports ask for: transcripts
 * published, recalled and replaced, by school year and level, and by
 * province, school or grade (cli.md `stats`, http.md `GET /stats`).
 *
 * They are read from the counts the index keeps as records are published
 * (index.h, index_each_tally), never by a scan of the records:
 *   - a transcript counts in its own school year, level, grade, province
 *     (as it names it: the province of that time) and school;
 *   - a replacement counts as published, and as replaced;
 *   - a recall counts where the transcript it recalls does. */
#ifndef HOCBA_STATS_H
#define HOCBA_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

/* What a row is, besides its school year and level. */
enum stats_by {
    STATS_BY_PROVINCE = 1, /* the public figures: nothing finer (http.md) */
    STATS_BY_SCHOOL,       /* a row a school (its province with it) */
    STATS_BY_GRADE,        /* a row a grade */
};

/* Counts under this are shown as "<10" on the public page and in its API,
 * so that no small school's or province's figures single out a pupil. */
#define STATS_SHOWN_FROM 10

typedef struct {
    int year;       /* the first year of the school year; 0: unknown */
    int level;      /* enum index_level; 0: unknown */
    int grade;      /* STATS_BY_GRADE: 1-12 (0: unknown); otherwise 0 */
    str_t province; /* STATS_BY_PROVINCE and _SCHOOL; in the map */
    str_t school;   /* STATS_BY_SCHOOL; in the map */
    uint64_t published, recalled, replaced;
} stats_row_t;

typedef struct {
    stats_row_t *rows; /* malloc'd; sorted by school year, level, then grade or province and school */
    size_t n;
    stats_row_t total; /* the sum of every row */
} stats_t;

/** Gather the rows of one kind for one school year or all, from txn.
 * Strings point into the map: use them while txn is open.
 * @param year  a school year's first year (2024 for 2024-2025), or 0 for all
 * @return INDEX_OK, ENOMEM, INDEX_ECORRUPT or an LMDB code. Call stats_free
 *         whatever it returns. */
int stats_collect(index_t *ix, MDB_txn *txn, int by, int year, stats_t *out);

void stats_free(stats_t *s);

/** The level's short name, as codes.txt and the sector write it: "TH",
 * "THCS", "THPT", "GDTX", or "?" for an unknown one. */
const char *stats_level_name(int level);

/** recalled ÷ published, 0 when nothing was published. */
double stats_ratio(const stats_row_t *r);

/** Read a level's short name ("TH", "THCS", "THPT", "GDTX", as written).
 * @return its enum index_level, or 0 when s names none. */
int stats_parse_level(const char *s);

/** Read "YYYY-YYYY" (the second year one after the first).
 * @return the first year, or 0 when s is not a school year. */
int stats_parse_school_year(const char *s);

#endif
