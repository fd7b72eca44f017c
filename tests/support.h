/* support.h — small helpers shared by the Criterion tests. */
#ifndef REMIT_TEST_SUPPORT_H
#define REMIT_TEST_SUPPORT_H

#include <stddef.h>

/* Run the remit CLI (path from $REMIT_BIN) with a shell command line of
 * arguments; capture stdout and stderr (each NUL-terminated, caller frees)
 * and return the exit status (or -1 if it did not exit normally). */
int remit_test_run(const char *args, char **out, char **err);

/* Read a whole file (NUL-terminated, caller frees); NULL if unreadable. */
char *remit_test_slurp(const char *path);

/* Write text to a new temporary file with the given suffix; returns its
 * path (static storage per call site is not assumed: caller frees). */
char *remit_test_tmpfile(const char *suffix, const char *text);

#endif
