"""Ballooning: a domain gives memory back and takes it again while it runs
(XENMEM_decrease_reservation, populate_physmap, increase_reservation;
hv/memory_reservation.c and mm/guestmem.c), from test/guests/balloon.c
under Bochs: the extents done as Xen 4.19 counts them, current and
maximum reservation kept true, the free pool (sysctl physinfo) moving by
exactly the pages given and taken, refusals that change nothing, and every
frame given back when the domain ends."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

GUESTS = os.path.join(REPO, "build", "guests")
BALLOON = os.path.join(GUESTS, "balloon.elf")
EVENTS = os.path.join(GUESTS, "events.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def passed(run, dom, least):
    counts = guest(run.serial, dom, r"balloon: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    fails = [l for l in hvout.lines(run.serial) if "balloon: FAIL" in l]
    assert int(counts[1]) == 0 and not fails, "\n".join(fails) or describe(run)
    assert int(counts[0]) >= least, describe(run)


def nothing_kept(run):
    for l in hvout.lines(run.serial):
        assert "RAM frames not given back" not in l, l
        assert "unhandled VM exit" not in l and "VM entry failed" not in l, l


def test_balloon_as_dom0(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", BALLOON, "--timeout", "120")
    assert run.status == 0, describe(run)
    passed(run, "dom0", 43)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)
    nothing_kept(run)


def test_balloon_as_domu(hvrun):
    # dom0 sleeps in SCHEDOP_poll meanwhile; a domU may not act for dom0.
    run = hvrun("--emulator", "bochs", "--dom0", EVENTS + ",cmdline=mode=sleep ms=400",
                "--domu", BALLOON, "--timeout", "120")
    assert run.status == 0, describe(run)
    passed(run, "domu1", 40)
    assert any("balloon: ok a domU for dom0: none done" in l for l in hvout.lines(run.serial))
    assert hvout.exit_reason(run.serial, "domu1") == "poweroff", describe(run)
    nothing_kept(run)


def test_balloon_64_mib_down_and_up(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", BALLOON + ",mem=128,cmdline=bench=64",
                "--timeout", "120")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert any(re.search(r"balloon: decrease 64 MiB: \d+ ticks", l) for l in ls), describe(run)
    assert any(re.search(r"balloon: increase 64 MiB: \d+ ticks", l) for l in ls), describe(run)
    assert not any("balloon: FAIL" in l for l in ls), describe(run)
    nothing_kept(run)
