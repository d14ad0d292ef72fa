/* The shared context of a peer's rooms: console lines, the log clock, copies coming in. */
#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "ctx.h"
#include "net.h"

/* Print one console event's lines together. */
void
ctx_print(const struct ctx *x, enum console_kind kind, int a, int b, int file)
{
	struct console_ev	ev = { kind, a, b, file };
	char			buf[512];

	if (console_format(x->cfg.dialect, &ev, buf, sizeof buf) > 0)
		fputs(buf, stdout);
}

/* Milliseconds since the peer started. */
uint64_t
ctx_clock(const struct ctx *x, uint64_t now)
{
	return now - x->start_ms;
}

/* The context of a peer with this configuration, started now (self and net come later). */
void
ctx_init(struct ctx *x, const struct config *cfg, uint64_t now)
{
	x->cfg = *cfg;
	x->start_ms = now;
	x->req_log.dir = x->rsp_log.dir = cfg->dir;
	x->req_log.name = "requesting_log.txt";
	x->rsp_log.name = "responding_log.txt";
	xfer_rng_seed(&x->rng, cfg->seed_set ? cfg->seed :
	    (now << 20) ^ (uint64_t)getpid() ^ ((uint64_t)cfg->id << 48));
}

/* Keep in *next the earlier of it and t (deadlines: UINT64_MAX is none). */
void
ctx_earliest(uint64_t *next, uint64_t t)
{
	if (t < *next)
		*next = t;
}

/* Put a job on a room's due list. */
void
ctx_due_add(struct ctx_dues *l, struct ctx_due *d, uint64_t (*next)(const void *),
    const void *job)
{
	d->next = next;
	d->job = job;
	LIST_INSERT_HEAD(l, d, link);
}

/* Take a job off its room's due list (before it is freed). */
void
ctx_due_remove(struct ctx_due *d)
{
	LIST_REMOVE(d, link);
}

/* The earliest deadline of the list's jobs. */
uint64_t
ctx_due_earliest(const struct ctx_dues *l)
{
	const struct ctx_due	*d;
	uint64_t		 t = UINT64_MAX;

	LIST_FOREACH(d, l, link)
		ctx_earliest(&t, d->next(d->job));
	return t;
}

/* When the timer is due for an intake (the fields ctx_intake_progress_due and _expired read). */
static uint64_t
ctx_intake_next(const void *job)
{
	const struct ctx_intake	*in = job;

	return in->receiving ? in->meter.due : in->deadline;
}

/* An intake awaited until deadline (no file yet), on the room's due list. */
void
ctx_intake_init(struct ctx_intake *in, struct ctx_dues *dues, uint64_t deadline)
{
	in->fd = -1;
	in->deadline = deadline;
	ctx_due_add(dues, &in->due, ctx_intake_next, in);
}

/* Create its temporary copy for F: 0, or -1 with err (and no file). */
int
ctx_intake_open(struct ctx_intake *in, const char *dir, int file, uint32_t id, char *err,
    size_t errlen)
{
	if (files_create_tmp(dir, FILES_OWN, file, id, &in->fd, in->tmp, sizeof in->tmp, err,
	    errlen) != 0) {
		in->fd = -1;
		return -1;
	}
	return 0;
}

/* Its size bytes start coming on c now: progress lines count from here. */
void
ctx_intake_receive(struct ctx_intake *in, struct net_conn *c, uint32_t size, uint64_t now)
{
	in->receiving = true;
	in->size = size;
	in->started = now;
	in->body = c;
	xfer_meter_init(&in->meter, now);
}

/* Is a progress line due now (the meter then waits for the next)? */
bool
ctx_intake_progress_due(struct ctx_intake *in, uint64_t now)
{
	return in->receiving && xfer_meter_due(&in->meter, now);
}

/* Did its bytes never start in time? */
bool
ctx_intake_expired(const struct ctx_intake *in, uint64_t now)
{
	return !in->receiving && now >= in->deadline;
}

/* Bytes written so far. */
uint64_t
ctx_intake_moved(const struct ctx_intake *in)
{
	struct stat sb;

	if (in->body != NULL)
		return net_conn_body_moved(in->body);
	/* net is done with the connection: the copy itself tells (nothing else is written). */
	return in->fd >= 0 && fstat(in->fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Fill a transfer's figures as a receive over TCP: bytes and time only once they come. */
void
ctx_intake_status(const struct ctx_intake *in, struct status_transfer *t, uint64_t now)
{
	t->dir = STATUS_RECEIVE;
	t->tcp = true;
	t->bytes = in->receiving ? (int64_t)ctx_intake_moved(in) : STATUS_NONE;
	t->size = (int64_t)in->size;
	t->elapsed_ms = in->receiving ? (int64_t)(now - in->started) : STATUS_NONE;
	t->rto_ms = STATUS_NONE;
}

/* Close and remove a copy that will not be completed. */
void
ctx_intake_drop(struct ctx_intake *in)
{
	files_drop_partial(&in->fd, in->tmp);
}

/* The intake is over: off the due list, its copy (if any is left) removed. */
void
ctx_intake_end(struct ctx_intake *in)
{
	ctx_due_remove(&in->due);
	files_drop_partial(&in->fd, in->tmp);
}
