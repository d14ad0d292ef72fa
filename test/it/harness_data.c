/* Scenario helpers for data that survives: copies in peer directories, requests. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness_data.h"

/* <dir of id>/<file>.pdf. */
const char *
data_copy(int id, const char *file)
{
	return it_s("%s/%s.pdf", it_peer_dir(id), file);
}

/* Does peer id's directory hold file with the bytes of want? */
bool
data_has_copy(int id, const char *file, const char *want)
{
	char why[256];

	return it_file_exists(data_copy(id, file)) &&
	    it_files_differ(data_copy(id, file), want, why, sizeof why) == 0;
}

/* Wait until peer id's directory holds file with exactly the bytes of want. */
void
data_wait_copy(int id, const char *file, const char *want, int ms)
{
	it_wait_file_equal(data_copy(id, file), want, ms);
}

struct data_gone {
	const char *path;
};

static bool
data_is_gone(void *arg)
{
	return !it_file_exists(((struct data_gone *)arg)->path);
}

/* Wait until peer id's directory no longer holds file. */
void
data_wait_gone(int id, const char *file, int ms)
{
	struct data_gone g = { data_copy(id, file) };

	it_wait_until(data_is_gone, &g, ms, it_s("%s to be removed", g.path));
}

/* `request file` at p, wait for the copy and compare it. */
void
data_request_ok(struct it_peer *p, const char *file, const char *want, int ms)
{
	const char	*got = it_s("%s/received_%s.pdf", it_peer_dir(it_id(p)), file);
	size_t		 m;

	unlink(got);
	m = it_mark(p, IT_OUT);
	it_send(p, "request %s", file);
	it_wait_line(p, IT_OUT, m, 1, it_s("File %s received", file), ms);
	it_expect_files_equal(got, want);
}

/* How many cdht-*.manifest files are in peer id's directory. */
size_t
data_manifests(int id)
{
	struct dirent	*e;
	DIR		*d = opendir(it_peer_dir(id));
	size_t		 n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "cdht-", 5) == 0 && strstr(e->d_name, ".manifest") != NULL;
	closedir(d);
	return n;
}

/* Does `status --json` at p mention needle? */
bool
data_status_has(struct it_peer *p, const char *needle)
{
	size_t	 m = it_mark(p, IT_OUT), n, i;
	char	**lines;
	bool	 found = false;

	it_send(p, "status --json");
	it_wait_nlines(p, IT_OUT, m, 1, IT_DEADLINE_MS);
	lines = it_lines(p, IT_OUT, m, &n);
	for (i = 0; i < n && !found; i++)
		found = strncmp(lines[i], "{\"cdht\"", 7) == 0 && strstr(lines[i], needle) != NULL;
	it_free_lines(lines);
	return found;
}
