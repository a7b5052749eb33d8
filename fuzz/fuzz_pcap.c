/*
 * Fuzz target: pcap files through the project's pcap layer (sim/pcap_io.c,
 * the only door to libpcap), and the frame decoder obs_decode_frame.
 *
 * The input is one capture file (classic pcap in either byte order and
 * either precision, or pcapng), read to its end; each record is decoded as
 * the bundle reader decodes it.  Oracles besides the sanitizers: an error
 * names the file; caplen never exceeds the snaplen or PCAP_MAX_RECORD;
 * record numbers count up from 1; an SLL2 payload lies inside the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/obs.h"
#include "sim/pcap_io.h"

static void oops(const char *what)
{
    fprintf(stderr, "fuzz_pcap: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("capture.pcap", data, size);
    struct pcap_reader *r = NULL;
    struct sim_err err = { "" };
    if (pcap_reader_open(path, &r, &err) != 0) {
        if (!strstr(err.msg, "capture.pcap"))
            oops("open error without the file name");
        return 0;
    }
    struct pcap_rec rec;
    int rc;
    uint64_t n = 0;
    while ((rc = pcap_reader_next(r, &rec, &err)) == 1) {
        if (rec.record != ++n)
            oops("record numbers do not count up");
        if (rec.caplen > pcap_reader_snaplen(r) || rec.caplen > PCAP_MAX_RECORD ||
            rec.caplen > rec.len)
            oops("caplen beyond its bounds");
        if (rec.payload < rec.data ||
            rec.payload + rec.payload_caplen > rec.data + rec.caplen)
            oops("payload outside the record");
        struct obs_frame f = { .point = "guest", .data = rec.payload,
                               .caplen = rec.payload_caplen, .len = rec.payload_len,
                               .sll2 = rec.sll2, .ethertype = rec.protocol };
        if (rec.sll2 && rec.halen == 6)
            memcpy(f.src, rec.addr, 6);
        obs_decode_frame(&f);
        struct obs o = { .kind = OBS_FRAME, .t = rec.t, .u.frame = f };
        char line[512];
        obs_format(line, sizeof(line), &o, 0);
    }
    if (rc < 0 && !strstr(err.msg, "capture.pcap"))
        oops("record error without the file name");
    pcap_reader_close(r);
    return 0;
}
