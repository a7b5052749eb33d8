/*
 * A migration as the monitors follow it (see mig.h).
 */
#include "mig.h"

#include <string.h>

void mig_init(struct mig *g, enum obs_host host)
{
    memset(g, 0, sizeof(*g));
    g->host = host;
}

void mig_track(struct mig *g, struct check *c, const struct obs *o)
{
    if (o->host != g->host || o->kind != OBS_QMP_EVENT)
        return;
    if (ck_is_event(o, "UNPLUG_PRIMARY")) {
        struct view_host *vh = &c->view.host[g->host];
        struct view_dev *d = view_dev(c, g->host, o->u.qmp.device_id);
        if (d && d - vh->dev < VIEW_MAX_DEVS)
            g->unplug |= (uint64_t)1 << (d - vh->dev);
        return;
    }
    const char *s = ck_migration(o);
    if (!s)
        return;
    if (strcmp(s, "setup") == 0) {
        g->count++;
        g->unplug = 0;
        g->waited = false;
        ck_keep(&g->setup, o);
    }
    if (strcmp(s, "wait-unplug") == 0) {
        g->waited = true;
        ck_keep(&g->wu, o);
    }
    sim_strlcpy(g->prev, g->status, sizeof(g->prev));
    sim_strlcpy(g->status, s, sizeof(g->status));
    ck_keep(&g->entered, o);
}
