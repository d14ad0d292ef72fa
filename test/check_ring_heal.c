/*
 * Unit tests of the ring state machine: healing (issue 11) and robustness. Forged senders,
 * the TCP confirmation of a death, predecessors that must fit, the third successor,
 * stabilize, wrong verdicts taken back (pauses, late starters, hung peers), lossy networks
 * that converge once clean; nonsense and random messages, random churn. The network, the
 * fake clock and the helpers are the shared fakes (fakes.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/console.h"
#include "cdht/keys.h"
#include "cdht/ring.h"
#include "cdht/wire.h"
#include "cdht/xfer.h"
#include "fakes.h"

#define FUZZ_MSGS	4000		/* random messages fed to a live ring */
#define FUZZ_TIMEOUT	120		/* seconds allowed to the fuzz test */
#define HEAL_TIMEOUT	120		/* seconds allowed to the lossy-network tests */

/* ============================ forged senders ============================ */

CASE("heal", test_ring_heal_ping_claiming_to_be_us_dropped)
{
	static struct ring	r;
	struct wire_msg		m = msg_ping(4, 4, 1, 9);

	lone_start(&r, 4, 5, 8);
	ring_on_msg(&r, &m, 5);
	ck_assert(!r.pred[0].known);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, -1, -1), 0);
	ck_assert_uint_eq(out_count(&r, RING_ACT_WARN, -1, -1), 1);
	ck_assert_uint_eq(out_events(&r, CON_PING_REQ_RCVD), 0);
	ck_assert_uint_eq(r.stats.forged, 1);
}
END_TEST

CASE("heal", test_ring_heal_our_id_at_another_address_dropped)
{
	static struct ring	r;
	struct wire_msg		m = msg_ping(4, 4, 2, 0);

	lone_start(&r, 4, 5, 8);
	m.from.port = DUP_PORT + 4;
	ring_on_msg(&r, &m, 5);
	ck_assert(!r.pred[1].known);
	ck_assert_uint_eq(out_count(&r, RING_ACT_WARN, -1, -1), 1);
	m = msg_succs(WIRE_DEPART, 4, 4, 4);		/* "I, you, leave: take (4, 4)" */
	ring_on_msg(&r, &m, 6);
	ck_assert_uint_eq(r.succ[0].c.id, 5);
	ck_assert_uint_eq(out_count(&r, RING_ACT_TCP, -1, -1), 0);
}
END_TEST

CASE("heal", test_ring_heal_join_naming_us_as_joiner_dropped)
{
	struct wire_msg	m = msg_join(3, 4, WIRE_TTL);

	classic_inject(4, &m);
	expect_acts(4, 0, 0, 0, 1);
	EXPECT_NO_EVENTS(4);
}
END_TEST

/* ========================= confirmation over TCP ========================= */

/* Peer 4 (5, 8) ticked to its third miss of 5, 8 answering: the outbox holds the question. */
static uint32_t
lone_third_miss(struct ring *r)
{
	const struct ring_action	*q;
	uint64_t			 t;

	lone_start(r, 4, 5, 8);
	for (t = 0; t <= 3 * TIMEOUT; t += TIMEOUT) {
		ring_clear_actions(r);
		ring_tick(r, t);
		if (out_find(r, RING_ACT_UDP, WIRE_PING_REQ, 8, 0) != NULL)
			lone_pong(r, 8, out_seq(r, 8), t);
	}
	ck_assert_uint_eq(r->succ[0].misses, THRESHOLD);
	q = out_find(r, RING_ACT_TCP, WIRE_SUCC_QUERY, 5, 0);
	ck_assert_msg(q != NULL, "no TCP question to 5 at the third miss");
	ck_assert_uint_eq(out_events(r, CON_DEAD), 0);
	ck_assert_uint_eq(ring_next_deadline(r), 4 * TIMEOUT);
	return q->msg.u.query.qid;
}

CASE("heal", test_ring_heal_threshold_asks_over_tcp_first)
{
	static struct ring	r;

	lone_third_miss(&r);
	ck_assert(r.succ[0].confirming);
	ck_assert_uint_eq(r.stats.confirms, 1);
}
END_TEST

CASE("heal", test_ring_heal_tcp_answer_means_alive)
{
	static struct ring	r;
	uint32_t		qid = lone_third_miss(&r);
	struct wire_msg		m = reply_of(5, qid, 8, 10);

	ring_clear_actions(&r);
	ring_on_msg(&r, &m, 3 * TIMEOUT + 10);
	ck_assert(!r.succ[0].confirming);
	ck_assert_uint_eq(r.succ[0].misses, 0);
	ring_tick(&r, 4 * TIMEOUT);
	ring_tick(&r, INTERVAL);
	ck_assert_uint_eq(out_events(&r, CON_DEAD), 0);
	ck_assert_uint_eq(r.succ[0].c.id, 5);
	ck_assert_uint_eq(r.stats.confirmed_alive, 1);
}
END_TEST

CASE("heal", test_ring_heal_late_ping_answer_during_question_means_alive)
{
	static struct ring	r;

	lone_third_miss(&r);
	lone_pong(&r, 5, r.succ[0].seq_lo, 3 * TIMEOUT + 10);
	ck_assert(!r.succ[0].confirming);
	ring_clear_actions(&r);
	ring_tick(&r, 4 * TIMEOUT);
	ck_assert_uint_eq(out_events(&r, CON_DEAD), 0);
}
END_TEST

CASE("heal", test_ring_heal_refused_question_means_dead_at_once)
{
	static struct ring	r;
	struct contact		c5 = contact_of(5);

	lone_third_miss(&r);
	ring_on_send_failed(&r, &c5, WIRE_SUCC_QUERY, 3 * TIMEOUT);
	ck_assert_uint_eq(out_events(&r, CON_DEAD), 1);
	ck_assert_uint_eq(r.succ[0].c.id, 8);
}
END_TEST

CASE("heal", test_ring_heal_unanswered_question_means_dead_one_timeout_later)
{
	static struct ring	r;

	lone_third_miss(&r);
	ring_clear_actions(&r);
	ring_tick(&r, 4 * TIMEOUT - 1);
	ck_assert_uint_eq(out_events(&r, CON_DEAD), 0);
	ring_tick(&r, 4 * TIMEOUT);
	ck_assert_uint_eq(out_events(&r, CON_DEAD), 1);
}
END_TEST

/* ============================ predecessors ============================ */

CASE("heal", test_ring_heal_new_predecessor_must_fit)
{
	static struct ring	r;

	lone_start(&r, 10, 12, 15);
	lone_ping(&r, 8, 1, 0);
	lone_ping(&r, 5, 1, 10);		/* before 8: does not fit */
	ck_assert_uint_eq(r.pred[0].c.id, 8);
	lone_ping(&r, 9, 1, 20);		/* between 8 and us: fits */
	ck_assert_uint_eq(r.pred[0].c.id, 9);
	/* 9 quiet past a round and a timeout */
	lone_ping(&r, 5, 1, 20 + INTERVAL + TIMEOUT + 1);
	ck_assert_uint_eq(r.pred[0].c.id, 5);
}
END_TEST

/* ================================ deadlines ================================ */

CASE("heal", test_ring_heal_deadline_is_a_stored_field)
{
	static struct ring	r;

	lone_round(&r, 4, 5, 8);
	ck_assert_uint_eq(ring_next_deadline(&r), r.succ[0].deadline);
	lone_answered(&r, 1);
	ck_assert_uint_eq(r.succ[0].deadline, RING_NEVER);
	ck_assert_uint_eq(ring_next_deadline(&r), r.next_round);
	lone_ping(&r, 3, 1, 2);
	ck_assert_uint_eq(r.pred[0].expire_at, 2 + BUDGET + 1);
	ck_assert_uint_eq(ring_next_deadline(&r), INTERVAL);
}
END_TEST

/* ====================== third successor, stabilize ====================== */

CASE("heal", test_ring_heal_third_successor_learned_from_second)
{
	size_t	i;

	classic_up();
	net_run_until(INTERVAL + 1);
	for (i = 0; i < NCLASSIC; i++) {
		const struct ring *r = ring_of(classic_ids[i]);

		ck_assert_msg(r->third_known && r->third.id == classic_ids[(i + 3) % NCLASSIC],
		    "peer %d: third %d%s", classic_ids[i], r->third.id, r->third_known ? "" : "?");
	}
	/* Only the two successors are pinged. */
	ck_assert_uint_eq(count_acts(4, RING_ACT_UDP, WIRE_PING_REQ, 10), 0);
}
END_TEST

CASE("heal", test_ring_heal_two_adjacent_deaths_heal_through_third)
{
	static const int	left[] = { 1, 3, 4, 10, 12, 15 };

	classic_up();
	net_run_until(INTERVAL + 1);
	net_kill(5);
	net_kill(8);
	net_clear_logs();
	expect_settled(8 * INTERVAL, left, sizeof left / sizeof left[0], false);
	ck_assert_uint_eq(ring_of(4)->stats.third_used, 1);
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 5));
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 8));
	ck_assert_ptr_nonnull(find_event(4, CON_SUCCESSORS, 10));
	ck_assert_int_eq(find_event(4, CON_SUCCESSORS, 10)->ev.b, 12);
}
END_TEST

/*
 * The second successor dies first (killed: refused at once), then the first before it
 * answers the repair question (stopped, then killed): the third, the dead second's
 * successor, carries the ring on (it was forgotten with the second: 4 was cut off for good).
 */
CASE("heal", test_ring_heal_second_then_first_dead_heal_through_third)
{
	static const int	left[] = { 1, 3, 4, 10, 12, 15 };

	classic_up();
	net_run_until(INTERVAL + 1);
	net_pause(5);
	net_kill(8);
	net_clear_logs();
	net_run_until(net.now + 4 * INTERVAL);
	net_kill(5);
	expect_settled(net.now + 8 * INTERVAL, left, sizeof left / sizeof left[0], false);
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 8));
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 5));
	ck_assert_uint_ge(ring_of(4)->stats.third_used, 1);
}
END_TEST

CASE("heal", test_ring_heal_wrong_second_successor_corrected)
{
	net_reset();
	net_add_classic_but(4);
	net_add_ring(4, 5, 10);		/* wrong: 8 comes before 10 */
	net_run_until(1);
	net_clear_logs();
	net_run_until(INTERVAL + 2 * (INTERVAL + (THRESHOLD + 1) * TIMEOUT));
	expect_succs(4, 5, 8);
	EXPECT_EVENTS(4, EV(CON_SUCCESSORS, 5, 8));
	expect_consistent(classic_ids, NCLASSIC);
}
END_TEST

/* ========================= wrong verdicts heal ========================= */

/*
 * The bound of docs/DESIGN.md ("Healing and convergence"), once the network is clean:
 * 2B + 5 x interval + timeout, with the detection budget B = interval + (threshold + 1) x
 * timeout.
 */
static uint64_t
heal_bound(void)
{
	uint64_t	budget = net.interval + (uint64_t)(net.threshold + 1) * net.timeout;

	return 2 * budget + 5 * (uint64_t)net.interval + net.timeout;
}

/* Run until the live rings of ids are the true ring; fail past the bound. The time taken. */
static uint64_t
run_until_consistent(const int *ids, size_t n, uint64_t bound)
{
	uint64_t	start = net.now;

	while (!net_consistent(ids, n)) {
		ck_assert_msg(net.now - start <= bound, "not whole %llu ms after the fault ended",
		    (unsigned long long)(net.now - start));
		net_run_until(net.now + 10);
	}
	return net.now - start;
}

/* No ring of ids is its own first successor (checked while faults go on). */
static void
expect_never_own_successor(const int *ids, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		const struct ring *r = ring_of(ids[i]);

		ck_assert_msg(!r->succ[0].known || r->succ[0].c.id != ids[i],
		    "peer %d is its own first successor at %llu", ids[i],
		    (unsigned long long)net.now);
	}
}

/* A classic ring at 0.2 s pings (timeout 0.2 s, threshold 3), past its first round. */
static void
fast_classic_up(void)
{
	net_reset();
	net.interval = 200;
	net.timeout = 200;
	net_add_ring_of(classic_ids, NCLASSIC);
	net_run_until(1);
}

CASE("heal", test_ring_heal_paused_peer_back_in_place)
{
	uint64_t	took;

	fast_classic_up();
	net_run_until(1000);
	net_pause(5);
	net_run_until(6000);			/* 5 s: 3 and 4 declare 5 dead */
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 5));
	ck_assert_ptr_nonnull(find_event(3, CON_DEAD, 5));
	net_clear_logs();
	net_resume(5);
	took = run_until_consistent(classic_ids, NCLASSIC, heal_bound());
	fprintf(stderr, "paused 5 s: whole again %llu ms after SIGCONT\n",
	    (unsigned long long)took);
	ck_assert_ptr_nonnull(find_event(4, CON_SUCCESSORS, 5));
	ck_assert_int_eq(find_event(4, CON_SUCCESSORS, 5)->ev.b, 8);
	ck_assert_ptr_nonnull(find_event(3, CON_SUCCESSORS, 4));
	ck_assert_uint_eq(count_events(5, CON_DEAD, -1), 0);
}
END_TEST

CASE("heal", test_ring_heal_late_starter_taken_in)
{
	size_t	i;

	fast_classic_up();
	for (i = 0; i < NCLASSIC; i++)	/* 5 was never there: its ring starts later */
		if (classic_ids[i] == 5)
			node_of(5)->used = false;
	net_run_until(3000);
	ck_assert_ptr_nonnull(find_event(4, CON_DEAD, 5));
	net_clear_logs();
	net_add_ring(5, 8, 10);
	run_until_consistent(classic_ids, NCLASSIC, heal_bound());
	ck_assert_ptr_nonnull(find_event(4, CON_SUCCESSORS, 5));
	ck_assert_ptr_nonnull(find_event(3, CON_SUCCESSORS, 4));
}
END_TEST

/* Looped over 5%, 10%, 20%: UDP loss alone never kills a peer (TCP confirms it alive). */
CASE_LOOP("heal", test_ring_heal_udp_loss_makes_no_false_death, 3)
{
	static const double	losses[] = { 0.05, 0.10, 0.20 };
	size_t			i;
	uint64_t		t;

	fast_classic_up();
	net_set_loss(losses[_i], 0x5eed0000ULL + (uint64_t)_i);
	for (t = 0; t < 60000; t += 100) {
		net_run_until(net.now + 100);
		expect_never_own_successor(classic_ids, NCLASSIC);
	}
	ck_assert_uint_gt(net.dropped, 0);
	for (i = 0; i < NCLASSIC; i++)
		ck_assert_msg(count_events(classic_ids[i], CON_DEAD, -1) == 0,
		    "%g%% loss: peer %d declared a live peer dead", losses[_i] * 100,
		    classic_ids[i]);
	net_set_loss(0, 1);
	run_until_consistent(classic_ids, NCLASSIC, heal_bound());
}
END_TEST

/* Looped over loss rates: UDP and TCP both lossy, so wrong verdicts happen; then clean. */
CASE_LOOP("heal", test_ring_heal_lossy_network_converges_after, 4)
{
	static const double	losses[] = { 0.05, 0.10, 0.20, 0.30 };
	uint64_t		t, took, deaths = 0;
	size_t			i;

	fast_classic_up();
	net_set_loss(losses[_i], 0x1055ULL + (uint64_t)_i);
	net_set_tcp_loss(losses[_i]);
	for (t = 0; t < 30000; t += 100) {
		net_run_until(net.now + 100);
		expect_never_own_successor(classic_ids, NCLASSIC);
	}
	for (i = 0; i < NCLASSIC; i++)
		deaths += count_events(classic_ids[i], CON_DEAD, -1);
	net_set_loss(0, 1);
	net_set_tcp_loss(0);
	took = run_until_consistent(classic_ids, NCLASSIC, heal_bound());
	fprintf(stderr, "%g%% UDP+TCP loss for 30 s (%llu wrong verdicts): whole %llu ms after\n",
	    losses[_i] * 100, (unsigned long long)deaths, (unsigned long long)took);
}
END_TEST

/* Looped over seeds: a ring that lost a peer to a false verdict takes it back. */
CASE("heal", test_ring_heal_muted_peer_readopted)
{
	fast_classic_up();
	net_run_until(1000);
	node_of(10)->mute = true;		/* hears, answers nothing (a hung peer) */
	net_run_until(3000);
	ck_assert_ptr_nonnull(find_event(8, CON_DEAD, 10));
	node_of(10)->mute = false;
	net_clear_logs();
	run_until_consistent(classic_ids, NCLASSIC, heal_bound());
	ck_assert_uint_ge(ring_of(8)->stats.readopted, 1);
	EXPECT_EVENTS(8, EV(CON_SUCCESSORS, 10, 12));
}
END_TEST

CASE("heal", test_ring_heal_healthy_ring_prints_only_the_seeds_lines)
{
	size_t	i;

	fast_classic_up();
	net_clear_logs();
	net_run_until(20000);
	for (i = 0; i < NCLASSIC; i++)
		EXPECT_NO_EVENTS(classic_ids[i]);
	ck_assert_uint_eq(total(RING_ACT_TCP), 0);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST

/* =============================== wording =============================== */

CASE("heal", test_ring_heal_failed_forward_told_in_words)
{
	static struct ring		 r;
	struct contact			 c5 = contact_of(5);
	const struct ring_action	*w;

	lone_start(&r, 4, 5, 8);
	ring_request(&r, 2012, 7, WIRE_MODE_TCP, 0);
	ck_assert_ptr_nonnull(out_find(&r, RING_ACT_TCP, WIRE_FILE_REQ, 5, 0));
	ring_clear_actions(&r);
	ring_on_send_failed(&r, &c5, WIRE_FILE_REQ, 1);
	w = out_find(&r, RING_ACT_WARN, -1, -1, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(w->text,
	    "could not pass the request for 2012 on to peer 5 at 127.0.0.1:50005");
	ring_clear_actions(&r);
	ring_store(&r, 4103, 8, 2);
	ring_clear_actions(&r);
	ring_on_send_failed(&r, &c5, WIRE_STORE_REQ, 3);
	ck_assert_str_eq(out_find(&r, RING_ACT_WARN, -1, -1, 0)->text,
	    "could not pass the store for 4103 on to peer 5 at 127.0.0.1:50005");
}
END_TEST

/* ============================== robustness ============================== */

/*
 * Feed classic peer id every message that must change nothing: answers nobody asked for,
 * departures and acceptances from strangers, forged joins, changes about nobody, transfer
 * messages outside any transfer.
 */
static void
inject_nonsense(int id)
{
	struct ring	*r = ring_of(id);
	struct wire_msg	 m;
	int		 p = r->pred[0].c.id, s1 = r->succ[0].c.id, type;

	m = msg_from(WIRE_PING_RSP, 200);
	m.u.ping_rsp.seq = r->next_seq;
	net_inject(id, &m);
	m = msg_from(WIRE_PING_RSP, s1);
	m.u.ping_rsp.seq = 0xffffffffu;
	net_inject(id, &m);
	m = msg_succs(WIRE_DEPART, 200, 201, 202);
	net_inject(id, &m);
	m = msg_succs(WIRE_DEPART, p, 201, 202);	/* a predecessor is no successor */
	net_inject(id, &m);
	m = msg_from(WIRE_DEPART_ACK, 200);
	net_inject(id, &m);
	m = msg_from(WIRE_DEPART_ACK, s1);
	net_inject(id, &m);
	m = reply_of(s1, 12345, 201, 202);	/* nothing asked */
	net_inject(id, &m);
	m = reply_of(s1, r->query_id, 201, -1);
	net_inject(id, &m);
	m = msg_succs(WIRE_JOIN_ACCEPT, 200, 201, 202);
	net_inject(id, &m);
	m = msg_from(WIRE_JOIN_REJECT, 200);
	m.u.reject.reason = WIRE_REJECT_ID_TAKEN;
	net_inject(id, &m);
	m.u.reject.reason = WIRE_REJECT_NOT_READY;
	net_inject(id, &m);
	m = msg_join(200, id, WIRE_TTL);	/* a joiner named like this peer */
	net_inject(id, &m);
	m.u.join.joiner = contact_of(s1);	/* ... and like its successor */
	net_inject(id, &m);
	m.u.join.joiner = contact_of(id);
	m.u.join.ttl = 0;
	net_inject(id, &m);
	m = msg_change(200, 200, 201, 3);	/* about a peer nobody has */
	net_inject(id, &m);
	m.u.change.ttl = 0;
	net_inject(id, &m);
	m = msg_from(WIRE_SUCC_QUERY, 200);
	m.u.query.qid = 99;
	net_inject(id, &m);
	m = msg_route(WIRE_FILE_REQ, 200, 200, 9999, WIRE_TTL, 0);
	net_inject(id, &m);
	m = msg_route(WIRE_STORE_REQ, 200, 200, 0, 1, 0);
	net_inject(id, &m);
	for (type = WIRE_PING_REQ; type < WIRE_TYPE_END; type++)
		if (type == WIRE_DATA || type == WIRE_ACK || type == WIRE_FILE_RSP ||
		    type == WIRE_STORE_DATA) {
			m = msg_from(type, 200);
			net_inject(id, &m);
		}
}

CASE("robustness", test_ring_nonsense_messages_leave_successors_alone)
{
	size_t	i;

	classic_up();
	net_run_until(500);
	net_clear_logs();
	for (i = 0; i < NCLASSIC; i++)
		inject_nonsense(classic_ids[i]);
	for (i = 0; i < NCLASSIC; i++) {
		int id = classic_ids[i];

		expect_succs(id, classic_ids[(i + 1) % NCLASSIC], classic_ids[(i + 2) % NCLASSIC]);
		ck_assert_uint_eq(count_events(id, CON_SUCCESSORS, -1), 0);
		ck_assert_uint_eq(count_events(id, CON_DEAD, -1), 0);
		ck_assert(!node_of(id)->exited);
	}
	expect_settled(8 * INTERVAL, classic_ids, NCLASSIC, true);
}
END_TEST

CASE("robustness", test_ring_succ_change_for_unknown_peer_dies_out)
{
	struct wire_msg	m = msg_change(3, 200, 201, WIRE_TTL);

	classic_inject(1, &m);
	/* It goes 1 -> 3 -> ... -> 15, where 200 lies between 15 and its successor 1: nobody
	 * further on can have 200 as first successor, so 15 drops it (7 hops, not 255). */
	ck_assert_uint_eq(total(RING_ACT_WARN), 1);
	ck_assert_uint_eq(count_acts(15, RING_ACT_WARN, -1, -1), 1);
	ck_assert_uint_eq(total(RING_ACT_TCP), NCLASSIC - 1);
	expect_consistent(classic_ids, NCLASSIC);
}
END_TEST

/* A DEPART, SUCC_CHANGE or JOIN_ACCEPT naming ourselves as first successor is ignored. */
CASE("robustness", test_ring_messages_naming_us_first_are_ignored)
{
	/* 10 tells 8: "take (8, 12)", then "take (10, 8)" */
	struct wire_msg	d = msg_succs(WIRE_DEPART, 10, 8, 12);
	struct wire_msg	c = msg_change(10, 10, 8, WIRE_TTL);

	classic_inject(8, &d);
	net_inject(8, &c);
	ck_assert_uint_eq(count_events(8, CON_SUCCESSORS, -1), 0);
	ck_assert_uint_eq(count_acts(8, RING_ACT_WARN, -1, -1), 2);
	expect_consistent(classic_ids, NCLASSIC);
}
END_TEST

CASE("robustness", test_ring_join_request_for_unplaceable_id_dies_out)
{
	/* A joiner id that every hop forwards (here: ttl runs out before the right peer). */
	struct wire_msg	m = msg_join(200, 2, 3);
	size_t		i;

	classic_inject(4, &m);
	ck_assert_uint_eq(total(RING_ACT_WARN), 1);
	for (i = 0; i < NCLASSIC; i++)
		ck_assert_uint_eq(count_events(classic_ids[i], CON_SUCCESSORS, -1), 0);
}
END_TEST

CASE("robustness", test_ring_transfer_messages_ignored_with_warning)
{
	static struct ring	r;
	static const int	types[] = { WIRE_DATA, WIRE_ACK, WIRE_FILE_RSP, WIRE_STORE_DATA };
	size_t			i;

	lone_start(&r, 4, 5, 8);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct wire_msg m = msg_from(types[i], 5);

		ring_clear_actions(&r);
		ring_on_msg(&r, &m, 0);
		ck_assert_uint_eq(r.nout, 1);
		ck_assert_int_eq(r.out[0].kind, RING_ACT_WARN);
	}
}
END_TEST

CASE("robustness", test_ring_messages_after_exit_change_nothing)
{
	struct wire_msg	m;
	struct ring	*r;

	classic_quit(10);
	r = ring_of(10);
	ck_assert_int_eq(r->state, RING_EXITED);
	node_of(10)->dead = false;	/* look at what a gone ring does with late messages */
	m = msg_ping(8, r->cfg.self.id, 1, 0);
	net_inject(10, &m);
	m = msg_from(WIRE_SUCC_QUERY, 8);
	net_inject(10, &m);
	m = msg_route(WIRE_FILE_REQ, 8, 8, 2012, 9, 0);
	net_inject(10, &m);
	ck_assert_uint_eq(count_acts(10, RING_ACT_UDP, -1, -1), 0);
	ck_assert_uint_eq(count_acts(10, RING_ACT_TCP, WIRE_SUCC_REPLY, -1), 0);
	ck_assert_uint_eq(count_acts(10, RING_ACT_TCP, WIRE_FILE_REQ, -1), 0);
	ck_assert_uint_eq(ring_next_deadline(r), RING_NEVER);
}
END_TEST

/* A deterministic generator (splitmix64), so every run feeds the same messages. */
static struct xfer_rng	rng_state = { 0x72696e67ULL };

/* The next 64 pseudo-random bits: the core's own generator, seeded here. */
static uint64_t
rng_next(void)
{
	return xfer_rng_next(&rng_state);
}

/* A random id, mostly one of the ring's, sometimes a stranger. */
static int
rng_id(void)
{
	if (rng_next() % 4 == 0)
		return (int)(rng_next() % KEYS_RING_SIZE);
	return classic_ids[rng_next() % NCLASSIC];
}

/* A random message, valid as far as the wire codec can tell (checked by a round trip). */
static bool
rng_msg(struct wire_msg *out)
{
	static uint8_t	buf[WIRE_MAX_FRAME];
	struct wire_msg	m;
	size_t		len;

	memset(&m, 0, sizeof m);
	m.type = (uint8_t)(WIRE_PING_REQ + rng_next() % (WIRE_TYPE_END - WIRE_PING_REQ));
	m.from = contact_of(rng_id());
	switch (m.type) {
	case WIRE_PING_REQ:
		m.u.ping_req.seq = (uint32_t)(rng_next() % 64);
		m.u.ping_req.role = (uint8_t)(1 + rng_next() % 2);
		m.u.ping_req.to = (uint8_t)rng_id();
		break;
	case WIRE_PING_RSP:
		m.u.ping_rsp.seq = (uint32_t)(rng_next() % 64);
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		m.u.route.file = (uint16_t)(rng_next() % (KEYS_FILE_MAX + 1));
		m.u.route.id = (uint32_t)rng_next();
		m.u.route.origin = contact_of(rng_id());
		m.u.route.ttl = (uint8_t)rng_next();
		m.u.route.flags = (uint8_t)(rng_next() % 2);
		m.u.route.mode = (uint8_t)(rng_next() % 2);
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		m.u.succs.s1 = contact_of(rng_id());
		m.u.succs.s2 = contact_of(rng_id());
		break;
	case WIRE_SUCC_QUERY:
		m.u.query.qid = (uint32_t)(rng_next() % 8);
		break;
	case WIRE_SUCC_REPLY:
		m.u.reply.qid = (uint32_t)(rng_next() % 8);
		m.u.reply.s1 = rng_next() % 4 ? contact_of(rng_id()) : contact_none();
		m.u.reply.s2 = rng_next() % 4 ? contact_of(rng_id()) : contact_none();
		break;
	case WIRE_JOIN_REQ:
		m.u.join.joiner = contact_of(rng_id());
		m.u.join.ttl = (uint8_t)rng_next();
		break;
	case WIRE_JOIN_REJECT:
		m.u.reject.reason = (uint8_t)(1 + rng_next() % 2);
		break;
	case WIRE_SUCC_CHANGE:
		m.u.change.s1 = contact_of(rng_id());
		m.u.change.s2 = contact_of(rng_id());
		m.u.change.ttl = (uint8_t)rng_next();
		break;
	default:
		return false;	/* transfer messages do not reach the ring */
	}
	len = wire_encode(&m, buf, sizeof buf);
	if (len == 0 || wire_decode(buf, len, out, NULL) != 0)
		return false;
	return true;
}

/* Sort ids in place (tiny insertion sort: ring order is numeric order). */
static void
sort_ids(int *ids, size_t n)
{
	size_t	i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			int t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
}

/* Looped over seeds: kills, quits and joins one at a time; the ring heals after each. */
CASE_LOOP("robustness", test_ring_random_churn_heals, 20)
{
	int	ids[NET_MAX], n = 0, step, i;
	bool	used[KEYS_RING_SIZE] = { false };

	xfer_rng_seed(&rng_state, 0xc0ffee00ULL + (uint64_t)_i);
	net_reset();
	while (n < 10) {
		int id = (int)(rng_next() % KEYS_RING_SIZE);

		if (!used[id]) {
			used[id] = true;
			ids[n++] = id;
		}
	}
	sort_ids(ids, (size_t)n);
	net_add_ring_of(ids, (size_t)n);
	expect_settled(net.now + 3 * INTERVAL, ids, (size_t)n, false);
	for (step = 0; step < 24; step++) {
		int op = (int)(rng_next() % 3), k = (int)(rng_next() % (uint64_t)n);

		if (op == 2 || n <= 4) {
			int id, via = ids[k];

			if (n + 1 >= NET_MAX - 2)
				continue;
			do
				id = (int)(rng_next() % KEYS_RING_SIZE);
			while (used[id]);
			used[id] = true;
			net_add_joiner(id, (uint16_t)(BASE_PORT + id), via);
			ids[n++] = id;
			sort_ids(ids, (size_t)n);
		} else {
			if (op == 0)
				net_kill(ids[k]);
			else
				ring_quit(ring_of(ids[k]), net.now);
			for (i = k; i < n - 1; i++)
				ids[i] = ids[i + 1];
			n--;
		}
		net_run_until(net.now + 4 * INTERVAL + (rng_next() % INTERVAL));
		expect_consistent(ids, (size_t)n);
	}
}
END_TEST

CASE("robustness", test_ring_random_valid_messages_never_crash)
{
	struct wire_msg	m;
	int		sent = 0, k;

	classic_up();
	for (k = 0; k < FUZZ_MSGS; k++) {
		int to = classic_ids[rng_next() % NCLASSIC];

		if (k % 50 == 0)
			net_run_until(net.now + rng_next() % (2 * INTERVAL));
		if (node_of(to)->dead || !rng_msg(&m))
			continue;
		net_inject(to, &m);
		sent++;
	}
	net_run_until(net.now + 30 * INTERVAL);
	ck_assert_int_gt(sent, FUZZ_MSGS / 2);
	for (k = 0; k < (int)NCLASSIC; k++) {
		const struct ring *r = ring_of(classic_ids[k]);

		ck_assert_uint_eq(r->overflow, 0);
		ck_assert_uint_le(r->nout, RING_MAX_ACTIONS);
	}
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("ring_heal", CASE_OPTS({ "heal", HEAL_TIMEOUT, NULL, NULL },
	    { "robustness", FUZZ_TIMEOUT, NULL, NULL }));
}
