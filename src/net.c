/* The transport: UDP socket, TCP listener, framed connections, file bodies and the timer. */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "clock.h"
#include "log.h"
#include "net.h"

#define NET_UDP_BURST		64		/* datagrams read per readiness */
#define NET_UDP_BUF		(1 << 20)	/* bytes of socket buffer asked for */
#define NET_BODY_CHUNK		(256 * 1024)	/* bytes per direct read of a file body */
#define NET_BODY_BURST		(16 * NET_BODY_CHUNK)	/* bytes of body read per callback */
#define NET_SWEEP_MS		1000		/* ms between checks for stalled connections */

enum net_conn_state {
	NET_CONN_CONNECTING,	/* ours, connect in progress */
	NET_CONN_OPEN,		/* frames flow */
	NET_CONN_DEAD		/* unlinked; freed on the next loop turn */
};

/* One TCP connection. Owned by the net's list; freed a loop turn after it dies. */
struct net_conn {
	struct net		*net;
	struct net_conn		*next;
	struct bufferevent	*bev;
	enum net_conn_state	 state;
	uint64_t		 id;
	uint64_t		 frame_since;	/* when the frame being awaited was due to start */
	unsigned		 frames;	/* frames received */
	char			 peer[48];	/* "a.b.c.d:port" */
	/* ours: who and what, for send_failed */
	bool			 outgoing;
	struct contact		 to;
	int			 type;
	bool			 queued;	/* we have written something on it */
	bool			 delivered;	/* and it all drained at least once */
	bool			 read_eof;
	/* a body we send */
	void			*send_ctx;
	/* a body we receive */
	void			*body_ctx;
	int			 body_fd;
	uint32_t		 body_left;
};

/* The transport. Owned by the peer. */
struct net {
	struct event_base	*base;
	struct contact		 self;
	const struct net_ops	*ops;
	void			*arg;
	int			 udp_fd;
	struct event		*udp_ev;
	struct evconnlistener	*listener;
	struct event		*timer;
	struct net_conn		*conns;
	size_t			 nconns;	/* open or dead-not-yet-reaped: each holds an fd */
	size_t			 nin;		/* of which accepted (open ones only) */
	uint64_t		 next_conn_id;
	struct event		*sweeper;
	struct net_conn		*dead;		/* closed, freed by the reaper next turn */
	struct event		*reaper;
	uint8_t			 body_buf[NET_BODY_CHUNK];
	uint8_t			 udp_in[WIRE_MAX_FRAME + 1];
	uint8_t			 udp_out[WIRE_MAX_FRAME];
};

static void	net_conn_read_cb(struct bufferevent *bev, void *arg);
static void	net_conn_write_cb(struct bufferevent *bev, void *arg);
static void	net_conn_event_cb(struct bufferevent *bev, short what, void *arg);

/* sockaddr of a contact. */
static void
net_sockaddr(const struct contact *c, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr.s_addr, c->addr, 4);
	sin->sin_port = htons(c->port);
}

/* "a.b.c.d:port" of a sockaddr. */
static void
net_format(const struct sockaddr_in *sin, char *buf, size_t cap)
{
	char	a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a) == NULL)
		snprintf(a, sizeof a, "?");
	snprintf(buf, cap, "%s:%u", a, ntohs(sin->sin_port));
}

/* Free a list of connections. */
static void
net_conn_free_all(struct net_conn *c)
{
	while (c != NULL) {
		struct net_conn *next = c->next;

		bufferevent_free(c->bev);
		free(c);
		c = next;
	}
}

/* Free the connections that died, a loop turn after (none of their callbacks is running). */
static void
net_reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	struct net_conn	*dead = n->dead, *c;

	(void)fd;
	(void)what;
	n->dead = NULL;
	for (c = dead; c != NULL; c = c->next)
		n->nconns--;	/* their fds close now */
	net_conn_free_all(dead);
}

/* Tear a connection down: report what it leaves undone, unlink it, free it later. */
static void
net_conn_close(struct net_conn *c, const char *why)
{
	struct net	*n = c->net;
	struct net_conn	**pp;
	struct timeval	 zero = { 0, 0 };
	uint64_t	 now = clock_now_ms();
	/* A file's failure is reported as such (file_sent), not also as a failed message. */
	bool		 failed = c->outgoing && !c->delivered && c->send_ctx == NULL;

	if (c->state == NET_CONN_DEAD)
		return;
	/* A message that never got out is reported by whoever sent it (send_failed). */
	if (why != NULL && !failed)
		log_warn("connection with %s closed: %s", c->peer, why);
	c->state = NET_CONN_DEAD;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	for (pp = &n->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (!c->outgoing)
		n->nin--;
	c->next = n->dead;
	n->dead = c;
	evtimer_add(n->reaper, &zero);
	if (failed)
		n->ops->send_failed(n->arg, &c->to, c->type, now);
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

/* Wrap a bufferevent in a connection and link it. */
static struct net_conn *
net_conn_new(struct net *n, struct bufferevent *bev, const struct sockaddr_in *sin)
{
	struct net_conn	*c;
	struct timeval	 idle = { NET_IDLE_MS / 1000, (NET_IDLE_MS % 1000) * 1000 };

	if ((c = calloc(1, sizeof *c)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	c->net = n;
	c->bev = bev;
	c->body_fd = -1;
	c->state = NET_CONN_OPEN;
	c->id = ++n->next_conn_id;
	c->frame_since = clock_now_ms();
	net_format(sin, c->peer, sizeof c->peer);
	bufferevent_setcb(bev, net_conn_read_cb, net_conn_write_cb, net_conn_event_cb, c);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_setwatermark(bev, EV_READ, 0, NET_BODY_CHUNK);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	c->next = n->conns;
	n->conns = c;
	n->nconns++;
	if (!evtimer_pending(n->sweeper, NULL)) {
		struct timeval t = { NET_SWEEP_MS / 1000, (NET_SWEEP_MS % 1000) * 1000 };

		evtimer_add(n->sweeper, &t);
	}
	return c;
}

/* Close when there is nothing left to do: the other side is done and our output is out. */
static void
net_conn_maybe_done(struct net_conn *c)
{
	if (c->state == NET_CONN_DEAD || !c->read_eof || c->send_ctx != NULL ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return;
	if (c->body_ctx != NULL) {
		net_conn_close(c, "it ended in the middle of a file");
		return;
	}
	net_conn_close(c, NULL);
}

/* Write all of buf to a file: 0, or -1. */
static int
net_write_all(int fd, const uint8_t *buf, size_t len)
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

/* Write what has arrived of an expected body to its file. */
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
		if (net_write_all(c->body_fd, n->body_buf, (size_t)got) != 0) {
			net_conn_close(c, "cannot write the received file");
			return -1;
		}
		c->body_left -= (uint32_t)got;
	}
	if (c->body_left == 0 && c->body_ctx != NULL) {
		void *ctx = c->body_ctx;

		c->body_ctx = NULL;
		c->body_fd = -1;
		c->frame_since = clock_now_ms();
		c->net->ops->body_done(c->net->arg, ctx, true, c->frame_since);
	}
	return 0;
}

/* Bytes arrived: bodies to files, whole frames decoded and handed on. */
static void
net_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn	*c = arg;
	struct net	*n = c->net;
	struct evbuffer	*in = bufferevent_get_input(bev);

	while (c->state != NET_CONN_DEAD) {
		struct wire_msg	 m;
		const char	*why;
		size_t		 avail, flen;
		uint8_t		*p;
		int		 rc;

		if (c->body_ctx != NULL) {
			if (net_conn_body(c, in) != 0 || c->body_ctx != NULL)
				return;
			continue;
		}
		if ((avail = evbuffer_get_length(in)) == 0)
			break;
		if (c->frames == NET_MAX_FRAMES) {
			net_conn_close(c, "too many messages on one connection");
			return;
		}
		if (avail > WIRE_HEADER_LEN)
			avail = WIRE_HEADER_LEN;
		p = evbuffer_pullup(in, (ev_ssize_t)avail);
		rc = wire_frame_len(p, avail, &flen, &why);
		if (rc < 0) {
			net_conn_close(c, why);
			return;
		}
		if (rc > 0 || evbuffer_get_length(in) < flen)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)flen);
		if (wire_decode(p, flen, &m, &why) != 0) {
			net_conn_close(c, why);
			return;
		}
		c->frame_since = clock_now_ms();
		c->frames++;
		n->ops->frame(n->arg, c, &m, c->frame_since);
		if (c->state != NET_CONN_DEAD)
			evbuffer_drain(in, flen);
	}
}

/* Our output drained: a queued file is out; a one-shot message is delivered. */
static void
net_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct net_conn	*c = arg;

	(void)bev;
	if (!c->queued)
		return;		/* writable, but we have said nothing yet */
	c->delivered = true;
	if (c->send_ctx != NULL) {
		void		*ctx = c->send_ctx;
		struct timeval	 idle = { NET_IDLE_MS / 1000, (NET_IDLE_MS % 1000) * 1000 };

		c->send_ctx = NULL;
		c->frame_since = clock_now_ms();	/* the receiver's turn to close */
		bufferevent_set_timeouts(c->bev, &idle, &idle);
		c->net->ops->file_sent(c->net->arg, ctx, true, c->frame_since);
	}
	if (c->state != NET_CONN_DEAD) {
		/* Tell the other side we are done talking; it closes after reading. */
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
		net_conn_maybe_done(c);
	}
}

/* Connected, end of input, error or timeout. */
static void
net_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->state = NET_CONN_OPEN;
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->read_eof = true;
		bufferevent_disable(c->bev, EV_READ);
		net_conn_maybe_done(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		net_conn_close(c, "idle for too long");
		return;
	}
	net_conn_close(c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* A connection came in on the listener. */
static void
net_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct net		*n = arg;
	struct bufferevent	*bev;
	struct sockaddr_in	 sin;

	(void)l;
	memset(&sin, 0, sizeof sin);
	if (sa->sa_family == AF_INET && (size_t)salen >= sizeof sin)
		memcpy(&sin, sa, sizeof sin);
	if (n->nconns >= NET_MAX_CONNS - NET_CONTROL_RESERVE || n->nin >= NET_MAX_IN) {
		log_warn("refused a connection: too many open");
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (net_conn_new(n, bev, &sin) != NULL)
		n->nin++;
}

/* Datagrams are waiting on the UDP socket. */
static void
net_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	int		 i;

	(void)what;
	for (i = 0; i < NET_UDP_BURST; i++) {
		struct sockaddr_in	 sin;
		socklen_t		 slen = sizeof sin;
		struct wire_msg		 m;
		const char		*why;
		char			 from[48];
		ssize_t			 len;

		len = recvfrom(fd, n->udp_in, sizeof n->udp_in, 0, (struct sockaddr *)&sin,
		    &slen);
		if (len < 0)
			break;
		if (wire_decode(n->udp_in, (size_t)len, &m, &why) != 0) {
			net_format(&sin, from, sizeof from);
			log_warn("dropped a %zd-byte datagram from %s: %s", len, from, why);
			continue;
		}
		n->ops->udp(n->arg, &m, clock_now_ms());
	}
}

/* The deadline came. */
static void
net_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;

	(void)fd;
	(void)what;
	n->ops->timer(n->arg, clock_now_ms());
}

/* Close connections that take too long over a frame (a body in flight is exempt). */
static void
net_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	struct net_conn	*c, *next;
	uint64_t	 now = clock_now_ms();
	struct timeval	 t = { NET_SWEEP_MS / 1000, (NET_SWEEP_MS % 1000) * 1000 };

	(void)fd;
	(void)what;
	for (c = n->conns; c != NULL; c = next) {
		next = c->next;
		if (c->body_ctx == NULL && c->send_ctx == NULL && !c->read_eof &&
		    now - c->frame_since > NET_FRAME_MS)
			net_conn_close(c, "too slow to send a whole message");
	}
	if (n->conns != NULL)
		evtimer_add(n->sweeper, &t);
}

/* One sentence for a failed setup step. */
static void
net_fail(char *err, size_t errlen, const char *what, const struct contact *c)
{
	struct sockaddr_in	sin;
	char			addr[48];
	int			e = errno;

	net_sockaddr(c, &sin);
	net_format(&sin, addr, sizeof addr);
	snprintf(err, errlen, "cannot %s %s (port %u): %s", what, addr, c->port, strerror(e));
}

/* Bind UDP and TCP at self's address and port. */
struct net *
net_new(struct event_base *base, const struct contact *self, const struct net_ops *ops,
    void *arg, char *err, size_t errlen)
{
	struct net		*n;
	struct sockaddr_in	 sin;
	int			 fd, one = 1, size = NET_UDP_BUF;

	if ((n = calloc(1, sizeof *n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->base = base;
	n->self = *self;
	n->ops = ops;
	n->arg = arg;
	n->udp_fd = -1;
	net_sockaddr(self, &sin);

	if ((n->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(n->udp_fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		net_fail(err, errlen, "bind UDP", self);
		net_free(n);
		return NULL;
	}
	setsockopt(n->udp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(n->udp_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		net_fail(err, errlen, "open TCP socket for", self);
		net_free(n);
		return NULL;
	}
	/* Rebinding right after a restart must not wait for TIME_WAIT to pass. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 || listen(fd, 128) == -1) {
		net_fail(err, errlen, "bind TCP", self);
		close(fd);
		net_free(n);
		return NULL;
	}
	n->listener = evconnlistener_new(base, net_accept_cb, n,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	n->udp_ev = event_new(base, n->udp_fd, EV_READ | EV_PERSIST, net_udp_read_cb, n);
	n->timer = evtimer_new(base, net_timer_cb, n);
	n->reaper = evtimer_new(base, net_reaper_cb, n);
	n->sweeper = evtimer_new(base, net_sweep_cb, n);
	if (n->listener == NULL || n->udp_ev == NULL || n->timer == NULL || n->reaper == NULL ||
	    n->sweeper == NULL ||
	    event_add(n->udp_ev, NULL) != 0) {
		if (n->listener == NULL)
			close(fd);
		snprintf(err, errlen, "cannot set up the event loop");
		net_free(n);
		return NULL;
	}
	return n;
}

/* Close everything. */
void
net_free(struct net *n)
{
	if (n == NULL)
		return;
	net_conn_free_all(n->conns);
	net_conn_free_all(n->dead);
	if (n->reaper != NULL)
		event_free(n->reaper);
	if (n->sweeper != NULL)
		event_free(n->sweeper);
	if (n->listener != NULL)
		evconnlistener_free(n->listener);
	if (n->udp_ev != NULL)
		event_free(n->udp_ev);
	if (n->timer != NULL)
		event_free(n->timer);
	if (n->udp_fd != -1)
		close(n->udp_fd);
	free(n);
}

/* Send one datagram. */
void
net_udp_send(struct net *n, const struct contact *to, const struct wire_msg *m)
{
	struct sockaddr_in	sin;
	size_t			len;

	if ((len = wire_encode(m, n->udp_out, sizeof n->udp_out)) == 0) {
		log_warn("cannot encode %s", wire_type_name(m->type));
		return;
	}
	net_sockaddr(to, &sin);
	if (sendto(n->udp_fd, n->udp_out, len, 0, (struct sockaddr *)&sin, sizeof sin) == -1 &&
	    errno != EAGAIN && errno != ECONNREFUSED)
		log_warn("cannot send %s to peer %u: %s", wire_type_name(m->type), to->id,
		    strerror(errno));
}

/* Queue one encoded frame on a connection. */
static int
net_conn_queue(struct net_conn *c, const struct wire_msg *m)
{
	uint8_t	buf[WIRE_HEADER_LEN + 64];
	size_t	len;

	if ((len = wire_encode(m, buf, sizeof buf)) == 0) {
		log_warn("cannot encode %s", wire_type_name(m->type));
		return -1;
	}
	c->queued = true;
	return bufferevent_write(c->bev, buf, len);
}

/* Is this message part of keeping the ring together (given reserved connections)? */
static bool
net_is_control(int type)
{
	switch (type) {
	case WIRE_DEPART:
	case WIRE_DEPART_ACK:
	case WIRE_SUCC_QUERY:
	case WIRE_SUCC_REPLY:
	case WIRE_JOIN_REQ:
	case WIRE_JOIN_ACCEPT:
	case WIRE_JOIN_REJECT:
	case WIRE_SUCC_CHANGE:
		return true;
	default:
		return false;
	}
}

/* Open a connection to `to` carrying m. */
struct net_conn *
net_tcp_send(struct net *n, const struct contact *to, const struct wire_msg *m)
{
	struct bufferevent	*bev;
	struct net_conn		*c;
	struct sockaddr_in	 sin;

	net_sockaddr(to, &sin);
	if (n->nconns >= NET_MAX_CONNS - (net_is_control(m->type) ? 0 : NET_CONTROL_RESERVE) ||
	    (bev = bufferevent_socket_new(n->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (c = net_conn_new(n, bev, &sin)) == NULL) {
		log_warn("cannot open a connection to peer %u", to->id);
		n->ops->send_failed(n->arg, to, m->type, clock_now_ms());
		return NULL;
	}
	c->outgoing = true;
	c->to = *to;
	c->type = m->type;
	c->state = NET_CONN_CONNECTING;
	if (net_conn_queue(c, m) != 0 ||
	    bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin) != 0) {
		net_conn_close(c, "cannot connect");
		return NULL;
	}
	return c;
}

/* Queue m (unless NULL), then size bytes of fd on c. */
int
net_conn_send_file(struct net_conn *c, const struct wire_msg *m, int fd, uint32_t size,
    void *ctx)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->send_ctx != NULL || c->state == NET_CONN_DEAD) {
		close(fd);
		return -1;
	}
	c->send_ctx = ctx;
	c->queued = true;
	if ((m != NULL && net_conn_queue(c, m) != 0) ||
	    (size > 0 && evbuffer_add_file(out, fd, 0, (ev_off_t)size) != 0)) {
		close(fd);
		net_conn_close(c, "cannot queue the file");
		return 0;	/* file_sent(!ok) was called */
	}
	if (size == 0)
		close(fd);
	{
		/* The receiver says nothing while a file streams: only writes must progress. */
		struct timeval idle = { NET_IDLE_MS / 1000, (NET_IDLE_MS % 1000) * 1000 };

		bufferevent_set_timeouts(c->bev, NULL, &idle);
	}
	bufferevent_enable(c->bev, EV_WRITE);
	return 0;
}

/* The next size bytes on c are a file body for fd. */
void
net_conn_expect_body(struct net_conn *c, int fd, uint32_t size, void *ctx)
{
	c->body_ctx = ctx;
	c->body_fd = fd;
	c->body_left = size;
	/* The bytes may already be waiting behind the frame being handled. */
}

/* Call ops.timer at this time. */
void
net_timer_at(struct net *n, uint64_t when)
{
	uint64_t	now = clock_now_ms(), ms = when > now ? when - now : 0;
	struct timeval	tv;

	if (when == UINT64_MAX) {
		evtimer_del(n->timer);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(n->timer, &tv);
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
