/* Diagnostics on stderr, each line prefixed "cdht: "; stdout is for console lines only. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "log.h"

#define LOG_BURST	20	/* lines per second; the rest are counted, not printed */

static uint64_t	log_second;	/* the second being counted (clock_now_ms / 1000) */
static unsigned	log_lines;	/* lines printed in it */
static unsigned	log_dropped;	/* lines suppressed since the last summary */

/* One line on stderr, unless a flood of them is under way (then a count, once a second). */
void
log_warn(const char *fmt, ...)
{
	char		buf[512];
	va_list		ap;
	uint64_t	second = clock_now_ms() / 1000;

	if (second != log_second) {
		if (log_dropped > 0)
			fprintf(stderr, "cdht: (%u more warnings suppressed)\n", log_dropped);
		log_second = second;
		log_lines = 0;
		log_dropped = 0;
	}
	if (log_lines >= LOG_BURST) {
		log_dropped++;
		return;
	}
	log_lines++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cdht: %s\n", buf);
}
