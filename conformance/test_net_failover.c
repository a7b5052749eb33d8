/*
 * net_failover and the failover core (sim/net_failover.c): pairing, enslave
 * and unenslave, carrier, TX, RX, MTU, VLAN, features, stats, teardown,
 * and the net-side mutants each test kills (linux-guest.md 1 and 2.2-2.7).
 */
#include "gnet_fixture.h"

#include "sim/mutant.h"
#include "sim/run.h"

/* Boot with failover: master eth0, standby eth1, primary eth2, the three
 * lines word for word and in this order (real-qemu.md). */
static void test_boot_names_and_lines(void **state)
{
    (void)state;
    EVIDENCE(G-02, G-10, G-12, G-13, G-19, G-24);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    gfix_vf(x, "0000:02:00.0", MAC_A, false);
    long a = gfix_find(x, "virtio_net virtio0 eth0: failover master:eth0 registered");
    long b = gfix_find(x, "virtio_net virtio0 eth0: failover standby slave:eth1 registered");
    long c = gfix_find(x, "virtio_net virtio0 eth0: failover primary slave:eth2 registered");
    assert_true(a >= 0 && b > a && c > b);
    struct failover *fo = gfix_fo(x, "eth0");
    struct gnetdev *m = failover_master(fo);
    assert_string_equal(failover_standby(fo)->name, "eth1");
    assert_string_equal(failover_primary(fo)->name, "eth2");
    assert_int_equal(m->num_tx_queues, 16);
    assert_int_equal(m->mtu, 1500);
    assert_false(m->carrier); /* forced off after registration */
    assert_memory_equal(m->dev_addr, MAC_A, 6);
    assert_true(m->priv_flags & GND_IFF_FAILOVER);
    struct gnetdev *p = failover_primary(fo);
    assert_ptr_equal(p->master, m);
    assert_true(p->priv_flags & GND_IFF_FAILOVER_SLAVE);
    assert_true(p->priv_flags & GND_IFF_LIVE_RENAME_OK); /* 5.2 .. 6.1 */
    assert_false(p->priv_flags & GND_IFF_NO_ADDRCONF);
    assert_int_equal(gnet_failover_role(p), OBS_ROLE_PRIMARY);
    assert_int_equal(gnet_failover_role(failover_standby(fo)), OBS_ROLE_STANDBY);
    assert_int_equal(gnet_failover_role(m), OBS_ROLE_MASTER);
    gfix_free(x);
}

/* 6.2+ slaves carry IFF_NO_ADDRCONF instead of IFF_LIVE_RENAME_OK, and get
 * no IPv6 "link becomes ready" line (bug 7). */
static void test_slave_flags_by_kernel(void **state)
{
    (void)state;
    EVIDENCE(G-24);
    struct gfix *x = gfix_new_knobs(0, "kernel 6.2\n");
    gfix_standby(x, 0, MAC_A);
    gfix_run(x, SIM_MS(150)); /* init brings eth0 up after the probe */
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf_nocarrier(x, "0000:02:00.0", MAC_A);
    assert_true(vf->nd->priv_flags & GND_IFF_NO_ADDRCONF);
    assert_false(vf->nd->priv_flags & GND_IFF_LIVE_RENAME_OK);
    gfix_run(x, SIM_S(3));
    gnetdev_carrier_on(vf->nd);
    gfix_run(x, SIM_S(6));
    assert_int_equal(gfix_count(x, "eth2: link becomes ready"), 0);
    assert_int_equal(gfix_count(x, "eth0: link becomes ready"), 1);
    gfix_free(x);
    x = gfix_new_knobs(0, "kernel 6.1\n");
    gfix_standby(x, 0, MAC_A);
    gfix_run(x, SIM_MS(150));
    gnet_ifup(x->g);
    vf = gfix_vf_nocarrier(x, "0000:02:00.0", MAC_A);
    assert_true(vf->nd->up);
    gfix_run(x, SIM_S(3));
    gnetdev_carrier_on(vf->nd);
    gfix_run(x, SIM_S(6));
    assert_int_equal(gfix_count(x, "IPv6: ADDRCONF(NETDEV_CHANGE): eth2: link becomes ready"), 1);
    gfix_free(x);
}

/* A VF registered before the master is enslaved by the master's scan of
 * existing devices, right after the "master registered" line. */
static void test_existing_vf_scanned(void **state)
{
    (void)state;
    EVIDENCE(G-13);
    struct gfix *x = gfix_new(0);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_string_equal(vf->nd->name, "eth0");
    gfix_standby(x, 0, MAC_A);
    long a = gfix_find(x, "virtio_net virtio0 eth1: failover master:eth1 registered");
    long b = gfix_find(x, "virtio_net virtio0 eth1: failover primary slave:eth0 registered");
    long c = gfix_find(x, "virtio_net virtio0 eth1: failover standby slave:eth2 registered");
    assert_true(a >= 0 && b > a && c > b);
    gfix_free(x);
}

/* Masters are never candidates (G-15): a master on a PCI parent is not
 * taken as primary by a second master with the same MAC. */
static void test_master_events_ignored(void **state)
{
    (void)state;
    EVIDENCE(G-15);
    struct gfix *x = gfix_new(0);
    struct fake_dev *pcisb = gfix_fake(x);
    snprintf(pcisb->pdev.name, sizeof(pcisb->pdev.name), "0000:05:00.0");
    pcisb->nd = gnetdev_alloc(x->g, "e1000e", &pcisb->pdev, &fake_ops, pcisb);
    memcpy(pcisb->nd->dev_addr, MAC_A, 6);
    int err;
    struct failover *f1 = net_failover_create(pcisb->nd, &err);
    assert_non_null(f1);
    assert_int_equal(gnetdev_register(pcisb->nd, MAC_A, false), 0);
    gfix_standby(x, 1, MAC_A); /* eth2 master, eth3 standby-to-be */
    assert_null(failover_primary(f1));
    assert_null(failover_primary(gfix_fo(x, "eth2")));
    gfix_free(x);
}

/* Two STANDBY devices with one MAC (bug 19): the second master and its
 * standby are checked against the first instance and refused; the VF
 * pairs with the first instance.  Kills second-standby and
 * standby-by-driver. */
static bool dup_mac_behaves(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    gfix_standby(x, 0, MAC_A);   /* eth0 master, eth1 standby */
    gfix_standby(x, 1, MAC_A);   /* eth2 master, eth3 refused */
    gfix_vf(x, "0000:02:00.0", MAC_A, false); /* eth4 */
    struct failover *f1 = gfix_fo(x, "eth0"), *f2 = gfix_fo(x, "eth2");
    bool ok = failover_standby(f1) == gfix_dev(x, "eth1") && failover_standby(f2) == NULL &&
              failover_primary(f2) == NULL && failover_primary(f1) == gfix_dev(x, "eth4") &&
              gfix_count(x, "virtio_net virtio0 eth0: eth1 attempting to register as slave dev "
                            "when standby already present") == 1 &&
              gfix_count(x, "eth3 attempting") == 0 && gfix_count(x, "can not register") == 0;
    gfix_free(x);
    return ok;
}

static void test_duplicate_mac_first_match(void **state)
{
    (void)state;
    EVIDENCE(G-17, G-19, G-20, G-21);
    assert_true(dup_mac_behaves(0));
    assert_false(dup_mac_behaves(mutant_bit(MUT_SECOND_STANDBY)));
    assert_false(dup_mac_behaves(mutant_bit(MUT_STANDBY_BY_DRIVER)));
}

/* A device with a random MAC has no permanent address and never pairs,
 * even when its current MAC equals the master's.  Kills random-mac-pairs
 * and pair-current-mac. */
static bool random_vf_stays_alone(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, true);
    bool ok = vf->nd->master == NULL && failover_primary(gfix_fo(x, "eth0")) == NULL &&
              gfix_count(x, "primary slave") == 0;
    gfix_free(x);
    return ok;
}

static void test_random_mac_never_pairs(void **state)
{
    (void)state;
    EVIDENCE(G-17, G-18);
    assert_true(random_vf_stays_alone(0));
    assert_false(random_vf_stays_alone(mutant_bit(MUT_RANDOM_MAC_PAIRS)));
    assert_false(random_vf_stays_alone(mutant_bit(MUT_PAIR_CURRENT_MAC)));
}

/* A MAC change after registration does not make a device pair: matching
 * uses the permanent MAC. */
static void test_mac_change_does_not_pair(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct gfix *x = gfix_new(0);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_B, false);
    assert_int_equal(gnetdev_set_mac(vf->nd, MAC_A), 0);
    gfix_standby(x, 0, MAC_A);
    assert_null(vf->nd->master);
    assert_null(failover_primary(gfix_fo(x, "eth1")));
    gfix_free(x);
}

/* G-14: the master has no MAC-change operation, so `ip link set eth0
 * address` on it fails with EOPNOTSUPP and the guest keeps sending with
 * the pair's MAC; a master that took it (mutant master-mac-change) would
 * send with the new one. */
static bool master_mac_kept(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    gfix_standby(x, 0, MAC_A);
    struct gnetdev *m = gfix_dev(x, "eth0");
    int err = gnetdev_set_mac(m, MAC_B);
    bool kept = err == -GNET_EOPNOTSUPP && memcmp(m->dev_addr, MAC_A, 6) == 0 &&
                memcmp(m->perm_addr, MAC_A, 6) == 0;
    gfix_free(x);
    return kept;
}

static void test_master_mac_refused(void **state)
{
    (void)state;
    EVIDENCE(G-14, G-10);
    assert_true(master_mac_kept(0));
    assert_false(master_mac_kept(mutant_bit(MUT_MASTER_MAC_CHANGE)));
}

/* G-16: only ARPHRD_ETHER devices are considered.  An IPoIB interface on
 * a PCI function (an InfiniBand VF) whose 20-byte address starts with the
 * master's MAC -- the six bytes failover's lookup reads -- is left alone,
 * while an Ethernet VF with that MAC is enslaved. */
static void test_only_ethernet_pairs(void **state)
{
    (void)state;
    EVIDENCE(G-16, G-17, G-21);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *ib = gfix_fake(x);
    ib->pdev.g = x->g;
    snprintf(ib->pdev.name, sizeof(ib->pdev.name), "0000:02:00.0");
    ib->nd = gnetdev_alloc(x->g, "mlx5_core", &ib->pdev, &fake_ops, ib);
    gnetdev_set_link(ib->nd, GNETDEV_LINK_INFINIBAND);
    uint8_t addr[20] = { 0 };
    memcpy(addr, MAC_A, 6); /* flags, QPN and GID prefix equal to the pair's MAC */
    addr[12] = 0x52;
    assert_int_equal(gnetdev_register_addr(ib->nd, addr, sizeof(addr), false), 0);
    assert_string_equal(gnetdev_name(ib->nd), "ib0");
    assert_int_equal(ib->nd->type, GND_ARPHRD_INFINIBAND);
    assert_memory_equal(ib->nd->perm_addr, addr, sizeof(addr));
    assert_null(ib->nd->master);
    assert_null(ib->nd->rx_handler);
    assert_null(failover_primary(gfix_fo(x, "eth0")));
    assert_int_equal(gfix_count(x, "slave:ib0"), 0);
    /* an Ethernet VF with the same leading bytes is the primary */
    struct fake_dev *vf = gfix_vf(x, "0000:03:00.0", MAC_A, false);
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth0")), vf->nd);
    gfix_free(x);

    /* the InfiniBand link layer is a ConnectX (mlx5_core) VF's */
    static const char text[] = "host source\n    -M q35\nend\nguest linux\n"
                               "    primary-link infiniband\nend\n";
    struct scenario *sc;
    struct sim_err err = { "" };
    assert_int_equal(scn_parse_string("k.fos", text, &sc, &err), 0);
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    struct sim_run *r = NULL;
    assert_int_equal(sim_run_new(sc, &cfg, &r, &err), -1);
    assert_non_null(strstr(err.msg, "k.fos:5:18: knob primary-link infiniband needs "
                                    "primary-driver mlx5_core"));
    scn_free(sc);
}

/* linux-guest.md bug 5: from 6.15 a queue-management VF (mlx5) is
 * registered with its instance lock held, and failover's enslave runs in
 * that notifier: it must use the lock-free netif_* calls, or it re-takes
 * the mutex and the probe hangs (the model asserts the lock is never taken
 * twice).  The master's scan of devices that registered before it takes
 * the lock itself.  Either way the driver's MTU change and open run under
 * the lock, and the lock is free afterwards; a later dev_* call takes it
 * again. */
static struct fake_dev *locked_vf(struct gfix *x, const char *pciname)
{
    struct fake_dev *f = gfix_fake(x);
    f->pdev.g = x->g;
    snprintf(f->pdev.name, sizeof(f->pdev.name), "%s", pciname);
    f->nd = gnetdev_alloc(x->g, "mlx5_core", &f->pdev, &fake_ops, f);
    gnetdev_set_mtu_range(f->nd, 9000, 68, 9000);
    gnetdev_set_ops_locked(f->nd);
    assert_int_equal(gnetdev_register(f->nd, MAC_A, false), 0);
    return f;
}

static void test_enslave_under_instance_lock(void **state)
{
    (void)state;
    EVIDENCE(L6.5, G-26, G-27, G-13);
    /* hot-added while the master runs: NETDEV_REGISTER holds the lock */
    struct gfix *x = gfix_new_knobs(0, "    kernel 6.18\n");
    gfix_standby(x, 0, MAC_A);
    assert_int_equal(gnetdev_open(gfix_dev(x, "eth0")), 0);
    struct fake_dev *vf = locked_vf(x, "0000:02:00.0");
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth0")), vf->nd);
    assert_int_equal(gnetdev_mtu(vf->nd), 1500); /* aligned under the lock */
    assert_true(gnetdev_running(vf->nd));        /* opened under the lock */
    assert_int_equal(vf->locked_calls, 2);
    assert_int_equal(vf->unlocked_calls, 0);
    assert_false(vf->nd->instance_locked);
    assert_int_equal(gnetdev_set_mtu(vf->nd, 1400), 0); /* dev_set_mtu locks again */
    assert_int_equal(vf->locked_calls, 3);
    gfix_free(x);

    /* present before the master: its scan takes the lock */
    x = gfix_new_knobs(0, "    kernel 6.18\n");
    vf = locked_vf(x, "0000:02:00.0");
    gfix_standby(x, 0, MAC_A);
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth1")), vf->nd);
    assert_int_equal(gnetdev_mtu(vf->nd), 1500);
    assert_int_equal(vf->locked_calls, 1);
    assert_int_equal(vf->unlocked_calls, 0);
    assert_false(vf->nd->instance_locked);
    gfix_free(x);

    /* before 6.15 there is no instance lock */
    x = gfix_new_knobs(0, "    kernel 6.14\n");
    gfix_standby(x, 0, MAC_A);
    vf = locked_vf(x, "0000:02:00.0");
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth0")), vf->nd);
    assert_int_equal(vf->locked_calls, 0);
    assert_int_equal(vf->unlocked_calls, 1);
    gfix_free(x);
}

/* A primary candidate needs a PCI parent. */
static void test_primary_needs_pci_parent(void **state)
{
    (void)state;
    EVIDENCE(G-21, G-25);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *v = gfix_virtual(x, MAC_A);
    assert_null(v->nd->master);
    assert_null(v->nd->rx_handler);
    assert_null(failover_primary(gfix_fo(x, "eth0")));
    gfix_free(x);
}

/* A second primary is refused with the 6.1 message. */
static void test_second_primary_refused(void **state)
{
    (void)state;
    EVIDENCE(G-20);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    gfix_vf(x, "0000:02:00.0", MAC_A, false);
    struct fake_dev *vf2 = gfix_vf(x, "0000:03:00.0", MAC_A, false);
    assert_null(vf2->nd->master);
    assert_int_equal(gfix_count(x, "virtio_net virtio0 eth0: eth3 attempting to register as "
                                   "slave dev when primary already present"),
                     1);
    struct obs_klog k;
    klog_classify(&k, "virtio_net virtio0 eth0: eth3 attempting to register as slave dev when "
                      "primary already present");
    assert_int_equal(k.kind, KLOG_FO_SLAVE_REFUSED);
    assert_string_equal(k.ifname, "eth3");
    assert_string_equal(k.ifname2, "eth0");
    klog_classify(&k, "e1000e 0000:02:00.0 eth2: can not register failover rx handler (err = -16)");
    assert_int_equal(k.kind, KLOG_FO_SLAVE_REFUSED);
    assert_string_equal(k.ifname, "eth2");
    gfix_free(x);
}

/* A VF that is already a bond port (rx_handler taken) never becomes the
 * primary (bug 18). */
static void test_bonded_vf_refused(void **state)
{
    (void)state;
    EVIDENCE(G-23, G-25);
    struct gfix *x = gfix_new_knobs(0, "primary-bond on\n");
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_null(failover_primary(gfix_fo(x, "eth0")));
    assert_null(vf->nd->master);
    assert_false(vf->nd->priv_flags & GND_IFF_FAILOVER_SLAVE);
    assert_int_equal(
        gfix_count(x, "e1000e 0000:02:00.0 eth2: can not register failover rx handler (err = -16)"),
        1);
    gnetdev_unregister(vf->nd);
    vf->nd = NULL;
    gfix_free(x);
}

/* VIRTIO_NET_F_MTU (bug 10): a 9000 standby is forced to the master's 1500;
 * a 1400 standby cannot take 1500 and stays standalone.  Kills
 * slave-mtu-not-aligned. */
static bool mtu_aligned(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    struct fake_dev *s = gfix_standby_mtu(x, 0, MAC_A, true, 9000, 9000);
    struct failover *fo = gfix_fo(x, "eth0");
    bool ok = s->nd->mtu == 1500 && failover_standby(fo) == s->nd &&
              failover_master(fo)->max_mtu == 9000;
    gfix_free(x);
    return ok;
}

static void test_enslave_mtu(void **state)
{
    (void)state;
    EVIDENCE(G-10, G-26, G-25);
    assert_true(mtu_aligned(0));
    assert_false(mtu_aligned(mutant_bit(MUT_SLAVE_MTU_NOT_ALIGNED)));
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby_mtu(x, 0, MAC_A, true, 1400, 1400);
    assert_null(failover_standby(gfix_fo(x, "eth0")));
    assert_int_equal(s->nd->mtu, 1400);
    assert_null(s->nd->master);
    assert_null(s->nd->rx_handler);
    assert_int_equal(gfix_count(x, "virtio_net virtio0 eth0: unable to change mtu of eth1 to "
                                   "1500 register failed"),
                     1);
    gfix_free(x);
}

/* Enslaved while the master runs: the slave is opened; EBUSY is tolerated,
 * another error aborts and restores the slave's MTU. */
static void test_enslave_open(void **state)
{
    (void)state;
    EVIDENCE(G-27, G-25);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_true(vf->nd->up);
    gnetdev_unregister(vf->nd);
    vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    gnetdev_set_mtu_range(vf->nd, 9000, 68, 9000);
    vf->open_err = -5;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    assert_null(vf->nd->master);
    assert_int_equal(vf->nd->mtu, 9000);
    assert_int_equal(gfix_count(x, "virtio_net virtio0 eth0: Opening slave eth2 failed err:-5"), 1);
    gnetdev_unregister(vf->nd);
    vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    vf->open_err = -GNET_EBUSY;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth0")), vf->nd);
    gfix_free(x);
}

/* Address lists and VLANs of the master are replayed on a new slave; a
 * VLAN failure undoes the enslave (closed, unsynced, MTU restored). */
static void test_enslave_replay(void **state)
{
    (void)state;
    EVIDENCE(G-28, G-48, G-49);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct gnetdev *m = gfix_dev(x, "eth0");
    assert_int_equal(gnetdev_vlan_add(m, 5), 0);
    assert_int_equal(s->nd->nvids, 1);      /* G-49 add goes to the slaves */
    assert_int_equal(s->nd->nmc, 1);        /* G-48 all-hosts from ifup */
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_int_equal(vf->nd->nvids, 1);
    assert_int_equal(vf->nd->vids[0], 5);
    assert_int_equal(vf->nd->nmc, 1);
    gnetdev_unregister(vf->nd);
    vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    vf->vlan_err = -12;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    assert_null(vf->nd->master);
    assert_false(vf->nd->up);
    assert_int_equal(vf->nd->nmc, 0);
    assert_int_equal(
        gfix_count(x, "virtio_net virtio0 eth0: Failed to add vlan ids to device eth2 err:-12"), 1);
    /* a standby VLAN failure rolls the primary back */
    gnetdev_unregister(vf->nd);
    vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    s->vlan_err = -12;
    assert_int_not_equal(gnetdev_vlan_add(m, 7), 0);
    assert_int_equal(vf->nd->nvids, 1);
    assert_int_equal(gnetdev_vlan_kill(m, 5), 0);
    assert_int_equal(vf->nd->nvids, 0);
    assert_int_equal(s->nd->nvids, 0);
    gfix_free(x);
}

/* The primary's MTU range replaces the master's while it is enslaved and
 * the standby's comes back when it leaves. */
static void test_mtu_range_follows_primary(void **state)
{
    (void)state;
    EVIDENCE(G-29, G-33);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct gnetdev *m = gfix_dev(x, "eth0");
    assert_int_equal(m->max_mtu, 65535);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_int_equal(m->max_mtu, 9000);
    gnetdev_unregister(vf->nd);
    assert_int_equal(m->max_mtu, 65535);
    assert_int_equal(gfix_count(x, "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered"), 1);
    gfix_free(x);
}

/* Enslaving a ready primary does not turn the master's carrier on: the
 * slave's UP comes before its pointer is published. */
static void test_enslave_keeps_carrier(void **state)
{
    (void)state;
    EVIDENCE(G-30);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnetdev_carrier_off(s->nd);
    gnet_ifup(x->g);
    gfix_run(x, SIM_S(5));
    struct gnetdev *m = gfix_dev(x, "eth0");
    assert_false(m->carrier);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_true(vf->nd->up && vf->nd->carrier);
    gfix_run(x, SIM_S(10));
    assert_false(m->carrier);
    gfix_free(x);
}

/* Carrier: a slave's carrier loss reaches the master only through
 * linkwatch (about a second later), and only while the master runs.
 * Kills carrier-not-recomputed and no-linkwatch-delay. */
static bool carrier_follows(uint64_t mutants, bool *delayed)
{
    struct gfix *x = gfix_new(mutants);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    gfix_run(x, SIM_S(3));
    struct gnetdev *m = gfix_dev(x, "eth0");
    bool ok = m->carrier;
    /* another device's event runs a batch now: the next waits a second */
    struct fake_dev *other = gfix_virtual(x, MAC_B);
    gnetdev_carrier_off(other->nd);
    gfix_run(x, SIM_S(3) + SIM_MS(100));
    gnetdev_carrier_off(s->nd);
    gfix_run(x, SIM_S(3) + SIM_MS(101));
    *delayed = m->carrier;
    gfix_run(x, SIM_S(5));
    ok = ok && !m->carrier && m->tx_stopped;
    gfix_free(x);
    return ok;
}

static void test_carrier_via_linkwatch(void **state)
{
    (void)state;
    EVIDENCE(G-36, G-37, G-40);
    bool delayed;
    assert_true(carrier_follows(0, &delayed));
    assert_true(delayed);
    assert_false(carrier_follows(mutant_bit(MUT_CARRIER_NOT_RECOMPUTED), &delayed));
    assert_true(carrier_follows(mutant_bit(MUT_NO_LINKWATCH_DELAY), &delayed));
    assert_false(delayed);
    /* G-36: the master down, slave events change nothing */
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct gnetdev *m = gfix_dev(x, "eth0");
    gnetdev_open(s->nd);
    gnetdev_carrier_off(s->nd);
    gfix_run(x, SIM_S(5));
    gnetdev_carrier_on(s->nd);
    gfix_run(x, SIM_S(10));
    assert_false(m->carrier);
    gfix_free(x);
}

/* TX per packet: the ready primary, else the ready standby, else a master
 * drop; a carrier loss moves TX at once (no linkwatch).  Kills
 * tx-after-unplug. */
static bool tx_switches(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnet_ifup(x->g);
    gfix_run(x, SIM_S(2));
    enum obs_role via;
    bool ok = gfix_tx(x, &via) == FRAME_DROP_NONE && via == OBS_ROLE_PRIMARY && vf->tx == 1;
    gnetdev_carrier_off(vf->nd);
    ok = ok && gfix_tx(x, &via) == FRAME_DROP_NONE && via == OBS_ROLE_STANDBY && s->tx == 1;
    gnetdev_carrier_on(vf->nd);
    gfix_run(x, SIM_S(4));
    gnetdev_close(vf->nd); /* the DOWN before the unregister of an unplug */
    ok = ok && gfix_tx(x, &via) == FRAME_DROP_NONE && via == OBS_ROLE_STANDBY && s->tx == 2;
    gnetdev_carrier_off(s->nd);
    struct gnetdev *m = gfix_dev(x, "eth0");
    uint64_t before = m->stats.tx_dropped;
    ok = ok && gfix_tx(x, &via) == FRAME_DROP_NO_READY_SLAVE && m->stats.tx_dropped == before + 1;
    gfix_free(x);
    return ok;
}

static void test_tx_per_packet(void **state)
{
    (void)state;
    EVIDENCE(G-43, G-34);
    assert_true(tx_switches(0));
    assert_false(tx_switches(mutant_bit(MUT_TX_AFTER_UNPLUG)));
}

/* Queue choice: the primary's selector folded into 16 queues (bug 4); no
 * primary: queue 0. */
static void test_tx_queue_folding(void **state)
{
    (void)state;
    EVIDENCE(G-44, L6.4);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnetdev_set_tx_queues(vf->nd, 32);
    vf->queue = 20;
    gnet_ifup(x->g);
    enum obs_role via;
    struct failover *fo = gfix_fo(x, "eth0");
    gfix_tx(x, &via);
    assert_int_equal(net_failover_last_queue(fo), 4);
    gnetdev_carrier_off(vf->nd); /* not ready, still present: its selector */
    vf->queue = 31;
    gfix_tx(x, &via);
    assert_int_equal(via, OBS_ROLE_STANDBY);
    assert_int_equal(net_failover_last_queue(fo), 15);
    gnetdev_unregister(vf->nd);
    gfix_tx(x, &via);
    assert_int_equal(net_failover_last_queue(fo), 0);
    gfix_free(x);
}

/* RX: while a primary pointer exists (ready or not) frames on the standby
 * never reach the stack (bug 6); after the primary leaves they do.  Kills
 * standby-rx-delivered. */
static bool rx_guard(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnetdev_carrier_off(vf->nd);
    bool ok = gfix_rx(x, s->nd) == FRAME_DROP_STANDBY_RX_WITH_PRIMARY &&
              x->rx_drop[FRAME_DROP_STANDBY_RX_WITH_PRIMARY] == 1;
    gnetdev_carrier_on(vf->nd);
    ok = ok && gfix_rx(x, vf->nd) == FRAME_DROP_NONE && x->rx_ok[OBS_ROLE_PRIMARY] == 1;
    gnetdev_unregister(vf->nd);
    ok = ok && gfix_rx(x, s->nd) == FRAME_DROP_NONE && x->rx_ok[OBS_ROLE_STANDBY] == 1;
    gfix_free(x);
    return ok;
}

static void test_rx_standby_exact_drop(void **state)
{
    (void)state;
    EVIDENCE(G-45);
    assert_true(rx_guard(0));
    assert_false(rx_guard(mutant_bit(MUT_STANDBY_RX_DELIVERED)));
}

/* Section 1.9's window: at the primary's NETDEV_DOWN (closed before its
 * unregister) TX already uses the standby while standby RX is still
 * dropped; from the unregister on, standby RX reaches the master. */
struct window_probe {
    struct gfix *x;
    struct gnetdev *vf, *sb;
    bool seen;
    enum obs_role tx_via;
    enum frame_drop rx;
};

static void window_notifier(void *ctx, enum gnet_event ev, struct gnetdev *nd)
{
    struct window_probe *p = ctx;
    if (ev != GNET_EV_DOWN || nd != p->vf)
        return;
    p->seen = true;
    gfix_tx(p->x, &p->tx_via);
    p->rx = gfix_rx(p->x, p->sb);
}

static void test_unplug_window(void **state)
{
    (void)state;
    EVIDENCE(G-34, G-33, G-37, G-45);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gfix_run(x, SIM_S(3));
    struct window_probe p = { .x = x, .vf = vf->nd, .sb = s->nd };
    gnet_notifier_register(gfix_net(x), window_notifier, &p);
    gnetdev_unregister(vf->nd);
    assert_true(p.seen);
    assert_int_equal(p.tx_via, OBS_ROLE_STANDBY);
    assert_int_equal(p.rx, FRAME_DROP_STANDBY_RX_WITH_PRIMARY);
    assert_int_equal(gfix_rx(x, s->nd), FRAME_DROP_NONE);
    assert_true(gfix_dev(x, "eth0")->carrier);
    gfix_free(x);
}

/* Opening the master opens primary then standby; a standby failure closes
 * the primary and fails, and with no primary nothing is closed (bug 3);
 * carrier only ever goes on.  Closing closes both, carrier untouched. */
static void test_master_open_close(void **state)
{
    (void)state;
    EVIDENCE(G-41, G-42, L6.3);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct gnetdev *m = gfix_dev(x, "eth0");
    s->open_err = -5;
    assert_int_equal(gnetdev_open(m), -5);
    assert_false(m->up);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_int_equal(gnetdev_open(m), -5);
    assert_false(vf->nd->up); /* opened, then closed again */
    s->open_err = 0;
    gnetdev_carrier_off(s->nd);
    gnetdev_carrier_off(vf->nd);
    assert_int_equal(gnetdev_open(m), 0);
    assert_true(vf->nd->up && s->nd->up);
    assert_false(m->carrier); /* nobody ready: left as it was */
    gnetdev_carrier_on(s->nd);
    gfix_run(x, SIM_S(3));
    assert_true(m->carrier);
    gnetdev_close(m);
    assert_false(vf->nd->up || s->nd->up);
    assert_true(m->carrier);
    gfix_free(x);
}

/* A slave renamed while the master runs is opened again (bug 1); a rename
 * of an up slave is allowed by IFF_LIVE_RENAME_OK on 6.1, refused before
 * 5.2.  Kills no-rename-reopen. */
static bool rename_reopens(uint64_t mutants)
{
    struct gfix *x = gfix_new(mutants);
    gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnetdev_close(vf->nd);
    bool ok = gnetdev_change_name(vf->nd, "ens4") == 0 && vf->nd->up &&
              strcmp(vf->nd->name, "ens4") == 0;
    ok = ok && gnetdev_change_name(vf->nd, "ens5") == 0; /* up: IFF_LIVE_RENAME_OK */
    gfix_free(x);
    return ok;
}

static void test_rename(void **state)
{
    (void)state;
    EVIDENCE(G-39, G-24);
    assert_true(rename_reopens(0));
    assert_false(rename_reopens(mutant_bit(MUT_NO_RENAME_REOPEN)));
    struct gfix *x = gfix_new_knobs(0, "kernel 5.1\n");
    gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_true(vf->nd->up);
    assert_int_equal(gnetdev_change_name(vf->nd, "ens4"), -GNET_EBUSY);
    gfix_free(x);
}

/* Master MTU: primary, then standby, primary reverted on a standby
 * failure; a slave's own MTU change is not propagated. */
static void test_master_mtu(void **state)
{
    (void)state;
    EVIDENCE(G-46, G-47);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    struct gnetdev *m = gfix_dev(x, "eth0");
    assert_int_equal(gnetdev_set_mtu(m, 9000), 0);
    assert_int_equal(vf->nd->mtu, 9000);
    assert_int_equal(s->nd->mtu, 9000);
    s->mtu_err = -22;
    assert_int_not_equal(gnetdev_set_mtu(m, 4000), 0);
    assert_int_equal(m->mtu, 9000);
    assert_int_equal(vf->nd->mtu, 9000);
    assert_int_equal(gnetdev_set_mtu(m, 9001), -GNET_EINVAL); /* primary's max */
    s->mtu_err = 0;
    assert_int_equal(gnetdev_set_mtu(s->nd, 1280), 0);
    assert_int_equal(m->mtu, 9000);
    assert_int_equal(vf->nd->mtu, 9000);
    gfix_free(x);
}

/* Features: the master's VLAN features are the slaves' intersection,
 * its header length the largest, DST release only if all allow it. */
static void test_features(void **state)
{
    (void)state;
    EVIDENCE(G-11, G-50, G-14);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct gnetdev *m = gfix_dev(x, "eth0");
    assert_true(m->features & GND_F_VLAN_CTAG_FILTER);
    assert_true(m->features & GND_F_NETNS_LOCAL);
    assert_int_equal(gnetdev_set_mac(m, MAC_B), -GNET_EOPNOTSUPP);
    struct fake_dev *vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    vf->nd->vlan_features = GND_F_SG | GND_F_HW_CSUM;
    vf->nd->hard_header_len = 18;
    vf->nd->dst_release = false;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    assert_int_equal(m->vlan_features, GND_F_SG | GND_F_HW_CSUM);
    assert_int_equal(m->hard_header_len, 18);
    assert_false(m->dst_release);
    gnetdev_unregister(vf->nd);
    assert_int_equal(m->vlan_features, GND_F_VLAN_FEATURES);
    assert_true(m->dst_release);
    gfix_free(x);
}

/* Stats: previous report plus positive deltas; 32-bit counters wrap;
 * resets are ignored. */
static void test_stats_fold(void **state)
{
    (void)state;
    EVIDENCE(G-51, G-29);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    gnetdev_set_stats32(vf->nd, true);
    vf->nd->stats.rx_packets = 0xfffffff0u;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    struct gnetdev *m = gfix_dev(x, "eth0");
    struct gnd_stats st;
    gnetdev_get_stats(m, &st);
    assert_i64_equal(st.rx_packets, 0); /* the baseline was taken at enslave */
    vf->nd->stats.rx_packets = 0x10;    /* wrapped: +0x20 */
    gnetdev_get_stats(m, &st);
    assert_i64_equal(st.rx_packets, 0x20);
    vf->nd->stats.tx_bytes = 0x100000000ull; /* 64-bit */
    gnetdev_get_stats(m, &st);
    vf->nd->stats.tx_bytes = 5; /* reset: ignored */
    gnetdev_get_stats(m, &st);
    assert_i64_equal(st.tx_bytes, 0x100000000ull);
    vf->nd->stats.tx_bytes = 7;
    gnetdev_get_stats(m, &st);
    assert_i64_equal(st.tx_bytes, 0x100000002ull);
    gfix_free(x);
}

/* ethtool: the ready primary's settings, else the ready standby's, else
 * unknown. */
static void test_link_settings(void **state)
{
    (void)state;
    EVIDENCE(G-52);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnet_ifup(x->g);
    struct failover *fo = gfix_fo(x, "eth0");
    assert_int_equal(net_failover_link_source(fo), OBS_ROLE_PRIMARY);
    gnetdev_carrier_off(vf->nd);
    assert_int_equal(net_failover_link_source(fo), OBS_ROLE_STANDBY);
    gnetdev_carrier_off(s->nd);
    assert_int_equal(net_failover_link_source(fo), OBS_ROLE_UNKNOWN);
    gfix_free(x);
}

/* Destroy: primary, then standby, then the master; the primary stays as a
 * standalone closed netdev. */
static void test_destroy(void **state)
{
    (void)state;
    EVIDENCE(G-35, G-09);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnet_ifup(x->g);
    struct failover *fo = gfix_fo(x, "eth0");
    gnetdev_unregister(s->nd); /* virtnet_remove: the standby first */
    net_failover_destroy(fo);
    long a = gfix_find(x, "virtio_net virtio0 eth0: failover standby slave:eth1 unregistered");
    long b = gfix_find(x, "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered");
    long c = gfix_find(x, "virtio_net virtio0 eth0: failover master:eth0 unregistered");
    assert_true(a >= 0 && b > a && c > b);
    assert_null(gfix_dev(x, "eth0"));
    assert_ptr_equal(gfix_dev(x, "eth2"), vf->nd);
    assert_null(vf->nd->master);
    assert_false(vf->nd->up);
    gfix_free(x);
}

/* The VLAN-challenged guard reads the master's features: a challenged
 * candidate is enslaved even though the master has a VLAN (quirk). */
static void test_vlan_challenged_quirk(void **state)
{
    (void)state;
    EVIDENCE(G-22);
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    assert_int_equal(gnetdev_vlan_add(gfix_dev(x, "eth0"), 5), 0);
    struct fake_dev *vf = gfix_fake(x);
    snprintf(vf->pdev.name, sizeof(vf->pdev.name), "0000:02:00.0");
    vf->nd = gnetdev_alloc(x->g, "e1000e", &vf->pdev, &fake_ops, vf);
    vf->nd->features |= GND_F_VLAN_CHALLENGED;
    assert_int_equal(gnetdev_register(vf->nd, MAC_A, false), 0);
    assert_ptr_equal(failover_primary(gfix_fo(x, "eth0")), vf->nd);
    assert_int_equal(gfix_count(x, "VLAN challenged"), 0);
    gfix_free(x);
}

/* Only the instance's own slaves are unenslaved: a refused device with
 * the same MAC leaves without an "unregistered" line; published lower
 * state follows the rule of G-38. */
static void test_unregister_only_slaves(void **state)
{
    (void)state;
    EVIDENCE(G-31, G-32, G-38);
    struct gfix *x = gfix_new(0);
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    gnet_ifup(x->g);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    struct fake_dev *vf2 = gfix_vf(x, "0000:03:00.0", MAC_A, false);
    assert_true(vf->nd->lower_tx_enabled && vf->nd->lower_link_up);
    gnetdev_carrier_off(s->nd);
    gfix_run(x, SIM_S(3));
    assert_false(s->nd->lower_tx_enabled); /* a running primary is present */
    assert_false(s->nd->lower_link_up);
    gnetdev_unregister(vf2->nd);
    assert_int_equal(gfix_count(x, "unregistered"), 0);
    gnetdev_unregister(vf->nd);
    assert_int_equal(gfix_count(x, "failover primary slave:eth2 unregistered"), 1);
    assert_null(failover_primary(gfix_fo(x, "eth0")));
    gfix_free(x);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_vlan_challenged_quirk),
    cmocka_unit_test(test_unregister_only_slaves),
    cmocka_unit_test(test_boot_names_and_lines),
    cmocka_unit_test(test_slave_flags_by_kernel),
    cmocka_unit_test(test_existing_vf_scanned),
    cmocka_unit_test(test_master_events_ignored),
    cmocka_unit_test(test_duplicate_mac_first_match),
    cmocka_unit_test(test_random_mac_never_pairs),
    cmocka_unit_test(test_mac_change_does_not_pair),
    cmocka_unit_test(test_primary_needs_pci_parent),
    cmocka_unit_test(test_second_primary_refused),
    cmocka_unit_test(test_bonded_vf_refused),
    cmocka_unit_test(test_enslave_mtu),
    cmocka_unit_test(test_enslave_open),
    cmocka_unit_test(test_enslave_replay),
    cmocka_unit_test(test_mtu_range_follows_primary),
    cmocka_unit_test(test_enslave_keeps_carrier),
    cmocka_unit_test(test_carrier_via_linkwatch),
    cmocka_unit_test(test_tx_per_packet),
    cmocka_unit_test(test_tx_queue_folding),
    cmocka_unit_test(test_rx_standby_exact_drop),
    cmocka_unit_test(test_unplug_window),
    cmocka_unit_test(test_master_open_close),
    cmocka_unit_test(test_rename),
    cmocka_unit_test(test_master_mtu),
    cmocka_unit_test(test_features),
    cmocka_unit_test(test_stats_fold),
    cmocka_unit_test(test_link_settings),
    cmocka_unit_test(test_destroy),
    cmocka_unit_test(test_master_mac_refused),
    cmocka_unit_test(test_only_ethernet_pairs),
    cmocka_unit_test(test_enslave_under_instance_lock),
};

FO_MAIN("net_failover", tests)
