"""Event channels, guest time and the scheduler, from test/guests/events.c
under Bochs: 2-level semantics port by port, VIRQ_TIMER on time,
SCHEDOP_poll timeouts, interdomain ping-pong, CPU shares by weight, and a
blocked domain that uses no CPU."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

EVENTS = os.path.join(REPO, "build", "guests", "events.elf")
HELLO = os.path.join(REPO, "build", "guests", "hello.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]



def passed(serial, dom):
    return hvout.has_line(serial, "(%s) TEST PASS" % dom)


@pytest.mark.parametrize("where", ["dom0", "domu1"])
def test_events_local(hvrun, where):
    if where == "dom0":
        args = ["--dom0", EVENTS]
    else:
        args = ["--dom0", HELLO, "--domu", EVENTS]
    run = hvrun("--emulator", "bochs", *args, "--timeout", "120")
    assert run.status == 0, describe(run)
    counts = guest(run.serial, where, r"events: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    checks, failed = int(counts[0]), int(counts[1])
    assert failed == 0 and checks >= 100, describe(run)
    assert passed(run.serial, where), describe(run)
    # The timer came on time (the guest checks it too; here the figure).
    late = guest(run.serial, where, r"events: singleshot fired (\d+) ns after its deadline")
    assert late and int(late[0]) < 1000000, describe(run)


# On two CPUs each side waits in HLT on its own CPU and is woken by a kick.
@pytest.mark.parametrize("cpus", [1, 2])
def test_interdomain_ping_pong(hvrun, cpus):
    run = hvrun("--emulator", "bochs", "--cpus", str(cpus),
                "--dom0", EVENTS + ",cmdline=mode=ping rounds=300",
                "--domu", EVENTS + ",cmdline=mode=pong rounds=300", "--timeout", "120")
    assert run.status == 0, describe(run)
    assert guest(run.serial, "domu1", r"events: pong: answered (\d+) pings") == ("300",), \
        describe(run)
    rt = guest(run.serial, "dom0", r"events: ping-pong: 300 round trips, \d+ ticks, (\d+) per")
    assert rt is not None, describe(run)
    assert passed(run.serial, "dom0") and passed(run.serial, "domu1"), describe(run)


def running_us(serial, dom, what):
    g = guest(serial, dom, r"events: %s: running (\d+) us, runnable (\d+) us, blocked (\d+) us"
              % what)
    return tuple(int(x) for x in g) if g else None


def test_weights_share_the_cpu_and_a_sleeper_uses_none(hvrun):
    # Two CPU-bound domains (spinning with interrupts off, so only the
    # scheduler can take the CPU from them) with weights 2:1, and a third
    # that sleeps in SCHEDOP_poll the whole time.
    run = hvrun("--emulator", "bochs",
                "--dom0", EVENTS + ",weight=512,cmdline=mode=spin until=800",
                "--domu", EVENTS + ",weight=256,cmdline=mode=spin until=800",
                "--domu", EVENTS + ",cmdline=mode=sleep ms=500", "--timeout", "120")
    assert run.status == 0, describe(run)
    heavy = running_us(run.serial, "dom0", "spin")
    light = running_us(run.serial, "domu1", "spin")
    sleeper = running_us(run.serial, "domu2", "sleep")
    assert heavy and light and sleeper, describe(run)
    ratio = heavy[0] / light[0]
    assert 1.9 <= ratio <= 2.1, "CPU shares %d us : %d us = %.3f, want 2 +- 5%%\n%s" % (
        heavy[0], light[0], ratio, describe(run))
    # Both spinners were busy the whole time: nearly all of it is theirs.
    assert heavy[0] + light[0] > 500000, describe(run)
    # The sleeper ran only to set itself up and report (well under 1% of
    # the others), and was blocked for its 500 ms.
    assert sleeper[0] < 5000 and 499000 <= sleeper[2] < 520000, describe(run)
    for d in ("dom0", "domu1", "domu2"):
        assert passed(run.serial, d), describe(run)
