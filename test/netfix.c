/* The transport tests' shared fixture: base, captured stderr, loop under a deadline. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "netfix.h"

struct event_base	*base;
static char		 errpath[] = "/tmp/check_net.XXXXXX";
static bool		 loop_timed_out;

/* Zero the test's record of what it saw (len bytes); a fresh base; stderr into a new file. */
void
netfix_setup(void *seen, size_t len)
{
	int	fd;

	memset(seen, 0, len);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	fd = mkstemp(errpath);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Free the base, remove the file. */
void
netfix_teardown(void)
{
	event_base_free(base);
	base = NULL;
	unlink(errpath);
	memcpy(errpath + strlen(errpath) - 6, "XXXXXX", 6);
}

/* How often needle appears in what was written to stderr. */
int
netfix_stderr_count(const char *needle)
{
	static char	buf[1 << 16];
	int		fd = open(errpath, O_RDONLY), n = 0;
	ssize_t		len;
	char		*p;

	ck_assert_int_ge(fd, 0);
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
netfix_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	loop_timed_out = true;
}

/* Run the loop until done() (NULL: never) or ms pass; whether done() came true. */
static bool
netfix_run(bool (*done)(void), int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event	*t = evtimer_new(base, netfix_timeout_cb, NULL);

	loop_timed_out = false;
	evtimer_add(t, &tv);
	while ((done == NULL || !done()) && !loop_timed_out)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return done != NULL && done();
}

/* Run the loop until done() or NETFIX_LOOP_MS pass; whether done() came true. */
bool
netfix_run_until(bool (*done)(void))
{
	return netfix_run(done, NETFIX_LOOP_MS);
}

/* Run the loop for ms. */
void
netfix_run_for(int ms)
{
	(void)netfix_run(NULL, ms);
}

void
netfix_no_frame(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	(void)arg;
	(void)c;
	(void)m;
	(void)now;
}

void
netfix_no_failed(void *arg, const struct contact *to, int type, uint32_t id, uint64_t now)
{
	(void)arg;
	(void)to;
	(void)type;
	(void)id;
	(void)now;
}

void
netfix_no_ctx(void *arg, void *ctx, bool ok, uint64_t now)
{
	(void)arg;
	(void)ctx;
	(void)ok;
	(void)now;
}

void
netfix_no_timer(void *arg, uint64_t now)
{
	(void)arg;
	(void)now;
}
