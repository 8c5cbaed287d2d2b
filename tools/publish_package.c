/* publish_package.c — phase 1 of a batch, on every core: each package read,
 * its code derived, validated and verified (batch_worker); and how a
 * package's reason is written. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/digest.h"
#include "lookup/jarena.h"
#include "lookup/vnfold.h"
#include "tools/publish_batch_internal.h"

/* A batch holds one pkg_t per package from the start, so the reasons (most
 * packages have none) and recall trees are allocated only when there is one:
 * 5,099 packages took 12 MB, zeroed on one thread before the checking began
 * (8 % of a batch's time). */
static char NO_MEMORY_FOR_REASON[] = "(out of memory while writing the reason)";

__attribute__((format(printf, 2, 0))) static void set_reason_v(pkg_t *p, const char *fmt, va_list ap)
{
    if (p->reason == NULL && (p->reason = malloc(REASON_LEN)) == NULL) {
        p->reason = NO_MEMORY_FOR_REASON;
        return;
    }
    if (p->reason != NO_MEMORY_FOR_REASON)
        vsnprintf(p->reason, REASON_LEN, fmt, ap);
}

void batch_set_reason(pkg_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_reason_v(p, fmt, ap);
    va_end(ap);
}

void batch_refuse(pkg_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_reason_v(p, fmt, ap);
    va_end(ap);
    p->outcome = PKG_REFUSED;
}

void batch_free_reason(pkg_t *p)
{
    if (p->reason != NO_MEMORY_FOR_REASON)
        free(p->reason);
    p->reason = NULL;
}

/* package-format.md §6: a package whose revocation cannot be judged now is
 * refused, as the portal would answer "cannot check now" for it. */
void batch_refuse_unjudged(pkg_t *p, const verdict_t *v)
{
    batch_refuse(
        p,
        "revocation: cannot be checked now: CA %s publishes CRLs, but none of them verifies against the "
        "trust "
        "store (publish its current CRL with `hocba-publish crl`, or give its certificate in the trust "
        "anchors "
        "or intermediates)",
        v->unjudged_ca);
}

void batch_keep_facts(facts_t *f, const payload_t *pl)
{
    f->kind = pl->kind;
    f->has_supersedes = pl->has_supersedes;
    memcpy(f->supersedes, pl->supersedes, CODE_LEN);
    memcpy(f->target, pl->target, CODE_LEN);
    snprintf(f->school, sizeof f->school, "%s", pl->school_code ? pl->school_code : "");
    snprintf(f->docid, sizeof f->docid, "%s", pl->document_id ? pl->document_id : "");
    snprintf(f->student, sizeof f->student, "%s", pl->student_id ? pl->student_id : "");
    int principal = payload_find_role(pl, "principal");
    f->has_principal = principal >= 0;
    if (principal >= 0)
        memcpy(f->principal, pl->signers[principal].cert_sha256, 32);
}

/* package-format.md §5: the seal binds the school's code, the registry the
 * name that people read. A transcript's school.name and school.province
 * must be the registry's for school.code, as in force on its issued_on
 * (former_names), compared as one name however spelt (vnfold.h). The
 * reason gives both values of each that differs, under the check name the
 * file check of http.md uses (school_name).
 * @param province  receives the registry's spelling of the province, in force
 *                  on issued_on, when they match (what the figures count under)
 * @return 0 when they match, -1 with why set when not. */
static int check_school_name(const trust_t *t, const payload_t *pl, const char **province, char *why,
                             size_t whylen)
{
    verify_school_name_t sn;
    if (verify_school_name(t, pl, &sn) == 0) {
        *province = sn.reg_province;
        return 0;
    }
    const char *name = sn.name, *prov = sn.province, *rname = sn.reg_name, *rprov = sn.reg_province;
    if (!sn.registered) {
        snprintf(why, whylen, "school_name: school %s is not in the school registry", pl->school_code);
        return -1;
    }
    if (sn.error != 0) {
        snprintf(why, whylen, "school_name: the names cannot be compared (%s)",
                 sn.error == VNFOLD_ENOMEM ? "out of memory" : "not UTF-8");
        return -1;
    }
    char when[96] = "";
    if (sn.until != NULL)
        snprintf(when, sizeof when, " (its former name, in force until %s; issued_on is %s)", sn.until,
                 pl->issued_on);
    else
        snprintf(when, sizeof when, " (in force on issued_on %s)", pl->issued_on);
    if (!sn.name_ok && !sn.province_ok)
        snprintf(
            why, whylen,
            "school_name: school.name \"%s\" and school.province \"%s\" differ from the school registry's "
            "\"%s\" and \"%s\" for school %s%s",
            name, prov, rname, rprov, pl->school_code, when);
    else if (!sn.name_ok)
        snprintf(why, whylen,
                 "school_name: school.name \"%s\" differs from the school registry's \"%s\" for school %s%s",
                 name, rname, pl->school_code, when);
    else
        snprintf(
            why, whylen,
            "school_name: school.province \"%s\" differs from the school registry's \"%s\" for school %s%s",
            prov, rprov, pl->school_code, when);
    return -1;
}

/* Phase 1, on every core: read, derive the code, validate, verify. */
static void check_package(batch_t *b, pkg_t *p, verdict_t *v, jarena_t *arena)
{
    char path[4096], why[REASON_LEN];
    if (!p->has_json) {
        batch_refuse(p, "the payload %s.json is missing", p->stem);
        return;
    }
    snprintf(path, sizeof path, "%s.json", p->stem);
    int rc = publish_read_file_at(b->dirfd, path, 1, PAYLOAD_MAX_BYTES, &p->json, &p->jlen, why, sizeof why);
    if (rc == -2) {
        batch_refuse(p, "payload: the payload is %zu bytes; the limit is 64 KiB (65536 bytes)", p->jlen);
        return;
    }
    if (rc != 0) {
        batch_refuse(p, "%s", why);
        return;
    }
    /* one hash of the payload for its code and for verification (§2: the
     * code is the SHA-256 of the bytes as signed) */
    unsigned char h[32];
    if (digest_sha256(p->json, p->jlen, h) != 0) {
        batch_refuse(p, "out of memory while hashing the payload");
        return;
    }
    code_from_digest(h, p->code);
    p->has_code = 1;
    if (!p->has_p7s) {
        batch_refuse(p, "the signature file %s.p7s is missing", p->stem);
        return;
    }
    snprintf(path, sizeof path, "%s.p7s", p->stem);
    rc = publish_read_file_at(b->dirfd, path, 1, P7S_MAX_BYTES, &p->p7s, &p->plen, why, sizeof why);
    if (rc != 0) {
        batch_refuse(p, rc == -2 ? "the signature file is larger than 1 MiB" : "%s", why);
        return;
    }
    /* a transcript's tree lives and dies in this thread's arena (jarena.h) */
    payload_t pl;
    jarena_begin(arena);
    int prc = payload_parse(p->json, p->jlen, &pl, why, sizeof why);
    if (prc == PAYLOAD_OK && pl.kind != PAYLOAD_TRANSCRIPT) {
        /* a recall's tree is kept until phase 2: made again in malloc's memory */
        payload_free(&pl);
        jarena_end(arena);
        if ((p->pl = malloc(sizeof *p->pl)) == NULL) {
            batch_refuse(p, "out of memory");
            return;
        }
        if ((prc = payload_parse(p->json, p->jlen, p->pl, why, sizeof why)) != PAYLOAD_OK) {
            free(p->pl);
            p->pl = NULL;
        }
    }
    if (prc != PAYLOAD_OK) {
        jarena_end(arena);
        batch_refuse(p, "payload: %s", why);
        return;
    }
    if (p->pl != NULL) {
        batch_keep_facts(&p->f, p->pl);
        return; /* recalls are verified once their transcript is known (phase 2) */
    }
    batch_keep_facts(&p->f, &pl);
    const char *province = NULL;
    verify_shared_t shared = {.payload_sha256 = h};
    if (verify_package_shared(b->trust, &pl, p->json, p->jlen, p->p7s, p->plen, b->now, NULL, &shared, v) !=
        0)
        batch_refuse(p, "out of memory while verifying");
    else if (!v->ok) {
        verify_reason(v, why, sizeof why);
        batch_refuse(p, "%s", why);
    } else if (v->unjudged > 0) {
        batch_refuse_unjudged(p, v);
    } else if (check_school_name(b->trust, &pl, &province, why, sizeof why) != 0) {
        batch_refuse(p, "%s", why);
    } else if (index_summarize(&pl, province, &p->f.summary) != 0) {
        batch_refuse(p, "school.province: %zu bytes long; the index keeps a province of at most %d bytes",
                     pl.province_len, INDEX_PROVINCE_MAX);
    } else if (b->pending == NULL) {
        /* on failure rec stays empty and the writer makes the record itself;
         * a dry run writes nothing, so it has nothing to prepare */
        if (index_prepare_doc_hashed(INDEX_KIND_TRANSCRIPT, b->now, str_n(p->json, p->jlen),
                                     str_n(p->p7s, p->plen), (const unsigned char(*)[32])shared.cert_sha256,
                                     shared.ncerts, &p->rec) == INDEX_OK)
            p->rec.summary = p->f.summary;
    }
    /* A transcript's tree is not needed any more: free it now so that a
     * large batch does not hold thousands of them. */
    payload_free(&pl);
    jarena_end(arena);
}

void *batch_worker(void *arg)
{
    batch_t *b = arg;
    verdict_t *v = malloc(sizeof *v);
    jarena_t *arena = jarena_new(JARENA_CHUNK); /* NULL: jansson keeps using malloc */
    for (;;) {
        size_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->n)
            break;
        if (v == NULL)
            batch_refuse(&b->pkgs[i], "out of memory");
        else
            check_package(b, &b->pkgs[i], v, arena);
        atomic_store(&b->ready[i], 1);
        size_t done = atomic_fetch_add(&b->done, 1) + 1, wake = atomic_load(&b->wake_done);
        if (wake != 0 && done >= wake) {
            pthread_mutex_lock(&b->lock);
            pthread_cond_broadcast(&b->cond);
            pthread_mutex_unlock(&b->lock);
        }
    }
    free(v);
    jarena_free(arena);
    return NULL;
}
