"""Domains: PVH guests from test/guests run under Bochs (VT-x), a guest's
fault kills that guest only, and bad images are refused while the other
domains still run.

Guest lines come out as "(<domain>) <text>"; the hypervisor ends with
"mica: <domain> exit: <reason> (<N> port writes dropped, <E> exits)" per
domain."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe

GUESTS = os.path.join(REPO, "build", "guests")
HELLO = os.path.join(GUESTS, "hello.elf")
CRASH = os.path.join(GUESTS, "crash.elf")

pytestmark = [pytest.mark.boot]


def exit_line(serial, dom):
    for l in hvout.lines(serial):
        m = re.match(r"mica: %s exit: (\S+) \((\d+) port writes dropped, \d+ exits\)" % dom, l)
        if m:
            return m.group(1), int(m.group(2))
    return None


@pytest.mark.bochs
def test_hello_dom0(hvrun):
    cmdline = "hi there \"quoted\" $x;y"
    run = hvrun("--emulator", "bochs", "--dom0", HELLO + ",cmdline=" + cmdline,
                "--timeout", "90")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "dom0: built: 64 MiB, 1 vcpu(s), ELF64"), describe(run)
    # The guest read its command line from hvm_start_info, exactly.
    assert hvout.has_line(run.serial, "(dom0) hello: cmdline '%s'" % cmdline), describe(run)
    # dom0 gets SIF_PRIVILEGED | SIF_INITDOMAIN and a one-entry memory map.
    assert hvout.has_line(run.serial, "(dom0) hello: start info at"), describe(run)
    assert any("flags 0x3" in l for l in hvout.lines(run.serial)), describe(run)
    assert hvout.has_line(run.serial, "(dom0) hello: xen version 4.19"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert exit_line(run.serial, "dom0") == ("poweroff", 0), describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)


@pytest.mark.bochs
@pytest.mark.parametrize("kind,why", [
    ("triple", r"domu1: domain crashed: triple fault, rip 0x[0-9a-f]+"),
    ("ept", r"domu1: domain crashed: EPT violation: instruction fetch at gpa 0x7000000000, "
            r"rip 0x7000000000$"),
])
def test_guest_fault_kills_only_that_guest(hvrun, kind, why):
    run = hvrun("--emulator", "bochs", "--dom0", HELLO + ",cmdline=survivor",
                "--domu", CRASH + ",cmdline=crash=" + kind, "--timeout", "90")
    assert run.status == 0, describe(run)
    assert any(re.match(why, l) for l in hvout.lines(run.serial)), describe(run)
    assert exit_line(run.serial, "domu1")[0] == "crashed", describe(run)
    # The other domain did its work and the hypervisor powered off cleanly.
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert exit_line(run.serial, "dom0") == ("poweroff", 0), describe(run)
    assert hvout.has_line(run.serial, "domu1: crashed (16384 frames given back)"), describe(run)


@pytest.mark.bochs
def test_wild_port_io_is_dropped(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", CRASH + ",cmdline=crash=io", "--timeout", "90")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    reason, dropped = exit_line(run.serial, "dom0")
    # Every write the guest made (it counts them) was dropped and counted.
    m = [re.search(r"port I/O survived: (\d+) writes", l) for l in hvout.lines(run.serial)]
    writes = [int(x.group(1)) for x in m if x]
    assert reason == "poweroff" and writes and dropped == writes[0] > 300, describe(run)


@pytest.mark.bochs
def test_bad_images_are_refused_others_run(hvrun, hv_elf):
    # hv.elf is an x86-64 ELF without XEN_ELFNOTE_PHYS32_ENTRY; hello with
    # 1 MiB of RAM cannot hold its own segments.
    run = hvrun("--emulator", "bochs", "--dom0", HELLO + ",cmdline=still here",
                "--domu", hv_elf, "--domu", HELLO + ",mem=1", "--timeout", "90")
    assert run.status == 0, describe(run)
    assert hvout.has_line(
        run.serial, "domu1: refused: module 1 has no XEN_ELFNOTE_PHYS32_ENTRY"), describe(run)
    assert hvout.has_line(run.serial, "domu2: refused: segment 0x"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert exit_line(run.serial, "dom0") == ("poweroff", 0), describe(run)
    assert exit_line(run.serial, "domu1") is None  # never built


@pytest.mark.qemu
@pytest.mark.filterwarnings("ignore")
def test_no_vmx_refuses_domains_cleanly(hvrun):
    # The builder maps special pages (ACPI tables, a domU's console ring)
    # before it learns VT-x is missing: that must not INVEPT (#UD).
    run = hvrun("--emulator", "qemu", "--dom0", HELLO, "--domu", HELLO, "--timeout", "60")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "dom0: refused: VT-x is unavailable"), describe(run)
    assert hvout.has_line(run.serial, "domu1: refused: VT-x is unavailable"), describe(run)
    assert hvout.has_line(run.serial, "mica: no domain to run"), describe(run)


@pytest.mark.bochs
def test_domu_console_is_rate_limited(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", HELLO,
                "--domu", HELLO + ",cmdline=flood=1000", "--timeout", "120")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    domu = [l for l in ls if l.startswith("(domu1) flood ")]
    # 64-byte lines: a 16 KiB burst lets ~256 through, then 8 KiB/s.
    assert 200 < len(domu) < 600, len(domu)
    m = [re.match(r"mica: domu1: (\d+) console bytes dropped", l) for l in ls]
    dropped = [int(x.group(1)) for x in m if x]
    assert dropped and dropped[0] > 20000, describe(run)
    assert exit_line(run.serial, "domu1")[0] == "poweroff", describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)


@pytest.mark.bochs
def test_dom0_console_is_not_rate_limited(hvrun):
    run = hvrun("--emulator", "bochs", "--dom0", HELLO + ",cmdline=flood=600", "--timeout", "120")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert len([l for l in ls if l.startswith("(dom0) flood ")]) == 600, describe(run)
    assert not any("console bytes dropped" in l for l in ls), describe(run)


@pytest.mark.bochs
def test_guest_output_cannot_fake_hypervisor_markers(hvrun):
    """A guest line is "(dom0) ..."; whatever it says, the runner must not
    take it for the hypervisor's panic, reboot, power-off or banner."""
    fake = "PANIC: fake mica: reboot mica: power off mica 0.1: Xen PV ABI"
    run = hvrun("--emulator", "bochs", "--dom0", HELLO + ",cmdline=" + fake, "--timeout", "90")
    assert run.status == 0, describe(run)
    assert run.stderr.strip() == "", describe(run)
    assert hvout.has_line(run.serial, "(dom0) hello: cmdline '%s'" % fake), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)


@pytest.mark.bochs
def test_cpu_state_follows_the_vcpu(hvrun):
    """Two guests take turns on one CPU (SCHEDOP_yield), each with values
    of its own in the state that VMX does not switch (CR2, KERNEL_GS_BASE,
    XMM0, DR0) or switches only when told to (DR7, with a breakpoint
    enabled).  Each must find its own after every turn.  (CR2 once
    followed the CPU instead: a Linux dom0 process got a domU's fault
    address and was killed for it; DR0 did too, and DR7 was 0x400 after
    every exit.)"""
    run = hvrun("--emulator", "bochs",
                "--dom0", HELLO + ",cmdline=name=alpha regs=300",
                "--domu", HELLO + ",cmdline=name=beta regs=300", "--timeout", "120")
    assert run.status == 0, describe(run)
    for dom in ("dom0", "domu1"):
        m = hvout.guest(run.serial, dom, r"hello: regs: 300 rounds, (\d+) values not its own, "
                        r"(\d+) ns waiting for the CPU$")
        assert m, describe(run)
        bad, waited = map(int, m)
        # The other guest ran while this one waited, and left nothing.
        assert bad == 0 and waited > 0, describe(run)
        assert hvout.has_line(run.serial, "(%s) TEST PASS" % dom), describe(run)
        assert exit_line(run.serial, dom) == ("poweroff", 0), describe(run)


@pytest.mark.bochs
def test_cr8_leaves_the_hypervisor_its_interrupts(hvrun):
    """A guest that raises its task priority to the top (MOV to CR8 of 15)
    and spins must still be preempted: its CR8 is its own emulated APIC's
    TPR (it reads back 15), never the host's, which would keep the
    hypervisor's timer out and give the guest the CPU for as long as it
    likes (it did: the hog waited 0 ns, its peer the whole time)."""
    run = hvrun("--emulator", "bochs",
                "--dom0", HELLO + ",cmdline=name=peer spin=20",
                "--domu", HELLO + ",cmdline=name=hog spin=20 cr8=15", "--timeout", "180")
    assert run.status == 0, describe(run)
    for dom, cr8 in (("dom0", 0), ("domu1", 15)):
        m = hvout.guest(run.serial, dom, r"hello: spin: CR8 %d read back as (\d+), 20 million "
                        r"rounds, (\d+) ns waiting for the CPU$" % cr8)
        assert m, describe(run)
        got, waited = map(int, m)
        # Each waited while the other spun: they took turns.
        assert got == cr8 and waited > 100000000, describe(run)
        assert exit_line(run.serial, dom) == ("poweroff", 0), describe(run)
