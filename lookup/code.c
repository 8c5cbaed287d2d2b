/* code.c — lookup codes: derivation, normalisation, check symbol. */
#include "code.h"

#include "digest.h"
#include "utf8.h"

#include <stdio.h>

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Inputs longer than this cannot be a code even with generous separators;
 * refusing them early bounds the work an attacker can ask for. */
#define CODE_MAX_INPUT 256

/* Value of an already normalised symbol, or -1. */
static int symbol_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    for (int i = 10; i < 32; i++)
        if (ALPHABET[i] == c)
            return i;
    return -1;
}

/* Luhn mod 32 over 15 symbol values: factor 2 on the rightmost, alternating. */
static int check_value(const int v[CODE_LEN - 1])
{
    int sum = 0, factor = 2;
    for (int i = CODE_LEN - 2; i >= 0; i--) {
        int addend = v[i] * factor;
        sum += addend / 32 + addend % 32;
        factor = factor == 2 ? 1 : 2;
    }
    return (32 - sum % 32) % 32;
}

void code_from_digest(const unsigned char d[32], char out[CODE_LEN])
{
    int v[CODE_LEN - 1];
    /* Symbol i is bits 5i..5i+4 of the digest, most significant first. */
    for (int i = 0; i < CODE_LEN - 1; i++) {
        int bit = 5 * i, byte = bit / 8, shift = bit % 8;
        unsigned w = ((unsigned)d[byte] << 8) | d[byte + 1];
        v[i] = (int)((w >> (11 - shift)) & 31);
        out[i] = ALPHABET[v[i]];
    }
    out[CODE_LEN - 1] = ALPHABET[check_value(v)];
}

void code_from_payload(const void *payload, size_t len, char out[CODE_LEN])
{
    unsigned char d[32];
    digest_sha256(payload, len, d); /* fails only without memory; the publisher hashes for itself */
    code_from_digest(d, out);
}

/* The offending character, quoted in the message only when it is a whole,
 * well-formed UTF-8 character that prints: never a control (C0, DEL, C1),
 * a stray byte, an overlong form, a surrogate or anything beyond U+10FFFF,
 * which would make the message itself invalid UTF-8. */
static void set_bad_char(code_error_t *e, str_t in, size_t at, size_t charpos)
{
    e->err = CODE_ECHAR;
    e->pos = charpos;
    e->ch[0] = '\0';
    const unsigned char *p = (const unsigned char *)in.ptr + at;
    size_t n = utf8_seq_len(p, in.len - at);
    if (n == 0 || p[0] < 0x20 || p[0] == 0x7f || (p[0] == 0xC2 && p[1] < 0xA0))
        return;
    memcpy(e->ch, p, n);
    e->ch[n] = '\0';
}

int code_parse(str_t in, char out[CODE_LEN], code_error_t *e)
{
    code_error_t dummy;
    int v[CODE_LEN];
    size_t count = 0, charpos = 0;

    if (e == NULL)
        e = &dummy;
    memset(e, 0, sizeof(*e));
    if (in.len > CODE_MAX_INPUT) {
        e->err = CODE_ELENGTH;
        e->count = in.len;
        return CODE_ELENGTH;
    }
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        if ((c & 0xC0) != 0x80)
            charpos++;
        if (c == '-' || c == ' ' || c == '.')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c == 'O')
            c = '0';
        else if (c == 'I' || c == 'L')
            c = '1';
        int val = symbol_value(c);
        if (val < 0) {
            set_bad_char(e, in, i, charpos);
            return CODE_ECHAR;
        }
        if (count < CODE_LEN)
            v[count] = val;
        count++;
    }
    if (count == 0) {
        e->err = CODE_EEMPTY;
        return CODE_EEMPTY;
    }
    if (count != CODE_LEN) {
        e->err = CODE_ELENGTH;
        e->count = count;
        return CODE_ELENGTH;
    }
    if (check_value(v) != v[CODE_LEN - 1]) {
        e->err = CODE_ECHECK;
        return CODE_ECHECK;
    }
    for (int i = 0; i < CODE_LEN; i++)
        out[i] = ALPHABET[v[i]];
    return CODE_OK;
}

int code_is_canonical(str_t s)
{
    char canon[CODE_LEN];
    if (s.len != CODE_LEN)
        return 0;
    if (code_parse(s, canon, NULL) != CODE_OK)
        return 0;
    return memcmp(canon, s.ptr, CODE_LEN) == 0;
}

void code_format_grouped(const char code[CODE_LEN], char out[CODE_GROUPED_LEN + 1])
{
    size_t o = 0;
    for (int i = 0; i < CODE_LEN; i++) {
        if (i > 0 && i % 4 == 0)
            out[o++] = '-';
        out[o++] = code[i];
    }
    out[o] = '\0';
}

int code_error_text(const code_error_t *e, const char *lang, char *buf, size_t n)
{
    int en = lang != NULL && strcmp(lang, "en") == 0;
    switch (e->err) {
    case CODE_EEMPTY:
        return snprintf(buf, n,
                        en ? "Please enter the 16-character lookup code printed on the transcript."
                           : "Vui lòng nhập mã tra cứu gồm 16 ký tự in trên học bạ.");
    case CODE_ELENGTH:
        return snprintf(buf, n,
                        en ? "A lookup code has 16 characters; this one has %zu. Check that none is missing "
                             "or repeated."
                           : "Mã tra cứu có 16 ký tự; mã vừa nhập có %zu ký tự. Hãy kiểm tra xem có thiếu "
                             "hoặc thừa ký tự nào không.",
                        e->count);
    case CODE_ECHAR:
        if (e->ch[0] != '\0')
            return snprintf(
                buf, n,
                en ? "Character %zu (\"%s\") cannot appear in a lookup code. Codes use the digits "
                     "0-9 and the letters A-Z except U."
                   : "Ký tự thứ %zu (\"%s\") không thể có trong mã tra cứu. Mã chỉ gồm chữ số "
                     "0-9 và chữ cái A-Z (trừ U).",
                e->pos, e->ch);
        return snprintf(buf, n,
                        en ? "Character %zu cannot appear in a lookup code. Codes use the digits 0-9 and the "
                             "letters A-Z except U."
                           : "Ký tự thứ %zu không thể có trong mã tra cứu. Mã chỉ gồm chữ số 0-9 và chữ cái "
                             "A-Z (trừ U).",
                        e->pos);
    case CODE_ECHECK:
        return snprintf(buf, n,
                        en ? "This code is probably mistyped: its last character does not match the others. "
                             "Compare it with the paper copy character by character."
                           : "Mã này có lẽ bị gõ nhầm: ký tự cuối không khớp với các ký tự còn lại. Hãy so "
                             "từng ký tự với bản giấy.");
    default:
        return snprintf(buf, n, "%s", "");
    }
}
