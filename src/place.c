/* Where stored files live: the placement rule and the hand-off decisions. */
#include <stdio.h>
#include <string.h>

#include "cdht/keys.h"
#include "cdht/place.h"

#define PLACE_CENTER	PLACE_ARC			/* index of ourselves in an arc */
#define PLACE_ARC_LEN	(2 * PLACE_ARC + 1)		/* ids in an arc */

/*
 * The run of peers around us that the view knows without a gap: x[CENTER + i] is the peer i
 * places after us (negative: before). whole: the two walks met, so the arc is the whole ring.
 */
struct place_arc {
	int	x[PLACE_ARC_LEN];
	int	b, f;		/* known predecessors, successors (in a row) */
	bool	whole;
	int	ring[PLACE_ARC_LEN];	/* when whole: the members, ascending */
	size_t	nring;
};

/* Is id a real ring id? */
static bool
place_id_ok(int id)
{
	return id >= 0 && id < KEYS_RING_SIZE;
}

/* Is id already in the arc? */
static bool
place_arc_has(const struct place_arc *a, int id)
{
	int	i;

	for (i = -a->b; i <= a->f; i++)
		if (a->x[PLACE_CENTER + i] == id)
			return true;
	return false;
}

/* Sort the arc's members ascending into ring[] (at most 7: insertion sort). */
static void
place_arc_members(struct place_arc *a)
{
	int	i;
	size_t	j;

	a->nring = 0;
	for (i = -a->b; i <= a->f; i++) {
		int id = a->x[PLACE_CENTER + i];

		for (j = a->nring; j > 0 && a->ring[j - 1] > id; j--)
			a->ring[j] = a->ring[j - 1];
		a->ring[j] = id;
		a->nring++;
	}
}

/* Walk ids (succ or pred, nearest first) onto the arc, step +1 or -1 from us; *k counts them. */
static void
place_arc_walk(const struct place_view *v, const int ids[PLACE_ARC], int step, int *k,
    struct place_arc *a)
{
	int	i;

	for (i = 0; i < PLACE_ARC; i++) {
		int id = ids[i];

		if (!place_id_ok(id))
			break;
		if (id == v->self || place_arc_has(a, id)) {
			a->whole = true;
			break;
		}
		a->x[PLACE_CENTER + step * ++*k] = id;
	}
}

/* Lay out what the view knows as an arc; detect a ring small enough to be seen whole. */
static void
place_arc_build(const struct place_view *v, struct place_arc *a)
{
	memset(a, 0, sizeof *a);
	a->x[PLACE_CENTER] = v->self;
	place_arc_walk(v, v->succ, 1, &a->f, a);
	place_arc_walk(v, v->pred, -1, &a->b, a);
	if (a->whole)
		place_arc_members(a);
}

/* Holders of key in a ring seen whole: the owner and the members after it. */
static void
place_holders_whole(const struct place_arc *a, int key, unsigned n, struct place_holders *h)
{
	size_t		o = 0;
	unsigned	j;

	while (o < a->nring && a->ring[o] < key)
		o++;
	for (j = 0; j < n && j < a->nring; j++)
		h->id[j] = a->ring[(o + j) % a->nring];
	h->n = j;
	h->complete = true;
}

/* Index (relative to us) of the arc member owning key; false if it lies beyond the arc. */
static bool
place_owner_index(const struct place_arc *a, int key, int *idx)
{
	int	i;

	for (i = -a->b + 1; i <= a->f; i++)
		if (keys_in_half_open(a->x[PLACE_CENTER + i - 1], key, a->x[PLACE_CENTER + i])) {
			*idx = i;
			return true;
		}
	return false;
}

/* The first n holders from the arc; *owner_known says whether the owner is in it. */
static void
place_holders_arc(const struct place_arc *a, int key, unsigned n, struct place_holders *h,
    bool *owner_known, int *oi)
{
	unsigned	j;

	if (n > PLACE_SLOTS)
		n = PLACE_SLOTS;	/* a view asking for more copies than exist */
	h->n = n;
	h->complete = false;
	for (j = 0; j < PLACE_SLOTS; j++)
		h->id[j] = PLACE_NO_PEER;
	if (a->whole) {
		place_holders_whole(a, key, n, h);
		*owner_known = true;
		return;
	}
	*owner_known = place_owner_index(a, key, oi);
	if (!*owner_known)
		return;
	h->complete = true;
	for (j = 0; j < n; j++) {
		int idx = *oi + (int)j;

		if (idx <= a->f)
			h->id[j] = a->x[PLACE_CENTER + idx];
		else
			h->complete = false;
	}
}

/* The first n (1..PLACE_SLOTS) holders of key as far as this view tells. */
void
place_holders(const struct place_view *v, int key, unsigned n, struct place_holders *h)
{
	struct place_arc	a;
	bool			known;
	int			oi = 0;

	if (n < 1)
		n = 1;
	if (n > PLACE_SLOTS)
		n = PLACE_SLOTS;
	place_arc_build(v, &a);
	place_holders_arc(&a, key, n, h, &known, &oi);
}

/* Our role for key given the arc and where its owner is (see docs/REPLICATION.md). */
static enum place_role
place_role_arc(const struct place_view *v, const struct place_arc *a,
    const struct place_holders *h, bool owner_known, int oi)
{
	int	n = (int)v->replicas;
	unsigned j;

	if (a->whole) {
		for (j = 0; j < h->n; j++)
			if (h->id[j] == v->self)
				return j == 0 ? PLACE_OWNER : PLACE_REPLICA;
		return PLACE_NONE;
	}
	if (!owner_known)	/* the owner is at least b + 1 places before us */
		return a->b + 1 > n ? PLACE_NONE : PLACE_UNKNOWN;
	if (oi <= 0)
		return -oi >= n ? PLACE_NONE : oi == 0 ? PLACE_OWNER : PLACE_REPLICA;
	/* The owner is ahead: going on from it to us passes at least this many peers. */
	return (a->f - oi + 1) + (a->b + 1) > n ? PLACE_NONE : PLACE_UNKNOWN;
}

/* This peer's role for key, and into *h the N holders (NULL: not wanted). */
enum place_role
place_role(const struct place_view *v, int key, struct place_holders *h)
{
	struct place_arc	a;
	struct place_holders	mine;
	bool			known;
	int			oi = 0;

	place_arc_build(v, &a);
	place_holders_arc(&a, key, v->replicas, &mine, &known, &oi);
	if (h != NULL)
		*h = mine;
	return place_role_arc(v, &a, &mine, known, oi);
}

/* Is id one of our known neighbours (the peers offers may come from)? */
bool
place_is_neighbour(const struct place_view *v, int id)
{
	int	i;

	if (!place_id_ok(id) || id == v->self)
		return false;
	for (i = 0; i < PLACE_ARC; i++)
		if (v->pred[i] == id || v->succ[i] == id)
			return true;
	return false;
}

/* Who one file must reach now: peers and why; *complete if the list is all there is. */
struct place_targets {
	int			id[PLACE_SLOTS];
	enum place_intent	intent[PLACE_SLOTS];
	unsigned		n;
	bool			complete;
};

/* Add the known holders in h (but us) to t, the first as owner. */
static void
place_targets_from(const struct place_view *v, const struct place_holders *h, unsigned upto,
    enum place_intent same, struct place_targets *t)
{
	unsigned	j;

	t->complete = h->complete;
	for (j = 0; j < upto && j < h->n && t->n < PLACE_SLOTS; j++) {
		if (h->id[j] == PLACE_NO_PEER || h->id[j] == v->self)
			continue;
		t->id[t->n] = h->id[j];
		t->intent[t->n] = same != 0 ? same : j == 0 ? PLACE_HOLD_OWNER : PLACE_HOLD_REPLICA;
		t->n++;
	}
}

/* Our role for key, and the peers the file must reach from us (leaving: the ring without us). */
static enum place_role
place_targets(const struct place_view *v, int key, bool leaving, struct place_targets *t)
{
	struct place_arc	a;
	struct place_holders	h, next;
	enum place_role		role;
	bool			known;
	int			oi = 0, i;

	memset(t, 0, sizeof *t);
	place_arc_build(v, &a);
	place_holders_arc(&a, key, v->replicas, &h, &known, &oi);
	role = place_role_arc(v, &a, &h, known, oi);
	if (leaving) {
		/* One holder more than N: the next one in line takes our place. */
		place_holders_arc(&a, key, v->replicas + 1, &next, &known, &oi);
		if (role == PLACE_OWNER || role == PLACE_REPLICA)
			place_targets_from(v, &next, next.n, 0, t);
		return role;
	}
	if (role == PLACE_OWNER || role == PLACE_REPLICA) {
		place_targets_from(v, &h, h.n, 0, t);
	} else if (role == PLACE_NONE && !known && a.b >= (int)v->replicas) {
		/* The owner is beyond our arc: the N peers before us all lie at or after the key. */
		for (i = 1; i <= (int)v->replicas && i <= a.b; i++) {
			t->id[t->n] = a.x[PLACE_CENTER - i];
			t->intent[t->n++] = PLACE_HOLD_CHECK;
		}
		t->complete = true;
	} else if (role == PLACE_NONE) {
		place_targets_from(v, &h, h.n, PLACE_HOLD_CHECK, t);
	}
	return role;
}

/* Keep the slots of peers still in t, open new ones for the others (a stored file: all). */
static void
place_reconcile(struct place_file *f, const struct place_targets *t, bool restart)
{
	struct place_slot	old[PLACE_SLOTS];
	unsigned		nold = f->nslot, i, j;

	memcpy(old, f->slot, sizeof old);
	memset(f->slot, 0, sizeof f->slot);
	f->nslot = t->n;
	for (i = 0; i < t->n; i++) {
		f->slot[i].peer = t->id[i];
		f->slot[i].state = PLACE_SLOT_NEW;
		for (j = 0; j < nold && !restart; j++)
			if (old[j].peer == t->id[i])
				f->slot[i] = old[j];
		f->slot[i].intent = t->intent[i];
	}
}

/* Is every slot confirmed? */
static bool
place_all_have(const struct place_file *f)
{
	unsigned	i;

	for (i = 0; i < f->nslot; i++)
		if (f->slot[i].state != PLACE_SLOT_HAVE)
			return false;
	return true;
}

/* Does any slot still wait for a confirmation that may come? */
static bool
place_unsettled(const struct place_file *f)
{
	unsigned	i;

	for (i = 0; i < f->nslot; i++)
		if (f->slot[i].state != PLACE_SLOT_HAVE && f->slot[i].state != PLACE_SLOT_SETTLED)
			return true;
	return false;
}

/* Update one entry's role and slots; ask for its deletion or forgetting when safe. */
static void
place_plan_file(const struct place_view *v, struct place_file *f, const struct place_event *ev,
    struct place_plan *out)
{
	struct place_targets	t;
	enum place_role		role;
	bool			leaving = ev->kind == PLACE_EV_LEAVING;

	role = place_targets(v, keys_of_file(f->file), leaving, &t);
	if (role != f->role)
		out->role_changes++;
	f->role = role;
	place_reconcile(f, &t, ev->kind == PLACE_EV_STORED && ev->file == f->file);
	if (place_unsettled(f))
		out->unsettled++;
	/* A copy we are not needed for goes once the N peers that matter have confirmed it. */
	if (leaving || role != PLACE_NONE || !t.complete || t.n < v->replicas ||
	    !place_all_have(f))
		return;
	if (f->source == PLACE_SRC_RING && v->may_delete && out->ndrop < PLACE_MAX_DROPS)
		out->drop[out->ndrop++] = f->file;
	else if (f->source == PLACE_SRC_USER && out->nforget < PLACE_MAX_DROPS)
		out->forget[out->nforget++] = f->file;
}

/* Roles, offers and deletions for the inventory after ev; slots updated in place. */
void
place_plan(const struct place_view *v, struct place_file *files, size_t n,
    const struct place_event *ev, uint64_t now, struct place_plan *out)
{
	static const struct place_event	 none = { PLACE_EV_VIEW, 0 };
	unsigned			 per_peer[KEYS_RING_SIZE] = { 0 };
	unsigned			 pending = 0, i;
	size_t				 k;

	memset(out, 0, sizeof *out);
	if (ev == NULL)
		ev = &none;
	if (v->replicas < 2) {	/* one copy: the seeds' behaviour, nothing ever moves */
		for (k = 0; k < n; k++) {
			enum place_role r = place_role(v, keys_of_file(files[k].file), NULL);

			out->role_changes += r != files[k].role;
			files[k].role = r;
			files[k].nslot = 0;
		}
		return;
	}
	for (k = 0; k < n; k++)
		place_plan_file(v, &files[k], ev, out);
	for (k = 0; k < n; k++)
		for (i = 0; i < files[k].nslot; i++)
			if (files[k].slot[i].state == PLACE_SLOT_PENDING) {
				pending++;
				per_peer[files[k].slot[i].peer]++;
			}
	for (k = 0; k < n; k++)
		for (i = 0; i < files[k].nslot; i++) {
			struct place_slot	*s = &files[k].slot[i];

			if (!(s->state == PLACE_SLOT_NEW ||
			    (s->state == PLACE_SLOT_RETRY && s->retry_at <= now)))
				continue;
			if (pending >= PLACE_MAX_PENDING || per_peer[s->peer] >= PLACE_MAX_PER_PEER)
				continue;
			out->offer[out->noffer].file = files[k].file;
			out->offer[out->noffer].to = s->peer;
			out->offer[out->noffer].intent = s->intent;
			out->noffer++;
			s->state = PLACE_SLOT_PENDING;
			pending++;
			per_peer[s->peer]++;
		}
}

/* The answer to an offer of ours (or its local failure) from peer about file. */
void
place_on_result(struct place_file *files, size_t n, int file, int peer, enum place_status st,
    uint64_t now)
{
	struct place_slot	*s = NULL;
	size_t			 k;
	unsigned		 i;
	uint64_t		 delay;
	bool			 view;

	for (k = 0; k < n && s == NULL; k++)
		for (i = 0; i < files[k].nslot && files[k].file == file; i++)
			if (files[k].slot[i].peer == peer)
				s = &files[k].slot[i];
	if (s == NULL || s->state != PLACE_SLOT_PENDING)
		return;		/* a stale answer: the peer is no longer a target */
	switch (st) {
	case PLACE_ST_HAVE:
		s->state = PLACE_SLOT_HAVE;
		return;
	case PLACE_ST_WANT:
		return;		/* the bytes are on their way; the final answer comes after */
	case PLACE_ST_NEWER:
	case PLACE_ST_USER_FILE:
		s->state = PLACE_SLOT_SETTLED;	/* asking again cannot change the answer */
		return;
	default:
		break;
	}
	view = st == PLACE_ST_NOT_HOLDER || st == PLACE_ST_NOT_NEIGHBOUR;
	if (++s->tries >= (view ? PLACE_MAX_TRIES_VIEW : PLACE_MAX_TRIES)) {
		s->state = PLACE_SLOT_SETTLED;
		return;
	}
	/* A view that disagrees with ours catches up within the ring's detection budget. */
	delay = view ? PLACE_RETRY_VIEW_MS :
	    (uint64_t)PLACE_RETRY_MIN_MS << (s->tries < 16 ? s->tries - 1 : 15);
	if (delay > PLACE_RETRY_MAX_MS)
		delay = PLACE_RETRY_MAX_MS;
	s->state = PLACE_SLOT_RETRY;
	s->retry_at = now + delay;
}

/* Peer lacks our version of file after all (it offered an older one): ask it again. */
void
place_reask(struct place_file *files, size_t n, int file, int peer)
{
	size_t		k;
	unsigned	i;

	for (k = 0; k < n; k++)
		for (i = 0; i < files[k].nslot && files[k].file == file; i++)
			if (files[k].slot[i].peer == peer &&
			    files[k].slot[i].state != PLACE_SLOT_PENDING) {
				files[k].slot[i].state = PLACE_SLOT_NEW;
				files[k].slot[i].tries = 0;
			}
}

/* The earliest retry due among the inventory's offers; UINT64_MAX if none. */
uint64_t
place_next_deadline(const struct place_file *files, size_t n)
{
	uint64_t	t = UINT64_MAX;
	size_t		k;
	unsigned	i;

	for (k = 0; k < n; k++)
		for (i = 0; i < files[k].nslot; i++)
			if (files[k].slot[i].state == PLACE_SLOT_RETRY &&
			    files[k].slot[i].retry_at < t)
				t = files[k].slot[i].retry_at;
	return t;
}

/* Is id one of our known predecessors? */
static bool
place_is_pred(const struct place_view *v, int id)
{
	int	i;

	for (i = 0; i < PLACE_ARC; i++)
		if (v->pred[i] == id)
			return true;
	return false;
}

/* Our role for a key the offerer says we must hold: as the ring is, or once it has left. */
static enum place_role
place_offered_role(const struct place_view *v, int from, const struct place_hold *o)
{
	struct place_view	next = *v;
	struct place_holders	h;
	enum place_role		role;
	int			key = keys_of_file(o->file);
	unsigned		j;

	if (v->replicas < 2)
		return PLACE_NONE;
	role = place_role(v, key, NULL);
	if (role != PLACE_NONE || o->intent == PLACE_HOLD_CHECK)
		return role;
	/*
	 * Next in line behind the holders: a holder that leaves hands its place to us before our
	 * view has let it go. Take it if the offerer is one of those holders, or if our view cannot
	 * tell and the offerer comes before us.
	 */
	next.replicas = v->replicas + 1;
	switch (place_role(&next, key, &h)) {
	case PLACE_REPLICA:
		for (j = 0; j < v->replicas; j++)
			if (h.id[j] == from)
				return PLACE_REPLICA;
		return PLACE_NONE;
	case PLACE_UNKNOWN:
		return place_is_pred(v, from) ? PLACE_UNKNOWN : PLACE_NONE;
	default:
		return PLACE_NONE;
	}
}

/* How to answer an offer from peer `from`, given our view and our copy of the file. */
enum place_status
place_answer(const struct place_view *v, int from, const struct place_hold *o,
    const struct place_copy *local)
{
	enum place_role	role;

	if (!place_is_neighbour(v, from))
		return PLACE_ST_NOT_NEIGHBOUR;
	role = place_offered_role(v, from, o);
	if (local != NULL && local->present) {
		int c;

		if (local->source == PLACE_SRC_USER) {
			/* The user's file is never replaced: only its bytes matter, not versions. */
			if (local->size != o->size)
				return PLACE_ST_USER_FILE;
			if (local->sum_known)
				return local->sum == o->sum ? PLACE_ST_HAVE : PLACE_ST_USER_FILE;
			/* Not hashed yet: only the bytes can tell; the caller compares at the end. */
			return role == PLACE_NONE ? PLACE_ST_NOT_HOLDER : PLACE_ST_WANT;
		}
		c = place_version_cmp(o->gen, o->size, o->sum, local->gen, local->size,
		    local->sum);
		if (c == 0)
			return PLACE_ST_HAVE;
		if (c < 0)
			return PLACE_ST_NEWER;
	}
	return role == PLACE_NONE ? PLACE_ST_NOT_HOLDER : PLACE_ST_WANT;
}
