/* Scenario-test harness: base ports, held ports, and waiting until a peer listens. */
#include "harness_int.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t it_rng_state;

static int
it_bind_local(int port, int type)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool
it_port_free(int port)
{
	int fd;

	if ((fd = it_bind_local(port, SOCK_STREAM)) < 0)
		return false;
	close(fd);
	if ((fd = it_bind_local(port, SOCK_DGRAM)) < 0)
		return false;
	close(fd);
	return true;
}

int
it_hold_port(int port, bool tcp)
{
	int fd = it_bind_local(port, tcp ? SOCK_STREAM : SOCK_DGRAM);

	if (fd < 0)
		it_fail("cannot hold %s port %d: %s", tcp ? "TCP" : "UDP", port, strerror(errno));
	if (tcp && listen(fd, 4) != 0)
		it_fail("listen on %d: %s", port, strerror(errno));
	if (it_run.nheld < IT_MAX_HELD)
		it_run.held[it_run.nheld++] = fd;
	return fd;
}

void
it_release_port(int fd)
{
	for (size_t i = 0; i < it_run.nheld; i++)
		if (it_run.held[i] == fd) {
			it_run.held[i] = it_run.held[--it_run.nheld];
			break;
		}
	close(fd);
}

void
it_pick_base(const int *ids, size_t n)
{
	if (it_rng_state == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		it_rng_state = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)ts.tv_sec << 20) ^ 0x9E3779B97F4A7C15ULL;
	}
	for (int t = 0; t < IT_PICK_TRIES; t++) {
		int	base = IT_PORT_MIN + (int)(it_rng_next(&it_rng_state) %
			    (IT_PORT_MAX - IT_PORT_MIN + 1));
		bool	ok = true;

		for (size_t i = 0; ok && i < n; i++)
			ok = it_port_free(base + ids[i]);
		if (ok) {
			it_run.base = base;
			return;
		}
	}
	it_fail("no free base port found after %d tries", IT_PICK_TRIES);
}

int
it_base(void)
{
	if (it_run.base < 0) {
		int all[256];

		for (int i = 0; i < 256; i++)
			all[i] = i;
		it_pick_base(all, 256);
	}
	return it_run.base;
}

/* Is port in /proc/net/<proto> (tcp: in LISTEN state)? */
static bool
it_proc_has_port(const char *proto, int port, bool listen_only)
{
	char	 path[64], line[512];
	FILE	*f;
	bool	 found = false;

	snprintf(path, sizeof path, "/proc/net/%s", proto);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned addr, lport, raddr, rport, st;

		if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X", &addr, &lport, &raddr, &rport,
		    &st) != 5)
			continue;
		if ((int)lport == port && (!listen_only || st == 0x0A))
			found = true;
	}
	fclose(f);
	return found;
}

void
it_wait_listening(struct it_peer *p, int ms)
{
	int64_t	deadline = it_deadline(ms);
	int	port = it_run.base + p->id;

	for (;;) {
		bool tcp = it_proc_has_port("tcp", port, true);
		bool udp = it_proc_has_port("udp", port, false);

		if (tcp && udp)
			return;
		if (it_reap(p))
			it_fail("peer %s %s before listening on port %d", p->name,
			    it_status_str(p->status), port);
		if (it_now_ms() >= deadline)
			it_fail("peer %s not listening on 127.0.0.1:%d within %d ms (tcp %s, udp %s)",
			    p->name, port, ms, tcp ? "yes" : "no", udp ? "yes" : "no");
		it_nap(IT_POLL_MS);
	}
}

void
it_wait_all_listening(struct it_peer *const *ps, size_t n, int ms)
{
	for (size_t i = 0; i < n; i++)
		it_wait_listening(ps[i], ms);
}
