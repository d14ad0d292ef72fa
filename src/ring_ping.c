/*
 * Pinging successors and deciding deaths (SPEC §5): rounds, misses, the TCP confirmation, the
 * repair question after a death, and the pings and questions other peers send us. Part of the
 * pure ring module (ring_int.h).
 */
#include <string.h>

#include "cdht/ring.h"
#include "ring_int.h"

#define RING_QUERY_MIN_MS	200	/* ms, first successor-query retry */

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
	m->u.ping_req.to = s->c.id;
	if (r->pred[0].known)
		m->u.ping_req.pred = r->pred[0].c;
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
void
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
void
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
void
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
	}
	/*
	 * A dead second successor's first successor (our third) stays too: if the first dies
	 * before it answers our repair question, the third is the next live peer we know of (two
	 * adjacent peers dying seconds apart cut a peer off for good when it was forgotten here).
	 */
	ring_succ_clear(&r->succ[1]);
	if (r->succ[0].c.id == r->cfg.self.id) {
		ring_repair_stop(r);
		ring_warn(r, "no other peer is left in the ring");
		return;
	}
	ring_start_repair(r, dead, now);
}

/* Detection bound (SPEC §5): a round, loss_threshold probes, one TCP confirmation. */
uint64_t
ring_detect_budget(const struct ring *r)
{
	return r->cfg.ping_interval_ms +
	    (uint64_t)(r->cfg.loss_threshold + 1) * r->cfg.ping_timeout_ms;
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

/* A ping from our second predecessor names its first: our third (kept, never pinged). */
static void
ring_learn_pred3(struct ring *r, const struct wire_msg *m)
{
	const struct contact *c = &m->u.ping_req.pred;

	if (m->u.ping_req.role != 2 || !r->pred[1].known || r->pred[1].c.id != m->from.id)
		return;
	r->pred3_known = !wire_contact_none(c) && c->id != r->cfg.self.id &&
	    c->id != m->from.id && !(r->pred[0].known && r->pred[0].c.id == c->id);
	if (r->pred3_known) {
		r->pred3 = *c;
		r->pred3_via = m->from.id;
	}
}

/*
 * A ping for another id reached our port (a peer of another ring still probing a dead peer
 * whose port we now hold): drop it unanswered, warning at most once per RING_WARN_EVERY_MS.
 */
static void
ring_drop_foreign_ping(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	char	addr[CONTACT_TEXT_MAX];

	r->stats.foreign++;
	if (now < r->foreign_warn_at)
		return;
	r->foreign_warn_at = now + RING_WARN_EVERY_MS;
	ring_warn(r, "ignored a ping for peer %u from peer %u (%s): this is peer %u",
	    m->u.ping_req.to, m->from.id, ring_addr(&m->from, addr, sizeof addr),
	    r->cfg.self.id);
}

/* A ping: answer it and learn a predecessor from it, if it is meant for us and we are in. */
void
ring_on_ping_req(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	struct wire_msg *rsp;

	/* A joiner is nobody's successor yet: an answer would make a prober take it back. */
	if (r->state != RING_UP && r->state != RING_LEAVING)
		return;
	if (m->u.ping_req.to != r->cfg.self.id) {
		ring_drop_foreign_ping(r, m, now);
		return;
	}
	rsp = ring_send(r, RING_ACT_UDP, &m->from, WIRE_PING_RSP);
	rsp->u.ping_rsp.seq = m->u.ping_req.seq;
	if (r->succ[0].known)
		rsp->u.ping_rsp.succ = r->succ[0].c;
	ring_event(r, CON_PING_REQ_RCVD, m->from.id, 0, 0);
	ring_learn_pred(r, &m->from, m->u.ping_req.role, now);
	ring_learn_pred3(r, m);
}

/* An answer to a ping: the successor is alive, and the successor it names is checked. */
void
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

/* Who are our successors? Answered only while we are in the ring. */
void
ring_on_query(struct ring *r, const struct wire_msg *m, uint64_t now)
{
	struct wire_msg *rep;

	(void)now;
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

/* Our successors' successors: the answer to a confirmation, or to the repair question. */
void
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

/* A TCP question to a suspect successor failed: a refused connection is a death. */
bool
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

/* Successor deadlines: a miss means probe again, or ask over TCP; silence then, dead. */
void
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
