/* Scenario-test harness: waiting for output lines with deadlines, and expectations on them. */
#include "harness_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last few lines after mark, for a failure message. */
static const char *
it_recent(struct it_peer *p, enum it_stream s, size_t mark)
{
	static char	 out[1536];
	size_t		 n, off = 0;
	char		**v = it_lines(p, s, mark, &n);

	out[0] = '\0';
	for (size_t i = n > 8 ? n - 8 : 0; i < n && off < sizeof out; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, "\n    | %s", v[i]);
	if (n == 0)
		snprintf(out, sizeof out, " (none)");
	it_free_lines(v);
	return out;
}

void
it_wait_line(struct it_peer *p, enum it_stream s, size_t mark, size_t count, const char *line,
    int ms)
{
	int64_t	deadline = it_deadline(ms);
	size_t	c;

	for (;;) {
		bool ended = it_reap(p);

		if ((c = it_count(p, s, mark, line)) >= count)
			return;
		if (ended)
			it_fail("peer %s %s; wanted %zu x '%s' on %s after byte %zu, saw %zu; "
			    "last lines:%s", p->name, it_status_str(p->status), count, line,
			    it_stream_name(s), mark, c, it_recent(p, s, mark));
		if (it_now_ms() >= deadline)
			it_fail("peer %s: wanted %zu x '%s' on %s after byte %zu within %d ms, saw "
			    "%zu; last lines:%s", p->name, count, line, it_stream_name(s), mark,
			    ms, c, it_recent(p, s, mark));
		it_nap(IT_POLL_MS);
	}
}

/* Byte offset just past the first complete line equal to line at or after mark, or 0. */
static size_t
it_find(struct it_peer *p, enum it_stream s, size_t mark, const char *line)
{
	size_t	 len, i, found = 0, ll = strlen(line);
	char	*buf = it_slurp(it_stream_path(p, s), &len);

	for (i = mark < len ? mark : len; i < len && found == 0;) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;
		if ((size_t)(nl - (buf + i)) == ll && memcmp(buf + i, line, ll) == 0)
			found = (size_t)(nl - buf) + 1;
		i = (size_t)(nl - buf) + 1;
	}
	free(buf);
	return found;
}

size_t
it_wait_find(struct it_peer *p, enum it_stream s, size_t mark, const char *line, int ms)
{
	size_t at;

	it_wait_line(p, s, mark, 1, line, ms);
	at = it_find(p, s, mark, line);
	if (at == 0)
		it_fail("peer %s: line '%s' vanished", p->name, line);
	return at;
}

static bool
it_has_seq(char **v, size_t n, const char *const *want, size_t nw)
{
	for (size_t i = 0; i + nw <= n; i++) {
		size_t j = 0;

		while (j < nw && strcmp(v[i + j], want[j]) == 0)
			j++;
		if (j == nw)
			return true;
	}
	return false;
}

void
it_wait_seq(struct it_peer *p, enum it_stream s, size_t mark, int ms, ...)
{
	const char	*want[32];
	size_t		 nw = 0;
	int64_t		 deadline = it_deadline(ms);
	va_list		 ap;
	char		 desc[1536];
	size_t		 off = 0;

	va_start(ap, ms);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (nw < 32)
			want[nw++] = l;
	va_end(ap);
	desc[0] = '\0';
	for (size_t i = 0; i < nw && off < sizeof desc; i++)
		off += (size_t)snprintf(desc + off, sizeof desc - off, "\n    > %s", want[i]);
	for (;;) {
		bool	 ended = it_reap(p);
		size_t	 n;
		char	**v = it_lines(p, s, mark, &n);
		bool	 ok = it_has_seq(v, n, want, nw);

		it_free_lines(v);
		if (ok)
			return;
		if (ended)
			it_fail("peer %s %s without printing on %s (after byte %zu) the lines:%s\n"
			    "  last lines:%s", p->name, it_status_str(p->status), it_stream_name(s),
			    mark, desc, it_recent(p, s, mark));
		if (it_now_ms() >= deadline)
			it_fail("peer %s did not print on %s (after byte %zu) within %d ms the "
			    "lines:%s\n  last lines:%s", p->name, it_stream_name(s), mark, ms,
			    desc, it_recent(p, s, mark));
		it_nap(IT_POLL_MS);
	}
}

void
it_wait_nlines(struct it_peer *p, enum it_stream s, size_t mark, size_t n, int ms)
{
	int64_t	deadline = it_deadline(ms);

	for (;;) {
		bool	 ended = it_reap(p);
		size_t	 k;
		char	**v = it_lines(p, s, mark, &k);

		it_free_lines(v);
		if (k >= n)
			return;
		if (ended)
			it_fail("peer %s %s with %zu line(s) on %s after byte %zu, wanted %zu",
			    p->name, it_status_str(p->status), k, it_stream_name(s), mark, n);
		if (it_now_ms() >= deadline)
			it_fail("peer %s: %zu line(s) on %s after byte %zu within %d ms, wanted %zu",
			    p->name, k, it_stream_name(s), mark, ms, n);
		it_nap(IT_POLL_MS);
	}
}

void
it_expect_only_v(struct it_peer *p, enum it_stream s, size_t mark, const char *const *allowed,
    size_t na)
{
	size_t	 n;
	char	**v = it_lines(p, s, mark, &n);

	for (size_t i = 0; i < n; i++) {
		bool ok = false;

		for (size_t j = 0; !ok && j < na; j++)
			ok = strcmp(v[i], allowed[j]) == 0;
		if (!ok) {
			char bad[600];

			snprintf(bad, sizeof bad, "%s", v[i]);
			it_free_lines(v);
			it_fail("peer %s printed an unexpected line on %s: '%s'", p->name,
			    it_stream_name(s), bad);
		}
	}
	it_free_lines(v);
}

void
it_expect_only(struct it_peer *p, enum it_stream s, size_t mark, ...)
{
	const char	*allowed[64];
	size_t		 na = 0;
	va_list		 ap;

	va_start(ap, mark);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (na < 64)
			allowed[na++] = l;
	va_end(ap);
	it_expect_only_v(p, s, mark, allowed, na);
}

void
it_expect_exactly(struct it_peer *p, enum it_stream s, size_t mark, ...)
{
	const char	*want[64];
	size_t		 nw = 0, n;
	va_list		 ap;
	char		**v;

	va_start(ap, mark);
	for (const char *l; (l = va_arg(ap, const char *)) != NULL;)
		if (nw < 64)
			want[nw++] = l;
	va_end(ap);
	v = it_lines(p, s, mark, &n);
	for (size_t i = 0; i < n || i < nw; i++) {
		if (i < n && i < nw && strcmp(v[i], want[i]) == 0)
			continue;
		{
			char got[600];

			snprintf(got, sizeof got, "%s", i < n ? v[i] : "<end of output>");
			it_free_lines(v);
			it_fail("peer %s, %s line %zu after byte %zu: got '%s', expected '%s'",
			    p->name, it_stream_name(s), i + 1, mark, got,
			    i < nw ? want[i] : "<end of output>");
		}
	}
	it_free_lines(v);
}

void
it_expect_empty(struct it_peer *p, enum it_stream s, size_t mark)
{
	size_t	 len;
	char	*buf = it_slurp(it_stream_path(p, s), &len);

	if (len > mark) {
		char first[600];
		const char *nl = memchr(buf + mark, '\n', len - mark);
		size_t flen = nl ? (size_t)(nl - (buf + mark)) : len - mark;

		snprintf(first, sizeof first, "%.*s", (int)(flen < 500 ? flen : 500), buf + mark);
		free(buf);
		it_fail("peer %s printed on %s (expected nothing): '%s'", p->name,
		    it_stream_name(s), first);
	}
	free(buf);
}

void
it_wait_until(bool (*cond)(void *arg), void *arg, int ms, const char *what)
{
	int64_t deadline = it_deadline(ms);

	while (!cond(arg)) {
		if (it_now_ms() >= deadline)
			it_fail("not true within %d ms: %s", ms, what);
		it_nap(IT_POLL_MS);
	}
}
