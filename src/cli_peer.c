/* The command line's addresses: contacts `ID`, `ID@HOST`, `ID@HOST:PORT` and address options. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cdht/cli.h"
#include "cli_int.h"

#define CLI_NAME_MAX		253	/* bytes of a host name (RFC 1035), without a final dot */
#define CLI_LABEL_MAX		63	/* bytes of one label of a host name */
#define CLI_MAX_PORT		65535	/* port number */

/*
 * Is s a host name (RFC 1123 labels of letters, digits and inner hyphens, an optional final
 * dot) that is not a number in disguise ("1.2.3", "0x7f000001", which resolvers read as IPv4)?
 */
static bool
cli_is_hostname(const char *s)
{
	struct in_addr	 a;
	size_t		 n = strlen(s), lab = 0, i;
	bool		 digits = true;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > CLI_NAME_MAX || inet_aton(s, &a) != 0)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lab == 0 || lab > CLI_LABEL_MAX || s[i - 1] == '-')
				return false;
			if (i < n)
				digits = true;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
		if (lab == 0 && s[i] == '-')
			return false;
		if (!isdigit((unsigned char)s[i]))
			digits = false;
		lab++;
	}
	/* A last label of digits only is an address, never a top-level domain. */
	return !digits;
}

/* Is s an IPv4 literal (dotted quad)? */
static bool
cli_is_v4(const char *s)
{
	struct in_addr	a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* Is s an IPv6 literal (no brackets, no zone)? */
static bool
cli_is_v6(const char *s)
{
	struct in6_addr	a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

/* Is s a wildcard address ("0.0.0.0", "::" or "[::]")? */
bool
cli_is_wildcard(const char *s)
{
	static const uint8_t	zero[16];
	struct in_addr		a4;
	struct in6_addr		a6;
	char			buf[CLI_HOST_MAX];
	size_t			n = strlen(s);

	if (n >= 2 && n < sizeof buf && s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET, s, &a4) == 1)
		return a4.s_addr == 0;
	return inet_pton(AF_INET6, s, &a6) == 1 && memcmp(&a6, zero, sizeof zero) == 0;
}

/*
 * Parse an address option (`what`: "bind address"): IPv4, IPv6 bare or in brackets, or a host
 * name, into out without brackets; a wildcard only if allowed. 0, or -1 with err set.
 */
int
cli_parse_host(const char *s, const char *what, bool wildcard_ok, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char	buf[CLI_HOST_MAX];
	size_t	n = strlen(s);

	if (n >= sizeof buf)
		return cli_fail(err, errlen, "%s is longer than %d bytes", what,
		    CLI_HOST_MAX - 1);
	snprintf(buf, sizeof buf, "%s", s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		if (!cli_is_v6(buf))
			return cli_fail(err, errlen, "%s '%s' is not an IPv6 address in brackets",
			    what, s);
	} else if (!cli_is_v4(buf) && !cli_is_v6(buf) && !cli_is_hostname(buf))
		return cli_fail(err, errlen,
		    "%s '%s' is not an IPv4 address, an IPv6 address or a host name", what, s);
	if (!wildcard_ok && cli_is_wildcard(buf))
		return cli_fail(err, errlen, "%s '%s' cannot be a wildcard address", what, s);
	snprintf(out, outlen, "%s", buf);
	return 0;
}

/* Parse the ":PORT" tail of a contact (port: the text after ':'): 0, or -1 with err set. */
static int
cli_parse_port(const char *port, const char *what, const char *s, unsigned *out, char *err,
    size_t errlen)
{
	uint64_t	v;

	if (cli_parse_uint(port, CLI_MAX_PORT, &v) != 0 || v < 1)
		return cli_fail(err, errlen,
		    "%s '%s': port must be an integer from 1 to %d, not '%s'", what, s,
		    CLI_MAX_PORT, port);
	*out = (unsigned)v;
	return 0;
}

/* Split the HOST[:PORT] after '@' of contact s into out: 0, or -1 with err set. */
static int
cli_parse_where(const char *rest, const char *what, const char *s, struct cli_peer *out,
    char *err, size_t errlen)
{
	const char	*end, *port = NULL;
	bool		 v6 = *rest == '[';
	size_t		 n;

	if (*rest == '\0')
		return cli_fail(err, errlen, "%s '%s' has no host after '@'", what, s);
	if (v6) {
		if ((end = strchr(rest, ']')) == NULL)
			return cli_fail(err, errlen, "%s '%s' lacks the ']' closing its address",
			    what, s);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return cli_fail(err, errlen, "%s '%s' has '%s' after ']'", what, s,
			    end + 1);
		rest++;
	} else {
		end = strchr(rest, ':');
		if (end != NULL && strchr(end + 1, ':') != NULL)
			return cli_fail(err, errlen,
			    "%s '%s': an IPv6 address goes in brackets, as in 7@[fd00::7]:50007",
			    what, s);
		if (end != NULL)
			port = end + 1;
		else
			end = rest + strlen(rest);
	}
	n = (size_t)(end - rest);
	if (n == 0)
		return cli_fail(err, errlen, "%s '%s' has no host", what, s);
	if (n >= sizeof out->host)
		return cli_fail(err, errlen, "%s '%s' has a host longer than %d bytes", what, s,
		    CLI_HOST_MAX - 1);
	memcpy(out->host, rest, n);
	out->host[n] = '\0';
	if (v6 ? !cli_is_v6(out->host) : !cli_is_v4(out->host) && !cli_is_hostname(out->host))
		return cli_fail(err, errlen, "%s '%s': '%s' is not %s", what, s, out->host,
		    v6 ? "an IPv6 address" : "an IPv4 address or a host name");
	if (cli_is_wildcard(out->host))
		return cli_fail(err, errlen, "%s '%s' names a wildcard address", what, s);
	out->has_host = true;
	return port != NULL ? cli_parse_port(port, what, s, &out->port, err, errlen) : 0;
}

/* Parse another peer, `ID`, `ID@HOST` or `ID@HOST:PORT`, into out: 0, or -1 with err set. */
int
cli_parse_peer(const char *s, const char *what, struct cli_peer *out, char *err,
    size_t errlen)
{
	const char	*at = strchr(s, '@');
	char		 id[8];
	size_t		 n;

	memset(out, 0, sizeof *out);
	out->id = -1;
	if (at == NULL)
		return cli_parse_id(s, what, &out->id, err, errlen);
	n = (size_t)(at - s);
	if (n >= sizeof id)
		return cli_fail(err, errlen, "%s '%s' does not start with an id from 0 to %d",
		    what, s, CLI_MAX_ID);
	memcpy(id, s, n);
	id[n] = '\0';
	if (cli_parse_id(id, what, &out->id, err, errlen) != 0)
		return -1;
	return cli_parse_where(at + 1, what, s, out, err, errlen);
}
