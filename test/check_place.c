/*
 * Unit tests of placement (who must hold which file), the hand-off decisions after each kind of
 * ring change, the manifest codec and the checksum. The hand-off tests run a little in-memory
 * ring of inventories on a fake clock: every offer is answered at once by its receiver's
 * place_answer, a wanted copy "moves" by appending to the receiver's inventory. Never sleeps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/keys.h"
#include "cdht/place.h"
#include "cdht/xfer.h"

#define SIM_FILES	64		/* files one simulated peer can hold */
#define SIM_PASSES	5000		/* plan passes one settle may take before it counts as a loop */
#define FILE_BASE	1000		/* bytes: file F is FILE_BASE + F bytes long */
#define CHURN_EVENTS	20		/* ring changes in the churn test */
#define CHURN_FILES	20		/* files stored before the churn */
#define TCASE_TIMEOUT	50		/* s per test: the table tests are slow under sanitizers on a busy machine */

static const uint8_t classic_ring[] = { 1, 3, 4, 5, 8, 10, 12, 15 };
static const uint8_t p2p_ring[] = { 2, 4, 5, 8, 9, 14, 19 };
static const uint8_t edge_ring[] = { 0, 1, 127, 128, 254, 255 };

/* ---- reference placement ---- */

/* The first n members at or after key, walking one id at a time; how many there are. */
static unsigned
ref_holders(const uint8_t *ids, size_t m, int key, unsigned n, int *out)
{
	bool		member[KEYS_RING_SIZE] = { false };
	unsigned	k = 0;
	size_t		i;
	int		step;

	for (i = 0; i < m; i++)
		member[ids[i]] = true;
	for (step = 0; step < KEYS_RING_SIZE && k < n; step++) {
		int id = (key + step) % KEYS_RING_SIZE;

		if (member[id])
			out[k++] = id;
	}
	return k;
}

/* The role the reference gives self for key. */
static enum place_role
ref_role(const uint8_t *ids, size_t m, int self, int key, unsigned n)
{
	int		h[PLACE_SLOTS];
	unsigned	k = ref_holders(ids, m, key, n, h), j;

	for (j = 0; j < k; j++)
		if (h[j] == self)
			return j == 0 ? PLACE_OWNER : PLACE_REPLICA;
	return PLACE_NONE;
}

/* The view of member ids[idx] in a ring of m ascending ids, knowing npred / nsucc neighbours. */
static struct place_view
view_in(const uint8_t *ids, size_t m, size_t idx, unsigned replicas, unsigned npred,
    unsigned nsucc)
{
	struct place_view	v;
	unsigned		i;

	memset(&v, 0, sizeof v);
	v.self = ids[idx];
	v.replicas = replicas;
	v.may_delete = true;
	for (i = 0; i < PLACE_ARC; i++) {
		v.pred[i] = i < npred ? ids[(idx + m * 4 - 1 - i) % m] : PLACE_NO_PEER;
		v.succ[i] = i < nsucc ? ids[(idx + 1 + i) % m] : PLACE_NO_PEER;
	}
	return v;
}

/* Every key, every member, N = 1..3, full views: role and holders equal the reference. */
static void
check_placement(const uint8_t *ids, size_t m)
{
	unsigned	n, j;
	size_t		idx;
	int		key;

	for (n = 1; n <= PLACE_MAX_REPLICAS; n++)
		for (idx = 0; idx < m; idx++) {
			struct place_view v = view_in(ids, m, idx, n, 3, 3);

			for (key = 0; key < KEYS_RING_SIZE; key++) {
				struct place_holders	h;
				int			want[PLACE_SLOTS];
				unsigned		k = ref_holders(ids, m, key, n, want);
				enum place_role		r = place_role(&v, key, &h);

				ck_assert_msg(r == ref_role(ids, m, v.self, key, n),
				    "ring of %zu, peer %d, N %u, key %d: role %s", m, v.self, n, key,
				    place_role_name(r));
				ck_assert_uint_eq(h.n, k);
				for (j = 0; j < h.n; j++)
					ck_assert(h.id[j] == PLACE_NO_PEER || h.id[j] == want[j]);
				if (r == PLACE_OWNER || r == PLACE_REPLICA)
					ck_assert_msg(h.complete, "peer %d key %d: holders incomplete",
					    v.self, key);
			}
		}
}

CASE("placement", test_place_role_classic_ring_all_keys)
{
	check_placement(classic_ring, sizeof classic_ring);
}
END_TEST

CASE("placement", test_place_role_p2p_ring_all_keys)
{
	check_placement(p2p_ring, sizeof p2p_ring);
}
END_TEST

CASE("placement", test_place_role_edge_ids_all_keys)
{
	check_placement(edge_ring, sizeof edge_ring);
}
END_TEST

CASE("placement", test_place_role_small_rings_all_keys)
{
	static const uint8_t two[] = { 7, 200 }, three[] = { 1, 3, 4 }, four[] = { 0, 9, 99, 250 },
	    five[] = { 10, 20, 30, 40, 50 };

	check_placement(two, sizeof two);
	check_placement(three, sizeof three);
	check_placement(four, sizeof four);
	check_placement(five, sizeof five);
}
END_TEST

CASE("placement", test_place_role_random_rings_all_keys)
{
	struct xfer_rng	rng;
	int		round;

	xfer_rng_seed(&rng, 0x706c6163ULL);
	for (round = 0; round < 12; round++) {
		bool	member[KEYS_RING_SIZE] = { false };
		uint8_t	ids[KEYS_RING_SIZE];
		size_t	m = 0, want = 6 + xfer_rng_next(&rng) % 30;
		int	id;

		while (m < want) {
			id = (int)(xfer_rng_next(&rng) % KEYS_RING_SIZE);
			if (!member[id]) {
				member[id] = true;
				m++;
			}
		}
		for (m = 0, id = 0; id < KEYS_RING_SIZE; id++)
			if (member[id])
				ids[m++] = (uint8_t)id;
		check_placement(ids, m);
	}
}
END_TEST

/* Views missing neighbours: the role is the true one or UNKNOWN, never a wrong one. */
CASE("placement", test_place_role_partial_views_never_wrong)
{
	const uint8_t	*rings[] = { classic_ring, p2p_ring, edge_ring };
	size_t		 sizes[] = { sizeof classic_ring, sizeof p2p_ring, sizeof edge_ring }, r, idx;
	unsigned	 n, np, ns, unknown = 0;
	int		 key;

	for (r = 0; r < 3; r++)
		for (n = 1; n <= 3; n++)
			for (np = 0; np <= 3; np++)
				for (ns = 0; ns <= 3; ns++)
					for (idx = 0; idx < sizes[r]; idx++) {
		struct place_view v = view_in(rings[r], sizes[r], idx, n, np, ns);

		for (key = 0; key < KEYS_RING_SIZE; key++) {
			enum place_role got = place_role(&v, key, NULL);
			enum place_role want = ref_role(rings[r], sizes[r], v.self, key, n);

			ck_assert_msg(got == want || got == PLACE_UNKNOWN,
			    "peer %d (%u preds, %u succs) N %u key %d: %s, want %s", v.self, np, ns,
			    n, key, place_role_name(got), place_role_name(want));
			unknown += got == PLACE_UNKNOWN;
		}
	}
	ck_assert_uint_gt(unknown, 0);	/* the partial views did hide something */
}
END_TEST

/* Without a third predecessor, N = 3 cannot tell a second replica from a stranger. */
CASE("placement", test_place_role_needs_third_predecessor_for_three)
{
	struct place_view	v = view_in(classic_ring, sizeof classic_ring, 4, 3, 2, 3);

	/* Peer 8: preds 5, 4 (3 unknown). Key 4 is owned by 4, held by 4, 5, 8. */
	ck_assert_int_eq(place_role(&v, 4, NULL), PLACE_UNKNOWN);
	v.pred[2] = 3;
	ck_assert_int_eq(place_role(&v, 4, NULL), PLACE_REPLICA);
	ck_assert_int_eq(place_role(&v, 3, NULL), PLACE_NONE);
	ck_assert_int_eq(place_role(&v, 7, NULL), PLACE_OWNER);
}
END_TEST

/* Views no ring produces (ids out of range, repeats, any N): answers, never a crash. */
CASE("placement", test_place_garbage_views_are_harmless)
{
	struct xfer_rng		rng;
	struct place_file	inv[4];
	struct place_plan	pl;
	struct place_hold	o = { 7, PLACE_HOLD_OWNER, 1, 1, 1 };
	int			round, i;

	xfer_rng_seed(&rng, 0x6761726261ULL);
	for (round = 0; round < 20000; round++) {
		struct place_view	v;
		struct place_holders	h;
		struct place_event	ev = { (enum place_event_kind)(round % 3), 7 };

		v.self = (int)(xfer_rng_next(&rng) % 260);
		v.replicas = (unsigned)(xfer_rng_next(&rng) % 8);
		v.may_delete = round & 1;
		for (i = 0; i < PLACE_ARC; i++) {
			v.pred[i] = (int)(xfer_rng_next(&rng) % 270) - 5;
			v.succ[i] = (int)(xfer_rng_next(&rng) % 270) - 5;
		}
		for (i = 0; i < 4; i++)
			place_file_init(&inv[i], (int)(xfer_rng_next(&rng) % 10000), 1, 1, 1,
			    PLACE_SRC_RING);
		(void)place_role(&v, (int)(xfer_rng_next(&rng) % 256), &h);
		ck_assert_uint_le(h.n, PLACE_SLOTS);
		place_plan(&v, inv, 4, &ev, 0, &pl);
		ck_assert_uint_le(pl.noffer, PLACE_MAX_PENDING);
		(void)place_answer(&v, v.pred[0], &o, NULL);
	}
}
END_TEST

CASE("placement", test_place_neighbours_are_the_known_arc)
{
	struct place_view	v = view_in(classic_ring, sizeof classic_ring, 4, 3, 3, 3);
	int			id, count = 0;

	for (id = -3; id < 300; id++)
		count += place_is_neighbour(&v, id);
	ck_assert_int_eq(count, 6);
	ck_assert(place_is_neighbour(&v, 3) && place_is_neighbour(&v, 15));
	ck_assert(!place_is_neighbour(&v, 8) && !place_is_neighbour(&v, 1));
}
END_TEST

/* ---- the simulated ring ---- */

struct speer {
	bool			alive;
	struct place_file	inv[SIM_FILES];
	size_t			n;
};

static struct sim {
	struct speer	p[KEYS_RING_SIZE];
	unsigned	replicas;
	bool		may_delete;
	uint64_t	now;
	uint64_t	bytes;		/* file bytes moved */
	unsigned	fail_next;	/* transfers that will be cut before completing */
	unsigned	offers;
} S;

static void
sim_reset(unsigned replicas, const uint8_t *ids, size_t m)
{
	size_t i;

	memset(&S, 0, sizeof S);
	S.replicas = replicas;
	S.may_delete = true;
	S.now = 1000;
	for (i = 0; i < m; i++)
		S.p[ids[i]].alive = true;
}

/* The live members, ascending. */
static size_t
sim_members(uint8_t *ids)
{
	size_t	m = 0;
	int	id;

	for (id = 0; id < KEYS_RING_SIZE; id++)
		if (S.p[id].alive)
			ids[m++] = (uint8_t)id;
	return m;
}

/* The true view of a live peer. */
static struct place_view
sim_view(int self)
{
	uint8_t			ids[KEYS_RING_SIZE];
	size_t			m = sim_members(ids), idx = 0;
	struct place_view	v;

	while (ids[idx] != self)
		idx++;
	v = view_in(ids, m, idx, S.replicas, 3, 3);
	v.may_delete = S.may_delete;
	return v;
}

static struct place_file *
sim_find(int peer, int file)
{
	size_t i;

	for (i = 0; i < S.p[peer].n; i++)
		if (S.p[peer].inv[i].file == file)
			return &S.p[peer].inv[i];
	return NULL;
}

static void
sim_remove(int peer, int file)
{
	struct speer		*sp = &S.p[peer];
	struct place_file	*f = sim_find(peer, file);

	ck_assert_ptr_nonnull(f);
	*f = sp->inv[--sp->n];
}

/* Put a copy at peer (a received one replaces an older version). */
static void
sim_put(int peer, int file, uint64_t gen, uint32_t size, uint64_t sum, enum place_source src)
{
	struct place_file *f = sim_find(peer, file);

	if (f == NULL) {
		ck_assert_uint_lt(S.p[peer].n, SIM_FILES);
		f = &S.p[peer].inv[S.p[peer].n++];
	}
	place_file_init(f, file, gen, size, sum, src);
}

/* Carry one offer: the receiver answers; a wanted copy moves (or is cut, if told to). */
static void
sim_deliver(int from, const struct place_offer *o)
{
	struct place_file	*mine = sim_find(from, o->file), *theirs;
	struct place_view	 rv;
	struct place_hold	 h;
	struct place_copy	 local;
	enum place_status	 st;

	ck_assert_ptr_nonnull(mine);
	S.offers++;
	if (!S.p[o->to].alive) {
		place_on_result(S.p[from].inv, S.p[from].n, o->file, o->to, PLACE_ST_FAILED, S.now);
		return;
	}
	h = (struct place_hold){ o->file, o->intent, mine->gen, mine->size, mine->sum };
	memset(&local, 0, sizeof local);
	if ((theirs = sim_find(o->to, o->file)) != NULL)
		local = (struct place_copy){ true, true, theirs->gen, theirs->size, theirs->sum,
		    theirs->source };
	rv = sim_view(o->to);
	st = place_answer(&rv, from, &h, &local);
	if (st == PLACE_ST_WANT) {
		place_on_result(S.p[from].inv, S.p[from].n, o->file, o->to, st, S.now);
		if (S.fail_next > 0) {
			S.fail_next--;
			st = PLACE_ST_FAILED;
		} else {
			sim_put(o->to, o->file, h.gen, h.size, h.sum, PLACE_SRC_RING);
			S.bytes += h.size;
			st = PLACE_ST_HAVE;
		}
	}
	place_on_result(S.p[from].inv, S.p[from].n, o->file, o->to, st, S.now);
}

/* One plan at peer id, its offers carried and its drops done; did anything happen? */
static bool
sim_step(int id, const struct place_event *ev, struct place_plan *pl)
{
	struct place_view	v = sim_view(id);
	size_t			i;

	place_plan(&v, S.p[id].inv, S.p[id].n, ev, S.now, pl);
	for (i = 0; i < pl->ndrop; i++) {
		ck_assert_int_eq(sim_find(id, pl->drop[i])->source, PLACE_SRC_RING);
		sim_remove(id, pl->drop[i]);
	}
	for (i = 0; i < pl->nforget; i++)
		sim_remove(id, pl->forget[i]);
	for (i = 0; i < pl->noffer; i++)
		sim_deliver(id, &pl->offer[i]);
	return pl->noffer + pl->ndrop + pl->nforget > 0;
}

/* The earliest retry any live peer has due. */
static uint64_t
sim_deadline(void)
{
	uint64_t	t = UINT64_MAX, d;
	int		id;

	for (id = 0; id < KEYS_RING_SIZE; id++)
		if (S.p[id].alive && (d = place_next_deadline(S.p[id].inv, S.p[id].n)) < t)
			t = d;
	return t;
}

/* Plan everywhere until nothing moves and no retry is due. */
static void
sim_settle(void)
{
	struct place_plan	pl;
	int			pass, id;

	for (pass = 0; pass < SIM_PASSES; pass++) {
		bool	busy = false;

		for (id = 0; id < KEYS_RING_SIZE; id++)
			if (S.p[id].alive)
				busy = sim_step(id, NULL, &pl) || busy;
		if (!busy) {
			uint64_t t = sim_deadline();

			if (t == UINT64_MAX)
				return;
			S.now = t;
		}
	}
	ck_abort_msg("the ring did not settle in %d passes", SIM_PASSES);
}

/* A store of file accepted by its owner (gen from the wall clock, as the peer would). */
static void
sim_store(int file)
{
	uint8_t			ids[KEYS_RING_SIZE];
	size_t			m = sim_members(ids);
	int			owner;
	struct place_file	*old;
	struct place_plan	pl;
	struct place_event	ev = { PLACE_EV_STORED, file };

	ck_assert_uint_eq(ref_holders(ids, m, keys_of_file(file), 1, &owner), 1);
	old = sim_find(owner, file);
	sim_put(owner, file, place_next_gen(old != NULL ? old->gen : 0, S.now),
	    FILE_BASE + (uint32_t)file, 0x5eed0000u + (uint64_t)file, PLACE_SRC_RING);
	sim_step(owner, &ev, &pl);
	sim_settle();
}

/* The holders of every file hold its newest version; with deletions on, nobody else does. */
static void
sim_check(const int *files, size_t nfiles)
{
	uint8_t		ids[KEYS_RING_SIZE];
	size_t		m = sim_members(ids), i;
	int		h[PLACE_SLOTS], id;
	unsigned	k, j;

	for (i = 0; i < nfiles; i++) {
		k = ref_holders(ids, m, keys_of_file(files[i]), S.replicas, h);
		for (j = 0; j < k; j++) {
			struct place_file *f = sim_find(h[j], files[i]);

			ck_assert_msg(f != NULL, "file %04d missing at holder %d", files[i], h[j]);
			ck_assert_uint_eq(f->size, FILE_BASE + (uint32_t)files[i]);
			ck_assert_int_eq(f->role, j == 0 ? PLACE_OWNER : PLACE_REPLICA);
		}
		for (id = 0; id < KEYS_RING_SIZE && S.may_delete; id++) {
			bool holder = false;

			for (j = 0; j < k; j++)
				holder = holder || h[j] == id;
			ck_assert_msg(!S.p[id].alive || holder || sim_find(id, files[i]) == NULL,
			    "file %04d left at non-holder %d", files[i], id);
		}
	}
}

/* Every live peer plans once more: nothing may be offered or deleted. */
static void
sim_check_quiet(void)
{
	struct place_plan	pl;
	int			id;

	for (id = 0; id < KEYS_RING_SIZE; id++)
		if (S.p[id].alive) {
			ck_assert_msg(!sim_step(id, NULL, &pl), "peer %d still busy", id);
			ck_assert_uint_eq(pl.unsettled, 0);
		}
	ck_assert_uint_eq(sim_deadline(), UINT64_MAX);
}

/* Files 0007 (key 7, owner 8), 0260 (key 4, owner 4), 0015 (key 15, owner 15), 0513 (key 1). */
static const int four_files[] = { 7, 260, 15, 513 };

static void
sim_store_four(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
		sim_store(four_files[i]);
}

/* The classic ring with the four files stored; the bytes moved so far. */
static uint64_t
sim_four_stored(void)
{
	sim_reset(3, classic_ring, sizeof classic_ring);
	sim_store_four();
	return S.bytes;
}

/* Settle the ring, then check that each of the four files has its holders. */
static void
sim_settle_four(void)
{
	sim_settle();
	sim_check(four_files, 4);
}

/* The four files stored, then peer id joins (alive) or dies: the bytes moved to settle. */
static uint64_t
sim_four_moved_when(int id, bool alive)
{
	uint64_t	before = sim_four_stored();

	S.p[id].alive = alive;
	sim_settle_four();
	return S.bytes - before;
}

CASE("handoff", test_place_store_reaches_n_holders)
{
	sim_reset(3, classic_ring, sizeof classic_ring);
	sim_store(7);
	ck_assert_uint_eq(S.bytes, 2 * (FILE_BASE + 7));	/* to 10 and 12, once each */
	ck_assert(sim_find(8, 7) && sim_find(10, 7) && sim_find(12, 7) && !sim_find(15, 7));
	sim_store_four();
	sim_check(four_files, 4);
	sim_check_quiet();
}
END_TEST

CASE("handoff", test_place_replicas_2_store_one_more_copy)
{
	sim_reset(2, classic_ring, sizeof classic_ring);
	sim_store_four();
	sim_check(four_files, 4);
	ck_assert(sim_find(8, 7) && sim_find(10, 7) && !sim_find(12, 7));
}
END_TEST

/* A new store of the same name replaces the older version everywhere. */
CASE("handoff", test_place_restore_replaces_older_version)
{
	sim_reset(3, classic_ring, sizeof classic_ring);
	sim_store(7);
	S.now += 5000;
	sim_store(7);
	ck_assert_uint_eq(sim_find(12, 7)->gen, sim_find(8, 7)->gen);
	ck_assert_uint_eq(S.bytes, 4 * (FILE_BASE + 7));
	sim_check_quiet();
}
END_TEST

/* Peer 7 joins in front of 8: it owns key 7 now. */
CASE("handoff", test_place_join_new_owner_gets_only_what_changes_hands)
{
	/* 0007: 8 10 12 -> 7 8 10 and 0260: 4 5 8 -> 4 5 7. One copy each to 7; 12 and 8
	 * drop theirs. 0015 and 0513 do not move. */
	ck_assert_uint_eq(sim_four_moved_when(7, true), FILE_BASE + 7 + FILE_BASE + 260);
	ck_assert_ptr_null(sim_find(12, 7));
	ck_assert_ptr_null(sim_find(8, 260));
	sim_check_quiet();
}
END_TEST

/* Peer 9 between 8 and 10 takes no key of these files but becomes a replica of 0007. */
CASE("handoff", test_place_join_as_replica_shifts_holders)
{
	ck_assert_uint_eq(sim_four_moved_when(9, true), FILE_BASE + 7);	/* 0007: 8 10 12 -> 8 9 10 */
	ck_assert_ptr_null(sim_find(12, 7));
}
END_TEST

/* Quit: the leaver's plan makes the ring without it whole before it goes. */
static void
sim_leave(int id)
{
	struct place_plan	pl;
	struct place_event	ev = { PLACE_EV_LEAVING, 0 };
	int			pass;

	for (pass = 0; pass < SIM_PASSES; pass++) {
		sim_step(id, &ev, &pl);
		if (pl.unsettled == 0)
			break;
		if (pl.noffer == 0)
			S.now = place_next_deadline(S.p[id].inv, S.p[id].n);
	}
	ck_assert_uint_eq(pl.unsettled, 0);
	ck_assert_uint_eq(pl.ndrop, 0);		/* a leaver keeps its copies */
	S.p[id].alive = false;
}

CASE("handoff", test_place_leave_of_owner_hands_off_before_exit)
{
	uint8_t		ids[KEYS_RING_SIZE];
	uint64_t	before;

	before = sim_four_stored();
	sim_leave(8);
	/* Before anyone else moved, 0007 (8 10 12 -> 10 12 15) and 0260 (4 5 8 -> 4 5 10)
	 * already have 3 holders in the ring without 8: one copy each. */
	ck_assert(sim_find(10, 7) && sim_find(12, 7) && sim_find(15, 7));
	ck_assert_ptr_nonnull(sim_find(10, 260));
	ck_assert_uint_eq(S.bytes - before, FILE_BASE + 7 + FILE_BASE + 260);
	sim_settle_four();
	ck_assert_uint_eq(S.bytes - before, FILE_BASE + 7 + FILE_BASE + 260);	/* nothing more */
	ck_assert_uint_eq(sim_members(ids), 7);
	sim_check_quiet();
}
END_TEST

CASE("handoff", test_place_death_of_owner_restores_n_copies)
{
	/* 0007: 10 12 + 15; 0260 (4 5 8): 4 5 + 10. One copy each. */
	ck_assert_uint_eq(sim_four_moved_when(8, false), FILE_BASE + 7 + FILE_BASE + 260);
	sim_check_quiet();
}
END_TEST

CASE("handoff", test_place_death_of_successor_then_owner)
{
	(void)sim_four_stored();
	S.p[10].alive = false;		/* the owner of 0007's successor */
	sim_settle_four();
	S.p[8].alive = false;		/* then the owner */
	sim_settle_four();
	ck_assert(sim_find(12, 7) && sim_find(15, 7) && sim_find(1, 7));
	sim_check_quiet();
}
END_TEST

/* Two adjacent peers dying at once (fewer than N) lose nothing. */
CASE("handoff", test_place_two_adjacent_deaths_with_three_copies)
{
	(void)sim_four_stored();
	S.p[8].alive = false;
	S.p[10].alive = false;
	sim_settle_four();
}
END_TEST

CASE("handoff", test_place_replicas_1_nothing_moves)
{
	struct place_plan	pl;

	sim_reset(1, classic_ring, sizeof classic_ring);
	sim_store_four();
	ck_assert_uint_eq(S.bytes, 0);
	ck_assert_uint_eq(S.offers, 0);
	S.p[7].alive = true;		/* a join: the seeds move nothing, 8 keeps 0007 */
	sim_settle();
	S.p[4].alive = false;		/* a death: 0260 is gone with 4, as in the seeds */
	sim_settle();
	ck_assert_uint_eq(S.bytes, 0);
	ck_assert_uint_eq(S.offers, 0);
	ck_assert_ptr_nonnull(sim_find(8, 7));
	ck_assert_int_eq(sim_find(8, 7)->role, PLACE_NONE);	/* 7 owns key 7 now */
	S.p[4].alive = true;
	sim_leave(8);
	sim_step(3, NULL, &pl);
	ck_assert_uint_eq(S.offers, 0);
}
END_TEST

/* Nothing changes, nothing moves: a second plan right after the first offers nothing. */
CASE("handoff", test_place_plan_twice_offers_once)
{
	struct place_view	v;
	struct place_file	f;
	struct place_plan	pl;
	struct place_event	ev = { PLACE_EV_STORED, 7 };

	sim_reset(3, classic_ring, sizeof classic_ring);
	v = sim_view(8);
	place_file_init(&f, 7, 1, 10, 99, PLACE_SRC_RING);
	place_plan(&v, &f, 1, &ev, S.now, &pl);
	ck_assert_uint_eq(pl.noffer, 2);
	ck_assert_int_eq(pl.offer[0].to, 10);
	ck_assert_int_eq(pl.offer[0].intent, PLACE_HOLD_REPLICA);
	ck_assert_int_eq(pl.offer[1].to, 12);
	place_plan(&v, &f, 1, NULL, S.now + 100000, &pl);
	ck_assert_uint_eq(pl.noffer, 0);
	ck_assert_uint_eq(pl.unsettled, 1);
	place_on_result(&f, 1, 7, 10, PLACE_ST_HAVE, S.now);
	place_on_result(&f, 1, 7, 12, PLACE_ST_HAVE, S.now);
	place_plan(&v, &f, 1, NULL, S.now + 100000, &pl);
	ck_assert_uint_eq(pl.noffer + pl.ndrop + pl.unsettled + pl.role_changes, 0);
}
END_TEST

/* A holder that offers us an older version is sent ours again, though it once confirmed. */
CASE("handoff", test_place_reask_after_older_offer)
{
	struct place_view	v;
	struct place_file	f;
	struct place_plan	pl;
	struct place_hold	old = { 7, PLACE_HOLD_REPLICA, 1, 10, 98 };
	struct place_copy	mine = { true, true, 2, 10, 99, PLACE_SRC_RING };

	sim_reset(2, classic_ring, sizeof classic_ring);
	v = sim_view(8);
	place_file_init(&f, 7, 2, 10, 99, PLACE_SRC_RING);
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	place_on_result(&f, 1, 7, 10, PLACE_ST_HAVE, S.now);
	ck_assert_int_eq(place_answer(&v, 10, &old, &mine), PLACE_ST_NEWER);
	place_reask(&f, 1, 7, 10);
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.noffer, 1);
	ck_assert_int_eq(pl.offer[0].to, 10);
}
END_TEST

/* A restart (inventories back from their manifests, nobody confirmed) moves no bytes. */
CASE("handoff", test_place_restart_offers_back_moves_nothing)
{
	char		text[4096];
	int		id;
	uint64_t	before;

	before = sim_four_stored();
	for (id = 0; id < KEYS_RING_SIZE; id++) {
		struct speer	*sp = &S.p[id];
		size_t		 n, bad_line;
		const char	*why;

		ck_assert_uint_lt(place_manifest_format(sp->inv, sp->n, text, sizeof text),
		    sizeof text);
		ck_assert_uint_eq(place_manifest_parse(text, strlen(text), sp->inv, SIM_FILES, &n,
		    &bad_line, &why), 0);
		ck_assert_uint_eq(n, sp->n);
	}
	S.offers = 0;
	sim_settle();
	ck_assert_uint_eq(S.bytes, before);
	ck_assert_uint_gt(S.offers, 0);		/* offered back, answered "have" */
	sim_check(four_files, 4);
	sim_check_quiet();
}
END_TEST

/* A transfer cut (its sender died, or the stream broke) is made again later. */
CASE("handoff", test_place_cut_transfer_is_retried)
{
	uint64_t t0;

	sim_reset(3, classic_ring, sizeof classic_ring);
	t0 = S.now;
	S.fail_next = 1;
	sim_store(7);
	sim_check(&four_files[0], 1);
	ck_assert_uint_ge(S.now, t0 + PLACE_RETRY_MIN_MS);
	ck_assert_uint_eq(S.bytes, 2 * (FILE_BASE + 7));
}
END_TEST

/* Offers in flight are bounded, overall and per peer; the rest go as answers come. */
CASE("handoff", test_place_pending_offers_bounded)
{
	struct place_view	v;
	struct place_file	inv[40];
	struct place_plan	pl;
	unsigned		per[KEYS_RING_SIZE] = { 0 };
	size_t			i;

	sim_reset(3, classic_ring, sizeof classic_ring);
	v = sim_view(8);
	for (i = 0; i < 40; i++)	/* keys 6, 7, 8 and 262, 263, ...: owned by 8 */
		place_file_init(&inv[i], (int)(6 + (i % 3) + 256 * (i / 3)), 1, 5, 5,
		    PLACE_SRC_RING);
	place_plan(&v, inv, 40, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.noffer, 2 * PLACE_MAX_PER_PEER);
	for (i = 0; i < pl.noffer; i++)
		per[pl.offer[i].to]++;
	ck_assert_uint_eq(per[10], PLACE_MAX_PER_PEER);
	ck_assert_uint_eq(per[12], PLACE_MAX_PER_PEER);
	place_on_result(inv, 40, pl.offer[0].file, pl.offer[0].to, PLACE_ST_HAVE, S.now);
	place_plan(&v, inv, 40, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.noffer, 1);
	ck_assert_uint_le(pl.noffer, PLACE_MAX_PENDING);
}
END_TEST

/*
 * A refused offer is made again later, then left alone. "Busy", "no room" and the like wait a
 * doubling delay; a refusal of the target's view (not a holder, not a neighbour: it lags ours)
 * is asked again at a flat pace for about 30 s, since views agree within the ring's detection
 * budget (a soak saw a copy stay short for 20 s behind a 16 s back-off).
 */
static const struct retry_row {
	enum place_status	answer, other;	/* alternated, try by try */
	bool			doubling;
	uint64_t		first;		/* ms */
	unsigned		max_tries;
} retry_rows[] = {
	{ PLACE_ST_BUSY, PLACE_ST_NO_ROOM, true, PLACE_RETRY_MIN_MS, PLACE_MAX_TRIES },
	{ PLACE_ST_NOT_HOLDER, PLACE_ST_NOT_NEIGHBOUR, false, PLACE_RETRY_VIEW_MS,
	    PLACE_MAX_TRIES_VIEW },
};

CASE_LOOP("handoff", test_place_retry_then_settle,
    (int)(sizeof retry_rows / sizeof retry_rows[0]))
{
	const struct retry_row	*r = &retry_rows[_i];
	struct place_view	v;
	struct place_file	f;
	struct place_plan	pl;
	uint64_t		now = 5000, gap = r->first;
	unsigned		tries;

	sim_reset(2, classic_ring, sizeof classic_ring);
	v = sim_view(8);
	place_file_init(&f, 7, 1, 10, 99, PLACE_SRC_RING);
	for (tries = 1; tries < r->max_tries; tries++) {
		place_plan(&v, &f, 1, NULL, now, &pl);
		ck_assert_uint_eq(pl.noffer, 1);
		place_on_result(&f, 1, 7, 10, tries % 2 ? r->answer : r->other, now);
		ck_assert_uint_eq(place_next_deadline(&f, 1), now + gap);
		place_plan(&v, &f, 1, NULL, now + gap - 1, &pl);
		ck_assert_uint_eq(pl.noffer, 0);
		now += gap;
		if (r->doubling)
			gap = gap * 2 > PLACE_RETRY_MAX_MS ? PLACE_RETRY_MAX_MS : gap * 2;
	}
	place_plan(&v, &f, 1, NULL, now, &pl);
	ck_assert_uint_eq(pl.noffer, 1);
	place_on_result(&f, 1, 7, 10, r->other, now);
	ck_assert_uint_eq(place_next_deadline(&f, 1), UINT64_MAX);
	place_plan(&v, &f, 1, NULL, now + 1000000, &pl);
	ck_assert_uint_eq(pl.noffer + pl.unsettled, 0);
}
END_TEST

/* In a shared directory nothing is ever deleted: the extra copy stays, with role none. */
CASE("handoff", test_place_shared_directory_never_deletes)
{
	sim_reset(3, classic_ring, sizeof classic_ring);
	S.may_delete = false;
	sim_store_four();
	S.p[7].alive = true;
	sim_settle();
	ck_assert_ptr_nonnull(sim_find(12, 7));
	ck_assert_int_eq(sim_find(12, 7)->role, PLACE_NONE);
	sim_check(four_files, 4);
	sim_check_quiet();
}
END_TEST

/* A copy nobody needs here goes only once all N holders have confirmed theirs. */
CASE("handoff", test_place_spare_copy_dropped_only_when_n_confirm)
{
	struct place_view	v;
	struct place_file	f;
	struct place_plan	pl;
	size_t			i;

	sim_reset(3, classic_ring, sizeof classic_ring);
	v = sim_view(1);	/* preds 15 12 10, succs 3 4 5; 0004 is held by 4 5 8 */
	v.succ[2] = PLACE_NO_PEER;
	place_file_init(&f, 4, 1, 10, 99, PLACE_SRC_RING);
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_int_eq(f.role, PLACE_NONE);
	ck_assert_uint_eq(pl.noffer, 1);
	ck_assert_int_eq(pl.offer[0].to, 4);
	ck_assert_int_eq(pl.offer[0].intent, PLACE_HOLD_CHECK);
	place_on_result(&f, 1, 4, 4, PLACE_ST_HAVE, S.now);
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.ndrop, 0);		/* 5 and 8 are beyond what we know */
	v.succ[2] = 5;
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.noffer, 1);	/* 5 is asked; 8 is still out of sight */
	v = sim_view(1);
	v.succ[0] = 4;
	v.succ[1] = 5;
	v.succ[2] = 8;		/* 3 has gone: now all three holders are in view */
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	for (i = 0; i < pl.noffer; i++)
		place_on_result(&f, 1, 4, pl.offer[i].to, PLACE_ST_HAVE, S.now);
	place_on_result(&f, 1, 4, 5, PLACE_ST_HAVE, S.now);
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.ndrop, 1);
	ck_assert_uint_eq(pl.drop[0], 4);
	v.may_delete = false;	/* a shared directory keeps it */
	place_plan(&v, &f, 1, NULL, S.now, &pl);
	ck_assert_uint_eq(pl.ndrop + pl.nforget, 0);
}
END_TEST

/* A user's file that is no longer needed for the ring is forgotten, never deleted. */
CASE("handoff", test_place_user_file_forgotten_not_deleted)
{
	struct place_plan	pl;

	sim_reset(3, classic_ring, sizeof classic_ring);
	sim_put(12, 7, 1, FILE_BASE + 7, 42, PLACE_SRC_USER);	/* typed `store 0007` at... */
	sim_put(8, 7, 1, FILE_BASE + 7, 42, PLACE_SRC_RING);
	sim_put(10, 7, 1, FILE_BASE + 7, 42, PLACE_SRC_RING);
	S.p[7].alive = true;
	sim_settle();
	ck_assert_ptr_null(sim_find(12, 7));
	sim_step(12, NULL, &pl);
	ck_assert_uint_eq(pl.ndrop, 0);
}
END_TEST

/* Random kills, quits and joins (never N adjacent at once): no file is ever lost. */
CASE("handoff", test_place_churn_loses_nothing)
{
	static const uint8_t	start[] = { 3, 20, 41, 77, 90, 130, 160, 201, 230, 250 };
	struct xfer_rng		rng;
	int			files[CHURN_FILES], e, i;

	xfer_rng_seed(&rng, 0x636875726eULL);
	sim_reset(3, start, sizeof start);
	for (i = 0; i < CHURN_FILES; i++) {
		int j;

		do {
			files[i] = (int)(xfer_rng_next(&rng) % (KEYS_FILE_MAX + 1));
			for (j = 0; j < i && files[j] != files[i]; j++)
				;
		} while (j < i);
		sim_store(files[i]);
	}
	for (e = 0; e < CHURN_EVENTS; e++) {
		uint8_t	ids[KEYS_RING_SIZE];
		size_t	m = sim_members(ids), k = xfer_rng_next(&rng) % m;
		int	kind = (int)(xfer_rng_next(&rng) % 4), id;

		if (kind == 0 && m > 4) {
			S.p[ids[k]].alive = false;
		} else if (kind == 1 && m > 5) {		/* two adjacent at once */
			S.p[ids[k]].alive = false;
			S.p[ids[(k + 1) % m]].alive = false;
		} else if (kind == 2 && m > 4) {
			sim_leave(ids[k]);
		} else {
			do
				id = (int)(xfer_rng_next(&rng) % KEYS_RING_SIZE);
			while (S.p[id].alive);
			S.p[id].n = 0;	/* a fresh peer */
			S.p[id].alive = true;
		}
		sim_settle();
		sim_check(files, CHURN_FILES);
	}
	sim_check_quiet();
}
END_TEST

/* ---- answers to offers ---- */

CASE("answers", test_place_answer_cases)
{
	struct place_view	v;
	struct place_hold	o = { 7, PLACE_HOLD_REPLICA, 5, 100, 0xabc };
	struct place_copy	none = { false, false, 0, 0, 0, PLACE_SRC_RING };
	struct place_copy	same = { true, true, 5, 100, 0xabc, PLACE_SRC_RING };
	struct place_copy	older = { true, true, 4, 90, 0x1, PLACE_SRC_RING };
	struct place_copy	newer = { true, true, 6, 90, 0x1, PLACE_SRC_RING };
	struct place_copy	user = { true, true, 1, 90, 0x1, PLACE_SRC_USER };
	struct place_copy	user_same = { true, true, 1, 100, 0xabc, PLACE_SRC_USER };
	struct place_copy	user_same_size = { true, true, 9, 100, 0xabd, PLACE_SRC_USER };
	struct place_copy	user_unhashed = { true, false, 0, 100, 0, PLACE_SRC_USER };
	struct place_copy	user_other_size = { true, false, 0, 101, 0, PLACE_SRC_USER };

	sim_reset(3, classic_ring, sizeof classic_ring);
	v = sim_view(10);	/* preds 8 5 4, succs 12 15 1; key 7: holders 8 10 12 */
	ck_assert_int_eq(place_answer(&v, 8, &o, &none), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 8, &o, NULL), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 8, &o, &same), PLACE_ST_HAVE);
	ck_assert_int_eq(place_answer(&v, 8, &o, &older), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 8, &o, &newer), PLACE_ST_NEWER);
	ck_assert_int_eq(place_answer(&v, 8, &o, &user), PLACE_ST_USER_FILE);
	ck_assert_int_eq(place_answer(&v, 8, &o, &user_same), PLACE_ST_HAVE);	/* any gen */
	ck_assert_int_eq(place_answer(&v, 8, &o, &user_same_size), PLACE_ST_USER_FILE);
	ck_assert_int_eq(place_answer(&v, 8, &o, &user_unhashed), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 8, &o, &user_other_size), PLACE_ST_USER_FILE);
	/* Not a neighbour (10 knows 4..1 only), or ourselves. */
	ck_assert_int_eq(place_answer(&v, 3, &o, &none), PLACE_ST_NOT_NEIGHBOUR);
	ck_assert_int_eq(place_answer(&v, 10, &o, &none), PLACE_ST_NOT_NEIGHBOUR);
	ck_assert_int_eq(place_answer(&v, 300, &o, &none), PLACE_ST_NOT_NEIGHBOUR);
	/* Key 13 (held by 15 1 3): not ours to hold, even if asked. */
	o.file = 13;
	ck_assert_int_eq(place_answer(&v, 12, &o, &none), PLACE_ST_NOT_HOLDER);
	o.intent = PLACE_HOLD_CHECK;
	ck_assert_int_eq(place_answer(&v, 12, &o, &none), PLACE_ST_NOT_HOLDER);
	ck_assert_int_eq(place_answer(&v, 12, &o, &same), PLACE_ST_HAVE);
	/* One copy per file: with N = 1 nobody takes offers. */
	v.replicas = 1;
	o.file = 7;
	o.intent = PLACE_HOLD_REPLICA;
	ck_assert_int_eq(place_answer(&v, 8, &o, &none), PLACE_ST_NOT_HOLDER);
}
END_TEST

/* A leaver's offer to the peer that takes its place is taken before the view lets it go. */
CASE("answers", test_place_answer_takes_leavers_place)
{
	struct place_view	v;
	struct place_hold	o = { 7, PLACE_HOLD_REPLICA, 5, 100, 0xabc };

	sim_reset(3, classic_ring, sizeof classic_ring);
	v = sim_view(15);	/* preds 12 10 8: key 7 is held by 8 10 12, not by us */
	ck_assert_int_eq(place_answer(&v, 8, &o, NULL), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 12, &o, NULL), PLACE_ST_WANT);
	ck_assert_int_eq(place_answer(&v, 1, &o, NULL), PLACE_ST_NOT_HOLDER);	/* after us */
	o.file = 2;	/* held by 3 4 5, then 8: far from us */
	ck_assert_int_eq(place_answer(&v, 1, &o, NULL), PLACE_ST_NOT_HOLDER);
	o.file = 7;
	o.intent = PLACE_HOLD_CHECK;
	ck_assert_int_eq(place_answer(&v, 8, &o, NULL), PLACE_ST_NOT_HOLDER);
}
END_TEST

CASE("answers", test_place_versions_order)
{
	ck_assert_int_lt(place_version_cmp(1, 9, 9, 2, 0, 0), 0);
	ck_assert_int_gt(place_version_cmp(3, 0, 0, 2, 9, 9), 0);
	ck_assert_int_eq(place_version_cmp(2, 5, 7, 2, 5, 7), 0);
	ck_assert_int_eq(place_version_cmp(2, 5, 7, 2, 5, 8),
	    -place_version_cmp(2, 5, 8, 2, 5, 7));
	ck_assert_uint_eq(place_next_gen(0, 1700000000000ULL), 1700000000000ULL);
	ck_assert_uint_eq(place_next_gen(1700000000005ULL, 1700000000000ULL), 1700000000006ULL);
	ck_assert_uint_eq(place_next_gen(UINT64_MAX, 0), UINT64_MAX);
}
END_TEST

/* ---- manifest ---- */

CASE("manifest", test_place_manifest_round_trip)
{
	struct place_file	in[3], out[3];
	char			text[512];
	size_t			n, bad_line, len, i;
	const char		*why;

	place_file_init(&in[0], 7, 1733096400123ULL, 1048576, 0x0123456789abcdefULL,
	    PLACE_SRC_RING);
	in[0].role = PLACE_OWNER;
	place_file_init(&in[1], 9999, UINT64_MAX, UINT32_MAX - 1, UINT64_MAX, PLACE_SRC_USER);
	in[1].role = PLACE_REPLICA;
	place_file_init(&in[2], 0, 1, 0, 0, PLACE_SRC_RING);
	in[2].role = PLACE_NONE;
	len = place_manifest_format(in, 3, text, sizeof text);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_str_eq(text, "cdht manifest 1\n"
	    "0007 owner 1733096400123 1048576 0123456789abcdef ring\n"
	    "9999 replica 18446744073709551615 4294967294 ffffffffffffffff user\n"
	    "0000 none 1 0 0000000000000000 ring\n");
	ck_assert_uint_eq(place_manifest_parse(text, len, out, 3, &n, &bad_line, &why), 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(out[i].file, in[i].file);
		ck_assert_uint_eq(out[i].gen, in[i].gen);
		ck_assert_uint_eq(out[i].size, in[i].size);
		ck_assert_uint_eq(out[i].sum, in[i].sum);
		ck_assert_int_eq(out[i].role, in[i].role);
		ck_assert_int_eq(out[i].source, in[i].source);
		ck_assert_uint_eq(out[i].nslot, 0);
	}
	/* Too small a buffer: the length needed, and no half manifest. */
	ck_assert_uint_eq(place_manifest_format(in, 3, text, 40), len);
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(place_manifest_format(NULL, 0, text, sizeof text), 16);
}
END_TEST

CASE("manifest", test_place_manifest_rejects_every_bad_line)
{
	static const struct {
		const char	*line;
		const char	*why;
	} bad[] = {
		{ "", "not six fields separated by single spaces" },
		{ "0007 owner 1 10 0123456789abcdef", "not six fields separated by single spaces" },
		{ "0007 owner 1 10 0123456789abcdef ring x", "not six fields separated by single spaces" },
		{ "0007  owner 1 10 0123456789abcdef ring", "not six fields separated by single spaces" },
		{ " 0007 owner 1 10 0123456789abcdef ring", "not six fields separated by single spaces" },
		{ "0007 owner 1 10 0123456789abcdef ring ", "not six fields separated by single spaces" },
		{ "0007\towner 1 10 0123456789abcdef ring", "not six fields separated by single spaces" },
		{ "007 owner 1 10 0123456789abcdef ring", "bad file name" },
		{ "00007 owner 1 10 0123456789abcdef ring", "bad file name" },
		{ "a007 owner 1 10 0123456789abcdef ring", "bad file name" },
		{ "0007 Owner 1 10 0123456789abcdef ring", "bad role" },
		{ "0007 master 1 10 0123456789abcdef ring", "bad role" },
		{ "0007 owner 0 10 0123456789abcdef ring", "bad generation" },
		{ "0007 owner 01 10 0123456789abcdef ring", "bad generation" },
		{ "0007 owner -1 10 0123456789abcdef ring", "bad generation" },
		{ "0007 owner 18446744073709551616 10 0123456789abcdef ring", "bad generation" },
		{ "0007 owner 1 4294967295 0123456789abcdef ring", "bad size" },
		{ "0007 owner 1 010 0123456789abcdef ring", "bad size" },
		{ "0007 owner 1 1e3 0123456789abcdef ring", "bad size" },
		{ "0007 owner 1 10 0123456789ABCDEF ring", "bad checksum" },
		{ "0007 owner 1 10 0123456789abcde ring", "bad checksum" },
		{ "0007 owner 1 10 0123456789abcdef0 ring", "bad checksum" },
		{ "0007 owner 1 10 0x23456789abcdef ring", "bad checksum" },
		{ "0007 owner 1 10 0123456789abcdef rings", "bad source" },
		{ "0007 owner 1 10 0123456789abcdef Ring", "bad source" },
		{ "0007 owner 1 10 0123456789abcdef ring\r", "bad source" },
		{ "0007 replica 18446744073709551615 4294967294 0123456789abcdef ring "
		  "and a great deal more", "line too long" },
	};
	struct place_file	f;
	const char		*why;
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		ck_assert_msg(place_manifest_parse_line(bad[i].line, strlen(bad[i].line), &f, &why)
		    == -1, "accepted '%s'", bad[i].line);
		ck_assert_str_eq(why, bad[i].why);
	}
	ck_assert_int_eq(place_manifest_parse_line("0007 owner 1 10 0123456789abcdef ring", 37,
	    &f, &why), 0);
	ck_assert_int_eq(place_manifest_parse_line("0007 owner 1 10 0123\0" "56789abcdef ring",
	    37, &f, &why), -1);
}
END_TEST

CASE("manifest", test_place_manifest_whole_text_rules)
{
	struct place_file	out[2];
	size_t			n, bad_line;
	const char		*why, *t;

	t = "cdht manifest 2\n0007 owner 1 10 0123456789abcdef ring\n";
	ck_assert_uint_eq(place_manifest_parse(t, strlen(t), out, 2, &n, &bad_line, &why), 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(why, "bad header");
	ck_assert_uint_eq(place_manifest_parse("", 0, out, 2, &n, &bad_line, &why), 1);
	/* Bad lines are skipped, good ones kept, the first bad one reported. */
	t = "cdht manifest 1\n0007 owner 1 10 0123456789abcdef ring\nbad\n"
	    "0007 replica 2 10 0123456789abcdef ring\n0008 owner 1 10 0123456789abcdef ring\n"
	    "0009 owner 1 10 0123456789abcdef ring\n0010 owner 1 10 0123456789abcdef ring";
	ck_assert_uint_eq(place_manifest_parse(t, strlen(t), out, 2, &n, &bad_line, &why), 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(bad_line, 3);
	ck_assert_str_eq(why, "not six fields separated by single spaces");
	ck_assert_uint_eq(out[0].file, 7);
	ck_assert_uint_eq(out[1].file, 8);
	t = "cdht manifest 1\n0007 owner 1 10 0123456789abcdef ring\n"
	    "0007 replica 2 10 0123456789abcdef ring\n";
	ck_assert_uint_eq(place_manifest_parse(t, strlen(t), out, 2, &n, &bad_line, &why), 1);
	ck_assert_str_eq(why, "file listed twice");
	ck_assert_uint_eq(bad_line, 3);
	t = "cdht manifest 1\n0007 owner 1 10 0123456789abcdef ring";
	ck_assert_uint_eq(place_manifest_parse(t, strlen(t), out, 2, &n, &bad_line, &why), 1);
	ck_assert_str_eq(why, "no newline at the end");
	ck_assert_uint_eq(n, 0);
	t = "cdht manifest 1\n";
	ck_assert_uint_eq(place_manifest_parse(t, strlen(t), out, 2, &n, &bad_line, &why), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- checksum ---- */

/* The pattern the longer vectors were computed on: byte i is 7i + 3. */
static void
pattern(uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
}

/* Published XXH64 values (seed 0), and libxxhash's on the pattern. */
CASE("checksum", test_place_sum_known_vectors)
{
	static const struct {
		size_t		n;
		uint64_t	sum;
	} pat[] = {
		{ 31, 0xa2aa5f33cc4a6119ULL }, { 32, 0x23c3c17ef790fd97ULL },
		{ 33, 0x50a7cfc7ba588784ULL }, { 100, 0xa61f8d4c170fe531ULL },
		{ 1000, 0x5f235fa033f1a3fbULL },
	};
	uint8_t	buf[1000];
	size_t	i;

	ck_assert_uint_eq(place_sum("", 0), 0xef46db3751d8e999ULL);
	ck_assert_uint_eq(place_sum("a", 1), 0xd24ec4f1a98c6e5bULL);
	ck_assert_uint_eq(place_sum("abc", 3), 0x44bc2cf5ad770999ULL);
	ck_assert_uint_eq(place_sum("123456789", 9), 0x8cb841db40e6ae83ULL);
	pattern(buf, sizeof buf);
	for (i = 0; i < sizeof pat / sizeof pat[0]; i++)
		ck_assert_uint_eq(place_sum(buf, pat[i].n), pat[i].sum);
}
END_TEST

CASE("checksum", test_place_sum_streaming_equals_one_shot)
{
	static uint8_t		buf[5000];
	struct place_sum	s;
	struct xfer_rng		rng;
	size_t			chunk, off;
	uint64_t		want;
	int			round;

	pattern(buf, sizeof buf);
	want = place_sum(buf, sizeof buf);
	for (chunk = 1; chunk <= 70; chunk++) {
		place_sum_init(&s);
		for (off = 0; off < sizeof buf; off += chunk)
			place_sum_update(&s, buf + off,
			    off + chunk > sizeof buf ? sizeof buf - off : chunk);
		ck_assert_uint_eq(place_sum_final(&s), want);
	}
	xfer_rng_seed(&rng, 42);
	for (round = 0; round < 50; round++) {
		place_sum_init(&s);
		for (off = 0; off < sizeof buf; ) {
			size_t take = xfer_rng_next(&rng) % 100;

			if (take > sizeof buf - off)
				take = sizeof buf - off;
			place_sum_update(&s, buf + off, take);
			off += take;
		}
		ck_assert_uint_eq(place_sum_final(&s), want);
	}
	/* final does not consume: asking twice gives the same answer. */
	ck_assert_uint_eq(place_sum_final(&s), want);
	/* One flipped bit anywhere changes the sum. */
	for (off = 0; off < sizeof buf; off += 97) {
		buf[off] ^= 0x80;
		ck_assert_uint_ne(place_sum(buf, sizeof buf), want);
		buf[off] ^= 0x80;
	}
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("place", CASE_OPTS({ "placement", TCASE_TIMEOUT, NULL, NULL },
	    { "handoff", TCASE_TIMEOUT, NULL, NULL }));
}
