"""bzImage kernels: tools/bzimage.py (behind tools/bzimage2elf and hvrun)
takes the ELF vmlinux out of a bzImage for every payload compression a
kernel may use, checks it against the size the kernel records, and refuses
kernels without a PVH entry with one clear line.  The bzImages here are
built around our own test guests, in the layout of the boot protocol
(Documentation/arch/x86/boot.rst); the Debian kernel itself comes with the
Linux guest tests."""

import bz2
import gzip
import lzma
import os
import struct
import subprocess

import pytest

import hvout
from conftest import PYTHON, REPO, make_elf
from hvout import describe

import bzimage

HELLO = os.path.join(REPO, "build", "guests", "hello.elf")
TOOL = os.path.join(REPO, "tools", "bzimage2elf")


def compress(fmt, data):
    if fmt == "gzip":
        return gzip.compress(data)
    if fmt == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    if fmt == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if fmt == "bzip2":
        return bz2.compress(data)
    args = {"zstd": ["zstd", "-q", "-c"], "lz4": ["lz4", "-l", "-q", "-c"]}[fmt]
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout


def make_bzimage(elf, fmt="gzip", setup_sects=3, version=0x20F, size=None):
    """A bzImage: setup_sects + 1 sectors of setup with the boot header,
    then the protected-mode part holding the payload (and the uncompressed
    size the kernel's build appends)."""
    blob = compress(fmt, elf) + struct.pack("<I", len(elf) if size is None else size)
    setup = bytearray((setup_sects + 1) * 512)
    setup[0x1F1] = setup_sects
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    pm_head = b"\x90" * 0x100  # where a real kernel's decompressor starts
    struct.pack_into("<II", setup, 0x248, len(pm_head), len(blob))
    return bytes(setup) + pm_head + blob + b"\x00" * 64


@pytest.fixture(scope="module")
def hello_elf():
    with open(HELLO, "rb") as f:
        return f.read()


@pytest.mark.parametrize("fmt", ["gzip", "xz", "lzma", "bzip2", "zstd", "lz4"])
def test_every_compression(hello_elf, fmt):
    elf, name, entry = bzimage.extract(make_bzimage(hello_elf, fmt))
    assert name == fmt
    assert elf == hello_elf
    assert entry == 0x100000  # the test guests' PHYS32_ENTRY


def test_no_pvh_entry(tmp_path):
    plain = open(make_elf(tmp_path / "plain.elf", 4096), "rb").read()  # no notes
    with pytest.raises(bzimage.Error, match="no PVH entry"):
        bzimage.extract(make_bzimage(plain))


@pytest.mark.parametrize("image,why", [
    (lambda e: make_bzimage(e, version=0x207), "too old"),
    (lambda e: make_bzimage(e)[:3000], "truncated"),
    (lambda e: make_bzimage(e, size=12345), "the kernel says 12345"),
    (lambda e: make_bzimage(e).replace(b"HdrS", b"HdrX"), "not a bzImage"),
])
def test_bad_images(hello_elf, image, why):
    with pytest.raises(bzimage.Error, match=why):
        bzimage.extract(image(hello_elf))


def test_unknown_and_damaged_payloads(hello_elf):
    img = bytearray(make_bzimage(hello_elf, "gzip"))
    start = 4 * 512 + 0x100
    img[start:start + 2] = b"\x00\x00"
    with pytest.raises(bzimage.Error, match="unknown payload compression"):
        bzimage.extract(bytes(img))
    img[start:start + 2] = b"\x1f\x8b"
    img[start + 20:start + 40] = bytes(20)
    with pytest.raises(bzimage.Error, match="damaged"):
        bzimage.extract(bytes(img))


def test_tool_writes_the_vmlinux(tmp_path, hello_elf):
    src, out = tmp_path / "bzImage", tmp_path / "vmlinux"
    src.write_bytes(make_bzimage(hello_elf, "lz4"))
    p = subprocess.run([PYTHON, TOOL, str(src), str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "lz4 payload" in p.stdout and "PVH entry 0x100000" in p.stdout
    assert out.read_bytes() == hello_elf
    bad = tmp_path / "bad"
    bad.write_bytes(b"nothing" * 100)
    p = subprocess.run([PYTHON, TOOL, str(bad), str(out)], capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "not a bzImage" in p.stderr


@pytest.mark.boot
@pytest.mark.bochs
def test_hvrun_boots_a_bzimage(hvrun, tmp_path, hello_elf):
    src = tmp_path / "vmlinuz"
    src.write_bytes(make_bzimage(hello_elf, "zstd"))
    run = hvrun("--emulator", "bochs", "--dom0", str(src) + ",cmdline=from a bzImage")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "(dom0) hello: cmdline 'from a bzImage'"), describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)


def test_hvrun_refuses_a_bzimage_without_pvh(hvrun, tmp_path):
    plain = open(make_elf(tmp_path / "plain.elf", 4096), "rb").read()
    src = tmp_path / "vmlinuz"
    src.write_bytes(make_bzimage(plain, "gzip"))
    run = hvrun("--dom0", str(src), "--dry-run")
    assert run.status == 2
    assert "no PVH entry" in run.stderr and run.stderr.count("\n") == 1
