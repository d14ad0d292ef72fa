/* The transport's sending side of UDP: one datagram now, or held ones in one sendmmsg. */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "net_internal.h"

/* Say that a datagram could not be sent (a full buffer or a gone port is not news). */
static void
net_udp_failed(const struct contact *to, int type, int err)
{
	if (err != EAGAIN && err != ECONNREFUSED)
		log_warn("cannot send %s to peer %u: %s", wire_type_name(type), to->id,
		    strerror(err));
}

/* Put the held datagrams on the wire, in order, as few sendmmsg calls as it takes. */
static void
net_udp_flush(struct net *n)
{
	struct mmsghdr	mm[NET_UDP_BATCH];
	struct iovec	iov[NET_UDP_BATCH];
	unsigned	i, at = 0;
	int		sent;

	memset(mm, 0, sizeof mm);
	for (i = 0; i < n->nheld; i++) {
		iov[i].iov_base = n->held[i].buf;
		iov[i].iov_len = n->held[i].len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &n->held[i].ss;
		mm[i].msg_hdr.msg_namelen = n->held[i].slen;
	}
	while (at < n->nheld) {
		sent = sendmmsg(n->udp_fd, mm + at, n->nheld - at, 0);
		if (sent <= 0) {
			/* The first one failed: say so, and go on with the rest. */
			net_udp_failed(&n->held[at].to, n->held[at].type, errno);
			sent = 1;
		}
		at += (unsigned)sent;
	}
	n->nheld = 0;
}

/* Hold datagrams for one sendmmsg. */
void
net_udp_hold(struct net *n)
{
	n->udp_holding = true;
}

/* Send the datagrams held, and stop holding. */
void
net_udp_release(struct net *n)
{
	net_udp_flush(n);
	n->udp_holding = false;
}

/* Send one datagram (or hold it, between net_udp_hold and net_udp_release). */
void
net_udp_send(struct net *n, const struct contact *to, const struct wire_msg *m)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	size_t			 len;
	struct net_held		*h;

	if (!net_reachable(n, to, m->type))
		return;
	if (n->udp_holding) {
		if (n->nheld == NET_UDP_BATCH)
			net_udp_flush(n);
		h = &n->held[n->nheld];
		if ((h->len = wire_encode(m, h->buf, sizeof h->buf)) > 0) {
			h->slen = net_sockaddr(to, &h->ss);
			h->to = *to;
			h->type = m->type;
			n->nheld++;
			return;
		}
		net_udp_flush(n);	/* too large to hold: the order is kept */
	}
	if ((len = wire_encode(m, n->udp_out, sizeof n->udp_out)) == 0) {
		log_warn("cannot encode %s", wire_type_name(m->type));
		return;
	}
	slen = net_sockaddr(to, &ss);
	if (sendto(n->udp_fd, n->udp_out, len, 0, (struct sockaddr *)&ss, slen) == -1)
		net_udp_failed(to, m->type, errno);
}
