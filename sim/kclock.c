/*
 * The Linux guest's kernel clock: jiffies, timer-wheel expiry, msleep and
 * round_jiffies, as kernel/time/timer.c computes them (Linux 5.x/6.x wheel:
 * LVL_CLK_SHIFT 3, 64 buckets per level).  See kclock.h for why it matters.
 */
#include "kclock.h"

#include "sim/err.h"

#define INITIAL_JIFFIES ((uint64_t)(uint32_t)(-300 * KCLOCK_HZ))
#define LVL_CLK_SHIFT 3
#define LVL_BITS 6
#define LVL_SIZE (1u << LVL_BITS)
#define LVL_SHIFT(n) ((n) * LVL_CLK_SHIFT)
#define LVL_START(n) ((uint64_t)(LVL_SIZE - 1) << (((n) - 1) * LVL_CLK_SHIFT))
#define LVL_DEPTH 9 /* HZ > 100 */

/*
 * The phase, measured on the recordings (the lines that follow the jiffies:
 * e1000e's "NIC Link is Up" comes from a watchdog on round_jiffies()'s whole
 * seconds, pciehp's removal from the 5 s button work's 64-jiffy wheel
 * bucket).  In ten of the eleven boots of traces/real the whole seconds of
 * jiffies fall at uptime x.77 (link lines at x.787-x.848, removals at
 * 13.237-13.242 s after an 8 s press), in one (cancel-active) at x.10 (link
 * at x.119, removal at 13.056 s); the earlier runs of the recording notes,
 * with a longer kernel command line, mostly show the second phase (eleven
 * of twelve).  A boot takes the first phase nine times in ten.  The phase
 * decides whether wait-unplug lasts 6.25 or 6.5 s (the first gives 6.5 s
 * after a migrate at 8 s, as recorded).
 */
#define PHASE_A SIM_MS(950) /* whole seconds at x.766-x.776 */
#define PHASE_B SIM_MS(285) /* whole seconds at x.101-x.111 */

void kclock_init(struct kclock *k, struct sim_rng *rng)
{
    sim_time base = sim_rng_between(rng, 0, 9) == 0 ? PHASE_B : PHASE_A;
    k->phase = base + sim_rng_between(rng, 0, SIM_MS(10));
    k->armed = 0;
}

static sim_time floor_div(sim_time a, sim_time b)
{
    sim_time q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

uint64_t kclock_jiffies(const struct kclock *k, sim_time uptime)
{
    return INITIAL_JIFFIES + (uint64_t)floor_div(uptime - k->phase, KCLOCK_TICK);
}

uint64_t kclock_ms_to_jiffies(unsigned ms)
{
    return ((uint64_t)ms * KCLOCK_HZ + 999) / 1000;
}

/* The jiffy at which a timer filed with `expires` runs (calc_wheel_index). */
static uint64_t bucket_expiry(uint64_t expires, uint64_t clk)
{
    if (expires <= clk)
        return clk + 1; /* already due: runs at the next tick */
    uint64_t delta = expires - clk;
    unsigned lvl = 0;
    while (lvl + 1 < LVL_DEPTH && delta >= LVL_START(lvl + 1))
        lvl++;
    return ((expires >> LVL_SHIFT(lvl)) + 1) << LVL_SHIFT(lvl);
}

sim_time kclock_timer_delay(struct kclock *k, sim_time uptime, uint64_t expires)
{
    uint64_t now = kclock_jiffies(k, uptime);
    uint64_t at = bucket_expiry(expires, now);
    sim_time when = k->phase + (sim_time)(at - INITIAL_JIFFIES) * KCLOCK_TICK;
    /* Equal buckets run last-armed first: pull later timers slightly ahead. */
    when -= (sim_time)(k->armed++ % 512u);
    if (when <= uptime)
        when = uptime + 1;
    return when - uptime;
}

sim_time kclock_msleep(struct kclock *k, sim_time uptime, unsigned ms)
{
    uint64_t now = kclock_jiffies(k, uptime);
    return kclock_timer_delay(k, uptime, now + kclock_ms_to_jiffies(ms) + 1);
}

uint64_t kclock_round_jiffies(uint64_t j, uint64_t now)
{
    uint64_t rem = j % KCLOCK_HZ;
    uint64_t r = rem < KCLOCK_HZ / 4 ? j - rem : j - rem + KCLOCK_HZ;
    return r > now ? r : j;
}
