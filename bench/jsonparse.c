/* jsonparse.c — bench only: json_loadb against jsonfast_parse on files.
 * Build (after `make -s all`, which builds build/rel/liblookup.a):
 *   cc -std=c11 -D_GNU_SOURCE -I. -O2 -o /tmp/jsonparse bench/jsonparse.c \
 *       build/rel/liblookup.a -ljansson -lpthread
 * Run:
 *   /tmp/jsonparse [-n ROUNDS] FILE.json...
 * The two parsers take turns in rounds of BATCH parses each, so that a
 * change of clock speed or a noisy neighbour weighs on both alike. A file
 * jsonfast declines is reported and left out of the totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup/jsonfast.h"

#define BATCH 20
#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)n + 1)) != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b != NULL)
        *len = (size_t)n;
    return b;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Microseconds for BATCH parses by one of the two, the trees freed as made. */
static double run_batch(int fast, const char *buf, size_t len)
{
    json_error_t err;
    double t0 = now_us();
    for (int i = 0; i < BATCH; i++) {
        json_t *j = fast ? jsonfast_parse(buf, len) : json_loadb(buf, len, FLAGS, &err);
        json_decref(j);
    }
    return now_us() - t0;
}

int main(int argc, char **argv)
{
    int rounds = 100, first = 1, files = 0;
    double total_slow = 0, total_fast = 0;

    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        rounds = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || rounds <= 0) {
        fprintf(stderr, "usage: %s [-n ROUNDS] FILE.json...\n", argv[0]);
        return 2;
    }
    printf("%-40s %8s %10s %10s %7s\n", "file", "bytes", "jansson", "jsonfast", "ratio");
    for (int a = first; a < argc; a++) {
        size_t len;
        char *buf = slurp(argv[a], &len);
        double slow = 0, fast = 0;
        json_t *probe;

        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[a]);
            return 1;
        }
        probe = jsonfast_parse(buf, len);
        if (probe == NULL) {
            printf("%-40s %8zu declined by jsonfast\n", argv[a], len);
            free(buf);
            continue;
        }
        json_decref(probe);
        for (int r = 0; r < rounds; r++) {
            slow += run_batch(0, buf, len);
            fast += run_batch(1, buf, len);
        }
        slow /= (double)rounds * BATCH;
        fast /= (double)rounds * BATCH;
        printf("%-40s %8zu %8.2f us %8.2f us %6.2fx\n", argv[a], len, slow, fast, slow / fast);
        total_slow += slow;
        total_fast += fast;
        files++;
        free(buf);
    }
    if (files > 0)
        printf("mean over %d files: jansson %.2f us, jsonfast %.2f us per parse, %.2fx faster\n", files,
               total_slow / files, total_fast / files, total_slow / total_fast);
    return 0;
}
