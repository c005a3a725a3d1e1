// SPDX-License-Identifier: GPL-2.0
/*
 * Hold a memory file of an fd-style type open, with one page in it, until
 * killed: the VM's lifecycle checks look at the module meanwhile.
 *
 *   uffd_hold /dev/gmemfile &
 *
 * Prints "held" once the file and its page are there.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/uffd_shim.h>	/* the uapi: UFFD_SHIM_IOC_CREATE */

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	struct uffd_shim_create req = { .size = page_size };
	char *page = calloc(1, page_size);
	int dev, fd;

	if (argc != 2 || !page)
		return 2;
	dev = open(argv[1], O_RDWR | O_CLOEXEC);
	fd = dev < 0 ? -1 : ioctl(dev, UFFD_SHIM_IOC_CREATE, &req);
	if (fd < 0 || pwrite(fd, page, page_size, 0) != page_size) {
		perror(argv[1]);
		return 1;
	}
	close(dev);
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}
