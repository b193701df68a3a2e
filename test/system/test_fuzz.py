"""Hypercalls with made-up arguments (test/guests/fuzz.c) bring nothing
down: 20,000 calls from a domU, and from dom0 (which may also use the
control hypercalls), each beside another domain that must finish its own
work. The calls are the same on every run (a seeded generator), so a
failure here repeats with the same seed, and `trace=N` on the fuzz guest's
command line prints each call from the N-th on.

Each run checks that the hypervisor powers off cleanly, that the fuzz
guest made its calls and passed, that the other domain passed, and that
every page the fuzz domain held at the end came back when it ended."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe

GUESTS = os.path.join(REPO, "build", "guests")
FUZZ = os.path.join(GUESTS, "fuzz.elf")
HELLO = os.path.join(GUESTS, "hello.elf")
CALLS = 20000

pytestmark = [pytest.mark.boot]


@pytest.mark.bochs
# Seeds 9 (domU) and 6 (dom0) take spare frames by increase_reservation.
@pytest.mark.parametrize("role,seed", [("domu1", 1), ("domu1", 9), ("dom0", 6)])
def test_fuzz_hypercalls(hvrun, role, seed):
    fuzz = FUZZ + ",cmdline=seed=%d calls=%d" % (seed, CALLS)
    if role == "dom0":
        other = "domu1"
        args = ["--dom0", fuzz, "--domu", HELLO + ",cmdline=name=other spin=20"]
    else:
        other = "dom0"
        args = ["--dom0", HELLO + ",cmdline=name=other spin=20", "--domu", fuzz]
    run = hvrun("--emulator", "bochs", *args, "--timeout", "500")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)
    assert not any("PANIC" in l or "not given back" in l for l in hvout.lines(run.serial)), \
        describe(run)

    m = hvout.guest(run.serial, role, r"fuzz: (\d+) calls, seed %d: (\d+) answered 0" % seed)
    assert m, describe(run)
    made, zero = map(int, m)
    # Only the calls that would stop the guest on purpose are left out.
    assert made > CALLS * 0.95 and zero > 0, describe(run)
    pages = hvout.guest(run.serial, role, r"fuzz: (\d+) pages held at the end$")
    assert pages, describe(run)
    given = [re.match(r"%s: shut down \((\d+) frames given back\)" % role, l)
             for l in hvout.lines(run.serial)]
    given = [int(g.group(1)) for g in given if g]
    assert given == [int(pages[0])], describe(run)
    assert hvout.exit_reason(run.serial, role) == "poweroff", describe(run)

    # The other domain ran beside it and finished its own work.
    assert "TEST PASS" in hvout.guest_lines(run.serial, other), describe(run)
    assert hvout.exit_reason(run.serial, other) == "poweroff", describe(run)
