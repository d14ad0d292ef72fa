/* Standard input as lines on the event loop, whatever stdin is (tty, pipe, FIFO, file, null). */
#ifndef CDHT_INPUT_H
#define CDHT_INPUT_H

#include <event2/event.h>

#define INPUT_LINE_MAX	1024	/* bytes; a longer line is discarded with a warning */

typedef void (*input_line_cb)(char *line, void *arg);

struct input;

/* Start reading fd on base, calling cb for each line (without its end of line); NULL on error. */
struct input	*input_new(struct event_base *base, int fd, input_line_cb cb, void *arg);
void		 input_free(struct input *in);

#endif
