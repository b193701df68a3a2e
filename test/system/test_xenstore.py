"""dom0's xenstore (dom0/xenstore.c, xsdomain.c) with Debian's Linux as a
PVH guest that dom0 builds (`create`), under Bochs, in one boot:

- Linux's xenbus connects to the ring dom0 gave it (dom0 says "xenstore:
  domain 1 connected"; no "xenbus ... failed" in Linux's log; its xenbus
  interrupt counts) and writes its keys (control/feature-poweroff, which
  dom0's `store` shows);
- `mem 1 192` writes memory/target and Linux's balloon driver gives the
  memory back (its current_kb, MemTotal, and dom0's `list`), `mem 1 256`
  takes it again;
- `shutdown 1` writes control/shutdown = poweroff: Linux's shutdown watch
  acknowledges it (the node goes back to "") and powers off in order
  (the kernel's orderly_poweroff runs its poweroff_cmd: see below), and
  dom0 announces the end and drops the domain's store.

The initramfs's PID 1 is an interactive shell, which ignores the signal
busybox's `poweroff` sends to init, so the test points the kernel's
poweroff_cmd (what orderly_poweroff runs) at a script that says so, syncs
and powers off with `poweroff -f` as a real init would at the end of its
shutdown.  About 50 s of wall time here."""

import os
import re

import pytest

from conftest import REPO
from hvsession import Session

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

CONTROL = os.path.join(REPO, "build", "dom0.elf")
PROMPT = "mica-guest:/# "
ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
RE_STAMPED = re.compile(r"^\[[0-9a-f .:-]+\] ")
SYSFS = "/sys/devices/system/xen_memory/xen_memory0"


@pytest.fixture(scope="module")
def linux(linux_assets_dir):
    return (os.path.join(linux_assets_dir, "vmlinux"),
            os.path.join(linux_assets_dir, "initramfs.cpio.gz"))


def shell(s, command, timeout=60):
    """Type a command into the focused domain's shell; its output lines."""
    s.type(command.encode() + b"\r")
    s.wait_for(command)
    text = ESC.sub("", s.wait_for(PROMPT, timeout).replace("\r", ""))
    return [l for l in text.split("\n")[1:-1] if not RE_STAMPED.match(l)]


def number(s, command):
    out = shell(s, command)
    assert len(out) == 1 and out[0].strip().isdigit(), out
    return int(out[0])


def control(s, command, timeout=60):
    """Type a command into the control domain; its answer lines."""
    s.type(command.encode() + b"\r")
    s.wait_for(command)
    text = s.wait_for("control> ", timeout).replace("\r", "")
    return [l[len("control: "):] for l in text.split("\n") if l.startswith("control: ")]


def focus(s, dom, prompt=None):
    s.type(b"\x01\x01\x01")
    s.wait_for("mica: console input goes to %s" % dom)
    if prompt:
        s.wait_for(prompt, 60)


def mib_of_domu1(s):
    return list_domu1(s)[0]


def list_domu1(s):
    """dom0's `list`: domain 1's memory in MiB, and the free pages
    (sysctl physinfo)."""
    mib = free = None
    for l in control(s, "list"):
        f = l.split()
        if f[:1] == ["1"]:
            mib = int(f[3])
        if f[:2] == ["free", "memory:"]:
            free = int(f[2])
    if mib is None or free is None:
        pytest.fail("no domain 1 or no free memory in dom0's list")
    return mib, free


def test_xenstore_balloon_target_and_shutdown(linux):
    vmlinux, initramfs = linux
    dom0 = "%s,mem=96,cmdline=exec=create linux mem=256 -- console=hvc0" % CONTROL
    with Session(["--emulator", "bochs", "--mem", "768", "--dom0", dom0,
                  "--image", "linux=" + vmlinux, "--ramdisk", "linux=" + initramfs],
                 timeout=900, terminal=True) as s:
        s.wait_for("control: create linux: domain 1, 256 MiB", 300)
        s.wait_for("control: xenstore: domain 1 connected", 300)
        s.wait_for("(domu1) mica-init: Linux ", 300)
        s.wait_for("(domu1) Enter 'help' for a list of built-in commands.", 60)
        # What Linux wrote: its shutdown features, answered in its home.
        nodes = control(s, "store /local/domain/1/control")
        assert '/local/domain/1/control/feature-poweroff = "1"' in nodes, nodes
        assert '/local/domain/1/control/shutdown = ""' in nodes, nodes
        mib0, free0 = list_domu1(s)
        assert mib0 == 256, mib0

        focus(s, "domu1", PROMPT)
        assert not [l for l in shell(s, "dmesg | grep -i xenbus") if "fail" in l.lower()]
        irq = shell(s, "grep xenbus /proc/interrupts")
        assert len(irq) == 1 and int(irq[0].split()[1]) > 0, irq
        shell(s, "S=" + SYSFS)
        shell(s, "C=$S/info/current_kb")
        shell(s, "w(){ until [ $(cat $C) -le $1 ];do sleep 1;done;}")
        shell(s, "u(){ until [ $(cat $C) -ge $1 ];do sleep 1;done;}")
        cur0 = number(s, "cat $C")
        total0 = number(s, "awk '/MemTotal/{print $2}' /proc/meminfo")
        assert number(s, "cat $S/target_kb") == cur0

        focus(s, "dom0", "control> ")
        said = control(s, "mem 1 192")
        assert "mem 1: memory/target = 196608 KiB (its balloon driver follows)" in said, said
        focus(s, "domu1", PROMPT)
        # The driver's target is memory/target less what the kernel does
        # not count as its own (static-max against its pages at the start).
        target = number(s, "cat $S/target_kb")
        assert abs(target - (cur0 - 65536)) <= 1024, (cur0, target)
        shell(s, "w %d" % target, 180)
        cur = number(s, "cat $C")
        total = number(s, "awk '/MemTotal/{print $2}' /proc/meminfo")
        assert abs(cur - 196608) <= 1024, cur
        assert total0 - total == cur0 - cur, (total0, total, cur0, cur)
        focus(s, "dom0", "control> ")
        # Outside, the free pool (physinfo) grew by what the guest gave,
        # less the EPT tables that split its 2 MiB pages took (one page per
        # 2 MiB region touched: 32 for 64 MiB, and a few more).
        mib, free = list_domu1(s)
        given = (cur0 - cur) // 4
        assert mib == 192 and given - 64 <= free - free0 <= given, (free0, free, cur0, cur)

        said = control(s, "mem 1 256")
        assert "mem 1: memory/target = 262144 KiB (its balloon driver follows)" in said, said
        focus(s, "domu1", PROMPT)
        shell(s, "u %d" % cur0, 180)
        assert number(s, "cat $C") == cur0
        assert number(s, "awk '/MemTotal/{print $2}' /proc/meminfo") == total0
        # orderly_poweroff's command: see the top.
        shell(s, "echo '#!/bin/sh' >/sbin/off")
        shell(s, "echo 'echo orderly poweroff >/dev/kmsg' >>/sbin/off")
        shell(s, "echo 'sync;poweroff -f' >>/sbin/off")
        shell(s, "chmod +x /sbin/off")
        shell(s, "echo /sbin/off >/proc/sys/kernel/poweroff_cmd")

        focus(s, "dom0", "control> ")
        assert mib_of_domu1(s) == 256
        said = control(s, "shutdown 1")
        assert said == ["shutdown 1: asked (control/shutdown = poweroff)"], said
        s.wait_for("] orderly poweroff", 120)
        s.wait_for("] reboot: ", 60)
        s.wait_for("domu1: shutdown requested: poweroff", 60)
        s.wait_for("\ncontrol: domain 1 has ended", 60)
        s.wait_for("control> ")
        assert control(s, "store /local/domain/1") == ["store /local/domain/1: ENOENT"]
        listed = [l for l in control(s, "list") if l[:1].isdigit()]
        # (Shut down, and not destroyed: dom0 leaves that to `destroy`.)
        assert [l.split()[:3] for l in listed] == [["0", "running", "1"],
                                                      ["1", "shut", "down"]], listed
        s.type(b"quit\r")
        s.wait_for("\ncontrol: quitting")
        s.wait_for("mica: power off", 60)
        assert s.finish() == 0
    out = s.out.decode("utf-8", "replace")
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed",
                "served no more", "RAM frames not given back"):
        assert bad not in out, out[-4000:]
