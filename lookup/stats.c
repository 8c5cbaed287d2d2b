/* stats.c — rows of the departments' figures, from the index's counts. */
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    stats_t *s;
    int by;
    size_t cap;
    size_t group; /* STATS_BY_GRADE: the first row of the current school year and level */
} gather_t;

static void add_counts(stats_row_t *to, const index_tally_t *t)
{
    to->published += t->published;
    to->recalled += t->recalled;
    to->replaced += t->replaced;
}

/* The row a cell adds to, if there is one already. The cells come in key
 * order (index_each_tally): a school's grades one after another, so by
 * school a cell joins the last row or none; by grade it joins a row of its
 * school year and level, of which there are a dozen at most. */
static stats_row_t *row_of(gather_t *g, const index_tally_t *t)
{
    stats_t *s = g->s;
    if (s->n == 0)
        return NULL;
    stats_row_t *last = &s->rows[s->n - 1];
    if (last->year != t->year || last->level != t->level) {
        g->group = s->n;
        return NULL;
    }
    if (g->by == STATS_BY_SCHOOL)
        return str_eq(last->province, t->province) && str_eq(last->school, t->school) ? last : NULL;
    if (g->by == STATS_BY_GRADE)
        for (size_t i = g->group; i < s->n; i++)
            if (s->rows[i].grade == t->grade)
                return &s->rows[i];
    return NULL;
}

static int add_cell(void *arg, const index_tally_t *t)
{
    gather_t *g = arg;
    stats_t *s = g->s;
    stats_row_t *r = row_of(g, t);
    if (r != NULL) {
        add_counts(r, t);
        return 0;
    }
    if (s->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 256;
        stats_row_t *rows = realloc(s->rows, cap * sizeof *rows);
        if (rows == NULL)
            return ENOMEM;
        s->rows = rows;
        g->cap = cap;
    }
    r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    r->year = t->year;
    r->level = t->level;
    if (g->by == STATS_BY_GRADE)
        r->grade = t->grade;
    else
        r->province = t->province;
    if (g->by == STATS_BY_SCHOOL)
        r->school = t->school;
    add_counts(r, t);
    return 0;
}

/* By grade, the rows of one school year and level come in the order their
 * grades were first met; a grade's rows are few (years × levels × grades). */
static int grade_cmp(const void *pa, const void *pb)
{
    const stats_row_t *a = pa, *b = pb;
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return (a->grade > b->grade) - (a->grade < b->grade);
}

int stats_collect(index_t *ix, MDB_txn *txn, int by, int year, stats_t *out)
{
    gather_t g = {out, by, 0, 0};
    memset(out, 0, sizeof *out);
    /* the province cells are kept as the public figures want them */
    int cells = by == STATS_BY_PROVINCE ? INDEX_TALLY_PROVINCES : INDEX_TALLY_SCHOOLS;
    int rc = index_each_tally(ix, txn, cells, year, add_cell, &g);
    if (rc != INDEX_OK)
        return rc;
    if (by == STATS_BY_GRADE && out->n > 1)
        qsort(out->rows, out->n, sizeof *out->rows, grade_cmp);
    for (size_t i = 0; i < out->n; i++) {
        out->total.published += out->rows[i].published;
        out->total.recalled += out->rows[i].recalled;
        out->total.replaced += out->rows[i].replaced;
    }
    return INDEX_OK;
}

void stats_free(stats_t *s)
{
    free(s->rows);
    memset(s, 0, sizeof *s);
}

const char *stats_level_name(int level)
{
    static const char *const NAMES[] = {[INDEX_LEVEL_TH] = "TH",
                                        [INDEX_LEVEL_THCS] = "THCS",
                                        [INDEX_LEVEL_THPT] = "THPT",
                                        [INDEX_LEVEL_GDTX] = "GDTX"};
    return level > 0 && level <= INDEX_LEVEL_GDTX ? NAMES[level] : "?";
}

double stats_ratio(const stats_row_t *r)
{
    return r->published ? (double)r->recalled / (double)r->published : 0.0;
}

int stats_parse_level(const char *s)
{
    for (int l = INDEX_LEVEL_TH; l <= INDEX_LEVEL_GDTX; l++)
        if (strcmp(s, stats_level_name(l)) == 0)
            return l;
    return 0;
}

int stats_parse_school_year(const char *s)
{
    int a = 0, b = 0;
    for (int i = 0; i < 9; i++) {
        if (i == 4 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
        if (i < 4)
            a = a * 10 + (s[i] - '0');
        else if (i > 4)
            b = b * 10 + (s[i] - '0');
    }
    return s[9] == '\0' && a > 0 && b == a + 1 ? a : 0;
}
