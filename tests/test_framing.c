/* test_framing.c — the fields that frame a request's body, counted in the
 * bytes of its head as libh2o's parser reads them (portal/framing.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "portal/framing.h"

typedef struct {
    const char *what;
    const char *raw; /* the bytes received, from the request's first */
    int want;
} case_t;

static const char *name_of(int f)
{
    return f == FRAMING_OK ? "FRAMING_OK" : f == FRAMING_CONFLICT ? "FRAMING_CONFLICT" : "FRAMING_UNREAD";
}

static void expect_cases(const case_t *t, size_t n, const char *method)
{
    for (size_t i = 0; i < n; i++) {
        int got = framing_check(str_c(t[i].raw), str_c(method));
        if (got != t[i].want)
            fail_msg("%s: expected %s, got %s", t[i].what, name_of(t[i].want), name_of(got));
    }
}

static void test_framing_one_field_or_none_is_ok(void **state)
{
    (void)state;
    static const case_t T[] = {
        {"no body", "POST / HTTP/1.1\r\nHost: x\r\n\r\n", FRAMING_OK},
        {"one Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", FRAMING_OK},
        {"one Transfer-Encoding", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         FRAMING_OK},
        {"names that only begin like them",
         "POST / HTTP/1.1\r\nContent-Lengthy: 1\r\nContent-Length: 5\r\n"
         "X-Transfer-Encoding: chunked\r\nTransfer-Encodin: x\r\n\r\n",
         FRAMING_OK},
        {"a field in the body is not read",
         "POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\nContent-Length: 5\r\nTransfer-Encoding: x\r\n",
         FRAMING_OK},
        {"a pipelined request is not read",
         "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n",
         FRAMING_OK},
        {"LF line ends", "POST / HTTP/1.1\nContent-Length: 5\n\nhello", FRAMING_OK},
        {"an empty line before the request line", "\r\nPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
         FRAMING_OK},
    };
    expect_cases(T, sizeof T / sizeof *T, "POST");
}

static void test_framing_two_fields_conflict_in_any_order_and_case(void **state)
{
    (void)state;
    static const case_t T[] = {
        /* RFC 9112 §5.2: a proxy may read the folded line as its own field */
        {"a folded line (space)",
         "POST / HTTP/1.1\r\nContent-Length: 13\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n",
         FRAMING_CONFLICT},
        {"a folded line (tab), no body", "POST / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", FRAMING_CONFLICT},
        {"Content-Length twice, equal", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
         FRAMING_CONFLICT},
        {"Content-Length twice, different",
         "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", FRAMING_CONFLICT},
        {"Content-Length, Transfer-Encoding",
         "POST / HTTP/1.1\r\nContent-Length: 5\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
         FRAMING_CONFLICT},
        {"Transfer-Encoding, Content-Length",
         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", FRAMING_CONFLICT},
        {"Transfer-Encoding twice",
         "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
         FRAMING_CONFLICT},
        {"names in any case", "POST / HTTP/1.1\r\ncontent-LENGTH: 5\r\nTRANSFER-ENCODING: chunked\r\n\r\n",
         FRAMING_CONFLICT},
        {"empty values", "POST / HTTP/1.1\r\nContent-Length:\r\nTransfer-Encoding:\r\n\r\n",
         FRAMING_CONFLICT},
        {"LF line ends", "POST / HTTP/1.1\nContent-Length: 5\nTransfer-Encoding: chunked\n\n",
         FRAMING_CONFLICT},
    };
    expect_cases(T, sizeof T / sizeof *T, "POST");
}

static void test_framing_cannot_tell_without_a_whole_head_for_the_method(void **state)
{
    (void)state;
    static const case_t T[] = {
        {"nothing", "", FRAMING_UNREAD},
        {"another method", "GET / HTTP/1.1\r\n\r\n", FRAMING_UNREAD},
        {"a longer method", "POSTX / HTTP/1.1\r\n\r\n", FRAMING_UNREAD},
        {"the method alone", "POST\r\n\r\n", FRAMING_UNREAD},
        {"no end of the head", "POST / HTTP/1.1\r\nContent-Length: 5\r\n", FRAMING_UNREAD},
        {"no end of the request line", "POST / HTTP/1.1", FRAMING_UNREAD},
        {"a field line without a colon", "POST / HTTP/1.1\r\nContent-Length 5\r\n\r\n", FRAMING_UNREAD},
        {"two empty lines before the request line", "\r\n\r\nPOST / HTTP/1.1\r\n\r\n", FRAMING_UNREAD},
    };
    expect_cases(T, sizeof T / sizeof *T, "POST");
    assert_int_equal(framing_check(str_c("POST / HTTP/1.1\r\n\r\n"), str_n("", 0)), FRAMING_UNREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_one_field_or_none_is_ok),
        cmocka_unit_test(test_framing_two_fields_conflict_in_any_order_and_case),
        cmocka_unit_test(test_framing_cannot_tell_without_a_whole_head_for_the_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
