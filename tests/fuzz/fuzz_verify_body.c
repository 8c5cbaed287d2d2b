/* fuzz_verify_body.c — the body of POST /api/v1/verify on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "portal/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root, *codes;
    const char *error = NULL;
    int rc = match_verify_body(str_n(data, size), &root, &codes, &error);
    if (rc == MATCH_BODY_OK) {
        if (!json_is_array(codes) || json_array_size(codes) > PORTAL_MAX_CODES || size > PORTAL_MAX_BODY)
            __builtin_trap();
        json_decref(root);
    } else if (error == NULL || root != NULL || (rc == MATCH_BODY_TOO_LARGE) != (size > PORTAL_MAX_BODY)) {
        __builtin_trap();
    }
    return 0;
}
