/* Unit tests of the command line (SPEC §1): forms, defaults, options, and every rejection. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/cli.h"
#include "cdht/wire.h"

#define TEST_MAX_ARGS	24	/* argv elements after the program name */
#define TEST_ARG_LEN	128	/* bytes per argv element */
#define TEST_ERR_LEN	256	/* bytes of the error buffer */
#define TEST_LINE_MAX	80	/* columns of one usage line */

/* Writable argv storage: getopt may permute it, and cfg->dir points into it. */
static char	 t_buf[TEST_MAX_ARGS + 1][TEST_ARG_LEN];
static char	*t_argv[TEST_MAX_ARGS + 2];
static char	 t_err[TEST_ERR_LEN];
static struct config t_cfg;

/* Parse "cdht" followed by the NULL-terminated args into t_cfg and t_err. */
static int
parse(const char *const *args)
{
	int	argc = 0;

	memset(t_err, 0, sizeof t_err);
	snprintf(t_buf[0], sizeof t_buf[0], "%s", "cdht");
	t_argv[argc++] = t_buf[0];
	for (; *args != NULL; args++) {
		ck_assert_int_le(argc, TEST_MAX_ARGS);
		ck_assert_uint_lt(strlen(*args), TEST_ARG_LEN);
		snprintf(t_buf[argc], sizeof t_buf[argc], "%s", *args);
		t_argv[argc] = t_buf[argc];
		argc++;
	}
	t_argv[argc] = NULL;
	return cli_parse(argc, t_argv, &t_cfg, t_err, sizeof t_err);
}

/* Parse args and insist it succeeds, showing the error otherwise. */
static void
parse_ok(const char *const *args)
{
	int	rc = parse(args);

	ck_assert_msg(rc == 0, "rejected: %s", t_err);
}

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define N_ROWS(t)	((int)(sizeof (t) / sizeof (t)[0]))

/* The ping interval and ping timeout parsed into t_cfg, in ms. */
static void
assert_ping_ms(uint32_t interval_ms, uint32_t timeout_ms)
{
	ck_assert_uint_eq(t_cfg.ping_interval_ms, interval_ms);
	ck_assert_uint_eq(t_cfg.ping_timeout_ms, timeout_ms);
}

/* The peer's id and its successors' ids parsed into t_cfg. */
static void
assert_ids(int id, int s1, int s2)
{
	ck_assert_int_eq(t_cfg.id, id);
	ck_assert_int_eq(t_cfg.succ1.id, s1);
	ck_assert_int_eq(t_cfg.succ2.id, s2);
}

/* The form parsed into t_cfg, with the dialect and transfer it implies (classic: UDP). */
static void
assert_form(enum cli_form form)
{
	bool	p2p = form != CLI_CLASSIC;

	ck_assert_int_eq(t_cfg.form, form);
	ck_assert_int_eq(t_cfg.dialect, p2p ? DIALECT_P2P : DIALECT_CLASSIC);
	ck_assert_int_eq(t_cfg.transfer_tcp, p2p);
}

/* The defaults every form shares, checked on t_cfg. */
static void
assert_common_defaults(void)
{
	ck_assert_uint_eq(t_cfg.loss_threshold, 3);
	ck_assert_uint_eq(t_cfg.base_port, 50000);
	ck_assert_str_eq(t_cfg.bind_addr, "127.0.0.1");
	ck_assert_str_eq(t_cfg.advertise, "");
	ck_assert_uint_eq(t_cfg.window, 1);
	ck_assert_uint_eq(t_cfg.replicas, 3);
	ck_assert(!t_cfg.timeout_auto);
	ck_assert_str_eq(t_cfg.dir, ".");
	ck_assert_uint_eq(t_cfg.timeout_ms, 1000);
	ck_assert(!t_cfg.quiet_pings);
	ck_assert(!t_cfg.seed_set);
	ck_assert(!t_cfg.help);
	ck_assert(!t_cfg.version);
}

/* The classic form with three arguments takes every classic default. */
CASE("forms", test_cli_classic_three_defaults)
{
	parse_ok(ARGS("2", "4", "5"));
	assert_form(CLI_CLASSIC);
	assert_ids(2, 4, 5);
	assert_ping_ms(5000, 1000);
	ck_assert_uint_eq(t_cfg.mss, 400);
	ck_assert(t_cfg.drop == 0.0);
	assert_common_defaults();
}
END_TEST

/* The classic form with five arguments takes mss and drop from them. */
CASE("forms", test_cli_classic_five_mss_drop)
{
	parse_ok(ARGS("1", "3", "4", "300", "0.25"));
	assert_form(CLI_CLASSIC);
	assert_ids(1, 3, 4);
	ck_assert_uint_eq(t_cfg.mss, 300);
	ck_assert(t_cfg.drop == 0.25);
	ck_assert_uint_eq(t_cfg.ping_interval_ms, 5000);
	assert_common_defaults();
}
END_TEST

/* The init form picks the p2p dialect, TCP transfer and the positional interval. */
CASE("forms", test_cli_init_defaults)
{
	parse_ok(ARGS("init", "2", "4", "5", "30"));
	assert_form(CLI_INIT);
	assert_ids(2, 4, 5);
	assert_ping_ms(30000, 1000);
	ck_assert_uint_eq(t_cfg.mss, 400);
	ck_assert(t_cfg.drop == 0.0);
	assert_common_defaults();
}
END_TEST

/* The join form sets the known peer, leaves the successors unset, and picks p2p defaults. */
CASE("forms", test_cli_join_defaults)
{
	parse_ok(ARGS("join", "15", "4", "30"));
	assert_form(CLI_JOIN);
	assert_ids(15, -1, -1);
	ck_assert_int_eq(t_cfg.known.id, 4);
	assert_ping_ms(30000, 1000);
	assert_common_defaults();
}
END_TEST

/* A fractional interval of 0.2 s is 200 ms, and the ping timeout follows it down. */
CASE("forms", test_cli_fractional_interval_sets_timeout)
{
	parse_ok(ARGS("init", "1", "3", "4", "0.2"));
	assert_ping_ms(200, 200);
	parse_ok(ARGS("join", "9", "1", "0.2"));
	assert_ping_ms(200, 200);
}
END_TEST

/* A long interval leaves the ping timeout at one second. */
CASE("forms", test_cli_long_interval_caps_timeout)
{
	parse_ok(ARGS("init", "1", "3", "4", "30"));
	assert_ping_ms(30000, 1000);
}
END_TEST

static const struct {
	const char	*secs;
	uint32_t	 ms;
} interval_rows[] = {
	{ "0.0001",	1 },		/* under a millisecond still counts as one */
	{ "0.0016",	2 },		/* rounded to the nearest */
	{ ".5",		500 },
	{ "1",		1000 },
	{ "1.",		1000 },
	{ "2.25",	2250 },
	{ "007",	7000 },
	{ "86400",	86400000 },
};

/* Seconds become whole milliseconds, rounded to the nearest, at least one. */
CASE_LOOP("forms", test_cli_interval_seconds_to_ms, N_ROWS(interval_rows))
{
	parse_ok(ARGS("init", "1", "3", "4", interval_rows[_i].secs));
	ck_assert_uint_eq(t_cfg.ping_interval_ms, interval_rows[_i].ms);
	parse_ok(ARGS("--ping-interval", interval_rows[_i].secs, "1", "3", "4"));
	ck_assert_uint_eq(t_cfg.ping_interval_ms, interval_rows[_i].ms);
}
END_TEST

/* Ids accept the ends of the range and leading zeros. */
CASE("forms", test_cli_id_bounds_and_leading_zeros)
{
	parse_ok(ARGS("0", "255", "1"));
	assert_ids(0, 255, 1);
	parse_ok(ARGS("007", "0255", "000"));
	assert_ids(7, 255, 0);
}
END_TEST

static const struct {
	const char	*text;
	int		 id;
	const char	*host;		/* "" for a plain id */
	unsigned	 port;
} contact_rows[] = {
	{ "7",				7,	"",			0 },
	{ "007",			7,	"",			0 },
	{ "7@10.77.0.2",		7,	"10.77.0.2",		0 },
	{ "7@10.77.0.2:50007",		7,	"10.77.0.2",		50007 },
	{ "7@[fd00::7]:50007",		7,	"fd00::7",		50007 },
	{ "7@[fd00::7]",		7,	"fd00::7",		0 },
	{ "7@[::1]:1",			7,	"::1",			1 },
	{ "255@host-b",			255,	"host-b",		0 },
	{ "0@peer.example.org:65535",	0,	"peer.example.org",	65535 },
	{ "7@localhost.",		7,	"localhost.",		0 },
	{ "7@[::ffff:10.0.0.1]:9",	7,	"::ffff:10.0.0.1",	9 },
};

/* Check the parsed peer p against contact row i. */
static void
assert_contact_row(const struct cli_peer *p, int i)
{
	ck_assert_int_eq(p->id, contact_rows[i].id);
	ck_assert_str_eq(p->host, contact_rows[i].host);
	ck_assert_uint_eq(p->has_host, contact_rows[i].host[0] != '\0');
	ck_assert_uint_eq(p->port, contact_rows[i].port);
}

/* Every form of contact parses as succ1, succ2 and the known peer, in every form. */
CASE_LOOP("forms", test_cli_contact_forms, N_ROWS(contact_rows))
{
	const char	*c = contact_rows[_i].text;
	const char	*other = contact_rows[_i].id == 9 ? "8" : "9";

	parse_ok(ARGS("1", c, other));
	assert_contact_row(&t_cfg.succ1, _i);
	ck_assert(!t_cfg.succ2.has_host);
	parse_ok(ARGS("init", "1", other, c, "0.5"));
	assert_contact_row(&t_cfg.succ2, _i);
	parse_ok(ARGS("join", "1", c, "0.5"));
	assert_contact_row(&t_cfg.known, _i);
	ck_assert_int_eq(t_cfg.succ1.id, -1);
	ck_assert(!t_cfg.succ1.has_host);
}
END_TEST

/* Wildcards are recognised in every spelling, and nothing else is one. */
CASE("forms", test_cli_wildcard)
{
	ck_assert(cli_is_wildcard("0.0.0.0"));
	ck_assert(cli_is_wildcard("::"));
	ck_assert(cli_is_wildcard("[::]"));
	ck_assert(cli_is_wildcard("0:0::0"));
	ck_assert(!cli_is_wildcard("127.0.0.1"));
	ck_assert(!cli_is_wildcard("::1"));
	ck_assert(!cli_is_wildcard("localhost"));
	ck_assert(!cli_is_wildcard(""));
	ck_assert(!cli_is_wildcard("[]"));
}
END_TEST

/* --timeout S after --timeout auto turns the estimate off again. */
CASE("forms", test_cli_timeout_auto_then_seconds)
{
	parse_ok(ARGS("--timeout", "auto", "--timeout", "0.5", "1", "3", "4"));
	ck_assert(!t_cfg.timeout_auto);
	ck_assert_uint_eq(t_cfg.timeout_ms, 500);
	parse_ok(ARGS("--timeout", "0.5", "--timeout", "auto", "1", "3", "4"));
	ck_assert(t_cfg.timeout_auto);
}
END_TEST

/* Which field of struct config an option row checks. */
enum field {
	F_INTERVAL, F_PTIMEOUT, F_THRESHOLD, F_BASE_PORT, F_BIND, F_DIR, F_TCP, F_MSS,
	F_DROP, F_TIMEOUT, F_DIALECT, F_QUIET, F_SEED, F_ADVERTISE, F_WINDOW, F_REPLICAS,
	F_TIMEOUT_AUTO
};

static const struct {
	const char	*opt;
	const char	*val;		/* NULL for a flag */
	enum field	 field;
	uint64_t	 want;		/* integer fields and booleans */
	double		 dwant;		/* F_DROP */
	const char	*swant;		/* F_BIND, F_DIR */
} option_rows[] = {
	{ "--ping-interval",	"2.5",		F_INTERVAL,	2500,		0, NULL },
	{ "--ping-timeout",	"0.3",		F_PTIMEOUT,	300,		0, NULL },
	{ "--ping-timeout",	"7",		F_PTIMEOUT,	7000,		0, NULL },
	{ "--loss-threshold",	"7",		F_THRESHOLD,	7,		0, NULL },
	{ "--loss-threshold",	"1",		F_THRESHOLD,	1,		0, NULL },
	{ "--loss-threshold",	"100",		F_THRESHOLD,	100,		0, NULL },
	{ "--base-port",	"6000",		F_BASE_PORT,	6000,		0, NULL },
	{ "--base-port",	"1",		F_BASE_PORT,	1,		0, NULL },
	{ "--base-port",	"65280",	F_BASE_PORT,	65280,		0, NULL },
	{ "--bind",		"10.1.2.3",	F_BIND,		0,		0, "10.1.2.3" },
	{ "--bind",		"0.0.0.0",	F_BIND,		0,		0, "0.0.0.0" },
	{ "--bind",		"::",		F_BIND,		0,		0, "::" },
	{ "--bind",		"::1",		F_BIND,		0,		0, "::1" },
	{ "--bind",		"[fd00::7]",	F_BIND,		0,		0, "fd00::7" },
	{ "--bind",		"localhost",	F_BIND,		0,		0, "localhost" },
	{ "--bind",		"host-2.example.org.", F_BIND,	0,		0, "host-2.example.org." },
	{ "--bind",		"3com.example",	F_BIND,		0,		0, "3com.example" },
	{ "--advertise",	"10.77.0.2",	F_ADVERTISE,	0,		0, "10.77.0.2" },
	{ "--advertise",	"[fd00::2]",	F_ADVERTISE,	0,		0, "fd00::2" },
	{ "--advertise",	"peer.example",	F_ADVERTISE,	0,		0, "peer.example" },
	{ "--window",		"1",		F_WINDOW,	1,		0, NULL },
	{ "--window",		"256",		F_WINDOW,	256,		0, NULL },
	{ "--replicas",		"1",		F_REPLICAS,	1,		0, NULL },
	{ "--replicas",		"3",		F_REPLICAS,	3,		0, NULL },
	{ "--timeout",		"auto",		F_TIMEOUT_AUTO,	1,		0, NULL },
	{ "--dir",		"/tmp/peer2",	F_DIR,		0,		0, "/tmp/peer2" },
	{ "--transfer",		"tcp",		F_TCP,		1,		0, NULL },
	{ "--transfer",		"udp",		F_TCP,		0,		0, NULL },
	{ "--mss",		"1",		F_MSS,		1,		0, NULL },
	{ "--mss",		"60000",	F_MSS,		WIRE_MAX_MSS,	0, NULL },
	{ "--drop",		"0.1",		F_DROP,		0,		0.1, NULL },
	{ "--drop",		"1",		F_DROP,		0,		1.0, NULL },
	{ "--drop",		"0",		F_DROP,		0,		0.0, NULL },
	{ "--timeout",		"0.05",		F_TIMEOUT,	50,		0, NULL },
	{ "--dialect",		"p2p",		F_DIALECT,	DIALECT_P2P,	0, NULL },
	{ "--dialect",		"classic",	F_DIALECT,	DIALECT_CLASSIC, 0, NULL },
	{ "--quiet-pings",	NULL,		F_QUIET,	1,		0, NULL },
	{ "--seed",		"42",		F_SEED,		42,		0, NULL },
	{ "--seed",		"0",		F_SEED,		0,		0, NULL },
	{ "--seed",		"18446744073709551615", F_SEED,	UINT64_MAX,	0, NULL },
	{ "--ping-interval=2.5", NULL,		F_INTERVAL,	2500,		0, NULL },
	{ "--mss=123",		NULL,		F_MSS,		123,		0, NULL },
};

/* Check one option row's field on t_cfg. */
static void
assert_option_row(int i)
{
	switch (option_rows[i].field) {
	case F_INTERVAL:
		ck_assert_uint_eq(t_cfg.ping_interval_ms, option_rows[i].want);
		break;
	case F_PTIMEOUT:
		ck_assert_uint_eq(t_cfg.ping_timeout_ms, option_rows[i].want);
		break;
	case F_THRESHOLD:
		ck_assert_uint_eq(t_cfg.loss_threshold, option_rows[i].want);
		break;
	case F_BASE_PORT:
		ck_assert_uint_eq(t_cfg.base_port, option_rows[i].want);
		break;
	case F_BIND:
		ck_assert_str_eq(t_cfg.bind_addr, option_rows[i].swant);
		break;
	case F_DIR:
		ck_assert_str_eq(t_cfg.dir, option_rows[i].swant);
		break;
	case F_TCP:
		ck_assert_uint_eq(t_cfg.transfer_tcp, option_rows[i].want);
		break;
	case F_MSS:
		ck_assert_uint_eq(t_cfg.mss, option_rows[i].want);
		break;
	case F_DROP:
		ck_assert(t_cfg.drop == option_rows[i].dwant);
		break;
	case F_TIMEOUT:
		ck_assert_uint_eq(t_cfg.timeout_ms, option_rows[i].want);
		ck_assert(!t_cfg.timeout_auto);
		break;
	case F_TIMEOUT_AUTO:
		ck_assert(t_cfg.timeout_auto);
		break;
	case F_ADVERTISE:
		ck_assert_str_eq(t_cfg.advertise, option_rows[i].swant);
		break;
	case F_WINDOW:
		ck_assert_uint_eq(t_cfg.window, option_rows[i].want);
		break;
	case F_REPLICAS:
		ck_assert_uint_eq(t_cfg.replicas, option_rows[i].want);
		break;
	case F_DIALECT:
		ck_assert_uint_eq(t_cfg.dialect, option_rows[i].want);
		break;
	case F_QUIET:
		ck_assert_uint_eq(t_cfg.quiet_pings, option_rows[i].want);
		break;
	case F_SEED:
		ck_assert(t_cfg.seed_set);
		ck_assert_uint_eq(t_cfg.seed, option_rows[i].want);
		break;
	}
}

/* Parse "opt [val]" placed before, or after, the positionals of form `form`. */
static void
parse_option_row(int i, int form, int after)
{
	const char	*a[TEST_MAX_ARGS + 1];
	const char	*classic[] = { "2", "4", "5", NULL };
	const char	*init[] = { "init", "2", "4", "5", "0.5", NULL };
	const char	*join[] = { "join", "9", "4", "0.5", NULL };
	const char	**pos = form == 0 ? classic : form == 1 ? init : join;
	int		 n = 0, k;

	if (!after) {
		a[n++] = option_rows[i].opt;
		if (option_rows[i].val != NULL)
			a[n++] = option_rows[i].val;
	}
	for (k = 0; pos[k] != NULL; k++)
		a[n++] = pos[k];
	if (after) {
		a[n++] = option_rows[i].opt;
		if (option_rows[i].val != NULL)
			a[n++] = option_rows[i].val;
	}
	a[n] = NULL;
	parse_ok(a);
}

/* Option row i, given in each of the three forms (after the positionals if after), took. */
static void
check_option_row_all_forms(int i, int after)
{
	int	form;

	for (form = 0; form < 3; form++) {
		parse_option_row(i, form, after);
		assert_option_row(i);
	}
}

/* Every option is parsed and overrides the default, before the positionals. */
CASE_LOOP("options", test_cli_option_before_positionals_overrides, N_ROWS(option_rows))
{
	check_option_row_all_forms(_i, 0);
}
END_TEST

/* Every option is parsed and overrides the default, after the positionals. */
CASE_LOOP("options", test_cli_option_after_positionals_overrides, N_ROWS(option_rows))
{
	check_option_row_all_forms(_i, 1);
}
END_TEST

/* Options interleaved with positionals are still options, and the positionals keep order. */
CASE("options", test_cli_options_between_positionals)
{
	parse_ok(ARGS("init", "--quiet-pings", "2", "--mss", "99", "4",
	    "--base-port", "7000", "5", "0.5", "--seed", "9"));
	ck_assert_int_eq(t_cfg.form, CLI_INIT);
	assert_ids(2, 4, 5);
	ck_assert_uint_eq(t_cfg.ping_interval_ms, 500);
	ck_assert(t_cfg.quiet_pings);
	ck_assert_uint_eq(t_cfg.mss, 99);
	ck_assert_uint_eq(t_cfg.base_port, 7000);
	ck_assert(t_cfg.seed_set);
	ck_assert_uint_eq(t_cfg.seed, 9);
}
END_TEST

/* --ping-interval wins over the positional interval of init and join. */
CASE("options", test_cli_interval_option_wins_over_positional)
{
	parse_ok(ARGS("--ping-interval", "2", "init", "1", "3", "4", "0.2"));
	assert_ping_ms(2000, 1000);
	parse_ok(ARGS("join", "9", "1", "30", "--ping-interval", "0.1"));
	assert_ping_ms(100, 100);
}
END_TEST

/* An explicit --ping-timeout is kept even when it exceeds the default cap or the interval. */
CASE("options", test_cli_ping_timeout_option_not_capped)
{
	parse_ok(ARGS("--ping-timeout", "3", "init", "1", "3", "4", "0.2"));
	assert_ping_ms(200, 3000);
}
END_TEST

/* The classic --ping-interval also moves the default ping timeout. */
CASE("options", test_cli_classic_interval_option_sets_timeout)
{
	parse_ok(ARGS("--ping-interval", "0.25", "1", "3", "4"));
	assert_ping_ms(250, 250);
}
END_TEST

/* Positional mss and drop win over --mss and --drop. */
CASE("options", test_cli_positional_mss_drop_win)
{
	parse_ok(ARGS("--mss", "100", "--drop", "0.9", "1", "3", "4", "300", "0.1"));
	ck_assert_uint_eq(t_cfg.mss, 300);
	ck_assert(t_cfg.drop == 0.1);
}
END_TEST

/* --transfer and --dialect override the defaults of every form. */
CASE("options", test_cli_transfer_dialect_override_form)
{
	parse_ok(ARGS("--transfer", "tcp", "--dialect", "p2p", "1", "3", "4"));
	ck_assert(t_cfg.transfer_tcp);
	ck_assert_int_eq(t_cfg.dialect, DIALECT_P2P);
	parse_ok(ARGS("--transfer", "udp", "--dialect", "classic", "init", "1", "3", "4", "1"));
	ck_assert(!t_cfg.transfer_tcp);
	ck_assert_int_eq(t_cfg.dialect, DIALECT_CLASSIC);
	parse_ok(ARGS("join", "9", "1", "1", "--transfer", "udp", "--dialect", "classic"));
	ck_assert(!t_cfg.transfer_tcp);
	ck_assert_int_eq(t_cfg.dialect, DIALECT_CLASSIC);
}
END_TEST

/* "--" ends the options; what follows is positional. */
CASE("options", test_cli_double_dash_ends_options)
{
	parse_ok(ARGS("--quiet-pings", "--", "1", "3", "4"));
	ck_assert(t_cfg.quiet_pings);
	ck_assert_int_eq(t_cfg.id, 1);
	ck_assert_int_eq(t_cfg.succ2.id, 4);
	ck_assert_int_eq(parse(ARGS("1", "--", "--mss", "3")), -1);
}
END_TEST

/* The last of a repeated option wins. */
CASE("options", test_cli_repeated_option_last_wins)
{
	parse_ok(ARGS("--mss", "10", "--mss", "20", "1", "3", "4"));
	ck_assert_uint_eq(t_cfg.mss, 20);
}
END_TEST

static const struct {
	const char	*args[12];
	const char	*want;		/* a part of the expected sentence */
} invalid_rows[] = {
	/* no arguments, wrong counts for each form */
	{ { NULL }, "missing arguments" },
	{ { "--quiet-pings", NULL }, "missing arguments" },
	{ { "1", NULL }, "got 1 argument" },
	{ { "1", "3", NULL }, "got 2 arguments" },
	{ { "1", "3", "4", "400", NULL }, "got 4 arguments" },
	{ { "1", "3", "4", "400", "0", "9", NULL }, "got 6 arguments" },
	{ { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", NULL }, "got 10 arguments" },
	{ { "init", NULL }, "init" },
	{ { "init", "1", "3", "4", NULL }, "got 3 arguments" },
	{ { "init", "1", "3", "4", "1", "1", NULL }, "got 5 arguments" },
	{ { "join", NULL }, "join" },
	{ { "join", "1", "3", NULL }, "got 2 arguments" },
	{ { "join", "1", "3", "1", "1", NULL }, "got 4 arguments" },
	{ { "join", "1", "3", "4", "1", NULL }, "got 4 arguments" },
	/* ids that are not integers 0..255 */
	{ { "abc", "3", "4", NULL }, "peer id 'abc'" },
	{ { "256", "3", "4", NULL }, "peer id '256' is not an integer from 0 to 255" },
	{ { "3x", "3", "4", NULL }, "'3x'" },
	{ { "", "3", "4", NULL }, "peer id ''" },
	{ { "1.0", "3", "4", NULL }, "'1.0'" },
	{ { " 1", "3", "4", NULL }, "' 1'" },
	{ { "+1", "3", "4", NULL }, "'+1'" },
	{ { "-1", "3", "4", NULL }, "-1" },
	{ { "99999999999999999999999", "3", "4", NULL }, "peer id" },
	{ { "1", "x", "4", NULL }, "successor 'x'" },
	{ { "1", "3", "300", NULL }, "successor '300'" },
	{ { "init", "256", "3", "4", "1", NULL }, "peer id '256'" },
	{ { "init", "1", "3", "q", "1", NULL }, "successor 'q'" },
	{ { "join", "x", "3", "1", NULL }, "peer id 'x'" },
	{ { "join", "1", "256", "1", NULL }, "known peer '256'" },
	/* ids that clash */
	{ { "3", "3", "4", NULL }, "peer 3 cannot be its own successor" },
	{ { "3", "4", "3", NULL }, "peer 3 cannot be its own successor" },
	{ { "3", "4", "4", NULL }, "the two successors must differ (both 4)" },
	{ { "init", "3", "3", "4", "1", NULL }, "own successor" },
	{ { "init", "3", "4", "4", "1", NULL }, "both 4" },
	{ { "join", "3", "3", "1", NULL }, "peer 3 cannot join through itself" },
	/* mss and drop, as positionals and as options */
	{ { "1", "3", "4", "0", "0", NULL }, "mss must be an integer from 1 to 60000, not '0'" },
	{ { "1", "3", "4", "60001", "0", NULL }, "'60001'" },
	{ { "1", "3", "4", "abc", "0", NULL }, "mss" },
	{ { "1", "3", "4", "400", "1.5", NULL }, "drop must be a probability in [0, 1], not '1.5'" },
	{ { "1", "3", "4", "400", "-0.1", NULL }, "unknown option" },
	{ { "1", "3", "4", "400", "nan", NULL }, "'nan'" },
	{ { "1", "3", "4", "400", "inf", NULL }, "'inf'" },
	{ { "1", "3", "4", "400", "", NULL }, "drop" },
	{ { "1", "3", "4", "400", "0.5x", NULL }, "'0.5x'" },
	{ { "1", "3", "4", "400", "0x0", NULL }, "'0x0'" },
	{ { "--mss", "0", "1", "3", "4", NULL }, "not '0'" },
	{ { "--mss", "-5", "1", "3", "4", NULL }, "mss" },
	{ { "--drop", "2", "1", "3", "4", NULL }, "not '2'" },
	/* intervals and timeouts */
	{ { "init", "1", "3", "4", "0", NULL }, "ping interval" },
	{ { "init", "1", "3", "4", "-1", NULL }, "-1" },
	{ { "init", "1", "3", "4", "abc", NULL }, "'abc'" },
	{ { "init", "1", "3", "4", "86401", NULL }, "'86401'" },
	{ { "join", "1", "3", "", NULL }, "ping interval" },
	{ { "--ping-interval", "0", "1", "3", "4", NULL }, "ping interval" },
	{ { "--ping-interval", "1e9", "1", "3", "4", NULL }, "'1e9'" },
	{ { "--ping-timeout", "0", "1", "3", "4", NULL }, "ping timeout" },
	{ { "--ping-timeout", "x", "1", "3", "4", NULL }, "'x'" },
	{ { "--timeout", "0", "1", "3", "4", NULL }, "timeout" },
	{ { "--timeout", "1s", "1", "3", "4", NULL }, "'1s'" },
	/* the other options' values */
	{ { "--loss-threshold", "0", "1", "3", "4", NULL }, "loss threshold" },
	{ { "--loss-threshold", "101", "1", "3", "4", NULL }, "'101'" },
	{ { "--base-port", "65281", "1", "3", "4", NULL }, "'65281'" },
	{ { "--base-port", "0", "1", "3", "4", NULL }, "base port" },
	{ { "--base-port", "http", "1", "3", "4", NULL }, "'http'" },
	{ { "--bind", "1.2.3", "1", "3", "4", NULL }, "'1.2.3'" },
	{ { "--bind", "256.1.1.1", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "0x7f000001", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "127.1", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "::1::", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "[127.0.0.1]", "1", "3", "4", NULL }, "not an IPv6 address in brackets" },
	{ { "--bind", "[::1", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "host_name", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "-host", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "host-", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "a..b", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "fe80::1%eth0", "1", "3", "4", NULL }, "bind" },
	{ { "--bind", "", "1", "3", "4", NULL }, "bind" },
	{ { "--advertise", "0.0.0.0", "1", "3", "4", NULL }, "cannot be a wildcard" },
	{ { "--advertise", "::", "1", "3", "4", NULL }, "cannot be a wildcard" },
	{ { "--advertise", "1.2.3", "1", "3", "4", NULL }, "advertise address '1.2.3'" },
	/* contacts: ID@HOST[:PORT] */
	{ { "1", "3@", "4", NULL }, "successor '3@' has no host after '@'" },
	{ { "1", "3@:5", "4", NULL }, "successor '3@:5' has no host" },
	{ { "1", "3", "4@[::1", NULL }, "successor '4@[::1' lacks the ']' closing its address" },
	{ { "1", "3@h:0", "4", NULL }, "port must be an integer from 1 to 65535, not '0'" },
	{ { "1", "3@h:70000", "4", NULL }, "not '70000'" },
	{ { "1", "3@h:", "4", NULL }, "port must be" },
	{ { "1", "3@h:http", "4", NULL }, "not 'http'" },
	{ { "1", "3@h:-1", "4", NULL }, "port must be" },
	{ { "1", "300@h", "4", NULL }, "successor '300' is not an integer from 0 to 255" },
	{ { "1", "@h", "4", NULL }, "successor ''" },
	{ { "1", "x@h", "4", NULL }, "successor 'x'" },
	{ { "1", "123456789@h", "4", NULL }, "does not start with an id" },
	{ { "1", "3@::1", "4", NULL }, "an IPv6 address goes in brackets" },
	{ { "1", "3@::1:5", "4", NULL }, "brackets" },
	{ { "1", "3@[::1]x", "4", NULL }, "has 'x' after ']'" },
	{ { "1", "3@[::1]:", "4", NULL }, "port must be" },
	{ { "1", "3@[10.0.0.1]", "4", NULL }, "'10.0.0.1' is not an IPv6 address" },
	{ { "1", "3@[]", "4", NULL }, "has no host" },
	{ { "1", "3@1.2.3", "4", NULL }, "'1.2.3' is not an IPv4 address or a host name" },
	{ { "1", "3@h@i", "4", NULL }, "not an IPv4 address or a host name" },
	{ { "1", "3@0.0.0.0", "4", NULL }, "wildcard" },
	{ { "1", "3@[::]:5", "4", NULL }, "wildcard" },
	{ { "1", "1@10.0.0.2", "4", NULL }, "peer 1 cannot be its own successor" },
	{ { "1", "3", "1@[fd00::1]:9", NULL }, "peer 1 cannot be its own successor" },
	{ { "1", "3@a", "3@b", NULL }, "the two successors must differ (both 3)" },
	{ { "init", "1", "3@", "4", "1", NULL }, "has no host" },
	{ { "join", "1", "1@10.0.0.2", "1", NULL }, "peer 1 cannot join through itself" },
	{ { "join", "1", "3@h:70000", "1", NULL }, "known peer '3@h:70000'" },
	/* window, replicas, timeout */
	{ { "--window", "0", "1", "3", "4", NULL }, "window must be an integer from 1 to 256, not '0'" },
	{ { "--window", "257", "1", "3", "4", NULL }, "'257'" },
	{ { "--window", "x", "1", "3", "4", NULL }, "window" },
	{ { "--replicas", "0", "1", "3", "4", NULL }, "replicas must be an integer from 1 to 3, not '0'" },
	{ { "--replicas", "4", "1", "3", "4", NULL }, "'4'" },
	{ { "--timeout", "AUTO", "1", "3", "4", NULL }, "'AUTO'" },
	{ { "--timeout", "86401", "1", "3", "4", NULL }, "timeout" },
	{ { "--dir", "", "1", "3", "4", NULL }, "dir" },
	{ { "--transfer", "ftp", "1", "3", "4", NULL }, "'ftp'" },
	{ { "--transfer", "TCP", "1", "3", "4", NULL }, "transfer" },
	{ { "--dialect", "modern", "1", "3", "4", NULL }, "'modern'" },
	{ { "--seed", "-1", "1", "3", "4", NULL }, "seed" },
	{ { "--seed", "18446744073709551616", "1", "3", "4", NULL }, "seed" },
	{ { "--seed", "0x10", "1", "3", "4", NULL }, "'0x10'" },
	/* unknown options and missing values */
	{ { "--frobnicate", "1", "3", "4", NULL }, "unknown option '--frobnicate'" },
	{ { "--frobnicate=7", "1", "3", "4", NULL }, "unknown option '--frobnicate'" },
	{ { "-x", "1", "3", "4", NULL }, "unknown option '-x'" },
	{ { "1", "3", "4", "-q", NULL }, "unknown option '-q'" },
	{ { "--quiet-pings=yes", "1", "3", "4", NULL }, "--quiet-pings" },
	{ { "1", "3", "4", "--mss", NULL }, "option '--mss' needs a value" },
	{ { "1", "3", "4", "--seed", NULL }, "option '--seed' needs a value" },
	{ { "1", "3", "4", "--dir", NULL }, "--dir" },
};

/* Every invalid input is rejected with one non-empty sentence naming what is wrong. */
CASE_LOOP("errors", test_cli_invalid_input_rejected, N_ROWS(invalid_rows))
{
	int	rc = parse(invalid_rows[_i].args);

	ck_assert_msg(rc == -1, "row %d accepted", _i);
	ck_assert_msg(t_err[0] != '\0', "row %d: empty error", _i);
	ck_assert_msg(strchr(t_err, '\n') == NULL, "row %d: newline in '%s'", _i, t_err);
	ck_assert_msg(strncmp(t_err, "cdht", 4) != 0, "row %d: prefix in '%s'", _i, t_err);
	ck_assert_msg(strstr(t_err, invalid_rows[_i].want) != NULL,
	    "row %d: '%s' lacks '%s'", _i, t_err, invalid_rows[_i].want);
}
END_TEST

/* Some rejections, word for word. */
CASE("errors", test_cli_error_sentences_exact)
{
	ck_assert_int_eq(parse(ARGS("1", "3", "4", "5")), -1);
	ck_assert_str_eq(t_err, "expected <id> <succ1> <succ2> [<mss> <drop>], got 4 arguments");
	ck_assert_int_eq(parse(ARGS("init", "1", "3", "4")), -1);
	ck_assert_str_eq(t_err,
	    "expected init <id> <succ1> <succ2> <ping-interval>, got 3 arguments after 'init'");
	ck_assert_int_eq(parse(ARGS("join", "1")), -1);
	ck_assert_str_eq(t_err,
	    "expected join <id> <known-peer> <ping-interval>, got 1 argument after 'join'");
	ck_assert_int_eq(parse(ARGS("--frobnicate", "1", "3", "4")), -1);
	ck_assert_str_eq(t_err, "unknown option '--frobnicate'");
	ck_assert_int_eq(parse(ARGS("1", "3", "4", "--mss")), -1);
	ck_assert_str_eq(t_err, "option '--mss' needs a value");
	ck_assert_int_eq(parse(ARGS("--quiet-pings=1", "1", "3", "4")), -1);
	ck_assert_str_eq(t_err, "option '--quiet-pings' takes no value");
	ck_assert_int_eq(parse(ARGS("--help=1")), -1);
	ck_assert_str_eq(t_err, "option '--help' takes no value");
	ck_assert_int_eq(parse(ARGS("1", "3", "256")), -1);
	ck_assert_str_eq(t_err, "successor '256' is not an integer from 0 to 255");
	ck_assert_int_eq(parse(ARGS("--base-port", "65281", "1", "3", "4")), -1);
	ck_assert_str_eq(t_err, "base port must be an integer from 1 to 65280, not '65281'");
}
END_TEST

/* The first of several errors is the one reported. */
CASE("errors", test_cli_first_error_reported)
{
	ck_assert_int_eq(parse(ARGS("--mss", "0", "--drop", "5", "1", "1", "1")), -1);
	ck_assert_str_eq(t_err, "mss must be an integer from 1 to 60000, not '0'");
}
END_TEST

/* --help anywhere returns 0 at once, whatever else is wrong. */
CASE("options", test_cli_help_short_circuits)
{
	const char *const	*rows[] = {
		ARGS("--help"),
		ARGS("-h"),
		ARGS("1", "3", "-h"),
		ARGS("abc", "--help"),
		ARGS("--mss", "0", "--help", "1", "1", "1"),
		ARGS("--frobnicate", "-h"),
		ARGS("init", "-h"),
	};
	size_t			 i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ck_assert_msg(parse(rows[i]) == 0, "row %zu: %s", i, t_err);
		ck_assert_str_eq(t_err, "");
		ck_assert(t_cfg.help);
		ck_assert(!t_cfg.version);
	}
}
END_TEST

/* --version anywhere returns 0 at once, whatever else is wrong. */
CASE("options", test_cli_version_short_circuits)
{
	const char *const	*rows[] = {
		ARGS("--version"),
		ARGS("1", "--version"),
		ARGS("join", "3", "3", "x", "--version"),
		ARGS("--bind", "nowhere", "--version"),
	};
	size_t			 i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ck_assert_msg(parse(rows[i]) == 0, "row %zu: %s", i, t_err);
		ck_assert(t_cfg.version);
		ck_assert(!t_cfg.help);
	}
}
END_TEST

/* Parsing again starts afresh: getopt is reset and nothing leaks from the last call. */
CASE("options", test_cli_parse_twice)
{
	parse_ok(ARGS("--quiet-pings", "--mss", "10", "1", "3", "4"));
	ck_assert(t_cfg.quiet_pings);
	ck_assert_uint_eq(t_cfg.mss, 10);
	parse_ok(ARGS("--quiet-pings", "--mss", "10", "1", "3", "4"));
	ck_assert(t_cfg.quiet_pings);
	ck_assert_uint_eq(t_cfg.mss, 10);
	ck_assert_int_eq(parse(ARGS("--frobnicate", "1", "3", "4")), -1);
	parse_ok(ARGS("2", "4", "5"));
	ck_assert(!t_cfg.quiet_pings);
	ck_assert_uint_eq(t_cfg.mss, 400);
	ck_assert_int_eq(t_cfg.id, 2);
	ck_assert_int_eq(parse(ARGS("--help")), 0);
	parse_ok(ARGS("join", "9", "4", "1"));
	ck_assert(!t_cfg.help);
	ck_assert_int_eq(t_cfg.form, CLI_JOIN);
}
END_TEST

/* A short or absent error buffer is never overrun. */
CASE("errors", test_cli_small_error_buffer)
{
	char	small[8];
	char	a0[] = "cdht", a1[] = "--frobnicate-a-great-deal";
	char	*av[] = { a0, a1, NULL };
	struct config cfg;

	memset(small, 'z', sizeof small);
	ck_assert_int_eq(cli_parse(2, av, &cfg, small, 5), -1);
	ck_assert_uint_eq(strlen(small), 4);
	ck_assert_int_eq(small[5], 'z');
	ck_assert_int_eq(cli_parse(2, av, &cfg, NULL, 0), -1);
	ck_assert_int_eq(cli_parse(1, av, &cfg, small, 0), -1);
}
END_TEST

/* argv is not reordered, so main can still report it as typed. */
CASE("options", test_cli_argv_left_in_order)
{
	parse_ok(ARGS("1", "--mss", "10", "3", "4"));
	ck_assert_str_eq(t_argv[1], "1");
	ck_assert_str_eq(t_argv[2], "--mss");
	ck_assert_str_eq(t_argv[3], "10");
	ck_assert_str_eq(t_argv[5], "4");
}
END_TEST

/* The usage text has a usage line per form and every option, in 80 columns. */
CASE("errors", test_cli_usage_text)
{
	const char	*u = cli_usage();
	const char	*p, *nl;
	const char	*opts[] = {
		"--ping-interval", "--ping-timeout", "--loss-threshold", "--base-port",
		"--bind", "--dir", "--transfer", "--mss", "--drop", "--timeout",
		"--dialect", "--quiet-pings", "--seed", "--help", "-h,", "--version",
		"--advertise", "--window", "--replicas", "auto", "ID@HOST:PORT",
		"request F", "store F", "status --json", "quit", "help",
		"init <id>", "join <id>", "<succ1> <succ2> [<mss> <drop>]",
	};
	size_t		 i, lines = 0, usage = 0;

	ck_assert_ptr_nonnull(u);
	ck_assert_uint_gt(strlen(u), 0);
	ck_assert_int_eq(u[strlen(u) - 1], '\n');
	for (p = u; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl - p <= TEST_LINE_MAX, "line too long: %.*s", (int)(nl - p), p);
		if (strncmp(p, "usage:", 6) == 0)
			usage++;
		lines++;
	}
	ck_assert_uint_eq(usage, 3);
	ck_assert_uint_gt(lines, 3);
	for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
		ck_assert_msg(strstr(u, opts[i]) != NULL, "usage lacks %s", opts[i]);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("cli", NULL);
}
