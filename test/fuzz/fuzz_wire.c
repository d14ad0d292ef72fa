/* Fuzz target: the wire decoder and framer never crash and agree; decode and encode are each other's inverse. */
#include <string.h>

#include "cdht/wire.h"
#include "fuzz.h"

/* Are two decoded messages the same message (DATA: the same bytes, wherever they are)? */
static bool
fuzz_wire_same(const struct wire_msg *a, const struct wire_msg *b)
{
	if (a->type != b->type || !contact_equal(&a->from, &b->from))
		return false;
#define SAME(f)		(a->u.f == b->u.f)
#define SAME_C(f)	contact_equal(&a->u.f, &b->u.f)
	switch (a->type) {
	case WIRE_PING_REQ:
		return SAME(ping_req.seq) && SAME(ping_req.role) && SAME(ping_req.to);
	case WIRE_PING_RSP:
		return SAME(ping_rsp.seq) && SAME_C(ping_rsp.succ);
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		return SAME(route.file) && SAME(route.id) && SAME_C(route.origin) &&
		    SAME(route.ttl) && SAME(route.flags) && SAME(route.mode);
	case WIRE_FILE_RSP:
		return SAME(file_rsp.file) && SAME(file_rsp.id) && SAME(file_rsp.status) &&
		    SAME(file_rsp.mode) && SAME(file_rsp.size);
	case WIRE_STORE_DATA:
		return SAME(store_data.file) && SAME(store_data.id) && SAME(store_data.size);
	case WIRE_DATA:
		return SAME(data.xfer) && SAME(data.seq) && SAME(data.flags) && SAME(data.len) &&
		    (a->u.data.len == 0 ||
		    memcmp(a->u.data.data, b->u.data.data, a->u.data.len) == 0);
	case WIRE_ACK:
		return SAME(ack.xfer) && SAME(ack.ack) && SAME(ack.sack);
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		return SAME_C(succs.s1) && SAME_C(succs.s2);
	case WIRE_DEPART_ACK:
		return true;
	case WIRE_SUCC_QUERY:
		return SAME(query.qid);
	case WIRE_SUCC_REPLY:
		return SAME(reply.qid) && SAME_C(reply.s1) && SAME_C(reply.s2);
	case WIRE_JOIN_REQ:
		return SAME_C(join.joiner) && SAME(join.ttl);
	case WIRE_JOIN_REJECT:
		return SAME(reject.reason);
	case WIRE_SUCC_CHANGE:
		return SAME_C(change.s1) && SAME_C(change.s2) && SAME(change.ttl);
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_DATA:
		return SAME(hold.file) && SAME(hold.intent) && SAME(hold.size) && SAME(hold.gen) &&
		    SAME(hold.sum);
	case WIRE_HOLD_ANSWER:
		return SAME(hold_answer.file) && SAME(hold_answer.gen) && SAME(hold_answer.status);
	default:
		return false;
	}
#undef SAME
#undef SAME_C
}

/* wire_frame_len on every prefix: a verdict, once given, holds for longer prefixes. */
static void
fuzz_wire_frames(const uint8_t *data, size_t size)
{
	int		 first = 1;
	size_t		 first_len = 0;

	for (size_t avail = 0; avail <= size; avail++) {
		size_t		 flen = 0;
		const char	*why = NULL;
		int		 rc = wire_frame_len(data, avail, &flen, &why);

		FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1, "rc %d", rc);
		if (rc == -1)
			FUZZ_CHECK(why != NULL && *why != '\0', "refused without a reason");
		if (rc == 0)
			FUZZ_CHECK(flen >= WIRE_HEADER_LEN && flen <= WIRE_MAX_FRAME,
			    "frame length %zu", flen);
		if (first != 1)
			FUZZ_CHECK(rc == first && (rc != 0 || flen == first_len),
			    "prefix %zu: verdict %d (%zu) after %d (%zu)", avail, rc, flen, first,
			    first_len);
		if (first == 1 && rc != 1) {
			first = rc;
			first_len = flen;
		}
		/* Past the header the verdict cannot change: skip to the whole input. */
		if (avail > WIRE_HEADER_LEN && avail < size)
			avail = size - 1;
	}
}

/* Encode m; the length, which must not be 0 for a message that decoded. */
static size_t
fuzz_wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	size_t n = wire_encode(m, buf, cap);

	FUZZ_CHECK(n >= WIRE_HEADER_LEN && n <= cap, "a decoded %s encodes to %zu bytes",
	    wire_type_name(m->type), n);
	return n;
}

/* What decoded: encode, decode, encode again; the same message and the same bytes. */
static void
fuzz_wire_round_trip(const struct wire_msg *m, const uint8_t *data, size_t size)
{
	static uint8_t	 e1[WIRE_MAX_FRAME], e2[WIRE_MAX_FRAME];
	struct wire_msg	 m2;
	const char	*why = NULL;
	size_t		 n1, n2;
	uint8_t		*tight;

	n1 = fuzz_wire_encode(m, e1, sizeof e1);
	FUZZ_CHECK(n1 == size && memcmp(e1, data, size) == 0,
	    "a decoded %s re-encodes to other bytes (%zu, was %zu): decoding is not strict",
	    wire_type_name(m->type), n1, size);
	FUZZ_CHECK(wire_decode(e1, n1, &m2, &why) == 0, "re-encoded %s does not decode: %s",
	    wire_type_name(m->type), why);
	FUZZ_CHECK(fuzz_wire_same(m, &m2), "%s changed in a round trip",
	    wire_type_name(m->type));
	n2 = fuzz_wire_encode(&m2, e2, sizeof e2);
	FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0, "second encoding differs");
	/* One byte short: refused, and nothing written past the buffer (ASan watches). */
	tight = malloc(n1 - 1);
	FUZZ_CHECK(tight != NULL, "malloc");
	FUZZ_CHECK(wire_encode(m, tight, n1 - 1) == 0, "encoded into a too small buffer");
	free(tight);
}

/*
 * The encoder's side: a message made of the input's raw bytes (any field values, contacts of
 * any family). Whatever wire_encode accepts must decode to the same message.
 */
static void
fuzz_wire_encode_side(const uint8_t *data, size_t size)
{
	static uint8_t	 buf[WIRE_MAX_FRAME];
	struct wire_msg	 m, d;
	const char	*why = NULL;
	size_t		 head = 1 + sizeof m.from + sizeof m.u, n;

	if (size < head)
		return;
	memset(&m, 0, sizeof m);
	m.type = data[0];
	memcpy(&m.from, data + 1, sizeof m.from);
	memcpy(&m.u, data + 1 + sizeof m.from, sizeof m.u);
	if (m.type == WIRE_DATA) {
		/* The segment's bytes are the rest of the input. */
		m.u.data.data = data + head;
		if (m.u.data.len > size - head)
			m.u.data.len = (uint16_t)(size - head);
	}
	if ((n = wire_encode(&m, buf, sizeof buf)) == 0)
		return;
	FUZZ_CHECK(n >= WIRE_HEADER_LEN && n <= sizeof buf, "encoded %zu bytes", n);
	FUZZ_CHECK(wire_decode(buf, n, &d, &why) == 0, "an encoded %s does not decode: %s",
	    wire_type_name(m.type), why);
	FUZZ_CHECK(fuzz_wire_same(&m, &d), "an encoded %s decodes to another message",
	    wire_type_name(m.type));
}

/* One input: framer on every prefix, decoder, round trip, then the encoder's side. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg	 m;
	const char	*why = NULL;
	size_t		 flen = 0;
	uint8_t		*copy;

	if (size > WIRE_MAX_FRAME + 16)
		return 0;
	/* An exact-size heap copy, so a read past the end is an ASan report. */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL, "malloc");
	memcpy(copy, data, size);
	fuzz_wire_frames(copy, size);
	if (wire_decode(copy, size, &m, &why) != 0) {
		FUZZ_CHECK(why != NULL && *why != '\0', "refused without a reason");
		FUZZ_CHECK(m.type == 0 && m.from.port == 0, "a refused message left fields set");
	} else {
		FUZZ_CHECK(m.type >= WIRE_PING_REQ && m.type < WIRE_TYPE_END, "type %u", m.type);
		FUZZ_CHECK(wire_frame_len(copy, size, &flen, NULL) == 0 && flen == size,
		    "decoded %zu bytes the framer sizes as %zu", size, flen);
		FUZZ_CHECK(contact_is_valid(&m.from), "sender contact invalid");
		fuzz_wire_round_trip(&m, copy, size);
	}
	fuzz_wire_encode_side(copy, size);
	free(copy);
	return 0;
}
