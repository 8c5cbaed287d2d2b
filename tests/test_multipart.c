/* test_multipart.c — multipart/form-data bodies as the file check reads them (portal/multipart.h):
 * what browsers and curl send is read, anything two readers could split differently is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "portal/multipart.h"

#define B "----hocbaBOUNDARY7MA4YWxkTrZu0gW"

typedef struct {
    const char *what;
    const char *body;
    int want;
} case_t;

static const char *name_of(int rc)
{
    switch (rc) {
    case MULTIPART_OK:
        return "MULTIPART_OK";
    case MULTIPART_ENOTFORM:
        return "MULTIPART_ENOTFORM";
    case MULTIPART_EBOUNDARY:
        return "MULTIPART_EBOUNDARY";
    case MULTIPART_ESTRUCTURE:
        return "MULTIPART_ESTRUCTURE";
    case MULTIPART_EHEADER:
        return "MULTIPART_EHEADER";
    case MULTIPART_EDUPLICATE:
        return "MULTIPART_EDUPLICATE";
    default:
        return "MULTIPART_ETOOMANY";
    }
}

static int parse(const char *body, multipart_part_t *parts, size_t *n)
{
    size_t at;
    return multipart_parse(str_c(body), str_c(B), parts, n, &at);
}

static void expect_cases(const case_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        multipart_part_t parts[MULTIPART_MAX_PARTS];
        size_t np;
        int got = parse(t[i].body, parts, &np);
        if (got != t[i].want)
            fail_msg("%s: expected %s, got %s", t[i].what, name_of(t[i].want), name_of(got));
    }
}

static void expect_str(str_t s, const char *want, const char *what)
{
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
        fail_msg("expected %s \"%s\", got \"%.*s\"", what, want, (int)s.len, s.ptr);
}

/* What Chromium sends for the check form: two files, CRLF everywhere, a trailing CRLF. */
static void test_multipart_reads_what_a_browser_sends(void **state)
{
    (void)state;
    static const char body[] =
        "--" B "\r\n"
        "Content-Disposition: form-data; name=\"payload\"; filename=\"T.json\"\r\n"
        "Content-Type: application/json\r\n"
        "\r\n"
        "{\"a\": \"--" B "x\"}\r\n\r\n"
        "--" B "\r\n"
        "Content-Disposition: form-data; name=\"signature\"; filename=\"C:\\dir\\T.p7s\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\x30\x82\x00\r\n--\r\x00"
        "\r\n--" B "--\r\n";
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n, at;
    int rc = multipart_parse(str_n(body, sizeof body - 1), str_c(B), parts, &n, &at);
    if (rc != MULTIPART_OK || n != 2)
        fail_msg("expected 2 parts, got %s with %zu parts (at byte %zu)", name_of(rc), n, at);
    expect_str(parts[0].name, "payload", "the first part's name");
    expect_str(parts[0].filename, "T.json", "its filename");
    expect_str(parts[0].type, "application/json", "its type");
    /* the boundary in the middle of a line, and a CRLF that is content */
    expect_str(parts[0].content, "{\"a\": \"--" B "x\"}\r\n", "its content");
    expect_str(parts[1].filename, "C:\\dir\\T.p7s", "a filename with backslashes (no escapes)");
    if (parts[1].content.len != 9 || memcmp(parts[1].content.ptr, "\x30\x82\x00\r\n--\r\x00", 9) != 0)
        fail_msg("expected the binary part's 9 bytes as sent, got %zu bytes", parts[1].content.len);
    if (multipart_find(parts, n, "signature") != &parts[1] || multipart_find(parts, n, "payload2") != NULL)
        fail_msg("expected multipart_find to find parts by their exact name");
}

static void test_multipart_reads_curl_and_the_edges_of_the_rules(void **state)
{
    (void)state;
    static const case_t T[] = {
        {"curl -F (no trailing CRLF, a token name)",
         "--" B "\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n--" B "--", MULTIPART_OK},
        {"no parts at all", "--" B "--", MULTIPART_OK},
        {"an empty file",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"; filename=\"\"\r\n\r\n\r\n--" B "--\r\n",
         MULTIPART_OK},
        {"names in odd case, filename*= ignored",
         "--" B "\r\ncontent-DISPOSITION: Form-Data; NAME=\"p\"; filename*=UTF-8''x\r\nX-Other: y\r\n"
         "Content-Transfer-Encoding: binary\r\n\r\nx\r\n--" B "--",
         MULTIPART_OK},
    };
    expect_cases(T, sizeof T / sizeof *T);
}

/* What another reader could split differently is refused. */
static void test_multipart_refuses_structure_tricks(void **state)
{
    (void)state;
    static const case_t T[] = {
        {"a preamble", "hello\r\n--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"an epilogue", "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "--\r\nmore",
         MULTIPART_ESTRUCTURE},
        {"no close delimiter",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "\r\n",
         MULTIPART_ESTRUCTURE},
        {"no delimiter after the content", "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nxyz",
         MULTIPART_ESTRUCTURE},
        {"transport padding", "--" B "  \r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"bare LF line ends", "--" B "\nContent-Disposition: form-data; name=\"p\"\n\nx\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"a bare LF in the header block",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\n\r\nx\r\n--" B "--", MULTIPART_ESTRUCTURE},
        {"a content line beginning with the delimiter after a bare LF",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\n--" B "\r\nrest\r\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"a line beginning with the delimiter that is none",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "xyz\r\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"the close delimiter followed by more", "--" B "--x", MULTIPART_ESTRUCTURE},
        {"a part without the empty line after its header block",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n--" B "--", MULTIPART_ESTRUCTURE},
        {"the delimiter right after the empty line",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\n--" B "\r\n"
         "Content-Disposition: form-data; name=\"q\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_ESTRUCTURE},
        {"another boundary", "--other\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--other--",
         MULTIPART_ESTRUCTURE},
        {"empty", "", MULTIPART_ESTRUCTURE},
    };
    expect_cases(T, sizeof T / sizeof *T);
}

static void test_multipart_refuses_bad_part_headers(void **state)
{
    (void)state;
    static const case_t T[] = {
        {"no Content-Disposition", "--" B "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"two Content-Disposition",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\nContent-Disposition: form-data; "
         "name=\"q\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"not form-data", "--" B "\r\nContent-Disposition: attachment; name=\"p\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"no name", "--" B "\r\nContent-Disposition: form-data; filename=\"p\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"an empty name", "--" B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"name twice",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"; name=\"q\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"filename twice",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"; filename=a; filename=b\r\n\r\nx\r\n--" B
         "--",
         MULTIPART_EHEADER},
        {"an unterminated quote", "--" B "\r\nContent-Disposition: form-data; name=\"p\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"an empty parameter", "--" B "\r\nContent-Disposition: form-data;; name=p\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"a folded line", "--" B "\r\nContent-Disposition: form-data;\r\n name=\"p\"\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"a line without a colon",
         "--" B "\r\nContent-Disposition: form-data; name=p\r\nbogus\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"a CR alone in a line",
         "--" B "\r\nContent-Disposition: form-data; name=p\rX: y\r\n\r\nx\r\n--" B "--", MULTIPART_EHEADER},
        {"two Content-Type",
         "--" B "\r\nContent-Disposition: form-data; name=p\r\nContent-Type: a/b\r\nContent-Type: "
         "c/d\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"Content-Transfer-Encoding: base64",
         "--" B
         "\r\nContent-Disposition: form-data; name=p\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--" B
         "--",
         MULTIPART_EHEADER},
        {"nine header lines",
         "--" B "\r\nContent-Disposition: form-data; name=p\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: "
         "6\r\nG: 7\r\n"
         "H: 8\r\n\r\nx\r\n--" B "--",
         MULTIPART_EHEADER},
        {"the same name twice",
         "--" B "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n--" B "\r\n"
         "Content-Disposition: form-data; name=\"p\"\r\n\r\ny\r\n--" B "--",
         MULTIPART_EDUPLICATE},
    };
    expect_cases(T, sizeof T / sizeof *T);
}

static void test_multipart_refuses_more_than_eight_parts_and_long_lines(void **state)
{
    (void)state;
    char body[8192], line[MULTIPART_MAX_LINE + 64];
    size_t k = 0;
    for (int i = 0; i < MULTIPART_MAX_PARTS + 1; i++)
        k += (size_t)snprintf(body + k, sizeof body - k,
                              "--" B "\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nx\r\n", i);
    snprintf(body + k, sizeof body - k, "--" B "--\r\n");
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t n;
    int rc = parse(body, parts, &n);
    if (rc != MULTIPART_ETOOMANY)
        fail_msg("expected MULTIPART_ETOOMANY for 9 parts, got %s", name_of(rc));
    memset(line, 'a', sizeof line);
    snprintf(body, sizeof body,
             "--" B "\r\nContent-Disposition: form-data; name=p\r\nX: %.*s\r\n\r\nx\r\n--" B "--",
             MULTIPART_MAX_LINE, line);
    if ((rc = parse(body, parts, &n)) != MULTIPART_EHEADER)
        fail_msg("expected MULTIPART_EHEADER for a header line over %d bytes, got %s", MULTIPART_MAX_LINE,
                 name_of(rc));
}

static void test_multipart_boundary_from_the_content_type(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        int want;
        const char *boundary;
    } T[] = {
        {"multipart/form-data; boundary=" B, MULTIPART_OK, B},
        {"Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b'()+_,-./:=?\"", MULTIPART_OK, "a b'()+_,-./:=?"},
        {"multipart/form-data", MULTIPART_EBOUNDARY, ""},
        {"multipart/form-data; boundary=\"\"", MULTIPART_EBOUNDARY, ""},
        {"multipart/form-data; boundary=\"ends with a space \"", MULTIPART_EBOUNDARY, ""},
        {"multipart/form-data; boundary=a; boundary=a", MULTIPART_EBOUNDARY, ""},
        {"multipart/form-data; boundary=\"a<b\"", MULTIPART_EBOUNDARY, ""},
        {"multipart/form-data; "
         "boundary=12345678901234567890123456789012345678901234567890123456789012345678901",
         MULTIPART_EBOUNDARY, ""},
        {"multipart/mixed; boundary=a", MULTIPART_ENOTFORM, ""},
        {"application/json", MULTIPART_ENOTFORM, ""},
        {"multipart/form-data; boundary", MULTIPART_ENOTFORM, ""},
        {"", MULTIPART_ENOTFORM, ""},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        char b[MULTIPART_BOUNDARY_MAX + 1];
        size_t len;
        int rc = multipart_boundary(str_c(T[i].type), b, &len);
        if (rc != T[i].want || (rc == MULTIPART_OK && strcmp(b, T[i].boundary) != 0))
            fail_msg("Content-Type: %s: expected %s \"%s\", got %s \"%s\"", T[i].type, name_of(T[i].want),
                     T[i].boundary, name_of(rc), rc == MULTIPART_OK ? b : "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart_reads_what_a_browser_sends),
        cmocka_unit_test(test_multipart_reads_curl_and_the_edges_of_the_rules),
        cmocka_unit_test(test_multipart_refuses_structure_tricks),
        cmocka_unit_test(test_multipart_refuses_bad_part_headers),
        cmocka_unit_test(test_multipart_refuses_more_than_eight_parts_and_long_lines),
        cmocka_unit_test(test_multipart_boundary_from_the_content_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
