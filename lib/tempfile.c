/*
 * tempfile.c — see tempfile.h.
 */
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int remit__tempfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/remit-XXXXXX", dir && *dir ? dir : "/tmp") >=
	    sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}
