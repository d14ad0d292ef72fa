/*
 * Shared test fakes for the pure core: a fake clock and an in-memory network of rings and
 * puppets. Every action a ring emits is carried out here (UDP and TCP delivered at once,
 * events and verdicts recorded in per-node logs); UDP can be dropped at a given rate by a
 * seeded generator, and a node can be paused (SIGSTOP: not ticked, its input queued) and
 * resumed. Time jumps from deadline to deadline. Never sleeps. Uses Check for its asserts.
 */
#ifndef CDHT_TEST_FAKES_H
#define CDHT_TEST_FAKES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/console.h"
#include "cdht/ring.h"
#include "cdht/wire.h"
#include "cdht/xfer.h"

#define ADDR		0x0100007fu	/* 127.0.0.1, network order on a little-endian host */
#define BASE_PORT	50000		/* peer i listens on BASE_PORT + i */
#define DUP_PORT	51000		/* a second peer claiming id i listens on DUP_PORT + i */
#define INTERVAL	1000		/* ms between ping rounds */
#define TIMEOUT		200		/* ms before a ping counts as missed */
#define THRESHOLD	3		/* misses before a successor is dead */
#define BUDGET		(INTERVAL + THRESHOLD * TIMEOUT)	/* ms a predecessor is remembered (SPEC §5) */
#define NET_MAX		40		/* nodes in one network */
#define LOG_MAX		4096		/* records kept per node */
#define FLUSH_MAX	100000		/* passes one delivery may take before it counts as a loop */
#define SAME_TIME_MAX	1000		/* ticks at one instant before it counts as a busy loop */
#define PAUSE_QUEUE_MAX	64		/* messages a paused node's sockets hold */

/* One thing that happened at a node: an action of its ring, or a message a puppet got. */
struct rec {
	uint64_t		t;
	enum ring_act_kind	kind;
	struct contact		to;
	struct wire_msg		msg;
	struct console_ev	ev;
	int			status;
};

/*
 * A node is a ring, or a puppet: a contact with no ring that records what it is sent and
 * answers pings if told to. dead: UDP to it vanishes, TCP to it fails. mute: it takes
 * everything and answers nothing (a hung peer). paused: as under SIGSTOP, it is not
 * ticked and what it is sent waits in its queue (up to PAUSE_QUEUE_MAX) until resumed.
 */
struct node {
	bool		used, has_ring, dead, mute, pong, exited, paused;
	int		exit_status;
	uint64_t	exit_at;
	struct contact	c;
	struct ring	r;
	struct rec	log[LOG_MAX];
	size_t		nlog;
	struct wire_msg	queue[PAUSE_QUEUE_MAX];
	size_t		nqueue;
};

/* The network; a test's fork gets a fresh one. */
struct net {
	struct node	node[NET_MAX];
	uint64_t	now;
	uint32_t	interval, timeout;
	unsigned	threshold;
	double		loss;		/* fraction of UDP datagrams dropped, [0, 1] */
	double		tcp_loss;	/* fraction of TCP sends that fail (a reset), [0, 1] */
	struct xfer_rng	rng;		/* seeded: the drops are the same every run */
	uint64_t	dropped;	/* datagrams dropped so far */
};

struct want {
	enum console_kind	kind;
	int			a, b, file;
};

extern struct net		 net;
extern const int		 classic_ids[8];
extern const int		 p2p_ids[7];
extern const char *const	 kind_names[CON_KIND_END];
#define NCLASSIC	(sizeof classic_ids / sizeof classic_ids[0])
#define NP2P		(sizeof p2p_ids / sizeof p2p_ids[0])

/* ---- contacts and messages */
struct contact	 contact_of(int id);
struct wire_msg	 msg_from(int type, int from);
struct wire_msg	 msg_route(int type, int from, int origin, int file, uint8_t ttl, uint8_t flags);
struct wire_msg	 reply_of(int from, uint32_t qid, int s1, int s2);
struct wire_msg	 msg_ping(int from, int to, int role, uint32_t seq);
struct wire_msg	 msg_succs(int type, int from, int s1, int s2);
struct wire_msg	 msg_join(int from, int joiner, uint8_t ttl);
struct wire_msg	 msg_change(int from, int s1, int s2, uint8_t ttl);
struct ring_cfg	 cfg_of(const struct contact *self);

/* ---- the network */
void		 net_reset(void);
struct node	*node_at(uint16_t port);
struct node	*node_of(int id);
struct ring	*ring_of(int id);
struct node	*node_new(const struct contact *c, bool has_ring);
struct ring	*net_add_ring(int id, int s1, int s2);
void		 net_add_ring_of(const int *ids, size_t n);
void		 net_add_classic_but(int but);
struct node	*net_add_puppet(int id, bool pong);
struct ring	*net_add_joiner(int id, uint16_t port, int via);
void		 net_kill(int id);
void		 net_clear_logs(void);
void		 node_log(struct node *n, enum ring_act_kind kind, const struct ring_action *a);
void		 net_send(struct node *src, const struct ring_action *a);
void		 net_flush(void);
void		 net_inject(int id, const struct wire_msg *m);
bool		 node_live(const struct node *n);
void		 net_run_until(uint64_t until);
/* Drop this fraction of UDP datagrams from now on, drawn from a generator seeded with seed. */
void		 net_set_loss(double loss, uint64_t seed);
/* Make this fraction of TCP sends fail (the sender is told, as for a refused connection). */
void		 net_set_tcp_loss(double loss);
/* Peer id stops as under SIGSTOP / goes on as under SIGCONT (its queue delivered first). */
void		 net_pause(int id);
void		 net_resume(int id);

/* ---- what happened */
size_t		 count_acts(int id, enum ring_act_kind kind, int type, int to);
const struct rec *find_act(int id, enum ring_act_kind kind, int type, int to, size_t nth);
size_t		 count_events(int id, enum console_kind kind, int a);
const struct rec *find_event(int id, enum console_kind kind, int a);
size_t		 total(enum ring_act_kind kind);
void		 expect_events(int id, const struct want *w, size_t nw);
void		 expect_consistent(const int *ids, size_t n);
void		 expect_settled(uint64_t until, const int *ids, size_t n, bool no_deaths);
/* Do the live rings of ids (ring order) all have the true successors and predecessors? */
bool		 net_consistent(const int *ids, size_t n);
void		 expect_succs(int id, int s1, int s2);
void		 expect_preds(int id, int p1, int p2);
void		 expect_acts(int id, size_t tcp, size_t serve, size_t store, size_t warn);

#define EXPECT_EVENTS(id, ...) do {						\
	static const struct want w_[] = { __VA_ARGS__ };			\
	expect_events((id), w_, sizeof w_ / sizeof w_[0]);			\
} while (0)
#define EXPECT_NO_EVENTS(id)	expect_events((id), NULL, 0)
#define EV(k, a, b)		{ (k), (a), (b), 0 }
#define EVF(k, f)		{ (k), 0, 0, (f) }

/* ---- scenarios */
void		 classic_up(void);
void		 p2p_join(int joiner, int via);
void		 classic_quit(int id);
void		 net_quit_at(int id, uint64_t t);
void		 classic_inject(int id, const struct wire_msg *m);
void		 classic_route(int type, int id, int file, uint32_t rid, uint8_t mode);
void		 p2p_up(void);

/* ---- a lone ring, its outbox read directly */
void		 lone_start(struct ring *r, int id, int s1, int s2);
uint32_t	 lone_round(struct ring *r, int id, int s1, int s2);
void		 lone_answered(struct ring *r, uint64_t now);
const struct ring_action *out_find(const struct ring *r, enum ring_act_kind kind, int type,
		     int to, size_t nth);
size_t		 out_count(const struct ring *r, enum ring_act_kind kind, int type, int to);
size_t		 out_events(const struct ring *r, enum console_kind kind);
void		 lone_pong(struct ring *r, int from, uint32_t seq, uint64_t now);
void		 lone_ping(struct ring *r, int from, int role, uint64_t now);
uint32_t	 out_seq(const struct ring *r, int to);

#endif
