/*
 * Scenario tests of issue 13's progress lines at the receiving end of a store and of a
 * hand-off: a puppet peer speaking the wire trickles the bytes (half, then a pause until the
 * receiver has reported them, then the rest), so the receive lasts past 2 s without a sleep.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdht/contact.h"
#include "cdht/place.h"
#include "cdht/wire.h"
#include "harness.h"
#include "harness_data.h"

/* The ring is 1 3 4 (it_small_ids): peer 4 owns key 4 (file 0004), peer 3 precedes it. */
#define TAIL		"400 0 --ping-interval 0.2 --quiet-pings"
#define PUPPET		200	/* the puppet's port is base + PUPPET */
#define REF		99	/* a directory no peer uses: the reference copy */
#define SIZE		65536	/* bytes of the file moved */
#define HALF		(SIZE / 2)
#define LINE_MS		4000	/* the first progress line is due 2 s after the bytes began */

static uint8_t		body[SIZE];

/* The ring with the puppet's port free, and the body (also kept at REF as the reference). */
static const char *
setup_ring(struct it_peer **p)
{
	static const int	ports[] = { 1, 3, 4, PUPPET };
	static char		want[4096];
	FILE			*f;

	it_pick_base(ports, 4);
	snprintf(want, sizeof want, "%s", it_put_file(REF, "0004.pdf", SIZE, 4));
	IT_ASSERT((f = fopen(want, "rb")) != NULL && fread(body, 1, SIZE, f) == SIZE,
	    "read the reference copy");
	fclose(f);
	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, TAIL);
	return want;
}

/* The contact of the puppet `id`: 127.0.0.1, base + PUPPET. */
static struct contact
puppet_contact(int id)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };

	return contact_v4((uint8_t)id, lo, (uint16_t)(it_base() + PUPPET));
}

/* Encode m as the puppet `id` into buf; its length. */
static size_t
puppet_encode(int id, struct wire_msg *m, uint8_t *buf, size_t cap)
{
	size_t n;

	m->from = puppet_contact(id);
	if ((n = wire_encode(m, buf, cap)) == 0)
		it_fail("puppet: cannot encode %s", wire_type_name(m->type));
	return n;
}

/* Write all of buf on fd. */
static void
puppet_write(int fd, const void *buf, size_t len)
{
	IT_ASSERT(write(fd, buf, len) == (ssize_t)len, "puppet: write: %s", strerror(errno));
}

/* How many lines of p's stream s after mark start with prefix. */
static size_t
count_in(struct it_peer *p, enum it_stream s, size_t mark, const char *prefix)
{
	size_t	 n, i, k = 0;
	char	**lines = it_lines(p, s, mark, &n);

	for (i = 0; i < n; i++)
		k += strncmp(lines[i], prefix, strlen(prefix)) == 0;
	it_free_lines(lines);
	return k;
}

/* How many stderr lines of p start with prefix. */
static size_t
count_prefix(struct it_peer *p, const char *prefix)
{
	return count_in(p, IT_ERR, 0, prefix);
}

/* n lines of p's stream s after mark that start with prefix. */
struct wait_lines {
	struct it_peer	*p;
	enum it_stream	 s;
	size_t		 mark;
	const char	*prefix;
	size_t		 n;
};

static bool
lines_seen(void *arg)
{
	const struct wait_lines *w = arg;

	return count_in(w->p, w->s, w->mark, w->prefix) >= w->n;
}

/* The rates (KiB/s) of the first two of p's stderr lines that start with prefix. */
static void
rates(struct it_peer *p, const char *prefix, double r[2])
{
	size_t	 n, i, k = 0;
	char	**lines = it_lines(p, IT_ERR, 0, &n);

	for (i = 0; i < n && k < 2; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0 &&
		    sscanf(lines[i] + strlen(prefix), "%lf KiB/s, about ", &r[k]) == 1)
			k++;
	it_free_lines(lines);
	IT_ASSERT(k == 2, "two progress lines with a rate in KiB/s");
}

/*
 * Half of the body is in at p: wait for its progress lines, the first 2 s in and the second
 * a second later. The receiver's own clock tells when they came: half the file (32 KiB) at
 * r KiB/s is 32 / r s in (16.0 KiB/s: 2 s). A loaded machine may make a line late, never
 * early.
 */
static void
expect_two_progress_lines(struct it_peer *p, const char *what)
{
	const char		*prefix = it_s("cdht: %s: 32.0 KiB of 64.0 KiB (50%%), ", what);
	struct wait_lines	 w = { p, IT_ERR, 0, prefix, 2 };
	double			 r[2], e[2];

	it_wait_until(lines_seen, &w, LINE_MS + 1000, it_s("two progress lines '%s'", prefix));
	rates(p, prefix, r);
	e[0] = 32.0 / r[0];
	e[1] = 32.0 / r[1];
	IT_ASSERT(e[0] >= 1.99 && e[0] < 3.5, "the first line came %.2f s in, not 2 s", e[0]);
	IT_ASSERT(e[1] - e[0] >= 0.97 && e[1] - e[0] < 2.5,
	    "the second line came %.2f s after the first, not 1 s", e[1] - e[0]);
}

/* The status text and JSON of p list the transfer with the bytes in so far. */
static void
expect_status(struct it_peer *p, const char *kind, int from)
{
	size_t	m;
	char	want[256];

	snprintf(want, sizeof want, "{\"dir\":\"receive\",\"kind\":\"%s\",\"file\":\"0004\","
	    "\"peer\":%d,\"mode\":\"tcp\",\"bytes\":%d,\"size\":%d,\"percent\":50", kind, from,
	    HALF, SIZE);
	IT_ASSERT(data_status_has(p, want), "status --json lists %s", want);
	m = it_mark(p, IT_OUT);
	it_send(p, "status");
	snprintf(want, sizeof want, "  %s receiving 0004 from peer %d (tcp): %d of %d bytes "
	    "(50.0%%), ", kind, from, HALF, SIZE);
	it_wait_until(lines_seen, &(struct wait_lines){ p, IT_OUT, m, want, 1 }, IT_DEADLINE_MS,
	    it_s("status lists '%s'", want));
}

/* Nothing of the progress reached stdout (status's own lines say "receiving"). */
static void
expect_stdout_clean(struct it_peer *p)
{
	IT_ASSERT(!it_contains(p, IT_OUT, "taking ") && !it_contains(p, IT_OUT, "took "),
	    "no progress or summary line on stdout");
}

/* The STORE_REQ of file 0004 from puppet 9, flagged for peer 4 as its owner. */
static void
store_req(void)
{
	struct wire_msg	m;

	memset(&m, 0, sizeof m);
	m.type = WIRE_STORE_REQ;
	m.u.route.file = 4;
	m.u.route.id = 77;
	m.u.route.ttl = WIRE_TTL;
	m.u.route.flags = WIRE_ROUTE_OWNER;
	m.u.route.mode = WIRE_MODE_TCP;
	m.u.route.origin = puppet_contact(9);
	data_puppet_send(9, it_base() + PUPPET, 4, &m, NULL, 0);
}

/*
 * Puppet 9 stores 0004 at peer 4; peer 4's acceptance comes back on a connection of its
 * own, and the puppet answers on it with the header and half the body: its fd.
 */
static int
store_half(void)
{
	struct wire_msg	m, a;
	uint8_t		buf[WIRE_MAX_FRAME];
	int		lfd = data_puppet_listen(it_base() + PUPPET), fd;

	store_req();
	fd = data_puppet_accept(lfd, &a, IT_DEADLINE_MS, NULL);
	close(lfd);
	IT_ASSERT(a.type == WIRE_FILE_RSP && a.u.file_rsp.id == 77 &&
	    a.u.file_rsp.status == WIRE_STATUS_HAVE, "peer 4 accepts the store");
	memset(&m, 0, sizeof m);
	m.type = WIRE_STORE_DATA;
	m.u.store_data.file = 4;
	m.u.store_data.id = 77;
	m.u.store_data.size = SIZE;
	puppet_write(fd, buf, puppet_encode(9, &m, buf, sizeof buf));
	puppet_write(fd, body, HALF);
	return fd;
}

/*
 * A store taking over 2 s at its owner: progress lines 2 s in and a second later, `status`
 * listing the store with the bytes in so far, a summary line at the end; stdout as before.
 */
IT_CASE(test_progress_store_intake)
{
	struct it_peer	*p[IT_NSMALL];
	const char	*want = setup_ring(p);
	int		 fd;

	fd = store_half();
	it_wait_line(p[2], IT_OUT, 0, 1, "Store 0004 request accepted.", IT_DEADLINE_MS);
	expect_two_progress_lines(p[2], "taking 0004 from peer 9");
	expect_status(p[2], "store", 9);
	puppet_write(fd, body + HALF, SIZE - HALF);
	data_wait_err(p[2], "cdht: took 0004 from peer 9: 64.0 KiB in ", IT_DEADLINE_MS);
	close(fd);
	it_wait_file_equal(it_path_in(4, "0004.pdf"), want, IT_DEADLINE_MS);
	IT_ASSERT(count_prefix(p[2], "cdht: took 0004 from peer 9: ") == 1, "one summary line");
	expect_stdout_clean(p[2]);
	IT_ASSERT(!data_status_has(p[2], "\"kind\":\"store\""), "the store is no longer listed");
}
END_TEST

/* A store cut short: one summary line saying how far it got, and no 0004.pdf. */
IT_CASE(test_progress_store_cut_short)
{
	struct it_peer	*p[IT_NSMALL];

	setup_ring(p);
	close(store_half());
	data_wait_err(p[2], it_s("cdht: taking 0004 from peer 9 failed: 32.0 KiB in "),
	    IT_DEADLINE_MS);
	data_wait_err(p[2], "/s), at 50%", IT_DEADLINE_MS);
	IT_ASSERT(count_prefix(p[2], "cdht: taking 0004 from peer 9 failed: ") == 1,
	    "one summary line");
	IT_ASSERT(!it_file_exists(it_path_in(4, "0004.pdf")), "no 0004.pdf at 4");
	it_expect_alive(p[2]);
}
END_TEST

/*
 * A hand-off taking over 2 s at the new owner: puppet 3 (peer 4's predecessor by id) offers
 * 0004 as to its owner, and trickles the bytes. Progress lines, `status`, a summary line.
 */
IT_CASE(test_progress_handoff_intake)
{
	struct it_peer	*p[IT_NSMALL];
	const char	*want = setup_ring(p);
	struct wire_msg	 m, a;
	uint8_t		 buf[WIRE_MAX_FRAME];
	int64_t		 t0 = it_now_ms();
	int		 lfd, fd;

	while (!data_status_has(p[2], "\"predecessors\":[{\"id\":3,"))
		IT_ASSERT(it_now_ms() - t0 < IT_DEADLINE_MS, "4 never knew 3 as its predecessor");
	memset(&m, 0, sizeof m);
	m.type = WIRE_HOLD_OFFER;
	m.u.hold.file = 4;
	m.u.hold.intent = PLACE_HOLD_OWNER;
	m.u.hold.size = SIZE;
	m.u.hold.gen = 5;
	m.u.hold.sum = place_sum(body, SIZE);
	lfd = data_puppet_listen(it_base() + PUPPET);
	data_puppet_send(3, it_base() + PUPPET, 4, &m, NULL, 0);
	data_puppet_read(lfd, &a, IT_DEADLINE_MS);
	IT_ASSERT(a.type == WIRE_HOLD_ANSWER && a.u.hold_answer.status == PLACE_ST_WANT,
	    "4 wants 0004 (%u)", a.u.hold_answer.status);
	m.type = WIRE_HOLD_DATA;
	m.u.hold.intent = 0;
	fd = data_puppet_connect(4);
	puppet_write(fd, buf, puppet_encode(3, &m, buf, sizeof buf));
	puppet_write(fd, body, HALF);
	expect_two_progress_lines(p[2], "taking over 0004 from peer 3");
	expect_status(p[2], "handoff", 3);
	puppet_write(fd, body + HALF, SIZE - HALF);
	data_wait_err(p[2], "cdht: took over 0004 from peer 3: 64.0 KiB in ", IT_DEADLINE_MS);
	close(fd);
	data_puppet_read(lfd, &a, IT_DEADLINE_MS);
	close(lfd);
	IT_ASSERT(a.type == WIRE_HOLD_ANSWER && a.u.hold_answer.status == PLACE_ST_HAVE,
	    "4 has 0004 now (%u)", a.u.hold_answer.status);
	it_wait_file_equal(it_path_in(4, "0004.pdf"), want, IT_DEADLINE_MS);
	IT_ASSERT(count_prefix(p[2], "cdht: took over 0004 from peer 3: ") == 1,
	    "one summary line");
	expect_stdout_clean(p[2]);
}
END_TEST

/* ---- the sending end of a copy: the puppet is peer 3 of the ring 1 3 4 and reads slowly */

#define BIG		(16 * 1024 * 1024)	/* bytes: far more than the socket buffers hold */
#define SLOW_PINGS	"400 0 --ping-interval 30"	/* the silent puppet is never missed */

/* Puppet 3 (at base + 3) pings peer 4 as its first predecessor. */
static void
puppet_ping(int udp)
{
	static const uint8_t	lo[4] = { 127, 0, 0, 1 };
	struct sockaddr_in	sa = data_loopback(it_base() + 4);
	struct wire_msg		m;
	uint8_t			buf[WIRE_MAX_FRAME];
	size_t			n;

	memset(&m, 0, sizeof m);
	m.type = WIRE_PING_REQ;
	m.from = contact_v4(3, lo, (uint16_t)(it_base() + 3));
	m.u.ping_req.seq = 1;
	m.u.ping_req.role = 1;
	m.u.ping_req.to = 4;
	m.u.ping_req.pred = contact_none();
	IT_ASSERT((n = wire_encode(&m, buf, sizeof buf)) > 0, "encode a ping");
	IT_ASSERT(sendto(udp, buf, n, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)n,
	    "send a ping");
}

/* Puppet 3's answer about its offer of 0004 to peer 4. */
static void
puppet_answer(const struct wire_msg *offer, enum place_status st)
{
	struct wire_msg m;

	memset(&m, 0, sizeof m);
	m.type = WIRE_HOLD_ANSWER;
	m.u.hold_answer.file = 4;
	m.u.hold_answer.gen = offer->u.hold.gen;
	m.u.hold_answer.status = (uint8_t)st;
	data_puppet_send(3, it_base() + 3, 4, &m, NULL, 0);
}

/* Read n bytes from fd within ms: the bytes read. */
static size_t
drain(int fd, size_t n, int ms)
{
	static uint8_t	buf[65536];
	size_t		got = 0;
	int64_t		end = it_now_ms() + ms;

	while (got < n && it_now_ms() < end) {
		struct pollfd	q = { fd, POLLIN, 0 };
		ssize_t		r;

		if (poll(&q, 1, 100) != 1)
			continue;
		if ((r = read(fd, buf, sizeof buf)) <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/*
 * A replica copy taking over 2 s at its sender: peer 4 owns 0004 (its first predecessor is
 * the puppet, peer 3, which pinged it) and copies it to its successors 1 and 3. The puppet
 * takes the header and then reads nothing until peer 4 has reported the copy stalled: a
 * progress line 2 s in, `status` listing it, then all of it and the summary line.
 */
IT_CASE(test_progress_replica_sender)
{
	static const int	ports[] = { 1, 3, 4 };
	struct it_peer		*p[2];
	struct wire_msg		 offer, hdr;
	size_t			 extra;
	int64_t			 t0;
	int			 lfd, udp, fd;

	it_pick_base(ports, 3);
	lfd = data_puppet_listen(it_base() + 3);
	udp = data_puppet_socket(SOCK_DGRAM, it_base() + 3, true);
	it_put_file(4, "0004.pdf", BIG, 4);
	p[0] = it_ring_peer(it_small_ids, IT_NSMALL, 0, IT_CLASSIC, IT_STDIN_FIFO, SLOW_PINGS);
	p[1] = it_ring_peer(it_small_ids, IT_NSMALL, 2, IT_CLASSIC, IT_STDIN_FIFO, SLOW_PINGS);
	it_wait_all_listening(p, 2, IT_DEADLINE_MS);
	puppet_ping(udp);
	t0 = it_now_ms();
	while (!data_status_has(p[1], "\"owns\":{\"from\":4,\"to\":4}"))
		IT_ASSERT(it_now_ms() - t0 < IT_DEADLINE_MS, "4 never knew 3 as its predecessor");
	it_send(p[1], "store 0004");
	data_puppet_read(lfd, &offer, IT_DEADLINE_MS);
	IT_ASSERT(offer.type == WIRE_HOLD_OFFER && offer.u.hold.file == 4 &&
	    offer.u.hold.intent == PLACE_HOLD_REPLICA && offer.u.hold.size == BIG,
	    "4 offers 0004 to 3 as a replica");
	puppet_answer(&offer, PLACE_ST_WANT);
	fd = data_puppet_accept(lfd, &hdr, IT_DEADLINE_MS, &extra);
	IT_ASSERT(hdr.type == WIRE_HOLD_DATA && hdr.u.hold.size == BIG, "4 sends 0004");
	data_wait_err(p[1], "cdht: copying 0004 to peer 3: ", LINE_MS);
	data_wait_err(p[1], " of 16.0 MiB (", IT_DEADLINE_MS);
	IT_ASSERT(data_status_has(p[1], "{\"dir\":\"send\",\"kind\":\"replica\","
	    "\"file\":\"0004\",\"peer\":3,\"mode\":\"tcp\",\"bytes\":"),
	    "status --json lists the copy with its bytes");
	IT_ASSERT(drain(fd, BIG - extra, IT_DEADLINE_MS) == BIG - extra, "all of 0004 came");
	data_wait_err(p[1], "cdht: copied 0004 to peer 3: 16.0 MiB in ", IT_DEADLINE_MS);
	close(fd);
	puppet_answer(&offer, PLACE_ST_HAVE);
	close(lfd);
	close(udp);
	IT_ASSERT(count_prefix(p[1], "cdht: copied 0004 to peer 3: ") == 1, "one summary line");
	/* The other copy, to peer 1, was quick: no line of its own. */
	IT_ASSERT(!it_contains(p[1], IT_ERR, "to peer 1: "), "no line for the quick copy");
	expect_stdout_clean(p[1]);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "progress");
}
