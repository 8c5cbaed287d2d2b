/* cache.c — a 2-way set-associative cache of answers, one per thread. */
#include "portal/cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char key[32];
    int used, status;
    uint64_t stamp;
    char *body;
    size_t len;
} entry_t;

struct cache {
    entry_t *e;
    size_t nsets; /* two entries per set */
    uint64_t clock;
};

cache_t *cache_new(size_t entries)
{
    if (entries == 0)
        return NULL;
    cache_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->nsets = entries / 2 > 0 ? entries / 2 : 1;
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

const char *cache_get(cache_t *c, const unsigned char key[32], int *status, size_t *len)
{
    if (c == NULL)
        return NULL;
    entry_t *s = set_of(c, key);
    for (int i = 0; i < 2; i++)
        if (s[i].used && memcmp(s[i].key, key, 32) == 0) {
            s[i].stamp = ++c->clock;
            *status = s[i].status;
            *len = s[i].len;
            return s[i].body;
        }
    return NULL;
}

void cache_put(cache_t *c, const unsigned char key[32], int status, const char *body, size_t len)
{
    if (c == NULL)
        return;
    entry_t *s = set_of(c, key);
    entry_t *victim = !s[0].used ? &s[0] : !s[1].used ? &s[1] : s[0].stamp <= s[1].stamp ? &s[0] : &s[1];
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, body, len);
    free(victim->body);
    memcpy(victim->key, key, 32);
    victim->used = 1;
    victim->status = status;
    victim->stamp = ++c->clock;
    victim->body = copy;
    victim->len = len;
}
