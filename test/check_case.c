/* Self-test of test/case.h: tests of two files in one list, in source order, loops, refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

#define LOOPS	3	/* runs of the loop test */

CASE("here", test_case_plain)
{
	ck_assert_int_eq(_i, 0);
}
END_TEST

CASE_LOOP("loop", test_case_loop, LOOPS)
{
	ck_assert_int_ge(_i, 0);
	ck_assert_int_lt(_i, LOOPS);
}
END_TEST

/* Same test case as the first, after another one: still built as one test case. */
CASE("here", test_case_plain_again)
{
	ck_assert_int_eq(_i, 0);
}
END_TEST

/* The list must hold this file's three tests in source order, then case_other.c's. */
static int
list_as_expected(void)
{
	static const char *const want[] = {
		"test_case_other_file", "test_case_plain", "test_case_loop",
		"test_case_plain_again",
	};
	struct case_entry	**all;
	size_t			  nwant = sizeof want / sizeof want[0], n, i = 0;

	if ((all = case_sorted(&n)) == NULL)
		return 0;
	while (i < n && n == nwant && strcmp(all[i]->test->name, want[i]) == 0)
		i++;
	if (i != nwant)
		fprintf(stderr, "case: %zu tests registered, test %zu not as expected\n", n, i);
	free(all);
	return i == nwant;
}

/* Check the list, then run it; CASE_STRAY=1 passes an option for no test case (refused). */
int
main(void)
{
	if (!list_as_expected())
		return EXIT_FAILURE;
	if (getenv("CASE_STRAY") != NULL)
		return case_main("case", CASE_OPTS({ "no-such-tcase", 1, NULL, NULL }));
	return case_main("case", CASE_OPTS({ "loop", 10, NULL, NULL }));
}
