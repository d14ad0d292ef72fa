/*
 * What the rooms of a peer (serve, store, fetching, hold, the wiring in peer.c) share: the
 * settings, the transport, the drop generator, the transfer logs and the byte counters (struct
 * ctx: owned by the peer, inside struct peer; lives as long as it), and the parts of their
 * jobs that are the same: how a job ends, a due list, a copy coming in.
 */
#ifndef CDHT_CTX_H
#define CDHT_CTX_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/cli.h"
#include "cdht/console.h"
#include "cdht/contact.h"
#include "cdht/status.h"
#include "cdht/xfer.h"
#include "files.h"
#include "xferlog.h"

struct net;
struct net_conn;

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

/*
 * A job with a timer, on its room's due list while it lives: the room arms its timer at the
 * earliest next() of the list. next() reads the very fields the room's tick acts on.
 */
struct ctx_due {
	LIST_ENTRY(ctx_due)	 link;
	uint64_t		(*next)(const void *job);	/* ms; UINT64_MAX: none */
	const void		*job;
};
LIST_HEAD(ctx_dues, ctx_due);

/*
 * A copy coming in (a store's bytes, a ring copy): awaited until a deadline, then its bytes
 * written by net into a temporary file of ours. Embedded in the room's job; the room decides
 * what the copy becomes.
 */
struct ctx_intake {
	bool			 receiving;
	uint64_t		 deadline;	/* waiting: the bytes must start by then */
	uint64_t		 started;
	uint32_t		 size;		/* bytes */
	struct net_conn		*body;		/* the bytes' connection while receiving */
	struct xfer_meter	 meter;		/* progress lines while receiving */
	int			 fd;
	char			 tmp[FILES_PATH_MAX];
	struct ctx_due		 due;		/* on the room's due list while it lives */
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

/* Put a job on a room's due list (d is a member of the job), or take it off. */
void		ctx_due_add(struct ctx_dues *l, struct ctx_due *d, uint64_t (*next)(const void *),
		    const void *job);
void		ctx_due_remove(struct ctx_due *d);
/* The earliest deadline of the list's jobs (UINT64_MAX: none). */
uint64_t	ctx_due_earliest(const struct ctx_dues *l);
/* An intake awaited until deadline (no file yet), on the room's due list. */
void		ctx_intake_init(struct ctx_intake *in, struct ctx_dues *dues, uint64_t deadline);
/* Create its temporary copy for F (our pid and id in the name): 0, or -1 with err. */
int		ctx_intake_open(struct ctx_intake *in, const char *dir, int file, uint32_t id,
		    char *err, size_t errlen);
/* Its size bytes start coming on c now. */
void		ctx_intake_receive(struct ctx_intake *in, struct net_conn *c, uint32_t size,
		    uint64_t now);
/* Is a progress line due now? */
bool		ctx_intake_progress_due(struct ctx_intake *in, uint64_t now);
/* Did its bytes never start in time? */
bool		ctx_intake_expired(const struct ctx_intake *in, uint64_t now);
/* Bytes written so far. */
uint64_t	ctx_intake_moved(const struct ctx_intake *in);
/* Fill a transfer's figures (moved, size, elapsed) as a receive over TCP. */
void		ctx_intake_status(const struct ctx_intake *in, struct status_transfer *t,
		    uint64_t now);
/* Close and remove a copy that will not be completed. */
void		ctx_intake_drop(struct ctx_intake *in);
/* The intake is over: off the due list, its copy (if any is left) removed. */
void		ctx_intake_end(struct ctx_intake *in);

#endif
