/* Unit tests of the status snapshot's formats: the text and the JSON line (docs/STATUS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "cdht/status.h"


static const uint8_t lo[4] = { 127, 0, 0, 1 };

/* A contact of id on loopback at 50000 + id. */
static struct contact
c_of(int id)
{
	return contact_v4((uint8_t)id, lo, (uint16_t)(50000 + id));
}

/* A peer 8 that is up, successors 10 and 12, predecessor 5, nothing else. */
static void
base_snapshot(struct status_snapshot *s)
{
	memset(s, 0, sizeof *s);
	s->self = c_of(8);
	s->state = STATUS_UP;
	s->cfg.dialect = DIALECT_CLASSIC;
	s->cfg.mss = 400;
	s->cfg.drop = 0.1;
	s->cfg.window = STATUS_NONE;
	s->cfg.timeout_ms = 1000;
	s->cfg.replicas = STATUS_NONE;
	s->cfg.ping_interval_ms = 5000;
	s->cfg.ping_timeout_ms = 1000;
	s->cfg.loss_threshold = 3;
	s->succ[0] = (struct status_neighbour){ true, c_of(10), 120 };
	s->succ[1] = (struct status_neighbour){ true, c_of(12), STATUS_NONE };
	s->pred[0] = (struct status_neighbour){ true, c_of(5), 300 };
	s->counters = (struct status_counters){ 40, 39, 1, 0, 0, 123456 };
}

/* The JSON line of s (static buffer). */
static const char *
json_of(const struct status_snapshot *s)
{
	static char	buf[STATUS_TEXT_MAX];

	ck_assert_uint_gt(status_format_json(s, buf, sizeof buf), 0);
	return buf;
}

/* Does haystack contain needle? */
static void
has(const char *haystack, const char *needle)
{
	ck_assert_msg(strstr(haystack, needle) != NULL, "'%s' not in '%s'", needle, haystack);
}

CASE("format", test_status_json_up_peer)
{
	struct status_snapshot	s;
	const char		*j;

	base_snapshot(&s);
	j = json_of(&s);
	ck_assert_int_eq(j[0], '{');
	ck_assert_str_eq(j + strlen(j) - 2, "}\n");
	ck_assert_ptr_eq(strchr(j, '\n'), j + strlen(j) - 1);	/* one line */
	has(j, "{\"cdht\":1,\"id\":8,\"contact\":\"8@127.0.0.1:50008\",\"state\":\"up\"");
	has(j, "\"config\":{\"dialect\":\"classic\",\"transfer\":\"udp\",\"mss\":400,"
	    "\"drop\":0.1,\"window\":null,\"timeout\":\"1\",\"replicas\":null,"
	    "\"ping_interval_ms\":5000,\"ping_timeout_ms\":1000,\"loss_threshold\":3}");
	has(j, "\"successors\":[{\"id\":10,\"contact\":\"10@127.0.0.1:50010\","
	    "\"last_answer_ms\":120},{\"id\":12,\"contact\":\"12@127.0.0.1:50012\","
	    "\"last_answer_ms\":null}]");
	has(j, "\"third_successor\":null");
	has(j, "\"predecessors\":[{\"id\":5,\"contact\":\"5@127.0.0.1:50005\","
	    "\"last_seen_ms\":300},null]");
	has(j, "\"owns\":{\"from\":6,\"to\":8}");
	has(j, "\"files\":[],\"transfers\":[]");
	has(j, "\"counters\":{\"pings_sent\":40,\"pings_answered\":39,\"misses\":1,"
	    "\"repairs\":0,\"bytes_in\":0,\"bytes_out\":123456},\"last_command\":null}");
}
END_TEST

CASE("format", test_status_json_last_command)
{
	struct status_snapshot	s;
	const char		*j;

	base_snapshot(&s);
	s.last_command = (struct status_command){ true, false, "requset \"2012\"",
	    "unknown command 'requset'; try help" };
	j = json_of(&s);
	has(j, ",\"last_command\":{\"line\":\"requset \\\"2012\\\"\",\"ok\":false,"
	    "\"error\":\"unknown command 'requset'; try help\"}}\n");
	has(j, "\"state\":\"up\",\"repairing\":false,");
	s.repairing = true;
	has(json_of(&s), "\"state\":\"up\",\"repairing\":true,");
	s.last_command = (struct status_command){ true, true, "request 2012", "" };
	has(json_of(&s), ",\"last_command\":{\"line\":\"request 2012\",\"ok\":true,"
	    "\"error\":null}}\n");
}
END_TEST

CASE("format", test_status_json_every_state)
{
	static const struct { enum status_state st; const char *json, *text; } t[] = {
		{ STATUS_JOINING, "\"state\":\"joining\"", "State: joining;" },
		{ STATUS_UP, "\"state\":\"up\"", "State: in the ring;" },
		{ STATUS_LEAVING, "\"state\":\"leaving\"", "State: leaving;" },
		{ STATUS_STARTING, "\"state\":\"starting\"", "State: starting;" },
		{ STATUS_EXITING, "\"state\":\"exiting\"", "State: exiting;" },
	};
	struct status_snapshot	s;
	char			text[STATUS_TEXT_MAX];
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		base_snapshot(&s);
		s.state = t[i].st;
		has(json_of(&s), t[i].json);
		status_format_text(&s, text, sizeof text);
		has(text, t[i].text);
	}
}
END_TEST

CASE("format", test_status_json_no_predecessors)
{
	struct status_snapshot s;

	base_snapshot(&s);
	memset(s.pred, 0, sizeof s.pred);
	has(json_of(&s), "\"predecessors\":[null,null],\"owns\":null");
}
END_TEST

CASE("format", test_status_json_ring_of_two)
{
	struct status_snapshot s;

	/* Peer 3 and peer 250: 3's second successor is itself; it owns 251..3, wrapping. */
	base_snapshot(&s);
	s.self = c_of(3);
	s.succ[0] = (struct status_neighbour){ true, c_of(250), 10 };
	s.succ[1] = (struct status_neighbour){ true, c_of(3), STATUS_NONE };
	s.pred[0] = (struct status_neighbour){ true, c_of(250), 20 };
	has(json_of(&s), "{\"id\":3,\"contact\":\"3@127.0.0.1:50003\",\"last_answer_ms\":null}]");
	has(json_of(&s), "\"owns\":{\"from\":251,\"to\":3}");
}
END_TEST

CASE("format", test_status_json_unknown_successor_and_third)
{
	struct status_snapshot s;

	base_snapshot(&s);
	s.succ[1].known = false;
	s.third = (struct status_neighbour){ true, c_of(15), STATUS_NONE };
	has(json_of(&s), "\"last_answer_ms\":120},null]");
	has(json_of(&s), "\"third_successor\":{\"id\":15,\"contact\":\"15@127.0.0.1:50015\"}");
}
END_TEST

CASE("format", test_status_json_files_and_transfers)
{
	struct status_snapshot	s;
	struct status_transfer	t = { STATUS_SEND, STATUS_REQUEST, 2012, 1, false, 4000, 8000,
	    2000, 1000 };
	struct status_transfer	u = { STATUS_RECEIVE, STATUS_STORE, 7, 9, true, STATUS_NONE,
	    STATUS_NONE, STATUS_NONE, STATUS_NONE };
	const char		*j;

	base_snapshot(&s);
	s.files[0] = (struct status_file){ 2012, STATUS_OWN, 123456 };
	s.files[1] = (struct status_file){ 520, STATUS_OWNER, STATUS_NONE };
	s.nfiles = 2;
	ck_assert(status_add_transfer(&s, &t));
	ck_assert(status_add_transfer(&s, &u));
	j = json_of(&s);
	has(j, "\"files\":[{\"file\":\"2012\",\"key\":220,\"role\":\"own\",\"size\":123456},"
	    "{\"file\":\"0520\",\"key\":8,\"role\":\"owner\",\"size\":null}]");
	has(j, "{\"dir\":\"send\",\"kind\":\"request\",\"file\":\"2012\",\"peer\":1,"
	    "\"mode\":\"udp\",\"bytes\":4000,\"size\":8000,\"percent\":50.0,\"rate_bps\":2000,"
	    "\"eta_s\":2.0,\"rto_ms\":1000}");
	has(j, "{\"dir\":\"receive\",\"kind\":\"store\",\"file\":\"0007\",\"peer\":9,"
	    "\"mode\":\"tcp\",\"bytes\":null,\"size\":null,\"percent\":null,\"rate_bps\":null,"
	    "\"eta_s\":null,\"rto_ms\":null}");
}
END_TEST

CASE("format", test_status_transfers_are_bounded)
{
	struct status_snapshot	s;
	struct status_transfer	t = { 0 };
	size_t			i;

	base_snapshot(&s);
	for (i = 0; i < STATUS_MAX_TRANSFERS; i++)
		ck_assert(status_add_transfer(&s, &t));
	ck_assert(!status_add_transfer(&s, &t));
	ck_assert_uint_gt(strlen(json_of(&s)), 0);
}
END_TEST

CASE("format", test_status_json_escaping)
{
	char	buf[64];

	ck_assert_uint_eq(status_json_string("a\"b\\c", buf, sizeof buf), 9);
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\"");
	status_json_string("tab\there\nnl\x01", buf, sizeof buf);
	ck_assert_str_eq(buf, "\"tab\\u0009here\\nnl\\u0001\"");
	status_json_string("", buf, sizeof buf);
	ck_assert_str_eq(buf, "\"\"");
	ck_assert_uint_eq(status_json_string("toolong", buf, 5), 0);
}
END_TEST

CASE("format", test_status_json_too_small_buffer)
{
	struct status_snapshot	s;
	char			buf[100];

	base_snapshot(&s);
	ck_assert_uint_eq(status_format_json(&s, buf, sizeof buf), 0);
}
END_TEST

CASE("format", test_status_text_lines)
{
	struct status_snapshot	s;
	struct status_transfer	t = { 0 };
	char			text[STATUS_TEXT_MAX];

	base_snapshot(&s);
	s.files[0].file = 42;
	s.nfiles = 1;
	t.dir = STATUS_SEND;
	status_add_transfer(&s, &t);
	status_format_text(&s, text, sizeof text);
	ck_assert_str_eq(text,
	    "Peer: peer 8 at 127.0.0.1:50008\n"
	    "State: in the ring; classic dialect, udp transfer, mss 400, drop 0.1, timeout 1 s\n"
	    "First successor: peer 10 at 127.0.0.1:50010\n"
	    "Second successor: peer 12 at 127.0.0.1:50012\n"
	    "First predecessor: peer 5 at 127.0.0.1:50005\n"
	    "Second predecessor: unknown\n"
	    "Files: 0042 (own)\n"
	    "Transfers: 1 sending, 0 requested, 0 receiving\n"
	    "  request sending 0000 to peer 0 (udp): 0 of 0 bytes (100.0%), RTO 0 ms\n");
	s.nfiles = 0;
	status_format_text(&s, text, sizeof text);
	has(text, "Files: none\n");
}
END_TEST

/* The window, an auto timeout and a transfer's figures reach both formats. */
CASE("format", test_status_transfer_figures)
{
	struct status_snapshot	s;
	struct status_transfer	t = { STATUS_SEND, STATUS_REQUEST, 2012, 1, false, 1000, 4000,
	    500, 2 };
	struct status_transfer	r = { STATUS_RECEIVE, STATUS_REQUEST, 2013, 3, true,
	    STATUS_NONE, STATUS_NONE, STATUS_NONE, STATUS_NONE };
	char			text[STATUS_TEXT_MAX];

	base_snapshot(&s);
	s.cfg.window = 32;
	s.cfg.timeout_ms = 0;
	status_add_transfer(&s, &t);
	status_add_transfer(&s, &r);
	status_format_text(&s, text, sizeof text);
	has(text, "drop 0.1, window 32, timeout auto\n");
	has(text, "  request sending 2012 to peer 1 (udp): 1000 of 4000 bytes (25.0%), 2000 B/s, "
	    "1.5 s left, RTO 2 ms\n");
	has(text, "  request receiving 2013 from peer 3 (tcp): ? bytes, size not known yet\n");
	status_format_json(&s, text, sizeof text);
	has(text, "\"window\":32,\"timeout\":\"auto\"");
	has(text, "\"bytes\":1000,\"size\":4000,\"percent\":25.0,\"rate_bps\":2000,"
	    "\"eta_s\":1.5,\"rto_ms\":2}");
}
END_TEST

CASE("format", test_status_text_counts_each_direction)
{
	struct status_snapshot	s;
	struct status_transfer	t[] = {
		{ STATUS_SEND, STATUS_REQUEST, 2012, 1, false, 1, 4, 1, 2 },
		{ STATUS_SEND, STATUS_REPLICA_COPY, 7, 10, true, 1, 4, 1, 2 },
		{ STATUS_RECEIVE, STATUS_REQUEST, 2013, 3, true, 1, 4, 1, 2 },
		{ STATUS_RECEIVE, STATUS_STORE, 7, 9, true, 1, 4, 1, 2 },
		{ STATUS_RECEIVE, STATUS_HANDOFF, 8, 5, true, 1, 4, 1, 2 },
		{ STATUS_RECEIVE, STATUS_REPLICA_COPY, 9, 5, true, 1, 4, 1, 2 },
	};
	char			text[STATUS_TEXT_MAX];

	base_snapshot(&s);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert(status_add_transfer(&s, &t[i]));
	status_format_text(&s, text, sizeof text);
	has(text, "Transfers: 2 sending, 1 requested, 3 receiving\n");
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("status", NULL);
}
