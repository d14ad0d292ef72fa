/*
 * Fuzz target: the standard-input command parser (cmd_parse, cmd_feedback). Every line gives
 * one typed command whose fields agree with its kind, and feedback that is one sentence.
 */
#include <ctype.h>
#include <string.h>

#include "cdht/cmd.h"
#include "fuzz.h"

/* A parsed command: the kind's fields are set exactly when the kind has them. */
static void
fuzz_cmd_check(const struct cmd *c)
{
	FUZZ_CHECK(c->kind >= CMD_EMPTY && c->kind <= CMD_BAD_ARGS, "kind %d", (int)c->kind);
	FUZZ_CHECK(memchr(c->word, '\0', sizeof c->word) != NULL, "word not a string");
	FUZZ_CHECK(memchr(c->rest, '\0', sizeof c->rest) != NULL, "rest not a string");
	if (c->kind == CMD_REQUEST || c->kind == CMD_STORE)
		FUZZ_CHECK(c->file >= 0 && c->file <= 9999, "file %d", c->file);
	if (c->kind == CMD_EMPTY)
		FUZZ_CHECK(c->word[0] == '\0', "empty line with a word '%s'", c->word);
	else
		FUZZ_CHECK(c->word[0] != '\0' && !isspace((unsigned char)c->word[0]),
		    "kind %d with an empty or blank word", (int)c->kind);
}

/* The feedback: empty for usable commands, else one line without "cdht: ". */
static void
fuzz_cmd_check_feedback(const struct cmd *c)
{
	char		 buf[CMD_TEXT_MAX];
	const char	*t = cmd_feedback(c, buf, sizeof buf);
	bool		 usable = c->kind == CMD_EMPTY || c->kind == CMD_REQUEST ||
			     c->kind == CMD_STORE || c->kind == CMD_QUIT ||
			     c->kind == CMD_STATUS || c->kind == CMD_STATUS_JSON ||
			     c->kind == CMD_HELP;

	FUZZ_CHECK(t != NULL, "no feedback string");
	FUZZ_CHECK(usable == (t[0] == '\0'), "kind %d, feedback '%s'", (int)c->kind, t);
	FUZZ_CHECK(strchr(t, '\n') == NULL, "feedback with a newline: '%s'", t);
	FUZZ_CHECK(strncmp(t, "cdht: ", 6) != 0, "feedback with the prefix: '%s'", t);
	/* A tiny buffer never overruns and still ends in a NUL. */
	t = cmd_feedback(c, buf, 8);
	FUZZ_CHECK(t != NULL && memchr(t, '\0', 8) != NULL, "feedback overran 8 bytes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	line[CMD_LINE_MAX * 2 + 1];
	static struct cmd c;
	size_t		n = size < sizeof line - 1 ? size : sizeof line - 1;

	/* A line as the input module hands it over: no NUL inside, no end of line. */
	memcpy(line, data, n);
	line[n] = '\0';
	n = strcspn(line, "\n");
	line[n] = '\0';
	cmd_parse(line, &c);
	fuzz_cmd_check(&c);
	fuzz_cmd_check_feedback(&c);
	return 0;
}
