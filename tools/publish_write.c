/* publish_write.c — phase 2 of a batch: a checked package published, in
 * order, inside the write transaction (or, for `check`, the read-only one
 * and the overlay of what the batch would have written): replacements and
 * recalls judged against what is stored, documents, links and ids put. */
#include <stdio.h>
#include <string.h>

#include "tools/publish_batch_internal.h"

/* Phase 2 reads and writes through these, never through the index
 * directly: for `batch` they are the write transaction; for `check`
 * (b->pending set) reads look in the dry run's overlay first, then in the
 * read-only transaction, and writes go to the overlay only. So both runs
 * see, package after package, the same index plus the same writes of the
 * packages before, and come to the same outcomes. Each returns what the
 * index function it stands for returns. */

/* What a document of the given kind with these facts leaves for phase 2. */
static void stored_from(const facts_t *f, int kind, stored_facts_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    memcpy(out->school, f->school, sizeof out->school);
    memcpy(out->student, f->student, sizeof out->student);
    out->has_principal = f->has_principal;
    memcpy(out->principal, f->principal, 32);
}

static int store_has_doc(batch_t *b, const char code[CODE_LEN])
{
    stored_facts_t f;
    if (b->pending != NULL && overlay_get_doc(b->pending, code, &f))
        return INDEX_OK;
    index_doc_t existing;
    int rc = index_get_doc(b->ix, b->txn, code, INDEX_HEAD_ONLY, &existing);
    index_doc_free(&existing);
    return rc;
}

/* What phase 2 needs of a stored transcript (stored_facts_t).
 * @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT (not a transcript, or a
 *         payload that no longer parses) or an LMDB code. */
static int store_transcript(batch_t *b, const char code[CODE_LEN], stored_facts_t *out)
{
    if (b->pending != NULL && overlay_get_doc(b->pending, code, out))
        return out->kind == INDEX_KIND_TRANSCRIPT ? INDEX_OK : INDEX_ECORRUPT;
    index_doc_t d;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    int rc = index_get_doc(b->ix, b->txn, code, 0, &d);
    if (rc == INDEX_OK && (d.kind != INDEX_KIND_TRANSCRIPT ||
                           payload_parse(d.payload.ptr, d.payload.len, &pl, why, sizeof why) != PAYLOAD_OK))
        rc = INDEX_ECORRUPT;
    index_doc_free(&d);
    if (rc != INDEX_OK)
        return rc;
    facts_t f;
    memset(&f, 0, sizeof f);
    batch_keep_facts(&f, &pl);
    payload_free(&pl);
    stored_from(&f, INDEX_KIND_TRANSCRIPT, out);
    return INDEX_OK;
}

static int store_get_link(batch_t *b, const char code[CODE_LEN], int type, char out[CODE_LEN])
{
    if (b->pending != NULL && overlay_get_link(b->pending, code, type, out))
        return INDEX_OK;
    return index_get_link(b->ix, b->txn, code, type, out);
}

static int store_put_link(batch_t *b, const char code[CODE_LEN], int type, const char to[CODE_LEN])
{
    if (b->pending == NULL)
        return index_put_link(b->ix, b->txn, code, type, to);
    char old[CODE_LEN];
    int rc = store_get_link(b, code, type, old); /* links are never overwritten (MDB_NOOVERWRITE) */
    if (rc == INDEX_OK)
        return MDB_KEYEXIST;
    return rc == INDEX_ENOTFOUND ? overlay_put_link(b->pending, code, type, to) : rc;
}

static int store_get_docid(batch_t *b, const facts_t *f, char out[CODE_LEN])
{
    if (b->pending != NULL && overlay_get_docid(b->pending, f->school, f->docid, out))
        return INDEX_OK;
    return index_get_docid(b->ix, b->txn, str_c(f->school), str_c(f->docid), out);
}

static int put_doc(batch_t *b, pkg_t *p, int kind, int *dbrc)
{
    if (b->pending != NULL) {
        stored_facts_t f;
        stored_from(&p->f, kind, &f);
        *dbrc = overlay_put_doc(b->pending, p->code, &f);
        if (*dbrc == 0 && kind == INDEX_KIND_TRANSCRIPT)
            *dbrc = overlay_put_docid(b->pending, p->f.school, p->f.docid, p->code);
        return *dbrc == 0 ? TRY_DONE : TRY_FAIL;
    }
    if (p->rec.value != NULL && p->rec.kind == kind)
        *dbrc = index_put_prepared(b->ix, b->txn, p->code, &p->rec);
    else
        *dbrc = index_put_doc(b->ix, b->txn, p->code, kind, b->now, str_n(p->json, p->jlen),
                              str_n(p->p7s, p->plen), kind == INDEX_KIND_TRANSCRIPT ? &p->f.summary : NULL);
    if (*dbrc != 0)
        return TRY_FAIL;
    /* docid_free has let a replacement take over only its predecessor's id */
    if (kind == INDEX_KIND_TRANSCRIPT)
        *dbrc = index_put_docid(b->ix, b->txn, str_c(p->f.school), str_c(p->f.docid), p->code,
                                p->f.has_supersedes);
    return *dbrc == 0 ? TRY_DONE : TRY_FAIL;
}

/* Whether p may take its school's document_id: nobody holds it, or it is a
 * replacement and the transcript it supersedes does (package-format.md §4:
 * a school's software keeps its id for a corrected transcript).
 * @return 1 when it may; 0 when refused, or with *dbrc set on a database error. */
static int docid_free(batch_t *b, pkg_t *p, int *dbrc)
{
    char other[CODE_LEN], g[CODE_GROUPED_LEN + 1];
    int rc = store_get_docid(b, &p->f, other);
    if (rc == INDEX_ENOTFOUND)
        return 1;
    if (rc == INDEX_OK && p->f.has_supersedes && memcmp(other, p->f.supersedes, CODE_LEN) == 0)
        return 1;
    if (rc != INDEX_OK) {
        *dbrc = rc;
        return 0;
    }
    code_format_grouped(other, g);
    batch_refuse(p,
                 "document_id %s of school %s is already published with other content (lookup code %s); a "
                 "correction is published as a recall of that code and a replacement with `supersedes`",
                 p->f.docid, p->f.school, g);
    return 0;
}

/* A package refused by its checks whose payload is already in the index
 * (the same bytes, so the same code) is "already published": publishing it
 * again changes nothing (package-format.md §1), whatever its checks say now
 * (after a trust change, say: the portal re-verifies it on every answer).
 * @return 1 when it is (its outcome is set), 0 when not, -1 with *dbrc set
 *         on a database error. */
int batch_published_before(batch_t *b, pkg_t *p, int *dbrc)
{
    int rc = store_has_doc(b, p->code);
    if (rc == INDEX_ENOTFOUND)
        return 0;
    if (rc != INDEX_OK) {
        *dbrc = rc;
        return -1;
    }
    batch_free_reason(p);
    p->outcome = PKG_ALREADY;
    return 1;
}

/* Phase 2 for one package, inside the write transaction (or the dry run's
 * read-only one and its overlay). */
int batch_try_publish(batch_t *b, pkg_t *p, verdict_t *v, int *dbrc)
{
    char link[CODE_LEN], g[CODE_GROUPED_LEN + 1], why[REASON_LEN];
    stored_facts_t old;
    int rc;

    *dbrc = 0;
    rc = store_has_doc(b, p->code);
    if (rc == INDEX_OK) {
        p->outcome = PKG_ALREADY;
        return TRY_DONE;
    }
    if (rc != INDEX_ENOTFOUND) {
        *dbrc = rc;
        return TRY_FAIL;
    }
    if (p->f.kind == PAYLOAD_TRANSCRIPT && !p->f.has_supersedes) {
        if (!docid_free(b, p, dbrc))
            return *dbrc ? TRY_FAIL : TRY_DONE;
        rc = put_doc(b, p, INDEX_KIND_TRANSCRIPT, dbrc);
        if (rc == TRY_DONE)
            p->outcome = PKG_PUBLISHED;
        return rc;
    }
    if (p->f.kind == PAYLOAD_TRANSCRIPT) {
        code_format_grouped(p->f.supersedes, g);
        if ((rc = store_transcript(b, p->f.supersedes, &old)) != INDEX_OK) {
            if (rc == INDEX_ENOTFOUND) {
                batch_set_reason(p, "supersedes %s, which is not published", g);
                return TRY_WAIT;
            }
            if (rc == INDEX_ECORRUPT) {
                batch_refuse(p, "supersedes %s, which is not a transcript", g);
                return TRY_DONE;
            }
            *dbrc = rc;
            return TRY_FAIL;
        }
        if (strcmp(old.school, p->f.school) != 0 || strcmp(old.student, p->f.student) != 0) {
            batch_refuse(p, "supersedes %s, which is a transcript of another school or another pupil", g);
            return TRY_DONE;
        }
        rc = store_get_link(b, p->f.supersedes, INDEX_LINK_RECALLED_BY, link);
        if (rc == INDEX_ENOTFOUND) {
            batch_set_reason(
                p,
                "supersedes %s, which is not recalled (publish its recall notice first or in the same batch)",
                g);
            return TRY_WAIT;
        }
        if (rc != INDEX_OK) {
            *dbrc = rc;
            return TRY_FAIL;
        }
        rc = store_get_link(b, p->f.supersedes, INDEX_LINK_SUPERSEDED_BY, link);
        if (rc == INDEX_OK) {
            char g2[CODE_GROUPED_LEN + 1];
            code_format_grouped(link, g2);
            batch_refuse(p, "supersedes %s, which was already replaced by %s", g, g2);
            return TRY_DONE;
        }
        if (!docid_free(b, p, dbrc))
            return *dbrc ? TRY_FAIL : TRY_DONE;
        if (put_doc(b, p, INDEX_KIND_TRANSCRIPT, dbrc) != TRY_DONE ||
            (*dbrc = store_put_link(b, p->f.supersedes, INDEX_LINK_SUPERSEDED_BY, p->code)) != 0 ||
            (*dbrc = store_put_link(b, p->code, INDEX_LINK_SUPERSEDES, p->f.supersedes)) != 0)
            return TRY_FAIL;
        p->outcome = PKG_PUBLISHED;
        return TRY_DONE;
    }
    /* a recall notice */
    code_format_grouped(p->f.target, g);
    if ((rc = store_transcript(b, p->f.target, &old)) != INDEX_OK) {
        if (rc == INDEX_ENOTFOUND) {
            batch_set_reason(p, "recalls %s, which is not published", g);
            return TRY_WAIT;
        }
        if (rc == INDEX_ECORRUPT) {
            batch_refuse(p, "recalls %s, which is not a transcript", g);
            return TRY_DONE;
        }
        *dbrc = rc;
        return TRY_FAIL;
    }
    if (strcmp(old.school, p->f.school) != 0) {
        batch_refuse(
            p, "the recall notice is from another school: it names school %s, but %s belongs to school %s",
            p->f.school, g, old.school);
        return TRY_DONE;
    }
    rc = store_get_link(b, p->f.target, INDEX_LINK_RECALLED_BY, link);
    if (rc == INDEX_OK) {
        char g2[CODE_GROUPED_LEN + 1];
        code_format_grouped(link, g2);
        batch_refuse(p, "%s is already recalled by notice %s; a recall is final", g, g2);
        return TRY_DONE;
    }
    if (verify_package(b->trust, p->pl, p->json, p->jlen, p->p7s, p->plen, b->now,
                       old.has_principal ? old.principal : NULL, v) != 0) {
        batch_refuse(p, "out of memory while verifying");
        return TRY_DONE;
    }
    if (!v->ok) {
        verify_reason(v, why, sizeof why);
        batch_refuse(p, "%s", why);
        return TRY_DONE;
    }
    if (v->unjudged > 0) {
        batch_refuse_unjudged(p, v);
        return TRY_DONE;
    }
    if (put_doc(b, p, INDEX_KIND_RECALL, dbrc) != TRY_DONE ||
        (*dbrc = store_put_link(b, p->f.target, INDEX_LINK_RECALLED_BY, p->code)) != 0 ||
        (*dbrc = store_put_link(b, p->code, INDEX_LINK_RECALL_OF, p->f.target)) != 0)
        return TRY_FAIL;
    p->outcome = PKG_PUBLISHED;
    return TRY_DONE;
}
