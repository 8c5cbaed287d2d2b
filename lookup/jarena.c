/* jarena.c — a per-thread bump arena behind jansson's allocator (jarena.h). */
#include "jarena.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define JARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JARENA_ASAN 1
#endif
#endif

#ifdef JARENA_ASAN
#include <sanitizer/asan_interface.h>
/* each block carries its size so a free can poison exactly it */
#define HEAD 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define HEAD 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 16 /* what malloc promises: jansson stores doubles and size_t */

typedef struct block {
    struct block *next;
    size_t size; /* bytes of data[] */
    _Alignas(ALIGN) unsigned char data[];
} block_t;

struct jarena {
    block_t *first; /* kept between regions */
    block_t *more;  /* blocks of this region beyond the first, newest first */
    unsigned char *pos, *end;
    size_t chunk;
};

static _Thread_local jarena_t *current;

static block_t *block_new(size_t size)
{
    block_t *b = malloc(sizeof *b + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    POISON(b->data, size);
    return b;
}

static void block_free(block_t *b)
{
    if (b != NULL) {
        UNPOISON(b->data, b->size);
        free(b);
    }
}

static int in_block(const block_t *b, const void *p)
{
    uintptr_t u = (uintptr_t)p, lo = (uintptr_t)b->data;
    return u >= lo && u < lo + b->size;
}

static void *arena_alloc(jarena_t *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = (n + HEAD + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need > (size_t)(a->end - a->pos)) {
        block_t *b = block_new(need > a->chunk ? need : a->chunk);
        if (b == NULL)
            return NULL;
        b->next = a->more;
        a->more = b;
        a->pos = b->data;
        a->end = b->data + b->size;
    }
    unsigned char *p = a->pos;
    a->pos += need;
    UNPOISON(p, HEAD + n);
#ifdef JARENA_ASAN
    *(size_t *)p = n;
#endif
    return p + HEAD;
}

static void *j_malloc(size_t n)
{
    jarena_t *a = current;
    return a != NULL ? arena_alloc(a, n) : malloc(n);
}

static void j_free(void *p)
{
    jarena_t *a = current;
    if (p == NULL)
        return;
    if (a != NULL && jarena_owns(a, p)) {
#ifdef JARENA_ASAN
        unsigned char *h = (unsigned char *)p - HEAD;
        POISON(h, HEAD + *(size_t *)h);
#endif
        return; /* taken back with the region */
    }
    free(p);
}

void jarena_install(void)
{
    json_set_alloc_funcs(j_malloc, j_free);
}

jarena_t *jarena_new(size_t chunk)
{
    jarena_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->chunk = chunk < 4096 ? 4096 : chunk;
    if ((a->first = block_new(a->chunk)) == NULL) {
        free(a);
        return NULL;
    }
    a->pos = a->first->data;
    a->end = a->pos + a->first->size;
    return a;
}

void jarena_free(jarena_t *a)
{
    if (a == NULL)
        return;
    jarena_end(a); /* ends this thread's region if it is a's, frees the blocks beyond the first */
    block_free(a->first);
    free(a);
}

void jarena_begin(jarena_t *a)
{
    if (current != NULL && current != a)
        jarena_end(current);
    current = a;
}

void jarena_end(jarena_t *a)
{
    if (current == a)
        current = NULL;
    if (a == NULL)
        return;
    while (a->more != NULL) {
        block_t *next = a->more->next;
        block_free(a->more);
        a->more = next;
    }
    POISON(a->first->data, a->first->size); /* a use after the region is reported */
    a->pos = a->first->data;
    a->end = a->pos + a->first->size;
}

int jarena_owns(const jarena_t *a, const void *p)
{
    if (in_block(a->first, p))
        return 1;
    for (const block_t *b = a->more; b != NULL; b = b->next)
        if (in_block(b, p))
            return 1;
    return 0;
}

size_t jarena_held(const jarena_t *a)
{
    size_t n = a->first->size;
    for (const block_t *b = a->more; b != NULL; b = b->next)
        n += b->size;
    return n;
}
