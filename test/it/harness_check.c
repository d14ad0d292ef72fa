/* Scenario-test harness: the glue with Check (fixtures, failure, the registered tests). */
#include "harness_int.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The running test; see harness_int.h. */
struct it_run	it_run = { .base = -1 };

/* The test's temp dir as made by Check's runner (unchecked fixture), before the fork. */
static struct {
	char	dir[PATH_MAX];
	pid_t	owner;		/* the runner */
	bool	claimed;	/* a test's setup took it (a fork of that test makes its own) */
} it_case;

#define IT_REPORTED	".reported"	/* file in the temp dir: failure already printed */

static const char *it_bin;
static void (*it_fail_hook)(const char *msg);

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
it_free_all(void)
{
	for (size_t i = 0; i < it_run.npeers; i++) {
		struct it_peer *p = it_run.peers[i];

		if (p->fifo >= 0)
			close(p->fifo);
		free(p->out_path);
		free(p->err_path);
		free(p->dir);
		free(p->cmdline);
		free(p);
	}
	it_run.npeers = 0;
	for (size_t i = 0; i < it_run.nheld; i++)
		close(it_run.held[i]);
	it_run.nheld = 0;
}

/* Mark the test's directory as reported, so Check's runner does not report it again. */
static void
it_mark_reported(void)
{
	FILE *f = fopen(it_s("%s/%s", it_run.dir, IT_REPORTED), "w");

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

	if (!it_run.active || it_run.owner != getpid())
		return;
	if (failed || (keep != NULL && *keep != '\0' && strcmp(keep, "0") != 0))
		it_dump();
	it_kill_all();
	if (it_run.dumped) {
		it_mark_reported();
		fprintf(stderr, "cdht-it: kept %s\n", it_run.dir);
	} else {
		nftw(it_run.dir, it_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	it_free_all();
	it_run.active = false;
	fflush(stderr);
}

/* Any exit() while a test is active that did not go through teardown is a failure. */
static void
it_atexit(void)
{
	if (it_run.active && it_run.owner == getpid()) {
		if (!it_run.failed)
			fprintf(stderr, "cdht-it: test ended without passing (exit while the test "
			    "was running)\n");
		it_finish(true);
	}
}

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
	if (!it_run.failed) {
		it_run.failed = true;
		/* Check's fork mode ends the test with _exit(1): no teardown follows. */
		it_finish(true);
	}
	if (it_fail_hook != NULL)
		it_fail_hook(msg);
	ck_abort_msg("%s", msg);
	abort();	/* not reached: ck_abort_msg exits or longjmps */
}

/* Make a new cdht-it.XXXXXX under $TMPDIR (or /tmp), its path in dir; false (said) if not. */
static bool
it_mkdtemp(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, len, "%s/cdht-it.XXXXXX", tmp);
	if (mkdtemp(dir) != NULL)
		return true;
	fprintf(stderr, "cdht-it: mkdtemp %s: %s\n", dir, strerror(errno));
	return false;
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
	if (!it_mkdtemp(it_case.dir, sizeof it_case.dir))
		it_case.dir[0] = '\0';
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
	snprintf(it_run.dir, sizeof it_run.dir, "%s", it_case.dir);
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
	memset(&it_run, 0, sizeof it_run);
	it_run.base = -1;
	it_run.owner = getpid();
	if (it_case.dir[0] != '\0' && !it_case.claimed &&
	    (it_case.owner == getppid() || it_case.owner == getpid())) {
		it_case.claimed = true;
		snprintf(it_run.dir, sizeof it_run.dir, "%s", it_case.dir);
	} else if (!it_mkdtemp(it_run.dir, sizeof it_run.dir)) {
		ck_abort_msg("mkdtemp failed");
	}
	it_run.budget_end = it_now_ms() + IT_TEST_BUDGET_MS;
	it_run.active = true;
	signal(SIGPIPE, SIG_IGN);
}

void
it_teardown(void)
{
	/* A sanitizer report in any peer fails the test, even if every line came out right. */
	for (size_t i = 0; it_run.active && !it_run.failed && i < it_run.npeers; i++) {
		struct it_peer *p = it_run.peers[i];

		if (it_contains(p, IT_ERR, "Sanitizer") || it_contains(p, IT_ERR, "runtime error:"))
			it_fail("peer %s: a sanitizer report on stderr", p->name);
	}
	it_finish(it_run.failed);
}

const char *
it_binary(void)
{
	return it_bin;
}

const char *
it_dir(void)
{
	return it_run.dir;
}

/* The registered tests; see harness.h. */
static struct it_test *it_tests;

void
it_register(struct it_test *t)
{
	t->next = it_tests;
	it_tests = t;
}

/* Order two tests by their place in the source. */
static int
it_test_cmp(const void *a, const void *b)
{
	const struct it_test *x = *(const struct it_test *const *)a;
	const struct it_test *y = *(const struct it_test *const *)b;
	int c = strcmp(x->test->file, y->test->file);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* The tests of set (NULL: IT_CASE's) in source order, malloc'd, in *np; NULL on an error. */
static struct it_test **
it_tests_of(const char *set, size_t *np)
{
	struct it_test	**all;
	size_t		  n = 0;

	for (struct it_test *t = it_tests; t != NULL; t = t->next)
		n++;
	if ((all = malloc((n + 1) * sizeof *all)) == NULL)
		return NULL;
	n = 0;
	for (struct it_test *t = it_tests; t != NULL; t = t->next)
		if (set == NULL ? t->set == NULL : t->set != NULL && strcmp(t->set, set) == 0)
			all[n++] = t;
	qsort(all, n, sizeof *all, it_test_cmp);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(all[i]->name, all[j]->name) == 0) {
				fprintf(stderr, "cdht-it: test %s registered twice "
				    "(lines %d and %d)\n", all[i]->name, all[i]->line, all[j]->line);
				free(all);
				return NULL;
			}
	*np = n;
	return all;
}

/* One Check test case per test, each with the harness fixtures. */
static Suite *
it_suite(const char *suite_name, struct it_test **tests, size_t ntests)
{
	Suite *suite = suite_create(suite_name);

	for (size_t i = 0; i < ntests; i++) {
		TCase *tc = tcase_create(tests[i]->name);

		tcase_add_unchecked_fixture(tc, it_case_setup, it_case_teardown);
		tcase_add_checked_fixture(tc, it_setup, it_teardown);
		tcase_set_timeout(tc, IT_CHECK_TIMEOUT_S);
		tcase_add_test(tc, tests[i]->test);
		suite_add_tcase(suite, tc);
	}
	return suite;
}

int
it_main(int argc, char **argv, const char *suite_name)
{
	return it_main_set(argc, argv, suite_name, NULL);
}

int
it_main_set(int argc, char **argv, const char *suite_name, const char *set)
{
	const char	 *only = getenv("CK_RUN_CASE");
	struct it_test	**tests;
	size_t		  ntests;
	SRunner		 *sr;
	int		  failed, run;
	bool		  found = false;

	if ((tests = it_tests_of(set, &ntests)) == NULL)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < ntests; i++)
			printf("%s\n", tests[i]->name);
		free(tests);
		return 0;
	}
	it_bin = argc >= 2 ? argv[1] : getenv("CDHT_BIN");
	if (it_bin == NULL || access(it_bin, X_OK) != 0) {
		fprintf(stderr, "usage: %s PATH-TO-CDHT (or set CDHT_BIN); --list lists tests\n",
		    argv[0]);
		free(tests);
		return 2;
	}
	if (only != NULL && *only != '\0') {
		for (size_t i = 0; i < ntests; i++)
			found = found || strcmp(tests[i]->name, only) == 0;
		if (!found) {
			fprintf(stderr, "%s: CK_RUN_CASE=%s names no test\n", argv[0], only);
			free(tests);
			return 1;
		}
	}
	/* Peers orphaned by a dying test come to us, to be reaped (see it_case_teardown). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sr = srunner_create(it_suite(suite_name, tests, ntests));
	free(tests);
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
