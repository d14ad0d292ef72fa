/* The transfer logs (src/xferlog.c): each line is exactly what "%s %llu.%03u %u %u %u" prints. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "xferlog.h"

/* One line's fields. */
struct xferlog_case {
	enum xfer_log_event	ev;
	uint64_t		ms;
	uint32_t		seq, bytes, ack;
};

static const struct xferlog_case xferlog_cases[] = {
	{ XFER_LOG_SND, 0, 0, 0, 0 },
	{ XFER_LOG_RCV, 7, 1, 400, 0 },
	{ XFER_LOG_DROP, 999, 401, 400, 0 },
	{ XFER_LOG_RTX, 1000, 2096801, 352, 0 },
	{ XFER_LOG_SND, 1001, 0, 0, 2097153 },
	{ XFER_LOG_RCV, 123456789, UINT32_MAX, UINT32_MAX, UINT32_MAX },
	{ XFER_LOG_SND, UINT64_MAX, 10, 9, 100 },
};

/* dir/log.txt must hold exactly want; then the file and dir go. */
static void
expect_log_then_remove(const char *dir, const char *want)
{
	char	path[128], got[4096];
	size_t	n;
	FILE	*fp;

	snprintf(path, sizeof path, "%s/log.txt", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(got, 1, sizeof got - 1, fp);
	got[n] = '\0';
	fclose(fp);
	ck_assert_str_eq(got, want);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}

/*
 * Every event name, time (0, under a second, on and past a second, the largest) and 32-bit
 * extreme comes out as the printf format the logs were written with before.
 */
CASE("lines", test_xferlog_lines_match_printf)
{
	static const char *const names[] = { "snd", "rcv", "drop", "RTX" };
	char		dir[] = "/tmp/cdht-xferlog.XXXXXX", want[4096] = "";
	struct xferlog	l = { .dir = NULL, .name = "log.txt" };
	size_t		i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	l.dir = dir;
	for (i = 0; i < sizeof xferlog_cases / sizeof xferlog_cases[0]; i++) {
		const struct xferlog_case *c = &xferlog_cases[i];

		xferlog_write(&l, c->ev, c->ms, c->seq, c->bytes, c->ack);
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s %llu.%03u %u %u %u\n",
		    names[c->ev], (unsigned long long)(c->ms / 1000), (unsigned)(c->ms % 1000),
		    c->seq, c->bytes, c->ack);
	}
	xferlog_close(&l);
	expect_log_then_remove(dir, want);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("xferlog", NULL);
}
