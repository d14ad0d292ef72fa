/* Console events and the two dialects' wording of them (SPEC §4), from one table. */
#include <stdio.h>
#include <string.h>

#include "cdht/console.h"

#define ELLIPSIS "\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6"	/* "………", three U+2026 */
/* A line both dialects word alike, but for the classic dialect's full stop. */
#define CONSOLE_ALIKE(line)	{ line ".\n", line "\n" }

/*
 * Templates: {F} is the four-digit file, {A} and {B} are peer ids. Each line ends in '\n'.
 * Index: [kind][dialect].
 */
static const char *const console_table[CON_KIND_END][2] = {
	[CON_PING_SENT] = { "",
	    "Ping requests sent to Peers {A} and {B}\n" },
	[CON_PING_REQ_RCVD] = { "A ping request message was received from Peer {A}.\n",
	    "Ping request message received from Peer {A}\n" },
	[CON_PING_RSP_RCVD] = { "A ping response message was received from Peer {A}.\n",
	    "Ping response received from Peer {A}\n" },
	[CON_REQ_SENT] = { "File request message for {F} has been sent to my successor.\n",
	    "File request for {F} has been sent to my successor\n" },
	[CON_REQ_FORWARDED] = { "File {F} is not stored here.\n"
	    "File request message has been forwarded to my successor.\n",
	    "Request for File {F} has been received, but the file is not stored here\n" },
	[CON_FILE_HERE] = { "File {F} is here.\n"
	    "A response message, destined for peer {A}, has been sent.\n"
	    "We now start sending the file " ELLIPSIS "\n",
	    "File {F} is stored here\nSending file {F} to Peer {A}\n" },
	[CON_FILE_SENT] = { "The file is sent.\n", "The file has been sent\n" },
	[CON_FILE_RSP_RCVD] = { "Received a response message from peer {A}, which has the file {F}.\n"
	    "We now start receiving the file " ELLIPSIS "\n",
	    "Peer {A} had File {F}\nReceiving File {F} from Peer {A}\n" },
	[CON_FILE_RECEIVED] = { "The file is received.\n", "File {F} received\n" },
	[CON_FILE_ABSENT] = CONSOLE_ALIKE("File {F} is not available in the network"),
	[CON_DEPART] = CONSOLE_ALIKE("Peer {A} will depart from the network"),
	[CON_DEAD] = CONSOLE_ALIKE("Peer {A} is no longer alive"),
	[CON_SUCCESSORS] = { "My first successor is now peer {A}.\n"
	    "My second successor is now peer {B}.\n",
	    "My new first successor is Peer {A}\nMy new second successor is Peer {B}\n" },
	[CON_JOIN_FORWARDED] = CONSOLE_ALIKE("Peer {A} Join request forwarded to my successor"),
	[CON_JOIN_RECEIVED] = CONSOLE_ALIKE("Peer {A} Join request received"),
	[CON_SUCC_CHANGE_RCVD] = CONSOLE_ALIKE("Successor Change request received"),
	[CON_JOIN_ACCEPTED] = { "Join request has been accepted.\n"
	    "My first successor is peer {A}.\nMy second successor is peer {B}.\n",
	    "Join request has been accepted\n"
	    "My first successor is Peer {A}\nMy second successor is Peer {B}\n" },
	[CON_STORE_FORWARDED] = CONSOLE_ALIKE("Store {F} request forwarded to my successor"),
	[CON_STORE_ACCEPTED] = CONSOLE_ALIKE("Store {F} request accepted"),
};

/* Write the event's lines into buf; the length, or 0 if it does not fit. */
size_t
console_format(enum dialect d, const struct console_ev *ev, char *buf, size_t cap)
{
	const char	*t;
	size_t		 n = 0;
	char		 num[8];

	if ((unsigned)ev->kind >= CON_KIND_END || cap == 0)
		return 0;
	t = console_table[ev->kind][d == DIALECT_P2P];
	while (*t != '\0') {
		const char *piece = t;
		size_t len = 1;

		if (t[0] == '{' && t[1] != '\0' && t[2] == '}') {
			if (t[1] == 'F')
				snprintf(num, sizeof num, "%04d", ev->file);
			else
				snprintf(num, sizeof num, "%d", t[1] == 'A' ? ev->a : ev->b);
			piece = num;
			len = strlen(num);
			t += 3;
		} else
			t++;
		if (n + len >= cap)
			return 0;
		memcpy(buf + n, piece, len);
		n += len;
	}
	buf[n] = '\0';
	return n;
}

/* Is this a per-ping line (silenced by --quiet-pings)? */
int
console_is_ping(enum console_kind k)
{
	return k == CON_PING_SENT || k == CON_PING_REQ_RCVD || k == CON_PING_RSP_RCVD;
}
