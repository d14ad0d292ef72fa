/*
 * One cdht peer: carries out the ring core's actions on the transport, runs file transfers
 * (stop-and-wait over UDP, streams over TCP), reads commands and prints console lines.
 */
#include <sys/queue.h>
#include <sys/statvfs.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cdht/keys.h"
#include "cdht/ring.h"
#include "cdht/xfer.h"
#include "clock.h"
#include "files.h"
#include "input.h"
#include "log.h"
#include "net.h"
#include "peer.h"
#include "xferlog.h"

#define PEER_STATUS_FILES	64	/* files listed by `status` */
#define PEER_MAX_SERVES		64	/* files we send at once (answers and stores taken) */
#define PEER_MAX_PER_PEER	8	/* of which for one other peer */

#ifndef LIST_FOREACH_SAFE	/* glibc's sys/queue.h lacks it; the BSDs have it */
#define LIST_FOREACH_SAFE(var, head, field, tvar)				\
	for ((var) = LIST_FIRST((head));					\
	    (var) != NULL && ((tvar) = LIST_NEXT((var), field), 1);		\
	    (var) = (tvar))
#endif

/* What a net callback's ctx points to; every such struct starts with this tag. */
enum peer_job { PEER_JOB_REQ, PEER_JOB_STORE_IN, PEER_JOB_OUT };

/* A request typed here, from typing until the copy is in place (then lingering). */
struct peer_req {
	enum peer_job		 job;
	LIST_ENTRY(peer_req)	 link;
	uint32_t		 id;
	int			 file;
	enum { REQ_WAITING, REQ_UDP, REQ_TCP, REQ_DONE } state;
	uint64_t		 deadline;	/* WAITING: answer due; DONE: forget */
	struct xfer_rx		 rx;
	int			 fd;
	char			 tmp[FILES_PATH_MAX];
	uint32_t		 size;
	bool			 size_known;
	uint8_t			 owner;
};

/* A file we send by stop-and-wait. */
struct peer_tx {
	LIST_ENTRY(peer_tx)	 link;
	struct contact		 to;
	uint32_t		 id;
	int			 file;
	int			 fd;
	struct xfer_tx		 tx;
};

/* A store typed here, waiting for its owner to ask for the bytes. */
struct peer_store {
	LIST_ENTRY(peer_store)	 link;
	uint32_t		 id;
	int			 file;
	uint64_t		 deadline;
};

/* A store we own, waiting for (then receiving) its bytes from the origin. */
struct peer_in {
	enum peer_job		 job;
	LIST_ENTRY(peer_in)	 link;
	uint8_t			 origin;
	uint32_t		 id;
	int			 file;
	uint64_t		 deadline;
	uint64_t		 conn;		/* the connection we asked for the bytes on */
	bool			 receiving;
	int			 fd;
	char			 tmp[FILES_PATH_MAX];
};

/* A file body we stream over TCP: an answer to a request, or a store's bytes. */
struct peer_out {
	enum peer_job		 job;
	LIST_ENTRY(peer_out)	 link;
	bool			 answer;
	int			 file;
	uint8_t			 to;
};

/* The peer. Owned by main; lives as long as the loop runs. */
struct peer {
	struct config		 cfg;
	struct event_base	*base;
	struct net		*net;
	struct input		*input;
	struct ring		 ring;
	struct xfer_rng		 rng;
	uint64_t		 start_ms;
	bool			 applying;
	int			 status;
	struct xferlog		 req_log, rsp_log;
	LIST_HEAD(, peer_req)	 reqs;
	LIST_HEAD(, peer_tx)	 txs;
	LIST_HEAD(, peer_store)	 stores;
	LIST_HEAD(, peer_in)	 ins;
	LIST_HEAD(, peer_out)	 outs;
};

static void	peer_rearm(struct peer *p);

/* The contact of peer id on our address and base port. */
static struct contact
peer_contact(const struct peer *p, int id)
{
	return contact_with_id(&p->ring.cfg.self, (uint8_t)id,
	    (uint16_t)(p->cfg.base_port + (unsigned)id));
}

/* Print one console event's lines together. */
static void
peer_print(struct peer *p, enum console_kind kind, int a, int b, int file)
{
	struct console_ev	ev = { kind, a, b, file };
	char			buf[512];

	if (console_format(p->cfg.dialect, &ev, buf, sizeof buf) > 0)
		fputs(buf, stdout);
}

static void	peer_serve(struct peer *p, const struct wire_route *rt, uint64_t now);
static void	peer_own_store(struct peer *p, const struct wire_route *rt, uint64_t now);

/* Carry out the ring's actions; nested ring inputs append to the same outbox. */
static void
peer_apply(struct peer *p, uint64_t now)
{
	size_t	i;

	if (p->applying)
		return;
	p->applying = true;
	for (i = 0; i < p->ring.nout; i++) {
		struct ring_action a = p->ring.out[i];	/* the outbox may move on under us */

		switch (a.kind) {
		case RING_ACT_UDP:
			net_udp_send(p->net, &a.to, &a.msg);
			break;
		case RING_ACT_TCP:
			net_tcp_send(p->net, &a.to, &a.msg);
			break;
		case RING_ACT_EVENT:
			peer_print(p, a.ev.kind, a.ev.a, a.ev.b, a.ev.file);
			break;
		case RING_ACT_WARN:
			log_warn("%s", a.text);
			break;
		case RING_ACT_SERVE:
			peer_serve(p, &a.msg.u.route, now);
			break;
		case RING_ACT_STORE:
			peer_own_store(p, &a.msg.u.route, now);
			break;
		case RING_ACT_EXIT:
			if (a.status != 0)
				log_say("%s", a.text);
			p->status = a.status;
			event_base_loopbreak(p->base);
			break;
		}
	}
	if (p->ring.overflow > 0)
		log_warn("internal: %zu ring actions lost", p->ring.overflow);
	p->ring.overflow = 0;
	ring_clear_actions(&p->ring);
	p->applying = false;
}

/* Milliseconds since the peer started, for the logs. */
static uint64_t
peer_clock(const struct peer *p, uint64_t now)
{
	return now - p->start_ms;
}

/* How many files we are sending (or taking as stores) in all, and for peer id. */
static size_t
peer_load(const struct peer *p, int id, size_t *for_id)
{
	const struct peer_tx	*t;
	const struct peer_out	*o;
	const struct peer_in	*in;
	size_t			 all = 0, mine = 0;

	LIST_FOREACH(t, &p->txs, link) {
		all++;
		mine += t->to.id == id;
	}
	LIST_FOREACH(o, &p->outs, link) {
		all++;
		mine += o->to == id;
	}
	LIST_FOREACH(in, &p->ins, link) {
		all++;
		mine += in->origin == id;
	}
	*for_id = mine;
	return all;
}

/* May peer id start one more transfer with us? Says why not on stderr. */
static bool
peer_may_serve(const struct peer *p, int id, const char *what, int file)
{
	size_t	mine, all = peer_load(p, id, &mine);

	if (all < PEER_MAX_SERVES && mine < PEER_MAX_PER_PEER)
		return true;
	log_warn("refused %s %04d for peer %d: %zu transfers in flight (%zu for it)", what, file,
	    id, all, mine);
	return false;
}

/* A fresh, hard-to-guess id for a request or store (answers must name it). */
static uint32_t
peer_new_id(struct peer *p)
{
	const struct peer_req	*r;
	const struct peer_store	*s;
	uint32_t		 id;
	bool			 used;

	do {
		id = (uint32_t)(xfer_rng_uniform(&p->rng) * 4294967296.0);
		used = id == 0;
		LIST_FOREACH(r, &p->reqs, link)
			used |= r->id == id;
		LIST_FOREACH(s, &p->stores, link)
			used |= s->id == id;
	} while (used);
	return id;
}

/* ---- sending a file by stop-and-wait ---- */

static void
peer_tx_free(struct peer_tx *t)
{
	LIST_REMOVE(t, link);
	close(t->fd);
	free(t);
}

/* Log a data segment and put it on the wire unless emulation dropped it. */
static int
peer_tx_emit(struct peer *p, struct peer_tx *t, const struct xfer_seg *seg, uint64_t now)
{
	static uint8_t	buf[WIRE_MAX_MSS];
	struct wire_msg	m;
	ssize_t		got;

	xferlog_write(&p->rsp_log, seg->event, peer_clock(p, now), seg->seq, seg->len, 0);
	if (!seg->send)
		return 0;
	got = seg->len > 0 ? pread(t->fd, buf, seg->len, (off_t)seg->seq - 1) : 0;
	if (got != (ssize_t)seg->len) {
		log_warn("cannot read %04d.pdf at byte %u: the transfer to peer %u stops",
		    t->file, seg->seq - 1, t->to.id);
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.type = WIRE_DATA;
	m.from = p->ring.cfg.self;
	m.u.data.xfer = t->id;
	m.u.data.seq = seg->seq;
	m.u.data.flags = seg->last ? WIRE_DATA_LAST : 0;
	m.u.data.len = seg->len;
	m.u.data.data = buf;
	net_udp_send(p->net, &t->to, &m);
	return 0;
}

/* Log and send each segment of a batch, in order; -1 if the file could not be read. */
static int
peer_tx_emit_all(struct peer *p, struct peer_tx *t, const struct xfer_batch *b, uint64_t now)
{
	uint16_t	i;

	for (i = 0; i < b->n; i++)
		if (peer_tx_emit(p, t, &b->seg[i], now) != 0)
			return -1;
	return 0;
}

/* An ACK for one of our stop-and-wait transfers. */
static void
peer_on_ack(struct peer *p, const struct wire_msg *m, uint64_t now)
{
	struct peer_tx	*t;
	struct xfer_batch b;

	LIST_FOREACH(t, &p->txs, link)
		if (t->to.id == m->from.id && t->id == m->u.ack.xfer)
			break;
	if (t == NULL)
		return;		/* late duplicate of a finished transfer */
	xferlog_write(&p->rsp_log, XFER_LOG_RCV, peer_clock(p, now), 0, 0, m->u.ack.ack);
	switch (xfer_tx_on_ack(&t->tx, m->u.ack.ack, m->u.ack.sack, &p->rng, now, &b)) {
	case XFER_SEND:
		if (peer_tx_emit_all(p, t, &b, now) != 0)
			peer_tx_free(t);
		break;
	case XFER_DONE:
		xferlog_flush(&p->rsp_log);
		peer_print(p, CON_FILE_SENT, 0, 0, t->file);
		peer_tx_free(t);
		break;
	default:
		break;
	}
}

/* ---- answering a request as its key's owner ---- */

/* We own a requested key: answer the requester, then send the file. */
static void
peer_serve(struct peer *p, const struct wire_route *rt, uint64_t now)
{
	struct wire_msg	 rsp;
	struct peer_tx	*t;
	struct xfer_batch b;
	char		 err[256];
	uint32_t	 size;
	int		 fd;

	LIST_FOREACH(t, &p->txs, link)
		if (t->to.id == rt->origin.id && t->id == rt->id)
			return;		/* already being served */
	if (!peer_may_serve(p, rt->origin.id, "request", rt->file))
		return;
	memset(&rsp, 0, sizeof rsp);
	rsp.type = WIRE_FILE_RSP;
	rsp.from = p->ring.cfg.self;
	rsp.u.file_rsp.file = rt->file;
	rsp.u.file_rsp.id = rt->id;
	rsp.u.file_rsp.mode = rt->mode;
	if (files_open(p->cfg.dir, rt->file, &fd, &size, err, sizeof err) != 0) {
		log_warn("request for %04u from peer %u: %s; answered not available", rt->file,
		    rt->origin.id, err);
		rsp.u.file_rsp.status = WIRE_STATUS_ABSENT;
		net_tcp_send(p->net, &rt->origin, &rsp);
		return;
	}
	rsp.u.file_rsp.status = WIRE_STATUS_HAVE;
	rsp.u.file_rsp.size = size;
	peer_print(p, CON_FILE_HERE, rt->origin.id, 0, rt->file);
	if (rt->mode == WIRE_MODE_TCP) {
		struct net_conn	*c = net_tcp_send(p->net, &rt->origin, &rsp);
		struct peer_out	*o;

		if (c == NULL || (o = calloc(1, sizeof *o)) == NULL) {
			close(fd);
			return;
		}
		o->job = PEER_JOB_OUT;
		o->answer = true;
		o->file = rt->file;
		o->to = rt->origin.id;
		LIST_INSERT_HEAD(&p->outs, o, link);
		if (net_conn_send_file(c, NULL, fd, size, o) != 0) {
			LIST_REMOVE(o, link);
			free(o);
		}
		return;
	}
	if ((t = calloc(1, sizeof *t)) == NULL) {
		close(fd);
		return;
	}
	t->to = rt->origin;
	t->id = rt->id;
	t->file = rt->file;
	t->fd = fd;
	LIST_INSERT_HEAD(&p->txs, t, link);
	net_tcp_send(p->net, &rt->origin, &rsp);
	xfer_tx_init(&t->tx, &(struct xfer_cfg){ size, (uint16_t)p->cfg.mss, 1, p->cfg.drop,
	    p->cfg.timeout_ms });
	xfer_tx_start(&t->tx, &p->rng, now, &b);
	if (peer_tx_emit_all(p, t, &b, now) != 0)
		peer_tx_free(t);
}

/* ---- receiving a requested file ---- */

/* Drop a copy that will not be completed: close it and remove its temporary file. */
static void
peer_discard_partial(int *fd, const char *tmp)
{
	if (*fd == -1)
		return;
	close(*fd);
	*fd = -1;
	files_discard(tmp);
}

static void
peer_req_free(struct peer_req *r)
{
	LIST_REMOVE(r, link);
	peer_discard_partial(&r->fd, r->tmp);
	free(r);
}

static struct peer_req *
peer_req_find(struct peer *p, uint32_t id)
{
	struct peer_req *r;

	LIST_FOREACH(r, &p->reqs, link)
		if (r->id == id)
			return r;
	return NULL;
}

/* The owner answered (or its first segment did): announce it and open the temporary copy. */
static int
peer_req_begin(struct peer *p, struct peer_req *r, uint8_t owner, uint64_t now)
{
	char	err[256];

	peer_print(p, CON_FILE_RSP_RCVD, owner, 0, r->file);
	r->owner = owner;
	if (files_create_tmp(p->cfg.dir, FILES_RECEIVED, r->file, r->id, &r->fd, r->tmp,
	    sizeof r->tmp, err, sizeof err) != 0) {
		log_say("request for %04d: %s", r->file, err);
		r->fd = -1;
		return -1;
	}
	xfer_rx_init(&r->rx, XFER_WINDOW_MAX, now);
	return 0;
}

/* The copy is complete: verify it, move it into place, say so. */
static void
peer_req_finish(struct peer *p, struct peer_req *r, uint32_t got, uint64_t now)
{
	char	err[256];
	int	fd = r->fd;

	r->fd = -1;
	if (close(fd) != 0 || (r->size_known && got != r->size)) {
		log_warn("file %04d from peer %u: got %u bytes of %u; discarded", r->file,
		    r->owner, got, r->size);
		files_discard(r->tmp);
	} else if (files_commit(p->cfg.dir, r->tmp, FILES_RECEIVED, r->file, err,
	    sizeof err) != 0)
		log_warn("file %04d: %s", r->file, err);
	else
		peer_print(p, CON_FILE_RECEIVED, 0, 0, r->file);
	r->state = REQ_DONE;
	r->deadline = now + PEER_LINGER_MS;
}

/* The owner's answer to a request of ours. */
static void
peer_on_answer(struct peer *p, struct net_conn *c, struct peer_req *r,
    const struct wire_msg *m, uint64_t now)
{
	const uint32_t size = m->u.file_rsp.size;

	if (r->state == REQ_DONE && m->from.id == r->owner)
		return;		/* a small file's data overtook its answer and is already in */
	if (r->state == REQ_TCP || r->state == REQ_DONE || m->u.file_rsp.file != r->file) {
		log_warn("ignored a second answer for file %04d from peer %u", r->file,
		    m->from.id);
		return;
	}
	if (m->u.file_rsp.status == WIRE_STATUS_ABSENT) {
		peer_print(p, CON_FILE_ABSENT, 0, 0, r->file);
		peer_req_free(r);
		return;
	}
	r->size = size;
	r->size_known = true;
	if (r->state == REQ_UDP) {
		/* Its data came first; the size is all that was missing. */
		if (r->rx.high - 1 > size) {
			log_warn("file %04d from peer %u: more bytes came than announced; "
			    "discarded", r->file, m->from.id);
			peer_req_free(r);
		}
		return;
	}
	if (peer_req_begin(p, r, m->from.id, now) != 0) {
		peer_req_free(r);
		return;
	}
	if (m->u.file_rsp.mode == WIRE_MODE_UDP) {
		r->state = REQ_UDP;
		return;
	}
	r->state = REQ_TCP;
	if (size == 0)
		peer_req_finish(p, r, 0, now);
	else
		net_conn_expect_body(c, r->fd, size, r);
}

/* A stop-and-wait segment for one of our requests. */
static void
peer_on_data(struct peer *p, const struct wire_msg *m, uint64_t now)
{
	struct peer_req	*r = peer_req_find(p, m->u.data.xfer);
	struct wire_msg	 ack;
	uint32_t	 next, sack;
	enum xfer_rx_result res;

	if (r == NULL || r->state == REQ_TCP)
		return;
	if (r->state == REQ_WAITING) {
		/* The data overtook the TCP answer: it is the answer. */
		if (peer_req_begin(p, r, m->from.id, now) != 0) {
			peer_req_free(r);
			return;
		}
		r->state = REQ_UDP;
	}
	if (m->from.id != r->owner)
		return;
	if (r->size_known && ((uint64_t)m->u.data.seq - 1 + m->u.data.len > r->size ||
	    ((m->u.data.flags & WIRE_DATA_LAST) &&
	    (uint64_t)m->u.data.seq - 1 + m->u.data.len != r->size))) {
		log_warn("dropped a segment of %04d from peer %u: past the announced %u bytes",
		    r->file, m->from.id, r->size);
		return;
	}
	xferlog_write(&p->req_log, XFER_LOG_RCV, peer_clock(p, now), m->u.data.seq,
	    m->u.data.len, 0);
	res = xfer_rx_on_data(&r->rx, m->u.data.seq, m->u.data.len,
	    (m->u.data.flags & WIRE_DATA_LAST) != 0, now, &next, &sack);
	if ((res == XFER_RX_WRITE || res == XFER_RX_COMPLETE) && m->u.data.len > 0 &&
	    pwrite(r->fd, m->u.data.data, m->u.data.len, (off_t)m->u.data.seq - 1) !=
	    (ssize_t)m->u.data.len) {
		log_warn("cannot write the copy of %04d: %s", r->file, strerror(errno));
		peer_req_free(r);
		return;
	}
	memset(&ack, 0, sizeof ack);
	ack.type = WIRE_ACK;
	ack.from = p->ring.cfg.self;
	ack.u.ack.xfer = r->id;
	ack.u.ack.ack = next;
	ack.u.ack.sack = sack;
	net_udp_send(p->net, &m->from, &ack);
	xferlog_write(&p->req_log, XFER_LOG_SND, peer_clock(p, now), 0, 0, next);
	if (res == XFER_RX_COMPLETE) {
		xferlog_flush(&p->req_log);
		peer_req_finish(p, r, r->rx.expect - 1, now);
	}
}

/* ---- stores ---- */

static struct peer_store *
peer_store_find(struct peer *p, uint32_t id)
{
	struct peer_store *s;

	LIST_FOREACH(s, &p->stores, link)
		if (s->id == id)
			return s;
	return NULL;
}

static void
peer_store_free(struct peer_store *s)
{
	LIST_REMOVE(s, link);
	free(s);
}

static void
peer_in_free(struct peer_in *in)
{
	LIST_REMOVE(in, link);
	peer_discard_partial(&in->fd, in->tmp);
	free(in);
}

/* We own a stored key: ask the origin for the bytes (unless we are the origin). */
static void
peer_own_store(struct peer *p, const struct wire_route *rt, uint64_t now)
{
	struct peer_in	*in;
	struct net_conn	*c;
	struct wire_msg	 m;

	if (rt->origin.id == p->ring.cfg.self.id) {
		struct peer_store *s = peer_store_find(p, rt->id);

		peer_print(p, CON_STORE_ACCEPTED, 0, 0, rt->file);
		if (s != NULL)
			peer_store_free(s);	/* F.pdf is already here */
		return;
	}
	LIST_FOREACH(in, &p->ins, link)
		if (in->file == rt->file) {
			log_warn("refused a store of %04u from peer %u: one is already coming in",
			    rt->file, rt->origin.id);
			return;
		}
	if (!peer_may_serve(p, rt->origin.id, "store", rt->file) ||
	    (in = calloc(1, sizeof *in)) == NULL)
		return;
	in->job = PEER_JOB_STORE_IN;
	in->origin = rt->origin.id;
	in->id = rt->id;
	in->file = rt->file;
	in->fd = -1;
	in->deadline = now + PEER_REQUEST_WAIT_MS;	/* the origin answers at once */
	LIST_INSERT_HEAD(&p->ins, in, link);
	/* The acceptance is an answer like a request's; the origin sends the bytes back on it. */
	memset(&m, 0, sizeof m);
	m.type = WIRE_FILE_RSP;
	m.from = p->ring.cfg.self;
	m.u.file_rsp.file = rt->file;
	m.u.file_rsp.id = rt->id;
	m.u.file_rsp.status = WIRE_STATUS_HAVE;
	m.u.file_rsp.mode = WIRE_MODE_TCP;
	c = net_tcp_send(p->net, &rt->origin, &m);
	if (c == NULL) {
		peer_in_free(in);
		return;
	}
	in->conn = net_conn_id(c);
	peer_print(p, CON_STORE_ACCEPTED, 0, 0, rt->file);
}

/* The owner accepted a store of ours: send the bytes back on its connection. */
static void
peer_on_store_accepted(struct peer *p, struct net_conn *c, struct peer_store *s,
    const struct wire_msg *m)
{
	struct peer_out	*o;
	struct wire_msg	 d;
	char		 err[256];
	uint32_t	 size;
	int		 fd;

	if (m->u.file_rsp.file != s->file)
		return;
	if (files_open(p->cfg.dir, s->file, &fd, &size, err, sizeof err) != 0) {
		log_warn("store %04d: %s", s->file, err);
		peer_store_free(s);
		return;
	}
	if ((o = calloc(1, sizeof *o)) == NULL) {
		close(fd);
		return;
	}
	o->job = PEER_JOB_OUT;
	o->file = s->file;
	o->to = m->from.id;
	memset(&d, 0, sizeof d);
	d.type = WIRE_STORE_DATA;
	d.from = p->ring.cfg.self;
	d.u.store_data.file = (uint16_t)s->file;
	d.u.store_data.id = s->id;
	d.u.store_data.size = size;
	LIST_INSERT_HEAD(&p->outs, o, link);
	if (net_conn_send_file(c, &d, fd, size, o) != 0) {
		log_warn("store %04d: a second acceptance on one connection; ignored", s->file);
		LIST_REMOVE(o, link);
		free(o);
		return;
	}
	peer_store_free(s);
}

/* A stored file's bytes are coming from its origin. */
static void
peer_on_store_data(struct peer *p, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct peer_in	*in;
	char		 err[256];

	LIST_FOREACH(in, &p->ins, link)
		if (in->conn == net_conn_id(c) && in->origin == m->from.id &&
		    in->id == m->u.store_data.id && in->file == m->u.store_data.file &&
		    !in->receiving)
			break;
	if (in == NULL) {
		log_warn("ignored unexpected data for %04u from %s", m->u.store_data.file,
		    net_conn_peer(c));
		return;
	}
	if (files_create_tmp(p->cfg.dir, FILES_OWN, in->file, in->id, &in->fd, in->tmp,
	    sizeof in->tmp, err, sizeof err) != 0) {
		log_warn("store %04d: %s", in->file, err);
		in->fd = -1;
		peer_in_free(in);
		return;
	}
	{
		struct statvfs	sv;

		if (fstatvfs(in->fd, &sv) == 0 &&
		    (uint64_t)sv.f_bavail * sv.f_frsize < m->u.store_data.size) {
			log_warn("store %04d: %u bytes do not fit in %s", in->file,
			    m->u.store_data.size, p->cfg.dir);
			peer_in_free(in);
			return;
		}
	}
	in->receiving = true;
	if (m->u.store_data.size == 0) {
		close(in->fd);
		in->fd = -1;
		if (files_commit(p->cfg.dir, in->tmp, FILES_OWN, in->file, err, sizeof err) != 0)
			log_warn("store %04d: %s", in->file, err);
		peer_in_free(in);
		return;
	}
	(void)now;
	net_conn_expect_body(c, in->fd, m->u.store_data.size, in);
}

/* ---- transport callbacks ---- */

/* A datagram: pings go to the ring, segments and ACKs to the transfers. */
static void
peer_udp(void *arg, const struct wire_msg *m, uint64_t now)
{
	struct peer *p = arg;

	switch (m->type) {
	case WIRE_DATA:
		peer_on_data(p, m, now);
		break;
	case WIRE_ACK:
		peer_on_ack(p, m, now);
		break;
	case WIRE_PING_REQ:
	case WIRE_PING_RSP:
		ring_on_msg(&p->ring, m, now);
		peer_apply(p, now);
		break;
	default:
		log_warn("dropped %s from peer %u: it belongs on TCP", wire_type_name(m->type),
		    m->from.id);
		break;
	}
	peer_rearm(p);
}

/* A frame on a TCP connection. */
static void
peer_frame(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct peer		*p = arg;
	struct peer_req		*r;
	struct peer_store	*s;

	switch (m->type) {
	case WIRE_FILE_RSP:
		if ((r = peer_req_find(p, m->u.file_rsp.id)) != NULL)
			peer_on_answer(p, c, r, m, now);
		else if ((s = peer_store_find(p, m->u.file_rsp.id)) != NULL)
			peer_on_store_accepted(p, c, s, m);
		else
			log_warn("ignored an answer about %04u from peer %u: nothing asked",
			    m->u.file_rsp.file, m->from.id);
		break;
	case WIRE_STORE_DATA:
		peer_on_store_data(p, c, m, now);
		break;
	case WIRE_DATA:
	case WIRE_ACK:
	case WIRE_PING_REQ:
	case WIRE_PING_RSP:
		log_warn("dropped %s from %s: it belongs on UDP", wire_type_name(m->type),
		    net_conn_peer(c));
		break;
	default:
		ring_on_msg(&p->ring, m, now);
		peer_apply(p, now);
		break;
	}
	peer_rearm(p);
}

static void
peer_send_failed(void *arg, const struct contact *to, int type, uint64_t now)
{
	struct peer *p = arg;

	ring_on_send_failed(&p->ring, to, type, now);
	peer_apply(p, now);
	peer_rearm(p);
}

static void
peer_file_sent(void *arg, void *ctx, bool ok, uint64_t now)
{
	struct peer	*p = arg;
	struct peer_out	*o = ctx;

	(void)now;
	if (o->answer && ok)
		peer_print(p, CON_FILE_SENT, 0, 0, o->file);
	else if (!ok)
		log_warn("sending %04d failed", o->file);
	LIST_REMOVE(o, link);
	free(o);
}

static void
peer_body_done(void *arg, void *ctx, bool ok, uint64_t now)
{
	struct peer	*p = arg;
	enum peer_job	 job = *(enum peer_job *)ctx;
	char		 err[256];

	if (job == PEER_JOB_REQ) {
		struct peer_req *r = ctx;

		if (ok)
			peer_req_finish(p, r, r->size, now);
		else
			log_warn("receiving %04d from peer %u failed", r->file, r->owner);
		peer_req_free(r);
	} else {
		struct peer_in *in = ctx;
		int fd = in->fd;

		in->fd = -1;
		if (!ok || close(fd) != 0)
			log_warn("receiving the stored %04d failed", in->file);
		else if (files_commit(p->cfg.dir, in->tmp, FILES_OWN, in->file, err,
		    sizeof err) != 0)
			log_warn("store %04d: %s", in->file, err);
		if (!ok)
			files_discard(in->tmp);
		peer_in_free(in);
	}
	peer_rearm(p);
}

/* Time passed: the ring's timers, retransmissions, expiries. */
static void
peer_timer(void *arg, uint64_t now)
{
	struct peer		*p = arg;
	struct peer_tx		*t, *tt;
	struct peer_req		*r, *rt;
	struct peer_store	*s, *st;
	struct peer_in		*in, *it;
	struct xfer_batch	 b;

	ring_tick(&p->ring, now);
	peer_apply(p, now);
	LIST_FOREACH_SAFE(t, &p->txs, link, tt)
		switch (xfer_tx_on_timer(&t->tx, &p->rng, now, &b)) {
		case XFER_SEND:
			if (peer_tx_emit_all(p, t, &b, now) != 0)
				peer_tx_free(t);
			break;
		case XFER_GAVE_UP:
			if (!t->tx.acked_any)
				log_warn("gave up sending %04d to peer %u: it acknowledged "
				    "nothing", t->file, t->to.id);
			else
				log_warn("gave up sending %04d to peer %u: no acknowledgement "
				    "for %d s", t->file, t->to.id, XFER_GIVE_UP_MS / 1000);
			peer_tx_free(t);
			break;
		default:
			break;
		}
	LIST_FOREACH_SAFE(r, &p->reqs, link, rt) {
		if (r->state == REQ_WAITING && now >= r->deadline) {
			log_say("no answer to the request for %04d within %d s: the file may be "
			    "on an unreachable peer; try again", r->file, PEER_REQUEST_WAIT_MS / 1000);
			peer_req_free(r);
		} else if (r->state == REQ_DONE && now >= r->deadline)
			peer_req_free(r);
		else if (r->state == REQ_UDP && now >= xfer_rx_next_deadline(&r->rx)) {
			log_warn("gave up receiving %04d from peer %u: nothing for %d s",
			    r->file, r->owner, XFER_GIVE_UP_MS / 1000);
			peer_req_free(r);
		}
	}
	LIST_FOREACH_SAFE(s, &p->stores, link, st)
		if (now >= s->deadline) {
			log_warn("store %04d: no owner asked for the data within %d s", s->file,
			    PEER_STORE_WAIT_MS / 1000);
			peer_store_free(s);
		}
	LIST_FOREACH_SAFE(in, &p->ins, link, it)
		if (!in->receiving && now >= in->deadline) {
			log_warn("store %04d: peer %u never sent the data", in->file, in->origin);
			peer_in_free(in);
		}
	/* Logs of transfers still running reach the disk at least once a ping interval. */
	xferlog_flush(&p->req_log);
	xferlog_flush(&p->rsp_log);
	log_flush();
	peer_rearm(p);
}

/* Set the transport's timer to the earliest thing due. */
static void
peer_rearm(struct peer *p)
{
	uint64_t		 t = ring_next_deadline(&p->ring);
	struct peer_tx		*x;
	struct peer_req		*r;
	struct peer_store	*s;
	struct peer_in		*in;

#define PEER_EARLIER(v) do { if ((v) < t) t = (v); } while (0)
	LIST_FOREACH(x, &p->txs, link)
		PEER_EARLIER(xfer_tx_next_deadline(&x->tx));
	LIST_FOREACH(r, &p->reqs, link)
		if (r->state == REQ_UDP)
			PEER_EARLIER(xfer_rx_next_deadline(&r->rx));
		else if (r->state != REQ_TCP)
			PEER_EARLIER(r->deadline);
	LIST_FOREACH(s, &p->stores, link)
		PEER_EARLIER(s->deadline);
	LIST_FOREACH(in, &p->ins, link)
		if (!in->receiving)
			PEER_EARLIER(in->deadline);
#undef PEER_EARLIER
	net_timer_at(p->net, t);
}

/* ---- commands ---- */

static void
peer_cmd_help(void)
{
	fputs("Commands (case-insensitive):\n"
	    "  request F   fetch file F (four digits) from the ring into received_F.pdf\n"
	    "  store F     insert F.pdf from this peer's directory into the ring\n"
	    "  status      this peer's successors, predecessors and files\n"
	    "  quit        leave the ring politely and exit\n"
	    "  help        this list\n", stdout);
}

/* One "label: peer N at addr" line of `status`. */
static void
peer_status_line(const char *label, bool known, const struct contact *c)
{
	char	addr[CONTACT_TEXT_MAX];

	if (!known) {
		printf("%s: unknown\n", label);
		return;
	}
	printf("%s: peer %u at %s\n", label, c->id, contact_endpoint_text(c, addr, sizeof addr));
}

static void
peer_cmd_status(struct peer *p)
{
	static const char *const states[] = {
		[RING_JOINING] = "joining", [RING_UP] = "in the ring",
		[RING_LEAVING] = "leaving", [RING_GONE] = "gone",
	};
	const struct ring	*r = &p->ring;
	struct peer_req		*q;
	struct peer_tx		*t;
	int			 files[PEER_STATUS_FILES];
	size_t			 n, i, sending = 0, receiving = 0;

	peer_status_line("Peer", true, &r->cfg.self);
	printf("State: %s; %s dialect, %s transfer, mss %u, drop %g\n", states[r->state],
	    p->cfg.dialect == DIALECT_P2P ? "p2p" : "classic",
	    p->cfg.transfer_tcp ? "tcp" : "udp", p->cfg.mss, p->cfg.drop);
	peer_status_line("First successor", r->succ[0].known, &r->succ[0].c);
	peer_status_line("Second successor", r->succ[1].known, &r->succ[1].c);
	peer_status_line("First predecessor", r->pred[0].known, &r->pred[0].c);
	peer_status_line("Second predecessor", r->pred[1].known, &r->pred[1].c);
	n = files_list(p->cfg.dir, files, PEER_STATUS_FILES);
	printf("Files:");
	for (i = 0; i < n; i++)
		printf(" %04d", files[i]);
	printf("%s\n", n == 0 ? " none" : "");
	LIST_FOREACH(t, &p->txs, link)
		sending++;
	LIST_FOREACH(q, &p->reqs, link)
		if (q->state != REQ_DONE)
			receiving++;
	printf("Transfers: %zu sending, %zu requested\n", sending, receiving);
}

/* `request F` or `store F` typed with a valid name. */
static void
peer_cmd_file(struct peer *p, bool store, int file, uint64_t now)
{
	char	err[256];

	if (p->ring.state != RING_UP) {
		log_say("not in a ring yet: %s %04d not sent", store ? "store" : "request", file);
		return;
	}
	if (store) {
		struct peer_store	*s;
		uint32_t		 size;
		int			 fd;

		if (files_open(p->cfg.dir, file, &fd, &size, err, sizeof err) != 0) {
			log_say("store %04d: %s; nothing sent", file, err);
			return;
		}
		close(fd);
		if ((s = calloc(1, sizeof *s)) == NULL)
			return;
		s->id = peer_new_id(p);
		s->file = file;
		s->deadline = now + PEER_STORE_WAIT_MS;
		LIST_INSERT_HEAD(&p->stores, s, link);
		ring_store(&p->ring, file, s->id, now);
	} else {
		struct peer_req *r;

		if ((r = calloc(1, sizeof *r)) == NULL)
			return;
		r->job = PEER_JOB_REQ;
		r->id = peer_new_id(p);
		r->file = file;
		r->fd = -1;
		r->state = REQ_WAITING;
		r->deadline = now + PEER_REQUEST_WAIT_MS;
		LIST_INSERT_HEAD(&p->reqs, r, link);
		ring_request(&p->ring, file, r->id,
		    p->cfg.transfer_tcp ? WIRE_MODE_TCP : WIRE_MODE_UDP, now);
	}
	peer_apply(p, now);
}

/* One line of standard input. */
static void
peer_on_line(char *line, void *arg)
{
	struct peer	*p = arg;
	uint64_t	 now = clock_now_ms();
	char		*word, *argument, *extra, *save = NULL;
	int		 file;

	word = strtok_r(line, " \t\r\v\f", &save);
	if (word == NULL)
		return;
	argument = strtok_r(NULL, " \t\r\v\f", &save);
	extra = argument != NULL ? strtok_r(NULL, " \t\r\v\f", &save) : NULL;
	if (strcasecmp(word, "request") == 0 || strcasecmp(word, "store") == 0) {
		bool store = tolower((unsigned char)word[0]) == 's';

		if (argument == NULL || extra != NULL)
			log_say("usage: %s F, where F is four digits", store ? "store" : "request");
		else if (keys_parse_file(argument, &file) != 0)
			log_say("bad file name '%s': a file name is exactly four digits",
			    argument);
		else
			peer_cmd_file(p, store, file, now);
	} else if (argument != NULL && (strcasecmp(word, "quit") == 0 ||
	    strcasecmp(word, "status") == 0 || strcasecmp(word, "help") == 0))
		log_say("'%s' takes no argument", word);
	else if (strcasecmp(word, "quit") == 0) {
		ring_quit(&p->ring, now);
		peer_apply(p, now);
	} else if (strcasecmp(word, "status") == 0)
		peer_cmd_status(p);
	else if (strcasecmp(word, "help") == 0)
		peer_cmd_help();
	else
		log_say("unknown command '%s'; try help", word);
	peer_rearm(p);
}

static const struct net_ops peer_net_ops = {
	.udp = peer_udp,
	.frame = peer_frame,
	.send_failed = peer_send_failed,
	.file_sent = peer_file_sent,
	.body_done = peer_body_done,
	.timer = peer_timer,
};

/* Bind and start. */
struct peer *
peer_new(struct event_base *base, const struct config *cfg, char *err, size_t errlen)
{
	struct peer	*p;
	struct ring_cfg	 rc;
	struct in_addr	 a;
	uint64_t	 now = clock_now_ms();

	if (inet_pton(AF_INET, cfg->bind_addr, &a) != 1) {
		snprintf(err, errlen, "bad bind address '%s'", cfg->bind_addr);
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	p->base = base;
	p->status = -1;
	p->start_ms = now;
	LIST_INIT(&p->reqs);
	LIST_INIT(&p->txs);
	LIST_INIT(&p->stores);
	LIST_INIT(&p->ins);
	LIST_INIT(&p->outs);
	p->req_log.dir = p->rsp_log.dir = cfg->dir;
	p->req_log.name = "requesting_log.txt";
	p->rsp_log.name = "responding_log.txt";
	xfer_rng_seed(&p->rng, cfg->seed_set ? cfg->seed :
	    (now << 20) ^ (uint64_t)getpid() ^ ((uint64_t)cfg->id << 48));

	memset(&rc, 0, sizeof rc);
	rc.self = contact_v4((uint8_t)cfg->id, (const uint8_t *)&a.s_addr,
	    (uint16_t)(cfg->base_port + (unsigned)cfg->id));
	rc.ping_interval_ms = cfg->ping_interval_ms;
	rc.ping_timeout_ms = cfg->ping_timeout_ms;
	rc.loss_threshold = cfg->loss_threshold;
	rc.quiet_pings = cfg->quiet_pings;
	ring_init(&p->ring, &rc);

	if ((p->net = net_new(base, &rc.self, &peer_net_ops, p, err, errlen)) == NULL) {
		free(p);
		return NULL;
	}
	if ((p->input = input_new(base, STDIN_FILENO, peer_on_line, p)) == NULL)
		log_warn("not reading standard input");
	if (cfg->form == CLI_JOIN) {
		struct contact k = peer_contact(p, cfg->known);

		ring_start_join(&p->ring, &k, now);
	} else {
		struct contact s1 = peer_contact(p, cfg->succ1), s2 = peer_contact(p, cfg->succ2);

		ring_start(&p->ring, &s1, &s2, now);
		ring_tick(&p->ring, now);
	}
	peer_apply(p, now);
	peer_rearm(p);
	return p;
}

/* The exit status once the loop has ended. */
int
peer_status(const struct peer *p)
{
	return p->status;
}

/* Free everything (files half received are removed). */
void
peer_free(struct peer *p)
{
	while (!LIST_EMPTY(&p->reqs))
		peer_req_free(LIST_FIRST(&p->reqs));
	while (!LIST_EMPTY(&p->txs))
		peer_tx_free(LIST_FIRST(&p->txs));
	while (!LIST_EMPTY(&p->stores))
		peer_store_free(LIST_FIRST(&p->stores));
	while (!LIST_EMPTY(&p->ins))
		peer_in_free(LIST_FIRST(&p->ins));
	while (!LIST_EMPTY(&p->outs)) {
		struct peer_out *o = LIST_FIRST(&p->outs);

		LIST_REMOVE(o, link);
		free(o);
	}
	xferlog_close(&p->req_log);
	xferlog_close(&p->rsp_log);
	input_free(p->input);
	net_free(p->net);
	free(p);
}
