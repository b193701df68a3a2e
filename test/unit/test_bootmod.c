/* Unit tests of module strings (hv/bootmod.c). */
#include "unit.h"

#include <hv/bootmod.h>
#include <hv/errno.h>

static struct bootmod m;

static void test_kernel_with_everything(void **state)
{
  (void)state;
  assert_int_equal(bootmod_parse(0, "dom0 kernel mem=128 vcpus=2 -- console=hvc0 loglevel=8", &m),
                   0);
  assert_int_equal(m.domain, 0);
  assert_int_equal(m.kind, BOOTMOD_KERNEL);
  assert_int_equal(m.mem_mib, 128);
  assert_int_equal(m.vcpus, 2);
  assert_true(m.has_cmdline);
  assert_string_equal(m.cmdline, "console=hvc0 loglevel=8");
  assert_false(m.devices_host);
  assert_int_equal(bootmod_parse(0, "dom0 kernel devices=host", &m), 0);
  assert_true(m.devices_host);
  assert_int_equal(bootmod_parse(0, "dom0 kernel devices=none", &m), 0);
  assert_false(m.devices_host);
}

static void test_minimal_and_initrd(void **state)
{
  (void)state;
  assert_int_equal(bootmod_parse(1, "domu3 kernel", &m), 0);
  assert_int_equal(m.domain, 3);
  assert_int_equal(m.mem_mib, 0);
  assert_int_equal(m.vcpus, 0);
  assert_false(m.has_cmdline);
  assert_int_equal(bootmod_parse(2, "dom0 initrd", &m), 0);
  assert_int_equal(m.kind, BOOTMOD_INITRD);
}

/* The guest command line comes back exactly, GRUB's quoting removed. */
static void test_grub_encoded_cmdline(void **state)
{
  (void)state;
  assert_int_equal(
      bootmod_parse(0, "dom0 kernel -- \"init=/bin/sh -c \\\"echo hi\\\"\" a\\\\b $x;y", &m), 0);
  assert_string_equal(m.cmdline, "init=/bin/sh -c \"echo hi\" a\\b $x;y");
  assert_int_equal(bootmod_parse(0, "dom0 kernel --", &m), 0);
  assert_true(m.has_cmdline);
  assert_string_equal(m.cmdline, "");
}

static void test_bad_strings(void **state)
{
  (void)state;
  static const struct {
    const char *s, *msg;
  } bad[] = {
      {"", "does not start with dom0"},
      {"dom1 kernel", "does not start with dom0"},
      {"domu0 kernel", "does not start with dom0"},
      {"domu65 kernel", "does not start with dom0"},
      {"domu1x kernel", "does not start with dom0"},
      {"dom0", "none of kernel, initrd, image, ramdisk"},
      {"dom0 disk", "none of kernel, initrd, image, ramdisk"},
      {"dom0 ramdisk", "needs name=NAME"},
      {"dom0 image", "needs name=NAME"},
      {"domu1 image name=linux", "for dom0's domain builder"},
      {"dom0 image name=Linux", "bad value \"Linux\" for name"},
      {"dom0 image name=", "bad value \"\" for name"},
      {"dom0 image name=a/b", "bad value \"a/b\" for name"},
      {"dom0 image name=0123456789012345678901234567890123", "bad value"},
      {"dom0 image name=x mem=4", "unknown key \"mem\" for an image"},
      {"dom0 ramdisk name=x -- y", "only for a kernel"},
      {"dom0 kernel mem=0", "bad value \"0\" for mem"},
      {"dom0 kernel mem=12x", "bad value \"12x\" for mem"},
      {"dom0 kernel mem=99999999999999999999", "bad value"},
      {"dom0 kernel vcpus=33", "bad value \"33\" for vcpus"},
      {"dom0 kernel vcpus=", "bad value \"\" for vcpus"},
      {"dom0 kernel colour=blue", "unknown key \"colour\" for a kernel"},
      {"dom0 initrd mem=5", "unknown key \"mem\" for an initrd"},
      {"dom0 initrd -- x", "only for a kernel"},
      {"dom0 kernel devices=all", "bad value \"all\" for devices"},
      {"dom0 kernel devices=", "bad value \"\" for devices"},
      {"domu1 kernel devices=host", "unknown key \"devices\" for a kernel"},
      {"dom0 initrd devices=host", "unknown key \"devices\" for an initrd"},
  };
  for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
    shim_log_clear();
    assert_int_equal(bootmod_parse(7, bad[i].s, &m), -EINVAL);
    if (!shim_log_contains(bad[i].msg) || !shim_log_contains("module 7:"))
      fail_msg("\"%s\": log \"%s\" lacks \"%s\"", bad[i].s, shim_log(), bad[i].msg);
  }
}

static void test_builder_images(void **state)
{
  (void)state;
  assert_int_equal(bootmod_parse(0, "dom0 image name=linux-6.1_a.b", &m), 0);
  assert_int_equal(m.kind, BOOTMOD_IMAGE);
  assert_string_equal(m.name, "linux-6.1_a.b");
  assert_int_equal(bootmod_parse(0, "dom0 ramdisk name=linux", &m), 0);
  assert_int_equal(m.kind, BOOTMOD_RAMDISK);
  assert_string_equal(m.name, "linux");
}

static void test_decode_for_display(void **state)
{
  (void)state;
  char out[64];
  bootmod_decode("dom0  kernel \"a b\" -- c\\\"d", out, sizeof(out));
  assert_string_equal(out, "dom0 kernel a b -- c\"d");
  char small[8];
  bootmod_decode("dom0 kernel mem=1", small, sizeof(small));
  assert_string_equal(small, "dom0 ke");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kernel_with_everything), cmocka_unit_test(test_minimal_and_initrd),
      cmocka_unit_test(test_grub_encoded_cmdline),   cmocka_unit_test(test_bad_strings),
      cmocka_unit_test(test_decode_for_display),     cmocka_unit_test(test_builder_images),
  };
  return cmocka_run_group_tests_name("bootmod", tests, NULL, NULL);
}
