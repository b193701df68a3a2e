/* Host vectors for the hardware domain's device interrupts (see
 * include/arch/irq_bind.h): who has each vector, the pending bits the
 * interrupt handler sets, and their delivery under hv_lock.  Every bound
 * vector goes to the boot CPU, fixed and physical. */
#include <arch/irq_bind.h>
#include <arch/lapic.h>
#include <arch/traps.h>
#include <arch/vlapic.h>
#include <hv/domain.h>
#include <hv/errno.h>
#include <hv/timer.h>

struct binding {
  const struct irq_bind_ops *ops; /* NULL: free */
  void *arg;
  unsigned int idx;
};

static struct binding bindings[256];
static volatile uint64_t pending[4]; /* a bit per vector, set by the handler */
static struct domain *owner;
static uint32_t dest_apic;
static unsigned int next = IRQ_BIND_FIRST; /* where the next search starts */

void irq_bind_init(struct domain *d)
{
  owner = d;
  dest_apic = lapic_id();
}

struct domain *irq_bind_owner(void) { return owner; }

uint32_t irq_bind_dest(void) { return dest_apic; }

/* Every bound vector's handler: the binding's urgent part, the EOI, and
 * the rest left to arch_irq_work. */
static void bound_irq(struct cpu_regs *regs)
{
  unsigned int v = regs->vector & 0xff;
  const struct irq_bind_ops *ops = __atomic_load_n(&bindings[v].ops, __ATOMIC_ACQUIRE);
  if (ops && ops->irq)
    ops->irq(bindings[v].arg, bindings[v].idx);
  lapic_eoi();
  if (!ops)
    return; /* unbound since it was sent */
  __atomic_or_fetch(&pending[v / 64], 1ULL << (v % 64), __ATOMIC_SEQ_CST);
  timer_raise();
}

int irq_bind_alloc(const struct irq_bind_ops *ops, void *arg, unsigned int idx)
{
  const unsigned int n = IRQ_BIND_LAST - IRQ_BIND_FIRST + 1;
  for (unsigned int i = 0; i < n; i++) {
    unsigned int v = IRQ_BIND_FIRST + (next - IRQ_BIND_FIRST + i) % n;
    if (bindings[v].ops)
      continue;
    next = v + 1 > IRQ_BIND_LAST ? IRQ_BIND_FIRST : v + 1;
    bindings[v].arg = arg;
    bindings[v].idx = idx;
    __atomic_store_n(&bindings[v].ops, ops, __ATOMIC_RELEASE);
    traps_set_irq_handler(v, bound_irq); /* stays: a late interrupt is acknowledged */
    return (int)v;
  }
  return -ENOSPC;
}

void irq_bind_free(unsigned int vector)
{
  if (vector < IRQ_BIND_FIRST || vector > IRQ_BIND_LAST)
    return;
  __atomic_store_n(&bindings[vector].ops, NULL, __ATOMIC_RELEASE);
  __atomic_and_fetch(&pending[vector / 64], ~(1ULL << (vector % 64)), __ATOMIC_SEQ_CST);
}

void arch_irq_work(void)
{
  for (unsigned int w = 0; w < ARRAY_SIZE(pending); w++) {
    uint64_t bits = __atomic_exchange_n(&pending[w], 0, __ATOMIC_SEQ_CST);
    while (bits) {
      unsigned int v = w * 64 + (unsigned int)__builtin_ctzll(bits);
      bits &= bits - 1;
      const struct binding *b = &bindings[v];
      if (b->ops)
        b->ops->deliver(b->arg, b->idx);
    }
  }
}

void irq_bind_inject(uint8_t vector, uint32_t dest, bool logical, bool level)
{
  if (!owner || owner->state != DOMAIN_RUNNING)
    return;
  struct vcpu *v = owner->vcpus[0];
  if (!logical && dest < owner->nr_vcpus && owner->vcpus[dest])
    v = owner->vcpus[dest];
  if (level)
    vlapic_set_irq_level(v, vector);
  else
    vlapic_set_irq(v, vector);
}
