// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim probe: the API version and features a driver asks for, and
 * /sys/kernel/mm/uffd_shim/features, which tells the same to userspace.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sysfs.h>
#include <linux/userfaultfd_k.h>
#include "uffd_shim_internal.h"

/**
 * uffd_shim_api_version() - API version implemented by the running shim.
 *
 * Return: UFFD_SHIM_API_VERSION of the built-in core. A driver built against
 * a newer header than this must not register.
 */
unsigned int uffd_shim_api_version(void)
{
	return UFFD_SHIM_API_VERSION;
}
EXPORT_SYMBOL_GPL(uffd_shim_api_version);

/**
 * uffd_shim_features() - what the running kernel supports through the shim.
 *
 * Return: mask of enum uffd_shim_feature.
 */
unsigned int uffd_shim_features(void)
{
	unsigned int f = UFFD_SHIM_FEAT_MISSING | UFFD_SHIM_FEAT_POISON;

	f |= IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE) ? UFFD_SHIM_FEAT_VM_UFFD_OPS :
						   UFFD_SHIM_FEAT_SHMEM_FALLBACK;
	if (VM_UFFD_MINOR != VM_NONE)
		f |= UFFD_SHIM_FEAT_MINOR;
#ifdef CONFIG_USERFAULTFD_RWP	/* Linux 7.3 */
	if (pgtable_supports_uffd())
		f |= UFFD_SHIM_FEAT_RWP;
#endif
	/* 7.2 asks the architecture at run time; before, a config option said. */
#ifdef pgtable_supports_uffd_wp
	if (uffd_supports_wp_marker())
		f |= UFFD_SHIM_FEAT_WP;
#else
	if (IS_ENABLED(CONFIG_PTE_MARKER_UFFD_WP))
		f |= UFFD_SHIM_FEAT_WP;
#endif
	return f;
}
EXPORT_SYMBOL_GPL(uffd_shim_features);

static int format_features(char *buf, size_t size)
{
	unsigned int f = uffd_shim_features();

	return scnprintf(buf, size, "api %u backend %s%s%s%s%s%s\n",
			 uffd_shim_api_version(),
			 f & UFFD_SHIM_FEAT_VM_UFFD_OPS ? "vm_uffd_ops" :
			 f & UFFD_SHIM_FEAT_SHMEM_FALLBACK ? "shmem" : "none",
			 f & UFFD_SHIM_FEAT_MISSING ? " missing copy zeropage" : "",
			 f & UFFD_SHIM_FEAT_MINOR ? " minor continue" : "",
			 f & UFFD_SHIM_FEAT_WP ? " wp" : "",
			 f & UFFD_SHIM_FEAT_RWP ? " rwp" : "",
			 f & UFFD_SHIM_FEAT_POISON ? " poison" : "");
}

static ssize_t features_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return format_features(buf, PAGE_SIZE);
}

static struct kobj_attribute features_attr = __ATTR_RO(features);

static struct attribute *uffd_shim_attrs[] = {
	&features_attr.attr,
	NULL,
};

static const struct attribute_group uffd_shim_group = {
	.name = "uffd_shim",
	.attrs = uffd_shim_attrs,
};

static int __init uffd_shim_init(void)
{
	char buf[128];
	int err;

	err = uffd_shim_memfile_init();
	if (err)
		pr_warn("no memory files: %d\n", err);
	format_features(buf, sizeof(buf));
	pr_info("%s", buf);
	err = sysfs_create_group(mm_kobj, &uffd_shim_group);
	if (err)
		pr_warn("no /sys/kernel/mm/uffd_shim: %d\n", err);
	return 0;
}
subsys_initcall(uffd_shim_init);
