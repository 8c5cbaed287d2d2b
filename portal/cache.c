/* cache.c — a 2-way set-associative cache of answers, one per thread,
 * bounded by entries and by bytes. */
#include "portal/cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char key[32];
    int used, status;
    int referenced; /* hit since the clock hand last passed */
    uint64_t stamp;
    char *body;
    size_t len;
} entry_t;

struct cache {
    entry_t *e;
    size_t nsets; /* two entries per set */
    uint64_t clock;
    size_t bytes, max_bytes;
    size_t hand; /* the byte bound's eviction: CLOCK over all entries */
};

cache_t *cache_new(size_t entries, size_t max_bytes)
{
    if (entries == 0 || max_bytes == 0)
        return NULL;
    cache_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->nsets = entries / 2 > 0 ? entries / 2 : 1;
    c->max_bytes = max_bytes;
    if ((c->e = calloc(c->nsets * 2, sizeof *c->e)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void cache_free(cache_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nsets * 2; i++)
        free(c->e[i].body);
    free(c->e);
    free(c);
}

static entry_t *set_of(cache_t *c, const unsigned char key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return &c->e[(h % c->nsets) * 2];
}

static void drop(cache_t *c, entry_t *e)
{
    c->bytes -= e->len;
    free(e->body);
    e->body = NULL;
    e->used = 0;
    e->len = 0;
}

/* Free entries until `need` more bytes fit: the clock hand gives an entry
 * hit since its last pass a second chance, so pages people keep asking for
 * stay. Two full turns always free enough. */
static void make_room(cache_t *c, size_t need)
{
    size_t n = c->nsets * 2;
    for (size_t steps = 0; c->bytes + need > c->max_bytes && steps < 2 * n; steps++) {
        entry_t *e = &c->e[c->hand];
        c->hand = (c->hand + 1) % n;
        if (!e->used)
            continue;
        if (e->referenced)
            e->referenced = 0;
        else
            drop(c, e);
    }
}

const char *cache_get(cache_t *c, const unsigned char key[32], int *status, size_t *len)
{
    if (c == NULL)
        return NULL;
    entry_t *s = set_of(c, key);
    for (int i = 0; i < 2; i++)
        if (s[i].used && memcmp(s[i].key, key, 32) == 0) {
            s[i].stamp = ++c->clock;
            s[i].referenced = 1;
            *status = s[i].status;
            *len = s[i].len;
            return s[i].body;
        }
    return NULL;
}

void cache_put(cache_t *c, const unsigned char key[32], int status, const char *body, size_t len)
{
    /* an answer over an eighth of the bound would push out too many others */
    if (c == NULL || len > c->max_bytes / 8)
        return;
    entry_t *s = set_of(c, key);
    entry_t *victim = !s[0].used ? &s[0] : !s[1].used ? &s[1] : s[0].stamp <= s[1].stamp ? &s[0] : &s[1];
    if (victim->used)
        drop(c, victim);
    make_room(c, len);
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, body, len);
    memcpy(victim->key, key, 32);
    victim->used = 1;
    victim->referenced = 0;
    victim->status = status;
    victim->stamp = ++c->clock;
    victim->body = copy;
    victim->len = len;
    c->bytes += len;
}

size_t cache_bytes(const cache_t *c)
{
    return c == NULL ? 0 : c->bytes;
}
