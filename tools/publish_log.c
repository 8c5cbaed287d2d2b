/* publish_log.c — the publication log's commands (cli.md): --log LOGDIR on
 * the writing commands, `replay LOGDIR` on a replica, `digest` anywhere.
 * The log itself is the index's (lookup/index_log.c, lookup/publog.h). */
#include "tools/publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_writing(const char *cmd)
{
    static const char *const WRITING[] = {"trust", "crl", "schools", "batch"};
    for (size_t i = 0; i < sizeof WRITING / sizeof *WRITING; i++)
        if (strcmp(cmd, WRITING[i]) == 0)
            return 1;
    return 0;
}

int publish_log_setup(index_t *ix, const char *cmd, const char *log_dir)
{
    char why[1024];
    if (!is_writing(cmd))
        return 0;
    if (log_dir != NULL && log_dir[0] != '\0') {
        if (index_log_attach(ix, log_dir, why, sizeof why) == 0)
            return 0;
        fprintf(stderr, "hocba-publish: %s: nothing was changed: --log %s: %s\n", cmd, log_dir, why);
        return -1;
    }
    if (!index_log_required(ix, why, sizeof why))
        return 0;
    fprintf(stderr, "hocba-publish: %s: nothing was changed: %s\n", cmd, why);
    return -1;
}

static void said_applied(void *arg, uint64_t seq, uint64_t changes)
{
    uint64_t *n = arg;
    (*n)++;
    printf("applied segment %" PRIu64 " (%" PRIu64 " change%s)\n", seq, changes, changes == 1 ? "" : "s");
    fflush(stdout);
}

int cmd_replay(index_t *ix, int argc, char **argv)
{
    char why[1024], role[16];
    uint64_t applied = 0, seq = 0;
    MDB_txn *txn;
    if (argc != 1)
        publish_die_usage();
    if (index_replay(ix, argv[0], said_applied, &applied, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: replay: %s (%" PRIu64 " segment%s applied before it)\n", why, applied,
                applied == 1 ? "" : "s");
        return EXIT_NOTHING;
    }
    if (index_begin(ix, 1, &txn) == 0) {
        (void)index_log_position(ix, txn, &seq, role);
        mdb_txn_abort(txn);
    }
    printf("replay: %" PRIu64 " segment%s applied; the index is at segment %" PRIu64 "\n", applied,
           applied == 1 ? "" : "s", seq);
    return 0;
}

int cmd_digest(index_t *ix, int argc, char **argv)
{
    unsigned char d[32];
    char hex[65];
    MDB_txn *txn;
    (void)argv;
    if (argc != 0)
        publish_die_usage();
    int rc = index_begin(ix, 1, &txn);
    if (rc == 0) {
        rc = index_content_digest(ix, txn, d);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        fprintf(stderr, "hocba-publish: digest: cannot read the index: %s\n", index_strerror(rc));
        return EXIT_NOTHING;
    }
    str_hex(d, sizeof d, hex);
    printf("%s\n", hex);
    return 0;
}
