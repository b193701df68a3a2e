"""The screen console: what the hypervisor draws on the screen, read back
from QEMU (hvrun --screendump / --memdump) and decoded into text.

- Framebuffer (QEMU + OVMF, GRUB on UEFI): every 8x16 cell of the
  screendump is matched against the glyphs of the same PSF font the build
  converts (tools/psf2c.py), pixel row by pixel row; a cell that matches
  no glyph exactly decodes as NUL and fails the line comparisons.
- VGA text (QEMU, GRUB on BIOS): the 80x25 cells at 0xb8000, read from
  guest memory (a screendump of text mode is drawn with the VGA BIOS's own
  font, which is not ours).

The hypervisor runs with loglvl=warn so that the banner is still on the
screen (25 rows) when the run ends.
"""

import os
import re

import pytest

import hvout
from hvout import describe
import psf2c

FONT = os.environ.get("MICA_FONT", "/usr/share/consolefonts/Lat15-VGA16.psf.gz")
QEMU_BIOS = ("--emulator", "qemu", "--mem", "128")
QEMU_UEFI = ("--emulator", "qemu", "--firmware", "uefi", "--mem", "256", "--timeout", "90")
# hv.efi started by OVMF itself: the framebuffer comes from its GOP query.
QEMU_EFI = ("--emulator", "qemu", "--boot", "efi", "--mem", "256", "--timeout", "90")
# hvrun gives Bochs console=com1 unless told otherwise (nobody sees its
# screen): ask for the screen too.
BOCHS_SCREEN = ("--emulator", "bochs", "--mem", "128", "--ips", "100000000",
                "--hv-cmdline", "console=com1,vga")
VGA_TEXT = (0xb8000, 80, 25)
GREY_ON_BLACK = 0x07

qemu = [pytest.mark.boot, pytest.mark.qemu]
bochs = [pytest.mark.boot, pytest.mark.bochs]


# ---------------------------------------------------------------- decoding
def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert m, "%s is not a P6 PPM" % path
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    assert len(px) == w * h * 3, "%s: %d pixel bytes for %dx%d" % (path, len(px), w, h)
    return w, h, px


def screen_text(path):
    """The framebuffer's character rows: each 8x16 cell decoded by exact
    match against the font (a pixel is lit when any colour is over half
    on); blank cells are spaces, unknown ones NUL."""
    w, h, px = read_ppm(path)
    glyphs = psf2c.load_ascii(FONT)
    by_rows = {}
    for i, g in enumerate(glyphs):
        by_rows.setdefault(bytes(g), chr(0x20 + i))
    rows = []
    for r in range(h // 16):
        text = []
        for c in range(w // 8):
            cell = bytearray()
            for y in range(16):
                off = ((r * 16 + y) * w + c * 8) * 3
                bits = 0
                for x in range(8):
                    if max(px[off + 3 * x:off + 3 * x + 3]) > 0x80:
                        bits |= 0x80 >> x
                cell.append(bits)
            text.append(by_rows.get(bytes(cell), "\0"))
        rows.append("".join(text).rstrip(" "))
    return rows


def vga_text_rows(path, attr=GREY_ON_BLACK):
    """The VGA text cells as rows of characters; a cell in another
    attribute than ours decodes as NUL."""
    _, cols, nrows = VGA_TEXT
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) == cols * nrows * 2
    rows = []
    for r in range(nrows):
        cells = data[r * cols * 2:(r + 1) * cols * 2]
        rows.append("".join(chr(cells[i]) if cells[i + 1] == attr else "\0"
                            for i in range(0, len(cells), 2)).rstrip(" "))
    return rows


def serial_line(serial, pred):
    """The first hypervisor line (timestamp included, as the screen shows
    it) for which pred(line without timestamp) holds."""
    for raw in serial.splitlines():
        raw = raw.rstrip()
        if pred(hvout.lines(raw + "\n")[0] if raw else ""):
            return raw
    return None


def is_banner(l):
    return "mica " in l and "Xen PV ABI" in l


def screen_has(rows, text):
    return any(r.endswith(text) for r in rows)


def show(rows):
    return "screen:\n" + "\n".join("|" + r.replace("\0", "#") for r in rows)


# ------------------------------------------------------------------- tests
@pytest.mark.parametrize("args", [pytest.param(QEMU_UEFI, marks=qemu, id="qemu-uefi"),
                                  pytest.param(QEMU_EFI, marks=qemu, id="qemu-hv.efi")])
def test_framebuffer_shows_banner(hvrun, tmp_path, args):
    """GRUB on UEFI passes OVMF's RGB framebuffer, and so does hv.efi (from
    the GOP); the banner line is drawn in our font exactly as the serial
    line has it."""
    ppm = tmp_path / "screen.ppm"
    run = hvrun(*args, "--hv-cmdline", "loglvl=warn", "--screendump", ppm)
    assert run.status == 0, describe(run)
    rows = screen_text(str(ppm))
    banner = serial_line(run.serial, is_banner)
    assert banner, describe(run)
    assert banner in rows, show(rows)
    assert rows.index(banner) == 0, show(rows)  # the screen is cleared first
    for text in ("mica: ready", "mica: power off"):
        assert any(text in r for r in rows), show(rows)


@pytest.mark.parametrize("args", [pytest.param(QEMU_BIOS, marks=qemu, id="qemu-bios")])
def test_vga_text_shows_banner(hvrun, tmp_path, args):
    """GRUB on BIOS passes EGA text 80x25 at 0xb8000; the banner is in the
    text buffer, grey on black."""
    mem = tmp_path / "vga.bin"
    run = hvrun(*args, "--hv-cmdline", "loglvl=warn",
                "--memdump", "0x%x,4000,%s" % (VGA_TEXT[0], mem))
    assert run.status == 0, describe(run)
    rows = vga_text_rows(str(mem))
    banner = serial_line(run.serial, is_banner)
    assert banner and rows[0] == banner, show(rows)
    assert any(r.endswith("mica: power off") for r in rows), show(rows)


@pytest.mark.parametrize("args", [pytest.param(QEMU_BIOS, marks=qemu, id="qemu-bios")])
def test_console_com1_leaves_screen_alone(hvrun, tmp_path, args):
    """console=com1 alone: the screen keeps what GRUB left there."""
    mem = tmp_path / "vga.bin"
    run = hvrun(*args, "--hv-cmdline", "console=com1",
                "--memdump", "0x%x,4000,%s" % (VGA_TEXT[0], mem))
    assert run.status == 0, describe(run)
    assert hvout.has_line(run.serial, "screen: VGA text 80x25 at 0xb8000 (not a console"), \
        describe(run)
    with open(mem, "rb") as f:
        text = f.read()[0::2].decode("latin-1")
    assert "Xen PV ABI" not in text and "mica" not in text, text


@pytest.mark.parametrize("args", [pytest.param(QEMU_BIOS, marks=qemu, id="qemu-bios")])
def test_console_vga_alone(hvrun, tmp_path, args):
    """console=vga: nothing of the hypervisor on the serial line (so hvrun
    sees no power off), everything up to the power off on the screen."""
    mem = tmp_path / "vga.bin"
    run = hvrun(*args, "--hv-cmdline", "console=vga loglvl=warn",
                "--memdump", "0x%x,4000,%s" % (VGA_TEXT[0], mem))
    assert run.status == 1, describe(run)
    assert "without 'mica: power off'" in run.stderr, describe(run)
    assert not hvout.banner(run.serial), describe(run)
    rows = vga_text_rows(str(mem))
    assert any(is_banner(r) for r in rows), show(rows)
    for text in ("mica: ready", "mica: power off"):
        assert any(text in r for r in rows), show(rows)


@pytest.mark.parametrize("args", [pytest.param(QEMU_BIOS, marks=qemu, id="qemu-bios")])
def test_crash_dump_on_screen(hvrun, tmp_path, args):
    """A crash dump and its panic reach the screen too (the console is
    flushed to every device before the hypervisor halts)."""
    mem = tmp_path / "vga.bin"
    run = hvrun(*args, "--hv-cmdline", "crash=ud",
                "--memdump", "0x%x,4000,%s" % (VGA_TEXT[0], mem))
    assert run.status == 1 and "panic" in run.stderr, describe(run)
    rows = vga_text_rows(str(mem))
    assert any("PANIC:" in r for r in rows), show(rows)
    assert rows[-1].endswith("mica: halted") or any(r.endswith("mica: halted") for r in rows), \
        show(rows)
    assert any("Backtrace:" in r for r in rows), show(rows)


@pytest.mark.parametrize("args,pattern", [
    pytest.param(BOCHS_SCREEN, r"screen: VGA text 80x25 at 0xb8000$", marks=bochs,
                 id="bochs-bios"),
    pytest.param(QEMU_UEFI, r"screen: \d+x\d+ framebuffer at 0x[0-9a-f]+, 32 bpp, \d+x\d+ "
                 r"characters$", marks=qemu, id="qemu-uefi"),
    pytest.param(QEMU_EFI, r"screen: 1280x800 framebuffer at 0x[0-9a-f]+, 32 bpp, 160x50 "
                 r"characters$", marks=qemu, id="qemu-hv.efi"),
])
def test_screen_line(boot, args, pattern):
    """One line says which screen is used."""
    run = boot(*args)
    assert run.status == 0, describe(run)
    found = [l for l in hvout.lines(run.serial) if l.startswith("screen:")]
    assert len(found) == 1 and re.match(pattern, found[0]), describe(run)
