/* fuzz_verify_body.c — a POST /api/v1/verify request on any bytes: its
 * Content-Type and its body. The whole input is a body sent as
 * application/json (the shipped corpus is bodies) and a Content-Type value;
 * an input with a NUL byte is also a request, the Content-Type before the
 * first NUL and the body after it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "portal/match.h"

/* The promises of match_verify_body for one request. */
static void check(const str_t *type, str_t body)
{
    json_t *root, *codes;
    match_refusal_t why = {NULL, NULL};
    int rc = match_verify_body(type, body, &root, &codes, &why);
    int json_type = type != NULL && match_json_media_type(*type);
    if (rc == MATCH_BODY_OK) {
        if (!json_type || body.len > PORTAL_MAX_BODY || !json_is_object(root) ||
            json_object_size(root) != 1 || json_object_get(root, "codes") != codes || !json_is_array(codes) ||
            json_array_size(codes) > PORTAL_MAX_CODES)
            __builtin_trap();
        for (size_t i = 0; i < json_array_size(codes); i++)
            if (!json_is_string(json_array_get(codes, i)))
                __builtin_trap();
        json_decref(root);
        return;
    }
    if (why.error == NULL || why.detail == NULL || root != NULL || codes != NULL)
        __builtin_trap();
    /* the order of the checks: size, then media type, then the body */
    if ((rc == MATCH_BODY_TOO_LARGE) != (body.len > PORTAL_MAX_BODY) ||
        (rc == MATCH_BODY_UNSUPPORTED) != (body.len <= PORTAL_MAX_BODY && !json_type) ||
        (rc != MATCH_BODY_TOO_LARGE && rc != MATCH_BODY_UNSUPPORTED && rc != MATCH_BODY_BAD))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    str_t json = str_c("application/json; charset=utf-8"), all = str_n(data, size);
    check(&json, all);
    check(&all, str_n("{\"codes\":[]}", 12));
    check(NULL, all);
    const uint8_t *nul = memchr(data, 0, size);
    if (nul != NULL) {
        str_t type = str_n(data, (size_t)(nul - data));
        check(&type, str_n(nul + 1, size - type.len - 1));
    }
    return 0;
}
