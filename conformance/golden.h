/*
 * Trace fragments for the monitor tests (tracefeed.h syntax), modelled on
 * the real QEMU 7.2 + Linux 6.1 recordings (native PCIe hotplug, one pair
 * standby0/primary0 with MAC 52:54:00:11:11:11, the primary eth2 behind
 * port 0000:00:02.0, Slot(0-1), bus 02).  Times are seconds after the trace
 * epoch and double as the guest's uptime.
 *
 * G_BOOT ............ both QMP sessions, negotiation, the plug at boot,
 *                     master, standby, primary, link up (source)
 * G_MIGRATE ......... migrate at 7 s: setup, UNPLUG_PRIMARY, wait-unplug
 * G_GUEST_UNPLUG .... button press, 5 s blink, removal (source guest)
 * G_ACTIVE .......... wait-unplug -> active on the 250 ms grid, switchover
 * G_TARGET .......... target negotiates, resumes, replugs
 * G_GOLDEN .......... all of them: a migration that complies everywhere
 */
#ifndef FOSIM_GOLDEN_H
#define FOSIM_GOLDEN_H

/* ---- console lines ---------------------------------------------------------------- */

#define L_MASTER "virtio_net virtio0 eth0: failover master:eth0 registered"
#define L_MASTER_GONE "virtio_net virtio0 eth0: failover master:eth0 unregistered"
#define L_STANDBY "virtio_net virtio0 eth0: failover standby slave:eth1 registered"
#define L_STANDBY_GONE "virtio_net virtio0 eth0: failover standby slave:eth1 unregistered"
#define L_PRIMARY "virtio_net virtio0 eth0: failover primary slave:eth2 registered"
#define L_PRIMARY_GONE "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered"
#define L_NIC_MAC "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:11:11:11"
#define L_NIC_CONN "e1000e 0000:02:00.0 eth2: Intel(R) PRO/1000 Network Connection"
#define L_LINK_UP "e1000e 0000:02:00.0 eth2: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"
#define L_LINK_DOWN "e1000e 0000:02:00.0 eth2: NIC Link is Down"
#define L_REMOVED "e1000e 0000:02:00.0 eth2: removed PHC"
#define L_PRESS "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed"
#define L_OFF "pcieport 0000:00:02.0: pciehp: Slot(0-1): Powering off due to button press"
#define L_ON "pcieport 0000:00:02.0: pciehp: Slot(0-1) Powering on due to button press"
#define L_CARD "pcieport 0000:00:02.0: pciehp: Slot(0-1): Card present"
#define L_SLOT_LINK "pcieport 0000:00:02.0: pciehp: Slot(0-1): Link Up"
#define L_CANCEL "pcieport 0000:00:02.0: pciehp: Slot(0-1): Button cancel"
#define L_CANCELED "pcieport 0000:00:02.0: pciehp: Slot(0-1): Action canceled due to button press"
#define L_BRIDGE "pcieport 0000:00:02.0: PCI bridge to [bus 02]"
#define L_SLOT_INIT                                                                          \
    "pcieport 0000:00:02.0: pciehp: Slot #0 AttnBtn+ PwrCtrl+ MRL- AttnInd+ PwrInd+ "       \
    "HotPlug+ Surprise+ Interlock+ NoCompl- IbPresDis- LLActRep+"
#define L_ACPI_SLOT "acpiphp: Slot [0-2] registered"

/* ---- record builders ------------------------------------------------------------------ */

#define CON(T, H, TEXT) T " " H " con " TEXT "\n"
#define EV(T, H, NAME, DATA) T " " H " event " NAME " " DATA "\n"
#define MIG(T, H, S) T " " H " event MIGRATION {\"status\": \"" S "\"}\n"
#define NEG(T, H) EV(T, H, "FAILOVER_NEGOTIATED", "{\"device-id\": \"standby0\"}")
#define UNPLUG(T, H) EV(T, H, "UNPLUG_PRIMARY", "{\"device-id\": \"primary0\"}")
#define CMD(T, H, JSON) T " " H " cmd " JSON "\n"
#define REPLY(T, H, JSON) T " " H " reply " JSON "\n"
/* device_add on the source (ARGS: the arguments' members, ID: the command's id)
 * and its reply: success, or a GenericError with DESC. */
#define ADD(T, ARGS, ID) CMD(T, "S", "{\"execute\": \"device_add\", \"arguments\": {" ARGS "}, \"id\": \"" ID "\"}")
#define OK(T, ID) REPLY(T, "S", "{\"return\": {}, \"id\": \"" ID "\"}")
#define ERR(T, ID, DESC) \
    REPLY(T, "S", "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" DESC "\"}, \"id\": \"" ID "\"}")
#define MAC1 "52:54:00:11:11:11"
#define BCAST "ff:ff:ff:ff:ff:ff"
/* A guest IPv4 frame at a capture point: FRAME4(T, H, POINT, ROLE, FLOW). */
#define FRAME4(T, H, P, R, F) T " " H " frame " P " " R " out " MAC1 " " BCAST " 0800 " F "\n"
#define FRAME_IN(T, H, P, R, F) T " " H " frame " P " " R " in " BCAST " " MAC1 " 0800 " F "\n"

#define SESSION(H)                                                                         \
    "0 " H " greet\n"                                                                      \
    "0 " H " cmd {\"execute\": \"qmp_capabilities\", \"id\": \"" H "0\"}\n"               \
    "0 " H " reply {\"return\": {}, \"id\": \"" H "0\"}\n"                                \
    "0 " H " cmd {\"execute\": \"migrate-set-capabilities\", \"arguments\": "             \
    "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}, \"id\": \"" H   \
    "1\"}\n"                                                                               \
    "0 " H " reply {\"return\": {}, \"id\": \"" H "1\"}\n"

/* ---- the golden migration ---------------------------------------------------------------- */

#define G_SESSIONS SESSION("S") SESSION("T")

#define G_NEGOTIATE                                                                        \
    NEG("2.838", "S") CON("2.839", "S", L_PRESS) CON("2.8391", "S", L_ON)                  \
    CON("2.8404", "S", L_CARD) CON("2.8407", "S", L_SLOT_LINK) CON("2.85", "S", L_MASTER)   \
    CON("2.86", "S", L_STANDBY) CON("2.98", "S", L_BRIDGE)                                 \
    EV("3.0", "S", "NIC_RX_FILTER_CHANGED",                                                \
       "{\"name\": \"standby0\", \"path\": \"/machine/peripheral/standby0/virtio-backend\"}")

#define G_PRIMARY_UP                                                                        \
    CON("3.18", "S", L_PRIMARY) CON("3.1805", "S", L_NIC_MAC) CON("3.181", "S", L_NIC_CONN) \
    CON("5.14", "S", L_LINK_UP)

#define G_BOOT CON("1.8", "S", L_SLOT_INIT) G_NEGOTIATE G_PRIMARY_UP

#define G_MIGRATE                                                                          \
    CMD("7", "S", "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:x:1\"}, \"id\": \"m1\"}") \
    MIG("7", "S", "setup") REPLY("7", "S", "{\"return\": {}, \"id\": \"m1\"}")             \
    UNPLUG("7.001", "S") MIG("7.001", "T", "active")                                        \
    EV("7.005", "S", "MIGRATION_PASS", "{\"pass\": 1}") MIG("7.005", "S", "wait-unplug")

#define G_GUEST_UNPLUG                                                                     \
    CON("7.01", "S", L_PRESS) CON("7.0101", "S", L_OFF) CON("12.18", "S", L_REMOVED)       \
    CON("12.25", "S", L_LINK_DOWN) CON("12.26", "S", L_PRIMARY_GONE)

#define G_ACTIVE                                                                           \
    MIG("13.505", "S", "active") EV("14.06", "S", "MIGRATION_PASS", "{\"pass\": 2}")       \
    EV("14.0601", "S", "STOP", "") EV("14.0602", "S", "MIGRATION_PASS", "{\"pass\": 3}")   \
    MIG("14.1", "S", "completed")

#define G_TARGET                                                                           \
    NEG("14.106", "T") EV("14.107", "T", "RESUME", "") MIG("14.1071", "T", "completed")     \
    CON("14.16", "T", L_PRESS) CON("14.1601", "T", L_ON) CON("14.1602", "T", L_CARD)        \
    CON("14.1603", "T", L_SLOT_LINK) CON("14.6", "T", L_PRIMARY)                            \
    CON("14.6005", "T", L_NIC_MAC) CON("16.8", "T", L_LINK_UP)

#define G_GOLDEN G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG G_ACTIVE G_TARGET

/* ---- more of the golden run: stderr, query-pci, announcements ----------------------- */

#define G_STDERR                                                                           \
    "0 S err qemu-system-x86_64: warning: netdev hs1 has no peer\n"                         \
    "0 T err qemu-system-x86_64: warning: netdev hs1 has no peer\n"

#define QPCI_CMD(T, H, ID) CMD(T, H, "{\"execute\": \"query-pci\", \"id\": \"" ID "\"}")
/* query-pci replies in QEMU's shape: root ports with or without primary0. */
#define QPCI_WITH(T, H, ID)                                                                 \
    REPLY(T, H, "{\"return\": [{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 1, "      \
                "\"function\": 0, \"qdev_id\": \"root0\", \"pci_bridge\": {\"bus\": "      \
                "{\"number\": 1}, \"devices\": [{\"bus\": 1, \"slot\": 0, \"function\": 0, " \
                "\"qdev_id\": \"standby0\"}]}}, {\"bus\": 0, \"slot\": 2, \"function\": 0, " \
                "\"qdev_id\": \"root1\", \"pci_bridge\": {\"bus\": {\"number\": 2}, "      \
                "\"devices\": [{\"bus\": 2, \"slot\": 0, \"function\": 0, \"qdev_id\": "   \
                "\"primary0\"}]}}]}], \"id\": \"" ID "\"}")
#define QPCI_WITHOUT(T, H, ID)                                                              \
    REPLY(T, H, "{\"return\": [{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 1, "      \
                "\"function\": 0, \"qdev_id\": \"root0\", \"pci_bridge\": {\"bus\": "      \
                "{\"number\": 1}, \"devices\": [{\"bus\": 1, \"slot\": 0, \"function\": 0, " \
                "\"qdev_id\": \"standby0\"}]}}, {\"bus\": 0, \"slot\": 2, \"function\": 0, " \
                "\"qdev_id\": \"root1\", \"pci_bridge\": {\"bus\": {\"number\": 2}, "      \
                "\"devices\": []}}]}], \"id\": \"" ID "\"}")

#define G_QPCI                                                                             \
    QPCI_CMD("1", "S", "q1") QPCI_WITHOUT("1", "S", "q1")                                   \
    QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2")                                      \
    QPCI_CMD("20", "S", "q3") QPCI_WITH("20", "S", "q3")                                    \
    QPCI_CMD("20", "T", "q4") QPCI_WITH("20", "T", "q4")

/* QEMU's RARP announcements on the target netdevs (50, 150, 250, 350 ms apart). */
#define RARP(T, P) T " T frame " P " standby out " MAC1 " " BCAST " 8035\n"
#define G_RARP                                                                             \
    RARP("14.1069", "standby0") RARP("14.1569", "standby0") RARP("14.3069", "standby0")     \
    RARP("14.5569", "standby0") RARP("14.9069", "standby0")

#define G_GOLDEN_ALL G_GOLDEN G_STDERR G_QPCI G_RARP

#endif
