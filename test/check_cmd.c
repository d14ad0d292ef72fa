/* Unit tests of the stdin command parser: every keyword, every mistake, the suggestions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/cmd.h"


/* Parse line; the kind. */
static enum cmd_kind
kind_of(const char *line, struct cmd *c)
{
	cmd_parse(line, c);
	return c->kind;
}

/* The feedback for line (static buffer). */
static const char *
feedback_of(const char *line)
{
	static char	buf[CMD_TEXT_MAX];
	struct cmd	c;

	cmd_parse(line, &c);
	return cmd_feedback(&c, buf, sizeof buf);
}

CASE("parse", test_cmd_request_and_store_take_a_file)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("request 2012", &c), CMD_REQUEST);
	ck_assert_int_eq(c.file, 2012);
	ck_assert_int_eq(kind_of("store 0042", &c), CMD_STORE);
	ck_assert_int_eq(c.file, 42);
	ck_assert_str_eq(feedback_of("request 2012"), "");
}
END_TEST

CASE("parse", test_cmd_keywords_ignore_case_and_blanks)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("  ReQuEsT\t4103  ", &c), CMD_REQUEST);
	ck_assert_int_eq(c.file, 4103);
	ck_assert_int_eq(kind_of("\tsTaTuS ", &c), CMD_STATUS);
	ck_assert_int_eq(kind_of("  Help  ", &c), CMD_HELP);
	ck_assert_int_eq(kind_of("QUIT\r", &c), CMD_QUIT);
}
END_TEST

CASE("parse", test_cmd_status_json)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("status --json", &c), CMD_STATUS_JSON);
	ck_assert_int_eq(kind_of("STATUS  --JSON ", &c), CMD_STATUS_JSON);
	ck_assert_int_eq(kind_of("status --xml", &c), CMD_BAD_ARGS);
	ck_assert_str_eq(feedback_of("status --xml"), "usage: status [--json]");
}
END_TEST

CASE("parse", test_cmd_blank_line_is_empty)
{
	static const char *const blanks[] = { "", " \t ", "\r", "\v\f  " };
	struct cmd		 c;

	for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
		ck_assert_int_eq(kind_of(blanks[i], &c), CMD_EMPTY);
		ck_assert_str_eq(feedback_of(blanks[i]), "");
	}
}
END_TEST

CASE("parse", test_cmd_unknown_far_from_every_keyword)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("frobnicate", &c), CMD_UNKNOWN);
	ck_assert_ptr_null(c.suggest);
	ck_assert_str_eq(feedback_of("frobnicate"), "unknown command 'frobnicate'; try help");
	ck_assert_ptr_null((kind_of("q", &c), c.suggest));
	ck_assert_ptr_null((kind_of("xyz 2012", &c), c.suggest));
}
END_TEST

CASE("parse", test_cmd_mistyped_keyword_suggests_the_right_one)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("requset 2012", &c), CMD_UNKNOWN);
	ck_assert_str_eq(c.suggest, "request");
	ck_assert_str_eq(feedback_of("requset 2012"),
	    "unknown command 'requset'; did you mean 'request 2012'? try help");
	ck_assert_str_eq((kind_of("stroe 2012", &c), c.suggest), "store");
	ck_assert_str_eq((kind_of("quti", &c), c.suggest), "quit");
	ck_assert_str_eq((kind_of("stats", &c), c.suggest), "status");
	ck_assert_str_eq((kind_of("hlep", &c), c.suggest), "help");
	ck_assert_str_eq(feedback_of("hepl"), "unknown command 'hepl'; did you mean 'help'? try help");
	/* Two slips in a long keyword still count; two in a four-letter one do not. */
	ck_assert_str_eq((kind_of("stat", &c), c.suggest), "status");
	ck_assert_str_eq((kind_of("rqeuset", &c), c.suggest), "request");
	ck_assert_ptr_null((kind_of("hp", &c), c.suggest));
	ck_assert_ptr_null((kind_of("qt", &c), c.suggest));
}
END_TEST

CASE("parse", test_cmd_bad_file_names)
{
	static const char *const bad[] = { "a912", "32134", "12", "-123", "12.5", "２０１２" };
	struct cmd	c;
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char line[64];

		snprintf(line, sizeof line, "request %s", bad[i]);
		ck_assert_int_eq(kind_of(line, &c), CMD_BAD_FILE);
		snprintf(line, sizeof line, "store %s", bad[i]);
		ck_assert_int_eq(kind_of(line, &c), CMD_BAD_FILE);
	}
	ck_assert_str_eq(feedback_of("request a912"),
	    "bad file name 'a912': a file name is exactly four digits");
}
END_TEST

CASE("parse", test_cmd_missing_or_extra_argument)
{
	struct cmd c;

	ck_assert_int_eq(kind_of("request", &c), CMD_BAD_ARGS);
	ck_assert_str_eq(feedback_of("request"), "usage: request F, where F is four digits");
	ck_assert_int_eq(kind_of("store 2012 2013", &c), CMD_BAD_ARGS);
	ck_assert_str_eq(feedback_of("Store 2012 2013"), "usage: store F, where F is four digits");
	ck_assert_int_eq(kind_of("quit now", &c), CMD_BAD_ARGS);
	ck_assert_str_eq(feedback_of("Quit now"), "'Quit' takes no argument");
	ck_assert_int_eq(kind_of("help me", &c), CMD_BAD_ARGS);
}
END_TEST

CASE("parse", test_cmd_long_line_is_cut_not_overrun)
{
	char		line[3 * CMD_LINE_MAX];
	struct cmd	c;
	char		buf[CMD_TEXT_MAX];

	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	ck_assert_int_eq(kind_of(line, &c), CMD_UNKNOWN);
	ck_assert_uint_eq(strlen(c.word), CMD_LINE_MAX);
	ck_assert_uint_gt(strlen(cmd_feedback(&c, buf, sizeof buf)), CMD_LINE_MAX);
}
END_TEST

CASE("parse", test_cmd_help_lists_every_command)
{
	const char *h = cmd_help();

	ck_assert_ptr_nonnull(strstr(h, "request F"));
	ck_assert_ptr_nonnull(strstr(h, "store F"));
	ck_assert_ptr_nonnull(strstr(h, "status --json"));
	ck_assert_ptr_nonnull(strstr(h, "quit"));
	ck_assert_ptr_nonnull(strstr(h, "help"));
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("cmd", NULL);
}
