/* fuzz_render.c — the template engine: any template text either loads
 * with a reason or renders within its bound; any value is escaped. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lookup/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    render_set_t *set = NULL;
    char why[256];
    if (render_set_new(&set) != RENDER_OK)
        return 0;
    /* the input is both a template and a value */
    json_t *ctx = json_object(), *list = json_array(), *o = json_object();
    json_object_set_new(ctx, "v", json_stringn_nocheck((const char *)data, size));
    json_array_append_new(list, json_stringn_nocheck((const char *)data, size / 2));
    json_array_append_new(list, json_stringn_nocheck((const char *)data + size / 2, size - size / 2));
    json_object_set_new(ctx, "list", list);
    json_object_set_new(o, "b", json_boolean(size & 1));
    json_object_set_new(ctx, "o", o);
    if (render_load_string(set, "t", str_n(data, size), why, sizeof why) == RENDER_OK) {
        render_out_t out;
        memset(&out, 0, sizeof out);
        out.max = 1 << 20;
        render(set, "t", ctx, &out);
        render_out_free(&out);
    }
    render_out_t esc;
    memset(&esc, 0, sizeof esc);
    render_escape(str_n(data, size), &esc);
    for (size_t i = 0; i < esc.len; i++)
        if (esc.ptr[i] == '<' || esc.ptr[i] == '>' || esc.ptr[i] == '"' || esc.ptr[i] == '\'')
            __builtin_trap();
    render_out_free(&esc);
    json_decref(ctx);
    render_set_free(set);
    return 0;
}
