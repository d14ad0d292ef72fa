/* One cdht peer: the ring core, file transfers and the console, wired to the transport. */
#ifndef CDHT_PEER_H
#define CDHT_PEER_H

#include <stddef.h>

#include <event2/event.h>

#include "cdht/cli.h"
#include "resolve.h"

#define PEER_REQUEST_WAIT_MS	10000	/* ms a request may wait for its answer */
#define PEER_STORE_WAIT_MS	30000	/* ms a store may wait for its owner to pull the data */
#define PEER_LINGER_MS		10000	/* ms a finished UDP receiver keeps answering duplicates */

struct peer;

/* Bind and start (joining or pinging): the peer, or NULL with one sentence in err. */
struct peer	*peer_new(struct event_base *base, const struct config *cfg,
		    const struct resolved *res, char *err, size_t errlen);
/* The exit status once the loop has ended (-1 while running). */
int		 peer_status(const struct peer *p);
void		 peer_free(struct peer *p);

#endif
