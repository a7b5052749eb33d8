/*
 * pcap files: the only door to libpcap.
 *
 * Reading: classic pcap (microsecond or nanosecond magic, either byte
 * order) and single-link-type pcapng, through libpcap, always opened with
 * nanosecond precision.  Link types: Ethernet (1) and Linux SLL2 (276).
 * Every record is checked: a truncated record, a caplen beyond the snaplen
 * or the size cap, an unsupported link type, or a bad magic is an error
 * that names the file and the record (or byte offset).  Memory does not
 * grow with the file: one record at a time.
 *
 * Writing: classic pcap with pcap_dump, nanosecond or microsecond stamps.
 */
#ifndef SIM_PCAP_IO_H
#define SIM_PCAP_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/time.h"

#define PCAP_LINK_ETHERNET 1
#define PCAP_LINK_SLL2 276
#define PCAP_MAX_RECORD (256u * 1024) /* bound on one record's caplen */

struct pcap_reader;

struct pcap_rec {
    uint64_t record;       /* 1-based record number in the file */
    sim_time t;            /* stamp, wall-clock ns */
    uint32_t caplen;       /* bytes in data */
    uint32_t len;          /* original length */
    const uint8_t *data;   /* link-layer record; borrowed until the next call */
    /* Decoded link layer.  Ethernet: payload = data, sll2 = false.
     * SLL2: the 20-byte header is parsed and payload points after it. */
    bool sll2;
    uint16_t protocol;     /* SLL2 protocol (EtherType) */
    int32_t ifindex;       /* SLL2 interface index */
    uint16_t hatype;       /* SLL2 ARPHRD type */
    uint8_t pkttype;       /* SLL2: 0 host, 1 broadcast, 2 multicast, 3 other, 4 outgoing */
    uint8_t halen;
    uint8_t addr[8];       /* SLL2 link-layer address (the sender's MAC) */
    const uint8_t *payload;/* Ethernet frame, or the SLL2 payload */
    uint32_t payload_caplen;
    uint32_t payload_len;
};

int pcap_reader_open(const char *path, struct pcap_reader **out, struct sim_err *err);
/* 1 and *rec filled; 0 at a clean end of file; -1 with err on a bad record. */
int pcap_reader_next(struct pcap_reader *r, struct pcap_rec *rec, struct sim_err *err);
int pcap_reader_linktype(const struct pcap_reader *r);
uint32_t pcap_reader_snaplen(const struct pcap_reader *r);
bool pcap_reader_nano(const struct pcap_reader *r); /* file had nanosecond stamps */
void pcap_reader_close(struct pcap_reader *r);

struct pcap_writer;

int pcap_writer_open(const char *path, int linktype, uint32_t snaplen, bool nano,
                     struct pcap_writer **out, struct sim_err *err);
/* Append one record; caplen > snaplen is cut to snaplen as a capture would. */
int pcap_writer_put(struct pcap_writer *w, sim_time t, const uint8_t *data, uint32_t caplen,
                    uint32_t len, struct sim_err *err);
/* Flush and close; reports a write error that happened at any point. */
int pcap_writer_close(struct pcap_writer *w, struct sim_err *err);

#endif
