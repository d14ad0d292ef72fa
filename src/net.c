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

#include "clock.h"
#include "log.h"
#include "net.h"

#define NET_UDP_BURST		64		/* datagrams read per readiness */
#define NET_ACCEPT_BURST	32		/* connections accepted per loop turn */
#define NET_BACKLOG		1024		/* connections the kernel queues for accept */
#define NET_UDP_BUF		(1 << 20)	/* bytes of socket buffer asked for */
#define NET_BODY_CHUNK		(256 * 1024)	/* bytes per direct read of a file body */
#define NET_BODY_BURST		(16 * NET_BODY_CHUNK)	/* bytes of body read per callback */
#define NET_SWEEP_MS		1000		/* ms between checks for stalled connections */
#define NET_FAMILY_WARN_MS	10000		/* ms between warnings about the other family */
#define NET_VERSION_NOTES	64		/* senders remembered for speaking another version */
#define NET_ACCEPT_PAUSE_MS	100		/* ms without accepting when out of descriptors */

/*
 * The life of a connection. Every change goes through net_conn_set_state, which checks it
 * against net_conn_next and logs it when CDHT_DEBUG_NET is set:
 *
 *	ours:     CONNECTING -> SENDING -> HALF_CLOSED [-> BODY_IN -> HALF_CLOSED]
 *	accepted: READING [-> SENDING | -> BODY_IN] -> HALF_CLOSED
 *	any of them -> DEAD (unlinked; freed on the next loop turn)
 *
 * Input is read only in READING, BODY_IN and HALF_CLOSED: while we are still talking, what
 * the other side says waits in the socket, so a connection is never both receiving and
 * sending a file. A connection that has received a body has nothing more to say: it shuts
 * its side too, and the other side's end closes it.
 */
enum net_conn_state {
	NET_CONN_CONNECTING,	/* ours: connect in progress; our message waits in the output */
	NET_CONN_SENDING,	/* our message (and maybe a file body) is being written */
	NET_CONN_READING,	/* accepted: waiting for the next whole frame; we may answer */
	NET_CONN_BODY_IN,	/* an announced file body is streaming into a file */
	NET_CONN_HALF_CLOSED,	/* our side is out and shut; reading frames or the other's end */
	NET_CONN_DEAD,		/* unlinked, on the reaper's list */
	NET_CONN_NSTATES
};

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

/* One TCP connection. Owned by the net's list; freed a loop turn after it dies. */
struct net_conn {
	struct net		*net;
	struct net_conn		*next;
	struct bufferevent	*bev;
	enum net_conn_state	 state;
	bool			 ours;		/* we opened it (fixed at birth) */
	uint64_t		 id;
	uint64_t		 frame_since;	/* when the frame being awaited was due to start */
	unsigned		 frames;	/* frames received */
	struct contact		 remote;	/* its address (id 0) */
	char			 peer[CONTACT_TEXT_MAX];	/* "ADDR:PORT" */
	struct contact		 to;		/* ours: who, for send_failed */
	int			 type;		/* ours: what, for send_failed */
	void			*send_ctx;	/* a body we send (SENDING, CONNECTING) */
	void			*body_ctx;	/* a body we receive (BODY_IN) */
	int			 body_fd;
	uint32_t		 body_left;
};

/* A sender already told about for speaking another protocol version. */
struct net_version_note {
	struct contact	host;		/* address only */
	uint8_t		version;
};

/* The transport. Owned by the peer. */
struct net {
	struct event_base	*base;
	struct contact		 self;		/* the address bound (zero: wildcard) */
	int			 af;		/* AF_INET or AF_INET6 */
	const struct net_ops	*ops;
	void			*arg;
	bool			 debug;		/* CDHT_DEBUG_NET: log every state change */
	int			 udp_fd;
	int			 listen_fd;
	struct event		*udp_ev;
	struct event		*listen_ev;
	struct event		*accept_pause;	/* listening again after running out of fds */
	struct event		*timer;
	struct net_conn		*conns;
	size_t			 nconns;	/* open or dead-not-yet-reaped: each holds an fd */
	size_t			 nin;		/* of which accepted (open ones only) */
	uint64_t		 next_conn_id;
	struct event		*sweeper;
	struct net_conn		*dead;		/* closed, freed by the reaper next turn */
	struct event		*reaper;
	struct net_version_note	 notes[NET_VERSION_NOTES];
	size_t			 nnotes;	/* notes made; the oldest is overwritten */
	uint64_t		 family_warned;	/* when we last warned about the other family */
	unsigned		 family_dropped;	/* messages dropped since */
	uint8_t			 body_buf[NET_BODY_CHUNK];
	uint8_t			 udp_in[WIRE_MAX_FRAME + 1];
	uint8_t			 udp_out[WIRE_MAX_FRAME];
};

static void	net_conn_read_cb(struct bufferevent *bev, void *arg);
static void	net_conn_write_cb(struct bufferevent *bev, void *arg);
static void	net_conn_event_cb(struct bufferevent *bev, short what, void *arg);

static const struct timeval net_idle = { NET_IDLE_MS / 1000, (NET_IDLE_MS % 1000) * 1000 };

/* The socket family of a contact's family, or AF_UNSPEC. */
static int
net_af(uint8_t family)
{
	return family == CONTACT_V4 ? AF_INET : family == CONTACT_V6 ? AF_INET6 : AF_UNSPEC;
}

/* The sockaddr of a contact (all-zero address: the wildcard of its family); its length. */
static socklen_t
net_sockaddr(const struct contact *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (c->family == CONTACT_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, c->addr, 16);
		s6->sin6_port = htons(c->port);
		return sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr.s_addr, c->addr, 4);
		s4->sin_port = htons(c->port);
		return sizeof *s4;
	}
}

/* The contact (id 0) of a sockaddr; "none" for another family or a short one. */
static struct contact
net_contact_of(const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		return contact_v4(0, (const uint8_t *)&s4->sin_addr.s_addr, ntohs(s4->sin_port));
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		return contact_v6(0, s6->sin6_addr.s6_addr, ntohs(s6->sin6_port));
	}
	return contact_none();
}

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

/* Wrap a bufferevent in a connection in its first state and link it. */
static struct net_conn *
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
		if (net_write_all(c->body_fd, n->body_buf, (size_t)got) != 0) {
			net_conn_close(c, "cannot write the received file");
			return -1;
		}
		c->body_left -= (uint32_t)got;
	}
	if (c->body_left == 0)
		net_conn_body_done(c);
	return 0;
}

/* Has this host already been told about for speaking version v? Notes it if not. */
static bool
net_version_noted(struct net *n, const struct contact *host, uint8_t v)
{
	struct net_version_note	*note;
	size_t			 i, have = n->nnotes < NET_VERSION_NOTES ? n->nnotes :
	    NET_VERSION_NOTES;

	for (i = 0; i < have; i++)
		if (n->notes[i].version == v && contact_same_host(&n->notes[i].host, host))
			return true;
	note = &n->notes[n->nnotes++ % NET_VERSION_NOTES];
	note->host = contact_with_id(host, 0, 0);
	note->version = v;
	return false;
}

/*
 * Is buf a message of another protocol version? Warns once per sending host and version
 * (a peer of another release would otherwise fill stderr with one line per message).
 */
static bool
net_other_version(struct net *n, const uint8_t *buf, size_t len, const struct contact *from)
{
	char	a[CONTACT_ADDR_MAX];

	if (len < 2 || buf[0] != WIRE_MAGIC || buf[1] == WIRE_VERSION)
		return false;
	if (!net_version_noted(n, from, buf[1]))
		log_warn("dropping messages of protocol version %u from %s (this peer speaks "
		    "version %u); no more warnings about them", buf[1],
		    contact_addr_text(from, a, sizeof a), WIRE_VERSION);
	return true;
}

/* Is m's sender of our address family? If not, warn now and then and say no. */
static bool
net_family_ok(struct net *n, const struct wire_msg *m, uint64_t now)
{
	char	who[CONTACT_TEXT_MAX];

	if (m->from.family == n->self.family)
		return true;
	n->family_dropped++;
	if (n->family_warned == 0 || now - n->family_warned >= NET_FAMILY_WARN_MS) {
		log_warn("dropped %s from %s and %u more: this ring uses IPv%u", wire_type_name(
		    m->type), contact_text(&m->from, who, sizeof who), n->family_dropped - 1,
		    n->self.family);
		n->family_warned = now;
		n->family_dropped = 0;
	}
	return false;
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
static bool
net_conn_evictable(const struct net_conn *c)
{
	return !c->ours && (c->state == NET_CONN_READING || c->state == NET_CONN_HALF_CLOSED);
}

/*
 * Make room for one accepted connection if the slots are full: the evictable connection
 * that has waited longest for a whole message is closed and freed now (we are in the
 * listener's callback, not in any of its own). false if the slots are full of work.
 */
static bool
net_make_room(struct net *n, uint64_t now)
{
	struct net_conn	*c, *victim = NULL;

	if (n->nin < NET_MAX_IN && n->nconns < NET_MAX_CONNS - NET_CONTROL_RESERVE)
		return true;
	for (c = n->conns; c != NULL; c = c->next)
		if (net_conn_evictable(c) && (victim == NULL ||
		    c->frame_since <= victim->frame_since))
			victim = c;	/* the list runs newest first: on a tie, the older */
	if (victim == NULL)
		return false;
	log_warn("connection with %s closed to make room: no whole message from it in %llu ms",
	    victim->peer, (unsigned long long)(now - victim->frame_since));
	net_conn_close(victim, NULL);
	/* Its fd must go now, or the count of open fds would not fall (close put it first). */
	if (n->dead != victim)
		return false;
	n->dead = victim->next;
	n->nconns--;
	bufferevent_free(victim->bev);
	free(victim);
	return n->nin < NET_MAX_IN && n->nconns < NET_MAX_CONNS - NET_CONTROL_RESERVE;
}

/* Take one accepted socket in, or close it. */
static void
net_admit(struct net *n, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	struct bufferevent	*bev;
	struct contact		 remote = net_contact_of((const struct sockaddr *)ss, len);

	if (remote.family != n->self.family) {
		log_warn("refused a connection of another address family");
		close(fd);
		return;
	}
	if (!net_make_room(n, clock_now_ms())) {
		log_warn("refused a connection: every slot is moving a file");
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	if (net_conn_new(n, bev, &remote, NET_CONN_READING) != NULL)
		n->nin++;
}

/* Connections are waiting on the listener: take a bounded number each loop turn. */
static void
net_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct net	*n = arg;
	int		 i;

	(void)what;
	/*
	 * A bounded burst: a flood of reconnecting clients must not keep us here while the
	 * connections we took in wait to be read (each accept may close the oldest idle one).
	 */
	for (i = 0; i < NET_ACCEPT_BURST; i++) {
		struct sockaddr_storage	ss;
		socklen_t		len = sizeof ss;
		int			fd;

		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EMFILE || errno == ENFILE)) {
			struct timeval	t = { 0, NET_ACCEPT_PAUSE_MS * 1000 };

			/* The listener stays readable: without a pause this would spin. */
			log_warn("cannot accept a connection: %s", strerror(errno));
			event_del(n->listen_ev);
			evtimer_add(n->accept_pause, &t);
			return;
		}
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("cannot accept a connection: %s", strerror(errno));
			return;
		}
		net_admit(n, fd, &ss, len);
	}
}

/* The pause after running out of descriptors is over: listen again. */
static void
net_accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;

	(void)fd;
	(void)what;
	event_add(n->listen_ev, NULL);
}

/* Datagrams are waiting on the UDP socket. */
static void
net_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	int		 i;

	(void)what;
	for (i = 0; i < NET_UDP_BURST; i++) {
		struct sockaddr_storage	 ss;
		socklen_t		 slen = sizeof ss;
		struct contact		 from;
		struct wire_msg		 m;
		const char		*why;
		char			 text[CONTACT_TEXT_MAX];
		ssize_t			 len;
		uint64_t		 now;

		len = recvfrom(fd, n->udp_in, sizeof n->udp_in, 0, (struct sockaddr *)&ss, &slen);
		if (len < 0)
			break;
		from = net_contact_of((struct sockaddr *)&ss, slen);
		if (net_other_version(n, n->udp_in, (size_t)len, &from))
			continue;
		if (wire_decode(n->udp_in, (size_t)len, &m, &why) != 0) {
			log_warn("dropped a %zd-byte datagram from %s: %s", len,
			    contact_endpoint_text(&from, text, sizeof text), why);
			continue;
		}
		now = clock_now_ms();
		if (net_family_ok(n, &m, now))
			n->ops->udp(n->arg, &m, now);
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

/* Close connections that take too long over a frame (a file in flight is exempt). */
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
		if (c->state != NET_CONN_BODY_IN && c->send_ctx == NULL &&
		    now - c->frame_since > NET_FRAME_MS)
			net_conn_close(c, "too slow to send a whole message");
	}
	if (n->conns != NULL)
		evtimer_add(n->sweeper, &t);
}

/* One sentence for a failed setup step, with a hint where the cause is a common one. */
static void
net_fail(char *err, size_t errlen, const char *what, const struct contact *c)
{
	char	addr[CONTACT_TEXT_MAX], host[CONTACT_ADDR_MAX], hint[160] = "";
	int	e = errno;

	contact_endpoint_text(c, addr, sizeof addr);
	if (e == EADDRINUSE)
		snprintf(hint, sizeof hint, "; is peer %u already running here, or does another "
		    "program hold the port? Try another --base-port", c->id);
	else if (e == EADDRNOTAVAIL)
		snprintf(hint, sizeof hint, "; is %s an address of this host?",
		    contact_addr_text(c, host, sizeof host));
	snprintf(err, errlen, "cannot %s %s (port %u): %s%s", what, addr, c->port, strerror(e),
	    hint);
}

/* A socket of the net's family and this type, IPv6 ones for IPv6 only: fd, or -1. */
static int
net_socket(const struct net *n, int type)
{
	int	fd, one = 1;

	if ((fd = socket(n->af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* One ring, one family: a :: socket must not also take IPv4 as mapped addresses. */
	if (n->af == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open and bind the UDP socket and the TCP listener: 0, or -1 with err set. */
static int
net_bind(struct net *n, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len = net_sockaddr(&n->self, &ss);
	int			one = 1, size = NET_UDP_BUF;

	if ((n->udp_fd = net_socket(n, SOCK_DGRAM)) == -1 ||
	    bind(n->udp_fd, (struct sockaddr *)&ss, len) == -1) {
		net_fail(err, errlen, "bind UDP", &n->self);
		return -1;
	}
	setsockopt(n->udp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	setsockopt(n->udp_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	if ((n->listen_fd = net_socket(n, SOCK_STREAM)) == -1) {
		net_fail(err, errlen, "open TCP socket for", &n->self);
		return -1;
	}
	/* Rebinding right after a restart must not wait for TIME_WAIT to pass. */
	setsockopt(n->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(n->listen_fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(n->listen_fd, NET_BACKLOG) == -1) {
		net_fail(err, errlen, "bind TCP", &n->self);
		return -1;
	}
	return 0;
}

/* Bind UDP and TCP at the address and port to bind (all-zero address: the wildcard). */
struct net *
net_new(struct event_base *base, const struct contact *bind_to, const struct net_ops *ops,
    void *arg, char *err, size_t errlen)
{
	struct net	*n;
	const char	*debug = getenv("CDHT_DEBUG_NET");

	if ((n = calloc(1, sizeof *n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->base = base;
	n->self = *bind_to;
	n->af = net_af(bind_to->family);
	n->ops = ops;
	n->arg = arg;
	n->debug = debug != NULL && *debug != '\0' && strcmp(debug, "0") != 0;
	n->udp_fd = n->listen_fd = -1;
	if (n->af == AF_UNSPEC) {
		snprintf(err, errlen, "cannot bind port %u: the address is neither IPv4 nor IPv6",
		    bind_to->port);
		net_free(n);
		return NULL;
	}
	if (net_bind(n, err, errlen) != 0) {
		net_free(n);
		return NULL;
	}
	n->listen_ev = event_new(base, n->listen_fd, EV_READ | EV_PERSIST, net_accept_cb, n);
	n->udp_ev = event_new(base, n->udp_fd, EV_READ | EV_PERSIST, net_udp_read_cb, n);
	n->timer = evtimer_new(base, net_timer_cb, n);
	n->reaper = evtimer_new(base, net_reaper_cb, n);
	n->sweeper = evtimer_new(base, net_sweep_cb, n);
	n->accept_pause = evtimer_new(base, net_accept_resume_cb, n);
	if (n->listen_ev == NULL || n->udp_ev == NULL || n->timer == NULL ||
	    n->reaper == NULL || n->sweeper == NULL || n->accept_pause == NULL ||
	    event_add(n->udp_ev, NULL) != 0 ||
	    event_add(n->listen_ev, NULL) != 0) {
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
	if (n->accept_pause != NULL)
		event_free(n->accept_pause);
	if (n->listen_ev != NULL)
		event_free(n->listen_ev);
	if (n->udp_ev != NULL)
		event_free(n->udp_ev);
	if (n->timer != NULL)
		event_free(n->timer);
	if (n->listen_fd != -1)
		close(n->listen_fd);
	if (n->udp_fd != -1)
		close(n->udp_fd);
	free(n);
}

/* Can we reach `to` from our sockets? Warns (now and then) if not. */
static bool
net_reachable(struct net *n, const struct contact *to, int type)
{
	char	who[CONTACT_TEXT_MAX];

	if (to->family == n->self.family)
		return true;
	log_warn("cannot send %s to %s: this ring uses IPv%u", wire_type_name(type),
	    contact_text(to, who, sizeof who), n->self.family);
	return false;
}

/* Send one datagram. */
void
net_udp_send(struct net *n, const struct contact *to, const struct wire_msg *m)
{
	struct sockaddr_storage	ss;
	socklen_t		slen;
	size_t			len;

	if (!net_reachable(n, to, m->type))
		return;
	if ((len = wire_encode(m, n->udp_out, sizeof n->udp_out)) == 0) {
		log_warn("cannot encode %s", wire_type_name(m->type));
		return;
	}
	slen = net_sockaddr(to, &ss);
	if (sendto(n->udp_fd, n->udp_out, len, 0, (struct sockaddr *)&ss, slen) == -1 &&
	    errno != EAGAIN && errno != ECONNREFUSED)
		log_warn("cannot send %s to peer %u: %s", wire_type_name(m->type), to->id,
		    strerror(errno));
}

/* Queue one encoded frame on a connection. */
static int
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
	struct sockaddr_storage	 ss;
	socklen_t		 slen = net_sockaddr(to, &ss);

	if (!net_reachable(n, to, m->type) ||
	    n->nconns >= NET_MAX_CONNS - (net_is_control(m->type) ? 0 : NET_CONTROL_RESERVE) ||
	    (bev = bufferevent_socket_new(n->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (c = net_conn_new(n, bev, to, NET_CONN_CONNECTING)) == NULL) {
		log_warn("cannot open a connection to peer %u", to->id);
		n->ops->send_failed(n->arg, to, m->type, clock_now_ms());
		return NULL;
	}
	c->to = *to;
	c->type = m->type;
	if (net_conn_queue(c, m) != 0 ||
	    bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)slen) != 0) {
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
	/* The bytes may already be waiting behind the frame being handled: the read loop goes on. */
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
