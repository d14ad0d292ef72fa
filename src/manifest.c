/* The place module's file records: versions, entries, names, and the manifest codec. */
#include <stdio.h>
#include <string.h>

#include "cdht/keys.h"
#include "cdht/place.h"

#define PLACE_MAX_GEN_DIGITS	20			/* digits of UINT64_MAX */

/* Order of two versions: <0 if a is older than b, 0 if identical, >0 if newer. */
int
place_version_cmp(uint64_t gen_a, uint32_t size_a, uint64_t sum_a, uint64_t gen_b,
    uint32_t size_b, uint64_t sum_b)
{
	if (gen_a != gen_b)
		return gen_a < gen_b ? -1 : 1;
	/* Same generation, different bytes (two owners at once): any fixed order will do. */
	if (sum_a != sum_b)
		return sum_a < sum_b ? -1 : 1;
	if (size_a != size_b)
		return size_a < size_b ? -1 : 1;
	return 0;
}

/* The version a store taken now gets: newer than the previous one, and than wall_ms. */
uint64_t
place_next_gen(uint64_t previous, uint64_t wall_ms)
{
	if (previous == UINT64_MAX)
		return previous;
	return wall_ms > previous ? wall_ms : previous + 1;
}

/* A fresh inventory entry (role unknown until the next plan, nobody confirmed). */
void
place_file_init(struct place_file *f, int file, uint64_t gen, uint32_t size, uint64_t sum,
    enum place_source source)
{
	memset(f, 0, sizeof *f);
	f->file = (uint16_t)file;
	f->gen = gen;
	f->size = size;
	f->sum = sum;
	f->source = source;
	f->role = PLACE_UNKNOWN;
}

/* Wire and log name of a role. */
const char *
place_role_name(enum place_role r)
{
	static const char *const names[] = {
		[PLACE_NONE] = "none", [PLACE_OWNER] = "owner", [PLACE_REPLICA] = "replica",
		[PLACE_UNKNOWN] = "unknown",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

/* Log name of an answer. */
const char *
place_status_name(enum place_status st)
{
	static const char *const names[] = {
		[PLACE_ST_HAVE] = "have", [PLACE_ST_WANT] = "want", [PLACE_ST_NEWER] = "newer",
		[PLACE_ST_NOT_HOLDER] = "not a holder", [PLACE_ST_NOT_NEIGHBOUR] = "not a neighbour",
		[PLACE_ST_USER_FILE] = "user's file", [PLACE_ST_BUSY] = "busy",
		[PLACE_ST_NO_ROOM] = "no room", [PLACE_ST_BAD] = "bad copy",
		[PLACE_ST_FAILED] = "failed",
	};

	return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

/* One manifest line for f, with its newline, into buf; its length, or 0 if cap is short. */
size_t
place_manifest_line(const struct place_file *f, char *buf, size_t cap)
{
	int	len;

	len = snprintf(buf, cap, "%04u %s %llu %lu %016llx %s\n", (unsigned)f->file,
	    place_role_name(f->role), (unsigned long long)f->gen, (unsigned long)f->size,
	    (unsigned long long)f->sum, f->source == PLACE_SRC_USER ? "user" : "ring");
	if (len < 0 || (size_t)len >= cap)
		return 0;
	return (size_t)len;
}

/* A decimal number without sign or leading zeros, at most max; -1 otherwise. */
static int
place_parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > PLACE_MAX_GEN_DIGITS || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Exactly 16 lowercase hex digits; -1 otherwise. */
static int
place_parse_sum(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len != 16)
		return -1;
	for (i = 0; i < len; i++) {
		int c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Does field (s, len) spell word exactly? */
static bool
place_field_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Split line at single spaces into exactly 6 non-empty fields; -1 otherwise. */
static int
place_split6(const char *line, size_t len, const char *fs[6], size_t fl[6])
{
	size_t	i, start = 0, nf = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start || nf == 6)
			return -1;
		fs[nf] = line + start;
		fl[nf++] = i - start;
		start = i + 1;
	}
	return nf == 6 ? 0 : -1;
}

/* Parse one line (no newline); 0 with *f filled, or -1 with *why. */
int
place_manifest_parse_line(const char *line, size_t len, struct place_file *f,
    const char **why)
{
	static const enum place_role roles[] = { PLACE_OWNER, PLACE_REPLICA, PLACE_NONE,
	    PLACE_UNKNOWN };
	const char	*fs[6];
	size_t		 fl[6], i;
	char		 name[5];
	int		 file;
	uint64_t	 gen, size, sum;
	enum place_role	 role = PLACE_UNKNOWN;
	bool		 role_ok = false;

	if (len >= PLACE_MANIFEST_LINE_MAX)
		return *why = "line too long", -1;
	if (memchr(line, '\0', len) != NULL || place_split6(line, len, fs, fl) != 0)
		return *why = "not six fields separated by single spaces", -1;
	if (fl[0] != 4)
		return *why = "bad file name", -1;
	memcpy(name, fs[0], 4);
	name[4] = '\0';
	if (keys_parse_file(name, &file) != 0)
		return *why = "bad file name", -1;
	for (i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (place_field_is(fs[1], fl[1], place_role_name(roles[i]))) {
			role = roles[i];
			role_ok = true;
		}
	if (!role_ok)
		return *why = "bad role", -1;
	if (place_parse_dec(fs[2], fl[2], UINT64_MAX, &gen) != 0 || gen == 0)
		return *why = "bad generation", -1;
	if (place_parse_dec(fs[3], fl[3], UINT32_MAX - 1, &size) != 0)
		return *why = "bad size", -1;
	if (place_parse_sum(fs[4], fl[4], &sum) != 0)
		return *why = "bad checksum", -1;
	if (!place_field_is(fs[5], fl[5], "ring") && !place_field_is(fs[5], fl[5], "user"))
		return *why = "bad source", -1;
	place_file_init(f, file, gen, (uint32_t)size, sum,
	    fs[5][0] == 'u' ? PLACE_SRC_USER : PLACE_SRC_RING);
	f->role = role;
	return 0;
}

/* Header and every line into buf; the length the whole text needs (as snprintf). */
size_t
place_manifest_format(const struct place_file *files, size_t n, char *buf, size_t cap)
{
	char	line[PLACE_MANIFEST_LINE_MAX];
	size_t	need = strlen(PLACE_MANIFEST_HEADER) + 1, k;

	if (cap > 0)
		buf[0] = '\0';
	if (need < cap)
		snprintf(buf, cap, "%s\n", PLACE_MANIFEST_HEADER);
	for (k = 0; k < n; k++) {
		size_t len = place_manifest_line(&files[k], line, sizeof line);

		if (need + len < cap)
			memcpy(buf + need, line, len + 1);
		need += len;
	}
	if (need >= cap && cap > 0)
		buf[0] = '\0';	/* never half a manifest */
	return need;
}

/* Note a bad line (the first one's number and reason are kept). */
static void
place_bad(size_t *nbad, size_t lineno, const char *reason, size_t *bad_line, const char **why)
{
	if ((*nbad)++ == 0) {
		*bad_line = lineno;
		*why = reason;
	}
}

/*
 * Parse a manifest: good lines into out (at most max), count in *n. Returns the number of bad
 * lines; the first one's number (from 1) and reason go to *bad_line and *why.
 */
size_t
place_manifest_parse(const char *text, size_t len, struct place_file *out, size_t max,
    size_t *n, size_t *bad_line, const char **why)
{
	size_t		hl = strlen(PLACE_MANIFEST_HEADER), pos, lineno = 1, nbad = 0, k;
	const char	*reason;

	*n = 0;
	*bad_line = 0;
	*why = NULL;
	if (len < hl + 1 || memcmp(text, PLACE_MANIFEST_HEADER, hl) != 0 || text[hl] != '\n') {
		place_bad(&nbad, 1, "bad header", bad_line, why);
		return nbad;
	}
	for (pos = hl + 1; pos < len; lineno++) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 ll = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		struct place_file f;

		if (nl == NULL)
			place_bad(&nbad, lineno + 1, "no newline at the end", bad_line, why);
		else if (place_manifest_parse_line(text + pos, ll, &f, &reason) != 0)
			place_bad(&nbad, lineno + 1, reason, bad_line, why);
		else {
			for (k = 0; k < *n && out[k].file != f.file; k++)
				;
			if (k < *n)
				place_bad(&nbad, lineno + 1, "file listed twice", bad_line, why);
			else if (*n >= max)
				place_bad(&nbad, lineno + 1, "too many files", bad_line, why);
			else
				out[(*n)++] = f;
		}
		pos += ll + 1;
	}
	return nbad;
}
