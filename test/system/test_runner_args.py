"""tools/hvrun checks its arguments before anything boots, and writes grub.cfg.

No emulator runs here: every case ends in validation or --print-grub-cfg."""

import os
import shutil
import subprocess
import time

import pytest

import hvrun_emu
import hvrun_grub
from conftest import HVRUN, PYTHON, REPO, make_elf


def one_error_line(run):
    """hvrun's usage errors: exit 2 and exactly one line `hvrun: error: ...`."""
    assert run.status == 2, run
    err = run.stderr.strip().splitlines()
    assert len(err) == 1, run.stderr
    assert err[0].startswith("hvrun: error: "), run.stderr
    return err[0]


@pytest.fixture(scope="module")
def fake_hv(tmp_path_factory):
    """A multiboot2-free ELF: fine for --print-grub-cfg, which skips --hv."""
    return make_elf(tmp_path_factory.mktemp("hv") / "hv.elf", 200)


BAD_ARGS = [
    # (id, arguments; {k}/{i}/{n}: kernel, initrd, non-ELF file, expected text)
    ("missing-kernel", ["--dom0", "/nonexistent/k.elf"], "no such file"),
    ("missing-initrd", ["--dom0", "{k},initrd=/nonexistent/i.img"], "no such file"),
    ("kernel-not-elf", ["--dom0", "{n}"], "neither an ELF file nor a Linux bzImage"),
    ("domu-not-elf", ["--dom0", "{k}", "--domu", "{n}"], "neither an ELF file nor a Linux bzImage"),
    ("hv-not-elf", ["--hv", "{n}"], "not an ELF"),
    ("hv-missing", ["--hv", "/nonexistent/hv.elf"], "no such file"),
    ("cpus-zero", ["--cpus", "0"], "--cpus"),
    ("cpus-9", ["--cpus", "9"], "--cpus"),
    ("cpus-word", ["--cpus", "two"], "not an integer"),
    ("mem-float", ["--mem", "12.5"], "not an integer"),
    ("mem-negative", ["--mem", "-256"], "--mem"),
    ("mem-too-small", ["--mem", "4"], "--mem"),
    ("mem-too-big-bochs", ["--mem", "100000"], "--mem"),
    ("timeout-zero", ["--timeout", "0"], "--timeout"),
    ("ips-zero", ["--ips", "0"], "--ips"),
    ("ips-with-qemu", ["--emulator", "qemu", "--ips", "50000000"], "--ips"),
    ("dom-mem-word", ["--dom0", "{k},mem=lots"], "not an integer"),
    ("dom-mem-zero", ["--dom0", "{k},mem=0"], "mem="),
    ("dom-mem-over", ["--mem", "128", "--dom0", "{k},mem=200"], "MiB"),
    ("dom-vcpus-zero", ["--dom0", "{k},vcpus=0"], "vcpus="),
    ("unknown-key", ["--dom0", "{k},memory=64"], "unknown key 'memory'"),
    ("unknown-key-domu", ["--dom0", "{k}", "--domu", "{k},colour=red"],
     "unknown key 'colour'"),
    ("key-twice", ["--dom0", "{k},mem=16,mem=32"], "twice"),
    ("not-key-value", ["--dom0", "{k},initrd"], "key=value"),
    ("efi-on-bios", ["--boot", "efi", "--firmware", "bios"], "--boot efi needs --firmware uefi"),
    ("hv-cfg-without-efi", ["--hv-cfg", "none"], "--hv-cfg needs --boot efi"),
    ("efi-shell-without-efi", ["--efi-shell", "x"], "--efi-shell needs --boot efi"),
    ("bad-boot", ["--boot", "pxe"], "pxe"),
    ("bad-emulator", ["--emulator", "vmware"], "vmware"),
    ("unknown-option", ["--frobnicate"], "--frobnicate"),
    ("newline-in-cmdline", ["--dom0", "{k},cmdline=a\nb"], "control character"),
    ("module-string-too-long", ["--dom0", "{k},cmdline=" + "x" * 300], "at most"),
    ("net-fwd-without-net", ["--net-fwd", "23"], "--net-fwd needs --net"),
    ("net-mac-without-net", ["--net-mac", "52:54:00:00:00:01"], "--net-mac needs --net"),
    ("net-fwd-zero", ["--net", "--net-fwd", "0"], "--net-fwd"),
    ("net-fwd-too-big", ["--net", "--net-fwd", "65536"], "--net-fwd"),
    ("net-fwd-word", ["--net", "--net-fwd", "telnet"], "not an integer"),
    ("net-fwd-twice", ["--net", "--net-fwd", "23", "--net-fwd", "23"], "given twice"),
    ("net-mac-short", ["--net", "--net-mac", "52:54:00:00:01"], "not a MAC address"),
    ("net-mac-multicast", ["--net", "--net-mac", "01:00:5e:00:00:01"], "multicast"),
    ("net-mac-zero", ["--net", "--net-mac", "00:00:00:00:00:00"], "zero"),
]


@pytest.mark.parametrize("args,expect", [(a, e) for _, a, e in BAD_ARGS],
                         ids=[i for i, _, _ in BAD_ARGS])
def test_bad_arguments(hvrun, guest_files, args, expect):
    args = [a.format(k=guest_files.kernel, i=guest_files.initrd,
                     n=guest_files.notelf) for a in args]
    run = hvrun(*args)
    line = one_error_line(run)
    assert expect in line
    assert run.serial == ""  # nothing booted, nothing streamed


def test_unreadable_kernel(hvrun, guest_files, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    k = tmp_path / "k.elf"
    shutil.copy(guest_files.kernel, k)
    k.chmod(0)
    assert "not readable" in one_error_line(hvrun("--dom0", k))


def test_missing_hv_says_make(tmp_path, guest_files):
    """Without --hv and without build/hv.elf the error tells to run make."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for f in os.listdir(os.path.join(REPO, "tools")):
        if f.startswith("hvrun") or f == "bzimage.py":
            shutil.copy(os.path.join(REPO, "tools", f), tools / f)
    p = subprocess.run([PYTHON, str(tools / "hvrun"), "--dom0", guest_files.kernel],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode == 2
    err = p.stderr.decode().strip()
    assert err.startswith("hvrun: error: ") and "make" in err and "\n" not in err


def test_missing_emulator_says_deps(hvrun, tmp_path):
    """No emulator on PATH: the error points at tools/deps.sh."""
    hv = make_elf(tmp_path / "hv.elf", 300)
    run = hvrun("--hv", hv, env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert "tools/deps.sh" in one_error_line(run)


def test_help_documents_the_rules():
    p = subprocess.run([PYTHON, HVRUN, "--help"], stdout=subprocess.PIPE, timeout=30)
    assert p.returncode == 0
    text = p.stdout.decode()
    for needle in ("cmdline= must be the LAST key", "<domain> <kind>",
                   "domu1", "mica: power off", "--print-grub-cfg"):
        assert needle in text


# ------------------------------------------------------------- grub.cfg
def grub_cfg(hvrun, fake_hv, *args):
    run = hvrun("--hv", fake_hv, "--print-grub-cfg", *args, workdir=False)
    assert run.status == 0, run
    return run.serial


def entry_lines(cfg, command):
    return [l.strip() for l in cfg.splitlines() if l.strip().startswith(command + " ")]


def test_grub_cfg_serial_console(hvrun, fake_hv):
    cfg = grub_cfg(hvrun, fake_hv)
    for line in ("serial --unit=0 --speed=115200", "terminal_input serial",
                 "terminal_output serial", "set timeout=0"):
        assert line in cfg.splitlines()
    assert cfg.count("menuentry ") == 1
    # Under Bochs (the default) nobody sees the screen: the serial line only.
    assert entry_lines(cfg, "multiboot2") == ["multiboot2 /boot/hv.elf console=com1"]
    assert entry_lines(cfg, "module2") == []
    # A console= of the user's own is left alone, and QEMU gets none added.
    cfg = grub_cfg(hvrun, fake_hv, "--hv-cmdline", "console=vga")
    assert entry_lines(cfg, "multiboot2") == ["multiboot2 /boot/hv.elf console=vga"]
    cfg = grub_cfg(hvrun, fake_hv, "--emulator", "qemu")
    assert entry_lines(cfg, "multiboot2") == ["multiboot2 /boot/hv.elf"]


def test_grub_cfg_modules(hvrun, fake_hv, guest_files):
    k, k2, i = guest_files.kernel, guest_files.kernel2, guest_files.initrd
    cfg = grub_cfg(hvrun, fake_hv, "--hv-cmdline", "loglvl=debug  crash=ud",
                   "--dom0", k + ",initrd=" + i + ",mem=128,vcpus=1,cmdline=console=hvc0 loglevel=8",
                   "--domu", k2 + ",vcpus=2,mem=32",
                   "--domu", k + ",initrd=" + i)
    # Not on a terminal: the focused guest's lines keep their name too.
    assert entry_lines(cfg, "multiboot2") == [
        "multiboot2 /boot/hv.elf console=com1 console_focus=prefixed loglvl=debug crash=ud"]
    assert entry_lines(cfg, "module2") == [
        "module2 /boot/dom0.elf dom0 kernel mem=128 vcpus=1 -- console=hvc0 loglevel=8",
        "module2 /boot/dom0.img dom0 initrd",
        "module2 /boot/domu1.elf domu1 kernel mem=32 vcpus=2",
        "module2 /boot/domu2.elf domu2 kernel",
        "module2 /boot/domu2.img domu2 initrd",
    ]


def test_grub_cfg_cmdline_takes_the_rest(hvrun, fake_hv, guest_files):
    """cmdline= is the last key: commas and '=' after it belong to it."""
    cfg = grub_cfg(hvrun, fake_hv, "--dom0",
                   guest_files.kernel + ",mem=64,cmdline=a=1,mem=2,b")
    assert entry_lines(cfg, "module2") == [
        "module2 /boot/dom0.elf dom0 kernel mem=64 -- a=1,mem=2,b"]


GRUB_SPECIALS = [
    "console=hvc0",
    'a="b c" d=\'e\'',
    "$HOME ${x} $(y);z&&w|v",
    "back\\slash \\\\ end\\",
    "it's \"quoted\" # not a comment",
    "  leading and  double  spaces ",
    "tab\there",
]


@pytest.mark.parametrize("text", GRUB_SPECIALS)
def test_grub_quoting_round_trip(hvrun, fake_hv, guest_files, text):
    """What GRUB's lexer makes of our words, re-encoded the way GRUB 2.06 does,
    decodes back to exactly the user's text (hvrun_grub has the rules)."""
    cfg = grub_cfg(hvrun, fake_hv, "--dom0", guest_files.kernel + ",cmdline=" + text)
    (line,) = entry_lines(cfg, "module2")
    words = grub_lex(line)[2:]  # drop module2 and the path
    assert hvrun_grub.decode_module_string(hvrun_grub.grub_encode(words)) == \
        "dom0 kernel -- " + text


def grub_lex(line):
    """GRUB's script lexer for words: '...' literal, \\X escapes, "..." with \\."""
    words, cur, have, i = [], [], False, 0
    while i < len(line):
        c = line[i]
        if c in " \t":
            if have:
                words.append("".join(cur))
            cur, have = [], False
        elif c == "'":
            j = line.index("'", i + 1)
            cur.append(line[i + 1:j])
            have, i = True, j
        elif c == "\\":
            cur.append(line[i + 1])
            have, i = True, i + 1
        elif c == '"':
            j = i + 1
            while line[j] != '"':
                if line[j] == "\\" and line[j + 1] in '"\\$':
                    j += 1
                cur.append(line[j])
                j += 1
            have, i = True, j
        else:
            assert c not in "$;&|#", "unquoted GRUB special %r in %r" % (c, line)
            cur.append(c)
            have = True
        i += 1
    if have:
        words.append("".join(cur))
    return words


def test_grub_cfg_passes_grub_script_check(hvrun, fake_hv, guest_files, tmp_path):
    if not shutil.which("grub-script-check"):
        pytest.skip("grub-script-check not installed")
    cfg = grub_cfg(hvrun, fake_hv, "--hv-cmdline", "x='a;b' $y",
                   *sum((["--domu" if n else "--dom0",
                          guest_files.kernel + ",cmdline=" + t]
                         for n, t in enumerate(GRUB_SPECIALS)), []))
    f = tmp_path / "grub.cfg"
    f.write_text(cfg)
    p = subprocess.run(["grub-script-check", str(f)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert p.returncode == 0, p.stdout.decode()


def test_dry_run_writes_workdir(hvrun, guest_files, hv_elf, tmp_path):
    """--dry-run builds the ISO and the Bochs config but boots nothing."""
    if not os.path.exists(hv_elf):
        pytest.fail("%s missing: run make" % hv_elf)
    wd = tmp_path / "wd"
    run = hvrun("--dry-run", "--workdir", wd, "--cpus", "2", "--mem", "64",
                "--ips", "50000000", "--dom0", guest_files.kernel)
    assert run.status == 0, run
    assert (wd / "hv.iso").stat().st_size > 0
    rc = (wd / "bochsrc").read_text()
    assert "cpu: model=corei7_skylake_x, count=2, ips=50000000" in rc
    assert "clock: sync=none" in rc
    assert "memory: guest=64, host=64" in rc
    assert "module2 /boot/dom0.elf dom0 kernel" in (wd / "grub.cfg").read_text()


def test_domus_alone_and_memory_by_need(hvrun, guest_files, hv_elf, tmp_path):
    """--domu without --dom0 is allowed (the hypervisor starts the domUs
    alone), and without --mem the machine gets room for every domain."""
    if not os.path.exists(hv_elf):
        pytest.fail("%s missing: run make" % hv_elf)
    wd = tmp_path / "wd"
    run = hvrun("--dry-run", "--workdir", wd, "--domu", guest_files.kernel + ",mem=300",
                "--domu", guest_files.kernel)
    assert run.status == 0, run
    rc = (wd / "bochsrc").read_text()
    # 300 + 64 (the second domain's default) + the hypervisor's 64, rounded up
    assert "memory: guest=448, host=448" in rc
    cfg = (wd / "grub.cfg").read_text()
    assert "dom0" not in cfg
    assert "module2 /boot/domu1.elf domu1 kernel mem=300" in cfg
    # Given explicitly, --mem is checked, not grown.
    run = hvrun("--dry-run", "--workdir", tmp_path / "wd2", "--mem", "256",
                "--domu", guest_files.kernel + ",mem=300")
    assert run.status == 2 and "the machine has 256 MiB" in run.stderr


def test_net_dry_run(hvrun, hv_elf, tmp_path):
    """--net gives QEMU an e1000 on slirp without an option ROM, and Bochs
    an e1000 line with a slirp.conf; each --net-fwd gets a free loopback
    port and one exact stderr line."""
    if not os.path.exists(hv_elf):
        pytest.fail("%s missing: run make" % hv_elf)
    import re
    for emu in ("qemu", "bochs"):
        wd = tmp_path / emu
        run = hvrun("--dry-run", "--workdir", wd, "--emulator", emu, "--net",
                    "--net-fwd", "23", "--net-fwd", "8080", "--net-mac", "02:00:00:AB:CD:EF")
        assert run.status == 0, run
        fwd = re.findall(r"^hvrun: tcp 127\.0\.0\.1:(\d+) -> guest port (\d+)$",
                         run.stderr, re.M)
        assert [g for _, g in fwd] == ["23", "8080"], run.stderr
        hosts = [int(h) for h, _ in fwd]
        assert len(set(hosts)) == 2 and all(0 < h < 65536 for h in hosts)
        if emu == "qemu":
            assert "-net none" not in run.serial
            assert ("-netdev user,id=n0,hostfwd=tcp:127.0.0.1:%d-:23,"
                    "hostfwd=tcp:127.0.0.1:%d-:8080" % tuple(hosts)) in run.serial
            assert "-device e1000,netdev=n0,mac=02:00:00:ab:cd:ef,romfile=" in run.serial
        else:
            rc = (wd / "bochsrc").read_text()
            assert 'e1000: enabled=1, mac=02:00:00:ab:cd:ef, ethmod=slirp, script="%s"' \
                % (wd / "slirp.conf") in rc
            conf = (wd / "slirp.conf").read_text().splitlines()
            assert conf[0] == "# slirp config"
            assert conf[1:] == ["hostfwd = tcp:127.0.0.1:%d-:23" % hosts[0],
                                "hostfwd = tcp:127.0.0.1:%d-:8080" % hosts[1]]
    # Without --net: no NIC at all.
    run = hvrun("--dry-run", "--workdir", tmp_path / "none", "--emulator", "qemu")
    assert run.status == 0 and "-net none" in run.serial, run
    assert "hvrun: tcp" not in run.stderr


# ------------------------------------------------------------- --disk
def sized(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)


PRIME_SECTORS = 65537  # prime and over 65535 cylinders: no Bochs geometry


@pytest.mark.parametrize("what,emulator,expect", [
    ("missing", "bochs", "no such file"),
    ("directory", "bochs", "not a regular file"),
    ("empty", "bochs", "empty"),
    ("odd-size", "bochs", "not a whole number of 512-byte sectors"),
    ("odd-size", "qemu", "not a whole number of 512-byte sectors"),
    ("no-geometry", "bochs", "any multiple of 256 KiB below 16 GiB fits"),
    ("locked", "bochs", "locked: Bochs made"),
])
def test_bad_disk(hvrun, tmp_path, what, emulator, expect):
    """--disk is checked before anything boots: a file the machine can
    use as a disk, of a size Bochs can give a geometry."""
    path = {"missing": lambda: str(tmp_path / "none.img"),
            "directory": lambda: str(tmp_path),
            "empty": lambda: sized(tmp_path / "e.img", 0),
            "odd-size": lambda: sized(tmp_path / "o.img", 1000),
            "no-geometry": lambda: sized(tmp_path / "p.img", PRIME_SECTORS * 512),
            "locked": lambda: sized(tmp_path / "l.img.lock", 0) and
            sized(tmp_path / "l.img", 1 << 20)}[what]()
    line = one_error_line(hvrun("--emulator", emulator, "--disk", path))
    assert line.startswith("hvrun: error: --disk %s: " % path) and expect in line, line


def test_bad_disk_linuxrun(tmp_path):
    """tools/linuxrun checks --disk with the same rules."""
    path = sized(tmp_path / "p.img", PRIME_SECTORS * 512)
    p = subprocess.run([PYTHON, os.path.join(REPO, "tools", "linuxrun"), "--disk", path],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p
    assert p.stderr.startswith("linuxrun: error: --disk %s: " % path), p.stderr
    assert "16 heads" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_disk_unwritable(hvrun, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes every file")
    path = sized(tmp_path / "ro.img", 1 << 20)
    os.chmod(path, 0o444)
    assert "writable" in one_error_line(hvrun("--disk", path))


def test_disk_geometry():
    """Bochs wants size == C*H*S*512 exactly; the most sectors per
    cylinder win, 16 heads and 63 sectors when the size allows."""
    g = hvrun_emu.disk_geometry
    assert g(504 * 1024 * 100) == (100, 16, 63)
    assert g(40 << 20) == (128, 16, 40)
    assert g(1 << 20) == (4, 16, 32)
    assert g(512) == (1, 1, 1)
    c, h, s = g((16 << 30) - (256 << 10))
    assert c * h * s * 512 == (16 << 30) - (256 << 10) and c <= 65535
    for size in (0, 511, 513, PRIME_SECTORS * 512, 16 << 30, 65536 * 16 * 63 * 512):
        with pytest.raises(ValueError):
            g(size)


def test_disk_dry_run(hvrun, hv_elf, tmp_path):
    """Bochs gets the disk as ata1-master with its geometry (the ISO stays
    ata0-master); QEMU as the second IDE channel's master too."""
    if not os.path.exists(hv_elf):
        pytest.fail("%s missing: run make" % hv_elf)
    disk = sized(tmp_path / "disk.img", 40 << 20)
    run = hvrun("--dry-run", "--workdir", tmp_path / "b", "--disk", disk)
    assert run.status == 0, run
    rc = (tmp_path / "b" / "bochsrc").read_text().splitlines()
    assert 'ata0-master: type=cdrom, path="%s", status=inserted' \
        % (tmp_path / "b" / "hv.iso") in rc
    assert "ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15" in rc
    assert 'ata1-master: type=disk, mode=flat, path="%s", cylinders=128, heads=16, ' \
        'spt=40' % disk in rc
    run = hvrun("--dry-run", "--workdir", tmp_path / "q", "--emulator", "qemu", "--disk", disk)
    assert run.status == 0, run
    assert "-drive file=%s,format=raw,if=ide,index=2,media=disk" % disk in run.serial
    # Without --disk: no second channel's disk.
    run = hvrun("--dry-run", "--workdir", tmp_path / "n")
    assert "ata1-master" not in (tmp_path / "n" / "bochsrc").read_text()


# Draws into a pseudo-terminal of its own, as Bochs' term display does, far
# more than the pty holds (about 20 KiB), then exits 0.  Undrained, its
# write blocks for ever.
FAKE_TERM_DISPLAY = r"""
import ctypes
import os
import sys
import tty
fd = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY)
libc = ctypes.CDLL(None)
libc.grantpt(fd)
libc.unlockpt(fd)
libc.ptsname.restype = ctypes.c_char_p
tty.setcbreak(fd)  # curses' cbreak() and noecho()
sys.stderr.write('Bochs connected to screen "%s"\n' % libc.ptsname(fd).decode())
sys.stderr.flush()
for _ in range(256):
    os.write(fd, b"\x1b[?25l\x1b[?12l\x1b[?25h" * 57)
"""


def test_bochs_screen_is_drained(tmp_path):
    """poll() reads Bochs' term display (Bochs blocked in write(2) on it
    once some 2,000 emulated seconds of cursor redraws had filled it)."""
    emu = hvrun_emu.Emulator("bochs", "bios", str(tmp_path), None, 1, 64, 1000000)
    emu.start([PYTHON, "-c", FAKE_TERM_DISPLAY])
    try:
        deadline = 20
        while emu.poll() is None and deadline > 0:
            deadline -= 0.05
            time.sleep(0.05)
        assert emu.poll() == 0, open(emu.out_log).read()
    finally:
        emu.kill()
        emu.close()
