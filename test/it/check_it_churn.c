/* Scenario tests of churn (SPEC §5): graceful departure, abrupt death, joins, and files after them. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASSIC_TAIL	"400 0 --ping-interval 0.2"
#define P2P_TAIL	"0.2"

static struct it_peer *
peer_of(struct it_peer **p, const int *ids, size_t n, int id)
{
	return p[it_index(ids, n, id)];
}

/* Wait until id has heard pings from both its predecessors (it knows who they are). */
static void
wait_knows_preds(struct it_peer **p, const int *ids, size_t n, int id, enum it_form form)
{
	size_t i = it_index(ids, n, id);

	it_wait_line(p[i], IT_OUT, 0, 1, it_ping_req_line(form, it_pred(ids, n, i, 1)),
	    IT_DEADLINE_MS);
	it_wait_line(p[i], IT_OUT, 0, 1, it_ping_req_line(form, it_pred(ids, n, i, 2)),
	    IT_DEADLINE_MS);
}

/*
 * Wait for a death or departure notice about d after mark, then for the two successor
 * lines (together, first then second) after it. SPEC §4 lists the notice and the change
 * as two events, so other lines (pings) may come between them.
 */
static void
wait_repair(struct it_peer *p, size_t mark, const char *notice, enum it_form form, int s1,
    int s2)
{
	size_t at = it_wait_find(p, IT_OUT, mark, notice, IT_DEADLINE_MS);
	char first[128];

	snprintf(first, sizeof first, "%s", it_succ_line(form, 1, s1));
	it_wait_seq(p, IT_OUT, at, IT_DEADLINE_MS, first, it_succ_line(form, 2, s2), NULL);
}

static const char *
depart_line(enum it_form form, int d)
{
	return form == IT_CLASSIC ? it_s("Peer %d will depart from the network.", d) :
	    it_s("Peer %d will depart from the network", d);
}

static const char *
dead_line(enum it_form form, int d)
{
	return form == IT_CLASSIC ? it_s("Peer %d is no longer alive.", d) :
	    it_s("Peer %d is no longer alive", d);
}

/* How a peer leaves the ring. */
enum leave { LEAVE_QUIT, LEAVE_KILL, LEAVE_SIGINT };

/*
 * d leaves (quit: exit 0; SIGINT: gone within 1 s; SIGKILL) and its predecessors close the
 * gap: its first predecessor a names the notice and takes s1 and s2 as successors, its second
 * predecessor b names it and takes a and s1. The ms from the leave to the repair.
 */
static int64_t
leave_and_repair(struct it_peer *d, enum leave how, struct it_peer *a, struct it_peer *b,
    enum it_form form, int s1, int s2)
{
	const char	*notice = how == LEAVE_QUIT ? depart_line(form, it_id(d)) :
			    dead_line(form, it_id(d));
	char		 line[128];
	size_t		 ma = it_mark(a, IT_OUT), mb = it_mark(b, IT_OUT);
	int64_t		 t0 = it_now_ms();

	snprintf(line, sizeof line, "%s", notice);	/* it_s's buffers are reused below */
	if (how == LEAVE_QUIT) {
		it_send(d, "quit");
		it_expect_exit(d, 0, IT_DEADLINE_MS);
	} else {
		it_signal(d, how == LEAVE_KILL ? SIGKILL : SIGINT);
		if (how == LEAVE_SIGINT)
			it_wait_exit(d, 1000);
	}
	wait_repair(a, ma, line, form, s1, s2);
	wait_repair(b, mb, line, form, it_id(a), s1);
	return it_now_ms() - t0;
}

/* Peer s, the leaver's first successor, hears count pings from each new predecessor a, b. */
static void
wait_new_preds(struct it_peer *s, struct it_peer *a, struct it_peer *b, enum it_form form,
    size_t count)
{
	size_t m = it_mark(s, IT_OUT);

	it_wait_line(s, IT_OUT, m, count, it_ping_req_line(form, it_id(a)), IT_DEADLINE_MS);
	it_wait_line(s, IT_OUT, m, count, it_ping_req_line(form, it_id(b)), IT_DEADLINE_MS);
}

/* The leaver's predecessors a and b each printed line n times. */
static void
expect_both_print(struct it_peer *a, struct it_peer *b, const char *line, size_t n)
{
	struct it_peer	*ab[2] = { a, b };

	for (size_t i = 0; i < 2; i++)
		IT_ASSERT(it_count(ab[i], IT_OUT, 0, line) == n, "peer %d printed '%s' %zu times, "
		    "want %zu", it_id(ab[i]), line, it_count(ab[i], IT_OUT, 0, line), n);
}

/* Every peer of the ring p (n peers) but gone is still running. */
static void
expect_rest_alive(struct it_peer *const *p, size_t n, const struct it_peer *gone)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != gone)
			it_expect_alive(p[i]);
}

IT_CASE(test_churn_classic_quit)
{
	struct it_peer	*p[IT_NCLASSIC], *p5, *p8, *p10;

	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, CLASSIC_TAIL);
	p5 = peer_of(p, it_classic_ids, IT_NCLASSIC, 5);
	p8 = peer_of(p, it_classic_ids, IT_NCLASSIC, 8);
	p10 = peer_of(p, it_classic_ids, IT_NCLASSIC, 10);
	wait_knows_preds(p, it_classic_ids, IT_NCLASSIC, 10, IT_CLASSIC);
	leave_and_repair(p10, LEAVE_QUIT, p8, p5, IT_CLASSIC, 12, 15);
	/* 12's new predecessors ping it: 8 as first, 5 as second (new). */
	wait_new_preds(peer_of(p, it_classic_ids, IT_NCLASSIC, 12), p8, p5, IT_CLASSIC, 3);
	/* A polite departure is not a death, and is announced once. */
	expect_both_print(p8, p5, dead_line(IT_CLASSIC, 10), 0);
	expect_both_print(p8, p5, depart_line(IT_CLASSIC, 10), 1);
	expect_rest_alive(p, IT_NCLASSIC, p10);
}
END_TEST

IT_CASE(test_churn_classic_kill)
{
	struct it_peer	*p[IT_NCLASSIC], *p3, *p4, *p5;
	int64_t		 ms;

	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, CLASSIC_TAIL);
	p3 = peer_of(p, it_classic_ids, IT_NCLASSIC, 3);
	p4 = peer_of(p, it_classic_ids, IT_NCLASSIC, 4);
	p5 = peer_of(p, it_classic_ids, IT_NCLASSIC, 5);
	it_wait_line(p3, IT_OUT, 0, 1, it_ping_rsp_line(IT_CLASSIC, 5), IT_DEADLINE_MS);
	it_wait_line(p4, IT_OUT, 0, 1, it_ping_rsp_line(IT_CLASSIC, 5), IT_DEADLINE_MS);
	ms = leave_and_repair(p5, LEAVE_KILL, p4, p3, IT_CLASSIC, 8, 10);
	/* SPEC §5 promises 1.5 s at these settings; only a real bug takes 5. */
	IT_ASSERT(ms <= 5000, "repair took %lld ms", (long long)ms);
	wait_new_preds(peer_of(p, it_classic_ids, IT_NCLASSIC, 8), p4, p3, IT_CLASSIC, 3);
	expect_both_print(p4, p3, dead_line(IT_CLASSIC, 5), 1);
	expect_rest_alive(p, IT_NCLASSIC, p5);
}
END_TEST

IT_CASE(test_churn_p2p_join_then_quit)
{
	static const int all[] = { 2, 4, 5, 8, 9, 14, 15, 19 };
	const char	*fwd = "Peer 15 Join request forwarded to my successor";
	struct it_peer	*p[IT_NP2P], *j, *p2, *p5, *p8, *p9, *p14, *p19;
	size_t		 m2, m9, m14, m19;

	it_pick_base(all, sizeof all / sizeof all[0]);
	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, P2P_TAIL);
	p2 = peer_of(p, it_p2p_ids, IT_NP2P, 2);
	p5 = peer_of(p, it_p2p_ids, IT_NP2P, 5);
	p8 = peer_of(p, it_p2p_ids, IT_NP2P, 8);
	p9 = peer_of(p, it_p2p_ids, IT_NP2P, 9);
	p14 = peer_of(p, it_p2p_ids, IT_NP2P, 14);
	p19 = peer_of(p, it_p2p_ids, IT_NP2P, 19);
	wait_knows_preds(p, it_p2p_ids, IT_NP2P, 14, IT_P2P);
	wait_knows_preds(p, it_p2p_ids, IT_NP2P, 9, IT_P2P);
	m9 = it_mark(p9, IT_OUT);
	m14 = it_mark(p14, IT_OUT);
	j = it_start(15, "join 15 4 %s", P2P_TAIL);
	it_wait_seq(j, IT_OUT, 0, IT_DEADLINE_MS, "Join request has been accepted",
	    "My first successor is Peer 19", "My second successor is Peer 2", NULL);
	it_wait_line(peer_of(p, it_p2p_ids, IT_NP2P, 4), IT_OUT, 0, 1, fwd, IT_DEADLINE_MS);
	it_wait_line(p5, IT_OUT, 0, 1, fwd, IT_DEADLINE_MS);
	it_wait_line(p8, IT_OUT, 0, 1, fwd, IT_DEADLINE_MS);
	it_wait_line(p9, IT_OUT, 0, 1, fwd, IT_DEADLINE_MS);
	it_wait_seq(p14, IT_OUT, m14, IT_DEADLINE_MS, "Peer 15 Join request received",
	    it_succ_line(IT_P2P, 1, 15), it_succ_line(IT_P2P, 2, 19), NULL);
	it_wait_seq(p9, IT_OUT, m9, IT_DEADLINE_MS, "Successor Change request received",
	    it_succ_line(IT_P2P, 1, 14), it_succ_line(IT_P2P, 2, 15), NULL);
	IT_ASSERT(it_count(p2, IT_OUT, 0, fwd) == 0 && it_count(p19, IT_OUT, 0, fwd) == 0 &&
	    it_count(p14, IT_OUT, 0, fwd) == 0, "only 4, 5, 8, 9 forward the join");
	/* The joiner is in the ring: its successors hear its pings, it hears 14's. */
	m2 = it_mark(p2, IT_OUT);
	m19 = it_mark(p19, IT_OUT);
	it_wait_line(p19, IT_OUT, m19, 2, "Ping request message received from Peer 15",
	    IT_DEADLINE_MS);
	it_wait_line(p2, IT_OUT, m2, 2, "Ping request message received from Peer 15",
	    IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping request message received from Peer 14",
	    IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping request message received from Peer 9",
	    IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping response received from Peer 19", IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping response received from Peer 2", IT_DEADLINE_MS);

	/* Then 9 leaves: its predecessors 8 and 5 close the gap around it. */
	leave_and_repair(p9, LEAVE_QUIT, p8, p5, IT_P2P, 14, 15);
	wait_new_preds(p14, p8, p5, IT_P2P, 2);
	it_expect_alive(j);
}
END_TEST

IT_CASE(test_churn_p2p_sigint)
{
	struct it_peer	*p[IT_NP2P], *p8, *p9;

	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, P2P_TAIL);
	p8 = peer_of(p, it_p2p_ids, IT_NP2P, 8);
	p9 = peer_of(p, it_p2p_ids, IT_NP2P, 9);
	it_wait_line(p9, IT_OUT, 0, 1, it_ping_rsp_line(IT_P2P, 14), IT_DEADLINE_MS);
	it_wait_line(p8, IT_OUT, 0, 1, it_ping_rsp_line(IT_P2P, 14), IT_DEADLINE_MS);
	leave_and_repair(peer_of(p, it_p2p_ids, IT_NP2P, 14), LEAVE_SIGINT, p9, p8, IT_P2P, 19, 2);
	wait_new_preds(peer_of(p, it_p2p_ids, IT_NP2P, 19), p9, p8, IT_P2P, 2);
}
END_TEST

IT_CASE(test_churn_join_id_taken)
{
	struct it_peer	*p[IT_NP2P], *j;
	size_t		 m8;

	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, P2P_TAIL);
	wait_knows_preds(p, it_p2p_ids, IT_NP2P, 8, IT_P2P);
	m8 = it_mark(p[3], IT_OUT);
	j = it_start(8, "join 8 4 %s", P2P_TAIL);
	it_expect_exit(j, 1, IT_DEADLINE_MS);
	IT_ASSERT(it_first_line(j, IT_ERR) != NULL, "the refused joiner says why on stderr");
	/* The ring is untouched: the real 8 keeps its place. */
	it_wait_line(p[3], IT_OUT, m8, 2, it_ping_rsp_line(IT_P2P, 9), IT_DEADLINE_MS);
	for (size_t i = 0; i < IT_NP2P; i++) {
		IT_ASSERT(!it_contains(p[i], IT_OUT, "successor is"), "peer %d changed successors",
		    it_p2p_ids[i]);
		it_expect_alive(p[i]);
	}
}
END_TEST

IT_CASE(test_churn_join_nobody_listening)
{
	static const int ids[] = { 15, 77 };
	struct it_peer *j;

	it_pick_base(ids, 2);
	j = it_start(15, "join 15 77 %s", P2P_TAIL);
	it_expect_exit(j, 1, IT_DEADLINE_MS);
	IT_ASSERT(it_first_line(j, IT_ERR) != NULL, "the joiner says why on stderr");
}
END_TEST

IT_CASE(test_churn_three_ring_survives_death)
{
	struct it_peer	*p[IT_NSMALL];
	size_t		 m1, m3;

	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, CLASSIC_TAIL);
	it_wait_line(p[0], IT_OUT, 0, 1, it_ping_rsp_line(IT_CLASSIC, 4), IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, 0, 1, it_ping_rsp_line(IT_CLASSIC, 4), IT_DEADLINE_MS);
	it_signal(p[2], SIGKILL);
	it_wait_line(p[1], IT_OUT, 0, 1, dead_line(IT_CLASSIC, 4), IT_DEADLINE_MS);
	it_wait_line(p[0], IT_OUT, 0, 1, dead_line(IT_CLASSIC, 4), IT_DEADLINE_MS);
	m1 = it_mark(p[0], IT_OUT);
	m3 = it_mark(p[1], IT_OUT);
	it_wait_line(p[0], IT_OUT, m1, 5, it_ping_rsp_line(IT_CLASSIC, 3), IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, m3, 5, it_ping_rsp_line(IT_CLASSIC, 1), IT_DEADLINE_MS);
	it_expect_alive(p[0]);
	it_expect_alive(p[1]);
}
END_TEST

/* After 5 dies, key 5 belongs to 8: a request from 3 goes 3 -> 4 -> 8 and arrives intact. */
IT_CASE(test_churn_request_after_death)
{
	struct it_peer	*p[IT_NCLASSIC], *p3, *p4, *p8;
	char		 want[4096];
	size_t		 m3, m4, m8;

	snprintf(want, sizeof want, "%s", it_put_file(8, "2053.pdf", 77777, 2053));
	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, CLASSIC_TAIL " --quiet-pings");
	p3 = peer_of(p, it_classic_ids, IT_NCLASSIC, 3);
	p4 = peer_of(p, it_classic_ids, IT_NCLASSIC, 4);
	p8 = peer_of(p, it_classic_ids, IT_NCLASSIC, 8);
	leave_and_repair(peer_of(p, it_classic_ids, IT_NCLASSIC, 5), LEAVE_KILL, p4, p3,
	    IT_CLASSIC, 8, 10);
	m3 = it_mark(p3, IT_OUT);
	m4 = it_mark(p4, IT_OUT);
	m8 = it_mark(p8, IT_OUT);
	it_send(p3, "request 2053");
	it_wait_line(p3, IT_OUT, m3, 1, "The file is received.", IT_DEADLINE_MS);
	it_wait_file_equal(it_s("%s/received_2053.pdf", it_peer_dir(3)), want, IT_DEADLINE_MS);
	it_expect_exactly(p3, IT_OUT, m3,
	    "File request message for 2053 has been sent to my successor.",
	    "Received a response message from peer 8, which has the file 2053.",
	    "We now start receiving the file \xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6",
	    "The file is received.", NULL);
	it_expect_exactly(p4, IT_OUT, m4, "File 2053 is not stored here.",
	    "File request message has been forwarded to my successor.", NULL);
	it_wait_seq(p8, IT_OUT, m8, IT_DEADLINE_MS, "File 2053 is here.",
	    "A response message, destined for peer 3, has been sent.", NULL);
}
END_TEST

/* After 10 quits, key 9 belongs to 12: a request from 5 goes 5 -> 8 -> 12 and arrives intact. */
IT_CASE(test_churn_request_after_quit)
{
	struct it_peer	*p[IT_NCLASSIC], *p5, *p8, *p12;
	char		 want[4096];
	size_t		 m5, m8;

	snprintf(want, sizeof want, "%s", it_put_file(12, "2057.pdf", 44444, 2057));
	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC, CLASSIC_TAIL);
	p5 = peer_of(p, it_classic_ids, IT_NCLASSIC, 5);
	p8 = peer_of(p, it_classic_ids, IT_NCLASSIC, 8);
	p12 = peer_of(p, it_classic_ids, IT_NCLASSIC, 12);
	wait_knows_preds(p, it_classic_ids, IT_NCLASSIC, 10, IT_CLASSIC);
	leave_and_repair(peer_of(p, it_classic_ids, IT_NCLASSIC, 10), LEAVE_QUIT, p8, p5,
	    IT_CLASSIC, 12, 15);
	m5 = it_mark(p5, IT_OUT);
	m8 = it_mark(p8, IT_OUT);
	it_send(p5, "request 2057");
	it_wait_line(p5, IT_OUT, m5, 1, "The file is received.", IT_DEADLINE_MS);
	it_wait_file_equal(it_s("%s/received_2057.pdf", it_peer_dir(5)), want, IT_DEADLINE_MS);
	it_wait_seq(p5, IT_OUT, m5, IT_DEADLINE_MS,
	    "Received a response message from peer 12, which has the file 2057.", NULL);
	it_wait_seq(p8, IT_OUT, m8, IT_DEADLINE_MS, "File 2057 is not stored here.",
	    "File request message has been forwarded to my successor.", NULL);
	it_wait_seq(p12, IT_OUT, 0, IT_DEADLINE_MS, "File 2057 is here.",
	    "A response message, destined for peer 5, has been sent.", NULL);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "churn");
}
