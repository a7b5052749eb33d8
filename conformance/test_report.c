/*
 * The text report (spec/report_text.c): failures first with what was
 * required, the source and the evidence records; then the inconclusive
 * ones, the N/A ones grouped by reason, a summary per area that adds up,
 * and the overall verdict with the exit status.  Text from the trace is
 * printed so a terminal cannot be steered by it (no control characters,
 * only UTF-8).
 */
#include "report_fixture.h"

/* The line of `text` that starts with `prefix`, as an offset, or -1. */
static long line_at(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return (long)(p - text);
    return -1;
}

static void sections_in_order(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_mixed();
    unsigned t[CHECK_NVERDICTS];
    rf_totals(c, t);
    assert_true(t[CHECK_FAIL] >= 3 && t[CHECK_INCONCLUSIVE] >= 1);
    assert_true(t[CHECK_PASS] >= 1 && t[CHECK_NA] >= 1);
    char *txt = rf_render(c, CHECK_REPORT_TEXT, false);

    long head = line_at(txt, "fosim check: bundle ");
    long first_fail = line_at(txt, "FAIL ");
    long first_unsure = line_at(txt, "INCONCLUSIVE ");
    long na = line_at(txt, "N/A:");
    long table = line_at(txt, "area ");
    long verdict = line_at(txt, "FAIL: at least one assertion failed (exit 1)");
    assert_true(head == 0);
    assert_true(first_fail > head && first_unsure > first_fail);
    assert_true(na > first_unsure && table > na && verdict > table);
    /* without --verbose no PASS block */
    assert_int_equal(line_at(txt, "PASS "), -1);

    /* every FAIL is printed with requirement, source and evidence */
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct check_result *r = check_result(c, i);
        char head_line[64];
        snprintf(head_line, sizeof(head_line), "%s %s [", check_verdict_upper(r->verdict),
                 r->a->id);
        long at = line_at(txt, head_line);
        if (r->verdict == CHECK_FAIL || r->verdict == CHECK_INCONCLUSIVE)
            assert_true(at >= 0);
        else
            assert_int_equal(at, -1);
        if (r->verdict != CHECK_FAIL)
            continue;
        const char *blk = txt + at;
        const char *end = strstr(blk, "\n\n");
        assert_non_null(end);
        char *b = strndup(blk, (size_t)(end - blk));
        assert_non_null(strstr(b, "\n  required: "));
        assert_non_null(strstr(b, "\n  source: "));
        assert_non_null(strstr(b, "\n  evidence:\n    "));
        free(b);
    }
    /* N/A grouped: every N/A ID appears once after "N/A:", none elsewhere */
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct check_result *r = check_result(c, i);
        if (r->verdict != CHECK_NA)
            continue;
        char id[16];
        snprintf(id, sizeof(id), " %s", r->a->id);
        size_t n = strlen(id);
        unsigned in_na = 0, outside = 0;
        for (const char *p = txt; (p = strstr(p, id)) != NULL; p += n) {
            if (p[n] != ' ' && p[n] != '\n')
                continue; /* a longer word */
            if (p > txt + na && p < txt + table)
                in_na++;
            else
                outside++;
        }
        if (in_na != 1 || outside != 0)
            fail_msg("%s: %u time(s) in the N/A groups, %u elsewhere", r->a->id, in_na, outside);
    }
    free(txt);
    check_free(c);
}

static void area_table_adds_up(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_mixed();
    char *txt = rf_render(c, CHECK_REPORT_TEXT, false);
    unsigned sum[4] = { 0 };
    for (unsigned a = 0; a < SPEC_NAREAS; a++) {
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "%s %s ", spec_area_prefix((enum spec_area)a),
                 spec_area_name((enum spec_area)a));
        long at = line_at(txt, prefix);
        assert_true(at >= 0);
        unsigned v[4];
        assert_int_equal(sscanf(txt + at + strlen(prefix), "%u %u %u %u", &v[0], &v[1], &v[2],
                                &v[3]),
                         4);
        unsigned t[CHECK_NVERDICTS];
        check_area_totals(c, (enum spec_area)a, t);
        assert_int_equal(v[0], t[CHECK_PASS]);
        assert_int_equal(v[1], t[CHECK_FAIL]);
        assert_int_equal(v[2], t[CHECK_INCONCLUSIVE]);
        assert_int_equal(v[3], t[CHECK_NA]);
        for (int k = 0; k < 4; k++)
            sum[k] += v[k];
    }
    long at = line_at(txt, "total ");
    assert_true(at >= 0);
    unsigned v[4];
    assert_int_equal(sscanf(txt + at + 6, "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]), 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(v[k], sum[k]);
    assert_int_equal(v[0] + v[1] + v[2] + v[3], SPEC_NIDS);
    free(txt);
    check_free(c);
}

static void verbose_lists_passes(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_golden();
    char *txt = rf_render(c, CHECK_REPORT_TEXT, true);
    unsigned t[CHECK_NVERDICTS];
    rf_totals(c, t);
    assert_int_equal(t[CHECK_FAIL], 0);
    assert_true(t[CHECK_PASS] > 0); /* else the count below proves nothing */
    unsigned passes = 0;
    for (const char *p = txt; (p = strstr(p, "\nPASS ")) != NULL; p++)
        passes++;
    assert_int_equal(passes, t[CHECK_PASS]);
    assert_non_null(strstr(txt, "\nPASS: every applicable assertion held (exit 0)\n"));
    free(txt);
    check_free(c);
}

static void hostile_text_is_tamed(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_mixed();
    char *txt = rf_render(c, CHECK_REPORT_TEXT, true);
    assert_true(rf_utf8_ok(txt));
    assert_false(rf_has_control(txt, false));
    /* shown, not dropped: the escape byte, the stray bytes, the C1 control
     * escaped; U+FFFE and the 'é' as they are */
    assert_non_null(strstr(txt, "\\x1b[31m\\x80\\xe2\\x82=\\xc2\\x85\xef\xbf\xbe\xc3\xa9"));
    /* the hostile line is the evidence of the second standby */
    const struct check_result *r = check_result_for(c, SPEC_PAIR_003);
    assert_int_equal(r->verdict, CHECK_FAIL);
    free(txt);
    check_free(c);
}

static void truncated_trace_says_so(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    struct check *c = tf_check(&ctx, G_GOLDEN_ALL "30 S end truncated\n", 0);
    char *txt = rf_render(c, CHECK_REPORT_TEXT, false);
    assert_true(line_at(txt, "the trace is truncated: ") > 0);
    assert_int_equal(check_exit_status(c), 3);
    assert_non_null(strstr(txt, "(exit 3)\n"));
    free(txt);
    check_free(c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(sections_in_order),     cmocka_unit_test(area_table_adds_up),
    cmocka_unit_test(verbose_lists_passes),  cmocka_unit_test(hostile_text_is_tamed),
    cmocka_unit_test(truncated_trace_says_so),
};

FO_MAIN("report", tests)
