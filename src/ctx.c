/* The shared context of a peer's rooms: console lines and the log clock. */
#include <stdio.h>
#include <unistd.h>

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

/* The context of a peer with this configuration, started now (self and net come later). */
void
ctx_init(struct ctx *x, const struct config *cfg, uint64_t now)
{
	x->cfg = *cfg;
	x->start_ms = now;
	x->req_log.dir = x->rsp_log.dir = cfg->dir;
	x->req_log.name = "requesting_log.txt";
	x->rsp_log.name = "responding_log.txt";
	xfer_rng_seed(&x->rng, cfg->seed_set ? cfg->seed :
	    (now << 20) ^ (uint64_t)getpid() ^ ((uint64_t)cfg->id << 48));
}

/* Keep in *next the earlier of it and t (deadlines: UINT64_MAX is none). */
void
ctx_earliest(uint64_t *next, uint64_t t)
{
	if (t < *next)
		*next = t;
}
