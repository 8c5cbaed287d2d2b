/* test_view.c — lookup/view: the API answer's bytes (view_api_text).
 *
 * A view is made here by hand from a parsed payload, as view_compute makes
 * it after the checks: the verdict does not matter to what is tested, the
 * payload and its bytes do. The portal's own answers are tested in
 * test_portal.c over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_api_text_gives_the_transcripts_numbers_as_signed),
        cmocka_unit_test(test_view_api_text_of_an_invalid_record_has_a_null_transcript),
        cmocka_unit_test(test_view_api_text_without_the_bytes_is_janssons_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
