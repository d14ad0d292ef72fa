/*
 * Speed of the file checksum (place_sum, XXH64) in MB/s, one shot and streamed in 64 KiB
 * chunks as a receiver would feed it, over a 64 MiB buffer held in memory. Prints numbers,
 * asserts nothing. Usage: build/bench_checksum [MiB] (default 64).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cdht/place.h"

#define BENCH_CHUNK	65536	/* bytes fed per update, as a socket read would */
#define BENCH_REPS	5	/* passes; the best one is reported */

/* Seconds on the monotonic clock. */
static double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over buf: one shot if chunk is 0, else in chunks; seconds taken, sum in *out. */
static double
bench_pass(const uint8_t *buf, size_t len, size_t chunk, uint64_t *out)
{
	double		t0 = bench_now();
	struct place_sum s;
	size_t		off;

	if (chunk == 0) {
		*out = place_sum(buf, len);
		return bench_now() - t0;
	}
	place_sum_init(&s);
	for (off = 0; off < len; off += chunk)
		place_sum_update(&s, buf + off, len - off < chunk ? len - off : chunk);
	*out = place_sum_final(&s);
	return bench_now() - t0;
}

int
main(int argc, char **argv)
{
	size_t		mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64, len, i;
	uint8_t		*buf;
	uint64_t	sum1 = 0, sum2 = 0;
	double		best1 = 1e9, best2 = 1e9;
	int		rep;

	if (mib == 0 || mib > 4096) {
		fprintf(stderr, "usage: %s [MiB 1..4096]\n", argv[0]);
		return 2;
	}
	len = mib << 20;
	if ((buf = malloc(len)) == NULL)
		return 1;
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (rep = 0; rep < BENCH_REPS; rep++) {
		double t1 = bench_pass(buf, len, 0, &sum1), t2 = bench_pass(buf, len, BENCH_CHUNK, &sum2);

		best1 = t1 < best1 ? t1 : best1;
		best2 = t2 < best2 ? t2 : best2;
	}
	printf("checksum XXH64 over %zu MiB: one shot %.0f MB/s, 64 KiB chunks %.0f MB/s%s\n",
	    mib, (double)len / best1 / 1e6, (double)len / best2 / 1e6,
	    sum1 == sum2 ? "" : " (MISMATCH)");
	free(buf);
	return sum1 == sum2 ? 0 : 1;
}
