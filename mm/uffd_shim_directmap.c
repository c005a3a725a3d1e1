// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim and the kernel direct map: a memory type whose pages must not
 * stay reachable through the kernel's linear mapping (guest memory, say)
 * takes them out of it as they enter its page cache and puts them back as
 * they leave, as mm/secretmem.c does. The set_direct_map helpers are not
 * exported; these are.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/mm.h>
#include <linux/set_memory.h>
#include <asm/tlbflush.h>
#include "uffd_shim_internal.h"

bool uffd_shim_direct_map_changeable(void)
{
#ifdef CONFIG_ARCH_HAS_SET_DIRECT_MAP
	return can_set_direct_map();
#else
	return false;
#endif
}

/**
 * uffd_shim_folio_unmap_direct() - take a folio out of the kernel direct map.
 * @folio: a new folio, in no page cache and mapped nowhere, holding its
 *	final contents: the kernel cannot reach them any more, so copy
 *	first (UFFDIO_COPY has by the time @prepare_folio runs), then unmap.
 *
 * Flushes the kernel TLB for the range before returning, so no CPU can
 * still reach the pages. Undo with uffd_shim_folio_restore_direct() before
 * the folio is freed (in @free_folio).
 *
 * Context: process context, may sleep; interrupts enabled (the TLB flush
 * interrupts the other CPUs).
 * Return: 0; -EOPNOTSUPP if the kernel cannot change its direct map;
 * -EINVAL (with a warning) for a folio in a page cache, mapped or in high
 * memory; -ENOMEM if a large direct-map page could not be split. On error
 * the folio is in the direct map.
 */
int uffd_shim_folio_unmap_direct(struct folio *folio)
{
	unsigned long addr, i, nr = folio_nr_pages(folio);
	int err = 0;

	if (WARN_ON_ONCE(folio->mapping || folio_mapped(folio) ||
			 folio_test_highmem(folio)))
		return -EINVAL;
	if (!uffd_shim_direct_map_changeable())
		return -EOPNOTSUPP;
	for (i = 0; i < nr; i++) {
		err = set_direct_map_invalid_noflush(folio_page(folio, i));
		if (err)
			goto restore;
	}
	addr = (unsigned long)folio_address(folio);
	flush_tlb_kernel_range(addr, addr + folio_size(folio));
	return 0;

restore:
	/* The split, if any, happened already: making pages valid cannot fail. */
	while (i--)
		set_direct_map_default_noflush(folio_page(folio, i));
	return err;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_unmap_direct);

/**
 * uffd_shim_folio_restore_direct() - put a folio back in the kernel direct map.
 * @folio: a folio uffd_shim_folio_unmap_direct() took out, or one never
 *	taken out (then nothing changes).
 *
 * No TLB flush is needed to make pages reachable again. The contents are
 * left as they are: a type whose data must not outlive the folio zeroes it
 * afterwards (uffd_shim_folio_zero()).
 *
 * Context: any context in which the folio may be freed (->free_folio).
 */
void uffd_shim_folio_restore_direct(struct folio *folio)
{
	unsigned long i;

	if (!uffd_shim_direct_map_changeable())
		return;
	for (i = 0; i < folio_nr_pages(folio); i++)
		set_direct_map_default_noflush(folio_page(folio, i));
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_restore_direct);

/**
 * uffd_shim_folio_direct_mapped() - can the kernel reach a folio directly?
 * @folio: any folio.
 *
 * Return: true if the first page of @folio is present in the kernel direct
 * map (always true where the kernel cannot change its direct map).
 */
bool uffd_shim_folio_direct_mapped(struct folio *folio)
{
	return kernel_page_present(folio_page(folio, 0));
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_direct_mapped);
