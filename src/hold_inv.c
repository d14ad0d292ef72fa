/* Files held for the ring: the directory, the inventory and its manifest (docs/REPLICATION.md). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdht/keys.h"
#include "files.h"
#include "hold_int.h"
#include "log.h"

/* ---- the directory */

/* dir/F.pdf into buf. */
void
hold_path(const struct hold *h, int file, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%04d.pdf", h->ctx->cfg.dir, file);
}

/* dir/cdht-<id>.manifest (and .tmp) into buf. */
static void
hold_manifest_path(const struct hold *h, bool tmp, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/cdht-%u.manifest%s", h->ctx->cfg.dir, h->ctx->self.id,
	    tmp ? ".tmp" : "");
}

/* Size and change time of a regular file: 0, or -1 if there is none. */
int
hold_stat(const char *path, uint32_t *size, int64_t *mtime_ns)
{
	struct stat	st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)FILES_MAX_SIZE)
		return -1;
	*size = (uint32_t)st.st_size;
	*mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

/* The checksum and size of a file's bytes: 0, or -1 if it cannot be read. */
int
hold_hash(const char *path, uint32_t *size, uint64_t *sum)
{
	static uint8_t	buf[256 * 1024];
	struct place_sum s;
	uint64_t	total = 0;
	ssize_t		got;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	place_sum_init(&s);
	while ((got = read(fd, buf, sizeof buf)) > 0) {
		place_sum_update(&s, buf, (size_t)got);
		total += (uint64_t)got;
	}
	close(fd);
	if (got < 0 || total > FILES_MAX_SIZE)
		return -1;
	*size = (uint32_t)total;
	*sum = place_sum_final(&s);
	return 0;
}

/* Wall-clock milliseconds, for the versions of stores. */
uint64_t
hold_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* May we delete ring copies here: is no other peer's manifest in the directory? */
bool
hold_alone(const struct hold *h)
{
	char		 mine[64];
	struct dirent	*e;
	DIR		*d;
	bool		 alone = true;

	snprintf(mine, sizeof mine, "cdht-%u.manifest", h->ctx->self.id);
	if ((d = opendir(h->ctx->cfg.dir)) == NULL)
		return false;
	while (alone && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, "cdht-", 5) == 0 && len > 9 &&
		    strcmp(e->d_name + len - 9, ".manifest") == 0 && strcmp(e->d_name, mine) != 0)
			alone = false;
	}
	closedir(d);
	return alone;
}

/* ---- the inventory */

/* The index of file's entry, or -1. */
ssize_t
hold_find(const struct hold *h, int file)
{
	size_t	i;

	for (i = 0; i < h->n; i++)
		if (h->inv[i].file == file)
			return (ssize_t)i;
	return -1;
}

/* The entry for file, new if need be (NULL: out of memory). */
static struct place_file *
hold_entry(struct hold *h, int file, size_t *idx)
{
	ssize_t	i = hold_find(h, file);

	if (i < 0) {
		if (h->n == h->cap) {
			size_t			 cap = h->cap ? h->cap * 2 : 64;
			struct place_file	*inv = realloc(h->inv, cap * sizeof *inv);
			struct hold_meta	*meta;

			if (inv == NULL)
				return NULL;
			h->inv = inv;
			if ((meta = realloc(h->meta, cap * sizeof *meta)) == NULL)
				return NULL;
			h->meta = meta;
			h->cap = cap;
		}
		i = (ssize_t)h->n++;
		memset(&h->inv[i], 0, sizeof h->inv[i]);
		memset(&h->meta[i], 0, sizeof h->meta[i]);
	}
	*idx = (size_t)i;
	return &h->inv[i];
}

/* Set file's entry to this version (its slots start afresh) and note how the file looks. */
void
hold_set(struct hold *h, int file, uint64_t gen, uint32_t size, uint64_t sum,
    enum place_source src)
{
	struct place_file	*f;
	char			 path[FILES_PATH_MAX];
	uint32_t		 sz;
	size_t			 i;

	if ((f = hold_entry(h, file, &i)) == NULL) {
		log_warn("out of memory: %04d not held for the ring", file);
		return;
	}
	place_file_init(f, file, gen, size, sum, src);
	hold_path(h, file, path, sizeof path);
	if (hold_stat(path, &sz, &h->meta[i].mtime_ns) != 0)
		h->meta[i].mtime_ns = 0;
	h->replan = true;
	if (h->manifest_at == UINT64_MAX)
		h->manifest_at = h->manifest_last + HOLD_MANIFEST_MS;
}

/* Forget entry i (the file stays). */
void
hold_forget(struct hold *h, size_t i)
{
	h->inv[i] = h->inv[h->n - 1];
	h->meta[i] = h->meta[h->n - 1];
	h->n--;
	if (h->manifest_at == UINT64_MAX)
		h->manifest_at = h->manifest_last + HOLD_MANIFEST_MS;
}

/* Is entry i's file as we left it (a ring copy we may replace or delete)? */
bool
hold_unchanged(const struct hold *h, size_t i)
{
	char		path[FILES_PATH_MAX];
	uint32_t	size;
	int64_t		mtime;

	hold_path(h, h->inv[i].file, path, sizeof path);
	return h->inv[i].source == PLACE_SRC_RING && hold_stat(path, &size, &mtime) == 0 &&
	    size == h->inv[i].size && mtime == h->meta[i].mtime_ns;
}

/* ---- the manifest */

/* Write the manifest now: temporary file, fsync, rename; never half of one. */
void
hold_manifest_write(struct hold *h, uint64_t now)
{
	char	path[FILES_PATH_MAX], tmp[FILES_PATH_MAX], *buf;
	size_t	len = place_manifest_format(h->inv, h->n, NULL, 0);
	int	fd;

	h->manifest_at = UINT64_MAX;
	h->manifest_last = now;
	/* A peer that never held anything leaves no file behind (the seeds' directories). */
	if (h->ctx->cfg.replicas < 2 || (h->n == 0 && !h->manifest_exists) ||
	    (buf = malloc(len + 1)) == NULL)
		return;
	h->manifest_exists = true;
	place_manifest_format(h->inv, h->n, buf, len + 1);
	hold_manifest_path(h, false, path, sizeof path);
	hold_manifest_path(h, true, tmp, sizeof tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, path) != 0) {
		log_warn("cannot write %s: %s", path, strerror(errno));
		if (fd != -1)
			unlink(tmp);
	}
	free(buf);
}

/*
 * Check one loaded entry against its file: gone, or changed since (the user's now). Only the
 * bytes can tell: a file the manifest does not describe exactly (a stale or a doctored
 * manifest, a file copied in with an old mtime) is the user's, and a ring copy is never
 * written over it or deleted in its place. Runs at start, before the event loop.
 */
static bool
hold_load_entry(struct hold *h, struct place_file *f, int64_t manifest_ns)
{
	char		path[FILES_PATH_MAX];
	uint32_t	size, hashed;
	uint64_t	sum;
	int64_t		mtime;
	size_t		i;

	hold_path(h, f->file, path, sizeof path);
	if (hold_stat(path, &size, &mtime) != 0 || size != f->size ||
	    hold_hash(path, &hashed, &sum) != 0 || hashed != f->size || sum != f->sum)
		return false;
	if (mtime > manifest_ns)
		f->source = PLACE_SRC_USER;
	if (hold_entry(h, f->file, &i) == NULL)
		return false;
	place_file_init(&h->inv[i], f->file, f->gen, f->size, f->sum, f->source);
	h->meta[i].mtime_ns = mtime;
	return true;
}

/* Read our manifest, if there is one. */
void
hold_manifest_load(struct hold *h)
{
	char			 path[FILES_PATH_MAX], *text;
	struct place_file	*got;
	struct stat		 st;
	const char		*why = NULL;
	size_t			 n = 0, bad_line = 0, bad, i, kept = 0;
	FILE			*fp;

	hold_manifest_path(h, false, path, sizeof path);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	h->manifest_exists = true;
	if (fstat(fileno(fp), &st) != 0 || st.st_size > 16 * 1024 * 1024 ||
	    (text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(fp);
		return;
	}
	n = fread(text, 1, (size_t)st.st_size, fp);
	fclose(fp);
	if ((got = calloc(KEYS_FILE_MAX + 1, sizeof *got)) == NULL) {
		free(text);
		return;
	}
	bad = place_manifest_parse(text, n, got, KEYS_FILE_MAX + 1, &n, &bad_line, &why);
	if (bad > 0)
		log_warn("%s: %zu bad lines (line %zu: %s); their files are left as the user's",
		    path, bad, bad_line, why != NULL ? why : "?");
	for (i = 0; i < n; i++)
		kept += hold_load_entry(h, &got[i],
		    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	h->loaded = kept > 0;
	free(got);
	free(text);
}
