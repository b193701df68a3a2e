"""hvrun's emulators: Bochs and QEMU command lines, start, stop, and logs.

Measured behaviour this code relies on (Bochs 2.7, QEMU 7.2, Debian 12):
- Bochs exits by itself on ACPI S5 ("ACPI control: soft power off" PANIC,
  exit status 1) and on "Shutdown" written to port 0x8900 (status 1).  Its
  exit status therefore says nothing; the serial markers decide.
- Bochs ignores SIGTERM: it is stopped with SIGKILL.
- Bochs on a triple fault logs "exception(): 3rd (N) exception with no
  resolution" to its log file.  With reset_on_triple_fault=0 (set below) it
  then stops instead of silently rebooting into the BIOS and GRUB.
- Bochs on a reset request (port 0xCF9, keyboard controller) boots again
  from the BIOS; nothing exits.
- QEMU with -no-reboot exits (status 0) on a triple fault or a reset request;
  with -d cpu_reset its debug log says "Triple fault" for the former.
- The serial line is a pseudo-terminal that hvrun holds both ends of: Bochs
  (com1 mode=term) and QEMU (chardev serial) open its slave, hvrun reads and
  writes the master.  Bochs writes a term-mode line at once, where its file
  mode buffers (a killed run used to lose the last lines).
- Bochs' term display draws the VGA screen into a pseudo-terminal of its
  own that nothing reads.  By default (update_freq=5, realtime=1) it
  redraws five times a second of wall time, and a screen that changes with
  every console line (the hypervisor's screen console) stalled Bochs: 300
  guest lines took over 300 s instead of 18 s.  Redrawing once per second
  of emulated time (update_freq=1, realtime=0) costs nothing measurable.
- That pseudo-terminal (Bochs opens /dev/ptmx itself and names the slave on
  stderr: 'Bochs connected to screen "/dev/pts/N"') only holds about 20 KiB.
  Even an unchanging screen costs 18 bytes per redraw (the cursor hidden
  and shown again), so after some 2,000 s of emulated time, which an idle
  machine (sync=none skips HLT) passes in minutes, Bochs' write to it
  blocked and the whole machine stopped: no serial output, no input taken,
  Bochs asleep in write(2).  poll() reads and drops what it drew.
- A disk (--disk) sits on the second IDE channel, ata1-master (I/O 0x170,
  IRQ 15; the ISO stays the first channel's master, so the BIOS and GRUB
  boot as before): Linux's ata_piix finds it as the first disk, sda.  A
  Bochs flat-mode disk needs its geometry in the bochsrc, and Bochs stops
  ("image size doesn't match specified geometry") unless the file is
  exactly cylinders * heads * sectors per track * 512 bytes; with
  cylinders=0 it guesses 16 heads and 63 sectors, which fits only
  multiples of 504 KiB.  disk_geometry() finds a geometry for any size
  that has one (at most 65535 cylinders, 16 heads, 63 sectors per track);
  QEMU needs none (-drive ...,if=ide,index=2: the same place).
- Bochs locks a disk image it writes by creating PATH.lock beside it and
  refuses an image whose lock exists ("could not open hard drive image
  file"); it removes the lock when it exits, but not when it is killed
  (SIGKILL, its only way out when the machine does not power off).  So
  kill() removes the lock of a run that made it, and check_disk()
  refuses an image that is locked.
- Screen and memory dumps (QEMU only) go through QMP on a unix socket in the
  workdir.  QEMU then runs with -no-shutdown: a guest power-off (or, with
  -no-reboot, a reset) pauses it and sends a SHUTDOWN event instead of
  exiting, so the screen is still there to dump; poll() reports that as
  the emulator's exit.  `screendump` writes a PPM of what the display
  shows (also in VGA text mode, drawn with the VGA BIOS font); `pmemsave`
  writes guest physical memory.
"""

import errno
import gzip
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import tty

BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "/usr/share/vgabios/vgabios.bin"
# display_library: term (the Debian build has no nogui).
BOCHS_TERM_PLUGIN = "/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# Bochs 2.7 takes a ROM image of at most 2 MiB: the combined 2 MiB OVMF
# (variables and code in one file).  Under Bochs OVMF finds no ACPI tables
# (they come from QEMU's fw_cfg device, which Bochs 2.7 lacks) and no GOP.
OVMF_BOCHS = "/usr/share/ovmf/OVMF.fd"

# Memory limits per emulator (MiB).  Bochs allocates guest RAM in host
# memory as it is touched; beyond 2 GiB it only slows down.
MEM_LIMITS = {"bochs": (32, 2048), "qemu": (32, 16384), "qemu-kvm": (32, 16384)}
CPU_LIMITS = (1, 8)
# A fixed CMOS time keeps Bochs runs repeatable (2024-01-01 00:00:00 UTC).
BOCHS_TIME0 = 1704067200
# The NIC's MAC address unless one is given (--net-mac).
DEFAULT_MAC = "52:54:00:12:34:56"
# ATA's CHS limits (the IDENTIFY words Bochs fills from the geometry).
MAX_CYLINDERS, MAX_HEADS, MAX_SPT = 65535, 16, 63


def disk_geometry(size):
    """(cylinders, heads, sectors per track) whose product times 512 is
    exactly size bytes, with the most sectors per cylinder (16 heads and
    63 sectors when the size allows).  ValueError saying which sizes work
    when none fits."""
    if size <= 0 or size % 512:
        raise ValueError("%d bytes is not a whole number of 512-byte sectors" % size)
    sectors = size // 512
    best = None
    for heads in range(MAX_HEADS, 0, -1):
        for spt in range(MAX_SPT, 0, -1):
            per_cyl = heads * spt
            if sectors % per_cyl == 0 and sectors // per_cyl <= MAX_CYLINDERS \
                    and (best is None or per_cyl > best[1] * best[2]):
                best = (sectors // per_cyl, heads, spt)
    if best is None:
        raise ValueError("%d bytes is not cylinders x heads x sectors x 512 with at "
                         "most %d cylinders, %d heads and %d sectors a track, which a "
                         "Bochs disk must be: any multiple of 256 KiB below 16 GiB "
                         "fits (16 heads, 32 sectors), or of 504 KiB below 31.5 GiB "
                         "(16 heads, 63 sectors)"
                         % (size, MAX_CYLINDERS, MAX_HEADS, MAX_SPT))
    return best


def check_disk(path, emulator):
    """Why the raw image at path cannot be the machine's disk (ValueError
    with one line), else None.  The machine writes to it."""
    if not os.path.exists(path):
        raise ValueError("no such file")
    if not os.path.isfile(path):
        raise ValueError("not a regular file")
    if not os.access(path, os.R_OK | os.W_OK):
        raise ValueError("not readable and writable (the machine writes to its disk)")
    if emulator == "bochs" and '"' in os.path.abspath(path):
        raise ValueError("a path with a double quote cannot go into a bochsrc")
    size = os.path.getsize(path)
    if size == 0:
        raise ValueError("empty")
    if emulator == "bochs":
        disk_geometry(size)
        if os.path.exists(path + ".lock"):
            raise ValueError("locked: Bochs made %s.lock while it ran and removes it "
                             "when it exits; another Bochs uses the image, or one "
                             "was killed (then remove the lock)" % path)
    elif size % 512:
        raise ValueError("%d bytes is not a whole number of 512-byte sectors" % size)


def required_files(emulator, firmware):
    """(path, package hint) pairs that must exist for this emulator."""
    need = [("grub-mkrescue", "grub-common"), ("xorriso", "xorriso"),
            ("mformat", "mtools")]
    if emulator == "bochs":
        need += [("bochs", "bochs"), (BOCHS_BIOS, "bochsbios"),
                 (BOCHS_VGABIOS, "vgabios"),
                 (BOCHS_TERM_PLUGIN, "bochs-term")]
        if firmware == "uefi":
            need += [(OVMF_BOCHS, "ovmf")]
    else:
        need += [("qemu-system-x86_64", "qemu-system-x86")]
        if firmware == "uefi":
            need += [(OVMF_CODE, "ovmf"), (OVMF_VARS, "ovmf")]
    return need


def missing_requirements(emulator, firmware):
    """The entries of required_files() that are absent."""
    out = []
    for path, pkg in required_files(emulator, firmware):
        if os.path.isabs(path):
            if not os.path.exists(path):
                out.append((path, pkg))
        elif shutil.which(path) is None:
            out.append((path, pkg))
    return out


def _hex_bytes(text):
    return bytes.fromhex(text) if re.fullmatch(r"(?:[0-9a-f]{2})+", text) else b""


def debugger_stops(out_text):
    """[(instruction bytes, ticks)] of each breakpoint stop Bochs' debugger
    printed: its "(0) [0x...] sel:addr (unk. ctxt): insn ; BYTES" line,
    then our ptime's "ptime: N".  With `clock: sync=none` the ticks are the
    TSC (tools/linux_native.py checked it against an rdtsc)."""
    stops, pending = [], None
    for line in out_text.splitlines():
        m = re.match(r"^\(\d+\) \[0x[0-9a-f]+\] [0-9a-f]+:[0-9a-f]+ .*; ([0-9a-f]+)\s*$",
                     line)
        if m:
            pending = _hex_bytes(m.group(1))
            continue
        m = re.match(r"^ptime: (\d+)", line)
        if m and pending is not None:
            stops.append((pending, int(m.group(1))))
            pending = None
    return stops


def bochsrc_ips(workdir):
    """The ips= of the bochsrc an Emulator wrote in workdir: emulated
    instructions per emulated second, so with `clock: sync=none` TSC ticks
    per second.  ValueError when there is none."""
    try:
        with open(os.path.join(workdir, "bochsrc")) as f:
            m = re.search(r"^cpu: .*\bips=(\d+)", f.read(), re.M)
    except OSError as e:
        raise ValueError("no bochsrc in %s: %s" % (workdir, e.strerror))
    if not m:
        raise ValueError("%s/bochsrc sets no ips=" % workdir)
    return int(m.group(1))


def elf_entry(path, entry=None, data=None):
    """(entry address, the first 16 bytes there) of an ELF file (32 or
    64-bit; gzipped too, as Xen ships; its bytes in `data` when given), or
    of `entry` when given (a PVH entry).  ValueError when the file is no
    ELF or the entry is in no loaded segment."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2):
        raise ValueError("%s: not an ELF file" % path)
    if data[4] == 1:
        e_entry, phoff = struct.unpack_from("<II", data, 0x18)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2a)
        fmt, fields = "<IIIIII", (0, 1, 3, 4)  # type, offset, paddr, filesz
    else:
        e_entry, phoff = struct.unpack_from("<QQ", data, 0x18)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        fmt, fields = "<IIQQQQ", (0, 2, 4, 5)
    entry = e_entry if entry is None else entry
    for i in range(phnum):
        ph = struct.unpack_from(fmt, data, phoff + i * phentsize)
        ptype, off, paddr, filesz = (ph[k] for k in fields)
        if ptype == 1 and paddr <= entry < paddr + filesz:
            at = off + entry - paddr
            return entry, data[at:at + 16]
    raise ValueError("%s: entry 0x%x is in no loaded segment" % (path, entry))


def _qemu_path(p):
    """QEMU option values escape a comma by doubling it."""
    return p.replace(",", ",,")


class QmpError(Exception):
    pass


class Qmp:
    """A QEMU Machine Protocol client: one JSON object a line each way.
    Commands are answered in order; events that come in between are kept."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""
        self.events = []

    def connect(self, alive, timeout=10.0):
        """Connect once QEMU listens (alive(): is it still running?)."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.path)
                break
            except OSError:
                s.close()
                if not alive() or time.monotonic() > deadline:
                    raise QmpError("cannot connect to QEMU's QMP socket %s" % self.path)
                time.sleep(0.05)
        self.sock = s
        self._message(5.0)  # the greeting
        self.command("qmp_capabilities")

    def _message(self, timeout):
        """The next message, or None when none comes within timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            # A timeout of 0 still looks once (a non-blocking read).
            self.sock.settimeout(max(0.0, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                return None
            if not data:
                raise QmpError("QEMU closed its QMP socket")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line.decode("utf-8", "replace"))

    def command(self, name, timeout=30.0, **args):
        """Run a command; its "return" value, or QmpError."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            m = self._message(max(0.0, deadline - time.monotonic()))
            if m is None:
                raise QmpError("%s: no answer from QEMU within %d s" % (name, timeout))
            if "event" in m:
                self.events.append(m)
            elif "error" in m:
                raise QmpError("%s: %s" % (name, m["error"].get("desc", m["error"])))
            elif "return" in m:
                return m["return"]

    def poll_events(self):
        """Take in the events that arrived; returns all seen so far."""
        while True:
            m = self._message(0.0)
            if m is None:
                return self.events
            if "event" in m:
                self.events.append(m)


class Emulator:
    """One emulator run: files in workdir, a process group, its log files.

    dumps (QEMU only): what to save from the machine at the end of the run,
    a list of ("screen", FILE) and ("mem", ADDR, SIZE, FILE)."""

    def __init__(self, kind, firmware, workdir, iso, cpus, mem, ips,
                 debugger_cmds=None, esp=None, dumps=None, net=None, gdb=None,
                 disk=None):
        self.kind = kind
        self.firmware = firmware
        self.workdir = workdir
        self.iso = iso
        self.esp = esp  # a directory served as a FAT disk instead of the ISO
        self.cpus = cpus
        self.mem = mem
        self.ips = ips
        self.serial = os.path.join(workdir, "serial.txt")
        self.out_log = os.path.join(workdir, kind.split("-")[0] + ".out")
        self.log = os.path.join(workdir, "bochs.log" if kind == "bochs"
                                else "qemu-debug.log")
        # Bochs' debugger reads these first (default: just continue);
        # what it prints goes to out_log.
        self.debugger_cmds = debugger_cmds or ["c"]
        self.proc = None
        self.master = self.slave = None  # the serial line's pseudo-terminal
        self.screen = None  # Bochs' term display's pseudo-terminal (slave side)
        self.dumps = dumps or []
        # net: None (no NIC) or (mac, [(host_port, guest_port), ...]): an
        # Intel 82540EM (e1000) on user-mode networking (slirp), each host
        # port on 127.0.0.1 forwarded to the guest's TCP port.
        self.net = net
        # gdb: None, or the port of QEMU's gdb stub (the machine starts stopped).
        self.gdb = gdb
        # disk: None, or a raw image (check_disk()) on the second IDE channel.
        self.disk = disk and os.path.abspath(disk)
        self._disk_lock = None  # Bochs' lock of it, once this run made it
        self.qmp = None
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self._log_pos = 0
        self._log_tail = ""

    # -- configuration ---------------------------------------------------
    def prepare(self):
        """Write config files; return the command line (a list)."""
        for p in (self.serial, self.log):
            if os.path.exists(p):
                os.unlink(p)
        open(self.serial, "wb").close()
        if self.master is None:
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)  # bytes as they are: no echo, no CR/LF games
            os.set_blocking(self.master, False)
        if self.kind == "bochs":
            return self._prepare_bochs()
        return self._prepare_qemu()

    def _prepare_bochs(self):
        rc = os.path.join(self.workdir, "bochsrc")
        cmds = os.path.join(self.workdir, "bochs.cmds")
        text = "\n".join([
            "# generated by tools/hvrun",
            "config_interface: textconfig",
            "display_library: term",
            "memory: guest=%d, host=%d" % (self.mem, self.mem),
            "cpu: model=corei7_skylake_x, count=%d, ips=%d, "
            "reset_on_triple_fault=0" % (self.cpus, self.ips),
            # sync=none: the TSC advances one tick per instruction.
            "clock: sync=none, time0=%d" % BOCHS_TIME0,
            "pci: enabled=1, chipset=i440fx",
            # fastboot: skip the BIOS boot menu delay (3 s of emulated time).
            ("romimage: file=%s" % OVMF_BOCHS if self.firmware == "uefi" else
             "romimage: file=%s, options=fastboot" % BOCHS_BIOS),
            "vgaromimage: file=%s" % BOCHS_VGABIOS,
            "vga: extension=vbe, update_freq=1, realtime=0",
            ('ata0-master: type=disk, path="%s", mode=flat' % self._fat_image()
             if self.esp else
             'ata0-master: type=cdrom, path="%s", status=inserted' % self.iso),
            "boot: %s" % ("disk" if self.esp else "cdrom"),
        ] + self._bochs_disk() + [
            'com1: enabled=1, mode=term, dev="%s"' % os.ttyname(self.slave),
            "port_e9_hack: enabled=1",
            'log: "%s"' % self.log,
        ] + self._bochs_net() + [
            "panic: action=fatal",
            "error: action=report",
            "info: action=report",
            "debug: action=ignore",
            "",
        ])
        with open(rc, "w") as f:
            f.write(text)
        with open(cmds, "w") as f:
            f.write("\n".join(self.debugger_cmds) + "\n")
        return ["bochs", "-q", "-f", rc, "-rc", cmds]

    def _bochs_disk(self):
        """The second IDE channel and its master disk, when there is one."""
        if not self.disk:
            return []
        cyl, heads, spt = disk_geometry(os.path.getsize(self.disk))
        return ["ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15",
                'ata1-master: type=disk, mode=flat, path="%s", cylinders=%d, '
                'heads=%d, spt=%d' % (self.disk, cyl, heads, spt)]

    def _bochs_net(self):
        """The e1000 line (and its slirp.conf) when the machine has a NIC."""
        if not self.net:
            return []
        mac, fwds = self.net
        conf = os.path.join(self.workdir, "slirp.conf")
        with open(conf, "w") as f:
            # Bochs' slirp module wants this first line (its slirp.conf
            # example), then "key = value" lines.
            f.write("# slirp config\n")
            for host, guest in fwds:
                f.write("hostfwd = tcp:127.0.0.1:%d-:%d\n" % (host, guest))
        return ['e1000: enabled=1, mac=%s, ethmod=slirp, script="%s"' % (mac, conf)]

    def _fat_image(self):
        """The ESP directory as a FAT disk image (Bochs has no directory
        disks); mtools builds it, no root needed."""
        img = os.path.join(self.workdir, "esp.img")
        files = []
        for d, _, names in os.walk(self.esp):
            files += [os.path.join(d, n) for n in names]
        size = sum(os.path.getsize(f) for f in files)
        mib = max(16, (size * 11 // 10 >> 20) + 4)
        with open(img, "wb") as f:
            f.truncate(mib << 20)
        subprocess.run(["mformat", "-i", img, "-v", "MICA", "::"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for d, dirs, names in os.walk(self.esp):
            rel = os.path.relpath(d, self.esp)
            inside = "::/" if rel == "." else "::/%s/" % rel
            for n in dirs:
                subprocess.run(["mmd", "-i", img, inside + n], check=True,
                               stderr=subprocess.PIPE)
            for n in names:
                subprocess.run(["mcopy", "-i", img, os.path.join(d, n), inside + n],
                               check=True, stderr=subprocess.PIPE)
        return img

    def _prepare_qemu(self):
        cmd = ["qemu-system-x86_64", "-machine", "pc", "-m", str(self.mem),
               "-smp", str(self.cpus), "-display", "none", "-no-reboot",
               "-drive", ("file=fat:%s,format=raw,if=virtio,readonly=on" % _qemu_path(self.esp)
                          if self.esp else
                          "file=%s,media=cdrom,readonly=on" % _qemu_path(self.iso)),
               "-chardev", "serial,id=ser0,path=%s"
               % _qemu_path(os.ttyname(self.slave)),
               "-serial", "chardev:ser0", "-monitor", "none",
               ] + self._qemu_net() + [
               "-d", "cpu_reset,guest_errors", "-D", self.log]
        if self.disk:
            # index 2: the second channel's master, as under Bochs.
            cmd += ["-drive", "file=%s,format=raw,if=ide,index=2,media=disk"
                    % _qemu_path(self.disk)]
        if self.dumps:
            if os.path.exists(self.qmp_path):
                os.unlink(self.qmp_path)
            cmd += ["-qmp", "unix:%s,server=on,wait=off" % _qemu_path(self.qmp_path),
                    "-no-shutdown"]
        if self.gdb:
            cmd += ["-gdb", "tcp:127.0.0.1:%d" % self.gdb, "-S"]
        if self.kind == "qemu-kvm":
            cmd += ["-enable-kvm", "-cpu", "host,+vmx"]
        else:
            cmd += ["-accel", "tcg", "-cpu", "max"]
        if self.firmware == "uefi":
            vars_copy = os.path.join(self.workdir, "OVMF_VARS_4M.fd")
            shutil.copyfile(OVMF_VARS, vars_copy)
            cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=%s"
                    % _qemu_path(OVMF_CODE),
                    "-drive", "if=pflash,format=raw,file=%s" % _qemu_path(vars_copy)]
        return cmd

    def _qemu_net(self):
        if not self.net:
            # No NIC: OVMF would try a network boot first (iPXE).
            return ["-net", "none"]
        mac, fwds = self.net
        netdev = "user,id=n0" + "".join(",hostfwd=tcp:127.0.0.1:%d-:%d" % f for f in fwds)
        # romfile= (empty): no iPXE option ROM, so neither the BIOS nor
        # OVMF tries a network boot before the CD-ROM.
        return ["-netdev", netdev, "-device", "e1000,netdev=n0,mac=%s,romfile=" % mac]

    # -- process control -------------------------------------------------
    def start(self, cmd):
        env = dict(os.environ)
        # Bochs' term display needs a terminal type even without a terminal.
        env.setdefault("TERM", "xterm")
        if not env["TERM"] or env["TERM"] == "dumb":
            env["TERM"] = "xterm"
        if self.kind == "bochs" and self.disk and not os.path.exists(self.disk + ".lock"):
            self._disk_lock = self.disk + ".lock"
        out = open(self.out_log, "wb")
        try:
            # A session of its own: Ctrl-C at the terminal reaches hvrun only,
            # and killpg() takes every process the emulator started.
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT,
                                         start_new_session=True)
        finally:
            out.close()
        if self.dumps:
            self.qmp = Qmp(self.qmp_path)
            self.qmp.connect(lambda: self.proc.poll() is None)

    def take_dumps(self):
        """Stop the machine and save the dumps asked for; raises QmpError.
        Does nothing without dumps (or when QEMU is gone, which -no-shutdown
        makes a crash of QEMU itself)."""
        if not self.qmp or self.proc.poll() is not None:
            if self.dumps:
                raise QmpError("QEMU is gone: nothing to dump")
            return
        self.qmp.command("stop")
        for d in self.dumps:
            if d[0] == "screen":
                self.qmp.command("screendump", filename=os.path.abspath(d[1]))
            else:
                self.qmp.command("pmemsave", val=d[1], size=d[2],
                                 filename=os.path.abspath(d[3]))

    def read_serial(self):
        """Bytes the machine sent on its serial line since the last call
        (b"" if none); they are also appended to serial.txt."""
        chunks = []
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EIO):
                    break
                raise
            if not data:
                break
            chunks.append(data)
        data = b"".join(chunks)
        if data:
            with open(self.serial, "ab") as f:
                f.write(data)
        return data

    def write_serial(self, data):
        """Type bytes on the machine's serial line; returns how many the
        line took now (the rest must be offered again)."""
        try:
            return os.write(self.master, data)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                return 0
            raise

    def drain_screen(self):
        """Read and drop what Bochs' term display drew since the last call
        (see the top of this file: unread, it stops Bochs).  Its
        pseudo-terminal is opened once Bochs has named it in out_log."""
        if self.kind != "bochs" or not self.proc:
            return
        if self.screen is None:
            try:
                with open(self.out_log, "rb") as f:
                    head = f.read(65536)  # the line comes before any debugger output
            except FileNotFoundError:
                return
            m = re.search(rb'Bochs connected to screen "(/dev/[^"]+)"', head)
            if not m:
                return
            try:
                self.screen = os.open(m.group(1), os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
            except OSError:
                self.screen = -1  # gone already (Bochs exited): nothing to drain
                return
            # Bytes as they come, whatever mode the display left it in: no
            # waiting for a newline (it draws none), no echo.
            tty.setraw(self.screen)
        while self.screen >= 0:
            try:
                if not os.read(self.screen, 65536):
                    break
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EIO):
                    break
                raise

    def poll(self):
        """Exit status, or None while running.  With dumps, QEMU pauses
        where it would exit: that counts as exit status 0."""
        if not self.proc:
            return None
        self.drain_screen()
        status = self.proc.poll()
        if status is None and self.qmp:
            try:
                if any(e["event"] == "SHUTDOWN" for e in self.qmp.poll_events()):
                    return 0
            except (QmpError, OSError, ValueError):
                pass  # QEMU going away: proc.poll() says so next time
        return status

    def kill(self):
        """Stop the whole process group (Bochs ignores SIGTERM: SIGKILL)."""
        if not self.proc:
            return
        if self.proc.poll() is None:
            sig = signal.SIGKILL if self.kind == "bochs" else signal.SIGTERM
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in the group (also after a normal exit).
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        if self._disk_lock and self.proc.poll() is not None:
            try:
                os.unlink(self._disk_lock)  # a killed Bochs leaves it
            except FileNotFoundError:
                pass
            self._disk_lock = None

    def close(self):
        """Let go of the serial line (after kill and the last read)."""
        for fd in (self.master, self.slave, self.screen):
            if fd is not None and fd >= 0:
                os.close(fd)
        self.master = self.slave = self.screen = None
        if self.qmp and self.qmp.sock:
            self.qmp.sock.close()
            self.qmp.sock = None

    # -- log watching ----------------------------------------------------
    def read_log(self):
        """New text of the emulator's own log since the last call."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self._log_pos)
                data = f.read()
        except FileNotFoundError:
            return ""
        self._log_pos += len(data)
        return data.decode("utf-8", "replace")

    def check_log(self):
        """A fault the emulator saw that the serial line cannot show, or None.

        Scans only new log text (the tail of a line split across reads is
        kept)."""
        text = self._log_tail + self.read_log()
        cut = text.rfind("\n") + 1
        self._log_tail = text[cut:]
        text = text[:cut]
        if self.kind == "bochs":
            m = re.search(r"exception\(\): 3rd \((\d+)\) exception with no "
                          r"resolution", text)
            if m or "triple fault" in text.lower():
                return "triple fault (Bochs: 3rd exception %s with no resolution)" \
                    % (m.group(1) if m else "?")
            m = re.search(r">>PANIC<< (.*)", text)
            if m and "soft power off" not in m.group(1) \
                    and "shutdown requested" not in m.group(1):
                return "Bochs stopped: %s" % m.group(1).strip()
        else:
            if "Triple fault" in text:
                return "triple fault"
        return None

    def describe_exit(self, status):
        """A short reason for an exit without the power-off marker."""
        self._log_pos = 0
        self._log_tail = ""
        whole = self.read_log()
        if self.kind != "bochs" and "Triple fault" in whole:
            return "triple fault (QEMU reset the CPU)"
        try:
            with open(self.out_log, "rb") as f:
                out = f.read().decode("utf-8", "replace")
        except OSError:
            out = ""
        # QEMU's own complaints go to its stdout/stderr.
        err = [l.strip() for l in out.splitlines()
               if l.strip() and "qemu-system" in l]
        if err:
            return "emulator exited (status %d): %s" % (status, err[-1])
        return "emulator exited (status %d) without 'mica: power off'" % status
