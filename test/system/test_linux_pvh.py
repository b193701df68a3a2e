"""Debian's Linux kernel as a PVH domU under mica (issue 5): it boots to
busybox on hvc0 (the console ring) with three vcpus on one physical CPU
(started by INIT/SIPI through the emulated LAPIC; /proc/cpuinfo counts
them, and each one's timer and PV IPIs fire), and commands are typed into its shell
through hvrun's stdin, the serial line and the console ring: uname -r,
cat /sys/hypervisor/type, grep xen /proc/interrupts (the timer's and the
console's event channels, both counting), a pipe, tty, a Ctrl-C that
stops a foreground job, then `poweroff -f` ends the domain with reason
poweroff.  `poweroff -f` halts the kernel ("reboot: System halted") with
interrupts off: as in Xen, the last vcpu going down in HLT with interrupts
off powers the domain off.

The kernel and initramfs come from tools/linux-assets (the same ones
test_linux_native.py boots without the hypervisor); without Debian's
registry and without a cache the test skips, saying why.  About 45 s of
wall time here (14 s of emulated time to the shell).

With `nox2apic` the same kernel stays in xAPIC mode and uses the local
APIC through its MMIO page; it boots and brings up its second vcpu."""

import json
import os
import re
import subprocess

import pytest

from conftest import REPO
from hvsession import Session

CONTROL = os.path.join(REPO, "build", "dom0.elf")


@pytest.fixture(scope="module")
def assets(linux_assets_dir):
    with open(os.path.join(linux_assets_dir, "assets.json")) as f:
        release = json.load(f)["kernel_release"]
    return (os.path.join(linux_assets_dir, "vmlinuz"),
            os.path.join(linux_assets_dir, "initramfs.cpio.gz"), release)


PROMPT = "mica-guest:/# "
VCPUS = 3  # on one physical CPU
ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # busybox asks the terminal its size


# A line with a timestamp is the hypervisor's or an unfocused domain's
# ("[time] (domu2) ..."); the focused domain's lines come raw, without one.
RE_STAMPED = re.compile(r"^\[[0-9a-f .:-]+\] ")


def shell(s, command, timeout=60):
    """Type a command into the shell of the domain with the focus; the
    lines it printed (raw).  Stamped lines of others, which may come
    between, are left out."""
    s.type(command.encode() + b"\r")
    s.wait_for(command)  # the shell's echo, on the prompt's line
    text = ESC.sub("", s.wait_for(PROMPT, timeout).replace("\r", ""))
    # The first line is the end of the echo's, the last the prompt's start.
    return [l for l in text.split("\n")[1:-1] if not RE_STAMPED.match(l)]


def test_linux_boots_to_a_shell_typed_into(assets):
    vmlinuz, initramfs, release = assets
    with Session(["--emulator", "bochs",
                  "--domu", "%s,mem=256,vcpus=%d,initrd=%s,cmdline=console=hvc0 quiet"
                  % (vmlinuz, VCPUS, initramfs)], timeout=2400, terminal=True) as s:
        # The only domain has the focus: its console comes raw.
        s.wait_for("\nmica-init: Linux %s up, console hvc0" % release, 900)
        s.wait_for(PROMPT, 120)

        def run(command, timeout=60):
            return shell(s, command, timeout)

        assert run("uname -r") == [release]
        assert run("cat /sys/hypervisor/type") == ["xen"]
        assert run("grep -c ^processor /proc/cpuinfo") == [str(VCPUS)]
        assert run("cat /sys/devices/system/cpu/online") == ["0-%d" % (VCPUS - 1)]
        # "  0:   960   0   0  xen-percpu    -virq      timer0": a count per CPU.
        irqs = {}
        for l in run("grep xen /proc/interrupts"):
            m = re.match(r" *\d+:((?: +\d+){%d}) +(xen-\S+) +(-\S+) +(\S+)$" % VCPUS, l)
            assert m, l
            irqs[m.group(4)] = ([int(n) for n in m.group(1).split()], m.group(2) + m.group(3))
        for cpu in range(VCPUS):
            # Each CPU's timer and its PV IPIs (event channels bound with
            # EVTCHNOP_bind_ipi) have fired on that CPU.
            assert irqs["timer%d" % cpu][1] == "xen-percpu-virq", irqs
            assert irqs["timer%d" % cpu][0][cpu] > 0, irqs
            for ipi in ("resched%d" % cpu, "callfuncsingle%d" % cpu):
                assert irqs[ipi][1] == "xen-percpu-ipi", irqs
            assert irqs["resched%d" % cpu][0][cpu] + irqs["callfuncsingle%d" % cpu][0][cpu] > 0, irqs
        assert irqs.get("hvc_console", ([], ""))[1].startswith("xen-dyn"), irqs
        assert sum(irqs["hvc_console"][0]) > 0, irqs
        assert run("echo hello mica | tr a-z A-Z | rev") == ["ACIM OLLEH"]
        assert run("tty") == ["/dev/hvc0"]
        # The console is the shell's controlling terminal: Ctrl-C stops the
        # foreground job (typed once "sleeping" shows line editing is over).
        s.type(b"echo sleeping; sleep 1000\r")
        s.wait_for("\nsleeping\r")
        s.type(b"\x03")
        s.wait_for(PROMPT)
        assert run("echo back") == ["back"]

        s.type(b"poweroff -f\r")
        s.wait_for("mica: domu1 exit: poweroff", 120)
        s.wait_for("mica: power off")
        assert s.finish() == 0
    out = s.out.decode("utf-8", "replace")
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed"):
        assert bad not in out, out[-4000:]


def test_two_linux_guests_and_a_control_domain(assets):
    """Two Linux domUs and a small control domain (dom0/control.c as
    dom0) side by side on one physical CPU, each with its own console:
    both shells answer, the control domain lists the three, destroys
    domu1, and domu2 and the control domain run on."""
    vmlinuz, initramfs, release = assets
    linux = "%s,mem=128,initrd=%s,cmdline=console=hvc0 quiet" % (vmlinuz, initramfs)

    def focus(dom, prompt=None):
        s.type(b"\x01\x01\x01")
        s.wait_for("mica: console input goes to %s" % dom)
        if prompt:  # held while unfocused, or cut by other output: shown now
            s.wait_for(prompt, 60)

    def control(command):
        """Type a command into the control domain; its answer lines."""
        s.type(command.encode() + b"\r")
        s.wait_for(command)  # its echo (after the prompt, shown again if it was cut)
        text = s.wait_for("control> ").replace("\r", "")
        return [l[len("control: "):] for l in text.split("\n") if l.startswith("control: ")]

    with Session(["--emulator", "bochs", "--dom0", CONTROL, "--domu", linux, "--domu", linux],
                 timeout=2400, terminal=True) as s:
        s.wait_for("control> ", 120)  # dom0 has the focus: raw
        s.wait_for_all(["(domu1) mica-init: Linux %s up" % release,
                        "(domu2) mica-init: Linux %s up" % release], 1200)
        listed = [l for l in control("list") if l[:1].isdigit()]  # the domains' lines
        assert [l.split()[:2] for l in listed] == [["0", "running"], ["1", "running"],
                                                  ["2", "running"]], listed
        focus("domu1", PROMPT)
        assert shell(s, "echo one-$((6*7))") == ["one-42"]
        focus("domu2", PROMPT)
        assert shell(s, "echo two-$((6*7))") == ["two-42"]
        focus("dom0", "control> ")
        assert control("destroy 1") == ["destroy 1: done"]
        s.wait_for("\ncontrol: domain 1 has ended")
        s.wait_for("control> ")  # the prompt again after the news
        listed = [l for l in control("list") if l[:1].isdigit()]
        assert [l.split()[:2] for l in listed] == [["0", "running"], ["2", "running"]], listed
        focus("domu2", PROMPT)  # domu1 is gone: from dom0 the focus goes to domu2
        assert shell(s, "uname -r") == [release]
        s.type(b"poweroff -f\r")
        s.wait_for("domu2: shutdown requested: poweroff", 120)
        s.wait_for("mica: console input goes to dom0")
        s.type(b"quit\r")
        s.wait_for("\ncontrol: quitting")
        s.wait_for("mica: power off", 60)
        assert s.finish() == 0
    out = s.out.decode("utf-8", "replace")
    assert "domu1: destroyed by dom0" in out, out[-4000:]
    assert "mica: domu2 exit: poweroff" in out, out[-4000:]
    assert "mica: dom0 exit: poweroff" in out, out[-4000:]
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed"):
        assert bad not in out, out[-4000:]


def test_linux_with_nox2apic(assets):
    """Linux told `nox2apic` keeps its local APIC in xAPIC mode, where a
    Xen vcpu's starts (vlapic_reset), and drives it through the MMIO page
    at 0xfee00000 (issue 15 item 4): it boots to the shell and starts
    its second vcpu by INIT/SIPI through the page's ICR."""
    vmlinuz, initramfs, release = assets
    with Session(["--emulator", "bochs",
                  "--domu", "%s,mem=256,vcpus=2,initrd=%s,cmdline=console=hvc0 nox2apic"
                  % (vmlinuz, initramfs)], timeout=2400, terminal=True) as s:
        s.wait_for("\nmica-init: Linux %s up, console hvc0" % release, 900)
        s.wait_for(PROMPT, 120)
        assert shell(s, "cat /sys/devices/system/cpu/online") == ["0-1"]
        s.type(b"poweroff -f\r")
        s.wait_for("mica: domu1 exit: poweroff", 120)
        s.wait_for("mica: power off")
        assert s.finish() == 0
    out = s.out.decode("utf-8", "replace")
    assert "Kernel command line: console=hvc0 nox2apic" in out, out[-4000:]
    assert "x2apic enabled" not in out, out[-4000:]  # what Linux says when it switches
    assert "domu1: vcpu 1 started by INIT/SIPI" in out, out[-4000:]
    # The page is the APIC's: no access to it was a hole.
    assert "at gpa 0xfee00" not in out, out[-4000:]
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed"):
        assert bad not in out, out[-4000:]
