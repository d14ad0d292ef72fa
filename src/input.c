/*
 * Standard input as lines on the event loop. Pollable inputs (tty, pipe, FIFO, socket) are
 * watched for readiness; regular files and /dev/null cannot be polled (epoll refuses them),
 * so they are read a chunk per loop turn instead. End of input stops reading, never the peer;
 * on a terminal it says so once (a script's /dev/null or pipe ends silently).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "input.h"
#include "log.h"

#define INPUT_CHUNK	4096	/* bytes read per turn */

/* Owned by the peer; freed by input_free. */
struct input {
	struct event_base	*base;
	int			 fd;
	struct event		*ev;
	struct evbuffer		*buf;
	input_line_cb		 cb;
	void			*arg;
	int			 discarding;	/* inside an over-long line */
};

/* Hand every complete line in the buffer to the callback. */
static void
input_lines(struct input *in)
{
	char	*line;
	size_t	 len;

	while ((line = evbuffer_readln(in->buf, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		if (in->discarding || len > INPUT_LINE_MAX) {
			if (!in->discarding)
				log_warn("ignored an input line longer than %d bytes",
				    INPUT_LINE_MAX);
			in->discarding = 0;
		} else if (memchr(line, '\0', len) != NULL)
			log_warn("ignored an input line with a NUL byte");
		else
			in->cb(line, in->arg);
		free(line);
	}
	if (evbuffer_get_length(in->buf) > INPUT_LINE_MAX) {
		if (!in->discarding)
			log_warn("ignored an input line longer than %d bytes", INPUT_LINE_MAX);
		in->discarding = 1;
		evbuffer_drain(in->buf, evbuffer_get_length(in->buf));
	}
}

/* Read one chunk; 0 at end of input or on error (reading stops), 1 otherwise. */
static int
input_read(struct input *in)
{
	int	n = evbuffer_read(in->buf, in->fd, INPUT_CHUNK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {
		if (n < 0)
			log_warn("stopped reading standard input: %s", strerror(errno));
		else if (isatty(in->fd))
			/* Ctrl-D: say so once, since the peer goes on without a prompt to show it. */
			log_say("end of input: commands are no longer read; the peer keeps running "
			    "(Ctrl-C stops it)");
		if (evbuffer_get_length(in->buf) > 0) {
			evbuffer_add(in->buf, "\n", 1);	/* a last line without newline */
			input_lines(in);
		}
		return 0;
	}
	input_lines(in);
	return 1;
}

/* stdin is readable. */
static void
input_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct input *in = arg;

	(void)fd;
	(void)what;
	if (!input_read(in))
		event_del(in->ev);
}

/* Next turn of reading an unpollable input. */
static void
input_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct input	*in = arg;
	struct timeval	 now = { 0, 0 };

	(void)fd;
	(void)what;
	if (input_read(in))
		event_add(in->ev, &now);
}

/* Start reading fd, as lines. */
struct input *
input_new(struct event_base *base, int fd, input_line_cb cb, void *arg)
{
	struct input	*in;
	struct stat	 st;
	struct timeval	 now = { 0, 0 };
	int		 pollable;

	if (fstat(fd, &st) == -1)
		return NULL;
	pollable = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	    (S_ISCHR(st.st_mode) && isatty(fd));
	if ((in = calloc(1, sizeof *in)) == NULL)
		return NULL;
	in->base = base;
	in->fd = fd;
	in->cb = cb;
	in->arg = arg;
	in->buf = evbuffer_new();
	if (pollable) {
		/* Left blocking: stdin may be shared with a shell; one read() per readiness. */
		in->ev = event_new(base, fd, EV_READ | EV_PERSIST, input_ready_cb, in);
		if (in->ev != NULL && event_add(in->ev, NULL) == 0)
			return in;
	} else {
		in->ev = evtimer_new(base, input_pump_cb, in);
		if (in->ev != NULL && event_add(in->ev, &now) == 0)
			return in;
	}
	input_free(in);
	return NULL;
}

/* Stop reading and free. */
void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	if (in->ev != NULL)
		event_free(in->ev);
	if (in->buf != NULL)
		evbuffer_free(in->buf);
	free(in);
}
