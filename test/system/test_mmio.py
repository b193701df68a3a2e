"""Accesses to guest-physical addresses with nothing behind them
(arch/x86/vmx/mmio.c, decoded and emulated by arch/x86/decode.c and
emulate.c), from test/guests/mmio.c under Bochs: reads give all ones,
writes vanish and the guest goes on, as in Xen 4.19 (hvm/emulate.c,
hvmemul_do_io with no ioreq server: null_handler); an instruction the
emulator does not know crashes that domain alone, with its bytes in the
message."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

GUESTS = os.path.join(REPO, "build", "guests")
MMIO = os.path.join(GUESTS, "mmio.elf")
EVENTS = os.path.join(GUESTS, "events.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def no_hypervisor_complaint(serial):
    for l in hvout.lines(serial):
        assert "unhandled VM exit" not in l and "VM entry failed" not in l, l


def test_mmio_holes(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", MMIO, "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "dom0", r"mmio: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    assert int(counts[1]) == 0 and int(counts[0]) >= 100, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    # The first access says so once; the rest are silent.
    said = [l for l in hvout.lines(run.serial) if "nothing there; reads give all ones" in l]
    assert len(said) == 1 and said[0].startswith("dom0: read at gpa 0xfed00000"), describe(run)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)
    no_hypervisor_complaint(run.serial)


def test_undecodable_instruction_crashes_only_that_domain(hvrun):
    # dom0 sleeps 300 ms in SCHEDOP_poll: it is still there when domu1
    # dies, and finishes its work afterwards.
    run = hvrun("--emulator", "bochs", "--dom0", EVENTS + ",cmdline=mode=sleep ms=300",
                "--domu", MMIO + ",cmdline=crash=1", "--timeout", "120")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    # adcl $0x5a,(%rax): 83 10 5a, then whatever follows it (15 bytes in all).
    why = re.compile(r"domu1: domain crashed: EPT violation: write at gpa 0xfed00000, "
                     r"rip 0x[0-9a-f]+: cannot emulate the instruction \(83 10 5a( [0-9a-f]{2}){12}\)$")
    crash = [i for i, l in enumerate(ls) if why.match(l)]
    assert crash, describe(run)
    assert not any("survived" in l for l in ls), describe(run)
    assert hvout.exit_reason(run.serial, "domu1") == "crashed", describe(run)
    done = [i for i, l in enumerate(ls) if l == "(dom0) TEST PASS"]
    assert done and done[0] > crash[0], describe(run)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)
    no_hypervisor_complaint(run.serial)
