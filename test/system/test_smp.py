"""Several CPUs running vcpus under Bochs (--cpus 2): each CPU has its
own run queue, so two CPU-bound domains each get a whole CPU instead of
half of one; event channels across CPUs (an interdomain ping-pong, each
side waiting in HLT on its own CPU, woken by a kick) and grants between
domains on different CPUs work as on one CPU."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

EVENTS = os.path.join(REPO, "build", "guests", "events.elf")
GRANT = os.path.join(REPO, "build", "guests", "grant.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]



def stamp_us(serial, text):
    """Timestamp (us since boot) of the first line containing text."""
    for l in serial.splitlines():
        m = re.match(r"^\[\s*(\d+)\.(\d+)\] (.*)$", l.rstrip())
        if m and text in m.group(3):
            return int(m.group(1)) * 1000000 + int(m.group(2))
    return None


def test_two_spinners_each_get_a_cpu(hvrun):
    # Both spin with interrupts off until system time 600 ms: only the
    # scheduler takes a CPU from them.  On one CPU each would run about
    # half of the time; with a run queue per CPU each has one to itself.
    run = hvrun("--emulator", "bochs", "--cpus", "2",
                "--dom0", EVENTS + ",cmdline=mode=spin until=600",
                "--domu", EVENTS + ",cmdline=mode=spin until=600", "--timeout", "120")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "sched: policy credit (weighted fair), 2 CPU(s) running vcpus"), \
        describe(run)
    start = stamp_us(run.serial, "sched: policy")
    assert start is not None and start < 400000, describe(run)
    wall = 600000 - start  # the time both could have run
    for dom in ("dom0", "domu1"):
        g = guest(run.serial, dom, r"events: spin: running (\d+) us, runnable (\d+) us, blocked (\d+) us")
        assert g, describe(run)
        running = int(g[0])
        assert running >= 0.9 * wall, "%s ran %d us of %d us\n%s" % (dom, running, wall, describe(run))
        assert hvout.has_line(run.serial, "(%s) TEST PASS" % dom), describe(run)


def test_ping_pong_across_cpus(hvrun):
    run = hvrun("--emulator", "bochs", "--cpus", "2",
                "--dom0", EVENTS + ",cmdline=mode=ping rounds=300",
                "--domu", EVENTS + ",cmdline=mode=pong rounds=300", "--timeout", "120")
    assert run.status == 0, describe(run)
    assert guest(run.serial, "domu1", r"events: pong: answered (\d+) pings") == ("300",), \
        describe(run)
    rt = guest(run.serial, "dom0", r"events: ping-pong: 300 round trips, \d+ ticks, (\d+) per")
    assert rt is not None, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)


def test_grants_across_cpus(hvrun):
    run = hvrun("--emulator", "bochs", "--cpus", "2",
                "--dom0", GRANT + ",cmdline=role=granter die=",
                "--domu", GRANT + ",cmdline=role=mapper die=", "--timeout", "120")
    ls = hvout.lines(run.serial)
    assert run.status == 0, describe(run)
    assert not [l for l in ls if "grant: FAIL" in l], describe(run)
    assert not [l for l in ls if "not given back" in l], describe(run)
    assert hvout.has_line(run.serial, "domu1: shut down (16384 frames given back)"), describe(run)
    assert hvout.has_line(run.serial, "dom0: shut down (16383 frames given back)"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)
