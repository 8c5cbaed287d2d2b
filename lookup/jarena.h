/* jarena.h — a per-thread arena for jansson's allocations.
 *
 * A cold page builds two jansson trees (the signed payload and the page
 * context), a few hundred small nodes each, and frees them all when it is
 * done; under glibc malloc that was ~12 % of a cold page's time. Between
 * jarena_begin and jarena_end every allocation jansson makes *on this
 * thread* is carved from the arena and its frees cost nothing; jarena_end
 * takes it all back at once. Outside a region, and on threads that never
 * open one, jansson uses malloc and free exactly as before.
 *
 * The one rule: nothing jansson allocated inside a region is used after
 * jarena_end, and no long-lived jansson value is changed inside a region
 * (it would keep pointers into the arena). Serialise what must outlive the
 * region with json_dump_callback into memory of your own. AddressSanitizer
 * builds poison every byte the arena takes back, so a pointer that escapes
 * is reported at its first use.
 */
#ifndef HOCBA_JARENA_H
#define HOCBA_JARENA_H

#include <stddef.h>

typedef struct jarena jarena_t;

/* A first block that holds one transcript's trees: a cold page takes 42 KB
 * of jansson memory (60 KB for its JSON answer). */
#define JARENA_CHUNK (128 << 10)

/** Route jansson's allocations through this module (json_set_alloc_funcs).
 * Call once, before threads start; safe to call again. Values jansson made
 * before the call are still freed with free(). */
void jarena_install(void);

/** A new arena whose first block (kept between regions) has chunk bytes.
 * @return the arena, or NULL when out of memory. Owned by the caller; one
 * thread uses it at a time. */
jarena_t *jarena_new(size_t chunk);

/** Free an arena and every block it holds. NULL is accepted. Not inside a
 * region. */
void jarena_free(jarena_t *a);

/** Open a region on the calling thread: jansson allocates from a until
 * jarena_end. Regions do not nest: a region of another arena open on this
 * thread is ended first. a NULL (an arena that could not be made) opens
 * no region: jansson keeps using malloc. */
void jarena_begin(jarena_t *a);

/** Close the calling thread's region and take back everything allocated in
 * it; blocks beyond the first go back to malloc. NULL is accepted. */
void jarena_end(jarena_t *a);

/** Whether p lies in memory the arena holds now (for tests). */
int jarena_owns(const jarena_t *a, const void *p);

/** Bytes the arena holds from malloc now, all blocks (for tests and
 * metrics). */
size_t jarena_held(const jarena_t *a);

#endif
