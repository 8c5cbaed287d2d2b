/* test_portal_api.c — the JSON API of hocba-portal over real HTTP (http.md, static/openapi.json):
 * GET /api/v1/transcripts/CODE, POST /api/v1/verify, and the methods every route allows. The group (a
 * portal serving the demo data) and the helpers are tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: the JSON API ----------------------------------------------------------------- */

static int in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return 0;
    return 1;
}

static void test_api_valid_transcript_reports_status_checks_and_signers(void **state)
{
    ctx_t *c = *state;
    static const char *const names[] = {"integrity",     "signature",      "chain",
                                        "validity",      "revocation",     "roles",
                                        "seal_registry", "staff_registry", NULL};
    static const char *const roles[] = {"homeroom_teacher", "principal", "school_seal", NULL};
    resp_t *r;
    json_t *j = pf_api(c, c->valid.code, &r);
    const char *s = json_string_value(json_object_get(j, "code"));
    EXPECT(r, s && strcmp(s, c->valid.code) == 0, "expected \"code\": \"%s\", got %s", c->valid.code,
           s ? s : "none");
    s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "valid") == 0, "expected \"status\": \"valid\", got %s", s ? s : "none");
    s = json_string_value(json_object_get(j, "published_at"));
    EXPECT(r, s && strlen(s) >= 20 && s[4] == '-' && s[10] == 'T',
           "expected \"published_at\" as an RFC 3339 time, got %s", s ? s : "none");

    json_t *checks = json_object_get(j, "checks");
    EXPECT(r, checks && json_is_array(checks) && json_array_size(checks) > 0,
           "expected a non-empty \"checks\" array, got %s", http_json_type(checks));
    int seen[8] = {0};
    for (size_t i = 0; i < json_array_size(checks); i++) {
        json_t *k = json_array_get(checks, i), *ok = json_object_get(k, "ok"),
               *role = json_object_get(k, "role");
        const char *name = json_string_value(json_object_get(k, "check"));
        EXPECT(r, in_list(name, names), "expected checks[%zu].check among the names of http.md, got %s", i,
               name ? name : "none");
        EXPECT(r, json_is_true(ok), "expected checks[%zu] (%s) to have \"ok\": true", i, name);
        EXPECT(r, role && (json_is_string(role) || json_is_null(role)),
               "expected checks[%zu].role to be a string or null, got %s", i, http_json_type(role));
        EXPECT(r, json_string_value(json_object_get(k, "detail")) != NULL,
               "expected checks[%zu].detail to be a string", i);
        for (int n = 0; n < 8; n++)
            seen[n] |= strcmp(name, names[n]) == 0;
    }
    for (int n = 0; n < 8; n++)
        EXPECT(r, seen[n], "expected a check named \"%s\" among the checks of a valid transcript, found none",
               names[n]);

    json_t *signers = json_object_get(j, "signers");
    EXPECT(r, signers && json_is_array(signers) && json_array_size(signers) >= 3,
           "expected \"signers\" with 3 or more, got %s", http_json_type(signers));
    int role_seen[3] = {0};
    for (size_t i = 0; i < json_array_size(signers); i++) {
        json_t *g = json_array_get(signers, i);
        const char *fields[] = {"role", "name", "certificate_subject", "certificate_sha256", "signing_time"};
        for (size_t f = 0; f < 5; f++)
            EXPECT(r, json_string_value(json_object_get(g, fields[f])) != NULL,
                   "expected signers[%zu].%s to be a string, got %s", i, fields[f],
                   http_json_type(json_object_get(g, fields[f])));
        EXPECT(r, is_hex64(json_string_value(json_object_get(g, "certificate_sha256"))),
               "expected signers[%zu].certificate_sha256 as 64 lower-case hex digits", i);
        for (int n = 0; n < 3; n++)
            role_seen[n] |= strcmp(json_string_value(json_object_get(g, "role")), roles[n]) == 0;
    }
    for (int n = 0; n < 3; n++)
        EXPECT(r, role_seen[n], "expected a signer with role %s", roles[n]);
    EXPECT(r, json_is_null(json_object_get(j, "recall")), "expected \"recall\": null, got %s",
           http_json_type(json_object_get(j, "recall")));
    EXPECT(r, json_is_null(json_object_get(j, "supersedes")), "expected \"supersedes\": null, got %s",
           http_json_type(json_object_get(j, "supersedes")));
    s = json_string_value(http_json_path(j, "transcript.schema"));
    EXPECT(r, s && strcmp(s, "hocba.tieuhoc.v1") == 0,
           "expected transcript.schema \"hocba.tieuhoc.v1\", got %s", s ? s : "none");
    s = json_string_value(http_json_path(j, "transcript.student.full_name"));
    EXPECT(r, s && strcmp(s, c->valid.name) == 0, "expected transcript.student.full_name \"%s\", got %s",
           c->valid.name, s ? s : "none");
}

/* package-format.md rev. 2 §5: pages and the API name each signer by the
 * declared name and the certificate's CN, O and L, never another subject
 * attribute. The demo's personal certificates carry the holder's citizen id
 * (UID=CCCD:...), a title, a province and a country: the API's
 * certificate_subject is "CN=...,O=...,L=..." and nothing else, and the
 * pages (both languages, print) show CN, O and L one per line and no CCCD,
 * no "CN=" string. */
static void test_signers_are_named_by_cn_o_and_l_only(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, c->valid.code, &r);
    EXPECT(r, !http_body_has(r, "CCCD") && !http_body_has(r, "UID="),
           "expected no citizen id of a signer in the API answer");
    json_t *signers = json_object_get(j, "signers");
    const char *teacher = NULL;
    for (size_t i = 0; signers && json_is_array(signers) && i < json_array_size(signers); i++) {
        const char *subj =
            json_string_value(json_object_get(json_array_get(signers, i), "certificate_subject"));
        const char *role = json_string_value(json_object_get(json_array_get(signers, i), "role"));
        EXPECT(r,
               subj && strncmp(subj, "CN=", 3) == 0 && strstr(subj, ",O=") != NULL && strstr(subj, ",L=") &&
                   !strstr(subj, "title=") && !strstr(subj, "ST=") && !strstr(subj, ",C=") &&
                   !strstr(subj, "UID"),
               "expected signers[%zu].certificate_subject to be CN=...,O=...,L=... only, got %s", i,
               subj ? subj : "none");
        if (role && strcmp(role, "homeroom_teacher") == 0)
            teacher = json_string_value(json_object_get(json_array_get(signers, i), "name"));
    }
    EXPECT(r, teacher != NULL, "expected a homeroom_teacher signer");
    const char *const pages[] = {"", "?lang=en", "/print"};
    for (size_t p = 0; p < 3; p++) {
        r = pf_get(c, harness_printf("/v/%s%s", c->valid.code, pages[p]));
        EXPECT_STATUS(r, 200);
        EXPECT(r, !http_body_has(r, "CCCD") && !http_body_has(r, "CN=") && !http_body_has(r, "CN&#61;"),
               "expected no citizen id and no subject string on %s", r->what);
        EXPECT(r,
               http_body_has(r, harness_printf("<span class=\"cert-cn\">%s</span>", teacher)) &&
                   http_body_has(r, "<span class=\"cert-o\">") && http_body_has(r, "<span class=\"cert-l\">"),
               "expected the teacher's CN (%s), an O and an L on %s", teacher, r->what);
    }
}

static void test_api_transcript_hides_address_guardian_and_masks_citizen_id(void **state)
{
    ctx_t *c = *state;
    const pupil_t *ps[] = {&c->xss, &c->valid};
    for (size_t i = 0; i < 2; i++) {
        const pupil_t *p = ps[i];
        resp_t *r;
        json_t *j = pf_api(c, p->code, &r);
        json_t *student = http_json_path(j, "transcript.student");
        EXPECT(r, student && json_is_object(student), "expected transcript.student to be an object, got %s",
               http_json_type(student));
        EXPECT(r, json_object_get(student, "address") == NULL,
               "expected no transcript.student.address, got one");
        EXPECT(r, json_object_get(student, "guardian_name") == NULL,
               "expected no transcript.student.guardian_name, got one");
        pf_expect_no_personal_data(r, p);
        const char *cid = json_string_value(json_object_get(student, "citizen_id"));
        size_t n = cid ? strlen(cid) : 0;
        EXPECT(r,
               cid && n >= 3 && strcmp(cid + n - 3, p->citizen_id + 9) == 0 &&
                   strcmp(cid, p->citizen_id) != 0,
               "expected transcript.student.citizen_id masked to its last 3 digits (…%s), got %s",
               p->citizen_id + 9, cid ? cid : "none");
        const char *name = json_string_value(json_object_get(student, "full_name"));
        EXPECT(r, name && strcmp(name, p->name) == 0, "expected full_name \"%s\" as signed, got %s", p->name,
               name ? name : "none");
    }
}

static void test_api_answers_send_privacy_headers(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_api_path(c->valid.code));
    EXPECT_STATUS(r, 200);
    pf_expect_privacy_headers(r);
}

static void test_api_unknown_code_is_404_not_found_problem(void **state)
{
    ctx_t *c = *state;
    http_expect_problem(pf_get(c, harness_api_path(c->unknown[0])), 404, "not_found");
}

static void test_api_malformed_code_is_400_malformed_code(void **state)
{
    ctx_t *c = *state;
    http_expect_problem(pf_get(c, harness_api_path("NOT-A-CODE")), 400, "malformed_code");
    http_expect_problem(pf_get(c, harness_api_path(pf_bad_check(c->valid.code))), 400, "malformed_code");
    http_expect_problem(pf_get(c, harness_api_path(harness_printf("%.15s", c->valid.code))), 400,
                        "malformed_code");
}

/* docs/portal.md: any valid spelling, the canonical code, no redirect. */
static void test_api_accepts_any_spelling_without_redirect(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, pf_lower(pf_grouped(c->valid.code)), &r);
    const char *s = json_string_value(json_object_get(j, "code"));
    EXPECT(r, s && strcmp(s, c->valid.code) == 0, "expected \"code\": \"%s\", got %s", c->valid.code,
           s ? s : "none");
}

static void test_api_recalled_transcript_names_recall_and_replacement(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, c->recalled_old, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "recalled") == 0, "expected \"status\": \"recalled\", got %s", s ? s : "none");
    json_t *rec = json_object_get(j, "recall");
    EXPECT(r, rec && json_is_object(rec), "expected \"recall\" to be an object, got %s", http_json_type(rec));
    s = json_string_value(json_object_get(rec, "recalled_on"));
    EXPECT(r, s && strlen(s) == 10 && s[4] == '-', "expected recall.recalled_on as YYYY-MM-DD, got %s",
           s ? s : "none");
    s = json_string_value(json_object_get(rec, "reason"));
    EXPECT(r, s && *s, "expected a non-empty recall.reason, got %s", s ? s : "none");
    s = json_string_value(json_object_get(rec, "superseded_by"));
    EXPECT(r, s && strcmp(s, c->recalled_new) == 0, "expected recall.superseded_by \"%s\", got %s",
           c->recalled_new, s ? s : http_json_type(json_object_get(rec, "superseded_by")));
    EXPECT(r, json_is_object(json_object_get(j, "transcript")),
           "expected the recalled transcript still in \"transcript\", got %s",
           http_json_type(json_object_get(j, "transcript")));
}

static void test_api_replacement_names_the_code_it_supersedes(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, c->recalled_new, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "valid") == 0, "expected \"status\": \"valid\", got %s", s ? s : "none");
    s = json_string_value(json_object_get(j, "supersedes"));
    EXPECT(r, s && strcmp(s, c->recalled_old) == 0, "expected \"supersedes\": \"%s\", got %s",
           c->recalled_old, s ? s : http_json_type(json_object_get(j, "supersedes")));
}

static void test_api_recalled_without_replacement_has_null_superseded_by(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, c->recalled_alone, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "recalled") == 0, "expected \"status\": \"recalled\", got %s", s ? s : "none");
    EXPECT(r, json_is_null(http_json_path(j, "recall.superseded_by")),
           "expected recall.superseded_by null, got %s",
           http_json_type(http_json_path(j, "recall.superseded_by")));
}

static void test_pages_of_recalled_and_replacement_link_to_each_other(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->recalled_old));
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s\"", c->recalled_new));
    r = pf_get(c, harness_printf("/v/%s", c->recalled_new));
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s\"", c->recalled_old));
}

/* ---- tests: POST /api/v1/verify ------------------------------------------------------------ */

static void test_verify_answers_each_code_in_order(void **state)
{
    ctx_t *c = *state;
    const char *body = harness_printf("{\"codes\": [\"%s\", \"%s\", \"%s\", \"NOT-A-CODE\"]}", c->valid.code,
                                      c->recalled_old, c->unknown[1]);
    resp_t *r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    json_t *res = json_object_get(http_expect_json(r), "results");
    EXPECT(r, res && json_is_array(res) && json_array_size(res) == 4,
           "expected \"results\" with 4 entries, got %s of %zu", http_json_type(res),
           res ? json_array_size(res) : 0);
    const char *codes[] = {c->valid.code, c->recalled_old, c->unknown[1], "NOT-A-CODE"};
    const char *want[] = {"valid", "recalled", "not_found", "malformed"};
    for (size_t i = 0; i < 4; i++) {
        const char *s = json_string_value(json_object_get(json_array_get(res, i), "status")),
                   *code = json_string_value(json_object_get(json_array_get(res, i), "code"));
        EXPECT(r, s && strcmp(s, want[i]) == 0, "expected results[%zu].status \"%s\", got %s", i, want[i],
               s ? s : "none");
        EXPECT(r, code && strcmp(code, codes[i]) == 0, "expected results[%zu].code \"%s\", got %s", i,
               codes[i], code ? code : "none");
    }
    const char *sup = json_string_value(http_json_path(json_array_get(res, 1), "summary.superseded_by"));
    EXPECT(r, sup && strcmp(sup, c->recalled_new) == 0,
           "expected results[1].summary.superseded_by \"%s\", got %s", c->recalled_new, sup ? sup : "none");
}

static void test_verify_more_than_100_codes_is_400(void **state)
{
    ctx_t *c = *state;
    const char *body = "{\"codes\": [";
    for (int i = 0; i < 101; i++)
        body = harness_printf("%s%s\"%s\"", body, i ? "," : "", c->valid.code);
    body = harness_printf("%s]}", body);
    http_expect_problem(pf_post_json(c, "/api/v1/verify", body, strlen(body)), 400, "too_many_codes");
}

/* http.md: a problem's detail is in the page language, for the verify
 * route's 400s and 413 and for 405 too (they were English only). */
static void test_problem_details_are_in_the_page_language(void **state)
{
    ctx_t *c = *state;
    struct {
        const char *lang, *want;
    } langs[] = {{"", "Cần gửi một đối tượng JSON"}, {"?lang=en", "Expected a JSON object"}};
    for (size_t i = 0; i < 2; i++) {
        resp_t *r = pf_post_json(c, harness_printf("/api/v1/verify%s", langs[i].lang), "[]", 2);
        json_t *j = http_expect_problem(r, 400, "bad_request");
        const char *d = json_string_value(json_object_get(j, "detail")),
                   *t = json_string_value(json_object_get(j, "title"));
        EXPECT(r, d && strstr(d, langs[i].want), "expected a detail with \"%s\", got %s", langs[i].want,
               d ? d : "none");
        /* the title names this error, not the status's usual one (a lookup code) */
        EXPECT(r, t && *t && !strstr(t, "code") && !strstr(t, "mã"),
               "expected a title for a bad request that does not speak of a lookup code, got %s",
               t ? t : "none");
    }
    char big[17 * 1024];
    memset(big, ' ', sizeof big);
    resp_t *r = pf_post_json(c, "/api/v1/verify", big, sizeof big);
    const char *d = json_string_value(json_object_get(http_expect_problem(r, 413, "too_large"), "detail"));
    EXPECT(r, d && strstr(d, "16 KiB") && strstr(d, "vượt quá"), "expected the Vietnamese 413 detail, got %s",
           d ? d : "none");
    r = pf_request(c, "DELETE", harness_api_path(c->valid.code), NULL, NULL, 0);
    d = json_string_value(json_object_get(http_expect_problem(r, 405, "method_not_allowed"), "detail"));
    EXPECT(r, d && strstr(d, "chỉ cho phép xem"), "expected the Vietnamese 405 detail, got %s",
           d ? d : "none");
}

/* http.md: at most 100 codes and at most 16 KiB are fine. */
static void test_verify_accepts_exactly_100_codes_in_exactly_16_kib(void **state)
{
    ctx_t *c = *state;
    const char *body = "{\"codes\": [";
    for (int i = 0; i < 100; i++)
        body = harness_printf("%s%s\"%s\"", body, i ? "," : "", i % 2 ? c->valid.code : c->valid2.code);
    body = harness_printf("%s]}", body);
    size_t n = 16 * 1024, len = strlen(body);
    assert_true(len < n);
    char *padded = harness_malloc(n + 1);
    memcpy(padded, body, len - 1); /* all but the closing brace */
    memset(padded + len - 1, ' ', n - len);
    padded[n - 1] = '}';
    padded[n] = '\0';
    resp_t *r = pf_post_json(c, "/api/v1/verify", padded, n);
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    EXPECT(r, res && json_is_array(res) && json_array_size(res) == 100, "expected 100 results, got %zu",
           res ? json_array_size(res) : 0);
    for (size_t i = 0; i < 100; i++) {
        const char *st = json_string_value(json_object_get(json_array_get(res, i), "status"));
        EXPECT(r, st && strcmp(st, "valid") == 0, "expected results[%zu].status \"valid\", got %s", i,
               st ? st : "none");
    }
}

/* docs/portal.md: each result names the canonical code, whatever was typed. */
static void test_verify_answers_canonical_codes_for_any_spelling(void **state)
{
    ctx_t *c = *state;
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", pf_lower(pf_grouped(c->valid.code)));
    resp_t *r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    json_t *one = res && json_is_array(res) && json_array_size(res) == 1 ? json_array_get(res, 0) : NULL;
    const char *code = json_string_value(json_object_get(one, "code")),
               *st = json_string_value(json_object_get(one, "status"));
    EXPECT(r, code && strcmp(code, c->valid.code) == 0, "expected results[0].code \"%s\", got %s",
           c->valid.code, code ? code : "none");
    EXPECT(r, st && strcmp(st, "valid") == 0, "expected results[0].status \"valid\", got %s",
           st ? st : "none");
}

static void test_verify_body_over_16_kib_is_413(void **state)
{
    ctx_t *c = *state;
    size_t n = 17 * 1024;
    char *pad = harness_malloc(n + 1);
    memset(pad, 'A', n);
    pad[n] = '\0';
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", pad);
    http_expect_problem(pf_post_json(c, "/api/v1/verify", body, strlen(body)), 413, "too_large");
}

/* docs/portal.md, static/openapi.json: over 64 KiB the HTTP layer (libh2o)
 * refuses the body before the route sees it, and the portal answers that
 * refusal with its own problem (portal/limits.h). */
static void test_verify_body_over_64_kib_is_413_from_the_http_layer(void **state)
{
    ctx_t *c = *state;
    size_t n = 65 * 1024;
    char *big = harness_malloc(n);
    memset(big, ' ', n);
    http_expect_problem(pf_post_json(c, "/api/v1/verify", big, n), 413, "too_large");
}

/* docs/portal.md: the verify route enforces the request schema of
 * static/openapi.json: a JSON object whose only member is "codes", an array
 * of strings. Each violation is 400 bad_request with a detail that names
 * it (English here, ?lang=en). Before, an element that was no string was
 * answered 200 as a malformed entry, and other members were ignored. */
static void test_verify_body_breaking_the_schema_is_400(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code;
    const struct {
        const char *body, *detail;
    } cases[] = {
        {"{\"codes\": [", "not valid JSON"},
        {"nothing", "not valid JSON"},
        {harness_printf("{\"codes\": [\"%s\"], \"codes\": [\"%s\"]}", code, code), "not valid JSON"},
        {"[]", "Expected a JSON object"},
        {harness_printf("\"%s\"", code), "Expected a JSON object"},
        {"{}", "one member, \"codes\""},
        {harness_printf("{\"codes\": [\"%s\"], \"lang\": \"en\"}", code), "one member, \"codes\""},
        {"{\"codes\":\"x\"}", "array of strings"},
        {"{\"codes\": {}}", "array of strings"},
        {"{\"codes\": null}", "array of strings"},
        {"{\"codes\": [1, 2]}", "array of strings"},
        {harness_printf("{\"codes\": [\"%s\", null]}", code), "array of strings"},
        {harness_printf("{\"codes\": [[\"%s\"]]}", code), "array of strings"},
        {harness_printf("{\"codes\": [{\"code\": \"%s\"}]}", code), "array of strings"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp_t *r = pf_post_json(c, "/api/v1/verify?lang=en", cases[i].body, strlen(cases[i].body));
        const char *d =
            json_string_value(json_object_get(http_expect_problem(r, 400, "bad_request"), "detail"));
        EXPECT(r, d && strstr(d, cases[i].detail), "expected a detail with \"%s\" for the body %s, got %s",
               cases[i].detail, cases[i].body, d ? d : "none");
    }
}

/* docs/portal.md: the body is read as JSON only when the request says it is
 * JSON: application/json, in any case, with parameters (a charset must be
 * utf-8). Anything else, none, or two Content-Type fields are 415
 * unsupported_media_type with Accept-Post: application/json, in the page
 * language. Before, every request was read as JSON whatever it said. */
static void test_verify_content_type_that_is_not_json_is_415(void **state)
{
    ctx_t *c = *state;
    const char *headers[] = {
        NULL,
        "Content-Type: text/plain\r\n",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "Content-Type: multipart/form-data; boundary=x\r\n",
        "Content-Type: application/problem+json\r\n",
        "Content-Type: application/merge-patch+json\r\n",
        "Content-Type: application/jsonx\r\n",
        "Content-Type: application/json; charset=iso-8859-1\r\n",
        "Content-Type: application/json; charset=utf-16\r\n",
        "Content-Type: application/json; charset\r\n",
        "Content-Type: application/json; charset=\"utf-8\r\n",
        "Content-Type: application/json, text/plain\r\n",
        "Content-Type: application / json\r\n",
        "Content-Type: json\r\n",
        "Content-Type: \r\n",
        "Content-Type: application/json\r\nContent-Type: application/json\r\n",
    };
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", c->valid.code);
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        resp_t *r = pf_request(c, "POST", "/api/v1/verify", headers[i], body, strlen(body));
        json_t *j = http_expect_problem(r, 415, "unsupported_media_type");
        const char *accept = http_header(r, "accept-post"),
                   *d = json_string_value(json_object_get(j, "detail"));
        EXPECT(r, accept && strcmp(accept, "application/json") == 0,
               "expected Accept-Post: application/json with the 415, got %s", accept ? accept : "none");
        EXPECT(r, d && strstr(d, "Nội dung gửi lên phải là JSON"),
               "expected the Vietnamese 415 detail, got %s", d ? d : "none");
    }
    resp_t *r =
        pf_request(c, "POST", "/api/v1/verify?lang=en", "Content-Type: text/plain\r\n", body, strlen(body));
    const char *d =
        json_string_value(json_object_get(http_expect_problem(r, 415, "unsupported_media_type"), "detail"));
    EXPECT(r, d && strstr(d, "Content-Type: application/json"), "expected the English 415 detail, got %s",
           d ? d : "none");
}

/* docs/portal.md: JSON with parameters, in any case, is JSON. */
static void test_verify_accepts_application_json_with_parameters(void **state)
{
    ctx_t *c = *state;
    const char *types[] = {
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=\"UTF-8\"",
        "application/json ; charset=UTF-8 ; profile=\"urn:x\"",
        "application/json;",
    };
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", c->valid.code);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        resp_t *r = pf_request(c, "POST", "/api/v1/verify", harness_printf("Content-Type: %s\r\n", types[i]),
                               body, strlen(body));
        EXPECT_STATUS(r, 200);
        json_t *res = json_object_get(http_expect_json(r), "results");
        const char *st = res && json_is_array(res) && json_array_size(res) == 1
                             ? json_string_value(json_object_get(json_array_get(res, 0), "status"))
                             : NULL;
        EXPECT(r, st && strcmp(st, "valid") == 0, "expected one result \"valid\" for Content-Type %s, got %s",
               types[i], st ? st : "none");
    }
}

/* docs/portal.md: the checks come in this order: size (413), media type
 * (415), body (400); so a body too large is 413 whatever its type, and a
 * broken body of another type is 415. */
static void test_verify_checks_size_then_media_type_then_body(void **state)
{
    ctx_t *c = *state;
    char big[17 * 1024];
    memset(big, '[', sizeof big);
    http_expect_problem(
        pf_request(c, "POST", "/api/v1/verify", "Content-Type: text/plain\r\n", big, sizeof big), 413,
        "too_large");
    http_expect_problem(pf_request(c, "POST", "/api/v1/verify", NULL, big, sizeof big), 413, "too_large");
    http_expect_problem(pf_request(c, "POST", "/api/v1/verify", "Content-Type: text/plain\r\n", "{", 1), 415,
                        "unsupported_media_type");
    http_expect_problem(pf_post_json(c, "/api/v1/verify", "{", 1), 400, "bad_request");
}

static void test_verify_get_is_405_with_allow_post(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/api/v1/verify");
    EXPECT_STATUS(r, 405);
    http_expect_header_has(r, "allow", "POST");
}

/* ---- tests: methods ------------------------------------------------------------------------- */

static void test_head_answers_like_get_without_body(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/", harness_printf("/v/%s", c->valid.code), harness_api_path(c->valid.code)};
    for (size_t i = 0; i < 3; i++) {
        resp_t *g = pf_get(c, paths[i]);
        resp_t *h = pf_request(c, "HEAD", paths[i], NULL, NULL, 0);
        EXPECT(h, h->status == g->status, "expected HEAD %s to answer %d like GET, got %d", paths[i],
               g->status, h->status);
        const char *gt = http_header(g, "content-type"), *ht = http_header(h, "content-type");
        EXPECT(h, gt && ht && strcmp(gt, ht) == 0,
               "expected HEAD %s to have Content-Type %s like GET, got %s", paths[i], gt ? gt : "none",
               ht ? ht : "none");
        EXPECT(h, h->bodylen == 0, "expected HEAD %s to have no body, got %zu bytes", paths[i], h->bodylen);
    }
}

static void test_other_methods_get_405_with_allow_get_head(void **state)
{
    ctx_t *c = *state;
    resp_t *rs[] = {pf_request(c, "DELETE", "/", NULL, NULL, 0), pf_request(c, "PUT", "/v/X", NULL, "", 0),
                    pf_request(c, "POST", harness_printf("/v/%s", c->valid.code), NULL, "", 0)};
    for (size_t i = 0; i < 3; i++) {
        EXPECT_STATUS(rs[i], 405);
        http_expect_header_has(rs[i], "allow", "GET");
        http_expect_header_has(rs[i], "allow", "HEAD");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_valid_transcript_reports_status_checks_and_signers),
        cmocka_unit_test(test_api_transcript_hides_address_guardian_and_masks_citizen_id),
        cmocka_unit_test(test_api_answers_send_privacy_headers),
        cmocka_unit_test(test_api_unknown_code_is_404_not_found_problem),
        cmocka_unit_test(test_api_malformed_code_is_400_malformed_code),
        cmocka_unit_test(test_api_accepts_any_spelling_without_redirect),
        cmocka_unit_test(test_api_recalled_transcript_names_recall_and_replacement),
        cmocka_unit_test(test_api_replacement_names_the_code_it_supersedes),
        cmocka_unit_test(test_api_recalled_without_replacement_has_null_superseded_by),
        cmocka_unit_test(test_pages_of_recalled_and_replacement_link_to_each_other),
        cmocka_unit_test(test_verify_answers_each_code_in_order),
        cmocka_unit_test(test_verify_more_than_100_codes_is_400),
        cmocka_unit_test(test_verify_accepts_exactly_100_codes_in_exactly_16_kib),
        cmocka_unit_test(test_verify_answers_canonical_codes_for_any_spelling),
        cmocka_unit_test(test_verify_body_over_16_kib_is_413),
        cmocka_unit_test(test_problem_details_are_in_the_page_language),
        cmocka_unit_test(test_verify_body_over_64_kib_is_413_from_the_http_layer),
        cmocka_unit_test(test_verify_body_breaking_the_schema_is_400),
        cmocka_unit_test(test_verify_content_type_that_is_not_json_is_415),
        cmocka_unit_test(test_verify_accepts_application_json_with_parameters),
        cmocka_unit_test(test_verify_checks_size_then_media_type_then_body),
        cmocka_unit_test(test_verify_get_is_405_with_allow_post),
        cmocka_unit_test(test_head_answers_like_get_without_body),
        cmocka_unit_test(test_other_methods_get_405_with_allow_get_head),
        cmocka_unit_test(test_signers_are_named_by_cn_o_and_l_only),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
