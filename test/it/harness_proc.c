/* Scenario-test harness: starting peers with their stdin FIFOs, feeding, signalling and reaping them. */
#include "harness_int.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reap without blocking; true if the peer has ended. */
bool
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

const char *
it_status_str(int st)
{
	if (WIFEXITED(st))
		return it_s("exited with status %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return it_s("killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	return it_s("wait status 0x%x", st);
}

void
it_kill_all(void)
{
	for (size_t i = 0; i < it_run.npeers; i++) {
		struct it_peer *p = it_run.peers[i];

		if (!it_reap(p)) {
			kill(p->pid, SIGKILL);
			if (waitpid(p->pid, &p->status, 0) == p->pid)
				p->exited = true;
		}
	}
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

	if (!it_run.active)
		it_fail("it_start outside a test");
	if (it_run.npeers >= IT_MAX_PEERS)
		it_fail("too many peers");
	for (size_t i = 0; i < it_run.npeers; i++)
		if (it_run.peers[i]->id == id)
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
	p->dir = it_xstrdup(same == 0 ? it_peer_dir(id) : it_s("%s/%s", it_run.dir, p->name));
	if (mkdir(p->dir, 0755) != 0 && errno != EEXIST)
		it_fail("mkdir %s: %s", p->dir, strerror(errno));
	p->out_path = it_xstrdup(it_s("%s/%s.out", it_run.dir, p->name));
	p->err_path = it_xstrdup(it_s("%s/%s.err", it_run.dir, p->name));
	if ((size_t)snprintf(fifo, sizeof fifo, "%s/%s.in", it_run.dir, p->name) >= sizeof fifo)
		it_fail("path too long");

	snprintf(base, sizeof base, "%d", it_base());
	argv[k++] = (char *)it_binary();
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
		FILE *f = fopen(it_s("%s/%s.cmd", it_run.dir, p->name), "w");

		if (f == NULL)
			it_fail("create %s/%s.cmd: %s", it_run.dir, p->name, strerror(errno));
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
	it_run.peers[it_run.npeers++] = p;
	return p;
}

/* Start a peer with a printf-formatted argument line split on blanks (it_start: a FIFO). */
struct it_peer *
it_start_stdin(int id, enum it_stdin in, const char *fmt, ...)
{
	char		*store, *argv[IT_MAX_ARGS + 1], *save = NULL, *tok;
	size_t		 k = 0;
	struct it_peer	*p;
	va_list		 ap;
	int		 len;

	va_start(ap, fmt);
	len = vasprintf(&store, fmt, ap);
	va_end(ap);
	if (len < 0)
		abort();
	for (tok = strtok_r(store, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (k >= IT_MAX_ARGS)
			it_fail("too many arguments");
		argv[k++] = tok;
	}
	argv[k] = NULL;
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
