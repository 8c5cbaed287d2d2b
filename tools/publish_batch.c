/* publish_batch.c — `batch` and `check`, and the pipeline they both run
 * (check's overlay is publish_check.c): the packages of a directory checked
 * on every core (publish_package.c) while this thread publishes each one in
 * order as soon as it is checked (publish_write.c), in one LMDB write
 * transaction: all of them or none. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lookup/utf8.h"
#include "tools/publish_batch_internal.h"

static int ends_with(const char *s, const char *suffix, size_t *stemlen)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m || strcmp(s + n - m, suffix) != 0)
        return 0;
    *stemlen = n - m;
    return 1;
}

typedef struct {
    char *stem;
    int is_json;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int c = strcmp(x->stem, y->stem);
    return c ? c : x->is_json - y->is_json;
}

/* Collect the packages of dir: stems of *.json and *.p7s files, sorted. */
static int scan_dir(const char *dir, pkg_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    entry_t *ents = NULL;
    pkg_t *pkgs = NULL;
    size_t cnt = 0, cap = 0, np = 0;
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t sl;
        int is_json = ends_with(e->d_name, ".json", &sl),
            is_p7s = !is_json && ends_with(e->d_name, ".p7s", &sl);
        if ((!is_json && !is_p7s) || e->d_name[0] == '.')
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            entry_t *g = realloc(ents, cap * sizeof *ents);
            if (g == NULL)
                goto fail;
            ents = g;
        }
        if ((ents[cnt].stem = strndup(e->d_name, sl)) == NULL)
            goto fail;
        ents[cnt++].is_json = is_json;
    }
    closedir(d);
    d = NULL;
    qsort(ents, cnt, sizeof *ents, entry_cmp);
    size_t stems = 0; /* a package is usually two files: as many records as stems, not files */
    for (size_t i = 0; i < cnt; i++)
        stems += i == 0 || strcmp(ents[i - 1].stem, ents[i].stem) != 0;
    if ((pkgs = calloc(stems ? stems : 1, sizeof *pkgs)) == NULL)
        goto fail;
    for (size_t i = 0; i < cnt; i++) {
        if (np == 0 || strcmp(pkgs[np - 1].stem, ents[i].stem) != 0) {
            pkgs[np++].stem = ents[i].stem;
            ents[i].stem = NULL;
        }
        if (ents[i].is_json)
            pkgs[np - 1].has_json = 1;
        else
            pkgs[np - 1].has_p7s = 1;
    }
    for (size_t i = 0; i < cnt; i++)
        free(ents[i].stem);
    free(ents);
    *out = pkgs;
    *n = np;
    return 0;
fail:
    if (d != NULL)
        closedir(d);
    for (size_t i = 0; i < cnt; i++)
        free(ents[i].stem);
    free(ents);
    free(pkgs);
    errno = ENOMEM;
    return -1;
}

/* Start the checking threads: all cores check while this thread writes. */
static int start_workers(batch_t *b, pthread_t *th, int max)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("HOCBA_THREADS");
    int n = env != NULL && atoi(env) > 0 ? atoi(env) : (int)(cores > 0 ? cores : 1);
    if (n > max)
        n = max;
    if ((size_t)n > b->n)
        n = (int)b->n;
    int started = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[started], NULL, batch_worker, b) == 0)
            started++;
    return started;
}

/* Wait until package i is checked, reporting progress on a terminal. The
 * writer is faster than the checkers, so it would sleep and be woken once a
 * package; it asks to be woken when a run of WAKE_RUN more are checked
 * (perf: futex wake-ups 5.7 % and reschedule interrupts 5.6 % of a batch). */
#define WAKE_RUN 32

static void wait_ready(batch_t *b, size_t i, int progress, double t0, double *last)
{
    if (atomic_load(&b->ready[i]))
        return;
    pthread_mutex_lock(&b->lock);
    size_t want = i + WAKE_RUN < b->n ? i + WAKE_RUN : b->n; /* a count of checked packages */
    while (!atomic_load(&b->ready[i])) {
        if (atomic_load(&b->done) >= want) {
            want = atomic_load(&b->done) + 1; /* package i is slow: wake at the next one */
            continue;
        }
        atomic_store(&b->wake_done, want);
        /* a worker that finished before it could see wake_done did not signal */
        if (atomic_load(&b->ready[i]) || atomic_load(&b->done) >= want)
            continue;
        /* bounded all the same: a lost wake-up costs milliseconds, not the batch */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += progress ? 200000000 : 2000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&b->cond, &b->lock, &ts);
        double t = publish_now_seconds();
        if (progress && t - *last >= 0.2) {
            size_t done = atomic_load(&b->done);
            double rate = t > t0 ? (double)done / (t - t0) : 0;
            fprintf(stderr, "\rchecked %zu/%zu packages, %.0f/s, ETA %.0f s   ", done, b->n, rate,
                    rate > 0 ? (double)(b->n - done) / rate : 0.0);
            *last = t;
        }
    }
    atomic_store(&b->wake_done, 0);
    pthread_mutex_unlock(&b->lock);
}

/* The package's bytes are in the transaction now (or it was refused). */
static void release_bytes(pkg_t *p)
{
    free(p->json);
    free(p->p7s);
    p->json = p->p7s = NULL;
    index_prepared_free(&p->rec);
    payload_free(p->pl);
    free(p->pl);
    p->pl = NULL;
}

/* One package's line. A dry run says "would publish" (JSON: "would_publish")
 * where a batch says "published"; everything else is the same. */
static void print_line(const pkg_t *p, int json, int dry_run)
{
    static const char *const OUTCOMES[] = {"refused", "published", "already", "refused"};
    char code[CODE_LEN + 1] = "";
    if (p->has_code)
        memcpy(code, p->code, CODE_LEN);
    if (json) {
        /* a file name need not be UTF-8, and jansson refuses what is not:
         * every package gets its line, with U+FFFD for such bytes */
        char stem[3 * 256 + 1], reason[3 * REASON_LEN];
        utf8_scrub(p->stem, strlen(p->stem), stem, sizeof stem);
        const char *why = p->reason != NULL ? p->reason : "";
        utf8_scrub(why, strlen(why), reason, sizeof reason);
        const char *outcome = p->outcome == PKG_PUBLISHED && dry_run ? "would_publish" : OUTCOMES[p->outcome];
        json_t *o = json_pack("{s:s, s:s?, s:s, s:s?}", "package", stem, "code", p->has_code ? code : NULL,
                              "outcome", outcome, "reason", p->outcome == PKG_REFUSED ? reason : NULL);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        return;
    }
    /* stems are file names, and reasons may quote them: keep control bytes
     * off the terminal and each package on one line */
    publish_put_plain(p->stem);
    printf(" %s ", p->has_code ? code : "-");
    if (p->outcome == PKG_PUBLISHED) {
        printf("%s\n", dry_run ? "would publish" : "published");
    } else if (p->outcome == PKG_ALREADY) {
        printf("already published\n");
    } else {
        printf("refused: ");
        publish_put_plain(p->reason != NULL ? p->reason : "");
        putchar('\n');
    }
}

/* The writer's heap, faulted in at once. LMDB keeps every page a write
 * transaction dirties in malloc'd memory until the commit (a 4 KB page
 * and a little a package), and on the virtual machines we measured a page
 * fault costs ~11 µs: a batch of 5,099 took 5,660 of them, 61 ms of the
 * writer's time, where populating the same memory with one madvise takes
 * ~5 ms. So the writer grows the heap by an estimate (PREFAULT_PER_PACKAGE
 * a package, at most 256 MB, which LMDB would hold anyway), populates it and
 * hands it back to malloc, which is told not to give it back to the system.
 * Best effort: without MADV_POPULATE_WRITE (Linux < 5.14) the pages fault
 * one by one as before. */
#define PREFAULT_CHUNK (16u << 20) /* below glibc's largest mmap threshold (32 MB) */
#define PREFAULT_MAX (256u << 20)

#define PREFAULT_PER_PACKAGE 5120 /* the index grows by ~4.3 KB a demo package */
static void prefault_writer_heap(size_t npkgs)
{
    size_t want = npkgs < PREFAULT_MAX / PREFAULT_PER_PACKAGE ? npkgs * PREFAULT_PER_PACKAGE : PREFAULT_MAX;
    void *chunks[PREFAULT_MAX / PREFAULT_CHUNK];
    size_t n = 0;
    if (want < (1u << 20) || mallopt(M_MMAP_THRESHOLD, (int)PREFAULT_CHUNK * 2) != 1 ||
        mallopt(M_TRIM_THRESHOLD, (int)PREFAULT_MAX * 2) != 1)
        return;
    for (size_t got = 0; got < want && n < sizeof chunks / sizeof chunks[0]; got += PREFAULT_CHUNK) {
        if ((chunks[n] = malloc(PREFAULT_CHUNK)) == NULL)
            break;
        uintptr_t a = ((uintptr_t)chunks[n] + 4095) & ~(uintptr_t)4095;
        if (madvise((void *)a, PREFAULT_CHUNK - 4096, MADV_POPULATE_WRITE) != 0) {
            n++;
            break;
        }
        n++;
    }
    while (n > 0)
        free(chunks[--n]);
}

/* Free what a batch holds. */
static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->pkgs[i].stem);
        free(b->pkgs[i].json);
        free(b->pkgs[i].p7s);
        index_prepared_free(&b->pkgs[i].rec);
        payload_free(b->pkgs[i].pl);
        free(b->pkgs[i].pl);
        batch_free_reason(&b->pkgs[i]);
    }
    free(b->pkgs);
    free(b->ready);
    if (b->dirfd > 0)
        close(b->dirfd);
    trust_free(b->trust);
    overlay_free(b->pending);
}

/* The transaction phase 2 works in, and the trust store phase 1 checks
 * against. A batch reads the trust inputs first and then waits for the
 * writer's lock; a dry run reads both from one read-only transaction, which
 * takes no lock, and keeps its writes in an overlay.
 * @return 0, or -1 having said why on stderr. */
static int batch_begin(batch_t *b, const char *cmd)
{
    char why[TRUST_WHY_LEN];
    int rc;
    if (b->pending == NULL) {
        if (publish_load_trust(b->ix, &b->trust, why, sizeof why) != 0) {
            fprintf(stderr, "hocba-publish: %s: %s\n", cmd, why);
            return -1;
        }
        if ((rc = index_begin(b->ix, 0, &b->txn)) != 0) {
            fprintf(stderr, "hocba-publish: %s: nothing was published: %s\n", cmd,
                    index_write_error(b->ix, rc));
            return -1;
        }
        return 0;
    }
    if ((rc = index_begin(b->ix, 1, &b->txn)) != 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the index: %s\n", cmd, index_strerror(rc));
        return -1;
    }
    if (publish_trust_from(b->ix, b->txn, &b->trust, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: %s: %s\n", cmd, why);
        mdb_txn_abort(b->txn);
        b->txn = NULL;
        return -1;
    }
    return 0;
}

int publish_packages(index_t *ix, const publish_opts_t *o)
{
    const char *cmd = o->dry_run ? "check" : "batch", *dir = o->dir;
    int rc = EXIT_NOTHING, dbrc = 0;
    batch_t b;
    verdict_t *v = NULL;

    memset(&b, 0, sizeof b);
    b.ix = ix;
    if (scan_dir(dir, &b.pkgs, &b.n) != 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the directory %s: %s\n", cmd, dir, strerror(errno));
        return EXIT_NOTHING;
    }
    b.dir = dir;
    if ((b.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the directory %s: %s\n", cmd, dir, strerror(errno));
        goto done;
    }
    b.now = (int64_t)time(NULL);
    if ((v = malloc(sizeof *v)) == NULL || (b.ready = calloc(b.n ? b.n : 1, sizeof *b.ready)) == NULL ||
        (o->dry_run && (b.pending = overlay_new()) == NULL)) {
        fprintf(stderr, "hocba-publish: %s: nothing was %s: out of memory\n", cmd,
                o->dry_run ? "checked" : "published");
        goto done;
    }
    if (batch_begin(&b, cmd) != 0)
        goto done;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cond, NULL);
    pthread_t th[64];
    int nth = start_workers(&b, th, 64);
    if (nth == 0)
        batch_worker(&b);
    else if (!o->dry_run)
        prefault_writer_heap(b.n); /* while the workers check the first packages */
    /* Pipeline: write each package as soon as it is checked, in order, so
     * its bytes are freed early; a package that waits for another (a
     * replacement for its recall) is tried again in the rounds below. */
    int progress_shown = isatty(STDERR_FILENO) && b.n >= 100;
    double t0 = publish_now_seconds(), last = t0;
    int failed_db = 0;
    for (size_t i = 0; i < b.n && !failed_db; i++) {
        wait_ready(&b, i, progress_shown, t0, &last);
        pkg_t *p = &b.pkgs[i];
        if (p->outcome != PKG_PENDING) {
            if (p->outcome == PKG_REFUSED && p->has_code && batch_published_before(&b, p, &dbrc) < 0)
                failed_db = 1;
            release_bytes(p);
            continue;
        }
        int r = batch_try_publish(&b, p, v, &dbrc);
        if (r == TRY_FAIL)
            failed_db = 1;
        else if (r == TRY_DONE)
            release_bytes(p);
    }
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&b.lock);
    pthread_cond_destroy(&b.cond);
    if (progress_shown)
        fprintf(stderr, "\rchecked %zu/%zu packages in %.1f s                 \n", b.n, b.n,
                publish_now_seconds() - t0);
    /* Rounds, so that order inside a batch does not matter: a replacement
     * waits for its old transcript's recall, a recall for its transcript. */
    int progress = !failed_db;
    while (progress && !failed_db) {
        progress = 0;
        for (size_t i = 0; i < b.n; i++) {
            pkg_t *p = &b.pkgs[i];
            if (p->outcome != PKG_PENDING)
                continue;
            int r = batch_try_publish(&b, p, v, &dbrc);
            if (r == TRY_FAIL) {
                failed_db = 1;
                break;
            }
            if (r == TRY_DONE) {
                progress = 1;
                release_bytes(p);
            }
        }
    }
    if (failed_db) {
        if (o->dry_run)
            fprintf(stderr, "hocba-publish: check: the index could not be read: %s\n", index_strerror(dbrc));
        else
            fprintf(stderr, "hocba-publish: batch: nothing was published: %s\n", index_write_error(ix, dbrc));
        mdb_txn_abort(b.txn);
        goto done;
    }
    size_t refused = 0, published = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (b.pkgs[i].outcome == PKG_PENDING)
            b.pkgs[i].outcome = PKG_REFUSED; /* its reason says what it waited for */
        refused += b.pkgs[i].outcome == PKG_REFUSED;
        published += b.pkgs[i].outcome == PKG_PUBLISHED;
    }
    if (o->dry_run) {
        mdb_txn_abort(b.txn); /* read-only: nothing to commit, and nothing was written */
    } else if (o->strict && refused > 0) {
        index_abort(ix, b.txn);
        for (size_t i = 0; i < b.n; i++)
            if (b.pkgs[i].outcome == PKG_PUBLISHED)
                batch_refuse(&b.pkgs[i],
                             "not published: --strict, and %zu package(s) of the batch were refused",
                             refused);
    } else {
        if (published > 0 && (dbrc = index_set_last_published(ix, b.txn, b.now)) != 0)
            index_abort(ix, b.txn); /* commit frees the txn itself, even when it fails */
        else
            dbrc = index_commit(ix, b.txn);
        if (dbrc != 0) {
            fprintf(stderr, "hocba-publish: batch: nothing was published: %s\n", index_write_error(ix, dbrc));
            goto done;
        }
    }
    for (size_t i = 0; i < b.n; i++)
        print_line(&b.pkgs[i], o->json, o->dry_run);
    if (!o->json && isatty(STDOUT_FILENO))
        fprintf(stderr, "%zu %s, %zu refused, %zu already published\n", o->strict && refused ? 0 : published,
                o->dry_run ? "would publish" : "published", refused, b.n - refused - published);
    rc = refused > 0 ? EXIT_REFUSED : 0;
done:
    batch_free(&b);
    free(v);
    return rc;
}

int cmd_batch(index_t *ix, int argc, char **argv)
{
    publish_opts_t o = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--strict") == 0)
            o.strict = 1;
        else if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
        else if (o.dir == NULL && argv[i][0] != '-')
            o.dir = argv[i];
        else
            publish_die_usage();
    }
    if (o.dir == NULL)
        publish_die_usage();
    return publish_packages(ix, &o);
}

int cmd_check(index_t *ix, int argc, char **argv)
{
    publish_opts_t o = {.dry_run = 1};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
        else if (o.dir == NULL && argv[i][0] != '-')
            o.dir = argv[i];
        else
            publish_die_usage();
    }
    if (o.dir == NULL)
        publish_die_usage();
    return publish_packages(ix, &o);
}
