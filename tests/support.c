/* support.c — helpers for the Criterion tests (see support.h). */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *remit_test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			} else
				buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

char *remit_test_tmpfile(const char *suffix, const char *text)
{
	char tmpl[] = "/tmp/remit-test-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	close(fd);
	size_t n = strlen(tmpl) + strlen(suffix) + 1;
	char *path = malloc(n);
	snprintf(path, n, "%s%s", tmpl, suffix);
	rename(tmpl, path);
	FILE *f = fopen(path, "wb");
	if (!f) {
		free(path);
		return NULL;
	}
	fputs(text, f);
	fclose(f);
	return path;
}

int remit_test_run(const char *args, char **out, char **err)
{
	const char *bin = getenv("REMIT_BIN");
	if (!bin)
		bin = "remit";
	char o[] = "/tmp/remit-out-XXXXXX", e[] = "/tmp/remit-err-XXXXXX";
	int fo = mkstemp(o), fe = mkstemp(e);
	if (fo < 0 || fe < 0)
		return -1;
	close(fo);
	close(fe);
	size_t n = strlen(bin) + strlen(args) + strlen(o) + strlen(e) + 32;
	char *cmd = malloc(n);
	snprintf(cmd, n, "'%s' %s >%s 2>%s", bin, args, o, e);
	int st = system(cmd);
	free(cmd);
	char *so = remit_test_slurp(o), *se = remit_test_slurp(e);
	unlink(o);
	unlink(e);
	if (out)
		*out = so;
	else
		free(so);
	if (err)
		*err = se;
	else
		free(se);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
