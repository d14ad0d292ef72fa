/* The wire codec: big-endian, exact-length, strictly validated messages (docs/PROTOCOL.md). */
#include <string.h>

#include "cdht/wire.h"

#define WIRE_FILE_MAX		9999	/* largest file number a message may name */
#define WIRE_DATA_FIXED		11	/* bytes of a DATA payload before its file bytes */
#define WIRE_LEN_VARIABLE	(-1)	/* table marker: payload length depends on a field */

/* Offsets into the header, in bytes. */
#define WIRE_OFF_MAGIC		0
#define WIRE_OFF_VERSION	1
#define WIRE_OFF_TYPE		2
#define WIRE_OFF_FLAGS		3
#define WIRE_OFF_LENGTH		4
#define WIRE_OFF_SENDER		6

/* What every type looks like on the wire: its name, its mismatch reason, its payload length. */
struct wire_type_info {
	const char	*name;
	const char	*mismatch;
	int		 len;		/* bytes, or WIRE_LEN_VARIABLE */
};

#define WIRE_T(n, l)	{ #n, "length mismatch for " #n, (l) }

static const struct wire_type_info wire_types[WIRE_TYPE_END] = {
	[WIRE_PING_REQ] =	WIRE_T(PING_REQ, 26),
	[WIRE_PING_RSP] =	WIRE_T(PING_RSP, 24),
	[WIRE_FILE_REQ] =	WIRE_T(FILE_REQ, 29),
	[WIRE_FILE_RSP] =	WIRE_T(FILE_RSP, 12),
	[WIRE_STORE_REQ] =	WIRE_T(STORE_REQ, 29),
	[WIRE_STORE_DATA] =	WIRE_T(STORE_DATA, 10),
	[WIRE_DATA] =		WIRE_T(DATA, WIRE_LEN_VARIABLE),
	[WIRE_ACK] =		WIRE_T(ACK, 12),
	[WIRE_DEPART] =		WIRE_T(DEPART, 40),
	[WIRE_DEPART_ACK] =	WIRE_T(DEPART_ACK, 0),
	[WIRE_SUCC_QUERY] =	WIRE_T(SUCC_QUERY, 4),
	[WIRE_SUCC_REPLY] =	WIRE_T(SUCC_REPLY, 44),
	[WIRE_JOIN_REQ] =	WIRE_T(JOIN_REQ, 21),
	[WIRE_JOIN_ACCEPT] =	WIRE_T(JOIN_ACCEPT, 40),
	[WIRE_JOIN_REJECT] =	WIRE_T(JOIN_REJECT, 1),
	[WIRE_SUCC_CHANGE] =	WIRE_T(SUCC_CHANGE, 41),
	[WIRE_HOLD_OFFER] =	WIRE_T(HOLD_OFFER, 23),
	[WIRE_HOLD_ANSWER] =	WIRE_T(HOLD_ANSWER, 11),
	[WIRE_HOLD_DATA] =	WIRE_T(HOLD_DATA, 22),
};

/*
 * Reasons naming a byte value must outlive the call without a buffer, so every value of
 * the version and type bytes has its own string: p "0" ... p "255".
 */
#define WIRE_D10(p, s)	p s "0", p s "1", p s "2", p s "3", p s "4", \
			p s "5", p s "6", p s "7", p s "8", p s "9"
#define WIRE_N256(p)	WIRE_D10(p, ""), \
	WIRE_D10(p, "1"), WIRE_D10(p, "2"), WIRE_D10(p, "3"), WIRE_D10(p, "4"), \
	WIRE_D10(p, "5"), WIRE_D10(p, "6"), WIRE_D10(p, "7"), WIRE_D10(p, "8"), \
	WIRE_D10(p, "9"), WIRE_D10(p, "10"), WIRE_D10(p, "11"), WIRE_D10(p, "12"), \
	WIRE_D10(p, "13"), WIRE_D10(p, "14"), WIRE_D10(p, "15"), WIRE_D10(p, "16"), \
	WIRE_D10(p, "17"), WIRE_D10(p, "18"), WIRE_D10(p, "19"), WIRE_D10(p, "20"), \
	WIRE_D10(p, "21"), WIRE_D10(p, "22"), WIRE_D10(p, "23"), WIRE_D10(p, "24"), \
	p "250", p "251", p "252", p "253", p "254", p "255"

static const char *const wire_bad_version[] = { WIRE_N256("unsupported version ") };
static const char *const wire_bad_type[] = { WIRE_N256("unknown type ") };

_Static_assert(sizeof wire_bad_version / sizeof wire_bad_version[0] == 256,
    "one version reason per byte value");
_Static_assert(sizeof wire_bad_type / sizeof wire_bad_type[0] == 256,
    "one type reason per byte value");
_Static_assert(WIRE_DATA_FIXED + WIRE_MAX_MSS <= WIRE_MAX_PAYLOAD,
    "the largest DATA payload fits WIRE_MAX_PAYLOAD");
_Static_assert(WIRE_FAMILY_V4 == CONTACT_V4 && WIRE_FAMILY_V6 == CONTACT_V6,
    "the family byte on the wire is the in-memory family");
_Static_assert(WIRE_DATA_FIXED + WIRE_MAX_MSS <= UINT16_MAX,
    "the payload length of the largest DATA fits in 16 bits");

/* Read a big-endian u16 at *p and step past it. */
static uint16_t
wire_get16(const uint8_t **p)
{
	const uint8_t	*b = *p;

	*p += 2;
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

/* Read a big-endian u32 at *p and step past it. */
static uint32_t
wire_get32(const uint8_t **p)
{
	const uint8_t	*b = *p;

	*p += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Read a big-endian u64 at *p and step past it. */
static uint64_t
wire_get64(const uint8_t **p)
{
	uint64_t	hi = wire_get32(p);

	return hi << 32 | wire_get32(p);
}

/*
 * Read a contact at *p exactly as sent: id, family, port, 16 address bytes (network order on
 * both sides). wire_check judges it; keeping every byte keeps the encoding canonical.
 */
static void
wire_get_contact(const uint8_t **p, struct contact *c)
{
	memset(c, 0, sizeof *c);
	c->id = *(*p)++;
	c->family = *(*p)++;
	c->port = wire_get16(p);
	memcpy(c->addr, *p, sizeof c->addr);
	*p += sizeof c->addr;
}

/* Write a big-endian u16 at *p and step past it. */
static void
wire_put16(uint8_t **p, uint16_t v)
{
	(*p)[0] = (uint8_t)(v >> 8);
	(*p)[1] = (uint8_t)v;
	*p += 2;
}

/* Write a big-endian u32 at *p and step past it. */
static void
wire_put32(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)(v >> 24);
	(*p)[1] = (uint8_t)(v >> 16);
	(*p)[2] = (uint8_t)(v >> 8);
	(*p)[3] = (uint8_t)v;
	*p += 4;
}

/* Write a big-endian u64 at *p and step past it. */
static void
wire_put64(uint8_t **p, uint64_t v)
{
	wire_put32(p, (uint32_t)(v >> 32));
	wire_put32(p, (uint32_t)v);
}

/* Write a contact at *p (the caller checked it; "none" is all zero). */
static void
wire_put_contact(uint8_t **p, const struct contact *c)
{
	*(*p)++ = c->id;
	*(*p)++ = c->family;
	wire_put16(p, c->port);
	memcpy(*p, c->addr, sizeof c->addr);
	*p += sizeof c->addr;
}

/* Is c a reachable peer: IPv4 or IPv6, an address (nothing past it) and a port? */
static bool
wire_contact_valid(const struct contact *c)
{
	return contact_is_valid(c);
}

/* Is c either reachable or exactly the all-zero "none"? */
static bool
wire_contact_valid_or_none(const struct contact *c)
{
	return wire_contact_valid(c) || contact_is_none(c);
}

/* Is type a message type this version knows? */
static bool
wire_type_known(unsigned type)
{
	return type >= WIRE_PING_REQ && type < WIRE_TYPE_END;
}

/* Check a routed request or store; NULL if valid, else the reason. */
static const char *
wire_check_route(const struct wire_route *r)
{
	if (r->file > WIRE_FILE_MAX)
		return "bad file number";
	if (!wire_contact_valid(&r->origin))
		return "bad origin contact";
	if ((r->flags & ~WIRE_ROUTE_OWNER) != 0)
		return "unknown route flags";
	if (r->mode != WIRE_MODE_UDP && r->mode != WIRE_MODE_TCP)
		return "bad mode";
	return NULL;
}

/* Check a hold offer or copy header; NULL if valid, else the reason. */
static const char *
wire_check_hold(const struct wire_msg *m)
{
	if (m->u.hold.file > WIRE_FILE_MAX)
		return "bad file number";
	if (m->type == WIRE_HOLD_OFFER ? m->u.hold.intent < 1 ||
	    m->u.hold.intent > WIRE_HOLD_INTENT_MAX : m->u.hold.intent != 0)
		return "bad intent";
	if (m->u.hold.size > WIRE_HOLD_SIZE_MAX)
		return "bad size";
	if (m->u.hold.gen == 0)
		return "bad version";
	return NULL;
}

/* Check every field of a message, header and payload; NULL if valid, else the reason. */
static const char *
wire_check(const struct wire_msg *m)
{
	if (!wire_type_known(m->type))
		return wire_bad_type[m->type];
	if (!wire_contact_valid(&m->from))
		return "bad sender contact";

	switch (m->type) {
	case WIRE_PING_REQ:
		if (m->u.ping_req.role != 1 && m->u.ping_req.role != 2)
			return "bad role";
		if (!wire_contact_valid_or_none(&m->u.ping_req.pred))
			return "bad predecessor contact";
		break;
	case WIRE_PING_RSP:
		if (!wire_contact_valid_or_none(&m->u.ping_rsp.succ))
			return "bad successor contact";
		break;
	case WIRE_DEPART_ACK:
	case WIRE_SUCC_QUERY:
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		return wire_check_route(&m->u.route);
	case WIRE_FILE_RSP:
		if (m->u.file_rsp.file > WIRE_FILE_MAX)
			return "bad file number";
		if (m->u.file_rsp.status != WIRE_STATUS_HAVE &&
		    m->u.file_rsp.status != WIRE_STATUS_ABSENT)
			return "bad status";
		if (m->u.file_rsp.mode != WIRE_MODE_UDP && m->u.file_rsp.mode != WIRE_MODE_TCP)
			return "bad mode";
		break;
	case WIRE_STORE_DATA:
		if (m->u.store_data.file > WIRE_FILE_MAX)
			return "bad file number";
		break;
	case WIRE_DATA:
		/* Sequence numbers count bytes from 1, so 0 names nothing. */
		if (m->u.data.seq == 0)
			return "bad sequence number";
		if ((m->u.data.flags & ~WIRE_DATA_LAST) != 0)
			return "unknown data flags";
		if (m->u.data.len > WIRE_MAX_MSS)
			return "segment too long";
		if (m->u.data.len > 0 && m->u.data.data == NULL)
			return "missing segment data";
		break;
	case WIRE_ACK:
		if (m->u.ack.ack == 0)
			return "bad ack";
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		if (!wire_contact_valid(&m->u.succs.s1) || !wire_contact_valid(&m->u.succs.s2))
			return "bad successor contact";
		break;
	case WIRE_SUCC_REPLY:
		if (!wire_contact_valid_or_none(&m->u.reply.s1) ||
		    !wire_contact_valid_or_none(&m->u.reply.s2))
			return "bad successor contact";
		break;
	case WIRE_JOIN_REQ:
		if (!wire_contact_valid(&m->u.join.joiner))
			return "bad joiner contact";
		break;
	case WIRE_JOIN_REJECT:
		if (m->u.reject.reason < WIRE_REJECT_ID_TAKEN ||
		    m->u.reject.reason > WIRE_REJECT_FAMILY)
			return "bad reject reason";
		break;
	case WIRE_SUCC_CHANGE:
		if (!wire_contact_valid(&m->u.change.s1) || !wire_contact_valid(&m->u.change.s2))
			return "bad successor contact";
		break;
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_DATA:
		return wire_check_hold(m);
	case WIRE_HOLD_ANSWER:
		if (m->u.hold_answer.file > WIRE_FILE_MAX)
			return "bad file number";
		if (m->u.hold_answer.gen == 0)
			return "bad version";
		if (m->u.hold_answer.status > WIRE_HOLD_STATUS_MAX)
			return "bad status";
		break;
	}
	return NULL;
}

/* Can a message of this known type have a payload of plen bytes? */
static bool
wire_length_possible(unsigned type, size_t plen)
{
	if (wire_types[type].len == WIRE_LEN_VARIABLE)
		return plen >= WIRE_DATA_FIXED && plen <= WIRE_DATA_FIXED + WIRE_MAX_MSS;
	return plen == (size_t)wire_types[type].len;
}

/* Encode m into buf; the length, or 0 if it does not fit in cap or m is not encodable. */
size_t
wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	size_t		 plen;
	uint8_t		*p = buf;

	if (wire_check(m) != NULL)
		return 0;
	if (m->type == WIRE_DATA)
		plen = WIRE_DATA_FIXED + (size_t)m->u.data.len;
	else
		plen = (size_t)wire_types[m->type].len;
	if (buf == NULL || cap < WIRE_HEADER_LEN + plen)
		return 0;

	*p++ = WIRE_MAGIC;
	*p++ = WIRE_VERSION;
	*p++ = m->type;
	*p++ = 0;	/* header flags: no tag */
	wire_put16(&p, (uint16_t)plen);
	wire_put_contact(&p, &m->from);

	switch (m->type) {
	case WIRE_PING_REQ:
		wire_put32(&p, m->u.ping_req.seq);
		*p++ = m->u.ping_req.role;
		*p++ = m->u.ping_req.to;
		wire_put_contact(&p, &m->u.ping_req.pred);
		break;
	case WIRE_PING_RSP:
		wire_put32(&p, m->u.ping_rsp.seq);
		wire_put_contact(&p, &m->u.ping_rsp.succ);
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		wire_put16(&p, m->u.route.file);
		wire_put32(&p, m->u.route.id);
		wire_put_contact(&p, &m->u.route.origin);
		*p++ = m->u.route.ttl;
		*p++ = m->u.route.flags;
		*p++ = m->u.route.mode;
		break;
	case WIRE_FILE_RSP:
		wire_put16(&p, m->u.file_rsp.file);
		wire_put32(&p, m->u.file_rsp.id);
		*p++ = m->u.file_rsp.status;
		*p++ = m->u.file_rsp.mode;
		wire_put32(&p, m->u.file_rsp.size);
		break;
	case WIRE_STORE_DATA:
		wire_put16(&p, m->u.store_data.file);
		wire_put32(&p, m->u.store_data.id);
		wire_put32(&p, m->u.store_data.size);
		break;
	case WIRE_DATA:
		wire_put32(&p, m->u.data.xfer);
		wire_put32(&p, m->u.data.seq);
		*p++ = m->u.data.flags;
		wire_put16(&p, m->u.data.len);
		if (m->u.data.len > 0)
			memcpy(p, m->u.data.data, m->u.data.len);
		p += m->u.data.len;
		break;
	case WIRE_ACK:
		wire_put32(&p, m->u.ack.xfer);
		wire_put32(&p, m->u.ack.ack);
		wire_put32(&p, m->u.ack.sack);
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		wire_put_contact(&p, &m->u.succs.s1);
		wire_put_contact(&p, &m->u.succs.s2);
		break;
	case WIRE_DEPART_ACK:
		break;
	case WIRE_SUCC_QUERY:
		wire_put32(&p, m->u.query.qid);
		break;
	case WIRE_SUCC_REPLY:
		wire_put32(&p, m->u.reply.qid);
		wire_put_contact(&p, &m->u.reply.s1);
		wire_put_contact(&p, &m->u.reply.s2);
		break;
	case WIRE_JOIN_REQ:
		wire_put_contact(&p, &m->u.join.joiner);
		*p++ = m->u.join.ttl;
		break;
	case WIRE_JOIN_REJECT:
		*p++ = m->u.reject.reason;
		break;
	case WIRE_SUCC_CHANGE:
		wire_put_contact(&p, &m->u.change.s1);
		wire_put_contact(&p, &m->u.change.s2);
		*p++ = m->u.change.ttl;
		break;
	case WIRE_HOLD_OFFER:
		wire_put16(&p, m->u.hold.file);
		*p++ = m->u.hold.intent;
		wire_put32(&p, m->u.hold.size);
		wire_put64(&p, m->u.hold.gen);
		wire_put64(&p, m->u.hold.sum);
		break;
	case WIRE_HOLD_ANSWER:
		wire_put16(&p, m->u.hold_answer.file);
		wire_put64(&p, m->u.hold_answer.gen);
		*p++ = m->u.hold_answer.status;
		break;
	case WIRE_HOLD_DATA:
		wire_put16(&p, m->u.hold.file);
		wire_put32(&p, m->u.hold.size);
		wire_put64(&p, m->u.hold.gen);
		wire_put64(&p, m->u.hold.sum);
		break;
	}
	return (size_t)(p - buf);
}

/* Read the payload of a message whose type and exact length are already checked. */
static const char *
wire_decode_payload(const uint8_t *p, size_t plen, struct wire_msg *t)
{
	switch (t->type) {
	case WIRE_PING_REQ:
		t->u.ping_req.seq = wire_get32(&p);
		t->u.ping_req.role = *p++;
		t->u.ping_req.to = *p++;
		wire_get_contact(&p, &t->u.ping_req.pred);
		break;
	case WIRE_PING_RSP:
		t->u.ping_rsp.seq = wire_get32(&p);
		wire_get_contact(&p, &t->u.ping_rsp.succ);
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		t->u.route.file = wire_get16(&p);
		t->u.route.id = wire_get32(&p);
		wire_get_contact(&p, &t->u.route.origin);
		t->u.route.ttl = *p++;
		t->u.route.flags = *p++;
		t->u.route.mode = *p++;
		break;
	case WIRE_FILE_RSP:
		t->u.file_rsp.file = wire_get16(&p);
		t->u.file_rsp.id = wire_get32(&p);
		t->u.file_rsp.status = *p++;
		t->u.file_rsp.mode = *p++;
		t->u.file_rsp.size = wire_get32(&p);
		break;
	case WIRE_STORE_DATA:
		t->u.store_data.file = wire_get16(&p);
		t->u.store_data.id = wire_get32(&p);
		t->u.store_data.size = wire_get32(&p);
		break;
	case WIRE_DATA:
		t->u.data.xfer = wire_get32(&p);
		t->u.data.seq = wire_get32(&p);
		t->u.data.flags = *p++;
		t->u.data.len = wire_get16(&p);
		if (t->u.data.len > WIRE_MAX_MSS)
			return "segment too long";
		if (plen != WIRE_DATA_FIXED + (size_t)t->u.data.len)
			return "data length mismatch";
		t->u.data.data = p;
		break;
	case WIRE_ACK:
		t->u.ack.xfer = wire_get32(&p);
		t->u.ack.ack = wire_get32(&p);
		t->u.ack.sack = wire_get32(&p);
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		wire_get_contact(&p, &t->u.succs.s1);
		wire_get_contact(&p, &t->u.succs.s2);
		break;
	case WIRE_DEPART_ACK:
		break;
	case WIRE_SUCC_QUERY:
		t->u.query.qid = wire_get32(&p);
		break;
	case WIRE_SUCC_REPLY:
		t->u.reply.qid = wire_get32(&p);
		wire_get_contact(&p, &t->u.reply.s1);
		wire_get_contact(&p, &t->u.reply.s2);
		break;
	case WIRE_JOIN_REQ:
		wire_get_contact(&p, &t->u.join.joiner);
		t->u.join.ttl = *p++;
		break;
	case WIRE_JOIN_REJECT:
		t->u.reject.reason = *p++;
		break;
	case WIRE_SUCC_CHANGE:
		wire_get_contact(&p, &t->u.change.s1);
		wire_get_contact(&p, &t->u.change.s2);
		t->u.change.ttl = *p++;
		break;
	case WIRE_HOLD_OFFER:
		t->u.hold.file = wire_get16(&p);
		t->u.hold.intent = *p++;
		t->u.hold.size = wire_get32(&p);
		t->u.hold.gen = wire_get64(&p);
		t->u.hold.sum = wire_get64(&p);
		break;
	case WIRE_HOLD_ANSWER:
		t->u.hold_answer.file = wire_get16(&p);
		t->u.hold_answer.gen = wire_get64(&p);
		t->u.hold_answer.status = *p++;
		break;
	case WIRE_HOLD_DATA:
		t->u.hold.file = wire_get16(&p);
		t->u.hold.size = wire_get32(&p);
		t->u.hold.gen = wire_get64(&p);
		t->u.hold.sum = wire_get64(&p);
		break;
	}
	return NULL;
}

/* Decode exactly one message of len bytes; 0, or -1 with *why set to a reason. */
int
wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m, const char **why)
{
	struct wire_msg	 t;
	const uint8_t	*p;
	const char	*reason = NULL;
	size_t		 flen;

	memset(&t, 0, sizeof t);
	switch (wire_frame_len(buf, len, &flen, &reason)) {
	case -1:
		goto fail;
	case 1:
		reason = "truncated";
		goto fail;
	}
	if (len < flen) {
		reason = "truncated";
		goto fail;
	}
	if (len > flen) {
		reason = "trailing bytes";
		goto fail;
	}

	t.type = buf[WIRE_OFF_TYPE];
	p = buf + WIRE_OFF_SENDER;
	wire_get_contact(&p, &t.from);
	if ((reason = wire_decode_payload(buf + WIRE_HEADER_LEN, flen - WIRE_HEADER_LEN,
	    &t)) != NULL)
		goto fail;
	if ((reason = wire_check(&t)) != NULL)
		goto fail;
	*m = t;
	return 0;

fail:
	/* Leave nothing the caller could mistake for a message. */
	memset(m, 0, sizeof *m);
	if (why != NULL)
		*why = reason;
	return -1;
}

/* Look at the start of a TCP stream and say whether a frame is there, coming, or garbage. */
int
wire_frame_len(const uint8_t *buf, size_t avail, size_t *frame_len, const char **why)
{
	const char	*reason;
	size_t		 plen;

	/* Each byte is judged as soon as it arrives, so garbage is refused early. */
	if (avail > WIRE_OFF_MAGIC && buf[WIRE_OFF_MAGIC] != WIRE_MAGIC) {
		reason = "bad magic";
		goto fail;
	}
	if (avail > WIRE_OFF_VERSION && buf[WIRE_OFF_VERSION] != WIRE_VERSION) {
		reason = wire_bad_version[buf[WIRE_OFF_VERSION]];
		goto fail;
	}
	if (avail > WIRE_OFF_TYPE && !wire_type_known(buf[WIRE_OFF_TYPE])) {
		reason = wire_bad_type[buf[WIRE_OFF_TYPE]];
		goto fail;
	}
	/* The tag bit is reserved for ring keys: until then a tagged frame cannot be checked. */
	if (avail > WIRE_OFF_FLAGS && (buf[WIRE_OFF_FLAGS] & WIRE_HDR_TAG) != 0) {
		reason = "authentication tag not supported";
		goto fail;
	}
	if (avail > WIRE_OFF_FLAGS && buf[WIRE_OFF_FLAGS] != 0) {
		reason = "unknown header flags";
		goto fail;
	}
	if (avail < WIRE_OFF_LENGTH + 2)
		return 1;
	plen = (size_t)buf[WIRE_OFF_LENGTH] << 8 | buf[WIRE_OFF_LENGTH + 1];
	if (!wire_length_possible(buf[WIRE_OFF_TYPE], plen)) {
		reason = wire_types[buf[WIRE_OFF_TYPE]].mismatch;
		goto fail;
	}
	if (avail < WIRE_HEADER_LEN)
		return 1;
	if (frame_len != NULL)
		*frame_len = WIRE_HEADER_LEN + plen;
	return 0;

fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

/* The name of a message type, "UNKNOWN" for anything else. */
const char *
wire_type_name(int type)
{
	if (type < WIRE_PING_REQ || type >= WIRE_TYPE_END)
		return "UNKNOWN";
	return wire_types[type].name;
}

/* A contact with port 0 stands for "none". */
bool
wire_contact_none(const struct contact *c)
{
	return c->port == 0;
}
