/* Unit tests of the transfer engine: sender and receiver over a lossy in-memory channel, fake clock. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/xfer.h"

/*
 * An assertion for the harness's per-segment checks: Check's ck_assert records every
 * passing assertion's location through a pipe, which dominates a several-MiB run.
 */
#define T_CHECK(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond); \
} while (0)

#define T_TIMEOUT_MS	1000		/* ms, fixed retransmission timeout of the classic cases */
#define T_START_MS	7000		/* ms, fake clock at the start of a run (not 0 on purpose) */
#define T_LOG_MAX	4096		/* events kept verbatim per run */
#define T_STEP_MAX	10000000	/* harness steps before a run counts as stuck */
#define T_MIB		(1024 * 1024)	/* bytes */
#define T_SEED		0x5eedULL	/* drop emulation seed */
#define T_FILL_SEED	0xf11eULL	/* seed of the file contents */
#define T_DRAWS		10000		/* draws for the statistical tests */
#define T_GIVE_UP_ROUNDS	(XFER_GIVE_UP_MS / T_TIMEOUT_MS)	/* timeouts before giving up */
#define T_MSS		400		/* bytes, segment size of the window table */
#define T_BIG		(3 * T_MIB + 3)	/* bytes, the several-MiB case */
#define T_EACH_MAX	12		/* segments up to which "each segment" means every one */
#define T_BOUND_BASE_MS	20000		/* ms a table run may take, plus T_BOUND_ROUND_MS... */
#define T_BOUND_ROUND_MS 50		/* ms per window's worth of segments */

/* One event of a run, as the two logs would show it (sender and receiver interleaved). */
struct rec {
	enum xfer_log_event	ev;
	char			side;	/* 's': sender's log, 'r': receiver's log */
	uint64_t		at;	/* ms */
	uint32_t		seq, len, ack;
};

/* A message on the in-memory wire. */
struct msg {
	uint64_t	at;		/* delivery time, ms */
	uint64_t	order;		/* FIFO among equal times */
	bool		is_ack;
	struct xfer_seg	seg;
	uint32_t	ack, sack;
};

/* What the wire does to one message. */
struct fate {
	bool		lost;
	bool		dup;		/* a second copy comes 1 ms later */
	uint32_t	delay;		/* ms on top of the latency */
};

struct harness;
/*
 * A loss pattern: n counts messages of that direction put on the wire (from 1), segno is the
 * data segment (index from 0) the message carries or answers, copy how many of its kind for
 * that segment came before (0: the first).
 */
typedef void (*fate_fn)(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f);

/* The parameters a pattern reads. */
struct pat {
	uint32_t	first, last;	/* a range of messages or segments, inclusive */
	uint32_t	seg;		/* one segment index; UINT32_MAX: the last */
};

/* One transfer wired to its receiver over a channel that loses, delays and duplicates. */
struct harness {
	/* inputs */
	uint32_t		size;
	uint16_t		mss;
	uint16_t		window;
	uint16_t		rx_window;
	double			drop;
	uint64_t		seed;
	uint32_t		timeout_ms;
	uint32_t		latency;	/* ms each way */
	fate_fn			fate;
	struct pat		pat;
	/* state */
	struct xfer_tx		tx;
	struct xfer_rx		rx;
	struct xfer_rng		rng;
	struct xfer_rng		wire_rng;	/* for random patterns */
	uint64_t		now;
	uint8_t			*src;
	uint8_t			*dst;
	uint32_t		*copies;	/* per segment: data copies put on the wire */
	uint32_t		*ack_copies;	/* per segment: ACKs answering it */
	struct msg		*q;
	size_t			nq, capq;
	uint64_t		order;
	/* outputs */
	enum xfer_result	end;
	uint32_t		attempts;	/* data segments put on the wire */
	uint32_t		acks;		/* ACKs the receiver sent */
	uint32_t		n_snd, n_rtx, n_drop;
	uint32_t		n_lost, n_ack_lost;
	uint32_t		writes, completes, dups, bads;
	uint32_t		ignored_acks, bad_acks;
	uint32_t		max_in_flight;
	uint32_t		nlog;		/* all data events; the first T_LOG_MAX are in log */
	enum xfer_log_event	log[T_LOG_MAX];
	uint32_t		nrec;
	struct rec		rec[T_LOG_MAX];
};

/* ---- loss patterns ---- */

/* Nothing lost. */
static void
fate_none(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	(void)h, (void)is_ack, (void)n, (void)segno, (void)copy, (void)f;
}

/* Loses the data transmissions numbered first..last. */
static void
fate_data_range(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)segno, (void)copy;
	f->lost = !is_ack && n >= h->pat.first && n <= h->pat.last;
}

/* Loses every even-numbered data transmission. */
static void
fate_data_even(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)h, (void)segno, (void)copy;
	f->lost = !is_ack && n % 2 == 0;
}

/* Loses the first copy of every even-numbered segment (segments count from 1). */
static void
fate_even_segment_once(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)h, (void)n;
	f->lost = !is_ack && copy == 0 && segno % 2 == 1;
}

/* Lets the first transmission through, then only every T_GIVE_UP_ROUNDS-th one. */
static void
fate_all_but_every_round(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)h, (void)segno, (void)copy;
	f->lost = !is_ack && n > 1 && (n - 1) % T_GIVE_UP_ROUNDS != 0;
}

/* Loses the ACKs numbered first..last. */
static void
fate_ack_range(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)segno, (void)copy;
	f->lost = is_ack && n >= h->pat.first && n <= h->pat.last;
}

/* The segment index a pattern names: pat.seg, or the last one. */
static uint32_t
pat_seg(const struct harness *h)
{
	uint32_t	nsegs = h->size == 0 ? 1 : (h->size + h->mss - 1) / h->mss;

	return h->pat.seg == UINT32_MAX || h->pat.seg >= nsegs ? nsegs - 1 : h->pat.seg;
}

/* Loses the first copy of segment pat.seg. */
static void
fate_seg_once(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	(void)n;
	f->lost = !is_ack && copy == 0 && segno == pat_seg(h);
}

/* Loses the first two copies of the last segment. */
static void
fate_last_twice(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	struct harness	tmp = *h;

	(void)n;
	tmp.pat.seg = UINT32_MAX;
	f->lost = !is_ack && copy < 2 && segno == pat_seg(&tmp);
}

/* Loses the first ACK answering segment pat.seg. */
static void
fate_ack_of_seg(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)n;
	f->lost = is_ack && copy == 0 && segno == pat_seg(h);
}

/* Loses the first copies of segments pat.first..pat.last (a burst). */
static void
fate_burst(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	(void)n;
	f->lost = !is_ack && copy == 0 && segno >= h->pat.first && segno <= h->pat.last;
}

/* Loses every ACK from pat.first on for pat.last of them (an ACK burst). */
static void
fate_ack_burst(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno,
    uint32_t copy, struct fate *f)
{
	(void)segno, (void)copy;
	f->lost = is_ack && n >= h->pat.first && n < h->pat.first + h->pat.last;
}

/* Delays every third data segment by 3 ms and every fourth ACK by 2 ms: they overtake. */
static void
fate_reorder(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	(void)h, (void)segno, (void)copy;
	f->delay = is_ack ? (n % 4 == 0 ? 2 : 0) : (n % 3 == 0 ? 3 : 0);
}

/* Every data segment and every ACK comes twice. */
static void
fate_dup(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	(void)h, (void)is_ack, (void)n, (void)segno, (void)copy;
	f->dup = true;
}

/* 20% of everything lost, 10% duplicated, up to 4 ms of jitter: all at once. */
static void
fate_random(const struct harness *h, bool is_ack, uint32_t n, uint32_t segno, uint32_t copy,
    struct fate *f)
{
	struct xfer_rng	*r = (struct xfer_rng *)&h->wire_rng;

	(void)is_ack, (void)n, (void)segno, (void)copy;
	f->lost = xfer_rng_uniform(r) < 0.2;
	f->dup = xfer_rng_uniform(r) < 0.1;
	f->delay = (uint32_t)(xfer_rng_uniform(r) * 5);
}

/* ---- the harness ---- */

/* Segments a file of size bytes takes: an empty file is one empty segment. */
static uint32_t
harness_nsegs(uint32_t size, uint16_t mss)
{
	return size == 0 ? 1 : (size + mss - 1) / mss;
}

/* Sets up a lossless stop-and-wait run of size bytes in mss-byte segments, fixed 1 s. */
static void
harness_init(struct harness *h, uint32_t size, uint16_t mss)
{
	memset(h, 0, sizeof *h);
	h->size = size;
	h->mss = mss;
	h->window = 1;
	h->rx_window = XFER_WINDOW_MAX;
	h->seed = T_SEED;
	h->timeout_ms = T_TIMEOUT_MS;
	h->fate = fate_none;
}

/* Puts m on the wire at now + latency + delay (and a duplicate), unless the pattern loses it. */
static void
harness_put(struct harness *h, struct msg *m, uint32_t n, uint32_t segno, uint32_t copy)
{
	struct fate	f = { false, false, 0 };
	int		i;

	h->fate(h, m->is_ack, n, segno, copy, &f);
	if (f.lost) {
		if (m->is_ack)
			h->n_ack_lost++;
		else
			h->n_lost++;
		return;
	}
	for (i = 0; i < (f.dup ? 2 : 1); i++) {
		if (h->nq == h->capq) {
			h->capq = h->capq ? 2 * h->capq : 64;
			h->q = realloc(h->q, h->capq * sizeof *h->q);
			T_CHECK(h->q != NULL);
		}
		m->at = h->now + h->latency + f.delay + (uint64_t)i;
		m->order = h->order++;
		h->q[h->nq++] = *m;
	}
}

/* Appends one event to the run's record. */
static void
harness_rec(struct harness *h, char side, enum xfer_log_event ev, uint32_t seq, uint32_t len,
    uint32_t ack)
{
	if (h->nrec < T_LOG_MAX)
		h->rec[h->nrec] = (struct rec){ ev, side, h->now, seq, len, ack };
	h->nrec++;
}

/* Logs the sender's batch and puts what emulation did not drop on the wire. */
static void
harness_send(struct harness *h, const struct xfer_batch *b)
{
	struct msg	m;
	uint16_t	i;

	for (i = 0; i < b->n; i++) {
		const struct xfer_seg	*seg = &b->seg[i];
		uint32_t		 segno = (seg->seq - 1) / h->mss;

		if (h->nlog < T_LOG_MAX)
			h->log[h->nlog] = seg->event;
		h->nlog++;
		harness_rec(h, 's', seg->event, seg->seq, seg->len, 0);
		T_CHECK(seg->seq >= 1);
		T_CHECK(seg->len <= h->mss);
		T_CHECK((uint64_t)seg->seq - 1 + seg->len <= h->size);
		T_CHECK(seg->last == ((uint64_t)seg->seq - 1 + seg->len == h->size));
		T_CHECK(seg->send == (seg->event != XFER_LOG_DROP));
		switch (seg->event) {
		case XFER_LOG_SND: h->n_snd++; break;
		case XFER_LOG_RTX: h->n_rtx++; break;
		case XFER_LOG_DROP: h->n_drop++; continue;
		default: ck_abort_msg("sender logged event %d for data", (int)seg->event);
		}
		h->attempts++;
		memset(&m, 0, sizeof m);
		m.seg = *seg;
		harness_put(h, &m, h->attempts, segno, h->copies[segno]++);
	}
}

/* The receiver takes a data segment: writes it if told to, answers with an ACK. */
static void
harness_deliver_data(struct harness *h, const struct msg *in)
{
	const struct xfer_seg	*seg = &in->seg;
	struct msg		 m;
	uint32_t		 segno = (seg->seq - 1) / h->mss;
	enum xfer_rx_result	 r;

	harness_rec(h, 'r', XFER_LOG_RCV, seg->seq, seg->len, 0);
	memset(&m, 0, sizeof m);
	m.is_ack = true;
	r = xfer_rx_on_data(&h->rx, seg->seq, seg->len, seg->last, h->now, &m.ack, &m.sack);
	switch (r) {
	case XFER_RX_COMPLETE:
		h->completes++;
		/* FALLTHROUGH */
	case XFER_RX_WRITE:
		h->writes++;
		memcpy(h->dst + seg->seq - 1, h->src + seg->seq - 1, seg->len);
		T_CHECK(m.sack == seg->seq);
		break;
	case XFER_RX_DUPLICATE:
		h->dups++;
		break;
	case XFER_RX_BAD:
		h->bads++;
		T_CHECK(m.sack == 0);
		break;
	}
	T_CHECK(m.ack == h->rx.expect);
	harness_rec(h, 'r', XFER_LOG_SND, 0, 0, m.ack);
	h->acks++;
	harness_put(h, &m, h->acks, segno, h->ack_copies[segno]++);
}

/* Removes and returns the earliest message (FIFO among equals); false if the wire is empty. */
static bool
harness_pop(struct harness *h, struct msg *out)
{
	size_t	i, best = 0;

	if (h->nq == 0)
		return false;
	for (i = 1; i < h->nq; i++)
		if (h->q[i].at < h->q[best].at ||
		    (h->q[i].at == h->q[best].at && h->q[i].order < h->q[best].order))
			best = i;
	*out = h->q[best];
	h->q[best] = h->q[--h->nq];
	return true;
}

/* The earliest delivery time on the wire, or UINT64_MAX. */
static uint64_t
harness_next_at(const struct harness *h)
{
	uint64_t	t = UINT64_MAX;
	size_t		i;

	for (i = 0; i < h->nq; i++)
		if (h->q[i].at < t)
			t = h->q[i].at;
	return t;
}

/* Fills the file with seeded bytes, the copy with their complement (so a missing write shows). */
static void
harness_alloc(struct harness *h)
{
	struct xfer_rng	fill;
	uint64_t	bits = 0;
	uint32_t	i, nsegs = harness_nsegs(h->size, h->mss);

	h->src = malloc((size_t)h->size + 1);
	h->dst = malloc((size_t)h->size + 1);
	h->copies = calloc(nsegs, sizeof *h->copies);
	h->ack_copies = calloc(nsegs, sizeof *h->ack_copies);
	T_CHECK(h->src && h->dst && h->copies && h->ack_copies);
	xfer_rng_seed(&fill, T_FILL_SEED);
	for (i = 0; i < h->size; i++) {
		/* Eight bytes a draw: the several-MiB cases fill fast under a sanitizer too. */
		if (i % 8 == 0)
			bits = xfer_rng_next(&fill);
		h->src[i] = (uint8_t)(bits >> (i % 8 * 8));
		h->dst[i] = (uint8_t)~h->src[i];
	}
}

/* Sender invariants after every call: the window bounds what is in flight; one deadline. */
static void
harness_check_tx(struct harness *h)
{
	uint32_t	in_flight = h->tx.next - h->tx.base;

	T_CHECK(in_flight <= h->tx.window);
	if (in_flight > h->max_in_flight)
		h->max_in_flight = in_flight;
	T_CHECK(xfer_tx_next_deadline(&h->tx) == h->tx.deadline);
	T_CHECK(h->tx.done || h->tx.deadline != UINT64_MAX);
}

/* An ACK reaches the sender; true once the transfer is done. */
static bool
harness_deliver_ack(struct harness *h, const struct msg *m)
{
	struct xfer_batch	b;
	enum xfer_result	r;

	harness_rec(h, 's', XFER_LOG_RCV, 0, 0, m->ack);
	r = xfer_tx_on_ack(&h->tx, m->ack, m->sack, &h->rng, h->now, &b);
	h->end = r;
	if (r == XFER_IGNORED)
		h->ignored_acks++;
	else if (r == XFER_BAD)
		h->bad_acks++;
	else if (r != XFER_DONE)
		T_CHECK(r == XFER_SEND);
	if (r != XFER_SEND)
		T_CHECK(b.n == 0);
	harness_send(h, &b);
	return r == XFER_DONE;
}

/* Runs the transfer to DONE or GAVE_UP, moving the fake clock to each event in turn. */
static void
harness_run(struct harness *h)
{
	struct xfer_cfg		cfg = { h->size, h->mss, h->window, h->drop, h->timeout_ms };
	struct xfer_batch	b;
	struct msg		m;
	enum xfer_result	r;
	long			steps;

	harness_alloc(h);
	h->now = T_START_MS;
	xfer_rng_seed(&h->rng, h->seed);
	xfer_rng_seed(&h->wire_rng, h->seed ^ 0x77);
	xfer_tx_init(&h->tx, &cfg);
	xfer_rx_init(&h->rx, h->rx_window, h->now);
	xfer_tx_start(&h->tx, &h->rng, h->now, &b);
	harness_send(h, &b);
	for (steps = 0;; steps++) {
		T_CHECK(steps < T_STEP_MAX);
		harness_check_tx(h);
		if (harness_next_at(h) <= h->tx.deadline) {
			T_CHECK(harness_pop(h, &m));
			h->now = m.at;
			if (!m.is_ack)
				harness_deliver_data(h, &m);
			else if (harness_deliver_ack(h, &m))
				break;
			continue;
		}
		/* Nothing comes back before the deadline: jump to it instead of sleeping. */
		T_CHECK(h->tx.deadline != UINT64_MAX);
		T_CHECK(xfer_tx_on_timer(&h->tx, &h->rng, h->tx.deadline - 1, &b) ==
		    XFER_IGNORED);
		h->now = h->tx.deadline;
		r = xfer_tx_on_timer(&h->tx, &h->rng, h->now, &b);
		h->end = r;
		if (r == XFER_GAVE_UP)
			break;
		T_CHECK(r == XFER_SEND);
		T_CHECK(b.n > 0);
		harness_send(h, &b);
	}
	T_CHECK(h->tx.sent == h->n_snd + h->n_rtx);
	T_CHECK(h->tx.dropped == h->n_drop);
	T_CHECK(h->tx.rtx == h->n_rtx);
	T_CHECK(h->tx.bad_acks == h->bad_acks);
}

/* Whether the receiver ended up with exactly the sender's bytes. */
static bool
harness_delivered(const struct harness *h)
{
	return h->end == XFER_DONE && h->tx.done && h->rx.done &&
	    h->rx.expect == h->size + 1 && h->completes == 1 &&
	    xfer_tx_acked_bytes(&h->tx) == h->size &&
	    memcmp(h->src, h->dst, h->size) == 0;
}

/* Releases the buffers of a run. */
static void
harness_free(struct harness *h)
{
	free(h->src);
	free(h->dst);
	free(h->copies);
	free(h->ack_copies);
	free(h->q);
	h->src = h->dst = NULL;
	h->copies = h->ack_copies = NULL;
	h->q = NULL;
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

/* ---- today's stop-and-wait engine, kept verbatim as the reference for window 1 ---- */

/* The pre-window sender (commit a788d19), reduced to what decides the log. */
struct ref_tx {
	uint32_t	size, seq, sent;
	uint16_t	mss, len;
	double		drop;
	uint64_t	deadline, progress_at;
	bool		done;
};

/* The old emission: one draw per segment put out. */
static void
ref_emit(struct ref_tx *t, struct xfer_rng *rng, bool rtx, struct xfer_seg *out)
{
	out->seq = t->seq;
	out->len = t->len;
	out->last = (uint64_t)t->seq - 1 + t->len == t->size;
	if (t->drop > 0 && xfer_rng_uniform(rng) < t->drop) {
		out->send = false;
		out->event = XFER_LOG_DROP;
	} else {
		out->send = true;
		out->event = rtx ? XFER_LOG_RTX : XFER_LOG_SND;
		t->sent++;
	}
}

/* Length of the segment at seq in the old engine. */
static uint16_t
ref_len(const struct ref_tx *t, uint32_t seq)
{
	uint32_t	left = t->size - (seq - 1);

	return left < t->mss ? (uint16_t)left : t->mss;
}

/*
 * Runs the old sender against the old receiver rules over a wire that loses per fate
 * (latency 0), recording the same events as harness_run; returns how it ended.
 */
static enum xfer_result
ref_run(struct harness *h)
{
	struct ref_tx	t = { h->size, 1, 0, h->mss, 0, h->drop, 0, 0, false };
	struct xfer_rng	rng;
	struct xfer_seg	seg;
	uint32_t	expect = 1, n = 0, nack = 0, *copies, *acks, segno, ack;
	struct fate	f;

	copies = calloc(harness_nsegs(h->size, h->mss), sizeof *copies);
	acks = calloc(harness_nsegs(h->size, h->mss), sizeof *acks);
	ck_assert(copies && acks);
	xfer_rng_seed(&rng, h->seed);
	h->now = T_START_MS;
	t.len = ref_len(&t, 1);
	ref_emit(&t, &rng, false, &seg);
	t.deadline = h->now + h->timeout_ms;
	t.progress_at = h->now;
	for (;;) {
		harness_rec(h, 's', seg.event, seg.seq, seg.len, 0);
		segno = (seg.seq - 1) / h->mss;
		memset(&f, 0, sizeof f);
		if (seg.send)
			h->fate(h, false, ++n, segno, copies[segno]++, &f);
		if (seg.send && !f.lost) {
			harness_rec(h, 'r', XFER_LOG_RCV, seg.seq, seg.len, 0);
			if (seg.seq == expect)
				expect += seg.len;
			ack = expect;
			harness_rec(h, 'r', XFER_LOG_SND, 0, 0, ack);
			memset(&f, 0, sizeof f);
			h->fate(h, true, ++nack, segno, acks[segno]++, &f);
			if (!f.lost) {
				harness_rec(h, 's', XFER_LOG_RCV, 0, 0, ack);
				if ((uint64_t)ack == (uint64_t)t.seq + t.len) {
					if ((uint64_t)t.seq - 1 + t.len == t.size)
						break;
					t.seq += t.len;
					t.len = ref_len(&t, t.seq);
					ref_emit(&t, &rng, false, &seg);
					t.deadline = h->now + h->timeout_ms;
					t.progress_at = h->now;
					continue;
				}
			}
		}
		h->now = t.deadline;
		if (h->now - t.progress_at >= XFER_GIVE_UP_MS ||
		    (t.seq == 1 && t.sent >= XFER_SILENT_TRIES)) {
			free(copies);
			free(acks);
			return XFER_GAVE_UP;
		}
		ref_emit(&t, &rng, true, &seg);
		t.deadline = h->now + h->timeout_ms;
	}
	free(copies);
	free(acks);
	return XFER_DONE;
}

/* ---- random source ---- */

CASE("rng", test_xfer_rng_matches_splitmix64_reference)
{
	struct xfer_rng	rng;

	/* The first outputs of splitmix64 seeded with 0, as published with the algorithm. */
	xfer_rng_seed(&rng, 0);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0xe220a8397b1dcdafULL >> 11) * 0x1.0p-53);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0x6e789e6aa1b965f4ULL >> 11) * 0x1.0p-53);
	ck_assert(xfer_rng_uniform(&rng) == (double)(0x06c45d188009454fULL >> 11) * 0x1.0p-53);
}
END_TEST

CASE("rng", test_xfer_rng_uniform_in_unit_interval)
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

CASE("rng", test_xfer_rng_same_seed_same_stream)
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

/* A sender driven call by call, with the generator and the batch its calls share. */
struct txf {
	struct xfer_tx		tx;
	struct xfer_rng		rng;
	struct xfer_batch	b;
};

/* Sets up f's sender of size bytes in mss-byte segments, seeds its generator; not started. */
static void
txf_init(struct txf *f, uint32_t size, uint16_t mss, uint16_t window, double drop,
    uint32_t timeout_ms)
{
	struct xfer_cfg	cfg = { size, mss, window, drop, timeout_ms };

	xfer_rng_seed(&f->rng, T_SEED);
	xfer_tx_init(&f->tx, &cfg);
}

/* Starts f's sender at now: its first segments are in f->b. */
static void
txf_start(struct txf *f, uint64_t now)
{
	xfer_tx_start(&f->tx, &f->rng, now, &f->b);
}

/* txf_init, then txf_start at now. */
static void
txf_begin(struct txf *f, uint32_t size, uint16_t mss, uint16_t window, double drop,
    uint32_t timeout_ms, uint64_t now)
{
	txf_init(f, size, mss, window, drop, timeout_ms);
	txf_start(f, now);
}

/* An ACK (ack, sack) reaches f's sender at now. */
static enum xfer_result
txf_ack(struct txf *f, uint32_t ack, uint32_t sack, uint64_t now)
{
	return xfer_tx_on_ack(&f->tx, ack, sack, &f->rng, now, &f->b);
}

/* Is f's sender byte for byte as it was (in before)? */
static bool
txf_same(const struct txf *f, const struct xfer_tx *before)
{
	return memcmp(&f->tx, before, sizeof *before) == 0;
}

/* An ACK (ack, sack) at now that f's sender must ignore, staying byte for byte as it was. */
static void
txf_expect_ignored(struct txf *f, uint32_t ack, uint32_t sack, uint64_t now)
{
	struct xfer_tx	before = f->tx;

	ck_assert_int_eq(txf_ack(f, ack, sack, now), XFER_IGNORED);
	ck_assert(txf_same(f, &before));
}

/* f's sender's timer fires at now. */
static enum xfer_result
txf_timer(struct txf *f, uint64_t now)
{
	return xfer_tx_on_timer(&f->tx, &f->rng, now, &f->b);
}

CASE("rng", test_xfer_drop_half_drops_roughly_half)
{
	struct txf		s;
	uint64_t		now = 0;
	int			i;

	/*
	 * A T_DRAWS-byte file in 1-byte segments, each acknowledged as soon as it is sent and
	 * retransmitted 1 ms later when dropped: every send or retransmission is a fresh draw.
	 */
	txf_begin(&s, T_DRAWS, 1, 1, 0.5, 1, now);
	for (i = 0; !s.tx.done && i < 4 * T_DRAWS; i++) {
		ck_assert_uint_eq(s.b.n, 1);
		if (s.b.seg[0].send) {
			enum xfer_result r = txf_ack(&s, s.b.seg[0].seq + s.b.seg[0].len,
			    s.b.seg[0].seq, ++now);

			ck_assert(r == XFER_SEND || r == XFER_DONE);
		} else {
			ck_assert_int_eq(txf_timer(&s, ++now), XFER_SEND);
			ck_assert(s.b.seg[0].event ==
			    (s.b.seg[0].send ? XFER_LOG_RTX : XFER_LOG_DROP));
		}
	}
	ck_assert(s.tx.done);
	ck_assert_uint_eq(s.tx.sent, T_DRAWS);
	/* Half of all draws dropped: about as many drops as sends. */
	ck_assert_uint_gt(s.tx.dropped, T_DRAWS * 80 / 100);
	ck_assert_uint_lt(s.tx.dropped, T_DRAWS * 120 / 100);
}
END_TEST

CASE("pair", test_xfer_drop_zero_never_draws)
{
	struct harness	h;
	struct xfer_rng	fresh;

	harness_init(&h, 10 * 400 + 7, 400);
	h.window = 8;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	/* The stream is where the seed left it: no draw was made. */
	xfer_rng_seed(&fresh, T_SEED);
	ck_assert_uint_eq(h.rng.state, fresh.state);
	harness_free(&h);
}
END_TEST

/* ---- whole transfers, stop-and-wait ---- */

CASE_LOOP("pair", test_xfer_delivers_every_size, 14)
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
	ck_assert_uint_eq(h.dups + h.bads + h.ignored_acks + h.bad_acks, 0);
	ck_assert_uint_eq(h.now, T_START_MS);	/* no timer ever fired */
	harness_free(&h);
}
END_TEST

CASE_LOOP("pair", test_xfer_delivers_every_size_under_drop, 14)
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

#define E_S	XFER_LOG_SND
#define E_R	XFER_LOG_RTX
#define E_NONE	{ 0 }

/*
 * The classic loss cases (stop-and-wait, fixed 1 s, no latency) with what each must show;
 * -1 leaves a count unchecked. Each also runs at windows 8 and 32 and must deliver there.
 */
static const struct loss_case {
	const char		*name;
	uint32_t		 size;
	uint16_t		 mss;
	fate_fn			 fate;
	struct pat		 pat;
	int			 snd, rtx, lost, ack_lost, dups, writes;
	int			 timeouts;	/* fake seconds the run took */
	uint32_t		 nwant;		/* events of want to compare; 0: none */
	enum xfer_log_event	 want[12];
} loss_cases[] = {
	{ "first segment lost", 10 * 1000 + 7, 1000, fate_data_range, { 1, 1, 0 },
	  11, 1, 1, 0, 0, 11, 1, 0, E_NONE },
	{ "last segment lost", 10 * 1000 + 7, 1000, fate_data_range, { 11, 11, 0 },
	  11, 1, 1, 0, 0, 11, 1, 12,
	  { E_S, E_S, E_S, E_S, E_S, E_S, E_S, E_S, E_S, E_S, E_S, E_R } },
	{ "every other transmission lost", 10 * 400 + 7, 400, fate_data_even, { 0, 0, 0 },
	  11, 10, 10, 0, 0, 11, 10, 0, E_NONE },
	{ "every other segment lost once", 10 * 400 + 7, 400, fate_even_segment_once,
	  { 0, 0, 0 }, 11, 5, 5, 0, 0, 11, 5, 0, E_NONE },
	{ "one segment lost five times in a row", 5 * 400, 400, fate_data_range, { 3, 7, 0 },
	  5, 5, 5, 0, 0, 5, 5, 10,
	  { E_S, E_S, E_S, E_R, E_R, E_R, E_R, E_R, E_S, E_S } },
	{ "scripted sequence", 2 * 1000 + 1, 1000, fate_data_range, { 2, 3, 0 },
	  3, 2, 2, 0, 0, 3, 2, 5, { E_S, E_S, E_R, E_R, E_S } },
	{ "lost ACK: data re-acked, not rewritten", 3 * 400, 400, fate_ack_range, { 2, 2, 0 },
	  3, 1, 0, 1, 1, 3, 1, 0, E_NONE },
	{ "first ACK lost", 3 * 400, 400, fate_ack_range, { 1, 1, 0 },
	  3, 1, 0, 1, 1, 3, 1, 0, E_NONE },
	{ "last segment lost twice", 3 * 400 + 1, 400, fate_last_twice, { 0, 0, 0 },
	  4, 2, 2, 0, 0, 4, 2, 6, { E_S, E_S, E_S, E_S, E_R, E_R } },
};

#define N_LOSS_CASES	((int)(sizeof loss_cases / sizeof loss_cases[0]))

CASE_LOOP("pair", test_xfer_loss_case_stop_and_wait, N_LOSS_CASES)
{
	const struct loss_case	*c = &loss_cases[_i];
	struct harness		 h;
	uint32_t		 i;

	harness_init(&h, c->size, c->mss);
	h.fate = c->fate;
	h.pat = c->pat;
	harness_run(&h);
	ck_assert_msg(harness_delivered(&h), "%s: not delivered", c->name);
#define CHECK(field, want) \
	if ((want) >= 0) ck_assert_msg((int)(field) == (want), "%s: %s is %d, want %d", \
	    c->name, #field, (int)(field), (want))
	CHECK(h.n_snd, c->snd);
	CHECK(h.n_rtx, c->rtx);
	CHECK(h.n_lost, c->lost);
	CHECK(h.n_ack_lost, c->ack_lost);
	CHECK(h.dups, c->dups);
	CHECK(h.writes, c->writes);
	CHECK((h.now - T_START_MS) / T_TIMEOUT_MS, c->timeouts);
#undef CHECK
	ck_assert_uint_eq((h.now - T_START_MS) % T_TIMEOUT_MS, 0);
	if (c->nwant > 0) {
		ck_assert_msg(h.nlog == c->nwant, "%s: %u events", c->name, h.nlog);
		for (i = 0; i < c->nwant; i++)
			ck_assert_msg(h.log[i] == c->want[i], "%s: event %u", c->name, i);
	}
	harness_free(&h);
}
END_TEST

CASE_LOOP("pair", test_xfer_loss_case_windowed_delivers, 2 * N_LOSS_CASES)
{
	const struct loss_case	*c = &loss_cases[_i / 2];
	struct harness		 h;

	harness_init(&h, c->size, c->mss);
	h.window = _i % 2 ? 32 : 8;
	h.timeout_ms = XFER_TIMEOUT_AUTO;
	h.fate = c->fate;
	h.pat = c->pat;
	harness_run(&h);
	ck_assert_msg(harness_delivered(&h), "%s at window %u", c->name, h.window);
	ck_assert_uint_eq(h.writes, harness_nsegs(c->size, c->mss));
	ck_assert_uint_eq(h.bad_acks, 0);
	harness_free(&h);
}
END_TEST

/* Window 1 logs exactly what the pre-window engine logged, for the same draws and losses. */
CASE_LOOP("pair", test_xfer_window_one_is_the_old_stop_and_wait, 18)
{
	static const fate_fn	fates[] = { fate_none, fate_data_even, fate_even_segment_once,
	    fate_ack_range, fate_last_twice, fate_data_range };
	struct harness		a, b;
	uint32_t		i, n;

	harness_init(&a, 20 * 400 + 9, 400);
	a.drop = (_i % 3) * 0.25;		/* 0, 0.25, 0.5 */
	a.timeout_ms = _i % 2 ? 250 : T_TIMEOUT_MS;	/* under the RTO ceiling too */
	a.seed = T_SEED + (uint64_t)_i;
	a.fate = fates[_i / 3];
	a.pat = (struct pat){ 2, 4, 0 };
	b = a;
	harness_run(&a);
	b.end = ref_run(&b);
	ck_assert_int_eq(a.end, b.end);
	ck_assert(harness_delivered(&a));
	ck_assert_uint_eq(a.nrec, b.nrec);
	n = a.nrec < T_LOG_MAX ? a.nrec : T_LOG_MAX;
	for (i = 0; i < n; i++) {
		ck_assert_msg(a.rec[i].ev == b.rec[i].ev && a.rec[i].side == b.rec[i].side &&
		    a.rec[i].at == b.rec[i].at && a.rec[i].seq == b.rec[i].seq &&
		    a.rec[i].len == b.rec[i].len && a.rec[i].ack == b.rec[i].ack,
		    "case %d: event %u differs", _i, i);
	}
	harness_free(&a);
}
END_TEST

CASE("pair", test_xfer_event_sequence_follows_drop_draws)
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

CASE("pair", test_xfer_same_seed_same_drop_pattern)
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

CASE("pair", test_xfer_drop_all_gives_up)
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

CASE("pair", test_xfer_gives_up_after_limit_without_progress)
{
	struct harness	h;

	/* Segment 2 never gets through: the give-up counts from segment 1's ACK. */
	harness_init(&h, 3 * 400, 400);
	h.fate = fate_data_range;
	h.pat = (struct pat){ 2, 1 + T_GIVE_UP_ROUNDS, 0 };
	harness_run(&h);
	ck_assert_int_eq(h.end, XFER_GAVE_UP);
	ck_assert_uint_eq(h.now, T_START_MS + XFER_GIVE_UP_MS);
	ck_assert_uint_eq(h.n_rtx, T_GIVE_UP_ROUNDS - 1);
	ck_assert_uint_eq(h.rx.expect, 401);
	harness_free(&h);
}
END_TEST

/* A receiver that never answers: the sender stops after XFER_SILENT_TRIES sends. */
CASE("pair", test_xfer_gives_up_on_silent_receiver)
{
	struct txf		s;
	uint64_t		now = 0;
	unsigned		sends = 1;

	txf_begin(&s, 4000, 400, 1, 0, 1000, now);
	for (;;) {
		now += 1000;
		if (txf_timer(&s, now) != XFER_SEND)
			break;
		sends++;
	}
	ck_assert_uint_eq(sends, XFER_SILENT_TRIES);
	ck_assert_uint_eq(s.tx.sent, XFER_SILENT_TRIES);
	ck_assert_int_eq(txf_timer(&s, now + 1000), XFER_GAVE_UP);
}
END_TEST

/*
 * With a window and the adaptive RTO the silent rule is the same: five sends of segment 1.
 * Until the receiver answers, the window is one segment: a forged request's origin gets five
 * segments in all, not five windows of them.
 */
CASE("pair", test_xfer_gives_up_on_silent_receiver_windowed_auto)
{
	struct txf		s;
	enum xfer_result	r;
	uint64_t		now = 0;

	txf_begin(&s, 40000, 400, 32, 0, XFER_TIMEOUT_AUTO, now);
	ck_assert_uint_eq(s.b.n, 1);
	while ((r = txf_timer(&s, now = s.tx.deadline)) == XFER_SEND)
		ck_assert_uint_eq(s.b.n, 1);
	ck_assert_int_eq(r, XFER_GAVE_UP);
	ck_assert_uint_eq(s.tx.slot[0].wire, XFER_SILENT_TRIES);
	/* 200 + 400 + 800 + 1000 ms of backed-off waits, then the fifth one expires. */
	ck_assert_uint_eq(now, 200 + 400 + 800 + 1000 + 1000);
}
END_TEST

/* Drops by emulation are not silence: only segments actually sent count. */
CASE("pair", test_xfer_emulated_drops_do_not_count_as_silence)
{
	struct txf		s;
	uint64_t		now = 0;
	int			i;

	txf_begin(&s, 4000, 400, 1, 1.0, 1000, now);
	for (i = 0; i < 3 * XFER_SILENT_TRIES; i++) {
		now += 1000;
		ck_assert_int_eq(txf_timer(&s, now), XFER_SEND);
		ck_assert(!s.b.seg[0].send);
	}
}
END_TEST

CASE("pair", test_xfer_progress_restarts_give_up_clock)
{
	struct harness	h;

	/*
	 * After the first, each segment gets through only on its last chance before the
	 * give-up: the transfer stalls for twice the limit in all, but never that long without
	 * progress. (A first segment that is never acknowledged is given up on sooner:
	 * test_xfer_gives_up_on_silent_receiver.)
	 */
	harness_init(&h, 3 * 400, 400);
	h.fate = fate_all_but_every_round;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_eq(h.n_rtx, 2 * (T_GIVE_UP_ROUNDS - 1));
	ck_assert_uint_eq(h.now, T_START_MS + 2 * (T_GIVE_UP_ROUNDS - 1) * T_TIMEOUT_MS);
	ck_assert_uint_gt(h.now - T_START_MS, XFER_GIVE_UP_MS);
	harness_free(&h);
}
END_TEST

/* ---- the window against a table of loss patterns ---- */

/* A loss pattern of the window table; each_seg: run once per segment (or a sample of them). */
static const struct pattern {
	const char	*name;
	fate_fn		 fate;
	struct pat	 pat;
	bool		 each_seg;
	double		 drop;
} patterns[] = {
	{ "lossless", fate_none, { 0, 0, 0 }, false, 0 },
	{ "each data segment lost", fate_seg_once, { 0, 0, 0 }, true, 0 },
	{ "each ACK lost", fate_ack_of_seg, { 0, 0, 0 }, true, 0 },
	{ "burst of 5 segments lost", fate_burst, { 1, 5, 0 }, false, 0 },
	{ "burst of 40 segments lost", fate_burst, { 2, 41, 0 }, false, 0 },
	{ "burst of 10 ACKs lost", fate_ack_burst, { 2, 10, 0 }, false, 0 },
	{ "last segment lost twice", fate_last_twice, { 0, 0, 0 }, false, 0 },
	{ "reordered", fate_reorder, { 0, 0, 0 }, false, 0 },
	{ "duplicated", fate_dup, { 0, 0, 0 }, false, 0 },
	{ "every other transmission lost", fate_data_even, { 0, 0, 0 }, false, 0 },
	{ "random loss, duplication and jitter", fate_random, { 0, 0, 0 }, false, 0 },
	{ "emulated drop 0.2", fate_none, { 0, 0, 0 }, false, 0.2 },
};

#define N_PATTERNS	((int)(sizeof patterns / sizeof patterns[0]))
static const uint32_t	table_sizes[] = { 0, 1, T_MSS - 1, T_MSS, T_MSS + 1, 20 * T_MSS + 7,
    T_BIG };
#define N_SIZES		((int)(sizeof table_sizes / sizeof table_sizes[0]))
static const uint16_t	table_windows[] = { 1, 8, 32 };
#define N_WINDOWS	3

/* One run of the window table: delivered byte for byte, each segment written once, in time. */
static void
table_run(const struct pattern *p, uint32_t size, uint16_t window, uint32_t seg)
{
	struct harness	h;
	uint32_t	nsegs = harness_nsegs(size, T_MSS);

	harness_init(&h, size, T_MSS);
	h.window = window;
	h.timeout_ms = XFER_TIMEOUT_AUTO;
	h.latency = 1;
	h.fate = p->fate;
	h.pat = p->pat;
	h.pat.seg = seg;
	h.drop = p->drop;
	harness_run(&h);
	ck_assert_msg(harness_delivered(&h), "%s, %u bytes, window %u, segment %u: not delivered",
	    p->name, size, window, seg);
	ck_assert_msg(h.writes == nsegs, "%s, %u bytes, window %u: %u writes for %u segments",
	    p->name, size, window, h.writes, nsegs);
	ck_assert_uint_eq(h.bad_acks, 0);
	ck_assert_uint_le(h.max_in_flight, window);
	/*
	 * Terminates within a bound: never more than a few tries a segment, and no RTO stuck at
	 * its ceiling (that would be about a second a segment).
	 */
	ck_assert_msg(h.now - T_START_MS <= T_BOUND_BASE_MS + T_BOUND_ROUND_MS *
	    ((nsegs + window - 1) / window), "%s, %u bytes, window %u: took %llu ms", p->name,
	    size, window, (unsigned long long)(h.now - T_START_MS));
	ck_assert_uint_le(h.n_snd + h.n_rtx + h.n_drop, 8 * nsegs + 64);
	if (p->fate == fate_none && p->drop == 0) {
		ck_assert_uint_eq(h.n_rtx + h.dups + h.bads, 0);
		/*
		 * A lossless run takes one round trip for the first segment (the window opens
		 * only once the receiver has answered), then one per window of segments.
		 */
		ck_assert_uint_le(h.now - T_START_MS, 2 * h.latency * (1 + (nsegs - 1 + window -
		    1) / window));
	}
	harness_free(&h);
}

CASE_LOOP("table", test_xfer_window_table, N_PATTERNS * N_SIZES * N_WINDOWS)
{
	const struct pattern	*p = &patterns[_i / (N_SIZES * N_WINDOWS)];
	uint32_t		 size = table_sizes[_i / N_WINDOWS % N_SIZES];
	uint16_t		 window = table_windows[_i % N_WINDOWS];
	uint32_t		 nsegs = harness_nsegs(size, T_MSS), k;

	if (!p->each_seg) {
		table_run(p, size, window, 0);
		return;
	}
	if (nsegs <= T_EACH_MAX) {
		for (k = 0; k < nsegs; k++)
			table_run(p, size, window, k);
		return;
	}
	/* A long file: the first, a middle, the one past the first window, and the last. */
	table_run(p, size, window, 0);
	table_run(p, size, window, nsegs / 2);
	table_run(p, size, window, window);
	table_run(p, size, window, UINT32_MAX);
}
END_TEST

/* A receiver holding fewer segments than the sender sends still ends with the whole file. */
CASE("table", test_xfer_receive_window_smaller_than_send_window)
{
	struct harness	h;

	harness_init(&h, 50 * 400 + 3, 400);
	h.window = 32;
	h.rx_window = 4;
	h.timeout_ms = XFER_TIMEOUT_AUTO;
	h.latency = 1;
	h.fate = fate_burst;
	h.pat = (struct pat){ 1, 2, 0 };
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_gt(h.bads, 0);	/* segments beyond its window were refused */
	ck_assert_uint_eq(h.writes, 51);
	harness_free(&h);
}
END_TEST

/* ---- the sender, call by call ---- */

CASE("tx", test_xfer_tx_start_arms_deadline)
{
	struct txf		s;

	txf_init(&s, 2500, 1000, 1, 0, T_TIMEOUT_MS);
	ck_assert_uint_eq(s.tx.seq, 1);
	ck_assert_uint_eq(s.tx.nsegs, 3);
	ck_assert(!s.tx.done);
	txf_start(&s, T_START_MS);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_uint_eq(s.b.seg[0].seq, 1);
	ck_assert_uint_eq(s.b.seg[0].len, 1000);
	ck_assert(!s.b.seg[0].last && s.b.seg[0].send);
	ck_assert_int_eq(s.b.seg[0].event, XFER_LOG_SND);
	ck_assert_uint_eq(s.tx.deadline, T_START_MS + T_TIMEOUT_MS);
	ck_assert_uint_eq(xfer_tx_next_deadline(&s.tx), T_START_MS + T_TIMEOUT_MS);
	ck_assert_uint_eq(s.tx.progress_at, T_START_MS);
	ck_assert_uint_eq(s.tx.sent, 1);
}
END_TEST

/*
 * The start sends one segment; the window opens once the receiver has answered (a forged
 * request cannot aim a whole window at a third party), and then it fills.
 */
CASE("tx", test_xfer_tx_start_fills_the_window)
{
	struct txf		s;
	uint16_t		i;

	txf_begin(&s, 10 * 400 + 1, 400, 8, 0, T_TIMEOUT_MS, 50);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_uint_eq(s.b.seg[0].seq, 1);
	ck_assert_uint_eq(s.tx.deadline, 50 + T_TIMEOUT_MS);
	ck_assert_int_eq(txf_ack(&s, 401, 1, 60), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 8);
	for (i = 0; i < 8; i++) {
		ck_assert_uint_eq(s.b.seg[i].seq, 401 + 400u * i);
		ck_assert_uint_eq(s.b.seg[i].len, 400);
		ck_assert_int_eq(s.b.seg[i].event, XFER_LOG_SND);
	}
	ck_assert_uint_eq(s.tx.next, 9);
	ck_assert_uint_eq(s.tx.deadline, 60 + T_TIMEOUT_MS);
	/* A window larger than the file sends the rest of the file. */
	txf_init(&s, 401, 400, 32, 0, T_TIMEOUT_MS);
	txf_start(&s, 50);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_int_eq(txf_ack(&s, 401, 1, 60), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert(s.b.seg[0].last && s.b.seg[0].len == 1);
}
END_TEST

CASE("tx", test_xfer_tx_window_clamped)
{
	static const struct { uint16_t mss, window, want_mss, want_window; } c[] = {
		{ 400, 0, 400, 1 },
		{ 400, 9999, 400, XFER_WINDOW_MAX },
		{ 0, 1, 1, 1 },
	};
	struct txf	s;
	size_t		i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		txf_init(&s, 4000, c[i].mss, c[i].window, 0, T_TIMEOUT_MS);
		ck_assert_uint_eq(s.tx.window, c[i].want_window);
		ck_assert_uint_eq(s.tx.mss, c[i].want_mss);
	}
}
END_TEST

CASE("tx", test_xfer_tx_ack_advances_to_next_segment)
{
	struct txf		s;

	txf_begin(&s, 2500, 1000, 1, 0, T_TIMEOUT_MS, 0);
	ck_assert_int_eq(txf_ack(&s, 1001, 1, 300), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_uint_eq(s.b.seg[0].seq, 1001);
	ck_assert_uint_eq(s.b.seg[0].len, 1000);
	ck_assert_int_eq(txf_ack(&s, 2001, 1001, 600), XFER_SEND);
	ck_assert_uint_eq(s.b.seg[0].seq, 2001);
	ck_assert_uint_eq(s.b.seg[0].len, 500);
	ck_assert(s.b.seg[0].last && s.b.seg[0].send);
	ck_assert_uint_eq(s.tx.deadline, 600 + T_TIMEOUT_MS);
	ck_assert_uint_eq(s.tx.progress_at, 600);
	ck_assert_uint_eq(xfer_tx_acked_bytes(&s.tx), 2000);
	ck_assert_int_eq(txf_ack(&s, 2501, 2001, 900), XFER_DONE);
	ck_assert_uint_eq(s.b.n, 0);
	ck_assert(s.tx.done);
	ck_assert_uint_eq(s.tx.sent, 3);
	ck_assert_uint_eq(xfer_tx_next_deadline(&s.tx), UINT64_MAX);
	ck_assert_uint_eq(xfer_tx_acked_bytes(&s.tx), 2500);
}
END_TEST

CASE("tx", test_xfer_tx_duplicate_ack_ignored)
{
	struct txf	s;

	txf_begin(&s, 3000, 1000, 1, 0, T_TIMEOUT_MS, 0);
	ck_assert_int_eq(txf_ack(&s, 1001, 1, 100), XFER_SEND);
	memset(&s.b, 0xa5, sizeof s.b);
	txf_expect_ignored(&s, 1001, 1, 200);
	ck_assert_uint_eq(s.b.n, 0);
	ck_assert_uint_eq(s.tx.seq, 1001);
	ck_assert_uint_eq(s.tx.sent, 2);
	ck_assert_uint_eq(s.tx.deadline, 100 + T_TIMEOUT_MS);
	ck_assert_uint_eq(s.tx.progress_at, 100);
}
END_TEST

CASE("tx", test_xfer_tx_stale_ack_ignored)
{
	/* In flight: segment 1001..2000, so only ACK 2001 moves on. */
	static const uint32_t	stale[] = { 1, 1001 };
	static const uint32_t	bad[] = { 0, 1000, 2000, 2002, 3001, UINT32_MAX };
	struct txf		s;
	size_t			i;

	txf_begin(&s, 3000, 1000, 1, 0, T_TIMEOUT_MS, 0);
	ck_assert_int_eq(txf_ack(&s, 1001, 1, 100), XFER_SEND);
	for (i = 0; i < sizeof stale / sizeof stale[0]; i++)
		txf_expect_ignored(&s, stale[i], 0, 200);
	/* Not a segment boundary, or beyond what was sent: refused, counted, nothing else. */
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(txf_ack(&s, bad[i], 0, 200), XFER_BAD);
		ck_assert_uint_eq(s.tx.bad_acks, i + 1);
		ck_assert_uint_eq(s.tx.seq, 1001);
		ck_assert_uint_eq(s.tx.sent, 2);
		ck_assert(!s.tx.done);
	}
	ck_assert_int_eq(txf_ack(&s, 2001, 1001, 300), XFER_SEND);
}
END_TEST

CASE("tx", test_xfer_tx_bad_sack_refused)
{
	/* Window 4 of 400-byte segments, all out: 1, 401, 801, 1201. */
	static const struct { uint32_t ack, sack; } bad[] = {
		{ 1, 2 },	/* not a segment start */
		{ 1, 1601 },	/* a segment never put out */
		{ 1, 1 },	/* held, yet expected: impossible */
		{ 401, 401 },	/* same */
		{ 2001, 0 },	/* beyond what was sent */
		{ 1601, 1601 },	/* valid ACK, sack of a segment never put out */
	};
	struct txf		s;
	struct xfer_tx		before;
	size_t			i;

	txf_begin(&s, 4000, 400, 4, 0, T_TIMEOUT_MS, 0);
	before = s.tx;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(txf_ack(&s, bad[i].ack, bad[i].sack, 5) ==
		    XFER_BAD, "case %zu", i);
		ck_assert_uint_eq(s.b.n, 0);
		before.bad_acks = s.tx.bad_acks;
		ck_assert(txf_same(&s, &before));
	}
}
END_TEST

CASE("tx", test_xfer_tx_selective_ack_resends_only_the_hole)
{
	struct txf		s;

	/*
	 * Window 4 (open, as after a first acknowledgement): segment 1 is lost, 2..4 arrive and
	 * are acknowledged above the hole.
	 */
	txf_init(&s, 4000, 400, 4, 0, T_TIMEOUT_MS);
	s.tx.acked_any = true;
	txf_start(&s, 0);
	ck_assert_int_eq(txf_ack(&s, 1, 401, 10), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 0);	/* the window is still full: the hole holds it */
	ck_assert_int_eq(txf_ack(&s, 1, 801, 10), XFER_SEND);
	ck_assert_int_eq(txf_ack(&s, 1, 1201, 10), XFER_SEND);
	ck_assert_int_eq(txf_ack(&s, 1, 1201, 11), XFER_IGNORED);
	ck_assert_uint_eq(s.tx.base, 0);
	ck_assert_uint_eq(s.tx.deadline, T_TIMEOUT_MS);
	ck_assert_int_eq(txf_timer(&s, T_TIMEOUT_MS), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_uint_eq(s.b.seg[0].seq, 1);
	ck_assert_int_eq(s.b.seg[0].event, XFER_LOG_RTX);
	/* The hole is filled: the window slides by four and four new segments go out. */
	ck_assert_int_eq(txf_ack(&s, 1601, 1, T_TIMEOUT_MS + 5), XFER_SEND);
	ck_assert_uint_eq(s.tx.base, 4);
	ck_assert_uint_eq(s.b.n, 4);
	ck_assert_uint_eq(s.b.seg[0].seq, 1601);
	ck_assert_uint_eq(s.b.seg[3].seq, 2801);
}
END_TEST

CASE("tx", test_xfer_tx_reordered_acks_ignored)
{
	struct txf	s;

	txf_begin(&s, 4000, 400, 4, 0, T_TIMEOUT_MS, 0);
	ck_assert_int_eq(txf_ack(&s, 401, 1, 5), XFER_SEND);
	ck_assert_int_eq(txf_ack(&s, 1201, 801, 10), XFER_SEND);
	/* The ACK of segment 2 comes after that of segment 3: it says nothing new. */
	txf_expect_ignored(&s, 801, 401, 11);
}
END_TEST

CASE("tx", test_xfer_tx_ack_wrapping_past_2_32_ignored)
{
	struct txf		s;
	uint32_t		k;

	/* The last segment of a 2^32-1 byte file ends at 2^32: a wrapped ACK 0 must not match. */
	txf_begin(&s, UINT32_MAX, 60000, XFER_WINDOW_MAX, 0, T_TIMEOUT_MS, 0);
	for (k = 0; k + 1 < s.tx.nsegs; k++)
		ck_assert_int_eq(txf_ack(&s, (k + 1) * 60000u + 1, k * 60000u + 1, 1), XFER_SEND);
	ck_assert_uint_eq(s.tx.next, s.tx.nsegs);
	ck_assert_int_eq(txf_ack(&s, 0, 0, 2), XFER_BAD);
	ck_assert(!s.tx.done);
}
END_TEST

CASE("tx", test_xfer_tx_empty_file_one_empty_segment)
{
	struct txf		s;

	txf_begin(&s, 0, 1000, 8, 0, T_TIMEOUT_MS, 0);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_uint_eq(s.b.seg[0].seq, 1);
	ck_assert_uint_eq(s.b.seg[0].len, 0);
	ck_assert(s.b.seg[0].last && s.b.seg[0].send);
	ck_assert_int_eq(txf_ack(&s, 2, 1, 10), XFER_BAD);
	ck_assert_int_eq(txf_ack(&s, 1, 1, 10), XFER_DONE);
	ck_assert(s.tx.done);
}
END_TEST

CASE("tx", test_xfer_tx_after_done_ignored)
{
	struct txf		s;

	txf_begin(&s, 10, 1000, 1, 0, T_TIMEOUT_MS, 0);
	ck_assert_int_eq(txf_ack(&s, 11, 1, 10), XFER_DONE);
	ck_assert_int_eq(txf_ack(&s, 11, 1, 20), XFER_IGNORED);
	ck_assert_int_eq(txf_timer(&s, 10 * XFER_GIVE_UP_MS), XFER_IGNORED);
	ck_assert_uint_eq(s.tx.sent, 1);
}
END_TEST

CASE("tx", test_xfer_tx_timer_before_deadline_ignored)
{
	struct txf		s;

	txf_begin(&s, 2500, 1000, 1, 0, T_TIMEOUT_MS, 100);
	ck_assert_int_eq(txf_timer(&s, 100), XFER_IGNORED);
	ck_assert_int_eq(txf_timer(&s, 100 + T_TIMEOUT_MS - 1), XFER_IGNORED);
	ck_assert_uint_eq(s.tx.sent, 1);
	ck_assert_int_eq(txf_timer(&s, 100 + T_TIMEOUT_MS), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_int_eq(s.b.seg[0].event, XFER_LOG_RTX);
	ck_assert_uint_eq(s.b.seg[0].seq, 1);
	ck_assert_uint_eq(s.b.seg[0].len, 1000);
	ck_assert_uint_eq(s.tx.deadline, 100 + 2 * T_TIMEOUT_MS);	/* fixed: no backoff */
	ck_assert_uint_eq(s.tx.progress_at, 100);	/* a retransmission is not progress */
	ck_assert_uint_eq(s.tx.sent, 2);
}
END_TEST

/* ---- retransmission timeout ---- */

CASE("rto", test_xfer_rto_fixed_never_moves)
{
	struct xfer_rto	r;

	xfer_rto_init(&r, 1000);
	ck_assert_uint_eq(r.rto_ms, 1000);
	xfer_rto_sample(&r, 3);
	xfer_rto_backoff(&r);
	xfer_rto_backoff(&r);
	ck_assert_uint_eq(r.rto_ms, 1000);
	ck_assert_uint_eq(r.samples, 0);
}
END_TEST

CASE("rto", test_xfer_rto_initial_before_any_sample)
{
	struct xfer_rto	r;

	xfer_rto_init(&r, XFER_TIMEOUT_AUTO);
	ck_assert_uint_eq(r.rto_ms, XFER_RTO_INITIAL_MS);
}
END_TEST

/* RTT sequences and the RTO after each sample, worked out by hand from RFC 6298 §2. */
static const struct rto_case {
	uint32_t	n;
	uint64_t	rtt[4];		/* ms */
	uint32_t	rto[4];		/* ms after each sample */
	uint64_t	srtt_us, rttvar_us;	/* after the last */
} rto_cases[] = {
	/* 100: SRTT 100, RTTVAR 50, RTO 100 + 4·50 = 300. */
	{ 1, { 100 }, { 300 }, 100000, 50000 },
	/* then 100: RTTVAR 3/4·50 = 37.5, SRTT 100, RTO 250; then 200: RTTVAR (112.5 + 100)/4
	 * = 53.125, SRTT (700 + 200)/8 = 112.5, RTO 112.5 + 212.5 = 325. */
	{ 3, { 100, 100, 200 }, { 300, 250, 325 }, 112500, 53125 },
	/* 10: 10 + 20 = 30; 20: RTTVAR (15 + 10)/4 = 6.25, SRTT 11.25, RTO 36.25 -> 37;
	 * 30: RTTVAR (18.75 + 18.75)/4 = 9.375, SRTT 13.59375 (µs: 13593), RTO 51.093 -> 52;
	 * 40: RTTVAR (28.125 + 26.407)/4 = 13.633, SRTT 16.893, RTO 71.425 -> 72. */
	{ 4, { 10, 20, 30, 40 }, { 30, 37, 52, 72 }, 16893, 13633 },
	/* A loopback: 0 ms samples give SRTT 0, RTO max(G, 0) = 1 ms, raised to the floor. */
	{ 2, { 0, 0 }, { XFER_RTO_MIN_MS, XFER_RTO_MIN_MS }, 0, 0 },
	/* 1 ms: 1 + 4·0.5 = 3; the floor does not apply. */
	{ 1, { 1 }, { 3 }, 1000, 500 },
	/* 5 s: 5 + 4·2.5 = 15 s, cut to the ceiling. */
	{ 1, { 5000 }, { XFER_RTO_MAX_MS }, 5000000, 2500000 },
};

CASE_LOOP("rto", test_xfer_rto_from_known_rtts, (int)(sizeof rto_cases / sizeof rto_cases[0]))
{
	const struct rto_case	*c = &rto_cases[_i];
	struct xfer_rto		 r;
	uint32_t		 i;

	xfer_rto_init(&r, XFER_TIMEOUT_AUTO);
	for (i = 0; i < c->n; i++) {
		xfer_rto_sample(&r, c->rtt[i]);
		ck_assert_msg(r.rto_ms == c->rto[i], "case %d sample %u: RTO %u, want %u", _i,
		    i, r.rto_ms, c->rto[i]);
	}
	ck_assert_uint_eq(r.srtt_us, c->srtt_us);
	ck_assert_uint_eq(r.rttvar_us, c->rttvar_us);
	ck_assert_uint_eq(r.samples, c->n);
}
END_TEST

CASE("rto", test_xfer_rto_backoff_doubles_to_the_cap)
{
	static const uint32_t	want[] = { 400, 800, 1000, 1000, 1000 };
	struct xfer_rto		r;
	size_t			i;

	xfer_rto_init(&r, XFER_TIMEOUT_AUTO);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		xfer_rto_backoff(&r);
		ck_assert_uint_eq(r.rto_ms, want[i]);
	}
	for (i = 0; i < 100; i++)
		xfer_rto_backoff(&r);
	ck_assert_uint_eq(r.rto_ms, XFER_RTO_MAX_MS);
	ck_assert_uint_le(r.backoff, 16);
	/* A new sample ends the backoff: the RTO is computed afresh. */
	xfer_rto_sample(&r, 100);
	ck_assert_uint_eq(r.rto_ms, 300);
	ck_assert_uint_eq(r.backoff, 0);
}
END_TEST

CASE("rto", test_xfer_rto_progress_ends_backoff_without_sample)
{
	struct xfer_rto	r;

	xfer_rto_init(&r, XFER_TIMEOUT_AUTO);
	xfer_rto_sample(&r, 10);
	ck_assert_uint_eq(r.rto_ms, 30);
	xfer_rto_backoff(&r);
	xfer_rto_backoff(&r);
	ck_assert_uint_eq(r.rto_ms, 120);
	xfer_rto_recover(&r);
	ck_assert_uint_eq(r.rto_ms, 30);
	ck_assert_uint_eq(r.samples, 1);
	ck_assert_uint_eq(r.srtt_us, 10000);
	/* Fixed stays fixed. */
	xfer_rto_init(&r, 700);
	xfer_rto_backoff(&r);
	xfer_rto_recover(&r);
	ck_assert_uint_eq(r.rto_ms, 700);
}
END_TEST

CASE("rto", test_xfer_rto_backoff_from_the_floor)
{
	static const uint32_t	want[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000 };
	struct xfer_rto		r;
	size_t			i;

	xfer_rto_init(&r, XFER_TIMEOUT_AUTO);
	xfer_rto_sample(&r, 0);
	ck_assert_uint_eq(r.rto_ms, XFER_RTO_MIN_MS);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		xfer_rto_backoff(&r);
		ck_assert_uint_eq(r.rto_ms, want[i]);
	}
}
END_TEST

CASE("rto", test_xfer_rto_karn_no_sample_from_retransmission)
{
	struct txf		s;

	txf_begin(&s, 4000, 400, 1, 0, XFER_TIMEOUT_AUTO, 0);
	ck_assert_uint_eq(s.tx.deadline, XFER_RTO_INITIAL_MS);
	/* Segment 1 times out and goes again with a doubled RTO. */
	ck_assert_int_eq(txf_timer(&s, 200), XFER_SEND);
	ck_assert_uint_eq(s.tx.rto.rto_ms, 400);
	ck_assert_uint_eq(s.tx.deadline, 600);
	/*
	 * Its ACK is ambiguous (which copy?): no sample. The path delivers again, so the
	 * backoff ends: with no sample yet, the RTO is the initial one again.
	 */
	ck_assert_int_eq(txf_ack(&s, 401, 1, 230), XFER_SEND);
	ck_assert_uint_eq(s.tx.rto.samples, 0);
	ck_assert_uint_eq(s.tx.rto.srtt_us, 0);
	ck_assert_uint_eq(s.tx.rto.rto_ms, XFER_RTO_INITIAL_MS);
	ck_assert_uint_eq(s.tx.deadline, 230 + XFER_RTO_INITIAL_MS);
	/* Segment 2 went once: its ACK 30 ms later is a sample, RTO 30 + 4·15 = 90. */
	ck_assert_int_eq(txf_ack(&s, 801, 401, 260), XFER_SEND);
	ck_assert_uint_eq(s.tx.rto.samples, 1);
	ck_assert_uint_eq(s.tx.rto.rto_ms, 90);
	ck_assert_uint_eq(s.tx.deadline, 260 + 90);
}
END_TEST

CASE("rto", test_xfer_rto_sample_after_emulated_drop)
{
	struct txf		s;

	/* Emulation drops the first copy; the one copy that goes out is timed unambiguously. */
	txf_begin(&s, 4000, 400, 1, 1.0, XFER_TIMEOUT_AUTO, 0);
	ck_assert(!s.b.seg[0].send);
	s.tx.drop = 0;
	ck_assert_int_eq(txf_timer(&s, 200), XFER_SEND);
	ck_assert(s.b.seg[0].send && s.b.seg[0].event == XFER_LOG_RTX);
	ck_assert_int_eq(txf_ack(&s, 401, 1, 210), XFER_SEND);
	ck_assert_uint_eq(s.tx.rto.samples, 1);
	ck_assert_uint_eq(s.tx.rto.srtt_us, 10000);
}
END_TEST

CASE("rto", test_xfer_rto_one_backoff_per_expiry_of_the_oldest)
{
	struct txf		s;

	/*
	 * Eight segments expire together: one doubling, eight retransmissions. (The window is
	 * taken as open, as after a first acknowledgement; until then it is one segment.)
	 */
	txf_init(&s, 8 * 400, 400, 8, 0, XFER_TIMEOUT_AUTO);
	s.tx.acked_any = true;
	txf_start(&s, 0);
	ck_assert_int_eq(txf_timer(&s, 200), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 8);
	ck_assert_uint_eq(s.tx.rto.rto_ms, 400);
	/* Two segments expiring 10 ms apart, the oldest first: one doubling, not two. */
	txf_init(&s, 3 * 400, 400, 2, 0, XFER_TIMEOUT_AUTO);
	s.tx.acked_any = true;
	txf_start(&s, 0);
	ck_assert_int_eq(txf_ack(&s, 401, 0, 10), XFER_SEND);
	ck_assert_uint_eq(s.b.n, 1);
	ck_assert_int_eq(txf_timer(&s, 200), XFER_SEND);
	ck_assert(s.b.n == 1 && s.b.seg[0].seq == 401);
	ck_assert_uint_eq(s.tx.rto.rto_ms, 400);
	ck_assert_uint_eq(s.tx.deadline, 210);
	ck_assert_int_eq(txf_timer(&s, 210), XFER_SEND);
	ck_assert(s.b.n == 1 && s.b.seg[0].seq == 801);
	ck_assert_uint_eq(s.tx.rto.rto_ms, 400);
	ck_assert_uint_eq(s.tx.deadline, 600);
}
END_TEST

CASE("rto", test_xfer_auto_rto_fast_on_a_lossy_loopback)
{
	struct harness	h;

	/*
	 * 1 ms each way, 10% emulated drop, window 1: the RTO settles near the round trip, so
	 * 2000 segments take seconds, not the ~200 s a fixed 1 s timeout would.
	 */
	harness_init(&h, 2000 * 400, 400);
	h.timeout_ms = XFER_TIMEOUT_AUTO;
	h.latency = 1;
	h.drop = 0.1;
	harness_run(&h);
	ck_assert(harness_delivered(&h));
	ck_assert_uint_gt(h.n_rtx, 100);
	ck_assert_uint_lt(h.now - T_START_MS, 20000);
	ck_assert_uint_eq(h.tx.rto.srtt_us, 2000);	/* every sample was the 2 ms round trip */
	harness_free(&h);
}
END_TEST

/* ---- the receiver ---- */

/* A receiver and the ACK its last answer carried. */
struct rxf {
	struct xfer_rx	rx;
	uint32_t	ack, sack;
};

/* Sets up f's receiver of a window of window segments at now. */
static void
rxf_init(struct rxf *f, uint16_t window, uint64_t now)
{
	xfer_rx_init(&f->rx, window, now);
	f->ack = f->sack = 0;
}

/* A segment reaches f's receiver at now; its answer's ACK is in f->ack, f->sack. */
static enum xfer_rx_result
rxf_data(struct rxf *f, uint32_t seq, uint16_t len, bool last, uint64_t now)
{
	return xfer_rx_on_data(&f->rx, seq, len, last, now, &f->ack, &f->sack);
}

#define RX_ANY	(-1)	/* an ACK field a step leaves unchecked */

/* One segment for the receiver at now, the answer it must give and the ACK it must carry. */
struct rx_step {
	uint32_t		seq;
	uint16_t		len;
	bool			last;
	uint64_t		now;	/* ms */
	enum xfer_rx_result	want;
	int64_t			ack, sack;	/* RX_ANY: not checked */
};

/* Feeds f's receiver the n steps in order; each must get its answer and ACK. */
static void
rxf_play(struct rxf *f, const struct rx_step *st, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		enum xfer_rx_result got = rxf_data(f, st[i].seq, st[i].len, st[i].last, st[i].now);

		ck_assert_msg(got == st[i].want, "step %zu: answer %d, want %d", i, got,
		    st[i].want);
		ck_assert_msg(st[i].ack == RX_ANY || f->ack == st[i].ack,
		    "step %zu: ACK %u, want %lld", i, f->ack, (long long)st[i].ack);
		ck_assert_msg(st[i].sack == RX_ANY || f->sack == st[i].sack,
		    "step %zu: SACK %u, want %lld", i, f->sack, (long long)st[i].sack);
	}
}

#define RX_PLAY(f, steps)	rxf_play((f), (steps), sizeof (steps) / sizeof (steps)[0])

/* Is f's receiver byte for byte as it was (in before)? */
static bool
rxf_same(const struct rxf *f, const struct xfer_rx *before)
{
	return memcmp(&f->rx, before, sizeof *before) == 0;
}

CASE("rx", test_xfer_rx_in_order_written)
{
	struct rxf	r;

	rxf_init(&r, 1, 5);
	ck_assert_uint_eq(r.rx.expect, 1);
	ck_assert_uint_eq(r.rx.progress_at, 5);
	ck_assert_uint_eq(xfer_rx_next_deadline(&r.rx), 5 + XFER_GIVE_UP_MS);
	ck_assert_int_eq(rxf_data(&r, 1, 400, false, 10), XFER_RX_WRITE);
	ck_assert_uint_eq(r.ack, 401);
	ck_assert_uint_eq(r.sack, 1);
	ck_assert_uint_eq(r.rx.progress_at, 10);
	ck_assert_uint_eq(xfer_rx_next_deadline(&r.rx), 10 + XFER_GIVE_UP_MS);
	ck_assert_int_eq(rxf_data(&r, 401, 7, true, 20), XFER_RX_COMPLETE);
	ck_assert_uint_eq(r.ack, 408);
	ck_assert(r.rx.done);
	ck_assert_uint_eq(xfer_rx_next_deadline(&r.rx), UINT64_MAX);
}
END_TEST

CASE("rx", test_xfer_rx_duplicate_reacked_without_writing)
{
	static const struct rx_step	steps[] = {
		{ 1, 400, false, 10, XFER_RX_WRITE, RX_ANY, RX_ANY },
		{ 1, 400, false, 20, XFER_RX_DUPLICATE, 401, 1 },
	};
	struct rxf			r;

	rxf_init(&r, 1, 0);
	RX_PLAY(&r, steps);
	ck_assert_uint_eq(r.rx.expect, 401);
	ck_assert_uint_eq(r.rx.progress_at, 10);
}
END_TEST

CASE("rx", test_xfer_rx_out_of_order_bad)
{
	/* Window 1 is stop-and-wait: nothing is held above the next expected byte. */
	static const struct rx_step	steps[] = {
		{ 401, 400, false, 10, XFER_RX_BAD, 1, 0 },
		{ 1, 400, false, 20, XFER_RX_WRITE, RX_ANY, RX_ANY },
		{ 1201, 400, true, 30, XFER_RX_BAD, 401, RX_ANY },
	};
	struct rxf			r;

	rxf_init(&r, 1, 0);
	RX_PLAY(&r, steps);
	ck_assert_uint_eq(r.rx.expect, 401);
	ck_assert(!r.rx.done);
}
END_TEST

CASE("rx", test_xfer_rx_duplicate_after_complete)
{
	static const struct rx_step	steps[] = {
		{ 1, 10, true, 10, XFER_RX_COMPLETE, RX_ANY, RX_ANY },
		{ 1, 10, true, 20, XFER_RX_DUPLICATE, 11, RX_ANY },
		/* Even "in order" data after the end is only re-acked. */
		{ 11, 10, true, 30, XFER_RX_DUPLICATE, 11, 0 },
	};
	struct rxf			r;

	rxf_init(&r, 1, 0);
	RX_PLAY(&r, steps);
	ck_assert_uint_eq(r.rx.expect, 11);
}
END_TEST

CASE("rx", test_xfer_rx_empty_last_segment_completes)
{
	static const struct rx_step	steps[] = {
		{ 1, 0, true, 10, XFER_RX_COMPLETE, 1, 1 },
	};
	struct rxf			r;

	rxf_init(&r, 8, 0);
	RX_PLAY(&r, steps);
	ck_assert(r.rx.done);
}
END_TEST

CASE("rx", test_xfer_rx_overflowing_segment_bad)
{
	struct rxf	r;

	rxf_init(&r, 1, 0);
	r.rx.expect = UINT32_MAX - 5;
	ck_assert_int_eq(rxf_data(&r, UINT32_MAX - 5, 100, false, 10), XFER_RX_BAD);
	ck_assert_uint_eq(r.ack, UINT32_MAX - 5);
	ck_assert_uint_eq(r.rx.expect, UINT32_MAX - 5);
	ck_assert_uint_eq(r.rx.progress_at, 0);
	ck_assert_int_eq(rxf_data(&r, UINT32_MAX - 5, 5, true, 10), XFER_RX_COMPLETE);
	ck_assert_uint_eq(r.ack, UINT32_MAX);
}
END_TEST

/* Empty segments that are not the last do not count as progress at the receiver. */
CASE("rx", test_xfer_rx_empty_segments_are_not_progress)
{
	struct rxf	r;

	rxf_init(&r, 1, 0);
	ck_assert_int_eq(rxf_data(&r, 1, 0, false, 5000), XFER_RX_WRITE);
	ck_assert_uint_eq(r.rx.progress_at, 0);
	ck_assert_int_eq(rxf_data(&r, 1, 10, false, 6000), XFER_RX_WRITE);
	ck_assert_uint_eq(r.rx.progress_at, 6000);
	ck_assert_uint_eq(r.ack, 11);
}
END_TEST

CASE("rx", test_xfer_rx_holds_out_of_order_and_drains)
{
	struct rxf	r;

	rxf_init(&r, 8, 0);
	ck_assert_int_eq(rxf_data(&r, 801, 400, false, 1), XFER_RX_WRITE);
	ck_assert_uint_eq(r.ack, 1);
	ck_assert_uint_eq(r.sack, 801);
	ck_assert_uint_eq(r.rx.seglen, 400);
	ck_assert_int_eq(rxf_data(&r, 401, 400, false, 2), XFER_RX_WRITE);
	ck_assert_int_eq(rxf_data(&r, 801, 400, false, 3), XFER_RX_DUPLICATE);
	ck_assert_uint_eq(r.sack, 801);
	ck_assert_uint_eq(r.rx.held, 2);
	ck_assert_uint_eq(r.rx.high, 1201);
	/* The hole fills: the next expected byte jumps over what was held. */
	ck_assert_int_eq(rxf_data(&r, 1, 400, false, 4), XFER_RX_WRITE);
	ck_assert_uint_eq(r.ack, 1201);
	ck_assert_uint_eq(r.rx.held, 0);
	ck_assert_uint_eq(r.rx.progress_at, 4);
}
END_TEST

CASE("rx", test_xfer_rx_last_segment_held_completes_when_hole_fills)
{
	struct rxf	r;

	rxf_init(&r, 8, 0);
	ck_assert_int_eq(rxf_data(&r, 401, 400, false, 1), XFER_RX_WRITE);
	ck_assert_int_eq(rxf_data(&r, 801, 7, true, 2), XFER_RX_WRITE);
	ck_assert_uint_eq(r.rx.end, 808);
	ck_assert(!r.rx.done);
	ck_assert_int_eq(rxf_data(&r, 1, 400, false, 3), XFER_RX_COMPLETE);
	ck_assert_uint_eq(r.ack, 808);
	ck_assert(r.rx.done);
}
END_TEST

CASE("rx", test_xfer_rx_refuses_what_does_not_fit)
{
	static const struct { uint32_t seq; uint16_t len; bool last; } bad[] = {
		{ 401 + 4 * 400, 400, false },	/* beyond the window of 4 */
		{ 402, 400, false },		/* not on a segment boundary */
		{ 801, 300, false },		/* a short segment that is not the last */
		{ 801, 500, true },		/* a last segment longer than the others */
		{ 801, 0, true },		/* an empty last segment above the hole */
		{ 1601, 400, false },		/* past the end already known */
		{ 401, 400, true },		/* an end below bytes already held */
	};
	struct rxf	r;
	struct xfer_rx	before;
	size_t		i;

	rxf_init(&r, 4, 0);
	ck_assert_int_eq(rxf_data(&r, 1, 400, false, 1), XFER_RX_WRITE);
	ck_assert_int_eq(rxf_data(&r, 1201, 100, true, 2), XFER_RX_WRITE);
	before = r.rx;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(rxf_data(&r, bad[i].seq, bad[i].len, bad[i].last, 9) == XFER_RX_BAD,
		    "case %zu", i);
		ck_assert_uint_eq(r.ack, 401);
		ck_assert_uint_eq(r.sack, 0);
		ck_assert(rxf_same(&r, &before));
	}
}
END_TEST

CASE("rx", test_xfer_rx_last_segment_below_held_data_refused)
{
	struct rxf	r;
	struct xfer_rx	before;

	/* Bytes 1201..1600 are held; a "last" segment ending at 1200 would cut them off. */
	rxf_init(&r, 8, 0);
	ck_assert_int_eq(rxf_data(&r, 1, 400, false, 1), XFER_RX_WRITE);
	ck_assert_int_eq(rxf_data(&r, 1201, 400, false, 2), XFER_RX_WRITE);
	before = r.rx;
	ck_assert_int_eq(rxf_data(&r, 801, 400, true, 3), XFER_RX_BAD);
	ck_assert_uint_eq(r.sack, 0);
	ck_assert(rxf_same(&r, &before));
}
END_TEST

CASE("rx", test_xfer_rx_short_first_segment_not_held)
{
	struct rxf	r;

	/* The segment size is not known yet and this one cannot tell it: refused, not held. */
	rxf_init(&r, 8, 0);
	ck_assert_int_eq(rxf_data(&r, 801, 7, true, 1), XFER_RX_BAD);
	ck_assert_uint_eq(r.rx.seglen, 0);
	ck_assert_uint_eq(r.rx.held, 0);
}
END_TEST

/* ---- progress ---- */

CASE("progress", test_xfer_progress_figures)
{
	struct xfer_progress	p;

	xfer_progress_figures(&p, 1 * T_MIB, 4 * T_MIB, true, 1000, 3000);
	ck_assert_uint_eq(p.percent, 25);
	ck_assert_uint_eq(p.elapsed_ms, 2000);
	ck_assert_uint_eq(p.rate, T_MIB / 2);
	ck_assert_int_eq(p.left_ms, 6000);
	xfer_progress_figures(&p, 0, 0, true, 1000, 1000);
	ck_assert_uint_eq(p.percent, 100);
	ck_assert_uint_eq(p.rate, 0);
	ck_assert_int_eq(p.left_ms, 0);
	xfer_progress_figures(&p, 10, 100, true, 1000, 1000);
	ck_assert_int_eq(p.left_ms, -1);	/* no time passed: no rate yet */
	xfer_progress_figures(&p, 500, 0, false, 0, 1000);
	ck_assert_uint_eq(p.percent, 0);
	ck_assert_int_eq(p.left_ms, -1);
	ck_assert_uint_eq(p.rate, 500);
}
END_TEST

CASE("progress", test_xfer_progress_lines)
{
	struct xfer_progress	p;
	char			buf[160];

	xfer_progress_figures(&p, 1258292, 3 * T_MIB, true, 0, 2000);
	xfer_progress_line(&p, "sending 0042.pdf to peer 8", buf, sizeof buf);
	ck_assert_str_eq(buf, "sending 0042.pdf to peer 8: 1.2 MiB of 3.0 MiB (40%), "
	    "614.4 KiB/s, about 3 s left");
	xfer_progress_figures(&p, 512, 0, false, 0, 2000);
	xfer_progress_line(&p, "x", buf, sizeof buf);
	ck_assert_str_eq(buf, "x: 512 B so far, 256 B/s, size not known yet");
	xfer_progress_figures(&p, 3 * T_MIB, 3 * T_MIB, true, 0, 1500);
	xfer_progress_summary(&p, "sent 0042.pdf", 2, buf, sizeof buf);
	ck_assert_str_eq(buf, "sent 0042.pdf: 3.0 MiB in 1.500 s (2.0 MiB/s), RTO 2 ms");
	xfer_progress_summary(&p, "got 0042.pdf", -1, buf, sizeof buf);
	ck_assert_str_eq(buf, "got 0042.pdf: 3.0 MiB in 1.500 s (2.0 MiB/s)");
	/* Under a ms the clock shows no rate: the line says what it knows, never "0 B/s". */
	xfer_progress_figures(&p, 3000, 3000, true, 1000, 1000);
	xfer_progress_summary(&p, "fast", 2, buf, sizeof buf);
	ck_assert_str_eq(buf, "fast: 2.9 KiB in 0.000 s (under 1 ms: at least 2.9 MiB/s), RTO 2 ms");
	xfer_progress_figures(&p, 0, 0, true, 1000, 1000);
	xfer_progress_summary(&p, "empty", -1, buf, sizeof buf);
	ck_assert_str_eq(buf, "empty: 0 B in 0.000 s");
	/* A short buffer is cut, never overrun. */
	ck_assert_int_gt(xfer_progress_line(&p, "y", buf, 8), 7);
	ck_assert_uint_eq(strlen(buf), 7);
}
END_TEST

CASE("progress", test_xfer_meter_first_at_two_seconds_then_every_second)
{
	struct xfer_meter	m;

	xfer_meter_init(&m, 500);
	ck_assert_uint_eq(m.due, 2500);
	ck_assert(!xfer_meter_due(&m, 2499));
	ck_assert(xfer_meter_due(&m, 2500));
	ck_assert_uint_eq(m.due, 3500);
	ck_assert(!xfer_meter_due(&m, 3000));
	/* A late tick does not bring a burst of lines: the next is a second after it. */
	ck_assert(xfer_meter_due(&m, 9000));
	ck_assert(!xfer_meter_due(&m, 9999));
	ck_assert(xfer_meter_due(&m, 10000));
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("xfer", CASE_OPTS({ "pair", 120, NULL, NULL },
	    { "table", 120, NULL, NULL }));
}
