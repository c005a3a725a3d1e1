// SPDX-License-Identifier: GPL-2.0
/*
 * Fault round-trips per second, the same program for every memory type:
 *
 *   uffd_bench NAME=DIR ... [shmem] [anon]
 *
 * NAME=DIR is a mount of a memory type (files are created in DIR) or, for
 * an fd-style type, its device (NAME=/dev/NAME: files come from its
 * UFFD_SHIM_IOC_CREATE ioctl); shmem uses memfds, anon private anonymous
 * memory. For each type, mode and
 * number of faulting threads (1, 2, 4) it prints one CSV line:
 *
 *   type,mode,threads,faults,seconds,faults_per_second
 *
 * Modes: first-touch (no userfaultfd: the kernel fills the hole itself;
 * for anon a read maps the shared zero page, so it is no peer of the files),
 * missing-copy, missing-zeropage and minor-continue (a userfaultfd round
 * trip per page: fault, message, resolving ioctl, wake-up). Every faulting
 * thread reads one byte of each page of its own 2 MiB region and has its
 * own userfaultfd and handler thread, so threads share nothing but the
 * file. The region is reset between passes (hole punch, or MADV_DONTNEED
 * for anon and for MINOR), outside the timed part. Each configuration runs
 * ROUNDS times, interleaved with the others so that drift in a shared
 * machine spreads evenly; the report takes the median.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/uffd_shim.h>

#include "../selftests/uffd_user.h"

#define PAGES		512	/* per faulting thread: 2 MiB */
#define MAX_THREADS	4
#define MIN_SECONDS	1.0	/* timed per configuration and round */
#define ROUNDS		5

enum mode { FIRST_TOUCH, MISSING_COPY, MISSING_ZEROPAGE, MINOR_CONTINUE, NR_MODES };

static const char *const mode_name[NR_MODES] = {
	"first-touch", "missing-copy", "missing-zeropage", "minor-continue",
};

struct target {
	const char *name;
	const char *dir;	/* NULL: memfd, or anon */
	int anon;
};

struct worker {
	char *region;
	int uffd;
	struct handler handler;	/* uffd_user.h's fault-handling thread */
	pthread_barrier_t *start;
	long faults;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "uffd_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *faulter(void *arg)
{
	struct worker *w = arg;
	long sum = 0;

	pthread_barrier_wait(w->start);
	for (long p = 0; p < PAGES; p++)
		sum += __atomic_load_n(w->region + p * page_size, __ATOMIC_RELAXED);
	w->faults += PAGES;
	return (void *)sum;
}

/* One timed pass over every worker's region; returns its wall time. */
static double pass(struct worker *w, int threads)
{
	pthread_barrier_t start;
	pthread_t t[MAX_THREADS];
	double t0;

	pthread_barrier_init(&start, NULL, threads + 1);
	for (int i = 0; i < threads; i++) {
		w[i].start = &start;
		pthread_create(&t[i], NULL, faulter, &w[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now();
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	t0 = now() - t0;
	pthread_barrier_destroy(&start);
	return t0;
}

static void reset(const struct target *tg, int fd, char *map, long len,
		  enum mode mode)
{
	/* MINOR keeps the page cache: only the page tables go. */
	if (tg->anon || mode == MINOR_CONTINUE) {
		if (madvise(map, len, MADV_DONTNEED))
			die("madvise");
		return;
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len))
		die("fallocate(PUNCH_HOLE)");
}

static int open_target(const struct target *tg, long len)
{
	char path[4096];
	int fd;

	if (tg->anon)
		return -1;
	if (tg->dir && !strncmp(tg->dir, "/dev/", 5)) {
		/* A memory file has its size from birth: no ftruncate(). */
		struct uffd_shim_create req = { .size = len };
		int dev = open(tg->dir, O_RDWR);

		fd = dev < 0 ? -1 : ioctl(dev, UFFD_SHIM_IOC_CREATE, &req);
		if (fd < 0)
			die("creating a memory file");
		close(dev);
		return fd;
	}
	if (tg->dir) {
		snprintf(path, sizeof(path), "%s/uffd_bench", tg->dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			unlink(path);
	} else {
		fd = memfd_create("uffd_bench", 0);
	}
	if (fd < 0 || ftruncate(fd, len))
		die("creating the file");
	return fd;
}

static void run(const struct target *tg, enum mode how, int threads)
{
	long len = (long)threads * PAGES * page_size;
	struct worker w[MAX_THREADS] = {};
	double seconds = 0;
	long faults = 0;
	int fd;
	char *map;

	/* MINOR faults exist for the page cache only. */
	if (tg->anon && how == MINOR_CONTINUE)
		return;
	fd = open_target(tg, len);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   tg->anon ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		die("mmap");
	if (how == MINOR_CONTINUE) {
		/* Fill the page cache through a second, plain mapping. */
		char *fill = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (fill == MAP_FAILED)
			die("mmap");
		for (long off = 0; off < len; off += page_size)
			fill[off] = 1;
		munmap(fill, len);
	}
	for (int i = 0; i < threads; i++) {
		w[i].region = map + (long)i * PAGES * page_size;
		if (how == FIRST_TOUCH)
			continue;
		w[i].uffd = uffd_open(0);
		if (w[i].uffd < 0)
			die("userfaultfd");
		if (uffd_register(w[i].uffd, w[i].region, PAGES * page_size,
				  how == MINOR_CONTINUE ? UFFDIO_REGISTER_MODE_MINOR :
				  UFFDIO_REGISTER_MODE_MISSING, NULL))
			die("UFFDIO_REGISTER");
		handler_start(&w[i].handler, w[i].uffd,
			      how == MISSING_COPY ? RESOLVE_COPY :
			      how == MISSING_ZEROPAGE ? RESOLVE_ZEROPAGE : RESOLVE_CONTINUE, 1);
	}
	while (seconds < MIN_SECONDS || faults < 2L * threads * PAGES) {
		seconds += pass(w, threads);
		faults = 0;
		for (int i = 0; i < threads; i++)
			faults += w[i].faults;
		reset(tg, fd, map, len, how);
	}
	printf("%s,%s,%d,%ld,%.6f,%.0f\n", tg->name, mode_name[how], threads,
	       faults, seconds, faults / seconds);
	for (int i = 0; i < threads && how != FIRST_TOUCH; i++) {
		handler_stop(&w[i].handler);
		close(w[i].uffd);
		if (w[i].handler.error) {
			errno = -w[i].handler.error;
			die("resolving a fault");
		}
	}
	munmap(map, len);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	static const int thread_counts[] = { 1, 2, 4 };
	struct target tg[16];
	int n = 0;

	page_size = sysconf(_SC_PAGESIZE);
	for (int a = 1; a < argc && n < 16; a++) {
		char *eq = strchr(argv[a], '=');

		tg[n].anon = !strcmp(argv[a], "anon");
		tg[n].dir = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		tg[n++].name = argv[a];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("type,mode,threads,faults,seconds,faults_per_second\n");
	for (int round = 0; round < ROUNDS; round++)
		for (int m = 0; m < NR_MODES; m++)
			for (int t = 0; t < 3; t++)
				for (int i = 0; i < n; i++)
					run(&tg[i], m, thread_counts[t]);
	return 0;
}
