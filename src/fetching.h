/*
 * The requests typed here, on the I/O edge: each one's fetch machine (cdht/fetch.h) with its
 * temporary copy, the actions carried out on files, the transport and the console.
 */
#ifndef CDHT_FETCHING_H
#define CDHT_FETCHING_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/fetch.h"
#include "cdht/status.h"
#include "cdht/wire.h"
#include "ctx.h"

#define FETCHING_WBUF	(64 * 1024)	/* bytes of contiguous segments written at once */

struct net_conn;
struct fetch_job;

/* Requests in flight. Owned by the peer; fetching_free ends every one. */
struct fetching {
	struct ctx			*ctx;
	LIST_HEAD(, fetch_job)		 jobs;
	uint64_t			 next;	/* earliest job deadline; FETCH_NEVER: none */
};

void	 fetching_init(struct fetching *fg, struct ctx *x);
void	 fetching_free(struct fetching *fg);
/* Typed `request F`, about to be routed with this fresh id. */
void	 fetching_start(struct fetching *fg, int file, uint32_t id, uint64_t now);
/* The request with this id, or NULL. */
struct fetch_job *fetching_find(const struct fetching *fg, uint32_t id);
/* A FILE_RSP on connection c: false if it answers none of our requests. */
bool	 fetching_on_answer(struct fetching *fg, struct net_conn *c, const struct wire_msg *m,
	    uint64_t now);
/* A UDP DATA segment. */
void	 fetching_on_data(struct fetching *fg, const struct wire_msg *m, uint64_t now);
/* The datagrams read together are all handled: ACKs held back for them go out. */
void	 fetching_burst_end(struct fetching *fg, uint64_t now);
/*
 * Our request with this id (net's send_failed) never reached its first hop `to`: true if it
 * will be sent again once the ring has repaired (one line says so), false if the failure is
 * to be reported as usual.
 */
bool	 fetching_on_unsent(struct fetching *fg, const struct contact *to, uint32_t id,
	    uint64_t now);
/* A request due to go out again now that the first successor is succ (-1: none): true with
 * its file and id (the caller routes it, then asks again for the next). */
bool	 fetching_resend_next(struct fetching *fg, int succ, uint64_t now, int *file,
	    uint32_t *id);
/* Time passed: deadlines and progress lines. */
void	 fetching_tick(struct fetching *fg, uint64_t now);
/* Our requests still moving, as transfers. */
void	 fetching_snapshot(const struct fetching *fg, struct status_snapshot *snap, uint64_t now);

#endif
