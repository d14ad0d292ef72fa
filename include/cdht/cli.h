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

/* Everything main needs to start a peer. Plain data; owned by main. */
struct config {
	enum cli_form	form;
	int		id;
	int		succ1, succ2;	/* classic and init forms */
	int		known;		/* join form */
	uint32_t	ping_interval_ms;
	uint32_t	ping_timeout_ms;
	unsigned	loss_threshold;
	unsigned	base_port;
	char		bind_addr[64];
	const char	*dir;		/* points into argv, or "." */
	bool		transfer_tcp;
	unsigned	mss;		/* bytes */
	double		drop;		/* probability */
	uint32_t	timeout_ms;
	enum dialect	dialect;
	bool		quiet_pings;
	bool		seed_set;
	uint64_t	seed;
	bool		help;		/* print usage, exit 0 */
	bool		version;	/* print version, exit 0 */
};

/* Parse argv into cfg: 0, or -1 with one sentence in err (no "cdht: " prefix). */
int		 cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
/* The usage text, several lines, ending in '\n'. */
const char	*cli_usage(void);

#endif
