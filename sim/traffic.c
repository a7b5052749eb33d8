/*
 * PLACEHOLDER traffic model: replaced by the traffic model of issue #3.
 * It refuses every traffic line so the tree links while the models are
 * written in parallel; it is not a deliverable.
 */
#include "sim/traffic.h"

#include <stdlib.h>

#include "sim/world.h"

struct traffic {
    int unused;
};

struct traffic *traffic_new(struct sim_vm *vm, const struct scn_traffic *cfg, struct sim_err *err)
{
    (void)vm;
    if (cfg->present) {
        scn_errf(err, &cfg->pos, "traffic is not available in this build");
        return NULL;
    }
    return sim_xcalloc(1, sizeof(struct traffic));
}

void traffic_free(struct traffic *t)
{
    free(t);
}

void traffic_start(struct traffic *t)
{
    (void)t;
}

void traffic_netdev_tx(struct traffic *t, struct host *h, const char *qdev_id, const char *netdev,
                       const struct frame *f)
{
    (void)t;
    (void)h;
    (void)qdev_id;
    (void)netdev;
    (void)f;
}

void traffic_report(const struct traffic *t, FILE *out)
{
    (void)t;
    (void)out;
}

int traffic_expect(const struct traffic *t, const struct scn_expect *e, char *why, size_t whylen,
                   struct sim_err *err)
{
    (void)t;
    (void)why;
    (void)whylen;
    return scn_errf(err, &e->pos, "traffic is not available in this build");
}
