/* test_qr.c — the page QR: which text is encoded, that the symbol is level Q
 * in the mode we asked for, and that the SVG and PNG read back (zbarimg) as
 * exactly that text.
 *
 * Needs zbarimg (Debian zbar-tools) on PATH. The SVG decode also uses
 * rsvg-convert (librsvg2-bin) when zbarimg cannot read SVG itself, and is
 * skipped when neither can. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "lookup/qr.h"

static const char CODE[] = "Q5VQQT42TCX1D4Q1";
static const char LOOPBACK_AN[] = "HTTP://127.0.0.1:8080/V/Q5VQQT42TCX1D4Q1";
static const char LOOPBACK_8[] = "http://127.0.0.1:8080/v/Q5VQQT42TCX1D4Q1";
static const char PATH_8[] = "https://tra-cuu.example.vn/hocba/v/Q5VQQT42TCX1D4Q1";

/* ---- helpers -------------------------------------------------------------- */

static void expect_content(const char *url, const char *want, int want_alnum)
{
    char out[QR_CONTENT_MAX];
    int alnum = -1;
    int rc = qr_content(str_c(url), CODE, out, sizeof out, &alnum);
    if (rc != QR_OK)
        fail_msg("%s: expected %s, got error %d", url, want, rc);
    if (strcmp(out, want) != 0 || alnum != want_alnum)
        fail_msg("%s: expected \"%s\" alnum=%d, got \"%s\" alnum=%d", url, want, want_alnum, out, alnum);
}

static void expect_refused(const char *url)
{
    char out[QR_CONTENT_MAX];
    int alnum = 7;
    int rc = qr_content(str_c(url), CODE, out, sizeof out, &alnum);
    if (rc != QR_EINVAL)
        fail_msg("%s: expected QR_EINVAL, got %d (\"%s\")", url, rc, rc == QR_OK ? out : "");
    if (out[0] != '\0' || alnum != 7)
        fail_msg("%s: refused, but out=\"%s\" alnum=%d were touched", url, out, alnum);
}

static qr_symbol_t encode(const char *content, int alnum)
{
    qr_symbol_t q;
    int rc = qr_encode(content, alnum, &q);
    if (rc != QR_OK)
        fail_msg("qr_encode(\"%s\", %d): expected 0, got %d", content, alnum, rc);
    return q;
}

static int dark(const qr_symbol_t *q, int x, int y)
{
    return q->modules[y * q->width + x];
}

/* The 15 format bits, most significant first as ISO/IEC 18004 numbers
 * them, from copy 1 (around the top-left finder) or copy 2 (split between
 * the other two). Bit i counts from the least significant. */
static unsigned format_bits(const qr_symbol_t *q, int copy)
{
    int w = q->width;
    unsigned f = 0;
    for (int i = 0; i < 15; i++) {
        int x, y;
        if (copy == 1) {
            if (i < 8)
                x = 8, y = i < 6 ? i : i + 1;
            else
                y = 8, x = i == 8 ? 7 : 14 - i;
        } else {
            if (i < 8)
                y = 8, x = w - 1 - i;
            else
                x = 8, y = w - 15 + i;
        }
        f |= (unsigned)dark(q, x, y) << i;
    }
    return f;
}

/* Decode format information: returns the 5 data bits (EC level << 3 | mask),
 * or -1 when the BCH(15,5) check fails — which also proves the positions. */
static int format_data(unsigned bits)
{
    unsigned v = bits ^ 0x5412;
    unsigned data = v >> 10, rem = data << 10;
    for (int i = 14; i >= 10; i--)
        if (rem & (1u << i))
            rem ^= 0x537u << (i - 10);
    return ((data << 10) | rem) == v ? (int)data : -1;
}

static int mask_bit(int mask, int y, int x)
{
    switch (mask) {
    case 0:
        return (y + x) % 2 == 0;
    case 1:
        return y % 2 == 0;
    case 2:
        return x % 3 == 0;
    case 3:
        return (y + x) % 3 == 0;
    case 4:
        return (y / 2 + x / 3) % 2 == 0;
    case 5:
        return (y * x) % 2 + (y * x) % 3 == 0;
    case 6:
        return ((y * x) % 2 + (y * x) % 3) % 2 == 0;
    default:
        return ((y + x) % 2 + (y * x) % 3) % 2 == 0;
    }
}

/* The first 4 data bits, the first segment's mode indicator: they sit in the
 * bottom-right 2x2 modules, right column first, bottom row first. */
static int first_mode(const qr_symbol_t *q, int mask)
{
    int w = q->width, m = 0;
    static const int at[4][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}};
    for (int i = 0; i < 4; i++) {
        int x = w - at[i][0], y = w - at[i][1];
        m = (m << 1) | (dark(q, x, y) ^ mask_bit(mask, y, x));
    }
    return m;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Write bytes to a new temp file with the given suffix; path receives its name. */
static void write_temp(const qr_buf_t *b, const char *suffix, char path[64])
{
    snprintf(path, 64, "/tmp/test_qr_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    ssize_t n = write(fd, b->ptr, b->len);
    close(fd);
    assert_int_equal((size_t)n, b->len);
}

/* Run a shell command (file names are our own mkstemps names), return its
 * stdout without the trailing newline, and its exit status. */
static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Decode the image with zbarimg, remove the file, then compare. */
static void zbar_expect(const char *path, const char *want)
{
    char cmd[160], got[512];
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q %s 2>/dev/null", path);
    int st = run(cmd, got, sizeof got);
    unlink(path);
    if (st != 0 || strcmp(got, want) != 0)
        fail_msg("zbarimg %s: expected \"%s\", got \"%s\" (exit %d)", path, want, got, st);
}

/* ---- content -------------------------------------------------------------- */

static void test_qr_content_loopback_is_alnum_upper_case(void **state)
{
    (void)state;
    expect_content("http://127.0.0.1:8080", LOOPBACK_AN, 1);
    expect_content("HTTP://127.0.0.1:8080", LOOPBACK_AN, 1);
    expect_content("https://Tra-Cuu.Example.VN", "HTTPS://TRA-CUU.EXAMPLE.VN/V/Q5VQQT42TCX1D4Q1", 1);
}

static void test_qr_content_drops_one_trailing_slash(void **state)
{
    (void)state;
    expect_content("http://127.0.0.1:8080/", LOOPBACK_AN, 1);
    expect_content("https://tra-cuu.example.vn/hocba/", PATH_8, 0);
}

static void test_qr_content_path_is_exact_url_in_8bit(void **state)
{
    (void)state;
    expect_content("https://tra-cuu.example.vn/hocba", PATH_8, 0);
    expect_content("https://tra-cuu.example.vn/HocBa", "https://tra-cuu.example.vn/HocBa/v/Q5VQQT42TCX1D4Q1",
                   0);
}

static void test_qr_content_other_hosts_are_exact_url_in_8bit(void **state)
{
    (void)state;
    expect_content("http://[::1]:8080", "http://[::1]:8080/v/Q5VQQT42TCX1D4Q1", 0);
    expect_content("http://hoc_ba.example", "http://hoc_ba.example/v/Q5VQQT42TCX1D4Q1", 0);
}

static void test_qr_content_refuses_query_fragment_userinfo(void **state)
{
    (void)state;
    expect_refused("https://tra-cuu.example.vn/?lang=en");
    expect_refused("https://tra-cuu.example.vn/hocba?x");
    expect_refused("https://tra-cuu.example.vn#top");
    expect_refused("https://user:pw@tra-cuu.example.vn");
    expect_refused("https://tra-cuu.gov.vn@evil.example");
}

static void test_qr_content_refuses_malformed_urls(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "tra-cuu.example.vn",
                         "ftp://tra-cuu.example.vn",
                         "javascript://x",
                         "http://",
                         "http:///v",
                         "http://x.vn:",
                         "http://x.vn:99999",
                         "http://x.vn:80a",
                         "http://[::1",
                         "http://[]",
                         "http://x.vn/a b",
                         "http://x.vn//",
                         "https://x.vn/hocba//v",
                         "http://x.vn/<script>",
                         "http://x.vn/\n",
                         "http://vi\xe1\xbb\x87t.vn"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused(bad[i]);

    char longurl[QR_PUBLIC_URL_MAX + 2];
    memcpy(longurl, "http://", 7);
    memset(longurl + 7, 'a', sizeof longurl - 8);
    longurl[sizeof longurl - 1] = '\0';
    expect_refused(longurl);
    longurl[QR_PUBLIC_URL_MAX] = '\0'; /* the longest accepted */
    char want[QR_CONTENT_MAX];
    memcpy(want, "HTTP://", 7);
    memset(want + 7, 'A', QR_PUBLIC_URL_MAX - 7);
    memcpy(want + QR_PUBLIC_URL_MAX, "/V/Q5VQQT42TCX1D4Q1", 20);
    expect_content(longurl, want, 1);
}

static void test_qr_content_refuses_too_small_buffer(void **state)
{
    (void)state;
    char out[sizeof LOOPBACK_AN];
    int alnum = -1;
    assert_int_equal(qr_content(str_c("http://127.0.0.1:8080"), CODE, out, sizeof out, &alnum), QR_OK);
    assert_string_equal(out, LOOPBACK_AN);
    alnum = -1;
    assert_int_equal(qr_content(str_c("http://127.0.0.1:8080"), CODE, out, sizeof out - 1, &alnum), -1);
    assert_string_equal(out, "");
    assert_int_equal(alnum, -1);
    assert_int_equal(qr_content(str_c("http://127.0.0.1:8080"), CODE, out, 0, &alnum), -1);
}

static void test_qr_content_needs_a_canonical_code(void **state)
{
    (void)state;
    char out[QR_CONTENT_MAX];
    int alnum;
    assert_int_equal(qr_content(str_c("http://x.vn"), "q5vqqt42tcx1d4q1", out, sizeof out, &alnum),
                     QR_EINVAL);
    assert_int_equal(qr_content(str_c("http://x.vn"), "Q5VQQT42TCX1D4Q2", out, sizeof out, &alnum),
                     QR_EINVAL);
}

static void test_qr_content_reads_only_len_bytes(void **state)
{
    (void)state;
    const char *cfg = "http://127.0.0.1:8080/this part is not the url";
    char out[QR_CONTENT_MAX];
    int alnum = -1;
    assert_int_equal(qr_content(str_n(cfg, 21), CODE, out, sizeof out, &alnum), QR_OK);
    assert_string_equal(out, LOOPBACK_AN);
    assert_int_equal(alnum, 1);
}

/* ---- symbol --------------------------------------------------------------- */

static void test_qr_symbol_is_level_q(void **state)
{
    (void)state;
    const char *contents[] = {LOOPBACK_AN, LOOPBACK_8, PATH_8};
    for (int i = 0; i < 3; i++) {
        qr_symbol_t q = encode(contents[i], i == 0);
        assert_int_equal(q.width, 17 + 4 * q.version);
        int f1 = format_data(format_bits(&q, 1)), f2 = format_data(format_bits(&q, 2));
        if (f1 < 0 || f1 != f2)
            fail_msg("%s: format information unreadable (copies %d, %d)", contents[i], f1, f2);
        if ((f1 >> 3) != 3) /* EC bits: L 01, M 00, Q 11, H 10 */
            fail_msg("%s: expected EC level Q (3), got %d", contents[i], f1 >> 3);
        qr_free(&q);
    }
}

static void test_qr_alnum_symbol_is_smaller_than_8bit(void **state)
{
    (void)state;
    qr_symbol_t an = encode(LOOPBACK_AN, 1), b8 = encode(LOOPBACK_8, 0);
    if (an.version >= b8.version)
        fail_msg("expected alnum version < 8-bit version, got %d and %d", an.version, b8.version);
    /* 40 characters at level Q: alnum fits version 3 (58), 8-bit needs 4 (46). */
    assert_int_equal(an.version, 3);
    assert_int_equal(b8.version, 4);
    qr_free(&an);
    qr_free(&b8);
}

static void test_qr_symbol_uses_the_mode_asked_for(void **state)
{
    (void)state;
    qr_symbol_t an = encode(LOOPBACK_AN, 1), b8 = encode(LOOPBACK_8, 0), up8 = encode(LOOPBACK_AN, 0);
    assert_int_equal(first_mode(&an, format_data(format_bits(&an, 1)) & 7), 0x2);   /* 0010 alnum */
    assert_int_equal(first_mode(&b8, format_data(format_bits(&b8, 1)) & 7), 0x4);   /* 0100 byte */
    assert_int_equal(first_mode(&up8, format_data(format_bits(&up8, 1)) & 7), 0x4); /* asked 8-bit */
    qr_free(&an);
    qr_free(&b8);
    qr_free(&up8);
}

static void test_qr_encode_refuses_what_it_cannot_hold(void **state)
{
    (void)state;
    qr_symbol_t q = {1, 21, (unsigned char *)&q};
    assert_int_equal(qr_encode(LOOPBACK_8, 1, &q), QR_EINVAL); /* lower case in alnum */
    assert_int_equal(q.width, 0);
    assert_null(q.modules);
    assert_int_equal(qr_encode("", 0, &q), QR_EINVAL);
    assert_int_equal(qr_encode(NULL, 0, &q), QR_EINVAL);

    char *big = malloc(2001);
    assert_non_null(big);
    memset(big, 'x', 2000); /* version 40-Q holds 1663 bytes */
    big[2000] = '\0';
    assert_int_equal(qr_encode(big, 0, &q), QR_ERANGE);
    assert_null(q.modules);
    free(big);
    qr_free(&q);
    qr_free(NULL);
}

/* ---- SVG ------------------------------------------------------------------ */

static void test_qr_svg_is_one_path_with_escaped_title(void **state)
{
    (void)state;
    qr_symbol_t q = encode(LOOPBACK_AN, 1);
    qr_buf_t b = {0};
    assert_int_equal(qr_svg(&q, str_c("Q5VQ-QT42 <&>\"'\x01"), 8, &b), QR_OK);
    assert_int_equal(strlen(b.ptr), b.len);
    assert_memory_equal(b.ptr, "<svg ", 5);
    assert_non_null(strstr(b.ptr, "viewBox=\"0 0 37 37\""));
    assert_non_null(strstr(b.ptr, "width=\"296\" height=\"296\""));
    assert_non_null(strstr(b.ptr, "shape-rendering=\"crispEdges\""));
    assert_non_null(strstr(b.ptr, "<title>Q5VQ-QT42 &lt;&amp;&gt;&quot;&#39;</title>"));
    const char *path = strstr(b.ptr, "<path ");
    assert_non_null(path);
    assert_null(strstr(path + 1, "<path"));
    assert_null(strstr(b.ptr, "style"));
    assert_null(strstr(b.ptr, "script"));
    assert_null(strstr(b.ptr, "href"));
    assert_non_null(strstr(b.ptr, "<rect width=\"37\" height=\"37\" fill=\"#fff\"/>"));
    assert_non_null(strstr(path, "fill=\"#000\" stroke=\"none\""));
    assert_string_equal(b.ptr + b.len - 7, "</svg>\n");
    qr_buf_free(&b);
    assert_null(b.ptr);
    qr_free(&q);
}

/* Replay the path on a grid: each run must be "M|m x,y h N v1 h-N z", a
 * 1-module-high rectangle, and together they must cover exactly the dark
 * modules, each once, and nothing in the quiet zone. */
static void test_qr_svg_path_draws_exactly_the_dark_modules(void **state)
{
    (void)state;
    qr_symbol_t q = encode(PATH_8, 0);
    qr_buf_t b = {0};
    assert_int_equal(qr_svg(&q, str_c("t"), 4, &b), QR_OK);
    const char *p = strstr(b.ptr, " d=\"");
    assert_non_null(p);
    p += 4;
    int n = q.width + 8, runs = 0;
    unsigned char *grid = calloc((size_t)n * (size_t)n, 1);
    assert_non_null(grid);
    long x = 0, y = 0;
    while (*p != '"') {
        char cmd = *p++, *end;
        if (cmd != 'M' && (cmd != 'm' || runs == 0))
            fail_msg("run %d: expected %s, got '%c'", runs, runs ? "m" : "M", cmd);
        long a = strtol(p, &end, 10);
        assert_int_equal(*end, ',');
        long c = strtol(end + 1, &end, 10);
        x = cmd == 'M' ? a : x + a;
        y = cmd == 'M' ? c : y + c;
        assert_int_equal(*end, 'h');
        long len = strtol(end + 1, &end, 10);
        assert_true(len > 0);
        assert_memory_equal(end, "v1h-", 4);
        assert_int_equal(strtol(end + 4, &end, 10), len);
        assert_int_equal(*end, 'z');
        p = end + 1;
        for (long i = 0; i < len; i++) {
            if (!(y >= 4 && y < n - 4 && x + i >= 4 && x + i < n - 4))
                fail_msg("run %d draws (%ld,%ld), outside the symbol", runs, x + i, y);
            assert_int_equal(grid[y * n + x + i], 0);
            grid[y * n + x + i] = 1;
        }
        runs++;
    }
    for (int yy = 0; yy < q.width; yy++)
        for (int xx = 0; xx < q.width; xx++)
            if (grid[(yy + 4) * n + xx + 4] != dark(&q, xx, yy))
                fail_msg("module (%d,%d): expected %d, path draws %d", xx, yy, dark(&q, xx, yy),
                         grid[(yy + 4) * n + xx + 4]);
    free(grid);
    qr_buf_free(&b);
    qr_free(&q);
}

/* ---- PNG ------------------------------------------------------------------ */

/* Walk the chunks (IHDR, IDAT, IEND, CRCs), inflate the image and compare
 * every pixel with the module it belongs to. */
static void check_png(const qr_symbol_t *q, int scale, const qr_buf_t *b)
{
    const unsigned char *p = (const unsigned char *)b->ptr;
    assert_true(b->len > 8);
    assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);

    uint32_t side = (uint32_t)(q->width + 8) * (uint32_t)scale;
    const char *types[] = {"IHDR", "IDAT", "IEND"};
    size_t off = 8;
    const unsigned char *idat = NULL;
    uint32_t idat_len = 0;
    for (int c = 0; c < 3; c++) {
        assert_true(off + 12 <= b->len);
        uint32_t len = be32(p + off);
        assert_true(off + 12 + len <= b->len);
        assert_memory_equal(p + off + 4, types[c], 4);
        uint32_t crc = (uint32_t)crc32(0L, p + off + 4, len + 4);
        if (be32(p + off + 8 + len) != crc)
            fail_msg("%s: CRC expected %08x, got %08x", types[c], crc, be32(p + off + 8 + len));
        if (c == 0) {
            assert_int_equal(len, 13);
            if (be32(p + off + 8) != side || be32(p + off + 12) != side)
                fail_msg("IHDR: expected %u x %u, got %u x %u", side, side, be32(p + off + 8),
                         be32(p + off + 12));
            assert_memory_equal(p + off + 16, "\x01\x00\x00\x00\x00", 5); /* 1-bit grey */
        }
        if (c == 1)
            idat = p + off + 8, idat_len = len;
        off += 12 + len;
    }
    assert_int_equal(off, b->len);

    size_t stride = 1 + (side + 7) / 8;
    uLongf rawlen = stride * side;
    unsigned char *raw = malloc(rawlen);
    assert_non_null(raw);
    assert_int_equal(uncompress(raw, &rawlen, idat, idat_len), Z_OK);
    assert_int_equal(rawlen, stride * side);
    for (uint32_t y = 0; y < side; y++) {
        assert_int_equal(raw[y * stride], 0);
        for (uint32_t x = 0; x < side; x++) {
            int mx = (int)(x / (uint32_t)scale) - 4, my = (int)(y / (uint32_t)scale) - 4;
            int want = mx >= 0 && my >= 0 && mx < q->width && my < q->width && dark(q, mx, my);
            int black = !(raw[y * stride + 1 + x / 8] & (0x80 >> (x % 8)));
            if (black != want)
                fail_msg("pixel (%u,%u): expected %s", x, y, want ? "black" : "white");
        }
    }
    free(raw);
}

static void test_qr_png_has_right_chunks_and_pixels(void **state)
{
    (void)state;
    qr_symbol_t q = encode(LOOPBACK_AN, 1);
    qr_buf_t b = {0};
    assert_int_equal(qr_png(&q, 8, &b), QR_OK);
    assert_int_equal(be32((const unsigned char *)b.ptr + 16), (29 + 8) * 8);
    check_png(&q, 8, &b);
    qr_buf_free(&b);
    qr_free(&q);
}

/* Version 40 at the largest scale: the longest scanline (742 bytes), which
 * the deflate window must still reach across. */
static void test_qr_png_largest_symbol_and_scale(void **state)
{
    (void)state;
    char *big = malloc(1664);
    assert_non_null(big);
    memset(big, 'x', 1663); /* version 40-Q holds 1663 bytes */
    big[1663] = '\0';
    qr_symbol_t q = encode(big, 0);
    free(big);
    assert_int_equal(q.version, 40);
    qr_buf_t b = {0};
    assert_int_equal(qr_png(&q, QR_PNG_SCALE_MAX, &b), QR_OK);
    check_png(&q, QR_PNG_SCALE_MAX, &b);
    qr_buf_free(&b);
    qr_free(&q);
}

static void test_qr_outputs_append_and_refuse_bad_arguments(void **state)
{
    (void)state;
    qr_symbol_t q = encode(LOOPBACK_AN, 1), none = {0};
    qr_buf_t b = {0};
    assert_int_equal(qr_png(&q, 2, &b), QR_OK);
    size_t one = b.len;
    assert_int_equal(qr_png(&q, 2, &b), QR_OK);
    assert_int_equal(b.len, 2 * one);
    assert_memory_equal(b.ptr, b.ptr + one, one);

    assert_int_equal(qr_png(&q, 0, &b), QR_EINVAL);
    assert_int_equal(qr_png(&q, QR_PNG_SCALE_MAX + 1, &b), QR_EINVAL);
    assert_int_equal(qr_png(&none, 8, &b), QR_EINVAL);
    assert_int_equal(qr_svg(&q, str_c("t"), 0, &b), QR_EINVAL);
    assert_int_equal(qr_svg(&none, str_c("t"), 8, &b), QR_EINVAL);
    assert_int_equal(qr_svg(&q, str_n(NULL, 3), 8, &b), QR_EINVAL);
    assert_int_equal(b.len, 2 * one);
    assert_int_equal(qr_png(&q, QR_PNG_SCALE_MAX, &b), QR_OK);
    qr_buf_free(&b);
    qr_buf_free(&b);
    qr_free(&q);
}

/* ---- decoding: the real proof --------------------------------------------- */

static void decode_png(const char *content, int alnum)
{
    qr_symbol_t q = encode(content, alnum);
    qr_buf_t b = {0};
    char path[64];
    assert_int_equal(qr_png(&q, 8, &b), QR_OK);
    write_temp(&b, ".png", path);
    zbar_expect(path, content);
    qr_buf_free(&b);
    qr_free(&q);
}

static void test_qr_png_decodes_to_the_content(void **state)
{
    (void)state;
    if (!have("zbarimg"))
        fail_msg("zbarimg not found: install zbar-tools");
    decode_png(LOOPBACK_AN, 1);
    decode_png(LOOPBACK_8, 0);
    decode_png(PATH_8, 0);
}

/* zbarimg reads images through ImageMagick; Debian's has a built-in SVG
 * renderer (libmagickcore-6.q16-6-extra). When zbarimg cannot read the file
 * at all (exit 1 or 2), rsvg-convert (librsvg2-bin) rasterises it instead;
 * with neither, returns 0 so the test can skip. Read but not decoded
 * (exit 4) or decoded to other text is a failure. */
static int decode_svg(const char *content, int alnum)
{
    qr_symbol_t q = encode(content, alnum);
    qr_buf_t b = {0};
    char svg[64], png[80], cmd[256], got[512];
    assert_int_equal(qr_svg(&q, str_c("Q5VQ-QT42-TCX1-D4Q1"), 8, &b), QR_OK);
    write_temp(&b, ".svg", svg);
    qr_buf_free(&b);
    qr_free(&q);

    snprintf(cmd, sizeof cmd, "zbarimg --raw -q %s 2>/dev/null", svg);
    int st = run(cmd, got, sizeof got), unreadable = st == 1 || st == 2;
    if (unreadable && have("rsvg-convert")) {
        snprintf(png, sizeof png, "%s.png", svg);
        snprintf(cmd, sizeof cmd, "rsvg-convert -o %s %s && zbarimg --raw -q %s 2>/dev/null", png, svg, png);
        st = run(cmd, got, sizeof got);
        unreadable = 0;
        unlink(png);
    }
    unlink(svg);
    if (unreadable)
        return 0;
    if (st != 0 || strcmp(got, content) != 0)
        fail_msg("SVG of \"%s\": expected it back, zbarimg read \"%s\" (exit %d)", content, got, st);
    return 1;
}

static void test_qr_svg_decodes_to_the_content(void **state)
{
    (void)state;
    if (!have("zbarimg"))
        fail_msg("zbarimg not found: install zbar-tools");
    if (!decode_svg(LOOPBACK_AN, 1)) {
        print_message("zbarimg cannot read SVG here and rsvg-convert (librsvg2-bin) is absent\n");
        skip();
    }
    assert_true(decode_svg(LOOPBACK_8, 0));
    assert_true(decode_svg(PATH_8, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_content_loopback_is_alnum_upper_case),
        cmocka_unit_test(test_qr_content_drops_one_trailing_slash),
        cmocka_unit_test(test_qr_content_path_is_exact_url_in_8bit),
        cmocka_unit_test(test_qr_content_other_hosts_are_exact_url_in_8bit),
        cmocka_unit_test(test_qr_content_refuses_query_fragment_userinfo),
        cmocka_unit_test(test_qr_content_refuses_malformed_urls),
        cmocka_unit_test(test_qr_content_refuses_too_small_buffer),
        cmocka_unit_test(test_qr_content_needs_a_canonical_code),
        cmocka_unit_test(test_qr_content_reads_only_len_bytes),
        cmocka_unit_test(test_qr_symbol_is_level_q),
        cmocka_unit_test(test_qr_alnum_symbol_is_smaller_than_8bit),
        cmocka_unit_test(test_qr_symbol_uses_the_mode_asked_for),
        cmocka_unit_test(test_qr_encode_refuses_what_it_cannot_hold),
        cmocka_unit_test(test_qr_svg_is_one_path_with_escaped_title),
        cmocka_unit_test(test_qr_svg_path_draws_exactly_the_dark_modules),
        cmocka_unit_test(test_qr_png_has_right_chunks_and_pixels),
        cmocka_unit_test(test_qr_png_largest_symbol_and_scale),
        cmocka_unit_test(test_qr_outputs_append_and_refuse_bad_arguments),
        cmocka_unit_test(test_qr_png_decodes_to_the_content),
        cmocka_unit_test(test_qr_svg_decodes_to_the_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
