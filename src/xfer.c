/* Datagram file transfer engine (SPEC §6): selective-repeat sender and receiver, RTO, progress; ms. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cdht/xfer.h"

#define XFER_SPLITMIX_GAMMA	0x9e3779b97f4a7c15ULL	/* splitmix64 increment (golden ratio) */
#define XFER_UNIFORM_SHIFT	11	/* bits: keep the top 53 of 64, a double's mantissa */
#define XFER_UNIFORM_SCALE	0x1.0p-53	/* 1 / 2^53, maps 53 bits onto [0, 1) */
#define XFER_US_PER_MS		1000	/* µs */
#define XFER_RTT_MAX_MS		XFER_GIVE_UP_MS	/* ms; longer samples are clamped */
#define XFER_BACKOFF_MAX	16	/* doublings counted at most (the RTO is capped anyway) */
#define XFER_KIB		1024ULL	/* bytes */
#define XFER_MIB		(1024ULL * 1024ULL)	/* bytes */

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

/* ---- retransmission timeout ---- */

/* A fixed timeout of timeout_ms, or the adaptive one (XFER_TIMEOUT_AUTO) before any sample. */
void
xfer_rto_init(struct xfer_rto *r, uint32_t timeout_ms)
{
	memset(r, 0, sizeof *r);
	r->fixed_ms = timeout_ms;
	r->rto_ms = timeout_ms != XFER_TIMEOUT_AUTO ? timeout_ms : XFER_RTO_INITIAL_MS;
}

/* RTO = SRTT + max(G, 4·RTTVAR) in whole ms (rounded up), within the floor and ceiling. */
static void
xfer_rto_compute(struct xfer_rto *r)
{
	uint64_t	var = 4 * r->rttvar_us, us, ms;

	us = r->srtt_us + (var > XFER_RTO_GRANULARITY_US ? var : XFER_RTO_GRANULARITY_US);
	ms = (us + XFER_US_PER_MS - 1) / XFER_US_PER_MS;
	if (ms < XFER_RTO_MIN_MS)
		ms = XFER_RTO_MIN_MS;
	if (ms > XFER_RTO_MAX_MS)
		ms = XFER_RTO_MAX_MS;
	r->rto_ms = (uint32_t)ms;
}

/* RFC 6298 §2.2-2.3: the first sample sets SRTT and RTTVAR, later ones smooth them. */
void
xfer_rto_sample(struct xfer_rto *r, uint64_t rtt_ms)
{
	uint64_t	rtt, diff;

	if (r->fixed_ms != XFER_TIMEOUT_AUTO)
		return;
	rtt = (rtt_ms < XFER_RTT_MAX_MS ? rtt_ms : XFER_RTT_MAX_MS) * XFER_US_PER_MS;
	if (r->samples == 0) {
		r->srtt_us = rtt;
		r->rttvar_us = rtt / 2;
	} else {
		/* RTTVAR first: it uses the SRTT from before this sample (§2.3). */
		diff = r->srtt_us > rtt ? r->srtt_us - rtt : rtt - r->srtt_us;
		r->rttvar_us = (3 * r->rttvar_us + diff) / 4;	/* beta = 1/4 */
		r->srtt_us = (7 * r->srtt_us + rtt) / 8;	/* alpha = 1/8 */
	}
	if (r->samples < UINT32_MAX)
		r->samples++;
	r->backoff = 0;
	xfer_rto_compute(r);
}

/* RFC 6298 §5.5: each expiry doubles the RTO, here up to the ceiling; fixed stays fixed. */
void
xfer_rto_backoff(struct xfer_rto *r)
{
	if (r->fixed_ms != XFER_TIMEOUT_AUTO)
		return;
	if (r->backoff < XFER_BACKOFF_MAX)
		r->backoff++;
	r->rto_ms = r->rto_ms >= XFER_RTO_MAX_MS / 2 ? XFER_RTO_MAX_MS : 2 * r->rto_ms;
}

/*
 * An ACK moved the transfer on: the path delivers, so the backoff ends and the RTO is the
 * estimator's again (the initial one if there is no sample yet). No sample is taken here.
 */
void
xfer_rto_recover(struct xfer_rto *r)
{
	if (r->fixed_ms != XFER_TIMEOUT_AUTO || r->backoff == 0)
		return;
	r->backoff = 0;
	if (r->samples > 0)
		xfer_rto_compute(r);
	else
		r->rto_ms = XFER_RTO_INITIAL_MS;
}

/* ---- sender ---- */

/* Byte offset (from 1) of segment k. */
static uint64_t
xfer_tx_seg_seq(const struct xfer_tx *tx, uint32_t k)
{
	return (uint64_t)k * tx->mss + 1;
}

/* Bytes of segment k: mss, or what is left of the file. */
static uint16_t
xfer_tx_seg_len(const struct xfer_tx *tx, uint32_t k)
{
	uint64_t	left = tx->size - ((uint64_t)k * tx->mss);

	return left < tx->mss ? (uint16_t)left : tx->mss;
}

/* One past the last byte of segment k, i.e. the ACK that covers it (up to 2^32). */
static uint64_t
xfer_tx_seg_end(const struct xfer_tx *tx, uint32_t k)
{
	return xfer_tx_seg_seq(tx, k) + xfer_tx_seg_len(tx, k);
}

/* The descriptor of segment k, which must be in flight. */
static struct xfer_slot *
xfer_tx_slot(struct xfer_tx *tx, uint32_t k)
{
	return &tx->slot[k % tx->window];
}

/* Appends segment k to out after passing it through drop emulation, and arms its deadline. */
static void
xfer_tx_emit(struct xfer_tx *tx, struct xfer_rng *rng, uint32_t k, bool retransmit,
    uint64_t now, struct xfer_batch *out)
{
	struct xfer_seg		*s = &out->seg[out->n++];
	struct xfer_slot	*sl = xfer_tx_slot(tx, k);

	s->seq = (uint32_t)xfer_tx_seg_seq(tx, k);
	s->len = xfer_tx_seg_len(tx, k);
	s->last = k + 1 == tx->nsegs;
	/*
	 * Every segment put on the wire, retransmissions too, faces the drop; drop 0 never
	 * draws, so a lossless transfer leaves the random stream untouched.
	 */
	if (tx->drop > 0 && xfer_rng_uniform(rng) < tx->drop) {
		s->send = false;
		s->event = XFER_LOG_DROP;
		tx->dropped++;
	} else {
		s->send = true;
		s->event = retransmit ? XFER_LOG_RTX : XFER_LOG_SND;
		tx->sent++;
		tx->rtx += retransmit;
		sl->sent_at = now;
		if (sl->wire < UINT16_MAX)
			sl->wire++;
	}
	sl->deadline = now + tx->rto.rto_ms;
}

/*
 * Puts out new segments while the window has room. Until the receiver has acknowledged
 * something, the window is one segment: a request names any address as its origin, so a full
 * window sent at once would let one forged request aim window x MSS bytes at a third party.
 */
static void
xfer_tx_fill(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now, struct xfer_batch *out)
{
	uint32_t	window = tx->acked_any ? tx->window : 1;

	while (tx->next < tx->nsegs && tx->next - tx->base < window) {
		memset(xfer_tx_slot(tx, tx->next), 0, sizeof tx->slot[0]);
		xfer_tx_emit(tx, rng, tx->next, false, now, out);
		tx->next++;
	}
}

/* Stores the earliest retransmission deadline among segments not yet acknowledged. */
static void
xfer_tx_set_deadline(struct xfer_tx *tx)
{
	uint64_t	d = UINT64_MAX;
	uint32_t	k;

	for (k = tx->base; k < tx->next; k++) {
		const struct xfer_slot *sl = xfer_tx_slot(tx, k);

		if (!sl->acked && sl->deadline < d)
			d = sl->deadline;
	}
	tx->deadline = tx->done ? UINT64_MAX : d;
}

/* Prepares to send cfg->size bytes; nothing is sent yet. */
void
xfer_tx_init(struct xfer_tx *tx, const struct xfer_cfg *cfg)
{
	memset(tx, 0, sizeof *tx);
	tx->size = cfg->size;
	/* An mss of 0 would never make progress; one byte per segment is the least we can do. */
	tx->mss = cfg->mss > 0 ? cfg->mss : 1;
	tx->window = cfg->window < 1 ? 1 : cfg->window > XFER_WINDOW_MAX ? XFER_WINDOW_MAX :
	    cfg->window;
	tx->drop = cfg->drop;
	xfer_rto_init(&tx->rto, cfg->timeout_ms);
	tx->nsegs = cfg->size == 0 ? 1 : (uint32_t)(((uint64_t)cfg->size + tx->mss - 1) / tx->mss);
	tx->seq = 1;
	tx->deadline = UINT64_MAX;
}

/* Puts the first window of segments in *out and arms their deadlines. */
void
xfer_tx_start(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now, struct xfer_batch *out)
{
	out->n = 0;
	tx->progress_at = now;
	xfer_tx_fill(tx, rng, now, out);
	xfer_tx_set_deadline(tx);
}

/* Whether an ACK could come from an honest receiver of what we put out. */
static bool
xfer_tx_ack_valid(const struct xfer_tx *tx, uint32_t ack, uint32_t sack)
{
	uint64_t	seq, k;

	if (tx->next == 0 || ack == 0 || ack > xfer_tx_seg_end(tx, tx->next - 1))
		return false;	/* nothing out yet, or beyond what was put out */
	/* An ACK is always a segment boundary: the start of one, or the end of the file. */
	if ((ack - 1) % tx->mss != 0 && (uint64_t)ack != (uint64_t)tx->size + 1)
		return false;
	if (sack == 0)
		return true;
	if ((sack - 1) % tx->mss != 0 || (k = (sack - 1) / tx->mss) >= tx->next)
		return false;	/* not a segment start, or never put out */
	seq = xfer_tx_seg_seq(tx, (uint32_t)k);
	/* Held means covered by ack, or above it: never straddling the next expected byte. */
	return !(seq <= ack && ack < xfer_tx_seg_end(tx, (uint32_t)k));
}

/* Marks what ack and sack acknowledge; whether anything new was. */
static bool
xfer_tx_take_ack(struct xfer_tx *tx, uint32_t ack, uint32_t sack, uint64_t now)
{
	struct xfer_slot	*sl;
	uint32_t		 k;
	bool			 moved = false;

	if (sack != 0 && (k = (sack - 1) / tx->mss) >= tx->base) {
		sl = xfer_tx_slot(tx, k);
		if (!sl->acked) {
			sl->acked = true;
			moved = true;
			/* Karn: one copy on the wire is the only unambiguous sample. */
			if (sl->wire == 1 && now >= sl->sent_at)
				xfer_rto_sample(&tx->rto, now - sl->sent_at);
		}
	}
	while (tx->base < tx->next && (xfer_tx_slot(tx, tx->base)->acked ||
	    xfer_tx_seg_end(tx, tx->base) <= ack)) {
		tx->base++;
		moved = true;
	}
	return moved;
}

/* An ACK arrived: records it, slides the window and puts out what now fits. */
enum xfer_result
xfer_tx_on_ack(struct xfer_tx *tx, uint32_t ack, uint32_t sack, struct xfer_rng *rng,
    uint64_t now, struct xfer_batch *out)
{
	out->n = 0;
	if (tx->done)
		return XFER_IGNORED;
	if (!xfer_tx_ack_valid(tx, ack, sack)) {
		tx->bad_acks++;
		return XFER_BAD;
	}
	if (!xfer_tx_take_ack(tx, ack, sack, now))
		return XFER_IGNORED;
	xfer_rto_recover(&tx->rto);
	tx->progress_at = now;
	tx->acked_any = true;
	if (tx->base == tx->nsegs) {
		tx->done = true;
		tx->deadline = UINT64_MAX;
		return XFER_DONE;
	}
	tx->seq = (uint32_t)xfer_tx_seg_seq(tx, tx->base);
	xfer_tx_fill(tx, rng, now, out);
	xfer_tx_set_deadline(tx);
	return XFER_SEND;
}

/* Time is now: retransmits each unacknowledged segment whose deadline passed, or gives up. */
enum xfer_result
xfer_tx_on_timer(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now,
    struct xfer_batch *out)
{
	uint32_t	k;

	out->n = 0;
	if (tx->done || now < tx->deadline)
		return XFER_IGNORED;
	if (now >= tx->progress_at && now - tx->progress_at >= XFER_GIVE_UP_MS)
		return XFER_GAVE_UP;
	/* Nobody acknowledges anything: no receiver there, stop sending at it. */
	if (!tx->acked_any && xfer_tx_slot(tx, 0)->wire >= XFER_SILENT_TRIES)
		return XFER_GAVE_UP;
	/*
	 * One backoff per expiry of the oldest segment, as RFC 6298's single timer would: a
	 * burst of losses that expire a ms apart must not double the RTO once per segment.
	 */
	if (xfer_tx_slot(tx, tx->base)->deadline <= now)
		xfer_rto_backoff(&tx->rto);
	for (k = tx->base; k < tx->next; k++) {
		const struct xfer_slot *sl = xfer_tx_slot(tx, k);

		if (!sl->acked && sl->deadline <= now)
			xfer_tx_emit(tx, rng, k, true, now, out);
	}
	xfer_tx_set_deadline(tx);
	return XFER_SEND;
}

/* When xfer_tx_on_timer has something to do: the stored deadline. */
uint64_t
xfer_tx_next_deadline(const struct xfer_tx *tx)
{
	return tx->deadline;
}

/* Bytes the receiver has confirmed in order. */
uint32_t
xfer_tx_acked_bytes(const struct xfer_tx *tx)
{
	return tx->done ? tx->size : tx->seq - 1;
}

/* ---- receiver ---- */

/* Prepares to receive a file from its first byte, holding up to window segments. */
void
xfer_rx_init(struct xfer_rx *rx, uint16_t window, uint64_t now)
{
	memset(rx, 0, sizeof *rx);
	rx->expect = 1;
	rx->high = 1;
	rx->window = window < 1 ? 1 : window > XFER_WINDOW_MAX ? XFER_WINDOW_MAX : window;
	rx->progress_at = now;
	rx->deadline = now + XFER_GIVE_UP_MS;
}

/* Whether segment k is held above the hole. */
static bool
xfer_rx_has(const struct xfer_rx *rx, uint32_t k)
{
	return (rx->have[k % XFER_WINDOW_MAX / 8] >> (k % 8)) & 1;
}

/* Marks segment k held (on) or not. */
static void
xfer_rx_mark(struct xfer_rx *rx, uint32_t k, bool on)
{
	uint8_t	bit = (uint8_t)(1u << (k % 8));

	if (on)
		rx->have[k % XFER_WINDOW_MAX / 8] |= bit;
	else
		rx->have[k % XFER_WINDOW_MAX / 8] &= (uint8_t)~bit;
}

/* New data came at now: the give-up clock restarts. */
static void
xfer_rx_progress(struct xfer_rx *rx, uint64_t now)
{
	rx->progress_at = now;
	rx->deadline = now + XFER_GIVE_UP_MS;
}

/* Moves expect over the held segments that now follow it; completes at the held end. */
static void
xfer_rx_drain(struct xfer_rx *rx)
{
	uint32_t	k;

	while (rx->held > 0 && (rx->expect - 1) % rx->seglen == 0 &&
	    xfer_rx_has(rx, k = (rx->expect - 1) / rx->seglen)) {
		xfer_rx_mark(rx, k, false);
		rx->held--;
		if (rx->end != 0 && (uint64_t)rx->expect + rx->seglen >= rx->end) {
			rx->expect = rx->end;	/* the held last segment */
			rx->done = true;
		} else
			rx->expect += rx->seglen;
	}
}

/* The segment at the next expected byte: take it and whatever held data follows. */
static enum xfer_rx_result
xfer_rx_in_order(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last, uint64_t now)
{
	if (rx->held > 0 && (last || len != rx->seglen))
		return XFER_RX_BAD;	/* would not line up with what is held above it */
	if (rx->seglen == 0 && !last && len > 0)
		rx->seglen = len;
	rx->expect = seq + len;
	if (rx->expect > rx->high)
		rx->high = rx->expect;
	if (len > 0 || last)	/* empty segments must not keep a transfer alive */
		xfer_rx_progress(rx, now);
	if (last)
		rx->done = true;
	else
		xfer_rx_drain(rx);
	return rx->done ? XFER_RX_COMPLETE : XFER_RX_WRITE;
}

/* A segment above the next expected byte: hold it if it fits the window and what we know. */
static enum xfer_rx_result
xfer_rx_above(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last, uint64_t now)
{
	uint32_t	k, seglen = rx->seglen;

	if (seglen == 0 && !last)
		seglen = len;	/* the first full segment seen tells the size of all */
	if (seglen == 0 || (rx->expect - 1) % seglen != 0 || (seq - 1) % seglen != 0)
		return XFER_RX_BAD;
	k = (seq - 1) / seglen;
	if (k - (rx->expect - 1) / seglen >= rx->window)
		return XFER_RX_BAD;	/* outside the receive window */
	if (last ? len == 0 || len > seglen : len != seglen)
		return XFER_RX_BAD;
	if (rx->end != 0 && ((uint64_t)seq + len > rx->end || (last && seq + len != rx->end)))
		return XFER_RX_BAD;	/* past the end we already know */
	if (last && rx->high > seq + len)
		return XFER_RX_BAD;	/* we hold bytes past this end */
	if (xfer_rx_has(rx, k))
		return XFER_RX_DUPLICATE;
	rx->seglen = seglen;
	xfer_rx_mark(rx, k, true);
	rx->held++;
	if (last)
		rx->end = seq + len;
	if (seq + len > rx->high)
		rx->high = seq + len;
	xfer_rx_progress(rx, now);
	return XFER_RX_WRITE;
}

/* A data segment arrived: says whether to write it, and sets the ACK to send. */
enum xfer_rx_result
xfer_rx_on_data(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last, uint64_t now,
    uint32_t *ack, uint32_t *sack)
{
	enum xfer_rx_result	r;
	bool			held = true;

	if (rx->done || seq < rx->expect) {
		r = XFER_RX_DUPLICATE;
		held = seq < rx->expect;
	} else if ((uint64_t)seq + len > UINT32_MAX)
		r = XFER_RX_BAD;	/* the next expected byte would not fit an ACK */
	else if (seq == rx->expect)
		r = xfer_rx_in_order(rx, seq, len, last, now);
	else
		r = xfer_rx_above(rx, seq, len, last, now);
	*ack = rx->expect;
	*sack = r != XFER_RX_BAD && held ? seq : 0;
	return r;
}

/* When the receiver gives up: the stored deadline. */
uint64_t
xfer_rx_next_deadline(const struct xfer_rx *rx)
{
	return rx->done ? UINT64_MAX : rx->deadline;
}

/* ---- progress ---- */

/* The figures at now of a transfer that started at start and has done bytes of size. */
void
xfer_progress_figures(struct xfer_progress *p, uint64_t done, uint64_t size, bool size_known,
    uint64_t start, uint64_t now)
{
	memset(p, 0, sizeof *p);
	p->done = done;
	p->size = size;
	p->size_known = size_known;
	p->elapsed_ms = now > start ? now - start : 0;
	p->left_ms = -1;
	if (size_known)
		p->percent = size == 0 || done >= size ? 100 : (uint32_t)(done * 100 / size);
	if (p->elapsed_ms > 0)
		p->rate = (uint64_t)((double)done * 1000.0 / (double)p->elapsed_ms);
	if (size_known && done >= size)
		p->left_ms = 0;
	else if (size_known && p->rate > 0)
		p->left_ms = (int64_t)((double)(size - done) * 1000.0 / (double)p->rate);
}

/* bytes as "512 B", "1.5 KiB" or "3.0 MiB" into buf. */
static void
xfer_bytes_text(uint64_t bytes, char *buf, size_t cap)
{
	if (bytes >= XFER_MIB)
		snprintf(buf, cap, "%.1f MiB", (double)bytes / (double)XFER_MIB);
	else if (bytes >= XFER_KIB)
		snprintf(buf, cap, "%.1f KiB", (double)bytes / (double)XFER_KIB);
	else
		snprintf(buf, cap, "%" PRIu64 " B", bytes);
}

/* The stderr progress line of a transfer in flight. */
int
xfer_progress_line(const struct xfer_progress *p, const char *label, char *buf, size_t cap)
{
	char	done[32], size[32], rate[32], left[48];

	xfer_bytes_text(p->done, done, sizeof done);
	xfer_bytes_text(p->size, size, sizeof size);
	xfer_bytes_text(p->rate, rate, sizeof rate);
	if (p->left_ms < 0)
		snprintf(left, sizeof left, "time left unknown");
	else
		snprintf(left, sizeof left, "about %" PRId64 " s left", (p->left_ms + 999) / 1000);
	if (!p->size_known)
		return snprintf(buf, cap, "%s: %s so far, %s/s, size not known yet", label, done,
		    rate);
	return snprintf(buf, cap, "%s: %s of %s (%" PRIu32 "%%), %s/s, %s", label, done, size,
	    p->percent, rate, left);
}

/*
 * The stderr line that ends a transfer; the RTO in use is shown when rto_ms >= 0. Under a
 * ms the clock cannot tell the rate, only that it was at least the bytes over 1 ms.
 */
int
xfer_progress_summary(const struct xfer_progress *p, const char *label, int64_t rto_ms,
    char *buf, size_t cap)
{
	char	done[32], rate[32], pace[64] = "";

	xfer_bytes_text(p->done, done, sizeof done);
	if (p->elapsed_ms > 0) {
		xfer_bytes_text(p->rate, rate, sizeof rate);
		snprintf(pace, sizeof pace, " (%s/s)", rate);
	} else if (p->done > 0) {
		xfer_bytes_text(p->done * 1000, rate, sizeof rate);
		snprintf(pace, sizeof pace, " (under 1 ms: at least %s/s)", rate);
	}
	if (rto_ms < 0)
		return snprintf(buf, cap, "%s: %s in %.3f s%s", label, done,
		    (double)p->elapsed_ms / 1000.0, pace);
	return snprintf(buf, cap, "%s: %s in %.3f s%s, RTO %" PRId64 " ms", label, done,
	    (double)p->elapsed_ms / 1000.0, pace, rto_ms);
}

/* A transfer starts at now: its first progress line is due XFER_PROGRESS_FIRST_MS later. */
void
xfer_meter_init(struct xfer_meter *m, uint64_t now)
{
	m->start = now;
	m->due = now + XFER_PROGRESS_FIRST_MS;
}

/* Whether a progress line is due at now; the next one is then due a second from now. */
bool
xfer_meter_due(struct xfer_meter *m, uint64_t now)
{
	if (now < m->due)
		return false;
	m->due = now + XFER_PROGRESS_EVERY_MS;
	return true;
}
