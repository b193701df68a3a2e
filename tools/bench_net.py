#!/usr/bin/env python3
"""The network console's figures for `make bench` (tools/bench.sh runs it):
Debian's Linux as a domU under Bochs, typed into over the TCP console.

  keystroke to echo: 40 keys typed one at a time into the shell, each
      waited for; the hypervisor measures from the key leaving the TCP
      console for the multiplexer to the next output sent back (its echo),
      in emulated time, and reports it when the session ends.  Add the
      wait for the next poll of the NIC (the multiplexer polls every 10 ms
      when idle: 5 ms on average) for the whole.
  throughput: `seq 1 N` on hvc0, timed by the guest's /proc/uptime
      (emulated time), the bytes counted as the TCP client receives them.

Run twice: with the serial line on (console=com1: every byte also crosses
a 115200-baud line, which paces the guest), and with the network console
alone (console=none).  Prints `key: US MAX`, `rate-com1: BYTES/S` and
`rate-net: BYTES/S`; exit 3 when the Linux assets are missing."""

import os
import re
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINUX = os.path.join(REPO, "build", "linux")
PROMPT = b"mica-guest:/# "
SEQ_N = 60000
KEYS = 40


def seq_bytes(n):
    # Each number and CR LF (the tty's onlcr) on the wire.
    return sum(len(str(i)) + 2 for i in range(1, n + 1))


def passwd():
    return subprocess.run([os.path.join(REPO, "tools", "mica-passwd"), "--iterations", "200",
                           "--salt", "0123456789abcdef", "--password", "bench"],
                          check=True, capture_output=True, text=True).stdout.strip()


class Console:
    def __init__(self, port):
        end = time.monotonic() + 600
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.5)
        self.buf = b""

    def until(self, want, timeout=600):
        end = time.monotonic() + timeout
        while True:
            at = self.buf.find(want)
            if at >= 0:
                before, self.buf = self.buf[:at], self.buf[at + len(want):]
                return before
            if time.monotonic() > end:
                raise SystemExit("bench_net: no %r; last: %r" % (want, self.buf[-500:]))
            self.s.settimeout(1)
            try:
                d = self.s.recv(1 << 16)
            except socket.timeout:
                continue
            if not d:
                raise SystemExit("bench_net: the console closed; last: %r" % self.buf[-500:])
            self.buf += d

    def send(self, data):
        self.s.sendall(data)


def run(console, measure_keys):
    cmd = [sys.executable, os.path.join(REPO, "tools", "hvrun"), "--emulator", "bochs",
           "--ips", "100000000", "--timeout", "1500", "--no-input", "--net", "--net-fwd", "23",
           "--hv-cmdline", "console=%s net=10.0.2.15/24,gw=10.0.2.2 netcon=23 netcon_idle=0 "
           "console_focus=raw %s" % (console, passwd()),
           "--domu", "%s/vmlinuz,mem=256,initrd=%s/initramfs.cpio.gz,cmdline=console=hvc0 quiet"
           % (LINUX, LINUX)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in p.stderr:
            m = re.match(r"hvrun: tcp 127\.0\.0\.1:(\d+) -> guest port 23$", line.strip())
            if m:
                port = int(m.group(1))
                break
        if not port:
            raise SystemExit("bench_net: hvrun printed no port")
        c = Console(port)
        c.until(b"password: ")
        c.send(b"bench\r\n")
        c.until(b"mica: logged in.")
        c.until(PROMPT, 900)
        result = {}
        if measure_keys:
            for ch in b"echo the quick brown fox jumps over it"[:KEYS]:
                c.send(bytes([ch]))
                c.until(bytes([ch]), 60)
            c.send(b"\x15")  # Ctrl-U: the line is dropped, not run
        c.send(b"\r")
        c.until(PROMPT)
        c.send(b"cat /proc/uptime; seq 1 %d; cat /proc/uptime\r" % SEQ_N)
        c.until(b"cat /proc/uptime\r\n")  # the echo of the command line
        first = c.until(b"\r\n")
        body = c.until(b"\r\n%d\r\n" % SEQ_N, 1200)
        last = c.until(b"\r\n")
        c.until(PROMPT)
        if b"bytes dropped]" in body:
            raise SystemExit("bench_net: output was dropped: the peer did not keep up")
        t0, t1 = float(first.split()[0]), float(last.split()[0])
        result["rate"] = seq_bytes(SEQ_N) / (t1 - t0)
        c.send(b"poweroff -f\r")
        summary = c.until(b"us at most", 600)
        m = re.search(rb"keys echoed after (\d+) us on average, (\d+) $", summary)
        if measure_keys and m:
            result["key"] = (int(m.group(1)), int(m.group(2)))
        return result
    finally:
        p.kill()
        p.wait()


def main():
    if not os.path.exists(os.path.join(LINUX, "vmlinuz")):
        print("bench_net: no Linux assets in build/linux", file=sys.stderr)
        return 3
    net = run("none", True)
    com1 = run("com1", False)
    print("key: %d %d" % net.get("key", (-1, -1)))
    print("rate-net: %d" % net["rate"])
    print("rate-com1: %d" % com1["rate"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
