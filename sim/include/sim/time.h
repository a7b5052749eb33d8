/*
 * Simulated time.
 *
 * Time is a signed 64-bit count of nanoseconds.  Inside a world it counts
 * from the world's start (t = 0); on the observation stream it is wall-clock
 * nanoseconds since the Unix epoch, the timebase QMP and pcap stamps use.
 * Signed, because clock offsets and differences are routinely negative.
 * Nothing in sim/ reads the machine's clock: only the event queue moves time.
 */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time; /* nanoseconds */

#define SIM_NS(x) ((sim_time)(x))
#define SIM_US(x) ((sim_time)(x) * 1000)
#define SIM_MS(x) ((sim_time)(x) * 1000000)
#define SIM_S(x) ((sim_time)(x) * 1000000000)
#define SIM_TIME_MAX INT64_MAX
#define SIM_TIME_NONE INT64_MIN /* "no time": never a valid instant */

/*
 * Parse a duration such as "2s", "1.5s", "250ms", "10us", "100ns", "1m".
 * A bare number is seconds.  Returns 0, or -1 with *end pointing at the
 * offending character when the text is not a duration.  Fractions finer than
 * a nanosecond and values beyond +-292 years are refused.
 */
int sim_time_parse(const char *text, sim_time *out, const char **end);

/*
 * Format t as seconds with nine decimals ("12.000250000").  Returns the
 * length written (snprintf semantics, never more than n - 1 characters).
 */
size_t sim_time_format(char *buf, size_t n, sim_time t);

/* Format t compactly for messages: "2s", "250ms", "1.5s", "12.000250s". */
size_t sim_time_format_short(char *buf, size_t n, sim_time t);

#endif
