/*
 * Scenario tests of addresses (SPEC §1-§2): a ring on ::1, successors named ID@HOST:PORT on
 * ports that are not base-port + id, a join through ID@HOST:PORT, and every bad contact form
 * refused by the real binary before anything is bound.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PING_S		"0.2"			/* s between ping rounds */
#define SECOND_BASE_GAP	1000			/* ports between the two base ports used */

/* A copy that outlives it_s's ring of buffers. */
static char *
keep(const char *s)
{
	static char	buf[32][512];
	static unsigned	next;
	char		*b = buf[next++ % 32];

	snprintf(b, sizeof buf[0], "%s", s);
	return b;
}

/* A second base port whose ports for ids are free, away from the harness's own base. */
static int
second_base(const int *ids, size_t n)
{
	int	b, tries;
	size_t	i;

	for (tries = 0; tries < 50; tries++) {
		b = it_base() + SECOND_BASE_GAP + 300 * tries;
		if (b + 255 > 32767)
			b = it_base() - SECOND_BASE_GAP - 300 * tries;
		for (i = 0; i < n && it_port_free(b + ids[i]); i++)
			continue;
		if (i == n)
			return b;
	}
	it_fail("no free second base port near %d", it_base());
}

/* Is a TCP socket listening on [::1]:port (from /proc/net/tcp6)? */
static bool
listening_on_v6_loopback(int port)
{
	char		 line[512], local[40], remote[40];
	unsigned	 lport, rport, state;
	FILE		*f = fopen("/proc/net/tcp6", "r");
	bool		 found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x", local,
		    &lport, remote, &rport, &state) == 5 && (int)lport == port &&
		    state == 0x0A && strcmp(local, "00000000000000000000000001000000") == 0;
	fclose(f);
	return found;
}

/* Wait until p has heard ping responses from both successors and requests from both preds. */
static void
wait_pinging(struct it_peer *p, enum it_form form, int s1, int s2, int p1, int p2)
{
	it_wait_line(p, IT_OUT, 0, 2, it_ping_rsp_line(form, s1), IT_DEADLINE_MS);
	it_wait_line(p, IT_OUT, 0, 2, it_ping_rsp_line(form, s2), IT_DEADLINE_MS);
	it_wait_line(p, IT_OUT, 0, 2, it_ping_req_line(form, p1), IT_DEADLINE_MS);
	it_wait_line(p, IT_OUT, 0, 2, it_ping_req_line(form, p2), IT_DEADLINE_MS);
}

/* Request file f at `from` (owned by `owner`) and wait until the copy is complete. */
static void
request_and_compare(struct it_peer *from, int owner, const char *f, size_t size)
{
	const char	*want = keep(it_put_file(owner, keep(it_s("%s.pdf", f)), size,
			    (uint64_t)size + 7));
	const char	*got = keep(it_s("%s/received_%s.pdf", it_peer_dir(it_id(from)), f));

	it_send(from, "request %s", f);
	it_wait_file_equal(got, want, IT_DEADLINE_MS);
}

/*
 * A classic ring 1 3 4 on ::1 (depends on the transport's IPv6 support): pings all round,
 * then a request over UDP and one over TCP.
 */
IT_CASE(test_hosts_ring_on_ipv6_loopback)
{
	static const int	ids[] = { 1, 3, 4 };
	struct it_peer		*p1, *p3, *p4;

	it_pick_base(ids, 3);
	p1 = it_start(1, "--bind ::1 1 3 4 400 0 --ping-interval " PING_S);
	p3 = it_start(3, "--bind [::1] 3 4@[::1] 1@[::1]:%d 400 0 --ping-interval " PING_S,
	    it_base() + 1);
	p4 = it_start(4, "--bind ::1 4 1 3 400 0 --ping-interval " PING_S
	    " --transfer tcp");
	wait_pinging(p1, IT_CLASSIC, 3, 4, 4, 3);
	wait_pinging(p3, IT_CLASSIC, 4, 1, 1, 4);
	wait_pinging(p4, IT_CLASSIC, 1, 3, 3, 1);
	/* Really on IPv6, not an IPv4 socket that happens to reach the others. */
	for (size_t i = 0; i < 3; i++)
		IT_ASSERT(listening_on_v6_loopback(it_base() + ids[i]),
		    "peer %d does not listen on [::1]:%d", ids[i], it_base() + ids[i]);
	/* 2052 is key 4: 1 asks, 4 sends over UDP; 2049 is key 1: 4 asks over TCP. */
	request_and_compare(p1, 4, "2052", 5000);
	request_and_compare(p4, 1, "2049", 3000);
	it_expect_alive(p3);
}
END_TEST

/*
 * A ring 1 3 4 6 on 127.0.0.1 where 4 and 6 listen on a second base port, so only the
 * ports named in ID@HOST:PORT reach them: pings, a request answered to an origin on the
 * second base, and a kill repaired with the contacts the repair answer carries.
 */
IT_CASE(test_hosts_explicit_ports)
{
	static const int	ids[] = { 1, 3, 4, 6 }, far[] = { 4, 6 };
	struct it_peer		*p1, *p3, *p4, *p6;
	int			 b, b2;
	size_t			 m1;

	it_pick_base(ids, 4);
	b = it_base();
	b2 = second_base(far, 2);
	p1 = it_start(1, "1 3@127.0.0.1:%d 4@127.0.0.1:%d 400 0 --ping-interval " PING_S,
	    b + 3, b2 + 4);
	p3 = it_start(3, "3 4@127.0.0.1:%d 6@localhost:%d 400 0 --ping-interval " PING_S,
	    b2 + 4, b2 + 6);
	p4 = it_start(4, "4 6@127.0.0.1:%d 1@127.0.0.1:%d 400 0 --ping-interval " PING_S
	    " --base-port %d", b2 + 6, b + 1, b2);
	p6 = it_start(6, "6 1@127.0.0.1:%d 3@127.0.0.1:%d 400 0 --ping-interval " PING_S
	    " --base-port %d --transfer tcp", b + 1, b + 3, b2);
	wait_pinging(p6, IT_CLASSIC, 1, 3, 4, 3);
	wait_pinging(p3, IT_CLASSIC, 4, 6, 1, 6);
	wait_pinging(p4, IT_CLASSIC, 6, 1, 3, 1);
	/* 2049 is key 1: 4 (second base) asks, 1 answers to the origin 4 gave. */
	request_and_compare(p4, 1, "2049", 4000);
	/* 2054 is key 6: 1 asks, 6 (second base) sends the file to 1. */
	request_and_compare(p1, 6, "2054", 2000);

	/* 3 dies: 1 keeps 4 and learns 6 (on the second base) from 4's answer. */
	m1 = it_mark(p1, IT_OUT);
	it_signal(p3, SIGKILL);
	/* The death notice and the successor lines may have a ping line between them. */
	m1 = it_wait_find(p1, IT_OUT, m1, "Peer 3 is no longer alive.", IT_DEADLINE_MS * 2);
	it_wait_seq(p1, IT_OUT, m1, IT_DEADLINE_MS, keep(it_succ_line(IT_CLASSIC, 1, 4)),
	    keep(it_succ_line(IT_CLASSIC, 2, 6)), NULL);
	m1 = it_mark(p1, IT_OUT);
	it_wait_line(p1, IT_OUT, m1, 2, it_ping_rsp_line(IT_CLASSIC, 6), IT_DEADLINE_MS);
	it_wait_line(p1, IT_OUT, m1, 2, it_ping_rsp_line(IT_CLASSIC, 4), IT_DEADLINE_MS);
	it_expect_alive(p4);
}
END_TEST

/* A joiner on another base port joins through ID@HOST:PORT and is answered where it is. */
IT_CASE(test_hosts_join_through_contact)
{
	static const int	ids[] = { 2, 5, 8 }, far[] = { 9 };
	struct it_peer		*p[3], *j;
	int			 b2;

	it_ring(p, ids, 3, IT_P2P, PING_S);
	b2 = second_base(far, 1);
	j = it_start(9, "join 9 5@127.0.0.1:%d " PING_S " --base-port %d", it_base() + 5, b2);
	it_wait_seq(j, IT_OUT, 0, IT_DEADLINE_MS, "Join request has been accepted",
	    "My first successor is Peer 2", "My second successor is Peer 5", NULL);
	it_wait_line(p[2], IT_OUT, 0, 1, "Peer 9 Join request received", IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping response received from Peer 2", IT_DEADLINE_MS);
	it_wait_line(j, IT_OUT, 0, 2, "Ping request message received from Peer 8",
	    IT_DEADLINE_MS);
	it_wait_line(p[0], IT_OUT, 0, 2, "Ping request message received from Peer 9",
	    IT_DEADLINE_MS);
}
END_TEST

static const struct {
	const char	*args;		/* NULL: our own address and port as successor */
	const char	*want;		/* part of the one stderr line */
} bad_rows[] = {
	{ "1 3@ 4",				"has no host after '@'" },
	{ "1 3@:5 4",				"has no host" },
	{ "1 3@[::1 4",				"lacks the ']'" },
	{ "1 3@h:0 4",				"port must be an integer from 1 to 65535" },
	{ "1 3@h:70000 4",			"not '70000'" },
	{ "1 300@h 4",				"'300'" },
	{ "1 1@10.0.0.2 4",			"cannot be its own successor" },
	{ "1 3@nonexistent.invalid 4",		"nonexistent.invalid" },
	{ "--bind ::1 1 3@127.0.0.1 4",		"one ring uses one address family" },
	{ "1 3@10.77.0.2 4",			"is on another host" },
	{ NULL,					"own address and port" },
	{ "--window 0 1 3 4",			"window" },
	{ "--replicas 4 1 3 4",			"replicas" },
	{ "--timeout never 1 3 4",		"timeout" },
	{ "--advertise 0.0.0.0 1 3 4",		"wildcard" },
	{ "join 1 1@127.0.0.2 1",		"cannot join through itself" },
};

/* Each bad contact form: one "cdht: " line (plus the usage hint), exit 2, nothing bound. */
IT_CASE(test_hosts_bad_input_refused)
{
	static const int	ids[] = { 1 };
	struct it_peer		*p;
	const char		*first;
	size_t			 i;

	it_pick_base(ids, 1);
	for (i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
		if (bad_rows[i].args != NULL)
			p = it_start(1, "%s", bad_rows[i].args);
		else
			p = it_start(1, "1 3@127.0.0.1:%d 4", it_base() + 1);
		it_expect_exit(p, 2, IT_DEADLINE_MS);
		first = it_first_line(p, IT_ERR);
		IT_ASSERT(first != NULL && strncmp(first, "cdht: ", 6) == 0 &&
		    strstr(first, bad_rows[i].want) != NULL, "row %zu: '%s' lacks '%s'", i,
		    first != NULL ? first : "(nothing)", bad_rows[i].want);
		IT_ASSERT(!it_contains(p, IT_ERR, "\ncdht: "), "row %zu: more than one line", i);
		it_expect_empty(p, IT_OUT, 0);
		IT_ASSERT(it_port_free(it_base() + 1), "row %zu: port bound", i);
	}
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "hosts");
}
