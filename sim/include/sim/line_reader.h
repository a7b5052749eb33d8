/*
 * Reading a text artifact one line at a time, with a bound on line length.
 *
 * The trace readers (QMP logs, guest consoles, QEMU stderr) use this so that
 * memory never grows with the file: one line is held at a time.  Lines may
 * contain any byte, NUL included (real serial consoles do); the reader
 * reports the line's length, its 1-based number and the byte offset where it
 * starts, so every error can name its position.  A last line without a
 * newline is returned with `partial` set: a QMP reader treats it as a
 * truncated record, a console reader as a line cut short.
 */
#ifndef SIM_LINE_READER_H
#define SIM_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/err.h"

struct line_reader {
    FILE *f;            /* owned */
    const char *name;   /* borrowed: the name used in messages */
    char *buf;          /* owned; the current line, NUL-terminated */
    size_t cap;         /* allocated size of buf */
    size_t max;         /* longest accepted line, in bytes */
    size_t len;         /* length of the current line, without the newline */
    uint64_t line;      /* 1-based number of the current line */
    uint64_t offset;    /* byte offset of the current line in the file */
    uint64_t next_off;  /* byte offset of the next line */
    bool partial;       /* the current line ended at end of file, no newline */
};

/* Open `path` for reading; `name` (borrowed until close) names it in
 * messages.  Returns 0, or -1 with "name: reason" in err. */
int line_reader_open(struct line_reader *r, const char *path, const char *name, size_t max,
                     struct sim_err *err);

/* Rewind to the start of the file (for a second pass). */
int line_reader_rewind(struct line_reader *r, struct sim_err *err);

/* Read the next line into r->buf (the newline removed, "\r" kept).
 * Returns 1, 0 at end of file, or -1 with err (a line longer than max,
 * a read error). */
int line_reader_next(struct line_reader *r, struct sim_err *err);

void line_reader_close(struct line_reader *r);

#endif
