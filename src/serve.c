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
	struct contact		 to;
	uint32_t		 id;
	int			 file;
	int			 fd;
	uint64_t		 started;
	struct xfer_tx		 tx;
};

/* A file body we stream over TCP: an answer to a request, or a store's bytes. Owned by
 * serve's tcp list; freed when net says it is written or cannot be. */
struct tcp_sender {
	enum ctx_job		 job;		/* CTX_JOB_TCP_SEND */
	LIST_ENTRY(tcp_sender)	 link;
	bool			 answer;	/* to a request (else a store's bytes) */
	int			 file;
	uint8_t			 to;
	uint32_t		 size;
	uint64_t		 started;
};

/* The earliest retransmission due, stored for the timer (the same field serve_tick acts on). */
static void
serve_rearm(struct serve *s)
{
	const struct udp_sender	*u;

	s->next = UINT64_MAX;
	LIST_FOREACH(u, &s->udp, link)
		if (u->tx.deadline < s->next)
			s->next = u->tx.deadline;
}

/* Nothing in flight. */
void
serve_init(struct serve *s, struct ctx *x)
{
	memset(s, 0, sizeof *s);
	s->ctx = x;
	LIST_INIT(&s->udp);
	LIST_INIT(&s->tcp);
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
	serve_release(s, u->to.id);
	close(u->fd);
	free(u);
}

/* Log a data segment and put it on the wire unless emulation dropped it. */
static int
serve_emit(struct serve *s, struct udp_sender *u, const struct xfer_seg *seg, uint64_t now)
{
	static uint8_t	buf[WIRE_MAX_MSS];
	struct ctx	*x = s->ctx;
	struct wire_msg	m;
	ssize_t		got;

	xferlog_write(&x->rsp_log, seg->event, ctx_clock(x, now), seg->seq, seg->len, 0);
	if (!seg->send)
		return 0;
	got = seg->len > 0 ? pread(u->fd, buf, seg->len, (off_t)seg->seq - 1) : 0;
	if (got != (ssize_t)seg->len) {
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
	m.u.data.data = buf;
	net_udp_send(x->net, &u->to, &m);
	return 0;
}

/* What xfer said about one sender: the segment to emit, the end, or giving up. */
static void
serve_udp_result(struct serve *s, struct udp_sender *u, enum xfer_result res,
    const struct xfer_seg *seg, uint64_t now)
{
	switch (res) {
	case XFER_SEND:
		if (serve_emit(s, u, seg, now) != 0)
			serve_udp_free(s, u);
		break;
	case XFER_DONE:
		xferlog_flush(&s->ctx->rsp_log);
		ctx_print(s->ctx, CON_FILE_SENT, 0, 0, u->file);
		serve_udp_free(s, u);
		break;
	case XFER_GAVE_UP:
		if (u->tx.seq == 1)
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
	struct xfer_seg		 seg;
	uint32_t		 before;
	enum xfer_result	 res;

	LIST_FOREACH(u, &s->udp, link)
		if (u->to.id == m->from.id && u->id == m->u.ack.xfer)
			break;
	if (u == NULL)
		return;		/* late duplicate of a finished transfer */
	xferlog_write(&s->ctx->rsp_log, XFER_LOG_RCV, ctx_clock(s->ctx, now), 0, 0,
	    m->u.ack.ack);
	before = u->tx.seq;
	res = xfer_tx_on_ack(&u->tx, m->u.ack.ack, &s->ctx->rng, now, &seg);
	if (res == XFER_SEND || res == XFER_DONE)
		s->ctx->bytes_out += res == XFER_DONE ? u->tx.size - (before - 1) :
		    u->tx.seq - before;
	serve_udp_result(s, u, res, &seg, now);
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
	t->job = CTX_JOB_TCP_SEND;
	t->answer = answer;
	t->file = file;
	t->to = to;
	t->size = size;
	t->started = now;
	LIST_INSERT_HEAD(&s->tcp, t, link);
	serve_hold(s, to);
	if (net_conn_send_file(c, hdr, fd, size, t) != 0) {
		serve_release(s, to);
		LIST_REMOVE(t, link);
		free(t);
		return -1;
	}
	return 0;
}

/* A body we streamed is written, or cannot be. */
void
serve_stream_done(struct serve *s, struct tcp_sender *t, bool ok)
{
	if (ok)
		s->ctx->bytes_out += t->size;
	if (t->answer && ok)
		ctx_print(s->ctx, CON_FILE_SENT, 0, 0, t->file);
	else if (!ok)
		log_warn("sending %04d failed", t->file);
	serve_release(s, t->to);
	LIST_REMOVE(t, link);
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
	struct xfer_seg		 seg;

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
	LIST_INSERT_HEAD(&s->udp, u, link);
	net_tcp_send(x->net, &rt->origin, rsp);
	/* The one place serving calls the stop-and-wait sender's start. */
	xfer_tx_init(&u->tx, size, (uint16_t)x->cfg.mss, x->cfg.drop, x->cfg.timeout_ms);
	xfer_tx_start(&u->tx, &x->rng, now, &seg);
	if (serve_emit(s, u, &seg, now) != 0)
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

/* Time passed: retransmissions and give-ups. */
void
serve_tick(struct serve *s, uint64_t now)
{
	struct udp_sender	*u, *tmp;
	struct xfer_seg		 seg;

	/* xfer decides what is due (it acts on tx.deadline, the field serve_rearm reads). */
	LIST_FOREACH_SAFE(u, &s->udp, link, tmp)
		serve_udp_result(s, u, xfer_tx_on_timer(&u->tx, &s->ctx->rng, now, &seg), &seg,
		    now);
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
		    false, u->tx.seq - 1, u->tx.size, (int64_t)(now - u->started),
		    u->tx.timeout_ms };

		status_add_transfer(snap, &tr);
	}
	LIST_FOREACH(t, &s->tcp, link) {
		struct status_transfer tr = { STATUS_SEND, t->answer ? STATUS_REQUEST :
		    STATUS_STORE, t->file, t->to, true, STATUS_NONE, t->size,
		    (int64_t)(now - t->started), STATUS_NONE };

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
		free(t);
	}
}
