/* A peer's snapshot formatted as the `status` text and the `status --json` line. Pure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cdht/status.h"

/* Text being built into a caller's buffer; overflow is remembered, never overrun. */
struct status_buf {
	char	*buf;
	size_t	 cap, len;
	bool	 overflow;
};

static void	status_put(struct status_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Append printf-style text. */
static void
status_put(struct status_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		b->buf[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

/* Append a JSON string. */
static void
status_put_str(struct status_buf *b, const char *s)
{
	size_t n;

	if (b->overflow)
		return;
	n = status_json_string(s, b->buf + b->len, b->cap - b->len);
	if (n == 0)
		b->overflow = true;
	b->len += n;
}

/* Append a number, or null for STATUS_NONE. */
static void
status_put_num(struct status_buf *b, int64_t v)
{
	if (v == STATUS_NONE)
		status_put(b, "null");
	else
		status_put(b, "%lld", (long long)v);
}

/* s as a JSON string: quotes, backslashes and control characters escaped. */
size_t
status_json_string(const char *s, char *buf, size_t cap)
{
	size_t	len = 0;

	if (cap < 3)
		return 0;
	buf[len++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;
		char		esc[8];
		size_t		n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof esc, "\\%c", c);
		else if (c == '\n')
			n = (size_t)snprintf(esc, sizeof esc, "\\n");
		else if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
		else
			n = (size_t)snprintf(esc, sizeof esc, "%c", c);
		if (len + n + 2 > cap)
			return 0;
		memcpy(buf + len, esc, n);
		len += n;
	}
	buf[len++] = '"';
	buf[len] = '\0';
	return len;
}

/* The keys from the first predecessor (exclusive) to us (inclusive). */
bool
status_owns(const struct status_snapshot *s, int *from, int *to)
{
	if (!s->pred[0].known)
		return false;
	*from = (s->pred[0].c.id + 1) % 256;
	*to = s->self.id;
	return true;
}

/* Append a transfer if there is room. */
bool
status_add_transfer(struct status_snapshot *s, const struct status_transfer *t)
{
	if (s->ntransfers >= STATUS_MAX_TRANSFERS)
		return false;
	s->transfers[s->ntransfers++] = *t;
	return true;
}

/* A held file's role, as both formats name it. */
static const char *const status_role_names[] = {
	[STATUS_OWN] = "own", [STATUS_OWNER] = "owner", [STATUS_REPLICA] = "replica",
};

/* One "label: peer N at addr" line of the text. */
static void
status_text_line(struct status_buf *b, const char *label, const struct status_neighbour *n)
{
	char	addr[CONTACT_TEXT_MAX];

	if (!n->known)
		status_put(b, "%s: unknown\n", label);
	else
		status_put(b, "%s: peer %u at %s\n", label, n->c.id,
		    contact_endpoint_text(&n->c, addr, sizeof addr));
}

/* The window and timeout at the end of the State line ("", where not known). */
static void
status_text_settings(struct status_buf *b, const struct status_config *c)
{
	if (c->window != STATUS_NONE)
		status_put(b, ", window %lld", (long long)c->window);
	if (c->timeout_ms == 0)
		status_put(b, ", timeout auto\n");
	else
		status_put(b, ", timeout %g s\n", (double)c->timeout_ms / 1000.0);
}

/* How fast a transfer goes: rate (B/s) if told, and the seconds left if also its size is. */
struct status_pace {
	bool	rated, timed;
	double	rate, left_s;
};

/* The pace of transfer t so far, for the text and the JSON alike. */
static struct status_pace
status_pace(const struct status_transfer *t)
{
	struct status_pace	p = { false, false, 0, 0 };

	p.rated = t->bytes != STATUS_NONE && t->elapsed_ms != STATUS_NONE &&
	    t->elapsed_ms > 0 && t->bytes > 0;
	if (!p.rated)
		return p;
	p.rate = (double)t->bytes * 1000.0 / (double)t->elapsed_ms;
	p.timed = t->size != STATUS_NONE && t->size >= t->bytes;
	if (p.timed)
		p.left_s = (double)(t->size - t->bytes) / p.rate;
	return p;
}

/* The name of a transfer's kind, in the text and the JSON. */
static const char *
status_kind_name(enum status_kind k)
{
	static const char *const kinds[] = {
		[STATUS_REQUEST] = "request", [STATUS_STORE] = "store",
		[STATUS_HANDOFF] = "handoff", [STATUS_REPLICA_COPY] = "replica",
	};

	return kinds[k];
}

/* "  sending 2012 to peer 8 (udp): 1200 of 3000 bytes (40%), 600 B/s, 3 s left, RTO 2 ms" */
static void
status_text_transfer(struct status_buf *b, const struct status_transfer *t)
{
	struct status_pace	pace = status_pace(t);

	status_put(b, "  %s %s %04d %s peer %d (%s):", status_kind_name(t->kind),
	    t->dir == STATUS_SEND ? "sending" : "receiving", t->file,
	    t->dir == STATUS_SEND ? "to" : "from", t->peer, t->tcp ? "tcp" : "udp");
	if (t->bytes != STATUS_NONE)
		status_put(b, " %lld", (long long)t->bytes);
	else
		status_put(b, " ?");
	if (t->size != STATUS_NONE)
		status_put(b, " of %lld bytes (%.1f%%)", (long long)t->size, t->size == 0 ? 100.0 :
		    t->bytes == STATUS_NONE ? 0.0 : 100.0 * (double)t->bytes / (double)t->size);
	else
		status_put(b, " bytes, size not known yet");
	if (pace.rated)
		status_put(b, ", %.0f B/s", pace.rate);
	if (pace.timed)
		status_put(b, ", %.1f s left", pace.left_s);
	if (t->rto_ms != STATUS_NONE)
		status_put(b, ", RTO %lld ms", (long long)t->rto_ms);
	status_put(b, "\n");
}

/* The `status` text. */
size_t
status_format_text(const struct status_snapshot *s, char *buf, size_t cap)
{
	static const char *const states[] = {
		[STATUS_JOINING] = "joining", [STATUS_UP] = "in the ring",
		[STATUS_LEAVING] = "leaving", [STATUS_STARTING] = "starting",
		[STATUS_EXITING] = "exiting",
	};
	struct status_buf	 b = { buf, cap, 0, false };
	struct status_neighbour	 self = { true, s->self, STATUS_NONE };
	size_t			 i, sending = 0, requested = 0, receiving = 0;

	buf[0] = '\0';
	status_text_line(&b, "Peer", &self);
	status_put(&b, "State: %s; %s dialect, %s transfer, mss %u, drop %g", states[s->state],
	    s->cfg.dialect == DIALECT_P2P ? "p2p" : "classic", s->cfg.tcp ? "tcp" : "udp",
	    s->cfg.mss, s->cfg.drop);
	status_text_settings(&b, &s->cfg);
	status_text_line(&b, "First successor", &s->succ[0]);
	status_text_line(&b, "Second successor", &s->succ[1]);
	status_text_line(&b, "First predecessor", &s->pred[0]);
	status_text_line(&b, "Second predecessor", &s->pred[1]);
	status_put(&b, "Files:");
	for (i = 0; i < s->nfiles; i++)
		status_put(&b, " %04d (%s)", s->files[i].file, status_role_names[s->files[i].role]);
	status_put(&b, "%s\n", s->nfiles == 0 ? " none" : "");
	for (i = 0; i < s->ntransfers; i++) {
		sending += s->transfers[i].dir == STATUS_SEND;
		requested += s->transfers[i].dir == STATUS_RECEIVE &&
		    s->transfers[i].kind == STATUS_REQUEST;
		receiving += s->transfers[i].dir == STATUS_RECEIVE &&
		    s->transfers[i].kind != STATUS_REQUEST;
	}
	status_put(&b, "Transfers: %zu sending, %zu requested, %zu receiving\n", sending,
	    requested, receiving);
	for (i = 0; i < s->ntransfers; i++)
		status_text_transfer(&b, &s->transfers[i]);
	return b.len;
}

/* A neighbour as {"id":..,"contact":..[,"<ago>":..]} or null. */
static void
status_json_neighbour(struct status_buf *b, const struct status_neighbour *n, const char *ago)
{
	char	text[CONTACT_TEXT_MAX];

	if (!n->known) {
		status_put(b, "null");
		return;
	}
	status_put(b, "{\"id\":%u,\"contact\":", n->c.id);
	status_put_str(b, contact_text(&n->c, text, sizeof text));
	if (ago != NULL) {
		status_put(b, ",\"%s\":", ago);
		status_put_num(b, n->ago_ms);
	}
	status_put(b, "}");
}

/* The "config" object. */
static void
status_json_config(struct status_buf *b, const struct status_config *c)
{
	status_put(b, "\"config\":{\"dialect\":\"%s\",\"transfer\":\"%s\",\"mss\":%u,\"drop\":%g,"
	    "\"window\":", c->dialect == DIALECT_P2P ? "p2p" : "classic", c->tcp ? "tcp" : "udp",
	    c->mss, c->drop);
	status_put_num(b, c->window);
	if (c->timeout_ms == 0)
		status_put(b, ",\"timeout\":\"auto\"");
	else
		status_put(b, ",\"timeout\":\"%g\"", (double)c->timeout_ms / 1000.0);
	status_put(b, ",\"replicas\":");
	status_put_num(b, c->replicas);
	status_put(b, ",\"ping_interval_ms\":%u,\"ping_timeout_ms\":%u,\"loss_threshold\":%u}",
	    c->ping_interval_ms, c->ping_timeout_ms, c->loss_threshold);
}

/* One element of "transfers". */
static void
status_json_transfer(struct status_buf *b, const struct status_transfer *t)
{
	struct status_pace	pace = status_pace(t);

	status_put(b, "{\"dir\":\"%s\",\"kind\":\"%s\",\"file\":\"%04d\",\"peer\":%d,"
	    "\"mode\":\"%s\",\"bytes\":", t->dir == STATUS_SEND ? "send" : "receive",
	    status_kind_name(t->kind), t->file, t->peer, t->tcp ? "tcp" : "udp");
	status_put_num(b, t->bytes);
	status_put(b, ",\"size\":");
	status_put_num(b, t->size);
	if (t->bytes != STATUS_NONE && t->size != STATUS_NONE)
		status_put(b, ",\"percent\":%.1f", t->size == 0 ? 100.0 :
		    100.0 * (double)t->bytes / (double)t->size);
	else
		status_put(b, ",\"percent\":null");
	if (pace.rated)
		status_put(b, ",\"rate_bps\":%.0f", pace.rate);
	else
		status_put(b, ",\"rate_bps\":null");
	if (pace.timed)
		status_put(b, ",\"eta_s\":%.1f", pace.left_s);
	else
		status_put(b, ",\"eta_s\":null");
	status_put(b, ",\"rto_ms\":");
	status_put_num(b, t->rto_ms);
	status_put(b, "}");
}

/* The "files", "transfers" and "counters" members. */
static void
status_json_lists(struct status_buf *b, const struct status_snapshot *s)
{
	const char *const *roles = status_role_names;
	const struct status_counters	*k = &s->counters;
	const struct { const char *name; int64_t value; } counters[] = {
		{ "pings_sent", k->pings_sent }, { "pings_answered", k->pings_answered },
		{ "misses", k->misses }, { "repairs", k->repairs },
		{ "bytes_in", k->bytes_in }, { "bytes_out", k->bytes_out },
	};
	size_t				 i;

	status_put(b, ",\"files\":[");
	for (i = 0; i < s->nfiles; i++) {
		status_put(b, "%s{\"file\":\"%04d\",\"key\":%d,\"role\":\"%s\",\"size\":",
		    i > 0 ? "," : "", s->files[i].file, s->files[i].file % 256,
		    roles[s->files[i].role]);
		status_put_num(b, s->files[i].size);
		status_put(b, "}");
	}
	status_put(b, "],\"transfers\":[");
	for (i = 0; i < s->ntransfers; i++) {
		status_put(b, "%s", i > 0 ? "," : "");
		status_json_transfer(b, &s->transfers[i]);
	}
	status_put(b, "],\"counters\":{");
	for (i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		status_put(b, "%s\"%s\":", i > 0 ? "," : "", counters[i].name);
		status_put_num(b, counters[i].value);
	}
	status_put(b, "}");
}

/* The "last_command" member: null, or the line and whether the peer took it. */
static void
status_json_command(struct status_buf *b, const struct status_command *c)
{
	status_put(b, ",\"last_command\":");
	if (!c->known) {
		status_put(b, "null");
		return;
	}
	status_put(b, "{\"line\":");
	status_put_str(b, c->line);
	status_put(b, ",\"ok\":%s,\"error\":", c->ok ? "true" : "false");
	if (c->ok)
		status_put(b, "null");
	else
		status_put_str(b, c->error);
	status_put(b, "}");
}

/* The `status --json` line. */
size_t
status_format_json(const struct status_snapshot *s, char *buf, size_t cap)
{
	static const char *const states[] = {
		[STATUS_JOINING] = "joining", [STATUS_UP] = "up", [STATUS_LEAVING] = "leaving",
		[STATUS_STARTING] = "starting", [STATUS_EXITING] = "exiting",
	};
	struct status_buf	b = { buf, cap, 0, false };
	char			text[CONTACT_TEXT_MAX];
	int			from, to, i;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	status_put(&b, "{\"cdht\":%d,\"id\":%u,\"contact\":", STATUS_FORMAT, s->self.id);
	status_put_str(&b, contact_text(&s->self, text, sizeof text));
	status_put(&b, ",\"state\":\"%s\",\"repairing\":%s,", states[s->state],
	    s->repairing ? "true" : "false");
	status_json_config(&b, &s->cfg);
	status_put(&b, ",\"successors\":[");
	for (i = 0; i < 2; i++) {
		status_put(&b, "%s", i > 0 ? "," : "");
		status_json_neighbour(&b, &s->succ[i], "last_answer_ms");
	}
	status_put(&b, "],\"third_successor\":");
	status_json_neighbour(&b, &s->third, NULL);
	status_put(&b, ",\"predecessors\":[");
	for (i = 0; i < 2; i++) {
		status_put(&b, "%s", i > 0 ? "," : "");
		status_json_neighbour(&b, &s->pred[i], "last_seen_ms");
	}
	if (status_owns(s, &from, &to))
		status_put(&b, "],\"owns\":{\"from\":%d,\"to\":%d}", from, to);
	else
		status_put(&b, "],\"owns\":null");
	status_json_lists(&b, s);
	status_json_command(&b, &s->last_command);
	status_put(&b, "}\n");
	return b.overflow ? 0 : b.len;
}
