"""Ballooning: a domain gives memory back and takes it again while it runs
(XENMEM_decrease_reservation, populate_physmap, increase_reservation;
hv/memory_reservation.c and mm/guestmem.c), from test/guests/balloon.c
under Bochs: the extents done as Xen 4.19 counts them, current and
maximum reservation kept true, the free pool (sysctl physinfo) moving by
exactly the pages given and taken, refusals that change nothing, and every
frame given back when the domain ends."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

GUESTS = os.path.join(REPO, "build", "guests")
BALLOON = os.path.join(GUESTS, "balloon.elf")
EVENTS = os.path.join(GUESTS, "events.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


def passed(run, dom, least):
    counts = guest(run.serial, dom, r"balloon: (\d+) checks, (\d+) failed")
    assert counts is not None, describe(run)
    fails = [l for l in hvout.lines(run.serial) if "balloon: FAIL" in l]
    assert int(counts[1]) == 0 and not fails, "\n".join(fails) or describe(run)
    assert int(counts[0]) >= least, describe(run)


def nothing_kept(run):
    for l in hvout.lines(run.serial):
        assert "RAM frames not given back" not in l, l
        assert "unhandled VM exit" not in l and "VM entry failed" not in l, l


def test_balloon_as_dom0(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", BALLOON, "--timeout", "120")
    assert run.status == 0, describe(run)
    passed(run, "dom0", 43)
    assert hvout.has_line(run.serial, "mica: dom0 exit: poweroff"), describe(run)
    nothing_kept(run)


def test_balloon_as_domu(hvrun):
    # dom0 sleeps in SCHEDOP_poll meanwhile; a domU may not act for dom0.
    run = hvrun("--emulator", "bochs", "--dom0", EVENTS + ",cmdline=mode=sleep ms=400",
                "--domu", BALLOON, "--timeout", "120")
    assert run.status == 0, describe(run)
    passed(run, "domu1", 40)
    assert any("balloon: ok a domU for dom0: none done" in l for l in hvout.lines(run.serial))
    assert hvout.exit_reason(run.serial, "domu1") == "poweroff", describe(run)
    nothing_kept(run)


def test_balloon_64_mib_down_and_up(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", BALLOON + ",mem=128,cmdline=bench=64",
                "--timeout", "120")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert any(re.search(r"balloon: decrease 64 MiB: \d+ ticks", l) for l in ls), describe(run)
    assert any(re.search(r"balloon: increase 64 MiB: \d+ ticks", l) for l in ls), describe(run)
    assert not any("balloon: FAIL" in l for l in ls), describe(run)
    nothing_kept(run)


# ---- Linux's balloon driver (CONFIG_XEN_BALLOON) in a PVH domU ----

PROMPT = "mica-guest:/# "
ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
RE_STAMPED = re.compile(r"^\[[0-9a-f .:-]+\] ")
SYSFS = "/sys/devices/system/xen_memory/xen_memory0"


@pytest.fixture(scope="module")
def linux(linux_assets_dir):
    return (os.path.join(linux_assets_dir, "vmlinuz"),
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


def settle(s, want_kb, timeout=180):
    """Wait (in the guest; $S is SYSFS) until the balloon driver has reached
    want_kb (the shell function w); what current_kb then says.  (Commands
    stay short: a line the shell wraps does not echo as typed.)"""
    shell(s, "w %d" % want_kb, timeout)
    return number(s, "cat $C")


def test_linux_balloon_down_and_up(linux):
    """Writing a lower target_kb gives 64 MiB back; raising it takes 32 MiB
    again.  The guest stays healthy and its MemTotal follows; outside, the
    control domain's `list` (getdomaininfo's tot_pages) moves by the same
    amounts."""
    from hvsession import Session
    vmlinuz, initramfs = linux
    control_elf = os.path.join(REPO, "build", "dom0.elf")

    def focus(dom, prompt=None):
        s.type(b"\x01\x01\x01")
        s.wait_for("mica: console input goes to %s" % dom)
        if prompt:
            s.wait_for(prompt, 60)

    def mib_of_domu1():
        """The control domain's `list`: domu1's memory in MiB."""
        s.type(b"list\r")
        s.wait_for("list")
        text = s.wait_for("control> ").replace("\r", "")
        for l in text.split("\n"):
            f = l[len("control: "):].split() if l.startswith("control: ") else []
            if f[:1] == ["1"]:
                return int(f[3])
        pytest.fail("no domain 1 in the list:\n" + text)

    def meminfo_total():
        return number(s, "awk '/MemTotal/{print $2}' /proc/meminfo")

    with Session(["--emulator", "bochs", "--dom0", control_elf,
                  "--domu", "%s,mem=256,initrd=%s,cmdline=console=hvc0 quiet"
                  % (vmlinuz, initramfs)], timeout=2400, terminal=True) as s:
        s.wait_for("control> ", 120)
        s.wait_for("(domu1) mica-init: Linux ", 900)
        mib0 = mib_of_domu1()
        focus("domu1", PROMPT)
        shell(s, "S=" + SYSFS)
        shell(s, "C=$S/info/current_kb")
        shell(s, "w(){ until [ $(cat $C) = $1 ];do sleep 1;done;}")
        cur = number(s, "cat $C")
        total = meminfo_total()
        down = cur - 65536
        shell(s, "echo %d > $S/target_kb" % down)
        assert settle(s, down) == down
        total_down = meminfo_total()
        assert total - total_down == 65536, (total, total_down)
        # Still healthy: memory can be used (a 64 MiB file in tmpfs).
        # (A loaded host has made these take over a minute of wall time.)
        shell(s, "dd if=/dev/zero of=/tmp/f bs=1M count=64 2>/dev/null", 240)
        assert shell(s, "wc -c < /tmp/f", 240) == [str(64 << 20)]
        shell(s, "rm /tmp/f")
        focus("dom0", "control> ")
        mib_down = mib_of_domu1()
        assert mib0 - mib_down == 64, (mib0, mib_down)
        focus("domu1", PROMPT)
        up = down + 32768
        shell(s, "echo %d > $S/target_kb" % up)
        assert settle(s, up) == up
        assert meminfo_total() - total_down == 32768
        focus("dom0", "control> ")
        assert mib_of_domu1() - mib_down == 32
        focus("domu1", PROMPT)
        s.type(b"poweroff -f\r")
        s.wait_for("domu1: shutdown requested: poweroff", 120)
        s.wait_for("mica: console input goes to dom0")
        s.type(b"quit\r")
        s.wait_for("\ncontrol: quitting")
        s.wait_for("mica: power off", 60)
        assert s.finish() == 0
    out = s.out.decode("utf-8", "replace")
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed",
                "RAM frames not given back"):
        assert bad not in out, out[-4000:]
