/* publish_status.c — `status`: what the index holds, and where its CRLs
 * and remembered CAs stand, as text or one JSON object. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup/index.h"
#include "lookup/trust.h"
#include "tools/publish.h"

/* An age in words: "3 days", "5 hours", "12 minutes". */
static const char *age_words(int64_t secs, char out[32])
{
    if (secs >= 2 * 86400)
        snprintf(out, 32, "%lld days", (long long)(secs / 86400));
    else if (secs >= 2 * 3600)
        snprintf(out, 32, "%lld hours", (long long)(secs / 3600));
    else
        snprintf(out, 32, "%lld minutes", (long long)(secs > 0 ? secs / 60 : 0));
    return out;
}

/* package-format.md §6: each stored CRL with its CA, number, age, nextUpdate
 * and whether it verifies; each remembered CA none of whose CRLs verifies. */
static void status_crls_text(const trust_t *t, int64_t now)
{
    const trust_crl_info_t *ci;
    const trust_issuer_info_t *is;
    size_t n = trust_crl_infos(t, &ci), ni = trust_issuer_infos(t, &is);
    char words[256], a[24], b[24], age[32];
    for (size_t i = 0; i < n; i++) {
        publish_crl_words(&ci[i], words, sizeof words);
        printf("%s: issued %s (%s ago), next update %s%s, %s\n", words, publish_rfc3339(ci[i].this_update, a),
               age_words(now - ci[i].this_update, age),
               ci[i].next_update ? publish_rfc3339(ci[i].next_update, b) : "none",
               ci[i].next_update && ci[i].next_update < now ? " (past: it still counts)" : "",
               ci[i].verifies     ? "verifies"
               : ci[i].incomplete ? "verifies but is NOT a complete CRL of its CA: not used (give the CA's "
                                    "full CRL)"
                                  : "does NOT verify against the trust anchors and intermediates: not used");
        if (ci[i].incomplete != NULL)
            printf("  it %s\n", ci[i].incomplete);
    }
    size_t unchecked = trust_issuers_unchecked(t);
    printf("CAs remembered as publishing CRLs: %zu (%zu with no CRL that verifies)\n", ni, unchecked);
    for (size_t i = 0; i < ni; i++)
        if (!is[i].checked)
            printf("warning: CA \"%s\" [%s] publishes CRLs, but none of them verifies against the trust %s: "
                   "every "
                   "record with a certificate it issued answers \"cannot check now\" (503) and batch refuses "
                   "its "
                   "packages until one does (hocba-publish crl)\n",
                   is[i].cn, is[i].hash,
                   is[i].in_store ? "store" : "store (its certificate is not in it either)");
}

static json_t *status_crls_json(const trust_t *t, int64_t now)
{
    const trust_crl_info_t *ci;
    const trust_issuer_info_t *is;
    size_t n = t != NULL ? trust_crl_infos(t, &ci) : 0, ni = t != NULL ? trust_issuer_infos(t, &is) : 0;
    json_t *crls = json_array(), *issuers = json_array();
    char a[24], b[24];
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            crls, json_pack("{s:s, s:s, s:s?, s:s, s:I, s:s?, s:b, s:b, s:s?}", "issuer", ci[i].issuer_hash,
                            "issuer_cn", ci[i].issuer_cn, "number", ci[i].number[0] ? ci[i].number : NULL,
                            "this_update", publish_rfc3339(ci[i].this_update, a), "age_seconds",
                            (json_int_t)(now - ci[i].this_update), "next_update",
                            ci[i].next_update ? publish_rfc3339(ci[i].next_update, b) : NULL,
                            "next_update_past", ci[i].next_update && ci[i].next_update < now, "verifies",
                            ci[i].verifies, "incomplete", ci[i].incomplete));
    for (size_t i = 0; i < ni; i++)
        json_array_append_new(issuers,
                              json_pack("{s:s, s:s, s:b, s:b}", "issuer", is[i].hash, "issuer_cn", is[i].cn,
                                        "checked", is[i].checked, "in_store", is[i].in_store));
    return json_pack("{s:o, s:o, s:I}", "crl_list", crls, "issuers", issuers, "issuers_unchecked",
                     (json_int_t)(t != NULL ? trust_issuers_unchecked(t) : 0));
}

int cmd_status(index_t *ix, int argc, char **argv)
{
    int json = argc == 1 && strcmp(argv[0], "--json") == 0;
    if (argc > 1 || (argc == 1 && !json))
        publish_die_usage();
    MDB_txn *txn;
    index_counts_t c;
    uint64_t log_seq = 0;
    char log_role[16] = "";
    int rc = index_begin(ix, 1, &txn);
    if (rc == 0) {
        rc = index_counts(ix, txn, &c);
        if (rc == 0)
            rc = index_log_position(ix, txn, &log_seq, log_role);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        fprintf(stderr, "hocba-publish: status: %s\n", index_strerror(rc));
        return EXIT_NOTHING;
    }
    char why[TRUST_WHY_LEN] = "";
    trust_t *trust = NULL;
    size_t anchors = 0, schools = 0, crls_bad = 0;
    int64_t now = (int64_t)time(NULL);
    if (publish_load_trust(ix, &trust, why, sizeof why) == 0) {
        anchors = trust_anchor_count(trust);
        schools = trust_school_count(trust);
        crls_bad = trust_crls_rejected(trust);
        why[0] = '\0';
    }
    if (json) {
        json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "transcripts", (json_int_t)c.transcripts,
                              "recalls", (json_int_t)c.recalls, "schools", (json_int_t)schools, "anchors",
                              (json_int_t)anchors, "crls", (json_int_t)c.crls, "crls_not_verifying",
                              (json_int_t)crls_bad, "trust_version", (json_int_t)c.trust_version);
        json_t *more = status_crls_json(trust, now);
        if (o != NULL && log_role[0] != '\0')
            json_object_set_new(o, "log",
                                json_pack("{s:s, s:I}", "role", log_role, "segment", (json_int_t)log_seq));
        char *text = o != NULL && more != NULL && json_object_update(o, more) == 0
                         ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                         : NULL;
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(o);
        json_decref(more);
        trust_free(trust);
        return text != NULL ? 0 : EXIT_NOTHING;
    }
    printf("transcripts: %llu\nrecalls: %llu\nschools: %zu\nanchors: %zu\ncrls: %llu\ntrust version: %llu\n",
           (unsigned long long)c.transcripts, (unsigned long long)c.recalls, schools, anchors,
           (unsigned long long)c.crls, (unsigned long long)c.trust_version);
    if (log_role[0] != '\0')
        printf("publication log: %s, at segment %llu\n", log_role, (unsigned long long)log_seq);
    if (trust != NULL)
        status_crls_text(trust, now);
    if (crls_bad > 0)
        printf("warning: %zu of the CRLs are not used: they no longer verify against the trust anchors, or "
               "are not complete CRLs of their CA\n",
               crls_bad);
    if (why[0] != '\0')
        printf("trust inputs: %s\n", why);
    trust_free(trust);
    return 0;
}
