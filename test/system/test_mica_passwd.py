"""tools/mica-passwd prints the netcon_pw= option hv/lib/pwhash.c checks.

No emulator: the printed spec is recomputed with hashlib, and every bad
argument must give exit 2 and one `mica-passwd: error:` line."""

import hashlib
import os
import pty
import re
import subprocess

import pytest

from conftest import PYTHON, REPO

TOOL = os.path.join(REPO, "tools", "mica-passwd")
SPEC = re.compile(r"netcon_pw=pbkdf2-sha256:([0-9]+):([0-9a-f]+):([0-9a-f]{64})")
SALT16 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def run(*args, stdin=""):
    return subprocess.run([PYTHON, TOOL, *args], input=stdin.encode(), capture_output=True,
                          timeout=60)


def spec_of(r):
    """The one line printed, parsed: (iterations, salt bytes, hash bytes)."""
    assert r.returncode == 0, r
    assert r.stderr == b""
    out = r.stdout.decode()
    assert out.endswith("\n") and out.count("\n") == 1, out
    m = SPEC.fullmatch(out.strip())
    assert m, out
    return int(m[1]), bytes.fromhex(m[2]), bytes.fromhex(m[3])


def pbkdf2(pw, salt, n):
    return hashlib.pbkdf2_hmac("sha256", pw, salt, n, 32)


def test_executable():
    assert os.access(TOOL, os.X_OK)


def test_password_and_salt_reproduce_hashlib():
    n, salt, h = spec_of(run("--password", "correct horse", "--salt", SALT16,
                             "--iterations", "1000"))
    assert (n, salt) == (1000, bytes.fromhex(SALT16))
    assert h == pbkdf2(b"correct horse", salt, 1000)


def test_same_spec_as_the_unit_test():
    """test/unit/test_pwhash.c's SPEC_HORSE, which pwhash_check accepts for
    "correct horse": the tool and the hypervisor agree."""
    r = run("--password", "correct horse", "--salt", SALT16, "--iterations", "1000")
    assert r.stdout.decode() == (
        "netcon_pw=pbkdf2-sha256:1000:" + SALT16 +
        ":ab583f9a0dbc3052498ab1da5f5f047dd701d8a18f7baf1b777917f1ada17e19\n")


def test_defaults_random_salt():
    a = spec_of(run("--password", "pw"))
    b = spec_of(run("--password", "pw"))
    assert a[0] == b[0] == 10000
    assert len(a[1]) == len(b[1]) == 16
    assert a[1] != b[1] and a[2] != b[2]
    assert a[2] == pbkdf2(b"pw", a[1], 10000)


@pytest.mark.parametrize("salt", ["00" * 8, "ab" * 32, "AbCdEf0123456789"])
def test_salt_limits(salt):
    n, s, h = spec_of(run("--password", "x", "--salt", salt, "--iterations", "1"))
    assert s == bytes.fromhex(salt)
    assert h == pbkdf2(b"x", s, 1)


@pytest.mark.parametrize("line, pw", [
    ("secret\n", b"secret"),
    ("secret\r\n", b"secret"),
    ("secret", b"secret"),                    # no newline at EOF
    ("two words \n", b"two words "),          # spaces are kept
    ("first\nsecond\n", b"first"),            # one line only
    ("p\u00e4ss\n", "p\u00e4ss".encode()),     # UTF-8 bytes as typed
])
def test_stdin(line, pw):
    n, s, h = spec_of(run("--stdin", "--salt", SALT16, "--iterations", "7", stdin=line))
    assert h == pbkdf2(pw, s, 7)


def test_terminal_asks_twice():
    def talk(first, again):
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(PYTHON, [PYTHON, TOOL, "--salt", SALT16, "--iterations", "5"])
        out = b""

        def until(text):
            nonlocal out
            while text not in out:
                chunk = os.read(fd, 1024)
                assert chunk, out
                out += chunk

        until(b"Password: ")
        os.write(fd, first + b"\n")
        until(b"Again: ")
        os.write(fd, again + b"\n")
        try:
            while True:
                chunk = os.read(fd, 1024)
                if not chunk:
                    break
                out += chunk
        except OSError:  # EIO: the child closed the terminal
            pass
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), out.decode()

    status, out = talk(b"typed pw", b"typed pw")
    assert status == 0, out
    assert "typed pw" not in out  # not echoed
    want = pbkdf2(b"typed pw", bytes.fromhex(SALT16), 5).hex()
    assert "netcon_pw=pbkdf2-sha256:5:%s:%s" % (SALT16, want) in out

    status, out = talk(b"one", b"two")
    assert status == 1
    assert "mica-passwd: the two passwords differ" in out
    assert "netcon_pw" not in out


BAD_ARGS = [
    (["--iterations", "0"], "0 is not in 1..1000000"),
    (["--iterations", "1000001"], "1000001 is not in 1..1000000"),
    (["--iterations", "-5"], "'-5' is not a decimal number"),
    (["--iterations", "1e3"], "'1e3' is not a decimal number"),
    (["--iterations", "abc"], "'abc' is not a decimal number"),
    (["--iterations"], "expected one argument"),
    (["--salt", "zz00112233445566"], "is not hex"),
    (["--salt", "00112233445566"], "7 bytes, want 8..32"),
    (["--salt", "00" * 33], "33 bytes, want 8..32"),
    (["--salt", "001122334455667"], "an odd number of hex digits (15)"),
    (["--salt", ""], "0 bytes, want 8..32"),
    (["--stdin", "--password", "x"], "not allowed with argument"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["extra"], "unrecognized arguments: extra"),
]


@pytest.mark.parametrize("args, text", BAD_ARGS)
def test_bad_arguments(args, text):
    r = run(*args, "--password", "x")
    assert r.returncode == 2, r
    assert r.stdout == b""
    err = r.stderr.decode().splitlines()
    assert len(err) == 1, r.stderr
    assert err[0].startswith("mica-passwd: error: "), err
    assert text in err[0], err


@pytest.mark.parametrize("args, stdin, text", [
    (["--password", ""], "", "empty password"),
    (["--stdin"], "\n", "empty password"),
    (["--stdin"], "", "no password on standard input"),
])
def test_refused_passwords(args, stdin, text):
    r = run(*args, stdin=stdin)
    assert r.returncode == 1, r
    assert r.stdout == b""
    assert r.stderr.decode() == "mica-passwd: %s\n" % text
