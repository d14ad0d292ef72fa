/* One cdht peer: the ring core, file transfers and the console, wired to the transport. */
#ifndef CDHT_PEER_H
#define CDHT_PEER_H

#include <stddef.h>

#include <event2/event.h>

#include "cdht/cli.h"
#include "resolve.h"

struct peer;

/* Bind and start (joining or pinging): the peer, or NULL with one sentence in err. */
struct peer	*peer_new(struct event_base *base, const struct config *cfg,
		    const struct resolved *res, char *err, size_t errlen);
/* Run the loop until the peer leaves: the process exit status (-1: the loop ended otherwise). */
int		 peer_run(struct peer *p);
void		 peer_free(struct peer *p);

#endif
