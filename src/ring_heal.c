/* Ring healing (issue 11): probing peers declared dead, stabilize, third successor, checks. */
#include <string.h>

#include "cdht/keys.h"
#include "cdht/ring.h"
#include "ring_int.h"

/* The lost-list slot holding peer id, or NULL. */
struct ring_lost *
ring_lost_find(struct ring *r, uint8_t id)
{
	int	i;

	for (i = 0; i < RING_LOST_MAX; i++)
		if (r->lost[i].used && r->lost[i].c.id == id)
			return &r->lost[i];
	return NULL;
}

/* Set probe_at from the lost list: the next probe round, or never if nobody is lost. */
void
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
void
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
void
ring_lost_remove(struct ring *r, uint8_t id)
{
	struct ring_lost *l = ring_lost_find(r, id);

	if (l != NULL)
		memset(l, 0, sizeof *l);
}

/*
 * May c take predecessor slot i? Only if it fits between the present one and us (Chord's
 * notify), or the present one has gone quiet for more than a round and a timeout (a live
 * one pings every round). The true predecessor always fits, so a wrong one never stays.
 */
bool
ring_pred_fits(const struct ring *r, int i, const struct contact *c, uint64_t now)
{
	const struct ring_pred *p = &r->pred[i];

	if (!p->known || p->c.id == c->id)
		return true;
	if (now - p->last_seen > (uint64_t)r->cfg.ping_interval_ms + r->cfg.ping_timeout_ms)
		return true;
	return keys_in_open(p->c.id, c->id, r->cfg.self.id);
}

/*
 * Our first successor names s as its first successor (Chord's stabilize). Mid-repair that
 * is our second at once. Otherwise, if it is not our second, and it says so for a whole
 * detection budget (so a death that we are about to detect ourselves is reported our own
 * way), take s as second. Never a peer we declared
 * dead and have not heard from since, never ourselves, never the first successor again.
 */
void
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
void
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
bool
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

/* Probe every peer we declared dead (silently): one that answers and fits is taken back. */
void
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
		m->u.ping_req.to = l->c.id;
		/* Tell it what we would be to it: its first predecessor if it fits first. */
		m->u.ping_req.role = (uint8_t)(r->succ[0].known &&
		    !keys_in_open(r->cfg.self.id, l->c.id, r->succ[0].c.id) ? 2 : 1);
	}
	ring_probe_schedule(r, now);
}

/*
 * Does m claim to come from ourselves? Only a joiner that picked our id (at another
 * address), or the peer refusing it for that, may carry it; anything else naming us as
 * sender is forged or looped back.
 */
bool
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
