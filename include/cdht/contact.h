/*
 * Where a peer is reached: id, address (IPv4 or IPv6) and port. The one place that builds,
 * compares and formats contacts as text (`7@127.0.0.1:50007`, `7@[fd00::7]:50007`). Pure.
 */
#ifndef CDHT_CONTACT_H
#define CDHT_CONTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTACT_V4		4	/* family: IPv4, addr[0..3] */
#define CONTACT_V6		6	/* family: IPv6, addr[0..15] */
#define CONTACT_TEXT_MAX	64	/* bytes of "ID@[ADDR]:PORT" with its NUL, at most */
#define CONTACT_ADDR_MAX	48	/* bytes of "ADDR" (no brackets) with its NUL, at most */

/*
 * A peer's contact. addr holds the address in network byte order (4 or 16 bytes by family;
 * the rest zero), port is in host order. All zero (port 0) stands for "none".
 */
struct contact {
	uint8_t		id;
	uint8_t		family;		/* CONTACT_V4 or CONTACT_V6; 0 only in "none" */
	uint16_t	port;
	uint8_t		addr[16];
};

/* An IPv4 contact; a is the address in network order as 4 bytes. */
struct contact	 contact_v4(uint8_t id, const uint8_t a[4], uint16_t port);
/* An IPv6 contact; a is the 16-byte address. */
struct contact	 contact_v6(uint8_t id, const uint8_t a[16], uint16_t port);
/* The all-zero "none". */
struct contact	 contact_none(void);
bool		 contact_is_none(const struct contact *c);
/* A reachable contact: a known family, a non-zero address and a port. */
bool		 contact_is_valid(const struct contact *c);
/* Same id, family, address and port. */
bool		 contact_equal(const struct contact *a, const struct contact *b);
/* Same family and address (the port and id may differ). */
bool		 contact_same_host(const struct contact *a, const struct contact *b);
/* The same contact with another id and port (a peer beside us on the same host). */
struct contact	 contact_with_id(const struct contact *c, uint8_t id, uint16_t port);
/* "127.0.0.1" or "fd00::7" (no brackets) into buf; returns buf. */
const char	*contact_addr_text(const struct contact *c, char *buf, size_t cap);
/* "ADDR:PORT" with IPv6 in brackets ("[fd00::7]:50007"); returns buf. */
const char	*contact_endpoint_text(const struct contact *c, char *buf, size_t cap);
/* "ID@ADDR:PORT" ("7@127.0.0.1:50007", "7@[fd00::7]:50007"); returns buf. */
const char	*contact_text(const struct contact *c, char *buf, size_t cap);

#endif
