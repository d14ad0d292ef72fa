/* Unit tests of the requester's side of a transfer: fake clock, scripted answers and segments. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdht/fetch.h"

#define T_NOW		5000	/* ms, fake clock at the start (not 0 on purpose) */
#define T_ID		0xabcd1234u
#define T_FILE		2012
#define T_OWNER		8
#define T_OTHER		9
#define T_MSS		400	/* bytes */

/* How many actions of this kind out holds. */
static size_t
count(const struct fetch_out *out, enum fetch_act_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < out->n; i++)
		n += out->a[i].kind == kind;
	return n;
}

/* The first action of this kind (fails the test if there is none). */
static const struct fetch_action *
first(const struct fetch_out *out, enum fetch_act_kind kind)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (out->a[i].kind == kind)
			return &out->a[i];
	ck_abort_msg("no action of kind %d among %zu", kind, out->n);
	return NULL;
}

/* Is there an EVENT of this console kind? */
static bool
has_event(const struct fetch_out *out, enum console_kind kind)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (out->a[i].kind == FETCH_ACT_EVENT && out->a[i].ev.kind == kind)
			return true;
	return false;
}

/* A fresh request and an empty outbox. */
static void
start(struct fetch *f, struct fetch_out *out)
{
	fetch_init(f, T_ID, T_FILE, T_NOW);
	memset(out, 0, sizeof *out);
}

/* Feed an answer into a cleared outbox. */
static void
answer(struct fetch *f, struct fetch_out *out, uint8_t from, bool have, uint32_t size, bool tcp,
    uint64_t now)
{
	out->n = 0;
	fetch_on_answer(f, from, T_FILE, have, size, tcp, now, out);
}

/* Feed a segment into a cleared outbox. */
static void
segment(struct fetch *f, struct fetch_out *out, uint8_t from, uint32_t seq, uint16_t len,
    bool last, uint64_t now)
{
	out->n = 0;
	fetch_on_data(f, from, seq, len, last, now, out);
}

/* Feed a tick into a cleared outbox. */
static void
tick(struct fetch *f, struct fetch_out *out, uint64_t now)
{
	out->n = 0;
	fetch_tick(f, now, out);
}

START_TEST(test_fetch_udp_answer_then_data_commits)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 2 * T_MSS, false, T_NOW + 10);
	ck_assert(has_event(&out, CON_FILE_RSP_RCVD));
	ck_assert_uint_eq(count(&out, FETCH_ACT_OPEN), 1);
	ck_assert_int_eq(f.state, FETCH_UDP);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 20);
	ck_assert_uint_eq(first(&out, FETCH_ACT_WRITE)->offset, 0);
	ck_assert_uint_eq(first(&out, FETCH_ACT_ACK)->ack, T_MSS + 1);
	segment(&f, &out, T_OWNER, T_MSS + 1, T_MSS, true, T_NOW + 30);
	ck_assert_uint_eq(first(&out, FETCH_ACT_WRITE)->offset, T_MSS);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 1);
	ck_assert(has_event(&out, CON_FILE_RECEIVED));
	ck_assert_int_eq(f.state, FETCH_DONE);
	ck_assert_uint_eq(f.bytes, 2 * T_MSS);
}
END_TEST

START_TEST(test_fetch_data_before_the_answer_is_the_answer)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 5);
	ck_assert(has_event(&out, CON_FILE_RSP_RCVD));
	ck_assert_int_eq(out.a[0].kind, FETCH_ACT_EVENT);
	ck_assert_uint_eq(count(&out, FETCH_ACT_OPEN), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WRITE), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_ACK), 1);
	/* The answer comes later: only its size is news; no second "response" line. */
	answer(&f, &out, T_OWNER, true, 3 * T_MSS, false, T_NOW + 10);
	ck_assert_uint_eq(out.n, 0);
	ck_assert(f.size_known);
	ck_assert_uint_eq(f.size, 3 * T_MSS);
}
END_TEST

START_TEST(test_fetch_small_file_complete_before_its_answer)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	segment(&f, &out, T_OWNER, 1, 10, true, T_NOW + 5);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 1);
	ck_assert_int_eq(f.state, FETCH_DONE);
	answer(&f, &out, T_OWNER, true, 10, false, T_NOW + 8);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

START_TEST(test_fetch_long_body_already_in_is_discarded)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 5);
	answer(&f, &out, T_OWNER, true, T_MSS - 1, false, T_NOW + 8);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 1);
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
	ck_assert_int_eq(f.state, FETCH_OVER);
}
END_TEST

START_TEST(test_fetch_segment_past_the_size_is_dropped)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, T_MSS, false, T_NOW);
	segment(&f, &out, T_OWNER, 1, T_MSS + 1, false, T_NOW + 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WRITE), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_ACK), 0);
	ck_assert_int_eq(f.state, FETCH_UDP);
}
END_TEST

START_TEST(test_fetch_short_last_segment_is_dropped)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 2 * T_MSS, false, T_NOW);
	segment(&f, &out, T_OWNER, 1, T_MSS, true, T_NOW + 1);	/* "last", but short */
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WRITE), 0);
}
END_TEST

START_TEST(test_fetch_short_body_before_answer_is_discarded_at_the_end)
{
	struct fetch f;
	struct fetch_out out;

	/* Data first, then an answer with a size the last segment falls short of. */
	start(&f, &out);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 1);
	answer(&f, &out, T_OWNER, true, 3 * T_MSS, false, T_NOW + 2);
	segment(&f, &out, T_OWNER, T_MSS + 1, T_MSS, true, T_NOW + 3);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
}
END_TEST

START_TEST(test_fetch_duplicate_segment_acked_not_written)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 3 * T_MSS, false, T_NOW);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 1);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 2);	/* our ACK was lost */
	ck_assert_uint_eq(count(&out, FETCH_ACT_WRITE), 0);
	ck_assert_uint_eq(first(&out, FETCH_ACT_ACK)->ack, T_MSS + 1);
	ck_assert_uint_eq(f.bytes, T_MSS);
}
END_TEST

START_TEST(test_fetch_linger_acks_duplicates_then_forgets)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, T_MSS, false, T_NOW);
	segment(&f, &out, T_OWNER, 1, T_MSS, true, T_NOW + 1);
	ck_assert_int_eq(f.state, FETCH_DONE);
	ck_assert_uint_eq(f.deadline, T_NOW + 1 + FETCH_LINGER_MS);
	segment(&f, &out, T_OWNER, 1, T_MSS, true, T_NOW + 2000);	/* the last ACK was lost */
	ck_assert_uint_eq(count(&out, FETCH_ACT_ACK), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 0);
	tick(&f, &out, T_NOW + FETCH_LINGER_MS);
	ck_assert_uint_eq(out.n, 0);
	tick(&f, &out, T_NOW + 1 + FETCH_LINGER_MS);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_int_eq(out.a[0].kind, FETCH_ACT_FORGET);
}
END_TEST

START_TEST(test_fetch_no_answer_gives_up_once)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	tick(&f, &out, T_NOW + FETCH_ANSWER_WAIT_MS - 1);
	ck_assert_uint_eq(out.n, 0);
	tick(&f, &out, T_NOW + FETCH_ANSWER_WAIT_MS);
	ck_assert_uint_eq(count(&out, FETCH_ACT_SAY), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 0);
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
	tick(&f, &out, T_NOW + 2 * FETCH_ANSWER_WAIT_MS);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

START_TEST(test_fetch_late_answer_after_give_up_is_ignored)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	tick(&f, &out, T_NOW + FETCH_ANSWER_WAIT_MS);
	ck_assert_int_eq(f.state, FETCH_OVER);
	answer(&f, &out, T_OWNER, true, T_MSS, false, T_NOW + FETCH_ANSWER_WAIT_MS + 5);
	ck_assert_uint_eq(out.n, 0);
	segment(&f, &out, T_OWNER, 1, T_MSS, true, T_NOW + FETCH_ANSWER_WAIT_MS + 6);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

START_TEST(test_fetch_last_segment_lost_gives_up_and_discards)
{
	struct fetch f;
	struct fetch_out out;
	uint64_t t = T_NOW + 100;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 2 * T_MSS, false, T_NOW);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, t);
	ck_assert_uint_eq(f.deadline, t + XFER_GIVE_UP_MS);
	/* The last segment never comes. */
	tick(&f, &out, t + XFER_GIVE_UP_MS - 1);
	ck_assert_uint_eq(out.n, 0);
	tick(&f, &out, t + XFER_GIVE_UP_MS);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 1);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 0);
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
}
END_TEST

START_TEST(test_fetch_absent_answer)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, false, 0, false, T_NOW + 1);
	ck_assert(has_event(&out, CON_FILE_ABSENT));
	ck_assert_uint_eq(count(&out, FETCH_ACT_OPEN), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 0);
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
}
END_TEST

START_TEST(test_fetch_answer_from_the_wrong_peer_is_ignored)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	segment(&f, &out, T_OWNER, 1, T_MSS, false, T_NOW + 1);
	answer(&f, &out, T_OTHER, false, 0, false, T_NOW + 2);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert(!has_event(&out, CON_FILE_ABSENT));
	ck_assert_int_eq(f.state, FETCH_UDP);
	/* Nor do its segments count. */
	segment(&f, &out, T_OTHER, T_MSS + 1, 5, true, T_NOW + 3);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

START_TEST(test_fetch_answer_for_another_file_is_ignored)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	out.n = 0;
	fetch_on_answer(&f, T_OWNER, T_FILE + 1, true, 10, false, T_NOW, &out);
	ck_assert_uint_eq(count(&out, FETCH_ACT_WARN), 1);
	ck_assert_int_eq(f.state, FETCH_WAITING);
}
END_TEST

START_TEST(test_fetch_tcp_body_commits_and_forgets)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 5000, true, T_NOW);
	ck_assert_uint_eq(first(&out, FETCH_ACT_BODY)->size, 5000);
	ck_assert_int_eq(f.state, FETCH_TCP);
	ck_assert_uint_eq(f.deadline, FETCH_NEVER);
	/* UDP segments do not belong to a TCP transfer. */
	segment(&f, &out, T_OWNER, 1, 10, false, T_NOW + 1);
	ck_assert_uint_eq(out.n, 0);
	out.n = 0;
	fetch_on_body(&f, true, T_NOW + 2, &out);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 1);
	ck_assert(has_event(&out, CON_FILE_RECEIVED));
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
}
END_TEST

START_TEST(test_fetch_tcp_body_failed_discards)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 5000, true, T_NOW);
	out.n = 0;
	fetch_on_body(&f, false, T_NOW + 2, &out);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 1);
	ck_assert(!has_event(&out, CON_FILE_RECEIVED));
}
END_TEST

START_TEST(test_fetch_tcp_empty_file_commits_at_once)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 0, true, T_NOW);
	ck_assert_uint_eq(count(&out, FETCH_ACT_BODY), 0);
	ck_assert_uint_eq(count(&out, FETCH_ACT_COMMIT), 1);
	ck_assert_int_eq(f.state, FETCH_DONE);
}
END_TEST

START_TEST(test_fetch_abort_discards_and_forgets)
{
	struct fetch f;
	struct fetch_out out;

	start(&f, &out);
	answer(&f, &out, T_OWNER, true, 100, false, T_NOW);
	out.n = 0;
	fetch_abort(&f, &out);
	ck_assert_uint_eq(count(&out, FETCH_ACT_DISCARD), 1);
	ck_assert_int_eq(out.a[out.n - 1].kind, FETCH_ACT_FORGET);
	out.n = 0;
	fetch_abort(&f, &out);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

static Suite *
fetch_suite(void)
{
	Suite	*s = suite_create("fetch");
	TCase	*tc = tcase_create("requester");

	tcase_add_test(tc, test_fetch_udp_answer_then_data_commits);
	tcase_add_test(tc, test_fetch_data_before_the_answer_is_the_answer);
	tcase_add_test(tc, test_fetch_small_file_complete_before_its_answer);
	tcase_add_test(tc, test_fetch_long_body_already_in_is_discarded);
	tcase_add_test(tc, test_fetch_segment_past_the_size_is_dropped);
	tcase_add_test(tc, test_fetch_short_last_segment_is_dropped);
	tcase_add_test(tc, test_fetch_short_body_before_answer_is_discarded_at_the_end);
	tcase_add_test(tc, test_fetch_duplicate_segment_acked_not_written);
	tcase_add_test(tc, test_fetch_linger_acks_duplicates_then_forgets);
	tcase_add_test(tc, test_fetch_no_answer_gives_up_once);
	tcase_add_test(tc, test_fetch_late_answer_after_give_up_is_ignored);
	tcase_add_test(tc, test_fetch_last_segment_lost_gives_up_and_discards);
	tcase_add_test(tc, test_fetch_absent_answer);
	tcase_add_test(tc, test_fetch_answer_from_the_wrong_peer_is_ignored);
	tcase_add_test(tc, test_fetch_answer_for_another_file_is_ignored);
	tcase_add_test(tc, test_fetch_tcp_body_commits_and_forgets);
	tcase_add_test(tc, test_fetch_tcp_body_failed_discards);
	tcase_add_test(tc, test_fetch_tcp_empty_file_commits_at_once);
	tcase_add_test(tc, test_fetch_abort_discards_and_forgets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fetch_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
