/* Scenario-test harness: rings of peers (start, neighbours, key owner) and the console lines tests wait for. */
#include <stdio.h>

#include "harness_int.h"

#include "cdht/keys.h"

const int it_classic_ids[8] = { 1, 3, 4, 5, 8, 10, 12, 15 };
const int it_p2p_ids[7] = { 2, 4, 5, 8, 9, 14, 19 };
const int it_small_ids[3] = { 1, 3, 4 };

size_t
it_index(const int *ids, size_t n, int id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	it_fail("id %d not in the ring", id);
}

int
it_succ(const int *ids, size_t n, size_t i, int k)
{
	return ids[(i + (size_t)k) % n];
}

int
it_pred(const int *ids, size_t n, size_t i, int k)
{
	return ids[(i + n * 2 - (size_t)k) % n];
}

struct it_peer *
it_ring_peer(const int *ids, size_t n, size_t i, enum it_form form, enum it_stdin in,
    const char *tail)
{
	return it_start_stdin(ids[i], in, "%s%d %d %d %s", form == IT_P2P ? "init " : "",
	    ids[i], it_succ(ids, n, i, 1), it_succ(ids, n, i, 2), tail);
}

void
it_ring(struct it_peer **out, const int *ids, size_t n, enum it_form form, const char *tail)
{
	if (it_run.base < 0)
		it_pick_base(ids, n);
	for (size_t i = 0; i < n; i++)
		out[i] = it_ring_peer(ids, n, i, form, IT_STDIN_FIFO, tail);
	it_wait_all_listening(out, n, IT_DEADLINE_MS);
}

const char *
it_ping_req_line(enum it_form form, int from)
{
	return form == IT_CLASSIC ?
	    it_s("A ping request message was received from Peer %d.", from) :
	    it_s("Ping request message received from Peer %d", from);
}

const char *
it_ping_rsp_line(enum it_form form, int from)
{
	return form == IT_CLASSIC ?
	    it_s("A ping response message was received from Peer %d.", from) :
	    it_s("Ping response received from Peer %d", from);
}

const char *
it_ping_sent_line(int s1, int s2)
{
	return it_s("Ping requests sent to Peers %d and %d", s1, s2);
}

const char *
it_succ_line(enum it_form form, int which, int s)
{
	const char *nth = which == 1 ? "first" : "second";

	return form == IT_CLASSIC ? it_s("My %s successor is now peer %d.", nth, s) :
	    it_s("My new %s successor is Peer %d", nth, s);
}

/* The owner's "here" line (classic). */
const char *
it_here_line(const char *f)
{
	return it_s("File %s is here.", f);
}

/* The owner's "response sent" line (classic). */
const char *
it_rsp_sent_line(int r)
{
	return it_s("A response message, destined for peer %d, has been sent.", r);
}

/* The requester's "response received" line (classic). */
const char *
it_rsp_rcvd_line(int o, const char *f)
{
	return it_s("Received a response message from peer %d, which has the file %s.", o, f);
}

/*
 * After req asked for f and owner sent it, the only transfer of either (classic dialect):
 * wait for the owner's "The file is sent." and for req's received_<f>.pdf to equal want,
 * then fail unless each printed exactly the lines of one transfer (SPEC §4), in order.
 */
void
it_expect_classic_copy(struct it_peer *req, struct it_peer *owner, const char *f,
    const char *want)
{
	static const char	ellipsis[] = "\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6";

	it_wait_line(owner, IT_OUT, 0, 1, "The file is sent.", IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(it_id(req), it_s("received_%s.pdf", f)), want,
	    IT_DEADLINE_MS);
	it_expect_exactly(req, IT_OUT, 0,
	    it_s("File request message for %s has been sent to my successor.", f),
	    it_rsp_rcvd_line(it_id(owner), f), it_s("We now start receiving the file %s", ellipsis),
	    "The file is received.", NULL);
	it_expect_exactly(owner, IT_OUT, 0, it_here_line(f), it_rsp_sent_line(it_id(req)),
	    it_s("We now start sending the file %s", ellipsis), "The file is sent.", NULL);
}

/* <dir of peer id>/name, kept in a ring of 64 buffers. */
const char *
it_path_in(int id, const char *name)
{
	static char	buf[64][512];
	static unsigned	next;
	char		*b = buf[next++ % 64];

	snprintf(b, sizeof buf[0], "%s/%s", it_peer_dir(id), name);
	return b;
}

/* The core's own rule (keys_owner), so the tests and the program cannot disagree about it. */
int
it_owner(const int *ids, size_t n, int key)
{
	uint8_t	ring[KEYS_RING_SIZE];

	if (n > KEYS_RING_SIZE)
		it_fail("it_owner: %zu ids, a ring has at most %d", n, KEYS_RING_SIZE);
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 0 || ids[i] >= KEYS_RING_SIZE)
			it_fail("it_owner: id %d is not 0..%d", ids[i], KEYS_RING_SIZE - 1);
		ring[i] = (uint8_t)ids[i];
	}
	return keys_owner(ring, n, key);
}
