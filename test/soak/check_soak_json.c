/* Unit tests of the soak's strict JSON parser (soak_json.c): what it accepts and refuses. */
#include "../case.h"
#include "soak_json.h"

#include <stdlib.h>

/* The example line of docs/STATUS.md, shortened to the fields the soak reads and a few more. */
static const char status_line[] =
    "{\"cdht\":1,\"id\":8,\"contact\":\"8@127.0.0.1:50008\",\"state\":\"up\","
    "\"config\":{\"drop\":0.1,\"timeout\":\"1\",\"replicas\":null},"
    "\"successors\":[{\"id\":10,\"last_answer_ms\":120},{\"id\":12,\"last_answer_ms\":null}],"
    "\"third_successor\":null,"
    "\"predecessors\":[{\"id\":5,\"last_seen_ms\":300},null],"
    "\"files\":[],\"counters\":{\"pings_sent\":40,\"misses\":1e0}}";

CASE("json", test_json_reads_status_fields)
{
	struct sj *d = sj_parse(status_line);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(sj_int(sj_get(d, "id"), -1), 8);
	ck_assert_str_eq(sj_get(d, "state")->str, "up");
	ck_assert_int_eq(sj_int(sj_get(sj_at(sj_get(d, "successors"), 1), "id"), -1), 12);
	ck_assert_int_eq(sj_get(sj_at(sj_get(d, "successors"), 1), "last_answer_ms")->type,
	    SJ_NULL);
	ck_assert_int_eq(sj_at(sj_get(d, "predecessors"), 1)->type, SJ_NULL);
	ck_assert_ptr_null(sj_at(sj_get(d, "predecessors"), 2));
	ck_assert_ptr_null(sj_get(d, "nothing"));
	sj_free(d);
}
END_TEST

CASE("json", test_json_decodes_escapes)
{
	struct sj *d = sj_parse(" [\"a\\\"b\\\\c\\u0041\\u00e9\\n\"] ");

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(sj_at(d, 0)->str, "a\"b\\cA?\n");
	sj_free(d);
}
END_TEST

CASE("json", test_json_refuses_what_is_not_json)
{
	static const char *const bad[] = {
		"", "{", "{\"id\":8", "{\"id\":8}}", "{\"id\":8,}", "[1,]", "{id:8}", "[01]",
		"[1.]", "[.5]", "[1e]", "[-]", "[tru]", "[nul]", "[\"a]", "[\"\\x\"]",
		"[\"\\u12G4\"]", "[\"tab\there\"]", "{\"a\" 1}", "[1 2]", "{\"cdht\":1} x",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sj *d = sj_parse(bad[i]);

		ck_assert_msg(d == NULL, "accepted '%s'", bad[i]);
	}
}
END_TEST

CASE("json", test_json_int_only_for_whole_numbers)
{
	struct sj *d = sj_parse("[3, 3.5, \"3\", -2e2]");

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(sj_int(sj_at(d, 0), -1), 3);
	ck_assert_int_eq(sj_int(sj_at(d, 1), -1), -1);
	ck_assert_int_eq(sj_int(sj_at(d, 2), -1), -1);
	ck_assert_int_eq(sj_int(sj_at(d, 3), -1), -200);
	sj_free(d);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("soak_json", NULL);
}
