/* The hardware domain: dom0 started with devices=host, which owns the
 * machine as Xen's PVH dom0 does.  Its RAM is the host's own, mapped 1:1
 * (guest-physical = host-physical, so the addresses its drivers give
 * their devices for DMA are right without an IOMMU), its memory map is
 * the firmware's, and the host addresses that are not RAM (device memory,
 * firmware areas) are mapped 1:1 when it first touches them, except what
 * the hypervisor keeps for itself. */
#ifndef HV_HWDOM_H
#define HV_HWDOM_H

#include <arch/arch.h>
#include <hv/boot_info.h>
#include <hv/frame.h>
#include <hv/types.h>

struct domain;

/* Before the frame allocator starts (bi's modules still where the boot
 * loader put them): if a module asks for a dom0 kernel with devices=host,
 * choose the host RAM that becomes its 1:1 memory: mem MiB from the
 * kernel's load address down to a 2 MiB boundary.  Boot modules in that
 * range are copied out of it (bi is updated).  Returns true with the
 * range in *keep, which the allocator must leave alone; false (with a
 * message when the range is unusable) otherwise: dombuild then refuses
 * a devices=host dom0. */
bool hwdom_plan(struct boot_info *bi, struct mem_range *keep);

/* d's RAM (d is the devices=host dom0 being built): the planned range's
 * host RAM, taken into the allocator as d's frames (P2M_RAM), and host
 * RAM below 1 MiB (P2M_DIRECT), all 1:1; the rest of the
 * first MiB 1:1 as P2M_MMIO, as Xen maps it.  Sets d's RAM size, and
 * d->memmap to the host's map with the RAM that is not d's marked
 * unusable and the page at acpi_gpa (the last page of its RAM, returned
 * in *acpi_gpa) marked as ACPI data.  Returns 0, -ENOENT (no plan was
 * made: see hwdom_plan's message) or -ENOMEM. */
int hwdom_populate(struct domain *d, uint64_t *acpi_gpa);

/* Whether [gpa, gpa + size) is all RAM of the devices=host dom0 (for the
 * builder's checks). */
bool hwdom_is_ram(uint64_t gpa, uint64_t size);

/* The devices=host dom0 touched gpa, where its p2m has nothing: the type
 * a 1:1 mapping of that page may have (P2M_MMIO for device memory and
 * holes, P2M_DIRECT for ACPI tables and NVS), or P2M_NONE when the page
 * is host RAM that is not the domain's or something the hypervisor keeps
 * (arch_hwdom_mmio_kept): then it is a hole to it. */
enum p2m_type hwdom_direct_type(uint64_t gpa);

/* Whether every page of [pa, pa + len) is a firmware area of the host's
 * map (reserved or ACPI data), where Xen lets dom0 see ACPI tables. */
bool hwdom_firmware_area(uint64_t pa, uint64_t len);

/* The arch's part of building the hardware domain d (its emulated
 * interrupt controllers).  Returns 0 or an errno. */
int arch_hwdom_init(struct domain *d);

struct acpi_hwdom;
/* The arch's part: what the hardware domain's ACPI tables are made of
 * (the firmware's tables it may see, its I/O APICs and overrides); h is
 * zeroed, the caller fills in the vcpus. */
void arch_hwdom_acpi(struct acpi_hwdom *h);

/* The arch's part: whether host address pa is kept by the hypervisor
 * (its local APIC and I/O APIC registers, its devices' BARs), with a
 * name for the log. */
bool arch_hwdom_mmio_kept(uint64_t pa, const char **what);

#endif
