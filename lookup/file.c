/* file.c — reading a whole file (file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_at(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len)
{
    struct stat st;
    int rc = FILE_OK;
    char *buf = NULL;
    size_t got = 0;
    *out = NULL;
    *len = 0;
    int fd = openat(dirfd, path,
                    O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (flags & FILE_NOFOLLOW ? O_NOFOLLOW : 0));
    if (fd < 0)
        return (flags & FILE_NOFOLLOW) && errno == ELOOP ? FILE_ELINK : FILE_EOPEN;
    if (fstat(fd, &st) != 0)
        rc = FILE_EOPEN;
    else if (!S_ISREG(st.st_mode))
        rc = FILE_ENOTREG;
    else if (st.st_size < 0 || (uintmax_t)st.st_size > max)
        rc = FILE_ETOOBIG;
    else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
        rc = FILE_ENOMEM;
    while (rc == FILE_OK && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (rc == FILE_OK && (got != (size_t)st.st_size || read(fd, &(char){0}, 1) != 0))
        rc = FILE_EREAD; /* shorter, or longer, than it said */
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc == FILE_ETOOBIG)
        *len = (size_t)st.st_size;
    if (rc != FILE_OK) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return FILE_OK;
}

int file_read(const char *path, size_t max, char **out, size_t *len)
{
    return file_read_at(AT_FDCWD, path, 0, max, out, len);
}
