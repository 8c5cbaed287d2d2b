/* test_portal_pages.c — the pages of hocba-portal over real HTTP (http.md, docs/portal.md): the home
 * page and its languages, the /lookup form, a transcript page /v/CODE, its QR codes and printable copy.
 * The group (a portal serving the demo data) and the helpers are tests/portal_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

/* ---- tests: home and languages ------------------------------------------------------ */

static void test_home_is_vietnamese_html_with_lookup_form(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/");
    EXPECT_STATUS(r, 200);
    pf_expect_html(r);
    EXPECT_BODY_HAS(r, "Học bạ");
    EXPECT_BODY_HAS(r, "<html lang=\"vi\"");
    EXPECT_BODY_HAS(r, "action=\"/lookup\"");
    EXPECT_BODY_HAS(r, "name=\"code\"");
}

/* The home page describes itself to search results in its own language;
 * no other page has a description (they are not for search engines). */
static void test_home_has_a_meta_description_in_its_language(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *path, *description;
    } homes[] = {
        {"/", "<meta name=\"description\" content=\"Kiểm tra bản giấy Học bạ số bằng mã tra cứu:"},
        {"/?lang=en",
         "<meta name=\"description\" content=\"Check a paper Học bạ số transcript by its lookup code:"},
    };
    for (size_t i = 0; i < sizeof homes / sizeof *homes; i++) {
        resp_t *r = pf_get(c, homes[i].path);
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r, homes[i].description);
        EXPECT(r, http_body_count(r, "<meta name=\"description\"") == 1,
               "expected one meta description on %s", r->what);
    }
    const char *others[] = {harness_printf("/v/%s", c->valid.code), "/no-such-page", "/lookup?code=x"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        EXPECT_BODY_LACKS(pf_get(c, others[i]), "<meta name=\"description\"");
}

static void test_home_lang_en_query_gives_english(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, "/?lang=en");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"en\"");
    EXPECT_BODY_HAS(r, "action=\"/lookup\"");
}

static void test_home_accept_language_preferring_english_gives_english(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get_h(c, "/", "Accept-Language: en-US,en;q=0.9\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"en\"");
    r = pf_get_h(c, "/", "Accept-Language: vi;q=0.3, en;q=0.8\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"en\"");
}

static void test_home_accept_language_preferring_vietnamese_gives_vietnamese(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get_h(c, "/", "Accept-Language: vi, en;q=0.5\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"vi\"");
    r = pf_get_h(c, "/", "Accept-Language: fr-FR, de;q=0.9\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"vi\"");
    r = pf_get_h(c, "/", "Accept-Language: en;q=0, vi;q=0.1\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"vi\"");
}

/* docs/portal.md: ?lang= wins over Accept-Language. */
/* The link to the other language repeats the path, which is the client's:
 * a path a browser would read as another host ("//host", "/\\host") or one
 * with bytes no browser sends gets the home page's link instead. */
static void test_lang_switch_link_stays_on_the_site(void **state)
{
    ctx_t *c = *state;
    static const char *const odd[] = {"//evil.example", "/\\evil.example", "//evil.example/v/x", "/\xC3\xA9"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        resp_t *r = pf_get(c, odd[i]);
        pf_expect_html(r);
        EXPECT_BODY_HAS(r, "class=\"lang-switch\" href=\"/?lang&#61;en\"");
        EXPECT(r, !http_body_has(r, "evil.example?lang"), "expected no language link to evil.example");
    }
    EXPECT_BODY_HAS(pf_get(c, harness_printf("/v/%s", c->valid.code)),
                    harness_printf("class=\"lang-switch\" href=\"/v/%s?lang&#61;en\"", c->valid.code));
}

/* A language chosen with ?lang= stays chosen along the way a reader goes:
 * the lookup form carries it, the redirect to the page keeps it, and the
 * page's links (print, replacement) keep it, even against a browser that
 * prefers the other language. */
static void test_chosen_language_stays_through_form_redirect_and_links(void **state)
{
    ctx_t *c = *state;
    EXPECT_BODY_HAS(pf_get(c, "/?lang=en"), "<input type=\"hidden\" name=\"lang\" value=\"en\">");
    resp_t *home = pf_get(c, "/");
    EXPECT(home, !http_body_has(home, "name=\"lang\""), "expected no language field when none was chosen");
    pf_expect_redirect(c, pf_get(c, harness_printf("/lookup?code=%s&lang=en", c->valid.code)), 303,
                       harness_printf("/v/%s?lang=en", c->valid.code));
    const char *en = "Accept-Language: en\r\n";
    pf_expect_redirect(c, pf_get_h(c, harness_printf("/lookup?code=%s&lang=vi", c->valid.code), en), 303,
                       harness_printf("/v/%s?lang=vi", c->valid.code));
    resp_t *r = pf_get_h(c, harness_printf("/v/%s?lang=vi", c->recalled_old), en);
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "lang=\"vi\"");
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s?lang&#61;vi\"", c->recalled_new));
    r = pf_get_h(c, harness_printf("/v/%s?lang=vi", c->recalled_new), en);
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s?lang&#61;vi\"", c->recalled_old));
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s/print?lang&#61;vi\"", c->recalled_new));
    /* the printable copy's way back keeps the language too */
    EXPECT_BODY_HAS(pf_get_h(c, harness_printf("/v/%s/print?lang=vi", c->recalled_new), en),
                    harness_printf("href=\"/v/%s?lang&#61;vi\"", c->recalled_new));
    /* and a page reached without choosing keeps its links plain */
    r = pf_get(c, harness_printf("/v/%s", c->recalled_new));
    EXPECT_BODY_HAS(r, harness_printf("href=\"/v/%s/print\"", c->recalled_new));
    EXPECT_BODY_HAS(r, "<a class=\"brand\" href=\"/\">");
    /* the way home (the brand, "back home" on a page and on an error page)
     * keeps it as well */
    const char *paths[] = {harness_printf("/v/%s?lang=en", c->valid.code),
                           harness_printf("/v/%s?lang=en", c->unknown[0])};
    for (size_t i = 0; i < 2; i++) {
        r = pf_get_h(c, paths[i], "Accept-Language: vi\r\n");
        EXPECT_BODY_HAS(r, "<a class=\"brand\" href=\"/?lang&#61;en\">");
        EXPECT_BODY_HAS(r, "<p class=\"back\"><a href=\"/?lang&#61;en\">");
    }
}

/* RFC 9110 §12.5.4: whitespace may stand around the ";" before a weight;
 * the weight is read all the same (it had been taken as 1, and "en ;q=" was
 * not English at all). */
static void test_accept_language_weights_with_spaces(void **state)
{
    ctx_t *c = *state;
    const char *headers[] = {"Accept-Language: vi; q=0.3, en; q=0.9\r\n",
                             "Accept-Language: vi;q=0.3, en ;q=0.9\r\n",
                             "Accept-Language: vi\t;\tq=0.2 , en-GB ; q=0.8\r\n"};
    for (size_t i = 0; i < 3; i++)
        EXPECT_BODY_HAS(pf_get_h(c, "/", headers[i]), "<html lang=\"en\"");
    EXPECT_BODY_HAS(pf_get_h(c, "/", "Accept-Language: en ; q=0.3, vi ; q=0.9\r\n"), "<html lang=\"vi\"");
}

static void test_home_lang_query_wins_over_accept_language(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get_h(c, "/?lang=vi", "Accept-Language: en\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"vi\"");
    r = pf_get_h(c, "/?lang=en", "Accept-Language: vi\r\n");
    EXPECT_STATUS(r, 200);
    EXPECT_BODY_HAS(r, "<html lang=\"en\"");
}

static void test_html_answers_carry_csp_and_nosniff(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/", "/lookup?code=", harness_printf("/v/%s", c->unknown[0]),
                           harness_printf("/v/%s", c->valid.code),
                           harness_printf("/v/%s/print", c->valid.code)};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        pf_expect_html(r);
        pf_expect_html_security_headers(r);
    }
}

/* The pages run no script: no script-src, so default-src 'none' refuses
 * every script. connect-src 'self' therefore allows nothing a page does; it
 * lets tools that fetch in the page's context read the site's own files
 * (Lighthouse's robots.txt check did not get /robots.txt without it). */
static void test_csp_allows_no_script_and_connections_to_the_site_only(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {"/", harness_printf("/v/%s", c->valid.code),
                           harness_printf("/v/%s/print", c->valid.code), "/no-such-page"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        resp_t *r = pf_get(c, paths[i]);
        const char *csp = http_header(r, "content-security-policy");
        EXPECT(r,
               csp && strstr(csp, "default-src 'none'") && !strstr(csp, "script-src") &&
                   strstr(csp, "connect-src 'self';"),
               "expected the CSP of %s to hold default-src 'none' and connect-src 'self' and no script-src, "
               "got %s",
               r->what, csp ? csp : "none");
    }
}

/* ---- tests: /lookup ------------------------------------------------------------------ */

static void test_lookup_normalises_case_hyphens_and_separators_to_303(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code, *lc = pf_lower(code);
    const char *want = harness_printf("/v/%s", code);
    const char *raws[] = {
        lc,
        pf_lower(pf_grouped(code)),
        harness_printf("%.4s+%.4s+%.4s+%.4s", lc, lc + 4, lc + 8, lc + 12),
        harness_printf("%.4s%%20%.4s%%20%.4s%%20%.4s", lc, lc + 4, lc + 8, lc + 12),
        harness_printf("%.4s.%.4s.%.4s.%.4s", code, code + 4, code + 8, code + 12),
    };
    for (size_t i = 0; i < sizeof raws / sizeof *raws; i++)
        pf_expect_redirect(c, pf_get(c, harness_printf("/lookup?code=%s", raws[i])), 303, want);
}

/* package-format.md §2: O reads as 0, I and L as 1. */
static void test_lookup_reads_o_as_zero_and_i_l_as_one(void **state)
{
    ctx_t *c = *state;
    int tried = 0;
    for (size_t i = 0; i < c->ncodes && tried < 3; i++) {
        const char *code = c->codes[i].code;
        if (strcmp(c->codes[i].expect, "valid") != 0 || !strpbrk(code, "01"))
            continue;
        char *typed = harness_strndup(code, 16);
        int alt = 0;
        for (char *q = typed; *q; q++) {
            if (*q == '0')
                *q = alt++ % 2 ? 'O' : 'o';
            else if (*q == '1')
                *q = "IlLi"[alt++ % 4];
        }
        pf_expect_redirect(c, pf_get(c, harness_printf("/lookup?code=%s", typed)), 303,
                           harness_printf("/v/%s", code));
        tried++;
    }
    assert_true(tried > 0);
}

/* The 400 page: HTML, the form again. */
static void expect_form_again(const resp_t *r)
{
    EXPECT_STATUS(r, 400);
    pf_expect_html(r);
    EXPECT_BODY_HAS(r, "action=\"/lookup\"");
    EXPECT_BODY_HAS(r, "name=\"code\"");
}

static void test_lookup_empty_code_is_400_with_form(void **state)
{
    ctx_t *c = *state;
    expect_form_again(pf_get(c, "/lookup?code="));
    expect_form_again(pf_get(c, "/lookup?code=+-+"));
}

/* http.md: the message says what is wrong: for a length, how many came. */
static void test_lookup_wrong_length_is_400_saying_the_length(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/lookup?code=%.15s&lang=en", c->valid.code));
    expect_form_again(r);
    EXPECT_BODY_HAS(r, "15");
    r = pf_get(c, harness_printf("/lookup?code=%sQ", c->valid.code));
    expect_form_again(r);
    EXPECT_BODY_HAS(r, "17");
}

static void test_lookup_letter_u_is_400_naming_its_position(void **state)
{
    ctx_t *c = *state;
    char typed[17];
    snprintf(typed, sizeof typed, "%s", c->valid.code);
    typed[14] = 'U'; /* the 15th character */
    resp_t *r = pf_get(c, harness_printf("/lookup?code=%s", typed));
    expect_form_again(r);
    EXPECT(
        r, http_body_has(r, "thứ 15") || http_body_has(r, "vị trí 15"),
        "expected the Vietnamese page for %s to name position 15 (\"thứ 15\" or \"vị trí 15\"), it does not",
        typed);
    r = pf_get(c, harness_printf("/lookup?code=%s&lang=en", typed));
    expect_form_again(r);
    EXPECT(
        r, http_body_has_ci(r, "character 15") || http_body_has_ci(r, "position 15"),
        "expected the English page for %s to name position 15 (\"character 15\" or \"position 15\"), it does "
        "not",
        typed);
}

/* Bytes that look like a character to a lead-byte count but are not UTF-8
 * (an overlong form, a surrogate): the page still has the form and names the
 * position, and the API still answers 400 malformed_code. */
static void test_lookup_malformed_utf8_is_400_naming_its_position(void **state)
{
    ctx_t *c = *state;
    static const char *const typed[] = {"Q5%E0%80%80VQQT42TCX1D4", "Q5%ED%A0%80VQQT42TCX1D4"};
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        resp_t *r = pf_get(c, harness_printf("/lookup?code=%s", typed[i]));
        expect_form_again(r);
        EXPECT(r, http_body_has(r, "thứ 3") || http_body_has(r, "vị trí 3"),
               "expected the page for %s to name position 3 (\"thứ 3\" or \"vị trí 3\"), it does not",
               typed[i]);
    }
    http_expect_problem(pf_get(c, harness_api_path("Q5\xE0\x80\x80VQQT42TCX1D4")), 400, "malformed_code");
}

static void test_lookup_bad_check_symbol_says_probably_mistyped(void **state)
{
    ctx_t *c = *state;
    const char *typo = pf_bad_check(c->valid.code);
    resp_t *r = pf_get(c, harness_printf("/lookup?code=%s", typo));
    expect_form_again(r);
    EXPECT_BODY_HAS(r, "gõ nhầm");
    r = pf_get(c, harness_printf("/lookup?code=%s&lang=en", typo));
    expect_form_again(r);
    EXPECT_BODY_HAS(r, "probably mistyped");
}

/* ---- tests: /v/CODE ---------------------------------------------------------------------- */

static void test_transcript_page_shows_grouped_code_name_and_school(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->valid.code));
    EXPECT_STATUS(r, 200);
    pf_expect_html(r);
    EXPECT_BODY_HAS(r, pf_grouped(c->valid.code));
    EXPECT_BODY_HAS(r, c->valid.name);
    EXPECT_BODY_HAS(r, c->valid.school);
}

static void test_transcript_page_sends_privacy_and_security_headers(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->valid.code));
    EXPECT_STATUS(r, 200);
    pf_expect_privacy_headers(r);
    pf_expect_html_security_headers(r);
}

static void test_transcript_page_never_shows_address_guardian_or_full_citizen_id(void **state)
{
    ctx_t *c = *state;
    const pupil_t *ps[] = {&c->xss, &c->valid};
    for (size_t i = 0; i < 2; i++) {
        resp_t *r = pf_get(c, harness_printf("/v/%s", ps[i]->code));
        EXPECT_STATUS(r, 200);
        pf_expect_no_personal_data(r, ps[i]);
        r = pf_get(c, harness_printf("/v/%s/print", ps[i]->code));
        EXPECT_STATUS(r, 200);
        pf_expect_no_personal_data(r, ps[i]);
    }
}

static void test_transcript_page_escapes_script_from_the_payload(void **state)
{
    ctx_t *c = *state;
    const char *paths[] = {harness_printf("/v/%s", c->xss.code), harness_printf("/v/%s?lang=en", c->xss.code),
                           harness_printf("/v/%s/print", c->xss.code)};
    for (size_t i = 0; i < 3; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 200);
        EXPECT(r, !http_body_has_ci(r, "<script"),
               "expected no \"<script\" in %s (payload text unescaped), found one", r->what);
        EXPECT_BODY_HAS(r, "&lt;script&gt;alert(1)&lt;/script&gt;");
    }
}

/* "YYYY-MM-DDTHH:MM:SSZ" (or a date alone) in UTC+7: "dd/mm/yyyy", with
 * " HH:MM" when with_time. */
static const char *vn_time(const char *iso, int with_time)
{
    struct tm tm = {0};
    if (!iso || sscanf(iso, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return "(no time)";
    if (strlen(iso) >= 19)
        sscanf(iso + 11, "%2d:%2d:%2d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm) + (strlen(iso) >= 19 ? 7 * 3600 : 0);
    struct tm out;
    gmtime_r(&t, &out);
    char buf[64];
    if (with_time)
        strftime(buf, sizeof buf, "%d/%m/%Y %H:%M", &out);
    else
        strftime(buf, sizeof buf, "%d/%m/%Y", &out);
    return harness_printf("%s", buf);
}

/* docs/portal.md: dates as dd/mm/yyyy, times in Vietnam time (UTC+7). */
static void test_transcript_page_shows_dates_dd_mm_yyyy_and_times_in_utc7(void **state)
{
    ctx_t *c = *state;
    resp_t *a;
    json_t *j = pf_api(c, c->valid.code, &a);
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->valid.code));
    EXPECT_STATUS(r, 200);
    const char *dob = json_string_value(http_json_path(j, "transcript.student.date_of_birth"));
    EXPECT_BODY_HAS(r, vn_time(dob, 0));
    EXPECT_BODY_HAS(r, vn_time(json_string_value(json_object_get(j, "published_at")), 0));
    json_t *signers = json_object_get(j, "signers");
    for (size_t i = 0; signers && i < json_array_size(signers); i++) {
        const char *t = json_string_value(json_object_get(json_array_get(signers, i), "signing_time"));
        const char *want = vn_time(t, 1);
        EXPECT(r, http_body_has(r, want),
               "expected the page to show the signing time %s as \"%s\" (UTC+7), it does not",
               t ? t : "(none)", want);
    }
}

/* WCAG 3.1.2: what the school signed is Vietnamese; on the English page each
 * such value says so (lang="vi"), so a screen reader does not read a pupil's
 * name or a subject with English rules. */
static void test_english_page_marks_the_signed_content_as_vietnamese(void **state)
{
    ctx_t *c = *state;
    resp_t *a;
    json_t *j = pf_api(c, c->valid.code, &a);
    json_t *subjects = http_json_path(j, "transcript.subjects");
    const char *subject = subjects && json_is_array(subjects) && json_array_size(subjects) > 0
                              ? json_string_value(json_object_get(json_array_get(subjects, 0), "name"))
                              : NULL;
    const char *school = json_string_value(http_json_path(j, "transcript.school.name"));
    EXPECT(a, subject && school, "expected a subject and a school name in the API answer of %s",
           c->valid.code);
    const char *paths[] = {harness_printf("/v/%s?lang=en", c->valid.code),
                           harness_printf("/v/%s/print?lang=en", c->valid.code)};
    for (size_t i = 0; i < 2; i++) {
        resp_t *r = pf_get(c, paths[i]);
        EXPECT_STATUS(r, 200);
        EXPECT_BODY_HAS(r, "<html lang=\"en\"");
        EXPECT_BODY_HAS(r, harness_printf("class=\"pupil-name\" lang=\"vi\">%s<", c->valid.name));
        EXPECT_BODY_HAS(r, harness_printf("<th scope=\"row\" lang=\"vi\">%s</th>", subject));
        EXPECT_BODY_HAS(r, harness_printf("<dd lang=\"vi\">%s</dd>", school));
    }
}

static void test_transcript_non_canonical_spelling_redirects_301(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code, *want = harness_printf("/v/%s", code);
    pf_expect_redirect(c, pf_get(c, harness_printf("/v/%s", pf_lower(code))), 301, want);
    pf_expect_redirect(c, pf_get(c, harness_printf("/v/%s", pf_grouped(code))), 301, want);
    pf_expect_redirect(c, pf_get(c, harness_printf("/v/%s", pf_lower(pf_grouped(code)))), 301, want);
}

static void test_transcript_upper_case_v_path_redirects_301(void **state)
{
    ctx_t *c = *state;
    pf_expect_redirect(c, pf_get(c, harness_printf("/V/%s", c->valid.code)), 301,
                       harness_printf("/v/%s", c->valid.code));
}

static void test_transcript_unknown_code_is_404_page(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->unknown[0]));
    EXPECT_STATUS(r, 404);
    pf_expect_html(r);
    /* the form again, holding the code looked up, to compare with the paper */
    EXPECT_BODY_HAS(r, "action=\"/lookup\"");
    EXPECT_BODY_HAS(r, harness_printf("value=\"%s\"", pf_grouped(c->unknown[0])));
}

static void test_transcript_bad_check_symbol_is_400_page(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", pf_bad_check(c->valid.code)));
    EXPECT_STATUS(r, 400);
    pf_expect_html(r);
    EXPECT_BODY_HAS(r, "gõ nhầm");
    EXPECT_BODY_HAS(r, "action=\"/lookup\"");
}

static void test_transcript_trailing_slash_is_404(void **state)
{
    ctx_t *c = *state;
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/", c->valid.code)), 404);
}

/* docs/portal.md: a recall notice's own code is not a page. */
static void test_recall_notice_code_is_404(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s", c->notice));
    EXPECT_STATUS(r, 404);
    pf_expect_html(r);
}

/* ---- tests: QR and print --------------------------------------------------------------- */

static void test_qr_svg_is_svg(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s/qr.svg", c->valid.code));
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "image/svg+xml");
    EXPECT_BODY_HAS(r, "<svg");
}

static void test_qr_png_decodes_to_the_canonical_page_url(void **state)
{
    ctx_t *c = *state;
    const char *code = c->valid.code;
    resp_t *r = pf_get(c, harness_printf("/v/%s/qr.png", code));
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "image/png");
    EXPECT(r, r->bodylen > 8 && memcmp(r->body, "\x89PNG\r\n\x1a\n", 8) == 0,
           "expected a PNG signature from %s", r->what);
    const char *file = harness_printf("%s/qr.png", c->tmp);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(r->body, 1, r->bodylen, f), r->bodylen);
    fclose(f);
    harness_run_t z;
    const char *argv[] = {"zbarimg", "--raw", "-q", file, NULL};
    harness_run(&z, NULL, argv, 20000);
    HARNESS_EXPECT_EXIT(&z, 0);
    z.out[strcspn(z.out, "\r\n")] = '\0';
    const char *lower_url = harness_printf("http://127.0.0.1:%d/v/%s", c->port, code);
    const char *upper_url = harness_printf("HTTP://127.0.0.1:%d/V/%s", c->port, code);
    HARNESS_CHECK_RUN(strcmp(z.out, lower_url) == 0 || strcmp(z.out, upper_url) == 0, &z,
                      "expected the QR code to hold %s or %s, it holds \"%s\"", lower_url, upper_url, z.out);
    if (strcmp(z.out, upper_url) == 0)
        pf_expect_redirect(c, pf_get(c, harness_printf("/V/%s", code)), 301, harness_printf("/v/%s", code));
}

static void test_qr_of_unknown_code_is_404(void **state)
{
    ctx_t *c = *state;
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/qr.png", c->unknown[0])), 404);
    EXPECT_STATUS(pf_get(c, harness_printf("/v/%s/qr.svg", c->unknown[0])), 404);
}

static void test_print_page_has_grouped_code_and_qr(void **state)
{
    ctx_t *c = *state;
    resp_t *r = pf_get(c, harness_printf("/v/%s/print", c->valid.code));
    EXPECT_STATUS(r, 200);
    pf_expect_html(r);
    EXPECT_BODY_HAS(r, pf_grouped(c->valid.code));
    EXPECT(r,
           http_body_has(r, harness_printf("/v/%s/qr.svg", c->valid.code)) ||
               http_body_has(r, harness_printf("/v/%s/qr.png", c->valid.code)),
           "expected the print page to refer to /v/%s/qr.svg or qr.png, it does not", c->valid.code);
    EXPECT_BODY_HAS(r, c->valid.name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_is_vietnamese_html_with_lookup_form),
        cmocka_unit_test(test_home_has_a_meta_description_in_its_language),
        cmocka_unit_test(test_home_lang_en_query_gives_english),
        cmocka_unit_test(test_home_accept_language_preferring_english_gives_english),
        cmocka_unit_test(test_home_accept_language_preferring_vietnamese_gives_vietnamese),
        cmocka_unit_test(test_home_lang_query_wins_over_accept_language),
        cmocka_unit_test(test_accept_language_weights_with_spaces),
        cmocka_unit_test(test_chosen_language_stays_through_form_redirect_and_links),
        cmocka_unit_test(test_lang_switch_link_stays_on_the_site),
        cmocka_unit_test(test_html_answers_carry_csp_and_nosniff),
        cmocka_unit_test(test_csp_allows_no_script_and_connections_to_the_site_only),
        cmocka_unit_test(test_lookup_normalises_case_hyphens_and_separators_to_303),
        cmocka_unit_test(test_lookup_reads_o_as_zero_and_i_l_as_one),
        cmocka_unit_test(test_lookup_empty_code_is_400_with_form),
        cmocka_unit_test(test_lookup_wrong_length_is_400_saying_the_length),
        cmocka_unit_test(test_lookup_letter_u_is_400_naming_its_position),
        cmocka_unit_test(test_lookup_malformed_utf8_is_400_naming_its_position),
        cmocka_unit_test(test_lookup_bad_check_symbol_says_probably_mistyped),
        cmocka_unit_test(test_transcript_page_shows_grouped_code_name_and_school),
        cmocka_unit_test(test_transcript_page_sends_privacy_and_security_headers),
        cmocka_unit_test(test_transcript_page_never_shows_address_guardian_or_full_citizen_id),
        cmocka_unit_test(test_transcript_page_escapes_script_from_the_payload),
        cmocka_unit_test(test_transcript_page_shows_dates_dd_mm_yyyy_and_times_in_utc7),
        cmocka_unit_test(test_english_page_marks_the_signed_content_as_vietnamese),
        cmocka_unit_test(test_transcript_non_canonical_spelling_redirects_301),
        cmocka_unit_test(test_transcript_upper_case_v_path_redirects_301),
        cmocka_unit_test(test_transcript_unknown_code_is_404_page),
        cmocka_unit_test(test_transcript_bad_check_symbol_is_400_page),
        cmocka_unit_test(test_transcript_trailing_slash_is_404),
        cmocka_unit_test(test_recall_notice_code_is_404),
        cmocka_unit_test(test_qr_svg_is_svg),
        cmocka_unit_test(test_qr_png_decodes_to_the_canonical_page_url),
        cmocka_unit_test(test_qr_of_unknown_code_is_404),
        cmocka_unit_test(test_print_page_has_grouped_code_and_qr),
    };
    return cmocka_run_group_tests(tests, pf_group_setup, pf_group_teardown);
}
