/* SPDX-License-Identifier: ISC */
/* Whole reads, writes and random draws: the loops every key file's I/O
 * needs (a short count or EINTR is not the end). */
#ifndef SOCKCLOCK_FULLIO_H
#define SOCKCLOCK_FULLIO_H

#include <stdbool.h>
#include <stddef.h>

struct stat;
/* Open a key file to read it: never through a symbolic link, never
 * blocking, never as a terminal; fstat it into *st. The descriptor, or
 * -1 with *why: "missing", "a symbolic link (refused)" or the system's
 * word. */
int fio_open_key(const char *path, struct stat *st, const char **why);

/* Read fd until end of file or cap bytes; *len is what was read. False
 * on a read error (errno says which). */
bool fio_read_upto(int fd, void *buf, size_t cap, size_t *len);

/* Write all n bytes; false on an error or a write of nothing. */
bool fio_write_all(int fd, const void *buf, size_t n);

/* n bytes from getrandom (blocking until the pool is ready); false when
 * it fails. */
bool fio_random(void *buf, size_t n);

#endif
