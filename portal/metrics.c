/* metrics.c — counters for /metrics in the Prometheus text format. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "portal/metrics.h"

static const char *const ROUTE_NAMES[ROUTE_COUNT] = {"home",  "lookup",  "page",   "print",  "qr",
                                                     "api",   "verify",  "static", "health", "metrics",
                                                     "other", "receipt", "check",  "stats"};
static const int STATUSES[] = {200, 301, 303, 400, 404, 405, 409, 413, 415, 429, 431, 500, 503};
#define NSTATUS (sizeof STATUSES / sizeof *STATUSES)
static const double BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
#define NBUCKETS (sizeof BUCKETS / sizeof *BUCKETS)

static atomic_ullong requests[ROUTE_COUNT][NSTATUS + 1];
static atomic_ullong latency[NBUCKETS + 1];
static atomic_ullong latency_count;
static _Atomic double latency_sum;
static atomic_ullong verdicts[3];
static atomic_ullong rate_limited;
static atomic_ullong cache_hits, cache_misses;

void metrics_request(int route, int status, double seconds)
{
    size_t si = NSTATUS;
    for (size_t i = 0; i < NSTATUS; i++)
        if (STATUSES[i] == status)
            si = i;
    if (route < 0 || route >= ROUTE_COUNT)
        route = ROUTE_OTHER;
    atomic_fetch_add(&requests[route][si], 1);
    size_t b = 0;
    while (b < NBUCKETS && seconds > BUCKETS[b])
        b++;
    atomic_fetch_add(&latency[b], 1);
    atomic_fetch_add(&latency_count, 1);
    double old = atomic_load(&latency_sum);
    while (!atomic_compare_exchange_weak(&latency_sum, &old, old + seconds))
        ;
}

void metrics_verdict(int status)
{
    int i = status == VIEW_VALID ? 0 : status == VIEW_RECALLED ? 1 : 2;
    atomic_fetch_add(&verdicts[i], 1);
}

void metrics_cache(int hit)
{
    atomic_fetch_add(hit ? &cache_hits : &cache_misses, 1);
}

void metrics_rate_limited(void)
{
    atomic_fetch_add(&rate_limited, 1);
}

/* A label value of the exposition format: backslash and double quote
 * escaped (a CA's CN holds no control character: trust.h). */
static const char *label(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (; *in && o + 3 < n; in++) {
        if (*in == '\\' || *in == '"')
            out[o++] = '\\';
        out[o++] = *in;
    }
    out[o] = '\0';
    return out;
}

void metrics_render(h2o_mem_pool_t *pool, h2o_iovec_t *out, const index_counts_t *c, trust_t *trust,
                    const int *conns, int nthreads)
{
    const trust_crl_info_t *ci = NULL;
    const trust_issuer_info_t *is = NULL;
    size_t ncrls = trust != NULL ? trust_crl_infos(trust, &ci) : 0;
    size_t nissuers = trust != NULL ? trust_issuer_infos(trust, &is) : 0;
    size_t cap = 16384 + (3 * ncrls + nissuers) * 320, len = 0;
    char *b = h2o_mem_alloc_pool(pool, cap);
#define OUT(...)                                                                                             \
    do {                                                                                                     \
        int n_ = snprintf(b + len, cap - len, __VA_ARGS__);                                                  \
        if (n_ > 0)                                                                                          \
            len += (size_t)n_ < cap - len ? (size_t)n_ : cap - len - 1;                                      \
    } while (0)
    OUT("# HELP hocba_requests_total HTTP requests by route and status.\n# TYPE hocba_requests_total "
        "counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (size_t s = 0; s <= NSTATUS; s++) {
            unsigned long long v = atomic_load(&requests[r][s]);
            if (v == 0)
                continue;
            if (s < NSTATUS)
                OUT("hocba_requests_total{route=\"%s\",status=\"%d\"} %llu\n", ROUTE_NAMES[r], STATUSES[s],
                    v);
            else
                OUT("hocba_requests_total{route=\"%s\",status=\"other\"} %llu\n", ROUTE_NAMES[r], v);
        }
    OUT("# HELP hocba_verdicts_total Verdicts computed, by status.\n# TYPE hocba_verdicts_total counter\n");
    OUT("hocba_verdicts_total{status=\"valid\"} %llu\n", (unsigned long long)atomic_load(&verdicts[0]));
    OUT("hocba_verdicts_total{status=\"recalled\"} %llu\n", (unsigned long long)atomic_load(&verdicts[1]));
    OUT("hocba_verdicts_total{status=\"invalid\"} %llu\n", (unsigned long long)atomic_load(&verdicts[2]));
    OUT("# HELP hocba_rate_limited_total Requests answered 429.\n# TYPE hocba_rate_limited_total counter\n");
    OUT("hocba_rate_limited_total %llu\n", (unsigned long long)atomic_load(&rate_limited));
    OUT("# HELP hocba_cache_lookups_total Answers of transcript routes looked up in the cache.\n"
        "# TYPE hocba_cache_lookups_total counter\n");
    OUT("hocba_cache_lookups_total{result=\"hit\"} %llu\n", (unsigned long long)atomic_load(&cache_hits));
    OUT("hocba_cache_lookups_total{result=\"miss\"} %llu\n", (unsigned long long)atomic_load(&cache_misses));
    OUT("# HELP hocba_request_seconds Time to answer a request.\n# TYPE hocba_request_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += atomic_load(&latency[i]);
        OUT("hocba_request_seconds_bucket{le=\"%g\"} %llu\n", BUCKETS[i], cum);
    }
    cum += atomic_load(&latency[NBUCKETS]);
    OUT("hocba_request_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    OUT("hocba_request_seconds_sum %.6f\n", atomic_load(&latency_sum));
    OUT("hocba_request_seconds_count %llu\n", (unsigned long long)atomic_load(&latency_count));
    OUT("# HELP hocba_open_connections Client connections each thread serves (they are spread evenly).\n"
        "# TYPE hocba_open_connections gauge\n");
    for (int i = 0; i < nthreads; i++)
        OUT("hocba_open_connections{thread=\"%d\"} %d\n", i, conns[i]);
    OUT("# HELP hocba_index_readable 1 when the index could be read for this scrape.\n"
        "# TYPE hocba_index_readable gauge\nhocba_index_readable %d\n",
        c != NULL);
    if (c != NULL) {
        OUT("# HELP hocba_trust_version Version of the trust inputs in the index.\n"
            "# TYPE hocba_trust_version gauge\nhocba_trust_version %llu\n",
            (unsigned long long)c->trust_version);
        OUT("# HELP hocba_index_transcripts Transcripts published.\n# TYPE hocba_index_transcripts gauge\n"
            "hocba_index_transcripts %llu\n",
            (unsigned long long)c->transcripts);
        OUT("# HELP hocba_index_recalls Recall notices published.\n# TYPE hocba_index_recalls gauge\n"
            "hocba_index_recalls %llu\n",
            (unsigned long long)c->recalls);
        if (c->last_published > 0)
            OUT("# HELP hocba_index_age_seconds Seconds since the last batch that published something.\n"
                "# TYPE hocba_index_age_seconds gauge\nhocba_index_age_seconds %lld\n",
                (long long)(time(NULL) - (time_t)c->last_published));
    }
    if (trust != NULL) {
        OUT("# HELP hocba_trust_certificates Certificates the shared trust store holds decoded (its bundles' "
            "and "
            "those of published records met since it was built).\n"
            "# TYPE hocba_trust_certificates gauge\nhocba_trust_certificates %zu\n",
            trust_cert_count(trust, NULL));
        /* package-format.md §6: each CRL's age, nextUpdate and whether it
         * verifies; labelled by its CA (8 hex digits of a hash of its name
         * and key, and its CN: no personal data) and its number. A CRL of
         * the same CA and number stored twice (DER and PEM) is one series,
         * the first. */
        static const char *const HELP[3][2] = {
            {"hocba_crl_age_seconds", "Seconds since each stored CRL's thisUpdate"},
            {"hocba_crl_next_update_timestamp_seconds",
             "Each stored CRL's nextUpdate, UTC seconds (a CRL past it still counts)"},
            {"hocba_crl_verifies",
             "1 when a stored CRL verifies against the trust anchors and intermediates and is used, else 0"},
        };
        time_t now = time(NULL);
        for (int g = 0; g < 3; g++) {
            OUT("# HELP %s %s.\n# TYPE %s gauge\n", HELP[g][0], HELP[g][1], HELP[g][0]);
            for (size_t i = 0; i < ncrls; i++) {
                size_t k = 0;
                while (k < i && !(strcmp(ci[k].issuer_hash, ci[i].issuer_hash) == 0 &&
                                  strcmp(ci[k].number, ci[i].number) == 0))
                    k++;
                if (k < i || (g == 1 && ci[i].next_update == 0))
                    continue;
                char cn[2 * TRUST_CN_LEN], num[2 * sizeof ci[i].number];
                long long v = g == 0   ? (long long)(now - ci[i].this_update)
                              : g == 1 ? (long long)ci[i].next_update
                                       : ci[i].verifies;
                OUT("%s{issuer=\"%s\",cn=\"%s\",number=\"%s\"} %lld\n", HELP[g][0], ci[i].issuer_hash,
                    label(ci[i].issuer_cn, cn, sizeof cn), label(ci[i].number, num, sizeof num), v);
            }
        }
        OUT("# HELP hocba_revocation_unchecked_issuers CAs that published CRLs but none of whose CRLs "
            "verifies "
            "now: every record with a certificate one of them issued answers 503.\n"
            "# TYPE hocba_revocation_unchecked_issuers gauge\nhocba_revocation_unchecked_issuers %zu\n",
            trust_issuers_unchecked(trust));
        OUT("# HELP hocba_issuer_revocation_checked Each CA that published CRLs: 1 when a CRL of it verifies "
            "now, 0 "
            "when its records answer 503.\n# TYPE hocba_issuer_revocation_checked gauge\n");
        for (size_t i = 0; i < nissuers; i++) {
            char cn[2 * TRUST_CN_LEN];
            OUT("hocba_issuer_revocation_checked{issuer=\"%s\",cn=\"%s\"} %d\n", is[i].hash,
                label(is[i].cn, cn, sizeof cn), is[i].checked);
        }
    }
#undef OUT
    out->base = b;
    out->len = len;
}
