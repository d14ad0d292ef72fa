/*
 * Fuzz target: the ring state machine under any sequence of messages from a few contacts,
 * clock steps, ticks, send failures and commands, with its invariants checked after each.
 */
#include <string.h>

#include "cdht/contact.h"
#include "cdht/ring.h"
#include "cdht/wire.h"
#include "fuzz.h"

#define FZR_MAX_OPS	2000	/* operations of one input */
#define FZR_PINGS	8	/* sent pings remembered for answers */
#define FZR_BASE_PORT	50000	/* port of id i: base + i */

/* The ids of the contacts; index 0 is ourselves. */
static const uint8_t fzr_ids[] = { FUZZ_RING_SELF, 20, 30, 40, 200, 5 };
#define FZR_NIDS	(sizeof fzr_ids / sizeof fzr_ids[0])

/* Ring message types a peer hands to ring_on_msg. */
static const uint8_t fzr_types[] = {
	WIRE_PING_REQ, WIRE_PING_RSP, WIRE_FILE_REQ, WIRE_STORE_REQ, WIRE_DEPART,
	WIRE_DEPART_ACK, WIRE_SUCC_QUERY, WIRE_SUCC_REPLY, WIRE_JOIN_REQ, WIRE_JOIN_ACCEPT,
	WIRE_JOIN_REJECT, WIRE_SUCC_CHANGE
};

/*
 * A ring invariant, by name: CDHT_FUZZ_RING_ALLOW=name,name switches named ones off, so a
 * run can look past a known bug (test/fuzz/README.md lists the names).
 */
#define FZR_CHECK(name, cond, ...) do {						\
	if (!fzr_allowed(name))							\
		FUZZ_CHECK(cond, "[" name "] " __VA_ARGS__);			\
} while (0)

/* One run: the ring under test, the clock, and what it sent that inputs may answer. */
struct fzr {
	struct ring	r;
	uint64_t	now;
	struct contact	ping_to[FZR_PINGS];
	uint32_t	ping_seq[FZR_PINGS];
	size_t		npings;
	struct contact	query_to;
	uint32_t	query_qid;
	bool		exited;
};

/* Is the invariant called name switched off by CDHT_FUZZ_RING_ALLOW? */
static bool
fzr_allowed(const char *name)
{
	static const char	*env;
	static bool		 ready;
	const char		*p;
	size_t			 n = strlen(name);

	if (!ready) {
		env = getenv("CDHT_FUZZ_RING_ALLOW");
		ready = true;
	}
	for (p = env; p != NULL && (p = strstr(p, name)) != NULL; p += n)
		if ((p == env || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* Contact number i (modulo FUZZ_RING_NCONTACTS): the ids above, our id on another port, 20 elsewhere. */
static struct contact
fzr_contact(unsigned i)
{
	static const uint8_t	lo[4] = { 127, 0, 0, 1 }, other[4] = { 127, 0, 0, 2 };

	i %= FUZZ_RING_NCONTACTS;
	if (i < FZR_NIDS)
		return contact_v4(fzr_ids[i], lo, (uint16_t)(FZR_BASE_PORT + fzr_ids[i]));
	if (i == FZR_NIDS)
		return contact_v4(FUZZ_RING_SELF, lo, FZR_BASE_PORT + 1000);
	return contact_v4(20, other, FZR_BASE_PORT + 20);
}

/* The configuration and the start, from the input's first six bytes. */
static void
fzr_start(struct fzr *f, struct fuzz_in *in)
{
	struct ring_cfg	 cfg;
	struct contact	 s1, s2;
	uint8_t		 start = fuzz_u8(in);

	memset(&cfg, 0, sizeof cfg);
	cfg.self = fzr_contact(0);
	cfg.loss_threshold = 1 + fuzz_u8(in) % 4;
	cfg.ping_interval_ms = 50 + fuzz_u16(in) % 2000;
	cfg.ping_timeout_ms = 20 + (uint32_t)fuzz_u8(in) * 4;
	if (cfg.ping_timeout_ms > cfg.ping_interval_ms)
		cfg.ping_timeout_ms = cfg.ping_interval_ms;
	cfg.quiet_pings = fuzz_u8(in) & 1;
	ring_init(&f->r, &cfg);
	f->now = 1000;
	switch (start % 4) {
	case FUZZ_RING_START_MEMBER:
		s1 = fzr_contact(1);
		s2 = fzr_contact(2);
		ring_start(&f->r, &s1, &s2, f->now);
		break;
	case FUZZ_RING_START_MEMBER_FAR:
		s1 = fzr_contact(3);
		s2 = fzr_contact(4);
		ring_start(&f->r, &s1, &s2, f->now);
		break;
	case FUZZ_RING_START_PAIR:
		s1 = fzr_contact(1);
		s2 = fzr_contact(0);
		ring_start(&f->r, &s1, &s2, f->now);
		break;
	default:
		s1 = fzr_contact(3);
		ring_start_join(&f->r, &s1, f->now);
		break;
	}
}

/* One action of the outbox: well formed, encodable, remembered if inputs may answer it. */
static void
fzr_check_action(struct fzr *f, const struct ring_action *a)
{
	static uint8_t	buf[WIRE_MAX_FRAME];
	char		line[1024];

	switch (a->kind) {
	case RING_ACT_UDP:
	case RING_ACT_TCP:
		FUZZ_CHECK(contact_is_valid(&a->to), "%s to an invalid contact",
		    wire_type_name(a->msg.type));
		/*
		 * Alone (our own first successor), we own every key: nothing to pass on to
		 * ourselves (a joiner that picked our id elsewhere is still told so).
		 */
		FZR_CHECK("alone_send", !(contact_equal(&a->to, &f->r.cfg.self) && f->r.succ[0].known &&
		    f->r.succ[0].c.id == f->r.cfg.self.id), "%s sent to ourselves, alone",
		    wire_type_name(a->msg.type));
		/* Our own contact, that is: a joiner that picked our id elsewhere is told so. */
		FZR_CHECK("self_send", !contact_equal(&a->to, &f->r.cfg.self) ||
		    (f->r.succ[0].known && f->r.succ[0].c.id == f->r.cfg.self.id),
		    "%s sent to ourselves", wire_type_name(a->msg.type));
		FUZZ_CHECK(wire_encode(&a->msg, buf, sizeof buf) > 0, "%s does not encode",
		    wire_type_name(a->msg.type));
		if (a->msg.type == WIRE_PING_REQ) {
			f->ping_to[f->npings % FZR_PINGS] = a->to;
			f->ping_seq[f->npings % FZR_PINGS] = a->msg.u.ping_req.seq;
			f->npings++;
		}
		if (a->msg.type == WIRE_SUCC_QUERY) {
			f->query_to = a->to;
			f->query_qid = a->msg.u.query.qid;
		}
		break;
	case RING_ACT_EVENT:
		FUZZ_CHECK(a->ev.kind < CON_KIND_END, "event %d", (int)a->ev.kind);
		/* Some events have no line in one dialect (0), never in both. */
		FUZZ_CHECK(console_format(DIALECT_CLASSIC, &a->ev, line, sizeof line) +
		    console_format(DIALECT_P2P, &a->ev, line, sizeof line) > 0,
		    "event %d does not format", (int)a->ev.kind);
		break;
	case RING_ACT_WARN:
		FUZZ_CHECK(a->text[0] != '\0', "empty warning");
		break;
	case RING_ACT_SERVE:
	case RING_ACT_STORE:
		FUZZ_CHECK(a->msg.u.route.file <= 9999, "file %u", a->msg.u.route.file);
		break;
	case RING_ACT_EXIT:
		FUZZ_CHECK(a->status == 0 || a->status == 1, "exit status %d", a->status);
		f->exited = true;
		break;
	default:
		FUZZ_CHECK(0, "action kind %d", (int)a->kind);
	}
}

/* The last successor lines printed by an input name the successors the ring holds after it. */
static void
fzr_check_console(const struct ring *r)
{
	const struct console_ev *ev = NULL;

	for (size_t i = 0; i < r->nout; i++)
		if (r->out[i].kind == RING_ACT_EVENT && (r->out[i].ev.kind == CON_SUCCESSORS ||
		    r->out[i].ev.kind == CON_JOIN_ACCEPTED))
			ev = &r->out[i].ev;
	if (ev == NULL || r->state != RING_UP)
		return;
	FZR_CHECK("console_truth", r->succ[0].known && r->succ[0].c.id == ev->a &&
	    r->succ[1].known && r->succ[1].c.id == ev->b,
	    "printed successors %d and %d, holds %u%s and %u%s", ev->a, ev->b, r->succ[0].c.id,
	    r->succ[0].known ? "" : " (unknown)", r->succ[1].c.id,
	    r->succ[1].known ? "" : " (unknown)");
}

/* After every input: the ring's view is one a correct peer could hold. */
static void
fzr_check_state(struct fzr *f)
{
	const struct ring	*r = &f->r;
	int			 self = r->cfg.self.id;

	FZR_CHECK("outbox", r->overflow == 0 && r->nout <= RING_MAX_ACTIONS, "outbox overflowed (%zu)",
	    r->overflow);
	for (size_t i = 0; i < r->nout; i++)
		fzr_check_action(f, &r->out[i]);
	fzr_check_console(r);
	FUZZ_CHECK(!f->exited || r->state == RING_EXITED, "exit action but state %d",
	    (int)r->state);
	if (r->state != RING_UP)
		return;
	FZR_CHECK("self_succ", !(r->succ[0].known && r->succ[0].c.id == self && r->succ[1].known &&
	    r->succ[1].c.id != self), "own first successor while the second is peer %u",
	    r->succ[1].c.id);
	FZR_CHECK("same_succ", !(r->succ[0].known && r->succ[1].known && r->succ[0].c.id ==
	    r->succ[1].c.id), "both successors are peer %u", r->succ[0].c.id);
	FZR_CHECK("second_only", !r->succ[1].known || r->succ[0].known,
	    "a second successor (%u) without a first", r->succ[1].c.id);
	FZR_CHECK("repair", !r->repairing || (r->succ[0].known && !r->succ[1].known),
	    "repairing with successors %u%s and %u%s", r->succ[0].c.id,
	    r->succ[0].known ? "" : " (unknown)", r->succ[1].c.id,
	    r->succ[1].known ? "" : " (unknown)");
	FZR_CHECK("same_pred", !(r->pred[0].known && r->pred[1].known && r->pred[0].c.id ==
	    r->pred[1].c.id), "both predecessors are peer %u", r->pred[0].c.id);
	for (int i = 0; i < 2; i++)
		FZR_CHECK("self_pred", !(r->pred[i].known && r->pred[i].c.id == self),
		    "own predecessor %d", i + 1);
}

/* Deliver m as a peer would: only if it survives encoding and strict decoding. */
static void
fzr_deliver(struct fzr *f, const struct wire_msg *m)
{
	static uint8_t	 buf[WIRE_MAX_FRAME];
	struct wire_msg	 d;
	size_t		 n = wire_encode(m, buf, sizeof buf);

	if (n == 0 || wire_decode(buf, n, &d, NULL) != 0)
		return;
	ring_on_msg(&f->r, &d, f->now);
}

/* A message of a ring type built from the input's fields. */
static void
fzr_op_built(struct fzr *f, struct fuzz_in *in)
{
	struct wire_msg m;
	uint8_t		b;

	memset(&m, 0, sizeof m);
	m.type = fzr_types[fuzz_u8(in) % sizeof fzr_types];
	m.from = fzr_contact(fuzz_u8(in));
	switch (m.type) {
	case WIRE_PING_REQ:
		m.u.ping_req.seq = fuzz_u32(in);
		b = fuzz_u8(in);
		m.u.ping_req.role = b % 3;
		/* Mostly for us; from 0xf0 on, for another id (a foreign ping). */
		m.u.ping_req.to = b < 0xf0 ? f->r.cfg.self.id : (uint8_t)(b & 0x0f);
		break;
	case WIRE_PING_RSP:
		m.u.ping_rsp.seq = fuzz_u32(in);
		m.u.ping_rsp.succ = fzr_contact(fuzz_u8(in));
		break;
	case WIRE_FILE_REQ:
	case WIRE_STORE_REQ:
		m.u.route.file = fuzz_u16(in) % 10000;
		m.u.route.id = fuzz_u32(in);
		m.u.route.origin = fzr_contact(fuzz_u8(in));
		m.u.route.ttl = fuzz_u8(in);
		m.u.route.flags = fuzz_u8(in) & WIRE_ROUTE_OWNER;
		m.u.route.mode = fuzz_u8(in) & 1;
		break;
	case WIRE_DEPART:
	case WIRE_JOIN_ACCEPT:
		m.u.succs.s1 = fzr_contact(fuzz_u8(in));
		m.u.succs.s2 = fzr_contact(fuzz_u8(in));
		break;
	case WIRE_SUCC_QUERY:
		m.u.query.qid = fuzz_u32(in);
		break;
	case WIRE_SUCC_REPLY:
		m.u.reply.qid = fuzz_u32(in);
		m.u.reply.s1 = fzr_contact(fuzz_u8(in));
		m.u.reply.s2 = fzr_contact(fuzz_u8(in));
		break;
	case WIRE_JOIN_REQ:
		m.u.join.joiner = fzr_contact(fuzz_u8(in));
		m.u.join.ttl = fuzz_u8(in);
		break;
	case WIRE_JOIN_REJECT:
		m.u.reject.reason = 1 + fuzz_u8(in) % 2;
		break;
	case WIRE_SUCC_CHANGE:
		m.u.change.s1 = fzr_contact(fuzz_u8(in));
		m.u.change.s2 = fzr_contact(fuzz_u8(in));
		m.u.change.ttl = fuzz_u8(in);
		break;
	}
	fzr_deliver(f, &m);
}

/* Raw bytes through the decoder; a ring message among them is delivered. */
static void
fzr_op_raw(struct fzr *f, struct fuzz_in *in)
{
	size_t		len = fuzz_u8(in);
	struct wire_msg	m;

	if (len > in->n)
		len = in->n;
	if (wire_decode(in->p, len, &m, NULL) == 0 && memchr(fzr_types, m.type,
	    sizeof fzr_types) != NULL)
		ring_on_msg(&f->r, &m, f->now);
	in->p += len;
	in->n -= len;
}

/* A message from `from` carrying two contacts (ANSWER, REPLY, ACCEPT). */
static void
fzr_op_answer(struct fzr *f, struct fuzz_in *in, int op)
{
	struct wire_msg	m;
	unsigned	a = fuzz_u8(in), b = fuzz_u8(in);

	memset(&m, 0, sizeof m);
	if (op == FUZZ_RING_OP_ANSWER) {
		if (f->npings == 0)
			return;
		/* One of the last FZR_PINGS pings sent, counting back from the newest. */
		a %= (unsigned)(f->npings < FZR_PINGS ? f->npings : FZR_PINGS);
		a = (unsigned)((f->npings - 1 - a) % FZR_PINGS);
		m.type = WIRE_PING_RSP;
		m.from = f->ping_to[a];
		m.u.ping_rsp.seq = f->ping_seq[a];
		m.u.ping_rsp.succ = fzr_contact(b);
	} else if (op == FUZZ_RING_OP_REPLY) {
		m.type = WIRE_SUCC_REPLY;
		m.from = f->query_to;
		m.u.reply.qid = f->query_qid;
		m.u.reply.s1 = fzr_contact(a);
		m.u.reply.s2 = fzr_contact(b);
	} else {
		m.type = WIRE_JOIN_ACCEPT;
		m.from = fzr_contact(3);
		m.u.succs.s1 = fzr_contact(a);
		m.u.succs.s2 = fzr_contact(b);
	}
	fzr_deliver(f, &m);
}

/* ring_tick now; afterwards nothing may be due in the past. */
static void
fzr_tick(struct fzr *f)
{
	uint64_t	d;

	ring_tick(&f->r, f->now);
	d = ring_next_deadline(&f->r);
	FZR_CHECK("deadline", d == RING_NEVER || d > f->now,
	    "after a tick at %llu the next deadline is %llu (state %d)",
	    (unsigned long long)f->now, (unsigned long long)d, (int)f->r.state);
}

/* With CDHT_FUZZ_TRACE set: the operation, the ring's view after it, and its actions. */
static void
fzr_trace(const struct fzr *f, int op)
{
	static int		 on = -1;
	const struct ring	*r = &f->r;
	char			 line[1024];

	if (on < 0)
		on = getenv("CDHT_FUZZ_TRACE") != NULL;
	if (!on)
		return;
	fprintf(stderr, "t=%llu op %d state %d succ %d%s/%d%s pred %d%s/%d%s repairing %d\n",
	    (unsigned long long)f->now, op, (int)r->state, r->succ[0].c.id,
	    r->succ[0].known ? "" : "?", r->succ[1].c.id, r->succ[1].known ? "" : "?",
	    r->pred[0].c.id, r->pred[0].known ? "" : "?", r->pred[1].c.id,
	    r->pred[1].known ? "" : "?", r->repairing);
	for (size_t i = 0; i < r->nout; i++) {
		const struct ring_action *a = &r->out[i];

		if (a->kind == RING_ACT_UDP || a->kind == RING_ACT_TCP)
			fprintf(stderr, "    %s %s to %u\n", a->kind == RING_ACT_UDP ? "udp" : "tcp",
			    wire_type_name(a->msg.type), a->to.id);
		else if (a->kind == RING_ACT_EVENT &&
		    console_format(DIALECT_P2P, &a->ev, line, sizeof line) > 0)
			fprintf(stderr, "    event: %s", line);
		else
			fprintf(stderr, "    action %d %s\n", (int)a->kind, a->text);
	}
}

/* One operation of the input. */
static int
fzr_op(struct fzr *f, struct fuzz_in *in)
{
	int		op = fuzz_u8(in) % FUZZ_RING_OP_END;
	uint64_t	d;
	struct contact	c;

	switch (op) {
	case FUZZ_RING_OP_STEP:
		f->now += fuzz_u16(in);
		break;
	case FUZZ_RING_OP_TICK:
		fzr_tick(f);
		break;
	case FUZZ_RING_OP_UNTIL:
		d = ring_next_deadline(&f->r);
		if (d != RING_NEVER && d > f->now)
			f->now = d;
		fzr_tick(f);
		break;
	case FUZZ_RING_OP_BUILT:
		fzr_op_built(f, in);
		break;
	case FUZZ_RING_OP_RAW:
		fzr_op_raw(f, in);
		break;
	case FUZZ_RING_OP_ANSWER:
	case FUZZ_RING_OP_REPLY:
	case FUZZ_RING_OP_ACCEPT:
		fzr_op_answer(f, in, op);
		break;
	case FUZZ_RING_OP_FAILED:
		c = fzr_contact(fuzz_u8(in));
		ring_on_send_failed(&f->r, &c, fzr_types[fuzz_u8(in) % sizeof fzr_types], f->now);
		break;
	case FUZZ_RING_OP_REQUEST:
		ring_request(&f->r, fuzz_u16(in) % 10000, fuzz_u32(in), fuzz_u8(in) & 1, f->now);
		break;
	case FUZZ_RING_OP_STORE:
		ring_store(&f->r, fuzz_u16(in) % 10000, fuzz_u32(in), f->now);
		break;
	case FUZZ_RING_OP_QUIT:
		ring_quit(&f->r, f->now);
		break;
	}
	return op;
}

/* One input: a start, then up to FZR_MAX_OPS operations, the invariants checked after each. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzr	f;
	struct fuzz_in		in = { data, size };

	memset(&f, 0, sizeof f);
	fzr_start(&f, &in);
	fzr_check_state(&f);
	ring_clear_actions(&f.r);
	for (int k = 0; k < FZR_MAX_OPS && in.n > 0 && f.r.state != RING_EXITED; k++) {
		int op = fzr_op(&f, &in);

		fzr_trace(&f, op);
		fzr_check_state(&f);
		ring_clear_actions(&f.r);
	}
	return 0;
}
