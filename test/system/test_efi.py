"""hv.efi: the UEFI firmware (OVMF under QEMU) starts mica itself, with no
GRUB, from a FAT directory holding EFI/BOOT/BOOTX64.EFI, hv.cfg and the
modules (tools/hvrun --boot efi).  QEMU has no VT-x here, so domains are
refused after boot; what is checked is everything up to that: the
configuration, the modules, the memory map, the messages."""

import os
import re

import pytest

import hvout
from hvout import MiB, describe
from hvsession import Session

pytestmark = [pytest.mark.boot]
qemu = pytest.mark.qemu

EFI = ("--emulator", "qemu", "--boot", "efi", "--mem", "256", "--timeout", "90")

# efi: mmap 0x<start>-0x<end> <type name> (type N, attr 0x<attr>)
RE_RAW = re.compile(r"^efi: mmap 0x([0-9a-f]{16})-0x([0-9a-f]{16}) .* "
                    r"\(type (\d+), attr 0x([0-9a-f]+)\)$")
FREE_TYPES = {1, 2, 3, 4, 7}  # loader, boot services, conventional
RUNTIME = 1 << 63


def raw_map(serial):
    out = []
    for l in hvout.lines(serial):
        m = RE_RAW.match(l)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)),
                        int(m.group(4), 16)))
    return out


@qemu
def test_hv_efi_names_itself_and_replays_its_messages(boot):
    run = boot(*EFI)
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert any(re.match(r"boot loader: hv\.efi on UEFI \d+\.\d+ \(EDK II", l) for l in ls), \
        describe(run)
    # What hv.efi did is in the hypervisor's log (timestamped); only its
    # problems are said on the firmware's console too (see below).
    for text in ("hv.efi: \\EFI\\BOOT\\hv.cfg, section [mica]: 0 module(s)",
                 "hv.efi: starting the hypervisor"):
        console, log = efi_dir_lines(run.serial, text)
        assert log and not console, describe(run)
    assert hvout.modules(run.serial) == []


@qemu
def test_memory_map_follows_the_firmwares(boot):
    """loglvl=debug lists each UEFI descriptor as hv.efi handed it over;
    the hypervisor's map must give RAM exactly where the firmware's memory
    is free after ExitBootServices, and never where it keeps something."""
    run = boot(*EFI, "--hv-cmdline", "loglvl=debug")
    assert run.status == 0, describe(run)
    raw = raw_map(run.serial)
    regions = hvout.mem_regions(run.serial)
    assert len(raw) >= 10 and regions, describe(run)
    ram = [(s, e) for s, e, t in regions if t == "RAM"]

    def in_ram(s, e):
        return sum(max(0, min(e, re_) - max(s, rs)) for rs, re_ in ram)

    free = 0
    for s, e, typ, attr in raw:
        if typ in FREE_TYPES and not attr & RUNTIME:
            assert in_ram(s, e) == e - s, "free 0x%x-0x%x (type %d) not RAM" % (s, e, typ)
            free += e - s
        else:
            assert in_ram(s, e) == 0, "0x%x-0x%x (type %d, attr 0x%x) given as RAM" % (
                s, e, typ, attr)
    total = sum(e - s for s, e in ram)
    assert total == free, "RAM %d bytes, free in the firmware's map %d" % (total, free)
    assert 256 * MiB * 3 // 4 <= total <= 256 * MiB
    # The kinds OVMF keeps for itself are there, and kept.
    kinds = {typ for _, _, typ, _ in raw}
    assert {5, 6, 10} <= kinds, sorted(kinds)  # runtime code and data, ACPI NVS
    # The image hv.efi loaded at the link address (2 MiB) is in that RAM,
    # and the frame allocator did not get it.
    assert in_ram(2 * MiB, 2 * MiB + 4096) == 4096


def efi_dir_lines(serial, text):
    """Serial lines holding text: (from the firmware console, from the
    hypervisor's log)."""
    said = [l for l in serial.splitlines() if text in l]
    return ([l for l in said if not l.startswith("[")], [l for l in said if l.startswith("[")])


@qemu
def test_bad_config_lines_and_a_missing_module(hvrun, tmp_path, guest_files):
    cfg = tmp_path / "hv.cfg"
    cfg.write_text("# a config with mistakes\n"        # 1
                   "[global]\n"                        # 2
                   "default=test\n"                    # 3
                   "[test]\n"                          # 4
                   "options=loglvl=info\n"             # 5
                   "this is not a setting\n"           # 6
                   "module=dom0.elf dom0 kernel mem=32 -- console=hvc0\n"  # 7
                   "module=nothere.elf domu1 kernel\n"  # 8
                   "colour=red\n")                     # 9
    run = hvrun(*EFI, "--hv-cfg", str(cfg), "--dom0", guest_files.kernel)
    assert run.status == 0, describe(run)  # it starts with what is good
    for text in ("hv.efi: \\EFI\\BOOT\\hv.cfg line 6: expected key=value",
                 "hv.efi: \\EFI\\BOOT\\hv.cfg line 8: module \\EFI\\BOOT\\nothere.elf: "
                 "no such file",
                 "hv.efi: \\EFI\\BOOT\\hv.cfg line 9: unknown key 'colour'"):
        console, log = efi_dir_lines(run.serial, text)
        assert console and log, "%r\n%s" % (text, describe(run))
    mods = hvout.modules(run.serial)
    assert [m[4] for m in mods] == ["dom0 kernel mem=32 -- console=hvc0"], describe(run)
    assert mods[0][3] == os.path.getsize(guest_files.kernel)
    assert hvout.has_line(run.serial, "command line: \"loglvl=info\"")


OTHER_CFG = ("[global]\n"
             "default=a\n"
             "[a]\n"
             "options=loglvl=info\n"
             "[b]\n"
             "options=loglvl=info mem=200M\n")


@qemu
def test_load_options_choose_the_file_and_the_section(hvrun, tmp_path):
    """Started from the UEFI shell as EFI\\mica\\hv.efi -cfg=other.cfg b:
    the file is found beside hv.efi (not in EFI\\BOOT) and section [b] is
    used, not [global]'s default."""
    other = tmp_path / "other.cfg"
    other.write_text(OTHER_CFG)
    run = hvrun(*EFI, "--hv-cfg", "none", "--efi-file", str(other),
                "--efi-shell", "-cfg=other.cfg b")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "hv.efi: \\EFI\\mica\\other.cfg, section [b]: 0 module(s)"), \
        describe(run)
    assert hvout.has_line(run.serial, 'command line: "loglvl=info mem=200M"'), describe(run)


@qemu
@pytest.mark.parametrize("cfg, shell, message", [
    (None, None, "hv.efi: configuration \\EFI\\BOOT\\hv.cfg: no such file"),
    ("\ufeffoptions=loglvl=info\n".encode("utf-16-le"), None,
     "hv.efi: \\EFI\\BOOT\\hv.cfg: not a text file"),
    (OTHER_CFG.encode(), "-cfg=hv.cfg nosuch", "hv.efi: \\EFI\\mica\\hv.cfg: no section [nosuch]"),
], ids=["missing", "utf16", "no-section"])
def test_nothing_to_start_returns_to_the_firmware(tmp_path, cfg, shell, message):
    """Without a usable hv.cfg hv.efi says why, waits for a key and gives
    control back to the firmware."""
    if cfg is None:
        arg = "none"
    else:
        arg = str(tmp_path / "hv.cfg")
        with open(arg, "wb") as f:
            f.write(cfg)
    args = list(EFI[:-2]) + ["--hv-cfg", arg]
    if shell:
        args += ["--efi-shell", shell]
    with Session(args, timeout=90) as s:
        s.wait_for(message)
        s.wait_for("press a key to return to the firmware", timeout=30)
        s.type(b"\r")
        s.wait_for("hv.efi: returning to the firmware", timeout=30)
        status = s.finish(timeout=30)
    assert status == 1
    assert "hv.efi returned to the firmware" in s.out.decode(errors="replace")
    assert "mica: ready" not in s.out.decode(errors="replace")


@pytest.mark.bochs
def test_a_pvh_guest_runs_through_hv_efi_under_bochs(hvrun):
    """Bochs starts OVMF (its 2 MiB image) and hv.efi from a FAT image;
    VT-x works after the firmware, and a PVH guest from hv.cfg runs to its
    end.  OVMF gives no ACPI tables under Bochs: one CPU, and the power off
    goes through the Bochs port."""
    hello = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build", "guests", "hello.elf")
    run = hvrun("--emulator", "bochs", "--boot", "efi", "--mem", "256", "--timeout", "180",
                "--dom0", hello + ",cmdline=from hv.cfg")
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "vmx: self-test passed"), describe(run)
    assert hvout.guest(run.serial, "dom0", r"hello: cmdline '(.*)'") == ("from hv.cfg",), \
        describe(run)
    assert hvout.has_line(run.serial, "(dom0) TEST PASS"), describe(run)
    assert hvout.exit_reason(run.serial, "dom0") == "poweroff", describe(run)
