/* test_ber.c — BER read by a BER cursor, checked whole, and re-encoded in
 * DER (X.690 §10, §11), and hostile BER refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/ber.h"
#include "lookup/der.h"

/* Hex ("30 80 00 00") to bytes; returns the count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; *p != '\0';) {
        unsigned v;
        if (*p == ' ') {
            p++;
            continue;
        }
        if (sscanf(p, "%2x", &v) != 1 || n == cap)
            fail_msg("test data: bad hex at \"%s\"", p);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

static void hexdump(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? " " : "", b[i]);
}

/* ---- re-encoding: what BER becomes in DER ----------------------------------- */

static const struct {
    const char *name, *ber;
    unsigned outer_tag;
    const char *der; /* NULL: the same bytes (already DER) */
} REENCODE[] = {
    {"DER stays as it is", "30 06 02 01 05 04 01 aa", 0, NULL},
    {"indefinite SEQUENCE", "30 80 02 01 05 00 00", 0, "30 03 02 01 05"},
    {"nested indefinite lengths", "30 80 30 80 05 00 00 00 31 80 00 00 00 00", 0, "30 06 30 02 05 00 31 00"},
    {"long form for a short length", "04 81 02 aa bb", 0, "04 02 aa bb"},
    {"length with leading zero octets", "04 84 00 00 00 02 aa bb", 0, "04 02 aa bb"},
    {"constructed OCTET STRING joined", "24 80 04 01 aa 04 02 bb cc 00 00", 0, "04 03 aa bb cc"},
    {"nested OCTET STRING segments", "24 09 24 80 04 01 aa 00 00 04 00", 0, "04 01 aa"},
    {"constructed BIT STRING joined", "23 80 03 02 00 aa 03 02 04 b0 00 00", 0, "03 03 04 aa b0"},
    {"constructed UTF8String joined", "2c 80 04 01 41 04 01 42 00 00", 0, "0c 02 41 42"},
    {"constructed UTCTime joined", "37 80 04 06 32 36 31 32 30 37 04 07 30 34 34 32 33 33 5a 00 00", 0,
     "17 0d 32 36 31 32 30 37 30 34 34 32 33 33 5a"},
    {"BOOLEAN TRUE as 0xff", "30 03 01 01 01", 0, "30 03 01 01 ff"},
    {"SET elements sorted", "31 06 02 01 02 02 01 01", 0, "31 06 02 01 01 02 01 02"},
    {"SET sorted by encoding, not length", "31 07 04 02 bb bb 04 01 cc", 0, "31 07 04 01 cc 04 02 bb bb"},
    {"SEQUENCE order kept", "30 06 02 01 02 02 01 01", 0, NULL},
    {"context tag re-encoded inside, not joined", "a1 80 24 80 04 01 aa 00 00 00 00", 0, "a1 03 04 01 aa"},
    {"signed attributes: [0] written as a sorted SET", "a0 80 30 03 06 01 02 30 03 06 01 01 00 00", DER_SET,
     "31 0a 30 03 06 01 01 30 03 06 01 02"},
    {"signed attributes in DER: only the tag changes", "a0 0a 30 03 06 01 01 30 03 06 01 02", DER_SET,
     "31 0a 30 03 06 01 01 30 03 06 01 02"},
};

static void test_ber_to_der_reencodes_each_ber_form(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof REENCODE / sizeof *REENCODE; i++) {
        uint8_t in[256], want[256], *out = NULL;
        size_t inlen = unhex(REENCODE[i].ber, in, sizeof in), outlen = 0;
        size_t wantlen = REENCODE[i].der ? unhex(REENCODE[i].der, want, sizeof want) : inlen;
        char why[128] = "", got[512];
        if (REENCODE[i].der == NULL)
            memcpy(want, in, inlen);
        int rc = ber_to_der(in, inlen, REENCODE[i].outer_tag, &out, &outlen, why, sizeof why);
        if (rc != 0)
            fail_msg("%s: expected DER, got error %d (%s)", REENCODE[i].name, rc, why);
        hexdump(out, outlen, got, sizeof got);
        if (outlen != wantlen || memcmp(out, want, wantlen) != 0)
            fail_msg("%s: expected %s, got %s", REENCODE[i].name,
                     REENCODE[i].der ? REENCODE[i].der : REENCODE[i].ber, got);
        /* ber_is_der agrees: the input is DER exactly when nothing but the re-tag changed */
        int same = outlen == inlen && memcmp(out + 1, in + 1, inlen - 1) == 0;
        if (ber_is_der(in, inlen, REENCODE[i].outer_tag) != same)
            fail_msg("%s: ber_is_der said %d, expected %d", REENCODE[i].name,
                     ber_is_der(in, inlen, REENCODE[i].outer_tag), same);
        if (ber_is_der(out, outlen, 0) != 1)
            fail_msg("%s: the output %s is not DER by ber_is_der", REENCODE[i].name, got);
        assert_int_equal(ber_check(in, inlen, why, sizeof why), 0);
        free(out);
    }
}

/* ---- hostile BER: refused, saying why and where -------------------------------- */

/* n nested indefinite SEQUENCEs around a NULL, into out. */
static size_t nested(size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        out[o++] = 0x30, out[o++] = 0x80;
    out[o++] = 0x05, out[o++] = 0x00;
    for (size_t i = 0; i < n; i++)
        out[o++] = 0, out[o++] = 0;
    return o;
}

static const struct {
    const char *name, *ber;
    int rc;
    const char *why;
} HOSTILE[] = {
    {"indefinite length never closed", "30 80 02 01 05", DER_EEOC, "no end-of-contents octets at byte 5"},
    {"inner indefinite length never closed", "30 80 30 80 02 01 05 00 00", DER_EEOC, "no end-of-contents"},
    {"end-of-contents inside a definite length", "30 04 05 00 00 00", DER_EEOC,
     "end-of-contents octets where no indefinite length ends at byte 4"},
    {"end-of-contents alone", "00 00", DER_EEOC, "where no indefinite length ends at byte 0"},
    {"end-of-contents with a length", "30 80 00 01 00 00 00", DER_EBAD,
     "end-of-contents octets with a length"},
    {"length past the end", "30 05 02 01", DER_EBAD, "runs past the end of what holds it at byte 0"},
    {"child longer than its parent", "30 03 04 05 aa bb cc dd ee", DER_EBAD,
     "runs past the end of what holds it at byte 2"},
    {"length overflowing 64 bits", "04 89 ff ff ff ff ff ff ff ff ff 00", DER_EBAD, "runs past the end"},
    {"length of 2^32", "04 85 01 00 00 00 00 aa", DER_EBAD, "runs past the end"},
    {"reserved length octet", "04 ff 00", DER_EBAD, "reserved length octet 0xff"},
    {"indefinite primitive", "04 80 aa 00 00", DER_EBAD, "indefinite length on a primitive element"},
    {"data after the element", "05 00 05 00", DER_EBAD,
     "data after the end of the outermost element at byte 2"},
    {"data after the end-of-contents", "30 80 05 00 00 00 00 00", DER_EBAD, "data after the end"},
    {"high tag number", "1f 81 00 00", DER_EBAD, "high-tag-number"},
    {"constructed INTEGER", "22 03 02 01 01", DER_EBAD, "in the constructed form"},
    {"primitive SEQUENCE", "10 00", DER_EBAD, "in the primitive form"},
    {"BOOLEAN of two octets", "01 02 00 ff", DER_EBAD, "BOOLEAN that is not one octet"},
    {"segment of another type", "24 80 02 01 01 00 00", DER_EBAD, "not of its type"},
    {"BIT STRING unused bits before the last segment", "23 80 03 02 04 a0 03 02 00 bb 00 00", DER_EBAD,
     "other than the last has unused bits"},
    {"nothing at all", "", DER_EBAD, "no data"},
};

static void test_ber_refuses_hostile_encodings_with_their_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof HOSTILE / sizeof *HOSTILE; i++) {
        uint8_t in[64], *out = (uint8_t *)"unset";
        size_t len = unhex(HOSTILE[i].ber, in, sizeof in), outlen = 1;
        char why[160] = "";
        int rc = ber_to_der(in, len, 0, &out, &outlen, why, sizeof why);
        if (rc != HOSTILE[i].rc || strstr(why, HOSTILE[i].why) == NULL)
            fail_msg("%s: expected %d \"...%s...\", got %d \"%s\"", HOSTILE[i].name, HOSTILE[i].rc,
                     HOSTILE[i].why, rc, why);
        assert_null(out);
        assert_int_equal(outlen, 0);
        why[0] = '\0';
        assert_int_equal(ber_check(in, len, why, sizeof why), HOSTILE[i].rc);
        assert_non_null(strstr(why, HOSTILE[i].why));
        assert_int_equal(ber_is_der(in, len, 0), HOSTILE[i].rc);
    }
}

/* Nesting is bounded (DER_MAX_DEPTH): the deepest element allowed is at
 * depth 32, one deeper is refused by the walker and by the cursor alike. */
static void test_ber_nesting_is_bounded(void **state)
{
    (void)state;
    uint8_t in[1024], *out = NULL;
    size_t n = nested(DER_MAX_DEPTH, in), outlen;
    char why[160];
    der_elem_t e;
    assert_int_equal(ber_to_der(in, n, 0, &out, &outlen, why, sizeof why), 0);
    free(out);
    der_cur_t c = der_cursor_ber(in, n);
    assert_int_equal(der_next(&c, &e), DER_OK);
    n = nested(DER_MAX_DEPTH + 1, in);
    assert_int_equal(ber_to_der(in, n, 0, &out, &outlen, why, sizeof why), DER_EDEEP);
    if (strstr(why, "nested more than 32 deep at byte 66") == NULL)
        fail_msg("expected the depth and the place, got \"%s\"", why);
    c = der_cursor_ber(in, n);
    assert_int_equal(der_next(&c, &e), DER_EDEEP);
    n = nested(200, in);
    c = der_cursor_ber(in, n);
    assert_int_equal(der_next(&c, &e), DER_EDEEP);
    assert_int_equal(ber_check(in, n, why, sizeof why), DER_EDEEP);
}

/* ---- the cursor ------------------------------------------------------------------ */

/* A BER cursor reads indefinite and non-minimal lengths (the element's
 * content excludes its end-of-contents octets, its raw encoding includes
 * them); a DER cursor refuses both as DER_EBER. */
static void test_der_cursor_reads_ber_only_when_asked(void **state)
{
    (void)state;
    uint8_t in[64];
    size_t n = unhex("30 80 04 81 02 aa bb 30 80 00 00 00 00 05 00", in, sizeof in);
    der_elem_t e, o, inner;
    der_cur_t c = der_cursor_ber(in, n);
    assert_int_equal(der_next(&c, &e), DER_OK);
    assert_int_equal(e.tag, DER_SEQUENCE);
    assert_true(e.indefinite);
    assert_int_equal(e.len, 9);
    assert_int_equal(e.rawlen, 13);
    assert_int_equal(c.len, 2); /* the NULL after it */
    der_cur_t i = der_inside(&e);
    assert_int_equal(der_expect(&i, DER_OCTET_STRING, &o), DER_OK);
    assert_int_equal(o.len, 2);
    assert_int_equal(o.val[0], 0xaa);
    assert_int_equal(der_expect(&i, DER_SEQUENCE, &inner), DER_OK);
    assert_int_equal(inner.len, 0);
    assert_int_equal(der_next(&i, &inner), DER_EEND);

    der_cur_t d = der_cursor(in, n);
    assert_int_equal(der_next(&d, &e), DER_EBER);
    d = der_cursor(in + 2, 5); /* 04 81 02 aa bb */
    assert_int_equal(der_next(&d, &e), DER_EBER);

    c = der_cursor_ber(in, 9); /* cut before the end-of-contents octets */
    assert_int_equal(der_next(&c, &e), DER_EEOC);
    static const uint8_t eoc_in_definite[] = {0x30, 0x02, 0x00, 0x00};
    c = der_cursor_ber(eoc_in_definite, sizeof eoc_in_definite);
    assert_int_equal(der_next(&c, &e), DER_OK);
    i = der_inside(&e);
    assert_int_equal(der_next(&i, &o), DER_EEOC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ber_to_der_reencodes_each_ber_form),
        cmocka_unit_test(test_ber_refuses_hostile_encodings_with_their_reason),
        cmocka_unit_test(test_ber_nesting_is_bounded),
        cmocka_unit_test(test_der_cursor_reads_ber_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
