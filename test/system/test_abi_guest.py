"""The ABI conformance guest and the null hypercall benchmark, under Bochs.

test/guests/abi.c calls every hypercall mica implements, with good and bad
arguments, and expects what Xen 4.19 answers a 64-bit PVH guest.  It prints
one line per check ("abi: ok <name>" or "abi: FAIL <name>: got X want Y",
then "abi:   Xen 4.19: <source>" where mica has differed from Xen before),
"abi: N checks, M failed", and TEST PASS only when M is 0.

One boot runs it twice: as dom0 (privileged, one vcpu) and as domu1 (two
vcpus, so vcpu 1 can take the checks that would spoil vcpu 0).  The domU
also ends with SCHEDOP_shutdown_code(poweroff) and then
SCHEDOP_shutdown(reboot): Xen keeps the first code recorded, so it must be
reported as powered off.

test/guests/bench.c times 10,000 null hypercalls (xen_version) by VMCALL,
the same loop with a NOP, and the calls through the hypercall page."""

import os
import re

import pytest

from conftest import REPO
import hvout
from hvout import describe, exit_reason, guest_lines

GUESTS = os.path.join(REPO, "build", "guests")
ABI = os.path.join(GUESTS, "abi.elf")
BENCH = os.path.join(GUESTS, "bench.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

# dom0 and domu1 both run abi; the domU's command line is its test plan.
ABI_RUN = ("--emulator", "bochs",
           "--dom0", ABI + ",cmdline=abi as dom0",
           "--domu", ABI + ",vcpus=2,cmdline=vcpus=2 domid=1 codetest",
           "--timeout", "150")

# The fewest checks a complete run makes (237 as dom0 and as domU when written):
# fewer means the guest stopped early or lost a group.
MIN_CHECKS = 200


def summary(serial, dom):
    """(checks, failed) from "abi: N checks, M failed", or None."""
    for l in guest_lines(serial, dom):
        m = re.match(r"abi: (\d+) checks, (\d+) failed$", l)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def failures(serial, dom):
    """The FAIL lines and the Xen source lines under them, as one text."""
    return "\n".join(l for l in guest_lines(serial, dom)
                     if l.startswith("abi: FAIL") or l.startswith("abi:   Xen"))



@pytest.mark.parametrize("dom", ["dom0", "domu1"])
def test_abi_guest(boot, dom):
    run = boot(*ABI_RUN)
    assert run.status == 0, describe(run)
    s = summary(run.serial, dom)
    assert s is not None, describe(run)
    checks, failed = s
    # Every check printed exactly one ok or FAIL line (a line the console
    # wraps at 128 characters still starts with one of these).
    lines = guest_lines(run.serial, dom)
    printed = sum(1 for l in lines if l.startswith("abi: ok ") or l.startswith("abi: FAIL "))
    assert printed == checks, describe(run)
    assert checks >= MIN_CHECKS, describe(run)
    assert failed == 0, "%s: %d of %d checks failed:\n%s" % (
        dom, failed, checks, failures(run.serial, dom))
    assert "TEST PASS" in lines, describe(run)


def test_abi_dom0_powers_off(boot):
    run = boot(*ABI_RUN)
    assert run.status == 0, describe(run)
    assert exit_reason(run.serial, "dom0") == "poweroff", describe(run)


def test_abi_domu_first_shutdown_code_wins(boot):
    # Xen (common/domain.c domain_shutdown): the code recorded by
    # SCHEDOP_shutdown_code, if any, replaces the reason a later
    # SCHEDOP_shutdown gives.
    run = boot(*ABI_RUN)
    assert run.status == 0, describe(run)
    assert summary(run.serial, "domu1") is not None, describe(run)
    assert exit_reason(run.serial, "domu1") == "poweroff", describe(run)


RE_BENCH = {
    "call": re.compile(r"bench: null hypercall: (\d+) calls, (\d+) ticks, ([\d.]+) per call$"),
    "loop": re.compile(r"bench: empty loop: (\d+) iterations, (\d+) ticks, ([\d.]+) per iteration$"),
    "page": re.compile(r"bench: null hypercall via page: (\d+) calls, (\d+) ticks, ([\d.]+) per call$"),
}


def test_bench_null_hypercall(boot):
    run = boot("--emulator", "bochs", "--dom0", BENCH, "--timeout", "150")
    assert run.status == 0, describe(run)
    found = {}
    for l in guest_lines(run.serial, "dom0"):
        for k, r in RE_BENCH.items():
            m = r.match(l)
            if m:
                found[k] = (int(m.group(1)), int(m.group(2)), float(m.group(3)))
    assert set(found) == set(RE_BENCH), describe(run)
    for k, (n, ticks, per) in found.items():
        assert n == 10000 and ticks > 0 and abs(per - ticks / n) < 0.1, (k, found[k])
    # A VM exit costs more than a NOP.
    assert found["call"][1] > found["loop"][1], found
    assert "TEST PASS" in guest_lines(run.serial, "dom0"), describe(run)


def test_enosys_calls_are_logged_once_each(boot):
    """A hypercall answering -ENOSYS is logged once per domain and (vector,
    sub-op), saying whether Xen refuses it too; after 32 of them the log
    says it stops, so a guest probing in a loop cannot flood it."""
    run = boot(*ABI_RUN)
    assert run.status == 0, describe(run)
    mine = [l for l in hvout.lines(run.serial)
            if l.startswith("dom0: ") and "-ENOSYS" in l]
    assert mine.count("dom0: sched_op op 100: not provided here: -ENOSYS") == 1, mine
    assert mine.count("dom0: hypercall 1 (mmu_update) is not for PVH guests: -ENOSYS "
                      "(as in Xen)") == 1, mine
    assert mine.count("dom0: hypercall 1000: no such hypercall: -ENOSYS") == 1, mine
    assert len(mine) == len(set(mine)) == 33, mine  # 32 calls and the last word
    assert mine[-1] == "dom0: further -ENOSYS hypercalls are not reported", mine
