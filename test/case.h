/* Check tests registered where they are defined (CASE ... END_TEST), run by case_main. */
#ifndef CDHT_CASE_H
#define CDHT_CASE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A test file defines each test with CASE("tcase", test_name) { ... } END_TEST (or
 * CASE_LOOP("tcase", test_name, n) for a loop test run with _i = 0 .. n-1) and ends with
 *	int main(void) { return case_main("suite", NULL); }
 * or case_main("suite", CASE_OPTS({ "tcase", timeout_s, setup, teardown })) for test
 * cases that need a timeout or a checked fixture. A constructor registers each test as
 * the program starts, so there is no list to forget a test in. case_main builds the test
 * cases in order of first appearance in the source, each with its tests in source order,
 * and refuses a test name registered twice.
 */

/* One registered test, filled in by CASE or CASE_LOOP and linked by its constructor. */
struct case_entry {
	const char		*tcase;
	const TTest		*test;
	int			 n;	/* loop count; CASE_PLAIN for a plain test */
	int			 line;
	struct case_entry	*next;
};

/* Options of one test case for case_main; a table of them ends with { NULL }. */
struct case_tc {
	const char	*name;
	double		 timeout;	/* s; 0 keeps Check's default */
	SFun		 setup;		/* checked fixture (run in the test's process), or NULL */
	SFun		 teardown;	/* or NULL */
};

#define CASE_PLAIN	(-1)

/* The options table for case_main: CASE_OPTS({ "tcase", timeout, setup, teardown }, ...). */
#define CASE_OPTS(...)	((const struct case_tc[]){ __VA_ARGS__, { NULL, 0, NULL, NULL } })

/* Define a loop test in test case tc (a string) that Check runs n times. */
#define CASE_LOOP(tc, name, count)						\
static void name##_fn(int _i CK_ATTRIBUTE_UNUSED);				\
static const TTest name##_ttest = { #name, name##_fn, __FILE__, __LINE__ };	\
static struct case_entry name##_case = { tc, &name##_ttest, (count), __LINE__, NULL }; \
static void name##_reg(void) __attribute__((constructor));			\
static void name##_reg(void) { case_register(&name##_case); }			\
static void name##_fn(int _i CK_ATTRIBUTE_UNUSED)

/* Define a test in test case tc (a string); the body follows, then END_TEST. */
#define CASE(tc, name)	CASE_LOOP(tc, name, CASE_PLAIN)

/* A test defined with START_TEST would never run: refuse it at compile time. */
#undef START_TEST
#define START_TEST(name)	_Static_assert(0, "define tests with CASE(tcase, name), case.h")

/*
 * The head of the list of registered tests: one per program, shared by every file that
 * includes this header (a weak definition, merged by the linker).
 */
extern struct case_entry *case_head;
__attribute__((weak)) struct case_entry *case_head;

/* Add one test to the list; called by the constructor CASE defines. */
static inline void
case_register(struct case_entry *e)
{
	e->next = case_head;
	case_head = e;
}

/* Order two registered tests by their place in the source. */
static inline int
case_cmp(const void *a, const void *b)
{
	const struct case_entry *x = *(const struct case_entry *const *)a;
	const struct case_entry *y = *(const struct case_entry *const *)b;
	int c = strcmp(x->test->file, y->test->file);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* The registered tests in source order (a malloc'd array of *np), or NULL on an error. */
static inline struct case_entry **
case_sorted(size_t *np)
{
	struct case_entry	**all;
	size_t			  n = 0;

	for (struct case_entry *e = case_head; e != NULL; e = e->next)
		n++;
	if (n == 0 || (all = malloc(n * sizeof *all)) == NULL) {
		fprintf(stderr, "case: %s\n", n == 0 ? "no test registered" : "out of memory");
		return NULL;
	}
	n = 0;
	for (struct case_entry *e = case_head; e != NULL; e = e->next)
		all[n++] = e;
	qsort(all, n, sizeof *all, case_cmp);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(all[i]->test->name, all[j]->test->name) == 0) {
				fprintf(stderr, "case: test %s registered twice (%s:%d, %s:%d)\n",
				    all[i]->test->name, all[i]->test->file, all[i]->line,
				    all[j]->test->file, all[j]->line);
				free(all);
				return NULL;
			}
	*np = n;
	return all;
}

/* The options of test case name in opts, or NULL; every option must name a test case. */
static inline const struct case_tc *
case_opts(const struct case_tc *opts, const char *name)
{
	for (const struct case_tc *o = opts; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* True if some option names a test case that has no test (a typo would drop a fixture). */
static inline int
case_opts_stray(const struct case_tc *opts, struct case_entry **all, size_t n)
{
	for (const struct case_tc *o = opts; o != NULL && o->name != NULL; o++) {
		size_t i = 0;

		while (i < n && strcmp(all[i]->tcase, o->name) != 0)
			i++;
		if (i == n) {
			fprintf(stderr, "case: options for test case %s, which has no test\n",
			    o->name);
			return 1;
		}
	}
	return 0;
}

/* Build the suite: one test case per name, in order of first appearance, options applied. */
static inline Suite *
case_suite(const char *suite, const struct case_tc *opts, struct case_entry **all, size_t n)
{
	Suite *s = suite_create(suite);

	for (size_t i = 0; i < n; i++) {
		const struct case_tc	*o;
		TCase			*tc;
		size_t			 j = 0;

		while (j < i && strcmp(all[j]->tcase, all[i]->tcase) != 0)
			j++;
		if (j < i)
			continue;	/* this test case is built already */
		tc = tcase_create(all[i]->tcase);
		if ((o = case_opts(opts, all[i]->tcase)) != NULL) {
			if (o->timeout > 0)
				tcase_set_timeout(tc, o->timeout);
			if (o->setup != NULL || o->teardown != NULL)
				tcase_add_checked_fixture(tc, o->setup, o->teardown);
		}
		for (j = i; j < n; j++) {
			if (strcmp(all[j]->tcase, all[i]->tcase) != 0)
				continue;
			if (all[j]->n == CASE_PLAIN)
				tcase_add_test(tc, all[j]->test);
			else
				tcase_add_loop_test(tc, all[j]->test, 0, all[j]->n);
		}
		suite_add_tcase(s, tc);
	}
	return s;
}

/*
 * The main of a unit-test binary: run every registered test as suite (options per test
 * case from opts, a table ending with { NULL }, or NULL); EXIT_SUCCESS if none failed.
 * CK_RUN_CASE, CK_RUN_SUITE, CK_FORK and the timeouts' variables work as Check documents.
 */
static inline int
case_main(const char *suite, const struct case_tc *opts)
{
	struct case_entry	**all;
	SRunner			 *sr;
	size_t			  n;
	int			  failed;

	if ((all = case_sorted(&n)) == NULL)
		return EXIT_FAILURE;
	if (case_opts_stray(opts, all, n)) {
		free(all);
		return EXIT_FAILURE;
	}
	sr = srunner_create(case_suite(suite, opts, all, n));
	free(all);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
