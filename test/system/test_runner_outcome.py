"""tools/hvrun's own behaviour around a real boot: timeout, cleanup, --log."""

import os

import pytest

from hvout import describe
from hvsession import Session

pytestmark = [pytest.mark.boot]


def processes_mentioning(text):
    """PIDs whose command line contains text (our workdir: our children)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


@pytest.mark.bochs
def test_timeout_kills_the_emulator(hvrun, tmp_path):
    wd = tmp_path / "wd"
    run = hvrun("--emulator", "bochs", "--timeout", "1", "--workdir", wd)
    assert run.status == 1, describe(run)
    assert run.stderr.strip() == "hvrun: timeout after 1 s"
    assert processes_mentioning(str(wd)) == []


@pytest.mark.qemu
def test_log_copies_the_serial_output(hvrun, tmp_path):
    log = tmp_path / "serial.log"
    run = hvrun("--emulator", "qemu", "--mem", "64", "--log", log)
    assert run.status == 0, describe(run)
    assert log.read_text() == run.serial
    assert "mica: power off" in run.serial


@pytest.mark.qemu
def test_ctrl_close_bracket_is_a_normal_end():
    """Ctrl-] on hvrun's terminal ends the run as asked: status 0 (so `make
    run` reports no error), a line saying so, the emulator gone.  A pty
    stands for the terminal; noreboot keeps the machine up meanwhile."""
    with Session(["--emulator", "qemu", "--mem", "64", "--hv-cmdline", "noreboot"],
                 timeout=60, terminal=True) as s:
        s.wait_for("mica: noreboot: staying up", 60)
        s.type(b"\x1d")
        s.wait_for("hvrun: quit (Ctrl-])")
        assert s.finish() == 0
