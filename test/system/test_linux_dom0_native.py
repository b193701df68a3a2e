"""Linux owning the machine's devices, natively in Bochs (issue 17): the
reference for Linux as mica's dom0.

Debian's generic kernel (CONFIG_XEN_DOM0, tools/linux-assets --flavour
dom0) boots through GRUB on a Bochs machine (skylake_x, 512 MiB) that has
an e1000 on slirp and an ext4 disk made here on the second IDE channel;
its /init loads the modules for them.  dom0scenario.py then checks, by
typing into the shell on the serial line, what the same steps will check
under mica: the PCI devices and their drivers, the disk read raw and
through ext4 (a file written in the guest is read back from the image on
the host), the disk's interrupt, DHCP and a TCP exchange with a server of
the test on the host, and `poweroff -f`.  It prints what it saw and the
figures: the TSC from vmlinux's entry to the shell with the modules
loaded, and the TSC ticks and disk interrupts of a 32 MiB dd.

The first run needs Debian's package registry (about 71 MB); later runs
use build/linux-dom0/.  Without the registry and without a cache the tests
skip, saying why (and fail under CI=true).  About 3 minutes of wall time
here."""

import json
import os
import subprocess

import pytest

from conftest import PYTHON, REPO

import dom0scenario as sc
import hvrun_emu
import linux_native
from linux_native import RE_PROMPT
from test_linux_native import cpio_entries

WANTED = ("ata_piix", "sd_mod", "ext4", "e1000")


@pytest.fixture(scope="module")
def assets(linux_dom0_assets_dir):
    return linux_native.Assets(linux_dom0_assets_dir)


def test_dom0_assets_are_cached_and_whole(assets, linux_dom0_assets_dir):
    """A second run makes nothing; the initramfs holds the modules with
    everything they need, in an order that loads each after its needs,
    the init step that loads them and udhcpc's script."""
    p = subprocess.run([PYTHON, os.path.join(REPO, "tools", "linux-assets"),
                        "--flavour", "dom0", "--dir", linux_dom0_assets_dir],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 5 and all(l.endswith(("(cached)", "(unchanged)")) for l in lines), \
        p.stdout
    assert assets.release.endswith("-amd64") and "cloud" not in assets.release
    with open(os.path.join(linux_dom0_assets_dir, "assets.json")) as f:
        made = json.load(f)["outputs"]["initramfs.cpio.gz"]
    files = cpio_entries(assets.initramfs)
    top = "lib/modules/%s/" % assets.release
    order = files[top + "mica-load-order"][1].decode().split()
    names = [os.path.basename(p)[:-3].replace("-", "_") for p in order]
    assert names == made["modules"]
    for want in WANTED:
        assert want in names, names
    for needed in ("libata", "scsi_mod", "jbd2", "mbcache", "crc32c_generic"):
        assert needed in names, names
    # modules.dep (depmod's format): each module after all it needs.
    dep = {l.split(":")[0]: l.split(":")[1].split()
           for l in files[top + "modules.dep"][1].decode().splitlines()}
    assert sorted(dep) == sorted(order)
    for i, path in enumerate(order):
        assert files[top + path][1][:4] == b"\x7fELF", path
        for need in dep[path]:
            assert order.index(need) < i, (path, need)
    assert files["etc/mica-init.d/dom0"][1].startswith(b"#!/bin/sh")
    assert files["etc/udhcpc/default.script"][0] & 0o111
    # The kernel it boots has the PVH entry a dom0 under mica needs.
    p = subprocess.run([PYTHON, os.path.join(REPO, "tools", "bzimage2elf"),
                        assets.vmlinuz, os.devnull], capture_output=True, text=True)
    assert p.returncode == 0 and "PVH entry" in p.stdout, p.stdout + p.stderr


@pytest.mark.boot
@pytest.mark.bochs
def test_dom0_scenario_natively(assets, tmp_path):
    disk = sc.make_disk(tmp_path / "disk.img")
    hvrun_emu.check_disk(disk, "bochs")
    with sc.TcpPeer(b"hello-from-host\n") as peer, \
            sc.native_boot(assets, tmp_path / "wd", disk) as boot:
        rep = sc.boot_report(boot, 900)
        assert rep["release"] == assets.release and rep["console"] == "ttyS0"
        boot.expect(RE_PROMPT, 60)
        sh = sc.Shell(boot)

        devs = sc.pci_devices(sh)
        sc.print_pci(devs, "dom0-native")
        dev = sc.disk_name(sh)
        assert dev == "sda"
        dd = sc.measure_dd(sh, dev)
        disk_irq, dd_irqs, dd_irq_line = sc.disk_irq(dd)

        sc.use_disk(sh, dev)
        irqs = sc.interrupts(sh)
        print("dom0-native: disk interrupt: %s" % irqs[disk_irq][1])
        assert irqs[disk_irq][0] > 0

        net = sc.use_network(sh, peer)
        print("dom0-native: eth0 %s by DHCP; the host's server answered %s"
              % (net["address"], net["answer"]))
        assert net["answer"] == ["hello-from-host"]

        sc.power_off(sh)
        assert boot.wait_exit(60) == "power off"
        ticks = boot.entry_ticks()
    assert peer.got == b"hello-from-linux\n"
    assert peer.peer[0] == "127.0.0.1"
    assert sc.read_back(disk, sc.GUEST_FILE) == (sc.GUEST_TEXT + "\n").encode()
    assert sc.read_back(disk, sc.DISK_FILE) == (sc.DISK_TEXT + "\n").encode()

    assert "vmlinux" in ticks, "Bochs' debugger never stopped at vmlinux's entry"
    boot_ticks = rep["tsc"] - ticks["vmlinux"]
    assert ticks["vmlinux"] < rep["modules_tsc"] < rep["tsc"]
    print("dom0-native: Linux %s, %d modules (%s)"
          % (rep["release"], len(rep["modules"]), " ".join(rep["modules"])))
    print("dom0-native: TSC at the bzImage's entry %s, vmlinux's %d, the modules' "
          "start %d, the shell %d" % (ticks.get("bzimage", "?"), ticks["vmlinux"],
                                      rep["modules_tsc"], rep["tsc"]))
    print("dom0-native: boot, vmlinux entry to the shell with the modules loaded: "
          "%d ticks (to /init's modules %d, loading them %d)"
          % (boot_ticks, rep["modules_tsc"] - ticks["vmlinux"],
             rep["tsc"] - rep["modules_tsc"]))
    print("dom0-native: dd of %d MiB from /dev/%s: %d ticks, %d disk interrupts (%s)"
          % (sc.DD_MIB, dev, dd["ticks"], dd_irqs, dd_irq_line))
