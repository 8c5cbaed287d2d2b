/* test_view.c — lookup/view: the API answer's bytes (view_api_text), the
 * batch answer's entries (view_summary_json) and the digest of what a view
 * depends on (view_digest, over a small index made here).
 *
 * A view is made here by hand from a parsed payload, as view_compute makes
 * it after the checks: the verdict does not matter to what is tested, the
 * payload and its bytes do. The portal's own answers are tested in
 * test_portal_*.c over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup/view.h"

/* A secondary transcript as a school's software writes it: one-decimal
 * scores (7.8 is no double), integers, 8.0, and a member of its own with a
 * number in exponent form; an address the API must not give. */
static const char SIGNED[] =
    "{\"schema\": \"hocba.trunghoc.v1\", \"document_id\": \"ND-2025-9A-014\", \"issued_on\": "
    "\"2025-05-26\",\n"
    " \"school_year\": \"2024-2025\",\n"
    " \"school\": {\"code\": \"01019201\", \"name\": \"Trường THCS Nguyễn Du\", \"province\": \"Hà Nội\"},\n"
    " \"student\": {\"id\": \"0101920014\", \"full_name\": \"Phạm Thu Trang\", \"date_of_birth\": "
    "\"2010-04-02\",\n"
    "   \"gender\": \"Nữ\", \"citizen_id\": \"001310012345\", \"address\": \"Số 5 phố Tràng Thi\"},\n"
    " \"level\": \"THCS\", \"program\": \"GDPT\", \"grade\": 9, \"class\": \"9A\",\n"
    " \"subjects\": [{\"name\": \"Ngữ văn\", \"assessment\": \"score\", \"hk1\": 7.5, \"hk2\": 8.0, "
    "\"year\": 7.8},\n"
    "   {\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 8, \"hk2\": 9.1, \"year\": 8.7, \"retake\": "
    "10},\n"
    "   {\"name\": \"Tin học\", \"assessment\": \"score\", \"hk1\": 0.3, \"hk2\": 9.9, \"year\": 6.7}],\n"
    " \"learning\": {\"year\": \"T\"}, \"conduct\": {\"year\": \"T\"}, \"decision\": \"HOAN_THANH\",\n"
    " \"sessions_absent\": 4, \"x_software\": {\"version\": 2.10, \"ratio\": 75e-1},\n"
    " \"signers\": [{\"role\": \"homeroom_teacher\", \"name\": \"A\", \"certificate_sha256\": "
    "\"1057a9604e04b274da5a4de0c8f4b4868d9b230989f8c8c6a28221143cc5a755\"},\n"
    "  {\"role\": \"principal\", \"name\": \"B\", \"certificate_sha256\": "
    "\"69e03750027e6b1e9f95bd21d227613c0024ec799ebfb7fe281371e1153f9bda\"},\n"
    "  {\"role\": \"school_seal\", \"name\": \"C\", \"certificate_sha256\": "
    "\"f0f668bf610e5cf9f11d2aa50f924ada10797100e8f05de085842ddb6370a867\"}]}";

/* The view of SIGNED with the given status, its bytes kept as view_compute keeps them. */
static void make_view(view_t *v, int status)
{
    char why[PAYLOAD_WHY_LEN];
    memset(v, 0, sizeof *v);
    memcpy(v->code, "ZK4D1QGPK1YTFJHQ", CODE_LEN);
    v->status = status;
    v->verdict = calloc(1, sizeof *v->verdict);
    v->payload = malloc(sizeof SIGNED);
    assert_non_null(v->verdict);
    assert_non_null(v->payload);
    memcpy(v->payload, SIGNED, sizeof SIGNED);
    v->payload_len = sizeof SIGNED - 1;
    if (payload_parse(SIGNED, v->payload_len, &v->pl, why, sizeof why) != PAYLOAD_OK)
        fail_msg("the test's payload is refused: %s", why);
}

/* http.md: "transcript" is the payload as signed. jansson writes 7.8 back
 * as 7.7999999999999998 and 75e-1 as 7.5; the answer has every number as
 * the signed bytes write it, and otherwise says exactly what view_api_json
 * says (no address, the citizen id masked), "transcript" last. */
static void test_view_api_text_gives_the_transcripts_numbers_as_signed(void **state)
{
    (void)state;
    static const char *const as_signed[] = {"\"hk1\":7.5,\"hk2\":8.0,\"year\":7.8}",
                                            "\"hk1\":8,\"hk2\":9.1,\"year\":8.7,\"retake\":10}",
                                            "\"hk1\":0.3,\"hk2\":9.9,\"year\":6.7}",
                                            "\"x_software\":{\"version\":2.10,\"ratio\":75e-1}",
                                            "\"sessions_absent\":4,",
                                            "\"grade\":9,"};
    view_t v;
    size_t len = 0;
    make_view(&v, VIEW_VALID);
    char *text = view_api_text(&v, &len);
    json_t *want = view_api_json(&v);
    view_free(&v);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    for (size_t i = 0; i < sizeof as_signed / sizeof *as_signed; i++)
        if (strstr(text, as_signed[i]) == NULL)
            fail_msg("expected %s in the answer, got %s", as_signed[i], text);
    assert_null(strstr(text, "99999"));
    assert_null(strstr(text, "Tràng Thi"));
    assert_non_null(strstr(text, "\"citizen_id\":\"*********345\""));
    assert_non_null(strstr(text, ",\"transcript\":{\"schema\":\"hocba.trunghoc.v1\""));
    assert_int_equal(text[len - 2], '}');
    json_error_t err;
    json_t *got = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    assert_non_null(got);
    assert_true(json_equal(got, want)); /* the same answer, value for value */
    json_decref(got);
    json_decref(want);
    free(text);
}

/* view_api_text of v (freed here) must be jansson's compact text of view_api_json; returns it. */
static char *expect_janssons_text(view_t *v)
{
    size_t len = 0;
    char *text = view_api_text(v, &len);
    json_t *o = view_api_json(v);
    char *want = json_dumps(o, JSON_COMPACT);
    view_free(v);
    json_decref(o);
    assert_non_null(text);
    assert_non_null(want);
    assert_string_equal(text, want);
    free(want);
    return text;
}

/* An invalid record's answer has "transcript": null and is jansson's text
 * unchanged. */
static void test_view_api_text_of_an_invalid_record_has_a_null_transcript(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_INVALID);
    char *text = expect_janssons_text(&v);
    assert_non_null(strstr(text, ",\"transcript\":null}"));
    free(text);
}

/* Without the signed bytes (a view made by hand), the answer is jansson's
 * text: numbers as doubles, but never a wrong one. */
static void test_view_api_text_without_the_bytes_is_janssons_text(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_VALID);
    free(v.payload);
    v.payload = NULL;
    v.payload_len = 0;
    free(expect_janssons_text(&v));
}

/* ---- view_summary_json --------------------------------------------------------------- */

/* The compact text of o (its reference taken), for comparing with what http.md says. */
static char *compact(json_t *o)
{
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    assert_non_null(s);
    return s;
}

static void expect_summary(view_t *v, const char *want)
{
    char *got = compact(view_summary_json(v));
    view_free(v);
    if (strcmp(got, want) != 0)
        fail_msg("expected the batch entry %s, got %s", want, got);
    free(got);
}

/* http.md: a valid transcript's entry is its code and status, nothing more. */
static void test_view_summary_of_a_valid_record_is_code_and_status(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_VALID);
    expect_summary(&v, "{\"code\":\"ZK4D1QGPK1YTFJHQ\",\"status\":\"valid\"}");
}

/* A recalled transcript that a replacement supersedes names the replacement. */
static void test_view_summary_of_a_replaced_record_names_its_replacement(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_RECALLED);
    v.recalled = v.replaced = 1;
    memcpy(v.replaced_by, "AB2C3D4E5F6G7H8J", CODE_LEN);
    expect_summary(&v, "{\"code\":\"ZK4D1QGPK1YTFJHQ\",\"status\":\"recalled\",\"summary\":"
                       "{\"superseded_by\":\"AB2C3D4E5F6G7H8J\"}}");
}

/* A recalled transcript without a replacement has no summary. */
static void test_view_summary_of_a_recall_without_replacement_has_no_summary(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_RECALLED);
    v.recalled = 1;
    expect_summary(&v, "{\"code\":\"ZK4D1QGPK1YTFJHQ\",\"status\":\"recalled\"}");
}

/* An invalid transcript lists the checks that failed, in the verdict's order, and only those. */
static void test_view_summary_of_an_invalid_record_lists_the_failed_checks(void **state)
{
    (void)state;
    view_t v;
    make_view(&v, VIEW_INVALID);
    static const struct {
        int check, ok;
    } items[] = {{VERIFY_INTEGRITY, 1}, {VERIFY_SIGNATURE, 0}, {VERIFY_CHAIN, 1}, {VERIFY_REVOCATION, 0}};
    for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
        v.verdict->items[i].check = items[i].check;
        v.verdict->items[i].ok = items[i].ok;
    }
    v.verdict->nitems = sizeof items / sizeof *items;
    expect_summary(&v, "{\"code\":\"ZK4D1QGPK1YTFJHQ\",\"status\":\"invalid\",\"summary\":"
                       "{\"failed_checks\":[\"signature\",\"revocation\"]}}");
}

/* ---- view_digest ---------------------------------------------------------------------- */

static const char CODE_A[CODE_LEN] = "ZK4D1QGPK1YTFJHQ", CODE_B[CODE_LEN] = "AB2C3D4E5F6G7H8J",
                  NOTICE[CODE_LEN] = "MN3P4Q5R6S7T8V9W";

/* What view_digest fed: the bytes, in order. */
typedef struct {
    unsigned char b[4096];
    size_t len;
} fed_t;

static void feed(void *arg, const void *bytes, size_t len)
{
    fed_t *f = arg;
    assert_true(len <= sizeof f->b - f->len);
    memcpy(f->b + f->len, bytes, len);
    f->len += len;
}

typedef struct {
    char dir[64];
    index_t *ix;
} ix_fixture_t;

/* An index holding two transcripts (CODE_A, CODE_B) and a recall notice (NOTICE); links none. */
static int setup_index(void **state)
{
    ix_fixture_t *f = calloc(1, sizeof *f);
    char why[256];
    MDB_txn *txn;
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hocba-test-view-XXXXXX");
    if (mkdtemp(f->dir) == NULL || index_open(f->dir, 0, &f->ix, why, sizeof why) != 0)
        fail_msg("cannot make an index in %s: %s", f->dir, why);
    assert_int_equal(index_begin(f->ix, 0, &txn), 0);
    assert_int_equal(index_put_doc(f->ix, txn, CODE_A, INDEX_KIND_TRANSCRIPT, 1750000000, str_c("{\"a\":1}"),
                                   str_c("signature A"), NULL),
                     0);
    assert_int_equal(index_put_doc(f->ix, txn, CODE_B, INDEX_KIND_TRANSCRIPT, 1750000000, str_c("{\"b\":2}"),
                                   str_c("signature B"), NULL),
                     0);
    assert_int_equal(index_put_doc(f->ix, txn, NOTICE, INDEX_KIND_RECALL, 1750000100, str_c("{\"n\":3}"),
                                   str_c("signature N"), NULL),
                     0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    *state = f;
    return 0;
}

static int teardown_index(void **state)
{
    ix_fixture_t *f = *state;
    char path[128];
    index_close(f->ix);
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* view_digest of code in a read of its own: its return, the bytes in *out. */
static int digest(ix_fixture_t *f, const char code[CODE_LEN], fed_t *out)
{
    MDB_txn *txn;
    memset(out, 0, sizeof *out);
    assert_int_equal(index_begin(f->ix, 1, &txn), 0);
    int rc = view_digest(f->ix, txn, code, feed, out);
    mdb_txn_abort(txn);
    return rc;
}

static void put_link(ix_fixture_t *f, const char code[CODE_LEN], int type, const char to[CODE_LEN])
{
    MDB_txn *txn;
    assert_int_equal(index_begin(f->ix, 0, &txn), 0);
    assert_int_equal(index_put_link(f->ix, txn, code, type, to), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static int same(const fed_t *a, const fed_t *b)
{
    return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* No transcript under a code, or a recall notice's code: not found, as view_compute says. */
static void test_view_digest_of_an_unknown_code_or_a_notice_is_not_found(void **state)
{
    fed_t d;
    assert_int_equal(digest(*state, "XXXXXXXXXXXXXXXX", &d), VIEW_ENOTFOUND);
    assert_int_equal(digest(*state, NOTICE, &d), VIEW_ENOTFOUND);
}

/* The same state gives the same bytes; another record other ones, starting with its code. */
static void test_view_digest_is_the_same_for_the_same_state_and_names_the_code(void **state)
{
    fed_t a1, a2, b;
    assert_int_equal(digest(*state, CODE_A, &a1), VIEW_OK);
    assert_int_equal(digest(*state, CODE_A, &a2), VIEW_OK);
    assert_int_equal(digest(*state, CODE_B, &b), VIEW_OK);
    if (!same(&a1, &a2))
        fail_msg("expected the same digest input twice for one state, got %zu and %zu bytes", a1.len, a2.len);
    if (same(&a1, &b))
        fail_msg("expected the digest inputs of two records to differ, both are %zu bytes", a1.len);
    assert_memory_equal(a1.b, CODE_A, CODE_LEN);
}

/* A recall link and the notice it names, and then a replacement link, each change what a view
 * depends on: an answer made before either is never taken for one made after. */
static void test_view_digest_changes_with_a_recall_and_a_replacement(void **state)
{
    ix_fixture_t *f = *state;
    fed_t before, recalled, replaced;
    assert_int_equal(digest(f, CODE_A, &before), VIEW_OK);
    put_link(f, CODE_A, INDEX_LINK_RECALLED_BY, NOTICE);
    assert_int_equal(digest(f, CODE_A, &recalled), VIEW_OK);
    if (same(&before, &recalled) || recalled.len <= before.len)
        fail_msg("expected a recall to add to the digest input (%zu bytes before), got %zu bytes", before.len,
                 recalled.len);
    put_link(f, CODE_A, INDEX_LINK_SUPERSEDED_BY, CODE_B);
    assert_int_equal(digest(f, CODE_A, &replaced), VIEW_OK);
    if (same(&recalled, &replaced) || replaced.len <= recalled.len)
        fail_msg("expected a replacement to add to the digest input (%zu bytes before), got %zu bytes",
                 recalled.len, replaced.len);
    /* the other record's state is its own */
    fed_t b1, b2;
    assert_int_equal(digest(f, CODE_B, &b1), VIEW_OK);
    assert_int_equal(digest(f, CODE_B, &b2), VIEW_OK);
    assert_true(same(&b1, &b2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_api_text_gives_the_transcripts_numbers_as_signed),
        cmocka_unit_test(test_view_api_text_of_an_invalid_record_has_a_null_transcript),
        cmocka_unit_test(test_view_api_text_without_the_bytes_is_janssons_text),
        cmocka_unit_test(test_view_summary_of_a_valid_record_is_code_and_status),
        cmocka_unit_test(test_view_summary_of_a_replaced_record_names_its_replacement),
        cmocka_unit_test(test_view_summary_of_a_recall_without_replacement_has_no_summary),
        cmocka_unit_test(test_view_summary_of_an_invalid_record_lists_the_failed_checks),
        cmocka_unit_test_setup_teardown(test_view_digest_of_an_unknown_code_or_a_notice_is_not_found,
                                        setup_index, teardown_index),
        cmocka_unit_test_setup_teardown(test_view_digest_is_the_same_for_the_same_state_and_names_the_code,
                                        setup_index, teardown_index),
        cmocka_unit_test_setup_teardown(test_view_digest_changes_with_a_recall_and_a_replacement, setup_index,
                                        teardown_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
