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
	s->deadline = RING_NEVER;
}

/* Forget a predecessor slot. */
static void
ring_pred_forget(struct ring_pred *p)
{
	p->known = false;
	p->expire_at = RING_NEVER;
}

/* Stop repairing: no question is due. */
static void
ring_repair_stop(struct ring *r)
{
	r->repairing = false;
	r->query_at = RING_NEVER;
}

/* The lost-list slot holding peer id, or NULL. */
static struct ring_lost *
ring_lost_find(struct ring *r, uint8_t id)
{
	int	i;

	for (i = 0; i < RING_LOST_MAX; i++)
		if (r->lost[i].used && r->lost[i].c.id == id)
			return &r->lost[i];
	return NULL;
}

/* Set probe_at from the lost list: the next probe round, or never if nobody is lost. */
static void
ring_probe_schedule(struct ring *r, uint64_t now)
{
	int	i;

	for (i = 0; i < RING_LOST_MAX; i++)
		if (r->lost[i].used) {
			r->probe_at = now + (uint64_t)RING_PROBE_ROUNDS * r->cfg.ping_interval_ms;
			return;
		}
	r->probe_at = RING_NEVER;
}

/* Remember a peer we declared dead, to probe it now and then (the oldest makes room). */
static void
ring_lost_add(struct ring *r, const struct contact *c, uint64_t now)
{
	struct ring_lost	*l = ring_lost_find(r, c->id);
	int			 i;

	for (i = 0; l == NULL && i < RING_LOST_MAX; i++)
		if (!r->lost[i].used)
			l = &r->lost[i];
	if (l == NULL) {
		l = &r->lost[r->lost_next];
		r->lost_next = (r->lost_next + 1) % RING_LOST_MAX;
	}
	memset(l, 0, sizeof *l);
	l->c = *c;
	l->used = true;
	if (r->probe_at == RING_NEVER)
		ring_probe_schedule(r, now);
}

/* A peer is back (a successor again, or it answered): stop probing it. */
static void
ring_lost_remove(struct ring *r, uint8_t id)
{
	struct ring_lost *l = ring_lost_find(r, id);

	if (l != NULL)
		memset(l, 0, sizeof *l);
}

/* Put a contact in a successor slot, keeping the ping state if it is the same peer. */
static bool
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
	r->stats.pings_sent++;
}

/*
 * Successor slot i missed loss_threshold pings in a row. Datagram loss can fake that, not a
 * TCP failure: ask it over TCP, and call it dead only if that fails or stays unanswered
 * for one ping timeout (a stopped process's kernel still accepts the connection).
 */
static void
ring_confirm(struct ring *r, int i, uint64_t now)
{
	struct ring_succ	*s = &r->succ[i];
	struct wire_msg		*m;

	s->confirming = true;
	s->confirm_qid = ++r->next_qid;
	s->deadline = now + r->cfg.ping_timeout_ms;
	r->stats.confirms++;
	m = ring_send(r, RING_ACT_TCP, &s->c, WIRE_SUCC_QUERY);
	m->u.query.qid = s->confirm_qid;
}

/* Successor slot i proved alive (an answer in its window, or to the TCP question). */
static void
ring_succ_alive(struct ring_succ *s)
{
	s->awaiting = false;
	s->confirming = false;
	s->misses = 0;
	s->deadline = RING_NEVER;
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
	r->query_id = ++r->next_qid;
	m->u.query.qid = r->query_id;
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

/* Can the third successor stand in for both dead successors? */
static bool
ring_third_usable(const struct ring *r, uint8_t dead)
{
	return r->third_known && r->third.id != r->cfg.self.id && r->third.id != dead &&
	    contact_is_valid(&r->third);
}

/* Both successors are gone: go on through the third, or say that nothing is left. */
static void
ring_lose_both(struct ring *r, uint8_t dead, uint64_t now)
{
	struct contact	third = r->third;

	ring_succ_clear(&r->succ[0]);
	ring_succ_clear(&r->succ[1]);
	ring_repair_stop(r);
	if (!ring_third_usable(r, dead)) {
		ring_warn(r, "both successors are gone (peer %u was the last), and no third "
		    "successor is known: this peer is cut off from the ring", dead);
		return;
	}
	r->third_known = false;
	r->stats.third_used++;
	ring_succ_set(r, &r->succ[0], &third);
	ring_start_repair(r, dead, now);
	r->next_round = now;
}

/* Successor slot i is dead (confirmed): say so, keep probing it, start the repair. */
static void
ring_declare_dead(struct ring *r, int i, uint64_t now)
{
	uint8_t	dead = r->succ[i].c.id;

	ring_event(r, CON_DEAD, dead, 0, 0);
	r->stats.deaths++;
	ring_lost_add(r, &r->succ[i].c, now);
	r->claim_known = false;
	if (i == 0) {
		if (!r->succ[1].known) {
			ring_lose_both(r, dead, now);
			return;
		}
		r->succ[0] = r->succ[1];	/* the third stays: it follows the new first */
	} else
		r->third_known = false;
	ring_succ_clear(&r->succ[1]);
	if (r->succ[0].c.id == r->cfg.self.id) {
		ring_repair_stop(r);
		ring_warn(r, "no other peer is left in the ring");
		return;
	}
	ring_start_repair(r, dead, now);
}

/* Detection bound (SPEC §5): a round, loss_threshold probes, one TCP confirmation. */
static uint64_t
ring_detect_budget(const struct ring *r)
{
	return r->cfg.ping_interval_ms +
	    (uint64_t)(r->cfg.loss_threshold + 1) * r->cfg.ping_timeout_ms;
}

/*
 * May c take predecessor slot i? Only if it fits between the present one and us (Chord's
 * notify), or the present one has gone quiet for more than a round and a timeout (a live
 * one pings every round). The true predecessor always fits, so a wrong one never stays.
 */
static bool
ring_pred_fits(const struct ring *r, int i, const struct contact *c, uint64_t now)
{
	const struct ring_pred *p = &r->pred[i];

	if (!p->known || p->c.id == c->id)
		return true;
	if (now - p->last_seen > (uint64_t)r->cfg.ping_interval_ms + r->cfg.ping_timeout_ms)
		return true;
	return keys_in_open(p->c.id, c->id, r->cfg.self.id);
}

/* Remember who pings us as which predecessor, if it fits there. */
static void
ring_learn_pred(struct ring *r, const struct contact *c, int role, uint64_t now)
{
	int		i = role - 1, other = 1 - i;
	uint64_t	budget = r->cfg.ping_interval_ms +
	    (uint64_t)r->cfg.loss_threshold * r->cfg.ping_timeout_ms;

	if (!ring_pred_fits(r, i, c, now))
		return;
	if (r->pred[other].known && r->pred[other].c.id == c->id)
		ring_pred_forget(&r->pred[other]);
	r->pred[i].c = *c;
	r->pred[i].known = true;
	r->pred[i].last_seen = now;
	/* Kept through interval + threshold x timeout of silence (SPEC §5), gone just after. */
	r->pred[i].expire_at = now + budget + 1;
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

/*
 * Our first successor names s as its first successor (Chord's stabilize). Mid-repair that
 * is our second at once. Otherwise, if it is not our second, and it says so for a whole
 * detection budget (so a death that we are about
 * to detect ourselves is reported our own way), take s as second. Never a peer we declared
 * dead and have not heard from since, never ourselves, never the first successor again.
 */
static void
ring_stabilize(struct ring *r, const struct contact *s, uint64_t now)
{
	if (!contact_is_valid(s) || s->id == r->cfg.self.id || s->id == r->succ[0].c.id ||
	    (r->succ[1].known && s->id == r->succ[1].c.id) ||
	    ring_lost_find(r, s->id) != NULL || (r->repairing && s->id == r->dead_id)) {
		r->claim_known = false;
		return;
	}
	/* Mid-repair the answer does what the TCP question would, without its backoff. */
	if (r->repairing && !r->succ[1].known) {
		ring_repair_stop(r);
		ring_set_succs(r, &r->succ[0].c, s, now);
		return;
	}
	if (!r->succ[1].known)
		return;
	if (!r->claim_known || !contact_equal(&r->claim, s)) {
		r->claim = *s;
		r->claim_known = true;
		r->claim_since = now;
		return;
	}
	if (now - r->claim_since < ring_detect_budget(r))
		return;
	r->stats.stabilized++;
	ring_set_succs(r, &r->succ[0].c, s, now);
}

/* Our second successor names s as its first: that is our third (kept, never pinged). */
static void
ring_learn_third(struct ring *r, const struct contact *s)
{
	if (!contact_is_valid(s) || s->id == r->cfg.self.id || s->id == r->succ[0].c.id ||
	    s->id == r->succ[1].c.id)
		return;
	r->third = *s;
	r->third_known = true;
}

/* A peer we declared dead answered a probe: take it back if it fits before our successors. */
static void
ring_readopt(struct ring *r, const struct contact *c, uint64_t now)
{
	struct contact	s0 = r->succ[0].c;

	ring_lost_remove(r, c->id);
	if (!r->succ[0].known) {
		ring_succ_set(r, &r->succ[0], c);
		ring_start_repair(r, r->dead_id, now);
		r->next_round = now;
	} else if (keys_in_open(r->cfg.self.id, c->id, s0.id))
		ring_set_succs(r, c, &s0, now);
	else if (r->succ[1].known ? keys_in_open(s0.id, c->id, r->succ[1].c.id) :
	    keys_in_open(s0.id, c->id, r->cfg.self.id))
		ring_set_succs(r, &s0, c, now);
	else
		return;
	r->stats.readopted++;
}

/* An answer to a probe of a peer we declared dead? */
static bool
ring_on_probe_rsp(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	struct ring_lost	*l = ring_lost_find(r, m->from.id);
	struct contact		 c;

	if (l == NULL || l->seq == 0 || m->u.ping_rsp.seq != l->seq ||
	    !contact_equal(&l->c, &m->from))
		return false;
	c = l->c;
	ring_readopt(r, &c, now);
	return true;
}

static void
ring_on_ping_rsp(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	uint32_t	seq = m->u.ping_rsp.seq;
	int		i;

	if (ring_on_probe_rsp(r, m, now))
		return;
	for (i = 0; i < 2; i++) {
		struct ring_succ *s = &r->succ[i];

		if (!s->known || s->c.id != m->from.id)
			continue;
		/* Any unanswered ping of the current window proves the peer alive. */
		if (!s->awaiting || seq - s->seq_lo > s->seq_hi - s->seq_lo)
			continue;
		ring_succ_alive(s);
		r->stats.pings_answered++;
		ring_event(r, CON_PING_RSP_RCVD, m->from.id, 0, 0);
		if (i == 0)
			ring_stabilize(r, &m->u.ping_rsp.succ, now);
		else
			ring_learn_third(r, &m->u.ping_rsp.succ);
		return;		/* one slot per answer: stabilize may have moved them */
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

static void
ring_on_route(struct ring *r, const struct wire_msg *m)
{
	const struct wire_route	*rt = &m->u.route;
	bool			 req = m->type == WIRE_FILE_REQ;

	if (r->state == RING_JOINING || r->state == RING_GONE || !r->succ[0].known) {
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
			ring_pred_forget(&r->pred[i]);
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

/* An answer to the "are you there?" question of a suspect successor: it is alive. */
static bool
ring_on_confirm_reply(struct ring *r, const struct wire_msg *m)
{
	int	i;

	for (i = 0; i < 2; i++) {
		struct ring_succ *s = &r->succ[i];

		if (s->known && s->confirming && s->c.id == m->from.id &&
		    m->u.reply.qid == s->confirm_qid) {
			ring_succ_alive(s);
			r->stats.confirmed_alive++;
			return true;
		}
	}
	return false;
}

static void
ring_on_reply(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	const struct contact *cand = &m->u.reply.s1;

	if (ring_on_confirm_reply(r, m))
		return;
	if (!r->repairing || m->u.reply.qid != r->query_id || !r->succ[0].known ||
	    m->from.id != r->succ[0].c.id)
		return;
	/* SPEC §5: if the asked peer still names the dead peer, take its second successor. */
	if (wire_contact_none(cand) || cand->id == r->dead_id)
		cand = &m->u.reply.s2;
	if (wire_contact_none(cand) || cand->id == r->dead_id || cand->id == m->from.id)
		return;		/* it is repairing too: ask again when the retry is due */
	ring_repair_stop(r);
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
	if (contact_equal(n, &r->cfg.self)) {
		ring_warn(r, "ignored a join request from peer %u naming this very peer as the "
		    "joiner", m->from.id);
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
	ring_succ_set(r, &r->succ[0], &m->u.succs.s1);
	ring_succ_set(r, &r->succ[1], &m->u.succs.s2);
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

/*
 * Does m claim to come from ourselves? Only a joiner that picked our id (at another
 * address), or the peer refusing it for that, may carry it; anything else naming us as
 * sender is forged or looped back.
 */
static bool
ring_forged(struct ring *r, const struct wire_msg *m)
{
	char	addr[CONTACT_TEXT_MAX];

	if (!contact_equal(&m->from, &r->cfg.self) && (m->from.id != r->cfg.self.id ||
	    m->type == WIRE_JOIN_REQ || m->type == WIRE_JOIN_REJECT))
		return false;
	r->stats.forged++;
	ring_warn(r, "ignored a message that claims to come from this peer (%u, sent as %s)",
	    m->from.id, contact_text(&m->from, addr, sizeof addr));
	return true;
}

/* A decoded ring message. */
void
ring_on_msg(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	if (ring_forged(r, m))
		return;
	switch (m->type) {
	case WIRE_PING_REQ:
		ring_on_ping_req(r, m, now);
		break;
	case WIRE_PING_RSP:
		ring_on_ping_rsp(r, m, now);
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
		ring_warn(r, "ignored a file-transfer message (%s) from peer %u outside any "
		    "transfer", wire_type_name(m->type), m->from.id);
		break;
	}
}

/* A TCP question to a suspect successor failed: a refused connection is a death. */
static bool
ring_confirm_failed(struct ring *r, const struct contact *to, uint64_t now)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (r->succ[i].known && r->succ[i].confirming &&
		    contact_equal(&r->succ[i].c, to)) {
			ring_declare_dead(r, i, now);
			return true;
		}
	return false;
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
static void
ring_warn_unsent(struct ring *r, const struct contact *to, int type)
{
	char	addr[CONTACT_TEXT_MAX];
	int	file = ring_recent_file(r, type, to->id);

	ring_addr(to, addr, sizeof addr);
	switch (type) {
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		if (file >= 0)
			ring_warn(r, "could not pass the %s for %04d on to peer %u at %s",
			    type == WIRE_FILE_REQ ? "request" : "store", file, to->id, addr);
		else
			ring_warn(r, "could not pass a %s on to peer %u at %s",
			    type == WIRE_FILE_REQ ? "request" : "store", to->id, addr);
		break;
	case WIRE_SUCC_CHANGE:
		ring_warn(r, "could not tell peer %u at %s about its new successors", to->id,
		    addr);
		break;
	case WIRE_JOIN_ACCEPT:
		ring_warn(r, "could not tell peer %u at %s that it may join", to->id, addr);
		break;
	case WIRE_JOIN_REJECT:
		ring_warn(r, "could not tell peer %u at %s that its join was refused", to->id,
		    addr);
		break;
	case WIRE_DEPART_ACK:
		ring_warn(r, "could not acknowledge the departure of peer %u at %s", to->id,
		    addr);
		break;
	case WIRE_SUCC_REPLY:
		ring_warn(r, "could not tell peer %u at %s who my successors are", to->id, addr);
		break;
	default:
		ring_warn(r, "could not send a %s message to peer %u at %s",
		    wire_type_name(type), to->id, addr);
		break;
	}
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

/* Successor deadlines: a miss means probe again, or ask over TCP; silence then, dead. */
static void
ring_tick_succs(struct ring *r, uint64_t now)
{
	int	i;

	for (i = 0; i < 2; i++) {
		struct ring_succ *s = &r->succ[i];

		if (now < s->deadline)
			continue;
		if (!s->known || (!s->awaiting && !s->confirming)) {
			s->deadline = RING_NEVER;
			continue;
		}
		if (s->confirming) {
			ring_declare_dead(r, i, now);
			i = -1;		/* slots moved: look at both again */
			continue;
		}
		s->misses++;
		r->stats.misses++;
		if (s->misses >= r->cfg.loss_threshold)
			ring_confirm(r, i, now);
		else
			ring_ping(r, i, now);	/* probe again at once, not next round */
	}
}

/* Probe every peer we declared dead (silently): one that answers and fits is taken back. */
static void
ring_probe_lost(struct ring *r, uint64_t now)
{
	int	i;

	for (i = 0; i < RING_LOST_MAX; i++) {
		struct ring_lost	*l = &r->lost[i];
		struct wire_msg		*m;

		if (!l->used)
			continue;
		l->seq = ++r->next_seq;
		m = ring_send(r, RING_ACT_UDP, &l->c, WIRE_PING_REQ);
		m->u.ping_req.seq = l->seq;
		/* Tell it what we would be to it: its first predecessor if it fits first. */
		m->u.ping_req.role = (uint8_t)(r->succ[0].known &&
		    !keys_in_open(r->cfg.self.id, l->c.id, r->succ[0].c.id) ? 2 : 1);
	}
	ring_probe_schedule(r, now);
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
	case RING_GONE:
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
