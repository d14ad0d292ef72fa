/* The command line (SPEC §1): argv to a validated configuration, no I/O. */
#ifndef CDHT_CLI_H
#define CDHT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/console.h"

enum cli_form { CLI_CLASSIC, CLI_INIT, CLI_JOIN };

#define CLI_DEFAULT_BASE_PORT	50000
#define CLI_DEFAULT_MSS		400	/* bytes */
#define CLI_DEFAULT_INTERVAL_MS	5000	/* classic form's ping interval */
#define CLI_DEFAULT_THRESHOLD	3	/* consecutive misses */
#define CLI_DEFAULT_TIMEOUT_MS	1000	/* stop-and-wait retransmission */
#define CLI_DEFAULT_WINDOW	1	/* segments in flight (stop-and-wait) */
#define CLI_MAX_WINDOW		256	/* segments in flight */
#define CLI_DEFAULT_REPLICAS	3	/* copies of a stored file */
#define CLI_MAX_REPLICAS	3	/* copies of a stored file */
#define CLI_HOST_MAX		256	/* bytes of a host name or address, with its NUL */

/*
 * Another peer as named on the command line: `ID`, `ID@HOST` or `ID@HOST:PORT`. Syntax only;
 * resolve_config turns it into a contact. host holds an IPv6 literal without its brackets.
 */
struct cli_peer {
	int		id;		/* -1: not given */
	char		host[CLI_HOST_MAX];	/* "" unless has_host */
	unsigned	port;		/* 0: base-port + id */
	bool		has_host;
};

/* Everything main needs to start a peer. Plain data; owned by main. */
struct config {
	enum cli_form	form;
	int		id;
	struct cli_peer	succ1, succ2;	/* classic and init forms */
	struct cli_peer	known;		/* join form */
	uint32_t	ping_interval_ms;
	uint32_t	ping_timeout_ms;
	unsigned	loss_threshold;
	unsigned	base_port;
	char		bind_addr[CLI_HOST_MAX];	/* IPv4, IPv6 (no brackets), name, wildcard */
	char		advertise[CLI_HOST_MAX];	/* "" : the bind address */
	const char	*dir;		/* points into argv, or "." */
	bool		transfer_tcp;
	unsigned	mss;		/* bytes */
	double		drop;		/* probability */
	uint32_t	timeout_ms;
	bool		timeout_auto;	/* --timeout auto: estimated from the round trip */
	unsigned	window;		/* segments in flight, 1..CLI_MAX_WINDOW */
	unsigned	replicas;	/* copies of a stored file, 1..CLI_MAX_REPLICAS */
	enum dialect	dialect;
	bool		quiet_pings;
	bool		seed_set;
	uint64_t	seed;
	bool		help;		/* print usage, exit 0 */
	bool		version;	/* print version, exit 0 */
};

/* Parse argv into cfg: 0, or -1 with one sentence in err (no "cdht: " prefix). */
int		 cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
/* Is s a wildcard address ("0.0.0.0", "::" or "[::]")? */
bool		 cli_is_wildcard(const char *s);
/* The usage text, several lines, ending in '\n'. */
const char	*cli_usage(void);

#endif
