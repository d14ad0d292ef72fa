/*
 * Unit tests of the ring state machine. Routing of requests and stores along first successors to the owner (SPEC §5, §6).
 * The network, the fake clock and the helpers are the shared fakes (fakes.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/console.h"
#include "cdht/keys.h"
#include "cdht/ring.h"
#include "cdht/wire.h"
#include "cdht/xfer.h"
#include "fakes.h"


/* ================================ routing ================================ */

/* A route from 8 for file 2012: 8 prints `first`, 10, 12 and 15 print `on`, owner 1 nothing. */
static void
expect_route_lines(enum console_kind first, enum console_kind on)
{
	static const int	hops[] = { 10, 12, 15 };
	struct want		w = EVF(first, 2012);
	size_t			i;

	expect_events(8, &w, 1);
	w.kind = on;
	for (i = 0; i < sizeof hops / sizeof hops[0]; i++)
		expect_events(hops[i], &w, 1);
	EXPECT_NO_EVENTS(1);
}

CASE("routing", test_ring_request_routed_to_owner)
{
	const struct rec	*s;
	static const int	quiet[] = { 3, 4, 5 };
	size_t			i;

	classic_route(WIRE_FILE_REQ, 8, 2012, 77, WIRE_MODE_TCP);
	expect_route_lines(CON_REQ_SENT, CON_REQ_FORWARDED);
	for (i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
		EXPECT_NO_EVENTS(quiet[i]);
		ck_assert_uint_eq(count_acts(quiet[i], RING_ACT_TCP, -1, -1), 0);
	}
	ck_assert_uint_eq(total(RING_ACT_SERVE), 1);
	s = find_act(1, RING_ACT_SERVE, -1, -1, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->msg.type, WIRE_FILE_REQ);
	ck_assert_uint_eq(s->msg.u.route.origin.id, 8);
	ck_assert_uint_eq(s->msg.u.route.origin.port, BASE_PORT + 8);
	ck_assert_uint_eq(s->msg.u.route.file, 2012);
	ck_assert_uint_eq(s->msg.u.route.id, 77);
	ck_assert_uint_eq(s->to.id, 8);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST

CASE("routing", test_ring_request_carries_mode)
{
	classic_route(WIRE_FILE_REQ, 8, 2012, 5, WIRE_MODE_UDP);
	ck_assert_uint_eq(find_act(1, RING_ACT_SERVE, -1, -1, 0)->msg.u.route.mode, WIRE_MODE_UDP);
}
END_TEST

CASE("routing", test_ring_route_owner_flag_set_on_last_hop_only)
{
	classic_route(WIRE_FILE_REQ, 8, 2012, 77, WIRE_MODE_TCP);
	ck_assert_uint_eq(find_act(8, RING_ACT_TCP, WIRE_FILE_REQ, 10, 0)->msg.u.route.flags, 0);
	ck_assert_uint_eq(find_act(10, RING_ACT_TCP, WIRE_FILE_REQ, 12, 0)->msg.u.route.flags, 0);
	ck_assert_uint_eq(find_act(12, RING_ACT_TCP, WIRE_FILE_REQ, 15, 0)->msg.u.route.flags, 0);
	ck_assert_uint_eq(find_act(15, RING_ACT_TCP, WIRE_FILE_REQ, 1, 0)->msg.u.route.flags,
	    WIRE_ROUTE_OWNER);
}
END_TEST

CASE("routing", test_ring_route_ttl_decremented_per_hop)
{
	struct wire_msg	m = msg_route(WIRE_FILE_REQ, 8, 8, 2012, 5, 0);

	classic_inject(10, &m);
	ck_assert_uint_eq(find_act(10, RING_ACT_TCP, WIRE_FILE_REQ, 12, 0)->msg.u.route.ttl, 4);
	ck_assert_uint_eq(find_act(15, RING_ACT_TCP, WIRE_FILE_REQ, 1, 0)->msg.u.route.ttl, 2);
	ck_assert_uint_eq(count_acts(1, RING_ACT_SERVE, -1, -1), 1);
}
END_TEST

/* A route of this type from 8 reaching 10 with ttl 0: warned about, neither passed on nor taken. */
static void
expect_ttl_0_dropped(int type)
{
	struct wire_msg	m = msg_route(type, 8, 8, 2012, 0, 0);

	classic_inject(10, &m);
	expect_acts(10, 0, 0, 0, 1);
	EXPECT_NO_EVENTS(10);
	ck_assert_uint_eq(total(RING_ACT_SERVE), 0);
	ck_assert_uint_eq(total(RING_ACT_STORE), 0);
}

CASE("routing", test_ring_route_with_ttl_0_dropped_with_warning)
{
	expect_ttl_0_dropped(WIRE_FILE_REQ);
}
END_TEST

CASE("routing", test_ring_store_with_ttl_0_dropped_with_warning)
{
	expect_ttl_0_dropped(WIRE_STORE_REQ);
}
END_TEST

/* PROTOCOL.md: a message that arrives with ttl 0 is neither forwarded nor served. */
CASE("routing", test_ring_route_flagged_for_owner_served_at_ttl_0)
{
	struct wire_msg	m = msg_route(WIRE_FILE_REQ, 15, 8, 2012, 0, WIRE_ROUTE_OWNER);

	classic_inject(1, &m);
	expect_acts(1, 0, 0, 0, 1);
}
END_TEST

CASE("routing", test_ring_request_for_own_key_served_locally)
{
	const struct rec	*s;

	classic_route(WIRE_FILE_REQ, 1, 2012, 9, WIRE_MODE_TCP);
	s = find_act(1, RING_ACT_SERVE, -1, -1, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->msg.u.route.origin.id, 1);
	ck_assert_uint_eq(total(RING_ACT_TCP), 0);
	EXPECT_NO_EVENTS(1);
}
END_TEST

CASE("routing", test_ring_request_for_own_id_served_before_predecessors_known)
{
	net_reset();
	net_add_ring_of(classic_ids, NCLASSIC);
	ring_request(ring_of(8), 8, 9, WIRE_MODE_TCP, net.now);	/* file 0008: key 8 */
	net_flush();
	ck_assert_uint_eq(count_acts(8, RING_ACT_SERVE, -1, -1), 1);
	ck_assert_uint_eq(total(RING_ACT_TCP), 0);
}
END_TEST

CASE("routing", test_ring_routes_before_predecessors_known)
{
	size_t	i;

	net_reset();
	net_add_ring_of(classic_ids, NCLASSIC);
	for (i = 0; i < NCLASSIC; i++)
		ck_assert(!ring_of(classic_ids[i])->pred[0].known);
	ring_request(ring_of(8), 2012, 77, WIRE_MODE_TCP, net.now);
	net_flush();
	ck_assert_uint_eq(total(RING_ACT_SERVE), 1);
	ck_assert_uint_eq(count_acts(1, RING_ACT_SERVE, -1, -1), 1);
	ck_assert_uint_eq(count_acts(1, RING_ACT_TCP, -1, -1), 0);
	EXPECT_EVENTS(15, EVF(CON_REQ_FORWARDED, 2012));
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST

CASE("routing", test_ring_route_returns_to_origin_owning_key_unknowingly)
{
	/* 8 owns key 7 (file 4103) but has no predecessor yet: the ring sends it back to 8. */
	const struct rec	*s;

	net_reset();
	net_add_ring_of(classic_ids, NCLASSIC);
	ring_request(ring_of(8), 4103, 77, WIRE_MODE_TCP, net.now);
	net_flush();
	ck_assert_uint_eq(total(RING_ACT_SERVE), 1);
	s = find_act(8, RING_ACT_SERVE, -1, -1, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->msg.u.route.file, 4103);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST

CASE("routing", test_ring_every_key_reaches_its_owner)
{
	uint8_t	ids[NCLASSIC];
	size_t	i;
	int	key;

	for (i = 0; i < NCLASSIC; i++)
		ids[i] = (uint8_t)classic_ids[i];
	classic_up();
	for (key = 0; key < KEYS_RING_SIZE; key++)
		for (i = 0; i < NCLASSIC; i++) {
			const struct rec *s;
			int owner = keys_owner(ids, NCLASSIC, key);

			net_clear_logs();
			ring_request(ring_of(classic_ids[i]), key, 1, WIRE_MODE_TCP, net.now);
			net_flush();
			ck_assert_msg(total(RING_ACT_SERVE) == 1, "key %d from %d: %zu serves", key,
			    classic_ids[i], total(RING_ACT_SERVE));
			s = find_act(owner, RING_ACT_SERVE, -1, -1, 0);
			ck_assert_msg(s != NULL, "key %d from %d: not served by owner %d", key,
			    classic_ids[i], owner);
			ck_assert_uint_eq(s->msg.u.route.origin.id, classic_ids[i]);
		}
}
END_TEST

CASE("routing", test_ring_store_routed_to_owner)
{
	const struct rec	*s;

	classic_route(WIRE_STORE_REQ, 8, 2012, 31, WIRE_MODE_TCP);
	/* The owner's "accepted" line is the peer's to print once it takes the store. */
	expect_route_lines(CON_STORE_FORWARDED, CON_STORE_FORWARDED);
	EXPECT_NO_EVENTS(3);
	ck_assert_uint_eq(total(RING_ACT_STORE), 1);
	ck_assert_uint_eq(total(RING_ACT_SERVE), 0);
	s = find_act(1, RING_ACT_STORE, -1, -1, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->msg.type, WIRE_STORE_REQ);
	ck_assert_uint_eq(s->msg.u.route.origin.id, 8);
	ck_assert_uint_eq(s->msg.u.route.file, 2012);
	ck_assert_uint_eq(s->msg.u.route.id, 31);
}
END_TEST

CASE("routing", test_ring_store_for_own_key_accepted_locally)
{
	classic_route(WIRE_STORE_REQ, 1, 2012, 31, WIRE_MODE_TCP);
	EXPECT_NO_EVENTS(1);
	ck_assert_uint_eq(count_acts(1, RING_ACT_STORE, -1, -1), 1);
	ck_assert_uint_eq(find_act(1, RING_ACT_STORE, -1, -1, 0)->msg.u.route.origin.id, 1);
	ck_assert_uint_eq(total(RING_ACT_TCP), 0);
}
END_TEST

CASE("routing", test_ring_request_routed_around_departed_peer)
{
	classic_quit(10);
	net_run_until(3 * INTERVAL);
	net_clear_logs();
	ring_request(ring_of(5), 2012, 77, WIRE_MODE_TCP, net.now);
	net_flush();
	EXPECT_EVENTS(8, EVF(CON_REQ_FORWARDED, 2012));
	EXPECT_EVENTS(12, EVF(CON_REQ_FORWARDED, 2012));
	ck_assert_uint_eq(count_acts(1, RING_ACT_SERVE, -1, -1), 1);
	ck_assert_uint_eq(total(RING_ACT_WARN), 0);
}
END_TEST


/* A peer alone (its only other peer died) owns every key: it serves and stores locally. */
CASE("routing", test_ring_alone_serves_and_stores_locally)
{
	struct ring	*r;

	net_reset();
	r = net_add_ring(4, 20, 4);
	net_add_puppet(20, false);		/* dead */
	net_run_until(4 * INTERVAL);
	ck_assert(r->succ[0].known && r->succ[0].c.id == 4);
	net_clear_logs();
	ring_store(r, 0, 31, net.now);
	ring_request(r, 1000, 32, WIRE_MODE_UDP, net.now);
	net_flush();
	expect_acts(4, 0, 1, 1, 0);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("ring_route", NULL);
}
