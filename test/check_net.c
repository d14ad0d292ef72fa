/* Unit tests of the transport on loopback: IPv4 and IPv6, bind errors, versions, full slots. */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "case.h"
#include "netfix.h"
#include "net.h"


static const uint8_t lo4[4] = { 127, 0, 0, 1 };
static const uint8_t lo6[16] = { [15] = 1 };
static const uint8_t any6[16];

/* What the callbacks saw. */
struct seen {
	int		udp, frames, failed, bursts;
	uint32_t	failed_id;	/* the route id send_failed gave */
	uint32_t	seqs[64];	/* ping seqs of the datagrams, in arrival order */
	struct wire_msg	last;
};

static struct seen	seen;
static struct net	*nets[4];	/* every transport net_at made; teardown frees them */
static size_t		 nnets;

static void
on_udp(void *arg, const struct wire_msg *m, uint64_t now)
{
	(void)arg;
	(void)now;
	if (m->type == WIRE_PING_REQ && seen.udp < 64)
		seen.seqs[seen.udp] = m->u.ping_req.seq;
	seen.udp++;
	seen.last = *m;
}

static void
on_burst_end(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
	seen.bursts++;
}

static void
on_frame(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	(void)arg;
	(void)c;
	(void)now;
	seen.frames++;
	seen.last = *m;
}

static void
on_failed(void *arg, const struct contact *to, int type, uint32_t id, uint64_t now)
{
	(void)arg;
	(void)to;
	(void)type;
	(void)now;
	seen.failed++;
	seen.failed_id = id;
}



static const struct net_ops ops = {
	.udp = on_udp, .udp_burst_end = on_burst_end, .frame = on_frame, .send_failed = on_failed, .file_sent = netfix_no_ctx,
	.body_done = netfix_no_ctx, .timer = netfix_no_timer,
};

/* Each test: a fresh base, nothing seen, stderr into a file the test can read. */
static void
setup(void)
{
	netfix_setup(&seen, sizeof seen);
}

static void
teardown(void)
{
	while (nnets > 0)
		net_free(nets[--nnets]);
	netfix_teardown();
}

static bool got_udp(void) { return seen.udp > 0; }
static bool got_40_udp(void) { return seen.udp >= 40; }
static bool got_frame(void) { return seen.frames > 0; }
static bool got_family_warning(void) { return netfix_stderr_count("this ring uses IPv") > 0; }

/*
 * A transport bound at a random free port of addr (family 4 or 6), freed by teardown; its
 * contact in *self.
 */
static struct net *
net_at(uint8_t family, const uint8_t *addr, uint8_t id, struct contact *self)
{
	char	err[256];
	int	i;

	ck_assert_uint_lt(nnets, sizeof nets / sizeof nets[0]);
	for (i = 0; i < 50; i++) {
		uint16_t	port = (uint16_t)(20000 + (unsigned)rand() % 12000);

		*self = family == CONTACT_V4 ? contact_v4(id, addr, port) :
		    contact_v6(id, addr, port);
		if ((nets[nnets] = net_new(base, self, &ops, NULL, err, sizeof err)) != NULL)
			return nets[nnets++];
	}
	ck_abort_msg("cannot bind: %s", err);
	return NULL;
}

/* The IPv4 socket address addr:port (addr in host order). */
static struct sockaddr_in
sin4(uint32_t addr, uint16_t port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	return sin;
}

/* Peers 1 (a, on na) and 2 (b, on nb) on one loopback address. */
struct pair {
	struct contact	 a, b;
	struct net	*na, *nb;
};

static struct pair
pair_on(uint8_t family, const uint8_t *addr)
{
	struct pair	p;

	p.na = net_at(family, addr, 1, &p.a);
	p.nb = net_at(family, addr, 2, &p.b);
	return p;
}

/* A ping request (seq 77, a datagram) or a successor query (qid 99, a frame) from `from`. */
static struct wire_msg
msg_from(int type, const struct contact *from)
{
	struct wire_msg	m;

	memset(&m, 0, sizeof m);
	m.type = (uint8_t)type;
	m.from = *from;
	if (type == WIRE_PING_REQ) {
		m.u.ping_req.seq = 77;
		m.u.ping_req.role = 1;
	} else {
		m.u.query.qid = 99;
	}
	return m;
}

#define ping_from(c)	msg_from(WIRE_PING_REQ, (c))
#define query_from(c)	msg_from(WIRE_SUCC_QUERY, (c))

CASE("loopback", test_net_v4_udp_round_trip)
{
	struct pair	p = pair_on(CONTACT_V4, lo4);
	struct wire_msg	m = ping_from(&p.a);

	net_udp_send(p.na, &p.b, &m);
	ck_assert(netfix_run_until(got_udp));
	ck_assert_uint_eq(seen.last.u.ping_req.seq, 77);
	ck_assert(contact_equal(&seen.last.from, &p.a));
}
END_TEST

/* Held datagrams wait for the release, then arrive all and in order; bursts are reported. */
CASE("loopback", test_net_held_datagrams_go_out_in_order)
{
	struct pair	p = pair_on(CONTACT_V4, lo4);
	struct wire_msg	m = ping_from(&p.a);
	uint32_t	i;

	net_udp_hold(p.na);
	for (i = 0; i < 40; i++) {	/* more than one sendmmsg's worth */
		m.u.ping_req.seq = i;
		net_udp_send(p.na, &p.b, &m);
	}
	netfix_run_for(50);
	ck_assert_int_eq(seen.udp, 32);		/* the first 32 went when the hold was full */
	net_udp_release(p.na);
	ck_assert(netfix_run_until(got_40_udp));
	ck_assert_int_eq(seen.udp, 40);
	for (i = 0; i < 40; i++)
		ck_assert_uint_eq(seen.seqs[i], i);
	ck_assert_int_ge(seen.bursts, 1);
	ck_assert_int_le(seen.bursts, 40);
}
END_TEST

CASE("loopback", test_net_v4_tcp_frame)
{
	struct pair	p = pair_on(CONTACT_V4, lo4);
	struct wire_msg	m = query_from(&p.a);

	ck_assert_ptr_nonnull(net_tcp_send(p.na, &p.b, &m));
	ck_assert(netfix_run_until(got_frame));
	ck_assert_uint_eq(seen.last.u.query.qid, 99);
	ck_assert_int_eq(seen.failed, 0);
}
END_TEST

/* Is the wire able to carry an IPv6 sender (protocol version 2 on)? */
static bool
wire_carries_v6(const struct contact *a)
{
	struct wire_msg	m = ping_from(a);
	uint8_t		buf[WIRE_MAX_FRAME];

	return wire_encode(&m, buf, sizeof buf) > 0;
}

static bool got_query_drop(void) { return netfix_stderr_count("dropped SUCC_QUERY") > 0; }

/*
 * A datagram over ::1. While the wire carries only IPv4 contacts (version 1), the sender it
 * names is IPv4, and it is dropped with the family warning; once it carries IPv6 contacts,
 * it is delivered.
 */
CASE("loopback", test_net_v6_udp)
{
	struct pair	p = pair_on(CONTACT_V6, lo6);
	struct wire_msg	m = ping_from(&p.a);

	if (wire_carries_v6(&p.a)) {
		net_udp_send(p.na, &p.b, &m);
		ck_assert(netfix_run_until(got_udp));
		ck_assert(contact_equal(&seen.last.from, &p.a));
	} else {
		m.from = contact_v4(1, lo4, 1);
		net_udp_send(p.na, &p.b, &m);
		ck_assert(netfix_run_until(got_family_warning));
		ck_assert_int_eq(seen.udp, 0);
		ck_assert_int_eq(netfix_stderr_count("dropped PING_REQ from 1@127.0.0.1:1"), 1);
	}
}
END_TEST

/* A frame over ::1: delivered, or (wire version 1) dropped with the family warning. */
CASE("loopback", test_net_v6_tcp)
{
	struct pair	p = pair_on(CONTACT_V6, lo6);
	struct wire_msg	q = query_from(&p.a);

	if (wire_carries_v6(&p.a)) {
		ck_assert_ptr_nonnull(net_tcp_send(p.na, &p.b, &q));
		ck_assert(netfix_run_until(got_frame));
		ck_assert(contact_equal(&seen.last.from, &p.a));
	} else {
		q.from = contact_v4(1, lo4, 1);
		ck_assert_ptr_nonnull(net_tcp_send(p.na, &p.b, &q));
		ck_assert(netfix_run_until(got_query_drop));
		ck_assert_int_eq(seen.frames, 0);
		ck_assert_int_eq(netfix_stderr_count("this ring uses IPv6"), 1);
	}
	ck_assert_int_eq(seen.failed, 0);
}
END_TEST

/* A transport never sends to the other family: a connection to it fails at once. */
CASE("loopback", test_net_other_family_not_reached)
{
	struct contact	 a, to6 = contact_v6(2, lo6, 4000);
	struct net	*na = net_at(CONTACT_V4, lo4, 1, &a);
	struct wire_msg	 q = query_from(&a);

	ck_assert_ptr_null(net_tcp_send(na, &to6, &q));
	ck_assert_int_eq(seen.failed, 1);
	ck_assert_int_eq(netfix_stderr_count("this ring uses IPv4"), 1);
}
END_TEST

/* A request that cannot be sent is reported with its id, so its requester can retry it. */
CASE("loopback", test_net_failed_request_names_its_id)
{
	struct contact	 a, to6 = contact_v6(2, lo6, 4000);
	struct net	*na = net_at(CONTACT_V4, lo4, 1, &a);
	struct wire_msg	 q;

	memset(&q, 0, sizeof q);
	q.type = WIRE_FILE_REQ;
	q.from = a;
	q.u.route.file = 2012;
	q.u.route.id = 77;
	q.u.route.origin = a;
	q.u.route.ttl = 8;
	ck_assert_ptr_null(net_tcp_send(na, &to6, &q));
	ck_assert_int_eq(seen.failed, 1);
	ck_assert_uint_eq(seen.failed_id, 77);
}
END_TEST

/* A :: wildcard takes IPv6 only: the same port stays free for 0.0.0.0. */
CASE("loopback", test_net_v6_wildcard_is_v6_only)
{
	struct contact		 a;
	struct sockaddr_in	 sin;
	int			 fd = socket(AF_INET, SOCK_DGRAM, 0);

	net_at(CONTACT_V6, any6, 1, &a);
	sin = sin4(INADDR_ANY, a.port);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	close(fd);
}
END_TEST

/* A port clash names the port, the cause and what to try, in one sentence. */
CASE("loopback", test_net_bind_clash_says_why)
{
	struct contact	 a, again;
	char		 err[256], want[256];

	net_at(CONTACT_V4, lo4, 8, &a);
	again = a;
	ck_assert_ptr_null(net_new(base, &again, &ops, NULL, err, sizeof err));
	snprintf(want, sizeof want, "cannot bind UDP 127.0.0.1:%u (port %u): Address already in "
	    "use; is peer 8 already running here, or does another program hold the port? Try "
	    "another --base-port", a.port, a.port);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Datagrams of another protocol version: one warning per host and version, naming it. */
CASE("loopback", test_net_other_version_warned_once)
{
	struct contact		 a = contact_v4(1, lo4, 1), b;
	struct sockaddr_in	 sin;
	struct wire_msg		 ping = ping_from(&a);
	uint8_t			 msg[WIRE_MAX_FRAME];
	size_t			 len = wire_encode(&ping, msg, sizeof msg);
	char			 want[128];
	int			 fd = socket(AF_INET, SOCK_DGRAM, 0), i;

	net_at(CONTACT_V4, lo4, 2, &b);
	sin = sin4(INADDR_LOOPBACK, b.port);
	msg[1] = WIRE_VERSION + 7;
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(sendto(fd, msg, len, 0, (struct sockaddr *)&sin, sizeof sin),
		    (ssize_t)len);
	/* Then one of ours from the same socket: when it is in, the others were seen first. */
	msg[1] = WIRE_VERSION;
	ck_assert_int_eq(sendto(fd, msg, len, 0, (struct sockaddr *)&sin, sizeof sin),
	    (ssize_t)len);
	ck_assert(netfix_run_until(got_udp));
	ck_assert_int_eq(seen.udp, 1);
	snprintf(want, sizeof want, "protocol version %d from 127.0.0.1", WIRE_VERSION + 7);
	ck_assert_int_eq(netfix_stderr_count("protocol version"), 1);
	ck_assert_int_eq(netfix_stderr_count(want), 1);
	close(fd);
}
END_TEST

/*
 * With every accepted slot held by a silent connection, a connection that brings a whole
 * message is still served, and the oldest silent one is the one closed to make room.
 */
CASE("loopback", test_net_full_slots_evict_oldest)
{
	static int		 idle[NET_MAX_IN];
	struct timeval		 two = { 2, 0 };
	struct pair		 p = pair_on(CONTACT_V4, lo4);
	struct sockaddr_in	 sin;
	struct wire_msg		 q;
	char			 c;
	int			 i;

	sin = sin4(INADDR_LOOPBACK, p.b.port);
	for (i = 0; i < NET_MAX_IN; i++) {
		idle[i] = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(idle[i], (struct sockaddr *)&sin, sizeof sin), 0);
		/* Accepted one by one, so the first is the one that has waited longest. */
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	q = query_from(&p.a);
	ck_assert_ptr_nonnull(net_tcp_send(p.na, &p.b, &q));
	ck_assert(netfix_run_until(got_frame));
	ck_assert_int_eq(netfix_stderr_count("closed to make room"), 1);
	/* The first one was closed: it reads the end (within 2 s); the last one still waits. */
	setsockopt(idle[0], SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
	ck_assert_int_eq(recv(idle[0], &c, 1, 0), 0);
	ck_assert_int_eq(recv(idle[NET_MAX_IN - 1], &c, 1, MSG_DONTWAIT), -1);
	for (i = 0; i < NET_MAX_IN; i++)
		close(idle[i]);
}
END_TEST

/* Out of descriptors, the listener pauses (100 ms) instead of spinning on accept. */
CASE("loopback", test_net_out_of_fds_pauses_accept)
{
	static int		 held[4096];
	struct contact		 b;
	struct sockaddr_in	 sin;
	struct rlimit		 rl;
	int			 n = 0, fd;

	net_at(CONTACT_V4, lo4, 2, &b);
	sin = sin4(INADDR_LOOPBACK, b.port);
	fd = dup(0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)fd + 40;
	close(fd);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	/* Fill every descriptor, then free one for a client whose accept must fail. */
	while (n < 4096 && (held[n] = dup(0)) != -1)
		n++;
	ck_assert_int_gt(n, 0);
	close(held[--n]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	netfix_run_for(350);
	close(fd);
	while (n > 0)
		close(held[--n]);
	/* A spin would have warned 20 times (the log's limit a second). */
	ck_assert_int_ge(netfix_stderr_count("cannot accept a connection"), 1);
	ck_assert_int_le(netfix_stderr_count("cannot accept a connection"), 5);
}
END_TEST

/* CDHT_DEBUG_NET=1 logs each state change of a connection on stderr; unset, nothing. */
CASE("loopback", test_net_debug_logs_transitions)
{
	struct contact	 a, b;
	struct net	*na;
	struct wire_msg	 q;

	setenv("CDHT_DEBUG_NET", "1", 1);
	na = net_at(CONTACT_V4, lo4, 1, &a);
	unsetenv("CDHT_DEBUG_NET");
	net_at(CONTACT_V4, lo4, 2, &b);
	q = query_from(&a);
	ck_assert_ptr_nonnull(net_tcp_send(na, &b, &q));
	ck_assert(netfix_run_until(got_frame));
	ck_assert_int_eq(netfix_stderr_count("new, connecting"), 1);
	ck_assert_int_eq(netfix_stderr_count("connecting -> sending: connected"), 1);
	ck_assert_int_eq(netfix_stderr_count("new, reading"), 0);	/* nb does not log */
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	srand((unsigned)getpid());
	return case_main("net", CASE_OPTS({ "loopback", 30, setup, teardown }));
}
