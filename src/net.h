/*
 * The transport: the one owner of the event base's sockets and timer. UDP datagrams and TCP
 * frames come in decoded through net_ops; file bodies stream through bufferevents. Messages
 * of another protocol version are dropped with one warning per sending host and version.
 */
#ifndef CDHT_NET_H
#define CDHT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "cdht/wire.h"

#define NET_MAX_CONNS	512	/* TCP connections at once, open or closing */
/*
 * Accepted ones at most. When they are all taken, the accepted connection that has waited
 * longest for a whole message is closed to make room; one moving a file never is.
 */
#define NET_MAX_IN	384	/* of which accepted ones */
#define NET_CONTROL_RESERVE 32	/* kept for ring control (departure, repair, join) */
#define NET_MAX_FRAMES	4	/* per connection: every message has one of its own */
#define NET_IDLE_MS	10000	/* ms a connection may stay silent before it is dropped */
#define NET_FRAME_MS	10000	/* ms a connection may take to deliver each whole frame */

struct net;
struct net_conn;

/* What the transport reports; arg is net_new's arg. */
struct net_ops {
	/* A valid datagram. */
	void	(*udp)(void *arg, const struct wire_msg *m, uint64_t now);
	/* The datagrams waiting together have all been handed to udp (NULL: not wanted). */
	void	(*udp_burst_end)(void *arg, uint64_t now);
	/*
	 * A valid frame on connection c (c lives at least until the callback returns). A
	 * connection carries our one message, or answers theirs with one file; a connection
	 * that has received a body (net_conn_expect_body) says nothing more.
	 */
	void	(*frame)(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now);
	/*
	 * A connection we opened died before its frame of this type was delivered; id is the
	 * route's id for FILE_REQ and STORE_REQ (the request or store it carried), else 0.
	 */
	void	(*send_failed)(void *arg, const struct contact *to, int type, uint32_t id,
		    uint64_t now);
	/* A file body we queued is fully written (ok) or cannot be (!ok). Once per ctx. */
	void	(*file_sent)(void *arg, void *ctx, bool ok, uint64_t now);
	/* A file body we expected is fully received (ok) or cannot be (!ok). Once per ctx. */
	void	(*body_done)(void *arg, void *ctx, bool ok, uint64_t now);
	/* The deadline set with net_timer_at has come. */
	void	(*timer)(void *arg, uint64_t now);
};

/*
 * Bind UDP and TCP at bind_to's address and port (an all-zero address binds the wildcard of
 * its family: 0.0.0.0, or :: for IPv6 only). bind_to's id names us in error text ("is peer
 * 8 already running here?"). Contacts of the other family are neither reached nor heard
 * (a warning now and then). The transport, or NULL with err set to one sentence.
 * CDHT_DEBUG_NET=1 in the environment logs every connection state change on stderr.
 */
struct net	*net_new(struct event_base *base, const struct contact *bind_to,
		    const struct net_ops *ops, void *arg, char *err, size_t errlen);
void		 net_free(struct net *n);
/* Send one datagram (best effort; failures are warned about). */
void		 net_udp_send(struct net *n, const struct contact *to, const struct wire_msg *m);
/*
 * Hold the datagrams sent from now on and put them on the wire together (sendmmsg) when
 * net_udp_release is called (or as many as fit are held); the order is kept.
 */
void		 net_udp_hold(struct net *n);
void		 net_udp_release(struct net *n);
/* Open a connection to `to` carrying m; replies on it come through ops.frame. */
struct net_conn	*net_tcp_send(struct net *n, const struct contact *to, const struct wire_msg *m);
/*
 * Queue m (unless NULL), then size bytes of fd (taken over) on c; ops.file_sent says how it
 * ends. -1 (fd closed, ctx not taken, no callback) if c already carries a file.
 */
int		 net_conn_send_file(struct net_conn *c, const struct wire_msg *m, int fd,
		    uint32_t size, void *ctx);
/* The next size bytes on c are a file body: written to fd (not taken over); ops.body_done. */
void		 net_conn_expect_body(struct net_conn *c, int fd, uint32_t size, void *ctx);
/* Bytes of c's file body moved so far (sent to the socket, or written to the file). */
uint32_t	 net_conn_body_moved(const struct net_conn *c);
/* Call ops.timer at this time (ms on clock_now_ms's clock); replaces the previous one. */
void		 net_timer_at(struct net *n, uint64_t when);
/* The connection's remote address, for messages. */
const char	*net_conn_peer(const struct net_conn *c);
/* A number no other connection of this process has had. */
uint64_t	 net_conn_id(const struct net_conn *c);

#endif
