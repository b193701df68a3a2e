"""Domain control under Bochs (test/guests/domctl.c): dom0 reads domain
info, pauses and unpauses a spinning domU (its cpu_time stops and goes
on), reads its vcpu's info (online, not blocked, on a CPU of its own
with 2 CPUs), sets its credit weight and cap, asks sysctl physinfo,
sched_id and readconsole, then destroys it and hears VIRQ_DOM_EXC; another domU finds
domctl and sysctl refused with -EPERM.  The hypervisor must keep running
dom0 after the destroy, give every frame of the destroyed domain back and
power off cleanly."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, exit_reason, guest

DOMCTL = os.path.join(REPO, "build", "guests", "domctl.elf")
EVENTS = os.path.join(REPO, "build", "guests", "events.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]




@pytest.mark.parametrize("cpus", [1, 2])
def test_dom0_pauses_unpauses_and_destroys_a_domu(hvrun, cpus):
    run = hvrun("--emulator", "bochs", "--cpus", str(cpus),
                "--dom0", DOMCTL,
                "--domu", EVENTS + ",cmdline=mode=spin until=100000",
                "--domu", DOMCTL + ",cmdline=role=domu", "--timeout", "180")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert not [l for l in ls if "domctl: FAIL" in l], describe(run)

    counts = guest(run.serial, "dom0", r"domctl: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) >= 130, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    counts = guest(run.serial, "domu2", r"domctl: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) >= 12, describe(run)
    assert hvout.has_line(run.serial, "(domu2) TEST PASS"), describe(run)

    # Paused, domu1 ran not at all; unpaused, it had the CPU while dom0 slept.
    t = guest(run.serial, "dom0", r"domctl: domU cpu_time: (\d+) us paused 70 ms, then (\d+) us in 50 ms")
    assert t and int(t[0]) == 0 and 30000 <= int(t[1]) <= 51000, describe(run)

    # With 2 CPUs the domU was placed on CPU 1, moved to CPU 0 by its hard
    # affinity, back to CPU 1, and destroyed while it ran there: the
    # destroy came back (a continuation) until it had left that CPU.
    if cpus == 2:
        assert hvout.has_line(run.serial, "sched: domu1 vcpu 0 moves from CPU 1 to CPU 0"), describe(run)
        assert hvout.has_line(run.serial, "sched: domu1 vcpu 0 moves from CPU 0 to CPU 1"), describe(run)
        assert hvout.has_line(run.serial, "domu1: destroy waits for its vcpus to leave the other CPUs"), \
            describe(run)

    # physinfo saw the machine the runner made (TSC = 100 M instructions/s).
    p = guest(run.serial, "dom0", r"domctl: physinfo: (\d+) CPUs \((\d+) threads/core, (\d+) cores/socket\), (\d+) kHz")
    assert p and int(p[0]) == cpus and int(p[1]) * int(p[2]) == cpus, describe(run)
    assert abs(int(p[3]) - 100000) < 2000, describe(run)

    # The destroy: logged, every RAM frame back (less the page shared_info
    # replaced), no exit line for it at the end; dom0 and domu2 end normally.
    assert hvout.has_line(run.serial, "domu1: destroyed by dom0"), describe(run)
    assert hvout.has_line(run.serial, "domu1: destroyed (16383 frames given back)"), describe(run)
    assert not [l for l in ls if "not given back" in l], describe(run)
    assert exit_reason(run.serial, "domu1") is None, describe(run)
    assert exit_reason(run.serial, "dom0") == "poweroff", describe(run)
    assert exit_reason(run.serial, "domu2") == "poweroff", describe(run)
    # dom0 printed after the destroy: it kept running.
    i = ls.index("domu1: destroyed by dom0")
    assert "(dom0) TEST PASS" in ls[i:], describe(run)
