/* fuzz_code.c — the lookup-code parser must accept, refuse and explain any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lookup/code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[CODE_LEN], msg[512], again[CODE_LEN];
    code_error_t e;
    int rc = code_parse(str_n(data, size), out, &e);
    code_error_text(&e, "vi", msg, sizeof msg);
    code_error_text(&e, "en", msg, sizeof msg);
    if (rc == CODE_OK) {
        /* a parsed code is canonical and parses to itself */
        if (!code_is_canonical(str_n(out, CODE_LEN)) ||
            code_parse(str_n(out, CODE_LEN), again, NULL) != CODE_OK || memcmp(out, again, CODE_LEN) != 0)
            __builtin_trap();
        char g[CODE_GROUPED_LEN + 1];
        code_format_grouped(out, g);
        if (code_parse(str_n(g, CODE_GROUPED_LEN), again, NULL) != CODE_OK ||
            memcmp(out, again, CODE_LEN) != 0)
            __builtin_trap();
    }
    return 0;
}
