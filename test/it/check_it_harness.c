/* Self-test of the scenario harness against fake_peer: start, feed, wait, kill, clean up, report. */
#include "harness.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

IT_CASE(test_harness_start_send_wait)
{
	static const int ids[] = { 7 };
	struct it_peer	*p;
	size_t		 m;

	it_pick_base(ids, 1);
	p = it_start(7, "7 bind");
	it_wait_listening(p, IT_DEADLINE_MS);
	IT_ASSERT(!it_port_free(it_base() + 7), "port of a listening peer reported free");
	it_wait_line(p, IT_OUT, 0, 1, "fake 7 started", IT_DEADLINE_MS);
	it_wait_line(p, IT_ERR, 0, 1, "fake stderr hello", IT_DEADLINE_MS);
	it_send(p, "say hello");
	it_wait_line(p, IT_OUT, 0, 1, "hello", IT_DEADLINE_MS);
	m = it_mark(p, IT_OUT);
	IT_ASSERT(it_count(p, IT_OUT, m, "hello") == 0, "nothing after a fresh mark");
	it_send(p, "say hello");
	it_send(p, "say a");
	it_send(p, "say b");
	it_wait_seq(p, IT_OUT, m, IT_DEADLINE_MS, "hello", "a", "b", NULL);
	IT_ASSERT(it_count(p, IT_OUT, 0, "hello") == 2, "two hellos in all");
	it_wait_line(p, IT_OUT, 0, 2, "hello", IT_DEADLINE_MS);
	it_expect_exactly(p, IT_OUT, m, "hello", "a", "b", NULL);
	it_expect_only(p, IT_OUT, 0, "fake 7 started", "hello", "a", "b", NULL);
	it_send(p, "err oops");
	it_wait_line(p, IT_ERR, 0, 1, "oops", IT_DEADLINE_MS);
	IT_ASSERT(strcmp(it_first_line(p, IT_ERR), "fake stderr hello") == 0, "first stderr line");
	IT_ASSERT(it_contains(p, IT_ERR, "oop"), "stderr contains oop");
	it_expect_empty(p, IT_OUT, it_mark(p, IT_OUT));
	it_expect_alive(p);
}
END_TEST

IT_CASE(test_harness_exit_status_and_signals)
{
	struct it_peer *a, *b, *c, *d;
	int st;

	a = it_start(1, "1");
	b = it_start(1, "1 exit=2");
	c = it_start(2, "2");
	d = it_start(3, "3");
	IT_ASSERT(strcmp(it_name(b), "1-2") == 0, "second start of id 1 is named 1-2, not %s",
	    it_name(b));
	it_wait_line(a, IT_OUT, 0, 1, "fake 1 started", IT_DEADLINE_MS);
	it_send(a, "exit 3");
	it_expect_exit(a, 3, IT_DEADLINE_MS);
	it_expect_exit(b, 2, IT_DEADLINE_MS);
	it_wait_line(c, IT_OUT, 0, 1, "fake 2 started", IT_DEADLINE_MS);
	it_signal(c, SIGINT);
	st = it_wait_exit(c, 1000);
	IT_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "SIGINT ends the fake");
	it_signal(d, SIGKILL);
	st = it_wait_exit(d, 1000);
	IT_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL ends the fake");
	IT_ASSERT(!it_alive(d), "dead after SIGKILL");
}
END_TEST

IT_CASE(test_harness_stdin_modes)
{
	struct it_peer *f, *n, *c;

	f = it_start_stdin(1, IT_STDIN_FIFO, "1");
	n = it_start_stdin(2, IT_STDIN_NULL, "2");
	c = it_start_stdin(3, IT_STDIN_CLOSED, "3");
	it_wait_line(n, IT_OUT, 0, 1, "eof", IT_DEADLINE_MS);
	it_wait_line(c, IT_OUT, 0, 1, "stdin closed", IT_DEADLINE_MS);
	it_send(f, "say still here");
	it_wait_line(f, IT_OUT, 0, 1, "still here", IT_DEADLINE_MS);
	IT_ASSERT(it_count(f, IT_OUT, 0, "eof") == 0, "a FIFO stdin never reports EOF");
	it_expect_alive(f);
	it_expect_alive(n);
	it_expect_alive(c);
}
END_TEST

IT_CASE(test_harness_ports_and_files)
{
	static const int ids[] = { 0, 9, 255 };
	char	 a[4096], b[4096];
	int	 ids3[] = { 1, 3, 4 };

	it_pick_base(ids, 3);
	IT_ASSERT(it_base() >= 10000 && it_base() + 255 < 32768, "base %d below the ephemeral range", it_base());
	IT_ASSERT(it_port_free(it_base() + 9), "picked port free");
	it_hold_port(it_base() + 9, false);
	IT_ASSERT(!it_port_free(it_base() + 9), "held UDP port is not free");
	it_hold_port(it_base() + 255, true);
	IT_ASSERT(!it_port_free(it_base() + 255), "held TCP port is not free");
	snprintf(a, sizeof a, "%s", it_put_file(4, "1000.pdf", 100000, 7));
	snprintf(b, sizeof b, "%s", it_put_file(5, "1000.pdf", 100000, 7));
	it_expect_files_equal(a, b);
	snprintf(b, sizeof b, "%s", it_put_file(5, "1001.pdf", 100000, 8));
	IT_ASSERT(it_files_differ(a, b, a + 2048, 100) == 1, "different seeds differ");
	snprintf(b, sizeof b, "%s", it_put_file(5, "1002.pdf", 0, 8));
	IT_ASSERT(it_file_exists(b), "empty file exists");
	IT_ASSERT(it_owner(ids3, 3, 220) == 1, "owner wraps");
	IT_ASSERT(it_owner(ids3, 3, 3) == 3, "owner at key");
	IT_ASSERT(it_owner(ids3, 3, 2) == 3, "owner after key");
	IT_ASSERT(it_owner(ids3, 3, 4) == 4, "owner at last");
}
END_TEST

/* ---- the failure path, run in a grandchild whose stderr we capture */

static void
hook_exit7(const char *msg)
{
	(void)msg;
	exit(7);
}

enum scenario { FAIL_WAIT, PLAIN_EXIT, KILLED, PASSED };

struct outcome {
	int	status;
	pid_t	peer;
	char	dir[1024];
	char	*err;		/* captured stderr */
};

/* Run one scenario in a forked child with stderr to a file; report what it left behind. */
static void
run_grandchild(enum scenario sc, struct outcome *o)
{
	char	 errpath[1100];
	int	 fds[2];
	pid_t	 pid;
	FILE	*f;
	size_t	 n;

	memset(o, 0, sizeof *o);
	snprintf(errpath, sizeof errpath, "%s/grandchild.err", it_dir());
	IT_ASSERT(pipe(fds) == 0, "pipe");
	fflush(NULL);
	pid = fork();
	IT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct it_peer	*p;
		FILE		*e = freopen(errpath, "w", stderr);

		(void)e;
		close(fds[0]);
		it_setup();
		it_set_fail_hook(hook_exit7);
		p = it_start(5, "5");
		it_wait_line(p, IT_OUT, 0, 1, "fake 5 started", IT_DEADLINE_MS);
		it_send(p, "say marker-line");
		it_wait_line(p, IT_OUT, 0, 1, "marker-line", IT_DEADLINE_MS);
		dprintf(fds[1], "%ld %s\n", (long)it_pid(p), it_dir());
		close(fds[1]);
		switch (sc) {
		case FAIL_WAIT:
			it_wait_line(p, IT_OUT, 0, 1, "never printed", 300);
			break;
		case PLAIN_EXIT:
			exit(1);	/* what a failed ck_assert does in fork mode */
		case KILLED:
			raise(SIGKILL);
			break;
		case PASSED:
			it_teardown();
			exit(0);
		}
		_exit(99);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	IT_ASSERT(f != NULL, "fdopen");
	{
		long peer = 0;

		if (fscanf(f, "%ld %1023s", &peer, o->dir) != 2)
			o->dir[0] = '\0';
		o->peer = (pid_t)peer;
	}
	fclose(f);
	IT_ASSERT(waitpid(pid, &o->status, 0) == pid, "waitpid");
	f = fopen(errpath, "r");
	o->err = calloc(1, 1 << 20);
	IT_ASSERT(f != NULL && o->err != NULL, "read captured stderr");
	n = fread(o->err, 1, (1 << 20) - 1, f);
	o->err[n] = '\0';
	fclose(f);
}

/* Gone, or a zombie nobody reaps (an orphan whose reaper is a plain pid 1). */
static bool
peer_gone(void *arg)
{
	pid_t	 pid = *(pid_t *)arg;
	char	 path[64], buf[512];
	FILE	*f;
	char	*rp;
	bool	 gone;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	gone = fgets(buf, sizeof buf, f) == NULL;
	fclose(f);
	if (!gone && (rp = strrchr(buf, ')')) != NULL)
		gone = rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
	return gone;
}

static void
remove_tree(const char *dir)
{
	char cmd[1200];

	if (dir[0] == '/' && strstr(dir, "cdht-it.") != NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		IT_ASSERT(system(cmd) == 0, "rm -rf");
	}
}

static void
expect_failure_report(struct outcome *o)
{
	struct stat st;

	IT_ASSERT(o->peer > 0 && o->dir[0] == '/', "grandchild reported its peer and dir");
	IT_ASSERT(strstr(o->err, "[5 out] fake 5 started") != NULL, "dump has stdout:\n%s",
	    o->err);
	IT_ASSERT(strstr(o->err, "[5 out] marker-line") != NULL, "dump has stdout");
	IT_ASSERT(strstr(o->err, "[5 err] fake stderr hello") != NULL, "dump has stderr");
	IT_ASSERT(strstr(o->err, it_s("cdht-it: kept %s", o->dir)) != NULL, "kept dir named");
	IT_ASSERT(stat(o->dir, &st) == 0 && S_ISDIR(st.st_mode), "dir %s kept", o->dir);
	IT_ASSERT(peer_gone(&o->peer), "peer %ld killed", (long)o->peer);
	remove_tree(o->dir);
	free(o->err);
}

IT_CASE(test_harness_failed_wait_dumps_and_kills)
{
	struct outcome o;

	run_grandchild(FAIL_WAIT, &o);
	IT_ASSERT(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 7, "failure hook ran (0x%x)",
	    o.status);
	IT_ASSERT(strstr(o.err, "cdht-it: FAILED: peer 5: wanted 1 x 'never printed'") != NULL,
	    "failure message:\n%s", o.err);
	expect_failure_report(&o);
}
END_TEST

IT_CASE(test_harness_plain_exit_dumps_and_kills)
{
	struct outcome o;

	run_grandchild(PLAIN_EXIT, &o);
	IT_ASSERT(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 1, "exit 1 (0x%x)", o.status);
	IT_ASSERT(strstr(o.err, "test ended without passing") != NULL, "says so:\n%s", o.err);
	expect_failure_report(&o);
}
END_TEST

IT_CASE(test_harness_killed_test_kills_peers)
{
	struct outcome o;

	run_grandchild(KILLED, &o);
	IT_ASSERT(WIFSIGNALED(o.status), "grandchild killed");
	it_wait_until(peer_gone, &o.peer, IT_DEADLINE_MS, "peer dies with its test (PDEATHSIG)");
	remove_tree(o.dir);
	free(o.err);
}
END_TEST

IT_CASE(test_harness_pass_cleans_up)
{
	struct outcome o;

	run_grandchild(PASSED, &o);
	IT_ASSERT(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0, "passed (0x%x)", o.status);
	IT_ASSERT(o.dir[0] == '/' && !it_file_exists(o.dir), "dir %s removed", o.dir);
	IT_ASSERT(peer_gone(&o.peer), "peer killed at teardown");
	IT_ASSERT(strstr(o.err, "[5 out]") == NULL, "no dump on success:\n%s", o.err);
	free(o.err);
}
END_TEST

/*
 * Two deliberately failing tests, only present when CDHT_IT_DEMO is set: the tests below
 * run this binary on them and check what Check's runner reports.
 */
IT_CASE_IN("demo", demo_plain_ck_assert)
{
	struct it_peer *p = it_start(4, "4");

	it_send(p, "say demo-output");
	it_wait_line(p, IT_OUT, 0, 1, "demo-output", IT_DEADLINE_MS);
	ck_assert_msg(0, "a plain ck_assert failing");
}
END_TEST

IT_CASE_IN("demo", demo_check_timeout)
{
	struct it_peer *p = it_start(4, "4");

	it_send(p, "say demo-output");
	it_wait_line(p, IT_OUT, 0, 1, "demo-output", IT_DEADLINE_MS);
	it_wait_line(p, IT_OUT, 0, 1, "never printed", 30000);
}
END_TEST

/* Run this binary on one demo test with extra environment; its exit status and stderr. */
static int
run_demo(const char *name, const char *env2, char **err)
{
	char	 path[1100], self[1100];
	pid_t	 pid;
	int	 st;
	FILE	*f;
	size_t	 n;
	ssize_t	 k = readlink("/proc/self/exe", self, sizeof self - 1);

	IT_ASSERT(k > 0, "readlink /proc/self/exe");
	self[k] = '\0';
	snprintf(path, sizeof path, "%s/demo.err", it_dir());
	fflush(NULL);
	pid = fork();
	IT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		FILE *e = freopen(path, "w", stderr);

		(void)e;
		setenv("CDHT_IT_DEMO", "1", 1);
		unsetenv("CK_FORK");	/* what the demos show is fork mode's */
		setenv("CK_RUN_CASE", name, 1);
		setenv("TMPDIR", it_dir(), 1);
		if (env2 != NULL)
			putenv((char *)env2);
		execl(self, self, it_binary(), (char *)NULL);
		_exit(127);
	}
	IT_ASSERT(waitpid(pid, &st, 0) == pid, "waitpid");
	f = fopen(path, "r");
	*err = calloc(1, 1 << 20);
	IT_ASSERT(f != NULL && *err != NULL, "read demo stderr");
	n = fread(*err, 1, (1 << 20) - 1, f);
	(*err)[n] = '\0';
	fclose(f);
	return st;
}

IT_CASE(test_harness_runner_reports_plain_assert)
{
	char	*err;
	int	 st = run_demo("demo_plain_ck_assert", NULL, &err);

	IT_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1, "one failure (0x%x)", st);
	IT_ASSERT(strstr(err, "the test ended without passing") != NULL, "reported:\n%s", err);
	IT_ASSERT(strstr(err, "[4 out] demo-output") != NULL, "peer output shown:\n%s", err);
	IT_ASSERT(strstr(err, "[4 err] fake stderr hello") != NULL, "peer stderr shown");
	IT_ASSERT(strstr(err, "cdht-it: kept ") != NULL, "kept dir named");
	free(err);
}
END_TEST

IT_CASE(test_harness_runner_reports_check_timeout)
{
	char	*err;
	int	 st = run_demo("demo_check_timeout", "CK_TIMEOUT_MULTIPLIER=0.02", &err);

	IT_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1, "one failure (0x%x)", st);
	IT_ASSERT(strstr(err, "the test ended without passing") != NULL, "reported:\n%s", err);
	IT_ASSERT(strstr(err, "[4 out] demo-output") != NULL, "peer output shown:\n%s", err);
	free(err);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	if (getenv("CDHT_IT_DEMO") != NULL)
		return it_main_set(argc, argv, "harness-demo", "demo");
	return it_main(argc, argv, "harness");
}
