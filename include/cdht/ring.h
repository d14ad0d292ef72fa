/*
 * Ring membership and routing (SPEC §5): successors, predecessors, pings, loss detection,
 * repair, departure, join, and where requests and stores go. A pure state machine: inputs are
 * decoded messages, typed commands and "time is now"; outputs are actions in r->out.
 */
#ifndef CDHT_RING_H
#define CDHT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/console.h"
#include "cdht/wire.h"

#define RING_MAX_ACTIONS	32	/* actions one input can produce, with room to spare */
#define RING_LEAVE_WAIT_MS	2000	/* ms a departing peer waits for acknowledgements */
#define RING_JOIN_WAIT_MS	10000	/* ms a joiner waits to be accepted */
#define RING_QUERY_MAX_MS	8000	/* ms, cap of the successor-query retry backoff */
#define RING_LOST_MAX		8	/* peers declared dead that we still probe, at most */
#define RING_PROBE_ROUNDS	2	/* ping intervals between probes of a peer declared dead */
#define RING_RECENT_MAX		8	/* routes sent, remembered to word a failed send */
#define RING_WARN_EVERY_MS	10000	/* ms between two warnings about pings for another id */
#define RING_NEVER		UINT64_MAX

enum ring_act_kind {
	RING_ACT_UDP,		/* send msg to `to` over UDP */
	RING_ACT_TCP,		/* send msg to `to` over a one-shot TCP connection */
	RING_ACT_EVENT,		/* print ev */
	RING_ACT_WARN,		/* print text on stderr */
	RING_ACT_SERVE,		/* we own msg.u.route (a FILE_REQ): answer its origin */
	RING_ACT_STORE,		/* we own msg.u.route (a STORE_REQ): take it (and say so) */
	RING_ACT_EXIT		/* end the process with status; text says why if non-zero */
};

struct ring_action {
	enum ring_act_kind	kind;
	struct contact		to;
	struct wire_msg		msg;
	struct console_ev	ev;
	int			status;
	char			text[160];
};

struct ring_cfg {
	struct contact	self;
	uint32_t	ping_interval_ms;
	uint32_t	ping_timeout_ms;
	unsigned	loss_threshold;
	bool		quiet_pings;
};

/* One successor slot and the state of pinging it. */
struct ring_succ {
	struct contact	c;
	bool		known;
	bool		awaiting;	/* a ping is out, not yet answered */
	bool		confirming;	/* threshold reached: a SUCC_QUERY over TCP decides */
	uint32_t	seq_lo, seq_hi;	/* unanswered ping sequence numbers */
	uint32_t	confirm_qid;	/* the question that asks "are you there?" over TCP */
	/*
	 * Awaiting: when the outstanding ping counts as missed; confirming: when silence
	 * means dead; otherwise RING_NEVER. ring_tick acts on it, ring_next_deadline reports it.
	 */
	uint64_t	deadline;
	unsigned	misses;		/* consecutive */
};

struct ring_pred {
	struct contact	c;
	bool		known;
	uint64_t	last_seen;
	uint64_t	expire_at;	/* forgotten from this time on; RING_NEVER if unknown */
};

/* A peer we declared dead and still probe now and then, to take it back if it answers. */
struct ring_lost {
	struct contact	c;
	bool		used;
	uint32_t	seq;		/* the last probe sent to it */
};

/* A route message sent on, remembered so a failed send can be told in the user's words. */
struct ring_recent {
	uint8_t		type;		/* WIRE_FILE_REQ or WIRE_STORE_REQ */
	uint8_t		to;		/* peer id */
	uint16_t	file;
};

/* Counters for status and measurements (never reset). */
struct ring_stats {
	uint64_t	pings_sent;	/* to successors, rounds and probes after a miss */
	uint64_t	pings_answered;	/* answers that closed a window */
	uint64_t	misses;		/* ping timeouts */
	uint64_t	confirms;	/* TCP questions after loss-threshold misses */
	uint64_t	confirmed_alive;	/* ... answered: a false death avoided */
	uint64_t	deaths;		/* successors declared dead */
	uint64_t	readopted;	/* peers declared dead taken back after a probe */
	uint64_t	stabilized;	/* second successors corrected from the first's answers */
	uint64_t	third_used;	/* repairs through the third successor */
	uint64_t	forged;		/* messages dropped for claiming to come from us */
	uint64_t	foreign;	/* pings dropped for naming another id as receiver */
};

enum ring_state {
	RING_IDLE,	/* set up, not yet started (ring_start or ring_start_join comes next) */
	RING_JOINING,	/* asked to be let in, waiting for the answer */
	RING_UP,	/* a member: pings, routes, repairs */
	RING_LEAVING,	/* quit: told the predecessors, waiting for their acknowledgements */
	RING_EXITED	/* an EXIT action was queued: nothing more to do */
};

/* A peer's view of the ring. Plain data, owned by the peer; no heap. */
struct ring {
	struct ring_cfg		cfg;
	enum ring_state		state;
	struct ring_succ	succ[2];
	struct ring_pred	pred[2];
	uint32_t		next_seq;
	uint64_t		next_round;
	/* the third successor: our second successor's first, from its ping answers; unpinged */
	struct contact		third;
	bool			third_known;
	/* the third predecessor: our second predecessor's first, from its pings; never pinged */
	struct contact		pred3;
	bool			pred3_known;
	uint8_t			pred3_via;	/* the second predecessor that named it */
	/* stabilize: a first successor that names another second than ours, since when */
	struct contact		claim;
	bool			claim_known;
	uint64_t		claim_since;
	/* peers declared dead, probed every RING_PROBE_ROUNDS intervals from probe_at */
	struct ring_lost	lost[RING_LOST_MAX];
	unsigned		lost_next;	/* the slot to reuse when all are taken */
	uint64_t		probe_at;	/* RING_NEVER if none is lost */
	/* repair after a death: the query to our first successor */
	bool			repairing;
	uint8_t			dead_id;
	uint32_t		next_qid;	/* question numbers, repair and confirmation */
	uint32_t		query_id;	/* the repair question outstanding */
	uint64_t		query_at;	/* next repair question; RING_NEVER if none */
	uint32_t		query_backoff_ms;
	struct ring_recent	recent[RING_RECENT_MAX];
	unsigned		nrecent;
	struct ring_stats	stats;
	uint64_t		foreign_warn_at;	/* the next foreign ping may be warned about from then on */
	/* departure */
	bool			ack_wait[2];	/* waiting for DEPART_ACK from ack_id[i] */
	uint8_t			ack_id[2];
	uint64_t		leave_deadline;
	/* join */
	struct contact		known;
	uint64_t		join_deadline;
	/* the outbox of the last inputs; the caller empties it */
	struct ring_action	out[RING_MAX_ACTIONS];
	size_t			nout;
	size_t			overflow;	/* actions lost to a full outbox (a bug) */
	struct ring_action	spare;		/* where they went */
};

void	 ring_init(struct ring *r, const struct ring_cfg *cfg);
/* Start as a member with these successors; the first ping round is due now. */
void	 ring_start(struct ring *r, const struct contact *s1, const struct contact *s2,
	    uint64_t now);
/* Start by asking `known` to let us in. */
void	 ring_start_join(struct ring *r, const struct contact *known, uint64_t now);
/* A decoded ring message (not DATA, ACK, FILE_RSP or STORE_DATA). */
void	 ring_on_msg(struct ring *r, const struct wire_msg *m, uint64_t now);
/* A one-shot TCP send of a message of this type to `to` failed. */
void	 ring_on_send_failed(struct ring *r, const struct contact *to, int type, uint64_t now);
/* Typed `request F` / `store F`: route it (or own it: SERVE/STORE to ourselves). */
void	 ring_request(struct ring *r, int file, uint32_t id, uint8_t mode, uint64_t now);
void	 ring_store(struct ring *r, int file, uint32_t id, uint64_t now);
/* Typed `quit`. */
void	 ring_quit(struct ring *r, uint64_t now);
/* Time passed: rounds, misses, expiry, retries, give-ups. */
void	 ring_tick(struct ring *r, uint64_t now);
/* The earliest time ring_tick has something to do; RING_NEVER if none. */
uint64_t ring_next_deadline(const struct ring *r);
/* Do we own key, as far as we can tell (needs a known first predecessor)? */
bool	 ring_owns(const struct ring *r, int key);
void	 ring_clear_actions(struct ring *r);

#endif
