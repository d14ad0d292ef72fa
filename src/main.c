/* cdht: parse the command line, set up the process, run one peer until it leaves. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cdht/cli.h"
#include "peer.h"
#include "resolve.h"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_SETUP	1	/* cannot start, or refused by the ring */

/* Make sure fds 0-2 are open, so no socket is ever mistaken for stdin or stdout. */
static void
main_std_fds(void)
{
	int	fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EXIT_SETUP);
}

int
main(int argc, char **argv)
{
	struct config		 cfg;
	struct resolved		 res;
	struct event_base	*base;
	struct peer		*p;
	struct stat		 st;
	char			 err[512];
	int			 status, rc;

	main_std_fds();
	/* Scripts read our lines as they happen, even through a pipe or a file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A peer started in the background by a script still dies on SIGINT (SPEC §3). */
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);

	if (cli_parse(argc, argv, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "cdht: %s\nTry 'cdht --help' for usage.\n", err);
		return EXIT_USAGE;
	}
	if (cfg.help) {
		fputs(cli_usage(), stdout);
		return 0;
	}
	if (cfg.version) {
		printf("cdht %s\n", CDHT_VERSION);
		return 0;
	}
	/* Names are resolved once, here, so nothing blocks once the loop runs. */
	if ((rc = resolve_config(&cfg, &res, err, sizeof err)) != 0) {
		fprintf(stderr, "cdht: %s\n", err);
		return rc == RESOLVE_BAD_INPUT ? EXIT_USAGE : EXIT_SETUP;
	}
	if (stat(cfg.dir, &st) != 0) {
		fprintf(stderr, "cdht: cannot use directory '%s': %s\n", cfg.dir,
		    strerror(errno));
		return EXIT_SETUP;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cdht: cannot use directory '%s': %s\n", cfg.dir,
		    strerror(ENOTDIR));
		return EXIT_SETUP;
	}
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "cdht: cannot create the event loop\n");
		return EXIT_SETUP;
	}
	if ((p = peer_new(base, &cfg, &res, err, sizeof err)) == NULL) {
		fprintf(stderr, "cdht: %s\n", err);
		event_base_free(base);
		return EXIT_SETUP;
	}
	status = peer_run(p);
	peer_free(p);
	event_base_free(base);
	return status < 0 ? EXIT_SETUP : status;
}
