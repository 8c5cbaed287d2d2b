/* payload.c — validation of signed payloads, package-format.md §3, §3b, §4, §5.
 *
 * The order of refusals matters: size first (cheap, bounds everything
 * after), then UTF-8 over the raw bytes (so a refusal can name the byte
 * offset, which jansson cannot), then JSON, then the schema rules in the
 * order of the spec's tables, so the first failure reported is always the
 * same one. This file reads the bytes into a tree and holds the primary
 * transcript (hocba.tieuhoc.v1) and the recall notice; payload_internal.h
 * says where the rest is. */
#include "payload.h"

#include "jsonfast.h"
#include "payload_internal.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_TIEUHOC "hocba.tieuhoc.v1"
#define SCHEMA_TRUNGHOC "hocba.trunghoc.v1"
#define SCHEMA_RECALL "hocba.recall.v1"

#define MAX_SUBJECTS 20
#define MAX_QUALITIES 10
#define MAX_COMPETENCIES 20

/* ---- UTF-8 -------------------------------------------------------------- */

/* What is wrong at the first invalid UTF-8 sequence. */
typedef struct {
    const char *what;
    int legacy; /* 1 when the bytes look like text in a pre-Unicode code page */
} utf8_fault_t;

/* Find the first invalid UTF-8 sequence of s (utf8_decode). Returns len
 * when there is none; otherwise its offset, with *f saying what is wrong
 * there. The cases are told apart because "overlong" or "surrogate" tells a
 * vendor which of their encoders is broken, while a lead byte followed by
 * plain ASCII is what Windows-1258, TCVN3 or VNI text looks like, which is a
 * different fix. */
static size_t utf8_first_invalid(const unsigned char *s, size_t len, utf8_fault_t *f)
{
    static const utf8_fault_t FAULTS[] = {
        [UTF8_STRAY] = {"a continuation byte with no lead byte before it", 1},
        [UTF8_NEVER] = {"a byte that never appears in UTF-8", 1},
        [UTF8_CUT] = {"a lead byte without enough continuation bytes", 1},
        [UTF8_CUT_END] = {"a sequence cut short by the end of the payload", 0},
        [UTF8_OVERLONG] = {"an overlong encoding", 0},
        [UTF8_SURROGATE] = {"a UTF-16 surrogate (U+D800 to U+DFFF)", 0},
        [UTF8_TOO_BIG] = {"a code point above U+10FFFF", 0},
    };
    utf8_char_t ch;
    for (size_t i = 0, k; i < len; i += k)
        if ((k = utf8_decode(s + i, len - i, &ch)) == 0) {
            *f = FAULTS[ch.fault];
            return i;
        }
    return len;
}

/* ---- schemas ------------------------------------------------------------- */

/* What to check in each entry of subjects, qualities or competencies. */
typedef struct {
    const char *key;
    size_t max;
    const char *array; /* "an array of 1 to <max> entries" */
    const char *entry; /* "an object {...}" */
    const char *const *levels;
    size_t nlevels;
    const char *levels_expected; /* "T, H or C" */
    int has_score;
} evaluation_t;

static const char *const SUBJECT_LEVELS[] = {"T", "H", "C"};
static const char *const QUALITY_LEVELS[] = {"T", PV_LEVEL_D, "C"};

static int check_evaluations(const why_t *w, const json_t *root, const evaluation_t *ev)
{
    char prefix[PATH_LEN], got[ECHO_BUF];
    const char *s;
    size_t len;
    json_t *arr;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, ev->key, 1, JSON_ARRAY, ev->array, &arr)) != 0)
        return rc;
    if (json_array_size(arr) == 0 || json_array_size(arr) > ev->max) {
        pv_describe(got, sizeof got, arr);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", ev->key, ev->array, got);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const where_t at_e = {ev->key, (long)i}, *at = &at_e;
        if (!json_is_object(e)) {
            pv_where_text(prefix, sizeof prefix, at);
            pv_describe(got, sizeof got, e);
            return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", prefix, ev->entry, got);
        }
        if ((rc = pv_string(w, e, at, "name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
            return rc;
        const char *hint = ev->levels == QUALITY_LEVELS ? pv_level_d_hint(json_object_get(e, "level")) : NULL;
        if ((rc = pv_enum(w, e, at, "level", ev->levels, ev->nlevels, ev->levels_expected, hint, &s, NULL)) !=
            0)
            return rc;
        if (ev->has_score) {
            json_int_t score;
            int present;
            if ((rc = pv_int(w, e, at, "score", 0, 0, 10, "an integer from 0 to 10", &score, &present)) != 0)
                return rc;
        }
        if ((rc = pv_string(w, e, at, "comment", 0, STR_TEXT, "a string", &s, &len)) != 0)
            return rc;
    }
    return 0;
}

/* hocba.tieuhoc.v1 between the envelope's student and its awards (§3). */
static int tieuhoc_body(const why_t *w, const json_t *root, str_t doc, payload_t *out)
{
    static const char *const results[] = {"HTXS", "HTT", "HT", "CHT"};
    static const evaluation_t subjects = {"subjects",
                                          MAX_SUBJECTS,
                                          "an array of 1 to " STR(MAX_SUBJECTS) " entries",
                                          "an object {name, level, score?, comment?}",
                                          SUBJECT_LEVELS,
                                          3,
                                          "T, H or C",
                                          1};
    static const evaluation_t qualities = {"qualities",
                                           MAX_QUALITIES,
                                           "an array of 1 to " STR(MAX_QUALITIES) " entries",
                                           "an object {name, level, comment?}",
                                           QUALITY_LEVELS,
                                           3,
                                           "T, " PV_LEVEL_D " or C",
                                           0};
    static const evaluation_t competencies = {"competencies",
                                              MAX_COMPETENCIES,
                                              "an array of 1 to " STR(MAX_COMPETENCIES) " entries",
                                              "an object {name, level, comment?}",
                                              QUALITY_LEVELS,
                                              3,
                                              "T, " PV_LEVEL_D " or C",
                                              0};
    const char *s;
    size_t len;
    json_t *v;
    json_int_t n;
    int rc, present;

    (void)doc;
    out->level = PAYLOAD_LEVEL_TIEUHOC;
    out->program = PAYLOAD_PROGRAM_GDPT;
    if ((rc = pv_int(w, root, PV_AT_TOP, "grade", 1, 1, 5, "an integer from 1 to 5", &n, &present)) != 0)
        return rc;
    out->grade = (int)n;
    if ((rc = pv_string(w, root, PV_AT_TOP, "class", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &subjects)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &qualities)) != 0)
        return rc;
    if ((rc = check_evaluations(w, root, &competencies)) != 0)
        return rc;
    if ((rc = pv_enum(w, root, PV_AT_TOP, "result", results, 4, "HTXS, HTT, HT or CHT", NULL, &s, NULL)) != 0)
        return rc;
    if ((rc = pv_member(w, root, PV_AT_TOP, "program_completed", 1, JSON_TRUE, "true or false", &v)) != 0)
        return rc;
    return pv_int(w, root, PV_AT_TOP, "days_absent", 0, 0, JSON_INT_MAX, "an integer of 0 or more", &n,
                  &present);
}

static int check_recall(const why_t *w, const json_t *root, payload_t *out)
{
    const char *s;
    size_t len;
    int rc, present;

    if ((rc = pv_code(w, root, "code", 1, out->target, &present)) != 0)
        return rc;
    if ((rc = pv_charset(w, root, PV_AT_TOP, "school_code", 1, 1, 20, pv_is_alnum,
                         "1 to 20 characters of A-Z a-z 0-9 (the transcript's school.code)",
                         &out->school_code)) != 0)
        return rc;
    if ((rc = pv_date(w, root, PV_AT_TOP, "recalled_on", &out->recalled_on)) != 0)
        return rc;
    if ((rc = pv_string(w, root, PV_AT_TOP, "reason", 1, STR_TEXT, "a string", &s, &len)) != 0)
        return rc;
    out->reason = s;
    return pv_signers(w, root, out);
}

/* jansson's text ends in " near 'TOKEN'" with the raw token, which can be long
 * or hold any byte: keep the words, quote the token as pv_echo() does. */
static int json_failure(const why_t *w, const json_error_t *jerr)
{
    char words[JSON_ERROR_TEXT_LENGTH], token[ECHO_BUF];
    const char *near = strstr(jerr->text, " near '");
    size_t wlen = near ? (size_t)(near - jerr->text) : strnlen(jerr->text, sizeof jerr->text - 1);

    memcpy(words, jerr->text, wlen);
    words[wlen] = '\0';
    /* jansson names its own flag here, which means nothing to a sender */
    if (json_error_code(jerr) == json_error_null_character)
        snprintf(words, sizeof words, "\\u0000 (NUL) is not allowed in a string");
    if (near == NULL)
        return pv_fail(w, PAYLOAD_EJSON, "payload is not valid JSON: line %d, column %d: %s", jerr->line,
                       jerr->column, words);
    const char *t = near + strlen(" near '");
    size_t tlen = strnlen(t, sizeof jerr->text - (size_t)(t - jerr->text));
    if (tlen > 0 && t[tlen - 1] == '\'')
        tlen--;
    pv_echo(token, sizeof token, t, tlen);
    return pv_fail(w, PAYLOAD_EJSON, "payload is not valid JSON: line %d, column %d: %s near %s", jerr->line,
                   jerr->column, words, token);
}

/* ---- public -------------------------------------------------------------- */

int payload_parse(const void *bytes, size_t len, payload_t *out, char *why, size_t whylen)
{
    const why_t w = {why, whylen};
    const unsigned char *b = bytes;
    utf8_fault_t fault = {NULL, 0};
    json_error_t jerr;
    json_t *schema;
    int rc;

    memset(out, 0, sizeof *out);
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (len == 0 || bytes == NULL)
        return pv_fail(&w, PAYLOAD_ESIZE, "payload is empty");
    if (len > PAYLOAD_MAX_BYTES)
        return pv_fail(&w, PAYLOAD_ESIZE, "payload is %zu bytes; the limit is 64 KiB (%d bytes)", len,
                       PAYLOAD_MAX_BYTES);

    size_t skip = len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0;
    /* jsonfast gives json_loadb's very tree several times faster, or declines
     * (every malformed document, and a few rare well-formed ones). What it
     * accepts is strict UTF-8 throughout (it checks every string by the
     * ranges utf8_first_invalid uses; outside strings JSON is ASCII), so
     * only a declined document needs the UTF-8 pass, which words the
     * refusal; then jansson parses, and words its error. */
    out->root = jsonfast_parse((const char *)b + skip, len - skip);
    size_t bad = out->root != NULL ? len : utf8_first_invalid(b, len, &fault);
    if (bad < len) {
        char hex[16] = "";
        size_t show = len - bad < 4 ? len - bad : 4, o = 0;
        for (size_t i = 0; i < show; i++)
            o += (size_t)snprintf(hex + o, sizeof hex - o, i ? " %02X" : "%02X", b[bad + i]);
        return pv_fail(&w, PAYLOAD_EUTF8, "payload is not valid UTF-8 at byte offset %zu: %s (bytes %s)%s",
                       bad, fault.what, hex,
                       fault.legacy ? "; was it saved in another encoding, such as Windows-1258 or TCVN3?"
                                    : "");
    }

    /* JSON_DECODE_ANY so that a scalar document is "JSON, but not an object"
     * rather than a parse error; no JSON_ALLOW_NUL, so "\u0000" is refused. */
    if (out->root == NULL)
        out->root =
            json_loadb((const char *)b + skip, len - skip, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (out->root == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return pv_fail(&w, PAYLOAD_ENOMEM, "out of memory while parsing the payload");
        return json_failure(&w, &jerr);
    }

    if (!json_is_object(out->root)) {
        char got[ECHO_BUF];
        pv_describe(got, sizeof got, out->root);
        rc = pv_fail(&w, PAYLOAD_ESCHEMA, "payload: expected a JSON object at the top level, got %s", got);
        goto refused;
    }
    static const char schema_expected[] =
        "\"" SCHEMA_TIEUHOC "\", \"" SCHEMA_TRUNGHOC "\" or \"" SCHEMA_RECALL "\"";
    if ((rc = pv_member(&w, out->root, PV_AT_TOP, "schema", 1, JSON_STRING, schema_expected, &schema)) != 0)
        goto refused;
    str_t sv = str_n(json_string_value(schema), json_string_length(schema));
    str_t doc = str_n(b + skip, len - skip);
    if (str_eq(sv, str_c(SCHEMA_TIEUHOC))) {
        out->kind = PAYLOAD_TRANSCRIPT;
        out->schema = PAYLOAD_SCHEMA_TIEUHOC;
        rc = pv_envelope(&w, out->root, doc, out, tieuhoc_body);
    } else if (str_eq(sv, str_c(SCHEMA_TRUNGHOC))) {
        out->kind = PAYLOAD_TRANSCRIPT;
        out->schema = PAYLOAD_SCHEMA_TRUNGHOC;
        rc = pv_envelope(&w, out->root, doc, out, pv_trunghoc_body);
    } else if (str_eq(sv, str_c(SCHEMA_RECALL))) {
        out->kind = PAYLOAD_RECALL;
        out->schema = PAYLOAD_SCHEMA_RECALL;
        rc = check_recall(&w, out->root, out);
    } else {
        rc = pv_bad_value(&w, "schema", schema_expected, sv.ptr, sv.len, NULL);
    }
    if (rc == 0)
        return PAYLOAD_OK;
refused:
    payload_free(out);
    return rc;
}

void payload_free(payload_t *p)
{
    if (p == NULL)
        return;
    json_decref(p->root);
    memset(p, 0, sizeof *p);
}

int payload_find_role(const payload_t *p, const char *role)
{
    if (p == NULL || role == NULL)
        return -1;
    for (size_t i = 0; i < p->nsigners && i < PAYLOAD_MAX_SIGNERS; i++)
        if (p->signers[i].role != NULL && strcmp(p->signers[i].role, role) == 0)
            return (int)i;
    return -1;
}
