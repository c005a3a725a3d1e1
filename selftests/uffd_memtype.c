// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace suite for a memory type on uffd-shim: file semantics and every
 * userfaultfd mode on its mappings, with a real fault-handling thread.
 * Kernel selftest harness, KTAP output.
 *
 *   UFFD_MEMTYPE_DIR=/mnt/ramfile ./uffd_memtype
 *   UFFD_MEMTYPE_DEVICE=/dev/gmemfile ./uffd_memtype
 *
 * Files are created in that directory (a mount of any memory type: the
 * suite is generic), or, for an fd-style type, by the UFFD_SHIM_IOC_CREATE
 * ioctl of that device: then the file-system cases skip, saying why, and
 * the cases of fd-style types run (fixed size, write() into holes only,
 * shared mappings only, no read(), get_user_pages() refused).
 * UFFD_MEMTYPE_MAX_PAGES names the type's writable page limit, if any.
 * If UFFD_MEMTYPE_PAGES names a file holding the type's page count, leak
 * checks compare it before and after. Tests of a mode the
 * type does not declare skip, saying so; UFFD_MEMTYPE_MODES=missing,minor,wp
 * makes the declared modes part of the check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/uio.h>

#include "kselftest_harness.h"
#include "uffd_user.h"

#define NR_PAGES 8

static const char *memtype_dir(void)
{
	const char *dir = getenv("UFFD_MEMTYPE_DIR");

	return dir ? dir : "/mnt/ramfile";
}

/* Pages the memory type holds, or -1 if it does not say. */
static long memtype_pages(void)
{
	return read_counter(getenv("UFFD_MEMTYPE_PAGES"));
}

static const char *memtype_device(void)
{
	return getenv("UFFD_MEMTYPE_DEVICE");
}

static int device_file(unsigned long long size, unsigned long long flags)
{
	return memfile_create(memtype_device(), size, flags);
}

static int memtype_file(long pages)
{
	char path[256];
	int fd;

	if (memtype_device())
		return device_file(pages * page_size, UFFD_SHIM_CREATE_CLOEXEC);
	snprintf(path, sizeof(path), "%s/t.XXXXXX", memtype_dir());
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, pages * page_size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The modes the type declares, found as userspace finds them: a type's
 * mappings refuse UFFDIO_REGISTER in a mode it did not declare with EINVAL;
 * any other failure is a failure, not a missing mode. Probed once, before
 * the tests; each test needing a mode skips without it. UFFD_MEMTYPE_MODES
 * ("missing,minor,wp", say) states what the type declares: then the probe
 * must agree, so that a broken registration cannot pass as skips.
 */
static unsigned long long type_modes, kernel_modes;

static const struct {
	const char *name;
	unsigned long long mode;
	unsigned long long feature;	/* needed in UFFDIO_API */
} modes[] = {
	{ .name = "missing", .mode = UFFDIO_REGISTER_MODE_MISSING },
	{ .name = "minor", .mode = UFFDIO_REGISTER_MODE_MINOR },
	{ .name = "wp", .mode = UFFDIO_REGISTER_MODE_WP },
	{ .name = "rwp", .mode = UFFDIO_REGISTER_MODE_RWP, .feature = UFFD_FEATURE_RWP },
};

#define NR_MODES ARRAY_SIZE(modes)

static int probe_modes(void)
{
	const char *expect = getenv("UFFD_MEMTYPE_MODES");
	int fd = memtype_file(1), err = 0;
	char *map = fd < 0 ? MAP_FAILED :
		    mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (expect && !*expect)
		expect = NULL;
	if (map == MAP_FAILED) {
		printf("Bail out! a mapped file of %s: %s\n",
		       memtype_device() ?: memtype_dir(), strerror(errno));
		return -1;
	}
	for (int i = 0; i < NR_MODES && !err; i++) {
		int uffd = uffd_open(modes[i].feature);

		/* A kernel without the feature refuses it in UFFDIO_API. */
		if (uffd < 0 && errno == EINVAL && modes[i].feature)
			continue;
		kernel_modes |= modes[i].mode;
		err = uffd < 0 ? -errno :
		      uffd_register(uffd, map, page_size, modes[i].mode, NULL);
		if (!err)
			type_modes |= modes[i].mode;
		else if (err == -EINVAL)
			err = 0;
		else
			printf("Bail out! UFFDIO_REGISTER (%s): %s\n", modes[i].name,
			       strerror(-err));
		if (uffd >= 0)
			close(uffd);
	}
	munmap(map, page_size);
	close(fd);
	for (int i = 0; i < NR_MODES && expect && !err; i++) {
		int declared = !!strstr(expect, modes[i].name);

		if (!(kernel_modes & modes[i].mode))
			continue;	/* not to be seen on this kernel */

		if (declared != !!(type_modes & modes[i].mode)) {
			printf("Bail out! UFFD_MEMTYPE_MODES says %s %s, registration says %s\n",
			       modes[i].name, declared ? "is declared" : "is not",
			       declared ? "no" : "yes");
			err = -1;
		}
	}
	return err;
}

#define NEEDS(mode)							\
	do {								\
		if (!(kernel_modes & UFFDIO_REGISTER_MODE_##mode))	\
			SKIP(return, "this kernel has no " #mode " mode"); \
		if (!(type_modes & UFFDIO_REGISTER_MODE_##mode))	\
			SKIP(return, "the type does not declare " #mode); \
	} while (0)

/* Put page @index of @fd in place, holding the pattern of @seed. */
static int seed_page(int fd, long index, int seed)
{
	char *page = malloc(page_size);
	int ok;

	fill_pattern(page, page_size, seed);
	ok = pwrite(fd, page, page_size, index * page_size) == page_size;
	free(page);
	return ok ? 0 : -errno;
}

/*
 * Read @len bytes at @off of @fd: with read(), or through a mapping of its
 * own where the type has no read() (only at populated offsets: mapping a
 * hole would fill it).
 */
static int peek(int fd, void *buf, size_t len, off_t off)
{
	off_t base = off & ~(page_size - 1);
	size_t maplen = off - base + len;
	char *map;

	if (!memtype_device())
		return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
	map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, base);
	if (map == MAP_FAILED)
		return -1;
	memcpy(buf, map + (off - base), len);
	munmap(map, maplen);
	return 0;
}

/* --- SIGBUS probing ---------------------------------------------------- */

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* Does reading @addr raise SIGBUS? */
static int reads_sigbus(const char *addr)
{
	struct sigaction sa = { .sa_handler = sigbus_handler }, old;
	int hit = 0;
	char c;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1)) {
		hit = 1;
	} else {
		c = *addr;
		asm volatile("" : : "r"(c));	/* the load must happen */
	}
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

/* --- Fixture: one file of NR_PAGES, one uffd --------------------------- */

FIXTURE(memtype) {
	int fd;
	int uffd;
	char *map;
	long len;
	long pages_before;
	long pages_created;	/* with the file made: on the fallback, its extent */
};

FIXTURE_SETUP(memtype)
{
	self->len = NR_PAGES * page_size;
	self->pages_before = memtype_pages();
	self->fd = memtype_file(NR_PAGES);
	ASSERT_LE(0, self->fd) TH_LOG("cannot create a file in %s: %s",
				      memtype_dir(), strerror(errno));
	self->pages_created = memtype_pages();
	self->uffd = uffd_open(0);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	self->map = MAP_FAILED;
}

FIXTURE_TEARDOWN(memtype)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->len);
	close(self->uffd);
	close(self->fd);
	/* Everything this test put in the page cache is gone again. */
	if (self->pages_before >= 0)
		EXPECT_EQ(self->pages_before, memtype_pages());
}

/* Map the fixture's file into self->map; the fixture unmaps it. */
#define map_file(flags) ({						\
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, (flags), \
			 self->fd, 0);					\
	ASSERT_NE(MAP_FAILED, self->map);				\
	self->map;							\
})

/* --- File semantics ------------------------------------------------------ */

TEST_F(memtype, pwrite_then_pread_returns_the_bytes)
{
	char in[100], out[100];

	if (memtype_device())
		SKIP(return, "fd-style type: no read()");
	fill_pattern(in, sizeof(in), 3);
	ASSERT_EQ(sizeof(in), pwrite(self->fd, in, sizeof(in), page_size + 10));
	ASSERT_EQ(sizeof(out), pread(self->fd, out, sizeof(out), page_size + 10));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(self->len, lseek(self->fd, 0, SEEK_END));
}

/* st_blocks, not the type's counter: the 6.12 fallback has no ->account. */
TEST_F(memtype, whole_page_write_into_a_hole_reads_back_and_makes_one_page_resident)
{
	char *in = malloc(page_size), *out = malloc(page_size);
	struct stat st;

	ASSERT_TRUE(in && out);
	fill_pattern(in, page_size, 4);
	ASSERT_EQ(page_size, pwrite(self->fd, in, page_size, page_size));
	ASSERT_EQ(0, peek(self->fd, out, page_size, page_size));
	EXPECT_EQ(0, memcmp(in, out, page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(page_size / 512, st.st_blocks);
	free(in);
	free(out);
}

/* A page-sized source whose first half is readable and second half not. */
static char *half_unreadable_source(void)
{
	char *buf = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	fill_pattern(buf, page_size, 5);
	if (mprotect(buf + page_size, page_size, PROT_NONE)) {
		munmap(buf, 2 * page_size);
		return NULL;
	}
	return buf + page_size / 2;
}

TEST_F(memtype, whole_page_write_from_a_half_unreadable_buffer_writes_half)
{
	char *src, *out, *zero;
	long half = page_size / 2;

	if (memtype_device())
		SKIP(return, "fd-style type: whole pages or nothing");
	src = half_unreadable_source();
	out = malloc(page_size);
	zero = calloc(1, page_size);
	ASSERT_TRUE(src && out && zero);
	EXPECT_EQ(half, pwrite(self->fd, src, page_size, 0));
	ASSERT_EQ(page_size, pread(self->fd, out, page_size, 0));
	EXPECT_EQ(0, memcmp(src, out, half));
	EXPECT_EQ(0, memcmp(zero, out + half, half));
	munmap(src - half, 2 * page_size);
	free(out);
	free(zero);
}

/* The teardown checks that no page was counted. */
TEST_F(memtype, memfile_write_from_a_half_unreadable_buffer_is_efault_and_leaves_a_hole)
{
	char *src;

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	src = half_unreadable_source();
	ASSERT_NE(NULL, src);
	EXPECT_EQ(-1, pwrite(self->fd, src, page_size, 0));
	EXPECT_EQ(EFAULT, errno);
	/* The hole is still one: a whole-page write into it succeeds. */
	EXPECT_EQ(0, seed_page(self->fd, 0, 6));
	EXPECT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, page_size));
	munmap(src - page_size / 2, 2 * page_size);
}

TEST_F(memtype, write_beyond_eof_extends_the_file)
{
	struct stat st;

	if (memtype_device())
		SKIP(return, "fd-style type: the size is fixed");
	ASSERT_EQ(3, pwrite(self->fd, "end", 3, self->len + 5));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(self->len + 8, st.st_size);
}

TEST_F(memtype, fstat_counts_blocks_of_resident_pages)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(self->len, st.st_size);
	EXPECT_EQ(0, st.st_blocks);
	ASSERT_EQ(0, seed_page(self->fd, 0, 1));
	ASSERT_EQ(0, seed_page(self->fd, 3, 2));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(2 * page_size / 512, st.st_blocks);
}

TEST_F(memtype, reading_a_hole_returns_zeroes_and_allocates_nothing)
{
	char *buf = malloc(page_size);
	struct stat st;

	if (memtype_device())
		SKIP(return, "fd-style type: no read()");
	ASSERT_NE(NULL, buf);
	memset(buf, 0xaa, page_size);
	ASSERT_EQ(page_size, pread(self->fd, buf, page_size, 2 * page_size));
	EXPECT_TRUE(all_zero(buf, page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(0, st.st_blocks);
	if (self->pages_created >= 0)
		EXPECT_EQ(self->pages_created, memtype_pages());
	free(buf);
}

TEST_F(memtype, directories_files_rename_and_tmpfile)
{
	char dir[256], a[300], b[300];
	struct stat st;
	int fd;

	if (memtype_device())
		SKIP(return, "fd-style type: no directories");
	snprintf(dir, sizeof(dir), "%s/d.%d", memtype_dir(), getpid());
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	ASSERT_EQ(0, mkdir(dir, 0700));
	fd = open(a, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "hi", 2));
	close(fd);
	EXPECT_EQ(-1, open(a, O_CREAT | O_EXCL | O_RDWR, 0600));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, rename(a, b));
	ASSERT_EQ(0, stat(b, &st));
	EXPECT_EQ(2, st.st_size);
	EXPECT_EQ(-1, rmdir(dir));
	EXPECT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(0, unlink(b));
	ASSERT_EQ(0, rmdir(dir));
	fd = open(memtype_dir(), O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, pwrite(fd, "tmp", 3, 0));
	close(fd);
}

/* --- Memory bounds ------------------------------------------------------- */

#define LIMIT_PAGES 16

/* The file system type mounted at @dir, from /proc/mounts. */
static int fstype_of(const char *dir, char *type, size_t len)
{
	char line[512], mnt[256], fs[64];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %63s", mnt, fs) == 2 && !strcmp(mnt, dir)) {
			snprintf(type, len, "%s", fs);
			found = 1;
		}
	if (f)
		fclose(f);
	return found ? 0 : -1;
}

/*
 * As nobody: write @path until the file system is full. Exits 0 if that
 * ends with ENOSPC after exactly LIMIT_PAGES pages and all of them read
 * back; 1 + what went wrong otherwise.
 */
static int fill_as_nobody(const char *path)
{
	char *page = malloc(page_size), *got = malloc(page_size);
	long pages = 0;
	int fd;

	if (setgid(65534) || setuid(65534))
		return 2;
	fd = open(path, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		return 3;
	for (;;) {
		fill_pattern(page, page_size, pages);
		if (write(fd, page, page_size) != page_size)
			break;
		if (++pages > LIMIT_PAGES)
			return 5;
	}
	if (errno != ENOSPC)
		return 4;
	if (pages != LIMIT_PAGES)
		return 5;
	for (long i = 0; i < pages; i++)
		if (pread(fd, got, page_size, i * page_size) != page_size ||
		    !check_pattern(got, page_size, i))
			return 6;
	return 0;
}

/* fill_as_nobody(@path) in a child, which must find the limit. */
static void fill_as_nobody_in_a_child(struct __test_metadata *_metadata,
				      const char *path)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fill_as_nobody(path));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("2: setuid, 3: open, 4: not ENOSPC, 5: not %d pages, 6: data lost",
		       LIMIT_PAGES);
}

/* A second mount of the type's file system, with size= LIMIT_PAGES pages. */
FIXTURE(limited) {
	char fs[64];
	char dir[64];
	char path[96];
	bool mounted;
};

FIXTURE_SETUP(limited)
{
	char opts[32];

	if (memtype_device())
		SKIP(return, "fd-style type: no mount (memory_limit_... covers limits)");
	ASSERT_EQ(0, fstype_of(memtype_dir(), self->fs, sizeof(self->fs)));
	snprintf(self->dir, sizeof(self->dir), "/tmp/uffd_limit.%d", getpid());
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	snprintf(opts, sizeof(opts), "size=%ldk", LIMIT_PAGES * page_size / 1024);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	self->mounted = !mount("none", self->dir, self->fs, 0, opts);
	ASSERT_TRUE(self->mounted)
		TH_LOG("mount -t %s -o %s: %s", self->fs, opts, strerror(errno));
	ASSERT_EQ(0, chmod(self->dir, 0777));
}

FIXTURE_TEARDOWN(limited)
{
	if (self->mounted) {
		unlink(self->path);
		EXPECT_EQ(0, umount2(self->dir, MNT_DETACH));
	}
	rmdir(self->dir);
}

TEST_F(limited, unprivileged_writer_gets_enospc_at_the_mount_size_limit)
{
	fill_as_nobody_in_a_child(_metadata, self->path);
}

/* size= is fixed at mount time: a remount does not silently keep the old one. */
TEST_F(limited, remount_with_another_size_is_refused)
{
	char opts[32];

	snprintf(opts, sizeof(opts), "size=%ldk", 2 * LIMIT_PAGES * page_size / 1024);
	EXPECT_EQ(-1, mount("none", self->dir, self->fs, MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(limited, statfs_reports_the_size_and_the_pages_in_use)
{
	char *page = calloc(2, page_size);
	int fd = open(self->path, O_CREAT | O_RDWR, 0600);
	ssize_t written = fd < 0 || !page ? -1 : write(fd, page, 2 * page_size);
	struct statfs st;

	if (fd >= 0)
		close(fd);
	free(page);
	ASSERT_EQ(2 * page_size, written);
	ASSERT_EQ(0, statfs(self->dir, &st));
	EXPECT_EQ(page_size, st.f_bsize);
	EXPECT_EQ(LIMIT_PAGES, st.f_blocks);
	EXPECT_EQ(LIMIT_PAGES - 2, st.f_bfree);
	EXPECT_EQ(LIMIT_PAGES - 2, st.f_bavail);
}

/* Write @value to the type's page limit: 0, or -1 with errno. */
static int set_type_limit(long value)
{
	const char *path = getenv("UFFD_MEMTYPE_MAX_PAGES");
	char text[32];
	int fd, ret;

	fd = path && *path ? open(path, O_WRONLY) : -1;
	if (fd < 0)
		return -1;
	snprintf(text, sizeof(text), "%ld", value);
	ret = write(fd, text, strlen(text)) < 0 ? -1 : 0;
	close(fd);
	return ret;
}

/*
 * A directory anyone may write in, on the type's own mount, and the type's
 * page limit set LIMIT_PAGES above what it holds; both undone after.
 */
FIXTURE(type_limited) {
	char dir[256];
	char path[300];
	long before;
	long old_limit;
	bool limited;
};

FIXTURE_SETUP(type_limited)
{
	if (memtype_device())
		SKIP(return, "fd-style type: memory_limit_gives_enospc_... covers it");
	self->before = memtype_pages();
	self->old_limit = read_counter(getenv("UFFD_MEMTYPE_MAX_PAGES"));
	if (self->before < 0 || self->old_limit < 0)
		SKIP(return, "the type has no page limit to set");
	snprintf(self->dir, sizeof(self->dir), "%s/uffd_type_limit.%d",
		 memtype_dir(), getpid());
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	ASSERT_EQ(0, mkdir(self->dir, 0777));
	ASSERT_EQ(0, chmod(self->dir, 0777));
	self->limited = !set_type_limit(self->before + LIMIT_PAGES);
	ASSERT_TRUE(self->limited);
}

FIXTURE_TEARDOWN(type_limited)
{
	if (self->limited)
		EXPECT_EQ(0, set_type_limit(self->old_limit));
	unlink(self->path);
	rmdir(self->dir);
	if (self->before >= 0)
		EXPECT_EQ(self->before, memtype_pages());
}

/* The type's limit holds across its mounts, on every backend. */
TEST_F(type_limited, unprivileged_writer_gets_enospc_at_the_type_page_limit)
{
	fill_as_nobody_in_a_child(_metadata, self->path);
	EXPECT_EQ(self->before + LIMIT_PAGES, memtype_pages());
}

/* --- LSM ----------------------------------------------------------------- */

#define SMACK_LABEL "uffd_memtype"

/* In a child labelled SMACK_LABEL: create @path; 0 or a negative errno. */
static int create_as_smack_subject(const char *path)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		fd = open("/proc/self/attr/current", O_WRONLY);
		if (fd < 0 || write(fd, SMACK_LABEL, strlen(SMACK_LABEL)) < 0)
			_exit(ENOTSUP);
		close(fd);
		fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
		_exit(fd < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

TEST(new_files_get_the_creators_lsm_label)
{
	char path[256], label[64] = "";
	int err;

	if (memtype_device())
		SKIP(return, "fd-style type: no file names to create");
	if (access("/sys/fs/smackfs", F_OK) &&
	    mount("smackfs", "/sys/fs/smackfs", "smackfs", 0, NULL))
		SKIP(return, "no Smack in this kernel: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/lsm.%d", memtype_dir(), getpid());
	err = create_as_smack_subject(path);
	if (err == -ENOTSUP)
		SKIP(return, "Smack is not the active LSM");
	ASSERT_EQ(0, err) TH_LOG("create %s: %s", path, strerror(-err));
	EXPECT_LT(0, getxattr(path, "security.SMACK64", label, sizeof(label) - 1))
		TH_LOG("getxattr: %s", strerror(errno));
	EXPECT_STREQ(SMACK_LABEL, label);
	unlink(path);
}

TEST_F(memtype, fsync_succeeds)
{
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, fdatasync(self->fd));
}

TEST_F(memtype, ftruncate_shrink_zaps_mapping_and_grow_reads_zero)
{
	char *map;

	if (memtype_device())
		SKIP(return, "fd-style type: the size is fixed");
	map = map_file(MAP_SHARED);
	memset(map, 0xaa, self->len);
	ASSERT_EQ(0, ftruncate(self->fd, page_size));
	EXPECT_TRUE(reads_sigbus(map + 2 * page_size));
	EXPECT_EQ((char)0xaa, map[10]);
	ASSERT_EQ(0, ftruncate(self->fd, self->len));
	EXPECT_TRUE(all_zero(map + page_size, self->len - page_size));
}

TEST_F(memtype, punch_hole_drops_pages_and_reads_zero)
{
	char *map = map_file(MAP_SHARED);
	struct stat st;

	memset(map, 0x55, self->len);
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       2 * page_size, 3 * page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ((NR_PAGES - 3) * page_size / 512, st.st_blocks);
	EXPECT_EQ(self->len, st.st_size);
	EXPECT_TRUE(all_zero(map + 2 * page_size, 3 * page_size));
	EXPECT_EQ(0x55, map[5 * page_size]);
}

TEST_F(memtype, fallocate_allocates_and_extends)
{
	struct stat st;

	if (memtype_device())
		SKIP(return, "fd-style type: the size is fixed");
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, self->len + page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(self->len + page_size, st.st_size);
	EXPECT_EQ((NR_PAGES + 1) * page_size / 512, st.st_blocks);
	EXPECT_EQ(-1, fallocate(self->fd, FALLOC_FL_COLLAPSE_RANGE, 0, page_size));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(memtype, punch_hole_beyond_eof_frees_keep_size_pages)
{
	struct stat st;

	if (memtype_device())
		SKIP(return, "fd-style type: the size is fixed");
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_KEEP_SIZE, self->len,
			       2 * page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ(2 * page_size / 512, st.st_blocks);
	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       self->len, 2 * page_size));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(0, st.st_blocks);
	EXPECT_EQ(self->len, st.st_size);
}

static int drop_clean_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ok = fd >= 0 && write(fd, "1", 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

TEST_F(memtype, fallocated_pages_survive_drop_caches)
{
	struct stat st;

	ASSERT_EQ(0, fallocate(self->fd, 0, 0, self->len));
	if (drop_clean_caches())
		SKIP(return, "cannot write /proc/sys/vm/drop_caches: %s", strerror(errno));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(NR_PAGES * page_size / 512, st.st_blocks);
}

TEST_F(memtype, madvise_remove_punches_hole)
{
	char *map = map_file(MAP_SHARED);
	char c;

	memset(map, 0x11, self->len);
	ASSERT_EQ(0, madvise(map + page_size, page_size, MADV_REMOVE));
	ASSERT_EQ(0, peek(self->fd, &c, 1, page_size));
	EXPECT_EQ(0, c);
	EXPECT_EQ(0, map[page_size]);
	EXPECT_EQ(0x11, map[0]);
}

TEST_F(memtype, shared_mappings_see_the_same_pages)
{
	char *a = map_file(MAP_SHARED);
	char *b = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	char c;

	ASSERT_NE(MAP_FAILED, b);
	memcpy(a + page_size, "seen by both", sizeof("seen by both"));
	EXPECT_STREQ("seen by both", b + page_size);
	ASSERT_EQ(0, peek(self->fd, &c, 1, page_size));
	EXPECT_EQ('s', c);
	munmap(b, self->len);
}

TEST_F(memtype, private_mapping_is_copy_on_write)
{
	char *priv;
	char c;

	if (memtype_device())
		SKIP(return, "fd-style type: shared mappings only");
	priv = map_file(MAP_PRIVATE);
	ASSERT_EQ(1, pwrite(self->fd, "f", 1, 0));
	EXPECT_EQ('f', priv[0]);
	priv[0] = 'p';
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ('f', c);
	EXPECT_EQ('p', priv[0]);
}

/* --- userfaultfd: registration ------------------------------------------- */

TEST_F(memtype, register_missing_offers_copy_zeropage_poison)
{
	unsigned long long ioctls = 0;

	NEEDS(MISSING);
	map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, self->map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING, &ioctls));
	EXPECT_TRUE(ioctls & (1ULL << _UFFDIO_COPY));
	EXPECT_TRUE(ioctls & (1ULL << _UFFDIO_ZEROPAGE));
	EXPECT_TRUE(ioctls & (1ULL << _UFFDIO_POISON));
	EXPECT_FALSE(ioctls & (1ULL << _UFFDIO_CONTINUE));
}

TEST_F(memtype, register_minor_offers_continue)
{
	unsigned long long ioctls = 0;

	NEEDS(MINOR);
	map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, self->map, self->len,
				   UFFDIO_REGISTER_MODE_MINOR, &ioctls));
	EXPECT_TRUE(ioctls & (1ULL << _UFFDIO_CONTINUE));
}

TEST_F(memtype, register_with_unknown_mode_is_einval)
{
	map_file(MAP_SHARED);
	EXPECT_EQ(-EINVAL, uffd_register(self->uffd, self->map, self->len,
					 1ULL << 7, NULL));
}

TEST_F(memtype, register_unaligned_range_is_einval)
{
	map_file(MAP_SHARED);
	EXPECT_EQ(-EINVAL, uffd_register(self->uffd, self->map + 1, page_size,
					 UFFDIO_REGISTER_MODE_MISSING, NULL));
}

/* --- userfaultfd: MISSING ------------------------------------------------ */

/*
 * Fault on page 3 of @map, registered MISSING; the handler resolves it as
 * @how says. The faulting read's bytes are left in @page.
 */
static void missing_fault(struct __test_metadata *_metadata, int uffd,
			  char *map, long len, enum resolve how)
{
	struct handler h;
	char page[4096 * 4];

	ASSERT_LE(page_size, (long)sizeof(page));
	ASSERT_EQ(0, uffd_register(uffd, map, len,
				   UFFDIO_REGISTER_MODE_MISSING, NULL));
	handler_start(&h, uffd, how, 42);
	/* The main thread faults; the handler resolves. */
	memcpy(page, map + 3 * page_size, page_size);
	handler_stop(&h);
	EXPECT_EQ(0, h.error);
	EXPECT_EQ(1, h.faults);
	EXPECT_EQ((unsigned long)map + 3 * page_size, h.last_addr & ~(page_size - 1));
	EXPECT_FALSE(h.last_flags & UFFD_PAGEFAULT_FLAG_MINOR);
	EXPECT_TRUE(how == RESOLVE_COPY ? check_pattern(page, page_size, 42) :
					  all_zero(page, page_size));
}

TEST_F(memtype, missing_shared_resolved_by_copy_fills_page_cache)
{
	char out[64];

	NEEDS(MISSING);
	missing_fault(_metadata, self->uffd, map_file(MAP_SHARED), self->len, RESOLVE_COPY);
	/* The filled page is the file's page: read() sees it too. */
	ASSERT_EQ(0, peek(self->fd, out, sizeof(out), 3 * page_size));
	EXPECT_TRUE(check_pattern(out, sizeof(out), 42));
}

TEST_F(memtype, missing_shared_resolved_by_zeropage)
{
	struct stat st;

	NEEDS(MISSING);
	missing_fault(_metadata, self->uffd, map_file(MAP_SHARED), self->len, RESOLVE_ZEROPAGE);
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(page_size / 512, st.st_blocks);
}

TEST_F(memtype, missing_private_resolved_by_copy_leaves_file_alone)
{
	struct stat st;

	if (memtype_device())
		SKIP(return, "fd-style type: shared mappings only");
	NEEDS(MISSING);
	missing_fault(_metadata, self->uffd, map_file(MAP_PRIVATE), self->len, RESOLVE_COPY);
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(0, st.st_blocks);
}

TEST_F(memtype, missing_private_resolved_by_zeropage)
{
	if (memtype_device())
		SKIP(return, "fd-style type: shared mappings only");
	NEEDS(MISSING);
	missing_fault(_metadata, self->uffd, map_file(MAP_PRIVATE), self->len, RESOLVE_ZEROPAGE);
}

TEST_F(memtype, copy_twice_is_eexist)
{
	char *map;
	char *page;

	NEEDS(MISSING);
	map = map_file(MAP_SHARED);
	page = aligned_alloc(page_size, page_size);
	fill_pattern(page, page_size, 1);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, uffd_copy(self->uffd, (unsigned long)map, page, page_size));
	fill_pattern(page, page_size, 2);
	EXPECT_EQ(-EEXIST, uffd_copy(self->uffd, (unsigned long)map, page, page_size));
	/* The first fill stands. */
	EXPECT_TRUE(check_pattern(map, page_size, 1));
	free(page);
}

TEST_F(memtype, copy_beyond_eof_is_efault)
{
	char *map;
	char *page;

	if (memtype_device())
		SKIP(return, "fd-style type: the size is fixed");
	NEEDS(MISSING);
	map = map_file(MAP_SHARED);
	page = aligned_alloc(page_size, page_size);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, ftruncate(self->fd, 2 * page_size));
	EXPECT_EQ(-EFAULT, uffd_copy(self->uffd, (unsigned long)map + 5 * page_size,
				     page, page_size));
	EXPECT_EQ(-EFAULT, uffd_zeropage(self->uffd,
					 (unsigned long)map + 5 * page_size, page_size));
	free(page);
}

TEST_F(memtype, copy_unaligned_is_einval)
{
	char *map;
	char *page;

	NEEDS(MISSING);
	map = map_file(MAP_SHARED);
	page = aligned_alloc(page_size, page_size);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING, NULL));
	EXPECT_EQ(-EINVAL, uffd_copy(self->uffd, (unsigned long)map + 8, page,
				     page_size));
	EXPECT_EQ(-EINVAL, uffd_copy(self->uffd, (unsigned long)map, page, 100));
	free(page);
}

/* --- userfaultfd: MINOR ------------------------------------------------ */

/* Fault on page 2 of @map, registered MINOR, whose page cache holds seed 9. */
static void minor_fault(struct __test_metadata *_metadata, int uffd,
			char *map, long len)
{
	struct handler h;
	char page[4096 * 4];

	ASSERT_EQ(0, uffd_register(uffd, map, len, UFFDIO_REGISTER_MODE_MINOR, NULL));
	handler_start(&h, uffd, RESOLVE_CONTINUE, 0);
	memcpy(page, map + 2 * page_size, page_size);
	handler_stop(&h);
	EXPECT_EQ(0, h.error);
	EXPECT_EQ(1, h.faults);
	EXPECT_TRUE(h.last_flags & UFFD_PAGEFAULT_FLAG_MINOR);
	EXPECT_TRUE(check_pattern(page, page_size, 9));
}

TEST_F(memtype, minor_after_write_resolved_by_continue)
{
	char *page;

	NEEDS(MINOR);
	page = malloc(page_size);
	fill_pattern(page, page_size, 9);
	ASSERT_EQ(page_size, pwrite(self->fd, page, page_size, 2 * page_size));
	minor_fault(_metadata, self->uffd, map_file(MAP_SHARED), self->len);
	free(page);
}

TEST_F(memtype, minor_after_alias_mapping_fill_resolved_by_continue)
{
	char *alias;

	NEEDS(MINOR);
	alias = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, 0);
	ASSERT_NE(MAP_FAILED, alias);
	fill_pattern(alias + 2 * page_size, page_size, 9);
	minor_fault(_metadata, self->uffd, map_file(MAP_SHARED), self->len);
	munmap(alias, self->len);
}

TEST_F(memtype, continue_on_hole_is_efault)
{
	char *map;

	NEEDS(MINOR);
	map = map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MINOR, NULL));
	EXPECT_EQ(-EFAULT, uffd_continue(self->uffd, (unsigned long)map, page_size));
}

TEST_F(memtype, minor_fault_on_a_fallocated_page_survives_drop_caches)
{
	char *map;

	NEEDS(MINOR);
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, self->len));
	if (drop_clean_caches())
		SKIP(return, "cannot write /proc/sys/vm/drop_caches: %s", strerror(errno));
	map = map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MINOR, NULL));
	/* CONTINUE finds the page: the reservation is still in the cache. */
	EXPECT_EQ(0, uffd_continue(self->uffd, (unsigned long)map, page_size));
	EXPECT_EQ(0, map[0]);
}

/* --- userfaultfd: POISON and WP ------------------------------------------- */

TEST_F(memtype, poison_makes_access_sigbus)
{
	char *map;

	NEEDS(MISSING);
	map = map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING, NULL));
	ASSERT_EQ(0, uffd_poison(self->uffd, (unsigned long)map + page_size, page_size));
	EXPECT_TRUE(reads_sigbus(map + page_size));
	/* The poison marker occupies the PTE: poisoning again is refused. */
	EXPECT_EQ(-EEXIST, uffd_poison(self->uffd, (unsigned long)map + page_size,
				       page_size));
}

TEST_F(memtype, writeprotect_traps_write_until_unprotected)
{
	char *map = map_file(MAP_SHARED);
	struct handler h;
	int err;

	memset(map, 0, self->len);
	err = uffd_register(self->uffd, map, self->len, UFFDIO_REGISTER_MODE_WP, NULL);
	if (err == -EINVAL)
		SKIP(return, "the type does not declare WP, or the kernel has none for files");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, uffd_wp(self->uffd, (unsigned long)map, self->len, 1));
	handler_start(&h, self->uffd, RESOLVE_WP, 0);
	map[page_size] = 'w';
	handler_stop(&h);
	EXPECT_EQ(0, h.error);
	EXPECT_EQ(1, h.faults);
	EXPECT_TRUE(h.last_flags & UFFD_PAGEFAULT_FLAG_WP);
	EXPECT_EQ('w', map[page_size]);
}

/* The kernel does not ask the type: documented in <linux/uffd_shim.h>. */
TEST_F(memtype, wp_async_registration_needs_no_declared_mode)
{
	char *map = map_file(MAP_SHARED);
	int uffd = uffd_open(UFFD_FEATURE_WP_ASYNC);

	if (uffd < 0)
		SKIP(return, "no UFFD_FEATURE_WP_ASYNC: %s", strerror(errno));
	EXPECT_EQ(0, uffd_register(uffd, map, self->len, UFFDIO_REGISTER_MODE_WP, NULL));
	close(uffd);
}

TEST_F(memtype, rwprotect_traps_read_until_unprotected)
{
	struct handler h;
	char *map;
	int uffd;

	NEEDS(RWP);
	map = map_file(MAP_SHARED);
	memset(map, 'r', self->len);
	uffd = uffd_open(UFFD_FEATURE_RWP);
	ASSERT_LE(0, uffd);
	ASSERT_EQ(0, uffd_register(uffd, map, self->len, UFFDIO_REGISTER_MODE_RWP, NULL));
	ASSERT_EQ(0, uffd_rwp(uffd, (unsigned long)map, self->len, 1));
	handler_start(&h, uffd, RESOLVE_RWP, 0);
	EXPECT_EQ('r', __atomic_load_n(&map[page_size], __ATOMIC_RELAXED));
	handler_stop(&h);
	EXPECT_EQ(0, h.error);
	EXPECT_EQ(1, h.faults);
	EXPECT_TRUE(h.last_flags & UFFD_PAGEFAULT_FLAG_RWP);
	close(uffd);
}

/* --- fd-style types: files from a device ioctl ----------------------------- */

TEST(create_with_an_unknown_flag_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, device_file(page_size, 1ULL << 40));
	EXPECT_EQ(EINVAL, errno);
}

TEST(create_with_a_zero_size_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, device_file(0, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(create_with_an_unaligned_size_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, device_file(page_size + 1, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(create_beyond_the_size_limit_is_e2big)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, device_file(1ULL << 50, 0));
	EXPECT_EQ(E2BIG, errno);
}

TEST(create_with_cloexec_sets_fd_cloexec)
{
	int fd;

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	fd = device_file(page_size, UFFD_SHIM_CREATE_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_F(memtype, private_mapping_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(memtype, read_is_einval)
{
	char c;

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	ASSERT_EQ(0, seed_page(self->fd, 0, 1));
	EXPECT_EQ(-1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(memtype, write_of_part_of_a_page_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, pwrite(self->fd, "x", 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(self->fd, "x", 1, page_size + 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(memtype, write_beyond_the_size_is_efbig)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-EFBIG, seed_page(self->fd, NR_PAGES, 1));
}

TEST_F(memtype, write_over_a_populated_page_is_eexist_and_keeps_the_first)
{
	char out[64];

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	ASSERT_EQ(0, seed_page(self->fd, 1, 1));
	EXPECT_EQ(-EEXIST, seed_page(self->fd, 1, 2));
	ASSERT_EQ(0, peek(self->fd, out, sizeof(out), page_size));
	EXPECT_TRUE(check_pattern(out, sizeof(out), 1));
}

TEST_F(memtype, ftruncate_to_another_size_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, ftruncate(self->fd, page_size));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ftruncate(self->fd, self->len));
}

TEST_F(memtype, unaligned_punch_hole_is_einval)
{
	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	EXPECT_EQ(-1, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				1, page_size));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(memtype, missing_resolved_by_write_then_continue)
{
	struct handler h;
	char *map;
	char page[64];

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	NEEDS(MISSING);
	NEEDS(MINOR);
	map = map_file(MAP_SHARED);
	ASSERT_EQ(0, uffd_register(self->uffd, map, self->len,
				   UFFDIO_REGISTER_MODE_MISSING |
				   UFFDIO_REGISTER_MODE_MINOR, NULL));
	handler_start_write(&h, self->uffd, self->fd, map, 7);
	memcpy(page, map + 2 * page_size, sizeof(page));
	handler_stop(&h);
	EXPECT_EQ(0, h.error);
	EXPECT_EQ(1, h.faults);
	EXPECT_FALSE(h.last_flags & UFFD_PAGEFAULT_FLAG_MINOR);
	EXPECT_TRUE(check_pattern(page, sizeof(page), 7));
}

TEST_F(memtype, process_vm_readv_of_a_mapping_is_efault)
{
	char *map, buf[16];
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iovec remote = { .iov_len = sizeof(buf) };

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	map = map_file(MAP_SHARED);
	map[0] = 'x';			/* populated and mapped */
	remote.iov_base = map;
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(memtype, proc_pid_mem_read_of_a_mapping_is_eio)
{
	char *map, c;
	int mem;

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	map = map_file(MAP_SHARED);
	map[0] = 'x';
	mem = open("/proc/self/mem", O_RDONLY);
	ASSERT_LE(0, mem);
	EXPECT_EQ(-1, pread(mem, &c, 1, (off_t)(unsigned long)map));
	EXPECT_EQ(EIO, errno);
	close(mem);
}

/* @src into @dst of @len bytes, cut short if need be. */
static void copy_string(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* VmFlags of the mapping at @addr in /proc/self/smaps, or "". */
static void vm_flags_of(void *addr, char *flags, size_t len)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	*flags = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, want, strlen(want));
		else if (in && !strncmp(line, "VmFlags:", 8))
			copy_string(flags, len, line + 8);
	}
	if (f)
		fclose(f);
}

TEST_F(memtype, mapping_is_left_out_of_core_dumps)
{
	char flags[256];

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	vm_flags_of(map_file(MAP_SHARED), flags, sizeof(flags));
	EXPECT_NE(NULL, strstr(flags, " dd")) TH_LOG("VmFlags:%s", flags);
}

/* The type's page limit: fallocate past it fails and keeps nothing. */
TEST_F(memtype, memory_limit_gives_enospc_and_keeps_nothing)
{
	const char *path = getenv("UFFD_MEMTYPE_MAX_PAGES");
	char limit[32];
	int fd;

	if (!memtype_device())
		SKIP(return, "a case of fd-style types");
	if (!path || !*path || self->pages_before < 0)
		SKIP(return, "the type has no page limit to set");
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	snprintf(limit, sizeof(limit), "%ld", self->pages_before + 2);
	ASSERT_LT(0, write(fd, limit, strlen(limit)));
	EXPECT_EQ(-1, fallocate(self->fd, 0, 0, 4 * page_size));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(self->pages_before, memtype_pages());
	EXPECT_EQ(0, seed_page(self->fd, 0, 1));
	EXPECT_EQ(0, seed_page(self->fd, 1, 1));
	EXPECT_EQ(-ENOSPC, seed_page(self->fd, 2, 1));
	/* lseek + write: a debugfs limit (Rust) is a seq_file, which has no pwrite(). */
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_LT(0, write(fd, "0", 1));
	close(fd);
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (probe_modes())
		return 1;
	return test_harness_run(argc, argv);
}
