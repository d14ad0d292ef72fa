/* Scenario tests of the transport: service goes on while idle connections hold every slot. */
#include "cdht/wire.h"
#include "harness.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOD_CONNS	1000	/* connections the flood holds against one peer */
#define FLOOD_SETTLE_MS	20000	/* ms for the flood to connect everything (maybe under ASan) */
#define ANSWER_MS	5000	/* ms a request may take: generous, only a real bug misses it */
#define REQUESTS	5	/* requests in the test; CDHT_SLOTS_REQUESTS overrides (bench) */

static const int ids[] = { 1, 3, 4, 8 };
#define NIDS	(sizeof ids / sizeof ids[0])

/* What the flood process tells the test, in memory they share. */
struct flood_stats {
	volatile int	connected;	/* sockets connected right now */
	volatile long	reopened;	/* sockets the peer closed that the flood opened again */
	volatile int	ready;		/* every socket has connected at least once */
	volatile int	error;		/* errno of a setup failure, or 0 */
};

/* Start a nonblocking connect to 127.0.0.1:port: the fd, or -1. */
static int
flood_open(int port)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One socket's turn: finish a connect (half of them then send part of a header), or reopen. */
static void
flood_step(struct pollfd *pf, size_t i, int port, struct flood_stats *st, int *seen)
{
	/* Magic, version and type of a FILE_REQ: a message begun and never finished. */
	static const uint8_t	part[] = { WIRE_MAGIC, WIRE_VERSION, WIRE_FILE_REQ };
	char			buf[64];
	int			err = 0;
	socklen_t		len = sizeof err;

	if (pf->events & POLLOUT) {
		if (getsockopt(pf->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
			if (i % 2 == 1 && send(pf->fd, part, sizeof part, MSG_NOSIGNAL) < 0)
				err = errno;
			if (err == 0) {
				pf->events = POLLIN;
				st->connected++;
				seen[i] = 1;
				return;
			}
		}
	} else if (recv(pf->fd, buf, sizeof buf, 0) > 0) {
		return;		/* the peer says nothing to a half message; ignore if it does */
	} else {
		st->connected--;
		st->reopened++;
	}
	close(pf->fd);
	pf->fd = flood_open(port);
	pf->events = POLLOUT;
}

/* The flood: hold FLOOD_CONNS connections to port, reopening each one the peer closes. */
static void __attribute__((noreturn))
flood_run(int port, struct flood_stats *st)
{
	static struct pollfd	pfs[FLOOD_CONNS];
	static int		seen[FLOOD_CONNS];
	struct rlimit		rl;
	size_t			i, nseen;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FLOOD_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < FLOOD_CONNS + 64 ? rl.rlim_max : FLOOD_CONNS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < FLOOD_CONNS; i++) {
		if ((pfs[i].fd = flood_open(port)) == -1) {
			st->error = errno;
			_exit(1);
		}
		pfs[i].events = POLLOUT;
	}
	for (;;) {
		if (poll(pfs, FLOOD_CONNS, 100) < 0 && errno != EINTR)
			_exit(1);
		for (i = 0, nseen = 0; i < FLOOD_CONNS; i++) {
			if (pfs[i].revents != 0) {
				flood_step(&pfs[i], i, port, st, seen);
				if (pfs[i].fd == -1) {
					st->error = errno;
					_exit(1);
				}
			}
			nseen += (size_t)seen[i];
		}
		st->ready = nseen == FLOOD_CONNS;
	}
}

struct flood {
	pid_t			 pid;
	struct flood_stats	*st;
};

/* Fork the flood against 127.0.0.1:port. */
static void
flood_start(struct flood *f, int port)
{
	f->st = mmap(NULL, sizeof *f->st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	IT_ASSERT(f->st != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(f->st, 0, sizeof *f->st);
	f->pid = fork();
	IT_ASSERT(f->pid != -1, "fork: %s", strerror(errno));
	if (f->pid == 0)
		flood_run(port, f->st);
}

/* Has every flood socket connected once (and kept the count of open ones past the slots)? */
static bool
flood_ready(void *arg)
{
	struct flood	*f = arg;
	int		 status;

	if (f->st->error != 0 || waitpid(f->pid, &status, WNOHANG) == f->pid)
		it_fail("the flood could not hold its connections: %s", strerror(f->st->error));
	return f->st->ready && f->st->connected > 384;
}

/* Stop the flood: kill it, reap it (its sockets close with it). */
static void
flood_stop(struct flood *f)
{
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	munmap(f->st, sizeof *f->st);
}

/* How many requests to time: REQUESTS, or $CDHT_SLOTS_REQUESTS for the benchmark. */
static int
requests_wanted(void)
{
	const char	*s = getenv("CDHT_SLOTS_REQUESTS");
	int		 n = s != NULL ? atoi(s) : 0;

	return n > 0 && n <= 1000 ? n : REQUESTS;
}

/*
 * Ring 1 3 4 8; a flood holds 1,000 idle and half-sent connections against peer 3 and
 * reopens every one it closes. Requests for a file 3 owns are answered, every time; a store
 * it owns is taken; a departure reaches it; and it did close connections to make room.
 */
IT_CASE(test_net_full_slots_keep_serving)
{
	struct it_peer	*p[NIDS];
	struct flood	 f;
	char		 want[4096], got[4096];
	int		 i, nreq = requests_wanted();

	IT_ASSERT(it_owner(ids, NIDS, 2051 % 256) == 3, "2051 is owned by 3");
	IT_ASSERT(it_owner(ids, NIDS, 2307 % 256) == 3, "2307 is owned by 3");
	snprintf(want, sizeof want, "%s", it_put_file(3, "2051.pdf", 4000, 2051));
	it_ring(p, ids, NIDS, IT_CLASSIC,
	    "400 0 --ping-interval 0.2 --quiet-pings --transfer tcp");
	flood_start(&f, it_base() + 3);
	it_wait_until(flood_ready, &f, FLOOD_SETTLE_MS, "1,000 connections held against peer 3");
	for (i = 0; i < nreq; i++) {
		int64_t	t0 = it_now_ms();

		it_send(p[0], "request 2051");
		it_wait_line(p[0], IT_OUT, 0, (size_t)i + 1, "The file is received.", ANSWER_MS);
		fprintf(stderr, "slots: request %d answered in %lld ms (%d held, %ld reopened)\n",
		    i + 1, (long long)(it_now_ms() - t0), f.st->connected, f.st->reopened);
	}
	snprintf(got, sizeof got, "%s/received_2051.pdf", it_peer_dir(1));
	it_wait_file_equal(got, want, IT_DEADLINE_MS);

	snprintf(want, sizeof want, "%s", it_put_file(1, "2307.pdf", 3000, 2307));
	it_send(p[0], "store 2307");
	it_wait_line(p[1], IT_OUT, 0, 1, "Store 2307 request accepted.", ANSWER_MS);
	snprintf(got, sizeof got, "%s/2307.pdf", it_peer_dir(3));
	it_wait_file_equal(got, want, ANSWER_MS);

	it_send(p[2], "quit");
	it_wait_line(p[1], IT_OUT, 0, 1, it_succ_line(IT_CLASSIC, 1, 8), ANSWER_MS);
	it_expect_exit(p[2], 0, ANSWER_MS);
	IT_ASSERT(f.st->reopened > 0, "the flood was made to reopen connections");
	IT_ASSERT(it_contains(p[1], IT_ERR, "closed to make room"),
	    "peer 3 said it closed connections to make room");
	flood_stop(&f);
	it_expect_alive(p[1]);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "net");
}
