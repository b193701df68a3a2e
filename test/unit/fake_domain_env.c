/* The fakes around a domain (fake_domain_env.h). */
#include "fake_domain_env.h"

#include <arch/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/foreign.h>
#include <hv/grant_table.h>
#include <hv/guestmem.h>
#include <hv/string.h>
#include <hv/vtime.h>
#include <hv/wallclock.h>

unsigned int fake_released_n;
unsigned int fake_asserted[FAKE_DOMS][DOMAIN_MAX_VCPUS];
uint8_t fake_guest[4096];

void fake_domain_env_reset(void)
{
  fake_released_n = 0;
  memset(fake_asserted, 0, sizeof(fake_asserted));
  memset(fake_guest, 0, sizeof(fake_guest));
}

int gnttab_init(struct domain *d)
{
  (void)d;
  return 0;
}
void gnttab_release(struct domain *d) { (void)d; }
void foreign_release(struct domain *d) { (void)d; }
void guestmem_release(struct domain *d)
{
  fake_released_n++;
  d->nr_frames = 0;
}
void vtime_vcpu_init(struct vcpu *v) { (void)v; }
void vtime_vcpu_stop(struct vcpu *v) { (void)v; }
void wallclock_write(struct domain *d) { (void)d; }
void vtime_publish(struct vcpu *v) { (void)v; }
void arch_vcpu_create(struct vcpu *v) { (void)v; }
void arch_vcpu_destroy(struct vcpu *v) { (void)v; }
void arch_vcpu_assert_upcall(struct vcpu *v)
{
  if (v->dom->id < FAKE_DOMS)
    fake_asserted[v->dom->id][v->id]++;
}
void console_ring_stop(struct domain *d) { (void)d; }
void console_ring_free(struct domain *d) { (void)d; }
void domain_console_end(struct domain *d) { (void)d; }

int arch_copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
  (void)v;
  if (gva > sizeof(fake_guest) || len > sizeof(fake_guest) - gva)
    return -EFAULT;
  memcpy(dst, fake_guest + gva, len);
  return 0;
}

int arch_copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
  (void)v;
  if (gva > sizeof(fake_guest) || len > sizeof(fake_guest) - gva)
    return -EFAULT;
  memcpy(fake_guest + gva, src, len);
  return 0;
}
