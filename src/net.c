/* The transport: UDP socket, TCP listener, admission to full slots, setup and the timer. */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>

#include "clock.h"
#include "log.h"
#include "net_internal.h"

#define NET_ACCEPT_BURST	32		/* connections accepted per loop turn */
#define NET_BACKLOG		1024		/* connections the kernel queues for accept */
#define NET_UDP_BUF		(1 << 20)	/* bytes of socket buffer asked for */
#define NET_FAMILY_WARN_MS	10000		/* ms between warnings about the other family */
#define NET_ACCEPT_PAUSE_MS	100		/* ms without accepting when out of descriptors */

/* The socket family of a contact's family, or AF_UNSPEC. */
static int
net_af(uint8_t family)
{
	return family == CONTACT_V4 ? AF_INET : family == CONTACT_V6 ? AF_INET6 : AF_UNSPEC;
}

/* The sockaddr of a contact (all-zero address: the wildcard of its family); its length. */
socklen_t
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
struct contact
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
bool
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
bool
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
	net_udp_gro_setup(n);
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

/* Free the transport's events, those net_new got as far as making. */
static void
net_free_events(struct net *n)
{
	struct event	*ev[] = { n->reaper, n->sweeper, n->accept_pause, n->listen_ev,
			    n->udp_ev, n->timer };
	size_t		 i;

	for (i = 0; i < sizeof ev / sizeof ev[0]; i++)
		if (ev[i] != NULL)
			event_free(ev[i]);
}

/* Close everything. */
void
net_free(struct net *n)
{
	if (n == NULL)
		return;
	net_conn_free_all(n->conns);
	net_conn_free_all(n->dead);
	net_free_events(n);
	if (n->listen_fd != -1)
		close(n->listen_fd);
	if (n->udp_fd != -1)
		close(n->udp_fd);
	free(n);
}

/* Can we reach `to` from our sockets? Warns (now and then) if not. */
bool
net_reachable(struct net *n, const struct contact *to, int type)
{
	char	who[CONTACT_TEXT_MAX];

	if (to->family == n->self.family)
		return true;
	log_warn("cannot send %s to %s: this ring uses IPv%u", wire_type_name(type),
	    contact_text(to, who, sizeof who), n->self.family);
	return false;
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
/* The id a FILE_REQ or STORE_REQ carries (its request or store), else 0. */
static uint32_t
net_route_id(const struct wire_msg *m)
{
	return m->type == WIRE_FILE_REQ || m->type == WIRE_STORE_REQ ? m->u.route.id : 0;
}

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
		n->ops->send_failed(n->arg, to, m->type, net_route_id(m), clock_now_ms());
		return NULL;
	}
	c->to = *to;
	c->type = m->type;
	c->route_id = net_route_id(m);
	if (net_conn_queue(c, m) != 0 ||
	    bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)slen) != 0) {
		net_conn_close(c, "cannot connect");
		return NULL;
	}
	return c;
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
