/* demo_plan.c — hocba-demo's plan: the schools of a run (primary, and from
 * 10 pupils on lower and upper secondary and continuing education), their
 * identities (seal, principal, a homeroom teacher per grade, the revoked
 * teachers), the pupils school by school with what is drawn for each, and
 * the recalls (tools/demo.h). */
#include "demo.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ident_t *new_ident(demo_t *d, int kind, int school, const char *label, const char *name)
{
    ident_t *id = &d->ids[d->nids];
    memset(id, 0, sizeof *id);
    id->kind = kind, id->school = school, id->reason = CRL_REASON_NONE;
    snprintf(id->label, sizeof id->label, "%s", label);
    snprintf(id->name, sizeof id->name, "%s", name);
    /* Positive, 63 bits, distinct per identity. */
    rng_t r = demo_rng_for(d->seed, 0x5e41, d->nids);
    id->serial = (demo_rng_next(&r) & 0x3FFFFFFFFFFF0000ULL) | 0x4000000000000000ULL | d->nids;
    d->nids++;
    return id;
}

/* The mix of levels: of n pupils, 22 % lower secondary, 12 % upper secondary
 * and 6 % continuing education (THPT level) once n is 10 or more, near the
 * sector's 6.5, 3 and about 1 million of 19 million pupils; the rest,
 * and every pupil of a smaller run, primary. */
enum { MIX_THCS, MIX_THPT, MIX_GDTX, NMIX };

static int mix_of(const demo_school_t *def)
{
    return def->gdtx ? MIX_GDTX : def->level == DEMO_THCS ? MIX_THCS : MIX_THPT;
}

/* A school's seal, principal and one homeroom teacher for each of its grades. */
static void school_identities(demo_t *d, size_t s)
{
    school_t *sc = &d->schools[s];
    rng_t r = demo_rng_for(d->seed, 0x5c02, s);
    char label[48], name[160];
    sc->issue_day = 21 + (int)demo_rng_below(&r, 10);
    snprintf(label, sizeof label, "%s-seal", sc->code);
    sc->seal = (int)(new_ident(d, ID_SEAL, (int)s, label, sc->def->name) - d->ids);
    demo_adult_name(&r, (int)demo_rng_below(&r, 2), NULL, name, sizeof name);
    snprintf(label, sizeof label, "%s-principal", sc->code);
    sc->principal = (int)(new_ident(d, ID_PRINCIPAL, (int)s, label, name) - d->ids);
    for (int g = sc->first_grade; g < sc->first_grade + sc->ngrades; g++) {
        demo_adult_name(&r, demo_rng_below(&r, 100) < 85, NULL, name, sizeof name);
        snprintf(label, sizeof label, "%s-teacher-%dA", sc->code, g);
        ident_t *t = new_ident(d, ID_TEACHER, (int)s, label, name);
        demo_text_fmt(t->klass, sizeof t->klass, "%dA", g);
        sc->teacher[g - sc->first_grade] = (int)(t - d->ids);
    }
}

/* The secondary schools of the run and their pupils: one school of a kind,
 * two when it would hold more than DEMO_STUDENTS_PER_SCHOOL; count[] pupils
 * of each kind shared among its schools. Returns how many schools. */
static size_t plan_secondary(demo_t *d, size_t first, const long count[NMIX])
{
    size_t k = first;
    int used[NMIX] = {0}, want[NMIX], have[NMIX] = {0};
    for (size_t i = 0; i < DEMO_COUNT(DEMO_SECONDARY_SCHOOLS); i++)
        have[mix_of(&DEMO_SECONDARY_SCHOOLS[i])]++;
    for (int m = 0; m < NMIX; m++) {
        want[m] = count[m] == 0 ? 0 : count[m] > DEMO_STUDENTS_PER_SCHOOL ? 2 : 1;
        want[m] = want[m] > have[m] ? have[m] : want[m];
    }
    for (size_t i = 0; i < DEMO_COUNT(DEMO_SECONDARY_SCHOOLS); i++) {
        const demo_school_t *def = &DEMO_SECONDARY_SCHOOLS[i];
        int m = mix_of(def);
        if (used[m] == want[m])
            continue;
        school_t *sc = &d->schools[k];
        sc->def = def;
        sc->first_grade = def->level == DEMO_THCS ? 6 : 10;
        sc->ngrades = def->level == DEMO_THCS ? 4 : 3;
        /* the level's digit (2 THCS, 3 THPT, 4 GDTX) where a primary school has 1 */
        snprintf(sc->code, sizeof sc->code, "%s%d%02u", def->code5, 2 + m, (unsigned)(k + 1));
        sc->nstudents = (int)(count[m] / want[m] + (used[m] < count[m] % want[m]));
        used[m]++;
        k++;
    }
    return k - first;
}

/* Schools, their sizes and their identities: seal, principal, one homeroom
 * teacher per grade; plus the two CAs and the two revoked teachers. */
static int plan_schools(demo_t *d)
{
    long n = d->nstudents, count[NMIX] = {0};
    if (n >= 10)
        count[MIX_THCS] = n * 22 / 100, count[MIX_THPT] = n * 12 / 100, count[MIX_GDTX] = n * 6 / 100;
    long np = n - count[MIX_THCS] - count[MIX_THPT] - count[MIX_GDTX];
    d->nprimary = (size_t)(np / DEMO_STUDENTS_PER_SCHOOL);
    if (d->nprimary < DEMO_MIN_SCHOOLS)
        d->nprimary = DEMO_MIN_SCHOOLS;
    if (d->nprimary > DEMO_COUNT(DEMO_SCHOOLS))
        d->nprimary = DEMO_COUNT(DEMO_SCHOOLS);
    size_t most = d->nprimary + DEMO_COUNT(DEMO_SECONDARY_SCHOOLS);
    d->schools = calloc(most, sizeof *d->schools);
    d->ids = calloc(2 + most * 7 + 1, sizeof *d->ids);
    d->students = calloc((size_t)n, sizeof *d->students);
    if (!d->schools || !d->ids || !d->students) {
        demo_set_error(d, "out of memory");
        return -1;
    }

    new_ident(d, ID_ROOT, -1, "root-ca", "Hocba DEMO Root CA — NOT FOR REAL USE");
    new_ident(d, ID_ISSUING, -1, "issuing-ca", "Hocba DEMO Issuing CA");

    /* Primary schools: uneven sizes; the remainder goes to the first schools
     * so that school 0 always has pupils (it holds the compromised teacher's
     * class). */
    unsigned weight[DEMO_COUNT(DEMO_SCHOOLS)], total = 0;
    for (size_t s = 0; s < d->nprimary; s++) {
        rng_t r = demo_rng_for(d->seed, 0x5c01, s);
        weight[s] = 60 + demo_rng_below(&r, 81);
        total += weight[s];
    }
    long given = 0;
    for (size_t s = 0; s < d->nprimary; s++) {
        d->schools[s].nstudents = (int)(np * (long)weight[s] / (long)total);
        given += d->schools[s].nstudents;
    }
    for (size_t s = 0; given < np; s = (s + 1) % d->nprimary, given++)
        d->schools[s].nstudents++;

    for (size_t s = 0; s < d->nprimary; s++) {
        school_t *sc = &d->schools[s];
        sc->def = &DEMO_SCHOOLS[s];
        sc->first_grade = 1, sc->ngrades = 5;
        snprintf(sc->code, sizeof sc->code, "%s1%02u", sc->def->code5, (unsigned)(s + 1));
        school_identities(d, s);
    }
    /* The teacher whose key was compromised: homeroom of a small class 5B of
     * school 0, so that only 1–3 transcripts depend on that certificate. */
    {
        school_t *sc = &d->schools[0];
        rng_t r = demo_rng_for(d->seed, 0x5c03, 0);
        char label[48], name[160];
        demo_adult_name(&r, 1, NULL, name, sizeof name);
        snprintf(label, sizeof label, "%s-teacher-5B", sc->code);
        ident_t *t = new_ident(d, ID_TEACHER, 0, label, name);
        demo_text_fmt(t->klass, sizeof t->klass, "5B");
        t->reason = CRL_REASON_KEY_COMPROMISE;
        d->compromised_teacher = (int)(t - d->ids);
        /* Replaced by a new certificate in September: signatures made before
         * stay valid. The homeroom teacher of school 1's grade 1, which has
         * pupils in every run of 8 or more. */
        d->superseded_teacher = d->schools[1].teacher[0];
        d->ids[d->superseded_teacher].reason = CRL_REASON_SUPERSEDED;
    }
    d->nschools = d->nprimary + plan_secondary(d, d->nprimary, count);
    for (size_t s = d->nprimary; s < d->nschools; s++)
        school_identities(d, s);
    return 0;
}

/* Pupils, school by school, grade by grade; the last one or two of school 0
 * are the compromised teacher's class 5B. */
static void plan_students(demo_t *d)
{
    long n = d->nstudents;
    int ncompromised = n >= 20 ? 2 : 1;
    if (ncompromised > d->schools[0].nstudents)
        ncompromised = d->schools[0].nstudents;
    long gi = 0;
    uint64_t id_offset = demo_rng_next(&(rng_t){d->seed ^ 0x1d1d1d1dULL}) % 100000000ULL;
    for (size_t s = 0; s < d->nschools; s++) {
        school_t *sc = &d->schools[s];
        for (int k = 0; k < sc->nstudents; k++, gi++) {
            student_t *st = &d->students[gi];
            rng_t r = demo_rng_for(d->seed, 0x57d0, (uint64_t)gi);
            st->school = (int)s, st->seq = k + 1;
            st->level = sc->def->level, st->gdtx = sc->def->gdtx;
            st->grade = sc->first_grade + k * sc->ngrades / sc->nstudents;
            st->teacher = sc->teacher[st->grade - sc->first_grade];
            demo_text_fmt(st->klass, sizeof st->klass, "%dA", st->grade);
            if (s == 0 && k >= sc->nstudents - ncompromised) {
                st->grade = 5, st->compromised = 1, st->teacher = d->compromised_teacher;
                demo_text_fmt(st->klass, sizeof st->klass, "5B");
            }
            demo_draw_student(st, sc->def, &r);
            /* 10 digits: the province, then 8 digits unique over the run
             * (7919 is prime to 10^8, so distinct indices give distinct ids). */
            snprintf(st->id, sizeof st->id, "%.2s%08llu", sc->def->code5,
                     (unsigned long long)(((uint64_t)gi * 7919 + id_offset) % 100000000ULL));
        }
    }
}

/* The first grade-9 pupil who completed lower secondary and is not recalled
 * yet, or -1. */
static long completed_grade_9(const demo_t *d)
{
    for (long i = 0; i < d->nstudents; i++) {
        const student_t *st = &d->students[i];
        if (st->level == DEMO_THCS && st->grade == 9 && st->fate == DEMO_FATE_PASS && !st->recall)
            return i;
    }
    return -1;
}

/* Recalls: about 1 in 100, at least 2 from 20 pupils, of primary pupils;
 * the last one is not replaced. Never a pupil of the compromised class. And
 * where there is one, a grade-9 pupil's confirmation of lower secondary,
 * recalled and replaced (a corrected score): the record many will look up. */
static int plan_recalls(demo_t *d)
{
    long n = d->nstudents, np = 0;
    for (size_t s = 0; s < d->nprimary; s++)
        np += d->schools[s].nstudents; /* the first pupils */
    size_t want = n >= 20 ? (size_t)(n / 100 > 2 ? n / 100 : 2) : n >= 2 ? 1 : 0;
    d->recalls = calloc(want + 1, sizeof *d->recalls);
    if (!d->recalls) {
        demo_set_error(d, "out of memory");
        return -1;
    }
    rng_t r = demo_rng_for(d->seed, 0x4ec0, 0);
    for (size_t i = 0; i < want; i++) {
        long pick;
        int tries = 0;
        do
            pick = (long)(demo_rng_next(&r) % (uint64_t)np);
        while ((d->students[pick].compromised || d->students[pick].recall) && ++tries < 1000);
        if (tries >= 1000)
            break;
        recall_t *rc = &d->recalls[d->nrecalls];
        rc->student = (int)pick;
        rc->fix = want >= 2 && i == want - 1 ? DEMO_FIX_NONE : (int)(i % 3);
        rc->day = 2 + (int)demo_rng_below(&r, 26);
        d->students[pick].recall = (int)++d->nrecalls;
        if (rc->fix != DEMO_FIX_NONE)
            d->nreplacements++;
    }
    long nine = completed_grade_9(d);
    if (nine >= 0) {
        recall_t *rc = &d->recalls[d->nrecalls];
        rc->student = (int)nine;
        rc->fix = DEMO_FIX_MATH;
        rc->day = 2 + (int)demo_rng_below(&r, 26);
        d->students[nine].recall = (int)++d->nrecalls;
        d->nreplacements++;
    }
    return 0;
}

int demo_plan(demo_t *d)
{
    if (plan_schools(d) != 0)
        return -1;
    plan_students(d);
    return plan_recalls(d);
}
