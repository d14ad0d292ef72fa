/* Ring arithmetic on the 256-id circle: intervals, key of a file, key ownership. */
#include <stddef.h>

#include "cdht/keys.h"

/* Distance walking forward from a to b on the circle, 0..255. */
static int
keys_dist(int a, int b)
{
	return (((b - a) % KEYS_RING_SIZE) + KEYS_RING_SIZE) % KEYS_RING_SIZE;
}

/* Is x strictly between a and b, walking forward from a? a == b: every id but a. */
bool
keys_in_open(int a, int x, int b)
{
	int	dx = keys_dist(a, x), db = keys_dist(a, b);

	if (db == 0)
		return dx != 0;
	return dx > 0 && dx < db;
}

/* Is x in (a, b], walking forward from a? a == b: the whole ring. */
bool
keys_in_half_open(int a, int x, int b)
{
	int	dx = keys_dist(a, x), db = keys_dist(a, b);

	if (db == 0)
		return true;
	return dx > 0 && dx <= db;
}

/* The key of file F: F mod 256. */
int
keys_of_file(int file)
{
	return file % KEYS_RING_SIZE;
}

/* The owner of key among ids: the first id at or after key, wrapping; -1 if none. */
int
keys_owner(const uint8_t *ids, size_t n, int key)
{
	int	best = -1, bestd = KEYS_RING_SIZE;
	size_t	i;

	for (i = 0; i < n; i++) {
		int d = keys_dist(key, ids[i]);
		if (d < bestd) {
			bestd = d;
			best = ids[i];
		}
	}
	return best;
}

/* Parse exactly four decimal digits into *file; -1 (and *file untouched) otherwise. */
int
keys_parse_file(const char *s, int *file)
{
	int	i, v = 0;

	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (s[4] != '\0')
		return -1;
	*file = v;
	return 0;
}
