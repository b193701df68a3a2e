"""ACPI tables for guests under Bochs (test/guests/acpi.c).

Every domain finds an RSDP through hvm_start_info.rsdp_paddr and walks it
as an OS would: checksums, the XSDT's links, a hardware-reduced FADT with
its DSDT, and a MADT with one enabled local APIC per vcpu, all in a
memory-map entry that is not RAM.  One boot: dom0 with 1 vcpu, domUs with
3 and 32 (the most a domain may have), and one told to expect 3 local
APICs while it has 2 vcpus, which must fail (the guest can tell)."""

import os

import pytest

from conftest import REPO
from hvout import describe, exit_reason, guest_lines

ACPI = os.path.join(REPO, "build", "guests", "acpi.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

ARGS = ("--emulator", "bochs",
        "--dom0", ACPI + ",mem=16,cmdline=vcpus=1",
        "--domu", ACPI + ",mem=16,vcpus=3,cmdline=vcpus=3",
        "--domu", ACPI + ",mem=16,vcpus=32,cmdline=vcpus=32",
        "--domu", ACPI + ",mem=16,vcpus=2,cmdline=vcpus=3",
        "--timeout", "90")




@pytest.mark.parametrize("dom,vcpus", [("dom0", 1), ("domu1", 3), ("domu2", 32)])
def test_tables_found_and_right(boot, dom, vcpus):
    run = boot(*ARGS)
    assert run.status == 0, describe(run)
    ls = guest_lines(run.serial, dom)
    assert not [l for l in ls if "FAIL" in l], describe(run)
    assert "acpi: PASS: %d local APIC(s) for vcpus=%d, 0 failure(s)" % (vcpus, vcpus) in ls, \
        describe(run)
    # Where the domain builder puts them, and what the walk met on the way.
    assert "acpi: RSDP at 0xfc000000: revision 2, OEM 'MICA  ', XSDT at 0xfc000030" in ls, \
        describe(run)
    assert [l for l in ls if l.startswith("acpi: XSDT entry: ")] == \
        ["acpi: XSDT entry: 'FACP' at 0xfc000070", "acpi: XSDT entry: 'APIC' at 0xfc0001c0"], \
        describe(run)
    assert "acpi: FACP revision 6, flags 0x100030, boot flags 0x24; " \
        "DSDT at 0xfc000190, 36 bytes" in ls, describe(run)
    assert "TEST PASS" in ls, describe(run)
    assert exit_reason(run.serial, dom) == "poweroff", describe(run)


def test_wrong_count_is_caught(boot):
    run = boot(*ARGS)
    assert run.status == 0, describe(run)
    ls = guest_lines(run.serial, "domu3")
    assert "acpi: FAIL 2 enabled local APICs in the MADT, want vcpus=3" in ls, describe(run)
    assert "TEST FAIL" in ls, describe(run)
    assert exit_reason(run.serial, "domu3") == "crash", describe(run)
