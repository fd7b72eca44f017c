/*
 * gzip.c — a gzip stream inflated in blocks, ahead of its reader on a
 * helper thread if asked (see gzip.h).
 *
 * The ring: block k is filled into ring[k % REMIT__GZ_RING]; `filled`
 * blocks have been, and the reader has finished with `released` of them
 * and reads block `released`.  The filler may fill block k while
 * k < released + REMIT__GZ_RING, so it never writes the block being read.
 * A block that ends the stream (cleanly or at an error) is the last one
 * filled.  With a helper, `filled`, `released`, `done` and `stop` change
 * under the mutex; a block's bytes are written by the filler before it
 * counts the block filled, and read by the reader after it sees the count,
 * both under the mutex; the z_stream and the raw source belong to the
 * filler alone.
 */
#include "gzip.h"

#include "remit.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ZIN_SIZE ((size_t)256 << 10) /* compressed bytes read at a time */

struct block {
	unsigned char *p;
	size_t n;         /* inflated bytes in p */
	uint64_t used;    /* compressed bytes inflated once it was filled */
	bool last;        /* the stream ends after it: cleanly, or at status */
	int status;       /* 0, or the error that ends the stream here */
	char why[160];
};

struct remit__gz {
	/* the filler's: the compressed source and the inflater */
	z_stream z;
	bool member_end;
	unsigned char *zin;
	int fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	bool in_eof;
	uint64_t in_done; /* compressed bytes taken from the source */
	/* the ring */
	struct block ring[REMIT__GZ_RING];
	uint64_t filled, released;
	size_t at;        /* the reader's place in block `released` */
	uint64_t used;    /* the reader's: that block's `used` */
	bool done;        /* the last block is filled */
	/* the helper */
	bool ahead, started, stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* ---- filling a block (the filler's side) -------------------------------- */

static void block_fail(struct block *b, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void block_fail(struct block *b, int status, const char *fmt, ...)
{
	va_list ap;
	b->status = status;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
}

/* Up to n compressed bytes of the source into zin; 0 at its end, −1 at a
 * read error (errno). */
static ssize_t source_read(remit__gz *g, size_t n)
{
	ssize_t got;
	if (g->in_eof)
		return 0;
	if (g->fd < 0) {
		size_t left = g->mem_len - g->mem_pos;
		got = (ssize_t)(left < n ? left : n);
		if (got > 0)
			memcpy(g->zin, g->mem + g->mem_pos, (size_t)got);
		g->mem_pos += (size_t)got;
	} else {
		do
			got = read(g->fd, g->zin, n);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -1;
	}
	if (got == 0)
		g->in_eof = true;
	g->in_done += (uint64_t)got;
	return got;
}

/* Inflate the next REMIT__GZ_BLOCK bytes of the stream (fewer at its end
 * or at an error) into b. */
static void fill(remit__gz *g, struct block *b)
{
	z_stream *z = &g->z;
	z->next_out = b->p;
	z->avail_out = (uInt)REMIT__GZ_BLOCK;
	b->status = 0;
	b->last = false;
	while (z->avail_out > 0) {
		if (z->avail_in == 0 && !g->in_eof) {
			ssize_t got = source_read(g, ZIN_SIZE);
			if (got < 0) {
				block_fail(b, REMIT_EDATA, "read error: %s", strerror(errno));
				break;
			}
			z->next_in = g->zin;
			z->avail_in = (uInt)got;
		}
		if (g->member_end) {
			if (z->avail_in == 0) {
				b->last = true; /* the clean end of the last member */
				break;
			}
			inflateReset(z);
			g->member_end = false;
		}
		int zr = inflate(z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			g->member_end = true;
		} else if (zr == Z_BUF_ERROR && z->avail_in == 0 && g->in_eof) {
			block_fail(b, REMIT_EDATA, "truncated gzip stream");
			break;
		} else if (zr == Z_MEM_ERROR) {
			block_fail(b, REMIT_ENOMEM, "out of memory while decompressing");
			break;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			block_fail(b, REMIT_EDATA, "corrupt gzip stream: %s",
				   z->msg ? z->msg : "invalid data");
			break;
		}
	}
	b->n = REMIT__GZ_BLOCK - z->avail_out;
	b->last |= b->status != 0;
	b->used = g->in_done - z->avail_in;
}

/* The helper: fill blocks while there is room in the ring. */
static void *filler_main(void *arg)
{
	remit__gz *g = arg;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->stop && !g->done && g->filled >= g->released + REMIT__GZ_RING)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop || g->done)
			break;
		struct block *b = &g->ring[g->filled % REMIT__GZ_RING];
		pthread_mutex_unlock(&g->mu);
		fill(g, b);
		pthread_mutex_lock(&g->mu);
		g->filled++;
		g->done = b->last;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- reading (the reader's side) ---------------------------------------- */

remit__gz *remit__gz_new(const unsigned char *head, size_t nhead, int fd, const unsigned char *mem,
			 size_t mem_len, size_t mem_pos)
{
	remit__gz *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->fd = fd;
	g->mem = mem;
	g->mem_len = mem_len;
	g->mem_pos = mem_pos;
	g->zin = malloc(nhead > ZIN_SIZE ? nhead : ZIN_SIZE);
	bool ok = g->zin != NULL;
	for (int i = 0; i < REMIT__GZ_RING; i++)
		ok &= (g->ring[i].p = malloc(REMIT__GZ_BLOCK)) != NULL;
	if (!ok || inflateInit2(&g->z, 15 + 16) != Z_OK) {
		for (int i = 0; i < REMIT__GZ_RING; i++)
			free(g->ring[i].p);
		free(g->zin);
		free(g);
		return NULL;
	}
	memcpy(g->zin, head, nhead);
	g->z.next_in = g->zin;
	g->z.avail_in = (uInt)nhead;
	g->in_done = nhead;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	return g;
}

void remit__gz_ahead(remit__gz *g)
{
	g->ahead = true; /* the helper starts at the next block */
}

/* Block `released`, filled: by this thread, or by the helper (started
 * here the first time). */
static struct block *current(remit__gz *g)
{
	if (!g->ahead) {
		if (g->filled == g->released) {
			struct block *b = &g->ring[g->filled % REMIT__GZ_RING];
			fill(g, b);
			g->filled++;
			g->done = b->last;
		}
		return &g->ring[g->released % REMIT__GZ_RING];
	}
	pthread_mutex_lock(&g->mu);
	if (!g->started && !g->done) {
		g->started = pthread_create(&g->thread, NULL, filler_main, g) == 0;
		if (!g->started) { /* no thread: fill here, as before */
			g->ahead = false;
			pthread_mutex_unlock(&g->mu);
			return current(g);
		}
	}
	while (g->filled == g->released)
		pthread_cond_wait(&g->cv, &g->mu);
	struct block *b = &g->ring[g->released % REMIT__GZ_RING];
	pthread_mutex_unlock(&g->mu);
	return b;
}

/* The reader is done with block `released`. */
static void release(remit__gz *g)
{
	if (g->started)
		pthread_mutex_lock(&g->mu);
	g->released++;
	g->at = 0;
	if (g->started) {
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
}

ssize_t remit__gz_read(remit__gz *g, unsigned char *dst, size_t n, int *status, const char **why)
{
	for (;;) {
		struct block *b = current(g);
		g->used = b->used;
		if (g->at < b->n) {
			size_t k = b->n - g->at < n ? b->n - g->at : n;
			memcpy(dst, b->p + g->at, k);
			g->at += k;
			return (ssize_t)k;
		}
		if (b->last) { /* kept, so that later calls say the same */
			if (!b->status)
				return 0;
			*status = b->status;
			*why = b->why;
			return -1;
		}
		release(g);
	}
}

uint64_t remit__gz_used(const remit__gz *g)
{
	return g->used;
}

void remit__gz_free(remit__gz *g)
{
	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = true;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	inflateEnd(&g->z);
	for (int i = 0; i < REMIT__GZ_RING; i++)
		free(g->ring[i].p);
	free(g->zin);
	free(g);
}
