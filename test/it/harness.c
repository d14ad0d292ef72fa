/* Scenario-test harness: start real cdht peers on loopback, feed their stdin, watch their output. */
#include "harness.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IT_MAX_PEERS	64	/* peers one test may start */
#define IT_MAX_ARGS	64	/* arguments of one peer */
#define IT_MAX_HELD	32	/* ports one test may hold */
#define IT_POLL_MS	10	/* ms between looks at an output file */
#define IT_DUMP_LINES	300	/* lines per stream shown on failure (the last ones) */
#define IT_PORT_MIN	20000	/* lowest base port */
#define IT_PORT_MAX	59000	/* highest base port */
#define IT_PICK_TRIES	200	/* random bases tried */

/* One started process. Owned by the harness state; freed at teardown. */
struct it_peer {
	int		 id;
	char		 name[32];
	pid_t		 pid;
	bool		 exited;
	int		 status;	/* wait status, once exited */
	int		 fifo;		/* our end of its stdin FIFO, or -1 */
	char		*out_path;
	char		*err_path;
	char		*dir;
	char		*cmdline;	/* for the failure dump */
};

/* The state of the running test (one per process; Check forks a process per test). */
static struct {
	bool		 active;	/* between setup and teardown */
	bool		 failed;	/* it_fail was called */
	bool		 dumped;	/* the peers' output was printed */
	pid_t		 owner;		/* the process that ran setup */
	char		 dir[PATH_MAX];
	int		 base;		/* -1 until picked */
	int64_t		 budget_end;	/* ms, monotonic */
	struct it_peer	*peers[IT_MAX_PEERS];
	size_t		 npeers;
	int		 held[IT_MAX_HELD];
	size_t		 nheld;
} it = { .base = -1 };

/* The test's temp dir as made by Check's runner (unchecked fixture), before the fork. */
static struct {
	char	dir[PATH_MAX];
	pid_t	owner;		/* the runner */
	bool	claimed;	/* a test's setup took it (a fork of that test makes its own) */
} it_case;

#define IT_REPORTED	".reported"	/* file in the temp dir: failure already printed */

static const char *it_bin;
static void (*it_fail_hook)(const char *msg);
static uint64_t it_rng_state;

static void	it_dump(void);
static void	it_kill_all(void);
static void	it_finish(bool failed);

/* ---------------------------------------------------------------- small helpers */

int64_t
it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
it_nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A deadline ms from now, never past the test's budget. */
static int64_t
it_deadline(int ms)
{
	int64_t d = it_now_ms() + ms;

	if (it.active && d > it.budget_end)
		d = it.budget_end;
	return d;
}

const char *
it_s(const char *fmt, ...)
{
	static char	buf[32][512];
	static unsigned	next;
	char		*b = buf[next++ % 32];
	va_list		 ap;

	if (fmt == NULL)
		return "";
	va_start(ap, fmt);
	vsnprintf(b, sizeof buf[0], fmt, ap);
	va_end(ap);
	return b;
}

static char *
it_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		perror("cdht-it: strdup");
		abort();
	}
	return d;
}

static void *
it_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("cdht-it: malloc");
		abort();
	}
	return p;
}

static uint64_t
it_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* ---------------------------------------------------------------- failure */

void
it_set_fail_hook(void (*hook)(const char *msg))
{
	it_fail_hook = hook;
}

void
it_fail(const char *fmt, ...)
{
	char	msg[2048];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cdht-it: FAILED: %s\n", msg);
	if (!it.failed) {
		it.failed = true;
		/* Check's fork mode ends the test with _exit(1): no teardown follows. */
		it_finish(true);
	}
	if (it_fail_hook != NULL)
		it_fail_hook(msg);
	ck_abort_msg("%s", msg);
	abort();	/* not reached: ck_abort_msg exits or longjmps */
}

/* ---------------------------------------------------------------- output files */

/* The whole file (NUL-terminated; *len without the NUL); an empty buffer if absent. */
static char *
it_slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	size_t	 cap = 4096, n = 0, r;

	buf = it_xmalloc(cap);
	if (f != NULL) {
		while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
			n += r;
			if (cap - n - 1 == 0) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (buf == NULL)
					abort();
			}
		}
		fclose(f);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *
it_stream_path(const struct it_peer *p, enum it_stream s)
{
	return s == IT_OUT ? p->out_path : p->err_path;
}

static const char *
it_stream_name(enum it_stream s)
{
	return s == IT_OUT ? "stdout" : "stderr";
}

size_t
it_mark(struct it_peer *p, enum it_stream s)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	char	*nl = len ? memrchr(buf, '\n', len) : NULL;
	size_t	 mark = nl ? (size_t)(nl - buf) + 1 : 0;

	free(buf);
	return mark;
}

/* Complete lines of buf from mark on, as a NULL-terminated vector into a copy. */
static char **
it_split(const char *buf, size_t len, size_t mark, size_t *n)
{
	size_t	 cap = 16, k = 0, i;
	char	**v = it_xmalloc(cap * sizeof *v);

	i = mark < len ? mark : len;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;
		if (k + 2 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof *v);
			if (v == NULL)
				abort();
		}
		v[k] = it_xmalloc((size_t)(nl - (buf + i)) + 1);
		memcpy(v[k], buf + i, (size_t)(nl - (buf + i)));
		v[k][nl - (buf + i)] = '\0';
		k++;
		i = (size_t)(nl - buf) + 1;
	}
	v[k] = NULL;
	if (n != NULL)
		*n = k;
	return v;
}

char **
it_lines(struct it_peer *p, enum it_stream s, size_t mark, size_t *n)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	char	**v = it_split(buf, len, mark, n);

	free(buf);
	return v;
}

void
it_free_lines(char **lines)
{
	if (lines == NULL)
		return;
	for (char **l = lines; *l != NULL; l++)
		free(*l);
	free(lines);
}

size_t
it_count(struct it_peer *p, enum it_stream s, size_t mark, const char *line)
{
	size_t	 n, c = 0;
	char	**v = it_lines(p, s, mark, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], line) == 0)
			c++;
	it_free_lines(v);
	return c;
}

const char *
it_first_line(struct it_peer *p, enum it_stream s)
{
	static char	 first[1024];
	size_t		 n;
	char		**v = it_lines(p, s, 0, &n);

	if (n == 0) {
		it_free_lines(v);
		return NULL;
	}
	snprintf(first, sizeof first, "%s", v[0]);
	it_free_lines(v);
	return first;
}

bool
it_contains(struct it_peer *p, enum it_stream s, const char *needle)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);
	bool	 r = strstr(buf, needle) != NULL;

	free(buf);
	return r;
}

/* Print the last IT_DUMP_LINES lines of one output file, each prefixed by "[name tag]". */
static void
it_dump_file(const char *path, const char *name, const char *tag)
{
	size_t	 len, n, from;
	char	*buf = it_slurp(path, &len);
	char	**v = it_split(buf, len, 0, &n);

	from = n > IT_DUMP_LINES ? n - IT_DUMP_LINES : 0;
	if (from > 0)
		fprintf(stderr, "[%s %s] ... %zu earlier lines not shown ...\n", name, tag, from);
	for (size_t i = from; i < n; i++)
		fprintf(stderr, "[%s %s] %s\n", name, tag, v[i]);
	/* A partial last line is shown too: it may be the very thing that went wrong. */
	if (len > 0 && buf[len - 1] != '\n') {
		const char *nl = memrchr(buf, '\n', len);

		fprintf(stderr, "[%s %s] %s<no newline>\n", name, tag,
		    nl ? nl + 1 : buf);
	}
	it_free_lines(v);
	free(buf);
}

/* Reap without blocking; true if the peer has ended. */
static bool
it_reap(struct it_peer *p)
{
	int	st;
	pid_t	r;

	if (p->exited)
		return true;
	r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid) {
		p->exited = true;
		p->status = st;
	} else if (r == -1 && errno == ECHILD) {
		p->exited = true;	/* not ours any more: treat as gone */
		p->status = 0;
	}
	return p->exited;
}

static const char *
it_status_str(int st)
{
	if (WIFEXITED(st))
		return it_s("exited with status %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return it_s("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	return it_s("wait status 0x%x", st);
}

static int
it_dump_select(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".cmd") == 0;
}

/*
 * Print every peer's command, exit status (when this process started it) and output, from
 * the files in dir: <name>.cmd, <name>.out, <name>.err. Works in the test process and in
 * Check's runner process after the test process is gone.
 */
static void
it_dump_dir(const char *dir)
{
	struct dirent	**names;
	int		  n = scandir(dir, &names, it_dump_select, versionsort);

	fprintf(stderr, "cdht-it: temp dir %s, %d peer(s)\n", dir, n < 0 ? 0 : n);
	for (int i = 0; i < n; i++) {
		char		 name[256], *cmd;
		size_t		 len;
		const char	*state = "status unknown";

		snprintf(name, sizeof name, "%.*s", (int)strlen(names[i]->d_name) - 4,
		    names[i]->d_name);
		free(names[i]);
		cmd = it_slurp(it_s("%s/%s.cmd", dir, name), &len);
		if (it.active && it.owner == getpid()) {
			for (size_t k = 0; k < it.npeers; k++) {
				struct it_peer *p = it.peers[k];

				if (strcmp(p->name, name) == 0)
					state = it_reap(p) ? it_status_str(p->status) : "running";
			}
		}
		fprintf(stderr, "---- peer %s (%s): %s\n", name, state, cmd);
		free(cmd);
		it_dump_file(it_s("%s/%s.out", dir, name), name, "out");
		it_dump_file(it_s("%s/%s.err", dir, name), name, "err");
	}
	free(n >= 0 ? names : NULL);
	fprintf(stderr, "---- end of peers' output\n");
	fflush(stderr);
}

static void
it_dump(void)
{
	if (it.dumped)
		return;
	it.dumped = true;
	it_dump_dir(it.dir);
}

/* ---------------------------------------------------------------- fixture */

static int
it_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
it_kill_all(void)
{
	for (size_t i = 0; i < it.npeers; i++) {
		struct it_peer *p = it.peers[i];

		if (!it_reap(p)) {
			kill(p->pid, SIGKILL);
			if (waitpid(p->pid, &p->status, 0) == p->pid)
				p->exited = true;
		}
	}
}

static void
it_free_all(void)
{
	for (size_t i = 0; i < it.npeers; i++) {
		struct it_peer *p = it.peers[i];

		if (p->fifo >= 0)
			close(p->fifo);
		free(p->out_path);
		free(p->err_path);
		free(p->dir);
		free(p->cmdline);
		free(p);
	}
	it.npeers = 0;
	for (size_t i = 0; i < it.nheld; i++)
		close(it.held[i]);
	it.nheld = 0;
}

/* Mark the test's directory as reported, so Check's runner does not report it again. */
static void
it_mark_reported(void)
{
	FILE *f = fopen(it_s("%s/%s", it.dir, IT_REPORTED), "w");

	if (f != NULL)
		fclose(f);
}

/*
 * End the test: kill and reap every peer; remove the temp dir on success, keep it (and
 * print the peers' output) on failure or when CDHT_IT_KEEP is set. Runs once.
 */
static void
it_finish(bool failed)
{
	const char *keep = getenv("CDHT_IT_KEEP");

	if (!it.active || it.owner != getpid())
		return;
	if (failed || (keep != NULL && *keep != '\0' && strcmp(keep, "0") != 0))
		it_dump();
	it_kill_all();
	if (it.dumped) {
		it_mark_reported();
		fprintf(stderr, "cdht-it: kept %s\n", it.dir);
	} else {
		nftw(it.dir, it_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	it_free_all();
	it.active = false;
	fflush(stderr);
}

/* Any exit() while a test is active that did not go through teardown is a failure. */
static void
it_atexit(void)
{
	if (it.active && it.owner == getpid()) {
		if (!it.failed)
			fprintf(stderr, "cdht-it: test ended without passing (exit while the test "
			    "was running)\n");
		it_finish(true);
	}
}

/*
 * Check's runner, before it forks the test: make the test's temp dir here, so that the
 * runner can still find and report it after the test process is gone. (In fork mode a
 * failed ck_assert ends the test with _exit(1): no teardown, no atexit; a Check timeout
 * ends it with SIGKILL. The runner then kills the test's process group, peers included.)
 */
static void
it_case_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(it_case.dir, sizeof it_case.dir, "%s/cdht-it.XXXXXX", tmp);
	if (mkdtemp(it_case.dir) == NULL) {
		fprintf(stderr, "cdht-it: mkdtemp %s: %s\n", it_case.dir, strerror(errno));
		it_case.dir[0] = '\0';
	}
	it_case.owner = getpid();
	it_case.claimed = false;
}

/* Check's runner, after the test: a temp dir that is still there and unreported failed. */
static void
it_case_teardown(void)
{
	struct stat	st;
	int64_t		deadline = it_now_ms() + 2000;

	/*
	 * Peers orphaned by a test that died (reparented to us, the subreaper) were killed
	 * with its process group: reap them.
	 */
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0 || (r == 0 && it_now_ms() >= deadline))
			break;
		if (r == 0)
			it_nap(IT_POLL_MS / 2);
	}
	if (it_case.dir[0] == '\0' || stat(it_case.dir, &st) != 0)
		goto out;
	if (stat(it_s("%s/%s", it_case.dir, IT_REPORTED), &st) == 0)
		goto out;
	fprintf(stderr, "cdht-it: the test ended without passing (a failed ck_assert, a crash "
	    "or Check's timeout); its peers were killed with its process group\n");
	snprintf(it.dir, sizeof it.dir, "%s", it_case.dir);
	it_dump_dir(it_case.dir);
	fprintf(stderr, "cdht-it: kept %s\n", it_case.dir);
out:
	it_case.dir[0] = '\0';
	it_case.owner = 0;
}

void
it_setup(void)
{
	static bool	 registered;

	if (!registered) {
		atexit(it_atexit);
		registered = true;
	}
	/* A forked child (harness self-test) may inherit a parent's state: start over. */
	memset(&it, 0, sizeof it);
	it.base = -1;
	it.owner = getpid();
	if (it_case.dir[0] != '\0' && !it_case.claimed &&
	    (it_case.owner == getppid() || it_case.owner == getpid())) {
		it_case.claimed = true;
		snprintf(it.dir, sizeof it.dir, "%s", it_case.dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		if (tmp == NULL || *tmp == '\0')
			tmp = "/tmp";
		snprintf(it.dir, sizeof it.dir, "%s/cdht-it.XXXXXX", tmp);
		if (mkdtemp(it.dir) == NULL) {
			fprintf(stderr, "cdht-it: mkdtemp %s: %s\n", it.dir, strerror(errno));
			ck_abort_msg("mkdtemp failed");
		}
	}
	it.budget_end = it_now_ms() + IT_TEST_BUDGET_MS;
	it.active = true;
	signal(SIGPIPE, SIG_IGN);
}

void
it_teardown(void)
{
	/* A sanitizer report in any peer fails the test, even if every line came out right. */
	for (size_t i = 0; it.active && !it.failed && i < it.npeers; i++) {
		struct it_peer *p = it.peers[i];

		if (it_contains(p, IT_ERR, "Sanitizer") || it_contains(p, IT_ERR, "runtime error:"))
			it_fail("peer %s: a sanitizer report on stderr", p->name);
	}
	it_finish(it.failed);
}

const char *
it_binary(void)
{
	return it_bin;
}

const char *
it_dir(void)
{
	return it.dir;
}

/* ---------------------------------------------------------------- ports */

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
	if (it.nheld < IT_MAX_HELD)
		it.held[it.nheld++] = fd;
	return fd;
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
			it.base = base;
			return;
		}
	}
	it_fail("no free base port found after %d tries", IT_PICK_TRIES);
}

int
it_base(void)
{
	if (it.base < 0) {
		int all[256];

		for (int i = 0; i < 256; i++)
			all[i] = i;
		it_pick_base(all, 256);
	}
	return it.base;
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
	int	port = it.base + p->id;

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

/* ---------------------------------------------------------------- peers */

const char *
it_peer_dir(int id)
{
	const char *d = it_s("%s/%d", it.dir, id);

	if (mkdir(d, 0755) != 0 && errno != EEXIST)
		it_fail("mkdir %s: %s", d, strerror(errno));
	return d;
}

const char *
it_put_file(int id, const char *name, size_t size, uint64_t seed)
{
	const char	*path = it_s("%s/%s", it_peer_dir(id), name);
	FILE		*f = fopen(path, "wb");
	uint64_t	 s = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
	unsigned char	 chunk[65536];

	if (f == NULL)
		it_fail("create %s: %s", path, strerror(errno));
	if (s == 0)
		s = 1;
	while (size > 0) {
		size_t n = size < sizeof chunk ? size : sizeof chunk;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = it_rng_next(&s);

			for (size_t j = 0; j < 8 && i + j < n; j++)
				chunk[i + j] = (unsigned char)(r >> (8 * j));
		}
		if (fwrite(chunk, 1, n, f) != n)
			it_fail("write %s: %s", path, strerror(errno));
		size -= n;
	}
	if (fclose(f) != 0)
		it_fail("close %s: %s", path, strerror(errno));
	return path;
}

/* Move fd to a number >= 10 so dup2 onto 0..2 never clobbers it. */
static int
it_high_fd(int fd)
{
	int h;

	if (fd < 0 || fd >= 10)
		return fd;
	h = fcntl(fd, F_DUPFD, 10);
	close(fd);
	return h;
}

/* In the child: wire stdin/stdout/stderr and exec; never returns. */
static void
it_child(const struct it_peer *p, enum it_stdin in, const char *fifo_path, pid_t parent,
    char *const *argv)
{
	int		 o, e, i = -1;
	sigset_t	 none;

	/* Die with the test process, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	o = it_high_fd(open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	e = it_high_fd(open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (in == IT_STDIN_FIFO)
		i = it_high_fd(open(fifo_path, O_RDWR));	/* a writer exists: no EOF ever */
	else if (in == IT_STDIN_NULL)
		i = it_high_fd(open("/dev/null", O_RDONLY));
	if (o < 0 || e < 0 || (in != IT_STDIN_CLOSED && i < 0))
		_exit(125);
	dup2(o, 1);
	dup2(e, 2);
	if (i >= 0)
		dup2(i, 0);
	else
		close(0);
	close_range(3, ~0U, 0);
	/* The test may run with signals ignored or blocked (nohup, background job). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	execv(argv[0], argv);
	dprintf(2, "cdht-it: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

struct it_peer *
it_startv(int id, enum it_stdin in, char *const *args)
{
	struct it_peer	*p;
	char		*argv[IT_MAX_ARGS + 8];
	char		 base[16], cmd[2048], fifo[PATH_MAX];
	size_t		 k = 0, same = 0, off;
	pid_t		 parent = getpid();

	if (!it.active)
		it_fail("it_start outside a test");
	if (it.npeers >= IT_MAX_PEERS)
		it_fail("too many peers");
	for (size_t i = 0; i < it.npeers; i++)
		if (it.peers[i]->id == id)
			same++;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		abort();
	p->id = id;
	p->fifo = -1;
	if (same == 0)
		snprintf(p->name, sizeof p->name, "%d", id);
	else
		snprintf(p->name, sizeof p->name, "%d-%zu", id, same + 1);
	p->dir = it_xstrdup(same == 0 ? it_peer_dir(id) : it_s("%s/%s", it.dir, p->name));
	if (mkdir(p->dir, 0755) != 0 && errno != EEXIST)
		it_fail("mkdir %s: %s", p->dir, strerror(errno));
	p->out_path = it_xstrdup(it_s("%s/%s.out", it.dir, p->name));
	p->err_path = it_xstrdup(it_s("%s/%s.err", it.dir, p->name));
	if ((size_t)snprintf(fifo, sizeof fifo, "%s/%s.in", it.dir, p->name) >= sizeof fifo)
		it_fail("path too long");

	snprintf(base, sizeof base, "%d", it_base());
	argv[k++] = (char *)it_bin;
	argv[k++] = "--base-port";
	argv[k++] = base;
	argv[k++] = "--dir";
	argv[k++] = p->dir;
	for (size_t i = 0; args[i] != NULL; i++) {
		if (i >= IT_MAX_ARGS)
			it_fail("too many arguments");
		argv[k++] = args[i];
	}
	argv[k] = NULL;
	off = 0;
	cmd[0] = '\0';
	for (size_t i = 0; i < k && off < sizeof cmd; i++)
		off += (size_t)snprintf(cmd + off, sizeof cmd - off, "%s%s", i ? " " : "",
		    argv[i]);
	p->cmdline = it_xstrdup(cmd);
	{
		FILE *f = fopen(it_s("%s/%s.cmd", it.dir, p->name), "w");

		if (f == NULL)
			it_fail("create %s/%s.cmd: %s", it.dir, p->name, strerror(errno));
		fprintf(f, "%s", cmd);
		fclose(f);
	}
	if (in == IT_STDIN_FIFO) {
		if (mkfifo(fifo, 0600) != 0)
			it_fail("mkfifo %s: %s", fifo, strerror(errno));
		/* Read-write so opening never blocks and the FIFO never reports EOF to anyone. */
		p->fifo = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (p->fifo < 0)
			it_fail("open %s: %s", fifo, strerror(errno));
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		it_fail("fork: %s", strerror(errno));
	if (p->pid == 0)
		it_child(p, in, fifo, parent, argv);
	it.peers[it.npeers++] = p;
	return p;
}

/* Split a printf-formatted line on blanks into argv; storage in *store (caller frees). */
static void __attribute__((format(printf, 3, 0)))
it_start_split(char **store, char **argv, const char *fmt, va_list ap)
{
	size_t	k = 0;
	char	*save = NULL, *tok;

	if (vasprintf(store, fmt, ap) < 0)
		abort();
	for (tok = strtok_r(*store, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (k >= IT_MAX_ARGS)
			it_fail("too many arguments");
		argv[k++] = tok;
	}
	argv[k] = NULL;
}

struct it_peer *
it_start(int id, const char *fmt, ...)
{
	char		*store, *argv[IT_MAX_ARGS + 1];
	struct it_peer	*p;
	va_list		 ap;

	va_start(ap, fmt);
	it_start_split(&store, argv, fmt, ap);
	va_end(ap);
	p = it_startv(id, IT_STDIN_FIFO, argv);
	free(store);
	return p;
}

struct it_peer *
it_start_stdin(int id, enum it_stdin in, const char *fmt, ...)
{
	char		*store, *argv[IT_MAX_ARGS + 1];
	struct it_peer	*p;
	va_list		 ap;

	va_start(ap, fmt);
	it_start_split(&store, argv, fmt, ap);
	va_end(ap);
	p = it_startv(id, in, argv);
	free(store);
	return p;
}

int
it_id(const struct it_peer *p)
{
	return p->id;
}

const char *
it_name(const struct it_peer *p)
{
	return p->name;
}

pid_t
it_pid(const struct it_peer *p)
{
	return p->pid;
}

void
it_send(struct it_peer *p, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 n;
	size_t	 off = 0;

	if (p->fifo < 0)
		it_fail("peer %s has no stdin FIFO", p->name);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 1)
		it_fail("command too long");
	line[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = write(p->fifo, line + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			it_fail("write to peer %s's stdin: %s", p->name, strerror(errno));
		off += (size_t)w;
	}
}

void
it_signal(struct it_peer *p, int sig)
{
	if (it_reap(p))
		it_fail("peer %s cannot get signal %d: it already %s", p->name, sig,
		    it_status_str(p->status));
	if (kill(p->pid, sig) != 0)
		it_fail("kill %ld: %s", (long)p->pid, strerror(errno));
}

bool
it_alive(struct it_peer *p)
{
	return !it_reap(p);
}

int
it_wait_exit(struct it_peer *p, int ms)
{
	int64_t deadline = it_deadline(ms);

	while (!it_reap(p)) {
		if (it_now_ms() >= deadline)
			it_fail("peer %s still running after %d ms", p->name, ms);
		it_nap(IT_POLL_MS / 2);
	}
	return p->status;
}

void
it_expect_exit(struct it_peer *p, int code, int ms)
{
	int st = it_wait_exit(p, ms);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != code)
		it_fail("peer %s %s, expected exit status %d", p->name, it_status_str(st), code);
}

void
it_expect_alive(struct it_peer *p)
{
	if (it_reap(p))
		it_fail("peer %s %s, expected it to be running", p->name,
		    it_status_str(p->status));
}

/* ---------------------------------------------------------------- waiting for lines */

/* The last few lines after mark, for a failure message. */
static const char *
it_recent(struct it_peer *p, enum it_stream s, size_t mark)
{
	static char	 out[1536];
	size_t		 n, off = 0;
	char		**v = it_lines(p, s, mark, &n);

	out[0] = '\0';
	for (size_t i = n > 8 ? n - 8 : 0; i < n && off < sizeof out; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, "\n    | %s", v[i]);
	if (n == 0)
		snprintf(out, sizeof out, " (none)");
	it_free_lines(v);
	return out;
}

void
it_wait_line(struct it_peer *p, enum it_stream s, size_t mark, size_t count, const char *line,
    int ms)
{
	int64_t	deadline = it_deadline(ms);
	size_t	c;

	for (;;) {
		bool ended = it_reap(p);

		if ((c = it_count(p, s, mark, line)) >= count)
			return;
		if (ended)
			it_fail("peer %s %s; wanted %zu x '%s' on %s after byte %zu, saw %zu; "
			    "last lines:%s", p->name, it_status_str(p->status), count, line,
			    it_stream_name(s), mark, c, it_recent(p, s, mark));
		if (it_now_ms() >= deadline)
			it_fail("peer %s: wanted %zu x '%s' on %s after byte %zu within %d ms, saw "
			    "%zu; last lines:%s", p->name, count, line, it_stream_name(s), mark,
			    ms, c, it_recent(p, s, mark));
		it_nap(IT_POLL_MS);
	}
}

/* Byte offset just past the first complete line equal to line at or after mark, or 0. */
static size_t
it_find(struct it_peer *p, enum it_stream s, size_t mark, const char *line)
{
	size_t	 len, i, found = 0, ll = strlen(line);
	char	*buf = it_slurp(it_stream_path(p, s), &len);

	for (i = mark < len ? mark : len; i < len && found == 0;) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;
		if ((size_t)(nl - (buf + i)) == ll && memcmp(buf + i, line, ll) == 0)
			found = (size_t)(nl - buf) + 1;
		i = (size_t)(nl - buf) + 1;
	}
	free(buf);
	return found;
}

size_t
it_wait_find(struct it_peer *p, enum it_stream s, size_t mark, const char *line, int ms)
{
	size_t at;

	it_wait_line(p, s, mark, 1, line, ms);
	at = it_find(p, s, mark, line);
	if (at == 0)
		it_fail("peer %s: line '%s' vanished", p->name, line);
	return at;
}

static bool
it_has_seq(char **v, size_t n, const char *const *want, size_t nw)
{
	for (size_t i = 0; i + nw <= n; i++) {
		size_t j = 0;

		while (j < nw && strcmp(v[i + j], want[j]) == 0)
			j++;
		if (j == nw)
			return true;
	}
	return false;
}

void
it_wait_seq(struct it_peer *p, enum it_stream s, size_t mark, int ms, ...)
{
	const char	*want[32];
	size_t		 nw = 0;
	int64_t		 deadline = it_deadline(ms);
	va_list		 ap;
	char		 desc[1536];
	size_t		 off = 0;

	va_start(ap, ms);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (nw < 32)
			want[nw++] = l;
	va_end(ap);
	desc[0] = '\0';
	for (size_t i = 0; i < nw && off < sizeof desc; i++)
		off += (size_t)snprintf(desc + off, sizeof desc - off, "\n    > %s", want[i]);
	for (;;) {
		bool	 ended = it_reap(p);
		size_t	 n;
		char	**v = it_lines(p, s, mark, &n);
		bool	 ok = it_has_seq(v, n, want, nw);

		it_free_lines(v);
		if (ok)
			return;
		if (ended)
			it_fail("peer %s %s without printing on %s (after byte %zu) the lines:%s\n"
			    "  last lines:%s", p->name, it_status_str(p->status), it_stream_name(s),
			    mark, desc, it_recent(p, s, mark));
		if (it_now_ms() >= deadline)
			it_fail("peer %s did not print on %s (after byte %zu) within %d ms the "
			    "lines:%s\n  last lines:%s", p->name, it_stream_name(s), mark, ms,
			    desc, it_recent(p, s, mark));
		it_nap(IT_POLL_MS);
	}
}

void
it_wait_nlines(struct it_peer *p, enum it_stream s, size_t mark, size_t n, int ms)
{
	int64_t	deadline = it_deadline(ms);

	for (;;) {
		bool	 ended = it_reap(p);
		size_t	 k;
		char	**v = it_lines(p, s, mark, &k);

		it_free_lines(v);
		if (k >= n)
			return;
		if (ended)
			it_fail("peer %s %s with %zu line(s) on %s after byte %zu, wanted %zu",
			    p->name, it_status_str(p->status), k, it_stream_name(s), mark, n);
		if (it_now_ms() >= deadline)
			it_fail("peer %s: %zu line(s) on %s after byte %zu within %d ms, wanted %zu",
			    p->name, k, it_stream_name(s), mark, ms, n);
		it_nap(IT_POLL_MS);
	}
}

void
it_expect_only_v(struct it_peer *p, enum it_stream s, size_t mark, const char *const *allowed,
    size_t na)
{
	size_t	 n;
	char	**v = it_lines(p, s, mark, &n);

	for (size_t i = 0; i < n; i++) {
		bool ok = false;

		for (size_t j = 0; !ok && j < na; j++)
			ok = strcmp(v[i], allowed[j]) == 0;
		if (!ok) {
			char bad[600];

			snprintf(bad, sizeof bad, "%s", v[i]);
			it_free_lines(v);
			it_fail("peer %s printed an unexpected line on %s: '%s'", p->name,
			    it_stream_name(s), bad);
		}
	}
	it_free_lines(v);
}

void
it_expect_only(struct it_peer *p, enum it_stream s, size_t mark, ...)
{
	const char	*allowed[64];
	size_t		 na = 0;
	va_list		 ap;

	va_start(ap, mark);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (na < 64)
			allowed[na++] = l;
	va_end(ap);
	it_expect_only_v(p, s, mark, allowed, na);
}

void
it_expect_exactly(struct it_peer *p, enum it_stream s, size_t mark, ...)
{
	const char	*want[64];
	size_t		 nw = 0, n;
	va_list		 ap;
	char		**v;

	va_start(ap, mark);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (nw < 64)
			want[nw++] = l;
	va_end(ap);
	v = it_lines(p, s, mark, &n);
	for (size_t i = 0; i < n || i < nw; i++) {
		if (i < n && i < nw && strcmp(v[i], want[i]) == 0)
			continue;
		{
			char got[600];

			snprintf(got, sizeof got, "%s", i < n ? v[i] : "<end of output>");
			it_free_lines(v);
			it_fail("peer %s, %s line %zu after byte %zu: got '%s', expected '%s'",
			    p->name, it_stream_name(s), i + 1, mark, got,
			    i < nw ? want[i] : "<end of output>");
		}
	}
	it_free_lines(v);
}

void
it_expect_empty(struct it_peer *p, enum it_stream s, size_t mark)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);

	if (len > mark) {
		char first[600];
		const char *nl = memchr(buf + mark, '\n', len - mark);
		size_t flen = nl ? (size_t)(nl - (buf + mark)) : len - mark;

		snprintf(first, sizeof first, "%.*s", (int)(flen < 500 ? flen : 500), buf + mark);
		free(buf);
		it_fail("peer %s printed on %s (expected nothing): '%s'", p->name,
		    it_stream_name(s), first);
	}
	free(buf);
}

void
it_wait_until(bool (*cond)(void *arg), void *arg, int ms, const char *what)
{
	int64_t deadline = it_deadline(ms);

	while (!cond(arg)) {
		if (it_now_ms() >= deadline)
			it_fail("not true within %d ms: %s", ms, what);
		it_nap(IT_POLL_MS);
	}
}

/* ---------------------------------------------------------------- files */

bool
it_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
it_files_differ(const char *a, const char *b, char *why, size_t whylen)
{
	FILE		*fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	unsigned char	 ba[65536], bb[65536];
	uint64_t	 off = 0;
	int		 r = 0;

	if (fa == NULL || fb == NULL) {
		snprintf(why, whylen, "cannot open %s: %s", fa == NULL ? a : b, strerror(errno));
		r = -1;
		goto out;
	}
	for (;;) {
		size_t na = fread(ba, 1, sizeof ba, fa);
		size_t nb = fread(bb, 1, sizeof bb, fb);
		size_t n = na < nb ? na : nb;

		for (size_t i = 0; i < n; i++)
			if (ba[i] != bb[i]) {
				snprintf(why, whylen, "first difference at byte %llu",
				    (unsigned long long)(off + i));
				r = 1;
				goto out;
			}
		if (na != nb) {
			struct stat sa, sb;

			stat(a, &sa);
			stat(b, &sb);
			snprintf(why, whylen, "sizes differ: %lld vs %lld bytes",
			    (long long)sa.st_size, (long long)sb.st_size);
			r = 1;
			goto out;
		}
		if (na == 0)
			break;
		off += na;
	}
out:
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return r;
}

void
it_expect_files_equal(const char *got, const char *want)
{
	char why[512];

	if (it_files_differ(got, want, why, sizeof why) != 0)
		it_fail("%s differs from %s: %s", got, want, why);
}

void
it_wait_file_equal(const char *got, const char *want, int ms)
{
	int64_t	deadline = it_deadline(ms);
	char	why[512];

	while (it_files_differ(got, want, why, sizeof why) != 0) {
		if (it_now_ms() >= deadline)
			it_fail("%s not equal to %s within %d ms: %s", got, want, ms, why);
		it_nap(IT_POLL_MS);
	}
}

size_t
it_expect_file_lines_match(const char *path, const char *ere)
{
	regex_t	 re;
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0, n = 0;
	ssize_t	 len;

	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		it_fail("bad regular expression %s", ere);
	if ((f = fopen(path, "r")) == NULL) {
		regfree(&re);
		it_fail("cannot open %s: %s", path, strerror(errno));
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		n++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (regexec(&re, line, 0, NULL, 0) != 0) {
			char bad[600];

			snprintf(bad, sizeof bad, "%s", line);
			free(line);
			fclose(f);
			regfree(&re);
			it_fail("%s line %zu '%s' does not match %s", path, n, bad, ere);
		}
	}
	free(line);
	fclose(f);
	regfree(&re);
	return n;
}

/* ---------------------------------------------------------------- rings */

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
	if (it.base < 0)
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

void
it_release_port(int fd)
{
	for (size_t i = 0; i < it.nheld; i++)
		if (it.held[i] == fd) {
			it.held[i] = it.held[--it.nheld];
			break;
		}
	close(fd);
}

int
it_owner(const int *ids, size_t n, int key)
{
	int best = -1, lowest = -1;

	for (size_t i = 0; i < n; i++) {
		if (ids[i] >= key && (best < 0 || ids[i] < best))
			best = ids[i];
		if (lowest < 0 || ids[i] < lowest)
			lowest = ids[i];
	}
	return best >= 0 ? best : lowest;
}

/* ---------------------------------------------------------------- main */

int
it_main(int argc, char **argv, const char *suite_name, const struct it_test *tests,
    size_t ntests)
{
	const char	*only = getenv("CK_RUN_CASE");
	Suite		*suite;
	SRunner		*sr;
	int		 failed, run;
	bool		 found = false;

	if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < ntests; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	it_bin = argc >= 2 ? argv[1] : getenv("CDHT_BIN");
	if (it_bin == NULL || access(it_bin, X_OK) != 0) {
		fprintf(stderr, "usage: %s PATH-TO-CDHT (or set CDHT_BIN); --list lists tests\n",
		    argv[0]);
		return 2;
	}
	if (only != NULL && *only != '\0') {
		for (size_t i = 0; i < ntests; i++)
			found = found || strcmp(tests[i].name, only) == 0;
		if (!found) {
			fprintf(stderr, "%s: CK_RUN_CASE=%s names no test\n", argv[0], only);
			return 1;
		}
	}
	/* Peers orphaned by a dying test come to us, to be reaped (see it_case_teardown). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	suite = suite_create(suite_name);
	for (size_t i = 0; i < ntests; i++) {
		TCase *tc = tcase_create(tests[i].name);

		tcase_add_unchecked_fixture(tc, it_case_setup, it_case_teardown);
		tcase_add_checked_fixture(tc, it_setup, it_teardown);
		tcase_set_timeout(tc, IT_CHECK_TIMEOUT_S);
		_tcase_add_test(tc, tests[i].test, 0, 0, 0, 1);
		suite_add_tcase(suite, tc);
	}
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	run = srunner_ntests_run(sr);
	srunner_free(sr);
	if (run == 0) {
		fprintf(stderr, "%s: no test ran\n", argv[0]);
		return 1;
	}
	return failed;
}
