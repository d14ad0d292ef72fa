/* One TCP connection's life: its states, framed input, file bodies in and out, teardown. */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "clock.h"
#include "log.h"
#include "net_internal.h"

#define NET_BIT(s)	(1u << (s))
/* The states each state may move to. */
static const unsigned net_conn_next[NET_CONN_NSTATES] = {
	[NET_CONN_CONNECTING] = NET_BIT(NET_CONN_SENDING) | NET_BIT(NET_CONN_DEAD),
	[NET_CONN_SENDING] = NET_BIT(NET_CONN_HALF_CLOSED) | NET_BIT(NET_CONN_DEAD),
	[NET_CONN_READING] = NET_BIT(NET_CONN_SENDING) | NET_BIT(NET_CONN_BODY_IN) |
	    NET_BIT(NET_CONN_DEAD),
	[NET_CONN_BODY_IN] = NET_BIT(NET_CONN_HALF_CLOSED) | NET_BIT(NET_CONN_DEAD),
	[NET_CONN_HALF_CLOSED] = NET_BIT(NET_CONN_BODY_IN) | NET_BIT(NET_CONN_DEAD),
	[NET_CONN_DEAD] = 0,
};

static const char *const net_conn_state_name[NET_CONN_NSTATES] = {
	[NET_CONN_CONNECTING] = "connecting",
	[NET_CONN_SENDING] = "sending",
	[NET_CONN_READING] = "reading",
	[NET_CONN_BODY_IN] = "body-in",
	[NET_CONN_HALF_CLOSED] = "half-closed",
	[NET_CONN_DEAD] = "dead",
};

static void	net_conn_read_cb(struct bufferevent *bev, void *arg);
static void	net_conn_write_cb(struct bufferevent *bev, void *arg);
static void	net_conn_event_cb(struct bufferevent *bev, short what, void *arg);

static const struct timeval net_idle = { NET_IDLE_MS / 1000, (NET_IDLE_MS % 1000) * 1000 };

/* Move c to state `to` if that is a legal step from where it is; 0, or -1 (a bug, warned). */
static int
net_conn_set_state(struct net_conn *c, enum net_conn_state to, const char *why)
{
	enum net_conn_state from = c->state;

	if (!(net_conn_next[from] & NET_BIT(to))) {
		log_warn("bug: connection %llu with %s cannot go from %s to %s",
		    (unsigned long long)c->id, c->peer, net_conn_state_name[from],
		    net_conn_state_name[to]);
		return -1;
	}
	if (c->net->debug)
		fprintf(stderr, "cdht: net: conn %llu %s: %s -> %s%s%s\n",
		    (unsigned long long)c->id, c->peer, net_conn_state_name[from],
		    net_conn_state_name[to], why != NULL ? ": " : "", why != NULL ? why : "");
	c->state = to;
	return 0;
}

/* Free a list of connections. */
void
net_conn_free_all(struct net_conn *c)
{
	while (c != NULL) {
		struct net_conn *next = c->next;

		bufferevent_free(c->bev);
		free(c);
		c = next;
	}
}

/* Tear a connection down: report what it leaves undone, unlink it, free it later. */
void
net_conn_close(struct net_conn *c, const char *why)
{
	struct net	*n = c->net;
	struct net_conn	**pp;
	struct timeval	 zero = { 0, 0 };
	uint64_t	 now = clock_now_ms();
	/* Our message never got out; a file's failure is reported as such (file_sent). */
	bool		 failed = c->ours && c->send_ctx == NULL &&
	    (c->state == NET_CONN_CONNECTING || c->state == NET_CONN_SENDING);

	if (c->state == NET_CONN_DEAD)
		return;
	/* A message that never got out is reported by whoever sent it (send_failed). */
	if (why != NULL && !failed)
		log_warn("connection with %s closed: %s", c->peer, why);
	net_conn_set_state(c, NET_CONN_DEAD, why);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	for (pp = &n->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (!c->ours)
		n->nin--;
	c->next = n->dead;
	n->dead = c;
	evtimer_add(n->reaper, &zero);
	if (failed)
		n->ops->send_failed(n->arg, &c->to, c->type, c->route_id, now);
	/* The callbacks below may ask how far the body got: keep the count they would have read. */
	c->body_moved = net_conn_body_moved(c);
	c->body_closed = true;
	if (c->send_ctx != NULL) {
		void *ctx = c->send_ctx;

		c->send_ctx = NULL;
		n->ops->file_sent(n->arg, ctx, false, now);
	}
	if (c->body_ctx != NULL) {
		void *ctx = c->body_ctx;

		c->body_ctx = NULL;
		n->ops->body_done(n->arg, ctx, false, now);
	}
}

/* Wrap a bufferevent in a connection in its first state and link it. */
struct net_conn *
net_conn_new(struct net *n, struct bufferevent *bev, const struct contact *remote,
    enum net_conn_state state)
{
	struct net_conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	c->net = n;
	c->bev = bev;
	c->body_fd = -1;
	c->state = state;
	c->ours = state == NET_CONN_CONNECTING;
	c->id = ++n->next_conn_id;
	c->frame_since = clock_now_ms();
	c->remote = *remote;
	contact_endpoint_text(remote, c->peer, sizeof c->peer);
	if (n->debug)
		fprintf(stderr, "cdht: net: conn %llu %s: new, %s\n", (unsigned long long)c->id,
		    c->peer, net_conn_state_name[state]);
	bufferevent_setcb(bev, net_conn_read_cb, net_conn_write_cb, net_conn_event_cb, c);
	bufferevent_set_timeouts(bev, &net_idle, &net_idle);
	bufferevent_setwatermark(bev, EV_READ, 0, NET_BODY_CHUNK);
	bufferevent_enable(bev, state == NET_CONN_READING ? EV_READ | EV_WRITE : EV_WRITE);
	c->next = n->conns;
	n->conns = c;
	n->nconns++;
	if (!evtimer_pending(n->sweeper, NULL)) {
		struct timeval t = { NET_SWEEP_MS / 1000, (NET_SWEEP_MS % 1000) * 1000 };

		evtimer_add(n->sweeper, &t);
	}
	return c;
}

/* Write all of buf to a file: 0, or -1. */
static int
net_conn_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* A body came in whole: say so, and shut our side (a body is the last thing said). */
static void
net_conn_body_done(struct net_conn *c)
{
	void	*ctx = c->body_ctx;

	c->body_ctx = NULL;
	c->body_fd = -1;
	c->frame_since = clock_now_ms();
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	net_conn_set_state(c, NET_CONN_HALF_CLOSED, "body received");
	c->net->ops->body_done(c->net->arg, ctx, true, c->frame_since);
}

/* Write what has arrived of an expected body to its file: 0, or -1 when c died. */
static int
net_conn_body(struct net_conn *c, struct evbuffer *in)
{
	struct net	*n = c->net;
	size_t		 burst;
	ssize_t		 got;

	while (c->body_left > 0 && evbuffer_get_length(in) > 0) {
		size_t	want = evbuffer_get_length(in);
		int	w;

		if (want > c->body_left)
			want = c->body_left;
		w = evbuffer_write_atmost(in, c->body_fd, (ev_ssize_t)want);
		if (w <= 0) {
			net_conn_close(c, "cannot write the received file");
			return -1;
		}
		c->body_left -= (uint32_t)w;
	}
	/*
	 * libevent 2.1 reads at most 4096 bytes a call (EVBUFFER_MAX_READ), so a body would
	 * cost four syscalls per 4 KiB. Read the rest of it from the socket directly, never
	 * past its last byte, so any frame after it is still the bufferevent's to read.
	 */
	for (burst = 0; c->body_left > 0 && burst < NET_BODY_BURST; burst += (size_t)got) {
		size_t want = c->body_left < sizeof n->body_buf ? c->body_left :
		    sizeof n->body_buf;

		got = read(bufferevent_getfd(c->bev), n->body_buf, want);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (got <= 0) {
			net_conn_close(c, got == 0 ? "it ended in the middle of a file" :
			    strerror(errno));
			return -1;
		}
		if (net_conn_write_all(c->body_fd, n->body_buf, (size_t)got) != 0) {
			net_conn_close(c, "cannot write the received file");
			return -1;
		}
		c->body_left -= (uint32_t)got;
	}
	if (c->body_left == 0)
		net_conn_body_done(c);
	return 0;
}

/* Is there a whole frame at the head of in? 1 yes (*flen set), 0 not yet, -1 c died. */
static int
net_conn_frame_ready(struct net_conn *c, struct evbuffer *in, size_t *flen)
{
	const char	*why;
	size_t		 avail = evbuffer_get_length(in);
	uint8_t		*p;
	int		 rc;

	if (avail == 0)
		return 0;
	if (c->frames == NET_MAX_FRAMES) {
		net_conn_close(c, "too many messages on one connection");
		return -1;
	}
	if (avail > WIRE_HEADER_LEN)
		avail = WIRE_HEADER_LEN;
	p = evbuffer_pullup(in, (ev_ssize_t)avail);
	if (net_other_version(c->net, p, avail, &c->remote)) {
		net_conn_close(c, NULL);
		return -1;
	}
	rc = wire_frame_len(p, avail, flen, &why);
	if (rc < 0) {
		net_conn_close(c, why);
		return -1;
	}
	return rc == 0 && evbuffer_get_length(in) >= *flen;
}

/* Bytes arrived: bodies to files, whole frames decoded and handed on. */
static void
net_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn	*c = arg;
	struct net	*n = c->net;
	struct evbuffer	*in = bufferevent_get_input(bev);

	for (;;) {
		struct wire_msg	 m;
		const char	*why;
		size_t		 flen = 0;
		int		 rc;

		if (c->state == NET_CONN_BODY_IN) {
			if (net_conn_body(c, in) != 0 || c->state == NET_CONN_BODY_IN)
				return;
			continue;
		}
		if (c->state != NET_CONN_READING && c->state != NET_CONN_HALF_CLOSED)
			return;		/* we are talking (SENDING) or dead: input waits */
		if ((rc = net_conn_frame_ready(c, in, &flen)) <= 0)
			return;
		if (wire_decode(evbuffer_pullup(in, (ev_ssize_t)flen), flen, &m, &why) != 0) {
			net_conn_close(c, why);
			return;
		}
		c->frame_since = clock_now_ms();
		c->frames++;
		if (net_family_ok(n, &m, c->frame_since))
			n->ops->frame(n->arg, c, &m, c->frame_since);
		if (c->state == NET_CONN_DEAD)
			return;
		evbuffer_drain(in, flen);
	}
}

/* Our output drained: a queued file is out; our side is done and shut. */
static void
net_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn	*c = arg;
	void		*ctx = c->send_ctx;

	(void)bev;
	if (c->state != NET_CONN_SENDING)
		return;		/* writable, but we have said nothing */
	c->send_ctx = NULL;
	c->frame_since = clock_now_ms();	/* the other side's turn */
	/* Tell the other side we are done talking; it closes after reading. */
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	net_conn_set_state(c, NET_CONN_HALF_CLOSED, "all written");
	bufferevent_set_timeouts(c->bev, &net_idle, &net_idle);
	bufferevent_enable(c->bev, EV_READ);
	if (ctx != NULL)
		c->net->ops->file_sent(c->net->arg, ctx, true, c->frame_since);
	/* What came in while we talked waits in the input; no new bytes may announce it. */
	if (c->state != NET_CONN_DEAD && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		net_conn_read_cb(c->bev, c);
}

/* Connected, end of input, error or timeout. */
static void
net_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		net_conn_set_state(c, NET_CONN_SENDING, "connected");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* Input is read only when we have nothing left to say: the end is the end. */
		net_conn_close(c, c->state == NET_CONN_BODY_IN ?
		    "it ended in the middle of a file" : NULL);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		net_conn_close(c, "idle for too long");
		return;
	}
	net_conn_close(c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* May c be closed to make room: accepted, and waiting for a whole message, not moving a file? */
bool
net_conn_evictable(const struct net_conn *c)
{
	return !c->ours && (c->state == NET_CONN_READING || c->state == NET_CONN_HALF_CLOSED);
}

/* Queue one encoded frame on a connection. */
int
net_conn_queue(struct net_conn *c, const struct wire_msg *m)
{
	uint8_t	buf[WIRE_HEADER_LEN + 128];
	size_t	len;

	if ((len = wire_encode(m, buf, sizeof buf)) == 0) {
		log_warn("cannot encode %s", wire_type_name(m->type));
		return -1;
	}
	return bufferevent_write(c->bev, buf, len);
}

/* Queue m (unless NULL), then size bytes of fd on c. */
int
net_conn_send_file(struct net_conn *c, const struct wire_msg *m, int fd, uint32_t size,
    void *ctx)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	/* A file goes out behind our one message, or as the one answer to theirs. */
	if (c->send_ctx != NULL || (c->state != NET_CONN_CONNECTING &&
	    c->state != NET_CONN_SENDING && c->state != NET_CONN_READING)) {
		close(fd);
		return -1;
	}
	if (c->state == NET_CONN_READING) {
		net_conn_set_state(c, NET_CONN_SENDING, "answering with a file");
		bufferevent_disable(c->bev, EV_READ);
	}
	c->send_ctx = ctx;
	c->body_size = size;
	if ((m != NULL && net_conn_queue(c, m) != 0) ||
	    (size > 0 && evbuffer_add_file(out, fd, 0, (ev_off_t)size) != 0)) {
		close(fd);
		net_conn_close(c, "cannot queue the file");
		return 0;	/* file_sent(!ok) was called */
	}
	if (size == 0)
		close(fd);
	/* The receiver says nothing while a file streams: only writes must progress. */
	bufferevent_set_timeouts(c->bev, NULL, &net_idle);
	bufferevent_enable(c->bev, EV_WRITE);
	return 0;
}

/* The next size bytes on c are a file body for fd. */
void
net_conn_expect_body(struct net_conn *c, int fd, uint32_t size, void *ctx)
{
	/* Only a frame handler calls this, and frames are handed on only in these states. */
	if (c->state != NET_CONN_READING && c->state != NET_CONN_HALF_CLOSED) {
		log_warn("bug: connection %llu with %s cannot take a body while %s",
		    (unsigned long long)c->id, c->peer, net_conn_state_name[c->state]);
		return;
	}
	net_conn_set_state(c, NET_CONN_BODY_IN, "a file follows");
	c->body_ctx = ctx;
	c->body_fd = fd;
	c->body_left = size;
	c->body_size = size;
	/* The bytes may already be waiting behind the frame being handled: the read loop goes on. */
}

/* Bytes of the body moved: what has left the output buffer, or reached the file. */
uint32_t
net_conn_body_moved(const struct net_conn *c)
{
	size_t queued;

	if (c->body_closed)
		return c->body_moved;
	if (c->body_ctx != NULL)
		return c->body_size - c->body_left;
	if (c->send_ctx == NULL)
		return 0;
	/* The output holds what is left of the body, perhaps behind the rest of a frame. */
	queued = evbuffer_get_length(bufferevent_get_output(c->bev));
	return queued >= c->body_size ? 0 : c->body_size - (uint32_t)queued;
}

/* A number no other connection of this process has had. */
uint64_t
net_conn_id(const struct net_conn *c)
{
	return c->id;
}

/* The connection's remote address. */
const char *
net_conn_peer(const struct net_conn *c)
{
	return c->peer;
}
