/* The peer's directory: names built from validated numbers only, atomic replacement. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdht/keys.h"
#include "files.h"

/* dir/name-of-kind-for-F into buf. */
static void
files_path(char *buf, size_t cap, const char *dir, enum files_kind kind, int file)
{
	snprintf(buf, cap, "%s/%s%04d.pdf", dir, kind == FILES_RECEIVED ? "received_" : "",
	    file);
}

/* Open F.pdf for reading. */
int
files_open(const char *dir, int file, int *fd, uint32_t *size, char *err, size_t errlen)
{
	char		path[FILES_PATH_MAX];
	struct stat	st;
	int		f;

	files_path(path, sizeof path, dir, FILES_OWN, file);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(f, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > (off_t)FILES_MAX_SIZE) {
		snprintf(err, errlen, "%s is not a regular file of at most 4 GiB", path);
		close(f);
		return -1;
	}
	*fd = f;
	*size = (uint32_t)st.st_size;
	return 0;
}

/*
 * Create a temporary file next to the final name. The file must be new (O_EXCL) and is never
 * reached through a symbolic link (O_NOFOLLOW): a name planted in the directory, or one
 * another process (a peer sharing the directory) is writing, is skipped for the next one.
 * The name holds our pid, so peers sharing a directory never pick the same one.
 */
int
files_create_tmp(const char *dir, enum files_kind kind, int file, uint32_t id, int *fd,
    char *tmp, size_t tmplen, char *err, size_t errlen)
{
	static unsigned	seq;
	char		path[FILES_PATH_MAX];
	int		f = -1, tries;

	files_path(path, sizeof path, dir, kind, file);
	for (tries = 0; tries < FILES_TMP_TRIES && f == -1; tries++) {
		snprintf(tmp, tmplen, "%s.part.%ld.%u.%u", path, (long)getpid(), id, ++seq);
		f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f == -1 && errno != EEXIST && errno != ELOOP)
			break;
	}
	if (f == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	*fd = f;
	return 0;
}

/* Close a complete temporary file and move it to its final name. */
int
files_commit(int *fd, const char *dir, const char *tmp, enum files_kind kind, int file,
    char *err, size_t errlen)
{
	char	path[FILES_PATH_MAX];
	int	f = *fd;

	*fd = -1;
	if (close(f) != 0) {
		snprintf(err, errlen, "cannot close %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	files_path(path, sizeof path, dir, kind, file);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Remove a temporary file that will not be completed. */
void
files_discard(const char *tmp)
{
	unlink(tmp);
}

static int
files_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The four-digit F of every F.pdf in dir, ascending. */
size_t
files_list(const char *dir, int *out, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		char	digits[5];
		int	f;

		if (strlen(e->d_name) != 8 || strcmp(e->d_name + 4, ".pdf") != 0)
			continue;
		memcpy(digits, e->d_name, 4);
		digits[4] = '\0';
		if (keys_parse_file(digits, &f) == 0)
			out[n++] = f;
	}
	closedir(d);
	qsort(out, n, sizeof *out, files_cmp);
	return n;
}

/* Close a copy that will not be completed (if open) and remove its temporary file. */
void
files_drop_partial(int *fd, const char *tmp)
{
	if (*fd == -1)
		return;
	close(*fd);
	*fd = -1;
	files_discard(tmp);
}

/* The size of F.pdf in bytes, or -1 if it is not a regular file. */
int64_t
files_size(const char *dir, int file)
{
	char		path[FILES_PATH_MAX];
	struct stat	st;

	files_path(path, sizeof path, dir, FILES_OWN, file);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return (int64_t)st.st_size;
}
