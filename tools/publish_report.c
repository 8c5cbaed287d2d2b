/* publish_report.c — the output of the reports (certs, stats): aligned
 * columns for a terminal and CSV fields for spreadsheets. */
#include "tools/publish.h"

#include <stdio.h>
#include <string.h>

/* Display width of UTF-8 text: its characters (Vietnamese letters are one
 * each in NFC, as the certificates' subjects come). */
size_t report_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* s, each control byte as '?', padded to width (0: not padded). */
void report_cell(const char *s, size_t width)
{
    publish_put_plain(s);
    for (size_t w = report_width(s); width > 0 && w < width; w++)
        putchar(' ');
}

/* A CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF,
 * quotes doubled. */
void report_csv(const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, stdout);
    } else {
        putchar('"');
        for (const char *c = s; *c; c++) {
            if (*c == '"')
                putchar('"');
            putchar(*c);
        }
        putchar('"');
    }
    fputs(last ? "\r\n" : ",", stdout);
}
