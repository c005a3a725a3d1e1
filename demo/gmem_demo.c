// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_demo: the fd-style memory type, narrated. A memory file from
 * /dev/gmemfile's ioctl; a MISSING fault resolved by UFFDIO_COPY, whose
 * page then leaves the kernel direct map; one resolved the way the
 * guest_memfd userfaultfd RFC had to, write() then UFFDIO_CONTINUE.
 *
 *   gmem_demo /dev/gmemfile /sys/module/gmemfile/parameters
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "uffd_user.h"

#define PAGES 4

static const char *params;

static long param(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", params, name);
	return read_counter(path);
}

static void show_pages(void)
{
	printf("  gmemfile: pages in files: %ld, out of the direct map: %ld\n",
	       param("pages"), param("unmapped"));
}

/* Can the kernel reach the page at @addr through get_user_pages()? */
static void show_kernel_access(char *addr)
{
	char buf[8];
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iovec remote = { .iov_base = addr, .iov_len = sizeof(buf) };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	printf("  process_vm_readv() of it: %s\n",
	       n < 0 ? strerror(errno) : "read (the kernel reached the page!)");
}

static int demo_copy(int fd, char *map, int uffd)
{
	struct handler h;
	char seen[8];

	printf("\nMISSING fault resolved by UFFDIO_COPY\n");
	if (uffd_register(uffd, map, PAGES * page_size, UFFDIO_REGISTER_MODE_MISSING |
			  UFFDIO_REGISTER_MODE_MINOR, NULL))
		return -1;
	handler_start(&h, uffd, RESOLVE_COPY, 'A');
	memcpy(seen, map + page_size, sizeof(seen));
	handler_stop(&h);
	printf("  reader touched page 1 -> fault at %#lx, handler: UFFDIO_COPY %s\n",
	       h.last_addr, h.error ? strerror(-h.error) : "ok");
	printf("  reader saw %s\n", check_pattern(seen, sizeof(seen), 'A') ?
	       "the handler's bytes" : "OTHER bytes");
	printf("  the kernel copied first, then ->prepare_folio took the page out\n");
	show_pages();
	show_kernel_access(map + page_size);
	return h.error;
}

static int demo_write_continue(int fd, char *map, int uffd)
{
	struct handler h;
	char seen[8];

	printf("\nMISSING fault resolved by write() + UFFDIO_CONTINUE, %s\n",
	       "as the guest_memfd RFC does");
	handler_start_write(&h, uffd, fd, map, 'B');
	memcpy(seen, map + 2 * page_size, sizeof(seen));
	handler_stop(&h);
	printf("  reader touched page 2 -> fault at %#lx, handler: write() + UFFDIO_CONTINUE %s\n",
	       h.last_addr, h.error ? strerror(-h.error) : "ok");
	printf("  reader saw %s\n", check_pattern(seen, sizeof(seen), 'B') ?
	       "the written bytes" : "OTHER bytes");
	show_pages();
	return h.error;
}

int main(int argc, char **argv)
{
	int fd, uffd, failed = 0;
	char *map;

	if (argc != 3)
		return 2;
	params = argv[2];
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = memfile_create(argv[1], PAGES * page_size, 0);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("  UFFD_SHIM_IOC_CREATE on %s: fd %d, a %ld-page memory file\n",
	       argv[1], fd, (long)PAGES);
	map = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("  MAP_PRIVATE: %s\n", map == MAP_FAILED ? strerror(errno) : "mapped?!");
	map = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uffd = uffd_open(0);
	if (map == MAP_FAILED || uffd < 0)
		return 1;
	printf("  MAP_SHARED at %p\n", (void *)map);
	failed |= demo_copy(fd, map, uffd) != 0;
	failed |= demo_write_continue(fd, map, uffd) != 0;
	munmap(map, PAGES * page_size);
	close(uffd);
	close(fd);
	printf("\nclosed the file\n");
	show_pages();
	printf("\n%s\n", failed ? "something did not behave" : "every step behaved");
	return failed;
}
