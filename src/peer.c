/*
 * One cdht peer: the wiring. Transport callbacks read the clock once and dispatch by message
 * type to the ring (membership), serve (files we send), store (stores both ways) and
 * fetching (requests typed here); ring actions are carried out here; one rearm arms the
 * timer at the earliest deadline any of them stored.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdht/ring.h"
#include "clock.h"
#include "input.h"
#include "log.h"
#include "net.h"
#include "peer.h"
#include "peer_internal.h"

/* Carry out the ring's actions; nested ring inputs append to the same outbox. */
void
peer_apply(struct peer *p, uint64_t now)
{
	size_t	i;

	if (p->applying)
		return;
	p->applying = true;
	for (i = 0; i < p->ring.nout; i++) {
		struct ring_action a = p->ring.out[i];	/* the outbox may move on under us */

		switch (a.kind) {
		case RING_ACT_UDP:
			net_udp_send(p->x.net, &a.to, &a.msg);
			break;
		case RING_ACT_TCP:
			net_tcp_send(p->x.net, &a.to, &a.msg);
			break;
		case RING_ACT_EVENT:
			ctx_print(&p->x, a.ev.kind, a.ev.a, a.ev.b, a.ev.file);
			break;
		case RING_ACT_WARN:
			log_warn("%s", a.text);
			break;
		case RING_ACT_SERVE:
			serve_request(&p->serve, &a.msg.u.route, now);
			break;
		case RING_ACT_STORE:
			store_take(&p->store, &a.msg.u.route, now);
			break;
		case RING_ACT_EXIT:
			log_say("%s", a.text);	/* why we stop, or that we left (quit) */
			p->exit_status = a.status;
			event_base_loopbreak(p->base);
			break;
		}
	}
	if (p->ring.overflow > 0)
		log_warn("internal: %zu ring actions lost", p->ring.overflow);
	p->ring.overflow = 0;
	ring_clear_actions(&p->ring);
	p->applying = false;
}

/* The ring may have moved: files held follow; a hand-off that is over lets us depart. */
static void
peer_hold_step(struct peer *p)
{
	uint64_t	now = clock_now_ms();

	hold_sync(&p->hold, now);
	if (p->quitting && p->hold.left) {
		p->quitting = false;
		ring_quit(&p->ring, now);
		peer_apply(p, now);
	}
}

/* Arm the transport's timer at the earliest deadline any room stored. */
void
peer_rearm(struct peer *p)
{
	uint64_t	t;

	peer_hold_step(p);
	t = ring_next_deadline(&p->ring);
	ctx_earliest(&t, p->hold.next);
	ctx_earliest(&t, p->serve.next);
	ctx_earliest(&t, p->store.next);
	ctx_earliest(&t, p->fetching.next);
	net_timer_at(p->x.net, t);
}

/* A ping response: when it clears an outstanding ping, that successor last answered now. */
static void
peer_on_ping_rsp(struct peer *p, const struct wire_msg *m, uint64_t now)
{
	bool	waiting[2];
	int	i;

	for (i = 0; i < 2; i++)
		waiting[i] = p->ring.succ[i].awaiting && p->ring.succ[i].c.id == m->from.id;
	ring_on_msg(&p->ring, m, now);
	for (i = 0; i < 2; i++)
		if (waiting[i] && !p->ring.succ[i].awaiting)
			p->answered_at[m->from.id] = now;
}

/* A datagram: pings go to the ring, segments to fetching, ACKs to serve. */
static void
peer_udp(void *arg, const struct wire_msg *m, uint64_t now)
{
	struct peer *p = arg;

	switch (m->type) {
	case WIRE_DATA:
		fetching_on_data(&p->fetching, m, now);
		break;
	case WIRE_ACK:
		serve_on_ack(&p->serve, m, now);
		break;
	case WIRE_PING_RSP:
		peer_on_ping_rsp(p, m, now);
		peer_apply(p, now);
		break;
	case WIRE_PING_REQ:
		ring_on_msg(&p->ring, m, now);
		peer_apply(p, now);
		break;
	default:
		log_warn("dropped %s from peer %u: it belongs on TCP", wire_type_name(m->type),
		    m->from.id);
		break;
	}
	peer_rearm(p);
}

/* The datagrams read together are handled: ACKs held back for them go out. */
static void
peer_udp_burst_end(void *arg, uint64_t now)
{
	struct peer *p = arg;

	fetching_burst_end(&p->fetching, now);
}

/* A frame on a TCP connection: answers and store data to the rooms, the rest to the ring. */
static void
peer_frame(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now)
{
	struct peer *p = arg;

	switch (m->type) {
	case WIRE_FILE_RSP:
		if (!fetching_on_answer(&p->fetching, c, m, now) &&
		    !store_on_accepted(&p->store, c, m, now))
			log_warn("ignored an answer about %04u from peer %u: nothing asked",
			    m->u.file_rsp.file, m->from.id);
		break;
	case WIRE_STORE_DATA:
		store_on_data(&p->store, c, m, now);
		break;
	case WIRE_HOLD_OFFER:
	case WIRE_HOLD_ANSWER:
	case WIRE_HOLD_DATA:
		hold_on_frame(&p->hold, c, m, now);
		break;
	case WIRE_DATA:
	case WIRE_ACK:
	case WIRE_PING_REQ:
	case WIRE_PING_RSP:
		log_warn("dropped %s from %s: it belongs on UDP", wire_type_name(m->type),
		    net_conn_peer(c));
		break;
	default:
		ring_on_msg(&p->ring, m, now);
		peer_apply(p, now);
		peer_resend(p, now);
		break;
	}
	peer_rearm(p);
}

/* A ring message sent over TCP never arrived (a request of ours waits for repair). */
static void
peer_send_failed(void *arg, const struct contact *to, int type, uint32_t id, uint64_t now)
{
	struct peer *p = arg;

	if (type == WIRE_HOLD_OFFER || type == WIRE_HOLD_ANSWER || type == WIRE_HOLD_DATA) {
		hold_send_failed(&p->hold, to, type, now);
		peer_rearm(p);
		return;
	}
	if (type != WIRE_FILE_REQ || !fetching_on_unsent(&p->fetching, to, id, now))
		ring_on_send_failed(&p->ring, to, type, now);
	peer_apply(p, now);
	peer_rearm(p);
}

/* A job's body is through (or cannot be): the job ends itself in its room. */
static void
peer_job_done(void *arg, void *ctx, bool ok, uint64_t now)
{
	struct ctx_job	*job = ctx;

	job->done(job, ok, now);
	peer_rearm(arg);
}

/* Time passed: the ring's timers, then each room's. */
static void
peer_timer(void *arg, uint64_t now)
{
	struct peer	*p = arg;

	ring_tick(&p->ring, now);
	peer_apply(p, now);
	peer_resend(p, now);
	serve_tick(&p->serve, now);
	fetching_tick(&p->fetching, now);
	store_tick(&p->store, now);
	peer_apply(p, now);	/* stores sent again */
	hold_tick(&p->hold, now);
	/* Logs of transfers still running reach the disk at least once a ping interval. */
	xferlog_flush(&p->x.req_log);
	xferlog_flush(&p->x.rsp_log);
	log_flush();
	peer_rearm(p);
}

static const struct net_ops peer_net_ops = {
	.udp = peer_udp,
	.udp_burst_end = peer_udp_burst_end,
	.frame = peer_frame,
	.send_failed = peer_send_failed,
	.file_sent = peer_job_done,	/* a body we streamed is written */
	.body_done = peer_job_done,	/* a body we expected is in */
	.timer = peer_timer,
};

/* The shared context and the rooms, before anything is bound. */
static void
peer_init(struct peer *p, struct event_base *base, const struct config *cfg, uint64_t now)
{
	ctx_init(&p->x, cfg, now);
	p->base = base;
	p->exit_status = -1;
	serve_init(&p->serve, &p->x);
	store_init(&p->store, &p->x, &p->serve);
	p->store.hold = &p->hold;
	p->store.ring = &p->ring;
	fetching_init(&p->fetching, &p->x);
}

/* Bind and start. */
struct peer *
peer_new(struct event_base *base, const struct config *cfg, const struct resolved *res,
    char *err, size_t errlen)
{
	struct peer	*p;
	struct ring_cfg	 rc;
	uint64_t	 now = clock_now_ms();

	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Every contact comes resolved from main (resolve.c): ourselves as advertised, the
	 * address to bind, and the successors or the known peer. */
	p->x.self = res->self;
	peer_init(p, base, cfg, now);
	memset(&rc, 0, sizeof rc);
	rc.self = p->x.self;
	rc.ping_interval_ms = cfg->ping_interval_ms;
	rc.ping_timeout_ms = cfg->ping_timeout_ms;
	rc.loss_threshold = cfg->loss_threshold;
	rc.quiet_pings = cfg->quiet_pings;
	ring_init(&p->ring, &rc);
	if ((p->x.net = net_new(base, &res->bind, &peer_net_ops, p, err, errlen)) == NULL) {
		free(p);
		return NULL;
	}
	hold_init(&p->hold, &p->x, &p->ring, now);	/* after the bind: we are the one peer */
	if ((p->input = input_new(base, STDIN_FILENO, peer_on_line, p)) == NULL)
		log_warn("not reading standard input");
	if (cfg->form == CLI_JOIN)
		ring_start_join(&p->ring, &res->known, now);
	else {
		ring_start(&p->ring, &res->succ1, &res->succ2, now);
		ring_tick(&p->ring, now);
	}
	peer_apply(p, now);
	peer_rearm(p);
	return p;
}

/* Run the loop until it ends: the exit status our leaving set, or -1 if it ended otherwise. */
int
peer_run(struct peer *p)
{
	event_base_dispatch(p->base);
	return p->exit_status;
}

/* Free everything (files half received are removed). */
void
peer_free(struct peer *p)
{
	fetching_free(&p->fetching);
	serve_free(&p->serve);
	store_free(&p->store);
	hold_free(&p->hold);
	xferlog_close(&p->x.req_log);
	xferlog_close(&p->x.rsp_log);
	input_free(p->input);
	net_free(p->x.net);
	free(p);
}
