/* The clock: milliseconds on a monotonic clock, read once per event by the I/O edge. */
#ifndef CDHT_CLOCK_H
#define CDHT_CLOCK_H

#include <stdint.h>

uint64_t	clock_now_ms(void);

#endif
