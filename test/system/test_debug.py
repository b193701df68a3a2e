"""`make debug` (tools/hvrun --gdb): QEMU starts the machine stopped with
its gdb stub on a free port, hvrun prints the one gdb command that attaches
with the hypervisor's symbols, and gdb run that way stops in hv_start with
a backtrace into the multiboot2 entry; once gdb lets go the hypervisor
boots on to power off.  Under Bochs --gdb is refused, saying why."""

import re
import shlex
import subprocess
import time

import pytest

from conftest import HVRUN, PYTHON, hv_path


@pytest.mark.boot
@pytest.mark.qemu
def test_gdb_attaches_with_symbols():
    p = subprocess.Popen([PYTHON, HVRUN, "--hv", hv_path(), "--emulator", "qemu", "--gdb",
                          "--timeout", "120", "--no-input"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        m = re.match(r"hvrun: gdb: (gdb -q \S+ -ex 'target remote 127\.0\.0\.1:\d+')$",
                     line.strip())
        assert m, line
        cmd = shlex.split(m.group(1)) + ["-batch", "-ex", "break hv_start", "-ex", "continue",
                                         "-ex", "bt 2", "-ex", "detach"]
        # The stub may take a moment to listen once QEMU runs.
        for _ in range(20):
            g = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if "Connection refused" not in g.stdout + g.stderr:
                break
            time.sleep(0.5)
        out = g.stdout + g.stderr
        assert "Breakpoint 1, hv_start (" in out, out
        assert re.search(r"#1 .* in mb2_entry \(", out), out
        serial, _ = p.communicate(timeout=120)
        assert p.returncode == 0, serial
        assert "mica: power off" in serial
    finally:
        p.kill()


def test_gdb_refused_under_bochs():
    r = subprocess.run([PYTHON, HVRUN, "--emulator", "bochs", "--gdb"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert "hvrun: error: --gdb needs --emulator qemu or qemu-kvm" in r.stderr
