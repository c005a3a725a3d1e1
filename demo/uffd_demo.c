// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_demo: each userfaultfd mode on a ramfile mapping, narrated.
 *
 *   uffd_demo /mnt/ramfile
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "uffd_user.h"

#define PAGES 4

static const char *dir;
static sigjmp_buf sigbus_jmp;
static int sigbus_seen;

static void on_sigbus(int sig)
{
	(void)sig;
	sigbus_seen = 1;
	siglongjmp(sigbus_jmp, 1);
}

/* A fresh file of PAGES pages, its shared mapping and a uffd registered on it. */
static int setup(const char *name, unsigned long long mode, int *fd, int *uffd,
		 char **map)
{
	char path[256];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (*fd < 0 || ftruncate(*fd, PAGES * page_size))
		return -errno;
	*map = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    *fd, 0);
	if (*map == MAP_FAILED)
		return -errno;
	*uffd = uffd_open(0);
	if (*uffd < 0)
		return -errno;
	err = uffd_register(*uffd, *map, PAGES * page_size, mode, NULL);
	printf("  %s: %ld pages, shared mapping at %p, registered %s\n", path,
	       (long)PAGES, (void *)*map,
	       mode == UFFDIO_REGISTER_MODE_MISSING ? "MISSING" :
	       mode == UFFDIO_REGISTER_MODE_MINOR ? "MINOR" : "WP");
	return err;
}

static void teardown(int fd, int uffd, char *map)
{
	munmap(map, PAGES * page_size);
	close(uffd);
	close(fd);
}

static const char *fault_kind(unsigned long flags)
{
	if (flags & UFFD_PAGEFAULT_FLAG_MINOR)
		return "MINOR";
	if (flags & UFFD_PAGEFAULT_FLAG_WP)
		return "WP";
	return "MISSING";
}

static int demo_missing(enum resolve how)
{
	const char *name = how == RESOLVE_COPY ? "copy" : "zeropage";
	struct handler h;
	char *map, seen[8];
	int fd, uffd, err;

	printf("\nMISSING fault resolved by UFFDIO_%s\n",
	       how == RESOLVE_COPY ? "COPY" : "ZEROPAGE");
	err = setup(name, UFFDIO_REGISTER_MODE_MISSING, &fd, &uffd, &map);
	if (err)
		return err;
	handler_start(&h, uffd, how, 'A');
	memcpy(seen, map + 2 * page_size, sizeof(seen));
	handler_stop(&h);
	printf("  reader touched page 2 -> %s fault at %#lx\n",
	       fault_kind(h.last_flags), h.last_addr);
	printf("  handler answered with UFFDIO_%s: %s\n",
	       how == RESOLVE_COPY ? "COPY" : "ZEROPAGE",
	       h.error ? strerror(-h.error) : "ok");
	printf("  reader saw bytes %02x %02x %02x %02x (%s)\n", seen[0] & 0xff,
	       seen[1] & 0xff, seen[2] & 0xff, seen[3] & 0xff,
	       how == RESOLVE_COPY && check_pattern(seen, sizeof(seen), 'A') ?
	       "the handler's pattern" : "zeroes");
	pread(fd, seen, sizeof(seen), 2 * page_size);
	printf("  read() of the file at page 2 sees the same: %s\n",
	       (how == RESOLVE_COPY ? check_pattern(seen, sizeof(seen), 'A') :
				      !seen[0] && !seen[7]) ? "yes" : "NO");
	teardown(fd, uffd, map);
	return h.error;
}

static int demo_minor(void)
{
	static const char msg[] = "written with write()";
	char seen[sizeof(msg)];
	struct handler h;
	char *map;
	int fd, uffd, err;

	printf("\nMINOR fault resolved by UFFDIO_CONTINUE\n");
	err = setup("minor", UFFDIO_REGISTER_MODE_MINOR, &fd, &uffd, &map);
	if (err)
		return err;
	pwrite(fd, msg, sizeof(msg), page_size);
	printf("  page 1 filled through write(): \"%s\"\n", msg);
	handler_start(&h, uffd, RESOLVE_CONTINUE, 0);
	memcpy(seen, map + page_size, sizeof(seen));
	handler_stop(&h);
	printf("  reader touched page 1 -> %s fault (page is cached, not mapped)\n",
	       fault_kind(h.last_flags));
	printf("  handler answered with UFFDIO_CONTINUE: %s\n",
	       h.error ? strerror(-h.error) : "ok");
	printf("  reader saw \"%s\"\n", seen);
	teardown(fd, uffd, map);
	return h.error;
}

static int demo_poison(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	char *map;
	int fd, uffd, err;

	printf("\nUFFDIO_POISON\n");
	err = setup("poison", UFFDIO_REGISTER_MODE_MISSING, &fd, &uffd, &map);
	if (err)
		return err;
	err = uffd_poison(uffd, (unsigned long)map + 3 * page_size, page_size);
	printf("  UFFDIO_POISON on page 3: %s\n", err ? strerror(-err) : "ok");
	sigaction(SIGBUS, &sa, NULL);
	if (!sigsetjmp(sigbus_jmp, 1))
		printf("  read gave %d\n", map[3 * page_size]);
	printf("  reader touched page 3 -> %s\n",
	       sigbus_seen ? "SIGBUS, as poisoned memory must" : "no signal (unexpected)");
	teardown(fd, uffd, map);
	return err ? err : !sigbus_seen;
}

static int demo_wp(void)
{
	struct handler h;
	char *map;
	int fd, uffd, err;

	printf("\nWRITE-PROTECT resolved by UFFDIO_WRITEPROTECT\n");
	err = setup("wp", UFFDIO_REGISTER_MODE_WP, &fd, &uffd, &map);
	if (err == -EINVAL) {
		printf("  this kernel has no write-protect for file memory\n");
		return 0;
	}
	if (err)
		return err;
	memset(map, 'r', PAGES * page_size);
	uffd_wp(uffd, (unsigned long)map, PAGES * page_size, 1);
	printf("  all pages populated, then write-protected\n");
	handler_start(&h, uffd, RESOLVE_WP, 0);
	map[0] = 'w';
	handler_stop(&h);
	printf("  writer stored to page 0 -> %s fault; handler un-protected it (%s)\n",
	       fault_kind(h.last_flags), h.error ? strerror(-h.error) : "ok");
	printf("  the store landed: page 0 starts with '%c'\n", map[0]);
	teardown(fd, uffd, map);
	return h.error;
}

int main(int argc, char **argv)
{
	int failed = 0;

	page_size = sysconf(_SC_PAGESIZE);
	dir = argc > 1 ? argv[1] : "/mnt/ramfile";
	setvbuf(stdout, NULL, _IOLBF, 0);
	failed |= demo_missing(RESOLVE_COPY) != 0;
	failed |= demo_missing(RESOLVE_ZEROPAGE) != 0;
	failed |= demo_minor() != 0;
	failed |= demo_poison() != 0;
	failed |= demo_wp() != 0;
	printf("\n%s\n", failed ? "some mode did not behave" : "every mode behaved");
	return failed;
}
