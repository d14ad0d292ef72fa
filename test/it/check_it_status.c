/* Scenario tests of `status --json` (docs/STATUS.md), quitting and command feedback. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL	"400 0 --ping-interval 0.2 --quiet-pings"
#define SIZE	5000	/* bytes of the file moved */

static const int small_ids[] = { 1, 3, 4 };
#define NSMALL	3

/* Where the JSON line is awaited. */
struct json_wait {
	struct it_peer	*p;
	size_t		 mark;
	char		 line[16384];
};

/* True once a line after the mark is a status object; copies it. */
static bool
json_seen(void *arg)
{
	struct json_wait	*w = arg;
	size_t			 n;
	char			**lines = it_lines(w->p, IT_OUT, w->mark, &n);
	bool			 found = false;

	for (size_t i = 0; i < n && !found; i++)
		if (strncmp(lines[i], "{\"cdht\":1,", 10) == 0) {
			snprintf(w->line, sizeof w->line, "%s", lines[i]);
			found = true;
		}
	it_free_lines(lines);
	return found;
}

/* Ask p for `status --json`; its one line (static until the next call). */
static const char *
status_json(struct it_peer *p)
{
	static struct json_wait	w;
	size_t			m = it_mark(p, IT_OUT);

	w.p = p;
	w.mark = m;
	it_send(p, "status --json");
	it_wait_until(json_seen, &w, IT_DEADLINE_MS, "a status --json line");
	/* One line and nothing else: the object ends the line it starts. */
	IT_ASSERT(w.line[strlen(w.line) - 1] == '}', "the JSON line is whole: %s", w.line);
	return w.line;
}

/* Fail unless the JSON line holds part. */
static void
expect_has(const char *json, const char *part)
{
	IT_ASSERT(strstr(json, part) != NULL, "'%s' is not in %s", part, json);
}

/* The JSON of ids[i] once it knows both predecessors. */
static const char *
settled_json(struct it_peer *p, int pred1)
{
	int64_t	t0 = it_now_ms();

	for (;;) {
		const char *j = status_json(p);

		if (strstr(j, it_s("\"predecessors\":[{\"id\":%d,", pred1)) != NULL &&
		    strstr(j, "null]") == NULL)
			return j;
		IT_ASSERT(it_now_ms() - t0 < IT_DEADLINE_MS, "predecessors never known: %s", j);
	}
}

IT_CASE(test_status_json_of_a_ring)
{
	struct it_peer	*p[NSMALL];
	const char	*j;

	it_ring(p, small_ids, NSMALL, IT_CLASSIC, TAIL);
	j = settled_json(p[0], 4);
	expect_has(j, it_s("{\"cdht\":1,\"id\":1,\"contact\":\"1@127.0.0.1:%d\",\"state\":\"up\"",
	    it_base() + 1));
	expect_has(j, "\"config\":{\"dialect\":\"classic\",\"transfer\":\"udp\",\"mss\":400,");
	expect_has(j, it_s("\"successors\":[{\"id\":3,\"contact\":\"3@127.0.0.1:%d\"",
	    it_base() + 3));
	expect_has(j, it_s("{\"id\":4,\"contact\":\"4@127.0.0.1:%d\",\"last_answer_ms\":",
	    it_base() + 4));
	expect_has(j, "\"owns\":{\"from\":5,\"to\":1}");
	expect_has(j, "\"files\":[]");
	expect_has(j, "\"counters\":{\"pings_sent\":");
	/* status and help stay on stdout; nothing on stderr. */
	it_expect_empty(p[0], IT_ERR, 0);
}
END_TEST

IT_CASE(test_status_json_counts_a_transfer)
{
	struct it_peer	*p[NSMALL];
	size_t		 m;

	/* 2052 has key 4, which peer 4 owns. */
	it_put_file(4, "2052.pdf", SIZE, 52);
	it_ring(p, small_ids, NSMALL, IT_CLASSIC, TAIL);
	m = it_mark(p[0], IT_OUT);
	it_send(p[0], "request 2052");
	it_wait_line(p[0], IT_OUT, m, 1, "The file is received.", IT_DEADLINE_MS);
	it_wait_line(p[2], IT_OUT, 0, 1, "The file is sent.", IT_DEADLINE_MS);
	expect_has(status_json(p[0]), it_s("\"bytes_in\":%d,", SIZE));
	expect_has(status_json(p[0]), "\"transfers\":[]");
	expect_has(status_json(p[2]), it_s("\"bytes_out\":%d}", SIZE));
	expect_has(status_json(p[2]), it_s("\"files\":[{\"file\":\"2052\",\"key\":4,"
	    "\"role\":\"own\",\"size\":%d}]", SIZE));
}
END_TEST

IT_CASE(test_status_json_names_a_stored_file_owner)
{
	struct it_peer	*p[NSMALL];

	/* 1028 has key 4: stored from 1, it lands on 4, which holds it as the owner. */
	it_put_file(1, "1028.pdf", SIZE, 28);
	it_ring(p, small_ids, NSMALL, IT_P2P, "0.2 --quiet-pings");
	it_send(p[0], "store 1028");
	it_wait_line(p[2], IT_OUT, 0, 1, "Store 1028 request accepted", IT_DEADLINE_MS);
	it_wait_file_equal(it_s("%s/1028.pdf", it_peer_dir(4)),
	    it_s("%s/1028.pdf", it_peer_dir(1)), IT_DEADLINE_MS);
	expect_has(status_json(p[2]), it_s("{\"file\":\"1028\",\"key\":4,\"role\":\"owner\","
	    "\"size\":%d}", SIZE));
	expect_has(status_json(p[0]), it_s("{\"file\":\"1028\",\"key\":4,\"role\":\"own\","
	    "\"size\":%d}", SIZE));
}
END_TEST

IT_CASE(test_status_quit_says_it_left)
{
	struct it_peer	*p[NSMALL];

	it_ring(p, small_ids, NSMALL, IT_CLASSIC, TAIL);
	settled_json(p[1], 1);
	it_send(p[1], "quit");
	it_expect_exit(p[1], 0, IT_DEADLINE_MS);
	it_expect_exactly(p[1], IT_ERR, 0, "cdht: left the ring", NULL);
}
END_TEST

IT_CASE(test_status_mistyped_command_gets_a_suggestion)
{
	struct it_peer	*p[NSMALL];
	const char	*hint = "cdht: unknown command 'requset'; did you mean 'request 2012'? "
	    "try help";
	size_t		 m;

	it_ring(p, small_ids, NSMALL, IT_CLASSIC, TAIL);
	it_send(p[0], "requset 2012");
	it_wait_line(p[0], IT_ERR, 0, 1, hint, IT_DEADLINE_MS);
	it_expect_exactly(p[0], IT_ERR, 0, hint, NULL);
	it_expect_empty(p[0], IT_OUT, 0);
	m = it_mark(p[0], IT_OUT);
	it_send(p[0], "help");
	it_wait_line(p[0], IT_OUT, m, 1,
	    "  status --json   the same as one line of JSON (docs/STATUS.md)", IT_DEADLINE_MS);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "status");
}
