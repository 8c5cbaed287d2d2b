/* fuzz_cms.c — the CMS package checker: the DER/CMS reader and the whole
 * verification against a small trust store, on any .p7s bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/cms.h"
#include "lookup/verify.h"

static trust_t *trust;
static verdict_t verdict;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tests/fuzz/run.sh makes an anchor (and seeds signed under it) so
     * that the chain and signature code runs too */
    const char *path = getenv("HOCBA_FUZZ_ANCHORS");
    static char buf[65536];
    size_t n = 0;
    if (path != NULL) {
        FILE *f = fopen(path, "rb");
        n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
    }
    trust_inputs_t in = {1, str_n(buf, n), str_c(""), str_c(""), 0, NULL, 0, NULL};
    char why[TRUST_WHY_LEN];
    if (trust_build(&in, &trust, why, sizeof why) != 0)
        trust = NULL; /* the reader is still fuzzed */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cms_signed_t sd;
    char why[256];
    if (cms_parse(data, size, &sd, why, sizeof why) == CMS_OK) {
        for (size_t i = 0; i < sd.ncerts; i++)
            if (sd.certs[i].der < data || sd.certs[i].der + sd.certs[i].len > data + size)
                __builtin_trap();
        if (sd.certs_end > size || sd.certs_start > sd.certs_end)
            __builtin_trap();
    }
    if (trust != NULL) {
        static const char payload[] = "{\"schema\":\"hocba.tieuhoc.v1\"}";
        verify_package(trust, NULL, (const uint8_t *)payload, sizeof payload - 1, data, size, 1900000000,
                       NULL, &verdict);
        if (verdict.ok)
            __builtin_trap(); /* nothing unsigned by a real signer can be valid */
    }
    return 0;
}
