/*
 * pcap files: round trips through the writer and the reader (byte-exact
 * headers, nanosecond and microsecond stamps, Ethernet and SLL2), pcapng
 * with a single link type, and every kind of bad file, each of which must
 * give an error naming the file and the record or byte offset.
 *
 * The bad files are built here byte by byte (the generator is the test), in
 * a private temporary directory removed at the end.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/pcap_io.h"

static char tmpdir[64];

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* A path in this run's private directory (made on first use). */
static const char *tpath(const char *name)
{
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/fosim-pcap-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        atexit(remove_tmpdir);
    }
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

/* ---- a little byte builder ------------------------------------------------------ */

struct bytes {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct bytes *b, uint8_t v)
{
    assert_true(b->n < sizeof(b->b));
    b->b[b->n++] = v;
}
static void le16(struct bytes *b, uint16_t v)
{
    put8(b, (uint8_t)v);
    put8(b, (uint8_t)(v >> 8));
}
static void le32(struct bytes *b, uint32_t v)
{
    le16(b, (uint16_t)v);
    le16(b, (uint16_t)(v >> 16));
}
static void be16w(struct bytes *b, uint16_t v)
{
    put8(b, (uint8_t)(v >> 8));
    put8(b, (uint8_t)v);
}
static void be32w(struct bytes *b, uint32_t v)
{
    be16w(b, (uint16_t)(v >> 16));
    be16w(b, (uint16_t)v);
}
static void fill(struct bytes *b, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        put8(b, (uint8_t)(first + i));
}

/* Classic little-endian file header. */
static void file_header(struct bytes *b, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
    le32(b, magic);
    le16(b, 2);
    le16(b, 4);
    le32(b, 0);
    le32(b, 0);
    le32(b, snaplen);
    le32(b, linktype);
}

static void rec_header(struct bytes *b, uint32_t sec, uint32_t frac, uint32_t caplen,
                       uint32_t len)
{
    le32(b, sec);
    le32(b, frac);
    le32(b, caplen);
    le32(b, len);
}

static const char *write_bytes(const char *name, const struct bytes *b)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->b, 1, b->n, f), b->n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static size_t read_file(const char *path, uint8_t *buf, size_t max)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    return n;
}

/* Open and read every record; returns the first error (or 0) with err filled. */
static int read_all(const char *path, struct sim_err *err, uint64_t *nrec)
{
    struct pcap_reader *r;
    *nrec = 0;
    if (pcap_reader_open(path, &r, err) != 0)
        return -1;
    struct pcap_rec rec;
    int rc;
    while ((rc = pcap_reader_next(r, &rec, err)) == 1)
        (*nrec)++;
    pcap_reader_close(r);
    return rc;
}

static void expect_error(const char *path, const char *needle1, const char *needle2)
{
    struct sim_err err = { "" };
    uint64_t n;
    assert_int_equal(read_all(path, &err, &n), -1);
    if (getenv("FOSIM_SHOW_ERRORS"))
        print_message("%s\n", err.msg);
    if (!strstr(err.msg, path) || !strstr(err.msg, needle1) ||
        (needle2 && !strstr(err.msg, needle2))) {
        print_error("message: %s\nwanted: '%s' and '%s' and the file name\n", err.msg, needle1,
                    needle2 ? needle2 : "");
        fail();
    }
}

/* ---- round trips ------------------------------------------------------------------- */

/* Nanosecond Ethernet: what is written is read back exactly, and the file
 * is byte for byte the classic savefile layout (formats.md B.1). */
static void test_roundtrip_nano_bytes(void **state)
{
    (void)state;
    const char *p = tpath("nano.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 65535, true, &w, &err), 0);
    uint8_t frame[64];
    for (int i = 0; i < 64; i++)
        frame[i] = (uint8_t)i;
    sim_time t0 = SIM_S(1764072000) + 123456789;
    assert_int_equal(pcap_writer_put(w, t0, frame, 64, 64, &err), 0);
    assert_int_equal(pcap_writer_put(w, t0 + 1, frame, 60, 64, &err), 0);
    assert_int_equal(pcap_writer_close(w, &err), 0);

    uint8_t buf[512];
    size_t n = read_file(p, buf, sizeof(buf));
    assert_int_equal(n, 24 + 16 + 64 + 16 + 60);
    static const uint8_t head[24] = { 0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                      0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0 };
    assert_memory_equal(buf, head, 24);
    struct bytes rh = { .n = 0 };
    rec_header(&rh, 1764072000, 123456789, 64, 64);
    assert_memory_equal(buf + 24, rh.b, 16);
    assert_memory_equal(buf + 40, frame, 64);

    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    assert_int_equal(pcap_reader_linktype(r), PCAP_LINK_ETHERNET);
    assert_int_equal(pcap_reader_snaplen(r), 65535);
    assert_true(pcap_reader_nano(r));
    struct pcap_rec rec;
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_int_equal(rec.record, 1);
    assert_i64_equal(rec.t, t0);
    assert_int_equal(rec.caplen, 64);
    assert_int_equal(rec.len, 64);
    assert_false(rec.sll2);
    assert_ptr_equal(rec.payload, rec.data);
    assert_memory_equal(rec.data, frame, 64);
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_int_equal(rec.record, 2);
    assert_i64_equal(rec.t, t0 + 1);
    assert_int_equal(rec.caplen, 60);
    assert_int_equal(rec.len, 64);
    assert_int_equal(pcap_reader_next(r, &rec, &err), 0);
    pcap_reader_close(r);
}

/* Microsecond stamps as QEMU's filter-dump writes them: the magic is
 * a1b2c3d4, the fraction is cut to microseconds, and a caplen beyond the
 * snaplen is cut to the snaplen as a capture would. */
static void test_roundtrip_micro_and_snaplen(void **state)
{
    (void)state;
    const char *p = tpath("micro.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 100, false, &w, &err), 0);
    uint8_t frame[200] = { 0 };
    assert_int_equal(pcap_writer_put(w, SIM_S(7) + 1999, frame, 200, 300, &err), 0);
    assert_int_equal(pcap_writer_close(w, &err), 0);
    uint8_t buf[512];
    size_t n = read_file(p, buf, sizeof(buf));
    assert_int_equal(n, 24 + 16 + 100);
    static const uint8_t magic[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };
    assert_memory_equal(buf, magic, 4);
    struct bytes rh = { .n = 0 };
    rec_header(&rh, 7, 1, 100, 300);
    assert_memory_equal(buf + 24, rh.b, 16);

    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    assert_false(pcap_reader_nano(r));
    struct pcap_rec rec;
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_i64_equal(rec.t, SIM_S(7) + 1000); /* read back in ns */
    assert_int_equal(rec.caplen, 100);
    assert_int_equal(rec.len, 300);
    pcap_reader_close(r);
}

/* SLL2: the 20-byte header is decoded and the payload follows it. */
static void test_sll2_decode(void **state)
{
    (void)state;
    const char *p = tpath("sll2.pcap");
    struct sim_err err = { "" };
    struct bytes rec_bytes = { .n = 0 };
    be16w(&rec_bytes, 0x0800);   /* protocol */
    be16w(&rec_bytes, 0);        /* reserved */
    be32w(&rec_bytes, 3);        /* ifindex */
    be16w(&rec_bytes, 1);        /* ARPHRD_ETHER */
    put8(&rec_bytes, 4);         /* outgoing */
    put8(&rec_bytes, 6);
    static const uint8_t mac[8] = { 0x52, 0x54, 0, 0x11, 0x11, 0x11, 0, 0 };
    for (int i = 0; i < 8; i++)
        put8(&rec_bytes, mac[i]);
    fill(&rec_bytes, 28, 0x45);
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_SLL2, 262144, true, &w, &err), 0);
    assert_int_equal(pcap_writer_put(w, SIM_S(5), rec_bytes.b, (uint32_t)rec_bytes.n,
                                     (uint32_t)rec_bytes.n + 10, &err),
                     0);
    assert_int_equal(pcap_writer_close(w, &err), 0);

    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    assert_int_equal(pcap_reader_linktype(r), PCAP_LINK_SLL2);
    struct pcap_rec rec;
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_true(rec.sll2);
    assert_int_equal(rec.protocol, 0x0800);
    assert_int_equal(rec.ifindex, 3);
    assert_int_equal(rec.hatype, 1);
    assert_int_equal(rec.pkttype, 4);
    assert_int_equal(rec.halen, 6);
    assert_memory_equal(rec.addr, mac, 8);
    assert_ptr_equal(rec.payload, rec.data + 20);
    assert_int_equal(rec.payload_caplen, 28);
    assert_int_equal(rec.payload_len, 38);
    assert_int_equal(rec.payload[0], 0x45);
    pcap_reader_close(r);
}

/* A big-endian file (written on another machine) reads the same. */
static void test_byte_swapped_file(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    be32w(&b, 0xa1b2c3d4);
    be16w(&b, 2);
    be16w(&b, 4);
    be32w(&b, 0);
    be32w(&b, 0);
    be32w(&b, 65535);
    be32w(&b, 1);
    be32w(&b, 100);
    be32w(&b, 250000);
    be32w(&b, 20);
    be32w(&b, 20);
    fill(&b, 20, 1);
    const char *p = write_bytes("be.pcap", &b);
    struct sim_err err = { "" };
    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    struct pcap_rec rec;
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_i64_equal(rec.t, SIM_S(100) + SIM_MS(250));
    assert_int_equal(rec.caplen, 20);
    assert_int_equal(rec.data[19], 20);
    assert_int_equal(pcap_reader_next(r, &rec, &err), 0);
    pcap_reader_close(r);
}

/* pcapng with one interface (one link type) is accepted through libpcap;
 * its if_tsresol of 9 gives nanosecond stamps. */
static void pcapng_shb(struct bytes *b)
{
    le32(b, 0x0a0d0d0a);
    le32(b, 28);
    le32(b, 0x1a2b3c4d);
    le16(b, 1);
    le16(b, 0);
    le32(b, 0xffffffff); /* section length -1 */
    le32(b, 0xffffffff);
    le32(b, 28);
}

static void pcapng_idb(struct bytes *b, uint16_t linktype)
{
    le32(b, 1);
    le32(b, 28);
    le16(b, linktype);
    le16(b, 0);
    le32(b, 65535);
    le16(b, 9); /* if_tsresol */
    le16(b, 1);
    put8(b, 9);
    put8(b, 0);
    put8(b, 0);
    put8(b, 0);
    le32(b, 28);
}

static void pcapng_epb(struct bytes *b, uint32_t ifid, uint64_t ts, uint32_t n, uint8_t first)
{
    uint32_t pad = (4 - n % 4) % 4;
    uint32_t total = 32 + n + pad;
    le32(b, 6);
    le32(b, total);
    le32(b, ifid);
    le32(b, (uint32_t)(ts >> 32));
    le32(b, (uint32_t)ts);
    le32(b, n);
    le32(b, n);
    fill(b, n, first);
    for (uint32_t i = 0; i < pad; i++)
        put8(b, 0);
    le32(b, total);
}

static void test_pcapng_single_link_type(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    pcapng_shb(&b);
    pcapng_idb(&b, 1);
    uint64_t ts = 1764072000ull * 1000000000ull + 42;
    pcapng_epb(&b, 0, ts, 61, 0x10);
    pcapng_epb(&b, 0, ts + 1000, 60, 0x20);
    const char *p = write_bytes("single.pcapng", &b);
    struct sim_err err = { "" };
    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    assert_int_equal(pcap_reader_linktype(r), PCAP_LINK_ETHERNET);
    struct pcap_rec rec;
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_i64_equal(rec.t, (sim_time)ts);
    assert_int_equal(rec.caplen, 61);
    assert_int_equal(rec.data[0], 0x10);
    assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
    assert_int_equal(rec.record, 2);
    assert_i64_equal(rec.t, (sim_time)ts + 1000);
    assert_int_equal(pcap_reader_next(r, &rec, &err), 0);
    pcap_reader_close(r);
}

/* A second interface with another link type: libpcap 1.10 cannot present
 * it, and the error names the file and the record. */
static void test_pcapng_two_link_types_refused(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    pcapng_shb(&b);
    pcapng_idb(&b, 1);
    pcapng_epb(&b, 0, 1000, 60, 0);
    pcapng_idb(&b, 276);
    pcapng_epb(&b, 1, 2000, 60, 0);
    const char *p = write_bytes("two.pcapng", &b);
    expect_error(p, "record 2", "libpcap");
}

/* ---- bad files ----------------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    expect_error(tpath("no-such.pcap"), "cannot open", "No such file");
}

static void test_empty_file(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    expect_error(write_bytes("empty.pcap", &b), "byte offset 0", "truncated file header");
}

static void test_wrong_magic(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0x12345678, 65535, 1);
    expect_error(write_bytes("magic.pcap", &b), "not a pcap file", "78 56 34 12");
}

static void test_text_file(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    const char *txt = "{\"QMP\": {}}\n";
    for (const char *c = txt; *c; c++)
        put8(&b, (uint8_t)*c);
    expect_error(write_bytes("text.pcap", &b), "byte offset 0", "not a pcap file");
}

static void test_truncated_file_header(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    b.n = 10;
    expect_error(write_bytes("shorthead.pcap", &b), "truncated file header", "10 of 24");
}

static void test_unsupported_link_type(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 105); /* IEEE 802.11 */
    expect_error(write_bytes("wifi.pcap", &b), "link type 105", "expected Ethernet (1)");
    b.n = 0;
    file_header(&b, 0xa1b2c3d4, 65535, 113); /* Linux SLL (v1) */
    expect_error(write_bytes("sll1.pcap", &b), "link type 113", "SLL2 (276)");
}

/* A record header cut short: the error names record 2 and its offset. */
static void test_truncated_record_header(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    rec_header(&b, 1, 0, 60, 60);
    fill(&b, 60, 0);
    put8(&b, 1);
    put8(&b, 2);
    put8(&b, 3);
    expect_error(write_bytes("shortrec.pcap", &b), "record 2 at byte offset 100",
                 "truncated record");
}

static void test_truncated_record_data(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    rec_header(&b, 1, 0, 60, 60);
    fill(&b, 30, 0);
    expect_error(write_bytes("shortdata.pcap", &b), "record 1 at byte offset 24",
                 "truncated record");
}

/* libpcap would silently cut this record to the snaplen; we refuse it. */
static void test_caplen_beyond_snaplen(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 64, 1);
    rec_header(&b, 1, 0, 60, 60);
    fill(&b, 60, 0);
    rec_header(&b, 1, 5, 100, 100);
    fill(&b, 100, 0);
    expect_error(write_bytes("beyond.pcap", &b), "record 2 at byte offset 100",
                 "caplen 100 exceeds the file's snaplen of 64");
}

/* A length field of 2 GiB must not make us (or libpcap) allocate it. */
static void test_huge_length(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    rec_header(&b, 1, 0, 0x7fffffff, 0x7fffffff);
    fill(&b, 16, 0);
    expect_error(write_bytes("huge.pcap", &b), "record 1 at byte offset 24",
                 "record length out of bounds");
}

static void test_len_below_caplen(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    rec_header(&b, 1, 0, 60, 40);
    fill(&b, 60, 0);
    expect_error(write_bytes("len.pcap", &b), "record 1 at byte offset 24",
                 "original length 40 is less than the 60 bytes captured");
}

/* A microsecond fraction of a million or more is no time stamp. */
static void test_bad_fraction(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    rec_header(&b, 1, 999999, 60, 60);
    fill(&b, 60, 0);
    rec_header(&b, 1, 1000000, 60, 60);
    fill(&b, 60, 0);
    expect_error(write_bytes("frac.pcap", &b), "record 2 at byte offset 100: bad time stamp",
                 "1000000 us (expected below 1000000)");
    b.n = 0;
    file_header(&b, 0xa1b23c4d, 65535, 1);
    rec_header(&b, 1, 1000000000, 60, 60);
    fill(&b, 60, 0);
    expect_error(write_bytes("fracn.pcap", &b), "record 1 at byte offset 24: bad time stamp",
                 "1000000000 ns");
}

static void test_sll2_record_too_short(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 276);
    rec_header(&b, 1, 0, 12, 12);
    fill(&b, 12, 0);
    expect_error(write_bytes("sll2short.pcap", &b), "record 1 at byte offset 24",
                 "shorter than the 20-byte SLL2 header");
}

/* Records before the bad one are delivered; the bad one stops the read. */
static void test_good_records_before_the_bad_one(void **state)
{
    (void)state;
    struct bytes b = { .n = 0 };
    file_header(&b, 0xa1b2c3d4, 65535, 1);
    for (int i = 0; i < 3; i++) {
        rec_header(&b, 1, (uint32_t)i, 60, 60);
        fill(&b, 60, 0);
    }
    rec_header(&b, 1, 9, 60, 60);
    fill(&b, 10, 0);
    const char *p = write_bytes("three.pcap", &b);
    struct sim_err err = { "" };
    uint64_t n;
    assert_int_equal(read_all(p, &err, &n), -1);
    assert_int_equal(n, 3);
    assert_non_null(strstr(err.msg, "record 4 at byte offset 252"));
}

/* ---- write errors ---------------------------------------------------------------------- */

/* A write that fails (here: a full device) is reported at the latest at
 * close, naming the file. */
static void test_write_error_reported(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct pcap_writer *w;
    if (access("/dev/full", W_OK) != 0) /* Linux always has it: never a silent pass */
        fail_msg("/dev/full is not writable: the write error cannot be tested");
    assert_int_equal(pcap_writer_open("/dev/full", PCAP_LINK_ETHERNET, 65535, false, &w, &err),
                     0);
    uint8_t frame[1500] = { 0 };
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = pcap_writer_put(w, SIM_S(1), frame, sizeof(frame), sizeof(frame), &err);
    int rc2 = pcap_writer_close(w, &err);
    assert_true(rc != 0 || rc2 != 0);
    assert_non_null(strstr(err.msg, "/dev/full: write failed"));
    assert_non_null(strstr(err.msg, "No space left on device"));
}

static void test_create_error(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct pcap_writer *w;
    const char *p = tpath("no-dir/x.pcap");
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 65535, false, &w, &err), -1);
    assert_null(w);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "cannot create"));
}

/* Streaming: a long file is read with the same record buffer over and over
 * (libpcap's), so memory does not depend on the number of records. */
static void test_streaming_reads_many_records(void **state)
{
    (void)state;
    const char *p = tpath("many.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 65535, true, &w, &err), 0);
    uint8_t frame[64] = { 0 };
    for (uint32_t i = 0; i < 20000; i++) {
        memcpy(frame, &i, sizeof(i));
        assert_int_equal(pcap_writer_put(w, SIM_US(i), frame, 64, 64, &err), 0);
    }
    assert_int_equal(pcap_writer_close(w, &err), 0);
    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    struct pcap_rec rec;
    const uint8_t *first = NULL;
    uint32_t k = 0;
    while (pcap_reader_next(r, &rec, &err) == 1) {
        uint32_t v;
        memcpy(&v, rec.data, sizeof(v));
        assert_int_equal(v, k);
        assert_i64_equal(rec.t, SIM_US(k));
        if (!first)
            first = rec.data;
        assert_ptr_equal(rec.data, first); /* one buffer, reused */
        k++;
    }
    assert_int_equal(k, 20000);
    pcap_reader_close(r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip_nano_bytes),
    cmocka_unit_test(test_roundtrip_micro_and_snaplen),
    cmocka_unit_test(test_sll2_decode),
    cmocka_unit_test(test_byte_swapped_file),
    cmocka_unit_test(test_pcapng_single_link_type),
    cmocka_unit_test(test_pcapng_two_link_types_refused),
    cmocka_unit_test(test_missing_file),
    cmocka_unit_test(test_empty_file),
    cmocka_unit_test(test_wrong_magic),
    cmocka_unit_test(test_text_file),
    cmocka_unit_test(test_truncated_file_header),
    cmocka_unit_test(test_unsupported_link_type),
    cmocka_unit_test(test_truncated_record_header),
    cmocka_unit_test(test_truncated_record_data),
    cmocka_unit_test(test_caplen_beyond_snaplen),
    cmocka_unit_test(test_huge_length),
    cmocka_unit_test(test_len_below_caplen),
    cmocka_unit_test(test_bad_fraction),
    cmocka_unit_test(test_sll2_record_too_short),
    cmocka_unit_test(test_good_records_before_the_bad_one),
    cmocka_unit_test(test_write_error_reported),
    cmocka_unit_test(test_create_error),
    cmocka_unit_test(test_streaming_reads_many_records),
};

FO_MAIN("pcap_io", tests)
