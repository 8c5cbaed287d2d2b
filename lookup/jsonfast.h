/* jsonfast.h — a fast JSON reader that builds jansson's tree.
 *
 * jansson's own lexer reads one byte at a time through a stream with a
 * save buffer, and on a ~3.7 KB payload that costs several times what
 * building the tree does. jsonfast reads the bytes in one pass from a
 * pointer and a length and builds the very tree json_loadb would, so every
 * caller downstream keeps its jansson code. It never replaces json_loadb: it
 * either returns exactly json_loadb's tree or declines, and the caller then
 * runs json_loadb, which gives the tree or the error message. */
#ifndef HOCBA_JSONFAST_H
#define HOCBA_JSONFAST_H

#include <jansson.h>
#include <stddef.h>

#include "str.h"

/* Containers nested deeper than this are declined (jansson allows 2048);
 * the top-level value is depth 1. */
#define JSONFAST_MAX_DEPTH 64

/* Integers with more digits than this are declined: 18 decimal digits always
 * fit in a json_int_t, so no overflow check is needed below it. */
#define JSONFAST_MAX_INT_DIGITS 18

/* Numbers with a fraction or exponent whose text is longer than this are
 * declined (they are converted from a copy on the stack). */
#define JSONFAST_MAX_REAL_CHARS 63

/** Parse a JSON document into a jansson tree, or decline.
 * @param buf  the document; not NUL-terminated; may be NULL when len is 0
 * @param len  its length in bytes
 * @return a new reference to the tree (the caller owns it and releases it
 *         with json_decref), or NULL when jsonfast declines.
 *
 * The contract, for any bytes whatever:
 * - When the result is not NULL, json_loadb(buf, len, JSON_REJECT_DUPLICATES |
 *   JSON_DECODE_ANY, ...) succeeds on the same bytes and its tree is the
 *   same: the same type at every node (integer and real differ), reals
 *   bit for bit, strings and keys byte for byte with their lengths, object
 *   members in the same order, arrays in the same order.
 * - When json_loadb fails, the result is NULL.
 * NULL therefore means only "ask json_loadb"; it carries no reason. It is
 * returned for every input json_loadb refuses, and also for these inputs that
 * jansson may accept: any NUL byte (even one jansson tolerates after a number
 * or a literal), \u0000 in a string, an integer of more than
 * JSONFAST_MAX_INT_DIGITS digits, a real longer than JSONFAST_MAX_REAL_CHARS
 * characters, nesting deeper than JSONFAST_MAX_DEPTH, and running out of
 * memory. Ordinary documents (objects, arrays, UTF-8 strings with or without
 * escapes, integers, decimals such as 8.5, true, false, null, any of them at
 * the top level) are never declined.
 *
 * As with json_loadb, a UTF-8 byte-order mark is not accepted; the caller
 * strips it first. Thread-safe: the only shared state is a "C" locale for
 * strtod_l, created once on first use. */
json_t *jsonfast_parse(const char *buf, size_t len);

/** How numbers were written: the token of each of the given number nodes.
 * A tree keeps a real as a double ("7.5", "7.50" and "75e-1" make the same
 * one) and an integer as its value ("-0" is 0); a rule about how a number is
 * written (package-format.md §3b: scores have at most one decimal, and no
 * exponent) needs the text.
 * @param buf, len  the very bytes root was parsed from, by jsonfast_parse or
 *                  by json_loadb with JSON_REJECT_DUPLICATES (so that member
 *                  order is document order and no member was replaced)
 * @param root      that tree
 * @param nodes     n nodes of root, each an integer or a real, each once;
 *                  NULL entries are skipped
 * @param texts     receives for each nodes[i] its token, a slice of buf
 *                  ("7.50", "-0", "75e-1"); {NULL, 0} for a NULL entry
 * @return 0, or -1 when some node was not found as a number of root (its
 *         text is then {NULL, 0}).
 * Numbers are met in the same order walking the tree (object members in
 * their order) as their tokens stand in the bytes, so one walk of the tree
 * and one scan of the bytes pair them all. Thread-safe; allocates nothing;
 * recursion as deep as root's nesting. */
int jsonfast_number_texts(const char *buf, size_t len, const json_t *root, const json_t *const *nodes,
                          str_t *texts, size_t n);

/** Where jsonfast_renumber writes: n bytes at p, one piece after another. */
typedef void (*jsonfast_put_fn)(void *arg, const char *p, size_t n);

/** A JSON text with each of its numbers written as another text wrote it.
 * jansson writes a real back with 17 significant digits (7.8 comes out as
 * 7.7999999999999998, 75e-1 as 7.5): a document serialised again from a
 * tree of the original (a copy with some strings removed or replaced) gets
 * its numbers back as the original's bytes have them.
 * @param text, tlen  the JSON text to copy, e.g. what json_dump_callback
 *                    wrote; numbers are found outside its strings
 * @param orig, olen  the text whose tokens to put in their place, e.g. the
 *                    signed bytes; it must hold the same numbers in the same
 *                    order (a copy keeps its members in their order, and no
 *                    number was removed), each of the same value as read by
 *                    strtod
 * @param put, arg    receive the copy in pieces (none empty), only once
 *                    everything is checked
 * @return 0; or -1, having written nothing, when the numbers of the two
 *         texts differ in count or in a value, or a number has more than
 *         JSONFAST_MAX_REAL_CHARS characters: the caller then keeps text.
 * Thread-safe; allocates nothing. */
int jsonfast_renumber(const char *text, size_t tlen, const char *orig, size_t olen, jsonfast_put_fn put,
                      void *arg);

#endif
