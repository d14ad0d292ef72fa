/* Shared by the fuzz targets, the replay driver and the seed generator: input reading, checks, formats. */
#ifndef CDHT_FUZZ_H
#define CDHT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer (or the replay driver) calls with one input. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rest of an input, read front to back; reads past the end give zeros. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 n;
};

/* The next byte, or 0 once the input is used up. */
static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* The next two bytes, big-endian. */
static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* The next four bytes, big-endian. */
static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

/* A broken invariant: say which and where, then abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...) do {						\
	if (!(cond)) {								\
		fprintf(stderr, "fuzz: %s:%d: invariant '%s' broken: ",	\
		    __FILE__, __LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);					\
		fputc('\n', stderr);						\
		abort();							\
	}									\
} while (0)

/*
 * Input formats (make_seeds.c writes them, the targets read them).
 *
 * ring: byte 0 the start (FUZZ_RING_START_*, low 2 bits), byte 1 the loss threshold
 * (1 + b % 4), bytes 2-3 the ping interval in ms (50 + v % 2000), byte 4 the ping timeout
 * (20 + b * 4 ms, at most the interval), byte 5 bit 0 quiet pings; then operations, each
 * one byte (FUZZ_RING_OP_*, modulo the count) followed by its operands.
 */
enum fuzz_ring_start {
	FUZZ_RING_START_MEMBER,		/* successors ids 20, 30 */
	FUZZ_RING_START_MEMBER_FAR,	/* successors ids 40, 200 */
	FUZZ_RING_START_PAIR,		/* a ring of two: successors 20 and ourselves */
	FUZZ_RING_START_JOIN		/* join through id 40 */
};

enum fuzz_ring_op {
	FUZZ_RING_OP_STEP,		/* u16: the clock moves on by that many ms */
	FUZZ_RING_OP_TICK,		/* ring_tick now */
	FUZZ_RING_OP_UNTIL,		/* the clock jumps to ring_next_deadline, then a tick */
	FUZZ_RING_OP_BUILT,		/* u8 type, u8 sender, then the type's fields: a built message */
	FUZZ_RING_OP_RAW,		/* u8 length, then that many bytes for wire_decode */
	FUZZ_RING_OP_ANSWER,		/* u8 which ping, u8 its successor: a PING_RSP to a sent ping */
	FUZZ_RING_OP_REPLY,		/* u8 s1, u8 s2: a SUCC_REPLY to the last query */
	FUZZ_RING_OP_FAILED,		/* u8 contact, u8 type: ring_on_send_failed */
	FUZZ_RING_OP_REQUEST,		/* u16 file, u8 mode: ring_request */
	FUZZ_RING_OP_STORE,		/* u16 file: ring_store */
	FUZZ_RING_OP_QUIT,		/* ring_quit */
	FUZZ_RING_OP_ACCEPT,		/* u8 s1, u8 s2: a JOIN_ACCEPT from the peer we asked */
	FUZZ_RING_OP_END
};

/* The contacts ring inputs name, by index modulo FUZZ_RING_NCONTACTS; 0 is ourselves. */
#define FUZZ_RING_SELF		10	/* our id */
#define FUZZ_RING_NCONTACTS	8	/* 6 ids, ours with a foreign port, id 20 on another host */

/*
 * xfer: bytes 0-3 the file size (byte 0 picks the width: %4 = 0 one byte, 1 two, 2 three,
 * 3 four), bytes 4-5 the mss (its top 3 bits w: window 1 << w), bytes 6-7 the retransmission
 * timeout in ms (0: auto), byte 8 the drop (0: none, else b / 256); then operations
 * (FUZZ_XFER_OP_*) with their operands.
 */
enum fuzz_xfer_op {
	FUZZ_XFER_OP_DELIVER,		/* u8: oldest segment (bit 1: newest) to receiver; bit 0: keep a copy */
	FUZZ_XFER_OP_ACK,		/* the receiver's last ACK to the sender */
	FUZZ_XFER_OP_FORGE_ACK,		/* u8 kind, u32 value: an ACK nobody sent */
	FUZZ_XFER_OP_TIMER,		/* u16 ms: the clock moves on, the sender's timer runs */
	FUZZ_XFER_OP_FORGE_SEG,		/* u8 kind, u32 seq, u16 len, u8 last: a segment nobody sent */
	FUZZ_XFER_OP_ROUND,		/* deliver, then the ACK back */
	FUZZ_XFER_OP_END
};

/* cli: the input is argv after "cdht", split at every ' ' and '\n' (two in a row: an empty argument). */

#endif
