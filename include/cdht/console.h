/* Console events and the two dialects' wording of them (SPEC §4), from one table. */
#ifndef CDHT_CONSOLE_H
#define CDHT_CONSOLE_H

#include <stddef.h>

enum dialect { DIALECT_CLASSIC, DIALECT_P2P };

enum console_kind {
	CON_PING_SENT,		/* a = S1, b = S2 */
	CON_PING_REQ_RCVD,	/* a = P */
	CON_PING_RSP_RCVD,	/* a = S */
	CON_REQ_SENT,		/* file */
	CON_REQ_FORWARDED,	/* file */
	CON_FILE_HERE,		/* file, a = requester */
	CON_FILE_SENT,		/* file */
	CON_FILE_RSP_RCVD,	/* file, a = owner */
	CON_FILE_RECEIVED,	/* file */
	CON_FILE_ABSENT,	/* file */
	CON_DEPART,		/* a = departing peer */
	CON_DEAD,		/* a = dead peer */
	CON_SUCCESSORS,		/* a = S1, b = S2 */
	CON_JOIN_FORWARDED,	/* a = joiner */
	CON_JOIN_RECEIVED,	/* a = joiner */
	CON_SUCC_CHANGE_RCVD,
	CON_JOIN_ACCEPTED,	/* a = S1, b = S2 */
	CON_STORE_FORWARDED,	/* file */
	CON_STORE_ACCEPTED,	/* file */
	CON_KIND_END
};

struct console_ev {
	enum console_kind	kind;
	int			a, b;	/* peer ids */
	int			file;	/* 0..9999, printed with four digits */
};

/* Write the event's lines (each ending in '\n') into buf; the length, or 0 if it does not fit. */
size_t	console_format(enum dialect d, const struct console_ev *ev, char *buf, size_t cap);
/* Is this a per-ping line (silenced by --quiet-pings)? */
int	console_is_ping(enum console_kind k);

#endif
