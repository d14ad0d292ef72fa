/* Shared test fakes: the fake clock and the in-memory network of rings (see fakes.h). */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdht/console.h"
#include "cdht/keys.h"
#include "cdht/ring.h"
#include "cdht/wire.h"
#include "cdht/xfer.h"
#include "fakes.h"

struct net	net;

const int classic_ids[8] = { 1, 3, 4, 5, 8, 10, 12, 15 };
const int p2p_ids[7] = { 2, 4, 5, 8, 9, 14, 19 };

const char *const kind_names[CON_KIND_END] = {
	[CON_PING_SENT] = "PING_SENT", [CON_PING_REQ_RCVD] = "PING_REQ_RCVD",
	[CON_PING_RSP_RCVD] = "PING_RSP_RCVD", [CON_REQ_SENT] = "REQ_SENT",
	[CON_REQ_FORWARDED] = "REQ_FORWARDED", [CON_FILE_HERE] = "FILE_HERE",
	[CON_FILE_SENT] = "FILE_SENT", [CON_FILE_RSP_RCVD] = "FILE_RSP_RCVD",
	[CON_FILE_RECEIVED] = "FILE_RECEIVED", [CON_FILE_ABSENT] = "FILE_ABSENT",
	[CON_DEPART] = "DEPART", [CON_DEAD] = "DEAD", [CON_SUCCESSORS] = "SUCCESSORS",
	[CON_JOIN_FORWARDED] = "JOIN_FORWARDED", [CON_JOIN_RECEIVED] = "JOIN_RECEIVED",
	[CON_SUCC_CHANGE_RCVD] = "SUCC_CHANGE_RCVD", [CON_JOIN_ACCEPTED] = "JOIN_ACCEPTED",
	[CON_STORE_FORWARDED] = "STORE_FORWARDED", [CON_STORE_ACCEPTED] = "STORE_ACCEPTED",
};

/* ---- contacts and messages ---- */

/* Where peer id is reached. */
struct contact
contact_of(int id)
{
	struct contact	c;

	memset(&c, 0, sizeof c);
	c.id = (uint8_t)id;
	memcpy(c.addr, &(uint32_t){ ADDR }, 4);
	c.family = CONTACT_V4;
	c.port = (uint16_t)(BASE_PORT + id);
	return c;
}

/* An empty message of this type from peer id. */
struct wire_msg
msg_from(int type, int from)
{
	struct wire_msg	m;

	memset(&m, 0, sizeof m);
	m.type = (uint8_t)type;
	m.from = contact_of(from);
	return m;
}

/* A route (FILE_REQ or STORE_REQ) from peer `from`, started by origin. */
struct wire_msg
msg_route(int type, int from, int origin, int file, uint8_t ttl, uint8_t flags)
{
	struct wire_msg	m = msg_from(type, from);

	m.u.route.file = (uint16_t)file;
	m.u.route.id = 77;
	m.u.route.origin = contact_of(origin);
	m.u.route.ttl = ttl;
	m.u.route.flags = flags;
	m.u.route.mode = WIRE_MODE_TCP;
	return m;
}

/* A ping from peer `from` to peer `to`, sent as its role-th predecessor (1 or 2). */
struct wire_msg
msg_ping(int from, int to, int role, uint32_t seq)
{
	return (struct wire_msg){ .type = WIRE_PING_REQ, .from = contact_of(from),
	    .u.ping_req = { .seq = seq, .role = (uint8_t)role, .to = (uint8_t)to } };
}

/* A message naming two successors (DEPART, JOIN_ACCEPT) from peer `from`. */
struct wire_msg
msg_succs(int type, int from, int s1, int s2)
{
	return (struct wire_msg){ .type = (uint8_t)type, .from = contact_of(from),
	    .u.succs = { contact_of(s1), contact_of(s2) } };
}

/* A join request from peer `from` for joiner, with ttl hops left. */
struct wire_msg
msg_join(int from, int joiner, uint8_t ttl)
{
	return (struct wire_msg){ .type = WIRE_JOIN_REQ, .from = contact_of(from),
	    .u.join = { contact_of(joiner), ttl } };
}

/* A successor change from peer `from`: "if your first successor is s1, take (s1, s2)". */
struct wire_msg
msg_change(int from, int s1, int s2, uint8_t ttl)
{
	return (struct wire_msg){ .type = WIRE_SUCC_CHANGE, .from = contact_of(from),
	    .u.change = { contact_of(s1), contact_of(s2), ttl } };
}

/* The settings every test ring runs with (the network's interval, timeout, threshold). */
struct ring_cfg
cfg_of(const struct contact *self)
{
	struct ring_cfg	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.self = *self;
	cfg.ping_interval_ms = net.interval;
	cfg.ping_timeout_ms = net.timeout;
	cfg.loss_threshold = net.threshold;
	return cfg;
}

/* ---- the network ---- */

void
net_reset(void)
{
	memset(&net, 0, sizeof net);
	net.interval = INTERVAL;
	net.timeout = TIMEOUT;
	net.threshold = THRESHOLD;
}

/* The node listening on this port, or NULL. */
struct node *
node_at(uint16_t port)
{
	int	i;

	for (i = 0; i < NET_MAX; i++)
		if (net.node[i].used && net.node[i].c.port == port)
			return &net.node[i];
	return NULL;
}

/* The node of peer id (at its usual port); fails the test if there is none. */
struct node *
node_of(int id)
{
	struct node	*n = node_at((uint16_t)(BASE_PORT + id));

	ck_assert_msg(n != NULL, "no peer %d in the network", id);
	return n;
}

/* Peer id's ring. */
struct ring *
ring_of(int id)
{
	struct node	*n = node_of(id);

	ck_assert_msg(n->has_ring, "peer %d is a puppet", id);
	return &n->r;
}

/* A fresh node at contact c. */
struct node *
node_new(const struct contact *c, bool has_ring)
{
	int	i;

	ck_assert_msg(node_at(c->port) == NULL, "port %u taken twice", c->port);
	for (i = 0; i < NET_MAX; i++)
		if (!net.node[i].used) {
			struct node *n = &net.node[i];

			n->used = true;
			n->has_ring = has_ring;
			n->c = *c;
			return n;
		}
	ck_abort_msg("network full");
	return NULL;
}

/* A member ring with these successors, started now (its first round is due now). */
struct ring *
net_add_ring(int id, int s1, int s2)
{
	struct contact	 self = contact_of(id), c1 = contact_of(s1), c2 = contact_of(s2);
	struct node	*n = node_new(&self, true);
	struct ring_cfg	 cfg = cfg_of(&self);

	ring_init(&n->r, &cfg);
	ring_start(&n->r, &c1, &c2, net.now);
	return &n->r;
}

/* A ring over ids in ring order: each peer's successors are the next two. */
void
net_add_ring_of(const int *ids, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		net_add_ring(ids[i], ids[(i + 1) % n], ids[(i + 2) % n]);
}

/* The classic ring without peer `but` (the test adds it as it likes): true successors. */
void
net_add_classic_but(int but)
{
	size_t	i;

	for (i = 0; i < NCLASSIC; i++)
		if (classic_ids[i] != but)
			net_add_ring(classic_ids[i], classic_ids[(i + 1) % NCLASSIC],
			    classic_ids[(i + 2) % NCLASSIC]);
}

/* A puppet for peer id; pong: it answers pings. */
struct node *
net_add_puppet(int id, bool pong)
{
	struct contact	 c = contact_of(id);
	struct node	*n = node_new(&c, false);

	n->pong = pong;
	return n;
}

/* A ring that starts by asking peer `via` to let it in; it listens on port. */
struct ring *
net_add_joiner(int id, uint16_t port, int via)
{
	struct contact	 self = contact_of(id), known = contact_of(via);
	struct node	*n;
	struct ring_cfg	 cfg;

	self.port = port;
	n = node_new(&self, true);
	cfg = cfg_of(&self);
	ring_init(&n->r, &cfg);
	ring_start_join(&n->r, &known, net.now);
	return &n->r;
}

/* Peer id stops at once (SIGKILL): nothing it had queued goes out. */
void
net_kill(int id)
{
	struct node	*n = node_of(id);

	n->dead = true;
	if (n->has_ring)
		ring_clear_actions(&n->r);
}

void
net_clear_logs(void)
{
	int	i;

	for (i = 0; i < NET_MAX; i++)
		net.node[i].nlog = 0;
}

/* Append a record to a node's log. */
void
node_log(struct node *n, enum ring_act_kind kind, const struct ring_action *a)
{
	struct rec	*rc;

	ck_assert_msg(n->nlog < LOG_MAX, "log of peer %u full", n->c.id);
	rc = &n->log[n->nlog++];
	memset(rc, 0, sizeof *rc);
	rc->t = net.now;
	rc->kind = kind;
	rc->to = a->to;
	rc->msg = a->msg;
	rc->ev = a->ev;
	rc->status = a->status;
}

/* Carry a UDP or TCP send of src's out: deliver, fail, or lose it. */
void
net_send(struct node *src, const struct ring_action *a)
{
	struct node	*dst = node_at(a->to.port);

	if (dst == NULL || dst->dead) {
		if (a->kind == RING_ACT_TCP)
			ring_on_send_failed(&src->r, &a->to, a->msg.type, net.now);
		return;
	}
	if (a->kind == RING_ACT_UDP && net.loss > 0 && xfer_rng_uniform(&net.rng) < net.loss) {
		net.dropped++;
		return;
	}
	if (a->kind == RING_ACT_TCP && net.tcp_loss > 0 &&
	    xfer_rng_uniform(&net.rng) < net.tcp_loss) {
		net.dropped++;
		ring_on_send_failed(&src->r, &a->to, a->msg.type, net.now);
		return;
	}
	if (dst->paused) {
		if (dst->nqueue < PAUSE_QUEUE_MAX)
			dst->queue[dst->nqueue++] = a->msg;
		return;
	}
	if (dst->mute)
		return;
	if (!dst->has_ring) {
		node_log(dst, a->kind, a);
		if (dst->pong && a->kind == RING_ACT_UDP && a->msg.type == WIRE_PING_REQ) {
			struct wire_msg rsp;

			memset(&rsp, 0, sizeof rsp);
			rsp.type = WIRE_PING_RSP;
			rsp.from = dst->c;
			rsp.u.ping_rsp.seq = a->msg.u.ping_req.seq;
			ring_on_msg(&src->r, &rsp, net.now);
		}
		return;
	}
	ring_on_msg(&dst->r, &a->msg, net.now);
}

/* Carry out every ring's actions, and the actions they cause, until all are quiet. */
void
net_flush(void)
{
	static struct ring_action	batch[RING_MAX_ACTIONS];
	unsigned			passes = 0;
	bool				busy = true;
	int				i;

	while (busy) {
		busy = false;
		for (i = 0; i < NET_MAX; i++) {
			struct node	*n = &net.node[i];
			size_t		 k, cnt;

			if (!n->used || !n->has_ring)
				continue;
			ck_assert_msg(n->r.overflow == 0, "peer %u lost %zu actions to a full outbox",
			    n->c.id, n->r.overflow);
			if (n->dead) {
				ring_clear_actions(&n->r);
				continue;
			}
			if (n->r.nout == 0)
				continue;
			busy = true;
			cnt = n->r.nout;
			memcpy(batch, n->r.out, cnt * sizeof batch[0]);
			ring_clear_actions(&n->r);
			for (k = 0; k < cnt; k++) {
				node_log(n, batch[k].kind, &batch[k]);
				switch (batch[k].kind) {
				case RING_ACT_UDP:
				case RING_ACT_TCP:
					net_send(n, &batch[k]);
					break;
				case RING_ACT_EXIT:
					n->exited = true;
					n->dead = true;
					n->exit_status = batch[k].status;
					n->exit_at = net.now;
					break;
				default:
					break;
				}
			}
		}
		ck_assert_msg(++passes < FLUSH_MAX, "messages never stop at t=%llu",
		    (unsigned long long)net.now);
	}
}

/* Deliver m to peer id's ring now, and everything that follows. */
void
net_inject(int id, const struct wire_msg *m)
{
	net_flush();
	ring_on_msg(ring_of(id), m, net.now);
	net_flush();
}

/* Is node n a ring that still runs (and is not paused)? */
bool
node_live(const struct node *n)
{
	return n->used && n->has_ring && !n->dead && !n->paused;
}

/* Drop this fraction of UDP datagrams from now on, drawn from a generator seeded with seed. */
void
net_set_loss(double loss, uint64_t seed)
{
	net.loss = loss;
	xfer_rng_seed(&net.rng, seed);
}

/* Make this fraction of TCP sends fail (the sender is told, as for a refused connection). */
void
net_set_tcp_loss(double loss)
{
	net.tcp_loss = loss;
}

/* Peer id stops as under SIGSTOP: not ticked, what it is sent waits in its queue. */
void
net_pause(int id)
{
	net_flush();
	node_of(id)->paused = true;
}

/* Peer id goes on as under SIGCONT: it reads what waited, then its timers fire. */
void
net_resume(int id)
{
	struct node	*n = node_of(id);
	size_t		 i;

	n->paused = false;
	for (i = 0; i < n->nqueue; i++) {
		ring_on_msg(&n->r, &n->queue[i], net.now);
		net_flush();
	}
	n->nqueue = 0;
}

/* Let time pass until `until`: jump to each deadline, tick the rings due, deliver. */
void
net_run_until(uint64_t until)
{
	uint64_t	last = UINT64_MAX;
	unsigned	same = 0;
	int		i;

	net_flush();
	for (;;) {
		uint64_t t = RING_NEVER;

		for (i = 0; i < NET_MAX; i++)
			if (node_live(&net.node[i])) {
				uint64_t d = ring_next_deadline(&net.node[i].r);

				if (d < t)
					t = d;
			}
		if (t > until)
			break;
		if (t < net.now)
			t = net.now;
		net.now = t;
		same = t == last ? same + 1 : 0;
		last = t;
		ck_assert_msg(same < SAME_TIME_MAX, "a deadline at t=%llu never moves on",
		    (unsigned long long)t);
		for (i = 0; i < NET_MAX; i++)
			if (node_live(&net.node[i]) && ring_next_deadline(&net.node[i].r) <= net.now)
				ring_tick(&net.node[i].r, net.now);
		net_flush();
	}
	if (until > net.now)
		net.now = until;
}

/* ---- what happened ---- */

/* What a finder looks for: an action kind, message type or event kind, destination or name. */
struct match {
	enum ring_act_kind	kind;
	int			type;	/* message type, or event kind; -1 any */
	int			id;	/* destination (the event's first peer); -1 any */
};

/* One action seen through a match: from a node's log or a ring's outbox. */
struct seen {
	enum ring_act_kind	 kind;
	const struct contact	*to;
	const struct wire_msg	*msg;
	const struct console_ev	*ev;
};

/* Does the action match? */
static bool
seen_matches(const struct seen *a, const struct match *w)
{
	if (a->kind != w->kind)
		return false;
	if (w->kind == RING_ACT_EVENT)
		return (w->type < 0 || (int)a->ev->kind == w->type) &&
		    (w->id < 0 || a->ev->a == w->id);
	return (w->type < 0 || a->msg->type == w->type) && (w->id < 0 || a->to->id == w->id);
}

/* Record i of a node's log. */
static struct seen
seen_rec(const void *base, size_t i)
{
	const struct rec *rc = (const struct rec *)base + i;

	return (struct seen){ rc->kind, &rc->to, &rc->msg, &rc->ev };
}

/* Action i of a ring's outbox. */
static struct seen
seen_out(const void *base, size_t i)
{
	const struct ring_action *a = (const struct ring_action *)base + i;

	return (struct seen){ a->kind, &a->to, &a->msg, &a->ev };
}

/*
 * Of n actions, the index of the nth (from 0) that matches w, or n if fewer do; *count gets
 * how many match in all.
 */
static size_t
scan(const void *base, size_t n, struct seen (*at)(const void *, size_t),
    const struct match *w, size_t nth, size_t *count)
{
	size_t	i, hit = n;

	*count = 0;
	for (i = 0; i < n; i++) {
		struct seen a = at(base, i);

		if (seen_matches(&a, w) && (*count)++ == nth)
			hit = i;
	}
	return hit;
}

/* The nth record at peer id that matches w (NULL if none); *count: how many match. */
static const struct rec *
log_scan(int id, const struct match *w, size_t nth, size_t *count)
{
	const struct node	*n = node_of(id);
	size_t			 i = scan(n->log, n->nlog, seen_rec, w, nth, count);

	return i < n->nlog ? &n->log[i] : NULL;
}

/* The nth action in r's outbox that matches w (NULL if none); *count: how many match. */
static const struct ring_action *
out_scan(const struct ring *r, const struct match *w, size_t nth, size_t *count)
{
	size_t	i = scan(r->out, r->nout, seen_out, w, nth, count);

	return i < r->nout ? &r->out[i] : NULL;
}

/* How many records of this kind (and message type, -1 any; to id, -1 any) peer id has. */
size_t
count_acts(int id, enum ring_act_kind kind, int type, int to)
{
	size_t	c;

	log_scan(id, &(struct match){ kind, type, to }, SIZE_MAX, &c);
	return c;
}

/* The nth record of this kind / type / destination at peer id, or NULL. */
const struct rec *
find_act(int id, enum ring_act_kind kind, int type, int to, size_t nth)
{
	size_t	c;

	return log_scan(id, &(struct match){ kind, type, to }, nth, &c);
}

/* How many console events of this kind peer id printed (a >= 0: only those naming a). */
size_t
count_events(int id, enum console_kind kind, int a)
{
	size_t	c;

	log_scan(id, &(struct match){ RING_ACT_EVENT, (int)kind, a }, SIZE_MAX, &c);
	return c;
}

/* The first console event of this kind naming a (a < 0: any) at peer id, or NULL. */
const struct rec *
find_event(int id, enum console_kind kind, int a)
{
	size_t	c;

	return log_scan(id, &(struct match){ RING_ACT_EVENT, (int)kind, a }, 0, &c);
}

/* How many records of this kind all nodes have. */
size_t
total(enum ring_act_kind kind)
{
	size_t	i, j, c = 0;

	for (i = 0; i < NET_MAX; i++)
		for (j = 0; j < net.node[i].nlog; j++)
			c += net.node[i].log[j].kind == kind;
	return c;
}

/* Peer id's console events other than ping lines, since the logs were cleared, are exactly w. */
void
expect_events(int id, const struct want *w, size_t nw)
{
	const struct node	*n = node_of(id);
	char			 got[2048];
	size_t			 i, k = 0, len = 0;
	bool			 ok = true;

	got[0] = '\0';
	for (i = 0; i < n->nlog; i++) {
		const struct console_ev *ev = &n->log[i].ev;

		if (n->log[i].kind != RING_ACT_EVENT || console_is_ping(ev->kind))
			continue;
		if (len < sizeof got - 64)
			len += (size_t)snprintf(got + len, sizeof got - len, " %s(%d,%d,%04d)@%llu",
			    kind_names[ev->kind], ev->a, ev->b, ev->file,
			    (unsigned long long)n->log[i].t);
		if (k >= nw || ev->kind != w[k].kind || ev->a != w[k].a || ev->b != w[k].b ||
		    ev->file != w[k].file)
			ok = false;
		k++;
	}
	ck_assert_msg(ok && k == nw, "peer %d printed:%s (want %zu events)", id,
	    k == 0 ? " nothing" : got, nw);
}

/* Peer ids[i]'s true neighbours in a ring of ids (ring order): s1, s2, p1, p2. */
static void
ring_order(const int *ids, size_t n, size_t i, int nb[4])
{
	nb[0] = ids[(i + 1) % n];
	nb[1] = ids[(i + 2) % n];
	nb[2] = ids[(i + n - 1) % n];
	nb[3] = ids[(i + n - 2) % n];
}

/* A ring's two successors or two predecessors, as far as it knows them. */
struct pair {
	bool	known[2];
	int	id[2];
};

/* r's successors (preds false) or predecessors (preds true). */
static struct pair
pair_of(const struct ring *r, bool preds)
{
	if (preds)
		return (struct pair){ { r->pred[0].known, r->pred[1].known },
		    { r->pred[0].c.id, r->pred[1].c.id } };
	return (struct pair){ { r->succ[0].known, r->succ[1].known },
	    { r->succ[0].c.id, r->succ[1].c.id } };
}

/* Is the pair (w1, w2), both known? */
static bool
pair_is(struct pair p, int w1, int w2)
{
	return p.known[0] && p.id[0] == w1 && p.known[1] && p.id[1] == w2;
}

/* Peer id's successors (preds false) or predecessors (preds true) are (w1, w2), both known. */
static void
expect_pair(int id, bool preds, int w1, int w2)
{
	struct pair	p = pair_of(ring_of(id), preds);

	ck_assert_msg(pair_is(p, w1, w2), "peer %d: %s (%d%s, %d%s), want (%d, %d)", id,
	    preds ? "predecessors" : "successors", p.id[0], p.known[0] ? "" : "?", p.id[1],
	    p.known[1] ? "" : "?", w1, w2);
}

/* Every live ring of ids (in ring order) has the right successors and predecessors. */
void
expect_consistent(const int *ids, size_t n)
{
	size_t	i;
	int	nb[4];

	for (i = 0; i < n; i++) {
		ring_order(ids, n, i, nb);
		ck_assert_msg(ring_of(ids[i])->state == RING_UP, "peer %d not up", ids[i]);
		expect_succs(ids[i], nb[0], nb[1]);
		expect_preds(ids[i], nb[2], nb[3]);
	}
}

/* Time runs to `until`; then ids (ring order) is consistent, and no_deaths: none saw a death. */
void
expect_settled(uint64_t until, const int *ids, size_t n, bool no_deaths)
{
	size_t	i;

	net_run_until(until);
	expect_consistent(ids, n);
	for (i = 0; no_deaths && i < n; i++)
		ck_assert_msg(count_events(ids[i], CON_DEAD, -1) == 0, "peer %d saw a death",
		    ids[i]);
}

/* Do the live rings of ids (ring order) all have the true successors and predecessors? */
bool
net_consistent(const int *ids, size_t n)
{
	size_t	i;
	int	nb[4];

	for (i = 0; i < n; i++) {
		const struct ring *r = ring_of(ids[i]);

		ring_order(ids, n, i, nb);
		if (r->state != RING_UP || !pair_is(pair_of(r, false), nb[0], nb[1]) ||
		    !pair_is(pair_of(r, true), nb[2], nb[3]))
			return false;
	}
	return true;
}

/* Peer id logged exactly these numbers of TCP sends, serves, stores and warnings. */
void
expect_acts(int id, size_t tcp, size_t serve, size_t store, size_t warn)
{
	size_t	got[4] = { count_acts(id, RING_ACT_TCP, -1, -1),
	    count_acts(id, RING_ACT_SERVE, -1, -1), count_acts(id, RING_ACT_STORE, -1, -1),
	    count_acts(id, RING_ACT_WARN, -1, -1) };

	ck_assert_msg(got[0] == tcp && got[1] == serve && got[2] == store && got[3] == warn,
	    "peer %d: %zu TCP sends, %zu serves, %zu stores, %zu warnings; want %zu, %zu, %zu, %zu",
	    id, got[0], got[1], got[2], got[3], tcp, serve, store, warn);
}

/* Peer id's successors are (s1, s2), both known. */
void
expect_succs(int id, int s1, int s2)
{
	expect_pair(id, false, s1, s2);
}

/* Peer id's predecessors are (p1, p2), both known. */
void
expect_preds(int id, int p1, int p2)
{
	expect_pair(id, true, p1, p2);
}

/* A successor reply from peer `from` with (s1, s2); a negative id means "none". */
struct wire_msg
reply_of(int from, uint32_t qid, int s1, int s2)
{
	struct wire_msg	m = msg_from(WIRE_SUCC_REPLY, from);

	m.u.reply.qid = qid;
	m.u.reply.s1 = s1 < 0 ? contact_none() : contact_of(s1);
	m.u.reply.s2 = s2 < 0 ? contact_none() : contact_of(s2);
	return m;
}

/* ---- scenarios ---- */

/* The classic ring 1 3 4 5 8 10 12 15, run past its first round. */
void
classic_up(void)
{
	net_reset();
	net_add_ring_of(classic_ids, NCLASSIC);
	net_run_until(1);
}

/* The p2p ring 2 4 5 8 9 14 19 past its first round, and peer `joiner` asking `via` to join. */
void
p2p_join(int joiner, int via)
{
	p2p_up();
	net_clear_logs();
	net_add_joiner(joiner, (uint16_t)(BASE_PORT + joiner), via);
	net_flush();
}

/* The classic ring past its first round, logs cleared, and m delivered to peer id. */
void
classic_inject(int id, const struct wire_msg *m)
{
	classic_up();
	net_clear_logs();
	net_inject(id, m);
}

/* The classic ring past its first round, logs cleared, and peer id typing a request or store. */
void
classic_route(int type, int id, int file, uint32_t rid, uint8_t mode)
{
	classic_up();
	net_clear_logs();
	if (type == WIRE_FILE_REQ)
		ring_request(ring_of(id), file, rid, mode, net.now);
	else
		ring_store(ring_of(id), file, rid, net.now);
	net_flush();
}

/* The p2p ring 2 4 5 8 9 14 19 at 500 ms, past its first round. */
void
p2p_up(void)
{
	net_reset();
	net_add_ring_of(p2p_ids, NP2P);
	net_run_until(500);
}

/* Peer `id` quits in the classic ring at t=1500, after the rounds at 0 and 1000. */
void
classic_quit(int id)
{
	classic_up();
	net_quit_at(id, 1500);
}

/* At t (logs cleared first), peer id types quit; everything that follows is delivered. */
void
net_quit_at(int id, uint64_t t)
{
	net_run_until(t);
	net_clear_logs();
	ring_quit(ring_of(id), net.now);
	net_flush();
}

/* ---- a lone ring, its outbox read directly ---- */

/* A lone ring id with successors (s1, s2), started at 0. */
void
lone_start(struct ring *r, int id, int s1, int s2)
{
	struct contact	self = contact_of(id), c1 = contact_of(s1), c2 = contact_of(s2);
	struct ring_cfg	cfg;

	net_reset();
	cfg = cfg_of(&self);
	ring_init(r, &cfg);
	ring_start(r, &c1, &c2, 0);
}

/* A lone ring id with successors (s1, s2) after its first round at 0: its ping to s1's number. */
uint32_t
lone_round(struct ring *r, int id, int s1, int s2)
{
	lone_start(r, id, s1, s2);
	ring_tick(r, 0);
	return out_seq(r, s1);
}

/* Both of r's successors answer the pings in its outbox, at now. */
void
lone_answered(struct ring *r, uint64_t now)
{
	lone_pong(r, r->succ[0].c.id, out_seq(r, r->succ[0].c.id), now);
	lone_pong(r, r->succ[1].c.id, out_seq(r, r->succ[1].c.id), now);
}

/* The nth action of this kind (message type; to id) in r's outbox, or NULL. */
const struct ring_action *
out_find(const struct ring *r, enum ring_act_kind kind, int type, int to, size_t nth)
{
	size_t	c;

	return out_scan(r, &(struct match){ kind, type, to }, nth, &c);
}

/* How many actions of this kind (message type, -1 any; to id, -1 any) r's outbox holds. */
size_t
out_count(const struct ring *r, enum ring_act_kind kind, int type, int to)
{
	size_t	c;

	out_scan(r, &(struct match){ kind, type, to }, SIZE_MAX, &c);
	return c;
}

/* How many console events of this kind are in r's outbox. */
size_t
out_events(const struct ring *r, enum console_kind kind)
{
	size_t	c;

	out_scan(r, &(struct match){ RING_ACT_EVENT, (int)kind, -1 }, SIZE_MAX, &c);
	return c;
}

/* Feed r a ping response from peer `from` echoing seq. */
void
lone_pong(struct ring *r, int from, uint32_t seq, uint64_t now)
{
	struct wire_msg	m = msg_from(WIRE_PING_RSP, from);

	m.u.ping_rsp.seq = seq;
	ring_on_msg(r, &m, now);
}

/* Feed r a ping from peer `from` as its role-th predecessor (1 or 2), at now. */
void
lone_ping(struct ring *r, int from, int role, uint64_t now)
{
	struct wire_msg	m = msg_ping(from, r->cfg.self.id, role, 0);

	ring_on_msg(r, &m, now);
}

/* The sequence number of r's ping to peer `to` in the outbox. */
uint32_t
out_seq(const struct ring *r, int to)
{
	const struct ring_action *a = out_find(r, RING_ACT_UDP, WIRE_PING_REQ, to, 0);

	ck_assert_msg(a != NULL, "no ping to peer %d", to);
	return a->msg.u.ping_req.seq;
}

