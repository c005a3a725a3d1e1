// SPDX-License-Identifier: GPL-2.0
/*
 * Fault round trips per second, the same program for every memory type:
 *
 *   uffd_bench [-r ROUNDS] [-p PASSES | -s SECONDS] [-t 1,2,4] [-m MODE,...]
 *              [-l per-thread,shared] [-F] [-S] -o DIR  NAME=DIR ... [shmem] [anon]
 *
 * NAME=DIR is a mount of a memory type (files are created in DIR) or, for
 * an fd-style type, its device (NAME=/dev/NAME: files come from its
 * UFFD_SHIM_IOC_CREATE ioctl); shmem uses memfds, anon private anonymous
 * memory.
 *
 * Modes (-m): first-touch (no userfaultfd: the kernel fills the hole
 * itself; for anon a read maps the shared zero page, so it is no peer of
 * the files), missing-copy, missing-zeropage, minor-continue,
 * write-continue (MISSING|MINOR registered; the handler write()s the page
 * into the file and CONTINUEs, as the guest_memfd userfaultfd RFC does)
 * and wp-unprotect (a write to a write-protected present page; the handler
 * un-protects it). Each is a userfaultfd round trip per page except
 * first-touch.
 *
 * Every faulting thread touches one byte of each page of its own 2 MiB
 * region (anon is MADV_NOHUGEPAGE: page by page, as the files are).
 * Layout (-l) per-thread gives each faulting thread its own userfaultfd
 * and handler thread; shared registers the whole range on one
 * userfaultfd read by as many handler threads, all waiting on its one
 * queue. Between passes the region is reset (hole punch, MADV_DONTNEED,
 * or write-protected again) outside the timed part. A run (one type, mode,
 * thread count and layout) does an untimed warm-up pass, then either
 * PASSES timed passes (-p: a fixed amount of work, for instruction
 * counting) or passes until SECONDS have gone by (-s). Runs are
 * interleaved round by round so that drift spreads evenly over them.
 *
 * -F runs the handler threads at SCHED_FIFO: on one CPU the woken faulter
 * then never preempts the resolving call, so every round trip takes the
 * same path (under SCHED_OTHER whether the wake-up preempts depends on the
 * scheduler's history, and the rate with it, by up to 2%).
 *
 * -S adds, for single-thread runs, one more pass that takes timestamps
 * around each step of every round trip (fault to message read by the
 * handler, the resolving call(s), wake-up to the faulting access
 * returning). It is a separate pass because the timestamps cost
 * instructions of their own; the handler runs at SCHED_FIFO in it, so
 * that on one CPU the steps follow each other and add up to the round trip.
 *
 * Output, in DIR: rates.csv
 *   type,mode,threads,layout,round,faults,seconds,faults_per_second
 * and steps.csv (means over the pass's faults, in ns of CLOCK_MONOTONIC)
 *   type,mode,round,faults,fault_to_message,resolve,wake_to_resume,total
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
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
#define MAX_TARGETS	16

enum mode {
	FIRST_TOUCH, MISSING_COPY, MISSING_ZEROPAGE, MINOR_CONTINUE,
	WRITE_CONTINUE, WP_UNPROTECT, NR_MODES
};

static const char *const mode_name[NR_MODES] = {
	"first-touch", "missing-copy", "missing-zeropage", "minor-continue",
	"write-continue", "wp-unprotect",
};

enum layout { PER_THREAD, SHARED, NR_LAYOUTS };

static const char *const layout_name[NR_LAYOUTS] = { "per-thread", "shared" };

struct target {
	const char *name;
	const char *dir;	/* NULL: memfd, or anon */
	int anon;
};

/* Per-page timestamps of the -S pass, indexed by page in the mapping. */
struct stamps {
	double *fault, *message, *resolve, *resolved, *resumed;
};

struct resolver {
	int uffd;
	enum mode mode;
	int fd;			/* write-continue: the file, mapped at @base */
	char *base;
	char *page;		/* what COPY and write() put in */
	struct stamps *st;	/* NULL: no timestamps */
	pthread_t thread;
};

struct worker {
	char *region;
	long first;		/* index of region's first page in the mapping */
	enum mode mode;
	struct stamps *st;
	pthread_barrier_t *start;
	double began, ended;	/* of the last pass, by this thread's clock reads */
	long faults;
};

static struct {
	int rounds, passes, steps, fifo;
	double seconds;
	int threads[3], nr_threads;
	int modes[NR_MODES], nr_modes;
	int layouts[NR_LAYOUTS], nr_layouts;
	FILE *rates, *steps_csv;
} opt = { .rounds = 5, .passes = 2 };

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

/* Resolve one fault at page @addr as h->mode says; 0 or -errno. */
static int resolve(struct resolver *h, unsigned long addr)
{
	switch (h->mode) {
	case MISSING_COPY:
		return uffd_copy(h->uffd, addr, h->page, page_size);
	case MISSING_ZEROPAGE:
		return uffd_zeropage(h->uffd, addr, page_size);
	case MINOR_CONTINUE:
		return uffd_continue(h->uffd, addr, page_size);
	case WRITE_CONTINUE:
		if (pwrite(h->fd, h->page, page_size, addr - (unsigned long)h->base) !=
		    page_size)
			return errno ? -errno : -EIO;
		return uffd_continue(h->uffd, addr, page_size);
	case WP_UNPROTECT:
		return uffd_wp(h->uffd, addr, page_size, 0);
	default:
		return -EINVAL;
	}
}

/* The fault-handling thread; cancelled in poll() when the run ends. */
static void *resolver_main(void *arg)
{
	struct resolver *h = arg;

	for (;;) {
		struct pollfd pfd = { .fd = h->uffd, .events = POLLIN };
		struct uffd_msg msg;
		struct stamps *st;
		unsigned long addr;
		double t = 0;
		long p;
		int err;

		if (poll(&pfd, 1, -1) <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
			break;
		/* With a shared userfaultfd another handler may have taken it. */
		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		st = __atomic_load_n(&h->st, __ATOMIC_ACQUIRE);
		if (st)
			t = now();
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(page_size - 1);
		p = (addr - (unsigned long)h->base) / page_size;
		if (st) {
			st->message[p] = t;
			st->resolve[p] = now();
		}
		err = resolve(h, addr);
		if (st)
			st->resolved[p] = now();
		/* A failed resolution wakes no one: the faulter would wait forever. */
		if (err) {
			errno = -err;
			fprintf(stderr, "uffd_bench: %s at %#lx: ", mode_name[h->mode], addr);
			die("resolving a fault");
		}
	}
	return NULL;
}

static void *faulter(void *arg)
{
	struct worker *w = arg;
	long sum = 0;

	pthread_barrier_wait(w->start);
	w->began = now();
	for (long p = 0; p < PAGES; p++) {
		char *at = w->region + p * page_size;

		if (w->st)
			w->st->fault[w->first + p] = now();
		if (w->mode == WP_UNPROTECT)
			__atomic_store_n(at, 2, __ATOMIC_RELAXED);
		else
			sum += __atomic_load_n(at, __ATOMIC_RELAXED);
		if (w->st)
			w->st->resumed[w->first + p] = now();
	}
	w->ended = now();
	w->faults += PAGES;
	return (void *)sum;
}

/*
 * One pass over every worker's region; returns its time in seconds, from
 * the first faulting thread's start to the last one's end: the threads
 * take the times, since on one CPU a thread may run its whole pass before
 * this one runs again after the barrier.
 */
static double pass(struct worker *w, int threads, struct stamps *st)
{
	pthread_barrier_t start;
	pthread_t t[MAX_THREADS];
	double began, ended;

	pthread_barrier_init(&start, NULL, threads + 1);
	for (int i = 0; i < threads; i++) {
		w[i].start = &start;
		w[i].st = st;
		pthread_create(&t[i], NULL, faulter, &w[i]);
	}
	pthread_barrier_wait(&start);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	began = w[0].began;
	ended = w[0].ended;
	for (int i = 1; i < threads; i++) {
		began = w[i].began < began ? w[i].began : began;
		ended = w[i].ended > ended ? w[i].ended : ended;
	}
	return ended - began;
}

/* Back to the state before a pass: outside the timed part. */
static void reset(const struct target *tg, int fd, char *map, long len,
		  enum mode mode, const int *uffd, int nr_uffds)
{
	switch (mode) {
	case WP_UNPROTECT:
		for (int i = 0; i < nr_uffds; i++)
			if (uffd_wp(uffd[i], (unsigned long)map + i * len / nr_uffds,
				    len / nr_uffds, 1))
				die("UFFDIO_WRITEPROTECT");
		return;
	case MINOR_CONTINUE:	/* the page cache stays: only the page tables go */
		if (madvise(map, len, MADV_DONTNEED))
			die("madvise");
		return;
	default:
		break;
	}
	if (tg->anon) {
		if (madvise(map, len, MADV_DONTNEED))
			die("madvise");
	} else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len)) {
		die("fallocate(PUNCH_HOLE)");
	}
}

static int open_target(const struct target *tg, long len)
{
	char path[4096];
	int fd;

	if (tg->anon)
		return -1;
	if (tg->dir && !strncmp(tg->dir, "/dev/", 5)) {
		/* A memory file has its size from birth: no ftruncate(). */
		fd = memfile_create(tg->dir, len, 0);
		if (fd < 0)
			die("creating a memory file");
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

static unsigned long long register_mode(enum mode mode)
{
	switch (mode) {
	case MINOR_CONTINUE:
		return UFFDIO_REGISTER_MODE_MINOR;
	case WRITE_CONTINUE:
		return UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR;
	case WP_UNPROTECT:
		return UFFDIO_REGISTER_MODE_WP;
	default:
		return UFFDIO_REGISTER_MODE_MISSING;
	}
}

/* The page contents a mode needs before the first pass. */
static void populate(int fd, char *map, long len, enum mode mode)
{
	char *fill = map;

	if (mode != MINOR_CONTINUE && mode != WP_UNPROTECT)
		return;
	/* MINOR: fill the page cache through a second, plain mapping. */
	if (mode == MINOR_CONTINUE) {
		fill = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (fill == MAP_FAILED)
			die("mmap");
	}
	for (long off = 0; off < len; off += page_size)
		fill[off] = 1;
	if (fill != map)
		munmap(fill, len);
}

static void set_policy(pthread_t thread, int policy)
{
	struct sched_param param = { .sched_priority = policy == SCHED_FIFO };
	int err = pthread_setschedparam(thread, policy, &param);

	if (err) {
		errno = err;
		die("pthread_setschedparam");
	}
}

static void print_steps(const struct target *tg, enum mode how, int round,
			const struct stamps *st, long n)
{
	double sum[4] = {};

	for (long p = 0; p < n; p++) {
		if (how == FIRST_TOUCH) {
			sum[3] += st->resumed[p] - st->fault[p];
			continue;
		}
		sum[0] += st->message[p] - st->fault[p];
		sum[1] += st->resolved[p] - st->resolve[p];
		sum[2] += st->resumed[p] - st->resolved[p];
		sum[3] += st->resumed[p] - st->fault[p];
	}
	fprintf(opt.steps_csv, "%s,%s,%d,%ld,%.0f,%.0f,%.0f,%.0f\n", tg->name,
		mode_name[how], round, n, sum[0] / n * 1e9, sum[1] / n * 1e9,
		sum[2] / n * 1e9, sum[3] / n * 1e9);
}

static double *stamp_array(long n)
{
	double *a = calloc(n, sizeof(*a));

	if (!a)
		die("calloc");
	return a;
}

static int supported(const struct target *tg, enum mode mode)
{
	/* MINOR faults exist for the page cache only; write() needs a file. */
	return !tg->anon || (mode != MINOR_CONTINUE && mode != WRITE_CONTINUE);
}

static void run(const struct target *tg, enum mode how, int threads,
		enum layout layout, int round)
{
	long len = (long)threads * PAGES * page_size;
	int nr_uffds = layout == SHARED ? 1 : threads;
	struct resolver h[MAX_THREADS] = {};
	struct worker w[MAX_THREADS] = {};
	int uffd[MAX_THREADS];
	double seconds = 0;
	long faults = 0;
	char *map, *page;
	int fd, passes = 0;

	fd = open_target(tg, len);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   tg->anon ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	/* Page by page, as the files are: no huge (zero) page. */
	if (tg->anon && madvise(map, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	populate(fd, map, len, how);
	page = aligned_alloc(page_size, page_size);
	if (!page)
		die("aligned_alloc");
	memset(page, 0x5a, page_size);
	for (int i = 0; i < threads; i++) {
		w[i].region = map + (long)i * PAGES * page_size;
		w[i].first = (long)i * PAGES;
		w[i].mode = how;
	}
	for (int i = 0; how != FIRST_TOUCH && i < nr_uffds; i++) {
		long span = layout == SHARED ? len : PAGES * page_size;

		uffd[i] = uffd_open(0);
		if (uffd[i] < 0)
			die("userfaultfd");
		if (uffd_register(uffd[i], w[i].region, span, register_mode(how), NULL)) {
			/* A type need not declare every mode. */
			fprintf(stderr, "uffd_bench: %s: no %s, skipped\n", tg->name,
				mode_name[how]);
			while (i >= 0)
				close(uffd[i--]);
			goto unmap;
		}
		if (how == WP_UNPROTECT && uffd_wp(uffd[i], (unsigned long)w[i].region, span, 1))
			die("UFFDIO_WRITEPROTECT");
	}
	for (int i = 0; how != FIRST_TOUCH && i < threads; i++) {
		h[i] = (struct resolver){ .uffd = uffd[layout == SHARED ? 0 : i], .mode = how,
					 .fd = fd, .base = map, .page = page };
		pthread_create(&h[i].thread, NULL, resolver_main, &h[i]);
		if (opt.fifo)
			set_policy(h[i].thread, SCHED_FIFO);
	}

	/* Warm-up: page tables, the page cache's tree, per-CPU lists. */
	pass(w, threads, NULL);
	reset(tg, fd, map, len, how, uffd, nr_uffds);
	for (int i = 0; i < threads; i++)
		w[i].faults = 0;
	while (opt.passes ? passes < opt.passes : seconds < opt.seconds || passes < 2) {
		seconds += pass(w, threads, NULL);
		passes++;
		reset(tg, fd, map, len, how, uffd, nr_uffds);
	}
	for (int i = 0; i < threads; i++)
		faults += w[i].faults;
	fprintf(opt.rates, "%s,%s,%d,%s,%d,%ld,%.9f,%.1f\n", tg->name, mode_name[how],
		threads, layout_name[layout], round, faults, seconds, faults / seconds);

	if (opt.steps && threads == 1) {
		struct stamps st = {
			stamp_array(PAGES), stamp_array(PAGES), stamp_array(PAGES),
			stamp_array(PAGES), stamp_array(PAGES),
		};

		for (int i = 0; how != FIRST_TOUCH && i < threads; i++) {
			__atomic_store_n(&h[i].st, &st, __ATOMIC_RELEASE);
			set_policy(h[i].thread, SCHED_FIFO);
		}
		pass(w, threads, &st);
		for (int i = 0; how != FIRST_TOUCH && i < threads; i++) {
			if (!opt.fifo)
				set_policy(h[i].thread, SCHED_OTHER);
			__atomic_store_n(&h[i].st, NULL, __ATOMIC_RELEASE);
		}
		print_steps(tg, how, round, &st, PAGES);
		free(st.fault);
		free(st.message);
		free(st.resolve);
		free(st.resolved);
		free(st.resumed);
	}

	for (int i = 0; how != FIRST_TOUCH && i < threads; i++) {
		pthread_cancel(h[i].thread);
		pthread_join(h[i].thread, NULL);
	}
	for (int i = 0; how != FIRST_TOUCH && i < nr_uffds; i++)
		close(uffd[i]);
unmap:
	free(page);
	munmap(map, len);
	if (fd >= 0)
		close(fd);
}

/* Every configuration once, for every target. */
static void run_round(const struct target *tg, int n, int round)
{
	for (int m = 0; m < opt.nr_modes; m++)
		for (int t = 0; t < opt.nr_threads; t++)
			for (int l = 0; l < opt.nr_layouts; l++) {
				/* One thread: a shared queue is no different. */
				if (opt.layouts[l] == SHARED && opt.threads[t] == 1)
					continue;
				for (int i = 0; i < n; i++)
					if (supported(&tg[i], opt.modes[m]))
						run(&tg[i], opt.modes[m], opt.threads[t],
						    opt.layouts[l], round);
			}
}

/* "a,b,c" against @names: the indices into @out; returns how many. */
static int parse_list(char *arg, const char *const *names, int nr, int *out)
{
	int n = 0;

	for (char *s = strtok(arg, ","); s; s = strtok(NULL, ",")) {
		int i = 0;

		while (i < nr && strcmp(s, names[i]))
			i++;
		if (i == nr) {
			fprintf(stderr, "uffd_bench: unknown '%s'\n", s);
			exit(2);
		}
		out[n++] = i;
	}
	return n;
}

static FILE *create(const char *dir, const char *name, const char *header)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		die(path);
	setvbuf(f, NULL, _IOLBF, 0);
	fprintf(f, "%s\n", header);
	return f;
}

static void parse_options(int argc, char **argv)
{
	const char *out = NULL;
	int c;

	opt.nr_modes = NR_MODES;
	for (int m = 0; m < NR_MODES; m++)
		opt.modes[m] = m;
	opt.threads[opt.nr_threads++] = 1;
	opt.layouts[opt.nr_layouts++] = PER_THREAD;
	while ((c = getopt(argc, argv, "r:p:s:t:m:l:FSo:")) != -1) {
		switch (c) {
		case 'r':
			opt.rounds = atoi(optarg);
			break;
		case 'p':
			opt.passes = atoi(optarg);
			break;
		case 's':
			opt.seconds = atof(optarg);
			opt.passes = 0;
			break;
		case 't':
			opt.nr_threads = 0;
			for (char *s = strtok(optarg, ","); s; s = strtok(NULL, ",")) {
				if (opt.nr_threads == 3)
					exit(2);
				opt.threads[opt.nr_threads++] = atoi(s);
			}
			break;
		case 'm':
			opt.nr_modes = parse_list(optarg, mode_name, NR_MODES, opt.modes);
			break;
		case 'l':
			opt.nr_layouts = parse_list(optarg, layout_name, NR_LAYOUTS, opt.layouts);
			break;
		case 'F':
			opt.fifo = 1;
			break;
		case 'S':
			opt.steps = 1;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			exit(2);
		}
	}
	for (int i = 0; i < opt.nr_threads; i++)
		if (opt.threads[i] < 1 || opt.threads[i] > MAX_THREADS)
			exit(2);
	if (!out || opt.rounds < 1)
		exit(2);
	opt.rates = create(out, "rates.csv",
			   "type,mode,threads,layout,round,faults,seconds,faults_per_second");
	opt.steps_csv = create(out, "steps.csv",
			       "type,mode,round,faults,fault_to_message,resolve,wake_to_resume,total");
}

int main(int argc, char **argv)
{
	struct target tg[MAX_TARGETS];
	int n = 0;

	page_size = sysconf(_SC_PAGESIZE);
	parse_options(argc, argv);
	for (int a = optind; a < argc && n < MAX_TARGETS; a++) {
		char *eq = strchr(argv[a], '=');

		tg[n].anon = !strcmp(argv[a], "anon");
		tg[n].dir = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		tg[n++].name = argv[a];
	}
	for (int round = 0; round < opt.rounds; round++)
		run_round(tg, n, round);
	return 0;
}
