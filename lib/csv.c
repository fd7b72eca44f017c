/*
 * csv.c — a streaming RFC 4180 reader (see csv.h).
 *
 * The idea: bytes flow from a source (a file descriptor or a memory buffer,
 * either of them plain or gzip: the first two bytes decide) into one window
 * buffer.  A record is scanned from its first byte to its line end inside
 * the window, by a byte loop over a class table (most bytes are ordinary
 * and cost one load and one compare).  If the scan runs into the end of the
 * window before the record ends, the unconsumed tail is moved to the front,
 * the window is refilled (doubled first if the record alone fills it) and
 * the record is scanned again from its start.  Records are short next to
 * the window, so rescans are rare and memory stays bounded by the longest
 * record.
 *
 * The window is never written to while scanning (apart from a NUL sentinel
 * after its last byte, which ends every inner loop), so a rescan is always
 * possible and `raw` is always the record's original bytes.  A quoted field
 * without "" escapes is a slice of the window between its quotes; a field
 * with escapes is unescaped into a second buffer, `scratch`, as large as
 * the window (a record's unescaped fields never take more room than the
 * record itself).  So nothing is allocated per record.
 *
 * A plain regular file is not read into the window but mapped whole (struct
 * map): the window is then the file, followed by zero bytes (the sentinel
 * and PAD), and needs no refill; pages more than MAP_STEP behind the
 * reader are let go as it moves on, so that its resident memory stays
 * bounded as the window's does.  Clones (parts read on other threads)
 * share the mapping.  Memory buffers, gzip and pipes use the window.
 *
 * A stream that cannot be read again (gzip, a pipe) can be copied as it is
 * read (remit__csv_spool): each refill writes the bytes it brings into the
 * window to a temporary file at their offset in the stream, before any of
 * them is scanned.  So every record returned so far is in the copy, at its
 * own offset, and clones read the copy with pread as they would a plain
 * file.  remit__csv_spool_rest copies what is left of the stream at once
 * and reads on from the copy; remit__csv_reopen reads the whole copy
 * again, mapped like a plain file.
 *
 * Columns are byte offsets from the start of the physical line, 1-based; a
 * byte-order mark before the header is skipped and not counted.  A lone CR
 * that is not followed by LF (and not at end of input) is an ordinary byte.
 */
#include "csv.h"

#include "gzip.h"
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CSV_AVX2 /* a 64-byte scan (two 32-byte loads), chosen at run time */
#endif

#define WINDOW_INIT (1u << 20)
/* A record of REMIT__CSV_MAX_RECORD bytes plus its line end must fit. */
#define WINDOW_MAX ((size_t)REMIT__CSV_MAX_RECORD + 4096)
#define ZIN_SIZE (256u << 10) /* compressed input buffer */
#define SPOOL_CHUNK (1u << 20) /* bytes copied at a time by remit__csv_spool_rest */
#define PAD 64                /* readable bytes after the window's sentinel */
#define PART_SLACK (64u << 10) /* read ahead past a part's stop */
#define MAP_STEP (4u << 20)    /* a mapped file's pages are let go this far behind */

typedef unsigned char uchar;

/* A file mapped whole, shared by a reader and its clones. */
struct map {
	uchar *p;    /* the file's bytes, then at least PAD + 1 zero bytes */
	size_t size; /* of the mapping */
	int refs;    /* readers using it (changed atomically) */
};

struct remit__csv {
	char *name;
	/* source */
	int fd;                 /* -1 when reading memory */
	bool regular;           /* fd is a regular file: it can be read at any offset */
	bool part;              /* reading from an offset (pread), see remit__csv_seek */
	uint64_t src_pos;       /* with part: the file offset of the next read */
	const uchar *mem;
	size_t mem_len, mem_pos;
	bool in_eof;            /* the source has no more bytes */
	uint64_t in_done;       /* bytes taken from the source */
	uint64_t in_total;      /* source size, 0 if unknown */
	uchar *zin;             /* the first bytes, until they are known plain or gzip */
	remit__gz *gz;          /* a gzip source: its inflated bytes */
	bool plain;             /* never gzip (a copy holds inflated bytes) */
	/* the stream's copy (remit__csv_spool): see the top of the file */
	int spool_fd;           /* -1: none; it holds the whole stream once eof */
	bool from_spool;        /* the source is now the copy, read by pread at src_pos */
	int spool_status;       /* the stream's error after the copied bytes (0: none), */
	char spool_why[200];    /* ... told when the reader comes to it */
	/* window: buf[pos, end) is unconsumed, buf[end] == 0; PAD readable
	 * bytes follow buf[end] (for 16-byte loads) */
	uchar *buf;
	size_t cap, pos, end;
	uint64_t base;          /* stream offset of buf[0] */
	uint64_t stop;          /* no record starting at or after this offset is returned */
	uint64_t tick;          /* the fast path gives way to next_slow here: stop, or
				   sooner for a mapped file's housekeeping */
	struct map *map;        /* the window is a mapped file (buf is map->p) */
	uint64_t let_go;        /* a mapped file's pages before this are let go */
	size_t slack;           /* with part: bytes read past stop at a time */
	bool eof;               /* nothing more will come into the window */
	bool bom_checked;
	unsigned scan;          /* the fast scan's block: 16 or 64 bytes (AVX2); 0: none */
	uint64_t line;          /* line number at buf[pos] */
	char *scratch;
	size_t scratch_cap;
	/* the current record */
	remit__str *fields;
	/* the sink (remit__csv_set_sink): nsink places, then spares for the
	   fields past them in a block (a record the sink then refuses) */
	remit__str **sink;
	uint32_t nsink;
	remit__str spare;
	uint64_t *fline;
	uint32_t *fcol;
	/* a fatal error is sticky */
	remit_error fail;
};

/* ---- errors ------------------------------------------------------------ */

static void set_error(remit_error *err, int status, const char *file, uint64_t line,
		      uint32_t col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void set_error(remit_error *err, int status, const char *file, uint64_t line,
		      uint32_t col, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->status = status;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = (unsigned long)line;
	err->column = col;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* Record a fatal error in the reader (so later calls repeat it) and in err. */
static int fatal_at(remit__csv *c, remit_error *err, int status, uint64_t line, uint32_t col,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fatal_at(remit__csv *c, remit_error *err, int status, uint64_t line, uint32_t col,
		    const char *fmt, ...)
{
	va_list ap;

	c->fail.status = status;
	snprintf(c->fail.file, sizeof(c->fail.file), "%s", c->name);
	c->fail.line = (unsigned long)line;
	c->fail.column = col;
	va_start(ap, fmt);
	vsnprintf(c->fail.message, sizeof(c->fail.message), fmt, ap);
	va_end(ap);
	if (err)
		*err = c->fail;
	return status;
}

/* ...at the line where the current record starts. */
#define fatal(c, err, status, col, ...) fatal_at(c, err, status, (c)->line, col, __VA_ARGS__)

/* ---- sources ----------------------------------------------------------- */

/* read(2), again when a signal interrupts it. */
static ssize_t read_retry(int fd, uchar *dst, size_t n)
{
	ssize_t got;
	do
		got = read(fd, dst, n);
	while (got < 0 && errno == EINTR);
	return got;
}

/* Up to n bytes of the raw source; 0 at its end. */
static ssize_t src_read(remit__csv *c, uchar *dst, size_t n, remit_error *err)
{
	ssize_t got;

	if (c->in_eof || n == 0)
		return 0;
	if (c->fd < 0 && !c->from_spool) {
		size_t left = c->mem_len - c->mem_pos;
		got = (ssize_t)(left < n ? left : n);
		if (got > 0) /* an empty buffer may be NULL */
			memcpy(dst, c->mem + c->mem_pos, (size_t)got);
		c->mem_pos += (size_t)got;
	} else if (c->part || c->from_spool) {
		int fd = c->from_spool ? c->spool_fd : c->fd;
		do
			got = pread(fd, dst, n, (off_t)c->src_pos);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return fatal(c, err, REMIT_EDATA, 0, "read error: %s", strerror(errno));
		c->src_pos += (uint64_t)got;
	} else {
		got = read_retry(c->fd, dst, n);
		if (got < 0)
			return fatal(c, err, REMIT_EDATA, 0, "read error: %s", strerror(errno));
	}
	if (got == 0)
		c->in_eof = true;
	c->in_done += (uint64_t)got;
	return got;
}

/* Fill dst with n bytes of the raw source, fewer only at its end. */
static ssize_t src_read_full(remit__csv *c, uchar *dst, size_t n, remit_error *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = src_read(c, dst + done, n - done, err);
		if (got < 0)
			return got;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/* Up to n inflated bytes of a gzip source; 0 at the end of its last
 * member.  An error comes after every byte inflated before it: if this
 * refill has some already (got_some), it returns −1 with nothing said, and
 * the next refill (which remit__gz_read answers with the error again)
 * tells it. */
static ssize_t gz_read(remit__csv *c, uchar *dst, size_t n, bool got_some, remit_error *err)
{
	int status;
	const char *why;
	ssize_t got = remit__gz_read(c->gz, dst, n, &status, &why);
	if (got < 0 && !got_some)
		return fatal(c, err, status, 0, "%s", why);
	return got;
}

/* ---- the copy of a stream ---------------------------------------------- */

/* Write n bytes of the stream, from stream offset `at`, to its copy. */
static int spool_write(remit__csv *c, const uchar *p, size_t n, uint64_t at, remit_error *err)
{
	while (n > 0) {
		ssize_t w = pwrite(c->spool_fd, p, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fatal(c, err, REMIT_EDATA, 0,
				     "cannot write the temporary copy of this stream (%s); TMPDIR "
				     "names where it goes",
				     strerror(w < 0 ? errno : ENOSPC));
		p += w;
		n -= (size_t)w;
		at += (uint64_t)w;
	}
	return 0;
}

/* Up to n more bytes of the stream past the window, for the copy: their
 * count, 0 at its end, or −1 at an error (kept in spool_status and
 * spool_why, to be told when the reader comes to it). */
static ssize_t stream_take(remit__csv *c, uchar *dst, size_t n)
{
	ssize_t got;
	if (c->gz) {
		const char *why;
		got = remit__gz_read(c->gz, dst, n, &c->spool_status, &why);
		if (got < 0)
			snprintf(c->spool_why, sizeof c->spool_why, "%s", why);
		return got;
	}
	if (c->in_eof)
		return 0;
	got = read_retry(c->fd, dst, n);
	if (got < 0) {
		c->spool_status = REMIT_EDATA;
		snprintf(c->spool_why, sizeof c->spool_why, "read error: %s", strerror(errno));
	}
	if (got == 0)
		c->in_eof = true;
	return got;
}

/* ---- the window -------------------------------------------------------- */

static int grow_window(remit__csv *c, remit_error *err)
{
	size_t ncap = c->cap * 2;

	if (c->cap >= WINDOW_MAX)
		return fatal(c, err, REMIT_EDATA, 1, "record too long: more than %u bytes",
			     (unsigned)REMIT__CSV_MAX_RECORD);
	if (ncap > WINDOW_MAX)
		ncap = WINDOW_MAX;
	uchar *nb = realloc(c->buf, ncap + 1 + PAD);
	if (!nb)
		return fatal(c, err, REMIT_ENOMEM, 0, "out of memory for a %zu-byte record", ncap);
	memset(nb + c->cap + 1, 0, ncap - c->cap + PAD); /* defined bytes for 16-byte loads */
	c->buf = nb;
	c->cap = ncap;
	return 0;
}

/* Move the unconsumed tail to the front (growing the window if the tail
 * fills it) and read until the window is full or the input ends. */
static int refill(remit__csv *c, remit_error *err)
{
	if (c->map)
		return 0; /* the whole file is in the window already */
	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->end - c->pos);
		c->end -= c->pos;
		c->base += c->pos;
		c->pos = 0;
	}
	if (c->end == c->cap) {
		int rc = grow_window(c, err);
		if (rc < 0)
			return rc;
	}
	/* A part is read up to a little past its stop, not a whole window. */
	size_t want = c->cap - c->end;
	if (c->part) {
		uint64_t at = c->base + c->end;
		uint64_t w = c->stop != UINT64_MAX && at < c->stop ? c->stop - at + c->slack : c->slack;
		if (w < want)
			want = (size_t)w;
	}
	size_t limit = c->end + want, end0 = c->end;
	while (c->end < limit && !c->eof) {
		size_t room = limit - c->end;
		ssize_t got = c->gz ? gz_read(c, c->buf + c->end, room, c->end > end0, err)
				    : src_read(c, c->buf + c->end, room, err);
		if (got < 0 && c->gz && c->end > end0)
			break; /* the bytes before a gzip error first */
		if (got < 0)
			return (int)got;
		if (got == 0 && c->spool_status) { /* the copy ends where the stream failed */
			if (c->end > end0)
				break; /* its bytes first */
			return fatal(c, err, c->spool_status, 0, "%s", c->spool_why);
		}
		if (got == 0)
			c->eof = true;
		c->end += (size_t)got;
	}
	c->buf[c->end] = '\0';
	if (c->spool_fd >= 0 && !c->from_spool && c->end > end0) {
		int rc = spool_write(c, c->buf + end0, c->end - end0, c->base + end0, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- a mapped file ------------------------------------------------------ */

static size_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);
	return n > 0 ? (size_t)n : 4096;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Map c's plain regular file of n bytes whole as its window; false (and
 * nothing changed) if it cannot be mapped or is gzip: it is then read. */
static bool map_file(remit__csv *c, uint64_t size64)
{
	size_t page = page_size(), n = (size_t)size64;
	if (size64 == 0 || size64 > SIZE_MAX / 2)
		return false;
	size_t file_pages = (n + page - 1) / page * page, size = (n + PAD + 1 + page - 1) / page * page;
	/* zero pages, then the file over their start: the bytes after it
	   (the rest of its last page, then whole pages) read as zero */
	uchar *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	struct map *m = malloc(sizeof *m);
	if (!m || mmap(p, file_pages, PROT_READ, MAP_PRIVATE | MAP_FIXED, c->fd, 0) == MAP_FAILED ||
	    (!c->plain && n >= 2 && p[0] == 0x1f && p[1] == 0x8b)) {
		free(m);
		munmap(p, size);
		return false;
	}
	madvise(p, file_pages, MADV_SEQUENTIAL);
	*m = (struct map){p, size, 1};
	free(c->buf);
	free(c->zin);
	c->zin = NULL;
	c->map = m;
	c->buf = p;
	c->cap = c->end = n;
	c->in_done = n;
	c->eof = c->in_eof = true;
	c->tick = min64(MAP_STEP, c->stop);
	return true;
}

/* Let go of the mapped pages from let_go up to the page of byte `to`
 * (they are read again from the page cache if a reread needs them; a
 * page another clone is reading simply comes back). */
static void map_let_go(remit__csv *c, size_t to)
{
	to = to / page_size() * page_size();
	if (to > c->let_go) {
		madvise(c->buf + c->let_go, to - c->let_go, MADV_DONTNEED);
		c->let_go = to;
	}
}

/* Past the tick: let go of the pages more than MAP_STEP behind the
 * reader, and set the next tick. */
static void map_move_on(remit__csv *c)
{
	if (c->pos >= c->let_go + 2 * (size_t)MAP_STEP)
		map_let_go(c, c->pos - MAP_STEP);
	c->tick = min64(c->pos + MAP_STEP, c->stop);
}

static void map_release(struct map *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		munmap(m->p, m->size);
		free(m);
	}
}

/* ---- opening ----------------------------------------------------------- */

static remit__csv *csv_new(const char *name)
{
	remit__csv *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = -1;
	c->spool_fd = -1;
	c->line = 1;
	c->name = strdup(name ? name : "");
	c->cap = WINDOW_INIT;
	c->stop = c->tick = UINT64_MAX;
	c->slack = PART_SLACK;
	c->buf = calloc(1, c->cap + 1 + PAD); /* defined bytes for 16-byte loads */
	c->zin = malloc(ZIN_SIZE);
	c->fields = malloc(REMIT__CSV_MAX_FIELDS * sizeof(*c->fields));
	c->fline = malloc(REMIT__CSV_MAX_FIELDS * sizeof(*c->fline));
	c->fcol = malloc(REMIT__CSV_MAX_FIELDS * sizeof(*c->fcol));
	if (!c->name || !c->buf || !c->zin || !c->fields || !c->fline || !c->fcol) {
		remit__csv_close(c);
		return NULL;
	}
	c->buf[0] = '\0';
	remit__csv_set_scan(c, 64);
	return c;
}

/* Read the first bytes and decide: gzip (they stay in zin as compressed
 * input) or plain (they move into the window). */
static int start(remit__csv *c, remit_error *err)
{
	ssize_t got = src_read_full(c, c->zin, ZIN_SIZE, err);

	if (got < 0)
		return (int)got;
	if (!c->plain && got >= 2 && c->zin[0] == 0x1f && c->zin[1] == 0x8b) {
		c->gz = remit__gz_new(c->zin, (size_t)got, c->fd, c->mem, c->mem_len, c->mem_pos);
		if (!c->gz)
			return fatal(c, err, REMIT_ENOMEM, 0, "out of memory");
	} else {
		memcpy(c->buf, c->zin, (size_t)got);
		c->end = (size_t)got;
		c->buf[c->end] = '\0';
	}
	free(c->zin);
	c->zin = NULL;
	return 0;
}

static int open_finish(remit__csv *c, remit__csv **out, remit_error *err)
{
	int rc = start(c, err);

	if (rc < 0) {
		remit__csv_close(c);
		*out = NULL;
		return rc;
	}
	*out = c;
	return 0;
}

int remit__csv_open(const char *path, remit__csv **out, remit_error *err)
{
	return remit__csv_open_how(path, true, out, err);
}

/* Open c, whose file descriptor is c->fd: mapped if map and it is a plain
 * regular file. */
static int open_fd(remit__csv *c, bool map, remit__csv **out, remit_error *err)
{
	struct stat st;

	if (fstat(c->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			set_error(err, REMIT_EDATA, c->name, 0, 0, "cannot open: %s", strerror(EISDIR));
			remit__csv_close(c);
			*out = NULL;
			return REMIT_EDATA;
		}
		if (S_ISREG(st.st_mode)) {
			c->in_total = (uint64_t)st.st_size;
			c->regular = true;
		}
	}
	if (map && c->regular && map_file(c, c->in_total)) {
		*out = c;
		return 0;
	}
	return open_finish(c, out, err);
}

int remit__csv_open_how(const char *path, bool map, remit__csv **out, remit_error *err)
{
	remit__csv *c = csv_new(path);

	*out = NULL;
	if (!c) {
		set_error(err, REMIT_ENOMEM, path, 0, 0, "out of memory");
		return REMIT_ENOMEM;
	}
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		set_error(err, REMIT_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
		remit__csv_close(c);
		return REMIT_EDATA;
	}
	return open_fd(c, map, out, err);
}

int remit__csv_open_mem(const char *data, size_t len, const char *name, remit__csv **out,
			remit_error *err)
{
	remit__csv *c = csv_new(name);

	*out = NULL;
	if (!c) {
		set_error(err, REMIT_ENOMEM, name, 0, 0, "out of memory");
		return REMIT_ENOMEM;
	}
	c->mem = (const uchar *)data;
	c->mem_len = len;
	c->in_total = len;
	return open_finish(c, out, err);
}

/* ---- scanning ---------------------------------------------------------- */

/* Byte classes.  Class 0 is an ordinary byte: the inner loops skip those. */
enum { B_PLAIN, B_COMMA, B_LF, B_CR, B_QUOTE, B_NUL, B_HIGH };

static const uchar class_plain[256] = {
	[0] = B_NUL, [','] = B_COMMA, ['\n'] = B_LF, ['\r'] = B_CR, ['"'] = B_QUOTE,
	[0x80 ... 0xff] = B_HIGH,
};

/* Inside quotes, comma and CR are data. */
static const uchar class_quoted[256] = {
	[0] = B_NUL, ['\n'] = B_LF, ['"'] = B_QUOTE, [0x80 ... 0xff] = B_HIGH,
};

/* How a field ended (T_ON: it has not, go on scanning it). */
enum { T_COMMA, T_EOL, T_EOF, T_MORE, T_ON };

/* The state of one scan of one record. */
struct scan {
	remit__csv *c;
	const uchar *p, *end;
	const uchar *ls;        /* start of the current physical line */
	uint64_t line;
	unsigned eol;           /* length of the record's line end (0, 1, 2) */
	size_t sp;              /* bytes of scratch used */
	bool scratch_ready;
	bool too_long;          /* a record too long for scratch (mapped file) */
	remit__csv_record *rec;
};

static uint32_t col_of(const struct scan *s, const uchar *p)
{
	return (uint32_t)(p - s->ls) + 1;
}

static void note_error(struct scan *s, uint64_t line, uint32_t col, const char *msg)
{
	if (s->rec->error)
		return; /* the first one is reported */
	s->rec->error = msg;
	s->rec->error_line = line;
	s->rec->error_col = col;
}

static void note_error_here(struct scan *s, const char *msg)
{
	note_error(s, s->line, col_of(s, s->p), msg);
}

/* Length of the valid UTF-8 sequence at p (2-4), 0 if invalid, -1 if it
 * may be valid but runs past the window's end. */
static int utf8_len(const uchar *p, const uchar *end)
{
	uchar c = p[0], lo = 0x80, hi = 0xbf;
	int n;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	for (int i = 1; i < n; i++) {
		if (p + i >= end)
			return -1;
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* A byte >= 0x80 at s->p: step over its sequence.  False: need more input. */
static bool step_high(struct scan *s)
{
	int n = utf8_len(s->p, s->end);

	if (n < 0 && !s->c->eof)
		return false;
	if (n <= 0) {
		note_error_here(s, "invalid UTF-8");
		n = 1;
	}
	s->p += n;
	return true;
}

/* At a NUL: the sentinel (end of the window) or a NUL byte of the data.
 * Returns T_EOF or T_MORE at the sentinel, T_ON after stepping over a NUL
 * of the data. */
static int step_nul(struct scan *s)
{
	if (s->p == s->end)
		return s->c->eof ? T_EOF : T_MORE;
	note_error_here(s, "NUL byte");
	s->p++;
	return T_ON;
}

/* At a CR outside quotes: a line end if LF follows or the input ends there.
 * Returns T_EOL, T_MORE, or T_ON after stepping over a lone CR (data). */
static int step_cr(struct scan *s)
{
	if (s->p + 1 < s->end) {
		if (s->p[1] == '\n') {
			s->eol = 2;
			return T_EOL;
		}
		s->p++;
		return T_ON;
	}
	if (!s->c->eof)
		return T_MORE;
	s->eol = 1;
	return T_EOL;
}

/* The rest of an unquoted field that started at `start`, from a byte that
 * is not ordinary at s->p. */
static int scan_plain_slow(struct scan *s, remit__str *out, const uchar *start)
{
	int t;

	for (;;) {
		const uchar *p = s->p;
		while (class_plain[*p] == B_PLAIN)
			p++;
		s->p = p;
		switch (class_plain[*p]) {
		case B_COMMA:
			t = T_COMMA;
			goto done;
		case B_LF:
			s->eol = 1;
			t = T_EOL;
			goto done;
		case B_CR:
			t = step_cr(s);
			if (t == T_ON)
				continue;
			if (t == T_MORE)
				return t;
			goto done;
		case B_QUOTE:
			note_error_here(s, "quote inside an unquoted field");
			s->p++;
			continue;
		case B_NUL:
			t = step_nul(s);
			if (t == T_ON)
				continue;
			if (t == T_MORE)
				return t;
			goto done;
		default:
			if (!step_high(s))
				return T_MORE;
			continue;
		}
	}
done:
	out->p = (const char *)start;
	out->n = (uint32_t)(s->p - start);
	return t;
}

/* An unquoted field from s->p up to its terminator (left at s->p).  The
 * common case, ordinary bytes up to a comma or LF, is handled inline. */
static inline int scan_plain(struct scan *s, remit__str *out)
{
	const uchar *start = s->p, *p = start;

	while (class_plain[*p] == B_PLAIN)
		p++;
	s->p = p;
	if (*p == ',' || *p == '\n') {
		out->p = (const char *)start;
		out->n = (uint32_t)(p - start);
		if (*p == ',')
			return T_COMMA;
		s->eol = 1;
		return T_EOL;
	}
	return scan_plain_slow(s, out, start);
}

/* Append bytes [from, to) to the scratch buffer (sized on first use in
 * this scan to the window, which bounds what one record can need, or for
 * a mapped file to the longest record allowed: past it, s->too_long). */
static bool scratch_put(struct scan *s, const uchar *from, const uchar *to)
{
	remit__csv *c = s->c;

	if (!s->scratch_ready) {
		size_t want = c->cap < WINDOW_MAX ? c->cap : WINDOW_MAX;
		if (c->scratch_cap < want) {
			char *ns = realloc(c->scratch, want);
			if (!ns)
				return false;
			c->scratch = ns;
			c->scratch_cap = want;
		}
		s->scratch_ready = true;
	}
	if ((size_t)(to - from) > c->scratch_cap - s->sp) {
		s->too_long = true;
		return false;
	}
	memcpy(c->scratch + s->sp, from, (size_t)(to - from));
	s->sp += (size_t)(to - from);
	return true;
}

/* After the closing quote of a quoted field: a separator, a line end, or
 * the end of input is expected; anything else is reported and skipped up
 * to the next separator. */
static int after_quote(struct scan *s)
{
	remit__str junk;
	int t;

	switch (*s->p) {
	case ',':
		return T_COMMA;
	case '\n':
		s->eol = 1;
		return T_EOL;
	case '\r':
		t = step_cr(s);
		if (t != T_ON)
			return t;
		s->p--; /* a lone CR is text after the quote */
		break;
	case '\0':
		if (s->p == s->end)
			return s->c->eof ? T_EOF : T_MORE;
		break;
	}
	note_error_here(s, "text after a closing quote");
	return scan_plain_slow(s, &junk, s->p);
}

/* A quoted field: s->p at its opening quote, which is at (fline, fcol). */
static int scan_quoted(struct scan *s, remit__str *out, uint64_t fline, uint32_t fcol)
{
	const uchar *seg = s->p + 1; /* start of the bytes not yet copied */
	size_t sp0 = s->sp;
	bool escaped = false;
	int t;

	s->p++;
	for (;;) {
		const uchar *p = s->p;
		while (class_quoted[*p] == B_PLAIN)
			p++;
		s->p = p;
		switch (class_quoted[*p]) {
		case B_QUOTE:
			if (p + 1 == s->end && !s->c->eof)
				return T_MORE;
			if (p[1] != '"')
				goto closed;
			if (!scratch_put(s, seg, p + 1))
				return -1;
			escaped = true;
			s->p = seg = p + 2;
			continue;
		case B_LF:
			s->line++;
			s->ls = ++s->p;
			continue;
		case B_NUL:
			t = step_nul(s);
			if (t == T_MORE)
				return t;
			if (t == T_EOF) {
				note_error(s, fline, fcol, "unterminated quoted field");
				goto unterminated;
			}
			continue;
		default:
			if (!step_high(s))
				return T_MORE;
			continue;
		}
	}
closed:
	t = T_ON;
unterminated:
	if (escaped) {
		if (!scratch_put(s, seg, s->p))
			return -1;
		out->p = s->c->scratch + sp0;
		out->n = (uint32_t)(s->sp - sp0);
	} else {
		out->p = (const char *)seg;
		out->n = (uint32_t)(s->p - seg);
	}
	if (t == T_EOF)
		return T_EOF;
	s->p++;
	return after_quote(s);
}

/* Skip the BOM (once) and blank lines at buf[pos]; they are consumed for
 * good.  Returns T_ON when a record starts there, T_EOF, or T_MORE. */
static int skip_blank(remit__csv *c)
{
	if (!c->bom_checked) {
		if (c->end - c->pos < 3 && !c->eof)
			return T_MORE;
		if (c->end - c->pos >= 3 && memcmp(c->buf + c->pos, "\xef\xbb\xbf", 3) == 0)
			c->pos += 3;
		c->bom_checked = true;
	}
	for (;;) {
		const uchar *p = c->buf + c->pos;
		size_t left = c->end - c->pos;
		if (left == 0)
			return c->eof ? T_EOF : T_MORE;
		if (*p == '\n') {
			c->pos++;
		} else if (*p == '\r') {
			if (left == 1 && !c->eof)
				return T_MORE;
			if (left > 1 && p[1] != '\n')
				return T_ON;
			c->pos += left > 1 ? 2 : 1;
		} else {
			return T_ON;
		}
		c->line++;
	}
}

#ifdef __SSE2__
/* The common record, found a block of bytes at a time: unquoted fields of
 * ordinary bytes (ASCII, no NUL, no quote, no CR but in a CRLF line end)
 * that ends inside the window.  Returns 1 with *rec filled, or 0 to leave
 * the record to the byte scanner below, which gives the same fields for
 * such a record and deals with everything else.  Loads may read up to 63
 * bytes past the sentinel at buf[end]: the window has PAD (zeroed) bytes
 * there, and the sentinel (a NUL) stops the scan first.
 *
 * A block is 16 bytes (SSE2, every x86-64), or 64 where the processor has
 * AVX2 and BMI1 (asked once, at csv_new; every AVX2 processor has BMI1,
 * whose blsr clears a found bit in one step): two 32-byte loads whose masks
 * make one 64-bit mask, so that a claims row of about 64 bytes is most
 * often one or two blocks. */
typedef struct masks {
	uint64_t commas; /* bit i: byte i is a comma */
	uint64_t stops;  /* bit i: byte i ends the plain run (LF, CR, quote, NUL, ≥ 0x80) */
} masks;

static inline __attribute__((always_inline)) masks block16(const uchar *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	__m128i odd = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_setzero_si128())));
	return (masks){(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(','))),
		       (unsigned)_mm_movemask_epi8(_mm_or_si128(odd, v))};
}

static inline __attribute__((always_inline)) int
scan_fast_with(remit__csv *c, remit__csv_record *rec, const unsigned width,
	       masks (*block)(const uchar *), const bool sink)
{
	const uchar *start = c->buf + c->pos, *p = start, *end = c->buf + c->end, *fs = start;
	remit__str *restrict fields = c->fields;
	remit__str *const *restrict dst = c->sink;
	uint32_t nf = 0;

	for (;;) {
		masks m = block(p);
		uint64_t stop = m.stops;
		uint64_t bits = stop ? m.commas & ((stop & (0 - stop)) - 1) : m.commas;
		if (nf + width + 1 > REMIT__CSV_MAX_FIELDS) /* room for this block's fields and the last */
			return 0;
		if (sink) {
			remit__str *const *o = dst + nf;
			for (; bits; bits &= bits - 1) {
				const uchar *q = p + (unsigned)__builtin_ctzll(bits);
				**o++ = (remit__str){(const char *)fs, (uint32_t)(q - fs)};
				fs = q + 1;
			}
			nf = (uint32_t)(o - dst);
			if (nf > c->nsink) /* more fields than places: not for the sink */
				return 0;
		} else {
			remit__str *o = fields + nf;
			for (; bits; bits &= bits - 1) {
				const uchar *q = p + (unsigned)__builtin_ctzll(bits);
				o->p = (const char *)fs;
				o->n = (uint32_t)(q - fs);
				o++;
				fs = q + 1;
			}
			nf = (uint32_t)(o - fields);
		}
		if (!stop) {
			p += width;
			continue;
		}
		const uchar *q = p + (unsigned)__builtin_ctzll(stop);
		unsigned eol;
		if (*q == '\n')
			eol = 1;
		else if (*q == '\r' && q + 1 < end && q[1] == '\n')
			eol = 2;
		else
			return 0;
		size_t len = (size_t)(q - start);
		if (len > REMIT__CSV_MAX_RECORD)
			return 0;
		remit__str last = {(const char *)fs, (uint32_t)(q - fs)};
		if (sink) {
			if (nf + 1 != c->nsink)
				return 0;
			*dst[nf++] = last;
		} else {
			fields[nf++] = last;
		}
		rec->error = NULL;
		rec->error_line = 0;
		rec->error_col = 0;
		rec->fields = sink ? NULL : c->fields;
		rec->nfields = nf;
		rec->line = c->line;
		rec->offset = c->base + c->pos;
		rec->field_line = NULL; /* one line, unquoted: remit__csv_field_pos */
		rec->field_col = NULL;
		rec->raw.p = (const char *)start;
		rec->raw.n = (uint32_t)len;
		c->pos += len + eol;
		c->line++;
		return 1;
	}
}

static int scan_fast16(remit__csv *c, remit__csv_record *rec)
{
	return c->sink ? scan_fast_with(c, rec, 16, block16, true)
		       : scan_fast_with(c, rec, 16, block16, false);
}

#ifdef CSV_AVX2
__attribute__((target("avx2,bmi"))) static inline masks block32(const uchar *p)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)p);
	__m256i odd = _mm256_or_si256(
		_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
				_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r'))),
		_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n')),
				_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
	return (masks){(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(','))),
		       (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(odd, v))};
}

__attribute__((target("avx2,bmi"))) static inline masks block64(const uchar *p)
{
	masks lo = block32(p), hi = block32(p + 32);
	return (masks){lo.commas | hi.commas << 32, lo.stops | hi.stops << 32};
}

__attribute__((target("avx2,bmi"))) static int scan_fast64(remit__csv *c, remit__csv_record *rec)
{
	return scan_fast_with(c, rec, 64, block64, false);
}

__attribute__((target("avx2,bmi"))) static int sink_fast64(remit__csv *c, remit__csv_record *rec)
{
	return scan_fast_with(c, rec, 64, block64, true);
}
#endif

static inline int scan_fast(remit__csv *c, remit__csv_record *rec)
{
#ifdef CSV_AVX2
	if (c->scan == 64)
		return c->sink ? sink_fast64(c, rec) : scan_fast64(c, rec);
#endif
	return c->scan && scan_fast16(c, rec);
}
#endif

unsigned remit__csv_set_scan(remit__csv *c, unsigned width)
{
	c->scan = 0;
#ifdef __SSE2__
	if (width >= 16)
		c->scan = 16;
#endif
#ifdef CSV_AVX2
	if (width >= 64 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi"))
		c->scan = 64;
#endif
	return c->scan;
}

int remit__csv_set_sink(remit__csv *c, remit__str *const *dst, uint32_t n)
{
	free(c->sink);
	c->sink = NULL;
	c->nsink = 0;
	if (!dst || !n)
		return 0;
	/* a block adds at most 64 fields before the count is checked */
	c->sink = malloc(((size_t)n + 64) * sizeof(*c->sink));
	if (!c->sink)
		return REMIT_ENOMEM;
	for (uint32_t i = 0; i < n + 64; i++)
		c->sink[i] = i < n ? dst[i] : &c->spare;
	c->nsink = n;
	return 0;
}

/* Scan one record starting at buf[pos].  Returns 1 with *rec filled (pos
 * and line moved past it), 0 if the window ends first (nothing consumed:
 * refill and scan again), or a negative status. */
static int scan_record(remit__csv *c, remit__csv_record *rec, remit_error *err)
{
#ifdef __SSE2__
	if (scan_fast(c, rec))
		return 1;
#endif
	struct scan s = {
		.c = c, .p = c->buf + c->pos, .end = c->buf + c->end, .ls = c->buf + c->pos,
		.line = c->line, .rec = rec,
	};
	uint32_t nf = 0;
	int t;

	rec->error = NULL;
	rec->error_line = 0;
	rec->error_col = 0;
	for (;;) {
		if (nf == REMIT__CSV_MAX_FIELDS)
			return fatal_at(c, err, REMIT_EDATA, s.line, col_of(&s, s.p),
					"too many fields: more than %d", REMIT__CSV_MAX_FIELDS);
		c->fline[nf] = s.line;
		c->fcol[nf] = col_of(&s, s.p);
		if (*s.p == '"')
			t = scan_quoted(&s, &c->fields[nf], s.line, c->fcol[nf]);
		else
			t = scan_plain(&s, &c->fields[nf]);
		if (t < 0 && s.too_long)
			return fatal(c, err, REMIT_EDATA, 1, "record too long: more than %u bytes",
				     (unsigned)REMIT__CSV_MAX_RECORD);
		if (t < 0)
			return fatal(c, err, REMIT_ENOMEM, 0, "out of memory");
		if (t == T_MORE)
			return 0;
		nf++;
		if (t != T_COMMA)
			break;
		s.p++;
	}
	size_t len = (size_t)(s.p - (c->buf + c->pos));
	if (len > REMIT__CSV_MAX_RECORD)
		return fatal(c, err, REMIT_EDATA, 1, "record too long: more than %u bytes",
			     (unsigned)REMIT__CSV_MAX_RECORD);
	rec->fields = c->fields;
	rec->nfields = nf;
	rec->line = c->line;
	rec->offset = c->base + c->pos;
	rec->field_line = c->fline;
	rec->field_col = c->fcol;
	rec->raw.p = (const char *)c->buf + c->pos;
	rec->raw.n = (uint32_t)len;
	c->pos += len + (t == T_EOL ? s.eol : 0);
	c->line = s.line + (t == T_EOL);
	return 1;
}

/* remit__csv_next the long way: errors, blank lines, refills. */
static __attribute__((noinline)) int next_slow(remit__csv *c, remit__csv_record *rec,
					       remit_error *err)
{
	if (c->fail.status) {
		if (err)
			*err = c->fail;
		return c->fail.status;
	}
	if (c->map && c->pos >= c->tick)
		map_move_on(c);
	for (;;) {
		int rc = skip_blank(c);
		if (rc == T_EOF)
			return 0;
		if (rc == T_ON && c->base + c->pos >= c->stop)
			return 0;
		if (rc == T_ON) {
			rc = scan_record(c, rec, err);
			if (rc != 0)
				return rc;
		}
		rc = refill(c, err);
		if (rc < 0)
			return rc;
	}
}

int remit__csv_next(remit__csv *c, remit__csv_record *rec, remit_error *err)
{
#ifdef __SSE2__
	/* the common record, with few registers to save: no error pending, the
	   BOM looked for, no blank line first, and a record due before stop */
	const uchar *p = c->buf + c->pos;
	if (c->bom_checked && !c->fail.status && *p != '\n' && *p != '\r' &&
	    c->base + c->pos < c->tick && scan_fast(c, rec))
		return 1;
#endif
	return next_slow(c, rec, err);
}

/* ---- parts ------------------------------------------------------------- */

bool remit__csv_seekable(const remit__csv *c)
{
	/* a stream's own reader is not, even once its copy is whole (its size
	   is the stream's, and parts are for files); the copy reopened is */
	return (c->spool_fd < 0 || c->plain) && !c->gz && (c->fd < 0 || c->regular);
}

remit__csv *remit__csv_clone(const remit__csv *c, size_t window)
{
	remit__csv *k = csv_new(c->name);

	if (!k)
		return NULL;
	if (window > k->cap) {
		uchar *nb = calloc(1, window + 1 + PAD);
		if (!nb) {
			remit__csv_close(k);
			return NULL;
		}
		free(k->buf);
		k->buf = nb;
		k->cap = window;
	}
	free(k->zin);
	k->zin = NULL;
	if (c->map) {
		__atomic_add_fetch(&c->map->refs, 1, __ATOMIC_RELAXED);
		free(k->buf);
		k->map = c->map;
		k->buf = c->map->p;
		k->cap = k->end = c->cap;
		k->in_done = c->cap;
	}
	k->mem = c->mem;
	k->mem_len = c->mem_len;
	k->in_total = c->in_total;
	k->regular = c->regular || c->spool_fd >= 0;
	if (c->fd >= 0 || c->spool_fd >= 0) { /* a stream's clone reads its copy */
		k->fd = fcntl(c->spool_fd >= 0 ? c->spool_fd : c->fd, F_DUPFD_CLOEXEC, 0);
		if (k->fd < 0) {
			remit__csv_close(k);
			return NULL;
		}
	}
	k->part = true;
	k->eof = k->in_eof = true; /* nothing to read until a seek */
	return k;
}

int remit__csv_spool(remit__csv *c, remit_error *err)
{
	if (remit__csv_seekable(c) || c->spool_fd >= 0)
		return 1;
	if (c->base != 0 || c->pos != 0 || c->map)
		return fatal(c, err, REMIT_EINTERNAL, 0, "internal: a stream copied after its start");
	c->spool_fd = remit__tempfile();
	if (c->spool_fd < 0)
		return 0;
	int rc = spool_write(c, c->buf, c->end, 0, err);
	return rc < 0 ? rc : 1;
}

bool remit__csv_spooled(const remit__csv *c)
{
	return c->spool_fd >= 0;
}

bool remit__csv_regular(const remit__csv *c)
{
	return c->fd < 0 || c->regular;
}

int remit__csv_spool_rest(remit__csv *c, remit_error *err)
{
	if (c->spool_fd < 0)
		return fatal(c, err, REMIT_EINTERNAL, 0, "internal: the stream has no copy");
	if (c->eof || c->from_spool) /* copied whole, or the rest already */
		return 0;
	uchar *tmp = malloc(SPOOL_CHUNK);
	if (!tmp)
		return fatal(c, err, REMIT_ENOMEM, 0, "out of memory");
	uint64_t at = c->base + c->end; /* the next byte the window would take */
	ssize_t got;
	int rc = 0;
	while (rc == 0 && (got = stream_take(c, tmp, SPOOL_CHUNK)) > 0) {
		rc = spool_write(c, tmp, (size_t)got, at, err);
		at += (uint64_t)got;
	}
	free(tmp);
	if (rc < 0)
		return rc;
	remit__gz_free(c->gz); /* (its helper stops) */
	c->gz = NULL;
	c->from_spool = true;
	c->src_pos = c->base + c->end;
	c->in_eof = false;
	c->in_done = c->src_pos;
	c->in_total = at;
	return 0;
}

int remit__csv_reopen(remit__csv *c, remit__csv **out, remit_error *err)
{
	*out = NULL;
	int rc = remit__csv_spool_rest(c, err);
	if (rc < 0)
		return rc;
	if (c->spool_status) /* the stream cannot be read to its end */
		return fatal(c, err, c->spool_status, 0, "%s", c->spool_why);
	remit__csv *k = csv_new(c->name);
	if (!k || (k->spool_fd = fcntl(c->spool_fd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (k->fd = fcntl(c->spool_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		remit__csv_close(k);
		return fatal(c, err, REMIT_ENOMEM, 0, "out of memory or file descriptors");
	}
	k->plain = true;
	k->from_spool = true; /* if it is not mapped: read by pread, from 0 */
	return open_fd(k, true, out, err);
}

void remit__csv_inflate_ahead(remit__csv *c)
{
	if (c->gz)
		remit__gz_ahead(c->gz);
}

void remit__csv_set_slack(remit__csv *c, size_t slack)
{
	c->slack = slack ? slack : PART_SLACK;
}

int remit__csv_seek(remit__csv *c, uint64_t start, uint64_t stop, bool exact, uint64_t line,
		    remit_error *err)
{
	bool guess = !exact && start > 0;
	memset(&c->fail, 0, sizeof c->fail);
	if (guess)
		start--; /* a line starts at `start` if the byte before it is a LF */
	if (c->map) {
		map_let_go(c, c->pos); /* what this reader read before: a part is done */
		c->pos = (size_t)min64(start, c->end);
		c->let_go = c->pos / page_size() * page_size();
		c->stop = stop;
		c->bom_checked = true;
		c->line = line;
		if (guess) {
			const uchar *lfp = memchr(c->buf + c->pos, '\n', c->end - c->pos);
			c->pos = lfp ? (size_t)(lfp - c->buf) + 1 : c->end;
		}
		c->tick = min64(c->pos + MAP_STEP, stop);
		return 0;
	}
	c->pos = c->end = 0;
	c->buf[0] = '\0';
	c->base = start;
	c->stop = c->tick = stop;
	c->src_pos = start;
	c->mem_pos = start < c->mem_len ? (size_t)start : c->mem_len;
	c->in_eof = c->eof = false;
	c->bom_checked = true;
	c->line = line;
	if (!guess)
		return 0;
	/* Guessing: the record starts after the first LF at or after start. */
	for (;;) {
		const uchar *lfp = memchr(c->buf + c->pos, '\n', c->end - c->pos);
		if (lfp) {
			c->pos = (size_t)(lfp - c->buf) + 1;
			return 0;
		}
		c->pos = c->end;
		if (c->eof)
			return 0;
		int rc = refill(c, err);
		if (rc < 0)
			return rc;
	}
}

void remit__csv_tell(const remit__csv *c, uint64_t *offset, uint64_t *line)
{
	*offset = c->base + c->pos;
	*line = c->line;
}

remit__str remit__csv_peek(const remit__csv *c)
{
	remit__str s = {(const char *)c->buf + c->pos, (uint32_t)(c->end - c->pos)};
	return s;
}

/* ---- the rest ---------------------------------------------------------- */

const char *remit__csv_name(const remit__csv *c)
{
	return c->name;
}

uint64_t remit__csv_bytes_done(const remit__csv *c)
{
	if (c->gz)
		return remit__gz_used(c->gz);
	return c->in_done - (c->end - c->pos);
}

uint64_t remit__csv_bytes_total(const remit__csv *c)
{
	return c->in_total;
}

void remit__csv_close(remit__csv *c)
{
	if (!c)
		return;
	remit__gz_free(c->gz); /* (its helper stops before fd closes) */
	if (c->fd >= 0)
		close(c->fd);
	if (c->spool_fd >= 0)
		close(c->spool_fd);
	free(c->name);
	if (c->map)
		map_release(c->map);
	else
		free(c->buf);
	free(c->zin);
	free(c->scratch);
	free(c->fields);
	free(c->sink);
	free(c->fline);
	free(c->fcol);
	free(c);
}
