/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uffd-shim: the ioctl with which a device hands out memory files (an fd
 * per memory object, as guest_memfd's ioctl does). One ABI for every
 * fd-style memory type, so one userspace suite tests them all.
 */
#ifndef _UAPI_LINUX_UFFD_SHIM_H
#define _UAPI_LINUX_UFFD_SHIM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Flags of struct uffd_shim_create. */
#define UFFD_SHIM_CREATE_CLOEXEC	_BITULL(0)	/* the fd gets FD_CLOEXEC */

/**
 * struct uffd_shim_create - what UFFD_SHIM_IOC_CREATE makes.
 * @size: bytes; a non-zero multiple of the page size, fixed for the
 *	file's life. Larger than the device allows: E2BIG.
 * @flags: UFFD_SHIM_CREATE_*; any other bit: EINVAL.
 */
struct uffd_shim_create {
	__u64 size;
	__u64 flags;
};

/* Returns a new file descriptor, open for reading and writing. */
#define UFFD_SHIM_IOC_CREATE	_IOW('u', 0xa0, struct uffd_shim_create)

#endif /* _UAPI_LINUX_UFFD_SHIM_H */
