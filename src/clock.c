/* The clock: milliseconds on a monotonic clock, read once per event by the I/O edge. */
#include <time.h>

#include "clock.h"

/* Milliseconds since an arbitrary fixed point; never goes backwards. */
uint64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
