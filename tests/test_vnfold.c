/* test_vnfold.c — folded forms of Vietnamese names (lookup/vnfold.h): which
 * spellings are one name and which are two, table by table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>

#include "lookup/vnfold.h"

typedef struct {
    const char *a, *b, *why;
} pair_t;

/* Written differently, read the same: each pair folds to one form. */
static const pair_t SAME[] = {
    /* the tone of oa, oe, uy at the end of a syllable, old and new convention */
    {"Hoà", "Hòa", "oa: tone on the second or the first vowel"},
    {"Thuận Hoá", "Thuận Hóa", "oa with an acute"},
    {"Thanh Hoá", "Thanh Hóa", "a province"},
    {"khoẻ", "khỏe", "oe with a hook above"},
    {"loè", "lòe", "oe with a grave"},
    {"Thuỷ", "Thủy", "uy with a hook above"},
    {"Uý", "Úy", "uy at the start of a word"},
    {"tuỵ", "tụy", "uy with a dot below"},
    {"hoạ sĩ", "họa sĩ", "oa with a dot below, then another word"},
    {"xoã", "xõa", "oa with a tilde"},
    {"quý", "qúy", "after q too"},
    /* case */
    {"HOÀ", "hòa", "upper case and the other tone placement"},
    {"THUỶ", "Thủy", "upper case with a hook above"},
    {"HÀ NỘI", "Hà Nội", "stacked marks in upper case"},
    {"Đồng", "đồng", "đ"},
    {"STRASSE", "straße", "full case folding, not one letter for one"},
    /* normalisation */
    {"Đồng", "\u0110o\u0302\u0300ng", "ồ as one code point and as o + circumflex + grave"},
    {"Hậu", "Ha\u0323\u0302u", "ậ with the dot below before the circumflex"},
    {"Hậu", "Ha\u0302\u0323u", "ậ with the circumflex before the dot below"},
    {"Hòa", "Ho\u0300a", "decomposed, old convention"},
    {"Hòa", "hoa\u0300", "decomposed, new convention, lower case"},
    /* white space */
    {"  Trường Tiểu học Kim Đồng ", "Trường Tiểu học Kim Đồng", "leading and trailing spaces"},
    {"Trường  Tiểu\thọc\n Kim Đồng", "Trường Tiểu học Kim Đồng", "inner runs of spaces, a tab, a newline"},
    {"Kim\u00a0Đồng", "Kim Đồng", "a no-break space"},
    {"Kim\u3000Đồng", "Kim Đồng", "an ideographic space"},
    {"", "   ", "empty and blank"},
    /* all at once */
    {"  TRƯỜNG THPT  THUỶ   NGUYÊN ", "Trường THPT Thủy Nguyên", "case, spaces and tone together"},
};

/* Different names, or spellings both conventions agree on: never one name. */
static const pair_t DIFFERENT[] = {
    {"Hoà", "Hoa", "a tone mark is part of the name"},
    {"Hòa", "Hóa", "another tone"},
    {"Thuỷ", "Thụy", "another tone on uy"},
    {"Hoàng", "Hòang", "with a final consonant both conventions mark the second vowel"},
    {"Quỳnh", "Qùynh", "the same with uy"},
    {"của", "cuả", "u+a is not one of the three pairs"},
    {"hoài", "hòai", "o+a+i: a longer vowel group"},
    {"Mĩ thuật", "Mỹ thuật", "i/y spelling is not folded for names"},
    {"Kim Đồng", "Kim Dong", "letters without their marks"},
    {"Kim Đồng", "Kim Đông", "a missing tone"},
    {"Đồng", "Dồng", "đ is not d"},
    {"Trường Tiểu học Kim Đồng", "Trường Tiểu học KimĐồng", "a space is not nothing"},
    {"Thành phố Hà Nội", "Hà Nội", "a shorter name"},
    {"ờa", "oà", "o with a horn is another vowel"},
};

static void expect_pairs(const pair_t *t, size_t n, int want)
{
    for (size_t i = 0; i < n; i++) {
        int got = vnfold_equal(str_c(t[i].a), str_c(t[i].b));
        if (got != want)
            fail_msg("expected \"%s\" and \"%s\" to be %s (%s), vnfold_equal gave %d", t[i].a, t[i].b,
                     want ? "one name" : "two names", t[i].why, got);
        got = vnfold_equal(str_c(t[i].b), str_c(t[i].a));
        if (got != want)
            fail_msg("expected the comparison to be symmetric for \"%s\" and \"%s\", got %d", t[i].b, t[i].a,
                     got);
    }
}

static void test_vnfold_spellings_of_one_name_are_equal(void **state)
{
    (void)state;
    expect_pairs(SAME, sizeof SAME / sizeof *SAME, 1);
}

static void test_vnfold_different_names_stay_different(void **state)
{
    (void)state;
    expect_pairs(DIFFERENT, sizeof DIFFERENT / sizeof *DIFFERENT, 0);
}

/* The form itself, for a few names: NFD, folded, squeezed, tone moved. */
static void test_vnfold_gives_the_documented_form(void **state)
{
    (void)state;
    static const struct {
        const char *in, *form;
    } t[] = {
        {" Hòa  Bình ", "hoa\u0300 bi\u0300nh"},
        {"THỦY", "thuy\u0309"},
        {"qúy", "quy\u0301"},
        {"Hòang", "ho\u0300ang"},
        {"Kim Đồng", "kim \u0111o\u0302\u0300ng"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(vnfold(str_c(t[i].in), &out, &len), VNFOLD_OK);
        if (len != strlen(t[i].form) || strcmp(out, t[i].form) != 0) {
            char got[200];
            snprintf(got, sizeof got, "%s", out);
            free(out);
            fail_msg("expected the form of \"%s\" to be \"%s\", got \"%s\"", t[i].in, t[i].form, got);
        }
        free(out);
    }
}

/* A folded form folds to itself, so a form can be stored and compared later. */
static void test_vnfold_form_folds_to_itself(void **state)
{
    (void)state;
    const pair_t *tables[] = {SAME, DIFFERENT};
    size_t sizes[] = {sizeof SAME / sizeof *SAME, sizeof DIFFERENT / sizeof *DIFFERENT};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizes[k]; i++)
            for (int side = 0; side < 2; side++) {
                const char *in = side ? tables[k][i].b : tables[k][i].a;
                char *once = NULL, *twice = NULL;
                size_t l1 = 0, l2 = 0;
                assert_int_equal(vnfold(str_c(in), &once, &l1), VNFOLD_OK);
                assert_int_equal(vnfold(str_n(once, l1), &twice, &l2), VNFOLD_OK);
                int same = l1 == l2 && memcmp(once, twice, l1) == 0;
                free(once);
                free(twice);
                if (!same)
                    fail_msg("expected the form of \"%s\" to fold to itself", in);
            }
}

static void test_vnfold_refuses_what_is_not_utf8(void **state)
{
    (void)state;
    /* Windows-1258 à, a cut sequence, a surrogate (U+D800), an overlong '/' */
    static const char *const bad[] = {"Ho\xe0", "\xc3", "a\xed\xa0\x80", "\xc0\xaf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = (char *)1;
        assert_int_equal(vnfold(str_c(bad[i]), &out, NULL), VNFOLD_EUTF8);
        assert_null(out);
        assert_int_equal(vnfold_equal(str_c(bad[i]), str_c("Hoà")), VNFOLD_EUTF8);
        assert_int_equal(vnfold_equal(str_c("Hoà"), str_c(bad[i])), VNFOLD_EUTF8);
    }
}

/* The length is the length: a NUL inside is a character like any other. */
static void test_vnfold_reads_exactly_len_bytes(void **state)
{
    (void)state;
    assert_int_equal(vnfold_equal(str_n("Hoà Bình", 4), str_c("Hòa")), 1);
    assert_int_equal(vnfold_equal(str_n("a\0b", 3), str_c("a")), 0);
    assert_int_equal(vnfold_equal(str_n("a\0b", 3), str_n("A\0B", 3)), 1);
}

/* vnfold folds text without combining marks (ASCII and precomposed letters,
 * what names nearly always are) by a table instead of converting it whole
 * (vnfold.c): the form must be exactly the one of the same text decomposed,
 * which takes the full path. Every character of the table's ranges and of
 * ASCII, alone and between letters and spaces, and every name above. */
static void expect_as_decomposed(const char *text, size_t len)
{
    size_t dlen = 0, la = 0, lb = 0;
    uint8_t *nfd = u8_normalize(UNINORM_NFD, (const uint8_t *)text, len, NULL, &dlen);
    char *a = NULL, *b = NULL;
    assert_non_null(nfd);
    int ra = vnfold(str_n(text, len), &a, &la), rb = vnfold(str_n((const char *)nfd, dlen), &b, &lb);
    int same = ra == VNFOLD_OK && rb == VNFOLD_OK && la == lb && memcmp(a, b, la) == 0;
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)len, text);
    free(nfd);
    free(a);
    free(b);
    if (!same)
        fail_msg("expected \"%s\" to fold as its NFD (%d, %d)", shown, ra, rb);
}

static void test_vnfold_precomposed_text_folds_as_its_decomposed_form(void **state)
{
    (void)state;
    static const uint32_t ranges[][2] = {{0x0001, 0x007F}, {0x00A0, 0x024F}, {0x1E00, 0x1EFF}};
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
        for (uint32_t c = ranges[r][0]; c <= ranges[r][1]; c++) {
            char t[16];
            size_t n = 0;
            t[n++] = 'H';
            if (c < 0x80) {
                t[n++] = (char)c;
            } else if (c < 0x800) {
                t[n++] = (char)(0xC0 | c >> 6), t[n++] = (char)(0x80 | (c & 0x3F));
            } else {
                t[n++] = (char)(0xE0 | c >> 12), t[n++] = (char)(0x80 | (c >> 6 & 0x3F));
                t[n++] = (char)(0x80 | (c & 0x3F));
            }
            memcpy(t + n, "a  B", 4);
            expect_as_decomposed(t, n + 4);
            expect_as_decomposed(t + 1, n - 1);
        }
    const pair_t *tables[] = {SAME, DIFFERENT};
    size_t sizes[] = {sizeof SAME / sizeof *SAME, sizeof DIFFERENT / sizeof *DIFFERENT};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizes[k]; i++) {
            expect_as_decomposed(tables[k][i].a, strlen(tables[k][i].a));
            expect_as_decomposed(tables[k][i].b, strlen(tables[k][i].b));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnfold_spellings_of_one_name_are_equal),
        cmocka_unit_test(test_vnfold_different_names_stay_different),
        cmocka_unit_test(test_vnfold_gives_the_documented_form),
        cmocka_unit_test(test_vnfold_form_folds_to_itself),
        cmocka_unit_test(test_vnfold_refuses_what_is_not_utf8),
        cmocka_unit_test(test_vnfold_reads_exactly_len_bytes),
        cmocka_unit_test(test_vnfold_precomposed_text_folds_as_its_decomposed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
