/*
 * PLACEHOLDER guest model: replaced by the guest model of issue #3.
 * It accepts only the "none" profile so the tree links while the models
 * are written in parallel; it is not a deliverable.
 */
#include "sim/guest.h"

#include <stdlib.h>
#include <string.h>

#include "sim/world.h"

struct guest {
    struct sim_world *w;
};

struct guest *guest_new(struct sim_world *w, const struct scn_guest *cfg, struct sim_err *err)
{
    if (cfg->present && strcmp(cfg->profile.text, "none") != 0) {
        scn_errf(err, &cfg->profile.pos, "guest profile '%s' is not available in this build",
                 cfg->profile.text);
        return NULL;
    }
    struct guest *g = sim_xcalloc(1, sizeof(*g));
    g->w = w;
    return g;
}

void guest_free(struct guest *g)
{
    free(g);
}

void guest_boot(struct guest *g, struct host *h)
{
    (void)g;
    (void)h;
}

void guest_vm_stop(struct guest *g)
{
    (void)g;
}

void guest_vm_cont(struct guest *g)
{
    (void)g;
}

void guest_migrate(struct guest *g, struct host *to)
{
    (void)g;
    (void)to;
}

int guest_action(struct guest *g, const struct scn_action *a, struct sim_err *err)
{
    return guest_action_check(g, a, err);
}

int guest_action_check(const struct guest *g, const struct scn_action *a, struct sim_err *err)
{
    (void)g;
    return scn_errf(err, &a->pos, "guest actions are not available in this build");
}

sim_time guest_uptime(const struct guest *g)
{
    return g->w->now;
}

enum frame_drop guest_xmit(struct guest *g, const struct frame *f, enum obs_role *via)
{
    (void)g;
    (void)f;
    *via = OBS_ROLE_UNKNOWN;
    return FRAME_DROP_NO_ROUTE;
}

void guest_set_rx_hook(struct guest *g, struct guest_rx_hook hook)
{
    (void)g;
    (void)hook;
}

unsigned guest_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max)
{
    (void)g;
    (void)out;
    (void)max;
    return 0;
}
