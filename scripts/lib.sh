# SPDX-License-Identifier: GPL-2.0
# Shared settings for scripts/*: where the cache lives, which kernel, how to
# run a command inside the toolchain root. Sourced, never executed.

set -euo pipefail
# Never fail silently: name the script and line that stopped us.
trap 'echo "error: ${BASH_SOURCE[0]:-$0}: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Everything downloaded or built lives here, outside the checkout, so a fresh
# clone (CI) reuses it.
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
CACHE=${UFFD_SHIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uffd-shim}
ROOT=$CACHE/root

# Kernel series -> pinned Debian package version. When the archive no longer
# has the pin, setup falls back to the newest of the series and says so.
KERNEL=${KERNEL:-7.2}
case $KERNEL in
7.2)	KERNEL_PIN=7.2.12-1~bpo13+1 ;;
7.3)	KERNEL_PIN=7.3.4-1~bpo13+1 ;;
6.12)	KERNEL_PIN=6.12.107-1 ;;
*)	echo "KERNEL=$KERNEL: unknown series (use 7.2, 7.3 or 6.12)" >&2; exit 2 ;;
esac
KSRC=$CACHE/src/linux-$KERNEL
BUILD=$CACHE/build/linux-$KERNEL
OUT=${UFFD_SHIM_OUT:-$TOP/out}

# The kernel every suite boots: kunit/.kunitconfig (CONFIG_RUST=y), plus the
# checkers of kunit/sanitize.config with SANITIZE=1, or without Rust (the C
# fallback: shim, C sample, C tests) with RUST=0; each variant in a build
# directory of its own.
SANITIZE=${SANITIZE:-0}
# Our Rust abstractions build on the kernel crate of 7.2 and later (VmaRef,
# atomics, debugfs, #[kunit_tests]); a tree without them tests C only.
# Decided from the tree, so only once it is unpacked: scripts/test sources
# this file again after setup. Exported, so every script agrees.
if [ -z "${RUST:-}" ] && [ -f "$KSRC/.complete" ]; then
	RUST=1
	[ -f "$KSRC/rust/kernel/mm/virt.rs" ] || RUST=0
fi
[ -z "${RUST:-}" ] || export RUST
KUNITCONFIGS=(--kunitconfig="$TOP/kunit")
variant=$KERNEL
if [ "$SANITIZE" = 1 ]; then
	KUNITCONFIGS+=(--kunitconfig="$TOP/kunit/sanitize.config")
	variant+=-sanitize
fi
if [ "${RUST:-}" = 0 ]; then
	KUNITCONFIGS+=(--kconfig_add CONFIG_RUST=n)
	# Every Rust sample (scripts/new-memtype's included), the Rust KUnit
	# cases and the doctests: kunit.py fails if an option of
	# kunit/.kunitconfig cannot be met.
	for c in $(awk '/^config / { c = $2 } /depends on .*RUST/ { print c }' \
		   "$TOP/samples/Kconfig" "$TOP/kunit/Kconfig") RUST_KERNEL_DOCTESTS; do
		KUNITCONFIGS+=(--kconfig_add "CONFIG_$c=n")
	done
	variant+=-norust
fi
KBUILD=$BUILD/kunit${variant#"$KERNEL"}
RESULTS=$OUT/$variant

# The toolchain root's packages. Changing this list makes setup install the
# difference into an existing root.
ROOT_PACKAGES="build-essential bc bison flex libelf-dev libssl-dev cpio kmod
rsync python3 rustc rust-src rustfmt rust-clippy bindgen libclang-dev clang lld
llvm dwarves sparse busybox-static qemu-system-x86 perl xz-utils git
python3-matplotlib"
# Taken from sid, newer than trixie's (scripts/setup says why).
ROOT_SID_PACKAGES="sparse"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

# unframe CONSOLE DIR: the guest frames what it hands over as "<<<KIND name"
# ... ">>>" on its console; write each block to DIR/name.kind (KTAP, CSV,
# LOG: name.ktap, name.csv, name.log).
unframe() {
	awk -v dir="$2" '
		{ sub(/\r$/, "") }	# the serial console ends lines with CRLF
		/^<<<[A-Z]+ / { file = dir "/" $2 "." tolower(substr($1, 4)); next }
		/^>>>/ { if (file) close(file); file = ""; next }
		file { print > file }
	' "$1"
}

# sample_kos: the .ko of every driver under samples/ that the kernel in
# $KBUILD builds (its modules.order: the build directory may keep .ko files
# of drivers an earlier configuration had).
sample_kos() {
	grep '^uffd_shim/samples/' "$KBUILD/modules.order" | sort |
		sed "s|^|$KBUILD/|; s|\.o\$|.ko|"
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# kvm_works BZIMAGE: does KVM actually boot this kernel here? On some hosts
# /dev/kvm opens and tiny guests run, yet a Linux guest hangs, so the probe
# boots the real kernel with no init: it must reach the "no init" panic and
# leave (panic=-1, -no-reboot) well within the timeout. Whether KVM works
# is the host's property: the answer is kept per host kernel and QEMU, so a
# rebuilt image does not pay the probe again. UFFD_SHIM_KVM=0/1 overrides.
kvm_works() {
	local image=$1 stamp out
	if [ -n "${UFFD_SHIM_KVM:-}" ]; then [ "$UFFD_SHIM_KVM" = 1 ]; return; fi
	[ -c /dev/kvm ] || return 1
	stamp=$CACHE/kvm-probe.$(uname -r).$(stat -c %Y "$ROOT/usr/bin/qemu-system-x86_64")
	if [ ! -f "$stamp" ]; then
		out=$(timeout 60 unshare --mount --fork -- /bin/sh -c '
			mount --make-rprivate /
			mkdir -p "$1$2"; mount --bind "$2" "$1$2"
			touch "$1/dev/kvm" && mount --bind /dev/kvm "$1/dev/kvm"
			exec chroot "$1" qemu-system-x86_64 -accel kvm -m 512 \
				-nodefaults -display none -no-reboot -serial stdio \
				-kernel "$3" -append "console=ttyS0 panic=-1 rdinit=/none init=/none"
			' probe "$ROOT" "$(dirname "$image")" "$image" 2>&1 || true)
		rm -f "$ROOT/dev/kvm"
		case $out in
		*"Kernel panic"*) echo yes >"$stamp" ;;
		*) echo no >"$stamp" ;;
		esac
	fi
	[ "$(cat "$stamp")" = yes ]
}

# in_root DIR CMD...: run CMD inside the toolchain root with DIR as working
# directory; /dev/kvm is visible inside only with IN_ROOT_KVM=1. The cache
# and the checkout appear at their own paths inside, so
# symlinks from the kernel tree into the checkout resolve in both worlds.
in_root() {
	local dir=$1 kvm=${IN_ROOT_KVM:-0}
	shift
	[ -f "$ROOT/.complete" ] || die "no toolchain root at $ROOT: run scripts/setup"
	unshare --mount --fork -- /bin/bash -euc '
		R=$1 cache=$2 top=$3 kvm=$4 dir=$5; shift 5
		mount --make-rprivate /
		mount -t proc proc "$R/proc"
		mount -t sysfs sysfs "$R/sys"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
		mount -t tmpfs tmpfs "$R/dev/shm"
		mount -t tmpfs tmpfs "$R/tmp"
		if [ "$kvm" = 1 ]; then
			touch "$R/dev/kvm"; mount --bind /dev/kvm "$R/dev/kvm"
		else
			rm -f "$R/dev/kvm"
		fi
		mkdir -p "$R$cache" "$R$top"
		mount --bind "$cache" "$R$cache"
		mount --bind "$top" "$R$top"
		cd "$R"
		exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM=dumb /bin/bash -euc "cd \"\$0\"; exec \"\$@\"" "$dir" "$@"
	' in_root "$ROOT" "$CACHE" "$TOP" "$kvm" "$dir" "$@"
}

# kunit_py SUBCOMMAND ARGS...: the kernel's kunit.py, inside the toolchain root.
kunit_py() {
	in_root "$KSRC" python3 tools/testing/kunit/kunit.py "$@"
}
