/* Ring membership and routing (SPEC §5) as a pure state machine: messages in, actions out. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cdht/keys.h"
#include "cdht/ring.h"
#include "ring_int.h"


/* A fresh action at the end of the outbox (the spare one if the outbox is full). */
struct ring_action *
ring_push(struct ring *r, enum ring_act_kind kind)
{
	struct ring_action *a;

	if (r->nout < RING_MAX_ACTIONS)
		a = &r->out[r->nout++];
	else {
		r->overflow++;
		a = &r->spare;
	}
	memset(a, 0, sizeof *a);
	a->kind = kind;
	return a;
}

/* Queue a console event. */
void
ring_event(struct ring *r, enum console_kind kind, int a, int b, int file)
{
	struct ring_action *act;

	if (r->cfg.quiet_pings && console_is_ping(kind))
		return;
	act = ring_push(r, RING_ACT_EVENT);
	act->ev.kind = kind;
	act->ev.a = a;
	act->ev.b = b;
	act->ev.file = file;
}

/* Queue a sentence for stderr. */
void __attribute__((format(printf, 2, 3)))
ring_warn(struct ring *r, const char *fmt, ...)
{
	struct ring_action	*act = ring_push(r, RING_ACT_WARN);
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(act->text, sizeof act->text, fmt, ap);
	va_end(ap);
}

/* Queue the end of the process. */
void __attribute__((format(printf, 3, 4)))
ring_exit(struct ring *r, int status, const char *fmt, ...)
{
	struct ring_action	*act = ring_push(r, RING_ACT_EXIT);
	va_list			 ap;

	act->status = status;
	va_start(ap, fmt);
	vsnprintf(act->text, sizeof act->text, fmt, ap);
	va_end(ap);
	r->state = RING_EXITED;
}

/* Queue a message of this type to `to`; the caller fills its payload. */
struct wire_msg *
ring_send(struct ring *r, enum ring_act_kind kind, const struct contact *to, int type)
{
	struct ring_action *act = ring_push(r, kind);

	act->to = *to;
	act->msg.type = (uint8_t)type;
	act->msg.from = r->cfg.self;
	return &act->msg;
}

/* "addr:port" of a contact, into buf. */
const char *
ring_addr(const struct contact *c, char *buf, size_t cap)
{
	return contact_endpoint_text(c, buf, cap);
}

/* Forget a successor slot's contact and ping state. */
void
ring_succ_clear(struct ring_succ *s)
{
	memset(s, 0, sizeof *s);
	s->deadline = RING_NEVER;
}

/* Forget a predecessor slot. */
void
ring_pred_forget(struct ring_pred *p)
{
	p->known = false;
	p->expire_at = RING_NEVER;
}

/* Stop repairing: no question is due. */
void
ring_repair_stop(struct ring *r)
{
	r->repairing = false;
	r->query_at = RING_NEVER;
}

/* Put a contact in a successor slot, keeping the ping state if it is the same peer. */
bool
ring_succ_set(struct ring *r, struct ring_succ *s, const struct contact *c)
{
	ring_lost_remove(r, c->id);
	if (s->known && s->c.id == c->id) {
		s->c = *c;
		return false;
	}
	ring_succ_clear(s);
	s->c = *c;
	s->known = true;
	return true;
}

/* May a message make (s1, s2) our successors? Never ourselves first, never one peer twice. */
bool
ring_succs_valid(const struct ring *r, const struct contact *s1, const struct contact *s2)
{
	return s1->id != r->cfg.self.id && s1->id != s2->id;
}

/* Take (s1, s2) as successors; print the successor lines if anything changed. */
void
ring_set_succs(struct ring *r, const struct contact *s1, const struct contact *s2,
    uint64_t now)
{
	struct contact	c1 = *s1, c2 = *s2;	/* s1, s2 may point into r->succ */
	bool		changed;

	changed = ring_succ_set(r, &r->succ[0], &c1);
	if (ring_succ_set(r, &r->succ[1], &c2)) {
		changed = true;
		r->third_known = false;		/* it was the old second's successor */
	}
	r->claim_known = false;
	if (c1.id != c2.id)
		ring_repair_stop(r);	/* a departure or a join told us the second */
	if (changed) {
		ring_event(r, CON_SUCCESSORS, c1.id, c2.id, 0);
		r->next_round = now;	/* greet the new neighbours at once */
	}
}

/* Set up a peer that is not yet started. */
void
ring_init(struct ring *r, const struct ring_cfg *cfg)
{
	memset(r, 0, sizeof *r);
	r->cfg = *cfg;
	r->state = RING_IDLE;
	r->next_round = RING_NEVER;
	r->query_at = RING_NEVER;
	r->probe_at = RING_NEVER;
	ring_succ_clear(&r->succ[0]);
	ring_succ_clear(&r->succ[1]);
	ring_pred_forget(&r->pred[0]);
	ring_pred_forget(&r->pred[1]);
}

/* Start as a member with these successors; the first ping round is due now. */
void
ring_start(struct ring *r, const struct contact *s1, const struct contact *s2, uint64_t now)
{
	r->state = RING_UP;
	ring_succ_set(r, &r->succ[0], s1);
	ring_succ_set(r, &r->succ[1], s2);
	r->next_round = now;
}

/* A decoded ring message. */
void
ring_on_msg(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	static ring_handler *const take[WIRE_TYPE_END] = {
		[WIRE_PING_REQ] = ring_on_ping_req, [WIRE_PING_RSP] = ring_on_ping_rsp,
		[WIRE_FILE_REQ] = ring_on_route, [WIRE_STORE_REQ] = ring_on_route,
		[WIRE_DEPART] = ring_on_depart, [WIRE_DEPART_ACK] = ring_on_depart_ack,
		[WIRE_SUCC_QUERY] = ring_on_query, [WIRE_SUCC_REPLY] = ring_on_reply,
		[WIRE_JOIN_REQ] = ring_on_join_req, [WIRE_JOIN_ACCEPT] = ring_on_join_accept,
		[WIRE_JOIN_REJECT] = ring_on_join_reject, [WIRE_SUCC_CHANGE] = ring_on_succ_change,
	};

	if (ring_forged(r, m))
		return;
	if (m->type < WIRE_TYPE_END && take[m->type] != NULL)
		take[m->type](r, m, now);
	else
		ring_warn(r, "ignored a file-transfer message (%s) from peer %u outside any "
		    "transfer", wire_type_name(m->type), m->from.id);
}

/* A one-shot TCP send of a message of this type to `to` failed. */
void
ring_on_send_failed(struct ring *r, const struct contact *to, int type, uint64_t now)
{
	char	addr[CONTACT_TEXT_MAX];

	switch (type) {
	case WIRE_JOIN_REQ:
		if (r->state == RING_JOINING) {
			ring_exit(r, 1, "cannot reach peer %u at %s to join", to->id,
			    ring_addr(to, addr, sizeof addr));
			break;
		}
		ring_warn(r, "could not pass the join request on to peer %u at %s", to->id,
		    ring_addr(to, addr, sizeof addr));
		break;
	case WIRE_DEPART:
		ring_departure_noted(r, to->id);
		break;
	case WIRE_SUCC_QUERY:
		if (r->state == RING_UP)
			ring_confirm_failed(r, to, now);
		break;		/* a repair question is retried when query_at is due */
	default:
		ring_warn_unsent(r, to, type);
		break;
	}
}

/* Time passed: misses, rounds, predecessor expiry, retries, probes, give-ups. */
void
ring_tick(struct ring *r, uint64_t now)
{
	int	i;

	if (r->state == RING_JOINING && now >= r->join_deadline) {
		ring_exit(r, 1, "no answer to the join request sent to peer %u within %u s",
		    r->known.id, RING_JOIN_WAIT_MS / 1000);
		return;
	}
	if (r->state == RING_LEAVING && now >= r->leave_deadline) {
		ring_exit(r, 0, "left the ring without every acknowledgement");
		return;
	}
	if (r->state != RING_UP)
		return;
	ring_tick_succs(r, now);
	if (now >= r->next_round)
		ring_round(r, now);
	for (i = 0; i < 2; i++)
		if (now >= r->pred[i].expire_at)
			ring_pred_forget(&r->pred[i]);
	if (now >= r->query_at) {
		if (r->repairing && r->succ[0].known)
			ring_query(r, now);
		else
			ring_repair_stop(r);
	}
	if (now >= r->probe_at)
		ring_probe_lost(r, now);
}

/* The earliest time ring_tick has something to do: the least of the deadline fields it reads. */
uint64_t
ring_next_deadline(const struct ring *r)
{
	uint64_t	t;
	int		i;

	switch (r->state) {
	case RING_JOINING:
		return r->join_deadline;
	case RING_LEAVING:
		return r->leave_deadline;
	case RING_IDLE:
	case RING_EXITED:
		return RING_NEVER;
	case RING_UP:
		break;
	}
	t = r->next_round;
	for (i = 0; i < 2; i++) {
		if (r->succ[i].deadline < t)
			t = r->succ[i].deadline;
		if (r->pred[i].expire_at < t)
			t = r->pred[i].expire_at;
	}
	if (r->query_at < t)
		t = r->query_at;
	if (r->probe_at < t)
		t = r->probe_at;
	return t;
}

/* Empty the outbox once the caller has carried it out. */
void
ring_clear_actions(struct ring *r)
{
	r->nout = 0;
}
