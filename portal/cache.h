/* cache.h — per-thread cache of answers for transcript routes.
 *
 * An answer (page, printable copy, API JSON) depends only on: the stored
 * record's bytes, the trust inputs' version, the record's recall links, the
 * route and the language. The key is a keyed digest (Poly1305 under a
 * per-run random key, docs/portal.md) over all of them, computed on every
 * request from the index, so a cached answer can never be older than
 * the bytes, the trust inputs or the recall state it was made from: tamper,
 * a new CRL or a recall changes the key and the next request verifies again.
 * One cache per event-loop thread, so no locking; bounded by --cache-entries
 * and by --cache-mb (both split between threads); 0 disables it. */
#ifndef HOCBA_PORTAL_CACHE_H
#define HOCBA_PORTAL_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cache cache_t;

/** A cache of at most `entries` answers holding at most `max_bytes` of
 * bodies (what goes over is evicted, least recently hit first, roughly);
 * NULL when either is 0. */
cache_t *cache_new(size_t entries, size_t max_bytes);
void cache_free(cache_t *c);

/** Find an answer. @return the body (owned by the cache, valid until the next
 * cache_put on this cache) or NULL; *status and *len describe it. */
const char *cache_get(cache_t *c, const unsigned char key[32], int *status, size_t *len);

/** Store a copy of an answer, evicting what was in its slot and what the
 * byte bound needs. An answer larger than an eighth of the bound is not kept. */
void cache_put(cache_t *c, const unsigned char key[32], int status, const char *body, size_t len);

/** Bytes of bodies held now. */
size_t cache_bytes(const cache_t *c);

#endif
