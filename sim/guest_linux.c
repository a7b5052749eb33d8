/*
 * PLACEHOLDER: the linux guest profile is written by issue #3 (guest_pci.c,
 * pciehp.c, acpiphp.c, nic.c, netdev.c, virtio_net.c, net_failover.c).  Until
 * then the profile boots and does nothing; it is not a deliverable.
 */
#include "guest_int.h"

const struct guest_profile guest_profile_linux = { .name = "linux" };
