/* Contacts: build, compare and format as text (the one place that does). */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cdht/contact.h"

/* A contact of this family whose address is the n bytes at a. */
static struct contact
contact_make(uint8_t id, uint8_t family, const uint8_t *a, size_t n, uint16_t port)
{
	struct contact	c;

	memset(&c, 0, sizeof c);
	c.id = id;
	c.family = family;
	c.port = port;
	memcpy(c.addr, a, n);
	return c;
}

/* An IPv4 contact. */
struct contact
contact_v4(uint8_t id, const uint8_t a[4], uint16_t port)
{
	return contact_make(id, CONTACT_V4, a, 4, port);
}

/* An IPv6 contact. */
struct contact
contact_v6(uint8_t id, const uint8_t a[16], uint16_t port)
{
	return contact_make(id, CONTACT_V6, a, 16, port);
}

/* The all-zero "none". */
struct contact
contact_none(void)
{
	struct contact	c;

	memset(&c, 0, sizeof c);
	return c;
}

/* Is c the all-zero "none"? */
bool
contact_is_none(const struct contact *c)
{
	static const struct contact zero;

	return memcmp(c, &zero, sizeof zero) == 0;
}

/* How many address bytes c's family uses; 0 for an unknown family. */
static size_t
contact_addr_len(const struct contact *c)
{
	return c->family == CONTACT_V4 ? 4 : c->family == CONTACT_V6 ? 16 : 0;
}

/* Is c reachable: a known family, a non-zero address, a port, nothing past the address? */
bool
contact_is_valid(const struct contact *c)
{
	static const uint8_t	zero[16];
	size_t			n = contact_addr_len(c);

	return n > 0 && c->port != 0 && memcmp(c->addr, zero, n) != 0 &&
	    memcmp(c->addr + n, zero, 16 - n) == 0;
}

/* Same id, family, address and port? */
bool
contact_equal(const struct contact *a, const struct contact *b)
{
	return a->id == b->id && a->port == b->port && contact_same_host(a, b);
}

/* Same family and address? */
bool
contact_same_host(const struct contact *a, const struct contact *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/* c with another id and port. */
struct contact
contact_with_id(const struct contact *c, uint8_t id, uint16_t port)
{
	struct contact	d = *c;

	d.id = id;
	d.port = port;
	return d;
}

/* "127.0.0.1" or "fd00::7". */
const char *
contact_addr_text(const struct contact *c, char *buf, size_t cap)
{
	char	a[INET6_ADDRSTRLEN];

	if (contact_addr_len(c) == 0 ||
	    inet_ntop(c->family == CONTACT_V4 ? AF_INET : AF_INET6, c->addr, a, sizeof a) == NULL)
		snprintf(a, sizeof a, "?");
	snprintf(buf, cap, "%s", a);
	return buf;
}

/* "ADDR:PORT", IPv6 in brackets. */
const char *
contact_endpoint_text(const struct contact *c, char *buf, size_t cap)
{
	char	a[CONTACT_ADDR_MAX];

	contact_addr_text(c, a, sizeof a);
	if (c->family == CONTACT_V6)
		snprintf(buf, cap, "[%s]:%u", a, c->port);
	else
		snprintf(buf, cap, "%s:%u", a, c->port);
	return buf;
}

/* "ID@ADDR:PORT". */
const char *
contact_text(const struct contact *c, char *buf, size_t cap)
{
	char	e[CONTACT_TEXT_MAX];

	contact_endpoint_text(c, e, sizeof e);
	snprintf(buf, cap, "%u@%s", c->id, e);
	return buf;
}
