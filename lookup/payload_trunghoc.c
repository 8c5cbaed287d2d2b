/* payload_trunghoc.c — hocba.trunghoc.v1, a transcript of lower secondary
 * (THCS, grades 6-9) or upper secondary (THPT, grades 10-12), general (GDPT)
 * or continuing education (GDTX): package-format.md §3b, after Circular
 * 22/2021/TT-BGDĐT (43/2021 for GDTX). These are the members between the
 * envelope's student and its awards (payload_envelope.c has the rest).
 *
 * The publisher checks each value's form and where it may appear; it does
 * not recompute averages or levels from one another (the signers answer for
 * them), so a year average that does not follow from the semesters, or a
 * decision that does not follow from the results, is not refused. */
#include "payload_internal.h"

#include "jsonfast.h"
#include "vnfold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBJECTS 30
#define NVALUES 4 /* hk1, hk2, year, retake */
#define YEAR 2    /* VALUE_KEYS[YEAR] is required */
#define FOLD_LEN (2 * STR_MAX_OTHER + 1)

#define CD "C" PV_LEVEL_D /* CĐ, Chưa đạt */

enum { BY_SCORE = 0, BY_COMMENT, INDIVIDUAL }; /* the order of ASSESSMENTS */
enum { LEN_LOP = 0, HOAN_THANH, O_LAI };       /* the order of DECISIONS */

static const char *const VALUE_KEYS[NVALUES] = {"hk1", "hk2", "year", "retake"};
static const char *const LEVELS[] = {"THCS", "THPT"};
static const char *const PROGRAMS[] = {"GDPT", "GDTX"};
static const char *const ASSESSMENTS[] = {"score", "comment", "individual"};
static const char *const COMMENT_VALUES[] = {PV_LEVEL_D, CD};
static const char *const RESULT_LEVELS[] = {"T", "K", PV_LEVEL_D, CD};
static const char *const RESULT_KEYS[] = {"hk1", "hk2", "year", "re_evaluated"};
static const char *const DECISIONS[] = {"LEN_LOP", "HOAN_THANH", "O_LAI"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The first school year TT 22/2021 applied to each grade; grade 6 in 2021-2022. */
static const int TT22_FROM[13] = {
    [6] = 2021, [7] = 2022, [8] = 2023, [9] = 2024, [10] = 2022, [11] = 2023, [12] = 2024};

static const char SUBJECT_ENTRY[] =
    "an object {name, assessment, hk1?, hk2?, year, retake?, elective?, comment?, exempt?}";
static const char SCORE_EXPECTED[] =
    "a number from 0 to 10 with at most one decimal (a subject assessed by score)";
static const char COMMENT_EXPECTED[] = PV_LEVEL_D " or " CD " (a subject assessed by comment)";
static const char RESULT_EXPECTED[] = "T, K, " PV_LEVEL_D " or " CD;

/* What the subjects' checks share: the tokens of their number values, and
 * the folded names met so far. */
typedef struct {
    const json_t *nodes[MAX_SUBJECTS * NVALUES];
    str_t texts[MAX_SUBJECTS * NVALUES];
    char names[MAX_SUBJECTS][FOLD_LEN];
} subjects_t;

/* "two" for 2 and so on, the way the reasons count decimals. */
static void count_words(char *buf, size_t n, size_t count)
{
    static const char *const words[] = {"",     "one", "two",   "three", "four",
                                        "five", "six", "seven", "eight", "nine"};
    if (count < N(words))
        snprintf(buf, n, "%s", words[count]);
    else
        snprintf(buf, n, "%zu", count);
}

/* A score as written (§3b: "Numbers are checked as written"): a plain
 * decimal, no sign, no exponent, at most one digit after the point. The
 * value, already known to be from 0 to 10, is not looked at again. */
static int check_score_text(const why_t *w, const char *path, str_t t)
{
    int shown = t.len > ECHO_MAX ? ECHO_MAX : (int)t.len;
    const char *more = t.len > ECHO_MAX ? "..." : "";
    const char *dot = memchr(t.ptr, '.', t.len);
    char count[16];

    if (memchr(t.ptr, 'e', t.len) != NULL || memchr(t.ptr, 'E', t.len) != NULL)
        return pv_fail(w, PAYLOAD_ESCHEMA,
                       "%s: %.*s%s is in exponent form; scores are written as plain decimals such as 7.5",
                       path, shown, t.ptr, more);
    if (t.ptr[0] == '-')
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: %.*s%s has a sign; scores are written without one", path,
                       shown, t.ptr, more);
    size_t decimals = dot == NULL ? 0 : t.len - (size_t)(dot - t.ptr) - 1;
    if (decimals <= 1)
        return 0;
    count_words(count, sizeof count, decimals);
    /* 7.8 is no double: a writer that prints doubles in full sends 7.7999999999999998 */
    return pv_fail(w, PAYLOAD_ESCHEMA, "%s: %.*s%s has %s decimals; scores have at most one%s", path, shown,
                   t.ptr, more, count, decimals >= 15 ? " (round to one decimal when writing the JSON)" : "");
}

/* check_score_text's verdict without its words, for the common case. */
static int plain_score(str_t t)
{
    const char *dot = t.ptr != NULL ? memchr(t.ptr, '.', t.len) : NULL;
    if (t.len == 0 || !pv_is_digit((unsigned char)t.ptr[0]))
        return 0;
    for (size_t i = 0; i < t.len; i++)
        if (t.ptr[i] == 'e' || t.ptr[i] == 'E')
            return 0;
    return dot == NULL || (size_t)(dot - t.ptr) + 2 >= t.len;
}

/* hk1, hk2, year or retake of subject at (index i), assessed as kind. */
static int check_value(const why_t *w, const json_t *e, const where_t *at, int k, int kind, str_t text)
{
    char path[PATH_LEN], got[ECHO_BUF];
    const json_t *v = json_object_get(e, VALUE_KEYS[k]);
    const char *s;

    if (kind == BY_COMMENT) {
        if (v == NULL && k != YEAR)
            return 0;
        return pv_enum(w, e, at, VALUE_KEYS[k], COMMENT_VALUES, N(COMMENT_VALUES), COMMENT_EXPECTED,
                       pv_level_d_hint(v), &s, NULL);
    }
    if (v == NULL && k != YEAR)
        return 0;
    if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 10 && plain_score(text))
        return 0;
    pv_join(path, sizeof path, at, VALUE_KEYS[k]); /* only to word the refusal */
    if (v == NULL)
        return k == YEAR ? pv_fail(w, PAYLOAD_ESCHEMA, "%s: required member is missing; expected %s", path,
                                   SCORE_EXPECTED)
                         : 0;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 10) {
        pv_describe(got, sizeof got, v);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, SCORE_EXPECTED, got);
    }
    if (text.ptr == NULL) /* cannot happen: every number of the tree is in the bytes */
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: the number could not be read as written", path);
    return check_score_text(w, path, text);
}

/* An exempt subject and one assessed individually carry no values. */
static int check_no_values(const why_t *w, const json_t *e, const where_t *at, int exempt)
{
    char path[PATH_LEN], got[ECHO_BUF];

    for (int k = 0; k < NVALUES; k++) {
        const json_t *v = json_object_get(e, VALUE_KEYS[k]);
        if (v == NULL)
            continue;
        pv_join(path, sizeof path, at, VALUE_KEYS[k]);
        pv_describe(got, sizeof got, v);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: %s carries no values, got %s", path,
                       exempt ? "an exempt subject (exempt: true)"
                              : "a subject assessed individually (its comment holds the result)",
                       got);
    }
    return 0;
}

/* A subject's name as compared (§3b): folded as school names are
 * (vnfold.h), then with i/y spelling folded (Mĩ = Mỹ): in the folded form
 * (NFD, case-folded) every y is the base letter of its syllable, so reading
 * each as i folds both spellings to one. A name whose folded form does not
 * fit (it cannot: names are at most STR_MAX_OTHER bytes, and NFD at most
 * doubles Vietnamese text) or cannot be folded is kept empty and compared
 * with none. */
static void fold_subject_name(str_t name, char out[FOLD_LEN])
{
    char *f = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (vnfold(name, &f, &n) != VNFOLD_OK || n >= FOLD_LEN) {
        free(f);
        return;
    }
    for (size_t k = 0; k < n; k++)
        out[k] = f[k] == 'y' ? 'i' : f[k];
    out[n] = '\0';
    free(f);
}

/* §3b: no two subjects carry the same name, compared as school names are
 * (§5) and with i/y spelling folded. */
static int check_unique_name(const why_t *w, subjects_t *sj, const json_t *arr, size_t i, const char *name,
                             size_t len)
{
    char first[ECHO_BUF], again[ECHO_BUF];

    fold_subject_name(str_n(name, len), sj->names[i]);
    for (size_t k = 0; k < i && sj->names[i][0] != '\0'; k++) {
        if (strcmp(sj->names[k], sj->names[i]) != 0)
            continue;
        const json_t *other = json_object_get(json_array_get(arr, k), "name");
        pv_echo(again, sizeof again, name, len);
        pv_echo(first, sizeof first, json_string_value(other), json_string_length(other));
        return pv_fail(w, PAYLOAD_ESCHEMA,
                       "subjects[%zu].name: %s is the same subject as subjects[%zu] (%s); names are compared "
                       "with case, tone placement and i/y spelling folded",
                       i, again, k, first);
    }
    return 0;
}

static int check_subject(const why_t *w, subjects_t *sj, const json_t *arr, size_t i, const payload_t *out)
{
    const json_t *e = json_array_get(arr, i);
    const where_t at_e = {"subjects", (long)i}, *at = &at_e;
    char path[PATH_LEN], got[ECHO_BUF];
    const char *s;
    size_t len, kind;
    json_t *exempt, *elective;
    int rc;

    if (!json_is_object(e)) {
        pv_where_text(path, sizeof path, at);
        pv_describe(got, sizeof got, e);
        return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", path, SUBJECT_ENTRY, got);
    }
    if ((rc = pv_string(w, e, at, "name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = check_unique_name(w, sj, arr, i, s, len)) != 0)
        return rc;
    if ((rc = pv_enum(w, e, at, "assessment", ASSESSMENTS, N(ASSESSMENTS), "score, comment or individual",
                      NULL, &s, &kind)) != 0)
        return rc;
    if ((rc = pv_member(w, e, at, "exempt", 0, JSON_TRUE, "true or false", &exempt)) != 0)
        return rc;
    if (json_is_true(exempt) && kind == INDIVIDUAL) {
        pv_join(path, sizeof path, at, "exempt");
        return pv_fail(
            w, PAYLOAD_ESCHEMA,
            "%s: a subject assessed individually (assessment individual) is assessed, not exempt; got "
            "true",
            path);
    }
    if (json_is_true(exempt) || kind == INDIVIDUAL) {
        if ((rc = check_no_values(w, e, at, json_is_true(exempt))) != 0)
            return rc;
    } else {
        for (int k = 0; k < NVALUES; k++)
            if ((rc = check_value(w, e, at, k, (int)kind, sj->texts[i * NVALUES + (size_t)k])) != 0)
                return rc;
    }
    if ((rc = pv_member(w, e, at, "elective", 0, JSON_TRUE, "true or false", &elective)) != 0)
        return rc;
    if (elective != NULL && out->level == PAYLOAD_LEVEL_THCS) {
        pv_join(path, sizeof path, at, "elective");
        return pv_fail(
            w, PAYLOAD_ESCHEMA,
            "%s: not used on a THCS transcript (electives, môn lựa chọn, are chosen in THPT), got %s", path,
            json_is_true(elective) ? "true" : "false");
    }
    return pv_string(w, e, at, "comment", kind == INDIVIDUAL, STR_TEXT,
                     kind == INDIVIDUAL ? "a string (the result of a subject assessed individually)"
                                        : "a string",
                     &s, &len);
}

static int check_subjects(const why_t *w, const json_t *root, str_t doc, const payload_t *out)
{
    static const char expected[] = "an array of 1 to " STR(MAX_SUBJECTS) " entries";
    char got[ECHO_BUF];
    json_t *arr;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, "subjects", 1, JSON_ARRAY, expected, &arr)) != 0)
        return rc;
    size_t n = json_array_size(arr);
    if (n == 0 || n > MAX_SUBJECTS) {
        pv_describe(got, sizeof got, arr);
        return pv_fail(w, PAYLOAD_ESCHEMA, "subjects: expected %s, got %s", expected, got);
    }
    subjects_t *sj = malloc(sizeof *sj); /* 12 KiB: kept off the stacks of the portal's threads */
    if (sj == NULL)
        return pv_fail(w, PAYLOAD_ENOMEM, "out of memory while checking the subjects");
    /* the tokens of every number value, found in one pass over the bytes */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < NVALUES; k++) {
            const json_t *v = json_object_get(json_array_get(arr, i), VALUE_KEYS[k]);
            sj->nodes[i * NVALUES + k] = json_is_number(v) ? v : NULL;
        }
    jsonfast_number_texts(doc.ptr, doc.len, root, sj->nodes, sj->texts, n * NVALUES);
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = check_subject(w, sj, arr, i, out);
    free(sj);
    return rc;
}

/* learning or conduct: {hk1?, hk2?, year, re_evaluated?}, each a level. */
static int check_results(const why_t *w, const json_t *root, const char *key, int required,
                         const char *expected)
{
    const where_t at_r = {key, -1}, *at = &at_r;
    const char *s;
    json_t *obj;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, key, required, JSON_OBJECT, expected, &obj)) != 0 || obj == NULL)
        return rc;
    for (size_t k = 0; k < N(RESULT_KEYS); k++) {
        const json_t *v = json_object_get(obj, RESULT_KEYS[k]);
        if (v == NULL && k != YEAR)
            continue;
        if ((rc = pv_enum(w, obj, at, RESULT_KEYS[k], RESULT_LEVELS, N(RESULT_LEVELS), RESULT_EXPECTED,
                          pv_level_d_hint(v), &s, NULL)) != 0)
            return rc;
    }
    return 0;
}

/* §3b: LEN_LOP for grades 6-8 and 10-11, HOAN_THANH for 9 and 12, O_LAI for any. */
static int check_decision(const why_t *w, const json_t *root, int grade)
{
    const char *s;
    size_t d;
    int rc, last = grade == 9 || grade == 12;

    if ((rc = pv_enum(w, root, PV_AT_TOP, "decision", DECISIONS, N(DECISIONS), "LEN_LOP, HOAN_THANH or O_LAI",
                      NULL, &s, &d)) != 0)
        return rc;
    if (d == LEN_LOP && last)
        return pv_fail(w, PAYLOAD_ESCHEMA,
                       "decision: LEN_LOP (promoted) is not an outcome of grade %d, the last of %s; expected "
                       "HOAN_THANH (completed the programme) or O_LAI",
                       grade, grade == 9 ? "THCS" : "THPT");
    if (d == HOAN_THANH && !last)
        return pv_fail(
            w, PAYLOAD_ESCHEMA,
            "decision: HOAN_THANH (completed the programme of the level) is an outcome of grades 9 and "
            "12 only, got grade %d; expected LEN_LOP or O_LAI",
            grade);
    return 0;
}

int pv_trunghoc_body(const why_t *w, const json_t *root, str_t doc, payload_t *out)
{
    const char *s;
    size_t len, level, program;
    json_int_t n;
    int rc, present;
    char got[ECHO_BUF];

    if ((rc = pv_enum(w, root, PV_AT_TOP, "level", LEVELS, N(LEVELS), "THCS or THPT", NULL, &s, &level)) != 0)
        return rc;
    out->level = level == 0 ? PAYLOAD_LEVEL_THCS : PAYLOAD_LEVEL_THPT;
    if ((rc = pv_enum(w, root, PV_AT_TOP, "program", PROGRAMS, N(PROGRAMS), "GDPT or GDTX", NULL, &s,
                      &program)) != 0)
        return rc;
    out->program = program == 0 ? PAYLOAD_PROGRAM_GDPT : PAYLOAD_PROGRAM_GDTX;
    if (out->level == PAYLOAD_LEVEL_THCS)
        rc =
            pv_int(w, root, PV_AT_TOP, "grade", 1, 6, 9, "an integer from 6 to 9 (level THCS)", &n, &present);
    else
        rc = pv_int(w, root, PV_AT_TOP, "grade", 1, 10, 12, "an integer from 10 to 12 (level THPT)", &n,
                    &present);
    if (rc != 0)
        return rc;
    out->grade = (int)n;
    if (out->year_start < TT22_FROM[out->grade])
        return pv_fail(
            w, PAYLOAD_ESCHEMA,
            "school_year: %s is before TT 22/2021 reached grade %d (from %d-%d); that year was assessed "
            "under TT 58/2011 (hạnh kiểm, học lực), which hocba.trunghoc.v1 does not carry",
            out->school_year, out->grade, TT22_FROM[out->grade], TT22_FROM[out->grade] + 1);
    if ((rc = pv_string(w, root, PV_AT_TOP, "class", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = check_subjects(w, root, doc, out)) != 0)
        return rc;
    if ((rc = check_results(w, root, "learning", 1,
                            "an object {hk1?, hk2?, year, re_evaluated?} of levels")) != 0)
        return rc;
    if ((rc = check_results(w, root, "conduct", out->program == PAYLOAD_PROGRAM_GDPT,
                            out->program == PAYLOAD_PROGRAM_GDPT
                                ? "an object {hk1?, hk2?, year, re_evaluated?} of levels (required for GDPT)"
                                : "an object {hk1?, hk2?, year, re_evaluated?} of levels")) != 0)
        return rc;
    if ((rc = check_decision(w, root, out->grade)) != 0)
        return rc;
    if ((rc = pv_int(w, root, PV_AT_TOP, "sessions_absent", 0, 0, JSON_INT_MAX, "an integer of 0 or more", &n,
                     &present)) != 0)
        return rc;
    /* §3b: "days_absent is not used in this schema"; kept, it would be signed
     * and never shown, and a reader of the JSON could take it for the count */
    const json_t *days = json_object_get(root, "days_absent");
    if (days == NULL)
        return 0;
    pv_describe(got, sizeof got, days);
    return pv_fail(
        w, PAYLOAD_ESCHEMA,
        "days_absent: not used in hocba.trunghoc.v1, which counts absence in sessions (sessions_absent); "
        "got %s",
        got);
}
