/* view_trunghoc.c — the year's results of a secondary transcript
 * (hocba.trunghoc.v1: lower or upper secondary, general or continuing
 * education; Circular 22/2021, 43/2021) as its page lays them out
 * (templates/transcript-body-trunghoc.html), after the ministry's paper học
 * bạ: each subject's semester and year averages, or Đạt / Chưa đạt for a
 * subject assessed by comment, the summer re-assessment (kiểm tra lại) where
 * a subject has one, exempt and individually assessed subjects said in words,
 * electives marked; the learning and conduct results by semester and year;
 * the year's decision; sessions absent; and for a grade-9 pupil who completed
 * the level, the principal's confirmation, which the frame shows near the top.
 *
 * Every value is given as the page shows it, in the page's language: scores
 * with one decimal and the catalog's decimal separator ("7,5" in Vietnamese,
 * "7.5" in English), levels and decisions in the catalog's words. */
#include "view_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { RETAKE = 3, RE_EVALUATED = 3 }; /* the fourth column of each table, shown only when used */

static const char *const VALUE_KEYS[] = {"hk1", "hk2", "year", "retake"};
static const char *const RESULT_KEYS[] = {"hk1", "hk2", "year", "re_evaluated"};
#define NKEYS 4

/* A score as pages show it: one decimal after the page's separator, "8" as
 * "8,0". The publisher took only scores of at most one decimal (§3b), so the
 * double's tenths are exactly the digits that were signed. */
static json_t *score_text(const json_t *v, const char *sep)
{
    char buf[24];
    long tenths = lround(json_number_value(v) * 10);
    snprintf(buf, sizeof buf, "%ld%s%ld", tenths / 10, sep, tenths % 10);
    return json_string_nocheck(buf);
}

/* One row of the subjects' table. An exempt subject and one assessed under
 * an individual plan carry no values (the publisher refused any): they are
 * said in words, with their comment (the reason, or the result). Any other
 * subject has values, by score or in words, and its comment as a note. */
static json_t *subject_row(json_t *e, json_t *t, const char *sep, int *has_retake)
{
    json_t *o = json_object();
    vw_copy_member(o, e, "name");
    if (json_is_true(json_object_get(e, "elective")))
        vw_set_new(o, "elective", json_true());
    const char *kind = json_string_value(json_object_get(e, "assessment"));
    int exempt = json_is_true(json_object_get(e, "exempt"));
    if (exempt || (kind != NULL && strcmp(kind, "individual") == 0)) {
        vw_set_new(o, exempt ? "exempt" : "individual", json_true());
        vw_copy_member(o, e, "comment");
        return o;
    }
    json_t *values = json_object();
    for (int k = 0; k < NKEYS; k++) {
        json_t *v = json_object_get(e, VALUE_KEYS[k]);
        if (v == NULL)
            continue;
        if (json_is_number(v))
            vw_set_new(values, VALUE_KEYS[k], score_text(v, sep));
        else
            vw_set_str(values, VALUE_KEYS[k], vw_label(t, "level.comment.", json_string_value(v)));
        *has_retake |= k == RETAKE;
    }
    vw_set_new(o, "values", values);
    json_t *note = json_object_get(e, "comment");
    if (json_is_string(note))
        json_object_set_nocheck(o, "note", note);
    return o;
}

/* Kết quả học tập or rèn luyện: a row of levels in words. */
static json_t *result_row(json_t *obj, const char *label, json_t *t, int *has_re_evaluated)
{
    json_t *o = json_object();
    vw_set_str(o, "label", label);
    for (int k = 0; k < NKEYS; k++) {
        const char *level = json_string_value(json_object_get(obj, RESULT_KEYS[k]));
        if (level == NULL)
            continue;
        vw_set_str(o, RESULT_KEYS[k], vw_label(t, "level.result.", level));
        *has_re_evaluated |= k == RE_EVALUATED;
    }
    return o;
}

void vw_trunghoc_results(json_t *o, const payload_t *pl, json_t *t)
{
    json_t *r = pl->root, *subjects = json_array(), *results = json_array(), *e;
    json_t *listed = json_object_get(r, "subjects");
    const char *level = pl->level == PAYLOAD_LEVEL_THCS ? "THCS" : "THPT";
    const char *sep = vw_label(t, "decimal_separator", NULL);
    const char *decision = json_string_value(json_object_get(r, "decision"));
    int has_retake = 0, has_re_evaluated = 0;
    size_t i;

    vw_set_new(o, "layout_trunghoc", json_true());
    vw_set_str(o, "level_label", vw_label(t, "level.school.", level));
    if (pl->program == PAYLOAD_PROGRAM_GDTX)
        vw_set_str(o, "program_label", vw_label(t, "program.", "GDTX"));
    json_array_foreach(listed, i, e)
    {
        json_array_append_new(subjects, subject_row(e, t, sep, &has_retake));
    }
    vw_set_new(o, "subjects", subjects);
    vw_set_new(o, "has_retake", json_boolean(has_retake));
    vw_set_new(o, "value_columns", json_integer(3 + has_retake));
    json_array_append_new(results, result_row(json_object_get(r, "learning"),
                                              vw_label(t, "sec_learning", NULL), t, &has_re_evaluated));
    if (json_is_object(json_object_get(r, "conduct"))) /* optional for GDTX */
        json_array_append_new(results, result_row(json_object_get(r, "conduct"),
                                                  vw_label(t, "sec_conduct", NULL), t, &has_re_evaluated));
    vw_set_new(o, "results", results);
    vw_set_new(o, "has_re_evaluated", json_boolean(has_re_evaluated));
    /* HOAN_THANH is worded for the level it completes */
    int done = decision != NULL && strcmp(decision, "HOAN_THANH") == 0;
    vw_set_str(o, "decision_label",
               done ? vw_label(t, "decision.HOAN_THANH.", level) : vw_label(t, "decision.", decision));
    /* §3b: for grade 9, HOAN_THANH is the principal's confirmation that the
     * pupil completed lower secondary education (it replaces the diploma) */
    if (done && pl->grade == 9)
        vw_set_str(o, "completion", vw_label(t, "completion.", level));
    json_t *absent = json_object_get(r, "sessions_absent");
    vw_set_new(o, "has_sessions_absent", json_boolean(json_is_integer(absent)));
    if (json_is_integer(absent))
        json_object_set_nocheck(o, "sessions_absent", absent);
}
