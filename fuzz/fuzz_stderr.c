/*
 * Fuzz target: QEMU's stderr (sim/hostlog.c, through sim/line_reader.c).
 *
 * The input is one stderr file, read to its end.  Oracles besides the
 * sanitizers: an error names the file; a stamped line's time round-trips
 * through hostlog_format_stamp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/hostlog.h"

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_stderr: %s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("source.stderr", data, size);
    struct hostlog_reader *h = NULL;
    struct sim_err err = { "" };
    if (hostlog_open(path, "source.stderr", OBS_SOURCE, NULL, SIM_S(1), &h, &err) != 0)
        return 0;
    struct obs o;
    int rc;
    char line[HOSTLOG_MAX_LINE + 128];
    while ((rc = hostlog_next(h, &o, &err)) == 1) {
        obs_format(line, sizeof(line), &o, 0);
        if (!o.t_approx) {
            char stamp[40];
            sim_time t;
            hostlog_format_stamp(stamp, sizeof(stamp), o.t);
            if (hostlog_parse_stamp(stamp, &t) != 27 || t != o.t)
                oops("stamp does not round-trip", stamp);
        }
    }
    if (rc < 0 && strncmp(err.msg, "source.stderr", 13) != 0)
        oops("error without the file name", err.msg);
    hostlog_close(h);
    return 0;
}
