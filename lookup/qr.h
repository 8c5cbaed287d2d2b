/* qr.h — the QR code of a transcript's page (http.md, /v/CODE/qr.svg|png).
 *
 * Three steps, each usable alone so that a caller can cache what never
 * changes (the symbol for a code is fixed by PUBLIC_URL and the code):
 *
 *   qr_content  the text to encode: the canonical page URL, upper-cased for
 *               QR alphanumeric mode where the public URL allows it;
 *   qr_encode   that text as a symbol, error correction level Q (the paper
 *               copy is printed and handled), via libqrencode;
 *   qr_svg, qr_png  the symbol drawn with a 4-module quiet zone.
 *
 * Nothing here keeps global state; every function is thread-safe as long as
 * two threads do not share one qr_symbol_t being freed or one qr_buf_t.
 * libqrencode is thread-safe as Debian builds it.
 *
 * Link with -lqrencode -lz (and code.c, for the code check). */
#ifndef HOCBA_QR_H
#define HOCBA_QR_H

#include <stddef.h>

#include "code.h"
#include "str.h"

enum {
    QR_OK = 0,
    QR_EINVAL = -1, /* a bad argument: public URL, content, scale, or an output buffer too small */
    QR_ENOMEM = -2, /* out of memory */
    QR_ERANGE = -3, /* the content does not fit the largest QR symbol (version 40) at level Q */
};

/* Room for any content qr_content accepts: a public URL of up to
 * QR_PUBLIC_URL_MAX bytes, "/v/", the code and the NUL. */
#define QR_PUBLIC_URL_MAX 256
#define QR_CONTENT_MAX (QR_PUBLIC_URL_MAX + 3 + CODE_LEN + 1)

/* Modules of quiet zone drawn on every side, as ISO/IEC 18004 asks. */
#define QR_QUIET 4

/* Largest pixels per module qr_png draws: 185 modules * 32 = 5920 px a side. */
#define QR_PNG_SCALE_MAX 32

/** A QR symbol as a square of modules.
 * modules[y * width + x] is 1 for a dark module, 0 for a light one; there is
 * no quiet zone in it. The struct owns modules: release it with qr_free.
 * version is 1..40 and width = 17 + 4 * version. */
typedef struct {
    int version;
    int width;
    unsigned char *modules;
} qr_symbol_t;

/** A growable byte buffer that qr_svg and qr_png append to.
 * Start from a zeroed one (qr_buf_t b = {0};). The buffer owns ptr (malloc'ed,
 * may be NULL while cap is 0); release it with qr_buf_free, or take ptr and
 * free() it yourself. ptr is not NUL-terminated unless a function says so. */
typedef struct {
    char *ptr;
    size_t len, cap;
} qr_buf_t;

/** The text to encode for a code: the canonical page URL PUBLIC_URL/v/CODE.
 *
 * Alphanumeric mode (*alnum = 1) when the public URL is exactly
 * scheme://host[:port] with no path, or with a single "/" path that is
 * dropped, and the host is letters, digits, "-" and "." only: scheme and host
 * are case-insensitive, so the whole URL is upper-cased, e.g.
 * "HTTP://127.0.0.1:8080/V/Q5VQQT42TCX1D4Q1" (the portal redirects /V/CODE to
 * /v/CODE). Such text uses only QR alphanumeric characters and makes a
 * smaller symbol.
 *
 * 8-bit mode (*alnum = 0) otherwise — a path (paths are case-sensitive), a
 * host with other characters, an IPv6 literal "[…]": the exact bytes
 * PUBLIC_URL "/v/" CODE, after dropping one trailing "/" of PUBLIC_URL so that
 * "https://x.vn/hocba/" gives "https://x.vn/hocba/v/CODE" (the portal matches
 * paths exactly; "//v/" would not be found).
 *
 * Refused as a bad URL (QR_EINVAL):
 *  - a scheme other than http or https (any case), or no "://";
 *  - an empty host, a port that is not 1–5 digits or above 65535;
 *  - userinfo ("user@host", "https://trusted.vn@other.example"): a printed
 *    credential, and the classic way to make a QR look like another site's;
 *  - a query "?" or fragment "#": CODE would land inside it, not in the path;
 *  - an empty path segment ("//" after the host): no route would match;
 *  - a byte outside printable ASCII or one that is never literal in a URL
 *    (space " < > \ ^ ` { | }): an internationalised host must be given in
 *    its xn-- form, which is alphanumeric;
 *  - more than QR_PUBLIC_URL_MAX bytes.
 *
 * @param public_url  the portal's configured public base URL, not NUL-terminated
 * @param code        a canonical code (code_is_canonical), 16 symbols
 * @param out         receives the content, NUL-terminated
 * @param outlen      size of out; QR_CONTENT_MAX is always enough
 * @param alnum       receives 1 for alphanumeric mode, 0 for 8-bit mode
 * @return QR_OK, or QR_EINVAL (bad public URL, code not canonical, out too
 *         small: out then holds "" when outlen > 0, *alnum is untouched).
 * Thread-safe; allocates nothing. */
int qr_content(str_t public_url, const char code[CODE_LEN], char *out, size_t outlen, int *alnum);

/** Encode content as a QR symbol at error correction level Q.
 * With alnum, the whole content is one alphanumeric-mode segment (built with
 * QRinput_append(QR_MODE_AN), not left to libqrencode's splitter, which
 * mixes in numeric segments by its own estimates); every byte must then be
 * one of 0–9 A–Z space $ % * + - . / : . Without alnum, one 8-bit segment
 * of the exact bytes. libqrencode picks the smallest version that fits.
 * @param content  NUL-terminated, not empty (as from qr_content)
 * @param alnum    as qr_content says
 * @param out      receives the symbol; the caller owns it and frees it with
 *                 qr_free. Zeroed on failure.
 * @return QR_OK, or QR_EINVAL (empty content, or alnum with a character
 *         alphanumeric mode cannot hold), QR_ERANGE (too long for version 40-Q),
 *         QR_ENOMEM.
 * Thread-safe. */
int qr_encode(const char *content, int alnum, qr_symbol_t *out);

/** Release a symbol's modules and zero it. Safe on a zeroed symbol. */
void qr_free(qr_symbol_t *q);

/** Append the symbol as an SVG document.
 * One <path> fills each horizontal run of dark modules as a 1-module-high
 * rectangle ("M4,4h7v1h-7zm…", then relative moves); a white <rect> under
 * it makes the quiet zone. About 2.9 KB for a version 3 symbol, 0.6 KB
 * gzipped. The viewBox is in modules (width + 8 on a side, the symbol at
 * 4,4); width and height
 * attributes give an intrinsic size of scale px per module, and any other
 * size scales losslessly (shape-rendering="crispEdges"). No script, no
 * external reference, no style attribute or element: presentation
 * attributes only, so a strict Content-Security-Policy allows it.
 * @param q      a symbol from qr_encode
 * @param title  the text of the <title> (e.g. the grouped code), UTF-8;
 *               escaped by render_escape (render.h), the project's one
 *               escaping function
 * @param scale  px per module for width/height, 1..QR_PNG_SCALE_MAX
 * @param out    the SVG text is appended, NUL-terminated (the NUL is not
 *               counted in out->len)
 * @return QR_OK, QR_EINVAL (bad symbol or scale, NULL title.ptr with a
 *         length), QR_ENOMEM. On failure out->len is what it was before.
 * Thread-safe. */
int qr_svg(const qr_symbol_t *q, str_t title, int scale, qr_buf_t *out);

/** Append the symbol as a PNG image: 1-bit grayscale, (width + 8) * scale
 * pixels a side, black on white with a 4-module quiet zone; IHDR, one IDAT
 * (zlib stream, deflate with a window sized to one scanline) and IEND.
 * About 330 bytes for a version 3 symbol at scale 8.
 * @param q      a symbol from qr_encode
 * @param scale  pixels per module, 1..QR_PNG_SCALE_MAX (8 prints well)
 * @param out    the PNG bytes are appended
 * @return QR_OK, QR_EINVAL (bad symbol or scale), QR_ENOMEM. On failure
 *         out->len is what it was before the call.
 * Thread-safe. */
int qr_png(const qr_symbol_t *q, int scale, qr_buf_t *out);

/** Free a buffer's bytes and zero it. Safe on a zeroed buffer. */
void qr_buf_free(qr_buf_t *b);

#endif
