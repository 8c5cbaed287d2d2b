/* publish_stats.c — `hocba-publish stats` (cli.md): transcripts published,
 * recalled and replaced, and recalled ÷ published, for each province,
 * school or grade of each school year and level, from the counts the
 * index keeps (lookup/stats.h): no record is read. */
#include "tools/publish.h"

#include "lookup/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

enum {
    COL_YEAR,
    COL_LEVEL,
    COL_WHAT,
    COL_SCHOOL,
    COL_PUBLISHED,
    COL_RECALLED,
    COL_REPLACED,
    COL_RATIO,
    NCOLS
};

/* One row's cells as text. */
typedef struct {
    const char *v[NCOLS];
    char year[12], what[INDEX_PROVINCE_MAX + 1], school[INDEX_SCHOOL_MAX + 1];
    char published[24], recalled[24], replaced[24], ratio[16];
} cells_t;

static void copy_str(char *out, size_t n, str_t s)
{
    size_t len = s.len < n - 1 ? s.len : n - 1;
    if (len > 0)
        memcpy(out, s.ptr, len);
    out[len] = '\0';
}

/* The cells of row r (NULL: the total line). */
static void cells_of(int by, const stats_row_t *r, int total, cells_t *c)
{
    memset(c, 0, sizeof *c);
    if (total)
        snprintf(c->year, sizeof c->year, "total");
    else if (r->year > 0)
        snprintf(c->year, sizeof c->year, "%04d-%04d", r->year, r->year + 1);
    else
        snprintf(c->year, sizeof c->year, "?");
    if (by == STATS_BY_GRADE && !total)
        snprintf(c->what, sizeof c->what, r->grade > 0 ? "%d" : "?", r->grade);
    else if (!total)
        copy_str(c->what, sizeof c->what, r->province);
    copy_str(c->school, sizeof c->school, r->school);
    snprintf(c->published, sizeof c->published, "%" PRIu64, r->published);
    snprintf(c->recalled, sizeof c->recalled, "%" PRIu64, r->recalled);
    snprintf(c->replaced, sizeof c->replaced, "%" PRIu64, r->replaced);
    snprintf(c->ratio, sizeof c->ratio, "%.4f", stats_ratio(r));
    const char *v[NCOLS] = {c->year,      total ? "" : stats_level_name(r->level),
                            c->what,      c->school,
                            c->published, c->recalled,
                            c->replaced,  c->ratio};
    memcpy(c->v, v, sizeof v);
}

static int shown(int by, int k)
{
    return k != COL_SCHOOL || by == STATS_BY_SCHOOL;
}

static const char *head_of(int by, int k, int csv)
{
    static const char *const TABLE[NCOLS] = {"SCHOOL YEAR", "LEVEL",    "PROVINCE", "SCHOOL",
                                             "PUBLISHED",   "RECALLED", "REPLACED", "RECALLED/PUBLISHED"};
    static const char *const CSV[NCOLS] = {"school_year", "level",    "province", "school",
                                           "published",   "recalled", "replaced", "recalled_ratio"};
    if (k == COL_WHAT && by == STATS_BY_GRADE)
        return csv ? "grade" : "GRADE";
    return csv ? CSV[k] : TABLE[k];
}

/* Aligned columns, counts to the right, and a total line. */
static void print_table(int by, const stats_t *s)
{
    size_t width[NCOLS];
    cells_t c;
    for (int k = 0; k < NCOLS; k++)
        width[k] = report_width(head_of(by, k, 0));
    for (size_t i = 0; i <= s->n; i++) {
        cells_of(by, i < s->n ? &s->rows[i] : &s->total, i == s->n, &c);
        for (int k = 0; k < NCOLS; k++)
            if (report_width(c.v[k]) > width[k])
                width[k] = report_width(c.v[k]);
    }
    for (size_t i = 0; i <= s->n + 1; i++) {
        if (i > 0)
            cells_of(by, i <= s->n ? &s->rows[i - 1] : &s->total, i == s->n + 1, &c);
        for (int k = 0, first = 1; k < NCOLS; k++) {
            if (!shown(by, k))
                continue;
            const char *v = i == 0 ? head_of(by, k, 0) : c.v[k];
            if (!first)
                fputs("  ", stdout);
            first = 0;
            if (k >= COL_PUBLISHED) /* numbers to the right */
                for (size_t w = report_width(v); w < width[k]; w++)
                    putchar(' ');
            report_cell(v, k >= COL_PUBLISHED || k + 1 == NCOLS ? 0 : width[k]);
        }
        putchar('\n');
    }
}

static void print_csv(int by, const stats_t *s)
{
    cells_t c;
    for (int k = 0; k < NCOLS; k++)
        if (shown(by, k))
            report_csv(head_of(by, k, 1), k + 1 == NCOLS);
    for (size_t i = 0; i < s->n; i++) {
        cells_of(by, &s->rows[i], 0, &c);
        for (int k = 0; k < NCOLS; k++)
            if (shown(by, k))
                report_csv(c.v[k], k + 1 == NCOLS);
    }
}

/* A string as JSON, on stdout: jansson escapes it. */
static int put_json_string(str_t v)
{
    json_t *j = json_stringn(v.len ? v.ptr : "", v.len);
    int rc = j != NULL ? json_dumpf(j, stdout, JSON_ENCODE_ANY) : -1;
    json_decref(j);
    return rc;
}

/* A ratio as a JSON number with six significant digits, always with a
 * fraction ("0.0", "0.142857"), as jansson writes a real. */
static const char *json_ratio(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%.6g", v);
    if (strpbrk(buf, ".e") == NULL)
        snprintf(buf + strlen(buf), n - strlen(buf), ".0");
    return buf;
}

/* One JSON object a line (as certs --json and batch --json), written
 * member by member: a jansson tree a row would cost more than the rest of
 * the command on 50,000 rows. */
static int print_json(int by, const stats_t *s)
{
    cells_t c;
    for (size_t i = 0; i < s->n; i++) {
        const stats_row_t *r = &s->rows[i];
        cells_of(by, r, 0, &c);
        printf(r->year > 0 ? "{\"school_year\":\"%s\"" : "{\"school_year\":null", c.year);
        printf(",\"level\":\"%s\"", stats_level_name(r->level));
        if (by == STATS_BY_GRADE)
            printf(r->grade > 0 ? ",\"grade\":%d" : ",\"grade\":null", r->grade);
        else if (fputs(",\"province\":", stdout) < 0 || put_json_string(r->province) != 0)
            return -1;
        if (by == STATS_BY_SCHOOL && (fputs(",\"school\":", stdout) < 0 || put_json_string(r->school) != 0))
            return -1;
        printf(",\"published\":%s,\"recalled\":%s,\"replaced\":%s,\"recalled_ratio\":%s}\n", c.published,
               c.recalled, c.replaced, json_ratio(stats_ratio(r), c.ratio, sizeof c.ratio));
    }
    return 0;
}

static int parse_by(const char *s)
{
    return strcmp(s, "province") == 0 ? STATS_BY_PROVINCE
           : strcmp(s, "school") == 0 ? STATS_BY_SCHOOL
           : strcmp(s, "grade") == 0  ? STATS_BY_GRADE
                                      : 0;
}

int cmd_stats(index_t *ix, int argc, char **argv)
{
    const char *by_arg = NULL, *year_arg = NULL;
    int fmt = FMT_TABLE, by = STATS_BY_PROVINCE, year = 0, r, rc = EXIT_NOTHING;
    MDB_txn *txn = NULL;
    stats_t s;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--by") == 0 && i + 1 < argc && by_arg == NULL)
            by_arg = argv[++i];
        else if (strcmp(argv[i], "--year") == 0 && i + 1 < argc && year_arg == NULL)
            year_arg = argv[++i];
        else if (strcmp(argv[i], "--csv") == 0 && fmt == FMT_TABLE)
            fmt = FMT_CSV;
        else if (strcmp(argv[i], "--json") == 0 && fmt == FMT_TABLE)
            fmt = FMT_JSON;
        else
            publish_die_usage();
    }
    if (by_arg != NULL && (by = parse_by(by_arg)) == 0) {
        fprintf(stderr, "hocba-publish: stats: --by wants province, school or grade, got \"%.40s\"\n",
                by_arg);
        return EXIT_NOTHING;
    }
    if (year_arg != NULL && (year = stats_parse_school_year(year_arg)) == 0) {
        fprintf(stderr,
                "hocba-publish: stats: --year wants a school year YYYY-YYYY (2024-2025), got \"%.40s\"\n",
                year_arg);
        return EXIT_NOTHING;
    }
    memset(&s, 0, sizeof s);
    if ((r = index_begin(ix, 1, &txn)) != 0 || (r = stats_collect(ix, txn, by, year, &s)) != 0) {
        fprintf(stderr, "hocba-publish: stats: cannot read the counts: %s\n",
                r == ENOMEM ? "out of memory" : index_strerror(r));
        goto done;
    }
    if (fmt == FMT_JSON && print_json(by, &s) != 0) {
        fprintf(stderr, "hocba-publish: stats: out of memory\n");
        goto done;
    }
    if (fmt == FMT_CSV)
        print_csv(by, &s);
    else if (fmt == FMT_TABLE)
        print_table(by, &s);
    rc = fflush(stdout) == 0 ? 0 : EXIT_NOTHING;
done:
    stats_free(&s);
    if (txn != NULL)
        mdb_txn_abort(txn);
    return rc;
}
