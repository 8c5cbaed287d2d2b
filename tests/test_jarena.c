/* test_jarena.c — the per-thread jansson arena (lookup/jarena.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "lookup/jarena.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

static int setup(void **state)
{
    (void)state;
    jarena_install();
    return 0;
}

static void test_jarena_region_allocates_from_the_arena(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(64 << 10);
    assert_non_null(a);
    jarena_begin(a);
    json_t *o = json_pack("{s:s, s:i, s:[i,i]}", "name", "Nguyễn Văn An", "grade", 7, "days", 1, 2);
    assert_non_null(o);
    assert_true(jarena_owns(a, o));
    assert_true(jarena_owns(a, json_string_value(json_object_get(o, "name"))));
    assert_string_equal(json_string_value(json_object_get(o, "name")), "Nguyễn Văn An");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "days"), 1)), 2);
    json_decref(o);
    jarena_end(a);
    jarena_free(a);
}

static void test_jarena_outside_a_region_jansson_uses_malloc(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(64 << 10);
    json_t *before = json_string("trước");
    jarena_begin(a);
    jarena_end(a);
    json_t *after = json_string("sau");
    assert_false(jarena_owns(a, before));
    assert_false(jarena_owns(a, after));
    /* a value made before the region is still whole after it */
    assert_string_equal(json_string_value(before), "trước");
    json_decref(before);
    json_decref(after);
    jarena_free(a);
}

/* A value made outside and freed inside a region goes back to malloc:
 * LeakSanitizer fails this test if it did not. */
static void test_jarena_frees_malloced_values_inside_a_region(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(64 << 10);
    json_t *long_lived = json_pack("{s:s}", "school", "THCS Lê Lợi");
    jarena_begin(a);
    json_t *tmp = json_object();
    json_object_set(tmp, "copy", long_lived); /* shares it: refcount 2 */
    json_decref(long_lived);                  /* refcount 1: tmp holds it */
    assert_int_equal(long_lived->refcount, 1);
    json_decref(tmp); /* frees long_lived with free(), tmp with nothing */
    jarena_end(a);
    jarena_free(a);
}

static void test_jarena_grows_beyond_its_first_block_and_gives_it_back(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(4096);
    size_t first = jarena_held(a);
    assert_int_equal(first, 4096);
    jarena_begin(a);
    json_t *arr = json_array();
    for (int i = 0; i < 2000; i++)
        assert_int_equal(json_array_append_new(arr, json_integer(i)), 0);
    char *text = malloc(100000);
    memset(text, 'a', 99999);
    text[99999] = '\0';
    json_t *s = json_string(text); /* one allocation larger than a block */
    free(text);
    assert_non_null(s);
    assert_true(jarena_owns(a, json_string_value(s)));
    assert_int_equal(json_string_length(s), 99999);
    assert_true(jarena_held(a) > 100000);
    assert_int_equal(json_integer_value(json_array_get(arr, 1999)), 1999);
    jarena_end(a);
    assert_int_equal(jarena_held(a), first);
    jarena_free(a);
}

static void test_jarena_memory_is_reused_by_the_next_region(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(64 << 10);
    jarena_begin(a);
    json_t *x = json_object();
    jarena_end(a);
    jarena_begin(a);
    json_t *y = json_object();
    assert_ptr_equal(x, y); /* the same bytes again: nothing went to malloc */
    json_decref(y);
    jarena_end(a);
    jarena_free(a);
}

#ifdef HAVE_ASAN
/* A pointer that outlives its region is caught at its first use. */
static void test_jarena_poisons_what_it_takes_back(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(64 << 10);
    jarena_begin(a);
    json_t *o = json_string("thoát");
    const char *text = json_string_value(o);
    assert_false(__asan_address_is_poisoned(text));
    json_t *freed = json_string("đã giải phóng");
    const char *freed_text = json_string_value(freed);
    json_decref(freed);
    assert_true(__asan_address_is_poisoned(freed_text));
    jarena_end(a);
    assert_true(__asan_address_is_poisoned(o));
    assert_true(__asan_address_is_poisoned(text));
    jarena_free(a);
}
#endif

static void *thread_body(void *arg)
{
    jarena_t *a = arg;
    intptr_t bad = 0;
    for (int round = 0; round < 200; round++) {
        jarena_begin(a);
        json_t *o = json_pack("{s:i, s:s}", "round", round, "who", "luồng");
        if (!jarena_owns(a, o) || json_integer_value(json_object_get(o, "round")) != round)
            bad++;
        json_decref(o);
        jarena_end(a);
    }
    return (void *)bad;
}

/* Two threads, each its own arena at the same time: a region is the
 * calling thread's only. */
static void test_jarena_regions_belong_to_their_thread(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(16 << 10), *b = jarena_new(16 << 10);
    pthread_t ta, tb;
    void *ra, *rb;
    assert_int_equal(pthread_create(&ta, NULL, thread_body, a), 0);
    assert_int_equal(pthread_create(&tb, NULL, thread_body, b), 0);
    /* meanwhile this thread has no region: its values come from malloc */
    json_t *mine = json_string("chính");
    assert_false(jarena_owns(a, mine) || jarena_owns(b, mine));
    assert_int_equal(pthread_join(ta, &ra), 0);
    assert_int_equal(pthread_join(tb, &rb), 0);
    assert_int_equal((intptr_t)ra, 0);
    assert_int_equal((intptr_t)rb, 0);
    json_decref(mine);
    jarena_free(a);
    jarena_free(b);
}

static void test_jarena_null_arena_leaves_jansson_on_malloc(void **state)
{
    (void)state;
    jarena_begin(NULL);
    json_t *o = json_object(); /* LeakSanitizer checks it is freed below */
    jarena_end(NULL);
    json_decref(o);
}

static void test_jarena_free_inside_a_region_ends_it(void **state)
{
    (void)state;
    jarena_t *a = jarena_new(8192);
    jarena_begin(a);
    jarena_free(a);
    json_t *o = json_string("sau khi giải phóng"); /* from malloc again */
    assert_string_equal(json_string_value(o), "sau khi giải phóng");
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jarena_region_allocates_from_the_arena),
        cmocka_unit_test(test_jarena_outside_a_region_jansson_uses_malloc),
        cmocka_unit_test(test_jarena_frees_malloced_values_inside_a_region),
        cmocka_unit_test(test_jarena_grows_beyond_its_first_block_and_gives_it_back),
        cmocka_unit_test(test_jarena_memory_is_reused_by_the_next_region),
#ifdef HAVE_ASAN
        cmocka_unit_test(test_jarena_poisons_what_it_takes_back),
#endif
        cmocka_unit_test(test_jarena_regions_belong_to_their_thread),
        cmocka_unit_test(test_jarena_null_arena_leaves_jansson_on_malloc),
        cmocka_unit_test(test_jarena_free_inside_a_region_ends_it),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
