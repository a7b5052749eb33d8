/*
 * Scenario text of the recorded failover setup, shared by the tests that
 * build runs from text (through harness.h) and by the fleet benchmark, so
 * that both run the very setup the catalog and the real recordings use.
 * String-literal macros only: no cmocka, nothing to link.
 */
#ifndef FOSIM_SCENARIO_TEXT_H
#define FOSIM_SCENARIO_TEXT_H

/* The two root ports, the failover pair on them (the virtio-net
 * standby with failover=on on root0, the e1000e primary paired with it on
 * root1, one MAC), the -global that selects native PCIe hotplug (ACPI
 * hotplug without it), and the migration target. */
#define FO_ROOT_PORTS                                                                        \
    "    -device pcie-root-port,id=root0,addr=0x1,chassis=1\n"                               \
    "    -device pcie-root-port,id=root1,addr=0x2,chassis=2\n"
#define FO_STANDBY                                                                           \
    "    -netdev user,id=hs0\n"                                                               \
    "    -device virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11,bus=root0,"     \
    "failover=on\n"
#define FO_PRIMARY                                                                           \
    "    -netdev user,id=hs1\n"                                                               \
    "    -device e1000e,netdev=hs1,id=primary0,mac=52:54:00:11:11:11,bus=root1,"             \
    "failover_pair_id=standby0,romfile=\n"
#define FO_PAIR FO_STANDBY FO_PRIMARY
#define FO_NATIVE_HOTPLUG "    -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off\n"
#define FO_TARGET "host target like source\n    -incoming tcp:127.0.0.1:4444\nend\n"
/* The catalog's ping scenarios (traffic/native-ping.fos with global
 * FO_NATIVE_HOTPLUG, acpi-ping.fos with "") without their expectations. */
#define FO_PING_SCENARIO(global)                                                             \
    "host source\n"                                                                          \
    "    -M q35 -m 256 -nodefaults\n" global FO_ROOT_PORTS FO_PAIR "end\n" FO_TARGET          \
    "traffic\n"                                                                              \
    "    ping 10.0.2.2 every 200ms from 3.5s to 24s\n"                                       \
    "end\n"                                                                                  \
    "at 8.3s source migrate uri=tcp:127.0.0.1:4444\n"                                        \
    "until 26s\n"

#endif
