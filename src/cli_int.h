/* What src/cli.c and src/cli_peer.c share; not part of the core's interface. */
#ifndef CDHT_CLI_INT_H
#define CDHT_CLI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/cli.h"

#define CLI_MAX_ID		255	/* largest peer id */

/* Write one sentence into err (if there is room for any), and return -1. */
int	cli_fail(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Parse a non-empty string of decimal digits no greater than max into *out: 0 or -1. */
int	cli_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Parse a peer id (0..255, decimal) named `what` into *out: 0, or -1 with err set. */
int	cli_parse_id(const char *s, const char *what, int *out, char *err, size_t errlen);
/*
 * Parse an address option (`what`: "bind address"): IPv4, IPv6 bare or in brackets, or a host
 * name, into out without brackets; a wildcard only if allowed. 0, or -1 with err set.
 */
int	cli_parse_host(const char *s, const char *what, bool wildcard_ok, char *out,
	    size_t outlen, char *err, size_t errlen);
/* Parse another peer, `ID`, `ID@HOST` or `ID@HOST:PORT`, into out: 0, or -1 with err set. */
int	cli_parse_peer(const char *s, const char *what, struct cli_peer *out, char *err,
	    size_t errlen);

#endif
