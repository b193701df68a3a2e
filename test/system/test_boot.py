"""The hypervisor boots under Bochs and QEMU, reports its machine, powers off."""

import re

import pytest

import hvout
from hvout import MiB, describe

IPS = 100000000

# Argument lists shared through the `boot` fixture's cache: one emulator run
# serves every test that asks for the same list.
BOCHS_128 = ("--emulator", "bochs", "--mem", "128", "--ips", str(IPS))
BOCHS_256 = ("--emulator", "bochs", "--mem", "256", "--ips", str(IPS))
QEMU_128 = ("--emulator", "qemu", "--mem", "128")
QEMU_256 = ("--emulator", "qemu", "--mem", "256")
QEMU_UEFI = ("--emulator", "qemu", "--firmware", "uefi", "--mem", "256",
             "--timeout", "90")

QEMU_EFI = ("--emulator", "qemu", "--boot", "efi", "--mem", "256", "--timeout", "90")

bochs = [pytest.mark.boot, pytest.mark.bochs]
qemu = [pytest.mark.boot, pytest.mark.qemu]

MACHINES = [
    pytest.param(BOCHS_128, id="bochs-bios", marks=bochs),
    pytest.param(QEMU_128, id="qemu-bios", marks=qemu),
    pytest.param(QEMU_UEFI, id="qemu-uefi", marks=qemu),
    pytest.param(QEMU_EFI, id="qemu-hv.efi", marks=qemu),
]


def mem_of(args):
    return int(args[list(args).index("--mem") + 1])


@pytest.mark.parametrize("args", MACHINES)
def test_boots_and_powers_off(boot, args):
    run = boot(*args)
    assert run.status == 0, describe(run)
    assert run.stderr.strip() == "", describe(run)
    assert hvout.banner(run.serial), describe(run)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)
    # In that order, and only once each (no reset in between).
    ls = hvout.lines(run.serial)
    first = [next(i for i, l in enumerate(ls) if pred(l)) for pred in (
        lambda l: "mica " in l and "Xen PV ABI" in l,
        lambda l: l.startswith("mica: ready"),
        lambda l: l.startswith("mica: power off"))]
    assert first == sorted(first), describe(run)
    assert len(hvout.banner(run.serial)) == 1, describe(run)


def check_map(regions):
    assert regions, "no mem: lines"
    for start, end, _ in regions:
        assert start < end, "empty or inverted region %#x-%#x" % (start, end)
    for (s0, e0, _), (s1, e1, _) in zip(regions, regions[1:]):
        assert e0 <= s1, "unsorted or overlapping %#x-%#x / %#x-%#x" % (s0, e0, s1, e1)


@pytest.mark.parametrize("args", [
    pytest.param(BOCHS_128, id="bochs-128", marks=bochs),
    pytest.param(BOCHS_256, id="bochs-256", marks=bochs),
    pytest.param(QEMU_128, id="qemu-128", marks=qemu),
    pytest.param(QEMU_256, id="qemu-256", marks=qemu),
])
def test_memory_map_bios(boot, args):
    """The firmware's map, sorted, non-overlapping; RAM is --mem minus the
    BIOS holes (under 2 MiB)."""
    run = boot(*args)
    assert run.status == 0, describe(run)
    regions = hvout.mem_regions(run.serial)
    check_map(regions)
    ram = sum(e - s for s, e, t in regions if t == "RAM")
    mem = mem_of(args) * MiB
    assert mem - 2 * MiB <= ram <= mem, "RAM %d bytes for --mem %d MiB" % (ram, mem // MiB)
    # Low memory and the 1 MiB boundary are where the BIOS says.
    assert any(t == "RAM" and s == 0 for s, e, t in regions)
    assert any(t == "RAM" and s <= MiB < e for s, e, t in regions)


@pytest.mark.qemu
@pytest.mark.boot
def test_memory_map_uefi(boot):
    """OVMF keeps more for itself (runtime services, NVS, ACPI): check shape and
    that most memory is RAM."""
    run = boot(*QEMU_UEFI)
    assert run.status == 0, describe(run)
    regions = hvout.mem_regions(run.serial)
    check_map(regions)
    ram = sum(e - s for s, e, t in regions if t == "RAM")
    mem = mem_of(QEMU_UEFI) * MiB
    assert mem * 3 // 4 <= ram <= mem, "RAM %d bytes" % ram


def within(value, expect, pct=2.0):
    return abs(value - expect) <= expect * pct / 100.0


@pytest.mark.boot
@pytest.mark.bochs
@pytest.mark.parametrize("ips", [100000000, 50000000])
def test_timer_calibration_bochs(boot, ips):
    """clock: sync=none: the TSC advances once per instruction, so it runs at
    ips/1000 kHz.  Bochs' LAPIC timer (divide by 1) counts at the same rate
    (measured: 100004 kHz at ips=100000000, 50002 kHz at 50000000)."""
    run = boot("--emulator", "bochs", "--mem", "128", "--ips", str(ips))
    assert run.status == 0, describe(run)
    t = hvout.timer(run.serial)
    assert t, "no time: line\n" + describe(run)
    tsc, lapic = t
    assert within(tsc, ips // 1000), "TSC %d kHz at ips %d" % (tsc, ips)
    assert within(lapic, ips // 1000), "LAPIC %d kHz at ips %d" % (lapic, ips)


@pytest.mark.boot
@pytest.mark.qemu
def test_timer_calibration_qemu(boot):
    """QEMU 7.2's APIC timer counts at 1 GHz (APIC_BUS_CYCLE_NS = 1) before the
    divider; the TCG TSC follows the host's, so only its presence is checked."""
    run = boot(*QEMU_128)
    assert run.status == 0, describe(run)
    t = hvout.timer(run.serial)
    assert t, "no time: line\n" + describe(run)
    tsc, lapic = t
    assert tsc > 100000, "TSC %d kHz" % tsc
    assert within(lapic, 1000000), "LAPIC %d kHz" % lapic


@pytest.mark.boot
@pytest.mark.bochs
def test_boot_cost_bochs(boot):
    """Under Bochs with sync=none TSC ticks are instructions; entry to ready
    must take fewer than 5 million.  NB: every byte sent at 115200 baud costs
    about 8680 ticks at ips=100000000 while the UART drains."""
    run = boot(*BOCHS_128)
    assert run.status == 0, describe(run)
    cost = hvout.boot_cost(run.serial)
    assert cost is not None, "no 'mica: ready (boot took N TSC ticks)'\n" + describe(run)
    assert 0 < cost < 5000000, "boot took %d TSC ticks" % cost


UNKNOWN = [
    ("frobnicate=1 loglvl=info", "frobnicate"),
    # GRUB specials in a key reach the hypervisor unchanged.
    ("loglvl=info fro$b;n'x\"\\=1", "fro$b;n'x\"\\"),
]


@pytest.mark.boot
@pytest.mark.bochs
@pytest.mark.parametrize("cmdline,key", UNKNOWN, ids=["plain", "specials"])
def test_unknown_option_is_reported(boot, cmdline, key):
    run = boot(*(BOCHS_128 + ("--hv-cmdline", cmdline)))
    assert run.status == 0, describe(run)
    assert any("unknown option '%s'" % key in l for l in hvout.lines(run.serial)), \
        describe(run)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)


# console= values that name no device: the whole value is ignored, the
# default devices (com1, plus the screen QEMU's VGA gives) take over, and the
# reason is on the serial line.  Before, the selection switched every device
# off first and the machine went silent after GRUB.
BAD_CONSOLE = [
    ("console=bogus", "'bogus' (no device 'bogus'"),
    ("console=,,,", "',,,' (an empty device name)"),
    ("console=com1,bogus", "'com1,bogus' (no device 'bogus'"),
]


@pytest.mark.boot
@pytest.mark.qemu
@pytest.mark.parametrize("cmdline,why", BAD_CONSOLE, ids=["bogus", "commas", "one-bad"])
def test_bad_console_is_reported_boot_goes_on(boot, cmdline, why):
    run = boot(*(QEMU_128 + ("--hv-cmdline", cmdline + " loglvl=info")))
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    bad = [l for l in ls if l.startswith("cmdline: bad value for option 'console': ")]
    assert len(bad) == 1 and why in bad[0] and bad[0].endswith("; using com1,vga"), \
        describe(run)
    assert hvout.has_line(run.serial, "cmdline: 1 problem(s), see above"), describe(run)
    assert hvout.banner(run.serial), describe(run)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)


@pytest.mark.boot
@pytest.mark.bochs
def test_reboot_resets_the_machine(hvrun):
    """`reboot`: the hypervisor resets the machine instead of powering off;
    the proof is the firmware and GRUB starting it a second time."""
    run = hvrun("--emulator", "bochs", "--mem", "128", "--hv-cmdline", "reboot",
                "--timeout", "60")
    assert run.status == 1, describe(run)
    assert "asked for a reboot" in run.stderr, describe(run)
    ls = hvout.lines(run.serial)
    at = next((i for i, l in enumerate(ls) if l.startswith("mica: reboot")), None)
    assert at is not None, describe(run)
    assert any("mica " in l and "Xen PV ABI" in l for l in ls[at + 1:]), \
        "no second boot after 'mica: reboot'\n" + describe(run)
    assert not hvout.has_line(run.serial, "mica: power off"), describe(run)


@pytest.mark.parametrize("args", [pytest.param(BOCHS_128, id="bochs", marks=bochs)])
def test_vmx_on_under_bochs(boot, args):
    """Bochs emulates VT-x with EPT, unrestricted guest and VPID: VMXON works
    and a guest runs."""
    run = boot(*args)
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "vmx: VT-x on: EPT"), describe(run)
    assert not hvout.has_line(run.serial, "vmx: unavailable"), describe(run)
    # A 16-byte guest ran in 32-bit protected mode through EPT and VPID and
    # made the 100 VMCALLs (with the right EAX) and the HLT the self-test wants.
    assert hvout.has_line(run.serial, "vmx: self-test passed"), describe(run)


@pytest.mark.parametrize("args", [pytest.param(QEMU_128, id="qemu", marks=qemu)])
def test_vmx_missing_is_reported_under_qemu(boot, args):
    """QEMU's software CPU has no VMX: one clear line, then a clean boot."""
    run = boot(*args)
    assert run.status == 0, describe(run)
    assert hvout.has_line(
        run.serial, "vmx: unavailable: this CPU has no VT-x"), describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)


@pytest.mark.boot
@pytest.mark.bochs
def test_loglvl_and_mem_limit(hvrun):
    """loglvl=err hides the info lines but not the status lines; mem=64M
    keeps the frame allocator below 64 MiB of a 256 MiB machine."""
    run = hvrun("--emulator", "bochs", "--mem", "256",
                "--hv-cmdline", "loglvl=err mem=64M", "--timeout", "60")
    assert run.status == 0, describe(run)
    assert hvout.banner(run.serial), describe(run)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)
    assert not hvout.has_line(run.serial, "mem: "), describe(run)

    run = hvrun("--emulator", "bochs", "--mem", "256",
                "--hv-cmdline", "mem=64M", "--timeout", "60")
    assert run.status == 0, describe(run)
    m = [re.match(r"mm: (\d+) frames free of (\d+)", l) for l in hvout.lines(run.serial)]
    m = [x for x in m if x]
    assert m, describe(run)
    free_kib = int(m[0].group(1)) * 4
    assert 48 * 1024 < free_kib < 64 * 1024, m[0].group(0)


@pytest.mark.boot
@pytest.mark.parametrize("emulator,cpus,vmx", [
    pytest.param("bochs", 2, 2, marks=pytest.mark.bochs, id="bochs-2"),
    pytest.param("qemu", 4, 0, marks=pytest.mark.qemu, id="qemu-4"),
])
def test_all_cpus_come_online(hvrun, emulator, cpus, vmx):
    """The MADT's CPUs start (INIT/STARTUP through the trampoline) with
    their own descriptor tables and stacks, and VMX where the CPU has it."""
    run = hvrun("--emulator", emulator, "--cpus", str(cpus), "--mem", "128", "--timeout", "60")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "acpi: %d CPU(s)" % cpus), describe(run)
    assert hvout.has_line(run.serial, "smp: %d CPU(s) online, VMX on %d" % (cpus, vmx)), \
        describe(run)
