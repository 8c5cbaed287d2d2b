/* test_payload.c — payload_parse against package-format.md §3, §4, §5.
 *
 * Most refusals start from one valid transcript (or recall), change one
 * member with jansson, serialise it and check that exactly that member is
 * named. Tests of raw bytes (UTF-8, BOM, duplicates, size) build the bytes by
 * hand, since jansson would never write them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/code.h"
#include "lookup/payload.h"

#define CERT_TEACHER "1057a9604e04b274da5a4de0c8f4b4868d9b230989f8c8c6a28221143cc5a755"
#define CERT_PRINCIPAL "69e03750027e6b1e9f95bd21d227613c0024ec799ebfb7fe281371e1153f9bda"
#define CERT_SEAL "f0f668bf610e5cf9f11d2aa50f924ada10797100e8f05de085842ddb6370a867"
#define CERT_VICE "0e1f6dec24570014bb363e4dfc560b82f0a62bfb9f1904c5784af0d8e7178f9b"

/* Canonical codes from spec/lookup-code-vectors.tsv. */
#define CODE_A "Q5VQQT42TCX1D4Q1"
#define CODE_B "SABR24PA3EYWNYPK"

static const char TRANSCRIPT[] =
    "{\n"
    "  \"schema\": \"hocba.tieuhoc.v1\",\n"
    "  \"document_id\": \"HB-2025.01019001_3A-017\",\n"
    "  \"issued_on\": \"2025-05-20\",\n"
    "  \"school_year\": \"2024-2025\",\n"
    "  \"school\": {\"code\": \"01019001\", \"name\": \"Trường Tiểu học Kim Đồng\", \"province\": \"Hà "
    "Nội\",\n"
    "             \"district\": \"Quận Ba Đình\", \"ward\": \"Phường Điện Biên\"},\n"
    "  \"student\": {\"id\": \"0101900123456\", \"full_name\": \"Nguyễn Thị Lan\", \"date_of_birth\": "
    "\"2016-03-14\",\n"
    "              \"gender\": \"Nữ\", \"ethnicity\": \"Kinh\", \"place_of_birth\": \"Hà Nội\",\n"
    "              \"citizen_id\": \"001316012345\", \"address\": \"12 phố Hàng Bông, Hoàn Kiếm, Hà Nội\",\n"
    "              \"guardian_name\": \"Nguyễn Văn Hùng\"},\n"
    "  \"grade\": 3,\n"
    "  \"class\": \"3A\",\n"
    "  \"subjects\": [\n"
    "    {\"name\": \"Tiếng Việt\", \"level\": \"T\", \"score\": 9, \"comment\": \"Đọc to, rõ ràng; viết "
    "đúng "
    "chính tả.\"},\n"
    "    {\"name\": \"Toán\", \"level\": \"T\", \"score\": 10},\n"
    "    {\"name\": \"Ngoại ngữ 1 (Tiếng Anh)\", \"level\": \"H\", \"score\": 7},\n"
    "    {\"name\": \"Tin học và Công nghệ\", \"level\": \"H\", \"score\": 8},\n"
    "    {\"name\": \"Đạo đức\", \"level\": \"T\"},\n"
    "    {\"name\": \"Tự nhiên và Xã hội\", \"level\": \"T\"},\n"
    "    {\"name\": \"Giáo dục thể chất\", \"level\": \"H\"},\n"
    "    {\"name\": \"Âm nhạc\", \"level\": \"T\"},\n"
    "    {\"name\": \"Mĩ thuật\", \"level\": \"H\"},\n"
    "    {\"name\": \"Hoạt động trải nghiệm\", \"level\": \"T\"}\n"
    "  ],\n"
    "  \"qualities\": [\n"
    "    {\"name\": \"Yêu nước\", \"level\": \"T\"},\n"
    "    {\"name\": \"Nhân ái\", \"level\": \"T\"},\n"
    "    {\"name\": \"Chăm chỉ\", \"level\": \"Đ\", \"comment\": \"Cần tự giác hơn khi làm bài ở nhà.\"},\n"
    "    {\"name\": \"Trung thực\", \"level\": \"T\"},\n"
    "    {\"name\": \"Trách nhiệm\", \"level\": \"Đ\"}\n"
    "  ],\n"
    "  \"competencies\": [\n"
    "    {\"name\": \"Tự chủ và tự học\", \"level\": \"T\"},\n"
    "    {\"name\": \"Giao tiếp và hợp tác\", \"level\": \"Đ\"},\n"
    "    {\"name\": \"Giải quyết vấn đề và sáng tạo\", \"level\": \"Đ\"},\n"
    "    {\"name\": \"Ngôn ngữ\", \"level\": \"T\"},\n"
    "    {\"name\": \"Tính toán\", \"level\": \"T\"},\n"
    "    {\"name\": \"Khoa học\", \"level\": \"Đ\"},\n"
    "    {\"name\": \"Thẩm mĩ\", \"level\": \"T\"},\n"
    "    {\"name\": \"Thể chất\", \"level\": \"C\"}\n"
    "  ],\n"
    "  \"result\": \"HTT\",\n"
    "  \"program_completed\": true,\n"
    "  \"awards\": [\"Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện\"],\n"
    "  \"remarks\": \"Em chăm ngoan, tích cực phát biểu xây dựng bài.\",\n"
    "  \"days_absent\": 2,\n"
    "  \"signers\": [\n"
    "    {\"role\": \"homeroom_teacher\", \"name\": \"Trần Thị Hoa\", \"certificate_sha256\": \"" CERT_TEACHER
    "\"},\n"
    "    {\"role\": \"principal\", \"name\": \"Lê Văn Minh\", \"certificate_sha256\": \"" CERT_PRINCIPAL
    "\"},\n"
    "    {\"role\": \"school_seal\", \"name\": \"Trường Tiểu học Kim Đồng\", \"certificate_sha256\": "
    "\"" CERT_SEAL "\"}\n"
    "  ]\n"
    "}\n";

static const char RECALL[] =
    "{\"schema\": \"hocba.recall.v1\", \"code\": \"" CODE_A "\", \"school_code\": \"01019001\",\n"
    " \"recalled_on\": \"2025-06-02\",\n"
    " \"reason\": \"Sai ngày sinh của học sinh.\\nĐã phát hành học bạ thay thế.\",\n"
    " \"signers\": [{\"role\": \"school_seal\", \"name\": \"Trường Tiểu học Kim Đồng\",\n"
    "               \"certificate_sha256\": \"" CERT_SEAL "\"}]}";

/* ---- helpers ------------------------------------------------------------- */

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *d = json_loads(text, 0, &e);
    if (d == NULL)
        fail_msg("test fixture is not JSON: line %d: %s", e.line, e.text);
    return d;
}

static json_t *transcript(void)
{
    return load(TRANSCRIPT);
}

static json_t *recall(void)
{
    return load(RECALL);
}

/* The value at a path such as "", "student", "subjects[2]" or "signers[0]". */
static json_t *at(json_t *d, const char *path)
{
    char seg[64];
    while (*path != '\0') {
        size_t n = strcspn(path, ".");
        assert_true(n < sizeof seg);
        memcpy(seg, path, n);
        seg[n] = '\0';
        char *br = strchr(seg, '[');
        if (br != NULL) {
            *br = '\0';
            d = json_array_get(json_object_get(d, seg), (size_t)atoi(br + 1));
        } else {
            d = json_object_get(d, seg);
        }
        assert_non_null(d);
        path += n;
        if (*path == '.')
            path++;
    }
    return d;
}

static void set(json_t *d, const char *parent, const char *key, json_t *v)
{
    assert_int_equal(json_object_set_new(at(d, parent), key, v), 0);
}

static void del(json_t *d, const char *parent, const char *key)
{
    assert_int_equal(json_object_del(at(d, parent), key), 0);
}

/* 1 when s is valid UTF-8 (for checking that reasons are cut cleanly). */
static int valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n = *u < 0x80             ? 1
                   : (*u & 0xE0) == 0xC0 ? 2
                   : (*u & 0xF0) == 0xE0 ? 3
                   : (*u & 0xF8) == 0xF0 ? 4
                                         : 0;
        if (n == 0)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((u[k] & 0xC0) != 0x80)
                return 0;
        u += n;
    }
    return 1;
}

/* Parse raw bytes; on success the payload is freed and PAYLOAD_OK returned. */
static int try_bytes(const void *b, size_t n, char why[PAYLOAD_WHY_LEN])
{
    payload_t p;
    memset(why, 'Z', PAYLOAD_WHY_LEN);
    int rc = payload_parse(b, n, &p, why, PAYLOAD_WHY_LEN);
    if (memchr(why, '\0', PAYLOAD_WHY_LEN) == NULL)
        fail_msg("reason is not NUL-terminated within %d bytes", PAYLOAD_WHY_LEN);
    if (rc == PAYLOAD_OK) {
        payload_free(&p);
        return rc;
    }
    if (p.root != NULL || p.nsigners != 0 || p.kind != 0)
        fail_msg("a refused payload must leave nothing in out");
    for (const char *c = why; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fail_msg("reason holds raw control byte 0x%02X: %s", (unsigned char)*c, why);
    if (!valid_utf8(why))
        fail_msg("reason is not valid UTF-8: %s", why);
    return rc;
}

/* Serialise d (consumed) and parse it. */
static int try_doc(json_t *d, char why[PAYLOAD_WHY_LEN])
{
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    assert_non_null(text);
    int rc = try_bytes(text, strlen(text), why);
    free(text);
    return rc;
}

static void assert_reason(int rc, const char *why, int code, const char *needle)
{
    if (rc != code || (needle != NULL && strstr(why, needle) == NULL))
        fail_msg("expected %d with a reason containing \"%s\"; got %d: \"%s\"", code, needle ? needle : "",
                 rc, why);
}

static void expect_refusal(json_t *d, int code, const char *needle, const char *needle2)
{
    char why[PAYLOAD_WHY_LEN];
    int rc = try_doc(d, why);
    assert_reason(rc, why, code, needle);
    assert_reason(rc, why, code, needle2);
}

static void expect_bytes_refused(const void *b, size_t n, int code, const char *needle, const char *needle2)
{
    char why[PAYLOAD_WHY_LEN];
    int rc = try_bytes(b, n, why);
    assert_reason(rc, why, code, needle);
    assert_reason(rc, why, code, needle2);
}

static void expect_accepted(json_t *d)
{
    char why[PAYLOAD_WHY_LEN];
    int rc = try_doc(d, why);
    if (rc != PAYLOAD_OK)
        fail_msg("expected the payload to be accepted; got %d: \"%s\"", rc, why);
}

static void accept_set(const char *parent, const char *key, json_t *v)
{
    json_t *d = transcript();
    set(d, parent, key, v);
    expect_accepted(d);
}

/* One refusal that differs from the others only in its data: a member of a
 * valid document set to value (JSON text) or, when value is NULL, removed;
 * the reason must hold both needles (needle2 may be NULL). */
struct member_case {
    const char *name; /* what the case shows, for the failure message */
    const char *parent, *key;
    const char *value;
    const char *needle, *needle2;
};

static void check_case(const char *name, int rc, const char *why, int code, const char *needle,
                       const char *needle2)
{
    if (rc != code || (needle != NULL && strstr(why, needle) == NULL) ||
        (needle2 != NULL && strstr(why, needle2) == NULL))
        fail_msg("case %s: expected %d with a reason containing \"%s\" and \"%s\"; got %d: \"%s\"", name,
                 code, needle ? needle : "", needle2 ? needle2 : "", rc, why);
}

/* Each case applied to a fresh document from base() must be refused as PAYLOAD_ESCHEMA. */
static void refuse_members(json_t *(*base)(void), const struct member_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct member_case *c = &cases[i];
        json_t *d = base();
        if (c->value == NULL) {
            del(d, c->parent, c->key);
        } else {
            json_error_t e;
            json_t *v = json_loads(c->value, JSON_DECODE_ANY, &e);
            if (v == NULL)
                fail_msg("case %s: value is not JSON text: %s", c->name, e.text);
            set(d, c->parent, c->key, v);
        }
        char why[PAYLOAD_WHY_LEN];
        int rc = try_doc(d, why);
        check_case(c->name, rc, why, PAYLOAD_ESCHEMA, c->needle, c->needle2);
    }
}

static json_t *signer(const char *role, const char *name, const char *cert)
{
    return json_pack("{s:s, s:s, s:s}", "role", role, "name", name, "certificate_sha256", cert);
}

/* A raw payload: prefix, then bad bytes, then suffix; returns the offset of bad. */
static size_t splice(char *buf, size_t n, const char *bad, size_t badlen, size_t *total)
{
    static const char prefix[] = "{\"schema\":\"hocba.tieuhoc.v1\",\"note\":\"";
    static const char suffix[] = "\"}";
    size_t pl = strlen(prefix), sl = strlen(suffix);
    assert_true(pl + badlen + sl <= n);
    memcpy(buf, prefix, pl);
    memcpy(buf + pl, bad, badlen);
    memcpy(buf + pl + badlen, suffix, sl);
    *total = pl + badlen + sl;
    return pl;
}

/* ---- accepted ------------------------------------------------------------ */

static void test_payload_accepts_full_transcript_and_fills_every_field(void **state)
{
    (void)state;
    payload_t p;
    char why[PAYLOAD_WHY_LEN] = "";
    static const unsigned char teacher[4] = {0x10, 0x57, 0xa9, 0x60};
    static const unsigned char seal_tail[4] = {0x63, 0x70, 0xa8, 0x67};

    int rc = payload_parse(TRANSCRIPT, strlen(TRANSCRIPT), &p, why, sizeof why);
    if (rc != PAYLOAD_OK)
        fail_msg("expected PAYLOAD_OK, got %d: %s", rc, why);
    assert_int_equal(p.kind, PAYLOAD_TRANSCRIPT);
    assert_int_equal(p.schema, PAYLOAD_SCHEMA_TIEUHOC);
    assert_int_equal(p.level, PAYLOAD_LEVEL_TIEUHOC);
    assert_int_equal(p.program, PAYLOAD_PROGRAM_GDPT);
    assert_int_equal(p.year_start, 2024);
    assert_non_null(p.root);
    assert_string_equal(p.document_id, "HB-2025.01019001_3A-017");
    assert_string_equal(p.school_code, "01019001");
    assert_string_equal(p.school_year, "2024-2025");
    assert_string_equal(p.student_id, "0101900123456");
    assert_string_equal(p.issued_on, "2025-05-20");
    assert_int_equal(p.grade, 3);
    assert_int_equal(p.has_supersedes, 0);
    assert_null(p.recalled_on);
    assert_null(p.reason);
    assert_int_equal(p.nsigners, 3);
    assert_string_equal(p.signers[0].role, "homeroom_teacher");
    assert_string_equal(p.signers[0].name, "Trần Thị Hoa");
    assert_memory_equal(p.signers[0].cert_sha256, teacher, 4);
    assert_string_equal(p.signers[1].role, "principal");
    assert_string_equal(p.signers[1].name, "Lê Văn Minh");
    assert_string_equal(p.signers[2].role, "school_seal");
    assert_string_equal(p.signers[2].name, "Trường Tiểu học Kim Đồng");
    assert_memory_equal(p.signers[2].cert_sha256 + 28, seal_tail, 4);
    assert_string_equal(json_string_value(json_object_get(json_object_get(p.root, "student"), "full_name")),
                        "Nguyễn Thị Lan");
    assert_int_equal(payload_find_role(&p, "homeroom_teacher"), 0);
    assert_int_equal(payload_find_role(&p, "principal"), 1);
    assert_int_equal(payload_find_role(&p, "school_seal"), 2);
    payload_free(&p);
    assert_null(p.root);
}

static void test_payload_accepts_recall_and_fills_every_field(void **state)
{
    (void)state;
    payload_t p;
    char why[PAYLOAD_WHY_LEN] = "";
    static const unsigned char seal[32] = {0xf0, 0xf6, 0x68, 0xbf, 0x61, 0x0e, 0x5c, 0xf9, 0xf1, 0x1d, 0x2a,
                                           0xa5, 0x0f, 0x92, 0x4a, 0xda, 0x10, 0x79, 0x71, 0x00, 0xe8, 0xf0,
                                           0x5d, 0xe0, 0x85, 0x84, 0x2d, 0xdb, 0x63, 0x70, 0xa8, 0x67};

    int rc = payload_parse(RECALL, strlen(RECALL), &p, why, sizeof why);
    if (rc != PAYLOAD_OK)
        fail_msg("expected PAYLOAD_OK, got %d: %s", rc, why);
    assert_int_equal(p.kind, PAYLOAD_RECALL);
    assert_int_equal(p.schema, PAYLOAD_SCHEMA_RECALL);
    assert_memory_equal(p.target, CODE_A, CODE_LEN);
    assert_string_equal(p.school_code, "01019001");
    assert_string_equal(p.recalled_on, "2025-06-02");
    assert_string_equal(p.reason, "Sai ngày sinh của học sinh.\nĐã phát hành học bạ thay thế.");
    assert_null(p.document_id);
    assert_int_equal(p.nsigners, 1);
    assert_string_equal(p.signers[0].role, "school_seal");
    assert_memory_equal(p.signers[0].cert_sha256, seal, 32);
    assert_int_equal(payload_find_role(&p, "principal"), -1);
    payload_free(&p);
}

static void test_payload_accepts_transcript_without_optional_members(void **state)
{
    (void)state;
    json_t *d = transcript();
    del(d, "", "awards");
    del(d, "", "remarks");
    del(d, "", "days_absent");
    del(d, "school", "district");
    del(d, "school", "ward");
    del(d, "student", "ethnicity");
    del(d, "student", "place_of_birth");
    del(d, "student", "citizen_id");
    del(d, "student", "address");
    del(d, "student", "guardian_name");
    del(d, "subjects[0]", "score");
    del(d, "subjects[0]", "comment");
    expect_accepted(d);
}

static void test_payload_accepts_leading_bom(void **state)
{
    (void)state;
    size_t n = strlen(TRANSCRIPT);
    char *b = malloc(n + 3);
    assert_non_null(b);
    memcpy(b, "\xEF\xBB\xBF", 3);
    memcpy(b + 3, TRANSCRIPT, n);
    char why[PAYLOAD_WHY_LEN];
    int rc = try_bytes(b, n + 3, why);
    free(b);
    assert_reason(rc, why, PAYLOAD_OK, NULL);
}

static void test_payload_keeps_unknown_members(void **state)
{
    (void)state;
    json_t *d = transcript();
    set(d, "", "x_vendor", json_pack("{s:s}", "app", "SMAS"));
    set(d, "student", "nickname", json_string("Bống"));
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    int rc = payload_parse(text, strlen(text), &p, why, sizeof why);
    free(text);
    assert_reason(rc, why, PAYLOAD_OK, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(p.root, "x_vendor"), "app")),
                        "SMAS");
    assert_string_equal(json_string_value(json_object_get(json_object_get(p.root, "student"), "nickname")),
                        "Bống");
    payload_free(&p);
}

static void test_payload_allows_newline_in_remarks(void **state)
{
    (void)state;
    accept_set("", "remarks", json_string("Em chăm ngoan.\nCần rèn chữ viết."));
}

static void test_payload_allows_newline_in_comment_and_awards(void **state)
{
    (void)state;
    json_t *d = transcript();
    set(d, "subjects[0]", "comment", json_string("Đọc tốt.\nViết cẩn thận."));
    set(d, "", "awards", json_pack("[s]", "Học sinh Xuất sắc\n(cấp trường)"));
    expect_accepted(d);
}

static void test_payload_accepts_supersedes_and_fills_it(void **state)
{
    (void)state;
    json_t *d = transcript();
    set(d, "", "supersedes", json_string(CODE_B));
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    int rc = payload_parse(text, strlen(text), &p, why, sizeof why);
    free(text);
    assert_reason(rc, why, PAYLOAD_OK, NULL);
    assert_int_equal(p.has_supersedes, 1);
    assert_memory_equal(p.supersedes, CODE_B, CODE_LEN);
    payload_free(&p);
}

static void test_payload_accepts_feb_29_in_leap_years(void **state)
{
    (void)state;
    accept_set("student", "date_of_birth", json_string("2016-02-29"));
    accept_set("", "issued_on", json_string("2028-02-29"));
}

static void test_payload_accepts_other_roles_any_number_of_times(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_array_append_new(at(d, "signers"), signer("vice_principal", "Phạm Thu Hà", CERT_VICE));
    json_array_append_new(at(d, "signers"), signer("vice_principal", "Phạm Thu Hà", CERT_VICE));
    expect_accepted(d);
}

static void test_payload_accepts_decomposed_nu(void **state)
{
    (void)state;
    accept_set("student", "gender", json_string("Nu\xCC\x9B\xCC\x83"));
}

static void test_payload_accepts_exactly_64_kib(void **state)
{
    (void)state;
    json_t *d = transcript();
    set(d, "", "x_padding", json_string(""));
    char *text = json_dumps(d, JSON_COMPACT);
    size_t base = strlen(text);
    free(text);
    assert_true(base < PAYLOAD_MAX_BYTES);
    char *pad = malloc(PAYLOAD_MAX_BYTES - base + 1);
    assert_non_null(pad);
    memset(pad, 'a', PAYLOAD_MAX_BYTES - base);
    pad[PAYLOAD_MAX_BYTES - base] = '\0';
    set(d, "", "x_padding", json_string(pad));
    free(pad);
    text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    assert_int_equal(strlen(text), PAYLOAD_MAX_BYTES);
    char why[PAYLOAD_WHY_LEN];
    int rc = try_bytes(text, PAYLOAD_MAX_BYTES, why);
    free(text);
    assert_reason(rc, why, PAYLOAD_OK, NULL);
}

static void test_payload_free_is_safe_on_zeroed_payload(void **state)
{
    (void)state;
    payload_t p;
    memset(&p, 0, sizeof p);
    payload_free(&p);
    payload_free(&p);
    assert_int_equal(payload_find_role(&p, "principal"), -1);
}

/* ---- size ----------------------------------------------------------------- */

static void test_payload_refuses_over_64_kib(void **state)
{
    (void)state;
    size_t n = PAYLOAD_MAX_BYTES + 1;
    char *b = malloc(n);
    assert_non_null(b);
    memset(b, ' ', n);
    b[0] = '{';
    b[n - 1] = '}';
    char why[PAYLOAD_WHY_LEN];
    int rc = try_bytes(b, n, why);
    free(b);
    assert_reason(rc, why, PAYLOAD_ESIZE, "64 KiB");
    assert_reason(rc, why, PAYLOAD_ESIZE, "65537 bytes");
}

/* ---- raw bytes: UTF-8 and JSON ---------------------------------------------- */

/* Text that fails before any schema rule: the bytes, the code and what the reason must hold. */
static const struct {
    const char *name, *bytes;
    int code;
    const char *needle, *needle2;
} BAD_TEXT[] = {
    {"empty", "", PAYLOAD_ESIZE, "empty", NULL},
    {"utf8_cut_at_end_of_payload", "{\"schema\":\"hocba.tieuhoc.v1\"}\xE1\xBB", PAYLOAD_EUTF8,
     "byte offset 29", "end of the payload"},
    {"text_that_is_not_json", "schema: hocba.tieuhoc.v1\n", PAYLOAD_EJSON, "not valid JSON", "line 1"},
    {"duplicate_member_names", "{\"schema\":\"hocba.tieuhoc.v1\",\"grade\":3,\n\"grade\":5}", PAYLOAD_EJSON,
     "not valid JSON", "duplicate"},
    {"trailing_garbage", "{\"schema\":\"hocba.tieuhoc.v1\"} {}", PAYLOAD_EJSON, "not valid JSON", "column"},
    {"escaped_nul", "{\"schema\":\"hocba.tieuhoc.v1\",\"class\":\"3A\\u0000\"}", PAYLOAD_EJSON,
     "not valid JSON", "(NUL) is not allowed"},
    {"bom_alone", "\xEF\xBB\xBF", PAYLOAD_EJSON, "not valid JSON", NULL},
    {"top_level_array", "[{\"schema\":\"hocba.tieuhoc.v1\"}]", PAYLOAD_ESCHEMA, "object at the top level",
     "array"},
    {"top_level_string", "\"hocba.tieuhoc.v1\"", PAYLOAD_ESCHEMA, "object at the top level", NULL},
};

static void test_payload_refuses_each_bad_text_with_its_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BAD_TEXT / sizeof BAD_TEXT[0]; i++) {
        char why[PAYLOAD_WHY_LEN];
        int rc = try_bytes(BAD_TEXT[i].bytes, strlen(BAD_TEXT[i].bytes), why);
        check_case(BAD_TEXT[i].name, rc, why, BAD_TEXT[i].code, BAD_TEXT[i].needle, BAD_TEXT[i].needle2);
    }
}

/* Invalid UTF-8 inside a string: the sequence and the byte of it the reason must point at. */
static const struct {
    const char *name, *bad;
    size_t where;
} BAD_UTF8[] = {
    {"overlong_two_byte_utf8", "\xC0\xAF", 0},          {"overlong_three_byte_utf8", "\xE0\x80\xAF", 0},
    {"overlong_four_byte_utf8", "\xF0\x80\x80\xAF", 0}, {"utf8_surrogate", "\xED\xA0\x80", 0},
    {"code_point_above_10ffff", "\xF4\x90\x80\x80", 0}, {"lead_byte_f5", "\xF5\x80\x80\x80", 0},
    {"truncated_utf8_sequence", "Nguy\xE1\xBB", 4}, /* "ễ" missing its last byte, then the closing quote */
    {"stray_continuation_byte", "ab\x80", 2},           {"byte_ff", "\xFF", 0},
};

static void test_payload_refuses_each_bad_utf8_sequence_at_its_offset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BAD_UTF8 / sizeof BAD_UTF8[0]; i++) {
        char buf[256], offset[48], why[PAYLOAD_WHY_LEN];
        size_t total, start = splice(buf, sizeof buf, BAD_UTF8[i].bad, strlen(BAD_UTF8[i].bad), &total);
        snprintf(offset, sizeof offset, "byte offset %zu", start + BAD_UTF8[i].where);
        int rc = try_bytes(buf, total, why);
        check_case(BAD_UTF8[i].name, rc, why, PAYLOAD_EUTF8, "UTF-8", offset);
    }
}

static void test_payload_refuses_windows_1258_text_with_a_hint(void **state)
{
    (void)state;
    char buf[256];
    size_t total, start = splice(buf, sizeof buf, "H\xE0 N\xF4\xF2i", 7, &total); /* "Hà Nội" in cp1258 */
    char offset[48];
    snprintf(offset, sizeof offset, "UTF-8 at byte offset %zu", start + 1);
    expect_bytes_refused(buf, total, PAYLOAD_EUTF8, offset, "Windows-1258");
}

/* ---- transcript members ------------------------------------------------------ */

static const struct member_case BAD_MEMBER[] = {
    {"unknown_schema_naming_both", "", "schema", "\"hocba.tieuhoc.v2\"", "\"hocba.tieuhoc.v2\"",
     "\"hocba.recall.v1\""},
    {"missing_schema", "", "schema", NULL, "schema: required member is missing", "hocba.tieuhoc.v1"},
    {"document_id_with_space", "", "document_id", "\"HB 2025\"", "document_id:", "character 3"},
    {"missing_document_id", "", "document_id", NULL, "document_id: required member is missing", NULL},
    {"escapes_control_characters_in_echoed_value", "", "document_id", "\"HB\\u001b[2J\"",
     "document_id:", "\"HB\\u001B[2J\""},
    {"feb_29_2025", "", "issued_on", "\"2025-02-29\"", "issued_on:", "has 28 days"},
    {"feb_29_1900", "student", "date_of_birth", "\"1900-02-29\"",
     "student.date_of_birth:", "month 02 of 1900 has 28 days"},
    {"april_31", "", "issued_on", "\"2025-04-31\"", "issued_on:", "30 days"},
    {"month_13", "", "issued_on", "\"2025-13-01\"", "issued_on:", "no month 13"},
    {"day_first_date", "student", "date_of_birth", "\"14/03/2016\"", "student.date_of_birth:", "YYYY-MM-DD"},
    {"date_with_time", "", "issued_on", "\"2025-05-20T08:00:00Z\"", "issued_on:", "YYYY-MM-DD"},
    {"school_year_2024_2026", "", "school_year", "\"2024-2026\"", "school_year:", "\"2024-2026\""},
    /* a school year that begins after the transcript was issued (a school's way to put a year of its
     * choosing at the top of the public figures) */
    {"school_year_after_issued_on", "", "school_year", "\"2026-2027\"",
     "school_year: 2026-2027 begins after issued_on",
     "a transcript is issued once its school year has begun"},
    {"school_year_with_slash", "", "school_year", "\"2024/2025\"", "school_year:", "YYYY-YYYY"},
    {"grade_0", "", "grade", "0", "grade:", "1 to 5, got 0"},
    {"grade_6", "", "grade", "6", "grade:", "got 6"},
    {"grade_as_string", "", "grade", "\"3\"", "grade:", "got \"3\""},
    {"grade_as_real", "", "grade", "3.0", "grade:", "real number 3.0"},
    {"missing_class", "", "class", NULL, "class: required member is missing", NULL},
    {"unknown_result", "", "result", "\"Giỏi\"", "result:", "HTXS, HTT, HT or CHT"},
    {"program_completed_as_string", "", "program_completed", "\"true\"",
     "program_completed:", "true or false"},
    {"empty_award", "", "awards", "[\"Học sinh Xuất sắc\", \"\"]", "awards[1]:", "non-empty"},
    {"award_that_is_not_a_string", "", "awards", "[\"Học sinh Xuất sắc\", 5]",
     "awards[1]:", "expected a string, got 5"},
    {"award_with_control_character", "", "awards", "[\"Học sinh\\tXuất sắc\", \"Tiến bộ\"]",
     "awards[0]:", "U+0009 at byte 10"},
    {"awards_as_string", "", "awards", "\"Học sinh Xuất sắc\"", "awards:", "array of strings"},
    {"tab_in_remarks", "", "remarks", "\"Em chăm ngoan.\\tCần rèn chữ.\"", "remarks:", "U+0009"},
    {"carriage_return_in_remarks", "", "remarks", "\"Em chăm ngoan.\\r\\nCần rèn chữ.\"",
     "remarks:", "U+000D"},
    {"negative_days_absent", "", "days_absent", "-1", "days_absent:", "0 or more"},
    {"null_for_optional_member", "", "remarks", "null", "remarks:", "got null"},
    {"supersedes_with_bad_check_symbol", "", "supersedes", "\"Q5VQQT42TCX1D4Q2\"",
     "supersedes:", "not a valid lookup code"},
    {"supersedes_not_canonical", "", "supersedes", "\"Q5VQ-QT42-TCX1-D4Q1\"", "not a valid lookup code",
     "write it as " CODE_A},
    {"missing_school", "", "school", NULL, "school: required member is missing", NULL},
    {"school_code_with_hyphen", "school", "code", "\"01-019\"", "school.code:", "A-Z a-z 0-9"},
    {"missing_school_province", "school", "province", NULL, "school.province: required member is missing",
     NULL},
    {"school_district_as_number", "school", "district", "1", "school.district:", "expected a string, got 1"},
    {"student_id_with_letter", "student", "id", "\"01019A\"", "student.id:", "digits"},
    {"student_id_of_21_digits", "student", "id", "\"123456789012345678901\"",
     "student.id:", "\"123456789012345678901\"; 21 characters"},
    {"control_character_in_full_name", "student", "full_name", "\"Nguyễn\\u0001Thị Lan\"",
     "student.full_name:", "U+0001"},
    {"newline_in_full_name", "student", "full_name", "\"Nguyễn Thị\\nLan\"", "student.full_name:", "U+000A"},
    {"c1_control_in_full_name", "student", "full_name", "\"Nguy\\u0085n\"", "student.full_name:", "U+0085"},
    {"empty_full_name", "student", "full_name", "\"\"", "student.full_name:", "non-empty"},
    {"bad_date_of_birth", "student", "date_of_birth", "\"2016-02-30\"",
     "student.date_of_birth:", "\"2016-02-30\""},
    {"gender_without_diacritics", "student", "gender", "\"Nu\"", "student.gender:", "\"Nam\" or \"Nữ\""},
    {"citizen_id_of_11_digits", "student", "citizen_id", "\"00131601234\"",
     "student.citizen_id:", "12 digits"},
    {"empty_subjects", "", "subjects", "[]", "subjects:", "empty array"},
    {"subjects_as_object", "", "subjects", "{}",
     "subjects:", "expected an array of 1 to 20 entries, got an object"},
    {"subject_level_x", "subjects[2]", "level", "\"X\"",
     "subjects[2].level:", "expected T, H or C, got \"X\""},
    {"subject_level_d_with_stroke", "subjects[0]", "level", "\"Đ\"", "subjects[0].level:", "T, H or C"},
    {"subject_without_name", "subjects[5]", "name", NULL, "subjects[5].name: required member is missing",
     NULL},
    {"score_11", "subjects[3]", "score", "11", "subjects[3].score:", "0 to 10, got 11"},
    {"score_3_5", "subjects[0]", "score", "3.5", "subjects[0].score:", "real number 3.5"},
    {"negative_score", "subjects[0]", "score", "-1", "subjects[0].score:", "got -1"},
    {"quality_level_plain_d", "qualities[2]", "level", "\"D\"", "qualities[2].level:", "U+0110"},
    {"quality_level_h", "qualities[0]", "level", "\"H\"", "qualities[0].level:", "expected T, Đ or C"},
    {"competency_level_lower_case", "competencies[7]", "level", "\"t\"", "competencies[7].level:", "level"},
    {"missing_competencies", "", "competencies", NULL, "competencies: required member is missing", NULL},
    {"empty_signers_on_transcript", "", "signers", "[]", "signers: required role homeroom_teacher", NULL},
    {"signer_without_name", "signers[1]", "name", NULL, "signers[1].name: required member is missing", NULL},
    {"empty_role", "signers[2]", "role", "\"\"", "signers[2].role:", "non-empty"},
    {"upper_case_certificate_hash", "signers[1]", "certificate_sha256",
     "\"69E03750027E6B1E9F95BD21D227613C0024EC799EBFB7FE281371E1153F9BDA\"",
     "signers[1].certificate_sha256:", "upper-case"},
    {"certificate_hash_of_63_digits", "signers[0]", "certificate_sha256",
     "\"057a9604e04b274da5a4de0c8f4b4868d9b230989f8c8c6a28221143cc5a755\"",
     "signers[0].certificate_sha256:", "(63 bytes)"},
    {"certificate_hash_with_non_hex", "signers[2]", "certificate_sha256",
     "\"g0f668bf610e5cf9f11d2aa50f924ada10797100e8f05de085842ddb6370a867\"",
     "signers[2].certificate_sha256:", "character 1 is not a hex digit"},
    {"certificate_hash_as_colon_pairs", "signers[2]", "certificate_sha256", "\"f0:f6:68:bf\"",
     "signers[2].certificate_sha256:", "64 lower-case hex digits"},
};

static void test_payload_refuses_each_bad_transcript_member_naming_it(void **state)
{
    (void)state;
    refuse_members(transcript, BAD_MEMBER, sizeof BAD_MEMBER / sizeof BAD_MEMBER[0]);
}

/* Values one byte over their limit, made of one repeated character. */
static const struct {
    const char *name, *parent, *key;
    char fill;
    size_t len;
    const char *needle, *needle2;
} TOO_LONG[] = {
    {"document_id_of_65_characters", "", "document_id", 'A', 65, "document_id:", "(65 bytes)"},
    {"free_text_over_2000_bytes", "", "remarks", 'x', 2001, "remarks:", "2000 bytes"},
    {"name_over_200_bytes", "school", "name", 'x', 201, "school.name:", "200 bytes"},
};

static void test_payload_refuses_each_value_over_its_length_limit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof TOO_LONG / sizeof TOO_LONG[0]; i++) {
        char text[2048], why[PAYLOAD_WHY_LEN];
        assert_true(TOO_LONG[i].len < sizeof text);
        memset(text, TOO_LONG[i].fill, TOO_LONG[i].len);
        json_t *d = transcript();
        set(d, TOO_LONG[i].parent, TOO_LONG[i].key, json_stringn(text, TOO_LONG[i].len));
        int rc = try_doc(d, why);
        check_case(TOO_LONG[i].name, rc, why, PAYLOAD_ESCHEMA, TOO_LONG[i].needle, TOO_LONG[i].needle2);
    }
}

/* The content rule at every boundary: each code point of U+0000-U+00FF and
 * a few beyond, alone in a name (no newline) and in the remarks (newline
 * allowed). Accepted exactly when it is no control character: C0, DEL, C1. */
static void test_payload_control_rule_holds_for_every_code_point_up_to_u_00ff(void **state)
{
    (void)state;
    static const unsigned extra[] = {0x100, 0x1EA0, 0x2028, 0xFEFF, 0x1F600};
    for (unsigned k = 0; k < 0x100 + sizeof extra / sizeof extra[0]; k++) {
        unsigned cp = k < 0x100 ? k : extra[k - 0x100];
        char name[16];
        size_t n = 0;
        name[n++] = 'A';
        if (cp < 0x80) {
            name[n++] = (char)cp;
        } else if (cp < 0x800) {
            name[n++] = (char)(0xC0 | cp >> 6);
            name[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            name[n++] = (char)(0xE0 | cp >> 12);
            name[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
            name[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            name[n++] = (char)(0xF0 | cp >> 18);
            name[n++] = (char)(0x80 | (cp >> 12 & 0x3F));
            name[n++] = (char)(0x80 | (cp >> 6 & 0x3F));
            name[n++] = (char)(0x80 | (cp & 0x3F));
        }
        name[n++] = 'b';
        int control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
        for (int text = 0; text < 2; text++) {
            json_t *d = transcript();
            if (text)
                set(d, "", "remarks", json_stringn(name, n));
            else
                set(d, "student", "full_name", json_stringn(name, n));
            char why[PAYLOAD_WHY_LEN];
            int rc = try_doc(d, why);
            int want_ok = !control || (text && cp == '\n');
            if (cp == 0) /* jansson and jsonfast refuse \u0000 before any rule */
                want_ok = 0;
            if ((rc == PAYLOAD_OK) != want_ok)
                fail_msg("U+%04X in %s: expected %s, got %d (%s)", cp, text ? "remarks" : "student.full_name",
                         want_ok ? "acceptance" : "a refusal", rc, rc == PAYLOAD_OK ? "accepted" : why);
        }
    }
}

/* ---- transcript arrays -------------------------------------------------------- */

static void test_payload_refuses_21_subjects(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_t *arr = at(d, "subjects");
    while (json_array_size(arr) < 21)
        json_array_append_new(arr, json_deep_copy(json_array_get(arr, 4)));
    expect_refusal(d, PAYLOAD_ESCHEMA, "subjects:", "array of 21 entries");
}

static void test_payload_refuses_subject_that_is_not_object(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_array_set_new(at(d, "subjects"), 1, json_string("Toán"));
    expect_refusal(d, PAYLOAD_ESCHEMA, "subjects[1]:", "got \"Toán\"");
}

static void test_payload_refuses_11_qualities(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_t *arr = at(d, "qualities");
    while (json_array_size(arr) < 11)
        json_array_append_new(arr, json_deep_copy(json_array_get(arr, 0)));
    expect_refusal(d, PAYLOAD_ESCHEMA, "qualities:", "1 to 10");
}

static void test_payload_refuses_21_competencies(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_t *arr = at(d, "competencies");
    while (json_array_size(arr) < 21)
        json_array_append_new(arr, json_deep_copy(json_array_get(arr, 0)));
    expect_refusal(d, PAYLOAD_ESCHEMA, "competencies:", "1 to 20");
}

/* ---- signers ----------------------------------------------------------------- */

/* ---- signers ----------------------------------------------------------------- */

static void test_payload_refuses_missing_required_role(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_array_remove(at(d, "signers"), 1);
    expect_refusal(d, PAYLOAD_ESCHEMA, "role", "principal");
}

static void test_payload_refuses_duplicated_role(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_array_append_new(at(d, "signers"), signer("principal", "Đỗ Văn Nam", CERT_VICE));
    expect_refusal(d, PAYLOAD_ESCHEMA, "signers[3].role:", "principal is declared twice");
}

static void test_payload_refuses_17_signers(void **state)
{
    (void)state;
    json_t *d = transcript();
    while (json_array_size(at(d, "signers")) < PAYLOAD_MAX_SIGNERS + 1)
        json_array_append_new(at(d, "signers"), signer("witness", "Phạm Thu Hà", CERT_VICE));
    expect_refusal(d, PAYLOAD_ESCHEMA, "signers:", "1 to 16 signers, got an array of 17 entries");
}

static void test_payload_refuses_signer_that_is_not_object(void **state)
{
    (void)state;
    json_t *d = transcript();
    json_array_set_new(at(d, "signers"), 0, json_string(CERT_TEACHER));
    expect_refusal(d, PAYLOAD_ESCHEMA, "signers[0]:", "{role, name, certificate_sha256}");
}

/* ---- recall ---------------------------------------------------------------- */

static const struct member_case BAD_RECALL_MEMBER[] = {
    {"recall_code_with_bad_check_symbol", "", "code", "\"Q5VQQT42TCX1D4Q2\"",
     "code:", "not a valid lookup code"},
    {"recall_without_code", "", "code", NULL, "code: required member is missing", NULL},
    {"recall_without_school_code", "", "school_code", NULL, "school_code: required member is missing", NULL},
    {"recall_with_bad_date", "", "recalled_on", "\"2025-06-31\"", "recalled_on:", "30 days"},
    {"recall_with_empty_reason", "", "reason", "\"\"", "reason:", "non-empty"},
    {"recall_without_signers", "", "signers", "[]", "signers:", "empty array"},
    {"recall_signer_with_bad_hash", "signers[0]", "certificate_sha256", "\"abc\"",
     "signers[0].certificate_sha256:", "3 digits"},
};

static void test_payload_refuses_each_bad_recall_member_naming_it(void **state)
{
    (void)state;
    refuse_members(recall, BAD_RECALL_MEMBER, sizeof BAD_RECALL_MEMBER / sizeof BAD_RECALL_MEMBER[0]);
}

/* ---- reasons ----------------------------------------------------------------- */

/* ---- reasons ----------------------------------------------------------------- */

static void test_payload_echoes_at_most_40_bytes_of_a_bad_value(void **state)
{
    (void)state;
    char code[301], why[PAYLOAD_WHY_LEN];
    memset(code, 'x', 300);
    code[300] = '\0';
    json_t *d = transcript();
    set(d, "school", "code", json_string(code));
    int rc = try_doc(d, why);
    assert_reason(rc, why, PAYLOAD_ESCHEMA, "...\" (300 bytes)");
    char run[42];
    memset(run, 'x', 41);
    run[41] = '\0';
    if (strstr(why, run) != NULL)
        fail_msg("reason echoes more than 40 bytes: %s", why);
}

static void test_payload_cuts_reason_on_a_character_boundary(void **state)
{
    (void)state;
    json_t *d = transcript();
    set(d, "student", "gender", json_string("Nữ Nữ Nữ Nữ"));
    char *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    for (size_t n = 1; n <= 120; n++) {
        payload_t p;
        char why[128];
        memset(why, 'Z', sizeof why);
        assert_int_equal(payload_parse(text, strlen(text), &p, why, n), PAYLOAD_ESCHEMA);
        if (strnlen(why, n) >= n || !valid_utf8(why))
            fail_msg("whylen %zu: reason not cut cleanly: %.*s", n, (int)n, why);
        if (why[n] != 'Z')
            fail_msg("whylen %zu: wrote past the buffer", n);
    }
    payload_t p;
    assert_int_equal(payload_parse(text, strlen(text), &p, NULL, 0), PAYLOAD_ESCHEMA);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_accepts_full_transcript_and_fills_every_field),
        cmocka_unit_test(test_payload_accepts_recall_and_fills_every_field),
        cmocka_unit_test(test_payload_accepts_transcript_without_optional_members),
        cmocka_unit_test(test_payload_accepts_leading_bom),
        cmocka_unit_test(test_payload_keeps_unknown_members),
        cmocka_unit_test(test_payload_allows_newline_in_remarks),
        cmocka_unit_test(test_payload_allows_newline_in_comment_and_awards),
        cmocka_unit_test(test_payload_accepts_supersedes_and_fills_it),
        cmocka_unit_test(test_payload_accepts_feb_29_in_leap_years),
        cmocka_unit_test(test_payload_accepts_other_roles_any_number_of_times),
        cmocka_unit_test(test_payload_accepts_decomposed_nu),
        cmocka_unit_test(test_payload_accepts_exactly_64_kib),
        cmocka_unit_test(test_payload_free_is_safe_on_zeroed_payload),
        cmocka_unit_test(test_payload_refuses_over_64_kib),
        cmocka_unit_test(test_payload_refuses_each_bad_text_with_its_reason),
        cmocka_unit_test(test_payload_refuses_each_bad_utf8_sequence_at_its_offset),
        cmocka_unit_test(test_payload_refuses_windows_1258_text_with_a_hint),
        cmocka_unit_test(test_payload_refuses_each_bad_transcript_member_naming_it),
        cmocka_unit_test(test_payload_refuses_each_value_over_its_length_limit),
        cmocka_unit_test(test_payload_control_rule_holds_for_every_code_point_up_to_u_00ff),
        cmocka_unit_test(test_payload_refuses_21_subjects),
        cmocka_unit_test(test_payload_refuses_subject_that_is_not_object),
        cmocka_unit_test(test_payload_refuses_11_qualities),
        cmocka_unit_test(test_payload_refuses_21_competencies),
        cmocka_unit_test(test_payload_refuses_missing_required_role),
        cmocka_unit_test(test_payload_refuses_duplicated_role),
        cmocka_unit_test(test_payload_refuses_17_signers),
        cmocka_unit_test(test_payload_refuses_signer_that_is_not_object),
        cmocka_unit_test(test_payload_refuses_each_bad_recall_member_naming_it),
        cmocka_unit_test(test_payload_echoes_at_most_40_bytes_of_a_bad_value),
        cmocka_unit_test(test_payload_cuts_reason_on_a_character_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
