/* The peer's directory (src/files.c): temporary copies never follow or reuse a planted name. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "files.h"

/* A fresh directory for one test. */
static char *
files_test_dir(void)
{
	static char	dir[64];

	snprintf(dir, sizeof dir, "/tmp/cdht-files.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/*
 * A symbolic link planted where the next temporary copy would go (the first name our pid and
 * this id give) is skipped, never written through: the file it points at stays as it was.
 */
CASE("tmp", test_files_tmp_skips_a_planted_link)
{
	char	*dir = files_test_dir(), outside[128], link[FILES_PATH_MAX], tmp[FILES_PATH_MAX];
	char	err[256], got[16] = "";
	int	fd, i, o;

	snprintf(outside, sizeof outside, "%s.outside", dir);
	o = open(outside, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(o, 0);
	ck_assert_int_eq(write(o, "user", 4), 4);
	close(o);
	/* Plant links at every name the next few tries could take (and the old fixed name). */
	snprintf(link, sizeof link, "%s/0009.pdf.part.7", dir);
	ck_assert_int_eq(symlink(outside, link), 0);
	for (i = 1; i <= 8; i++) {
		snprintf(link, sizeof link, "%s/0009.pdf.part.%ld.7.%d", dir, (long)getpid(), i);
		ck_assert_int_eq(symlink(outside, link), 0);
	}
	ck_assert_int_eq(files_create_tmp(dir, FILES_OWN, 9, 7, &fd, tmp, sizeof tmp, err,
	    sizeof err), 0);
	ck_assert_int_eq(write(fd, "ring", 4), 4);
	close(fd);
	o = open(outside, O_RDONLY);
	ck_assert_int_eq(read(o, got, sizeof got - 1), 4);
	close(o);
	ck_assert_str_eq(got, "user");
	ck_assert_msg(strstr(tmp, dir) == tmp, "temporary %s outside %s", tmp, dir);
	unlink(tmp);
	snprintf(link, sizeof link, "%s/0009.pdf.part.7", dir);
	unlink(link);
	for (i = 1; i <= 8; i++) {
		snprintf(link, sizeof link, "%s/0009.pdf.part.%ld.7.%d", dir, (long)getpid(), i);
		unlink(link);
	}
	unlink(outside);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Two copies of one file at once (one request id) get two different temporary names. */
CASE("tmp", test_files_tmp_names_never_collide)
{
	char	*dir = files_test_dir(), a[FILES_PATH_MAX], b[FILES_PATH_MAX], err[256];
	int	fa, fb;

	ck_assert_int_eq(files_create_tmp(dir, FILES_RECEIVED, 42, 1, &fa, a, sizeof a, err,
	    sizeof err), 0);
	ck_assert_int_eq(files_create_tmp(dir, FILES_RECEIVED, 42, 1, &fb, b, sizeof b, err,
	    sizeof err), 0);
	ck_assert_str_ne(a, b);
	close(fa);
	close(fb);
	unlink(a);
	unlink(b);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Run every test registered above (test/case.h); EXIT_FAILURE if one failed. */
int
main(void)
{
	return case_main("files", NULL);
}
