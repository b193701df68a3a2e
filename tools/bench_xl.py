#!/usr/bin/python3
"""bench_xl: the xl figures of `make bench` (issue 18): Debian 12's Xen
4.17 toolstack in a Linux PVH dom0 creating a PVH guest, under mica or
under Xen 4.17 in the same Bochs machine.

usage: bench_xl.py mica|xen [--xl-assets DIR] [--dom0-assets DIR] [--xen PATH]
                   [--timeout SECONDS] [--verbose] [--keep]

The dom0 is tools/xl-assets' (default build/linux-xl: its initramfs with
Xen's tools and /bin/xl-bench) on the kernel of tools/linux-assets
--flavour dom0 (default build/linux-dom0), booted as test_xl.py boots it:
Bochs, 1 CPU, 2048 MiB, ips=100000000, no NIC and no disk; dom0 given
768 MiB and 1 vcpu, command line `console=hvc0`.  Under mica (build/hv.elf)
dom0 is `devices=host`; under Xen (--xen, default build/xen/xen.gz of
tools/xen-assets) hvrun's Xen command line with dom0_mem=768M
dom0_max_vcpus=1 (tools/hvrun_xen.py: dom0=pvh dom0-iommu=none).  On
dom0's shell it runs /bin/xl-bench (tools/linux/xl-bench): `xl create
/etc/xen/guest.cfg` (Debian's cloud kernel, PVH, 128 MiB, 1 vcpu), dom0's
TSC before it, after it returns (libxl unpauses the guest last) and when
xenconsoled's log of the guest's console shows its /init's "mica-init: "
line; then `xl destroy`.  Then dom0 powers off under mica (under Xen, whose
dom0 would switch Bochs off through ACPI, the run is just ended).

It prints what it saw, then these lines (TSC ticks, from before `xl
create`):
    xl-bench: create-return N    to xl create's return (the guest unpaused)
    xl-bench: create-entry N     under mica only: to the guest's first VM
                                 entry, the hypervisor's own log line
    xl-bench: create-init N      to the guest's init line on its console
    xl-bench: machine cpus=C mem=MIB ips=N
The last is the bochsrc's, checked against the figures above, so a mica
run and a Xen run compare like with like.  Xen's command line has
apicv=0 besides hvrun's: with Bochs' virtual-interrupt delivery Linux as
Xen's PVH dom0 gets no timer interrupt after its first few (its jiffies
stop at 2.34 s and it waits for ever at the i8042 probe).  About 4 to 7
minutes of wall time each (dom0's boot is most of it).

Exit status: 0 done; 1 the boot or a step failed (the last line
"bench_xl: <reason>"); 2 bad usage; 3 the assets are missing (run
tools/xl-assets, and tools/xen-assets for xen); 130 interrupted."""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile

sys.dont_write_bytecode = True  # keep tools/ and test/ free of __pycache__
TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path[:0] = [TOOLS, os.path.join(REPO, "test", "system")]
import pytest  # noqa: E402  (hvsession's failures come through it)
import dom0scenario as sc  # noqa: E402
from conftest import HVRUN, hv_path  # noqa: E402
from hvsession import Session  # noqa: E402

DEFAULT_XL = os.path.join(REPO, "build", "linux-xl")
DEFAULT_DOM0 = os.path.join(REPO, "build", "linux-dom0")
DEFAULT_XEN = os.path.join(REPO, "build", "xen", "xen.gz")
# The machine, the same under both (test_xl.py's).
CPUS = 1
MACHINE_MIB = 2048
DOM0_MIB = 768
IPS = 100000000  # Bochs' instructions, and TSC ticks, per emulated second
# Xen's words besides hvrun's.  With APIC virtualization (Bochs emulates
# virtual-interrupt delivery) Linux as Xen's PVH dom0 stops getting its
# timer interrupts early in its boot (jiffies stop at 2.34 s; it waits for
# ever at the i8042 probe); cpuidle=0 did not help, apicv=0 does.
XEN_WORDS = ["apicv=0"]
XEN_STEPS = ("xenfs", "xenstored", "xen-init-dom0", "xenconsoled")
RE_XEN_STEP = re.compile(r"^mica-xen: (\S+) (ok|FAILED.*)\n", re.M)
RE_LINE = re.compile(r"^xl-bench: (create-return|create-entry|create-init|domid) (-?\d+)$")
RE_FIRST_ENTRY = rb"\bdomu%d: first entry at TSC (\d+)"


class Usage(Exception):
    pass


class BenchError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Usage(message)


def parse(argv):
    p = Parser(prog="bench_xl.py", description=__doc__.split("\n\n", 1)[1],
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("side", choices=("mica", "xen"), help="the hypervisor under dom0")
    p.add_argument("--xl-assets", default=DEFAULT_XL, metavar="DIR",
                   help="tools/xl-assets' directory (default build/linux-xl)")
    p.add_argument("--dom0-assets", default=DEFAULT_DOM0, metavar="DIR",
                   help="tools/linux-assets --flavour dom0's directory, for the "
                        "kernel (default build/linux-dom0)")
    p.add_argument("--xen", default=DEFAULT_XEN, metavar="PATH",
                   help="Xen's image for the xen side (default build/xen/xen.gz)")
    p.add_argument("--timeout", type=int, default=1200, metavar="SECONDS",
                   help="wall time allowed for dom0's boot to the shell (default 1200)")
    p.add_argument("--verbose", action="store_true",
                   help="`xl -vvv create`: print libxl's steps")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (Bochs' files)")
    a = p.parse_args(argv)
    if a.timeout < 1:
        raise Usage("--timeout must be at least 1")
    return a


def assets(a):
    """(dom0 kernel, initramfs); BenchError naming what is missing."""
    kernel = os.path.join(a.dom0_assets, "vmlinux")
    initrd = os.path.join(a.xl_assets, "initramfs.cpio.gz")
    for path, tool in ((kernel, "tools/linux-assets --flavour dom0"),
                       (initrd, "tools/xl-assets")):
        if not os.path.isfile(path):
            raise BenchError("%s is missing: run %s" % (path, tool))
    if a.side == "xen" and not os.path.isfile(a.xen):
        raise BenchError("%s is missing: run tools/xen-assets" % a.xen)
    return kernel, initrd


def session(a, kernel, initrd, workdir):
    """hvrun booting the xl dom0 under a.side (an hvsession.Session)."""
    dom0 = "%s,initrd=%s,mem=%d,vcpus=1,%scmdline=console=hvc0" % (
        kernel, initrd, DOM0_MIB, "devices=host," if a.side == "mica" else "")
    common = ["--emulator", "bochs", "--cpus", str(CPUS), "--mem", str(MACHINE_MIB),
              "--ips", str(IPS), "--workdir", workdir, "--dom0", dom0]
    timeout = a.timeout + 1200
    if a.side == "mica":
        if not os.path.isfile(hv_path()):
            raise BenchError("%s is missing: run make" % hv_path())
        return Session(common, timeout=timeout)
    # Session's own command names mica's image (--hv): run hvrun as the
    # program, with Xen's.
    return Session(["--xen", a.xen, "--timeout", str(timeout),
                    "--hv-cmdline", " ".join(XEN_WORDS)] + common, program=HVRUN)


def machine(workdir):
    """{"cpus", "mem", "ips"} of the bochsrc hvrun wrote in workdir."""
    with open(os.path.join(workdir, "bochsrc")) as f:
        rc = f.read()
    cpu = re.search(r"^cpu: .*\bcount=(\d+).*\bips=(\d+)", rc, re.M)
    mem = re.search(r"^memory: guest=(\d+), host=(\d+)", rc, re.M)
    if not cpu or not mem:
        raise BenchError("%s/bochsrc: no cpu: count=, ips= or memory: line" % workdir)
    return {"cpus": int(cpu.group(1)), "ips": int(cpu.group(2)), "mem": int(mem.group(1))}


def run(a, kernel, initrd, workdir):
    """Boot, xl-bench, power off: ({figure: ticks}, xl-bench's lines, the
    boot's report)."""
    with session(a, kernel, initrd, workdir) as s:
        con = sc.SessionConsole(s)
        m = con.expect(sc.RE_UP, a.timeout)
        rep = {"release": m.group(1)}
        rep["tsc"] = int(con.expect(sc.RE_TSC, a.timeout).group(1))
        steps = dict(RE_XEN_STEP.findall(con.text))
        rep["steps"] = steps
        if not all(steps.get(st) == "ok" for st in XEN_STEPS):
            raise BenchError("Xen's daemons did not all start: %s" % steps)
        sh = sc.Shell(con)
        status, lines = sh.run("xl-bench%s" % (" -v" if a.verbose else ""), 900)
        if status != 0:
            raise BenchError("xl-bench failed (%d): %s" % (status, "\n".join(lines[-20:])))
        figures = {}
        for line in lines:
            m = RE_LINE.match(line.strip())
            if m:
                figures[m.group(1)] = int(m.group(2))
        if a.side == "mica":
            sc.power_off(sh)
            s.wait_for("mica: dom0 exit: poweroff", 180)
            status = s.finish(180)
            if status != 0:
                raise BenchError("hvrun ended with status %d" % status)
        # Under Xen dom0 owns ACPI and `poweroff -f` turns Bochs off
        # before Xen says "Hardware Dom0 halted" (hvrun takes that for a
        # failure): the session is closed instead, the figures are in.
    for k in ("domid", "create-return", "create-init"):
        if k not in figures:
            raise BenchError("xl-bench printed no %s: %s" % (k, "\n".join(lines[-20:])))
    if a.side == "mica" and "create-entry" not in figures:
        # xl dmesg's ring may have lost it: the serial line has it.
        m = re.search(RE_FIRST_ENTRY % figures["domid"], s.out)
        before = re.search(r"xl-bench: tsc before (\d+),", "\n".join(lines))
        if m and before:
            figures["create-entry"] = int(m.group(1)) - int(before.group(1))
    return figures, lines, rep


def main(argv):
    def on_signal(signum, frame):
        raise KeyboardInterrupt()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        a = parse(argv)
    except Usage as e:
        sys.stderr.write("bench_xl: error: %s\n" % e)
        return 2
    try:
        kernel, initrd = assets(a)
    except BenchError as e:
        sys.stderr.write("bench_xl: %s\n" % e)
        return 3
    tmp = tempfile.mkdtemp(prefix="bench_xl-")
    if a.keep:
        sys.stderr.write("bench_xl: workdir %s (kept)\n" % tmp)
    workdir = os.path.join(tmp, a.side)
    try:
        figures, lines, rep = run(a, kernel, initrd, workdir)
        m = machine(workdir)
        if (m["cpus"], m["mem"], m["ips"]) != (CPUS, MACHINE_MIB, IPS):
            raise BenchError("the bochsrc says %d CPUs, %d MiB, ips=%d, not %d, %d, %d"
                             % (m["cpus"], m["mem"], m["ips"], CPUS, MACHINE_MIB, IPS))
        print("bench_xl: %s: dom0 Linux %s, at its shell at TSC %d; Xen's daemons %s"
              % (a.side, rep["release"], rep["tsc"],
                 " ".join("%s:%s" % kv for kv in sorted(rep["steps"].items()))))
        for line in lines:
            if not RE_LINE.match(line.strip()):
                print("bench_xl: %s: %s" % (a.side, line))
        for k in ("domid", "create-return", "create-entry", "create-init"):
            if k in figures:
                print("xl-bench: %s %d" % (k, figures[k]))
        print("xl-bench: machine cpus=%d mem=%d ips=%d" % (m["cpus"], m["mem"], m["ips"]))
        return 0
    except (BenchError, AssertionError, ValueError, OSError, pytest.fail.Exception) as e:
        sc.report_failure("bench_xl", a.side, e)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("bench_xl: interrupted\n")
        return 130
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
