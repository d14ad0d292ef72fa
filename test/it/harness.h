/* Scenario-test harness: starts real cdht peers on 127.0.0.1 and watches what they print. */
#ifndef CDHT_IT_HARNESS_H
#define CDHT_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>

/*
 * How a test uses it (one Check test per scenario, each with its own temp dir and base port):
 *
 *	static const int ids[] = { 1, 3, 4 };
 *	it_pick_base(ids, 3);
 *	struct it_peer *a = it_start(1, "1 3 4 400 0 --ping-interval 0.2");
 *	...
 *	it_wait_listening(a, 5000);
 *	it_send(a, "request %s", "2012");
 *	it_wait_seq(a, IT_OUT, 0, 5000, "line one", "line two", NULL);
 *
 * Every wait has a deadline in milliseconds (polling the peer's output file every 10 ms); a
 * missed deadline fails the test through it_fail(), which prints every peer's stdout and
 * stderr to stderr. Every peer is killed at teardown, on success or failure; the temp dir
 * is removed on success and kept (its path printed) on failure.
 *
 * Failure and cleanup under Check: in fork mode (the default) each test runs in a child
 * process, and a failed ck_assert ends it with _exit(1): no checked teardown, no atexit.
 * So: (1) it_fail() itself dumps the output, kills and reaps the peers and keeps the dir
 * before handing the failure to Check; (2) the temp dir is created by an unchecked fixture
 * in Check's runner process, which after the test looks at it again: still there and not
 * yet reported means the test died some other way (plain ck_assert, crash, Check's
 * timeout), and the runner prints the peers' output from the files; (3) Check kills the
 * test's process group after each test, peers get PR_SET_PDEATHSIG(SIGKILL), and the
 * runner is a child subreaper that reaps orphaned peers; (4) an atexit() handler covers
 * exit() during a test. In CK_FORK=no mode the teardown runs after a failure too but can
 * only tell that the test failed if the failure came through it_fail() (IT_ASSERT and all
 * it_* checks do); set CDHT_IT_KEEP=1 to always keep the temp dir and dump the output.
 *
 * Running: ctest -L scenario (each test is its own ctest entry, it.<group>.<name>), or a
 * binary directly: check_it_ring PATH-TO-CDHT [with CK_RUN_CASE=test_ring_... for one];
 * check_it_ring --list lists the tests. A sanitizer report on a peer's stderr fails the test.
 */

/* Deadline for waits that only a real bug would miss, in ms. */
#define IT_DEADLINE_MS		5000	/* ms */
/* A test's total budget: a wait never runs past it (Check's own timeout is larger). */
#define IT_TEST_BUDGET_MS	45000	/* ms */
/* Check's per-test timeout, in seconds; ctest's TIMEOUT is larger still. */
#define IT_CHECK_TIMEOUT_S	55	/* s */

enum it_stream { IT_OUT, IT_ERR };
enum it_stdin { IT_STDIN_FIFO, IT_STDIN_NULL, IT_STDIN_CLOSED };

struct it_peer;

/*
 * One Check test, registered where it is defined: IT_CASE(test_name) { ... } END_TEST. The
 * name is also the Check test case name and (without test_<group>_) the ctest entry suffix,
 * which test/it/CMakeLists.txt reads from the IT_CASE(...) lines. IT_CASE_IN(set, name)
 * registers a test that only it_main_set(..., set) runs (the harness self-test's demos).
 */
struct it_test {
	const char	*name;
	const TTest	*test;
	const char	*set;	/* NULL for IT_CASE */
	int		 line;
	struct it_test	*next;
};

#define IT_CASE_IN(set, name)							\
static void name##_fn(int _i CK_ATTRIBUTE_UNUSED);				\
static const TTest name##_ttest = { #name, name##_fn, __FILE__, __LINE__ };	\
static struct it_test name##_it = { #name, &name##_ttest, set, __LINE__, NULL };	\
static void name##_reg(void) __attribute__((constructor));			\
static void name##_reg(void) { it_register(&name##_it); }			\
static void name##_fn(int _i CK_ATTRIBUTE_UNUSED)
#define IT_CASE(name)	IT_CASE_IN(NULL, name)

/* A test defined with START_TEST would never run: refuse it at compile time. */
#undef START_TEST
#define START_TEST(name)	_Static_assert(0, "define scenario tests with IT_CASE(name)")

/* Add one test to the program's list; called by the constructor IT_CASE defines. */
void		 it_register(struct it_test *t);

/*
 * The main of every scenario binary: argv[1] is the program under test (or $CDHT_BIN).
 * Builds one Check test case per IT_CASE test, in source order, each with the harness
 * fixture, runs them (only $CK_RUN_CASE if set, failing when it names no test), returns
 * the failure count. A test name registered twice is an error. --list lists the tests.
 */
int		 it_main(int argc, char **argv, const char *suite);
/* it_main on the tests registered with IT_CASE_IN(set, ...) instead. */
int		 it_main_set(int argc, char **argv, const char *suite, const char *set);

/* Fixture, installed by it_main; exposed for the harness self-test. */
void		 it_setup(void);
void		 it_teardown(void);

/* Fail the test now: message, every peer's output to stderr, then Check's abort. */
void		 it_fail(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2), noreturn));
/* Replace Check's abort as the last step of it_fail (self-test only); must not return. */
void		 it_set_fail_hook(void (*hook)(const char *msg));

#define IT_ASSERT(cond, ...) do {						\
	if (!(cond))								\
		it_fail("%s:%d: assertion '%s' failed: %s", __FILE__, __LINE__,	\
		    #cond, it_s(__VA_ARGS__));					\
} while (0)

/* printf into one of a ring of static buffers (valid for the next 31 calls). */
const char	*it_s(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program under test, the temp dir, the base port. */
const char	*it_binary(void);
const char	*it_dir(void);
int		 it_base(void);

/*
 * Pick a random base port in 20000..59000 such that base+id is free on 127.0.0.1 for UDP
 * and TCP for every id given. A test that starts a peer without calling this gets a base
 * with all 256 ports free.
 */
void		 it_pick_base(const int *ids, size_t n);
/* Is 127.0.0.1:port free for both UDP and TCP right now? */
bool		 it_port_free(int port);
/* Occupy 127.0.0.1:port (udp: a bound datagram socket; tcp: a listening one); the fd. */
int		 it_hold_port(int port, bool tcp);

/* The peer directory for id (<tmp>/<id>), created on demand. */
const char	*it_peer_dir(int id);
/* Write size deterministic pseudo-random bytes (from seed) to <peer dir of id>/<name>. */
const char	*it_put_file(int id, const char *name, size_t size, uint64_t seed);

/*
 * Start the program with "--base-port B --dir <tmp>/<name>" and then args (split on
 * blanks, printf-style). The peer's name is its id, or "<id>-<n>" for later starts of the
 * same id; its stdout/stderr go to <tmp>/<name>.out/.err.
 */
struct it_peer	*it_start_stdin(int id, enum it_stdin in, const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
/* The usual start: stdin a FIFO the test writes with it_send. */
#define it_start(id, ...)	it_start_stdin((id), IT_STDIN_FIFO, __VA_ARGS__)
/* Start with an exact argv (after the prepended options); argv ends with NULL. */
struct it_peer	*it_startv(int id, enum it_stdin in, char *const *argv);

int		 it_id(const struct it_peer *p);
const char	*it_name(const struct it_peer *p);
pid_t		 it_pid(const struct it_peer *p);

/* Write one command line (newline added) to the peer's stdin FIFO. */
void		 it_send(struct it_peer *p, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));

/* Send a signal (SIGKILL, SIGINT, ...) to a running peer. */
void		 it_signal(struct it_peer *p, int sig);
/* Is the peer still running (not exited)? */
bool		 it_alive(struct it_peer *p);
/* Wait up to ms for the peer to end; its wait status. Fails the test on timeout. */
int		 it_wait_exit(struct it_peer *p, int ms);
/* Wait for exit and require WIFEXITED with this code. */
void		 it_expect_exit(struct it_peer *p, int code, int ms);
/* Fail unless the peer is still running. */
void		 it_expect_alive(struct it_peer *p);

/* Wait until the peer has UDP and TCP (listening) sockets on 127.0.0.1:base+id. */
void		 it_wait_listening(struct it_peer *p, int ms);
/* it_wait_listening for each of n peers. */
void		 it_wait_all_listening(struct it_peer *const *ps, size_t n, int ms);

/*
 * Output. A mark is a byte offset just past the last complete line seen so far; lines
 * "after a mark" are the complete lines that start at or after it. Mark 0: everything.
 */
size_t		 it_mark(struct it_peer *p, enum it_stream s);
/* Complete lines after mark (NULL-terminated vector, free with it_free_lines). */
char		**it_lines(struct it_peer *p, enum it_stream s, size_t mark, size_t *n);
void		 it_free_lines(char **lines);
/* How many lines after mark are exactly line. */
size_t		 it_count(struct it_peer *p, enum it_stream s, size_t mark, const char *line);
/* Wait until line appears at least count times after mark. */
void		 it_wait_line(struct it_peer *p, enum it_stream s, size_t mark, size_t count,
		     const char *line, int ms);
/* Wait until line appears after mark; the mark just past its first such occurrence. */
size_t		 it_wait_find(struct it_peer *p, enum it_stream s, size_t mark, const char *line,
		     int ms);
/* Wait until the given lines (NULL-terminated) appear consecutively, in order, after mark. */
void		 it_wait_seq(struct it_peer *p, enum it_stream s, size_t mark, int ms, ...)
		     __attribute__((sentinel));
/* Wait until at least n complete lines exist after mark. */
void		 it_wait_nlines(struct it_peer *p, enum it_stream s, size_t mark, size_t n,
		     int ms);
/* Fail unless every line after mark is one of the allowed (NULL-terminated). */
void		 it_expect_only(struct it_peer *p, enum it_stream s, size_t mark, ...)
		     __attribute__((sentinel));
/* Same with a vector of n allowed lines. */
void		 it_expect_only_v(struct it_peer *p, enum it_stream s, size_t mark,
		     const char *const *allowed, size_t n);
/* Fail unless the lines after mark are exactly these (NULL-terminated), in order. */
void		 it_expect_exactly(struct it_peer *p, enum it_stream s, size_t mark, ...)
		     __attribute__((sentinel));
/* Fail unless there are no lines (and no partial line) after mark. */
void		 it_expect_empty(struct it_peer *p, enum it_stream s, size_t mark);
/* The first complete line of the stream, or NULL (static storage). */
const char	*it_first_line(struct it_peer *p, enum it_stream s);
/* Does the whole stream (complete lines or not) contain needle? */
bool		 it_contains(struct it_peer *p, enum it_stream s, const char *needle);

/* Poll cond(arg) every 10 ms until true; fail with what after ms. */
void		 it_wait_until(bool (*cond)(void *arg), void *arg, int ms, const char *what);

/* Files. */
bool		 it_file_exists(const char *path);
/* 0 if equal, else fills why with the first difference. */
int		 it_files_differ(const char *a, const char *b, char *why, size_t whylen);
void		 it_expect_files_equal(const char *got, const char *want);
/* Wait until got exists and equals want. */
void		 it_wait_file_equal(const char *got, const char *want, int ms);
/* Fail unless every line of path matches the POSIX ERE; the line count. */
size_t		 it_expect_file_lines_match(const char *path, const char *ere);

/* ---- rings (SPEC §1, §4) */

enum it_form { IT_CLASSIC, IT_P2P };

/* The rings of SPEC's examples: the classic ring of 8, the p2p ring of 7; a ring of 3. */
extern const int it_classic_ids[8], it_p2p_ids[7], it_small_ids[3];
#define IT_NCLASSIC	(sizeof it_classic_ids / sizeof it_classic_ids[0])
#define IT_NP2P		(sizeof it_p2p_ids / sizeof it_p2p_ids[0])
#define IT_NSMALL	(sizeof it_small_ids / sizeof it_small_ids[0])

/*
 * Start the peer ids[i] of a ring of n ids (ascending), successors the next two ids
 * (wrapping): classic "<id> <s1> <s2> <tail>", p2p "init <id> <s1> <s2> <tail>".
 */
struct it_peer	*it_ring_peer(const int *ids, size_t n, size_t i, enum it_form form,
		     enum it_stdin in, const char *tail);
/* Start the whole ring (picking a base for ids if none yet) and wait until all listen. */
void		 it_ring(struct it_peer **out, const int *ids, size_t n, enum it_form form,
		     const char *tail);
/* Index of id in ids, or fail. */
size_t		 it_index(const int *ids, size_t n, int id);
/* Successor k (1 or 2) and predecessor k of ids[i]. */
int		 it_succ(const int *ids, size_t n, size_t i, int k);
int		 it_pred(const int *ids, size_t n, size_t i, int k);

/* The console lines of SPEC §4 that tests need most (static ring of buffers, via it_s). */
const char	*it_ping_req_line(enum it_form form, int from);
const char	*it_ping_rsp_line(enum it_form form, int from);
const char	*it_ping_sent_line(int s1, int s2);	/* p2p only */
const char	*it_succ_line(enum it_form form, int which, int s);	/* after a change */
/* Classic dialect: the owner's "File F is here." and "A response message, destined for peer
 * R, has been sent.", the requester's "Received a response message from peer O, ...". */
const char	*it_here_line(const char *f);
const char	*it_rsp_sent_line(int r);
const char	*it_rsp_rcvd_line(int o, const char *f);
/* Wait for owner's end of the one transfer of f to req and for req's copy to equal want;
 * then fail unless both printed exactly the classic lines of one transfer. */
void		 it_expect_classic_copy(struct it_peer *req, struct it_peer *owner,
		     const char *f, const char *want);
/* <dir of peer id>/name, in a ring of 64 buffers that outlives it_s's. */
const char	*it_path_in(int id, const char *name);

/* Release a port held with it_hold_port. */
void		 it_release_port(int fd);

/* Owner of key among ids: the first id at or after key, wrapping (the core's keys_owner). */
int		 it_owner(const int *ids, size_t n, int key);

/* Monotonic milliseconds. */
int64_t		 it_now_ms(void);

#endif
