"""hvrun --xen: real Xen in place of mica, for make bench's comparison.

The same ISO and Bochs machine as a mica run (hvrun_grub, hvrun_emu), with
Xen's multiboot2 line instead of ours and the --dom0 kernel as Xen's first
module: Xen builds it as a PVH dom0 (dom0=pvh).  Measured with Debian 12's
xen-hypervisor-4.17-amd64 (tools/xen-assets) under Bochs 2.7:
- Bochs has no VT-d, so dom0-iommu=none (without it Xen panics: "iommu
  must be enabled for PVH hardware domain").
- `set gfxpayload=text` after the module lines keeps GRUB in text mode
  (before them GRUB overrides it and switches to 1024x768x32, and Bochs'
  term display dies).
- guest_loglvl=all: dom0's console_io writes reach com1 as they are, with
  no prefix; Xen's own lines start with "(XEN) ".
- A dom0 that powers off makes Xen print "Hardware Dom0 halted: halting
  machine" and halt the CPUs; Bochs goes on running, so that line is the
  end of the run.  A crashed dom0 (with noreboot) gives "Hardware Dom0
  crashed: 'noreboot' set - not rebooting." and the same halt.
- Xen is relocatable (its multiboot2 header asks GRUB to load it high):
  it logs where, "(XEN) Xen image load base address: 0xADDR", and its
  entry is that base plus the ELF entry (0x200000, the image's start)."""

import re

ISO_PATH = "/boot/xen.gz"
# The command line of PLATFORM.md ("Real Xen as a reference"): the serial
# line, a PVH dom0 without an IOMMU, all of Xen's and the guest's messages,
# and a halt instead of a reboot when dom0 dies.  --hv-cmdline adds words
# after these (Xen takes the last of an option given twice).
DEFAULT_WORDS = ["console=com1", "com1=115200,8n1", "dom0=pvh", "dom0-iommu=none",
                 "dom0_mem=64M", "loglvl=all", "guest_loglvl=all", "noreboot"]

RE_LOAD_BASE = re.compile(r"^\(XEN\) Xen image load base address: (0x[0-9a-f]+)", re.M)


def cmdline_words(user_words, mem=None, vcpus=None):
    """Xen's command line: the defaults, dom0's size from --dom0's mem= and
    vcpus=, then the user's words."""
    words = list(DEFAULT_WORDS)
    if mem is not None:
        words = [w for w in words if not w.startswith("dom0_mem=")]
        words.append("dom0_mem=%dM" % mem)
    if vcpus is not None:
        words.append("dom0_max_vcpus=%d" % vcpus)
    return words + list(user_words)


def entry_address(image_entry, load_base):
    """Where Xen's first instruction is when GRUB loaded it at load_base:
    the image starts at its ELF entry (0x200000) when not relocated."""
    return load_base + image_entry


class Markers:
    """What ends or marks a Xen run on the serial line (for hvrun's
    Console; the names are mica's markers')."""
    banner = re.compile(r"^\(XEN\) Xen version \d")
    ready = re.compile(r"^\(XEN\) Freed \d+kB init memory")
    poweroff = re.compile(r"^\(XEN\) Hardware Dom0 halted: halting machine")
    reboot = re.compile(r"^\(XEN\) Hardware Dom0 shutdown: rebooting machine")
    halted = None
    # A crashed dom0 or a panic: both end the run as a failure.
    panic = re.compile(r"^\(XEN\) (Hardware Dom0 crashed.*|Panic on CPU \d+:.*)")
    panic_prefix = "Xen: "
    focus = None
    efi_gave_up = None
    guest_line = None
    stamped = None
    # Xen halts and Bochs runs on: the marker is the end.
    poweroff_grace = 0.5
    panic_grace = 1.0
