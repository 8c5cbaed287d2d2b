/* test_publog.c — lookup/publog: a segment written and read back, and the
 * damage a reader must refuse (cut, altered, miscounted, foreign). The log
 * at work between a primary and its replicas is tested in test_scaleout.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lookup/publog.h"
#include "tests/harness.h"

static const char *tmpdir;

/* Segment 7 of dir: a put, a delete and an emptying, after prev. */
static void write_segment(const char *dir, const uint8_t prev[32], uint8_t hash[32])
{
    publog_writer_t *w;
    char why[256];
    assert_int_equal(publog_begin(dir, 7, prev, 5, 1700000000, &w, why, sizeof why), PUBLOG_OK);
    assert_int_equal(publog_add(w, PUBLOG_PUT, "docs", "KEY", 3, "value", 5), PUBLOG_OK);
    assert_int_equal(publog_add(w, PUBLOG_DEL, "meta", "gone", 4, NULL, 0), PUBLOG_OK);
    assert_int_equal(publog_add(w, PUBLOG_EMPTY, "crls", NULL, 0, NULL, 0), PUBLOG_OK);
    assert_int_equal(publog_count(w), 3);
    assert_int_equal(publog_seal(w, hash, why, sizeof why), PUBLOG_OK);
    /* sealed, not named yet: a reader of the directory sees nothing */
    uint64_t first, last;
    assert_int_equal(publog_range(dir, &first, &last, why, sizeof why), PUBLOG_OK);
    assert_int_equal(last, 0);
    assert_int_equal(publog_publish(w, why, sizeof why), PUBLOG_OK);
}

static void test_publog_gives_back_what_was_written_in_order(void **state)
{
    (void)state;
    const char *dir = harness_printf("%s/roundtrip", tmpdir);
    uint8_t prev[32], hash[32];
    memset(prev, 0xab, sizeof prev);
    assert_int_equal(mkdir(dir, 0755), 0);
    write_segment(dir, prev, hash);
    publog_segment_t s;
    publog_op_t op;
    char why[256];
    assert_int_equal(publog_read(dir, 7, &s, why, sizeof why), PUBLOG_OK);
    assert_int_equal(s.seq, 7);
    assert_int_equal(s.format, 5);
    assert_int_equal(s.time, 1700000000);
    assert_int_equal(s.nops, 3);
    assert_memory_equal(s.prev, prev, 32);
    assert_memory_equal(s.hash, hash, 32);
    size_t pos = s.ops_begin;
    assert_true(publog_next_op(&s, &pos, &op));
    assert_true(op.op == PUBLOG_PUT && strcmp(op.table, "docs") == 0 && op.klen == 3 && op.vlen == 5);
    assert_memory_equal(op.val, "value", 5);
    assert_true(publog_next_op(&s, &pos, &op));
    assert_true(op.op == PUBLOG_DEL && strcmp(op.table, "meta") == 0 && op.klen == 4 && op.val == NULL);
    assert_true(publog_next_op(&s, &pos, &op));
    assert_true(op.op == PUBLOG_EMPTY && strcmp(op.table, "crls") == 0 && op.key == NULL);
    assert_false(publog_next_op(&s, &pos, &op));
    publog_segment_free(&s);
    uint64_t first, last;
    assert_int_equal(publog_range(dir, &first, &last, why, sizeof why), PUBLOG_OK);
    assert_true(first == 7 && last == 7);
    assert_int_equal(publog_read(dir, 8, &s, why, sizeof why), PUBLOG_ENOENT);
}

/* Each damage, made to a good segment's bytes, is refused with words that say what. */
static void test_publog_refuses_a_damaged_segment_saying_what(void **state)
{
    (void)state;
    const char *dir = harness_printf("%s/damaged", tmpdir);
    uint8_t prev[32] = {0}, hash[32];
    assert_int_equal(mkdir(dir, 0755), 0);
    write_segment(dir, prev, hash);
    size_t len;
    char *good = harness_read_file(harness_printf("%s/0000000000000007.seg", dir), &len);
    assert_non_null(good);
    enum { FLIP, CUT, COUNT, MAGIC, OP };
    static const struct {
        int what;
        long at; /* from the end when negative */
        const char *says;
    } CASES[] = {
        {FLIP, 70, "does not match its SHA-256"},       /* a byte of the first op's table name */
        {FLIP, -1, "does not match its SHA-256"},       /* the trailer's digest */
        {CUT, -1, "no trailer where the changes end"},  /* the last byte gone */
        {CUT, 90, "a segment cut at 90 bytes"},         /* inside the first op */
        {CUT, 130, "no trailer where the changes end"}, /* in the trailer */
        {COUNT, -33, "trailer counts"},                 /* the op count's low byte */
        {MAGIC, 0, "not a segment of a publication log"},
        {OP, 67, "cut or malformed"}, /* the first op's code, right after the 67-byte header */
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        uint8_t *b = harness_malloc(len);
        size_t n = len, at = CASES[i].at < 0 ? len + (size_t)CASES[i].at : (size_t)CASES[i].at;
        memcpy(b, good, len);
        if (CASES[i].what == CUT)
            n = at;
        else if (CASES[i].what == OP)
            b[at] = 'Q';
        else
            b[at] ^= 1;
        publog_segment_t s;
        char why[256] = "";
        int rc = publog_check(b, n, &s, why, sizeof why);
        if (rc != PUBLOG_EBAD || strstr(why, CASES[i].says) == NULL)
            fail_msg("case %zu: expected PUBLOG_EBAD saying \"%s\", got %d: %s", i, CASES[i].says, rc, why);
    }
    /* and the good one is good */
    publog_segment_t s;
    char why[256];
    assert_int_equal(publog_check((const uint8_t *)good, len, &s, why, sizeof why), PUBLOG_OK);
    assert_memory_equal(s.hash, hash, 32);
}

/* A discarded segment leaves nothing behind. */
static void test_publog_discard_removes_the_temporary_file(void **state)
{
    (void)state;
    const char *dir = harness_printf("%s/discarded", tmpdir);
    uint8_t prev[32] = {0};
    char why[256], name[PUBLOG_NAME_LEN + 3];
    publog_writer_t *w;
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(publog_begin(dir, 1, prev, 5, 0, &w, why, sizeof why), PUBLOG_OK);
    assert_int_equal(publog_add(w, PUBLOG_PUT, "docs", "k", 1, "v", 1), PUBLOG_OK);
    publog_temp_name(1, name);
    assert_int_equal(access(harness_printf("%s/%s", dir, name), F_OK), 0);
    publog_discard(w);
    assert_int_not_equal(access(harness_printf("%s/%s", dir, name), F_OK), 0);
    assert_int_equal(publog_begin(harness_printf("%s/none", dir), 1, prev, 5, 0, &w, why, sizeof why),
                     PUBLOG_EIO);
    assert_non_null(strstr(why, "cannot write"));
}

static int setup(void **state)
{
    (void)state;
    tmpdir = harness_make_tmp("hocba-publog-test");
    return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
    harness_group_end(state, tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publog_gives_back_what_was_written_in_order),
        cmocka_unit_test(test_publog_refuses_a_damaged_segment_saying_what),
        cmocka_unit_test(test_publog_discard_removes_the_temporary_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
