/*
 * Fuzz target: guest serial consoles (sim/klog.c, through
 * sim/line_reader.c, klog_split_stamp and klog_classify in sim/obs.c).
 *
 * The input is one console file, read to its end, rewound (as the bundle's
 * first pass does) and read again.  Oracles besides the sanitizers: an
 * error names the file; both passes give the same lines; a kernel line's
 * text holds no control byte; classified name fields are terminated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/klog.h"

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_klog: %s: %s\n", what, detail);
    abort();
}

/* One pass: the number of kernel lines and a checksum of what was seen. */
static int pass(struct klog_reader *k, uint64_t *n, uint64_t *sum, struct sim_err *err)
{
    struct obs o;
    int rc;
    char line[KLOG_MAX_LINE + 128];
    *n = *sum = 0;
    while ((rc = klog_next(k, &o, err)) == 1) {
        const struct obs_klog *kl = &o.u.klog;
        for (const char *p = kl->text; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                oops("control byte in a kernel line's text", kl->text);
        if (memchr(kl->dev, '\0', sizeof(kl->dev)) == NULL ||
            memchr(kl->ifname, '\0', sizeof(kl->ifname)) == NULL ||
            memchr(kl->slot, '\0', sizeof(kl->slot)) == NULL)
            oops("unterminated name field", kl->text);
        obs_format(line, sizeof(line), &o, 0);
        (*n)++;
        *sum = *sum * 31 + o.origin.line * 7 + (uint64_t)kl->uptime + kl->kind;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("source-guest.log", data, size);
    struct klog_reader *k = NULL;
    struct sim_err err = { "" };
    if (klog_open(path, "source-guest.log", OBS_SOURCE, NULL, &k, &err) != 0)
        return 0;
    uint64_t n1, s1, n2, s2;
    int rc1 = pass(k, &n1, &s1, &err);
    if (rc1 < 0 && strncmp(err.msg, "source-guest.log", 16) != 0)
        oops("error without the file name", err.msg);
    if (klog_rewind(k, NULL, &err) == 0) {
        int rc2 = pass(k, &n2, &s2, &err);
        if (rc1 != rc2 || (rc1 == 0 && (n1 != n2 || s1 != s2)))
            oops("the second pass differs from the first", "");
    }
    klog_close(k);
    return 0;
}
