"""The far side of mica's network console, for system tests: a UDP
listener for netconsole= and a TCP client for netcon= that speaks as
much telnet as a test needs.

The runner forwards a free host port to the guest's TCP port and says so
on stderr ("hvrun: tcp 127.0.0.1:HOST -> guest port GUEST"); slirp
delivers the guest's UDP datagrams for 10.0.2.2:PORT to 127.0.0.1:PORT."""

import re
import socket
import subprocess
import time

from conftest import REPO

IAC = 255
PASSWORD = "mica-test"
# Few iterations: under Bochs each costs ~9k emulated instructions.
ITERATIONS = 200
SALT = "0123456789abcdef"


def pw_option(password=PASSWORD, iterations=ITERATIONS):
    """netcon_pw=... for password, made by tools/mica-passwd."""
    out = subprocess.run([f"{REPO}/tools/mica-passwd", "--iterations", str(iterations),
                          "--salt", SALT, "--password", password],
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out.startswith("netcon_pw=pbkdf2-sha256:"), out
    return out


def free_udp():
    """A UDP socket bound to a free port of 127.0.0.1."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def forwarded_port(session, guest_port, timeout=60):
    """The host port hvrun forwards to guest_port (from its stderr line)."""
    session.wait_for(f"-> guest port {guest_port}", timeout=timeout)
    m = re.search(rb"hvrun: tcp 127\.0\.0\.1:(\d+) -> guest port %d" % guest_port, session.out)
    assert m, session.out[-2000:]
    return int(m.group(1))


class Udp:
    """Datagrams received on a free port: the netconsole= target."""

    def __init__(self):
        self.sock = free_udp()
        self.port = self.sock.getsockname()[1]
        self.datagrams = []

    def option(self):
        return f"netconsole=10.0.2.2:{self.port}"

    def text(self):
        return b"".join(self.datagrams).decode(errors="replace")

    def wait_for(self, text, timeout=60):
        end = time.monotonic() + timeout
        while text not in self.text():
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} in UDP stream:\n{self.text()[-3000:]}")
            self.sock.settimeout(min(left, 1.0))
            try:
                self.datagrams.append(self.sock.recv(65536))
            except socket.timeout:
                pass
        return self.text()

    def close(self):
        self.sock.close()


class Tcp:
    """One TCP connection to the console: recv_until() what it sends, with
    telnet commands (IAC ...) kept apart in self.commands."""

    def __init__(self, port, connect_timeout=60):
        end = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.5)
        self.data = b""
        self.pos = 0
        self.closed = False

    def _recv(self, wait):
        self.sock.settimeout(wait)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            return
        except ConnectionResetError:
            d = b""
        if not d:
            self.closed = True
        self.data += d

    def text(self):
        """What came so far, telnet's IAC sequences taken out."""
        return re.sub(rb"\xff[\xfb-\xfe].", b"", self.data).replace(b"\xff\xff", b"\xff") \
            .decode(errors="replace")

    def recv_until(self, text, timeout=60):
        """Wait for text after the last match; returns what came before it."""
        end = time.monotonic() + timeout
        while True:
            t = self.text()
            at = t.find(text, self.pos)
            if at >= 0:
                before = t[self.pos:at]
                self.pos = at + len(text)
                return before
            if self.closed or time.monotonic() > end:
                raise AssertionError(
                    f"no {text!r} from the TCP console ({'closed' if self.closed else 'timeout'}):"
                    f"\n{t[-3000:]!r}")
            self._recv(min(1.0, end - time.monotonic()))

    def wait_closed(self, timeout=60):
        end = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > end:
                raise AssertionError(f"the console did not close:\n{self.text()[-2000:]!r}")
            self._recv(1.0)
        return self.text()

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def login(self, password=PASSWORD, timeout=120):
        self.recv_until("password: ", timeout)
        self.send(password + "\r\n")
        self.recv_until("mica: logged in.", timeout)

    def reset(self):
        """Vanish: close with a reset (SO_LINGER 0), no FIN."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
