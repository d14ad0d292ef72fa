/*
 * Unit tests of the ring state machine. Death and repair: misses, the TCP confirmation, the verdict, the successor query (SPEC §5).
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


/* ================================ death ================================ */

/* The classic ring past its first round; then 5 is killed, logs cleared, time runs to t. */
static void
classic_5_killed(uint64_t t)
{
	classic_up();
	net_kill(5);
	net_clear_logs();
	net_run_until(t);
}

CASE("death", test_ring_missing_successor_reprobed_every_timeout)
{
	const struct rec	*p;
	uint64_t		 want[] = { INTERVAL, INTERVAL + TIMEOUT, INTERVAL + 2 * TIMEOUT };
	size_t			 i;

	classic_5_killed(3 * INTERVAL);
	ck_assert_uint_eq(count_acts(4, RING_ACT_UDP, WIRE_PING_REQ, 5), 3);
	for (i = 0; i < 3; i++) {
		p = find_act(4, RING_ACT_UDP, WIRE_PING_REQ, 5, i);
		ck_assert_msg(p->t == want[i], "ping %zu to 5 at %llu, want %llu", i,
		    (unsigned long long)p->t, (unsigned long long)want[i]);
		ck_assert_uint_eq(p->msg.u.ping_req.role, 1);
	}
	/* The second predecessor probes the same way, as second predecessor. */
	ck_assert_uint_eq(count_acts(3, RING_ACT_UDP, WIRE_PING_REQ, 5), 3);
	ck_assert_uint_eq(find_act(3, RING_ACT_UDP, WIRE_PING_REQ, 5, 2)->msg.u.ping_req.role, 2);
}
END_TEST

/* Looped over thresholds 1, 2, 3, 5. */
CASE_LOOP("death", test_ring_successor_dead_after_exactly_threshold_misses, 4)
{
	static const unsigned	ks[] = { 1, 2, 3, 5 };
	unsigned		k = ks[_i];
	const struct rec	*d;

	net_reset();
	net.threshold = k;
	net_add_ring(4, 5, 8);
	net_add_puppet(5, true);
	net_add_puppet(8, true);
	net_run_until(1);
	node_of(5)->pong = false;
	net_clear_logs();
	net_run_until(5 * INTERVAL);
	d = find_event(4, CON_DEAD, 5);
	ck_assert_msg(d != NULL, "threshold %u: 5 never declared dead", k);
	/* A hung peer (it takes the TCP question, never answers) costs one timeout more. */
	ck_assert_msg(d->t == INTERVAL + (k + 1) * TIMEOUT, "threshold %u: dead at %llu, want %u",
	    k, (unsigned long long)d->t, INTERVAL + (k + 1) * TIMEOUT);
	/* Pings before the verdict; afterwards 5 is only probed now and then. */
	ck_assert_ptr_nonnull(find_act(4, RING_ACT_UDP, WIRE_PING_REQ, 5, k - 1));
	ck_assert_uint_lt(find_act(4, RING_ACT_UDP, WIRE_PING_REQ, 5, k - 1)->t, d->t);
	ck_assert(find_act(4, RING_ACT_UDP, WIRE_PING_REQ, 5, k) == NULL ||
	    find_act(4, RING_ACT_UDP, WIRE_PING_REQ, 5, k)->t >= d->t + RING_PROBE_ROUNDS * INTERVAL);
	ck_assert_uint_eq(count_events(4, CON_DEAD, -1), 1);
}
END_TEST

/* Looped over kill times: detection never takes more than interval + threshold x timeout. */
CASE_LOOP("death", test_ring_detection_within_budget, 9)
{
	static const uint64_t	kills[] = { 1, 150, 500, 999, 1001, 1150, 1201, 1999, 2333 };
	uint64_t		kill = kills[_i];
	const struct rec	*d;

	classic_up();
	net_run_until(kill);
	net_kill(5);
	net_clear_logs();
	net_run_until(kill + 3 * INTERVAL);
	d = find_event(4, CON_DEAD, 5);
	ck_assert_msg(d != NULL, "killed at %llu, never detected", (unsigned long long)kill);
	ck_assert_msg(d->t - kill <= INTERVAL + THRESHOLD * TIMEOUT,
	    "killed at %llu, detected at %llu", (unsigned long long)kill,
	    (unsigned long long)d->t);
}
END_TEST

/* Looped over kill times: with 0.2 s pings (timeout 0.2 s) a kill is repaired within 1.5 s. */
CASE_LOOP("death", test_ring_fast_pings_repair_within_1500ms, 6)
{
	static const uint64_t	kills[] = { 1, 77, 199, 201, 350, 1234 };
	uint64_t		kill = kills[_i];
	static const int	left[] = { 1, 3, 4, 8, 10, 12, 15 };
	const struct rec	*s3, *s4;

	net_reset();
	net.interval = 200;
	net.timeout = 200;
	net_add_ring_of(classic_ids, NCLASSIC);
	net_run_until(kill);
	net_kill(5);
	net_clear_logs();
	net_run_until(kill + 1500);
	s3 = find_event(3, CON_SUCCESSORS, 4);
	s4 = find_event(4, CON_SUCCESSORS, 8);
	ck_assert_msg(s3 != NULL && s3->ev.b == 8, "killed at %llu: 3 not repaired in 1.5 s",
	    (unsigned long long)kill);
	ck_assert_msg(s4 != NULL && s4->ev.b == 10, "killed at %llu: 4 not repaired in 1.5 s",
	    (unsigned long long)kill);
	expect_settled(kill + 3000, left, sizeof left / sizeof left[0], false);
}
END_TEST

CASE("death", test_ring_answer_resets_miss_count)
{
	net_reset();
	net_add_ring(4, 5, 8);
	net_add_puppet(5, false);
	net_add_puppet(8, true);
	net_run_until(2 * TIMEOUT - 1);		/* two misses: at 200 and at 400 would be the second */
	node_of(5)->pong = true;		/* the probe at 400 is answered */
	net_run_until(2 * TIMEOUT + 1);
	ck_assert_uint_eq(ring_of(4)->succ[0].misses, 0);
	node_of(5)->pong = false;
	net_run_until(INTERVAL + 3 * TIMEOUT);	/* third miss: asked over TCP, not yet dead */
	ck_assert_uint_eq(count_events(4, CON_DEAD, 5), 0);
	net_run_until(INTERVAL + 4 * TIMEOUT);
	ck_assert_uint_eq(count_events(4, CON_DEAD, 5), 1);
	ck_assert_uint_eq(find_event(4, CON_DEAD, 5)->t, INTERVAL + 4 * TIMEOUT);
}
END_TEST

CASE("death", test_ring_first_successor_death_repaired)
{
	classic_5_killed(4 * INTERVAL);
	EXPECT_EVENTS(4, EV(CON_DEAD, 5, 0), EV(CON_SUCCESSORS, 8, 10));
	expect_succs(4, 8, 10);
}
END_TEST

CASE("death", test_ring_second_successor_death_repaired)
{
	classic_5_killed(4 * INTERVAL);
	EXPECT_EVENTS(3, EV(CON_DEAD, 5, 0), EV(CON_SUCCESSORS, 4, 8));
	expect_succs(3, 4, 8);
}
END_TEST

CASE("death", test_ring_death_seen_only_by_predecessors)
{
	static const int	others[] = { 1, 8, 10, 12, 15 };
	size_t			i;

	classic_5_killed(4 * INTERVAL);
	for (i = 0; i < sizeof others / sizeof others[0]; i++)
		EXPECT_NO_EVENTS(others[i]);
}
END_TEST

CASE("death", test_ring_ring_consistent_after_death)
{
	static const int	left[] = { 1, 3, 4, 8, 10, 12, 15 };

	classic_up();
	net_kill(5);
	expect_settled(6 * INTERVAL, left, sizeof left / sizeof left[0], false);
}
END_TEST

/* Peer 3 with puppets 4 (alive) and 5 (silent) has just declared 5 dead and asked 4. */
static uint32_t
repair_at_3(void)
{
	const struct rec	*q;

	net_reset();
	net_add_ring(3, 4, 5);
	net_add_puppet(4, true);
	net_add_puppet(5, false);
	net_add_puppet(8, true);
	net_run_until(4 * TIMEOUT);	/* three misses, then the TCP question times out */
	ck_assert_uint_eq(count_events(3, CON_DEAD, 5), 1);
	q = find_act(4, RING_ACT_TCP, WIRE_SUCC_QUERY, -1, 0);
	ck_assert_msg(q != NULL, "3 did not ask 4 for its successors");
	net_clear_logs();
	return q->msg.u.query.qid;
}

/* 4 answers 3's repair question with (s1, s2): 3 takes (4, 8), says so, and stops asking. */
static void
expect_repaired_by_answer(int s1, int s2)
{
	struct wire_msg	m = reply_of(4, repair_at_3(), s1, s2);

	net_inject(3, &m);
	expect_succs(3, 4, 8);
	EXPECT_EVENTS(3, EV(CON_SUCCESSORS, 4, 8));
	ck_assert(!ring_of(3)->repairing);
}

CASE("death", test_ring_repair_takes_second_when_asked_peer_names_the_dead)
{
	expect_repaired_by_answer(5, 8);
}
END_TEST

CASE("death", test_ring_repair_takes_first_when_asked_peer_has_repaired)
{
	expect_repaired_by_answer(8, 10);
}
END_TEST

CASE("death", test_ring_repair_takes_first_when_asked_peer_is_mid_repair)
{
	expect_repaired_by_answer(8, -1);	/* 4 promoted 8, has no second yet */
}
END_TEST

CASE("death", test_ring_repair_asks_again_when_answer_is_useless)
{
	uint32_t		 qid = repair_at_3();
	struct wire_msg		 m = reply_of(4, qid, 5, -1);
	const struct rec	*q;

	net_inject(3, &m);
	ck_assert(!ring_of(3)->succ[1].known);
	EXPECT_NO_EVENTS(3);
	net_run_until(6 * TIMEOUT + 1);		/* the first retry only (at 800 + 400) */
	q = find_act(4, RING_ACT_TCP, WIRE_SUCC_QUERY, -1, 0);
	ck_assert_msg(q != NULL, "3 never asked again");
	ck_assert_uint_ne(q->msg.u.query.qid, qid);
	m = reply_of(4, qid, 8, 10);		/* the old question's number: ignored */
	net_inject(3, &m);
	ck_assert(!ring_of(3)->succ[1].known);
	m = reply_of(4, q->msg.u.query.qid, 8, 10);
	net_inject(3, &m);
	expect_succs(3, 4, 8);
}
END_TEST

CASE("death", test_ring_repair_query_backs_off)
{
	const struct rec	*q[4];
	size_t			 i;

	repair_at_3();
	net_run_until(20 * INTERVAL);
	for (i = 0; i < 4; i++) {
		q[i] = find_act(4, RING_ACT_TCP, WIRE_SUCC_QUERY, -1, i);
		ck_assert_ptr_nonnull(q[i]);
	}
	ck_assert_uint_gt(q[2]->t - q[1]->t, q[1]->t - q[0]->t);
	ck_assert_uint_gt(q[3]->t - q[2]->t, q[2]->t - q[1]->t);
	for (i = 1; i < 4; i++)
		ck_assert_uint_le(q[i]->t - q[i - 1]->t, RING_QUERY_MAX_MS);
}
END_TEST

CASE("death", test_ring_reply_from_other_peer_ignored)
{
	uint32_t	qid = repair_at_3();
	struct wire_msg	m = reply_of(8, qid, 10, 12);

	net_inject(3, &m);
	ck_assert(!ring_of(3)->succ[1].known);
	ck_assert(ring_of(3)->repairing);
	EXPECT_NO_EVENTS(3);
}
END_TEST

CASE("death", test_ring_death_race_both_predecessors_at_once)
{
	/* 3 and 4 give up on 5 at the same instant: whoever answers first, 3 ends with (4, 8). */
	classic_up();
	net_kill(5);
	net_run_until(INTERVAL + 3 * TIMEOUT);
	expect_succs(3, 4, 8);
	expect_succs(4, 8, 10);
}
END_TEST

CASE("death", test_ring_death_race_second_predecessor_first)
{
	/* 4 starts later, so 3 asks 4 while 4 still names 5 as its first successor. */
	const struct rec	*rep;

	net_reset();
	net_add_classic_but(4);
	net_run_until(300);
	net_add_ring(4, 5, 8);
	net_run_until(301);
	net_kill(5);
	net_clear_logs();
	net_run_until(INTERVAL + 3 * TIMEOUT);
	rep = find_act(4, RING_ACT_TCP, WIRE_SUCC_REPLY, 3, 0);
	ck_assert_msg(rep != NULL, "4 never answered 3");
	ck_assert_uint_eq(rep->msg.u.reply.s1.id, 5);
	EXPECT_EVENTS(3, EV(CON_DEAD, 5, 0), EV(CON_SUCCESSORS, 4, 8));
	net_run_until(4 * INTERVAL);
	EXPECT_EVENTS(4, EV(CON_DEAD, 5, 0), EV(CON_SUCCESSORS, 8, 10));
}
END_TEST

CASE("death", test_ring_three_peer_ring_survives_one_death)
{
	static const int	ids[] = { 10, 20, 30 };

	net_reset();
	net_add_ring_of(ids, 3);
	net_run_until(1);
	net_kill(30);
	net_clear_logs();
	net_run_until(10 * INTERVAL);
	ck_assert(ring_of(10)->succ[0].known && ring_of(10)->succ[0].c.id == 20);
	ck_assert(ring_of(20)->succ[0].known && ring_of(20)->succ[0].c.id == 10);
	ck_assert_uint_eq(count_events(10, CON_DEAD, 30), 1);
	ck_assert_uint_eq(count_events(20, CON_DEAD, 30), 1);
	ck_assert_uint_eq(count_events(10, CON_DEAD, 20), 0);
	ck_assert_uint_eq(count_events(20, CON_DEAD, 10), 0);
}
END_TEST

/* In a ring of three, the departing peer's first successor is its second predecessor. */
CASE("death", test_ring_three_peer_ring_departure)
{
	static const int	ids[] = { 10, 20, 30 };

	net_reset();
	net_add_ring_of(ids, 3);
	net_quit_at(20, 2 * INTERVAL);
	/* 10 is first predecessor: (30, 10); 30 is second: (its own s1 10, 20's s1 = 30). */
	EXPECT_EVENTS(10, EV(CON_DEPART, 20, 0), EV(CON_SUCCESSORS, 30, 10));
	EXPECT_EVENTS(30, EV(CON_DEPART, 20, 0), EV(CON_SUCCESSORS, 10, 30));
	ck_assert(node_of(20)->exited);
	net_run_until(10 * INTERVAL);
	ck_assert_uint_eq(count_events(10, CON_DEAD, -1), 0);
	ck_assert_uint_eq(count_events(30, CON_DEAD, -1), 0);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST

CASE("death", test_ring_both_successors_dead_keeps_running)
{
	net_reset();
	net_add_ring(4, 5, 8);
	net_add_puppet(5, false);
	net_add_puppet(8, false);
	net_run_until(10 * INTERVAL);
	ck_assert_uint_eq(count_events(4, CON_DEAD, 5), 1);
	ck_assert_uint_eq(count_events(4, CON_DEAD, 8), 1);
	ck_assert_uint_ge(count_acts(4, RING_ACT_WARN, -1, -1), 1);
	ck_assert(!node_of(4)->exited);
	ck_assert_int_eq(ring_of(4)->state, RING_UP);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("ring_repair", NULL);
}
