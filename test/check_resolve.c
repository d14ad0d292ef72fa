/* Unit tests of resolution: contacts from the command line, bind/advertise rules, refusals. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "cdht/cli.h"
#include "resolve.h"

#define TEST_MAX_ARGS	24	/* argv elements after the program name */
#define TEST_ARG_LEN	128	/* bytes per argv element */
#define TEST_ERR_LEN	512	/* bytes of the error buffer */
#define TEST_LOCAL_MAX	8	/* fake interface addresses */

static char		 t_buf[TEST_MAX_ARGS + 1][TEST_ARG_LEN];
static char		*t_argv[TEST_MAX_ARGS + 2];
static char		 t_err[TEST_ERR_LEN];
static struct config	 t_cfg;
static struct resolved	 t_res;

/* The fake host's interfaces, set by each test (defaults in setup). */
static const char	*t_local[TEST_LOCAL_MAX];
static int		 t_local_fail;
static int		 t_lookups;

/* A contact from an address literal, id and port. */
static struct contact
ct(int id, const char *addr, unsigned port)
{
	uint8_t	a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return contact_v4((uint8_t)id, a, (uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	return contact_v6((uint8_t)id, a, (uint16_t)port);
}

/* The fake resolver's names: each with its addresses in the resolver's order. */
static const struct {
	const char	*name;
	const char	*addrs[3];
} t_names[] = {
	{ "alpha",	{ "fd00::1", "10.0.0.1", NULL } },
	{ "beta",	{ "10.0.0.2", NULL } },
	{ "gamma6",	{ "fd00::3", NULL } },
	{ "me",		{ "192.0.2.2", NULL } },
	{ "any4",	{ "0.0.0.0", NULL } },
};

/* Fake lookup: the table above, EAI_AGAIN for "flaky", EAI_NONAME for the rest. */
static int
fake_lookup(void *arg, const char *name, int family, struct contact *out, size_t max,
    int *gai)
{
	size_t	i, k, n = 0;

	(void)arg;
	t_lookups++;
	if (strcmp(name, "flaky") == 0) {
		*gai = EAI_AGAIN;
		return -1;
	}
	for (i = 0; i < sizeof t_names / sizeof t_names[0]; i++) {
		if (strcmp(t_names[i].name, name) != 0)
			continue;
		for (k = 0; t_names[i].addrs[k] != NULL && n < max; k++) {
			struct contact c = ct(0, t_names[i].addrs[k], 0);

			if (family == 0 || c.family == family)
				out[n++] = c;
		}
		if (n == 0) {
			*gai = EAI_ADDRFAMILY;
			return -1;
		}
		return (int)n;
	}
	*gai = EAI_NONAME;
	return -1;
}

/* Fake interfaces: t_local, or a failure. */
static int
fake_local(void *arg, struct contact *out, size_t max)
{
	size_t	n = 0;

	(void)arg;
	if (t_local_fail)
		return -1;
	for (; n < max && n < TEST_LOCAL_MAX && t_local[n] != NULL; n++)
		out[n] = ct(0, t_local[n], 0);
	return (int)n;
}

static const struct resolve_env	t_env = { fake_lookup, fake_local, NULL };

/* Parse "cdht" and args (must be valid), then resolve: the status. */
static int
resolve(const char *const *args)
{
	int	argc = 0;

	snprintf(t_buf[0], sizeof t_buf[0], "%s", "cdht");
	t_argv[argc++] = t_buf[0];
	for (; *args != NULL; args++) {
		snprintf(t_buf[argc], sizeof t_buf[argc], "%s", *args);
		t_argv[argc] = t_buf[argc];
		argc++;
	}
	t_argv[argc] = NULL;
	ck_assert_msg(cli_parse(argc, t_argv, &t_cfg, t_err, sizeof t_err) == 0, "cli: %s",
	    t_err);
	memset(t_err, 0, sizeof t_err);
	return resolve_config_env(&t_cfg, &t_env, &t_res, t_err, sizeof t_err);
}

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

/* Resolve args, insisting on success. */
static void
resolve_ok(const char *const *args)
{
	int	rc = resolve(args);

	ck_assert_msg(rc == 0, "refused (%d): %s", rc, t_err);
}

/* Resolve args, insisting on status rc and a sentence containing want. */
static void
resolve_refused(const char *const *args, int rc, const char *want)
{
	int	got = resolve(args);

	ck_assert_msg(got == rc, "status %d, not %d: %s", got, rc, t_err);
	ck_assert_msg(strstr(t_err, want) != NULL, "'%s' lacks '%s'", t_err, want);
	ck_assert_msg(strchr(t_err, '\n') == NULL, "newline in '%s'", t_err);
}

/* Assert two contacts are the same id, family, address and port. */
static void
assert_contact(const struct contact *got, struct contact want)
{
	char	g[CONTACT_TEXT_MAX], w[CONTACT_TEXT_MAX];

	ck_assert_msg(contact_equal(got, &want) && got->family == want.family,
	    "got %s, want %s", contact_text(got, g, sizeof g), contact_text(&want, w, sizeof w));
}

/* A host with loopback, one IPv4 and one IPv6 address, and a link-local one. */
static void
setup(void)
{
	static const char *const def[] = { "127.0.0.1", "::1", "192.0.2.2", "fd00::2",
	    "fe80::1", NULL };

	memcpy(t_local, def, sizeof def);
	t_local_fail = 0;
	t_lookups = 0;
}

/* Plain ids are peers on our own address, at base-port + id. */
CASE("rules", test_resolve_plain_ids_on_own_address)
{
	resolve_ok(ARGS("--base-port", "7000", "1", "3", "4"));
	assert_contact(&t_res.bind, ct(1, "127.0.0.1", 7001));
	assert_contact(&t_res.self, ct(1, "127.0.0.1", 7001));
	assert_contact(&t_res.succ1, ct(3, "127.0.0.1", 7003));
	assert_contact(&t_res.succ2, ct(4, "127.0.0.1", 7004));
	ck_assert(contact_is_none(&t_res.known));
	ck_assert_int_eq(t_lookups, 0);
}
END_TEST

/* ID@HOST takes base-port + id, ID@HOST:PORT the port given; names resolve too. */
CASE("rules", test_resolve_host_and_port)
{
	resolve_ok(ARGS("--bind", "10.0.0.9", "init", "1", "3@10.0.0.3", "4@beta:6004", "1"));
	assert_contact(&t_res.succ1, ct(3, "10.0.0.3", 50003));
	assert_contact(&t_res.succ2, ct(4, "10.0.0.2", 6004));
	resolve_ok(ARGS("--bind", "fd00::9", "join", "1", "7@[fd00::7]:50007", "1"));
	assert_contact(&t_res.known, ct(7, "fd00::7", 50007));
	assert_contact(&t_res.self, ct(1, "fd00::9", 50001));
	ck_assert(contact_is_none(&t_res.succ1));
}
END_TEST

/* A plain id next to ID@HOST still means our own host. */
CASE("rules", test_resolve_plain_id_follows_advertise)
{
	resolve_ok(ARGS("--bind", "0.0.0.0", "--advertise", "10.0.0.9", "1", "3", "4@10.0.0.4"));
	assert_contact(&t_res.succ1, ct(3, "10.0.0.9", 50003));
	assert_contact(&t_res.succ2, ct(4, "10.0.0.4", 50004));
}
END_TEST

/* A wildcard bind with exactly one non-loopback address of its family advertises it. */
CASE("rules", test_resolve_wildcard_one_address)
{
	resolve_ok(ARGS("--bind", "0.0.0.0", "1", "3", "4"));
	assert_contact(&t_res.bind, contact_v4(1, (const uint8_t[4]){ 0 }, 50001));
	assert_contact(&t_res.self, ct(1, "192.0.2.2", 50001));
	assert_contact(&t_res.succ1, ct(3, "192.0.2.2", 50003));
	/* IPv6: the link-local fe80::1 does not count. */
	resolve_ok(ARGS("--bind", "::", "1", "3", "4"));
	ck_assert_uint_eq(t_res.bind.family, CONTACT_V6);
	ck_assert(!contact_is_valid(&t_res.bind));
	assert_contact(&t_res.self, ct(1, "fd00::2", 50001));
}
END_TEST

/* A wildcard bind with several addresses needs --advertise, and lists them. */
CASE("rules", test_resolve_wildcard_several_addresses)
{
	t_local[5] = "198.51.100.7";
	resolve_refused(ARGS("--bind", "0.0.0.0", "1", "3", "4"), RESOLVE_BAD_INPUT,
	    "needs --advertise to say which of this host's 2 IPv4 addresses others reach it "
	    "at (192.0.2.2, 198.51.100.7)");
	resolve_ok(ARGS("--bind", "0.0.0.0", "--advertise", "198.51.100.7", "1", "3", "4"));
	assert_contact(&t_res.self, ct(1, "198.51.100.7", 50001));
}
END_TEST

/* A wildcard bind on a host with only loopback needs --advertise. */
CASE("rules", test_resolve_wildcard_no_address)
{
	t_local[2] = NULL;
	resolve_refused(ARGS("--bind", "0.0.0.0", "1", "3", "4"), RESOLVE_BAD_INPUT,
	    "--bind 0.0.0.0 needs --advertise: this host has no non-loopback IPv4 address");
	resolve_refused(ARGS("--bind", "::", "1", "3", "4"), RESOLVE_BAD_INPUT,
	    "no non-loopback IPv6 address");
}
END_TEST

/* The interfaces cannot be listed: the system refuses (1), not the user (2). */
CASE("rules", test_resolve_wildcard_interfaces_fail)
{
	t_local_fail = 1;
	resolve_refused(ARGS("--bind", "0.0.0.0", "1", "3", "4"), RESOLVE_SYSTEM,
	    "cannot list this host's addresses");
}
END_TEST

/* --advertise with a bound address: bind there, tell the others the advertised one. */
CASE("rules", test_resolve_advertise_with_bind)
{
	resolve_ok(ARGS("--bind", "192.0.2.2", "--advertise", "beta", "1", "3", "4"));
	assert_contact(&t_res.bind, ct(1, "192.0.2.2", 50001));
	assert_contact(&t_res.self, ct(1, "10.0.0.2", 50001));
	assert_contact(&t_res.succ2, ct(4, "10.0.0.2", 50004));
}
END_TEST

/* One ring, one family: any literal of the other family is refused at start. */
CASE("rules", test_resolve_family_mismatch_refused)
{
	resolve_refused(ARGS("--bind", "::1", "1", "3@127.0.0.1", "4"), RESOLVE_BAD_INPUT,
	    "successor '3@127.0.0.1' is IPv4, but this ring uses IPv6");
	resolve_refused(ARGS("1", "3", "4@[::1]:9"), RESOLVE_BAD_INPUT,
	    "successor '4@[::1]:9' is IPv6, but this ring uses IPv4");
	resolve_refused(ARGS("--bind", "0.0.0.0", "--advertise", "fd00::2", "1", "3", "4"),
	    RESOLVE_BAD_INPUT, "advertise address 'fd00::2' is IPv6");
	resolve_refused(ARGS("--bind", "10.0.0.1", "join", "1", "3@gamma6", "1"),
	    RESOLVE_BAD_INPUT, "known peer '3@gamma6'");
}
END_TEST

/* A name with both families takes the one the literals fix, else the resolver's first. */
CASE("rules", test_resolve_name_follows_family)
{
	resolve_ok(ARGS("--bind", "alpha", "1", "3", "4"));
	assert_contact(&t_res.self, ct(1, "fd00::1", 50001));
	resolve_ok(ARGS("--bind", "alpha", "1", "3@10.0.0.3", "4"));
	assert_contact(&t_res.self, ct(1, "10.0.0.1", 50001));
	resolve_ok(ARGS("--bind", "fd00::9", "1", "3@alpha", "4"));
	assert_contact(&t_res.succ1, ct(3, "fd00::1", 50003));
}
END_TEST

/* Names that do not resolve: 2; a resolver that cannot answer now: 1. */
CASE("rules", test_resolve_unknown_names)
{
	resolve_refused(ARGS("1", "3@nowhere", "4"), RESOLVE_BAD_INPUT,
	    "cannot resolve successor '3@nowhere': ");
	resolve_refused(ARGS("--bind", "nowhere", "1", "3", "4"), RESOLVE_BAD_INPUT,
	    "cannot resolve bind address 'nowhere'");
	resolve_refused(ARGS("--advertise", "nowhere", "1", "3", "4"), RESOLVE_BAD_INPUT,
	    "advertise address 'nowhere'");
	resolve_refused(ARGS("1", "3@flaky:9", "4"), RESOLVE_SYSTEM,
	    "cannot resolve successor '3@flaky:9' now");
	resolve_refused(ARGS("1", "3@any4", "4"), RESOLVE_BAD_INPUT, "not a usable address");
}
END_TEST

/* A successor or known peer at our own address and port is refused. */
CASE("rules", test_resolve_own_endpoint_refused)
{
	resolve_refused(ARGS("1", "3@127.0.0.1:50001", "4"), RESOLVE_BAD_INPUT,
	    "successor 3@127.0.0.1:50001 is at this peer's own address and port");
	resolve_refused(ARGS("join", "1", "2@127.0.0.1:50001", "1"), RESOLVE_BAD_INPUT,
	    "known peer 2@127.0.0.1:50001");
	resolve_refused(ARGS("1", "3@127.0.0.1:60000", "4@127.0.0.1:60000"), RESOLVE_BAD_INPUT,
	    "successors 3 and 4 are both at 127.0.0.1:60000");
}
END_TEST

/* A loopback self cannot have a peer on another host: it would answer to itself. */
CASE("rules", test_resolve_loopback_self_remote_peer_refused)
{
	resolve_refused(ARGS("1", "3@10.77.0.2", "4"), RESOLVE_BAD_INPUT,
	    "successor 3@10.77.0.2:50003 is on another host, but this peer would tell it to "
	    "answer at the loopback address of 127.0.0.1:50001");
	resolve_refused(ARGS("--bind", "::1", "join", "1", "3@[fd00::77]", "1"),
	    RESOLVE_BAD_INPUT, "known peer 3@[fd00::77]:50003 is on another host");
	/* One of our own addresses is not another host. */
	resolve_ok(ARGS("1", "3@192.0.2.2", "4@127.0.0.2"));
	/* When the interfaces cannot be listed, the peer is given the benefit of the doubt. */
	t_local_fail = 1;
	resolve_ok(ARGS("1", "3@10.77.0.2", "4"));
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("resolve", CASE_OPTS({ "rules", 0, setup, NULL }));
}
