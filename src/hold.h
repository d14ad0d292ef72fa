/*
 * Files held for the ring (docs/REPLICATION.md): the inventory and its manifest, offers of our
 * copies to the peers that must hold them (replication, hand-off, repair), and copies offered
 * to us. The decisions are place_plan's and place_answer's; this room carries them out.
 */
#ifndef CDHT_HOLD_H
#define CDHT_HOLD_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/place.h"
#include "cdht/ring.h"
#include "cdht/status.h"
#include "cdht/wire.h"
#include "ctx.h"

#define HOLD_WAIT_MS		10000	/* ms an offer or a copy may go without progress */
#define HOLD_QUIT_STALL_MS	10000	/* ms without progress before a quit leaves anyway */
#define HOLD_MANIFEST_MS	1000	/* ms between manifest writes, at least */
#define HOLD_MAX_IN		16	/* copies coming in at once */
#define HOLD_MAX_IN_PER_PEER	4	/* of which from one peer */
#define HOLD_SUM_CACHE		64	/* user files whose checksum is remembered (entries) */

struct net_conn;
struct hold_out;
struct hold_in;

/* Per inventory entry, beside place's data: how the file looked when we last wrote it. */
struct hold_meta {
	int64_t		mtime_ns;	/* 0: unknown */
};

/* A batch of offers started by one trigger, reported in one stderr line when settled. */
struct hold_batch {
	bool		active;
	const char	*what;		/* "replication", "hand-off", "repair", "restart" */
	char		about[24];	/* " of 0007", " after peer 8", " to peer 7" */
	uint64_t	since;
	unsigned	sent;		/* copies sent */
	uint64_t	bytes;
	unsigned	there;		/* offers answered "have" */
};

/* The room. Owned by the peer; hold_free ends every job. */
struct hold {
	struct ctx			*ctx;
	const struct ring		*ring;
	struct place_file		*inv;
	struct hold_meta		*meta;
	size_t				 n, cap;
	LIST_HEAD(, hold_out)		 outs;
	LIST_HEAD(, hold_in)		 ins;
	struct ctx_dues			 dues;		/* every copy moving: its timer */
	struct place_view		 view;		/* as of the last plan */
	struct place_view		 stable_view;	/* the view, and since when it held */
	uint64_t			 view_since;
	bool				 stable;	/* long enough for deletions */
	bool				 replan;	/* plan at the next sync */
	bool				 stored;	/* the last trigger was a store */
	int				 stored_file;
	int				 label_file;	/* the next batch replicates it; -1 */
	uint64_t			 deaths;	/* ring deaths seen at the last plan */
	int				 gone, came;	/* a peer that left / entered our view lately */
	bool				 may_delete;
	bool				 loaded;	/* entries came from a manifest */
	bool				 manifest_exists;	/* ours is on disk */
	bool				 syncing;
	uint64_t			 manifest_at;	/* write due then; UINT64_MAX: clean */
	uint64_t			 manifest_last;
	/* quit */
	bool				 leaving;
	bool				 left;		/* hand-off over (or given up): depart now */
	uint64_t			 progress_at;
	struct hold_batch		 batch;
	size_t				 unsettled;
	uint64_t			 bytes_sent, bytes_received;	/* file bytes, ever */
	uint32_t			 tmp_seq;	/* names of temporary copies */
	uint64_t			 next;		/* earliest deadline; UINT64_MAX: none */
};

/* What a transfer's stderr lines say: its verb while moving and at its end, file and peer. */
struct hold_label {
	const char	*ing, *ed;	/* "handing off", "handed off" */
	const char	*way;		/* "to", "from" */
	int		 file, peer;
};

/* Read the manifest (if replicas > 1) and write it back at once (if we hold anything). */
void	 hold_init(struct hold *h, struct ctx *x, const struct ring *ring, uint64_t now);
void	 hold_free(struct hold *h);
/* The ring or time moved: plan if the view changed or something is due; offers go out. */
void	 hold_sync(struct hold *h, uint64_t now);
/* We took a store of file as its owner (or it was typed here, user: the file is ours). */
void	 hold_stored(struct hold *h, int file, bool user, uint64_t now);
/*
 * A store of file came in as tmp: is F.pdf here the user's own file (not a ring copy of
 * ours)? 0: no (commit over it as before), 1: yes and identical, -1: yes and it differs.
 * Always 0 with --replicas 1 (the seeds replace it).
 */
int	 hold_user_file(struct hold *h, int file, const char *tmp);
/* `quit`: hand everything off first. False if there is nothing to wait for. */
bool	 hold_leave(struct hold *h, uint64_t now);
/* HOLD_OFFER, HOLD_ANSWER, HOLD_DATA on connection c. */
void	 hold_on_frame(struct hold *h, struct net_conn *c, const struct wire_msg *m,
	    uint64_t now);
/* A HOLD message to `to` could not be sent. */
void	 hold_send_failed(struct hold *h, const struct contact *to, int type, uint64_t now);
/* Time passed: timeouts, retries, the manifest, a stalled quit. */
void	 hold_tick(struct hold *h, uint64_t now);
/* Our role for file as the last plan saw it; false unless we hold a ring copy of it. */
bool	 hold_role(const struct hold *h, int file, enum place_role *role);
/*
 * One stderr line of a transfer's figures (done of size bytes since start): progress while
 * it moves ("copying 0007 to peer 8: 1.2 MiB of 3.0 MiB (40%), ..."), and at its end the
 * summary ("copied 0007 to peer 8: 3.0 MiB in 2.1 s (1.4 MiB/s)"), or if !ok the same figures
 * as "copying 0007 to peer 8 failed: ..., at 40%". Stores' intakes speak the same way.
 */
void	 hold_say_figures(const struct hold_label *l, uint64_t done, uint32_t size,
	    uint64_t start, bool end, bool ok, uint64_t now);
/* Our hand-off and replica copies, appended to the snapshot as transfers. */
void	 hold_snapshot(const struct hold *h, struct status_snapshot *snap, uint64_t now);

#endif
