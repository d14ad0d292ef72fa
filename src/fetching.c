/* Requests typed here: runs each fetch machine and carries out its actions on real files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetching.h"
#include "files.h"
#include "log.h"
#include "net.h"

/* One request typed here and its temporary copy. Owned by the jobs list; freed on FORGET. */
struct fetch_job {
	struct ctx_job		 job;		/* ends in fetching_body_done */
	LIST_ENTRY(fetch_job)	 link;
	struct fetch		 f;
	int			 fd;
	char			 tmp[FILES_PATH_MAX];
	struct net_conn		*conn;		/* the body's connection while FETCH_TCP */
	struct xfer_meter	 meter;		/* progress lines, from when the copy opened */
	bool			 metered;	/* the copy is open: meter runs */
	uint8_t			*wbuf;		/* contiguous segments not yet written */
	uint32_t		 woff, wlen;	/* their offset in the copy and bytes */
	bool			 ack_pending;	/* an in-order ACK waits for the burst's end */
	uint32_t		 ack, sack;	/* that ACK */
	struct contact		 ack_to;
};

static void	fetching_body_done(struct ctx_job *job, bool ok, uint64_t now);

/* What an input brought along that actions may need. */
struct fetching_input {
	struct net_conn		*conn;		/* BODY: the answer's connection */
	const uint8_t		*data;		/* WRITE: the segment's bytes */
	const struct contact	*from;		/* ACK: the segment's sender */
};

/* Is the copy moving (a progress line may be due)? */
static bool
fetching_moving(const struct fetch_job *j)
{
	return j->metered && (j->f.state == FETCH_UDP || j->f.state == FETCH_TCP);
}

/* Bytes of the copy so far: written segments, or what the transport moved of the body. */
static uint64_t
fetching_bytes(const struct fetch_job *j)
{
	if (j->f.state == FETCH_TCP && j->conn != NULL)
		return net_conn_body_moved(j->conn);
	return j->f.bytes;
}

/*
 * The earliest deadline of any request or progress line, stored for the timer (fetch_tick
 * and fetching_tick act on the same fields).
 */
static void
fetching_rearm(struct fetching *fg)
{
	const struct fetch_job *j;

	fg->next = FETCH_NEVER;
	for (j = LIST_FIRST(&fg->jobs); j != NULL; j = LIST_NEXT(j, link)) {
		fg->next = j->f.deadline < fg->next ? j->f.deadline : fg->next;
		if (fetching_moving(j) && j->meter.due < fg->next)
			fg->next = j->meter.due;
	}
}

/* One stderr line with a copy's figures: progress while it comes, a summary at its end. */
static void
fetching_say_figures(const struct fetch_job *j, bool end, uint64_t now)
{
	struct xfer_progress	p;
	char			label[64], line[256];

	snprintf(label, sizeof label, "%s %04d from peer %u", end ? "received" : "receiving",
	    j->f.file, j->f.owner);
	xfer_progress_figures(&p, end ? j->f.bytes : fetching_bytes(j), j->f.size,
	    j->f.size_known, j->meter.start, now);
	if (end)
		xfer_progress_summary(&p, label, -1, line, sizeof line);
	else
		xfer_progress_line(&p, label, line, sizeof line);
	log_say("%s", line);
}

/* No requests. */
void
fetching_init(struct fetching *fg, struct ctx *x)
{
	*fg = (struct fetching){ .ctx = x, .next = FETCH_NEVER };
	LIST_INIT(&fg->jobs);
}

static void
fetching_job_free(struct fetch_job *j)
{
	LIST_REMOVE(j, link);
	files_drop_partial(&j->fd, j->tmp);
	free(j->wbuf);
	free(j);
}

/* Write the segments held for the copy: 0, or -1 (said why). */
static int
fetching_wflush(struct fetch_job *j)
{
	uint32_t len = j->wlen;

	j->wlen = 0;
	if (len == 0 || pwrite(j->fd, j->wbuf, len, (off_t)j->woff) == (ssize_t)len)
		return 0;
	log_warn("cannot write the copy of %04d: %s", j->f.file, strerror(errno));
	return -1;
}

/*
 * A segment for the copy. Contiguous ones read together are written with one pwrite at the
 * end of the burst (at most FETCHING_WBUF bytes held); others are written at once.
 */
static int
fetching_write(struct fetch_job *j, const uint8_t *data, uint32_t len, uint32_t off)
{
	if (j->wlen > 0 && (off != j->woff + j->wlen || j->wlen + len > FETCHING_WBUF) &&
	    fetching_wflush(j) != 0)
		return -1;
	if (j->wbuf == NULL && len <= FETCHING_WBUF)
		j->wbuf = malloc(FETCHING_WBUF);
	if (j->wbuf == NULL || len > FETCHING_WBUF) {
		if (pwrite(j->fd, data, len, (off_t)off) == (ssize_t)len)
			return 0;
		log_warn("cannot write the copy of %04d: %s", j->f.file, strerror(errno));
		return -1;
	}
	if (j->wlen == 0)
		j->woff = off;
	memcpy(j->wbuf + j->wlen, data, len);
	j->wlen += len;
	return 0;
}

/* Close the copy and move it into place: 0, or -1 (said why; the copy is gone). */
static int
fetching_commit(struct fetching *fg, struct fetch_job *j, uint64_t now)
{
	char	err[256];

	if (files_commit(&j->fd, fg->ctx->cfg.dir, j->tmp, FILES_RECEIVED, j->f.file, err,
	    sizeof err) == 0) {
		fetching_say_figures(j, true, now);
		return 0;
	}
	log_warn("file %04d from peer %u: %s; discarded", j->f.file, j->f.owner, err);
	return -1;
}

/* Send an ACK (ack, sack) for a segment to the owner. */
static void
fetching_send_ack(struct fetching *fg, struct fetch_job *j, uint32_t ackv, uint32_t sack,
    const struct contact *to)
{
	struct wire_msg ack;

	memset(&ack, 0, sizeof ack);
	ack.type = WIRE_ACK;
	ack.from = fg->ctx->self;
	ack.u.ack.xfer = j->f.id;
	ack.u.ack.ack = ackv;
	ack.u.ack.sack = sack;
	net_udp_send(fg->ctx->net, to, &ack);
}

/* Send the ACK held back for the end of the burst, and log it. */
static void
fetching_ack_flush(struct fetching *fg, struct fetch_job *j, uint64_t now)
{
	if (!j->ack_pending)
		return;
	j->ack_pending = false;
	fetching_send_ack(fg, j, j->ack, j->sack, &j->ack_to);
	xferlog_write(&fg->ctx->req_log, XFER_LOG_SND, ctx_clock(fg->ctx, now), 0, 0, j->ack);
}

/*
 * An ACK for a segment. One that a later cumulative ACK would cover (the segment is below
 * the next expected byte) waits for the end of the datagrams read together, where only the
 * last such ACK goes out: a window's worth of segments read at once costs one ACK, not one
 * each. Any other (a hole, a refusal) goes out at once, after the one held back.
 */
static void
fetching_ack(struct fetching *fg, struct fetch_job *j, const struct fetch_action *a,
    const struct contact *to, uint64_t now)
{
	if (a->sack != 0 && a->sack < a->ack) {
		j->ack_pending = true;
		j->ack = a->ack;
		j->sack = a->sack;
		j->ack_to = *to;
		return;
	}
	fetching_ack_flush(fg, j, now);
	fetching_send_ack(fg, j, a->ack, a->sack, to);
}

/* Carry out one action: 0, or -1 if it failed (the rest of the batch is not carried out). */
static int
fetching_do(struct fetching *fg, struct fetch_job *j, const struct fetch_action *a,
    const struct fetching_input *in, uint64_t now)
{
	struct ctx	*x = fg->ctx;
	char		 err[256];

	switch (a->kind) {
	case FETCH_ACT_EVENT:
		ctx_print(x, a->ev.kind, a->ev.a, a->ev.b, a->ev.file);
		return 0;
	case FETCH_ACT_WARN:
		log_warn("%s", a->text);
		return 0;
	case FETCH_ACT_SAY:
		log_say("%s", a->text);
		return 0;
	case FETCH_ACT_OPEN:
		if (files_create_tmp(x->cfg.dir, FILES_RECEIVED, j->f.file, j->f.id, &j->fd,
		    j->tmp, sizeof j->tmp, err, sizeof err) == 0) {
			xfer_meter_init(&j->meter, now);
			j->metered = true;
			return 0;
		}
		log_say("request for %04d: %s", j->f.file, err);
		j->fd = -1;
		return -1;
	case FETCH_ACT_WRITE:
		if (fetching_write(j, in->data, a->len, a->offset) != 0)
			return -1;
		x->bytes_in += a->len;
		return 0;
	case FETCH_ACT_LOG:
		/* An ACK held back is logged when it goes out (a later one may replace it). */
		if (a->log != XFER_LOG_SND || !j->ack_pending || a->ack != j->ack)
			xferlog_write(&x->req_log, a->log, ctx_clock(x, now), a->offset, a->len,
			    a->ack);
		return 0;
	case FETCH_ACT_FLUSH:
		if (fetching_wflush(j) != 0)
			return -1;
		fetching_ack_flush(fg, j, now);
		xferlog_flush(&x->req_log);
		return 0;
	case FETCH_ACT_ACK:
		fetching_ack(fg, j, a, in->from, now);
		return 0;
	case FETCH_ACT_BODY:
		j->conn = in->conn;
		net_conn_expect_body(in->conn, j->fd, a->size, &j->job);
		return 0;
	case FETCH_ACT_COMMIT:
		return fetching_commit(fg, j, now);
	case FETCH_ACT_DISCARD:
		j->wlen = 0;
		files_drop_partial(&j->fd, j->tmp);
		return 0;
	case FETCH_ACT_FORGET:
		fetching_ack_flush(fg, j, now);
		fetching_job_free(j);
		return 0;
	}
	return 0;
}

/*
 * Carry out a batch of actions in order. A failed OPEN or WRITE drops the request; after a
 * failed COMMIT the copy is not in place, so its "received" event is skipped.
 */
static void
fetching_apply(struct fetching *fg, struct fetch_job *j, struct fetch_out *out,
    const struct fetching_input *in, uint64_t now)
{
	bool	uncommitted = false;
	size_t	i;

	for (i = 0; i < out->n; i++) {
		enum fetch_act_kind kind = out->a[i].kind;

		if (kind == FETCH_ACT_EVENT && uncommitted)
			continue;
		if (fetching_do(fg, j, &out->a[i], in, now) == 0)
			continue;
		if (kind == FETCH_ACT_COMMIT) {
			uncommitted = true;
			continue;
		}
		{
			struct fetch_out abort = { .n = 0 };

			fetch_abort(&j->f, &abort);
			fetching_apply(fg, j, &abort, in, now);
		}
		break;
	}
	out->n = 0;
}

/* The request with this id, or NULL. */
struct fetch_job *
fetching_find(const struct fetching *fg, uint32_t id)
{
	struct fetch_job *j = LIST_FIRST(&fg->jobs);

	while (j != NULL && j->f.id != id)
		j = LIST_NEXT(j, link);
	return j;
}

/* A request is about to be routed. */
void
fetching_start(struct fetching *fg, int file, uint32_t id, uint64_t now)
{
	struct fetch_job *j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return;
	j->job = (struct ctx_job){ fetching_body_done, fg };
	j->fd = -1;
	fetch_init(&j->f, id, file, now);
	LIST_INSERT_HEAD(&fg->jobs, j, link);
	fetching_rearm(fg);
}

/* The owner's answer to a request of ours. */
bool
fetching_on_answer(struct fetching *fg, struct net_conn *c, const struct wire_msg *m,
    uint64_t now)
{
	struct fetch_job	*j = fetching_find(fg, m->u.file_rsp.id);
	struct fetching_input	 in = { c, NULL, &m->from };
	struct fetch_out	 out = { .n = 0 };

	if (j == NULL)
		return false;
	fetch_on_answer(&j->f, m->from.id, m->u.file_rsp.file,
	    m->u.file_rsp.status == WIRE_STATUS_HAVE, m->u.file_rsp.size,
	    m->u.file_rsp.mode == WIRE_MODE_TCP, now, &out);
	fetching_apply(fg, j, &out, &in, now);
	fetching_rearm(fg);
	return true;
}

/* A stop-and-wait segment for one of our requests. */
void
fetching_on_data(struct fetching *fg, const struct wire_msg *m, uint64_t now)
{
	struct fetch_job	*j = fetching_find(fg, m->u.data.xfer);
	struct fetching_input	 in = { NULL, m->u.data.data, &m->from };
	struct fetch_out	 out = { .n = 0 };

	if (j == NULL)
		return;
	fetch_on_data(&j->f, m->from.id, m->u.data.seq, m->u.data.len,
	    (m->u.data.flags & WIRE_DATA_LAST) != 0, now, &out);
	fetching_apply(fg, j, &out, &in, now);
	fetching_rearm(fg);
}

/* The datagrams read together are all handled: held segments are written, ACKs go out. */
void
fetching_burst_end(struct fetching *fg, uint64_t now)
{
	struct fetch_job	*j, *tmp;
	struct fetching_input	 in = { NULL, NULL, NULL };
	struct fetch_out	 out = { .n = 0 };

	LIST_FOREACH_SAFE(j, &fg->jobs, link, tmp) {
		if (fetching_wflush(j) == 0) {
			fetching_ack_flush(fg, j, now);
			continue;
		}
		j->ack_pending = false;		/* what it acknowledges is not written */
		fetch_abort(&j->f, &out);
		fetching_apply(fg, j, &out, &in, now);
	}
	fetching_rearm(fg);
}

/* The TCP body of a request is in, or cannot be. */
static void
fetching_body_done(struct ctx_job *job, bool ok, uint64_t now)
{
	struct fetch_job	*j = (struct fetch_job *)job;
	struct fetching		*fg = job->room;
	struct fetching_input	in = { NULL, NULL, NULL };
	struct fetch_out	out = { .n = 0 };

	j->conn = NULL;		/* net is done with it */
	if (ok)
		fg->ctx->bytes_in += j->f.size;
	fetch_on_body(&j->f, ok, now, &out);
	fetching_apply(fg, j, &out, &in, now);
	fetching_rearm(fg);
}

/* Our request with this id never reached its first hop `to`: true if it will be retried. */
bool
fetching_on_unsent(struct fetching *fg, const struct contact *to, uint32_t id, uint64_t now)
{
	struct fetch_job	*j = fetching_find(fg, id);
	struct fetching_input	 in = { NULL, NULL, NULL };
	struct fetch_out	 out = { .n = 0 };
	bool			 retry;

	if (j == NULL || id == 0)
		return false;
	retry = fetch_on_unsent(&j->f, to->id, now, &out);
	fetching_apply(fg, j, &out, &in, now);
	fetching_rearm(fg);
	return retry;
}

/* A request waiting for repair that may go out again, succ being the first successor. */
bool
fetching_resend_next(struct fetching *fg, int succ, uint64_t now, int *file, uint32_t *id)
{
	struct fetch_job *j;

	LIST_FOREACH(j, &fg->jobs, link)
		if (fetch_resend_due(&j->f, succ, now)) {
			*file = j->f.file;
			*id = j->f.id;
			fetching_rearm(fg);
			return true;
		}
	return false;
}

/* Time passed: deadlines of the requests, and progress lines of the copies coming. */
void
fetching_tick(struct fetching *fg, uint64_t now)
{
	struct fetch_job	*j, *tmp;
	struct fetching_input	 in = { NULL, NULL, NULL };
	struct fetch_out	 out = { .n = 0 };

	LIST_FOREACH(j, &fg->jobs, link)
		if (fetching_moving(j) && xfer_meter_due(&j->meter, now))
			fetching_say_figures(j, false, now);
	LIST_FOREACH_SAFE(j, &fg->jobs, link, tmp) {
		fetch_tick(&j->f, now, &out);
		fetching_apply(fg, j, &out, &in, now);
	}
	fetching_rearm(fg);
}

/* Our requests still moving, as transfers. */
void
fetching_snapshot(const struct fetching *fg, struct status_snapshot *snap, uint64_t now)
{
	const struct fetch_job *j;

	LIST_FOREACH(j, &fg->jobs, link) {
		const struct fetch	*f = &j->f;
		struct status_transfer	 t = { STATUS_RECEIVE, STATUS_REQUEST, f->file, f->owner,
		    f->state == FETCH_TCP, (int64_t)fetching_bytes(j),
		    f->size_known ? (int64_t)f->size : STATUS_NONE, (int64_t)(now - f->started),
		    STATUS_NONE };

		if (f->state == FETCH_UDP || f->state == FETCH_TCP)
			status_add_transfer(snap, &t);
	}
}

/* End every request (partial copies removed). */
void
fetching_free(struct fetching *fg)
{
	while (!LIST_EMPTY(&fg->jobs))
		fetching_job_free(LIST_FIRST(&fg->jobs));
}
