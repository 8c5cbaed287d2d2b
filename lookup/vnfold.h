/* vnfold.h — Vietnamese names folded for comparison.
 *
 * Two names a reader takes for the same can differ in bytes that do not
 * show: marks composed or decomposed (NFC, NFD, or the mix Windows-1258
 * converters write: "ơ" precomposed with a combining grave), case, the two
 * placements of a tone mark that Vietnamese software uses (Hoà / Hòa, Thuỷ /
 * Thủy, oè / òe, uý / úy), and white space. package-format.md §5 compares
 * school names with all four folded; §3b compares subject names with i/y
 * spelling folded too (Mĩ thuật = Mỹ thuật, Vật lí = Vật lý).
 *
 * The folding of a name is text for comparing, never for showing: every
 * letter in lower case without its tone mark, and the tone marks of each
 * syllable (a run of letters) after its last letter as combining characters,
 * white space trimmed and each inner run made one space. "Hoà", "Hòa", "HOÀ"
 * and "Hoa\u0300" all fold to "hoa\u0300". Tone and vowel marks still count:
 * Hòa, Hóa and Hoa differ, so do Ngữ and Ngũ, Đồng and Dồng.
 *
 * What is folded is the Vietnamese alphabet (the 12 vowels with their 5 tone
 * marks, đ, and every ASCII letter) in either case, composed or followed by
 * its combining marks in any order. Other characters are compared as
 * written: no Unicode case folding or normalisation beyond these letters. */
#ifndef HOCBA_VNFOLD_H
#define HOCBA_VNFOLD_H

#include <stddef.h>

#include "str.h"

#define VNFOLD_IY 1 /* flag: y reads as i (Mỹ = Mĩ, lý = lí) */

enum {
    VNFOLD_ESPACE = -1, /* out is too small */
};

/** Fold a name for comparison: two names are the same when their foldings
 * are equal byte for byte.
 * @param in      UTF-8 text, not NUL-terminated (a byte that is not UTF-8
 *                is kept as it is)
 * @param out     receives the folding, NUL-terminated
 * @param outlen  the size of out; 2 * in.len + 1 is always enough
 * @param flags   0, or VNFOLD_IY
 * @return the length of the folding (without the NUL), or VNFOLD_ESPACE
 *         when it does not fit in outlen - 1 bytes (out then holds "").
 * Thread-safe; allocates nothing. */
int vnfold_name(str_t in, char *out, size_t outlen, int flags);

#endif
