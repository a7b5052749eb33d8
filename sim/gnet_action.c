/*
 * Scripted `ip` commands of the linux guest profile (`at T guest VERB ...`).
 *
 * They stand for what a user or udev does to the guest's interfaces while
 * failover runs, to reach the edges of linux-guest.md: a VF renamed while
 * up (bug 1, G-39), MTU changes on the master or a slave (G-46, G-47),
 * a slave taken down, a MAC change refused (G-05, G-14), VLANs and
 * multicast on the master (G-48, G-49).  Verbs:
 *
 *   rename IF NEWNAME         ip link set IF name NEWNAME
 *   mtu IF N                  ip link set IF mtu N
 *   up IF | down IF           ip link set IF up|down
 *   link IF up|down           the same
 *   mac IF XX:XX:XX:XX:XX:XX  ip link set IF address ...
 *   vlan IF add|del VID       ip link add link IF type vlan id VID (the
 *                             VLAN filter the 8021q module programs)
 *   mc IF XX:XX:XX:XX:XX:XX   join a multicast group on IF
 *
 * The words are checked before the run (positions in errors); at run time
 * a command that fails (no such interface, EBUSY, EINVAL ...) does what `ip`
 * does: nothing, and the failure is a state observation "guest-net".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnet_int.h"
#include "sim/host.h"
#include "sim/world.h"

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char extra;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &extra) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void report(struct guest *g, const char *cmd, int err)
{
    char why[160];
    snprintf(why, sizeof(why), "%s: error %d", cmd, err);
    sim_emit_state(g->vm, host_id(g->host), "guest-net", "", "failed", why);
}

int gnet_action(struct guest *g, const struct scn_action *a, bool dry_run, struct sim_err *err)
{
    const struct scn_args *w = &a->words;
    if (w->n == 0)
        return 1;
    const char *verb = w->v[0].text;
    static const struct {
        const char *verb;
        size_t nargs;
        const char *usage;
    } verbs[] = {
        { "rename", 3, "rename IF NEWNAME" }, { "mtu", 3, "mtu IF N" },
        { "up", 2, "up IF" },                 { "down", 2, "down IF" },
        { "link", 3, "link IF up|down" },     { "mac", 3, "mac IF XX:XX:XX:XX:XX:XX" },
        { "vlan", 4, "vlan IF add|del VID" }, { "mc", 3, "mc IF XX:XX:XX:XX:XX:XX" },
    };
    size_t k = 0;
    while (k < SIM_ARRAY_SIZE(verbs) && strcmp(verbs[k].verb, verb) != 0)
        k++;
    if (k == SIM_ARRAY_SIZE(verbs))
        return 1;
    if (w->n != verbs[k].nargs)
        return scn_errf(err, &w->v[0].pos, "guest action %s takes: %s", verb, verbs[k].usage);
    const struct scn_arg *ifa = &w->v[1];
    if (strlen(ifa->text) == 0 || strlen(ifa->text) >= 16)
        return scn_errf(err, &ifa->pos, "expected an interface name of 1 to 15 characters");
    uint8_t mac[6];
    unsigned long num = 0;
    bool on = false, add = false;
    switch (k) {
    case 0:
        if (strlen(w->v[2].text) == 0 || strlen(w->v[2].text) >= 16)
            return scn_errf(err, &w->v[2].pos, "expected a new name of 1 to 15 characters");
        break;
    case 1:
        if (parse_uint(w->v[2].text, 68, 65535, &num))
            return scn_errf(err, &w->v[2].pos, "expected an MTU from 68 to 65535, found '%s'",
                            w->v[2].text);
        break;
    case 4:
        if (strcmp(w->v[2].text, "up") != 0 && strcmp(w->v[2].text, "down") != 0)
            return scn_errf(err, &w->v[2].pos, "expected up or down, found '%s'", w->v[2].text);
        on = strcmp(w->v[2].text, "up") == 0;
        break;
    case 5:
    case 7:
        if (parse_mac(w->v[2].text, mac))
            return scn_errf(err, &w->v[2].pos, "expected a MAC address XX:XX:XX:XX:XX:XX, found '%s'",
                            w->v[2].text);
        break;
    case 6:
        if (strcmp(w->v[2].text, "add") != 0 && strcmp(w->v[2].text, "del") != 0)
            return scn_errf(err, &w->v[2].pos, "expected add or del, found '%s'", w->v[2].text);
        add = strcmp(w->v[2].text, "add") == 0;
        if (parse_uint(w->v[3].text, 1, 4094, &num))
            return scn_errf(err, &w->v[3].pos, "expected a VLAN id from 1 to 4094, found '%s'",
                            w->v[3].text);
        break;
    default:
        break;
    }
    if (dry_run)
        return 0;

    if (!g->host)
        return 0;
    struct gnet *n = gnet_of(g);
    struct gnetdev *nd = n ? gnetdev_by_name(n, ifa->text) : NULL;
    if (!nd) {
        report(g, verb, -GNET_ENODEV);
        return 0;
    }
    int r = 0;
    switch (k) {
    case 0:
        r = gnetdev_change_name(nd, w->v[2].text);
        break;
    case 1:
        r = gnetdev_set_mtu(nd, (unsigned)num);
        break;
    case 2:
        r = gnetdev_open(nd);
        break;
    case 3:
        gnetdev_close(nd);
        break;
    case 4:
        if (on)
            r = gnetdev_open(nd);
        else
            gnetdev_close(nd);
        break;
    case 5:
        r = gnetdev_set_mac(nd, mac);
        break;
    case 6:
        r = add ? gnetdev_vlan_add(nd, (uint16_t)num) : gnetdev_vlan_kill(nd, (uint16_t)num);
        break;
    case 7:
        r = gnetdev_mc_add(nd, mac);
        break;
    default:
        break;
    }
    if (r)
        report(g, verb, r);
    return 0;
}
