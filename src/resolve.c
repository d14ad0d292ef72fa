/* Resolution: the command line's addresses and names to contacts, once, before the loop. */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "resolve.h"

/* One resolution in progress: the config, the lookups, the ring's family once known. */
struct resolve_ctx {
	const struct config	*cfg;
	const struct resolve_env *env;
	int			 family;	/* CONTACT_V4, CONTACT_V6, or 0: not yet known */
	char			*err;
	size_t			 errlen;
};

/* Write one sentence into err and return code. */
static int __attribute__((format(printf, 3, 4)))
resolve_fail(struct resolve_ctx *x, int code, const char *fmt, ...)
{
	va_list	ap;

	if (x->err != NULL && x->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* "IPv4" or "IPv6". */
static const char *
resolve_family_name(int family)
{
	return family == CONTACT_V6 ? "IPv6" : "IPv4";
}

/* The family of an address literal, or 0 if text is not one (a name). */
static int
resolve_literal(const char *text, struct contact *c)
{
	uint8_t	a[16];

	if (inet_pton(AF_INET, text, a) == 1) {
		*c = contact_v4(0, a, 0);
		return CONTACT_V4;
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		*c = contact_v6(0, a, 0);
		return CONTACT_V6;
	}
	return 0;
}

/* Is c's address a loopback one (127.0.0.0/8, ::1)? */
static bool
resolve_is_loopback(const struct contact *c)
{
	static const uint8_t	v6_lo[16] = { [15] = 1 };

	if (c->family == CONTACT_V4)
		return c->addr[0] == 127;
	return c->family == CONTACT_V6 && memcmp(c->addr, v6_lo, 16) == 0;
}

/* Is c an IPv6 link-local address (fe80::/10), useless without its interface? */
static bool
resolve_is_link_local(const struct contact *c)
{
	return c->family == CONTACT_V6 && c->addr[0] == 0xfe && (c->addr[1] & 0xc0) == 0x80;
}

/*
 * Resolve text (a literal or a name; `what` names and quotes it in messages) to an address of the
 * ring's family, fixing the family if still open: 0, or an exit status with err set.
 */
static int
resolve_host(struct resolve_ctx *x, const char *text, const char *what, struct contact *c)
{
	struct contact	 found[RESOLVE_MAX_ADDRS];
	int		 fam, n, gai = 0;

	if ((fam = resolve_literal(text, c)) == 0) {
		n = x->env->lookup(x->env->arg, text, x->family, found, RESOLVE_MAX_ADDRS, &gai);
		if (n < 0 && (gai == EAI_AGAIN || gai == EAI_MEMORY || gai == EAI_SYSTEM))
			return resolve_fail(x, RESOLVE_SYSTEM, "cannot resolve %s now: %s",
			    what, gai_strerror(gai));
		if (n < 0)
			return resolve_fail(x, RESOLVE_BAD_INPUT, "cannot resolve %s: %s",
			    what, gai_strerror(gai));
		if (n == 0 || (x->family != 0 && found[0].family != x->family))
			return resolve_fail(x, RESOLVE_BAD_INPUT, "%s has no %s address",
			    what, x->family != 0 ? resolve_family_name(x->family) : "usable");
		*c = found[0];
		fam = c->family;
	}
	if (x->family != 0 && fam != x->family)
		return resolve_fail(x, RESOLVE_BAD_INPUT,
		    "%s is %s, but this ring uses %s (one ring uses one address family)",
		    what, resolve_family_name(fam), resolve_family_name(x->family));
	c->port = 1;
	if (!contact_is_valid(c))
		return resolve_fail(x, RESOLVE_BAD_INPUT, "%s is not a usable address", what);
	c->port = 0;
	x->family = fam;
	return 0;
}

/* The family of the first literal the command line names (it fixes the ring's), or 0. */
static int
resolve_first_literal(const struct config *cfg)
{
	const struct cli_peer	*peers[] = { &cfg->succ1, &cfg->succ2, &cfg->known };
	struct contact		 c;
	int			 fam;
	size_t			 i;

	if (cli_is_wildcard(cfg->bind_addr))
		return strchr(cfg->bind_addr, ':') != NULL ? CONTACT_V6 : CONTACT_V4;
	if ((fam = resolve_literal(cfg->bind_addr, &c)) != 0)
		return fam;
	if (cfg->advertise[0] != '\0' && (fam = resolve_literal(cfg->advertise, &c)) != 0)
		return fam;
	for (i = 0; i < sizeof peers / sizeof peers[0]; i++)
		if (peers[i]->id >= 0 && peers[i]->has_host &&
		    (fam = resolve_literal(peers[i]->host, &c)) != 0)
			return fam;
	return 0;
}

/* With a wildcard bind and no --advertise: this host's one address of the family. */
static int
resolve_guess_self(struct resolve_ctx *x, struct contact *self)
{
	struct contact	local[RESOLVE_MAX_ADDRS], pick[RESOLVE_MAX_ADDRS];
	char		list[256] = "", a[CONTACT_ADDR_MAX];
	size_t		used = 0;
	int		n, i, j, np = 0;

	if ((n = x->env->local(x->env->arg, local, RESOLVE_MAX_ADDRS)) < 0)
		return resolve_fail(x, RESOLVE_SYSTEM, "cannot list this host's addresses: %s",
		    strerror(errno));
	for (i = 0; i < n; i++) {
		if (local[i].family != x->family || resolve_is_loopback(&local[i]) ||
		    resolve_is_link_local(&local[i]))
			continue;
		for (j = 0; j < np && !contact_same_host(&pick[j], &local[i]); j++)
			continue;
		if (j == np)
			pick[np++] = local[i];
	}
	if (np == 1) {
		*self = pick[0];
		return 0;
	}
	if (np == 0)
		return resolve_fail(x, RESOLVE_BAD_INPUT,
		    "--bind %s needs --advertise: this host has no non-loopback %s address",
		    x->cfg->bind_addr, resolve_family_name(x->family));
	for (i = 0; i < np && used + 1 < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
		    i > 0 ? ", " : "", contact_addr_text(&pick[i], a, sizeof a));
	return resolve_fail(x, RESOLVE_BAD_INPUT,
	    "--bind %s needs --advertise to say which of this host's %d %s addresses "
	    "others reach it at (%s)", x->cfg->bind_addr, np, resolve_family_name(x->family),
	    list);
}

/* Resolve bind and self (what we advertise): 0, or an exit status with err set. */
static int
resolve_self(struct resolve_ctx *x, struct resolved *res)
{
	const struct config	*cfg = x->cfg;
	uint16_t		 port = (uint16_t)(cfg->base_port + (unsigned)cfg->id);
	uint8_t			 zero[16] = { 0 };
	char			 what_bind[CLI_HOST_MAX + 32], what_adv[CLI_HOST_MAX + 32];
	int			 rc;

	snprintf(what_adv, sizeof what_adv, "advertise address '%s'", cfg->advertise);
	if (cli_is_wildcard(cfg->bind_addr)) {
		res->bind = x->family == CONTACT_V6 ? contact_v6(0, zero, 0) :
		    contact_v4(0, zero, 0);
		if (cfg->advertise[0] != '\0')
			rc = resolve_host(x, cfg->advertise, what_adv, &res->self);
		else
			rc = resolve_guess_self(x, &res->self);
	} else {
		snprintf(what_bind, sizeof what_bind, "bind address '%s'", cfg->bind_addr);
		rc = resolve_host(x, cfg->bind_addr, what_bind, &res->bind);
		if (rc == 0 && cfg->advertise[0] != '\0')
			rc = resolve_host(x, cfg->advertise, what_adv, &res->self);
		else
			res->self = res->bind;
	}
	res->bind = contact_with_id(&res->bind, (uint8_t)cfg->id, port);
	res->self = contact_with_id(&res->self, (uint8_t)cfg->id, port);
	return rc;
}

/* Resolve one peer named on the command line (none if not given): 0, or an exit status. */
static int
resolve_peer(struct resolve_ctx *x, const struct cli_peer *p, const char *what,
    const struct contact *self, struct contact *c)
{
	char	name[CONTACT_TEXT_MAX + CLI_HOST_MAX];
	unsigned port;
	int	rc;

	*c = contact_none();
	if (p->id < 0)
		return 0;
	port = p->port != 0 ? p->port : x->cfg->base_port + (unsigned)p->id;
	if (!p->has_host) {
		*c = contact_with_id(self, (uint8_t)p->id, (uint16_t)port);
		return 0;
	}
	snprintf(name, sizeof name, strchr(p->host, ':') != NULL ? "%s '%d@[%s]%s%.0u'" :
	    "%s '%d@%s%s%.0u'", what, p->id, p->host, p->port != 0 ? ":" : "", p->port);
	if ((rc = resolve_host(x, p->host, name, c)) != 0)
		return rc;
	*c = contact_with_id(c, (uint8_t)p->id, (uint16_t)port);
	return 0;
}

/* Is c one of this host's addresses (loopback counts)? Unknown (lookup failed): yes. */
static bool
resolve_is_local(struct resolve_ctx *x, const struct contact *c)
{
	struct contact	local[RESOLVE_MAX_ADDRS];
	int		n, i;

	if (resolve_is_loopback(c) || (n = x->env->local(x->env->arg, local,
	    RESOLVE_MAX_ADDRS)) < 0)
		return true;
	for (i = 0; i < n; i++)
		if (contact_same_host(&local[i], c))
			return true;
	return false;
}

/* Refuse peers that cannot work with us: our own endpoint, a loopback self for a remote. */
static int
resolve_check_peer(struct resolve_ctx *x, const struct resolved *res,
    const struct contact *c, const char *what)
{
	char	t[CONTACT_TEXT_MAX], s[CONTACT_TEXT_MAX];

	if (contact_is_none(c))
		return 0;
	contact_text(c, t, sizeof t);
	contact_endpoint_text(&res->self, s, sizeof s);
	if (contact_same_host(c, &res->self) && c->port == res->self.port)
		return resolve_fail(x, RESOLVE_BAD_INPUT,
		    "%s %s is at this peer's own address and port %s", what, t, s);
	if (resolve_is_loopback(&res->self) && !resolve_is_local(x, c))
		return resolve_fail(x, RESOLVE_BAD_INPUT,
		    "%s %s is on another host, but this peer would tell it to answer at the "
		    "loopback address of %s; use --bind or --advertise with an address it can "
		    "reach", what, t, s);
	return 0;
}

/* Resolve cfg with env's lookups: 0, or RESOLVE_BAD_INPUT / RESOLVE_SYSTEM with err set. */
int
resolve_config_env(const struct config *cfg, const struct resolve_env *env,
    struct resolved *res, char *err, size_t errlen)
{
	struct resolve_ctx	x = { cfg, env, 0, err, errlen };
	char			t[CONTACT_TEXT_MAX];
	int			rc;

	memset(res, 0, sizeof *res);
	x.family = resolve_first_literal(cfg);
	if ((rc = resolve_self(&x, res)) != 0 ||
	    (rc = resolve_peer(&x, &cfg->succ1, "successor", &res->self, &res->succ1)) != 0 ||
	    (rc = resolve_peer(&x, &cfg->succ2, "successor", &res->self, &res->succ2)) != 0 ||
	    (rc = resolve_peer(&x, &cfg->known, "known peer", &res->self, &res->known)) != 0 ||
	    (rc = resolve_check_peer(&x, res, &res->succ1, "successor")) != 0 ||
	    (rc = resolve_check_peer(&x, res, &res->succ2, "successor")) != 0 ||
	    (rc = resolve_check_peer(&x, res, &res->known, "known peer")) != 0)
		return rc;
	if (!contact_is_none(&res->succ1) && contact_same_host(&res->succ1, &res->succ2) &&
	    res->succ1.port == res->succ2.port)
		return resolve_fail(&x, RESOLVE_BAD_INPUT,
		    "successors %d and %d are both at %s", res->succ1.id, res->succ2.id,
		    contact_endpoint_text(&res->succ1, t, sizeof t));
	return 0;
}

/* getaddrinfo as a resolve_env lookup. */
static int
resolve_gai(void *arg, const char *name, int family, struct contact *out, size_t max,
    int *gai)
{
	struct addrinfo	 hints, *ai, *r;
	size_t		 n = 0;

	(void)arg;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family == CONTACT_V4 ? AF_INET : family == CONTACT_V6 ? AF_INET6 :
	    AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((*gai = getaddrinfo(name, NULL, &hints, &ai)) != 0)
		return -1;
	for (r = ai; r != NULL && n < max; r = r->ai_next) {
		if (r->ai_family == AF_INET)
			out[n++] = contact_v4(0, (const uint8_t *)
			    &((const struct sockaddr_in *)(void *)r->ai_addr)->sin_addr, 0);
		else if (r->ai_family == AF_INET6)
			out[n++] = contact_v6(0, (const uint8_t *)
			    &((const struct sockaddr_in6 *)(void *)r->ai_addr)->sin6_addr, 0);
	}
	freeaddrinfo(ai);
	return (int)n;
}

/* getifaddrs as a resolve_env list of local addresses. */
static int
resolve_ifaddrs(void *arg, struct contact *out, size_t max)
{
	struct ifaddrs	*ifa, *i;
	size_t		 n = 0;

	(void)arg;
	if (getifaddrs(&ifa) != 0)
		return -1;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			out[n++] = contact_v4(0, (const uint8_t *)
			    &((const struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 0);
		else if (i->ifa_addr->sa_family == AF_INET6)
			out[n++] = contact_v6(0, (const uint8_t *)
			    &((const struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 0);
	}
	freeifaddrs(ifa);
	return (int)n;
}

/* Resolve cfg with the system's resolver and interfaces. */
int
resolve_config(const struct config *cfg, struct resolved *res, char *err, size_t errlen)
{
	static const struct resolve_env	env = { resolve_gai, resolve_ifaddrs, NULL };

	return resolve_config_env(cfg, &env, res, err, errlen);
}
