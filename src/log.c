/* Diagnostics on stderr, each line prefixed "cdht: "; stdout is for console lines only. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "log.h"

#define LOG_BURST	20	/* warnings a second; the rest are counted, not printed */

static uint64_t	log_second;	/* the second being counted (clock_now_ms / 1000) */
static unsigned	log_lines;	/* warnings printed in it */
static unsigned	log_dropped;	/* warnings suppressed since the last summary */
static unsigned long log_said_n;	/* log_say lines so far */
static char	log_said_text[512];	/* the last of them */

/* Print one formatted line on stderr. */
static void __attribute__((format(printf, 1, 0)))
log_line(const char *fmt, va_list ap)
{
	char	buf[512];

	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "cdht: %s\n", buf);
}

/* Report how many warnings were suppressed, once their second is over. */
void
log_flush(void)
{
	uint64_t	second = clock_now_ms() / 1000;

	if (second == log_second)
		return;
	if (log_dropped > 0)
		fprintf(stderr, "cdht: (%u more warnings suppressed)\n", log_dropped);
	log_second = second;
	log_lines = 0;
	log_dropped = 0;
}

/* A warning, unless a flood of them is under way. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	log_flush();
	if (log_lines >= LOG_BURST) {
		log_dropped++;
		return;
	}
	log_lines++;
	va_start(ap, fmt);
	log_line(fmt, ap);
	va_end(ap);
}

/* A line the user must see (remembered, so a command's answer can name its refusal). */
void
log_say(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(log_said_text, sizeof log_said_text, fmt, ap);
	va_end(ap);
	log_said_n++;
	fprintf(stderr, "cdht: %s\n", log_said_text);
}

/* How many log_say lines so far. */
unsigned long
log_said(void)
{
	return log_said_n;
}

/* The last log_say line. */
const char *
log_last_said(void)
{
	return log_said_text;
}
