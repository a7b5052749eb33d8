/*
 * The virtual hardware between a host and its guest.
 *
 * This is the contract between the host model (QEMU: sim/host*.c,
 * sim/pcie_port.c, sim/acpi_pcihp.c, sim/virtio_dev.c) and the guest models
 * (Linux: sim/guest*.c, sim/pciehp.c, sim/acpiphp.c, sim/virtio_net.c,
 * sim/net_failover.c, sim/nic.c; the scripted qtest guest).  It is what a
 * real guest can see and touch: PCI functions at bus/slot/function
 * addresses, PCIe slot registers, the ACPI PCI hotplug registers, virtio
 * feature and status registers, NIC link state and the wire.
 *
 * Direction host -> guest goes through struct hw_guest_ops, which the guest
 * installs with host_attach_guest(); direction guest -> host is the hw_*
 * functions below.  A guest never holds host pointers across a migration:
 * it keeps PCI addresses and looks devices up on the host it currently runs on.
 */
#ifndef SIM_HW_H
#define SIM_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/frame.h"
#include "sim/time.h"

struct host;
struct hw_pcidev; /* a PCI function, owned by its host */
struct hw_port;   /* a PCIe root/downstream port with a hotplug slot */

/* ---- PCI functions -------------------------------------------------------------- */

enum hw_dev_kind {
    HW_DEV_OTHER,
    HW_DEV_ROOT_PORT,  /* pcie-root-port */
    HW_DEV_VIRTIO_NET, /* virtio-net-pci */
    HW_DEV_E1000E,     /* e1000e */
    HW_DEV_VFIO,       /* vfio-pci: a passed-through VF */
};

struct hw_pci_addr {
    uint8_t bus;  /* guest-visible bus number (0 = root complex) */
    uint8_t slot; /* 0..31 */
    uint8_t func; /* 0..7 */
};

/* What the guest can read from a function's config space and BARs. */
struct hw_pci_info {
    enum hw_dev_kind kind;
    struct hw_pci_addr addr;
    uint16_t vendor;
    uint16_t device;
    uint16_t class_code;  /* 0x0200 Ethernet, 0x0604 PCI bridge */
    bool multifunction;
    bool has_mac;
    uint8_t mac[6];       /* MAC from the device's config/EEPROM */
    bool mac_random;      /* device provides no permanent MAC (guest
                             assigns a random one) */
    const char *qdev_id;  /* the QEMU id, for logs; borrowed */
    const char *vf_driver;/* vfio: guest driver name ("iavf"), else NULL */
};

/* Visit every function the guest can see on `host` (realized, not hidden,
 * behind a powered slot), in bus/slot/function order.  Return nonzero from
 * fn to stop early. */
void hw_for_each_pci(struct host *host, int (*fn)(void *ctx, struct hw_pcidev *d),
                     void *ctx);

/* Look up a guest-visible function by address, or NULL. */
struct hw_pcidev *hw_pci_lookup(struct host *host, struct hw_pci_addr addr);

void hw_pci_info(const struct hw_pcidev *d, struct hw_pci_info *out);

/* ---- PCIe hotplug slots (native hotplug, Linux pciehp) ----------------------------- */

/* Slot Capabilities / Control / Status bits (PCIe capability offsets 0x14,
 * 0x18, 0x1a) and Link Status (0x12), as in linux-guest.md section 4. */
#define HW_SLTCAP_ABP 0x0001u
#define HW_SLTCAP_PCP 0x0002u
#define HW_SLTCAP_MRLSP 0x0004u
#define HW_SLTCAP_AIP 0x0008u
#define HW_SLTCAP_PIP 0x0010u
#define HW_SLTCAP_HPS 0x0020u
#define HW_SLTCAP_HPC 0x0040u
#define HW_SLTCAP_NCCS 0x40000u
#define HW_SLTCAP_PSN_SHIFT 19

#define HW_SLTCTL_ABPE 0x0001u
#define HW_SLTCTL_PFDE 0x0002u
#define HW_SLTCTL_MRLSCE 0x0004u
#define HW_SLTCTL_PDCE 0x0008u
#define HW_SLTCTL_CCIE 0x0010u
#define HW_SLTCTL_HPIE 0x0020u
#define HW_SLTCTL_AIC 0x00c0u
#define HW_SLTCTL_ATTN_IND_ON 0x0040u
#define HW_SLTCTL_ATTN_IND_BLINK 0x0080u
#define HW_SLTCTL_ATTN_IND_OFF 0x00c0u
#define HW_SLTCTL_PIC 0x0300u
#define HW_SLTCTL_PWR_IND_ON 0x0100u
#define HW_SLTCTL_PWR_IND_BLINK 0x0200u
#define HW_SLTCTL_PWR_IND_OFF 0x0300u
#define HW_SLTCTL_PCC 0x0400u /* 1 = power off */
#define HW_SLTCTL_EIC 0x0800u
#define HW_SLTCTL_DLLSCE 0x1000u

#define HW_SLTSTA_ABP 0x0001u
#define HW_SLTSTA_PFD 0x0002u
#define HW_SLTSTA_MRLSC 0x0004u
#define HW_SLTSTA_PDC 0x0008u
#define HW_SLTSTA_CC 0x0010u
#define HW_SLTSTA_MRLSS 0x0020u
#define HW_SLTSTA_PDS 0x0040u
#define HW_SLTSTA_EIS 0x0080u
#define HW_SLTSTA_DLLSC 0x0100u
#define HW_SLTSTA_EVENTS                                                     \
    (HW_SLTSTA_ABP | HW_SLTSTA_PFD | HW_SLTSTA_MRLSC | HW_SLTSTA_PDC |        \
     HW_SLTSTA_CC | HW_SLTSTA_DLLSC)

#define HW_LNKSTA_LT 0x0800u
#define HW_LNKSTA_DLLLA 0x2000u
#define HW_LNKSTA_NLW 0x03f0u

/* Visit the hotplug-capable ports the guest sees, in address order. */
void hw_for_each_port(struct host *host, int (*fn)(void *ctx, struct hw_port *p),
                      void *ctx);
struct hw_port *hw_port_lookup(struct host *host, struct hw_pci_addr addr);

struct hw_pci_addr hw_port_addr(const struct hw_port *p);   /* the port itself */
uint8_t hw_port_secondary_bus(const struct hw_port *p);
bool hw_port_native_hotplug(const struct hw_port *p); /* pciehp may bind */
uint32_t hw_port_sltcap(const struct hw_port *p);
uint16_t hw_port_sltctl(const struct hw_port *p);
uint16_t hw_port_sltsta(const struct hw_port *p);
uint16_t hw_port_lnksta(const struct hw_port *p);

/* Write Slot Control.  The host applies QEMU's semantics (power controller,
 * indicators, unplug when powered off) and, for a command that completes,
 * sets CC; the write takes effect at once, CC is set `cc_delay` later. */
void hw_port_sltctl_write(struct hw_port *p, uint16_t val);

/* Clear write-1-to-clear Slot Status event bits. */
void hw_port_sltsta_clear(struct hw_port *p, uint16_t bits);

/* ---- ACPI PCI hotplug (QEMU's acpi-pcihp, Linux acpiphp) --------------------------- */

/* True when the host uses ACPI PCI hotplug for devices behind `p` (q35's
 * default) instead of native PCIe hotplug. */
bool hw_acpi_hotplug(struct host *host);

/* The up/down slot bitmaps of the bus selected by bsel (the guest-visible
 * bus number behind a port).  As on QEMU's q35 (not legacy PIIX) reading
 * clears `up`; `down` stays set until the guest ejects the slot. */
void hw_acpi_pcihp_status(struct host *host, unsigned bsel, uint32_t *up,
                          uint32_t *down);

/* The guest's _EJ0: write slot bitmap to the eject register of bus bsel. */
void hw_acpi_pcihp_eject(struct host *host, unsigned bsel, uint32_t slots);

/* ---- virtio-net ------------------------------------------------------------------- */

#define HW_VIRTIO_NET_F_MAC 5
#define HW_VIRTIO_NET_F_STATUS 16
#define HW_VIRTIO_NET_F_MTU 3
#define HW_VIRTIO_NET_F_STANDBY 62
#define HW_VIRTIO_F_VERSION_1 32

#define HW_VIRTIO_NET_S_LINK_UP 1
#define HW_VIRTIO_NET_S_ANNOUNCE 2

#define HW_VIRTIO_STATUS_ACKNOWLEDGE 1
#define HW_VIRTIO_STATUS_DRIVER 2
#define HW_VIRTIO_STATUS_DRIVER_OK 4
#define HW_VIRTIO_STATUS_FEATURES_OK 8

uint64_t hw_virtio_host_features(const struct hw_pcidev *d);

/* The driver writes its feature word.  Modern virtio-pci writes the low and
 * the high 32 bits separately; each write calls the device's set_features
 * with the combined value (H-20), so `word` selects which half is written. */
void hw_virtio_write_features(struct hw_pcidev *d, unsigned word, uint32_t value);

void hw_virtio_set_status(struct hw_pcidev *d, uint8_t status); /* 0 = reset */
uint16_t hw_virtio_net_status(const struct hw_pcidev *d);      /* config.status */
uint16_t hw_virtio_net_mtu(const struct hw_pcidev *d);         /* config.mtu */
void hw_virtio_net_announce_ack(struct hw_pcidev *d);

/* The driver changed the receive filter through the control queue
 * (VIRTIO_NET_CTRL_RX promiscuous/all-multicast, VIRTIO_NET_CTRL_MAC table),
 * as Linux does when the interface comes up.  QEMU emits
 * NIC_RX_FILTER_CHANGED for the first change, then not again until a QMP
 * client reads the filter (query-rx-filter). */
void hw_virtio_net_rx_filter(struct hw_pcidev *d);

/* ---- NICs and the wire -------------------------------------------------------------- */

bool hw_nic_link_up(const struct hw_pcidev *d);

/* The guest transmits a frame through device d.  The host hands it to the
 * device's netdev (capture points see it there) and returns why it did not
 * leave, or FRAME_DROP_NONE. */
enum frame_drop hw_nic_tx(struct hw_pcidev *d, const struct frame *f);

/* ---- Host -> guest notifications -------------------------------------------------- */

struct hw_guest_ops {
    /* A slot raised an interrupt (an enabled Slot Status event bit was set
     * while HPIE is on).  The guest reads and clears the status itself. */
    void (*slot_irq)(void *guest, struct hw_port *p);
    /* ACPI GPE for PCI hotplug: some bus's up/down bitmap changed. */
    void (*acpi_pcihp_gpe)(void *guest);
    /* virtio config change interrupt (link status, announce). */
    void (*virtio_config)(void *guest, struct hw_pcidev *d);
    /* A frame arrives at device d from its netdev. */
    void (*nic_rx)(void *guest, struct hw_pcidev *d, const struct frame *f);
    /* A NIC's link changed (e1000e/VF PHY). */
    void (*nic_link)(void *guest, struct hw_pcidev *d, bool up);
    /* The VM stopped (QMP stop, -S, migration switchover) or runs again. */
    void (*vm_run_state)(void *guest, bool running);
};

#endif
