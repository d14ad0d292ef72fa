/* A peer's console: stdin commands (requests sent again, quit) and the status snapshot. */
#include <stdio.h>
#include <string.h>

#include "cdht/cmd.h"
#include "clock.h"
#include "log.h"
#include "peer_internal.h"

/* One neighbour of the snapshot; at is when it last answered or pinged (0: never). */
static struct status_neighbour
peer_neighbour(bool known, const struct contact *c, uint64_t at, uint64_t now)
{
	struct status_neighbour n = { known, *c, at == 0 ? STATUS_NONE : (int64_t)(now - at) };

	return n;
}

/* The peer at this moment: the one place the snapshot is filled. */
static void
peer_snapshot(const struct peer *p, uint64_t now, struct status_snapshot *s)
{
	static const enum status_state states[] = {
		[RING_IDLE] = STATUS_STARTING, [RING_JOINING] = STATUS_JOINING,
		[RING_UP] = STATUS_UP, [RING_LEAVING] = STATUS_LEAVING,
		[RING_EXITED] = STATUS_EXITING,
	};
	const struct ring	*r = &p->ring;
	const struct config	*cfg = &p->x.cfg;
	int			 i;

	memset(s, 0, sizeof *s);
	s->self = r->cfg.self;
	/* Handing off before departing is leaving already. */
	s->state = p->quitting && r->state != RING_EXITED ? STATUS_LEAVING : states[r->state];
	s->repairing = r->repairing;
	s->cfg = (struct status_config){ cfg->dialect, cfg->transfer_tcp, cfg->mss, cfg->drop,
	    cfg->window, cfg->timeout_auto ? 0 : cfg->timeout_ms, cfg->replicas,
	    cfg->ping_interval_ms, cfg->ping_timeout_ms, cfg->loss_threshold };
	for (i = 0; i < 2; i++) {
		s->succ[i] = peer_neighbour(r->succ[i].known, &r->succ[i].c,
		    p->answered_at[r->succ[i].c.id], now);
		s->pred[i] = peer_neighbour(r->pred[i].known, &r->pred[i].c,
		    r->pred[i].last_seen, now);
	}
	store_snapshot(&p->store, s, now);
	hold_snapshot(&p->hold, s, now);
	serve_snapshot(&p->serve, s, now);
	fetching_snapshot(&p->fetching, s, now);
	s->counters.pings_sent = (int64_t)r->stats.pings_sent;
	s->counters.pings_answered = (int64_t)r->stats.pings_answered;
	s->counters.misses = (int64_t)r->stats.misses;
	s->counters.repairs = (int64_t)r->stats.deaths;
	s->third = peer_neighbour(r->third_known, &r->third, 0, now);
	s->last_command = p->last_command;
	s->counters.bytes_in = p->x.bytes_in;
	s->counters.bytes_out = p->x.bytes_out;
}

/* `status` or `status --json`, on stdout. */
static void
peer_print_status(const struct peer *p, bool json, uint64_t now)
{
	static struct status_snapshot	s;
	static char			buf[STATUS_TEXT_MAX];

	peer_snapshot(p, now, &s);
	if (json ? status_format_json(&s, buf, sizeof buf) > 0 :
	    status_format_text(&s, buf, sizeof buf) > 0)
		fputs(buf, stdout);
}

/* A fresh, hard-to-guess id for a request or store (answers must name it). */
static uint32_t
peer_new_id(struct peer *p)
{
	uint32_t id;

	do
		id = (uint32_t)(xfer_rng_uniform(&p->x.rng) * 4294967296.0);
	while (id == 0 || fetching_find(&p->fetching, id) != NULL ||
	    store_find_offer(&p->store, id) != NULL);
	return id;
}

/* A request of ours for file into the ring, by the transfer mode of the command line. */
static void
peer_send_request(struct peer *p, int file, uint32_t id, uint64_t now)
{
	ring_request(&p->ring, file, id, p->x.cfg.transfer_tcp ? WIRE_MODE_TCP : WIRE_MODE_UDP,
	    now);
}

/* `request F` or `store F` typed with a valid name. */
static void
peer_cmd_file(struct peer *p, bool store, int file, uint64_t now)
{
	uint32_t id;

	if (p->ring.state != RING_UP) {
		log_say("not in a ring yet: %s %04d not sent", store ? "store" : "request", file);
		return;
	}
	id = peer_new_id(p);
	if (store) {
		if (store_offer(&p->store, file, id, now) != 0)
			return;
		ring_store(&p->ring, file, id, now);
	} else {
		fetching_start(&p->fetching, file, id, now);
		peer_send_request(p, file, id, now);
	}
	peer_apply(p, now);
}

/* Requests whose first hop failed go out again once the ring has another first successor. */
void
peer_resend(struct peer *p, uint64_t now)
{
	int		succ = p->ring.state == RING_UP && p->ring.succ[0].known ?
	    p->ring.succ[0].c.id : -1;
	int		file;
	uint32_t	id;

	while (fetching_resend_next(&p->fetching, succ, now, &file, &id))
		peer_send_request(p, file, id, now);
	peer_apply(p, now);
}

/*
 * Remember whether the command just typed was taken, for status --json (tools read it there
 * instead of guessing from stderr). A command is refused when its handling said something to
 * the user; quit's "left the ring" is not a refusal. status and help leave the record alone.
 */
static void
peer_note_command(struct peer *p, const struct cmd *c, const char *line, unsigned long said)
{
	struct status_command *lc = &p->last_command;

	if (c->kind == CMD_EMPTY || c->kind == CMD_STATUS || c->kind == CMD_STATUS_JSON ||
	    c->kind == CMD_HELP)
		return;
	memset(lc, 0, sizeof *lc);
	lc->known = true;
	lc->ok = c->kind == CMD_QUIT || log_said() == said;
	line += strspn(line, " \t\r\v\f");
	snprintf(lc->line, sizeof lc->line, "%s", line);
	lc->line[strcspn(lc->line, "\r\n")] = '\0';
	for (size_t n = strlen(lc->line); n > 0 && strchr(" \t\v\f", lc->line[n - 1]); n--)
		lc->line[n - 1] = '\0';
	if (!lc->ok)
		snprintf(lc->error, sizeof lc->error, "%s", log_last_said());
}

/* One line of standard input. */
void
peer_on_line(char *line, void *arg)
{
	static struct cmd	 c;
	struct peer		*p = arg;
	uint64_t		 now = clock_now_ms();
	char			 text[CMD_TEXT_MAX];

	unsigned long		 said = log_said();

	cmd_parse(line, &c);
	switch (c.kind) {
	case CMD_EMPTY:
		break;
	case CMD_REQUEST:
	case CMD_STORE:
		peer_cmd_file(p, c.kind == CMD_STORE, c.file, now);
		break;
	case CMD_QUIT:
		peer_quit(p, now);
		break;
	case CMD_STATUS:
	case CMD_STATUS_JSON:
		peer_print_status(p, c.kind == CMD_STATUS_JSON, now);
		break;
	case CMD_HELP:
		fputs(cmd_help(), stdout);
		break;
	default:
		log_say("%s", cmd_feedback(&c, text, sizeof text));
		break;
	}
	peer_note_command(p, &c, line, said);
	peer_rearm(p);
}

/* `quit`: hand our files off first (bounded by progress), then depart. */
void
peer_quit(struct peer *p, uint64_t now)
{
	if (p->quitting)
		return;
	if (p->ring.state == RING_UP && hold_leave(&p->hold, now)) {
		p->quitting = true;	/* peer_hold_step departs once it is over */
		return;
	}
	ring_quit(&p->ring, now);
	peer_apply(p, now);
}
