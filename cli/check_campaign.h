/*
 * fosim check over a list of bundles, or one shard of the list
 * (cli/check_campaign.c).
 */
#ifndef FOSIM_CHECK_CAMPAIGN_H
#define FOSIM_CHECK_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "sim/shard.h"

/* Check the bundles of shard's block of dirs[0..ndirs) and write one report
 * (to output, or standard output when NULL); `sharded` adds the shard
 * marker.  Returns the exit status. */
int check_campaign(char **dirs, size_t ndirs, struct shard shard, bool sharded,
                   enum check_format fmt, const char *output);

#endif
