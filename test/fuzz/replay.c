/* Stands in for libFuzzer where there is none: feed every file of the given corpora to the target once. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT	(1024 * 1024)	/* bytes: larger files are an error */

/* Feed one file to the target: 0, or -1 if it cannot be read. */
static int
replay_file(const char *path)
{
	static uint8_t	 buf[REPLAY_MAX_INPUT];
	FILE		*f = fopen(path, "rb");
	size_t		 n;
	uint8_t		*copy;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf, f);
	if (!feof(f)) {
		fprintf(stderr, "replay: %s: larger than %d bytes\n", path, REPLAY_MAX_INPUT);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, as libFuzzer gives, so a read past the end shows under ASan. */
	copy = malloc(n ? n : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

/* Skip dot files (README-like notes, editor droppings). */
static int
replay_select(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Feed every file of dir, in name order; the count, or -1 on an error. */
static long
replay_dir(const char *dir)
{
	struct dirent	**names;
	int		  n = scandir(dir, &names, replay_select, alphasort);
	long		  done = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char		path[4096];
		struct stat	st;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (done >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			done = replay_file(path) == 0 ? done + 1 : -1;
	}
	free(names);
	return done;
}

/* Replay every file named, or found in a directory named, on the command line. */
int
main(int argc, char **argv)
{
	long	total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat	st;
		long		n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	printf("replayed %ld input(s) without a crash or a broken invariant\n", total);
	return 0;
}
