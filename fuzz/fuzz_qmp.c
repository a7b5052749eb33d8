/*
 * Fuzz target: QMP logs (sim/qmp_log.c, through sim/line_reader.c and the
 * shared decoder obs_decode_qmp in sim/obs.c).
 *
 * The input is one QMP log file, read to its end as `fosim check` reads a
 * host's log.  Oracles besides the sanitizers: an error names the file;
 * every observation is a QMP kind with its line set and a time; origins
 * never go backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/qmp_log.h"

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_qmp: %s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("source.qmp", data, size);
    struct qmp_log *q = NULL;
    struct sim_err err = { "" };
    if (qmp_log_open(path, "source.qmp", OBS_SOURCE, NULL, &q, &err) != 0) {
        if (strncmp(err.msg, "source.qmp", 10) != 0)
            oops("open error without the file name", err.msg);
        return 0;
    }
    struct obs o;
    int rc;
    uint64_t last_line = 0;
    char line[4096];
    while ((rc = qmp_log_next(q, &o, &err)) == 1) {
        if (o.kind != OBS_QMP_GREETING && o.kind != OBS_QMP_COMMAND &&
            o.kind != OBS_QMP_REPLY && o.kind != OBS_QMP_EVENT)
            oops("not a QMP observation", obs_kind_name(o.kind));
        if (!o.u.qmp.line || o.t == SIM_TIME_NONE || !o.origin.file)
            oops("incomplete observation", o.u.qmp.line ? o.u.qmp.line : "(no line)");
        if (o.origin.line <= last_line) /* held lines come out in file order too */
            oops("lines out of file order", o.u.qmp.line);
        last_line = o.origin.line;
        obs_format(line, sizeof(line), &o, 0);
    }
    if (rc < 0 && strncmp(err.msg, "source.qmp", 10) != 0)
        oops("error without the file name", err.msg);
    qmp_log_close(q);
    return 0;
}
