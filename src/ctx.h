/*
 * What the rooms of a peer (serve, store, fetching, the wiring in peer.c) share: the settings,
 * the transport, the drop generator, the transfer logs and the byte counters. Owned by the
 * peer, inside struct peer; lives as long as it.
 */
#ifndef CDHT_CTX_H
#define CDHT_CTX_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/cli.h"
#include "cdht/console.h"
#include "cdht/contact.h"
#include "cdht/xfer.h"
#include "xferlog.h"

struct net;

#ifndef LIST_FOREACH_SAFE	/* glibc's sys/queue.h lacks it; the BSDs have it */
#define LIST_FOREACH_SAFE(var, head, field, tvar)				\
	for ((var) = LIST_FIRST((head));					\
	    (var) != NULL && ((tvar) = LIST_NEXT((var), field), 1);		\
	    (var) = (tvar))
#endif


/*
 * The first member of every job handed to net as a body's ctx: net reports the job's end
 * through it, and the job ends itself in its own room.
 */
struct ctx_job {
	/* The body is through (ok) or cannot be; called once. */
	void	(*done)(struct ctx_job *job, bool ok, uint64_t now);
	void	 *room;		/* the room that owns the job (struct serve, store, ...) */
};

struct ctx {
	struct config	 cfg;
	struct contact	 self;
	struct net	*net;
	struct xfer_rng	 rng;		/* drop emulation and request ids */
	uint64_t	 start_ms;	/* the logs count from here */
	struct xferlog	 req_log;	/* requesting_log.txt */
	struct xferlog	 rsp_log;	/* responding_log.txt */
	int64_t		 bytes_in;	/* file bytes received since start */
	int64_t		 bytes_out;	/* file bytes delivered since start */
};

/* The context of a peer with this configuration, started now (self and net come later). */
void		ctx_init(struct ctx *x, const struct config *cfg, uint64_t now);
/* Keep in *next the earlier of it and t (deadlines: UINT64_MAX is none). */
void		ctx_earliest(uint64_t *next, uint64_t t);
/* Print one console event's lines together on stdout. */
void		ctx_print(const struct ctx *x, enum console_kind kind, int a, int b, int file);
/* Milliseconds since the peer started, for the logs. */
uint64_t	ctx_clock(const struct ctx *x, uint64_t now);

#endif
