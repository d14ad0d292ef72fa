/* Scenario helpers for data that survives (issue 10): copies in peer directories, requests. */
#ifndef CDHT_IT_HARNESS_DATA_H
#define CDHT_IT_HARNESS_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include <netinet/in.h>

#include "cdht/wire.h"
#include "harness.h"

/* <dir of id>/<file>.pdf (via it_s). */
const char	*data_copy(int id, const char *file);
/* Wait until peer id's directory holds file with exactly the bytes of want. */
void		 data_wait_copy(int id, const char *file, const char *want, int ms);
/* Wait until peer id's directory no longer holds file. */
void		 data_wait_gone(int id, const char *file, int ms);
/* Does peer id's directory hold file with the bytes of want? */
bool		 data_has_copy(int id, const char *file, const char *want);
/*
 * `request file` at p (p2p dialect): wait for "File F received" and compare the copy with
 * want byte for byte. The previous received copy is removed first.
 */
void		 data_request_ok(struct it_peer *p, const char *file, const char *want, int ms);
/* The same for a peer whose directory is dir (a shared one). */
void		 data_request_ok_in(struct it_peer *p, const char *dir, const char *file,
		     const char *want, int ms);
/* Does `status --json` at p mention needle (waits for the answer line)? */
bool		 data_status_has(struct it_peer *p, const char *needle);
/*
 * A puppet peer speaking the wire: `id` at 127.0.0.1:port (a port of its own). It sends one
 * frame (and body bytes, if any) to peer `to` on a connection of its own.
 */
void		 data_puppet_send(int id, int port, int to, struct wire_msg *m, const void *body,
		     size_t len);
/* Listen as the puppet on 127.0.0.1:port; the listening socket. */
int		 data_puppet_listen(int port);
/* Accept one connection on lfd and decode its first frame into m, within ms. */
void		 data_puppet_read(int lfd, struct wire_msg *m, int ms);
/* The same, leaving the connection open: its fd; *extra (if not NULL): bytes read past it. */
int		 data_puppet_accept(int lfd, struct wire_msg *m, int ms, size_t *extra);
/* A connection of the puppet's own to peer `to`. */
int		 data_puppet_connect(int to);
/* 127.0.0.1:port. */
struct sockaddr_in data_loopback(int port);
/* A SOCK_STREAM or SOCK_DGRAM socket bound at 127.0.0.1:port (listening), or connected to it. */
int		 data_puppet_socket(int type, int port, bool bound);
/* Wait until p's stderr contains needle. */
void		 data_wait_err(struct it_peer *p, const char *needle, int ms);
/* How many cdht-*.manifest files are in peer id's directory. */
size_t		 data_manifests(int id);

#endif
