/* Diagnostics on stderr, each line prefixed "cdht: "; stdout is for console lines only. */
#ifndef CDHT_LOG_H
#define CDHT_LOG_H

/* A warning about the network or the ring: at most LOG_BURST a second, the rest counted. */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line the user must see (feedback on a command, why the peer exits): never limited. */
void	log_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many log_say lines so far, and the text of the last one (without "cdht: "). */
unsigned long	 log_said(void);
const char	*log_last_said(void);
/* Report how many warnings were suppressed, once their second is over. */
void	log_flush(void);

#endif
