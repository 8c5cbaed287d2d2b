/* vnfold.c — Vietnamese names folded for comparison, vnfold.h.
 *
 * One pass over the text. A letter is read with the combining marks that
 * follow it into {base, vowel mark, tone}; its toneless lower-case form is
 * written at once and its tone held until the syllable ends (at a character
 * that is not a letter, or the end), when the held tones are written in the
 * order they came. So where in the syllable a tone sat no longer shows. */
#include "vnfold.h"

#include "utf8.h"

#include <limits.h>
#include <stdint.h>

/* Vowel marks; a letter's row in VOWELS is its base with one of them. */
enum { MOD_NONE = 0, MOD_BREVE, MOD_CIRCUMFLEX, MOD_HORN };

/* Tones, in the order of a row's columns. */
enum { TONE_NONE = 0, TONE_GRAVE, TONE_ACUTE, TONE_HOOK, TONE_TILDE, TONE_DOT, NTONES };

/* The lower-case vowels of Vietnamese: a base and vowel mark, then the
 * letter without tone and with each tone (grave, acute, hook above, tilde,
 * dot below), as code points. Upper case is the code point below each
 * (U+00C0-U+00DD below U+00E0-U+00FD by 0x20, the rest by 1), which
 * upper_of() computes and the tests check for all 144 letters. */
static const struct {
    char base;
    unsigned char mod;
    uint32_t cp[NTONES];
} VOWELS[] = {
    {'a', MOD_NONE, {0x61, 0xE0, 0xE1, 0x1EA3, 0xE3, 0x1EA1}},
    {'a', MOD_BREVE, {0x103, 0x1EB1, 0x1EAF, 0x1EB3, 0x1EB5, 0x1EB7}},
    {'a', MOD_CIRCUMFLEX, {0xE2, 0x1EA7, 0x1EA5, 0x1EA9, 0x1EAB, 0x1EAD}},
    {'e', MOD_NONE, {0x65, 0xE8, 0xE9, 0x1EBB, 0x1EBD, 0x1EB9}},
    {'e', MOD_CIRCUMFLEX, {0xEA, 0x1EC1, 0x1EBF, 0x1EC3, 0x1EC5, 0x1EC7}},
    {'i', MOD_NONE, {0x69, 0xEC, 0xED, 0x1EC9, 0x129, 0x1ECB}},
    {'o', MOD_NONE, {0x6F, 0xF2, 0xF3, 0x1ECF, 0xF5, 0x1ECD}},
    {'o', MOD_CIRCUMFLEX, {0xF4, 0x1ED3, 0x1ED1, 0x1ED5, 0x1ED7, 0x1ED9}},
    {'o', MOD_HORN, {0x1A1, 0x1EDD, 0x1EDB, 0x1EDF, 0x1EE1, 0x1EE3}},
    {'u', MOD_NONE, {0x75, 0xF9, 0xFA, 0x1EE7, 0x169, 0x1EE5}},
    {'u', MOD_HORN, {0x1B0, 0x1EEB, 0x1EE9, 0x1EED, 0x1EEF, 0x1EF1}},
    {'y', MOD_NONE, {0x79, 0x1EF3, 0xFD, 0x1EF7, 0x1EF9, 0x1EF5}},
};
#define NVOWELS (sizeof VOWELS / sizeof VOWELS[0])

#define D_STROKE 0x111 /* đ; Đ is U+0110 */

/* Combining marks a letter takes: a tone or a vowel mark. U+0340 and U+0341
 * are the deprecated tone marks that Unicode decomposes to U+0300, U+0301. */
static const struct {
    uint32_t cp;
    unsigned char tone, mod;
} MARKS[] = {
    {0x300, TONE_GRAVE, 0},     {0x301, TONE_ACUTE, 0}, {0x309, TONE_HOOK, 0},  {0x303, TONE_TILDE, 0},
    {0x323, TONE_DOT, 0},       {0x340, TONE_GRAVE, 0}, {0x341, TONE_ACUTE, 0}, {0x306, 0, MOD_BREVE},
    {0x302, 0, MOD_CIRCUMFLEX}, {0x31B, 0, MOD_HORN},
};
#define NMARKS (sizeof MARKS / sizeof MARKS[0])

/* What a tone is written as in a folding. */
static const uint32_t TONE_MARK[NTONES] = {0, 0x300, 0x301, 0x309, 0x303, 0x323};

/* Tones held for the syllable being read (a real one has at most one); one
 * beyond this many is written where it is. */
#define MAX_HELD 8

typedef struct {
    int on;    /* a letter is being read */
    char base; /* its lower-case ASCII base: 'a'..'z', or 'd' for đ with mod -1 */
    int mod;   /* MOD_*, or -1 for đ */
    int tone;  /* TONE_* */
} letter_t;

typedef struct {
    char *out;
    size_t cap, o; /* out's size and bytes written */
    int full;      /* something did not fit */
    int flags;
    letter_t cur;
    unsigned char held[MAX_HELD];
    size_t nheld;
    int space; /* white space read since the last character written */
} fold_t;

/* The upper-case form of a lower-case letter of VOWELS. */
static uint32_t upper_of(uint32_t lower)
{
    return lower < 0x100 ? lower - 0x20 : lower - 1;
}

static int row_of(char base, int mod)
{
    for (size_t r = 0; r < NVOWELS; r++)
        if (VOWELS[r].base == base && VOWELS[r].mod == mod)
            return (int)r;
    return -1;
}

/* Read a precomposed letter: 1 and *l filled, or 0 when cp is not one. */
static int letter_of(uint32_t cp, letter_t *l)
{
    l->on = 1;
    l->tone = TONE_NONE;
    l->mod = MOD_NONE;
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
        l->base = (char)(cp | 0x20);
        return 1;
    }
    if (cp == D_STROKE || cp == D_STROKE - 1) {
        l->base = 'd';
        l->mod = -1;
        return 1;
    }
    if (cp < 0xC0)
        return 0;
    for (size_t r = 0; r < NVOWELS; r++)
        for (int t = 0; t < NTONES; t++)
            if (cp == VOWELS[r].cp[t] || cp == upper_of(VOWELS[r].cp[t])) {
                l->base = VOWELS[r].base;
                l->mod = VOWELS[r].mod;
                l->tone = t;
                return 1;
            }
    return 0;
}

static int white_space(uint32_t cp)
{
    return (cp >= 0x9 && cp <= 0xD) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

static void put_bytes(fold_t *f, const char *s, size_t n)
{
    if (f->o + n >= f->cap) {
        f->full = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        f->out[f->o++] = s[i];
}

static void put_cp(fold_t *f, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else {
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    }
    put_bytes(f, b, n);
}

/* Before a character is written: the one space a run of white space
 * between two characters leaves. */
static void before_char(fold_t *f)
{
    if (f->space && f->o > 0)
        put_bytes(f, " ", 1);
    f->space = 0;
}

/* Write the letter being read without its tone, and hold the tone. */
static void end_letter(fold_t *f)
{
    letter_t *l = &f->cur;
    if (!l->on)
        return;
    l->on = 0;
    before_char(f);
    char base = l->base == 'y' && (f->flags & VNFOLD_IY) ? 'i' : l->base;
    int r = l->mod < 0 ? -1 : row_of(base, l->mod);
    put_cp(f, l->mod < 0 ? D_STROKE : r >= 0 ? VOWELS[r].cp[TONE_NONE] : (uint32_t)base);
    if (l->tone == TONE_NONE)
        return;
    if (f->nheld == MAX_HELD) {
        put_cp(f, TONE_MARK[l->tone]);
        return;
    }
    f->held[f->nheld++] = (unsigned char)l->tone;
}

/* At a character that is not a letter, and at the end: the syllable's tones. */
static void end_syllable(fold_t *f)
{
    end_letter(f);
    for (size_t i = 0; i < f->nheld; i++)
        put_cp(f, TONE_MARK[f->held[i]]);
    f->nheld = 0;
}

/* A combining mark after the letter being read: 1 when it joins the letter
 * (a vowel mark the base takes, or a tone on a vowel, each slot once). */
static int attach(letter_t *l, uint32_t cp)
{
    for (size_t m = 0; m < NMARKS; m++) {
        if (MARKS[m].cp != cp)
            continue;
        if (!l->on || l->mod < 0)
            return 0;
        if (MARKS[m].mod != 0) {
            if (l->mod != MOD_NONE || row_of(l->base, MARKS[m].mod) < 0)
                return 0;
            l->mod = MARKS[m].mod;
            return 1;
        }
        if (l->tone != TONE_NONE || row_of(l->base, l->mod) < 0)
            return 0;
        l->tone = MARKS[m].tone;
        return 1;
    }
    return 0;
}

/* Decode one character of s[0..n): its length and code point, or length 1
 * and cp UINT32_MAX for a byte that does not start a UTF-8 sequence. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = utf8_seq_len(s, n);
    if (len == 0) {
        *cp = UINT32_MAX;
        return 1;
    }
    uint32_t v = len == 1 ? s[0] : len == 2 ? (s[0] & 0x1Fu) : len == 3 ? (s[0] & 0x0Fu) : (s[0] & 0x07u);
    for (size_t i = 1; i < len; i++)
        v = v << 6 | (s[i] & 0x3Fu);
    *cp = v;
    return len;
}

int vnfold_name(str_t in, char *out, size_t outlen, int flags)
{
    fold_t f = {.out = out, .cap = outlen, .flags = flags};
    const unsigned char *s = (const unsigned char *)in.ptr;
    size_t i = 0;

    if (out == NULL || outlen == 0)
        return VNFOLD_ESPACE;
    while (i < in.len && !f.full) {
        uint32_t cp;
        size_t n = decode(s + i, in.len - i, &cp);
        letter_t l;
        if (attach(&f.cur, cp)) {
            /* joined the letter being read */
        } else if (letter_of(cp, &l)) {
            end_letter(&f);
            f.cur = l;
        } else if (white_space(cp)) {
            end_syllable(&f);
            f.space = 1;
        } else if (cp >= 0x300 && cp <= 0x36F) {
            end_letter(&f); /* a mark no letter takes stays where it is */
            before_char(&f);
            put_bytes(&f, in.ptr + i, n);
        } else {
            end_syllable(&f);
            before_char(&f);
            put_bytes(&f, in.ptr + i, n);
        }
        i += n;
    }
    end_syllable(&f);
    if (f.full || f.o > (size_t)INT_MAX) {
        out[0] = '\0';
        return VNFOLD_ESPACE;
    }
    out[f.o] = '\0';
    return (int)f.o;
}
