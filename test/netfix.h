/*
 * What the transport's unit tests (check_net.c, check_net_udp.c) share: a fresh event base per
 * test, stderr captured in a file the test can read, the loop driven under a deadline.
 */
#ifndef CDHT_TEST_NETFIX_H
#define CDHT_TEST_NETFIX_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "net_internal.h"

#define NETFIX_LOOP_MS	5000	/* ms: safety timeout of every event loop */

extern struct event_base	*base;	/* this test's base (netfix_setup makes it) */

/* Zero the test's record of what it saw (len bytes); a fresh base; stderr into a new file. */
void	netfix_setup(void *seen, size_t len);
/* Free the base, remove the file. */
void	netfix_teardown(void);
/* How often needle appears in what was written to stderr. */
int	netfix_stderr_count(const char *needle);
/* Run the loop until done() or NETFIX_LOOP_MS pass; whether done() came true. */
bool	netfix_run_until(bool (*done)(void));
/* Run the loop for ms. */
void	netfix_run_for(int ms);

/* Callbacks for the ops a test does not watch. */
void	netfix_no_frame(void *arg, struct net_conn *c, const struct wire_msg *m, uint64_t now);
void	netfix_no_failed(void *arg, const struct contact *to, int type, uint32_t id,
	    uint64_t now);
void	netfix_no_ctx(void *arg, void *ctx, bool ok, uint64_t now);
void	netfix_no_timer(void *arg, uint64_t now);

#endif
