/* vnfold.c — folded forms of Vietnamese names (vnfold.h has the rules). */
#include "vnfold.h"

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

/* A combining mark attaches to the letter before it. */
static int is_mark(uint32_t c)
{
    return uc_combining_class(c) != 0;
}

static int is_letter(uint32_t c)
{
    return !is_mark(c) && uc_is_alpha(c);
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
        if (uc_is_property_white_space(s[i])) {
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
