"""Parsers for the lines the hypervisor prints on its serial console.

The formats here are the contract between mica and its system tests."""

import re

MiB = 1 << 20

# mem: 0x<16 hex start>-0x<16 hex end, exclusive> <TYPE>
RE_MEM = re.compile(r"^mem: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) (RAM|reserved|ACPI|NVS|bad)$")
# module N: 0x<16 hex>-0x<16 hex> (<size> bytes) "<decoded module string>"
RE_MODULE = re.compile(r'^module (\d+): 0x([0-9a-f]{16})-0x([0-9a-f]{16}) '
                       r'\((\d+) bytes\) "(.*)"$')
# time: TSC <N> kHz, LAPIC timer <M> kHz (calibrated against the PIT)
RE_TIME = re.compile(r"^time: TSC (\d+) kHz, LAPIC timer (\d+) kHz "
                     r"\(calibrated against the PIT\)$")
RE_READY_COST = re.compile(r"^mica: ready \(boot took (\d+) TSC ticks\)$")
RE_EXCEPTION = re.compile(r"^\*\*\* CPU EXCEPTION vector (\d+) \(#([A-Z]+)\)")
RE_RIP = re.compile(r"^RIP: 0x([0-9a-f]+) <([A-Za-z_][A-Za-z0-9_.]*)\+0x([0-9a-f]+)>")
RE_FRAME = re.compile(r"^\s*(#\d+\s+)?0x[0-9a-f]+\b")


# The console may start each line with a timestamp in one of the
# console_timestamps formats: "[    0.016908] " (boot, the default),
# "[2024-05-01 12:00:00] " (date), "[2024-05-01 12:00:00.123] " (datems),
# "[000000001a2b3c4d] " (raw).  The focused guest's raw output has none
# (console_focus=raw; hvrun asks for prefixed lines unless on a terminal).
RE_STAMP = re.compile(r"^\[(\s*\d+\.\d+|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?|[0-9a-f]{16})\] ?")


def lines(serial):
    """Serial lines without trailing blanks and without a timestamp prefix."""
    return [RE_STAMP.sub("", l.rstrip(), count=1) for l in serial.splitlines()]


def banner(serial):
    return [l for l in lines(serial) if "mica " in l and "Xen PV ABI" in l]


def has_line(serial, prefix):
    return any(l.startswith(prefix) for l in lines(serial))


def guest(serial, dom, pattern):
    """The groups of the first "(<dom>) <pattern>" line, or None."""
    for l in lines(serial):
        m = re.match(r"\(%s\) %s" % (dom, pattern), l)
        if m:
            return m.groups()
    return None


def guest_lines(serial, dom):
    """What domain dom printed, line by line, without its "(<dom>) "."""
    prefix = "(%s) " % dom
    return [l[len(prefix):] for l in lines(serial) if l.startswith(prefix)]


def exit_reason(serial, dom):
    """The reason in "mica: <dom> exit: <reason> ...", or None."""
    for l in lines(serial):
        m = re.match(r"mica: %s exit: (\S+) " % dom, l)
        if m:
            return m.group(1)
    return None


def mem_regions(serial):
    """[(start, end, type)] in printed order."""
    out = []
    for l in lines(serial):
        m = RE_MEM.match(l)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return out


def modules(serial):
    """[(index, start, end, size, string)] in printed order."""
    out = []
    for l in lines(serial):
        m = RE_MODULE.match(l)
        if m:
            out.append((int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16),
                        int(m.group(4)), m.group(5)))
    return out


def timer(serial):
    """(tsc_khz, lapic_khz) or None."""
    for l in lines(serial):
        m = RE_TIME.match(l)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def boot_cost(serial):
    for l in lines(serial):
        m = RE_READY_COST.match(l)
        if m:
            return int(m.group(1))
    return None


def describe(run):
    """Text for assertion messages: status, stderr and the serial tail."""
    tail = "\n".join(lines(run.serial)[-40:])
    return "status %d, stderr %r\n--- serial (tail) ---\n%s" % (
        run.status, run.stderr.strip(), tail)
