"""The hardware domain's platform_op and physdev_op under Bochs
(test/guests/platform.c), with Xen 4.19's answers: on a machine of two
CPUs with the hypervisor's NIC (the network console's e1000, which it
hides from dom0), dom0 checks platform_op's version and permission
checks, get_cpuinfo and get_cpu_version (each CPU, one past the last),
firmware_info without firmware data, settime32 and settime64 into its own
shared_info, and physdev_op's PCI reports (the host bridge, a function
that is not there, segment 1, removes, the hidden NIC, the ECAM reports,
dbgp_op, the PIRQ calls); a domU is refused all of it and sees dom0's
settime64 in its own wall clock."""

import os

import pytest

import hvout
from conftest import REPO
from hvout import describe, guest

PLATFORM = os.path.join(REPO, "build", "guests", "platform.elf")
NIC = "00:02.0"  # where Bochs puts the e1000 hvrun gives it

pytestmark = [pytest.mark.boot, pytest.mark.bochs]


@pytest.fixture(scope="module")
def run(boot):
    return boot("--emulator", "bochs", "--cpus", "2", "--net",
                "--hv-cmdline", "net=10.0.2.15/24",
                "--dom0", PLATFORM + ",cmdline=cpus=2 nic=" + NIC,
                "--domu", PLATFORM + ",cmdline=role=domu", "--timeout", "150")


def test_dom0_platform_and_physdev_ops(run):
    assert run.status == 0, describe(run)
    assert not [l for l in hvout.lines(run.serial) if "platform: FAIL" in l], describe(run)
    counts = guest(run.serial, "dom0", r"platform: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) >= 85, describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    # Each CPU as Bochs' MADT lists it; the identity is the host's.
    assert hvout.has_line(run.serial, "(dom0) platform: cpu 1: flags 1 apic 1 acpi 1 "
                          "max_present 1"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) platform: cpu 0: GenuineIntel family 6 "
                          "model 0x55 stepping 4"), describe(run)


def test_domu_refused_and_sees_the_wall_clock(run):
    assert run.status == 0, describe(run)
    counts = guest(run.serial, "domu1", r"platform: (\d+) checks, (\d+) failed")
    assert counts and int(counts[1]) == 0 and int(counts[0]) == 11, describe(run)
    assert hvout.has_line(run.serial, "(domu1) platform: domU's wall clock "
                          "4886718345.987654321"), describe(run)
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)


def test_the_hypervisors_nic_stays_hidden(run):
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "net: e1000 %s " % NIC), describe(run)
    for line in ["pcidev: 0000:%s hidden from dom0: the network console's NIC" % NIC,
                 "pcidev: dom0 reported 0000:%s, which the hypervisor keeps: it stays hidden" % NIC,
                 "pcidev: dom0 removed 0000:%s, which the hypervisor keeps: it stays hidden" % NIC,
                 "pcidev: dom0 added 0000:00:1f.7: no device header vPCI takes there "
                 "(-EOPNOTSUPP, as Xen)",
                 "pcidev: dom0 reports MMCFG of segment 0000 buses 00-ff at 0xe0000000 (reserved)"]:
        assert hvout.has_line(run.serial, line), describe(run)
    # Said once, however often dom0 asks.
    hidden = [l for l in hvout.lines(run.serial) if "hidden from dom0" in l]
    assert len(hidden) == 1, hidden
    assert "panic" not in run.serial.lower(), describe(run)
