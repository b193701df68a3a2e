"""Kernel images in the shapes other tools make run, as under Xen's PVH
builders (xen/common/libelf: elf_init, elf_xen_parse): an ELF32 image for
x86-64 (`objcopy -O elf32-x86-64`), an image without section headers whose
program headers are at its end, and one whose notes are in a SHT_NOTE
section with no PT_NOTE.  A broken one is refused with its reason while the
others run.  Unit tests (test/unit/test_elf.c) cover every shape and
corruption; this proves the builder boots them."""

import os
import shutil
import struct
import subprocess

import pytest

import hvout
from conftest import REPO
from hvout import describe

HELLO = os.path.join(REPO, "build", "guests", "hello.elf")

pytestmark = [pytest.mark.boot]


def elf64_header(data):
    """(e_phoff, e_phentsize, e_phnum) of an ELF64 image."""
    assert data[:5] == b"\x7fELF\x02"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return phoff, phentsize, phnum


def reshaped(src, dst, phdrs_at_end=False, no_sections=False, notes_in_section_only=False):
    """A copy of the ELF64 image src, changed without changing what loads:
    its program headers copied to the end of the file (e_phoff there), its
    section headers dropped (e_shoff, e_shnum, e_shstrndx 0), or its
    PT_NOTE made PT_NULL (the notes then only in their section)."""
    data = bytearray(open(src, "rb").read())
    phoff, phentsize, phnum = elf64_header(data)
    if notes_in_section_only:
        for i in range(phnum):
            at = phoff + i * phentsize
            if struct.unpack_from("<I", data, at)[0] == 4:  # PT_NOTE
                struct.pack_into("<I", data, at, 0)         # PT_NULL
    if phdrs_at_end:
        table = bytes(data[phoff:phoff + phentsize * phnum])
        data += bytes(-len(data) % 8)
        struct.pack_into("<Q", data, 0x20, len(data))
        data += table
        data[phoff:phoff + len(table)] = bytes(len(table))  # the old place says nothing
    if no_sections:
        struct.pack_into("<Q", data, 0x28, 0)
        struct.pack_into("<HHH", data, 0x3a, 0, 0, 0)
    with open(dst, "wb") as f:
        f.write(data)
    return str(dst)


def elf32_x86_64(src, dst):
    subprocess.run(["objcopy", "-O", "elf32-x86-64", src, str(dst)], check=True)
    return str(dst)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    if not shutil.which("objcopy"):
        pytest.fail("objcopy (binutils) is needed to make the ELF32 image")
    d = tmp_path_factory.mktemp("shapes")
    elf32 = elf32_x86_64(HELLO, d / "hello32.elf")
    data = open(elf32, "rb").read()
    assert data[4] == 1 and struct.unpack_from("<H", data, 18)[0] == 62  # ELFCLASS32, EM_X86_64
    broken = bytearray(data)
    struct.pack_into("<I", broken, 0x20, len(broken) + 0x1000)  # e_shoff past the end
    (d / "broken32.elf").write_bytes(broken)
    return {
        "elf32": elf32,
        "bare": reshaped(HELLO, d / "bare.elf", phdrs_at_end=True, no_sections=True),
        "section_notes": reshaped(HELLO, d / "secnotes.elf", notes_in_section_only=True),
        "broken": str(d / "broken32.elf"),
    }


@pytest.mark.bochs
def test_odd_shapes_run_broken_one_refused(hvrun, shapes):
    run = hvrun("--emulator", "bochs",
                "--dom0", shapes["elf32"] + ",cmdline=elf32",
                "--domu", shapes["bare"] + ",mem=16,cmdline=bare",
                "--domu", shapes["section_notes"] + ",mem=16,cmdline=secnotes",
                "--domu", shapes["broken"] + ",mem=16",
                "--timeout", "120")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "dom0: built: 64 MiB, 1 vcpu(s), ELF32 notes: "
                          "PHYS32_ENTRY=0x"), describe(run)
    assert hvout.has_line(run.serial, "domu1: built: 16 MiB, 1 vcpu(s), ELF64"), describe(run)
    assert hvout.has_line(run.serial, "domu2: built: 16 MiB, 1 vcpu(s), ELF64 notes: "
                          "PHYS32_ENTRY=0x"), describe(run)
    assert hvout.has_line(run.serial, "domu3: refused: module 3: section headers outside "
                          "the image"), describe(run)
    for dom, word in (("dom0", "elf32"), ("domu1", "bare"), ("domu2", "secnotes")):
        assert hvout.has_line(run.serial, "(%s) hello: cmdline '%s'" % (dom, word)), describe(run)
        assert hvout.has_line(run.serial, "(%s) TEST PASS" % dom), describe(run)
        assert hvout.exit_reason(run.serial, dom) == "poweroff", describe(run)
    assert hvout.exit_reason(run.serial, "domu3") is None  # never built
