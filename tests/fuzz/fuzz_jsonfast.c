/* fuzz_jsonfast.c — jsonfast_parse against json_loadb on any bytes.
 *
 * Two oracles. First, the contract of jsonfast.h: a tree from jsonfast means
 * json_loadb succeeds with the same tree, strictly (types, reals bit for bit,
 * string and key bytes and lengths, member order). Second, it does not
 * decline the ordinary: whatever jansson accepted, written back by
 * json_dumpb (compact, and indented with every non-ASCII character as \u
 * escapes), must parse unless it holds one of the things jsonfast.h says it
 * declines. And jsonfast_number_texts gives each number of jansson's tree a
 * token that reads back as that very number; jsonfast_renumber of jansson's
 * text against the bytes gives a text of the very same tree (its numbers
 * are the bytes' tokens), refusing only a number too long to read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/jsonfast.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static int same_tree(json_t *a, json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        void *ia = json_object_iter(a), *ib = json_object_iter(b);
        if (json_object_size(a) != json_object_size(b))
            return 0;
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            size_t n = json_object_iter_key_len(ia);
            if (n != json_object_iter_key_len(ib) ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), n) != 0 ||
                !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                return 0;
        }
        return ia == NULL && ib == NULL;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return 1; /* true, false, null */
    }
}

/* 1 when the tree holds something jsonfast.h allows it to decline once
 * written out: deep nesting or an integer of more than 18 digits (a real
 * written by jansson is at most 24 characters and never declined). */
static int may_decline(json_t *j, int depth)
{
    if (depth > JSONFAST_MAX_DEPTH)
        return 1;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        for (void *it = json_object_iter(j); it != NULL; it = json_object_iter_next(j, it))
            if (may_decline(json_object_iter_value(it), depth + 1))
                return 1;
        return 0;
    }
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(j); i++)
            if (may_decline(json_array_get(j, i), depth + 1))
                return 1;
        return 0;
    case JSON_INTEGER: {
        json_int_t v = json_integer_value(j);
        return v >= 1000000000000000000LL || v <= -1000000000000000000LL;
    }
    default:
        return 0;
    }
}

static void check_written_back(json_t *tree, size_t dump_flags)
{
    char buf[1 << 17];
    size_t n = json_dumpb(tree, buf, sizeof buf, dump_flags | JSON_ENCODE_ANY);
    if (n == 0 || n > sizeof buf)
        return; /* too big for the buffer: nothing to check */
    json_t *again = jsonfast_parse(buf, n);
    if (again == NULL) {
        if (!may_decline(tree, 1))
            __builtin_trap(); /* declined an ordinary document */
        return;
    }
    if (!same_tree(tree, again))
        __builtin_trap();
    json_decref(again);
}

#define MAX_NUMBERS 64

static void collect_numbers(json_t *v, const json_t **out, size_t *n)
{
    if (json_is_number(v) && *n < MAX_NUMBERS)
        out[(*n)++] = v;
    if (json_is_object(v))
        for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
            collect_numbers(json_object_iter_value(it), out, n);
    if (json_is_array(v))
        for (size_t i = 0; i < json_array_size(v); i++)
            collect_numbers(json_array_get(v, i), out, n);
}

static void check_number_texts(const uint8_t *data, size_t size, json_t *tree)
{
    const json_t *nodes[MAX_NUMBERS];
    str_t texts[MAX_NUMBERS];
    size_t n = 0;
    char tok[400];
    collect_numbers(tree, nodes, &n);
    if (jsonfast_number_texts((const char *)data, size, tree, nodes, texts, n) != 0)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        if (texts[i].len == 0 || texts[i].len >= sizeof tok)
            continue; /* a longer number cannot be checked here */
        memcpy(tok, texts[i].ptr, texts[i].len);
        tok[texts[i].len] = '\0';
        if (json_is_integer(nodes[i]) ? strtoll(tok, NULL, 10) != json_integer_value(nodes[i])
                                      : strtod(tok, NULL) != json_real_value(nodes[i]))
            __builtin_trap();
    }
}

typedef struct {
    char *p;
    size_t len, cap;
} out_t;

static void out_put(void *arg, const char *p, size_t n)
{
    out_t *o = arg;
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL)
            __builtin_trap();
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
}

/* 1 when a number of the tree was written with more characters than
 * jsonfast_renumber reads (or the tree holds too many to tell). */
static int has_long_number(const uint8_t *data, size_t size, json_t *tree)
{
    const json_t *nodes[MAX_NUMBERS];
    str_t texts[MAX_NUMBERS];
    size_t n = 0;
    collect_numbers(tree, nodes, &n);
    if (n == MAX_NUMBERS || jsonfast_number_texts((const char *)data, size, tree, nodes, texts, n) != 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (texts[i].len > JSONFAST_MAX_REAL_CHARS)
            return 1;
    return 0;
}

static void check_renumber(const uint8_t *data, size_t size, json_t *tree)
{
    char buf[1 << 17];
    json_error_t err;
    out_t o = {NULL, 0, 0};
    size_t n = json_dumpb(tree, buf, sizeof buf, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n == 0 || n > sizeof buf)
        return;
    if (jsonfast_renumber(buf, n, (const char *)data, size, out_put, &o) != 0) {
        if (o.len != 0 || !has_long_number(data, size, tree))
            __builtin_trap();
        return;
    }
    json_t *again = json_loadb(o.p, o.len, FLAGS, &err);
    if (again == NULL || !same_tree(tree, again))
        __builtin_trap();
    json_decref(again);
    free(o.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *fast = jsonfast_parse((const char *)data, size);
    json_t *slow = json_loadb((const char *)data, size, FLAGS, &err);

    if (fast != NULL && (slow == NULL || !same_tree(fast, slow)))
        __builtin_trap();
    if (slow != NULL) {
        check_number_texts(data, size, slow);
        check_renumber(data, size, slow);
        check_written_back(slow, JSON_COMPACT);
        check_written_back(slow, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    }
    json_decref(fast);
    json_decref(slow);
    return 0;
}
