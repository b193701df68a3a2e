"""A hypervisor fault ends in a readable crash dump and a clean report.

hv command line crash=ud|pf|gp|de makes the hypervisor trigger that
exception in debug_crash() once it is ready.  Expected on the serial line:
    *** CPU EXCEPTION vector <N> (#<NAME>) ...
    RIP: 0x<hex> <debug_crash+0x<off>> ...
    Backtrace:
      0x<hex> <symbol+0x<off>>          (at least one frame)
    PANIC: <message>
    mica: halted
and from hvrun: exit status 1, one stderr line `hvrun: hypervisor panic: ...`."""

import re

import pytest

import hvout
from hvout import describe

CRASHES = {"de": (0, "DE"), "ud": (6, "UD"), "gp": (13, "GP"), "pf": (14, "PF")}

pytestmark = [pytest.mark.boot]


def check_dump(run, kind):
    vector, name = CRASHES[kind]
    assert run.status == 1, describe(run)
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hvrun: hypervisor panic: "), describe(run)
    ls = hvout.lines(run.serial)
    assert hvout.has_line(run.serial, "mica: ready"), describe(run)
    exc = [i for i, l in enumerate(ls) if hvout.RE_EXCEPTION.match(l)]
    assert exc, "no '*** CPU EXCEPTION' line\n" + describe(run)
    m = hvout.RE_EXCEPTION.match(ls[exc[0]])
    assert (int(m.group(1)), m.group(2)) == (vector, name), ls[exc[0]]
    rest = ls[exc[0]:]
    rip = [hvout.RE_RIP.match(l) for l in rest]
    rip = [r for r in rip if r]
    assert rip, "no 'RIP: 0x... <symbol+0x...>' line\n" + describe(run)
    assert rip[0].group(2).startswith("debug_crash"), rip[0].group(0)
    bt = [i for i, l in enumerate(rest) if l.strip() == "Backtrace:"]
    assert bt, "no 'Backtrace:' line\n" + describe(run)
    assert bt[0] + 1 < len(rest) and hvout.RE_FRAME.match(rest[bt[0] + 1]), \
        "no frame after 'Backtrace:'\n" + describe(run)
    panic = [i for i, l in enumerate(rest) if l.startswith("PANIC: ")]
    assert panic and panic[0] > bt[0], describe(run)
    msg = rest[panic[0]][len("PANIC: "):].strip()
    assert err[0] == "hvrun: hypervisor panic: " + msg
    halted = [i for i, l in enumerate(rest) if l.startswith("mica: halted")]
    assert halted and halted[0] > panic[0], describe(run)
    assert not hvout.has_line(run.serial, "mica: power off")


@pytest.mark.bochs
@pytest.mark.parametrize("kind", sorted(CRASHES, key=lambda k: CRASHES[k][0]))
def test_crash_dump_bochs(hvrun, kind):
    check_dump(hvrun("--emulator", "bochs", "--mem", "128",
                     "--hv-cmdline", "crash=" + kind, "--timeout", "60"), kind)


@pytest.mark.qemu
def test_crash_dump_qemu(hvrun):
    check_dump(hvrun("--emulator", "qemu", "--mem", "128",
                     "--hv-cmdline", "crash=ud", "--timeout", "60"), "ud")


# The protections the crash dump proves: writing to our own code faults
# (W^X: #PF, error code "present + write"), and running off the end of the
# stack faults in its guard page, which escalates to #DF on its own stack.
PROTECTIONS = {"wx": (14, "PF", "error 0x3 "), "stack": (8, "DF", "error 0x0 ")}


@pytest.mark.bochs
@pytest.mark.parametrize("kind", sorted(PROTECTIONS))
def test_protection_faults_bochs(hvrun, kind):
    vector, name, error = PROTECTIONS[kind]
    run = hvrun("--emulator", "bochs", "--mem", "128",
                "--hv-cmdline", "crash=" + kind, "--timeout", "60")
    assert run.status == 1, describe(run)
    ls = hvout.lines(run.serial)
    exc = [l for l in ls if hvout.RE_EXCEPTION.match(l)]
    assert exc, describe(run)
    m = hvout.RE_EXCEPTION.match(exc[0])
    assert (int(m.group(1)), m.group(2)) == (vector, name), exc[0]
    assert error in exc[0] + " ", exc[0]
    bt = ls[ls.index("Backtrace:") + 1:]
    frames = [re.match(r"^\s*0x[0-9a-f]+ <([A-Za-z_][\w.]*)\+0x", l) for l in bt]
    names = [f.group(1) for f in frames if f]
    assert any(n.startswith("debug_crash") for n in names), describe(run)
    assert hvout.has_line(run.serial, "mica: halted"), describe(run)
