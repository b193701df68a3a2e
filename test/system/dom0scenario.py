"""The dom0 scenario (issue 17): Linux owns the machine's devices.

The checks run on a Linux shell that is already booting, whatever booted
it: Debian's generic kernel natively in Bochs (test_linux_dom0_native.py,
through tools/linux_native.py) or, later, as mica's PVH dom0 (through
tools/hvrun and hvsession.Session).  Both boot the dom0 initramfs of
`tools/linux-assets --flavour dom0`, whose /init loads the modules for the
IDE disk, ext4 and the e1000, so the same steps apply:

  boot_report()    /init's lines: every module loaded, the TSC at the shell
  pci_devices()    /sys/bus/pci/devices: the PIIX3 IDE controller 8086:7010
                   bound to ata_piix, the 82540EM 8086:100e to e1000
  measure_dd()     TSC ticks and the disk's interrupts over a 32 MiB dd
                   of the raw disk (cold: before anything mounts it)
  use_disk()       mount the ext4 disk, read the host's file, write one,
                   sync, unmount; read_back() finds it in the image after
                   the emulator has ended (debugfs)
  interrupts()     /proc/interrupts: the disk controller's line counts
  use_network()    udhcpc gets 10.0.2.x from slirp; nc reaches a TCP
                   server of the test on the host's 127.0.0.1 through
                   slirp's 10.0.2.2, bytes both ways
  power_off()      `poweroff -f`

The machine is the same either way (native_boot(), mica_session()):
Bochs with an e1000 on slirp and the disk on the second IDE channel,
Linux given 512 MiB (natively the machine's; under mica a 1024 MiB
machine and dom0 mem=512, devices=host).  tools/bench_dom0.py takes
`make bench`'s dom0 figures from the same steps.

A console is anything with send(text), expect(regex, timeout) -> match
and text (what the machine printed, escapes and CRs removed, only ever
growing, so a match's positions index it): NativeBoot is one,
SessionConsole makes one of an hvrun session.  Shell runs a command
between two marker lines of its own, so no prompt is needed and other
lines around them do no harm."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

import linux_native
from hvsession import Session

# The machine: Linux's RAM natively, and under mica the machine's and
# dom0's.
LINUX_MIB = 512
MICA_MACHINE_MIB = 1024
# The disk the test makes: ext4 with one file of the host's.
DISK_MIB = 48          # >= 40: the dd reads 32 MiB
DISK_FILE = "hello.txt"
DISK_TEXT = "hello from the host, written by mkfs.ext4 -d"
GUEST_FILE = "from-guest.txt"
GUEST_TEXT = "written by Linux on the IDE disk"
DD_MIB = 32
IDE = ("0x8086", "0x7010")     # PIIX3 IDE (Bochs' and QEMU's i440FX)
E1000 = ("0x8086", "0x100e")   # 82540EM

RE_UP = re.compile(r"^mica-init: Linux (\S+) up, console (\S+)\n", re.M)
RE_MODULE = re.compile(r"^mica-init: module (\S+) (loaded|FAILED.*)\n", re.M)
RE_MODULES = re.compile(r"^mica-init: modules: (\d+) loaded, (\d+) failed\n", re.M)
RE_TSC = re.compile(r"^linux-boot-tsc: (\d+)\n", re.M)
RE_MODULES_TSC = re.compile(r"^linux-modules-tsc: (\d+)\n", re.M)


# ------------------------------------------------------------ the host side
def make_disk(path, mib=DISK_MIB):
    """A raw ext4 image of mib MiB holding DISK_FILE (mkfs.ext4 -d, from
    e2fsprogs); returns path."""
    if not shutil.which("mkfs.ext4") or not shutil.which("debugfs"):
        pytest.fail("mkfs.ext4 or debugfs missing: install e2fsprogs")
    root = str(path) + ".root"
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, DISK_FILE), "w") as f:
        f.write(DISK_TEXT + "\n")
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "mica-dom0", "-d", root, str(path)],
                   check=True, capture_output=True, timeout=60)
    shutil.rmtree(root)
    return str(path)


def read_back(image, name):
    """A file's bytes out of an ext4 image (debugfs, read-only), or None
    when it is not there."""
    p = subprocess.run(["debugfs", "-R", "cat /%s" % name, str(image)],
                       capture_output=True, timeout=60)
    if p.returncode != 0 or b"File not found" in p.stderr:
        return None
    return p.stdout


class TcpPeer:
    """A TCP server on the host's 127.0.0.1 for the guest to reach through
    slirp (10.0.2.2 is the host's loopback there): it takes one
    connection, reads a line and answers `reply`.  `got` holds what came."""

    def __init__(self, reply, timeout=600):
        self.reply = reply
        self.got = b""
        self.peer = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(timeout)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, self.peer = self.sock.accept()
            with conn:
                conn.settimeout(60)
                while b"\n" not in self.got:
                    data = conn.recv(4096)
                    if not data:
                        break
                    self.got += data
                conn.sendall(self.reply)
        except OSError:
            pass
        finally:
            self.done.set()

    def close(self):
        self.sock.close()
        self.thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------ the machine
def native_boot(assets, workdir, disk, cmdline=linux_native.DEFAULT_CMDLINE, measure=True,
                ips=100000000):
    """The kernel of `assets` (linux_native.Assets) booting natively on the
    machine (a linux_native.NativeBoot, not started: use it in a with)."""
    return linux_native.NativeBoot(assets, workdir, mem=LINUX_MIB, ips=ips, measure=measure,
                                   net=True, disk=disk, cmdline=cmdline)


def mica_session(assets_dir, disk, timeout=900, cmdline="console=hvc0", vcpus=1, args=()):
    """tools/hvrun booting mica with the kernel and initramfs of assets_dir
    as its dom0 owning the machine (an hvsession.Session, started);
    `args` are more of hvrun's options."""
    dom0 = "%s/vmlinux,initrd=%s/initramfs.cpio.gz,mem=%d,vcpus=%d,devices=host,cmdline=%s" % (
        assets_dir, assets_dir, LINUX_MIB, vcpus, cmdline)
    return Session(["--emulator", "bochs", "--mem", str(MICA_MACHINE_MIB), "--net",
                    "--disk", disk] + list(args) + ["--dom0", dom0], timeout=timeout)


# ------------------------------------------------------------ the console
RE_ESC = re.compile(r"\x1b(\[[0-9;?=]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")
RE_STAMPED = re.compile(r"^\[[0-9a-f .:-]+\] (?:\(([\w.-]+)\) )?")


class SessionConsole:
    """A console (see above) of an hvrun session (hvsession.Session) on
    the Linux shell of `domain`: its complete lines, escapes and CRs
    removed.  They come raw when the domain has the input focus on a
    terminal, else as "[time] (dom0) text" (console_focus=prefixed); the
    hypervisor's lines and other domains' are left out."""

    def __init__(self, session, domain="dom0"):
        self.s = session
        self.domain = domain
        self.text = ""
        self.pos = 0
        self._taken = 0  # bytes of session.out already in text
        self.ended = False  # hvrun has ended

    def _update(self):
        end = self.s.out.rfind(b"\n") + 1
        if end <= self._taken:
            return
        chunk = self.s.out[self._taken:end].decode("utf-8", "replace")
        self._taken = end
        for line in RE_ESC.sub("", chunk).replace("\r", "").split("\n")[:-1]:
            m = RE_STAMPED.match(line)
            if not m:
                self.text += line + "\n"
            elif m.group(1) == self.domain:
                self.text += line[m.end():] + "\n"

    def send(self, text):
        self.s.type(text.encode())

    def wait(self, regex, timeout):
        """The next match of regex (a str is compiled with re.M) within
        timeout seconds, or None (self.ended says whether hvrun ended
        first); the session goes on."""
        if isinstance(regex, str):
            regex = re.compile(regex, re.M)
        deadline = time.monotonic() + timeout
        while True:
            self._update()
            m = regex.search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            if self.ended or time.monotonic() > deadline:
                return None
            self.ended = not self.s._read(0.2)

    def expect(self, regex, timeout):
        """As wait(), but no match fails the test (and ends hvrun)."""
        m = self.wait(regex, timeout)
        if m:
            return m
        pattern = regex if isinstance(regex, str) else regex.pattern
        if self.ended:
            self.s.fail("hvrun ended before /%s/" % pattern)
        self.s.fail("no /%s/ within %d s" % (pattern, timeout))


class Shell:
    """Commands run on a console's shell, each between a begin and an end
    marker line (typed so that the shell's echo of the command line
    matches neither)."""

    def __init__(self, con, tag=""):
        """tag sets this shell's markers apart from another's on the same
        console (a guest's shell reached through dom0's `xl console`)."""
        self.con = con
        self.n = 0
        self.tag = tag

    def run(self, command, timeout=120):
        """(exit status, the lines the command printed)."""
        self.n += 1
        t = self.tag
        self.con.send("echo @@%s'begin'-%d; %s; echo @@%s'end'-%d:$?\r"
                      % (t, self.n, command, t, self.n))
        begin = self.con.expect(r"^@@%sbegin-%d\n" % (t, self.n), 60)
        end = self.con.expect(r"^@@%send-%d:(\d+)\n" % (t, self.n), timeout)
        return int(end.group(1)), self.con.text[begin.end():end.start()].splitlines()

    def ok(self, command, timeout=120):
        """The lines of a command that must succeed."""
        status, lines = self.run(command, timeout)
        assert status == 0, "`%s` failed (%d): %s" % (command, status, "\n".join(lines))
        return lines


# ------------------------------------------------------------ the steps
def boot_report(con, timeout):
    """/init's lines up to the TSC: {"release", "console", "modules":
    [names loaded], "modules_tsc" (before them), "tsc" (at the shell)};
    every module must load."""
    m = con.expect(RE_UP, timeout)
    rep = {"release": m.group(1), "console": m.group(2)}
    m = con.expect(RE_MODULES_TSC, 60)
    rep["modules_tsc"] = int(m.group(1))
    summary = con.expect(RE_MODULES, 600)
    lines = RE_MODULE.findall(con.text, m.end(), summary.start())
    failed = ["%s: %s" % (n, how) for n, how in lines if how != "loaded"]
    assert not failed and summary.group(2) == "0", failed
    rep["modules"] = [n for n, _ in lines]
    assert len(rep["modules"]) == int(summary.group(1)) > 0, lines
    rep["tsc"] = int(con.expect(RE_TSC, 120).group(1))
    return rep


def list_pci(sh):
    """[{slot, vendor, device, class, irq, driver}] from sysfs (busybox
    has no lspci)."""
    devs = []
    for line in sh.ok("for d in /sys/bus/pci/devices/*; do [ -e $d ] || continue; "
                      "echo ${d##*/} $(cat $d/vendor $d/device $d/class $d/irq) "
                      "$(basename \"$(readlink $d/driver)\"); done"):
        f = line.split()
        if len(f) >= 5:
            devs.append(dict(slot=f[0], vendor=f[1], device=f[2], cls=f[3], irq=f[4],
                             driver=f[5] if len(f) > 5 else ""))
    return devs


def print_pci(devs, who):
    """One line per device, for the test's output."""
    for d in devs:
        print("%s: pci %s %s:%s class %s irq %s %s"
              % (who, d["slot"], d["vendor"], d["device"], d["cls"], d["irq"], d["driver"]))


def pci_devices(sh):
    """list_pci(), where the controller and the NIC must have their
    drivers."""
    devs = list_pci(sh)
    ids = {(d["vendor"], d["device"]): d for d in devs}
    assert IDE in ids and ids[IDE]["driver"] == "ata_piix", devs
    assert E1000 in ids and ids[E1000]["driver"] == "e1000", devs
    return devs


def parse_interrupts(lines):
    """{irq: (total count, the line)} of /proc/interrupts' numbered lines."""
    out = {}
    for l in lines:
        m = re.match(r"^ *(\d+):((?: +\d+)+) +(.*)$", l)
        if m:
            out[int(m.group(1))] = (sum(int(n) for n in m.group(2).split()),
                                    " ".join(l.split()))
    return out


def interrupts(sh):
    return parse_interrupts(sh.ok("cat /proc/interrupts"))


def disk_name(sh):
    """The block device of the IDE controller's disk (sda)."""
    pci = "/%s/" % [d for d in list_pci(sh) if (d["vendor"], d["device"]) == IDE][0]["slot"]
    for line in sh.ok("ls -l /sys/block/"):
        m = re.search(r" (\w+) -> (\S+)$", line)
        if m and pci in m.group(2) and "/ata" in m.group(2):
            return m.group(1)
    pytest.fail("no disk behind the IDE controller in /sys/block")


def measure_dd(sh, dev, mib=DD_MIB):
    """Read mib MiB of the raw disk: {"ticks": TSC ticks of the dd,
    "irqs": {irq: (delta, line after)} of the lines that grew}."""
    lines = sh.ok("cat /proc/interrupts; tscmark dd-start; "
                  "dd if=/dev/%s of=/dev/null bs=1M count=%d; tscmark dd-end; "
                  "cat /proc/interrupts" % (dev, mib), 600)
    start = [i for i, l in enumerate(lines) if l.startswith("dd-start: ")][0]
    end = [i for i, l in enumerate(lines) if l.startswith("dd-end: ")][0]
    ticks = int(lines[end].split()[1]) - int(lines[start].split()[1])
    before, after = parse_interrupts(lines[:start]), parse_interrupts(lines[end:])
    grew = {n: (after[n][0] - before.get(n, (0, ""))[0], after[n][1])
            for n in after if after[n][0] > before.get(n, (0, ""))[0]}
    assert "%d+0 records in" % mib in lines[start:end], lines
    return {"ticks": ticks, "irqs": grew}


def disk_irq(dd):
    """The disk's line in measure_dd()'s result: (irq, its interrupts
    during the dd, its /proc/interrupts line after); exactly one ata_piix
    line must have grown."""
    lines = [(n, v) for n, v in dd["irqs"].items() if "ata_piix" in v[1]]
    assert len(lines) == 1 and lines[0][1][0] > 0, dd
    irq, (count, line) = lines[0]
    return irq, count, line


def use_disk(sh, dev):
    """Mount the disk's ext4, read the host's file, write GUEST_FILE, sync
    and unmount."""
    sh.ok("mkdir -p /mnt && mount -t ext4 /dev/%s /mnt" % dev)
    assert sh.ok("cat /mnt/%s" % DISK_FILE) == [DISK_TEXT]
    sh.ok("echo '%s' > /mnt/%s && sync" % (GUEST_TEXT, GUEST_FILE))
    assert sh.ok("cat /mnt/%s" % GUEST_FILE) == [GUEST_TEXT]
    sh.ok("umount /mnt")


def use_network(sh, peer, iface="eth0"):
    """DHCP from slirp, then a line to the host's server and its answer
    back: {"address", "answer"}."""
    out = sh.ok("udhcpc -i %s -n -q -t 10 -T 2" % iface, 300)
    addr = [l.split()[1] for l in sh.ok("ip -4 addr show dev %s" % iface)
            if l.split()[:1] == ["inet"]]
    assert addr and addr[0].startswith("10.0.2."), (out, addr)
    answer = sh.ok("echo hello-from-linux | nc -w 30 10.0.2.2 %d" % peer.port, 300)
    assert peer.done.wait(60), "the host's server got no connection"
    return {"address": addr[0], "answer": answer, "dhcp": out}


def power_off(sh):
    """`poweroff -f`: the machine goes off (the caller waits for it)."""
    sh.con.send("poweroff -f\r")


def report_failure(prog, side, e):
    """A bench tool's failure on stderr: the run's output that a
    pytest.fail message carries (hvsession's Session.fail), then one line
    "PROG: SIDE: why"."""
    why = str(e).strip() or type(e).__name__
    first, _, rest = why.partition("\n")
    if first.endswith("; output:"):
        first = first[:-len("; output:")]
    if rest:
        sys.stderr.write(rest + "\n")
    sys.stderr.write("%s: %s: %s\n" % (prog, side, first))
