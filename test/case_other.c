/* Self-test of test/case.h: a test in a second file joins the same list (see check_case.c). */
#include "case.h"

CASE("other", test_case_other_file)
{
	ck_assert_int_eq(_i, 0);
}
END_TEST
