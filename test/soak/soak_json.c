/* A small strict JSON parser (RFC 8259 grammar, depth-bounded) for reading `status --json`. */
#include "soak_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SJ_MAX_DEPTH	32	/* nesting levels */

struct sj_in {
	const char	*p;
	int		 depth;
};

static bool	sj_value(struct sj_in *in, struct sj *out);
static void	sj_clear(struct sj *v);

/* Skip JSON whitespace. */
static void
sj_blank(struct sj_in *in)
{
	while (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r')
		in->p++;
}

/* Match a literal word (true, false, null). */
static bool
sj_word(struct sj_in *in, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(in->p, w, n) != 0)
		return false;
	in->p += n;
	return true;
}

/* Four hex digits of a \u escape. */
static bool
sj_hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* One escape after a backslash, appended to buf. */
static bool
sj_escape(struct sj_in *in, char *buf, size_t *len)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at = *in->p ? strchr(from, *in->p) : NULL;
	unsigned u;

	if (at != NULL) {
		buf[(*len)++] = to[at - from];
		in->p++;
		return true;
	}
	if (*in->p != 'u' || !sj_hex4(in->p + 1, &u))
		return false;
	buf[(*len)++] = u < 0x80 ? (char)u : '?';
	in->p += 5;
	return true;
}

/* A string starting at the opening quote; *out is malloc'd. */
static bool
sj_string(struct sj_in *in, char **out)
{
	const char *end;
	char *buf;
	size_t len = 0;

	in->p++;
	for (end = in->p; *end && *end != '"'; end++)
		if (*end == '\\' && end[1])
			end++;
	if (*end != '"' || (buf = malloc((size_t)(end - in->p) + 1)) == NULL)
		return false;
	while (*in->p != '"') {
		unsigned char c = (unsigned char)*in->p;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			buf[len++] = (char)c;
			in->p++;
		} else {
			in->p++;
			if (!sj_escape(in, buf, &len))
				goto bad;
		}
	}
	in->p++;
	buf[len] = '\0';
	*out = buf;
	return true;
bad:
	free(buf);
	return false;
}

/* A number, checked against the JSON grammar before strtod reads it. */
static bool
sj_number(struct sj_in *in, double *out)
{
	const char *p = in->p;
	char *end;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*out = strtod(in->p, &end);
	if (end != p || !isfinite(*out))
		return false;
	in->p = p;
	return true;
}

/* Append one item (and key, for objects) to a container. */
static bool
sj_push(struct sj *c, char *key, const struct sj *item)
{
	struct sj *items = realloc(c->items, (c->n + 1) * sizeof *items);
	char **keys;

	if (items == NULL)
		return false;
	c->items = items;
	if (c->type == SJ_OBJ) {
		if ((keys = realloc(c->keys, (c->n + 1) * sizeof *keys)) == NULL)
			return false;
		c->keys = keys;
		keys[c->n] = key;
	}
	items[c->n++] = *item;
	return true;
}

/* The members of an array or an object, after its opening bracket. */
static bool
sj_container(struct sj_in *in, struct sj *out, bool obj)
{
	char close = obj ? '}' : ']';

	out->type = obj ? SJ_OBJ : SJ_ARR;
	if (++in->depth > SJ_MAX_DEPTH)
		return false;
	in->p++;
	sj_blank(in);
	if (*in->p == close) {
		in->p++;
		in->depth--;
		return true;
	}
	for (;;) {
		struct sj item = { .type = SJ_NULL };
		char *key = NULL;

		sj_blank(in);
		if (obj) {
			if (*in->p != '"' || !sj_string(in, &key))
				return false;
			sj_blank(in);
			if (*in->p++ != ':') {
				free(key);
				return false;
			}
		}
		if (!sj_value(in, &item) || !sj_push(out, key, &item)) {
			free(key);
			sj_clear(&item);
			return false;
		}
		sj_blank(in);
		if (*in->p == ',') {
			in->p++;
			continue;
		}
		if (*in->p++ != close)
			return false;
		in->depth--;
		return true;
	}
}

/* Any value, blanks first. */
static bool
sj_value(struct sj_in *in, struct sj *out)
{
	sj_blank(in);
	memset(out, 0, sizeof *out);
	switch (*in->p) {
	case '{':
		return sj_container(in, out, true);
	case '[':
		return sj_container(in, out, false);
	case '"':
		out->type = SJ_STR;
		return sj_string(in, &out->str);
	case 't':
	case 'f':
		out->type = SJ_BOOL;
		out->boolean = *in->p == 't';
		return sj_word(in, out->boolean ? "true" : "false");
	case 'n':
		out->type = SJ_NULL;
		return sj_word(in, "null");
	default:
		out->type = SJ_NUM;
		return sj_number(in, &out->num);
	}
}

/* Free the contents of v, not v itself. */
static void
sj_clear(struct sj *v)
{
	for (size_t i = 0; i < v->n; i++) {
		sj_clear(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof *v);
}

/* Parse one whole document. */
struct sj *
sj_parse(const char *text)
{
	struct sj_in in = { .p = text, .depth = 0 };
	struct sj *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	if (!sj_value(&in, v)) {
		sj_clear(v);
		free(v);
		return NULL;
	}
	sj_blank(&in);
	if (*in.p != '\0') {
		sj_clear(v);
		free(v);
		return NULL;
	}
	return v;
}

/* Free a parsed document. */
void
sj_free(struct sj *v)
{
	if (v == NULL)
		return;
	sj_clear(v);
	free(v);
}

/* An object's member by key. */
const struct sj *
sj_get(const struct sj *v, const char *key)
{
	if (v == NULL || v->type != SJ_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

/* An array's item by index. */
const struct sj *
sj_at(const struct sj *v, size_t i)
{
	if (v == NULL || v->type != SJ_ARR || i >= v->n)
		return NULL;
	return &v->items[i];
}

/* The integer held by a number value. */
long
sj_int(const struct sj *v, long fallback)
{
	if (v == NULL || v->type != SJ_NUM || v->num != floor(v->num) || fabs(v->num) > 1e15)
		return fallback;
	return (long)v->num;
}
