/* bench/deflate.c — the index's payload compression, zlib against
 * libdeflate, side by side in one run over many different payloads (one
 * payload over and over flatters both: its tables stay in the caches).
 *   cc -std=c11 -D_GNU_SOURCE -O2 bench/deflate.c -o build/deflate -lz -ldeflate
 *   build/deflate PAYLOAD.json...   (the docs quote 2,000 payloads of a hocba-demo batch) */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* what index.c did before: zlib level 1, an 8 KB window, memLevel 6 */
static size_t zlib_deflate(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 13, 6, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    size_t r = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
    deflateEnd(&z);
    return r;
}

static int zlib_inflate(const unsigned char *in, size_t n, unsigned char *out, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)len;
    int rc = inflate(&z, Z_FINISH) == Z_STREAM_END && z.avail_out == 0 ? 0 : -1;
    inflateEnd(&z);
    return rc;
}

int main(int argc, char **argv)
{
    int m = argc - 1;
    if (m < 1) {
        fprintf(stderr, "usage: %s PAYLOAD.json...\n", argv[0]);
        return 2;
    }
    unsigned char **in = calloc((size_t)m, sizeof *in), **z = calloc((size_t)m, sizeof *z);
    size_t *n = calloc((size_t)m, sizeof *n), *zn = calloc((size_t)m, sizeof *zn);
    static unsigned char out[1 << 20], tmp[1 << 20];
    size_t total = 0, zbytes = 0, lbytes = 0;
    for (int i = 0; i < m; i++) {
        FILE *f = fopen(argv[i + 1], "rb");
        if (f == NULL || (in[i] = malloc(1 << 20)) == NULL || (z[i] = malloc(1 << 20)) == NULL)
            return 1;
        n[i] = fread(in[i], 1, 1 << 20, f);
        fclose(f);
        zn[i] = zlib_deflate(in[i], n[i], z[i], 1 << 20);
        total += n[i];
        zbytes += zn[i];
    }
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (int i = 0; i < m; i++)
            zlib_deflate(in[i], n[i], tmp, sizeof tmp);
        double t1 = now();
        lbytes = 0;
        for (int i = 0; i < m; i++) {
            struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
            lbytes += libdeflate_zlib_compress(c, in[i], n[i], tmp, sizeof tmp);
            libdeflate_free_compressor(c);
        }
        double t2 = now();
        for (int i = 0; i < m; i++)
            if (zlib_inflate(z[i], zn[i], out, n[i]) != 0)
                return 1;
        double t3 = now();
        for (int i = 0; i < m; i++) {
            struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
            size_t got;
            if (libdeflate_zlib_decompress(d, z[i], zn[i], out, n[i], &got) != LIBDEFLATE_SUCCESS ||
                got != n[i])
                return 1;
            libdeflate_free_decompressor(d);
        }
        double t4 = now();
        printf("round %d, %d payloads of %zu bytes on average:\n", round + 1, m, total / (size_t)m);
        printf("  deflate  zlib %.1f us -> %zu bytes   libdeflate %.1f us -> %zu bytes\n",
               (t1 - t0) / m * 1e6, zbytes / (size_t)m, (t2 - t1) / m * 1e6, lbytes / (size_t)m);
        printf("  inflate  zlib %.1f us   libdeflate %.1f us (the same zlib streams)\n", (t3 - t2) / m * 1e6,
               (t4 - t3) / m * 1e6);
    }
    return 0;
}
