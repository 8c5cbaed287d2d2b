/* test_portal_verdicts.c — verdicts that change while hocba-portal serves (package-format.md §6,
 * http.md): CRLs published, revoked and no longer verifying, a registry that drops a principal,
 * replaced trust anchors, a tampered payload; and /metrics on the CRLs. Each test restores what it
 * changed (tests/portal_fixture.h says how); they run in the order main lists, some after the CRLs an
 * earlier one published. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

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
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->crl_bad.code)),
                    c->crl_bad.name); /* fills the caches */
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
    const char *const paths[][2] = {
        {"/v/", ""}, {"/v/", "?lang=en"}, {"/v/", "/print"}, {"/api/v1/transcripts/", ""}};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        pf_expect_invalid_names_nobody(
            pf_get(c, harness_printf("%s%s%s", paths[i][0], c->crl_bad.code, paths[i][1])), &c->crl_bad);
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
    EXPECT(r, school && principal && strlen(principal) == 64, "expected the school code and principal of %s",
           code);
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
    const char *named = harness_printf("school %s, principal certificate %.16s...: staff_registry fails for",
                                       school, principal);
    HARNESS_CHECK_RUN(strstr(pr.err, named) != NULL, &pr, "expected stderr to name \"%s\"", named);
    pf_expect_api_status(c, code, "valid");
    pf_publish(c, &pr, "schools", edited, "--accept-invalidation", NULL);
    HARNESS_EXPECT_EXIT(&pr, 0);

    pf_expect_api_invalid(c, code, "staff_registry");
    json_t *failed = pf_failed_check(http_expect_json(pf_get(c, harness_api_path(code))), "staff_registry");
    const char *role = json_string_value(json_object_get(failed, "role"));
    EXPECT(r, role && strcmp(role, "principal") == 0,
           "expected staff_registry to fail for the principal, got %s", role ? role : "none");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_compromise_crl_makes_code_invalid_on_next_request),
        cmocka_unit_test(test_crl_that_stops_verifying_answers_503_never_valid),
        cmocka_unit_test(test_crl_set_without_a_remembered_issuer_is_refused_then_503),
        cmocka_unit_test(test_metrics_show_each_crl_age_next_update_and_verifies),
        cmocka_unit_test(test_replaced_trust_anchors_make_codes_invalid_by_chain),
        cmocka_unit_test(test_registry_that_drops_a_principal_makes_records_invalid),
        cmocka_unit_test(test_tampered_payload_byte_answers_invalid_integrity),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
