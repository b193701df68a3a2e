"""Console rings and console input under Bochs (test/guests/console.c).

A domU writes through its xencons_interface ring, much faster than the
serial line takes it: every line must arrive, in order and intact.  Input
typed on the serial line (hvrun passes its stdin on) goes to dom0 through
CONSOLEIO_read and VIRQ_CONSOLE, and to a domU through its ring after three
Ctrl-A move the focus; when the focused domain ends, the focus moves on."""

import os
import re

import pytest

import hvout
from conftest import REPO
from hvout import describe
from hvsession import Session

CONSOLE = os.path.join(REPO, "build", "guests", "console.elf")
HELLO = os.path.join(REPO, "build", "guests", "hello.elf")

pytestmark = [pytest.mark.boot, pytest.mark.bochs]

FLOOD_LINES = 1000


def flood_line(i):
    """What the guest writes as line i (see mode_ring in console.c)."""
    x = i * 2654435761 % 1000000007
    return "flood %05d %010d %010d abcdefghijklmnopqrstuvwxyz" % (i, x, x ^ 0x5a5a5a5a)


def test_flood_loses_nothing(hvrun):
    # 1000 lines are 70 KB: more than the console queue (32 KiB) and the
    # ring (2 KiB) hold, so the guest must wait for the serial line.
    run = hvrun("--emulator", "bochs", "--dom0", HELLO,
                "--domu", CONSOLE + ",cmdline=lines=%d" % FLOOD_LINES, "--timeout", "150")
    assert run.status == 0, describe(run)
    ls = hvout.lines(run.serial)
    assert not [l for l in ls if "console: FAIL" in l], describe(run)
    got = [l[len("(domu1) "):] for l in ls if l.startswith("(domu1) flood ")]
    want = [flood_line(i) for i in range(FLOOD_LINES)]
    assert len(got) == FLOOD_LINES, describe(run)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, "line %d: %r != %r" % (i, g, w)
    assert hvout.has_line(run.serial, "(domu1) console: hello through the ring"), describe(run)
    done = [l for l in ls if l.startswith("(domu1) console: flood done: ")]
    assert done, describe(run)
    waits = int(done[0].split("full ")[1].split()[0])
    assert waits > 0, "the ring never filled: the test did not test back-pressure"
    assert hvout.has_line(run.serial, "(domu1) TEST PASS"), describe(run)
    # The guest's TEST PASS (console_io) came after its last ring line.
    assert ls.index("(domu1) TEST PASS") > ls.index("(domu1) " + want[-1])


def test_input_focus():
    s = Session(["--emulator", "bochs",
                 "--dom0", CONSOLE + ",cmdline=mode=read lines=2",
                 "--domu", CONSOLE + ",cmdline=echo=1 broken=1"])
    s.wait_for("mica: console input goes to dom0")
    s.wait_for("(dom0) console: dom0 reading line 1")
    s.type(b"hi dom0\r")
    s.wait_for("(dom0) console: dom0 got 68 69 20 64 6f 6d 30\n")
    s.wait_for("(dom0) console: dom0 reading line 2")
    # Three Ctrl-A: the focus moves to domu1.  One Ctrl-A alone is the
    # guest's, and reaches it.
    s.type(b"\x01\x01\x01")
    s.wait_for("mica: console input goes to domu1")
    s.type(b"a\x01b\r")
    s.wait_for("(domu1) console: got 61 01 62\n")
    # domu1 ends: the focus comes back to dom0 by itself.
    s.wait_for("(domu1) TEST PASS")
    s.wait_for("mica: console input goes to dom0")
    s.type(b"bye\n")
    s.wait_for("(dom0) console: dom0 got 62 79 65\n")
    s.wait_for("mica: power off")
    assert s.finish() == 0
    text = s.out.decode("utf-8", "replace")
    assert "console: FAIL" not in text, text[-4000:]
    assert "(dom0) TEST PASS" in text, text[-4000:]
    # domu1's impossible ring indices were refused, then it was heard again.
    warned = text.find("domu1: console ring indices are inconsistent")
    assert 0 <= warned < text.find("(domu1) console: the ring works again"), text[-4000:]


def pasted_line(n, seed):
    """n printable bytes (no CR, LF or Ctrl-A) and the guest's report of them."""
    line = bytes(33 + (seed + i * 7) % 90 for i in range(n))
    return line, "got %d bytes, sum %d\n" % (n, sum(line))


def test_pasted_lines_arrive_whole():
    """Input typed faster than the console mux polls (a paste: hundreds of
    bytes in one write) arrives whole.  The UART's FIFO holds 16 bytes,
    about 1.4 ms at 115200 baud; the receive interrupt moves them into the
    hypervisor's ring, and what a guest has no room for yet waits there.
    The domU's two lines together are larger than its console ring."""
    s = Session(["--emulator", "bochs",
                 "--dom0", CONSOLE + ",cmdline=mode=read lines=2",
                 "--domu", CONSOLE + ",cmdline=echo=2"])
    s.wait_for("(dom0) console: dom0 reading line 1")
    line, report = pasted_line(400, 0)
    s.type(line + b"\r")
    s.wait_for("(dom0) console: dom0 " + report)
    s.type(b"\x01\x01\x01")
    s.wait_for("mica: console input goes to domu1")
    one, report1 = pasted_line(700, 1)
    two, report2 = pasted_line(600, 2)
    s.type(one + b"\r" + two + b"\r")
    s.wait_for("(domu1) console: " + report1)
    s.wait_for("(domu1) console: " + report2)
    s.wait_for("mica: console input goes to dom0")
    s.type(b"bye\r")
    s.wait_for("(dom0) console: dom0 got 62 79 65\n")
    assert s.finish() == 0
    assert "console: FAIL" not in s.out.decode("utf-8", "replace")


def test_prompt_shows_before_its_line_ends():
    """The domain with the focus has its output raw on a terminal: no
    timestamp, no name, its unfinished line (a shell's prompt) at once, and
    what it writes next continues that line.  hvrun runs on a terminal
    here, so its output is raw as a user sees it."""
    with Session(["--emulator", "bochs", "--domu", CONSOLE + ",cmdline=echo=2 prompt=1"],
                 timeout=120, terminal=True) as s:
        s.wait_for("mica: console input goes to domu1", 90)
        # Its first line starts a line of its own, with nothing in front.
        s.wait_for("\nconsole: hello through the ring\r\n", 30)
        assert s.wait_for("console: line 1> ") == ""
        s.type(b"ok\r")
        # The answer continues the prompt's line: nothing comes between.
        assert s.wait_for("console: got 6f 6b\r") == ""
        assert s.wait_for("console: line 2> ") == "\n"
        s.type(b"x\r")
        assert s.wait_for("console: got 78\r") == ""
        s.wait_for("mica: power off")
        assert s.finish() == 0
        assert "(domu1)" not in s.out.decode("utf-8", "replace")


def test_focused_raw_unfocused_prefixed():
    """Typed into the focused guest, its answer comes raw (no timestamp,
    no name) while the unfocused guest's lines keep "[time] (domu2) ".
    A prompt cut by other output (here the focus moving on) is shown again
    when the focus comes back, and the answer continues it."""
    guest = CONSOLE + ",cmdline=echo=1 prompt=1"
    with Session(["--emulator", "bochs", "--domu", guest, "--domu", guest],
                 timeout=120, terminal=True) as s:
        s.wait_for("console: line 1> ", 90)
        s.type(b"\x01\x01\x01")
        s.wait_for("mica: console input goes to domu2")
        s.wait_for("\r\nconsole: line 1> ")  # held while unfocused, raw now
        s.type(b"b\r")
        assert s.wait_for("console: got 62\r") == ""
        # domu2 ends; the focus goes back to domu1, whose prompt comes again.
        s.wait_for("mica: console input goes to domu1")
        s.wait_for("console: line 1> ")
        s.type(b"a\r")
        assert s.wait_for("console: got 61\r") == ""
        s.wait_for("mica: power off")
        assert s.finish() == 0
    lines = s.out.decode("utf-8", "replace").replace("\r", "").split("\n")
    stamp = r"\[\s*\d+\.\d{6}\] "
    # domu2 was unfocused when it greeted; domu1 was focused.
    assert [l for l in lines if re.fullmatch(stamp + r"\(domu2\) console: hello through the ring",
                                              l)], lines
    assert "console: hello through the ring" in lines, lines
    assert not [l for l in lines if "(domu1) console:" in l], lines
    # Raw answers start their lines; the typed answers are no one's log line.
    assert "console: line 1> console: got 62" in lines, lines
    assert "console: line 1> console: got 61" in lines, lines
    assert [l for l in lines if re.match(stamp + r"mica: console input goes to domu2 ", l)], lines


def test_ctrl_c_is_the_guests_and_ctrl_close_bracket_quits():
    """On a terminal hvrun passes Ctrl-C (and every other key) to the
    machine, as a serial console does, so a guest's shell gets it; Ctrl-]
    stops hvrun and the emulator with it: a normal end, status 0 (make run
    says nothing)."""
    with Session(["--emulator", "bochs", "--domu", CONSOLE + ",cmdline=echo=2 prompt=1"],
                 timeout=120, terminal=True) as s:
        s.wait_for("console: line 1> ", 90)
        s.type(b"\x03\x1a\r")  # Ctrl-C, Ctrl-Z: signals for hvrun with ISIG on
        s.wait_for("console: got 03 1a\r")
        s.wait_for("console: line 2> ")
        s.type(b"\x1d")
        s.wait_for("hvrun: quit (Ctrl-])")
        assert s.finish() == 0
