#!/usr/bin/python3
"""bench_dom0: the dom0 figures of `make bench` (issue 17): Debian's
generic kernel owning the machine's devices, natively in Bochs or as
mica's PVH dom0, all three figures from one boot.

usage: bench_dom0.py native|mica [--assets DIR] [--cpuid-tsc] [--timeout SECONDS]
                     [--keep]

The kernel and initramfs are tools/linux-assets --flavour dom0's (default
build/linux-dom0); the machine is the one test_linux_dom0_native.py and
test_linux_dom0.py boot (test/system/dom0scenario.py: native_boot(),
mica_session()): Bochs, 1 CPU, an e1000 on slirp, an ext4 disk made here
on the second IDE channel, Linux given 512 MiB (natively the machine's;
under mica a 1024 MiB machine, dom0 mem=512 with devices=host), Bochs at
ips=100000000.  The command lines: `console=hvc0 nokaslr quiet` under
mica (a PVH boot has no KASLR to turn off), natively `console=ttyS0
nokaslr quiet tsc_early_khz=100000`: Bochs' CPUID says 3.5 GHz while its
TSC counts 100 M ticks per emulated second, and a native kernel that
believes CPUID spins 35 times too long in every udelay() (under mica the
Xen clock gives it the TSC's real rate).  --cpuid-tsc leaves
tsc_early_khz out.  The steps on the shell are dom0scenario.py's:

  boot   TSC ticks up to /init's `linux-boot-tsc`, printed after the
         modules for the disk, ext4 and the NIC have loaded and probed
         their devices.  Natively from vmlinux's entry (startup_64, after
         BIOS, GRUB and the xz decompressor: Bochs' debugger stops there,
         see tools/linux_native.py); under mica from dom0's first
         instruction (the TSC the hypervisor logs at dom0's first VM
         entry; dom0 reads the host's TSC, not offset).
  dd     TSC ticks of `dd if=/dev/sda of=/dev/null bs=1M count=32`, from
         `tscmark` before it to `tscmark` after it, on the cold disk.
  irqs   the interrupts of the disk's line (ata_piix in /proc/interrupts)
         over that dd, and per emulated second: irqs / (dd / ips), ips
         being the bochsrc's (clock: sync=none: TSC ticks per second).

It prints what it saw, then these lines:
    dom0-bench: boot N
    dom0-bench: dd N
    dom0-bench: dd-irqs N
    dom0-bench: ips N
    dom0-bench: irqs-per-s X
About 4 minutes of wall time natively (half of it the xz decompressor,
which GRUB's only way into this kernel runs; see README "Benchmarks"),
1.5 minutes under mica.

Exit status: 0 done; 1 the boot or a step failed (the last line
"bench_dom0: <reason>"); 2 bad usage; 3 the dom0 assets are missing (run
tools/linux-assets --flavour dom0); 130 interrupted."""

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
import pytest  # noqa: E402  (dom0scenario's checks fail through it)
import dom0scenario as sc  # noqa: E402
import hvrun_emu  # noqa: E402
import linux_native  # noqa: E402
from conftest import hv_path  # noqa: E402
from linux_native import BootError  # noqa: E402

DEFAULT_ASSETS = os.path.join(REPO, "build", "linux-dom0")
IPS = 100000000  # Bochs' instructions, and TSC ticks, per emulated second
MICA_CMDLINE = linux_native.DEFAULT_CMDLINE.replace("console=ttyS0", "console=hvc0")
# Natively Linux takes the TSC for the 3.5 GHz CPUID gives (Bochs'
# skylake_x), where it runs at IPS ticks per emulated second, so each
# udelay() spins 35 times too long; as mica's dom0 it has the rate from the
# Xen clock (pvclock).  tsc_early_khz tells the native kernel the same.
NATIVE_CMDLINE = "%s tsc_early_khz=%d" % (linux_native.DEFAULT_CMDLINE, IPS // 1000)
RE_FIRST_ENTRY = re.compile(rb"\bdom0: first entry at TSC (\d+)")


class Usage(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Usage(message)


def parse(argv):
    p = Parser(prog="bench_dom0.py", description=__doc__.split("\n\n", 1)[1],
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("side", choices=("native", "mica"),
                   help="boot natively or as mica's dom0")
    p.add_argument("--assets", default=DEFAULT_ASSETS, metavar="DIR",
                   help="tools/linux-assets --flavour dom0's directory "
                        "(default build/linux-dom0)")
    p.add_argument("--cpuid-tsc", action="store_true",
                   help="native: no tsc_early_khz, Linux takes the TSC's rate from "
                        "CPUID (3.5 GHz)")
    p.add_argument("--timeout", type=int, default=900, metavar="SECONDS",
                   help="wall time allowed for the boot to the shell (default 900)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (disk, Bochs' files and logs)")
    a = p.parse_args(argv)
    if a.timeout < 1:
        raise Usage("--timeout must be at least 1")
    if a.cpuid_tsc and a.side != "native":
        raise Usage("--cpuid-tsc is for the native boot")
    a.cmdline = (MICA_CMDLINE if a.side == "mica" else
                 linux_native.DEFAULT_CMDLINE if a.cpuid_tsc else NATIVE_CMDLINE)
    return a


def measure(con):
    """dom0scenario's steps on a console at the shell: the dd and its
    disk interrupts, then `poweroff -f`.  (device, dd, (irq, count, line))."""
    sh = sc.Shell(con)
    dev = sc.disk_name(sh)
    dd = sc.measure_dd(sh, dev)
    irq = sc.disk_irq(dd)
    sc.power_off(sh)
    return dev, dd, irq


def run_native(a, assets, disk, workdir):
    """(TSC at vmlinux's entry, boot_report, device, dd, irq, ips)."""
    with sc.native_boot(assets, workdir, disk, cmdline=a.cmdline, ips=IPS) as boot:
        rep = sc.boot_report(boot, a.timeout)
        boot.expect(linux_native.RE_PROMPT, 60)
        dev, dd, irq = measure(boot)
        why = boot.wait_exit(60)
        if why != "power off":
            raise BootError("Bochs ended without powering off: %s" % why)
        ticks = boot.entry_ticks()
    if "vmlinux" not in ticks:
        raise BootError("Bochs' debugger never stopped at vmlinux's entry 0x%x"
                        % boot.entry[0])
    return ticks["vmlinux"], rep, dev, dd, irq, hvrun_emu.bochsrc_ips(workdir)


def run_mica(a, assets, disk, workdir):
    """(TSC at dom0's first instruction, boot_report, device, dd, irq, ips)."""
    if not os.path.isfile(hv_path()):
        raise BootError("%s is missing: run make" % hv_path())
    with sc.mica_session(assets.dir, disk, timeout=a.timeout + 600, cmdline=a.cmdline,
                         args=["--ips", str(IPS), "--workdir", workdir]) as s:
        con = sc.SessionConsole(s)
        rep = sc.boot_report(con, a.timeout)
        dev, dd, irq = measure(con)
        s.wait_for("mica: dom0 exit: poweroff", 120)
        status = s.finish(120)
        if status != 0:
            raise BootError("hvrun ended with status %d" % status)
    m = RE_FIRST_ENTRY.search(s.out)
    if not m:
        raise BootError("the hypervisor logged no \"dom0: first entry at TSC\"")
    return int(m.group(1)), rep, dev, dd, irq, hvrun_emu.bochsrc_ips(workdir)


def report(a, start, rep, dev, dd, irq, ips):
    if not start < rep["modules_tsc"] < rep["tsc"]:
        raise BootError("the TSC went backwards: start %d, modules %d, shell %d"
                        % (start, rep["modules_tsc"], rep["tsc"]))
    if ips != IPS:
        raise BootError("the bochsrc says ips=%d, not %d" % (ips, IPS))
    side = a.side
    n, count, line = irq
    secs = dd["ticks"] / ips
    print("bench_dom0: %s: Linux %s, '%s', %d modules"
          % (side, rep["release"], a.cmdline, len(rep["modules"])))
    print("bench_dom0: %s: TSC at the start %d, at /init's modules %d, at the shell %d"
          % (side, start, rep["modules_tsc"], rep["tsc"]))
    print("bench_dom0: %s: to /init's modules %d, loading them %d"
          % (side, rep["modules_tsc"] - start, rep["tsc"] - rep["modules_tsc"]))
    print("bench_dom0: %s: dd of %d MiB from /dev/%s: %d ticks (%.4f s at %d ips), "
          "%d interrupts on IRQ %d (%s)" % (side, sc.DD_MIB, dev, dd["ticks"], secs, ips,
                                            count, n, line))
    print("dom0-bench: boot %d" % (rep["tsc"] - start))
    print("dom0-bench: dd %d" % dd["ticks"])
    print("dom0-bench: dd-irqs %d" % count)
    print("dom0-bench: ips %d" % ips)
    print("dom0-bench: irqs-per-s %.1f" % (count / secs))


def main(argv):
    def on_signal(signum, frame):
        raise KeyboardInterrupt()
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        a = parse(argv)
    except Usage as e:
        sys.stderr.write("bench_dom0: error: %s\n" % e)
        return 2
    try:
        assets = linux_native.Assets(a.assets)
    except BootError:
        sys.stderr.write("bench_dom0: no dom0 assets in %s: run tools/linux-assets "
                         "--flavour dom0\n" % a.assets)
        return 3
    tmp = tempfile.mkdtemp(prefix="bench_dom0-")
    if a.keep:
        sys.stderr.write("bench_dom0: workdir %s (kept)\n" % tmp)
    try:
        disk = sc.make_disk(os.path.join(tmp, "disk.img"))
        hvrun_emu.check_disk(disk, "bochs")
        run = run_native if a.side == "native" else run_mica
        report(a, *run(a, assets, disk, os.path.join(tmp, a.side)))
        return 0
    except (BootError, AssertionError, ValueError, OSError, pytest.fail.Exception) as e:
        sc.report_failure("bench_dom0", a.side, e)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("bench_dom0: interrupted\n")
        return 130
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
