/*
 * The transport's insides, shared by net.c (sockets, listener, setup), net_udp.c (datagrams)
 * and net_conn.c (the life of one TCP connection). Nothing else but their unit
 * tests includes it.
 */
#ifndef CDHT_NET_INTERNAL_H
#define CDHT_NET_INTERNAL_H

#include <sys/socket.h>

#include <event2/bufferevent.h>

#include "net.h"

#define NET_BODY_CHUNK		(256 * 1024)	/* bytes per direct read of a file body */
#define NET_BODY_BURST		(16 * NET_BODY_CHUNK)	/* bytes of body read per callback */
#define NET_SWEEP_MS		1000		/* ms between checks for stalled connections */
#define NET_VERSION_NOTES	64		/* senders remembered for speaking another version */
#define NET_UDP_BATCH		32		/* datagrams held for one sendmmsg, read by one recvmmsg */
#define NET_UDP_SLOT		2048		/* bytes of a held datagram (larger: sent at once) */
#define NET_UDP_RECV		8		/* buffers one recvmmsg fills at most */
#define NET_UDP_RECV_SLOT	65536		/* bytes of one: a datagram or a UDP_GRO run */
#define NET_UDP_BURST		64		/* datagrams handed on per burst (udp_burst_end) */

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
	uint32_t		 body_size;	/* bytes of the body coming or going */
	uint32_t		 body_moved;	/* bytes of it moved, as the connection closed */
	bool			 body_closed;	/* body_moved holds (read in the done callbacks) */
	uint32_t		 route_id;	/* ours: the FILE_REQ/STORE_REQ id, for send_failed */
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
	uint8_t			 udp_in[NET_UDP_RECV][NET_UDP_RECV_SLOT];
	bool			 udp_gro;	/* UDP_GRO on: a buffer may hold a run */
	unsigned		 udp_burst;	/* datagrams handed on since the last burst end */
	uint8_t			 udp_out[WIRE_MAX_FRAME];
	bool			 udp_holding;	/* net_udp_hold: datagrams wait for release */
	unsigned		 nheld;		/* datagrams held */
	struct net_held {
		struct sockaddr_storage	 ss;
		socklen_t		 slen;
		size_t			 len;
		struct contact		 to;
		uint8_t			 type;
		uint8_t			 buf[NET_UDP_SLOT];
	}			 held[NET_UDP_BATCH];
};

/* net_conn.c: a connection's life. */
struct net_conn	*net_conn_new(struct net *n, struct bufferevent *bev,
		    const struct contact *remote, enum net_conn_state state);
void		 net_conn_close(struct net_conn *c, const char *why);
void		 net_conn_free_all(struct net_conn *c);
int		 net_conn_queue(struct net_conn *c, const struct wire_msg *m);
bool		 net_conn_evictable(const struct net_conn *c);

/* net.c: checks on what comes in, for datagrams and frames alike. */
bool		 net_other_version(struct net *n, const uint8_t *buf, size_t len,
		     const struct contact *from);
bool		 net_family_ok(struct net *n, const struct wire_msg *m, uint64_t now);

/* net_udp.c: the receiving side of UDP. */
void		 net_udp_gro_setup(struct net *n);
void		 net_udp_read_cb(evutil_socket_t fd, short what, void *arg);
size_t		 net_udp_cut(size_t len, size_t seg, size_t off);

/* The contact (id 0) of a sockaddr; "none" for another family or a short one. */
struct contact	 net_contact_of(const struct sockaddr *sa, socklen_t len);
/* The sockaddr of a contact (all-zero address: the wildcard of its family); its length. */
socklen_t	 net_sockaddr(const struct contact *c, struct sockaddr_storage *ss);
/* Can we reach `to` from our sockets? Warns (now and then) if not. */
bool		 net_reachable(struct net *n, const struct contact *to, int type);

#endif
