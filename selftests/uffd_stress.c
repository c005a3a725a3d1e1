// SPDX-License-Identifier: GPL-2.0
/*
 * Stress for a memory type on uffd-shim: does it lose, corrupt or leak
 * anything when many threads fault, fill, write, punch and truncate at once?
 *
 *   UFFD_STRESS_DIR=/mnt/ramfile UFFD_STRESS_PAGES=<page counter file> \
 *   UFFD_STRESS_SECONDS=12 ./uffd_stress
 *
 * Without UFFD_STRESS_DIR the files are memfds: shmem, the in-tree type the
 * test itself is checked against. With UFFD_STRESS_DEVICE they come from
 * that device's UFFD_SHIM_IOC_CREATE (an fd-style type: fixed size, write()
 * into holes only, no read()): then checkers read through the mapping only,
 * a pwrite() punches its page first, and truncation is a punch of the tail,
 * so the race file races faults and fills against punches, without SIGBUS.
 * Output is one KTAP document.
 *
 * The checked file. Every page has a model under a per-page rwlock: the
 * generation it holds (its bytes are a function of page and generation;
 * generation 0 is zeroes), or "hole" plus the generation the fault handler
 * fills it with. Checkers read pages under the read lock, through a mapping
 * registered for MISSING and MINOR (faults go to the handler thread, which
 * resolves them with UFFDIO_COPY, UFFDIO_ZEROPAGE or UFFDIO_CONTINUE) or with
 * pread(), and compare every byte. Mutators change pages under the write
 * lock: pwrite(), stores through a plain mapping, stores through the
 * registered one, hole punches, and truncate-and-regrow of the tail; others
 * zap the registered mapping so cached pages come back as MINOR faults.
 * A MISSING fault on a page the model says is present is a lost page; a
 * MINOR fault on one it says is a hole is a page that came back.
 *
 * The race file. No locks: racers read and write random pages through a
 * plain and a registered mapping while a truncator shrinks and regrows it,
 * so faults, fills and truncation of the same pages overlap. Racers survive
 * the SIGBUS of an access beyond EOF. After each shrink has returned and
 * every access in flight has ended, mincore() must find no page beyond EOF.
 *
 * At the end the files are unlinked and closed; the type's page counter
 * (UFFD_STRESS_PAGES) must be back to what it was before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "uffd_user.h"

#define PAGES		64	/* checked file */
#define RACE_PAGES	32	/* race file */
#define CHECKERS	2
#define MUTATORS	2
#define RACERS		2

struct page_state {
	pthread_rwlock_t lock;
	/* Written under the write lock, or by the handler for a reader. */
	unsigned int want;	/* generation held; 0: zeroes */
	unsigned int fill;	/* generation the handler fills a hole with */
	int hole;		/* not in the page cache */
	/* The last changes, printed if the page reads wrong. */
	unsigned int nhist;
	struct { char op; unsigned int gen; } hist[8];
};

/* Record a change of @p: op W pwrite, P/R store through the plain/registered
 * mapping, H punch, T truncate, C copy, Z zeropage, M continue.
 */
static void note(struct page_state *p, char op, unsigned int gen)
{
	unsigned int n = __atomic_fetch_add(&p->nhist, 1, __ATOMIC_RELAXED) % 8;

	p->hist[n].op = op;
	p->hist[n].gen = gen;
}

static struct page_state pages[PAGES];
static char *reg_map, *plain_map;		/* checked file */
static char *race_plain, *race_reg;		/* race file */
static int fd, race_fd, uffd;
static int on_shmem;	/* memfds, not a mount */
static int on_device;	/* files from a device ioctl (UFFD_STRESS_DEVICE) */
static int stop;	/* 1: threads end; 2: then the handler */
static unsigned int next_gen = 1;

static struct {
	long checked, lost, corrupt, came_back, left_beyond_eof, unexpected;
	long copy, zeropage, cont, eexist;
	long pwrite, map_write, uffd_write, punch, truncate, zap;
	long race_truncate, race_sigbus, race_fill_failed, race_access;
} st;

/* CPUs each half of the test ran on: a race on one CPU proves nothing. */
static unsigned long long cpus_checked, cpus_race;

static void note_cpu(unsigned long long *mask)
{
	int cpu = sched_getcpu();

	if (cpu >= 0)
		__atomic_or_fetch(mask, 1ULL << (cpu % 64), __ATOMIC_RELAXED);
}

static int stopping(int level)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED) >= level;
}

#define count(field) __atomic_add_fetch(&st.field, 1, __ATOMIC_RELAXED)

static void unexpected(const char *what, int err)
{
	/* The first few are enough to see what went wrong. */
	if (count(unexpected) <= 5)
		printf("# error: %s: %s\n", what, strerror(err));
}

static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int new_gen(void)
{
	return __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
}

#define MIX 0x9e3779b97f4a7c15ull	/* odd: invertible modulo 2^64 */

/* The bytes of page @i at generation @gen. */
static void pattern(unsigned long long *buf, unsigned int i, unsigned int gen)
{
	for (long w = 0; w < page_size / 8; w++)
		buf[w] = gen ? ((unsigned long long)i << 40 |
				(unsigned long long)gen << 12 | w) * MIX + 1 : 0;
}

/* Which page and generation wrote @word, as a diagnostic for a mismatch. */
static void describe(unsigned long long word, unsigned int *i, unsigned int *gen)
{
	unsigned long long inv = MIX, x;

	for (int n = 0; n < 6; n++)
		inv *= 2 - MIX * inv;	/* Newton: MIX * inv == 1 */
	x = (word - 1) * inv;
	*i = x >> 40;
	*gen = x >> 12 & 0xfffffff;
}

/* Compare a page read back through @how with what the model expects. */
static void verdict(const char *how, const char *got, unsigned int i,
		    unsigned int gen, int zero_ok, unsigned long long *scratch)
{
	unsigned int long_off = 0, other_i = 0, other_gen = 0;

	count(checked);
	pattern(scratch, i, gen);
	if (!memcmp(got, scratch, page_size) || (zero_ok && all_zero(got, page_size)))
		return;
	if (all_zero(got, page_size)) {
		count(lost);
		if (st.lost + st.corrupt <= 5)
			printf("# page %u (%s): expected generation %u, read zeroes\n",
			       i, how, gen);
		return;
	}
	count(corrupt);
	while (long_off < page_size / 8 &&
	       ((unsigned long long *)got)[long_off] == scratch[long_off])
		long_off++;
	describe(((unsigned long long *)got)[long_off] - long_off * MIX,
		 &other_i, &other_gen);
	if (st.lost + st.corrupt <= 5) {
		struct page_state *p = &pages[i];
		unsigned int end = __atomic_load_n(&p->nhist, __ATOMIC_RELAXED);
		char hist[8 * 16] = "", *h = hist;

		for (unsigned int n = end - 8; n != end; n++)
			h += sprintf(h, " %c%u", p->hist[n % 8].op ?: '-', p->hist[n % 8].gen);
		printf("# page %u (%s): expected generation %u, %s %u: page %u generation %u\n",
		       i, how, gen, "read from byte", long_off * 8, other_i, other_gen);
		printf("# page %u history, oldest first:%s\n", i, hist);
	}
}

static void *checker(void *arg)
{
	unsigned long long seed = (long)arg * 7919 + time(NULL);
	unsigned long long *got = aligned_alloc(page_size, page_size);
	unsigned long long *scratch = aligned_alloc(page_size, page_size);

	while (!stopping(1)) {
		unsigned int i = rnd(&seed) % PAGES;
		struct page_state *p = &pages[i];

		note_cpu(&cpus_checked);
		pthread_rwlock_rdlock(&p->lock);
		if (rnd(&seed) % 4 || on_device) {
			/* Through the registered mapping: faults go to the handler. */
			memcpy(got, reg_map + i * page_size, page_size);
			verdict("mapping", (char *)got, i,
				__atomic_load_n(&p->want, __ATOMIC_ACQUIRE), 0, scratch);
		} else {
			/* pread of a hole reads zeroes, unless the handler fills it meanwhile. */
			int hole = __atomic_load_n(&p->hole, __ATOMIC_ACQUIRE);
			unsigned int gen = hole ? p->fill : p->want;

			if (pread(fd, got, page_size, i * page_size) != page_size)
				unexpected("pread", errno);
			else
				verdict("pread", (char *)got, i, gen, hole, scratch);
		}
		pthread_rwlock_unlock(&p->lock);
	}
	free(got);
	free(scratch);
	return NULL;
}

/* Page @i's next fault in the registered mapping is MINOR (or MISSING on a hole). */
static void zap(unsigned int i, unsigned int n)
{
	if (madvise(reg_map + i * page_size, n * page_size, MADV_DONTNEED))
		unexpected("madvise(MADV_DONTNEED)", errno);
}

static int punch(int f, unsigned int from, unsigned int n)
{
	return fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 from * page_size, n * page_size);
}

/* Cut @f back to @k of its @len pages, and regrow it: or punch the tail. */
static int shrink(int f, unsigned int k, unsigned int len)
{
	if (on_device)
		return k < len ? punch(f, k, len - k) : 0;
	return ftruncate(f, k * page_size) || ftruncate(f, len * page_size);
}

static void *mutator(void *arg)
{
	unsigned long long seed = (long)arg * 104729 + time(NULL);
	unsigned long long *buf = aligned_alloc(page_size, page_size);

	while (!stopping(1)) {
		unsigned int i = rnd(&seed) % PAGES, gen = new_gen();
		unsigned int op = rnd(&seed) % 12;
		struct page_state *p = &pages[i];

		if (op == 11) {
			/* Truncate the tail away and regrow: all of it becomes holes. */
			unsigned int k = PAGES / 2 + rnd(&seed) % (PAGES / 2);

			for (unsigned int j = k; j < PAGES; j++)
				pthread_rwlock_wrlock(&pages[j].lock);
			if (shrink(fd, k, PAGES))
				unexpected("ftruncate", errno);
			for (unsigned int j = k; j < PAGES; j++) {
				pages[j].hole = 1;
				pages[j].fill = rnd(&seed) % 3 ? new_gen() : 0;
				note(&pages[j], 'T', pages[j].fill);
			}
			for (unsigned int j = PAGES; j-- > k;)
				pthread_rwlock_unlock(&pages[j].lock);
			count(truncate);
			continue;
		}
		if (op == 10) {
			zap(0, PAGES);	/* the model is untouched: no lock */
			count(zap);
			continue;
		}
		pthread_rwlock_wrlock(&p->lock);
		switch (op) {
		case 0 ... 2:
			pattern(buf, i, gen);
			if (on_device && punch(fd, i, 1)) {
				unexpected("fallocate(PUNCH_HOLE) before pwrite", errno);
				break;
			}
			if (pwrite(fd, buf, page_size, i * page_size) != page_size) {
				unexpected("pwrite", errno);
				break;
			}
			p->want = gen;
			p->hole = 0;
			zap(i, 1);
			note(p, 'W', gen);
			count(pwrite);
			break;
		case 3 ... 7: {
			/*
			 * Through the plain mapping the kernel's own fault path
			 * fills a hole; through the registered one the store
			 * faults to the handler first (a fill or a CONTINUE).
			 */
			int plain = op <= 5;

			pattern((unsigned long long *)((plain ? plain_map : reg_map) +
						       i * page_size), i, gen);
			p->want = gen;
			p->hole = 0;
			note(p, plain ? 'P' : 'R', gen);
			if (plain)
				count(map_write);
			else
				count(uffd_write);
			break;
		}
		default:
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      i * page_size, page_size)) {
				unexpected("fallocate(PUNCH_HOLE)", errno);
				break;
			}
			p->hole = 1;
			p->fill = rnd(&seed) % 3 ? gen : 0;
			note(p, 'H', p->fill);
			count(punch);
		}
		pthread_rwlock_unlock(&p->lock);
	}
	free(buf);
	return NULL;
}

static void wake(unsigned long addr)
{
	struct uffdio_range r = { .start = addr, .len = page_size };

	if (ioctl(uffd, UFFDIO_WAKE, &r))
		unexpected("UFFDIO_WAKE", errno);
}

/* UFFDIO_COPY (gen != 0), UFFDIO_ZEROPAGE or UFFDIO_CONTINUE; no wake-up. */
static int fill(unsigned long addr, unsigned int i, unsigned int gen,
		int minor, unsigned long long *buf)
{
	struct uffdio_continue cont = {
		.range = { .start = addr, .len = page_size },
		.mode = UFFDIO_CONTINUE_MODE_DONTWAKE,
	};
	struct uffdio_zeropage zero = {
		.range = { .start = addr, .len = page_size },
		.mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE,
	};
	struct uffdio_copy copy = {
		.dst = addr, .src = (unsigned long)buf, .len = page_size,
		.mode = UFFDIO_COPY_MODE_DONTWAKE,
	};

	if (minor)
		return ioctl(uffd, UFFDIO_CONTINUE, &cont) ? -errno : 0;
	if (!gen)
		return ioctl(uffd, UFFDIO_ZEROPAGE, &zero) ? -errno : 0;
	pattern(buf, i, gen);
	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

/*
 * A fault in the checked file. The faulting thread holds page @i's lock
 * until it has read the page, so the model is updated before the wake-up:
 * after it, a mutator may change the page at once. And before the fill
 * itself for what the reader compares: a thread that had not gone to sleep
 * yet in handle_userfault() goes on as soon as the page is mapped.
 */
static void resolve_checked(unsigned long addr, unsigned int i, int minor,
			    unsigned long long *buf)
{
	struct page_state *p = &pages[i];
	int hole = p->hole;
	unsigned int old = p->want, gen = hole ? p->fill : old;
	int err;

	__atomic_store_n(&p->want, gen, __ATOMIC_RELEASE);
	err = fill(addr, i, gen, minor, buf);

	if (!err && minor && hole) {
		count(came_back);
		printf("# page %u: punched or truncated, came back\n", i);
	}
	if (!err && !minor && !hole) {
		count(lost);	/* it was there: who took it? */
		printf("# page %u: generation %u vanished\n", i, gen);
	}
	if (err)
		__atomic_store_n(&p->want, old, __ATOMIC_RELEASE);
	if (!err) {
		__atomic_store_n(&p->hole, 0, __ATOMIC_RELEASE);
		note(p, minor ? 'M' : gen ? 'C' : 'Z', gen);
		if (minor)
			count(cont);
		else if (gen)
			count(copy);
		else
			count(zeropage);
	} else if (err == -EEXIST) {
		count(eexist);	/* two threads faulted the same page */
	} else {
		unexpected(minor ? "UFFDIO_CONTINUE" : "UFFDIO_COPY/ZEROPAGE", -err);
	}
	wake(addr);
}

/* A fault in the race file: whatever outcome the truncation leaves. */
static void resolve_race(unsigned long addr, unsigned long long *buf)
{
	int err = addr & page_size ? uffd_zeropage(uffd, addr, page_size) :
		  uffd_copy(uffd, addr, buf, page_size);

	if (!err)
		return;
	/*
	 * Beyond EOF: EFAULT (shmem: ENOMEM, its alloc_folio cannot say
	 * why), or ENOENT/EAGAIN as mfill retries.
	 */
	if (err == -EFAULT || err == -ENOENT || err == -EAGAIN || err == -EEXIST ||
	    (err == -ENOMEM && on_shmem))
		count(race_fill_failed);
	else
		unexpected("race fill", -err);
	wake(addr);
}

static void *handler(void *arg)
{
	unsigned long long *buf = aligned_alloc(page_size, page_size);

	(void)arg;
	memset(buf, 0x5a, page_size);
	for (;;) {
		struct pollfd pfd = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;
		unsigned long addr;

		if (poll(&pfd, 1, 100) == 0) {
			if (stopping(2))
				break;
			continue;
		}
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno != EAGAIN)
				unexpected("read(userfaultfd)", errno);
			continue;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(page_size - 1);
		if (addr >= (unsigned long)reg_map &&
		    addr < (unsigned long)reg_map + PAGES * page_size)
			resolve_checked(addr, (addr - (unsigned long)reg_map) / page_size,
					msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR,
					buf);
		else
			resolve_race(addr, buf);
	}
	free(buf);
	return NULL;
}

static __thread sigjmp_buf bus_jmp;
static __thread int bus_armed;
static long racer_seq[RACERS];

static void on_sigbus(int sig)
{
	static const char msg[] = "Bail out! SIGBUS outside the race file\n";

	(void)sig;
	if (!bus_armed) {
		write(1, msg, sizeof(msg) - 1);
		_exit(1);
	}
	siglongjmp(bus_jmp, 1);
}

static void *racer(void *arg)
{
	/* Not a local: sigsetjmp() would leave its value undefined. */
	static __thread unsigned long long seed;
	long id = (long)arg;

	seed = id * 15485863 + time(NULL);

	while (!stopping(1)) {
		unsigned int i = rnd(&seed) % RACE_PAGES, op = rnd(&seed) % 3;
		char *where = (op == 2 ? race_reg : race_plain) + i * page_size +
			      rnd(&seed) % page_size;

		note_cpu(&cpus_race);
		bus_armed = 1;
		if (sigsetjmp(bus_jmp, 1)) {
			count(race_sigbus);	/* beyond EOF: the truncator won */
		} else {
			/* Atomic only so that the compiler keeps the access. */
			if (op == 1)
				__atomic_store_n(where, 1, __ATOMIC_RELAXED);
			else
				__atomic_load_n(where, __ATOMIC_RELAXED);
			count(race_access);
		}
		bus_armed = 0;
		__atomic_add_fetch(&racer_seq[id], 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static long resident(char *map, unsigned int from, unsigned int to)
{
	unsigned char vec[RACE_PAGES];
	long n = 0;

	if (from >= to)
		return 0;
	if (mincore(map + from * page_size, (to - from) * page_size, vec)) {
		unexpected("mincore", errno);
		return 0;
	}
	for (unsigned int j = 0; j < to - from; j++)
		n += vec[j] & 1;
	return n;
}

static void *truncator(void *arg)
{
	unsigned long long seed = time(NULL) * 31;

	(void)arg;
	while (!stopping(1)) {
		unsigned int k = rnd(&seed) % RACE_PAGES;
		long snap[RACERS], left;
		struct timespec t0, t;

		if (on_device) {
			/* No EOF to race: punches race the faults and fills. */
			if (shrink(race_fd, k, RACE_PAGES))
				unexpected("fallocate(PUNCH_HOLE) (race)", errno);
			count(race_truncate);
			continue;
		}
		if (ftruncate(race_fd, k * page_size)) {
			unexpected("ftruncate (race)", errno);
			continue;
		}
		/* Every access in flight when it returned has ended. */
		for (int r = 0; r < RACERS; r++)
			snap[r] = __atomic_load_n(&racer_seq[r], __ATOMIC_ACQUIRE);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int r = 0; r < RACERS; r++) {
			while (!stopping(1) &&
			       __atomic_load_n(&racer_seq[r], __ATOMIC_ACQUIRE) == snap[r]) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				if (t.tv_sec - t0.tv_sec > 10) {
					unexpected("racer stuck after truncate", ETIMEDOUT);
					break;
				}
				sched_yield();
			}
		}
		left = resident(race_plain, k, RACE_PAGES) + resident(race_reg, k, RACE_PAGES);
		if (left) {
			__atomic_add_fetch(&st.left_beyond_eof, left, __ATOMIC_RELAXED);
			printf("# race: %ld pages resident beyond EOF (%u pages) after truncate\n",
			       left, k);
		}
		if (ftruncate(race_fd, RACE_PAGES * page_size))
			unexpected("ftruncate (race regrow)", errno);
		count(race_truncate);
	}
	return NULL;
}

static int open_file(const char *dir, const char *name, long len)
{
	char path[4096];
	int f;

	if (on_device) {
		f = memfile_create(getenv("UFFD_STRESS_DEVICE"), len, 0);
		if (f >= 0)
			return f;
	} else if (dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (f >= 0)
			unlink(path);	/* held by the fd; freed at close */
	} else {
		f = memfd_create(name, 0);
	}
	if (f < 0 || ftruncate(f, len)) {
		printf("Bail out! %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return f;
}

static char *map(int f, long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);

	if (p == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

static int n_case;

static void ktap(int ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++n_case, name);
}

static void on_alarm(int sig)
{
	static const char msg[] = "Bail out! stress did not finish in time\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	const char *dir = getenv("UFFD_STRESS_DIR");
	const char *counter_path = getenv("UFFD_STRESS_PAGES");
	int seconds = getenv("UFFD_STRESS_SECONDS") ? atoi(getenv("UFFD_STRESS_SECONDS")) : 12;
	pthread_t th[CHECKERS + MUTATORS + RACERS + 2];
	long before, after;
	int n = 0, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	signal(SIGBUS, on_sigbus);
	signal(SIGALRM, on_alarm);
	alarm(seconds * 4 + 60);
	printf("KTAP version 1\n1..8\n");
	printf("# %s for %d s\n", getenv("UFFD_STRESS_DEVICE") ?: dir ?: "shmem (memfd)",
	       seconds);
	printf("# %d pages checked by %d threads, changed by %d\n",
	       PAGES, CHECKERS, MUTATORS);
	printf("# %d pages raced by %d threads against truncation\n",
	       RACE_PAGES, RACERS);

	on_device = !!getenv("UFFD_STRESS_DEVICE");
	on_shmem = !dir && !on_device;
	before = read_counter(counter_path);
	fd = open_file(dir, "uffd_stress", PAGES * page_size);
	race_fd = open_file(dir, "uffd_stress_race", RACE_PAGES * page_size);
	reg_map = map(fd, PAGES * page_size);
	plain_map = map(fd, PAGES * page_size);
	race_reg = map(race_fd, RACE_PAGES * page_size);
	race_plain = map(race_fd, RACE_PAGES * page_size);
	for (int i = 0; i < PAGES; i++) {
		pthread_rwlock_init(&pages[i].lock, NULL);
		pages[i].hole = 1;
		pages[i].fill = i % 3 ? new_gen() : 0;
	}

	uffd = uffd_open(0);
	if (uffd < 0) {
		printf("Bail out! userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	err = uffd_register(uffd, reg_map, PAGES * page_size,
			    UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR, NULL);
	if (!err)
		err = uffd_register(uffd, race_reg, RACE_PAGES * page_size,
				    UFFDIO_REGISTER_MODE_MISSING, NULL);
	if (err) {
		printf("Bail out! UFFDIO_REGISTER: %s\n", strerror(-err));
		return 1;
	}

	pthread_create(&th[n++], NULL, handler, NULL);
	for (long t = 0; t < CHECKERS; t++)
		pthread_create(&th[n++], NULL, checker, (void *)t);
	for (long t = 0; t < MUTATORS; t++)
		pthread_create(&th[n++], NULL, mutator, (void *)t);
	for (long t = 0; t < RACERS; t++)
		pthread_create(&th[n++], NULL, racer, (void *)t);
	pthread_create(&th[n++], NULL, truncator, NULL);
	sleep(seconds);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int t = 1; t < n; t++)
		pthread_join(th[t], NULL);
	/* The handler outlives every thread that can fault. */
	__atomic_store_n(&stop, 2, __ATOMIC_RELAXED);
	pthread_join(th[0], NULL);

	munmap(reg_map, PAGES * page_size);
	munmap(plain_map, PAGES * page_size);
	munmap(race_reg, RACE_PAGES * page_size);
	munmap(race_plain, RACE_PAGES * page_size);
	close(uffd);
	close(fd);
	close(race_fd);
	after = read_counter(counter_path);

	printf("# checked %ld pages: %ld lost, %ld corrupt, %ld came back\n",
	       st.checked, st.lost, st.corrupt, st.came_back);
	printf("# fills: %ld copy, %ld zeropage, %ld continue, %ld EEXIST\n",
	       st.copy, st.zeropage, st.cont, st.eexist);
	printf("# stores: %ld pwrite, %ld plain mapping, %ld registered mapping\n",
	       st.pwrite, st.map_write, st.uffd_write);
	printf("# %ld punches, %ld truncate+regrow, %ld zaps\n",
	       st.punch, st.truncate, st.zap);
	printf("# race: %ld truncates, %ld accesses, %ld SIGBUS\n",
	       st.race_truncate, st.race_access, st.race_sigbus);
	printf("# race: %ld fills failed, %ld pages left beyond EOF\n",
	       st.race_fill_failed, st.left_beyond_eof);
	printf("# type's page counter: %ld before, %ld after\n", before, after);
	printf("# CPUs online %ld; checkers ran on %d, racers on %d\n",
	       sysconf(_SC_NPROCESSORS_ONLN), __builtin_popcountll(cpus_checked),
	       __builtin_popcountll(cpus_race));

	ktap(st.checked > 0 && st.copy && st.zeropage && st.cont && st.pwrite &&
	     st.map_write && st.uffd_write && st.punch && st.truncate &&
	     st.race_truncate && (st.race_sigbus || on_device),
	     "every_fill_mutation_and_race_happened");
	ktap(__builtin_popcountll(cpus_checked) > 1 &&
	     __builtin_popcountll(cpus_race) > 1, "threads_ran_on_more_than_one_cpu");
	ktap(!st.lost, "no_page_lost");
	ktap(!st.corrupt, "no_page_corrupt");
	ktap(!st.came_back, "no_punched_or_truncated_page_comes_back");
	if (on_device)
		printf("ok %d no_page_outlives_a_truncate_it_raced # SKIP %s\n", ++n_case,
		       "fd-style type: the size is fixed");
	else
		ktap(!st.left_beyond_eof, "no_page_outlives_a_truncate_it_raced");
	ktap(!st.unexpected, "no_unexpected_errno");
	if (before < 0)
		printf("ok %d no_folio_leaked_after_close # SKIP %s\n", ++n_case,
		       "the type has no page counter");
	else
		ktap(after == before, "no_folio_leaked_after_close");
	return 0;
}
