/* Scenario tests of the foundation: pings on both dialects' rings, stdin, arguments, robustness. */
#include "cdht/wire.h"
#include "harness.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PING_TAIL_CLASSIC	"400 0 --ping-interval 0.2"

/* Wait until peer ids[i] has printed every ping line of its place twice; nothing else. */
static void
expect_pinging(struct it_peer *p, const int *ids, size_t n, size_t i, enum it_form form)
{
	const char	*allowed[5];
	char		 keep[5][128];
	size_t		 na = 0;

	snprintf(keep[na++], sizeof keep[0], "%s", it_ping_req_line(form, it_pred(ids, n, i, 1)));
	snprintf(keep[na++], sizeof keep[0], "%s", it_ping_req_line(form, it_pred(ids, n, i, 2)));
	snprintf(keep[na++], sizeof keep[0], "%s", it_ping_rsp_line(form, it_succ(ids, n, i, 1)));
	snprintf(keep[na++], sizeof keep[0], "%s", it_ping_rsp_line(form, it_succ(ids, n, i, 2)));
	if (form == IT_P2P)
		snprintf(keep[na++], sizeof keep[0], "%s",
		    it_ping_sent_line(it_succ(ids, n, i, 1), it_succ(ids, n, i, 2)));
	for (size_t k = 0; k < na; k++) {
		allowed[k] = keep[k];
		it_wait_line(p, IT_OUT, 0, 2, keep[k], IT_DEADLINE_MS);
	}
	it_expect_only_v(p, IT_OUT, 0, allowed, na);
}

/* expect_pinging for every peer of the ring ids, each still running. */
static void
expect_all_pinging(struct it_peer **p, const int *ids, size_t n, enum it_form form)
{
	for (size_t i = 0; i < n; i++) {
		expect_pinging(p[i], ids, n, i, form);
		it_expect_alive(p[i]);
	}
}

/*
 * Start the small ring 1, 3, 4 and wait until it listens: peer 1 with tail1 (stdin a FIFO),
 * peers 3 and 4 with tail and stdin in3 and in4.
 */
static void
small_ring(struct it_peer **p, enum it_form form, const char *tail1, const char *tail,
    enum it_stdin in3, enum it_stdin in4)
{
	it_pick_base(it_small_ids, IT_NSMALL);
	p[0] = it_ring_peer(it_small_ids, IT_NSMALL, 0, form, IT_STDIN_FIFO, tail1);
	p[1] = it_ring_peer(it_small_ids, IT_NSMALL, 1, form, in3, tail);
	p[2] = it_ring_peer(it_small_ids, IT_NSMALL, 2, form, in4, tail);
	it_wait_all_listening(p, IT_NSMALL, IT_DEADLINE_MS);
}

/*
 * Peer it_small_ids[i] (classic), from now on: count answers from each successor and count
 * pings from its first predecessor.
 */
static void
wait_rounds(struct it_peer *p, size_t i, size_t count)
{
	size_t	m = it_mark(p, IT_OUT);

	for (int k = 1; k <= 2; k++)
		it_wait_line(p, IT_OUT, m, count,
		    it_ping_rsp_line(IT_CLASSIC, it_succ(it_small_ids, IT_NSMALL, i, k)),
		    IT_DEADLINE_MS);
	it_wait_line(p, IT_OUT, m, count,
	    it_ping_req_line(IT_CLASSIC, it_pred(it_small_ids, IT_NSMALL, i, 1)), IT_DEADLINE_MS);
}

/* Start the ring ids and check every peer's pings twice (nothing else crept in between). */
static void
ring_pings(const int *ids, size_t n, enum it_form form, const char *tail)
{
	struct it_peer *p[IT_NCLASSIC];

	IT_ASSERT(n <= IT_NCLASSIC, "a ring of %zu", n);
	it_ring(p, ids, n, form, tail);
	expect_all_pinging(p, ids, n, form);
	expect_all_pinging(p, ids, n, form);
}

IT_CASE(test_ring_classic_pings)
{
	ring_pings(it_classic_ids, IT_NCLASSIC, IT_CLASSIC, "400 0.1 --ping-interval 0.2");
}
END_TEST

IT_CASE(test_ring_p2p_pings)
{
	ring_pings(it_p2p_ids, IT_NP2P, IT_P2P, "0.2");
}
END_TEST

IT_CASE(test_ring_stdin_null_and_closed)
{
	struct it_peer	*p[IT_NSMALL];

	small_ring(p, IT_CLASSIC, PING_TAIL_CLASSIC, PING_TAIL_CLASSIC, IT_STDIN_NULL,
	    IT_STDIN_CLOSED);
	for (size_t i = 0; i < IT_NSMALL; i++)
		expect_pinging(p[i], it_small_ids, IT_NSMALL, i, IT_CLASSIC);
	/* Still going a second later: five more rounds each way. */
	wait_rounds(p[1], 1, 5);
	wait_rounds(p[2], 2, 5);
	expect_all_pinging(p, it_small_ids, IT_NSMALL, IT_CLASSIC);
}
END_TEST

/* ---- garbage on the wire */

static uint64_t
rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
fill(uint8_t *buf, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)rng(s);
}

static void
send_udp(int port, const uint8_t *buf, size_t n)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	IT_ASSERT(fd >= 0, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)sendto(fd, buf, n, 0, (struct sockaddr *)&sin, sizeof sin);
	close(fd);
}

/* Connect to port and send n bytes; return the fd (left open) or close it. */
static int
send_tcp(int port, const uint8_t *buf, size_t n, bool keep_open)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t			off = 0;

	IT_ASSERT(fd >= 0, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	IT_ASSERT(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0, "connect to %d: %s",
	    port, strerror(errno));
	while (off < n) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;	/* the peer may hang up on garbage: fine */
		off += (size_t)w;
	}
	if (keep_open)
		return fd;
	close(fd);
	return -1;
}

IT_CASE(test_ring_garbage_on_udp_and_tcp)
{
	struct it_peer	*p[IT_NSMALL];
	static uint8_t	 buf[65000];
	uint64_t	 s = 0x5EED5EEDULL;
	int		 port, open_fd[3];
	size_t		 e3;

	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, PING_TAIL_CLASSIC);
	for (size_t i = 0; i < IT_NSMALL; i++)
		expect_pinging(p[i], it_small_ids, IT_NSMALL, i, IT_CLASSIC);
	port = it_base() + 3;
	e3 = it_mark(p[1], IT_ERR);

	/* UDP: random datagrams, a huge one, empty ones, valid-looking truncated headers. */
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(rng(&s) % 1500);

		fill(buf, n, &s);
		if (i % 3 == 0 && n >= 2) {
			buf[0] = 0xCD;
			buf[1] = 0x01;
			n = n % 14;	/* around the 12-byte header */
		}
		send_udp(port, buf, n);
	}
	fill(buf, sizeof buf, &s);
	send_udp(port, buf, sizeof buf);
	send_udp(port, buf, 0);
	for (int type = 0; type < 20; type++) {
		/* A whole header of every type with a lying length and too little payload. */
		uint8_t h[16] = { 0xCD, 0x01, (uint8_t)type, 0x00, 0x04, 3, 127, 0, 0, 1, 0, 0,
		    1, 2, 3, 4 };

		send_udp(port, h, sizeof h - 3);
		send_udp(port, h, sizeof h);
		h[3] = 0xFF;
		h[4] = 0xFF;
		send_udp(port, h, sizeof h);
	}

	/* TCP: long garbage, truncated headers, lying lengths, idle and half-open connections. */
	fill(buf, sizeof buf, &s);
	(void)send_tcp(port, buf, sizeof buf, false);
	(void)send_tcp(port, buf, 0, false);
	{
		const uint8_t trunc[] = { 0xCD, 0x01, 0x03, 0x00 };
		const uint8_t huge[] = { 0xCD, 0x01, 0x03, 0xFF, 0xFF, 3, 127, 0, 0, 1, 0, 0,
		    9, 9, 9 };
		const uint8_t unknown[] = { 0xCD, 0x01, 0xEE, 0x00, 0x00, 3, 127, 0, 0, 1, 0, 0 };
		const uint8_t badver[] = { 0xCD, 0x7F, 0x03, 0x00, 0x00, 3, 127, 0, 0, 1, 0, 0 };

		(void)send_tcp(port, trunc, sizeof trunc, false);
		(void)send_tcp(port, huge, sizeof huge, false);
		(void)send_tcp(port, unknown, sizeof unknown, false);
		(void)send_tcp(port, badver, sizeof badver, false);
		open_fd[0] = send_tcp(port, trunc, sizeof trunc, true);
		open_fd[1] = send_tcp(port, huge, sizeof huge, true);
		open_fd[2] = send_tcp(port, buf, 0, true);
	}
	for (int i = 0; i < 10; i++) {
		size_t n = (size_t)(rng(&s) % 3000) + 1;

		fill(buf, n, &s);
		if (i % 2 == 0) {
			buf[0] = 0xCD;
			buf[1] = 0x01;
		}
		(void)send_tcp(port, buf, n, false);
	}

	/* It complained, and it is still a working member of the ring. */
	it_wait_nlines(p[1], IT_ERR, e3, 1, IT_DEADLINE_MS);
	wait_rounds(p[1], 1, 3);
	wait_rounds(p[0], 0, 3);
	expect_all_pinging(p, it_small_ids, IT_NSMALL, IT_CLASSIC);
	for (int i = 0; i < 3; i++)
		close(open_fd[i]);
}
END_TEST

/* VmRSS of a process in KiB, or 0. */
static long
rss_kib(pid_t pid)
{
	char	path[64], line[256];
	long	kib = 0;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Valid but hostile traffic: thousands of routed stores and requests flagged for peer 3,
 * all from a made-up peer 77 (nobody listens there), on one connection. The peer takes on
 * a bounded number, stays small, keeps its stderr bounded and keeps pinging.
 */
IT_CASE(test_ring_hostile_flood_stays_bounded)
{
	enum { FLOOD = 4000 };
	struct it_peer	*p[IT_NSMALL];
	static uint8_t	 buf[FLOOD * 2 * (WIRE_HEADER_LEN + 16)];
	struct contact	 liar = contact_v4(77, (const uint8_t[4]){ 127, 0, 0, 1 }, 0);
	size_t		 n = 0, m3, e3, errs;
	char		 path[512];
	long		 kib;

	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, PING_TAIL_CLASSIC);
	it_put_file(3, "0042.pdf", 4000, 42);
	liar.port = (uint16_t)(it_base() + 77);
	for (int i = 0; i < 2 * FLOOD; i++) {
		struct wire_msg	m;

		memset(&m, 0, sizeof m);
		m.type = i % 2 ? WIRE_FILE_REQ : WIRE_STORE_REQ;
		m.from = liar;
		m.u.route.file = 42;
		m.u.route.id = (uint32_t)i + 1;
		m.u.route.origin = liar;
		m.u.route.ttl = 9;
		m.u.route.flags = WIRE_ROUTE_OWNER;
		m.u.route.mode = WIRE_MODE_UDP;
		n += wire_encode(&m, buf + n, sizeof buf - n);
	}
	e3 = it_mark(p[1], IT_ERR);
	(void)send_tcp(it_base() + 3, buf, n, false);

	m3 = it_mark(p[1], IT_OUT);
	it_wait_line(p[1], IT_OUT, m3, 3, it_ping_rsp_line(IT_CLASSIC, 4), 2 * IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, m3, 3, it_ping_req_line(IT_CLASSIC, 1), 2 * IT_DEADLINE_MS);
	it_expect_alive(p[1]);
	kib = rss_kib(it_pid(p[1]));
	IT_ASSERT(kib > 0 && kib < 16 * 1024, "peer 3 grew to %ld KiB under the flood", kib);
	/* 8000 hostile messages, but warnings come at most ~20 a second (plus summaries). */
	it_free_lines(it_lines(p[1], IT_ERR, e3, &errs));
	IT_ASSERT(errs > 0 && errs < 400, "peer 3 wrote %zu warning lines", errs);
	/* Only the bounded number of stores was taken on: none completed, no .part is left. */
	snprintf(path, sizeof path, "%s/0042.pdf", it_peer_dir(3));
	IT_ASSERT(it_file_exists(path), "peer 3 lost its own file");
	/* At most 8 transfers for one peer (PEER_MAX_PER_PEER) and one store per file. */
	IT_ASSERT(it_count(p[1], IT_OUT, 0, "Store 0042 request accepted.") == 1,
	    "peer 3 took more than one store of 0042");
	IT_ASSERT(it_count(p[1], IT_OUT, 0, "File 0042 is here.") <= 8,
	    "peer 3 served 0042 to peer 77 more than 8 times at once");
	expect_pinging(p[0], it_small_ids, IT_NSMALL, 0, IT_CLASSIC);
	expect_pinging(p[2], it_small_ids, IT_NSMALL, 2, IT_CLASSIC);
}
END_TEST

/* Peer 1 of the small ring is quiet; the others show that it pings and answers. */
static void
quiet_pings(enum it_form form, const char *tail, const char *quiet_tail)
{
	struct it_peer *p[IT_NSMALL];

	small_ring(p, form, quiet_tail, tail, IT_STDIN_FIFO, IT_STDIN_FIFO);
	it_wait_line(p[2], IT_OUT, 0, 5, it_ping_rsp_line(form, 1), IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, 0, 5, it_ping_rsp_line(form, 1), IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, 0, 5, it_ping_req_line(form, 1), IT_DEADLINE_MS);
	it_wait_line(p[2], IT_OUT, 0, 5, it_ping_req_line(form, 3), IT_DEADLINE_MS);
	it_expect_empty(p[0], IT_OUT, 0);
	expect_pinging(p[1], it_small_ids, IT_NSMALL, 1, form);
	expect_pinging(p[2], it_small_ids, IT_NSMALL, 2, form);
	it_expect_alive(p[0]);
}

IT_CASE(test_ring_quiet_pings_classic)
{
	quiet_pings(IT_CLASSIC, PING_TAIL_CLASSIC, PING_TAIL_CLASSIC " --quiet-pings");
}
END_TEST

IT_CASE(test_ring_quiet_pings_p2p)
{
	quiet_pings(IT_P2P, "0.2", "0.2 --quiet-pings");
}
END_TEST

IT_CASE(test_ring_stdin_feedback)
{
	struct it_peer	*p[IT_NSMALL], *q;
	const char	*unknown = "cdht: unknown command 'frobnicate'; try help";
	/* help and status in any case, blanks around: one stdout line each */
	static const char *const asks[] = { "help", "status", "STATUS", "  Help  ", "\tsTaTuS " };
	size_t		 e, m;
	char		**lines;
	size_t		 n;

	small_ring(p, IT_CLASSIC, PING_TAIL_CLASSIC " --quiet-pings", PING_TAIL_CLASSIC,
	    IT_STDIN_FIFO, IT_STDIN_FIFO);
	q = p[0];

	/* Unknown command: exactly this line on stderr. */
	it_send(q, "frobnicate");
	it_wait_line(q, IT_ERR, 0, 1, unknown, IT_DEADLINE_MS);

	/* Bad file names: one line each on stderr, nothing on stdout, nothing sent. */
	e = it_mark(q, IT_ERR);
	it_send(q, "request a912");
	it_send(q, "request 32134");
	it_send(q, "request 12");
	it_send(q, "store 12");
	it_send(q, "frobnicate");	/* a barrier: commands are handled in order */
	it_wait_line(q, IT_ERR, e, 1, unknown, IT_DEADLINE_MS);
	lines = it_lines(q, IT_ERR, e, &n);
	IT_ASSERT(n == 5, "four bad commands and the barrier gave %zu stderr lines, not 5", n);
	for (size_t i = 0; i < 4; i++)
		IT_ASSERT(strcmp(lines[i], unknown) != 0 && lines[i][0] != '\0',
		    "a bad file name gets its own error, not '%s'", lines[i]);
	it_free_lines(lines);
	it_expect_empty(q, IT_OUT, 0);
	it_expect_only(p[1], IT_OUT, 0, it_ping_req_line(IT_CLASSIC, 1),
	    it_ping_req_line(IT_CLASSIC, 4), it_ping_rsp_line(IT_CLASSIC, 4),
	    it_ping_rsp_line(IT_CLASSIC, 1), NULL);

	/* help and status print on stdout, keywords in any case, blanks around ignored. */
	e = it_mark(q, IT_ERR);
	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		m = it_mark(q, IT_OUT);
		it_send(q, "%s", asks[i]);
		it_wait_nlines(q, IT_OUT, m, 1, IT_DEADLINE_MS);
	}
	it_send(q, "frobnicate");
	it_wait_line(q, IT_ERR, e, 1, unknown, IT_DEADLINE_MS);
	it_expect_exactly(q, IT_ERR, e, unknown, NULL);
	it_expect_alive(q);
}
END_TEST

/* ---- the command line */

static void
expect_bad_args(const char *args)
{
	struct it_peer	*p = it_start(1, "%s", args);
	int		 st = it_wait_exit(p, IT_DEADLINE_MS);
	const char	*first;

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
		it_fail("'cdht %s': %s, expected exit status 2%s", args,
		    WIFEXITED(st) ? it_s("exit status %d", WEXITSTATUS(st)) : "killed",
		    WIFEXITED(st) && WEXITSTATUS(st) == 1 ?
		    " (1 = a port in use: did it bind before checking its arguments?)" : "");
	first = it_first_line(p, IT_ERR);
	IT_ASSERT(first != NULL && strncmp(first, "cdht: ", 6) == 0,
	    "'cdht %s': stderr's first line '%s' does not start with 'cdht: '", args,
	    first ? first : "<none>");
	it_expect_empty(p, IT_OUT, 0);
}

IT_CASE(test_ring_bad_arguments)
{
	static const int ids[] = { 1, 3, 4, 5 };
	static const char *const bad[] = {
		"abc 3 4",
		"1 256 4",
		"1 -1 4",
		"3 3 4",
		"1 4 4",
		"1 3 4 0 0.1",
		"1 3 4 400 1.5",
		"1 3 4 400 -0.1",
		"1 3 4 400",
		"1 3 4 abc 0.1",
		"--frobnicate 1 3 4",
		"1 3",
		"1",
		"",
		"1 3 4 400 0.1 7",
		"init 1 3 4",
		"init 1 3 4 0",
		"init 1 3 4 abc",
		"init 300 3 4 0.2",
		"join 5 300 0.2",
		"join 5 3",
		"--ping-interval 0 1 3 4",
		"--transfer ftp 1 3 4",
		"--dialect klingon 1 3 4",
		"--mss 0 1 3 4",
		"--drop 2 1 3 4",
	};

	it_pick_base(ids, 4);
	/* Hold the ports a valid peer would take: binding before validating shows as exit 1. */
	for (size_t i = 0; i < 4; i++) {
		it_hold_port(it_base() + ids[i], false);
		it_hold_port(it_base() + ids[i], true);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_bad_args(bad[i]);
}
END_TEST

static void
expect_port_in_use(bool tcp)
{
	static const int ids[] = { 1, 3, 4 };
	struct it_peer	*p;
	int		 fd, port;

	it_pick_base(ids, 3);
	port = it_base() + 1;
	fd = it_hold_port(port, tcp);
	p = it_start(1, "1 3 4 400 0 --ping-interval 0.2");
	it_expect_exit(p, 1, IT_DEADLINE_MS);
	IT_ASSERT(it_contains(p, IT_ERR, it_s("%d", port)), "stderr names port %d (%s in use)",
	    port, tcp ? "TCP" : "UDP");
	IT_ASSERT(strncmp(it_first_line(p, IT_ERR), "cdht: ", 6) == 0,
	    "stderr starts with 'cdht: '");
	it_release_port(fd);
}

IT_CASE(test_ring_udp_port_in_use)
{
	expect_port_in_use(false);
}
END_TEST

IT_CASE(test_ring_tcp_port_in_use)
{
	expect_port_in_use(true);
}
END_TEST

IT_CASE(test_ring_help_and_version)
{
	static const char *const args[] = { "--help", "-h", "--version" };

	for (size_t i = 0; i < 3; i++) {
		struct it_peer *p = it_start(1, "%s", args[i]);

		it_expect_exit(p, 0, IT_DEADLINE_MS);
		IT_ASSERT(it_first_line(p, IT_OUT) != NULL, "'cdht %s' prints on stdout", args[i]);
	}
}
END_TEST

IT_CASE(test_ring_sigint_ends_peer_at_once)
{
	struct it_peer	*p[IT_NSMALL];
	int		 st;
	int64_t		 t0;

	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, PING_TAIL_CLASSIC);
	expect_pinging(p[1], it_small_ids, IT_NSMALL, 1, IT_CLASSIC);
	t0 = it_now_ms();
	it_signal(p[1], SIGINT);
	st = it_wait_exit(p[1], 1000);
	IT_ASSERT(WIFSIGNALED(st) || WIFEXITED(st), "ended (0x%x)", st);
	IT_ASSERT(it_now_ms() - t0 <= 1000, "ended within 1 s");
	it_expect_alive(p[0]);
	it_expect_alive(p[2]);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "ring");
}
