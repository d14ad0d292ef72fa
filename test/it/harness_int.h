/* Scenario-test harness, inside: the running test's state and the helpers its parts share. Not for tests. */
#ifndef CDHT_IT_HARNESS_INT_H
#define CDHT_IT_HARNESS_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define IT_MAX_PEERS	64	/* peers one test may start */
#define IT_MAX_ARGS	64	/* arguments of one peer */
#define IT_MAX_HELD	32	/* ports one test may hold */
#define IT_POLL_MS	10	/* ms between looks at an output file */
#define IT_DUMP_LINES	300	/* lines per stream shown on failure (the last ones) */
#define IT_PORT_MIN	10000	/* lowest base port */
#define IT_PORT_MAX	32512	/* highest base port: base + 255 stays below the ephemeral range (32768) */
#define IT_PICK_TRIES	200	/* random bases tried */

/* One started process. Owned by the harness state; freed at teardown. */
struct it_peer {
	int		 id;
	char		 name[32];
	pid_t		 pid;
	bool		 exited;
	int		 status;	/* wait status, once exited */
	int		 fifo;		/* our end of its stdin FIFO, or -1 */
	char		*out_path;
	char		*err_path;
	char		*dir;
	char		*cmdline;	/* for the failure dump */
};

/* The state of the running test (one per process; Check forks a process per test). */
struct it_run {
	bool		 active;	/* between setup and teardown */
	bool		 failed;	/* it_fail was called */
	bool		 dumped;	/* the peers' output was printed */
	pid_t		 owner;		/* the process that ran setup */
	char		 dir[PATH_MAX];
	int		 base;		/* -1 until picked */
	int64_t		 budget_end;	/* ms, monotonic */
	struct it_peer	*peers[IT_MAX_PEERS];
	size_t		 npeers;
	int		 held[IT_MAX_HELD];
	size_t		 nheld;
};
extern struct it_run	it_run;		/* defined in harness_check.c */

/* harness_util.c */
/* Sleep ms, resumed after signals. */
void		 it_nap(int ms);
/* A deadline ms from now, never past the test's budget. */
int64_t		 it_deadline(int ms);
/* strdup and malloc that abort on failure. */
char		*it_xstrdup(const char *s);
void		*it_xmalloc(size_t n);
/* The next number of a xorshift64* stream kept in *s. */
uint64_t	 it_rng_next(uint64_t *s);

/* harness_output.c */
/* The whole file (NUL-terminated; *len without the NUL); an empty buffer if absent. */
char		*it_slurp(const char *path, size_t *len);
/* The path of a peer's stdout or stderr file, and "stdout" or "stderr". */
const char	*it_stream_path(const struct it_peer *p, enum it_stream s);
const char	*it_stream_name(enum it_stream s);
/* Print every peer's command, status and output from the files in dir. */
void		 it_dump_dir(const char *dir);
/* it_dump_dir of the running test's dir, once. */
void		 it_dump(void);

/* harness_proc.c */
/* Reap without blocking; true if the peer has ended. */
bool		 it_reap(struct it_peer *p);
/* A wait status in words ("exited with status 1"). */
const char	*it_status_str(int st);
/* Kill and reap every peer still running. */
void		 it_kill_all(void);

#endif
