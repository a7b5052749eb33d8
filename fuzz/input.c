/*
 * Materialising a fuzz input as files in a private scratch directory.
 *
 * The readers under test open their input by path (scn_load, qmp_log_open,
 * pcap_reader_open, the bundle reader), so the fuzzer writes each input to
 * a file first.  The directory is private to the process (mkdtemp), so
 * parallel fuzzing jobs do not collide, and it is removed at exit.
 */
#include "fuzz.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[PATH_MAX];
static char path[PATH_MAX];

static void remove_scratch(void)
{
    if (!scratch[0])
        return;
    fuzz_dir_clean();
    rmdir(scratch);
    scratch[0] = '\0';
}

const char *fuzz_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(scratch, sizeof(scratch), "%s/fosim-fuzz-XXXXXX", tmp);
    if (!mkdtemp(scratch)) {
        perror("fosim fuzz: mkdtemp");
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

/* Remove what dir holds, subdirectories included (a fuzz target's own
 * files: no symlinks are ever made here). */
static void clean(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) {
            clean(p);
            rmdir(p);
        }
    }
    closedir(d);
}

void fuzz_dir_clean(void)
{
    clean(fuzz_dir());
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fosim fuzz: cannot write the input file");
        abort();
    }
    return path;
}
