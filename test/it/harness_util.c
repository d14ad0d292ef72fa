/* Scenario-test harness: small helpers every part uses (clock, naps, formatting, memory, random). */
#include "harness_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
it_nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A deadline ms from now, never past the test's budget. */
int64_t
it_deadline(int ms)
{
	int64_t d = it_now_ms() + ms;

	if (it_run.active && d > it_run.budget_end)
		d = it_run.budget_end;
	return d;
}

const char *
it_s(const char *fmt, ...)
{
	static char	buf[32][512];
	static unsigned	next;
	char		*b = buf[next++ % 32];
	va_list		 ap;

	if (fmt == NULL)
		return "";
	va_start(ap, fmt);
	vsnprintf(b, sizeof buf[0], fmt, ap);
	va_end(ap);
	return b;
}

char *
it_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		perror("cdht-it: strdup");
		abort();
	}
	return d;
}

void *
it_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("cdht-it: malloc");
		abort();
	}
	return p;
}

uint64_t
it_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}
