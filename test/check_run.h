/* The main of a unit-test binary, in one place: one suite, one test case, a table of tests. */
#ifndef CDHT_CHECK_RUN_H
#define CDHT_CHECK_RUN_H

#include <check.h>
#include <stddef.h>
#include <stdlib.h>

/* Run the n tests as suite/tcase; EXIT_SUCCESS if none failed. */
static inline int
check_run(const char *suite, const char *tcase, const TTest *const *tests, size_t n,
    void (*setup)(void))
{
	Suite	*s = suite_create(suite);
	TCase	*tc = tcase_create(tcase);
	SRunner	*sr;
	int	 failed;

	if (setup != NULL)
		tcase_add_checked_fixture(tc, setup, NULL);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define CHECK_RUN(suite, tcase, setup, ...) do {					\
	const TTest *const check_tests_[] = { __VA_ARGS__ };				\
										\
	return check_run(suite, tcase, check_tests_,					\
	    sizeof check_tests_ / sizeof check_tests_[0], setup);			\
} while (0)

#endif
