/* code.h — lookup codes (mã tra cứu), package-format.md §2.
 *
 * A code is derived from the payload bytes: the top 75 bits of their SHA-256
 * as 15 Crockford base32 symbols, then a Luhn mod 32 check symbol. People
 * type codes, so parsing normalises (case, O/0, I/L/1, separators) and says
 * exactly what is wrong when it fails. */
#ifndef HOCBA_CODE_H
#define HOCBA_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "str.h"

#define CODE_LEN 16         /* canonical code: 16 symbols, no separator */
#define CODE_GROUPED_LEN 19 /* "XXXX-XXXX-XXXX-XXXX" */

enum {
    CODE_OK = 0,
    CODE_EEMPTY = -1,  /* nothing but separators */
    CODE_ELENGTH = -2, /* not 16 symbols after normalising */
    CODE_ECHAR = -3,   /* a character that is not in the alphabet */
    CODE_ECHECK = -4,  /* check symbol does not match: a typo */
};

/** What code_parse found wrong, for a message in the page's language. */
typedef struct {
    int err;      /* one of the CODE_E* constants */
    size_t pos;   /* CODE_ECHAR: 1-based character (not byte) position in the input */
    size_t count; /* CODE_ELENGTH: how many symbols the input has after normalising */
    char ch[8];   /* CODE_ECHAR: the offending character, UTF-8, NUL-terminated, or "" if not printable */
} code_error_t;

/** Derive the canonical code of a payload.
 * @param payload  the payload bytes exactly as signed
 * @param out      receives the 16 symbols (not NUL-terminated)
 * Thread-safe; allocates nothing. */
void code_from_payload(const void *payload, size_t len, char out[CODE_LEN]);

/** Derive the canonical code from an already computed SHA-256 digest. */
void code_from_digest(const unsigned char digest[32], char out[CODE_LEN]);

/** Parse a lookup code typed by a person.
 * Hyphens, spaces and dots are dropped, letters upper-cased, O reads as 0,
 * I and L as 1. Input longer than a few hundred bytes is rejected as
 * CODE_ELENGTH without scanning it all the way.
 * @param in   the raw text, not NUL-terminated, any bytes
 * @param out  receives the canonical 16 characters on success
 * @param e    receives the details on failure (may be NULL)
 * @return CODE_OK, or CODE_EEMPTY / CODE_ELENGTH / CODE_ECHAR / CODE_ECHECK.
 * Thread-safe; allocates nothing. */
int code_parse(str_t in, char out[CODE_LEN], code_error_t *e);

/** 1 when s is exactly a canonical code: 16 symbols, upper case, valid check. */
int code_is_canonical(str_t s);

/** Write the code grouped by four with hyphens, NUL-terminated. */
void code_format_grouped(const char code[CODE_LEN], char out[CODE_GROUPED_LEN + 1]);

/** Explain a parse failure in words for people.
 * @param lang  "vi" or "en" (anything else reads as "vi")
 * @return the number of bytes written (as snprintf; truncated to n). */
int code_error_text(const code_error_t *e, const char *lang, char *buf, size_t n);

#endif
