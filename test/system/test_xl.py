"""Debian's own Xen toolstack on mica (issue 18): xl in a Linux dom0.

tools/xl-assets makes the dom0 from Debian's packages at test time:
Debian's generic kernel, and an initramfs with busybox, the Xen 4.17
tools and their libraries and the dom0 kernel modules, whose /init
starts xenstored, xen-init-dom0 and xenconsoled as Debian's init script
does and makes the bridge xenbr0 (one "mica-xen: STEP ok" line each).
It boots once as mica's dom0 in Bochs, for the four tests below, which
work on its shell through the hypervisor's console:

test_xl_toolstack:
  xl info        the machine as the hypervisor has it (CPUs, memory,
                 the version and command line)
  xl list        Domain-0
  xl create      /etc/xen/guest.cfg: a PVH guest of Debian's cloud kernel
                 (bzImage, ramdisk, 128 MiB, one vcpu), built by libxl
  xl console     the guest's shell, typed into over xenconsoled, then
                 Ctrl-] back to dom0
  xl vcpu-list, xl pause / unpause, xl mem-set (the guest's balloon
  driver gives memory back; xl list shows it), xl dmesg (the
  hypervisor's log), xl shutdown -w (the guest's orderly poweroff through
  the PV shutdown protocol in xenstore), and a second guest that
  xl destroy ends; then ten create/destroy cycles: the free memory comes
  back each time.
test_xl_disk_and_network:
  /etc/xen/guest-dev.cfg: the guest with a disk (a file in dom0, a loop
  device, Linux's blkback) and a vif on xenbr0 (netback), both set up by
  Xen's hotplug scripts; the guest mounts xvda, writes and reads back,
  pings dom0 and sends it the file it wrote over TCP; after xl destroy
  the loop device and the vif are gone and the data is in the image.
test_xl_create_killed:
  xl create killed with SIGKILL half way, twice; xl destroy of the
  half-built domain by number gives all of its memory back.
test_xl_xenstored_killed:
  xenstored killed with SIGKILL while a guest runs; the guest runs on,
  and with xenstored, xen-init-dom0 and xenconsoled started again xl
  destroys it by number, memory back, and builds new guests.
At the end dom0 powers the machine off; no domain may have crashed or
kept frames.

About 14 minutes of wall time here; the first run downloads about 100 MB
of Debian packages."""

import re
import time

import pytest

import dom0scenario as sc
from hvsession import Session

MACHINE_MIB = 2048
DOM0_MIB = 768
GUEST_MIB = 128
BALLOON_MIB = 96
XEN_STEPS = ("xenfs", "xenstored", "xen-init-dom0", "xenconsoled")
RE_XEN_STEP = re.compile(r"^mica-xen: (\S+) (ok|FAILED.*)\n", re.M)
CTRL_RBRACKET = "\x1d"  # xenconsole's escape back to dom0


def xl_session(assets, dom0_assets):
    dom0 = ("%s/vmlinux,initrd=%s/initramfs.cpio.gz,mem=%d,vcpus=1,devices=host,"
            "cmdline=console=hvc0" % (dom0_assets, assets, DOM0_MIB))
    return Session(["--emulator", "bochs", "--mem", str(MACHINE_MIB), "--dom0", dom0],
                   timeout=1800)


def xl_info(sh):
    """`xl info` as {key: value}."""
    out = {}
    for line in sh.ok("xl info"):
        k, sep, v = line.partition(":")
        if sep:
            out[k.strip()] = v.strip()
    return out


def xl_list(sh):
    """`xl list` as {name: (id, mem MiB, vcpus, state)}."""
    out = {}
    for line in sh.ok("xl list")[1:]:
        f = line.split()
        if len(f) >= 6:
            out[f[0]] = (int(f[1]), int(f[2]), int(f[3]), f[4])
    return out


def wait_list(sh, test, timeout, what):
    """Poll `xl list` until test(listing) holds."""
    deadline = time.monotonic() + timeout
    while True:
        lst = xl_list(sh)
        if test(lst):
            return lst
        assert time.monotonic() < deadline, "%s: not within %d s: %s" % (what, timeout, lst)
        sh.run("sleep 2")


def guest_shell(con, timeout):
    """On an attached `xl console`: type until the guest's own shell
    answers (it may still be booting); returns its kernel release."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The quotes keep the typed line from matching its answer.
        con.send("echo gu''est-$(uname -r)\r")
        m = con.wait(re.compile(r"^guest-(\S+)\n", re.M), 20)
        if m:
            return m.group(1)
    con.s.fail("the guest's shell did not answer on xl console within %d s" % timeout)


def detach(con, sh):
    """Ctrl-] ends xl console; xenconsole takes it only when a read of
    its terminal returns that byte alone, so nothing is typed after it for
    a while, and then a command only dom0 has (the guest has no xl) tells
    whose shell answers."""
    for _ in range(5):
        con.send(CTRL_RBRACKET)
        time.sleep(3)
        status, _ = sh.run("xl list >/dev/null")
        if status == 0:
            return
    con.s.fail("Ctrl-] did not end xl console")


class Dom0:
    """The booted xl dom0 that this file's tests share, one after another:
    the session, its console and shell, and /init's report."""

    def __init__(self, s):
        self.s = s
        self.con = sc.SessionConsole(s)
        self.rep = sc.boot_report(self.con, 1200)
        self.steps = dict(RE_XEN_STEP.findall(self.con.text))
        self.sh = sc.Shell(self.con)

    def alive(self):
        """The dom0, as a test starts: still running, and with no guest
        that an earlier test left behind (a failed test leaves its guest:
        it is destroyed here, so that the failure is not repeated as
        "already exists" by every test after it)."""
        if self.s.p.poll() is not None:
            pytest.fail("the xl dom0's session ended in an earlier test")
        left = [v[0] for n, v in xl_list(self.sh).items() if n != "Domain-0"]
        for domid in left:
            print("destroying domain %d, left by an earlier test" % domid)
            self.sh.ok("xl destroy %d" % domid, timeout=300)
        return self


@pytest.fixture(scope="module")
def xl_dom0(xl_assets_dir, linux_dom0_assets_dir):
    """One boot of the xl dom0 for the tests below; at the end dom0 powers
    the machine off, and no domain may have crashed."""
    with xl_session(xl_assets_dir, linux_dom0_assets_dir) as s:
        d = Dom0(s)
        print("dom0: %s, Xen's daemons: %s" % (d.rep["release"], d.steps))
        yield d
        d.alive()
        sc.power_off(d.sh)
        s.wait_for("mica: dom0 exit: poweroff", 180)
        assert s.finish(120) == 0
        log = s.out.decode("utf-8", "replace")
    assert "domain crashed" not in log
    # Every domain gave back every frame it had (hv/domain.c says when
    # one did not).
    assert "RAM frames not given back" not in log


@pytest.mark.boot
@pytest.mark.bochs
def test_xl_toolstack(xl_dom0):
    d = xl_dom0.alive()
    s, con, sh, rep = d.s, d.con, d.sh, d.rep
    assert all(d.steps.get(st) == "ok" for st in XEN_STEPS), d.steps
    info = xl_info(sh)
    print("xl info: %s" % {k: info.get(k) for k in
                           ("nr_cpus", "total_memory", "free_memory", "xen_version",
                            "xen_commandline", "virt_caps", "xen_scheduler")})
    assert info["nr_cpus"] == "1"
    assert info["xen_version"].startswith("4.19-mica")
    assert info["xen_scheduler"] == "credit"
    assert "hvm" in info["virt_caps"].split() and "hap" in info["virt_caps"].split()
    log = s.out.decode("utf-8", "replace")
    cmdline = re.search(r'command line: "([^"]*)"', log).group(1)
    assert info["xen_commandline"] == cmdline
    total, free0 = int(info["total_memory"]), int(info["free_memory"])
    # All of the machine's RAM but what firmware and the hypervisor
    # keep; dom0's is part of it and not free.
    assert MACHINE_MIB - 128 <= total <= MACHINE_MIB, info
    assert free0 + DOM0_MIB <= total, info
    assert xl_list(sh)["Domain-0"][:3] == (0, DOM0_MIB, 1)

    # A PVH guest built by libxl.
    lines = sh.ok("xl create /etc/xen/guest.cfg 2>&1", timeout=300)
    print("xl create: %s" % lines)
    lst = xl_list(sh)
    assert "guest" in lst and lst["guest"][1:3] == (GUEST_MIB, 1), lst
    domid = lst["guest"][0]
    vcpus = sh.ok("xl vcpu-list guest")
    assert re.match(r"^guest\s+%d\s+0\s+0\s" % domid, vcpus[1]), vcpus
    free1 = int(xl_info(sh)["free_memory"])
    assert GUEST_MIB <= free0 - free1 <= GUEST_MIB + 16, (free0, free1)

    # Its console, through xenconsoled.
    con.send("xl console guest\r")
    release = guest_shell(con, 600)
    print("xl console: the guest's shell runs Linux %s" % release)
    assert release.endswith("-cloud-amd64") and release != rep["release"]
    con.send("echo typed-$((6 * 7))\r")
    con.expect(re.compile(r"^typed-42\n", re.M), 60)
    detach(con, sh)

    sh.ok("xl pause guest")
    assert "p" in xl_list(sh)["guest"][3]
    sh.ok("xl unpause guest")
    assert "p" not in xl_list(sh)["guest"][3]

    sh.ok("xl mem-set guest %dm" % BALLOON_MIB)
    wait_list(sh, lambda lst: lst["guest"][1] == BALLOON_MIB, 240, "the balloon")
    print("xl mem-set: the guest has %d MiB" % BALLOON_MIB)

    dmesg = sh.ok("xl dmesg")
    assert any("domu%d: created by dom0" % domid in line for line in dmesg), dmesg[-5:]
    # Not dom0's own console output (Xen's console_to_ring is off).
    assert not any("] (dom0) " in line for line in dmesg), dmesg[-5:]

    # An orderly shutdown through xenstore's control/shutdown.
    sh.ok("xl shutdown -w guest", timeout=300)
    assert "guest" not in xl_list(sh)
    free2 = int(xl_info(sh)["free_memory"])
    assert abs(free2 - free0) <= 2, (free0, free2)

    # A second guest, destroyed while it runs.
    sh.ok("xl create /etc/xen/guest.cfg 2>&1", timeout=300)
    assert "guest" in xl_list(sh)
    sh.ok("sleep 5; xl destroy guest")
    assert "guest" not in xl_list(sh)
    free3 = int(xl_info(sh)["free_memory"])
    assert abs(free3 - free0) <= 2, (free0, free3)

    # Ten more create/destroy cycles: nothing is left behind.
    for _ in range(10):
        sh.ok("xl create -q /etc/xen/guest.cfg && xl destroy guest", timeout=300)
    assert list(xl_list(sh)) == ["Domain-0"]
    free4 = int(xl_info(sh)["free_memory"])
    assert abs(free4 - free0) <= 1, (free0, free4)

    log = s.out.decode("utf-8", "replace")
    assert "its toolstack puts a page of its own at 0xfefff" in log
    destroyed = re.findall(r"domu(\d+): destroyed by dom0", log)
    print("%d domains destroyed by xl" % len(destroyed))
    assert len(destroyed) >= 12, destroyed


DISK = "/var/lib/xen/disk.img"
BLOB_KIB = 1024


@pytest.mark.boot
@pytest.mark.bochs
def test_xl_disk_and_network(xl_dom0):
    """A guest with a disk (a file in dom0 through a loop device and
    blkback) and a network card (netback on the bridge xenbr0): it mounts
    the disk, writes to it and reads back, pings dom0 and sends it a file
    over TCP; after xl destroy the guest's data is in the file."""
    d = xl_dom0.alive()
    con, sh = d.con, d.sh
    assert d.steps.get("xenbr0") == "ok", d.steps
    # Only emergencies from dom0's kernel on the console from here on: its
    # lines (the loop device, the bridge) would land amid the commands'.
    sh.ok("echo 1 >/proc/sys/kernel/printk")
    free0 = int(xl_info(sh)["free_memory"])
    sh.ok("dd if=/dev/zero of=%s bs=1M count=16 2>/dev/null && mke2fs -q -F %s >/dev/null"
          % (DISK, DISK))
    sh.ok("xl create /etc/xen/guest-dev.cfg 2>&1", timeout=300)
    # libxl waited for the hotplug scripts: a loop device on the file, the
    # vif on the bridge.
    loops = sh.ok("losetup -a")
    assert any(DISK in ln for ln in loops), loops
    domid = xl_list(sh)["guest-dev"][0]
    assert sh.ok("ls /sys/class/net/xenbr0/brif") == ["vif%d.0" % domid]

    con.send("xl console guest-dev\r")
    guest_shell(con, 600)
    # The guest's shell, on the same console (its kernel's messages are
    # off once the first command has run).
    gsh = sc.Shell(con, tag="g")
    # The front ends found their back ends (xvda, eth0).
    gsh.ok("echo 1 >/proc/sys/kernel/printk && mkdir -p /mnt && mount /dev/xvda /mnt")
    gsh.ok("echo written-by-guest-$((6 * 7)) >/mnt/hello && "
           "dd if=/dev/urandom of=/mnt/blob bs=1k count=%d 2>/dev/null" % BLOB_KIB, 300)
    sums = gsh.ok("sync && echo 3 >/proc/sys/vm/drop_caches && cat /mnt/hello && "
                  "md5sum /mnt/blob", timeout=300)
    assert sums[0] == "written-by-guest-42", sums
    blob_md5 = sums[1].split()[0]
    gsh.ok("ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0")
    ping = gsh.ok("ping -c 3 -w 60 10.0.0.1", timeout=120)
    assert any("3 packets received" in ln for ln in ping), ping
    # The blob to dom0 over TCP.  (busybox's nc ends when its stdin does:
    # dom0's listener reads from a pipe that stays open, for emulated
    # seconds, which an idle machine passes fast.)
    detach(con, sh)
    sh.ok("(sleep 1000000 | nc -l -p 5000 >/tmp/recv &); sleep 1")
    con.send("xl console guest-dev\r")
    guest_shell(con, 60)
    gsh.ok("nc 10.0.0.1 5000 </mnt/blob", timeout=300)
    detach(con, sh)
    got = sh.ok("for i in $(seq 60); do [ $(stat -c %%s /tmp/recv) -ge %d ] && break; "
                "sleep 1; done; md5sum /tmp/recv" % (BLOB_KIB * 1024), timeout=180)
    assert got[-1].split()[0] == blob_md5, (got, blob_md5)
    print("xl: the guest wrote %d KiB to xvda and sent them to dom0 over eth0" % BLOB_KIB)

    # Destroyed with the file system mounted: what the guest synced is in
    # the file, and the hotplug scripts undid the loop device and the vif.
    sh.ok("xl destroy guest-dev")
    assert "guest-dev" not in xl_list(sh)
    assert not any(DISK in ln for ln in sh.ok("losetup -a"))
    assert sh.ok("ls /sys/class/net/xenbr0/brif") == []
    back = sh.ok("mkdir -p /mnt && mount -o loop,ro %s /mnt && cat /mnt/hello && "
                 "md5sum /mnt/blob && umount /mnt" % DISK)
    assert back[0] == "written-by-guest-42" and back[1].split()[0] == blob_md5, back
    free1 = int(xl_info(sh)["free_memory"])
    assert abs(free1 - free0) <= 1, (free0, free1)


@pytest.mark.boot
@pytest.mark.bochs
def test_xl_create_killed(xl_dom0):
    """xl create killed (SIGKILL) half way through libxl's build leaves a
    half-built domain; xl destroy of it by number gives everything back,
    and the next xl create works."""
    d = xl_dom0.alive()
    sh = d.sh
    free0 = int(xl_info(sh)["free_memory"])
    # libxl takes about 4.4 emulated seconds to the unpause: 2 s in, the
    # domain is made but has no memory yet; 3.5 s in, libxl is
    # populating, loading and wiring it.  (No `wait`: once busybox ash's
    # wait after the kill did not come back.)
    domids = []
    for delay in ("2", "3.5"):
        sh.ok("xl create -q /etc/xen/guest.cfg >/dev/null 2>&1 & sleep %s; kill -9 $!; sleep 1"
              % delay)
        lst = xl_list(sh)
        left = {n: v for n, v in lst.items() if n != "Domain-0"}
        print("xl create killed after %s s leaves: %s" % (delay, left))
        assert len(left) == 1, lst
        (domid, _, _, state), = left.values()
        # Paused, never unpaused: libxl unpauses as its last step.
        assert "p" in state, lst
        sh.ok("xl destroy %d" % domid, timeout=300)
        assert list(xl_list(sh)) == ["Domain-0"]
        free1 = int(xl_info(sh)["free_memory"])
        assert abs(free1 - free0) <= 1, (delay, free0, free1)
        domids.append(domid)
    sh.ok("xl create -q /etc/xen/guest.cfg && xl destroy guest", timeout=300)
    assert list(xl_list(sh)) == ["Domain-0"]
    log = d.s.out.decode("utf-8", "replace")
    assert all("domu%d: destroyed by dom0" % i in log for i in domids), domids


@pytest.mark.boot
@pytest.mark.bochs
def test_xl_xenstored_killed(xl_dom0):
    """xenstored killed (SIGKILL) while a guest runs: the guest and the
    hypervisor go on; once the administrator starts xenstored,
    xen-init-dom0 and xenconsoled again, xl destroys the orphaned guest by
    number with all of its memory back, and builds new guests."""
    d = xl_dom0.alive()
    sh = d.sh
    free0 = int(xl_info(sh)["free_memory"])
    sh.ok("xl create -q /etc/xen/guest.cfg", timeout=300)
    domid = xl_list(sh)["guest"][0]
    sh.ok("kill -9 $(cat /run/xenstore.pid); sleep 2")
    # Xen's C xenstored keeps its store in memory: the new one knows
    # nothing of the guest, which xl then lists as "(null)".
    sh.ok("XENSTORED_ROOTDIR=/run/xenstored xenstored --pid-file /run/xenstore.pid && "
          "sleep 1 && xen-init-dom0", timeout=120)
    lst = xl_list(sh)
    orphan = [(n, v) for n, v in lst.items() if v[0] == domid]
    print("after xenstored was killed and started again: %s" % lst)
    assert len(orphan) == 1 and orphan[0][1][1] == GUEST_MIB, lst
    # Still there to run: running (r), blocked (b) or waiting for the CPU
    # (no flag); not paused, shut down, crashed or dying.
    state = orphan[0][1][3]
    assert not set(state) & set("pscd"), lst
    sh.ok("xl destroy %d" % domid, timeout=300)
    assert list(xl_list(sh)) == ["Domain-0"]
    free1 = int(xl_info(sh)["free_memory"])
    assert abs(free1 - free0) <= 1, (free0, free1)
    # xenconsoled's watches were in the old store.
    sh.ok("kill $(cat /run/xenconsoled.pid); sleep 1; "
          "xenconsoled --pid-file /run/xenconsoled.pid --log=guest")
    sh.ok("xl create -q /etc/xen/guest.cfg && xl destroy guest", timeout=300)
    assert list(xl_list(sh)) == ["Domain-0"]
    assert "domu%d: destroyed by dom0" % domid in d.s.out.decode("utf-8", "replace")
