/* harness.h — what the tests of the real programs share (test_portal_*,
 * test_hardening, test_scaleout, test_operations, test_publish_cli): memory
 * that a failed assertion cannot leak, child processes in the foreground
 * (output captured) and in the background (servers), the demo's codes.txt,
 * the log of the portal's API answers that tests/openapi/check.mjs reads,
 * and the group's temporary directory and binaries. Their HTTP client is tests/http.h.
 *
 * A failed cmocka assertion longjmps out of the test, past any free(), so
 * what a test allocates goes into one arena that harness_group_end frees.
 * The arena is the test process's: one group runs at a time, on one thread
 * (a forked child gets a copy of its own), so nothing here is thread-safe
 * and nothing needs to be.
 *
 * The including file includes <cmocka.h> first: the macros below use
 * fail_msg. */
#ifndef HOCBA_TESTS_HARNESS_H
#define HOCBA_TESTS_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* ---- memory ------------------------------------------------------------------------------ */

/** Keep p until harness_group_end.
 * @param p  memory from malloc or realloc, or NULL
 * @return p; fails the test (fail_msg) when p is NULL or the arena cannot grow (p is freed then). */
void *harness_keep(void *p);

/** Keep p until harness_group_end, which then calls release(p): for what is not freed with free()
 * (a jansson document: a wrapper around json_decref).
 * @param p        the object, or NULL
 * @param release  what lets it go; called once, in the order things were kept
 * @return p; fails the test (fail_msg) when p is NULL or the arena cannot grow (p is released then). */
void *harness_keep_with(void *p, void (*release)(void *));

/** malloc(n), kept until harness_group_end.
 * @param n  bytes; 0 is taken as 1, so that the result is never NULL
 * @return the memory, uninitialised; fails the test when out of memory. */
void *harness_malloc(size_t n);

/** A copy of s[0..n) with a NUL after it, kept until harness_group_end.
 * @return the copy; fails the test when out of memory. */
char *harness_strndup(const char *s, size_t n);

/** printf into a new string, kept until harness_group_end.
 * @return the string; fails the test when out of memory or fmt cannot be formatted. */
char *harness_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Append p[0..n) to a grow-only buffer that stays NUL-terminated.
 * @param buf  the buffer, NULL for a new one (with *len and *cap 0); the caller owns it (free it, or
 *             hand it to harness_keep)
 * @param len  its length, without the NUL
 * @param cap  its allocated size
 * @return 0, or -1 when out of memory (the buffer is left as it was). Allocates; fails no test. */
int harness_append(char **buf, size_t *len, size_t *cap, const void *p, size_t n);

/** The whole of a file, NUL-terminated, kept until harness_group_end.
 * @param len  receives its length in bytes; may be NULL
 * @return the text, or NULL when the file cannot be opened. */
char *harness_read_file(const char *path, size_t *len);

/** Write n bytes as the whole of path (created or truncated). @return 0, or -1 with errno set. */
int harness_write_file(const char *path, const void *p, size_t n);

/* ---- time ------------------------------------------------------------------------------------ */

/** Milliseconds on the monotonic clock. */
long harness_now_ms(void);

/** Sleep ms milliseconds (through signals); nothing when ms <= 0. */
void harness_sleep_ms(long ms);

/* ---- child processes ---------------------------------------------------------------------------- */

/* What one foreground child process did. */
typedef struct {
    char cmd[2048]; /* the command line, environment additions first, for messages */
    int status;     /* exit status, or -1 when it did not exit normally */
    int signal;     /* the signal that ended it, or 0 */
    int timed_out;  /* killed after timeout_ms */
    long timeout_ms;
    long ms;         /* wall time, fork to reaped */
    char *out, *err; /* stdout and stderr, NUL-terminated, kept until harness_group_end */
    size_t outlen, errlen;
} harness_run_t;

/** In a forked child: die with the test process (PR_SET_PDEATHSIG), so that a crashed test leaves no
 * server behind, and lead a process group of its own, so that a kill reaches its children too. */
void harness_child_prepare(void);

/** Run a program in the foreground: stdin from /dev/null, stdout and stderr captured until both close;
 * after timeout_ms its process group is killed. Returns once it is reaped.
 * @param r           receives what happened; r->status is -1 when it could not be started
 * @param env         NULL, or a NULL-terminated list of "NAME=VALUE" set for the child only
 * @param argv        NULL-terminated; argv[0] is searched in PATH
 * @param timeout_ms  how long it may run
 * Fails the test when no pipe can be made or out of memory. */
void harness_run(harness_run_t *r, const char *const env[], const char *const argv[], long timeout_ms);

/** For a group setup, where no assertion may fail: run argv (harness_run, no env) and, unless it exits
 * 0, show what it did (harness_dump_run).
 * @return 0 when it exited 0, else -1. */
int harness_run_ok(const char *const argv[], long timeout_ms);

/** How a foreground child ended, in words ("exit status 2", "killed by signal 9 (Killed)", ...).
 * @return a string kept until harness_group_end. */
const char *harness_ending(const harness_run_t *r);

/** Write everything about a foreground child to stderr (its command, how it ended, the first 4000
 * bytes of stdout and of stderr), before an assertion about it fails. Straight to stderr: cmocka's
 * print_error mangles messages over 1 KiB. */
void harness_dump_run(const harness_run_t *r);

/* Fail the test with a message, having dumped the child r, unless cond. */
#define HARNESS_CHECK_RUN(cond, r, ...)                                                                      \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            harness_dump_run(r);                                                                             \
            fail_msg(__VA_ARGS__);                                                                           \
        }                                                                                                    \
    } while (0)

/* Fail the test unless the child r exited with status want. */
#define HARNESS_EXPECT_EXIT(r, want)                                                                         \
    HARNESS_CHECK_RUN((r)->status == (want), (r), "expected exit status %d from `%s`, got: %s", (want),      \
                      (r)->cmd, harness_ending(r))

/** Start a program in the background, stdin from /dev/null, stdout and stderr into outfile. Returns
 * once the program runs (its exec succeeded), so that a signal sent right after reaches the program
 * itself, not the test's fork of itself.
 * @param argv     NULL-terminated; argv[0] is a path (not searched in PATH)
 * @param outfile  NULL for /dev/null
 * @param append   0: outfile is truncated; 1: appended to, so that a restart keeps what came before
 * @return its pid (it leads its own process group), or -1 with errno when it could not be started
 * (then why is also in outfile). The caller reaps it. */
pid_t harness_start_bg(const char *const argv[], const char *outfile, int append);

/** Wait up to ms for pid to end (polling every 5 ms).
 * @param st  receives its wait status
 * @return 1 when it ended (or is no child of ours), 0 when it still runs. */
int harness_wait_exit(pid_t pid, long ms, int *st);

/** A wait status in words ("exit status 0", "killed by signal 15 (Terminated)").
 * @return a string kept until harness_group_end. */
const char *harness_wait_status_text(int st);

/** Send sig to pid and wait up to ms for it to end; if it does not, SIGKILL its process group and reap it.
 * @param st  receives its wait status (0 when it could not be reaped)
 * @return 1 when it ended within ms of sig, 0 when it had to be killed. */
int harness_stop(pid_t pid, int sig, long ms, int *st);

/** SIGKILL pid and its process group and reap it: what a teardown does to a child a failed test left. */
void harness_kill(pid_t pid);

/** Write the last 6000 bytes of a file (a server's output) to stderr, for a failure message; nothing
 * when it cannot be read.
 * @param what  names the file in the message ("portal output") */
void harness_dump_file_tail(const char *what, const char *path);

/** " (LeakSanitizer reported leaks ...)" or " (a sanitizer reported an error ...)" when a sanitizer
 * wrote its report into a child's output file (it sets the exit status then), else "".
 * @return a static string. */
const char *harness_sanitizer_note(const char *path);

/** A TCP port free on 127.0.0.1 just now (bind port 0, read it, close).
 * @return the port, or -1. */
int harness_free_port(void);

/* ---- what the programs print and write ------------------------------------------------------------ */

/** A count from `hocba-publish status` output: the number right after the word (case-insensitive, past
 * plural letters and ": = \"", as in "transcripts: 4" or "\"transcripts\":4") or, with before_too, the
 * number right before it ("4 transcripts").
 * @return the count, or -1 when the word is not there with a number. */
long harness_count_of(const char *text, const char *word, int before_too);

/** The size of a file in bytes, or -1 when it cannot be stat()ed. */
off_t harness_file_size(const char *path);

/** The portal's API path for a code as typed: "/api/v1/transcripts/CODE".
 * @return a string kept until harness_group_end. */
const char *harness_api_path(const char *code);

/* One line of a demo's codes.txt (hocba-demo): CODE<TAB>EXPECTED<TAB>description. */
typedef struct {
    char code[17];
    char expect[24]; /* valid, recalled, invalid-after-crl, recall-notice */
    char stem[64];   /* the package's file stem in DEMO/batch */
    char desc[512];
    char level[12]; /* TH, THCS, THPT, GDTX, or - for a recall notice ("" in a codes.txt without it) */
    int plain;      /* a primary transcript with nothing said after its description (no recall, no revoked
                     * signer); a secondary one is described as "secondary transcript, THCS grade 9, ..." */
    int half;       /* for the tests that split the batch: which half holds it, 0 before they do */
} harness_code_t;

/** Read DEMO/codes.txt.
 * @param demo    the directory hocba-demo wrote
 * @param max     read at most this many codes (SIZE_MAX: all)
 * @param codes   receives the array, kept until harness_group_end
 * @param ncodes  receives its length
 * @return 0, or -1 when the file cannot be read or holds no code (having said why with print_error). */
int harness_load_codes(const char *demo, size_t max, harness_code_t **codes, size_t *ncodes);

/* ---- the index ------------------------------------------------------------------------------------- */

/** Make the index at db what a writer of an older format left (docs/index-format.md): drop the tables
 * each later format added (format 4: issuers; format 5: summary and tally), store each record's payload
 * as a zlib stream (record format 3, as writers before format 6 did: harness_record_as_zlib) and write
 * meta "format". Formats 4 and 5 only added tables and format 6 only changed how a record packs its
 * payload, so this gives exactly such an index.
 * @param format  3, 4 or 5
 * Fails the test (fail_msg) when the index cannot be opened or written. */
void harness_make_index_format(const char *db, int format);

/** A docs record of record format 4 (its payload an LZ4 block, or kept as is, and the payload's
 * CRC-32) as a writer before index format 6 stored it: record format 3, the payload as a zlib stream
 * (as is, with no check, when zlib cannot shorten it), every other byte the same.
 * @return the new record (malloc'd; its length in *nlen), or NULL when v is no record of format 4.
 * Fails the test when the LZ4 block does not unpack. */
unsigned char *harness_record_as_zlib(const unsigned char *v, size_t len, size_t *nlen);

/* ---- the portal's API answers, for tests/openapi/check.mjs ------------------------------------------ */

/** When the environment variable HOCBA_API_LOG names a file, append to it one answer of the portal's
 * API, as one JSON line: {"client", "method", "target", "status", "headers": [[name, value], ...],
 * "body"} (names lower-cased, in the answer's order; "body_base64" instead of "body" when the body is
 * not UTF-8). tests/run-everything.sh sets it around the C tests and then checks every line against
 * static/openapi.json. Only requests whose path starts with /api/ are written; nothing is written when
 * the variable is unset or empty, or when no status line and whole head came. The line goes out in one
 * write() to a file opened with O_APPEND, so that test processes and their forked children may share it.
 * @param req       the request as sent: its request line gives the method and the target
 * @param head      the answer's status line and headers, with the blank line after them
 * @param head_len  their length in bytes; 0 when the head did not come whole
 * @param body      the body as the client understood it (de-chunked); may be NULL when body_len is 0
 * Fails the test (fail_msg) when the line cannot be made or written: an answer left out would pass
 * the check unseen. */
void harness_api_log(const char *req, size_t req_len, const char *head, size_t head_len, const char *body,
                     size_t body_len);

/* ---- the group ------------------------------------------------------------------------------------- */

/** The path of a program in the directory the environment names: $HOCBA_BIN (the sanitizer builds
 * under `make test`) or $HOCBA_REL_BIN (the release builds); bin/ when it is unset or empty.
 * @param path  receives the path, kept until harness_group_end, whether or not it is executable
 * @param var   "HOCBA_BIN" or "HOCBA_REL_BIN"
 * @param name  "hocba-portal", "hocba-publish", "hocba-demo"
 * @return 0, or -1 when it is not an executable (having said so with print_error). */
int harness_bin(const char **path, const char *var, const char *name);

/** Make demo data for a module's tests: the sanitizer build of hocba-demo ($HOCBA_BIN) run in the
 * foreground as `hocba-demo --out dir --students students --seed seed`.
 * @return 0, or -1 having said why with print_error (the run dumped when it failed). */
int harness_make_demo(const char *dir, const char *students, const char *seed);

/** Make a new directory TMPDIR/name-XXXXXX (/tmp when TMPDIR is unset or empty).
 * @return its path, kept until harness_group_end; NULL, having said why with print_error. */
const char *harness_make_tmp(const char *name);

/** Unless LSAN_OPTIONS is set, give every child the project's LeakSanitizer suppressions
 * (tests/lsan.supp: libh2o's thread-local recycle lists), as `make test` does. Tests run from the
 * project root. */
void harness_lsan_default(void);

/** A cmocka group setup: a zeroed context of size bytes in *state, then steps(context); when steps
 * fails, teardown(state) cleans up what it left.
 * @return 0, or -1 when out of memory or steps failed. */
int harness_group_setup(void **state, size_t size, int (*steps)(void *ctx), int (*teardown)(void **state));

/** The end of a group teardown, after the test file has stopped its children: remove the temporary
 * directory (unless HOCBA_KEEP_TMP is set and not "0", for a look after a failure), free everything
 * kept, and free the context *state (from harness_group_setup); *state becomes NULL.
 * @param tmp  the group's temporary directory, or NULL or "" when there is none */
void harness_group_end(void **state, const char *tmp);

#endif
