"""Linux natively in Bochs, without the hypervisor: the reference for the
Linux guest under mica (issue 5).  tools/linux-assets fetches Debian's
cloud kernel and busybox-static with apt-get download and builds the
initramfs; tools/linux_native.py boots them through GRUB, and the test
types into the shell on the serial line.

The first run needs Debian's package registry (about 28 MB); later runs
use build/linux/.  Without the registry and without a cache the tests
skip, saying why.  The boot takes about 40 s of wall time here."""

import gzip
import os
import re
import subprocess

import pytest

from conftest import PYTHON, REPO

import hvrun_grub
import linux_native
from linux_native import RE_INIT, RE_PROMPT, RE_TSC

ASSETS_TOOL = os.path.join(REPO, "tools", "linux-assets")


@pytest.fixture(scope="module")
def assets(linux_assets_dir):
    return linux_native.Assets(linux_assets_dir)


def cpio_entries(path):
    """{name: (mode, data)} of a gzip'ed newc cpio."""
    data = gzip.decompress(open(path, "rb").read())
    out, off = {}, 0
    while True:
        hdr = data[off:off + 110]
        assert hdr[:6] == b"070701", "bad cpio header at %d" % off
        f = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, data[off:off + size])
        off = (off + size + 3) & ~3


def test_assets_are_cached_and_whole(assets, linux_assets_dir):
    """A second run downloads and makes nothing; the initramfs holds what
    /init needs."""
    p = subprocess.run([PYTHON, ASSETS_TOOL, "--dir", linux_assets_dir],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 5, p.stdout
    assert all(l.endswith(("(cached)", "(unchanged)")) for l in lines), p.stdout
    assert re.match(r"^6\.1\.0-\d+-cloud-amd64$", assets.release)
    files = cpio_entries(assets.initramfs)
    assert files["init"][0] & 0o111 and files["init"][1].startswith(b"#!/bin/sh")
    assert files["bin/busybox"][1][:4] == b"\x7fELF"
    assert files["bin/tscmark"][1][:4] == b"\x7fELF"
    for applet in ("bin/sh", "bin/mount", "bin/cttyhack", "usr/bin/setsid", "sbin/poweroff"):
        mode, target = files[applet]
        assert (mode & 0o170000) == 0o120000 and target == b"/bin/busybox", applet
    # The vmlinux the hypervisor will boot has a PVH entry.
    p = subprocess.run([PYTHON, os.path.join(REPO, "tools", "bzimage2elf"),
                        assets.vmlinuz, os.devnull], capture_output=True, text=True)
    assert p.returncode == 0 and "lz4 payload" in p.stdout and "PVH entry" in p.stdout


def test_tscmark_prints_the_tsc(linux_assets_dir):
    """/bin/tscmark, no libc, runs on this x86-64 host too."""
    tool = os.path.join(linux_assets_dir, "tscmark")
    a = subprocess.run([tool, "here"], capture_output=True, text=True)
    b = subprocess.run([tool], capture_output=True, text=True)
    assert a.returncode == 0 and b.returncode == 0
    m = re.fullmatch(r"here: (\d+)\n", a.stdout)
    n = re.fullmatch(r"tsc: (\d+)\n", b.stdout)
    assert m and n, (a.stdout, b.stdout)
    assert int(n.group(1)) > int(m.group(1)) > 0


def test_grub_cfg_linux():
    cfg = hvrun_grub.grub_cfg_linux("/boot/vmlinuz", "console=ttyS0 quiet x=a;b",
                                    "/boot/initrd")
    assert "    linux /boot/vmlinuz console=ttyS0 quiet 'x=a;b'\n" in cfg
    assert "    initrd /boot/initrd\n" in cfg
    assert "terminal_output serial" in cfg and "set timeout=0" in cfg


@pytest.mark.boot
@pytest.mark.bochs
def test_native_boot_shell_and_power_off(assets, tmp_path):
    """Debian's kernel boots to busybox's shell on ttyS0, runs commands
    (a pipe, job control with Ctrl-C) and `poweroff -f` ends Bochs
    through ACPI S5."""
    with linux_native.NativeBoot(assets, tmp_path) as boot:
        m = boot.expect(RE_INIT, 300)
        assert m.group(1) == "Linux %s up, console ttyS0" % assets.release
        tsc = int(boot.expect(RE_TSC, 60).group(1))
        # BIOS, GRUB, the decompressor and the kernel: about 1.8 G here.
        assert 10 ** 8 < tsc < 10 ** 10
        boot.expect(RE_PROMPT, 60)

        boot.send("uname -r\r")
        boot.expect(r"^%s\n" % re.escape(assets.release), 30)
        boot.expect(RE_PROMPT, 30)
        boot.send("echo mica pipe test | tr a-z A-Z | rev\r")
        boot.expect(r"^TSET EPIP ACIM\n", 30)
        boot.expect(RE_PROMPT, 30)
        boot.send("tty\r")
        boot.expect(r"^/dev/ttyS0\n", 30)
        boot.expect(RE_PROMPT, 30)
        # The shell has the console as its controlling terminal: Ctrl-C
        # stops the foreground job.  It is typed once "sleeping" shows
        # that line editing is over (before that the shell would read it
        # as a key).
        boot.send("echo sleeping; sleep 1000\r")
        boot.expect(r"^sleeping\n", 30)
        boot.send("\x03")
        boot.expect(RE_PROMPT, 30)
        boot.send("echo back\r")
        boot.expect(r"^back\n", 30)
        boot.expect(RE_PROMPT, 30)

        boot.send("poweroff -f\r")
        assert boot.wait_exit(60) == "power off"
        assert boot.emu.poll() is not None
        assert "reboot: Power down" in boot.text
