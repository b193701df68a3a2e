"""A 32-bit guest under Bochs: test/guests/abi32.c, built with -m32, stays
in the 32-bit protected mode (paging off) a PVH guest starts in and makes
its hypercalls with the ABI's x86_32 convention (EAX vector; EBX, ECX, EDX,
ESI, EDI arguments; EAX result), by VMCALL and through the hypercall page.
It prints "abi32: ok <name>" or "abi32: FAIL <name>: ..." per check,
100 numbered lines from one console_io write that mica continues (the
32-bit continuation), "abi32: N checks, M failed" and TEST PASS.

As dom0 alone, and as a domU beside the 64-bit abi guest as dom0, which
must pass all its checks as it does alone (the two conventions do not
disturb each other).  The structures laid out differently for a 32-bit
guest are passed in that layout and translated (the "xlat" checks);
nothing is refused as untranslated any more.

Its "32-bit:" checks run after it filled its hypercall page from 32-bit
code, which latched its shared info 32-bit: vcpu_info registered with a
32-bit selector, the callback vector taken in 32-bit code, ports up to
1,023 and no more, sends by VMCALL and through the page, VIRQ_TIMER from
set_timer_op, (a domU) a line through the console ring, and the checks
on shared_info's own words (pending, mask, wall clock) once
add_to_physmap maps it."""

import os
import re

import pytest

from conftest import REPO
from hvout import describe, exit_reason, guest_lines, lines

GUESTS = os.path.join(REPO, "build", "guests")
ABI32 = os.path.join(GUESTS, "abi32.elf")
ABI = os.path.join(GUESTS, "abi.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

ALONE = ("--emulator", "bochs", "--dom0", ABI32, "--timeout", "120")
BESIDE = ("--emulator", "bochs",
          "--dom0", ABI + ",cmdline=abi as dom0",
          "--domu", ABI32,
          "--timeout", "200")

# The fewest checks a complete run makes (79 when written; 116 with the
# events in the 32-bit layout).
MIN_CHECKS = 110
# Of them, those of the 32-bit layout (41 as dom0, 42 as a domU).
MIN_EVENT_CHECKS = 40
RING_LINE = "abi32: a line through the console ring from 32-bit code"
# The 64-bit abi guest's (test_abi_guest.py).
ABI_MIN_CHECKS = 200


def summary(serial, dom, name):
    for l in guest_lines(serial, dom):
        m = re.match(r"%s: (\d+) checks, (\d+) failed$" % name, l)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def check_abi32(run, dom):
    out = guest_lines(run.serial, dom)
    s = summary(run.serial, dom, "abi32")
    assert s is not None, describe(run)
    checks, failed = s
    fails = [l for l in out if l.startswith("abi32: FAIL")]
    assert failed == 0 and not fails, "%s:\n%s" % (dom, "\n".join(fails))
    assert sum(1 for l in out if l.startswith("abi32: ok ")) == checks, describe(run)
    assert checks >= MIN_CHECKS, describe(run)
    assert sum(1 for l in out if l.startswith("abi32: ok 32-bit: ")) >= MIN_EVENT_CHECKS, \
        describe(run)
    # The console ring's line arrived (a domU has a ring; dom0 none).
    assert (RING_LINE in out) == (dom != "dom0"), describe(run)
    assert "TEST PASS" in out, describe(run)
    # The continued write arrived whole and in order.
    long_lines = [l for l in out if l.startswith("abi32: long write line ")]
    assert long_lines == [("abi32: long write line %03d " % i).ljust(89, ".")
                          for i in range(100)], describe(run)
    # Every call is translated: none is refused as not translated.
    log = lines(run.serial)
    assert not any("32-bit caller" in l for l in log), describe(run)
    assert exit_reason(run.serial, dom) == "poweroff", describe(run)


def test_abi32_as_dom0(boot):
    run = boot(*ALONE)
    assert run.status == 0, describe(run)
    check_abi32(run, "dom0")


def test_abi32_as_domu_beside_64bit_abi(boot):
    run = boot(*BESIDE)
    assert run.status == 0, describe(run)
    check_abi32(run, "domu1")
    s = summary(run.serial, "dom0", "abi")
    assert s is not None, describe(run)
    checks, failed = s
    fails = [l for l in guest_lines(run.serial, "dom0") if l.startswith("abi: FAIL")]
    assert failed == 0 and checks >= ABI_MIN_CHECKS, "\n".join(fails)
    assert "TEST PASS" in guest_lines(run.serial, "dom0"), describe(run)
    # The 64-bit guest made no call the 32-bit path took.
    assert not any(l.startswith("dom0: 32-bit caller") for l in lines(run.serial)), describe(run)
