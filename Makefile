# SPDX-License-Identifier: GPL-2.0
#
# Two roles in one file:
#  - inside a kernel build (KERNELRELEASE set) it is the kbuild entry of the
#    uffd_shim/ directory that scripts/overlay links into the kernel tree;
#  - from the checkout it is the front door: make test, make demo, ...

ifneq ($(KERNELRELEASE),)

obj-y += mm/
obj-y += samples/
obj-y += kunit/

else

KERNEL ?= 7.2
SANITIZE ?= 0
# RUST unset: 1 where the tree's kernel crate is new enough (scripts/lib.sh)
export KERNEL SANITIZE RUST

.PHONY: all setup overlay test test-matrix bench demo check clean help
all: help

help:
	@echo "make setup    toolchain root + kernel source into the cache (root)"
	@echo "make test     build, boot under QEMU, run every suite"
	@echo "make bench    fault round-trips/s: samples vs shmem vs anon, one VM"
	@echo "make demo     boot a kernel with uffd-shim and show it working"
	@echo "make check    style checks only (checkpatch, kernel-doc)"
	@echo "KERNEL=6.12|7.2|7.3 selects the kernel series (default 7.2)"
	@echo "make test-matrix   make test on 6.12, 7.2 and 7.3, one table"
	@echo "SANITIZE=1 adds KASAN, lockdep, DEBUG_VM, kmemleak, fault injection"
	@echo "RUST=0 tests the C-only kernel, CONFIG_RUST=n (own build dir)"

setup:
	scripts/setup

overlay: setup
	scripts/overlay

test:
	scripts/test

test-matrix:
	scripts/test-matrix

bench:
	scripts/bench

demo:
	scripts/demo

check:
	scripts/check

clean:
	rm -rf out

endif
