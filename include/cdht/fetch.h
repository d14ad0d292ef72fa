/*
 * The requester's side of one file request (SPEC §6), as a pure state machine: the owner's
 * answer, UDP data (which may overtake the answer), a TCP body, time passing. It drives a
 * struct xfer_rx and says what to do with the temporary copy as actions; it opens, writes
 * and sends nothing itself.
 */
#ifndef CDHT_FETCH_H
#define CDHT_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdht/console.h"
#include "cdht/xfer.h"

#define FETCH_ANSWER_WAIT_MS	10000	/* ms a request may wait for its answer */
#define FETCH_LINGER_MS		10000	/* ms a finished UDP copy keeps answering duplicates */
#define FETCH_MAX_ACTIONS	12	/* actions one input can produce (at most 9 today) */
#define FETCH_NEVER		UINT64_MAX
#define FETCH_TEXT_MAX		160	/* bytes of a warning with its NUL */

enum fetch_state {
	FETCH_WAITING,		/* sent, no answer yet */
	FETCH_UDP,		/* segments coming over UDP (windowed selective repeat) */
	FETCH_TCP,		/* the body is coming on the answer's connection */
	FETCH_DONE,		/* the copy is in place (or discarded); answering duplicates */
	FETCH_OVER		/* forgotten: every input is ignored */
};

enum fetch_act_kind {
	FETCH_ACT_EVENT,	/* print ev */
	FETCH_ACT_WARN,		/* text on stderr (rate limited) */
	FETCH_ACT_SAY,		/* text on stderr, never limited (the user asked) */
	FETCH_ACT_OPEN,		/* create the temporary copy */
	FETCH_ACT_WRITE,	/* write the segment's len bytes at offset */
	FETCH_ACT_LOG,		/* a requesting_log.txt line: log, seq, len, ack */
	FETCH_ACT_FLUSH,	/* the log reaches the disk */
	FETCH_ACT_ACK,		/* send an ACK (ack, sack) to the owner over UDP */
	FETCH_ACT_BODY,		/* the next size bytes on the answer's connection are the copy */
	FETCH_ACT_COMMIT,	/* close the copy and move it to received_F.pdf */
	FETCH_ACT_DISCARD,	/* close the copy and remove it */
	FETCH_ACT_FORGET	/* the request is over: free it (always last) */
};

/*
 * One action. Carried out in order; when OPEN or WRITE fails, the caller stops there and
 * carries out fetch_abort's actions instead; when COMMIT fails, the copy is not in place, so
 * the caller skips the "received" EVENT and goes on.
 */
struct fetch_action {
	enum fetch_act_kind	kind;
	struct console_ev	ev;		/* EVENT */
	enum xfer_log_event	log;		/* LOG */
	uint32_t		offset, len;	/* WRITE (offset from 0); LOG: seq, len */
	uint32_t		ack, sack;	/* ACK, LOG */
	uint32_t		size;		/* BODY */
	char			text[FETCH_TEXT_MAX];	/* WARN, SAY */
};

struct fetch_out {
	struct fetch_action	a[FETCH_MAX_ACTIONS];
	size_t			n;
};

/* One request typed here. Plain data, owned by the peer's table of requests. */
struct fetch {
	uint32_t		id;
	int			file;
	enum fetch_state	state;
	uint64_t		deadline;	/* when fetch_tick acts next; FETCH_NEVER if not */
	uint64_t		started;	/* when the data began to come */
	uint8_t			owner;		/* who answered (valid past WAITING) */
	bool			size_known;
	uint32_t		size;		/* announced by the answer */
	uint32_t		bytes;		/* bytes of the copy written so far */
	int			unsent_to;	/* first hop that could not take it; -1 none */
	bool			retried;	/* sent again once already after such a failure */
	struct xfer_rx		rx;
};

/* A request for file with this id, sent now. */
void	fetch_init(struct fetch *f, uint32_t id, int file, uint64_t now);
/* The owner's FILE_RSP: status HAVE or ABSENT (wire values), its size and mode. */
void	fetch_on_answer(struct fetch *f, uint8_t from, int file, bool have, uint32_t size,
	    bool tcp, uint64_t now, struct fetch_out *out);
/* A UDP data segment for this request. */
void	fetch_on_data(struct fetch *f, uint8_t from, uint32_t seq, uint16_t len, bool last,
	    uint64_t now, struct fetch_out *out);
/* The TCP body announced by BODY is all written (ok) or cannot be (!ok). */
void	fetch_on_body(struct fetch *f, bool ok, uint64_t now, struct fetch_out *out);
/* Time passed: the answer is overdue, the owner went silent, or lingering is over. */
void	fetch_tick(struct fetch *f, uint64_t now, struct fetch_out *out);
/*
 * The request never reached its first hop `to` (it just died): SAY that it will be sent
 * again once the ring has repaired (within its wait). False if that does not apply
 * (answered already, or retried once before): the caller reports the failure as usual.
 */
bool	fetch_on_unsent(struct fetch *f, uint8_t to, uint64_t now, struct fetch_out *out);
/* Is a request waiting for repair due to go out again, the first successor being succ
 * (-1: none known, or not in the ring)? If so its answer wait starts again from now: the
 * one extension. */
bool	fetch_resend_due(struct fetch *f, int succ, uint64_t now);
/* The caller could not carry out OPEN or WRITE: the copy is dropped, the request is over. */
void	fetch_abort(struct fetch *f, struct fetch_out *out);

#endif
