/*
 * Unit tests of the ring state machine. Graceful departure: both predecessors told, acknowledgements, exit (SPEC §5).
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


/* ============================== departure ============================== */

CASE("departure", test_ring_depart_seen_from_first_predecessor)
{
	classic_quit(10);
	EXPECT_EVENTS(8, EV(CON_DEPART, 10, 0), EV(CON_SUCCESSORS, 12, 15));
	expect_succs(8, 12, 15);
}
END_TEST

CASE("departure", test_ring_depart_seen_from_second_predecessor)
{
	classic_quit(10);
	EXPECT_EVENTS(5, EV(CON_DEPART, 10, 0), EV(CON_SUCCESSORS, 8, 12));
	expect_succs(5, 8, 12);
}
END_TEST

CASE("departure", test_ring_depart_tells_exactly_both_predecessors)
{
	const struct rec	*d;

	classic_quit(10);
	ck_assert_uint_eq(count_acts(10, RING_ACT_TCP, WIRE_DEPART, -1), 2);
	d = find_act(10, RING_ACT_TCP, WIRE_DEPART, 8, 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->msg.u.succs.s1.id, 12);
	ck_assert_uint_eq(d->msg.u.succs.s2.id, 15);
	ck_assert_ptr_nonnull(find_act(10, RING_ACT_TCP, WIRE_DEPART, 5, 0));
	EXPECT_NO_EVENTS(12);
	EXPECT_NO_EVENTS(15);
	EXPECT_NO_EVENTS(1);
}
END_TEST

CASE("departure", test_ring_departing_peer_exits_after_both_acks)
{
	const struct rec	*e;

	classic_quit(10);
	ck_assert(node_of(10)->exited);
	ck_assert_int_eq(node_of(10)->exit_status, 0);
	ck_assert_uint_eq(node_of(10)->exit_at, 1500);
	e = find_act(10, RING_ACT_EXIT, -1, -1, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(count_acts(10, RING_ACT_EXIT, -1, -1), 1);
}
END_TEST

CASE("departure", test_ring_departing_peer_waits_for_second_ack)
{
	classic_up();
	net_run_until(1500);
	node_of(5)->mute = true;	/* takes the notice, never acknowledges */
	ring_quit(ring_of(10), net.now);
	net_flush();
	ck_assert(!node_of(10)->exited);
	ck_assert_int_eq(ring_of(10)->state, RING_LEAVING);
	ck_assert_uint_eq(ring_next_deadline(ring_of(10)), 1500 + RING_LEAVE_WAIT_MS);
	net_run_until(1500 + RING_LEAVE_WAIT_MS - 1);
	ck_assert(!node_of(10)->exited);
	net_run_until(1500 + RING_LEAVE_WAIT_MS);
	ck_assert(node_of(10)->exited);
	ck_assert_int_eq(node_of(10)->exit_status, 0);
	ck_assert_uint_eq(node_of(10)->exit_at, 1500 + RING_LEAVE_WAIT_MS);
}
END_TEST

CASE("departure", test_ring_departing_peer_counts_unreachable_predecessor)
{
	classic_up();
	net_run_until(1500);
	net_kill(5);			/* the notice to 5 fails to connect */
	ring_quit(ring_of(10), net.now);
	net_flush();
	ck_assert(node_of(10)->exited);
	ck_assert_uint_eq(node_of(10)->exit_at, 1500);
}
END_TEST

CASE("departure", test_ring_quit_without_predecessors_exits_at_once)
{
	net_reset();
	net_add_ring_of(classic_ids, NCLASSIC);	/* no round yet: nobody has pinged 10 */
	ring_quit(ring_of(10), net.now);
	net_flush();
	ck_assert(node_of(10)->exited);
	ck_assert_int_eq(node_of(10)->exit_status, 0);
	ck_assert_uint_eq(count_acts(10, RING_ACT_TCP, -1, -1), 0);
}
END_TEST

CASE("departure", test_ring_ring_consistent_after_departure)
{
	static const int	left[] = { 1, 3, 4, 5, 8, 12, 15 };

	classic_quit(10);
	expect_settled(8 * INTERVAL, left, sizeof left / sizeof left[0], true);
}
END_TEST

CASE("departure", test_ring_depart_from_non_successor_changes_nothing)
{
	struct wire_msg	m;

	classic_up();
	net_clear_logs();
	/* 3 is 5's second predecessor, not a successor */
	m = msg_succs(WIRE_DEPART, 3, 4, 5);
	net_inject(5, &m);
	expect_succs(5, 8, 10);
	EXPECT_NO_EVENTS(5);
	ck_assert_uint_eq(count_acts(5, RING_ACT_WARN, -1, -1), 1);
	ck_assert_uint_eq(count_acts(5, RING_ACT_TCP, WIRE_DEPART_ACK, 3), 1);
}
END_TEST

CASE("departure", test_ring_depart_ack_from_stranger_ignored_while_leaving)
{
	struct wire_msg	m = msg_from(WIRE_DEPART_ACK, 77);

	classic_up();
	net_run_until(1500);
	node_of(5)->mute = true;
	node_of(8)->mute = true;
	ring_quit(ring_of(10), net.now);
	net_flush();
	net_inject(10, &m);
	ck_assert(!node_of(10)->exited);
	m = msg_from(WIRE_DEPART_ACK, 8);
	net_inject(10, &m);
	ck_assert(!node_of(10)->exited);
	m = msg_from(WIRE_DEPART_ACK, 5);
	net_inject(10, &m);
	ck_assert(node_of(10)->exited);
}
END_TEST

CASE("departure", test_ring_successive_departures)
{
	static const int	left[] = { 1, 3, 4, 5, 8, 15 };

	classic_quit(10);
	net_quit_at(12, 3500);
	ck_assert(node_of(12)->exited);
	EXPECT_EVENTS(8, EV(CON_DEPART, 12, 0), EV(CON_SUCCESSORS, 15, 1));
	EXPECT_EVENTS(5, EV(CON_DEPART, 12, 0), EV(CON_SUCCESSORS, 8, 15));
	expect_settled(8 * INTERVAL, left, sizeof left / sizeof left[0], false);
}
END_TEST

/* BUG: see the report. A peer that quits mid-repair sends (s1, s1); its first predecessor
 * then holds the same peer in both slots, answers only ever clear the first slot, and the
 * second slot's misses make it print "Peer 12 is no longer alive" about a live peer. */
CASE("departure", test_ring_depart_mid_repair_does_not_fake_a_death)
{
	const struct rec	*d;

	net_reset();
	net_add_ring(5, 8, 10);
	net_add_ring(8, 10, 12);
	net_add_ring(10, 12, 15);
	net_add_puppet(12, true);		/* alive, answers pings, never answers queries */
	net_add_puppet(15, false);		/* dead */
	net_run_until(4 * TIMEOUT + 1);
	ck_assert_uint_eq(count_events(10, CON_DEAD, 15), 1);
	ck_assert(ring_of(10)->repairing);
	net_clear_logs();
	ring_quit(ring_of(10), net.now);
	net_flush();
	d = find_act(10, RING_ACT_TCP, WIRE_DEPART, 8, 0);
	ck_assert_ptr_nonnull(d);
	ck_assert(node_of(10)->exited);
	net_run_until(6 * INTERVAL);
	ck_assert_msg(count_events(8, CON_DEAD, 12) == 0,
	    "8 declared live peer 12 dead at %llu after 10 left mid-repair sending (%u, %u)",
	    (unsigned long long)find_event(8, CON_DEAD, 12)->t, d->msg.u.succs.s1.id,
	    d->msg.u.succs.s2.id);
}
END_TEST


/* A DEPART naming one peer twice (its sender was mid-repair) prints no second successor we do not hold. */
CASE("departure", test_ring_depart_naming_one_peer_twice_prints_only_the_truth)
{
	static struct ring		 r;
	struct wire_msg			 m = msg_succs(WIRE_DEPART, 20, 30, 30);
	const struct ring_action	*q;

	lone_start(&r, 10, 20, 25);
	ring_on_msg(&r, &m, 5);
	ck_assert_uint_eq(out_events(&r, CON_SUCCESSORS), 0);
	ck_assert(r.succ[0].known && r.succ[0].c.id == 30 && !r.succ[1].known);
	ck_assert(r.repairing);
	q = out_find(&r, RING_ACT_TCP, WIRE_SUCC_QUERY, 30, 0);
	ck_assert_ptr_nonnull(q);
	ring_clear_actions(&r);
	m = reply_of(30, q->msg.u.query.qid, 40, 50);
	ring_on_msg(&r, &m, 6);
	ck_assert_uint_eq(out_events(&r, CON_SUCCESSORS), 1);
	ck_assert(r.succ[1].known && r.succ[1].c.id == 40);
}
END_TEST

/* A ring set up but not started is idle, not leaving: nothing due, no pings answered; quit ends it. */
CASE("departure", test_ring_idle_until_started_exited_after_quit)
{
	static struct ring	r;
	struct contact		self = contact_of(4);
	struct ring_cfg		cfg;

	net_reset();
	cfg = cfg_of(&self);
	ring_init(&r, &cfg);
	ck_assert_int_eq(r.state, RING_IDLE);
	ck_assert_uint_eq(ring_next_deadline(&r), RING_NEVER);
	lone_ping(&r, 3, 1, 0);
	ck_assert_uint_eq(r.nout, 0);
	ring_quit(&r, 10);
	ck_assert_int_eq(r.state, RING_EXITED);
	ck_assert_uint_eq(out_count(&r, RING_ACT_EXIT, -1, -1), 1);
	ck_assert_int_eq(out_find(&r, RING_ACT_EXIT, -1, -1, 0)->status, 0);
	ck_assert_uint_eq(ring_next_deadline(&r), RING_NEVER);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("ring_depart", NULL);
}
