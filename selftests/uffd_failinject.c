// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on uffd-shim's own paths: every call either works or
 * fails with ENOMEM, leaves no half-done state, and leaks nothing.
 *
 *   UFFD_FAILINJECT_DIR=/mnt/ramfile UFFD_FAILINJECT_PAGES=<page counter> \
 *   ./uffd_failinject
 *
 * Needs a kernel with CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC,
 * CONFIG_FAULT_INJECTION_DEBUG_FS and CONFIG_FAULT_INJECTION_STACKTRACE_FILTER
 * (make test SANITIZE=1). Both injectors are set to fail 1 in 5 allocations
 * that this process makes (task-filter) from a stack passing through the
 * shim's code (require-start/require-end: the text of mm/uffd_shim.o and
 * mm/uffd_shim_ramfs.o, found in /proc/kallsyms from the functions listed
 * in UFFD_FAILINJECT_SYMBOLS), sleeping allocations and order 0 included.
 * With them on, this process fills, writes, allocates, punches and
 * truncates pages of one file, and keeps a model of what each page must
 * hold. With them off again, every page is read back and the type's page
 * counter compared with the model.
 *
 * UFFD_FAILINJECT_DEVICE instead of UFFD_FAILINJECT_DIR: the file comes
 * from that device's UFFD_SHIM_IOC_CREATE (an fd-style type): write() then
 * only goes to holes, and pages are read back through a mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uffd_user.h"

#define PAGES	64
#define OPS	2000

/* What a page holds: nothing, zeroes, data, or "a hole or zeroes" after a failure. */
enum state { HOLE, ZERO, DATA, HOLE_OR_ZERO };

static enum state state[PAGES];
static int gen_of[PAGES];
static long calls, enomem, other_errors;

static int knob(const char *inj, const char *name, const char *value)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", inj, name);
	fd = open(path, O_WRONLY);
	ok = fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	if (!ok)
		printf("# writing %s to %s: %s\n", value, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * Is @name one of the shim's functions? UFFD_FAILINJECT_SYMBOLS names a
 * file listing them (nm of mm/uffd_shim*.o, made by scripts/vm-test), which
 * also covers static ones; without it, the exported uffd_shim_* ones.
 */
static char *shim_symbols;

static int is_shim_symbol(const char *name)
{
	char key[520];

	/* Padding and CFI stubs sit before the function they are named after. */
	if (!strncmp(name, "__pfx_", 6))
		name += 6;
	else if (!strncmp(name, "__cfi_", 6))
		name += 6;

	if (!shim_symbols)
		return !strncmp(name, "uffd_shim_", 10);
	snprintf(key, sizeof(key), "\n%s\n", name);
	return !!strstr(shim_symbols, key);
}

static void load_shim_symbols(void)
{
	const char *path = getenv("UFFD_FAILINJECT_SYMBOLS");
	FILE *f = path ? fopen(path, "r") : NULL;
	long len;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	/* "\n" before and after every name, the last one included. */
	shim_symbols = calloc(1, len + 3);
	if (shim_symbols && fread(shim_symbols + 1, 1, len, f) == (size_t)len) {
		shim_symbols[0] = '\n';
		shim_symbols[len + 1] = '\n';
	} else {
		free(shim_symbols);
		shim_symbols = NULL;
	}
	fclose(f);
}

/*
 * The shim's text: its two objects are adjacent in the link, so their
 * functions are the longest run of shim symbols in /proc/kallsyms (which is
 * in address order); an __init one, or another file's function of the same
 * name, sits elsewhere. The range ends at the first function after the run.
 */
static int shim_text(unsigned long *start, unsigned long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long addr, run_start = 0;
	int run = 0, best = 0;
	char type, name[512];

	*start = *end = 0;
	load_shim_symbols();
	while (f && fscanf(f, "%lx %c %511s%*[^\n]", &addr, &type, name) == 3) {
		if (type != 't' && type != 'T')
			continue;
		if (is_shim_symbol(name)) {
			if (!run++)
				run_start = addr;
			continue;
		}
		if (run > best) {
			best = run;
			*start = run_start;
			*end = addr;
		}
		run = 0;
	}
	if (f)
		fclose(f);
	return best > 1 && *end > *start ? 0 : -1;
}

static int setup_injection(void)
{
	static const char *const inj[] = { "failslab", "fail_page_alloc" };
	unsigned long start, end;
	char buf[32];

	if (shim_text(&start, &end)) {
		printf("# the shim's functions are not in /proc/kallsyms\n");
		return -1;
	}
	printf("# failing allocations from %#lx-%#lx (the shim's text)\n", start, end);
	for (int i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "%lu", start);
		if (knob(inj[i], "require-start", buf))
			return -1;
		snprintf(buf, sizeof(buf), "%lu", end);
		if (knob(inj[i], "require-end", buf) ||
		    knob(inj[i], "probability", "20") || knob(inj[i], "interval", "1") ||
		    knob(inj[i], "times", "-1") || knob(inj[i], "space", "0") ||
		    knob(inj[i], "verbose", "0") || knob(inj[i], "task-filter", "Y") ||
		    knob(inj[i], "ignore-gfp-wait", "N"))
			return -1;
	}
	if (knob("fail_page_alloc", "ignore-gfp-highmem", "N") ||
	    knob("fail_page_alloc", "min-order", "0"))
		return -1;
	return 0;
}

/* Disarm both injectors: whatever runs next is not under test. */
static void teardown_injection(void)
{
	knob("failslab", "probability", "0");
	knob("fail_page_alloc", "probability", "0");
}

static void make_it_fail(int on)
{
	int fd = open("/proc/self/make-it-fail", O_WRONLY);

	if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1) {
		printf("Bail out! /proc/self/make-it-fail: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

/* Count a call's outcome; returns 1 if it succeeded. */
static int outcome(int err, const char *what)
{
	calls++;
	if (!err)
		return 1;
	if (err == -ENOMEM)
		enomem++;
	else if (other_errors++ < 5)
		printf("# %s failed with %s, not ENOMEM\n", what, strerror(-err));
	return 0;
}

int main(void)
{
	const char *dir = getenv("UFFD_FAILINJECT_DIR");
	const char *device = getenv("UFFD_FAILINJECT_DEVICE");
	const char *counter_path = getenv("UFFD_FAILINJECT_PAGES");
	char *buf, *map, *view, path[4096];
	long present_min = 0, present_max = 0, wrong = 0, before, pages_in_type, after;
	unsigned int seed = 1;
	int fd, uffd, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	printf("KTAP version 1\n1..5\n");
	if ((!dir && !device) || setup_injection()) {
		printf("Bail out! needs UFFD_FAILINJECT_DIR or _DEVICE, and fault injection\n");
		return 1;
	}
	before = read_counter(counter_path);
	buf = aligned_alloc(page_size, page_size);
	if (device) {
		snprintf(path, sizeof(path), "%s", device);
		fd = memfile_create(device, PAGES * page_size, 0);
	} else {
		snprintf(path, sizeof(path), "%s/uffd_failinject", dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	}
	if (fd < 0 || (!device && ftruncate(fd, PAGES * page_size))) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return 1;
	}
	map = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uffd = uffd_open(0);
	if (map == MAP_FAILED || uffd < 0 ||
	    uffd_register(uffd, map, PAGES * page_size,
			  UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR, NULL)) {
		printf("Bail out! mapping and registering: %s\n", strerror(errno));
		return 1;
	}

	make_it_fail(1);
	for (int op = 0; op < OPS; op++) {
		int i = rand_r(&seed) % PAGES, gen = op + 1, err;
		unsigned long dst = (unsigned long)map + i * page_size;

		switch (rand_r(&seed) % 6) {
		case 0:	/* UFFDIO_COPY into a hole */
			if (state[i] != HOLE && state[i] != HOLE_OR_ZERO)
				break;
			fill_pattern(buf, page_size, gen);
			err = uffd_copy(uffd, dst, buf, page_size);
			if (err == -EEXIST && state[i] == HOLE_OR_ZERO) {
				state[i] = ZERO;	/* the failed call left zeroes */
				break;
			}
			if (outcome(err, "UFFDIO_COPY"))
				state[i] = DATA, gen_of[i] = gen;
			break;
		case 1:	/* UFFDIO_ZEROPAGE into a hole */
			if (state[i] != HOLE)
				break;
			if (outcome(uffd_zeropage(uffd, dst, page_size), "UFFDIO_ZEROPAGE"))
				state[i] = ZERO;
			break;
		case 2:	/* UFFDIO_CONTINUE of a cached page, unmapped first */
			if (state[i] != DATA && state[i] != ZERO)
				break;
			madvise((void *)dst, page_size, MADV_DONTNEED);
			outcome(uffd_continue(uffd, dst, page_size), "UFFDIO_CONTINUE");
			break;
		case 3:	/* write(): a hole is allocated first */
			if (device && state[i] != HOLE)
				break;	/* write() fills holes only */
			fill_pattern(buf, page_size, gen);
			err = pwrite(fd, buf, page_size, i * page_size) == page_size ? 0 : -errno;
			if (outcome(err, "pwrite"))
				state[i] = DATA, gen_of[i] = gen;
			else if (state[i] == HOLE)
				state[i] = HOLE_OR_ZERO;
			break;
		case 4:	/* fallocate(): allocates zeroes in a hole */
			err = fallocate(fd, 0, i * page_size, page_size) ? -errno : 0;
			if (outcome(err, "fallocate") && state[i] != DATA)
				state[i] = ZERO;
			else if (err && state[i] == HOLE)
				state[i] = HOLE_OR_ZERO;
			break;
		default: /* punch it out again */
			err = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					i * page_size, page_size) ? -errno : 0;
			if (outcome(err, "fallocate(PUNCH_HOLE)"))
				state[i] = HOLE;
		}
	}
	make_it_fail(0);
	teardown_injection();

	/*
	 * Counted first: reading a hole through a mapping fills it (a plain
	 * one: faults in the registered one would wait for a handler).
	 */
	pages_in_type = read_counter(counter_path) - before;
	view = device ? mmap(NULL, PAGES * page_size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	for (int i = 0; i < PAGES; i++) {
		if (view && view != MAP_FAILED) {
			memcpy(buf, view + i * page_size, page_size);
		} else if (device || pread(fd, buf, page_size, i * page_size) != page_size) {
			wrong++;
			continue;
		}
		if (state[i] == DATA ? !check_pattern(buf, page_size, gen_of[i]) :
		    !all_zero(buf, page_size)) {
			if (wrong++ < 5)
				printf("# page %d holds other bytes than the model\n", i);
		}
		present_min += state[i] == DATA || state[i] == ZERO;
		present_max += state[i] != HOLE;
	}
	munmap(map, PAGES * page_size);
	if (view && view != MAP_FAILED)
		munmap(view, PAGES * page_size);
	close(uffd);
	close(fd);
	if (!device)
		unlink(path);
	after = read_counter(counter_path) - before;

	printf("# %ld calls: %ld failed with ENOMEM, %ld otherwise\n", calls, enomem, other_errors);
	printf("# pages present: the type counts %ld more, the model %ld to %ld\n",
	       pages_in_type, present_min, present_max);
	printf("# after close and unlink the type counts %ld more pages\n", after);
	printf("%sok %d allocation_failures_were_injected\n", enomem ? "" : "not ", ++n);
	printf("%sok %d failed_calls_report_enomem\n", other_errors ? "not " : "", ++n);
	printf("%sok %d successful_calls_read_back\n", wrong ? "not " : "", ++n);
	printf("%sok %d page_count_matches_the_pages_present\n",
	       pages_in_type >= present_min && pages_in_type <= present_max ? "" : "not ", ++n);
	printf("%sok %d no_page_leaked_after_close\n", after == 0 ? "" : "not ", ++n);
	return 0;
}
