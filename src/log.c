/* Diagnostics on stderr, each line prefixed "cdht: "; stdout is for console lines only. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

/* One line on stderr. */
void
log_warn(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cdht: %s\n", buf);
}
