/* Unit tests of the wire codec: round trips, layout, strict rejection, stream framing, fuzz. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/wire.h"
#include "cdht/xfer.h"

#define P		WIRE_HEADER_LEN	/* byte offset of the payload */
#define FUZZ_BUFFERS	200000		/* random buffers fed to the decoder */
#define FUZZ_MAX_LEN	200		/* bytes in the longest random buffer */
#define FUZZ_MUTATIONS	5000		/* mutated frames per message type */
#define FUZZ_TIMEOUT	120		/* seconds allowed to the fuzz tests */

/* A deterministic generator (splitmix64), so every run feeds the same bytes. */
static struct xfer_rng	rng_state = { 0x5eed5eed5eed5eedULL };

/* The next 64 pseudo-random bits: the core's own generator, seeded here. */
static uint64_t
rng_next(void)
{
	return xfer_rng_next(&rng_state);
}

/* A pseudo-random number in [0, n). */
static size_t
rng_below(size_t n)
{
	return (size_t)(rng_next() % n);
}

/* The bytes DATA samples carry: a pattern that is not all one value. */
static const uint8_t *
pattern(void)
{
	static uint8_t	bytes[WIRE_MAX_MSS];
	static int	ready;
	size_t		i;

	if (!ready) {
		for (i = 0; i < sizeof bytes; i++)
			bytes[i] = (uint8_t)(i * 31 + 7);
		ready = 1;
	}
	return bytes;
}

/* The family samples are built in: CONTACT_V4, or CONTACT_V6 (loop tests set it). */
static int	t_family = CONTACT_V4;

/* A contact id at a.b.c.d:port, or at fd00::a:b:c:d (as bytes) when samples are IPv6. */
static struct contact
mk(uint8_t id, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	uint8_t		addr[4] = { a, b, c, d };
	uint8_t		a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d };

	if (t_family == CONTACT_V6)
		return contact_v6(id, a6, port);
	return contact_v4(id, addr, port);
}

/* Loop tests run once per family: _i 0 is IPv4, 1 is IPv6. */
static void
set_family(int i)
{
	t_family = i == 0 ? CONTACT_V4 : CONTACT_V6;
}

/* Fill m with a valid message of type, with distinctive values in every field. */
static void
sample(int type, struct wire_msg *m, uint16_t data_len)
{
	memset(m, 0, sizeof *m);
	m->type = (uint8_t)type;
	m->from = mk(3, 127, 0, 0, 1, 50003);
	switch (type) {
	case WIRE_PING_REQ:
		m->u.ping_req.seq = 0x01020304;
		m->u.ping_req.role = 2;
		m->u.ping_req.to = 7;
		break;
	case WIRE_PING_RSP:
		m->u.ping_rsp.seq = 0xFFFFFFFE;
		m->u.ping_rsp.succ = mk(9, 127, 0, 0, 1, 50009);
		break;
	case WIRE_FILE_REQ:
		m->u.route.file = 2067;
		m->u.route.id = 0x0A0B0C0D;
		m->u.route.origin = mk(200, 192, 168, 1, 20, 65535);
		m->u.route.ttl = 254;
		m->u.route.flags = WIRE_ROUTE_OWNER;
		m->u.route.mode = WIRE_MODE_TCP;
		break;
	case WIRE_STORE_REQ:
		m->u.route.file = 9999;
		m->u.route.id = 1;
		m->u.route.origin = mk(0, 10, 0, 0, 1, 1);
		m->u.route.ttl = 0;
		m->u.route.flags = 0;
		m->u.route.mode = WIRE_MODE_UDP;
		break;
	case WIRE_FILE_RSP:
		m->u.file_rsp.file = 4103;
		m->u.file_rsp.id = 0x80000001;
		m->u.file_rsp.status = WIRE_STATUS_ABSENT;
		m->u.file_rsp.mode = WIRE_MODE_TCP;
		m->u.file_rsp.size = 0xDEADBEEF;
		break;
	case WIRE_STORE_DATA:
		m->u.store_data.file = 0;
		m->u.store_data.id = 42;
		m->u.store_data.size = 1234567;
		break;
	case WIRE_DATA:
		m->u.data.xfer = 0x11223344;
		m->u.data.seq = 60001;
		m->u.data.flags = WIRE_DATA_LAST;
		m->u.data.len = data_len;
		m->u.data.data = pattern();
		break;
	case WIRE_ACK:
		m->u.ack.xfer = 0x11223344;
		m->u.ack.ack = 0xFFFFFFFF;
		m->u.ack.sack = 0xABCDEF01;
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		m->u.succs.s1 = mk(10, 127, 0, 0, 1, 50010);
		m->u.succs.s2 = mk(255, 10, 1, 2, 3, 50255);
		break;
	case WIRE_DEPART_ACK:
		break;
	case WIRE_SUCC_QUERY:
		m->u.query.qid = 0xCAFEBABE;
		break;
	case WIRE_SUCC_REPLY:
		m->u.reply.qid = 7;
		m->u.reply.s1 = mk(10, 127, 0, 0, 1, 50010);
		m->u.reply.s2 = mk(12, 127, 0, 0, 2, 50012);
		break;
	case WIRE_JOIN_REQ:
		m->u.join.joiner = mk(15, 127, 0, 0, 1, 50015);
		m->u.join.ttl = 255;
		break;
	case WIRE_JOIN_REJECT:
		m->u.reject.reason = WIRE_REJECT_NOT_READY;
		break;
	case WIRE_SUCC_CHANGE:
		m->u.change.s1 = mk(10, 127, 0, 0, 1, 50010);
		m->u.change.s2 = mk(12, 127, 0, 0, 1, 50012);
		m->u.change.ttl = 3;
		break;
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_DATA:
		m->u.hold.file = 7;
		m->u.hold.intent = type == WIRE_HOLD_OFFER ? 3 : 0;
		m->u.hold.size = 0xFFFFFFFE;
		m->u.hold.gen = 0x0102030405060708ULL;
		m->u.hold.sum = 0xF0E0D0C0B0A09080ULL;
		break;
	case WIRE_HOLD_ANSWER:
		m->u.hold_answer.file = 9999;
		m->u.hold_answer.gen = 0xFFFFFFFFFFFFFFFFULL;
		m->u.hold_answer.status = 8;
		break;
	}
}

/* Encode a valid sample of type into buf (at least WIRE_MAX_FRAME bytes); its length. */
static size_t
sample_frame(int type, uint8_t *buf, uint16_t data_len)
{
	struct wire_msg	m;
	size_t		n;

	sample(type, &m, data_len);
	n = wire_encode(&m, buf, WIRE_MAX_FRAME);
	ck_assert_msg(n > 0, "sample %s does not encode", wire_type_name(type));
	return n;
}

/* Decode a copy of buf in a heap block of exactly n bytes, so any over-read trips ASan. */
static int
decode_exact(const uint8_t *buf, size_t n, const char **why)
{
	struct wire_msg	 m;
	uint8_t		*copy = malloc(n > 0 ? n : 1);
	int		 r;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, buf, n);
	r = wire_decode(copy, n, &m, why);
	free(copy);
	return r;
}

/* Assert two contacts are equal. */
static void
assert_contact_eq(const struct contact *a, const struct contact *b)
{
	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->family, b->family);
	ck_assert_mem_eq(a->addr, b->addr, sizeof a->addr);
	ck_assert_uint_eq(a->port, b->port);
}

/* Assert every field of two messages is equal (DATA compares the bytes, not the pointers). */
static void
assert_msg_eq(const struct wire_msg *a, const struct wire_msg *b)
{
	ck_assert_uint_eq(a->type, b->type);
	assert_contact_eq(&a->from, &b->from);
	switch (a->type) {
	case WIRE_PING_REQ:
		ck_assert_uint_eq(a->u.ping_req.seq, b->u.ping_req.seq);
		ck_assert_uint_eq(a->u.ping_req.role, b->u.ping_req.role);
		ck_assert_uint_eq(a->u.ping_req.to, b->u.ping_req.to);
		assert_contact_eq(&a->u.ping_req.pred, &b->u.ping_req.pred);
		break;
	case WIRE_PING_RSP:
		ck_assert_uint_eq(a->u.ping_rsp.seq, b->u.ping_rsp.seq);
		assert_contact_eq(&a->u.ping_rsp.succ, &b->u.ping_rsp.succ);
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		ck_assert_uint_eq(a->u.route.file, b->u.route.file);
		ck_assert_uint_eq(a->u.route.id, b->u.route.id);
		assert_contact_eq(&a->u.route.origin, &b->u.route.origin);
		ck_assert_uint_eq(a->u.route.ttl, b->u.route.ttl);
		ck_assert_uint_eq(a->u.route.flags, b->u.route.flags);
		ck_assert_uint_eq(a->u.route.mode, b->u.route.mode);
		break;
	case WIRE_FILE_RSP:
		ck_assert_uint_eq(a->u.file_rsp.file, b->u.file_rsp.file);
		ck_assert_uint_eq(a->u.file_rsp.id, b->u.file_rsp.id);
		ck_assert_uint_eq(a->u.file_rsp.status, b->u.file_rsp.status);
		ck_assert_uint_eq(a->u.file_rsp.mode, b->u.file_rsp.mode);
		ck_assert_uint_eq(a->u.file_rsp.size, b->u.file_rsp.size);
		break;
	case WIRE_STORE_DATA:
		ck_assert_uint_eq(a->u.store_data.file, b->u.store_data.file);
		ck_assert_uint_eq(a->u.store_data.id, b->u.store_data.id);
		ck_assert_uint_eq(a->u.store_data.size, b->u.store_data.size);
		break;
	case WIRE_DATA:
		ck_assert_uint_eq(a->u.data.xfer, b->u.data.xfer);
		ck_assert_uint_eq(a->u.data.seq, b->u.data.seq);
		ck_assert_uint_eq(a->u.data.flags, b->u.data.flags);
		ck_assert_uint_eq(a->u.data.len, b->u.data.len);
		if (a->u.data.len > 0)
			ck_assert_mem_eq(a->u.data.data, b->u.data.data, a->u.data.len);
		break;
	case WIRE_ACK:
		ck_assert_uint_eq(a->u.ack.xfer, b->u.ack.xfer);
		ck_assert_uint_eq(a->u.ack.ack, b->u.ack.ack);
		ck_assert_uint_eq(a->u.ack.sack, b->u.ack.sack);
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		assert_contact_eq(&a->u.succs.s1, &b->u.succs.s1);
		assert_contact_eq(&a->u.succs.s2, &b->u.succs.s2);
		break;
	case WIRE_SUCC_QUERY:
		ck_assert_uint_eq(a->u.query.qid, b->u.query.qid);
		break;
	case WIRE_SUCC_REPLY:
		ck_assert_uint_eq(a->u.reply.qid, b->u.reply.qid);
		assert_contact_eq(&a->u.reply.s1, &b->u.reply.s1);
		assert_contact_eq(&a->u.reply.s2, &b->u.reply.s2);
		break;
	case WIRE_JOIN_REQ:
		assert_contact_eq(&a->u.join.joiner, &b->u.join.joiner);
		ck_assert_uint_eq(a->u.join.ttl, b->u.join.ttl);
		break;
	case WIRE_JOIN_REJECT:
		ck_assert_uint_eq(a->u.reject.reason, b->u.reject.reason);
		break;
	case WIRE_SUCC_CHANGE:
		assert_contact_eq(&a->u.change.s1, &b->u.change.s1);
		assert_contact_eq(&a->u.change.s2, &b->u.change.s2);
		ck_assert_uint_eq(a->u.change.ttl, b->u.change.ttl);
		break;
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_DATA:
		ck_assert_uint_eq(a->u.hold.file, b->u.hold.file);
		ck_assert_uint_eq(a->u.hold.intent, b->u.hold.intent);
		ck_assert_uint_eq(a->u.hold.size, b->u.hold.size);
		ck_assert_uint_eq(a->u.hold.gen, b->u.hold.gen);
		ck_assert_uint_eq(a->u.hold.sum, b->u.hold.sum);
		break;
	case WIRE_HOLD_ANSWER:
		ck_assert_uint_eq(a->u.hold_answer.file, b->u.hold_answer.file);
		ck_assert_uint_eq(a->u.hold_answer.gen, b->u.hold_answer.gen);
		ck_assert_uint_eq(a->u.hold_answer.status, b->u.hold_answer.status);
		break;
	}
}

/* Encode m, decode it from an exact-size copy, and assert the fields survive. */
static void
assert_round_trip(const struct wire_msg *m)
{
	struct wire_msg	 out;
	uint8_t		*buf = malloc(WIRE_MAX_FRAME), *copy;
	const char	*why = NULL;
	size_t		 n;

	ck_assert_ptr_nonnull(buf);
	n = wire_encode(m, buf, WIRE_MAX_FRAME);
	ck_assert_msg(n >= WIRE_HEADER_LEN, "%s does not encode", wire_type_name(m->type));
	copy = malloc(n);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, n);
	ck_assert_msg(wire_decode(copy, n, &out, &why) == 0, "%s rejected: %s",
	    wire_type_name(m->type), why);
	assert_msg_eq(m, &out);
	free(copy);
	free(buf);
}

/* Write a big-endian value of width bytes at buf[off]. */
static void
poke(uint8_t *buf, size_t off, int width, uint32_t v)
{
	int	i;

	for (i = width - 1; i >= 0; i--) {
		buf[off + (size_t)i] = (uint8_t)v;
		v >>= 8;
	}
}

/* A valid sample of type, with value poked at off, must be rejected for reason. */
static void
assert_field_rejected(int type, size_t off, int width, uint32_t value, const char *reason)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(type, buf, 5);

	ck_assert_int_eq(decode_exact(buf, n, &why), 0);
	poke(buf, off, width, value);
	ck_assert_msg(decode_exact(buf, n, &why) == -1, "%s with 0x%x at %zu accepted",
	    wire_type_name(type), (unsigned)value, off);
	ck_assert_str_eq(why, reason);
}

/* Every accepted buffer must frame to its own length and re-encode to the same bytes. */
static int
assert_canonical_if_accepted(const uint8_t *buf, size_t n)
{
	static uint8_t	 again[WIRE_MAX_FRAME];
	struct wire_msg	 m;
	uint8_t		*copy = malloc(n > 0 ? n : 1);
	const char	*why;
	size_t		 flen = 0;
	int		 ok;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, buf, n);
	ok = wire_decode(copy, n, &m, &why) == 0;
	if (ok) {
		ck_assert_int_eq(wire_frame_len(copy, n, &flen, &why), 0);
		ck_assert_uint_eq(flen, n);
		ck_assert_uint_eq(wire_encode(&m, again, sizeof again), n);
		ck_assert_mem_eq(again, copy, n);
	}
	free(copy);
	return ok;
}

CASE_LOOP("codec", test_wire_round_trip_every_type, 2)
{
	static const uint16_t	 lens[] = { 0, 1, WIRE_MAX_MSS - 1, WIRE_MAX_MSS };
	struct wire_msg		 m;
	size_t			 i;
	int			 t;

	set_family(_i);
	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		if (t == WIRE_DATA) {
			for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
				sample(t, &m, lens[i]);
				assert_round_trip(&m);
			}
		} else {
			sample(t, &m, 0);
			assert_round_trip(&m);
		}
	}
}
END_TEST

CASE("codec", test_wire_ping_req_layout_is_big_endian)
{
	static const uint8_t	want[] = {
		0xCD, 0x04, WIRE_PING_REQ, 0x00, 0x00, 26,
		0x03, 0x04, 0xC3, 0x53, 127, 0, 0, 1,	/* id 3, IPv4, port 50003, 127.0.0.1 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* the rest of the address */
		0x01, 0x02, 0x03, 0x04, 0x02, 0x07,	/* seq, role, to */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* pred: none */
	};
	uint8_t			buf[WIRE_MAX_FRAME];
	struct wire_msg		m;

	sample(WIRE_PING_REQ, &m, 0);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), sizeof want);
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

CASE("codec", test_wire_file_req_layout_matches_protocol_doc)
{
	static const uint8_t	want[] = {
		0xCD, 0x04, WIRE_FILE_REQ, 0x00, 0x00, 29,
		0x03, 0x04, 0xC3, 0x53, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x08, 0x13,				/* file 2067 */
		0x0A, 0x0B, 0x0C, 0x0D,			/* id */
		200, 0x04, 0xFF, 0xFF, 192, 168, 1, 20,	/* origin */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		254, WIRE_ROUTE_OWNER, WIRE_MODE_TCP,	/* ttl, flags, mode */
	};
	uint8_t			buf[WIRE_MAX_FRAME];
	struct wire_msg		m;

	sample(WIRE_FILE_REQ, &m, 0);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), sizeof want);
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

CASE("codec", test_wire_data_layout_and_payload_length)
{
	static const uint8_t	want[] = {
		0xCD, 0x04, WIRE_DATA, 0x00, 0x00, 11 + 3,
		0x03, 0x04, 0xC3, 0x53, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x11, 0x22, 0x33, 0x44,			/* xfer */
		0x00, 0x00, 0xEA, 0x61,			/* seq 60001 */
		WIRE_DATA_LAST, 0x00, 0x03,		/* flags, len */
		7, 38, 69,				/* the pattern's first bytes */
	};
	uint8_t			buf[WIRE_MAX_FRAME];
	struct wire_msg		m;

	sample(WIRE_DATA, &m, 3);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), sizeof want);
	ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

CASE("codec", test_wire_decoded_data_points_into_buffer)
{
	uint8_t		buf[WIRE_MAX_FRAME];
	struct wire_msg	m;
	size_t		n = sample_frame(WIRE_DATA, buf, 9);

	ck_assert_int_eq(wire_decode(buf, n, &m, NULL), 0);
	ck_assert_ptr_eq(m.u.data.data, buf + P + 11);
}
END_TEST

CASE("codec", test_wire_encode_empty_data_without_pointer)
{
	uint8_t		buf[WIRE_MAX_FRAME];
	struct wire_msg	m;

	sample(WIRE_DATA, &m, 0);
	m.u.data.data = NULL;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), P + 11);
}
END_TEST

CASE_LOOP("validation", test_wire_every_truncation_rejected, 2)
{
	static const uint16_t	 lens[] = { 0, 1, 37 };
	uint8_t			 buf[WIRE_MAX_FRAME];
	const char		*why;
	size_t			 i, k, n;
	int			 t;

	set_family(_i);
	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
			if (t != WIRE_DATA && i > 0)
				break;
			n = sample_frame(t, buf, lens[i]);
			for (k = 0; k < n; k++) {
				why = NULL;
				ck_assert_msg(decode_exact(buf, k, &why) == -1,
				    "%s cut to %zu of %zu bytes accepted", wire_type_name(t), k, n);
				ck_assert_str_eq(why, "truncated");
			}
		}
	}
}
END_TEST

CASE_LOOP("validation", test_wire_trailing_byte_rejected, 2)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n;
	int		 t;

	set_family(_i);
	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		n = sample_frame(t, buf, 4);
		buf[n] = 0;
		ck_assert_int_eq(decode_exact(buf, n + 1, &why), -1);
		ck_assert_str_eq(why, "trailing bytes");
	}
}
END_TEST

CASE("validation", test_wire_bad_magic_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(WIRE_PING_RSP, buf, 0);

	buf[0] = 0xCE;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad magic");
}
END_TEST

CASE("validation", test_wire_bad_version_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(WIRE_PING_RSP, buf, 0);

	buf[1] = 1;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 1");
	buf[1] = 2;	/* before the replicas' PING_REQ.pred and HOLD messages */
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 2");
	buf[1] = 3;	/* before PING_REQ.to */
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 3");
	buf[1] = 5;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 5");
	buf[1] = 0;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 0");
	buf[1] = 255;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unsupported version 255");
}
END_TEST

CASE("validation", test_wire_unknown_type_rejected)
{
	static const struct {
		uint8_t		 type;
		const char	*why;
	} bad[] = {
		{ 0, "unknown type 0" },
		{ WIRE_TYPE_END, "unknown type 20" },
		{ 77, "unknown type 77" },
		{ 255, "unknown type 255" },
	};
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why;
	size_t		 i, n = sample_frame(WIRE_PING_RSP, buf, 0);

	ck_assert_int_eq(WIRE_TYPE_END, 20);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf[2] = bad[i].type;
		why = NULL;
		ck_assert_int_eq(decode_exact(buf, n, &why), -1);
		ck_assert_str_eq(why, bad[i].why);
	}
}
END_TEST

CASE("validation", test_wire_wrong_payload_length_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why;
	size_t		 n, plen;
	int		 t;

	/* Claim one byte more and one byte less than the type has, with the buffer to match. */
	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		if (t == WIRE_DATA)
			continue;
		n = sample_frame(t, buf, 0);
		plen = n - P;
		buf[n] = 0;
		poke(buf, 4, 2, (uint32_t)plen + 1);
		why = NULL;
		ck_assert_int_eq(decode_exact(buf, n + 1, &why), -1);
		ck_assert_ptr_nonnull(strstr(why, "length mismatch for "));
		ck_assert_str_eq(why + strlen("length mismatch for "), wire_type_name(t));
		if (plen > 0) {
			poke(buf, 4, 2, (uint32_t)plen - 1);
			why = NULL;
			ck_assert_int_eq(decode_exact(buf, n - 1, &why), -1);
			ck_assert_ptr_nonnull(strstr(why, "length mismatch for "));
		}
	}
}
END_TEST

CASE("validation", test_wire_bad_role_rejected)
{
	assert_field_rejected(WIRE_PING_REQ, P + 4, 1, 0, "bad role");
	assert_field_rejected(WIRE_PING_REQ, P + 4, 1, 3, "bad role");
}
END_TEST

CASE("validation", test_wire_bad_mode_rejected)
{
	assert_field_rejected(WIRE_FILE_REQ, P + 28, 1, 2, "bad mode");
	assert_field_rejected(WIRE_STORE_REQ, P + 28, 1, 2, "bad mode");
	assert_field_rejected(WIRE_FILE_RSP, P + 7, 1, 2, "bad mode");
}
END_TEST

CASE("validation", test_wire_bad_status_rejected)
{
	assert_field_rejected(WIRE_FILE_RSP, P + 6, 1, 2, "bad status");
	assert_field_rejected(WIRE_FILE_RSP, P + 6, 1, 255, "bad status");
}
END_TEST

CASE("validation", test_wire_file_out_of_range_rejected)
{
	assert_field_rejected(WIRE_FILE_REQ, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_STORE_REQ, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_FILE_RSP, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_STORE_DATA, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_STORE_DATA, P + 0, 2, 0xFFFF, "bad file number");
}
END_TEST

CASE("validation", test_wire_ping_req_pred_round_trip_and_checked)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	struct wire_msg	 m;
	const char	*why = NULL;
	size_t		 n;

	sample(WIRE_PING_REQ, &m, 0);
	m.u.ping_req.pred = mk(200, 127, 0, 0, 1, 50200);
	assert_round_trip(&m);
	n = wire_encode(&m, buf, sizeof buf);
	ck_assert_uint_eq(n, P + 26);
	ck_assert_uint_eq(buf[P + 5], 7);	/* to */
	ck_assert_uint_eq(buf[P + 6], 200);
	buf[P + 7] = 5;		/* family 5 */
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad predecessor contact");
}
END_TEST

CASE("validation", test_wire_hold_layout_matches_protocol_doc)
{
	static const uint8_t	offer[23] = { 0, 7, 3, 0xFF, 0xFF, 0xFF, 0xFE,
		1, 2, 3, 4, 5, 6, 7, 8, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80 };
	static const uint8_t	data[22] = { 0, 7, 0xFF, 0xFF, 0xFF, 0xFE,
		1, 2, 3, 4, 5, 6, 7, 8, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80 };
	static const uint8_t	answer[11] = { 0x27, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0xFF, 0xFF, 8 };
	uint8_t			buf[WIRE_MAX_FRAME];

	ck_assert_uint_eq(sample_frame(WIRE_HOLD_OFFER, buf, 0), P + 23);
	ck_assert_uint_eq(buf[2], 17);
	ck_assert_mem_eq(buf + P, offer, sizeof offer);
	ck_assert_uint_eq(sample_frame(WIRE_HOLD_ANSWER, buf, 0), P + 11);
	ck_assert_uint_eq(buf[2], 18);
	ck_assert_mem_eq(buf + P, answer, sizeof answer);
	ck_assert_uint_eq(sample_frame(WIRE_HOLD_DATA, buf, 0), P + 22);
	ck_assert_uint_eq(buf[2], 19);
	ck_assert_mem_eq(buf + P, data, sizeof data);
}
END_TEST

CASE("validation", test_wire_hold_bad_fields_rejected)
{
	assert_field_rejected(WIRE_HOLD_OFFER, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_HOLD_OFFER, P + 2, 1, 0, "bad intent");
	assert_field_rejected(WIRE_HOLD_OFFER, P + 2, 1, 4, "bad intent");
	assert_field_rejected(WIRE_HOLD_OFFER, P + 3, 4, 0xFFFFFFFF, "bad size");
	assert_field_rejected(WIRE_HOLD_DATA, P + 0, 2, 0xFFFF, "bad file number");
	assert_field_rejected(WIRE_HOLD_DATA, P + 2, 4, 0xFFFFFFFF, "bad size");
	assert_field_rejected(WIRE_HOLD_ANSWER, P + 0, 2, 10000, "bad file number");
	assert_field_rejected(WIRE_HOLD_ANSWER, P + 10, 1, 9, "bad status");
	assert_field_rejected(WIRE_HOLD_ANSWER, P + 10, 1, 255, "bad status");
}
END_TEST

CASE("validation", test_wire_hold_zero_version_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(WIRE_HOLD_DATA, buf, 0);
	struct wire_msg	 m;

	memset(buf + P + 6, 0, 8);
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad version");
	n = sample_frame(WIRE_HOLD_OFFER, buf, 0);
	memset(buf + P + 7, 0, 8);
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad version");
	n = sample_frame(WIRE_HOLD_ANSWER, buf, 0);
	memset(buf + P + 2, 0, 8);
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad version");
	/* A HOLD_DATA carries no intent; a set one is refused by the encoder. */
	sample(WIRE_HOLD_DATA, &m, 0);
	m.u.hold.intent = 1;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
}
END_TEST

CASE("validation", test_wire_data_seq_zero_rejected)
{
	assert_field_rejected(WIRE_DATA, P + 4, 4, 0, "bad sequence number");
}
END_TEST

CASE("validation", test_wire_ack_zero_rejected)
{
	assert_field_rejected(WIRE_ACK, P + 4, 4, 0, "bad ack");
}
END_TEST

CASE("validation", test_wire_unknown_route_flags_rejected)
{
	assert_field_rejected(WIRE_FILE_REQ, P + 27, 1, 0x02, "unknown route flags");
	assert_field_rejected(WIRE_STORE_REQ, P + 27, 1, 0x80, "unknown route flags");
	assert_field_rejected(WIRE_FILE_REQ, P + 27, 1, 0xFF, "unknown route flags");
}
END_TEST

CASE("validation", test_wire_unknown_data_flags_rejected)
{
	assert_field_rejected(WIRE_DATA, P + 8, 1, 0x02, "unknown data flags");
	assert_field_rejected(WIRE_DATA, P + 8, 1, 0xFF, "unknown data flags");
}
END_TEST

CASE("validation", test_wire_bad_reject_reason_rejected)
{
	assert_field_rejected(WIRE_JOIN_REJECT, P + 0, 1, 0, "bad reject reason");
	assert_field_rejected(WIRE_JOIN_REJECT, P + 0, 1, 4, "bad reject reason");
	assert_field_rejected(WIRE_JOIN_REJECT, P + 0, 1, 255, "bad reject reason");
}
END_TEST

CASE("validation", test_wire_data_len_over_mss_rejected)
{
	uint8_t		*buf = calloc(1, WIRE_MAX_FRAME + 1);
	const char	*why = NULL;
	size_t		 n;

	ck_assert_ptr_nonnull(buf);
	/* A payload length that fits the MSS, with a len field one past it. */
	n = sample_frame(WIRE_DATA, buf, WIRE_MAX_MSS);
	poke(buf, P + 9, 2, WIRE_MAX_MSS + 1);
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "segment too long");
	/* Both the payload length and the len field one past the MSS. */
	poke(buf, 4, 2, 11 + WIRE_MAX_MSS + 1);
	ck_assert_int_eq(decode_exact(buf, n + 1, &why), -1);
	ck_assert_str_eq(why, "length mismatch for DATA");
	free(buf);
}
END_TEST

CASE("validation", test_wire_data_len_disagreeing_with_payload_rejected)
{
	assert_field_rejected(WIRE_DATA, P + 9, 2, 4, "data length mismatch");
	assert_field_rejected(WIRE_DATA, P + 9, 2, 6, "data length mismatch");
	assert_field_rejected(WIRE_DATA, P + 9, 2, 0, "data length mismatch");
}
END_TEST

CASE_LOOP("validation", test_wire_none_contact_rejected_where_not_allowed, 2)
{
	static const struct {
		int		 type;
		size_t		 off;
		const char	*why;
	} at[] = {
		{ WIRE_FILE_REQ, P + 6, "bad origin contact" },
		{ WIRE_STORE_REQ, P + 6, "bad origin contact" },
		{ WIRE_DEPART, P + 0, "bad successor contact" },
		{ WIRE_DEPART, P + 20, "bad successor contact" },
		{ WIRE_JOIN_ACCEPT, P + 0, "bad successor contact" },
		{ WIRE_JOIN_ACCEPT, P + 20, "bad successor contact" },
		{ WIRE_SUCC_CHANGE, P + 0, "bad successor contact" },
		{ WIRE_SUCC_CHANGE, P + 20, "bad successor contact" },
		{ WIRE_JOIN_REQ, P + 0, "bad joiner contact" },
		{ WIRE_PING_REQ, 6, "bad sender contact" },
		{ WIRE_SUCC_REPLY, 6, "bad sender contact" },
	};
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why;
	size_t		 i, n;

	set_family(_i);
	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		n = sample_frame(at[i].type, buf, 0);
		memset(buf + at[i].off, 0, WIRE_CONTACT_LEN);
		why = NULL;
		ck_assert_msg(decode_exact(buf, n, &why) == -1, "%s with none at %zu accepted",
		    wire_type_name(at[i].type), at[i].off);
		ck_assert_str_eq(why, at[i].why);
	}
}
END_TEST

CASE("validation", test_wire_zero_address_sender_rejected)
{
	assert_field_rejected(WIRE_PING_RSP, 10, 4, 0, "bad sender contact");
	assert_field_rejected(WIRE_JOIN_REQ, 10, 4, 0, "bad sender contact");
}
END_TEST

CASE("validation", test_wire_zero_port_sender_rejected)
{
	assert_field_rejected(WIRE_PING_RSP, 8, 2, 0, "bad sender contact");
}
END_TEST

CASE("validation", test_wire_succ_reply_none_contacts_accepted)
{
	struct wire_msg	m;

	sample(WIRE_SUCC_REPLY, &m, 0);
	memset(&m.u.reply.s2, 0, sizeof m.u.reply.s2);
	assert_round_trip(&m);
	memset(&m.u.reply.s1, 0, sizeof m.u.reply.s1);
	assert_round_trip(&m);
	ck_assert(wire_contact_none(&m.u.reply.s1));
}
END_TEST

CASE("validation", test_wire_succ_reply_half_none_contact_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n;

	assert_field_rejected(WIRE_SUCC_REPLY, P + 4 + 2, 2, 0, "bad successor contact");
	assert_field_rejected(WIRE_SUCC_REPLY, P + 24 + 4, 4, 0, "bad successor contact");
	/* A none with a stray id byte is not the all-zero none. */
	n = sample_frame(WIRE_SUCC_REPLY, buf, 0);
	memset(buf + P + 24, 0, WIRE_CONTACT_LEN);
	ck_assert_int_eq(decode_exact(buf, n, &why), 0);
	buf[P + 24] = 12;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad successor contact");
}
END_TEST

CASE("codec", test_wire_encode_rejects_invalid_message)
{
	uint8_t		buf[WIRE_MAX_FRAME];
	struct wire_msg	m;

	sample(WIRE_PING_REQ, &m, 0);
	m.type = 0;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	m.type = WIRE_TYPE_END;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_PING_REQ, &m, 0);
	m.u.ping_req.role = 3;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_PING_RSP, &m, 0);
	memset(m.from.addr, 0, sizeof m.from.addr);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_DATA, &m, 10);
	m.u.data.data = NULL;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_DATA, &m, 0);
	m.u.data.len = WIRE_MAX_MSS + 1;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_SUCC_REPLY, &m, 0);
	m.u.reply.s1.port = 0;	/* "none" by wire_contact_none, but not all zero */
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
	sample(WIRE_FILE_REQ, &m, 0);
	m.u.route.file = 10000;
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), 0);
}
END_TEST

CASE("codec", test_wire_encode_small_buffer_returns_zero)
{
	uint8_t		 full[WIRE_MAX_FRAME], *buf;
	struct wire_msg	 m;
	size_t		 cap, i, n;
	int		 t;

	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		sample(t, &m, 21);
		n = wire_encode(&m, full, sizeof full);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_eq(wire_encode(&m, NULL, 0), 0);
		for (cap = 0; cap < n; cap++) {
			/* Exactly cap bytes on the heap: a write past cap trips ASan. */
			buf = malloc(cap > 0 ? cap : 1);
			ck_assert_ptr_nonnull(buf);
			memset(buf, 0xA5, cap > 0 ? cap : 1);
			ck_assert_uint_eq(wire_encode(&m, buf, cap), 0);
			for (i = 0; i < cap; i++)
				ck_assert_uint_eq(buf[i], 0xA5);
			free(buf);
		}
		buf = malloc(n);
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(wire_encode(&m, buf, n), n);
		free(buf);
	}
}
END_TEST

CASE("validation", test_wire_decode_failure_leaves_no_message)
{
	static const struct wire_msg	zero;
	uint8_t				buf[WIRE_MAX_FRAME];
	struct wire_msg			m;
	size_t				n = sample_frame(WIRE_FILE_REQ, buf, 0);

	/* Valid up to the last field: the decoder must not leave the first fields behind. */
	buf[n - 1] = 2;
	sample(WIRE_FILE_REQ, &m, 0);
	ck_assert_int_eq(wire_decode(buf, n, &m, NULL), -1);
	ck_assert_mem_eq(&m, &zero, sizeof m);
}
END_TEST

CASE("validation", test_wire_why_may_be_null)
{
	static const uint8_t	garbage[] = { 'G', 'E', 'T', ' ' };
	struct wire_msg		m;
	size_t			flen;

	ck_assert_int_eq(wire_decode(garbage, sizeof garbage, &m, NULL), -1);
	ck_assert_int_eq(wire_decode(garbage, 0, &m, NULL), -1);
	ck_assert_int_eq(wire_frame_len(garbage, sizeof garbage, &flen, NULL), -1);
}
END_TEST

CASE("framing", test_wire_frame_len_needs_more_for_short_prefix)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why;
	size_t		 k, flen;
	int		 t;

	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		(void)sample_frame(t, buf, 3);
		for (k = 0; k < WIRE_HEADER_LEN; k++) {
			flen = 12345;
			ck_assert_msg(wire_frame_len(buf, k, &flen, &why) == 1,
			    "%s prefix of %zu bytes not 'need more'", wire_type_name(t), k);
			ck_assert_uint_eq(flen, 12345);
		}
	}
}
END_TEST

CASE("framing", test_wire_frame_len_reports_frame_length)
{
	uint8_t		 buf[WIRE_MAX_FRAME + 64];
	const char	*why;
	size_t		 k, n, flen;
	int		 t;

	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		n = sample_frame(t, buf, 300);
		/* Whether the body is partly there, whole, or followed by the next frame. */
		for (k = WIRE_HEADER_LEN; k <= n + 64; k++) {
			flen = 0;
			ck_assert_int_eq(wire_frame_len(buf, k, &flen, &why), 0);
			ck_assert_uint_eq(flen, n);
		}
	}
}
END_TEST

CASE("framing", test_wire_frame_len_rejects_garbage_first_byte)
{
	static const uint8_t	 http[] = "GET / HTTP/1.0\r\n";
	const char		*why = NULL;
	size_t			 flen;
	uint8_t			 b;

	ck_assert_int_eq(wire_frame_len(http, 1, &flen, &why), -1);
	ck_assert_str_eq(why, "bad magic");
	b = 0;
	ck_assert_int_eq(wire_frame_len(&b, 1, &flen, &why), -1);
}
END_TEST

CASE("framing", test_wire_frame_len_rejects_bad_version_and_type_early)
{
	uint8_t		 buf[3] = { WIRE_MAGIC, 9, WIRE_PING_REQ };
	const char	*why = NULL;
	size_t		 flen;

	ck_assert_int_eq(wire_frame_len(buf, 2, &flen, &why), -1);
	ck_assert_str_eq(why, "unsupported version 9");
	buf[1] = WIRE_VERSION;
	ck_assert_int_eq(wire_frame_len(buf, 2, &flen, &why), 1);
	buf[2] = 0;
	ck_assert_int_eq(wire_frame_len(buf, 3, &flen, &why), -1);
	ck_assert_str_eq(why, "unknown type 0");
}
END_TEST

CASE("framing", test_wire_frame_len_rejects_impossible_length)
{
	uint8_t		 buf[6] = { WIRE_MAGIC, WIRE_VERSION, WIRE_PING_REQ, 0, 0, 6 };
	const char	*why = NULL;
	size_t		 flen;

	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, &why), -1);
	ck_assert_str_eq(why, "length mismatch for PING_REQ");
	buf[2] = WIRE_DEPART_ACK;
	buf[5] = 1;
	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, &why), -1);
	buf[2] = WIRE_DATA;
	poke(buf, 4, 2, 10);
	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, &why), -1);
	ck_assert_str_eq(why, "length mismatch for DATA");
	poke(buf, 4, 2, 11 + WIRE_MAX_MSS + 1);
	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, &why), -1);
	poke(buf, 4, 2, 0xFFFF);
	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, &why), -1);
}
END_TEST

CASE("framing", test_wire_frame_len_accepts_data_length_range)
{
	uint8_t	buf[WIRE_HEADER_LEN] = { WIRE_MAGIC, WIRE_VERSION, WIRE_DATA };
	size_t	flen = 0;

	poke(buf, 4, 2, 11);
	ck_assert_int_eq(wire_frame_len(buf, 6, &flen, NULL), 1);
	ck_assert_int_eq(wire_frame_len(buf, sizeof buf, &flen, NULL), 0);
	ck_assert_uint_eq(flen, WIRE_HEADER_LEN + 11);
	poke(buf, 4, 2, 11 + WIRE_MAX_MSS);
	ck_assert_int_eq(wire_frame_len(buf, sizeof buf, &flen, NULL), 0);
	ck_assert_uint_eq(flen, WIRE_HEADER_LEN + 11 + WIRE_MAX_MSS);
	ck_assert_uint_le(flen, WIRE_MAX_FRAME);
}
END_TEST

CASE("codec", test_wire_type_names)
{
	static const char *const	names[] = {
		"UNKNOWN", "PING_REQ", "PING_RSP", "FILE_REQ", "FILE_RSP", "STORE_REQ",
		"STORE_DATA", "DATA", "ACK", "DEPART", "DEPART_ACK", "SUCC_QUERY", "SUCC_REPLY",
		"JOIN_REQ", "JOIN_ACCEPT", "JOIN_REJECT", "SUCC_CHANGE", "HOLD_OFFER", "HOLD_ANSWER",
		"HOLD_DATA", "UNKNOWN",
	};
	int				t;

	for (t = 0; t <= WIRE_TYPE_END; t++)
		ck_assert_str_eq(wire_type_name(t), names[t]);
	ck_assert_str_eq(wire_type_name(-1), "UNKNOWN");
	ck_assert_str_eq(wire_type_name(255), "UNKNOWN");
	ck_assert_str_eq(wire_type_name(1 << 20), "UNKNOWN");
}
END_TEST

CASE("codec", test_wire_contact_none_is_port_zero)
{
	struct contact	c = mk(0, 0, 0, 0, 0, 0);

	ck_assert(wire_contact_none(&c));
	c = mk(4, 127, 0, 0, 1, 0);
	ck_assert(wire_contact_none(&c));
	c = mk(0, 0, 0, 0, 0, 1);
	ck_assert(!wire_contact_none(&c));
}
END_TEST

CASE("fuzz", test_wire_random_bytes_never_crash)
{
	uint8_t	buf[FUZZ_MAX_LEN];
	size_t	i, j, n, plen;
	long	accepted = 0;
	int	t;

	for (i = 0; i < FUZZ_BUFFERS; i++) {
		n = rng_below(FUZZ_MAX_LEN + 1);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rng_next();
		/*
		 * Pure noise almost never passes the magic, so two thirds of the buffers get a
		 * plausible header; half of those also get a length that matches the buffer.
		 */
		if (i % 3 != 0 && n >= 6) {
			t = 1 + (int)rng_below(WIRE_TYPE_END - 1);
			buf[0] = WIRE_MAGIC;
			buf[1] = WIRE_VERSION;
			buf[2] = (uint8_t)t;
			buf[3] = 0;
			/* Contacts pass only with a known family byte and zeros past IPv4. */
			if (n >= 26) {
				buf[7] = (uint8_t)(i & 4 ? WIRE_FAMILY_V6 : WIRE_FAMILY_V4);
				if (!(i & 4))
					memset(buf + 14, 0, 12);
			}
			if (i % 3 == 1 && n >= WIRE_HEADER_LEN) {
				plen = n - WIRE_HEADER_LEN;
				poke(buf, 4, 2, (uint32_t)plen);
			}
		}
		accepted += assert_canonical_if_accepted(buf, n);
	}
	/* Random fields do pass sometimes; if none did, the test tested nothing. */
	ck_assert_int_gt(accepted, 0);
}
END_TEST

CASE_LOOP("fuzz", test_wire_mutated_frames_reencode_identically, 2)
{
	uint8_t	frame[WIRE_MAX_FRAME], buf[WIRE_MAX_FRAME];
	size_t	i, j, n, len, edits;
	long	accepted = 0;
	int	t;

	set_family(_i);
	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		n = sample_frame(t, frame, 17);
		for (i = 0; i < FUZZ_MUTATIONS; i++) {
			memcpy(buf, frame, n);
			len = n;
			edits = 1 + rng_below(4);
			for (j = 0; j < edits; j++) {
				switch (rng_below(8)) {
				case 0:		/* cut */
					len = rng_below(len + 1);
					break;
				case 1:		/* grow by one byte */
					if (len < sizeof buf)
						buf[len++] = (uint8_t)rng_next();
					break;
				case 2:		/* flip a bit */
					if (len > 0)
						buf[rng_below(len)] ^=
						    (uint8_t)(1u << rng_below(8));
					break;
				default:	/* overwrite a byte */
					if (len > 0)
						buf[rng_below(len)] = (uint8_t)rng_next();
					break;
				}
			}
			accepted += assert_canonical_if_accepted(buf, len);
		}
	}
	ck_assert_int_gt(accepted, 0);
}
END_TEST

CASE("codec", test_wire_ping_rsp_v6_layout)
{
	static const uint8_t	want[] = {
		0xCD, 0x04, WIRE_PING_RSP, 0x00, 0x00, 24,
		0x03, 0x06, 0xC3, 0x53,			/* id 3, IPv6, port 50003 */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1,
		0xFF, 0xFF, 0xFF, 0xFE,			/* seq */
		0x09, 0x06, 0xC3, 0x59,			/* succ: id 9, IPv6, port 50009 */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1,
	};
	uint8_t			buf[WIRE_MAX_FRAME];
	struct wire_msg		m;

	set_family(1);
	sample(WIRE_PING_RSP, &m, 0);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), sizeof want);
	ck_assert_mem_eq(buf, want, sizeof want);
	assert_round_trip(&m);
}
END_TEST

/* The header's tag bit is reserved for ring keys: refused, by frame_len as soon as it is seen. */
CASE("validation", test_wire_header_flags_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 flen, n = sample_frame(WIRE_PING_REQ, buf, 0);

	buf[3] = WIRE_HDR_TAG;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "authentication tag not supported");
	why = NULL;
	ck_assert_int_eq(wire_frame_len(buf, 4, &flen, &why), -1);
	ck_assert_str_eq(why, "authentication tag not supported");
	buf[3] = 0x02;
	ck_assert_int_eq(wire_frame_len(buf, 4, &flen, &why), -1);
	ck_assert_str_eq(why, "unknown header flags");
	buf[3] = 0x80;
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "unknown header flags");
	buf[3] = 0;
	ck_assert_int_eq(wire_frame_len(buf, 4, &flen, &why), 1);
}
END_TEST

/* A version 1 frame (the IPv4-only protocol) is refused with a reason naming its version. */
CASE("validation", test_wire_version_1_frame_named)
{
	static const uint8_t	v1[] = {
		0xCD, 0x01, WIRE_PING_REQ, 0x00, 0x05,
		0x03, 127, 0, 0, 1, 0xC3, 0x53, 0x01, 0x02, 0x03, 0x04, 0x02,
	};
	const char		*why = NULL;
	size_t			 flen;

	ck_assert_int_eq(decode_exact(v1, sizeof v1, &why), -1);
	ck_assert_str_eq(why, "unsupported version 1");
	why = NULL;
	ck_assert_int_eq(wire_frame_len(v1, 2, &flen, &why), -1);
	ck_assert_str_eq(why, "unsupported version 1");
}
END_TEST

/* Contacts: a family other than 4 and 6, bytes past an IPv4 address, a zero IPv6 address. */
CASE("validation", test_wire_bad_contact_family_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n;

	assert_field_rejected(WIRE_PING_REQ, 7, 1, 5, "bad sender contact");
	assert_field_rejected(WIRE_PING_REQ, 7, 1, 0, "bad sender contact");
	assert_field_rejected(WIRE_PING_REQ, 7, 1, 255, "bad sender contact");
	assert_field_rejected(WIRE_PING_REQ, 25, 1, 1, "bad sender contact");
	assert_field_rejected(WIRE_PING_REQ, 14, 1, 1, "bad sender contact");
	assert_field_rejected(WIRE_FILE_REQ, P + 6 + 1, 1, 9, "bad origin contact");
	assert_field_rejected(WIRE_DEPART, P + 20 + 19, 1, 7, "bad successor contact");
	set_family(1);
	n = sample_frame(WIRE_PING_REQ, buf, 0);
	memset(buf + 10, 0, 16);
	ck_assert_int_eq(decode_exact(buf, n, &why), -1);
	ck_assert_str_eq(why, "bad sender contact");
	assert_field_rejected(WIRE_JOIN_REQ, P + 1, 1, WIRE_FAMILY_V4, "bad joiner contact");
	assert_field_rejected(WIRE_SUCC_REPLY, P + 24 + 2, 2, 0, "bad successor contact");
}
END_TEST

/* Families may differ within a message (the ring refuses that, not the codec). */
CASE("codec", test_wire_mixed_families_round_trip)
{
	struct wire_msg	m;

	set_family(0);
	sample(WIRE_SUCC_REPLY, &m, 0);
	set_family(1);
	m.u.reply.s2 = mk(12, 1, 2, 3, 4, 50012);
	assert_round_trip(&m);
	ck_assert_uint_eq(m.u.reply.s2.family, CONTACT_V6);
}
END_TEST

/* The family refusal of a join is a reason the codec carries. */
CASE("codec", test_wire_reject_family_reason)
{
	struct wire_msg	m;

	sample(WIRE_JOIN_REJECT, &m, 0);
	m.u.reject.reason = WIRE_REJECT_FAMILY;
	assert_round_trip(&m);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("wire", CASE_OPTS({ "fuzz", FUZZ_TIMEOUT, NULL, NULL }));
}
