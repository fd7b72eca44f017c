/*
 * test_gzip.c — a gzip stream inflated in blocks, on the reader's thread or
 * ahead of it on a helper (lib/gzip.c).
 *
 * The streams are made here with zlib's deflate, from text whose every
 * line is known; a damaged stream's expected bytes are what zlib's own
 * inflate gets out of it in one call, independently of the blocks.
 */
#include "gzip.h"
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* n bytes of lines "0000017,<k letters>\n" (the last one cut short). */
static unsigned char *text_of(size_t n)
{
	unsigned char *t = malloc(n);
	size_t at = 0;
	for (unsigned i = 0; at < n; i++) {
		char line[64];
		int k = snprintf(line, sizeof line, "%07u,", i);
		for (unsigned j = 0; j < i % 23; j++)
			line[k++] = (char)('a' + (i + j) % 26);
		line[k++] = '\n';
		size_t take = (size_t)k < n - at ? (size_t)k : n - at;
		memcpy(t + at, line, take);
		at += take;
	}
	return t;
}

/* n bytes of text_of as one gzip member: the stream (*len bytes), and the
 * text in *text. */
static unsigned char *gzip_of(size_t n, unsigned char **text, size_t *len)
{
	*text = text_of(n);
	return remit_test_gzip(*text, n, len);
}

/* Read the stream gz[0, n) (a memory source; its first `head` bytes as
 * the head) in steps of the sizes given in turn, ahead on a helper from
 * byte `ahead_at` on (SIZE_MAX: never), into dst.  Returns the bytes read;
 * *rc the last call's result, *status and *why its error; *out the stream,
 * for the caller to free. */
static size_t read_all(const unsigned char *gz, size_t n, size_t head, size_t ahead_at,
		       unsigned char *dst, size_t cap, ssize_t *rc, int *status, const char **why,
		       remit__gz **out)
{
	static const size_t steps[] = {777, 100000, 1, 262144, 4096};
	remit__gz *g = remit__gz_new(gz, head, -1, gz, n, head);
	cr_assert_not_null(g);
	size_t at = 0;
	for (unsigned k = 0;; k++) {
		if (at >= ahead_at)
			remit__gz_ahead(g);
		size_t want = steps[k % 5];
		if (want > cap - at)
			want = cap - at;
		*rc = remit__gz_read(g, dst + at, want, status, why);
		if (*rc <= 0)
			break;
		at += (size_t)*rc;
	}
	*out = g; /* (*why is g's) */
	return at;
}

/* Three members (the cuts not at block boundaries), 3 MB inflated: the
 * same bytes on one thread, ahead from the start, and ahead from the
 * middle of a block; the end is said twice; every compressed byte used. */
Test(gzip, blocks_hold_the_stream_on_either_thread)
{
	size_t n = 3 * 1000 * 1000 + 17, len = 0;
	unsigned char *text = text_of(n), *gz = NULL;
	remit_test_gzip_append(text, 1000003, &gz, &len);
	remit_test_gzip_append(text + 1000003, 5, &gz, &len);
	remit_test_gzip_append(text + 1000008, n - 1000008, &gz, &len);
	unsigned char *out = malloc(n + 1);
	const size_t aheads[] = {SIZE_MAX, 0, 300000};
	for (int k = 0; k < 3; k++) {
		ssize_t rc;
		int status = 0;
		const char *why = NULL;
		remit__gz *g;
		memset(out, 0, n + 1);
		size_t got = read_all(gz, len, 10, aheads[k], out, n + 1, &rc, &status, &why, &g);
		cr_assert_eq(rc, 0, "ahead at %zu", aheads[k]);
		cr_assert_eq(got, n, "ahead at %zu: %zu bytes", aheads[k], got);
		cr_assert(memcmp(out, text, n) == 0, "ahead at %zu", aheads[k]);
		cr_assert_eq(remit__gz_read(g, out, 10, &status, &why), 0);
		cr_assert_eq(remit__gz_used(g), len);
		remit__gz_free(g);
	}
	free(out);
	free(gz);
	free(text);
}

/* Progress: once a block is being read, the compressed bytes zlib took to
 * inflate it (what zlib alone takes to fill a block from the stream). */
Test(gzip, used_counts_the_compressed_bytes_behind_the_blocks)
{
	size_t n = 2 * 1000 * 1000, len;
	unsigned char *text, *gz = gzip_of(n, &text, &len);
	unsigned char *out = malloc(REMIT__GZ_BLOCK);
	z_stream z = {0};
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = gz;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)REMIT__GZ_BLOCK;
	cr_assert_eq(inflate(&z, Z_NO_FLUSH), Z_OK);
	cr_assert_eq(z.avail_out, 0);
	uint64_t first = z.total_in;
	inflateEnd(&z);
	cr_assert_lt(first, len / 2);
	for (int k = 0; k < 2; k++) {
		remit__gz *g = remit__gz_new(gz, 10, -1, gz, len, 10);
		if (k)
			remit__gz_ahead(g);
		int status;
		const char *why;
		cr_assert_eq(remit__gz_used(g), 0); /* nothing read yet */
		cr_assert_eq(remit__gz_read(g, out, 1, &status, &why), 1);
		cr_assert_eq(remit__gz_used(g), first, "%s: %llu, not %llu", k ? "ahead" : "one thread",
			     (unsigned long long)remit__gz_used(g), (unsigned long long)first);
		remit__gz_free(g);
	}
	free(out);
	free(gz);
	free(text);
}

/* Reading gz[0, len) on one thread, then ahead: the `expect` bytes of
 * first, then the error `want` (REMIT_EDATA), said again by the next call. */
static void fails_after(const unsigned char *gz, size_t len, const unsigned char *first,
			size_t expect, const char *want)
{
	size_t cap = expect + REMIT__GZ_BLOCK;
	unsigned char *out = malloc(cap);
	for (int k = 0; k < 2; k++) {
		ssize_t rc;
		int status = 0;
		const char *why = NULL;
		remit__gz *g;
		size_t got = read_all(gz, len, 2, k ? 0 : SIZE_MAX, out, cap, &rc, &status, &why, &g);
		cr_assert_eq(rc, -1);
		cr_assert_eq(got, expect, "%s: %zu bytes, not %zu", k ? "ahead" : "one thread", got,
			     expect);
		cr_assert(memcmp(out, first, got) == 0);
		cr_assert_eq(status, REMIT_EDATA);
		cr_assert_str_eq(why, want);
		status = 0;
		cr_assert_eq(remit__gz_read(g, out, 10, &status, &why), -1);
		cr_assert_eq(status, REMIT_EDATA);
		cr_assert_str_eq(why, want);
		remit__gz_free(g);
	}
	free(out);
}

/* Cut short at a third of its compressed bytes: every byte zlib can
 * inflate from the cut stream comes first, then "truncated gzip stream";
 * the same on either thread. */
Test(gzip, a_cut_stream_gives_its_bytes_then_the_error)
{
	size_t n = 2 * 1000 * 1000, len;
	unsigned char *text, *gz = gzip_of(n, &text, &len);
	size_t cut = len / 3, expect;
	unsigned char *out = malloc(n);
	char msg[128];
	cr_assert_eq(remit_test_inflate_once(gz, cut, out, n, &expect, msg, sizeof msg), Z_OK);
	cr_assert_gt(expect, REMIT__GZ_BLOCK); /* the error is in a later block */
	cr_assert_lt(expect, n);
	fails_after(gz, cut, text, expect, "truncated gzip stream");
	free(out);
	free(gz);
	free(text);
}

/* A byte of the data damaged past the first block: zlib's own message,
 * after the bytes it inflated before it, on either thread. */
Test(gzip, damaged_data_fails_at_the_same_byte)
{
	size_t n = 2 * 1000 * 1000, len;
	unsigned char *text, *gz = gzip_of(n, &text, &len);
	gz[len / 2] ^= 0x55;
	size_t expect;
	unsigned char *out = malloc(n + 1);
	char msg[128], want[160];
	int zr = remit_test_inflate_once(gz, len, out, n + 1, &expect, msg, sizeof msg);
	cr_assert_eq(zr, Z_DATA_ERROR, "zlib says %d (%s)", zr, msg);
	cr_assert_gt(expect, REMIT__GZ_BLOCK); /* the error is in a later block */
	snprintf(want, sizeof want, "corrupt gzip stream: %s", msg);
	fails_after(gz, len, out, expect, want);
	free(out);
	free(gz);
	free(text);
}

/* The source is a file descriptor that cannot be read (a directory): the
 * head (the member's 10-byte header) inflates to nothing, then "read
 * error: Is a directory". */
Test(gzip, a_source_that_cannot_be_read)
{
	size_t len;
	unsigned char *text, *gz = gzip_of(1000, &text, &len);
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	for (int k = 0; k < 2; k++) {
		remit__gz *g = remit__gz_new(gz, 10, fd, NULL, 0, 0);
		cr_assert_not_null(g);
		if (k)
			remit__gz_ahead(g);
		unsigned char out[2000];
		int status = 0;
		const char *why = NULL;
		cr_assert_eq(remit__gz_read(g, out, sizeof out, &status, &why), -1);
		cr_assert_eq(status, REMIT_EDATA);
		cr_assert_str_eq(why, "read error: Is a directory");
		remit__gz_free(g);
	}
	close(fd);
	free(gz);
	free(text);
}

/* Freed with its helper filling the ring, a few bytes read: it stops. */
Test(gzip, freed_while_the_helper_is_ahead)
{
	size_t n = 4 * 1000 * 1000, len;
	unsigned char *text, *gz = gzip_of(n, &text, &len);
	for (int k = 0; k < 20; k++) {
		remit__gz *g = remit__gz_new(gz, 2, -1, gz, len, 2);
		remit__gz_ahead(g);
		unsigned char out[100];
		int status;
		const char *why;
		cr_assert_eq(remit__gz_read(g, out, sizeof out, &status, &why), 100);
		cr_assert(memcmp(out, text, 100) == 0);
		remit__gz_free(g);
	}
	free(gz);
	free(text);
}
