/* view_tieuhoc.c — the year's results of a primary transcript
 * (hocba.tieuhoc.v1, Circular 27/2020) as its page lays them out
 * (templates/transcript-body-tieuhoc.html): subjects with their level and
 * periodic test score, the qualities and competencies, the overall result,
 * whether the grade's programme was completed, days absent. */
#include "view_internal.h"

/* subjects, qualities or competencies: name, level in words, comment, and
 * for subjects the score when there is one. */
static json_t *leveled(json_t *arr, json_t *t, const char *prefix, int with_score)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        json_t *o = json_object();
        vw_copy_member(o, e, "name");
        vw_copy_member(o, e, "level");
        vw_copy_member(o, e, "comment");
        vw_set_str(o, "level_label", vw_label(t, prefix, json_string_value(json_object_get(e, "level"))));
        if (with_score) {
            json_t *score = json_object_get(e, "score");
            vw_set_new(o, "has_score", json_boolean(json_is_integer(score)));
            if (json_is_integer(score))
                json_object_set_nocheck(o, "score", score);
        }
        json_array_append_new(out, o);
    }
    return out;
}

void vw_tieuhoc_results(json_t *o, const payload_t *pl, json_t *t)
{
    json_t *r = pl->root;
    vw_set_new(o, "layout_tieuhoc", json_true());
    vw_set_str(o, "level_label", vw_label(t, "level.school.", "TH"));
    vw_set_new(o, "subjects", leveled(json_object_get(r, "subjects"), t, "level.subject.", 1));
    vw_set_new(o, "qualities", leveled(json_object_get(r, "qualities"), t, "level.quality.", 0));
    vw_set_new(o, "competencies", leveled(json_object_get(r, "competencies"), t, "level.quality.", 0));
    const char *result = json_string_value(json_object_get(r, "result"));
    vw_set_str(o, "result", result ? result : "");
    vw_set_str(o, "result_label", vw_label(t, "result.", result));
    int done = json_is_true(json_object_get(r, "program_completed"));
    vw_set_new(o, "program_completed", json_boolean(done));
    vw_set_str(o, "program_completed_label", vw_label(t, done ? "yes" : "no", NULL));
    json_t *absent = json_object_get(r, "days_absent");
    vw_set_new(o, "has_days_absent", json_boolean(json_is_integer(absent)));
    if (json_is_integer(absent))
        json_object_set_nocheck(o, "days_absent", absent);
}
