/* Serving files: answers to requests (UDP stop-and-wait or TCP), store bytes, admission. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "net.h"
#include "serve.h"

/* A file we send by stop-and-wait. Owned by serve's udp list; freed when it ends. */
struct udp_sender {
	LIST_ENTRY(udp_sender)	 link;
	struct ctx_due		 due;		/* serve_udp_next */
	struct contact		 to;
	uint32_t		 id;
	int			 file;
	int			 fd;
	uint64_t		 started;
	struct xfer_meter	 meter;		/* progress lines */
	struct xfer_tx		 tx;
};

/* A file body we stream over TCP: an answer to a request, or a store's bytes. Owned by
 * serve's tcp list; freed when net says it is written or cannot be. */
struct tcp_sender {
	struct ctx_job		 job;		/* ends in serve_stream_done */
	LIST_ENTRY(tcp_sender)	 link;
	struct ctx_due		 due;		/* serve_tcp_next */
	bool			 answer;	/* to a request (else a store's bytes) */
	int			 file;
	uint8_t			 to;
	uint32_t		 size;
	uint64_t		 started;
	struct net_conn		*conn;		/* carries the body; valid while we exist */
	struct xfer_meter	 meter;		/* progress lines */
};

static void	serve_stream_done(struct ctx_job *job, bool ok, uint64_t now);

/*
 * When a stop-and-wait transfer's timer is due: a retransmission or a progress line
 * (serve_tick acts on the same: xfer_tx_next_deadline and the meter's due).
 */
static uint64_t
serve_udp_next(const void *job)
{
	const struct udp_sender	*u = job;
	uint64_t		 t = xfer_tx_next_deadline(&u->tx);

	ctx_earliest(&t, u->meter.due);
	return t;
}

/* When a streamed body's progress line is due (serve_tick's meter). */
static uint64_t
serve_tcp_next(const void *job)
{
	return ((const struct tcp_sender *)job)->meter.due;
}

/* The earliest retransmission or progress line due, stored for the timer. */
static void
serve_rearm(struct serve *s)
{
	s->next = ctx_due_earliest(&s->dues);
}

/* The RTO a sender's timer uses now, in ms. */
static int64_t
serve_rto(const struct udp_sender *u)
{
	return (int64_t)u->tx.rto.rto_ms;
}

/* One stderr line with a transfer's figures: progress while it runs, a summary at its end. */
static void
serve_say_figures(const char *what, int file, int to, uint64_t done, uint64_t size,
    uint64_t start, int64_t rto_ms, bool end, uint64_t now)
{
	struct xfer_progress	p;
	char			label[64], line[256];

	snprintf(label, sizeof label, "%s %04d to peer %d", what, file, to);
	xfer_progress_figures(&p, done, size, true, start, now);
	if (end)
		xfer_progress_summary(&p, label, rto_ms, line, sizeof line);
	else
		xfer_progress_line(&p, label, line, sizeof line);
	log_say("%s", line);
}

/* Nothing in flight. */
void
serve_init(struct serve *s, struct ctx *x)
{
	memset(s, 0, sizeof *s);
	s->ctx = x;
	LIST_INIT(&s->udp);
	LIST_INIT(&s->tcp);
	LIST_INIT(&s->dues);
	s->next = UINT64_MAX;
}

/* Take a slot for peer id without asking. */
void
serve_hold(struct serve *s, int id)
{
	s->load++;
	s->load_of[id & 0xff]++;
}

/* Give peer id's slot back. */
void
serve_release(struct serve *s, int id)
{
	s->load--;
	s->load_of[id & 0xff]--;
}

/* May peer id start one more transfer with us? */
bool
serve_admit(struct serve *s, int id, const char *what, int file)
{
	if (s->load < SERVE_MAX_JOBS && s->load_of[id & 0xff] < SERVE_MAX_PER_PEER) {
		serve_hold(s, id);
		return true;
	}
	log_warn("refused %s %04d for peer %d: %zu transfers in flight (%u for it)", what, file,
	    id, s->load, s->load_of[id & 0xff]);
	return false;
}

/* End a stop-and-wait transfer. */
static void
serve_udp_free(struct serve *s, struct udp_sender *u)
{
	LIST_REMOVE(u, link);
	ctx_due_remove(&u->due);
	serve_release(s, u->to.id);
	close(u->fd);
	free(u);
}

/* File bytes read ahead for one batch: [seq, seq + len) of one sender's file. */
struct serve_read {
	uint8_t		buf[SERVE_READ_MAX];
	uint32_t	seq, len;
};

/*
 * Bytes [seg->seq, +len) in r, reading the run of contiguous segments to be sent from
 * seg on (up to SERVE_READ_MAX bytes) in one pread when they are not there: a window's
 * new segments cost one read, not one each. NULL if the file cannot be read.
 */
static const uint8_t *
serve_read(struct serve_read *r, int fd, const struct xfer_seg *seg, const struct xfer_seg *end)
{
	const struct xfer_seg	*k;
	uint32_t		 want = seg->len;
	ssize_t			 got;

	if (seg->seq >= r->seq && (uint64_t)seg->seq + seg->len <= (uint64_t)r->seq + r->len)
		return r->buf + (seg->seq - r->seq);
	for (k = seg + 1; k < end && k->send && k->seq == k[-1].seq + k[-1].len &&
	    want + k->len <= SERVE_READ_MAX; k++)
		want += k->len;
	r->seq = seg->seq;
	r->len = 0;
	got = want > 0 ? pread(fd, r->buf, want, (off_t)seg->seq - 1) : 0;
	if (got < (ssize_t)seg->len)
		return NULL;
	r->len = (uint32_t)got;
	return r->buf;
}

/* Log a data segment and put it on the wire unless emulation dropped it. */
static int
serve_emit(struct serve *s, struct udp_sender *u, const struct xfer_seg *seg,
    const struct xfer_seg *end, struct serve_read *r, uint64_t now)
{
	struct ctx	*x = s->ctx;
	struct wire_msg	m;
	const uint8_t	*data;

	xferlog_write(&x->rsp_log, seg->event, ctx_clock(x, now), seg->seq, seg->len, 0);
	if (!seg->send)
		return 0;
	if ((data = serve_read(r, u->fd, seg, end)) == NULL) {
		log_warn("cannot read %04d.pdf at byte %u: the transfer to peer %u stops",
		    u->file, seg->seq - 1, u->to.id);
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.type = WIRE_DATA;
	m.from = x->self;
	m.u.data.xfer = u->id;
	m.u.data.seq = seg->seq;
	m.u.data.flags = seg->last ? WIRE_DATA_LAST : 0;
	m.u.data.len = seg->len;
	m.u.data.data = data;
	net_udp_send(x->net, &u->to, &m);
	return 0;
}

/* Log and send each segment of a batch, in order: 0, or -1 if the file could not be read. */
static int
serve_emit_all(struct serve *s, struct udp_sender *u, const struct xfer_batch *b, uint64_t now)
{
	static struct serve_read	r;
	uint16_t			i;
	int				rc = 0;

	r.len = 0;	/* another sender's bytes, or stale: read afresh */
	/* A window's worth of segments goes out in one sendmmsg. */
	net_udp_hold(s->ctx->net);
	for (i = 0; i < b->n && rc == 0; i++)
		rc = serve_emit(s, u, &b->seg[i], &b->seg[b->n], &r, now);
	net_udp_release(s->ctx->net);
	return rc;
}

/* What xfer said about one sender: the segments to emit, the end, or giving up. */
static void
serve_udp_result(struct serve *s, struct udp_sender *u, enum xfer_result res,
    const struct xfer_batch *b, uint64_t now)
{
	switch (res) {
	case XFER_SEND:
		if (serve_emit_all(s, u, b, now) != 0)
			serve_udp_free(s, u);
		break;
	case XFER_DONE:
		xferlog_flush(&s->ctx->rsp_log);
		ctx_print(s->ctx, CON_FILE_SENT, 0, 0, u->file);
		serve_say_figures("sent", u->file, u->to.id, u->tx.size, u->tx.size,
		    u->meter.start, serve_rto(u), true, now);
		serve_udp_free(s, u);
		break;
	case XFER_BAD:
		log_warn("ignored an impossible ACK from peer %u for %04d", u->to.id, u->file);
		break;
	case XFER_GAVE_UP:
		if (!u->tx.acked_any)
			log_warn("gave up sending %04d to peer %u: it acknowledged nothing",
			    u->file, u->to.id);
		else
			log_warn("gave up sending %04d to peer %u: no acknowledgement for %d s",
			    u->file, u->to.id, XFER_GIVE_UP_MS / 1000);
		serve_udp_free(s, u);
		break;
	default:
		break;
	}
}

/* An ACK for one of our stop-and-wait transfers. */
void
serve_on_ack(struct serve *s, const struct wire_msg *m, uint64_t now)
{
	struct udp_sender	*u;
	struct xfer_batch	 b;
	uint32_t		 before;
	enum xfer_result	 res;

	LIST_FOREACH(u, &s->udp, link)
		if (u->to.id == m->from.id && u->id == m->u.ack.xfer)
			break;
	if (u == NULL)
		return;		/* late duplicate of a finished transfer */
	xferlog_write(&s->ctx->rsp_log, XFER_LOG_RCV, ctx_clock(s->ctx, now), 0, 0,
	    m->u.ack.ack);
	before = xfer_tx_acked_bytes(&u->tx);
	res = xfer_tx_on_ack(&u->tx, m->u.ack.ack, m->u.ack.sack, &s->ctx->rng, now, &b);
	s->ctx->bytes_out += xfer_tx_acked_bytes(&u->tx) - before;
	serve_udp_result(s, u, res, &b, now);
	serve_rearm(s);
}

/* Stream a file body on c; the job ends in serve_stream_done. */
int
serve_stream(struct serve *s, struct net_conn *c, const struct wire_msg *hdr, int fd,
    uint32_t size, int file, uint8_t to, bool answer, uint64_t now)
{
	struct tcp_sender *t;

	if ((t = calloc(1, sizeof *t)) == NULL) {
		close(fd);
		return -1;
	}
	t->job = (struct ctx_job){ serve_stream_done, s };
	t->answer = answer;
	t->file = file;
	t->to = to;
	t->size = size;
	t->started = now;
	t->conn = c;
	xfer_meter_init(&t->meter, now);
	LIST_INSERT_HEAD(&s->tcp, t, link);
	ctx_due_add(&s->dues, &t->due, serve_tcp_next, t);
	serve_hold(s, to);
	if (net_conn_send_file(c, hdr, fd, size, &t->job) != 0) {
		serve_release(s, to);
		LIST_REMOVE(t, link);
		ctx_due_remove(&t->due);
		free(t);
		return -1;
	}
	return 0;
}

/* A body we streamed is written, or cannot be. */
static void
serve_stream_done(struct ctx_job *job, bool ok, uint64_t now)
{
	struct tcp_sender	*t = (struct tcp_sender *)job;
	struct serve		*s = job->room;

	if (ok) {
		s->ctx->bytes_out += t->size;
		serve_say_figures(t->answer ? "sent" : "stored", t->file, t->to, t->size,
		    t->size, t->meter.start, -1, true, now);
	}
	if (t->answer && ok)
		ctx_print(s->ctx, CON_FILE_SENT, 0, 0, t->file);
	else if (!ok)
		log_warn("sending %04d failed", t->file);
	serve_release(s, t->to);
	LIST_REMOVE(t, link);
	ctx_due_remove(&t->due);
	free(t);
}

/* The answer to a request: HAVE with the size, or ABSENT. */
static void
serve_answer(const struct serve *s, const struct wire_route *rt, bool have, uint32_t size,
    struct wire_msg *rsp)
{
	memset(rsp, 0, sizeof *rsp);
	rsp->type = WIRE_FILE_RSP;
	rsp->from = s->ctx->self;
	rsp->u.file_rsp.file = rt->file;
	rsp->u.file_rsp.id = rt->id;
	rsp->u.file_rsp.mode = rt->mode;
	rsp->u.file_rsp.status = have ? WIRE_STATUS_HAVE : WIRE_STATUS_ABSENT;
	rsp->u.file_rsp.size = size;
}

/* Answer over TCP and send the file by stop-and-wait over UDP. */
static void
serve_udp_start(struct serve *s, const struct wire_route *rt, const struct wire_msg *rsp,
    int fd, uint32_t size, uint64_t now)
{
	struct ctx		*x = s->ctx;
	struct udp_sender	*u;
	struct xfer_batch	 b;

	if ((u = calloc(1, sizeof *u)) == NULL) {
		close(fd);
		serve_release(s, rt->origin.id);
		return;
	}
	u->to = rt->origin;
	u->id = rt->id;
	u->file = rt->file;
	u->fd = fd;
	u->started = now;
	xfer_meter_init(&u->meter, now);
	LIST_INSERT_HEAD(&s->udp, u, link);
	ctx_due_add(&s->dues, &u->due, serve_udp_next, u);
	net_tcp_send(x->net, &rt->origin, rsp);
	/* The one place serving calls the windowed sender's start. */
	xfer_tx_init(&u->tx, &(struct xfer_cfg){ size, (uint16_t)x->cfg.mss,
	    (uint16_t)x->cfg.window, x->cfg.drop,
	    x->cfg.timeout_auto ? XFER_TIMEOUT_AUTO : x->cfg.timeout_ms });
	xfer_tx_start(&u->tx, &x->rng, now, &b);
	if (serve_emit_all(s, u, &b, now) != 0)
		serve_udp_free(s, u);
}

/* We own a requested key: answer the requester, then send the file. */
void
serve_request(struct serve *s, const struct wire_route *rt, uint64_t now)
{
	struct ctx		*x = s->ctx;
	struct udp_sender	*u;
	struct wire_msg		 rsp;
	char			 err[256];
	uint32_t		 size;
	int			 fd;

	LIST_FOREACH(u, &s->udp, link)
		if (u->to.id == rt->origin.id && u->id == rt->id)
			return;		/* already being served */
	if (!serve_admit(s, rt->origin.id, "request", rt->file))
		return;
	if (files_open(x->cfg.dir, rt->file, &fd, &size, err, sizeof err) != 0) {
		log_warn("request for %04u from peer %u: %s; answered not available", rt->file,
		    rt->origin.id, err);
		serve_release(s, rt->origin.id);
		serve_answer(s, rt, false, 0, &rsp);
		net_tcp_send(x->net, &rt->origin, &rsp);
		return;
	}
	serve_answer(s, rt, true, size, &rsp);
	ctx_print(x, CON_FILE_HERE, rt->origin.id, 0, rt->file);
	if (rt->mode == WIRE_MODE_TCP) {
		struct net_conn *c = net_tcp_send(x->net, &rt->origin, &rsp);

		serve_release(s, rt->origin.id);	/* serve_stream takes its own */
		if (c == NULL)
			close(fd);
		else
			serve_stream(s, c, NULL, fd, size, rt->file, rt->origin.id, true, now);
		return;
	}
	serve_udp_start(s, rt, &rsp, fd, size, now);
	serve_rearm(s);
}

/* Time passed: retransmissions, give-ups and progress lines. */
void
serve_tick(struct serve *s, uint64_t now)
{
	struct udp_sender	*u, *tmp;
	struct tcp_sender	*t;
	struct xfer_batch	 b;

	LIST_FOREACH(t, &s->tcp, link)
		if (xfer_meter_due(&t->meter, now))
			serve_say_figures(t->answer ? "sending" : "storing", t->file, t->to,
			    net_conn_body_moved(t->conn), t->size, t->meter.start, -1, false,
			    now);
	LIST_FOREACH(u, &s->udp, link)
		if (xfer_meter_due(&u->meter, now))
			serve_say_figures("sending", u->file, u->to.id,
			    xfer_tx_acked_bytes(&u->tx), u->tx.size, u->meter.start,
			    serve_rto(u), false, now);
	/* xfer decides what is due (xfer_tx_next_deadline, which serve_udp_next reads). */
	LIST_FOREACH_SAFE(u, &s->udp, link, tmp)
		if (now >= xfer_tx_next_deadline(&u->tx))
			serve_udp_result(s, u, xfer_tx_on_timer(&u->tx, &s->ctx->rng, now, &b),
			    &b, now);
	serve_rearm(s);
}

/* Our transfers, appended to the snapshot. */
void
serve_snapshot(const struct serve *s, struct status_snapshot *snap, uint64_t now)
{
	const struct udp_sender	*u;
	const struct tcp_sender	*t;

	LIST_FOREACH(u, &s->udp, link) {
		struct status_transfer tr = { STATUS_SEND, STATUS_REQUEST, u->file, u->to.id,
		    false, xfer_tx_acked_bytes(&u->tx), u->tx.size,
		    (int64_t)(now - u->started), serve_rto(u) };

		status_add_transfer(snap, &tr);
	}
	LIST_FOREACH(t, &s->tcp, link) {
		struct status_transfer tr = { STATUS_SEND, t->answer ? STATUS_REQUEST :
		    STATUS_STORE, t->file, t->to, true, (int64_t)net_conn_body_moved(t->conn),
		    t->size, (int64_t)(now - t->started), STATUS_NONE };

		status_add_transfer(snap, &tr);
	}
}

/* End every job (closing its file). */
void
serve_free(struct serve *s)
{
	while (!LIST_EMPTY(&s->udp))
		serve_udp_free(s, LIST_FIRST(&s->udp));
	while (!LIST_EMPTY(&s->tcp)) {
		struct tcp_sender *t = LIST_FIRST(&s->tcp);

		LIST_REMOVE(t, link);
		ctx_due_remove(&t->due);
		free(t);
	}
}
