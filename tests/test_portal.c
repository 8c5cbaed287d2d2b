/* test_portal.c — hocba-portal over real HTTP (docs: http.md, cli.md,
 * docs/portal.md for the choices http.md leaves open).
 *
 * The binaries are $HOCBA_BIN/hocba-{portal,publish,demo} (default bin/);
 * tests run from the project root, where the portal finds templates/ and
 * static/. The group setup makes demo data (40 pupils), publishes its trust
 * anchors, registry and batch (not its CRLs), signs one more transcript with
 * the stock openssl commands (tests/fixtures/portal-pkgs.sh stock: a pupil
 * whose name and remarks hold <script>, with citizen_id, address and
 * guardian_name), publishes it, and starts the portal on a free loopback
 * port with --rate-limit 0. Every test talks raw HTTP/1.1 to it, so hostile
 * requests go out byte for byte.
 *
 * Tests that change what the portal serves (CRLs, trust anchors, a byte of a
 * stored record, the anchors in meta) restore it: the edits made with
 * liblmdb before their first assertion, the publisher's at the end (a
 * failure in between leaves the change for the later tests of that run; each
 * run builds a fresh index). An edit of meta/anchors bumps trust_version, as
 * every change of a trust input does (docs/index-format.md): the portal
 * reloads its trust store only when that version changes. The recall test
 * recalls a code no other test uses (a recall is final).
 *
 * Rate limits are tested on a second portal (--rate-limit 10); each of those
 * tests talks from its own loopback source address (127.0.0.2, .3, .4), and
 * the limit is per client address (docs/portal.md), so they do not share a
 * bucket.
 *
 * Children get SIGKILL when this process dies (PR_SET_PDEATHSIG), so a crash
 * of the test leaves no portal behind. Unless LSAN_OPTIONS is set, the
 * children get tests/lsan.supp, as under `make test`. Set HOCBA_KEEP_TMP=1 to keep the
 * temporary directory for a look after a failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

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
    static const char *const names[] = {"integrity", "signature",     "chain",          "validity", "revocation",
                                        "roles",     "seal_registry", "staff_registry", NULL};
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
        EXPECT(r, subj && strncmp(subj, "CN=", 3) == 0 && strstr(subj, ",O=") != NULL && strstr(subj, ",L=") &&
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
        EXPECT(r, d && strstr(d, "Nội dung gửi lên phải là JSON"), "expected the Vietnamese 415 detail, got %s",
               d ? d : "none");
    }
    resp_t *r = pf_request(c, "POST", "/api/v1/verify?lang=en", "Content-Type: text/plain\r\n", body, strlen(body));
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
        resp_t *r = pf_request(c, "POST", "/api/v1/verify", harness_printf("Content-Type: %s\r\n", types[i]), body,
                            strlen(body));
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
    http_expect_problem(pf_request(c, "POST", "/api/v1/verify", "Content-Type: text/plain\r\n", big, sizeof big),
                        413, "too_large");
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

/* ---- tests: static files, hostile input ------------------------------------------------------ */

static void test_static_stylesheet_is_css(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/static/style.css");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "text/css");
}

static void test_static_openapi_is_json_of_openapi_3(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/static/openapi.json");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    const char *v = json_string_value(json_object_get(http_expect_json(r), "openapi"));
    EXPECT(r, v && v[0] == '3', "expected \"openapi\": \"3…\", got %s", v ? v : "none");
}

/* ---- tests: files at the root of the site --------------------------------------------------- */

/* What clients ask for at the root whatever the pages say (crawlers, and
 * browsers that look for /favicon.ico): the files of static/ by those names. */
static const struct {
    const char *path, *type, *file;
} ROOT_FILES[] = {
    {"/robots.txt", "text/plain; charset=utf-8", "static/robots.txt"},
    {"/favicon.ico", "image/x-icon", "static/favicon.ico"},
};
#define NROOT_FILES (sizeof ROOT_FILES / sizeof *ROOT_FILES)

static void test_root_files_are_static_files_served_byte_for_byte(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < NROOT_FILES; i++) {
        size_t len = 0;
        const char *want = harness_read_file(ROOT_FILES[i].file, &len);
        assert_non_null(want);
        resp_t *r = pf_get(c, ROOT_FILES[i].path);
        EXPECT_STATUS(r, 200);
        const char *type = http_header(r, "content-type");
        EXPECT(r, type && strcasecmp(type, ROOT_FILES[i].type) == 0,
               "expected Content-Type %s for %s, got %s", ROOT_FILES[i].type, r->what, type ? type : "none");
        EXPECT(r, r->bodylen == len && memcmp(r->body, want, len) == 0,
               "expected the %zu bytes of %s from %s, got %zu bytes that differ", len, ROOT_FILES[i].file,
               r->what, r->bodylen);
        http_expect_header_has(r, "cache-control", "max-age=");
    }
}

static void test_root_files_answer_head_and_405_with_allow(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < NROOT_FILES; i++) {
        off_t size = harness_file_size(ROOT_FILES[i].file);
        resp_t *h = pf_request(c, "HEAD", ROOT_FILES[i].path, NULL, NULL, 0);
        EXPECT_STATUS(h, 200);
        http_expect_type(h, ROOT_FILES[i].type);
        const char *cl = http_header(h, "content-length");
        EXPECT(h, cl && atoll(cl) == (long long)size, "expected Content-Length %lld for %s, got %s",
               (long long)size, h->what, cl ? cl : "none");
        EXPECT(h, h->bodylen == 0, "expected no body for %s, got %zu bytes", h->what, h->bodylen);
        static const char *const others[] = {"POST", "PUT", "DELETE"};
        for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
            resp_t *r = pf_request(c, others[k], ROOT_FILES[i].path, NULL, "", 0);
            EXPECT_STATUS(r, 405);
            const char *allow = http_header(r, "allow");
            EXPECT(r, allow && strcmp(allow, "GET, HEAD") == 0, "expected Allow: GET, HEAD for %s, got %s",
                   r->what, allow ? allow : "none");
        }
    }
}

/* The home page is for search engines; what lies under a lookup code, the
 * API and the forms' targets are not (robots.txt matches by prefix, case
 * sensitive: /V/ is named apart). */
static void test_robots_txt_keeps_crawlers_off_codes_api_and_forms(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/robots.txt");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "User-agent: *\n");
    static const char *const off[] = {"/v/", "/V/", "/api/", "/lookup", "/check"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        EXPECT_BODY_HAS(r, harness_printf("\nDisallow: %s\n", off[i]));
    EXPECT(r, !http_body_has(r, "Disallow: /\n") && !http_body_has(r, "Disallow: / "),
           "expected robots.txt to leave the home page to crawlers, it disallows the whole site");
}

/* An ICO header (reserved 0, type 1, count), then count 16-byte entries
 * whose images lie inside the file and are PNGs of the size they claim. */
static void test_favicon_ico_holds_png_icons_of_their_stated_sizes(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/favicon.ico");
    EXPECT_STATUS(r, 200);
    const unsigned char *b = (const unsigned char *)r->body;
    size_t n = r->bodylen;
    EXPECT(r, n >= 6 && b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0, "expected an ICO header from %s",
           r->what);
    unsigned count = b[4] | b[5] << 8;
    EXPECT(r, count >= 1 && 6 + 16 * (size_t)count <= n, "expected 1 or more icon entries in %s, got %u",
           r->what, count);
    for (unsigned i = 0; i < count; i++) {
        const unsigned char *e = b + 6 + 16 * i;
        unsigned w = e[0] ? e[0] : 256, h = e[1] ? e[1] : 256;
        size_t len = e[8] | e[9] << 8 | (size_t)e[10] << 16 | (size_t)e[11] << 24;
        size_t off = e[12] | e[13] << 8 | (size_t)e[14] << 16 | (size_t)e[15] << 24;
        EXPECT(r, off < n && len <= n - off && len >= 24 && memcmp(b + off, "\x89PNG\r\n\x1a\n", 8) == 0,
               "expected icon %u of %s to be a PNG inside the file (offset %zu, %zu bytes of %zu)", i,
               r->what, off, len, n);
        const unsigned char *ihdr = b + off + 16; /* width and height, big-endian */
        unsigned pw = (unsigned)ihdr[0] << 24 | ihdr[1] << 16 | ihdr[2] << 8 | ihdr[3];
        unsigned ph = (unsigned)ihdr[4] << 24 | ihdr[5] << 16 | ihdr[6] << 8 | ihdr[7];
        EXPECT(r, pw == w && ph == h,
               "expected icon %u of %s to be %ux%u as its entry says, its PNG is %ux%u", i, r->what, w, h, pw,
               ph);
    }
}

/* Every page names the icon (the screen pages and the printable copy have
 * their own heads), and the SVG it names is served. */
static void test_pages_link_the_site_icon(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/", "/?lang=en", harness_printf("/v/%s", c->valid.code),
                           harness_printf("/v/%s/print", c->valid.code), "/no-such-page"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_BODY_HAS(r, "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">");
        EXPECT_BODY_HAS(r, "<link rel=\"icon\" href=\"/favicon.ico\"");
    }
    resp_t *svg = pf_get(c, "/static/favicon.svg");
    EXPECT_STATUS(svg, 200);
    http_expect_type(svg, "image/svg+xml");
    EXPECT_BODY_HAS(svg, "<svg");
}

/* Raw bytes: no client normalises these. docs/portal.md: paths are
 * matched byte for byte; a /v/ segment outside 1–64 of [A-Za-z0-9.-] is a
 * 404, a /lookup code that does not parse is a 400. */
static void test_hostile_paths_get_4xx_never_5xx(void **state)
{
    ctx_t *c = *state;
    char *longcode = harness_malloc(5001);
    memset(longcode, 'A', 5000);
    longcode[5000] = '\0';
    struct {
        const char *path;
        int want;
    } cases[] = {
        {"/static/../README.md", 404},
        {"/static/%2e%2e/README.md", 404},
        {"/static/..%2fREADME.md", 404},
        {"/v/%2e%2e", 404},
        {"/v/..%2fetc", 404},
        {harness_printf("/v/%.8s%%00%.8s", c->valid.code, c->valid.code + 8), 404},
        {"/v/\xff\xfe", 404},
        {harness_printf("/v/%.8s\xff%.7s", c->valid.code, c->valid.code + 8), 404},
        {harness_printf("/v/%s", longcode), 404},
        {harness_printf("/lookup?code=%s", longcode), 400},
        {"/lookup?code=%ff%fe%00", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        resp_t *r = pf_get(c, cases[i].path);
        EXPECT(r, r->status >= 400 && r->status < 500, "expected a 4xx for %s, got %d%s", r->what, r->status,
               r->status ? "" : " (no answer)");
        EXPECT(r, r->status == cases[i].want, "expected %d for %s (docs/portal.md), got %d", cases[i].want,
               r->what, r->status);
    }
    pf_expect_alive(c);
}

/* 4xx, or the connection closed without an answer; never 5xx, never a crash. */
static void expect_refused_or_closed(const resp_t *r, const char *what)
{
    EXPECT(r, (r->status >= 400 && r->status < 500) || (r->status == 0 && r->err != HTTP_ETIMEOUT),
           "expected a 4xx or a closed connection for %s (%s), got %d%s", r->what, what, r->status,
           r->err == HTTP_ETIMEOUT ? " (timed out)" : "");
}

static void test_header_value_of_20_kib_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    size_t big = 20 * 1024;
    char *v = harness_malloc(big + 1);
    memset(v, 'x', big);
    v[big] = '\0';
    resp_t *r = pf_get_h(c, "/", harness_printf("X-Big: %s\r\n", v));
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a header value of 20 KiB");
}

static void test_200_header_lines_are_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    const char *many = "";
    for (int i = 0; i < 200; i++)
        many = harness_printf("%sX-H-%d: v\r\n", many, i);
    resp_t *r = pf_get_h(c, "/", many);
    pf_expect_alive(c);
    expect_refused_or_closed(r, "200 header lines");
}

/* GET path with `extra` header fields X-H-0..., besides Host and Connection. */
static resp_t *get_with_fields(ctx_t *c, const char *path, int extra)
{
    const char *many = "";
    for (int i = 0; i < extra; i++)
        many = harness_printf("%sX-H-%d: v\r\n", many, i);
    return pf_get_h(c, path, many);
}

static resp_t *get_with_value(ctx_t *c, const char *path, size_t n)
{
    char *v = harness_malloc(n + 1);
    memset(v, 'x', n);
    v[n] = '\0';
    return pf_get_h(c, path, harness_printf("X-Big: %s\r\n", v));
}

/* docs/portal.md: headers up to 8 KiB and 64 fields are served; more is 431. */
static void test_headers_within_8_kib_and_64_fields_are_served(void **state)
{
    ctx_t *c = *state;
    resp_t *r = get_with_value(c, "/", 7 * 1024);
    EXPECT(r, r->status == 200, "expected 200 for a header value of 7 KiB, got %d", r->status);
    r = get_with_fields(c, "/", 62);
    EXPECT(r, r->status == 200, "expected 200 for 64 header fields (Host, Connection and 62 more), got %d",
           r->status);
}

static void test_headers_over_8_kib_or_64_fields_are_431(void **state)
{
    ctx_t *c = *state;
    resp_t *r = get_with_value(c, "/", 9 * 1024);
    EXPECT(r, r->status == 431, "expected 431 for a header value of 9 KiB, got %d", r->status);
    pf_expect_html(r);
    r = get_with_value(c, harness_api_path(c->valid.code), 9 * 1024);
    EXPECT(r, r->status == 431, "expected 431 for a header value of 9 KiB on the API, got %d", r->status);
    http_expect_type(r, "application/problem+json");
    r = get_with_fields(c, "/", 63);
    EXPECT(r, r->status == 431, "expected 431 for 65 header fields (Host, Connection and 63 more), got %d",
           r->status);
    pf_expect_alive(c);
}

static void test_header_line_without_colon_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get_h(c, "/", "ThisLineHasNoColon\r\n");
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a header line without a colon");
}

static void test_tls_hello_on_cleartext_is_refused_without_a_crash(void **state)
{
    ctx_t *c = *state;
    const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
    resp_t *r = http_send(NULL, c->port, junk, sizeof junk - 1, 0);
    pf_expect_alive(c);
    expect_refused_or_closed(r, "a TLS ClientHello on cleartext");
}

/* docs/portal.md: cleartext HTTP/2 (h2c upgrade) is off. */
static void test_h2c_upgrade_is_not_taken(void **state)
{
    ctx_t *c = *state;
    const char *req = harness_printf(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
        "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
        c->port);
    resp_t *r = http_send(NULL, c->port, req, strlen(req), 0);
    EXPECT_STATUS(r, 200);
    EXPECT(r, strncmp(r->raw, "HTTP/1.1 ", 9) == 0, "expected an HTTP/1.1 answer to an h2c upgrade");
}

/* docs/portal.md: anything else is a 404, problem+json under /api/. */
static void test_unknown_api_paths_are_404_problem_json(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/api/v1/nothing", "/api/v2/transcripts/X",
                           harness_printf("%s/", harness_api_path(c->valid.code)),
                           harness_printf("%s/extra", harness_api_path(c->valid.code))};
    for (size_t i = 0; i < 4; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 404);
        http_expect_type(r, "application/problem+json");
        http_expect_json(r);
    }
}

/* docs/portal.md: no percent-decoding, no dot segments, no trailing-slash
 * guessing, no doubled slashes. */
static void test_paths_are_matched_byte_for_byte(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code;
    const char *paths[] = {
        harness_printf("//v/%s", code),
        harness_printf("/./v/%s", code),
        harness_printf("/v/./%s", code),
        harness_printf("/v/%s/print/", code),
        harness_printf("/v/%s/qr.svg/", code),
        harness_printf("/v/%.4s%%2D%s", code, code + 4),
        harness_printf("/v/%%%02X%s", (unsigned char)code[0], code + 1),
        "/static/style.css/",
        "/static//style.css",
        "/static/",
        "/static",
        "/healthz/",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 404);
    }
}

/* 32 clients at once, each with its request sent before any answer is
 * read: every one gets its 200. */
static void test_serves_many_clients_at_once(void **state)
{
    enum { N = 32 };
    ctx_t *c = *state;
    int fds[N];
    char *bufs[N] = {0};
    size_t lens[N] = {0}, caps[N] = {0};
    const char *paths[N];
    for (int i = 0; i < N; i++) {
        const char *code = i % 3 == 0 ? c->valid.code : i % 3 == 1 ? c->valid2.code : c->xss.code;
        paths[i] = i % 2 ? harness_printf("/v/%s", code) : harness_api_path(code);
        const char *req = harness_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                                         paths[i], c->port);
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            send(fds[i], req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
            for (int k = 0; k <= i; k++)
                if (fds[k] >= 0)
                    close(fds[k]);
            fail_msg("expected to connect and send request %d of %d, failed: %s", i + 1, N, strerror(errno));
        }
    }
    long deadline = harness_now_ms() + 2 * HTTP_TIMEOUT_MS;
    int open_n = N;
    while (open_n > 0 && harness_now_ms() < deadline) {
        struct pollfd p[N];
        for (int i = 0; i < N; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (poll(p, N, 200) <= 0)
            continue;
        for (int i = 0; i < N; i++) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char tmp[65536];
            ssize_t got = recv(fds[i], tmp, sizeof tmp, 0);
            if (got > 0) {
                harness_append(&bufs[i], &lens[i], &caps[i], tmp, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i]);
                fds[i] = -1;
                open_n--;
            }
        }
    }
    for (int i = 0; i < N; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        if (bufs[i])
            harness_keep(bufs[i]);
    }
    for (int i = 0; i < N; i++)
        if (!bufs[i] || strncmp(bufs[i], "HTTP/1.1 200 ", 13) != 0)
            fail_msg("expected 200 for GET %s (client %d of %d at once), got \"%.60s\"%s", paths[i], i + 1, N,
                     bufs[i] ? bufs[i] : "", fds[i] >= 0 ? " (no close in time)" : "");
    pf_expect_alive(c);
}

static void test_healthz_answers_200(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/healthz");
    EXPECT_STATUS(r, 200);
}

static void test_metrics_answers_prometheus_text(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/metrics");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "text/plain");
    EXPECT_BODY_HAS(r, "hocba_");
}

/* ---- tests: verdicts that change while serving --------------------------------------------- */

/* The demo's issuing CA's CRL that revokes nothing (portal-pkgs.sh crl), made once. */
static const char *issuing_empty_crl(ctx_t *c)
{
    const char *dir = harness_printf("%s/crl", c->tmp);
    const char *file = harness_printf("%s/issuing-empty.crl", dir);
    if (access(file, R_OK) != 0) {
        harness_run_t k;
        const char *argv[] = {"bash", FIXTURES_SCRIPT, "crl", c->demo, dir, NULL};
        harness_run(&k, NULL, argv, CHILD_TIMEOUT_MS);
        HARNESS_EXPECT_EXIT(&k, 0);
    }
    return file;
}

static void test_key_compromise_crl_makes_code_invalid_on_next_request(void **state)
{
    ctx_t *c = *state;
    const char *issuing = harness_printf("%s/trust/issuing-ca.crl", c->demo);
    const char *root = harness_printf("%s/trust/root-ca.crl", c->demo);
    pf_expect_api_status(c, c->crl_bad.code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->crl_bad.code)), c->crl_bad.name); /* fills the caches */
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s?lang=en", c->crl_bad.code)), c->crl_bad.name);
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s/print", c->crl_bad.code)), c->crl_bad.name);
    PUBLISH_OK(c, "crl", issuing, root);

    resp_t *r = pf_get(c, harness_printf("/v/%s", c->crl_bad.code));
    EXPECT_STATUS(r, 200);
    pf_expect_html(r);
    EXPECT(r, !http_body_has(r, c->crl_bad.name),
           "expected no pupil name (%s) on the invalid page, it is there", c->crl_bad.name);
    EXPECT(
        r, http_body_has_ci(r, "thu hồi"),
        "expected the Vietnamese invalid page to say the certificate was revoked (\"thu hồi\"), it does not");
    r = pf_get(c, harness_printf("/v/%s?lang=en", c->crl_bad.code));
    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, c->crl_bad.name), "expected no pupil name on the English invalid page");
    EXPECT(r, http_body_has_ci(r, "revoked"),
           "expected the English invalid page to say \"revoked\", it does not");
    r = pf_get(c, harness_printf("/v/%s/print", c->crl_bad.code));
    EXPECT(r, !http_body_has(r, c->crl_bad.name),
           "expected no pupil name on the print page of an invalid transcript");
    pf_expect_api_invalid(c, c->crl_bad.code, "revocation");
    const char *const paths[][2] = {{"/v/", ""}, {"/v/", "?lang=en"}, {"/v/", "/print"}, {"/api/v1/transcripts/", ""}};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        pf_expect_invalid_names_nobody(pf_get(c, harness_printf("%s%s%s", paths[i][0], c->crl_bad.code, paths[i][1])),
                                    &c->crl_bad);
    pf_expect_api_status(c, c->valid.code, "valid");
    pf_expect_api_status(c, c->superseded_ok, "valid");

    /* docs/portal.md: an invalid result of verify names its failed checks */
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", c->crl_bad.code);
    r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    json_t *one = res && json_is_array(res) && json_array_size(res) == 1 ? json_array_get(res, 0) : NULL;
    const char *st = json_string_value(json_object_get(one, "status"));
    EXPECT(r, st && strcmp(st, "invalid") == 0, "expected results[0].status \"invalid\", got %s",
           st ? st : "none");
    json_t *failed = http_json_path(one, "summary.failed_checks");
    int named = 0;
    for (size_t i = 0; failed && json_is_array(failed) && i < json_array_size(failed); i++)
        named |= json_string_value(json_array_get(failed, i)) &&
                 strcmp(json_string_value(json_array_get(failed, i)), "revocation") == 0;
    EXPECT(r, named, "expected results[0].summary.failed_checks to hold \"revocation\", it does not");

    /* the issuing CA's next CRL withdraws the revocation: a CRL of it must
     * stay in the set (package-format.md §6), or its records answer 503 */
    PUBLISH_OK(c, "crl", root, issuing_empty_crl(c));
    pf_expect_api_status(c, c->crl_bad.code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->crl_bad.code)), c->crl_bad.name);
}

/* package-format.md §6: `crl` refuses a set with no CRL of the issuing CA
 * (remembered, in the store) that verifies, naming it and the CRL stored
 * now; with --drop-unverifiable-crls (here before the command) it goes
 * ahead and the records under that CA answer 503, until a CRL of it is
 * published again. Before, the set replaced the CA's CRL without a word. */
static void test_crl_set_without_a_remembered_issuer_is_refused_then_503(void **state)
{
    ctx_t *c = *state;
    const char *root = harness_printf("%s/trust/root-ca.crl", c->demo);
    PUBLISH_OK(c, "crl", root, issuing_empty_crl(c));
    pf_expect_api_status(c, c->valid.code, "valid");
    harness_run_t pr;
    pf_publish(c, &pr, "crl", root, NULL);
    HARNESS_EXPECT_EXIT(&pr, 2);
    HARNESS_CHECK_RUN(strstr(pr.err, "no CRL of CA \"Hocba DEMO Issuing CA\" [") != NULL &&
                          strstr(pr.err, "CRL number 2 of CA \"Hocba DEMO Issuing CA\"") != NULL,
                      &pr, "expected the refusal to name the issuing CA and the CRL of it stored now");
    pf_expect_api_status(c, c->valid.code, "valid");

    PUBLISH_OK(c, "--drop-unverifiable-crls", "crl", root);
    resp_t *a = pf_get(c, harness_api_path(c->valid.code));
    resp_t *page = pf_get(c, harness_printf("/v/%s", c->valid.code));
    PUBLISH_OK(c, "crl", root, issuing_empty_crl(c));
    http_expect_problem(a, 503, "unavailable");
    EXPECT_STATUS(page, 503);
    EXPECT(page, !http_body_has(page, c->valid.name), "expected no pupil name on the 503 page");
    pf_expect_api_status(c, c->valid.code, "valid");
}

/* The value of the /metrics line that starts with `series` (name and
 * labels), or -1 when there is none. */
static long long metric(const resp_t *r, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = r->body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
    return -1;
}

/* package-format.md §6: /metrics shows each CRL's age, its nextUpdate and
 * whether it verifies, labelled by its CA (a short hash and the CN) and
 * number, and how many CAs that publish CRLs have none that verifies; when
 * the issuing CA's CRL stops verifying the gauges say so, while /healthz
 * stays 200 (docs/portal.md). None of these existed. */
static void test_metrics_show_each_crl_age_next_update_and_verifies(void **state)
{
    ctx_t *c = *state;
    const char *anchors = harness_printf("%s/trust/anchors.pem", c->demo);
    const char *inter = harness_printf("%s/trust/intermediates.pem", c->demo);
    PUBLISH_OK(c, "crl", harness_printf("%s/trust/root-ca.crl", c->demo), issuing_empty_crl(c));
    resp_t *m = pf_get(c, "/metrics");
    EXPECT_STATUS(m, 200);
    const char *issuing = strstr(m->body, "hocba_crl_verifies{issuer=\"");
    EXPECT(m, issuing != NULL, "expected hocba_crl_verifies series");
    const char *at = strstr(m->body, ",cn=\"Hocba DEMO Issuing CA\",number=\"2\"}");
    EXPECT(m, at != NULL && at - m->body > 18, "expected a series of the issuing CA's CRL number 2");
    const char *hash = harness_strndup(at - 9, 8); /* issuer="HASH" just before */
    const char *labels = harness_printf("{issuer=\"%s\",cn=\"Hocba DEMO Issuing CA\",number=\"2\"}", hash);
    long long now = (long long)time(NULL);
    long long age = metric(m, harness_printf("hocba_crl_age_seconds%s", labels));
    long long next = metric(m, harness_printf("hocba_crl_next_update_timestamp_seconds%s", labels));
    EXPECT(m, age >= 0 && age < 3600, "expected the CRL's age in seconds (made minutes ago), got %lld", age);
    EXPECT(m, next > now, "expected its nextUpdate in the future, got %lld", next);
    EXPECT(m, metric(m, harness_printf("hocba_crl_verifies%s", labels)) == 1, "expected the CRL to verify");
    EXPECT(m, metric(m, "hocba_revocation_unchecked_issuers") == 0, "expected no unchecked CA");
    EXPECT(m,
           metric(m, harness_printf(
                         "hocba_issuer_revocation_checked{issuer=\"%s\",cn=\"Hocba DEMO Issuing CA\"}",
                         hash)) == 1,
           "expected the issuing CA checked");

    PUBLISH_OK(c, "trust", anchors, "--drop-unverifiable-crls");
    m = pf_get(c, "/metrics");
    resp_t *h = pf_get(c, "/healthz");
    PUBLISH_OK(c, "trust", anchors, inter);
    EXPECT(m, metric(m, harness_printf("hocba_crl_verifies%s", labels)) == 0,
           "expected the issuing CA's CRL not to verify without the intermediates");
    EXPECT(m, metric(m, "hocba_revocation_unchecked_issuers") == 1, "expected one unchecked CA");
    EXPECT(m,
           metric(m, harness_printf(
                         "hocba_issuer_revocation_checked{issuer=\"%s\",cn=\"Hocba DEMO Issuing CA\"}",
                         hash)) == 0,
           "expected the issuing CA unchecked");
    EXPECT_STATUS(h, 200);
    EXPECT(m, !http_body_has(m, c->valid.name) && !http_body_has(m, c->valid.teacher),
           "expected no personal data in /metrics");
}

/* One results[i].status of a POST /api/v1/verify answer, or "none". */
static const char *verify_status(const resp_t *r, size_t i)
{
    json_t *res = json_object_get(http_expect_json(r), "results");
    const char *st = res && json_is_array(res) && i < json_array_size(res)
                         ? json_string_value(json_object_get(json_array_get(res, i), "status"))
                         : NULL;
    return st ? st : "none";
}

/* Issue 17, package-format.md rev. 2 §6: a teacher's key is revoked for key
 * compromise and the transcript it signed is invalid; then the anchors are
 * given without the intermediates bundle. The issuing CA's CRL no longer
 * verifies against the store, and had been left out without a word: the
 * transcript showed valid again. Now `trust` refuses that, naming the CA and
 * its CRL number; with --drop-unverifiable-crls it goes ahead, and the
 * revocation of what the CA issued cannot be judged: page,
 * print and API answer 503 and batch verify says "unavailable" for it, and
 * for every other record under that CA, never valid; a record that fails
 * another check (an altered payload) stays invalid. /healthz stays 200
 * (docs/portal.md). With the intermediates back, the CRL counts again. */
static void test_crl_that_stops_verifying_answers_503_never_valid(void **state)
{
    ctx_t *c = *state;
    const char *anchors = harness_printf("%s/trust/anchors.pem", c->demo);
    const char *inter = harness_printf("%s/trust/intermediates.pem", c->demo);
    const char *issuing = harness_printf("%s/trust/issuing-ca.crl", c->demo);
    const char *root = harness_printf("%s/trust/root-ca.crl", c->demo);
    /* the CRL that revokes crl_bad, back after the newer empty one an earlier
     * test published: going back to an older CRL takes the flag */
    PUBLISH_OK(c, "crl", issuing, root, "--allow-older-crl");
    pf_expect_api_invalid(c, c->crl_bad.code, "revocation");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->valid.code)), c->valid.name); /* fills the caches */
    pf_expect_api_status(c, c->valid.code, "valid");

    /* refused, naming the CA and its CRL; nothing changes */
    harness_run_t pr;
    pf_publish(c, &pr, "trust", anchors, NULL);
    HARNESS_EXPECT_EXIT(&pr, 2);
    HARNESS_CHECK_RUN(strstr(pr.err, "CRL number 1 of CA \"Hocba DEMO Issuing CA\" [") != NULL, &pr,
                      "expected the refusal to name the issuing CA and its CRL number");
    pf_expect_api_invalid(c, c->crl_bad.code, "revocation");

    PUBLISH_OK(c, "trust", anchors, "--drop-unverifiable-crls");
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, c->tamper.code, "\"remarks\": \"", &len);
    resp_t *page = pf_get(c, harness_printf("/v/%s", c->crl_bad.code));
    resp_t *print = pf_get(c, harness_printf("/v/%s/print", c->crl_bad.code));
    resp_t *a = pf_get(c, harness_api_path(c->crl_bad.code));
    resp_t *vpage = pf_get(c, harness_printf("/v/%s", c->valid.code));
    resp_t *va = pf_get(c, harness_api_path(c->valid.code));
    resp_t *ta = pf_get(c, harness_api_path(c->tamper.code));
    const char *body = harness_printf("{\"codes\": [\"%s\", \"%s\", \"%s\", \"%s\"]}", c->crl_bad.code,
                                      c->valid.code, c->tamper.code, c->unknown[0]);
    resp_t *batch = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    resp_t *health = pf_get(c, "/healthz");
    pf_lmdb_put(c, "docs", c->tamper.code, 16, orig, len, 0); /* before any assertion can jump out */

    EXPECT_STATUS(page, 503);
    pf_expect_html(page);
    EXPECT(page, !http_body_has(page, c->crl_bad.name), "expected no pupil name on the 503 page");
    EXPECT_STATUS(print, 503);
    http_expect_problem(a, 503, "unavailable");
    EXPECT_STATUS(vpage, 503);
    EXPECT(vpage, !http_body_has(vpage, c->valid.name),
           "expected no pupil name on the 503 page (caches were warm)");
    http_expect_problem(va, 503, "unavailable");
    EXPECT_STATUS(ta, 200);
    const char *st = json_string_value(json_object_get(http_expect_json(ta), "status"));
    EXPECT(ta, st && strcmp(st, "invalid") == 0 && pf_failed_check(http_expect_json(ta), "integrity") != NULL,
           "expected the altered record to stay invalid (integrity), got %s", st ? st : "none");
    EXPECT_STATUS(batch, 200);
    static const char *const want[] = {"unavailable", "unavailable", "invalid", "not_found"};
    for (size_t i = 0; i < 4; i++)
        EXPECT(batch, strcmp(verify_status(batch, i), want[i]) == 0,
               "expected results[%zu].status \"%s\", got %s", i, want[i], verify_status(batch, i));
    EXPECT_STATUS(health, 200);

    PUBLISH_OK(c, "trust", anchors, inter);
    pf_expect_api_invalid(c, c->crl_bad.code, "revocation");
    pf_expect_api_status(c, c->valid.code, "valid");
    PUBLISH_OK(c, "crl", root, issuing_empty_crl(c));
    pf_expect_api_status(c, c->crl_bad.code, "valid");
}

/* package-format.md rev. 2 §6, check 8: the demo's registry (v2) lists each
 * school's principal. A registry where the school of a valid record lists
 * another principal is refused by `schools` (exit 2, naming the school and
 * the certificate); with --accept-invalidation it is loaded, and the record
 * answers invalid naming staff_registry for the principal: in the API's
 * checks, on the page in both languages (the catalogs' words), and in the
 * batch verify summary's failed_checks. The original registry puts it back. */
static void test_registry_that_drops_a_principal_makes_records_invalid(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code;
    resp_t *r;
    json_t *j = pf_api(c, code, &r);
    const char *school = json_string_value(http_json_path(j, "transcript.school.code")), *principal = NULL;
    json_t *signers = json_object_get(j, "signers");
    for (size_t i = 0; signers && json_is_array(signers) && i < json_array_size(signers); i++)
        if (json_string_value(json_object_get(json_array_get(signers, i), "role")) &&
            strcmp(json_string_value(json_object_get(json_array_get(signers, i), "role")), "principal") == 0)
            principal = json_string_value(json_object_get(json_array_get(signers, i), "certificate_sha256"));
    EXPECT(r, school && principal && strlen(principal) == 64, "expected the school code and principal of %s", code);
    size_t len;
    const char *orig = harness_printf("%s/schools.json", c->demo);
    char *text = harness_read_file(orig, &len);
    char *at = text ? strstr(text, principal) : NULL;
    if (at == NULL)
        fail_msg("expected the demo's schools.json to list the principal certificate %s", principal);
    memset(at, '0', 64); /* the list still holds one certificate: someone else's */
    const char *edited = harness_printf("%s/schools-dropped.json", c->tmp);
    FILE *f = fopen(edited, "wb");
    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        fail_msg("cannot write %s", edited);

    harness_run_t pr;
    pf_publish(c, &pr, "schools", edited, NULL);
    HARNESS_EXPECT_EXIT(&pr, 2);
    const char *named = harness_printf("school %s, principal certificate %.16s...: staff_registry fails for", school,
                                       principal);
    HARNESS_CHECK_RUN(strstr(pr.err, named) != NULL, &pr, "expected stderr to name \"%s\"", named);
    pf_expect_api_status(c, code, "valid");
    pf_publish(c, &pr, "schools", edited, "--accept-invalidation", NULL);
    HARNESS_EXPECT_EXIT(&pr, 0);

    pf_expect_api_invalid(c, code, "staff_registry");
    json_t *failed = pf_failed_check(http_expect_json(pf_get(c, harness_api_path(code))), "staff_registry");
    const char *role = json_string_value(json_object_get(failed, "role"));
    EXPECT(r, role && strcmp(role, "principal") == 0, "expected staff_registry to fail for the principal, got %s",
           role ? role : "none");
    r = pf_get(c, harness_printf("/v/%s", code));
    EXPECT_STATUS(r, 200);
    EXPECT(r, http_body_has(r, "danh sách chứng thư số cán bộ, giáo viên") && http_body_has(r, "Hiệu trưởng"),
           "expected the Vietnamese page to name the staff registry check and the principal");
    EXPECT(r, !http_body_has(r, c->valid.name), "expected no pupil name on the invalid page");
    r = pf_get(c, harness_printf("/v/%s?lang=en", code));
    EXPECT(r, http_body_has(r, "staff certificates this school has registered"),
           "expected the English page to name the staff registry check");
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", code);
    r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    json_t *fc = res && json_is_array(res) && json_array_size(res) == 1
                     ? http_json_path(json_array_get(res, 0), "summary.failed_checks")
                     : NULL;
    int has = 0;
    for (size_t i = 0; fc && json_is_array(fc) && i < json_array_size(fc); i++)
        has |= json_string_value(json_array_get(fc, i)) &&
               strcmp(json_string_value(json_array_get(fc, i)), "staff_registry") == 0;
    EXPECT(r, has, "expected summary.failed_checks to hold \"staff_registry\"");

    PUBLISH_OK(c, "schools", orig);
    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->valid.name);
}

static void test_replaced_trust_anchors_make_codes_invalid_by_chain(void **state)
{
    ctx_t *c = *state;
    const char *dir = harness_printf("%s/other-root", c->tmp);
    harness_run_t k;
    const char *argv[] = {"bash", FIXTURES_SCRIPT, "root", dir, NULL};
    harness_run(&k, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_EXPECT_EXIT(&k, 0);
    pf_expect_api_status(c, c->valid.code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->valid.code)), c->valid.name); /* fills the caches */
    /* the stored CRLs of the demo's CAs stop verifying: the flag says so */
    PUBLISH_OK(c, "trust", harness_printf("%s/other-root.pem", dir), "--drop-unverifiable-crls");

    pf_expect_api_invalid(c, c->valid.code, "chain");
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->valid.code));
    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, c->valid.name),
           "expected no pupil name (%s) on the invalid page, it is there", c->valid.name);

    PUBLISH_OK(c, "trust", harness_printf("%s/trust/anchors.pem", c->demo),
               harness_printf("%s/trust/intermediates.pem", c->demo));
    pf_expect_api_status(c, c->valid.code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->valid.code)), c->valid.name);
}

/* docs/index-format.md: a docs value is a 28-byte header, the payload
 * (compressed), the .p7s. One letter of the remarks changes and the record
 * is stored again consistently; the JSON stays well-formed. */
static void test_tampered_payload_byte_answers_invalid_integrity(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name); /* fills the caches */
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, code, "\"remarks\": \"", &len);

    resp_t *r = pf_get(c, harness_printf("/v/%s", code));
    resp_t *a = pf_get(c, harness_api_path(code));
    resp_t *p = pf_get(c, harness_printf("/v/%s/print", code));
    pf_lmdb_put(c, "docs", code, 16, orig, len, 0); /* before any assertion can jump out */

    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, c->tamper.name),
           "expected no pupil name (%s) on the page of an altered record", c->tamper.name);
    EXPECT(p, !http_body_has(p, c->tamper.name),
           "expected no pupil name (%s) on the print page of an altered record", c->tamper.name);
    EXPECT_STATUS(a, 200);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a, st && strcmp(st, "invalid") == 0,
           "expected \"status\": \"invalid\" for an altered record, got %s", st ? st : "none");
    EXPECT(a, json_is_null(json_object_get(j, "transcript")),
           "expected \"transcript\": null for an altered record");
    EXPECT(a, pf_failed_check(j, "integrity") != NULL, "expected a failed \"integrity\" check, found none");

    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name);
}

/* ---- tests: secondary transcripts (hocba.trunghoc.v1) ------------------------------------------- */

/* The number tokens of a JSON text, in order, outside its strings, each followed by a space. */
static const char *number_tokens(const char *p, size_t n)
{
    char *out = harness_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                i += p[i] == '\\';
        } else if (p[i] == '-' || isdigit((unsigned char)p[i])) {
            size_t j = i;
            while (j < n && strchr("0123456789+-.eE", p[j]) != NULL)
                j++;
            memcpy(out + k, p + i, j - i);
            k += j - i;
            out[k++] = ' ';
            i = j - 1;
        }
    }
    out[k] = '\0';
    return out;
}

/* A score of a payload's first subject by score, as the page shows it: one
 * decimal after a comma (Vietnamese) or a point (English). */
static const char *first_year_shown(ctx_t *c, const pupil_t *p, int english)
{
    size_t len;
    char *text = harness_read_file(harness_printf("%s/batch/%s.json", c->demo, p->stem), &len);
    json_t *subjects = json_object_get(http_json_parse(text, len), "subjects");
    for (size_t i = 0; subjects && json_is_array(subjects) && i < json_array_size(subjects); i++) {
        json_t *year = json_object_get(json_array_get(subjects, i), "year");
        if (year && json_is_number(year)) {
            long tenths = lround(json_number_value(year) * 10);
            return harness_printf("class=\"num\">%ld%c%ld</td>", tenths / 10, english ? '.' : ',',
                                  tenths % 10);
        }
    }
    fail_msg("%s: expected a subject by score with a year's average", p->stem);
    return NULL;
}

/* http.md: pages lay a transcript out by its schema, in both languages, on
 * screen and in print. A THCS grade-9 record with HOAN_THANH shows the
 * confirmation of lower secondary, the semester and year columns, scores
 * with a decimal comma (a point in English); a THPT grade-12 record its
 * level and electives and no such confirmation; neither any primary block. */
static void test_secondary_pages_are_laid_out_by_their_schema_in_both_languages(void **state)
{
    ctx_t *c = *state;
    static const char *const pages[] = {"", "?lang=en", "/print", "/print?lang=en"};
    for (size_t k = 0; k < 4; k++) {
        int en = strstr(pages[k], "lang=en") != NULL;
        resp_t *r = pf_get(c, harness_printf("/v/%s%s", c->sec9.code, pages[k]));
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r, c->sec9.name);
        EXPECT_BODY_HAS(r, en ? "<p class=\"completion\"><strong>Completed lower secondary education</strong>"
                              : "<p class=\"completion\"><strong>Đã hoàn thành chương trình trung học cơ "
                                "sở</strong>");
        EXPECT_BODY_HAS(r, en ? "Lower secondary education · Class 9A" : "Cấp Trung học cơ sở · Lớp 9A");
        EXPECT_BODY_HAS(r, en ? "<th scope=\"col\" class=\"num\">Semester II</th>"
                              : "<th scope=\"col\" class=\"num\">Học kì II</th>");
        EXPECT_BODY_HAS(r, first_year_shown(c, &c->sec9, en));
        EXPECT_BODY_LACKS(r, en ? "Primary education" : "Cấp Tiểu học");
        EXPECT_BODY_LACKS(r, "grid-subjects");
        r = pf_get(c, harness_printf("/v/%s%s", c->sec12.code, pages[k]));
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r,
                        en ? "Upper secondary education · Class 12A" : "Cấp Trung học phổ thông · Lớp 12A");
        EXPECT_BODY_HAS(r, en ? "<span class=\"elective\">(elective)</span>"
                              : "<span class=\"elective\">(môn lựa chọn)</span>");
        EXPECT(r, http_body_count(r, "class=\"elective\"") == 4, "expected four electives on %s, found %zu",
               r->what, http_body_count(r, "class=\"elective\""));
        EXPECT_BODY_HAS(r, en ? "Completed upper secondary education"
                              : "Hoàn thành chương trình trung học phổ thông");
        EXPECT_BODY_LACKS(r, "class=\"completion\"");
        EXPECT_BODY_HAS(r, first_year_shown(c, &c->sec12, en));
    }
}

/* http.md: "transcript" is the payload as signed. Every number of a
 * secondary transcript's answer is as the signed bytes write it (7.8, not
 * jansson's 7.7999999999999998; 8.0 and 8 as they were), in the same order. */
static void test_secondary_api_gives_every_number_as_signed(void **state)
{
    ctx_t *c = *state;
    const pupil_t *ps[] = {&c->sec9, &c->sec12, &c->sec_tamper};
    for (size_t i = 0; i < 3; i++) {
        resp_t *r;
        json_t *j = pf_api(c, ps[i]->code, &r);
        const char *schema = json_string_value(http_json_path(j, "transcript.schema")),
                   *st = json_string_value(json_object_get(j, "status"));
        EXPECT(r, st && strcmp(st, "valid") == 0 && schema && strcmp(schema, "hocba.trunghoc.v1") == 0,
               "expected a valid hocba.trunghoc.v1 transcript, got %s, %s", st ? st : "none",
               schema ? schema : "none");
        size_t len;
        char *signed_bytes =
            harness_read_file(harness_printf("%s/batch/%s.json", c->demo, ps[i]->stem), &len);
        const char *t = r->body ? strstr(r->body, "\"transcript\":") : NULL;
        EXPECT(r, signed_bytes && t, "expected the payload %s and a \"transcript\" member", ps[i]->stem);
        const char *want = number_tokens(signed_bytes, len);
        const char *got = number_tokens(t, r->bodylen - (size_t)(t - r->body));
        EXPECT(r, strcmp(want, got) == 0, "expected the numbers of %s as signed:\n  %s\ngot\n  %s",
               ps[i]->stem, want, got);
        EXPECT(r, strstr(want, ".0 ") != NULL || strstr(want, ".5 ") != NULL,
               "expected one-decimal scores in %s", ps[i]->stem);
    }
}

/* A recalled secondary transcript answers as a primary one does: recalled,
 * its replacement named and linked both ways, in the API, on its pages
 * (the paper marked as withdrawn, still laid out as secondary) and in a
 * batch verify, beside valid secondary codes. */
static void test_secondary_recalled_replaced_and_batch_verified(void **state)
{
    ctx_t *c = *state;
    resp_t *r;
    json_t *j = pf_api(c, c->sec_old, &r);
    const char *s = json_string_value(json_object_get(j, "status")),
               *by = json_string_value(http_json_path(j, "recall.superseded_by"));
    EXPECT(r, s && strcmp(s, "recalled") == 0 && by && strcmp(by, c->sec_new) == 0,
           "expected %s recalled and superseded by %s, got %s and %s", c->sec_old, c->sec_new, s ? s : "none",
           by ? by : "none");
    EXPECT_BODY_HAS(r, "\"reason\":\"Sai sót điểm trung bình học kì II môn Toán, đã cấp học bạ thay thế\"");
    j = pf_api(c, c->sec_new, &r);
    s = json_string_value(json_object_get(j, "supersedes"));
    EXPECT(r, s && strcmp(s, c->sec_old) == 0, "expected %s to supersede %s, got %s", c->sec_new, c->sec_old,
           s ? s : "none");
    const char *const pages[] = {"", "?lang=en", "/print", "/print?lang=en"};
    for (size_t k = 0; k < 4; k++) {
        const char *kept =
            strstr(pages[k], "lang=en") ? "?lang&#61;en" : ""; /* a value's = is written &#61; */
        r = pf_get(c, harness_printf("/v/%s%s", c->sec_old, pages[k]));
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r, "paper paper-withdrawn");
        EXPECT_BODY_HAS(r, "grid-scores");
        EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s%s\"", c->sec_new, kept));
        r = pf_get(c, harness_printf("/v/%s%s", c->sec_new, pages[k]));
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r, "class=\"completion\"");
        EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s%s\"", c->sec_old, kept));
    }
    const char *body = harness_printf("{\"codes\": [\"%s\", \"%s\", \"%s\", \"%s\"]}", c->sec9.code,
                                      c->sec_old, c->sec12.code, c->sec_new);
    r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    const char *want[] = {"valid", "recalled", "valid", "valid"};
    EXPECT(r, res && json_is_array(res) && json_array_size(res) == 4, "expected 4 results, got %s",
           http_json_type(res));
    for (size_t i = 0; i < 4; i++) {
        s = json_string_value(json_object_get(json_array_get(res, i), "status"));
        EXPECT(r, s && strcmp(s, want[i]) == 0, "expected results[%zu] %s, got %s", i, want[i],
               s ? s : "none");
    }
    by = json_string_value(http_json_path(json_array_get(res, 1), "summary.superseded_by"));
    EXPECT(r, by && strcmp(by, c->sec_new) == 0, "expected results[1].summary.superseded_by %s", c->sec_new);
}

/* An altered secondary record is invalid like any other: its page and
 * print copy (both languages) show the failed check and nothing of the
 * transcript (no pupil, no results table, no confirmation), the API
 * "transcript": null; once restored it is valid again. */
static void test_secondary_altered_record_answers_invalid_in_both_languages(void **state)
{
    ctx_t *c = *state;
    const char *code = c->sec_tamper.code;
    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->sec_tamper.name); /* fills the caches */
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, code, "\"remarks\": \"", &len);
    const char *const pages[] = {"", "?lang=en", "/print", "/print?lang=en"};
    resp_t *r[4];
    for (size_t k = 0; k < 4; k++)
        r[k] = pf_get(c, harness_printf("/v/%s%s", code, pages[k]));
    resp_t *a = pf_get(c, harness_api_path(code));
    pf_lmdb_put(c, "docs", code, 16, orig, len, 0); /* before any assertion can jump out */
    for (size_t k = 0; k < 4; k++) {
        EXPECT_STATUS(r[k], 200);
        EXPECT_BODY_HAS(r[k], "verdict verdict-invalid");
        EXPECT_BODY_LACKS(r[k], "grid-scores");
        EXPECT_BODY_LACKS(r[k], "class=\"completion\"");
        pf_expect_invalid_names_nobody(r[k], &c->sec_tamper);
    }
    EXPECT_STATUS(a, 200);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a,
           st && strcmp(st, "invalid") == 0 && json_is_null(json_object_get(j, "transcript")) &&
               pf_failed_check(j, "integrity") != NULL,
           "expected invalid, \"transcript\": null and a failed integrity check, got %s", st ? st : "none");
    pf_expect_invalid_names_nobody(a, &c->sec_tamper);
    pf_expect_api_status(c, code, "valid");
}

/* package-format.md §2: a code is made from its payload's SHA-256. A genuine
 * record copied under another record's code (an index altered or damaged
 * after publication) is not shown as that code's transcript, although every
 * signature in it verifies; the caches, warm for the code, do not answer. */
static void test_record_under_another_code_answers_invalid(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name); /* fills the caches */
    size_t len, vlen;
    unsigned char *orig = pf_lmdb_get(c, "docs", code, 16, &len);
    unsigned char *other = pf_lmdb_get(c, "docs", c->valid.code, 16, &vlen);
    if (!orig || !other)
        fail_msg("expected docs records for %s and %s in the index", code, c->valid.code);
    pf_lmdb_put(c, "docs", code, 16, other, vlen, 0);

    resp_t *r = pf_get(c, harness_printf("/v/%s", code));
    resp_t *a = pf_get(c, harness_api_path(code));
    resp_t *p = pf_get(c, harness_printf("/v/%s/print", code));
    pf_lmdb_put(c, "docs", code, 16, orig, len, 0); /* before any assertion can jump out */

    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, c->valid.name) && !http_body_has(r, c->tamper.name),
           "expected neither pupil (%s, %s) on the page of a record under another code", c->valid.name,
           c->tamper.name);
    EXPECT(p, !http_body_has(p, c->valid.name),
           "expected no pupil (%s) on the print page of a record under another code", c->valid.name);
    EXPECT_STATUS(a, 200);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a, st && strcmp(st, "invalid") == 0,
           "expected \"status\": \"invalid\" for a record under another code, got %s", st ? st : "none");
    EXPECT(a, json_is_null(json_object_get(j, "transcript")),
           "expected \"transcript\": null for a record under another code");
    json_t *f = pf_failed_check(j, "integrity");
    const char *detail = f ? json_string_value(json_object_get(f, "detail")) : NULL;
    EXPECT(a, detail && strstr(detail, "lookup code"),
           "expected a failed \"integrity\" check that names the lookup code, got %s",
           detail ? detail : "none");

    pf_expect_api_status(c, code, "valid");
    pf_expect_api_status(c, c->valid.code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name);
}

/* docs/index-format.md: a record ends with the SHA-256 of each certificate
 * it carries, stored once in "certs". One bit of each (in its CA signature,
 * so it still parses; a CA certificate the trust store holds anyway would
 * not matter alone) changes under an answer that is cached: the very next
 * request must not be served from the cache. */
static void test_tampered_certificates_answer_invalid_with_caches_warm(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name); /* fills the caches */
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name); /* served from them */
    size_t len, clen[16];
    unsigned char *rec = pf_lmdb_get(c, "docs", code, 16, &len), *cert[16];
    if (!rec || len < 28 + 32 || rec[0] != 3)
        fail_msg("expected a docs record of format 3 for %s", code);
    unsigned n = (unsigned)rec[2] | (unsigned)rec[3] << 8;
    if (n == 0 || n > 16 || 28 + 32 * (size_t)n > len)
        fail_msg("expected the record of %s to name 1 to 16 certificates, it names %u", code, n);
    const unsigned char *hashes = rec + len - 32 * (size_t)n;
    for (unsigned i = 0; i < n; i++) {
        cert[i] = pf_lmdb_get(c, "certs", hashes + 32 * i, 32, &clen[i]);
        if (!cert[i] || clen[i] < 64)
            fail_msg("expected certificate %u of %u named by %s in \"certs\"", i + 1, n, code);
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned char *bad = harness_malloc(clen[i]);
        memcpy(bad, cert[i], clen[i]);
        bad[clen[i] - 3] ^= 0x01;
        pf_lmdb_put(c, "certs", hashes + 32 * i, 32, bad, clen[i], 0);
    }

    resp_t *r = pf_get(c, harness_printf("/v/%s", code));
    resp_t *a = pf_get(c, harness_api_path(code));
    for (unsigned i = 0; i < n; i++) /* before any assertion can jump out */
        pf_lmdb_put(c, "certs", hashes + 32 * i, 32, cert[i], clen[i], 0);

    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, c->tamper.name),
           "expected no pupil name (%s) on the page once the record's certificates are altered",
           c->tamper.name);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a, st && strcmp(st, "invalid") == 0,
           "expected \"status\": \"invalid\" once the record's certificates are altered, got %s",
           st ? st : "none");
    pf_expect_api_status(c, code, "valid");
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", code)), c->tamper.name);
}

static void test_recall_and_reissue_published_while_serving(void **state)
{
    ctx_t *c = *state;
    const char *old = c->victim.code, *dir = harness_printf("%s/reissue", c->tmp);
    pf_expect_api_status(c, old, "valid");
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", old)), 200); /* fills the caches */
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/print", old)), 200);
    harness_run_t k;
    const char *argv[] = {"bash", FIXTURES_SCRIPT, "reissue", c->demo, dir, c->victim.stem, old, NULL};
    harness_run(&k, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_EXPECT_EXIT(&k, 0);
    char notice[17] = "", fresh[17] = "";
    HARNESS_CHECK_RUN(sscanf(k.out, "%16s\t%16s", notice, fresh) == 2 && strlen(fresh) == 16, &k,
                      "expected RECALL_CODE<TAB>NEW_CODE from the fixtures script, got \"%.200s\"", k.out);
    PUBLISH_OK(c, "batch", dir);

    resp_t *r;
    json_t *j = pf_api(c, old, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "recalled") == 0, "expected %s \"recalled\" right after the batch, got %s", old,
           s ? s : "none");
    s = json_string_value(http_json_path(j, "recall.superseded_by"));
    EXPECT(r, s && strcmp(s, fresh) == 0, "expected recall.superseded_by \"%s\", got %s", fresh,
           s ? s : "none");
    j = pf_api(c, fresh, &r);
    s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "valid") == 0, "expected the replacement %s \"valid\", got %s", fresh,
           s ? s : "none");
    s = json_string_value(json_object_get(j, "supersedes"));
    EXPECT(r, s && strcmp(s, old) == 0, "expected \"supersedes\": \"%s\", got %s", old, s ? s : "none");
    r = pf_get(c, harness_printf("/v/%s", old));
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s\"", fresh));
    r = pf_get(c, harness_printf("/v/%s", fresh));
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s\"", old));
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", notice)), 404);
    /* the verify route sees it too */
    const char *body = harness_printf("{\"codes\": [\"%s\"]}", old);
    r = pf_post_json(c, "/api/v1/verify", body, strlen(body));
    EXPECT_STATUS(r, 200);
    json_t *res = json_object_get(http_expect_json(r), "results");
    const char *st = res && json_is_array(res) && json_array_size(res) == 1
                         ? json_string_value(json_object_get(json_array_get(res, 0), "status"))
                         : NULL;
    EXPECT(r, st && strcmp(st, "recalled") == 0, "expected verify to say \"recalled\" for %s, got %s", old,
           st ? st : "none");
}

/* docs/portal.md: a recall is final; the transcript stays recalled even
 * when the notice's own signatures stop verifying. */
static void test_recalled_stays_recalled_when_its_notice_no_longer_verifies(void **state)
{
    ctx_t *c = *state;
    pf_expect_api_status(c, c->recalled_old, "recalled");
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, c->notice, "\"reason\": \"", &len);
    resp_t *a = pf_get(c, harness_api_path(c->recalled_old));
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->recalled_old));
    pf_lmdb_put(c, "docs", c->notice, 16, orig, len, 0);
    EXPECT_STATUS(a, 200);
    const char *st = json_string_value(json_object_get(http_expect_json(a), "status"));
    EXPECT(a, st && strcmp(st, "recalled") == 0,
           "expected %s to stay \"recalled\" with its recall notice altered, got %s", c->recalled_old,
           st ? st : "none");
    /* the altered text is not the school's: neither it nor the date is shown */
    EXPECT(a,
           json_is_null(http_json_path(http_expect_json(a), "recall.reason")) &&
               json_is_null(http_json_path(http_expect_json(a), "recall.recalled_on")),
           "expected no recall reason or date from an altered recall notice");
    EXPECT_STATUS(r, 200);
    resp_t *ok = pf_get(c, harness_api_path(c->recalled_old));
    const char *reason = json_string_value(http_json_path(http_expect_json(ok), "recall.reason"));
    EXPECT(ok, reason && *reason, "expected the recall reason once the notice is restored");
}

/* A replacement link to a transcript that does not supersede this one (an
 * index altered or damaged after publication) is not followed: the recalled
 * transcript names no replacement rather than another pupil's record. */
static void test_replacement_link_to_another_transcript_is_not_named(void **state)
{
    ctx_t *c = *state;
    char key[17];
    size_t len;
    memcpy(key, c->recalled_old, 16);
    key[16] = 's'; /* INDEX_LINK_SUPERSEDED_BY */
    char *orig = pf_lmdb_get(c, "links", key, sizeof key, &len);
    if (!orig || len != 16)
        fail_msg("expected a replacement link for %s in the index", c->recalled_old);
    pf_lmdb_put(c, "links", key, sizeof key, c->valid.code, 16, 0);
    resp_t *a = pf_get(c, harness_api_path(c->recalled_old));
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->recalled_old));
    pf_lmdb_put(c, "links", key, sizeof key, orig, len, 0);
    EXPECT_STATUS(a, 200);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a, st && strcmp(st, "recalled") == 0, "expected \"recalled\", got %s", st ? st : "none");
    EXPECT(a, json_is_null(http_json_path(j, "recall.superseded_by")),
           "expected recall.superseded_by null for a link to a transcript that does not supersede it, got %s",
           http_json_type(http_json_path(j, "recall.superseded_by")));
    EXPECT(r, !http_body_has(r, c->valid.code), "expected no link to %s on the page of %s", c->valid.code,
           c->recalled_old);
    const char *by = json_string_value(
        http_json_path(http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.superseded_by"));
    EXPECT(a, by && strcmp(by, c->recalled_new) == 0,
           "expected recall.superseded_by \"%s\" once restored, got %s", c->recalled_new, by ? by : "none");
}

/* The replacement's record is part of a recalled transcript's answer (is it
 * still the record its code was made from?): altered under an answer that
 * is cached, the very next answer names no replacement. */
static void test_altered_replacement_is_not_named_with_caches_warm(void **state)
{
    ctx_t *c = *state;
    const char *by = json_string_value(
        http_json_path(http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.superseded_by"));
    if (!by || strcmp(by, c->recalled_new) != 0)
        fail_msg("expected %s to name its replacement %s before the change", c->recalled_old,
                 c->recalled_new);
    pf_get(c, harness_api_path(c->recalled_old)); /* served from the cache */
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, c->recalled_new, "\"remarks\": \"", &len);
    resp_t *a = pf_get(c, harness_api_path(c->recalled_old));
    pf_lmdb_put(c, "docs", c->recalled_new, 16, orig, len, 0);
    EXPECT_STATUS(a, 200);
    EXPECT(a, json_is_null(http_json_path(http_expect_json(a), "recall.superseded_by")),
           "expected recall.superseded_by null once the replacement's record is altered, got %s",
           http_json_type(http_json_path(http_expect_json(a), "recall.superseded_by")));
    by = json_string_value(
        http_json_path(http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.superseded_by"));
    EXPECT(a, by && strcmp(by, c->recalled_new) == 0,
           "expected recall.superseded_by \"%s\" once restored, got %s", c->recalled_new, by ? by : "none");
}

/* Records anyone who can write to the index could make: a payload altered
 * and stored under its own new code, so that its code checks out, but its
 * signatures are the original's. Linked as the notice or as the replacement
 * of a recalled transcript, neither is shown: what is shown as the school's
 * must verify now. */
static void test_recall_notice_and_replacement_must_verify(void **state)
{
    ctx_t *c = *state;
    struct {
        const char *record, *after;
        char link;
        const char *member;
    } forged[] = {{c->notice, "\"reason\": \"", 'r', "recall.reason"},
                  {c->recalled_new, "\"remarks\": \"", 's', "recall.superseded_by"}};
    for (size_t i = 0; i < 2; i++) {
        char key[17], newcode[17];
        size_t nlen, len, olen;
        unsigned char *orig;
        unsigned char *bad =
            pf_altered_record(c, forged[i].record, forged[i].after, &nlen, newcode, &orig, &len);
        memcpy(key, c->recalled_old, 16);
        key[16] = forged[i].link;
        char *link = pf_lmdb_get(c, "links", key, sizeof key, &olen);
        if (!link || olen != 16)
            fail_msg("expected a link '%c' for %s in the index", forged[i].link, c->recalled_old);
        pf_lmdb_put(c, "docs", newcode, 16, bad, nlen, 0);
        pf_lmdb_put(c, "links", key, sizeof key, newcode, 16, 0);
        resp_t *a = pf_get(c, harness_api_path(c->recalled_old));
        pf_lmdb_put(c, "links", key, sizeof key, link, olen, 0);
        pf_lmdb_put(c, "docs", newcode, 16, NULL, 0, 0);
        EXPECT_STATUS(a, 200);
        json_t *j = http_expect_json(a);
        const char *st = json_string_value(json_object_get(j, "status"));
        EXPECT(a, st && strcmp(st, "recalled") == 0, "expected \"recalled\", got %s", st ? st : "none");
        EXPECT(a, json_is_null(http_json_path(j, forged[i].member)),
               "expected %s null when it comes from a record whose signatures fail, got %s", forged[i].member,
               http_json_type(http_json_path(j, forged[i].member)));
    }
    json_t *j = http_expect_json(pf_get(c, harness_api_path(c->recalled_old)));
    const char *reason = json_string_value(http_json_path(j, "recall.reason")),
               *by = json_string_value(http_json_path(j, "recall.superseded_by"));
    if (!reason || !*reason || !by || strcmp(by, c->recalled_new) != 0)
        fail_msg("expected %s to show its own recall reason and replacement once restored", c->recalled_old);
}

/* A replacement link that cannot be read (damaged) means no replacement,
 * with the caches on as without: the transcript still answers, twice. */
static void test_damaged_replacement_link_answers_as_without_caches(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    char key[17];
    memcpy(key, code, 16);
    key[16] = 's'; /* INDEX_LINK_SUPERSEDED_BY */
    pf_expect_api_status(c, code, "valid");
    pf_lmdb_put(c, "links", key, sizeof key, "abc", 3, 0);
    resp_t *a = pf_get(c, harness_api_path(code));
    resp_t *b = pf_get(c, harness_api_path(code));
    pf_lmdb_put(c, "links", key, sizeof key, NULL, 0, 0);
    EXPECT_STATUS(a, 200);
    EXPECT_STATUS(b, 200);
    const char *st = json_string_value(json_object_get(http_expect_json(b), "status"));
    EXPECT(b, st && strcmp(st, "valid") == 0, "expected \"valid\" with a damaged replacement link, got %s",
           st ? st : "none");
}

/* A recall link that cannot be read (damaged) is "cannot check now" for a
 * record that verifies, and changes nothing for one that does not: that is
 * invalid whatever its recall state. The portal with caches answers as the
 * one without (it had answered 503 for both). */
static void test_damaged_recall_link_answers_as_without_caches(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code, *nocache = "127.0.0.30";
    char key[17];
    memcpy(key, code, 16);
    key[16] = 'r';      /* INDEX_LINK_RECALLED_BY */
    pf_start_rl_portal(c); /* --cache-entries 0 */
    pf_expect_api_status(c, code, "valid");
    pf_lmdb_put(c, "links", key, sizeof key, "abc", 3, 0);
    resp_t *v1 = pf_get(c, harness_api_path(code));
    resp_t *v2 = pf_get(c, harness_printf("/v/%s", code));
    resp_t *v3 = pf_rl_get(c, nocache, harness_api_path(code));
    size_t len;
    unsigned char *orig = pf_tamper_payload(c, code, "\"remarks\": \"", &len);
    resp_t *i1 = pf_get(c, harness_api_path(code));
    resp_t *i2 = pf_get(c, harness_api_path(code));
    resp_t *i3 = pf_rl_get(c, nocache, harness_api_path(code));
    resp_t *ip = pf_get(c, harness_printf("/v/%s", code));
    pf_lmdb_put(c, "docs", code, 16, orig, len, 0); /* before any assertion can jump out */
    pf_lmdb_put(c, "links", key, sizeof key, NULL, 0, 0);

    http_expect_problem(v1, 503, "unavailable");
    EXPECT_STATUS(v2, 503);
    http_expect_problem(v3, 503, "unavailable");
    for (int k = 0; k < 3; k++) {
        resp_t *a = k == 0 ? i1 : k == 1 ? i2 : i3;
        EXPECT_STATUS(a, 200);
        const char *st = json_string_value(json_object_get(http_expect_json(a), "status"));
        EXPECT(a, st && strcmp(st, "invalid") == 0,
               "expected \"invalid\" for an altered record with a damaged recall link (%s), got %s",
               k == 2   ? "no caches"
               : k == 1 ? "second request"
                        : "first request",
               st ? st : "none");
    }
    EXPECT_STATUS(ip, 200);
    EXPECT(ip, !http_body_has(ip, c->tamper.name),
           "expected no pupil name (%s) on the page of an altered record", c->tamper.name);
    pf_expect_api_status(c, code, "valid");
}

/* A recall link to a notice that recalls another transcript (an index
 * altered or damaged after publication): the transcript shows recalled, as
 * any recall link makes it, but not the other record's reason and date. */
static void test_recall_link_to_another_records_notice_shows_no_reason(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    char key[17];
    memcpy(key, code, 16);
    key[16] = 'r'; /* INDEX_LINK_RECALLED_BY */
    pf_expect_api_status(c, code, "valid");
    pf_lmdb_put(c, "links", key, sizeof key, c->notice, 16, 0);
    resp_t *a = pf_get(c, harness_api_path(code));
    pf_lmdb_put(c, "links", key, sizeof key, NULL, 0, 0);
    EXPECT_STATUS(a, 200);
    json_t *j = http_expect_json(a);
    const char *st = json_string_value(json_object_get(j, "status"));
    EXPECT(a, st && strcmp(st, "recalled") == 0, "expected \"recalled\" with a recall link, got %s",
           st ? st : "none");
    EXPECT(a,
           json_is_null(http_json_path(j, "recall.reason")) &&
               json_is_null(http_json_path(j, "recall.recalled_on")),
           "expected no reason or date from a notice that recalls another transcript");
    pf_expect_api_status(c, code, "valid");
    const char *reason = json_string_value(
        http_json_path(http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.reason"));
    EXPECT(a, reason && *reason, "expected %s still to show its own recall reason", c->recalled_old);
}

/* docs/index-format.md: a record whose lengths do not add up is damaged:
 * "cannot check now" (503), never a verdict. */
static void test_damaged_record_answers_503_not_invalid(void **state)
{
    ctx_t *c = *state;
    const char *code = c->tamper.code;
    size_t len;
    unsigned char *orig = pf_lmdb_get(c, "docs", code, 16, &len);
    if (!orig || len < 25)
        fail_msg("expected a docs record for %s in the index", code);
    pf_expect_api_status(c, code, "valid");
    pf_lmdb_put(c, "docs", code, 16, orig, len - 1, 0);
    resp_t *r = pf_get(c, harness_printf("/v/%s", code));
    resp_t *a = pf_get(c, harness_api_path(code));
    pf_lmdb_put(c, "docs", code, 16, orig, len, 0);
    EXPECT_STATUS(r, 503);
    pf_expect_html(r);
    EXPECT(r, !http_body_has(r, c->tamper.name), "expected no pupil name on the 503 page");
    http_expect_problem(a, 503, "unavailable");
    pf_expect_api_status(c, code, "valid");
}

/* http.md: trust inputs that cannot be read are "cannot check now", never
 * a verdict. The anchors change with trust_version + 1, as every change of
 * a trust input does; so does the restore. */
static void test_unreadable_trust_anchors_answer_503_not_invalid(void **state)
{
    ctx_t *c = *state;
    size_t len;
    char *orig = pf_lmdb_get(c, "meta", "anchors", 7, &len);
    if (!orig)
        fail_msg("expected meta/anchors in the index, found none");
    const char garbage[] =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    pf_lmdb_put(c, "meta", "anchors", 7, garbage, sizeof garbage - 1, 1);

    resp_t *r = pf_get(c, harness_printf("/v/%s", c->valid.code));
    resp_t *a = pf_get(c, harness_api_path(c->valid.code));
    resp_t *h = pf_get(c, "/healthz");
    pf_lmdb_put(c, "meta", "anchors", 7, orig, len, 1); /* before any assertion can jump out */

    EXPECT_STATUS(r, 503);
    pf_expect_html(r);
    EXPECT(r, !http_body_has(r, c->valid.name), "expected no pupil name on the 503 page");
    http_expect_problem(a, 503, "unavailable");
    EXPECT_STATUS(h, 503);

    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", c->valid.code)), 200);
    EXPECT_STATUS(pf_get(c, "/healthz"), 200);
    pf_expect_api_status(c, c->valid.code, "valid");
}

/* ---- tests: the public figures (GET /stats, GET /api/v1/stats) --------------------------------- */

/* A count of the API as the publisher's figure n must show: n from 10 on, else "<10". */
static int public_count_is(json_t *j, json_int_t n)
{
    return n >= 10 ? json_is_integer(j) && json_integer_value(j) == n
                   : json_is_string(j) && strcmp(json_string_value(j), "<10") == 0;
}

static json_t *body_json(const resp_t *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->bodylen, 0, &e);
    if (j == NULL)
        fail_msg("%s: the body is not JSON (%s): %.300s", r->what, e.text, r->body);
    return j;
}

/* The API row of a school year, level and province, or NULL. */
static json_t *api_row(json_t *api, const char *year, const char *level, const char *province)
{
    size_t i;
    json_t *row;
    json_array_foreach (json_object_get(api, "rows"), i, row)
        if (strcmp(json_string_value(json_object_get(row, "school_year")), year) == 0 &&
            strcmp(json_string_value(json_object_get(row, "level")), level) == 0 &&
            strcmp(json_string_value(json_object_get(row, "province")), province) == 0)
            return row;
    return NULL;
}

/* One tally cell of the public figures (docs/index-format.md): 'P', the year big-endian, the level, the
 * province; published, recalled, replaced as u64 LE. NULL counts delete it. */
static void put_province_cell(ctx_t *c, int year, int level, const char *province, const uint64_t *counts)
{
    unsigned char key[300], val[24];
    size_t pl = strlen(province);
    key[0] = 'P';
    key[1] = (unsigned char)(year >> 8);
    key[2] = (unsigned char)year;
    key[3] = (unsigned char)level;
    memcpy(key + 4, province, pl);
    for (int i = 0; counts != NULL && i < 24; i++)
        val[i] = (unsigned char)(counts[i / 8] >> (8 * (i % 8)));
    pf_lmdb_put(c, "tally", key, 4 + pl, counts != NULL ? val : NULL, sizeof val, 0);
}

/* Every province figure the publisher reports is in the API, masked under ten, and nothing else is:
 * no total, no finer cell. A cell written with counts on both sides of ten shows each as it must. */
static void test_stats_api_gives_the_publishers_figures_masked_under_ten(void **state)
{
    ctx_t *c = *state;
    static const uint64_t COUNTS[3] = {1234567, 9, 10};
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", COUNTS);
    harness_run_t run;
    const char *argv[] = {c->publish_bin, "--db", c->db, "stats", "--json", NULL};
    harness_run(&run, NULL, argv, CHILD_TIMEOUT_MS);
    if (run.status != 0) {
        harness_dump_run(&run);
        fail_msg("hocba-publish stats --json failed");
    }
    resp_t *r = pf_get(c, "/api/v1/stats");
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    json_t *api = body_json(r);
    assert_int_equal(json_integer_value(json_object_get(api, "shown_from")), 10);
    size_t lines = 0, masked = 0;
    for (char *line = strtok(run.out, "\n"); line != NULL; line = strtok(NULL, "\n"), lines++) {
        json_t *cli = json_loads(line, 0, NULL);
        assert_non_null(cli);
        const char *year = json_string_value(json_object_get(cli, "school_year"));
        const char *level = json_string_value(json_object_get(cli, "level"));
        const char *province = json_string_value(json_object_get(cli, "province"));
        json_t *row = api_row(api, year, level, province);
        if (row == NULL)
            fail_msg("GET /api/v1/stats has no row for %s %s %s", year, level, province);
        static const char *const COUNT_NAMES[] = {"published", "recalled", "replaced"};
        for (size_t k = 0; k < 3; k++) {
            json_int_t n = json_integer_value(json_object_get(cli, COUNT_NAMES[k]));
            masked += n < 10;
            if (!public_count_is(json_object_get(row, COUNT_NAMES[k]), n))
                fail_msg("%s %s %s: %s is %" JSON_INTEGER_FORMAT " to the publisher; the API gives %s", year,
                         level, province, COUNT_NAMES[k], n,
                         json_dumps(json_object_get(row, COUNT_NAMES[k]), JSON_ENCODE_ANY));
        }
        json_decref(cli);
    }
    assert_true(masked > 0 && lines > 1);
    assert_int_equal(json_array_size(json_object_get(api, "rows")), lines);
    json_t *test_row = api_row(api, "2030-2031", "THPT", "Tỉnh Thử Nghiệm");
    assert_non_null(test_row);
    assert_true(public_count_is(json_object_get(test_row, "published"), 1234567));
    assert_true(public_count_is(json_object_get(test_row, "recalled"), 9));
    assert_true(public_count_is(json_object_get(test_row, "replaced"), 10));
    json_decref(api);

    /* one school year: its rows only, every year still listed */
    api = body_json(pf_get(c, "/api/v1/stats?year=2030-2031"));
    assert_int_equal(json_array_size(json_object_get(api, "rows")), 1);
    assert_true(json_array_size(json_object_get(api, "school_years")) >= 2);
    json_decref(api);
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", NULL);
    api = body_json(pf_get(c, "/api/v1/stats"));
    assert_null(api_row(api, "2030-2031", "THPT", "Tỉnh Thử Nghiệm"));
    json_decref(api);
}

/* The page in each language: its heading, counts in the language's way, the chart as an image with a
 * name, a table a level, no script; the security headers of every HTML page. */
static void test_stats_page_shows_a_years_figures_in_each_language(void **state)
{
    ctx_t *c = *state;
    static const uint64_t COUNTS[3] = {1234567, 9, 10};
    static const struct {
        const char *path, *lang, *heading, *big, *title;
    } PAGES[] = {
        {"/stats?year=2030-2031", "vi", "<h1>Số liệu học bạ số đã phát hành</h1>", ">1.234.567<",
         "<title>Số liệu học bạ số — "},
        {"/stats?year=2030-2031&lang=en", "en", "<h1>Học bạ số transcripts published</h1>", ">1,234,567<",
         "<title>Học bạ số figures — "},
    };
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", COUNTS);
    for (size_t i = 0; i < sizeof PAGES / sizeof *PAGES; i++) {
        resp_t *r = pf_get(c, PAGES[i].path);
        EXPECT_STATUS(r, 200);
        pf_expect_html(r);
        pf_expect_html_security_headers(r);
        EXPECT_BODY_HAS(r, harness_printf("<html lang=\"%s\"", PAGES[i].lang));
        EXPECT_BODY_HAS(r, PAGES[i].heading);
        EXPECT_BODY_HAS(r, PAGES[i].title);
        EXPECT_BODY_HAS(r, PAGES[i].big);
        EXPECT_BODY_HAS(r, ">&lt;10<");
        EXPECT_BODY_HAS(r, "<svg viewBox=");
        EXPECT_BODY_HAS(r, "role=\"img\" aria-labelledby=\"chart-title\"");
        EXPECT_BODY_HAS(r, "<title id=\"chart-title\">");
        EXPECT_BODY_HAS(r, "Tỉnh Thử Nghiệm");
        EXPECT_BODY_HAS(r, "aria-current=\"page\" href=\"/stats?year=2030-2031");
        EXPECT_BODY_LACKS(r, "<script");
        EXPECT(r, http_body_count(r, "class=\"bar-published\"") == 1, "expected one published bar on %s",
               r->what);
    }
    /* the latest year that has begun by default, and links to every other */
    resp_t *r = pf_get(c, "/stats");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "aria-current=\"page\" href=\"/stats?year=2024-2025\"");
    EXPECT_BODY_HAS(r, "<a href=\"/stats?year=2030-2031\">");
    put_province_cell(c, 2030, 3, "Tỉnh Thử Nghiệm", NULL);
    /* the demo's own year: its primary chart, its levels to choose from */
    r = pf_get(c, "/stats?year=2024-2025&level=THCS");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "Cấp Trung học cơ sở, 2024-2025</h2>");
    EXPECT_BODY_HAS(r, "href=\"/stats?year=2024-2025&amp;level=TH#h-chart\"");
    /* a year without figures says so */
    r = pf_get(c, "/stats?year=2019-2020&lang=en");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "No Học bạ số transcript has been published for the school year 2019-2020.");
    EXPECT_BODY_LACKS(r, "class=\"stats-chart\"");
    /* every page links to it */
    EXPECT_BODY_HAS(pf_get(c, "/?lang=en"), "<a href=\"/stats?lang=en\">");
}

/* A school year or level the page cannot read is a 400 that says how to write one; a problem+json on
 * the API. Other methods are 405. */
static void test_stats_refuses_a_query_it_cannot_read(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *path;
        int status;
        const char *says; /* in the body */
    } CASES[] = {
        {"/stats?year=2024", 400, "2024-2025"},
        {"/stats?year=2024-2026", 400, "2024-2025"},
        {"/stats?year=2024-2025%00", 400, "2024-2025"},
        {"/stats?year=2024-2025xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 400, "2024-2025"},
        {"/stats?year=%32%30%32%34-%32%30%32%35", 200, "class=\"stats-chart\""},
        {"/stats?level=thcs", 400, "TH, THCS, THPT"},
        {"/stats?level=THCS%20", 400, "TH, THCS, THPT"},
        {"/stats?year=2024-2025&level=%3Cscript%3E", 400, "TH, THCS, THPT"},
        {"/stats?lang=en&level=X", 400, "A level is TH, THCS, THPT or GDTX."},
        {"/api/v1/stats?year=20242025", 400, "\"error\":\"bad_request\""},
        {"/api/v1/stats?year=", 200, "\"rows\":[{"},
        {"/api/v1/stats?level=anything", 200, "\"rows\":[{"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        resp_t *r = pf_get(c, CASES[i].path);
        EXPECT_STATUS(r, CASES[i].status);
        EXPECT_BODY_HAS(r, CASES[i].says);
        EXPECT_BODY_LACKS(r, "<script>");
        if (CASES[i].status == 400 && strncmp(CASES[i].path, "/api/", 5) == 0)
            http_expect_type(r, "application/problem+json");
    }
    resp_t *r = pf_request(c, "POST", "/stats", "Content-Type: text/plain\r\n", "x", 1);
    EXPECT_STATUS(r, 405);
    http_expect_header_has(r, "allow", "GET, HEAD");
    r = pf_request(c, "DELETE", "/api/v1/stats", NULL, NULL, 0);
    EXPECT_STATUS(r, 405);
    http_expect_type(r, "application/problem+json");
}

/* ---- tests: rate limits (a second portal, --rate-limit 10, and no caches: --cache-entries 0)
 * ------------------------------------ */

static void expect_429(const resp_t *r)
{
    EXPECT_STATUS(r, 429);
    const char *ra = http_header(r, "retry-after");
    char *end;
    long secs = ra ? strtol(ra, &end, 10) : 0;
    EXPECT(r, ra && *ra && *end == '\0' && secs > 0, "expected Retry-After as whole seconds > 0, got %s",
           ra ? ra : "none");
}

static void test_rate_limit_serves_a_code_at_most_n_times_then_429(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.2", *path = harness_printf("/v/%s", c->valid.code);
    int served = 0;
    resp_t *r = NULL;
    for (int i = 0; i < RL_LIMIT + 5; i++) {
        r = pf_rl_get(c, src, path);
        if (r->status != 200)
            break;
        served++;
    }
    expect_429(r);
    pf_expect_html(r);
    EXPECT(r, served <= RL_LIMIT && served >= RL_LIMIT - 1,
           "expected %d lookups served before the 429 (--rate-limit %d), got %d", RL_LIMIT, RL_LIMIT, served);
    r = http_request(src, c->rl_port, "GET", harness_api_path(c->valid.code), NULL, NULL, 0);
    http_expect_problem(r, 429, "rate_limited");
    expect_429(r);
}

/* docs/portal.md: a miss costs 5 tokens of 10, so the third miss is 429. */
static void test_rate_limit_misses_cost_five(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.3";
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[0])), 404);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[1])), 404);
    resp_t *r = pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[2]));
    expect_429(r);
    r = http_request(src, c->rl_port, "GET", harness_api_path(c->unknown[3]), NULL, NULL, 0);
    http_expect_problem(r, 429, "rate_limited");
}

static void test_rate_limit_never_applies_to_home_static_and_healthz(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.4";
    resp_t *r = NULL;
    for (int i = 0; i < 4 && (!r || r->status != 429); i++)
        r = pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[i]));
    expect_429(r);
    for (int i = 0; i < RL_LIMIT + 2; i++) {
        EXPECT_STATUS(pf_rl_get(c, src, "/"), 200);
        EXPECT_STATUS(pf_rl_get(c, src, "/static/style.css"), 200);
        EXPECT_STATUS(pf_rl_get(c, src, "/healthz"), 200);
    }
}

/* docs/portal.md: QR images cost only when the code is unknown. */
static void test_rate_limit_qr_of_a_known_code_costs_nothing(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.5";
    for (int i = 0; i < RL_LIMIT + 5; i++)
        EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->valid.code)), 200);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->valid.code)), 200);
}

/* docs/portal.md: a client out of tokens gets 429 for the QR of any code,
 * known or not: had only unknown codes been refused, the QR route would have
 * told it, without limit, which codes exist. */
static void test_rate_limit_qr_tells_nothing_once_the_bucket_is_empty(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.8";
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[0])), 404);
    EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/v/%s", c->unknown[1])), 404);
    resp_t *known = pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->valid.code));
    resp_t *unknown = pf_rl_get(c, src, harness_printf("/v/%s/qr.svg", c->unknown[2]));
    resp_t *png = pf_rl_get(c, src, harness_printf("/v/%s/qr.png", c->valid.code));
    expect_429(known);
    expect_429(unknown);
    expect_429(png);
}

/* docs/portal.md: /lookup with a bad code is a miss (5 tokens); a good one
 * only redirects, and costs nothing. */
static void test_rate_limit_bad_lookups_cost_five_and_good_ones_nothing(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *src = "127.0.0.6";
    for (int i = 0; i < RL_LIMIT + 5; i++)
        EXPECT_STATUS(pf_rl_get(c, src, harness_printf("/lookup?code=%s", pf_lower(c->valid.code))), 303);
    const char *typo = harness_printf("/lookup?code=%s", pf_bad_check(c->valid.code));
    EXPECT_STATUS(pf_rl_get(c, src, typo), 400);
    EXPECT_STATUS(pf_rl_get(c, src, typo), 400);
    expect_429(pf_rl_get(c, src, typo));
}

/* docs/portal.md: behind a --trusted-proxy (here 127.0.0.20), the client is
 * the address that proxy put last in X-Forwarded-For, each with its own
 * bucket and its own /24 in the access log; from any other peer the header
 * is the client's own and is not believed. */
static void test_rate_limit_believes_x_forwarded_for_only_from_a_trusted_proxy(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *path = harness_printf("/v/%s", c->valid.code);
    resp_t *r = NULL;
    int served = 0;
    for (int i = 0; i < RL_LIMIT + 3; i++) {
        r = http_request("127.0.0.20", c->rl_port, "GET", path, "X-Forwarded-For: 198.51.100.1\r\n", NULL, 0);
        served += r->status == 200;
    }
    expect_429(r);
    EXPECT(r, served <= RL_LIMIT, "expected at most %d answers for one forwarded client, got %d", RL_LIMIT,
           served);
    /* another client behind the same proxy has its own bucket; what a client
     * wrote itself before the proxy's address is not the client */
    EXPECT_STATUS(
        http_request("127.0.0.20", c->rl_port, "GET", path, "X-Forwarded-For: 198.51.100.2\r\n", NULL, 0),
        200);
    EXPECT_STATUS(
        http_request("127.0.0.20", c->rl_port, "GET", path,
                     "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.9, 2001:db8::7\r\n", NULL,
                     0),
        200);
    /* from a peer that is not a trusted proxy, the header changes nothing */
    served = 0;
    for (int i = 0; i < RL_LIMIT + 3; i++) {
        const char *fwd = harness_printf("X-Forwarded-For: 198.51.100.%d\r\n", 50 + i);
        r = http_request("127.0.0.21", c->rl_port, "GET", path, fwd, NULL, 0);
        served += r->status == 200;
    }
    expect_429(r);
    EXPECT(r, served <= RL_LIMIT,
           "expected at most %d answers for 127.0.0.21 whatever its X-Forwarded-For, got %d", RL_LIMIT,
           served);
    const char *needles[] = {"198.51.100.0 - - ", "2001:db8:: - - "};
    char *log = harness_read_file(harness_printf("%s/access-rl.log", c->tmp), NULL);
    for (int tries = 0; tries < 60 && !(log && strstr(log, needles[0]) && strstr(log, needles[1])); tries++) {
        harness_sleep_ms(50);
        log = harness_read_file(harness_printf("%s/access-rl.log", c->tmp), NULL);
    }
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1]))
        fail_msg("expected access log lines for the forwarded clients 198.51.100.0/24 and 2001:db8::/48");
    EXPECT(r, strstr(log, "198.51.100.50") == NULL && strstr(log, "198.51.100.0 - - ") != NULL,
           "expected no untrusted X-Forwarded-For address in the access log");
}

/* docs/portal.md: each code of a batch verify is a lookup. A batch of 100
 * unknown codes runs out of tokens after two of them (5 each, 10 tokens)
 * and is answered 429, as the same lookups one by one would be; the client
 * then waits. (Before, the whole batch was answered and the debt capped.) */
static void test_rate_limit_batch_verify_pays_for_each_code(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    const char *body = "{\"codes\": [";
    for (int i = 0; i < 100; i++)
        body = harness_printf("%s%s\"%.15s%c\"", body, i ? "," : "", c->unknown[i % 4],
                              "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[i % 32]);
    body = harness_printf("%s]}", body);
    resp_t *r = http_request("127.0.0.22", c->rl_port, "POST", "/api/v1/verify",
                             "Content-Type: application/json\r\n", body, strlen(body));
    expect_429(r);
    expect_429(pf_rl_get(c, "127.0.0.22", harness_printf("/v/%s", c->valid.code)));
}

/* docs/portal.md: with --metrics-listen, /metrics is only there. */
static void test_metrics_listen_moves_metrics_off_the_public_listener(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    resp_t *r = pf_rl_get(c, "127.0.0.7", "/metrics");
    EXPECT(r, r->status == 404,
           "expected 404 for /metrics on the public listener with --metrics-listen, got %d", r->status);
    r = http_request("127.0.0.7", c->rl_metrics_port, "GET", "/metrics", NULL, NULL, 0);
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "hocba_");
    r = http_request("127.0.0.7", c->rl_metrics_port, "POST", "/metrics", NULL, "x", 1);
    EXPECT_STATUS(r, 405);
    const char *allow = http_header(r, "allow");
    EXPECT(r, allow && strcmp(allow, "GET, HEAD") == 0, "expected Allow: GET, HEAD on /metrics, got %s",
           allow ? allow : "none");
}

/* hocba_open_connections{thread="i"} from the metrics listener, or -1. */
static int open_connections(ctx_t *c, int thread)
{
    resp_t *r = http_request("127.0.0.7", c->rl_metrics_port, "GET", "/metrics", NULL, NULL, 0);
    const char *needle = harness_printf("hocba_open_connections{thread=\"%d\"} ", thread);
    const char *at = r->status == 200 && r->body ? strstr(r->body, needle) : NULL;
    return at ? atoi(at + strlen(needle)) : -1;
}

/* Keep-alive clients stay on the thread that accepted them: connections go
 * to a thread with the fewest, so six clients that connect one after the
 * other are served three by each of the two threads. */
static void test_connections_are_spread_evenly_over_threads(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->rl_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *req = harness_printf("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", c->rl_port);
    int fds[6], n = 0;
    for (; n < 6; n++) {
        char tmp[512];
        struct pollfd p = {.events = POLLIN};
        fds[n] = p.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[n] < 0 || connect(fds[n], (struct sockaddr *)&a, sizeof a) != 0 ||
            send(fds[n], req, strlen(req), 0) <= 0 || poll(&p, 1, HTTP_TIMEOUT_MS) <= 0 ||
            recv(fds[n], tmp, sizeof tmp, 0) <= 0)
            break;
    }
    int t0 = open_connections(c, 0), t1 = open_connections(c, 1);
    for (int i = 0; i <= n && i < 6; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (n < 6)
        fail_msg("expected six keep-alive clients to be answered, client %d was not", n + 1);
    if (t0 != 3 || t1 != 3)
        fail_msg("expected 3 and 3 open connections on the two threads, got %d and %d", t0, t1);
    long start = harness_now_ms();
    while ((t0 = open_connections(c, 0)) + (t1 = open_connections(c, 1)) != 0 &&
           harness_now_ms() - start < HTTP_TIMEOUT_MS)
        harness_sleep_ms(20);
    if (t0 != 0 || t1 != 0)
        fail_msg("expected no open connection once the clients left, got %d and %d", t0, t1);
}

static void test_rate_limited_portal_stops_on_sigterm_with_exit_0(void **state)
{
    ctx_t *c = *state;
    pf_start_rl_portal(c);
    pid_t pid = c->rl_pid;
    /* an idle keep-alive connection, as a browser leaves one */
    int idle = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->rl_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *req = harness_printf("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", c->rl_port);
    char tmp[512];
    if (idle >= 0 && connect(idle, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(idle, req, strlen(req), 0) > 0) {
        struct pollfd p = {.fd = idle, .events = POLLIN};
        if (poll(&p, 1, HTTP_TIMEOUT_MS) > 0 && recv(idle, tmp, sizeof tmp, 0) > 0) {
        }
    }
    int st;
    int ended = harness_stop(pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    c->rl_pid = 0;
    if (idle >= 0)
        close(idle);
    if (!ended || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        harness_dump_file_tail("rate-limited portal output", c->rl_err);
        fail_msg(
            "expected exit status 0 within %d ms of SIGTERM (one idle keep-alive connection open), got: %s%s",
            STOP_TIMEOUT_MS, ended ? harness_wait_status_text(st) : "still running (killed)",
            harness_sanitizer_note(c->rl_err));
    }
}

/* ---- tests: access log --------------------------------------------------------------------- */

/* The log, once it has a line holding each needle (the portal may write a
 * line after the answer); NULL after 3 s. */
static char *log_with(ctx_t *c, const char *const *needles, size_t n)
{
    long start = harness_now_ms();
    for (;;) {
        size_t len;
        char *log = harness_read_file(c->log, &len);
        size_t found = 0;
        for (size_t i = 0; log && i < n; i++)
            found += strstr(log, needles[i]) != NULL;
        if (log && found == n)
            return log;
        if (harness_now_ms() - start > 3000)
            return log;
        harness_sleep_ms(50);
    }
}

static void expect_log_lacks(ctx_t *c, const char *log, const char *needle, const char *what)
{
    const char *at = strcasestr(log, needle);
    if (at) {
        const char *ls = at;
        while (ls > log && ls[-1] != '\n')
            ls--;
        size_t ll = strcspn(ls, "\n");
        fail_msg("expected the access log %s never to hold %s (%s), this line does: %.*s", c->log, what,
                 needle, (int)(ll > 400 ? 400 : ll), ls);
    }
}

/* The line of log holding needle, copied, or NULL. */
static const char *log_line(const char *log, const char *needle)
{
    const char *at = strstr(log, needle);
    if (!at)
        return NULL;
    const char *ls = at;
    while (ls > log && ls[-1] != '\n')
        ls--;
    return harness_strndup(ls, strcspn(ls, "\n"));
}

static void test_access_log_has_lines_without_code_or_name(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    size_t before = 0;
    harness_read_file(c->log, &before);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", code)), 200);
    EXPECT_STATUS(pf_get(c, harness_api_path(code)), 200);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", pf_grouped(code))), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?code=%s", pf_lower(pf_grouped(code)))), 303);
    const char *needles[] = {"GET /v/", "GET /api/v1/transcripts/", "GET /lookup?code="};
    long start = harness_now_ms();
    const char *fresh = "";
    char *log = NULL;
    for (;;) {
        size_t len;
        log = harness_read_file(c->log, &len);
        fresh = log && len > before ? log + before : "";
        int all = 1;
        for (size_t i = 0; i < 3; i++)
            all &= strstr(fresh, needles[i]) != NULL;
        if (all || harness_now_ms() - start > 3000)
            break;
        harness_sleep_ms(50);
    }
    if (!log)
        fail_msg("expected an access log at %s, there is none", c->log);
    for (size_t i = 0; i < 3; i++)
        if (!strstr(fresh, needles[i])) {
            harness_dump_file_tail("access log", c->log);
            fail_msg(
                "expected a new line with \"%s\" in the access log within 3 s of the request, found none",
                needles[i]);
        }
    const char *v = log_line(fresh, "GET /v/"), *a = log_line(fresh, "GET /api/v1/transcripts/");
    if (!strstr(v, " 200 ") || !strstr(a, " 200 "))
        fail_msg("expected the new /v/ and API lines to show status 200, got \"%s\" and \"%s\"", v, a);
    expect_log_lacks(c, log, code, "the lookup code");
    expect_log_lacks(c, log, pf_grouped(code), "the grouped lookup code");
    expect_log_lacks(c, log, c->valid2.name, "the pupil's name");
    for (size_t i = 0; i < c->ncodes; i++)
        expect_log_lacks(c, log, c->codes[i].code, "a lookup code");
    expect_log_lacks(c, log, c->xss.code, "a lookup code");
}

/* http.md: logs never hold a full lookup code, in whatever spelling it was
 * typed: with separators dropped and letters upper-cased, no line may
 * contain a published code. */
static void test_access_log_holds_no_code_in_any_spelling(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code, *lc = pf_lower(code);
    const char *typed[] = {harness_printf("%.4s%%20%.4s%%20%.4s%%20%.4s", lc, lc + 4, lc + 8, lc + 12),
                           harness_printf("%.4s+%.4s+%.4s+%.4s", lc, lc + 4, lc + 8, lc + 12),
                           harness_printf("%.4s.%.4s.%.4s.%.4s", code, code + 4, code + 8, code + 12),
                           harness_printf("%.2s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s", code, code + 2, code + 4,
                                          code + 6, code + 8, code + 10, code + 12, code + 14)};
    for (size_t i = 0; i < 4; i++)
        EXPECT_STATUS(pf_get(c, harness_printf("/lookup?code=%s", typed[i])), 303);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[2])), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[3])), 301);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/print", typed[2])), 301);
    EXPECT_STATUS(pf_get(c, harness_api_path(typed[2])), 200);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s", typed[0])), 404); /* '%' is not a path character of a code */
    const char *needles[] = {"GET /lookup?code="};
    size_t len;
    harness_sleep_ms(200);
    char *log = log_with(c, needles, 1);
    if (!log)
        fail_msg("expected an access log at %s, there is none", c->log);
    len = strlen(log);
    char *norm = harness_malloc(len + 1), *o = norm;
    for (size_t i = 0; i < len; i++) {
        if (log[i] == '%' && i + 2 < len && log[i + 1] == '2' && log[i + 2] == '0') {
            i += 2;
            continue;
        }
        if (strchr("-. +", log[i]) && log[i] != '\n')
            continue;
        *o++ = (char)toupper((unsigned char)log[i]);
    }
    *o = '\0';
    const char *at = strstr(norm, code);
    if (at) {
        harness_dump_file_tail("access log", c->log);
        fail_msg(
            "expected no line of the access log to spell %s (separators dropped, upper-cased); one does, "
            "near \"%.60s\"",
            code, at - norm > 30 ? at - 30 : norm);
    }
}

/* docs/portal.md: the value of a code parameter is hashed wherever it
 * stands in the query (the lookup form puts a chosen language first), a
 * code typed with separators a code does not allow ('_') is still a code,
 * and a long path is scrubbed whole before the line is cut, so no part of a
 * code straddles the cut. Not even its first 8 symbols may show. */
static void test_access_log_hashes_a_code_anywhere_in_the_query(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    char pad[400];
    memset(pad, '_', 373);
    pad[373] = '\0';
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?lang=en&code=%.4s_%.4s_%.4s_%.4s", code, code + 4, code + 8,
                                        code + 12)),
                  400);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?lang=en&code=%.8s", code)), 400);
    EXPECT_STATUS(pf_get(c, harness_printf("/?q=%.4s_%.4s_%.4s_%.4s", code, code + 4, code + 8, code + 12)),
                  200);
    EXPECT_STATUS(pf_get(c, harness_printf("/lookup?x=%s&code=%s", pad, code)), 303);
    const char *needles[] = {"GET /lookup?lang=en&code=h:", "GET /?q=h:", "GET /lookup?x=___"};
    char *log = log_with(c, needles, 3);
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1]) || !strstr(log, needles[2])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected hashed lines for /lookup?lang=en&code=, /?q= and /lookup?x= in %s", c->log);
    }
    size_t len = strlen(log);
    char *norm = harness_malloc(len + 1), *o = norm;
    for (size_t i = 0; i < len; i++)
        if (!strchr("_-. +", log[i]))
            *o++ = (char)toupper((unsigned char)log[i]);
    *o = '\0';
    const char *at = strstr(norm, harness_printf("%.8s", code));
    if (at) {
        harness_dump_file_tail("access log", c->log);
        fail_msg(
            "expected no line of the access log to hold the first 8 symbols of %s, one does, near \"%.60s\"",
            code, at - norm > 30 ? at - 30 : norm);
    }
}

/* Under /static/ only the files the portal serves are logged as they are:
 * a code anywhere else there, in the path or the query, is hashed. */
static void test_access_log_hashes_a_code_under_static(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid2.code;
    EXPECT_STATUS(pf_get(c, harness_printf("/static/%s", code)), 404);
    EXPECT_STATUS(pf_get(c, harness_printf("/static/style.css?code=%s", code)), 200);
    EXPECT_STATUS(pf_get(c, "/static/openapi.json"), 200);
    const char *needles[] = {"GET /static/openapi.json ", "GET /static/style.css?code="};
    char *log = log_with(c, needles, 2);
    if (!log || !strstr(log, needles[0]) || !strstr(log, needles[1])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected lines for GET /static/openapi.json and /static/style.css?code= in %s", c->log);
    }
    expect_log_lacks(c, log, code, "the lookup code");
}

/* docs/portal.md: the client address cut to /24. */
static void test_access_log_cuts_client_address_to_24(void **state)
{
    ctx_t *c = *state;
    /* short runs only: runs of 12 or more code-like characters are hashed */
    EXPECT_STATUS(pf_get(c, "/?lang=en&x=1"), 200);
    const char *needles[] = {"GET /?lang=en&x=1 "};
    char *log = log_with(c, needles, 1);
    if (!log || !strstr(log, needles[0])) {
        harness_dump_file_tail("access log", c->log);
        fail_msg("expected a line for GET /?lang=en&x=1 in %s, found none", c->log);
    }
    expect_log_lacks(c, log, "127.0.0.1", "the full client address");
}

/* ---- tests: start-up failures and shutdown ---------------------------------------------------- */

/* Run the portal with args; it must exit on its own within 10 s. */
static void run_portal(ctx_t *c, harness_run_t *r, const char *const *args)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = c->portal_bin;
    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    harness_run(r, NULL, argv, 10000);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strspn(p, " \t\r") < len)
            n++;
        p += len + (nl != NULL);
    }
    return n;
}

static void test_start_with_missing_db_exits_2_with_one_line(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db", harness_printf("%s/no-such-index", c->tmp), "--listen",
                          harness_printf("127.0.0.1:%d", harness_free_port()), NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
    struct stat sb;
    HARNESS_CHECK_RUN(stat(args[1], &sb) != 0, &r,
                      "expected the portal not to create %s (it only reads), it exists", args[1]);
}

static void test_start_on_a_port_in_use_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db", c->db, "--listen", harness_printf("127.0.0.1:%d", c->port), NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
    pf_expect_alive(c);
}

static void test_start_with_unknown_option_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {
        "--db", c->db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()), "--no-such-option",
        NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1, &r,
                      "expected a one-line reason on stderr (cli.md), got %zu lines", count_lines(r.err));
}

/* Pages and QR codes carry the public URL as given: a host name must be in
 * its ASCII (xn--) form, so a Vietnamese one is refused with a reason. */
static void test_start_with_non_ascii_public_url_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db", c->db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()),
                          "--public-url", "https://tra-c\xE1\xBB\xA9u.h\xE1\xBB\x8D" "cba.vn", NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1 && strstr(r.err, "xn--") != NULL, &r,
                      "expected a one-line reason naming the xn-- form, got: %s", r.err);
}

/* The portal's links start at the root of its host, so a public URL with a
 * path would work in QR codes only: refused with a one-line reason. A
 * trailing slash is not a path. */
static void test_start_with_public_url_path_exits_2(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *args[] = {"--db",
                          c->db,
                          "--listen",
                          harness_printf("127.0.0.1:%d", harness_free_port()),
                          "--public-url",
                          "https://moet.example.vn/hocba",
                          NULL};
    run_portal(c, &r, args);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(count_lines(r.err) == 1 && strstr(r.err, "without a path") != NULL, &r,
                      "expected a one-line reason saying without a path, got: %s", r.err);
}

/* ---- tests: an index of format 3 (docs/index-format.md) ----------------------------------------- */

/* Start a portal on db (--cache-entries 0) and wait for its /healthz;
 * c->other_pid is it. Returns its port. */
static int start_other_portal(ctx_t *c, const char *db)
{
    int port = harness_free_port();
    assert_true(port > 0);
    const char *err = harness_printf("%s/portal-other.err", c->tmp);
    const char *listen = harness_printf("127.0.0.1:%d", port);
    const char *argv[] = {c->portal_bin,     "--db", db,  "--listen", listen, "--rate-limit", "0",
                          "--cache-entries", "0",    NULL};
    c->other_pid = harness_start_bg(argv, err, 0);
    assert_true(c->other_pid > 0);
    long start = harness_now_ms();
    for (;;) {
        int st;
        if (waitpid(c->other_pid, &st, WNOHANG) == c->other_pid) {
            c->other_pid = 0;
            harness_dump_file_tail("portal output", err);
            fail_msg("expected a portal on %s to start, it ended: %s", db, harness_wait_status_text(st));
        }
        if (http_request(NULL, port, "GET", "/healthz", NULL, NULL, 0)->status == 200)
            return port;
        if (harness_now_ms() - start > READY_TIMEOUT_MS) {
            harness_dump_file_tail("portal output", err);
            fail_msg("expected a portal on %s to answer /healthz 200 within %d ms", db, READY_TIMEOUT_MS);
        }
        harness_sleep_ms(50);
    }
}

static void stop_other_portal(ctx_t *c)
{
    int st;
    if (c->other_pid > 0)
        harness_stop(c->other_pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    c->other_pid = 0;
}

/* What the API answers for a code of codes.txt: its status, "not_found" for
 * a 404, "unavailable" for a 503. */
static const char *api_answer(int port, const char *code)
{
    resp_t *r = http_request(NULL, port, "GET", harness_api_path(code), NULL, NULL, 0);
    if (r->status == 404)
        return "not_found";
    if (r->status == 503)
        return "unavailable";
    const char *s =
        r->status == 200 ? json_string_value(json_object_get(http_expect_json(r), "status")) : NULL;
    return s ? s : harness_printf("HTTP %d", r->status);
}

typedef struct {
    const char *what;
    int without_intermediates; /* the anchors were given again without the intermediates bundle */
} format_3_case_t;

static const format_3_case_t FORMAT_3[] = {
    {"the demo with its CRLs: every code answers as before", 0},
    /* what format 3 let through (issue 17): the issuing CA's CRL no longer
     * verified and was left out; the upgrade finds that CA among the
     * packages' certificates, and its records fail closed */
    {"the anchors given again without the intermediates: every record answers \"cannot check now\"", 1},
};

/* package-format.md rev. 2 §6: an index written under revision 1 (format
 * 3) is upgraded in place by the first hocba-publish command that opens it;
 * the portal refuses it until then, naming that command, and afterwards
 * every code answers as before (codes.txt: the demo with its CRLs). Running
 * the command again changes nothing. An index left with a CRL that no longer
 * verified comes out of the upgrade failing closed. */
static void test_format_3_index_is_refused_by_the_portal_until_status_upgrades_it(void **state)
{
    ctx_t *c = *state;
    for (size_t k = 0; k < sizeof FORMAT_3 / sizeof *FORMAT_3; k++) {
        const format_3_case_t *fc = &FORMAT_3[k];
        const char *db = harness_printf("%s/format-3-%zu", c->tmp, k);
        const char *anchors = harness_printf("%s/trust/anchors.pem", c->demo);
        harness_run_t r;
        PUBLISH_TO_OK(c, db, "trust", anchors, harness_printf("%s/trust/intermediates.pem", c->demo));
        PUBLISH_TO_OK(c, db, "schools", harness_printf("%s/schools.json", c->demo));
        PUBLISH_TO_OK(c, db, "batch", harness_printf("%s/batch", c->demo));
        PUBLISH_TO_OK(c, db, "crl", harness_printf("%s/trust/issuing-ca.crl", c->demo),
                      harness_printf("%s/trust/root-ca.crl", c->demo));
        if (fc->without_intermediates)
            PUBLISH_TO_OK(c, db, "trust", anchors, "--drop-unverifiable-crls");
        harness_make_index_format(db, 3);

        const char *args[] = {"--db", db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()),
                              NULL};
        run_portal(c, &r, args);
        HARNESS_EXPECT_EXIT(&r, 2);
        const char *cmd = harness_printf("hocba-publish --db %s status", db);
        HARNESS_CHECK_RUN(count_lines(r.err) == 1 && strstr(r.err, cmd) != NULL, &r,
                          "%s: expected one line naming `%s`, the command that upgrades the index", fc->what,
                          cmd);

        pf_publish_to(c, db, &r, "status", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strstr(r.err, "upgraded") != NULL, &r,
                          "%s: expected the publisher to say it upgraded", fc->what);
        long version = harness_count_of(r.out, "trust_version", 0);
        pf_publish_to(c, db, &r, "status", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(
            strstr(r.err, "upgraded") == NULL && harness_count_of(r.out, "trust_version", 0) == version, &r,
            "%s: expected a second status to change nothing (trust_version %ld)", fc->what, version);

        int port = start_other_portal(c, db);
        for (size_t i = 0; i < c->ncodes; i++) {
            const harness_code_t *e = &c->codes[i];
            const char *want = strcmp(e->expect, "recall-notice") == 0       ? "not_found"
                               : fc->without_intermediates                   ? "unavailable"
                               : strcmp(e->expect, "invalid-after-crl") == 0 ? "invalid"
                                                                             : e->expect;
            const char *got = api_answer(port, e->code);
            if (strcmp(got, want) != 0) {
                stop_other_portal(c);
                fail_msg("%s: after the upgrade, expected %s for %s (%s), got %s", fc->what, want, e->code,
                         e->desc, got);
            }
        }
        stop_other_portal(c);
    }
}

static void test_portal_stops_on_sigterm_with_exit_0(void **state)
{
    ctx_t *c = *state;
    char why[160];
    if (pf_stop_portal(c, why, sizeof why) != 0) {
        harness_dump_file_tail("portal output", c->perr);
        fail_msg("expected exit status 0 within %d ms of SIGTERM, got: %s%s", STOP_TIMEOUT_MS, why,
                 harness_sanitizer_note(c->perr));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_api_gives_the_publishers_figures_masked_under_ten),
        cmocka_unit_test(test_stats_page_shows_a_years_figures_in_each_language),
        cmocka_unit_test(test_stats_refuses_a_query_it_cannot_read),
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
        cmocka_unit_test(test_static_stylesheet_is_css),
        cmocka_unit_test(test_static_openapi_is_json_of_openapi_3),
        cmocka_unit_test(test_root_files_are_static_files_served_byte_for_byte),
        cmocka_unit_test(test_root_files_answer_head_and_405_with_allow),
        cmocka_unit_test(test_robots_txt_keeps_crawlers_off_codes_api_and_forms),
        cmocka_unit_test(test_favicon_ico_holds_png_icons_of_their_stated_sizes),
        cmocka_unit_test(test_pages_link_the_site_icon),
        cmocka_unit_test(test_hostile_paths_get_4xx_never_5xx),
        cmocka_unit_test(test_header_value_of_20_kib_is_refused_without_a_crash),
        cmocka_unit_test(test_200_header_lines_are_refused_without_a_crash),
        cmocka_unit_test(test_headers_within_8_kib_and_64_fields_are_served),
        cmocka_unit_test(test_headers_over_8_kib_or_64_fields_are_431),
        cmocka_unit_test(test_header_line_without_colon_is_refused_without_a_crash),
        cmocka_unit_test(test_tls_hello_on_cleartext_is_refused_without_a_crash),
        cmocka_unit_test(test_h2c_upgrade_is_not_taken),
        cmocka_unit_test(test_unknown_api_paths_are_404_problem_json),
        cmocka_unit_test(test_paths_are_matched_byte_for_byte),
        cmocka_unit_test(test_serves_many_clients_at_once),
        cmocka_unit_test(test_healthz_answers_200),
        cmocka_unit_test(test_metrics_answers_prometheus_text),
        cmocka_unit_test(test_key_compromise_crl_makes_code_invalid_on_next_request),
        cmocka_unit_test(test_crl_that_stops_verifying_answers_503_never_valid),
        cmocka_unit_test(test_crl_set_without_a_remembered_issuer_is_refused_then_503),
        cmocka_unit_test(test_metrics_show_each_crl_age_next_update_and_verifies),
        cmocka_unit_test(test_replaced_trust_anchors_make_codes_invalid_by_chain),
        cmocka_unit_test(test_registry_that_drops_a_principal_makes_records_invalid),
        cmocka_unit_test(test_signers_are_named_by_cn_o_and_l_only),
        cmocka_unit_test(test_tampered_payload_byte_answers_invalid_integrity),
        cmocka_unit_test(test_secondary_pages_are_laid_out_by_their_schema_in_both_languages),
        cmocka_unit_test(test_secondary_api_gives_every_number_as_signed),
        cmocka_unit_test(test_secondary_recalled_replaced_and_batch_verified),
        cmocka_unit_test(test_secondary_altered_record_answers_invalid_in_both_languages),
        cmocka_unit_test(test_record_under_another_code_answers_invalid),
        cmocka_unit_test(test_tampered_certificates_answer_invalid_with_caches_warm),
        cmocka_unit_test(test_recall_and_reissue_published_while_serving),
        cmocka_unit_test(test_recalled_stays_recalled_when_its_notice_no_longer_verifies),
        cmocka_unit_test(test_recall_link_to_another_records_notice_shows_no_reason),
        cmocka_unit_test(test_replacement_link_to_another_transcript_is_not_named),
        cmocka_unit_test(test_altered_replacement_is_not_named_with_caches_warm),
        cmocka_unit_test(test_recall_notice_and_replacement_must_verify),
        cmocka_unit_test(test_damaged_replacement_link_answers_as_without_caches),
        cmocka_unit_test(test_damaged_recall_link_answers_as_without_caches),
        cmocka_unit_test(test_damaged_record_answers_503_not_invalid),
        cmocka_unit_test(test_unreadable_trust_anchors_answer_503_not_invalid),
        cmocka_unit_test(test_rate_limit_serves_a_code_at_most_n_times_then_429),
        cmocka_unit_test(test_rate_limit_misses_cost_five),
        cmocka_unit_test(test_rate_limit_believes_x_forwarded_for_only_from_a_trusted_proxy),
        cmocka_unit_test(test_rate_limit_batch_verify_pays_for_each_code),
        cmocka_unit_test(test_rate_limit_never_applies_to_home_static_and_healthz),
        cmocka_unit_test(test_rate_limit_qr_of_a_known_code_costs_nothing),
        cmocka_unit_test(test_rate_limit_qr_tells_nothing_once_the_bucket_is_empty),
        cmocka_unit_test(test_rate_limit_bad_lookups_cost_five_and_good_ones_nothing),
        cmocka_unit_test(test_metrics_listen_moves_metrics_off_the_public_listener),
        cmocka_unit_test(test_connections_are_spread_evenly_over_threads),
        cmocka_unit_test(test_rate_limited_portal_stops_on_sigterm_with_exit_0),
        cmocka_unit_test(test_access_log_has_lines_without_code_or_name),
        cmocka_unit_test(test_access_log_holds_no_code_in_any_spelling),
        cmocka_unit_test(test_access_log_hashes_a_code_under_static),
        cmocka_unit_test(test_access_log_hashes_a_code_anywhere_in_the_query),
        cmocka_unit_test(test_access_log_cuts_client_address_to_24),
        cmocka_unit_test(test_format_3_index_is_refused_by_the_portal_until_status_upgrades_it),
        cmocka_unit_test(test_start_with_missing_db_exits_2_with_one_line),
        cmocka_unit_test(test_start_on_a_port_in_use_exits_2),
        cmocka_unit_test(test_start_with_unknown_option_exits_2),
        cmocka_unit_test(test_start_with_non_ascii_public_url_exits_2),
        cmocka_unit_test(test_start_with_public_url_path_exits_2),
        cmocka_unit_test(test_portal_stops_on_sigterm_with_exit_0),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
