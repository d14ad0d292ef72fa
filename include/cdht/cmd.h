/* Standard-input commands (SPEC §3): one line to one typed command, no I/O. */
#ifndef CDHT_CMD_H
#define CDHT_CMD_H

#include <stddef.h>

#define CMD_LINE_MAX	1024	/* bytes of a line the parser looks at; the rest is ignored */
#define CMD_TEXT_MAX	(CMD_LINE_MAX + 128)	/* bytes of a feedback sentence with its NUL */

enum cmd_kind {
	CMD_EMPTY,		/* a blank line: do nothing, say nothing */
	CMD_REQUEST,		/* request F: file */
	CMD_STORE,		/* store F: file */
	CMD_QUIT,
	CMD_STATUS,
	CMD_STATUS_JSON,	/* status --json */
	CMD_HELP,
	CMD_UNKNOWN,		/* not a keyword; suggest names the keyword it looks like, or NULL */
	CMD_BAD_FILE,		/* request/store with an argument that is not four digits */
	CMD_BAD_ARGS		/* a keyword with a missing or an extra argument */
};

/* One typed command. Plain data, owned by the caller. */
struct cmd {
	enum cmd_kind	 kind;
	int		 file;		/* CMD_REQUEST, CMD_STORE */
	const char	*keyword;	/* the keyword as the parser knows it ("request"), or NULL */
	const char	*suggest;	/* CMD_UNKNOWN: the keyword meant, or NULL */
	char		 word[CMD_LINE_MAX + 1];	/* the first word as typed */
	char		 rest[CMD_LINE_MAX + 1];	/* what follows it, blanks trimmed */
};

/* Parse one line (without its end of line; case-insensitive keyword, blanks ignored). */
void		 cmd_parse(const char *line, struct cmd *c);
/* The feedback for an unusable command (no "cdht: " prefix); "" for a usable one. */
const char	*cmd_feedback(const struct cmd *c, char *buf, size_t cap);
/* The text of `help`, several lines, ending in '\n'. */
const char	*cmd_help(void);

#endif
