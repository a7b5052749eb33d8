/*
 * The QMP log reader: the lines a recording client writes (greeting,
 * commands, replies, events) become the observations the simulator emits,
 * with the documented time rule; every kind of bad line is refused with its
 * position; unknown events pass; memory does not grow with the log.
 */
#include "harness.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/qmp_log.h"

static char tmpdir[] = "/tmp/fosim-qmp-XXXXXX";

static const char *write_tmp(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

#define WRITE(name, lit) write_tmp(name, lit, sizeof(lit) - 1)

/* Read the whole file; returns the reader's rc and the error. */
static int read_all(const char *path, struct obs *out, size_t max, size_t *n,
                    struct sim_err *err)
{
    struct qmp_log *q;
    *n = 0;
    if (qmp_log_open(path, "t.qmp", OBS_TARGET, NULL, &q, err) != 0)
        return -1;
    struct obs o;
    int rc;
    while ((rc = qmp_log_next(q, &o, err)) == 1) {
        assert_string_equal(o.origin.file, "t.qmp");
        if (*n < max) {
            out[*n] = o;
            out[*n].u.qmp.line = NULL; /* borrowed: not valid after the next call */
            out[*n].u.qmp.json = NULL;
        }
        (*n)++;
    }
    qmp_log_close(q);
    return rc;
}

static const char good_log[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
    "\"capabilities\": [\"oob\"]}}\n"
    "{\"execute\":\"qmp_capabilities\"}\n"
    "{\"return\": {}}\n"
    "{\"timestamp\": {\"seconds\": 1795637523, \"microseconds\": 198058}, \"event\": "
    "\"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}}\n"
    "\n"
    "{\"return\": {\"status\": \"running\"}}\n"
    "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:1\"}, \"id\": "
    "\"fosim-7@1795637527.500000\"}\n"
    "{\"timestamp\": {\"seconds\": 1795637527, \"microseconds\": 747812}, \"event\": "
    "\"MIGRATION\", \"data\": {\"status\": \"setup\"}}\n"
    "{\"return\": {}, \"id\": \"fosim-7@1795637527.500000\"}\n"
    "{\"timestamp\": {\"seconds\": 1795637527, \"microseconds\": 748632}, \"event\": "
    "\"UNPLUG_PRIMARY\", \"data\": {\"device-id\": \"primary0\"}}\n"
    "{\"timestamp\": {\"seconds\": 1795637527, \"microseconds\": 752497}, \"event\": "
    "\"MIGRATION_PASS\", \"data\": {\"pass\": 1}}\n"
    "{\"timestamp\": {\"seconds\": 1795637528, \"microseconds\": 0}, \"event\": "
    "\"VENDOR_THING\"}\r\n"
    "{\"timestamp\": {\"seconds\": 1795637534, \"microseconds\": 259725}, \"event\": "
    "\"MIGRATION\", \"data\": {\"status\": \"active\"}}";

#define T(s, us) ((sim_time)(s) * 1000000000 + (sim_time)(us) * 1000)

/* Every line of a real-shaped log is typed, positioned and timed by the
 * documented rule: stamps for events and fosim ids, the last stamp before
 * for other lines, the first stamp for lines before it. */
static void test_reads_a_client_log(void **state)
{
    (void)state;
    EVIDENCE(H-37);
    const char *p = WRITE("good.qmp", good_log);
    struct obs o[32];
    size_t n;
    struct sim_err err = { "" };
    assert_int_equal(read_all(p, o, 32, &n, &err), 0);
    assert_int_equal(n, 12);
    assert_int_equal(o[0].kind, OBS_QMP_GREETING);
    assert_int_equal(o[1].kind, OBS_QMP_COMMAND);
    assert_string_equal(o[1].u.qmp.name, "qmp_capabilities");
    assert_int_equal(o[2].kind, OBS_QMP_REPLY);
    /* lines before the first stamp take it, approximately */
    for (int i = 0; i < 3; i++) {
        assert_i64_equal(o[i].t, T(1795637523, 198058));
        assert_true(o[i].t_approx);
    }
    assert_int_equal(o[3].kind, OBS_QMP_EVENT);
    assert_string_equal(o[3].u.qmp.name, "FAILOVER_NEGOTIATED");
    assert_string_equal(o[3].u.qmp.device_id, "standby0");
    assert_false(o[3].t_approx);
    assert_int_equal(o[3].host, OBS_TARGET);
    assert_int_equal(o[3].origin.line, 4);
    /* the blank line 5 is skipped; the reply on line 6 takes the last stamp */
    assert_int_equal(o[4].origin.line, 6);
    assert_i64_equal(o[4].t, T(1795637523, 198058));
    assert_true(o[4].t_approx);
    assert_string_equal(o[4].u.qmp.status, "running");
    /* fosim ids give commands and replies an exact time */
    assert_int_equal(o[5].kind, OBS_QMP_COMMAND);
    assert_i64_equal(o[5].t, T(1795637527, 500000));
    assert_false(o[5].t_approx);
    assert_i64_equal(o[7].t, T(1795637527, 500000));
    assert_string_equal(o[6].u.qmp.status, "setup");
    assert_int_equal(o[9].u.qmp.pass, 1);
    assert_string_equal(o[10].u.qmp.name, "VENDOR_THING");
    assert_int_equal(o[11].origin.line, 13);
}

/* Events fosim gives no meaning to are counted and passed on. */
static void test_unknown_events_are_counted(void **state)
{
    (void)state;
    const char *p = WRITE("good.qmp", good_log);
    struct qmp_log *q;
    struct sim_err err;
    assert_int_equal(qmp_log_open(p, "t.qmp", OBS_SOURCE, NULL, &q, &err), 0);
    struct obs o;
    int rc, n = 0;
    while ((rc = qmp_log_next(q, &o, &err)) == 1)
        n++;
    assert_int_equal(rc, 0);
    const struct qmp_log_stats *st = qmp_log_stats(q);
    assert_int_equal(st->unknown_events, 1);
    assert_string_equal(st->first_unknown, "VENDOR_THING");
    assert_int_equal(st->events, 6);
    assert_int_equal(st->blank, 1);
    assert_int_equal(st->greetings, 1);
    assert_true(qmp_event_known("UNPLUG_PRIMARY"));
    assert_false(qmp_event_known("VENDOR_THING"));
    qmp_log_close(q);
}

/* A clock map corrects the stamps per line. */
static void test_clock_map_applies(void **state)
{
    (void)state;
    const char *p = WRITE("good.qmp", good_log);
    struct clock_map m = { 0 };
    assert_int_equal(clock_map_add(&m, 1, SIM_MS(5)), 0);
    assert_int_equal(clock_map_add(&m, 8, -SIM_MS(5)), 0);
    struct qmp_log *q;
    struct sim_err err;
    assert_int_equal(qmp_log_open(p, "t.qmp", OBS_SOURCE, &m, &q, &err), 0);
    struct obs o;
    unsigned seen = 0;
    int rc;
    while ((rc = qmp_log_next(q, &o, &err)) == 1) {
        if (o.origin.line == 4) {
            assert_i64_equal(o.t, T(1795637523, 198058) + SIM_MS(5));
            seen++;
        }
        if (o.origin.line == 8) {
            assert_i64_equal(o.t, T(1795637527, 747812) - SIM_MS(5));
            seen++;
        }
    }
    assert_int_equal(rc, 0); /* the whole log read */
    assert_int_equal(seen, 2);
    qmp_log_close(q);
    clock_map_free(&m);
}

struct bad_case {
    const char *name;
    const char *text;
    const char *want; /* substring of the message */
};

/* Each kind of bad input is refused with the file, line and column and
 * what was expected. */
static void test_bad_lines_are_refused(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "empty", "", "t.qmp: empty file" },
        { "blank only", "\n\n  \n", "t.qmp: no QMP line" },
        { "not json", "{\"QMP\": {}}\nhello world\n", "t.qmp:2:5: expected one JSON object per line: '[' or '{' expected near 'hello'" },
        { "json col", "{\"QMP\": {}}\n{\"event\" \"X\"}\n", "t.qmp:2:12: expected one JSON object per line: ':' expected" },
        { "not qmp", "{\"QMP\": {}}\n{\"hello\": 1}\n",
          "t.qmp:2:1: expected a QMP greeting, command, reply or event" },
        { "array", "[1, 2]\n", "t.qmp:1:1: expected a JSON object" },
        { "no timestamp", "{\"event\": \"STOP\"}\n",
          "t.qmp:1:1: event without a \"timestamp\"" },
        { "bad timestamp",
          "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": \"1\", \"microseconds\": 0}}\n",
          "t.qmp:1:1: event without a \"timestamp\"" },
        { "backwards",
          "{\"timestamp\": {\"seconds\": 100, \"microseconds\": 5}, \"event\": \"STOP\"}\n"
          "{\"timestamp\": {\"seconds\": 99, \"microseconds\": 0}, \"event\": \"RESUME\"}\n",
          "t.qmp:2:1: event timestamp 99.000000000 is earlier than 100.000005000 on line 1" },
        { "truncated",
          "{\"timestamp\": {\"seconds\": 100, \"microseconds\": 5}, \"event\": \"STOP\"}\n"
          "{\"timestamp\": {\"seconds\": 101, \"microsec",
          "(the last line is cut short: truncated file?)" },
        { "garbage", "\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\n", "t.qmp:1:8: expected a JSON object, found a NUL byte" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        const char *p = write_tmp("bad.qmp", cases[i].text, strlen(cases[i].text) +
                                  (strcmp(cases[i].name, "garbage") == 0 ? 1 : 0));
        struct obs o[8];
        size_t n;
        struct sim_err err = { "" };
        int rc = read_all(p, o, 8, &n, &err);
        if (rc != -1 || !strstr(err.msg, cases[i].want))
            print_error("case '%s': rc %d, message '%s', wanted '%s'\n", cases[i].name, rc,
                        err.msg, cases[i].want);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, cases[i].want));
    }
}

/* A line beyond the bound is an error, not an allocation. */
static void test_overlong_line_is_refused(void **state)
{
    (void)state;
    size_t n = QMP_LOG_MAX_LINE + 100;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 2] = '}';
    big[n - 1] = '\n';
    const char *p = write_tmp("big.qmp", big, n);
    free(big);
    struct obs o[2];
    size_t k;
    struct sim_err err = { "" };
    assert_int_equal(read_all(p, o, 2, &k, &err), -1);
    if (!strstr(err.msg, "t.qmp:1:1: line longer than"))
        print_error("message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "t.qmp:1:1: line longer than"));
}

/* Too many lines before the first stamp: the log cannot be placed. */
static void test_no_stamp_for_too_long(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/nostamp.qmp", tmpdir);
    FILE *f = fopen(path, "wb");
    for (unsigned i = 0; i < QMP_LOG_MAX_LEADING + 1; i++)
        fputs("{\"return\": {}}\n", f);
    fclose(f);
    struct obs o[2];
    size_t k;
    struct sim_err err = { "" };
    assert_int_equal(read_all(path, o, 2, &k, &err), -1);
    assert_non_null(strstr(err.msg, "lines without a timestamp before the first event"));
    /* a short log without any stamp is placed at time 0 */
    const char *p = WRITE("few.qmp", "{\"QMP\": {}}\n{\"return\": {}}\n");
    assert_int_equal(read_all(p, o, 2, &k, &err), 0);
    assert_int_equal(k, 2);
    assert_i64_equal(o[1].t, 0);
    assert_true(o[1].t_approx);
}

/* Memory does not grow with the log: the heap in use stays flat while
 * 200,000 lines go through the reader. */
static void test_streaming_memory(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/long.qmp", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"QMP\": {}}\n", f);
    for (unsigned i = 0; i < 200000; i++)
        fprintf(f,
                "{\"timestamp\": {\"seconds\": %u, \"microseconds\": %u}, \"event\": "
                "\"MIGRATION_PASS\", \"data\": {\"pass\": %u}}\n",
                1000 + i / 1000, (i % 1000) * 1000, i);
    fclose(f);
    struct qmp_log *q;
    struct sim_err err;
    assert_int_equal(qmp_log_open(path, "long.qmp", OBS_SOURCE, NULL, &q, &err), 0);
    struct obs o;
    size_t base = 0, peak = 0, n = 0;
    int rc;
    while ((rc = qmp_log_next(q, &o, &err)) == 1) {
        if (++n % 10000 == 0) {
            size_t used = mallinfo2().uordblks;
            if (n == 10000)
                base = used;
            if (used > peak)
                peak = used;
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 200001);
    /* Under a sanitizer's allocator mallinfo2 reports nothing to compare. */
    if (base > 0)
        assert_true(peak <= base + 64 * 1024);
    qmp_log_close(q);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fosim-qmp-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_reads_a_client_log, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_events_are_counted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_clock_map_applies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_lines_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_overlong_line_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_stamp_for_too_long, setup, teardown),
    cmocka_unit_test_setup_teardown(test_streaming_memory, setup, teardown),
};

FO_MAIN("qmp_log", tests)
