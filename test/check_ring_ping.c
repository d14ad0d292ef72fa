/*
 * Unit tests of the ring state machine. Pings and predecessors: rounds, answers, windows, who pings us (SPEC §5).
 * The network, the fake clock and the helpers are the shared fakes (fakes.h).
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


/* ================================ pings ================================ */

CASE("ping", test_ring_first_round_due_at_start)
{
	static struct ring	r;

	lone_start(&r, 4, 5, 8);
	ck_assert_uint_eq(ring_next_deadline(&r), 0);
	ck_assert_uint_eq(r.nout, 0);
}
END_TEST

CASE("ping", test_ring_first_round_pings_both_successors)
{
	static struct ring		 r;
	const struct ring_action	*p1, *p2;

	lone_round(&r, 4, 5, 8);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, -1, -1), 2);
	ck_assert_uint_eq(out_count(&r, RING_ACT_TCP, -1, -1), 0);
	p1 = out_find(&r, RING_ACT_UDP, WIRE_PING_REQ, 5, 0);
	p2 = out_find(&r, RING_ACT_UDP, WIRE_PING_REQ, 8, 0);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	ck_assert_uint_eq(p1->msg.u.ping_req.role, 1);
	ck_assert_uint_eq(p2->msg.u.ping_req.role, 2);
	ck_assert_uint_eq(p1->msg.from.id, 4);
	ck_assert_uint_eq(p1->to.port, BASE_PORT + 5);
	ck_assert_uint_gt(p2->msg.u.ping_req.seq, p1->msg.u.ping_req.seq);
	ck_assert_uint_eq(out_events(&r, CON_PING_SENT), 1);
	ck_assert_int_eq(out_find(&r, RING_ACT_EVENT, -1, -1, 0)->ev.a, 5);
	ck_assert_int_eq(out_find(&r, RING_ACT_EVENT, -1, -1, 0)->ev.b, 8);
}
END_TEST

CASE("ping", test_ring_sequence_numbers_increase_across_rounds)
{
	static struct ring	r;
	uint32_t		a, b;

	a = lone_round(&r, 4, 5, 8);
	lone_answered(&r, 10);
	b = out_seq(&r, 8);
	ring_clear_actions(&r);
	ck_assert_uint_eq(ring_next_deadline(&r), INTERVAL);
	ring_tick(&r, INTERVAL);
	ck_assert_uint_gt(out_seq(&r, 5), b);
	ck_assert_uint_gt(out_seq(&r, 8), out_seq(&r, 5));
	ck_assert_uint_gt(out_seq(&r, 5), a);
}
END_TEST

CASE("ping", test_ring_ping_sent_event_needs_both_successors)
{
	net_reset();
	net_add_ring(4, 5, 8);
	net_add_puppet(5, true);
	net_add_puppet(8, false);	/* never answers: declared dead at 800 (600 + the TCP
					 * question's timeout), repair unanswered */
	net_run_until(900);
	ck_assert_uint_eq(count_events(4, CON_DEAD, 8), 1);
	ck_assert(!ring_of(4)->succ[1].known);
	net_clear_logs();
	net_run_until(INTERVAL + 1);
	ck_assert_uint_eq(count_acts(4, RING_ACT_UDP, WIRE_PING_REQ, 5), 1);
	ck_assert_uint_eq(count_acts(4, RING_ACT_UDP, WIRE_PING_REQ, 8), 0);
	ck_assert_uint_eq(count_events(4, CON_PING_SENT, -1), 0);
}
END_TEST

CASE("ping", test_ring_response_clears_miss_window)
{
	static struct ring	r;

	lone_pong(&r, 5, lone_round(&r, 4, 5, 8), 50);
	ck_assert(!r.succ[0].awaiting);
	ck_assert_uint_eq(r.succ[0].misses, 0);
	ck_assert_uint_eq(out_events(&r, CON_PING_RSP_RCVD), 1);
	ring_clear_actions(&r);
	/* 8 did not answer: only 8 is probed again at the timeout. */
	ck_assert_uint_eq(ring_next_deadline(&r), TIMEOUT);
	ring_tick(&r, TIMEOUT);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, WIRE_PING_REQ, 8), 1);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, WIRE_PING_REQ, 5), 0);
	ck_assert_uint_eq(r.succ[0].misses, 0);
	ck_assert_uint_eq(r.succ[1].misses, 1);
}
END_TEST

CASE("ping", test_ring_response_from_unknown_peer_ignored)
{
	static struct ring	r;
	uint32_t		seq = lone_round(&r, 4, 5, 8);

	ring_clear_actions(&r);
	lone_pong(&r, 77, seq, 50);
	lone_pong(&r, 4, seq, 50);	/* ourselves */
	ck_assert(r.succ[0].awaiting && r.succ[1].awaiting);
	ck_assert_uint_eq(out_events(&r, CON_PING_RSP_RCVD), 0);
}
END_TEST

CASE("ping", test_ring_stale_response_ignored)
{
	static struct ring	r;
	uint32_t		old5 = lone_round(&r, 4, 5, 8);

	lone_answered(&r, 10);
	ring_clear_actions(&r);
	ring_tick(&r, INTERVAL);
	ring_clear_actions(&r);
	/* A duplicate of last round's answer, and one for a ping never sent. */
	lone_pong(&r, 5, old5, INTERVAL + 10);
	lone_pong(&r, 5, r.next_seq + 1, INTERVAL + 10);
	lone_pong(&r, 5, 0, INTERVAL + 10);
	ck_assert(r.succ[0].awaiting);
	ck_assert_uint_eq(out_events(&r, CON_PING_RSP_RCVD), 0);
}
END_TEST

CASE("ping", test_ring_late_response_within_window_counts)
{
	static struct ring	r;
	uint32_t		first = lone_round(&r, 4, 5, 8);

	ring_clear_actions(&r);
	ring_tick(&r, TIMEOUT);		/* miss: 5 is probed again with a new number */
	ck_assert_uint_ne(out_seq(&r, 5), first);
	ck_assert_uint_eq(r.succ[0].misses, 1);
	ring_clear_actions(&r);
	lone_pong(&r, 5, first, TIMEOUT + 50);	/* the first ping's answer, late */
	ck_assert(!r.succ[0].awaiting);
	ck_assert_uint_eq(r.succ[0].misses, 0);
	ck_assert_uint_eq(out_events(&r, CON_PING_RSP_RCVD), 1);
}
END_TEST

CASE("ping", test_ring_ping_request_answered_with_same_seq)
{
	static struct ring		 r;
	struct wire_msg			 m = msg_ping(3, 4, 1, 0xdeadbeef);
	const struct ring_action	*a;

	lone_start(&r, 4, 5, 8);
	ring_on_msg(&r, &m, 5);
	a = out_find(&r, RING_ACT_UDP, WIRE_PING_RSP, 3, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->msg.u.ping_rsp.seq, 0xdeadbeef);
	ck_assert_uint_eq(a->to.port, BASE_PORT + 3);
	ck_assert_uint_eq(out_events(&r, CON_PING_REQ_RCVD), 1);
}
END_TEST

CASE("ping", test_ring_quiet_pings_silences_only_ping_lines)
{
	static struct ring	r;
	struct contact		self = contact_of(4), c1 = contact_of(5), c2 = contact_of(8);
	struct ring_cfg		cfg;
	size_t			i;

	net_reset();
	cfg = cfg_of(&self);
	cfg.quiet_pings = true;
	ring_init(&r, &cfg);
	ring_start(&r, &c1, &c2, 0);
	ring_tick(&r, 0);
	lone_pong(&r, 5, out_seq(&r, 5), 10);
	ring_request(&r, 2012, 1, WIRE_MODE_TCP, 10);
	for (i = 0; i < r.nout; i++)
		if (r.out[i].kind == RING_ACT_EVENT)
			ck_assert_msg(!console_is_ping(r.out[i].ev.kind), "ping line printed");
	ck_assert_uint_eq(out_events(&r, CON_REQ_SENT), 1);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, WIRE_PING_REQ, -1), 2);
}
END_TEST

/* ============================= predecessors ============================= */

CASE("predecessors", test_ring_predecessors_learned_in_one_round)
{
	size_t	i;

	classic_up();
	for (i = 0; i < NCLASSIC; i++)
		expect_preds(classic_ids[i], classic_ids[(i + NCLASSIC - 1) % NCLASSIC],
		    classic_ids[(i + NCLASSIC - 2) % NCLASSIC]);
}
END_TEST

CASE("predecessors", test_ring_live_ring_stays_consistent)
{
	size_t	i;

	classic_up();
	net_clear_logs();
	expect_settled(20 * INTERVAL, classic_ids, NCLASSIC, false);
	for (i = 0; i < NCLASSIC; i++)
		EXPECT_NO_EVENTS(classic_ids[i]);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
	ck_assert_uint_eq(total(RING_ACT_TCP), 0);
}
END_TEST

/* Ring 5 with answering puppets 8 and 10 as successors, and a silent puppet 4. */
static struct ring *
ring5_among_puppets(void)
{
	struct ring	*r;

	net_reset();
	r = net_add_ring(5, 8, 10);
	net_add_puppet(8, true);
	net_add_puppet(10, true);
	net_add_puppet(4, false);
	return r;
}

CASE("predecessors", test_ring_stale_predecessor_forgotten)
{
	struct wire_msg	m = msg_ping(4, 5, 1, 1);
	struct ring	*r = ring5_among_puppets();

	net_run_until(100);
	net_inject(5, &m);
	ck_assert(r->pred[0].known && r->pred[0].c.id == 4);
	net_run_until(100 + BUDGET);
	ck_assert_msg(r->pred[0].known, "forgotten before interval + threshold x timeout");
	ck_assert_uint_le(ring_next_deadline(r), 100 + BUDGET + 1);
	net_run_until(100 + BUDGET + 1);
	ck_assert_msg(!r->pred[0].known, "still remembered after the budget");
}
END_TEST

CASE("predecessors", test_ring_pinging_predecessor_kept)
{
	struct ring	*r = ring5_among_puppets();
	uint64_t	 t;

	for (t = 100; t < 10 * INTERVAL; t += INTERVAL) {
		struct wire_msg m = msg_ping(4, 5, 2, (uint32_t)t);

		net_run_until(t);
		net_inject(5, &m);
		ck_assert(r->pred[1].known && r->pred[1].c.id == 4);
	}
}
END_TEST

CASE("predecessors", test_ring_quit_ignores_forgotten_predecessor)
{
	struct wire_msg	m = msg_ping(4, 5, 1, 1);

	ring5_among_puppets();
	net_inject(5, &m);
	net_quit_at(5, BUDGET + 1);
	ck_assert_uint_eq(count_acts(5, RING_ACT_TCP, WIRE_DEPART, -1), 0);
	ck_assert(node_of(5)->exited);
	ck_assert_int_eq(node_of(5)->exit_status, 0);
}
END_TEST

CASE("predecessors", test_ring_predecessor_changing_role_not_kept_twice)
{
	static struct ring	r;

	lone_start(&r, 5, 8, 10);
	lone_ping(&r, 3, 2, 0);
	ck_assert(r.pred[1].known && r.pred[1].c.id == 3);
	lone_ping(&r, 3, 1, 10);	/* 4 has gone: 3 is now our first predecessor */
	ck_assert(r.pred[0].known && r.pred[0].c.id == 3);
	ck_assert(!r.pred[1].known);
}
END_TEST


CASE("ping", test_ring_third_predecessor_from_second_predecessors_ping)
{
	classic_up();
	net_run_until(3 * INTERVAL + 1);
	/* 8's predecessors: 5 (first), 4 (second), and 4 names its own first, 3. */
	ck_assert(ring_of(8)->pred3_known);
	ck_assert_int_eq(ring_of(8)->pred3.id, 3);
	ck_assert_int_eq(ring_of(8)->pred3_via, 4);
	ck_assert_int_eq(ring_of(1)->pred3.id, 10);
}
END_TEST

CASE("ping", test_ring_ping_carries_first_predecessor)
{
	const struct rec *a;

	classic_up();
	net_run_until(2 * INTERVAL + 1);
	a = find_act(5, RING_ACT_UDP, WIRE_PING_REQ, 8, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->msg.u.ping_req.pred.id, 4);
}
END_TEST

/* ================================ foreign pings ================================ */

/* Our pings name the peer they are for. */
CASE("ping", test_ring_ping_names_its_receiver)
{
	static struct ring	r;

	lone_round(&r, 4, 5, 8);
	ck_assert_uint_eq(out_find(&r, RING_ACT_UDP, WIRE_PING_REQ, 5, 0)->msg.u.ping_req.to, 5);
	ck_assert_uint_eq(out_find(&r, RING_ACT_UDP, WIRE_PING_REQ, 8, 0)->msg.u.ping_req.to, 8);
}
END_TEST

/* A ping for another id (a peer of another ring probing our port) is neither answered nor learnt from. */
CASE("ping", test_ring_ping_for_another_id_dropped)
{
	static struct ring	r;
	struct wire_msg		m = msg_ping(3, 2, 1, 7);	/* for peer 2 */

	lone_start(&r, 4, 5, 8);
	ring_on_msg(&r, &m, 5);
	ck_assert_uint_eq(out_count(&r, RING_ACT_UDP, -1, -1), 0);
	ck_assert(!r.pred[0].known && !r.pred[1].known);
	ck_assert_uint_eq(out_count(&r, RING_ACT_WARN, -1, -1), 1);
	ck_assert_uint_eq(r.stats.foreign, 1);
}
END_TEST

/* Warnings about foreign pings come at most once per RING_WARN_EVERY_MS. */
CASE("ping", test_ring_foreign_ping_warning_rate_limited)
{
	static struct ring	r;
	struct wire_msg		m = msg_ping(3, 2, 1, 0);
	uint64_t		t;
	size_t			warns = 0;

	lone_start(&r, 4, 5, 8);
	for (t = 0; t < 2 * RING_WARN_EVERY_MS; t += 100) {
		ring_clear_actions(&r);
		ring_on_msg(&r, &m, t);
		warns += out_count(&r, RING_ACT_WARN, -1, -1);
	}
	ck_assert_uint_eq(warns, 2);
	ck_assert_uint_eq(r.stats.foreign, 2 * RING_WARN_EVERY_MS / 100);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("ring_ping", NULL);
}
