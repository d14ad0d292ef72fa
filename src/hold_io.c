/* Files held for the ring: our offers out, and copies offered to us (docs/REPLICATION.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/statvfs.h>

#include "cdht/keys.h"
#include "hold_int.h"
#include "log.h"
#include "net.h"

/* ---- progress */

/* Bytes of a copy we send: what left the connection, or as of the last line. */
uint64_t
hold_out_moved(const struct hold_out *o)
{
	if (o->state == HOLD_SENDING && o->conn != NULL)
		return net_conn_body_moved(o->conn);
	return o->state == HOLD_SENT ? o->size : o->moved;
}

/* A copy we send hands a key over: our quit, or an offer to its new owner. */
bool
hold_out_handoff(const struct hold *h, const struct hold_out *o)
{
	return h->leaving || o->intent == PLACE_HOLD_OWNER;
}

/* A copy coming in makes us the key's owner. */
bool
hold_in_handoff(const struct hold_in *in)
{
	return in->intent == PLACE_HOLD_OWNER;
}

/*
 * One stderr line with a transfer's figures (a copy, or a store's intake): progress while it
 * moves, and at the end a summary, or the same figures with "failed" and how far it got.
 */
void
hold_say_figures(const struct hold_label *l, uint64_t done, uint32_t size, uint64_t start,
    bool end, bool ok, uint64_t now)
{
	struct xfer_progress	p;
	char			label[64], line[256];
	int			len;

	snprintf(label, sizeof label, "%s %04d %s peer %d%s", end && ok ? l->ed : l->ing,
	    l->file, l->way, l->peer, end && !ok ? " failed" : "");
	xfer_progress_figures(&p, done, size, true, start, now);
	if (!end) {
		xfer_progress_line(&p, label, line, sizeof line);
	} else {
		len = xfer_progress_summary(&p, label, -1, line, sizeof line);
		if (!ok && len > 0 && (size_t)len < sizeof line)
			snprintf(line + len, sizeof line - (size_t)len, ", at %" PRIu32 "%%",
			    p.percent);
	}
	/* A failure is a warning: a peer cutting bodies short must not flood stderr. */
	(end && !ok ? log_warn : log_say)("%s", line);
}

/* The words of a copy we send. */
static struct hold_label
hold_out_label(const struct hold *h, const struct hold_out *o)
{
	bool handoff = hold_out_handoff(h, o);

	return (struct hold_label){ handoff ? "handing off" : "copying",
	    handoff ? "handed off" : "copied", "to", o->file, o->to };
}

/* The words of a copy coming in. */
static struct hold_label
hold_in_label(const struct hold_in *in)
{
	bool handoff = hold_in_handoff(in);

	return (struct hold_label){ handoff ? "taking over" : "copying",
	    handoff ? "took over" : "copied", "from", in->file, in->from.id };
}

/*
 * Progress lines of the copies moving, 2 s in and then once a second. Copies are many and
 * small (a batch has its own summary line): only one that printed a progress line gets a
 * summary of its own.
 */
void
hold_progress(struct hold *h, uint64_t now)
{
	struct hold_out	*o;
	struct hold_in	*in;

	LIST_FOREACH(o, &h->outs, link)
		if (o->state == HOLD_SENDING && xfer_meter_due(&o->meter, now)) {
			struct hold_label l = hold_out_label(h, o);

			o->moved = hold_out_moved(o);
			o->said = true;
			hold_say_figures(&l, o->moved, o->size, o->meter.start, false, false, now);
		}
	LIST_FOREACH(in, &h->ins, link)
		if (ctx_intake_progress_due(&in->copy, now)) {
			struct hold_label l = hold_in_label(in);

			in->said = true;
			hold_say_figures(&l, ctx_intake_moved(&in->copy), in->copy.size,
			    in->copy.meter.start, false, false, now);
		}
}

/* When an offer of ours is due: a progress line while SENDING, else giving up (hold_tick). */
static uint64_t
hold_out_next(const void *job)
{
	const struct hold_out *o = job;

	return o->state == HOLD_SENDING ? o->meter.due : o->deadline;
}

/* ---- offers out */

void
hold_out_free(struct hold_out *o)
{
	LIST_REMOVE(o, link);
	ctx_due_remove(&o->due);
	free(o);
}

/* An offer of ours ended with st: tell place, and plan again. */
void
hold_out_result(struct hold *h, struct hold_out *o, enum place_status st, uint64_t now)
{
	hold_debug("%04u to %d: %s (%s)", o->file, o->to, place_status_name(st),
	    o->state == HOLD_OFFERED ? "offered" : o->state == HOLD_SENDING ? "sending" : "sent");
	place_on_result(h->inv, h->n, o->file, o->to, st, now);
	if (st == PLACE_ST_HAVE) {
		h->progress_at = now;
		if (o->state == HOLD_OFFERED)
			h->batch.there++;
		else
			h->batch.sent++;
	} else if (st == PLACE_ST_NEWER) {
		log_warn("peer %d holds a newer %04u than ours", o->to, o->file);
	}
	hold_out_free(o);
	h->replan = true;
}

/* A copy we streamed is written, or not. */
static void
hold_sent(struct ctx_job *job, bool ok, uint64_t now)
{
	struct hold_out	*o = (struct hold_out *)job;
	struct hold	*h = job->room;

	if (o->conn != NULL)	/* how far it got, counted as the connection closed */
		o->moved = net_conn_body_moved(o->conn);
	o->conn = NULL;		/* net is done with it */
	if (o->said) {
		struct hold_label l = hold_out_label(h, o);

		hold_say_figures(&l, ok ? o->size : o->moved, o->size, o->meter.start, true, ok,
		    now);
	}
	if (!ok) {
		hold_out_result(h, o, PLACE_ST_FAILED, now);
	} else {
		h->bytes_sent += o->size;
		h->ctx->bytes_out += o->size;
		h->batch.bytes += o->size;
		h->progress_at = now;
		o->state = HOLD_SENT;
		o->deadline = now + HOLD_WAIT_MS;
		if (o->has_final)
			hold_out_result(h, o, o->final, now);
	}
	hold_sync(h, now);
}

/* Offer one file to one peer. */
void
hold_offer(struct hold *h, const struct place_offer *po, uint64_t now)
{
	ssize_t			 k = hold_find(h, po->file);
	struct hold_out		*o;
	struct wire_msg		 m;

	if (k < 0 || (o = calloc(1, sizeof *o)) == NULL) {
		place_on_result(h->inv, h->n, po->file, po->to, PLACE_ST_FAILED, now);
		return;
	}
	o->job = (struct ctx_job){ hold_sent, h };
	o->file = po->file;
	o->to = po->to;
	o->gen = h->inv[k].gen;
	o->size = h->inv[k].size;
	o->sum = h->inv[k].sum;
	o->intent = po->intent;
	o->state = HOLD_OFFERED;
	o->deadline = now + HOLD_WAIT_MS;
	LIST_INSERT_HEAD(&h->outs, o, link);
	ctx_due_add(&h->dues, &o->due, hold_out_next, o);
	if (hold_contact(h, po->to, &o->c) != 0) {
		hold_out_result(h, o, PLACE_ST_FAILED, now);
		return;
	}
	hold_debug("offer %04u to %d (intent %d)", o->file, o->to, (int)o->intent);
	memset(&m, 0, sizeof m);
	m.type = WIRE_HOLD_OFFER;
	m.u.hold.file = o->file;
	m.u.hold.intent = (uint8_t)o->intent;
	m.u.hold.size = o->size;
	m.u.hold.gen = o->gen;
	m.u.hold.sum = o->sum;
	hold_send(h, &o->c, &m);	/* a failure comes back through hold_send_failed */
}

/* The offer of ours this answer is about, or NULL. */
static struct hold_out *
hold_out_find(const struct hold *h, int from, int file, uint64_t gen)
{
	struct hold_out *o;

	LIST_FOREACH(o, &h->outs, link)
		if (o->to == from && o->file == file && o->gen == gen)
			return o;
	return NULL;
}

/* The peer wants our copy: stream it on a connection of its own. */
static void
hold_out_stream(struct hold *h, struct hold_out *o, const struct contact *to, uint64_t now)
{
	char		 path[FILES_PATH_MAX];
	struct wire_msg	 m;
	struct net_conn	*c;
	uint32_t	 size;
	int64_t		 mtime;
	int		 fd;

	hold_path(h, o->file, path, sizeof path);
	if (hold_stat(path, &size, &mtime) != 0 || size != o->size ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("cannot send %04u to peer %d: %s changed or is gone", o->file, o->to,
		    path);
		hold_out_result(h, o, PLACE_ST_FAILED, now);
		return;
	}
	o->c = *to;
	o->state = HOLD_SENDING;
	o->started = now;
	memset(&m, 0, sizeof m);
	m.type = WIRE_HOLD_DATA;
	m.u.hold.file = o->file;
	m.u.hold.size = o->size;
	m.u.hold.gen = o->gen;
	m.u.hold.sum = o->sum;
	if ((c = hold_send(h, to, &m)) == NULL) {
		close(fd);
		hold_out_result(h, o, PLACE_ST_FAILED, now);
		return;
	}
	o->conn = c;
	xfer_meter_init(&o->meter, now);
	/* From here net reports the end exactly once, through hold_sent. */
	if (net_conn_send_file(c, NULL, fd, o->size, &o->job) != 0)
		hold_out_result(h, o, PLACE_ST_FAILED, now);
}

/* HOLD_ANSWER: about an offer of ours, or the final word on a copy we sent. */
static void
hold_on_answer(struct hold *h, const struct wire_msg *m, uint64_t now)
{
	int		  file = m->u.hold_answer.file;
	struct hold_out	 *o = hold_out_find(h, m->from.id, file, m->u.hold_answer.gen);
	enum place_status st = (enum place_status)m->u.hold_answer.status;

	if (o == NULL) {
		log_warn("ignored an answer about %04d from peer %u: nothing offered", file,
		    m->from.id);
		return;
	}
	if (o->state == HOLD_OFFERED && st == PLACE_ST_WANT) {
		hold_out_stream(h, o, &m->from, now);
		return;
	}
	if (o->state == HOLD_SENDING) {
		o->has_final = true;	/* our file_sent is still to come */
		o->final = st;
		return;
	}
	if (st == PLACE_ST_WANT) {
		log_warn("peer %u asked twice for %04d", m->from.id, file);
		return;
	}
	hold_out_result(h, o, st, now);
}

/* ---- offers in */

void
hold_in_free(struct hold_in *in)
{
	LIST_REMOVE(in, link);
	ctx_intake_end(&in->copy);
	free(in);
}

/* Answer peer `to` about a file and version. */
static void
hold_answer(struct hold *h, const struct contact *to, int file, uint64_t gen,
    enum place_status st)
{
	struct wire_msg	m;

	memset(&m, 0, sizeof m);
	m.type = WIRE_HOLD_ANSWER;
	m.u.hold_answer.file = (uint16_t)file;
	m.u.hold_answer.gen = gen;
	m.u.hold_answer.status = (uint8_t)st;
	hold_send(h, to, &m);
}

/*
 * The checksum of a user's file that an offer of the same size asks about, hashed once per
 * (file, size, change time): offers arriving again and again never re-read a large file.
 */
static int
hold_user_sum(int file, const char *path, uint32_t size, int64_t mtime, uint64_t *sum)
{
	static struct {
		int		file;
		uint32_t	size;
		int64_t		mtime;
		uint64_t	sum;
	}		cache[HOLD_SUM_CACHE];
	unsigned	k = (unsigned)file % HOLD_SUM_CACHE;
	uint32_t	hashed;

	if (cache[k].file == file + 1 && cache[k].size == size && cache[k].mtime == mtime) {
		*sum = cache[k].sum;
		return 0;
	}
	if (hold_hash(path, &hashed, sum) != 0 || hashed != size)
		return -1;
	cache[k].file = file + 1;
	cache[k].size = size;
	cache[k].mtime = mtime;
	cache[k].sum = *sum;
	return 0;
}

/*
 * Our copy of file, as an offer of offered bytes about it needs it. A user's file is hashed
 * only when its size matches the offer's (otherwise it differs anyway), and then once.
 */
static void
hold_local(struct hold *h, int file, uint32_t offered, struct place_copy *c)
{
	char		path[FILES_PATH_MAX];
	ssize_t		k = hold_find(h, file);
	uint32_t	size;
	int64_t		mtime;

	memset(c, 0, sizeof *c);
	hold_path(h, file, path, sizeof path);
	if (hold_stat(path, &size, &mtime) != 0) {
		if (k >= 0)
			hold_forget(h, (size_t)k);	/* someone removed it */
		return;
	}
	c->present = true;
	if (k >= 0 && size == h->inv[k].size) {
		c->sum_known = true;
		c->gen = h->inv[k].gen;
		c->size = h->inv[k].size;
		c->sum = h->inv[k].sum;
		c->source = h->inv[k].source;
		return;
	}
	/* The user's own file: only its bytes can tell. */
	c->source = PLACE_SRC_USER;
	c->gen = 1;
	c->size = size;
	c->sum_known = size == offered && hold_user_sum(file, path, size, mtime, &c->sum) == 0;
}

/* Room for a copy of size bytes, and a free slot for it? PLACE_ST_WANT if so. */
static enum place_status
hold_admit(const struct hold *h, int file, int from, uint32_t size)
{
	const struct hold_in	*in;
	struct statvfs		 sv;
	unsigned		 all = 0, theirs = 0;

	LIST_FOREACH(in, &h->ins, link) {
		if (in->file == file)
			return PLACE_ST_BUSY;
		all++;
		theirs += in->from.id == from;
	}
	if (all >= HOLD_MAX_IN || theirs >= HOLD_MAX_IN_PER_PEER)
		return PLACE_ST_BUSY;
	if (statvfs(h->ctx->cfg.dir, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < (uint64_t)size + 65536)
		return PLACE_ST_NO_ROOM;
	return PLACE_ST_WANT;
}

/* A received copy that checks out becomes F.pdf, never over the user's own file. */
static enum place_status
hold_commit(struct hold *h, struct hold_in *in)
{
	char			path[FILES_PATH_MAX];
	uint32_t		size;
	uint64_t		sum;
	ssize_t			k = hold_find(h, in->file);
	enum place_source	src = PLACE_SRC_RING;

	close(in->copy.fd);
	in->copy.fd = -1;
	if (hold_hash(in->copy.tmp, &size, &sum) != 0 || size != in->copy.size ||
	    sum != in->sum) {
		log_warn("refused %04u from peer %u: the bytes do not match the offer", in->file,
		    in->from.id);
		unlink(in->copy.tmp);
		return PLACE_ST_BAD;
	}
	hold_path(h, in->file, path, sizeof path);
	if (k >= 0 && hold_unchanged(h, (size_t)k)) {
		if (rename(in->copy.tmp, path) != 0) {
			unlink(in->copy.tmp);
			return PLACE_ST_NO_ROOM;
		}
	} else if (link(in->copy.tmp, path) != 0) {
		uint32_t	usize;
		uint64_t	usum;

		unlink(in->copy.tmp);
		if (errno != EEXIST)
			return PLACE_ST_NO_ROOM;
		/* The user's file is there: identical, it is our copy; else it stays. */
		if (hold_hash(path, &usize, &usum) != 0 || usize != size || usum != sum) {
			log_warn("refused %04u from peer %u: this directory's own file differs",
			    in->file, in->from.id);
			return PLACE_ST_USER_FILE;
		}
		src = PLACE_SRC_USER;
	} else {
		unlink(in->copy.tmp);	/* F.pdf is the one name now (no file was replaced) */
	}
	hold_set(h, in->file, in->gen, size, sum, src);
	h->bytes_received += size;
	h->ctx->bytes_in += size;
	return PLACE_ST_HAVE;
}

/* A copy coming in is all written, or not. */
static void
hold_received(struct ctx_job *job, bool ok, uint64_t now)
{
	struct hold_in		*in = (struct hold_in *)job;
	struct hold		*h = job->room;
	enum place_status	 st;

	in->copy.body = NULL;	/* net is done with it */
	if (in->said) {
		struct hold_label l = hold_in_label(in);

		hold_say_figures(&l, ok ? in->copy.size : ctx_intake_moved(&in->copy),
		    in->copy.size, in->copy.meter.start, true, ok, now);
	}
	if (ok) {
		st = hold_commit(h, in);
		hold_answer(h, &in->from, in->file, in->gen, st);
	}
	hold_in_free(in);	/* the temporary name goes, committed or not */
	hold_sync(h, now);
}

/* HOLD_OFFER: answer it, and wait for the bytes if we want them. */
static void
hold_on_offer(struct hold *h, const struct wire_msg *m, uint64_t now)
{
	struct place_hold	 o = { m->u.hold.file, (enum place_intent)m->u.hold.intent,
	    m->u.hold.gen, m->u.hold.size, m->u.hold.sum };
	struct place_copy	 local;
	struct place_view	 v;
	struct hold_in		*in;
	enum place_status	 st;

	hold_view(h, &v);
	/* A stranger's offer is refused before our directory is even looked at. */
	memset(&local, 0, sizeof local);
	if (place_is_neighbour(&v, m->from.id))
		hold_local(h, o.file, o.size, &local);
	st = place_answer(&v, m->from.id, &o, &local);
	if (st == PLACE_ST_WANT)
		st = hold_admit(h, o.file, m->from.id, o.size);
	if (st == PLACE_ST_WANT && (in = calloc(1, sizeof *in)) != NULL) {
		in->job = (struct ctx_job){ hold_received, h };
		in->file = o.file;
		in->from = m->from;
		in->gen = o.gen;
		in->sum = o.sum;
		in->intent = o.intent;
		ctx_intake_init(&in->copy, &h->dues, now + HOLD_WAIT_MS);
		in->copy.size = o.size;
		LIST_INSERT_HEAD(&h->ins, in, link);
	} else if (st == PLACE_ST_WANT) {
		st = PLACE_ST_BUSY;
	} else if (st == PLACE_ST_NEWER) {
		place_reask(h->inv, h->n, o.file, m->from.id);
		h->replan = true;
	} else if (st == PLACE_ST_HAVE && local.source == PLACE_SRC_USER &&
	    hold_find(h, o.file) < 0 && place_role(&v, keys_of_file(o.file), NULL) != PLACE_NONE) {
		hold_set(h, o.file, o.gen, o.size, o.sum, PLACE_SRC_USER);
	}
	/* A peer just started does not know its neighbours yet: no alarm for that. */
	hold_debug("offer of %04u from %u: %s", o.file, m->from.id, place_status_name(st));
	if ((st == PLACE_ST_NOT_NEIGHBOUR && v.pred[0] != PLACE_NO_PEER) ||
	    st == PLACE_ST_USER_FILE || st == PLACE_ST_NO_ROOM)
		log_warn("refused %04u from peer %u: %s", o.file, m->from.id,
		    st == PLACE_ST_NOT_NEIGHBOUR ? "not a ring neighbour" :
		    st == PLACE_ST_USER_FILE ? "this directory's own file differs" :
		    "no room on the disk");
	hold_answer(h, &m->from, o.file, o.gen, st);
}

/* HOLD_DATA: the bytes of a copy we want, or of one nobody asked for. */
static void
hold_on_data(struct hold *h, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct hold_in	*in;
	char		 err[256];

	LIST_FOREACH(in, &h->ins, link)
		if (in->from.id == m->from.id && in->file == m->u.hold.file &&
		    in->gen == m->u.hold.gen && !in->copy.receiving)
			break;
	if (in == NULL || in->copy.size != m->u.hold.size || in->sum != m->u.hold.sum) {
		/* Not read as a body: the connection fails on those bytes and closes. */
		log_warn("refused a copy of %04u from peer %u: %s", m->u.hold.file, m->from.id,
		    in == NULL ? "not asked for" : "not the version offered");
		return;
	}
	if (ctx_intake_open(&in->copy, h->ctx->cfg.dir, in->file, ++h->tmp_seq, err,
	    sizeof err) != 0) {
		log_warn("copy of %04u: %s", in->file, err);
		hold_answer(h, &in->from, in->file, in->gen, PLACE_ST_NO_ROOM);
		hold_in_free(in);
		return;
	}
	ctx_intake_receive(&in->copy, c, in->copy.size, now);
	if (in->copy.size == 0)
		hold_received(&in->job, true, now);
	else
		net_conn_expect_body(c, in->copy.fd, in->copy.size, &in->job);
}

/* HOLD_OFFER, HOLD_ANSWER, HOLD_DATA on connection c. */
void
hold_on_frame(struct hold *h, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	switch (m->type) {
	case WIRE_HOLD_OFFER:
		hold_on_offer(h, m, now);
		break;
	case WIRE_HOLD_ANSWER:
		hold_on_answer(h, m, now);
		break;
	case WIRE_HOLD_DATA:
		hold_on_data(h, c, m, now);
		break;
	}
	hold_sync(h, now);
}

/* A HOLD message to `to` could not be sent: offers to it failed. */
void
hold_send_failed(struct hold *h, const struct contact *to, int type, uint64_t now)
{
	struct hold_out *o, *t;

	if (type != WIRE_HOLD_OFFER)
		return;		/* an answer: the offerer retries on its own */
	LIST_FOREACH_SAFE(o, &h->outs, link, t)
		if (o->to == to->id && o->state == HOLD_OFFERED)
			hold_out_result(h, o, PLACE_ST_FAILED, now);
	hold_sync(h, now);
}

