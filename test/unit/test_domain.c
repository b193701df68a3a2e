/* Unit tests of domains (hv/domain.c) over the real event channels, heap
 * and frame allocator, the scheduler and the rest faked: creation (vcpu_info
 * slots, weights, the list in creation order, nothing left behind when
 * memory runs out), lookup's errnos, shutdown and crash (reasons, a
 * latched shutdown code, VIRQ_DOM_EXC to the control domain, a second stop
 * ignored), release deferred while a vcpu is still on a CPU, the last vcpu
 * going down, and destruction giving every frame back. */
#include "unit.h"

#include "fake_arch.h"
#include "fake_domain_env.h"
#include "fake_sched.h"
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/sched.h>
#include <public/event_channel.h>
#include <public/sched.h>
#include <public/xen.h>

/* What is around a domain: fake_domain_env.c and fake_sched.c. */

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(4), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};
static unsigned long free_at_start;

static int setup(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_ram_init(MiB(1), MiB(4));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  free_at_start = frame_nr_free();
  domain_list = NULL;
  fake_domain_env_reset();
  fake_sched_reset();
  shim_log_clear();
  return 0;
}

/* Destroy what a test left, and check nothing stayed allocated. */
static int teardown(void **state)
{
  (void)state;
  while (domain_list)
    domain_destroy(domain_list);
  struct heap_stats st;
  heap_stats(&st);
  assert_int_equal(st.nr_blocks, 0);
  return 0;
}

static void test_create_links_and_slots(void **state)
{
  (void)state;
  struct domain *d0 = domain_create(0, "dom0", true, MiB(64), 2);
  struct domain *d1 = domain_create(1, "domu1", false, MiB(32), DOMAIN_MAX_VCPUS);
  assert_non_null(d0);
  assert_non_null(d1);
  assert_ptr_equal(domain_list, d0);
  assert_ptr_equal(d0->next, d1);
  assert_int_equal(d0->weight, SCHED_DOM0_WEIGHT);
  assert_int_equal(d1->weight, SCHED_DEFAULT_WEIGHT);
  assert_int_equal(d0->state, DOMAIN_RUNNING);
  assert_int_equal(d1->shared_info_gfn, ~0ULL);
  struct shared_info *si = phys_to_virt(d1->shared_info);
  /* Every vcpu's vcpu_info starts in shared_info's legacy slots. */
  assert_ptr_equal(d1->vcpus[0]->vi, &si->vcpu_info[0]);
  assert_ptr_equal(d1->vcpus[DOMAIN_MAX_VCPUS - 1]->vi, &si->vcpu_info[DOMAIN_MAX_VCPUS - 1]);
  for (unsigned int i = 0; i < DOMAIN_MAX_VCPUS; i++) {
    assert_int_equal(d1->vcpus[i]->id, i);
    assert_ptr_equal(d1->vcpus[i]->dom, d1);
  }
  /* A vcpu count out of range is refused, nothing made. */
  assert_null(domain_create(2, "domu2", false, MiB(8), 0));
  assert_null(domain_create(2, "domu2", false, MiB(8), DOMAIN_MAX_VCPUS + 1));
  assert_true(shim_log_contains("domu2: 33 vcpus: a domain has 1 to 32"));
  assert_null(domain_find(2));
  /* The event channel limits: dom0 gets them all. */
  assert_int_equal(d0->evtchn_max_port, EVTCHN_MAX_PORTS - 1);
  assert_int_equal(d1->evtchn_max_port, EVTCHN_DEFAULT_MAX_DOMU);
}

static void test_out_of_memory_leaves_nothing(void **state)
{
  (void)state;
  /* Take every frame: the shared_info page cannot be had. */
  unsigned long n = frame_nr_free();
  paddr_t *taken = calloc(n, sizeof(*taken));
  for (unsigned long i = 0; i < n; i++)
    taken[i] = frame_alloc();
  assert_null(domain_create(3, "domu3", false, MiB(8), 4));
  assert_true(shim_log_contains("domu3: out of memory for the domain's structures"));
  assert_null(domain_list);
  for (unsigned long i = 0; i < n; i++)
    frame_free(taken[i]);
  free(taken);
  assert_int_equal(frame_nr_free(), free_at_start);
}

static void test_lookup_and_find(void **state)
{
  (void)state;
  struct domain *d0 = domain_create(0, "dom0", true, MiB(8), 1);
  struct domain *d1 = domain_create(1, "domu1", false, MiB(8), 1);
  struct domain *out = NULL;
  assert_int_equal(domain_lookup(d1, DOMID_SELF, &out), 0);
  assert_ptr_equal(out, d1);
  assert_int_equal(domain_lookup(d1, 1, &out), 0);
  assert_ptr_equal(out, d1);
  assert_int_equal(domain_lookup(d1, 0, &out), -EPERM);
  assert_int_equal(domain_lookup(d1, 9, &out), -ESRCH); /* -ESRCH before -EPERM, as Xen */
  assert_int_equal(domain_lookup(d0, 1, &out), 0);
  assert_ptr_equal(out, d1);
  assert_ptr_equal(domain_find(1), d1);
  assert_null(domain_find(2));
}

/* dom0 binds VIRQ_DOM_EXC, as a control domain does; its port. */
static unsigned int bind_dom_exc(struct domain *d0)
{
  struct evtchn_bind_virq b = {.virq = VIRQ_DOM_EXC, .vcpu = 0};
  memcpy(fake_guest, &b, sizeof(b));
  assert_int_equal(do_event_channel_op(d0->vcpus[0], EVTCHNOP_bind_virq, 0), 0);
  memcpy(&b, fake_guest, sizeof(b));
  assert_true(b.port > 0);
  return b.port;
}

static void test_shutdown_reasons_and_dom_exc(void **state)
{
  (void)state;
  struct domain *d0 = domain_create(0, "dom0", true, MiB(8), 1);
  struct domain *d1 = domain_create(1, "domu1", false, MiB(8), 1);
  struct domain *d2 = domain_create(2, "domu2", false, MiB(8), 1);
  unsigned int port = bind_dom_exc(d0);
  struct shared_info *si = phys_to_virt(d0->shared_info);
  assert_string_equal(domain_exit_reason(d1), "running");

  domain_shutdown(d1, SHUTDOWN_reboot);
  assert_int_equal(d1->state, DOMAIN_SHUTDOWN);
  assert_string_equal(domain_exit_reason(d1), "reboot");
  assert_true(shim_log_contains("domu1: shutdown requested: reboot"));
  assert_true(shim_log_contains("domu1: shut down ("));
  assert_int_equal(fake_released_n, 1);
  assert_true(si->evtchn_pending[0] >> port & 1); /* dom0 was told */

  /* A second stop changes nothing and tells nobody. */
  si->evtchn_pending[0] = 0;
  domain_crash(d1, "late %d", 1);
  assert_int_equal(d1->state, DOMAIN_SHUTDOWN);
  assert_false(si->evtchn_pending[0] >> port & 1);

  /* A latched SCHEDOP_shutdown_code is the reason of a later crash. */
  d2->has_shutdown_code = true;
  d2->shutdown_code = SHUTDOWN_suspend;
  domain_crash(d2, "fault at %#x", 0x1234);
  assert_true(shim_log_contains("domu2: domain crashed: fault at 0x1234"));
  assert_int_equal(d2->state, DOMAIN_CRASHED);
  assert_int_equal(d2->shutdown_reason, SHUTDOWN_suspend);
  assert_string_equal(domain_exit_reason(d2), "crashed");
  d1->shutdown_reason = 99;
  assert_string_equal(domain_exit_reason(d1), "unknown");
}

static void test_release_waits_for_the_cpu(void **state)
{
  (void)state;
  struct domain *d1 = domain_create(1, "domu1", false, MiB(8), 2);
  fake_on_cpu = true; /* one of its vcpus is still in guest mode elsewhere */
  domain_shutdown(d1, SHUTDOWN_poweroff);
  assert_int_equal(fake_stopped_n, 1);
  assert_true(d1->release_pending);
  assert_int_equal(fake_released_n, 0);
  domain_vcpu_left_cpu(d1); /* still on a CPU */
  assert_int_equal(fake_released_n, 0);
  EXPECT_PANIC_MSG(domain_destroy(d1), "destroyed while one of its vcpus runs");
  fake_on_cpu = false;
  domain_vcpu_left_cpu(d1);
  assert_int_equal(fake_released_n, 1);
  assert_false(d1->release_pending);
  domain_vcpu_left_cpu(d1); /* once only */
  assert_int_equal(fake_released_n, 1);
}

static void test_last_vcpu_down_powers_off(void **state)
{
  (void)state;
  struct domain *d1 = domain_create(1, "domu1", false, MiB(8), 2);
  d1->vcpus[0]->online = d1->vcpus[1]->online = true;
  domain_vcpu_down(d1->vcpus[1]);
  assert_false(d1->vcpus[1]->online);
  assert_int_equal(fake_changed_n, 1);
  assert_int_equal(d1->state, DOMAIN_RUNNING);
  domain_vcpu_down(d1->vcpus[0]); /* the last one */
  assert_true(shim_log_contains("domu1: all vcpus offline"));
  assert_int_equal(d1->state, DOMAIN_SHUTDOWN);
  assert_string_equal(domain_exit_reason(d1), "poweroff");
}

static void test_destroy_gives_everything_back(void **state)
{
  (void)state;
  struct domain *d0 = domain_create(0, "dom0", true, MiB(8), 1);
  struct domain *d1 = domain_create(1, "domu1", false, MiB(8), 3);
  unsigned int port = bind_dom_exc(d0);
  struct shared_info *si = phys_to_virt(d0->shared_info);
  d1->acpi_page = frame_alloc();
  /* Two vcpus share a vcpu_info page the guest replaced: freed once. */
  d1->vcpus[0]->vi_frame = d1->vcpus[2]->vi_frame = frame_alloc();
  domain_destroy(d1);
  assert_true(shim_log_contains("domu1: destroyed ("));
  assert_ptr_equal(domain_list, d0);
  assert_null(d0->next);
  assert_null(domain_find(1));
  assert_true(si->evtchn_pending[0] >> port & 1);
  domain_destroy(d0);
  assert_null(domain_list);
  /* Every frame is back, but those the heap keeps for its small blocks. */
  struct heap_stats st;
  heap_stats(&st);
  assert_int_equal(st.nr_blocks, 0);
  assert_int_equal(frame_nr_free() + st.small_frames, free_at_start);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_links_and_slots, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_memory_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lookup_and_find, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shutdown_reasons_and_dom_exc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_release_waits_for_the_cpu, setup, teardown),
      cmocka_unit_test_setup_teardown(test_last_vcpu_down_powers_off, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_gives_everything_back, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
