/* vnfold.h — comparing Vietnamese names as people read them.
 *
 * The publisher binds the school name and province that people read on a
 * transcript to the school registry (package-format.md §5). The same name
 * reaches us written in several ways that no reader can tell apart, so two
 * names are compared by their folded forms, which are equal exactly when the
 * names differ only in:
 *
 * - Unicode normalisation: "ồ" as one code point (NFC, what most software
 *   writes) or as o + U+0302 + U+0300, with marks in any canonical order;
 * - case, by Unicode full case folding ("HÀ NỘI" = "Hà Nội");
 * - white space: leading and trailing white space is ignored and each inner
 *   run of it (spaces, tabs, no-break spaces: Unicode White_Space) reads as
 *   one space;
 * - the placement of the tone mark in the three vowel pairs where Vietnamese
 *   software writes it in two places: "oa", "oe" and "uy" when they end a
 *   syllable (hoà/hòa, khoẻ/khỏe, thuỷ/thủy, uý/úy, and upper case alike).
 *   The old convention marks the first vowel, the new one the second; in
 *   every other vowel group both conventions mark the same vowel, so nothing
 *   else is folded.
 *
 * Precisely, the tone rule: a syllable is a maximal run of letters (a base
 * letter and the combining marks after it); when its last two letters are
 * o+a, o+e or u+y with no mark on the second, the first carrying one tone
 * mark (grave, acute, tilde, hook above or dot below) and nothing else, and
 * the letter before them, if any, is not a vowel (a e i o u y), the tone
 * mark moves to the second letter. So "hòa" folds as "hoà", "qúy" as "quý";
 * "hòang" (a final consonant), "của" (u+a) and "ngoằn" stay as written.
 * I/y spelling (Mĩ/Mỹ) and letters without their marks ("Dong" for "Đồng")
 * are different names.
 *
 * Normalisation and case folding are libunistring's (Debian's
 * libunistring-dev); the rest is here. */
#ifndef HOCBA_VNFOLD_H
#define HOCBA_VNFOLD_H

#include <stddef.h>

#include "str.h"

enum {
    VNFOLD_OK = 0,
    VNFOLD_EUTF8 = -1,  /* the text is not UTF-8 */
    VNFOLD_ENOMEM = -2, /* out of memory */
};

/** The folded form of a name: what two names are compared by.
 * It is NFD, case-folded, with white space and tone marks placed as the
 * header says; meant for comparison, not for display.
 * @param in      UTF-8 text, not NUL-terminated
 * @param out     receives a malloc'd, NUL-terminated UTF-8 string (free it);
 *                NULL on failure
 * @param outlen  receives its length without the NUL; may be NULL
 * @return VNFOLD_OK, VNFOLD_EUTF8 or VNFOLD_ENOMEM.
 * Folding a folded form gives it back unchanged. Thread-safe. */
int vnfold(str_t in, char **out, size_t *outlen);

/** Whether two names are the same name as people read them.
 * @return 1 when vnfold gives both the same form, 0 when not; VNFOLD_EUTF8
 *         when either is not UTF-8, VNFOLD_ENOMEM when out of memory.
 * Thread-safe. */
int vnfold_equal(str_t a, str_t b);

#endif
