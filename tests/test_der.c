/* test_der.c — the DER reader (lookup/der.h) with a DER cursor: elements
 * read in order with their content and whole encoding, expected and optional
 * tags, the forms only BER allows refused as such, malformed and too deeply
 * nested input refused with its own error, OIDs compared, and UTCTime and
 * GeneralizedTime read to UTC seconds. BER itself is test_ber.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lookup/der.h"

/* The bytes of hex such as "30 03 02 01 05" (spaces ignored), into buf; returns how many. */
static size_t bytes_of(const char *hex, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (*hex != '\0') {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        char two[3] = {hex[0], hex[1], '\0'}, *end;
        unsigned long v = strtoul(two, &end, 16);
        if (end != two + 2 || n == cap)
            fail_msg("test data: bad hex at \"%s\"", hex);
        buf[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* The first element of hex read by a DER cursor must fail with want. */
static void expect_refused(const char *what, const char *hex, int want)
{
    uint8_t b[256];
    size_t n = bytes_of(hex, b, sizeof b);
    der_cur_t c = der_cursor(b, n);
    der_elem_t e;
    int rc = der_next(&c, &e);
    if (rc != want)
        fail_msg("%s (%s): expected %d, got %d", what, hex, want, rc);
}

static void test_der_reads_elements_in_order_with_content_and_encoding(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = bytes_of("30 08 02 01 05 04 03 61 62 63 05 00", b, sizeof b);
    der_cur_t c = der_cursor(b, n);
    der_elem_t seq, e;
    assert_int_equal(der_next(&c, &seq), DER_OK);
    assert_int_equal(seq.tag, DER_SEQUENCE);
    assert_int_equal(seq.len, 8);
    assert_ptr_equal(seq.val, b + 2);
    assert_ptr_equal(seq.raw, b);
    assert_int_equal(seq.rawlen, 10);
    assert_int_equal(seq.depth, 0);
    assert_int_equal(seq.indefinite, 0);

    der_cur_t in = der_inside(&seq);
    assert_int_equal(der_next(&in, &e), DER_OK);
    assert_int_equal(e.tag, DER_INTEGER);
    assert_int_equal(e.len, 1);
    assert_int_equal(e.val[0], 5);
    assert_int_equal(e.depth, 1);
    assert_int_equal(der_next(&in, &e), DER_OK);
    assert_int_equal(e.tag, DER_OCTET_STRING);
    assert_memory_equal(e.val, "abc", 3);
    assert_int_equal(der_next(&in, &e), DER_EEND);

    /* the NULL after the SEQUENCE, then the end */
    assert_int_equal(der_next(&c, &e), DER_OK);
    assert_int_equal(e.tag, DER_NULL);
    assert_int_equal(e.len, 0);
    assert_int_equal(der_next(&c, &e), DER_EEND);
}

/* A long form length, used where it is needed (200 bytes of content). */
static void test_der_reads_a_long_form_length(void **state)
{
    (void)state;
    uint8_t b[3 + 200];
    memcpy(b, "\x04\x81\xc8", 3);
    memset(b + 3, 'x', 200);
    der_cur_t c = der_cursor(b, sizeof b);
    der_elem_t e;
    assert_int_equal(der_next(&c, &e), DER_OK);
    assert_int_equal(e.len, 200);
    assert_ptr_equal(e.val, b + 3);
    assert_int_equal(e.rawlen, sizeof b);
    assert_int_equal(der_next(&c, &e), DER_EEND);
}

static void test_der_expect_refuses_another_tag_without_consuming_it(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t n = bytes_of("02 01 07 06 01 2a", b, sizeof b);
    der_cur_t c = der_cursor(b, n);
    der_elem_t e;
    assert_int_equal(der_expect(&c, DER_OID, &e), DER_EBAD);
    assert_int_equal(der_expect(&c, DER_INTEGER, &e), DER_OK);
    assert_int_equal(e.val[0], 7);
    assert_int_equal(der_expect(&c, DER_OID, &e), DER_OK);
    assert_int_equal(der_expect(&c, DER_OID, &e), DER_EBAD); /* nothing left where something must be */
}

static void test_der_optional_reads_only_the_tag_it_names(void **state)
{
    (void)state;
    uint8_t b[16];
    size_t n = bytes_of("a0 03 02 01 02 02 01 09", b, sizeof b);
    der_cur_t c = der_cursor(b, n);
    der_elem_t e;
    assert_int_equal(der_optional(&c, DER_CTX_CONS(1), &e), DER_EEND);
    assert_int_equal(der_optional(&c, DER_CTX_CONS(0), &e), DER_OK);
    assert_int_equal(e.len, 3);
    assert_int_equal(der_optional(&c, DER_CTX_CONS(0), &e), DER_EEND);
    assert_int_equal(der_expect(&c, DER_INTEGER, &e), DER_OK);
    assert_int_equal(e.val[0], 9);
    assert_int_equal(der_optional(&c, DER_INTEGER, &e), DER_EEND);
}

static void test_der_refuses_forms_only_ber_allows(void **state)
{
    (void)state;
    expect_refused("indefinite length", "30 80 05 00 00 00", DER_EBER);
    expect_refused("long form for a short length", "04 81 03 61 62 63", DER_EBER);
    expect_refused("long form with a leading zero octet", "04 82 00 03 61 62 63", DER_EBER);
}

static void test_der_refuses_malformed_encodings(void **state)
{
    (void)state;
    expect_refused("content past the end", "04 05 61 62", DER_EBAD);
    expect_refused("a long length past the end", "04 82 01 00 61", DER_EBAD);
    expect_refused("length octets cut off", "04 82 01", DER_EBAD);
    expect_refused("a lone tag", "30", DER_EBAD);
    expect_refused("a high tag number", "1f 81 01 00", DER_EBAD);
    expect_refused("the reserved length octet ff", "04 ff 00", DER_EBAD);
    expect_refused("an indefinite length on a primitive", "04 80 00 00", DER_EBAD);
    expect_refused("tag 0 with a length", "00 01 00", DER_EBAD);
}

static void test_der_refuses_end_of_contents_where_no_indefinite_length_ends(void **state)
{
    (void)state;
    expect_refused("end-of-contents octets", "00 00", DER_EEOC);
}

/* DER_MAX_DEPTH + 2 SEQUENCEs, each in the one before: reading inwards stops past the bound. */
static void test_der_refuses_nesting_deeper_than_the_bound(void **state)
{
    (void)state;
    enum { LEVELS = DER_MAX_DEPTH + 2 };
    uint8_t b[2 * LEVELS];
    for (int i = 0; i < LEVELS; i++) {
        b[2 * i] = DER_SEQUENCE;
        b[2 * i + 1] = (uint8_t)(2 * (LEVELS - 1 - i));
    }
    der_cur_t c = der_cursor(b, sizeof b);
    der_elem_t e;
    int rc, depth = 0;
    while ((rc = der_next(&c, &e)) == DER_OK) {
        c = der_inside(&e);
        depth++;
    }
    if (rc != DER_EDEEP)
        fail_msg("expected DER_EDEEP after %d levels, got %d at level %d", DER_MAX_DEPTH + 1, rc, depth);
    assert_int_equal(depth, DER_MAX_DEPTH + 1);
}

static void test_der_oid_is_compares_content_exactly(void **state)
{
    (void)state;
    static const uint8_t SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
    uint8_t b[32];
    size_t n = bytes_of("06 09 60 86 48 01 65 03 04 02 01 06 08 60 86 48 01 65 03 04 02 "
                        "04 09 60 86 48 01 65 03 04 02 01",
                        b, sizeof b);
    der_cur_t c = der_cursor(b, n);
    der_elem_t oid, prefix, octets;
    assert_int_equal(der_next(&c, &oid), DER_OK);
    assert_int_equal(der_next(&c, &prefix), DER_OK);
    assert_int_equal(der_next(&c, &octets), DER_OK);
    assert_true(der_oid_is(&oid, SHA256, sizeof SHA256));
    assert_false(der_oid_is(&prefix, SHA256, sizeof SHA256));
    assert_false(der_oid_is(&oid, SHA256, sizeof SHA256 - 1));
    assert_false(der_oid_is(&octets, SHA256, sizeof SHA256)); /* same bytes, not an OID */
}

/* A time element of tag and text, read by der_time. */
static int time_of(unsigned tag, const char *text, int64_t *out)
{
    der_elem_t e;
    memset(&e, 0, sizeof e);
    e.tag = tag;
    e.val = (const uint8_t *)text;
    e.len = strlen(text);
    return der_time(&e, out);
}

static void expect_time(unsigned tag, const char *text, int64_t want)
{
    int64_t t = -1;
    int rc = time_of(tag, text, &t);
    if (rc != DER_OK || t != want)
        fail_msg("%s: expected %lld, got %d and %lld", text, (long long)want, rc, (long long)t);
}

static void test_der_time_reads_utctime_and_generalizedtime(void **state)
{
    (void)state;
    expect_time(DER_UTCTIME, "250520080000Z", 1747728000); /* 2025-05-20 08:00:00 */
    expect_time(DER_GENTIME, "20250520080000Z", 1747728000);
    expect_time(DER_UTCTIME, "491231235959Z", 2524607999);   /* 2049: YY below 50 is 20YY */
    expect_time(DER_UTCTIME, "500101000000Z", -631152000);   /* 1950: YY from 50 is 19YY */
    expect_time(DER_GENTIME, "20240229120000Z", 1709208000); /* a leap day */
    expect_time(DER_GENTIME, "20000229000000Z", 951782400);  /* 2000 is a leap year */
}

static void test_der_time_refuses_what_is_no_der_time(void **state)
{
    (void)state;
    static const struct {
        unsigned tag;
        const char *text, *why;
    } BAD[] = {
        {DER_UTCTIME, "250520080000+0700", "an offset instead of Z"},
        {DER_UTCTIME, "2505200800Z", "no seconds"},
        {DER_GENTIME, "20250520080000.5Z", "fractional seconds"},
        {DER_GENTIME, "250520080000Z", "UTCTime text under GeneralizedTime's tag"},
        {DER_UTCTIME, "251320080000Z", "month 13"},
        {DER_UTCTIME, "250431080000Z", "April 31"},
        {DER_GENTIME, "20250229000000Z", "February 29 of 2025"},
        {DER_GENTIME, "21000229000000Z", "February 29 of 2100"},
        {DER_UTCTIME, "250520240000Z", "hour 24"},
        {DER_UTCTIME, "2505200800a0Z", "a letter among the digits"},
        {DER_INTEGER, "250520080000Z", "an INTEGER"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        int64_t t = 0;
        int rc = time_of(BAD[i].tag, BAD[i].text, &t);
        if (rc != DER_EBAD)
            fail_msg("%s (\"%s\"): expected DER_EBAD, got %d (%lld)", BAD[i].why, BAD[i].text, rc,
                     (long long)t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_der_reads_elements_in_order_with_content_and_encoding),
        cmocka_unit_test(test_der_reads_a_long_form_length),
        cmocka_unit_test(test_der_expect_refuses_another_tag_without_consuming_it),
        cmocka_unit_test(test_der_optional_reads_only_the_tag_it_names),
        cmocka_unit_test(test_der_refuses_forms_only_ber_allows),
        cmocka_unit_test(test_der_refuses_malformed_encodings),
        cmocka_unit_test(test_der_refuses_end_of_contents_where_no_indefinite_length_ends),
        cmocka_unit_test(test_der_refuses_nesting_deeper_than_the_bound),
        cmocka_unit_test(test_der_oid_is_compares_content_exactly),
        cmocka_unit_test(test_der_time_reads_utctime_and_generalizedtime),
        cmocka_unit_test(test_der_time_refuses_what_is_no_der_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
