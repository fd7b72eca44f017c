/*
 * gzip.h — a gzip stream, inflated a block at a time, ahead of its reader
 * on a thread of its own if asked.
 *
 * The stream is inflated into blocks of REMIT__GZ_BLOCK bytes (fewer at
 * its end) in a small ring, and read out of them.  On one thread the reader
 * fills each block as it comes to it; after remit__gz_ahead a helper thread
 * fills the ring while the reader reads, so that inflating (about two
 * thirds of a gzip file's tariff job) runs beside parsing and pricing.
 * Either way the blocks hold the same bytes, and an error met in a block
 * comes after every byte inflated before it: what a reader sees before a
 * corrupt stream fails does not depend on the thread.
 *
 * Concatenated members (as `cat a.gz b.gz` makes) are read in turn.
 */
#ifndef REMIT_GZIP_H
#define REMIT_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REMIT__GZ_BLOCK ((size_t)256 << 10) /* inflated bytes a block */
#define REMIT__GZ_RING 8                    /* blocks: at most this many inflated ahead */

typedef struct remit__gz remit__gz;

/* The stream whose first nhead bytes are head (copied; they hold the
 * magic), then the rest of file descriptor fd (read from where it is; not
 * closed), or if fd < 0 mem[mem_pos, mem_len).  NULL if out of memory. */
remit__gz *remit__gz_new(const unsigned char *head, size_t nhead, int fd, const unsigned char *mem,
			 size_t mem_len, size_t mem_pos);

/* Up to n (> 0) inflated bytes into dst: their count, 0 at the end of the last
 * member, or −1 at an error (*status a REMIT_E* code, *why its message,
 * valid until remit__gz_free: "truncated gzip stream", "corrupt gzip
 * stream: ...", "read error: ...", "out of memory while decompressing").
 * An error or the end is repeated by later calls. */
ssize_t remit__gz_read(remit__gz *g, unsigned char *dst, size_t n, int *status, const char **why);

/* From the next block on, inflate ahead on a helper thread (if one can be
 * started; else as before).  The bytes read are the same. */
void remit__gz_ahead(remit__gz *g);

/* Compressed bytes inflated into the blocks read so far (for progress). */
uint64_t remit__gz_used(const remit__gz *g);

/* Stop the helper (if any) and free g. */
void remit__gz_free(remit__gz *g);

#endif
