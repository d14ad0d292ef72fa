/* The transfer logs (SPEC §6): responding_log.txt and requesting_log.txt in the peer's dir. */
#include <errno.h>
#include <string.h>

#include "files.h"
#include "log.h"
#include "xferlog.h"

static const char *const xferlog_names[] = {
	[XFER_LOG_SND] = "snd", [XFER_LOG_RCV] = "rcv", [XFER_LOG_DROP] = "drop",
	[XFER_LOG_RTX] = "RTX",
};

/* One line: `<event> <time> <seq> <bytes> <ack>`. */
void
xferlog_write(struct xferlog *l, enum xfer_log_event ev, uint64_t ms, uint32_t seq,
    uint32_t bytes, uint32_t ack)
{
	if (l->fp == NULL && !l->failed) {
		char path[FILES_PATH_MAX];

		snprintf(path, sizeof path, "%s/%s", l->dir, l->name);
		if ((l->fp = fopen(path, "w")) == NULL) {
			log_warn("cannot write %s: %s", path, strerror(errno));
			l->failed = 1;
			return;
		}
		/* Buffered: a line per segment must not cost a write() per segment. */
		setvbuf(l->fp, NULL, _IOFBF, XFERLOG_BUF);
	}
	if (l->fp != NULL)
		fprintf(l->fp, "%s %llu.%03u %u %u %u\n", xferlog_names[ev],
		    (unsigned long long)(ms / 1000), (unsigned)(ms % 1000), seq, bytes, ack);
}

/* Push buffered lines to the file (after a transfer ends, and now and then). */
void
xferlog_flush(struct xferlog *l)
{
	if (l->fp != NULL)
		fflush(l->fp);
}

/* Close the file if it was opened. */
void
xferlog_close(struct xferlog *l)
{
	if (l->fp != NULL)
		fclose(l->fp);
	l->fp = NULL;
}
