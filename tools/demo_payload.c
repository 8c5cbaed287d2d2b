/* demo_payload.c — hocba-demo's content: a seeded generator (one stream per
 * record), pupils with their names, dates and places, the evaluation of
 * Circular 27/2020, and the payloads of primary transcripts and recall
 * notices (tools/demo.h). */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** What evaluate() derives from a student_t (Circular 27/2020). */
typedef struct {
    int level[DEMO_MAX_SUBJECTS]; /* 0 T, 1 H, 2 C */
    int result;                   /* 0 HTXS, 1 HTT, 2 HT, 3 CHT */
    const char *award;            /* NULL or one of the DEMO_AWARD_* */
} eval_t;

/* ---- content generator ----------------------------------------------------------
 * splitmix64, one stream per pupil (or school), so that one record's draws never
 * shift another's. */

uint64_t demo_rng_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

rng_t demo_rng_for(uint64_t seed, uint64_t tag, uint64_t idx)
{
    rng_t r = {seed ^ (tag * 0xD1B54A32D192ED03ULL) ^ (idx * 0xAEF17502108EF2D9ULL)};
    demo_rng_next(&r);
    return r;
}

unsigned demo_rng_below(rng_t *r, unsigned n)
{
    return (unsigned)(demo_rng_next(r) % n);
}

#define PICK(r, arr) ((arr)[demo_rng_below((r), (unsigned)DEMO_COUNT(arr))])

static const char *pick_weighted(rng_t *r, const demo_weighted_t *w, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += (unsigned)w[i].weight;
    unsigned x = demo_rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < (unsigned)w[i].weight)
            return w[i].name;
        x -= (unsigned)w[i].weight;
    }
    return w[0].name;
}

void demo_adult_name(rng_t *r, int female, const char *family, char *out, size_t n)
{
    if (!family)
        family = pick_weighted(r, DEMO_FAMILY, DEMO_COUNT(DEMO_FAMILY));
    const char *mid = female ? PICK(r, DEMO_ADULT_MIDDLE_F) : PICK(r, DEMO_ADULT_MIDDLE_M);
    const char *given = female ? PICK(r, DEMO_ADULT_GIVEN_F) : PICK(r, DEMO_ADULT_GIVEN_M);
    snprintf(out, n, "%s %s %s", family, mid, given);
}

static const char *ethnic_family(rng_t *r, const char *ethnicity)
{
    for (size_t i = 0; i < DEMO_COUNT(DEMO_ETHNIC_FAMILY); i++)
        if (strcmp(DEMO_ETHNIC_FAMILY[i].ethnicity, ethnicity) == 0)
            return DEMO_ETHNIC_FAMILY[i].family[demo_rng_below(r, 6)];
    return pick_weighted(r, DEMO_FAMILY, DEMO_COUNT(DEMO_FAMILY));
}

static void child_name(rng_t *r, student_t *st, const char **family_out)
{
    if (strcmp(st->ethnicity, "Ê Đê") == 0) {
        const char *given = st->female ? PICK(r, DEMO_EDE_GIVEN_F) : PICK(r, DEMO_EDE_GIVEN_M);
        const char *clan = PICK(r, DEMO_EDE_CLAN);
        snprintf(st->full_name, sizeof st->full_name, "%s%s %s", st->female ? "H'" : "Y ", given, clan);
        *family_out = clan;
        return;
    }
    const char *family = ethnic_family(r, st->ethnicity);
    const char *mid, *given;
    do {
        mid = st->female ? PICK(r, DEMO_CHILD_MIDDLE_F) : PICK(r, DEMO_CHILD_MIDDLE_M);
        given = st->female ? PICK(r, DEMO_CHILD_GIVEN_F) : PICK(r, DEMO_CHILD_GIVEN_M);
    } while (strcmp(mid, given) == 0);
    snprintf(st->full_name, sizeof st->full_name, "%s %s %s", family, mid, given);
    *family_out = family;
}

int demo_days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

time_t demo_utc_time(int y, int mo, int dd, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = dd;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
    return timegm(&tm);
}

static const demo_province_t *province_by_code(const char *cccd3)
{
    for (size_t i = 0; i < DEMO_COUNT(DEMO_PROVINCES); i++)
        if (strcmp(DEMO_PROVINCES[i].cccd3, cccd3) == 0)
            return &DEMO_PROVINCES[i];
    return &DEMO_PROVINCES[0];
}

/* Score of a periodic test for a pupil of ability tier t. */
static int draw_score(rng_t *r, int tier)
{
    /* clang-format off */
    static const int w[DEMO_TIERS][11] = {
        /* 0  1  2  3  4   5   6   7   8   9  10 */
        {0, 0, 0, 0, 0,  0,  0,  0,  5, 45, 50},
        {0, 0, 0, 0, 0,  0,  0,  5, 40, 40, 15},
        {0, 0, 0, 0, 0,  0,  0, 15, 35, 35, 15},
        {0, 0, 0, 0, 0, 10, 25, 35, 25,  5,  0},
        {0, 0, 0, 5, 15, 30, 30, 20, 0,  0,  0},
    };
    /* clang-format on */
    unsigned x = demo_rng_below(r, 100);
    for (int s = 0; s <= 10; s++) {
        if (x < (unsigned)w[tier][s])
            return s;
        x -= (unsigned)w[tier][s];
    }
    return 7;
}

/* Level T/Đ/C of a quality or competency for tier t. */
static unsigned char draw_qc(rng_t *r, int tier)
{
    static const int pt[DEMO_TIERS] = {99, 98, 85, 50, 20}, pc[DEMO_TIERS] = {0, 0, 0, 0, 15};
    unsigned x = demo_rng_below(r, 100);
    if (x < (unsigned)pt[tier])
        return 0;
    return x < (unsigned)(pt[tier] + pc[tier]) ? 2 : 1;
}

/** Levels, result and award from the drawn values, by the rules of Circular
 * 27/2020: a score of 9–10 is mostly T, 8 often T, 5–8 otherwise H, under 5
 * C; HTXS when every subject is T, every test 9+ and every quality and
 * competency T; HTT the same with tests 7+; HT when nothing is C and every test
 * is 5+; else CHT. */
static void evaluate(const student_t *st, eval_t *ev)
{
    static const int untested_t[DEMO_TIERS] = {99, 96, 75, 30, 5}, untested_c[DEMO_TIERS] = {0, 0, 0, 0, 10};
    int tier = st->tier;
    int all_t = 1, any_c = 0, min_score = 10;
    for (int i = 0; i < st->nsubj; i++) {
        int u = st->u_level[i], s = st->score[i], lv;
        if (s >= 0) {
            if (s < min_score)
                min_score = s;
            if (s >= 9)
                lv = u < 95 ? 0 : 1;
            else if (s == 8)
                lv = u < 60 ? 0 : 1;
            else if (s >= 5)
                lv = 1;
            else
                lv = 2;
        } else {
            lv = u < untested_t[tier] ? 0 : u < untested_t[tier] + untested_c[tier] ? 2 : 1;
        }
        ev->level[i] = lv;
        all_t &= lv == 0;
        any_c |= lv == 2;
    }
    int qc_all_t = 1, qc_any_c = 0;
    for (int i = 0; i < 5; i++)
        qc_all_t &= st->qual[i] == 0, qc_any_c |= st->qual[i] == 2;
    for (int i = 0; i < 10; i++)
        qc_all_t &= st->comp[i] == 0, qc_any_c |= st->comp[i] == 2;

    if (all_t && qc_all_t && min_score >= 9)
        ev->result = 0;
    else if (all_t && qc_all_t && min_score >= 7)
        ev->result = 1;
    else if (!any_c && !qc_any_c && min_score >= 5)
        ev->result = 2;
    else
        ev->result = 3;

    unsigned ua = st->u_award % 100;
    ev->award = NULL;
    if (ev->result == 0)
        ev->award = DEMO_AWARD_EXCELLENT;
    else if ((ev->result == 1 && ua < 40) || (ev->result == 2 && ua < 3))
        ev->award = DEMO_AWARD_EXEMPLARY;
}

/* Everything about a pupil that is drawn at random, once school, grade, class
 * and teacher are set. */
void demo_draw_student(student_t *st, const demo_school_t *sd, rng_t *r)
{
    st->female = (int)demo_rng_below(r, 2);

    st->ethnicity = "Kinh";
    unsigned x = demo_rng_below(r, 1000);
    for (int m = 0; m < 3 && sd->minorities[m].name; m++) {
        if (x < (unsigned)sd->minorities[m].permille) {
            st->ethnicity = sd->minorities[m].name;
            break;
        }
        x -= (unsigned)sd->minorities[m].permille;
    }
    const char *family;
    child_name(r, st, &family);

    st->by = 2019 - st->grade - (demo_rng_below(r, 100) < 3);
    if (st->gdtx) /* continuing education: learners are often older */
        st->by -= (int)demo_rng_below(r, 4);
    st->bm = 1 + (int)demo_rng_below(r, 12);
    st->bd = 1 + (int)demo_rng_below(r, (unsigned)demo_days_in_month(st->by, st->bm));
    const demo_province_t *pob =
        demo_rng_below(r, 100) < 85 ? province_by_code(sd->cccd3) : &PICK(r, DEMO_PROVINCES);
    st->birthplace = pob->name;
    if (demo_rng_below(r, 100) < 90)
        snprintf(st->citizen_id, sizeof st->citizen_id, "%s%c%02d%06u", pob->cccd3, st->female ? '3' : '2',
                 st->by % 100, demo_rng_below(r, 1000000));
    if (demo_rng_below(r, 100) < 90) {
        const char *street = sd->streets[demo_rng_below(r, 3)];
        unsigned house = 1 + demo_rng_below(r, 180);
        if (demo_rng_below(r, 100) < 40)
            snprintf(st->address, sizeof st->address, "Số %u %s %u %s, %s, %s, %s", house, sd->alley,
                     2 + demo_rng_below(r, 150), street, sd->ward, sd->district, sd->province);
        else
            snprintf(st->address, sizeof st->address, "Số %u %s, %s, %s, %s", house, street, sd->ward,
                     sd->district, sd->province);
    }
    if (demo_rng_below(r, 100) < 90) {
        int father = demo_rng_below(r, 100) < 60;
        if (strcmp(st->ethnicity, "Ê Đê") == 0)
            snprintf(st->guardian, sizeof st->guardian, "%s%s %s", father ? "Y " : "H'",
                     father ? PICK(r, DEMO_EDE_GIVEN_M) : PICK(r, DEMO_EDE_GIVEN_F), PICK(r, DEMO_EDE_CLAN));
        else
            demo_adult_name(r, !father, father ? family : NULL, st->guardian, sizeof st->guardian);
    }

    unsigned t = demo_rng_below(r, 1000);
    int tier = t < 300 ? 0 : t < 550 ? 1 : t < 850 ? 2 : t < 980 ? 3 : 4;
    if (st->level != DEMO_TIEUHOC) {
        st->tier = tier;
        st->u_award = demo_rng_below(r, 100);
        st->u_remark = demo_rng_below(r, 3);
        demo_draw_secondary(st, r, st->seq - 1);
        return;
    }
    st->nsubj = 0;
    for (size_t j = 0; j < DEMO_COUNT(DEMO_SUBJECTS); j++) {
        const demo_subject_t *sub = &DEMO_SUBJECTS[j];
        if (st->grade < sub->first_grade || st->grade > sub->last_grade)
            continue;
        st->subj[st->nsubj] = (unsigned char)j;
        st->score[st->nsubj] = (signed char)(sub->tested ? draw_score(r, tier) : -1);
        st->u_level[st->nsubj] = (unsigned char)demo_rng_below(r, 100);
        st->nsubj++;
    }
    for (int q = 0; q < 5; q++)
        st->qual[q] = draw_qc(r, tier);
    for (int c = 0; c < 10; c++)
        st->comp[c] = draw_qc(r, tier);
    unsigned a = demo_rng_below(r, 100);
    st->days_absent = a < 55 ? 0 : a < 80 ? 1 + (int)demo_rng_below(r, 2) : 2 + (int)demo_rng_below(r, 7);
    st->tier = tier;
    st->u_award = demo_rng_below(r, 100);
    st->u_remark = demo_rng_below(r, 3);
}

/* ---- payloads ------------------------------------------------------------------------------- */

void demo_put(json_t *o, const char *k, json_t *v, int *bad)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *bad = 1;
}

void demo_push(json_t *a, json_t *v, int *bad)
{
    if (!v || json_array_append_new(a, v) != 0)
        *bad = 1;
}

json_t *demo_signer_json(const ident_t *id, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    demo_put(o, "role", json_string(demo_role_of(id->kind)), bad);
    demo_put(o, "name", json_string(id->name), bad);
    demo_put(o, "certificate_sha256", json_string(id->hex), bad);
    return o;
}

static json_t *level_entry(const char *name, const char *level, const char *comment, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    demo_put(o, "name", json_string(name), bad);
    demo_put(o, "level", json_string(level), bad);
    if (comment)
        demo_put(o, "comment", json_string(comment), bad);
    return o;
}

/* Serialise, add the final newline, and keep the bytes and their code in job. */
int demo_finish_json(demo_t *d, json_t *root, int bad, job_t *job)
{
    /* 15 digits write a one-decimal average as 7.8, not as jansson's default
     * 17 digits (7.7999999999999998), which the publisher refuses (§3b) */
    char *s = bad ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (!s) {
        demo_set_error(d, "cannot build the payload of %s", job->stem);
        return -1;
    }
    size_t n = strlen(s);
    job->json = malloc(n + 1);
    if (!job->json) {
        free(s);
        demo_set_error(d, "out of memory");
        return -1;
    }
    memcpy(job->json, s, n);
    job->json[n] = '\n';
    job->len = n + 1;
    free(s);
    code_from_payload(job->json, job->len, job->code);
    job->code[CODE_LEN] = '\0';
    return 0;
}

void demo_envelope(demo_t *d, const student_t *st, json_t *root, const char *schema, const char *doc_id,
                   const char *issued_on, int *bad)
{
    const school_t *sc = &d->schools[st->school];
    char buf[16];
    json_t *school = json_object(), *pupil = json_object();
    demo_put(root, "schema", json_string(schema), bad);
    demo_put(root, "document_id", json_string(doc_id), bad);
    demo_put(root, "issued_on", json_string(issued_on), bad);
    demo_put(root, "school_year", json_string("2024-2025"), bad);

    if (!school || !pupil) {
        json_decref(school), json_decref(pupil);
        *bad = 1;
        return;
    }
    demo_put(school, "code", json_string(sc->code), bad);
    demo_put(school, "name", json_string(sc->def->name), bad);
    demo_put(school, "province", json_string(sc->def->province), bad);
    demo_put(school, "district", json_string(sc->def->district), bad);
    demo_put(school, "ward", json_string(sc->def->ward), bad);
    demo_put(root, "school", school, bad);

    demo_put(pupil, "id", json_string(st->id), bad);
    demo_put(pupil, "full_name", json_string(st->full_name), bad);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", st->by, st->bm, st->bd);
    demo_put(pupil, "date_of_birth", json_string(buf), bad);
    demo_put(pupil, "gender", json_string(st->female ? "Nữ" : "Nam"), bad);
    demo_put(pupil, "ethnicity", json_string(st->ethnicity), bad);
    demo_put(pupil, "place_of_birth", json_string(st->birthplace), bad);
    if (st->citizen_id[0])
        demo_put(pupil, "citizen_id", json_string(st->citizen_id), bad);
    if (st->address[0])
        demo_put(pupil, "address", json_string(st->address), bad);
    if (st->guardian[0])
        demo_put(pupil, "guardian_name", json_string(st->guardian), bad);
    demo_put(root, "student", pupil, bad);
}

void demo_sign_off(demo_t *d, const student_t *st, json_t *root, const char *supersedes, int *bad)
{
    const school_t *sc = &d->schools[st->school];
    json_t *signers = json_array();
    if (!signers) {
        *bad = 1;
        return;
    }
    demo_push(signers, demo_signer_json(&d->ids[st->teacher], bad), bad);
    demo_push(signers, demo_signer_json(&d->ids[sc->principal], bad), bad);
    demo_push(signers, demo_signer_json(&d->ids[sc->seal], bad), bad);
    demo_put(root, "signers", signers, bad);
    if (supersedes)
        demo_put(root, "supersedes", json_string(supersedes), bad);
}

int demo_transcript_payload(demo_t *d, const student_t *st, job_t *job, const char *doc_id,
                            const char *issued_on, const char *supersedes)
{
    static const char *const SUBJ_LEVEL[3] = {"T", "H", "C"};
    static const char *const QC_LEVEL[3] = {"T", "Đ", "C"};
    static const char *const RESULT[4] = {"HTXS", "HTT", "HT", "CHT"};
    if (st->level != DEMO_TIEUHOC)
        return demo_trunghoc_payload(d, st, job, doc_id, issued_on, supersedes);
    eval_t ev;
    evaluate(st, &ev);
    int bad = 0;
    char buf[512];
    json_t *root = json_object();
    json_t *subjects = json_array(), *qualities = json_array(), *competencies = json_array();
    if (!root || !subjects || !qualities || !competencies) {
        json_decref(root), json_decref(subjects), json_decref(qualities), json_decref(competencies);
        demo_set_error(d, "out of memory");
        return -1;
    }
    demo_envelope(d, st, root, "hocba.tieuhoc.v1", doc_id, issued_on, &bad);

    demo_put(root, "grade", json_integer(st->grade), &bad);
    demo_put(root, "class", json_string(st->klass), &bad);
    for (int i = 0; i < st->nsubj; i++) {
        const demo_subject_t *sub = &DEMO_SUBJECTS[st->subj[i]];
        json_t *o = json_object();
        if (!o) {
            bad = 1;
            break;
        }
        demo_put(o, "name", json_string(sub->name), &bad);
        demo_put(o, "level", json_string(SUBJ_LEVEL[ev.level[i]]), &bad);
        if (st->score[i] >= 0)
            demo_put(o, "score", json_integer(st->score[i]), &bad);
        demo_put(o, "comment", json_string(sub->note[ev.level[i]]), &bad);
        demo_push(subjects, o, &bad);
    }
    demo_put(root, "subjects", subjects, &bad);
    for (int i = 0; i < 5; i++)
        demo_push(qualities, level_entry(DEMO_QUALITIES[i], QC_LEVEL[st->qual[i]], NULL, &bad), &bad);
    demo_put(root, "qualities", qualities, &bad);
    for (int i = 0; i < 10; i++)
        demo_push(competencies, level_entry(DEMO_COMPETENCIES[i], QC_LEVEL[st->comp[i]], NULL, &bad), &bad);
    demo_put(root, "competencies", competencies, &bad);

    demo_put(root, "result", json_string(RESULT[ev.result]), &bad);
    demo_put(root, "program_completed", json_boolean(ev.result != 3), &bad);
    if (ev.award) {
        json_t *awards = json_array();
        demo_push(awards, json_string(ev.award), &bad);
        demo_put(root, "awards", awards, &bad);
    }
    char done[128];
    if (ev.result == 3)
        snprintf(done, sizeof done,
                 "Chưa hoàn thành chương trình lớp %d; tiếp tục rèn luyện trong hè để đánh giá lại.",
                 st->grade);
    else if (st->grade == 5)
        snprintf(done, sizeof done, "Hoàn thành chương trình tiểu học.");
    else
        snprintf(done, sizeof done, "Hoàn thành chương trình lớp %d.", st->grade);
    snprintf(buf, sizeof buf, "%s %s", DEMO_REMARKS[ev.result][st->u_remark % 3], done);
    demo_put(root, "remarks", json_string(buf), &bad);
    demo_put(root, "days_absent", json_integer(st->days_absent), &bad);

    demo_sign_off(d, st, root, supersedes, &bad);
    return demo_finish_json(d, root, bad, job);
}

int demo_recall_payload(demo_t *d, const recall_t *rc, const char *old_code, const char *date, job_t *job)
{
    const school_t *sc = &d->schools[d->students[rc->student].school];
    int bad = 0;
    json_t *root = json_object(), *signers = json_array();
    if (!root || !signers) {
        json_decref(root), json_decref(signers);
        demo_set_error(d, "out of memory");
        return -1;
    }
    demo_put(root, "schema", json_string("hocba.recall.v1"), &bad);
    demo_put(root, "code", json_string(old_code), &bad);
    demo_put(root, "school_code", json_string(sc->code), &bad);
    demo_put(root, "recalled_on", json_string(date), &bad);
    demo_put(root, "reason", json_string(demo_recall_reason(&d->students[rc->student], rc->fix)), &bad);
    demo_push(signers, demo_signer_json(&d->ids[sc->principal], &bad), &bad);
    demo_push(signers, demo_signer_json(&d->ids[sc->seal], &bad), &bad);
    demo_put(root, "signers", signers, &bad);
    return demo_finish_json(d, root, bad, job);
}

const char *demo_recall_reason(const student_t *st, int fix)
{
    return st->level == DEMO_TIEUHOC ? DEMO_RECALL_REASONS[fix] : DEMO_SEC_RECALL_REASONS[fix];
}

/* The corrected record: the first transcript held one wrong value. */
void demo_apply_fix(student_t *st, int fix)
{
    if (st->level != DEMO_TIEUHOC) {
        demo_apply_secondary_fix(st, fix);
    } else if (fix == DEMO_FIX_MATH || fix == DEMO_FIX_VIET) {
        /* Tiếng Việt and Toán are the first two subjects of every grade. */
        int i = fix == DEMO_FIX_VIET ? 0 : 1;
        st->score[i] = (signed char)(st->score[i] < 10 ? st->score[i] + 1 : st->score[i] - 1);
    } else if (fix == DEMO_FIX_DOB) {
        st->bd = st->bd < demo_days_in_month(st->by, st->bm) ? st->bd + 1 : st->bd - 1;
    }
}
