/* view.c — the transcript model: verdict, recall links, JSON and page context
 * (view_internal.h says what the schemas' files add to it). */
#include "view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonfast.h"
#include "utf8.h"
#include "view_internal.h"

#define VN_OFFSET (7 * 3600) /* pages show Vietnam time */

static void code_str(const char code[CODE_LEN], char out[CODE_LEN + 1])
{
    memcpy(out, code, CODE_LEN);
    out[CODE_LEN] = '\0';
}

void view_format_date(int64_t t, char out[16])
{
    time_t tt = (time_t)(t + VN_OFFSET);
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 16, "%d/%m/%Y", &tm) == 0)
        out[0] = '\0';
}

void view_format_datetime(int64_t t, char out[32])
{
    time_t tt = (time_t)(t + VN_OFFSET);
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%d/%m/%Y %H:%M (UTC+7)", &tm) == 0)
        out[0] = '\0';
}

void view_format_rfc3339(int64_t t, char out[24])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

/* "YYYY-MM-DD" as "DD/MM/YYYY"; anything else unchanged. */
static void date_vn(const char *iso, char out[16])
{
    if (iso != NULL && strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-')
        snprintf(out, 16, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    else
        snprintf(out, 16, "%s", iso ? iso : "");
}

const char *view_status_name(int status)
{
    switch (status) {
    case VIEW_VALID:
        return "valid";
    case VIEW_RECALLED:
        return "recalled";
    default:
        return "invalid";
    }
}

/* 1 when a stored package verifies now, as the publisher checked it: its
 * signatures, chains and roles, and its payload is the one its code was made
 * from; and its revocation can be judged (§6: a notice or replacement whose
 * CA's CRLs cannot be checked is not vouched for). recall_principal: for a recall notice, the principal
 * certificate that signed the transcript it recalls (who may sign the recall), or NULL. */
static int verifies_now(trust_t *trust, const index_doc_t *doc, const payload_t *pl,
                        const char code[CODE_LEN], const unsigned char *recall_principal)
{
    verdict_t *v = malloc(sizeof *v);
    verify_shared_t shared = {.code = code, .cert_hints = doc->cert_sha256, .ncert_hints = doc->ncerts};
    int ok = v != NULL &&
             verify_package_shared(trust, pl, (const uint8_t *)doc->payload.ptr, doc->payload.len,
                                   (const uint8_t *)doc->cms.ptr, doc->cms.len, doc->published_at,
                                   recall_principal, &shared, v) == 0 &&
             v->ok && v->unjudged == 0;
    free(v);
    return ok;
}

/* A recall notice's date and reason are shown as the school's words only
 * when the notice recalls this transcript and verifies now: text altered in
 * the index, a notice nobody signed, or another record's notice behind a
 * wrong link, is not shown (the transcript stays recalled all the same). */
static int notice_is_for(trust_t *trust, const index_doc_t *notice, const payload_t *pl,
                         const char notice_code[CODE_LEN], const char code[CODE_LEN],
                         const verdict_t *recalled)
{
    unsigned char principal[32];
    if (pl->kind != PAYLOAD_RECALL || memcmp(pl->target, code, CODE_LEN) != 0)
        return 0;
    int has = verify_principal_cert(recalled, principal) == 0;
    return verifies_now(trust, notice, pl, notice_code, has ? principal : NULL);
}

/* A replacement is named only when its signed payload says it supersedes
 * this transcript and it verifies now: a wrong or forged link never sends a
 * reader to another record as the correction. */
static int replacement_is_for(trust_t *trust, index_t *ix, MDB_txn *txn, const char by[CODE_LEN],
                              const char code[CODE_LEN])
{
    index_doc_t doc;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    memset(&pl, 0, sizeof pl);
    int ok = index_get_doc(ix, txn, by, INDEX_WITH_CMS, &doc) == INDEX_OK &&
             payload_parse(doc.payload.ptr, doc.payload.len, &pl, why, sizeof why) == PAYLOAD_OK &&
             pl.kind == PAYLOAD_TRANSCRIPT && pl.has_supersedes &&
             memcmp(pl.supersedes, code, CODE_LEN) == 0 && verifies_now(trust, &doc, &pl, by, NULL);
    payload_free(&pl);
    index_doc_free(&doc);
    return ok;
}

int view_compute(index_t *ix, MDB_txn *txn, trust_t *trust, const char code[CODE_LEN], view_t *v)
{
    index_doc_t doc, notice;
    char why[PAYLOAD_WHY_LEN];
    memset(v, 0, sizeof *v);
    memcpy(v->code, code, CODE_LEN);
    v->status = VIEW_INVALID;
    int rc = index_get_doc(ix, txn, code, INDEX_WITH_CMS, &doc);
    if (rc == INDEX_OK && doc.kind != INDEX_KIND_TRANSCRIPT)
        rc = INDEX_ENOTFOUND; /* recall notices are not looked up by people */
    if (rc == INDEX_OK && (v->verdict = malloc(sizeof *v->verdict)) == NULL)
        rc = ENOMEM;
    if (rc != INDEX_OK) {
        index_doc_free(&doc);
        return rc == INDEX_ENOTFOUND ? VIEW_ENOTFOUND : rc == ENOMEM ? VIEW_ENOMEM : VIEW_EUNAVAILABLE;
    }
    v->published_at = doc.published_at;
    /* kept for the API's numbers as written (view_api_text): the record's
     * bytes live only as long as the read transaction */
    if ((v->payload = malloc(doc.payload.len + 1)) == NULL) {
        index_doc_free(&doc);
        return VIEW_ENOMEM;
    }
    memcpy(v->payload, doc.payload.ptr, doc.payload.len);
    v->payload[doc.payload.len] = '\0';
    v->payload_len = doc.payload.len;
    int parsed = payload_parse(doc.payload.ptr, doc.payload.len, &v->pl, why, sizeof why) == PAYLOAD_OK &&
                 v->pl.kind == PAYLOAD_TRANSCRIPT;
    if (!parsed)
        payload_free(&v->pl);
    /* the record must be the one the code names: verify checks the code
     * against the payload's SHA-256, which it needs anyway */
    verify_shared_t shared = {.code = code, .cert_hints = doc.cert_sha256, .ncert_hints = doc.ncerts};
    rc = verify_package_shared(trust, parsed ? &v->pl : NULL, (const uint8_t *)doc.payload.ptr,
                               doc.payload.len, (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at,
                               NULL, &shared, v->verdict);
    index_doc_free(&doc);
    if (rc != 0)
        return VIEW_ENOMEM;
    if ((v->has_payload_sha256 = shared.has_digest) != 0)
        memcpy(v->payload_sha256, shared.digest, 32);
    if (!v->verdict->ok)
        return VIEW_OK;
    /* §6: revocation fails closed; only a record that would otherwise be
     * valid or recalled is "cannot check now" */
    if (v->verdict->unjudged > 0)
        return VIEW_EUNJUDGED;
    v->status = VIEW_VALID;
    /* A recall is final whatever happens to its own signatures later: a
     * withdrawn record is never shown as valid again. */
    rc = index_get_link(ix, txn, code, INDEX_LINK_RECALLED_BY, v->recall_code);
    if (rc == INDEX_OK) {
        v->recalled = 1;
        v->status = VIEW_RECALLED;
        if (index_get_doc(ix, txn, v->recall_code, INDEX_WITH_CMS, &notice) == INDEX_OK &&
            payload_parse(notice.payload.ptr, notice.payload.len, &v->recall_pl, why, sizeof why) ==
                PAYLOAD_OK &&
            notice_is_for(trust, &notice, &v->recall_pl, v->recall_code, code, v->verdict)) {
            v->recalled_on = v->recall_pl.recalled_on;
            v->recall_reason = v->recall_pl.reason;
        }
        index_doc_free(&notice);
        if (index_get_link(ix, txn, code, INDEX_LINK_SUPERSEDED_BY, v->replaced_by) == INDEX_OK)
            v->replaced = replacement_is_for(trust, ix, txn, v->replaced_by, code);
    } else if (rc != INDEX_ENOTFOUND) {
        return VIEW_EUNAVAILABLE;
    }
    return VIEW_OK;
}

void view_free(view_t *v)
{
    payload_free(&v->pl);
    payload_free(&v->recall_pl);
    free(v->verdict);
    v->verdict = NULL;
    free(v->payload);
    v->payload = NULL;
}

int view_digest(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_feed_fn feed, void *arg)
{
    static const int links[] = {INDEX_LINK_RECALLED_BY, INDEX_LINK_SUPERSEDED_BY};
    char link[CODE_LEN];
    int kind = 0;
    feed(arg, code, CODE_LEN);
    /* the stored record and its certificates, read where they lie */
    int rc = index_digest_doc(ix, txn, code, feed, arg, &kind);
    if (rc == INDEX_OK && kind != INDEX_KIND_TRANSCRIPT)
        rc = INDEX_ENOTFOUND;
    if (rc != INDEX_OK)
        return rc == INDEX_ENOTFOUND ? VIEW_ENOTFOUND : VIEW_EUNAVAILABLE;
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        rc = index_get_link(ix, txn, code, links[i], link);
        /* a link that cannot be read is part of the state too: view_compute
         * decides what it means (for a recall link: "cannot check now" when
         * the record verifies, nothing when it does not; for a replacement
         * link: no replacement) */
        if (rc != INDEX_OK)
            memset(link, rc == INDEX_ENOTFOUND ? 0 : '-', sizeof link);
        feed(arg, link, sizeof link);
        /* the notice (its date and reason) and the replacement (is it one?)
         * are read for the view: their records are part of its state, and
         * so is a missing one */
        if (rc == INDEX_OK && index_digest_doc(ix, txn, link, feed, arg, &kind) != INDEX_OK)
            feed(arg, "-", 1);
    }
    return VIEW_OK;
}

/* http.md: the citizen id is shown masked to its last 3 digits, in the API
 * and on pages alike. Sets dst.name from src's citizen_id when there is one. */
static void set_masked_citizen_id(json_t *dst, json_t *src, const char *name)
{
    const char *cid = json_string_value(json_object_get(src, "citizen_id"));
    if (cid == NULL)
        return;
    char masked[16];
    size_t n = strlen(cid);
    snprintf(masked, sizeof masked, "*********%s", n >= 3 ? cid + n - 3 : "");
    json_object_set_new(dst, name, json_string(masked));
}

json_t *view_public_transcript(const payload_t *pl)
{
    if (pl == NULL || pl->root == NULL)
        return NULL;
    json_t *t = json_deep_copy(pl->root);
    json_t *student = json_object_get(t, "student");
    if (json_is_object(student)) {
        json_object_del(student, "address");
        json_object_del(student, "guardian_name");
        set_masked_citizen_id(student, student, "citizen_id");
    }
    return t;
}

json_t *view_api_json(const view_t *v)
{
    char code[CODE_LEN + 1], ts[24], hex[65];
    const verdict_t *vd = v->verdict;
    code_str(v->code, code);
    view_format_rfc3339(v->published_at, ts);
    json_t *o = json_object();
    json_t *checks = json_array(), *signers = json_array();
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "status", json_string(view_status_name(v->status)));
    json_object_set_new(o, "published_at", json_string(ts));
    for (size_t i = 0; vd != NULL && i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        json_array_append_new(checks,
                              json_pack("{s:s, s:s?, s:b, s:s}", "check", verify_check_name(it->check),
                                        "role", it->signer >= 0 ? vd->signers[it->signer].role : NULL, "ok",
                                        it->ok, "detail", it->detail));
    }
    for (size_t i = 0; vd != NULL && i < vd->nsigners; i++) {
        const verify_signer_t *s = &vd->signers[i];
        str_hex(s->cert_sha256, 32, hex);
        if (s->signing_time >= 0)
            view_format_rfc3339(s->signing_time, ts);
        json_t *o1 = json_pack("{s:s, s:s, s:s?}", "role", s->role, "certificate_sha256", hex, "signing_time",
                               s->signing_time >= 0 ? ts : NULL);
        /* an invalid record names nobody: roles, hashes and times only (http.md) */
        if (v->status != VIEW_INVALID) {
            char subject[3 * (sizeof s->cn + sizeof s->o + sizeof s->l)];
            trust_subject_shown(s->cn, s->o, s->l, subject, sizeof subject);
            json_object_set_new(o1, "name", json_string(s->name));
            json_object_set_new(o1, "certificate_subject", json_string(subject));
        }
        json_array_append_new(signers, o1);
    }
    json_object_set_new(o, "checks", checks);
    json_object_set_new(o, "signers", signers);
    if (v->recalled) {
        char by[CODE_LEN + 1];
        code_str(v->replaced_by, by);
        json_object_set_new(o, "recall",
                            json_pack("{s:s?, s:s?, s:s?}", "recalled_on", v->recalled_on, "reason",
                                      v->recall_reason, "superseded_by", v->replaced ? by : NULL));
    } else {
        json_object_set_new(o, "recall", json_null());
    }
    if (v->status != VIEW_INVALID && v->pl.root != NULL && v->pl.has_supersedes) {
        char old[CODE_LEN + 1];
        code_str(v->pl.supersedes, old);
        json_object_set_new(o, "supersedes", json_string(old));
    } else {
        json_object_set_new(o, "supersedes", json_null());
    }
    json_t *t = v->status == VIEW_INVALID ? NULL : view_public_transcript(&v->pl);
    json_object_set_new(o, "transcript", t ? t : json_null());
    return o;
}

json_t *view_summary_json(const view_t *v)
{
    char code[CODE_LEN + 1];
    code_str(v->code, code);
    json_t *o = json_pack("{s:s, s:s}", "code", code, "status", view_status_name(v->status));
    if (o == NULL)
        return NULL;
    if (v->status == VIEW_RECALLED && v->replaced) {
        char by[CODE_LEN + 1];
        code_str(v->replaced_by, by);
        json_object_set_new(o, "summary", json_pack("{s:s}", "superseded_by", by));
    } else if (v->status == VIEW_INVALID) {
        json_t *failed = json_array();
        for (size_t k = 0; v->verdict != NULL && k < v->verdict->nitems; k++)
            if (!v->verdict->items[k].ok)
                json_array_append_new(failed, json_string(verify_check_name(v->verdict->items[k].check)));
        json_object_set_new(o, "summary", json_pack("{s:o}", "failed_checks", failed));
    }
    return o;
}

/* A growing byte buffer for view_api_text; err once an append failed. */
typedef struct {
    char *p;
    size_t len, cap;
    int err;
} text_t;

static void text_put(void *arg, const char *p, size_t n)
{
    text_t *b = arg;
    if (b->err || n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->err = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int text_dump(const char *p, size_t n, void *arg)
{
    text_put(arg, p, n);
    return ((text_t *)arg)->err ? -1 : 0;
}

char *view_api_text(const view_t *v, size_t *len)
{
    json_t *o = view_api_json(v);
    json_t *t = json_incref(json_object_get(o, "transcript"));
    text_t body = {0}, out = {0};
    json_object_del(o, "transcript");
    int ok = o != NULL && json_dump_callback(o, text_dump, &out, JSON_COMPACT) == 0 && out.len > 0 &&
             json_dump_callback(t, text_dump, &body, JSON_COMPACT | JSON_ENCODE_ANY) == 0;
    if (ok) {
        out.len--; /* its closing brace, written again after "transcript" */
        text_put(&out, ",\"transcript\":", 14);
        /* the signed bytes hold the same numbers in the same order: the copy
         * only lost strings (address, guardian) and had one replaced */
        if (v->payload == NULL || !json_is_object(t) ||
            jsonfast_renumber(body.p, body.len, v->payload, v->payload_len, text_put, &out) != 0)
            text_put(&out, body.p, body.len);
        text_put(&out, "}", 1);
        ok = !out.err;
    }
    json_decref(t);
    json_decref(o);
    free(body.p);
    if (!ok) {
        free(out.p);
        return NULL;
    }
    *len = out.len;
    return out.p;
}

/* ---- page context ----------------------------------------------------------- */

/* The page context is made for every cold page: its keys are our literals
 * and its values come from the validated payload, the catalog (parsed by
 * jansson) or our own ASCII, all UTF-8 already, so jansson's per-call UTF-8
 * checks of keys and values are skipped (_nocheck); so is the public URL,
 * ASCII by view.h's contract. What comes from a certificate is still
 * checked. */
void vw_set_str(json_t *o, const char *key, const char *val)
{
    json_object_set_new_nocheck(o, key, json_string_nocheck(val));
}

void vw_set_new(json_t *o, const char *key, json_t *val)
{
    json_object_set_new_nocheck(o, key, val);
}

const char *vw_label(json_t *t, const char *prefix, const char *key)
{
    char k[96];
    size_t pl = strlen(prefix), kl = key ? strlen(key) : 0;
    if (pl + kl >= sizeof k)
        return key ? key : "";
    memcpy(k, prefix, pl);
    memcpy(k + pl, key ? key : "", kl);
    k[pl + kl] = '\0';
    const char *s = json_string_value(json_object_get(t, k));
    return s != NULL ? s : (key ? key : "");
}

/* A signer's role in the page's words: the catalog's label, or for a role
 * the catalog does not know (the format allows any beyond the three it
 * requires) "Other signer (the_role)". */
static void set_role_label(json_t *o, json_t *t, const char *role)
{
    char k[96], text[256];
    snprintf(k, sizeof k, "role.%s", role);
    const char *known = json_string_value(json_object_get(t, k));
    if (known != NULL) {
        vw_set_str(o, "role_label", known);
        return;
    }
    snprintf(text, sizeof text, "%s (%s)", vw_label(t, "role.other", NULL), role);
    vw_set_new(o, "role_label", json_string(text)); /* checked: the cut may fall inside a character */
}

const char *view_label(json_t *t, const char *prefix, const char *key)
{
    return vw_label(t, prefix, key);
}

void view_role_label(json_t *o, json_t *t, const char *role)
{
    set_role_label(o, t, role);
}

static json_t *code_link(const char code[CODE_LEN], const char *lang_query)
{
    char c[CODE_LEN + 1], g[CODE_GROUPED_LEN + 1], url[64];
    code_str(code, c);
    code_format_grouped(code, g);
    snprintf(url, sizeof url, "/v/%s%.16s", c, lang_query);
    json_t *o = json_object();
    vw_set_str(o, "code", c);
    vw_set_str(o, "code_grouped", g);
    vw_set_str(o, "url", url);
    return o;
}

void vw_copy_member(json_t *dst, json_t *src, const char *name)
{
    json_t *m = json_object_get(src, name);
    if (json_is_string(m) || json_is_integer(m))
        json_object_set_nocheck(dst, name, m);
}

/* The transcript as its page lays it out: the envelope every schema shares
 * here, the year's results by the schema's own file (view_internal.h). */
static json_t *transcript_context(const payload_t *pl, json_t *t)
{
    json_t *r = pl->root, *o = json_object();
    json_t *school = json_object(), *student = json_object();
    json_t *s = json_object_get(r, "school"), *st = json_object_get(r, "student");
    char d[16];
    vw_copy_member(school, s, "code");
    vw_copy_member(school, s, "name");
    vw_copy_member(school, s, "province");
    vw_copy_member(school, s, "district");
    vw_copy_member(school, s, "ward");
    vw_copy_member(student, st, "id");
    vw_copy_member(student, st, "full_name");
    vw_copy_member(student, st, "ethnicity");
    vw_copy_member(student, st, "place_of_birth");
    date_vn(json_string_value(json_object_get(st, "date_of_birth")), d);
    vw_set_str(student, "date_of_birth", d);
    vw_set_str(student, "gender", vw_label(t, "gender.", json_string_value(json_object_get(st, "gender"))));
    set_masked_citizen_id(student, st, "citizen_id_masked");
    vw_set_new(o, "school", school);
    vw_set_new(o, "student", student);
    vw_copy_member(o, r, "grade");
    vw_copy_member(o, r, "class");
    vw_copy_member(o, r, "school_year");
    vw_copy_member(o, r, "remarks");
    date_vn(pl->issued_on, d);
    vw_set_str(o, "issued_on", d);
    json_t *awards = json_object_get(r, "awards");
    if (json_is_array(awards) && json_array_size(awards) > 0)
        json_object_set_nocheck(o, "awards", awards);
    if (pl->schema == PAYLOAD_SCHEMA_TRUNGHOC)
        vw_trunghoc_results(o, pl, t);
    else
        vw_tieuhoc_results(o, pl, t);
    return o;
}

json_t *view_page_context(const view_t *v, json_t *t, const char *lang_query, const char *public_url)
{
    char code[CODE_LEN + 1], g[CODE_GROUPED_LEN + 1], buf[512], d[32];
    const verdict_t *vd = v->verdict;
    code_str(v->code, code);
    code_format_grouped(v->code, g);
    json_t *c = json_object();
    if (c == NULL)
        return NULL;
    vw_set_str(c, "code", code);
    vw_set_str(c, "code_grouped", g);
    snprintf(buf, sizeof buf, "%s/v/%s", public_url, code);
    vw_set_str(c, "page_url", buf); /* --public-url is ASCII: main.c refuses anything else */
    vw_set_str(c, "status", view_status_name(v->status));
    vw_set_new(c, "is_valid", json_boolean(v->status == VIEW_VALID));
    vw_set_new(c, "is_recalled", json_boolean(v->status == VIEW_RECALLED));
    vw_set_new(c, "is_invalid", json_boolean(v->status == VIEW_INVALID));
    view_format_date(v->published_at, d);
    vw_set_str(c, "published_at", d);
    snprintf(buf, sizeof buf, "/v/%s/qr.svg", code);
    vw_set_str(c, "qr_svg_url", buf);
    snprintf(buf, sizeof buf, "/v/%s/qr.png", code);
    vw_set_str(c, "qr_png_url", buf);
    snprintf(buf, sizeof buf, "/v/%s/print%s", code, lang_query);
    vw_set_str(c, "print_url", buf);
    snprintf(buf, sizeof buf, "/v/%s%s", code, lang_query); /* the page, in the language it was read in */
    vw_set_str(c, "page_link", buf);

    json_t *failed = json_array(), *signers = json_array();
    for (size_t i = 0; vd != NULL && i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        if (it->ok)
            continue;
        const char *role = it->signer >= 0 ? vd->signers[it->signer].role : NULL;
        json_t *f = json_object();
        vw_set_str(f, "check_label", vw_label(t, "check.", verify_check_name(it->check)));
        if (role != NULL)
            set_role_label(f, t, role);
        else
            vw_set_str(f, "role_label", "");
        vw_set_new(f, "detail", json_string(it->detail)); /* may quote a certificate */
        json_array_append_new(failed, f);
    }
    vw_set_new(c, "checks_failed", failed);
    if (v->status == VIEW_INVALID) {
        vw_set_new(c, "transcript", json_null());
        vw_set_new(c, "signers", signers);
        vw_set_new(c, "recall", json_null());
        vw_set_new(c, "supersedes", json_null());
        return c;
    }
    for (size_t i = 0; vd != NULL && i < vd->nsigners; i++) {
        const verify_signer_t *s = &vd->signers[i];
        if (!s->has_signature)
            continue;
        d[0] = '\0';
        if (s->signing_time >= 0)
            view_format_datetime(s->signing_time, d);
        json_t *o = json_object();
        set_role_label(o, t, s->role);
        vw_set_str(o, "name", s->name);
        /* from the certificate: its CN, O and L, never another attribute (§5) */
        const char *const parts[][2] = {{"cn", s->cn}, {"o", s->o}, {"l", s->l}};
        for (size_t k = 0; k < 3; k++)
            if (parts[k][1][0] != '\0')
                vw_set_new(o, parts[k][0], json_string(parts[k][1]));
        vw_set_str(o, "signing_time", d);
        json_array_append_new(signers, o);
    }
    vw_set_new(c, "signers", signers);
    if (v->recalled) {
        char on[16];
        date_vn(v->recalled_on, on);
        json_t *r =
            json_pack("{s:s, s:s}", "recalled_on", on, "reason", v->recall_reason ? v->recall_reason : "");
        vw_set_new(r, "replacement", v->replaced ? code_link(v->replaced_by, lang_query) : json_null());
        vw_set_new(c, "recall", r);
    } else {
        vw_set_new(c, "recall", json_null());
    }
    vw_set_new(c, "supersedes", v->pl.has_supersedes ? code_link(v->pl.supersedes, lang_query) : json_null());
    vw_set_new(c, "transcript", transcript_context(&v->pl, t));
    return c;
}
