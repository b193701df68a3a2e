"""The emulated local APIC (arch/x86/vlapic.c), from test/guests/lapic.c
under Bochs: x2APIC registers and their #GPs, IRR/ISR/TPR/PPR/EOI, the
timer in one-shot, periodic and TSC-deadline mode on time, HLT ended by
the timer, APIC base transitions; with two vcpus, INIT/SIPI start of
vcpu 1 and IPIs both ways (on one CPU and across two)."""

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


@pytest.mark.parametrize("vcpus,cpus", [(1, 1), (2, 1), (2, 2)])
def test_lapic(hvrun, vcpus, cpus):
    run = hvrun("--emulator", "bochs", "--cpus", str(cpus),
                "--dom0", "%s,vcpus=%d,cmdline=vcpus=%d" % (LAPIC, vcpus, vcpus),
                "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "dom0", r"lapic: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    checks, failed = int(counts[0]), int(counts[1])
    assert failed == 0 and checks >= (170 if vcpus > 1 else 160), describe(run)
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
    assert count_lines(run.serial, "xAPIC MMIO is not emulated") == 1, describe(run)
    if vcpus > 1:
        assert count_lines(run.serial, "dom0: vcpu 1 started by INIT/SIPI at 0x8000") == 2, \
            describe(run)
        assert count_lines(run.serial, "sent an INIT IPI to a running vcpu: not supported") == 1, \
            describe(run)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)


def test_lapic_in_a_domu(hvrun):
    # The same checks as a domU (its own vcpus, beside dom0's).
    run = hvrun("--emulator", "bochs", "--dom0", HELLO,
                "--domu", "%s,vcpus=2,cmdline=vcpus=2" % LAPIC, "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "domu1", r"lapic: (\d+) checks, (\d+) failed")
    assert counts is not None and int(counts[1]) == 0, describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)
