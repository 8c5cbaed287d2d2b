/* ratelimit.c — lookups per minute per client address (token buckets).
 *
 * Each client has a bucket of N tokens refilled at N per minute; a hit
 * costs 1 and a miss more (rq.h), so guessing codes is slow. IPv6
 * clients are keyed by their /64, since one host usually owns a /64.
 * Buckets live in 64 shards of a fixed size; when a shard is full the
 * bucket idle for longest is reused, so memory is bounded whatever the
 * number of clients. */
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "portal/ratelimit.h"

#define SHARDS 64
#define SLOTS 1024 /* per shard: 65,536 clients tracked at once */
#define PROBE 8

typedef struct {
    unsigned char key[16];
    double tokens;
    double last; /* seconds, monotonic; 0 = free */
} bucket_t;

typedef struct {
    pthread_mutex_t lock;
    bucket_t slots[SLOTS];
} shard_t;

struct ratelimit {
    double capacity, per_second;
    shard_t shards[SHARDS];
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + 1.0;
}

static int key_of(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, v4mapped, 12) == 0)
            memcpy(key, a + 12, 4);
        else {
            key[4] = 6;
            memcpy(key + 8, a, 8);
        }
        return 0;
    }
    return -1;
}

static uint32_t hash_key(const unsigned char key[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    return h;
}

struct ratelimit *ratelimit_new(unsigned per_minute)
{
    struct ratelimit *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->capacity = per_minute;
    r->per_second = per_minute / 60.0;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&r->shards[i].lock, NULL);
    return r;
}

void ratelimit_free(struct ratelimit *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_destroy(&r->shards[i].lock);
    free(r);
}

/* The client's bucket, refilled to now; the caller holds the shard lock. */
static bucket_t *bucket(struct ratelimit *r, shard_t *s, const unsigned char key[16], uint32_t h, double now)
{
    bucket_t *oldest = NULL;
    for (int i = 0; i < PROBE; i++) {
        bucket_t *b = &s->slots[(h / SHARDS + (uint32_t)i) % SLOTS];
        if (b->last != 0 && memcmp(b->key, key, 16) == 0) {
            b->tokens = fmin(r->capacity, b->tokens + (now - b->last) * r->per_second);
            b->last = now;
            return b;
        }
        if (oldest == NULL || b->last < oldest->last)
            oldest = b;
    }
    memcpy(oldest->key, key, 16);
    oldest->tokens = r->capacity;
    oldest->last = now;
    return oldest;
}

unsigned ratelimit_check(struct ratelimit *r, const struct sockaddr *sa)
{
    unsigned char key[16];
    if (key_of(sa, key) != 0)
        return 0;
    uint32_t h = hash_key(key);
    shard_t *s = &r->shards[h % SHARDS];
    pthread_mutex_lock(&s->lock);
    bucket_t *b = bucket(r, s, key, h, mono());
    double tokens = b->tokens;
    pthread_mutex_unlock(&s->lock);
    if (tokens >= 1.0)
        return 0;
    double wait = (1.0 - tokens) / r->per_second;
    return wait < 1.0 ? 1u : (unsigned)ceil(wait);
}

void ratelimit_charge(struct ratelimit *r, const struct sockaddr *sa, unsigned cost)
{
    unsigned char key[16];
    if (key_of(sa, key) != 0)
        return;
    uint32_t h = hash_key(key);
    shard_t *s = &r->shards[h % SHARDS];
    pthread_mutex_lock(&s->lock);
    bucket_t *b = bucket(r, s, key, h, mono());
    /* May go below zero: a burst of misses keeps the client waiting longer. */
    b->tokens -= cost;
    if (b->tokens < -r->capacity)
        b->tokens = -r->capacity;
    pthread_mutex_unlock(&s->lock);
}
