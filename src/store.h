/*
 * Stores (SPEC §7): a store typed here waits for its key's owner to ask for the bytes (an
 * offer); a store we own takes the bytes from its origin and commits them atomically as
 * F.pdf (an intake). An intake is the one way a file comes in from a peer to stay here.
 */
#ifndef CDHT_STORE_H
#define CDHT_STORE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "cdht/keys.h"
#include "cdht/status.h"
#include "cdht/wire.h"
#include "ctx.h"
#include "serve.h"

#define STORE_OFFER_WAIT_MS	30000	/* ms a store typed here waits for its owner to ask */
#define STORE_INTAKE_WAIT_MS	10000	/* ms an owner waits for the origin to start sending */
#define STORE_TAKEN_MAX		32	/* stores taken, remembered to spot a resent one */
#define STORE_RETRY_MS		2000	/* ms before an unaccepted store is sent again (doubling) */

struct net_conn;
struct hold;
struct ring;
struct store_offer;
struct store_intake;

/* Stores in flight both ways. Owned by the peer; store_free ends every job. */
struct store {
	struct ctx			*ctx;
	struct serve			*serve;		/* admission, and streaming our bytes */
	struct hold			*hold;		/* stores we take are replicated */
	struct ring			*ring;		/* unaccepted stores are routed again */
	LIST_HEAD(, store_offer)	 offers;
	LIST_HEAD(, store_intake)	 intakes;
	struct ctx_dues			 dues;	/* every offer and intake: its timer */
	uint64_t			 next;	/* earliest expiry due; UINT64_MAX: none */
	uint8_t				 owner_of[(KEYS_FILE_MAX + 8) / 8];	/* F taken as owner */
	/* stores taken lately (origin id << 32 | store id): a resent STORE_REQ is not taken twice */
	uint64_t			 taken[STORE_TAKEN_MAX];
	unsigned			 ntaken;
};

void	 store_init(struct store *st, struct ctx *x, struct serve *serve);
void	 store_free(struct store *st);
/* Typed `store F` with this fresh id: 0 if F.pdf is here to offer, -1 (said why) if not. */
int	 store_offer(struct store *st, int file, uint32_t id, uint64_t now);
/* The offer with this id, or NULL. */
struct store_offer *store_find_offer(const struct store *st, uint32_t id);
/* We own a stored key (RING_ACT_STORE): take the store (ask the origin for the bytes). */
void	 store_take(struct store *st, const struct wire_route *rt, uint64_t now);
/* A FILE_RSP that accepts one of our offers: false if it is not for one of ours. */
bool	 store_on_accepted(struct store *st, struct net_conn *c, const struct wire_msg *m,
	    uint64_t now);
/* STORE_DATA: the header of a stored file's bytes coming in. */
void	 store_on_data(struct store *st, struct net_conn *c, const struct wire_msg *m,
	    uint64_t now);
/* Time passed: offers sent again or given up, intakes whose bytes never came. */
void	 store_tick(struct store *st, uint64_t now);
/* Every F.pdf in the directory with its role, and our intakes as transfers. */
void	 store_snapshot(const struct store *st, struct status_snapshot *snap, uint64_t now);

#endif
