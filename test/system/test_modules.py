"""Boot modules reach the hypervisor with exact strings and sizes.

The hypervisor prints, per module, in GRUB's order:
    module N: 0x<16 hex start>-0x<16 hex end> (<size> bytes) "<string>"
where <string> is the module string after undoing GRUB's re-encoding (see
tools/hvrun_grub.py), i.e. exactly what the user asked for."""

import os

import pytest

import hvout
from hvout import describe

# Every GRUB script special and quoting character, plus a comma (cmdline= is
# the last key and takes the rest) and a run of spaces.
DOM0_CMDLINE = "console=hvc0 a=\"b c\" d='e' $HOME;x=1,2 back\\slash #hash"
DOMU1_CMDLINE = "root=/dev/xvda  two spaces"

pytestmark = [pytest.mark.boot]


def expected(guest_files):
    """(module string, file) per module, in order."""
    k, k2, i = guest_files.kernel, guest_files.kernel2, guest_files.initrd
    return [
        ("dom0 kernel mem=64 vcpus=1 -- " + DOM0_CMDLINE, k),
        ("dom0 initrd", i),
        ("domu1 kernel mem=16 vcpus=2 -- " + DOMU1_CMDLINE, k2),
        ("domu2 kernel", k),
        ("domu2 initrd", i),
    ]


def module_args(guest_files):
    k, k2, i = guest_files.kernel, guest_files.kernel2, guest_files.initrd
    return ("--dom0", "%s,initrd=%s,mem=64,vcpus=1,cmdline=%s" % (k, i, DOM0_CMDLINE),
            "--domu", "%s,vcpus=2,mem=16,cmdline=%s" % (k2, DOMU1_CMDLINE),
            "--domu", "%s,initrd=%s" % (k, i))


@pytest.mark.parametrize("machine", [
    pytest.param(("--emulator", "bochs"), id="bochs", marks=pytest.mark.bochs),
    pytest.param(("--emulator", "qemu"), id="qemu", marks=pytest.mark.qemu),
    # hv.efi with no GRUB: hv.cfg carries the strings GRUB would pass.
    pytest.param(("--emulator", "qemu", "--boot", "efi", "--timeout", "90"), id="qemu-efi",
                 marks=pytest.mark.qemu),
])
def test_modules_listed_exactly(boot, guest_files, machine):
    run = boot(*machine, "--mem", "128", *module_args(guest_files))
    assert run.status == 0, describe(run)
    mods = hvout.modules(run.serial)
    want = expected(guest_files)
    assert [m[4] for m in mods] == [s for s, _ in want], describe(run)
    assert [m[0] for m in mods] == list(range(len(want)))
    for (idx, start, end, size, string), (_, path) in zip(mods, want):
        assert size == os.path.getsize(path), "module %d: %s" % (idx, string)
        assert end - start == size, "module %d: range and size disagree" % idx
    spans = sorted((m[1], m[2]) for m in mods)
    for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
        assert e0 <= s1, "modules overlap"


@pytest.mark.bochs
def test_no_modules(boot):
    """Without domains the hypervisor still boots and lists no module."""
    run = boot("--emulator", "bochs", "--mem", "128", "--ips", "100000000")
    assert run.status == 0, describe(run)
    assert hvout.modules(run.serial) == []
