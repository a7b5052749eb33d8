/*
 * A main() for the fuzz targets outside libFuzzer: replay stored inputs.
 *
 *   replay_NAME FILE...
 *
 * Each FILE is read and passed to LLVMFuzzerTestOneInput() once, exactly as
 * libFuzzer would.  `make check` runs this over fuzz/regressions/NAME/ so
 * that every input that once crashed, hung or leaked keeps being tested by
 * the plain, ASan and valgrind builds.  Exit status 0 when every input was
 * handled; a regression shows up as a crash, a sanitizer or valgrind error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int replay(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", file, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: %s: cannot read\n", file);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (replay(argv[i]) != 0)
            rc = 2;
    return rc;
}
