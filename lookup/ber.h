/* ber.h — BER (X.690) checked whole, and re-encoded in DER.
 *
 * A CMS signature covers the DER encoding of its signed attributes (RFC
 * 5652 §5.4), whatever the encoding of the file around them; a file in BER
 * may carry them in BER. ber_to_der gives the bytes the signature covers;
 * ber_is_der says, without allocating, whether bytes already are them.
 *
 * DER here is X.690 §10 and §11 as far as re-encoding goes: every length
 * definite and in its shortest form, constructed strings (the universal
 * string and time types) joined into one primitive, BOOLEAN TRUE as 0xff,
 * and the elements of every SET in ascending order of their encodings (the
 * SET OF rule; CMS attributes are SET OF). Contents are kept as they are
 * (an INTEGER is not shortened, a time is not rewritten), and context or
 * application tagged constructed elements are re-encoded inside but not
 * joined: without the schema one cannot tell an implicitly tagged string.
 *
 * Untrusted input: every read is bounded by the length given, nesting by
 * DER_MAX_DEPTH; fuzzed (tests/fuzz/fuzz_ber.c). Thread-safe. */
#ifndef HOCBA_BER_H
#define HOCBA_BER_H

#include <stddef.h>
#include <stdint.h>

#include "der.h"

/** Check that in[0..len) is exactly one well-formed BER element (each
 * element inside too), and say where it is not.
 * @param why  receives "... at byte N" on failure (English), may be NULL
 * @return 0, or DER_EBAD (a length runs past what holds it, a SEQUENCE or
 *         SET that is not constructed, a primitive-only type constructed, a
 *         bad string segment, data after the element), DER_EDEEP or
 *         DER_EEOC. Allocates nothing. */
int ber_check(const uint8_t *in, size_t len, char *why, size_t whylen);

/** Whether in[0..len), one element, is already DER: ber_to_der(in, len,
 * outer_tag) would give the same bytes (but the first, when outer_tag
 * changes it).
 * @param outer_tag  as for ber_to_der
 * @return 1 (DER), 0 (well-formed BER that re-encodes to other bytes), or
 *         a negative DER_E* as ber_check returns. Allocates nothing. */
int ber_is_der(const uint8_t *in, size_t len, unsigned outer_tag);

/** Re-encode one BER element, and everything in it, in DER.
 * @param outer_tag  0 to keep the element's tag, or the tag to write
 *                   instead (DER_SET for CMS signed attributes, which are
 *                   sent as [0] IMPLICIT and signed as SET OF); it must be
 *                   constructed when the element is. The elements of a
 *                   SET are put in order, so DER_SET sorts them.
 * @param out        receives the DER, malloc'd (the caller frees it)
 * @param why        receives "... at byte N" on failure, may be NULL
 * @return 0, a negative DER_E* as ber_check returns, or -ENOMEM. */
int ber_to_der(const uint8_t *in, size_t len, unsigned outer_tag, uint8_t **out, size_t *outlen, char *why,
               size_t whylen);

#endif
