/* hv_start: the start-up sequence shared by every boot path. */
#include <arch/arch.h>
#include <hv/boot_info.h>
#include <hv/bootmod.h>
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/domain.h>
#include <hv/dombuild.h>
#include <hv/frame.h>
#include <hv/heap.h>
#include <hv/hwdom.h>
#include <hv/hypercall.h>
#include <hv/mb2.h>
#include <hv/sched.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/timer.h>
#include <hv/version.h>

struct hv_config hv_config;

static void print_boot_info(const struct boot_info *bi)
{
  uint64_t ram = 0;

  pr_info("boot loader: %s", bi->loader[0] ? bi->loader : "(unnamed)");
  pr_info("command line: \"%s\"", bi->cmdline);
  for (unsigned int i = 0; i < bi->nr_mem; i++) {
    const struct boot_mem_region *r = &bi->mem[i];
    pr_info("mem: 0x%016llx-0x%016llx %s", (unsigned long long)r->start,
            (unsigned long long)(r->start + r->len), boot_mem_type_name(r->type));
    if (r->type == BOOT_MEM_RAM)
      ram += r->len;
  }
  pr_info("mem: %llu KiB of RAM in the map", (unsigned long long)(ram >> 10));
}

/* Feed the frame allocator: RAM minus the first MiB, our image, the boot
 * information block, the modules (which hold the domains' kernels) and
 * the RAM a devices=host dom0 will have 1:1 (the modules are moved out of
 * it first). */
static void mm_init(struct boot_info *bi, uint64_t limit)
{
  struct mem_range reserved[BOOT_MAX_MODS + 4];
  unsigned int n = 0;

  if (hwdom_plan(bi, &reserved[n]))
    n++;

  reserved[n++] = (struct mem_range){0, MiB(1)};
  arch_image_range(&reserved[n].start, &reserved[n].end);
  n++;
  reserved[n++] = (struct mem_range){bi->info_start, bi->info_end};
  for (unsigned int i = 0; i < bi->nr_mods; i++)
    reserved[n++] = (struct mem_range){bi->mods[i].start, bi->mods[i].end};

  int err = frame_init(bi->mem, bi->nr_mem, reserved, n, limit);
  if (err)
    panic("mm: no usable memory for the frame allocator (%d)", err);
  pr_info("mm: %lu frames free of %lu (%lu KiB)%s", frame_nr_free(), frame_nr_total(),
          frame_nr_free() * (PAGE_SIZE / 1024), limit ? " (mem= limit)" : "");
}

/* List the modules with their decoded strings (the domain builder checks
 * them). */
static void list_modules(const struct boot_info *bi)
{
  char text[BOOT_STRING_MAX];

  pr_info("modules: %u", bi->nr_mods);
  for (unsigned int i = 0; i < bi->nr_mods; i++) {
    const struct boot_module *m = &bi->mods[i];
    bootmod_decode(m->string, text, sizeof(text));
    pr_info("module %u: 0x%016llx-0x%016llx (%llu bytes) \"%s\"", i, (unsigned long long)m->start,
            (unsigned long long)m->end, (unsigned long long)(m->end - m->start), text);
  }
}

/* Soft-timer check after boot: three timers, one cancelled; the other two
 * must fire in deadline order and not early. */
static unsigned int selftest_fired[3], selftest_count;
static uint64_t selftest_late_ns[3];

static void selftest_fn(struct timer *t, void *data)
{
  unsigned int id = (unsigned int)(uintptr_t)data;
  selftest_late_ns[id] = timer_now() - t->deadline;
  selftest_fired[selftest_count++ % 3] = id;
}

static void timer_selftest(void)
{
  struct timer t[3];
  uint64_t now = timer_now();

  for (unsigned int i = 0; i < 3; i++)
    timer_init(&t[i], selftest_fn, (void *)(uintptr_t)i);
  timer_set(&t[2], now + 3000000); /* armed out of order on purpose */
  timer_set(&t[0], now + 1000000);
  timer_set(&t[1], now + 2000000);
  timer_stop(&t[1]);
  while (selftest_count < 2 && timer_now() < now + 100000000) {
    /* Halt only when no timer interrupt is waiting to be handled: one
     * that came while timer_softirq ran would otherwise be slept through,
     * and nothing else wakes this loop (seen under QEMU on a busy host). */
    unsigned long flags = arch_irq_save();
    if (!timer_due())
      arch_idle(); /* sti; hlt: no interrupt slips in between */
    arch_irq_restore(flags);
    timer_softirq();
  }
  bool ok = selftest_count == 2 && selftest_fired[0] == 0 && selftest_fired[1] == 2 &&
            !t[0].active && !t[2].active;
  timer_stop(&t[0]);
  timer_stop(&t[2]);
  if (ok)
    pr_info("timer: self-test passed (2 fired in order, 1 cancelled, late by %llu/%llu ns)",
            (unsigned long long)selftest_late_ns[0], (unsigned long long)selftest_late_ns[2]);
  else
    pr_err("timer: self-test FAILED (%u fired)", selftest_count);
}

/* One line per domain when it is all over: why it ended, and how often
 * it needed the hypervisor (VM exits).  Where the instructions of an exit
 * go is tools/hvtrace's to show. */
static void print_domain_exit(const struct domain *d)
{
  uint64_t exits = 0;
  for (unsigned int i = 0; i < d->nr_vcpus; i++)
    exits += d->vcpus[i]->exits;
  printk(LOG_ALWAYS, "mica: %s exit: %s (%lu port writes dropped, %llu exits)", d->name,
         domain_exit_reason(d), d->io_dropped, (unsigned long long)exits);
  if (d->con_dropped)
    printk(LOG_ALWAYS, "mica: %s: %lu console bytes dropped by the domU rate limit", d->name,
           d->con_dropped);
}

/* How long the network peers get to receive the last words. */
#define NET_FLUSH_NS 500000000ULL

/* noreboot: nothing is left to run, but the consoles (the network's too)
 * keep being served by their timers. */
static __noreturn void stay_up(void)
{
  hv_lock_take();
  for (;;) {
    timer_softirq();
    hv_lock_drop();
    unsigned long flags = arch_irq_save();
    if (!timer_due())
      arch_idle(); /* sti; hlt: no interrupt slips in between */
    arch_irq_restore(flags);
    hv_lock_take();
  }
}

/* The common entry of every boot path; bi has been validated. */
__noreturn void hv_start(struct boot_info *bi)
{
  cmdline_defaults(&hv_config);
  int problems = cmdline_parse(bi->cmdline, &hv_config);
  bool screen = arch_screen_init(&bi->fb);
  const char *bad;
  size_t bad_len;
  if (arch_console_select(cmdline_console(&hv_config, screen), &bad, &bad_len)) {
    /* Nothing was switched (the boot path's com1 still speaks).  A bad
     * value is ignored as a whole, as any other option's: the default
     * devices take over first, so that the report shows on them too. */
    arch_console_select(cmdline_console_default(screen), NULL, NULL);
    char why[80];
    if (bad_len)
      snprintf(why, sizeof(why), "no device '%.*s'; com1, com2, e9, vga or none",
               (int)MIN(bad_len, 32), bad);
    else
      strlcpy(why, "an empty device name", sizeof(why));
    pr_err("cmdline: bad value for option 'console': '%s' (%s); using %s", hv_config.console, why,
           cmdline_console_default(screen));
    problems++;
  }
  console_loglvl = hv_config.loglvl;
  console_timestamps = hv_config.timestamps;
  console_focus_raw = hv_config.focus_raw;
  console_to_ring = hv_config.to_ring;
  /* The network console gets the log from here on, to send once it is up. */
  net_out_enabled = hv_config.net.on && (hv_config.net.udp_port || hv_config.net.tcp_port);

  printk(LOG_ALWAYS, "mica %s: Xen PV ABI micro-hypervisor (Xen interface %s)", MICA_VERSION,
         MICA_XEN_INTERFACE);
  if (problems)
    pr_warn("cmdline: %d problem(s), see above", problems);
  arch_early_init();
  print_boot_info(bi);
  mm_init(bi, hv_config.mem_limit);
  arch_paging_init(bi);
  arch_platform_init(bi);
  list_modules(bi);
  net_start(&hv_config.net);

  uint64_t cycles = arch_cycles_since_boot();
  printk(LOG_ALWAYS, "mica: ready (boot took %llu TSC ticks)", (unsigned long long)cycles);

  if (hv_config.crash != CRASH_NONE)
    debug_crash((int)hv_config.crash);
  timer_selftest();

  hv_cmdline = bi->cmdline;
  bool domains = dombuild_all(bi);
  /* The multiplexer polls the consoles, the network's among them, even
   * when no domain runs. */
  console_mux_start();
  if (domains) {
    sched_run();
    for (struct domain *d = domain_list; d; d = d->next)
      print_domain_exit(d);
  } else {
    printk(LOG_ALWAYS, "mica: no domain to run");
  }
  if (hv_config.noreboot) {
    printk(LOG_ALWAYS, "mica: noreboot: staying up");
    stay_up();
  }
  console_mux_stop();
  if (hv_config.reboot || domain_machine_reboot) {
    printk(LOG_ALWAYS, "mica: reboot");
    net_flush(NET_FLUSH_NS);
    console_flush();
    arch_reboot();
  }
  printk(LOG_ALWAYS, "mica: power off");
  net_flush(NET_FLUSH_NS);
  console_flush();
  arch_power_off();
}
