/* The wire codec: big-endian, exact-length, strictly validated messages (docs/PROTOCOL.md). */
#include <stddef.h>
#include <string.h>

#include "cdht/wire.h"

#define WIRE_FILE_MAX		9999	/* largest file number a message may name */
#define WIRE_DATA_FIXED		11	/* bytes of a DATA payload before its file bytes */
#define WIRE_LEN_VARIABLE	(-1)	/* table marker: payload length depends on a field */
#define WIRE_FIELDS_MAX		6	/* fields of the longest payload (FILE_REQ, STORE_REQ) */

/* Offsets into the header, in bytes. */
#define WIRE_OFF_MAGIC		0
#define WIRE_OFF_VERSION	1
#define WIRE_OFF_TYPE		2
#define WIRE_OFF_FLAGS		3
#define WIRE_OFF_LENGTH		4
#define WIRE_OFF_SENDER		6

/* How a payload field sits on the wire; WIRE_K_END (0) ends a type's list. */
enum wire_kind {
	WIRE_K_END,
	WIRE_K_U8,
	WIRE_K_U16,
	WIRE_K_U32,
	WIRE_K_U64,
	WIRE_K_PEER,		/* a valid contact */
	WIRE_K_PEER_OR_NONE,	/* a valid contact or the all-zero none */
	WIRE_K_ABSENT,		/* a u8 of struct wire_msg that this type does not send */
	WIRE_K_SEGMENT		/* DATA's file bytes, u.data.len of them, to the end */
};

/*
 * One payload field: its kind, where it lives in struct wire_msg, and (when why is set) the
 * only values it may take; a value outside them makes the message invalid with reason why.
 */
struct wire_field {
	uint8_t		 kind;		/* enum wire_kind */
	size_t		 at;		/* bytes into struct wire_msg */
	uint64_t	 lo, hi;	/* allowed numbers, inclusive */
	const char	*why;
};

/* What every type looks like on the wire: its name, its mismatch reason, its payload. */
struct wire_type_info {
	const char		*name;
	const char		*mismatch;
	int			 len;		/* bytes, or WIRE_LEN_VARIABLE */
	struct wire_field	 fields[WIRE_FIELDS_MAX + 1];	/* in wire order, then END */
};

#define WIRE_AT(f)		offsetof(struct wire_msg, u.f)
#define WIRE_ANY(k, f)		{ WIRE_K_##k, WIRE_AT(f), 0, 0, NULL }
#define WIRE_IN(k, f, l, h, w)	{ WIRE_K_##k, WIRE_AT(f), (l), (h), (w) }
#define WIRE_CONTACT(k, f, w)	{ WIRE_K_##k, WIRE_AT(f), 0, 0, (w) }
#define WIRE_FILE(f)		WIRE_IN(U16, f, 0, WIRE_FILE_MAX, "bad file number")
#define WIRE_MODE(f)		WIRE_IN(U8, f, WIRE_MODE_UDP, WIRE_MODE_TCP, "bad mode")
#define WIRE_GEN(f)		WIRE_IN(U64, f, 1, UINT64_MAX, "bad version")
#define WIRE_SUCCS(s1, s2, k)	WIRE_CONTACT(k, s1, "bad successor contact"), \
				WIRE_CONTACT(k, s2, "bad successor contact")
#define WIRE_SEGMENT(w)		{ WIRE_K_SEGMENT, WIRE_AT(data), 0, 0, (w) }
#define WIRE_NO_FIELDS		{ WIRE_K_END, 0, 0, 0, NULL }
#define WIRE_T(n, l, ...)	{ #n, "length mismatch for " #n, (l), { __VA_ARGS__ } }

/* FILE_REQ and STORE_REQ: file(2) id(4) origin(20) ttl(1) flags(1) mode(1). */
#define WIRE_ROUTE_FIELDS \
	WIRE_FILE(route.file), WIRE_ANY(U32, route.id), \
	WIRE_CONTACT(PEER, route.origin, "bad origin contact"), WIRE_ANY(U8, route.ttl), \
	WIRE_IN(U8, route.flags, 0, WIRE_ROUTE_OWNER, "unknown route flags"), \
	WIRE_MODE(route.mode)

/* HOLD_OFFER and HOLD_DATA: file(2) [intent(1)] size(4) gen(8) sum(8). */
#define WIRE_HOLD_FIELDS(intent) \
	WIRE_FILE(hold.file), intent, \
	WIRE_IN(U32, hold.size, 0, WIRE_HOLD_SIZE_MAX, "bad size"), \
	WIRE_GEN(hold.gen), WIRE_ANY(U64, hold.sum)

/* Each type's payload, field by field, in the order docs/PROTOCOL.md gives them. */
static const struct wire_type_info wire_types[WIRE_TYPE_END] = {
	[WIRE_PING_REQ] = WIRE_T(PING_REQ, 26, WIRE_ANY(U32, ping_req.seq),
	    WIRE_IN(U8, ping_req.role, 1, 2, "bad role"), WIRE_ANY(U8, ping_req.to),
	    WIRE_CONTACT(PEER_OR_NONE, ping_req.pred, "bad predecessor contact")),
	[WIRE_PING_RSP] = WIRE_T(PING_RSP, 24, WIRE_ANY(U32, ping_rsp.seq),
	    WIRE_CONTACT(PEER_OR_NONE, ping_rsp.succ, "bad successor contact")),
	[WIRE_FILE_REQ] = WIRE_T(FILE_REQ, 29, WIRE_ROUTE_FIELDS),
	[WIRE_FILE_RSP] = WIRE_T(FILE_RSP, 12, WIRE_FILE(file_rsp.file),
	    WIRE_ANY(U32, file_rsp.id),
	    WIRE_IN(U8, file_rsp.status, WIRE_STATUS_HAVE, WIRE_STATUS_ABSENT, "bad status"),
	    WIRE_MODE(file_rsp.mode), WIRE_ANY(U32, file_rsp.size)),
	[WIRE_STORE_REQ] = WIRE_T(STORE_REQ, 29, WIRE_ROUTE_FIELDS),
	[WIRE_STORE_DATA] = WIRE_T(STORE_DATA, 10, WIRE_FILE(store_data.file),
	    WIRE_ANY(U32, store_data.id), WIRE_ANY(U32, store_data.size)),
	/* Sequence numbers count bytes from 1, so 0 names nothing. */
	[WIRE_DATA] = WIRE_T(DATA, WIRE_LEN_VARIABLE, WIRE_ANY(U32, data.xfer),
	    WIRE_IN(U32, data.seq, 1, UINT32_MAX, "bad sequence number"),
	    WIRE_IN(U8, data.flags, 0, WIRE_DATA_LAST, "unknown data flags"),
	    WIRE_IN(U16, data.len, 0, WIRE_MAX_MSS, "segment too long"),
	    WIRE_SEGMENT("missing segment data")),
	[WIRE_ACK] = WIRE_T(ACK, 12, WIRE_ANY(U32, ack.xfer),
	    WIRE_IN(U32, ack.ack, 1, UINT32_MAX, "bad ack"), WIRE_ANY(U32, ack.sack)),
	[WIRE_DEPART] = WIRE_T(DEPART, 40, WIRE_SUCCS(succs.s1, succs.s2, PEER)),
	[WIRE_DEPART_ACK] = WIRE_T(DEPART_ACK, 0, WIRE_NO_FIELDS),
	[WIRE_SUCC_QUERY] = WIRE_T(SUCC_QUERY, 4, WIRE_ANY(U32, query.qid)),
	[WIRE_SUCC_REPLY] = WIRE_T(SUCC_REPLY, 44, WIRE_ANY(U32, reply.qid),
	    WIRE_SUCCS(reply.s1, reply.s2, PEER_OR_NONE)),
	[WIRE_JOIN_REQ] = WIRE_T(JOIN_REQ, 21,
	    WIRE_CONTACT(PEER, join.joiner, "bad joiner contact"), WIRE_ANY(U8, join.ttl)),
	[WIRE_JOIN_ACCEPT] = WIRE_T(JOIN_ACCEPT, 40, WIRE_SUCCS(succs.s1, succs.s2, PEER)),
	[WIRE_JOIN_REJECT] = WIRE_T(JOIN_REJECT, 1, WIRE_IN(U8, reject.reason,
	    WIRE_REJECT_ID_TAKEN, WIRE_REJECT_FAMILY, "bad reject reason")),
	[WIRE_SUCC_CHANGE] = WIRE_T(SUCC_CHANGE, 41, WIRE_SUCCS(change.s1, change.s2, PEER),
	    WIRE_ANY(U8, change.ttl)),
	[WIRE_HOLD_OFFER] = WIRE_T(HOLD_OFFER, 23, WIRE_HOLD_FIELDS(
	    WIRE_IN(U8, hold.intent, 1, WIRE_HOLD_INTENT_MAX, "bad intent"))),
	[WIRE_HOLD_ANSWER] = WIRE_T(HOLD_ANSWER, 11, WIRE_FILE(hold_answer.file),
	    WIRE_GEN(hold_answer.gen),
	    WIRE_IN(U8, hold_answer.status, 0, WIRE_HOLD_STATUS_MAX, "bad status")),
	/* A copy's intent was the offer's: it is not sent again and must be left 0. */
	[WIRE_HOLD_DATA] = WIRE_T(HOLD_DATA, 22, WIRE_HOLD_FIELDS(
	    WIRE_IN(ABSENT, hold.intent, 0, 0, "bad intent"))),
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
_Static_assert((WIRE_ROUTE_OWNER & (WIRE_ROUTE_OWNER + 1)) == 0 &&
    (WIRE_DATA_LAST & (WIRE_DATA_LAST + 1)) == 0,
    "flags masks are low bits, so 'no unknown bit' is 'at most the mask'");
_Static_assert(WIRE_MODE_TCP == WIRE_MODE_UDP + 1 && WIRE_STATUS_ABSENT == WIRE_STATUS_HAVE + 1,
    "modes and statuses are ranges");

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

/* Is type a message type this version knows? */
static bool
wire_type_known(unsigned type)
{
	return type >= WIRE_PING_REQ && type < WIRE_TYPE_END;
}

/* The number a field of m holds (a contact or segment field has none: 0). */
static uint64_t
wire_field_value(const struct wire_msg *m, const struct wire_field *f)
{
	const void	*at = (const char *)m + f->at;

	switch (f->kind) {
	case WIRE_K_U8:
	case WIRE_K_ABSENT:
		return *(const uint8_t *)at;
	case WIRE_K_U16:
		return *(const uint16_t *)at;
	case WIRE_K_U32:
		return *(const uint32_t *)at;
	case WIRE_K_U64:
		return *(const uint64_t *)at;
	}
	return 0;
}

/* Check one field of m; NULL if valid, else the field's reason. */
static const char *
wire_check_field(const struct wire_msg *m, const struct wire_field *f)
{
	const void	*at = (const char *)m + f->at;
	uint64_t	 v;

	switch (f->kind) {
	case WIRE_K_PEER:
		return contact_is_valid(at) ? NULL : f->why;
	case WIRE_K_PEER_OR_NONE:
		return contact_is_valid(at) || contact_is_none(at) ? NULL : f->why;
	case WIRE_K_SEGMENT:
		return m->u.data.len > 0 && m->u.data.data == NULL ? f->why : NULL;
	}
	v = wire_field_value(m, f);
	return f->why != NULL && (v < f->lo || v > f->hi) ? f->why : NULL;
}

/* Check every field of a message, header and payload; NULL if valid, else the reason. */
static const char *
wire_check(const struct wire_msg *m)
{
	const struct wire_field	*f;
	const char		*why;

	if (!wire_type_known(m->type))
		return wire_bad_type[m->type];
	if (!contact_is_valid(&m->from))
		return "bad sender contact";
	for (f = wire_types[m->type].fields; f->kind != WIRE_K_END; f++)
		if ((why = wire_check_field(m, f)) != NULL)
			return why;
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

/* Write the payload fields of a checked message at *p, stepping past them. */
static void
wire_put_fields(uint8_t **p, const struct wire_msg *m)
{
	const struct wire_field	*f;

	for (f = wire_types[m->type].fields; f->kind != WIRE_K_END; f++) {
		const void	*at = (const char *)m + f->at;

		switch (f->kind) {
		case WIRE_K_U8:
			*(*p)++ = *(const uint8_t *)at;
			break;
		case WIRE_K_U16:
			wire_put16(p, *(const uint16_t *)at);
			break;
		case WIRE_K_U32:
			wire_put32(p, *(const uint32_t *)at);
			break;
		case WIRE_K_U64:
			wire_put64(p, *(const uint64_t *)at);
			break;
		case WIRE_K_PEER:
		case WIRE_K_PEER_OR_NONE:
			wire_put_contact(p, at);
			break;
		case WIRE_K_SEGMENT:
			if (m->u.data.len > 0)
				memcpy(*p, m->u.data.data, m->u.data.len);
			*p += m->u.data.len;
			break;
		}
	}
}

/* Encode m into buf; the length, or 0 if it does not fit in cap or m is not encodable. */
size_t
wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
	size_t		 plen;
	uint8_t		*p = buf;

	if (wire_check(m) != NULL)
		return 0;
	if (wire_types[m->type].len == WIRE_LEN_VARIABLE)
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
	wire_put_fields(&p, m);
	return (size_t)(p - buf);
}

/* Take DATA's file bytes: the rest of the payload, exactly as many as its len field says. */
static const char *
wire_get_segment(const uint8_t *p, size_t plen, struct wire_msg *t)
{
	if (t->u.data.len > WIRE_MAX_MSS)
		return "segment too long";
	if (plen != WIRE_DATA_FIXED + (size_t)t->u.data.len)
		return "data length mismatch";
	t->u.data.data = p;
	return NULL;
}

/* Read the payload of a message whose type and possible length are already checked. */
static const char *
wire_get_fields(const uint8_t *p, size_t plen, struct wire_msg *t)
{
	const struct wire_field	*f;

	for (f = wire_types[t->type].fields; f->kind != WIRE_K_END; f++) {
		void	*at = (char *)t + f->at;

		switch (f->kind) {
		case WIRE_K_U8:
			*(uint8_t *)at = *p++;
			break;
		case WIRE_K_U16:
			*(uint16_t *)at = wire_get16(&p);
			break;
		case WIRE_K_U32:
			*(uint32_t *)at = wire_get32(&p);
			break;
		case WIRE_K_U64:
			*(uint64_t *)at = wire_get64(&p);
			break;
		case WIRE_K_PEER:
		case WIRE_K_PEER_OR_NONE:
			wire_get_contact(&p, at);
			break;
		case WIRE_K_SEGMENT:
			return wire_get_segment(p, plen, t);
		}
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
	if ((reason = wire_get_fields(buf + WIRE_HEADER_LEN, flen - WIRE_HEADER_LEN,
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
