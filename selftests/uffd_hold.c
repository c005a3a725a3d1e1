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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/uffd_shim.h>	/* the uapi: UFFD_SHIM_IOC_CREATE */

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct uffd_shim_create req = { .size = page_size };
	char *page = calloc(1, page_size);
	int dev, fd;

	char path[64];
	int watch;

	if (argc < 2 || argc > 3 || !page)
		return 2;
	dev = open(argv[1], O_RDWR | O_CLOEXEC);
	fd = dev < 0 ? -1 : ioctl(dev, UFFD_SHIM_IOC_CREATE, &req);
	if (fd < 0 || pwrite(fd, page, page_size, 0) != page_size) {
		perror(argv[1]);
		return 1;
	}
	close(dev);
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
