"""Linux as mica's dom0, owning the machine's devices (issue 17).

Debian's generic kernel (tools/linux-assets --flavour dom0) boots as a PVH
dom0 with `devices=host` on a Bochs machine with an e1000 on slirp and an
ext4 disk made here on the second IDE channel, the same machine
test_linux_dom0_native.py boots it on without the hypervisor.  The same
steps (dom0scenario.py) then run on dom0's shell, typed through the
hypervisor's console: the PCI devices and their drivers (the controller
and the NIC found through mica's PCI configuration space), a 32 MiB dd of
the raw disk with its interrupt counted in /proc/interrupts (the
ata_piix line through mica's emulated I/O APIC), the ext4 file system
written and read back from the image on the host, DHCP and a TCP exchange
with a server of the test, and `poweroff -f` through the ACPI PM1 control
register, which the hypervisor turns into dom0's shutdown.  The
hypervisor's log must show no access of dom0 to what it keeps beyond
Linux's boot-time probes that Xen's dom0 makes too (the 8259s, the PIT,
the PM timer, the UARTs).

About 2 minutes of wall time here (the first run fetches about 71 MB)."""

import re

import pytest

import dom0scenario as sc
import hvrun_emu

# What Linux's own probes touch at boot, as under Xen (whose PVH dom0 is
# refused the same ports): the 8259s' masks, the PIT, the PM timer, the
# UARTs (8250 probing).  Anything else kept must stay untouched.
EXPECTED_PROBES = ("8259", "the PIT", "the ACPI PM timer", "UART")
RE_KEPT = re.compile(r"dom0: (read|write) of port (0x[0-9a-f]+) \(([^)]*)\)")


@pytest.mark.boot
@pytest.mark.bochs
def test_dom0_owns_the_machine(linux_dom0_assets_dir, tmp_path):
    disk = sc.make_disk(tmp_path / "disk.img")
    hvrun_emu.check_disk(disk, "bochs")
    with sc.TcpPeer(b"hello-from-host\n") as peer, \
            sc.mica_session(linux_dom0_assets_dir, disk) as s:
        con = sc.SessionConsole(s)
        rep = sc.boot_report(con, 900)
        assert rep["console"] == "hvc0"
        sh = sc.Shell(con)

        devs = sc.pci_devices(sh)
        sc.print_pci(devs, "dom0")
        dev = sc.disk_name(sh)
        dd = sc.measure_dd(sh, dev)
        disk_irq, dd_irqs, dd_irq_line = sc.disk_irq(dd)
        assert "IO-APIC" in dd_irq_line, dd_irq_line

        sc.use_disk(sh, dev)
        irqs = sc.interrupts(sh)
        print("dom0: disk interrupt: %s" % irqs[disk_irq][1])

        net = sc.use_network(sh, peer)
        print("dom0: eth0 %s by DHCP; the host's server answered %s"
              % (net["address"], net["answer"]))
        assert net["answer"] == ["hello-from-host"]

        sc.power_off(sh)
        s.wait_for("dom0: power off by ACPI S5 through PM1 control: through the hypervisor", 120)
        s.wait_for("mica: dom0 exit: poweroff", 60)
        assert s.finish(120) == 0
        log = s.out.decode("utf-8", "replace")
    assert peer.got == b"hello-from-linux\n"
    assert sc.read_back(disk, sc.GUEST_FILE) == (sc.GUEST_TEXT + "\n").encode()

    kept = RE_KEPT.findall(log)
    for how, port, what in kept:
        print("dom0: Linux's probe of %s port %s (%s)" % (how, port, what))
    assert all(any(p in what for p in EXPECTED_PROBES) for _, _, what in kept), kept
    assert "domain crashed" not in log
    print("dom0: dd of %d MiB from /dev/%s: %d ticks, %d disk interrupts (%s)"
          % (sc.DD_MIB, dev, dd["ticks"], dd_irqs, dd_irq_line))


@pytest.mark.boot
@pytest.mark.bochs
def test_dom0_powers_off_with_a_domu_beside(linux_dom0_assets_dir, linux_assets_dir, tmp_path):
    """A Linux domU (the cloud kernel, built at boot) runs beside the Linux
    dom0, which has two vcpus on the machine's two CPUs; the focus moves
    to the domU and back; dom0's disk interrupts still come (on whichever
    vcpu); dom0's `poweroff -f` (ACPI S5 through PM1 control) takes the
    machine down through the hypervisor: the domU is stopped first, with
    its console's last line printed, and the machine powers off."""
    disk = sc.make_disk(tmp_path / "disk.img")
    domu = "%s/vmlinuz,initrd=%s/initramfs.cpio.gz,mem=128,cmdline=console=hvc0" % (
        linux_assets_dir, linux_assets_dir)
    with sc.mica_session(linux_dom0_assets_dir, disk, vcpus=2,
                         args=["--cpus", "2", "--domu", domu]) as s:
        con = sc.SessionConsole(s)
        domu_con = sc.SessionConsole(s, "domu1")
        sc.boot_report(con, 900)
        domu_con.expect(sc.RE_UP, 900)
        domu_con.expect(r"linux-boot-tsc: \d+\n", 120)
        s.type(b"\x01\x01\x01")  # the focus to domu1
        s.wait_for("mica: console input goes to domu1", 60)
        dsh = sc.Shell(domu_con)
        assert dsh.ok("cat /sys/hypervisor/type") == ["xen"]
        assert dsh.ok("echo last-words-$((6*7))") == ["last-words-42"]
        s.type(b"\x01\x01\x01")  # and back to dom0
        s.wait_for("mica: console input goes to dom0", 60)
        sh = sc.Shell(con)
        assert sh.ok("echo dom0-$((6*7))") == ["dom0-42"]
        assert sh.ok("cat /sys/devices/system/cpu/online") == ["0-1"]
        dd = sc.measure_dd(sh, sc.disk_name(sh), mib=4)
        assert any("ata_piix" in line for _, line in dd["irqs"].values()), dd
        sc.power_off(sh)
        s.wait_for("dom0: power off by ACPI S5 through PM1 control: through the hypervisor", 120)
        s.wait_for("domu1: stopped: the machine goes down with dom0 (poweroff)", 60)
        s.wait_for("mica: power off", 60)
        assert s.finish(120) == 0
        log = s.out.decode("utf-8", "replace")
    assert "mica: domu1 exit: poweroff" in log, log[-3000:]
    assert "mica: dom0 exit: poweroff" in log, log[-3000:]
    assert "domain crashed" not in log and "PANIC" not in log, log[-3000:]


@pytest.mark.boot
@pytest.mark.bochs
def test_dom0_does_not_see_the_hypervisors_nic(linux_dom0_assets_dir, tmp_path):
    """With the network console on, the e1000 is the hypervisor's: dom0's
    PCI bus lacks it (its configuration space reads as absent), its BAR
    and I/O ports stay the hypervisor's, and dom0 still drives the disk.
    dom0's `reboot -f` reboots the machine through the hypervisor."""
    disk = sc.make_disk(tmp_path / "disk.img")
    with sc.mica_session(linux_dom0_assets_dir, disk, args=["--hv-cmdline", "net=dhcp"]) as s:
        con = sc.SessionConsole(s)
        sc.boot_report(con, 900)
        sh = sc.Shell(con)
        devs = sc.list_pci(sh)
        ids = {(d["vendor"], d["device"]): d for d in devs}
        print("dom0 beside the network console: %s" % sorted(ids))
        assert sc.E1000 not in ids, devs
        assert sc.IDE in ids and ids[sc.IDE]["driver"] == "ata_piix", devs
        assert ("0x8086", "0x1237") in ids, devs  # the host bridge is there
        assert sh.ok("ls /sys/class/net") == ["lo"]
        dev = sc.disk_name(sh)
        assert sh.ok("head -c 512 /dev/%s | wc -c" % dev) == ["512"]
        # A reboot goes through the hypervisor: Linux as a Xen dom0 asks
        # for it by SCHEDOP_shutdown, and the machine reboots with it.
        con.send("reboot -f\r")
        s.wait_for("dom0: shutdown requested: reboot", 120)
        s.wait_for("mica: reboot", 60)
        log = s.out.decode("utf-8", "replace")
    assert "hidden" in log and "the network console's NIC" in log, log[-3000:]
    assert "(the network console's NIC" not in log.split("mica: ready")[-1], log[-3000:]
