/*
 * Inside the hold room (src/hold.c: inventory, manifest, plan; src/hold_io.c: offers out and
 * in): what the two files share. Not a contract for anyone else; hold.h is.
 */
#ifndef CDHT_HOLD_INT_H
#define CDHT_HOLD_INT_H

#include <sys/types.h>

#include "cdht/xfer.h"
#include "files.h"
#include "hold.h"

enum hold_out_state { HOLD_OFFERED, HOLD_SENDING, HOLD_SENT };

/* One offer of ours: answer awaited, bytes moving, or the final answer awaited. */
struct hold_out {
	struct ctx_job		 job;		/* ends in hold_sent */
	LIST_ENTRY(hold_out)	 link;
	struct ctx_due		 due;		/* hold_out_next */
	uint16_t		 file;
	int			 to;
	struct contact		 c;		/* whom the bytes go to (from its answer) */
	uint64_t		 gen, sum;
	uint32_t		 size;
	enum place_intent	 intent;
	enum hold_out_state	 state;
	uint64_t		 deadline;	/* OFFERED, SENT: given up then */
	uint64_t		 started;
	struct net_conn		*conn;		/* the bytes' connection while SENDING */
	struct xfer_meter	 meter;		/* progress lines while SENDING */
	uint64_t		 moved;		/* bytes sent as of the last progress line */
	bool			 said;		/* a progress line was printed: a summary follows */
	bool			 has_final;	/* the final answer overtook our file_sent */
	enum place_status	 final;
};

/* A copy we said we want: its bytes awaited, then coming in. */
struct hold_in {
	struct ctx_job		 job;		/* ends in hold_received */
	LIST_ENTRY(hold_in)	 link;
	uint16_t		 file;
	struct contact		 from;
	uint64_t		 gen, sum;
	enum place_intent	 intent;	/* owner: a hand-off, else a replica copy */
	struct ctx_intake	 copy;		/* size as offered; awaited, then coming in */
	bool			 said;		/* a progress line was printed: a summary follows */
};

/* A line for CDHT_DEBUG_HOLD. */
void		 hold_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* dir/F.pdf into buf. */
void		 hold_path(const struct hold *h, int file, char *buf, size_t cap);
/* Size and change time of a regular file: 0, or -1 if there is none. */
int		 hold_stat(const char *path, uint32_t *size, int64_t *mtime_ns);
/* The checksum and size of a file's bytes: 0, or -1 if it cannot be read. */
int		 hold_hash(const char *path, uint32_t *size, uint64_t *sum);
/* The index of file's entry, or -1. */
ssize_t		 hold_find(const struct hold *h, int file);
/* Set file's entry to this version (its slots start afresh). */
void		 hold_set(struct hold *h, int file, uint64_t gen, uint32_t size, uint64_t sum,
		     enum place_source src);
/* Forget entry i (the file stays). */
void		 hold_forget(struct hold *h, size_t i);
/* Is entry i's file as we left it (a ring copy we may replace or delete)? */
bool		 hold_unchanged(const struct hold *h, size_t i);
/* Wall-clock milliseconds, for the versions of stores (hold_inv.c). */
uint64_t	 hold_wall_ms(void);
/* May we delete ring copies here: is no other peer's manifest in the directory? */
bool		 hold_alone(const struct hold *h);
/* Write the manifest now: temporary file, fsync, rename; never half of one. */
void		 hold_manifest_write(struct hold *h, uint64_t now);
/* Read our manifest, if there is one. */
void		 hold_manifest_load(struct hold *h);
/* Our neighbours as the ring knows them now. */
void		 hold_view(const struct hold *h, struct place_view *v);
/* The contact of a neighbour by id: 0, or -1 if the ring does not know it. */
int		 hold_contact(const struct hold *h, int id, struct contact *c);
/* A HOLD message to `to` on a connection of its own. */
struct net_conn	*hold_send(struct hold *h, const struct contact *to, struct wire_msg *m);
/* Offer one file to one peer (hold_io.c). */
void		 hold_offer(struct hold *h, const struct place_offer *o, uint64_t now);
/* An offer of ours ended with st: tell place, plan again (hold_io.c). */
void		 hold_out_result(struct hold *h, struct hold_out *o, enum place_status st,
		     uint64_t now);
void		 hold_out_free(struct hold_out *o);
void		 hold_in_free(struct hold_in *in);
/* Progress lines of the copies moving (hold_io.c). */
void		 hold_progress(struct hold *h, uint64_t now);
/* Bytes of a copy we send moved so far (hold_io.c). */
uint64_t	 hold_out_moved(const struct hold_out *o);
/* Is a copy coming in a hand-off (else a replica copy)? */
bool		 hold_in_handoff(const struct hold_in *in);
bool		 hold_out_handoff(const struct hold *h, const struct hold_out *o);

#endif
