/*
 * The peer's directory: the only place a peer reads or writes files. Names are always built
 * here from a validated number (0..9999), never taken from the network.
 */
#ifndef CDHT_FILES_H
#define CDHT_FILES_H

#include <stddef.h>
#include <stdint.h>

#define FILES_MAX_SIZE	(UINT32_MAX - 1)	/* bytes: sizes and the last ACK are 32-bit */
#define FILES_PATH_MAX	4096		/* bytes */
#define FILES_TMP_TRIES	64		/* temporary names tried before giving up */

enum files_kind { FILES_OWN, FILES_RECEIVED };	/* F.pdf, received_F.pdf */

/* Open F.pdf for reading: 0 with *fd and *size, or -1 with a sentence in err. */
int	files_open(const char *dir, int file, int *fd, uint32_t *size, char *err, size_t errlen);
/* Create a temporary file that will become the kind's name for F: 0 with *fd and tmp, or -1. */
int	files_create_tmp(const char *dir, enum files_kind kind, int file, uint32_t id, int *fd,
	    char *tmp, size_t tmplen, char *err, size_t errlen);
/* Close a complete temporary file (*fd = -1) and move it to its final name (atomic): 0,
 * or -1 with err and the temporary file removed. */
int	files_commit(int *fd, const char *dir, const char *tmp, enum files_kind kind, int file,
	    char *err, size_t errlen);
/* Remove a temporary file that will not be completed. */
void	files_discard(const char *tmp);
/* Close a copy that will not be completed (if *fd != -1; then *fd = -1) and remove tmp. */
void	files_drop_partial(int *fd, const char *tmp);
/* The size of F.pdf in bytes, or -1 if it is not a regular file. */
int64_t	files_size(const char *dir, int file);
/* The four-digit F of every F.pdf in dir, ascending, at most max; how many. */
size_t	files_list(const char *dir, int *out, size_t max);

#endif
