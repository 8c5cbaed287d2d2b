/* test_cache.c — the portal's answer cache: bounded by entries and by bytes,
 * pages people keep asking for stay, nothing is kept past its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "portal/cache.h"

static void key_of(int i, unsigned char key[32])
{
    memset(key, 0, 32);
    memcpy(key, &i, sizeof i); /* the set is chosen by the first 8 bytes */
    key[31] = (unsigned char)i;
}

static char body[65536];

static void test_cache_is_off_with_no_entries_or_no_bytes(void **state)
{
    (void)state;
    assert_null(cache_new(0, 1 << 20));
    assert_null(cache_new(100, 0));
    unsigned char k[32];
    int status;
    size_t len;
    key_of(1, k);
    cache_put(NULL, k, 200, "x", 1); /* a disabled cache takes nothing, and does not crash */
    assert_null(cache_get(NULL, k, &status, &len));
}

static void test_cache_gives_back_what_was_put(void **state)
{
    (void)state;
    cache_t *c = cache_new(16, 1 << 20);
    unsigned char k[32];
    key_of(7, k);
    cache_put(c, k, 200, "<p>page</p>", 11);
    int status = 0;
    size_t len = 0;
    const char *b = cache_get(c, k, &status, &len);
    assert_non_null(b);
    assert_int_equal(status, 200);
    assert_int_equal(len, 11);
    assert_memory_equal(b, "<p>page</p>", 11);
    key_of(8, k);
    assert_null(cache_get(c, k, &status, &len));
    cache_free(c);
}

/* 16 KB pages into a 256 KB bound: never more than the bound, and the newest
 * page is always there. */
static void test_cache_never_holds_more_bytes_than_its_bound(void **state)
{
    (void)state;
    size_t bound = 256 * 1024;
    cache_t *c = cache_new(1000, bound);
    unsigned char k[32];
    int status;
    size_t len;
    for (int i = 0; i < 200; i++) {
        key_of(i, k);
        cache_put(c, k, 200, body, 16000);
        if (cache_bytes(c) > bound)
            fail_msg("after %d pages: %zu bytes held, over the bound of %zu", i + 1, cache_bytes(c), bound);
        if (cache_get(c, k, &status, &len) == NULL)
            fail_msg("page %d was not kept right after it was put", i);
    }
    if (cache_bytes(c) < 12 * 16000)
        fail_msg("expected the bound to be used (12 pages of 16,000 bytes or more), got %zu bytes",
                 cache_bytes(c));
    cache_free(c);
}

/* A page hit since the clock last passed gets a second chance; one never
 * hit goes first. */
static void test_cache_keeps_the_page_people_ask_for(void **state)
{
    (void)state;
    cache_t *c = cache_new(1000, 16 * 10000);
    unsigned char k[32], hot[32];
    int status;
    size_t len;
    key_of(1000, hot);
    cache_put(c, hot, 200, body, 10000);
    for (int i = 0; i < 50; i++) {
        assert_non_null(cache_get(c, hot, &status, &len));
        key_of(i, k);
        cache_put(c, k, 200, body, 10000);
    }
    if (cache_get(c, hot, &status, &len) == NULL)
        fail_msg("expected the page hit before every put to stay, it was evicted");
    cache_free(c);
}

static void test_cache_does_not_keep_an_answer_over_an_eighth_of_its_bound(void **state)
{
    (void)state;
    cache_t *c = cache_new(100, 80000);
    unsigned char k[32];
    int status;
    size_t len;
    key_of(3, k);
    cache_put(c, k, 200, body, 10001);
    assert_null(cache_get(c, k, &status, &len));
    assert_int_equal(cache_bytes(c), 0);
    cache_put(c, k, 200, body, 10000);
    assert_non_null(cache_get(c, k, &status, &len));
    cache_free(c);
}

/* Two entries per set: a third key of the same set evicts the least
 * recently used of the two, and the byte count follows. */
static void test_cache_evicts_within_a_set_by_last_use(void **state)
{
    (void)state;
    cache_t *c = cache_new(2, 1 << 20); /* one set */
    unsigned char a[32], b[32], d[32];
    int status;
    size_t len;
    key_of(1, a);
    key_of(2, b);
    key_of(3, d);
    cache_put(c, a, 200, body, 100);
    cache_put(c, b, 200, body, 200);
    assert_non_null(cache_get(c, a, &status, &len));
    cache_put(c, d, 200, body, 300);
    assert_non_null(cache_get(c, a, &status, &len));
    assert_null(cache_get(c, b, &status, &len));
    assert_non_null(cache_get(c, d, &status, &len));
    assert_int_equal(cache_bytes(c), 400);
    cache_free(c);
}

int main(void)
{
    memset(body, 'x', sizeof body);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_is_off_with_no_entries_or_no_bytes),
        cmocka_unit_test(test_cache_gives_back_what_was_put),
        cmocka_unit_test(test_cache_never_holds_more_bytes_than_its_bound),
        cmocka_unit_test(test_cache_keeps_the_page_people_ask_for),
        cmocka_unit_test(test_cache_does_not_keep_an_answer_over_an_eighth_of_its_bound),
        cmocka_unit_test(test_cache_evicts_within_a_set_by_last_use),
    };
    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
