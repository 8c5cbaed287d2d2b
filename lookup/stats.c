/* stats.c — rows of the departments' figures, from the index's counts. */
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    stats_t *s;
    int by;
    size_t cap;
} gather_t;

static int add_cell(void *arg, const index_tally_t *t)
{
    gather_t *g = arg;
    stats_t *s = g->s;
    if (s->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 256;
        stats_row_t *rows = realloc(s->rows, cap * sizeof *rows);
        if (rows == NULL)
            return ENOMEM;
        s->rows = rows;
        g->cap = cap;
    }
    stats_row_t *r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    r->year = t->year;
    r->level = t->level;
    if (g->by == STATS_BY_GRADE)
        r->grade = t->grade;
    else
        r->province = t->province;
    if (g->by == STATS_BY_SCHOOL)
        r->school = t->school;
    r->published = t->published;
    r->recalled = t->recalled;
    r->replaced = t->replaced;
    return 0;
}

static int str_cmp(str_t a, str_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Rows in the order of their key: school year, level, grade, province, school. */
static int row_cmp(const void *pa, const void *pb)
{
    const stats_row_t *a = pa, *b = pb;
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    if (a->grade != b->grade)
        return a->grade < b->grade ? -1 : 1;
    int c = str_cmp(a->province, b->province);
    return c ? c : str_cmp(a->school, b->school);
}

/* Sort, then add up the rows that have the same key: the school cells of
 * several grades, or of several provinces and schools. */
static void merge(stats_t *s)
{
    size_t w = 0;
    if (s->n > 1)
        qsort(s->rows, s->n, sizeof *s->rows, row_cmp);
    for (size_t i = 0; i < s->n; i++) {
        if (w > 0 && row_cmp(&s->rows[w - 1], &s->rows[i]) == 0) {
            s->rows[w - 1].published += s->rows[i].published;
            s->rows[w - 1].recalled += s->rows[i].recalled;
            s->rows[w - 1].replaced += s->rows[i].replaced;
        } else {
            s->rows[w++] = s->rows[i];
        }
    }
    s->n = w;
}

int stats_collect(index_t *ix, MDB_txn *txn, int by, int year, stats_t *out)
{
    gather_t g = {out, by, 0};
    memset(out, 0, sizeof *out);
    /* the province cells are kept as the public figures want them */
    int cells = by == STATS_BY_PROVINCE ? INDEX_TALLY_PROVINCES : INDEX_TALLY_SCHOOLS;
    int rc = index_each_tally(ix, txn, cells, year, add_cell, &g);
    if (rc != INDEX_OK)
        return rc;
    if (by != STATS_BY_PROVINCE)
        merge(out);
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
    static const char *const NAMES[] = {
        [INDEX_LEVEL_TH] = "TH", [INDEX_LEVEL_THCS] = "THCS", [INDEX_LEVEL_THPT] = "THPT", [INDEX_LEVEL_GDTX] = "GDTX"};
    return level > 0 && level <= INDEX_LEVEL_GDTX ? NAMES[level] : "?";
}

double stats_ratio(const stats_row_t *r)
{
    return r->published ? (double)r->recalled / (double)r->published : 0.0;
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
