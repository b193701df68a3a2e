"""tools/hvtrace: one traced round trip of the null hypercall adds up to
what the bench guest measures with RDTSC, and its stages name the parts
(the guest, the VM exit and entry stub, the hypercall handler)."""

import os
import re
import subprocess

import pytest

from conftest import REPO, run_hvrun

HVTRACE = os.path.join(REPO, "tools", "hvtrace")
BENCH = os.path.join(REPO, "build", "guests", "bench.elf")

pytestmark = [pytest.mark.bochs]


def test_trace_matches_the_benchmark():
    run = subprocess.run([HVTRACE, "--break", "do_xen_version", "--", "--dom0", BENCH],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    m = re.search(r"hvtrace: (\d+) instructions from do_xen_version", run.stdout)
    assert m, run.stdout
    total = int(m.group(1))
    stages = dict((l.split()[0], int(l.split()[1])) for l in run.stdout.splitlines()[1:])
    for part in ("guest", "vmx_enter", "vmx_exit", "do_xen_version", "vmx_handle_exit"):
        assert part in stages, run.stdout
    assert total == sum(int(l.split()[1]) for l in run.stdout.splitlines()[1:])

    bench = run_hvrun(["--emulator", "bochs", "--dom0", BENCH])
    m = re.search(r"bench: null hypercall: \d+ calls, \d+ ticks, ([0-9.]+) per call", bench.serial)
    assert m, bench.serial
    # The loop's average includes the odd timer tick; one pass is exact.
    assert abs(float(m.group(1)) - total) < 3, (total, m.group(1))


def test_bad_breakpoint_is_refused():
    run = subprocess.run([HVTRACE, "--break", "no_such_function", "--", "--dom0", BENCH],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "no function no_such_function" in run.stderr
