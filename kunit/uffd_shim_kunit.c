// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the uffd-shim core API.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/uffd_shim.h>

static const struct file_operations test_fops = {
	.owner = THIS_MODULE,
};

static void api_version_matches_header(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, uffd_shim_api_version(),
			(unsigned int)UFFD_SHIM_API_VERSION);
}

static void features_report_native_backend(struct kunit *test)
{
	unsigned int f = uffd_shim_features();

	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_VM_UFFD_OPS);
	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_MISSING);
	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_POISON);
}

static void register_rejects_null_ops(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(NULL)), -EINVAL);
}

static void register_accepts_minimal_ops(struct kunit *test)
{
	struct uffd_shim_ops ops = {
		.api_version = UFFD_SHIM_API_VERSION,
		.name = "kunit",
		.fops = &test_fops,
		.modes = UFFD_SHIM_MODE_MISSING,
	};
	struct uffd_shim_type *type = uffd_shim_register(&ops);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	KUNIT_EXPECT_NOT_NULL(test, uffd_shim_type_fops(type)->mmap_prepare);
	uffd_shim_unregister(type);
}

static struct kunit_case uffd_shim_api_cases[] = {
	KUNIT_CASE(api_version_matches_header),
	KUNIT_CASE(features_report_native_backend),
	KUNIT_CASE(register_rejects_null_ops),
	KUNIT_CASE(register_accepts_minimal_ops),
	{}
};

static struct kunit_suite uffd_shim_api_suite = {
	.name = "uffd_shim_api",
	.test_cases = uffd_shim_api_cases,
};

kunit_test_suites(&uffd_shim_api_suite);

MODULE_DESCRIPTION("KUnit tests for uffd-shim");
MODULE_LICENSE("GPL");
