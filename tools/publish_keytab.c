/* publish_keytab.c — a hash table from short byte strings to size_t values
 * (publish.h): the dry run's overlay and the certificate report look keys
 * up once a package or a signer, thousands of times, so not in a list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/publish.h"

typedef struct {
    size_t value;
    uint32_t hash;
    uint32_t len;       /* 0: the slot is empty (no key is empty: keytab_put refuses one) */
    unsigned char *key; /* a copy, malloc'd */
} slot_t;

struct keytab {
    slot_t *slots;
    size_t nslots, nused; /* nslots a power of two, at most half of them used */
};

/* FNV-1a: keys are codes and school/id strings, not chosen to collide with
 * anything (a batch is the operator's own), and short. */
static uint32_t hash_of(const unsigned char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static slot_t *find(const keytab_t *t, const void *key, size_t len, uint32_t h)
{
    size_t mask = t->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot_t *s = &t->slots[i];
        if (s->len == 0 || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

static int grow(keytab_t *t)
{
    keytab_t bigger = {calloc(t->nslots * 2, sizeof(slot_t)), t->nslots * 2, t->nused};
    if (bigger.slots == NULL)
        return ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        slot_t *s = &t->slots[i];
        if (s->len != 0)
            *find(&bigger, s->key, s->len, s->hash) = *s;
    }
    free(t->slots);
    *t = bigger;
    return 0;
}

keytab_t *keytab_new(void)
{
    keytab_t *t = calloc(1, sizeof *t);
    if (t != NULL && (t->slots = calloc(64, sizeof(slot_t))) == NULL) {
        free(t);
        return NULL;
    }
    if (t != NULL)
        t->nslots = 64;
    return t;
}

void keytab_free(keytab_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nslots; i++)
        free(t->slots[i].key);
    free(t->slots);
    free(t);
}

int keytab_put(keytab_t *t, const void *key, size_t len, size_t value)
{
    if (len == 0 || len > KEYTAB_MAX_KEY)
        return EINVAL;
    uint32_t h = hash_of(key, len);
    slot_t *s = find(t, key, len, h);
    if (s->len == 0) {
        unsigned char *copy = malloc(len);
        if (copy == NULL)
            return ENOMEM;
        if (2 * (t->nused + 1) > t->nslots) {
            if (grow(t) != 0) {
                free(copy);
                return ENOMEM;
            }
            s = find(t, key, len, h);
        }
        memcpy(copy, key, len);
        s->key = copy;
        s->hash = h;
        s->len = (uint32_t)len;
        t->nused++;
    }
    s->value = value;
    return 0;
}

int keytab_get(const keytab_t *t, const void *key, size_t len, size_t *value)
{
    if (len == 0 || len > KEYTAB_MAX_KEY)
        return 0;
    const slot_t *s = find(t, key, len, hash_of(key, len));
    if (s->len == 0)
        return 0;
    *value = s->value;
    return 1;
}
