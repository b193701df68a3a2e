"""The hypervisor's NIC (net/e1000.c, arch/x86/pci.c): with net= on its
command line it finds the e1000 the runner gives the machine (--net) and
reports it in one line with the MAC and the link; without a NIC, or with
netdev= naming a device that is not there, one clear line and the
hypervisor carries on to power off."""

import re

import pytest

import hvout
from hvout import describe

qemu = [pytest.mark.boot, pytest.mark.qemu]
bochs = [pytest.mark.boot, pytest.mark.bochs]

MAC = "02:00:00:12:ab:cd"
RE_NIC = re.compile(r"^net: e1000 (\S+) \(8086:100e, 82540EM\) mac (\S+), link (up|down)")


def nic_line(serial):
    for l in hvout.lines(serial):
        m = RE_NIC.match(l)
        if m:
            return m
    return None


def powered_off(run):
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "mica: power off"), describe(run)


@pytest.mark.parametrize("args", [
    pytest.param(("--emulator", "qemu"), id="qemu-bios", marks=qemu),
    pytest.param(("--emulator", "qemu", "--firmware", "uefi", "--timeout", "90"),
                 id="qemu-uefi", marks=qemu),
])
def test_qemu_e1000_up(boot, args):
    run = boot(*args, "--mem", "128", "--net", "--net-mac", MAC, "--net-fwd", "23",
               "--hv-cmdline", "net=dhcp", "--no-input")
    powered_off(run)
    m = nic_line(run.serial)
    assert m, describe(run)
    assert m.group(1) == "00:03.0" or re.match(r"^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", m.group(1))
    assert m.group(2) == MAC, describe(run)
    assert m.group(3) == "up", describe(run)
    assert re.search(r"^hvrun: tcp 127\.0\.0\.1:\d+ -> guest port 23$", run.stderr, re.M)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)


@pytest.mark.parametrize("args", [pytest.param(("--emulator", "qemu"), marks=qemu)], ids=["qemu"])
def test_no_nic(boot, args):
    """net= without a NIC in the machine: one line, and on it goes."""
    run = boot(*args, "--mem", "128", "--hv-cmdline", "net=dhcp", "--no-input")
    powered_off(run)
    assert hvout.has_line(run.serial, "net: no NIC found (no Intel 8254x on PCI)"), describe(run)
    assert not nic_line(run.serial)


@pytest.mark.parametrize("netdev,expect", [
    ("00:1f.0", "net: netdev=00:1f.0: no PCI device there"),
    ("00:00.0", "net: netdev=00:00.0: 8086:1237 class 06.00 is not an Intel 8254x"),
    ("3", "net: netdev=3 is not a PCI address BB:DD.F"),
], ids=["missing", "not-a-nic", "malformed"])
@pytest.mark.boot
@pytest.mark.qemu
def test_netdev_bad(boot, netdev, expect):
    run = boot("--emulator", "qemu", "--mem", "128", "--net", "--hv-cmdline",
               "net=dhcp netdev=%s" % netdev, "--no-input")
    powered_off(run)
    assert hvout.has_line(run.serial, expect), describe(run)
    assert not nic_line(run.serial)


@pytest.mark.boot
@pytest.mark.qemu
def test_netdev_names_the_nic(boot):
    run = boot("--emulator", "qemu", "--mem", "128", "--net", "--hv-cmdline",
               "net=dhcp netdev=00:03.0", "--no-input")
    powered_off(run)
    m = nic_line(run.serial)
    assert m and m.group(1) == "00:03.0", describe(run)


@pytest.mark.boot
@pytest.mark.qemu
def test_scan_lines_at_debug_only(boot):
    """The bus scan names each function it passes at loglvl=debug only."""
    run = boot("--emulator", "qemu", "--mem", "128", "--net", "--hv-cmdline",
               "net=dhcp loglvl=debug", "--no-input")
    powered_off(run)
    assert hvout.has_line(run.serial, "pci: 00:00.0 8086:1237 class 06.00.00"), describe(run)
    assert hvout.has_line(run.serial, "pci: 00:03.0 8086:100e class 02.00.00"), describe(run)
    run = boot("--emulator", "qemu", "--mem", "128", "--net", "--hv-cmdline", "net=dhcp",
               "--no-input")
    powered_off(run)
    assert nic_line(run.serial), describe(run)
    assert not any(l.startswith("pci:") for l in hvout.lines(run.serial)), describe(run)


@pytest.mark.boot
@pytest.mark.qemu
def test_no_net_no_probe(boot):
    """Without net= nothing touches PCI, even with a NIC in the machine."""
    run = boot("--emulator", "qemu", "--mem", "128", "--net", "--no-input")
    powered_off(run)
    assert not any(l.startswith("net:") or l.startswith("pci:")
                   for l in hvout.lines(run.serial)), describe(run)


@pytest.mark.boot
@pytest.mark.bochs
def test_bochs_e1000_up(boot):
    run = boot("--emulator", "bochs", "--mem", "128", "--net", "--net-mac", MAC,
               "--net-fwd", "23", "--hv-cmdline", "net=dhcp", "--no-input", "--timeout", "120")
    powered_off(run)
    m = nic_line(run.serial)
    assert m, describe(run)
    assert m.group(2) == MAC and m.group(3) == "up", describe(run)
