"""bzImage -> the ELF vmlinux inside it, for booting as a PVH guest.

A bzImage is the real-mode setup (setup_sects + 1 sectors of 512 bytes)
followed by the protected-mode part, which holds the compressed vmlinux at
payload_offset, payload_length bytes (boot protocol 2.08 and later,
Documentation/arch/x86/boot.rst).  The kernel's build appends the
uncompressed size (4 bytes, little endian) to every compressed payload; we
check the result against it.  The PVH entry point is the ELF note
XEN_ELFNOTE_PHYS32_ENTRY (type 18, name "Xen") in that vmlinux.

gzip, xz, bzip2 and lzma are decompressed by Python itself; zstd and lz4
(Debian's cloud kernel uses lz4) by the `zstd` and `lz4` programs.
"""

import bz2
import lzma
import shutil
import struct
import subprocess
import zlib

XEN_ELFNOTE_PHYS32_ENTRY = 18

# (name, magic at the start of the payload, program needed or None)
FORMATS = (
    ("gzip", b"\x1f\x8b", None),
    ("xz", b"\xfd7zXZ\x00", None),
    ("bzip2", b"BZh", None),
    ("lzma", b"\x5d\x00\x00", None),
    ("zstd", b"\x28\xb5\x2f\xfd", "zstd"),
    ("lz4", b"\x02\x21\x4c\x18", "lz4"),  # the legacy frame the kernel uses
    ("lzo", b"\x89LZO", None),
)
UNSUPPORTED = ("lzo",)


class Error(Exception):
    """A file that is not what it should be, said in one line."""


def is_bzimage(data):
    return len(data) >= 0x250 and data[0x202:0x206] == b"HdrS"


def payload(data):
    """(format name, compressed bytes, uncompressed size) of a bzImage."""
    if not is_bzimage(data):
        raise Error("not a bzImage (no 'HdrS' boot header at 0x202)")
    version = struct.unpack_from("<H", data, 0x206)[0]
    if version < 0x208:
        raise Error("boot protocol %d.%02d is too old: the payload's place "
                    "is given from 2.08 on" % (version >> 8, version & 0xff))
    setup_sects = data[0x1f1] or 4  # 0 means 4, for old kernels
    off, length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + off
    if length < 8 or start + length > len(data):
        raise Error("the payload (offset %d, %d bytes) is not inside the "
                    "%d-byte file: truncated?" % (start, length, len(data)))
    blob = data[start:start + length]
    for name, magic, _ in FORMATS:
        if blob.startswith(magic):
            if name in UNSUPPORTED:
                raise Error("the payload is %s-compressed, which this tool "
                            "does not decompress" % name)
            size = struct.unpack_from("<I", blob, len(blob) - 4)[0]
            return name, blob[:-4], size
    raise Error("unknown payload compression (magic %s)" % blob[:6].hex())


def _run(program, blob):
    if shutil.which(program) is None:
        raise Error("the payload is %s-compressed: install the '%s' package"
                    % (program, program))
    p = subprocess.run([program, "-dc"], input=blob, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise Error("%s -d failed: %s" % (program,
                    p.stderr.decode("utf-8", "replace").strip()))
    return p.stdout


def decompress(name, blob):
    try:
        if name == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(blob)
        if name == "xz":
            return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(blob)
        if name == "lzma":
            return lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(blob)
        if name == "bzip2":
            return bz2.BZ2Decompressor().decompress(blob)
    except (zlib.error, lzma.LZMAError, OSError, EOFError) as e:
        raise Error("the %s payload is damaged: %s" % (name, e))
    return _run(name, blob)


def pvh_entry(elf):
    """The XEN_ELFNOTE_PHYS32_ENTRY address in an ELF64 image, or None."""
    if elf[:4] != b"\x7fELF" or len(elf) < 64:
        raise Error("the payload is not an ELF file")
    if elf[4] != 2:
        raise Error("the vmlinux is not 64-bit ELF")
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        at = phoff + i * phentsize
        if at + 56 > len(elf):
            raise Error("the vmlinux's program headers are truncated")
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, at)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, min(p_offset + p_filesz, len(elf))
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz]
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            if name == b"Xen\x00" and ntype == XEN_ELFNOTE_PHYS32_ENTRY and descsz >= 4:
                return struct.unpack_from("<I", elf, desc_at)[0]
            pos = desc_at + ((descsz + 3) & ~3)
    return None


def extract(data):
    """(vmlinux bytes, format name, PVH entry) from bzImage bytes; Error
    with one line when any step fails or the kernel has no PVH entry."""
    name, blob, size = payload(data)
    elf = decompress(name, blob)
    if len(elf) != size:
        raise Error("the %s payload gave %d bytes, but the kernel says %d"
                    % (name, len(elf), size))
    entry = pvh_entry(elf)
    if entry is None:
        raise Error("this kernel has no PVH entry (no XEN_ELFNOTE_PHYS32_ENTRY "
                    "note): it was built without CONFIG_PVH")
    return elf, name, entry
