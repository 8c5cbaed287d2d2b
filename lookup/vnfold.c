/* vnfold.c — folded forms of Vietnamese names (vnfold.h has the rules). */
#include "vnfold.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* The five tone marks, as NFD writes them after their vowel. */
static int is_tone(uint32_t c)
{
    return c == 0x0300 || c == 0x0301 || c == 0x0303 || c == 0x0309 || c == 0x0323;
}

static int is_vowel(uint32_t c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* A combining mark attaches to the letter before it. None lies below U+0300
 * (the properties of ASCII and Latin-1 are answered here: most of a name). */
static int is_mark(uint32_t c)
{
    return c >= 0x0300 && uc_combining_class(c) != 0;
}

static int is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    return !is_mark(c) && uc_is_alpha(c);
}

static int is_space(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return uc_is_property_white_space(c);
}

/* One letter of a syllable: its base at s[base], its marks s[base + 1 .. end). */
typedef struct {
    size_t base, end;
} letter_t;

/* Where the tone of the syllable s[from .. to) goes (vnfold.h: oa, oe, uy
 * at the end of a syllable, first vowel toned, second bare): the index of
 * the tone mark to move after s[to - 1], or 0 when nothing moves (index 0
 * is a base letter, never a mark). */
static size_t tone_to_move(const uint32_t *s, size_t from, size_t to)
{
    letter_t l[3];
    size_t n = 0;
    /* the last three letters, found from the end */
    for (size_t i = to; i > from && n < 3;) {
        size_t end = i;
        while (i > from && is_mark(s[i - 1]))
            i--;
        if (i == from)
            return 0; /* marks with no letter: leave as written */
        i--;
        l[n].base = i;
        l[n].end = end;
        n++;
    }
    if (n < 2)
        return 0;
    const letter_t *second = &l[0], *first = &l[1];
    uint32_t a = s[first->base], b = s[second->base];
    int pair = (a == 'o' && (b == 'a' || b == 'e')) || (a == 'u' && b == 'y');
    if (!pair || second->end != second->base + 1 || first->end != first->base + 2 ||
        !is_tone(s[first->base + 1]))
        return 0;
    if (n == 3 && is_vowel(s[l[2].base]))
        return 0; /* a longer vowel group: both conventions agree there */
    return first->base + 1;
}

/* Write s[0..n) (NFD, case-folded) into out as the folded form: white space
 * trimmed and squeezed to one U+0020, tones moved. Returns the length. */
static size_t fold_into(const uint32_t *s, size_t n, uint32_t *out)
{
    size_t k = 0, i = 0;
    int pending_space = 0;
    while (i < n) {
        if (is_space(s[i])) {
            pending_space = k > 0;
            i++;
            continue;
        }
        if (pending_space)
            out[k++] = ' ';
        pending_space = 0;
        if (!is_letter(s[i])) {
            out[k++] = s[i++];
            continue;
        }
        size_t start = i;
        while (i < n && (is_letter(s[i]) || (is_mark(s[i]) && i > start)))
            i++;
        size_t mv = tone_to_move(s, start, i);
        for (size_t j = start; j < i; j++)
            if (j != mv || mv == 0)
                out[k++] = s[j];
        if (mv != 0)
            out[k++] = s[mv];
    }
    return k;
}

/* ---- the common case, without converting the whole text ----------------------
 * Names are nearly always written in ASCII and precomposed letters (NFC,
 * what keyboards and most software write). Such a text has no combining
 * mark, so no mark is reordered across letters: its NFD case-folded form is
 * each character's own, one after another. A table made once from
 * libunistring's answers for the Latin letters Vietnamese uses gives each
 * one's (a base letter and at most two marks); fold_into does the rest as
 * for any text. A character the table does not hold (a combining mark, a
 * space other than ASCII's, another script) sends the text to the full path.
 * Folding a name this way costs a twentieth of the full path, and a
 * secondary transcript's subjects are a dozen names (payload_trunghoc.c). */

#define FAST_MAX_BYTES 256 /* longer texts take the full path */

/* Latin-1 Supplement to Latin Extended-B up to ư, and Latin Extended Additional's Vietnamese block. */
static const uint32_t FAST_RANGES[][2] = {{0x00C0, 0x01B0}, {0x1EA0, 0x1EF9}};
#define FAST_SLOTS ((0x01B0 - 0x00C0 + 1) + (0x1EF9 - 0x1EA0 + 1))

typedef struct {
    uint32_t cp[3];  /* the base letter, then its marks in NFD order */
    unsigned char n; /* 0: not in the fast path */
} fast_letter_t;

static fast_letter_t fast_letters[FAST_SLOTS];
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

static fast_letter_t *fast_slot(uint32_t c)
{
    size_t off = 0;
    for (size_t r = 0; r < sizeof FAST_RANGES / sizeof *FAST_RANGES; r++) {
        if (c >= FAST_RANGES[r][0] && c <= FAST_RANGES[r][1])
            return &fast_letters[off + (c - FAST_RANGES[r][0])];
        off += FAST_RANGES[r][1] - FAST_RANGES[r][0] + 1;
    }
    return NULL;
}

/* Each character of the ranges as the full path folds it alone, kept when
 * that is a letter (ASCII or đ) and at most two marks; any other answer
 * (ß folds to "ss", a capital with a dot above to i and a mark Vietnamese
 * does not use, a letter of another alphabet) leaves it to the full path. */
static void fast_init(void)
{
    for (size_t r = 0; r < sizeof FAST_RANGES / sizeof *FAST_RANGES; r++)
        for (uint32_t c = FAST_RANGES[r][0]; c <= FAST_RANGES[r][1]; c++) {
            size_t nlen = 0, flen = 0;
            uint32_t *nfd = u32_normalize(UNINORM_NFD, &c, 1, NULL, &nlen), *f = NULL;
            if (nfd != NULL)
                f = u32_casefold(nfd, nlen, NULL, UNINORM_NFD, NULL, &flen);
            int ok = f != NULL && flen >= 1 && flen <= 3 && ((f[0] >= 'a' && f[0] <= 'z') || f[0] == 0x0111);
            for (size_t i = 1; ok && i < flen; i++)
                ok = uc_combining_class(f[i]) != 0;
            fast_letter_t *slot = fast_slot(c);
            if (ok) {
                memcpy(slot->cp, f, flen * sizeof *f);
                slot->n = (unsigned char)flen;
            }
            free(nfd);
            free(f);
        }
}

/* in (valid UTF-8) as code points, each character folded as the table says;
 * the count, or 0 when a character is not for the fast path. */
static size_t fast_decode(str_t in, uint32_t *s)
{
    const unsigned char *p = (const unsigned char *)in.ptr, *end = p + in.len;
    size_t n = 0;
    while (p < end) {
        uint32_t c = *p;
        if (c < 0x80) {
            s[n++] = c >= 'A' && c <= 'Z' ? c + 32 : c;
            p++;
            continue;
        }
        if (c < 0xE0) {
            c = (c & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if (c < 0xF0) {
            c = (c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            p += 3;
        } else {
            return 0;
        }
        const fast_letter_t *l = fast_slot(c);
        if (l == NULL || l->n == 0)
            return 0;
        for (unsigned i = 0; i < l->n; i++)
            s[n++] = l->cp[i];
    }
    return n;
}

/* d[0..n), code points under U+10000, as a malloc'd UTF-8 string. */
static char *encode(const uint32_t *d, size_t n, size_t *len)
{
    char *out = malloc(3 * n + 1);
    size_t k = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = d[i];
        if (c < 0x80) {
            out[k++] = (char)c;
        } else if (c < 0x800) {
            out[k++] = (char)(0xC0 | c >> 6);
            out[k++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[k++] = (char)(0xE0 | c >> 12);
            out[k++] = (char)(0x80 | (c >> 6 & 0x3F));
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[k] = '\0';
    *len = k;
    return out;
}

/* The folded form by the fast path: VNFOLD_OK, VNFOLD_ENOMEM, or 1 when
 * the text is not for it. */
static int fold_fast(str_t in, char **out, size_t *outlen)
{
    uint32_t s[3 * FAST_MAX_BYTES], d[3 * FAST_MAX_BYTES];
    size_t len = 0;
    if (in.len > FAST_MAX_BYTES || pthread_once(&fast_once, fast_init) != 0)
        return 1;
    size_t n = fast_decode(in, s);
    if (n == 0)
        return 1;
    if ((*out = encode(d, fold_into(s, n, d), &len)) == NULL)
        return VNFOLD_ENOMEM;
    if (outlen != NULL)
        *outlen = len;
    return VNFOLD_OK;
}

int vnfold(str_t in, char **out, size_t *outlen)
{
    uint32_t *u = NULL, *nfd = NULL, *folded = NULL, *done = NULL;
    size_t ulen = 0, nfdlen = 0, flen = 0, olen = 0;
    uint8_t *res = NULL;
    int rc = VNFOLD_ENOMEM;

    *out = NULL;
    if (outlen != NULL)
        *outlen = 0;
    if (u8_check((const uint8_t *)in.ptr, in.len) != NULL)
        return VNFOLD_EUTF8;
    if (in.len == 0) {
        if ((*out = calloc(1, 1)) == NULL)
            return VNFOLD_ENOMEM;
        return VNFOLD_OK;
    }
    if ((rc = fold_fast(in, out, outlen)) != 1)
        return rc;
    rc = VNFOLD_ENOMEM;
    /* NFD before folding as well as after: canonical caseless matching
     * (Unicode D145), so that a mark written apart folds as one written in */
    if ((u = u8_to_u32((const uint8_t *)in.ptr, in.len, NULL, &ulen)) == NULL ||
        (nfd = u32_normalize(UNINORM_NFD, u, ulen, NULL, &nfdlen)) == NULL ||
        (folded = u32_casefold(nfd, nfdlen, NULL, UNINORM_NFD, NULL, &flen)) == NULL ||
        (done = malloc((flen + 1) * sizeof *done)) == NULL)
        goto end;
    size_t dlen = fold_into(folded, flen, done);
    if ((res = u32_to_u8(done, dlen, NULL, &olen)) == NULL)
        goto end;
    char *s = malloc(olen + 1);
    if (s == NULL)
        goto end;
    memcpy(s, res, olen);
    s[olen] = '\0';
    *out = s;
    if (outlen != NULL)
        *outlen = olen;
    rc = VNFOLD_OK;
end:
    free(u);
    free(nfd);
    free(folded);
    free(done);
    free(res);
    return rc;
}

int vnfold_equal(str_t a, str_t b)
{
    char *fa = NULL, *fb = NULL;
    size_t la = 0, lb = 0;
    int rc = vnfold(a, &fa, &la);
    if (rc == VNFOLD_OK)
        rc = vnfold(b, &fb, &lb);
    if (rc == VNFOLD_OK)
        rc = la == lb && memcmp(fa, fb, la) == 0;
    free(fa);
    free(fb);
    return rc;
}
