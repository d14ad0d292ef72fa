/* The requester's side of one file request: answer, segments, body, time -> actions. Pure. */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "cdht/fetch.h"

/* Append an action of this kind; a full outbox is a bug, and the last slot is reused. */
static struct fetch_action *
fetch_push(struct fetch_out *out, enum fetch_act_kind kind)
{
	struct fetch_action *a = &out->a[out->n < FETCH_MAX_ACTIONS ? out->n++ :
	    FETCH_MAX_ACTIONS - 1];

	/* Not the text: zeroing it for every segment's four actions showed in the profile. */
	memset(a, 0, offsetof(struct fetch_action, text));
	a->text[0] = '\0';
	a->kind = kind;
	return a;
}

/* Append a console event. */
static void
fetch_event(struct fetch_out *out, enum console_kind kind, int a, int file)
{
	struct fetch_action *act = fetch_push(out, FETCH_ACT_EVENT);

	act->ev.kind = kind;
	act->ev.a = a;
	act->ev.file = file;
}

/* Append a warning (WARN) or a sentence the user must see (SAY). */
static void
fetch_text(struct fetch_out *out, enum fetch_act_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fetch_text(struct fetch_out *out, enum fetch_act_kind kind, const char *fmt, ...)
{
	struct fetch_action	*a = fetch_push(out, kind);
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(a->text, sizeof a->text, fmt, ap);
	va_end(ap);
}

/* Append a requesting_log.txt line. */
static void
fetch_log(struct fetch_out *out, enum xfer_log_event ev, uint32_t seq, uint32_t len,
    uint32_t ack)
{
	struct fetch_action *a = fetch_push(out, FETCH_ACT_LOG);

	a->log = ev;
	a->offset = seq;
	a->len = len;
	a->ack = ack;
}

/* The request is over: drop the copy if one is open, then forget it. */
static void
fetch_end(struct fetch *f, bool discard, struct fetch_out *out)
{
	if (discard)
		fetch_push(out, FETCH_ACT_DISCARD);
	fetch_push(out, FETCH_ACT_FORGET);
	f->state = FETCH_OVER;
	f->deadline = FETCH_NEVER;
}

/* A fresh request, waiting for its answer. */
void
fetch_init(struct fetch *f, uint32_t id, int file, uint64_t now)
{
	memset(f, 0, sizeof *f);
	f->id = id;
	f->file = file;
	f->state = FETCH_WAITING;
	f->deadline = now + FETCH_ANSWER_WAIT_MS;
	f->unsent_to = -1;
}

/* The owner answered (or its first segment did): announce it and open the copy. */
static void
fetch_begin(struct fetch *f, uint8_t owner, uint64_t now, struct fetch_out *out)
{
	fetch_event(out, CON_FILE_RSP_RCVD, owner, f->file);
	fetch_push(out, FETCH_ACT_OPEN);
	f->owner = owner;
	f->started = now;
	f->unsent_to = -1;
	/* The largest window: a --window 1 requester can take a --window 32 owner's data. */
	xfer_rx_init(&f->rx, XFER_WINDOW_MAX, now);
}

/* The copy holds got bytes and nothing more will come: check it, put it in place, linger. */
static void
fetch_finish(struct fetch *f, uint32_t got, uint64_t now, struct fetch_out *out)
{
	fetch_push(out, FETCH_ACT_FLUSH);
	if (f->size_known && got != f->size) {
		fetch_text(out, FETCH_ACT_WARN, "file %04d from peer %u: got %u bytes of %u; "
		    "discarded", f->file, f->owner, got, f->size);
		fetch_push(out, FETCH_ACT_DISCARD);
	} else {
		fetch_push(out, FETCH_ACT_COMMIT);
		fetch_event(out, CON_FILE_RECEIVED, 0, f->file);
	}
	f->state = FETCH_DONE;
	f->deadline = now + FETCH_LINGER_MS;
}

/* The owner's answer to this request. */
void
fetch_on_answer(struct fetch *f, uint8_t from, int file, bool have, uint32_t size, bool tcp,
    uint64_t now, struct fetch_out *out)
{
	if (f->state == FETCH_OVER || (f->state == FETCH_DONE && from == f->owner))
		return;		/* a small file's data overtook its answer and is already in */
	if (f->state == FETCH_TCP || f->state == FETCH_DONE || file != f->file ||
	    (f->state == FETCH_UDP && from != f->owner)) {
		fetch_text(out, FETCH_ACT_WARN, "ignored a second answer for file %04d from "
		    "peer %u", f->file, from);
		return;
	}
	if (!have) {
		fetch_event(out, CON_FILE_ABSENT, 0, f->file);
		fetch_end(f, f->state == FETCH_UDP, out);
		return;
	}
	f->size = size;
	f->size_known = true;
	if (f->state == FETCH_UDP) {
		/* Its data came first; the size is all that was missing. */
		/* Bytes already written ahead of a gap count, not only those in order. */
		if (f->rx.high - 1 > size) {
			fetch_text(out, FETCH_ACT_WARN, "file %04d from peer %u: more bytes came "
			    "than announced; discarded", f->file, from);
			fetch_end(f, true, out);
		}
		return;
	}
	fetch_begin(f, from, now, out);
	if (!tcp) {
		f->state = FETCH_UDP;
		f->deadline = xfer_rx_next_deadline(&f->rx);
	} else if (size == 0) {
		f->state = FETCH_TCP;
		fetch_finish(f, 0, now, out);
	} else {
		f->state = FETCH_TCP;
		f->deadline = FETCH_NEVER;	/* the transport times out a stalled stream */
		fetch_push(out, FETCH_ACT_BODY)->size = size;
	}
}

/* Does a segment fit the announced size (past it, or a last one ending short)? */
static bool
fetch_fits(const struct fetch *f, uint32_t seq, uint16_t len, bool last)
{
	uint64_t end = (uint64_t)seq - 1 + len;

	return !f->size_known || (end <= f->size && (!last || end == f->size));
}

/* A UDP data segment for this request. */
void
fetch_on_data(struct fetch *f, uint8_t from, uint32_t seq, uint16_t len, bool last,
    uint64_t now, struct fetch_out *out)
{
	enum xfer_rx_result	res;
	uint32_t		next, sack;
	struct fetch_action	*a;

	if (f->state == FETCH_TCP || f->state == FETCH_OVER)
		return;
	if (f->state == FETCH_WAITING) {
		/* The data overtook the TCP answer: it is the answer. */
		fetch_begin(f, from, now, out);
		f->state = FETCH_UDP;
	}
	if (from != f->owner)
		return;
	if (!fetch_fits(f, seq, len, last)) {
		fetch_text(out, FETCH_ACT_WARN, "dropped a segment of %04d from peer %u: past the "
		    "announced %u bytes", f->file, from, f->size);
		return;
	}
	fetch_log(out, XFER_LOG_RCV, seq, len, 0);
	res = xfer_rx_on_data(&f->rx, seq, len, last, now, &next, &sack);
	if ((res == XFER_RX_WRITE || res == XFER_RX_COMPLETE) && len > 0) {
		a = fetch_push(out, FETCH_ACT_WRITE);
		a->offset = seq - 1;
		a->len = len;
		f->bytes += len;
	}
	a = fetch_push(out, FETCH_ACT_ACK);
	a->ack = next;
	a->sack = sack;		/* 0 when the segment was refused */
	fetch_log(out, XFER_LOG_SND, 0, 0, next);
	if (res == XFER_RX_COMPLETE)
		fetch_finish(f, f->rx.expect - 1, now, out);
	else if (f->state == FETCH_UDP)
		f->deadline = xfer_rx_next_deadline(&f->rx);
}

/* The TCP body is in (or failed). */
void
fetch_on_body(struct fetch *f, bool ok, uint64_t now, struct fetch_out *out)
{
	if (f->state != FETCH_TCP)
		return;
	if (!ok) {
		fetch_text(out, FETCH_ACT_WARN, "receiving %04d from peer %u failed", f->file,
		    f->owner);
		fetch_end(f, true, out);
		return;
	}
	f->bytes = f->size;
	fetch_finish(f, f->size, now, out);
	fetch_end(f, false, out);
}

/* Time passed. */
void
fetch_tick(struct fetch *f, uint64_t now, struct fetch_out *out)
{
	if (now < f->deadline)
		return;
	switch (f->state) {
	case FETCH_WAITING:
		fetch_text(out, FETCH_ACT_SAY, "no answer to the request for %04d within %d s: the "
		    "file may be on an unreachable peer; try again", f->file,
		    FETCH_ANSWER_WAIT_MS / 1000);
		fetch_end(f, false, out);
		break;
	case FETCH_UDP:
		fetch_text(out, FETCH_ACT_WARN, "gave up receiving %04d from peer %u: nothing for "
		    "%d s", f->file, f->owner, XFER_GIVE_UP_MS / 1000);
		fetch_end(f, true, out);
		break;
	case FETCH_DONE:
		fetch_end(f, false, out);
		break;
	default:
		break;
	}
}

/* The request could not reach its first hop. */
bool
fetch_on_unsent(struct fetch *f, uint8_t to, uint64_t now, struct fetch_out *out)
{
	if (f->state != FETCH_WAITING || f->retried)
		return false;
	f->retried = true;
	f->unsent_to = to;
	(void)now;	/* it waits for repair within its first wait */
	fetch_text(out, FETCH_ACT_SAY, "request for %04d: peer %u did not take it (it may have "
	    "just left); sending it again once the ring has repaired", f->file, to);
	return true;
}

/* Has the ring a new first successor for a request waiting for repair? */
bool
fetch_resend_due(struct fetch *f, int succ, uint64_t now)
{
	if (f->state != FETCH_WAITING || f->unsent_to < 0 || succ < 0 || succ == f->unsent_to)
		return false;
	f->unsent_to = -1;
	f->deadline = now + FETCH_ANSWER_WAIT_MS;	/* the one extension of its wait */
	return true;
}

/* OPEN or WRITE failed. */
void
fetch_abort(struct fetch *f, struct fetch_out *out)
{
	if (f->state != FETCH_OVER)
		fetch_end(f, true, out);
}
