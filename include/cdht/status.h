/*
 * The state of a peer as one snapshot, and its two formats: the `status` text and the
 * `status --json` line (docs/STATUS.md is the contract). Filled by the peer in one place;
 * formatted here, purely.
 */
#ifndef CDHT_STATUS_H
#define CDHT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/console.h"
#include "cdht/contact.h"

#define STATUS_FORMAT	1	/* the "cdht" field: version of the JSON object */
#define STATUS_MAX_FILES	64	/* files listed */
#define STATUS_MAX_TRANSFERS	64	/* transfers listed */
#define STATUS_TEXT_MAX	(64 * 1024)	/* bytes of either format, with its NUL, at most */
#define STATUS_NONE	((int64_t)-1)	/* a number not known (or a capability not built): null */

enum status_state { STATUS_JOINING, STATUS_UP, STATUS_LEAVING, STATUS_STARTING, STATUS_EXITING };
enum status_role { STATUS_OWN, STATUS_OWNER, STATUS_REPLICA };
enum status_dir { STATUS_SEND, STATUS_RECEIVE };
enum status_kind { STATUS_REQUEST, STATUS_STORE, STATUS_HANDOFF, STATUS_REPLICA_COPY };

/* A neighbour: known or not, and ms since it last answered (successor) or pinged us. */
struct status_neighbour {
	bool		known;
	struct contact	c;
	int64_t		ago_ms;		/* STATUS_NONE: never */
};

struct status_file {
	int			file;
	enum status_role	role;
	int64_t			size;	/* bytes; STATUS_NONE if unknown */
};

struct status_transfer {
	enum status_dir		dir;
	enum status_kind	kind;
	int			file;
	int			peer;	/* the other end's id */
	bool			tcp;
	int64_t			bytes;		/* moved so far; STATUS_NONE if not counted */
	int64_t			size;		/* STATUS_NONE while not known */
	int64_t			elapsed_ms;	/* since the data began; STATUS_NONE if not yet */
	int64_t			rto_ms;		/* UDP sender only; else STATUS_NONE */
};

/* Counters since start; STATUS_NONE where not counted. */
struct status_counters {
	int64_t	pings_sent, pings_answered, misses, repairs, bytes_in, bytes_out;
};

/* The settings in force. */
struct status_config {
	enum dialect	dialect;
	bool		tcp;
	unsigned	mss;		/* bytes */
	double		drop;
	int64_t		window;		/* segments; STATUS_NONE until windows are built */
	int64_t		timeout_ms;	/* 0: "auto" */
	int64_t		replicas;	/* STATUS_NONE until replication is built */
	uint32_t	ping_interval_ms, ping_timeout_ms;
	unsigned	loss_threshold;
};

/* The last command typed (other than status and help), and whether the peer took it. */
struct status_command {
	bool	known;		/* false until a command was typed */
	bool	ok;
	char	line[128];	/* as typed, blanks trimmed (cut at 127 bytes) */
	char	error[256];	/* the refusal, without "cdht: "; "" if ok */
};

/* One peer at one moment. Plain data, filled by the peer (peer_snapshot). */
struct status_snapshot {
	struct contact		self;
	enum status_state	state;
	bool			repairing;	/* asking around a dead successor */
	struct status_config	cfg;
	struct status_neighbour	succ[2];
	struct status_neighbour	third;		/* never pinged; ago_ms unused */
	struct status_neighbour	pred[2];
	struct status_file	files[STATUS_MAX_FILES];
	size_t			nfiles;
	struct status_transfer	transfers[STATUS_MAX_TRANSFERS];
	size_t			ntransfers;
	struct status_counters	counters;
	struct status_command	last_command;
};

/* The keys the peer owns: true with [*from, *to] (wrapping), false while pred[0] is unknown. */
bool	 status_owns(const struct status_snapshot *s, int *from, int *to);
/* Append a transfer if there is room (false if not). */
bool	 status_add_transfer(struct status_snapshot *s, const struct status_transfer *t);
/* The `status` text, several lines ending in '\n'; its length (truncated to cap - 1). */
size_t	 status_format_text(const struct status_snapshot *s, char *buf, size_t cap);
/* The `status --json` line (one object, ending in '\n'); its length (0 if cap is too small). */
size_t	 status_format_json(const struct status_snapshot *s, char *buf, size_t cap);
/* s as a JSON string with its quotes and escapes; its length (0 if cap is too small). */
size_t	 status_json_string(const char *s, char *buf, size_t cap);

#endif
