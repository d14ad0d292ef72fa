/* Diagnostics on stderr, each line prefixed "cdht: "; stdout is for console lines only. */
#ifndef CDHT_LOG_H
#define CDHT_LOG_H

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
