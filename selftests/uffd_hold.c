// SPDX-License-Identifier: GPL-2.0
/*
 * Hold a memory file of an fd-style type open, with one page in it, until
 * killed: the VM's lifecycle checks look at the module meanwhile.
 *
 *   uffd_hold /dev/gmemfile [--watch] &
 *
 * Prints "held" once the file and its page are there. With --watch it
 * closes the file and keeps only an inotify watch on it: the inode lives
 * on without any file.
 */
#include <string.h>
#include <sys/inotify.h>

#include "uffd_user.h"

int main(int argc, char **argv)
{
	char *page;
	int fd;

	char path[64];
	int watch;

	page_size = sysconf(_SC_PAGESIZE);
	page = calloc(1, page_size);
	if (argc < 2 || argc > 3 || !page)
		return 2;
	fd = memfile_create(argv[1], page_size, 0);
	if (fd < 0 || pwrite(fd, page, page_size, 0) != page_size) {
		perror(argv[1]);
		return 1;
	}
	if (argc == 3) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		watch = inotify_init1(IN_CLOEXEC);
		if (watch < 0 || inotify_add_watch(watch, path, IN_MODIFY) < 0) {
			perror("inotify");
			return 1;
		}
		close(fd);
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}
