/*
 * pcap files through libpcap: the only file that includes <pcap/pcap.h>.
 *
 * Reading opens the file with our own FILE * (so we know byte offsets and
 * can look at the header first) and hands it to libpcap with nanosecond
 * precision.  libpcap already refuses a bad magic, a truncated header or
 * record and a record beyond its sanity bound, but it silently cuts a
 * record whose caplen exceeds the file's snaplen and never compares caplen
 * with the original length; a savefile record is 16 header bytes plus
 * caplen data bytes, so the distance the stream moved over one record
 * gives the caplen the file really declared, and both cases become errors
 * here.  Every message names the file and the record and byte offset.
 * One record is held at a time: memory does not grow with the file.
 *
 * Writing goes through pcap_dump on a FILE * we own, so a failed write
 * (full disk, I/O error) is caught by pcap_dump_flush/ferror at close and
 * reported instead of leaving a short file behind unnoticed.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD u_char/u_int types */
#include "sim/pcap_io.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCAP_FILE_HEADER 24
#define PCAP_REC_HEADER 16
#define SLL2_HEADER 20
#define PCAP_READ_BUFFER (256 * 1024)

struct pcap_reader {
    pcap_t *p;          /* owns fp */
    FILE *fp;           /* borrowed from p for ftell */
    char *path;         /* owned, for messages */
    bool pcapng;        /* section-header magic: offsets are block offsets */
    bool nano;          /* the file's own stamps were nanoseconds */
    int linktype;
    uint32_t snaplen;
    uint64_t record;    /* records returned so far */
    long pos;           /* classic pcap: byte offset of the next record */
    bool failed;        /* a bad record was reported: no further reads */
};

struct pcap_writer {
    pcap_t *dead;       /* owned */
    pcap_dumper_t *d;   /* owned; owns fp */
    FILE *fp;           /* borrowed from d */
    char *path;         /* owned */
    int linktype;
    uint32_t snaplen;
    bool nano;
    int err;            /* first errno seen while writing, or 0 */
};

static char *dup_path(const char *path)
{
    size_t n = strlen(path) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, path, n);
    return p;
}

static uint32_t rd32(const uint8_t *b, bool swapped)
{
    uint32_t v;
    memcpy(&v, b, 4);
    if (swapped)
        v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    return v;
}

static uint16_t be16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * Look at the first bytes ourselves: libpcap's "unknown file format" does
 * not say what was found, and a file shorter than a header deserves its
 * own message.  Sets *pcapng and *nano.
 */
static int check_header(FILE *fp, const char *path, bool *pcapng, bool *nano,
                        struct sim_err *err)
{
    uint8_t h[PCAP_FILE_HEADER];
    size_t n = fread(h, 1, sizeof(h), fp);
    if (ferror(fp))
        return sim_errf(err, "%s: cannot read: %s", path, strerror(errno));
    if (n < 4)
        return sim_errf(err,
                        "%s: byte offset 0: truncated file header: the file has %zu byte(s), "
                        "a pcap file header has 24",
                        path, n);
    uint32_t magic = rd32(h, false);
    *pcapng = magic == 0x0a0d0d0au;
    bool known = magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u || magic == 0xa1b23c4du ||
                 magic == 0x4d3cb2a1u;
    if (!known && !*pcapng)
        return sim_errf(err,
                        "%s: byte offset 0: not a pcap file: magic %02x %02x %02x %02x, "
                        "expected a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds) in either "
                        "byte order, or a pcapng section header 0a0d0d0a",
                        path, h[0], h[1], h[2], h[3]);
    *nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    if (!*pcapng && n < PCAP_FILE_HEADER)
        return sim_errf(err,
                        "%s: byte offset %zu: truncated file header: %zu of 24 bytes", path,
                        n, n);
    if (fseek(fp, 0, SEEK_SET) != 0)
        return sim_errf(err, "%s: cannot seek: %s", path, strerror(errno));
    return 0;
}

int pcap_reader_open(const char *path, struct pcap_reader **out, struct sim_err *err)
{
    *out = NULL;
    struct pcap_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return sim_errf(err, "%s: out of memory", path);
    r->path = dup_path(path);
    if (!r->path) {
        sim_errf(err, "%s: out of memory", path);
        goto err_free_reader;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sim_errf(err, "%s: cannot open: %s", path, strerror(errno));
        goto err_free_reader;
    }
    /* libpcap reads a record's header and data with two freads: with
     * stdio's default buffer (the file system's block, 4 KiB) that is a
     * read system call every 50-odd small records */
    setvbuf(fp, NULL, _IOFBF, PCAP_READ_BUFFER);
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        sim_errf(err, "%s: not a regular file", path);
        goto err_close_file;
    }
    if (check_header(fp, path, &r->pcapng, &r->nano, err) != 0)
        goto err_close_file;

    char ebuf[PCAP_ERRBUF_SIZE] = "";
    r->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!r->p) {
        sim_errf(err, "%s: byte offset 0: unreadable file header (libpcap: %s)", path, ebuf);
        goto err_close_file;
    }
    r->fp = fp; /* now owned by r->p */
    r->linktype = pcap_datalink(r->p);
    if (r->linktype != PCAP_LINK_ETHERNET && r->linktype != PCAP_LINK_SLL2) {
        const char *name = pcap_datalink_val_to_name(r->linktype);
        sim_errf(err,
                 "%s: link type %d (%s) is not supported: expected Ethernet (1) or Linux "
                 "SLL2 (276)",
                 path, r->linktype, name ? name : "unknown");
        goto err_close_pcap;
    }
    r->snaplen = (uint32_t)pcap_snapshot(r->p);
    r->pos = PCAP_FILE_HEADER;
    *out = r;
    return 0;

err_close_pcap:
    pcap_close(r->p); /* closes fp */
    free(r->path);
    free(r);
    return -1;
err_close_file:
    fclose(fp);
err_free_reader:
    free(r->path);
    free(r);
    return -1;
}

/* "file: record N at byte offset O: " */
static int rec_errf(struct pcap_reader *r, long off, struct sim_err *err, const char *what,
                    const char *detail)
{
    r->failed = true;
    if (off >= 0)
        return sim_errf(err, "%s: record %" PRIu64 " at byte offset %ld: %s%s", r->path,
                        r->record + 1, off, what, detail);
    return sim_errf(err, "%s: record %" PRIu64 ": %s%s", r->path, r->record + 1, what, detail);
}

int pcap_reader_next(struct pcap_reader *r, struct pcap_rec *rec, struct sim_err *err)
{
    if (r->failed)
        return sim_errf(err, "%s: read after an error", r->path);
    long before = r->pcapng ? -1 : r->pos;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(r->p, &h, &data);
    if (rc == PCAP_ERROR_BREAK)
        return 0;
    if (rc != 1) {
        char detail[PCAP_ERRBUF_SIZE + 16];
        const char *msg = pcap_geterr(r->p);
        snprintf(detail, sizeof(detail), " (libpcap: %s)", msg);
        const char *what = strstr(msg, "truncated") ? "truncated record"
                           : strstr(msg, "capture length") ? "record length out of bounds"
                                                           : "unreadable record";
        return rec_errf(r, r->pcapng ? -1 : before, err, what, detail);
    }
    /* Only a record libpcap may have cut to the snaplen needs the stream's
     * position; the others advanced it by exactly header + caplen. */
    uint32_t declared = h->caplen;
    if (!r->pcapng && h->caplen >= r->snaplen) {
        long after = ftell(r->fp);
        if (after >= before + PCAP_REC_HEADER)
            declared = (uint32_t)(after - before - PCAP_REC_HEADER);
    }
    if (!r->pcapng)
        r->pos = before + PCAP_REC_HEADER + (long)declared;
    char detail[160];
    if (declared > r->snaplen) {
        snprintf(detail, sizeof(detail), " %" PRIu32 " exceeds the file's snaplen of %" PRIu32,
                 declared, r->snaplen);
        return rec_errf(r, r->pcapng ? -1 : before, err, "caplen", detail);
    }
    if (declared > PCAP_MAX_RECORD) {
        snprintf(detail, sizeof(detail), " %" PRIu32 " exceeds the bound of %u bytes", declared,
                 PCAP_MAX_RECORD);
        return rec_errf(r, r->pcapng ? -1 : before, err, "caplen", detail);
    }
    if (h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000000) {
        snprintf(detail, sizeof(detail), ": the fraction of a second is %ld %s",
                 (long)(r->nano ? h->ts.tv_usec : h->ts.tv_usec / 1000),
                 r->nano ? "ns (expected below 1000000000)" : "us (expected below 1000000)");
        return rec_errf(r, r->pcapng ? -1 : before, err, "bad time stamp", detail);
    }
    if (h->len < h->caplen) {
        snprintf(detail, sizeof(detail),
                 ": original length %" PRIu32 " is less than the %" PRIu32 " bytes captured",
                 h->len, h->caplen);
        return rec_errf(r, r->pcapng ? -1 : before, err, "bad length", detail);
    }
    memset(rec, 0, sizeof(*rec));
    rec->record = r->record + 1;
    rec->t = (sim_time)h->ts.tv_sec * 1000000000 + (sim_time)h->ts.tv_usec;
    rec->caplen = h->caplen;
    rec->len = h->len;
    rec->data = data;
    if (r->linktype == PCAP_LINK_SLL2) {
        if (h->caplen < SLL2_HEADER) {
            snprintf(detail, sizeof(detail),
                     ": %" PRIu32 " bytes captured, shorter than the 20-byte SLL2 header",
                     h->caplen);
            return rec_errf(r, r->pcapng ? -1 : before, err, "truncated SLL2 record", detail);
        }
        rec->sll2 = true;
        rec->protocol = be16(data);
        rec->ifindex = (int32_t)be32(data + 4);
        rec->hatype = be16(data + 8);
        rec->pkttype = data[10];
        rec->halen = data[11];
        memcpy(rec->addr, data + 12, 8);
        rec->payload = data + SLL2_HEADER;
        rec->payload_caplen = h->caplen - SLL2_HEADER;
        rec->payload_len = h->len >= SLL2_HEADER ? h->len - SLL2_HEADER : 0;
    } else {
        rec->payload = data;
        rec->payload_caplen = h->caplen;
        rec->payload_len = h->len;
    }
    r->record++;
    return 1;
}

int pcap_reader_linktype(const struct pcap_reader *r)
{
    return r->linktype;
}

uint32_t pcap_reader_snaplen(const struct pcap_reader *r)
{
    return r->snaplen;
}

bool pcap_reader_nano(const struct pcap_reader *r)
{
    return r->nano;
}

void pcap_reader_close(struct pcap_reader *r)
{
    if (!r)
        return;
    pcap_close(r->p);
    free(r->path);
    free(r);
}

/* ---- Writing ---------------------------------------------------------------------- */

int pcap_writer_open(const char *path, int linktype, uint32_t snaplen, bool nano,
                     struct pcap_writer **out, struct sim_err *err)
{
    *out = NULL;
    SIM_ASSERT(snaplen > 0 && snaplen <= PCAP_MAX_RECORD);
    struct pcap_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return sim_errf(err, "%s: out of memory", path);
    w->path = dup_path(path);
    if (!w->path) {
        sim_errf(err, "%s: out of memory", path);
        goto err_free_writer;
    }
    w->linktype = linktype;
    w->snaplen = snaplen;
    w->nano = nano;
    w->dead = pcap_open_dead_with_tstamp_precision(
        linktype, (int)snaplen, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!w->dead) {
        sim_errf(err, "%s: out of memory", path);
        goto err_free_writer;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        sim_errf(err, "%s: cannot create: %s", path, strerror(errno));
        goto err_close_dead;
    }
    w->d = pcap_dump_fopen(w->dead, fp);
    if (!w->d) {
        sim_errf(err, "%s: cannot write the pcap header (libpcap: %s)", path,
                 pcap_geterr(w->dead));
        fclose(fp);
        goto err_close_dead;
    }
    w->fp = fp;
    *out = w;
    return 0;

err_close_dead:
    pcap_close(w->dead);
err_free_writer:
    free(w->path);
    free(w);
    return -1;
}

int pcap_writer_put(struct pcap_writer *w, sim_time t, const uint8_t *data, uint32_t caplen,
                    uint32_t len, struct sim_err *err)
{
    SIM_ASSERT(len >= caplen);
    if (t < 0 || t / 1000000000 > (sim_time)UINT32_MAX)
        return sim_errf(err, "%s: time stamp %" PRId64 " ns is outside what pcap can hold",
                        w->path, t);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(t / 1000000000);
    sim_time frac = t % 1000000000;
    h.ts.tv_usec = (suseconds_t)(w->nano ? frac : frac / 1000);
    h.caplen = caplen > w->snaplen ? w->snaplen : caplen;
    h.len = len;
    pcap_dump((u_char *)w->d, &h, data);
    if (ferror(w->fp)) {
        if (!w->err)
            w->err = errno ? errno : EIO;
        return sim_errf(err, "%s: write failed: %s", w->path, strerror(w->err));
    }
    return 0;
}

int pcap_writer_close(struct pcap_writer *w, struct sim_err *err)
{
    if (!w)
        return 0;
    int rc = 0;
    errno = 0;
    if (pcap_dump_flush(w->d) != 0 || ferror(w->fp)) {
        int e = w->err ? w->err : errno ? errno : EIO;
        rc = sim_errf(err, "%s: write failed: %s", w->path, strerror(e));
    } else if (w->err) {
        rc = sim_errf(err, "%s: write failed: %s", w->path, strerror(w->err));
    }
    pcap_dump_close(w->d); /* closes fp */
    pcap_close(w->dead);
    free(w->path);
    free(w);
    return rc;
}
