/*
 * Inside one peer: its rooms, shared by the wiring (peer.c) and the console (peer_cmd.c).
 * Nothing else includes this.
 */
#ifndef CDHT_PEER_INTERNAL_H
#define CDHT_PEER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "cdht/ring.h"
#include "cdht/status.h"
#include "ctx.h"
#include "fetching.h"
#include "hold.h"
#include "serve.h"
#include "store.h"

struct input;

/* The peer. Owned by main; lives as long as the loop runs. */
struct peer {
	struct ctx		 x;
	struct event_base	*base;
	struct input		*input;
	struct ring		 ring;
	struct serve		 serve;
	struct store		 store;
	struct fetching		 fetching;
	struct status_command	 last_command;	/* for status --json: was it taken? */
	struct hold		 hold;		/* files held for the ring */
	bool			 quitting;	/* `quit` typed: handing off before we depart */
	uint64_t		 answered_at[256];	/* when each id last answered a ping; 0: never */
	bool			 applying;
	int			 exit_status;
};

/* Carry out the ring's actions (peer.c). */
void	peer_apply(struct peer *p, uint64_t now);
/* Arm the timer at the earliest deadline any room stored (peer.c). */
void	peer_rearm(struct peer *p);
/* `quit`: hand our files off first, then depart (peer_cmd.c). */
void	peer_quit(struct peer *p, uint64_t now);
/* Requests whose first hop failed go out again on a new first successor (peer_cmd.c). */
void	peer_resend(struct peer *p, uint64_t now);
/* One line of standard input (peer_cmd.c). */
void	peer_on_line(char *line, void *arg);

#endif
