/* test_digest.c — SHA-256 with a prefetched algorithm (lookup/digest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "lookup/digest.h"

static void expect_hex(const unsigned char d[32], const char *want)
{
    char hex[65];
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    hex[64] = '\0';
    if (strcmp(hex, want) != 0)
        fail_msg("expected SHA-256 %s, got %s", want, hex);
}

/* FIPS 180-2's examples: "abc", the empty string, and two blocks. */
static void test_digest_sha256_gives_the_fips_vectors(void **state)
{
    (void)state;
    unsigned char d[32];
    assert_int_equal(digest_sha256("abc", 3, d), 0);
    expect_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(digest_sha256("", 0, d), 0);
    expect_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(digest_sha256(two, strlen(two), d), 0);
    expect_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void *hash_many(void *arg)
{
    unsigned char d[32];
    intptr_t bad = 0;
    for (int i = 0; i < 1000; i++)
        bad += digest_sha256("abc", 3, d) != 0 || d[0] != 0xba || d[31] != 0xad;
    (void)arg;
    return (void *)bad;
}

/* The first call fetches the algorithm: threads racing to it all get it. */
static void test_digest_sha256_from_four_threads_at_once(void **state)
{
    (void)state;
    pthread_t t[4];
    void *bad;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hash_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_int_equal((intptr_t)bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_sha256_from_four_threads_at_once),
        cmocka_unit_test(test_digest_sha256_gives_the_fips_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
