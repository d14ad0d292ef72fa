/* Stop-and-wait file transfer engine (SPEC §6): pure sender and receiver, time passed in ms. */
#include "cdht/xfer.h"

#define XFER_SPLITMIX_GAMMA	0x9e3779b97f4a7c15ULL	/* splitmix64 increment (golden ratio) */
#define XFER_UNIFORM_SHIFT	11	/* bits: keep the top 53 of 64, a double's mantissa */
#define XFER_UNIFORM_SCALE	0x1.0p-53	/* 1 / 2^53, maps 53 bits onto [0, 1) */

/* Starts the random stream at seed; equal seeds give equal streams. */
void
xfer_rng_seed(struct xfer_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

/* The next 64 random bits (splitmix64, Steele, Lea and Flood 2014). */
uint64_t
xfer_rng_next(struct xfer_rng *rng)
{
	uint64_t	z;

	z = (rng->state += XFER_SPLITMIX_GAMMA);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform draw in [0, 1) with 53 random bits. */
double
xfer_rng_uniform(struct xfer_rng *rng)
{
	return (double)(xfer_rng_next(rng) >> XFER_UNIFORM_SHIFT) * XFER_UNIFORM_SCALE;
}

/* Bytes covered by the segment starting at seq: at most mss, never past the end of the file. */
static uint16_t
xfer_tx_seg_len(const struct xfer_tx *tx, uint32_t seq)
{
	uint32_t	left = tx->size - (seq - 1);

	return left < tx->mss ? (uint16_t)left : tx->mss;
}

/* Whether the in-flight segment ends the file. */
static bool
xfer_tx_is_last(const struct xfer_tx *tx)
{
	return (uint64_t)tx->seq - 1 + tx->len == tx->size;
}

/* Describes the in-flight segment in *out after passing it through drop emulation. */
static void
xfer_tx_emit(struct xfer_tx *tx, struct xfer_rng *rng, bool retransmit, struct xfer_seg *out)
{
	out->seq = tx->seq;
	out->len = tx->len;
	out->last = xfer_tx_is_last(tx);
	/*
	 * Every segment put on the wire, retransmissions too, faces the drop; drop 0 never
	 * draws, so a lossless transfer leaves the random stream untouched.
	 */
	if (tx->drop > 0 && xfer_rng_uniform(rng) < tx->drop) {
		out->send = false;
		out->event = XFER_LOG_DROP;
		tx->dropped++;
	} else {
		out->send = true;
		out->event = retransmit ? XFER_LOG_RTX : XFER_LOG_SND;
		tx->sent++;
	}
}

/* Prepares to send size bytes in segments of at most mss bytes; nothing is sent yet. */
void
xfer_tx_init(struct xfer_tx *tx, uint32_t size, uint16_t mss, double drop, uint32_t timeout_ms)
{
	tx->size = size;
	/* An mss of 0 would never make progress; one byte per segment is the least we can do. */
	tx->mss = mss > 0 ? mss : 1;
	tx->drop = drop;
	tx->timeout_ms = timeout_ms;
	tx->seq = 1;
	tx->len = xfer_tx_seg_len(tx, 1);
	tx->deadline = 0;
	tx->progress_at = 0;
	tx->sent = 0;
	tx->dropped = 0;
	tx->done = false;
}

/* Puts the first segment in *out and arms its retransmission deadline. */
void
xfer_tx_start(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now, struct xfer_seg *out)
{
	xfer_tx_emit(tx, rng, false, out);
	tx->deadline = now + tx->timeout_ms;
	tx->progress_at = now;
}

/* An ACK for ack arrived: moves on to the next segment, finishes, or ignores a stale ACK. */
enum xfer_result
xfer_tx_on_ack(struct xfer_tx *tx, uint32_t ack, struct xfer_rng *rng, uint64_t now,
    struct xfer_seg *out)
{
	if (tx->done)
		return XFER_IGNORED;
	/* Compared in 64 bits: seq + len may pass 2^32, where a wrapped ACK must not match. */
	if ((uint64_t)ack != (uint64_t)tx->seq + tx->len)
		return XFER_IGNORED;
	if (xfer_tx_is_last(tx)) {
		tx->done = true;
		return XFER_DONE;
	}
	tx->seq += tx->len;
	tx->len = xfer_tx_seg_len(tx, tx->seq);
	xfer_tx_emit(tx, rng, false, out);
	tx->deadline = now + tx->timeout_ms;
	tx->progress_at = now;
	return XFER_SEND;
}

/* Time is now: retransmits the in-flight segment if its deadline passed, or gives up. */
enum xfer_result
xfer_tx_on_timer(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now, struct xfer_seg *out)
{
	if (tx->done || now < tx->deadline)
		return XFER_IGNORED;
	if (now >= tx->progress_at && now - tx->progress_at >= XFER_GIVE_UP_MS)
		return XFER_GAVE_UP;
	/* Nobody acknowledges the first segment: no receiver there, stop sending at it. */
	if (tx->seq == 1 && tx->sent >= XFER_SILENT_TRIES)
		return XFER_GAVE_UP;
	xfer_tx_emit(tx, rng, true, out);
	tx->deadline = now + tx->timeout_ms;
	return XFER_SEND;
}

/* Prepares to receive a file from its first byte. */
void
xfer_rx_init(struct xfer_rx *rx, uint64_t now)
{
	rx->expect = 1;
	rx->progress_at = now;
	rx->done = false;
}

/* A data segment arrived: says whether to write it, and sets *ack to the next expected byte. */
enum xfer_rx_result
xfer_rx_on_data(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last, uint64_t now,
    uint32_t *ack)
{
	enum xfer_rx_result	r;

	if (rx->done || seq < rx->expect)
		r = XFER_RX_DUPLICATE;
	else if (seq > rx->expect)
		r = XFER_RX_BAD;
	else if ((uint64_t)seq + len > UINT32_MAX)
		r = XFER_RX_BAD;	/* the next expected byte would not fit an ACK */
	else {
		rx->expect += len;
		if (len > 0 || last)	/* empty segments must not keep a transfer alive */
			rx->progress_at = now;
		if (last) {
			rx->done = true;
			r = XFER_RX_COMPLETE;
		} else
			r = XFER_RX_WRITE;
	}
	*ack = rx->expect;
	return r;
}
