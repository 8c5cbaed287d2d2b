/* test_utf8.c — cutting and cleaning UTF-8 for messages (lookup/utf8.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_cut_keeps_whole_characters),
        cmocka_unit_test(test_utf8_cut_of_four_byte_character),
        cmocka_unit_test(test_utf8_cut_leaves_stray_continuation_bytes),
        cmocka_unit_test(test_utf8_scrub_copies_valid_text_unchanged),
        cmocka_unit_test(test_utf8_scrub_replaces_each_bad_byte),
        cmocka_unit_test(test_utf8_scrub_cuts_to_the_buffer_on_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
