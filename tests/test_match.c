/* test_match.c — the request's parameters as the routes read them (portal/match.h): query
 * parameters, their percent-decoding, the page language and the client a proxy names. The routes
 * themselves are tested over HTTP in test_portal_*.c; these pure parsers are also fuzzed
 * (tests/fuzz/fuzz_router.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "portal/match.h"

/* The value of name in query, as a NUL-terminated copy; "(absent)" when the query has none. */
static const char *param(const char *query, const char *name)
{
    static char buf[128];
    str_t v = match_query_param(str_c(query), name);
    if (v.ptr == NULL)
        return "(absent)";
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.ptr);
    return buf;
}

/* A parameter is found where it starts the query or follows '&', never inside another's name or value. */
static void test_match_query_param_finds_the_first_whole_name(void **state)
{
    (void)state;
    static const struct {
        const char *query, *name, *want;
    } cases[] = {
        {"code=ABCD", "code", "ABCD"},   {"lang=en&code=AB+CD&code=X", "code", "AB+CD"},
        {"xcode=1&code=2", "code", "2"}, {"a=code%3D1", "code", "(absent)"},
        {"code=", "code", ""},           {"code&lang=en", "code", ""},
        {"codes=1", "code", "(absent)"}, {"", "code", "(absent)"},
        {"&&code=9&", "code", "9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = param(cases[i].query, cases[i].name);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("?%s: expected %s=%s, got %s", cases[i].query, cases[i].name, cases[i].want, got);
    }
}

/* '+' is a space and %XX a byte, as a form sends them; a '%' without two hex digits after it stays. */
static void test_match_url_decode_reads_what_a_form_sends(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"abcd+efgh", "abcd efgh"},
        {"ab%2Dcd%2dx", "ab-cd-x"},
        {"100%zz!", "100%zz!"},
        {"%4", "%4"},
        {"%41", "A"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        size_t n = match_url_decode(str_c(cases[i].in), out, sizeof out);
        if (n != strlen(cases[i].want) || strcmp(out, cases[i].want) != 0)
            fail_msg("%s: expected \"%s\", got \"%s\" (%zu bytes)", cases[i].in, cases[i].want, out, n);
    }
}

/* The output is bounded by its size, NUL included, whatever the input's length. */
static void test_match_url_decode_never_writes_past_its_buffer(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'X', sizeof out);
    size_t n = match_url_decode(str_c("ABCDEFGHIJKLMNOP"), out, 5);
    assert_int_equal(n, 4);
    assert_string_equal(out, "ABCD");
    assert_int_equal(out[5], 'X');
    assert_int_equal(match_url_decode(str_c("ABC"), out, 1), 0);
    assert_string_equal(out, "");
}

/* ?lang=en or ?lang=vi chooses; otherwise the higher q of vi and en in Accept-Language, Vietnamese
 * when neither is there or English's q is 0. */
static void test_match_lang_takes_the_query_then_accept_language(void **state)
{
    (void)state;
    static const struct {
        const char *query, *accept; /* accept NULL: no field */
        int want, chosen;
    } cases[] = {
        {"lang=en", NULL, MATCH_LANG_EN, 1},
        {"lang=vi", "en", MATCH_LANG_VI, 1},
        {"lang=fr", "en", MATCH_LANG_EN, 0},
        {"lang=EN", NULL, MATCH_LANG_VI, 0},
        {"", NULL, MATCH_LANG_VI, 0},
        {"", "en-GB,en;q=0.9", MATCH_LANG_EN, 0},
        {"", "EN", MATCH_LANG_EN, 0},
        {"", "en-GB;q=0.8, vi;q=0.9", MATCH_LANG_VI, 0},
        {"", "vi;q=0.5 , en ; q=0.7", MATCH_LANG_EN, 0},
        {"", "en;q=0", MATCH_LANG_VI, 0},
        {"", "fr, de", MATCH_LANG_VI, 0},
        {"", "english", MATCH_LANG_VI, 0},
        {"", "vi, en", MATCH_LANG_VI, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int chosen = -1;
        str_t a = str_c(cases[i].accept ? cases[i].accept : "");
        int got = match_lang(str_c(cases[i].query), cases[i].accept ? &a : NULL, &chosen);
        if (got != cases[i].want || chosen != cases[i].chosen)
            fail_msg("?%s with Accept-Language %s: expected %s (chosen %d), got %s (chosen %d)",
                     cases[i].query, cases[i].accept ? cases[i].accept : "(none)",
                     cases[i].want ? "en" : "vi", cases[i].chosen, got ? "en" : "vi", chosen);
    }
}

/* The element an X-Forwarded-For value ends with is the client; anything else there is ignored. */
static void test_match_forwarded_for_takes_the_last_address(void **state)
{
    (void)state;
    static const struct {
        const char *value, *want; /* want NULL: no address */
    } cases[] = {
        {"203.0.113.7", "203.0.113.7"},
        {"198.51.100.50, 203.0.113.7", "203.0.113.7"},
        {"unknown,203.0.113.7 \t", "203.0.113.7"},
        {"203.0.113.7, 2001:db8::7", "2001:db8::7"},
        {"203.0.113.7, unknown", NULL},
        {"203.0.113.7,", NULL},
        {"", NULL},
        {"[2001:db8::7]", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sockaddr_storage ss;
        char got[INET6_ADDRSTRLEN] = "(none)";
        int rc = match_forwarded_for(str_c(cases[i].value), &ss);
        if (rc == 0)
            inet_ntop(ss.ss_family,
                      ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                                              : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
                      got, sizeof got);
        if ((cases[i].want == NULL) != (rc != 0) || (rc == 0 && strcmp(got, cases[i].want) != 0))
            fail_msg("X-Forwarded-For: %s: expected %s, got %s", cases[i].value,
                     cases[i].want ? cases[i].want : "(none)", got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_query_param_finds_the_first_whole_name),
        cmocka_unit_test(test_match_url_decode_reads_what_a_form_sends),
        cmocka_unit_test(test_match_url_decode_never_writes_past_its_buffer),
        cmocka_unit_test(test_match_lang_takes_the_query_then_accept_language),
        cmocka_unit_test(test_match_forwarded_for_takes_the_last_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
