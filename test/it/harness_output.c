/* Scenario-test harness: reading the peers' output files (marks, lines) and dumping them on failure. */
#include "harness_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole file (NUL-terminated; *len without the NUL); an empty buffer if absent. */
char *
it_slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	size_t	 cap = 4096, n = 0, r;

	buf = it_xmalloc(cap);
	if (f != NULL) {
		while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
			n += r;
			if (cap - n - 1 == 0) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (buf == NULL)
					abort();
			}
		}
		fclose(f);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

const char *
it_stream_path(const struct it_peer *p, enum it_stream s)
{
	return s == IT_OUT ? p->out_path : p->err_path;
}

const char *
it_stream_name(enum it_stream s)
{
	return s == IT_OUT ? "stdout" : "stderr";
}

size_t
it_mark(struct it_peer *p, enum it_stream s)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	char	*nl = len ? memrchr(buf, '\n', len) : NULL;
	size_t	 mark = nl ? (size_t)(nl - buf) + 1 : 0;

	free(buf);
	return mark;
}

/* Complete lines of buf from mark on, as a NULL-terminated vector into a copy. */
static char **
it_split(const char *buf, size_t len, size_t mark, size_t *n)
{
	size_t	 cap = 16, k = 0, i;
	char	**v = it_xmalloc(cap * sizeof *v);

	i = mark < len ? mark : len;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;
		if (k + 2 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof *v);
			if (v == NULL)
				abort();
		}
		v[k] = it_xmalloc((size_t)(nl - (buf + i)) + 1);
		memcpy(v[k], buf + i, (size_t)(nl - (buf + i)));
		v[k][nl - (buf + i)] = '\0';
		k++;
		i = (size_t)(nl - buf) + 1;
	}
	v[k] = NULL;
	if (n != NULL)
		*n = k;
	return v;
}

char **
it_lines(struct it_peer *p, enum it_stream s, size_t mark, size_t *n)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	char	**v = it_split(buf, len, mark, n);

	free(buf);
	return v;
}

void
it_free_lines(char **lines)
{
	if (lines == NULL)
		return;
	for (char **l = lines; *l != NULL; l++)
		free(*l);
	free(lines);
}

size_t
it_count(struct it_peer *p, enum it_stream s, size_t mark, const char *line)
{
	size_t	 n, c = 0;
	char	**v = it_lines(p, s, mark, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], line) == 0)
			c++;
	it_free_lines(v);
	return c;
}

const char *
it_first_line(struct it_peer *p, enum it_stream s)
{
	static char	 first[1024];
	size_t		 n;
	char		**v = it_lines(p, s, 0, &n);

	if (n == 0) {
		it_free_lines(v);
		return NULL;
	}
	snprintf(first, sizeof first, "%s", v[0]);
	it_free_lines(v);
	return first;
}

bool
it_contains(struct it_peer *p, enum it_stream s, const char *needle)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	bool	 r = strstr(buf, needle) != NULL;

	free(buf);
	return r;
}

/* Print the last IT_DUMP_LINES lines of one output file, each prefixed by "[name tag]". */
static void
it_dump_file(const char *path, const char *name, const char *tag)
{
	size_t	 len, n, from;
	char	*buf = it_slurp(path, &len);
	char	**v = it_split(buf, len, 0, &n);

	from = n > IT_DUMP_LINES ? n - IT_DUMP_LINES : 0;
	if (from > 0)
		fprintf(stderr, "[%s %s] ... %zu earlier lines not shown ...\n", name, tag, from);
	for (size_t i = from; i < n; i++)
		fprintf(stderr, "[%s %s] %s\n", name, tag, v[i]);
	/* A partial last line is shown too: it may be the very thing that went wrong. */
	if (len > 0 && buf[len - 1] != '\n') {
		const char *nl = memrchr(buf, '\n', len);

		fprintf(stderr, "[%s %s] %s<no newline>\n", name, tag,
		    nl ? nl + 1 : buf);
	}
	it_free_lines(v);
	free(buf);
}

static int
it_dump_select(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".cmd") == 0;
}

/*
 * Print every peer's command, exit status (when this process started it) and output, from
 * the files in dir: <name>.cmd, <name>.out, <name>.err. Works in the test process and in
 * Check's runner process after the test process is gone.
 */
void
it_dump_dir(const char *dir)
{
	struct dirent	**names;
	int		  n = scandir(dir, &names, it_dump_select, versionsort);

	fprintf(stderr, "cdht-it: temp dir %s, %d peer(s)\n", dir, n < 0 ? 0 : n);
	for (int i = 0; i < n; i++) {
		char		 name[256], *cmd;
		size_t		 len;
		const char	*state = "status unknown";

		snprintf(name, sizeof name, "%.*s", (int)strlen(names[i]->d_name) - 4,
		    names[i]->d_name);
		free(names[i]);
		cmd = it_slurp(it_s("%s/%s.cmd", dir, name), &len);
		if (it_run.active && it_run.owner == getpid()) {
			for (size_t k = 0; k < it_run.npeers; k++) {
				struct it_peer *p = it_run.peers[k];

				if (strcmp(p->name, name) == 0)
					state = it_reap(p) ? it_status_str(p->status) : "running";
			}
		}
		fprintf(stderr, "---- peer %s (%s): %s\n", name, state, cmd);
		free(cmd);
		it_dump_file(it_s("%s/%s.out", dir, name), name, "out");
		it_dump_file(it_s("%s/%s.err", dir, name), name, "err");
	}
	free(n >= 0 ? names : NULL);
	fprintf(stderr, "---- end of peers' output\n");
	fflush(stderr);
}

void
it_dump(void)
{
	if (it_run.dumped)
		return;
	it_run.dumped = true;
	it_dump_dir(it_run.dir);
}
