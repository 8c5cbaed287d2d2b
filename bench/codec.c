/* bench/codec.c — the index's payload codecs side by side, in one run over
 * many different payloads (one payload over and over flatters them all:
 * its tables stay in the caches): record format 3's zlib stream from
 * libdeflate level 1 (a compressor kept, as the publisher kept one) against
 * format 4's LZ4 block followed by the payload's CRC-32, as lookup/index_doc.c
 * packs and checks it. Both round trips are checked byte for byte.
 *   cc -std=c11 -D_GNU_SOURCE -O2 bench/codec.c -o build/codec -ldeflate -llz4
 *   build/codec PAYLOAD.json...   (the docs quote the 2,041 payloads of `hocba-demo --students 2000`) */
#include <libdeflate.h>
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t lz4_pack(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    int k = LZ4_compress_default((const char *)in, (char *)out, (int)n, (int)cap - 4);
    if (k <= 0)
        return 0;
    uint32_t crc = libdeflate_crc32(0, in, n);
    memcpy(out + k, &crc, 4); /* little-endian hosts only: a bench */
    return (size_t)k + 4;
}

static int lz4_unpack(const unsigned char *in, size_t n, unsigned char *out, size_t len)
{
    uint32_t crc;
    int got = LZ4_decompress_safe((const char *)in, (char *)out, (int)n - 4, (int)len);
    memcpy(&crc, in + n - 4, 4);
    return got == (int)len && libdeflate_crc32(0, out, len) == crc ? 0 : -1;
}

int main(int argc, char **argv)
{
    int m = argc - 1;
    if (m < 1) {
        fprintf(stderr, "usage: %s PAYLOAD.json...\n", argv[0]);
        return 2;
    }
    enum { CAP = 1 << 17 };
    unsigned char **in = calloc((size_t)m, sizeof *in), **z = calloc((size_t)m, sizeof *z),
                  **l = calloc((size_t)m, sizeof *l);
    size_t *n = calloc((size_t)m, sizeof *n), *zn = calloc((size_t)m, sizeof *zn),
           *ln = calloc((size_t)m, sizeof *ln);
    static unsigned char out[CAP], tmp[CAP];
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
    if (in == NULL || z == NULL || l == NULL || n == NULL || zn == NULL || ln == NULL || c == NULL)
        return 1;
    size_t total = 0, zbytes = 0, lbytes = 0;
    for (int i = 0; i < m; i++) {
        FILE *f = fopen(argv[i + 1], "rb");
        if (f == NULL || (in[i] = malloc(CAP)) == NULL || (z[i] = malloc(CAP)) == NULL ||
            (l[i] = malloc(CAP)) == NULL)
            return 1;
        n[i] = fread(in[i], 1, CAP, f);
        fclose(f);
        zn[i] = libdeflate_zlib_compress(c, in[i], n[i], z[i], CAP);
        ln[i] = lz4_pack(in[i], n[i], l[i], CAP);
        if (zn[i] == 0 || ln[i] == 0)
            return 1;
        total += n[i];
        zbytes += zn[i];
        lbytes += ln[i];
    }
    printf("%d payloads of %zu bytes on average; stored: zlib %.3f of the payload, LZ4 + CRC-32 %.3f\n", m,
           total / (size_t)m, (double)zbytes / (double)total, (double)lbytes / (double)total);
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (int i = 0; i < m; i++)
            libdeflate_zlib_compress(c, in[i], n[i], tmp, CAP);
        double t1 = now();
        for (int i = 0; i < m; i++)
            lz4_pack(in[i], n[i], tmp, CAP);
        double t2 = now();
        for (int i = 0; i < m; i++) {
            struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
            size_t got;
            if (d == NULL ||
                libdeflate_zlib_decompress(d, z[i], zn[i], out, n[i], &got) != LIBDEFLATE_SUCCESS ||
                got != n[i] || memcmp(out, in[i], n[i]) != 0)
                return 1;
            libdeflate_free_decompressor(d);
        }
        double t3 = now();
        for (int i = 0; i < m; i++)
            if (lz4_unpack(l[i], ln[i], out, n[i]) != 0 || memcmp(out, in[i], n[i]) != 0)
                return 1;
        double t4 = now();
        printf("round %d: pack   zlib (libdeflate 1) %5.2f us   LZ4 + CRC-32 %5.2f us\n", round + 1,
               (t1 - t0) / m * 1e6, (t2 - t1) / m * 1e6);
        printf("         unpack zlib (libdeflate)   %5.2f us   LZ4 + CRC-32 %5.2f us\n", (t3 - t2) / m * 1e6,
               (t4 - t3) / m * 1e6);
    }
    libdeflate_free_compressor(c);
    return 0;
}
