/* publog.c — segment files of the publication log (publog.h). */
#include "publog.h"

#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAGIC "HOCBA-PUBLOG 1\n"
#define MAGIC_LEN 15
#define HEADER_LEN (MAGIC_LEN + 8 + 32 + 4 + 8)
#define TRAILER_LEN (1 + 8 + 32)
#define PUBLOG_MAX_BYTES ((size_t)1 << 32) /* a batch's segment is about 4.2 KB a package */

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

struct publog_writer {
    FILE *f;
    EVP_MD_CTX *body; /* every byte before the trailer */
    char dir[4096];
    uint64_t seq, nops;
    int failed;
    int sealed;
};

void publog_name(uint64_t seq, char *out)
{
    snprintf(out, PUBLOG_NAME_LEN + 1, "%016" PRIu64 ".seg", seq);
}

void publog_temp_name(uint64_t seq, char *out)
{
    snprintf(out, PUBLOG_NAME_LEN + 3, ".%016" PRIu64 ".seg~", seq);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)(v & 0xff);
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void path_of(const char *dir, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* ---- writing ---- */

static int emit(publog_writer_t *w, const void *p, size_t n)
{
    if (w->failed || (n > 0 && (fwrite(p, 1, n, w->f) != n || EVP_DigestUpdate(w->body, p, n) != 1)))
        w->failed = 1;
    return w->failed ? PUBLOG_EIO : PUBLOG_OK;
}

int publog_begin(const char *dir, uint64_t seq, const uint8_t prev[32], int format, int64_t when,
                 publog_writer_t **out, char *why, size_t whylen)
{
    char name[PUBLOG_NAME_LEN + 3], path[4200];
    uint8_t head[HEADER_LEN];
    publog_writer_t *w = calloc(1, sizeof *w);
    *out = NULL;
    if (w == NULL || (w->body = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(w->body, EVP_sha256(), NULL) != 1) {
        WHY("out of memory");
        goto fail;
    }
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    w->seq = seq;
    publog_temp_name(seq, name);
    path_of(dir, name, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 || (w->f = fdopen(fd, "wb")) == NULL) {
        WHY("cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    memcpy(head, MAGIC, MAGIC_LEN);
    put_be(head + MAGIC_LEN, seq, 8);
    memcpy(head + MAGIC_LEN + 8, prev, 32);
    put_be(head + MAGIC_LEN + 40, (uint64_t)format, 4);
    put_be(head + MAGIC_LEN + 44, (uint64_t)when, 8);
    if (emit(w, head, sizeof head) != PUBLOG_OK) {
        WHY("cannot write %s: %s", path, strerror(errno));
        publog_discard(w);
        return PUBLOG_EIO;
    }
    *out = w;
    return PUBLOG_OK;
fail:
    if (w != NULL)
        EVP_MD_CTX_free(w->body);
    free(w);
    return PUBLOG_EIO;
}

int publog_add(publog_writer_t *w, int op, const char *table, const void *key, size_t klen, const void *val,
               size_t vlen)
{
    uint8_t b[6];
    size_t tl = strlen(table);
    if (tl > 255 || klen > UINT32_MAX || vlen > UINT32_MAX)
        return w->failed = 1, PUBLOG_EIO;
    b[0] = (uint8_t)op;
    b[1] = (uint8_t)tl;
    emit(w, b, 2);
    emit(w, table, tl);
    if (op != PUBLOG_EMPTY) {
        put_be(b, klen, 4);
        emit(w, b, 4);
        emit(w, key, klen);
    }
    if (op == PUBLOG_PUT) {
        put_be(b, vlen, 4);
        emit(w, b, 4);
        emit(w, val, vlen);
    }
    w->nops++;
    return w->failed ? PUBLOG_EIO : PUBLOG_OK;
}

uint64_t publog_count(const publog_writer_t *w)
{
    return w->nops;
}

/* Put a directory's entries on disk: a name made or changed survives a power loss. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

int publog_seal(publog_writer_t *w, uint8_t hash[32], char *why, size_t whylen)
{
    uint8_t t[TRAILER_LEN];
    unsigned int n = 0;
    EVP_MD_CTX *whole = EVP_MD_CTX_new();
    t[0] = 'E';
    put_be(t + 1, w->nops, 8);
    int ok = whole != NULL && !w->failed && EVP_MD_CTX_copy_ex(whole, w->body) == 1 &&
             EVP_DigestFinal_ex(w->body, t + 9, &n) == 1 && fwrite(t, 1, sizeof t, w->f) == sizeof t &&
             EVP_DigestUpdate(whole, t, sizeof t) == 1 && EVP_DigestFinal_ex(whole, hash, &n) == 1 &&
             fflush(w->f) == 0 && fsync(fileno(w->f)) == 0 && sync_dir(w->dir) == 0;
    EVP_MD_CTX_free(whole);
    if (!ok) {
        w->failed = 1;
        WHY("cannot write segment %" PRIu64 " in %s: %s", w->seq, w->dir, errno ? strerror(errno) : "failed");
        return PUBLOG_EIO;
    }
    w->sealed = 1;
    return PUBLOG_OK;
}

static void writer_free(publog_writer_t *w)
{
    if (w->f != NULL)
        fclose(w->f);
    EVP_MD_CTX_free(w->body);
    free(w);
}

int publog_publish(publog_writer_t *w, char *why, size_t whylen)
{
    char tname[PUBLOG_NAME_LEN + 3], name[PUBLOG_NAME_LEN + 1], from[4200], to[4200];
    int rc = PUBLOG_OK;
    publog_temp_name(w->seq, tname);
    publog_name(w->seq, name);
    path_of(w->dir, tname, from, sizeof from);
    path_of(w->dir, name, to, sizeof to);
    int dfd = -1;
    if (!w->sealed || rename(from, to) != 0 || (dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        fsync(dfd) != 0) {
        WHY("cannot name segment %s in %s: %s", name, w->dir, w->sealed ? strerror(errno) : "not sealed");
        rc = PUBLOG_EIO;
    }
    if (dfd >= 0)
        close(dfd);
    writer_free(w);
    return rc;
}

void publog_discard(publog_writer_t *w)
{
    char name[PUBLOG_NAME_LEN + 3], path[4200];
    if (w == NULL)
        return;
    publog_temp_name(w->seq, name);
    path_of(w->dir, name, path, sizeof path);
    unlink(path);
    writer_free(w);
}

/* ---- reading ---- */

/* Walk the ops of s from ops_begin; on success s->ops_end is the trailer's
 * offset and *count the number of ops. */
static int walk_ops(publog_segment_t *s, uint64_t *count, char *why, size_t whylen)
{
    size_t p = s->ops_begin, n = s->len;
    *count = 0;
    while (p < n && s->data[p] != 'E') {
        int op = s->data[p];
        size_t at = p;
        if ((op != PUBLOG_PUT && op != PUBLOG_DEL && op != PUBLOG_EMPTY) || n - p < 2 ||
            n - p - 2 < s->data[p + 1] || s->data[p + 1] == 0)
            goto bad;
        p += 2 + (size_t)s->data[p + 1];
        for (int part = 0; part < (op == PUBLOG_PUT ? 2 : op == PUBLOG_DEL ? 1 : 0); part++) {
            if (n - p < 4)
                goto bad;
            uint64_t l = get_be(s->data + p, 4);
            p += 4;
            if (l > n - p)
                goto bad;
            p += (size_t)l;
        }
        (*count)++;
        continue;
    bad:
        WHY("segment %" PRIu64 ": the change at byte %zu is cut or malformed", s->seq, at);
        return PUBLOG_EBAD;
    }
    if (p >= n || n - p != TRAILER_LEN) {
        WHY("segment %" PRIu64 ": no trailer where the changes end (byte %zu of %zu): the file is cut",
            s->seq, p, n);
        return PUBLOG_EBAD;
    }
    s->ops_end = p;
    return PUBLOG_OK;
}

int publog_check(const uint8_t *data, size_t len, publog_segment_t *out, char *why, size_t whylen)
{
    uint8_t h[32];
    uint64_t count;
    publog_segment_t *s = out;
    memset(s, 0, sizeof *s);
    s->data = data;
    s->len = len;
    if (s->len < MAGIC_LEN || memcmp(s->data, MAGIC, MAGIC_LEN) != 0) {
        WHY("not a segment of a publication log (no \"HOCBA-PUBLOG 1\" header)");
        return PUBLOG_EBAD;
    }
    if (s->len < HEADER_LEN + TRAILER_LEN) {
        WHY("a segment cut at %zu bytes (a header and a trailer alone take %d)", s->len,
            HEADER_LEN + TRAILER_LEN);
        return PUBLOG_EBAD;
    }
    s->seq = get_be(s->data + MAGIC_LEN, 8);
    memcpy(s->prev, s->data + MAGIC_LEN + 8, 32);
    s->format = (int)get_be(s->data + MAGIC_LEN + 40, 4);
    s->time = (int64_t)get_be(s->data + MAGIC_LEN + 44, 8);
    s->ops_begin = HEADER_LEN;
    int rc = walk_ops(s, &count, why, whylen);
    if (rc != PUBLOG_OK)
        return rc;
    s->nops = get_be(s->data + s->ops_end + 1, 8);
    if (s->nops != count) {
        WHY("segment %" PRIu64 ": its trailer counts %" PRIu64 " changes, it holds %" PRIu64, s->seq, s->nops,
            count);
        return PUBLOG_EBAD;
    }
    if (EVP_Digest(s->data, s->ops_end, h, NULL, EVP_sha256(), NULL) != 1 ||
        memcmp(h, s->data + s->ops_end + 9, 32) != 0) {
        WHY("segment %" PRIu64 ": its content does not match its SHA-256: it was altered or damaged", s->seq);
        return PUBLOG_EBAD;
    }
    if (EVP_Digest(s->data, s->len, s->hash, NULL, EVP_sha256(), NULL) != 1) {
        WHY("out of memory");
        return PUBLOG_EIO;
    }
    return PUBLOG_OK;
}

int publog_read_file(const char *path, publog_segment_t *out, char *why, size_t whylen)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    /* read into memory of our own, not mapped: what is checked is what is
     * applied, whatever happens to the file meanwhile */
    switch (file_read_at(AT_FDCWD, path, FILE_NOFOLLOW, PUBLOG_MAX_BYTES, &buf, &len)) {
    case FILE_OK:
        break;
    case FILE_EOPEN:
        WHY("cannot read %s: %s", path, strerror(errno));
        return errno == ENOENT ? PUBLOG_ENOENT : PUBLOG_EIO;
    case FILE_ETOOBIG:
        WHY("%s is %zu bytes, more than a segment may have", path, len);
        return PUBLOG_EBAD;
    case FILE_ELINK:
    case FILE_ENOTREG:
        WHY("%s is not a regular file", path);
        return PUBLOG_EBAD;
    default:
        WHY("cannot read %s whole", path);
        return PUBLOG_EIO;
    }
    int rc = publog_check((const uint8_t *)buf, len, out, why, whylen);
    if (rc != PUBLOG_OK) {
        free(buf);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->owned = 1;
    return rc;
}

int publog_read(const char *dir, uint64_t seq, publog_segment_t *out, char *why, size_t whylen)
{
    char name[PUBLOG_NAME_LEN + 1], path[4200];
    publog_name(seq, name);
    path_of(dir, name, path, sizeof path);
    int rc = publog_read_file(path, out, why, whylen);
    if (rc == PUBLOG_OK && out->seq != seq) {
        WHY("%s holds segment %" PRIu64 ", not %" PRIu64, path, out->seq, seq);
        publog_segment_free(out);
        return PUBLOG_EBAD;
    }
    return rc;
}

int publog_next_op(const publog_segment_t *s, size_t *pos, publog_op_t *op)
{
    size_t p = *pos;
    if (p >= s->ops_end)
        return 0;
    memset(op, 0, sizeof *op);
    op->op = s->data[p];
    size_t tl = s->data[p + 1];
    memcpy(op->table, s->data + p + 2, tl);
    op->table[tl] = '\0';
    p += 2 + tl;
    if (op->op != PUBLOG_EMPTY) {
        op->klen = (size_t)get_be(s->data + p, 4);
        op->key = s->data + p + 4;
        p += 4 + op->klen;
    }
    if (op->op == PUBLOG_PUT) {
        op->vlen = (size_t)get_be(s->data + p, 4);
        op->val = s->data + p + 4;
        p += 4 + op->vlen;
    }
    *pos = p;
    return 1;
}

void publog_segment_free(publog_segment_t *s)
{
    if (s->data != NULL && s->owned)
        free((void *)s->data);
    memset(s, 0, sizeof *s);
}

/* A segment's number from its file name, or 0 when the name is no segment's. */
static uint64_t seq_of_name(const char *name)
{
    uint64_t v = 0;
    if (strlen(name) != PUBLOG_NAME_LEN || strcmp(name + 16, ".seg") != 0)
        return 0;
    for (int i = 0; i < 16; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    return v;
}

int publog_range(const char *dir, uint64_t *first, uint64_t *last, char *why, size_t whylen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    *first = *last = 0;
    if (d == NULL) {
        WHY("cannot read the log directory %s: %s", dir, strerror(errno));
        return PUBLOG_EIO;
    }
    while ((e = readdir(d)) != NULL) {
        uint64_t s = seq_of_name(e->d_name);
        if (s == 0)
            continue;
        if (*first == 0 || s < *first)
            *first = s;
        if (s > *last)
            *last = s;
    }
    closedir(d);
    return PUBLOG_OK;
}
