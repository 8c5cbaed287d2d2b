/* test_portal_secondary.c — secondary transcripts (hocba.trunghoc.v1) laid out, given as signed and
 * verified by hocba-portal; then records altered or damaged under the portal (another record under a
 * code, certificates, recall notices and replacement links, lengths that do not add up, trust anchors
 * that cannot be read) and a recall published while serving: never a wrong verdict, caches warm or
 * not. Each test restores what it changed; the recall test recalls a code no other test uses (a recall
 * is final). The group and the helpers are tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

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
    if (!rec || len < 28 + 32 || (rec[0] != 4 && rec[0] != 3))
        fail_msg("expected a docs record of format 4 or 3 for %s", code);
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
    const char *by = json_string_value(http_json_path(
        http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.superseded_by"));
    EXPECT(a, by && strcmp(by, c->recalled_new) == 0,
           "expected recall.superseded_by \"%s\" once restored, got %s", c->recalled_new, by ? by : "none");
}

/* The replacement's record is part of a recalled transcript's answer (is it
 * still the record its code was made from?): altered under an answer that
 * is cached, the very next answer names no replacement. */
static void test_altered_replacement_is_not_named_with_caches_warm(void **state)
{
    ctx_t *c = *state;
    const char *by = json_string_value(http_json_path(
        http_expect_json(pf_get(c, harness_api_path(c->recalled_old))), "recall.superseded_by"));
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
    by = json_string_value(http_json_path(http_expect_json(pf_get(c, harness_api_path(c->recalled_old))),
                                          "recall.superseded_by"));
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
    key[16] = 'r';         /* INDEX_LINK_RECALLED_BY */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
