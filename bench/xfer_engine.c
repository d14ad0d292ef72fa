/* Cost of the transfer engine per segment (sender and receiver calls, no I/O), by window. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdht/xfer.h"

#define BENCH_SIZE	(2u * 1024 * 1024)	/* bytes: the 2 MiB file of bench/transfer.sh */
#define BENCH_MSS	400			/* bytes per segment */
#define BENCH_RUNS	40			/* transfers per case; the fastest counts */
#define BENCH_QUEUE	1024			/* segments on the fake wire at most */

/* Counts of one simulated transfer. */
struct bench_run {
	unsigned long	segs;		/* data segments the engine emitted (snd, RTX, drop) */
	unsigned long	acks;
	double		ns;		/* wall time of the whole run */
};

/* ns on the monotonic clock. */
static double
bench_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Puts a batch on the fake wire (a FIFO), skipping what emulation dropped. */
static void
bench_put(struct xfer_seg *q, unsigned *tail, const struct xfer_batch *b, struct bench_run *r)
{
	uint16_t	i;

	for (i = 0; i < b->n; i++) {
		r->segs++;
		if (b->seg[i].send)
			q[(*tail)++ % BENCH_QUEUE] = b->seg[i];
	}
}

/* One transfer over a wire with no delay: every sent segment arrives and is acked at once. */
static void
bench_one(uint16_t window, double drop, uint32_t timeout_ms, struct bench_run *r)
{
	static struct xfer_seg	q[BENCH_QUEUE];
	struct xfer_cfg		cfg = { BENCH_SIZE, BENCH_MSS, window, drop, timeout_ms };
	struct xfer_tx		tx;
	struct xfer_rx		rx;
	struct xfer_rng		rng;
	struct xfer_batch	b;
	const struct xfer_seg	*s;
	unsigned		head = 0, tail = 0;
	uint64_t		now = 1000;
	uint32_t		ack, sack;
	double			t0;

	memset(r, 0, sizeof *r);
	xfer_rng_seed(&rng, 42);
	t0 = bench_now_ns();
	xfer_tx_init(&tx, &cfg);
	xfer_rx_init(&rx, XFER_WINDOW_MAX, now);
	xfer_tx_start(&tx, &rng, now, &b);
	bench_put(q, &tail, &b, r);
	while (!tx.done) {
		if (head == tail) {
			now = xfer_tx_next_deadline(&tx);
			if (xfer_tx_on_timer(&tx, &rng, now, &b) == XFER_GAVE_UP)
				break;
			bench_put(q, &tail, &b, r);
			continue;
		}
		s = &q[head++ % BENCH_QUEUE];
		xfer_rx_on_data(&rx, s->seq, s->len, s->last, now, &ack, &sack);
		r->acks++;
		xfer_tx_on_ack(&tx, ack, sack, &rng, now, &b);
		bench_put(q, &tail, &b, r);
	}
	r->ns = bench_now_ns() - t0;
	if (!tx.done || !rx.done) {
		fprintf(stderr, "bench: the transfer did not complete\n");
		exit(1);
	}
}

/* Runs one case BENCH_RUNS times and prints the fastest, per segment. */
static void
bench_case(uint16_t window, double drop, uint32_t timeout_ms)
{
	struct bench_run	r, best;
	int			i;

	for (i = 0; i < BENCH_RUNS; i++) {
		bench_one(window, drop, timeout_ms, &r);
		if (i == 0 || r.ns < best.ns)
			best = r;
	}
	printf("window %3u  drop %.1f  timeout %-5s  %6lu segments  %6lu acks  %8.3f ms  "
	    "%6.1f ns/segment\n", window, drop, timeout_ms == XFER_TIMEOUT_AUTO ? "auto" : "1 s",
	    best.segs, best.acks, best.ns / 1e6, best.ns / (double)best.segs);
}

/* Prints the engine's cost per segment for the windows of issue 13. */
int
main(void)
{
	static const uint16_t	windows[] = { 1, 32, 256 };
	size_t			i;

	printf("xfer engine, %u bytes in %u-byte segments, fastest of %d runs\n", BENCH_SIZE,
	    BENCH_MSS, BENCH_RUNS);
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++)
		bench_case(windows[i], 0, 1000);
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++)
		bench_case(windows[i], 0.1, XFER_TIMEOUT_AUTO);
	return 0;
}
