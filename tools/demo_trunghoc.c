/* demo_trunghoc.c — hocba-demo's lower and upper secondary transcripts
 * (hocba.trunghoc.v1, package-format.md §3b; Circular 22/2021, 43/2021 for
 * continuing education): the subjects of each level, the electives of THPT,
 * semester averages with one decimal and the year's average derived from
 * them, the learning and conduct results derived by the circular's rules,
 * the summer re-assessment, the year's decision, awards and remarks
 * (tools/demo.h).
 *
 * Averages are kept in tenths (75 is 7.5) and written as JSON numbers with
 * one decimal, as the schools' software writes them: 8 as 8.0 or 8 by the
 * pupil's stream, so that both forms are in the demo. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 0, K = 1, D = 2, CD = 3 }; /* learning and conduct levels: Tốt, Khá, Đạt, Chưa đạt */
static const char *const LEVELS[4] = {"T", "K", "Đ", "CĐ"};

/** What the circular's rules derive from a secondary pupil's draws. */
typedef struct {
    int year[DEMO_MAX_SUBJECTS]; /* the year's average in tenths, or 1 Đạt / 0 Chưa đạt */
    int learning[3];             /* first semester, second semester, year */
    int re_learning;             /* after the re-assessment, or -1 */
    const char *decision;        /* LEN_LOP, HOAN_THANH or O_LAI */
    const char *award;           /* NULL or one of the DEMO_AWARD_SEC_* */
} sec_eval_t;

static const demo_sec_subject_t *subject_of(const student_t *st, int i)
{
    return &DEMO_SEC_SUBJECTS[st->subj[i]];
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A semester average in tenths for a pupil of ability tier, around the
 * subject's own level for the pupil (base). */
static int draw_average(rng_t *r, int base)
{
    return clamp(base - 8 + (int)demo_rng_below(r, 17), 0, 100);
}

/* Index of the subject named name in DEMO_SEC_SUBJECTS that a transcript of
 * these kinds (DEMO_IN_*) lists, or -1. */
static int subject_index(const char *name, int in)
{
    for (size_t j = 0; j < DEMO_COUNT(DEMO_SEC_SUBJECTS); j++)
        if ((DEMO_SEC_SUBJECTS[j].in & in) && strcmp(DEMO_SEC_SUBJECTS[j].name, name) == 0)
            return (int)j;
    return -1;
}

/* The subjects of the pupil's transcript, in the form's order: those its
 * level (or GDTX) teaches to all, and for THPT its four electives. */
static void choose_subjects(student_t *st, rng_t *r)
{
    int in = st->gdtx ? DEMO_IN_GDTX : st->level == DEMO_THCS ? DEMO_IN_THCS : DEMO_IN_THPT;
    int chosen[4] = {-1, -1, -1, -1};
    if (st->level == DEMO_THPT) {
        /* a GDTX centre offers the combinations without the arts */
        unsigned nsets = st->gdtx ? 3 : (unsigned)DEMO_COUNT(DEMO_ELECTIVE_SETS);
        const char *const *set = DEMO_ELECTIVE_SETS[demo_rng_below(r, nsets)];
        for (int e = 0; e < 4; e++)
            chosen[e] = subject_index(set[e], in);
    }
    st->nsubj = 0;
    for (size_t j = 0; j < DEMO_COUNT(DEMO_SEC_SUBJECTS) && st->nsubj < DEMO_MAX_SUBJECTS; j++) {
        const demo_sec_subject_t *s = &DEMO_SEC_SUBJECTS[j];
        int take = (s->in & in) && !(s->in & DEMO_ELECTIVE);
        for (int e = 0; e < 4; e++)
            take |= chosen[e] == (int)j;
        if (take)
            st->subj[st->nsubj++] = (unsigned char)j;
    }
}

void demo_draw_secondary(student_t *st, rng_t *r, int k)
{
    static const int mean[DEMO_TIERS] = {88, 80, 72, 64, 57}; /* tenths */
    choose_subjects(st, r);
    /* the few fates a year holds, by place so that a class of eight has each */
    st->fate = k % 13 == 3 ? DEMO_FATE_RETAKE : k % 29 == 5 ? DEMO_FATE_REPEAT : DEMO_FATE_PASS;
    if (st->fate != DEMO_FATE_PASS && st->tier < 3)
        st->tier = 3; /* a pupil who fails a subject is among the weaker ones */
    st->exempt = 0;
    int weak[2] = {-1, -1}, nweak = 0;
    for (int i = 0; i < st->nsubj; i++) {
        st->retake[i] = -1;
        if (subject_of(st, i)->by_comment) {
            st->hk1[i] = st->hk2[i] = 1; /* Đạt */
            if (strcmp(subject_of(st, i)->name, "Giáo dục thể chất") == 0 && k % 17 == 7)
                st->exempt = i + 1;
            continue;
        }
        int base = mean[st->tier] - 12 + (int)demo_rng_below(r, 25);
        st->hk1[i] = (short)draw_average(r, base);
        st->hk2[i] = (short)clamp(st->hk1[i] - 5 + (int)demo_rng_below(r, 14), 0, 100);
        if (st->fate == DEMO_FATE_PASS || i < 2 || nweak == (st->fate == DEMO_FATE_REPEAT ? 2 : 1)) {
            /* a pupil who passes has no average under 5.0 */
            st->hk1[i] = (short)clamp(st->hk1[i], 50, 100);
            st->hk2[i] = (short)clamp(st->hk2[i], 50, 100);
        } else {
            /* under 3.5 for the year: learning Chưa đạt, the subject re-assessed in summer */
            st->hk1[i] = (short)(28 + demo_rng_below(r, 8));
            st->hk2[i] = (short)(25 + demo_rng_below(r, 9));
            weak[nweak++] = i;
        }
    }
    for (int w = 0; w < nweak; w++)
        st->retake[weak[w]] =
            (short)(st->fate == DEMO_FATE_RETAKE ? 50 + demo_rng_below(r, 21) : 20 + demo_rng_below(r, 14));
    int c = (int)demo_rng_below(r, 100);
    st->conduct[1] = c < 75 - 10 * st->tier ? T : c < 95 - 5 * st->tier ? K : D;
    st->conduct[0] = st->conduct[1] == T && demo_rng_below(r, 100) < 20 ? K : st->conduct[1];
    if (st->gdtx && demo_rng_below(r, 100) < 50)
        st->conduct[0] = st->conduct[1] = -1; /* an adult learner: no conduct (§3b: optional for GDTX) */
    unsigned a = demo_rng_below(r, 100);
    st->days_absent = a < 45 ? 0 : a < 80 ? 1 + (int)demo_rng_below(r, 4) : 4 + (int)demo_rng_below(r, 9);
    if (st->fate == DEMO_FATE_REPEAT)
        st->days_absent += 15;
}

/* Circular 22/2021, article 9: the learning result of a period from its
 * subjects' averages (tenths) or levels (1 Đạt, 0 Chưa đạt); exempt
 * subjects do not count. Tốt: all by comment Đạt, every average 6.5 or
 * more and six 8.0 or more; Khá: all Đạt, every average 5.0 or more and six
 * 6.5 or more; Đạt: at most one Chưa đạt, six averages 5.0 or more and none
 * under 3.5; else Chưa đạt. */
static int learning_of(const student_t *st, const int *v)
{
    int n8 = 0, n65 = 0, n5 = 0, low = 100, cd = 0;
    for (int i = 0; i < st->nsubj; i++) {
        if (st->exempt == i + 1)
            continue;
        if (subject_of(st, i)->by_comment) {
            cd += v[i] == 0;
            continue;
        }
        n8 += v[i] >= 80, n65 += v[i] >= 65, n5 += v[i] >= 50;
        low = v[i] < low ? v[i] : low;
    }
    if (cd == 0 && low >= 65 && n8 >= 6)
        return T;
    if (cd == 0 && low >= 50 && n65 >= 6)
        return K;
    return cd <= 1 && n5 >= 6 && low >= 35 ? D : CD;
}

static void evaluate(const student_t *st, sec_eval_t *ev)
{
    int h1[DEMO_MAX_SUBJECTS], h2[DEMO_MAX_SUBJECTS], after[DEMO_MAX_SUBJECTS];
    int n9 = 0;
    for (int i = 0; i < st->nsubj; i++) {
        h1[i] = st->hk1[i], h2[i] = st->hk2[i];
        /* ĐTBmcn = (HK I + 2 × HK II) / 3, rounded to one decimal */
        ev->year[i] = subject_of(st, i)->by_comment ? st->hk2[i] : (st->hk1[i] + 2 * st->hk2[i] + 1) / 3;
        after[i] = st->retake[i] >= 0 ? st->retake[i] : ev->year[i];
        n9 += !subject_of(st, i)->by_comment && ev->year[i] >= 90;
    }
    ev->learning[0] = learning_of(st, h1);
    ev->learning[1] = learning_of(st, h2);
    ev->learning[2] = learning_of(st, ev->year);
    ev->re_learning = ev->learning[2] == CD ? learning_of(st, after) : -1;
    int passed = (ev->re_learning >= 0 ? ev->re_learning : ev->learning[2]) != CD;
    int last = st->grade == 9 || st->grade == 12;
    ev->decision = !passed ? "O_LAI" : last ? "HOAN_THANH" : "LEN_LOP";
    /* article 15: Học sinh Xuất sắc has Tốt in both and six averages of 9.0 or more */
    ev->award = NULL;
    if (ev->learning[2] == T && (st->conduct[1] == T || st->conduct[1] < 0))
        ev->award = n9 >= 6 ? DEMO_AWARD_SEC_EXCELLENT : DEMO_AWARD_SEC_GOOD;
}

/* A value of a subject as the school's software writes it: an average with
 * one decimal (a whole one as 8 or 8.0, by the pupil's stream), or Đ / CĐ. */
static json_t *value_json(const student_t *st, int i, int v)
{
    if (subject_of(st, i)->by_comment)
        return json_string(v ? "Đ" : "CĐ");
    if (v % 10 == 0 && (st->u_award + (unsigned)i) % 3 == 0)
        return json_integer(v / 10);
    return json_real(v / 10.0);
}

static json_t *levels_json(const int *v, int re, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    demo_put(o, "hk1", json_string(LEVELS[v[0]]), bad);
    demo_put(o, "hk2", json_string(LEVELS[v[1]]), bad);
    demo_put(o, "year", json_string(LEVELS[v[2]]), bad);
    if (re >= 0)
        demo_put(o, "re_evaluated", json_string(LEVELS[re]), bad);
    return o;
}

static json_t *subjects_json(const student_t *st, const sec_eval_t *ev, int *bad)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < st->nsubj; i++) {
        const demo_sec_subject_t *s = subject_of(st, i);
        json_t *o = json_object();
        if (!o) {
            *bad = 1;
            break;
        }
        demo_put(o, "name", json_string(s->name), bad);
        demo_put(o, "assessment", json_string(s->by_comment ? "comment" : "score"), bad);
        if (s->in & DEMO_ELECTIVE)
            demo_put(o, "elective", json_true(), bad);
        if (st->exempt == i + 1) {
            demo_put(o, "exempt", json_true(), bad);
            demo_put(o, "comment", json_string(DEMO_SEC_EXEMPT_REASON), bad);
        } else {
            demo_put(o, "hk1", value_json(st, i, st->hk1[i]), bad);
            demo_put(o, "hk2", value_json(st, i, st->hk2[i]), bad);
            demo_put(o, "year", value_json(st, i, ev->year[i]), bad);
            if (st->retake[i] >= 0)
                demo_put(o, "retake", value_json(st, i, st->retake[i]), bad);
        }
        demo_push(a, o, bad);
    }
    if (!a)
        *bad = 1;
    return a;
}

/* The remarks end with what the year came to, in the school's words. */
static void remarks(const student_t *st, const sec_eval_t *ev, char *out, size_t n)
{
    const char *outcome;
    if (strcmp(ev->decision, "O_LAI") == 0)
        outcome = "Kết quả kiểm tra lại chưa đạt yêu cầu: ở lại lớp.";
    else if (strcmp(ev->decision, "HOAN_THANH") == 0)
        outcome = st->grade == 9 ? "Đã hoàn thành chương trình trung học cơ sở."
                                 : "Đã hoàn thành chương trình trung học phổ thông.";
    else if (ev->re_learning >= 0)
        outcome = "Được lên lớp sau khi kiểm tra lại.";
    else
        outcome = "Được lên lớp.";
    int result = ev->re_learning >= 0 ? CD : ev->learning[2];
    snprintf(out, n, "%s %s", DEMO_SEC_REMARKS[result][st->u_remark % 3], outcome);
}

int demo_trunghoc_payload(demo_t *d, const student_t *st, job_t *job, const char *doc_id,
                          const char *issued_on, const char *supersedes)
{
    sec_eval_t ev;
    char buf[512];
    int bad = 0;
    evaluate(st, &ev);
    json_t *root = json_object();
    if (!root) {
        demo_set_error(d, "out of memory");
        return -1;
    }
    demo_envelope(d, st, root, "hocba.trunghoc.v1", doc_id, issued_on, &bad);
    demo_put(root, "level", json_string(st->level == DEMO_THCS ? "THCS" : "THPT"), &bad);
    demo_put(root, "program", json_string(st->gdtx ? "GDTX" : "GDPT"), &bad);
    demo_put(root, "grade", json_integer(st->grade), &bad);
    demo_put(root, "class", json_string(st->klass), &bad);
    demo_put(root, "subjects", subjects_json(st, &ev, &bad), &bad);
    demo_put(root, "learning", levels_json(ev.learning, ev.re_learning, &bad), &bad);
    if (st->conduct[1] >= 0) {
        int conduct[3] = {st->conduct[0], st->conduct[1],
                          st->conduct[1]}; /* decided by the second semester */
        demo_put(root, "conduct", levels_json(conduct, -1, &bad), &bad);
    }
    demo_put(root, "decision", json_string(ev.decision), &bad);
    demo_put(root, "sessions_absent", json_integer(st->days_absent), &bad);
    if (ev.award) {
        json_t *awards = json_array();
        demo_push(awards, json_string(ev.award), &bad);
        demo_put(root, "awards", awards, &bad);
    }
    remarks(st, &ev, buf, sizeof buf);
    demo_put(root, "remarks", json_string(buf), &bad);
    demo_sign_off(d, st, root, supersedes, &bad);
    return demo_finish_json(d, root, bad, job);
}

void demo_describe_secondary(const student_t *st, char *out, size_t n)
{
    sec_eval_t ev;
    char electives[160] = "";
    evaluate(st, &ev);
    for (int i = 0, k = 0; i < st->nsubj; i++)
        if (subject_of(st, i)->in & DEMO_ELECTIVE) {
            size_t l = strlen(electives);
            snprintf(electives + l, sizeof electives - l, "%s%s", k++ ? ", " : ", electives ",
                     subject_of(st, i)->name);
        }
    snprintf(out, n, "%s grade %d%s, %s%s%s%s%s", st->level == DEMO_THCS ? "THCS" : "THPT", st->grade,
             st->gdtx ? " GDTX" : "", ev.decision,
             strcmp(ev.decision, "HOAN_THANH") == 0 && st->grade == 9 ? " (completed lower secondary)" : "",
             ev.re_learning >= 0 ? " after a retake" : "", st->exempt ? ", an exempt subject" : "",
             electives);
}

void demo_apply_secondary_fix(student_t *st, int fix)
{
    if (fix == DEMO_FIX_MATH || fix == DEMO_FIX_VIET) {
        /* Ngữ văn and Toán are the first two subjects of every form, never weak (demo_draw_secondary) */
        int i = fix == DEMO_FIX_VIET ? 0 : 1;
        st->hk2[i] = (short)(st->hk2[i] <= 95 ? st->hk2[i] + 5 : st->hk2[i] - 5);
    } else if (fix == DEMO_FIX_DOB) {
        st->bd = st->bd < demo_days_in_month(st->by, st->bm) ? st->bd + 1 : st->bd - 1;
    }
}
