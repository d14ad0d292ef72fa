/* Ring membership and routing (SPEC §5) as a pure state machine: messages in, actions out. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cdht/keys.h"
#include "cdht/ring.h"

#define RING_QUERY_MIN_MS	200	/* ms, first successor-query retry */

/* A fresh action at the end of the outbox (the spare one if the outbox is full). */
static struct ring_action *
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
static void
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
static void __attribute__((format(printf, 2, 3)))
ring_warn(struct ring *r, const char *fmt, ...)
{
	struct ring_action	*act = ring_push(r, RING_ACT_WARN);
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(act->text, sizeof act->text, fmt, ap);
	va_end(ap);
}

/* Queue the end of the process. */
static void __attribute__((format(printf, 3, 4)))
ring_exit(struct ring *r, int status, const char *fmt, ...)
{
	struct ring_action	*act = ring_push(r, RING_ACT_EXIT);
	va_list			 ap;

	act->status = status;
	va_start(ap, fmt);
	vsnprintf(act->text, sizeof act->text, fmt, ap);
	va_end(ap);
	r->state = RING_GONE;
}

/* Queue a message of this type to `to`; the caller fills its payload. */
static struct wire_msg *
ring_send(struct ring *r, enum ring_act_kind kind, const struct contact *to, int type)
{
	struct ring_action *act = ring_push(r, kind);

	act->to = *to;
	act->msg.type = (uint8_t)type;
	act->msg.from = r->cfg.self;
	return &act->msg;
}

/* "addr:port" of a contact, into buf. */
static const char *
ring_addr(const struct contact *c, char *buf, size_t cap)
{
	return contact_endpoint_text(c, buf, cap);
}

/* Forget a successor slot's contact and ping state. */
static void
ring_succ_clear(struct ring_succ *s)
{
	memset(s, 0, sizeof *s);
}

/* Put a contact in a successor slot, keeping the ping state if it is the same peer. */
static bool
ring_succ_set(struct ring_succ *s, const struct contact *c)
{
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
static bool
ring_succs_valid(const struct ring *r, const struct contact *s1, const struct contact *s2)
{
	return s1->id != r->cfg.self.id && s1->id != s2->id;
}

/* Take (s1, s2) as successors; print the successor lines if anything changed. */
static void
ring_set_succs(struct ring *r, const struct contact *s1, const struct contact *s2,
    uint64_t now)
{
	struct contact	c1 = *s1, c2 = *s2;	/* s1, s2 may point into r->succ */
	bool		changed;

	changed = ring_succ_set(&r->succ[0], &c1);
	changed = ring_succ_set(&r->succ[1], &c2) || changed;
	if (c1.id != c2.id)
		r->repairing = false;	/* a departure or a join told us the second */
	if (changed) {
		ring_event(r, CON_SUCCESSORS, c1.id, c2.id, 0);
		r->next_round = now;	/* greet the new neighbours at once */
	}
}

/* Is the peer in this slot one we should ping (known, and not ourselves)? */
static bool
ring_pingable(const struct ring *r, int i)
{
	return r->succ[i].known && r->succ[i].c.id != r->cfg.self.id;
}

/* Send a ping to successor slot i, opening or extending its unanswered window. */
static void
ring_ping(struct ring *r, int i, uint64_t now)
{
	struct ring_succ	*s = &r->succ[i];
	struct wire_msg		*m;
	uint32_t		 seq = ++r->next_seq;

	m = ring_send(r, RING_ACT_UDP, &s->c, WIRE_PING_REQ);
	m->u.ping_req.seq = seq;
	m->u.ping_req.role = (uint8_t)(i + 1);
	if (!s->awaiting)
		s->seq_lo = seq;
	s->awaiting = true;
	s->seq_hi = seq;
	s->deadline = now + r->cfg.ping_timeout_ms;
}

/* A regular ping round: each successor not already being probed gets a ping. */
static void
ring_round(struct ring *r, uint64_t now)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (ring_pingable(r, i) && !r->succ[i].awaiting)
			ring_ping(r, i, now);
	if (r->succ[0].known && r->succ[1].known)
		ring_event(r, CON_PING_SENT, r->succ[0].c.id, r->succ[1].c.id, 0);
	r->next_round = now + r->cfg.ping_interval_ms;
}

/* Ask our first successor for its successors (repair after a death). */
static void
ring_query(struct ring *r, uint64_t now)
{
	struct wire_msg *m;

	m = ring_send(r, RING_ACT_TCP, &r->succ[0].c, WIRE_SUCC_QUERY);
	m->u.query.qid = ++r->query_id;
	r->query_at = now + r->query_backoff_ms;
	r->query_backoff_ms *= 2;
	if (r->query_backoff_ms > RING_QUERY_MAX_MS)
		r->query_backoff_ms = RING_QUERY_MAX_MS;
}

/* Our second successor is unknown (dead_id is gone): ask the first for its successors. */
static void
ring_start_repair(struct ring *r, uint8_t dead_id, uint64_t now)
{
	r->repairing = true;
	r->dead_id = dead_id;
	r->query_backoff_ms = 2 * r->cfg.ping_timeout_ms;
	if (r->query_backoff_ms < RING_QUERY_MIN_MS)
		r->query_backoff_ms = RING_QUERY_MIN_MS;
	ring_query(r, now);
}

/* Successor slot i missed loss_threshold pings in a row: it is dead; start the repair. */
static void
ring_declare_dead(struct ring *r, int i, uint64_t now)
{
	uint8_t	dead = r->succ[i].c.id;

	ring_event(r, CON_DEAD, dead, 0, 0);
	if (i == 0) {
		if (!r->succ[1].known) {
			ring_succ_clear(&r->succ[0]);
			r->repairing = false;
			ring_warn(r, "both successors are gone (peer %u was the last): two successors "
			    "cannot heal this ring", dead);
			return;
		}
		r->succ[0] = r->succ[1];
	}
	ring_succ_clear(&r->succ[1]);
	if (r->succ[0].c.id == r->cfg.self.id) {
		r->repairing = false;
		ring_warn(r, "no other peer is left in the ring");
		return;
	}
	ring_start_repair(r, dead, now);
}

/* Remember who pings us as which predecessor. */
static void
ring_learn_pred(struct ring *r, const struct contact *c, int role, uint64_t now)
{
	int	i = role - 1, other = 1 - i;

	if (r->pred[other].known && r->pred[other].c.id == c->id)
		r->pred[other].known = false;
	r->pred[i].c = *c;
	r->pred[i].known = true;
	r->pred[i].last_seen = now;
}

static void
ring_on_ping_req(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	struct wire_msg *rsp;

	if (r->state == RING_GONE)
		return;
	rsp = ring_send(r, RING_ACT_UDP, &m->from, WIRE_PING_RSP);
	rsp->u.ping_rsp.seq = m->u.ping_req.seq;
	if (r->succ[0].known)
		rsp->u.ping_rsp.succ = r->succ[0].c;
	ring_event(r, CON_PING_REQ_RCVD, m->from.id, 0, 0);
	ring_learn_pred(r, &m->from, m->u.ping_req.role, now);
}

static void
ring_on_ping_rsp(struct ring *r, const struct wire_msg *m)
{
	uint32_t	seq = m->u.ping_rsp.seq;
	int		i;

	for (i = 0; i < 2; i++) {
		struct ring_succ *s = &r->succ[i];

		if (!s->known || s->c.id != m->from.id)
			continue;
		/* Any unanswered ping of the current window proves the peer alive. */
		if (s->awaiting && seq - s->seq_lo <= s->seq_hi - s->seq_lo) {
			s->awaiting = false;
			s->misses = 0;
			ring_event(r, CON_PING_RSP_RCVD, m->from.id, 0, 0);
		}
	}
}

/* Does a route message stop here: flagged by the previous hop, or our key as far as we know? */
static bool
ring_route_ends_here(const struct ring *r, const struct wire_route *rt)
{
	return (rt->flags & WIRE_ROUTE_OWNER) || ring_owns(r, keys_of_file(rt->file));
}

/* Send a route message on to our first successor, flagged if that successor owns the key. */
static void
ring_forward_route(struct ring *r, int type, const struct wire_route *rt, uint8_t ttl)
{
	struct wire_msg	*m;
	int		 key = keys_of_file(rt->file);

	m = ring_send(r, RING_ACT_TCP, &r->succ[0].c, type);
	m->u.route = *rt;
	m->u.route.ttl = ttl;
	m->u.route.flags = keys_in_half_open(r->cfg.self.id, key, r->succ[0].c.id) ?
	    WIRE_ROUTE_OWNER : 0;
}

/* We own a route's key: serve the request or take the store. */
static void
ring_own_route(struct ring *r, int type, const struct wire_route *rt)
{
	struct ring_action *act;

	act = ring_push(r, type == WIRE_FILE_REQ ? RING_ACT_SERVE : RING_ACT_STORE);
	act->msg.type = (uint8_t)type;
	act->msg.from = r->cfg.self;
	act->msg.u.route = *rt;
	act->to = rt->origin;
}

static void
ring_on_route(struct ring *r, const struct wire_msg *m)
{
	const struct wire_route	*rt = &m->u.route;
	bool			 req = m->type == WIRE_FILE_REQ;

	if (r->state == RING_JOINING || r->state == RING_GONE || !r->succ[0].known) {
		ring_warn(r, "dropped %s for %04u from peer %u: not in a ring yet",
		    wire_type_name(m->type), rt->file, m->from.id);
		return;
	}
	if (rt->ttl == 0) {
		ring_warn(r, "dropped %s for %04u: too many hops", wire_type_name(m->type),
		    rt->file);
		return;
	}
	if (ring_route_ends_here(r, rt)) {
		ring_own_route(r, m->type, rt);
		return;
	}
	if (rt->origin.id == r->cfg.self.id) {
		ring_warn(r, "dropped %s for %04u: it went round the ring without finding "
		    "the owner", wire_type_name(m->type), rt->file);
		return;
	}
	ring_event(r, req ? CON_REQ_FORWARDED : CON_STORE_FORWARDED, 0, 0, rt->file);
	ring_forward_route(r, m->type, rt, (uint8_t)(rt->ttl - 1));
}

/* A typed request or store starts here. */
static void
ring_originate(struct ring *r, int type, int file, uint32_t id, uint8_t mode)
{
	struct wire_route rt;

	if (r->state != RING_UP || !r->succ[0].known) {
		ring_warn(r, "not in a ring yet: %s %04d not sent",
		    type == WIRE_FILE_REQ ? "request" : "store", file);
		return;
	}
	memset(&rt, 0, sizeof rt);
	rt.file = (uint16_t)file;
	rt.id = id;
	rt.origin = r->cfg.self;
	rt.mode = mode;
	rt.ttl = WIRE_TTL;
	if (ring_owns(r, keys_of_file(file))) {
		ring_own_route(r, type, &rt);
		return;
	}
	ring_event(r, type == WIRE_FILE_REQ ? CON_REQ_SENT : CON_STORE_FORWARDED, 0, 0, file);
	ring_forward_route(r, type, &rt, WIRE_TTL);
}

static void
ring_on_depart(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact	*d = &m->from;
	int			 i;

	/*
	 * Its successors must not include itself, and must not make us our own first
	 * successor; as its second predecessor we take (s1, its s1), and its s1 may be us
	 * (a ring of three becomes a ring of two).
	 */
	if (m->u.succs.s1.id == d->id || m->u.succs.s2.id == d->id ||
	    (r->succ[0].known && r->succ[0].c.id == d->id &&
	    m->u.succs.s1.id == r->cfg.self.id))
		ring_warn(r, "ignored the departure of peer %u: it names itself or us as "
		    "successor", d->id);
	else if (r->state == RING_UP && r->succ[0].known && r->succ[0].c.id == d->id) {
		ring_event(r, CON_DEPART, d->id, 0, 0);
		ring_set_succs(r, &m->u.succs.s1, &m->u.succs.s2, now);
	} else if (r->state == RING_UP && r->succ[1].known && r->succ[1].c.id == d->id) {
		ring_event(r, CON_DEPART, d->id, 0, 0);
		ring_set_succs(r, &r->succ[0].c, &m->u.succs.s1, now);
	} else
		ring_warn(r, "peer %u departs, but it is not one of my successors", d->id);
	/* A peer leaving mid-repair names its first successor twice: find the real second. */
	if (r->state == RING_UP && r->succ[1].known && r->succ[0].known &&
	    r->succ[1].c.id == r->succ[0].c.id && r->succ[0].c.id != r->cfg.self.id) {
		ring_succ_clear(&r->succ[1]);
		ring_start_repair(r, d->id, now);
	}
	for (i = 0; i < 2; i++)
		if (r->pred[i].known && r->pred[i].c.id == d->id)
			r->pred[i].known = false;
	ring_send(r, RING_ACT_TCP, d, WIRE_DEPART_ACK);
}

/* A departure acknowledgement (or a failed departure notice) from peer id. */
static void
ring_departure_noted(struct ring *r, uint8_t id)
{
	int	i;

	if (r->state != RING_LEAVING)
		return;
	for (i = 0; i < 2; i++)
		if (r->ack_wait[i] && r->ack_id[i] == id)
			r->ack_wait[i] = false;
	if (!r->ack_wait[0] && !r->ack_wait[1])
		ring_exit(r, 0, "left the ring");
}

static void
ring_on_query(struct ring *r, const struct wire_msg *m)
{
	struct wire_msg *rep;

	if (r->state != RING_UP)
		return;
	rep = ring_send(r, RING_ACT_TCP, &m->from, WIRE_SUCC_REPLY);
	rep->u.reply.qid = m->u.query.qid;
	if (r->succ[0].known)
		rep->u.reply.s1 = r->succ[0].c;
	if (r->succ[1].known)
		rep->u.reply.s2 = r->succ[1].c;
}

static void
ring_on_reply(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact *cand = &m->u.reply.s1;

	if (!r->repairing || m->u.reply.qid != r->query_id || !r->succ[0].known ||
	    m->from.id != r->succ[0].c.id)
		return;
	/* SPEC §5: if the asked peer still names the dead peer, take its second successor. */
	if (wire_contact_none(cand) || cand->id == r->dead_id)
		cand = &m->u.reply.s2;
	if (wire_contact_none(cand) || cand->id == r->dead_id || cand->id == m->from.id)
		return;		/* it is repairing too: ask again when the retry is due */
	r->repairing = false;
	ring_set_succs(r, &r->succ[0].c, cand, now);
}

static void
ring_on_join_req(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact	*n = &m->u.join.joiner;
	struct contact		 old1, old2, target;
	struct wire_msg		*out;

	if (r->state != RING_UP || !r->succ[0].known || !r->succ[1].known) {
		out = ring_send(r, RING_ACT_TCP, n, WIRE_JOIN_REJECT);
		out->u.reject.reason = WIRE_REJECT_NOT_READY;
		return;
	}
	if (m->u.join.ttl == 0) {
		ring_warn(r, "dropped the join request of peer %u: too many hops", n->id);
		return;
	}
	if (n->id == r->cfg.self.id || n->id == r->succ[0].c.id) {
		out = ring_send(r, RING_ACT_TCP, n, WIRE_JOIN_REJECT);
		out->u.reject.reason = WIRE_REJECT_ID_TAKEN;
		return;
	}
	if (!keys_in_open(r->cfg.self.id, n->id, r->succ[0].c.id)) {
		ring_event(r, CON_JOIN_FORWARDED, n->id, 0, 0);
		out = ring_send(r, RING_ACT_TCP, &r->succ[0].c, WIRE_JOIN_REQ);
		out->u.join.joiner = *n;
		out->u.join.ttl = (uint8_t)(m->u.join.ttl - 1);
		return;
	}
	/* We are the joiner's predecessor-to-be. */
	old1 = r->succ[0].c;
	old2 = r->succ[1].c;
	ring_event(r, CON_JOIN_RECEIVED, n->id, 0, 0);
	out = ring_send(r, RING_ACT_TCP, n, WIRE_JOIN_ACCEPT);
	out->u.succs.s1 = old1;
	out->u.succs.s2 = old2;
	ring_set_succs(r, n, &old1, now);
	/* Our first predecessor must now take (us, joiner); if unknown, it is found by routing. */
	target = r->pred[0].known ? r->pred[0].c : old1;
	out = ring_send(r, RING_ACT_TCP, &target, WIRE_SUCC_CHANGE);
	out->u.change.s1 = r->cfg.self;
	out->u.change.s2 = *n;
	out->u.change.ttl = WIRE_TTL;
}

static void
ring_on_succ_change(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact	*p = &m->u.change.s1;
	struct wire_msg		*out;

	if (r->state != RING_UP || !r->succ[0].known)
		return;
	if (m->u.change.ttl == 0 || !ring_succs_valid(r, p, &m->u.change.s2) ||
	    m->u.change.s2.id == r->cfg.self.id) {
		ring_warn(r, "ignored a successor change to (%u, %u) from peer %u", p->id,
		    m->u.change.s2.id, m->from.id);
		return;
	}
	if (r->succ[0].c.id == p->id) {
		ring_event(r, CON_SUCC_CHANGE_RCVD, 0, 0, 0);
		ring_set_succs(r, p, &m->u.change.s2, now);
		return;
	}
	/* If p lies between us and our first successor, no peer further on has it first. */
	if (keys_in_open(r->cfg.self.id, p->id, r->succ[0].c.id)) {
		ring_warn(r, "dropped a successor change for peer %u: nobody has it as first "
		    "successor", p->id);
		return;
	}
	out = ring_send(r, RING_ACT_TCP, &r->succ[0].c, WIRE_SUCC_CHANGE);
	out->u.change = m->u.change;
	out->u.change.ttl = (uint8_t)(m->u.change.ttl - 1);
}

static void
ring_on_join_accept(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	if (r->state != RING_JOINING)
		return;
	if (!ring_succs_valid(r, &m->u.succs.s1, &m->u.succs.s2)) {
		ring_warn(r, "ignored a join acceptance naming successors (%u, %u)",
		    m->u.succs.s1.id, m->u.succs.s2.id);
		return;
	}
	r->state = RING_UP;
	ring_succ_set(&r->succ[0], &m->u.succs.s1);
	ring_succ_set(&r->succ[1], &m->u.succs.s2);
	ring_event(r, CON_JOIN_ACCEPTED, m->u.succs.s1.id, m->u.succs.s2.id, 0);
	r->next_round = now;
}

static void
ring_on_join_reject(struct ring *r, const struct wire_msg *m)
{
	if (r->state != RING_JOINING)
		return;
	if (m->u.reject.reason == WIRE_REJECT_ID_TAKEN)
		ring_exit(r, 1, "peer %u is already in the ring", r->cfg.self.id);
	else
		ring_exit(r, 1, "peer %u cannot take joins yet (its ring is not complete)",
		    m->from.id);
}

/* Set up a peer that is not yet started. */
void
ring_init(struct ring *r, const struct ring_cfg *cfg)
{
	memset(r, 0, sizeof *r);
	r->cfg = *cfg;
	r->state = RING_GONE;
	r->next_round = RING_NEVER;
}

/* Start as a member with these successors; the first ping round is due now. */
void
ring_start(struct ring *r, const struct contact *s1, const struct contact *s2, uint64_t now)
{
	r->state = RING_UP;
	ring_succ_set(&r->succ[0], s1);
	ring_succ_set(&r->succ[1], s2);
	r->next_round = now;
}

/* Start by asking `known` to let us in. */
void
ring_start_join(struct ring *r, const struct contact *known, uint64_t now)
{
	struct wire_msg *m;

	r->state = RING_JOINING;
	r->known = *known;
	r->join_deadline = now + RING_JOIN_WAIT_MS;
	m = ring_send(r, RING_ACT_TCP, known, WIRE_JOIN_REQ);
	m->u.join.joiner = r->cfg.self;
	m->u.join.ttl = WIRE_TTL;
}

/* A decoded ring message. */
void
ring_on_msg(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	switch (m->type) {
	case WIRE_PING_REQ:
		ring_on_ping_req(r, m, now);
		break;
	case WIRE_PING_RSP:
		ring_on_ping_rsp(r, m);
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		ring_on_route(r, m);
		break;
	case WIRE_DEPART:
		ring_on_depart(r, m, now);
		break;
	case WIRE_DEPART_ACK:
		ring_departure_noted(r, m->from.id);
		break;
	case WIRE_SUCC_QUERY:
		ring_on_query(r, m);
		break;
	case WIRE_SUCC_REPLY:
		ring_on_reply(r, m, now);
		break;
	case WIRE_JOIN_REQ:
		ring_on_join_req(r, m, now);
		break;
	case WIRE_JOIN_ACCEPT:
		ring_on_join_accept(r, m, now);
		break;
	case WIRE_JOIN_REJECT:
		ring_on_join_reject(r, m);
		break;
	case WIRE_SUCC_CHANGE:
		ring_on_succ_change(r, m, now);
		break;
	default:
		ring_warn(r, "ignored %s from peer %u", wire_type_name(m->type), m->from.id);
		break;
	}
}

/* A one-shot TCP send of a message of this type to `to` failed. */
void
ring_on_send_failed(struct ring *r, const struct contact *to, int type, uint64_t now)
{
	char	addr[CONTACT_TEXT_MAX];

	(void)now;
	switch (type) {
	case WIRE_JOIN_REQ:
		if (r->state == RING_JOINING) {
			ring_exit(r, 1, "cannot reach peer %u at %s to join", to->id,
			    ring_addr(to, addr, sizeof addr));
			break;
		}
		ring_warn(r, "could not pass a join request on to peer %u at %s", to->id,
		    ring_addr(to, addr, sizeof addr));
		break;
	case WIRE_DEPART:
		ring_departure_noted(r, to->id);
		break;
	case WIRE_SUCC_QUERY:
		break;		/* retried when query_at is due */
	default:
		ring_warn(r, "could not send %s to peer %u at %s", wire_type_name(type), to->id,
		    ring_addr(to, addr, sizeof addr));
		break;
	}
}

/* Typed `request F`. */
void
ring_request(struct ring *r, int file, uint32_t id, uint8_t mode, uint64_t now)
{
	(void)now;
	ring_originate(r, WIRE_FILE_REQ, file, id, mode);
}

/* Typed `store F`. */
void
ring_store(struct ring *r, int file, uint32_t id, uint64_t now)
{
	(void)now;
	ring_originate(r, WIRE_STORE_REQ, file, id, WIRE_MODE_TCP);
}

/* Typed `quit`: tell both predecessors our successors, exit once they acknowledge. */
void
ring_quit(struct ring *r, uint64_t now)
{
	int	i;

	if (r->state != RING_UP || !r->succ[0].known) {
		ring_exit(r, 0, "left");
		return;
	}
	r->state = RING_LEAVING;
	r->leave_deadline = now + RING_LEAVE_WAIT_MS;
	for (i = 0; i < 2; i++) {
		struct wire_msg *m;

		r->ack_wait[i] = false;
		if (!r->pred[i].known || (i == 1 && r->ack_wait[0] &&
		    r->ack_id[0] == r->pred[1].c.id))
			continue;
		r->ack_wait[i] = true;
		r->ack_id[i] = r->pred[i].c.id;
		m = ring_send(r, RING_ACT_TCP, &r->pred[i].c, WIRE_DEPART);
		m->u.succs.s1 = r->succ[0].c;
		/* Mid-repair our second successor is unknown: the first is the best we can say. */
		m->u.succs.s2 = r->succ[1].known ? r->succ[1].c : r->succ[0].c;
	}
	if (!r->ack_wait[0] && !r->ack_wait[1])
		ring_exit(r, 0, "left the ring");
}

/* Time passed: misses, rounds, predecessor expiry, retries, give-ups. */
void
ring_tick(struct ring *r, uint64_t now)
{
	uint64_t	budget;
	int		i;

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
	for (i = 0; i < 2; i++) {
		struct ring_succ *s = &r->succ[i];

		if (!s->known || !s->awaiting || now < s->deadline)
			continue;
		if (++s->misses >= r->cfg.loss_threshold) {
			ring_declare_dead(r, i, now);
			i = -1;		/* slots moved: look at both again */
		} else
			ring_ping(r, i, now);	/* probe again at once, not next round */
	}
	if (now >= r->next_round)
		ring_round(r, now);
	budget = r->cfg.ping_interval_ms +
	    (uint64_t)r->cfg.loss_threshold * r->cfg.ping_timeout_ms;
	for (i = 0; i < 2; i++)
		if (r->pred[i].known && now - r->pred[i].last_seen > budget)
			r->pred[i].known = false;
	if (r->repairing && now >= r->query_at && r->succ[0].known)
		ring_query(r, now);
}

/* The earliest time ring_tick has something to do. */
uint64_t
ring_next_deadline(const struct ring *r)
{
	uint64_t	t = RING_NEVER, budget;
	int		i;

#define RING_EARLIER(x) do { if ((x) < t) t = (x); } while (0)
	switch (r->state) {
	case RING_JOINING:
		return r->join_deadline;
	case RING_LEAVING:
		return r->leave_deadline;
	case RING_GONE:
		return RING_NEVER;
	case RING_UP:
		break;
	}
	RING_EARLIER(r->next_round);
	for (i = 0; i < 2; i++)
		if (r->succ[i].known && r->succ[i].awaiting)
			RING_EARLIER(r->succ[i].deadline);
	budget = r->cfg.ping_interval_ms +
	    (uint64_t)r->cfg.loss_threshold * r->cfg.ping_timeout_ms;
	for (i = 0; i < 2; i++)
		if (r->pred[i].known)
			RING_EARLIER(r->pred[i].last_seen + budget + 1);
	if (r->repairing)
		RING_EARLIER(r->query_at);
#undef RING_EARLIER
	return t;
}

/* Do we own key, as far as we can tell (needs a known first predecessor)? */
bool
ring_owns(const struct ring *r, int key)
{
	if (key == r->cfg.self.id)
		return true;
	return r->pred[0].known && keys_in_half_open(r->pred[0].c.id, key, r->cfg.self.id);
}

/* Empty the outbox once the caller has carried it out. */
void
ring_clear_actions(struct ring *r)
{
	r->nout = 0;
}
