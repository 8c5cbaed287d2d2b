/* fuzz_multipart.c — multipart/form-data on any Content-Type and body: the boundary, when one is
 * found, is 1–70 bchars; every part lies inside the body, in order, with a non-empty name unique
 * among the parts; and the answer does not change when the body is copied to memory of its own
 * size (a read past its end would be a read past an allocation).
 * Input: the Content-Type field value, a NUL byte, then the body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal/multipart.h"

static int inside(str_t s, const char *p, size_t n)
{
    return s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    size_t blen;
    int rc = multipart_boundary(str_n(data, tlen), boundary, &blen);
    if (rc == MULTIPART_OK && (blen == 0 || blen > MULTIPART_BOUNDARY_MAX || strlen(boundary) != blen))
        __builtin_trap();
    if (rc != MULTIPART_OK)
        memcpy(boundary, "b", 2), blen = 1; /* the body is read all the same */
    size_t n = nul ? size - tlen - 1 : 0;
    char *body = malloc(n ? n : 1);
    if (body == NULL)
        return 0;
    if (n)
        memcpy(body, nul + 1, n);
    multipart_part_t parts[MULTIPART_MAX_PARTS];
    size_t np, at;
    rc = multipart_parse(str_n(body, n), str_n(boundary, blen), parts, &np, &at);
    if (at > n || (rc == MULTIPART_OK && np > MULTIPART_MAX_PARTS))
        __builtin_trap();
    for (size_t i = 0; rc == MULTIPART_OK && i < np; i++) {
        if (parts[i].name.len == 0 || !inside(parts[i].name, body, n) ||
            !inside(parts[i].filename, body, n) || !inside(parts[i].type, body, n) ||
            !inside(parts[i].content, body, n))
            __builtin_trap();
        if (i > 0 && parts[i].content.ptr < parts[i - 1].content.ptr + parts[i - 1].content.len)
            __builtin_trap();
        if (multipart_find(parts, np, "") != NULL)
            __builtin_trap();
        for (size_t j = 0; j < i; j++)
            if (str_eq(parts[i].name, parts[j].name))
                __builtin_trap();
    }
    free(body);
    return 0;
}
