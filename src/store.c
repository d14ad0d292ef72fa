/* Stores: offers typed here waiting for their owner, and intakes of stores we own. */
#include <sys/statvfs.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdht/ring.h"
#include "cdht/xfer.h"
#include "files.h"
#include "hold.h"
#include "log.h"
#include "net.h"
#include "store.h"

/* A store typed here, waiting for its owner to ask for the bytes. Owned by the offers list. */
struct store_offer {
	LIST_ENTRY(store_offer)	 link;
	struct ctx_due		 due;		/* store_offer_next */
	uint32_t		 id;
	int			 file;
	uint64_t		 deadline;	/* forgotten then */
	uint64_t		 retry_at;	/* not accepted yet: routed again then */
	uint32_t		 backoff;	/* ms until the next retry after that */
};

/* A store we own: waiting for, then receiving, its bytes. Owned by the intakes list. */
struct store_intake {
	struct ctx_job		 job;		/* ends in store_intake_done */
	LIST_ENTRY(store_intake) link;
	uint8_t			 origin;
	uint32_t		 id;
	int			 file;
	uint64_t		 conn;		/* the connection we asked for the bytes on */
	struct ctx_intake	 copy;		/* awaited, then its bytes coming in */
};

static void	store_intake_done(struct ctx_job *job, bool ok, uint64_t now);

/* When an offer is forgotten or routed again (the fields store_tick acts on). */
static uint64_t
store_offer_next(const void *job)
{
	const struct store_offer	*o = job;

	return o->deadline < o->retry_at ? o->deadline : o->retry_at;
}

/* The earliest expiry, stored for the timer. */
static void
store_rearm(struct store *st)
{
	st->next = ctx_due_earliest(&st->dues);
}

/* One stderr line with an intake's figures: "taking" while the bytes come, "took" at the end. */
static void
store_say_figures(const struct store_intake *in, bool end, bool ok, uint64_t now)
{
	const struct hold_label l = { "taking", "took", "from", in->file, in->origin };

	hold_say_figures(&l, end && ok ? in->copy.size : ctx_intake_moved(&in->copy),
	    in->copy.size, in->copy.meter.start, end, ok, now);
}

/* Nothing in flight. */
void
store_init(struct store *st, struct ctx *x, struct serve *serve)
{
	memset(st, 0, sizeof *st);
	st->ctx = x;
	st->serve = serve;
	LIST_INIT(&st->offers);
	LIST_INIT(&st->intakes);
	LIST_INIT(&st->dues);
	st->next = UINT64_MAX;
}

static void
store_offer_free(struct store_offer *o)
{
	LIST_REMOVE(o, link);
	ctx_due_remove(&o->due);
	free(o);
}

/* End an intake: its slot back, its partial copy gone. */
static void
store_intake_free(struct store *st, struct store_intake *in)
{
	LIST_REMOVE(in, link);
	serve_release(st->serve, in->origin);
	ctx_intake_end(&in->copy);
	free(in);
}

/* The offer with this id, or NULL. */
struct store_offer *
store_find_offer(const struct store *st, uint32_t id)
{
	struct store_offer *o;

	LIST_FOREACH(o, &st->offers, link)
		if (o->id == id)
			return o;
	return NULL;
}

/* Typed `store F`: remember the offer until the owner asks for the bytes. */
int
store_offer(struct store *st, int file, uint32_t id, uint64_t now)
{
	struct store_offer	*o;
	char			 err[256];
	uint32_t		 size;
	int			 fd;

	if (files_open(st->ctx->cfg.dir, file, &fd, &size, err, sizeof err) != 0) {
		log_say("store %04d: %s; nothing sent", file, err);
		return -1;
	}
	close(fd);
	if ((o = calloc(1, sizeof *o)) == NULL)
		return -1;
	o->id = id;
	o->file = file;
	o->deadline = now + STORE_OFFER_WAIT_MS;
	o->retry_at = now + STORE_RETRY_MS;
	o->backoff = 2 * STORE_RETRY_MS;
	LIST_INSERT_HEAD(&st->offers, o, link);
	ctx_due_add(&st->dues, &o->due, store_offer_next, o);
	store_rearm(st);
	return 0;
}

/* The acceptance we send the origin: an answer like a request's, the bytes come back on it. */
static void
store_acceptance(const struct store *st, const struct wire_route *rt, struct wire_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = WIRE_FILE_RSP;
	m->from = st->ctx->self;
	m->u.file_rsp.file = rt->file;
	m->u.file_rsp.id = rt->id;
	m->u.file_rsp.status = WIRE_STATUS_HAVE;
	m->u.file_rsp.mode = WIRE_MODE_TCP;
}

/* Did we accept this store already (its origin resent it)? */
static bool
store_taken(const struct store *st, const struct wire_route *rt)
{
	uint64_t	key = (uint64_t)rt->origin.id << 32 | rt->id;
	unsigned	i;

	for (i = 0; i < STORE_TAKEN_MAX; i++)
		if (st->taken[i] == key && key != 0)
			return true;
	return false;
}

/* We own a stored key: ask the origin for the bytes (unless we are the origin). */
void
store_take(struct store *st, const struct wire_route *rt, uint64_t now)
{
	struct store_intake	*in;
	struct net_conn		*c;
	struct wire_msg		 m;

	if (rt->origin.id == st->ctx->self.id) {
		struct store_offer *o = store_find_offer(st, rt->id);

		ctx_print(st->ctx, CON_STORE_ACCEPTED, 0, 0, rt->file);
		if (o != NULL)
			store_offer_free(o);	/* F.pdf is already here */
		store_rearm(st);
		hold_stored(st->hold, rt->file, true, now);	/* the user's file, replicated */
		return;
	}
	if (store_taken(st, rt))
		return;		/* the origin resent it before our acceptance reached it */
	LIST_FOREACH(in, &st->intakes, link)
		if (in->file == rt->file) {
			log_warn("refused a store of %04u from peer %u: one is already coming in",
			    rt->file, rt->origin.id);
			return;
		}
	if (!serve_admit(st->serve, rt->origin.id, "store", rt->file))
		return;
	if ((in = calloc(1, sizeof *in)) == NULL) {
		serve_release(st->serve, rt->origin.id);
		return;
	}
	in->job = (struct ctx_job){ store_intake_done, st };
	in->origin = rt->origin.id;
	in->id = rt->id;
	in->file = rt->file;
	/* The origin answers at once. */
	ctx_intake_init(&in->copy, &st->dues, now + STORE_INTAKE_WAIT_MS);
	LIST_INSERT_HEAD(&st->intakes, in, link);
	store_acceptance(st, rt, &m);
	if ((c = net_tcp_send(st->ctx->net, &rt->origin, &m)) == NULL) {
		store_intake_free(st, in);
		return;
	}
	in->conn = net_conn_id(c);
	st->taken[st->ntaken++ % STORE_TAKEN_MAX] = (uint64_t)rt->origin.id << 32 | rt->id;
	ctx_print(st->ctx, CON_STORE_ACCEPTED, 0, 0, rt->file);
	store_rearm(st);
}

/* The owner accepted a store of ours: send the bytes back on its connection. */
bool
store_on_accepted(struct store *st, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct store_offer	*o = store_find_offer(st, m->u.file_rsp.id);
	struct wire_msg		 d;
	char			 err[256];
	uint32_t		 size;
	int			 fd;

	if (o == NULL)
		return false;
	if (m->u.file_rsp.file != o->file)
		return true;
	if (files_open(st->ctx->cfg.dir, o->file, &fd, &size, err, sizeof err) != 0) {
		log_warn("store %04d: %s", o->file, err);
		store_offer_free(o);
		store_rearm(st);
		return true;
	}
	memset(&d, 0, sizeof d);
	d.type = WIRE_STORE_DATA;
	d.from = st->ctx->self;
	d.u.store_data.file = (uint16_t)o->file;
	d.u.store_data.id = o->id;
	d.u.store_data.size = size;
	if (serve_stream(st->serve, c, &d, fd, size, o->file, m->from.id, false, now) != 0) {
		log_warn("store %04d: a second acceptance on one connection; ignored", o->file);
		return true;
	}
	store_offer_free(o);
	store_rearm(st);
	return true;
}

/* A complete intake's copy becomes F.pdf, and goes on to the other holders. */
static void
store_commit(struct store *st, struct store_intake *in, uint64_t now)
{
	char	err[256];
	int	user = hold_user_file(st->hold, in->file, in->copy.tmp);

	if (user != 0) {
		/* The directory's own F.pdf is never replaced (N > 1): the ring holds it instead. */
		ctx_intake_drop(&in->copy);
		if (user < 0)
			log_warn("store %04d: kept this directory's own %04d.pdf, which differs",
			    in->file, in->file);
	} else if (files_commit(&in->copy.fd, st->ctx->cfg.dir, in->copy.tmp, FILES_OWN, in->file,
	    err, sizeof err) != 0) {
		log_warn("store %04d: %s", in->file, err);
		return;
	}
	st->owner_of[in->file / 8] |= (uint8_t)(1u << (in->file % 8));
	st->ctx->bytes_in += in->copy.size;
	hold_stored(st->hold, in->file, user != 0, now);
}

/* Open an intake's temporary copy, if its announced size fits on the disk. */
static int
store_open_copy(struct store *st, struct store_intake *in, uint32_t size)
{
	struct statvfs	sv;
	char		err[256];

	if (ctx_intake_open(&in->copy, st->ctx->cfg.dir, in->file, in->id, err, sizeof err) != 0) {
		log_warn("store %04d: %s", in->file, err);
		return -1;
	}
	if (fstatvfs(in->copy.fd, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < size) {
		log_warn("store %04d: %u bytes do not fit in %s", in->file, size,
		    st->ctx->cfg.dir);
		return -1;
	}
	return 0;
}

/* A stored file's bytes are coming from its origin. */
void
store_on_data(struct store *st, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct store_intake *in;

	LIST_FOREACH(in, &st->intakes, link)
		if (in->conn == net_conn_id(c) && in->origin == m->from.id &&
		    in->id == m->u.store_data.id && in->file == m->u.store_data.file &&
		    !in->copy.receiving)
			break;
	if (in == NULL) {
		log_warn("ignored unexpected data for %04u from %s", m->u.store_data.file,
		    net_conn_peer(c));
		return;
	}
	if (store_open_copy(st, in, m->u.store_data.size) != 0) {
		store_intake_free(st, in);
	} else if (m->u.store_data.size == 0) {
		store_commit(st, in, now);
		store_intake_free(st, in);
	} else {
		ctx_intake_receive(&in->copy, c, m->u.store_data.size, now);
		net_conn_expect_body(c, in->copy.fd, in->copy.size, &in->job);
	}
	store_rearm(st);
}

/* An intake's body is in, or cannot be. */
static void
store_intake_done(struct ctx_job *job, bool ok, uint64_t now)
{
	struct store_intake	*in = (struct store_intake *)job;
	struct store		*st = job->room;

	in->copy.body = NULL;	/* net is done with it */
	store_say_figures(in, true, ok, now);
	if (ok)
		store_commit(st, in, now);
	store_intake_free(st, in);
	store_rearm(st);
}

/* A store not accepted yet (the ring may have been repairing): route it again, quietly. */
static void
store_resend(struct store *st, struct store_offer *o, uint64_t now)
{
	struct ring	*r = st->ring;
	size_t		 from = r->nout, i, j;

	o->retry_at = now + o->backoff;
	o->backoff *= 2;
	if (r->state != RING_UP)
		return;
	ring_store(r, o->file, o->id, now);
	/* The origin said "sent" the first time; a retry prints nothing on stdout. */
	for (i = j = from; i < r->nout; i++)
		if (r->out[i].kind != RING_ACT_EVENT)
			r->out[j++] = r->out[i];
	r->nout = j;
}

/* Time passed. */
void
store_tick(struct store *st, uint64_t now)
{
	struct store_offer	*o, *ot;
	struct store_intake	*in, *it;

	LIST_FOREACH_SAFE(o, &st->offers, link, ot)
		if (now >= o->deadline) {
			log_say("store %04d failed: no peer accepted it within %d s (the ring may "
			    "be broken)", o->file, STORE_OFFER_WAIT_MS / 1000);
			store_offer_free(o);
		} else if (now >= o->retry_at) {
			store_resend(st, o, now);
		}
	LIST_FOREACH_SAFE(in, &st->intakes, link, it)
		if (ctx_intake_progress_due(&in->copy, now)) {
			store_say_figures(in, false, false, now);
		} else if (ctx_intake_expired(&in->copy, now)) {
			log_warn("store %04d: peer %u never sent the data", in->file, in->origin);
			store_intake_free(st, in);
		}
	store_rearm(st);
}

/* Every F.pdf here with its role, and our intakes as transfers. */
void
store_snapshot(const struct store *st, struct status_snapshot *snap, uint64_t now)
{
	const struct store_intake	*in;
	int				 files[STATUS_MAX_FILES];
	size_t				 i, n;

	n = files_list(st->ctx->cfg.dir, files, STATUS_MAX_FILES);
	for (i = 0; i < n; i++) {
		struct status_file *f = &snap->files[i];

		enum place_role	role;

		f->file = files[i];
		f->role = st->owner_of[files[i] / 8] & (1u << (files[i] % 8)) ? STATUS_OWNER :
		    STATUS_OWN;
		/*
		 * A ring copy: its role as the last plan saw it (a spare counts as a replica). The
		 * user's own file stays "own" even when the ring counts on it.
		 */
		if (hold_role(st->hold, files[i], &role) && role != PLACE_UNKNOWN)
			f->role = role == PLACE_OWNER ? STATUS_OWNER : STATUS_REPLICA;
		else if (hold_role(st->hold, files[i], &role) && f->role == STATUS_OWN)
			f->role = STATUS_REPLICA;	/* a copy received, before our view is known */
		f->size = files_size(st->ctx->cfg.dir, files[i]);
		if (f->size < 0)
			f->size = STATUS_NONE;
	}
	snap->nfiles = n;
	LIST_FOREACH(in, &st->intakes, link) {
		struct status_transfer t = { .kind = STATUS_STORE, .file = in->file,
		    .peer = in->origin };

		ctx_intake_status(&in->copy, &t, now);
		if (!in->copy.receiving)
			t.size = STATUS_NONE;	/* the origin has not said yet */
		status_add_transfer(snap, &t);
	}
}

/* End every job (partial copies removed). */
void
store_free(struct store *st)
{
	while (!LIST_EMPTY(&st->offers))
		store_offer_free(LIST_FIRST(&st->offers));
	while (!LIST_EMPTY(&st->intakes))
		store_intake_free(st, LIST_FIRST(&st->intakes));
}
