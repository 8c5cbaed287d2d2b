/* portal_fixture.h — the group every test_portal_*.c runs in: demo data published into a fresh index
 * and the real hocba-portal serving it on a loopback port (docs: http.md, cli.md, docs/portal.md),
 * and the helpers the tests of more than one of those files use. Prefix pf_.
 *
 * The binaries are $HOCBA_BIN/hocba-{portal,publish,demo} (default bin/); tests run from the project
 * root, where the portal finds templates/ and static/. pf_group_setup makes demo data (40 pupils),
 * publishes its trust anchors, registry and batch (not its CRLs), signs one more transcript with the
 * stock openssl commands (tests/fixtures/portal-pkgs.sh stock: a pupil whose name and remarks hold
 * <script>, with citizen_id, address and guardian_name), publishes it, and starts the portal on a free
 * loopback port with --rate-limit 0 and an access log. Every test talks raw HTTP/1.1 to it
 * (tests/http.h), so hostile requests go out byte for byte. Each test binary makes its own group: no
 * state is shared between binaries, and each one's setup takes the few seconds the demo data costs.
 *
 * Tests that change what the portal serves (CRLs, trust anchors, a byte of a stored record, the
 * anchors in meta) restore it: the edits made with liblmdb (pf_lmdb_put) before their first
 * assertion, the publisher's at the end (a failure in between leaves the change for the later tests
 * of that binary). An edit of meta/anchors bumps trust_version, as every change of a trust input does
 * (docs/index-format.md): the portal reloads its trust store only when that version changes. The
 * codes each kind of test works on are picked apart (ctx_t), so that no two change the same one.
 *
 * Rate limits are tested on a second portal (pf_start_rl_portal: --rate-limit RL_LIMIT, no caches);
 * each test talks to it from its own loopback source address, and the limit is per client address
 * (docs/portal.md), so they do not share a bucket.
 *
 * Children get SIGKILL when the test process dies (PR_SET_PDEATHSIG), so a crash leaves no portal
 * behind. Unless LSAN_OPTIONS is set, the children get tests/lsan.supp, as under `make test`. Set
 * HOCBA_KEEP_TMP=1 to keep the temporary directory for a look after a failure.
 *
 * Memory: everything returned lives in the harness's arena until the group ends (harness.h). Not
 * thread-safe. The including file includes <cmocka.h> first (the helpers fail the test with
 * fail_msg). */
#ifndef HOCBA_TESTS_PORTAL_FIXTURE_H
#define HOCBA_TESTS_PORTAL_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "tests/harness.h"
#include "tests/http.h"

#define FIXTURES_SCRIPT "tests/fixtures/portal-pkgs.sh" /* signs packages with the stock openssl */
#define READY_TIMEOUT_MS 10000                          /* for a portal to answer /healthz 200 */
#define STOP_TIMEOUT_MS 5000                            /* for a portal to exit on SIGTERM */
#define CHILD_TIMEOUT_MS 120000                         /* for the publisher and the fixtures script */
#define RL_LIMIT 10                                     /* the second portal's --rate-limit */

/** A published transcript and the personal data its payload holds. */
typedef struct {
    char code[17];
    char stem[64]; /* DEMO/batch/STEM.json is its payload */
    char name[256], school[256], citizen_id[32], address[512], guardian[256];
    char teacher[256]; /* the declared name of the homeroom teacher */
} pupil_t;

/** The group's state, handed to every test as *state. */
typedef struct {
    const char *tmp;
    char demo[320], db[320], log[320], perr[320];
    const char *portal_bin, *publish_bin, *demo_bin;
    int port;
    pid_t pid; /* the portal, 0 once stopped */
    /* the rate-limited portal, started by the first test that needs it */
    int rl_port, rl_metrics_port;
    pid_t rl_pid;
    char rl_err[320];
    pid_t other_pid; /* a portal a test starts on an index of its own, 0 once stopped */

    harness_code_t *codes;
    size_t ncodes;
    pupil_t valid, valid2, tamper, victim, crl_bad, xss;
    char superseded_ok[17]; /* valid, its teacher revoked (superseded) after signing */
    char recalled_old[17], recalled_new[17], recalled_alone[17], notice[17];
    /* secondary transcripts (codes.txt's LEVEL): THCS grade 9 completed, THPT grade 12, a THCS grade 9
     * recalled and its replacement; sec_tamper is altered by one test (restored) */
    pupil_t sec9, sec12, sec_tamper;
    char sec_old[17], sec_new[17];
    char unknown[4][17]; /* valid spellings that nothing has */
} ctx_t;

/* ---- lookup codes (package-format.md §2) ------------------------------------------------------ */

/** A code grouped by four with hyphens: "ABCD-EFGH-JKMN-PQRS". */
const char *pf_grouped(const char *code);

/** s in lower case. */
const char *pf_lower(const char *s);

/** The code with its check symbol replaced by the next symbol: a typo. */
const char *pf_bad_check(const char *code);

/* ---- the publisher ---------------------------------------------------------------------------- */

/** Run hocba-publish --db (the group's index) ARG...; the run goes to *r.
 * @param r    receives the exit status and output (harness_run)
 * @param ...  the arguments, each a const char *, then NULL (14 at most) */
void pf_publish(ctx_t *c, harness_run_t *r, ...);

/** The same on another index: pf_publish_to(c, DB, &r, ARG..., NULL). */
void pf_publish_to(ctx_t *c, const char *db, harness_run_t *r, ...);

/** Publish on the group's index; the test fails unless the publisher exits 0. */
#define PUBLISH_OK(c, ...)                                                                                   \
    do {                                                                                                     \
        harness_run_t pr_;                                                                                   \
        pf_publish((c), &pr_, __VA_ARGS__, NULL);                                                            \
        HARNESS_EXPECT_EXIT(&pr_, 0);                                                                        \
    } while (0)

/** Publish on the index db; the test fails unless the publisher exits 0. */
#define PUBLISH_TO_OK(c, db, ...)                                                                            \
    do {                                                                                                     \
        harness_run_t pr_;                                                                                   \
        pf_publish_to((c), (db), &pr_, __VA_ARGS__, NULL);                                                   \
        HARNESS_EXPECT_EXIT(&pr_, 0);                                                                        \
    } while (0)

/* ---- HTTP to the group's portal (tests/http.h) ------------------------------------------------ */

/** One request to the group's portal from 127.0.0.1.
 * @param headers  extra header lines, each ending "\r\n", or NULL
 * @param body     bodylen bytes, or NULL
 * @return the answer (status 0 and err set when none came); never NULL. */
resp_t *pf_request(ctx_t *c, const char *method, const char *path, const char *headers, const char *body,
                   size_t bodylen);

/** GET path. */
resp_t *pf_get(ctx_t *c, const char *path);

/** GET path with extra header lines (each ending "\r\n"). */
resp_t *pf_get_h(ctx_t *c, const char *path, const char *headers);

/** POST len bytes of body with Content-Type: application/json. */
resp_t *pf_post_json(ctx_t *c, const char *path, const char *body, size_t len);

/* ---- what the answers must be (each fails the test with the exchange shown) ------------------ */

/** HTML in UTF-8. */
void pf_expect_html(const resp_t *r);

/** status, and a Location of path or of the public URL followed by path. */
void pf_expect_redirect(ctx_t *c, const resp_t *r, int status, const char *path);

/** What every HTML answer carries (http.md): a CSP of the portal's own origin only (frame-ancestors
 * 'none', no inline or eval script), and nosniff. */
void pf_expect_html_security_headers(const resp_t *r);

/** What transcript pages and API answers carry (http.md): no-store, noindex, no-referrer. */
void pf_expect_privacy_headers(const resp_t *r);

/** The group's portal is still running and /healthz says 200; if it ended, its output is shown. */
void pf_expect_alive(ctx_t *c);

/** GET the API for code (any spelling); expects 200 JSON.
 * @param rp  receives the answer, or NULL
 * @return the JSON document. */
json_t *pf_api(ctx_t *c, const char *code, resp_t **rp);

/** The API's "status" for code is want. */
void pf_expect_api_status(ctx_t *c, const char *code, const char *want);

/** The first member of j's "checks" named check whose "ok" is false, or NULL. */
json_t *pf_failed_check(const json_t *j, const char *check);

/** The API answers code "invalid", "transcript": null, and the check named check failed. */
void pf_expect_api_invalid(ctx_t *c, const char *code, const char *check);

/** r shows none of p's address, guardian and the first 9 digits of the citizen id (http.md). */
void pf_expect_no_personal_data(const resp_t *r, const pupil_t *p);

/** http.md: an invalid record's answer names nobody. No pupil, signer or school name, no certificate
 * subject (a signer's names its school in O=) in r, page, printed copy or API answer alike. */
void pf_expect_invalid_names_nobody(const resp_t *r, const pupil_t *p);

/* ---- the index, by hand (docs/index-format.md) ------------------------------------------------ */

/** A copy of table[key] of the group's index, NUL-terminated beyond *vlen, or NULL when absent;
 * any other error fails the test. */
void *pf_lmdb_get(ctx_t *c, const char *table, const void *key, size_t klen, size_t *vlen);

/** table[key] = val in one transaction of the group's index.
 * @param val   NULL: table[key] is deleted
 * @param bump  1: trust_version + 1 in the same transaction, as any change of a trust input does
 * The portal sees the change on its next read; a failure fails the test. */
void pf_lmdb_put(ctx_t *c, const char *table, const void *key, size_t klen, const void *val, size_t vlen,
                 int bump);

/** The record docs[code] with one ASCII letter of its payload flipped after the text `after`, stored
 * consistently (a 28-byte header, the payload as a zlib stream, the .p7s parts), in *nlenp bytes.
 * Writes nothing to the index.
 * @param newcode  receives the altered payload's own lookup code, NUL-terminated
 * @param origp    receives the original record, *lenp its length
 * @return the altered record. */
unsigned char *pf_altered_record(ctx_t *c, const char *code, const char *after, size_t *nlenp,
                                 char newcode[17], unsigned char **origp, size_t *lenp);

/** pf_altered_record stored under code itself.
 * @return the original record, *lenp its length, for the restore (pf_lmdb_put). */
unsigned char *pf_tamper_payload(ctx_t *c, const char *code, const char *after, size_t *lenp);

/* ---- the portals ------------------------------------------------------------------------------ */

/** Start, once per group, a second portal on the group's index: --rate-limit RL_LIMIT,
 * --cache-entries 0, --threads 2, --trusted-proxy 127.0.0.20, metrics on c->rl_metrics_port only,
 * its access log TMP/access-rl.log; returns once it answers /healthz 200 (c->rl_port, c->rl_pid). */
void pf_start_rl_portal(ctx_t *c);

/** GET path on the second portal from the loopback source address src. */
resp_t *pf_rl_get(ctx_t *c, const char *src, const char *path);

/** Stop the group's portal: SIGTERM, then exit 0 within STOP_TIMEOUT_MS (killed after that).
 * @return 0 (also when it was stopped already), or -1 with how it ended in why (n bytes). */
int pf_stop_portal(ctx_t *c, char *why, size_t n);

/* ---- the group -------------------------------------------------------------------------------- */

/** cmocka group teardown: kills the second and any other portal, stops the group's one (it must exit
 * 0 on SIGTERM, or the teardown fails), removes the temporary directory. */
int pf_group_teardown(void **state);

/** cmocka group setup: as the top of this file says; *state is a ctx_t. On failure it says why and
 * cleans up. */
int pf_group_setup(void **state);

#endif
