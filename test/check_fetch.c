/*
 * Unit tests of the requester's side of a transfer: fake clock, scripted answers and
 * segments. Each input's actions are checked as one line of text, in order, e.g.
 * "EVENT:response OPEN LOG WRITE@0+400 ACK=401 LOG".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/fetch.h"


#define T_NOW		5000	/* ms, fake clock at the start (not 0 on purpose) */
#define T_ID		0xabcd1234u
#define T_FILE		2012
#define T_OWNER		8
#define T_OTHER		9
#define T_MSS		400	/* bytes */
#define T_GIVE_UP	XFER_GIVE_UP_MS

static struct fetch	f;	/* the request under test, fresh for every test */
static uint32_t		last_sack;	/* the sack of the last ACK text_of saw */

/* A fresh request, sent at T_NOW. */
static void
setup(void)
{
	fetch_init(&f, T_ID, T_FILE, T_NOW);
}

/* The console events the fetch machine uses, by name. */
static const char *
event_name(enum console_kind k)
{
	switch (k) {
	case CON_FILE_RSP_RCVD:
		return "response";
	case CON_FILE_RECEIVED:
		return "received";
	case CON_FILE_ABSENT:
		return "absent";
	default:
		return "other";
	}
}

/* The actions of out as one line of text (static buffer). */
static const char *
text_of(const struct fetch_out *out)
{
	static char	buf[512];
	size_t		len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < out->n; i++) {
		const struct fetch_action	*a = &out->a[i];
		static const char *const	 names[] = {
			[FETCH_ACT_EVENT] = "EVENT", [FETCH_ACT_WARN] = "WARN",
			[FETCH_ACT_SAY] = "SAY", [FETCH_ACT_OPEN] = "OPEN",
			[FETCH_ACT_WRITE] = "WRITE", [FETCH_ACT_LOG] = "LOG",
			[FETCH_ACT_FLUSH] = "FLUSH", [FETCH_ACT_ACK] = "ACK",
			[FETCH_ACT_BODY] = "BODY", [FETCH_ACT_COMMIT] = "COMMIT",
			[FETCH_ACT_DISCARD] = "DISCARD", [FETCH_ACT_FORGET] = "FORGET",
		};

		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i > 0 ? " " : "",
		    names[a->kind]);
		if (a->kind == FETCH_ACT_EVENT)
			len += (size_t)snprintf(buf + len, sizeof buf - len, ":%s",
			    event_name(a->ev.kind));
		else if (a->kind == FETCH_ACT_WRITE)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "@%u+%u", a->offset,
			    a->len);
		else if (a->kind == FETCH_ACT_ACK) {
			len += (size_t)snprintf(buf + len, sizeof buf - len, "=%u", a->ack);
			last_sack = a->sack;
		}
		else if (a->kind == FETCH_ACT_BODY)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "=%u", a->size);
	}
	return buf;
}

/* The owner's answer for T_FILE; its actions. */
static const char *
answer(uint8_t from, bool have, uint32_t size, bool tcp, uint64_t now)
{
	struct fetch_out out = { .n = 0 };

	fetch_on_answer(&f, from, T_FILE, have, size, tcp, now, &out);
	return text_of(&out);
}

/* A data segment; its actions. */
static const char *
segment(uint8_t from, uint32_t seq, uint16_t len, bool last, uint64_t now)
{
	struct fetch_out out = { .n = 0 };

	fetch_on_data(&f, from, seq, len, last, now, &out);
	return text_of(&out);
}

/* Time is now; the actions. */
static const char *
tick(uint64_t now)
{
	struct fetch_out out = { .n = 0 };

	fetch_tick(&f, now, &out);
	return text_of(&out);
}

/* The TCP body ended; its actions. */
static const char *
body(bool ok, uint64_t now)
{
	struct fetch_out out = { .n = 0 };

	fetch_on_body(&f, ok, now, &out);
	return text_of(&out);
}

CASE("requester", test_fetch_udp_answer_then_data_commits)
{
	ck_assert_str_eq(answer(T_OWNER, true, 2 * T_MSS, false, T_NOW + 10),
	    "EVENT:response OPEN");
	ck_assert_int_eq(f.state, FETCH_UDP);
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, false, T_NOW + 20),
	    "LOG WRITE@0+400 ACK=401 LOG");
	ck_assert_str_eq(segment(T_OWNER, T_MSS + 1, T_MSS, true, T_NOW + 30),
	    "LOG WRITE@400+400 ACK=801 LOG FLUSH COMMIT EVENT:received");
	ck_assert_int_eq(f.state, FETCH_DONE);
	ck_assert_uint_eq(f.bytes, 2 * T_MSS);
}
END_TEST

CASE("requester", test_fetch_data_before_the_answer_is_the_answer)
{
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, false, T_NOW + 5),
	    "EVENT:response OPEN LOG WRITE@0+400 ACK=401 LOG");
	/* The answer comes later: only its size is news; no second "response" line. */
	ck_assert_str_eq(answer(T_OWNER, true, 3 * T_MSS, false, T_NOW + 10), "");
	ck_assert(f.size_known && f.size == 3 * T_MSS);
}
END_TEST

CASE("requester", test_fetch_small_file_complete_before_its_answer)
{
	ck_assert_str_eq(segment(T_OWNER, 1, 10, true, T_NOW + 5),
	    "EVENT:response OPEN LOG WRITE@0+10 ACK=11 LOG FLUSH COMMIT EVENT:received");
	ck_assert_str_eq(answer(T_OWNER, true, 10, false, T_NOW + 8), "");
}
END_TEST

CASE("requester", test_fetch_long_body_already_in_is_discarded)
{
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 5);
	ck_assert_str_eq(answer(T_OWNER, true, T_MSS - 1, false, T_NOW + 8),
	    "WARN DISCARD FORGET");
	ck_assert_int_eq(f.state, FETCH_OVER);
}
END_TEST

CASE("requester", test_fetch_segment_past_the_size_is_dropped)
{
	answer(T_OWNER, true, T_MSS, false, T_NOW);
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS + 1, false, T_NOW + 1), "WARN");
	ck_assert_int_eq(f.state, FETCH_UDP);
}
END_TEST

CASE("requester", test_fetch_short_last_segment_is_dropped)
{
	answer(T_OWNER, true, 2 * T_MSS, false, T_NOW);
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, true, T_NOW + 1), "WARN");
}
END_TEST

CASE("requester", test_fetch_short_last_segment_after_early_data_is_dropped)
{
	/* Data first, then an answer with a size the last segment falls short of. */
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 1);
	answer(T_OWNER, true, 3 * T_MSS, false, T_NOW + 2);
	ck_assert_str_eq(segment(T_OWNER, T_MSS + 1, T_MSS, true, T_NOW + 3), "WARN");
	ck_assert_int_eq(f.state, FETCH_UDP);
}
END_TEST

CASE("requester", test_fetch_duplicate_segment_acked_not_written)
{
	answer(T_OWNER, true, 3 * T_MSS, false, T_NOW);
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 1);
	/* Our ACK was lost: the owner sends the segment again. */
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, false, T_NOW + 2), "LOG ACK=401 LOG");
	ck_assert_uint_eq(f.bytes, T_MSS);
}
END_TEST

CASE("requester", test_fetch_linger_acks_duplicates_then_forgets)
{
	answer(T_OWNER, true, T_MSS, false, T_NOW);
	segment(T_OWNER, 1, T_MSS, true, T_NOW + 1);
	ck_assert_uint_eq(f.deadline, T_NOW + 1 + FETCH_LINGER_MS);
	/* The last ACK was lost: it is sent again, nothing is committed twice. */
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, true, T_NOW + 2000), "LOG ACK=401 LOG");
	ck_assert_str_eq(tick(T_NOW + FETCH_LINGER_MS), "");
	ck_assert_str_eq(tick(T_NOW + 1 + FETCH_LINGER_MS), "FORGET");
}
END_TEST

CASE("requester", test_fetch_no_answer_gives_up_once)
{
	ck_assert_str_eq(tick(T_NOW + FETCH_ANSWER_WAIT_MS - 1), "");
	ck_assert_str_eq(tick(T_NOW + FETCH_ANSWER_WAIT_MS), "SAY FORGET");
	ck_assert_str_eq(tick(T_NOW + 2 * FETCH_ANSWER_WAIT_MS), "");
}
END_TEST

CASE("requester", test_fetch_late_answer_after_give_up_is_ignored)
{
	tick(T_NOW + FETCH_ANSWER_WAIT_MS);
	ck_assert_int_eq(f.state, FETCH_OVER);
	ck_assert_str_eq(answer(T_OWNER, true, T_MSS, false, T_NOW + FETCH_ANSWER_WAIT_MS + 5),
	    "");
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, true, T_NOW + FETCH_ANSWER_WAIT_MS + 6), "");
}
END_TEST

CASE("requester", test_fetch_last_segment_lost_gives_up_and_discards)
{
	answer(T_OWNER, true, 2 * T_MSS, false, T_NOW);
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 100);
	ck_assert_uint_eq(f.deadline, T_NOW + 100 + T_GIVE_UP);
	/* The last segment never comes. */
	ck_assert_str_eq(tick(T_NOW + 99 + T_GIVE_UP), "");
	ck_assert_str_eq(tick(T_NOW + 100 + T_GIVE_UP), "WARN DISCARD FORGET");
}
END_TEST

CASE("requester", test_fetch_absent_answer)
{
	ck_assert_str_eq(answer(T_OWNER, false, 0, false, T_NOW + 1), "EVENT:absent FORGET");
}
END_TEST

CASE("requester", test_fetch_answer_from_the_wrong_peer_is_ignored)
{
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 1);
	ck_assert_str_eq(answer(T_OTHER, false, 0, false, T_NOW + 2), "WARN");
	ck_assert_int_eq(f.state, FETCH_UDP);
	/* Nor do its segments count. */
	ck_assert_str_eq(segment(T_OTHER, T_MSS + 1, 5, true, T_NOW + 3), "");
}
END_TEST

CASE("requester", test_fetch_answer_for_another_file_is_ignored)
{
	struct fetch_out out = { .n = 0 };

	fetch_on_answer(&f, T_OWNER, T_FILE + 1, true, 10, false, T_NOW, &out);
	ck_assert_str_eq(text_of(&out), "WARN");
	ck_assert_int_eq(f.state, FETCH_WAITING);
}
END_TEST

CASE("requester", test_fetch_tcp_body_commits_and_forgets)
{
	ck_assert_str_eq(answer(T_OWNER, true, 5000, true, T_NOW), "EVENT:response OPEN BODY=5000");
	ck_assert_uint_eq(f.deadline, FETCH_NEVER);
	/* UDP segments do not belong to a TCP transfer. */
	ck_assert_str_eq(segment(T_OWNER, 1, 10, false, T_NOW + 1), "");
	ck_assert_str_eq(body(true, T_NOW + 2), "FLUSH COMMIT EVENT:received FORGET");
}
END_TEST

CASE("requester", test_fetch_tcp_body_failed_discards)
{
	answer(T_OWNER, true, 5000, true, T_NOW);
	ck_assert_str_eq(body(false, T_NOW + 2), "WARN DISCARD FORGET");
}
END_TEST

CASE("requester", test_fetch_tcp_empty_file_commits_at_once)
{
	ck_assert_str_eq(answer(T_OWNER, true, 0, true, T_NOW),
	    "EVENT:response OPEN FLUSH COMMIT EVENT:received");
	ck_assert_int_eq(f.state, FETCH_DONE);
}
END_TEST

CASE("requester", test_fetch_abort_discards_and_forgets)
{
	struct fetch_out out = { .n = 0 };

	answer(T_OWNER, true, 100, false, T_NOW);
	fetch_abort(&f, &out);
	ck_assert_str_eq(text_of(&out), "DISCARD FORGET");
	out.n = 0;
	fetch_abort(&f, &out);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

/* A segment ahead of a gap is written at once and selectively acknowledged. */
CASE("requester", test_fetch_segment_ahead_of_a_gap_is_held)
{
	answer(T_OWNER, true, 3 * T_MSS, false, T_NOW);
	ck_assert_str_eq(segment(T_OWNER, T_MSS + 1, T_MSS, false, T_NOW + 1),
	    "LOG WRITE@400+400 ACK=1 LOG");
	ck_assert_uint_eq(last_sack, T_MSS + 1);
	ck_assert_str_eq(segment(T_OWNER, 2 * T_MSS + 1, T_MSS, true, T_NOW + 2),
	    "LOG WRITE@800+400 ACK=1 LOG");
	ck_assert_str_eq(segment(T_OWNER, 1, T_MSS, false, T_NOW + 3),
	    "LOG WRITE@0+400 ACK=1201 LOG FLUSH COMMIT EVENT:received");
	ck_assert_uint_eq(last_sack, 1);
	ck_assert_uint_eq(f.bytes, 3 * T_MSS);
}
END_TEST

/* A segment far outside the window is refused: the ACK repeats what we expect, sack 0. */
CASE("requester", test_fetch_segment_outside_the_window_is_refused)
{
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 1);
	ck_assert_str_eq(segment(T_OWNER, 1 + 1000 * T_MSS, T_MSS, false, T_NOW + 2),
	    "LOG ACK=401 LOG");
	ck_assert_uint_eq(last_sack, 0);
	ck_assert_uint_eq(f.bytes, T_MSS);
}
END_TEST

/* A late answer's size is checked against bytes written ahead of a gap too. */
CASE("requester", test_fetch_late_size_counts_bytes_ahead_of_a_gap)
{
	segment(T_OWNER, 1, T_MSS, false, T_NOW + 1);
	segment(T_OWNER, 2 * T_MSS + 1, T_MSS, false, T_NOW + 2);
	ck_assert_str_eq(answer(T_OWNER, true, 2 * T_MSS, false, T_NOW + 3),
	    "WARN DISCARD FORGET");
}
END_TEST

/* A request whose first hop failed says so once and waits for a new first successor. */
CASE("requester", test_fetch_unsent_waits_for_repair_then_resends_once)
{
	struct fetch_out out = { .n = 0 };

	ck_assert(fetch_on_unsent(&f, T_OTHER, T_NOW + 1, &out));
	ck_assert_str_eq(text_of(&out), "SAY");
	ck_assert_ptr_nonnull(strstr(out.a[0].text, "sending it again"));
	ck_assert(!fetch_resend_due(&f, -1, T_NOW + 2));	/* no successor yet */
	ck_assert(!fetch_resend_due(&f, T_OTHER, T_NOW + 3));	/* still the dead one */
	ck_assert_uint_eq(f.deadline, T_NOW + FETCH_ANSWER_WAIT_MS);
	ck_assert(fetch_resend_due(&f, T_OWNER, T_NOW + 500));
	ck_assert_uint_eq(f.deadline, T_NOW + 500 + FETCH_ANSWER_WAIT_MS);
	ck_assert(!fetch_resend_due(&f, T_OWNER, T_NOW + 501));
	/* A second failure is reported as usual. */
	out.n = 0;
	ck_assert(!fetch_on_unsent(&f, T_OWNER, T_NOW + 600, &out));
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

/* Once answered, a failure of the request's first hop is not ours to retry. */
CASE("requester", test_fetch_unsent_after_the_answer_is_not_retried)
{
	struct fetch_out out = { .n = 0 };

	answer(T_OWNER, true, T_MSS, false, T_NOW);
	ck_assert(!fetch_on_unsent(&f, T_OTHER, T_NOW + 1, &out));
	ck_assert_uint_eq(out.n, 0);
	ck_assert(!fetch_resend_due(&f, T_OWNER, T_NOW + 2));
}
END_TEST

/* A request waiting for repair still gives up when its wait ends. */
CASE("requester", test_fetch_unsent_never_repaired_gives_up)
{
	struct fetch_out out = { .n = 0 };

	fetch_on_unsent(&f, T_OTHER, T_NOW + 1, &out);
	ck_assert_str_eq(tick(T_NOW + FETCH_ANSWER_WAIT_MS), "SAY FORGET");
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("fetch", CASE_OPTS({ "requester", 0, setup, NULL }));
}
