/* Unit tests of the hardware domain's memory (hv/hwdom.c): the plan that
 * moves boot modules out of dom0's 1:1 RAM, the RAM and memory map it gets
 * (over the real frame allocator and heap; the p2m is faked here), and
 * which host addresses it may reach 1:1. */
#include "unit.h"

#include <hv/bootmod.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/hwdom.h>
#include <public/memory.h>

/* A machine of 64 MiB: low RAM, the BIOS areas, RAM from 1 MiB to
 * 60 MiB, 4 MiB of ACPI data, and a reserved ROM far above. */
static struct boot_info bi;
static const struct boot_mem_region MAP[] = {
    {0, 0x9f000, BOOT_MEM_RAM},
    {0x9f000, 0x1000, BOOT_MEM_RESERVED},
    {0xe8000, 0x18000, BOOT_MEM_RESERVED},
    {MiB(1), MiB(59), BOOT_MEM_RAM},
    {MiB(60), MiB(4), BOOT_MEM_ACPI},
    {0xfffc0000, 0x40000, BOOT_MEM_RESERVED},
};

/* ---- the arch side and the p2m, faked ---- */
void arch_image_range(paddr_t *start, paddr_t *end)
{
  *start = MiB(2);
  *end = MiB(2) + 0x50000;
}

bool arch_hwdom_mmio_kept(uint64_t pa, const char **what)
{
  *what = "the local APIC";
  return pa >= 0xfee00000ULL && pa < 0xfef00000ULL;
}

struct leaf {
  uint64_t gpa;
  paddr_t hpa;
  uint64_t size;
  enum p2m_type type;
};
static struct leaf leaves[1024];
static unsigned int nr_leaves;

int arch_p2m_map(struct domain *d, uint64_t gpa, paddr_t hpa, uint64_t size)
{
  (void)d;
  assert_true(nr_leaves < ARRAY_SIZE(leaves));
  leaves[nr_leaves++] = (struct leaf){gpa, hpa, size, P2M_RAM};
  return 0;
}

int arch_p2m_set_type(struct domain *d, uint64_t gpa, paddr_t hpa, enum p2m_type type, paddr_t *old,
                      enum p2m_type *old_type)
{
  (void)d;
  *old = 0;
  if (old_type)
    *old_type = P2M_NONE;
  assert_true(nr_leaves < ARRAY_SIZE(leaves));
  leaves[nr_leaves++] = (struct leaf){gpa, hpa, PAGE_SIZE, type};
  return 0;
}

/* ---- an ELF kernel that loads at 16 MiB ---- */
static size_t make_kernel(uint8_t *p)
{
  memset(p, 0, 0x2000);
  memcpy(p,
         "\x7f"
         "ELF",
         4);
  p[4] = 2; /* ELF64 */
  p[5] = 1; /* little-endian */
  p[6] = 1;
  p[16] = 2;  /* ET_EXEC */
  p[18] = 62; /* EM_X86_64 */
  p[20] = 1;
  uint64_t phoff = 64, entry = MiB(16);
  memcpy(p + 24, &entry, 8);
  memcpy(p + 32, &phoff, 8);
  p[52] = 64; /* e_ehsize */
  p[54] = 56; /* e_phentsize */
  p[56] = 1;  /* e_phnum */
  uint8_t *ph = p + 64;
  uint32_t type = 1, flags = 7;
  uint64_t off = 0x1000, paddr = MiB(16), filesz = 0x1000, memsz = 0x3000;
  memcpy(ph, &type, 4);
  memcpy(ph + 4, &flags, 4);
  memcpy(ph + 8, &off, 8);
  memcpy(ph + 16, &paddr, 8); /* vaddr */
  memcpy(ph + 24, &paddr, 8);
  memcpy(ph + 32, &filesz, 8);
  memcpy(ph + 40, &memsz, 8);
  return 0x2000;
}

/* Modules: the kernel at 3 MiB (with devices=host), an initrd at 20 MiB,
 * inside dom0's RAM to be, holding a pattern. */
static void setup_machine(const char *kernel_string)
{
  memset(&bi, 0, sizeof(bi));
  memcpy(bi.mem, MAP, sizeof(MAP));
  bi.nr_mem = ARRAY_SIZE(MAP);
  bi.info_start = MiB(1);
  bi.info_end = MiB(1) + PAGE_SIZE;
  size_t ksize = make_kernel(phys_to_virt(MiB(3)));
  bi.mods[0] = (struct boot_module){MiB(3), MiB(3) + ksize, ""};
  snprintf(bi.mods[0].string, sizeof(bi.mods[0].string), "%s", kernel_string);
  uint8_t *initrd = phys_to_virt(MiB(20));
  for (unsigned int i = 0; i < 5000; i++)
    initrd[i] = (uint8_t)(i * 7);
  bi.mods[1] = (struct boot_module){MiB(20), MiB(20) + 5000, "dom0 initrd"};
  bi.nr_mods = 2;
  nr_leaves = 0;
}

static int setup(void **state)
{
  (void)state;
  fake_ram_init(0, MiB(64));
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  fake_ram_free();
  return 0;
}

/* Without devices=host there is no plan, and the populate says so. */
static void test_no_plan_without_devices_host(void **state)
{
  (void)state;
  struct mem_range keep;
  setup_machine("dom0 kernel mem=16");
  assert_false(hwdom_plan(&bi, &keep));
  assert_int_equal(bi.mods[1].start, MiB(20)); /* nothing moved */
}

/* The whole path: the plan, the allocator, dom0's RAM and map. */
static void test_plan_populate_and_map(void **state)
{
  (void)state;
  struct mem_range keep;
  setup_machine("dom0 kernel devices=host mem=16 -- console=hvc0");
  assert_true(hwdom_plan(&bi, &keep));
  assert_int_equal(keep.start, MiB(16));
  assert_int_equal(keep.end, MiB(32));
  /* The kernel module (below) stays; the initrd left the range, whole. */
  assert_int_equal(bi.mods[0].start, MiB(3));
  assert_true(bi.mods[1].start >= MiB(32) || bi.mods[1].end <= MiB(16));
  assert_int_equal(bi.mods[1].end - bi.mods[1].start, 5000);
  const uint8_t *moved = phys_to_virt(bi.mods[1].start);
  for (unsigned int i = 0; i < 5000; i++)
    assert_int_equal(moved[i], (uint8_t)(i * 7));
  assert_true(shim_log_contains("module 1 moved to"));

  /* The allocator leaves the range alone. */
  struct mem_range res[] = {{0, MiB(1)},
                            {MiB(2), MiB(2) + 0x50000},
                            keep,
                            {bi.mods[0].start, bi.mods[0].end},
                            {bi.mods[1].start, bi.mods[1].end}};
  assert_int_equal(frame_init(bi.mem, bi.nr_mem, res, ARRAY_SIZE(res), 0), 0);
  unsigned long total = frame_nr_total(), free_before = frame_nr_free();
  for (paddr_t pa; (pa = frame_alloc());)
    assert_true(pa < MiB(16) || pa >= MiB(32));
  /* Give them back: what follows needs the heap. */
  frame_init(bi.mem, bi.nr_mem, res, ARRAY_SIZE(res), 0);
  assert_int_equal(frame_nr_free(), free_before);

  static struct domain d;
  memset(&d, 0, sizeof(d));
  uint64_t acpi;
  assert_int_equal(hwdom_populate(&d, &acpi), 0);
  assert_int_equal(acpi, MiB(32) - PAGE_SIZE);
  assert_int_equal(d.nr_frames, MiB(16) / PAGE_SIZE);
  assert_int_equal(frame_nr_total(), total + MiB(16) / PAGE_SIZE); /* adopted */
  /* 1:1 everywhere; the range in 2 MiB leaves of RAM; low RAM direct,
   * the BIOS areas below 1 MiB as MMIO. */
  unsigned int big = 0, low = 0, bios = 0;
  for (unsigned int i = 0; i < nr_leaves; i++) {
    const struct leaf *l = &leaves[i];
    assert_int_equal(l->gpa, l->hpa);
    if (l->type == P2M_RAM) {
      assert_int_equal(l->size, MiB(2));
      assert_true(l->gpa >= MiB(16) && l->gpa < MiB(32));
      big++;
    } else if (l->type == P2M_DIRECT) {
      assert_true(l->gpa < 0x9f000);
      low++;
    } else {
      assert_int_equal(l->type, P2M_MMIO);
      assert_true(l->gpa >= 0x9f000 && l->gpa < MiB(1));
      bios++;
    }
  }
  assert_int_equal(big, 8);
  assert_int_equal(low, 0x9f);
  assert_int_equal(bios, 1 + 0x18);

  /* The firmware's map: the RAM that is not dom0's unusable, the ACPI
   * page carved from the end of its RAM. */
  static const struct e820entry want[] = {
      {0, 0x9f000, E820_RAM},
      {0x9f000, 0x1000, E820_RESERVED},
      {0xe8000, 0x18000, E820_RESERVED},
      {MiB(1), MiB(15), E820_UNUSABLE},
      {MiB(16), MiB(16) - PAGE_SIZE, E820_RAM},
      {MiB(32) - PAGE_SIZE, PAGE_SIZE, E820_ACPI},
      {MiB(32), MiB(28), E820_UNUSABLE},
      {MiB(60), MiB(4), E820_ACPI},
      {0xfffc0000, 0x40000, E820_RESERVED},
  };
  assert_int_equal(d.nr_memmap, ARRAY_SIZE(want));
  for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
    assert_int_equal(d.memmap[i].addr, want[i].addr);
    assert_int_equal(d.memmap[i].size, want[i].size);
    assert_int_equal(d.memmap[i].type, want[i].type);
  }
  assert_int_equal(d.ram_below_4g, MiB(32));

  /* What the builder may load where, and what dom0 may reach 1:1. */
  assert_true(hwdom_is_ram(MiB(16), MiB(1)));
  assert_true(hwdom_is_ram(0x1000, 0x1000));
  assert_false(hwdom_is_ram(0, 0x1000));                     /* page 0: not for the builder */
  assert_false(hwdom_is_ram(MiB(31), MiB(2)));               /* runs past its RAM */
  assert_false(hwdom_is_ram(MiB(40), PAGE_SIZE));            /* host RAM, not dom0's */
  assert_false(hwdom_is_ram(~0ULL - 10, 100));               /* wraps */
  assert_int_equal(hwdom_direct_type(0xfebf0000), P2M_MMIO); /* not in the map */
  assert_int_equal(hwdom_direct_type(0xfffc1000), P2M_MMIO); /* reserved */
  assert_int_equal(hwdom_direct_type(MiB(61)), P2M_DIRECT);  /* ACPI data */
  assert_int_equal(hwdom_direct_type(MiB(40)), P2M_NONE);    /* someone's RAM */
  assert_int_equal(hwdom_direct_type(MiB(20)), P2M_NONE);    /* dom0's own: mapped already */
  assert_int_equal(hwdom_direct_type(0xfee00000), P2M_NONE); /* kept by the arch */
  assert_int_equal(hwdom_direct_type(1ULL << 50), P2M_NONE); /* beyond any address */
  assert_true(hwdom_firmware_area(MiB(60), 100));
  assert_false(hwdom_firmware_area(MiB(59), MiB(2)));
  heap_free(d.memmap);
}

/* A range over the hypervisor's image is refused with a message. */
static void test_plan_refused_over_the_image(void **state)
{
  (void)state;
  struct mem_range keep;
  setup_machine("dom0 kernel devices=host mem=16");
  /* Load the kernel at 2 MiB: its RAM would cover the image. */
  uint8_t *k = phys_to_virt(MiB(3));
  uint64_t paddr = MiB(2);
  memcpy(k + 64 + 24, &paddr, 8);
  shim_log_clear();
  assert_false(hwdom_plan(&bi, &keep));
  assert_true(shim_log_contains("would cover the hypervisor's image"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_no_plan_without_devices_host, setup, teardown),
      cmocka_unit_test_setup_teardown(test_plan_populate_and_map, setup, teardown),
      cmocka_unit_test_setup_teardown(test_plan_refused_over_the_image, setup, teardown),
  };
  return cmocka_run_group_tests_name("hwdom", tests, NULL, NULL);
}
