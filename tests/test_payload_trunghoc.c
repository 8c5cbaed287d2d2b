/* test_payload_trunghoc.c — payload_parse on hocba.trunghoc.v1, the
 * transcript of lower and upper secondary (package-format.md §3b).
 *
 * Three valid transcripts are the bases: THCS grade 9 (general education,
 * HOAN_THANH), THPT grade 12 with electives, GDTX grade 10 without conduct.
 * Each case changes one thing in one of them and says whether it is accepted
 * or which reason it must get. A number whose text matters ("7.25", "7e0",
 * "-0") is spliced into the serialised bytes, since jansson would write it
 * its own way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/payload.h"

#define CERT_TEACHER "1057a9604e04b274da5a4de0c8f4b4868d9b230989f8c8c6a28221143cc5a755"
#define CERT_PRINCIPAL "69e03750027e6b1e9f95bd21d227613c0024ec799ebfb7fe281371e1153f9bda"
#define CERT_SEAL "f0f668bf610e5cf9f11d2aa50f924ada10797100e8f05de085842ddb6370a867"

#define SIGNERS(school)                                                                                      \
    "  \"signers\": [\n"                                                                                     \
    "    {\"role\": \"homeroom_teacher\", \"name\": \"Trần Thị Hoa\", \"certificate_sha256\": "          \
    "\"" CERT_TEACHER "\"},\n"                                                                               \
    "    {\"role\": \"principal\", \"name\": \"Lê Văn Minh\", \"certificate_sha256\": \"" CERT_PRINCIPAL     \
    "\"},\n"                                                                                                 \
    "    {\"role\": \"school_seal\", \"name\": \"" school "\", \"certificate_sha256\": \"" CERT_SEAL "\"}\n" \
    "  ]\n"

#define STUDENT(id, name, dob)                                                                               \
    "  \"student\": {\"id\": \"" id "\", \"full_name\": \"" name "\", \"date_of_birth\": \"" dob "\",\n"     \
    "              \"gender\": \"Nữ\", \"ethnicity\": \"Kinh\", \"place_of_birth\": \"Hà Nội\"},\n"

/* THCS grade 9, general education, 2024-2025: the first year TT 22/2021
 * reached grade 9; the principal confirms the pupil completed THCS. */
static const char THCS9[] =
    "{\n"
    "  \"schema\": \"hocba.trunghoc.v1\",\n"
    "  \"document_id\": \"ND-2025-9A-014\",\n"
    "  \"issued_on\": \"2025-05-26\",\n"
    "  \"school_year\": \"2024-2025\",\n"
    "  \"school\": {\"code\": \"01019201\", \"name\": \"Trường THCS Nguyễn Du\", \"province\": \"Hà "
    "Nội\"},\n" STUDENT(
        "0101920014", "Phạm Thu Trang",
        "2010-04-02") "  \"level\": \"THCS\",\n"
                      "  \"program\": \"GDPT\",\n"
                      "  \"grade\": 9,\n"
                      "  \"class\": \"9A\",\n"
                      "  \"subjects\": [\n"
                      "    {\"name\": \"Ngữ văn\", \"assessment\": \"score\", \"hk1\": 7.5, \"hk2\": 8.0, "
                      "\"year\": 7.8},\n"
                      "    {\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 8, \"hk2\": 9, \"year\": "
                      "8.7,\n"
                      "     \"comment\": \"Tư duy tốt, trình bày cẩn thận.\"},\n"
                      "    {\"name\": \"Ngoại ngữ 1\", \"assessment\": \"score\", \"hk1\": 6.5, \"hk2\": "
                      "7.0, \"year\": 6.8},\n"
                      "    {\"name\": \"Giáo dục công dân\", \"assessment\": \"score\", \"hk1\": 9.0, "
                      "\"hk2\": 9.5, \"year\": 9.3},\n"
                      "    {\"name\": \"Lịch sử và Địa lí\", \"assessment\": \"score\", \"hk1\": 7.0, "
                      "\"hk2\": 7.5, \"year\": 7.3},\n"
                      "    {\"name\": \"Khoa học tự nhiên\", \"assessment\": \"score\", \"hk1\": 4.0, "
                      "\"hk2\": 4.5, \"year\": 4.3,\n"
                      "     \"retake\": 6.0},\n"
                      "    {\"name\": \"Công nghệ\", \"assessment\": \"score\", \"hk1\": 8.0, \"hk2\": 8.0, "
                      "\"year\": 8.0},\n"
                      "    {\"name\": \"Tin học\", \"assessment\": \"score\", \"hk1\": 10, \"hk2\": 10.0, "
                      "\"year\": 10},\n"
                      "    {\"name\": \"Giáo dục thể chất\", \"assessment\": \"comment\", \"hk1\": \"Đ\", "
                      "\"hk2\": \"Đ\", \"year\": "
                      "\"Đ\"},\n"
                      "    {\"name\": \"Nghệ thuật (Âm nhạc)\", \"assessment\": \"comment\", \"hk1\": \"Đ\", "
                      "\"hk2\": \"CĐ\", "
                      "\"year\": \"Đ\"},\n"
                      "    {\"name\": \"Nghệ thuật (Mĩ thuật)\", \"assessment\": \"comment\", \"exempt\": "
                      "true,\n"
                      "     \"comment\": \"Miễn theo chỉ định của bác sĩ.\"},\n"
                      "    {\"name\": \"Hoạt động trải nghiệm, hướng nghiệp\", \"assessment\": \"comment\", "
                      "\"year\": \"Đ\"},\n"
                      "    {\"name\": \"Nội dung giáo dục của địa phương\", \"assessment\": \"individual\",\n"
                      "     \"comment\": \"Hoàn thành các nội dung theo kế hoạch giáo dục cá nhân.\"}\n"
                      "  ],\n"
                      "  \"learning\": {\"hk1\": \"K\", \"hk2\": \"T\", \"year\": \"K\"},\n"
                      "  \"conduct\": {\"hk1\": \"T\", \"hk2\": \"T\", \"year\": \"T\"},\n"
                      "  \"decision\": \"HOAN_THANH\",\n"
                      "  \"sessions_absent\": 3,\n"
                      "  \"awards\": [\"Học sinh Giỏi\"],\n"
                      "  \"remarks\": \"Đã hoàn thành chương trình trung học cơ sở.\",\n" SIGNERS(
                          "Trường THCS Nguyễn Du") "}\n";

/* THPT grade 12, general education, with four electives. */
static const char THPT12[] =
    "{\n"
    "  \"schema\": \"hocba.trunghoc.v1\",\n"
    "  \"document_id\": \"CVA-2025-12A1-007\",\n"
    "  \"issued_on\": \"2025-05-28\",\n"
    "  \"school_year\": \"2024-2025\",\n"
    "  \"school\": {\"code\": \"01019301\", \"name\": \"Trường THPT Chu Văn An\", \"province\": \"Hà "
    "Nội\"},\n" STUDENT("0101930007", "Đỗ Minh Quân",
                        "2007-09-15") "  \"level\": \"THPT\",\n"
                                      "  \"program\": \"GDPT\",\n"
                                      "  \"grade\": 12,\n"
                                      "  \"class\": \"12A1\",\n"
                                      "  \"subjects\": [\n"
                                      "    {\"name\": \"Ngữ văn\", \"assessment\": \"score\", \"hk1\": 8.0, "
                                      "\"hk2\": 8.5, \"year\": 8.3},\n"
                                      "    {\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 9.0, "
                                      "\"hk2\": 9.5, \"year\": 9.3},\n"
                                      "    {\"name\": \"Ngoại ngữ 1\", \"assessment\": \"score\", \"hk1\": "
                                      "8.5, \"hk2\": 9.0, \"year\": 8.8},\n"
                                      "    {\"name\": \"Lịch sử\", \"assessment\": \"score\", \"hk1\": 7.5, "
                                      "\"hk2\": 8.0, \"year\": 7.8},\n"
                                      "    {\"name\": \"Giáo dục quốc phòng và an ninh\", \"assessment\": "
                                      "\"score\", \"hk1\": 9, \"hk2\": 9, "
                                      "\"year\": 9},\n"
                                      "    {\"name\": \"Vật lí\", \"assessment\": \"score\", \"elective\": "
                                      "true, \"hk1\": 9.0, \"hk2\": 9.0, "
                                      "\"year\": 9.0},\n"
                                      "    {\"name\": \"Hoá học\", \"assessment\": \"score\", \"elective\": "
                                      "true, \"hk1\": 8.5, \"hk2\": 9.0, "
                                      "\"year\": 8.8},\n"
                                      "    {\"name\": \"Sinh học\", \"assessment\": \"score\", \"elective\": "
                                      "true, \"hk1\": 7.5, \"hk2\": 8.0, "
                                      "\"year\": 7.8},\n"
                                      "    {\"name\": \"Tin học\", \"assessment\": \"score\", \"elective\": "
                                      "true, \"hk1\": 9.5, \"hk2\": 10, "
                                      "\"year\": 9.8},\n"
                                      "    {\"name\": \"Giáo dục thể chất\", \"assessment\": \"comment\", "
                                      "\"hk1\": \"Đ\", \"hk2\": \"Đ\", \"year\": "
                                      "\"Đ\"},\n"
                                      "    {\"name\": \"Hoạt động trải nghiệm, hướng nghiệp\", "
                                      "\"assessment\": \"comment\", \"year\": \"Đ\"},\n"
                                      "    {\"name\": \"Nội dung giáo dục của địa phương\", \"assessment\": "
                                      "\"comment\", \"year\": \"Đ\"}\n"
                                      "  ],\n"
                                      "  \"learning\": {\"hk1\": \"T\", \"hk2\": \"T\", \"year\": \"T\"},\n"
                                      "  \"conduct\": {\"hk1\": \"T\", \"hk2\": \"T\", \"year\": \"T\"},\n"
                                      "  \"decision\": \"HOAN_THANH\",\n"
                                      "  \"awards\": [\"Học sinh Xuất sắc\"],\n" SIGNERS(
                                          "Trường THPT Chu Văn An") "}\n";

/* Continuing education, grade 10: no conduct (optional for GDTX). */
static const char GDTX10[] =
    "{\n"
    "  \"schema\": \"hocba.trunghoc.v1\",\n"
    "  \"document_id\": \"GDTX-BD-2025-10B-031\",\n"
    "  \"issued_on\": \"2025-06-02\",\n"
    "  \"school_year\": \"2024-2025\",\n"
    "  \"school\": {\"code\": \"01019401\", \"name\": \"Trung tâm GDNN-GDTX Ba Đình\", \"province\": \"Hà "
    "Nội\"},\n" STUDENT("0101940031", "Vũ Văn Long",
                        "2008-12-30") "  \"level\": \"THPT\",\n"
                                      "  \"program\": \"GDTX\",\n"
                                      "  \"grade\": 10,\n"
                                      "  \"class\": \"10B\",\n"
                                      "  \"subjects\": [\n"
                                      "    {\"name\": \"Ngữ văn\", \"assessment\": \"score\", \"hk1\": 6.0, "
                                      "\"hk2\": 6.5, \"year\": 6.3},\n"
                                      "    {\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 5.5, "
                                      "\"hk2\": 6.0, \"year\": 5.8},\n"
                                      "    {\"name\": \"Lịch sử\", \"assessment\": \"score\", \"year\": 7},\n"
                                      "    {\"name\": \"Địa lí\", \"assessment\": \"score\", \"elective\": "
                                      "true, \"hk2\": 7.0, \"year\": 7.0}\n"
                                      "  ],\n"
                                      "  \"learning\": {\"year\": \"\xC4\x90\"},\n"
                                      "  \"decision\": \"LEN_LOP\",\n"
                                      "  \"sessions_absent\": 0,\n" SIGNERS(
                                          "Trung tâm GDNN-GDTX Ba Đình") "}\n";

enum base { B_THCS9, B_THPT12, B_GDTX10 };
static const char *const BASES[] = {THCS9, THPT12, GDTX10};

enum op { SET, DEL, RAW };

/* One change to a base: SET parent.key to the JSON text value, DEL it, or
 * RAW: write value's text as it stands in place of parent.key's value. A
 * second change (op2) may follow. Then: accepted (want NULL) or refused
 * with reason containing want (and want2). */
typedef struct {
    const char *name;
    enum base base;
    enum op op;
    const char *parent, *key, *value;
    enum op op2;
    const char *parent2, *key2, *value2;
    const char *want, *want2;
} case_t;

/* ---- helpers ------------------------------------------------------------- */

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
        if (d == NULL)
            fail_msg("test fixture: no member %s", path);
        path += n;
        if (*path == '.')
            path++;
    }
    return d;
}

#define RAW_MARK "@RAW@"

static void apply(json_t *d, enum op op, const char *parent, const char *key, const char *value)
{
    json_error_t e;
    if (key == NULL)
        return;
    if (op == DEL) {
        if (json_object_del(at(d, parent), key) != 0)
            fail_msg("test fixture: cannot delete %s.%s", parent, key);
        return;
    }
    json_t *v = op == RAW ? json_string(RAW_MARK) : json_loads(value, JSON_DECODE_ANY, &e);
    if (v == NULL)
        fail_msg("test fixture: %s is not JSON: %s", value, e.text);
    assert_int_equal(json_object_set_new(at(d, parent), key, v), 0);
}

/* The case's payload: the base changed, serialised, the RAW text spliced in. */
static char *payload_of(const case_t *c)
{
    json_error_t e;
    json_t *d = json_loads(BASES[c->base], JSON_REJECT_DUPLICATES, &e);
    if (d == NULL)
        fail_msg("base %d is not JSON: line %d: %s", c->base, e.line, e.text);
    apply(d, c->op, c->parent, c->key, c->value);
    apply(d, c->op2, c->parent2, c->key2, c->value2);
    char *text = json_dumps(d, JSON_INDENT(1) | JSON_REAL_PRECISION(15)); /* 7.8, not 7.7999999999999998 */
    json_decref(d);
    assert_non_null(text);
    const char *raw = c->op == RAW ? c->value : c->op2 == RAW ? c->value2 : NULL;
    char *mark = strstr(text, "\"" RAW_MARK "\"");
    if (raw == NULL || mark == NULL)
        return text;
    size_t before = (size_t)(mark - text), mlen = strlen("\"" RAW_MARK "\""), rlen = strlen(raw);
    char *out = malloc(strlen(text) - mlen + rlen + 1);
    assert_non_null(out);
    memcpy(out, text, before);
    memcpy(out + before, raw, rlen);
    memcpy(out + before + rlen, mark + mlen, strlen(mark + mlen) + 1);
    free(text);
    return out;
}

static void run_case(const case_t *c)
{
    char why[PAYLOAD_WHY_LEN];
    payload_t p;
    char *text = payload_of(c);
    int rc = payload_parse(text, strlen(text), &p, why, sizeof why);
    if (c->want == NULL) {
        if (rc != PAYLOAD_OK)
            fail_msg("%s: expected the payload to be accepted, got %d: \"%s\"", c->name, rc, why);
        payload_free(&p);
    } else if (rc != PAYLOAD_ESCHEMA || strstr(why, c->want) == NULL ||
               (c->want2 != NULL && strstr(why, c->want2) == NULL)) {
        fail_msg("%s: expected a refusal (%d) whose reason contains \"%s\"%s%s%s; got %d: \"%s\"", c->name,
                 PAYLOAD_ESCHEMA, c->want, c->want2 ? " and \"" : "", c->want2 ? c->want2 : "",
                 c->want2 ? "\"" : "", rc, why);
    } else if (p.root != NULL || p.kind != 0) {
        fail_msg("%s: a refused payload must leave nothing in out", c->name);
    }
    free(text);
}

static void run_cases(const case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

/* ---- accepted ---------------------------------------------------------------- */

static void expect_fields(const char *text, int level, int program, int grade, const char *student)
{
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    int rc = payload_parse(text, strlen(text), &p, why, sizeof why);
    if (rc != PAYLOAD_OK)
        fail_msg("expected PAYLOAD_OK, got %d: %s", rc, why);
    assert_int_equal(p.kind, PAYLOAD_TRANSCRIPT);
    assert_int_equal(p.schema, PAYLOAD_SCHEMA_TRUNGHOC);
    assert_int_equal(p.level, level);
    assert_int_equal(p.program, program);
    assert_int_equal(p.grade, grade);
    assert_int_equal(p.year_start, 2024);
    assert_string_equal(p.school_year, "2024-2025");
    assert_string_equal(p.student_id, student);
    assert_int_equal(p.nsigners, 3);
    assert_int_equal(payload_find_role(&p, "school_seal"), 2);
    payload_free(&p);
}

static void test_trunghoc_accepts_the_three_bases_and_fills_their_fields(void **state)
{
    (void)state;
    expect_fields(THCS9, PAYLOAD_LEVEL_THCS, PAYLOAD_PROGRAM_GDPT, 9, "0101920014");
    expect_fields(THPT12, PAYLOAD_LEVEL_THPT, PAYLOAD_PROGRAM_GDPT, 12, "0101930007");
    expect_fields(GDTX10, PAYLOAD_LEVEL_THPT, PAYLOAD_PROGRAM_GDTX, 10, "0101940031");
}

/* Every grade from the first year TT 22/2021 reached it (§3b), with a
 * decision of that grade. */
static void test_trunghoc_accepts_each_grade_from_its_first_year(void **state)
{
    (void)state;
    static const struct {
        int grade;
        const char *year, *decision;
    } grades[] = {
        {6, "2021-2022", "LEN_LOP"},     {7, "2022-2023", "LEN_LOP"},  {8, "2023-2024", "O_LAI"},
        {9, "2024-2025", "HOAN_THANH"},  {10, "2022-2023", "LEN_LOP"}, {11, "2023-2024", "LEN_LOP"},
        {12, "2024-2025", "HOAN_THANH"},
    };
    for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++) {
        json_error_t e;
        char why[PAYLOAD_WHY_LEN];
        payload_t p;
        json_t *d = json_loads(grades[i].grade <= 9 ? THCS9 : THPT12, 0, &e);
        assert_non_null(d);
        json_object_set_new(d, "grade", json_integer(grades[i].grade));
        json_object_set_new(d, "school_year", json_string(grades[i].year));
        json_object_set_new(d, "decision", json_string(grades[i].decision));
        char *text = json_dumps(d, JSON_REAL_PRECISION(15));
        json_decref(d);
        assert_non_null(text);
        int rc = payload_parse(text, strlen(text), &p, why, sizeof why);
        free(text);
        if (rc != PAYLOAD_OK)
            fail_msg("grade %d in %s: expected it accepted, got %d: %s", grades[i].grade, grades[i].year, rc,
                     why);
        assert_int_equal(p.grade, grades[i].grade);
        assert_int_equal(p.year_start, atoi(grades[i].year));
        payload_free(&p);
    }
}

static const case_t ACCEPTED[] = {
    {"grade 11 promoted", B_THPT12, SET, "", "grade", "11", SET, "", "decision", "\"LEN_LOP\"", NULL, NULL},
    {"grade 6 promoted", B_THCS9, SET, "", "grade", "6", SET, "", "decision", "\"LEN_LOP\"", NULL, NULL},
    {"grade 9 repeats", B_THCS9, SET, "", "decision", "\"O_LAI\"", SET, "", "sessions_absent", "52", NULL,
     NULL},
    {"grade 12 repeats", B_THPT12, SET, "", "decision", "\"O_LAI\"", DEL, NULL, NULL, NULL, NULL, NULL},
    {"a later year", B_THCS9, SET, "", "school_year", "\"2030-2031\"", SET, "", "issued_on", "\"2031-05-26\"",
     NULL, NULL},
    /* scores as written */
    {"score 10", B_THCS9, RAW, "subjects[0]", "hk1", "10", DEL, NULL, NULL, NULL, NULL, NULL},
    {"score 10.0", B_THCS9, RAW, "subjects[0]", "hk1", "10.0", DEL, NULL, NULL, NULL, NULL, NULL},
    {"score 0", B_THCS9, RAW, "subjects[0]", "hk2", "0", DEL, NULL, NULL, NULL, NULL, NULL},
    {"score 0.0", B_THCS9, RAW, "subjects[0]", "year", "0.0", DEL, NULL, NULL, NULL, NULL, NULL},
    {"score 9.9", B_THCS9, RAW, "subjects[0]", "retake", "9.9", DEL, NULL, NULL, NULL, NULL, NULL},
    /* what is optional */
    {"no hk1 (joined mid-year)", B_THCS9, DEL, "subjects[0]", "hk1", NULL, DEL, "subjects[8]", "hk1", NULL,
     NULL, NULL},
    {"no hk2", B_THCS9, DEL, "subjects[1]", "hk2", NULL, DEL, NULL, NULL, NULL, NULL, NULL},
    {"retake by comment", B_THCS9, SET, "subjects[9]", "retake", "\"Đ\"", SET, "subjects[9]", "year",
     "\"CĐ\"", NULL, NULL},
    {"exempt: false is not exempt", B_THCS9, SET, "subjects[0]", "exempt", "false", DEL, NULL, NULL, NULL,
     NULL, NULL},
    {"exempt subject by score", B_GDTX10, SET, "subjects[2]", "exempt", "true", DEL, "subjects[2]", "year",
     NULL, NULL, NULL},
    {"no awards, remarks, sessions", B_THCS9, DEL, "", "awards", NULL, DEL, "", "sessions_absent", NULL, NULL,
     NULL},
    {"elective false on THPT", B_THPT12, SET, "subjects[0]", "elective", "false", DEL, NULL, NULL, NULL, NULL,
     NULL},
    {"conduct on GDTX", B_GDTX10, SET, "", "conduct", "{\"year\": \"K\"}", DEL, NULL, NULL, NULL, NULL, NULL},
    {"re-evaluated after summer", B_THCS9, SET, "learning", "re_evaluated", "\"Đ\"", SET, "conduct",
     "re_evaluated", "\"K\"", NULL, NULL},
    /* names that only look alike are different subjects */
    {"Ngữ văn and Ngũ văn", B_THCS9, SET, "subjects[1]", "name", "\"Ngũ văn\"", DEL, NULL, NULL, NULL, NULL,
     NULL},
    {"Tin học and Tin hoc", B_THCS9, SET, "subjects[1]", "name", "\"Tin hoc\"", DEL, NULL, NULL, NULL, NULL,
     NULL},
    /* unknown members, a primary one too, are kept */
    {"unknown members", B_THCS9, SET, "", "x_vendor", "{\"app\": \"SMAS\"}", SET, "subjects[0]", "x_weight",
     "2", NULL, NULL},
    {"qualities, as in a primary transcript", B_THCS9, SET, "", "qualities", "[]", DEL, NULL, NULL, NULL,
     NULL, NULL},
    {"supersedes", B_THPT12, SET, "", "supersedes", "\"SABR24PA3EYWNYPK\"", DEL, NULL, NULL, NULL, NULL,
     NULL},
};

static void test_trunghoc_accepts_what_the_spec_allows(void **state)
{
    (void)state;
    RUN(ACCEPTED);
}

/* ---- refused: level, program, grade, year --------------------------------------- */

static const case_t REFUSED_HEAD[] = {
    {"no level", B_THCS9, DEL, "", "level", NULL, DEL, NULL, NULL, NULL, "level: required member is missing",
     "THCS or THPT"},
    {"level in lower case", B_THCS9, SET, "", "level", "\"thcs\"", DEL, NULL, NULL, NULL,
     "level: expected THCS or THPT, got \"thcs\"", NULL},
    {"program GDNN", B_THCS9, SET, "", "program", "\"GDNN\"", DEL, NULL, NULL, NULL,
     "program: expected GDPT or GDTX, got \"GDNN\"", NULL},
    {"no program", B_THPT12, DEL, "", "program", NULL, DEL, NULL, NULL, NULL,
     "program: required member is missing", NULL},
    {"grade 10 on THCS", B_THCS9, SET, "", "grade", "10", DEL, NULL, NULL, NULL,
     "grade: expected an integer from 6 to 9 (level THCS), got 10", NULL},
    {"grade 5 on THCS", B_THCS9, SET, "", "grade", "5", DEL, NULL, NULL, NULL,
     "grade: expected an integer from 6 to 9 (level THCS), got 5", NULL},
    {"grade 9 on THPT", B_THPT12, SET, "", "grade", "9", DEL, NULL, NULL, NULL,
     "grade: expected an integer from 10 to 12 (level THPT), got 9", NULL},
    {"grade 13", B_THPT12, SET, "", "grade", "13", DEL, NULL, NULL, NULL,
     "grade: expected an integer from 10 to 12", "got 13"},
    {"grade as a string", B_THCS9, SET, "", "grade", "\"9\"", DEL, NULL, NULL, NULL,
     "grade: expected an integer from 6 to 9", "got \"9\""},
    {"grade 9.0", B_THCS9, SET, "", "grade", "9.0", DEL, NULL, NULL, NULL, "grade: expected an integer",
     "real number 9.0"},
    /* TT 22/2021 came in grade by grade */
    {"grade 6 in 2020-2021", B_THCS9, SET, "", "grade", "6", SET, "", "school_year", "\"2020-2021\"",
     "school_year: 2020-2021 is before TT 22/2021 reached grade 6 (from 2021-2022)", "TT 58/2011"},
    {"grade 7 in 2021-2022", B_THCS9, SET, "", "grade", "7", SET, "", "school_year", "\"2021-2022\"",
     "school_year: 2021-2022 is before TT 22/2021 reached grade 7 (from 2022-2023)", NULL},
    {"grade 8 in 2022-2023", B_THCS9, SET, "", "grade", "8", SET, "", "school_year", "\"2022-2023\"",
     "school_year: 2022-2023 is before TT 22/2021 reached grade 8 (from 2023-2024)", NULL},
    {"grade 9 in 2023-2024", B_THCS9, SET, "", "school_year", "\"2023-2024\"", DEL, NULL, NULL, NULL,
     "school_year: 2023-2024 is before TT 22/2021 reached grade 9 (from 2024-2025)",
     "assessed under TT 58/2011 (hạnh kiểm, học lực)"},
    {"grade 10 in 2021-2022", B_GDTX10, SET, "", "school_year", "\"2021-2022\"", DEL, NULL, NULL, NULL,
     "school_year: 2021-2022 is before TT 22/2021 reached grade 10 (from 2022-2023)", NULL},
    {"grade 11 in 2022-2023", B_THPT12, SET, "", "grade", "11", SET, "", "school_year", "\"2022-2023\"",
     "school_year: 2022-2023 is before TT 22/2021 reached grade 11 (from 2023-2024)", NULL},
    {"grade 12 in 2023-2024", B_THPT12, SET, "", "school_year", "\"2023-2024\"", DEL, NULL, NULL, NULL,
     "school_year: 2023-2024 is before TT 22/2021 reached grade 12 (from 2024-2025)", NULL},
    {"no class", B_THCS9, DEL, "", "class", NULL, DEL, NULL, NULL, NULL, "class: required member is missing",
     NULL},
};

static void test_trunghoc_refuses_level_program_grade_and_year(void **state)
{
    (void)state;
    RUN(REFUSED_HEAD);
}

/* ---- refused: subjects ------------------------------------------------------------ */

static const case_t REFUSED_SUBJECTS[] = {
    {"no subjects", B_THCS9, DEL, "", "subjects", NULL, DEL, NULL, NULL, NULL,
     "subjects: required member is missing", "1 to 30 entries"},
    {"empty subjects", B_THCS9, SET, "", "subjects", "[]", DEL, NULL, NULL, NULL,
     "subjects: expected an array of 1 to 30 entries, got an empty array", NULL},
    {"subjects as object", B_THCS9, SET, "", "subjects", "{}", DEL, NULL, NULL, NULL,
     "subjects: expected an array of 1 to 30 entries, got an object", NULL},
    {"31 subjects", B_THCS9, SET, "", "subjects",
     "[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]", DEL,
     NULL, NULL, NULL, "subjects: expected an array of 1 to 30 entries, got an array of 31 entries", NULL},
    {"subject not an object", B_THCS9, SET, "", "subjects", "[\"Toán\"]", DEL, NULL, NULL, NULL,
     "subjects[0]: expected an object {name, assessment, hk1?, hk2?, year, retake?, elective?, comment?, "
     "exempt?}",
     "got \"Toán\""},
    {"no name", B_THCS9, DEL, "subjects[3]", "name", NULL, DEL, NULL, NULL, NULL,
     "subjects[3].name: required member is missing", NULL},
    {"empty name", B_THCS9, SET, "subjects[3]", "name", "\"\"", DEL, NULL, NULL, NULL,
     "subjects[3].name: expected a non-empty string", NULL},
    /* names are unique, folded as §3b says */
    {"the same name twice", B_THCS9, SET, "subjects[4]", "name", "\"Toán\"", DEL, NULL, NULL, NULL,
     "subjects[4].name: \"Toán\" is the same subject as subjects[1] (\"Toán\")", NULL},
    {"Mỹ thuật after Mĩ thuật", B_THCS9, SET, "subjects[11]", "name", "\"Nghệ thuật (Mỹ thuật)\"", DEL, NULL,
     NULL, NULL, "subjects[11].name: \"Nghệ thuật (Mỹ thuật)\" is the same subject as subjects[10]",
     "i/y spelling folded"},
    {"upper case, other tone placement, spaces", B_THPT12, SET, "subjects[11]", "name", "\" HOÁ  HỌC \"", DEL,
     NULL, NULL, NULL, "subjects[11].name: \" HOÁ  HỌC \" is the same subject as subjects[6] (\"Hoá học\")",
     NULL},
    {"Hóa học after Hoá học", B_THPT12, SET, "subjects[11]", "name", "\"Hóa học\"", DEL, NULL, NULL, NULL,
     "subjects[11].name:", "same subject as subjects[6]"},
    {"decomposed", B_THPT12, SET, "subjects[11]", "name", "\"To\\u0061\\u0301n\"", DEL, NULL, NULL, NULL,
     "subjects[11].name:", "same subject as subjects[1]"},
    {"Vật lý after Vật lí", B_THPT12, SET, "subjects[11]", "name", "\"Vật lý\"", DEL, NULL, NULL, NULL,
     "subjects[11].name: \"Vật lý\" is the same subject as subjects[5] (\"Vật lí\")", NULL},
    /* assessment */
    {"no assessment", B_THCS9, DEL, "subjects[2]", "assessment", NULL, DEL, NULL, NULL, NULL,
     "subjects[2].assessment: required member is missing", "score, comment or individual"},
    {"assessment diem", B_THCS9, SET, "subjects[2]", "assessment", "\"diem\"", DEL, NULL, NULL, NULL,
     "subjects[2].assessment: expected score, comment or individual, got \"diem\"", NULL},
    /* scores: numbers from 0 to 10, checked as written */
    {"two decimals", B_THCS9, RAW, "subjects[3]", "hk2", "7.25", DEL, NULL, NULL, NULL,
     "subjects[3].hk2: 7.25 has two decimals; scores have at most one", NULL},
    {"a trailing zero", B_THCS9, RAW, "subjects[0]", "hk1", "0.50", DEL, NULL, NULL, NULL,
     "subjects[0].hk1: 0.50 has two decimals; scores have at most one", NULL},
    {"three decimals", B_THCS9, RAW, "subjects[0]", "year", "7.125", DEL, NULL, NULL, NULL,
     "subjects[0].year: 7.125 has three decimals", NULL},
    {"ten decimals", B_THCS9, RAW, "subjects[0]", "year", "7.0000000000", DEL, NULL, NULL, NULL,
     "subjects[0].year: 7.0000000000 has 10 decimals", NULL},
    {"exponent", B_THCS9, RAW, "subjects[1]", "hk1", "7e0", DEL, NULL, NULL, NULL,
     "subjects[1].hk1: 7e0 is in exponent form; scores are written as plain decimals such as 7.5", NULL},
    {"capital exponent", B_THCS9, RAW, "subjects[1]", "hk1", "7E0", DEL, NULL, NULL, NULL,
     "subjects[1].hk1: 7E0 is in exponent form", NULL},
    {"exponent of a decimal", B_THCS9, RAW, "subjects[1]", "year", "75e-1", DEL, NULL, NULL, NULL,
     "subjects[1].year: 75e-1 is in exponent form", NULL},
    {"minus zero", B_THCS9, RAW, "subjects[1]", "hk2", "-0", DEL, NULL, NULL, NULL,
     "subjects[1].hk2: -0 has a sign; scores are written without one", NULL},
    {"minus zero point zero", B_THCS9, RAW, "subjects[1]", "hk2", "-0.0", DEL, NULL, NULL, NULL,
     "subjects[1].hk2: -0.0 has a sign", NULL},
    {"over 10", B_THCS9, RAW, "subjects[1]", "year", "10.5", DEL, NULL, NULL, NULL,
     "subjects[1].year: expected a number from 0 to 10 with at most one decimal (a subject assessed by "
     "score), got "
     "the real number 10.5",
     NULL},
    {"11", B_THCS9, SET, "subjects[1]", "year", "11", DEL, NULL, NULL, NULL,
     "subjects[1].year: expected a number", "got 11"},
    {"negative", B_THCS9, SET, "subjects[1]", "hk1", "-1", DEL, NULL, NULL, NULL,
     "subjects[1].hk1: expected a number", "got -1"},
    {"over 10 in exponent form", B_THCS9, RAW, "subjects[1]", "hk1", "1e2", DEL, NULL, NULL, NULL,
     "subjects[1].hk1: expected a number from 0 to 10", "real number 100.0"},
    {"a score as a string", B_THCS9, SET, "subjects[1]", "hk1", "\"7.5\"", DEL, NULL, NULL, NULL,
     "subjects[1].hk1: expected a number from 0 to 10", "got \"7.5\""},
    {"a score as Đ", B_THCS9, SET, "subjects[1]", "year", "\"Đ\"", DEL, NULL, NULL, NULL,
     "subjects[1].year: expected a number", "got \"Đ\""},
    {"no year by score", B_THCS9, DEL, "subjects[0]", "year", NULL, DEL, NULL, NULL, NULL,
     "subjects[0].year: required member is missing; expected a number from 0 to 10", NULL},
    {"retake of two decimals", B_THCS9, RAW, "subjects[5]", "retake", "6.25", DEL, NULL, NULL, NULL,
     "subjects[5].retake: 6.25 has two decimals", NULL},
    /* by comment: Đ or CĐ */
    {"a comment result as a number", B_THCS9, SET, "subjects[8]", "hk1", "8", DEL, NULL, NULL, NULL,
     "subjects[8].hk1: expected Đ or CĐ (a subject assessed by comment), got 8", NULL},
    {"D for Đ", B_THCS9, SET, "subjects[8]", "year", "\"D\"", DEL, NULL, NULL, NULL,
     "subjects[8].year: expected Đ or CĐ", "U+0110"},
    {"CD for CĐ", B_THCS9, SET, "subjects[9]", "hk2", "\"CD\"", DEL, NULL, NULL, NULL,
     "subjects[9].hk2: expected Đ or CĐ", "U+0110"},
    {"T on a comment subject", B_THCS9, SET, "subjects[9]", "hk2", "\"T\"", DEL, NULL, NULL, NULL,
     "subjects[9].hk2: expected Đ or CĐ (a subject assessed by comment), got \"T\"", NULL},
    {"no year by comment", B_THCS9, DEL, "subjects[11]", "year", NULL, DEL, NULL, NULL, NULL,
     "subjects[11].year: required member is missing; expected Đ or CĐ", NULL},
    {"retake 5 by comment", B_THCS9, SET, "subjects[11]", "retake", "5", DEL, NULL, NULL, NULL,
     "subjects[11].retake: expected Đ or CĐ", "got 5"},
    /* exempt and individual carry no values */
    {"exempt with a year", B_THCS9, SET, "subjects[10]", "year", "\"Đ\"", DEL, NULL, NULL, NULL,
     "subjects[10].year: an exempt subject (exempt: true) carries no values, got \"Đ\"", NULL},
    {"exempt score subject with hk1", B_THPT12, SET, "subjects[4]", "exempt", "true", DEL, NULL, NULL, NULL,
     "subjects[4].hk1: an exempt subject (exempt: true) carries no values, got 9", NULL},
    {"exempt as a string", B_THCS9, SET, "subjects[10]", "exempt", "\"true\"", DEL, NULL, NULL, NULL,
     "subjects[10].exempt: expected true or false, got \"true\"", NULL},
    {"individual with a score", B_THCS9, SET, "subjects[12]", "retake", "7", DEL, NULL, NULL, NULL,
     "subjects[12].retake: a subject assessed individually (its comment holds the result) carries no values, "
     "got 7",
     NULL},
    {"individual without comment", B_THCS9, DEL, "subjects[12]", "comment", NULL, DEL, NULL, NULL, NULL,
     "subjects[12].comment: required member is missing; expected a string (the result of a subject assessed "
     "individually)",
     NULL},
    {"individual and exempt", B_THCS9, SET, "subjects[12]", "exempt", "true", DEL, NULL, NULL, NULL,
     "subjects[12].exempt: a subject assessed individually (assessment individual) is assessed, not exempt",
     NULL},
    /* elective: THPT only */
    {"elective on THCS", B_THCS9, SET, "subjects[6]", "elective", "true", DEL, NULL, NULL, NULL,
     "subjects[6].elective: not used on a THCS transcript (electives, môn lựa chọn, are chosen in THPT), got "
     "true",
     NULL},
    {"elective false on THCS", B_THCS9, SET, "subjects[6]", "elective", "false", DEL, NULL, NULL, NULL,
     "subjects[6].elective: not used on a THCS transcript", "got false"},
    {"elective as a string", B_THPT12, SET, "subjects[5]", "elective", "\"yes\"", DEL, NULL, NULL, NULL,
     "subjects[5].elective: expected true or false, got \"yes\"", NULL},
    {"comment as a number", B_THCS9, SET, "subjects[1]", "comment", "9", DEL, NULL, NULL, NULL,
     "subjects[1].comment: expected a string, got 9", NULL},
    {"tab in a comment", B_THCS9, SET, "subjects[1]", "comment", "\"a\\tb\"", DEL, NULL, NULL, NULL,
     "subjects[1].comment: expected no control characters other than \\n", NULL},
};

static void test_trunghoc_refuses_each_broken_subject_rule(void **state)
{
    (void)state;
    RUN(REFUSED_SUBJECTS);
}

/* ---- refused: results, decision, absence, envelope --------------------------------- */

static const case_t REFUSED_TAIL[] = {
    {"no learning", B_THCS9, DEL, "", "learning", NULL, DEL, NULL, NULL, NULL,
     "learning: required member is missing", NULL},
    {"learning as a string", B_THCS9, SET, "", "learning", "\"T\"", DEL, NULL, NULL, NULL,
     "learning: expected an object {hk1?, hk2?, year, re_evaluated?} of levels, got \"T\"", NULL},
    {"no learning.year", B_THCS9, DEL, "learning", "year", NULL, DEL, NULL, NULL, NULL,
     "learning.year: required member is missing; expected T, K, Đ or CĐ", NULL},
    {"learning.hk1 G", B_THCS9, SET, "learning", "hk1", "\"G\"", DEL, NULL, NULL, NULL,
     "learning.hk1: expected T, K, Đ or CĐ, got \"G\"", NULL},
    {"learning.re_evaluated CD", B_THCS9, SET, "learning", "re_evaluated", "\"CD\"", DEL, NULL, NULL, NULL,
     "learning.re_evaluated: expected T, K, Đ or CĐ, got \"CD\"", "U+0110"},
    {"no conduct on GDPT", B_THCS9, DEL, "", "conduct", NULL, DEL, NULL, NULL, NULL,
     "conduct: required member is missing", "(required for GDPT)"},
    {"conduct.hk2 H", B_THPT12, SET, "conduct", "hk2", "\"H\"", DEL, NULL, NULL, NULL,
     "conduct.hk2: expected T, K, Đ or CĐ, got \"H\"", NULL},
    {"a broken conduct on GDTX", B_GDTX10, SET, "", "conduct", "{\"hk1\": \"T\"}", DEL, NULL, NULL, NULL,
     "conduct.year: required member is missing", NULL},
    {"no decision", B_THCS9, DEL, "", "decision", NULL, DEL, NULL, NULL, NULL,
     "decision: required member is missing", "LEN_LOP, HOAN_THANH or O_LAI"},
    {"decision in words", B_THCS9, SET, "", "decision", "\"LEN LOP\"", DEL, NULL, NULL, NULL,
     "decision: expected LEN_LOP, HOAN_THANH or O_LAI, got \"LEN LOP\"", NULL},
    {"promoted from grade 9", B_THCS9, SET, "", "decision", "\"LEN_LOP\"", DEL, NULL, NULL, NULL,
     "decision: LEN_LOP (promoted) is not an outcome of grade 9, the last of THCS", "HOAN_THANH"},
    {"promoted from grade 12", B_THPT12, SET, "", "decision", "\"LEN_LOP\"", DEL, NULL, NULL, NULL,
     "decision: LEN_LOP (promoted) is not an outcome of grade 12, the last of THPT", NULL},
    {"completed in grade 8", B_THCS9, SET, "", "grade", "8", SET, "", "decision", "\"HOAN_THANH\"",
     "decision: HOAN_THANH (completed the programme of the level) is an outcome of grades 9 and 12 only, got "
     "grade 8",
     NULL},
    {"completed in grade 11", B_THPT12, SET, "", "grade", "11", DEL, NULL, NULL, NULL, "decision: HOAN_THANH",
     "got grade 11"},
    {"completed in grade 10", B_GDTX10, SET, "", "decision", "\"HOAN_THANH\"", DEL, NULL, NULL, NULL,
     "decision: HOAN_THANH", "got grade 10"},
    {"negative sessions", B_THCS9, SET, "", "sessions_absent", "-1", DEL, NULL, NULL, NULL,
     "sessions_absent: expected an integer of 0 or more, got -1", NULL},
    {"sessions as a string", B_THCS9, SET, "", "sessions_absent", "\"3\"", DEL, NULL, NULL, NULL,
     "sessions_absent: expected an integer of 0 or more", NULL},
    {"days_absent", B_THCS9, SET, "", "days_absent", "2", DEL, NULL, NULL, NULL,
     "days_absent: not used in hocba.trunghoc.v1, which counts absence in sessions (sessions_absent); got 2",
     NULL},
    /* the envelope is §3's, with its rules */
    {"no document_id", B_THCS9, DEL, "", "document_id", NULL, DEL, NULL, NULL, NULL,
     "document_id: required member is missing", NULL},
    {"school code with a hyphen", B_THPT12, SET, "school", "code", "\"01-019\"", DEL, NULL, NULL, NULL,
     "school.code: expected 1 to 20 characters of A-Z a-z 0-9", NULL},
    {"student id with a letter", B_GDTX10, SET, "student", "id", "\"01A\"", DEL, NULL, NULL, NULL,
     "student.id: expected 1 to 20 digits", NULL},
    {"school_year not consecutive", B_THCS9, SET, "", "school_year", "\"2024-2026\"", DEL, NULL, NULL, NULL,
     "school_year: expected YYYY-YYYY, the second year one after the first", NULL},
    {"awards as a string", B_THPT12, SET, "", "awards", "\"Học sinh Giỏi\"", DEL, NULL, NULL, NULL,
     "awards: expected an array of strings", NULL},
    {"no principal", B_THCS9, SET, "", "signers",
     "[{\"role\": \"homeroom_teacher\", \"name\": \"A\", \"certificate_sha256\": \"" CERT_TEACHER "\"},"
     " {\"role\": \"school_seal\", \"name\": \"B\", \"certificate_sha256\": \"" CERT_SEAL "\"}]",
     DEL, NULL, NULL, NULL, "signers: required role principal is not declared", NULL},
    {"supersedes with a bad check symbol", B_THCS9, SET, "", "supersedes", "\"SABR24PA3EYWNYPA\"", DEL, NULL,
     NULL, NULL, "supersedes:", "check symbol"},
};

static void test_trunghoc_refuses_results_decision_absence_and_envelope(void **state)
{
    (void)state;
    RUN(REFUSED_TAIL);
}

/* An unknown schema names the three the format has. */
static void test_trunghoc_schema_names_three_schemas(void **state)
{
    (void)state;
    static const case_t c = {
        "schema v2",
        B_THCS9,
        SET,
        "",
        "schema",
        "\"hocba.trunghoc.v2\"",
        DEL,
        NULL,
        NULL,
        NULL,
        "schema: expected \"hocba.tieuhoc.v1\", \"hocba.trunghoc.v1\" or \"hocba.recall.v1\"",
        NULL};
    run_case(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trunghoc_accepts_the_three_bases_and_fills_their_fields),
        cmocka_unit_test(test_trunghoc_accepts_each_grade_from_its_first_year),
        cmocka_unit_test(test_trunghoc_accepts_what_the_spec_allows),
        cmocka_unit_test(test_trunghoc_refuses_level_program_grade_and_year),
        cmocka_unit_test(test_trunghoc_refuses_each_broken_subject_rule),
        cmocka_unit_test(test_trunghoc_refuses_results_decision_absence_and_envelope),
        cmocka_unit_test(test_trunghoc_schema_names_three_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
