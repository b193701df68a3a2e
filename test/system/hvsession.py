"""hvrun driven like a user at a keyboard: the test types into its stdin
and searches what it prints as it comes.

By default stdin and stdout are pipes.  With terminal=True they are a
pseudo-terminal that is hvrun's controlling terminal, as in a shell: hvrun
then prints raw (prompts before their line ends) and takes keys as a
terminal gives them (Ctrl-C is a byte for the guest, Ctrl-] quits)."""

import fcntl
import os
import pty
import select
import subprocess
import termios
import time

import pytest

from conftest import HVRUN, PYTHON, hv_path


def _own_terminal():
    # In the child: a session of its own whose controlling terminal is the
    # pty on fd 0, so that keys with ISIG on would become signals.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Session:
    """hvrun running; type(), wait_for() what it prints, finish().  As a
    context manager (`with Session(...) as s:`) it is closed at the end."""

    def __init__(self, args, timeout=150, terminal=False, program=None):
        """hvrun with args (and --hv, --timeout), or `program` with args
        (a wrapper that runs hvrun itself)."""
        if program:
            cmd = [program] + args
        else:
            cmd = [PYTHON, HVRUN, "--hv", hv_path(), "--timeout", str(timeout)] + args
        self.master = None
        if terminal:
            self.master, slave = pty.openpty()
            self.p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                                      close_fds=True, preexec_fn=_own_terminal)
            os.close(slave)
            self.rfd = self.wfd = self.master
        else:
            self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)
            self.rfd, self.wfd = self.p.stdout.fileno(), self.p.stdin.fileno()
        self.out = b""
        self.pos = 0  # wait_for looks from here on

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()  # an assertion that failed mid-session leaves no emulator behind
        return False

    def _read(self, wait):
        """Add what hvrun printed within `wait` seconds; False at its end."""
        if not select.select([self.rfd], [], [], wait)[0]:
            return True
        try:
            data = os.read(self.rfd, 65536)
        except OSError:  # a pty whose other side has closed: EIO
            data = b""
        self.out += data
        return bool(data)

    def wait_for(self, text, timeout=60):
        """Wait until `text` (str or bytes) appears after the last match;
        returns what came between that match and this one (str)."""
        want = text.encode() if isinstance(text, str) else text
        start = self.pos
        end = time.monotonic() + timeout
        while True:
            at = self.out.find(want, self.pos)
            if at >= 0:
                self.pos = at + len(want)
                return self.out[start:at].decode("utf-8", "replace")
            left = end - time.monotonic()
            if left <= 0:
                self.fail("no %r within %d s" % (text, timeout))
            if not self._read(min(left, 0.5)):
                self.fail("hvrun ended before %r" % text)

    def wait_for_all(self, texts, timeout=60):
        """Wait until every one of `texts` has appeared after the last match,
        in any order; the next search starts after the last of them."""
        end = time.monotonic() + timeout
        while True:
            found = [self.out.find(t.encode(), self.pos) for t in texts]
            if min(found) >= 0:
                self.pos = max(at + len(t.encode()) for at, t in zip(found, texts))
                return
            left = end - time.monotonic()
            missing = [t for t, at in zip(texts, found) if at < 0]
            if left <= 0:
                self.fail("no %r within %d s" % (missing, timeout))
            if not self._read(min(left, 0.5)):
                self.fail("hvrun ended before %r" % missing)

    def type(self, data):
        while data:
            data = data[os.write(self.wfd, data):]

    def finish(self, timeout=60):
        """Let hvrun end (a pipe's stdin is closed first); its exit status."""
        if self.master is None:
            rest, _ = self.p.communicate(timeout=timeout)
            self.out += rest
            return self.p.returncode
        end = time.monotonic() + timeout
        while self._read(0.5) and time.monotonic() < end:
            pass
        status = self.p.wait(timeout=max(1, end - time.monotonic()))
        self.close()
        return status

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def fail(self, why):
        self.p.kill()
        if self.master is None:
            rest, _ = self.p.communicate()
            self.out += rest
        self.close()
        pytest.fail("%s; output:\n%s" % (why, self.out.decode("utf-8", "replace")[-4000:]))
