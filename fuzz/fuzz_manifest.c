/*
 * Fuzz target: bundle manifests (sim/bundle.c, bundle_open).
 *
 * The input is DIR/manifest.json; DIR also holds a small file of each kind
 * under the names fosim records (source.qmp, source-guest.log, ...), so
 * that a manifest naming them gets past the existence checks into the
 * per-field checks.  Oracles besides the sanitizers: an error names the
 * manifest or the bundle directory; an accepted bundle lists at least one
 * file, each inside the directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/bundle.h"

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_manifest: %s: %s\n", what, detail);
    abort();
}

static const char *const names[] = {
    "source.qmp", "target.qmp", "source-guest.log", "target-guest.log", "source.stderr",
    "target.stderr", "source-guest.pcap", "target-guest.pcap", "source-standby0.pcap",
    "source-primary0.pcap", "target-standby0.pcap", "target-primary0.pcap",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            fuzz_file(names[i], (const uint8_t *)"", 0);
        ready = 1;
    }
    fuzz_file("manifest.json", data, size);
    struct bundle *b = NULL;
    struct sim_err err = { "" };
    if (bundle_open(fuzz_dir(), &b, &err) != 0) {
        if (!strstr(err.msg, fuzz_dir()))
            oops("error without the manifest's name", err.msg);
        return 0;
    }
    if (b->nfiles == 0)
        oops("a bundle without files was accepted", "");
    for (size_t i = 0; i < b->nfiles; i++)
        if (strchr(b->files[i].name, '/') || b->files[i].name[0] == '.')
            oops("a file outside the bundle was accepted", b->files[i].name);
    bundle_free(b);
    return 0;
}
