/* Unit tests of ring arithmetic: intervals, file keys, key ownership, file-name parsing. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/keys.h"
#include "cdht/xfer.h"

#define RANDOM_RINGS	16	/* rings drawn from the fixed-seed generator */
#define RANDOM_MAX_IDS	40	/* ids in the largest random ring */
#define UNTOUCHED	-12345	/* what *file holds before a parse that must fail */

/* A deterministic generator (splitmix64), so every run tests the same rings. */
static struct xfer_rng	rng_state = { 0x6b657973ULL };

/* The next 64 pseudo-random bits: the core's own generator, seeded here. */
static uint64_t
rng_next(void)
{
	return xfer_rng_next(&rng_state);
}

/* Reference owner: walk forward from key, one id at a time, until a member is met. */
static int
owner_by_walking(const uint8_t *ids, size_t n, int key)
{
	bool	member[KEYS_RING_SIZE] = { false };
	size_t	i;
	int	step;

	for (i = 0; i < n; i++)
		member[ids[i]] = true;
	for (step = 0; step < KEYS_RING_SIZE; step++) {
		int id = (key + step) % KEYS_RING_SIZE;

		if (member[id])
			return id;
	}
	return -1;
}

/* Check keys_owner against the walk for every one of the 256 keys on this ring. */
static void
check_all_keys(const uint8_t *ids, size_t n)
{
	int	key;

	for (key = 0; key < KEYS_RING_SIZE; key++) {
		int want = owner_by_walking(ids, n, key), got = keys_owner(ids, n, key);

		ck_assert_msg(got == want, "ring of %zu ids (first %d): key %d owned by %d, want %d",
		    n, n > 0 ? ids[0] : -1, key, got, want);
	}
}

/* Mark the ids strictly between a and b by walking forward from a (a == b: a full lap). */
static void
walk_open(int a, int b, bool *in)
{
	int	x = (a + 1) % KEYS_RING_SIZE;

	memset(in, 0, KEYS_RING_SIZE * sizeof in[0]);
	while (x != b && x != a) {
		in[x] = true;
		x = (x + 1) % KEYS_RING_SIZE;
	}
}

/*
 * Compare the interval test fn (called name) with the walk for every a, x and b; half: b is
 * in too (when a == b, a full lap, a itself included).
 */
static void
check_against_walk(bool (*fn)(int, int, int), const char *name, bool half)
{
	bool	in[KEYS_RING_SIZE];

	for (int a = 0; a < KEYS_RING_SIZE; a++)
		for (int b = 0; b < KEYS_RING_SIZE; b++) {
			walk_open(a, b, in);
			if (half)
				in[b] = true;
			for (int x = 0; x < KEYS_RING_SIZE; x++)
				if (fn(a, x, b) != in[x])
					ck_abort_msg("%s(%d, %d, %d) = %d, want %d", name, a, x, b,
					    fn(a, x, b), in[x]);
		}
}

/* A list of ids for expect_in, ended by -1 (NONE: the empty list). */
#define IDS(...)	((const int[]){ __VA_ARGS__, -1 })
#define NONE		((const int[]){ -1 })
#define EXPECT_IN(fn, a, b, in, out)	expect_in((fn), #fn, (a), (b), (in), (out))

/* The interval test fn (called name) of a and b holds each x of in and none of out. */
static void
expect_in(bool (*fn)(int, int, int), const char *name, int a, int b, const int *in,
    const int *out)
{
	for (; *in != -1; in++)
		ck_assert_msg(fn(a, *in, b), "%s(%d, %d, %d) is false, want true", name, a, *in, b);
	for (; *out != -1; out++)
		ck_assert_msg(!fn(a, *out, b), "%s(%d, %d, %d) is true, want false", name, a, *out,
		    b);
}

/* ---- keys_in_open ---- */

CASE("intervals", test_keys_in_open_inside_without_wrap)
{
	EXPECT_IN(keys_in_open, 1, 5, IDS(2, 4), IDS(6, 0));
}
END_TEST

CASE("intervals", test_keys_in_open_wraps_past_255)
{
	EXPECT_IN(keys_in_open, 250, 5, IDS(255, 0, 4), IDS(249, 6));
	EXPECT_IN(keys_in_open, 255, 1, IDS(0), NONE);
}
END_TEST

CASE("intervals", test_keys_in_open_excludes_both_ends)
{
	EXPECT_IN(keys_in_open, 1, 5, NONE, IDS(1, 5));
	EXPECT_IN(keys_in_open, 250, 5, NONE, IDS(250, 5));
	EXPECT_IN(keys_in_open, 4, 5, NONE, IDS(4, 5));		/* adjacent: nothing in between */
	EXPECT_IN(keys_in_open, 255, 0, NONE, IDS(255, 0));
}
END_TEST

CASE("intervals", test_keys_in_open_equal_ends_is_all_but_a)
{
	int	x;

	for (x = 0; x < KEYS_RING_SIZE; x++)
		ck_assert_msg(keys_in_open(7, x, 7) == (x != 7), "x = %d", x);
}
END_TEST

CASE("intervals", test_keys_in_open_matches_walk_everywhere)
{
	check_against_walk(keys_in_open, "keys_in_open", false);
}
END_TEST

/* ---- keys_in_half_open ---- */

CASE("intervals", test_keys_in_half_open_includes_b_excludes_a)
{
	EXPECT_IN(keys_in_half_open, 1, 5, IDS(5, 3), IDS(1, 6));
	EXPECT_IN(keys_in_half_open, 4, 5, IDS(5), NONE);
}
END_TEST

CASE("intervals", test_keys_in_half_open_wraps_past_255)
{
	EXPECT_IN(keys_in_half_open, 15, 1, IDS(220, 0, 1), IDS(15, 2));
	EXPECT_IN(keys_in_half_open, 255, 0, IDS(0), NONE);
}
END_TEST

CASE("intervals", test_keys_in_half_open_equal_ends_is_whole_ring)
{
	int	x;

	for (x = 0; x < KEYS_RING_SIZE; x++)
		ck_assert_msg(keys_in_half_open(9, x, 9), "x = %d", x);
}
END_TEST

CASE("intervals", test_keys_in_half_open_matches_walk_everywhere)
{
	check_against_walk(keys_in_half_open, "keys_in_half_open", true);
}
END_TEST

/* ---- keys_owner ---- */

CASE("owner", test_keys_owner_classic_ring_all_keys)
{
	static const uint8_t ids[] = { 1, 3, 4, 5, 8, 10, 12, 15 };

	check_all_keys(ids, sizeof ids);
}
END_TEST

CASE("owner", test_keys_owner_p2p_ring_all_keys)
{
	static const uint8_t ids[] = { 2, 4, 5, 8, 9, 14, 19 };

	check_all_keys(ids, sizeof ids);
}
END_TEST

CASE("owner", test_keys_owner_order_of_ids_irrelevant)
{
	static const uint8_t ids[] = { 14, 2, 19, 8, 5, 9, 4 };

	check_all_keys(ids, sizeof ids);
	ck_assert_int_eq(keys_owner(ids, sizeof ids, 20), 2);
	ck_assert_int_eq(keys_owner(ids, sizeof ids, 19), 19);
}
END_TEST

CASE("owner", test_keys_owner_single_peer_owns_everything)
{
	static const uint8_t zero[] = { 0 }, top[] = { 255 }, mid[] = { 100 };
	int	key;

	check_all_keys(zero, 1);
	check_all_keys(top, 1);
	check_all_keys(mid, 1);
	for (key = 0; key < KEYS_RING_SIZE; key++)
		ck_assert_int_eq(keys_owner(top, 1, key), 255);
}
END_TEST

CASE("owner", test_keys_owner_extreme_ids)
{
	static const uint8_t both[] = { 0, 255 }, far[] = { 7, 200 };

	check_all_keys(both, sizeof both);
	check_all_keys(far, sizeof far);
	ck_assert_int_eq(keys_owner(both, 2, 0), 0);
	ck_assert_int_eq(keys_owner(both, 2, 1), 255);
	ck_assert_int_eq(keys_owner(both, 2, 255), 255);
	ck_assert_int_eq(keys_owner(far, 2, 201), 7);
	ck_assert_int_eq(keys_owner(far, 2, 8), 200);
}
END_TEST

CASE("owner", test_keys_owner_random_rings_all_keys)
{
	int	ring;

	for (ring = 0; ring < RANDOM_RINGS; ring++) {
		bool	used[KEYS_RING_SIZE] = { false };
		uint8_t	ids[RANDOM_MAX_IDS];
		size_t	n = 1 + (size_t)(rng_next() % RANDOM_MAX_IDS), k = 0;

		while (k < n) {
			uint8_t id = (uint8_t)(rng_next() % KEYS_RING_SIZE);

			if (!used[id]) {
				used[id] = true;
				ids[k++] = id;
			}
		}
		check_all_keys(ids, n);
	}
}
END_TEST

CASE("owner", test_keys_owner_empty_ring_is_minus_one)
{
	static const uint8_t ids[] = { 3 };

	ck_assert_int_eq(keys_owner(ids, 0, 3), -1);
	ck_assert_int_eq(keys_owner(NULL, 0, 100), -1);
}
END_TEST

/* ---- keys_of_file ---- */

CASE("files", test_keys_of_file_is_mod_256)
{
	ck_assert_int_eq(keys_of_file(2012), 220);
	ck_assert_int_eq(keys_of_file(4103), 7);
	ck_assert_int_eq(keys_of_file(2067), 19);
	ck_assert_int_eq(keys_of_file(0), 0);
	ck_assert_int_eq(keys_of_file(255), 255);
	ck_assert_int_eq(keys_of_file(256), 0);
	ck_assert_int_eq(keys_of_file(9999), 15);
}
END_TEST

/* ---- keys_parse_file ---- */

CASE("files", test_keys_parse_file_accepts_four_digits)
{
	static const struct { const char *s; int v; } ok[] = {
		{ "0000", 0 }, { "2012", 2012 }, { "9999", 9999 }, { "0007", 7 }, { "4103", 4103 },
	};
	size_t	i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int file = UNTOUCHED;

		ck_assert_msg(keys_parse_file(ok[i].s, &file) == 0, "'%s' rejected", ok[i].s);
		ck_assert_int_eq(file, ok[i].v);
	}
}
END_TEST

CASE("files", test_keys_parse_file_rejects_everything_else)
{
	static const char *const bad[] = {
		"a912", "32134", "12", "", "201a", " 2012", "2012 ", "+201", "-201", "20 2",
		"2012\n", "0x12", "201", "99999",
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int file = UNTOUCHED;

		ck_assert_msg(keys_parse_file(bad[i], &file) == -1, "'%s' accepted", bad[i]);
		ck_assert_msg(file == UNTOUCHED, "'%s' wrote %d", bad[i], file);
	}
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("keys", NULL);
}
