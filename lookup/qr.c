/* qr.c — the QR code of a transcript's page: content, symbol, SVG, PNG. */
#include "qr.h"

#include "render.h"

#include <errno.h>
#include <limits.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- byte buffer ---------------------------------------------------------- */

/* Make room for extra more bytes, plus one for a terminating NUL. */
static int buf_reserve(qr_buf_t *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return QR_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return QR_OK;
    size_t cap = b->cap < 256 ? 256 : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->ptr, cap);
    if (p == NULL)
        return QR_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return QR_OK;
}

static int buf_add(qr_buf_t *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc != QR_OK)
        return rc;
    memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return QR_OK;
}

/* Write v in decimal at p (room for 21 bytes), return the length. Hand-rolled
 * because the SVG path is mostly small numbers and snprintf would dominate. */
static size_t fmt_int(char *p, long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[--i] = '-';
    memcpy(p, tmp + i, sizeof tmp - i);
    return sizeof tmp - i;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* ---- content -------------------------------------------------------------- */

/* The 45 characters of QR alphanumeric mode (ISO/IEC 18004 table 5). */
static int is_alnum_mode(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' || c == '%' || c == '*' ||
           c == '+' || c == '-' || c == '.' || c == '/' || c == ':';
}

/* Printable ASCII that may stand literally in a URL (RFC 3986 excludes the rest). */
static int is_url_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("\"<>\\^`{|}", c) == NULL;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_ldh(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
}

static int eq_nocase(str_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

/* A port after ':' must be 1..5 digits and at most 65535. */
static int port_ok(str_t p)
{
    if (p.len == 0 || p.len > 5)
        return 0;
    long v = 0;
    for (size_t i = 0; i < p.len; i++) {
        if (!is_digit((unsigned char)p.ptr[i]))
            return 0;
        v = v * 10 + (p.ptr[i] - '0');
    }
    return v <= 65535;
}

/* Check the authority (host[:port], no userinfo) and say whether its host
 * can go upper case into alphanumeric mode. Returns 1 ok, 0 refused. */
static int authority_ok(str_t a, int *host_alnum)
{
    if (a.len == 0 || memchr(a.ptr, '@', a.len) != NULL)
        return 0;
    size_t i = 0;
    if (a.ptr[0] == '[') {
        /* IPv6 literal: brackets are not alphanumeric-mode characters. */
        for (i = 1; i < a.len && a.ptr[i] != ']'; i++) {
            unsigned char c = (unsigned char)a.ptr[i];
            if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return 0;
        }
        if (i >= a.len || i == 1)
            return 0;
        i++;
        *host_alnum = 0;
    } else {
        int ldh = 1;
        while (i < a.len && a.ptr[i] != ':') {
            ldh &= is_ldh((unsigned char)a.ptr[i]);
            i++;
        }
        if (i == 0)
            return 0;
        *host_alnum = ldh;
    }
    if (i == a.len)
        return 1;
    return a.ptr[i] == ':' && port_ok(str_n(a.ptr + i + 1, a.len - i - 1));
}

/* ---- symbol ---------------------------------------------------------------- */

static int symbol_ok(const qr_symbol_t *q)
{
    return q != NULL && q->modules != NULL && q->width >= 21 && q->width <= 177 && (q->width - 17) % 4 == 0;
}

static int qr_errno(int e)
{
    if (e == ENOMEM)
        return QR_ENOMEM;
    if (e == ERANGE)
        return QR_ERANGE;
    return QR_EINVAL;
}

/* ---- SVG --------------------------------------------------------------------- */

/* The title goes through the renderer's escaping: the project escapes
 * output in one place only (render_escape, lookup/render_out.c). */
static int svg_title(qr_buf_t *b, str_t t)
{
    render_out_t esc;
    memset(&esc, 0, sizeof esc);
    render_escape(t, &esc);
    int rc = esc.err != 0 ? QR_ENOMEM : esc.len ? buf_add(b, esc.ptr, esc.len) : QR_OK;
    render_out_free(&esc);
    return rc;
}

/* Each run of dark modules is one filled 1-module-high rectangle. Filling
 * rather than stroking leaves nothing to a renderer's reading of stroke
 * width and line caps (ImageMagick's built-in SVG renderer, which zbarimg
 * uses, draws round caps and loses the symbol). After the first absolute
 * move, each move is relative to the start of the previous run, where 'z'
 * leaves the pen, which keeps most numbers one digit long. */
static int svg_path_data(qr_buf_t *b, const qr_symbol_t *q)
{
    int w = q->width, first = 1, px = 0, py = 0;
    for (int y = 0; y < w; y++) {
        const unsigned char *row = q->modules + (size_t)y * (size_t)w;
        for (int x = 0; x < w;) {
            if (!row[x]) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < w && row[x])
                x++;
            char run[96];
            size_t k = 0;
            run[k++] = first ? 'M' : 'm';
            k += fmt_int(run + k, first ? x0 + QR_QUIET : x0 - px);
            run[k++] = ',';
            k += fmt_int(run + k, first ? y + QR_QUIET : y - py);
            run[k++] = 'h';
            k += fmt_int(run + k, x - x0);
            memcpy(run + k, "v1h-", 4);
            k += 4;
            k += fmt_int(run + k, x - x0);
            run[k++] = 'z';
            int rc = buf_add(b, run, k);
            if (rc != QR_OK)
                return rc;
            first = 0;
            px = x0;
            py = y;
        }
    }
    return QR_OK;
}

/* ---- PNG ------------------------------------------------------------------- */

/* The filtered scanlines of a 1-bit grey image, ready for deflate: each
 * line is filter type 0 (None) then 1 bit per pixel, 1 white. Each module
 * row is drawn once and copied scale - 1 times. */
static void png_raster(const qr_symbol_t *q, size_t scale, unsigned char *raw)
{
    size_t w = (size_t)q->width, side = (w + 2 * QR_QUIET) * scale;
    size_t stride = 1 + (side + 7) / 8;
    memset(raw, 0xff, stride * side);
    for (size_t y = 0; y < side; y++)
        raw[y * stride] = 0;
    for (size_t my = 0; my < w; my++) {
        unsigned char *line = raw + (QR_QUIET + my) * scale * stride;
        const unsigned char *m = q->modules + my * w;
        for (size_t mx = 0; mx < w; mx++) {
            if (!m[mx])
                continue;
            for (size_t px = (QR_QUIET + mx) * scale; px < (QR_QUIET + mx + 1) * scale; px++)
                line[1 + px / 8] &= (unsigned char)~(0x80u >> (px % 8));
        }
        for (size_t k = 1; k < scale; k++)
            memcpy(line + k * stride, line, stride);
    }
}

/* zlib-wrapped deflate of the scanlines. Not compress2: its 32 KiB window
 * and memLevel 8 make zlib allocate and clear about 300 KiB a call, which
 * measured 300-700 us a call against 60-100 us here. The image repeats with
 * a period of one scanline, so a window just longer than a scanline (deflate
 * reaches back window - 262 bytes) compresses as well: 330 bytes for a
 * version 3 symbol at scale 8. Level 6: level 9 spends 50 % more time on
 * long hash chains of identical bytes for a few bytes less.
 * *zlen is the room at z on entry (compressBound), the length on return.
 * Returns QR_OK or QR_ENOMEM, the only failure with enough room. */
static int png_deflate(const unsigned char *raw, size_t rawlen, size_t stride, unsigned char *z, uLongf *zlen)
{
    int wbits = 9;
    while (wbits < 15 && ((size_t)1 << wbits) - 262 < stride)
        wbits++;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, 6, Z_DEFLATED, wbits, 4, Z_DEFAULT_STRATEGY) != Z_OK)
        return QR_ENOMEM;
    s.next_in = (unsigned char *)raw; /* zlib's API is not const; it only reads */
    s.avail_in = (uInt)rawlen;
    s.next_out = z;
    s.avail_out = (uInt)*zlen;
    int rc = deflate(&s, Z_FINISH);
    *zlen = s.total_out;
    deflateEnd(&s);
    return rc == Z_STREAM_END ? QR_OK : QR_ENOMEM;
}

/* Length, type, data, and the CRC-32 of type and data. */
static int png_chunk(qr_buf_t *b, const char type[4], const unsigned char *data, size_t len)
{
    unsigned char head[8], crc[4];
    put_be32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    uLong c = crc32(0L, head + 4, 4);
    if (len > 0) /* crc32 answers 0 for a NULL buffer, whatever the running value */
        c = crc32(c, data, (uInt)len);
    put_be32(crc, (uint32_t)c);
    int rc = buf_add(b, head, sizeof head);
    if (rc == QR_OK && len > 0)
        rc = buf_add(b, data, len);
    if (rc == QR_OK)
        rc = buf_add(b, crc, sizeof crc);
    return rc;
}

/* ---- public ---------------------------------------------------------------- */

int qr_content(str_t public_url, const char code[CODE_LEN], char *out, size_t outlen, int *alnum)
{
    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (out == NULL || alnum == NULL || code == NULL || public_url.ptr == NULL)
        return QR_EINVAL;
    if (!code_is_canonical(str_n(code, CODE_LEN)))
        return QR_EINVAL;

    str_t u = public_url;
    if (u.len == 0 || u.len > QR_PUBLIC_URL_MAX)
        return QR_EINVAL;
    for (size_t i = 0; i < u.len; i++) {
        unsigned char c = (unsigned char)u.ptr[i];
        if (!is_url_byte(c) || c == '?' || c == '#')
            return QR_EINVAL;
    }

    const char *sep = memmem(u.ptr, u.len, "://", 3);
    if (sep == NULL)
        return QR_EINVAL;
    str_t scheme = str_n(u.ptr, (size_t)(sep - u.ptr));
    if (!eq_nocase(scheme, "http") && !eq_nocase(scheme, "https"))
        return QR_EINVAL;

    const char *auth = sep + 3, *end = u.ptr + u.len;
    const char *slash = memchr(auth, '/', (size_t)(end - auth));
    const char *auth_end = slash ? slash : end;
    int host_alnum = 0;
    if (!authority_ok(str_n(auth, (size_t)(auth_end - auth)), &host_alnum))
        return QR_EINVAL;

    /* An empty path segment would never match a route (paths are matched
     * exactly), so neither can the page URL built on it. */
    if (memmem(auth_end, (size_t)(end - auth_end), "//", 2) != NULL)
        return QR_EINVAL;

    /* One trailing '/' goes: "/v/" supplies the separator. */
    size_t base = u.len;
    if (u.ptr[base - 1] == '/')
        base--;
    int an = host_alnum && base == (size_t)(auth_end - u.ptr);

    size_t need = base + 3 + CODE_LEN + 1;
    if (outlen < need)
        return QR_EINVAL;
    memcpy(out, u.ptr, base);
    memcpy(out + base, an ? "/V/" : "/v/", 3);
    memcpy(out + base + 3, code, CODE_LEN);
    out[need - 1] = '\0';
    if (an) {
        for (size_t i = 0; i < base; i++)
            if (out[i] >= 'a' && out[i] <= 'z')
                out[i] = (char)(out[i] - 'a' + 'A');
        /* The checks above imply this; keep the promise even if they change. */
        for (size_t i = 0; i + 1 < need && an; i++)
            an = is_alnum_mode((unsigned char)out[i]);
        if (!an) {
            out[0] = '\0';
            return QR_EINVAL;
        }
    }
    *alnum = an;
    return QR_OK;
}

int qr_encode(const char *content, int alnum, qr_symbol_t *out)
{
    if (out == NULL)
        return QR_EINVAL;
    memset(out, 0, sizeof *out);
    if (content == NULL || content[0] == '\0')
        return QR_EINVAL;
    size_t len = strlen(content);
    if (len > INT_MAX)
        return QR_ERANGE;
    if (alnum)
        for (size_t i = 0; i < len; i++)
            if (!is_alnum_mode((unsigned char)content[i]))
                return QR_EINVAL;

    /* One explicit segment: QRcode_encodeString would let split.c cut the
     * text into alphanumeric and numeric pieces, and with casesensitive=0
     * it upper-cases, which 8-bit content must never be. */
    QRinput *in = QRinput_new2(0, QR_ECLEVEL_Q);
    if (in == NULL)
        return qr_errno(errno);
    int rc = QR_OK;
    QRcode *c = NULL;
    size_t n;
    if (QRinput_append(in, alnum ? QR_MODE_AN : QR_MODE_8, (int)len, (const unsigned char *)content) < 0) {
        rc = qr_errno(errno);
        goto done;
    }
    errno = 0;
    c = QRcode_encodeInput(in);
    if (c == NULL) {
        rc = qr_errno(errno);
        goto done;
    }
    n = (size_t)c->width * (size_t)c->width;
    out->modules = malloc(n);
    if (out->modules == NULL) {
        rc = QR_ENOMEM;
        goto done;
    }
    /* libqrencode keeps module kinds in the upper bits; bit 0 is dark. */
    for (size_t i = 0; i < n; i++)
        out->modules[i] = c->data[i] & 1;
    out->version = c->version;
    out->width = c->width;
done:
    QRcode_free(c);
    QRinput_free(in);
    return rc;
}

void qr_free(qr_symbol_t *q)
{
    if (q == NULL)
        return;
    free(q->modules);
    memset(q, 0, sizeof *q);
}

int qr_svg(const qr_symbol_t *q, str_t title, int scale, qr_buf_t *out)
{
    if (!symbol_ok(q) || out == NULL || scale < 1 || scale > QR_PNG_SCALE_MAX ||
        (title.ptr == NULL && title.len != 0))
        return QR_EINVAL;
    size_t saved = out->len;
    int n = q->width + 2 * QR_QUIET;
    char head[256], mid[96];
    int hl = snprintf(head, sizeof head,
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                      "height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\"><title>",
                      n, n, n * scale, n * scale);
    int ml =
        snprintf(mid, sizeof mid, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"", n, n);
    static const char tail[] = "\" fill=\"#000\" stroke=\"none\"/></svg>\n";

    /* About 12 bytes per run, and a run per 2-3 modules of a row. */
    int rc = buf_reserve(out, (size_t)hl + (size_t)ml + title.len + sizeof tail +
                                  (size_t)q->width * (size_t)q->width * 5);
    if (rc == QR_OK)
        rc = buf_add(out, head, (size_t)hl);
    if (rc == QR_OK)
        rc = svg_title(out, title);
    if (rc == QR_OK)
        rc = buf_add(out, mid, (size_t)ml);
    if (rc == QR_OK)
        rc = svg_path_data(out, q);
    if (rc == QR_OK)
        rc = buf_add(out, tail, sizeof tail - 1);
    if (rc != QR_OK) {
        out->len = saved;
        return rc;
    }
    out->ptr[out->len] = '\0';
    return QR_OK;
}

int qr_png(const qr_symbol_t *q, int scale, qr_buf_t *out)
{
    if (!symbol_ok(q) || out == NULL || scale < 1 || scale > QR_PNG_SCALE_MAX)
        return QR_EINVAL;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t saved = out->len, side = ((size_t)q->width + 2 * QR_QUIET) * (size_t)scale;
    size_t rawlen = (1 + (side + 7) / 8) * side;
    uLongf zlen = compressBound((uLong)rawlen);
    unsigned char *raw = malloc(rawlen), *z = malloc(zlen), ihdr[13];
    int rc = QR_ENOMEM;
    if (raw == NULL || z == NULL)
        goto done;
    png_raster(q, (size_t)scale, raw);
    if (png_deflate(raw, rawlen, 1 + (side + 7) / 8, z, &zlen) != QR_OK)
        goto done;

    /* Width, height, bit depth 1, colour type 0 (grey), deflate, adaptive
     * filtering, no interlace. */
    put_be32(ihdr, (uint32_t)side);
    put_be32(ihdr + 4, (uint32_t)side);
    memcpy(ihdr + 8, "\x01\x00\x00\x00\x00", 5);
    rc = buf_reserve(out, sizeof sig + 3 * 12 + sizeof ihdr + zlen);
    if (rc == QR_OK)
        rc = buf_add(out, sig, sizeof sig);
    if (rc == QR_OK)
        rc = png_chunk(out, "IHDR", ihdr, sizeof ihdr);
    if (rc == QR_OK)
        rc = png_chunk(out, "IDAT", z, zlen);
    if (rc == QR_OK)
        rc = png_chunk(out, "IEND", NULL, 0);
done:
    free(raw);
    free(z);
    if (rc != QR_OK)
        out->len = saved;
    return rc;
}

void qr_buf_free(qr_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->ptr);
    memset(b, 0, sizeof *b);
}
