"""Our dom0 builds guests at run time (dom0/builder.c): `create NAME` makes
a PVH domain from an image dom0 was given as a boot module, through the
hypercalls Xen's toolstack uses (createdomain, max_mem, populate_physmap on
the new domain, foreign mappings to load it, set_memory_map,
sethvmcontext, unpause).

- Debian's Linux created at run time boots to its shell, and a second one
  beside it; destroying them gives every frame back.
- Bad requests get a clear message and change nothing: an image that is
  not a kernel, a bzImage, an ELF without the PVH entry note, a name that
  names no image, more memory than the free pool (no half-built domain is
  left), bad words.
- 20 creates and destroys of a small guest return every frame (the free
  pool `list` shows, from sysctl physinfo)."""

import gzip
import os
import re
import struct
import subprocess

import pytest

from conftest import REPO

DOM0 = os.path.join(REPO, "build", "dom0.elf")
HELLO = os.path.join(REPO, "build", "guests", "hello.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

PROMPT = "mica-guest:/# "
ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FREE = re.compile(r"control: free memory: (\d+) pages")


def free_pages(text):
    found = FREE.findall(text)
    assert found, text[-3000:]
    return [int(x) for x in found]


class Dom0:
    """dom0's console through hvsession: commands typed, answers read."""

    def __init__(self, s):
        self.s = s
        s.wait_for("control> ", 120)

    def __call__(self, cmd, timeout=120):
        self.s.type(cmd.encode() + b"\r")
        self.s.wait_for(cmd)
        return ESC.sub("", self.s.wait_for("control> ", timeout).replace("\r", ""))

    def quit(self):
        self.s.type(b"quit\r")
        self.s.wait_for("\ncontrol: quitting")
        self.s.wait_for("mica: power off", 60)
        assert self.s.finish() == 0


def test_create_and_destroy_20_times_gives_every_frame_back():
    from hvsession import Session
    with Session(["--emulator", "bochs", "--dom0", "%s,mem=16" % DOM0,
                  "--image", "hello=" + HELLO], timeout=600, terminal=True) as s:
        c = Dom0(s)
        # The first guest leaves a few frames with the hypervisor's heap,
        # which keeps the pages its small blocks came from (and dom0's
        # table of foreign mappings): count from after it.
        boot = free_pages(c("list"))[-1]
        c("create hello mem=8 -- flood=0")
        c("destroy 1")
        before = free_pages(c("list"))[-1]
        assert 0 <= boot - before <= 16, (boot, before)
        for i in range(2, 22):
            text = c("create hello mem=8 -- flood=0")
            assert "create hello: domain %d, 8 MiB, 1 vcpu(s), running" % i in text, text
            text = c("destroy %d" % i)
            assert "destroy %d: done" % i in text, text
        assert free_pages(c("list"))[-1] == before
        c.quit()
    out = s.out.decode("utf-8", "replace")
    assert "panic" not in out.lower() and "RAM frames not given back" not in out, out[-3000:]


def fake_bzimage(path, payload):
    """A bzImage's shape around payload (boot protocol 2.15, one setup
    sector): what dom0/bzimage.c reads of a real one."""
    hdr = bytearray(1024)
    hdr[0x1f1] = 1
    hdr[0x202:0x206] = b"HdrS"
    hdr[0x206:0x208] = struct.pack("<H", 0x20f)
    hdr[0x248:0x250] = struct.pack("<II", 0, len(payload))
    with open(path, "wb") as f:
        f.write(bytes(hdr) + payload)


def lz4_legacy(data):
    return subprocess.run(["lz4", "-l", "-c", "-q"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def test_bad_requests_change_nothing(tmp_path):
    from hvsession import Session
    with open(HELLO, "rb") as f:
        hello = f.read()
    size = struct.pack("<I", len(hello))
    bz = str(tmp_path / "hello.bz")          # the hello guest as an LZ4 bzImage
    fake_bzimage(bz, lz4_legacy(hello) + size)
    gz = str(tmp_path / "hello.gz.bz")       # ... gzip-compressed
    fake_bzimage(gz, gzip.compress(hello) + size)
    bad = str(tmp_path / "hello.bad.bz")     # ... LZ4 with a block cut short
    packed = lz4_legacy(hello)
    fake_bzimage(bad, packed[:len(packed) // 2] + size)
    with Session(["--emulator", "bochs", "--dom0", "%s,mem=32" % DOM0,
                  "--image", "hello=" + HELLO, "--image", "junk=" + os.path.join(REPO, "README.md"),
                  "--image", "bz=" + bz, "--image", "gz=" + gz, "--image", "badbz=" + bad,
                  "--image", "notpvh=" + os.path.join(REPO, "build", "hv.elf")],
                 timeout=600, terminal=True) as s:
        c = Dom0(s)
        c("create hello mem=8 -- flood=0")  # the heap's first frames (see above)
        c("destroy 1")
        free0 = free_pages(c("list"))[-1]
        text = c("images")
        assert "control: image    hello " in text and "control: image    junk " in text, text
        for cmd, want in [
                ("create junk", "create junk: image junk is not a kernel dom0 can build: "),
                ("create gz", "create gz: image gz is a bzImage, but it is gzip-compressed: "
                              "dom0 unpacks LZ4 only"),
                ("create badbz", "create badbz: image badbz is a bzImage, but its LZ4 payload "
                                 "is damaged"),
                ("create notpvh", "create notpvh: image notpvh is not a PVH kernel "
                                  "(no XEN_ELFNOTE_PHYS32_ENTRY note)"),
                ("create nosuch", "create nosuch: no image named nosuch"),
                ("create hello mem=999999", "create hello: not enough free memory for its RAM"),
                ("create hello vcpus=33", "create: bad word 'vcpus=33'"),
                ("create hello mem=x", "create: bad word 'mem=x'"),
                ("create", "control: usage: create NAME")]:
            text = c(cmd)
            assert want in text, (cmd, text)
        # Nothing was left: no domain, every frame free again (the one
        # refused for memory was made, then destroyed whole).
        text = c("list")
        assert free_pages(text)[-1] == free0, text
        assert not re.search(r"\ncontrol: [1-9]", text), text
        text = c("create hello mem=16 vcpus=2 -- flood=0")
        assert re.search(r"create hello: domain \d+, 16 MiB, 2 vcpu\(s\), running", text), text
        s.wait_for("hello: cmdline 'flood=0'", 60)
        # The same guest from its LZ4 bzImage, unpacked by dom0.
        text = c("create bz mem=16 -- from-bz")
        assert re.search(r"create bz: domain \d+, 16 MiB, 1 vcpu\(s\), running", text), text
        s.wait_for("hello: cmdline 'from-bz'", 60)
        c.quit()
    out = s.out.decode("utf-8", "replace")
    assert "panic" not in out.lower() and "RAM frames not given back" not in out, out[-3000:]


def test_linux_created_at_run_time(linux_assets_dir):
    """Two Linux domUs created by dom0 answer in their shells; destroyed,
    they give back every frame."""
    from hvsession import Session
    vmlinux = os.path.join(linux_assets_dir, "vmlinux")
    initramfs = os.path.join(linux_assets_dir, "initramfs.cpio.gz")

    def focus(dom, prompt=None):
        s.type(b"\x01\x01\x01")
        s.wait_for("mica: console input goes to %s" % dom)
        if prompt:
            s.wait_for(prompt, 60)

    def answer(n):
        s.type(b"echo ok-$((6*%d))\r" % n)
        s.wait_for("ok-%d" % (6 * n), 60)

    with Session(["--emulator", "bochs", "--mem", "1024",
                  "--dom0", "%s,mem=96" % DOM0, "--image", "linux=" + vmlinux,
                  "--ramdisk", "linux=" + initramfs], timeout=2400, terminal=True) as s:
        control = Dom0(s)
        free0 = free_pages(control("list"))[-1]
        text = control("create linux mem=256 -- console=hvc0 quiet", 600)
        assert "create linux: domain 1, 256 MiB, 1 vcpu(s), running" in text, text
        s.wait_for("(domu1) mica-init: Linux ", 900)
        text = control("create linux mem=192 vcpus=2 -- console=hvc0 quiet", 600)
        assert "create linux: domain 2, 192 MiB, 2 vcpu(s), running" in text, text
        s.wait_for("(domu2) mica-init: Linux ", 900)
        focus("domu1", PROMPT)
        answer(7)
        focus("domu2", PROMPT)
        answer(11)
        focus("dom0", "control> ")
        text = control("list")
        assert re.search(r"\ncontrol: 1   running    1 +256 MiB", text), text
        assert re.search(r"\ncontrol: 2   running    2 +192 MiB", text), text
        control("destroy 1")
        control("destroy 2")
        # Every RAM frame back (256 and 192 MiB and each one's ACPI page);
        # the hypervisor's heap may keep a few pages its first 2-vcpu
        # domain's structures came from (test_create_and_destroy_20_times
        # shows that nothing more stays).
        free1 = free_pages(control("list"))[-1]
        assert 0 <= free0 - free1 <= 32, (free0, free1)
        control.quit()
    out = s.out.decode("utf-8", "replace")
    for bad in ("unhandled VM exit", "PANIC", "Kernel panic", "domain crashed",
                "RAM frames not given back"):
        assert bad not in out, out[-4000:]
    assert "domu1: destroyed (65537 frames given back)" in out, out[-4000:]
    assert "domu2: destroyed (49153 frames given back)" in out, out[-4000:]
