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
#include <sys/wait.h>
#include <unistd.h>

#include "lookup/code.h"
#include "lookup/index.h"
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

/* ---- with an index ---- */

static index_t *open_index(const char *name)
{
    index_t *ix;
    char why[512];
    if (index_open(harness_printf("%s/%s", tmpdir, name), 0, &ix, why, sizeof why) != 0)
        fail_msg("index_open %s: %s", name, why);
    return ix;
}

static const char *digest_hex(index_t *ix)
{
    MDB_txn *txn;
    unsigned char d[32];
    char *hex = harness_malloc(65);
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(index_content_digest(ix, txn, d), 0);
    mdb_txn_abort(txn);
    str_hex(d, 32, hex);
    return hex;
}

/* A log in tmpdir/NAME-log of one segment, written under index format `format`, that puts key -> val
 * (klen and vlen bytes) into table; replayed into a new index NAME. @return replay's result (0 or -1,
 * why set). */
static int replay_one_put(const char *name, int format, const char *table, const void *key, size_t klen,
                          const void *val, size_t vlen, index_t **ix, char *why, size_t whylen)
{
    const char *dir = harness_printf("%s/%s-log", tmpdir, name);
    uint8_t prev[32] = {0}, hash[32];
    publog_writer_t *w;
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(publog_begin(dir, 1, prev, format, 0, &w, why, whylen), PUBLOG_OK);
    assert_int_equal(publog_add(w, PUBLOG_PUT, table, key, klen, val, vlen), PUBLOG_OK);
    assert_int_equal(publog_seal(w, hash, why, whylen), PUBLOG_OK);
    assert_int_equal(publog_publish(w, why, whylen), PUBLOG_OK);
    *ix = open_index(name);
    return index_replay(*ix, dir, NULL, NULL, why, whylen);
}

/* A replica of a log of one segment holding one put, as a hostile or broken primary might write it. */
static index_t *replica_of_one_put(const char *name, const char *table, const char *key, const char *val)
{
    index_t *ix;
    char why[512];
    if (replay_one_put(name, INDEX_FORMAT, table, key, strlen(key), val, strlen(val), &ix, why, sizeof why) !=
        0)
        fail_msg("replay into %s: %s", name, why);
    return ix;
}

/* docs/replication.md: a replica applies the segments written under its own index format, and those
 * of format 5 (format 6 only changed how new records pack their payload, and reads format 5's); it
 * refuses an older or a newer format, naming the formats it reads, and applies nothing. */
static void test_publog_replay_takes_segments_of_formats_5_and_6(void **state)
{
    (void)state;
    static const struct {
        int format, applied;
    } CASES[] = {{4, 0}, {5, 1}, {6, 1}, {7, 0}};
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        index_t *ix;
        char why[512] = "";
        int rc = replay_one_put(harness_printf("formats-%d", CASES[i].format), CASES[i].format, "meta",
                                "registry", 8, "R", 1, &ix, why, sizeof why);
        MDB_txn *txn;
        MDB_dbi meta;
        MDB_val k = {8, "registry"}, v;
        assert_int_equal(index_begin(ix, 1, &txn), 0);
        assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
        int found = mdb_get(txn, meta, &k, &v) == 0 && v.mv_size == 1 && *(char *)v.mv_data == 'R';
        mdb_txn_abort(txn);
        index_close(ix);
        if (CASES[i].applied && (rc != 0 || !found))
            fail_msg("format %d: expected the segment applied, got %d (%s), entry %s", CASES[i].format, rc,
                     why, found ? "there" : "missing");
        if (!CASES[i].applied &&
            (rc == 0 || found || strstr(why, harness_printf("format %d", CASES[i].format)) == NULL ||
             strstr(why, "formats 5 to 6") == NULL))
            fail_msg("format %d: expected a refusal naming formats 5 to 6, and nothing applied; got %d (%s), "
                     "entry %s",
                     CASES[i].format, rc, why, found ? "there" : "missing");
    }
}

/* An entry cannot pass for a table's name: "certs" holding crls -> V, and "crls" holding V -> crls, are
 * two contents, with two digests. */
static void test_publog_digest_tells_a_table_from_an_entry(void **state)
{
    (void)state;
    index_t *a = replica_of_one_put("digest-a", "certs", "crls", "V");
    index_t *b = replica_of_one_put("digest-b", "crls", "V", "crls");
    const char *da = digest_hex(a), *db = digest_hex(b);
    if (strcmp(da, db) == 0)
        fail_msg("expected two digests, both are %s", da);
    index_close(a);
    index_close(b);
}

/* The meta "format" of ix set to f by hand (no upgrade: what a replica upgraded before its primary
 * differs in). */
static void set_format(index_t *ix, char f)
{
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val k = {6, "format"}, v = {1, &f};
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

/* What a primary of format 5 logged, a record of format 3 (its payload a zlib stream), applies to an
 * index of format 6 and reads back; and the digest leaves the format number out, so a replica
 * upgraded before its primary agrees with it while they hold the same content. */
static void test_publog_format_5_records_replay_and_digest_across_formats(void **state)
{
    (void)state;
    const char *payload = "{\"remarks\": \"a payload long enough to pack, long enough to pack, long "
                          "enough to pack, long enough to pack\"}";
    char code[CODE_LEN], why[512] = "";
    index_prepared_t rec;
    size_t n;
    code_from_payload(payload, strlen(payload), code);
    assert_int_equal(index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1, str_c(payload), str_c("x"), &rec), INDEX_OK);
    unsigned char *old = harness_record_as_zlib(rec.value, rec.len, &n);
    index_prepared_free(&rec);
    assert_non_null(old);
    assert_int_equal(old[0], 3);
    index_t *ix;
    int rc = replay_one_put("format-5-record", 5, "docs", code, CODE_LEN, old, n, &ix, why, sizeof why);
    free(old);
    if (rc != 0)
        fail_msg("expected a segment of format 5 to apply, got: %s", why);
    MDB_txn *txn;
    index_doc_t d;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(index_get_doc(ix, txn, code, INDEX_WITH_CMS, &d), INDEX_OK);
    assert_int_equal(d.payload.len, strlen(payload));
    assert_memory_equal(d.payload.ptr, payload, strlen(payload));
    assert_int_equal(d.cms.len, 1);
    index_doc_free(&d);
    mdb_txn_abort(txn);
    const char *at6 = digest_hex(ix);
    set_format(ix, '5');
    const char *at5 = digest_hex(ix);
    set_format(ix, '6');
    index_close(ix);
    if (strcmp(at5, at6) != 0)
        fail_msg("expected one digest for one content under formats 5 and 6, got %s and %s", at5, at6);
}

/* One logged write transaction that sets meta key to value. */
static void logged_write(index_t *ix, const char *key, const char *value)
{
    MDB_txn *txn;
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    assert_int_equal(index_set_trust_value(ix, txn, key, str_n(value, strlen(value))), 0);
    assert_int_equal(index_commit(ix, txn), 0);
}

/* Two writers attached to one log at the same segment, committing one after the other: the second's
 * segment follows the first's, and a replica of the log has the primary's digest. */
static void test_publog_two_writers_attached_at_once_both_reach_the_log(void **state)
{
    (void)state;
    const char *log = harness_printf("%s/two-writers-log", tmpdir);
    char why[512];
    int go[2], done[2];
    assert_int_equal(mkdir(log, 0755), 0);
    index_t *ix = open_index("two-writers");
    assert_int_equal(index_log_attach(ix, log, why, sizeof why), 0);
    logged_write(ix, "registry", "first");
    index_close(ix);
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    if (pid == 0) { /* the other writer: attached at segment 1, commits after the parent's segment 2 */
        char byte;
        index_t *ox = open_index("two-writers");
        int ok = index_log_attach(ox, log, why, sizeof why) == 0;
        ok = write(done[1], "a", 1) == 1 && ok;
        ok = read(go[0], &byte, 1) == 1 && ok;
        MDB_txn *txn;
        ok = ok && index_begin(ox, 0, &txn) == 0 &&
             index_set_trust_value(ox, txn, "intermediates", str_n("child", 5)) == 0 &&
             index_commit(ox, txn) == 0;
        index_close(ox);
        _exit(ok ? 0 : 1);
    }
    char byte;
    assert_int_equal(read(done[0], &byte, 1), 1);
    ix = open_index("two-writers");
    assert_int_equal(index_log_attach(ix, log, why, sizeof why), 0);
    logged_write(ix, "registry", "second");
    assert_int_equal(write(go[1], "g", 1), 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    index_t *r = open_index("two-writers-replica");
    if (index_replay(r, log, NULL, NULL, why, sizeof why) != 0)
        fail_msg("replay: %s", why);
    assert_string_equal(digest_hex(r), digest_hex(ix));
    uint64_t first, last;
    assert_int_equal(publog_range(log, &first, &last, why, sizeof why), PUBLOG_OK);
    assert_int_equal(last, 3);
    index_close(r);
    index_close(ix);
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
        cmocka_unit_test(test_publog_digest_tells_a_table_from_an_entry),
        cmocka_unit_test(test_publog_replay_takes_segments_of_formats_5_and_6),
        cmocka_unit_test(test_publog_format_5_records_replay_and_digest_across_formats),
        cmocka_unit_test(test_publog_two_writers_attached_at_once_both_reach_the_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
