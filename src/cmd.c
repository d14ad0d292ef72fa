/* Standard-input commands: one line to one typed command, with feedback for mistakes. Pure. */
#include <ctype.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cdht/cmd.h"
#include "cdht/keys.h"

#define CMD_BLANKS	" \t\r\v\f"
#define CMD_NEAR_MAX	2	/* edits at most for a "did you mean" */

static const char *const cmd_keywords[] = { "request", "store", "quit", "status", "help" };
#define CMD_NKEYWORDS	(sizeof cmd_keywords / sizeof cmd_keywords[0])

/* Copy at most n bytes of s into dst (cap CMD_LINE_MAX + 1), blanks trimmed at both ends. */
static void
cmd_copy_trimmed(char *dst, const char *s, size_t n)
{
	while (n > 0 && strchr(CMD_BLANKS, *s) != NULL && *s != '\0') {
		s++;
		n--;
	}
	while (n > 0 && strchr(CMD_BLANKS, s[n - 1]) != NULL)
		n--;
	if (n > CMD_LINE_MAX)
		n = CMD_LINE_MAX;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Edits (insert, delete, replace, swap two neighbours) from a to b, case-insensitive. */
static size_t
cmd_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j;
	size_t	d[16][16];

	if (la >= 16 || lb >= 16)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t	cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			size_t	best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The keyword a mistyped word is closest to, if it is close enough to be a slip; else NULL. */
static const char *
cmd_nearest(const char *word)
{
	const char	*best = NULL;
	size_t		 i, dist, best_dist = SIZE_MAX;

	for (i = 0; i < CMD_NKEYWORDS; i++) {
		const char	*k = cmd_keywords[i];
		/* One slip in a short keyword, two in a long one; never most of the word. */
		size_t		 limit = strlen(k) <= 4 ? 1 : CMD_NEAR_MAX;

		dist = cmd_distance(word, k);
		if (dist <= limit && dist < strlen(word) && dist < best_dist) {
			best = k;
			best_dist = dist;
		}
	}
	return best;
}

/* Parse one line into a typed command. */
void
cmd_parse(const char *line, struct cmd *c)
{
	size_t	wlen, i;

	memset(c, 0, sizeof *c);
	line += strspn(line, CMD_BLANKS);
	wlen = strcspn(line, CMD_BLANKS);
	cmd_copy_trimmed(c->word, line, wlen);
	cmd_copy_trimmed(c->rest, line + wlen, strlen(line + wlen));
	if (wlen == 0) {
		c->kind = CMD_EMPTY;
		return;
	}
	for (i = 0; i < CMD_NKEYWORDS; i++)
		if (strcasecmp(c->word, cmd_keywords[i]) == 0)
			c->keyword = cmd_keywords[i];
	if (c->keyword == NULL) {
		c->kind = CMD_UNKNOWN;
		c->suggest = cmd_nearest(c->word);
		return;
	}
	if (strcmp(c->keyword, "request") == 0 || strcmp(c->keyword, "store") == 0) {
		bool	store = c->keyword[0] == 's';

		if (c->rest[0] == '\0' || strpbrk(c->rest, CMD_BLANKS) != NULL)
			c->kind = CMD_BAD_ARGS;
		else if (keys_parse_file(c->rest, &c->file) != 0)
			c->kind = CMD_BAD_FILE;
		else
			c->kind = store ? CMD_STORE : CMD_REQUEST;
		return;
	}
	if (strcmp(c->keyword, "status") == 0 && strcasecmp(c->rest, "--json") == 0)
		c->kind = CMD_STATUS_JSON;
	else if (c->rest[0] != '\0')
		c->kind = CMD_BAD_ARGS;
	else if (strcmp(c->keyword, "quit") == 0)
		c->kind = CMD_QUIT;
	else if (strcmp(c->keyword, "status") == 0)
		c->kind = CMD_STATUS;
	else
		c->kind = CMD_HELP;
}

/* The one-line feedback for a command that cannot be carried out. */
const char *
cmd_feedback(const struct cmd *c, char *buf, size_t cap)
{
	switch (c->kind) {
	case CMD_UNKNOWN:
		if (c->suggest == NULL)
			snprintf(buf, cap, "unknown command '%s'; try help", c->word);
		else
			snprintf(buf, cap, "unknown command '%s'; did you mean '%s%s%s'? try help",
			    c->word, c->suggest, c->rest[0] != '\0' ? " " : "", c->rest);
		break;
	case CMD_BAD_FILE:
		snprintf(buf, cap, "bad file name '%s': a file name is exactly four digits",
		    c->rest);
		break;
	case CMD_BAD_ARGS:
		if (strcmp(c->keyword, "request") == 0 || strcmp(c->keyword, "store") == 0)
			snprintf(buf, cap, "usage: %s F, where F is four digits", c->keyword);
		else if (strcmp(c->keyword, "status") == 0)
			snprintf(buf, cap, "usage: status [--json]");
		else
			snprintf(buf, cap, "'%s' takes no argument", c->word);
		break;
	default:
		snprintf(buf, cap, "%s", "");
		break;
	}
	return buf;
}

/* The text of `help`. */
const char *
cmd_help(void)
{
	return "Commands (case-insensitive):\n"
	    "  request F       fetch file F (four digits) from the ring into received_F.pdf\n"
	    "  store F         insert F.pdf from this peer's directory into the ring\n"
	    "  status          this peer's successors, predecessors and files\n"
	    "  status --json   the same as one line of JSON (docs/STATUS.md)\n"
	    "  quit            leave the ring politely and exit\n"
	    "  help            this list\n";
}
