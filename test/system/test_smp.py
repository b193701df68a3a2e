"""Several CPUs running vcpus under Bochs (--cpus 2): each CPU has its
own run queue, so two CPU-bound domains each get a whole CPU instead of
half of one.  Event channels and grants across CPUs are tested in
test_events.py and test_grant.py, each also with --cpus 2."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

EVENTS = os.path.join(REPO, "build", "guests", "events.elf")

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
