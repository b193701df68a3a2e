"""The network console (net/): the UDP log stream (netconsole=) and the
interactive TCP console (netcon=) with its login, one session at a time,
lockout after failed logins, and every kind of bad input a peer can send,
under QEMU (the hypervisor alone: QEMU has no VT-x) and under Bochs (with
domains, typed into over TCP)."""

import contextlib
import os
import pty
import select
import socket
import subprocess
import time

import pytest

from hvsession import Session
from netpeer import IAC, PASSWORD, Tcp, Udp, forwarded_port, pw_option

qemu = [pytest.mark.boot, pytest.mark.qemu]
bochs = [pytest.mark.boot, pytest.mark.bochs]

QEMU = ["--emulator", "qemu", "--mem", "128", "--net", "--net-fwd", "23"]


@contextlib.contextmanager
def qemu_console(net="net=dhcp", extra="", address="net: DHCP address 10.0.2.15/24"):
    """The hypervisor alone under QEMU with the UDP stream and the TCP
    console, up to its address: (session, UDP listener, TCP port)."""
    udp = Udp()
    cmdline = f"{net} {udp.option()} netcon=23 {pw_option()} noreboot {extra}".strip()
    with Session(QEMU + ["--hv-cmdline", cmdline], timeout=240) as s:
        port = forwarded_port(s, 23)
        s.wait_for(address)
        yield s, udp, port
    udp.close()


@pytest.mark.qemu
@pytest.mark.boot
def test_dhcp_udp_stream_and_login():
    with qemu_console(address="net: DHCP address 10.0.2.15/24, gateway 10.0.2.2") as (s, udp,
                                                                                      port):
        # The boot log from its first line, as Linux's netconsole sends it:
        # lines ending in "\n", no CR.
        text = udp.wait_for("net: DHCP address 10.0.2.15/24")
        assert "mica 0.1: Xen PV ABI micro-hypervisor" in text
        assert "netcon: TCP console on port 23" in text
        assert "\r" not in text
        assert all(len(d) <= 1000 for d in udp.datagrams)

        c = Tcp(port)
        c.recv_until("mica network console")
        # The server asked for character mode: WILL ECHO, WILL SGA, DO SGA.
        assert bytes([IAC, 251, 1, IAC, 251, 3, IAC, 253, 3]) in c.data
        c.recv_until("password: ")
        t0 = time.monotonic()
        c.send("not-it\r\n")
        c.recv_until("login incorrect")
        assert time.monotonic() - t0 >= 1.5  # failures are answered slowly
        s.wait_for("netcon: failed login from 10.0.2.2:")
        c.login()
        s.wait_for("netcon: login from 10.0.2.2:")
        # The session gets the console from its login on (its own line too).
        c.recv_until("netcon: login from 10.0.2.2:")
        udp.wait_for("netcon: login from 10.0.2.2:")
        c.close()
        s.wait_for("netcon: 10.0.2.2:")
        s.wait_for("logged out (closed by the peer;")
    # The password itself is never logged.
    assert PASSWORD.encode() not in s.out
    assert b"not-it" not in s.out


@pytest.mark.qemu
@pytest.mark.boot
def test_static_busy_and_lockout():
    with qemu_console(net="net=10.0.2.15/24,gw=10.0.2.2",
                      address="net: static address 10.0.2.15/24, gateway 10.0.2.2") as (s, udp,
                                                                                         port):
        udp.wait_for("net: static address")
        a = Tcp(port)
        a.login()
        # A second connection while the first has the console: told and closed.
        b = Tcp(port)
        assert "the console is busy" in b.wait_closed()
        s.wait_for("refused: busy")
        a.close()  # a FIN, or a reset when unread output was left
        s.wait_for(" logged out (")
        # Three failures in a row lock the console.
        c = Tcp(port)
        for _ in range(3):
            c.recv_until("password: ")
            c.send("wrong\r\n")
        assert "locked for a while" in c.wait_closed()
        s.wait_for("failed logins in a row: console locked")
        d = Tcp(port)
        assert "the console is locked" in d.wait_closed()
        s.wait_for("refused: locked after failed logins")


def _when_free(port, timeout=60):
    """A connection that gets the password prompt.  The console is busy
    until the hypervisor has seen the last session's FIN, at a poll of its
    NIC: on a loaded machine that can be a while after the close."""
    end = time.monotonic() + timeout
    while True:
        t = Tcp(port)
        while "password: " not in t.text() and "busy" not in t.text() and not t.closed:
            if time.monotonic() > end:
                raise AssertionError("no prompt and no refusal from the TCP console: %r" % t.text())
            t._recv(0.2)
        if "password: " in t.text():
            return t
        t.close()
        if time.monotonic() > end:
            raise AssertionError("the TCP console stayed busy after its session closed")
        time.sleep(1)


def _send_for(sock, data, seconds):
    """Send as much of data as goes within seconds; the bytes sent."""
    sock.setblocking(False)
    sent, end = 0, time.monotonic() + seconds
    while sent < len(data) and time.monotonic() < end:
        try:
            sent += sock.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    sock.setblocking(True)
    return sent


@pytest.mark.qemu
@pytest.mark.boot
def test_bad_input_leaves_it_running():
    # A short idle limit, so the test also sees an idle session closed.
    with qemu_console(extra="netcon_idle=20") as (s, udp, port):

        # Binary garbage and a telnet option storm at the password prompt.
        c = Tcp(port)
        c.recv_until("password: ")
        storm = b"".join(bytes([IAC, 251 + i % 4, i % 256]) for i in range(20000))
        garbage = bytes(range(256)) * 64
        _send_for(c.sock, storm + garbage + bytes([IAC, 250]) + b"x" * 5000 + bytes([IAC, 240]),
                  20)
        c.send("\r\n")
        c.recv_until("login incorrect", timeout=120)
        # A megabyte with no line end: taken and thrown away, then refused.
        sent = _send_for(c.sock, b"A" * (1 << 20), 60)
        assert sent == 1 << 20
        c.send("\r\n")
        c.recv_until("login incorrect", timeout=120)
        c.close()

        # Hundreds of connection attempts, and some left half-open.
        idle = [Tcp(port) for _ in range(3)]
        refused = 0
        for _ in range(200):
            try:
                x = socket.create_connection(("127.0.0.1", port), timeout=5)
                x.close()
            except OSError:
                refused += 1
        for x in idle:
            x.close()

        # A peer that vanishes mid-session (a reset, no FIN).
        v = _when_free(port)
        v.login()
        v.reset()
        s.wait_for("logged out (reset by the peer;", timeout=90)

        # Through all of it the console works: log in, stay idle, closed.
        ok = Tcp(port)
        ok.login()
        s.wait_for("netcon: login from")
        assert "session over (idle)" in ok.wait_closed(timeout=90)
        s.wait_for("logged out (idle;")
        udp.wait_for("logged out (idle;")
    assert b"PANIC" not in s.out


@pytest.mark.bochs
@pytest.mark.boot
def test_bochs_type_into_domains_over_tcp():
    """The same console as the serial line, over TCP: input to the domain
    with the focus, three Ctrl-A to move it, every domain's output."""
    from conftest import REPO
    console = f"{REPO}/build/guests/console.elf"
    udp = Udp()
    # Bochs runs idle time at full speed (clock: sync=none): no idle limit.
    cmdline = f"net=dhcp {udp.option()} netcon=23 {pw_option()} netcon_idle=0"
    with Session(["--emulator", "bochs", "--net", "--net-fwd", "23", "--hv-cmdline", cmdline,
                  "--dom0", console + ",cmdline=mode=read lines=2",
                  "--domu", console + ",cmdline=echo=1 broken=1"], timeout=300) as s:
        port = forwarded_port(s, 23)
        s.wait_for("console: dom0 reading line 1", timeout=120)
        s.wait_for("net: DHCP address", timeout=120)
        c = Tcp(port)
        c.login()
        c.send("hi dom0\r")
        s.wait_for("console: dom0 got 68 69 20 64 6f 6d 30")
        c.recv_until("console: dom0 got 68 69 20 64 6f 6d 30")
        c.send(b"\x01\x01\x01")
        s.wait_for("mica: console input goes to domu1")
        c.recv_until("mica: console input goes to domu1")
        c.send(b"a\x01b\r")
        s.wait_for("console: got 61 01 62")
        c.recv_until("console: got 61 01 62")
        s.wait_for("mica: console input goes to dom0")
        c.send("bye\r\n")  # telnet's CR LF is one CR for the guest
        s.wait_for("console: dom0 got 62 79 65")
        c.recv_until("console: dom0 got 62 79 65")
        s.wait_for("mica: power off", timeout=120)
        assert s.finish() == 0
    udp.wait_for("console: dom0 got 62 79 65", timeout=10)
    udp.close()


@pytest.mark.bochs
@pytest.mark.boot
def test_bochs_linux_shell_and_control_domain_over_tcp(linux_assets_dir):
    """The control domain and Debian's Linux, both typed into over TCP:
    `list` to dom0, three Ctrl-A, a command to Linux's shell; the TCP
    client sees both domains' answers."""
    from conftest import REPO
    import json
    import os
    with open(os.path.join(linux_assets_dir, "assets.json")) as f:
        release = json.load(f)["kernel_release"]
    control = f"{REPO}/build/dom0.elf"
    linux = "%s/vmlinuz,mem=256,vcpus=1,initrd=%s/initramfs.cpio.gz,cmdline=console=hvc0 quiet" % (
        linux_assets_dir, linux_assets_dir)
    # The focused domain raw, as a terminal user gets it: the shell's
    # prompt has no line end.
    cmdline = f"net=dhcp netcon=23 {pw_option()} netcon_idle=0 console_focus=raw"
    with Session(["--emulator", "bochs", "--net", "--net-fwd", "23", "--hv-cmdline", cmdline,
                  "--dom0", control, "--domu", linux], timeout=1200) as s:
        port = forwarded_port(s, 23)
        s.wait_for("net: DHCP address", timeout=300)
        c = Tcp(port)
        c.login()
        c.send("list\r")
        c.recv_until("control: 1   running", timeout=120)
        s.wait_for("mica-init: Linux %s up" % release, timeout=900)
        c.send(b"\x01\x01\x01")
        c.recv_until("mica: console input goes to domu1", timeout=60)
        c.recv_until("mica-guest:/# ", timeout=120)
        c.send("uname -r\r")
        c.recv_until("uname -r", timeout=60)  # the shell's echo
        c.recv_until(release, timeout=60)
        c.recv_until("mica-guest:/# ", timeout=60)
        c.send("poweroff -f\r")
        s.wait_for("domu1: shut down", timeout=300)
        c.recv_until("mica: console input goes to dom0", timeout=120)
        c.send("quit\r")
        s.wait_for("mica: power off", timeout=300)
        assert s.finish() == 0


def _pty_read_until(fd, want, timeout=60):
    """Read fd (a pty master) until want appears; all read so far."""
    got, end = b"", time.monotonic() + timeout
    while want not in got:
        if time.monotonic() > end:
            raise AssertionError(f"no {want!r} on the terminal:\n{got[-2000:]!r}")
        if select.select([fd], [], [], 1)[0]:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
    return got


@pytest.mark.qemu
@pytest.mark.boot
def test_real_telnet_and_socat():
    """The clients people use: Debian's telnet on a terminal goes into
    character mode and does not echo the password; socat (as nc) logs in
    with a line piped in."""
    with qemu_console() as (s, udp, port):
        master, slave = pty.openpty()
        t = subprocess.Popen(["telnet", "127.0.0.1", str(port)], stdin=slave, stdout=slave,
                             stderr=slave, close_fds=True, start_new_session=True)
        os.close(slave)
        try:
            _pty_read_until(master, b"password: ")
            for ch in PASSWORD:  # typed key by key, as a person does
                os.write(master, ch.encode())
                time.sleep(0.05)
            os.write(master, b"\r")
            seen = _pty_read_until(master, b"mica: logged in.")
            # The server echoes (and does not echo a password): no local echo.
            assert PASSWORD.encode() not in seen
            s.wait_for("netcon: login from 10.0.2.2:")
            os.write(master, b"\x1d")  # telnet's escape character, then quit
            _pty_read_until(master, b"telnet>")
            os.write(master, b"quit\r")
            t.wait(timeout=30)
            s.wait_for(" logged out (")
        finally:
            t.kill()
            os.close(master)
        out = subprocess.run(["socat", "-t", "5", "-", f"TCP:127.0.0.1:{port}"],
                             input=(PASSWORD + "\n").encode(), capture_output=True,
                             timeout=60).stdout
        assert b"mica: logged in." in out, out
        s.wait_for("netcon: login from 10.0.2.2:")
        s.wait_for(" logged out (closed by the peer")
