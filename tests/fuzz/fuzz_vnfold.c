/* fuzz_vnfold.c — name folding must take any bytes: refuse what is not
 * UTF-8, and fold the rest to a form that folds to itself and equals the
 * text it came from, and to the form of the same text decomposed (NFD: the
 * full path, where the text itself may take the fast one, vnfold.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>

#include "lookup/vnfold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    str_t in = str_n(data, size);
    char *once = NULL, *twice = NULL;
    size_t l1 = 0, l2 = 0;
    int rc = vnfold(in, &once, &l1);
    if (rc == VNFOLD_ENOMEM)
        return 0;
    if (rc != VNFOLD_OK) {
        if (rc != VNFOLD_EUTF8 || once != NULL || vnfold_equal(in, in) != VNFOLD_EUTF8)
            __builtin_trap();
        return 0;
    }
    if (once == NULL || strlen(once) > l1 || vnfold(str_n(once, l1), &twice, &l2) != VNFOLD_OK)
        __builtin_trap();
    if (l1 != l2 || memcmp(once, twice, l1) != 0 || vnfold_equal(in, str_n(once, l1)) != 1 ||
        vnfold_equal(in, in) != 1)
        __builtin_trap();
    size_t dlen = 0, l3 = 0;
    uint8_t *nfd = u8_normalize(UNINORM_NFD, data, size, NULL, &dlen);
    char *decomposed = NULL;
    if (nfd != NULL && vnfold(str_n(nfd, dlen), &decomposed, &l3) == VNFOLD_OK &&
        (l3 != l1 || memcmp(decomposed, once, l1) != 0))
        __builtin_trap();
    free(nfd);
    free(decomposed);
    free(once);
    free(twice);
    return 0;
}
