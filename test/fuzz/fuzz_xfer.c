/*
 * Fuzz target: the transfer engines (windowed sender and receiver) under any mix of delivered,
 * lost, duplicated and reordered segments, forged ACKs and segments, and timer steps, with
 * their invariants checked.
 */
#include <string.h>

#include "cdht/xfer.h"
#include "fuzz.h"

#define FZX_MAX_OPS	4000	/* operations of one input */
#define FZX_WIRE	(2 * XFER_WINDOW_MAX)	/* segments on the wire at most */

/* One run: a sender, a receiver, the clock, and what is on the wire between them. */
struct fzx {
	struct xfer_tx	tx;
	struct xfer_rx	rx;
	struct xfer_rng	rng;
	uint64_t	now;
	struct xfer_seg	wire[FZX_WIRE];	/* segments sent, not yet delivered, oldest first */
	unsigned	nwire;
	uint32_t	ack, sack;	/* the last ACK the receiver produced */
	bool		have_ack;
	bool		forged;		/* an ACK or a segment nobody sent was fed */
	bool		tx_over;	/* DONE or GAVE_UP: the sender is finished */
	bool		last_emitted;	/* the sender emitted the file's last segment */
	uint32_t	acked;		/* the sender's acknowledged bytes before the last call */
};

/* The sender's state is one it could be in; what it counts as acknowledged never moves back. */
static void
fzx_check_tx(struct fzx *f)
{
	const struct xfer_tx	*tx = &f->tx;
	uint32_t		 acked = xfer_tx_acked_bytes(tx);

	FUZZ_CHECK(acked >= f->acked && acked <= tx->size, "acked %u after %u of %u", acked,
	    f->acked, tx->size);
	FUZZ_CHECK(tx->base <= tx->next && tx->next <= tx->nsegs &&
	    tx->next - tx->base <= tx->window, "base %u next %u of %u, window %u", tx->base,
	    tx->next, tx->nsegs, tx->window);
	/* On an honest wire the receiver has at least what the sender counts as acknowledged. */
	if (!f->forged)
		FUZZ_CHECK(acked <= f->rx.expect - 1, "sender acked %u, receiver expects %u",
		    acked, f->rx.expect);
	f->acked = acked;
}

/* A segment the sender emitted: within the file, marked last exactly at its end. */
static void
fzx_emitted(struct fzx *f, const struct xfer_seg *s)
{
	uint64_t end = (uint64_t)s->seq - 1 + s->len;

	FUZZ_CHECK(s->seq >= 1 && s->len <= f->tx.mss && end <= f->tx.size,
	    "emitted %u+%u of a %u-byte file, mss %u", s->seq, s->len, f->tx.size, f->tx.mss);
	FUZZ_CHECK(f->tx.size == 0 || s->len > 0, "empty segment at %u of %u", s->seq,
	    f->tx.size);
	FUZZ_CHECK(s->last == (end == f->tx.size), "last flag %d at %u+%u of %u", s->last, s->seq,
	    s->len, f->tx.size);
	FUZZ_CHECK(s->send ? s->event != XFER_LOG_DROP : s->event == XFER_LOG_DROP,
	    "event %d, send %d", (int)s->event, s->send);
	f->last_emitted = f->last_emitted || s->last;
	if (s->send && f->nwire < FZX_WIRE)
		f->wire[f->nwire++] = *s;
}

/* What on_ack or on_timer returned, judged. */
static void
fzx_tx_result(struct fzx *f, enum xfer_result r, uint64_t ack, const struct xfer_batch *b,
    bool timer)
{
	uint16_t i;

	FUZZ_CHECK(b->n <= f->tx.window, "a batch of %u, window %u", b->n, f->tx.window);
	switch (r) {
	case XFER_IGNORED:
	case XFER_BAD:
		FUZZ_CHECK(b->n == 0, "%d with a batch of %u", (int)r, b->n);
		break;
	case XFER_SEND:
		for (i = 0; i < b->n; i++)
			fzx_emitted(f, &b->seg[i]);
		break;
	case XFER_DONE:
		/*
		 * From an honest receiver DONE comes with the ACK for the whole file. Selective
		 * repeat also ends when every segment was acknowledged one by one, which only
		 * forged ACKs can make happen short of the whole file (the receiver still checks
		 * its copy, so nothing incomplete is kept).
		 */
		FUZZ_CHECK(!timer && (f->forged || ack == (uint64_t)f->tx.size + 1) &&
		    f->last_emitted,
		    "DONE on ack %llu of a %u-byte file (last segment emitted: %d)",
		    (unsigned long long)ack, f->tx.size, f->last_emitted);
		if (!f->forged)
			FUZZ_CHECK(f->rx.done && (uint64_t)f->rx.expect == (uint64_t)f->tx.size + 1,
			    "DONE while the receiver expects %u of %u", f->rx.expect, f->tx.size);
		f->tx_over = true;
		break;
	case XFER_GAVE_UP:
		FUZZ_CHECK(timer, "GAVE_UP on an ACK");
		f->tx_over = true;
		break;
	default:
		FUZZ_CHECK(0, "result %d", (int)r);
	}
	fzx_check_tx(f);
}

/* An ACK reaches the sender. */
static void
fzx_to_tx(struct fzx *f, uint32_t ack, uint32_t sack)
{
	static struct xfer_batch	b;
	enum xfer_result		r;
	bool				was_done = f->tx.done;

	b.n = 0;
	r = xfer_tx_on_ack(&f->tx, ack, sack, &f->rng, f->now, &b);
	if (was_done)
		FUZZ_CHECK(r == XFER_IGNORED || r == XFER_BAD, "a finished sender took an ACK");
	if (!f->tx_over)
		fzx_tx_result(f, r, ack, &b, false);
}

/* The sender's timer runs at now. */
static void
fzx_timer(struct fzx *f)
{
	static struct xfer_batch	b;
	uint64_t			deadline = xfer_tx_next_deadline(&f->tx);
	enum xfer_result		r;

	if (f->tx_over)
		return;
	b.n = 0;
	r = xfer_tx_on_timer(&f->tx, &f->rng, f->now, &b);
	FUZZ_CHECK(r == XFER_IGNORED || f->now >= deadline, "%d before the deadline", (int)r);
	if (r == XFER_SEND)
		FUZZ_CHECK(xfer_tx_next_deadline(&f->tx) > f->now, "deadline not re-armed");
	fzx_tx_result(f, r, 0, &b, true);
}

/* A segment reaches the receiver. */
static void
fzx_to_rx(struct fzx *f, uint32_t seq, uint16_t len, bool last)
{
	uint32_t		before = f->rx.expect, ack = 0, sack = 0;
	bool			was_done = f->rx.done;
	enum xfer_rx_result	r = xfer_rx_on_data(&f->rx, seq, len, last, f->now, &ack, &sack);

	FUZZ_CHECK(f->rx.expect >= before, "expect went back from %u to %u", before, f->rx.expect);
	FUZZ_CHECK(ack == f->rx.expect, "ACK %u, expect %u", ack, f->rx.expect);
	FUZZ_CHECK(sack == 0 || sack == seq, "sack %u for a segment at %u", sack, seq);
	FUZZ_CHECK(!was_done || (f->rx.done && f->rx.expect == before), "a finished receiver moved");
	FUZZ_CHECK(f->rx.high >= f->rx.expect, "high %u below expect %u", f->rx.high,
	    f->rx.expect);
	if (r == XFER_RX_WRITE || r == XFER_RX_COMPLETE)
		FUZZ_CHECK(seq >= before && (uint64_t)seq - 1 + len <= (uint64_t)f->rx.high - 1 &&
		    f->rx.done == (r == XFER_RX_COMPLETE), "took %u+%u at %u: high %u, done %d",
		    seq, len, before, f->rx.high, f->rx.done);
	else
		FUZZ_CHECK(f->rx.expect == before, "result %d moved expect", (int)r);
	f->ack = ack;
	f->sack = sack;
	f->have_ack = true;
}

/* The file, the segment size and window, the timeout and the drop, from the first bytes. */
static void
fzx_start(struct fzx *f, struct fuzz_in *in)
{
	static struct xfer_batch	b;
	uint8_t				width = fuzz_u8(in) % 4;
	uint32_t			size = fuzz_u8(in);
	uint16_t			mss, timeout, window;
	uint8_t				drop;

	for (uint8_t i = 0; i < width; i++)
		size = size << 8 | fuzz_u8(in);
	mss = fuzz_u16(in);
	timeout = fuzz_u16(in);
	drop = fuzz_u8(in);
	window = (uint16_t)(1u << (mss >> 13));	/* the mss's top 3 bits: window 1..128 */
	mss &= 0x1fff;
	memset(f, 0, sizeof *f);
	f->now = 5000;
	xfer_rng_seed(&f->rng, 42);
	xfer_tx_init(&f->tx, &(struct xfer_cfg){ size, mss, window, drop / 256.0, timeout });
	xfer_rx_init(&f->rx, XFER_WINDOW_MAX, f->now);
	b.n = 0;
	xfer_tx_start(&f->tx, &f->rng, f->now, &b);
	for (uint16_t i = 0; i < b.n; i++)
		fzx_emitted(f, &b.seg[i]);
	fzx_check_tx(f);
}

/* A forged ACK: raw, or near what the sender waits for. */
static uint32_t
fzx_forged_ack(struct fzx *f, struct fuzz_in *in)
{
	uint8_t		kind = fuzz_u8(in);
	uint32_t	v = fuzz_u32(in);

	switch (kind % 4) {
	case 0:
		return v;
	case 1:
		return f->tx.seq + f->tx.mss + (uint32_t)(int8_t)(v & 0xff);
	case 2:
		return f->tx.size + 1;
	default:
		return f->rx.expect;
	}
}

/* Deliver the oldest (or, kind bit 1, the newest) segment on the wire; bit 0 keeps a copy. */
static void
fzx_deliver(struct fzx *f, uint8_t kind)
{
	unsigned	k = (kind & 2) ? f->nwire - 1 : 0;
	struct xfer_seg	s;

	if (f->nwire == 0)
		return;
	s = f->wire[k];
	if (!(kind & 1)) {
		memmove(&f->wire[k], &f->wire[k + 1], (f->nwire - k - 1) * sizeof f->wire[0]);
		f->nwire--;
	}
	fzx_to_rx(f, s.seq, s.len, s.last);
}

/* One operation of the input. */
static void
fzx_op(struct fzx *f, struct fuzz_in *in)
{
	uint8_t		op = fuzz_u8(in) % FUZZ_XFER_OP_END, kind;
	uint32_t	seq;
	uint16_t	len;

	switch (op) {
	case FUZZ_XFER_OP_DELIVER:
	case FUZZ_XFER_OP_ROUND:
		fzx_deliver(f, op == FUZZ_XFER_OP_DELIVER ? fuzz_u8(in) : 0);
		if (op == FUZZ_XFER_OP_ROUND && f->have_ack)
			fzx_to_tx(f, f->ack, f->sack);
		break;
	case FUZZ_XFER_OP_ACK:
		if (f->have_ack)
			fzx_to_tx(f, f->ack, f->sack);
		break;
	case FUZZ_XFER_OP_FORGE_ACK:
		seq = fzx_forged_ack(f, in);
		f->forged = true;
		fzx_to_tx(f, seq, fuzz_u8(in) & 1 ? seq : 0);
		break;
	case FUZZ_XFER_OP_TIMER:
		f->now += fuzz_u16(in);
		fzx_timer(f);
		break;
	case FUZZ_XFER_OP_FORGE_SEG:
		kind = fuzz_u8(in);
		seq = fuzz_u32(in);
		len = fuzz_u16(in);
		if (kind & 1)
			seq = f->rx.expect + (uint32_t)(int8_t)(seq & 0xff);
		f->forged = true;
		fzx_to_rx(f, seq, len, fuzz_u8(in) & 1);
		break;
	}
}

/* One input: a transfer set up, then up to FZX_MAX_OPS operations on its sender and receiver. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzx	f;
	struct fuzz_in		in = { data, size };

	fzx_start(&f, &in);
	for (int k = 0; k < FZX_MAX_OPS && in.n > 0; k++)
		fzx_op(&f, &in);
	return 0;
}
