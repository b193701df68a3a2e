"""The emulated local APIC (arch/x86/vlapic.c), from test/guests/lapic.c
under Bochs, once in x2APIC mode through the MSRs and once in xAPIC mode
through the MMIO page at 0xfee00000 (arch/x86/vmx/mmio.c, decoded and
emulated): the start state (xAPIC, as Xen's vlapic_reset), registers and
their #GPs (x2APIC) or the page's rules (xAPIC), IRR/ISR/TPR/PPR/EOI,
the timer in one-shot, periodic and TSC-deadline mode on time, HLT ended
by the timer, APIC base transitions as the SDM and Xen 4.19 allow them;
with two vcpus, INIT/SIPI start of vcpu 1 and IPIs both ways (on one CPU
and across two)."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

LAPIC = os.path.join(REPO, "build", "guests", "lapic.elf")
HELLO = os.path.join(REPO, "build", "guests", "hello.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]



def count_lines(serial, text):
    return sum(1 for l in hvout.lines(serial) if text in l)


@pytest.mark.parametrize("mode,vcpus,cpus", [("x2apic", 1, 1), ("x2apic", 2, 1), ("x2apic", 2, 2),
                                            ("xapic", 1, 1), ("xapic", 2, 2)])
def test_lapic(hvrun, mode, vcpus, cpus):
    run = hvrun("--emulator", "bochs", "--cpus", str(cpus),
                "--dom0", "%s,vcpus=%d,cmdline=vcpus=%d mode=%s" % (LAPIC, vcpus, vcpus, mode),
                "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "dom0", r"lapic: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    checks, failed = int(counts[0]), int(counts[1])
    want = {"x2apic": 175, "xapic": 195}[mode] + (10 if vcpus > 1 else 0)
    assert failed == 0 and checks >= want, describe(run)
    assert hvout.has_line(run.serial, "(dom0) lapic: the checks in %s" %
                          ("xAPIC (MMIO)" if mode == "xapic" else "x2APIC (MSRs)")), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)

    # The figures behind the guest's own checks: on time, never early.
    oneshot = guest(run.serial, "dom0", r"lapic: one-shot 1 ms fired after (\d+) ns")
    assert oneshot and 1000000 <= int(oneshot[0]) < 1100000, describe(run)
    ticks = guest(run.serial, "dom0", r"lapic: periodic 1 ms ticks at " + r"\+(\d+) " * 4 +
                  r"\+(\d+) ns")
    assert ticks and all(900000 <= int(t) <= 1100000 for t in ticks), describe(run)
    tsc = guest(run.serial, "dom0", r"lapic: TSC deadline fired (-?\d+) TSC ticks after it")
    assert tsc and 0 <= int(tsc[0]) < 100000, describe(run)  # 1 ms at 100 MHz
    hlt = guest(run.serial, "dom0", r"lapic: HLT ended by the timer after (\d+) ns")
    assert hlt and 2000000 <= int(hlt[0]) < 2100000, describe(run)

    # What is not supported says so, once, and nothing breaks.
    assert count_lines(run.serial, "dom0: vcpu 0 sent an NMI IPI: not supported, ignored") == 1, \
        describe(run)
    assert count_lines(run.serial, "dom0: vcpu 0 tried to move the xAPIC MMIO window to "
                       "0xfed00000: #GP, as in Xen (said once)") == 1, describe(run)
    # The xAPIC page is the APIC's, not a hole: the hole's line comes
    # only from the x2APIC and disabled modes' reads of it.
    assert count_lines(run.serial, "dom0: read at gpa 0xfee00030: nothing there") == 1, \
        describe(run)
    if vcpus > 1:
        assert count_lines(run.serial, "dom0: vcpu 1 started by INIT/SIPI at 0x8000") == 2, \
            describe(run)
        assert count_lines(run.serial, "sent an INIT IPI to a running vcpu: not supported") == 1, \
            describe(run)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)


@pytest.mark.parametrize("mode", ["x2apic", "xapic"])
def test_lapic_in_a_domu(hvrun, mode):
    # The same checks as a domU (its own vcpus, beside dom0's).
    run = hvrun("--emulator", "bochs", "--dom0", HELLO,
                "--domu", "%s,vcpus=2,cmdline=vcpus=2 mode=%s" % (LAPIC, mode), "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "domu1", r"lapic: (\d+) checks, (\d+) failed")
    assert counts is not None and int(counts[1]) == 0, describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)
