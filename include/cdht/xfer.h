/* File transfer over datagrams (SPEC §6): windowed selective-repeat sender and receiver, RTO, progress; no I/O. */
#ifndef CDHT_XFER_H
#define CDHT_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XFER_GIVE_UP_MS		60000	/* ms without progress before a transfer is abandoned */
#define XFER_SILENT_TRIES	5	/* first-segment sends with no ACK at all before giving up */
#define XFER_WINDOW_MAX		256	/* segments in flight at most (--window) */
#define XFER_TIMEOUT_AUTO	0	/* timeout_ms value: adaptive RTO (RFC 6298) */
#define XFER_RTO_INITIAL_MS	200	/* ms; RTO before the first RTT sample (auto) */
#define XFER_RTO_MIN_MS		2	/* ms; floor of the adaptive RTO */
#define XFER_RTO_MAX_MS		1000	/* ms; ceiling of the adaptive RTO, backoff included */
#define XFER_RTO_GRANULARITY_US	1000	/* µs; G of RFC 6298, the clock's tick */
#define XFER_PROGRESS_FIRST_MS	2000	/* ms; a transfer's first progress line is due then */
#define XFER_PROGRESS_EVERY_MS	1000	/* ms between progress lines after the first */

/* A reproducible uniform random source (splitmix64) for drop emulation. */
struct xfer_rng {
	uint64_t	state;
};
void	xfer_rng_seed(struct xfer_rng *rng, uint64_t seed);
uint64_t xfer_rng_next(struct xfer_rng *rng);	/* 64 random bits */
double	xfer_rng_uniform(struct xfer_rng *rng);	/* in [0, 1) */

enum xfer_log_event { XFER_LOG_SND, XFER_LOG_RCV, XFER_LOG_DROP, XFER_LOG_RTX };

/* What the sender wants done with one data segment. */
struct xfer_seg {
	uint32_t		seq;	/* byte offset of the first byte, from 1 */
	uint16_t		len;	/* bytes */
	bool			last;	/* marks the end of the file */
	bool			send;	/* false: dropped by emulation, log only */
	enum xfer_log_event	event;	/* SND, RTX or DROP */
};

/* The segments one engine call wants logged and (unless dropped) sent, in this order. */
struct xfer_batch {
	uint16_t	n;
	struct xfer_seg	seg[XFER_WINDOW_MAX];
};

/* How a sender is set up. */
struct xfer_cfg {
	uint32_t	size;		/* bytes of the file */
	uint16_t	mss;		/* bytes per segment (0 is taken as 1) */
	uint16_t	window;		/* segments in flight, 1..XFER_WINDOW_MAX (clamped) */
	double		drop;		/* probability a data segment is not sent */
	uint32_t	timeout_ms;	/* fixed retransmission timeout, or XFER_TIMEOUT_AUTO */
};

/* The retransmission timeout: fixed, or RFC 6298's estimator (times in µs inside). */
struct xfer_rto {
	uint32_t	fixed_ms;	/* 0: adaptive */
	uint32_t	rto_ms;		/* in use now, backoff included */
	uint64_t	srtt_us;
	uint64_t	rttvar_us;
	uint32_t	samples;	/* RTT samples taken */
	uint8_t		backoff;	/* doublings since the last sample */
};

void		 xfer_rto_init(struct xfer_rto *r, uint32_t timeout_ms);
/* One RTT sample of rtt_ms: updates SRTT/RTTVAR and the RTO, ends any backoff. */
void		 xfer_rto_sample(struct xfer_rto *r, uint64_t rtt_ms);
/* A retransmission timeout fired: doubles the RTO up to XFER_RTO_MAX_MS (adaptive only). */
void		 xfer_rto_backoff(struct xfer_rto *r);
/* An ACK moved the transfer on: ends the backoff without taking a sample. */
void		 xfer_rto_recover(struct xfer_rto *r);

/* One segment the sender has put out and not yet seen acknowledged. */
struct xfer_slot {
	uint64_t	deadline;	/* retransmission due */
	uint64_t	sent_at;	/* last time a copy went on the wire */
	uint16_t	wire;		/* copies put on the wire (emulated drops not counted) */
	bool		acked;		/* selectively acknowledged, above a hole */
};

/*
 * Sender side of one transfer. Plain data; owned by the peer's transfer table. It holds a
 * descriptor per segment in flight (at most window of them) and never any file data.
 */
struct xfer_tx {
	uint32_t	size;		/* bytes of the file */
	uint16_t	mss;		/* bytes per segment */
	uint16_t	window;		/* segments in flight at most */
	double		drop;		/* probability a data segment is not sent */
	struct xfer_rto	rto;
	uint32_t	nsegs;		/* segments in the file; an empty file is one empty segment */
	uint32_t	base;		/* first segment not cumulatively acknowledged, from 0 */
	uint32_t	next;		/* first segment never put out, from 0 */
	uint32_t	seq;		/* byte offset of segment base, from 1 */
	uint64_t	deadline;	/* the engine's next deadline: earliest retransmission due */
	uint64_t	progress_at;	/* last time an ACK moved us on */
	uint32_t	sent;		/* data segments put on the wire, incl. RTX */
	uint32_t	dropped;	/* data segments dropped by emulation */
	uint32_t	rtx;		/* retransmissions put on the wire */
	uint32_t	bad_acks;	/* ACKs refused as impossible */
	bool		acked_any;	/* some ACK moved us on: the receiver is there */
	bool		done;
	struct xfer_slot slot[XFER_WINDOW_MAX];	/* segment k in slot[k % window] */
};

enum xfer_result {
	XFER_IGNORED,	/* nothing new (duplicate, reordered, not due yet): no state change */
	XFER_SEND,	/* moved on: log and send the batch (it may be empty) */
	XFER_DONE,	/* every byte acknowledged (the batch is empty) */
	XFER_GAVE_UP,	/* no progress for XFER_GIVE_UP_MS, or nobody ever answered */
	XFER_BAD	/* impossible input (beyond what was sent, not a segment): ignored */
};

void		 xfer_tx_init(struct xfer_tx *tx, const struct xfer_cfg *cfg);
/* The first window of segments, in *out; arms their deadlines. */
void		 xfer_tx_start(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now,
		     struct xfer_batch *out);
/* An ACK (cumulative ack, sack = seq of the segment it answers or 0) arrived. */
enum xfer_result xfer_tx_on_ack(struct xfer_tx *tx, uint32_t ack, uint32_t sack,
		     struct xfer_rng *rng, uint64_t now, struct xfer_batch *out);
/* Time is now: retransmits every segment whose deadline passed, or gives up. */
enum xfer_result xfer_tx_on_timer(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now,
		     struct xfer_batch *out);
/* When to call xfer_tx_on_timer next; UINT64_MAX once done. */
uint64_t	 xfer_tx_next_deadline(const struct xfer_tx *tx);
/* Bytes cumulatively acknowledged. */
uint32_t	 xfer_tx_acked_bytes(const struct xfer_tx *tx);

/* Receiver side of one transfer. */
struct xfer_rx {
	uint32_t	expect;		/* next expected byte, from 1 */
	uint32_t	high;		/* one past the highest byte accepted (written), from 1 */
	uint32_t	end;		/* one past the last byte once the last segment is held; 0 */
	uint16_t	window;		/* segments held at most, counting the expected one */
	uint16_t	seglen;		/* bytes of a full segment, learnt from the data; 0 unknown */
	uint64_t	progress_at;	/* last time new data came */
	uint64_t	deadline;	/* give up then: progress_at + XFER_GIVE_UP_MS */
	uint8_t		have[XFER_WINDOW_MAX / 8];	/* segment k held: bit k % 256 */
	uint32_t	held;		/* segments held above a hole */
	bool		done;
};

enum xfer_rx_result {
	XFER_RX_WRITE,		/* new: write len bytes at offset seq-1, then send the ACK */
	XFER_RX_COMPLETE,	/* as WRITE, and the file is complete */
	XFER_RX_DUPLICATE,	/* already have it: send the ACK again, write nothing */
	XFER_RX_BAD		/* outside the window or inconsistent: send the ACK again */
};

void		 xfer_rx_init(struct xfer_rx *rx, uint16_t window, uint64_t now);
/*
 * A data segment arrived: *ack and *sack are the ACK to send (next expected byte; seq if we
 * hold that segment, 0 if it was refused).
 */
enum xfer_rx_result xfer_rx_on_data(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last,
		     uint64_t now, uint32_t *ack, uint32_t *sack);
/* When the receiver gives up if nothing new comes (its stored deadline); UINT64_MAX once done. */
uint64_t	 xfer_rx_next_deadline(const struct xfer_rx *rx);

/* The figures of a transfer in flight or just ended. */
struct xfer_progress {
	uint64_t	done;		/* bytes */
	uint64_t	size;		/* bytes; meaningful if size_known */
	bool		size_known;
	uint32_t	percent;	/* 0..100, 0 if the size is unknown */
	uint64_t	elapsed_ms;
	uint64_t	rate;		/* bytes per second, 0 until a ms has passed */
	int64_t		left_ms;	/* time left at this rate; -1 unknown */
};

/* When the next progress line of a transfer is due; owned by the transfer. */
struct xfer_meter {
	uint64_t	start;		/* ms */
	uint64_t	due;		/* ms; the next progress line */
};

void	xfer_progress_figures(struct xfer_progress *p, uint64_t done, uint64_t size,
	    bool size_known, uint64_t start, uint64_t now);
/* "label: 1.2 MiB of 3.0 MiB (40%), 850.0 KiB/s, about 3 s left"; returns snprintf's count. */
int	xfer_progress_line(const struct xfer_progress *p, const char *label, char *buf,
	    size_t cap);
/* "label: 3.0 MiB in 1.4 s (2.1 MiB/s)[, RTO 2 ms]"; under 1 ms "(under 1 ms: at least R/s)". */
int	xfer_progress_summary(const struct xfer_progress *p, const char *label, int64_t rto_ms,
	    char *buf, size_t cap);
void	xfer_meter_init(struct xfer_meter *m, uint64_t now);
/* Whether a progress line is due at now; if so, the next one is due a second later. */
bool	xfer_meter_due(struct xfer_meter *m, uint64_t now);

#endif
