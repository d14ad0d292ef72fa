/* Scenario helpers for data that survives: copies in peer directories, requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness_data.h"

/* <dir of id>/<file>.pdf. */
const char *
data_copy(int id, const char *file)
{
	return it_s("%s/%s.pdf", it_peer_dir(id), file);
}

/* Does peer id's directory hold file with the bytes of want? */
bool
data_has_copy(int id, const char *file, const char *want)
{
	char why[256];

	return it_file_exists(data_copy(id, file)) &&
	    it_files_differ(data_copy(id, file), want, why, sizeof why) == 0;
}

/* Wait until peer id's directory holds file with exactly the bytes of want. */
void
data_wait_copy(int id, const char *file, const char *want, int ms)
{
	it_wait_file_equal(data_copy(id, file), want, ms);
}

struct data_gone {
	const char *path;
};

static bool
data_is_gone(void *arg)
{
	return !it_file_exists(((struct data_gone *)arg)->path);
}

/* Wait until peer id's directory no longer holds file. */
void
data_wait_gone(int id, const char *file, int ms)
{
	struct data_gone g = { data_copy(id, file) };

	it_wait_until(data_is_gone, &g, ms, it_s("%s to be removed", g.path));
}

/* `request file` at p, wait for the copy and compare it. */
void
data_request_ok(struct it_peer *p, const char *file, const char *want, int ms)
{
	data_request_ok_in(p, it_peer_dir(it_id(p)), file, want, ms);
}

/* The same for a peer whose directory is dir. */
void
data_request_ok_in(struct it_peer *p, const char *dir, const char *file, const char *want,
    int ms)
{
	const char	*got = it_s("%s/received_%s.pdf", dir, file);
	size_t		 m;

	unlink(got);
	m = it_mark(p, IT_OUT);
	it_send(p, "request %s", file);
	it_wait_line(p, IT_OUT, m, 1, it_s("File %s received", file), ms);
	it_expect_files_equal(got, want);
}

/* How many cdht-*.manifest files are in peer id's directory. */
size_t
data_manifests(int id)
{
	struct dirent	*e;
	DIR		*d = opendir(it_peer_dir(id));
	size_t		 n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "cdht-", 5) == 0 && strstr(e->d_name, ".manifest") != NULL;
	closedir(d);
	return n;
}

/* Does `status --json` at p mention needle? */
bool
data_status_has(struct it_peer *p, const char *needle)
{
	size_t	 m = it_mark(p, IT_OUT), n, i;
	char	**lines;
	bool	 found = false;

	it_send(p, "status --json");
	it_wait_nlines(p, IT_OUT, m, 1, IT_DEADLINE_MS);
	lines = it_lines(p, IT_OUT, m, &n);
	for (i = 0; i < n && !found; i++)
		found = strncmp(lines[i], "{\"cdht\"", 7) == 0 && strstr(lines[i], needle) != NULL;
	it_free_lines(lines);
	return found;
}

/* The puppet's contact. */
static struct contact
data_puppet_contact(int id, int port)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };

	return contact_v4((uint8_t)id, lo, (uint16_t)port);
}

/* 127.0.0.1:port. */
struct sockaddr_in
data_loopback(int port)
{
	struct sockaddr_in	sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* A socket of type at 127.0.0.1:port: bound there (and listening, for a stream), or connected. */
int
data_puppet_socket(int type, int port, bool bound)
{
	struct sockaddr_in	sa = data_loopback(port);
	int			fd, one = 1;
	bool			ok;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		it_fail("puppet: socket: %s", strerror(errno));
	if (bound)
		ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
		    bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    (type != SOCK_STREAM || listen(fd, 8) == 0);
	else
		ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (!ok)
		it_fail("puppet: cannot %s 127.0.0.1:%d: %s", bound ? "listen on" : "connect to",
		    port, strerror(errno));
	return fd;
}

/* A connection of the puppet's own to peer `to` (at base + to). */
int
data_puppet_connect(int to)
{
	return data_puppet_socket(SOCK_STREAM, it_base() + to, false);
}

/* Send one frame (and body) to peer `to` as the puppet. */
void
data_puppet_send(int id, int port, int to, struct wire_msg *m, const void *body, size_t len)
{
	uint8_t	buf[WIRE_MAX_FRAME];
	size_t	n;
	int	fd;

	m->from = data_puppet_contact(id, port);
	if ((n = wire_encode(m, buf, sizeof buf)) == 0)
		it_fail("puppet: cannot encode %s", wire_type_name(m->type));
	fd = data_puppet_connect(to);
	if (write(fd, buf, n) != (ssize_t)n || (len > 0 && write(fd, body, len) != (ssize_t)len))
		it_fail("puppet: cannot write to peer %d", to);
	shutdown(fd, SHUT_WR);
	close(fd);
}

/* Listen as the puppet. */
int
data_puppet_listen(int port)
{
	return data_puppet_socket(SOCK_STREAM, port, true);
}

/*
 * Accept one connection on lfd within ms and decode its first frame into m; the connection,
 * open. *extra: bytes read past the frame (the start of a body), if extra is not NULL.
 */
int
data_puppet_accept(int lfd, struct wire_msg *m, int ms, size_t *extra)
{
	uint8_t		 buf[WIRE_MAX_FRAME];
	struct pollfd	 pfd = { lfd, POLLIN, 0 };
	size_t		 got = 0, flen = 0;
	const char	*why = NULL;
	int64_t		 end = it_now_ms() + ms;
	int		 fd;

	if (poll(&pfd, 1, ms) != 1 || (fd = accept(lfd, NULL, NULL)) == -1)
		it_fail("puppet: no connection within %d ms", ms);
	while (it_now_ms() < end && (flen == 0 || got < flen)) {
		struct pollfd	q = { fd, POLLIN, 0 };
		ssize_t		r;

		if (poll(&q, 1, 100) != 1)
			continue;
		if ((r = read(fd, buf + got, sizeof buf - got)) <= 0)
			break;
		got += (size_t)r;
		if (wire_frame_len(buf, got, &flen, &why) != 0)
			flen = 0;
	}
	if (flen == 0 || got < flen || wire_decode(buf, flen, m, &why) != 0) {
		close(fd);
		it_fail("puppet: no whole frame (%s)", why != NULL ? why : "short");
	}
	if (extra != NULL)
		*extra = got - flen;
	return fd;
}

/* Accept one connection and decode its first frame; the connection is closed. */
void
data_puppet_read(int lfd, struct wire_msg *m, int ms)
{
	close(data_puppet_accept(lfd, m, ms, NULL));
}

struct data_err {
	struct it_peer	*p;
	const char	*needle;
};

static bool
data_err_has(void *arg)
{
	struct data_err *e = arg;

	return it_contains(e->p, IT_ERR, e->needle);
}

/* Wait until p's stderr contains needle. */
void
data_wait_err(struct it_peer *p, const char *needle, int ms)
{
	struct data_err e = { p, needle };

	it_wait_until(data_err_has, &e, ms, needle);
}
