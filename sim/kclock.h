/*
 * The Linux guest's kernel clock: jiffies, the timer wheel, msleep.
 *
 * Kernel timers do not fire at the requested instant.  A Debian kernel
 * ticks at HZ = 250 (4 ms jiffies); add_timer() files a timer in a wheel
 * bucket whose granularity grows with the delay (1, 8, 64, 512 ... jiffies)
 * and the timer runs at the bucket's end, so a 5 s delayed work runs 5.0 to
 * 5.26 s later, msleep(20) sleeps 24-28 ms, msleep(100) 104-108 ms and
 * msleep(1000) 1.004-1.036 s.  The real recordings show exactly this spread
 * (FINDINGS.md: button press to removal 5.02-5.25 s; Link Up to enumeration
 * ~135 ms = msleep(20) + msleep(100)).  round_jiffies() (e1000e's watchdog)
 * rounds to whole seconds of jiffies, which is why "NIC Link is Up" lines
 * share the same fraction of a second within one boot.
 *
 * The phase between uptime and jiffies is set early in the kernel's boot.
 * It is not spread evenly: the recorded boots of one guest fall into two
 * phases (kclock.c), and it is drawn from those, reproducibly per seed.
 */
#ifndef SIM_KCLOCK_H
#define SIM_KCLOCK_H

#include <stdint.h>

#include "sim/rng.h"
#include "sim/time.h"

#define KCLOCK_HZ 250
#define KCLOCK_TICK SIM_MS(4) /* one jiffy at HZ = 250 */

struct kclock {
    sim_time phase; /* uptime of the tick that made jiffies INITIAL_JIFFIES */
    uint32_t armed; /* timers armed so far (orders equal expiries, see .c) */
};

/* Draw the boot's jiffies phase from `rng`. */
void kclock_init(struct kclock *k, struct sim_rng *rng);

/* jiffies at guest uptime `uptime` (64-bit kernel: starts at 2^32 - 300 HZ). */
uint64_t kclock_jiffies(const struct kclock *k, sim_time uptime);

/* msecs_to_jiffies() (rounds up). */
uint64_t kclock_ms_to_jiffies(unsigned ms);

/*
 * Guest time from `uptime` until a timer armed then with expiry `expires`
 * (absolute jiffies, as add_timer/mod_timer take it) runs: the end of its
 * timer-wheel bucket.  Timers that land in the same bucket run last-armed
 * first (the wheel adds to the head of a bucket's list); successive calls
 * order such timers a few nanoseconds apart to keep that order.
 */
sim_time kclock_timer_delay(struct kclock *k, sim_time uptime, uint64_t expires);

/* Guest time msleep(ms) called at `uptime` sleeps. */
sim_time kclock_msleep(struct kclock *k, sim_time uptime, unsigned ms);

/* round_jiffies(j) for CPU 0, as of jiffies `now`. */
uint64_t kclock_round_jiffies(uint64_t j, uint64_t now);

#endif
