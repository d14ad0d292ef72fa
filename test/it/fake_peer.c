/*
 * A stand-in for cdht used only by the harness self-test: takes the harness's
 * "--base-port B --dir D" then "<id> [bind] [exit=N]", prints "fake <id> started", and
 * obeys stdin lines "say TEXT" (stdout), "err TEXT" (stderr), "exit N". On end of stdin it
 * prints "eof"; with stdin closed it prints "stdin closed"; either way it keeps running.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
fake_bind(int port, int type)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, type, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		fprintf(stderr, "fake: cannot bind %d: %s\n", port, strerror(errno));
		exit(1);
	}
	if (type == SOCK_STREAM && listen(fd, 4) != 0)
		exit(1);
	return fd;
}

int
main(int argc, char **argv)
{
	int	 base = 50000, id = -1, i;
	int	 want_bind = 0;
	char	 line[1024];
	int	 stdin_ok = fcntl(0, F_GETFD) != -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--base-port") == 0 && i + 1 < argc)
			base = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			i++;
		else if (strcmp(argv[i], "bind") == 0)
			want_bind = 1;
		else if (strncmp(argv[i], "exit=", 5) == 0)
			return atoi(argv[i] + 5);
		else if (id < 0)
			id = atoi(argv[i]);
	}
	fprintf(stderr, "fake stderr hello\n");
	if (want_bind) {
		fake_bind(base + id, SOCK_DGRAM);
		fake_bind(base + id, SOCK_STREAM);
	}
	printf("fake %d started\n", id);
	if (!stdin_ok) {
		printf("stdin closed\n");
		for (;;)
			pause();
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "say ", 4) == 0)
			printf("%s\n", line + 4);
		else if (strncmp(line, "err ", 4) == 0)
			fprintf(stderr, "%s\n", line + 4);
		else if (strncmp(line, "exit ", 5) == 0)
			return atoi(line + 5);
	}
	printf("eof\n");
	for (;;)
		pause();
}
