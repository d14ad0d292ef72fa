/* Self-test of test/case.h: a test name check_case.c's list has already; case_main refuses it. */
#include "case.h"

CASE("other", test_case_plain)
{
	ck_assert_int_eq(_i, 0);
}
END_TEST
