/* Guest RAM: frames from the allocator, mapped by the arch's second-level
 * tables (EPT).  Everything a domain owns is reachable only through them,
 * and every copy goes through arch_p2m_lookup, page by page. */
#include <arch/arch.h>
#include <arch/mm.h>
#include <hv/errno.h>
#include <hv/frame.h>
#include <hv/guestmem.h>
#include <hv/printk.h>
#include <hv/string.h>

int guestmem_populate(struct domain *d, uint64_t gpa, uint64_t size)
{
  uint64_t end = gpa + size;

  if (!IS_ALIGNED(gpa | size, PAGE_SIZE) || end < gpa)
    return -EINVAL;
  while (gpa < end) {
    paddr_t hpa = 0;
    uint64_t step = PAGE_SIZE;
    if (IS_ALIGNED(gpa, MiB(2)) && end - gpa >= MiB(2)) {
      hpa = frame_alloc_contig(512, 512);
      if (hpa)
        step = MiB(2);
    }
    if (!hpa)
      hpa = frame_alloc();
    if (!hpa)
      return -ENOMEM;
    memset(phys_to_virt(hpa), 0, step);
    int err = arch_p2m_map(d, gpa, hpa, step);
    if (err) {
      if (step == MiB(2))
        frame_free_contig(hpa, 512);
      else
        frame_free(hpa);
      return err;
    }
    d->nr_frames += step / PAGE_SIZE;
    gpa += step;
  }
  return 0;
}

/* Free the frames behind one RAM range, whatever page sizes map it. */
static void release_range(struct domain *d, uint64_t gpa, uint64_t end)
{
  while (gpa < end) {
    uint64_t size = PAGE_SIZE;
    paddr_t hpa = arch_p2m_lookup(d, gpa, &size);
    if (hpa && hpa != d->shared_info) { /* shared_info is not RAM: freed with d */
      if (size == MiB(2))
        frame_free_contig(hpa, 512);
      else
        frame_free(hpa);
      d->nr_frames -= size / PAGE_SIZE;
    }
    gpa += size;
  }
}

void guestmem_release(struct domain *d)
{
  release_range(d, 0, d->ram_below_4g);
  if (d->mem_bytes > d->ram_below_4g)
    release_range(d, GiB(4), GiB(4) + d->mem_bytes - d->ram_below_4g);
  arch_p2m_destroy(d);
}

/* Apply fn to each piece of [gpa, gpa+len) that lies within one page. */
static int each_page(struct domain *d, uint64_t gpa, size_t len,
                     void (*fn)(void *host, size_t n, size_t done, void *arg), void *arg)
{
  size_t done = 0;
  while (done < len) {
    uint64_t size;
    paddr_t hpa = arch_p2m_lookup(d, gpa + done, &size);
    if (!hpa)
      return -EFAULT;
    size_t n = MIN(len - done, (size_t)(size - ((gpa + done) & (size - 1))));
    fn(phys_to_virt(hpa), n, done, arg);
    done += n;
  }
  return 0;
}

static void do_write(void *host, size_t n, size_t done, void *arg)
{
  memcpy(host, (const char *)arg + done, n);
}

static void do_read(void *host, size_t n, size_t done, void *arg)
{
  memcpy((char *)arg + done, host, n);
}

static void do_zero(void *host, size_t n, size_t done, void *arg)
{
  (void)done;
  (void)arg;
  memset(host, 0, n);
}

int guestmem_write(struct domain *d, uint64_t gpa, const void *src, size_t len)
{
  return each_page(d, gpa, len, do_write, (void *)src);
}

int guestmem_read(struct domain *d, uint64_t gpa, void *dst, size_t len)
{
  return each_page(d, gpa, len, do_read, dst);
}

int guestmem_zero(struct domain *d, uint64_t gpa, size_t len)
{
  return each_page(d, gpa, len, do_zero, NULL);
}
