/* Unit tests of the UDP receive path: runs the kernel coalesced (UDP_GRO) cut back. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "case.h"
#include "netfix.h"
#include "net_internal.h"

#define RUN_MAX		64	/* datagrams in one test run at most */

static const uint8_t lo4[4] = { 127, 0, 0, 1 };

/* What the callbacks saw. */
struct seen {
	int		udp, bursts, burst_max, in_burst;
	uint32_t	seqs[4 * RUN_MAX];	/* ping seqs, in arrival order */
};

static struct seen	seen;
static int		want;	/* datagrams all_seen waits for */

static void
on_udp(void *arg, const struct wire_msg *m, uint64_t now)
{
	(void)arg;
	(void)now;
	if (m->type == WIRE_PING_REQ && seen.udp < 4 * RUN_MAX)
		seen.seqs[seen.udp] = m->u.ping_req.seq;
	seen.udp++;
	seen.in_burst++;
}

static void
on_burst_end(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
	seen.bursts++;
	if (seen.in_burst > seen.burst_max)
		seen.burst_max = seen.in_burst;
	seen.in_burst = 0;
}





static const struct net_ops ops = {
	.udp = on_udp, .udp_burst_end = on_burst_end, .frame = netfix_no_frame,
	.send_failed = netfix_no_failed, .file_sent = netfix_no_ctx, .body_done = netfix_no_ctx,
	.timer = netfix_no_timer,
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
	netfix_teardown();
	unsetenv("CDHT_UDP_GRO");
}

static char	warn[128];	/* the warning `warned` waits for */

/* Has the warning been written? */
static bool
warned(void)
{
	return netfix_stderr_count(warn) > 0;
}

/* Have `want` datagrams been handed on? */
static bool
all_seen(void)
{
	return seen.udp >= want;
}

/* A transport bound at a random free port of 127.0.0.1; its contact in *self. */
static struct net *
net_at(struct contact *self)
{
	char	err[256];
	int	i;

	for (i = 0; i < 50; i++) {
		uint16_t	port = (uint16_t)(20000 + (unsigned)rand() % 12000);
		struct net	*n;

		*self = contact_v4(2, lo4, port);
		if ((n = net_new(base, self, &ops, NULL, err, sizeof err)) != NULL)
			return n;
	}
	ck_abort_msg("cannot bind: %s", err);
	return NULL;
}

/* A plain UDP socket on 127.0.0.1 (any port); its port in *port. */
static int
sender(uint16_t *port)
{
	struct sockaddr_in	a = { .sin_family = AF_INET };
	socklen_t		len = sizeof a;
	int			fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * Send count ping datagrams (seqs first, first + 1, ...) and then `tail` bytes of junk to
 * `to` as one UDP GSO send cut every ping's length: the kernel may hand them to the
 * receiver as one coalesced buffer. Whether the kernel took the send (no GSO: false).
 */
static bool
send_run(int fd, const struct contact *to, int count, uint32_t first, size_t tail)
{
	static uint8_t	buf[RUN_MAX * 128];
	_Alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(uint16_t))];
	struct sockaddr_storage ss;
	struct wire_msg	m;
	struct iovec	iov;
	struct msghdr	h;
	struct cmsghdr	*c;
	size_t		len = 0, one = 0;
	uint16_t	seg;
	int		i;

	memset(&m, 0, sizeof m);
	m.type = WIRE_PING_REQ;
	m.from = contact_v4(1, lo4, 1);
	m.u.ping_req.role = 1;
	for (i = 0; i < count; i++, len += one) {
		m.u.ping_req.seq = first + (uint32_t)i;
		one = wire_encode(&m, buf + len, sizeof buf - len);
		ck_assert_uint_gt(one, tail);
	}
	memset(buf + len, 0xa5, tail);
	seg = (uint16_t)one;
	iov = (struct iovec){ .iov_base = buf, .iov_len = len + tail };
	memset(&h, 0, sizeof h);
	h.msg_name = &ss;
	h.msg_namelen = net_sockaddr(to, &ss);
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_control = ctl;
	h.msg_controllen = sizeof ctl;
	c = CMSG_FIRSTHDR(&h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof seg);
	memcpy(CMSG_DATA(c), &seg, sizeof seg);
	return sendmsg(fd, &h, 0) == (ssize_t)(len + tail);
}

/* The seqs seen are first, first + 1, ... (count of them), in order. */
static void
assert_seqs(int count, uint32_t first)
{
	int	i;

	ck_assert_int_eq(seen.udp, count);
	for (i = 0; i < count; i++)
		ck_assert_uint_eq(seen.seqs[i], first + (uint32_t)i);
}

/* A buffer of len bytes coalesced at seg is cut every seg bytes, the last one shorter. */
CASE("gro", test_net_udp_cut_every_segment_size)
{
	ck_assert_uint_eq(net_udp_cut(1000, 400, 0), 400);
	ck_assert_uint_eq(net_udp_cut(1000, 400, 400), 400);
	ck_assert_uint_eq(net_udp_cut(1000, 400, 800), 200);
	ck_assert_uint_eq(net_udp_cut(1000, 400, 1000), 0);
	ck_assert_uint_eq(net_udp_cut(800, 400, 400), 400);
	ck_assert_uint_eq(net_udp_cut(800, 400, 800), 0);
}
END_TEST

/* No segment size, or one larger than the buffer: the buffer is one datagram. */
CASE("gro", test_net_udp_cut_uncoalesced_is_whole)
{
	ck_assert_uint_eq(net_udp_cut(1000, 0, 0), 1000);
	ck_assert_uint_eq(net_udp_cut(1000, 0, 1000), 0);
	ck_assert_uint_eq(net_udp_cut(300, 400, 0), 300);
	ck_assert_uint_eq(net_udp_cut(0, 400, 0), 0);
}
END_TEST

/* One test's ends: a transport at b and a plain sender socket. */
struct run {
	struct contact	 b;
	struct net	*nb;
	int		 fd;
	uint16_t	 port;	/* the sender's */
};

static void
run_open(struct run *r)
{
	r->nb = net_at(&r->b);
	r->fd = sender(&r->port);
}

static void
run_close(struct run *r)
{
	close(r->fd);
	net_free(r->nb);
}

/*
 * Send a GSO run (send_run) and wait until its count pings were handed on, in order; false
 * where the kernel would not take the send (then there is nothing to check).
 */
static bool
run_through(struct run *r, int count, uint32_t first, size_t tail)
{
	if (!send_run(r->fd, &r->b, count, first, tail))
		return false;
	want = count;
	ck_assert(netfix_run_until(all_seen));
	assert_seqs(count, first);
	return true;
}

/* A GSO run of 40 pings arrives as 40 datagrams, in order, with GRO (where the kernel has it). */
CASE("gro", test_net_udp_run_arrives_as_its_datagrams)
{
	struct run	r;

	run_open(&r);
	if (run_through(&r, 40, 1000, 0))
		ck_assert_int_eq(netfix_stderr_count("dropped"), 0);
	run_close(&r);
}
END_TEST

/* A run's shorter last datagram is cut where it starts, from the run's sender. */
CASE("gro", test_net_udp_run_short_last_datagram)
{
	struct run	r;

	run_open(&r);
	if (run_through(&r, 5, 7, 9)) {
		snprintf(warn, sizeof warn, "dropped a 9-byte datagram from 127.0.0.1:%u", r.port);
		ck_assert(netfix_run_until(warned));
		ck_assert_int_eq(netfix_stderr_count(warn), 1);
		ck_assert_int_eq(netfix_stderr_count("dropped"), 1);
	}
	run_close(&r);
}
END_TEST

/* CDHT_UDP_GRO=0: no UDP_GRO, and a run still arrives as its datagrams (the kernel cuts it). */
CASE("gro", test_net_udp_gro_off_by_environment)
{
	struct run	r;

	setenv("CDHT_UDP_GRO", "0", 1);
	run_open(&r);
	ck_assert(!r.nb->udp_gro);
	(void)run_through(&r, 30, 50, 0);
	run_close(&r);
}
END_TEST

/* Where the kernel takes UDP_GRO on a socket, the transport turns it on. */
CASE("gro", test_net_udp_gro_on_where_the_kernel_has_it)
{
	struct contact	 b;
	struct net	*nb = net_at(&b);
	int		 one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_eq(nb->udp_gro,
	    setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0 &&
	    getenv("CDHT_UDP_GSO") == NULL);
	close(fd);
	net_free(nb);
}
END_TEST

/* Runs of 64 and 60 datagrams read together: no burst hands on more than 64. */
CASE("gro", test_net_udp_burst_at_most_64)
{
	struct run	r;

	run_open(&r);
	if (send_run(r.fd, &r.b, 64, 0, 0) && send_run(r.fd, &r.b, 60, 64, 0)) {
		want = 124;
		ck_assert(netfix_run_until(all_seen));
		assert_seqs(124, 0);
		ck_assert_int_le(seen.burst_max, NET_UDP_BURST);
		ck_assert_int_eq(seen.in_burst, 0);
		ck_assert_int_ge(seen.bursts, 2);
	}
	run_close(&r);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	srand((unsigned)getpid());
	return case_main("net_udp", CASE_OPTS({ "gro", 30, setup, teardown }));
}
