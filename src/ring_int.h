/*
 * Inside the ring module (src/ring.c, ring_ping.c, ring_heal.c, ring_route.c): what the four
 * files share.
 * Not a contract for anyone else; include/cdht/ring.h is.
 */
#ifndef CDHT_RING_INT_H
#define CDHT_RING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/ring.h"

/* How each ring message is taken in: the one shape ring_on_msg dispatches to. */
typedef void	ring_handler(struct ring *r, const struct wire_msg *m, uint64_t now);

/* ---- ring.c: the outbox, the slots, the inputs */

/* A fresh action at the end of the outbox (the spare one if the outbox is full). */
struct ring_action	*ring_push(struct ring *r, enum ring_act_kind kind);
/* Queue a console event. */
void		 ring_event(struct ring *r, enum console_kind kind, int a, int b, int file);
/* Queue a sentence for stderr. */
void		 ring_warn(struct ring *r, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* Queue the end of the process. */
void		 ring_exit(struct ring *r, int status, const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
/* Queue a message of this type to `to`; the caller fills its payload. */
struct wire_msg	*ring_send(struct ring *r, enum ring_act_kind kind, const struct contact *to,
		     int type);
/* "addr:port" of a contact, into buf. */
const char	*ring_addr(const struct contact *c, char *buf, size_t cap);
/* Forget a successor slot's contact and ping state. */
void		 ring_succ_clear(struct ring_succ *s);
/* Forget a predecessor slot. */
void		 ring_pred_forget(struct ring_pred *p);
/* Stop repairing: no question is due. */
void		 ring_repair_stop(struct ring *r);
/* Put a contact in a successor slot, keeping the ping state if it is the same peer. */
bool		 ring_succ_set(struct ring *r, struct ring_succ *s, const struct contact *c);
/* May a message make (s1, s2) our successors? Never ourselves first, never one peer twice. */
bool		 ring_succs_valid(const struct ring *r, const struct contact *s1,
		     const struct contact *s2);
/* Take (s1, s2) as successors; print the successor lines if anything changed. */
void		 ring_set_succs(struct ring *r, const struct contact *s1,
		     const struct contact *s2, uint64_t now);

/* ---- ring_ping.c: pinging successors, deciding deaths, the repair question */

/* A regular ping round: each successor not already being probed gets a ping. */
void		 ring_round(struct ring *r, uint64_t now);
/* Ask our first successor for its successors (repair after a death). */
void		 ring_query(struct ring *r, uint64_t now);
/* Our second successor is unknown (dead_id is gone): ask the first for its successors. */
void		 ring_start_repair(struct ring *r, uint8_t dead_id, uint64_t now);
/* Detection bound (SPEC §5): a round, loss_threshold probes, one TCP confirmation. */
uint64_t	 ring_detect_budget(const struct ring *r);
/* Successor deadlines: a miss means probe again, or ask over TCP; silence then, dead. */
void		 ring_tick_succs(struct ring *r, uint64_t now);
/* A TCP question to a suspect successor failed: a refused connection is a death. */
bool		 ring_confirm_failed(struct ring *r, const struct contact *to, uint64_t now);
/* PING_REQ, PING_RSP, SUCC_QUERY, SUCC_REPLY. */
ring_handler	 ring_on_ping_req, ring_on_ping_rsp, ring_on_query, ring_on_reply;

/* ---- ring_heal.c: peers declared dead, stabilize, the third successor, checks */

/* The lost-list slot holding peer id, or NULL. */
struct ring_lost	*ring_lost_find(struct ring *r, uint8_t id);
/* Set probe_at from the lost list: the next probe round, or never if nobody is lost. */
void		 ring_probe_schedule(struct ring *r, uint64_t now);
/* Remember a peer we declared dead, to probe it now and then (the oldest makes room). */
void		 ring_lost_add(struct ring *r, const struct contact *c, uint64_t now);
/* A peer is back (a successor again, or it answered): stop probing it. */
void		 ring_lost_remove(struct ring *r, uint8_t id);
/* May c take predecessor slot i (it fits, or the present one went quiet)? */
bool		 ring_pred_fits(const struct ring *r, int i, const struct contact *c,
		     uint64_t now);
/* Our first successor names s as its first successor (Chord's stabilize). */
void		 ring_stabilize(struct ring *r, const struct contact *s, uint64_t now);
/* Our second successor names s as its first: that is our third (kept, never pinged). */
void		 ring_learn_third(struct ring *r, const struct contact *s);
/* An answer to a probe of a peer we declared dead? (Handled if so.) */
bool		 ring_on_probe_rsp(struct ring *r, const struct wire_msg *m, uint64_t now);
/* Probe every peer we declared dead (silently). */
void		 ring_probe_lost(struct ring *r, uint64_t now);
/* Does m claim to come from ourselves? (Warned about if so.) */
bool		 ring_forged(struct ring *r, const struct wire_msg *m);

/* ---- ring_route.c: routes, departures, joins */

/* A departure acknowledgement (or a failed departure notice) from peer id. */
void		 ring_departure_noted(struct ring *r, uint8_t id);
/*
 * FILE_REQ and STORE_REQ (serve or take it here, or pass it on), DEPART (a successor
 * leaves), DEPART_ACK, JOIN_REQ (forward, refuse, or take the joiner as first successor),
 * JOIN_ACCEPT (we are in), JOIN_REJECT (exit 1 with the reason), SUCC_CHANGE (after a join:
 * take it if its first is our first, else pass it on).
 */
ring_handler	 ring_on_route, ring_on_depart, ring_on_depart_ack, ring_on_join_req,
		 ring_on_join_accept, ring_on_join_reject, ring_on_succ_change;
/* Say in the user's words that a message to `to` could not be sent. */
void		 ring_warn_unsent(struct ring *r, const struct contact *to, int type);

#endif
