/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userfaultfd plumbing shared by the userspace suite and the demo: thin
 * ioctl wrappers returning 0 or -errno, a fault-handling thread, and the
 * ioctl that fd-style memory types hand out their files with.
 */
#ifndef UFFD_USER_H
#define UFFD_USER_H

#include <errno.h>
#include <fcntl.h>
#include <linux/uffd_shim.h>	/* the uapi: UFFD_SHIM_IOC_CREATE */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long page_size;

/* Read-write protection, Linux 7.3: older uapi headers lack it. */
#ifndef UFFD_FEATURE_RWP
#define UFFD_FEATURE_RWP		0x20000	/* bit 17 */
#define UFFDIO_REGISTER_MODE_RWP	0x8ULL	/* bit 3 */
#define UFFD_PAGEFAULT_FLAG_RWP		0x8	/* bit 3 */
#define UFFDIO_RWPROTECT_MODE_RWP	0x1ULL	/* bit 0 */
#define UFFDIO_RWPROTECT	_IOWR(UFFDIO, 0x09, struct uffdio_rwprotect)

struct uffdio_rwprotect {
	struct uffdio_range range;
	__u64 mode;
};
#endif

static inline void fill_pattern(char *buf, long len, int seed)
{
	for (long i = 0; i < len; i++)
		buf[i] = (char)(seed + i * 7);
}

static inline int check_pattern(const char *buf, long len, int seed)
{
	for (long i = 0; i < len; i++)
		if (buf[i] != (char)(seed + i * 7))
			return 0;
	return 1;
}

static inline int all_zero(const char *buf, long len)
{
	for (long i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

/* The number in the file @path (a type's page counter), or -1. */
static inline long read_counter(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

enum resolve {
	RESOLVE_COPY, RESOLVE_ZEROPAGE, RESOLVE_CONTINUE, RESOLVE_WP, RESOLVE_RWP,
	RESOLVE_WRITE_CONTINUE,	/* write() the page into the file, then CONTINUE */
};

struct handler {
	int uffd;
	enum resolve how;
	int seed;
	int faults;		/* resolved by the handler thread */
	unsigned long last_flags;
	unsigned long last_addr;
	int error;		/* first ioctl errno in the handler, or 0 */
	int fd;			/* RESOLVE_WRITE_CONTINUE: the mapped file */
	char *base;		/* and where its offset 0 is mapped */
	pthread_t thread;
};

/*
 * A memory file from @dev's UFFD_SHIM_IOC_CREATE (an fd-style type), or -1
 * with errno set.
 */
static inline int memfile_create(const char *dev, unsigned long long size,
				 unsigned long long flags)
{
	struct uffd_shim_create req = { .size = size, .flags = flags };
	int d = open(dev, O_RDWR | O_CLOEXEC);
	int fd, err;

	if (d < 0)
		return -1;
	fd = ioctl(d, UFFD_SHIM_IOC_CREATE, &req);
	err = errno;
	close(d);
	errno = err;
	return fd;
}

static inline int uffd_open(unsigned long long features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

static inline int uffd_register(int uffd, void *addr, long len,
				unsigned long long mode, unsigned long long *ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = mode,
	};
	int ret = ioctl(uffd, UFFDIO_REGISTER, &reg);

	if (!ret && ioctls)
		*ioctls = reg.ioctls;
	return ret ? -errno : 0;
}

static inline int uffd_copy(int uffd, unsigned long dst, const void *src, long len)
{
	struct uffdio_copy c = { .dst = dst, .src = (unsigned long)src, .len = len };

	return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

static inline int uffd_zeropage(int uffd, unsigned long dst, long len)
{
	struct uffdio_zeropage z = { .range = { .start = dst, .len = len } };

	return ioctl(uffd, UFFDIO_ZEROPAGE, &z) ? -errno : 0;
}

static inline int uffd_continue(int uffd, unsigned long dst, long len)
{
	struct uffdio_continue c = { .range = { .start = dst, .len = len } };

	return ioctl(uffd, UFFDIO_CONTINUE, &c) ? -errno : 0;
}

static inline int uffd_poison(int uffd, unsigned long dst, long len)
{
	struct uffdio_poison p = { .range = { .start = dst, .len = len } };

	return ioctl(uffd, UFFDIO_POISON, &p) ? -errno : 0;
}

static inline int uffd_wp(int uffd, unsigned long dst, long len, int protect)
{
	struct uffdio_writeprotect w = {
		.range = { .start = dst, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

static inline int uffd_rwp(int uffd, unsigned long dst, long len, int protect)
{
	struct uffdio_rwprotect r = {
		.range = { .start = dst, .len = len },
		.mode = protect ? UFFDIO_RWPROTECT_MODE_RWP : 0,
	};

	return ioctl(uffd, UFFDIO_RWPROTECT, &r) ? -errno : 0;
}

/* The fault-handling thread: resolve each fault as h->how says. */
static inline void *handler_main(void *arg)
{
	struct handler *h = arg;
	char *page = aligned_alloc(page_size, page_size);

	for (;;) {
		struct pollfd pfd = { .fd = h->uffd, .events = POLLIN };
		struct uffd_msg msg;
		unsigned long addr;
		int err = 0;

		if (poll(&pfd, 1, 10000) <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
			break;
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(page_size - 1);
		h->last_addr = msg.arg.pagefault.address;
		h->last_flags = msg.arg.pagefault.flags;
		switch (h->how) {
		case RESOLVE_COPY:
			fill_pattern(page, page_size, h->seed);
			err = uffd_copy(h->uffd, addr, page, page_size);
			break;
		case RESOLVE_ZEROPAGE:
			err = uffd_zeropage(h->uffd, addr, page_size);
			break;
		case RESOLVE_CONTINUE:
			err = uffd_continue(h->uffd, addr, page_size);
			break;
		case RESOLVE_WP:
			err = uffd_wp(h->uffd, addr, page_size, 0);
			break;
		case RESOLVE_RWP:
			err = uffd_rwp(h->uffd, addr, page_size, 0);
			break;
		case RESOLVE_WRITE_CONTINUE:
			fill_pattern(page, page_size, h->seed);
			if (pwrite(h->fd, page, page_size, addr - (unsigned long)h->base) !=
			    page_size)
				err = -errno;
			else
				err = uffd_continue(h->uffd, addr, page_size);
			break;
		}
		if (err && !h->error)
			h->error = err;
		__atomic_add_fetch(&h->faults, 1, __ATOMIC_SEQ_CST);
	}
	free(page);
	return NULL;
}

static inline void handler_start(struct handler *h, int uffd, enum resolve how, int seed)
{
	*h = (struct handler){ .uffd = uffd, .how = how, .seed = seed };
	pthread_create(&h->thread, NULL, handler_main, h);
}

/* Resolve by writing the faulting page of @fd, mapped at @base, and CONTINUE. */
static inline void handler_start_write(struct handler *h, int uffd, int fd,
				       char *base, int seed)
{
	*h = (struct handler){ .uffd = uffd, .how = RESOLVE_WRITE_CONTINUE,
			       .seed = seed, .fd = fd, .base = base };
	pthread_create(&h->thread, NULL, handler_main, h);
}

/* poll() is a cancellation point; a resolved fault is counted before it. */
static inline void handler_stop(struct handler *h)
{
	pthread_cancel(h->thread);
	pthread_join(h->thread, NULL);
}

#endif /* UFFD_USER_H */
