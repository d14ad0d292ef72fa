/* Stop-and-wait file transfer over datagrams (SPEC §6): sender and receiver, no I/O. */
#ifndef CDHT_XFER_H
#define CDHT_XFER_H

#include <stdbool.h>
#include <stdint.h>

#define XFER_GIVE_UP_MS		60000	/* ms without progress before a transfer is abandoned */
#define XFER_SILENT_TRIES	5	/* first-segment sends with no ACK at all before giving up */

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

/* Sender side of one transfer. Plain data; owned by the peer's transfer table. */
struct xfer_tx {
	uint32_t	size;		/* bytes of the file */
	uint16_t	mss;		/* bytes per segment */
	double		drop;		/* probability a data segment is not sent */
	uint32_t	timeout_ms;
	uint32_t	seq;		/* in-flight segment */
	uint16_t	len;
	uint64_t	deadline;	/* retransmission due */
	uint64_t	progress_at;	/* last time an ACK moved us on */
	uint32_t	sent;		/* data segments put on the wire, incl. RTX */
	uint32_t	dropped;	/* data segments dropped by emulation */
	bool		done;
};

enum xfer_result { XFER_IGNORED, XFER_SEND, XFER_DONE, XFER_GAVE_UP };

void		 xfer_tx_init(struct xfer_tx *tx, uint32_t size, uint16_t mss, double drop,
		     uint32_t timeout_ms);
/* The first segment. */
void		 xfer_tx_start(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now,
		     struct xfer_seg *out);
/* An ACK arrived: IGNORED (duplicate/stale), SEND (next segment in *out) or DONE. */
enum xfer_result xfer_tx_on_ack(struct xfer_tx *tx, uint32_t ack, struct xfer_rng *rng,
		     uint64_t now, struct xfer_seg *out);
/* Time passed: IGNORED (nothing due), SEND (retransmission in *out) or GAVE_UP. */
enum xfer_result xfer_tx_on_timer(struct xfer_tx *tx, struct xfer_rng *rng, uint64_t now,
		     struct xfer_seg *out);

/* Receiver side of one transfer. */
struct xfer_rx {
	uint32_t	expect;		/* next expected byte, from 1 */
	uint64_t	progress_at;
	bool		done;
};

enum xfer_rx_result {
	XFER_RX_WRITE,		/* in order: write len bytes at offset seq-1, then send the ACK */
	XFER_RX_COMPLETE,	/* as WRITE, and the file is complete */
	XFER_RX_DUPLICATE,	/* already have it: send the ACK again, write nothing */
	XFER_RX_BAD		/* out of order or past the end: send the ACK again */
};

void		 xfer_rx_init(struct xfer_rx *rx, uint64_t now);
/* A data segment arrived; *ack is the ACK to send (next expected byte). */
enum xfer_rx_result xfer_rx_on_data(struct xfer_rx *rx, uint32_t seq, uint16_t len, bool last,
		     uint64_t now, uint32_t *ack);

#endif
