/* Files held for the ring: the plan and the room (docs/REPLICATION.md); hold_inv.c keeps the files. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	LIST_INIT(&h->dues);
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
		if (ctx_intake_expired(&in->copy, now))
			hold_in_free(in);
	hold_progress(h, now);
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
	uint64_t	t = place_next_deadline(h->inv, h->n);

	ctx_earliest(&t, ctx_due_earliest(&h->dues));	/* copies: waits and progress */
	ctx_earliest(&t, h->manifest_at);
	if (h->leaving && !h->left)
		ctx_earliest(&t, h->progress_at + HOLD_QUIT_STALL_MS);
	if (!h->stable)
		ctx_earliest(&t, h->view_since + hold_settle_ms(h));
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
		struct status_transfer t = { STATUS_SEND, hold_out_handoff(h, o) ?
		    STATUS_HANDOFF : STATUS_REPLICA_COPY, o->file, o->to, true,
		    o->state == HOLD_OFFERED ? STATUS_NONE : (int64_t)hold_out_moved(o), o->size,
		    o->state == HOLD_OFFERED ? STATUS_NONE : (int64_t)(now - o->started),
		    STATUS_NONE };

		status_add_transfer(snap, &t);
	}
	LIST_FOREACH(in, &h->ins, link) {
		struct status_transfer t = { .kind = hold_in_handoff(in) ? STATUS_HANDOFF :
		    STATUS_REPLICA_COPY, .file = in->file, .peer = in->from.id };

		ctx_intake_status(&in->copy, &t, now);
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
