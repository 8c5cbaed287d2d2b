/* fuzz_payload.c — the payload validator on any bytes: no crash, no leak,
 * and whatever it accepts has the fields its header promises. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lookup/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    int rc = payload_parse(data, size, &p, why, sizeof why);
    if (rc == PAYLOAD_OK) {
        if (p.root == NULL || (p.kind != PAYLOAD_TRANSCRIPT && p.kind != PAYLOAD_RECALL) || p.nsigners == 0 ||
            p.nsigners > PAYLOAD_MAX_SIGNERS)
            __builtin_trap();
        if (p.kind == PAYLOAD_TRANSCRIPT && (payload_find_role(&p, "principal") < 0 || p.school_code == NULL ||
                                             p.grade < 1 || p.grade > 5))
            __builtin_trap();
        payload_free(&p);
    } else if (memchr(why, '\0', sizeof why) == NULL) {
        __builtin_trap(); /* the reason is always terminated */
    }
    return 0;
}
