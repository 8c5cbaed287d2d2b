/* test_file.c — lookup/file: a whole regular file, and every kind of path
 * it must refuse at once, saying which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lookup/file.h"
#include "tests/harness.h"

static const char *dir;

static void test_file_reads_a_regular_file_whole_with_a_nul_after_it(void **state)
{
    (void)state;
    const char *path = harness_printf("%s/ok.txt", dir);
    char *b;
    size_t len;
    assert_int_equal(harness_write_file(path, "Học bạ\0x", 10), 0);
    assert_int_equal(file_read(path, 10, &b, &len), FILE_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(b, "Học bạ\0x", 10);
    assert_int_equal(b[10], '\0');
    free(b);
    /* relative to a directory */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    assert_int_equal(file_read_at(dfd, "ok.txt", FILE_NOFOLLOW, 10, &b, &len), FILE_OK);
    free(b);
    close(dfd);
}

/* Each refusal, with what it leaves in *out and *len. */
static void test_file_refuses_what_is_not_a_whole_regular_file_within_the_limit(void **state)
{
    (void)state;
    const char *big = harness_printf("%s/big.txt", dir), *fifo = harness_printf("%s/fifo", dir),
               *link = harness_printf("%s/link", dir), *missing = harness_printf("%s/missing", dir);
    assert_int_equal(harness_write_file(big, "0123456789", 10), 0);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("big.txt", link), 0);
    static const struct {
        const char *what;
        int which, flags, want;
        size_t len;
    } CASES[] = {
        {"a file over the limit", 0, 0, FILE_ETOOBIG, 10},
        {"a FIFO (at once, not waited on)", 1, 0, FILE_ENOTREG, 0},
        {"a directory", 2, 0, FILE_ENOTREG, 0},
        {"a symbolic link, not followed", 3, FILE_NOFOLLOW, FILE_ELINK, 0},
        {"a missing file", 4, 0, FILE_EOPEN, 0},
    };
    const char *paths[] = {big, fifo, dir, link, missing};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        char *b = (char *)"x";
        size_t len = 99;
        int rc = file_read(paths[CASES[i].which], 9, &b, &len);
        if (CASES[i].flags)
            rc = file_read_at(AT_FDCWD, paths[CASES[i].which], CASES[i].flags, 9, &b, &len);
        if (rc != CASES[i].want || b != NULL || len != CASES[i].len)
            fail_msg("%s: expected %d, no buffer and length %zu; got %d, %s, %zu", CASES[i].what,
                     CASES[i].want, CASES[i].len, rc, b ? "a buffer" : "none", len);
    }
    char *b;
    size_t len;
    assert_int_equal(file_read(missing, 9, &b, &len), FILE_EOPEN);
    assert_int_equal(errno, ENOENT);
    /* the link is followed without FILE_NOFOLLOW */
    assert_int_equal(file_read(link, 10, &b, &len), FILE_OK);
    free(b);
}

static int setup(void **state)
{
    (void)state;
    dir = harness_make_tmp("hocba-file-test");
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    harness_group_end(state, dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_reads_a_regular_file_whole_with_a_nul_after_it),
        cmocka_unit_test(test_file_refuses_what_is_not_a_whole_regular_file_within_the_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
