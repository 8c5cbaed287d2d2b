/* test_hardening.c — issue 7: the index and the portal under crashes,
 * concurrent publishing, slow clients, stale readers, a full map and a full
 * disk (docs: cli.md, docs/index-format.md, docs/portal.md).
 *
 * Which binary each test runs (all tests run from the project root):
 *   - HOCBA_BIN (default bin/; the sanitizer builds under `make test`):
 *     `status` after every kill in test 1, the portal of tests 3 and 4, every
 *     publisher call of tests 4, 5 and 6;
 *   - HOCBA_REL_BIN (default bin/; the release builds): the demo data (group
 *     setup), the timed batch runs that test 1 kills and re-runs (kill points
 *     are fractions of a measured run, and a sanitizer build is 4-5 times
 *     slower), the portal and the publisher of test 2 (wrk load), and the
 *     publisher that fills the indexes tests 3 and 4 serve.
 *
 * The group setup makes demo data once (1,500 pupils, seed 7) and splits its
 * batch into two halves (a transcript, its recall and its replacement stay
 * in the same half) and a small batch of 10 plain transcripts, as hard links.
 * Each test builds the indexes it needs, so tests do not depend on one
 * another's order.
 *
 * Children get SIGKILL when this process dies (PR_SET_PDEATHSIG); the
 * teardown also kills whatever background child a failed test left and
 * unmounts the tmpfs of test 6. Unless LSAN_OPTIONS is set, the children get
 * tests/lsan.supp, as under `make test`. HOCBA_MAP_SIZE is removed from the
 * environment (test 5 sets it for its own children only). Set
 * HOCBA_KEEP_TMP=1 to keep the temporary directory after a failure.
 *
 * Debian packages: lmdb-utils (mdb_stat), wrk (test 2 is skipped without
 * it), libcmocka-dev, liblmdb-dev. Test 6 mounts a tmpfs and is skipped
 * when mount(2) is refused (it needs root / CAP_SYS_ADMIN). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/http.h"

#define DEMO_STUDENTS "1500"
#define DEMO_SEED "7"
#define DEMO_TIMEOUT_MS 120000
#define CHILD_TIMEOUT_MS 60000
#define READY_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 5000
#define MAP_SIZE 68719476736ULL /* docs/index-format.md: 64 GiB, as the programs */
#define SMALL_BATCH 10
#define MAX_BG 16

/* test 1: kill points, in per cent of a measured full run (the faster of
 * two); 0 is "as soon as the program runs" (after exec); KILL_AT_COMMIT is
 * "as soon as data.mdb grows", i.e. while the commit writes its pages,
 * before its meta page; KILL_AFTER_COMMIT is "as soon as stdout gets its
 * first bytes" (the lines are printed after the commit, block-buffered) */
#define KILL_AT_COMMIT (-1)
#define KILL_AFTER_COMMIT (-2)
static const int KILL_POINTS[] = {0, 5, 25, 50, 75, 95, 99, KILL_AT_COMMIT, KILL_AFTER_COMMIT};
#define NKILL (sizeof KILL_POINTS / sizeof KILL_POINTS[0])

/* test 2 */
#define WRK_THREADS "2"
#define WRK_CONNS "16"
#define WRK_SECONDS                                                                                          \
    120 /* at most: wrk is stopped (SIGINT) a second after the CRL, however long publishing took */

/* test 3 */
#define SLOW_IDLE 500
#define SLOW_HALF 500
#define SLOW_TOTAL (SLOW_IDLE + SLOW_HALF)
#define REAL_CLIENT_MAX_MS 1000
#define REQUEST_TIMEOUT_MS 10000 /* docs/portal.md: HTTP/1 request timeout 10 s */
#define CLOSE_SLACK_MS 1000

/* test 5 and 6 */
#define SMALL_MAP "2097152" /* 2 MiB */
#define SMALL_FS "size=3m"

/* Package counts of a batch directory. */
typedef struct {
    long packages, transcripts, recalls;
} counts_t;

/* The group's state, handed to every test. */
typedef struct {
    const char *tmp;
    char demo[272], batch[288], half1[288], half2[288], small[288];
    char anchors[320], inter[320], schools[320], crl_issuing[320], crl_root[320];
    const char *publish, *portal;                    /* HOCBA_BIN */
    const char *rel_publish, *rel_portal, *rel_demo; /* HOCBA_REL_BIN */
    harness_code_t *codes;                           /* each with the half batch that holds it */
    size_t ncodes;
    counts_t all, h1, h2, sm;
    int seq;
    pid_t bg[MAX_BG]; /* background children, killed by teardown */
    char mounted[400];
} ctx_t;

/* ---- child processes ------------------------------------------------------------- */

/* Run a publisher: pub(&r, BIN, DB, ENV, ARG..., NULL). */
static void pub(harness_run_t *r, const char *bin, const char *db, const char *const env[], ...)
{
    const char *argv[24];
    int argc = 0;
    argv[argc++] = bin;
    argv[argc++] = "--db";
    argv[argc++] = db;
    va_list ap;
    va_start(ap, env);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 23;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    harness_run(r, env, argv, CHILD_TIMEOUT_MS);
}

#define PUB_OK(bin, db, env, ...)                                                                            \
    do {                                                                                                     \
        harness_run_t pr_;                                                                                   \
        pub(&pr_, (bin), (db), (env), __VA_ARGS__, NULL);                                                    \
        HARNESS_EXPECT_EXIT(&pr_, 0);                                                                        \
    } while (0)

static void bg_add(ctx_t *c, pid_t pid)
{
    for (int i = 0; i < MAX_BG; i++)
        if (c->bg[i] <= 0) {
            c->bg[i] = pid;
            return;
        }
}

static void bg_forget(ctx_t *c, pid_t pid)
{
    for (int i = 0; i < MAX_BG; i++)
        if (c->bg[i] == pid)
            c->bg[i] = 0;
}

/* harness_start_bg, and the child listed for the teardown to kill. */
static pid_t spawn_bg(ctx_t *c, const char *const argv[], const char *outfile)
{
    pid_t pid = harness_start_bg(argv, outfile, 0);
    if (pid > 0)
        bg_add(c, pid);
    return pid;
}

/* harness_stop, and the child off the teardown's list. */
static int stop_bg(ctx_t *c, pid_t pid, int sig, long ms, int *st)
{
    int ended = harness_stop(pid, sig, ms, st);
    bg_forget(c, pid);
    return ended;
}

/* The full path of name in PATH, or NULL. */
static const char *find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        const char *cand = harness_printf("%.*s/%s", (int)n, path, name);
        if (n && access(cand, X_OK) == 0)
            return cand;
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* ---- reading the publisher's output ----------------------------------------------- */

/* `status` with bin on db: exit 0 and both counts present. */
static void status_counts(const char *bin, const char *db, const char *const env[], long *t, long *r)
{
    harness_run_t st;
    pub(&st, bin, db, env, "status", NULL);
    HARNESS_EXPECT_EXIT(&st, 0);
    *t = harness_count_of(st.out, "transcript", 0);
    *r = harness_count_of(st.out, "recall", 0);
    HARNESS_CHECK_RUN(
        *t >= 0 && *r >= 0, &st,
        "expected `%s` to print a count of transcripts and of recalls, got transcripts %ld, recalls %ld",
        st.cmd, *t, *r);
}

#define EXPECT_COUNTS(bin, db, env, want_t, want_r, when)                                                    \
    do {                                                                                                     \
        long t_, r_;                                                                                         \
        status_counts((bin), (db), (env), &t_, &r_);                                                         \
        if (t_ != (want_t) || r_ != (want_r))                                                                \
            fail_msg("expected `status` %s to count %ld transcripts and %ld recalls, got %ld and %ld",       \
                     (when), (long)(want_t), (long)(want_r), t_, r_);                                        \
    } while (0)

/* Check that each stdout line of a batch run is "STEM CODE OUTCOME" with
 * OUTCOME `want` ("published" or "already published"), and that there is one
 * line per package. */
static void expect_batch_lines(const harness_run_t *r, const char *want, long packages)
{
    long lines = 0, good = 0;
    char first_bad[400] = "";
    for (const char *p = r->out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            lines++;
            const char *sp1 = memchr(p, ' ', len);
            const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p)) : NULL;
            size_t rest = sp2 ? len - (size_t)(sp2 + 1 - p) : 0;
            if (sp2 && sp2 - sp1 == 17 && rest == strlen(want) && strncmp(sp2 + 1, want, rest) == 0)
                good++;
            else if (!first_bad[0])
                snprintf(first_bad, sizeof first_bad, "%.*s", (int)(len < 300 ? len : 300), p);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    HARNESS_CHECK_RUN(lines == packages && good == packages, r,
                      "expected %ld lines \"STEM CODE %s\" from `%s`, got %ld lines, %ld of them so%s%s%s",
                      packages, want, r->cmd, lines, good, first_bad[0] ? "; first other line: \"" : "",
                      first_bad, first_bad[0] ? "\"" : "");
}

/* ---- indexes ---------------------------------------------------------------------- */

static const char *new_db_path(ctx_t *c, const char *dir, const char *name)
{
    return harness_printf("%s/db-%02d-%s", dir ? dir : c->tmp, ++c->seq, name);
}

/* A new index with the demo's trust anchors and registry (no CRL). */
static const char *make_index(ctx_t *c, const char *dir, const char *name, const char *bin,
                              const char *const env[])
{
    const char *db = new_db_path(c, dir, name);
    PUB_OK(bin, db, env, "trust", c->anchors, c->inter);
    PUB_OK(bin, db, env, "schools", c->schools);
    return db;
}

/* mdb_stat -a DB exits 0 (lmdb-utils). */
static void expect_mdb_stat_ok(const char *db, const char *when)
{
    harness_run_t r;
    const char *argv[] = {"mdb_stat", "-a", db, NULL};
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_CHECK_RUN(r.status == 0, &r, "expected `mdb_stat -a %s` to exit 0 %s, got: %s", db, when,
                      harness_ending(&r));
}

/* Start a portal (bin) on db, wait for GET /healthz 200. */
static pid_t start_portal(ctx_t *c, const char *bin, const char *db, int *port, const char *outfile)
{
    *port = harness_free_port();
    if (*port <= 0)
        fail_msg("expected a free loopback port, found none");
    const char *listen = harness_printf("127.0.0.1:%d", *port);
    const char *argv[] = {bin, "--db", db, "--listen", listen, "--rate-limit", "0", NULL};
    pid_t pid = spawn_bg(c, argv, outfile);
    if (pid <= 0)
        fail_msg("expected to start %s, failed: %s", bin, strerror(errno));
    char why[160];
    pid_t waited = pid;
    if (http_wait_healthy(&waited, *port, outfile, READY_TIMEOUT_MS, why, sizeof why) == 0)
        return pid;
    if (waited == 0)
        bg_forget(c, pid); /* reaped */
    fail_msg("expected the portal %s to answer GET /healthz 200 once started: %s", bin, why);
    return -1;
}

/* SIGTERM the portal; it must exit 0 within STOP_TIMEOUT_MS (cli.md). */
static void stop_portal(ctx_t *c, pid_t pid, const char *outfile)
{
    int st;
    int ended = stop_bg(c, pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    if (!ended || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        harness_dump_file_tail("portal output", outfile);
        fail_msg("expected the portal to exit 0 within %d ms of SIGTERM, got: %s%s", STOP_TIMEOUT_MS,
                 ended ? harness_wait_status_text(st) : "still running (killed)",
                 harness_sanitizer_note(outfile));
    }
}

static void expect_running(ctx_t *c, pid_t pid, const char *outfile, const char *when)
{
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
        bg_forget(c, pid);
        harness_dump_file_tail("portal output", outfile);
        fail_msg("expected the portal to be running %s, it ended: %s%s", when, harness_wait_status_text(st),
                 harness_sanitizer_note(outfile));
    }
}

/* ---- the demo's codes --------------------------------------------------------------- */

static const harness_code_t *code_of_stem(ctx_t *c, const char *stem)
{
    for (size_t i = 0; i < c->ncodes; i++)
        if (strcmp(c->codes[i].stem, stem) == 0)
            return &c->codes[i];
    return NULL;
}

/* The n-th (from 0) plain valid transcript of a half, or fail. */
static const harness_code_t *plain_valid(ctx_t *c, int half, int n)
{
    for (size_t i = 0; i < c->ncodes; i++) {
        const harness_code_t *e = &c->codes[i];
        if (e->half == half && e->plain && strcmp(e->expect, "valid") == 0 && n-- == 0)
            return e;
    }
    fail_msg("expected enough plain valid transcripts in half %d of the demo batch, found too few", half);
    return NULL;
}

static const harness_code_t *first_with(ctx_t *c, const char *expect)
{
    for (size_t i = 0; i < c->ncodes; i++)
        if (strcmp(c->codes[i].expect, expect) == 0)
            return &c->codes[i];
    fail_msg("expected a code marked %s in the demo's codes.txt, found none", expect);
    return NULL;
}

/* ---- test 1: kill -9 the publisher ----------------------------------------------------- */

/* 1 while pid has not ended; leaves it to be reaped. */
static int still_running(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

static void test_publisher_killed_at_any_point_leaves_a_consistent_index(void **state)
{
    ctx_t *c = *state;
    const long T = c->all.transcripts, R = c->all.recalls, P = c->all.packages;

    /* full runs, timed from fork to exit, on indexes like the others */
    long full = -1;
    for (int i = 0; i < 2; i++) {
        const char *mdb = make_index(c, NULL, "kill-measure", c->rel_publish, NULL);
        harness_run_t r;
        pub(&r, c->rel_publish, mdb, NULL, "batch", c->batch, NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        expect_batch_lines(&r, "published", P);
        EXPECT_COUNTS(c->publish, mdb, NULL, T, R, "after a measured full run");
        full = full < 0 || r.ms < full ? r.ms : full;
    }
    print_message("full batch run (%ld packages, release build): %ld ms\n", P, full);

    int survived = 0, killed_mid = 0;
    for (size_t k = 0; k < NKILL; k++) {
        const int pct = KILL_POINTS[k];
        const char *db = make_index(c, NULL,
                                    pct == KILL_AT_COMMIT      ? "kill-commit"
                                    : pct == KILL_AFTER_COMMIT ? "kill-after-commit"
                                                               : harness_printf("kill-%d", pct),
                                    c->rel_publish, NULL);
        const char *outfile = harness_printf("%s.killed-run.out", db);
        const char *argv[] = {c->rel_publish, "--db", db, "batch", c->batch, NULL};
        long t0 = harness_now_ms();
        pid_t pid = spawn_bg(c, argv, outfile);
        if (pid <= 0)
            fail_msg("expected to start %s, failed: %s", c->rel_publish, strerror(errno));
        const char *point;
        if (pct == KILL_AT_COMMIT || pct == KILL_AFTER_COMMIT) {
            const char *watched = pct == KILL_AT_COMMIT ? harness_printf("%s/data.mdb", db) : outfile;
            off_t before = harness_file_size(watched), size = before;
            while (size <= before && harness_now_ms() - t0 < 3 * full + 5000 && still_running(pid)) {
                struct timespec ts = {0, 100000};
                nanosleep(&ts, NULL);
                size = harness_file_size(watched);
            }
            point = pct == KILL_AT_COMMIT
                        ? harness_printf("at the commit (data.mdb %lld -> %lld bytes)", (long long)before,
                                         (long long)size)
                        : harness_printf("after the commit (stdout %lld bytes)", (long long)size);
        } else {
            harness_sleep_ms(full * pct / 100 - (harness_now_ms() - t0));
            point = harness_printf("at %d%%", pct);
        }
        long at = harness_now_ms() - t0;
        kill(pid, SIGKILL);
        int st;
        if (!harness_wait_exit(pid, STOP_TIMEOUT_MS, &st))
            fail_msg("expected the publisher to end on SIGKILL, it did not within %d ms", STOP_TIMEOUT_MS);
        bg_forget(c, pid);
        int was_killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        if (!was_killed && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            harness_dump_file_tail("the batch run that was to be killed", outfile);
            fail_msg("kill %s: expected the batch to be killed or to have ended with exit 0, got: %s", point,
                     harness_wait_status_text(st));
        }
        killed_mid += was_killed;
        const char *when = harness_printf("after kill -9 %s, %ld ms into a %ld ms run", point, at, full);

        /* (a) LMDB's own checker reads every table */
        expect_mdb_stat_ok(db, when);
        /* (b) nothing or everything: one transaction */
        long t, rc_;
        status_counts(c->publish, db, NULL, &t, &rc_);
        if (!((t == 0 && rc_ == 0) || (t == T && rc_ == R)))
            fail_msg(
                "expected `status` %s to count 0 transcripts and 0 recalls or all %ld and %ld, got %ld and "
                "%ld: a part of the batch was committed",
                when, T, R, t, rc_);
        /* (c) the batch again: publishes what is missing, each package once */
        harness_run_t again;
        pub(&again, c->rel_publish, db, NULL, "batch", c->batch, NULL);
        HARNESS_EXPECT_EXIT(&again, 0);
        expect_batch_lines(&again, t == 0 ? "published" : "already published", P);
        EXPECT_COUNTS(c->publish, db, NULL, T, R, harness_printf("after re-running the batch %s", when));
        pub(&again, c->rel_publish, db, NULL, "batch", c->batch, NULL);
        HARNESS_EXPECT_EXIT(&again, 0);
        expect_batch_lines(&again, "already published", P);
        EXPECT_COUNTS(c->publish, db, NULL, T, R, harness_printf("after the second re-run %s", when));
        print_message("kill %s, %ld ms in: %s; index then held %s\n", point, at,
                      was_killed ? "killed by SIGKILL" : "had already exited 0",
                      t == 0 ? "nothing of the batch" : "the whole batch");
        survived++;
    }
    print_message("kill points survived: %d of %zu (%d of them killed the publisher mid-run)\n", survived,
                  (size_t)NKILL, killed_mid);
}

/* ---- test 2: serving under wrk while publishing --------------------------------------- */

static void test_portal_serves_without_errors_while_a_batch_and_a_crl_are_published(void **state)
{
    ctx_t *c = *state;
    const char *wrk = find_in_path("wrk");
    if (!wrk) {
        print_message("SKIP: wrk is not installed (Debian package wrk: apt-get install -y wrk)\n");
        skip();
    }
    const char *db = make_index(c, NULL, "serve", c->rel_publish, NULL);
    PUB_OK(c->rel_publish, db, NULL, "batch", c->half1);

    const harness_code_t *crl = first_with(c, "invalid-after-crl");
    if (crl->half != 1)
        fail_msg("expected the invalid-after-crl code %s in the first half batch, it is in the second",
                 crl->code);
    const harness_code_t *later = plain_valid(c, 2, 0);
    const char *paths[6];
    for (int i = 0; i < 4; i++)
        paths[i] = harness_printf("/v/%s", plain_valid(c, 1, i * 37)->code);
    paths[4] = harness_printf("/v/%s", crl->code);
    paths[5] = harness_api_path(plain_valid(c, 1, 5)->code);
    const char *script = harness_printf("%s/rotate.lua", c->tmp);
    FILE *f = fopen(script, "w");
    if (!f)
        fail_msg("expected to write %s, failed: %s", script, strerror(errno));
    fprintf(f, "local paths = {");
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", paths[i]);
    fprintf(f, "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
               "  return wrk.format(\"GET\", paths[(i %% #paths) + 1])\nend\n");
    if (fclose(f) != 0)
        fail_msg("expected to write %s, failed: %s", script, strerror(errno));

    const char *perr = harness_printf("%s/serve-portal.out", c->tmp);
    int port;
    pid_t portal = start_portal(c, c->rel_portal, db, &port, perr);
    resp_t *h = http_get(port, harness_printf("/v/%s", later->code));
    EXPECT_STATUS(h, 404);
    h = http_get(port, harness_api_path(crl->code));
    EXPECT_STATUS(h, 200);
    const char *s = http_json_string(h, "status");
    EXPECT(h, s && strcmp(s, "valid") == 0,
           "expected \"status\": \"valid\" for %s before the CRL, got \"%s\"", crl->code, s ? s : "");

    const char *wout = harness_printf("%s/wrk.out", c->tmp);
    const char *url = harness_printf("http://127.0.0.1:%d", port);
    const char *secs = harness_printf("%ds", WRK_SECONDS);
    const char *wargv[] = {wrk, "-t" WRK_THREADS, "-c" WRK_CONNS, "-d", secs, "--latency", "-s", script, url,
                           NULL};
    long w0 = harness_now_ms();
    pid_t wpid = spawn_bg(c, wargv, wout);
    if (wpid <= 0)
        fail_msg("expected to start %s, failed: %s", wrk, strerror(errno));
    harness_sleep_ms(1000);

    /* the second half batch: its codes are served from the next request on */
    harness_run_t pr;
    pub(&pr, c->rel_publish, db, NULL, "batch", c->half2, NULL);
    HARNESS_EXPECT_EXIT(&pr, 0);
    long batch_done = harness_now_ms() - w0;
    h = http_get(port, harness_printf("/v/%s", later->code));
    EXPECT_STATUS(h, 200);
    long batch_seen_ms = h->ms;
    harness_sleep_ms(1000);

    /* the CRL: the revoked teacher's transcripts are invalid from the next request on */
    pub(&pr, c->rel_publish, db, NULL, "crl", c->crl_issuing, c->crl_root, NULL);
    HARNESS_EXPECT_EXIT(&pr, 0);
    long crl_done = harness_now_ms() - w0;
    h = http_get(port, harness_api_path(crl->code));
    EXPECT_STATUS(h, 200);
    s = http_json_string(h, "status");
    EXPECT(h, s && strcmp(s, "invalid") == 0,
           "expected \"status\": \"invalid\" for %s right after the CRL commit, got \"%s\"", crl->code,
           s ? s : "");
    int st;
    if (waitpid(wpid, &st, WNOHANG) == wpid) {
        bg_forget(c, wpid);
        harness_dump_file_tail("wrk output", wout);
        fail_msg(
            "expected wrk to be still running when the CRL was committed (%ld ms after it started), it had "
            "ended: %s",
            crl_done, harness_wait_status_text(st));
    }
    /* the load goes on a second past the CRL; then wrk stops and reports (SIGINT: it prints its
     * figures and exits 0), so that a slow machine's publishing never outlasts the run */
    harness_sleep_ms(1000);
    kill(wpid, SIGINT);
    if (!harness_wait_exit(wpid, 10000L, &st)) {
        stop_bg(c, wpid, SIGKILL, STOP_TIMEOUT_MS, &st);
        fail_msg("expected wrk to end within 10 s of SIGINT, it did not");
    }
    long wrk_ms = harness_now_ms() - w0;
    bg_forget(c, wpid);
    expect_running(c, portal, perr, "after the wrk run");
    char *out = harness_read_file(wout, NULL);
    if (!out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        harness_dump_file_tail("wrk output", wout);
        fail_msg("expected wrk to exit 0, got: %s", harness_wait_status_text(st));
    }
    const char *req = strstr(out, " requests in ");
    long requests = 0;
    if (req) {
        const char *b = req;
        while (b > out && isdigit((unsigned char)b[-1]))
            b--;
        requests = strtol(b, NULL, 10);
    }
    if (strstr(out, "Non-2xx or 3xx responses") || strstr(out, "Socket errors") || requests <= 0) {
        harness_dump_file_tail("wrk output", wout);
        fail_msg(
            "expected wrk to report requests and neither \"Non-2xx or 3xx responses\" nor \"Socket errors\" "
            "while a batch and a CRL were published, got the output above");
    }
    const char *rps = strstr(out, "Requests/sec:");
    print_message(
        "wrk -t%s -c%s for %ld ms (release portal): %ld requests, 0 errors, %.*s; batch of %ld packages "
        "committed at %ld ms, its code served 200 in %ld ms; CRL committed at %ld ms, verdict invalid "
        "in %ld ms\n",
        WRK_THREADS, WRK_CONNS, wrk_ms, requests, rps ? (int)strcspn(rps, "\n") : 0, rps ? rps : "",
        c->h2.packages, batch_done, batch_seen_ms, crl_done, h->ms);
    stop_portal(c, portal, perr);
}

/* ---- test 3: a thousand slow connections ------------------------------------------------ */

typedef struct {
    int fd;
    int half;    /* sent half a request */
    long t_sent; /* when its bytes went out (or it connected) */
    long closed; /* ms from t_sent to the server's close, -1 while open */
    int answered;
} slow_t;

static void close_slow(slow_t *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i].fd >= 0) {
            close(s[i].fd);
            s[i].fd = -1;
        }
}

static void test_thousand_idle_and_half_sent_connections_do_not_block_a_real_client(void **state)
{
    ctx_t *c = *state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < SLOW_TOTAL + 512) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 8192 ? 8192 : rl.rlim_max;
        rl.rlim_cur = want;
        if (want < SLOW_TOTAL + 512 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fail_msg("expected to raise RLIMIT_NOFILE to %d for %d connections, the hard limit is %llu",
                     SLOW_TOTAL + 512, SLOW_TOTAL, (unsigned long long)rl.rlim_max);
    }
    const char *db = make_index(c, NULL, "slow", c->rel_publish, NULL);
    PUB_OK(c->rel_publish, db, NULL, "batch", c->half1);
    const char *code = plain_valid(c, 1, 3)->code;
    const char *perr = harness_printf("%s/slow-portal.out", c->tmp);
    int port;
    pid_t portal = start_portal(c, c->portal, db, &port, perr);

    slow_t *s = harness_malloc(SLOW_TOTAL * sizeof *s);
    for (int i = 0; i < SLOW_TOTAL; i++) {
        s[i] = (slow_t){.fd = http_connect(NULL, port, 0), .half = i % 2, .closed = -1};
        if (s[i].fd < 0) {
            int e = errno;
            close_slow(s, i);
            fail_msg("expected to open connection %d of %d, failed: %s", i + 1, SLOW_TOTAL, strerror(e));
        }
    }
    /* wait until every connect completed, then send the halves */
    const char *half_req =
        harness_printf("GET /v/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: slow", code, port);
    struct pollfd *p = harness_malloc(SLOW_TOTAL * sizeof *p);
    int connected = 0;
    long deadline = harness_now_ms() + 10000;
    char *done = harness_malloc(SLOW_TOTAL);
    memset(done, 0, SLOW_TOTAL);
    while (connected < SLOW_TOTAL && harness_now_ms() < deadline) {
        for (int i = 0; i < SLOW_TOTAL; i++)
            p[i] = (struct pollfd){.fd = done[i] ? -1 : s[i].fd, .events = POLLOUT};
        if (poll(p, SLOW_TOTAL, 200) <= 0)
            continue;
        for (int i = 0; i < SLOW_TOTAL; i++) {
            if (done[i] || !(p[i].revents & (POLLOUT | POLLERR | POLLHUP)))
                continue;
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(s[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err != 0) {
                close_slow(s, SLOW_TOTAL);
                fail_msg("expected connection %d of %d to be accepted, got: %s", i + 1, SLOW_TOTAL,
                         strerror(err));
            }
            done[i] = 1;
            connected++;
            s[i].t_sent = harness_now_ms();
            if (s[i].half &&
                send(s[i].fd, half_req, strlen(half_req), MSG_NOSIGNAL) != (ssize_t)strlen(half_req)) {
                int e = errno;
                close_slow(s, SLOW_TOTAL);
                fail_msg("expected to send half a request on connection %d, failed: %s", i + 1, strerror(e));
            }
        }
    }
    if (connected < SLOW_TOTAL) {
        close_slow(s, SLOW_TOTAL);
        fail_msg("expected %d connections to complete within 10 s, %d did", SLOW_TOTAL, connected);
    }
    long last_sent = harness_now_ms();

    /* a real client among them */
    resp_t *hz = http_get(port, "/healthz");
    resp_t *pg = http_get(port, harness_printf("/v/%s", code));
    if (hz->status != 200 || hz->ms >= REAL_CLIENT_MAX_MS) {
        close_slow(s, SLOW_TOTAL);
        http_dump(hz);
        fail_msg(
            "expected GET /healthz to answer 200 in under %d ms among %d slow connections, got %d in %ld ms",
            REAL_CLIENT_MAX_MS, SLOW_TOTAL, hz->status, hz->ms);
    }
    if (pg->status != 200 || pg->ms >= REAL_CLIENT_MAX_MS) {
        close_slow(s, SLOW_TOTAL);
        http_dump(pg);
        fail_msg(
            "expected GET /v/%s to answer 200 in under %d ms among %d slow connections, got %d in %ld ms",
            code, REAL_CLIENT_MAX_MS, SLOW_TOTAL, pg->status, pg->ms);
    }

    /* the server closes the half-sent ones after its request timeout */
    int half_closed = 0, idle_closed = 0;
    long half_max = -1, half_min = -1, idle_max = -1, half_done_at = -1;
    deadline = last_sent + REQUEST_TIMEOUT_MS + 3000;
    while (harness_now_ms() < deadline) {
        if (half_closed == SLOW_HALF && (idle_closed == SLOW_IDLE || harness_now_ms() - half_done_at > 1500))
            break;
        for (int i = 0; i < SLOW_TOTAL; i++)
            p[i] = (struct pollfd){.fd = s[i].closed >= 0 ? -1 : s[i].fd, .events = POLLIN};
        if (poll(p, SLOW_TOTAL, 100) <= 0)
            continue;
        long now = harness_now_ms();
        for (int i = 0; i < SLOW_TOTAL; i++) {
            if (s[i].closed >= 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = recv(s[i].fd, buf, sizeof buf, 0);
            if (got > 0) {
                s[i].answered = 1;
                continue;
            }
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            s[i].closed = now - s[i].t_sent;
            if (s[i].half) {
                half_closed++;
                half_max = s[i].closed > half_max ? s[i].closed : half_max;
                half_min = half_min < 0 || s[i].closed < half_min ? s[i].closed : half_min;
                if (half_closed == SLOW_HALF)
                    half_done_at = now;
            } else {
                idle_closed++;
                idle_max = s[i].closed > idle_max ? s[i].closed : idle_max;
            }
        }
    }
    int answered = 0;
    for (int i = 0; i < SLOW_TOTAL; i++)
        answered += s[i].answered;
    close_slow(s, SLOW_TOTAL);
    print_message(
        "among %d slow connections (sanitizer portal): GET /healthz 200 in %ld ms, GET /v/CODE 200 in %ld "
        "ms; half-sent closed by the server: %d of %d, after %ld to %ld ms; idle closed: %d of %d (last "
        "after %ld ms); %d got bytes before the close\n",
        SLOW_TOTAL, hz->ms, pg->ms, half_closed, SLOW_HALF, half_min, half_max, idle_closed, SLOW_IDLE,
        idle_max, answered);
    if (half_closed < SLOW_HALF || half_max > REQUEST_TIMEOUT_MS + CLOSE_SLACK_MS)
        fail_msg("expected the server to close all %d half-sent connections within its %d ms request timeout "
                 "(+%d ms slack), it closed %d, the last after %ld ms",
                 SLOW_HALF, REQUEST_TIMEOUT_MS, CLOSE_SLACK_MS, half_closed, half_max);

    expect_running(c, portal, perr, "after the slow connections");
    resp_t *after = http_get(port, "/healthz");
    EXPECT_STATUS(after, 200);
    after = http_get(port, harness_printf("/v/%s", code));
    EXPECT_STATUS(after, 200);
    stop_portal(c, portal, perr);
}

/* ---- test 4: stale reader slots ----------------------------------------------------------- */

/* In a child: open db read-only with liblmdb, begin a read txn when
 * with_txn, say so on fd, then wait to be killed. */
static void lmdb_child(const char *db, int with_txn, int fd)
{
    MDB_env *env;
    MDB_txn *txn;
    if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t)MAP_SIZE) != 0 ||
        mdb_env_set_maxreaders(env, 256) != 0 || mdb_env_set_maxdbs(env, 8) != 0 ||
        mdb_env_open(env, db, MDB_RDONLY, 0640) != 0)
        _exit(3);
    if (with_txn && mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
        _exit(4);
    char ok = 'y';
    if (write(fd, &ok, 1) != 1)
        _exit(5);
    for (;;)
        pause();
}

/* Fork an LMDB reader child; returns once it holds what it was asked to. */
static pid_t start_lmdb_child(ctx_t *c, const char *db, int with_txn)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        fail_msg("expected a pipe, got: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        harness_child_prepare();
        close(fds[0]);
        lmdb_child(db, with_txn, fds[1]);
        _exit(6);
    }
    close(fds[1]);
    if (pid < 0)
        fail_msg("expected to fork a reader, got: %s", strerror(errno));
    bg_add(c, pid);
    char ok = 0;
    struct pollfd pf = {.fd = fds[0], .events = POLLIN};
    int ready = poll(&pf, 1, 10000) == 1 && read(fds[0], &ok, 1) == 1 && ok == 'y';
    close(fds[0]);
    if (!ready) {
        int st;
        stop_bg(c, pid, SIGKILL, STOP_TIMEOUT_MS, &st);
        fail_msg("expected a child to open %s read-only with liblmdb%s, it did not (%s)", db,
                 with_txn ? " and begin a read txn" : "", harness_wait_status_text(st));
    }
    return pid;
}

/* 1 when `mdb_stat -r db` lists a reader slot of pid. */
static int reader_listed(const char *db, pid_t pid, harness_run_t *r)
{
    const char *argv[] = {"mdb_stat", "-r", db, NULL};
    harness_run(r, NULL, argv, CHILD_TIMEOUT_MS);
    /* mdb_stat -r exits 1 when it printed a reader table (its rc is fputs's
     * return value), so the table itself is what is checked */
    HARNESS_CHECK_RUN(strstr(r->out, "Reader Table Status") != NULL, r,
                      "expected `mdb_stat -r %s` to print its \"Reader Table Status\", got: %s", db,
                      harness_ending(r));
    for (const char *p = r->out; *p;) {
        while (*p == ' ')
            p++;
        if (isdigit((unsigned char)*p) && strtol(p, NULL, 10) == (long)pid)
            return 1;
        p += strcspn(p, "\n");
        if (*p)
            p++;
    }
    return 0;
}

/* `mdb_stat -rr db` says no stale readers were left to clear. */
static void expect_no_stale(const char *db, const char *when)
{
    harness_run_t r;
    const char *argv[] = {"mdb_stat", "-rr", db, NULL};
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    const char *p = strstr(r.out, "stale readers cleared");
    const char *b = p;
    while (b && b > r.out && (b[-1] == ' ' || isdigit((unsigned char)b[-1])))
        b--;
    long n = p ? strtol(b, NULL, 10) : -1;
    HARNESS_CHECK_RUN(n == 0, &r, "expected `mdb_stat -rr` %s to say \"0 stale readers cleared\", got %ld%s",
                      when, n, p ? "" : " (no such line)");
}

/* A reader killed with its read txn open; returns its pid, listed. */
static pid_t killed_reader(ctx_t *c, const char *db)
{
    pid_t victim = start_lmdb_child(c, db, 1);
    int st;
    stop_bg(c, victim, SIGKILL, STOP_TIMEOUT_MS, &st);
    harness_run_t r;
    HARNESS_CHECK_RUN(reader_listed(db, victim, &r), &r,
                      "expected `mdb_stat -r` to list the reader slot of the killed process %d, it does not",
                      (int)victim);
    return victim;
}

/* The CPU ticks (user + system) process pid has used, or -1. */
static long cpu_ticks(pid_t pid)
{
    char *stat = harness_read_file(harness_printf("/proc/%d/stat", (int)pid), NULL);
    const char *p = stat != NULL ? strrchr(stat, ')') : NULL;
    unsigned long ut = 0, st = 0;
    /* after the command: state, then fields 4 to 13, then utime (14) and stime (15) */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)(ut + st);
}

/* Out of descriptors, accept fails while the listener stays readable: the portal's threads spun at
 * 100 % CPU, each retrying, until clients left (found by a review). They now leave the listeners
 * for 100 ms at a time: the CPU stays low while connections wait in the backlog, and the portal
 * answers again once descriptors are free. */
static void test_out_of_descriptors_the_portal_waits_instead_of_spinning(void **state)
{
    ctx_t *c = *state;
    const char *db = make_index(c, NULL, "nofile", c->rel_publish, NULL);
    PUB_OK(c->rel_publish, db, NULL, "batch", c->small);
    const char *perr = harness_printf("%s/nofile-portal.out", c->tmp);
    int port;
    pid_t portal = start_portal(c, c->portal, db, &port, perr);
    int open_fds = 0;
    DIR *d = opendir(harness_printf("/proc/%d/fd", (int)portal));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        open_fds += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    struct rlimit old, low;
    assert_int_equal(prlimit(portal, RLIMIT_NOFILE, NULL, &old), 0);
    low = old;
    low.rlim_cur = (rlim_t)open_fds + 2; /* two connections, then accept fails with EMFILE */
    assert_int_equal(prlimit(portal, RLIMIT_NOFILE, &low, NULL), 0);
    enum { CLIENTS = 12 };
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        fds[i] = http_connect(NULL, port, 0);
    harness_sleep_ms(300);
    long t0 = cpu_ticks(portal);
    harness_sleep_ms(1000);
    long used = cpu_ticks(portal) - t0, hz = sysconf(_SC_CLK_TCK);
    for (int i = 0; i < CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    assert_int_equal(prlimit(portal, RLIMIT_NOFILE, &old, NULL), 0);
    if (t0 < 0 || used * 1000 / hz > 300)
        fail_msg("expected the portal out of descriptors to use under 300 ms of CPU a second, it used %ld ms",
                 used * 1000 / hz);
    resp_t *hz200 = NULL;
    for (long until = harness_now_ms() + 3000; harness_now_ms() < until; harness_sleep_ms(50))
        if ((hz200 = http_get(port, "/healthz"))->status == 200)
            break;
    if (hz200 == NULL || hz200->status != 200)
        fail_msg("expected /healthz 200 within 3 s once descriptors were free, got %d",
                 hz200 ? hz200->status : 0);
    char *out = harness_read_file(perr, NULL);
    if (out == NULL || strstr(out, "cannot accept connections (Too many open files)") == NULL)
        fail_msg("expected the portal to say on stderr that it cannot accept connections");
    stop_portal(c, portal, perr);
}

static void test_reader_slots_of_a_killed_reader_are_reclaimed(void **state)
{
    ctx_t *c = *state;
    const char *db = make_index(c, NULL, "readers", c->rel_publish, NULL);
    PUB_OK(c->rel_publish, db, NULL, "batch", c->small);
    /* A process that keeps the environment open without a txn: without one,
     * the next opener takes LMDB's exclusive lock and resets the whole
     * reader table, which would hide what is tested here. */
    pid_t holder = start_lmdb_child(c, db, 0);

    pid_t victim = killed_reader(c, db);
    harness_run_t r;
    pub(&r, c->publish, db, NULL, "status", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    harness_run_t ls;
    HARNESS_CHECK_RUN(
        !reader_listed(db, victim, &ls), &ls,
        "expected the stale reader slot of killed process %d to be gone after `hocba-publish status`, "
        "`mdb_stat -r` still lists it",
        (int)victim);
    expect_no_stale(db, "after `hocba-publish status`");

    victim = killed_reader(c, db);
    const char *perr = harness_printf("%s/readers-portal.out", c->tmp);
    int port;
    pid_t portal = start_portal(c, c->portal, db, &port, perr);
    HARNESS_CHECK_RUN(
        !reader_listed(db, victim, &ls), &ls,
        "expected the stale reader slot of killed process %d to be gone once the portal started, "
        "`mdb_stat -r` still lists it",
        (int)victim);
    expect_no_stale(db, "after the portal started");
    resp_t *h = http_get(port, harness_printf("/v/%s", plain_valid(c, 1, 0)->code));
    EXPECT_STATUS(h, 200);
    stop_portal(c, portal, perr);
    int st;
    stop_bg(c, holder, SIGKILL, STOP_TIMEOUT_MS, &st);
}

/* ---- tests 5 and 6: a full map, a full disk ------------------------------------------------ */

static int says(const char *text, const char *a, const char *b)
{
    return strcasestr(text, a) && (!b || strcasestr(text, b));
}

/* Publish a batch that does not fit: exit 2, a message that satisfies
 * msg_ok, counts as before, and LMDB's checker still reads the index. */
static void expect_batch_does_not_fit(ctx_t *c, const char *db, const char *const env[], const char *dir,
                                      long t0, long r0, int (*msg_ok)(const char *), const char *msg_what)
{
    harness_run_t r;
    pub(&r, c->publish, db, env, "batch", dir, NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_COUNTS(c->publish, db, env, t0, r0, "after the batch that did not fit");
    expect_mdb_stat_ok(db, "after the batch that did not fit");
    HARNESS_CHECK_RUN(msg_ok(r.err), &r, "expected `%s` to say on stderr that %s, got: \"%.500s\"", r.cmd,
                      msg_what, r.err);
    print_message("%s: exit 2, \"%.*s\"\n", msg_what, (int)strcspn(r.err, "\n"), r.err);
}

static int says_map_full(const char *err)
{
    return says(err, "map", "full");
}

static int says_disk_full(const char *err)
{
    return says(err, "disk", "full") || says(err, "no space", NULL) || says(err, "ENOSPC", NULL);
}

static void test_map_too_small_gives_a_clear_error_and_changes_nothing(void **state)
{
    ctx_t *c = *state;
    const char *const env[] = {"HOCBA_MAP_SIZE=" SMALL_MAP, NULL};
    const char *db = make_index(c, NULL, "map-fresh", c->publish, env);
    expect_batch_does_not_fit(c, db, env, c->half1, 0, 0, says_map_full, "the map is full");

    db = make_index(c, NULL, "map-small-first", c->publish, env);
    harness_run_t r;
    pub(&r, c->publish, db, env, "batch", c->small, NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_batch_lines(&r, "published", c->sm.packages);
    EXPECT_COUNTS(c->publish, db, env, c->sm.transcripts, c->sm.recalls, "after the small batch");
    expect_batch_does_not_fit(c, db, env, c->half1, c->sm.transcripts, c->sm.recalls, says_map_full,
                              "the map is full");
}

static void test_full_disk_gives_a_clear_error_and_changes_nothing(void **state)
{
    ctx_t *c = *state;
    const char *dir = harness_printf("%s/smallfs", c->tmp);
    if (mkdir(dir, 0755) != 0)
        fail_msg("expected to create %s, failed: %s", dir, strerror(errno));
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, SMALL_FS) != 0) {
        print_message("SKIP: cannot mount a %s tmpfs on %s (%s); this test needs root or CAP_SYS_ADMIN\n",
                      SMALL_FS, dir, strerror(errno));
        skip();
    }
    snprintf(c->mounted, sizeof c->mounted, "%s", dir);
    const char *db = make_index(c, dir, "disk", c->publish, NULL);
    harness_run_t r;
    pub(&r, c->publish, db, NULL, "batch", c->small, NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    EXPECT_COUNTS(c->publish, db, NULL, c->sm.transcripts, c->sm.recalls, "after the small batch");
    expect_batch_does_not_fit(c, db, NULL, c->half1, c->sm.transcripts, c->sm.recalls, says_disk_full,
                              "the disk is full");
    if (umount2(dir, 0) != 0 && umount2(dir, MNT_DETACH) != 0)
        fail_msg("expected to unmount %s, failed: %s", dir, strerror(errno));
    c->mounted[0] = '\0';
}

/* ---- group setup and teardown ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stem up to the pupil: "01001101-000039" of "01001101-000039-recall". */
static size_t base_len(const char *stem)
{
    const char *d = strchr(stem, '-');
    d = d ? strchr(d + 1, '-') : NULL;
    return d ? (size_t)(d - stem) : strlen(stem);
}

static int link_package(ctx_t *c, const char *stem, const char *to, counts_t *n, int half)
{
    for (int k = 0; k < 2; k++) {
        const char *ext = k ? "p7s" : "json";
        const char *src = harness_printf("%s/%s.%s", c->batch, stem, ext);
        const char *dst = harness_printf("%s/%s.%s", to, stem, ext);
        if (link(src, dst) != 0) {
            print_error("link %s %s: %s\n", src, dst, strerror(errno));
            return -1;
        }
    }
    harness_code_t *e = (harness_code_t *)code_of_stem(c, stem);
    if (!e) {
        print_error("codes.txt has no code for the package %s\n", stem);
        return -1;
    }
    if (half)
        e->half = half;
    n->packages++;
    if (strcmp(e->expect, "recall-notice") == 0)
        n->recalls++;
    else
        n->transcripts++;
    return 0;
}

/* half1, half2 (a pupil's packages stay together) and small (10 plain
 * transcripts of half1), as hard links into the demo batch. */
static int split_batch(ctx_t *c)
{
    DIR *d = opendir(c->batch);
    if (!d) {
        print_error("cannot read %s: %s\n", c->batch, strerror(errno));
        return -1;
    }
    char **stems = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 2048;
            char **ns = realloc(stems, cap * sizeof *ns);
            if (!ns) {
                free(stems);
                closedir(d);
                return -1;
            }
            stems = ns;
        }
        stems[n++] = harness_printf("%.*s", (int)(l - 5), de->d_name);
    }
    closedir(d);
    harness_keep(stems);
    if (n < 100) {
        print_error("expected a demo batch of %s pupils, found %zu packages in %s\n", DEMO_STUDENTS, n,
                    c->batch);
        return -1;
    }
    qsort(stems, n, sizeof *stems, cmp_str);
    size_t mid = n / 2;
    while (mid < n && base_len(stems[mid]) == base_len(stems[mid - 1]) &&
           strncmp(stems[mid], stems[mid - 1], base_len(stems[mid])) == 0)
        mid++;
    if (mkdir(c->half1, 0755) || mkdir(c->half2, 0755) || mkdir(c->small, 0755)) {
        print_error("mkdir: %s\n", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        counts_t *h = i < mid ? &c->h1 : &c->h2;
        if (link_package(c, stems[i], i < mid ? c->half1 : c->half2, h, i < mid ? 1 : 2))
            return -1;
        c->all.packages++;
    }
    c->all.transcripts = c->h1.transcripts + c->h2.transcripts;
    c->all.recalls = c->h1.recalls + c->h2.recalls;
    for (size_t i = 0; i < mid && c->sm.packages < SMALL_BATCH; i++) {
        const harness_code_t *e = code_of_stem(c, stems[i]);
        if (e && e->plain && strcmp(e->expect, "valid") == 0 &&
            link_package(c, stems[i], c->small, &c->sm, 0))
            return -1;
    }
    /* cross-check the batch directory against codes.txt */
    long t = 0, r = 0;
    for (size_t i = 0; i < c->ncodes; i++) {
        if (strcmp(c->codes[i].expect, "recall-notice") == 0)
            r++;
        else
            t++;
    }
    if (t != c->all.transcripts || r != c->all.recalls || c->all.recalls == 0 ||
        c->sm.packages != SMALL_BATCH) {
        print_error(
            "codes.txt counts %ld transcripts and %ld recalls, the batch holds %ld and %ld (%ld packages); "
            "small batch %ld\n",
            t, r, c->all.transcripts, c->all.recalls, c->all.packages, c->sm.packages);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (!c)
        return 0;
    for (int i = 0; i < MAX_BG; i++)
        if (c->bg[i] > 0)
            harness_kill(c->bg[i]);
    if (c->mounted[0] && umount2(c->mounted, 0) != 0)
        umount2(c->mounted, MNT_DETACH);
    harness_group_end(state, c->tmp);
    return 0;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    c->tmp = harness_make_tmp("hocba-hardening");
    if (!c->tmp)
        return -1;
    snprintf(c->demo, sizeof c->demo, "%s/demo", c->tmp);
    snprintf(c->batch, sizeof c->batch, "%s/batch", c->demo);
    snprintf(c->half1, sizeof c->half1, "%s/half1", c->tmp);
    snprintf(c->half2, sizeof c->half2, "%s/half2", c->tmp);
    snprintf(c->small, sizeof c->small, "%s/small", c->tmp);
    snprintf(c->anchors, sizeof c->anchors, "%s/trust/anchors.pem", c->demo);
    snprintf(c->inter, sizeof c->inter, "%s/trust/intermediates.pem", c->demo);
    snprintf(c->crl_issuing, sizeof c->crl_issuing, "%s/trust/issuing-ca.crl", c->demo);
    snprintf(c->crl_root, sizeof c->crl_root, "%s/trust/root-ca.crl", c->demo);
    snprintf(c->schools, sizeof c->schools, "%s/schools.json", c->demo);
    if (harness_bin(&c->publish, "HOCBA_BIN", "hocba-publish") ||
        harness_bin(&c->portal, "HOCBA_BIN", "hocba-portal") ||
        harness_bin(&c->rel_publish, "HOCBA_REL_BIN", "hocba-publish") ||
        harness_bin(&c->rel_portal, "HOCBA_REL_BIN", "hocba-portal") ||
        harness_bin(&c->rel_demo, "HOCBA_REL_BIN", "hocba-demo"))
        return -1;
    if (access("templates", R_OK) != 0) {
        print_error("run the tests from the project root (templates/ is not here)\n");
        return -1;
    }
    if (!find_in_path("mdb_stat")) {
        print_error("mdb_stat is not installed (Debian package lmdb-utils)\n");
        return -1;
    }
    harness_lsan_default();
    unsetenv("HOCBA_MAP_SIZE");

    const char *argv[] = {c->rel_demo,   "--out",  c->demo,   "--students",
                          DEMO_STUDENTS, "--seed", DEMO_SEED, NULL};
    harness_run_t r;
    harness_run(&r, NULL, argv, DEMO_TIMEOUT_MS);
    if (r.status != 0) {
        harness_dump_run(&r);
        return -1;
    }
    print_message("demo data (%s pupils, release build): %ld ms\n", DEMO_STUDENTS, r.ms);
    if (harness_load_codes(c->demo, SIZE_MAX, &c->codes, &c->ncodes) || split_batch(c))
        return -1;
    print_message("batch: %ld packages (%ld transcripts, %ld recalls); halves of %ld and %ld packages\n",
                  c->all.packages, c->all.transcripts, c->all.recalls, c->h1.packages, c->h2.packages);
    return 0;
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publisher_killed_at_any_point_leaves_a_consistent_index),
        cmocka_unit_test(test_portal_serves_without_errors_while_a_batch_and_a_crl_are_published),
        cmocka_unit_test(test_thousand_idle_and_half_sent_connections_do_not_block_a_real_client),
        cmocka_unit_test(test_out_of_descriptors_the_portal_waits_instead_of_spinning),
        cmocka_unit_test(test_reader_slots_of_a_killed_reader_are_reclaimed),
        cmocka_unit_test(test_map_too_small_gives_a_clear_error_and_changes_nothing),
        cmocka_unit_test(test_full_disk_gives_a_clear_error_and_changes_nothing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
