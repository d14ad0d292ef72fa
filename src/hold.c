/* Files held for the ring: inventory, manifest, the plan and the room (docs/REPLICATION.md). */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cdht/keys.h"
#include "files.h"
#include "hold_int.h"
#include "log.h"
#include "net.h"

static void	hold_rearm(struct hold *h);

static int	hold_debugging = -1;	/* CDHT_DEBUG_HOLD=1: every offer and answer on stderr */

/* A line for CDHT_DEBUG_HOLD. */
void __attribute__((format(printf, 1, 2)))
hold_debug(const char *fmt, ...)
{
	va_list	ap;

	if (hold_debugging < 0)
		hold_debugging = getenv("CDHT_DEBUG_HOLD") != NULL;
	if (!hold_debugging)
		return;
	va_start(ap, fmt);
	fputs("cdht: hold: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

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
static uint64_t
hold_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* May we delete ring copies here: is no other peer's manifest in the directory? */
static bool
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
static void
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

/* Check one loaded entry against its file: gone, or changed since (the user's now). */
static bool
hold_load_entry(struct hold *h, struct place_file *f, int64_t manifest_ns)
{
	char		path[FILES_PATH_MAX];
	uint32_t	size;
	int64_t		mtime;
	size_t		i;

	hold_path(h, f->file, path, sizeof path);
	if (hold_stat(path, &size, &mtime) != 0 || size != f->size)
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
static void
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

/* ---- the view and the plan */

/* How long a view must hold still before copies may be deleted: three detection budgets. */
static uint64_t
hold_settle_ms(const struct hold *h)
{
	const struct ring_cfg *c = &h->ring->cfg;

	return 3 * (c->ping_interval_ms + (uint64_t)(c->loss_threshold + 1) * c->ping_timeout_ms);
}

/* Our neighbours as the ring knows them now. */
void
hold_view(const struct hold *h, struct place_view *v)
{
	const struct ring	*r = h->ring;
	int			 i;

	memset(v, 0, sizeof *v);
	v->self = r->cfg.self.id;
	for (i = 0; i < PLACE_ARC; i++)
		v->pred[i] = v->succ[i] = PLACE_NO_PEER;
	v->replicas = h->ctx->cfg.replicas < 1 ? 1 : h->ctx->cfg.replicas > PLACE_MAX_REPLICAS ?
	    PLACE_MAX_REPLICAS : h->ctx->cfg.replicas;
	v->may_delete = h->may_delete && h->stable;
	if (r->state != RING_UP && r->state != RING_LEAVING)
		return;
	if (r->pred[0].known) {
		v->pred[0] = r->pred[0].c.id;
		if (r->pred[1].known) {
			v->pred[1] = r->pred[1].c.id;
			if (r->pred3_known && r->pred3_via == r->pred[1].c.id)
				v->pred[2] = r->pred3.id;
		}
	}
	if (r->succ[0].known) {
		v->succ[0] = r->succ[0].c.id;
		if (r->succ[1].known) {
			v->succ[1] = r->succ[1].c.id;
			if (r->third_known)
				v->succ[2] = r->third.id;
		}
	}
}

/* The contact of a neighbour by id: 0, or -1 if the ring does not know it. */
int
hold_contact(const struct hold *h, int id, struct contact *c)
{
	const struct ring	*r = h->ring;
	int			 i;

	for (i = 0; i < 2; i++) {
		if (r->succ[i].known && r->succ[i].c.id == id) {
			*c = r->succ[i].c;
			return 0;
		}
		if (r->pred[i].known && r->pred[i].c.id == id) {
			*c = r->pred[i].c;
			return 0;
		}
	}
	if (r->third_known && r->third.id == id) {
		*c = r->third;
		return 0;
	}
	if (r->pred3_known && r->pred3.id == id) {
		*c = r->pred3;
		return 0;
	}
	return -1;
}

/* A HOLD message to `to` on a connection of its own. */
struct net_conn *
hold_send(struct hold *h, const struct contact *to, struct wire_msg *m)
{
	m->from = h->ctx->self;
	return net_tcp_send(h->ctx->net, to, m);
}

/* Report a settled batch: one line for all its copies. */
static void
hold_batch_end(struct hold *h, uint64_t now)
{
	struct hold_batch	*b = &h->batch;

	if (!b->active)
		return;
	b->active = false;
	if (b->what == NULL && h->gone >= 0) {
		b->what = "repair";	/* a neighbour left our view meanwhile */
		snprintf(b->about, sizeof b->about, " after peer %d", h->gone);
	} else if (b->what == NULL) {
		b->what = "hand-off";	/* a neighbour came in */
		if (h->came >= 0)
			snprintf(b->about, sizeof b->about, " to peer %d", h->came);
	}
	h->gone = h->came = -1;
	if (b->sent == 0 && strcmp(b->what, "restart") != 0)
		return;		/* every holder had it: nothing to report */
	log_say("%s%s: %u copies, %.1f MB sent, %u already there, in %.1f s", b->what, b->about,
	    b->sent, (double)b->bytes / 1e6, b->there, (double)(now - b->since) / 1000.0);
}

/* The first id of a that is not in b, or -1. */
static int
hold_view_left(const struct place_view *a, const struct place_view *b)
{
	int i, j;

	for (i = 0; i < 2 * PLACE_ARC; i++) {
		int id = i < PLACE_ARC ? a->pred[i] : a->succ[i - PLACE_ARC];
		bool found = id == PLACE_NO_PEER;

		for (j = 0; j < PLACE_ARC && !found; j++)
			found = b->pred[j] == id || b->succ[j] == id;
		if (!found)
			return id;
	}
	return -1;
}

/* A trigger made offers: start a batch unless one is open. */
static void
hold_batch_start(struct hold *h, const struct place_event *ev, uint64_t now)
{
	struct hold_batch *b = &h->batch;

	if (b->active)
		return;
	memset(b, 0, sizeof *b);
	b->active = true;
	b->since = now;
	if (h->leaving) {
		b->what = "hand-off";
	} else if (ev->kind == PLACE_EV_STORED || h->label_file >= 0) {
		/* A store's offers may wait for our view: the batch is still its replication. */
		b->what = "replication";
		snprintf(b->about, sizeof b->about, " of %04d",
		    ev->kind == PLACE_EV_STORED ? ev->file : h->label_file);
	} else if (h->loaded) {
		b->what = "restart";
	}
	h->label_file = -1;
	h->loaded = false;
}

static void	hold_drop(struct hold *h, int file);

/* Plan with the view v and carry the plan out. */
static void
hold_plan(struct hold *h, const struct place_view *v, uint64_t now)
{
	static struct place_plan	pl;
	struct place_event		ev = { PLACE_EV_VIEW, 0 };
	size_t				i;
	ssize_t				k;

	if (h->leaving)
		ev.kind = PLACE_EV_LEAVING;
	else if (h->stored) {
		ev.kind = PLACE_EV_STORED;
		ev.file = h->stored_file;
	}
	if ((k = hold_view_left(&h->view, v)) >= 0)
		h->gone = (int)k;
	if ((k = hold_view_left(v, &h->view)) >= 0)
		h->came = (int)k;
	place_plan(v, h->inv, h->n, &ev, now, &pl);
	if (pl.noffer > 0)
		hold_batch_start(h, &ev, now);
	h->view = *v;
	h->replan = h->stored = false;
	h->unsettled = pl.unsettled;
	h->deaths = h->ring->stats.deaths;
	for (i = 0; i < pl.noffer; i++)
		hold_offer(h, &pl.offer[i], now);
	for (i = 0; i < pl.ndrop; i++)
		hold_drop(h, pl.drop[i]);
	for (i = 0; i < pl.nforget; i++)
		if ((k = hold_find(h, pl.forget[i])) >= 0)
			hold_forget(h, (size_t)k);
	if (pl.role_changes > 0 && h->manifest_at == UINT64_MAX)
		h->manifest_at = h->manifest_last + HOLD_MANIFEST_MS;
	if (pl.unsettled == 0 && LIST_EMPTY(&h->outs)) {
		hold_batch_end(h, now);
		if (h->leaving)
			h->left = true;
	}
}

/* A spare copy every holder has confirmed: delete it, if it is still ours as we left it. */
static void
hold_drop(struct hold *h, int file)
{
	char	path[FILES_PATH_MAX];
	ssize_t	k = hold_find(h, file);

	if (k < 0)
		return;
	h->may_delete = h->may_delete && hold_alone(h);
	if (h->may_delete && hold_unchanged(h, (size_t)k)) {
		hold_path(h, file, path, sizeof path);
		if (unlink(path) != 0)
			log_warn("cannot remove %s: %s", path, strerror(errno));
	}
	hold_forget(h, (size_t)k);
}

/* ---- the room */

/* Read the manifest and write it back at once, before we join. */
void
hold_init(struct hold *h, struct ctx *x, const struct ring *ring, uint64_t now)
{
	memset(h, 0, sizeof *h);
	h->ctx = x;
	h->ring = ring;
	LIST_INIT(&h->outs);
	LIST_INIT(&h->ins);
	h->manifest_at = UINT64_MAX;
	h->next = UINT64_MAX;
	h->deaths = ring->stats.deaths;
	h->gone = h->came = h->label_file = -1;
	hold_view(h, &h->view);
	if (x->cfg.replicas < 2)
		return;
	hold_manifest_load(h);
	hold_manifest_write(h, now);
	/* Another peer's manifest here: a shared directory, where nothing is ever deleted. */
	h->may_delete = hold_alone(h);
	h->replan = true;
}

/* Our own file, or a store we took: a new version every holder gets. */
void
hold_stored(struct hold *h, int file, bool user, uint64_t now)
{
	char		path[FILES_PATH_MAX];
	uint32_t	size;
	uint64_t	sum, prev = 0;
	ssize_t		k = hold_find(h, file);

	if (h->ctx->cfg.replicas < 2)
		return;
	hold_path(h, file, path, sizeof path);
	if (hold_hash(path, &size, &sum) != 0) {
		log_warn("store %04d: cannot read %s to replicate it", file, path);
		return;
	}
	if (k >= 0)
		prev = h->inv[k].gen;
	hold_set(h, file, place_next_gen(prev, hold_wall_ms()), size, sum,
	    user || (k >= 0 && h->inv[k].source == PLACE_SRC_USER) ? PLACE_SRC_USER :
	    PLACE_SRC_RING);
	if (h->batch.active)
		hold_batch_end(h, now);
	h->stored = true;
	h->stored_file = file;
	h->label_file = file;
	hold_sync(h, now);
}

/* Is F.pdf the user's own file, and does tmp hold the same bytes? */
int
hold_user_file(struct hold *h, int file, const char *tmp)
{
	char		path[FILES_PATH_MAX];
	uint32_t	usize, tsize;
	uint64_t	usum, tsum;
	int64_t		mtime;
	ssize_t		k = hold_find(h, file);

	if (h->ctx->cfg.replicas < 2)
		return 0;
	hold_path(h, file, path, sizeof path);
	if (hold_stat(path, &usize, &mtime) != 0 ||
	    (k >= 0 && hold_unchanged(h, (size_t)k)))
		return 0;	/* none, or our own ring copy: replaced by the newer store */
	if (hold_hash(path, &usize, &usum) != 0 || hold_hash(tmp, &tsize, &tsum) != 0)
		return -1;
	return usize == tsize && usum == tsum ? 1 : -1;
}

/* `quit`: hand everything off first. */
bool
hold_leave(struct hold *h, uint64_t now)
{
	if (h->ctx->cfg.replicas < 2 || h->n == 0)
		return false;
	hold_batch_end(h, now);
	h->leaving = true;
	h->left = false;
	h->progress_at = now;
	h->replan = true;
	hold_sync(h, now);
	return true;
}

/* A stalled quit: say what was not handed over, and let it go. */
static void
hold_give_up(struct hold *h)
{
	char	 list[256] = "";
	size_t	 i, len = 0, nfiles = 0;
	unsigned j;

	for (i = 0; i < h->n; i++) {
		bool missing = false;

		for (j = 0; j < h->inv[i].nslot; j++) {
			const struct place_slot *s = &h->inv[i].slot[j];

			if (s->state == PLACE_SLOT_HAVE)
				continue;
			missing = true;
			if (len + 40 < sizeof list)
				len += (size_t)snprintf(list + len, sizeof list - len, "%s%04u to peer %d",
				    len > 0 ? ", " : "", h->inv[i].file, s->peer);
		}
		nfiles += missing;
	}
	log_say("quit: %zu files not handed over (%s)", nfiles, list);
	h->left = true;
}

/* Time passed: timeouts, retries, the manifest, a stalled quit. */
void
hold_tick(struct hold *h, uint64_t now)
{
	struct hold_out	*o, *ot;
	struct hold_in	*in, *it;

	LIST_FOREACH_SAFE(o, &h->outs, link, ot)
		if (o->state != HOLD_SENDING && now >= o->deadline)
			hold_out_result(h, o, PLACE_ST_FAILED, now);
	LIST_FOREACH_SAFE(in, &h->ins, link, it)
		if (!in->receiving && now >= in->deadline)
			hold_in_free(in);
	if (now >= h->manifest_at)
		hold_manifest_write(h, now);
	if (h->leaving && !h->left && now >= h->progress_at + HOLD_QUIT_STALL_MS)
		hold_give_up(h);
	hold_sync(h, now);
}

/* The ring or time moved: plan if the view changed or something is due. */
void
hold_sync(struct hold *h, uint64_t now)
{
	struct place_view	v;

	if (h->syncing || h->ctx->cfg.replicas < 2)
		return;
	h->syncing = true;
	hold_view(h, &v);
	/*
	 * Deletions wait until the view has held still for a while: a neighbour's stale word
	 * (a dead peer it still names) lasts at most a detection budget.
	 */
	v.may_delete = false;
	if (memcmp(&v, &h->stable_view, sizeof v) != 0) {
		h->stable_view = v;
		h->view_since = now;
	}
	h->stable = now >= h->view_since + hold_settle_ms(h);
	hold_view(h, &v);
	if (memcmp(&v, &h->view, sizeof v) != 0 || place_next_deadline(h->inv, h->n) <= now)
		h->replan = true;
	if (h->replan)
		hold_plan(h, &v, now);
	h->syncing = false;
	hold_rearm(h);
}

/* The earliest deadline of the room. */
static void
hold_rearm(struct hold *h)
{
	const struct hold_out	*o;
	const struct hold_in	*in;
	uint64_t		 t = place_next_deadline(h->inv, h->n);

	LIST_FOREACH(o, &h->outs, link)
		if (o->state != HOLD_SENDING && o->deadline < t)
			t = o->deadline;
	LIST_FOREACH(in, &h->ins, link)
		if (!in->receiving && in->deadline < t)
			t = in->deadline;
	if (h->manifest_at < t)
		t = h->manifest_at;
	if (h->leaving && !h->left && h->progress_at + HOLD_QUIT_STALL_MS < t)
		t = h->progress_at + HOLD_QUIT_STALL_MS;
	if (!h->stable && h->view_since + hold_settle_ms(h) < t)
		t = h->view_since + hold_settle_ms(h);
	h->next = t;
}

/* Our role for a ring copy of file as the last plan saw it (not for the user's own file). */
bool
hold_role(const struct hold *h, int file, enum place_role *role)
{
	ssize_t	k = hold_find(h, file);

	if (k < 0 || h->inv[k].source == PLACE_SRC_USER)
		return false;
	*role = h->inv[k].role;
	return true;
}

/* Copies moving, as transfers. */
void
hold_snapshot(const struct hold *h, struct status_snapshot *snap, uint64_t now)
{
	const struct hold_out	*o;
	const struct hold_in	*in;

	LIST_FOREACH(o, &h->outs, link) {
		struct status_transfer t = { STATUS_SEND, h->leaving ||
		    o->intent == PLACE_HOLD_OWNER ? STATUS_HANDOFF : STATUS_REPLICA_COPY, o->file,
		    o->to, true, STATUS_NONE, o->size, o->state == HOLD_OFFERED ? STATUS_NONE :
		    (int64_t)(now - o->started), STATUS_NONE };

		status_add_transfer(snap, &t);
	}
	LIST_FOREACH(in, &h->ins, link) {
		struct status_transfer t = { STATUS_RECEIVE, STATUS_REPLICA_COPY, in->file,
		    in->from.id, true, STATUS_NONE, in->size, in->receiving ?
		    (int64_t)(now - in->started) : STATUS_NONE, STATUS_NONE };

		status_add_transfer(snap, &t);
	}
}

/* End every job (partial copies removed) and write the manifest a last time. */
void
hold_free(struct hold *h)
{
	while (!LIST_EMPTY(&h->outs))
		hold_out_free(LIST_FIRST(&h->outs));
	while (!LIST_EMPTY(&h->ins))
		hold_in_free(LIST_FIRST(&h->ins));
	if (h->manifest_at != UINT64_MAX)
		hold_manifest_write(h, h->manifest_last + HOLD_MANIFEST_MS);
	free(h->inv);
	free(h->meta);
}
