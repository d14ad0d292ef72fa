/* The transfer logs (SPEC §6): responding_log.txt and requesting_log.txt in the peer's dir. */
#ifndef CDHT_XFERLOG_H
#define CDHT_XFERLOG_H

#include <stdint.h>
#include <stdio.h>

#include "cdht/xfer.h"

#define XFERLOG_BUF	(64 * 1024)	/* bytes buffered before a write */

/* One log file, opened afresh on first use in this run, appended to after. Owned by the peer. */
struct xferlog {
	const char	*dir;
	const char	*name;
	FILE		*fp;
	int		 failed;	/* could not open: stop trying */
};

/* One line: `<event> <time> <seq> <bytes> <ack>`, time in seconds with 3 decimals. */
void	xferlog_write(struct xferlog *l, enum xfer_log_event ev, uint64_t ms, uint32_t seq,
	    uint32_t bytes, uint32_t ack);
void	xferlog_flush(struct xferlog *l);
void	xferlog_close(struct xferlog *l);

#endif
