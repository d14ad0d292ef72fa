/*
 * Fuzz target: the transfer engines (sender and receiver) under any mix of delivered and lost
 * segments, forged ACKs and segments, and timer steps, with their invariants checked.
 */
#include <string.h>

#include "cdht/xfer.h"
#include "fuzz.h"

#define FZX_MAX_OPS	4000	/* operations of one input */

/* One run: a sender, a receiver, the clock, and what is on the wire between them. */
struct fzx {
	struct xfer_tx	tx;
	struct xfer_rx	rx;
	struct xfer_rng	rng;
	uint64_t	now;
	struct xfer_seg	seg;		/* the last segment the sender emitted */
	bool		have_seg;
	uint32_t	ack;		/* the last ACK the receiver produced */
	bool		have_ack;
	bool		forged;		/* an ACK or a segment nobody sent was fed */
	bool		tx_over;	/* DONE or GAVE_UP: the sender is finished */
	bool		last_emitted;	/* the sender emitted the file's last segment */
	uint32_t	tx_seq;		/* the sender's seq before the last call */
};

/* The sender's state is one it could be in; its seq never moves back. */
static void
fzx_check_tx(struct fzx *f)
{
	const struct xfer_tx *tx = &f->tx;

	FUZZ_CHECK(tx->seq >= 1 && tx->seq >= f->tx_seq, "seq %u after %u", tx->seq, f->tx_seq);
	FUZZ_CHECK(tx->len <= tx->mss && (uint64_t)tx->seq - 1 + tx->len <= tx->size,
	    "segment %u+%u of a %u-byte file, mss %u", tx->seq, tx->len, tx->size, tx->mss);
	FUZZ_CHECK(tx->size == 0 || tx->len > 0, "empty segment at %u of %u", tx->seq, tx->size);
	/* Stop-and-wait, honest wire: the sender is never ahead of or behind the receiver by more than a segment. */
	if (!f->forged)
		FUZZ_CHECK(tx->seq <= f->rx.expect &&
		    (uint64_t)f->rx.expect <= (uint64_t)tx->seq + tx->len,
		    "sender at %u+%u, receiver expects %u", tx->seq, tx->len, f->rx.expect);
	f->tx_seq = tx->seq;
}

/* A segment the sender emitted: the in-flight one, marked last exactly at the end. */
static void
fzx_emitted(struct fzx *f, const struct xfer_seg *s, bool retransmit)
{
	FUZZ_CHECK(s->seq == f->tx.seq && s->len == f->tx.len, "emitted %u+%u, in flight %u+%u",
	    s->seq, s->len, f->tx.seq, f->tx.len);
	FUZZ_CHECK(s->last == ((uint64_t)s->seq - 1 + s->len == f->tx.size), "last flag %d at "
	    "%u+%u of %u", s->last, s->seq, s->len, f->tx.size);
	FUZZ_CHECK(s->send ? s->event == (retransmit ? XFER_LOG_RTX : XFER_LOG_SND) :
	    s->event == XFER_LOG_DROP, "event %d, send %d", (int)s->event, s->send);
	f->seg = *s;
	f->have_seg = true;
	f->last_emitted = f->last_emitted || s->last;
}

/* What on_ack or on_timer returned, judged. */
static void
fzx_tx_result(struct fzx *f, enum xfer_result r, uint64_t ack, const struct xfer_seg *s,
    bool timer)
{
	switch (r) {
	case XFER_IGNORED:
		break;
	case XFER_SEND:
		fzx_emitted(f, s, timer);
		break;
	case XFER_DONE:
		FUZZ_CHECK(!timer && ack == (uint64_t)f->tx.size + 1 && f->last_emitted,
		    "DONE on ack %llu of a %u-byte file (last segment emitted: %d)",
		    (unsigned long long)ack, f->tx.size, f->last_emitted);
		/* The receiver could have everything: on an honest wire, it does. */
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
fzx_to_tx(struct fzx *f, uint32_t ack)
{
	struct xfer_seg	s;
	enum xfer_result r;
	bool		was_done = f->tx.done;

	memset(&s, 0, sizeof s);
	r = xfer_tx_on_ack(&f->tx, ack, &f->rng, f->now, &s);
	if (was_done)
		FUZZ_CHECK(r == XFER_IGNORED, "a finished sender took an ACK");
	if (!f->tx_over)
		fzx_tx_result(f, r, ack, &s, false);
}

/* The sender's timer runs at now. */
static void
fzx_timer(struct fzx *f)
{
	struct xfer_seg	s;
	uint64_t	deadline = f->tx.deadline;
	enum xfer_result r;

	if (f->tx_over)
		return;
	memset(&s, 0, sizeof s);
	r = xfer_tx_on_timer(&f->tx, &f->rng, f->now, &s);
	FUZZ_CHECK(r == XFER_IGNORED || f->now >= deadline, "%d before the deadline", (int)r);
	if (r == XFER_SEND)
		FUZZ_CHECK(f->tx.deadline == f->now + f->tx.timeout_ms, "deadline not re-armed");
	fzx_tx_result(f, r, 0, &s, true);
}

/* A segment reaches the receiver. */
static void
fzx_to_rx(struct fzx *f, uint32_t seq, uint16_t len, bool last)
{
	uint32_t		before = f->rx.expect, ack = 0;
	bool			was_done = f->rx.done;
	enum xfer_rx_result	r = xfer_rx_on_data(&f->rx, seq, len, last, f->now, &ack);

	FUZZ_CHECK(f->rx.expect >= before, "expect went back from %u to %u", before, f->rx.expect);
	FUZZ_CHECK(ack == f->rx.expect, "ACK %u, expect %u", ack, f->rx.expect);
	FUZZ_CHECK(!was_done || (f->rx.done && f->rx.expect == before), "a finished receiver moved");
	if (r == XFER_RX_WRITE || r == XFER_RX_COMPLETE)
		FUZZ_CHECK(seq == before && (uint64_t)f->rx.expect == (uint64_t)before + len &&
		    f->rx.done == (r == XFER_RX_COMPLETE) && last == f->rx.done,
		    "took %u+%u (last %d) at %u: now %u, done %d", seq, len, last, before,
		    f->rx.expect, f->rx.done);
	else
		FUZZ_CHECK(f->rx.expect == before, "result %d moved expect", (int)r);
	f->ack = ack;
	f->have_ack = true;
}

/* The file, the segment size, the timeout and the drop, from the input's first bytes. */
static void
fzx_start(struct fzx *f, struct fuzz_in *in)
{
	uint8_t		width = fuzz_u8(in) % 4;
	uint32_t	size = fuzz_u8(in);
	uint16_t	mss, timeout;
	uint8_t		drop;

	for (uint8_t i = 0; i < width; i++)
		size = size << 8 | fuzz_u8(in);
	mss = fuzz_u16(in);
	timeout = fuzz_u16(in);
	drop = fuzz_u8(in);
	memset(f, 0, sizeof *f);
	f->now = 5000;
	xfer_rng_seed(&f->rng, 42);
	xfer_tx_init(&f->tx, size, mss, drop / 256.0, timeout);
	xfer_rx_init(&f->rx, f->now);
	f->tx_seq = 1;
	xfer_tx_start(&f->tx, &f->rng, f->now, &f->seg);
	fzx_emitted(f, &f->seg, false);
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
		return f->tx.seq + f->tx.len + (uint32_t)(int8_t)(v & 0xff);
	case 2:
		return f->tx.size + 1;
	default:
		return f->rx.expect;
	}
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
		kind = op == FUZZ_XFER_OP_DELIVER ? fuzz_u8(in) : 0;
		if (f->have_seg && f->seg.send)
			fzx_to_rx(f, f->seg.seq, f->seg.len, f->seg.last);
		f->have_seg = f->have_seg && (kind & 1);
		if (op == FUZZ_XFER_OP_ROUND && f->have_ack)
			fzx_to_tx(f, f->ack);
		break;
	case FUZZ_XFER_OP_ACK:
		if (f->have_ack)
			fzx_to_tx(f, f->ack);
		break;
	case FUZZ_XFER_OP_FORGE_ACK:
		seq = fzx_forged_ack(f, in);
		f->forged = true;
		fzx_to_tx(f, seq);
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
