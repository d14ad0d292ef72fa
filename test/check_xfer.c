/* Unit tests of the stop-and-wait engine: sender and receiver back to back, fake clock, scripted loss. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdht/xfer.h"

#define T_TIMEOUT_MS	1000		/* ms, retransmission timeout used by the harness */
#define T_START_MS	7000		/* ms, fake clock at the start of a run (not 0 on purpose) */
#define T_LOG_MAX	256		/* events kept verbatim per run */
#define T_STEP_MAX	10000000	/* harness steps before a run counts as stuck */
#define T_MIB		(1024 * 1024)	/* bytes */
#define T_SEED		0x5eedULL	/* drop emulation seed */
#define T_FILL_SEED	0xf11eULL	/* seed of the file contents */
#define T_DRAWS		10000		/* draws for the statistical tests */
#define T_GIVE_UP_ROUNDS	(XFER_GIVE_UP_MS / T_TIMEOUT_MS)	/* timeouts before giving up */

/*
 * One transfer wired back to back in memory. The wire can lose data segments (lose, on the
 * n-th one put on the wire, on top of drop emulation) and ACKs (lose_ack, on the n-th ACK).
 */
struct harness {
	/* inputs */
	uint32_t		size;
	uint16_t		mss;
	double			drop;
	uint64_t		seed;
	bool			(*lose)(uint32_t n, const struct xfer_seg *seg, void *arg);
	bool			(*lose_ack)(uint32_t n, void *arg);
	void			*arg;
	/* state */
	struct xfer_tx		tx;
	struct xfer_rx		rx;
	struct xfer_rng		rng;
	uint64_t		now;
	uint8_t			*src;
	uint8_t			*dst;
	/* outputs */
	enum xfer_result	end;
	uint32_t		attempts;	/* data segments put on the wire */
	uint32_t		acks;		/* ACKs the receiver sent */
	uint32_t		n_snd, n_rtx, n_drop;
	uint32_t		n_lost, n_ack_lost;
	uint32_t		writes, completes, dups, bads;
	uint32_t		ignored_acks;
	uint32_t		nlog;		/* all events; the first T_LOG_MAX are in log */
	enum xfer_log_event	log[T_LOG_MAX];
};

/* Scripted loss patterns; arg points at a struct lose_range where one is needed. */
struct lose_range {
	uint32_t	first, last;	/* transmissions or ACKs, from 1, inclusive */
};

/* Loses the data transmissions numbered first..last. */
static bool
lose_in_range(uint32_t n, const struct xfer_seg *seg, void *arg)
{
	const struct lose_range	*r = arg;

	(void)seg;
	return n >= r->first && n <= r->last;
}

/* Loses every even-numbered data transmission. */
static bool
lose_even(uint32_t n, const struct xfer_seg *seg, void *arg)
{
	(void)seg;
	(void)arg;
	return n % 2 == 0;
}

/* Loses the first transmission of every even-numbered segment (segments count from 1). */
static bool
lose_even_segment_once(uint32_t n, const struct xfer_seg *seg, void *arg)
{
	const uint16_t	*mss = arg;

	(void)n;
	return seg->event == XFER_LOG_SND && (seg->seq - 1) / *mss % 2 == 1;
}

/* Lets the first transmission through, then only every T_GIVE_UP_ROUNDS-th one. */
static bool
lose_after_first_all_but_every_round(uint32_t n, const struct xfer_seg *seg, void *arg)
{
	(void)seg;
	(void)arg;
	return n > 1 && (n - 1) % T_GIVE_UP_ROUNDS != 0;
}

/* Loses the ACKs numbered first..last. */
static bool
lose_ack_in_range(uint32_t n, void *arg)
{
	const struct lose_range	*r = arg;

	return n >= r->first && n <= r->last;
}

/* Segments a file of size bytes takes: an empty file is one empty segment. */
static uint32_t
harness_nsegs(uint32_t size, uint16_t mss)
{
	return size == 0 ? 1 : (size + mss - 1) / mss;
}

/* Sets up a lossless run of size bytes in mss-byte segments. */
static void
harness_init(struct harness *h, uint32_t size, uint16_t mss)
{
	memset(h, 0, sizeof *h);
	h->size = size;
	h->mss = mss;
	h->seed = T_SEED;
}

/* Records seg, and carries it to the receiver and its ACK back; false if nothing comes back. */
static bool
harness_carry(struct harness *h, const struct xfer_seg *seg, uint32_t *ack)
{
	enum xfer_rx_result	r;

	if (h->nlog < T_LOG_MAX)
		h->log[h->nlog] = seg->event;
	h->nlog++;
	ck_assert_uint_ge(seg->seq, 1);
	ck_assert_uint_le(seg->len, h->mss);
	ck_assert_uint_le((uint64_t)seg->seq - 1 + seg->len, h->size);
	ck_assert(seg->last == ((uint64_t)seg->seq - 1 + seg->len == h->size));
	ck_assert(seg->send == (seg->event != XFER_LOG_DROP));
	switch (seg->event) {
	case XFER_LOG_SND:
		h->n_snd++;
		break;
	case XFER_LOG_RTX:
		h->n_rtx++;
		break;
	case XFER_LOG_DROP:
		h->n_drop++;
		return false;
	default:
		ck_abort_msg("sender logged event %d for data", (int)seg->event);
	}
	h->attempts++;
	if (h->lose != NULL && h->lose(h->attempts, seg, h->arg)) {
		h->n_lost++;
		return false;
	}
	r = xfer_rx_on_data(&h->rx, seg->seq, seg->len, seg->last, h->now, ack);
	switch (r) {
	case XFER_RX_COMPLETE:
		h->completes++;
		/* FALLTHROUGH */
	case XFER_RX_WRITE:
		h->writes++;
		memcpy(h->dst + seg->seq - 1, h->src + seg->seq - 1, seg->len);
		break;
	case XFER_RX_DUPLICATE:
		h->dups++;
		break;
	case XFER_RX_BAD:
		h->bads++;
		break;
	}
	ck_assert_uint_eq(*ack, h->rx.expect);
	h->acks++;
	if (h->lose_ack != NULL && h->lose_ack(h->acks, h->arg)) {
		h->n_ack_lost++;
		return false;
	}
	return true;
}

/* Runs the transfer to DONE or GAVE_UP, moving the fake clock to each deadline in turn. */
static void
harness_run(struct harness *h)
{
	struct xfer_rng		fill;
	struct xfer_seg		seg;
	enum xfer_result	r;
	uint32_t		ack, i;
	long			steps;

	h->src = malloc((size_t)h->size + 1);
	h->dst = malloc((size_t)h->size + 1);
	ck_assert_ptr_nonnull(h->src);
	ck_assert_ptr_nonnull(h->dst);
	xfer_rng_seed(&fill, T_FILL_SEED);
	for (i = 0; i < h->size; i++) {
		h->src[i] = (uint8_t)(xfer_rng_uniform(&fill) * 256);
		h->dst[i] = (uint8_t)~h->src[i];	/* so a missing write shows */
	}
	h->now = T_START_MS;
	xfer_rng_seed(&h->rng, h->seed);
	xfer_tx_init(&h->tx, h->size, h->mss, h->drop, T_TIMEOUT_MS);
	xfer_rx_init(&h->rx, h->now);
	xfer_tx_start(&h->tx, &h->rng, h->now, &seg);
	for (steps = 0;; steps++) {
		ck_assert_int_lt(steps, T_STEP_MAX);
		if (harness_carry(h, &seg, &ack)) {
			r = xfer_tx_on_ack(&h->tx, ack, &h->rng, h->now, &seg);
			if (r == XFER_DONE)
				break;
			if (r == XFER_SEND)
				continue;
			ck_assert_int_eq(r, XFER_IGNORED);
			h->ignored_acks++;
		}
		/* Nothing in flight comes back: jump to the deadline instead of sleeping. */
		ck_assert_int_eq(xfer_tx_on_timer(&h->tx, &h->rng, h->tx.deadline - 1, &seg),
		    XFER_IGNORED);
		h->now = h->tx.deadline;
		r = xfer_tx_on_timer(&h->tx, &h->rng, h->now, &seg);
		if (r == XFER_GAVE_UP)
			break;
		ck_assert_int_eq(r, XFER_SEND);
	}
	h->end = r;
	ck_assert_uint_eq(h->tx.sent, h->n_snd + h->n_rtx);
	ck_assert_uint_eq(h->tx.dropped, h->n_drop);
}

/* Whether the receiver ended up with exactly the sender's bytes. */
static bool
harness_delivered(const struct harness *h)
{
	return h->end == XFER_DONE && h->tx.done && h->rx.done &&
	    h->rx.expect == h->size + 1 && h->completes == 1 &&
	    memcmp(h->src, h->dst, h->size) == 0;
}

/* Releases the buffers of a run. */
static void
harness_free(struct harness *h)
{
	free(h->src);
	free(h->dst);
	h->src = h->dst = NULL;
}

/* The size and mss of loop case i: every edge size, for two segment sizes. */
static void
harness_case(int i, uint32_t *size, uint16_t *mss)
{
	*mss = i < 7 ? 400 : 1000;
	switch (i % 7) {
	case 0: *size = 0; break;
	case 1: *size = 1; break;
	case 2: *size = *mss - 1u; break;
	case 3: *size = *mss; break;
	case 4: *size = *mss + 1u; break;
	case 5: *size = 10u * *mss + 7; break;
	default: *size = T_MIB + 3; break;
	}
}

START_TEST(test_xfer_rng_matches_splitmix64_reference)
{
	struct xfer_rng	rng;

	/* The first outputs of splitmix64 seeded with 0, as published with the algorithm. */
	xfer_rng_seed(&rng, 0);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0xe220a8397b1dcdafULL >> 11) * 0x1.0p-53);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0x6e789e6aa1b965f4ULL >> 11) * 0x1.0p-53);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0x06c45d188009454fULL >> 11) * 0x1.0p-53);
}
END_TEST

START_TEST(test_xfer_rng_uniform_in_unit_interval)
{
	struct xfer_rng	rng;
	double		u;
	int		i;

	xfer_rng_seed(&rng, T_SEED);
	for (i = 0; i < T_DRAWS; i++) {
		u = xfer_rng_uniform(&rng);
		ck_assert(u >= 0.0 && u < 1.0);
	}
}
END_TEST

START_TEST(test_xfer_rng_same_seed_same_stream)
{
	struct xfer_rng	a, b, c;
	int		i, differ = 0;

	xfer_rng_seed(&a, T_SEED);
	xfer_rng_seed(&b, T_SEED);
	xfer_rng_seed(&c, T_SEED + 1);
	for (i = 0; i < 100; i++) {
		double	ua = xfer_rng_uniform(&a), uc = xfer_rng_uniform(&c);

		ck_assert(ua == xfer_rng_uniform(&b));
		differ += ua != uc;
	}
	ck_assert_int_gt(differ, 90);
}
END_TEST

START_TEST(test_xfer_drop_half_drops_roughly_half)
{
	struct xfer_tx		tx;
	struct xfer_rng		rng;
	struct xfer_seg		seg;
	uint64_t		now = 0;
	int			i;

	/*
	 * A T_DRAWS-byte file in 1-byte segments, each acknowledged as soon as it is sent and
	 * retransmitted 1 ms later when dropped: every send or retransmission is a fresh draw.
	 */
	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, T_DRAWS, 1, 0.5, 1);
	xfer_tx_start(&tx, &rng, now, &seg);
	for (i = 0; !tx.done && i < 4 * T_DRAWS; i++) {
		if (seg.send) {
			enum xfer_result r = xfer_tx_on_ack(&tx, seg.seq + seg.len, &rng, ++now,
			    &seg);

			ck_assert(r == XFER_SEND || r == XFER_DONE);
		} else {
			ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, ++now, &seg), XFER_SEND);
			ck_assert(seg.event == (seg.send ? XFER_LOG_RTX : XFER_LOG_DROP));
		}
	}
	ck_assert(tx.done);
	ck_assert_uint_eq(tx.sent, T_DRAWS);
	/* Half of all draws dropped: about as many drops as sends. */
	ck_assert_uint_gt(tx.dropped, T_DRAWS * 80 / 100);
	ck_assert_uint_lt(tx.dropped, T_DRAWS * 120 / 100);
}
END_TEST

START_TEST(test_xfer_drop_zero_never_draws)
{
	struct harness	h;
	struct xfer_rng	fresh;

	harness_init(&h, 10 * 400 + 7, 400);
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	/* The stream is where the seed left it: no draw was made. */
	xfer_rng_seed(&fresh, T_SEED);
	ck_assert_uint_eq(h.rng.state, fresh.state);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_delivers_every_size)
{
	struct harness	h;
	uint32_t	size;
	uint16_t	mss;

	harness_case(_i, &size, &mss);
	harness_init(&h, size, mss);
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_snd, harness_nsegs(size, mss));
	ck_assert_uint_eq(h.writes, harness_nsegs(size, mss));
	ck_assert_uint_eq(h.n_rtx, 0);
	ck_assert_uint_eq(h.n_drop, 0);
	ck_assert_uint_eq(h.tx.sent, harness_nsegs(size, mss));
	ck_assert_uint_eq(h.dups + h.bads + h.ignored_acks, 0);
	ck_assert_uint_eq(h.now, T_START_MS);	/* no timer ever fired */
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_delivers_every_size_under_drop)
{
	struct harness	h;
	uint32_t	size, nsegs;
	uint16_t	mss;

	harness_case(_i, &size, &mss);
	nsegs = harness_nsegs(size, mss);
	harness_init(&h, size, mss);
	h.drop = 0.3;
	h.seed = T_SEED + (uint64_t)_i;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.tx.sent + h.tx.dropped, h.nlog);
	/* A segment whose first send was dropped reaches the wire as an RTX. */
	ck_assert_uint_le(h.n_snd, nsegs);
	ck_assert_uint_ge(h.n_snd + h.n_rtx, nsegs);
	ck_assert_uint_eq(h.writes, nsegs);
	ck_assert_uint_eq(h.dups + h.bads, 0);
	if (nsegs > 100) {
		ck_assert_uint_gt(h.n_drop, 0);
		ck_assert_uint_gt(h.n_rtx, 0);
	}
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_first_segment_lost)
{
	struct harness		h;
	struct lose_range	lr = { 1, 1 };

	harness_init(&h, 10 * 1000 + 7, 1000);
	h.lose = lose_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 1);
	ck_assert_uint_eq(h.n_snd, 11);
	ck_assert_uint_eq(h.n_lost, 1);
	ck_assert_uint_eq(h.now, T_START_MS + T_TIMEOUT_MS);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_last_segment_lost)
{
	struct harness		h;
	struct lose_range	lr = { 11, 11 };

	harness_init(&h, 10 * 1000 + 7, 1000);
	h.lose = lose_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 1);
	ck_assert_uint_eq(h.n_snd, 11);
	ck_assert(h.log[11] == XFER_LOG_RTX && h.nlog == 12);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_every_other_transmission_lost)
{
	struct harness	h;

	/* Losing transmissions 2, 4, 6, ...: every segment after the first goes twice. */
	harness_init(&h, 10 * 400 + 7, 400);
	h.lose = lose_even;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_snd, 11);
	ck_assert_uint_eq(h.n_rtx, 10);
	ck_assert_uint_eq(h.n_lost, 10);
	ck_assert_uint_eq(h.now, T_START_MS + 10 * T_TIMEOUT_MS);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_every_other_segment_lost)
{
	struct harness	h;
	uint16_t	mss = 400;

	/* Segments 2, 4, ..., 10 of 11 lose their first transmission. */
	harness_init(&h, 10 * 400 + 7, mss);
	h.lose = lose_even_segment_once;
	h.arg = &mss;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_snd, 11);
	ck_assert_uint_eq(h.n_rtx, 5);
	ck_assert_uint_eq(h.n_lost, 5);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_segment_lost_five_times_in_a_row)
{
	static const enum xfer_log_event	want[] = {
		XFER_LOG_SND, XFER_LOG_SND, XFER_LOG_SND,
		XFER_LOG_RTX, XFER_LOG_RTX, XFER_LOG_RTX, XFER_LOG_RTX, XFER_LOG_RTX,
		XFER_LOG_SND, XFER_LOG_SND
	};
	struct harness		h;
	struct lose_range	lr = { 3, 7 };	/* segment 3: its first send and 4 RTX */
	size_t			i;

	harness_init(&h, 5 * 400, 400);
	h.lose = lose_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 5);
	ck_assert_uint_eq(h.n_lost, 5);
	ck_assert_uint_eq(h.now, T_START_MS + 5 * T_TIMEOUT_MS);
	ck_assert_uint_eq(h.nlog, sizeof want / sizeof want[0]);
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_int_eq(h.log[i], want[i]);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_event_sequence_scripted)
{
	static const enum xfer_log_event	want[] = {
		XFER_LOG_SND, XFER_LOG_SND, XFER_LOG_RTX, XFER_LOG_RTX, XFER_LOG_SND
	};
	struct harness		h;
	struct lose_range	lr = { 2, 3 };
	size_t			i;

	harness_init(&h, 2 * 1000 + 1, 1000);
	h.lose = lose_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.nlog, sizeof want / sizeof want[0]);
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_int_eq(h.log[i], want[i]);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_event_sequence_follows_drop_draws)
{
	struct harness		h;
	struct xfer_rng		twin;
	enum xfer_log_event	want[T_LOG_MAX];
	uint32_t		n = 0, seg, i;
	bool			first;

	/* Replay the draws on a twin stream: each emission faces one draw at drop 0.5. */
	harness_init(&h, 6 * 400, 400);
	h.drop = 0.5;
	xfer_rng_seed(&twin, h.seed);
	for (seg = 0; seg < 6; seg++) {
		for (first = true;; first = false) {
			ck_assert_uint_lt(n, T_LOG_MAX);
			if (xfer_rng_uniform(&twin) < 0.5)
				want[n++] = XFER_LOG_DROP;
			else {
				want[n++] = first ? XFER_LOG_SND : XFER_LOG_RTX;
				break;
			}
		}
	}
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.nlog, n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(h.log[i], want[i]);
	/* The seed is meant to exercise all three events. */
	ck_assert_uint_gt(h.n_drop, 0);
	ck_assert_uint_gt(h.n_rtx, 0);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_same_seed_same_drop_pattern)
{
	struct harness	a, b, c;

	harness_init(&a, 20 * 400, 400);
	harness_init(&b, 20 * 400, 400);
	harness_init(&c, 20 * 400, 400);
	a.drop = b.drop = c.drop = 0.5;
	c.seed = a.seed + 1;
	harness_run(&a);
	harness_run(&b);
	harness_run(&c);
	ck_assert(harness_delivered(&a) && harness_delivered(&b) && harness_delivered(&c));
	ck_assert_uint_le(a.nlog, T_LOG_MAX);
	ck_assert_uint_eq(a.nlog, b.nlog);
	ck_assert(memcmp(a.log, b.log, a.nlog * sizeof a.log[0]) == 0);
	ck_assert(a.nlog != c.nlog || memcmp(a.log, c.log, a.nlog * sizeof a.log[0]) != 0);
	harness_free(&a);
	harness_free(&b);
	harness_free(&c);
}
END_TEST

START_TEST(test_xfer_lost_ack_data_reacked_without_writing)
{
	struct harness		h;
	struct lose_range	lr = { 2, 2 };

	/* The ACK of segment 2 is lost: its retransmission is a duplicate, acked again. */
	harness_init(&h, 3 * 400, 400);
	h.lose_ack = lose_ack_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 1);
	ck_assert_uint_eq(h.dups, 1);
	ck_assert_uint_eq(h.writes, 3);
	ck_assert_uint_eq(h.n_ack_lost, 1);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_drop_all_gives_up)
{
	struct harness	h;
	uint32_t	i;

	harness_init(&h, 10 * 400 + 7, 400);
	h.drop = 1.0;
	harness_run(&h);
	ck_assert_int_eq(h.end, XFER_GAVE_UP);
	ck_assert(!h.tx.done);
	ck_assert_uint_eq(h.tx.sent, 0);
	ck_assert_uint_eq(h.attempts, 0);
	/* One emission at the start and one per timeout until the give-up moment. */
	ck_assert_uint_eq(h.tx.dropped, T_GIVE_UP_ROUNDS);
	ck_assert_uint_eq(h.now, T_START_MS + XFER_GIVE_UP_MS);
	for (i = 0; i < h.nlog && i < T_LOG_MAX; i++)
		ck_assert_int_eq(h.log[i], XFER_LOG_DROP);
	ck_assert_uint_eq(h.rx.expect, 1);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_gives_up_after_limit_without_progress)
{
	struct harness		h;
	struct lose_range	lr = { 2, 1 + T_GIVE_UP_ROUNDS };

	/* Segment 2 never gets through: the give-up counts from segment 1's ACK. */
	harness_init(&h, 3 * 400, 400);
	h.lose = lose_in_range;
	h.arg = &lr;
	harness_run(&h);
	ck_assert_int_eq(h.end, XFER_GAVE_UP);
	ck_assert_uint_eq(h.now, T_START_MS + XFER_GIVE_UP_MS);
	ck_assert_uint_eq(h.n_rtx, T_GIVE_UP_ROUNDS - 1);
	ck_assert_uint_eq(h.rx.expect, 401);
	harness_free(&h);
}
END_TEST

/* A receiver that never answers: the sender stops after XFER_SILENT_TRIES sends. */
START_TEST(test_xfer_gives_up_on_silent_receiver)
{
	struct xfer_tx		tx;
	struct xfer_rng		rng;
	struct xfer_seg		seg;
	uint64_t		now = 0;
	unsigned		sends = 1;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 4000, 400, 0, 1000);
	xfer_tx_start(&tx, &rng, now, &seg);
	for (;;) {
		now += 1000;
		if (xfer_tx_on_timer(&tx, &rng, now, &seg) != XFER_SEND)
			break;
		sends++;
	}
	ck_assert_uint_eq(sends, XFER_SILENT_TRIES);
	ck_assert_uint_eq(tx.sent, XFER_SILENT_TRIES);
	ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, now + 1000, &seg), XFER_GAVE_UP);
}
END_TEST

/* Drops by emulation are not silence: only segments actually sent count. */
START_TEST(test_xfer_emulated_drops_do_not_count_as_silence)
{
	struct xfer_tx		tx;
	struct xfer_rng		rng;
	struct xfer_seg		seg;
	uint64_t		now = 0;
	int			i;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 4000, 400, 1.0, 1000);
	xfer_tx_start(&tx, &rng, now, &seg);
	for (i = 0; i < 3 * XFER_SILENT_TRIES; i++) {
		now += 1000;
		ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, now, &seg), XFER_SEND);
		ck_assert(!seg.send);
	}
}
END_TEST

/* Empty segments that are not the last do not count as progress at the receiver. */
START_TEST(test_xfer_rx_empty_segments_are_not_progress)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 0, false, 5000, &ack), XFER_RX_WRITE);
	ck_assert_uint_eq(rx.progress_at, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 10, false, 6000, &ack), XFER_RX_WRITE);
	ck_assert_uint_eq(rx.progress_at, 6000);
	ck_assert_uint_eq(ack, 11);
}
END_TEST

START_TEST(test_xfer_progress_restarts_give_up_clock)
{
	struct harness	h;

	/*
	 * After the first, each segment gets through only on its last chance before the
	 * give-up: the transfer stalls for twice the limit in all, but never that long without
	 * progress. (A first segment that is never acknowledged is given up on sooner:
	 * test_xfer_gives_up_on_silent_receiver.)
	 */
	harness_init(&h, 3 * 400, 400);
	h.lose = lose_after_first_all_but_every_round;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 2 * (T_GIVE_UP_ROUNDS - 1));
	ck_assert_uint_eq(h.now, T_START_MS + 2 * (T_GIVE_UP_ROUNDS - 1) * T_TIMEOUT_MS);
	ck_assert_uint_gt(h.now - T_START_MS, XFER_GIVE_UP_MS);
	harness_free(&h);
}
END_TEST

START_TEST(test_xfer_tx_start_arms_deadline)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 2500, 1000, 0, T_TIMEOUT_MS);
	ck_assert_uint_eq(tx.seq, 1);
	ck_assert_uint_eq(tx.len, 1000);
	ck_assert(!tx.done);
	xfer_tx_start(&tx, &rng, T_START_MS, &seg);
	ck_assert_uint_eq(seg.seq, 1);
	ck_assert_uint_eq(seg.len, 1000);
	ck_assert(!seg.last && seg.send);
	ck_assert_int_eq(seg.event, XFER_LOG_SND);
	ck_assert_uint_eq(tx.deadline, T_START_MS + T_TIMEOUT_MS);
	ck_assert_uint_eq(tx.progress_at, T_START_MS);
	ck_assert_uint_eq(tx.sent, 1);
}
END_TEST

START_TEST(test_xfer_tx_ack_advances_to_next_segment)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 2500, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 0, &seg);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 1001, &rng, 300, &seg), XFER_SEND);
	ck_assert_uint_eq(seg.seq, 1001);
	ck_assert_uint_eq(seg.len, 1000);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 2001, &rng, 600, &seg), XFER_SEND);
	ck_assert_uint_eq(seg.seq, 2001);
	ck_assert_uint_eq(seg.len, 500);
	ck_assert(seg.last && seg.send);
	ck_assert_uint_eq(tx.deadline, 600 + T_TIMEOUT_MS);
	ck_assert_uint_eq(tx.progress_at, 600);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 2501, &rng, 900, &seg), XFER_DONE);
	ck_assert(tx.done);
	ck_assert_uint_eq(tx.sent, 3);
}
END_TEST

START_TEST(test_xfer_tx_duplicate_ack_ignored)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 3000, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 0, &seg);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 1001, &rng, 100, &seg), XFER_SEND);
	memset(&seg, 0xa5, sizeof seg);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 1001, &rng, 200, &seg), XFER_IGNORED);
	ck_assert_uint_eq(tx.seq, 1001);
	ck_assert_uint_eq(tx.sent, 2);
	ck_assert_uint_eq(tx.deadline, 100 + T_TIMEOUT_MS);
	ck_assert_uint_eq(tx.progress_at, 100);
	ck_assert_uint_eq(seg.seq, 0xa5a5a5a5u);	/* *out untouched */
}
END_TEST

START_TEST(test_xfer_tx_stale_ack_ignored)
{
	static const uint32_t	stale[] = { 0, 1, 1000, 1001, 2000, 2002, 3001, UINT32_MAX };
	struct xfer_tx		tx;
	struct xfer_rng		rng;
	struct xfer_seg		seg;
	size_t			i;

	/* In flight: segment 1001..2000, so only ACK 2001 moves on. */
	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 3000, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 0, &seg);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 1001, &rng, 100, &seg), XFER_SEND);
	for (i = 0; i < sizeof stale / sizeof stale[0]; i++) {
		ck_assert_int_eq(xfer_tx_on_ack(&tx, stale[i], &rng, 200, &seg), XFER_IGNORED);
		ck_assert_uint_eq(tx.seq, 1001);
		ck_assert_uint_eq(tx.sent, 2);
		ck_assert(!tx.done);
	}
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 2001, &rng, 300, &seg), XFER_SEND);
}
END_TEST

START_TEST(test_xfer_tx_ack_wrapping_past_2_32_ignored)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	/* The last segment of a 2^32-1 byte file ends at 2^32: a wrapped ACK 0 must not match. */
	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, UINT32_MAX, 1000, 0, T_TIMEOUT_MS);
	tx.seq = UINT32_MAX - 999;
	tx.len = 1000;
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 0, &rng, 0, &seg), XFER_IGNORED);
	ck_assert(!tx.done);
}
END_TEST

START_TEST(test_xfer_tx_empty_file_one_empty_segment)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 0, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 0, &seg);
	ck_assert_uint_eq(seg.seq, 1);
	ck_assert_uint_eq(seg.len, 0);
	ck_assert(seg.last && seg.send);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 2, &rng, 10, &seg), XFER_IGNORED);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 1, &rng, 10, &seg), XFER_DONE);
	ck_assert(tx.done);
}
END_TEST

START_TEST(test_xfer_tx_after_done_ignored)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 10, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 0, &seg);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 11, &rng, 10, &seg), XFER_DONE);
	ck_assert_int_eq(xfer_tx_on_ack(&tx, 11, &rng, 20, &seg), XFER_IGNORED);
	ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, 10 * XFER_GIVE_UP_MS, &seg), XFER_IGNORED);
	ck_assert_uint_eq(tx.sent, 1);
}
END_TEST

START_TEST(test_xfer_tx_timer_before_deadline_ignored)
{
	struct xfer_tx	tx;
	struct xfer_rng	rng;
	struct xfer_seg	seg;

	xfer_rng_seed(&rng, T_SEED);
	xfer_tx_init(&tx, 2500, 1000, 0, T_TIMEOUT_MS);
	xfer_tx_start(&tx, &rng, 100, &seg);
	ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, 100, &seg), XFER_IGNORED);
	ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, 100 + T_TIMEOUT_MS - 1, &seg), XFER_IGNORED);
	ck_assert_uint_eq(tx.sent, 1);
	ck_assert_int_eq(xfer_tx_on_timer(&tx, &rng, 100 + T_TIMEOUT_MS, &seg), XFER_SEND);
	ck_assert_int_eq(seg.event, XFER_LOG_RTX);
	ck_assert_uint_eq(seg.seq, 1);
	ck_assert_uint_eq(seg.len, 1000);
	ck_assert_uint_eq(tx.deadline, 100 + 2 * T_TIMEOUT_MS);
	ck_assert_uint_eq(tx.progress_at, 100);	/* a retransmission is not progress */
	ck_assert_uint_eq(tx.sent, 2);
}
END_TEST

START_TEST(test_xfer_rx_in_order_written)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 5);
	ck_assert_uint_eq(rx.expect, 1);
	ck_assert_uint_eq(rx.progress_at, 5);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 400, false, 10, &ack), XFER_RX_WRITE);
	ck_assert_uint_eq(ack, 401);
	ck_assert_uint_eq(rx.progress_at, 10);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 401, 7, true, 20, &ack), XFER_RX_COMPLETE);
	ck_assert_uint_eq(ack, 408);
	ck_assert(rx.done);
}
END_TEST

START_TEST(test_xfer_rx_duplicate_reacked_without_writing)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 400, false, 10, &ack), XFER_RX_WRITE);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 400, false, 20, &ack), XFER_RX_DUPLICATE);
	ck_assert_uint_eq(ack, 401);
	ck_assert_uint_eq(rx.expect, 401);
	ck_assert_uint_eq(rx.progress_at, 10);
}
END_TEST

START_TEST(test_xfer_rx_out_of_order_bad)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 401, 400, false, 10, &ack), XFER_RX_BAD);
	ck_assert_uint_eq(ack, 1);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 400, false, 20, &ack), XFER_RX_WRITE);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1201, 400, true, 30, &ack), XFER_RX_BAD);
	ck_assert_uint_eq(ack, 401);
	ck_assert_uint_eq(rx.expect, 401);
	ck_assert(!rx.done);
}
END_TEST

START_TEST(test_xfer_rx_duplicate_after_complete)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 10, true, 10, &ack), XFER_RX_COMPLETE);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 10, true, 20, &ack), XFER_RX_DUPLICATE);
	ck_assert_uint_eq(ack, 11);
	/* Even "in order" data after the end is only re-acked. */
	ck_assert_int_eq(xfer_rx_on_data(&rx, 11, 10, true, 30, &ack), XFER_RX_DUPLICATE);
	ck_assert_uint_eq(ack, 11);
	ck_assert_uint_eq(rx.expect, 11);
}
END_TEST

START_TEST(test_xfer_rx_empty_last_segment_completes)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, 1, 0, true, 10, &ack), XFER_RX_COMPLETE);
	ck_assert_uint_eq(ack, 1);
	ck_assert(rx.done);
}
END_TEST

START_TEST(test_xfer_rx_overflowing_segment_bad)
{
	struct xfer_rx	rx;
	uint32_t	ack;

	xfer_rx_init(&rx, 0);
	rx.expect = UINT32_MAX - 5;
	ck_assert_int_eq(xfer_rx_on_data(&rx, UINT32_MAX - 5, 100, false, 10, &ack), XFER_RX_BAD);
	ck_assert_uint_eq(ack, UINT32_MAX - 5);
	ck_assert_uint_eq(rx.expect, UINT32_MAX - 5);
	ck_assert_uint_eq(rx.progress_at, 0);
	ck_assert_int_eq(xfer_rx_on_data(&rx, UINT32_MAX - 5, 5, true, 10, &ack),
	    XFER_RX_COMPLETE);
	ck_assert_uint_eq(ack, UINT32_MAX);
}
END_TEST

/* Every xfer test, in one suite. */
static Suite *
xfer_suite(void)
{
	Suite	*s = suite_create("xfer");
	TCase	*rng = tcase_create("rng");
	TCase	*tx = tcase_create("tx");
	TCase	*rx = tcase_create("rx");
	TCase	*pair = tcase_create("pair");

	tcase_add_test(rng, test_xfer_rng_matches_splitmix64_reference);
	tcase_add_test(rng, test_xfer_rng_uniform_in_unit_interval);
	tcase_add_test(rng, test_xfer_rng_same_seed_same_stream);
	tcase_add_test(rng, test_xfer_drop_half_drops_roughly_half);
	suite_add_tcase(s, rng);

	tcase_add_test(tx, test_xfer_tx_start_arms_deadline);
	tcase_add_test(tx, test_xfer_tx_ack_advances_to_next_segment);
	tcase_add_test(tx, test_xfer_tx_duplicate_ack_ignored);
	tcase_add_test(tx, test_xfer_tx_stale_ack_ignored);
	tcase_add_test(tx, test_xfer_tx_ack_wrapping_past_2_32_ignored);
	tcase_add_test(tx, test_xfer_tx_empty_file_one_empty_segment);
	tcase_add_test(tx, test_xfer_tx_after_done_ignored);
	tcase_add_test(tx, test_xfer_tx_timer_before_deadline_ignored);
	suite_add_tcase(s, tx);

	tcase_add_test(rx, test_xfer_rx_in_order_written);
	tcase_add_test(rx, test_xfer_rx_duplicate_reacked_without_writing);
	tcase_add_test(rx, test_xfer_rx_out_of_order_bad);
	tcase_add_test(rx, test_xfer_rx_duplicate_after_complete);
	tcase_add_test(rx, test_xfer_rx_empty_last_segment_completes);
	tcase_add_test(rx, test_xfer_rx_overflowing_segment_bad);
	suite_add_tcase(s, rx);

	/* Whole transfers: the MiB cases under a sanitizer need more than Check's 4 s. */
	tcase_set_timeout(pair, 60);
	tcase_add_loop_test(pair, test_xfer_delivers_every_size, 0, 14);
	tcase_add_loop_test(pair, test_xfer_delivers_every_size_under_drop, 0, 14);
	tcase_add_test(pair, test_xfer_drop_zero_never_draws);
	tcase_add_test(pair, test_xfer_first_segment_lost);
	tcase_add_test(pair, test_xfer_last_segment_lost);
	tcase_add_test(pair, test_xfer_every_other_transmission_lost);
	tcase_add_test(pair, test_xfer_every_other_segment_lost);
	tcase_add_test(pair, test_xfer_segment_lost_five_times_in_a_row);
	tcase_add_test(pair, test_xfer_event_sequence_scripted);
	tcase_add_test(pair, test_xfer_event_sequence_follows_drop_draws);
	tcase_add_test(pair, test_xfer_same_seed_same_drop_pattern);
	tcase_add_test(pair, test_xfer_lost_ack_data_reacked_without_writing);
	tcase_add_test(pair, test_xfer_drop_all_gives_up);
	tcase_add_test(pair, test_xfer_gives_up_after_limit_without_progress);
	tcase_add_test(pair, test_xfer_progress_restarts_give_up_clock);
	tcase_add_test(pair, test_xfer_gives_up_on_silent_receiver);
	tcase_add_test(pair, test_xfer_emulated_drops_do_not_count_as_silence);
	tcase_add_test(pair, test_xfer_rx_empty_segments_are_not_progress);
	suite_add_tcase(s, pair);
	return s;
}

/* Runs the suite; the exit status is the number of failed tests. */
int
main(void)
{
	SRunner	*sr = srunner_create(xfer_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}
