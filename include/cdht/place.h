/*
 * Where stored files live (SPEC §6 "Replicas", docs/REPLICATION.md): the placement rule, the
 * hand-off decisions, the manifest codec and the file checksum. Pure: views, inventories and
 * "now" in; roles, offers and deletions out.
 */
#ifndef CDHT_PLACE_H
#define CDHT_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLACE_MAX_REPLICAS	3	/* copies of a file: the owner and its next two successors */
#define PLACE_ARC		3	/* neighbours a view knows on each side */
#define PLACE_NO_PEER		(-1)	/* an id this view does not know */
#define PLACE_SLOTS		(PLACE_MAX_REPLICAS + 1)	/* peers one file may be offered to */
#define PLACE_MAX_PENDING	16	/* offers of one peer awaiting an answer or moving bytes */
#define PLACE_MAX_PER_PEER	4	/* of which to any one other peer */
#define PLACE_RETRY_MIN_MS	1000	/* ms before a refused or failed offer is made again */
#define PLACE_RETRY_MAX_MS	30000	/* ms, cap of that doubling delay */
#define PLACE_MAX_TRIES		8	/* offers to one peer per view before it is left alone */
#define PLACE_RETRY_VIEW_MS	2000	/* ms between offers its view refused (not a holder or
					   neighbour yet): views agree within the ring's detection
					   budget, so ask again at this flat pace, not doubling */
#define PLACE_MAX_TRIES_VIEW	15	/* such offers to one peer, about 30 s, before it is left alone */
#define PLACE_MAX_DROPS		64	/* copies one plan may tell the caller to delete */
#define PLACE_MANIFEST_HEADER	"cdht manifest 1"	/* first line of a manifest */
#define PLACE_MANIFEST_LINE_MAX	80	/* bytes of one manifest line with its newline, at most */

/*
 * What a peer knows of the ring around it: ids, PLACE_NO_PEER where unknown. pred[0] is the
 * first predecessor; succ[2] is the third successor (learned from the second's answers).
 */
struct place_view {
	int		self;
	int		pred[PLACE_ARC];
	int		succ[PLACE_ARC];
	unsigned	replicas;	/* N, 1..PLACE_MAX_REPLICAS */
	bool		may_delete;	/* false in a directory other peers share */
};

enum place_role { PLACE_NONE, PLACE_OWNER, PLACE_REPLICA, PLACE_UNKNOWN };

/* The peers that must hold a key, owner first; PLACE_NO_PEER where this view cannot tell. */
struct place_holders {
	int		id[PLACE_SLOTS];
	unsigned	n;		/* min(asked, ring size) */
	bool		complete;	/* every id is known */
};

/* Where a held copy's bytes came from: written by us through the ring, or the user's file. */
enum place_source { PLACE_SRC_RING, PLACE_SRC_USER };

/* Why a copy is offered (the wire's role): you hold it now, or do you have it (I may drop). */
enum place_intent { PLACE_HOLD_OWNER = 1, PLACE_HOLD_REPLICA = 2, PLACE_HOLD_CHECK = 3 };

/* An answer to an offer (HOLD_ANSWER's status), or a local failure of the offer. */
enum place_status {
	PLACE_ST_HAVE,		/* I hold this version (confirmed) */
	PLACE_ST_WANT,		/* send it (the bytes follow on this connection) */
	PLACE_ST_NEWER,		/* I hold a newer version; yours is stale */
	PLACE_ST_NOT_HOLDER,	/* my view says I need not hold it, and I do not */
	PLACE_ST_NOT_NEIGHBOUR,	/* you are not in my view of the ring */
	PLACE_ST_USER_FILE,	/* the user's own different F.pdf is here; never overwritten */
	PLACE_ST_BUSY,		/* a copy is coming in already, or too many transfers */
	PLACE_ST_NO_ROOM,	/* the disk cannot take it */
	PLACE_ST_BAD,		/* the bytes did not match the size or checksum offered */
	PLACE_ST_FAILED		/* (local) the connection failed or went quiet */
};

/* Where one file's offer to one peer stands. */
enum place_slot_state {
	PLACE_SLOT_NEW,		/* to be offered */
	PLACE_SLOT_PENDING,	/* offered; answer or bytes under way */
	PLACE_SLOT_HAVE,	/* it holds this version */
	PLACE_SLOT_RETRY,	/* offer again at retry_at */
	PLACE_SLOT_SETTLED	/* left alone until the view changes (refused for good) */
};

struct place_slot {
	int			peer;
	enum place_intent	intent;		/* why it gets the file */
	enum place_slot_state	state;
	unsigned		tries;
	uint64_t		retry_at;
};

/* One file held for the ring. Plain data in the caller's inventory array. */
struct place_file {
	uint16_t		file;		/* 0..9999 */
	uint64_t		gen;		/* version: larger is newer (set by the owner at a store) */
	uint32_t		size;		/* bytes */
	uint64_t		sum;		/* place_sum of the bytes */
	enum place_source	source;
	enum place_role		role;		/* as of the last plan */
	struct place_slot	slot[PLACE_SLOTS];
	unsigned		nslot;
};

enum place_event_kind {
	PLACE_EV_VIEW,		/* the view may have changed, time passed, or an answer came */
	PLACE_EV_STORED,	/* a new version of `file` was stored here: everyone gets it again */
	PLACE_EV_LEAVING	/* we quit: hand everything to the holders of the ring without us */
};

struct place_event {
	enum place_event_kind	kind;
	int			file;	/* PLACE_EV_STORED */
};

struct place_offer {
	uint16_t		file;
	int			to;
	enum place_intent	intent;
};

/* What one plan asks of the caller. */
struct place_plan {
	struct place_offer	offer[PLACE_MAX_PENDING];
	size_t			noffer;
	uint16_t		drop[PLACE_MAX_DROPS];	/* delete F.pdf (a ring copy) and forget it */
	size_t			ndrop;
	uint16_t		forget[PLACE_MAX_DROPS];	/* forget (the user's file stays) */
	size_t			nforget;
	size_t			role_changes;	/* entries whose role changed */
	size_t			unsettled;	/* entries with holders not yet confirmed */
};

/* The local copy of a file an offer is about (present false: none here). */
struct place_copy {
	bool			present;
	bool			sum_known;	/* false: a user's file not hashed yet */
	uint64_t		gen;
	uint32_t		size;
	uint64_t		sum;
	enum place_source	source;
};

/* An offer as received. */
struct place_hold {
	uint16_t		file;
	enum place_intent	intent;
	uint64_t		gen;
	uint32_t		size;
	uint64_t		sum;
};

/* Streaming checksum of file contents: XXH64 with seed 0. */
struct place_sum {
	uint64_t	v[4];
	uint64_t	total;		/* bytes so far */
	uint8_t		buf[32];
	size_t		nbuf;
};

/* This peer's role for key, and into *h the N holders (NULL: not wanted). */
enum place_role	 place_role(const struct place_view *v, int key, struct place_holders *h);
/* The first n (1..PLACE_SLOTS) holders of key as far as this view tells. */
void		 place_holders(const struct place_view *v, int key, unsigned n,
		     struct place_holders *h);
/* Is id one of our known neighbours (the peers offers may come from)? */
bool		 place_is_neighbour(const struct place_view *v, int id);
/* Order of two versions: <0 if a is older than b, 0 if identical, >0 if newer. */
int		 place_version_cmp(uint64_t gen_a, uint32_t size_a, uint64_t sum_a,
		     uint64_t gen_b, uint32_t size_b, uint64_t sum_b);
/* The version a store taken now gets: newer than the previous one, and than wall_ms. */
uint64_t	 place_next_gen(uint64_t previous, uint64_t wall_ms);
/* A fresh inventory entry (role unknown until the next plan, nobody confirmed). */
void		 place_file_init(struct place_file *f, int file, uint64_t gen, uint32_t size,
		     uint64_t sum, enum place_source source);
/* Roles, offers and deletions for the inventory after ev; slots updated in place. */
void		 place_plan(const struct place_view *v, struct place_file *files, size_t n,
		     const struct place_event *ev, uint64_t now, struct place_plan *out);
/* The answer to an offer of ours (or its local failure) from peer about file. */
void		 place_on_result(struct place_file *files, size_t n, int file, int peer,
		     enum place_status st, uint64_t now);
/* Peer lacks our version of file after all (it offered an older one): ask it again. */
void		 place_reask(struct place_file *files, size_t n, int file, int peer);
/* The earliest retry due among the inventory's offers; UINT64_MAX if none. */
uint64_t	 place_next_deadline(const struct place_file *files, size_t n);
/* How to answer an offer from peer `from`, given our view and our copy of the file. */
enum place_status place_answer(const struct place_view *v, int from, const struct place_hold *o,
		     const struct place_copy *local);
/* Wire and log name of a role / status ("owner", "want"). */
const char	*place_role_name(enum place_role r);
const char	*place_status_name(enum place_status st);

/* One manifest line for f, with its newline, into buf; its length, or 0 if cap is short. */
size_t		 place_manifest_line(const struct place_file *f, char *buf, size_t cap);
/* Parse one line (no newline); 0 with *f filled, or -1 with *why. */
int		 place_manifest_parse_line(const char *line, size_t len, struct place_file *f,
		     const char **why);
/* Header and every line into buf; the length the whole text needs (as snprintf). */
size_t		 place_manifest_format(const struct place_file *files, size_t n, char *buf,
		     size_t cap);
/*
 * Parse a manifest: good lines into out (at most max), count in *n. Returns the number of bad
 * lines; the first one's number (from 1) and reason go to *bad_line and *why. A bad header
 * rejects everything.
 */
size_t		 place_manifest_parse(const char *text, size_t len, struct place_file *out,
		     size_t max, size_t *n, size_t *bad_line, const char **why);

void		 place_sum_init(struct place_sum *s);
void		 place_sum_update(struct place_sum *s, const void *data, size_t len);
uint64_t	 place_sum_final(const struct place_sum *s);
/* The checksum of one buffer (init, update, final). */
uint64_t	 place_sum(const void *data, size_t len);

#endif
