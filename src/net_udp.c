/* The transport's UDP: datagrams out (sendmmsg, GSO) and in (recvmmsg, GRO). */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "net_internal.h"

#define NET_UDP_GSO_SEGS	64	/* datagrams a GSO send at most (older kernels' limit) */
#define NET_UDP_GSO_BYTES	60000	/* bytes a GSO send at most (an IP datagram holds 65,507) */

_Static_assert(NET_UDP_RECV_SLOT > WIRE_MAX_FRAME, "a receive buffer holds any datagram");

/*
 * Datagrams go one by one: CDHT_UDP_GSO=0 asked so (netfilter on the sending host sees a GSO
 * send as one packet, so loss made there would hit whole runs), or the kernel cannot do
 * UDP_SEGMENT here (EIO).
 */
static bool net_udp_gso_off;
static bool net_udp_gso_read;
static size_t net_udp_gso_too_long = SIZE_MAX;	/* bytes: a GSO send of these was over the MTU */

/*
 * Whether runs of datagrams may go as GSO sends: asked once, of the environment and of the
 * kernel. A kernel before 4.18 ignores the UDP_SEGMENT message and would send a run as one
 * datagram, but it also lacks the socket option of that name, which is what is asked.
 */
static bool
net_udp_gso(const struct net *n)
{
	const char	*v;
	int		 seg;
	socklen_t	 len = sizeof seg;

	if (!net_udp_gso_read) {
		net_udp_gso_read = true;
		if (((v = getenv("CDHT_UDP_GSO")) != NULL && strcmp(v, "0") == 0) ||
		    getsockopt(n->udp_fd, SOL_UDP, UDP_SEGMENT, &seg, &len) != 0)
			net_udp_gso_off = true;
	}
	return !net_udp_gso_off;
}

/* Marks h as a GSO send cutting its buffer every seg bytes (UDP_SEGMENT in ctl). */
static void
net_udp_segment(struct msghdr *h, void *buf, size_t cap, uint16_t seg)
{
	struct cmsghdr	*ctl;

	h->msg_control = buf;
	h->msg_controllen = cap;
	ctl = CMSG_FIRSTHDR(h);
	ctl->cmsg_level = SOL_UDP;
	ctl->cmsg_type = UDP_SEGMENT;
	ctl->cmsg_len = CMSG_LEN(sizeof seg);
	memcpy(CMSG_DATA(ctl), &seg, sizeof seg);
}

/* Say that a datagram could not be sent (a full buffer or a gone port is not news). */
static void
net_udp_failed(const struct contact *to, int type, int err)
{
	if (err != EAGAIN && err != ECONNREFUSED)
		log_warn("cannot send %s to peer %u: %s", wire_type_name(type), to->id,
		    strerror(err));
}

/*
 * How many held datagrams from `at` on can go as one UDP GSO send (UDP_SEGMENT): the same
 * destination, the same length but for a shorter last one, within the kernel's limits.
 * Each keeps its own wire bytes: the kernel only cuts the buffer at every len bytes.
 */
static unsigned
net_udp_run(const struct net *n, unsigned at)
{
	const struct net_held	*h = &n->held[at];
	size_t			 bytes = h->len;
	unsigned		 k = at + 1;

	if (!net_udp_gso(n) || h->len >= net_udp_gso_too_long)
		return 1;
	while (k < n->nheld && k - at < NET_UDP_GSO_SEGS && n->held[k - 1].len == h->len &&
	    n->held[k].len <= h->len && bytes + n->held[k].len <= NET_UDP_GSO_BYTES &&
	    n->held[k].slen == h->slen && memcmp(&n->held[k].ss, &h->ss, h->slen) == 0)
		bytes += n->held[k++].len;
	return k - at;
}

/*
 * A GSO send of datagrams of len bytes failed with err. EIO: the kernel cannot (no checksum
 * offload on the way out), so datagrams go singly from now on; EINVAL or EMSGSIZE (what
 * kernels since about 6.x say): over the path's MTU, so this length and longer go singly (for
 * every peer: one narrow path slows the others' runs, never loses them); anything else (a
 * full buffer) is not GSO's doing.
 */
static void
net_udp_gso_refused(size_t len, int err)
{
	if (err == EIO)
		net_udp_gso_off = true;
	else if ((err == EINVAL || err == EMSGSIZE) && len < net_udp_gso_too_long)
		net_udp_gso_too_long = len;
}

/* Send held datagrams [at, at + count) one by one (a GSO send of them was refused). */
static void
net_udp_singly(struct net *n, unsigned at, unsigned count)
{
	unsigned	i;

	for (i = at; i < at + count; i++)
		if (sendto(n->udp_fd, n->held[i].buf, n->held[i].len, 0,
		    (struct sockaddr *)&n->held[i].ss, n->held[i].slen) == -1)
			net_udp_failed(&n->held[i].to, n->held[i].type, errno);
}

/*
 * Put the held datagrams on the wire, in order, in as few sendmmsg calls as it takes. A run
 * of equal datagrams to one peer (a window of data segments) is one message with UDP_SEGMENT:
 * one trip through the kernel's stack instead of one per datagram, which is what a lossless
 * windowed transfer spends its time on.
 */
static void
net_udp_flush(struct net *n)
{
	struct mmsghdr	mm[NET_UDP_BATCH];
	struct iovec	iov[NET_UDP_BATCH];
	_Alignas(struct cmsghdr) char ctl[NET_UDP_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	unsigned	first[NET_UDP_BATCH], count[NET_UDP_BATCH];
	unsigned	i, nm = 0, at = 0;
	int		sent;

	memset(mm, 0, sizeof mm);
	for (i = 0; i < n->nheld; i += count[nm++]) {
		first[nm] = i;
		count[nm] = net_udp_run(n, i);
		mm[nm].msg_hdr.msg_iov = &iov[i];
		mm[nm].msg_hdr.msg_iovlen = count[nm];
		mm[nm].msg_hdr.msg_name = &n->held[i].ss;
		mm[nm].msg_hdr.msg_namelen = n->held[i].slen;
		if (count[nm] > 1)
			net_udp_segment(&mm[nm].msg_hdr, ctl[nm], sizeof ctl[nm],
			    (uint16_t)n->held[i].len);
	}
	for (i = 0; i < n->nheld; i++) {
		iov[i].iov_base = n->held[i].buf;
		iov[i].iov_len = n->held[i].len;
	}
	while (at < nm) {
		sent = sendmmsg(n->udp_fd, mm + at, nm - at, 0);
		if (sent <= 0) {
			/* The first failed: say so, or send its run singly; go on with the rest. */
			if (count[at] > 1) {
				net_udp_gso_refused(n->held[first[at]].len, errno);
				net_udp_singly(n, first[at], count[at]);
			} else
				net_udp_failed(&n->held[first[at]].to, n->held[first[at]].type,
				    errno);
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

/* Is the switch `name` in the environment set to "0"? */
static bool
net_udp_env_off(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && strcmp(v, "0") == 0;
}

/*
 * Ask the kernel to hand over a run of datagrams from one sender as one buffer (UDP_GRO),
 * unless CDHT_UDP_GRO=0 or CDHT_UDP_GSO=0 says no. A kernel without it (before 5.0) refuses
 * the option, and datagrams come one a buffer as before.
 */
void
net_udp_gro_setup(struct net *n)
{
	int	one = 1;

	n->udp_gro = !net_udp_env_off("CDHT_UDP_GRO") && !net_udp_env_off("CDHT_UDP_GSO") &&
	    setsockopt(n->udp_fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
}

/*
 * The length of the datagram at off in a buffer of len bytes that the kernel coalesced from
 * datagrams of seg bytes (0: one datagram): seg, but the last may be shorter; 0 past the end.
 * This is how the kernel cuts such a buffer itself when the socket has no UDP_GRO.
 */
size_t
net_udp_cut(size_t len, size_t seg, size_t off)
{
	if (off >= len)
		return 0;
	return seg == 0 || len - off < seg ? len - off : seg;
}

/* The size of the datagrams coalesced in a buffer (its UDP_GRO message), or 0: one datagram. */
static size_t
net_udp_gro_size(struct msghdr *h)
{
	struct cmsghdr	*c;
	int		 seg;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof seg)) {
			memcpy(&seg, CMSG_DATA(c), sizeof seg);
			return seg > 0 ? (size_t)seg : 0;
		}
	return 0;
}

/* The datagrams handed on since the last burst end are a burst: say so to the layer above. */
static void
net_udp_burst_end(struct net *n)
{
	n->udp_burst = 0;
	if (n->ops->udp_burst_end != NULL)
		n->ops->udp_burst_end(n->arg, clock_now_ms());
}

/* One datagram read from the socket: checked, decoded and handed on (now: when it was read). */
static void
net_udp_one(struct net *n, const uint8_t *buf, size_t len, const struct sockaddr *sa,
    socklen_t slen, uint64_t now)
{
	struct contact	 from = net_contact_of(sa, slen);
	struct wire_msg	 m;
	const char	*why;
	char		 text[CONTACT_TEXT_MAX];

	if (net_other_version(n, buf, len, &from))
		return;
	if (wire_decode(buf, len, &m, &why) != 0) {
		log_warn("dropped a %zu-byte datagram from %s: %s", len,
		    contact_endpoint_text(&from, text, sizeof text), why);
		return;
	}
	if (net_family_ok(n, &m, now))
		n->ops->udp(n->arg, &m, now);
}

/* net_udp_one, counted in the burst: one stays at most NET_UDP_BURST datagrams, GRO or not. */
static void
net_udp_counted(struct net *n, const uint8_t *buf, size_t len, const struct msghdr *h,
    uint64_t now)
{
	net_udp_one(n, buf, len, h->msg_name, h->msg_namelen, now);
	if (++n->udp_burst == NET_UDP_BURST)
		net_udp_burst_end(n);
}

/*
 * One buffer read (len bytes): one datagram, or with UDP_GRO a run of them from one sender
 * that the kernel coalesced, cut back at the size its control message gives. If the buffer
 * was too small (it is not: a run is at most 64 KiB), only the whole datagrams are kept.
 * Returns the datagrams handed on.
 */
static unsigned
net_udp_buffer(struct net *n, const uint8_t *buf, size_t len, struct msghdr *h, uint64_t now)
{
	size_t		seg = net_udp_gro_size(h), off, k;
	unsigned	count = 0;
	char		text[CONTACT_TEXT_MAX];
	struct contact	from;

	if (len > NET_UDP_RECV_SLOT)
		len = NET_UDP_RECV_SLOT;
	if (seg > 0 && (h->msg_flags & MSG_TRUNC) && len % seg != 0) {
		from = net_contact_of(h->msg_name, h->msg_namelen);
		log_warn("dropped a cut datagram from %s (a coalesced run too long to read)",
		    contact_endpoint_text(&from, text, sizeof text));
		len -= len % seg;
	}
	if (len == 0 && seg == 0) {
		net_udp_counted(n, buf, 0, h, now);	/* an empty datagram is warned about */
		return 1;
	}
	for (off = 0; (k = net_udp_cut(len, seg, off)) > 0; off += k, count++)
		net_udp_counted(n, buf + off, k, h, now);
	return count;
}

/*
 * Datagrams are waiting on the UDP socket: read them NET_UDP_RECV buffers at a time
 * (recvmmsg), up to NET_UDP_BURST datagrams, then end the burst. The clock is read once a
 * recvmmsg: the datagrams of one call arrived together.
 */
void
net_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net		*n = arg;
	struct mmsghdr		 mm[NET_UDP_RECV];
	struct iovec		 iov[NET_UDP_RECV];
	struct sockaddr_storage	 ss[NET_UDP_RECV];
	_Alignas(struct cmsghdr) char ctl[NET_UDP_RECV][CMSG_SPACE(sizeof(int))];
	unsigned		 total = 0;
	int			 i, got;
	uint64_t		 now;

	(void)what;
	while (total < NET_UDP_BURST) {
		memset(mm, 0, sizeof mm);
		for (i = 0; i < NET_UDP_RECV; i++) {
			iov[i].iov_base = n->udp_in[i];
			iov[i].iov_len = sizeof n->udp_in[i];
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &ss[i];
			mm[i].msg_hdr.msg_namelen = sizeof ss[i];
			if (n->udp_gro) {
				mm[i].msg_hdr.msg_control = ctl[i];
				mm[i].msg_hdr.msg_controllen = sizeof ctl[i];
			}
		}
		if ((got = recvmmsg(fd, mm, NET_UDP_RECV, MSG_DONTWAIT, NULL)) <= 0)
			break;
		now = clock_now_ms();
		for (i = 0; i < got; i++)
			total += net_udp_buffer(n, n->udp_in[i], mm[i].msg_len, &mm[i].msg_hdr, now);
		if (got < NET_UDP_RECV)
			break;
	}
	if (n->udp_burst > 0)
		net_udp_burst_end(n);
}
