/* fuzz_publog.c — a segment of the publication log as a replica reads it
 * (publog_check, then every op): whatever the bytes, it reads nothing
 * outside them, and what it accepts walks to its trailer with exactly the
 * number of ops the trailer counts. Input: the bytes of one segment file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/publog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy, so that a read past the end is a read past an allocation */
    uint8_t *copy = malloc(size ? size : 1);
    publog_segment_t s;
    publog_op_t op;
    char why[512] = "";
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (publog_check(copy, size, &s, why, sizeof why) == PUBLOG_OK) {
        size_t pos = s.ops_begin;
        uint64_t n = 0;
        while (publog_next_op(&s, &pos, &op)) {
            if (op.op != PUBLOG_PUT && op.op != PUBLOG_DEL && op.op != PUBLOG_EMPTY)
                __builtin_trap();
            if ((op.key != NULL && (op.key < copy || op.key + op.klen > copy + size)) ||
                (op.val != NULL && (op.val < copy || op.val + op.vlen > copy + size)))
                __builtin_trap();
            n++;
        }
        if (n != s.nops || pos != s.ops_end)
            __builtin_trap();
    } else if (why[0] == '\0') {
        __builtin_trap(); /* every refusal says why */
    }
    publog_segment_free(&s);
    free(copy);
    return 0;
}
