/* test_utf8.c — cutting and cleaning UTF-8 for messages (lookup/utf8.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <unistr.h>

#include "lookup/utf8.h"

/* "Thành phố Hà Nội": à is 2 bytes (C3 A0), ố and ộ are 3 (E1 BB 91, E1 BB 99). */
#define HANOI "Th\xC3\xA0nh ph\xE1\xBB\x91 H\xC3\xA0 N\xE1\xBB\x99i"

static void test_utf8_cut_keeps_whole_characters(void **state)
{
    (void)state;
    const char *s = HANOI;
    assert_int_equal(utf8_cut(s, strlen(s)), strlen(s));
    assert_int_equal(utf8_cut(s, 0), 0);
    assert_int_equal(utf8_cut(s, 2), 2);   /* "Th" */
    assert_int_equal(utf8_cut(s, 3), 2);   /* inside à */
    assert_int_equal(utf8_cut(s, 4), 4);   /* "Thà" */
    assert_int_equal(utf8_cut(s, 10), 9);  /* one byte of ố */
    assert_int_equal(utf8_cut(s, 11), 9);  /* two bytes of ố */
    assert_int_equal(utf8_cut(s, 12), 12); /* all of ố */
}

static void test_utf8_cut_of_four_byte_character(void **state)
{
    (void)state;
    const char *s = "a\xF0\x9F\x98\x80"; /* a, U+1F600 */
    assert_int_equal(utf8_cut(s, 5), 5);
    assert_int_equal(utf8_cut(s, 4), 1);
    assert_int_equal(utf8_cut(s, 2), 1);
}

/* Cutting is not cleaning: stray continuation bytes stay; a last byte that
 * could only start a sequence is dropped like any incomplete one. */
static void test_utf8_cut_leaves_stray_continuation_bytes(void **state)
{
    (void)state;
    assert_int_equal(utf8_cut("\x80\x80", 2), 2);
    assert_int_equal(utf8_cut("ab\xFF", 3), 2);
}

static void test_utf8_scrub_copies_valid_text_unchanged(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(utf8_scrub(HANOI, strlen(HANOI), out, sizeof out), strlen(HANOI));
    assert_string_equal(out, HANOI);
}

/* A file name in Windows-1258 ("Hà" as 48 E0) or with a cut sequence. */
static void test_utf8_scrub_replaces_each_bad_byte(void **state)
{
    (void)state;
    char out[64];
    utf8_scrub("H\xE0.json", 7, out, sizeof out);
    assert_string_equal(out, "H\xEF\xBF\xBD.json");
    utf8_scrub("a\xE1\xBB", 3, out, sizeof out); /* ộ cut short: two bad bytes */
    assert_string_equal(out, "a\xEF\xBF\xBD\xEF\xBF\xBD");
    utf8_scrub("\xC0\xAF", 2, out, sizeof out); /* overlong "/" */
    assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
    utf8_scrub("\xED\xA0\x80", 3, out, sizeof out); /* a UTF-16 surrogate */
    assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    utf8_scrub("\xF4\x90\x80\x80", 4, out, sizeof out); /* above U+10FFFF */
    assert_int_equal(strlen(out), 12);
}

/* A NUL in the input is a character like another; the output stops at the
 * first NUL for C readers, so the caller passes NUL-free text. */
static void test_utf8_scrub_cuts_to_the_buffer_on_a_character(void **state)
{
    (void)state;
    char out[5], small[4];
    assert_int_equal(utf8_scrub(HANOI, strlen(HANOI), out, sizeof out), 4); /* "Thà", then no room */
    assert_string_equal(out, "Th\xC3\xA0");
    assert_int_equal(utf8_scrub(HANOI, strlen(HANOI), small, sizeof small), 2); /* à would not fit */
    assert_string_equal(small, "Th");
    char tiny[3];
    assert_int_equal(utf8_scrub("\xFF", 1, tiny, sizeof tiny), 0); /* U+FFFD does not fit in 2 */
    assert_string_equal(tiny, "");
    char one[1];
    assert_int_equal(utf8_scrub("abc", 3, one, sizeof one), 0);
    assert_string_equal(one, "");
}

/* The one decoder: each byte sequence, what it decodes to or what is wrong with it, and how many
 * bytes one U+FFFD stands for (Unicode §3.9's maximal subpart). */
static void test_utf8_decode_says_what_each_sequence_is(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t avail, len;
        unsigned cp;
        int fault;
        size_t bad;
    } CASES[] = {
        {"A", 1, 1, 'A', UTF8_OK, 0},
        {"\xC3\xA1", 2, 2, 0xE1, UTF8_OK, 0},             /* á */
        {"\xE1\xBB\x99", 3, 3, 0x1ED9, UTF8_OK, 0},       /* ộ */
        {"\xF0\x9F\x98\x80", 4, 4, 0x1F600, UTF8_OK, 0},  /* four bytes */
        {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF, UTF8_OK, 0}, /* the last code point */
        {"\x80", 1, 0, 0, UTF8_STRAY, 1},                 /* a continuation alone */
        {"\xF8\x80", 2, 0, 0, UTF8_NEVER, 1},             /* F8..FF */
        {"\xC3"
         "A",
         2, 0, 0, UTF8_CUT, 1}, /* a lead, then ASCII (Windows-1258) */
        {"\xE1\xBB"
         "A",
         3, 0, 0, UTF8_CUT, 2},                          /* cut after two bytes */
        {"\xE1\xBB", 2, 0, 0, UTF8_CUT_END, 2},          /* the bytes end */
        {"\xC0\xAF", 2, 0, 0, UTF8_OVERLONG, 1},         /* C0 */
        {"\xE0\x80\xAF", 3, 0, 0, UTF8_OVERLONG, 1},     /* E0 too low */
        {"\xF0\x8F\xBF\xBF", 4, 0, 0, UTF8_OVERLONG, 1}, /* F0 too low */
        {"\xED\xA0\x80", 3, 0, 0, UTF8_SURROGATE, 1},    /* U+D800 */
        {"\xF4\x90\x80\x80", 4, 0, 0, UTF8_TOO_BIG, 1},  /* U+110000 */
        {"\xF5\x80\x80\x80", 4, 0, 0, UTF8_TOO_BIG, 1},  /* F5 */
        {"\xC1", 1, 0, 0, UTF8_CUT, 1},                  /* C1 at the end */
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        utf8_char_t ch = {0, 0, 0};
        size_t got = utf8_decode((const unsigned char *)CASES[i].bytes, CASES[i].avail, &ch);
        if (got != CASES[i].len || (got > 0 && ch.cp != CASES[i].cp) ||
            (got == 0 && (ch.fault != CASES[i].fault || ch.bad != CASES[i].bad)))
            fail_msg("case %zu: expected length %zu, U+%04X, fault %d, bad %zu; got %zu, U+%04X, fault %d, "
                     "bad %zu",
                     i, CASES[i].len, CASES[i].cp, CASES[i].fault, CASES[i].bad, got, ch.cp, ch.fault,
                     ch.bad);
        if (utf8_seq_len((const unsigned char *)CASES[i].bytes, CASES[i].avail) != CASES[i].len)
            fail_msg("case %zu: utf8_seq_len disagrees with utf8_decode", i);
    }
}

/* Against libunistring's decoder, for every first and second byte and the third and fourth bytes at
 * the edges of each range: the same sequences are well-formed, with the same code points. */
static void test_utf8_decode_agrees_with_libunistring(void **state)
{
    (void)state;
    static const unsigned char EDGES[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                          0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF};
    size_t checked = 0;
    for (unsigned b0 = 0; b0 < 256; b0++)
        for (unsigned b1 = 0; b1 < 256; b1++)
            for (size_t i2 = 0; i2 < sizeof EDGES; i2++)
                for (size_t i3 = 0; i3 < sizeof EDGES; i3++) {
                    const unsigned char s[4] = {(unsigned char)b0, (unsigned char)b1, EDGES[i2], EDGES[i3]};
                    ucs4_t want_cp = 0;
                    int want = u8_mbtoucr(&want_cp, s, 4);
                    utf8_char_t ch = {0, 0, 0};
                    size_t got = utf8_decode(s, 4, &ch);
                    if ((want > 0 ? (size_t)want : 0) != got || (got > 0 && ch.cp != want_cp))
                        fail_msg(
                            "%02X %02X %02X %02X: libunistring says %d (U+%04X), utf8_decode %zu (U+%04X)",
                            s[0], s[1], s[2], s[3], want, (unsigned)want_cp, got, ch.cp);
                    checked++;
                }
    assert_int_equal(checked, 256 * 256 * sizeof EDGES * sizeof EDGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode_says_what_each_sequence_is),
        cmocka_unit_test(test_utf8_decode_agrees_with_libunistring),
        cmocka_unit_test(test_utf8_cut_keeps_whole_characters),
        cmocka_unit_test(test_utf8_cut_of_four_byte_character),
        cmocka_unit_test(test_utf8_cut_leaves_stray_continuation_bytes),
        cmocka_unit_test(test_utf8_scrub_copies_valid_text_unchanged),
        cmocka_unit_test(test_utf8_scrub_replaces_each_bad_byte),
        cmocka_unit_test(test_utf8_scrub_cuts_to_the_buffer_on_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
