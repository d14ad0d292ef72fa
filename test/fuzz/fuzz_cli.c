/* Fuzz target: cli_parse on any argv ends in a sentence or a configuration within SPEC §1's ranges. */
#include <string.h>

#include "cdht/cli.h"
#include "fuzz.h"

#define FUZZ_CLI_MAX_ARGS	64	/* arguments after "cdht" */
#define FUZZ_CLI_MAX_MS		86400000u	/* ms: the longest interval or timeout */
#define FUZZ_CLI_MAX_MSS	60000u	/* bytes: WIRE_MAX_MSS */

/* Is id a peer id (0..255)? */
static bool
fuzz_cli_id(int id)
{
	return id >= 0 && id <= 255;
}

/* Is ms a duration the command line may give (1 ms .. 1 day)? */
static bool
fuzz_cli_ms(uint32_t ms)
{
	return ms >= 1 && ms <= FUZZ_CLI_MAX_MS;
}

/* An accepted configuration: every field within its documented range. */
static void
fuzz_cli_check_config(const struct config *c)
{
	FUZZ_CHECK(c->form == CLI_CLASSIC || c->form == CLI_INIT || c->form == CLI_JOIN,
	    "form %d", (int)c->form);
	FUZZ_CHECK(fuzz_cli_id(c->id), "id %d", c->id);
	if (c->form == CLI_JOIN) {
		FUZZ_CHECK(fuzz_cli_id(c->known.id) && c->known.id != c->id, "known %d, id %d",
		    c->known.id, c->id);
	} else {
		FUZZ_CHECK(fuzz_cli_id(c->succ1.id) && fuzz_cli_id(c->succ2.id),
		    "successors %d %d", c->succ1.id, c->succ2.id);
		FUZZ_CHECK(c->succ1.id != c->id && c->succ2.id != c->id &&
		    c->succ1.id != c->succ2.id, "id %d, successors %d %d", c->id, c->succ1.id,
		    c->succ2.id);
	}
	FUZZ_CHECK(c->window >= 1 && c->window <= 256, "window %u", c->window);
	FUZZ_CHECK(c->replicas >= 1 && c->replicas <= 3, "replicas %u", c->replicas);
	FUZZ_CHECK(fuzz_cli_ms(c->ping_interval_ms), "ping interval %u ms", c->ping_interval_ms);
	FUZZ_CHECK(fuzz_cli_ms(c->ping_timeout_ms), "ping timeout %u ms", c->ping_timeout_ms);
	FUZZ_CHECK(fuzz_cli_ms(c->timeout_ms), "timeout %u ms", c->timeout_ms);
	FUZZ_CHECK(c->loss_threshold >= 1 && c->loss_threshold <= 100, "loss threshold %u",
	    c->loss_threshold);
	FUZZ_CHECK(c->base_port >= 1 && c->base_port + 255 <= 65535, "base port %u",
	    c->base_port);
	FUZZ_CHECK(c->mss >= 1 && c->mss <= FUZZ_CLI_MAX_MSS, "mss %u", c->mss);
	FUZZ_CHECK(c->drop >= 0.0 && c->drop <= 1.0, "drop %g", c->drop);
	FUZZ_CHECK(c->dialect == DIALECT_CLASSIC || c->dialect == DIALECT_P2P, "dialect %d",
	    (int)c->dialect);
	FUZZ_CHECK(memchr(c->bind_addr, '\0', sizeof c->bind_addr) != NULL &&
	    c->bind_addr[0] != '\0', "bind address not a string");
	FUZZ_CHECK(c->dir != NULL && c->dir[0] != '\0', "empty dir");
}

/* A refusal: one sentence, no newline, no "cdht: " prefix. */
static void
fuzz_cli_check_error(const char *err, size_t cap)
{
	size_t n = strnlen(err, cap);

	FUZZ_CHECK(n > 0 && n < cap, "error of %zu bytes", n);
	FUZZ_CHECK(strchr(err, '\n') == NULL, "error has a newline: '%s'", err);
	FUZZ_CHECK(strncmp(err, "cdht:", 5) != 0, "error has the prefix: '%s'", err);
}

/* Split buf (NUL-terminated, writable) at ' ' and '\n' into argv after "cdht"; argc. */
static int
fuzz_cli_split(char *buf, size_t len, char **argv)
{
	int	argc = 0;
	char	*start = buf;

	argv[argc++] = "cdht";
	for (size_t i = 0; i <= len && argc <= FUZZ_CLI_MAX_ARGS; i++) {
		if (i < len && buf[i] != ' ' && buf[i] != '\n')
			continue;
		buf[i] = '\0';
		argv[argc++] = start;
		start = buf + i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

/* One input: an argv, parsed three times (with room for the sentence, with none, with one byte). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf, *argv[FUZZ_CLI_MAX_ARGS + 2], *before[FUZZ_CLI_MAX_ARGS + 2];
	char		 err[256], tiny[1];
	struct config	 cfg, again;
	int		 argc, rc;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	FUZZ_CHECK(buf != NULL, "malloc");
	memcpy(buf, data, size);
	buf[size] = '\0';
	argc = fuzz_cli_split(buf, size, argv);
	memcpy(before, argv, sizeof argv);

	memset(err, 'X', sizeof err);
	rc = cli_parse(argc, argv, &cfg, err, sizeof err);
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_CHECK(memcmp(before, argv, (size_t)(argc + 1) * sizeof argv[0]) == 0,
	    "argv was permuted");
	if (rc == 0 && !cfg.help && !cfg.version)
		fuzz_cli_check_config(&cfg);
	if (rc == 0)
		FUZZ_CHECK(err[0] == '\0', "accepted with an error '%.*s'", 200, err);
	else
		fuzz_cli_check_error(err, sizeof err);

	/* The verdict does not depend on room for the sentence, or on an earlier parse. */
	FUZZ_CHECK(cli_parse(argc, argv, &again, NULL, 0) == rc, "verdict without err");
	FUZZ_CHECK(cli_parse(argc, argv, &again, tiny, sizeof tiny) == rc, "verdict, 1 byte");
	FUZZ_CHECK(tiny[0] == '\0', "a 1-byte err is not terminated");
	free(buf);
	return 0;
}
