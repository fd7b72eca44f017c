/*
 * tempfile.h — a temporary file that vanishes when it is closed.
 *
 * The duplicate-id check spills to such files (activity.c, "on disk"), and
 * a stream that cannot be read again (a gzip file, a pipe) is copied into
 * one as it is read (csv.h, "a copy of a stream").  They live in $TMPDIR,
 * else /tmp, and are unlinked as soon as they are made: nothing is left
 * behind however the process ends.
 */
#ifndef REMIT_TEMPFILE_H
#define REMIT_TEMPFILE_H

/* A new, empty, already-unlinked temporary file open for reading and
 * writing (close-on-exec); −1 with errno set if none can be made. */
int remit__tempfile(void);

#endif
