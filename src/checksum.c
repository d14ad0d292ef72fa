/* The place module's file checksum: XXH64 (seed 0), see docs/REPLICATION.md for the choice. */
#include <string.h>

#include "cdht/place.h"

#define PLACE_P1	0x9E3779B185EBCA87ULL
#define PLACE_P2	0xC2B2AE3D27D4EB4FULL
#define PLACE_P3	0x165667B19E3779F9ULL
#define PLACE_P4	0x85EBCA77C2B2AE63ULL
#define PLACE_P5	0x27D4EB2F165667C5ULL

/* Rotate x left by r bits (0 < r < 64). */
static uint64_t
place_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/*
 * Little-endian read of n (4 or 8) bytes, widened, whatever the host (one memcpy: gcc does not
 * merge byte loads, 6x slower).
 */
static inline uint64_t
place_le(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	memcpy(&v, p, n);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);	/* the n bytes sit on top: reversed, they are the low ones */
#endif
	return v;
}

/* One XXH64 lane round. */
static uint64_t
place_round(uint64_t acc, uint64_t input)
{
	acc += input * PLACE_P2;
	acc = place_rotl(acc, 31);
	return acc * PLACE_P1;
}

/* Fold one lane into the hash of a long input. */
static uint64_t
place_merge(uint64_t acc, uint64_t val)
{
	acc ^= place_round(0, val);
	return acc * PLACE_P1 + PLACE_P4;
}

/* Start a checksum. */
void
place_sum_init(struct place_sum *s)
{
	memset(s, 0, sizeof *s);
	s->v[0] = PLACE_P1 + PLACE_P2;
	s->v[1] = PLACE_P2;
	s->v[2] = 0;
	s->v[3] = -PLACE_P1;
}

/* Consume one 32-byte stripe. */
static void
place_stripe(struct place_sum *s, const uint8_t *p)
{
	s->v[0] = place_round(s->v[0], place_le(p, 8));
	s->v[1] = place_round(s->v[1], place_le(p + 8, 8));
	s->v[2] = place_round(s->v[2], place_le(p + 16, 8));
	s->v[3] = place_round(s->v[3], place_le(p + 24, 8));
}

/* Feed len more bytes (any chunking gives the same result). */
void
place_sum_update(struct place_sum *s, const void *data, size_t len)
{
	const uint8_t	*p = data;

	s->total += len;
	if (s->nbuf > 0) {
		size_t take = sizeof s->buf - s->nbuf;

		if (take > len)
			take = len;
		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += take;
		p += take;
		len -= take;
		if (s->nbuf < sizeof s->buf)
			return;
		place_stripe(s, s->buf);
		s->nbuf = 0;
	}
	for (; len >= 32; p += 32, len -= 32)
		place_stripe(s, p);
	memcpy(s->buf, p, len);
	s->nbuf = len;
}

/* The checksum of everything fed so far (s is left as it was). */
uint64_t
place_sum_final(const struct place_sum *s)
{
	const uint8_t	*p = s->buf, *end = s->buf + s->nbuf;
	uint64_t	 h;

	if (s->total >= 32) {
		h = place_rotl(s->v[0], 1) + place_rotl(s->v[1], 7) + place_rotl(s->v[2], 12) +
		    place_rotl(s->v[3], 18);
		h = place_merge(h, s->v[0]);
		h = place_merge(h, s->v[1]);
		h = place_merge(h, s->v[2]);
		h = place_merge(h, s->v[3]);
	} else {
		h = PLACE_P5;
	}
	h += s->total;
	for (; end - p >= 8; p += 8) {
		h ^= place_round(0, place_le(p, 8));
		h = place_rotl(h, 27) * PLACE_P1 + PLACE_P4;
	}
	if (end - p >= 4) {
		h ^= place_le(p, 4) * PLACE_P1;
		h = place_rotl(h, 23) * PLACE_P2 + PLACE_P3;
		p += 4;
	}
	for (; p < end; p++) {
		h ^= (uint64_t)*p * PLACE_P5;
		h = place_rotl(h, 11) * PLACE_P1;
	}
	h ^= h >> 33;
	h *= PLACE_P2;
	h ^= h >> 29;
	h *= PLACE_P3;
	h ^= h >> 32;
	return h;
}

/* The checksum of one buffer (init, update, final). */
uint64_t
place_sum(const void *data, size_t len)
{
	struct place_sum s;

	place_sum_init(&s);
	place_sum_update(&s, data, len);
	return place_sum_final(&s);
}
