"""System tests: run tools/hvrun and look at what the hypervisor printed.

Fixtures
  hvrun      call(*args, timeout=None) -> Run(status, serial, stderr): runs
             tools/hvrun with the arguments (plus --hv HV_ELF unless --hv is
             given), never caches.
  boot       like hvrun, but identical argument lists share one emulator run
             per session (several tests read the same boot).
  hv_elf     the hypervisor image: $MICA_HV, else build/hv.elf.
  guest_files  tiny ELF kernels and an initrd with known sizes.
  linux_assets_dir, linux_dom0_assets_dir, xen_assets_dir  Debian's
             cloud kernel and busybox, its generic kernel with the dom0
             initramfs (--flavour dom0), and Debian's Xen (tools/linux-assets,
             tools/xen-assets); they skip without the registry, and fail so
             under CI=true.

Markers
  boot       the test boots an emulator (skip them all with --no-boot or
             -m "not boot"); bochs / qemu say which one.
"""

import collections
import os
import struct
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HVRUN = os.path.join(REPO, "tools", "hvrun")
PYTHON = "/usr/bin/python3"
sys.path.insert(0, os.path.join(REPO, "tools"))

Run = collections.namedtuple("Run", "status serial stderr")


def pytest_addoption(parser):
    parser.addoption("--no-boot", action="store_true",
                     help="skip the tests that boot an emulator")


def pytest_configure(config):
    config.addinivalue_line("markers", "boot: boots the hypervisor in an emulator")
    config.addinivalue_line("markers", "bochs: boots under Bochs")
    config.addinivalue_line("markers", "qemu: boots under QEMU")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--no-boot"):
        return
    skip = pytest.mark.skip(reason="--no-boot")
    for item in items:
        if "boot" in item.keywords:
            item.add_marker(skip)


def hv_path():
    return os.environ.get("MICA_HV", os.path.join(REPO, "build", "hv.elf"))


@pytest.fixture(scope="session")
def hv_elf():
    return hv_path()


def _timeout_of(args):
    """The subprocess timeout: hvrun's own --timeout plus slack."""
    t = 60
    for i, a in enumerate(args):
        if a == "--timeout" and i + 1 < len(args):
            try:
                t = int(args[i + 1])
            except ValueError:
                pass
    return t + 60


def run_hvrun(args, workdir=None, env=None):
    """Run tools/hvrun; return Run(status, serial text, stderr text)."""
    args = [str(a) for a in args]
    if "--hv" not in args and "--xen" not in args:
        args = ["--hv", hv_path()] + args
    if workdir is not None and "--workdir" not in args:
        args += ["--workdir", str(workdir)]
    p = subprocess.run([PYTHON, HVRUN] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=_timeout_of(args), env=env)
    return Run(p.returncode, p.stdout.decode("utf-8", "replace"),
               p.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="session")
def hvrun(tmp_path_factory):
    def call(*args, env=None, workdir=True):
        wd = tmp_path_factory.mktemp("hvrun") if workdir else None
        return run_hvrun(args, wd, env)
    return call


@pytest.fixture(scope="session")
def boot(tmp_path_factory):
    """Boot once per distinct argument list; later calls get the same Run."""
    cache = {}

    def call(*args):
        key = tuple(str(a) for a in args)
        if key not in cache:
            cache[key] = run_hvrun(key, tmp_path_factory.mktemp("boot"))
        return cache[key]
    return call


def make_elf(path, size, tag=b"mica test kernel"):
    """A minimal ELF64 x86-64 executable of exactly `size` bytes.

    One PT_LOAD segment at 1 MiB whose code is `hlt; jmp .-1`; the rest is
    padding so tests can pick distinctive sizes."""
    ehdr_size, phdr_size = 64, 56
    code = b"\xf4\xeb\xfd" + tag
    assert size >= ehdr_size + phdr_size + len(code)
    entry = 0x100000 + ehdr_size + phdr_size
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       2, 0x3E, 1, entry, ehdr_size, 0, 0,
                       ehdr_size, phdr_size, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x100000, 0x100000, size, size,
                       0x1000)
    body = ehdr + phdr + code
    body += bytes((i * 7 + 3) & 0xFF for i in range(size - len(body)))
    with open(path, "wb") as f:
        f.write(body)
    return str(path)


GuestFiles = collections.namedtuple("GuestFiles", "kernel kernel2 initrd notelf")


@pytest.fixture(scope="session")
def guest_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("guests")
    initrd = d / "initrd.img"
    initrd.write_bytes(bytes((i * 13) & 0xFF for i in range(12345)))
    notelf = d / "notelf.bin"
    notelf.write_bytes(b"MZ not an ELF file" + bytes(100))
    return GuestFiles(make_elf(d / "dom0.elf", 4321),
                      make_elf(d / "domu.elf", 777, b"another"),
                      str(initrd), str(notelf))


LINUX_ASSETS_DIR = os.environ.get("MICA_LINUX_ASSETS", os.path.join(REPO, "build", "linux"))
LINUX_DOM0_ASSETS_DIR = os.environ.get("MICA_LINUX_DOM0_ASSETS",
                                       os.path.join(REPO, "build", "linux-dom0"))
XEN_ASSETS_DIR = os.environ.get("MICA_XEN_ASSETS", os.path.join(REPO, "build", "xen"))
XL_ASSETS_DIR = os.environ.get("MICA_XL_ASSETS", os.path.join(REPO, "build", "linux-xl"))


def fetch_assets(tool, d, need, options=()):
    """tools/<tool> (linux-assets, xen-assets) run with --dir d and the
    options given, downloading
    what is missing (running apt-get update itself when apt has no index,
    as root).  Skips, saying why, when the registry is out of reach and
    nothing is cached; in CI (CI=true) that is a failure instead, so that a
    green CI means `need` really happened."""
    args = [PYTHON, os.path.join(REPO, "tools", tool), "--dir", d] + list(options)
    if os.geteuid() == 0:
        args.append("--apt-update")
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=600)
    if p.returncode == 3:
        why = "Debian's package registry is out of reach: %s" % p.stderr.strip()
        if os.environ.get("CI") == "true":
            pytest.fail(why + " (CI=true: %s)" % need)
        pytest.skip(why)
    assert p.returncode == 0, p.stdout + p.stderr
    return d


@pytest.fixture(scope="session")
def linux_assets_dir():
    """tools/linux-assets run once: Debian's kernel and the busybox
    initramfs in LINUX_ASSETS_DIR (see fetch_assets)."""
    return fetch_assets("linux-assets", LINUX_ASSETS_DIR, "the Linux guests must boot")


@pytest.fixture(scope="session")
def linux_dom0_assets_dir():
    """tools/linux-assets --flavour dom0 run once: Debian's generic kernel
    and the dom0 initramfs with its modules in LINUX_DOM0_ASSETS_DIR."""
    return fetch_assets("linux-assets", LINUX_DOM0_ASSETS_DIR,
                        "Linux must boot as the machine's owner", ["--flavour", "dom0"])


@pytest.fixture(scope="session")
def xl_assets_dir():
    """tools/xl-assets run once: the dom0 initramfs with Debian's Xen
    tools and a guest for them in XL_ASSETS_DIR (the kernel is
    LINUX_DOM0_ASSETS_DIR's)."""
    return fetch_assets("xl-assets", XL_ASSETS_DIR, "Debian's xl must run on mica",
                        ["--dom0-dir", LINUX_DOM0_ASSETS_DIR, "--guest-dir", LINUX_ASSETS_DIR])


@pytest.fixture(scope="session")
def xen_assets_dir():
    """tools/xen-assets run once: Debian's Xen 4.17 in XEN_ASSETS_DIR
    (xen.gz; see fetch_assets)."""
    return fetch_assets("xen-assets", XEN_ASSETS_DIR, "the guests must boot under Xen")
