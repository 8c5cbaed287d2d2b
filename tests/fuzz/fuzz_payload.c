/* fuzz_payload.c — the payload validator on any bytes, every schema
 * (tieuhoc, trunghoc, recall): no crash, no leak, and whatever it accepts
 * has the fields its header promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/payload.h"

/* A transcript's grade is one of its level's, and a secondary one's school
 * year is not before TT 22/2021 reached its grade (package-format.md §3b). */
static int grade_fits(const payload_t *p)
{
    static const int tt22_from[13] = {
        [6] = 2021, [7] = 2022, [8] = 2023, [9] = 2024, [10] = 2022, [11] = 2023, [12] = 2024};
    switch (p->schema) {
    case PAYLOAD_SCHEMA_TIEUHOC:
        return p->level == PAYLOAD_LEVEL_TIEUHOC && p->program == PAYLOAD_PROGRAM_GDPT && p->grade >= 1 &&
               p->grade <= 5;
    case PAYLOAD_SCHEMA_TRUNGHOC:
        if (p->program != PAYLOAD_PROGRAM_GDPT && p->program != PAYLOAD_PROGRAM_GDTX)
            return 0;
        if (p->level == PAYLOAD_LEVEL_THCS ? p->grade < 6 || p->grade > 9
                                           : p->level != PAYLOAD_LEVEL_THPT || p->grade < 10 || p->grade > 12)
            return 0;
        return p->year_start >= tt22_from[p->grade];
    default:
        return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    int rc = payload_parse(data, size, &p, why, sizeof why);
    if (rc == PAYLOAD_OK) {
        if (p.root == NULL || (p.kind != PAYLOAD_TRANSCRIPT && p.kind != PAYLOAD_RECALL) || p.nsigners == 0 ||
            p.nsigners > PAYLOAD_MAX_SIGNERS)
            __builtin_trap();
        if (p.kind == PAYLOAD_TRANSCRIPT &&
            (payload_find_role(&p, "principal") < 0 || p.school_code == NULL || !grade_fits(&p) ||
             p.school_year == NULL || atoi(p.school_year) != p.year_start))
            __builtin_trap();
        payload_free(&p);
    } else if (memchr(why, '\0', sizeof why) == NULL) {
        __builtin_trap(); /* the reason is always terminated */
    }
    return 0;
}
