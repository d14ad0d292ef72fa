/* The transfer logs (SPEC §6): responding_log.txt and requesting_log.txt in the peer's dir. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "files.h"
#include "log.h"
#include "xferlog.h"

static const char *const xferlog_names[] = {
	[XFER_LOG_SND] = "snd", [XFER_LOG_RCV] = "rcv", [XFER_LOG_DROP] = "drop",
	[XFER_LOG_RTX] = "RTX",
};

/* v in decimal at the end of the text ending at p; returns where it starts. */
static char *
xferlog_digits(char *p, uint64_t v)
{
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

/* Opens the file on first use: whether it is open. */
static bool
xferlog_open(struct xferlog *l)
{
	char path[FILES_PATH_MAX];

	if (l->fp != NULL || l->failed)
		return l->fp != NULL;
	snprintf(path, sizeof path, "%s/%s", l->dir, l->name);
	if ((l->fp = fopen(path, "w")) == NULL) {
		log_warn("cannot write %s: %s", path, strerror(errno));
		l->failed = 1;
		return false;
	}
	/* Buffered: a line per segment must not cost a write() per segment. */
	setvbuf(l->fp, NULL, _IOFBF, XFERLOG_BUF);
	return true;
}

/*
 * One line: `<event> <time> <seq> <bytes> <ack>`, as "%s %llu.%03u %u %u %u\n" would print
 * it. Formatted here, right to left, because printf's parsing was a tenth of a windowed
 * transfer's time in the peer (perf).
 */
void
xferlog_write(struct xferlog *l, enum xfer_log_event ev, uint64_t ms, uint32_t seq,
    uint32_t bytes, uint32_t ack)
{
	char		 line[96], *end = line + sizeof line, *p = end;
	const char	*name = xferlog_names[ev];
	size_t		 nlen = strlen(name);

	if (!xferlog_open(l))
		return;
	*--p = '\n';
	p = xferlog_digits(p, ack);
	*--p = ' ';
	p = xferlog_digits(p, bytes);
	*--p = ' ';
	p = xferlog_digits(p, seq);
	*--p = ' ';
	*--p = (char)('0' + ms % 10);
	*--p = (char)('0' + ms / 10 % 10);
	*--p = (char)('0' + ms / 100 % 10);
	*--p = '.';
	p = xferlog_digits(p, ms / 1000);
	*--p = ' ';
	p -= nlen;
	memcpy(p, name, nlen);
	fwrite(p, 1, (size_t)(end - p), l->fp);
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
