/* A small strict JSON parser for the soak: just enough to read one `status --json` line. */
#ifndef CDHT_SOAK_JSON_H
#define CDHT_SOAK_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum sj_type { SJ_NULL, SJ_BOOL, SJ_NUM, SJ_STR, SJ_ARR, SJ_OBJ };

struct sj {
	enum sj_type	 type;
	bool		 boolean;
	double		 num;
	char		*str;		/* SJ_STR: the decoded text (\u escapes past ASCII as '?') */
	size_t		 n;		/* SJ_ARR, SJ_OBJ: items */
	struct sj	*items;
	char		**keys;		/* SJ_OBJ: keys[i] names items[i] */
};

/* Parse one whole document (blanks around it allowed); NULL if it is not strict JSON. */
struct sj	*sj_parse(const char *text);
/* Free what sj_parse returned (NULL is fine). */
void		 sj_free(struct sj *v);
/* The member named key of an object, or NULL (also when v is not an object). */
const struct sj	*sj_get(const struct sj *v, const char *key);
/* Item i of an array, or NULL. */
const struct sj	*sj_at(const struct sj *v, size_t i);
/* The integer in v if v is a number holding one, else fallback. */
long		 sj_int(const struct sj *v, long fallback);

#endif
