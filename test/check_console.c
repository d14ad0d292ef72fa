/* Unit tests of the console table: every event in both dialects, word for word (SPEC §4). */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "cdht/console.h"

#define ELL	"\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6"	/* "………": three U+2026 */
#define BUF_LEN	1024	/* bytes, more than any event's lines */

/* One event and the exact text each dialect prints for it, copied from the SPEC §4 table. */
struct line_case {
	struct console_ev	ev;
	const char		*classic;
	const char		*p2p;
};

static const struct line_case cases[] = {
	{ { CON_PING_SENT, 5, 8, 0 },
	  "",
	  "Ping requests sent to Peers 5 and 8\n" },
	{ { CON_PING_REQ_RCVD, 3, 0, 0 },
	  "A ping request message was received from Peer 3.\n",
	  "Ping request message received from Peer 3\n" },
	{ { CON_PING_RSP_RCVD, 5, 0, 0 },
	  "A ping response message was received from Peer 5.\n",
	  "Ping response received from Peer 5\n" },
	{ { CON_REQ_SENT, 0, 0, 2012 },
	  "File request message for 2012 has been sent to my successor.\n",
	  "File request for 2012 has been sent to my successor\n" },
	{ { CON_REQ_FORWARDED, 0, 0, 2012 },
	  "File 2012 is not stored here.\n"
	  "File request message has been forwarded to my successor.\n",
	  "Request for File 2012 has been received, but the file is not stored here\n" },
	{ { CON_FILE_HERE, 8, 0, 2012 },
	  "File 2012 is here.\n"
	  "A response message, destined for peer 8, has been sent.\n"
	  "We now start sending the file " ELL "\n",
	  "File 2012 is stored here\n"
	  "Sending file 2012 to Peer 8\n" },
	{ { CON_FILE_SENT, 0, 0, 2012 },
	  "The file is sent.\n",
	  "The file has been sent\n" },
	{ { CON_FILE_RSP_RCVD, 1, 0, 2012 },
	  "Received a response message from peer 1, which has the file 2012.\n"
	  "We now start receiving the file " ELL "\n",
	  "Peer 1 had File 2012\n"
	  "Receiving File 2012 from Peer 1\n" },
	{ { CON_FILE_RECEIVED, 0, 0, 2012 },
	  "The file is received.\n",
	  "File 2012 received\n" },
	{ { CON_FILE_ABSENT, 0, 0, 2012 },
	  "File 2012 is not available in the network.\n",
	  "File 2012 is not available in the network\n" },
	{ { CON_DEPART, 10, 0, 0 },
	  "Peer 10 will depart from the network.\n",
	  "Peer 10 will depart from the network\n" },
	{ { CON_DEAD, 5, 0, 0 },
	  "Peer 5 is no longer alive.\n",
	  "Peer 5 is no longer alive\n" },
	{ { CON_SUCCESSORS, 8, 10, 0 },
	  "My first successor is now peer 8.\n"
	  "My second successor is now peer 10.\n",
	  "My new first successor is Peer 8\n"
	  "My new second successor is Peer 10\n" },
	{ { CON_JOIN_FORWARDED, 15, 0, 0 },
	  "Peer 15 Join request forwarded to my successor.\n",
	  "Peer 15 Join request forwarded to my successor\n" },
	{ { CON_JOIN_RECEIVED, 15, 0, 0 },
	  "Peer 15 Join request received.\n",
	  "Peer 15 Join request received\n" },
	{ { CON_SUCC_CHANGE_RCVD, 0, 0, 0 },
	  "Successor Change request received.\n",
	  "Successor Change request received\n" },
	{ { CON_JOIN_ACCEPTED, 19, 2, 0 },
	  "Join request has been accepted.\n"
	  "My first successor is peer 19.\n"
	  "My second successor is peer 2.\n",
	  "Join request has been accepted\n"
	  "My first successor is Peer 19\n"
	  "My second successor is Peer 2\n" },
	{ { CON_STORE_FORWARDED, 0, 0, 2012 },
	  "Store 2012 request forwarded to my successor.\n",
	  "Store 2012 request forwarded to my successor\n" },
	{ { CON_STORE_ACCEPTED, 0, 0, 2012 },
	  "Store 2012 request accepted.\n",
	  "Store 2012 request accepted\n" },
};

#define NCASES	((int)(sizeof cases / sizeof cases[0]))

/* Format ev in dialect d and compare with want, byte for byte, length included. */
static void
check_line(enum dialect d, const struct console_ev *ev, const char *want)
{
	char	buf[BUF_LEN];
	size_t	n;

	memset(buf, 'X', sizeof buf);
	n = console_format(d, ev, buf, sizeof buf);
	ck_assert_msg(n == strlen(want), "kind %d, %s: length %zu, want %zu (got \"%.*s\")",
	    ev->kind, d == DIALECT_P2P ? "p2p" : "classic", n, strlen(want), (int)n, buf);
	ck_assert_msg(memcmp(buf, want, n) == 0, "kind %d, %s: got \"%.*s\", want \"%s\"",
	    ev->kind, d == DIALECT_P2P ? "p2p" : "classic", (int)n, buf, want);
	ck_assert_msg(buf[n] == '\0', "kind %d: not NUL-terminated", ev->kind);
}

CASE("lines", test_console_table_covers_every_kind)
{
	int	k, i, found;

	for (k = 0; k < CON_KIND_END; k++) {
		for (found = 0, i = 0; i < NCASES; i++)
			found += cases[i].ev.kind == (enum console_kind)k;
		ck_assert_msg(found == 1, "kind %d appears %d times in the test table", k, found);
	}
}
END_TEST

/* Looped over every case. */
CASE_LOOP("lines", test_console_classic_line_matches_spec, NCASES)
{
	check_line(DIALECT_CLASSIC, &cases[_i].ev, cases[_i].classic);
}
END_TEST

/* Looped over every case. */
CASE_LOOP("lines", test_console_p2p_line_matches_spec, NCASES)
{
	check_line(DIALECT_P2P, &cases[_i].ev, cases[_i].p2p);
}
END_TEST

CASE("lines", test_console_file_printed_with_four_digits)
{
	struct console_ev	ev = { CON_REQ_SENT, 0, 0, 7 };

	check_line(DIALECT_P2P, &ev, "File request for 0007 has been sent to my successor\n");
	ev.file = 0;
	check_line(DIALECT_P2P, &ev, "File request for 0000 has been sent to my successor\n");
	ev.file = 9999;
	check_line(DIALECT_CLASSIC, &ev,
	    "File request message for 9999 has been sent to my successor.\n");
	ev.kind = CON_FILE_HERE;
	ev.file = 42;
	ev.a = 3;
	check_line(DIALECT_P2P, &ev, "File 0042 is stored here\nSending file 0042 to Peer 3\n");
}
END_TEST

CASE("lines", test_console_ids_printed_as_plain_integers)
{
	struct console_ev	ev = { CON_SUCCESSORS, 0, 255, 0 };

	check_line(DIALECT_P2P, &ev,
	    "My new first successor is Peer 0\nMy new second successor is Peer 255\n");
	ev.kind = CON_DEAD;
	ev.a = 7;
	check_line(DIALECT_CLASSIC, &ev, "Peer 7 is no longer alive.\n");
	ev.kind = CON_PING_SENT;
	ev.a = 100;
	ev.b = 9;
	check_line(DIALECT_P2P, &ev, "Ping requests sent to Peers 100 and 9\n");
}
END_TEST

/* Looped over every case, both dialects: every capacity short of length + 1 gives 0. */
CASE_LOOP("limits", test_console_too_small_buffer_returns_0, NCASES)
{
	int	di;

	for (di = 0; di < 2; di++) {
		enum dialect	 d = di == 0 ? DIALECT_CLASSIC : DIALECT_P2P;
		const char	*want = di == 1 ? cases[_i].p2p : cases[_i].classic;
		size_t		 len = strlen(want), cap;
		char		 buf[BUF_LEN];

		for (cap = 0; cap <= len; cap++) {
			if (len == 0)
				break;	/* an empty line fits anywhere; nothing to overflow */
			ck_assert_msg(console_format(d, &cases[_i].ev, buf, cap) == 0,
			    "kind %d: cap %zu of %zu accepted", cases[_i].ev.kind, cap, len);
		}
		ck_assert_uint_eq(console_format(d, &cases[_i].ev, buf, len + 1), len);
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

CASE("limits", test_console_too_small_buffer_writes_nothing_past_cap)
{
	struct console_ev	ev = { CON_FILE_HERE, 8, 0, 2012 };
	char			buf[BUF_LEN];
	size_t			i;

	memset(buf, 'X', sizeof buf);
	ck_assert_uint_eq(console_format(DIALECT_CLASSIC, &ev, buf, 20), 0);
	for (i = 20; i < sizeof buf; i++)
		ck_assert_msg(buf[i] == 'X', "byte %zu written beyond a 20-byte buffer", i);
}
END_TEST

CASE("limits", test_console_unknown_kind_formats_nothing)
{
	struct console_ev	ev = { CON_KIND_END, 1, 2, 3 };
	char			buf[BUF_LEN];

	ck_assert_uint_eq(console_format(DIALECT_P2P, &ev, buf, sizeof buf), 0);
	ck_assert_uint_eq(console_format(DIALECT_CLASSIC, &ev, buf, sizeof buf), 0);
}
END_TEST

CASE("limits", test_console_is_ping_only_for_ping_lines)
{
	int	k;

	for (k = 0; k < CON_KIND_END; k++) {
		int want = k == CON_PING_SENT || k == CON_PING_REQ_RCVD || k == CON_PING_RSP_RCVD;

		ck_assert_msg(!!console_is_ping((enum console_kind)k) == want, "kind %d", k);
	}
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("console", NULL);
}
