/*
 * Resolution (SPEC §1-§2): the command line's addresses and names become contacts, once,
 * before the event loop starts. The rules take their lookups through struct resolve_env, so
 * unit tests run them against a fake resolver and fake interfaces.
 */
#ifndef CDHT_RESOLVE_H
#define CDHT_RESOLVE_H

#include <stddef.h>

#include "cdht/cli.h"
#include "cdht/contact.h"

#define RESOLVE_MAX_ADDRS	16	/* addresses of one name or of this host looked at */

#define RESOLVE_BAD_INPUT	2	/* exit status: the command line cannot work */
#define RESOLVE_SYSTEM		1	/* exit status: the system refused (resolver, interfaces) */

/* What the command line names, as contacts. Plain data; owned by main. */
struct resolved {
	struct contact	bind;	/* address to bind (port base+id); all-zero addr: wildcard */
	struct contact	self;	/* what we advertise to other peers */
	struct contact	succ1, succ2;	/* classic and init forms; none otherwise */
	struct contact	known;	/* join form; none otherwise */
};

/* Where the rules get addresses from. */
struct resolve_env {
	/*
	 * Addresses of name (no port; id 0) of family CONTACT_V4, CONTACT_V6 or 0 for either,
	 * in the resolver's order: how many (at most max), or -1 with *gai set to an EAI_ code.
	 */
	int	(*lookup)(void *arg, const char *name, int family, struct contact *out,
		    size_t max, int *gai);
	/* This host's interface addresses (loopback included): how many, or -1 (errno). */
	int	(*local)(void *arg, struct contact *out, size_t max);
	void	*arg;
};

/*
 * Turn cfg's addresses into contacts with getaddrinfo and getifaddrs: 0, or RESOLVE_BAD_INPUT
 * / RESOLVE_SYSTEM with one sentence in err (no "cdht: " prefix).
 */
int	resolve_config(const struct config *cfg, struct resolved *res, char *err,
	    size_t errlen);
/* The same rules with the given lookups. */
int	resolve_config_env(const struct config *cfg, const struct resolve_env *env,
	    struct resolved *res, char *err, size_t errlen);

#endif
