/* bench/coldpath.c — where a cold answer's time goes, stage by stage, in
 * one process with no network: read the record (inflate, rebuild the .p7s),
 * parse the payload, verify the signatures, build the page context, render.
 * The sum is what a cold page costs beyond the kernel and h2o; the
 * verification's floor is three RSA-2048 verifications (openssl speed).
 *   make build/coldpath
 *   build/coldpath INDEX TEMPLATES CODES [ROUNDS]      (CODES: one code a line) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup/index.h"
#include "lookup/jarena.h"
#include "lookup/render.h"
#include "lookup/view.h"

enum { READ, PARSE, VERIFY, CONTEXT, RENDER, NSTAGES };
static const char *names[NSTAGES] = {"read (inflate, .p7s)", "parse payload", "verify signatures",
                                     "page context", "render"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s INDEX TEMPLATES CODES [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    char why[512], path[4096], line[64];
    index_t *ix;
    MDB_txn *txn;
    render_set_t *tpl;
    trust_t *trust;
    trust_inputs_t in;
    str_t *crls = NULL;
    json_error_t err;
    jarena_install();
    if (index_open(argv[1], 1, &ix, why, sizeof why) != 0 || index_begin(ix, 1, &txn) != 0) {
        fprintf(stderr, "index: %s\n", why);
        return 1;
    }
    if (index_get_trust(ix, txn, &in, &crls) != 0 || trust_build(&in, &trust, why, sizeof why) != 0) {
        fprintf(stderr, "trust: %s\n", why);
        return 1;
    }
    if (render_load_dir(argv[2], &tpl, why, sizeof why) != 0) {
        fprintf(stderr, "templates: %s\n", why);
        return 1;
    }
    snprintf(path, sizeof path, "%s/i18n/vi.json", argv[2]);
    json_t *catalog = json_load_file(path, 0, &err);
    FILE *f = fopen(argv[3], "r");
    render_set_t *bound = NULL; /* the portal renders with its catalog bound */
    if (catalog == NULL || f == NULL || render_bind(tpl, "t", catalog, &bound) != RENDER_OK) {
        fprintf(stderr, "cannot read %s or %s\n", path, argv[3]);
        return 1;
    }
    size_t ncodes = 0, cap = 0;
    char(*codes)[CODE_LEN] = NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strlen(line) < CODE_LEN)
            continue;
        if (ncodes == cap && (codes = realloc(codes, (cap = cap ? 2 * cap : 1024) * CODE_LEN)) == NULL)
            return 1;
        memcpy(codes[ncodes++], line, CODE_LEN);
    }
    fclose(f);
    verdict_t *vd = malloc(sizeof *vd);
    jarena_t *arena = jarena_new(128 << 10);
    for (int round = 0; round < rounds; round++) {
        double t[NSTAGES] = {0};
        size_t pages = 0, bytes = 0;
        for (size_t i = 0; i < ncodes; i++) {
            index_doc_t doc;
            payload_t pl;
            view_t v;
            char pwhy[PAYLOAD_WHY_LEN];
            render_out_t out;
            memset(&out, 0, sizeof out);
            memset(&v, 0, sizeof v);
            jarena_begin(arena);
            double t0 = now();
            if (index_get_doc(ix, txn, codes[i], INDEX_WITH_CMS, &doc) != INDEX_OK) {
                index_doc_free(&doc);
                jarena_end(arena);
                continue;
            }
            double t1 = now();
            int ok = payload_parse(doc.payload.ptr, doc.payload.len, &pl, pwhy, sizeof pwhy) == PAYLOAD_OK;
            double t2 = now();
            /* as view_compute calls it: the code to check, the index's certificate hashes as hints */
            verify_shared_t shared = {
                .code = codes[i], .cert_hints = doc.cert_sha256, .ncert_hints = doc.ncerts};
            verify_package_shared(trust, ok ? &pl : NULL, (const uint8_t *)doc.payload.ptr, doc.payload.len,
                                  (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at, NULL, &shared,
                                  vd);
            double t3 = now();
            /* the view as view_compute makes it, without reading again */
            memcpy(v.code, codes[i], CODE_LEN);
            v.status = vd->ok ? VIEW_VALID : VIEW_INVALID;
            v.published_at = doc.published_at;
            v.pl = pl;
            v.verdict = vd;
            json_t *ctx = view_page_context(&v, catalog, "", "https://tra-cuu.example.vn");
            json_object_set_new(ctx, "t", json_incref(catalog));
            json_object_set_new(ctx, "lang", json_string("vi"));
            double t4 = now();
            if (render(bound, "transcript", ctx, &out) == 0) {
                pages++;
                bytes += out.len;
            }
            double t5 = now();
            json_decref(ctx);
            render_out_free(&out);
            payload_free(&pl);
            index_doc_free(&doc);
            jarena_end(arena);
            t[READ] += t1 - t0;
            t[PARSE] += t2 - t1;
            t[VERIFY] += t3 - t2;
            t[CONTEXT] += t4 - t3;
            t[RENDER] += t5 - t4;
        }
        double sum = 0;
        printf("round %d: %zu pages, %zu bytes each on average\n", round + 1, pages,
               pages ? bytes / pages : 0);
        for (int s = 0; s < NSTAGES; s++) {
            printf("  %-22s %7.1f us\n", names[s], pages ? t[s] / (double)pages * 1e6 : 0);
            sum += t[s];
        }
        printf("  %-22s %7.1f us\n", "total", pages ? sum / (double)pages * 1e6 : 0);
    }
    jarena_free(arena);
    free(vd);
    free(codes);
    json_decref(catalog);
    render_set_free(tpl);
    render_set_free(bound);
    trust_free(trust);
    free(crls);
    mdb_txn_abort(txn);
    index_close(ix);
    return 0;
}
