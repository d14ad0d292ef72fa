/* Routing, departures and joins (SPEC §5): part of the pure ring module (ring_int.h). */
#include <string.h>

#include "cdht/keys.h"
#include "cdht/ring.h"
#include "ring_int.h"

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
	r->recent[r->nrecent % RING_RECENT_MAX] = (struct ring_recent){
		.type = (uint8_t)type, .to = r->succ[0].c.id, .file = rt->file };
	r->nrecent++;
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

/* A FILE_REQ or STORE_REQ: serve or take it here, or pass it on. */
void
ring_on_route(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct wire_route	*rt = &m->u.route;
	bool			 req = m->type == WIRE_FILE_REQ;

	(void)now;
	if ((r->state != RING_UP && r->state != RING_LEAVING) || !r->succ[0].known) {
		ring_warn(r, "dropped the %s for %04u from peer %u: not in a ring yet",
		    req ? "request" : "store", rt->file, m->from.id);
		return;
	}
	if (rt->ttl == 0) {
		ring_warn(r, "dropped the %s for %04u: too many hops", req ? "request" : "store",
		    rt->file);
		return;
	}
	if (ring_route_ends_here(r, rt)) {
		ring_own_route(r, m->type, rt);
		return;
	}
	if (rt->origin.id == r->cfg.self.id) {
		ring_warn(r, "dropped the %s for %04u: it went round the ring without finding "
		    "the owner", req ? "request" : "store", rt->file);
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

/*
 * Take (s1, s2) after the departure of peer dead. A peer leaving mid-repair names its first
 * successor twice: hold that one silently and find the real second before any line is
 * printed (the repair's answer prints both).
 */
static void
ring_depart_take(struct ring *r, const struct contact *s1, const struct contact *s2,
    uint8_t dead, uint64_t now)
{
	struct contact	c1 = *s1;	/* s1 may point into r->succ */

	if (c1.id != s2->id) {
		ring_set_succs(r, &c1, s2, now);
		return;
	}
	ring_succ_set(r, &r->succ[0], &c1);
	ring_succ_clear(&r->succ[1]);
	r->third_known = false;
	r->claim_known = false;
	ring_start_repair(r, dead, now);
}

/* A successor departs (quit) and tells us its successors. */
void
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
		ring_depart_take(r, &m->u.succs.s1, &m->u.succs.s2, d->id, now);
	} else if (r->state == RING_UP && r->succ[1].known && r->succ[1].c.id == d->id) {
		ring_event(r, CON_DEPART, d->id, 0, 0);
		ring_depart_take(r, &r->succ[0].c, &m->u.succs.s1, d->id, now);
	} else
		ring_warn(r, "peer %u departs, but it is not one of my successors", d->id);
	for (i = 0; i < 2; i++)
		if (r->pred[i].known && r->pred[i].c.id == d->id)
			ring_pred_forget(&r->pred[i]);
	ring_send(r, RING_ACT_TCP, d, WIRE_DEPART_ACK);
}

/* A departure acknowledgement (or a failed departure notice) from peer id. */
void
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

/* A departure acknowledgement from its sender. */
void
ring_on_depart_ack(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	(void)now;
	ring_departure_noted(r, m->from.id);
}

/*
 * Our first successor, at the very contact we hold, asks to join: it died and came back
 * (a probe took it back before its request came round). Let it in where it already is:
 * its successors are our second and the third (us if unknown; itself in a ring of two).
 */
static void
ring_rejoin(struct ring *r, const struct contact *n)
{
	struct wire_msg	*out;

	ring_event(r, CON_JOIN_RECEIVED, n->id, 0, 0);
	out = ring_send(r, RING_ACT_TCP, n, WIRE_JOIN_ACCEPT);
	out->u.succs.s1 = r->succ[1].c;
	if (r->succ[1].c.id == r->cfg.self.id)
		out->u.succs.s2 = *n;		/* a ring of two */
	else if (r->third_known && r->third.id != n->id && r->third.id != r->succ[1].c.id)
		out->u.succs.s2 = r->third;
	else
		out->u.succs.s2 = r->cfg.self;
}

/* A join request: forward it, refuse it, or take the joiner as first successor. */
void
ring_on_join_req(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact	*n = &m->u.join.joiner;
	struct contact		 old1, old2, target;
	struct wire_msg		*out;

	if (contact_equal(n, &r->cfg.self)) {
		r->stats.forged++;
		ring_warn(r, "ignored a join request from peer %u naming this very peer as the "
		    "joiner", m->from.id);
		return;
	}
	if (r->state != RING_UP || !r->succ[0].known || !r->succ[1].known) {
		out = ring_send(r, RING_ACT_TCP, n, WIRE_JOIN_REJECT);
		out->u.reject.reason = WIRE_REJECT_NOT_READY;
		return;
	}
	if (m->u.join.ttl == 0) {
		ring_warn(r, "dropped the join request of peer %u: too many hops", n->id);
		return;
	}
	if (contact_equal(n, &r->succ[0].c)) {
		ring_rejoin(r, n);
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
	ring_lost_remove(r, n->id);
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

/* A successor change after a join: take it if its first is our first, else pass it on. */
void
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
		/* Stabilize may have taken s2 already: the contract still wants the lines. */
		if (r->succ[1].known && r->succ[1].c.id == m->u.change.s2.id)
			ring_event(r, CON_SUCCESSORS, p->id, m->u.change.s2.id, 0);
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

/* We are in: the successors the ring gave us. */
void
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
	ring_succ_set(r, &r->succ[0], &m->u.succs.s1);
	ring_succ_set(r, &r->succ[1], &m->u.succs.s2);
	/* The peer that accepted us is our first predecessor: we know our keys at once. */
	r->pred[0].c = m->from;
	r->pred[0].known = true;
	r->pred[0].last_seen = now;
	r->pred[0].expire_at = now + ring_detect_budget(r) + 1;
	ring_event(r, CON_JOIN_ACCEPTED, m->u.succs.s1.id, m->u.succs.s2.id, 0);
	r->next_round = now;
}

/* We are refused: exit 1 with the reason. */
void
ring_on_join_reject(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	(void)now;
	if (r->state != RING_JOINING)
		return;
	if (m->u.reject.reason == WIRE_REJECT_ID_TAKEN)
		ring_exit(r, 1, "peer %u is already in the ring", r->cfg.self.id);
	else
		ring_exit(r, 1, "peer %u cannot take joins yet (its ring is not complete)",
		    m->from.id);
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

/* The file of the latest route of this type sent to peer id, or -1. */
static int
ring_recent_file(const struct ring *r, int type, uint8_t id)
{
	unsigned	k;

	for (k = 0; k < RING_RECENT_MAX && k < r->nrecent; k++) {
		const struct ring_recent *rc = &r->recent[(r->nrecent - 1 - k) % RING_RECENT_MAX];

		if (rc->type == type && rc->to == id)
			return rc->file;
	}
	return -1;
}

/* Say in the user's words that a message to `to` could not be sent. */
void
ring_warn_unsent(struct ring *r, const struct contact *to, int type)
{
	/* "could not <verb> peer N at ADDR<rest>", by message type */
	static const struct {
		const char	*verb, *rest;
	} says[WIRE_TYPE_END] = {
		[WIRE_SUCC_CHANGE] = { "tell", " about its new successors" },
		[WIRE_JOIN_ACCEPT] = { "tell", " that it may join" },
		[WIRE_JOIN_REJECT] = { "tell", " that its join was refused" },
		[WIRE_DEPART_ACK] = { "acknowledge the departure of", "" },
		[WIRE_SUCC_REPLY] = { "tell", " who my successors are" },
	};
	char		 addr[CONTACT_TEXT_MAX];
	const char	*what = type == WIRE_FILE_REQ ? "request" : "store";
	int		 file = ring_recent_file(r, type, to->id);

	ring_addr(to, addr, sizeof addr);
	if (type == WIRE_FILE_REQ || type == WIRE_STORE_REQ) {
		if (file >= 0)
			ring_warn(r, "could not pass the %s for %04d on to peer %u at %s", what,
			    file, to->id, addr);
		else
			ring_warn(r, "could not pass a %s on to peer %u at %s", what, to->id, addr);
	} else if (type > 0 && type < WIRE_TYPE_END && says[type].verb != NULL)
		ring_warn(r, "could not %s peer %u at %s%s", says[type].verb, to->id, addr,
		    says[type].rest);
	else
		ring_warn(r, "could not send a %s message to peer %u at %s",
		    wire_type_name(type), to->id, addr);
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

/* Do we own key, as far as we can tell (needs a known first predecessor, or to be alone)? */
bool
ring_owns(const struct ring *r, int key)
{
	if (key == r->cfg.self.id)
		return true;
	/* Alone (our own first successor), we own every key. */
	if (r->succ[0].known && r->succ[0].c.id == r->cfg.self.id)
		return true;
	return r->pred[0].known && keys_in_half_open(r->pred[0].c.id, key, r->cfg.self.id);
}
