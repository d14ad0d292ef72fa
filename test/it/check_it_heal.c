/*
 * Scenario tests of healing (issue 11): a peer paused past the detection bound comes back
 * into its place, a peer started late is taken in, two adjacent peers killed at once are
 * repaired around through the third successor.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 0.2 s pings, 0.5 s timeout: a loaded machine does not make a live peer dead. */
#define HEAL_TAIL	"400 0 --ping-interval 0.2 --ping-timeout 0.5"
/* ms: detection (0.2 + 4 x 0.5 s) plus the repair, with room for a loaded machine. */
#define HEAL_WAIT_MS	15000

static struct it_peer *
peer_of(struct it_peer **p, int id)
{
	return p[it_index(it_classic_ids, IT_NCLASSIC, id)];
}

static const char *
dead_line(int d)
{
	return it_s("Peer %d is no longer alive.", d);
}

/* Wait until p prints its two successor lines (s1, s2), together, after mark. */
static void
wait_succs(struct it_peer *p, size_t mark, int s1, int s2)
{
	char	first[128];

	snprintf(first, sizeof first, "%s", it_succ_line(IT_CLASSIC, 1, s1));
	it_wait_seq(p, IT_OUT, mark, HEAL_WAIT_MS, first, it_succ_line(IT_CLASSIC, 2, s2),
	    NULL);
}

/* Wait until every peer but skip has heard pings from both of its predecessors. */
static void
wait_settled(struct it_peer **p, int skip)
{
	for (size_t i = 0; i < IT_NCLASSIC; i++) {
		if (it_classic_ids[i] == skip)
			continue;
		it_wait_line(p[i], IT_OUT, 0, 1, it_ping_req_line(IT_CLASSIC,
		    it_pred(it_classic_ids, IT_NCLASSIC, i, 1)), IT_DEADLINE_MS);
	}
}

IT_CASE(test_heal_sigstop_peer_back_in_place)
{
	struct it_peer	*p[IT_NCLASSIC], *p3, *p4, *p5;
	size_t		 m3, m4;

	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, HEAL_TAIL);
	p3 = peer_of(p, 3);
	p4 = peer_of(p, 4);
	p5 = peer_of(p, 5);
	wait_settled(p, -1);
	m3 = it_mark(p3, IT_OUT);
	m4 = it_mark(p4, IT_OUT);
	it_signal(p5, SIGSTOP);
	m4 = it_wait_find(p4, IT_OUT, m4, dead_line(5), HEAL_WAIT_MS);
	m3 = it_wait_find(p3, IT_OUT, m3, dead_line(5), HEAL_WAIT_MS);
	wait_succs(p4, m4, 8, 10);
	it_signal(p5, SIGCONT);
	wait_succs(p4, m4, 5, 8);
	wait_succs(p3, m3, 4, 5);
	for (size_t i = 0; i < IT_NCLASSIC; i++)
		it_expect_alive(p[i]);
}
END_TEST

IT_CASE(test_heal_late_starter_taken_in)
{
	struct it_peer	*p[IT_NCLASSIC], *p3, *p4;
	size_t		 i5 = it_index(it_classic_ids, IT_NCLASSIC, 5), m3, m4;

	it_pick_base(it_classic_ids, IT_NCLASSIC);
	for (size_t i = 0; i < IT_NCLASSIC; i++)
		if (i != i5)
			p[i] = it_ring_peer(it_classic_ids, IT_NCLASSIC, i, IT_CLASSIC, IT_STDIN_FIFO,
			    HEAL_TAIL);
	p3 = peer_of(p, 3);
	p4 = peer_of(p, 4);
	m4 = it_wait_find(p4, IT_OUT, 0, dead_line(5), HEAL_WAIT_MS);
	m3 = it_wait_find(p3, IT_OUT, 0, dead_line(5), HEAL_WAIT_MS);
	wait_succs(p4, m4, 8, 10);
	p[i5] = it_ring_peer(it_classic_ids, IT_NCLASSIC, i5, IT_CLASSIC, IT_STDIN_FIFO, HEAL_TAIL);
	it_wait_listening(p[i5], IT_DEADLINE_MS);
	wait_succs(p4, m4, 5, 8);
	wait_succs(p3, m3, 4, 5);
	it_wait_line(p[i5], IT_OUT, 0, 2, it_ping_req_line(IT_CLASSIC, 4), HEAL_WAIT_MS);
	it_wait_line(p[i5], IT_OUT, 0, 2, it_ping_req_line(IT_CLASSIC, 3), HEAL_WAIT_MS);
}
END_TEST

IT_CASE(test_heal_two_adjacent_killed_at_once)
{
	struct it_peer	*p[IT_NCLASSIC], *p3, *p4;
	size_t		 m3, m4;

	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, HEAL_TAIL);
	p3 = peer_of(p, 3);
	p4 = peer_of(p, 4);
	wait_settled(p, -1);
	/* 4 must have heard 8 name 10 before the kill: the third successor. */
	it_wait_line(p4, IT_OUT, 0, 3, it_ping_rsp_line(IT_CLASSIC, 8), IT_DEADLINE_MS);
	m3 = it_mark(p3, IT_OUT);
	m4 = it_mark(p4, IT_OUT);
	it_signal(peer_of(p, 5), SIGKILL);
	it_signal(peer_of(p, 8), SIGKILL);
	it_wait_find(p4, IT_OUT, m4, dead_line(5), HEAL_WAIT_MS);
	it_wait_find(p4, IT_OUT, m4, dead_line(8), HEAL_WAIT_MS);
	wait_succs(p4, m4, 10, 12);
	wait_succs(p3, m3, 4, 10);
	it_wait_line(peer_of(p, 10), IT_OUT, 0, 1, it_ping_req_line(IT_CLASSIC, 4),
	    HEAL_WAIT_MS);
	it_expect_alive(p3);
	it_expect_alive(p4);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "heal");
}
