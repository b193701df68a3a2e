"""Real Xen as the peer in make bench's run (issue 14): tools/xen-assets
fetches Debian's xen-hypervisor-4.17-amd64, tools/hvrun --xen boots it in
the same Bochs machine with our guests as its PVH dom0, and --entry-tsc
takes the TSC at the hypervisor's and dom0's first instructions, under
Xen and under mica.

The first run needs Debian's package registry (about 2.3 MB); later runs
use build/xen/.  Without the registry and without a cache the tests skip,
saying why (under CI=true they fail).  Two Xen boots of about 12 s of wall
time each and one of mica's."""

import os
import re
import subprocess

import pytest

from conftest import PYTHON, REPO
from hvout import describe, guest

BENCH = os.path.join(REPO, "build", "guests", "bench.elf")
EVENTS = os.path.join(REPO, "build", "guests", "events.elf")
XEN_ASSETS = os.path.join(REPO, "tools", "xen-assets")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

RE_HV_TSC = re.compile(r"^hvrun: TSC at the hypervisor's first instruction "
                       r"\((0x[0-9a-f]+)\): (\d+)$", re.M)
RE_DOM0_TSC = re.compile(r"^hvrun: TSC at dom0's first instruction "
                         r"\((0x[0-9a-f]+)\): (\d+)$", re.M)
RE_SPAN = re.compile(r"^hvrun: hypervisor entry to dom0's first instruction: "
                     r"(\d+) ticks$", re.M)


@pytest.fixture(scope="module")
def xen(xen_assets_dir):
    return os.path.join(xen_assets_dir, "xen.gz")


@pytest.fixture(scope="module")
def bench_run(hvrun, xen):
    """The bench guest (1,000 calls a loop) as Xen's dom0."""
    return hvrun("--xen", xen, "--timeout", "180", "--dom0", BENCH + ",cmdline=calls=1000")


def test_assets_are_cached(xen, xen_assets_dir):
    """A second run downloads and makes nothing; xen.gz is a gzipped
    multiboot2 image."""
    p = subprocess.run([PYTHON, XEN_ASSETS, "--dir", xen_assets_dir],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 2, p.stdout
    assert lines[0].startswith("xen-assets: xen-hypervisor-4.17-amd64 "), p.stdout
    assert all(l.endswith(("(cached)", "(unchanged)")) for l in lines), p.stdout
    with open(xen, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    r = subprocess.run(["grub-file", "--is-x86-multiboot2", xen])
    assert r.returncode == 0


def test_bench_guest_under_xen(bench_run):
    """Xen 4.17 boots, the bench guest runs as its dom0 and passes with
    Xen's own version, and dom0's power off ends the run (exit 0)."""
    run = bench_run
    assert run.status == 0, describe(run)
    assert re.search(r"^\(XEN\) Xen version 4\.17\.", run.serial, re.M), describe(run)
    assert "(XEN) *** Building a PVH Dom0 ***" in run.serial, describe(run)
    # dom0's console_io output reaches the serial line unprefixed.
    assert re.search(r"^bench: not mica: every call must return 4\.17$", run.serial,
                     re.M), describe(run)
    assert re.search(r"^bench: null hypercall: 1000 calls, \d+ ticks, [0-9.]+ per call$",
                     run.serial, re.M), describe(run)
    assert re.search(r"^TEST PASS$", run.serial, re.M), describe(run)
    assert "(XEN) Hardware Dom0 halted: halting machine" in run.serial
    assert re.search(r"^\(XEN\) Xen image load base address: 0x[0-9a-f]+$", run.serial,
                     re.M), describe(run)


def test_entry_tsc_under_xen(hvrun, xen, bench_run):
    """--entry-tsc at Xen's relocated entry (the load base the first run
    logged: Xen is loaded before the modules, so another dom0 leaves it
    there) and at dom0's; the events guest's send-to-upcall passes too.
    dom0's own TSC is offset by Xen: its RDTSC at entry is far below the
    machine's."""
    base = re.search(r"^\(XEN\) Xen image load base address: (0x[0-9a-f]+)$",
                     bench_run.serial, re.M)
    assert base, describe(bench_run)
    run = hvrun("--xen", xen, "--timeout", "180", "--entry-tsc",
                "--xen-load-base", base.group(1),
                "--dom0", EVENTS + ",cmdline=mode=bench rounds=1000")
    assert run.status == 0, describe(run)
    assert re.search(r"^events: send to upcall: 1000 sends, \d+ ticks, \d+ per send$",
                     run.serial, re.M), describe(run)
    hv = RE_HV_TSC.search(run.stderr)
    dom0 = RE_DOM0_TSC.search(run.stderr)
    span = RE_SPAN.search(run.stderr)
    assert hv and dom0 and span, describe(run)
    assert int(hv.group(1), 16) == int(base.group(1), 16) + 0x200000
    assert dom0.group(1) == "0x100000"
    assert int(span.group(1)) == int(dom0.group(2)) - int(hv.group(2)) > 0
    # Xen needs about 1 to 1.5 s of emulated time to start dom0 here.
    assert 10 ** 7 < int(span.group(1)) < 3 * 10 ** 8, run.stderr
    entry = re.search(r"^bench: entry TSC (\d+)$", bench_run.serial, re.M)
    assert entry and int(entry.group(1)) < int(dom0.group(2)), describe(bench_run)


def test_entry_tsc_under_mica(hvrun):
    """The same stops under mica, whose guests read the machine's TSC: the
    guest's own RDTSC at its first instruction is Bochs' tick count at the
    stop there (which shows the tick count is the TSC)."""
    run = hvrun("--emulator", "bochs", "--timeout", "120", "--entry-tsc",
                "--dom0", BENCH + ",cmdline=calls=100")
    assert run.status == 0, describe(run)
    hv = RE_HV_TSC.search(run.stderr)
    dom0 = RE_DOM0_TSC.search(run.stderr)
    assert hv and dom0 and RE_SPAN.search(run.stderr), describe(run)
    entry = guest(run.serial, "dom0", r"bench: entry TSC (\d+)$")
    assert entry and int(entry[0]) == int(dom0.group(2)), describe(run)
    first = re.search(r"dom0: first entry at TSC (\d+)", run.serial)
    assert first and int(hv.group(2)) < int(first.group(1)) < int(dom0.group(2))


@pytest.mark.parametrize("args,error", [
    (["--domu", BENCH, "--dom0", BENCH], "--domu: with --xen there is no domU"),
    ([], "--xen needs --dom0"),
    (["--hv", "build/hv.elf", "--dom0", BENCH], "--xen and --hv name two hypervisors"),
    (["--boot", "efi", "--dom0", BENCH], "--xen needs --boot grub"),
    (["--entry-tsc", "--dom0", BENCH], "--entry-tsc with --xen needs --xen-load-base"),
    (["--entry-tsc", "--xen-load-base", "0x1234", "--dom0", BENCH],
     "--xen-load-base: 0x1234 is not a multiple of 0x200000"),
    (["--dom0", BENCH + ",cap=50"], "--dom0 cap=: not with --xen"),
])
def test_xen_usage_errors(hvrun, xen, args, error):
    """Bad --xen arguments: exit 2, one clear line, nothing boots."""
    run = hvrun("--xen", xen, *args)
    assert run.status == 2, describe(run)
    assert run.stderr.startswith("hvrun: error: " + error), run.stderr


def test_xen_grub_cfg(hvrun):
    """Xen's multiboot2 line, dom0's command line as its module string,
    `set gfxpayload=text` after the modules; mem= and vcpus= become Xen
    options, --hv-cmdline words come last."""
    run = hvrun("--xen", "/nonexistent/xen.gz", "--print-grub-cfg", "--hv-cmdline",
                "sched=credit", "--dom0", BENCH + ",mem=32,vcpus=2,cmdline=calls=5 x=y")
    assert run.status == 0, run.stderr
    body = [l.strip() for l in run.serial.splitlines()]
    i = body.index("multiboot2 /boot/xen.gz console=com1 com1=115200,8n1 dom0=pvh "
                   "dom0-iommu=none loglvl=all guest_loglvl=all noreboot dom0_mem=32M "
                   "dom0_max_vcpus=2 sched=credit")
    assert body[i + 1:i + 3] == ["module2 /boot/dom0.elf calls=5 x=y", "set gfxpayload=text"]
