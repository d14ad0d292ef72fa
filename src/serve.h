/*
 * Serving files: answering a request as its key's owner (stop-and-wait over UDP or a stream
 * over TCP), streaming a store's bytes to their owner, and the admission limits on how much
 * other peers may make us move at once.
 */
#ifndef CDHT_SERVE_H
#define CDHT_SERVE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/status.h"
#include "cdht/wire.h"
#include "ctx.h"

#define SERVE_MAX_JOBS		64	/* files we send or take at once (answers, stores) */
#define SERVE_MAX_PER_PEER	8	/* of which for any one other peer */
#define SERVE_READ_MAX		(64 * 1024)	/* bytes read at once for a batch of segments */

struct net_conn;
struct udp_sender;
struct tcp_sender;

/* Everything we send. Owned by the peer; serve_free ends every job. */
struct serve {
	struct ctx			*ctx;
	LIST_HEAD(, udp_sender)		 udp;
	LIST_HEAD(, tcp_sender)		 tcp;
	size_t				 load;		/* admitted jobs in all */
	uint16_t			 load_of[256];	/* of which for each peer */
	struct ctx_dues			 dues;	/* every job: its timer */
	uint64_t			 next;	/* earliest retransmission due; UINT64_MAX: none */
};

void	 serve_init(struct serve *s, struct ctx *x);
void	 serve_free(struct serve *s);
/* May peer id start one more transfer with us? Takes a slot if so; says why not on stderr. */
bool	 serve_admit(struct serve *s, int id, const char *what, int file);
/* Take a slot without asking (bytes we chose to send), or give one back. */
void	 serve_hold(struct serve *s, int id);
void	 serve_release(struct serve *s, int id);
/* We own a requested key (RING_ACT_SERVE): answer the requester and send the file. */
void	 serve_request(struct serve *s, const struct wire_route *rt, uint64_t now);
/* Stream hdr (if not NULL) then size bytes of fd (taken over) to peer `to` on c. 0 or -1. */
int	 serve_stream(struct serve *s, struct net_conn *c, const struct wire_msg *hdr, int fd,
	    uint32_t size, int file, uint8_t to, bool answer, uint64_t now);
/* An ACK for one of our stop-and-wait transfers. */
void	 serve_on_ack(struct serve *s, const struct wire_msg *m, uint64_t now);
/* Time passed: retransmissions and give-ups. */
void	 serve_tick(struct serve *s, uint64_t now);
/* Our transfers, appended to the snapshot. */
void	 serve_snapshot(const struct serve *s, struct status_snapshot *snap, uint64_t now);

#endif
