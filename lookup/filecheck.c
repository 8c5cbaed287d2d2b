/* filecheck.c — the verdict on a package one holds (filecheck.h). */
#include "filecheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "view.h"
#include "vnfold.h"

/* The words for a payload that is no transcript, in place of verify's "the stored payload is no
 * longer a valid document": they say what kind of fault, never the payload's text (a reason of
 * payload_parse may quote a member, names included). */
static void no_transcript(verdict_t *v, int rc, int kind)
{
    const char *why = kind == PAYLOAD_RECALL  ? "it is a recall notice, not a transcript"
                      : rc == PAYLOAD_ESIZE   ? "it is empty or larger than 64 KiB"
                      : rc == PAYLOAD_EUTF8   ? "it is not UTF-8"
                      : rc == PAYLOAD_EJSON   ? "it is not a JSON document"
                      : rc == PAYLOAD_ESCHEMA ? "a member breaks a rule of package-format.md §3"
                                              : "it cannot be read";
    for (size_t i = 0; i < v->nitems; i++)
        if (v->items[i].check == VERIFY_ROLES && v->items[i].signer < 0 && !v->items[i].ok)
            snprintf(v->items[i].detail, sizeof v->items[i].detail,
                     "the payload is not a transcript of package-format.md: %s", why);
}

/* school_name, worded without the names (filecheck.h). */
static int school_name(trust_t *trust, const payload_t *p, char *detail, size_t n)
{
    verify_school_name_t sn;
    if (verify_school_name(trust, p, &sn) == 0) {
        snprintf(detail, n, "school.name and school.province are the school registry's for school %.24s",
                 p->school_code);
        return 1;
    }
    if (!sn.registered)
        snprintf(detail, n, "school %.24s is not in the school registry", p->school_code);
    else if (sn.error != 0)
        snprintf(detail, n, "the names cannot be compared (%s)",
                 sn.error == VNFOLD_ENOMEM ? "out of memory" : "not UTF-8");
    else
        snprintf(detail, n, "%s the school registry's for school %.24s%s",
                 !sn.name_ok && !sn.province_ok ? "school.name and school.province differ from"
                 : !sn.name_ok                  ? "school.name differs from"
                                                : "school.province differs from",
                 p->school_code, sn.until != NULL ? " (the former name in force on issued_on)" : "");
    return 0;
}

/* Checks 1-7 hold: every item of integrity .. seal_registry, and the revocation of each can be judged. */
static int first_seven_hold(const verdict_t *v)
{
    if (v->nitems == 0 || v->unjudged > 0)
        return 0;
    for (size_t i = 0; i < v->nitems; i++)
        if (v->items[i].check <= VERIFY_SEAL_REGISTRY && !v->items[i].ok)
            return 0;
    return 1;
}

/* Is it published, as it is or with other content? Only asked once checks 1-7 hold. */
static int where_published(index_t *ix, MDB_txn *txn, trust_t *trust, const payload_t *p,
                           const unsigned char digest[32], filecheck_t *f)
{
    index_doc_t d;
    char other[CODE_LEN];
    code_from_digest(digest, f->code);
    int rc = index_get_doc(ix, txn, f->code, INDEX_HEAD_ONLY, &d);
    int kind = rc == INDEX_OK ? d.kind : 0;
    index_doc_free(&d);
    if (rc == INDEX_OK && kind == INDEX_KIND_TRANSCRIPT) {
        view_t v;
        int vrc = view_compute(ix, txn, trust, f->code, &v);
        f->record_status = v.status;
        view_free(&v);
        if (vrc == VIEW_ENOMEM)
            return FILECHECK_ENOMEM;
        if (vrc != VIEW_OK)
            return FILECHECK_EUNAVAILABLE;
        f->published = FILECHECK_PUBLISHED;
        return FILECHECK_OK;
    }
    if (rc != INDEX_OK && rc != INDEX_ENOTFOUND)
        return FILECHECK_EUNAVAILABLE;
    rc = index_get_docid(ix, txn, str_c(p->school_code), str_c(p->document_id), other);
    if (rc != INDEX_OK && rc != INDEX_ENOTFOUND)
        return FILECHECK_EUNAVAILABLE;
    f->published = rc == INDEX_OK ? FILECHECK_DIFFERS : FILECHECK_NOT_PUBLISHED;
    return FILECHECK_OK;
}

int filecheck_run(index_t *ix, MDB_txn *txn, trust_t *trust, str_t payload, str_t p7s, int64_t now,
                  filecheck_t *f)
{
    payload_t p;
    char why[PAYLOAD_WHY_LEN];
    memset(f, 0, sizeof *f);
    memset(&p, 0, sizeof p);
    if ((f->verdict = malloc(sizeof *f->verdict)) == NULL)
        return FILECHECK_ENOMEM;
    int prc = payload_parse(payload.ptr, payload.len, &p, why, sizeof why);
    if (prc == PAYLOAD_ENOMEM) {
        payload_free(&p);
        return FILECHECK_ENOMEM;
    }
    int kind = prc == PAYLOAD_OK ? p.kind : 0;
    f->is_transcript = kind == PAYLOAD_TRANSCRIPT;
    verify_shared_t shared;
    memset(&shared, 0, sizeof shared);
    if (verify_package_shared(trust, f->is_transcript ? &p : NULL, (const uint8_t *)payload.ptr, payload.len,
                              (const uint8_t *)p7s.ptr, p7s.len, now, NULL, &shared, f->verdict) != 0) {
        payload_free(&p);
        return FILECHECK_ENOMEM;
    }
    if (!f->is_transcript) {
        no_transcript(f->verdict, prc, kind);
        snprintf(f->school_name_detail, sizeof f->school_name_detail, "the payload is not a transcript");
    } else {
        f->school_name_ok = school_name(trust, &p, f->school_name_detail, sizeof f->school_name_detail);
    }
    f->valid = f->verdict->ok && f->school_name_ok;
    int rc = FILECHECK_OK;
    if (f->valid && f->verdict->unjudged > 0)
        rc = FILECHECK_EUNJUDGED; /* §6: never valid */
    else if (f->is_transcript && shared.has_digest && first_seven_hold(f->verdict))
        rc = where_published(ix, txn, trust, &p, shared.digest, f);
    payload_free(&p);
    return rc;
}

void filecheck_free(filecheck_t *f)
{
    free(f->verdict);
    f->verdict = NULL;
}

const char *filecheck_published_name(int published)
{
    return published == FILECHECK_PUBLISHED ? "published"
           : published == FILECHECK_DIFFERS ? "differs"
                                            : "not_published";
}

json_t *filecheck_api_json(const filecheck_t *f, const char *public_url)
{
    const verdict_t *vd = f->verdict;
    json_t *checks = json_array(), *record = json_null();
    for (size_t i = 0; checks != NULL && i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        json_array_append_new(checks,
                              json_pack("{s:s, s:s?, s:b, s:s}", "check", verify_check_name(it->check),
                                        "role", it->signer >= 0 ? vd->signers[it->signer].role : NULL, "ok",
                                        it->ok, "detail", it->detail));
    }
    json_array_append_new(checks, json_pack("{s:s, s:n, s:b, s:s}", "check", "school_name", "role", "ok",
                                            f->school_name_ok, "detail", f->school_name_detail));
    if (f->published == FILECHECK_PUBLISHED) {
        char code[CODE_LEN + 1], url[600];
        memcpy(code, f->code, CODE_LEN);
        code[CODE_LEN] = '\0';
        snprintf(url, sizeof url, "%s/v/%s", public_url, code);
        record = json_pack("{s:s, s:s, s:s}", "code", code, "status", view_status_name(f->record_status),
                           "url", url);
    }
    return json_pack("{s:s, s:o, s:s, s:o}", "status", f->valid ? "valid" : "invalid", "checks", checks,
                     "published", filecheck_published_name(f->published), "record", record);
}

/* One row of the page's table of checks. */
static json_t *check_row(json_t *t, const char *check, const char *role, int ok, const char *detail)
{
    json_t *o = json_pack("{s:s, s:b, s:s}", "check_label", view_label(t, "check_name.", check), "ok", ok,
                          "detail", detail);
    if (o == NULL)
        return NULL;
    if (role != NULL)
        view_role_label(o, t, role);
    if (!ok)
        json_object_set_new(o, "failed", json_string(view_label(t, "check.", check)));
    return o;
}

json_t *filecheck_page_context(const filecheck_t *f, json_t *t, const char *lang_query)
{
    const verdict_t *vd = f->verdict;
    json_t *c = json_object(), *checks = json_array();
    if (c == NULL || checks == NULL) {
        json_decref(c), json_decref(checks);
        return NULL;
    }
    for (size_t i = 0; i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        json_array_append_new(checks, check_row(t, verify_check_name(it->check),
                                                it->signer >= 0 ? vd->signers[it->signer].role : NULL, it->ok,
                                                it->detail));
    }
    json_array_append_new(checks,
                          check_row(t, "school_name", NULL, f->school_name_ok, f->school_name_detail));
    json_t *r =
        json_pack("{s:b, s:o, s:b, s:b, s:b}", "is_valid", f->valid, "checks", checks, "is_published",
                  f->published == FILECHECK_PUBLISHED, "is_differs", f->published == FILECHECK_DIFFERS,
                  "is_not_published", f->published == FILECHECK_NOT_PUBLISHED);
    if (r != NULL && f->published == FILECHECK_PUBLISHED) {
        char code[CODE_LEN + 1], g[CODE_GROUPED_LEN + 1], url[64];
        memcpy(code, f->code, CODE_LEN);
        code[CODE_LEN] = '\0';
        code_format_grouped(f->code, g);
        snprintf(url, sizeof url, "/v/%s%.16s", code, lang_query);
        json_object_set_new(
            r, "record",
            json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "code_grouped", g, "url", url, "status_label",
                      view_label(t, "",
                                 f->record_status == VIEW_VALID      ? "verdict_valid_title"
                                 : f->record_status == VIEW_RECALLED ? "verdict_recalled_title"
                                                                     : "verdict_invalid_title"),
                      "is_valid", f->record_status == VIEW_VALID, "is_recalled",
                      f->record_status == VIEW_RECALLED, "is_invalid", f->record_status == VIEW_INVALID));
    }
    json_object_set_new(c, "result", r);
    return c;
}
