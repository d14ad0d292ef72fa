/* Scenario tests of issue 13: windows, the adaptive timeout, progress, retry after repair. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS	"\xE2\x80\xA6\xE2\x80\xA6\xE2\x80\xA6"	/* three U+2026 */
#define LOG_LINE_ERE	"^(snd|rcv|drop|RTX) [0-9]+\\.[0-9]{3} [0-9]+ [0-9]+ [0-9]+$"
#define BIG_MS		40000	/* ms: 3 MiB at drop 0.2, maybe under sanitizers */
#define MIB		(1024 * 1024)
#define LOSSY		"--window 8 --drop 0.2 --timeout auto"

static const int small_ids[] = { 1, 3, 4 };
static const int five_ids[] = { 1, 3, 4, 5, 8 };
#define NSMALL		3
#define NFIVE		5

#define C_START_RECV	"We now start receiving the file " ELLIPSIS
#define C_SENT		"The file is sent."
#define C_RECEIVED	"The file is received."

static const char *
c_req_sent(const char *f)
{
	return it_s("File request message for %s has been sent to my successor.", f);
}

/* Lines of a log file that start with prefix. */
static size_t
count_prefix(const char *path, const char *prefix)
{
	FILE	*f = fopen(path, "r");
	char	 line[256];
	size_t	 n = 0;

	IT_ASSERT(f != NULL, "open %s", path);
	while (fgets(line, sizeof line, f) != NULL)
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

static const char *summary_file;	/* the file whose summary lines summaries_seen awaits */

/* Both ends' summary lines for summary_file (p[0] requester, p[1] owner; printed on stderr
 * right after the console lines, so they are awaited, not assumed). */
static bool
summaries_seen(void *arg)
{
	struct it_peer **p = arg;

	return it_contains(p[0], IT_ERR, it_s("received %s from peer 3: ", summary_file)) &&
	    it_contains(p[1], IT_ERR, it_s("sent %s to peer 1: ", summary_file)) &&
	    it_contains(p[1], IT_ERR, " ms");
}

/*
 * In the ring 1 3 4 (mss 400, drop 0.2, window 8, auto timeout), peer 1 requests f (owned
 * by 3) of size bytes: the classic lines at both ends, a byte-identical copy, a log line for
 * every data segment at both ends, and a summary line on stderr at each end.
 */
static void
copy_lossy(const char *f, size_t size)
{
	struct it_peer	*p[NSMALL];
	char		 name[64], want[4096];
	size_t		 segs = size == 0 ? 1 : (size + 399) / 400;

	IT_ASSERT(it_owner(small_ids, NSMALL, atoi(f) % 256) == 3, "file %s is owned by 3", f);
	snprintf(name, sizeof name, "%s.pdf", f);
	snprintf(want, sizeof want, "%s", it_put_file(3, name, size, (uint64_t)size + 13));
	it_ring(p, small_ids, NSMALL, IT_CLASSIC, "400 0.2 " LOSSY " --ping-interval 0.2 "
	    "--quiet-pings --seed 13");
	it_send(p[0], "request %s", f);
	it_wait_line(p[0], IT_OUT, 0, 1, C_RECEIVED, size > MIB ? BIG_MS : IT_DEADLINE_MS);
	it_expect_classic_copy(p[0], p[1], f, want);
	it_expect_empty(p[2], IT_OUT, 0);
	/* Segments read together are acknowledged once: ACK lines may be fewer than segments. */
	IT_ASSERT(it_expect_file_lines_match(it_path_in(1, "requesting_log.txt"), LOG_LINE_ERE) >
	    segs, "requesting_log.txt: a rcv line per segment and ACKs");
	IT_ASSERT(it_expect_file_lines_match(it_path_in(3, "responding_log.txt"), LOG_LINE_ERE) >
	    segs, "responding_log.txt: a snd line per segment and ACKs");
	IT_ASSERT(count_prefix(it_path_in(1, "requesting_log.txt"), "rcv ") >= segs,
	    "every segment logged as received");
	IT_ASSERT(count_prefix(it_path_in(3, "responding_log.txt"), "snd ") +
	    count_prefix(it_path_in(3, "responding_log.txt"), "drop ") >= segs,
	    "every segment logged as sent or dropped");
	IT_ASSERT(count_prefix(it_path_in(3, "responding_log.txt"), "rcv ") ==
	    count_prefix(it_path_in(1, "requesting_log.txt"), "snd ") || segs > 1,
	    "the one segment's ACKs, logged at both ends");
	summary_file = f;
	it_wait_until(summaries_seen, p, IT_DEADLINE_MS,
	    "the summary lines: the requester's, and the owner's with the RTO");
}

IT_CASE(test_xfer_lossy_size_0)
{
	copy_lossy("0002", 0);
}
END_TEST

IT_CASE(test_xfer_lossy_size_1)
{
	copy_lossy("0003", 1);
}
END_TEST

IT_CASE(test_xfer_lossy_size_mss_minus_1)
{
	copy_lossy("0258", 399);
}
END_TEST

IT_CASE(test_xfer_lossy_size_mss)
{
	copy_lossy("0259", 400);
}
END_TEST

IT_CASE(test_xfer_lossy_size_mss_plus_1)
{
	copy_lossy("0514", 401);
}
END_TEST

IT_CASE(test_xfer_lossy_size_3mib)
{
	copy_lossy("0515", 3 * MIB);
}
END_TEST

/*
 * Window 1 is stop-and-wait: in the owner's log, a new segment goes out only after an ACK
 * came back (a retransmission or a drop repeats the segment in flight).
 */
IT_CASE(test_xfer_window_1_is_stop_and_wait)
{
	struct it_peer	*p[NSMALL];
	char		 want[4096], line[256];
	unsigned long	 inflight = 0, seq, t1, t2, t3;
	char		 ev[8];
	bool		 acked = true;
	size_t		 segs = 0;
	FILE		*f;

	snprintf(want, sizeof want, "%s", it_put_file(3, "0003.pdf", 40 * 1000, 3));
	it_ring(p, small_ids, NSMALL, IT_CLASSIC, "400 0.1 --window 1 --timeout 0.05 "
	    "--ping-interval 0.2 --quiet-pings --seed 5");
	it_send(p[0], "request 0003");
	it_wait_line(p[0], IT_OUT, 0, 1, C_RECEIVED, 20000);
	it_wait_file_equal(it_path_in(1, "received_0003.pdf"), want, IT_DEADLINE_MS);
	f = fopen(it_path_in(3, "responding_log.txt"), "r");
	IT_ASSERT(f != NULL, "open responding_log.txt");
	while (fgets(line, sizeof line, f) != NULL) {
		IT_ASSERT(sscanf(line, "%7s %lu.%lu %lu %lu %lu", ev, &t1, &t2, &seq, &t3, &t3) == 6,
		    "log line '%s'", line);
		if (strcmp(ev, "rcv") == 0) {
			acked = true;
			continue;
		}
		if (seq != inflight) {
			IT_ASSERT(acked, "segment %lu went out before segment %lu was acknowledged",
			    seq, inflight);
			segs++;
		}
		inflight = seq;
		acked = false;
	}
	fclose(f);
	IT_ASSERT(segs == 100, "100 segments of 400 bytes, saw %zu", segs);
	IT_ASSERT(count_prefix(it_path_in(3, "responding_log.txt"), "RTX ") > 0,
	    "drop 0.1 over 100 segments retransmits");
}
END_TEST

/*
 * Window 32 at drop 0: segments read together are acknowledged once (an in-order ACK waits
 * for the end of the datagrams read in one go), and every ACK sent is logged at both ends.
 * The requester's ACK lines are fewer than its segments, rise strictly (nothing is out of
 * order, so none is sent at once), and the last is the end of the file; the owner logs as
 * many ACKs received as the requester logged sent, and sends each segment once.
 */
IT_CASE(test_xfer_window_32_acks_once_per_read)
{
	struct it_peer	*p[NSMALL];
	char		 want[4096], line[256], ev[8];
	unsigned long	 t1, t2, seq, len, ack, last = 0;
	size_t		 size = MIB, segs = (MIB + 399) / 400, acks = 0;
	FILE		*f;

	snprintf(want, sizeof want, "%s", it_put_file(3, "0003.pdf", size, 7));
	it_ring(p, small_ids, NSMALL, IT_CLASSIC, "400 0 --window 32 --ping-interval 0.2 "
	    "--quiet-pings");
	it_send(p[0], "request 0003");
	it_wait_line(p[0], IT_OUT, 0, 1, C_RECEIVED, IT_DEADLINE_MS);
	it_wait_line(p[1], IT_OUT, 0, 1, C_SENT, IT_DEADLINE_MS);
	it_wait_file_equal(it_path_in(1, "received_0003.pdf"), want, IT_DEADLINE_MS);
	summary_file = "0003";
	it_wait_until(summaries_seen, p, IT_DEADLINE_MS, "the summary lines (logs flushed)");
	f = fopen(it_path_in(1, "requesting_log.txt"), "r");
	IT_ASSERT(f != NULL, "open requesting_log.txt");
	while (fgets(line, sizeof line, f) != NULL) {
		IT_ASSERT(sscanf(line, "%7s %lu.%lu %lu %lu %lu", ev, &t1, &t2, &seq, &len,
		    &ack) == 6, "log line '%s'", line);
		if (strcmp(ev, "snd") != 0)
			continue;
		IT_ASSERT(ack > last, "ACK %lu after ACK %lu: in-order ACKs only rise", ack, last);
		last = ack;
		acks++;
	}
	fclose(f);
	IT_ASSERT(last == size + 1, "the last ACK is the end of the file, saw %lu", last);
	IT_ASSERT(acks < segs, "%zu ACKs for %zu segments: some read together, ACKed once",
	    acks, segs);
	IT_ASSERT(count_prefix(it_path_in(1, "requesting_log.txt"), "rcv ") == segs,
	    "each segment received once");
	IT_ASSERT(count_prefix(it_path_in(3, "responding_log.txt"), "rcv ") == acks,
	    "the owner logs every ACK the requester logged");
	IT_ASSERT(count_prefix(it_path_in(3, "responding_log.txt"), "snd ") == segs,
	    "each segment sent once");
}
END_TEST

/*
 * Ring 1 3 4 5 8: 3 (peer 1's first successor) is killed, and a request typed at 1 at once
 * fails at its first hop: one line says it will be retried, and once 1 has a new first
 * successor it goes out again and the file (owned by 5) arrives.
 */
IT_CASE(test_xfer_request_retried_after_repair)
{
	struct it_peer	*p[NFIVE];
	char		 want[4096];
	size_t		 n;
	char		**lines;

	IT_ASSERT(it_owner(five_ids, NFIVE, 5) == 5, "0005 is owned by 5");
	snprintf(want, sizeof want, "%s", it_put_file(5, "0005.pdf", 20000, 5));
	it_ring(p, five_ids, NFIVE, IT_CLASSIC, "400 0 --ping-interval 0.2 --ping-timeout 0.5 "
	    "--quiet-pings");
	it_signal(p[1], SIGKILL);
	it_wait_exit(p[1], IT_DEADLINE_MS);
	it_send(p[0], "request 0005");
	it_wait_line(p[0], IT_OUT, 0, 1, C_RECEIVED, 15000);
	it_wait_file_equal(it_path_in(1, "received_0005.pdf"), want, IT_DEADLINE_MS);
	lines = it_lines(p[0], IT_ERR, 0, &n);
	{
		size_t retry = 0, failed = 0;

		for (size_t i = 0; i < n; i++) {
			retry += strstr(lines[i], "sending it again once the ring has repaired") !=
			    NULL;
			failed += strstr(lines[i], "could not pass the request") != NULL;
		}
		it_free_lines(lines);
		IT_ASSERT(retry == 1 && failed == 0, "one retry line (%zu) and no failure (%zu)",
		    retry, failed);
	}
	IT_ASSERT(it_count(p[0], IT_OUT, 0, c_req_sent("0005")) == 2,
	    "the request went out twice");
}
END_TEST

/* Is the last `status --json` line of peer arg a transfer with figures? */
static bool
json_shows_transfer(void *arg)
{
	struct it_peer	*p = arg;
	size_t		 n;
	char		**lines = it_lines(p, IT_OUT, 0, &n);
	bool		 ok = false;

	for (size_t i = n; i > 0 && !ok; i--) {
		const char *l = lines[i - 1];

		if (l[0] != '{')
			continue;
		ok = strstr(l, "\"transfers\":[{") != NULL && strstr(l, "\"file\":\"0515\"") &&
		    strstr(l, "\"percent\":") && !strstr(l, "\"percent\":null") &&
		    strstr(l, "\"rate_bps\":") && !strstr(l, "\"rate_bps\":null") &&
		    strstr(l, "\"window\":4") && strstr(l, "\"timeout\":\"0.1\"");
		break;
	}
	it_free_lines(lines);
	if (!ok)
		it_send(p, "status --json");
	return ok;
}

/* Have both ends (requester p[0], owner p[1]) printed a progress line? */
static bool
progress_seen(void *arg)
{
	struct it_peer **p = arg;

	return it_contains(p[0], IT_ERR, "receiving 0515 from peer 3: ") &&
	    it_contains(p[1], IT_ERR, "sending 0515 to peer 1: ");
}

/*
 * A slow transfer (3 MiB at drop 0.3, fixed 0.1 s timeout) prints progress lines at both
 * ends once it has run 2 s, and `status --json` lists it with its figures (the owner's with
 * its RTO).
 */
IT_CASE(test_xfer_progress_and_status)
{
	struct it_peer	*p[NSMALL];

	it_put_file(3, "0515.pdf", 3 * MIB, 515);
	it_ring(p, small_ids, NSMALL, IT_CLASSIC, "400 0.3 --window 4 --timeout 0.1 "
	    "--ping-interval 0.2 --quiet-pings");
	it_send(p[0], "request 0515");
	it_wait_line(p[0], IT_OUT, 0, 1, C_START_RECV, IT_DEADLINE_MS);
	it_wait_until(json_shows_transfer, p[0], IT_DEADLINE_MS, "peer 1's status --json lists "
	    "the transfer with its figures");
	it_wait_until(json_shows_transfer, p[1], IT_DEADLINE_MS, "peer 3's status --json lists "
	    "the transfer with its figures");
	IT_ASSERT(it_contains(p[1], IT_OUT, "\"rto_ms\":100"), "the owner's RTO is 100 ms");
	it_wait_until(progress_seen, p, 8000, "progress lines at both ends");
	IT_ASSERT(it_contains(p[0], IT_ERR, "receiving 0515 from peer 3: ") &&
	    it_contains(p[0], IT_ERR, " of 3.0 MiB ("), "the requester's progress line");
	IT_ASSERT(it_contains(p[1], IT_ERR, "sending 0515 to peer 1: ") &&
	    it_contains(p[1], IT_ERR, "/s, about "), "the owner's progress line");
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "xfer");
}
