/* harness.c — the shared test harness; see harness.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>
#include <lz4.h>
#include <zlib.h>
#include <openssl/evp.h>

#include "tests/harness.h"

#define LSAN_SUPPRESSIONS "tests/lsan.supp"
/* after SIGKILL, how long to wait for the kernel to let a child go */
#define REAP_TIMEOUT_MS 5000

/* One thing kept until harness_group_end, and what lets it go (free, or the owner's release). */
typedef struct {
    void *p;
    void (*release)(void *);
} kept_t;

/* Everything kept until harness_group_end (see harness.h for why it is the process's). */
static struct {
    kept_t *p;
    size_t n, cap;
} kept;

/* env: NULL or a NULL-terminated list of "NAME=VALUE" added for the child. */
static void child_env(const char *const env[])
{
    for (size_t i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
}

/* "NAME=VALUE ... PROGRAM ARG ...", cut at n bytes, for failure messages. */
static void describe(char *cmd, size_t n, const char *const env[], const char *const argv[])
{
    size_t at = 0;
    cmd[0] = '\0';
    for (size_t i = 0; env && env[i] && at < n - 1; i++) {
        int k = snprintf(cmd + at, n - at, "%s ", env[i]);
        if (k < 0)
            return;
        at += (size_t)k;
    }
    for (int i = 0; argv[i] && at < n - 1; i++) {
        int k = snprintf(cmd + at, n - at, "%s%s", i ? " " : "", argv[i]);
        if (k < 0)
            return;
        at += (size_t)k;
    }
}

/* nftw, depth first: a file that cannot be removed leaves the rest to go. */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* ---- memory ------------------------------------------------------------------------------ */

void *harness_keep(void *p)
{
    return harness_keep_with(p, free);
}

void *harness_keep_with(void *p, void (*release)(void *))
{
    if (p == NULL)
        fail_msg("out of memory");
    if (kept.n == kept.cap) {
        size_t ncap = kept.cap ? 2 * kept.cap : 256;
        kept_t *nk = realloc(kept.p, ncap * sizeof *nk);
        if (nk == NULL) {
            release(p);
            fail_msg("out of memory");
        }
        kept.p = nk;
        kept.cap = ncap;
    }
    kept.p[kept.n++] = (kept_t){p, release};
    return p;
}

void *harness_malloc(size_t n)
{
    return harness_keep(malloc(n ? n : 1));
}

char *harness_strndup(const char *s, size_t n)
{
    char *p = harness_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *harness_printf(const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0)
        fail_msg("vasprintf failed");
    return harness_keep(p);
}

int harness_append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
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

char *harness_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    char chunk[65536];
    size_t got;
    harness_append(&buf, &n, &cap, "", 0);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (harness_append(&buf, &n, &cap, chunk, got) != 0)
            break;
    fclose(f);
    if (len)
        *len = n;
    return harness_keep(buf);
}

int harness_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- time ------------------------------------------------------------------------------------ */

long harness_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

void harness_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* ---- child processes ---------------------------------------------------------------------------- */

void harness_child_prepare(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
}

void harness_run(harness_run_t *r, const char *const env[], const char *const argv[], long timeout_ms)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    r->timeout_ms = timeout_ms;
    describe(r->cmd, sizeof r->cmd, env, argv);
    char *out = NULL, *err = NULL;
    size_t ocap = 0, ecap = 0;
    harness_append(&out, &r->outlen, &ocap, "", 0);
    harness_append(&err, &r->errlen, &ecap, "", 0);
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0)
        fail_msg("expected a pipe, got: %s", strerror(errno));
    long start = harness_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        harness_child_prepare();
        child_env(env);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pid > 0) {
        setpgid(pid, pid);
        struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
        int open_fds = 2;
        while (open_fds > 0) {
            long left = timeout_ms - (harness_now_ms() - start);
            if (left <= 0) {
                r->timed_out = 1;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                break;
            }
            int n = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
            if (n < 0 && errno != EINTR)
                break;
            for (int i = 0; i < 2 && n > 0; i++) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char buf[65536];
                ssize_t got = read(fds[i].fd, buf, sizeof buf);
                if (got > 0) {
                    if (i == 0)
                        harness_append(&out, &r->outlen, &ocap, buf, (size_t)got);
                    else
                        harness_append(&err, &r->errlen, &ecap, buf, (size_t)got);
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
        if (w == pid && WIFEXITED(st))
            r->status = WEXITSTATUS(st);
        else if (w == pid && WIFSIGNALED(st))
            r->signal = WTERMSIG(st);
    } else {
        close(po[0]);
        close(pe[0]);
    }
    r->ms = harness_now_ms() - start;
    r->out = harness_keep(out);
    r->err = harness_keep(err);
}

int harness_run_ok(const char *const argv[], long timeout_ms)
{
    harness_run_t r;
    harness_run(&r, NULL, argv, timeout_ms);
    if (r.status == 0)
        return 0;
    harness_dump_run(&r);
    return -1;
}

const char *harness_ending(const harness_run_t *r)
{
    if (r->timed_out)
        return harness_printf("no exit within %ld ms (killed)", r->timeout_ms);
    if (r->signal)
        return harness_printf("killed by signal %d (%s)", r->signal, strsignal(r->signal));
    if (r->status < 0)
        return "could not be started";
    return harness_printf("exit status %d", r->status);
}

void harness_dump_run(const harness_run_t *r)
{
    fflush(stdout);
    fprintf(stderr, "command: %s\nended:   %s after %ld ms\n--- stdout (%zu bytes) ---\n%.4000s\n", r->cmd,
            harness_ending(r), r->ms, r->outlen, r->out ? r->out : "");
    fprintf(stderr, "--- stderr (%zu bytes) ---\n%.4000s\n--- end ---\n", r->errlen, r->err ? r->err : "");
    fflush(stderr);
}

pid_t harness_start_bg(const char *const argv[], const char *outfile, int append)
{
    /* the child writes its exec's errno here; the pipe closes unwritten on a successful exec */
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        harness_child_prepare();
        close(sync[0]);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int fd = open(outfile ? outfile : "/dev/null",
                      O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
        if (null < 0 || fd < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        int e = errno;
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(e));
        if (write(sync[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(sync[1]);
    if (pid < 0) {
        close(sync[0]);
        return -1;
    }
    setpgid(pid, pid);
    int e = 0;
    ssize_t n;
    while ((n = read(sync[0], &e, sizeof e)) < 0 && errno == EINTR) {
    }
    close(sync[0]);
    if (n > 0) {
        waitpid(pid, NULL, 0);
        errno = e;
        return -1;
    }
    return pid;
}

int harness_wait_exit(pid_t pid, long ms, int *st)
{
    long start = harness_now_ms();
    for (;;) {
        pid_t w = waitpid(pid, st, WNOHANG);
        if (w == pid)
            return 1;
        if (w < 0 && errno != EINTR)
            return 1;
        if (harness_now_ms() - start >= ms)
            return 0;
        harness_sleep_ms(5);
    }
}

const char *harness_wait_status_text(int st)
{
    if (WIFEXITED(st))
        return harness_printf("exit status %d", WEXITSTATUS(st));
    if (WIFSIGNALED(st))
        return harness_printf("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    return "ended oddly";
}

int harness_stop(pid_t pid, int sig, long ms, int *st)
{
    *st = 0;
    kill(pid, sig);
    int ended = harness_wait_exit(pid, ms, st);
    if (!ended) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        harness_wait_exit(pid, REAP_TIMEOUT_MS, st);
    }
    return ended;
}

void harness_kill(pid_t pid)
{
    int st;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    harness_wait_exit(pid, REAP_TIMEOUT_MS, &st);
}

void harness_dump_file_tail(const char *what, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char chunk[6000];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof chunk - 1 ? size - (long)sizeof chunk + 1 : 0, SEEK_SET);
    size_t n = fread(chunk, 1, sizeof chunk - 1, f);
    chunk[n] = '\0';
    fclose(f);
    fflush(stdout);
    fprintf(stderr, "--- %s (%s, last %zu bytes) ---\n%s\n--- end ---\n", what, path, n, chunk);
    fflush(stderr);
}

const char *harness_sanitizer_note(const char *path)
{
    char line[4096];
    const char *note = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return note;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "LeakSanitizer")) {
            note = " (LeakSanitizer reported leaks at exit, see the output above)";
            break;
        }
        if (strstr(line, "AddressSanitizer") || strstr(line, "runtime error:"))
            note = " (a sanitizer reported an error, see the output above)";
    }
    fclose(f);
    return note;
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- what the programs print and write ------------------------------------------------------------ */

long harness_count_of(const char *text, const char *word, int before_too)
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
        if (!before_too)
            continue;
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

off_t harness_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

const char *harness_api_path(const char *code)
{
    return harness_printf("/api/v1/transcripts/%s", code);
}

int harness_load_codes(const char *demo, size_t max, harness_code_t **codes, size_t *ncodes)
{
    const char *path = harness_printf("%s/codes.txt", demo);
    FILE *f = fopen(path, "r");
    if (!f) {
        print_error("cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    harness_code_t *v = NULL;
    size_t n = 0, cap = 0;
    char line[2048];
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (line[0] == '#' || !t1 || !t2 || t1 - line != 16)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 128;
            harness_code_t *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                print_error("out of memory reading %s\n", path);
                free(v);
                fclose(f);
                return -1;
            }
            v = nv;
            cap = ncap;
        }
        harness_code_t *e = &v[n++];
        memset(e, 0, sizeof *e);
        snprintf(e->code, sizeof e->code, "%.16s", line);
        snprintf(e->expect, sizeof e->expect, "%.*s", (int)(t2 - t1 - 1), t1 + 1);
        snprintf(e->stem, sizeof e->stem, "%.*s", (int)strcspn(t2 + 1, ":"), t2 + 1);
        char *t3 = strchr(t2 + 1, '\t'); /* LEVEL, the fourth column */
        if (t3 != NULL) {
            *t3 = '\0';
            snprintf(e->level, sizeof e->level, "%s", t3 + 1);
        }
        snprintf(e->desc, sizeof e->desc, "%s", t2 + 1);
        e->plain = strstr(t2 + 1, ": transcript,") && !strchr(t2 + 1, ';');
    }
    fclose(f);
    if (n == 0) {
        print_error("%s holds no code\n", path);
        free(v);
        return -1;
    }
    *codes = harness_keep(v);
    *ncodes = n;
    return 0;
}

/* ---- the portal's API answers, for tests/openapi/check.mjs ------------------------------------------ */

/* o.name = the bytes as a JSON string when they are UTF-8, else o.name_base64 = their base64. */
static int set_bytes(json_t *o, const char *name, const char *p, size_t n)
{
    json_t *s = json_stringn(p ? p : "", n);
    if (s != NULL)
        return json_object_set_new(o, name, s);
    size_t cap = 4 * ((n + 2) / 3) + 1;
    unsigned char *b64 = malloc(cap);
    if (b64 == NULL)
        return -1;
    int len = EVP_EncodeBlock(b64, (const unsigned char *)p, (int)n);
    int rc =
        json_object_set_new(o, harness_printf("%s_base64", name), json_stringn((char *)b64, (size_t)len));
    free(b64);
    return rc;
}

/* [[name, value], ...] of a head after its status line; names lower-cased, and a byte of a value
 * outside printable ASCII written as '?' (the portal's values are ASCII; a header the check
 * looks at that holds other bytes is wrong anyway). */
static json_t *head_fields(const char *head, size_t head_len)
{
    json_t *fields = json_array();
    const char *p = memchr(head, '\n', head_len), *end = head + head_len;
    while (fields != NULL && p != NULL && p + 1 < end) {
        const char *line = p + 1, *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            break;
        size_t len = (size_t)(eol - line);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        const char *colon = memchr(line, ':', len);
        if (colon != NULL) {
            char *name = harness_strndup(line, (size_t)(colon - line));
            const char *v = colon + 1, *ve = line + len;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            char *value = harness_strndup(v, (size_t)(ve - v));
            for (char *q = name; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            for (char *q = value; *q; q++)
                if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7F)
                    *q = '?';
            json_array_append_new(fields, json_pack("[s, s]", name, value));
        }
        p = eol;
    }
    return fields;
}

void harness_api_log(const char *req, size_t req_len, const char *head, size_t head_len, const char *body,
                     size_t body_len)
{
    const char *log = getenv("HOCBA_API_LOG");
    if (log == NULL || *log == '\0' || head_len < 12 || strncmp(head, "HTTP/1.", 7) != 0)
        return;
    const char *eol = memchr(req, '\n', req_len);
    size_t line_len = eol != NULL ? (size_t)(eol - req) : req_len;
    const char *sp1 = memchr(req, ' ', line_len);
    const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', line_len - (size_t)(sp1 + 1 - req)) : NULL;
    if (sp2 == NULL || sp2 - sp1 - 1 < 5 || memcmp(sp1 + 1, "/api/", 5) != 0)
        return;
    json_t *o =
        json_pack("{s:s, s:s%, s:i, s:o}", "client", program_invocation_short_name, "method", req,
                  (size_t)(sp1 - req), "status", atoi(head + 9), "headers", head_fields(head, head_len));
    if (o == NULL || set_bytes(o, "target", sp1 + 1, (size_t)(sp2 - sp1 - 1)) != 0 ||
        set_bytes(o, "body", body, body_len) != 0) {
        json_decref(o);
        fail_msg("cannot make the API log line for %.*s", (int)line_len, req);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL)
        fail_msg("cannot make the API log line for %.*s", (int)line_len, req);
    char *line = harness_printf("%s\n", text);
    free(text);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    size_t len = strlen(line);
    ssize_t w = fd >= 0 ? write(fd, line, len) : -1;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (w != (ssize_t)len)
        fail_msg("cannot append to HOCBA_API_LOG %s: %s", log, w < 0 ? strerror(e) : "short write");
}

/* ---- the group ------------------------------------------------------------------------------------- */

int harness_bin(const char **path, const char *var, const char *name)
{
    const char *dir = getenv(var);
    *path = harness_printf("%s/%s", dir && *dir ? dir : "bin", name);
    if (access(*path, X_OK) != 0) {
        print_error("%s is not an executable (%s); set %s to its directory\n", *path, strerror(errno), var);
        return -1;
    }
    return 0;
}

int harness_make_demo(const char *dir, const char *students, const char *seed)
{
    const char *demo;
    if (harness_bin(&demo, "HOCBA_BIN", "hocba-demo") != 0)
        return -1;
    const char *argv[] = {demo, "--out", dir, "--students", students, "--seed", seed, NULL};
    harness_run_t r;
    harness_run(&r, NULL, argv, 120000);
    if (r.status != 0) {
        harness_dump_run(&r);
        print_error("hocba-demo failed: %s\n", harness_ending(&r));
        return -1;
    }
    return 0;
}

const char *harness_make_tmp(const char *name)
{
    const char *tmpdir = getenv("TMPDIR");
    char *dir = harness_printf("%s/%s-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp", name);
    if (!mkdtemp(dir)) {
        print_error("mkdtemp %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    return dir;
}

void harness_lsan_default(void)
{
    char supp[PATH_MAX];
    if (!getenv("LSAN_OPTIONS") && realpath(LSAN_SUPPRESSIONS, supp))
        setenv("LSAN_OPTIONS", harness_printf("suppressions=%s", supp), 1);
}

int harness_group_setup(void **state, size_t size, int (*steps)(void *ctx), int (*teardown)(void **state))
{
    void *ctx = calloc(1, size);
    if (!ctx)
        return -1;
    *state = ctx;
    if (steps(ctx) != 0) {
        teardown(state);
        return -1;
    }
    return 0;
}

void harness_group_end(void **state, const char *tmp)
{
    if (tmp && tmp[0]) {
        const char *keepdir = getenv("HOCBA_KEEP_TMP");
        if (keepdir && *keepdir && strcmp(keepdir, "0") != 0)
            print_message("kept %s\n", tmp);
        else
            nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    for (size_t i = 0; i < kept.n; i++)
        kept.p[i].release(kept.p[i].p);
    free(kept.p);
    kept.p = NULL;
    kept.n = kept.cap = 0;
    if (state) {
        free(*state);
        *state = NULL;
    }
}

/* ---- the index ---------------------------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

unsigned char *harness_record_as_zlib(const unsigned char *v, size_t len, size_t *nlen)
{
    if (len < 28 || v[0] != 4)
        return NULL;
    size_t plen = le32(v + 4), packed = le32(v + 24);
    size_t stored = packed ? packed : plen + 4; /* kept as is: its CRC-32 after it */
    if ((packed != 0 && packed <= 4) || 28 + stored > len)
        fail_msg("expected a record of format 4 whose stored payload (%zu bytes) fits its %zu bytes", stored,
                 len);
    char *payload = malloc(plen + 1);
    uLongf zcap = compressBound((uLong)plen);
    unsigned char *z = malloc(zcap), *out = NULL;
    if (payload == NULL || z == NULL)
        fail_msg("out of memory");
    if (packed == 0)
        memcpy(payload, v + 28, plen);
    else if (LZ4_decompress_safe((const char *)v + 28, payload, (int)(stored - 4), (int)plen) != (int)plen)
        fail_msg("expected the LZ4 block of a record of format 4 to unpack to %zu bytes", plen);
    /* format 3 kept a payload as is, with no check, when zlib could not shorten it */
    if (compress2(z, &zcap, (const Bytef *)payload, (uLong)plen, 6) != Z_OK || zcap >= plen)
        zcap = 0;
    size_t nstored = zcap ? zcap : plen;
    *nlen = len - stored + nstored;
    if ((out = malloc(*nlen)) == NULL)
        fail_msg("out of memory");
    memcpy(out, v, 28);
    out[0] = 3;
    out[24] = (unsigned char)zcap, out[25] = (unsigned char)(zcap >> 8);
    out[26] = (unsigned char)(zcap >> 16), out[27] = (unsigned char)(zcap >> 24);
    memcpy(out + 28, zcap ? z : (unsigned char *)payload, nstored);
    memcpy(out + 28 + nstored, v + 28 + stored, len - 28 - stored);
    free(payload);
    free(z);
    return out;
}

/* Every record of format 4 in docs stored as a zlib stream (record format 3):
 * the keys first, then each record put again (not through the cursor). */
static int records_as_zlib(MDB_txn *txn)
{
    MDB_dbi docs;
    MDB_cursor *cur;
    MDB_val k, v;
    char(*keys)[16] = NULL;
    size_t n = 0, cap = 0;
    int rc = mdb_dbi_open(txn, "docs", 0, &docs);
    if (rc == 0)
        rc = mdb_cursor_open(txn, docs, &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16)
            continue;
        if (n == cap && (keys = realloc(keys, (cap = cap ? 2 * cap : 64) * sizeof *keys)) == NULL)
            fail_msg("out of memory");
        memcpy(keys[n++], k.mv_data, 16);
    }
    mdb_cursor_close(cur);
    rc = rc == MDB_NOTFOUND ? 0 : rc;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        MDB_val key = {16, keys[i]};
        size_t len;
        unsigned char *z = NULL;
        if ((rc = mdb_get(txn, docs, &key, &v)) == 0 &&
            (z = harness_record_as_zlib(v.mv_data, v.mv_size, &len)) != NULL) {
            MDB_val nv = {len, z};
            rc = mdb_put(txn, docs, &key, &nv, 0);
        }
        free(z);
    }
    free(keys);
    return rc;
}

void harness_make_index_format(const char *db, int format)
{
    /* the tables a format added, by the format that added them */
    static const struct {
        int format;
        const char *table;
    } ADDED[] = {{4, "issuers"}, {5, "summary"}, {5, "tally"}};
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    char f = (char)('0' + format);
    MDB_val k = {6, "format"}, v = {1, &f};
    int rc = mdb_env_create(&env);
    if (rc == 0 && (rc = mdb_env_set_mapsize(env, (size_t)64 << 30)) == 0 &&
        (rc = mdb_env_set_maxdbs(env, 16)) == 0 && (rc = mdb_env_open(env, db, 0, 0664)) == 0)
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    for (size_t i = 0; rc == 0 && i < sizeof ADDED / sizeof *ADDED; i++)
        if (ADDED[i].format > format && (rc = mdb_dbi_open(txn, ADDED[i].table, 0, &dbi)) == 0)
            rc = mdb_drop(txn, dbi, 1);
    if (rc == 0 && format < 6)
        rc = records_as_zlib(txn);
    if (rc == 0 && (rc = mdb_dbi_open(txn, "meta", 0, &dbi)) == 0 &&
        (rc = mdb_put(txn, dbi, &k, &v, 0)) == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    if (rc != 0)
        fail_msg("cannot make %s an index of format %d: %s", db, format, mdb_strerror(rc));
}
