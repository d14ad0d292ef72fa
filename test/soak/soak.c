/* Churn soak (issue 11): random kills, quits, joins and pauses on a ring of real cdht peers. */
#include "soak_json.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * After every event, every live peer's `status --json` must show the true ring (successors
 * and predecessors computed from the set of live ids) within the convergence bound of
 * docs/DESIGN.md plus a margin, no peer may ever be its own first successor, and a request
 * for a file held by a random live peer, typed at another, must arrive byte for byte.
 * Each peer i holds file 1024+i (key i), so it stays that file's owner whatever changes.
 * One event at a time (or, with --burst, faults on pairwise non-adjacent peers), so no two
 * ring-adjacent peers are ever down at once. Unused ids' ports are held by the soak, so
 * other rings on the host keep out of its range (see hold_one).
 */

#define SOAK_IDS		256	/* ids 0..255 */
#define SOAK_MAX_RUNS		4096	/* peer processes one run may start */
#define SOAK_INTERVAL		"0.2"	/* s, ping interval */
#define SOAK_INTERVAL_MS	200	/* ms */
#define SOAK_TIMEOUT		"0.5"	/* s, ping timeout */
#define SOAK_TIMEOUT_MS		500	/* ms */
#define SOAK_THRESHOLD		3	/* missed pings before a death (cdht's default) */
#define SOAK_POLL_MS		10	/* ms between looks at output files */
#define SOAK_ROUND_GAP_MS	100	/* ms between two status rounds */
#define SOAK_STATUS_MS		3000	/* ms a live peer has to answer `status --json` */
#define SOAK_REQUEST_MS		10000	/* ms for a request to be answered */
#define SOAK_FILE_MS		3000	/* ms for the received copy to appear whole */
#define SOAK_QUIT_MS		5000	/* ms for a peer to exit after quit (SPEC: 2 s at most) */
#define SOAK_START_MS		15000	/* ms for a freshly started ring to converge */
#define SOAK_MARGIN_MS		5000	/* ms added to the bound by default (loaded machines) */
#define SOAK_PAUSE_MIN_MS	500	/* ms a paused peer stays stopped, at least */
#define SOAK_PAUSE_SPAN_MS	3000	/* ms added at random */
#define SOAK_DUMP_LINES		30	/* last lines of each stream shown on failure */
#define SOAK_FILE_BASE		1024	/* peer i holds file SOAK_FILE_BASE + i */

/* B = interval + threshold x timeout (SPEC §5); bound = 2B + 5 x interval + timeout. */
#define SOAK_B_MS	(SOAK_INTERVAL_MS + SOAK_THRESHOLD * SOAK_TIMEOUT_MS)
#define SOAK_BOUND_MS	(2 * SOAK_B_MS + 5 * SOAK_INTERVAL_MS + SOAK_TIMEOUT_MS)

/* A pause shorter than the detection budget is K_PAUSE; a longer one (a wrong verdict) K_STOP. */
enum soak_kind { K_START, K_KILL, K_QUIT, K_JOIN, K_PAUSE, K_STOP, K_BURST, K_RELAPSE,
	K_NKINDS };
static const char *const kind_name[K_NKINDS] = { "start", "kill", "quit", "join", "pause<B",
    "pause>=B", "burst", "relapse" };

/* One peer process (an id may run several times, one after another). */
struct run {
	int		 id;
	char		 name[24];	/* "<id>-<n>" */
	pid_t		 pid;		/* 0 once reaped */
	int		 fifo;		/* its stdin FIFO, opened read-write by us */
	int		 out;		/* its stdout file, read as it grows */
	char		*buf;		/* partial line */
	size_t		 len, cap;
	char		*json;		/* last status line */
	unsigned	 asked, answered;
	char		 want[12];	/* file of a pending request */
	int		 req;		/* 0 pending, 1 received, 2 not available */
};

struct kind_stat {
	int		 n, over;	/* over: converged, but later than the bound itself */
	int64_t		 worst, sum;
};

static struct {
	const char	*bin;
	char		 dir[PATH_MAX];
	int		 base;
	uint64_t	 seed, rng;
	int		 events, target, margin_ms, max_violations, burst;
	bool		 keep_going, verbose;
	struct run	 runs[SOAK_MAX_RUNS];
	size_t		 nruns;
	int		 live[SOAK_IDS];	/* index in runs of the live run of an id, or -1 */
	int		 starts[SOAK_IDS];
	int64_t		 t0;
	struct kind_stat st[K_NKINDS];
	int		 violations, relapses, requests, requests_ok;
	int		 pause_ms;	/* length of the last pause */
	int		 held_udp[SOAK_IDS], held_tcp[SOAK_IDS];	/* fds, or -1 */
	bool		 taint[SOAK_IDS];	/* a foreign ring sends to this id's port */
	int		 foreign;		/* status rounds that showed a foreign contact */
	int		 ntaint;		/* ids tainted */
	bool		 failed;
} S;

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds (between polls only, never as synchronisation). */
static void
nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* splitmix64: the event sequence follows from the seed alone. */
static uint64_t
rnd(void)
{
	uint64_t z = (S.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static int
rnd_below(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

/* Log a line with the time since the start. */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	printf("[%8.3f] ", (double)(now_ms() - S.t0) / 1000.0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Kill and reap every peer still running; safe from a signal handler. */
static void
kill_all(void)
{
	for (size_t i = 0; i < S.nruns; i++)
		if (S.runs[i].pid > 0) {
			kill(S.runs[i].pid, SIGKILL);
			waitpid(S.runs[i].pid, NULL, 0);
			S.runs[i].pid = 0;
		}
}

static void
on_signal(int sig)
{
	kill_all();
	_exit(128 + sig);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit: no peer outlives the soak; the temp dir stays only after a failure. */
static void
at_exit(void)
{
	kill_all();
	if (S.dir[0] == '\0')
		return;
	if (S.failed)
		fprintf(stderr, "soak: peers' files kept in %s\n", S.dir);
	else
		nftw(S.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Is 127.0.0.1:port free for UDP and for a TCP listener? */
static bool
port_free(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	bool ok = true;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int t = 0; t < 2 && ok; t++) {
		int fd = socket(AF_INET, t ? SOCK_STREAM : SOCK_DGRAM, 0);

		ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
		    (!t || listen(fd, 1) == 0);
		if (fd >= 0)
			close(fd);
	}
	return ok;
}

/* A random base below 32768 (under the ephemeral range) with every id's port free. */
static int
pick_base(void)
{
	uint64_t r = (uint64_t)getpid() ^ (uint64_t)now_ms() * 2654435761u;

	for (int tries = 0; tries < 200; tries++) {
		int base = 10000 + (int)((r = r * 6364136223846793005ULL + 1) >> 33) %
		    (32768 - SOAK_IDS - 10000);
		int id = 0;

		while (id < SOAK_IDS && port_free(base + id))
			id++;
		if (id == SOAK_IDS)
			return base;
	}
	fprintf(stderr, "soak: no free block of %d ports below 32768\n", SOAK_IDS);
	exit(2);
}

/*
 * Every id's ports that no peer of ours uses are held (a bound UDP socket and a listening
 * TCP one), so no other ring on this host can start in our range. A datagram arriving on
 * a held UDP port comes from a foreign ring that still pings a peer it once had there: such
 * an id is never used for a join (our peer would be taken for the foreign one).
 */
static int
hold_one(int port, bool tcp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0), on = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && (!tcp || listen(fd, 1) == 0))
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Hold the ports of id (as far as they are free). */
static void
hold_id(int id)
{
	if (S.held_udp[id] < 0)
		S.held_udp[id] = hold_one(S.base + id, false);
	if (S.held_tcp[id] < 0)
		S.held_tcp[id] = hold_one(S.base + id, true);
}

/* Let a peer of ours bind the ports of id. */
static void
release_id(int id)
{
	if (S.held_udp[id] >= 0)
		close(S.held_udp[id]);
	if (S.held_tcp[id] >= 0)
		close(S.held_tcp[id]);
	S.held_udp[id] = S.held_tcp[id] = -1;
}

/*
 * Has a foreign ring sent anything to the held port of id? Datagrams from our own peers
 * (probes of a peer they declared dead) are fine; any other marks the id for good.
 */
static bool
tainted(int id)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	char buf[2048];

	while (!S.taint[id] && S.held_udp[id] >= 0 && recvfrom(S.held_udp[id], buf, sizeof buf,
	    MSG_DONTWAIT, (struct sockaddr *)&from, &fl) >= 0) {
		int k = ntohs(from.sin_port) - S.base;

		fl = sizeof from;
		/* Ours, maybe dead by now: it probed id before it died (a late datagram). */
		if (from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && k >= 0 && k < SOAK_IDS &&
		    S.starts[k] > 0)
			continue;
		S.taint[id] = true;
		if (++S.ntaint <= 3)
				say("note: a datagram from port %d reached port %d (id %d), held by no peer"
			    " of ours: a foreign ring shares this port range; id %d is not used again",
			    ntohs(from.sin_port), S.base + id, id, id);
	}
	return S.taint[id];
}

/* The file peer id holds and the path of run r's copy of it. */
static void
file_name(int id, char out[12])
{
	snprintf(out, 12, "%04d", SOAK_FILE_BASE + id);
}

/* Write the file of id into a run's directory: size and bytes follow from seed and id. */
static void
put_file(const struct run *r)
{
	char f[12], path[PATH_MAX + 64];
	uint64_t x = S.seed * 31 + (uint64_t)r->id + 1;
	size_t size = 1000 + (size_t)((x * 2654435761u) % 60000);
	FILE *fp;

	file_name(r->id, f);
	snprintf(path, sizeof path, "%s/%s/%s.pdf", S.dir, r->name, f);
	if ((fp = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "soak: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fputc((int)(x & 0xff), fp);
	}
	fclose(fp);
}

/* The child side of a start: stdin the FIFO, stdout/stderr to files, then exec. */
static void __attribute__((noreturn))
run_child(const char *fifo, const char *out, const char *err, char **argv)
{
	int in, o, e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Now, not at exec: a sibling started meanwhile may need a port held here. */
	for (int id = 0; id < SOAK_IDS; id++)
		release_id(id);
	in = open(fifo, O_RDWR);
	o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* Start a peer of id with the given form arguments (NULL-terminated); its run. */
static struct run *
run_start(int id, const char *const *form)
{
	struct run *r = &S.runs[S.nruns];
	char dir[PATH_MAX + 32], fifo[PATH_MAX + 48], out[PATH_MAX + 48], err[PATH_MAX + 48];
	char port[16];
	char *argv[24];
	int argc = 0;

	if (S.nruns == SOAK_MAX_RUNS) {
		fprintf(stderr, "soak: more than %d peer starts\n", SOAK_MAX_RUNS);
		exit(2);
	}
	memset(r, 0, sizeof *r);
	r->id = id;
	snprintf(r->name, sizeof r->name, "%d-%d", id, ++S.starts[id]);
	snprintf(dir, sizeof dir, "%s/%s", S.dir, r->name);
	snprintf(fifo, sizeof fifo, "%s.in", dir);
	snprintf(out, sizeof out, "%s.out", dir);
	snprintf(err, sizeof err, "%s.err", dir);
	snprintf(port, sizeof port, "%d", S.base);
	if (mkdir(dir, 0700) != 0 || mkfifo(fifo, 0600) != 0) {
		fprintf(stderr, "soak: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	put_file(r);
	for (const char *a[] = { S.bin, "--base-port", port, "--dir", dir, "--ping-timeout",
	    SOAK_TIMEOUT, "--quiet-pings", NULL }, **p = a; *p; p++)
		argv[argc++] = (char *)(uintptr_t)*p;
	for (; *form; form++)
		argv[argc++] = (char *)(uintptr_t)*form;
	argv[argc] = NULL;
	release_id(id);
	r->fifo = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->fifo < 0 || (r->pid = fork()) < 0) {
		fprintf(stderr, "soak: start %s: %s\n", r->name, strerror(errno));
		exit(2);
	}
	if (r->pid == 0)
		run_child(fifo, out, err, argv);
	S.nruns++;
	/* The child creates the file; until then reads find nothing. */
	r->out = -1;
	S.live[id] = (int)(r - S.runs);
	return r;
}

/* Start a peer with a printf-made form line split on blanks. */
static struct run * __attribute__((format(printf, 2, 3)))
run_startf(int id, const char *fmt, ...)
{
	char line[256], *save = NULL;
	const char *form[16];
	int n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *t = strtok_r(line, " ", &save); t && n < 15; t = strtok_r(NULL, " ", &save))
		form[n++] = t;
	form[n] = NULL;
	return run_start(id, form);
}

/* One complete stdout line of a run: a status, or a line a pending request waits for. */
static void
run_line(struct run *r, const char *line)
{
	char want[64];

	if (line[0] == '{') {
		free(r->json);
		r->json = strdup(line);
		r->answered++;
		return;
	}
	if (r->want[0] == '\0' || r->req != 0)
		return;
	snprintf(want, sizeof want, "File %s received", r->want);
	if (strcmp(line, want) == 0)
		r->req = 1;
	snprintf(want, sizeof want, "File %s is not available in the network", r->want);
	if (strcmp(line, want) == 0)
		r->req = 2;
}

/* Read what a run printed since the last look and hand each complete line on. */
static void
run_read(struct run *r)
{
	char chunk[8192], path[PATH_MAX + 32];
	ssize_t got;

	if (r->out < 0) {
		snprintf(path, sizeof path, "%s/%s.out", S.dir, r->name);
		if ((r->out = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return;
	}
	while ((got = read(r->out, chunk, sizeof chunk)) > 0) {
		for (ssize_t i = 0; i < got; i++) {
			if (r->len + 1 >= r->cap) {
				r->cap = r->cap ? 2 * r->cap : 4096;
				if ((r->buf = realloc(r->buf, r->cap)) == NULL)
					abort();
			}
			if (chunk[i] != '\n') {
				r->buf[r->len++] = chunk[i];
				continue;
			}
			r->buf[r->len] = '\0';
			run_line(r, r->buf);
			r->len = 0;
		}
	}
}

/* Write one command line to a run's stdin. */
static void
run_send(struct run *r, const char *cmd)
{
	char line[128];
	int n = snprintf(line, sizeof line, "%s\n", cmd);

	if (write(r->fifo, line, (size_t)n) != n)
		say("warning: could not write '%s' to peer %s: %s", cmd, r->name, strerror(errno));
}

/* Print the last lines of a file, indented; status lines are left out (shown apart). */
static void
dump_tail(const char *path, const char *label)
{
	char *lines[SOAK_DUMP_LINES] = { 0 }, *line = NULL;
	size_t cap = 0, n = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return;
	while (getline(&line, &cap, fp) > 0) {
		if (line[0] == '{')
			continue;
		free(lines[n % SOAK_DUMP_LINES]);
		lines[n++ % SOAK_DUMP_LINES] = strdup(line);
	}
	fclose(fp);
	free(line);
	fprintf(stderr, "  --- %s (%zu lines besides status, the last %d)\n", label, n,
	    n < SOAK_DUMP_LINES ? (int)n : SOAK_DUMP_LINES);
	for (size_t i = n > SOAK_DUMP_LINES ? n - SOAK_DUMP_LINES : 0; i < n; i++) {
		fprintf(stderr, "  %s", lines[i % SOAK_DUMP_LINES]);
		free(lines[i % SOAK_DUMP_LINES]);
	}
}

/* Every live peer's last output (and the runs that ended last, which may matter). */
static void
dump_peers(void)
{
	char path[PATH_MAX + 32];
	size_t from = S.nruns > 3 ? S.nruns - 3 : 0;

	for (size_t i = 0; i < S.nruns; i++) {
		struct run *r = &S.runs[i];

		if (S.live[r->id] != (int)i && i < from)
			continue;
		fprintf(stderr, "=== peer %s (pid %d, %s)\n", r->name, (int)r->pid,
		    S.live[r->id] == (int)i ? "live" : "ended");
		snprintf(path, sizeof path, "%s/%s.out", S.dir, r->name);
		dump_tail(path, "stdout");
		snprintf(path, sizeof path, "%s/%s.err", S.dir, r->name);
		dump_tail(path, "stderr");
		fprintf(stderr, "  --- last status: %s\n", r->json ? r->json : "(none)");
	}
}

/*
 * A violation: say what (one line, numbered, with the seed, on stdout and stderr alike), show
 * the peers, and stop unless the run keeps going.
 */
static void __attribute__((format(printf, 1, 2)))
violation(const char *fmt, ...)
{
	char line[4096];
	int at;
	va_list ap;

	S.violations++;
	S.failed = true;
	at = snprintf(line, sizeof line, "VIOLATION %d (seed %" PRIu64 "): ", S.violations, S.seed);
	va_start(ap, fmt);
	vsnprintf(line + at, sizeof line - (size_t)at, fmt, ap);
	va_end(ap);
	say("%s", line);
	fprintf(stderr, "soak: %s\n", line);
	if (!S.keep_going || S.violations >= S.max_violations) {
		dump_peers();
		fprintf(stderr, "soak: FAILED after %d violation(s), seed %" PRIu64 "\n",
		    S.violations, S.seed);
		exit(1);
	}
}

/* The live ids in ring order; their count. */
static int
live_ids(int *out)
{
	int n = 0;

	for (int id = 0; id < SOAK_IDS; id++)
		if (S.live[id] >= 0)
			out[n++] = id;
	return n;
}

static struct run *
live_run(int id)
{
	return &S.runs[S.live[id]];
}

/* A random live id, other than not (-1 for any). */
static int
pick_live(int not)
{
	int ids[SOAK_IDS], n = live_ids(ids), id;

	do
		id = ids[rnd_below(n)];
	while (id == not);
	return id;
}

/* What a status line says about the ring (-1 for null, -2 for missing). */
struct view {
	int	 id, s[2], p[2];
	char	 state[16];
	char	 foreign[64];	/* a neighbour's contact not at base + id (another ring's) */
};

/* The id of list[i], noting a contact whose port is not our base + its id. */
static int
view_id(const struct sj *list, size_t i, struct view *v)
{
	const struct sj *e = sj_at(list, i), *c;
	const char *colon;
	int id;

	if (e == NULL)
		return -2;
	if (e->type == SJ_NULL)
		return -1;
	id = (int)sj_int(sj_get(e, "id"), -2);
	c = sj_get(e, "contact");
	if (c != NULL && c->type == SJ_STR && (colon = strrchr(c->str, ':')) != NULL &&
	    atoi(colon + 1) != S.base + id && v->foreign[0] == '\0')
		snprintf(v->foreign, sizeof v->foreign, "%s", c->str);
	return id;
}

/* Read a status line strictly; false if it is not the JSON of docs/STATUS.md. */
static bool
view_parse(const char *json, struct view *v)
{
	struct sj *d = sj_parse(json);
	const struct sj *st;

	if (d == NULL || sj_int(sj_get(d, "cdht"), 0) != 1) {
		sj_free(d);
		return false;
	}
	memset(v, 0, sizeof *v);
	v->id = (int)sj_int(sj_get(d, "id"), -2);
	st = sj_get(d, "state");
	snprintf(v->state, sizeof v->state, "%s", st && st->type == SJ_STR ? st->str : "?");
	for (size_t i = 0; i < 2; i++) {
		v->s[i] = view_id(sj_get(d, "successors"), i, v);
		v->p[i] = view_id(sj_get(d, "predecessors"), i, v);
	}
	sj_free(d);
	return true;
}

/* The last line a run wrote on stderr (static storage), or "(nothing on stderr)". */
static const char *
last_err(const struct run *r)
{
	static char last[512];
	char path[PATH_MAX + 32], line[512];
	FILE *fp;

	snprintf(last, sizeof last, "(nothing on stderr)");
	snprintf(path, sizeof path, "%s/%s.err", S.dir, r->name);
	if ((fp = fopen(path, "r")) == NULL)
		return last;
	while (fgets(line, sizeof line, fp) != NULL)
		snprintf(last, sizeof last, "%s", line);
	fclose(fp);
	last[strcspn(last, "\n")] = '\0';
	return last;
}

/* Has a live run ended by itself? Then it is a violation, and it is no longer live. */
static void
check_exits(void)
{
	int ids[SOAK_IDS], n = live_ids(ids), st;

	for (int i = 0; i < n; i++) {
		struct run *r = live_run(ids[i]);

		if (r->pid > 0 && waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			S.live[r->id] = -1;
			hold_id(r->id);
			violation("peer %s ended by itself (%s %d): %s", r->name,
			    WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last_err(r));
		}
	}
}

/* Send `status --json` to every live peer and wait for each answer (or the deadline). */
static void
ask_all(const int *ids, int n)
{
	int64_t deadline = now_ms() + SOAK_STATUS_MS;
	bool all;

	for (int i = 0; i < n; i++) {
		struct run *r = live_run(ids[i]);

		run_read(r);
		r->asked++;
		run_send(r, "status --json");
	}
	do {
		nap(SOAK_POLL_MS);
		all = true;
		for (int i = 0; i < n; i++) {
			struct run *r = live_run(ids[i]);

			run_read(r);
			all = all && r->answered >= r->asked;
		}
	} while (!all && now_ms() < deadline);
}

/* Compare one peer's view with the true ring (ids[i] in ids); append to why if it differs. */
static bool
view_check(const int *ids, int n, int i, char *why, size_t whylen, bool *self)
{
	struct run *r = live_run(ids[i]);
	int want[4] = { ids[(i + 1) % n], ids[(i + 2) % n], ids[(i + n - 1) % n],
	    ids[(i + n - 2) % n] };
	struct view v;
	size_t used = strlen(why);

	if (r->answered < r->asked || r->json == NULL) {
		snprintf(why + used, whylen - used, " %d: no status answer;", ids[i]);
		return false;
	}
	if (!view_parse(r->json, &v)) {
		snprintf(why + used, whylen - used, " %d: bad status JSON;", ids[i]);
		return false;
	}
	/* A second successor equal to us is a ring of two (DESIGN): after a wrong verdict. */
	if (v.s[0] == ids[i])
		*self = true;
	if (v.foreign[0] != '\0') {
		S.foreign++;
		snprintf(why + used, whylen - used, " %d: FOREIGN neighbour %s (not at base+id:"
		    " a peer of another ring on this host);", ids[i], v.foreign);
		used = strlen(why);
	}
	if (v.id == ids[i] && strcmp(v.state, "up") == 0 && v.foreign[0] == '\0' &&
	    v.s[0] == want[0] &&
	    v.s[1] == want[1] && v.p[0] == want[2] && v.p[1] == want[3])
		return true;
	snprintf(why + used, whylen - used,
	    " %d: succ [%d,%d] pred [%d,%d] %s, want succ [%d,%d] pred [%d,%d];", ids[i],
	    v.s[0], v.s[1], v.p[0], v.p[1], v.state, want[0], want[1], want[2], want[3]);
	return false;
}

/* One status round: true when every live peer shows the true ring. */
static bool
status_round(char *why, size_t whylen, bool *self_seen)
{
	int ids[SOAK_IDS], n;
	bool all = true, self;

	check_exits();
	n = live_ids(ids);
	ask_all(ids, n);
	why[0] = '\0';
	for (int i = 0; i < n; i++) {
		self = false;
		all = view_check(ids, n, i, why, whylen, &self) && all;
		if (self && !*self_seen) {
			*self_seen = true;
			violation("peer %d names itself as its first successor (ring of %d): %s", ids[i],
			    n, live_run(ids[i])->json);
		}
	}
	return all;
}

/* Wait until the ring is true; the time from t_event (ms), or -1 after a violation. */
static int64_t
converge(enum soak_kind kind, int64_t t_event, int budget_ms)
{
	static char why[16384];
	bool self_seen = false;

	why[0] = '\0';
	for (;;) {
		/* Timed when the last answer is in: the ring was true by then (conservative). */
		if (S.verbose && why[0] != '\0')
			say("  not yet:%s", why);
		if (status_round(why, sizeof why, &self_seen)) {
			struct kind_stat *k = &S.st[kind];
			int64_t t = now_ms();

			k->n++;
			k->over += t - t_event > SOAK_BOUND_MS;
			k->sum += t - t_event;
			if (t - t_event > k->worst)
				k->worst = t - t_event;
			return t - t_event;
		}
		if (now_ms() - t_event >= budget_ms) {
			violation("ring not the true ring %lld ms after the %s (budget %d ms):%s",
			    (long long)(now_ms() - t_event), kind_name[kind], budget_ms, why);
			return -1;
		}
		nap(SOAK_ROUND_GAP_MS);
	}
}

/* Are two files byte for byte equal (and both there)? */
static bool
same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa != NULL && fb != NULL;
	int ca, cb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Route a request typed at a random live peer for the file of another live peer. */
static void
check_request(void)
{
	int y = pick_live(-1), x = pick_live(y);
	struct run *ry = live_run(y), *rx = live_run(x);
	char f[12], cmd[32], got[PATH_MAX + 64], want[PATH_MAX + 64];
	int64_t t = now_ms();

	file_name(x, f);
	snprintf(got, sizeof got, "%s/%s/received_%s.pdf", S.dir, ry->name, f);
	snprintf(want, sizeof want, "%s/%s/%s.pdf", S.dir, rx->name, f);
	unlink(got);
	run_read(ry);
	snprintf(ry->want, sizeof ry->want, "%s", f);
	ry->req = 0;
	snprintf(cmd, sizeof cmd, "request %s", f);
	run_send(ry, cmd);
	S.requests++;
	while (ry->req == 0 && now_ms() - t < SOAK_REQUEST_MS) {
		nap(SOAK_POLL_MS);
		run_read(ry);
	}
	ry->want[0] = '\0';
	if (ry->req != 1) {
		violation("request %s typed at %d (held by live peer %d): %s after %lld ms", f, y,
		    x, ry->req == 2 ? "not available" : "no answer", (long long)(now_ms() - t));
		return;
	}
	while (!same_file(got, want) && now_ms() - t < SOAK_REQUEST_MS + SOAK_FILE_MS)
		nap(SOAK_POLL_MS);
	if (!same_file(got, want)) {
		violation("request %s typed at %d: %s differs from %s", f, y, got, want);
		return;
	}
	S.requests_ok++;
	say("  request %s at %d from %d: received byte for byte in %lld ms", f, y, x,
	    (long long)(now_ms() - t));
}

/* SIGKILL a random peer; the time of the kill. */
static int64_t
ev_kill(char *what, size_t len)
{
	int id = pick_live(-1);
	struct run *r = live_run(id);
	int64_t t = now_ms();

	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
	S.live[id] = -1;
	hold_id(id);
	snprintf(what, len, "kill %d", id);
	return t;
}

/* Type quit at a random peer and wait for it to exit 0; the time quit was typed. */
static int64_t
ev_quit(char *what, size_t len)
{
	int id = pick_live(-1), st = 0;
	struct run *r = live_run(id);
	int64_t t = now_ms();
	pid_t got = 0, pid = r->pid;

	run_send(r, "quit");
	while ((got = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() - t < SOAK_QUIT_MS)
		nap(SOAK_POLL_MS);
	if (got != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	r->pid = 0;
	S.live[id] = -1;
	hold_id(id);
	snprintf(what, len, "quit %d (exited after %lld ms)", id, (long long)(now_ms() - t));
	if (got != pid)
		violation("peer %d still running %d ms after quit", id, SOAK_QUIT_MS);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		violation("peer %d did not exit 0 after quit (status %d)", id, st);
	return t;
}

/* An id no peer of ours uses and no foreign ring sends to, from a random start; or -1. */
static int
free_id(void)
{
	int start = rnd_below(SOAK_IDS);

	for (int k = 0; k < SOAK_IDS; k++) {
		int id = (start + k) % SOAK_IDS;

		if (S.live[id] < 0 && !tainted(id))
			return id;
	}
	return -1;
}

/* Start a new id through a random live peer (p2p join); the time of the start. */
static int64_t
ev_join(char *what, size_t len)
{
	int id, known = pick_live(-1);
	int64_t t;

	id = free_id();
	t = now_ms();
	run_startf(id, "join %d %d %s", id, known, SOAK_INTERVAL);
	snprintf(what, len, "join %d through %d", id, known);
	return t;
}

/* SIGSTOP a random peer for a while, then SIGCONT; the time of the SIGCONT. */
static int64_t
ev_pause(char *what, size_t len)
{
	int id = pick_live(-1), ms = SOAK_PAUSE_MIN_MS + rnd_below(SOAK_PAUSE_SPAN_MS);
	struct run *r = live_run(id);

	S.pause_ms = ms;
	kill(r->pid, SIGSTOP);
	nap(ms);	/* the fault itself, not a wait for something */
	kill(r->pid, SIGCONT);
	snprintf(what, len, "pause %d for %d ms (detection budget %d ms)", id, ms, SOAK_B_MS);
	return now_ms();
}

/* Wait for the quitting runs to exit 0 (each a violation otherwise); none is live after. */
static void
reap_quits(struct run **q, int n, int64_t t)
{
	for (int j = 0; j < n; j++) {
		pid_t pid = q[j]->pid, got;
		int st = 0;

		while ((got = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() - t < SOAK_QUIT_MS)
			nap(SOAK_POLL_MS);
		if (got != pid) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			violation("peer %d still running %d ms after quit", q[j]->id, SOAK_QUIT_MS);
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			violation("peer %d did not exit 0 after quit (status %d)", q[j]->id, st);
		}
		q[j]->pid = 0;
		S.live[q[j]->id] = -1;
		hold_id(q[j]->id);
	}
}

/* Choose up to k pairwise non-adjacent live peers, leaving at least 3 others; how many. */
static int
pick_apart(int k, struct run **out)
{
	int ids[SOAK_IDS], n = live_ids(ids), nv = 0;
	bool on[SOAK_IDS] = { false };

	for (int tries = 0; nv < k && n - nv > 3 && tries < 200; tries++) {
		int i = rnd_below(n);

		if (on[i] || on[(i + 1) % n] || on[(i + n - 1) % n])
			continue;
		on[i] = true;
		out[nv++] = live_run(ids[i]);
	}
	return nv;
}

/* Kills, quits and pauses of k non-adjacent peers at one moment; the time of the last. */
static int64_t
ev_burst(int k, char *what, size_t len)
{
	struct run *v[SOAK_IDS], *q[SOAK_IDS], *stopped[SOAK_IDS];
	int nv = pick_apart(k, v), nq = 0, ns = 0, ms = SOAK_PAUSE_MIN_MS +
	    rnd_below(SOAK_PAUSE_SPAN_MS);
	size_t used = (size_t)snprintf(what, len, "burst of %d:", nv);
	int64_t t;

	for (int j = 0; j < nv; j++) {
		int act = rnd_below(3), id = v[j]->id;

		used += (size_t)snprintf(what + used, used < len ? len - used : 0, " %s %d",
		    act == 0 ? "kill" : act == 1 ? "quit" : "pause", id);
		if (act == 2) {
			kill(v[j]->pid, SIGSTOP);
			stopped[ns++] = v[j];
		} else if (act == 1) {
			run_send(v[j], "quit");
			q[nq++] = v[j];
		} else {
			kill(v[j]->pid, SIGKILL);
			waitpid(v[j]->pid, NULL, 0);
			v[j]->pid = 0;
			S.live[id] = -1;
			hold_id(id);
		}
	}
	t = now_ms();
	reap_quits(q, nq, t);
	if (ns > 0) {
		if (now_ms() - t < ms)
			nap(ms - (int)(now_ms() - t));	/* the fault itself */
		for (int j = 0; j < ns; j++)
			kill(stopped[j]->pid, SIGCONT);
		snprintf(what + strlen(what), len - strlen(what), " (pauses %d ms)", ms);
		t = now_ms();
	}
	return t;
}

/* The next kind of event: removals only above 3 live peers and near the target size. */
static enum soak_kind
pick_kind(int n)
{
	int w[K_NKINDS] = { [K_KILL] = 20, [K_QUIT] = 20, [K_JOIN] = 35, [K_PAUSE] = 25 };

	/* The weights drift the size down slowly; the bounds keep it near the target. */
	int total = 0, x;

	if (n <= 3 || n < S.target - 2)
		w[K_KILL] = w[K_QUIT] = 0;
	if (n > S.target + 2)
		w[K_JOIN] = 0;
	for (int k = 0; k < K_NKINDS; k++)
		total += w[k];
	x = rnd_below(total);
	for (int k = 0; k < K_NKINDS; k++)
		if ((x -= w[k]) < 0)
			return (enum soak_kind)k;
	return K_PAUSE;
}

/* Start the initial ring of S.target random ids, each knowing its next two. */
static void
start_ring(void)
{
	int ids[SOAK_IDS], n = 0, chosen[SOAK_IDS] = { 0 };

	while (n < S.target) {
		int id = rnd_below(SOAK_IDS);

		if (!chosen[id] && !tainted(id)) {
			chosen[id] = 1;
			n++;
		}
	}
	n = 0;
	for (int id = 0; id < SOAK_IDS; id++)
		if (chosen[id])
			ids[n++] = id;
	/* All at once: a child holds copies of the held ports until it has run a little. */
	for (int i = 0; i < n; i++)
		release_id(ids[i]);
	for (int i = 0; i < n; i++)
		run_startf(ids[i], "init %d %d %d %s", ids[i], ids[(i + 1) % n], ids[(i + 2) % n],
		    SOAK_INTERVAL);
	say("started a ring of %d peers, base port %d", n, S.base);
}

/* Before an event: the ring must still be true; a relapse is waited out and counted. */
static void
check_still_true(int event)
{
	static char why[16384];
	bool self_seen = false;

	if (status_round(why, sizeof why, &self_seen))
		return;
	S.relapses++;
	say("RELAPSE before event %d: the ring drifted from the true ring with no event:%s",
	    event, why);
	converge(K_RELAPSE, now_ms(), SOAK_BOUND_MS + S.margin_ms);
}

/* One event of the given kind, then convergence and a routed request. */
static void
event(int e, enum soak_kind kind)
{
	int64_t t, took;
	int ids[SOAK_IDS];
	char what[128];

	if (S.burst > 1 && kind != K_JOIN && rnd_below(2) == 0)
		kind = K_BURST;
	if (kind == K_JOIN && free_id() < 0)
		kind = K_PAUSE;	/* every free id is tainted by a foreign ring */
	switch (kind) {
	case K_BURST:
		t = ev_burst(2 + rnd_below(S.burst - 1), what, sizeof what);
		break;
	case K_KILL:
		t = ev_kill(what, sizeof what);
		break;
	case K_QUIT:
		t = ev_quit(what, sizeof what);
		break;
	case K_JOIN:
		t = ev_join(what, sizeof what);
		break;
	default:
		t = ev_pause(what, sizeof what);
		kind = S.pause_ms < SOAK_B_MS ? K_PAUSE : K_STOP;
		break;
	}
	say("#%d %s", e, what);
	took = converge(kind, t, SOAK_BOUND_MS + S.margin_ms);
	if (took >= 0)
		say("  ring of %d true after %lld ms", live_ids(ids), (long long)took);
	check_request();
}

/* A sanitizer report on any peer's stderr is a violation. */
static void
check_sanitizers(void)
{
	char path[PATH_MAX + 32], *line = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < S.nruns; i++) {
		FILE *fp;

		snprintf(path, sizeof path, "%s/%s.err", S.dir, S.runs[i].name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (getline(&line, &cap, fp) > 0)
			if (strstr(line, "ERROR: AddressSanitizer") != NULL ||
			    strstr(line, "ERROR: LeakSanitizer") != NULL ||
			    strstr(line, "runtime error:") != NULL) {
				fclose(fp);
				fp = NULL;
				violation("sanitizer report on peer %s: %s", S.runs[i].name, line);
				break;
			}
		if (fp != NULL)
			fclose(fp);
	}
	free(line);
}

/* The summary: events, violations, time to converge per kind. */
static void
summary(int done)
{
	int ids[SOAK_IDS];

	printf("soak summary: seed %" PRIu64 ", events %d, live peers at the end %d\n", S.seed,
	    done, live_ids(ids));
	printf("soak summary: violations %d, relapses %d, requests %d (%d byte for byte)\n",
	    S.violations, S.relapses, S.requests, S.requests_ok);
	printf("soak summary: foreign neighbours seen %d times; ids refused as tainted:",
	    S.foreign);
	for (int id = 0; id < SOAK_IDS; id++)
		if (S.taint[id])
			printf(" %d", id);
	printf("\n");
	printf("soak summary: convergence bound %d ms (docs/DESIGN.md) + margin %d ms\n",
	    SOAK_BOUND_MS, S.margin_ms);
	printf("soak summary: %-8s %6s %9s %9s %11s\n", "kind", "count", "worst_ms", "mean_ms",
	    "over_bound");
	for (int k = 0; k < K_NKINDS; k++)
		if (S.st[k].n > 0)
			printf("soak summary: %-8s %6d %9lld %9lld %11d\n", kind_name[k], S.st[k].n,
			    (long long)S.st[k].worst, (long long)(S.st[k].sum / S.st[k].n),
			    S.st[k].over);
	fflush(stdout);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: soak [--seed N] [--events N] [--peers N] [--margin-ms N]\n"
	    "            [--burst K] [--keep-going] [--max-violations N] [--verbose]\n"
	    "            CDHT-BINARY\n"
	    "  --burst K: half the removals and pauses hit 2..K non-adjacent peers at once\n"
	    "  --verbose: print what differs from the true ring at each status round\n");
	exit(2);
}

/* Options into S; the program under test. */
static void
parse_args(int argc, char **argv)
{
	S.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	S.events = 25;
	S.target = 24;
	S.margin_ms = SOAK_MARGIN_MS;
	S.max_violations = 10;
	S.burst = 1;
	S.bin = getenv("CDHT_BIN");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--keep-going") == 0)
			S.keep_going = true;
		else if (strcmp(a, "--verbose") == 0)
			S.verbose = true;
		else if (strcmp(a, "--seed") == 0 && more)
			S.seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--events") == 0 && more)
			S.events = atoi(argv[++i]);
		else if (strcmp(a, "--peers") == 0 && more)
			S.target = atoi(argv[++i]);
		else if (strcmp(a, "--margin-ms") == 0 && more)
			S.margin_ms = atoi(argv[++i]);
		else if (strcmp(a, "--burst") == 0 && more)
			S.burst = atoi(argv[++i]);
		else if (strcmp(a, "--max-violations") == 0 && more)
			S.max_violations = atoi(argv[++i]);
		else if (a[0] != '-' && i == argc - 1)
			S.bin = a;
		else
			usage();
	}
	if (S.bin == NULL || S.events < 0 || S.target < 4 || S.target > 200 ||
	    S.margin_ms < 0 || S.max_violations < 1 || S.burst < 1 || S.burst > 8)
		usage();
	S.rng = S.seed;
}

int
main(int argc, char **argv)
{
	int e;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	S.t0 = now_ms();
	memset(S.live, -1, sizeof S.live);
	snprintf(S.dir, sizeof S.dir, "%s/cdht-soak.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(S.dir) == NULL) {
		S.dir[0] = '\0';
		perror("soak: mkdtemp");
		return 2;
	}
	atexit(at_exit);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	S.base = pick_base();
	memset(S.held_udp, -1, sizeof S.held_udp);
	memset(S.held_tcp, -1, sizeof S.held_tcp);
	for (int id = 0; id < SOAK_IDS; id++)
		hold_id(id);
	say("soak: seed %" PRIu64 ", %d peers, %d events, burst %d, %s (rerun: soak --seed %"
	    PRIu64 " --events %d --peers %d --burst %d CDHT)", S.seed, S.target, S.events,
	    S.burst, S.dir, S.seed, S.events, S.target, S.burst);
	start_ring();
	if (converge(K_START, now_ms(), SOAK_START_MS) >= 0)
		say("ring of %d true", S.target);
	for (e = 1; e <= S.events; e++) {
		int ids[SOAK_IDS];

		check_still_true(e);
		event(e, pick_kind(live_ids(ids)));
	}
	kill_all();	/* every peer has ended before its stderr is read */
	check_sanitizers();
	summary(S.events);
	return S.violations == 0 ? 0 : 1;
}
