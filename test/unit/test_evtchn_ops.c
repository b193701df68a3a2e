/* Unit tests of the event channel ports (evtchn/evtchn.c) over the real
 * 2-level bits (evtchn_2l.c), heap and frame allocator: two domains, dom0
 * (privileged, 2 vcpus) and domu1, with shared_info pages in fake RAM.
 * Every EVTCHNOP through do_event_channel_op with its arguments in a fake
 * guest buffer, Xen's errnos for each misuse, who is woken and when an
 * upcall is due, and a domain's destruction giving every bucket back
 * (AddressSanitizer reports a leak). */
#include "unit.h"

#include "fake_arch.h"
#include "fake_domain_env.h"
#include "fake_sched.h"
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/evtchn.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/upcall.h>
#include <public/event_channel.h>
#include <public/xen.h>

/* dom0 (privileged, 2 vcpus) and domu1 (1 vcpu), made by the real
 * domain_create; what is around them: fake_domain_env.c. */
static struct domain *dom[2];

static const struct boot_mem_region ram_map[] = {{MiB(1), MiB(8), BOOT_MEM_RAM}};
static const struct mem_range res[] = {{0, MiB(2)}};

static struct shared_info *shinfo(unsigned int d) { return phys_to_virt(dom[d]->shared_info); }

static int setup(void **state)
{
  (void)state;
  fake_arch_reset();
  fake_domain_env_reset();
  fake_sched_reset();
  fake_ram_init(MiB(1), MiB(8));
  if (frame_init(ram_map, ARRAY_SIZE(ram_map), res, ARRAY_SIZE(res), 0))
    return -1;
  heap_init();
  domain_list = NULL;
  dom[0] = domain_create(0, "dom0", true, MiB(8), 2);
  dom[1] = domain_create(1, "domu1", false, MiB(8), 1);
  if (!dom[0] || !dom[1])
    return -1;
  for (unsigned int d = 0; d < 2; d++) {
    dom[d]->callback_vector = 0xf3;
    for (unsigned int i = 0; i < dom[d]->nr_vcpus; i++) {
      dom[d]->vcpus[i]->poll_port = -1;
      /* Waiting in HLT, so that telling them is a wake-up (a vcpu that
       * runs on this CPU needs none: test_running_vcpu_here_is_not_woken). */
      dom[d]->vcpus[i]->blocked = true;
    }
  }
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  while (domain_list)
    domain_destroy(domain_list);
  return 0;
}

/* One EVTCHNOP by domain d's vcpu i, its argument copied in and out. */
static long op(unsigned int d, unsigned int i, int cmd, void *arg, size_t size)
{
  memcpy(fake_guest, arg, size);
  long rc = do_event_channel_op(dom[d]->vcpus[i], cmd, 0);
  memcpy(arg, fake_guest, size);
  return rc;
}

static bool pending(unsigned int d, unsigned int port)
{
  return shinfo(d)->evtchn_pending[port / 64] >> (port % 64) & 1;
}

/* domu1 offers a port to dom0, dom0 binds it: (dom0's port, domu1's). */
static void connect(evtchn_port_t *p0, evtchn_port_t *p1)
{
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
  assert_int_equal(op(1, 0, EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
  struct evtchn_bind_interdomain b = {.remote_dom = 1, .remote_port = a.port};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
  *p0 = b.local_port;
  *p1 = a.port;
}

static void test_port_zero_reserved_first_port_one(void **state)
{
  (void)state;
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
  assert_int_equal(op(1, 0, EVTCHNOP_alloc_unbound, &a, sizeof(a)), 0);
  assert_int_equal(a.port, 1);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = 1};
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), 0);
  assert_int_equal(st.status, EVTCHNSTAT_unbound);
  assert_int_equal(st.u.unbound.dom, 0);
  st.port = 0; /* reserved: closed, not an error (Xen) */
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), 0);
  assert_int_equal(st.status, EVTCHNSTAT_closed);
  st.port = EVTCHN_BUCKET; /* beyond the valid ports */
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), -EINVAL);
  struct evtchn_close c = {.port = 0};
  assert_int_equal(op(1, 0, EVTCHNOP_close, &c, sizeof(c)), -EINVAL);
}

static void test_interdomain_send_wakes_and_sets_bits(void **state)
{
  (void)state;
  evtchn_port_t p0, p1;
  connect(&p0, &p1);
  /* A new interdomain port starts pending (sends while unbound were lost). */
  assert_true(pending(0, p0));
  shinfo(0)->evtchn_pending[0] = 0;
  dom[0]->vcpus[0]->vi->evtchn_pending_sel = 0;
  dom[0]->vcpus[0]->vi->evtchn_upcall_pending = 0;
  fake_woken[0][0] = 0;

  struct evtchn_send s = {.port = p1};
  assert_int_equal(op(1, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_true(pending(0, p0));
  assert_true(dom[0]->vcpus[0]->vi->evtchn_pending_sel & 1);
  assert_int_equal(dom[0]->vcpus[0]->vi->evtchn_upcall_pending, 1);
  assert_int_equal(fake_woken[0][0], 1);
  assert_true(evtchn_upcall_due(dom[0]->vcpus[0])); /* callback vector, unmasked */
  dom[0]->vcpus[0]->vi->evtchn_upcall_mask = 1;
  assert_false(evtchn_upcall_due(dom[0]->vcpus[0]));

  struct evtchn_status st = {.dom = 1, .port = p1};
  assert_int_equal(op(0, 0, EVTCHNOP_status, &st, sizeof(st)), 0); /* dom0 may ask */
  assert_int_equal(st.status, EVTCHNSTAT_interdomain);
  assert_int_equal(st.u.interdomain.dom, 0);
  assert_int_equal(st.u.interdomain.port, p0);
  st.dom = 0; /* a domU may not ask about dom0 */
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), -EPERM);
}

static void test_running_vcpu_here_is_not_woken(void **state)
{
  (void)state;
  evtchn_port_t p0, p1;
  connect(&p0, &p1);
  struct vcpu *v = dom[0]->vcpus[0];
  shinfo(0)->evtchn_pending[0] = 0;
  v->vi->evtchn_pending_sel = 0;
  v->vi->evtchn_upcall_pending = 0;
  v->blocked = false; /* it runs (or waits its turn) on this CPU, 0 */
  v->processor = 0;
  fake_woken[0][0] = 0;
  struct evtchn_send s = {.port = p1};
  assert_int_equal(op(1, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(v->vi->evtchn_upcall_pending, 1); /* told, through its vcpu_info */
  assert_int_equal(fake_woken[0][0], 0);             /* and this CPU looks before entering it */
  /* On another CPU (every CPU is up in the fake) it must be kicked:
   * sched_wake does that. */
  v->processor = 1;
  v->vi->evtchn_pending_sel = 0;
  v->vi->evtchn_upcall_pending = 0;
  shinfo(0)->evtchn_pending[0] = 0;
  assert_int_equal(op(1, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_woken[0][0], 1);
}

static void test_masked_port_waits_for_unmask(void **state)
{
  (void)state;
  evtchn_port_t p0, p1;
  connect(&p0, &p1);
  shinfo(0)->evtchn_pending[0] = 0;
  dom[0]->vcpus[0]->vi->evtchn_upcall_pending = 0;
  dom[0]->vcpus[0]->vi->evtchn_pending_sel = 0;
  shinfo(0)->evtchn_mask[0] |= 1ULL << p0;
  fake_woken[0][0] = 0;
  struct evtchn_send s = {.port = p1};
  assert_int_equal(op(1, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_true(pending(0, p0));
  assert_int_equal(dom[0]->vcpus[0]->vi->evtchn_upcall_pending, 0); /* masked: no upcall */
  assert_int_equal(fake_woken[0][0], 0);
  /* EVTCHNOP_unmask clears the mask bit itself (Xen's evtchn_unmask):
   * the pending event then comes. */
  struct evtchn_unmask u = {.port = p0};
  assert_int_equal(op(0, 0, EVTCHNOP_unmask, &u, sizeof(u)), 0);
  assert_int_equal(dom[0]->vcpus[0]->vi->evtchn_upcall_pending, 1);
  assert_int_equal(fake_woken[0][0], 1);
  assert_false(shinfo(0)->evtchn_mask[0] >> p0 & 1);
  /* Unmasking what is not masked tells nobody again. */
  assert_int_equal(op(0, 0, EVTCHNOP_unmask, &u, sizeof(u)), 0);
  assert_int_equal(fake_woken[0][0], 1);
}

static void test_close_sends_the_peer_back_to_unbound(void **state)
{
  (void)state;
  evtchn_port_t p0, p1;
  connect(&p0, &p1);
  struct evtchn_close c = {.port = p0};
  assert_int_equal(op(0, 0, EVTCHNOP_close, &c, sizeof(c)), 0);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = p1};
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), 0);
  assert_int_equal(st.status, EVTCHNSTAT_unbound);
  assert_int_equal(st.u.unbound.dom, 0);
  struct evtchn_send s = {.port = p0}; /* closed */
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), -EINVAL);
  s.port = p1; /* unbound: dropped quietly, as in Xen */
  assert_int_equal(op(1, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(op(0, 0, EVTCHNOP_close, &c, sizeof(c)), -EINVAL); /* twice */
  /* Binding to a port that is not offered to us. */
  struct evtchn_bind_interdomain b = {.remote_dom = 1, .remote_port = 40};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_interdomain, &b, sizeof(b)), -EINVAL);
  b.remote_dom = 7;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_interdomain, &b, sizeof(b)), -ESRCH);
}

static void test_virq_and_ipi_bindings(void **state)
{
  (void)state;
  struct evtchn_bind_virq v = {.virq = VIRQ_TIMER, .vcpu = 1};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), 0);
  evtchn_port_t timer1 = v.port;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), -EEXIST);
  v.vcpu = 2;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), -ENOENT);
  v.virq = NR_VIRQS;
  v.vcpu = 0;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), -EINVAL);
  v.virq = VIRQ_CONSOLE; /* global: vcpu 0 only */
  v.vcpu = 1;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), -EINVAL);
  v.vcpu = 0;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_virq, &v, sizeof(v)), 0);
  evtchn_port_t console = v.port;

  /* A per-vcpu VIRQ reaches its vcpu, a global one vcpu 0 (or where it is
   * bound to). */
  evtchn_send_vcpu_virq(dom[0]->vcpus[1], VIRQ_TIMER);
  assert_true(pending(0, timer1));
  assert_int_equal(fake_woken[0][1], 1);
  struct evtchn_bind_vcpu bv = {.port = timer1, .vcpu = 0};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -EINVAL);
  bv.port = console;
  bv.vcpu = 1;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
  /* vcpu 1 has an upcall pending already (the timer): a second port of
   * the same word sets its bit but tells nobody again (2-level rule). */
  evtchn_send_global_virq(dom[0], VIRQ_CONSOLE);
  assert_true(pending(0, console));
  assert_int_equal(fake_woken[0][1], 1);
  dom[0]->vcpus[1]->vi->evtchn_pending_sel = 0;
  dom[0]->vcpus[1]->vi->evtchn_upcall_pending = 0;
  shinfo(0)->evtchn_pending[0] = 0;
  evtchn_send_global_virq(dom[0], VIRQ_CONSOLE);
  assert_int_equal(fake_woken[0][1], 2);
  assert_int_equal(fake_woken[0][0], 0);

  /* An IPI port: a send reaches the vcpu it names. */
  struct evtchn_bind_ipi ipi = {.vcpu = 1};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), 0);
  dom[0]->vcpus[1]->vi->evtchn_pending_sel = 0; /* the guest took its upcall */
  dom[0]->vcpus[1]->vi->evtchn_upcall_pending = 0;
  struct evtchn_send s = {.port = ipi.port};
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_woken[0][1], 3);
  ipi.vcpu = 2;
  assert_int_equal(op(0, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), -ENOENT);

  /* A per-vcpu upcall vector: the upcall is asserted in its APIC, which
   * wakes the vcpu itself (vlapic_set_irq): the send does not wake it a
   * second time. */
  dom[0]->vcpus[1]->upcall_vector = 0xe0;
  shinfo(0)->evtchn_pending[0] = 0;
  dom[0]->vcpus[1]->vi->evtchn_pending_sel = 0;
  dom[0]->vcpus[1]->vi->evtchn_upcall_pending = 0;
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_asserted[0][1], 1);
  assert_int_equal(fake_asserted[0][0], 0);
  assert_int_equal(fake_woken[0][1], 3);
}

static void test_poll_wakes_the_poller(void **state)
{
  (void)state;
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), 0);
  dom[0]->vcpus[1]->polling = true; /* as sched_poll leaves it */
  dom[0]->nr_polling = 1;
  dom[0]->vcpus[1]->poll_port = (int)ipi.port + 1; /* another port: not woken */
  struct evtchn_send s = {.port = ipi.port};
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_woken[0][1], 0);
  dom[0]->vcpus[1]->poll_port = (int)ipi.port;
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_woken[0][1], 1);
  dom[0]->vcpus[1]->poll_port = -1; /* any port */
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(fake_woken[0][1], 2);
  assert_int_equal(evtchn_port_poll(dom[0], ipi.port), 1);
  assert_int_equal(evtchn_port_poll(dom[0], 5000), -EINVAL);
}

static void test_ports_run_out_at_the_domains_limit(void **state)
{
  (void)state;
  unsigned int n = 0;
  for (;;) {
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    long rc = op(1, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi));
    if (rc) {
      assert_int_equal(rc, -ENOSPC);
      break;
    }
    n++;
  }
  assert_int_equal(n, EVTCHN_DEFAULT_MAX_DOMU); /* ports 1..1023 */
  dom[1]->state = DOMAIN_DYING;
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  assert_int_equal(op(1, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), -EINVAL);
  dom[1]->state = DOMAIN_RUNNING;
}

/* A domain latched 32-bit (domain_latch_shinfo_size) has 1,024 ports
 * even where its limit is higher (dom0's 4,095; Xen's max_evtchns), and
 * its events land in the 32-bit layout; latched 64-bit again, it has its
 * 4,096. */
static void test_32bit_domain_has_1024_ports(void **state)
{
  (void)state;
  struct compat_shared_info *c = (struct compat_shared_info *)shinfo(0);
  domain_latch_shinfo_size(dom[0], true);
  assert_true(dom[0]->has_32bit_shinfo);
  assert_ptr_equal(dom[0]->evtchn_ops, &evtchn_port_ops_2l_32);
  unsigned int n = 0;
  for (;;) {
    struct evtchn_bind_ipi ipi = {.vcpu = 0};
    long rc = op(0, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi));
    if (rc) {
      assert_int_equal(rc, -ENOSPC);
      break;
    }
    assert_int_equal(ipi.port, ++n);
  }
  assert_int_equal(n, 1023); /* ports 1..1023 */
  struct evtchn_send s = {.port = 1000};
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), 0);
  assert_int_equal(c->evtchn_pending[31], 1U << 8);
  assert_int_equal(c->vcpu_info[0].evtchn_pending_sel, 1U << 31);
  assert_int_equal(c->vcpu_info[0].arch.cr2, 0); /* where the 64-bit selector would be */
  assert_int_equal(c->vcpu_info[0].evtchn_upcall_pending, 1);
  assert_int_equal(fake_woken[0][0], 1);
  s.port = 1024;
  assert_int_equal(op(0, 0, EVTCHNOP_send, &s, sizeof(s)), -EINVAL);
  struct evtchn_unmask u = {.port = 1024};
  assert_int_equal(op(0, 0, EVTCHNOP_unmask, &u, sizeof(u)), -EINVAL);

  domain_latch_shinfo_size(dom[0], false);
  assert_ptr_equal(dom[0]->evtchn_ops, &evtchn_port_ops_2l);
  struct evtchn_bind_ipi ipi = {.vcpu = 0};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)), 0);
  assert_int_equal(ipi.port, 1024);
}

static void test_sub_ops_xen_refuses(void **state)
{
  (void)state;
  uint8_t any[64] = {0};
  assert_int_equal(op(0, 0, EVTCHNOP_bind_pirq, any, sizeof(any)), -EPERM);
  assert_int_equal(op(0, 0, EVTCHNOP_init_control, any, sizeof(any)), -ENOSYS);
  assert_int_equal(op(0, 0, EVTCHNOP_expand_array, any, sizeof(any)), -ENOSYS);
  assert_int_equal(op(0, 0, 99, any, sizeof(any)), -ENOSYS);
  assert_int_equal(op(0, 0, -1, any, sizeof(any)), -ENOSYS);
  struct evtchn_set_priority p = {.port = 1, .priority = 3}; /* port 1 is valid */
  assert_int_equal(op(0, 0, EVTCHNOP_set_priority, &p, sizeof(p)), -ENOSYS);
  p.port = 5000;
  assert_int_equal(op(0, 0, EVTCHNOP_set_priority, &p, sizeof(p)), -EINVAL);
  /* An argument the guest does not have. */
  assert_int_equal(do_event_channel_op(dom[0]->vcpus[0], EVTCHNOP_send, sizeof(fake_guest) - 2),
                   -EFAULT);
}

static void test_reset_closes_everything(void **state)
{
  (void)state;
  evtchn_port_t p0, p1;
  connect(&p0, &p1);
  struct evtchn_reset r = {.dom = 0};
  assert_int_equal(op(1, 0, EVTCHNOP_reset, &r, sizeof(r)), -EPERM); /* a domU: only itself */
  r.dom = 1;
  assert_int_equal(op(0, 0, EVTCHNOP_reset, &r, sizeof(r)), -EINVAL); /* not paused */
  dom[1]->pause_count = 1;
  assert_int_equal(op(0, 0, EVTCHNOP_reset, &r, sizeof(r)), 0);
  struct evtchn_status st = {.dom = DOMID_SELF, .port = p1};
  assert_int_equal(op(1, 0, EVTCHNOP_status, &st, sizeof(st)), 0);
  assert_int_equal(st.status, EVTCHNSTAT_closed);
  st.port = p0; /* dom0's end went back to unbound, waiting for domu1 */
  assert_int_equal(op(0, 0, EVTCHNOP_status, &st, sizeof(st)), 0);
  assert_int_equal(st.status, EVTCHNSTAT_unbound);
  assert_int_equal(st.u.unbound.dom, 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_port_zero_reserved_first_port_one, setup, teardown),
      cmocka_unit_test_setup_teardown(test_interdomain_send_wakes_and_sets_bits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_running_vcpu_here_is_not_woken, setup, teardown),
      cmocka_unit_test_setup_teardown(test_masked_port_waits_for_unmask, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_sends_the_peer_back_to_unbound, setup, teardown),
      cmocka_unit_test_setup_teardown(test_virq_and_ipi_bindings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_poll_wakes_the_poller, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ports_run_out_at_the_domains_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_32bit_domain_has_1024_ports, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sub_ops_xen_refuses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset_closes_everything, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
