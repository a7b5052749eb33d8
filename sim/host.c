/*
 * PLACEHOLDER host model: replaced by the QEMU host model of issue #2.
 * It refuses every host so the tree links while the models are written in
 * parallel; it is not a deliverable.
 */
#include "sim/host.h"

#include <stdlib.h>

#include "sim/world.h"

struct host {
    struct sim_vm *vm;
    enum obs_host id;
};

struct host *host_new(struct sim_vm *vm, const struct scn_host *cfg, struct sim_err *err)
{
    (void)vm;
    scn_errf(err, &cfg->pos, "the host model is not available in this build");
    return NULL;
}

void host_free(struct host *h)
{
    free(h);
}

void host_start(struct host *h)
{
    (void)h;
}

enum obs_host host_id(const struct host *h)
{
    return h->id;
}

struct sim_world *host_world(const struct host *h)
{
    return h->vm->w;
}

struct sim_vm *host_vm(const struct host *h)
{
    return h->vm;
}

enum frame_drop host_netdev_rx(struct host *h, const char *netdev, const struct frame *f)
{
    (void)h;
    (void)netdev;
    (void)f;
    return FRAME_DROP_NO_PEER;
}

void host_qmp(struct host *h, const char *json, const char *label)
{
    (void)h;
    (void)json;
    (void)label;
}

void host_attach_guest(struct host *h, const struct hw_guest_ops *ops, void *guest)
{
    (void)h;
    (void)ops;
    (void)guest;
}

const char *host_runstate(const struct host *h)
{
    (void)h;
    return "prelaunch";
}

bool host_vm_running(const struct host *h)
{
    (void)h;
    return false;
}

bool host_device_visible(const struct host *h, const char *qdev_id)
{
    (void)h;
    (void)qdev_id;
    return false;
}

bool host_device_exists(const struct host *h, const char *qdev_id)
{
    (void)h;
    (void)qdev_id;
    return false;
}

const char *host_migration_status(const struct host *h)
{
    (void)h;
    return "none";
}

unsigned host_nics(const struct host *h, struct host_nic_info *out, unsigned max)
{
    (void)h;
    (void)out;
    (void)max;
    return 0;
}

bool host_native_hotplug(const struct host *h)
{
    (void)h;
    return false;
}
