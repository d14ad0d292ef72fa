/* Ring arithmetic on the 256-id circle: intervals, key of a file, key ownership. */
#ifndef CDHT_KEYS_H
#define CDHT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYS_RING_SIZE	256	/* ids */
#define KEYS_FILE_MAX	9999	/* largest four-digit file name */

/* Is x strictly between a and b, walking forward from a? a == b: every id but a. */
bool	keys_in_open(int a, int x, int b);
/* Is x in (a, b], walking forward from a? a == b: the whole ring. */
bool	keys_in_half_open(int a, int x, int b);
/* The key of file F: F mod 256. */
int	keys_of_file(int file);
/* The owner of key among ids (any order): the first id at or after key, wrapping; -1 if none. */
int	keys_owner(const uint8_t *ids, size_t n, int key);
/* Parse exactly four decimal digits into *file; -1 (and *file untouched) otherwise. */
int	keys_parse_file(const char *s, int *file);

#endif
