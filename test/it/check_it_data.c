/*
 * Scenario tests of data that survives (issue 10, docs/REPLICATION.md): every stored file is
 * held by its owner and the owner's next N - 1 successors, handed off on a quit or a join,
 * restored after a death, and requested byte for byte from a third peer afterwards.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdht/place.h"
#include "harness.h"
#include "harness_data.h"

/* The classic ids in the p2p form: 0007 (key 7) is owned by 8 and held by 8, 10, 12. */
static const int	ids[] = { 1, 3, 4, 5, 8, 10, 12, 15 };
#define NIDS		(sizeof ids / sizeof ids[0])
/* Generous detection budgets: a loaded 2-core machine must not make live peers dead. */
#define TAIL		"0.2 --quiet-pings --ping-timeout 0.5"
#define REF		200	/* a directory no peer uses: the reference copies */
#define REPAIR_MS	20000	/* detection, repair and a copy, with room for a slow machine */

/* Put file (size bytes) at peer `at` and a reference copy aside; the reference's path. */
static const char *
put(int at, const char *file, size_t size, uint64_t seed)
{
	static char	refs[8][4096];
	static size_t	next;
	const char	*name = it_s("%s.pdf", file);
	char		*ref = refs[next++ % 8];

	it_put_file(at, name, size, seed);
	snprintf(ref, sizeof refs[0], "%s", it_put_file(REF, name, size, seed));
	return ref;
}

/* `store file` at p, and wait until the owner accepted it and the n holders have it. */
static void
store_everywhere(struct it_peer **p, int at, const char *file, const char *want,
    const int *holders, size_t n)
{
	size_t i;

	it_send(p[it_index(ids, NIDS, at)], "store %s", file);
	it_wait_line(p[it_index(ids, NIDS, holders[0])], IT_OUT, 0, 1,
	    it_s("Store %s request accepted", file), IT_DEADLINE_MS);
	for (i = 0; i < n; i++)
		data_wait_copy(holders[i], file, want, REPAIR_MS);
}

/* The ring with 0007 stored at 1 and held by 8, 10, 12; the reference copy's path. */
static const char *
ring_with_0007(struct it_peer **p)
{
	static const int	holders[] = { 8, 10, 12 };
	const char		*want = put(1, "0007", 200000, 7);

	it_ring(p, ids, NIDS, IT_P2P, TAIL);
	store_everywhere(p, 1, "0007", want, holders, 3);
	return want;
}

/*
 * Has 10 or 12 (p[5], p[6]) reported the copy that restored three holders? 10 sees 8's death
 * as its predecessor changing to 5, so its batch may be named "hand-off to peer 5" rather than
 * "repair after peer 8" (which trigger names it is a race; the copy is what matters).
 */
static bool
repair_reported(void *arg)
{
	struct it_peer **p = arg;

	return it_contains(p[5], IT_ERR, "repair after peer 8: 1 copies") ||
	    it_contains(p[6], IT_ERR, "repair after peer 8: 1 copies") ||
	    it_contains(p[5], IT_ERR, "hand-off to peer 5: 1 copies");
}

IT_CASE(test_data_kill_owner)
{
	struct it_peer	*p[NIDS];
	const char	*want = ring_with_0007(p);

	data_wait_err(p[4], "cdht: replication of 0007: ", REPAIR_MS);
	IT_ASSERT(data_status_has(p[4], "{\"file\":\"0007\",\"key\":7,\"role\":\"owner\""),
	    "8 says it owns 0007");
	IT_ASSERT(data_status_has(p[6], "{\"file\":\"0007\",\"key\":7,\"role\":\"replica\""),
	    "12 says it holds a replica of 0007");
	it_signal(p[4], SIGKILL);			/* 8 */
	it_wait_line(p[3], IT_OUT, 0, 1, "Peer 8 is no longer alive", REPAIR_MS);
	data_wait_copy(15, "0007", want, REPAIR_MS);	/* 10 owns key 7 now: 10 12 15 */
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	it_wait_line(p[5], IT_OUT, 0, 1, "The file has been sent", IT_DEADLINE_MS);
	/*
	 * 10 (the new owner) and 12 both offer it to 15; whichever 15 takes reports the repair,
	 * once its batch has settled (it may come a moment after the copy is in place).
	 */
	it_wait_until(repair_reported, p, REPAIR_MS, "10 or 12 reporting the repair after 8");

}
END_TEST

IT_CASE(test_data_quit_owner)
{
	struct it_peer	*p[NIDS];
	const char	*want = ring_with_0007(p);

	it_send(p[4], "quit");
	it_expect_exit(p[4], 0, REPAIR_MS);
	IT_ASSERT(!it_contains(p[4], IT_ERR, "not handed over"), "8 handed everything over");
	data_wait_copy(15, "0007", want, IT_DEADLINE_MS);
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	it_wait_line(p[5], IT_OUT, 0, 1, "The file has been sent", IT_DEADLINE_MS);
}
END_TEST

IT_CASE(test_data_join_new_owner)
{
	struct it_peer	*p[NIDS], *j;
	const char	*want = ring_with_0007(p);

	j = it_start(7, "join 7 4 %s", TAIL);
	data_wait_copy(7, "0007", want, REPAIR_MS);	/* holders 7 8 10 */
	data_wait_gone(12, "0007", REPAIR_MS);		/* 12's copy goes once 7 8 10 have it */
	IT_ASSERT(data_has_copy(8, "0007", want) && data_has_copy(10, "0007", want),
	    "8 and 10 keep their copies");
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	IT_ASSERT(it_contains(p[1], IT_OUT, "Peer 7 had File 0007"), "the new owner answers");
	it_expect_alive(j);
}
END_TEST

IT_CASE(test_data_kill_successor_then_owner)
{
	struct it_peer	*p[NIDS];
	const char	*want = ring_with_0007(p);

	it_signal(p[5], SIGKILL);			/* 10: holders 8 12 15 */
	data_wait_copy(15, "0007", want, REPAIR_MS);
	it_signal(p[4], SIGKILL);			/* 8: holders 12 15 1 */
	data_wait_copy(1, "0007", want, REPAIR_MS);
	it_wait_line(p[3], IT_OUT, 0, 1, "Peer 8 is no longer alive", REPAIR_MS);
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	IT_ASSERT(it_contains(p[1], IT_OUT, "Peer 12 had File 0007"), "12 owns key 7 now");
}
END_TEST

IT_CASE(test_data_store_during_repair)
{
	static const int	holders[] = { 10, 12, 15 };
	struct it_peer		*p[NIDS];
	const char		*want = put(1, "0007", 100000, 77);
	size_t			 i;

	it_ring(p, ids, NIDS, IT_P2P, TAIL);
	it_signal(p[4], SIGKILL);			/* 8, the owner of key 7, dies */
	it_send(p[0], "store 0007");			/* at once, before anyone noticed */
	it_wait_line(p[5], IT_OUT, 0, 1, "Store 0007 request accepted", REPAIR_MS + 30000);
	for (i = 0; i < 3; i++)
		data_wait_copy(holders[i], "0007", want, REPAIR_MS);
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	IT_ASSERT(it_count(p[0], IT_OUT, 0, "Store 0007 request forwarded to my successor") <= 1,
	    "a retried store prints nothing more at its origin");
}
END_TEST

IT_CASE(test_data_replicas_1_as_before)
{
	struct it_peer	*p[NIDS];
	const char	*want = put(1, "0007", 50000, 1);
	size_t		 i, m;

	it_ring(p, ids, NIDS, IT_P2P, TAIL " --replicas 1");
	it_send(p[0], "store 0007");
	it_wait_line(p[4], IT_OUT, 0, 1, "Store 0007 request accepted", IT_DEADLINE_MS);
	data_wait_copy(8, "0007", want, IT_DEADLINE_MS);
	data_request_ok(p[1], "0007", want, REPAIR_MS);
	for (i = 0; i < NIDS; i++) {
		IT_ASSERT(data_manifests(ids[i]) == 0, "no manifest at %d", ids[i]);
		IT_ASSERT(ids[i] == 8 || ids[i] == 1 || !it_file_exists(data_copy(ids[i], "0007")),
		    "no copy at %d", ids[i]);
	}
	it_signal(p[4], SIGKILL);
	it_wait_line(p[3], IT_OUT, 0, 1, "Peer 8 is no longer alive", REPAIR_MS);
	m = it_mark(p[1], IT_OUT);
	it_send(p[1], "request 0007");
	it_wait_line(p[1], IT_OUT, m, 1, "File 0007 is not available in the network",
	    IT_DEADLINE_MS);
	for (i = 0; i < NIDS; i++)
		IT_ASSERT(!it_contains(p[i], IT_ERR, "MB sent"), "no replication at %d", ids[i]);
}
END_TEST

/* Has the peer offered its copies back, with no byte sent (every holder had them)? */
static bool
restart_moved_nothing(void *arg)
{
	return it_contains(arg, IT_ERR, "restart: 0 copies, 0.0 MB sent");
}

IT_CASE(test_data_full_restart)
{
	static const int	holders7[] = { 8, 10, 12 }, holders260[] = { 4, 5, 8 };
	struct it_peer		*p[NIDS];
	const char		*want7 = put(1, "0007", 30000, 7);
	const char		*want260 = put(3, "0260", 40000, 260);
	size_t			 i;

	it_ring(p, ids, NIDS, IT_P2P, TAIL);
	store_everywhere(p, 1, "0007", want7, holders7, 3);
	store_everywhere(p, 3, "0260", want260, holders260, 3);
	usleep(1500 * 1000);	/* the manifests are written at most once a second */
	for (i = 0; i < NIDS; i++)
		it_signal(p[i], SIGKILL);
	for (i = 0; i < NIDS; i++)
		it_wait_exit(p[i], IT_DEADLINE_MS);
	for (i = 0; i < NIDS; i++)
		p[i] = it_start(ids[i], "init %d %d %d %s --dir %s", ids[i],
		    it_succ(ids, NIDS, i, 1), it_succ(ids, NIDS, i, 2), TAIL, it_peer_dir(ids[i]));
	it_wait_all_listening(p, NIDS, IT_DEADLINE_MS);
	data_request_ok(p[1], "0007", want7, REPAIR_MS);
	data_request_ok(p[6], "0260", want260, REPAIR_MS);
	it_wait_until(restart_moved_nothing, p[4], REPAIR_MS, "8 offered its copies back");
}
END_TEST

/*
 * Fail if file in dir ever differs from want during ms (a "stays so" check, not a wait). The
 * same inode, size and mtime too: a replacement with equal bytes is a write all the same. Each
 * failure says which: vanished (and whether the reference went too: a temporary directory
 * swept from outside), replaced, or changed.
 */
static void
stays_equal(const char *path, const char *want, int ms)
{
	int64_t		end = it_now_ms() + ms;
	char		why[256];
	struct stat	s0, s;

	if (stat(path, &s0) != 0)
		it_fail("%s missing at the start: %s", path, strerror(errno));
	while (it_now_ms() < end) {
		if (stat(path, &s) != 0)
			it_fail("%s vanished (%s); the reference %s", path, strerror(errno),
			    it_file_exists(want) ? "is still there" : "went too (a sweep of /tmp?)");
		if (s.st_ino != s0.st_ino || s.st_size != s0.st_size ||
		    s.st_mtim.tv_sec != s0.st_mtim.tv_sec || s.st_mtim.tv_nsec != s0.st_mtim.tv_nsec)
			it_fail("%s replaced or rewritten in a shared directory (inode %ju -> %ju, "
			    "size %jd -> %jd)", path, (uintmax_t)s0.st_ino, (uintmax_t)s.st_ino,
			    (intmax_t)s0.st_size, (intmax_t)s.st_size);
		if (it_files_differ(path, want, why, sizeof why) != 0)
			it_fail("%s changed in a shared directory: %s", path, why);
		usleep(50 * 1000);
	}
}

IT_CASE(test_data_shared_directory_loses_nothing)
{
	struct it_peer	*p[NIDS], *j;
	const char	*want7 = put(REF, "0007", 20000, 7);
	const char	*want2012 = put(REF, "2012", 30000, 2012);
	char		 shared[4096];
	size_t		 i;

	snprintf(shared, sizeof shared, "%s", it_peer_dir(100));

	it_put_file(100, "0007.pdf", 20000, 7);
	it_put_file(100, "2012.pdf", 30000, 2012);
	for (i = 0; i < NIDS; i++)
		p[i] = it_start(ids[i], "init %d %d %d %s --dir %s", ids[i],
		    it_succ(ids, NIDS, i, 1), it_succ(ids, NIDS, i, 2), TAIL, shared);
	it_wait_all_listening(p, NIDS, IT_DEADLINE_MS);
	it_send(p[0], "store 0007");
	it_wait_line(p[4], IT_OUT, 0, 1, "Store 0007 request accepted", IT_DEADLINE_MS);
	j = it_start(7, "join 7 4 %s --dir %s", TAIL, shared);
	it_wait_line(j, IT_OUT, 0, 1, "Join request has been accepted", IT_DEADLINE_MS);
	it_signal(p[5], SIGKILL);			/* 10 */
	it_wait_line(p[4], IT_OUT, 0, 1, "Peer 10 is no longer alive", REPAIR_MS);
	/* Longer than the three detection budgets a deletion would wait for. */
	stays_equal(it_s("%s/0007.pdf", shared), want7, 9000);
	it_expect_files_equal(it_s("%s/2012.pdf", shared), want2012);
	data_request_ok_in(p[1], shared, "0007", want7, REPAIR_MS);
	it_expect_alive(j);
}
END_TEST

IT_CASE(test_data_store_keeps_owners_own_file)
{
	struct it_peer	*p[NIDS];
	char		 mine[4096];

	put(1, "0007", 30000, 7);		/* what 1 stores */
	/* 8 (the owner of key 7) has a different 0007.pdf of its own: a user's file. */
	it_put_file(8, "0007.pdf", 20000, 99);
	snprintf(mine, sizeof mine, "%s", it_put_file(REF, "mine.pdf", 20000, 99));
	it_ring(p, ids, NIDS, IT_P2P, TAIL);
	it_send(p[0], "store 0007");
	it_wait_line(p[4], IT_OUT, 0, 1, "Store 0007 request accepted", IT_DEADLINE_MS);
	data_wait_err(p[4], "cdht: store 0007: kept this directory's own 0007.pdf, which differs",
	    IT_DEADLINE_MS);
	it_expect_files_equal(data_copy(8, "0007"), mine);
	/* The ring holds the owner's version: 10 and 12 get 8's own file. */
	data_wait_copy(10, "0007", mine, REPAIR_MS);
	data_wait_copy(12, "0007", mine, REPAIR_MS);
}
END_TEST

/* From the puppet as peer `as` to peer 10: an offer of file (bytes NULL), or a copy of it. */
static void
hold_to_10(int as, int port, int file, uint32_t size, uint64_t sum, const char *bytes)
{
	struct wire_msg m;

	memset(&m, 0, sizeof m);
	m.type = bytes == NULL ? WIRE_HOLD_OFFER : WIRE_HOLD_DATA;
	m.u.hold.file = (uint16_t)file;
	m.u.hold.intent = bytes == NULL;
	m.u.hold.size = size;
	m.u.hold.gen = 5;
	m.u.hold.sum = sum;
	data_puppet_send(as, port, 10, &m, bytes, bytes == NULL ? 0 : size);
}

/* An offer of a file to peer 10 from the puppet. */
static void
offer(int as, int port, int file, uint32_t size, uint64_t sum)
{
	hold_to_10(as, port, file, size, sum, NULL);
}

IT_CASE(test_data_bad_offers_refused)
{
	struct it_peer	*p[NIDS];
	const char	*want = ring_with_0007(p);
	struct wire_msg	 a;
	int		 port = it_base() + 199, lfd;
	static const char bytes[10] = "0123456789";

	/* A stranger offers 0007 to 10: refused, 10's copy untouched. */
	offer(99, port, 7, 10, 1);
	it_wait_line(p[5], IT_ERR, 0, 1, "cdht: refused 0007 from peer 99: not a ring neighbour",
	    IT_DEADLINE_MS);
	/* Bytes nobody asked for: refused, nothing written. */
	hold_to_10(4, port, 7, sizeof bytes, 1, bytes);
	it_wait_line(p[5], IT_ERR, 0, 1, "cdht: refused a copy of 0007 from peer 4: not asked for",
	    IT_DEADLINE_MS);
	/* Its predecessor's offer of a key 10 owns (0009), then bytes of another checksum. */
	lfd = data_puppet_listen(port);
	offer(8, port, 9, sizeof bytes, 12345);
	data_puppet_read(lfd, &a, IT_DEADLINE_MS);
	IT_ASSERT(a.type == WIRE_HOLD_ANSWER && a.u.hold_answer.status == 1, "10 wants 0009");
	hold_to_10(8, port, 9, sizeof bytes, 12345, bytes);
	data_puppet_read(lfd, &a, IT_DEADLINE_MS);
	IT_ASSERT(a.type == WIRE_HOLD_ANSWER && a.u.hold_answer.status == 8,
	    "10 says bad copy (%u)", a.u.hold_answer.status);
	close(lfd);
	it_wait_line(p[5], IT_ERR, 0, 1,
	    "cdht: refused 0009 from peer 8: the bytes do not match the offer", IT_DEADLINE_MS);
	IT_ASSERT(!it_file_exists(data_copy(10, "0009")), "no 0009.pdf at 10");
	it_expect_files_equal(data_copy(10, "0007"), want);
	it_expect_alive(p[5]);
}
END_TEST

/*
 * A stale or doctored manifest cannot make a user's file a ring copy (found by review): 10's
 * directory holds the user's 0009.pdf with an old change time, and a manifest line calling it
 * a replica of other bytes. 10's predecessor offers 0009 and sends its bytes: the user's file
 * is refused as such and stays as it was.
 */
IT_CASE(test_data_stale_manifest_keeps_user_file)
{
	struct it_peer		*p[NIDS];
	const char		*mine = put(10, "0009", 10, 99);
	static const char	 bytes[10] = "0123456789";
	const struct timespec	 old[2] = { { 1577836800, 0 }, { 1577836800, 0 } };
	struct place_file	 entry;
	struct place_sum	 sum;
	struct wire_msg		 a;
	char			 manifest[4096], dir[4096], *slash;
	int			 port, lfd;
	int64_t			 t0;
	FILE			*f;

	snprintf(dir, sizeof dir, "%s", data_copy(10, "0009"));
	slash = strrchr(dir, '/');
	*slash = '\0';
	IT_ASSERT(utimensat(AT_FDCWD, data_copy(10, "0009"), old, 0) == 0, "old mtime");
	place_file_init(&entry, 9, 1, sizeof bytes, 1, PLACE_SRC_RING);
	place_manifest_format(&entry, 1, manifest, sizeof manifest);
	IT_ASSERT((f = fopen(it_s("%s/cdht-10.manifest", dir), "w")) != NULL, "manifest");
	fputs(manifest, f);
	fclose(f);
	it_ring(p, ids, NIDS, IT_P2P, TAIL);
	t0 = it_now_ms();
	while (!data_status_has(p[5], "\"predecessors\":[{\"id\":8,"))
		IT_ASSERT(it_now_ms() - t0 < IT_DEADLINE_MS, "10 never knew 8 as its predecessor");
	port = it_base() + 199;
	lfd = data_puppet_listen(port);
	place_sum_init(&sum);
	place_sum_update(&sum, bytes, sizeof bytes);
	offer(8, port, 9, sizeof bytes, place_sum_final(&sum));
	data_puppet_read(lfd, &a, IT_DEADLINE_MS);
	IT_ASSERT(a.type == WIRE_HOLD_ANSWER && a.u.hold_answer.status == PLACE_ST_USER_FILE,
	    "10 says 0009 is the user's own (%u)", a.u.hold_answer.status);
	close(lfd);
	hold_to_10(8, port, 9, sizeof bytes, place_sum_final(&sum), bytes);
	it_wait_line(p[5], IT_ERR, 0, 1, "cdht: refused a copy of 0009 from peer 8: not asked for",
	    IT_DEADLINE_MS);
	it_expect_files_equal(data_copy(10, "0009"), mine);
	it_expect_alive(p[5]);
}
END_TEST

/* ---- churn: a ring of 10 holding 20 files through 20 kills, quits and joins */

#define CHURN_FILES	20
#define CHURN_EVENTS	20

struct churn {
	struct it_peer	*proc[256];
	bool		 live[256];
	int		 file[CHURN_FILES];
	char		 want[CHURN_FILES][4096];
	uint64_t	 rng;
};

static uint64_t
churn_rand(struct churn *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* The live ids, ascending; how many. */
static size_t
churn_ids(const struct churn *c, int *out)
{
	size_t	n = 0;
	int	id;

	for (id = 0; id < 256; id++)
		if (c->live[id])
			out[n++] = id;
	return n;
}

/* Do the three holders of every file (by the live ring) have it? Else say who lacks what. */
static bool
churn_lacks(struct churn *c, char *why, size_t cap)
{
	int		 ids_now[256];
	size_t		 n = churn_ids(c, ids_now), i, k, o;

	for (i = 0; i < CHURN_FILES; i++) {
		o = it_index(ids_now, n, it_owner(ids_now, n, c->file[i] % 256));
		for (k = 0; k < 3; k++)
			if (!data_has_copy(ids_now[(o + k) % n], it_s("%04d", c->file[i]),
			    c->want[i])) {
				snprintf(why, cap, "peer %d lacks %04d (key %d)", ids_now[(o + k) % n],
				    c->file[i], c->file[i] % 256);
				return true;
			}
	}
	return false;
}

/* Wait until every file is on its three holders; fail saying who lacks what. */
static void
churn_wait(struct churn *c, const char *after)
{
	static char	what[512];
	char		why[256];
	int64_t		end = it_now_ms() + REPAIR_MS;

	snprintf(what, sizeof what, "%s", after);
	while (churn_lacks(c, why, sizeof why)) {
		if (it_now_ms() > end)
			it_fail("after %s: %s", what, why);
		usleep(20 * 1000);	/* polling the directories, as the harness waits do */
	}
}

/* A random live peer other than `not`. */
static int
churn_pick(struct churn *c, int not)
{
	int	ids_now[256];
	size_t	n = churn_ids(c, ids_now);
	int	id;

	do
		id = ids_now[churn_rand(c) % n];
	while (id == not);
	return id;
}

/* Wait until the two predecessors of `at` (in ids_now) name s as their successors. */
static void
churn_wait_preds(struct churn *c, const int *ids_now, size_t n, size_t at, int s,
    const size_t *mark)
{
	int	p1 = ids_now[(at + n - 1) % n], p2 = ids_now[(at + n - 2) % n];

	it_wait_line(c->proc[p1], IT_OUT, mark[0], 1, it_s("My new first successor is Peer %d", s),
	    REPAIR_MS);
	it_wait_line(c->proc[p2], IT_OUT, mark[1], 1, it_s("My new second successor is Peer %d",
	    s), REPAIR_MS);
}

/*
 * One kill, quit or join, waited for until both predecessors around it have repaired (so
 * never two ring-adjacent peers go within one repair window) and every file's holders have it.
 */
static void
churn_event(struct churn *c, int e)
{
	int	ids_now[256], id;
	size_t	n = churn_ids(c, ids_now), i, mark[2];
	int	kind = (int)(churn_rand(c) % 3);

	if (n <= 7)
		kind = 2;
	if (n >= 12)
		kind = (int)(churn_rand(c) % 2);
	if (kind == 2) {
		do
			id = (int)(churn_rand(c) % 250) + 1;
		while (c->live[id] || c->proc[id] != NULL);
		c->live[id] = true;
		n = churn_ids(c, ids_now);
		i = it_index(ids_now, n, id);
		mark[0] = it_mark(c->proc[ids_now[(i + n - 1) % n]], IT_OUT);
		mark[1] = it_mark(c->proc[ids_now[(i + n - 2) % n]], IT_OUT);
		c->proc[id] = it_start(id, "join %d %d %s", id, churn_pick(c, id), TAIL);
		it_wait_line(c->proc[id], IT_OUT, 0, 1, "Join request has been accepted",
		    REPAIR_MS);
		churn_wait_preds(c, ids_now, n, i, id, mark);
	} else {
		id = churn_pick(c, -1);
		i = it_index(ids_now, n, id);
		mark[0] = it_mark(c->proc[ids_now[(i + n - 1) % n]], IT_OUT);
		mark[1] = it_mark(c->proc[ids_now[(i + n - 2) % n]], IT_OUT);
		c->live[id] = false;
		if (kind == 0) {
			it_signal(c->proc[id], SIGKILL);
		} else {
			it_send(c->proc[id], "quit");
			it_expect_exit(c->proc[id], 0, REPAIR_MS);
		}
		churn_wait_preds(c, ids_now, n, i, ids_now[(i + 1) % n], mark);
	}
	churn_wait(c, it_s("event %d (%s %d)", e, kind == 0 ? "kill" : kind == 1 ? "quit" :
	    "join", id));
}

IT_CASE(test_data_churn_soak)
{
	static const int	start[] = { 2, 20, 40, 60, 90, 120, 150, 180, 210, 240 };
	static struct churn	c;
	struct it_peer		*p[10];
	size_t			 i;
	int			 e, at;

	memset(&c, 0, sizeof c);
	c.rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)it_base();
	it_ring(p, start, 10, IT_P2P, TAIL);
	for (i = 0; i < 10; i++) {
		c.proc[start[i]] = p[i];
		c.live[start[i]] = true;
	}
	for (i = 0; i < CHURN_FILES; i++) {
		c.file[i] = 1000 + (int)i * 397 % 9000;
		at = churn_pick(&c, -1);
		snprintf(c.want[i], sizeof c.want[i], "%s", put(at, it_s("%04d", c.file[i]),
		    1000 + churn_rand(&c) % 30000, (uint64_t)c.file[i]));
		it_send(c.proc[at], "store %04d", c.file[i]);
	}
	churn_wait(&c, "the stores");
	for (e = 0; e < CHURN_EVENTS; e++)
		churn_event(&c, e);
	for (i = 0; i < CHURN_FILES; i++)
		data_request_ok(c.proc[churn_pick(&c, -1)], it_s("%04d", c.file[i]), c.want[i],
		    IT_DEADLINE_MS);
}
END_TEST

/* Run the IT_CASE tests above (test/it/harness.h); the exit status is the failure count. */
int
main(int argc, char **argv)
{
	return it_main(argc, argv, "data");
}
