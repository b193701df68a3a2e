"""Boot the Linux test guest natively in Bochs, without the hypervisor: the
reference the Linux boot under mica is measured against.

The kernel and initramfs come from tools/linux-assets (assets.json in its
directory).  GRUB boots them from an ISO (tools/hvrun_grub.py builds it)
under the same Bochs configuration hvrun uses (tools/hvrun_emu.py: 
skylake_x, `clock: sync=none`, the serial line on a pseudo-terminal).

Measuring (measure=True)
------------------------
With `clock: sync=none` Bochs' TSC is its tick count: one tick per
emulated instruction, and one per tick of emulated time while the CPU
halts.  The initramfs's /init prints the TSC right before it starts the
shell ("linux-boot-tsc: N").  That count also holds the BIOS, GRUB and the
bzImage's decompressor, none of which runs in a PVH boot, so the boot
stops twice in Bochs' debugger on a physical breakpoint at the kernel's
load address (vmlinux's entry, 0x1000000 for Debian's kernel; `nokaslr`
keeps the kernel there) and prints `ptime`, Bochs' tick count, which is
the TSC (checked once: ptime at the instruction after /init's rdtsc was
the value rdtsc returned, plus one):
  1st stop  GRUB jumps to the bzImage's 32-bit entry, which it loaded at
            that same address (the kernel's preferred address)
  2nd stop  the decompressor jumps to the ELF vmlinux's startup_64
Each stop is recognised by its instruction bytes, compared with the
bzImage's protected-mode code and with vmlinux at its entry.  Then the
breakpoint is deleted and the boot goes on.  "vmlinux entry to shell" is
linux-boot-tsc minus the 2nd stop's ticks; the stops themselves shift the
count by a few hundred ticks at most.
"""

import codecs
import json
import os
import re
import struct
import time

import hvrun_emu
import hvrun_grub
from hvrun_emu import debugger_stops

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ASSETS = os.path.join(REPO, "build", "linux")
# console=ttyS0: the serial line.  nokaslr: the kernel stays at its load
# address (see above; a PVH boot has no KASLR either).  quiet: the boot
# messages at 115200 baud would otherwise be most of the count.
DEFAULT_CMDLINE = "console=ttyS0 nokaslr quiet"
KERNEL_ISO = "/boot/vmlinuz"
INITRD_ISO = "/boot/initramfs.cpio.gz"
# What tools/linux/init prints, and busybox ash's prompt (PS1 from /init).
RE_TSC = re.compile(r"^linux-boot-tsc: (\d+)\n", re.M)
RE_INIT = re.compile(r"^mica-init: (.*)\n", re.M)
RE_PROMPT = re.compile(r"mica-guest:(\S*)# $")
RE_PANIC = re.compile(r"Kernel panic - not syncing: ?(.*)")
# Terminal escapes (busybox's line editing asks for the cursor position).
_ESC = re.compile(r"\x1b(\[[0-9;?=]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")


class BootError(Exception):
    """The boot went wrong; the message says how, in one line."""


class Assets:
    """The files tools/linux-assets made, from its assets.json."""

    def __init__(self, d=None):
        self.dir = os.path.abspath(d or DEFAULT_ASSETS)
        path = os.path.join(self.dir, "assets.json")
        try:
            with open(path) as f:
                man = json.load(f)
            self.release = man["kernel_release"]
            outs = man["outputs"]
            for name in ("vmlinuz", "vmlinux", "initramfs.cpio.gz"):
                if name not in outs:
                    raise KeyError(name)
        except (OSError, ValueError, KeyError):
            raise BootError("%s is missing or incomplete: run tools/linux-assets%s"
                            % (path, "" if d is None else " --dir " + d))
        self.vmlinuz = os.path.join(self.dir, "vmlinuz")
        self.vmlinux = os.path.join(self.dir, "vmlinux")
        self.initramfs = os.path.join(self.dir, "initramfs.cpio.gz")
        for p in (self.vmlinuz, self.vmlinux, self.initramfs):
            if not os.path.isfile(p):
                raise BootError("%s is missing: run tools/linux-assets" % p)
        self.kernel_package = outs["vmlinuz"].get("package", "?")
        self.kernel_version = outs["vmlinuz"].get("version", "?")


def entry_points(assets):
    """(address, vmlinux's first bytes there, the bzImage's 32-bit entry's
    first bytes): where to stop and how to tell the two stops apart."""
    with open(assets.vmlinux, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2:
            raise BootError("%s: not an ELF64 file" % assets.vmlinux)
        entry, phoff = struct.unpack_from("<QQ", ehdr, 0x18)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 0x36)
        f.seek(phoff)
        phdrs = f.read(phentsize * phnum)
        kbytes = None
        for i in range(phnum):
            ptype, _, off, _, paddr, filesz = struct.unpack_from(
                "<IIQQQQ", phdrs, i * phentsize)
            if ptype == 1 and paddr <= entry < paddr + filesz:
                f.seek(off + entry - paddr)
                kbytes = f.read(16)
        if kbytes is None:
            raise BootError("%s: entry 0x%x is in no loaded segment"
                            % (assets.vmlinux, entry))
    with open(assets.vmlinuz, "rb") as f:
        setup = f.read(0x200)
        sects = setup[0x1F1] or 4  # 0 means 4 (boot protocol)
        f.seek((sects + 1) * 512)
        zbytes = f.read(16)
    return entry, kbytes, zbytes


class NativeBoot:
    """One native boot of the Linux guest in Bochs: start(), then expect()
    and send() on the serial console, then wait_exit(); close() always.

    `echo` (a callable taking text) sees the console output as it comes."""

    def __init__(self, assets, workdir, mem=256, cpus=1, ips=100000000,
                 cmdline=DEFAULT_CMDLINE, measure=False, echo=None, net=False,
                 disk=None):
        """net: an e1000 on slirp (no port forwarded); disk: a raw image
        as the IDE disk (hvrun_emu.check_disk() it first)."""
        self.assets = assets
        self.net = (hvrun_emu.DEFAULT_MAC, []) if net else None
        self.disk = disk
        self.workdir = os.path.abspath(workdir)
        self.mem, self.cpus, self.ips = mem, cpus, ips
        self.cmdline = cmdline
        self.measure = measure
        self.echo = echo
        self.emu = None
        self.text = ""     # console output so far, escapes and CRs removed
        self.pos = 0       # expect() looks after this
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._raw_tail = ""
        self.started = None
        self.entry = None

    # -- start and stop -------------------------------------------------
    def prepare(self):
        """Build the ISO and the Bochs configuration; return its command."""
        os.makedirs(self.workdir, exist_ok=True)
        cfg = hvrun_grub.grub_cfg_linux(KERNEL_ISO, self.cmdline, INITRD_ISO)
        try:
            iso = hvrun_grub.build_iso(
                self.workdir, None,
                [(self.assets.vmlinuz, KERNEL_ISO), (self.assets.initramfs, INITRD_ISO)],
                cfg)
        except RuntimeError as e:
            raise BootError("grub-mkrescue failed: %s" % str(e).splitlines()[-1:])
        cmds = ["c"]
        if self.measure:
            self.entry = entry_points(self.assets)
            cmds = ["pb 0x%x" % self.entry[0], "c", "ptime", "c", "ptime", "d 1", "c"]
        self.emu = hvrun_emu.Emulator("bochs", "bios", self.workdir, iso,
                                      self.cpus, self.mem, self.ips, cmds,
                                      net=self.net, disk=self.disk)
        return self.emu.prepare()

    def start(self):
        miss = hvrun_emu.missing_requirements("bochs", "bios")
        if miss:
            raise BootError("%s missing (package %s): run tools/deps.sh"
                            % (miss[0][0], miss[0][1]))
        cmd = self.prepare()
        self.started = time.monotonic()
        self.emu.start(cmd)

    def close(self):
        if self.emu:
            self.emu.kill()
            self._pump(0)
            self.emu.close()
            self.emu = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the console ----------------------------------------------------
    def _pump(self, wait):
        """Take what the machine printed (waiting up to `wait` seconds)."""
        if self.emu is None or self.emu.master is None:
            return
        import select
        try:
            select.select([self.emu.master], [], [], wait)
        except InterruptedError:
            pass
        data = self.emu.read_serial()
        if not data:
            return
        raw = self._raw_tail + self._decoder.decode(data)
        # An escape sequence may straddle two reads: keep a trailing ESC...
        cut = raw.rfind("\x1b")
        if cut >= 0 and not _ESC.match(raw, cut):
            raw, self._raw_tail = raw[:cut], raw[cut:]
        else:
            self._raw_tail = ""
        clean = _ESC.sub("", raw).replace("\r", "")
        self.text += clean
        if self.echo:
            self.echo(clean)

    def _trouble(self):
        """Why the machine can no longer get anywhere, or None."""
        fault = self.emu.check_log()
        if fault:
            return fault
        m = RE_PANIC.search(self.text)
        if m:
            return "kernel panic: %s" % m.group(1).strip()
        if self.emu.poll() is not None:
            return "Bochs exited (%s)" % self.exit_reason()
        return None

    def expect(self, regex, timeout):
        """Wait until the output after the last match holds regex; return
        the match (and look after it from then on).  BootError on timeout,
        a kernel panic, a fault or the emulator's exit."""
        if isinstance(regex, str):
            regex = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            why = self._trouble()
            if why:
                self._pump(0.2)
                m = regex.search(self.text, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                raise BootError("%s, waiting for /%s/" % (why, regex.pattern))
            if time.monotonic() > deadline:
                raise BootError("timeout after %d s waiting for /%s/; last output: %r"
                                % (timeout, regex.pattern, self.text[-200:]))
            self._pump(0.05)

    def send(self, text, timeout=10):
        """Type text on the serial line (a terminal's Enter is "\\r")."""
        data = text.encode()
        deadline = time.monotonic() + timeout
        while data:
            n = self.emu.write_serial(data)
            data = data[n:]
            if data:
                if time.monotonic() > deadline:
                    raise BootError("the serial line took no input for %d s" % timeout)
                self._pump(0.02)

    def wait_exit(self, timeout):
        """Wait for Bochs to end; return exit_reason().  BootError on timeout."""
        deadline = time.monotonic() + timeout
        while self.emu.poll() is None:
            if time.monotonic() > deadline:
                raise BootError("Bochs still runs %d s later" % timeout)
            self._pump(0.05)
        self._pump(0)
        return self.exit_reason()

    def exit_reason(self):
        """"power off" when Bochs ended on the machine's ACPI soft power
        off (S5), else what its log says."""
        try:
            with open(self.emu.log, errors="replace") as f:
                log = f.read()
        except OSError:
            log = ""
        if "soft power off" in log:
            return "power off"
        m = re.search(r">>PANIC<< (.*)", log)
        if m:
            return "Bochs stopped: %s" % m.group(1).strip()
        return "exit status %s" % self.emu.poll()

    # -- figures --------------------------------------------------------
    def entry_ticks(self):
        """{"bzimage": ticks, "vmlinux": ticks} at the breakpoint stops
        recognised (see the top of this file); needs measure=True."""
        if not self.measure:
            return {}
        try:
            with open(self.emu.out_log if self.emu else
                      os.path.join(self.workdir, "bochs.out"), errors="replace") as f:
                out = f.read()
        except OSError:
            return {}
        _, kbytes, zbytes = self.entry
        found = {}
        for insn, ticks in debugger_stops(out):
            if insn and kbytes.startswith(insn) and "vmlinux" not in found:
                found["vmlinux"] = ticks
            elif insn and zbytes.startswith(insn) and "bzimage" not in found:
                found["bzimage"] = ticks
        return found
