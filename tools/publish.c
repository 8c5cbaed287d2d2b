/* publish.c — hocba-publish: the only writer of the index (cli.md). main
 * reads the options every command shares, opens the index (read-only for
 * the commands that only read) and hands the rest of the line to the
 * command; each command has a file of its own (publish.h lists them). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/index.h"
#include "lookup/jarena.h"
#include "tools/publish.h"

int main(int argc, char **argv)
{
    const char *db = NULL;
    /* A batch allocates and frees the same sizes for every package; keeping
     * freed memory instead of returning it to the kernel saves a page fault
     * per touch (measured: a fifth of the batch time on this VM). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    jarena_install();
    /* --drop-unverifiable-crls and --accept-invalidation may stand anywhere
     * on the line (cli.md), and so may --allow-older-crl (decisions.md) */
    int drop = 0, accept = 0, older = 0, kept = 1;
    const char *log_dir = getenv("HOCBA_LOG");
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--log") == 0 && k + 1 < argc)
            log_dir = argv[++k];
        else if (strncmp(argv[k], "--log=", 6) == 0)
            log_dir = argv[k] + 6;
        else if (strcmp(argv[k], "--drop-unverifiable-crls") == 0)
            drop = 1;
        else if (strcmp(argv[k], "--allow-older-crl") == 0)
            older = 1;
        else if (strcmp(argv[k], "--accept-invalidation") == 0)
            accept = 1;
        else
            argv[kept++] = argv[k];
    }
    argc = kept;
    argv[argc] = NULL;
    int i = 1;
    char why[1024]; /* an upgrade's refusal names a CRL and the command that gets past it */
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strncmp(argv[i], "--db=", 5) == 0)
            db = argv[i] + 5;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            publish_die_usage();
        else
            break;
    }
    if (db == NULL || i >= argc)
        publish_die_usage();
    const char *cmd = argv[i++];
    static const char *const CMDS[] = {"trust", "crl",   "schools", "batch",  "status",
                                       "check", "certs", "stats",   "replay", "digest"};
    int known = 0;
    for (size_t k = 0; k < sizeof CMDS / sizeof *CMDS; k++)
        known |= strcmp(cmd, CMDS[k]) == 0;
    if (!known) {
        fprintf(stderr, "hocba-publish: unknown command \"%s\"\n", cmd);
        publish_die_usage();
    }
    if ((drop && strcmp(cmd, "trust") != 0 && strcmp(cmd, "crl") != 0) ||
        (accept && strcmp(cmd, "schools") != 0)) {
        fprintf(stderr, "hocba-publish: %s\n",
                drop && strcmp(cmd, "trust") != 0 && strcmp(cmd, "crl") != 0
                    ? "--drop-unverifiable-crls is for trust and crl only"
                    : "--accept-invalidation is for schools only");
        publish_die_usage();
    }
    if (older && strcmp(cmd, "crl") != 0) {
        fprintf(stderr, "hocba-publish: --allow-older-crl is for crl only\n");
        publish_die_usage();
    }
    /* check, certs and stats only read: they open the index read-only, so
     * they neither create nor upgrade one (index_open says which command
     * does), and run beside the portal and a publisher */
    int readonly = strcmp(cmd, "check") == 0 || strcmp(cmd, "certs") == 0 || strcmp(cmd, "stats") == 0 ||
                   strcmp(cmd, "digest") == 0;
    index_t *ix;
    if (index_open(db, (readonly ? INDEX_OPEN_READONLY : 0) | (drop ? INDEX_OPEN_FORGET_UNFOUND : 0), &ix,
                   why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: %s\n", why);
        return EXIT_NOTHING;
    }
    if (index_upgraded_from(ix) != 0)
        fprintf(
            stderr,
            "hocba-publish: upgraded the index %s in place from format %d to %d (docs/index-format.md)%s%s\n",
            db, index_upgraded_from(ix), INDEX_FORMAT, index_upgrade_note(ix)[0] ? "; " : "",
            index_upgrade_note(ix));
    if (publish_log_setup(ix, cmd, log_dir) != 0) {
        index_close(ix);
        return EXIT_NOTHING;
    }
    int rc;
    if (strcmp(cmd, "trust") == 0)
        rc = cmd_trust(ix, argc - i, argv + i, drop);
    else if (strcmp(cmd, "crl") == 0)
        rc = cmd_crl(ix, argc - i, argv + i, drop, older);
    else if (strcmp(cmd, "schools") == 0)
        rc = cmd_schools(ix, argc - i, argv + i, accept);
    else if (strcmp(cmd, "batch") == 0)
        rc = cmd_batch(ix, argc - i, argv + i);
    else if (strcmp(cmd, "check") == 0)
        rc = cmd_check(ix, argc - i, argv + i);
    else if (strcmp(cmd, "certs") == 0)
        rc = cmd_certs(ix, argc - i, argv + i);
    else if (strcmp(cmd, "stats") == 0)
        rc = cmd_stats(ix, argc - i, argv + i);
    else if (strcmp(cmd, "replay") == 0)
        rc = cmd_replay(ix, argc - i, argv + i);
    else if (strcmp(cmd, "digest") == 0)
        rc = cmd_digest(ix, argc - i, argv + i);
    else
        rc = cmd_status(ix, argc - i, argv + i);
    index_close(ix);
    return rc;
}
