/* The shared context of a peer's rooms: console lines and the log clock. */
#include <stdio.h>

#include "ctx.h"

/* Print one console event's lines together. */
void
ctx_print(const struct ctx *x, enum console_kind kind, int a, int b, int file)
{
	struct console_ev	ev = { kind, a, b, file };
	char			buf[512];

	if (console_format(x->cfg.dialect, &ev, buf, sizeof buf) > 0)
		fputs(buf, stdout);
}

/* Milliseconds since the peer started. */
uint64_t
ctx_clock(const struct ctx *x, uint64_t now)
{
	return now - x->start_ms;
}
