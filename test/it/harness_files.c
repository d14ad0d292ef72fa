/* Scenario-test harness: peer directories, generated test files, and comparisons of files. */
#include "harness_int.h"

#include <sys/stat.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
it_peer_dir(int id)
{
	const char *d = it_s("%s/%d", it_run.dir, id);

	if (mkdir(d, 0755) != 0 && errno != EEXIST)
		it_fail("mkdir %s: %s", d, strerror(errno));
	return d;
}

const char *
it_put_file(int id, const char *name, size_t size, uint64_t seed)
{
	const char	*path = it_s("%s/%s", it_peer_dir(id), name);
	FILE		*f = fopen(path, "wb");
	uint64_t	 s = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
	unsigned char	 chunk[65536];

	if (f == NULL)
		it_fail("create %s: %s", path, strerror(errno));
	if (s == 0)
		s = 1;
	while (size > 0) {
		size_t n = size < sizeof chunk ? size : sizeof chunk;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = it_rng_next(&s);

			for (size_t j = 0; j < 8 && i + j < n; j++)
				chunk[i + j] = (unsigned char)(r >> (8 * j));
		}
		if (fwrite(chunk, 1, n, f) != n)
			it_fail("write %s: %s", path, strerror(errno));
		size -= n;
	}
	if (fclose(f) != 0)
		it_fail("close %s: %s", path, strerror(errno));
	return path;
}

bool
it_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
it_files_differ(const char *a, const char *b, char *why, size_t whylen)
{
	FILE		*fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	unsigned char	 ba[65536], bb[65536];
	uint64_t	 off = 0;
	int		 r = 0;

	if (fa == NULL || fb == NULL) {
		snprintf(why, whylen, "cannot open %s: %s", fa == NULL ? a : b, strerror(errno));
		r = -1;
		goto out;
	}
	for (;;) {
		size_t na = fread(ba, 1, sizeof ba, fa);
		size_t nb = fread(bb, 1, sizeof bb, fb);
		size_t n = na < nb ? na : nb;

		for (size_t i = 0; i < n; i++)
			if (ba[i] != bb[i]) {
				snprintf(why, whylen, "first difference at byte %llu",
				    (unsigned long long)(off + i));
				r = 1;
				goto out;
			}
		if (na != nb) {
			struct stat sa, sb;

			stat(a, &sa);
			stat(b, &sb);
			snprintf(why, whylen, "sizes differ: %lld vs %lld bytes",
			    (long long)sa.st_size, (long long)sb.st_size);
			r = 1;
			goto out;
		}
		if (na == 0)
			break;
		off += na;
	}
out:
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return r;
}

void
it_expect_files_equal(const char *got, const char *want)
{
	char why[512];

	if (it_files_differ(got, want, why, sizeof why) != 0)
		it_fail("%s differs from %s: %s", got, want, why);
}

void
it_wait_file_equal(const char *got, const char *want, int ms)
{
	int64_t	deadline = it_deadline(ms);
	char	why[512];

	while (it_files_differ(got, want, why, sizeof why) != 0) {
		if (it_now_ms() >= deadline)
			it_fail("%s not equal to %s within %d ms: %s", got, want, ms, why);
		it_nap(IT_POLL_MS);
	}
}

size_t
it_expect_file_lines_match(const char *path, const char *ere)
{
	regex_t	 re;
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0, n = 0;
	ssize_t	 len;

	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		it_fail("bad regular expression %s", ere);
	if ((f = fopen(path, "r")) == NULL) {
		regfree(&re);
		it_fail("cannot open %s: %s", path, strerror(errno));
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		n++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (regexec(&re, line, 0, NULL, 0) != 0) {
			char bad[600];

			snprintf(bad, sizeof bad, "%s", line);
			free(line);
			fclose(f);
			regfree(&re);
			it_fail("%s line %zu '%s' does not match %s", path, n, bad, ere);
		}
	}
	free(line);
	fclose(f);
	regfree(&re);
	return n;
}
