/* The wire protocol: versioned, length-delimited messages, strictly decoded (docs/PROTOCOL.md). */
#ifndef CDHT_WIRE_H
#define CDHT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/contact.h"

#define WIRE_MAGIC		0xCD
#define WIRE_VERSION		4
#define WIRE_HEADER_LEN		26	/* bytes: magic, version, type, flags, payload length(2), sender contact(20) */
#define WIRE_CONTACT_LEN	20	/* bytes: id, family, port(2), address(16) */
#define WIRE_FAMILY_V4		4	/* contact family byte: IPv4 in the first 4 address bytes */
#define WIRE_FAMILY_V6		6	/* contact family byte: IPv6, all 16 address bytes */
#define WIRE_HDR_TAG		0x01	/* header flag: an authentication tag follows the payload (reserved) */
#define WIRE_TAG_LEN		32	/* bytes of that tag, once defined (HMAC-SHA-256 with the ring key) */
#define WIRE_MAX_MSS		60000	/* bytes of file data in one UDP segment */
#define WIRE_MAX_PAYLOAD	(WIRE_MAX_MSS + 16)	/* bytes after the header */
#define WIRE_MAX_FRAME		(WIRE_HEADER_LEN + WIRE_MAX_PAYLOAD)	/* bytes */
#define WIRE_TTL		255	/* hops a routed message may still take */


enum wire_type {
	WIRE_PING_REQ = 1,	/* UDP: ping, telling the receiver which predecessor we are */
	WIRE_PING_RSP,		/* UDP: echo of a ping's sequence number */
	WIRE_FILE_REQ,		/* TCP: request routed along first successors */
	WIRE_FILE_RSP,		/* TCP: owner to requester; a TCP body may follow */
	WIRE_STORE_REQ,		/* TCP: store routed along first successors */
	WIRE_STORE_DATA,	/* TCP: origin to owner, the file's bytes follow */
	WIRE_DATA,		/* UDP: one stop-and-wait segment */
	WIRE_ACK,		/* UDP: next expected byte of a transfer */
	WIRE_DEPART,		/* TCP: sender leaves; here are its successors */
	WIRE_DEPART_ACK,	/* TCP: departure noted */
	WIRE_SUCC_QUERY,	/* TCP: who are your successors? */
	WIRE_SUCC_REPLY,	/* TCP: answer to a query */
	WIRE_JOIN_REQ,		/* TCP: joiner wants in; forwarded to its predecessor-to-be */
	WIRE_JOIN_ACCEPT,	/* TCP: joiner's successors */
	WIRE_JOIN_REJECT,	/* TCP: joiner refused */
	WIRE_SUCC_CHANGE,	/* TCP: take (s1, s2) if your first successor is s1 */
	WIRE_HOLD_OFFER,	/* TCP: a ring copy of a file offered to a holder (REPLICATION.md) */
	WIRE_HOLD_ANSWER,	/* TCP: what the holder makes of an offer or a copy */
	WIRE_HOLD_DATA,		/* TCP: the offered copy; its bytes follow */
	WIRE_TYPE_END
};

#define WIRE_ROUTE_OWNER	0x01	/* route flag: the receiver owns the key */
#define WIRE_DATA_LAST		0x01	/* data flag: the last segment of the file */

enum wire_status { WIRE_STATUS_HAVE = 0, WIRE_STATUS_ABSENT = 1 };
enum wire_mode { WIRE_MODE_UDP = 0, WIRE_MODE_TCP = 1 };
enum wire_reject {
	WIRE_REJECT_ID_TAKEN = 1,	/* the joiner's id is in the ring */
	WIRE_REJECT_NOT_READY = 2,	/* the ring cannot place the joiner now */
	WIRE_REJECT_FAMILY = 3		/* the joiner's address family is not the ring's */
};

#define WIRE_HOLD_SIZE_MAX	4294967294u	/* bytes of a held file, at most */
#define WIRE_HOLD_INTENT_MAX	3	/* 1 owner, 2 replica, 3 check (enum place_intent) */
#define WIRE_HOLD_STATUS_MAX	8	/* 0 have .. 8 bad copy (enum place_status) */

/* A routed request or store: key of file, travelling from origin. */
struct wire_route {
	uint16_t	file;
	uint32_t	id;		/* origin's request/store id */
	struct contact	origin;
	uint8_t		ttl;
	uint8_t		flags;		/* WIRE_ROUTE_* */
	uint8_t		mode;		/* enum wire_mode the origin wants the file in */
};

/*
 * One decoded message. Owned by whoever declared it; data in WIRE_DATA points into the
 * buffer that was decoded and lives only as long as that buffer.
 */
struct wire_msg {
	uint8_t		type;		/* enum wire_type */
	struct contact	from;		/* the sender's full contact */
	union {
		struct {
			uint32_t seq;
			uint8_t role;		/* 1 or 2 */
			uint8_t to;		/* the receiver's id: a ping for another id is not ours */
			struct contact pred;	/* the sender's first predecessor; none if unknown */
		} ping_req;
		struct {
			uint32_t seq;
			struct contact succ;	/* responder's first successor; none if unknown */
		} ping_rsp;
		struct wire_route route;				/* FILE_REQ, STORE_REQ */
		struct {
			uint16_t file;
			uint32_t id;
			uint8_t status;		/* enum wire_status */
			uint8_t mode;		/* enum wire_mode */
			uint32_t size;		/* bytes */
		} file_rsp;
		struct { uint16_t file; uint32_t id; uint32_t size; } store_data;
		struct {
			uint32_t xfer;
			uint32_t seq;		/* byte offset of data[0], from 1 */
			uint8_t flags;		/* WIRE_DATA_* */
			uint16_t len;
			const uint8_t *data;
		} data;
		struct {
			uint32_t xfer;
			uint32_t ack;		/* next expected byte (cumulative) */
			uint32_t sack;		/* seq of the segment this ACK answers; 0: none */
		} ack;
		struct { struct contact s1, s2; } succs;	/* DEPART, JOIN_ACCEPT */
		struct { uint32_t qid; } query;
		struct { uint32_t qid; struct contact s1, s2; } reply;	/* port 0: none */
		struct { struct contact joiner; uint8_t ttl; } join;
		struct { uint8_t reason; } reject;
		struct { struct contact s1, s2; uint8_t ttl; } change;
		struct {
			uint16_t file;
			uint8_t intent;		/* 1..WIRE_HOLD_INTENT_MAX; 0 in HOLD_DATA */
			uint32_t size;		/* bytes */
			uint64_t gen;		/* version, >= 1 */
			uint64_t sum;		/* XXH64 of the bytes */
		} hold;						/* HOLD_OFFER, HOLD_DATA */
		struct {
			uint16_t file;
			uint64_t gen;		/* the offer's, >= 1 */
			uint8_t status;		/* 0..WIRE_HOLD_STATUS_MAX */
		} hold_answer;
	} u;
};

/* Encode m into buf; the length, or 0 if it does not fit in cap or m is not encodable. */
size_t		 wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap);
/* Decode exactly one message of len bytes; 0, or -1 with *why set to a reason. */
int		 wire_decode(const uint8_t *buf, size_t len, struct wire_msg *m, const char **why);
/*
 * Look at the start of a TCP stream: 1 if more bytes are needed, 0 with *frame_len set when a
 * whole header is there and valid, -1 with *why when the header is bad.
 */
int		 wire_frame_len(const uint8_t *buf, size_t avail, size_t *frame_len,
		     const char **why);
const char	*wire_type_name(int type);
/* A contact with port 0 stands for "none"; build one by zeroing all of it. */
bool		 wire_contact_none(const struct contact *c);

#endif
