/* Scenario tests of files (SPEC §6): requests, both transfers, stores, logs, sizes, concurrency. */
#include "harness.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS	"\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6"	/* three U+2026 */
#define LOG_LINE_ERE	"^(snd|rcv|drop|RTX) [0-9]+\\.[0-9]{3} [0-9]+ [0-9]+ [0-9]+$"
#define BIG_MS		30000	/* ms: several MiB, stop-and-wait, maybe under sanitizers */
#define MIB		(1024 * 1024)

/* ---- the lines of SPEC §4 for files */

static const char *
c_req_sent(const char *f)
{
	return it_s("File request message for %s has been sent to my successor.", f);
}

static const char *
c_not_here(const char *f)
{
	return it_s("File %s is not stored here.", f);
}

#define C_FORWARDED	"File request message has been forwarded to my successor."
#define C_START_SEND	"We now start sending the file " ELLIPSIS
#define C_START_RECV	"We now start receiving the file " ELLIPSIS
#define C_SENT		"The file is sent."
#define C_RECEIVED	"The file is received."

/* ---- requester-side checks */

struct growing {
	struct it_peer	*req;
	const char	*line;		/* the requester's "received" line */
	size_t		 mark;
	const char	*final;		/* path of the received copy */
	off_t		 size;		/* its expected size */
};

/*
 * True once the requester printed its "received" line; fails as soon as the final name
 * holds a file of the wrong size (a half-written copy under the final name).
 */
static bool
received_whole(void *arg)
{
	struct growing	*g = arg;
	struct stat	 st;

	if (stat(g->final, &st) == 0 && st.st_size != g->size)
		it_fail("%s exists with %lld bytes while %lld are expected: a partial file under "
		    "the final name", g->final, (long long)st.st_size, (long long)g->size);
	if (!it_alive(g->req))
		it_fail("peer %s ended during the transfer", it_name(g->req));
	return it_count(g->req, IT_OUT, g->mark, g->line) > 0;
}

/* Fail unless the peer's directory holds exactly these names (NULL-terminated). */
static void
expect_dir_holds(int id, ...)
{
	const char	*want[8];
	size_t		 nw = 0;
	va_list		 ap;
	DIR		*d = opendir(it_peer_dir(id));
	struct dirent	*e;

	va_start(ap, id);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		want[nw++] = s;
	va_end(ap);
	IT_ASSERT(d != NULL, "open peer %d's directory", id);
	while ((e = readdir(d)) != NULL) {
		bool ok = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;

		for (size_t i = 0; !ok && i < nw; i++)
			ok = strcmp(e->d_name, want[i]) == 0;
		if (!ok) {
			char name[300];

			snprintf(name, sizeof name, "%s", e->d_name);
			closedir(d);
			it_fail("peer %d's directory holds an unexpected '%s' after the transfer",
			    id, name);
		}
	}
	closedir(d);
}

/*
 * In the small classic ring 1 3 4, peer 1 requests file f of size bytes from its owner 3
 * (f's key must be 2 or 3); both print the classic lines; the copy is byte-exact.
 */
static void
fetch_small_ring(const char *f, size_t size, bool tcp)
{
	struct it_peer	*p[IT_NSMALL];
	char		 name[64], got[64], want[4096];
	struct growing	 g;

	IT_ASSERT(it_owner(it_small_ids, IT_NSMALL, atoi(f) % 256) == 3, "file %s is owned by 3", f);
	snprintf(name, sizeof name, "%s.pdf", f);
	snprintf(got, sizeof got, "received_%s.pdf", f);
	snprintf(want, sizeof want, "%s", it_put_file(3, name, size, (uint64_t)size + 11));
	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, tcp ?
	    "400 0 --ping-interval 0.2 --quiet-pings --transfer tcp" :
	    "400 0 --ping-interval 0.2 --quiet-pings --timeout 0.2");
	it_send(p[0], "request %s", f);
	g.req = p[0];
	g.line = C_RECEIVED;
	g.mark = 0;
	g.final = it_path_in(1, got);
	g.size = (off_t)size;
	it_wait_until(received_whole, &g, size > MIB ? BIG_MS : IT_DEADLINE_MS,
	    it_s("peer 1 prints '%s' for %s (%zu bytes)", C_RECEIVED, f, size));
	it_expect_classic_copy(p[0], p[1], f, want);
	it_expect_empty(p[2], IT_OUT, 0);
	if (tcp) {
		expect_dir_holds(1, got, NULL);
	} else {
		expect_dir_holds(1, got, "requesting_log.txt", NULL);
		IT_ASSERT(it_expect_file_lines_match(it_path_in(1, "requesting_log.txt"),
		    LOG_LINE_ERE) > 0, "requesting_log.txt has lines");
		IT_ASSERT(it_expect_file_lines_match(it_path_in(3, "responding_log.txt"),
		    LOG_LINE_ERE) > 0, "responding_log.txt has lines");
	}
}

IT_CASE(test_files_udp_size_0)
{
	fetch_small_ring("0002", 0, false);
}
END_TEST

IT_CASE(test_files_udp_size_1)
{
	fetch_small_ring("0003", 1, false);
}
END_TEST

IT_CASE(test_files_udp_size_mss_minus_1)
{
	fetch_small_ring("0258", 399, false);
}
END_TEST

IT_CASE(test_files_udp_size_mss)
{
	fetch_small_ring("0259", 400, false);
}
END_TEST

IT_CASE(test_files_udp_size_mss_plus_1)
{
	fetch_small_ring("0514", 401, false);
}
END_TEST

IT_CASE(test_files_udp_size_3mib)
{
	fetch_small_ring("1026", 3 * MIB, false);
}
END_TEST

IT_CASE(test_files_tcp_size_0)
{
	fetch_small_ring("1027", 0, true);
}
END_TEST

IT_CASE(test_files_tcp_size_3mib)
{
	fetch_small_ring("1282", 3 * MIB, true);
}
END_TEST

/* The classic demo: 2012 (key 220, owner 1) requested at 8 over UDP with 10 % drop. */
IT_CASE(test_files_classic_demo)
{
	struct it_peer	*p[IT_NCLASSIC];
	char		 want[4096];
	size_t		 drops = 0, rtx = 0, n;
	FILE		*f;
	char		 line[256];

	IT_ASSERT(it_owner(it_classic_ids, IT_NCLASSIC, 2012 % 256) == 1, "2012 is owned by 1");
	snprintf(want, sizeof want, "%s", it_put_file(1, "2012.pdf", 50 * 1024, 2012));
	it_put_file(10, "2012.pdf", 50 * 1024, 2012);	/* as in the demo: 10 has it too */
	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC,
	    "400 0.1 --ping-interval 0.2 --timeout 0.1 --quiet-pings --seed 7");
	it_send(p[4], "request 2012");
	it_wait_line(p[4], IT_OUT, 0, 1, C_RECEIVED, 20000);
	it_expect_classic_copy(p[4], p[0], "2012", want);
	for (size_t i = 5; i < IT_NCLASSIC; i++)
		it_expect_exactly(p[i], IT_OUT, 0, c_not_here("2012"), C_FORWARDED, NULL);
	for (size_t i = 1; i <= 3; i++)
		it_expect_empty(p[i], IT_OUT, 0);

	n = it_expect_file_lines_match(it_path_in(8, "requesting_log.txt"), LOG_LINE_ERE);
	IT_ASSERT(n >= 2 * 128, "requesting_log.txt: %zu lines for 128 segments", n);
	n = it_expect_file_lines_match(it_path_in(1, "responding_log.txt"), LOG_LINE_ERE);
	IT_ASSERT(n >= 2 * 128, "responding_log.txt: %zu lines for 128 segments", n);
	f = fopen(it_path_in(1, "responding_log.txt"), "r");
	IT_ASSERT(f != NULL, "open responding_log.txt");
	while (fgets(line, sizeof line, f) != NULL) {
		drops += strncmp(line, "drop ", 5) == 0;
		rtx += strncmp(line, "RTX ", 4) == 0;
	}
	fclose(f);
	IT_ASSERT(drops > 0 && rtx > 0, "drop 0.1 over 128 segments: %zu drop and %zu RTX lines",
	    drops, rtx);
	for (size_t i = 0; i < IT_NCLASSIC; i++)
		it_expect_alive(p[i]);
}
END_TEST

/* The p2p demo: 4103 (key 7, owner 8) requested at 2 over TCP. */
IT_CASE(test_files_p2p_request)
{
	struct it_peer	*p[IT_NP2P];
	char		 want[4096];

	IT_ASSERT(it_owner(it_p2p_ids, IT_NP2P, 4103 % 256) == 8, "4103 is owned by 8");
	snprintf(want, sizeof want, "%s", it_put_file(8, "4103.pdf", 300 * 1024, 4103));
	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, "0.2 --quiet-pings");
	it_send(p[0], "request 4103");
	it_wait_line(p[0], IT_OUT, 0, 1, "File 4103 received", IT_DEADLINE_MS);
	it_wait_line(p[3], IT_OUT, 0, 1, "The file has been sent", IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(2, "received_4103.pdf"), want, IT_DEADLINE_MS);
	it_expect_exactly(p[0], IT_OUT, 0, "File request for 4103 has been sent to my successor",
	    "Peer 8 had File 4103", "Receiving File 4103 from Peer 8", "File 4103 received",
	    NULL);
	it_expect_exactly(p[1], IT_OUT, 0,
	    "Request for File 4103 has been received, but the file is not stored here", NULL);
	it_expect_exactly(p[2], IT_OUT, 0,
	    "Request for File 4103 has been received, but the file is not stored here", NULL);
	it_expect_exactly(p[3], IT_OUT, 0, "File 4103 is stored here", "Sending file 4103 to Peer 2",
	    "The file has been sent", NULL);
	for (size_t i = 4; i < IT_NP2P; i++)
		it_expect_empty(p[i], IT_OUT, 0);
	expect_dir_holds(2, "received_4103.pdf", NULL);
}
END_TEST

/* store 2067 (key 19, owner 19) at 8; later 4 fetches it from 19. */
IT_CASE(test_files_p2p_store_then_request)
{
	struct it_peer	*p[IT_NP2P];
	char		 want[4096];
	size_t		 m4;

	IT_ASSERT(it_owner(it_p2p_ids, IT_NP2P, 2067 % 256) == 19, "2067 is owned by 19");
	snprintf(want, sizeof want, "%s", it_put_file(8, "2067.pdf", 123457, 2067));
	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, "0.2 --quiet-pings");
	it_send(p[3], "store 2067");
	it_wait_line(p[6], IT_OUT, 0, 1, "Store 2067 request accepted", IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(19, "2067.pdf"), want, IT_DEADLINE_MS);
	it_expect_exactly(p[3], IT_OUT, 0, "Store 2067 request forwarded to my successor", NULL);
	it_expect_exactly(p[4], IT_OUT, 0, "Store 2067 request forwarded to my successor", NULL);
	it_expect_exactly(p[5], IT_OUT, 0, "Store 2067 request forwarded to my successor", NULL);
	it_expect_exactly(p[6], IT_OUT, 0, "Store 2067 request accepted", NULL);
	for (size_t i = 0; i < 3; i++)
		it_expect_empty(p[i], IT_OUT, 0);

	m4 = it_mark(p[1], IT_OUT);
	it_send(p[1], "request 2067");
	it_wait_line(p[1], IT_OUT, m4, 1, "File 2067 received", IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(4, "received_2067.pdf"), want, IT_DEADLINE_MS);
	it_expect_exactly(p[1], IT_OUT, m4, "File request for 2067 has been sent to my successor",
	    "Peer 19 had File 2067", "Receiving File 2067 from Peer 19", "File 2067 received",
	    NULL);
	it_wait_line(p[6], IT_OUT, 0, 1, "The file has been sent", IT_DEADLINE_MS);
}
END_TEST

IT_CASE(test_files_missing_p2p)
{
	struct it_peer	*p[IT_NP2P];

	IT_ASSERT(it_owner(it_p2p_ids, IT_NP2P, 1234 % 256) == 2, "1234 (key 210) is owned by 2");
	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, "0.2 --quiet-pings");
	it_send(p[1], "request 1234");
	it_wait_line(p[1], IT_OUT, 0, 1, "File 1234 is not available in the network",
	    IT_DEADLINE_MS);
	it_expect_exactly(p[1], IT_OUT, 0, "File request for 1234 has been sent to my successor",
	    "File 1234 is not available in the network", NULL);
	IT_ASSERT(!it_file_exists(it_path_in(4, "received_1234.pdf")), "no copy of a missing file");
	for (size_t i = 0; i < IT_NP2P; i++)
		it_expect_alive(p[i]);
}
END_TEST

IT_CASE(test_files_missing_classic)
{
	struct it_peer	*p[IT_NCLASSIC];

	IT_ASSERT(it_owner(it_classic_ids, IT_NCLASSIC, 1234 % 256) == 1, "1234 is owned by 1");
	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC,
	    "400 0 --ping-interval 0.2 --quiet-pings");
	it_send(p[2], "request 1234");
	it_wait_line(p[2], IT_OUT, 0, 1, "File 1234 is not available in the network.",
	    IT_DEADLINE_MS);
	it_expect_exactly(p[2], IT_OUT, 0, c_req_sent("1234"),
	    "File 1234 is not available in the network.", NULL);
	IT_ASSERT(!it_file_exists(it_path_in(4, "received_1234.pdf")), "no copy of a missing file");
}
END_TEST

/* Three requesters at once, three files, one owner (1), UDP with drops. */
IT_CASE(test_files_three_at_once_udp)
{
	static const char *const files[] = { "2012", "2048", "2049" };
	static const size_t req[] = { 1, 4, 6 };	/* peers 3, 8, 12 */
	struct it_peer	*p[IT_NCLASSIC];
	char		 want[3][4096];

	for (size_t i = 0; i < 3; i++) {
		IT_ASSERT(it_owner(it_classic_ids, IT_NCLASSIC, atoi(files[i]) % 256) == 1,
		    "owner 1");
		snprintf(want[i], sizeof want[i], "%s", it_put_file(1, it_s("%s.pdf", files[i]),
		    60000 + i * 7777, 100 + i));
	}
	it_ring(p, it_classic_ids, IT_NCLASSIC, IT_CLASSIC,
	    "400 0.05 --ping-interval 0.2 --timeout 0.1 --quiet-pings --seed 3");
	for (size_t i = 0; i < 3; i++)
		it_send(p[req[i]], "request %s", files[i]);
	for (size_t i = 0; i < 3; i++) {
		int id = it_classic_ids[req[i]];

		it_wait_line(p[req[i]], IT_OUT, 0, 1, C_RECEIVED, 20000);
		it_wait_file_equal(it_path_in(id, it_s("received_%s.pdf", files[i])), want[i],
		    IT_DEADLINE_MS);
		it_wait_seq(p[req[i]], IT_OUT, 0, IT_DEADLINE_MS, it_rsp_rcvd_line(1, files[i]),
		    C_START_RECV, NULL);
		it_wait_seq(p[0], IT_OUT, 0, IT_DEADLINE_MS, it_here_line(files[i]), it_rsp_sent_line(id),
		    C_START_SEND, NULL);
	}
	it_wait_line(p[0], IT_OUT, 0, 3, C_SENT, IT_DEADLINE_MS);
}
END_TEST

/* Three requesters at once, one file, one owner (8), TCP; and a store in flight. */
IT_CASE(test_files_three_at_once_tcp)
{
	static const size_t req[] = { 0, 4, 5 };	/* peers 2, 9, 14 */
	struct it_peer	*p[IT_NP2P];
	char		 want[4096], want2[4096];

	snprintf(want, sizeof want, "%s", it_put_file(8, "4103.pdf", 2 * MIB + 3, 4103));
	snprintf(want2, sizeof want2, "%s", it_put_file(4, "2067.pdf", MIB, 2067));
	it_ring(p, it_p2p_ids, IT_NP2P, IT_P2P, "0.2 --quiet-pings");
	for (size_t i = 0; i < 3; i++)
		it_send(p[req[i]], "request 4103");
	it_send(p[1], "store 2067");
	for (size_t i = 0; i < 3; i++) {
		int id = it_p2p_ids[req[i]];

		it_wait_line(p[req[i]], IT_OUT, 0, 1, "File 4103 received", 20000);
		it_wait_file_equal(it_path_in(id, "received_4103.pdf"), want, IT_DEADLINE_MS);
		it_wait_line(p[3], IT_OUT, 0, 1, it_s("Sending file 4103 to Peer %d", id),
		    IT_DEADLINE_MS);
	}
	it_wait_line(p[3], IT_OUT, 0, 3, "The file has been sent", IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(19, "2067.pdf"), want2, IT_DEADLINE_MS);
}
END_TEST

/* A store of a file the peer does not have: one line on stderr, nothing else. */
IT_CASE(test_files_store_absent_file)
{
	struct it_peer	*p[IT_NSMALL];
	const char	*barrier = "cdht: unknown command 'frobnicate'; try help";
	size_t		 n;
	char		**lines;

	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, "400 0 --ping-interval 0.2 --quiet-pings");
	it_send(p[0], "store 9999");
	it_send(p[0], "frobnicate");
	it_wait_line(p[0], IT_ERR, 0, 1, barrier, IT_DEADLINE_MS);
	lines = it_lines(p[0], IT_ERR, 0, &n);
	IT_ASSERT(n == 2 && strcmp(lines[1], barrier) == 0,
	    "store of an absent file gives one stderr line, then the barrier (%zu lines)", n);
	it_free_lines(lines);
	for (size_t i = 0; i < IT_NSMALL; i++)
		it_expect_empty(p[i], IT_OUT, 0);
	IT_ASSERT(!it_file_exists(it_path_in(4, "9999.pdf")), "nothing stored");
}
END_TEST

/* The requester owns the key itself: it serves itself. */
IT_CASE(test_files_request_own_key)
{
	struct it_peer	*p[IT_NSMALL];
	char		 want[4096];

	snprintf(want, sizeof want, "%s", it_put_file(3, "0771.pdf", 5000, 771));
	IT_ASSERT(it_owner(it_small_ids, IT_NSMALL, 771 % 256) == 3, "0771 (key 3) is owned by 3");
	it_ring(p, it_small_ids, IT_NSMALL, IT_CLASSIC, "400 0 --ping-interval 0.2 --quiet-pings");
	it_send(p[1], "request 0771");
	it_wait_file_equal(it_path_in(3, "received_0771.pdf"), want, IT_DEADLINE_MS);
	it_expect_empty(p[0], IT_OUT, 0);
	it_expect_empty(p[2], IT_OUT, 0);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "files");
}
