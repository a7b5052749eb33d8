/*
 * The device tree of a QEMU host: drivers, -device/-netdev options,
 * properties, hide listeners, device_add/device_del and query-pci.
 *
 * Creation follows QEMU 7.2's qdev_device_add_from_qdict step by step
 * (driver, bus, hide listeners, hotplug and migration checks, id,
 * properties, realize, the failover primary checks of pci_qdev_realize,
 * plug), with QEMU's error texts.  Options are kept as a JSON object (a
 * QDict): the command line's keyval form and QMP device_add give strings
 * (QemuOpts), the JSON -device form gives typed values (from_json).
 * Left out: buses other than PCI Express, bridges other than
 * pcie-root-port, BAR placement (query-pci lists no regions).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"
#include "sim/err.h"
#include "sim/mutant.h"

/* ---- drivers ------------------------------------------------------------------ */

static const struct hdrv drivers[] = {
    { "pcie-root-port", HDRV_ROOT_PORT, HW_DEV_ROOT_PORT, 0x1b36, 0x000c, 0x0604, 0, 0,
      "PCI bridge", NULL, NULL, false, false },
    { "virtio-net-pci", HDRV_VIRTIO_NET, HW_DEV_VIRTIO_NET, 0x1af4, 0x1041, 0x0200, 0x1af4,
      0x1100, "Ethernet controller", "virtio-net", "efi-virtio.rom", true, true },
    { "e1000e", HDRV_E1000E, HW_DEV_E1000E, 0x8086, 0x10d3, 0x0200, 0x8086, 0x0000,
      "Ethernet controller", "e1000e", "efi-e1000e.rom", true, true },
    /* A passed-through Intel X710 VF: what the guest's iavf binds to. */
    { "vfio-pci", HDRV_VFIO, HW_DEV_VFIO, 0x8086, 0x154c, 0x0200, 0x8086, 0x0000,
      "Ethernet controller", NULL, NULL, false, true },
    { "pcie-pci-bridge", HDRV_PCI_BRIDGE, HW_DEV_OTHER, 0x1b36, 0x000e, 0x0604, 0, 0,
      "PCI bridge", NULL, NULL, false, false },
    { "VGA", HDRV_VGA, HW_DEV_OTHER, 0x1234, 0x1111, 0x0300, 0x1af4, 0x1100,
      "VGA controller", "vga", "vgabios-stdvga.bin", false, false },
};

const struct hdrv *hdrv_lookup(const char *name)
{
    if (strcmp(name, "virtio-net") == 0) /* q35's alias */
        name = "virtio-net-pci";
    for (size_t i = 0; i < SIM_ARRAY_SIZE(drivers); i++)
        if (strcmp(drivers[i].name, name) == 0)
            return &drivers[i];
    return NULL;
}

/* ---- properties ------------------------------------------------------------------ */

enum ptype { P_STR, P_BOOL, P_U8, P_U16, P_U32, P_DEVFN, P_MAC, P_IGNORED };

struct prop {
    const char *name;
    enum ptype type;
    unsigned drivers; /* bit set of 1 << hdrv_id */
};

#define D(x) (1u << HDRV_##x)
#define ALL_PCI (D(ROOT_PORT) | D(VIRTIO_NET) | D(E1000E) | D(VFIO) | D(VGA) | D(PCI_BRIDGE))
#define NICS (D(VIRTIO_NET) | D(E1000E))

static const struct prop props[] = {
    { "addr", P_DEVFN, ALL_PCI },
    { "multifunction", P_BOOL, ALL_PCI },
    { "romfile", P_STR, ALL_PCI },
    { "rombar", P_U32, ALL_PCI },
    { "failover_pair_id", P_STR, ALL_PCI },
    { "x-pcie-lnksta-dllla", P_BOOL, ALL_PCI },
    { "netdev", P_STR, NICS },
    { "mac", P_MAC, NICS },
    { "bootindex", P_IGNORED, NICS | D(VFIO) },
    { "failover", P_BOOL, D(VIRTIO_NET) },
    { "vectors", P_IGNORED, D(VIRTIO_NET) },
    { "mq", P_IGNORED, D(VIRTIO_NET) },
    { "speed", P_IGNORED, D(VIRTIO_NET) },
    { "duplex", P_IGNORED, D(VIRTIO_NET) },
    { "disable-legacy", P_IGNORED, D(VIRTIO_NET) },
    { "disable-modern", P_IGNORED, D(VIRTIO_NET) },
    { "rx_queue_size", P_IGNORED, D(VIRTIO_NET) },
    { "tx_queue_size", P_IGNORED, D(VIRTIO_NET) },
    { "host", P_STR, D(VFIO) },
    { "sysfsdev", P_STR, D(VFIO) },
    { "x-vf-mac", P_MAC, D(VFIO) }, /* fosim: the MAC the PF gave the VF */
    { "chassis", P_U8, D(ROOT_PORT) },
    { "slot", P_U16, D(ROOT_PORT) },
    { "port", P_U8, D(ROOT_PORT) },
    { "hotplug", P_BOOL, D(ROOT_PORT) },
    { "x-speed", P_IGNORED, D(ROOT_PORT) },
    { "x-width", P_IGNORED, D(ROOT_PORT) },
    { "io-reserve", P_IGNORED, D(ROOT_PORT) },
    { "mem-reserve", P_IGNORED, D(ROOT_PORT) },
    { "pref64-reserve", P_IGNORED, D(ROOT_PORT) },
    { "bus-reserve", P_IGNORED, D(ROOT_PORT) },
    { "msi", P_IGNORED, D(PCI_BRIDGE) },
    { "shpc", P_IGNORED, D(PCI_BRIDGE) },
};

static const struct prop *prop_lookup(const struct hdrv *drv, const char *name)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(props); i++)
        if (strcmp(props[i].name, name) == 0 && (props[i].drivers & (1u << drv->id)))
            return &props[i];
    return NULL;
}

/* Bool as the keyval visitor parses it (qapi_bool_parse). */
static int parse_bool_str(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "y")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "n")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_u64_str(const char *s, uint64_t *out)
{
    if (!*s || *s == '-')
        return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int host_parse_mac(const char *s, uint8_t mac[6]);
int host_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char extra;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &extra) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
            return -1;
        mac[i] = (uint8_t)v[i];
    }
    return 0;
}

/* PCI "slot[.function]" in hex, as set_pci_devfn parses it. */
static int parse_devfn(const char *s, uint8_t *devfn)
{
    char *end;
    unsigned long slot = strtoul(s, &end, 16), fn = 0;
    if (end == s)
        return -1;
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f)
            return -1;
    }
    if (*end || slot > 31 || fn > 7)
        return -1;
    *devfn = (uint8_t)(slot << 3 | fn);
    return 0;
}

/* The values a device's properties take, filled by set_props. */
struct devprops {
    bool has_devfn;
    uint8_t devfn;
    bool multifunction;
    bool romfile_set;
    const char *romfile;
    uint64_t rombar;
    const char *pair;
    const char *netdev;
    bool has_mac;
    uint8_t mac[6];
    bool failover;
    const char *vfio_host;
    bool vf_mac_random;
    uint64_t chassis, slot, port;
    bool hotplug;
};

/* Read property `name` of type t from value v into the right field.  Errors
 * as QEMU's visitors word them (keyval strings vs typed JSON). */
static int set_prop(const struct hdrv *drv, const struct prop *p, const char *name,
                    const json_t *v, bool from_json, struct devprops *dp, char *err,
                    size_t errlen)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    bool b = false;
    uint64_t u = 0;
    switch (p->type) {
    case P_IGNORED:
        return 0;
    case P_STR:
    case P_DEVFN:
    case P_MAC:
        if (!s) {
            snprintf(err, errlen, "Invalid parameter type for '%s', expected: string", name);
            return -1;
        }
        break;
    case P_BOOL:
        if (from_json) {
            if (!json_is_boolean(v)) {
                snprintf(err, errlen, "Invalid parameter type for '%s', expected: boolean",
                         name);
                return -1;
            }
            b = json_is_true(v);
        } else if (!s || parse_bool_str(s, &b) != 0) {
            snprintf(err, errlen, "Parameter '%s' expects 'on' or 'off'", name);
            return -1;
        }
        break;
    case P_U8:
    case P_U16:
    case P_U32: {
        if (from_json) {
            if (!json_is_integer(v)) {
                snprintf(err, errlen, "Invalid parameter type for '%s', expected: integer",
                         name);
                return -1;
            }
            if (json_integer_value(v) < 0) {
                snprintf(err, errlen, "Invalid parameter type for '%s', expected: integer",
                         name);
                return -1;
            }
            u = (uint64_t)json_integer_value(v);
        } else if (!s || parse_u64_str(s, &u) != 0) {
            snprintf(err, errlen, "Parameter '%s' expects integer", name);
            return -1;
        }
        uint64_t max = p->type == P_U8 ? 0xff : p->type == P_U16 ? 0xffff : 0xffffffffu;
        const char *tn = p->type == P_U8 ? "uint8_t" : p->type == P_U16 ? "uint16_t" : "uint32_t";
        if (u > max) {
            snprintf(err, errlen, "Parameter '%s' expects %s", name, tn);
            return -1;
        }
        break;
    }
    }
    if (!strcmp(name, "addr")) {
        if (parse_devfn(s, &dp->devfn) != 0) {
            snprintf(err, errlen, "Property '%s.addr' doesn't take value '%s'", drv->name, s);
            return -1;
        }
        dp->has_devfn = true;
    } else if (!strcmp(name, "multifunction")) {
        dp->multifunction = b;
    } else if (!strcmp(name, "romfile")) {
        dp->romfile_set = true;
        dp->romfile = s;
    } else if (!strcmp(name, "rombar")) {
        dp->rombar = u;
    } else if (!strcmp(name, "failover_pair_id")) {
        dp->pair = s;
    } else if (!strcmp(name, "x-pcie-lnksta-dllla")) {
        (void)b;
    } else if (!strcmp(name, "netdev")) {
        dp->netdev = s;
    } else if (!strcmp(name, "mac") || !strcmp(name, "x-vf-mac")) {
        if (!strcmp(name, "x-vf-mac") && !strcmp(s, "random")) {
            dp->vf_mac_random = true;
        } else if (host_parse_mac(s, dp->mac) != 0) {
            snprintf(err, errlen, "Property '%s.%s' doesn't take value '%s'", drv->name, name,
                     s);
            return -1;
        } else {
            dp->has_mac = true;
        }
    } else if (!strcmp(name, "failover")) {
        dp->failover = b;
    } else if (!strcmp(name, "host")) {
        /* [domain:]bus:slot.function, hex (PCIHostDeviceAddress) */
        unsigned dom, bus, slot, fn;
        char x;
        bool ok = sscanf(s, "%8x:%8x:%8x.%8x%c", &dom, &bus, &slot, &fn, &x) == 4
                      ? (dom <= 0xffff && bus <= 0xff && slot <= 0x1f && fn <= 7)
                  : sscanf(s, "%8x:%8x.%8x%c", &bus, &slot, &fn, &x) == 3
                      ? (bus <= 0xff && slot <= 0x1f && fn <= 7)
                      : false;
        if (!ok || strchr(s, '-') || strchr(s, ' ')) {
            snprintf(err, errlen, "Property '%s.host' doesn't take value '%s'", drv->name, s);
            return -1;
        }
        dp->vfio_host = s;
    } else if (!strcmp(name, "sysfsdev")) {
        dp->vfio_host = s;
    } else if (!strcmp(name, "chassis")) {
        dp->chassis = u;
    } else if (!strcmp(name, "slot")) {
        dp->slot = u;
    } else if (!strcmp(name, "port")) {
        dp->port = u;
    } else if (!strcmp(name, "hotplug")) {
        dp->hotplug = b;
    }
    return 0;
}

/* ---- option parsing --------------------------------------------------------------- */

/* QemuOpts' "driver,key=value,..." with ",," for a comma inside a value; a
 * first word without '=' is the driver, a later one means "key=on". */
static json_t *parse_keyval(const char *text, const char *implied, char *err, size_t errlen)
{
    json_t *o = json_object();
    size_t n = strlen(text);
    char *buf = sim_xmalloc(n + 1);
    const char *p = text;
    bool first = true;
    while (*p) {
        /* key */
        const char *k = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        size_t klen = (size_t)(p - k);
        char key[128];
        if (klen >= sizeof(key))
            klen = sizeof(key) - 1;
        memcpy(key, k, klen);
        key[klen] = '\0';
        size_t bl = 0;
        bool has_val = *p == '=';
        if (has_val) {
            p++;
            while (*p) {
                if (*p == ',') {
                    if (p[1] == ',') {
                        buf[bl++] = ',';
                        p += 2;
                        continue;
                    }
                    break;
                }
                buf[bl++] = *p++;
            }
        }
        buf[bl] = '\0';
        if (*p == ',')
            p++;
        if (!has_val && first && implied) {
            json_object_set_new(o, implied, json_string(key));
        } else if (!has_val) {
            if (!klen) {
                snprintf(err, errlen, "Invalid parameter ''");
                free(buf);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, key, json_string("on"));
        } else {
            if (!klen) {
                snprintf(err, errlen, "Invalid parameter ''");
                free(buf);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, key, json_string(buf));
        }
        first = false;
    }
    free(buf);
    return o;
}

json_t *qdev_parse_device_arg(const char *text, bool *from_json, char *err, size_t errlen)
{
    if (text[0] == '{') {
        json_error_t je;
        json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!o || !json_is_object(o)) {
            snprintf(err, errlen, "JSON parse error, %s", o ? "expected an object" : je.text);
            json_decref(o);
            return NULL;
        }
        *from_json = true;
        return o;
    }
    *from_json = false;
    return parse_keyval(text, "driver", err, errlen);
}

/* ---- netdevs ------------------------------------------------------------------------ */

struct hnetdev *hnetdev_find(struct host *h, const char *id)
{
    for (struct hnetdev *n = h->netdevs; n; n = n->next)
        if (!strcmp(n->id, id))
            return n;
    return NULL;
}

static const char *const netdev_types[] = {
    "user", "tap", "socket", "bridge", "l2tpv3", "vhost-user", "vhost-vdpa", "stream",
    "dgram", "hubport", "vde", "netmap", "af-xdp",
};

int qdev_netdev_add(struct host *h, const char *text, char *err, size_t errlen)
{
    json_t *o = parse_keyval(text, "type", err, errlen);
    if (!o)
        return -1;
    int rc = -1;
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!type) {
        snprintf(err, errlen, "Parameter 'type' is missing");
        goto out;
    }
    bool known = false;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(netdev_types); i++)
        known |= !strcmp(netdev_types[i], type);
    if (!known) {
        snprintf(err, errlen, "Parameter 'type' expects a netdev backend type");
        goto out;
    }
    if (!id) {
        snprintf(err, errlen, "Parameter 'id' is missing");
        goto out;
    }
    if (hnetdev_find(h, id)) {
        snprintf(err, errlen, "Duplicate ID '%s' for netdev", id);
        goto out;
    }
    struct hnetdev *n = sim_xcalloc(1, sizeof(*n));
    n->id = sim_xstrdup(id);
    n->type = sim_xstrdup(type);
    struct hnetdev **pp = &h->netdevs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = n;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* ---- the tree ------------------------------------------------------------------------ */

struct hw_pcidev *qdev_find(const struct host *h, const char *id)
{
    if (!id)
        return NULL;
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->id && !strcmp(d->id, id))
            return d;
    return NULL;
}

uint8_t qdev_bus(const struct hw_pcidev *d)
{
    if (!d->parent)
        return 0;
    return d->parent->port ? d->parent->port->secbus : d->parent->secbus;
}

void qdev_dev_path(const struct hw_pcidev *d, char *buf, size_t n)
{
    if (d->parent)
        snprintf(buf, n, "0000:00:%02x.%x:%02x.%x", d->parent->devfn >> 3,
                 d->parent->devfn & 7, d->devfn >> 3, d->devfn & 7);
    else
        snprintf(buf, n, "0000:00:%02x.%x", d->devfn >> 3, d->devfn & 7);
}

static struct hw_pcidev *dev_at(const struct host *h, const struct hw_pcidev *parent,
                                uint8_t devfn)
{
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->parent == parent && d->devfn == devfn)
            return d;
    return NULL;
}

/* A bus named by `bus=`: "pcie.0" or a root port's id (its secondary bus
 * carries the port's id as its name). */
static int find_bus(struct host *h, const char *path, struct hw_pcidev **parent, char *err,
                    size_t errlen)
{
    if (!strcmp(path, "pcie.0") || !strcmp(path, "/pcie.0")) {
        *parent = NULL;
        return 0;
    }
    struct hw_pcidev *d = qdev_find(h, path);
    if (d && (d->port || d->pci_bridge)) {
        *parent = d;
        return 0;
    }
    if (d) {
        snprintf(err, errlen, "Device '%s' has no child bus", path);
        return -1;
    }
    snprintf(err, errlen, "Bus '%s' not found", path);
    return -1;
}

static bool bus_hotpluggable(const struct host *h, const struct hw_pcidev *parent)
{
    (void)h;
    /* q35's root bus takes no hotplug; a root port's bus does unless
     * hotplug=off. */
    if (!parent)
        return false;
    return parent->port ? parent->port->hotplug : parent->pci_bridge;
}

static const char *bus_name(const struct hw_pcidev *parent)
{
    return parent ? parent->id : "pcie.0";
}

/* The device QemuOpts ids: -device (keyval) and QMP device_add keep their
 * options under the id until the device is gone (qemu_opts_create). */
static bool opts_id_taken(const struct host *h, const char *id)
{
    const struct hw_pcidev *d = qdev_find(h, id);
    if (d && !d->from_json)
        return true;
    /* a command-line -device that was hidden keeps its QemuOpts */
    for (unsigned i = 0; i < h->ncl_hidden; i++)
        if (!strcmp(h->cl_hidden[i], id))
            return true;
    return false;
}

static bool id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0]))
        return false;
    for (const char *p = id + 1; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
            return false;
    return true;
}

/* Insert in creation order. */
static void link_dev(struct host *h, struct hw_pcidev *d)
{
    struct hw_pcidev **pp = &h->devs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = d;
}

static void unlink_dev(struct host *h, struct hw_pcidev *d)
{
    for (struct hw_pcidev **pp = &h->devs; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            return;
        }
}

static void free_dev(struct hw_pcidev *d)
{
    free(d->id);
    free(d->netdev);
    free(d->pair);
    free(d->vfio_host);
    free(d->port);
    if (d->vn) {
        json_decref(d->vn->primary_opts);
        free(d->vn);
    }
    free(d);
}

void qdev_free_all(struct host *h)
{
    while (h->devs) {
        struct hw_pcidev *d = h->devs;
        h->devs = d->next;
        free_dev(d);
    }
    while (h->netdevs) {
        struct hnetdev *n = h->netdevs;
        h->netdevs = n->next;
        free(n->id);
        free(n->type);
        free(n);
    }
}

/* qdev_should_hide_device: the listeners in registration order (H-07);
 * only standbys that exist now are asked (IMP: H-18). */
static int should_hide(struct host *h, const json_t *opts, bool from_json, char *err,
                       size_t errlen)
{
    struct vnet *sb[64];
    unsigned n = vnet_standbys(h, sb, SIM_ARRAY_SIZE(sb));
    for (unsigned i = 0; i < n; i++) {
        int r = vnet_hide_primary(sb[i], opts, from_json, err, errlen);
        if (r != 0)
            return r;
    }
    return 0;
}

/* The first free devfn on a bus (function 0 of a free slot). */
static int auto_devfn(const struct host *h, const struct hw_pcidev *parent, uint8_t *devfn)
{
    for (unsigned slot = 0; slot < 32; slot++) {
        bool used = false;
        for (unsigned fn = 0; fn < 8 && !used; fn++)
            used = dev_at(h, parent, (uint8_t)(slot << 3 | fn)) != NULL;
        if (!used) {
            *devfn = (uint8_t)(slot << 3);
            return 0;
        }
    }
    return -1;
}

struct hw_pcidev *qdev_device_add(struct host *h, json_t *opts, bool from_json, bool *hidden,
                                  char *err, size_t errlen)
{
    *hidden = false;
    const json_t *jdrv = json_object_get(opts, "driver");
    if (!jdrv) {
        snprintf(err, errlen, "Parameter 'driver' is missing");
        return NULL;
    }
    if (!json_is_string(jdrv)) {
        snprintf(err, errlen, "Invalid parameter type for 'driver', expected: string");
        return NULL;
    }
    const char *driver = json_string_value(jdrv);
    const struct hdrv *drv = hdrv_lookup(driver);
    if (!drv || drv->id == HDRV_VGA) {
        snprintf(err, errlen, "'%s' is not a valid device model name", driver);
        return NULL;
    }
    /* the bus */
    struct hw_pcidev *parent = NULL;
    const json_t *jbus = json_object_get(opts, "bus");
    if (jbus) {
        if (!json_is_string(jbus)) {
            snprintf(err, errlen, "Invalid parameter type for 'bus', expected: string");
            return NULL;
        }
        if (find_bus(h, json_string_value(jbus), &parent, err, errlen) != 0)
            return NULL;
    }
    /* IMP: H-07, H-08: hide listeners after driver and bus, before the
     * hotplug and migration checks */
    int hide = should_hide(h, opts, from_json, err, errlen);
    if (hide < 0)
        return NULL;
    if (hide > 0) {
        if (!bus_hotpluggable(h, parent)) { /* IMP: H-15 */
            snprintf(err, errlen, "Bus '%s' does not support hotplugging", bus_name(parent));
            return NULL;
        }
        *hidden = true; /* IMP: H-16, H-17: nothing created or validated */
        return NULL;
    }
    if (h->machine_ready && !bus_hotpluggable(h, parent)) {
        snprintf(err, errlen, "Bus '%s' does not support hotplugging", bus_name(parent));
        return NULL;
    }
    if (!mig_idle(h)) { /* IMP: H-57 */
        snprintf(err, errlen, "device_add not allowed while migrating");
        return NULL;
    }
    if (h->machine_ready && !drv->hotpluggable) {
        snprintf(err, errlen, "Device '%s' does not support hotplugging", drv->name);
        return NULL;
    }
    /* the id */
    const json_t *jid = json_object_get(opts, "id");
    const char *id = NULL;
    if (jid) {
        if (!json_is_string(jid)) {
            snprintf(err, errlen, "Invalid parameter type for 'id', expected: string");
            return NULL;
        }
        id = json_string_value(jid);
        if (qdev_find(h, id)) {
            snprintf(err, errlen, "Duplicate device ID '%s'", id);
            return NULL;
        }
    }
    /* properties */
    struct devprops dp = { .rombar = 1, .hotplug = true };
    const char *key;
    json_t *v;
    json_object_foreach(opts, key, v) {
        if (!strcmp(key, "driver") || !strcmp(key, "bus") || !strcmp(key, "id"))
            continue;
        const struct prop *p = prop_lookup(drv, key);
        if (!p) {
            snprintf(err, errlen, "Property '%s.%s' not found", drv->name, key);
            return NULL;
        }
        if (set_prop(drv, p, key, v, from_json, &dp, err, errlen) != 0)
            return NULL;
    }
    /* realize */
    struct hnetdev *nd = NULL;
    if (dp.netdev) {
        nd = hnetdev_find(h, dp.netdev);
        if (!nd) {
            snprintf(err, errlen, "Property '%s.netdev' can't find value '%s'", drv->name,
                     dp.netdev);
            return NULL;
        }
        if (nd->peer) {
            snprintf(err, errlen, "Property '%s.netdev' can't take value '%s', it's in use",
                     drv->name, dp.netdev);
            return NULL;
        }
    }
    if (drv->id == HDRV_VFIO && !dp.vfio_host) {
        snprintf(err, errlen, "No provided host device");
        return NULL;
    }
    if (drv->id == HDRV_PCI_BRIDGE && parent) {
        snprintf(err, errlen, "fosim models a pcie-pci-bridge on pcie.0 only");
        return NULL;
    }
    if (drv->id == HDRV_ROOT_PORT && parent) {
        snprintf(err, errlen, "Device '%s' can't go on %s bus", drv->name, "PCIE");
        return NULL;
    }
    uint8_t devfn;
    if (dp.has_devfn) {
        devfn = dp.devfn;
        struct hw_pcidev *o = dev_at(h, parent, devfn);
        if (o) {
            snprintf(err, errlen, "PCI: slot %d function %d not available for %s, in use by %s,id=%s",
                     devfn >> 3, devfn & 7, drv->name, o->drv->name, o->id ? o->id : "");
            return NULL;
        }
        struct hw_pcidev *f0 = dev_at(h, parent, (uint8_t)(devfn & ~7));
        if (h->machine_ready && (devfn & 7) && f0) {
            snprintf(err, errlen,
                     "PCI: slot %d function 0 already occupied by %s, new func %s cannot be "
                     "exposed to guest.",
                     devfn >> 3, f0->drv->name, drv->name);
            return NULL;
        }
    } else if (auto_devfn(h, parent, &devfn) != 0) {
        snprintf(err, errlen, "PCI: no slot/function available for %s, all in use or reserved",
                 drv->name);
        return NULL;
    }
    /* IMP: H-26, H-27, H-28: pci_qdev_realize's failover checks (every bus
     * here is PCI Express, so H-26 holds by construction) */
    if (dp.pair) {
        if (parent && parent->pci_bridge) {
            snprintf(err, errlen, "failover primary device must be on PCIExpress bus");
            return NULL;
        }
        if (drv->class_code != 0x0200) {
            snprintf(err, errlen, "failover primary device is not an Ethernet device");
            return NULL;
        }
        if (dp.multifunction || (devfn & 7)) {
            snprintf(err, errlen, "failover: primary device must be in its own PCI slot");
            return NULL;
        }
    }
    struct hw_pcidev *d = sim_xcalloc(1, sizeof(*d));
    d->h = h;
    d->drv = drv;
    d->id = id ? sim_xstrdup(id) : NULL;
    d->serial = ++h->dev_serial;
    d->from_json = from_json;
    d->parent = parent;
    d->devfn = devfn;
    d->multifunction = dp.multifunction;
    d->hotplugged = h->machine_ready;
    d->netdev = dp.netdev ? sim_xstrdup(dp.netdev) : NULL;
    d->pair = dp.pair ? sim_xstrdup(dp.pair) : NULL;
    d->vfio_host = dp.vfio_host ? sim_xstrdup(dp.vfio_host) : NULL;
    d->link_up = true;
    d->vmstate = drv->vmsd != NULL;
    const char *romfile = dp.romfile_set ? dp.romfile : drv->romfile;
    d->rom = romfile && romfile[0] && dp.rombar != 0; /* H-59's ROM RAM block */
    if (drv->nic) {
        d->has_mac = true;
        if (dp.has_mac) {
            memcpy(d->mac, dp.mac, 6);
        } else { /* qemu_macaddr_default_if_unset */
            static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
            memcpy(d->mac, base, 6);
            d->mac[5] = (uint8_t)(0x56 + h->mac_index++);
        }
    } else if (drv->id == HDRV_VFIO) {
        /* The VF's MAC is what its PF assigned; by default the paired
         * standby's, as the failover setup instructions have it. */
        struct hw_pcidev *sb = dp.pair ? qdev_find(h, dp.pair) : NULL;
        if (dp.has_mac) {
            d->has_mac = true;
            memcpy(d->mac, dp.mac, 6);
        } else if (!dp.vf_mac_random && sb && sb->has_mac) {
            d->has_mac = true;
            memcpy(d->mac, sb->mac, 6);
        } else {
            d->mac_random = true;
        }
    }
    d->pci_bridge = drv->id == HDRV_PCI_BRIDGE;
    if (drv->id == HDRV_ROOT_PORT) {
        d->port = sim_xcalloc(1, sizeof(*d->port));
        d->port->dev = d;
        d->port->chassis = (uint8_t)dp.chassis;
        d->port->psn = (uint8_t)dp.slot;
        d->port->hotplug = dp.hotplug;
    }
    if (dp.pair) /* IMP: H-29 */
        d->allow_unplug_during_migration = true;
    link_dev(h, d);
    if (nd)
        nd->peer = d;
    if (d->port)
        port_init(d);
    if (drv->id == HDRV_VIRTIO_NET) {
        d->vn = sim_xcalloc(1, sizeof(*d->vn));
        d->vn->d = d;
        d->vn->failover = dp.failover;
        vnet_realize(d);
    }
    if (d->hotplugged)
        qdev_hotplug_plug(d);
    return d;
}

void qdev_hotplug_plug(struct hw_pcidev *d)
{
    struct host *h = d->h;
    if (!d->parent)
        return;
    if (!h->native_hotplug)
        acpi_pcihp_plug(h, d);
    else if (d->parent->port)
        port_plug(d->parent->port, d);
    /* a pcie-pci-bridge with native hotplug uses SHPC: not modelled */
}

int qdev_hotplug_unplug_request(struct hw_pcidev *d, char *err, size_t errlen)
{
    struct host *h = d->h;
    if (!d->parent) {
        snprintf(err, errlen, "Bus 'pcie.0' does not support hotplugging");
        return -1;
    }
    if (!h->native_hotplug)
        return acpi_pcihp_unplug_request(h, d, err, errlen);
    if (d->parent->port)
        return port_unplug_request(d->parent->port, d, err, errlen);
    snprintf(err, errlen, "SHPC hot-unplug (a pcie-pci-bridge with native hotplug) is not "
                          "modelled by fosim");
    return -1;
}

int qdev_device_del(struct host *h, const char *id, const char **eclass, char *err,
                    size_t errlen)
{
    *eclass = "GenericError";
    struct hw_pcidev *d = qdev_find(h, id);
    if (!d) {
        *eclass = "DeviceNotFound";
        snprintf(err, errlen, "Device '%s' not found", id);
        return -1;
    }
    /* IMP: H-60 */
    if (d->pending_deleted_event && d->pending_deleted_expires > h->w->now) {
        snprintf(err, errlen, "Device %s is already in the process of unplug", id);
        return -1;
    }
    if (!bus_hotpluggable(h, d->parent)) {
        snprintf(err, errlen, "Bus '%s' does not support hotplugging", bus_name(d->parent));
        return -1;
    }
    if (!d->drv->hotpluggable) {
        snprintf(err, errlen, "Device '%s' does not support hotplugging", d->drv->name);
        return -1;
    }
    if (!mig_idle(h) && !d->allow_unplug_during_migration) { /* IMP: H-29 */
        snprintf(err, errlen, "device_del not allowed while migrating");
        return -1;
    }
    return qdev_hotplug_unplug_request(d, err, errlen);
}

void qdev_unplug_done(struct hw_pcidev *d)
{
    struct host *h = d->h;
    SIM_ASSERT(!d->partially_hotplugged);
    char path[160];
    if (d->vn) {
        vnet_unrealize(d);
        snprintf(path, sizeof(path), "/machine/peripheral%s/%s/virtio-backend",
                 d->id ? "" : "-anon", d->id ? d->id : "device[0]");
        json_t *data = json_object();
        json_object_set_new(data, "path", json_string(path));
        qmp_event(h, "DEVICE_DELETED", data);
    }
    if (d->netdev) {
        struct hnetdev *nd = hnetdev_find(h, d->netdev);
        if (nd && nd->peer == d)
            nd->peer = NULL;
    }
    unlink_dev(h, d);
    json_t *data = json_object();
    if (d->id) {
        json_object_set_new(data, "device", json_string(d->id));
        snprintf(path, sizeof(path), "/machine/peripheral/%s", d->id);
    } else {
        snprintf(path, sizeof(path), "/machine/peripheral-anon/device[0]");
    }
    json_object_set_new(data, "path", json_string(path));
    sim_emit_state(h->vm, h->id, "qdev", d->id ? d->id : d->drv->name, "deleted", "unplugged");
    free_dev(d);
    qmp_event(h, "DEVICE_DELETED", data); /* IMP: H-39 (only real unplugs) */
}

struct hw_pcidev *qdev_find_primary(struct host *h, const char *standby_id)
{
    if (!standby_id) /* H-58: an id-less standby pairs with nothing here */
        return NULL;
    for (struct hw_pcidev *d = h->devs; d; d = d->next) /* IMP: H-04 */
        if (d->pair && !strcmp(d->pair, standby_id))
            return d;
    return NULL;
}

/* Secondary bus numbers: the firmware numbers buses depth-first in devfn
 * order on bus 0, so the n-th root port gets bus n. */
void qdev_machine_ready(struct host *h)
{
    unsigned bus = 1;
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        struct hw_pcidev *d = dev_at(h, NULL, (uint8_t)devfn);
        if (d && d->port)
            d->port->secbus = (uint8_t)bus++;
        else if (d && d->pci_bridge)
            d->secbus = (uint8_t)bus++;
    }
}

/* ---- query-pci --------------------------------------------------------------------------- */

static json_t *pci_dev_info(struct host *h, struct hw_pcidev *d);

static json_t *chipset_fn(unsigned slot, unsigned fn, unsigned cls, const char *desc,
                          unsigned dev)
{
    json_t *o = json_object();
    json_object_set_new(o, "irq_pin", json_integer(0));
    json_object_set_new(o, "bus", json_integer(0));
    json_object_set_new(o, "qdev_id", json_string(""));
    json_object_set_new(o, "slot", json_integer(slot));
    json_t *ci = json_object();
    json_object_set_new(ci, "class", json_integer(cls));
    json_object_set_new(ci, "desc", json_string(desc));
    json_object_set_new(o, "class_info", ci);
    json_t *id = json_object();
    json_object_set_new(id, "device", json_integer(dev));
    json_object_set_new(id, "subsystem-vendor", json_integer(0x1af4));
    json_object_set_new(id, "vendor", json_integer(0x8086));
    json_object_set_new(id, "subsystem", json_integer(0x1100));
    json_object_set_new(o, "id", id);
    json_object_set_new(o, "function", json_integer(fn));
    json_object_set_new(o, "regions", json_array());
    return o;
}

static json_t *pci_dev_info(struct host *h, struct hw_pcidev *d)
{
    json_t *o = json_object();
    uint8_t bus = qdev_bus(d);
    json_object_set_new(o, "irq_pin", json_integer(1));
    json_object_set_new(o, "bus", json_integer(bus));
    if (d->port || d->pci_bridge) {
        uint8_t sec = h->numbered ? (d->port ? d->port->secbus : d->secbus) : 0;
        json_t *br = json_object();
        json_t *b = json_object();
        json_object_set_new(b, "secondary", json_integer(sec));
        json_object_set_new(b, "number", json_integer(0));
        json_object_set_new(b, "subordinate", json_integer(sec));
        json_object_set_new(br, "bus", b);
        /* before the firmware numbers the buses, nothing is listed behind */
        if (!h->numbered) {
            json_object_set_new(o, "pci_bridge", br);
            goto rest;
        }
        json_t *devs = json_array();
        for (unsigned devfn = 0; devfn < 256; devfn++) {
            struct hw_pcidev *c = dev_at(h, d, (uint8_t)devfn);
            if (c)
                json_array_append_new(devs, pci_dev_info(h, c));
        }
        json_object_set_new(br, "devices", devs);
        json_object_set_new(o, "pci_bridge", br);
    }
rest:
    json_object_set_new(o, "qdev_id", json_string(d->id ? d->id : ""));
    json_object_set_new(o, "slot", json_integer(d->devfn >> 3));
    json_t *ci = json_object();
    json_object_set_new(ci, "class", json_integer(d->drv->class_code));
    json_object_set_new(ci, "desc", json_string(d->drv->class_desc));
    json_object_set_new(o, "class_info", ci);
    json_t *id = json_object();
    json_object_set_new(id, "device", json_integer(d->drv->device));
    if (d->drv->subsys_vendor)
        json_object_set_new(id, "subsystem-vendor", json_integer(d->drv->subsys_vendor));
    json_object_set_new(id, "vendor", json_integer(d->drv->vendor));
    if (d->drv->subsys_vendor)
        json_object_set_new(id, "subsystem", json_integer(d->drv->subsys));
    json_object_set_new(o, "id", id);
    json_object_set_new(o, "function", json_integer(d->devfn & 7));
    json_object_set_new(o, "regions", json_array());
    return o;
}

json_t *qdev_query_pci(struct host *h)
{
    json_t *devs = json_array();
    json_array_append_new(devs, chipset_fn(0, 0, 0x0600, "Host bridge", 0x29c0));
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        struct hw_pcidev *d = dev_at(h, NULL, (uint8_t)devfn);
        if (d)
            json_array_append_new(devs, pci_dev_info(h, d));
    }
    json_array_append_new(devs, chipset_fn(31, 0, 0x0601, "ISA bridge", 0x2918));
    json_array_append_new(devs, chipset_fn(31, 2, 0x0106, "SATA controller", 0x2922));
    json_array_append_new(devs, chipset_fn(31, 3, 0x0c05, "SMBus", 0x2930));
    json_t *bus0 = json_object();
    json_object_set_new(bus0, "bus", json_integer(0));
    json_object_set_new(bus0, "devices", devs);
    json_t *r = json_array();
    json_array_append_new(r, bus0);
    return r;
}

/* Used by host.c for -device on the command line. */
bool qdev_opts_id_taken(const struct host *h, const char *id);
bool qdev_opts_id_taken(const struct host *h, const char *id)
{
    return opts_id_taken(h, id);
}

bool qdev_id_wellformed(const char *id);
bool qdev_id_wellformed(const char *id)
{
    return id_wellformed(id);
}
