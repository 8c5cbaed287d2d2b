/* test_publish_cli.c — hocba-publish as operators and the acceptance tests
 * call it (docs: cli.md, package-format.md), on the packages that
 * tests/fixtures/mkpkgs.sh makes with the stock openssl command line.
 *
 * The binary is $HOCBA_BIN/hocba-publish (default bin/); tests run from the
 * project root. The group setup runs the fixtures script once into a fresh
 * temporary directory; each test works on an index of its own under it, so
 * tests do not depend on one another's order. Set HOCBA_KEEP_TMP=1 to keep
 * the directory for a look after a failure.
 *
 * `status` has no fixed wording in cli.md; counts are read as a number next
 * to the word ("transcripts: 4", "4 transcripts", "\"transcripts\": 4"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURES_SCRIPT "tests/fixtures/mkpkgs.sh"
#define CHILD_TIMEOUT_S 60
#define MAX_ARGS 16
#define MAX_CODES 64
#define LINE_MAX_LEN 8192

/* What one child process did. */
typedef struct {
    char cmd[2048];  /* the command line, for failure messages */
    int status;      /* exit status, or -1 when it did not exit normally */
    int signal;      /* the signal that ended it, or 0 */
    int timed_out;   /* killed after CHILD_TIMEOUT_S */
    char *out, *err; /* captured stdout and stderr, NUL-terminated; owned by ctx_t */
    size_t outlen, errlen;
} run_t;

/* A package's expected lookup code, from the fixtures' codes.tsv. */
typedef struct {
    char key[96]; /* "batch-good/good1" */
    char code[17];
} code_entry_t;

/* The group's state, handed to every test. */
typedef struct {
    char tmp[256];  /* the temporary directory, removed by teardown */
    char fx[300];   /* the fixtures, tmp/fx */
    char pub[1024]; /* the publisher binary */
    int seq;        /* makes index names unique */
    char **kept;    /* every capture buffer, freed by teardown: a failed
                     * assertion jumps out of a test without freeing */
    size_t nkept, capkept;
    code_entry_t codes[MAX_CODES];
    size_t ncodes;
    /* `batch batch-bad` after batch-good, run once and shared by the
     * per-case tests */
    int bad_done;
    run_t bad_run;
    long bad_before_transcripts, bad_before_recalls;
    long bad_after_transcripts, bad_after_recalls;
} ctx_t;

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- running a child ---------------------------------------------------- */

static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 4096;
        while (*len + n + 1 > ncap)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* Fork and exec argv in a process group of its own, read its stdout and
 * stderr into r until both close or CHILD_TIMEOUT_S passes, then reap it. */
static void spawn_and_capture(run_t *r, const char *const argv[], size_t *ocap, size_t *ecap)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0)
        return;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(po[0]);
        close(po[1]);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        append(&r->err, &r->errlen, ecap, "fork failed", 11);
        return;
    }
    setpgid(pid, pid);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left_ms = CHILD_TIMEOUT_S * 1000L -
                       ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L);
        if (left_ms <= 0) {
            r->timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        int n = poll(fds, 2, (int)(left_ms > 1000 ? 1000 : left_ms));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2 && n > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                if (i == 0)
                    append(&r->out, &r->outlen, ocap, buf, (size_t)got);
                else
                    append(&r->err, &r->errlen, ecap, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    int st;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    if (w < 0)
        return;
    if (WIFEXITED(st))
        r->status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        r->signal = WTERMSIG(st);
}

/* Run argv[0] (searched in PATH) with stdin from /dev/null, capture stdout
 * and stderr, and kill its whole process group after CHILD_TIMEOUT_S.
 * r->status is -1 when it could not be started or did not exit. The
 * captured output belongs to c until teardown. */
static void run_argv(ctx_t *c, run_t *r, const char *const argv[])
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    size_t at = 0;
    for (int i = 0; argv[i] && at < sizeof r->cmd - 1; i++) {
        int n = snprintf(r->cmd + at, sizeof r->cmd - at, "%s%s", i ? " " : "", argv[i]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
    size_t ocap = 0, ecap = 0;
    append(&r->out, &r->outlen, &ocap, "", 0);
    append(&r->err, &r->errlen, &ecap, "", 0);
    spawn_and_capture(r, argv, &ocap, &ecap);
    if (c->nkept + 2 > c->capkept) {
        size_t ncap = c->capkept ? 2 * c->capkept : 64;
        char **nk = realloc(c->kept, ncap * sizeof *nk);
        assert_non_null(nk);
        c->kept = nk;
        c->capkept = ncap;
    }
    c->kept[c->nkept++] = r->out;
    c->kept[c->nkept++] = r->err;
}

/* How the child ended, in words. */
static const char *ending(const run_t *r, char *buf, size_t n)
{
    if (r->timed_out)
        snprintf(buf, n, "no exit within %d s (killed)", CHILD_TIMEOUT_S);
    else if (r->signal)
        snprintf(buf, n, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
    else if (r->status < 0)
        snprintf(buf, n, "could not be started");
    else
        snprintf(buf, n, "exit status %d", r->status);
    return buf;
}

/* Print everything about a child, before an assertion fails. Written
 * straight to stderr: cmocka's print_error mangles messages over 1 KiB. */
static void dump(const run_t *r)
{
    char how[96];
    fflush(stdout);
    fprintf(stderr, "command: %s\nended:   %s\n--- stdout (%zu bytes) ---\n%s%s", r->cmd,
            ending(r, how, sizeof how), r->outlen, r->out ? r->out : "",
            r->outlen && r->out[r->outlen - 1] != '\n' ? "\n" : "");
    fprintf(stderr, "--- stderr (%zu bytes) ---\n%s%s--- end ---\n", r->errlen, r->err ? r->err : "",
            r->errlen && r->err[r->errlen - 1] != '\n' ? "\n" : "");
    fflush(stderr);
}

/* Fail the test, printing the child's output first. */
#define CHECK(cond, r, ...)                                                                                  \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            dump(r);                                                                                         \
            fail_msg(__VA_ARGS__);                                                                           \
        }                                                                                                    \
    } while (0)

#define EXPECT_EXIT(r, want)                                                                                 \
    do {                                                                                                     \
        char how_[96];                                                                                       \
        CHECK((r)->status == (want), (r), "expected exit status %d from `%s`, got: %s", (want), (r)->cmd,    \
              ending((r), how_, sizeof how_));                                                               \
    } while (0)

#define EXPECT_STDERR_MESSAGE(r)                                                                             \
    CHECK(strspn((r)->err, " \t\r\n") < (r)->errlen, (r),                                                    \
          "expected a message on stderr from `%s`, got nothing", (r)->cmd)

/* Run the publisher: pub(c, &r, DB, ARG..., NULL). DB NULL leaves out
 * --db. An argument starting with '@' names a file of the fixtures. */
static void pub(ctx_t *c, run_t *r, const char *db, ...)
{
    const char *argv[MAX_ARGS + 1];
    char *owned[MAX_ARGS];
    int argc = 0, nowned = 0;
    argv[argc++] = c->pub;
    if (db) {
        argv[argc++] = "--db";
        argv[argc++] = db;
    }
    va_list ap;
    va_start(ap, db);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS;) {
        if (a[0] == '@') {
            size_t n = strlen(c->fx) + strlen(a) + 1;
            char *p = malloc(n);
            assert_non_null(p);
            snprintf(p, n, "%s/%s", c->fx, a + 1);
            owned[nowned++] = p;
            a = p;
        }
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    run_argv(c, r, argv);
    for (int i = 0; i < nowned; i++)
        free(owned[i]);
}

/* ---- reading the output -------------------------------------------------- */

/* Copy the first line of text that satisfies match(line, arg) into buf. */
static int find_line(const char *text, int (*match)(const char *, const char *), const char *arg, char *buf,
                     size_t n)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(buf, p, k);
        buf[k] = '\0';
        if (match(buf, arg))
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    buf[0] = '\0';
    return 0;
}

/* "STEM ..." */
static int starts_with_stem(const char *line, const char *stem)
{
    size_t n = strlen(stem);
    return strncmp(line, stem, n) == 0 && line[n] == ' ';
}

/* The line of text for package STEM, or fail. */
#define LINE_OF(r, stem, buf)                                                                                \
    CHECK(find_line((r)->out, starts_with_stem, (stem), (buf), sizeof(buf)), (r),                            \
          "expected a line starting \"%s \" in the stdout of `%s`, found none", (stem), (r)->cmd)

/* A count from `status` output: the number right after the word (past
 * plural letters and ": = \"") or, failing that, right before it. -1 when
 * the word is not there with a number. */
static long count_of(const char *text, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, word, wl) != 0 || (p > text && isalnum((unsigned char)p[-1])))
            continue;
        const char *q = p + wl;
        while (isalpha((unsigned char)*q))
            q++;
        while (*q == ' ' || *q == '\t' || *q == ':' || *q == '=' || *q == '"')
            q++;
        if (isdigit((unsigned char)*q))
            return strtol(q, NULL, 10);
        const char *b = p;
        while (b > text && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > text && isdigit((unsigned char)b[-1])) {
            while (b > text && isdigit((unsigned char)b[-1]))
                b--;
            return strtol(b, NULL, 10);
        }
    }
    return -1;
}

/* Run `status` and check that the count named by word is want. */
#define EXPECT_COUNT(c, db, word, want)                                                                      \
    do {                                                                                                     \
        run_t st_;                                                                                           \
        pub((c), &st_, (db), "status", NULL);                                                                \
        EXPECT_EXIT(&st_, 0);                                                                                \
        long got_ = count_of(st_.out, (word));                                                               \
        CHECK(got_ == (want), &st_, "expected `status` to count %ld %s, got %ld%s", (long)(want), (word),    \
              got_, got_ < 0 ? " (no number next to that word)" : "");                                       \
    } while (0)

/* The code mkpkgs.sh computed for BATCH/STEM.json (package-format.md §2). */
static const char *code_for(ctx_t *c, const char *batch, const char *stem)
{
    char key[96];
    snprintf(key, sizeof key, "%s/%s", batch, stem);
    for (size_t i = 0; i < c->ncodes; i++)
        if (strcmp(c->codes[i].key, key) == 0)
            return c->codes[i].code;
    fail_msg("expected a code for %s in the fixtures' codes.tsv, found none", key);
    return NULL;
}

/* 1 when s is 16 symbols of the code alphabet. */
static int is_code_shape(const char *s, size_t len)
{
    if (len != 16)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(ALPHABET, s[i]))
            return 0;
    return 1;
}

/* Check "STEM CODE published" (or "already published"), CODE being our own. */
static void expect_published_line(ctx_t *c, const run_t *r, const char *batch, const char *stem,
                                  const char *outcome)
{
    char line[LINE_MAX_LEN], want[256];
    const char *code = code_for(c, batch, stem);
    LINE_OF(r, stem, line);
    const char *sym = line + strlen(stem) + 1;
    const char *sp = strchr(sym, ' ');
    size_t symlen = sp ? (size_t)(sp - sym) : strlen(sym);
    CHECK(is_code_shape(sym, symlen), r,
          "expected 16 upper-case code symbols after \"%s \", got line \"%.300s\"", stem, line);
    snprintf(want, sizeof want, "%s %s %s", stem, code, outcome);
    CHECK(strcmp(line, want) == 0, r, "expected line \"%s\", got \"%.300s\"", want, line);
}

/* Check "STEM ... refused: REASON" with REASON holding want1 (and want2). */
static void expect_refused_line(const run_t *r, const char *stem, const char *want1, const char *want2)
{
    char line[LINE_MAX_LEN];
    LINE_OF(r, stem, line);
    const char *reason = strstr(line, " refused: ");
    CHECK(reason != NULL, r, "expected \"%s ... refused: REASON\", got \"%.300s\"", stem, line);
    reason += strlen(" refused: ");
    CHECK(strstr(reason, want1) != NULL, r, "expected the reason for %s to contain \"%s\", got \"%.300s\"",
          stem, want1, reason);
    CHECK(want2 == NULL || strstr(reason, want2) != NULL, r,
          "expected the reason for %s to contain \"%s\", got \"%.300s\"", stem, want2, reason);
}

/* ---- a small JSON checker for --json lines -------------------------------- */

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *json_value(const char *p, int depth);

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n;
    unsigned min;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2, min = 0x80;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3, min = 0x800;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = p[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    return cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : n;
}

/* A JSON string, which must also be UTF-8: a reason that echoes the bad
 * byte of a package would break every reader of --json. */
static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p)) {
                p++;
            } else {
                return NULL;
            }
            continue;
        }
        size_t n = utf8_len((const unsigned char *)p);
        if (n == 0)
            return NULL;
        p += n;
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    const char *s = p;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    if (*p == '0')
        p++;
    else
        while (isdigit((unsigned char)*p))
            p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p > s ? p : NULL;
}

/* Members or elements of an object ('{') or array ('['), p past the opener. */
static const char *json_container(const char *p, char close, int depth)
{
    p = json_ws(p);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (!(p = json_string(json_ws(p))))
                return NULL;
            p = json_ws(p);
            if (*p++ != ':')
                return NULL;
        }
        if (!(p = json_value(p, depth + 1)))
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 32)
        return NULL;
    p = json_ws(p);
    switch (*p) {
    case '{':
        return json_container(p + 1, '}', depth);
    case '[':
        return json_container(p + 1, ']', depth);
    case '"':
        return json_string(p);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return json_number(p);
    }
}

/* 1 when line is exactly one JSON object, in UTF-8. */
static int is_json_object(const char *line)
{
    const char *p = json_ws(line);
    if (*p != '{')
        return 0;
    p = json_value(p, 0);
    return p && *json_ws(p) == '\0';
}

/* line without the white space outside strings, so members can be matched
 * as "name":"value" whatever the spacing. */
static void json_squeeze(const char *line, char *out, size_t n)
{
    size_t k = 0;
    int in_str = 0;
    for (const char *p = line; *p && k + 1 < n; p++) {
        if (in_str) {
            out[k++] = *p;
            if (*p == '\\' && p[1] && k + 1 < n)
                out[k++] = *++p;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
            out[k++] = *p;
        } else if (!isspace((unsigned char)*p)) {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

/* A --json line whose "package" member is STEM. */
static int is_package_object(const char *line, const char *stem)
{
    char sq[LINE_MAX_LEN], want[160];
    json_squeeze(line, sq, sizeof sq);
    snprintf(want, sizeof want, "\"package\":\"%s\"", stem);
    return strstr(sq, want) != NULL;
}

/* Check the --json object of package STEM: outcome, code and reason. */
static void expect_json_line(ctx_t *c, const run_t *r, const char *batch, const char *stem,
                             const char *outcome, const char *reason_part)
{
    char line[LINE_MAX_LEN], sq[LINE_MAX_LEN], want[256];
    CHECK(find_line(r->out, is_package_object, stem, line, sizeof line), r,
          "expected a JSON line with \"package\":\"%s\" in the stdout of `%s`, found none", stem, r->cmd);
    CHECK(is_json_object(line), r, "expected the line for %s to be one JSON object, got: %.300s", stem, line);
    json_squeeze(line, sq, sizeof sq);
    snprintf(want, sizeof want, "\"outcome\":\"%s\"", outcome);
    CHECK(strstr(sq, want) != NULL, r, "expected %s in the line for %s, got: %.300s", want, stem, line);
    CHECK(strstr(sq, "\"code\":") != NULL, r, "expected a \"code\" member for %s, got: %.300s", stem, line);
    CHECK(strstr(sq, "\"reason\":") != NULL, r, "expected a \"reason\" member for %s, got: %.300s", stem,
          line);
    if (strcmp(outcome, "refused") != 0) {
        snprintf(want, sizeof want, "\"code\":\"%s\"", code_for(c, batch, stem));
        CHECK(strstr(sq, want) != NULL, r, "expected %s in the line for %s, got: %.300s", want, stem, line);
    } else {
        CHECK(strstr(line, reason_part) != NULL, r,
              "expected the reason for %s to contain \"%s\", got: %.300s", stem, reason_part, line);
    }
}

/* ---- indexes ---------------------------------------------------------------- */

/* A path for a new index, not yet created. */
static void new_db(ctx_t *c, char *db, size_t n, const char *name)
{
    snprintf(db, n, "%s/db-%02d-%s", c->tmp, ++c->seq, name);
}

/* A new index with the trust inputs of the fixtures, and batch-good
 * published when with_good. */
static void make_index(ctx_t *c, char *db, size_t n, const char *name, int with_good)
{
    run_t r;
    new_db(c, db, n, name);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "schools", "@schools.json", NULL);
    EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "crl", "@trust/issuing.crl", NULL);
    EXPECT_EXIT(&r, 0);
    if (with_good) {
        pub(c, &r, db, "batch", "@batch-good", NULL);
        EXPECT_EXIT(&r, 0);
    }
}

static const char *const GOOD[] = {"good1", "good2", "good3", "good4"};
#define NGOOD (sizeof GOOD / sizeof GOOD[0])

/* ---- tests: the lookup code helper of the fixtures ---------------------------- */

/* The fixtures' bash helper computes the codes that the other tests expect,
 * so it is checked first against the spec's vectors (lookup-code-vectors.tsv). */
static void test_code_helper_matches_spec_vectors(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *what, *bytes;
        size_t len;
        const char *code;
    } vec[] = {
        {"b''", "", 0, "WERC8GMRZGE196Q8"},
        {"b'a'", "a", 1, "SABR24PA3EYWNYPK"},
        {"b'\\n'", "\n", 1, "06X4E6E81DQYJ4DP"},
        {"b'{\"schema\":\"hocba.tieuhoc.v1\"}'", "{\"schema\":\"hocba.tieuhoc.v1\"}", 29, "Q5VQQT42TCX1D4Q1"},
        {"b'Nguy\\xe1\\xbb\\x85n V\\xc4\\x83n An'", "Nguy\xe1\xbb\x85n V\xc4\x83n An", 16,
         "56E4F0JVBWF2GPTM"},
        {"bytes(range(256))", NULL, 256, "82QZ5TEJV292WHXW"},
        {"b'x'*65536", NULL, 65536, "3Y3MBW6JT4W7XGDM"},
    };
    enum { NVEC = sizeof vec / sizeof vec[0] };
    char paths[NVEC][320];
    const char *argv[NVEC + 4] = {"bash", FIXTURES_SCRIPT, "--code"};
    static unsigned char big[65536];
    for (size_t i = 0; i < NVEC; i++) {
        const void *data = vec[i].bytes;
        if (!data) {
            for (size_t k = 0; k < vec[i].len; k++)
                big[k] = vec[i].len == 256 ? (unsigned char)k : 'x';
            data = big;
        }
        snprintf(paths[i], sizeof paths[i], "%s/vector-%zu", c->tmp, i);
        FILE *f = fopen(paths[i], "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, vec[i].len, f), vec[i].len);
        assert_int_equal(fclose(f), 0);
        argv[3 + i] = paths[i];
    }
    argv[3 + NVEC] = NULL;
    run_t r;
    run_argv(c, &r, argv);
    EXPECT_EXIT(&r, 0);
    const char *p = r.out;
    for (size_t i = 0; i < NVEC; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        CHECK(len == 16 && strncmp(p, vec[i].code, 16) == 0, &r, "expected code %s for %s, got \"%.*s\"",
              vec[i].code, vec[i].what, (int)len, p);
        p = nl ? nl + 1 : p + len;
    }
}

/* ---- tests: trust inputs ------------------------------------------------------- */

static void test_trust_loads_anchors_and_intermediates(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    new_db(c, db, sizeof db, "trust");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "anchor", 1);
}

static void test_schools_loads_registry(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    new_db(c, db, sizeof db, "schools");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "schools", "@schools.json", NULL);
    EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "school", 2);
}

static void test_crl_loads_issuing_crl(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    new_db(c, db, sizeof db, "crl");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "crl", "@trust/issuing.crl", NULL);
    EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* bad.crl is issuing.crl with one signature byte flipped. */
static void test_crl_with_bad_signature_is_refused_and_loaded_crl_kept(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "crl-bad", 0);
    pub(c, &r, db, "crl", "@trust/bad.crl", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* rogue.crl is well signed, by a root that is not in the store. */
static void test_crl_from_issuer_outside_store_is_refused(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "crl-rogue", 0);
    pub(c, &r, db, "crl", "@trust/rogue.crl", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* ---- tests: good batches ----------------------------------------------------------- */

/* good1 RSA signers, good2 an ECDSA P-256 teacher, good3 a PEM .p7s, good4 a
 * fourth role (vice_principal). */
static void test_batch_good_publishes_each_package_with_its_code(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "good", 0);
    pub(c, &r, db, "batch", "@batch-good", NULL);
    EXPECT_EXIT(&r, 0);
    for (size_t i = 0; i < NGOOD; i++)
        expect_published_line(c, &r, "batch-good", GOOD[i], "published");
    EXPECT_COUNT(c, db, "transcript", 4);
    EXPECT_COUNT(c, db, "recall", 0);
}

static void test_batch_good_again_says_already_published_and_changes_nothing(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "good-again", 1);
    pub(c, &r, db, "batch", "@batch-good", NULL);
    EXPECT_EXIT(&r, 0);
    for (size_t i = 0; i < NGOOD; i++)
        expect_published_line(c, &r, "batch-good", GOOD[i], "already published");
    EXPECT_COUNT(c, db, "transcript", 4);
}

/* ---- tests: the bad batch ------------------------------------------------------------ */

/* Every package of batch-bad with what its reason must say. */
static const struct {
    const char *stem, *want1, *want2;
} BAD[] = {
    {"role-missing", "principal", "role"},
    {"signer-undeclared", "not declared", NULL},
    {"hash-mismatch", "certificate_sha256", NULL},
    {"untrusted-chain", "chain", NULL},
    {"expired-cert", "validity", NULL},
    {"seal-unregistered", "seal_registry", NULL},
    {"altered", "integrity", NULL},
    {"grade-out-of-range", "grade", NULL},
    {"level-out-of-range", "level", NULL},
    {"not-json", "not valid JSON", NULL},
    {"bad-utf8", "UTF-8", NULL},
    {"too-big", "64 KiB", NULL},
    {"p7s-missing", ".p7s", "missing"},
    {"not-cms", "not a CMS", NULL},
    {"supersedes-not-recalled", "supersedes", "not recalled"},
    {"recall-other-school", "another school", NULL},
};
#define NBAD (sizeof BAD / sizeof BAD[0])

/* Publish batch-good, then batch-bad, once for all the tests that read the
 * result (supersedes-not-recalled and recall-other-school need good1). */
static const run_t *bad_batch(ctx_t *c)
{
    if (c->bad_done)
        return &c->bad_run;
    char db[512];
    run_t st;
    make_index(c, db, sizeof db, "bad", 1);
    pub(c, &st, db, "status", NULL);
    EXPECT_EXIT(&st, 0);
    c->bad_before_transcripts = count_of(st.out, "transcript");
    c->bad_before_recalls = count_of(st.out, "recall");
    pub(c, &c->bad_run, db, "batch", "@batch-bad", NULL);
    pub(c, &st, db, "status", NULL);
    EXPECT_EXIT(&st, 0);
    c->bad_after_transcripts = count_of(st.out, "transcript");
    c->bad_after_recalls = count_of(st.out, "recall");
    c->bad_done = 1;
    return &c->bad_run;
}

static void test_batch_bad_exits_1_and_publishes_nothing(void **state)
{
    ctx_t *c = *state;
    const run_t *r = bad_batch(c);
    EXPECT_EXIT(r, 1);
    CHECK(c->bad_before_transcripts == 4 && c->bad_after_transcripts == 4, r,
          "expected status to count 4 transcripts before and after the bad batch, got %ld and %ld",
          c->bad_before_transcripts, c->bad_after_transcripts);
    CHECK(c->bad_before_recalls == 0 && c->bad_after_recalls == 0, r,
          "expected status to count 0 recalls before and after the bad batch, got %ld and %ld",
          c->bad_before_recalls, c->bad_after_recalls);
    char line[LINE_MAX_LEN];
    for (size_t i = 0; i < NBAD; i++) {
        LINE_OF(r, BAD[i].stem, line);
        CHECK(strstr(line, " refused: ") != NULL, r, "expected %s to be refused, got \"%.300s\"", BAD[i].stem,
              line);
    }
}

static void expect_bad(void **state, const char *stem)
{
    ctx_t *c = *state;
    const run_t *r = bad_batch(c);
    for (size_t i = 0; i < NBAD; i++)
        if (strcmp(BAD[i].stem, stem) == 0) {
            expect_refused_line(r, stem, BAD[i].want1, BAD[i].want2);
            return;
        }
    fail_msg("no expectation for %s", stem);
}

/* One test per refusal, named for it. */
#define BAD_TEST(fn, stem)                                                                                   \
    static void fn(void **state)                                                                             \
    {                                                                                                        \
        expect_bad(state, stem);                                                                             \
    }
BAD_TEST(test_refuses_transcript_without_principal_role, "role-missing")
BAD_TEST(test_refuses_signature_by_undeclared_signer, "signer-undeclared")
BAD_TEST(test_refuses_declared_hash_of_another_certificate, "hash-mismatch")
BAD_TEST(test_refuses_certificate_from_untrusted_root, "untrusted-chain")
BAD_TEST(test_refuses_certificate_expired_at_signing, "expired-cert")
BAD_TEST(test_refuses_seal_of_another_school, "seal-unregistered")
BAD_TEST(test_refuses_payload_changed_after_signing, "altered")
BAD_TEST(test_refuses_grade_6, "grade-out-of-range")
BAD_TEST(test_refuses_subject_level_x, "level-out-of-range")
BAD_TEST(test_refuses_payload_that_is_not_json, "not-json")
BAD_TEST(test_refuses_payload_with_invalid_utf8, "bad-utf8")
BAD_TEST(test_refuses_payload_over_64_kib, "too-big")
BAD_TEST(test_refuses_package_without_p7s, "p7s-missing")
BAD_TEST(test_refuses_p7s_that_is_not_cms, "not-cms")
BAD_TEST(test_refuses_replacement_of_transcript_not_recalled, "supersedes-not-recalled")
BAD_TEST(test_refuses_recall_by_another_school, "recall-other-school")

/* ---- tests: mixed batches, --strict, --json ----------------------------------------------- */

/* batch-mixed: mixed1 (school A) and mixed2 (school B) are good and new;
 * altered, grade-out-of-range and not-cms are copies of bad ones. */
static void test_batch_mixed_publishes_good_and_refuses_bad(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "mixed", 1);
    pub(c, &r, db, "batch", "@batch-mixed", NULL);
    EXPECT_EXIT(&r, 1);
    expect_published_line(c, &r, "batch-mixed", "mixed1", "published");
    expect_published_line(c, &r, "batch-mixed", "mixed2", "published");
    expect_refused_line(&r, "altered", "integrity", NULL);
    expect_refused_line(&r, "grade-out-of-range", "grade", NULL);
    expect_refused_line(&r, "not-cms", "not a CMS", NULL);
    EXPECT_COUNT(c, db, "transcript", 6);
}

static void test_batch_strict_publishes_nothing_when_one_is_refused(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "strict", 0);
    pub(c, &r, db, "batch", "@batch-mixed", "--strict", NULL);
    EXPECT_EXIT(&r, 1);
    expect_refused_line(&r, "altered", "integrity", NULL);
    expect_refused_line(&r, "grade-out-of-range", "grade", NULL);
    expect_refused_line(&r, "not-cms", "not a CMS", NULL);
    EXPECT_COUNT(c, db, "transcript", 0);
}

/* Every line of `r` must be one JSON object. */
static void expect_all_json_lines(const run_t *r)
{
    const char *p = r->out;
    int lines = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[LINE_MAX_LEN];
        size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, p, k);
        line[k] = '\0';
        CHECK(is_json_object(line), r, "expected each line of `%s` to be a JSON object, got: %.300s", r->cmd,
              line);
        lines++;
        p = nl ? nl + 1 : p + len;
    }
    CHECK(lines > 0, r, "expected JSON lines from `%s`, got none", r->cmd);
}

static void test_batch_json_prints_one_object_per_package(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "json", 0);
    pub(c, &r, db, "batch", "@batch-mixed", "--json", NULL);
    EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    expect_json_line(c, &r, "batch-mixed", "mixed1", "published", NULL);
    expect_json_line(c, &r, "batch-mixed", "mixed2", "published", NULL);
    expect_json_line(c, &r, "batch-mixed", "altered", "refused", "integrity");
    expect_json_line(c, &r, "batch-mixed", "grade-out-of-range", "refused", "grade");
    expect_json_line(c, &r, "batch-mixed", "not-cms", "refused", "not a CMS");
}

/* The refusal reasons quote names, bytes and DNs from the packages: each
 * line must still be one JSON object in UTF-8. */
static void test_batch_json_refusals_are_json_objects_with_reasons(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "json-bad", 1);
    pub(c, &r, db, "batch", "@batch-bad", "--json", NULL);
    EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < NBAD; i++)
        expect_json_line(c, &r, "batch-bad", BAD[i].stem, "refused", BAD[i].want1);
}

static void test_batch_json_says_already_for_published_package(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "json-already", 1);
    pub(c, &r, db, "batch", "@batch-good", "--json", NULL);
    EXPECT_EXIT(&r, 0);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < NGOOD; i++)
        expect_json_line(c, &r, "batch-good", GOOD[i], "already", NULL);
}

/* ---- tests: recall and replacement ----------------------------------------------------------- */

/* batch-recall: school A recalls good1 (principal and seal) and publishes
 * good1-corrected, which supersedes it. */
static void test_batch_recall_publishes_recall_and_replacement(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "recall", 1);
    pub(c, &r, db, "batch", "@batch-recall", NULL);
    EXPECT_EXIT(&r, 0);
    expect_published_line(c, &r, "batch-recall", "recall-good1", "published");
    expect_published_line(c, &r, "batch-recall", "good1-corrected", "published");
    EXPECT_COUNT(c, db, "recall", 1);
    EXPECT_COUNT(c, db, "transcript", 5);
}

/* ---- tests: usage -------------------------------------------------------------------------- */

static void test_usage_without_subcommand_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    new_db(c, db, sizeof db, "usage-none");
    pub(c, &r, db, NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    pub(c, &r, NULL, NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

static void test_usage_unknown_subcommand_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    new_db(c, db, sizeof db, "usage-unknown");
    pub(c, &r, db, "publish-everything", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

static void test_usage_batch_without_dir_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "usage-nodir", 0);
    pub(c, &r, db, "batch", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

static void test_usage_batch_with_nonexistent_dir_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    make_index(c, db, sizeof db, "usage-missing", 0);
    pub(c, &r, db, "batch", "@no-such-batch", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "transcript", 0);
}

/* schools.json is a regular file, so nothing can be created under it. */
static void test_db_that_cannot_be_created_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    run_t r;
    snprintf(db, sizeof db, "%s/schools.json/index", c->fx);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

/* ---- group setup and teardown ------------------------------------------------------------------ */

static int load_codes(ctx_t *c)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/codes.tsv", c->fx);
    FILE *f = fopen(path, "r");
    if (!f) {
        print_error("cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f) && c->ncodes < MAX_CODES) {
        char *tab = strchr(line, '\t');
        if (!tab || strlen(tab + 1) < 16)
            continue;
        code_entry_t *e = &c->codes[c->ncodes++];
        snprintf(e->key, sizeof e->key, "%.*s", (int)(tab - line), line);
        snprintf(e->code, sizeof e->code, "%.16s", tab + 1);
    }
    fclose(f);
    return c->ncodes > 0 ? 0 : -1;
}

static int group_setup(void **state)
{
    ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    *state = c;
    const char *tmpdir = getenv("TMPDIR");
    snprintf(c->tmp, sizeof c->tmp, "%s/hocba-publish-test-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(c->tmp)) {
        print_error("mkdtemp %s: %s\n", c->tmp, strerror(errno));
        return -1;
    }
    snprintf(c->fx, sizeof c->fx, "%s/fx", c->tmp);
    const char *bin = getenv("HOCBA_BIN");
    snprintf(c->pub, sizeof c->pub, "%s/hocba-publish", bin && *bin ? bin : "bin");
    if (access(c->pub, X_OK) != 0)
        print_error("note: %s is not an executable (%s); set HOCBA_BIN to its directory\n", c->pub,
                    strerror(errno));

    const char *argv[] = {"bash", FIXTURES_SCRIPT, c->fx, NULL};
    run_t r;
    run_argv(c, &r, argv);
    if (r.status != 0) {
        dump(&r);
        print_error("the fixtures script failed; run the tests from the project root\n");
        return -1;
    }
    return load_codes(c);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (!c)
        return 0;
    for (size_t i = 0; i < c->nkept; i++)
        free(c->kept[i]);
    free(c->kept);
    if (c->tmp[0]) {
        const char *keep = getenv("HOCBA_KEEP_TMP");
        if (keep && *keep && strcmp(keep, "0") != 0)
            print_message("kept %s\n", c->tmp);
        else
            nftw(c->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(c);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_helper_matches_spec_vectors),
        cmocka_unit_test(test_trust_loads_anchors_and_intermediates),
        cmocka_unit_test(test_schools_loads_registry),
        cmocka_unit_test(test_crl_loads_issuing_crl),
        cmocka_unit_test(test_crl_with_bad_signature_is_refused_and_loaded_crl_kept),
        cmocka_unit_test(test_crl_from_issuer_outside_store_is_refused),
        cmocka_unit_test(test_batch_good_publishes_each_package_with_its_code),
        cmocka_unit_test(test_batch_good_again_says_already_published_and_changes_nothing),
        cmocka_unit_test(test_batch_bad_exits_1_and_publishes_nothing),
        cmocka_unit_test(test_refuses_transcript_without_principal_role),
        cmocka_unit_test(test_refuses_signature_by_undeclared_signer),
        cmocka_unit_test(test_refuses_declared_hash_of_another_certificate),
        cmocka_unit_test(test_refuses_certificate_from_untrusted_root),
        cmocka_unit_test(test_refuses_certificate_expired_at_signing),
        cmocka_unit_test(test_refuses_seal_of_another_school),
        cmocka_unit_test(test_refuses_payload_changed_after_signing),
        cmocka_unit_test(test_refuses_grade_6),
        cmocka_unit_test(test_refuses_subject_level_x),
        cmocka_unit_test(test_refuses_payload_that_is_not_json),
        cmocka_unit_test(test_refuses_payload_with_invalid_utf8),
        cmocka_unit_test(test_refuses_payload_over_64_kib),
        cmocka_unit_test(test_refuses_package_without_p7s),
        cmocka_unit_test(test_refuses_p7s_that_is_not_cms),
        cmocka_unit_test(test_refuses_replacement_of_transcript_not_recalled),
        cmocka_unit_test(test_refuses_recall_by_another_school),
        cmocka_unit_test(test_batch_mixed_publishes_good_and_refuses_bad),
        cmocka_unit_test(test_batch_strict_publishes_nothing_when_one_is_refused),
        cmocka_unit_test(test_batch_json_prints_one_object_per_package),
        cmocka_unit_test(test_batch_json_refusals_are_json_objects_with_reasons),
        cmocka_unit_test(test_batch_json_says_already_for_published_package),
        cmocka_unit_test(test_batch_recall_publishes_recall_and_replacement),
        cmocka_unit_test(test_usage_without_subcommand_exits_2),
        cmocka_unit_test(test_usage_unknown_subcommand_exits_2),
        cmocka_unit_test(test_usage_batch_without_dir_exits_2),
        cmocka_unit_test(test_usage_batch_with_nonexistent_dir_exits_2),
        cmocka_unit_test(test_db_that_cannot_be_created_exits_2),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
