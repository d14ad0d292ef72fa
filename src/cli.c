/* The command line (SPEC §1): argv to a validated struct config, with no I/O. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdht/cli.h"
#include "cdht/wire.h"
#include "cli_int.h"

#define CLI_MAX_SECONDS		86400.0	/* seconds; longest interval or timeout accepted */
#define CLI_MAX_THRESHOLD	100	/* consecutive misses */
#define CLI_MAX_BASE_PORT	(65535 - CLI_MAX_ID)	/* port number; base + 255 fits */
#define CLI_MAX_POSITIONAL	8	/* arguments kept; more are only counted */
#define CLI_PING_TIMEOUT_CAP	1000	/* ms; the default ping timeout at most */

/* Codes of the long-only options, above every short option character. */
enum cli_opt {
	OPT_PING_INTERVAL = 256,
	OPT_PING_TIMEOUT,
	OPT_LOSS_THRESHOLD,
	OPT_BASE_PORT,
	OPT_BIND,
	OPT_DIR,
	OPT_TRANSFER,
	OPT_MSS,
	OPT_DROP,
	OPT_TIMEOUT,
	OPT_DIALECT,
	OPT_QUIET_PINGS,
	OPT_SEED,
	OPT_VERSION,
	OPT_ADVERTISE,
	OPT_WINDOW,
	OPT_REPLICAS
};

static const struct option cli_longopts[] = {
	{ "ping-interval",	required_argument,	NULL,	OPT_PING_INTERVAL },
	{ "ping-timeout",	required_argument,	NULL,	OPT_PING_TIMEOUT },
	{ "loss-threshold",	required_argument,	NULL,	OPT_LOSS_THRESHOLD },
	{ "base-port",		required_argument,	NULL,	OPT_BASE_PORT },
	{ "bind",		required_argument,	NULL,	OPT_BIND },
	{ "advertise",		required_argument,	NULL,	OPT_ADVERTISE },
	{ "window",		required_argument,	NULL,	OPT_WINDOW },
	{ "replicas",		required_argument,	NULL,	OPT_REPLICAS },
	{ "dir",		required_argument,	NULL,	OPT_DIR },
	{ "transfer",		required_argument,	NULL,	OPT_TRANSFER },
	{ "mss",		required_argument,	NULL,	OPT_MSS },
	{ "drop",		required_argument,	NULL,	OPT_DROP },
	{ "timeout",		required_argument,	NULL,	OPT_TIMEOUT },
	{ "dialect",		required_argument,	NULL,	OPT_DIALECT },
	{ "quiet-pings",	no_argument,		NULL,	OPT_QUIET_PINGS },
	{ "seed",		required_argument,	NULL,	OPT_SEED },
	{ "help",		no_argument,		NULL,	'h' },
	{ "version",		no_argument,		NULL,	OPT_VERSION },
	{ NULL,			0,			NULL,	0 }
};

/*
 * '-': hand back positionals in order as code 1, so the result does not depend on
 * POSIXLY_CORRECT and argv is left unpermuted; ':': report a missing value as ':'.
 */
static const char cli_optstring[] = "-:h";

/* Options given on the command line, whose absence lets a form choose the value. */
struct cli_seen {
	bool	interval, timeout, transfer, dialect;
};

/* The positional arguments: the first CLI_MAX_POSITIONAL kept, all counted. */
struct cli_args {
	char	*pos[CLI_MAX_POSITIONAL];
	int	 n;
};

static const char cli_usage_text[] =
    "usage: cdht [options] <id> <succ1> <succ2> [<mss> <drop>]\n"
    "usage: cdht [options] init <id> <succ1> <succ2> <ping-interval>\n"
    "usage: cdht [options] join <id> <known-peer> <ping-interval>\n"
    "succ1, succ2 and known-peer: ID, ID@HOST or ID@HOST:PORT (HOST: IPv4, [IPv6],\n"
    "  a name; PORT: base-port + ID); a plain ID is on our own address\n"
    "options [default]:\n"
    "  --ping-interval S     seconds between ping rounds [5, or the positional]\n"
    "  --ping-timeout S      seconds before a ping is missed [min(1, interval)]\n"
    "  --loss-threshold K    missed pings before a successor is dead [3]\n"
    "  --base-port P         peer i uses UDP and TCP port P+i [50000]\n"
    "  --bind ADDR           IPv4, IPv6, name, or 0.0.0.0 / :: to bind [127.0.0.1]\n"
    "  --advertise ADDR      address other peers are told [the bind address]\n"
    "  --dir DIR             files served and stored, copies, logs [.]\n"
    "  --transfer udp|tcp    how files move [classic form: udp, else tcp]\n"
    "  --mss N, --drop P     UDP segment bytes, drop probability [400, 0]\n"
    "  --timeout S|auto      retransmission timeout, or estimated from RTT [1]\n"
    "  --window N            data segments in flight, 1-256 [1]\n"
    "  --replicas N          copies of each stored file, 1-3 [3]\n"
    "  --dialect classic|p2p console wording [classic form: classic, else p2p]\n"
    "  --quiet-pings         do not print the per-ping lines\n"
    "  --seed N              seed of the drop generator [from the clock]\n"
    "  -h, --help            print this help and exit\n"
    "  --version             print the version and exit\n"
    "commands, one a line on standard input once the peer runs:\n"
    "  request F             fetch file F (four digits) from the ring\n"
    "  store F               insert file F from the peer's directory into the ring\n"
    "  status                this peer's neighbours, files and transfers\n"
    "  status --json         the same as one JSON object\n"
    "  quit                  leave the ring gracefully and exit\n"
    "  help                  list the commands\n";

/* Write one sentence into err (if there is room for any), and return -1. */
int __attribute__((format(printf, 3, 4)))
cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Parse a non-empty string of decimal digits no greater than max into *out: 0 or -1. */
int
cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	unsigned	d;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * Parse a plain decimal number (digits, optional point and exponent) into *out: 0 or -1.
 * Rejects what strtod would otherwise take: blanks, signs, hex, "inf", "nan", trailers.
 */
static int
cli_parse_double(const char *s, double *out)
{
	char	*end;
	double	 v;

	if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	if (strpbrk(s, "xX") != NULL)
		return -1;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Parse a peer id (0..255, decimal) named `what` into *out: 0, or -1 with err set. */
int
cli_parse_id(const char *s, const char *what, int *out, char *err, size_t errlen)
{
	uint64_t	v;

	if (cli_parse_uint(s, CLI_MAX_ID, &v) != 0)
		return cli_fail(err, errlen,
		    "%s '%s' is not an integer from 0 to %d", what, s, CLI_MAX_ID);
	*out = (int)v;
	return 0;
}

/* Parse seconds (0 < S <= 86400) named `what` into ms, at least 1: 0, or -1 with err set. */
static int
cli_parse_ms(const char *s, const char *what, uint32_t *out, char *err, size_t errlen)
{
	double	v;
	uint32_t ms;

	if (cli_parse_double(s, &v) != 0 || !(v > 0.0) || v > CLI_MAX_SECONDS)
		return cli_fail(err, errlen,
		    "%s must be a number of seconds above 0 and at most %.0f, not '%s'",
		    what, CLI_MAX_SECONDS, s);
	/* Round to the nearest ms; v <= 86400 s keeps this well inside uint32_t. */
	ms = (uint32_t)(v * 1000.0 + 0.5);
	*out = ms < 1 ? 1 : ms;
	return 0;
}

/* Parse a drop probability in [0, 1] into *out: 0, or -1 with err set. */
static int
cli_parse_drop(const char *s, double *out, char *err, size_t errlen)
{
	double	v;

	if (cli_parse_double(s, &v) != 0 || v < 0.0 || v > 1.0)
		return cli_fail(err, errlen,
		    "drop must be a probability in [0, 1], not '%s'", s);
	*out = v;
	return 0;
}

/* Parse an integer from 1 to max named `what` into *out: 0, or -1 with err set. */
static int
cli_parse_count(const char *s, const char *what, unsigned max, unsigned *out, char *err,
    size_t errlen)
{
	uint64_t	v;

	if (cli_parse_uint(s, max, &v) != 0 || v < 1)
		return cli_fail(err, errlen, "%s must be an integer from 1 to %u, not '%s'",
		    what, max, s);
	*out = (unsigned)v;
	return 0;
}

/* Which of option what's two words s is: 0 for the first, 1 for the second, or -1 with err set. */
static int
cli_parse_choice(const char *s, const char *what, const char *first, const char *second,
    char *err, size_t errlen)
{
	if (strcmp(s, first) == 0)
		return 0;
	if (strcmp(s, second) == 0)
		return 1;
	return cli_fail(err, errlen, "%s must be '%s' or '%s', not '%s'", what, first, second, s);
}

/* The long name of option code val, for messages ("--mss"). */
static void
cli_opt_name(int val, char *buf, size_t len)
{
	const struct option	*o;

	for (o = cli_longopts; o->name != NULL; o++) {
		if (o->val == val) {
			snprintf(buf, len, "--%s", o->name);
			return;
		}
	}
	snprintf(buf, len, "-%c", val);
}

/* Apply one option that takes a word, or none, to cfg: 0, or -1 with err set. */
static int
cli_apply_word(int code, const char *arg, struct cli_seen *seen, struct config *cfg, char *err,
    size_t errlen)
{
	uint64_t	v;
	int		k;

	switch (code) {
	case OPT_DIR:
		if (*arg == '\0')
			return cli_fail(err, errlen, "dir must not be empty");
		cfg->dir = arg;
		return 0;
	case OPT_TRANSFER:
		if ((k = cli_parse_choice(arg, "transfer", "udp", "tcp", err, errlen)) < 0)
			return -1;
		cfg->transfer_tcp = k == 1;
		seen->transfer = true;
		return 0;
	case OPT_DIALECT:
		if ((k = cli_parse_choice(arg, "dialect", "classic", "p2p", err, errlen)) < 0)
			return -1;
		cfg->dialect = k == 1 ? DIALECT_P2P : DIALECT_CLASSIC;
		seen->dialect = true;
		return 0;
	case OPT_SEED:
		if (cli_parse_uint(arg, UINT64_MAX, &v) != 0)
			return cli_fail(err, errlen,
			    "seed must be an unsigned 64-bit integer, not '%s'", arg);
		cfg->seed = v;
		cfg->seed_set = true;
		return 0;
	case OPT_QUIET_PINGS:
		cfg->quiet_pings = true;
		return 0;
	case 'h':
		cfg->help = true;
		return 0;
	case OPT_VERSION:
		cfg->version = true;
		return 0;
	default:
		return cli_fail(err, errlen, "unhandled option code %d", code);
	}
}

/* Apply one option and its value to cfg: 0, or -1 with err set. */
static int
cli_apply_option(int code, const char *arg, struct cli_seen *seen, struct config *cfg,
    char *err, size_t errlen)
{
	switch (code) {
	case OPT_PING_INTERVAL:
		return cli_parse_ms(arg, "ping interval", &cfg->ping_interval_ms, err,
		    errlen);
	case OPT_PING_TIMEOUT:
		return cli_parse_ms(arg, "ping timeout", &cfg->ping_timeout_ms, err,
		    errlen);
	case OPT_TIMEOUT:
		cfg->timeout_auto = strcmp(arg, "auto") == 0;
		if (cfg->timeout_auto)
			return 0;
		return cli_parse_ms(arg, "timeout", &cfg->timeout_ms, err, errlen);
	case OPT_WINDOW:
		return cli_parse_count(arg, "window", CLI_MAX_WINDOW, &cfg->window, err,
		    errlen);
	case OPT_REPLICAS:
		return cli_parse_count(arg, "replicas", CLI_MAX_REPLICAS, &cfg->replicas, err,
		    errlen);
	case OPT_LOSS_THRESHOLD:
		return cli_parse_count(arg, "loss threshold", CLI_MAX_THRESHOLD,
		    &cfg->loss_threshold, err, errlen);
	case OPT_BASE_PORT:
		return cli_parse_count(arg, "base port", CLI_MAX_BASE_PORT, &cfg->base_port,
		    err, errlen);
	case OPT_BIND:
		return cli_parse_host(arg, "bind address", true, cfg->bind_addr,
		    sizeof cfg->bind_addr, err, errlen);
	case OPT_ADVERTISE:
		return cli_parse_host(arg, "advertise address", false, cfg->advertise,
		    sizeof cfg->advertise, err, errlen);
	case OPT_MSS:
		return cli_parse_count(arg, "mss", WIRE_MAX_MSS, &cfg->mss, err, errlen);
	case OPT_DROP:
		return cli_parse_drop(arg, &cfg->drop, err, errlen);
	default:
		return cli_apply_word(code, arg, seen, cfg, err, errlen);
	}
}

/* Say why getopt rejected an option (code '?' or ':'): always -1. */
static int
cli_option_error(int code, int opt, const char *elem, char *err, size_t errlen)
{
	char	name[64];
	size_t	n;

	if (code == ':') {
		cli_opt_name(opt, name, sizeof name);
		return cli_fail(err, errlen, "option '%s' needs a value", name);
	}
	if (opt == 0) {
		/* An unknown or ambiguous long option: name it without any "=value". */
		n = elem != NULL ? strcspn(elem, "=") : 0;
		return cli_fail(err, errlen, "unknown option '%.*s'", (int)n,
		    elem != NULL ? elem : "");
	}
	if (opt >= OPT_PING_INTERVAL || opt == 'h') {
		/* A known option rejected: only a long one given "=value" gets here. */
		cli_opt_name(opt, name, sizeof name);
		return cli_fail(err, errlen, "option '%s' takes no value", name);
	}
	return cli_fail(err, errlen, "unknown option '-%c'", opt);
}

/* Fill cfg with the defaults every form shares. */
static void
cli_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->form = CLI_CLASSIC;
	cfg->id = cfg->succ1.id = cfg->succ2.id = cfg->known.id = -1;
	cfg->ping_interval_ms = CLI_DEFAULT_INTERVAL_MS;
	cfg->loss_threshold = CLI_DEFAULT_THRESHOLD;
	cfg->base_port = CLI_DEFAULT_BASE_PORT;
	snprintf(cfg->bind_addr, sizeof cfg->bind_addr, "%s", "127.0.0.1");
	cfg->dir = ".";
	cfg->transfer_tcp = false;
	cfg->mss = CLI_DEFAULT_MSS;
	cfg->drop = 0.0;
	cfg->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
	cfg->window = CLI_DEFAULT_WINDOW;
	cfg->replicas = CLI_DEFAULT_REPLICAS;
	cfg->dialect = DIALECT_CLASSIC;
}

/* <id> <succ1> <succ2> at pos, three different peers: 0, or -1 with err set. */
static int
cli_parse_trio(char **pos, struct config *cfg, char *err, size_t errlen)
{
	if (cli_parse_id(pos[0], "peer id", &cfg->id, err, errlen) != 0 ||
	    cli_parse_peer(pos[1], "successor", &cfg->succ1, err, errlen) != 0 ||
	    cli_parse_peer(pos[2], "successor", &cfg->succ2, err, errlen) != 0)
		return -1;
	if (cfg->id == cfg->succ1.id || cfg->id == cfg->succ2.id)
		return cli_fail(err, errlen, "peer %d cannot be its own successor",
		    cfg->id);
	if (cfg->succ1.id == cfg->succ2.id)
		return cli_fail(err, errlen,
		    "the two successors must differ (both %d)", cfg->succ1.id);
	return 0;
}

/* The classic form: <id> <succ1> <succ2> [<mss> <drop>]. */
static int
cli_parse_classic(int n, char **pos, struct config *cfg, char *err, size_t errlen)
{
	if (n != 3 && n != 5)
		return cli_fail(err, errlen,
		    "expected <id> <succ1> <succ2> [<mss> <drop>], got %d argument%s",
		    n, n == 1 ? "" : "s");
	if (cli_parse_trio(pos, cfg, err, errlen) != 0)
		return -1;
	/* Positional mss and drop win over --mss and --drop: they are the form's own. */
	if (n == 5 &&
	    (cli_parse_count(pos[3], "mss", WIRE_MAX_MSS, &cfg->mss, err, errlen) != 0 ||
	    cli_parse_drop(pos[4], &cfg->drop, err, errlen) != 0))
		return -1;
	return 0;
}

/* Form pos[0] ("init", "join") takes the arguments of usage after its word: 0, or -1 with err. */
static int
cli_form_count(int n, char **pos, const char *usage, int want, char *err, size_t errlen)
{
	if (n - 1 == want)
		return 0;
	return cli_fail(err, errlen, "expected %s %s, got %d argument%s after '%s'", pos[0],
	    usage, n - 1, n - 1 == 1 ? "" : "s", pos[0]);
}

/* The positional ping interval of the init and join forms; options override it. */
static int
cli_form_interval(const char *s, bool interval_set, struct config *cfg, char *err,
    size_t errlen)
{
	uint32_t	ms;

	if (cli_parse_ms(s, "ping interval", &ms, err, errlen) != 0)
		return -1;
	if (!interval_set)
		cfg->ping_interval_ms = ms;
	return 0;
}

/* The init form: init <id> <succ1> <succ2> <ping-interval> (pos[0] is "init"). */
static int
cli_parse_init(int n, char **pos, bool interval_set, struct config *cfg, char *err,
    size_t errlen)
{
	if (cli_form_count(n, pos, "<id> <succ1> <succ2> <ping-interval>", 4, err, errlen) != 0 ||
	    cli_parse_trio(pos + 1, cfg, err, errlen) != 0)
		return -1;
	/* Options override the form's values, the positional interval included. */
	return cli_form_interval(pos[4], interval_set, cfg, err, errlen);
}

/* The join form: join <id> <known-peer> <ping-interval> (pos[0] is "join"). */
static int
cli_parse_join(int n, char **pos, bool interval_set, struct config *cfg, char *err,
    size_t errlen)
{
	if (cli_form_count(n, pos, "<id> <known-peer> <ping-interval>", 3, err, errlen) != 0 ||
	    cli_parse_id(pos[1], "peer id", &cfg->id, err, errlen) != 0 ||
	    cli_parse_peer(pos[2], "known peer", &cfg->known, err, errlen) != 0)
		return -1;
	if (cfg->id == cfg->known.id)
		return cli_fail(err, errlen, "peer %d cannot join through itself", cfg->id);
	return cli_form_interval(pos[3], interval_set, cfg, err, errlen);
}

/* Keep one positional argument (count it if there is no room). */
static void
cli_keep(struct cli_args *args, char *arg)
{
	if (args->n < CLI_MAX_POSITIONAL)
		args->pos[args->n] = arg;
	args->n++;
}

/*
 * Read every option of argv into cfg and every positional into args: 0, or -1 with err set by
 * the first bad option (the others are still read, for --help and --version).
 */
static int
cli_read_options(int argc, char **argv, struct cli_args *args, struct cli_seen *seen,
    struct config *cfg, char *err, size_t errlen)
{
	int	 code, rc = 0, i;
	char	*elem;

	/* optind = 0 makes GNU getopt start afresh: tests parse many times a process. */
	optind = 0;
	opterr = 0;
	while (argc > 0 && (code = getopt_long(argc, argv, cli_optstring, cli_longopts,
	    NULL)) != -1) {
		if (code == 1) {
			cli_keep(args, optarg);
			continue;
		}
		if (code == '?' || code == ':') {
			elem = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
			if (rc == 0)
				rc = cli_option_error(code, optopt, elem, err, errlen);
			continue;
		}
		if (code == OPT_PING_INTERVAL)
			seen->interval = true;
		if (code == OPT_PING_TIMEOUT)
			seen->timeout = true;
		if (cli_apply_option(code, optarg, seen, cfg, rc == 0 ? err : NULL, errlen) != 0 &&
		    rc == 0)
			rc = -1;
	}
	/* After "--" the rest are positionals. */
	for (i = optind; argc > 0 && i < argc; i++)
		cli_keep(args, argv[i]);
	return rc;
}

/*
 * Parse argv into cfg: 0, or -1 with one sentence in err. Every option is read before
 * anything is judged final, so --help or --version anywhere wins over any error.
 */
int
cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	struct cli_args	 args = { .n = 0 };
	struct cli_seen	 seen = { false, false, false, false };
	char		**pos = args.pos;
	int		 rc;

	cli_defaults(cfg);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = cli_read_options(argc, argv, &args, &seen, cfg, err, errlen);
	if (cfg->help || cfg->version) {
		if (err != NULL && errlen > 0)
			err[0] = '\0';
		return 0;
	}
	if (rc != 0)
		return rc;
	if (args.n == 0)
		return cli_fail(err, errlen, "missing arguments");

	if (strcmp(pos[0], "init") == 0 || strcmp(pos[0], "join") == 0) {
		cfg->form = pos[0][0] == 'i' ? CLI_INIT : CLI_JOIN;
		if (!seen.transfer)
			cfg->transfer_tcp = true;
		if (!seen.dialect)
			cfg->dialect = DIALECT_P2P;
		rc = cfg->form == CLI_INIT ?
		    cli_parse_init(args.n, pos, seen.interval, cfg, err, errlen) :
		    cli_parse_join(args.n, pos, seen.interval, cfg, err, errlen);
	} else
		rc = cli_parse_classic(args.n, pos, cfg, err, errlen);
	if (rc != 0)
		return rc;

	if (!seen.timeout)
		cfg->ping_timeout_ms = cfg->ping_interval_ms < CLI_PING_TIMEOUT_CAP ?
		    cfg->ping_interval_ms : CLI_PING_TIMEOUT_CAP;
	return 0;
}

/* The usage text: one "usage:" line per form, then the options with their defaults. */
const char *
cli_usage(void)
{
	return cli_usage_text;
}
