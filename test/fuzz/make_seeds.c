/* Writes the committed seed corpora (test/fuzz/corpus/<target>/) from valid messages and plausible runs. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cdht/wire.h"
#include "cdht/xfer.h"
#include "fuzz.h"

#define SEED_MAX	4096	/* bytes of one seed */

/* One seed being written. */
struct seed {
	uint8_t	b[SEED_MAX];
	size_t	n;
};

static const char	*seed_root;
static struct xfer_rng	 seed_rng = { 0x5eedULL };

/* A pseudo-random number in [0, n). */
static unsigned
seed_below(unsigned n)
{
	return (unsigned)(xfer_rng_next(&seed_rng) % n);
}

/* Append one byte (two, four: big-endian), silently stopping at SEED_MAX. */
static void
seed_u8(struct seed *s, unsigned v)
{
	if (s->n < SEED_MAX)
		s->b[s->n++] = (uint8_t)v;
}

static void
seed_u16(struct seed *s, unsigned v)
{
	seed_u8(s, v >> 8 & 0xff);
	seed_u8(s, v & 0xff);
}

static void
seed_u32(struct seed *s, uint32_t v)
{
	seed_u16(s, v >> 16);
	seed_u16(s, v & 0xffff);
}

/* Write bytes to <root>/<target>/<name>. */
static void
seed_write(const char *target, const char *name, const void *b, size_t n)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", seed_root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s/%s", seed_root, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A contact id at 127.0.0.x:50000+id. */
static struct contact
seed_contact(uint8_t id, uint8_t host)
{
	const uint8_t a[4] = { 127, 0, 0, host };

	return contact_v4(id, a, (uint16_t)(50000 + id));
}

/* A valid message of type, its fields from variant. */
static void
seed_msg(int type, unsigned v, struct wire_msg *m)
{
	static const uint8_t	bytes[] = "some file bytes";

	memset(m, 0, sizeof *m);
	m->type = (uint8_t)type;
	m->from = seed_contact((uint8_t)(3 + v * 50), 1);
	switch (type) {
	case WIRE_PING_REQ:
		m->u.ping_req.seq = v * 1000 + 1;
		m->u.ping_req.role = (uint8_t)(1 + v % 2);
		m->u.ping_req.to = (uint8_t)(v * 7);
		break;
	case WIRE_PING_RSP:
		m->u.ping_rsp.seq = v * 1000 + 1;
		m->u.ping_rsp.succ = v ? seed_contact(9, 1) : contact_none();
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		m->u.route.file = (uint16_t)(2012 + v * 1111);
		m->u.route.id = v + 1;
		m->u.route.origin = seed_contact(1, 1);
		m->u.route.ttl = (uint8_t)(WIRE_TTL - v);
		m->u.route.flags = v == 1 ? WIRE_ROUTE_OWNER : 0;
		m->u.route.mode = v == 2 ? WIRE_MODE_UDP : WIRE_MODE_TCP;
		break;
	case WIRE_FILE_RSP:
		m->u.file_rsp.file = 4103;
		m->u.file_rsp.id = v;
		m->u.file_rsp.status = v == 1 ? WIRE_STATUS_ABSENT : WIRE_STATUS_HAVE;
		m->u.file_rsp.mode = v == 2 ? WIRE_MODE_UDP : WIRE_MODE_TCP;
		m->u.file_rsp.size = v == 1 ? 0 : 123456 * v;
		break;
	case WIRE_STORE_DATA:
		m->u.store_data.file = 2067;
		m->u.store_data.id = v;
		m->u.store_data.size = 1000 * v;
		break;
	case WIRE_DATA:
		m->u.data.xfer = 7 + v;
		m->u.data.seq = 1 + 400 * v;
		m->u.data.flags = v == 2 ? WIRE_DATA_LAST : 0;
		m->u.data.len = (uint16_t)(v == 0 ? 0 : sizeof bytes - v);
		m->u.data.data = bytes;
		break;
	case WIRE_ACK:
		m->u.ack.xfer = 7 + v;
		m->u.ack.ack = 401 * v + 1;
		m->u.ack.sack = v ? 1 : 0;
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		m->u.succs.s1 = seed_contact(10, 1);
		m->u.succs.s2 = seed_contact((uint8_t)(12 + v), 1);
		break;
	case WIRE_SUCC_QUERY:
		m->u.query.qid = v + 1;
		break;
	case WIRE_SUCC_REPLY:
		m->u.reply.qid = v + 1;
		m->u.reply.s1 = seed_contact(10, 1);
		m->u.reply.s2 = v == 1 ? contact_none() : seed_contact(12, 1);
		break;
	case WIRE_JOIN_REQ:
		m->u.join.joiner = seed_contact(15, 1);
		m->u.join.ttl = (uint8_t)(WIRE_TTL - v);
		break;
	case WIRE_JOIN_REJECT:
		m->u.reject.reason = v % 2 ? WIRE_REJECT_NOT_READY : WIRE_REJECT_ID_TAKEN;
		break;
	case WIRE_SUCC_CHANGE:
		m->u.change.s1 = seed_contact(10, 1);
		m->u.change.s2 = seed_contact(12, 1);
		m->u.change.ttl = (uint8_t)(3 + v);
		break;
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_DATA:
		m->u.hold.file = (uint16_t)(2012 + v);
		m->u.hold.intent = type == WIRE_HOLD_OFFER ? (uint8_t)(1 + v % WIRE_HOLD_INTENT_MAX) : 0;
		m->u.hold.size = 1000 * v;
		m->u.hold.gen = v + 1;
		m->u.hold.sum = 0x0123456789abcdefu * (v + 1);
		break;
	case WIRE_HOLD_ANSWER:
		m->u.hold_answer.file = (uint16_t)(2012 + v);
		m->u.hold_answer.gen = v + 1;
		m->u.hold_answer.status = (uint8_t)(v * 3);
		break;
	}
}

/* wire: two variants of every type, a few of three, and a truncated and a corrupt frame. */
static void
seed_wire(void)
{
	uint8_t		buf[WIRE_MAX_FRAME];
	struct wire_msg	m;
	char		name[64];

	for (int t = WIRE_PING_REQ; t < WIRE_TYPE_END; t++) {
		for (unsigned v = 0; v < 3; v++) {
			size_t n;

			seed_msg(t, v, &m);
			if ((n = wire_encode(&m, buf, sizeof buf)) == 0) {
				fprintf(stderr, "make_seeds: %s variant %u does not encode\n",
				    wire_type_name(t), v);
				exit(1);
			}
			snprintf(name, sizeof name, "%02d-%s-%u", t, wire_type_name(t), v);
			seed_write("wire", name, buf, n);
			if (t == WIRE_FILE_REQ && v == 0) {
				seed_write("wire", "bad-truncated", buf, n - 1);
				buf[1] = WIRE_VERSION + 1;
				seed_write("wire", "bad-version", buf, n);
			}
		}
	}
}

/* cli: accepted and refused command lines of every form. */
static void
seed_cli(void)
{
	static const char *const lines[] = {
		"1 3 4", "1 3 4 400 0", "1 3 4 400 0.3", "255 0 1 1 1", "0 254 255 60000 0",
		"init 2 4 5 30", "init 2 4 5 0.2", "join 15 4 30", "join 15 4 0.001",
		"--ping-interval 0.2 1 3 4", "--ping-timeout=0.5 --loss-threshold 5 1 3 4",
		"--base-port 20000 --bind 127.0.0.1 --dir /tmp 1 3 4",
		"--transfer tcp --dialect p2p --quiet-pings --seed 18446744073709551615 1 3 4",
		"--mss 1 --drop 1 --timeout 86400 init 1 2 3 1", "-h", "--help 1 1 1",
		"--version", "-- 1 3 4", "1 -- 3 4", "1 3", "1 3 4 400", "1 1 4", "1 3 3",
		"256 3 4", "-1 3 4", "1 3 4 0 0", "1 3 4 400 1.5", "1 3 4 400 nan",
		"init 2 4 5", "init 2 4 5 0", "init 2 4 5 86401", "join 15 15 30",
		"--mss", "--bogus 1 3 4", "-x 1 3 4", "--quiet-pings=1 1 3 4",
		"--base-port 65281 1 3 4", "--bind ::1 1 3 4", "--dir= 1 3 4",
		"--ping-interval 1e-9 1 3 4", "1  3 4", "", "init\n2\n4\n5\n30",
		"1 3 4 400 0x1", "--loss-thr 2 1 3 4",
	};
	char name[32];

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		snprintf(name, sizeof name, "line-%02zu", i);
		seed_write("cli", name, lines[i], strlen(lines[i]));
	}
}

/* One ring operation chosen to make progress: mostly time passing and pings answered. */
static void
seed_ring_op(struct seed *s, unsigned bias)
{
	unsigned	op = seed_below(100);

	if (op < 30) {
		seed_u8(s, FUZZ_RING_OP_UNTIL);
	} else if (op < 30 + bias) {
		seed_u8(s, FUZZ_RING_OP_ANSWER);
		seed_u8(s, seed_below(2));
		seed_u8(s, seed_below(FUZZ_RING_NCONTACTS));
	} else if (op < 75) {
		/* A ping from a would-be predecessor keeps us its successor. */
		seed_u8(s, FUZZ_RING_OP_BUILT);
		seed_u8(s, seed_below(12));
		seed_u8(s, 1 + seed_below(FUZZ_RING_NCONTACTS - 1));
		for (int i = 0; i < 10; i++)
			seed_u8(s, seed_below(256));
	} else if (op < 82) {
		seed_u8(s, FUZZ_RING_OP_REPLY);
		seed_u8(s, seed_below(FUZZ_RING_NCONTACTS));
		seed_u8(s, seed_below(FUZZ_RING_NCONTACTS));
	} else if (op < 88) {
		seed_u8(s, FUZZ_RING_OP_STEP);
		seed_u16(s, seed_below(3000));
	} else if (op < 92) {
		seed_u8(s, FUZZ_RING_OP_REQUEST + seed_below(2));
		seed_u16(s, seed_below(10000));
		seed_u32(s, seed_below(100));
		seed_u8(s, seed_below(2));
	} else if (op < 95) {
		seed_u8(s, FUZZ_RING_OP_FAILED);
		seed_u8(s, seed_below(FUZZ_RING_NCONTACTS));
		seed_u8(s, seed_below(12));
	} else if (op < 98) {
		seed_u8(s, FUZZ_RING_OP_ACCEPT);
		seed_u8(s, 1 + seed_below(5));
		seed_u8(s, 1 + seed_below(5));
	} else {
		seed_u8(s, FUZZ_RING_OP_QUIT);
	}
}

/* ring: runs of every start, from all pings answered to none. */
static void
seed_ring(void)
{
	char name[32];

	for (unsigned k = 0; k < 32; k++) {
		struct seed s = { .n = 0 };

		seed_u8(&s, k % 4);
		seed_u8(&s, 2);				/* loss threshold 3 */
		seed_u16(&s, 150 + 50 * (k % 4));	/* ping interval, ms */
		seed_u8(&s, 20);			/* ping timeout 100 ms */
		seed_u8(&s, k / 16);
		for (unsigned i = 0; i < 30 + 10 * (k % 8); i++)
			seed_ring_op(&s, k < 8 ? 40 : k < 24 ? 25 : 5);
		snprintf(name, sizeof name, "run-%02u", k);
		seed_write("ring", name, s.b, s.n);
	}
}

/* xfer: sizes around the segment size, clean and lossy wires, and a few forgeries. */
static void
seed_xfer(void)
{
	static const uint32_t	sizes[] = { 0, 1, 399, 400, 401, 1200, 5000, 70000 };
	char			name[32];

	for (unsigned k = 0; k < 32; k++) {
		struct seed	s = { .n = 0 };
		uint32_t	size = sizes[k % 8];
		unsigned	lossy = k / 8;	/* 0 clean, 1 drops, 2 timers, 3 forgeries */

		seed_u8(&s, 3);
		seed_u32(&s, size);
		seed_u16(&s, k % 3 == 2 ? 1000 : 400);
		seed_u16(&s, 1000);
		seed_u8(&s, lossy == 1 ? 64 : 0);
		for (unsigned i = 0; i < 60; i++) {
			unsigned r = seed_below(10);

			if (lossy >= 2 && r == 0) {
				seed_u8(&s, FUZZ_XFER_OP_TIMER);
				seed_u16(&s, 500 + seed_below(1000));
			} else if (lossy == 3 && r == 1) {
				seed_u8(&s, FUZZ_XFER_OP_FORGE_ACK + 2 * seed_below(2));
				for (int j = 0; j < 8; j++)
					seed_u8(&s, seed_below(256));
			} else if (lossy == 1 && r < 3) {
				seed_u8(&s, FUZZ_XFER_OP_TIMER);
				seed_u16(&s, 1000);
			} else {
				seed_u8(&s, FUZZ_XFER_OP_ROUND);
			}
		}
		snprintf(name, sizeof name, "run-%02u", k);
		seed_write("xfer", name, s.b, s.n);
	}
}

/* Write every target's seeds under the directory given. */
int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-ROOT (test/fuzz/corpus)\n", argv[0]);
		return 2;
	}
	seed_root = argv[1];
	if (mkdir(seed_root, 0755) != 0 && errno != EEXIST) {
		perror(seed_root);
		return 1;
	}
	seed_wire();
	seed_cli();
	seed_ring();
	seed_xfer();
	return 0;
}
