/* fuzz_ber.c — BER checked and re-encoded in DER, on any bytes: the three
 * functions agree, and what ber_to_der writes is DER that re-encodes to
 * itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/ber.h"

static void one(const uint8_t *data, size_t size, unsigned outer_tag)
{
    uint8_t *out = NULL, *again = NULL;
    size_t outlen = 0, againlen = 0;
    char why[160];
    int rc = ber_to_der(data, size, outer_tag, &out, &outlen, why, sizeof why);
    int is_der = ber_is_der(data, size, outer_tag);
    if (outer_tag == 0 && (ber_check(data, size, why, sizeof why) == 0) != (rc == 0))
        __builtin_trap();
    if (rc != 0) {
        if (out != NULL || outlen != 0 || is_der != rc)
            __builtin_trap();
        return;
    }
    /* DER in, the same bytes out (but a re-tagged first octet), and only then */
    int same = outlen == size && memcmp(out + 1, data + 1, size - 1) == 0 &&
               (outer_tag == 0 ? out[0] == data[0] : out[0] == outer_tag);
    if (is_der != same)
        __builtin_trap();
    /* the output is DER: it re-encodes to itself */
    if (ber_is_der(out, outlen, 0) != 1 || ber_to_der(out, outlen, 0, &again, &againlen, NULL, 0) != 0 ||
        againlen != outlen || memcmp(again, out, outlen) != 0)
        __builtin_trap();
    free(again);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, 0);
    one(data, size, 0xa0 | 0x11); /* [17] constructed: another tag, no sorting */
    one(data, size, DER_SET);     /* as CMS signed attributes are hashed */
    return 0;
}
