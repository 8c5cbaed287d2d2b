/* file.h — reading a whole file: the one way the project does it (the
 * publisher's packages and inputs, the portal's static files and keys, the
 * templates). Each caller words its own messages from the result. */
#ifndef HOCBA_FILE_H
#define HOCBA_FILE_H

#include <stddef.h>

enum {
    FILE_OK = 0,
    FILE_EOPEN = -1,   /* it cannot be opened or examined: errno says why */
    FILE_ELINK = -2,   /* FILE_NOFOLLOW, and path is a symbolic link */
    FILE_ENOTREG = -3, /* not a regular file (a directory, a FIFO, a device) */
    FILE_ETOOBIG = -4, /* over max bytes: *len is its size */
    FILE_EREAD = -5,   /* it could not be read whole (changed while read?) */
    FILE_ENOMEM = -6,
};

/* Refuse a symbolic link instead of following it. */
#define FILE_NOFOLLOW 1

/** Read the whole regular file path, of at most max bytes.
 * The file is opened with O_NONBLOCK, so that a FIFO or a device named like
 * a file is refused at once rather than waited on.
 * @param dirfd  the directory path is relative to, or AT_FDCWD
 * @param flags  0 or FILE_NOFOLLOW
 * @param out    receives the bytes, malloc'd, with a NUL after them (the
 *               caller frees them); NULL on failure
 * @param len    receives their number (FILE_ETOOBIG: the file's size)
 * @return FILE_OK or one of the errors above. Thread-safe. */
int file_read_at(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len);

/** file_read_at(AT_FDCWD, path, 0, max, out, len). */
int file_read(const char *path, size_t max, char **out, size_t *len);

#endif
