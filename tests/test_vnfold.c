/* test_vnfold.c — vnfold_name: Vietnamese names folded for comparison
 * (package-format.md §5 for school names, §3b for subject names). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lookup/vnfold.h"

#define FOLD_LEN 512

/* The 73 lower-case letters of Vietnamese beyond the ASCII consonants: the
 * 12 vowels with no tone and each of the five, and đ; each composed (NFC), in
 * upper case, and decomposed (NFD), as Python's unicodedata gives them. */
static const struct {
    const char *nfc, *upper, *nfd;
} LETTERS[] = {
    {"a", "A", "a"},                                       /* a */
    {"\xC3\xA0", "\xC3\x80", "a\xCC\x80"},                 /* à */
    {"\xC3\xA1", "\xC3\x81", "a\xCC\x81"},                 /* á */
    {"\xE1\xBA\xA3", "\xE1\xBA\xA2", "a\xCC\x89"},         /* ả */
    {"\xC3\xA3", "\xC3\x83", "a\xCC\x83"},                 /* ã */
    {"\xE1\xBA\xA1", "\xE1\xBA\xA0", "a\xCC\xA3"},         /* ạ */
    {"\xC4\x83", "\xC4\x82", "a\xCC\x86"},                 /* ă */
    {"\xE1\xBA\xB1", "\xE1\xBA\xB0", "a\xCC\x86\xCC\x80"}, /* ằ */
    {"\xE1\xBA\xAF", "\xE1\xBA\xAE", "a\xCC\x86\xCC\x81"}, /* ắ */
    {"\xE1\xBA\xB3", "\xE1\xBA\xB2", "a\xCC\x86\xCC\x89"}, /* ẳ */
    {"\xE1\xBA\xB5", "\xE1\xBA\xB4", "a\xCC\x86\xCC\x83"}, /* ẵ */
    {"\xE1\xBA\xB7", "\xE1\xBA\xB6", "a\xCC\xA3\xCC\x86"}, /* ặ */
    {"\xC3\xA2", "\xC3\x82", "a\xCC\x82"},                 /* â */
    {"\xE1\xBA\xA7", "\xE1\xBA\xA6", "a\xCC\x82\xCC\x80"}, /* ầ */
    {"\xE1\xBA\xA5", "\xE1\xBA\xA4", "a\xCC\x82\xCC\x81"}, /* ấ */
    {"\xE1\xBA\xA9", "\xE1\xBA\xA8", "a\xCC\x82\xCC\x89"}, /* ẩ */
    {"\xE1\xBA\xAB", "\xE1\xBA\xAA", "a\xCC\x82\xCC\x83"}, /* ẫ */
    {"\xE1\xBA\xAD", "\xE1\xBA\xAC", "a\xCC\xA3\xCC\x82"}, /* ậ */
    {"e", "E", "e"},                                       /* e */
    {"\xC3\xA8", "\xC3\x88", "e\xCC\x80"},                 /* è */
    {"\xC3\xA9", "\xC3\x89", "e\xCC\x81"},                 /* é */
    {"\xE1\xBA\xBB", "\xE1\xBA\xBA", "e\xCC\x89"},         /* ẻ */
    {"\xE1\xBA\xBD", "\xE1\xBA\xBC", "e\xCC\x83"},         /* ẽ */
    {"\xE1\xBA\xB9", "\xE1\xBA\xB8", "e\xCC\xA3"},         /* ẹ */
    {"\xC3\xAA", "\xC3\x8A", "e\xCC\x82"},                 /* ê */
    {"\xE1\xBB\x81", "\xE1\xBB\x80", "e\xCC\x82\xCC\x80"}, /* ề */
    {"\xE1\xBA\xBF", "\xE1\xBA\xBE", "e\xCC\x82\xCC\x81"}, /* ế */
    {"\xE1\xBB\x83", "\xE1\xBB\x82", "e\xCC\x82\xCC\x89"}, /* ể */
    {"\xE1\xBB\x85", "\xE1\xBB\x84", "e\xCC\x82\xCC\x83"}, /* ễ */
    {"\xE1\xBB\x87", "\xE1\xBB\x86", "e\xCC\xA3\xCC\x82"}, /* ệ */
    {"i", "I", "i"},                                       /* i */
    {"\xC3\xAC", "\xC3\x8C", "i\xCC\x80"},                 /* ì */
    {"\xC3\xAD", "\xC3\x8D", "i\xCC\x81"},                 /* í */
    {"\xE1\xBB\x89", "\xE1\xBB\x88", "i\xCC\x89"},         /* ỉ */
    {"\xC4\xA9", "\xC4\xA8", "i\xCC\x83"},                 /* ĩ */
    {"\xE1\xBB\x8B", "\xE1\xBB\x8A", "i\xCC\xA3"},         /* ị */
    {"o", "O", "o"},                                       /* o */
    {"\xC3\xB2", "\xC3\x92", "o\xCC\x80"},                 /* ò */
    {"\xC3\xB3", "\xC3\x93", "o\xCC\x81"},                 /* ó */
    {"\xE1\xBB\x8F", "\xE1\xBB\x8E", "o\xCC\x89"},         /* ỏ */
    {"\xC3\xB5", "\xC3\x95", "o\xCC\x83"},                 /* õ */
    {"\xE1\xBB\x8D", "\xE1\xBB\x8C", "o\xCC\xA3"},         /* ọ */
    {"\xC3\xB4", "\xC3\x94", "o\xCC\x82"},                 /* ô */
    {"\xE1\xBB\x93", "\xE1\xBB\x92", "o\xCC\x82\xCC\x80"}, /* ồ */
    {"\xE1\xBB\x91", "\xE1\xBB\x90", "o\xCC\x82\xCC\x81"}, /* ố */
    {"\xE1\xBB\x95", "\xE1\xBB\x94", "o\xCC\x82\xCC\x89"}, /* ổ */
    {"\xE1\xBB\x97", "\xE1\xBB\x96", "o\xCC\x82\xCC\x83"}, /* ỗ */
    {"\xE1\xBB\x99", "\xE1\xBB\x98", "o\xCC\xA3\xCC\x82"}, /* ộ */
    {"\xC6\xA1", "\xC6\xA0", "o\xCC\x9B"},                 /* ơ */
    {"\xE1\xBB\x9D", "\xE1\xBB\x9C", "o\xCC\x9B\xCC\x80"}, /* ờ */
    {"\xE1\xBB\x9B", "\xE1\xBB\x9A", "o\xCC\x9B\xCC\x81"}, /* ớ */
    {"\xE1\xBB\x9F", "\xE1\xBB\x9E", "o\xCC\x9B\xCC\x89"}, /* ở */
    {"\xE1\xBB\xA1", "\xE1\xBB\xA0", "o\xCC\x9B\xCC\x83"}, /* ỡ */
    {"\xE1\xBB\xA3", "\xE1\xBB\xA2", "o\xCC\x9B\xCC\xA3"}, /* ợ */
    {"u", "U", "u"},                                       /* u */
    {"\xC3\xB9", "\xC3\x99", "u\xCC\x80"},                 /* ù */
    {"\xC3\xBA", "\xC3\x9A", "u\xCC\x81"},                 /* ú */
    {"\xE1\xBB\xA7", "\xE1\xBB\xA6", "u\xCC\x89"},         /* ủ */
    {"\xC5\xA9", "\xC5\xA8", "u\xCC\x83"},                 /* ũ */
    {"\xE1\xBB\xA5", "\xE1\xBB\xA4", "u\xCC\xA3"},         /* ụ */
    {"\xC6\xB0", "\xC6\xAF", "u\xCC\x9B"},                 /* ư */
    {"\xE1\xBB\xAB", "\xE1\xBB\xAA", "u\xCC\x9B\xCC\x80"}, /* ừ */
    {"\xE1\xBB\xA9", "\xE1\xBB\xA8", "u\xCC\x9B\xCC\x81"}, /* ứ */
    {"\xE1\xBB\xAD", "\xE1\xBB\xAC", "u\xCC\x9B\xCC\x89"}, /* ử */
    {"\xE1\xBB\xAF", "\xE1\xBB\xAE", "u\xCC\x9B\xCC\x83"}, /* ữ */
    {"\xE1\xBB\xB1", "\xE1\xBB\xB0", "u\xCC\x9B\xCC\xA3"}, /* ự */
    {"y", "Y", "y"},                                       /* y */
    {"\xE1\xBB\xB3", "\xE1\xBB\xB2", "y\xCC\x80"},         /* ỳ */
    {"\xC3\xBD", "\xC3\x9D", "y\xCC\x81"},                 /* ý */
    {"\xE1\xBB\xB7", "\xE1\xBB\xB6", "y\xCC\x89"},         /* ỷ */
    {"\xE1\xBB\xB9", "\xE1\xBB\xB8", "y\xCC\x83"},         /* ỹ */
    {"\xE1\xBB\xB5", "\xE1\xBB\xB4", "y\xCC\xA3"},         /* ỵ */
    {"\xC4\x91", "\xC4\x90", "\xC4\x91"},                  /* đ */
};
#define NLETTERS (sizeof LETTERS / sizeof LETTERS[0])

static int fold(const char *s, char out[FOLD_LEN], int flags)
{
    int n = vnfold_name(str_c(s), out, FOLD_LEN, flags);
    if (n < 0)
        fail_msg("vnfold_name(\"%s\"): expected a folding, got %d", s, n);
    if ((size_t)n != strlen(out))
        fail_msg("vnfold_name(\"%s\"): returned %d but wrote %zu bytes", s, n, strlen(out));
    return n;
}

/* Every letter folds the same in upper case and decomposed, and no two
 * letters fold alike: case and composition go, tone and vowel marks stay. */
static void test_vnfold_every_letter_folds_case_and_decomposition_and_stays_itself(void **state)
{
    (void)state;
    char folded[NLETTERS][FOLD_LEN], other[FOLD_LEN];
    for (size_t i = 0; i < NLETTERS; i++) {
        fold(LETTERS[i].nfc, folded[i], 0);
        fold(LETTERS[i].upper, other, 0);
        if (strcmp(folded[i], other) != 0)
            fail_msg("%s and %s: expected the same folding, got \"%s\" and \"%s\"", LETTERS[i].nfc,
                     LETTERS[i].upper, folded[i], other);
        fold(LETTERS[i].nfd, other, 0);
        if (strcmp(folded[i], other) != 0)
            fail_msg("%s composed and decomposed: expected the same folding, got \"%s\" and \"%s\"",
                     LETTERS[i].nfc, folded[i], other);
        for (size_t k = 0; k < i; k++)
            if (strcmp(folded[i], folded[k]) == 0)
                fail_msg("%s and %s: expected different foldings, both gave \"%s\"", LETTERS[i].nfc,
                         LETTERS[k].nfc, folded[i]);
    }
}

/* Pairs of names, and whether they are the same name. */
static const struct {
    const char *a, *b;
    int flags, same;
} PAIRS[] = {
    /* the two tone placements of Vietnamese software (§5) */
    {"Hoà", "Hòa", 0, 1},
    {"Thuỷ", "Thủy", 0, 1},
    {"khoẻ", "khỏe", 0, 1},
    {"Hoá học", "Hóa học", 0, 1},
    {"Quý", "Qúy", 0, 1},
    {"Trường Tiểu học Thanh Xuân Hoà", "Trường Tiểu học Thanh Xuân Hòa", 0, 1},
    /* case, composition and the mixes converters write */
    {"TRƯỜNG THCS NGUYỄN DU", "Trường THCS Nguyễn Du", 0, 1},
    {"Trường", "Tru\xCC\x9Bo\xCC\x9B\xCC\x80ng", 0, 1}, /* NFD */
    {"Trường", "Tr\xC6\xB0\xC6\xA1\xCC\x80ng", 0, 1},   /* ư ơ composed, the grave combining */
    {"Nguyễn", "Nguye\xCC\x83\xCC\x82n", 0, 1},         /* marks in the other order */
    {"Hòa",
     "Ho\xCD\x80"
     "a",
     0, 1}, /* U+0340, the deprecated grave */
    /* white space */
    {"  Trường   THCS\tNguyễn Du \n", "Trường THCS Nguyễn Du", 0, 1},
    {"Trường\xC2\xA0THPT Chu Văn An", "Trường THPT Chu Văn An", 0, 1}, /* no-break space */
    {"Trường THPT", "TrườngTHPT", 0, 0},
    /* i and y, only when asked */
    {"Mĩ thuật", "Mỹ thuật", 0, 0},
    {"Mĩ thuật", "Mỹ thuật", VNFOLD_IY, 1},
    {"Vật lí", "Vật lý", VNFOLD_IY, 1},
    {"Địa lí", "ĐỊA LÝ", VNFOLD_IY, 1},
    {"Thủy", "Thuỷ", VNFOLD_IY, 1},
    /* what tells names apart stays */
    {"Hòa", "Hoa", 0, 0},
    {"Hòa", "Hóa", 0, 0},
    {"Ngữ văn", "Ngũ văn", 0, 0},
    {"Đồng", "Dồng", 0, 0},
    {"Âm nhạc", "Ám nhạc", 0, 0},
    {"Ngoại ngữ 1", "Ngoại ngữ 2", 0, 0},
    {"Tin học", "Tin hoc", VNFOLD_IY, 0},
    /* a tone moves within its syllable, never to the next */
    {"hoà an", "hoa àn", 0, 0},
    {"Hoàng", "Hòang", 0, 1},
};

static void test_vnfold_compares_names_as_the_spec_says(void **state)
{
    (void)state;
    char fa[FOLD_LEN], fb[FOLD_LEN];
    for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++) {
        fold(PAIRS[i].a, fa, PAIRS[i].flags);
        fold(PAIRS[i].b, fb, PAIRS[i].flags);
        if ((strcmp(fa, fb) == 0) != PAIRS[i].same)
            fail_msg("\"%s\" and \"%s\"%s: expected %s, got \"%s\" and \"%s\"", PAIRS[i].a, PAIRS[i].b,
                     PAIRS[i].flags ? " (VNFOLD_IY)" : "",
                     PAIRS[i].same ? "the same folding" : "different foldings", fa, fb);
    }
}

/* What a folding is: lower case, no tone on a letter, each syllable's tone
 * after it as a combining mark, one space between words. */
static void test_vnfold_writes_tones_after_their_syllable(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int flags;
        const char *want;
    } cases[] = {
        {" Hoà  Bình ", 0, "hoa\xCC\x80 binh\xCC\x80"},
        {"Mỹ", VNFOLD_IY, "mi\xCC\x83"},
        {"Mỹ", 0, "my\xCC\x83"},
        {"Đặng", 0, "\xC4\x91\xC4\x83ng\xCC\xA3"},
        {"Ngoại ngữ 1 (Tiếng Anh)", 0, "ngoai\xCC\xA3 ng\xC6\xB0\xCC\x83 1 (ti\xC3\xAAng\xCC\x81 anh)"},
        {"", 0, ""},
        {" \t ", 0, ""},
    };
    char out[FOLD_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fold(cases[i].in, out, cases[i].flags);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("\"%s\": expected the folding \"%s\", got \"%s\"", cases[i].in, cases[i].want, out);
    }
}

/* Marks no letter takes (a tone on a consonant, a second vowel mark), bytes
 * that are not UTF-8 and other scripts are kept as they are. */
static void test_vnfold_keeps_what_it_does_not_fold(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"b\xCC\x80", "b\xCC\x80"},
        {"\xC4\x91\xCC\x81", "\xC4\x91\xCC\x81"},
        {"a\xCC\x82\xCC\x86", "\xC3\xA2\xCC\x86"},
        {"a\xFF"
         "b",
         "a\xFF"
         "b"},
        {"Ω é", "Ω e\xCC\x81"},
        {"\xCC\x80x", "\xCC\x80x"},
    };
    char out[FOLD_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fold(cases[i].in, out, 0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: expected the folding \"%s\", got \"%s\"", i, cases[i].want, out);
    }
}

/* 2 * len + 1 bytes always hold the folding; fewer may not, and then the
 * answer is VNFOLD_ESPACE with an empty out. */
static void test_vnfold_says_when_out_is_too_small(void **state)
{
    (void)state;
    static const char worst[] = "ÀÀÀÀÀÀÀÀ"; /* 2 bytes each, 3 folded */
    char out[64];
    size_t len = strlen(worst);
    int n = vnfold_name(str_c(worst), out, 2 * len + 1, 0);
    assert_int_equal(n, 24);
    memset(out, 'x', sizeof out);
    assert_int_equal(vnfold_name(str_c(worst), out, 24, 0), VNFOLD_ESPACE);
    assert_string_equal(out, "");
    assert_int_equal(vnfold_name(str_c(worst), out, 25, 0), 24);
    assert_int_equal(vnfold_name(str_c("a"), out, 0, 0), VNFOLD_ESPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnfold_every_letter_folds_case_and_decomposition_and_stays_itself),
        cmocka_unit_test(test_vnfold_compares_names_as_the_spec_says),
        cmocka_unit_test(test_vnfold_writes_tones_after_their_syllable),
        cmocka_unit_test(test_vnfold_keeps_what_it_does_not_fold),
        cmocka_unit_test(test_vnfold_says_when_out_is_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
