/* test_code.c — lookup codes against the spec's vectors and people's typing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/code.h"

/* The payloads of ../shared/spec/lookup-code-vectors.tsv, written out. */
static void check_vector(const void *payload, size_t len, const char *want)
{
    char got[CODE_LEN + 1] = {0};
    code_from_payload(payload, len, got);
    if (memcmp(got, want, CODE_LEN) != 0)
        fail_msg("payload of %zu bytes: expected %s, got %s", len, want, got);
}

static void test_code_matches_spec_vectors(void **state)
{
    (void)state;
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char *xs = malloc(65536);
    assert_non_null(xs);
    memset(xs, 'x', 65536);

    check_vector("", 0, "WERC8GMRZGE196Q8");
    check_vector("a", 1, "SABR24PA3EYWNYPK");
    check_vector("\n", 1, "06X4E6E81DQYJ4DP");
    check_vector("{\"schema\":\"hocba.tieuhoc.v1\"}", 29, "Q5VQQT42TCX1D4Q1");
    check_vector("Nguy\xe1\xbb\x85n V\xc4\x83n An", 16, "56E4F0JVBWF2GPTM");
    check_vector(all, sizeof all, "82QZ5TEJV292WHXW");
    check_vector(xs, 65536, "3Y3MBW6JT4W7XGDM");
    free(xs);
}

/* The vectors file itself, so the test follows the spec if it grows. */
static void test_code_vectors_file_is_all_matched(void **state)
{
    (void)state;
    FILE *f = fopen("../shared/spec/lookup-code-vectors.tsv", "r");
    if (f == NULL)
        skip();
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *tab = strrchr(line, '\t');
        if (line[0] == '#' || tab == NULL)
            continue;
        char want[CODE_LEN + 1] = {0};
        memcpy(want, tab + 1, CODE_LEN);
        assert_true(code_is_canonical(str_c(want)));
        n++;
    }
    fclose(f);
    assert_int_equal(n, 7);
}

static int parse(const char *in, char out[CODE_LEN + 1], code_error_t *e)
{
    memset(out, 0, CODE_LEN + 1);
    return code_parse(str_c(in), out, e);
}

static void test_code_parse_normalises_human_spellings(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    const char *spellings[] = {"Q5VQQT42TCX1D4Q1", "q5vq-qt42-tcx1-d4q1", " Q5VQ QT42 TCXI D4QL ",
                               "q5vq.qt42.tcx1.d4q1", "Q5VQQT42TCX1D4Q1\x2d"};
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        int rc = parse(spellings[i], out, &e);
        if (rc != CODE_OK)
            fail_msg("\"%s\": expected OK, got %d", spellings[i], rc);
        assert_string_equal(out, "Q5VQQT42TCX1D4Q1");
    }
    /* O reads as zero */
    assert_int_equal(parse("O6X4E6E81DQYJ4DP", out, &e), CODE_OK);
    assert_string_equal(out, "06X4E6E81DQYJ4DP");
}

static void test_code_rejects_u_with_position(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    assert_int_equal(parse("Q5VQ-QT4U-TCX1-D4Q1", out, &e), CODE_ECHAR);
    assert_int_equal(e.pos, 9);
    assert_string_equal(e.ch, "U");
    char msg[256];
    code_error_text(&e, "en", msg, sizeof msg);
    assert_non_null(strstr(msg, "Character 9 (\"U\")"));
}

static void test_code_reports_multibyte_character_position(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    assert_int_equal(parse("Đ5VQQT42TCX1D4Q1", out, &e), CODE_ECHAR);
    assert_int_equal(e.pos, 1);
    assert_string_equal(e.ch, "Đ");
    assert_int_equal(parse("Q5\xff", out, &e), CODE_ECHAR);
    assert_int_equal(e.pos, 3);
    assert_string_equal(e.ch, ""); /* never echo an invalid byte */
}

/* What lead and continuation bytes alone would take for a character, but
 * UTF-8 does not: overlong forms, surrogates, beyond U+10FFFF, and C1
 * controls. None is quoted back (the message must stay valid UTF-8); the
 * position is still given. */
static void test_code_never_quotes_malformed_utf8(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    static const char *const bad[] = {
        "Q5\xE0\x80\x80VQQT42TCX1D4",  /* overlong U+0000 */
        "Q5\xC0\xAFVQQT42TCX1D4Q1",    /* overlong '/' */
        "Q5\xED\xA0\x80VQQT42TCX1D4",  /* surrogate U+D800 */
        "Q5\xF4\x90\x80\x80QT42TCX1D", /* U+110000 */
        "Q5\xC2\x85VQQT42TCX1D4Q1",    /* U+0085, a C1 control */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], out, &e), CODE_ECHAR);
        assert_int_equal(e.pos, 3);
        assert_string_equal(e.ch, "");
    }
    assert_int_equal(parse("Q5\xF0\x9F\x98\x80VQQT42TCX1D", out, &e), CODE_ECHAR); /* U+1F600 */
    assert_int_equal(e.pos, 3);
    assert_string_equal(e.ch, "\xF0\x9F\x98\x80");
}

static void test_code_rejects_wrong_length_with_count(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    assert_int_equal(parse("Q5VQ-QT42-TCX1-D4Q", out, &e), CODE_ELENGTH);
    assert_int_equal(e.count, 15);
    assert_int_equal(parse("Q5VQ-QT42-TCX1-D4Q11", out, &e), CODE_ELENGTH);
    assert_int_equal(e.count, 17);
    assert_int_equal(parse(" - ", out, &e), CODE_EEMPTY);
    assert_int_equal(parse("", out, &e), CODE_EEMPTY);
}

static void test_code_rejects_5000_characters_quickly(void **state)
{
    (void)state;
    char *big = malloc(5001);
    assert_non_null(big);
    memset(big, 'A', 5000);
    big[5000] = '\0';
    char out[CODE_LEN + 1];
    code_error_t e;
    assert_int_equal(parse(big, out, &e), CODE_ELENGTH);
    free(big);
}

static void test_code_check_symbol_catches_typos(void **state)
{
    (void)state;
    char out[CODE_LEN + 1];
    code_error_t e;
    /* every single-symbol substitution and every adjacent transposition
     * of a valid code must be caught (Luhn mod N guarantees both) */
    const char *alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char base[CODE_LEN + 1] = "Q5VQQT42TCX1D4Q1";
    for (int i = 0; i < CODE_LEN; i++) {
        for (int a = 0; a < 32; a++) {
            char t[CODE_LEN + 1];
            memcpy(t, base, sizeof t);
            if (t[i] == alphabet[a])
                continue;
            t[i] = alphabet[a];
            if (parse(t, out, &e) != CODE_ECHECK)
                fail_msg("substitution %s not caught", t);
        }
        if (i + 1 < CODE_LEN && base[i] != base[i + 1]) {
            char t[CODE_LEN + 1];
            memcpy(t, base, sizeof t);
            t[i] = base[i + 1];
            t[i + 1] = base[i];
            if (parse(t, out, &e) != CODE_ECHECK)
                fail_msg("transposition %s not caught", t);
        }
    }
    char msg[256];
    code_error_text(&e, "en", msg, sizeof msg);
    assert_non_null(strstr(msg, "probably mistyped"));
    code_error_text(&e, "vi", msg, sizeof msg);
    assert_non_null(strstr(msg, "gõ nhầm"));
}

static void test_code_canonical_and_grouped(void **state)
{
    (void)state;
    assert_true(code_is_canonical(str_c("Q5VQQT42TCX1D4Q1")));
    assert_false(code_is_canonical(str_c("q5vqqt42tcx1d4q1")));
    assert_false(code_is_canonical(str_c("Q5VQ-QT42-TCX1-D4Q1")));
    assert_false(code_is_canonical(str_c("Q5VQQT42TCX1D4Q2")));
    char g[CODE_GROUPED_LEN + 1];
    code_format_grouped("Q5VQQT42TCX1D4Q1", g);
    assert_string_equal(g, "Q5VQ-QT42-TCX1-D4Q1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_matches_spec_vectors),
        cmocka_unit_test(test_code_vectors_file_is_all_matched),
        cmocka_unit_test(test_code_parse_normalises_human_spellings),
        cmocka_unit_test(test_code_rejects_u_with_position),
        cmocka_unit_test(test_code_reports_multibyte_character_position),
        cmocka_unit_test(test_code_never_quotes_malformed_utf8),
        cmocka_unit_test(test_code_rejects_wrong_length_with_count),
        cmocka_unit_test(test_code_rejects_5000_characters_quickly),
        cmocka_unit_test(test_code_check_symbol_catches_typos),
        cmocka_unit_test(test_code_canonical_and_grouped),
    };
    return cmocka_run_group_tests_name("code", tests, NULL, NULL);
}
