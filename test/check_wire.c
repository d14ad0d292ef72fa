/* Unit tests of the wire codec: round trips, layout, strict rejection, stream framing, fuzz. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
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

/* One field of a message's union: where it is, how long, its name, a valid sample value. */
struct msg_field {
	size_t		 at;
	size_t		 size;		/* bytes; 0 ends a list */
	const char	*name;
	uint64_t	 sample;	/* a contact's is PEER(...) or NONE */
};

/* A sample contact packed in a value: id, address a.b.c.d (fd00::a:b:c:d in IPv6), port. */
#define PEER(id, a, b, c, d, port)	((uint64_t)(id) << 48 | (uint64_t)(a) << 40 | \
	(uint64_t)(b) << 32 | (uint64_t)(c) << 24 | (uint64_t)(d) << 16 | (uint64_t)(port))
#define NONE		0

#define FIELD(f, v) \
	{ offsetof(struct wire_msg, u.f), sizeof(((struct wire_msg *)0)->u.f), #f, (v) }
#define ROUTE(fi, i, o, t, fl, mo) \
	FIELD(route.file, fi), FIELD(route.id, i), FIELD(route.origin, o), \
	FIELD(route.ttl, t), FIELD(route.flags, fl), FIELD(route.mode, mo)
#define HOLD(in) \
	FIELD(hold.file, 7), FIELD(hold.intent, in), FIELD(hold.size, 0xFFFFFFFE), \
	FIELD(hold.gen, 0x0102030405060708ULL), FIELD(hold.sum, 0xF0E0D0C0B0A09080ULL)
#define SUCCS \
	FIELD(succs.s1, PEER(10, 127, 0, 0, 1, 50010)), FIELD(succs.s2, PEER(255, 10, 1, 2, 3, 50255))

/*
 * Every field each type carries, with a distinctive valid value for samples (DATA's len and
 * bytes are the sample's, and are compared apart).
 */
static const struct msg_field	msg_fields[WIRE_TYPE_END][7] = {
	[WIRE_PING_REQ] = { FIELD(ping_req.seq, 0x01020304), FIELD(ping_req.role, 2),
	    FIELD(ping_req.to, 7), FIELD(ping_req.pred, NONE) },
	[WIRE_PING_RSP] = { FIELD(ping_rsp.seq, 0xFFFFFFFE),
	    FIELD(ping_rsp.succ, PEER(9, 127, 0, 0, 1, 50009)) },
	[WIRE_FILE_REQ] = { ROUTE(2067, 0x0A0B0C0D, PEER(200, 192, 168, 1, 20, 65535), 254,
	    WIRE_ROUTE_OWNER, WIRE_MODE_TCP) },
	[WIRE_FILE_RSP] = { FIELD(file_rsp.file, 4103), FIELD(file_rsp.id, 0x80000001),
	    FIELD(file_rsp.status, WIRE_STATUS_ABSENT), FIELD(file_rsp.mode, WIRE_MODE_TCP),
	    FIELD(file_rsp.size, 0xDEADBEEF) },
	[WIRE_STORE_REQ] = { ROUTE(9999, 1, PEER(0, 10, 0, 0, 1, 1), 0, 0, WIRE_MODE_UDP) },
	[WIRE_STORE_DATA] = { FIELD(store_data.file, 0), FIELD(store_data.id, 42),
	    FIELD(store_data.size, 1234567) },
	[WIRE_DATA] = { FIELD(data.xfer, 0x11223344), FIELD(data.seq, 60001),
	    FIELD(data.flags, WIRE_DATA_LAST), FIELD(data.len, 0) },
	[WIRE_ACK] = { FIELD(ack.xfer, 0x11223344), FIELD(ack.ack, 0xFFFFFFFF),
	    FIELD(ack.sack, 0xABCDEF01) },
	[WIRE_DEPART] = { SUCCS },
	[WIRE_SUCC_QUERY] = { FIELD(query.qid, 0xCAFEBABE) },
	[WIRE_SUCC_REPLY] = { FIELD(reply.qid, 7), FIELD(reply.s1, PEER(10, 127, 0, 0, 1, 50010)),
	    FIELD(reply.s2, PEER(12, 127, 0, 0, 2, 50012)) },
	[WIRE_JOIN_REQ] = { FIELD(join.joiner, PEER(15, 127, 0, 0, 1, 50015)),
	    FIELD(join.ttl, 255) },
	[WIRE_JOIN_ACCEPT] = { SUCCS },
	[WIRE_JOIN_REJECT] = { FIELD(reject.reason, WIRE_REJECT_NOT_READY) },
	[WIRE_SUCC_CHANGE] = { FIELD(change.s1, PEER(10, 127, 0, 0, 1, 50010)),
	    FIELD(change.s2, PEER(12, 127, 0, 0, 1, 50012)), FIELD(change.ttl, 3) },
	[WIRE_HOLD_OFFER] = { HOLD(3) },
	[WIRE_HOLD_ANSWER] = { FIELD(hold_answer.file, 9999),
	    FIELD(hold_answer.gen, 0xFFFFFFFFFFFFFFFFULL), FIELD(hold_answer.status, 8) },
	[WIRE_HOLD_DATA] = { HOLD(0) },
};

/* Set field f of m to its sample value. */
static void
set_sample_field(struct wire_msg *m, const struct msg_field *f)
{
	uint64_t	v = f->sample;
	uint32_t	v32 = (uint32_t)v;
	uint16_t	v16 = (uint16_t)v;
	uint8_t		v8 = (uint8_t)v;
	struct contact	c = { 0 };

	if (f->size == sizeof c && v != NONE)
		c = mk((uint8_t)(v >> 48), (uint8_t)(v >> 40), (uint8_t)(v >> 32),
		    (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint16_t)v);
	memcpy((char *)m + f->at, f->size == 1 ? (const void *)&v8 : f->size == 2 ?
	    (const void *)&v16 : f->size == 4 ? (const void *)&v32 : f->size == 8 ?
	    (const void *)&v : (const void *)&c, f->size);
}

/* Fill m with a valid message of type, with distinctive values in every field. */
static void
sample(int type, struct wire_msg *m, uint16_t data_len)
{
	const struct msg_field	*f;

	memset(m, 0, sizeof *m);
	m->type = (uint8_t)type;
	m->from = mk(3, 127, 0, 0, 1, 50003);
	for (f = msg_fields[type]; f->size > 0; f++)
		set_sample_field(m, f);
	if (type == WIRE_DATA) {
		m->u.data.len = data_len;
		m->u.data.data = pattern();
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

/* What a test does with one sample: the message and its frame of n bytes (room for 64 more). */
typedef void	sample_check(const struct wire_msg *m, uint8_t *frame, size_t n);

/*
 * Call check on a valid sample of every type, encoded: DATA once per length in lens
 * (nlens of them), the others once.
 */
static void
each_sample(const uint16_t *lens, size_t nlens, sample_check *check)
{
	static uint8_t	frame[WIRE_MAX_FRAME + 64];
	struct wire_msg	m;
	size_t		i;
	int		t;

	for (t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		for (i = 0; i < (t == WIRE_DATA ? nlens : 1); i++) {
			sample(t, &m, lens[i]);
			check(&m, frame, sample_frame(t, frame, lens[i]));
		}
	}
}

/* each_sample with the DATA lengths listed in place. */
#define EACH_SAMPLE(check, ...)	each_sample((const uint16_t[]){ __VA_ARGS__ }, \
	sizeof((const uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t), (check))

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

/* Assert that the n bytes at buf do not decode, for exactly this reason. */
static void
assert_refused(const uint8_t *buf, size_t n, const char *reason)
{
	const char	*why = NULL;

	ck_assert_msg(decode_exact(buf, n, &why) == -1, "%zu bytes of type %u accepted", n,
	    n > 2 ? buf[2] : 0u);
	ck_assert_str_eq(why, reason);
}

/* Assert that wire_frame_len refuses the first avail bytes of buf (for reason, if not NULL). */
static void
assert_frame_refused(const uint8_t *buf, size_t avail, const char *reason)
{
	const char	*why = NULL;
	size_t		 flen;

	ck_assert_int_eq(wire_frame_len(buf, avail, &flen, &why), -1);
	if (reason != NULL)
		ck_assert_str_eq(why, reason);
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
	const struct msg_field	*f;

	ck_assert_uint_eq(a->type, b->type);
	assert_contact_eq(&a->from, &b->from);
	for (f = msg_fields[a->type]; f->size > 0; f++)
		ck_assert_msg(memcmp((const char *)a + f->at, (const char *)b + f->at, f->size) == 0,
		    "%s: %s differs", wire_type_name(a->type), f->name);
	if (a->type == WIRE_DATA && a->u.data.len > 0)
		ck_assert_mem_eq(a->u.data.data, b->u.data.data, a->u.data.len);
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

/* Write a big-endian value of width bytes at buf[off] (bytes past the 8 low ones are 0). */
static void
poke(uint8_t *buf, size_t off, int width, uint64_t v)
{
	int	i;

	for (i = width - 1; i >= 0; i--) {
		buf[off + (size_t)i] = (uint8_t)v;
		v >>= 8;
	}
}

/* A valid sample of type, with value poked at off, must be rejected for reason. */
static void
assert_field_rejected(int type, size_t off, int width, uint64_t value, const char *reason)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(type, buf, 5);

	ck_assert_int_eq(decode_exact(buf, n, &why), 0);
	poke(buf, off, width, value);
	ck_assert_msg(decode_exact(buf, n, &why) == -1, "%s with 0x%llx at %zu accepted",
	    wire_type_name(type), (unsigned long long)value, off);
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

/* A sample must decode back to the message it was encoded from. */
static void
round_trips(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	(void)frame;
	(void)n;
	assert_round_trip(m);
}

CASE_LOOP("codec", test_wire_round_trip_every_type, 2)
{
	set_family(_i);
	EACH_SAMPLE(round_trips, 0, 1, WIRE_MAX_MSS - 1, WIRE_MAX_MSS);
}
END_TEST

/* The sender contact of every IPv4 sample: id 3, IPv4, port 50003, 127.0.0.1, then zeros. */
#define FROM_V4		0x03, 0x04, 0xC3, 0x53, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* Frames byte for byte as docs/PROTOCOL.md lays them out, and the samples they encode. */
static const struct layout {
	uint8_t		type;
	uint16_t	data_len;
	int		family;
	size_t		len;		/* bytes of the frame */
	uint8_t		want[56];
} layouts[] = {
	{ WIRE_PING_REQ, 0, CONTACT_V4, 52, {
		0xCD, 0x04, WIRE_PING_REQ, 0x00, 0x00, 26, FROM_V4,
		0x01, 0x02, 0x03, 0x04, 0x02, 0x07,	/* seq, role, to */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* pred: none */
	} },
	{ WIRE_FILE_REQ, 0, CONTACT_V4, 55, {
		0xCD, 0x04, WIRE_FILE_REQ, 0x00, 0x00, 29, FROM_V4,
		0x08, 0x13,				/* file 2067 */
		0x0A, 0x0B, 0x0C, 0x0D,			/* id */
		200, 0x04, 0xFF, 0xFF, 192, 168, 1, 20,	/* origin */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		254, WIRE_ROUTE_OWNER, WIRE_MODE_TCP,	/* ttl, flags, mode */
	} },
	/* DATA's payload length counts its file bytes. */
	{ WIRE_DATA, 3, CONTACT_V4, 40, {
		0xCD, 0x04, WIRE_DATA, 0x00, 0x00, 11 + 3, FROM_V4,
		0x11, 0x22, 0x33, 0x44,			/* xfer */
		0x00, 0x00, 0xEA, 0x61,			/* seq 60001 */
		WIRE_DATA_LAST, 0x00, 0x03,		/* flags, len */
		7, 38, 69,				/* the pattern's first bytes */
	} },
	{ WIRE_PING_RSP, 0, CONTACT_V6, 50, {
		0xCD, 0x04, WIRE_PING_RSP, 0x00, 0x00, 24,
		0x03, 0x06, 0xC3, 0x53,			/* id 3, IPv6, port 50003 */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1,
		0xFF, 0xFF, 0xFF, 0xFE,			/* seq */
		0x09, 0x06, 0xC3, 0x59,			/* succ: id 9, IPv6, port 50009 */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1,
	} },
	/* The hold messages: types 17, 18 and 19. */
	{ WIRE_HOLD_OFFER, 0, CONTACT_V4, P + 23, {
		0xCD, 0x04, 17, 0x00, 0x00, 23, FROM_V4,
		0, 7, 3, 0xFF, 0xFF, 0xFF, 0xFE,	/* file, intent, size */
		1, 2, 3, 4, 5, 6, 7, 8, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80,
	} },
	{ WIRE_HOLD_ANSWER, 0, CONTACT_V4, P + 11, {
		0xCD, 0x04, 18, 0x00, 0x00, 11, FROM_V4,
		0x27, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 8,
	} },
	{ WIRE_HOLD_DATA, 0, CONTACT_V4, P + 22, {
		0xCD, 0x04, 19, 0x00, 0x00, 22, FROM_V4,
		0, 7, 0xFF, 0xFF, 0xFF, 0xFE,		/* file, size: no intent */
		1, 2, 3, 4, 5, 6, 7, 8, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80,
	} },
};

#define N_LAYOUTS	((int)(sizeof layouts / sizeof layouts[0]))

CASE_LOOP("codec", test_wire_layout_matches_protocol_doc, N_LAYOUTS)
{
	const struct layout	*l = &layouts[_i];
	uint8_t			 buf[WIRE_MAX_FRAME];
	struct wire_msg		 m;

	set_family(l->family == CONTACT_V6);
	sample(l->type, &m, l->data_len);
	ck_assert_uint_eq(wire_encode(&m, buf, sizeof buf), l->len);
	ck_assert_mem_eq(buf, l->want, l->len);
	assert_round_trip(&m);
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
	sample(WIRE_HOLD_DATA, &m, 0);
	m.u.hold.intent = 1;	/* a copy carries no intent */
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

/* No capacity short of the whole frame is written to, and the whole frame is enough. */
static void
small_buffer_refused(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	uint8_t	*buf;
	size_t	 cap, i;

	(void)frame;
	ck_assert_uint_eq(wire_encode(m, NULL, 0), 0);
	for (cap = 0; cap < n; cap++) {
		/* Exactly cap bytes on the heap: a write past cap trips ASan. */
		buf = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(buf);
		memset(buf, 0xA5, cap > 0 ? cap : 1);
		ck_assert_uint_eq(wire_encode(m, buf, cap), 0);
		for (i = 0; i < cap; i++)
			ck_assert_uint_eq(buf[i], 0xA5);
		free(buf);
	}
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(wire_encode(m, buf, n), n);
	free(buf);
}

CASE("codec", test_wire_encode_small_buffer_returns_zero)
{
	EACH_SAMPLE(small_buffer_refused, 21);
}
END_TEST

/* Every cut of a valid frame is refused as truncated. */
static void
every_cut_refused(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	size_t	k;

	for (k = 0; k < n; k++) {
		const char	*why = NULL;

		ck_assert_msg(decode_exact(frame, k, &why) == -1,
		    "%s cut to %zu of %zu bytes accepted", wire_type_name(m->type), k, n);
		ck_assert_str_eq(why, "truncated");
	}
}

CASE_LOOP("validation", test_wire_every_truncation_rejected, 2)
{
	set_family(_i);
	EACH_SAMPLE(every_cut_refused, 0, 1, 37);
}
END_TEST

/* A valid frame with one byte more is refused for its trailing byte. */
static void
trailing_byte_refused(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	(void)m;
	frame[n] = 0;
	assert_refused(frame, n + 1, "trailing bytes");
}

CASE_LOOP("validation", test_wire_trailing_byte_rejected, 2)
{
	set_family(_i);
	EACH_SAMPLE(trailing_byte_refused, 4);
}
END_TEST

CASE("validation", test_wire_bad_magic_rejected)
{
	uint8_t	buf[WIRE_MAX_FRAME];
	size_t	n = sample_frame(WIRE_PING_RSP, buf, 0);

	buf[0] = 0xCE;
	assert_refused(buf, n, "bad magic");
}
END_TEST

/*
 * Every other version is refused by name: 2 was before the replicas' PING_REQ.pred and HOLD
 * messages, 3 before PING_REQ.to.
 */
CASE("validation", test_wire_bad_version_rejected)
{
	static const uint8_t	versions[] = { 1, 2, 3, 5, 0, 255 };
	uint8_t			buf[WIRE_MAX_FRAME];
	char			reason[32];
	size_t			i, n = sample_frame(WIRE_PING_RSP, buf, 0);

	for (i = 0; i < sizeof versions; i++) {
		buf[1] = versions[i];
		snprintf(reason, sizeof reason, "unsupported version %u", versions[i]);
		assert_refused(buf, n, reason);
	}
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

/* Claim one byte more and one byte less than a fixed-length type has, with the buffer to match. */
static void
wrong_length_refused(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	const char	*why = NULL;
	size_t		 plen = n - P;

	if (m->type == WIRE_DATA)
		return;
	frame[n] = 0;
	poke(frame, 4, 2, plen + 1);
	ck_assert_int_eq(decode_exact(frame, n + 1, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "length mismatch for "));
	ck_assert_str_eq(why + strlen("length mismatch for "), wire_type_name(m->type));
	if (plen > 0) {
		poke(frame, 4, 2, plen - 1);
		why = NULL;
		ck_assert_int_eq(decode_exact(frame, n - 1, &why), -1);
		ck_assert_ptr_nonnull(strstr(why, "length mismatch for "));
	}
}

CASE("validation", test_wire_wrong_payload_length_rejected)
{
	EACH_SAMPLE(wrong_length_refused, 0);
}
END_TEST

/* A value a field must refuse: poked big-endian at off into a valid frame, refused for why. */
struct probe {
	size_t		 off;		/* bytes into the frame */
	int		 width;		/* bytes */
	const char	*why;		/* NULL ends a list */
	size_t		 n;
	uint64_t	 bad[3];
};

#define BAD(...)	sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), { __VA_ARGS__ }

/*
 * Each type's checked fields, with values they must refuse, in samples of one family. The
 * sender is probed for a family other than 4 and 6, bytes past an IPv4 address, no address
 * and no port.
 */
static const struct bad_fields {
	uint8_t		type;
	int		family;		/* CONTACT_V4 or CONTACT_V6 */
	struct probe	probe[5];
} bad_fields[] = {
	{ WIRE_PING_REQ, CONTACT_V4, {
		{ 7, 1, "bad sender contact", BAD(5, 0, 255) },
		{ 25, 1, "bad sender contact", BAD(1) },
		{ 14, 1, "bad sender contact", BAD(1) },
		{ P + 4, 1, "bad role", BAD(0, 3) } } },
	{ WIRE_PING_REQ, CONTACT_V6, { { 10, 16, "bad sender contact", BAD(0) } } },
	{ WIRE_PING_RSP, CONTACT_V4, {
		{ 8, 2, "bad sender contact", BAD(0) },
		{ 10, 4, "bad sender contact", BAD(0) } } },
	{ WIRE_FILE_REQ, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(10000) },
		{ P + 6 + 1, 1, "bad origin contact", BAD(9) },
		{ P + 27, 1, "unknown route flags", BAD(0x02, 0xFF) },
		{ P + 28, 1, "bad mode", BAD(2) } } },
	{ WIRE_FILE_RSP, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(10000) },
		{ P + 6, 1, "bad status", BAD(2, 255) },
		{ P + 7, 1, "bad mode", BAD(2) } } },
	{ WIRE_STORE_REQ, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(10000) },
		{ P + 27, 1, "unknown route flags", BAD(0x80) },
		{ P + 28, 1, "bad mode", BAD(2) } } },
	{ WIRE_STORE_DATA, CONTACT_V4, { { P + 0, 2, "bad file number", BAD(10000, 0xFFFF) } } },
	/* Sequence numbers count bytes from 1; len must be what the payload length says. */
	{ WIRE_DATA, CONTACT_V4, {
		{ P + 4, 4, "bad sequence number", BAD(0) },
		{ P + 8, 1, "unknown data flags", BAD(0x02, 0xFF) },
		{ P + 9, 2, "data length mismatch", BAD(4, 6, 0) } } },
	{ WIRE_ACK, CONTACT_V4, { { P + 4, 4, "bad ack", BAD(0) } } },
	{ WIRE_DEPART, CONTACT_V4, { { P + 20 + 19, 1, "bad successor contact", BAD(7) } } },
	/* Half a none (no port, or no address) is no contact at all. */
	{ WIRE_SUCC_REPLY, CONTACT_V4, {
		{ P + 4 + 2, 2, "bad successor contact", BAD(0) },
		{ P + 24 + 4, 4, "bad successor contact", BAD(0) } } },
	{ WIRE_SUCC_REPLY, CONTACT_V6, { { P + 24 + 2, 2, "bad successor contact", BAD(0) } } },
	{ WIRE_JOIN_REQ, CONTACT_V4, { { 10, 4, "bad sender contact", BAD(0) } } },
	{ WIRE_JOIN_REQ, CONTACT_V6, { { P + 1, 1, "bad joiner contact", BAD(WIRE_FAMILY_V4) } } },
	{ WIRE_JOIN_REJECT, CONTACT_V4, { { P + 0, 1, "bad reject reason", BAD(0, 4, 255) } } },
	{ WIRE_HOLD_OFFER, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(10000) },
		{ P + 2, 1, "bad intent", BAD(0, 4) },
		{ P + 3, 4, "bad size", BAD(0xFFFFFFFF) },
		{ P + 7, 8, "bad version", BAD(0) } } },
	{ WIRE_HOLD_ANSWER, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(10000) },
		{ P + 2, 8, "bad version", BAD(0) },
		{ P + 10, 1, "bad status", BAD(9, 255) } } },
	{ WIRE_HOLD_DATA, CONTACT_V4, {
		{ P + 0, 2, "bad file number", BAD(0xFFFF) },
		{ P + 2, 4, "bad size", BAD(0xFFFFFFFF) },
		{ P + 6, 8, "bad version", BAD(0) } } },
};

#define N_BAD_FIELDS	((int)(sizeof bad_fields / sizeof bad_fields[0]))

CASE_LOOP("validation", test_wire_bad_field_rejected, N_BAD_FIELDS)
{
	const struct bad_fields	*b = &bad_fields[_i];
	const struct probe	*p;
	size_t			 i;

	set_family(b->family == CONTACT_V6);
	for (p = b->probe; p->why != NULL; p++)
		for (i = 0; i < p->n; i++)
			assert_field_rejected(b->type, p->off, p->width, p->bad[i], p->why);
}
END_TEST

CASE("validation", test_wire_ping_req_pred_round_trip_and_checked)
{
	uint8_t		buf[WIRE_MAX_FRAME];
	struct wire_msg	m;
	size_t		n;

	sample(WIRE_PING_REQ, &m, 0);
	m.u.ping_req.pred = mk(200, 127, 0, 0, 1, 50200);
	assert_round_trip(&m);
	n = wire_encode(&m, buf, sizeof buf);
	ck_assert_uint_eq(n, P + 26);
	ck_assert_uint_eq(buf[P + 5], 7);	/* to */
	ck_assert_uint_eq(buf[P + 6], 200);
	buf[P + 7] = 5;		/* family 5 */
	assert_refused(buf, n, "bad predecessor contact");
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

CASE_LOOP("validation", test_wire_none_contact_rejected_where_not_allowed, 2)
{
	/* The contacts of each type that must be a peer, not none (0 ends a list). */
	static const struct {
		int		 type;
		const char	*why;
		size_t		 off[3];
	} at[] = {
		{ WIRE_FILE_REQ, "bad origin contact", { P + 6 } },
		{ WIRE_STORE_REQ, "bad origin contact", { P + 6 } },
		{ WIRE_DEPART, "bad successor contact", { P + 0, P + 20 } },
		{ WIRE_JOIN_ACCEPT, "bad successor contact", { P + 0, P + 20 } },
		{ WIRE_SUCC_CHANGE, "bad successor contact", { P + 0, P + 20 } },
		{ WIRE_JOIN_REQ, "bad joiner contact", { P + 0 } },
		{ WIRE_PING_REQ, "bad sender contact", { 6 } },
		{ WIRE_SUCC_REPLY, "bad sender contact", { 6 } },
	};
	uint8_t		 buf[WIRE_MAX_FRAME];
	size_t		 i, j, n;

	set_family(_i);
	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		for (j = 0; at[i].off[j] != 0; j++) {
			n = sample_frame(at[i].type, buf, 0);
			memset(buf + at[i].off[j], 0, WIRE_CONTACT_LEN);
			assert_refused(buf, n, at[i].why);
		}
	}
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

/* A none with a stray id byte is not the all-zero none. */
CASE("validation", test_wire_succ_reply_half_none_contact_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 n = sample_frame(WIRE_SUCC_REPLY, buf, 0);

	memset(buf + P + 24, 0, WIRE_CONTACT_LEN);
	ck_assert_int_eq(decode_exact(buf, n, &why), 0);
	buf[P + 24] = 12;
	assert_refused(buf, n, "bad successor contact");
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

/*
 * Every prefix of a frame: shorter than a header is 'need more' with the length left alone;
 * from the header on, whether the body is partly there, whole, or followed by the next
 * frame, it is the frame's length.
 */
static void
prefixes_framed(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	const char	*why;
	size_t		 k, flen;

	for (k = 0; k < WIRE_HEADER_LEN; k++) {
		flen = 12345;
		ck_assert_msg(wire_frame_len(frame, k, &flen, &why) == 1,
		    "%s prefix of %zu bytes not 'need more'", wire_type_name(m->type), k);
		ck_assert_uint_eq(flen, 12345);
	}
	for (; k <= n + 64; k++) {
		flen = 0;
		ck_assert_int_eq(wire_frame_len(frame, k, &flen, &why), 0);
		ck_assert_uint_eq(flen, n);
	}
}

CASE("framing", test_wire_frame_len_on_every_prefix)
{
	EACH_SAMPLE(prefixes_framed, 3, 300);
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

	assert_frame_refused(buf, 2, "unsupported version 9");
	buf[1] = WIRE_VERSION;
	ck_assert_int_eq(wire_frame_len(buf, 2, &flen, &why), 1);
	buf[2] = 0;
	assert_frame_refused(buf, 3, "unknown type 0");
}
END_TEST

CASE("framing", test_wire_frame_len_rejects_impossible_length)
{
	uint8_t	buf[6] = { WIRE_MAGIC, WIRE_VERSION, WIRE_PING_REQ, 0, 0, 6 };

	assert_frame_refused(buf, 6, "length mismatch for PING_REQ");
	buf[2] = WIRE_DEPART_ACK;
	buf[5] = 1;
	assert_frame_refused(buf, 6, NULL);
	buf[2] = WIRE_DATA;
	poke(buf, 4, 2, 10);
	assert_frame_refused(buf, 6, "length mismatch for DATA");
	poke(buf, 4, 2, 11 + WIRE_MAX_MSS + 1);
	assert_frame_refused(buf, 6, NULL);
	poke(buf, 4, 2, 0xFFFF);
	assert_frame_refused(buf, 6, NULL);
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

/* Mutated frames that still decoded, over one test's samples. */
static long	fuzz_accepted;

/* Mutate a valid frame FUZZ_MUTATIONS times: whatever still decodes is canonical. */
static void
mutations_canonical(const struct wire_msg *m, uint8_t *frame, size_t n)
{
	static uint8_t	buf[WIRE_MAX_FRAME];
	size_t		i, j, len, edits;
	long		accepted = 0;

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
					buf[rng_below(len)] ^= (uint8_t)(1u << rng_below(8));
				break;
			default:	/* overwrite a byte */
				if (len > 0)
					buf[rng_below(len)] = (uint8_t)rng_next();
				break;
			}
		}
		accepted += assert_canonical_if_accepted(buf, len);
	}
	fuzz_accepted += accepted;
	(void)m;
}

CASE_LOOP("fuzz", test_wire_mutated_frames_reencode_identically, 2)
{
	set_family(_i);
	fuzz_accepted = 0;
	EACH_SAMPLE(mutations_canonical, 17);
	ck_assert_int_gt(fuzz_accepted, 0);
}
END_TEST

/* The header's tag bit is reserved for ring keys: refused, by frame_len as soon as it is seen. */
CASE("validation", test_wire_header_flags_rejected)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	const char	*why = NULL;
	size_t		 flen, n = sample_frame(WIRE_PING_REQ, buf, 0);

	buf[3] = WIRE_HDR_TAG;
	assert_refused(buf, n, "authentication tag not supported");
	assert_frame_refused(buf, 4, "authentication tag not supported");
	buf[3] = 0x02;
	assert_frame_refused(buf, 4, "unknown header flags");
	buf[3] = 0x80;
	assert_refused(buf, n, "unknown header flags");
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

	assert_refused(v1, sizeof v1, "unsupported version 1");
	assert_frame_refused(v1, 2, "unsupported version 1");
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
