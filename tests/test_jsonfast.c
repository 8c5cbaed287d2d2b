/* test_jsonfast.c — jsonfast_parse against json_loadb, jsonfast.h.
 *
 * json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) is the reference in
 * every test: where jsonfast builds a tree, jansson must build the same one
 * (compared strictly: types, reals bit for bit, string bytes and lengths,
 * member order); where jansson refuses, jsonfast must return NULL, and each
 * such test asserts both. Every input is copied into a buffer of exactly its
 * length, so a read past the end is caught by AddressSanitizer and a parser
 * leaning on a terminating NUL would fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/jsonfast.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* Two payloads from the demo batch, as hocba-demo writes them. */
static const char DEMO_TRANSCRIPT[] =
    "{\n"
    "  \"schema\": \"hocba.tieuhoc.v1\",\n"
    "  \"document_id\": \"HB-01001101-2025-000001\",\n"
    "  \"issued_on\": \"2025-05-29\",\n"
    "  \"school_year\": \"2024-2025\",\n"
    "  \"school\": {\n"
    "    \"code\": \"01001101\",\n"
    "    \"name\": \"Trường Tiểu học Kim Đồng\",\n"
    "    \"province\": \"Hà Nội\",\n"
    "    \"district\": \"Quận Ba Đình\",\n"
    "    \"ward\": \"Phường Kim Mã\"\n"
    "  },\n"
    "  \"student\": {\n"
    "    \"id\": \"0114618005\",\n"
    "    \"full_name\": \"Nguyễn Anh Minh\",\n"
    "    \"date_of_birth\": \"2018-03-27\",\n"
    "    \"gender\": \"Nam\",\n"
    "    \"ethnicity\": \"Kinh\",\n"
    "    \"place_of_birth\": \"Hà Nội\",\n"
    "    \"citizen_id\": \"001218399468\",\n"
    "    \"guardian_name\": \"Nguyễn Quang Thành\"\n"
    "  },\n"
    "  \"grade\": 1,\n"
    "  \"class\": \"1A\",\n"
    "  \"subjects\": [\n"
    "    {\n"
    "      \"name\": \"Tiếng Việt\",\n"
    "      \"level\": \"T\",\n"
    "      \"score\": 9,\n"
    "      \"comment\": \"Đọc trôi chảy, diễn cảm; viết đúng chính tả, chữ viết đẹp.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Toán\",\n"
    "      \"level\": \"H\",\n"
    "      \"score\": 10,\n"
    "      \"comment\": \"Biết vận dụng kiến thức đã học; cần cẩn thận hơn khi tính toán.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Đạo đức\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Thực hiện tốt các chuẩn mực hành vi đã học.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Tự nhiên và Xã hội\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Hiểu biết tốt về tự nhiên và xã hội xung quanh.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Giáo dục thể chất\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Tích cực tập luyện, thực hiện đúng và đẹp các động tác.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Âm nhạc\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Hát đúng giai điệu, biểu diễn tự tin.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Mĩ thuật\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Vẽ đẹp, phối màu hài hòa, có sáng tạo.\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Hoạt động trải nghiệm\",\n"
    "      \"level\": \"T\",\n"
    "      \"comment\": \"Tích cực, chủ động tham gia các hoạt động tập thể.\"\n"
    "    }\n"
    "  ],\n"
    "  \"qualities\": [\n"
    "    {\n"
    "      \"name\": \"Yêu nước\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Nhân ái\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Chăm chỉ\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Trung thực\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Trách nhiệm\",\n"
    "      \"level\": \"T\"\n"
    "    }\n"
    "  ],\n"
    "  \"competencies\": [\n"
    "    {\n"
    "      \"name\": \"Tự chủ và tự học\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Giao tiếp và hợp tác\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Giải quyết vấn đề và sáng tạo\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Ngôn ngữ\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Tính toán\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Khoa học\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Công nghệ\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Tin học\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Thẩm mĩ\",\n"
    "      \"level\": \"T\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"Thể chất\",\n"
    "      \"level\": \"T\"\n"
    "    }\n"
    "  ],\n"
    "  \"result\": \"HT\",\n"
    "  \"program_completed\": true,\n"
    "  \"remarks\": \"Em có tiến bộ; cần rèn thêm chữ viết và kĩ năng trình bày. Hoàn thành chương trình lớp "
    "1.\",\n"
    "  \"days_absent\": 0,\n"
    "  \"signers\": [\n"
    "    {\n"
    "      \"role\": \"homeroom_teacher\",\n"
    "      \"name\": \"Nguyễn Minh Nhung\",\n"
    "      \"certificate_sha256\": \"7e89e61f1737a5958d6fda3d4a714e95d582e7e1ee4b621ffdd6619c3789ab24\"\n"
    "    },\n"
    "    {\n"
    "      \"role\": \"principal\",\n"
    "      \"name\": \"Phan Đức Nam\",\n"
    "      \"certificate_sha256\": \"dce26d1221ebe5f443646877c52534b76bec17e0e86b8cb86cd48c9742bbb34d\"\n"
    "    },\n"
    "    {\n"
    "      \"role\": \"school_seal\",\n"
    "      \"name\": \"Trường Tiểu học Kim Đồng\",\n"
    "      \"certificate_sha256\": \"d36c4b48635e99cf2b3492f8af2f3a3d3a91d44f51ee066aa169b5cc5e35b09a\"\n"
    "    }\n"
    "  ]\n"
    "}\n";

static const char DEMO_RECALL[] =
    "{\n"
    "  \"schema\": \"hocba.recall.v1\",\n"
    "  \"code\": \"206ZBASSHCAF2F6M\",\n"
    "  \"school_code\": \"92916106\",\n"
    "  \"recalled_on\": \"2025-06-12\",\n"
    "  \"reason\": \"Sai sót ngày sinh của học sinh, đã cấp học bạ thay thế\",\n"
    "  \"signers\": [\n"
    "    {\n"
    "      \"role\": \"principal\",\n"
    "      \"name\": \"Bùi Hồng Tùng\",\n"
    "      \"certificate_sha256\": \"153016094ec3e5f15fc250c9a30b27f693ff3e9111c0081a692167ad6f1412df\"\n"
    "    },\n"
    "    {\n"
    "      \"role\": \"school_seal\",\n"
    "      \"name\": \"Trường Tiểu học Lý Tự Trọng\",\n"
    "      \"certificate_sha256\": \"bd90e668609d71874fbf3af1cf5dbdc234d61fecfe797df2962af398af13b36c\"\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* ---- helpers ------------------------------------------------------------- */

/* A copy of len bytes in a buffer of exactly that size (at least 1 byte, so
 * that even the empty document has a valid, non-NULL pointer). */
static char *exact(const char *doc, size_t len)
{
    char *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, doc, len);
    return b;
}

/* Where a and b first differ, written into diff ("" when they do not), with
 * the path to the node in JSONPath-like form. */
static int differ(json_t *a, json_t *b, char *path, size_t plen, char *diff, size_t dlen)
{
    size_t at = strlen(path);

    if (json_typeof(a) != json_typeof(b)) {
        snprintf(diff, dlen, "%s: type %d against %d", path, json_typeof(a), json_typeof(b));
        return 1;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        void *ia = json_object_iter(a), *ib = json_object_iter(b);
        if (json_object_size(a) != json_object_size(b)) {
            snprintf(diff, dlen, "%s: %zu members against %zu", path, json_object_size(a),
                     json_object_size(b));
            return 1;
        }
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            size_t n = json_object_iter_key_len(ia);
            if (n != json_object_iter_key_len(ib) ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), n) != 0) {
                snprintf(diff, dlen, "%s: key \"%s\" against \"%s\"", path, json_object_iter_key(ia),
                         json_object_iter_key(ib));
                return 1;
            }
            snprintf(path + at, plen - at, ".%s", json_object_iter_key(ia));
            if (differ(json_object_iter_value(ia), json_object_iter_value(ib), path, plen, diff, dlen))
                return 1;
            path[at] = '\0';
        }
        return 0;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            snprintf(diff, dlen, "%s: %zu elements against %zu", path, json_array_size(a),
                     json_array_size(b));
            return 1;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(path + at, plen - at, "[%zu]", i);
            if (differ(json_array_get(a, i), json_array_get(b, i), path, plen, diff, dlen))
                return 1;
            path[at] = '\0';
        }
        return 0;
    case JSON_STRING:
        if (json_string_length(a) != json_string_length(b) ||
            memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) != 0) {
            snprintf(diff, dlen, "%s: string \"%s\" (%zu bytes) against \"%s\" (%zu bytes)", path,
                     json_string_value(a), json_string_length(a), json_string_value(b),
                     json_string_length(b));
            return 1;
        }
        return 0;
    case JSON_INTEGER:
        if (json_integer_value(a) != json_integer_value(b)) {
            snprintf(diff, dlen, "%s: integer %lld against %lld", path, (long long)json_integer_value(a),
                     (long long)json_integer_value(b));
            return 1;
        }
        return 0;
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        if (memcmp(&x, &y, sizeof x) != 0) {
            snprintf(diff, dlen, "%s: real %.17g against %.17g", path, x, y);
            return 1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

static void assert_same_tree(json_t *fast, json_t *slow, const char *what)
{
    char path[512] = "$", diff[1024] = "";
    if (differ(fast, slow, path, sizeof path, diff, sizeof diff))
        fail_msg("%s: jsonfast and jansson trees differ at %s", what, diff);
}

/* jsonfast must accept len bytes at doc and build jansson's tree; returns
 * jsonfast's tree for further checks (the caller releases it). */
static json_t *parses_same(const char *doc, size_t len)
{
    char *b = exact(doc, len);
    json_error_t err;
    json_t *slow = json_loadb(b, len, FLAGS, &err);
    json_t *fast = jsonfast_parse(b, len);

    if (slow == NULL)
        fail_msg("test input is not JSON to jansson (%s): %.*s", err.text, (int)len, doc);
    if (fast == NULL)
        fail_msg("expected jsonfast to parse what jansson parses; it declined: %.*s", (int)len, doc);
    assert_same_tree(fast, slow, doc);
    json_decref(slow);
    free(b);
    return fast;
}

#define PARSE(lit) parses_same(lit, sizeof lit - 1)
#define PARSES_SAME(lit) json_decref(PARSE(lit))

/* jansson refuses len bytes at doc, and jsonfast returns NULL. */
static void both_refuse(const char *doc, size_t len)
{
    char *b = exact(doc, len);
    json_error_t err;
    json_t *slow = json_loadb(b, len, FLAGS, &err);
    json_t *fast = jsonfast_parse(b, len);

    if (slow != NULL)
        fail_msg("test input was meant to be refused by jansson, which accepted it: %.*s", (int)len, doc);
    if (fast != NULL)
        fail_msg("jansson refuses (%s) but jsonfast returned a tree: %.*s", err.text, (int)len, doc);
    free(b);
}

#define BOTH_REFUSE(lit) both_refuse(lit, sizeof lit - 1)

/* jansson accepts len bytes at doc, and jsonfast declines, as its header says
 * it may for this input. */
static void declined(const char *doc, size_t len)
{
    char *b = exact(doc, len);
    json_error_t err;
    json_t *slow = json_loadb(b, len, FLAGS, &err);
    json_t *fast = jsonfast_parse(b, len);

    if (slow == NULL)
        fail_msg("test input was meant to be JSON to jansson, which refused it (%s)", err.text);
    if (fast != NULL)
        fail_msg("expected jsonfast to decline, it returned a tree: %.*s", (int)len, doc);
    json_decref(slow);
    free(b);
}

#define DECLINED(lit) declined(lit, sizeof lit - 1)

/* depth arrays nested, "[[...]]", in a new buffer of 2 * depth bytes. */
static char *nested_arrays(size_t depth)
{
    char *b = malloc(2 * depth);
    assert_non_null(b);
    memset(b, '[', depth);
    memset(b + depth, ']', depth);
    return b;
}

/* ---- documents jsonfast reads ------------------------------------------- */

static void test_jsonfast_reads_demo_transcript_as_jansson_does(void **state)
{
    (void)state;
    json_t *t = parses_same(DEMO_TRANSCRIPT, sizeof DEMO_TRANSCRIPT - 1);
    assert_int_equal(json_integer_value(json_object_get(t, "grade")), 1);
    json_decref(t);
}

static void test_jsonfast_reads_demo_recall_as_jansson_does(void **state)
{
    (void)state;
    PARSES_SAME(DEMO_RECALL);
}

static void test_jsonfast_reads_compact_transcript_as_jansson_does(void **state)
{
    (void)state;
    json_error_t err;
    json_t *d = json_loads(DEMO_TRANSCRIPT, 0, &err);
    assert_non_null(d);
    char *compact = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(compact);
    json_decref(parses_same(compact, strlen(compact)));
    free(compact);
    json_decref(d);
}

static void test_jsonfast_keeps_member_order_of_the_document(void **state)
{
    (void)state;
    static const char doc[] = "{\"zeta\": 1, \"alpha\": 2, \"mu\": 3, \"\": 4, \"beta\": 5}";
    static const char *const order[] = {"zeta", "alpha", "mu", "", "beta"};
    json_t *t = parses_same(doc, sizeof doc - 1);
    size_t i = 0;
    for (void *it = json_object_iter(t); it != NULL; it = json_object_iter_next(t, it), i++) {
        assert_true(i < 5);
        assert_string_equal(json_object_iter_key(it), order[i]);
    }
    assert_int_equal(i, 5);
    json_decref(t);
}

static void test_jsonfast_reads_decimal_as_real(void **state)
{
    (void)state;
    json_t *t = PARSE("8.5");
    assert_true(json_is_real(t));
    assert_true(json_real_value(t) == 8.5);
    json_decref(t);
    PARSES_SAME("[0.1, -2.25, 1e5, 1E-5, 2.5e+3, -0.0, 0.30000000000000004, 1.7976931348623157e308]");
}

static void test_jsonfast_reads_real_underflow_as_jansson_does(void **state)
{
    (void)state;
    /* strtod says ERANGE, but only an overflow is an error to jansson. */
    PARSES_SAME("[1e-400, 4.9e-324, -2.4703282292062328e-324]");
}

static void test_jsonfast_reads_integers_as_integers(void **state)
{
    (void)state;
    json_t *t = PARSE("[-12, 0, -0, 7, 123456789012345678, -123456789012345678]");
    assert_true(json_is_integer(json_array_get(t, 0)));
    assert_int_equal(json_integer_value(json_array_get(t, 0)), -12);
    assert_true(json_is_integer(json_array_get(t, 2)));
    assert_int_equal(json_integer_value(json_array_get(t, 4)), 123456789012345678LL);
    json_decref(t);
}

static void test_jsonfast_reads_nested_arrays_and_objects(void **state)
{
    (void)state;
    PARSES_SAME("[1, [2, [3, [4, []]]], {\"a\": [{\"b\": {\"c\": [true, false, null]}}]}]");
}

static void test_jsonfast_reads_64_levels_of_nesting(void **state)
{
    (void)state;
    char *b = nested_arrays(JSONFAST_MAX_DEPTH);
    json_decref(parses_same(b, 2 * JSONFAST_MAX_DEPTH));
    free(b);
}

static void test_jsonfast_decodes_short_escapes(void **state)
{
    (void)state;
    json_t *t = PARSE("\"a\\nb\\\"c\\\\d\\/e\\bf\\fg\\rh\\ti\"");
    assert_int_equal(json_string_length(t), 17);
    assert_memory_equal(json_string_value(t), "a\nb\"c\\d/e\bf\fg\rh\ti", 17);
    json_decref(t);
}

static void test_jsonfast_decodes_u_escapes_to_utf8(void **state)
{
    (void)state;
    json_t *t = PARSE("\"caf\\u00e9 \\u1EA1 \\u0041\"");
    assert_string_equal(json_string_value(t), "café ạ A");
    json_decref(t);
}

static void test_jsonfast_decodes_surrogate_pair(void **state)
{
    (void)state;
    json_t *t = PARSE("\"\\ud83d\\ude00\"");
    assert_int_equal(json_string_length(t), 4);
    assert_memory_equal(json_string_value(t), "\xF0\x9F\x98\x80", 4);
    json_decref(t);
}

static void test_jsonfast_decodes_escapes_in_keys(void **state)
{
    (void)state;
    json_t *t = PARSE("{\"k\\u00e9y\": 1, \"a\\tb\": 2}");
    assert_non_null(json_object_get(t, "kéy"));
    assert_non_null(json_object_get(t, "a\tb"));
    json_decref(t);
}

static void test_jsonfast_decodes_long_escaped_string(void **state)
{
    (void)state;
    /* longer than the stack scratch: decoded on the heap, in a value and a key */
    char doc[2200];
    size_t n = 0;
    doc[n++] = '{';
    for (int k = 0; k < 2; k++) {
        doc[n++] = '"';
        for (int i = 0; i < 100; i++) {
            memcpy(doc + n, "\\u00e9x\\n", 9);
            n += 9;
        }
        doc[n++] = '"';
        doc[n++] = k == 0 ? ':' : '}';
    }
    json_decref(parses_same(doc, n));
}

static void test_jsonfast_keeps_vietnamese_and_four_byte_utf8(void **state)
{
    (void)state;
    PARSES_SAME("{\"Trường\": \"Tiểu học Kim Đồng — Hà Nội\", \"emoji\": \"\xF0\x9F\x98\x80\", \"max\": "
                "\"\xF4\x8F\xBF\xBF\", \"edge\": \"\xED\x9F\xBF\xEE\x80\x80\xE0\xA0\x80\xC2\x80\"}");
}

static void test_jsonfast_reads_empty_containers_and_strings(void **state)
{
    (void)state;
    PARSES_SAME("{}");
    PARSES_SAME("[]");
    PARSES_SAME("\"\"");
    PARSES_SAME("{\"\": \"\", \"a\": {}, \"b\": [], \"c\": [{}, []]}");
    PARSES_SAME(" \t\r\n{ \t\r\n} \t\r\n");
}

static void test_jsonfast_reads_scalars_at_top_level(void **state)
{
    (void)state;
    PARSES_SAME("true");
    PARSES_SAME("false");
    PARSES_SAME("null");
    PARSES_SAME("\"x\"");
    PARSES_SAME("42");
    PARSES_SAME(" -7 ");
    PARSES_SAME("8.5\n");
}

/* ---- documents jansson refuses ------------------------------------------- */

static void test_jsonfast_refuses_empty_and_blank_input(void **state)
{
    (void)state;
    BOTH_REFUSE("");
    BOTH_REFUSE("   \n\t\r");
    assert_null(jsonfast_parse(NULL, 0));
}

static void test_jsonfast_refuses_whitespace_jansson_does_not_know(void **state)
{
    (void)state;
    BOTH_REFUSE("\v1");
    BOTH_REFUSE("\f[]");
    BOTH_REFUSE("[1,\xC2\xA0 2]"); /* no-break space */
    BOTH_REFUSE("1\v");
}

static void test_jsonfast_refuses_byte_order_mark(void **state)
{
    (void)state;
    BOTH_REFUSE("\xEF\xBB\xBF{}");
}

static void test_jsonfast_refuses_anything_after_the_value(void **state)
{
    (void)state;
    BOTH_REFUSE("1 2");
    BOTH_REFUSE("{} x");
    BOTH_REFUSE("[]]");
    BOTH_REFUSE("\"a\"\"b\"");
    BOTH_REFUSE("truex");
    BOTH_REFUSE("true false");
    BOTH_REFUSE("{}\xC3\xA9");
}

static void test_jsonfast_refuses_raw_control_characters_in_strings(void **state)
{
    (void)state;
    BOTH_REFUSE("\"a\tb\"");
    BOTH_REFUSE("\"a\nb\"");
    BOTH_REFUSE("\"a\x1F\"");
    BOTH_REFUSE("{\"a\x01\": 1}");
    BOTH_REFUSE("\"\\n\x1F\""); /* after an escape, too */
}

static void test_jsonfast_refuses_invalid_utf8(void **state)
{
    (void)state;
    BOTH_REFUSE("\"\xC0\xAF\"");         /* overlong '/' */
    BOTH_REFUSE("\"\xC1\xBF\"");         /* overlong */
    BOTH_REFUSE("\"\xE0\x80\xAF\"");     /* overlong, 3 bytes */
    BOTH_REFUSE("\"\xF0\x80\x80\xAF\""); /* overlong, 4 bytes */
    BOTH_REFUSE("\"\xED\xA0\x80\"");     /* U+D800 encoded */
    BOTH_REFUSE("\"\xED\xBF\xBF\"");     /* U+DFFF encoded */
    BOTH_REFUSE("\"\xF4\x90\x80\x80\""); /* U+110000 */
    BOTH_REFUSE("\"\xF5\x80\x80\x80\""); /* F5 never starts a sequence */
    BOTH_REFUSE("\"\xFF\"");
    BOTH_REFUSE("\"\x80\""); /* stray continuation byte */
    BOTH_REFUSE("\"\xC3\""); /* cut short before the quote */
    BOTH_REFUSE("\"\xE1\xBA\"");
    BOTH_REFUSE("\"\xC3\x28\"");          /* not a continuation byte */
    BOTH_REFUSE("\"\\n\xC0\xAF\"");       /* after an escape, too */
    BOTH_REFUSE("{\"\xED\xA0\x80\": 1}"); /* in a key */
    BOTH_REFUSE("\"\xE1\xBA");            /* at the end of the input */
}

static void test_jsonfast_refuses_unknown_escapes(void **state)
{
    (void)state;
    BOTH_REFUSE("\"\\a\"");
    BOTH_REFUSE("\"\\x41\"");
    BOTH_REFUSE("\"\\'\"");
    BOTH_REFUSE("\"\\U00e9\"");
    BOTH_REFUSE("\"\\u12\"");
    BOTH_REFUSE("\"\\u12g4\"");
    BOTH_REFUSE("\"\\");
    BOTH_REFUSE("\"\\\"");
    BOTH_REFUSE("\"\\u00e");
}

static void test_jsonfast_refuses_lone_or_unpaired_surrogates(void **state)
{
    (void)state;
    BOTH_REFUSE("\"\\ud83d\"");
    BOTH_REFUSE("\"\\ude00\"");
    BOTH_REFUSE("\"\\ude00\\ud83d\"");
    BOTH_REFUSE("\"\\ud83d\\u0041\"");
    BOTH_REFUSE("\"\\ud83d\\ud83d\"");
    BOTH_REFUSE("\"\\ud83dx\"");
    BOTH_REFUSE("\"\\ud83d\\n\"");
    BOTH_REFUSE("\"\\ud83d\\u12\"");
}

static void test_jsonfast_refuses_escaped_nul(void **state)
{
    (void)state;
    BOTH_REFUSE("\"a\\u0000b\"");
    BOTH_REFUSE("{\"a\\u0000\": 1}");
}

static void test_jsonfast_refuses_numbers_outside_the_grammar(void **state)
{
    (void)state;
    BOTH_REFUSE("01");
    BOTH_REFUSE("-01");
    BOTH_REFUSE("00");
    BOTH_REFUSE("-");
    BOTH_REFUSE("[-]");
    BOTH_REFUSE("1.");
    BOTH_REFUSE("[1.]");
    BOTH_REFUSE(".5");
    BOTH_REFUSE("1e");
    BOTH_REFUSE("1e+");
    BOTH_REFUSE("1.e5");
    BOTH_REFUSE("+1");
    BOTH_REFUSE("0x10");
    BOTH_REFUSE("- 1");
    BOTH_REFUSE("Infinity");
    BOTH_REFUSE("NaN");
    BOTH_REFUSE("1.5.3");
}

static void test_jsonfast_refuses_integer_overflow(void **state)
{
    (void)state;
    BOTH_REFUSE("9223372036854775808");
    BOTH_REFUSE("-9223372036854775809");
    BOTH_REFUSE("[123456789012345678901234567890]");
}

static void test_jsonfast_refuses_real_overflow(void **state)
{
    (void)state;
    BOTH_REFUSE("1e400");
    BOTH_REFUSE("[-1.8e308]");
}

static void test_jsonfast_refuses_duplicate_keys(void **state)
{
    (void)state;
    BOTH_REFUSE("{\"a\": 1, \"a\": 2}");
    BOTH_REFUSE("{\"x\": {\"a\": 1, \"b\": 2, \"a\": 3}}");
    BOTH_REFUSE("{\"a\": 1, \"\\u0061\": 2}"); /* the same key once decoded */
    BOTH_REFUSE("{\"\": 1, \"\": 1}");
}

static void test_jsonfast_refuses_broken_structure(void **state)
{
    (void)state;
    BOTH_REFUSE("[1,]");
    BOTH_REFUSE("[,1]");
    BOTH_REFUSE("[1 2]");
    BOTH_REFUSE("{\"a\": 1,}");
    BOTH_REFUSE("{\"a\" 1}");
    BOTH_REFUSE("{\"a\": 1 \"b\": 2}");
    BOTH_REFUSE("{a: 1}");
    BOTH_REFUSE("{'a': 1}");
    BOTH_REFUSE("{1: 1}");
    BOTH_REFUSE("{\"a\"}");
    BOTH_REFUSE("{\"a\":}");
    BOTH_REFUSE("[");
    BOTH_REFUSE("{");
    BOTH_REFUSE("[1");
    BOTH_REFUSE("]");
    BOTH_REFUSE("\"abc");
    BOTH_REFUSE("[}");
    BOTH_REFUSE("{]");
}

static void test_jsonfast_refuses_misspelt_literals(void **state)
{
    (void)state;
    BOTH_REFUSE("tru");
    BOTH_REFUSE("True");
    BOTH_REFUSE("nul");
    BOTH_REFUSE("[fals]");
    BOTH_REFUSE("[nulll]");
}

static void test_jsonfast_refuses_nul_byte_where_jansson_does(void **state)
{
    (void)state;
    BOTH_REFUSE("\"a\0b\"");
    BOTH_REFUSE("{\"a\0\": 1}");
    BOTH_REFUSE("[1,\0 2]");
    BOTH_REFUSE("\0{}");
}

static void test_jsonfast_refuses_nesting_beyond_janssons_limit(void **state)
{
    (void)state;
    char *b = nested_arrays(3000);
    both_refuse(b, 6000);
    free(b);
}

/* ---- documents jansson accepts and jsonfast declines ---------------------- */

static void test_jsonfast_declines_nul_byte_after_a_value(void **state)
{
    (void)state;
    /* jansson 2.14 skips a NUL it has pushed back after a number or a word;
     * jsonfast takes no NUL outside a string as anything but a reason to
     * hand the document to jansson. */
    DECLINED("1\0");
    DECLINED("[true\0]");
}

static void test_jsonfast_declines_nesting_beyond_its_limit(void **state)
{
    (void)state;
    char *b = nested_arrays(JSONFAST_MAX_DEPTH + 1);
    declined(b, 2 * (JSONFAST_MAX_DEPTH + 1));
    free(b);
}

static void test_jsonfast_declines_integers_of_19_digits(void **state)
{
    (void)state;
    DECLINED("1234567890123456789");
    DECLINED("-9223372036854775808");
}

static void test_jsonfast_declines_reals_longer_than_63_characters(void **state)
{
    (void)state;
    static const char doc[] = "0.1000000000000000000000000000000000000000000000000000000000000000";
    assert_true(sizeof doc - 1 > JSONFAST_MAX_REAL_CHARS);
    declined(doc, sizeof doc - 1);
}

/* ---- any bytes -------------------------------------------------------------- */

/* Each prefix of a document, in a buffer of exactly that length: almost all
 * are refused, and whatever jsonfast accepts must be what jansson accepts. */
static void check_every_prefix(const char *doc, size_t len)
{
    json_error_t err;
    for (size_t n = 0; n <= len; n++) {
        char *b = exact(doc, n);
        json_t *fast = jsonfast_parse(b, n);
        json_t *slow = json_loadb(b, n, FLAGS, &err);
        if (fast != NULL) {
            if (slow == NULL)
                fail_msg("prefix of %zu bytes: jansson refuses (%s), jsonfast returned a tree", n, err.text);
            assert_same_tree(fast, slow, "prefix");
        }
        json_decref(fast);
        json_decref(slow);
        free(b);
    }
}

static void test_jsonfast_agrees_with_jansson_on_every_prefix(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"a\": [1, -2, 8.5, 1e3, true, false, null], \"b\\u00e9\": \"x\\\"y\\ud83d\\ude00\","
        " \"Đ\": {\"\": \"Hà Nội\"}}  ";
    check_every_prefix(doc, sizeof doc - 1);
    check_every_prefix(DEMO_RECALL, sizeof DEMO_RECALL - 1);
}

static void test_jsonfast_agrees_with_jansson_on_every_single_byte_change(void **state)
{
    (void)state;
    static const char doc[] = "{\"a\": [10, -2.5e-3, true], \"\\u00e9\\n\": \"Đồng\", \"n\": null}";
    static const unsigned char replacements[] = {0x00, 0x09, ' ',  '"',  '\\', '0',  '1',  '-',  '.',  'e',
                                                 ',',  ':',  '[',  ']',  '{',  '}',  'u',  'x',  0x7F, 0x80,
                                                 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
    json_error_t err;
    char b[sizeof doc - 1];
    for (size_t i = 0; i < sizeof b; i++) {
        for (size_t r = 0; r < sizeof replacements; r++) {
            memcpy(b, doc, sizeof b);
            b[i] = (char)replacements[r];
            json_t *fast = jsonfast_parse(b, sizeof b);
            json_t *slow = json_loadb(b, sizeof b, FLAGS, &err);
            if (fast != NULL) {
                if (slow == NULL)
                    fail_msg("byte %zu set to 0x%02X: jansson refuses (%s), jsonfast returned a tree", i,
                             replacements[r], err.text);
                assert_same_tree(fast, slow, "changed byte");
            }
            json_decref(fast);
            json_decref(slow);
        }
    }
}

/* ---- threads ------------------------------------------------------------------ */

static void *parse_reals(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        json_t *t = jsonfast_parse("[8.5, -0.25, 1e-3]", 18);
        if (t == NULL || json_real_value(json_array_get(t, 0)) != 8.5)
            return (void *)1;
        json_decref(t);
    }
    return NULL;
}

/* Runs first, so the threads race for the creation of the "C" locale. */
static void test_jsonfast_parses_from_many_threads_at_once(void **state)
{
    (void)state;
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, parse_reals, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *rc;
        assert_int_equal(pthread_join(th[i], &rc), 0);
        if (rc != NULL)
            fail_msg("a thread did not read [8.5, -0.25, 1e-3] as reals");
    }
}

/* ---- jsonfast_number_texts ------------------------------------------------------ */

/* Every number of a tree, in the order a walk meets them (collected by the
 * test on its own, so the order is checked against the bytes). */
static void collect_numbers(json_t *v, const json_t **out, size_t *n, size_t max)
{
    if (json_is_number(v) && *n < max)
        out[(*n)++] = v;
    if (json_is_object(v))
        for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
            collect_numbers(json_object_iter_value(it), out, n, max);
    if (json_is_array(v))
        for (size_t i = 0; i < json_array_size(v); i++)
            collect_numbers(json_array_get(v, i), out, n, max);
}

/* The tokens of root's numbers, asked in reverse order, joined by spaces. */
static void number_texts(const char *doc, size_t len, json_t *root, char *joined, size_t cap)
{
    const json_t *nodes[16];
    str_t texts[16];
    size_t n = 0, o = 0;
    collect_numbers(root, nodes, &n, 16);
    for (size_t i = 0; i < n / 2; i++) {
        const json_t *t = nodes[i];
        nodes[i] = nodes[n - 1 - i];
        nodes[n - 1 - i] = t;
    }
    assert_int_equal(jsonfast_number_texts(doc, len, root, nodes, texts, n), 0);
    joined[0] = '\0';
    for (size_t i = n; i-- > 0;)
        o += (size_t)snprintf(joined + o, cap - o, "%s%.*s", o ? " " : "", (int)texts[i].len, texts[i].ptr);
}

static void test_jsonfast_number_texts_gives_each_number_as_written(void **state)
{
    (void)state;
    /* digits and minus signs in strings and keys, escaped quotes, exponents */
    static const char doc[] =
        "{\"a\": \"x-1 \\\"2\\\" 3\", \"b\\u0031 -4\": [7.50, -0, 75e-1, 8, true, null],\n"
        " \"c\": {\"d\": 1E+1, \"e\": \"\\\\\"}, \"7\": 0.5, \"f\": [[-12.25e-3]]}";
    char joined[256];
    json_t *root = jsonfast_parse(doc, sizeof doc - 1);
    assert_non_null(root);
    number_texts(doc, sizeof doc - 1, root, joined, sizeof joined);
    assert_string_equal(joined, "7.50 -0 75e-1 8 1E+1 0.5 -12.25e-3");
    json_decref(root);
}

/* A document jsonfast declines (nested deeper than it goes) is read by
 * json_loadb, whose tree pairs with the bytes just as well. */
static void test_jsonfast_number_texts_works_on_a_tree_of_json_loadb(void **state)
{
    (void)state;
    char doc[512], joined[64];
    size_t o = 0;
    json_error_t e;
    for (int i = 0; i < JSONFAST_MAX_DEPTH + 2; i++)
        doc[o++] = '[';
    o += (size_t)snprintf(doc + o, sizeof doc - o, "1.0, \"2\", 3e0");
    for (int i = 0; i < JSONFAST_MAX_DEPTH + 2; i++)
        doc[o++] = ']';
    assert_null(jsonfast_parse(doc, o));
    json_t *root = json_loadb(doc, o, FLAGS, &e);
    assert_non_null(root);
    number_texts(doc, o, root, joined, sizeof joined);
    assert_string_equal(joined, "1.0 3e0");
    json_decref(root);
}

static void test_jsonfast_number_texts_skips_null_and_refuses_a_stranger(void **state)
{
    (void)state;
    static const char doc[] = "{\"a\": 4.0}";
    json_t *root = jsonfast_parse(doc, sizeof doc - 1), *other = json_real(4.0);
    const json_t *nodes[3] = {NULL, json_object_get(root, "a"), other};
    str_t texts[3];
    assert_int_equal(jsonfast_number_texts(doc, sizeof doc - 1, root, nodes, texts, 2), 0);
    assert_null(texts[0].ptr);
    assert_int_equal(texts[1].len, 3);
    assert_memory_equal(texts[1].ptr, "4.0", 3);
    assert_int_equal(jsonfast_number_texts(doc, sizeof doc - 1, root, nodes, texts, 3), -1);
    assert_null(texts[2].ptr);
    assert_int_equal(jsonfast_number_texts(doc, sizeof doc - 1, root, nodes, texts, 1), 0);
    json_decref(other);
    json_decref(root);
}

/* ---- jsonfast_renumber ------------------------------------------------------------- */

typedef struct {
    char buf[1024];
    size_t len;
    int calls;
} sink_t;

static void sink_put(void *arg, const char *p, size_t n)
{
    sink_t *k = arg;
    k->calls++;
    if (k->len + n < sizeof k->buf) {
        memcpy(k->buf + k->len, p, n);
        k->len += n;
        k->buf[k->len] = '\0';
    }
}

/* jansson's compact text of a copy of doc's tree without member "drop" of the
 * top object, as the portal's API writes it. */
static char *dump_copy(const char *doc, const char *drop)
{
    json_t *root = jsonfast_parse(doc, strlen(doc));
    assert_non_null(root);
    json_t *copy = json_deep_copy(root);
    json_decref(root);
    if (drop != NULL)
        json_object_del(copy, drop);
    char *text = json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(copy);
    assert_non_null(text);
    return text;
}

/* A tree written back by jansson has 7.7999999999999998 for 7.8, 7.5 for
 * 75e-1 and 0 for -0; renumbered from the original bytes, every number is
 * as written there, numbers in strings and keys are left alone, and what
 * is not a number is jansson's text. */
static void test_jsonfast_renumber_writes_each_number_as_the_original_has_it(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"name\": \"Toán 9.5 \\\" -1\", \"hk1\": 8.0, \"hk2\": 7.8, \"year\": 10,\n"
        " \"drop\": \"Số 5 phố Tràng Thi\", \"x\": [75e-1, -0, 1E2, 0.30000000000000004, 12],"
        " \"k3y 4\": {\"v\": 9.9}}";
    char *text = dump_copy(doc, "drop");
    assert_non_null(strstr(text, "7.7999999999999998")); /* what the portal sent before */
    sink_t k = {.len = 0};
    assert_int_equal(jsonfast_renumber(text, strlen(text), doc, sizeof doc - 1, sink_put, &k), 0);
    assert_string_equal(k.buf, "{\"name\":\"Toán 9.5 \\\" -1\",\"hk1\":8.0,\"hk2\":7.8,\"year\":10,"
                               "\"x\":[75e-1,-0,1E2,0.30000000000000004,12],\"k3y 4\":{\"v\":9.9}}");
    json_error_t err;
    json_t *back = json_loads(k.buf, 0, &err);
    assert_non_null(back);
    assert_true(json_real_value(json_object_get(back, "hk2")) == 7.8);
    json_decref(back);
    free(text);
}

/* Texts that do not hold the same numbers in the same order (one number
 * more or less, another value, numbers swapped, one too long to read) are
 * refused with -1 and nothing written: the caller keeps jansson's text. */
static void test_jsonfast_renumber_refuses_texts_with_other_numbers_and_writes_nothing(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"[1,2]", "[1, 2, 3]"},
        {"[1,2,3]", "[1, 2]"},
        {"[1,2]", "[1, 2.5]"},
        {"[7.5,8]", "[8, 7.5]"},
        {"{\"a\":\"1\"}", "{\"a\": 1}"},
        {"[0.1]", "[0.100000000000000000000000000000000000000000000000000000000000000001]"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        sink_t k = {.len = 0};
        int rc = jsonfast_renumber(pairs[i][0], strlen(pairs[i][0]), pairs[i][1], strlen(pairs[i][1]),
                                   sink_put, &k);
        if (rc != -1 || k.calls != 0)
            fail_msg("%s against %s: expected -1 and nothing written, got %d and %d piece(s)", pairs[i][0],
                     pairs[i][1], rc, k.calls);
    }
    sink_t k = {.len = 0};
    assert_int_equal(jsonfast_renumber("{\"a\":\"b\"}", 9, "{\"a\": \"b\"}", 10, sink_put, &k), 0);
    assert_string_equal(k.buf, "{\"a\":\"b\"}"); /* no number: the text as it is */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonfast_parses_from_many_threads_at_once),
        cmocka_unit_test(test_jsonfast_reads_demo_transcript_as_jansson_does),
        cmocka_unit_test(test_jsonfast_reads_demo_recall_as_jansson_does),
        cmocka_unit_test(test_jsonfast_reads_compact_transcript_as_jansson_does),
        cmocka_unit_test(test_jsonfast_keeps_member_order_of_the_document),
        cmocka_unit_test(test_jsonfast_reads_decimal_as_real),
        cmocka_unit_test(test_jsonfast_reads_real_underflow_as_jansson_does),
        cmocka_unit_test(test_jsonfast_reads_integers_as_integers),
        cmocka_unit_test(test_jsonfast_reads_nested_arrays_and_objects),
        cmocka_unit_test(test_jsonfast_reads_64_levels_of_nesting),
        cmocka_unit_test(test_jsonfast_decodes_short_escapes),
        cmocka_unit_test(test_jsonfast_decodes_u_escapes_to_utf8),
        cmocka_unit_test(test_jsonfast_decodes_surrogate_pair),
        cmocka_unit_test(test_jsonfast_decodes_escapes_in_keys),
        cmocka_unit_test(test_jsonfast_decodes_long_escaped_string),
        cmocka_unit_test(test_jsonfast_keeps_vietnamese_and_four_byte_utf8),
        cmocka_unit_test(test_jsonfast_reads_empty_containers_and_strings),
        cmocka_unit_test(test_jsonfast_reads_scalars_at_top_level),
        cmocka_unit_test(test_jsonfast_refuses_empty_and_blank_input),
        cmocka_unit_test(test_jsonfast_refuses_whitespace_jansson_does_not_know),
        cmocka_unit_test(test_jsonfast_refuses_byte_order_mark),
        cmocka_unit_test(test_jsonfast_refuses_anything_after_the_value),
        cmocka_unit_test(test_jsonfast_refuses_raw_control_characters_in_strings),
        cmocka_unit_test(test_jsonfast_refuses_invalid_utf8),
        cmocka_unit_test(test_jsonfast_refuses_unknown_escapes),
        cmocka_unit_test(test_jsonfast_refuses_lone_or_unpaired_surrogates),
        cmocka_unit_test(test_jsonfast_refuses_escaped_nul),
        cmocka_unit_test(test_jsonfast_refuses_numbers_outside_the_grammar),
        cmocka_unit_test(test_jsonfast_refuses_integer_overflow),
        cmocka_unit_test(test_jsonfast_refuses_real_overflow),
        cmocka_unit_test(test_jsonfast_refuses_duplicate_keys),
        cmocka_unit_test(test_jsonfast_refuses_broken_structure),
        cmocka_unit_test(test_jsonfast_refuses_misspelt_literals),
        cmocka_unit_test(test_jsonfast_refuses_nul_byte_where_jansson_does),
        cmocka_unit_test(test_jsonfast_refuses_nesting_beyond_janssons_limit),
        cmocka_unit_test(test_jsonfast_declines_nul_byte_after_a_value),
        cmocka_unit_test(test_jsonfast_declines_nesting_beyond_its_limit),
        cmocka_unit_test(test_jsonfast_declines_integers_of_19_digits),
        cmocka_unit_test(test_jsonfast_declines_reals_longer_than_63_characters),
        cmocka_unit_test(test_jsonfast_agrees_with_jansson_on_every_prefix),
        cmocka_unit_test(test_jsonfast_agrees_with_jansson_on_every_single_byte_change),
        cmocka_unit_test(test_jsonfast_number_texts_gives_each_number_as_written),
        cmocka_unit_test(test_jsonfast_number_texts_works_on_a_tree_of_json_loadb),
        cmocka_unit_test(test_jsonfast_number_texts_skips_null_and_refuses_a_stranger),
        cmocka_unit_test(test_jsonfast_renumber_writes_each_number_as_the_original_has_it),
        cmocka_unit_test(test_jsonfast_renumber_refuses_texts_with_other_numbers_and_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
