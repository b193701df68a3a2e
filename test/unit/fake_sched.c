/* The scheduler's fakes (fake_sched.h). */
#include "fake_sched.h"

#include <hv/sched.h>
#include <hv/string.h>

bool fake_on_cpu;
unsigned int fake_stopped_n, fake_changed_n;
unsigned int fake_woken[FAKE_DOMS][DOMAIN_MAX_VCPUS];

void fake_sched_reset(void)
{
  fake_on_cpu = false;
  fake_stopped_n = fake_changed_n = 0;
  memset(fake_woken, 0, sizeof(fake_woken));
}

void sched_vcpu_init(struct vcpu *v) { (void)v; }
void sched_wake(struct vcpu *v)
{
  if (v->dom->id < FAKE_DOMS)
    fake_woken[v->dom->id][v->id]++;
}
void sched_vcpu_changed(struct vcpu *v)
{
  (void)v;
  fake_changed_n++;
}
void sched_domain_stopped(struct domain *d)
{
  (void)d;
  fake_stopped_n++;
}
bool sched_domain_on_cpu(const struct domain *d)
{
  (void)d;
  return fake_on_cpu;
}
