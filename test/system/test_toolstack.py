"""The toolstack's domain building hypercalls under Bochs
(test/guests/toolstack.c): dom0 creates domains with
XEN_DOMCTL_createdomain (Xen 4.19's and 4.17's layouts), sees every
configuration mica cannot give refused with Xen's errno and no domain left
behind, gives a new domain memory (max_mem, populate_physmap on it), a
memory map and a start state (gethvmcontext / sethvmcontext, with their
refusals), unpauses it and watches it run; 20 builds and destroys give
back every frame.  Before that it asks what Debian's Xen 4.17 toolstack
(libxl/xl) asks: cpupool_op, numainfo, cputopoinfo, the CPUID featuresets
and policies (checked against its own CPUID), and of a domain it has just
made set_cpu_policy, TSC info, node affinity, the paging pool, vcpu info,
the PoD target, ALTP2M and its own console page at 0xfefff, which the
hypervisor's console ring gives up (not once the domain has run);
getdomaininfo in 4.17's version walks to the next domain.  A domU finds
all of it refused (-EPERM)."""

import re

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

TOOLSTACK = os.path.join(REPO, "build", "guests", "toolstack.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def test_dom0_builds_starts_and_destroys_domains(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", TOOLSTACK,
                "--domu", TOOLSTACK + ",cmdline=role=domu", "--timeout", "180")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert not [l for l in ls if "toolstack: FAIL" in l], describe(run)
    counts = guest(run.serial, "dom0", r"toolstack: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) >= 250, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    counts = guest(run.serial, "domu1", r"toolstack: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) == 8, describe(run)

    # The domain asked for as 7 got the start state set by sethvmcontext:
    # 32-bit protected mode at 1 MiB, in its 4 zeroed pages, which it ran
    # (ADD [EAX], AL) up to the first page it has not got.
    assert hvout.has_line(run.serial, "domu7: created by dom0: 2 vcpu(s), paused, no memory yet"), \
        describe(run)
    assert hvout.has_line(
        run.serial, "domu7: domain crashed: EPT violation: instruction fetch at gpa 0x104000, "
        "rip 0x104000"), describe(run)
    assert hvout.has_line(run.serial, "domu7: crashed (4 frames given back)"), describe(run)
    # What mica cannot give is said, not just refused.
    for msg in ["createdomain: refused: shadow paging is not offered (ask for HAP)",
                "createdomain: refused: emulation flags 0x1ff (only a PVH guest's, 0x1, are offered)",
                "domu7: sethvmcontext: record type 5 is not offered here"]:
        assert hvout.has_line(run.serial, msg), describe(run)
    # Xen 4.17's toolstack ops on the domain it made with the id chosen:
    # the policy checked, TSC emulation refused, and its console page put
    # where the hypervisor's ring was, which gives the ring up (once: the
    # 4.17-layout domain, unpaused first, keeps its ring).
    took = guest(run.serial, "dom0", r"toolstack: domain (\d+) took gfn 0xfefff from its console ring")
    assert took, describe(run)
    d = "domu%s" % took[0]
    yields = [l for l in ls if re.match(r"domu\d+: its toolstack puts a page of its own at 0xfefff: "
                                        r"the hypervisor's console ring there is given up$", l)]
    assert yields == [d + ": its toolstack puts a page of its own at 0xfefff: the hypervisor's "
                      "console ring there is given up"], describe(run)
    assert [l for l in ls if re.match(d + r": the toolstack's CPUID policy \(\d+ leaves\) is "
                                      r"compatible; the guest sees mica's CPUID$", l)], describe(run)
    assert hvout.has_line(run.serial, d + ": TSC mode 1 at 0 kHz refused: guests read the host's "
                          "TSC here"), describe(run)
    # Its two pages (0xfefff and 0x100) were its own RAM, given back.
    assert hvout.has_line(run.serial, d + ": destroyed (2 frames given back)"), describe(run)
    # The 20 cycles: each domain ran and was destroyed with its 64 pages.
    assert sum("(64 frames given back)" in l for l in ls) == 20, describe(run)
    assert "panic" not in run.serial.lower(), describe(run)
