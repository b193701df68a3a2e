"""debfetch: Debian packages for the project's tools, through apt.

Shared by tools/linux-assets (Debian's kernels and busybox) and
tools/xen-assets (Xen, the reference hypervisor of make bench): apt's
record of a package (apt-cache show), `apt-get download` of it into a
cache directory, checked against apt's size and SHA256 and dpkg-deb's
control fields, files taken out of it (checked against the package's
md5sums by the caller), and assets.json, which says what was made from
what so that nothing is made twice.

Errors: Error (one line for the user), Unreachable (Debian's registry is
out of reach: the tools exit 3 on it, and tests skip or, in CI, fail),
Stale (apt's index names a version the registry no longer has)."""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

# apt-get's words for "the network is not there".
NETWORK_ERRORS = re.compile(r"Temporary failure resolving|Could not resolve|"
                            r"Unable to connect|Network is unreachable|"
                            r"Connection timed out|Connection refused|"
                            r"No route to host")


class Error(Exception):
    """Exit 1 with one line."""


class Unreachable(Error):
    """Exit 3: the registry is out of reach and nothing is cached."""


class Stale(Error):
    """The registry no longer has what apt's index names (404)."""




def run(cmd, what, **kw):
    """Run a command; its output, or Error with the last line it printed."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, **kw)
    except FileNotFoundError:
        raise Error("%s: %s is not installed (run tools/deps.sh)" % (what, cmd[0]))
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        raise Error("%s failed: %s" % (what, err[-1] if err else "exit %d" % p.returncode))
    return p.stdout.decode(errors="replace")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ apt
def apt_index_present():
    """True when apt has any package list (apt-get update has run)."""
    p = subprocess.run(["apt-config", "shell", "L", "Dir::State::lists/d"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    m = re.match(r"^L='(.*)'$", p.stdout.decode(errors="replace").strip())
    lists = m.group(1) if m else "/var/lib/apt/lists"
    try:
        return any("_Packages" in n for n in os.listdir(lists))
    except OSError:
        return False


def apt_records(pkgs):
    """apt's records of the candidate versions of pkgs, in one apt-cache
    call (each costs about a second here): {name: dict with Package,
    Version, Architecture, Size, SHA256 and Depends if any}; the packages
    apt does not know are missing."""
    p = subprocess.run(["apt-cache", "show", "--no-all-versions"] + list(pkgs),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    recs, rec = {}, {}
    for line in p.stdout.decode(errors="replace").splitlines() + [""]:
        m = re.match(r"^([A-Za-z0-9-]+): ?(.*)$", line)
        if m:
            rec[m.group(1)] = m.group(2)
        elif not line.strip() and rec:
            need = ("Package", "Version", "Architecture", "Size", "SHA256")
            if all(k in rec for k in need) and rec["Package"] in pkgs:
                rec["Size"] = int(rec["Size"])
                recs.setdefault(rec["Package"], rec)
            rec = {}
    return recs



def apt_update(say=lambda msg: None):
    """apt-get update (root, or sudo without a password); say(msg) tells
    what runs."""
    cmd = ["apt-get", "update", "-q"]
    if os.geteuid() != 0:
        cmd = ["sudo", "-n"] + cmd
    say("running %s" % " ".join(cmd))
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    last = [l for l in out.splitlines() if l.startswith(("E:", "W:", "Err"))]
    if NETWORK_ERRORS.search(out):
        raise Unreachable("apt-get update could not reach Debian's registry: %s"
                          % (last[-1] if last else "no detail"))
    if p.returncode != 0:
        raise Error("apt-get update failed: %s"
                    % (last[-1] if last else "exit %d" % p.returncode))




def deb_name(rec):
    """The file name apt-get download gives a package (':' is %3a)."""
    return "%s_%s_%s.deb" % (rec["Package"], rec["Version"].replace(":", "%3a"),
                             rec["Architecture"])


def deb_matches(path, size, sha256):
    return (os.path.isfile(path) and os.path.getsize(path) == size
            and sha256_file(path) == sha256)


def fetch_deb(debs, rec):
    """debs/<deb> for apt's record: kept when its size and SHA256 match the
    index, else downloaded afresh and checked.  Returns (path, how)."""
    path = os.path.join(debs, deb_name(rec))
    if deb_matches(path, rec["Size"], rec["SHA256"]):
        return path, "cached"
    tmp = tempfile.mkdtemp(prefix=".download-", dir=debs)
    try:
        cmd = ["apt-get", "download", "-q", "%s=%s" % (rec["Package"], rec["Version"])]
        if os.geteuid() == 0:
            # apt's _apt user cannot write into root's directories; without
            # this apt says so in a warning and downloads as root anyway.
            cmd[1:1] = ["-o", "APT::Sandbox::User=root"]
        p = subprocess.run(cmd, cwd=tmp, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        got = [n for n in os.listdir(tmp) if n.endswith(".deb")]
        if p.returncode != 0 or len(got) != 1:
            errs = [l for l in out.splitlines() if l.startswith(("E:", "Err"))]
            detail = errs[-1] if errs else out.strip().splitlines()[-1:] or ["?"]
            detail = detail if isinstance(detail, str) else detail[0]
            if re.search(r"\b404\b", out):
                raise Stale("apt's index is out of date (%s %s is gone from the "
                            "registry: %s): run `apt-get update` as root (or pass "
                            "--apt-update)" % (rec["Package"], rec["Version"], detail))
            if NETWORK_ERRORS.search(out):
                raise Unreachable("cannot download %s %s from Debian's registry: %s"
                                  % (rec["Package"], rec["Version"], detail))
            raise Error("apt-get download %s=%s failed: %s"
                        % (rec["Package"], rec["Version"], detail))
        new = os.path.join(tmp, got[0])
        if not deb_matches(new, rec["Size"], rec["SHA256"]):
            raise Error("%s: size or SHA256 differs from apt's index (%d bytes, %s)"
                        % (got[0], rec["Size"], rec["SHA256"]))
        check_deb(new, rec["Package"], rec["Version"])
        os.replace(new, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # Older versions of the same package are of no further use.
    for n in os.listdir(debs):
        if n.startswith(rec["Package"] + "_") and n.endswith(".deb") \
                and n != os.path.basename(path):
            os.unlink(os.path.join(debs, n))
    return path, "downloaded, %d bytes" % rec["Size"]


def check_deb(path, package, version):
    """dpkg-deb reads the package's control: it must be what we asked for."""
    out = run(["dpkg-deb", "-f", path, "Package", "Version"], "dpkg-deb -f %s" % path)
    fields = dict(l.split(": ", 1) for l in out.strip().splitlines() if ": " in l)
    if fields.get("Package") != package or fields.get("Version") != version:
        raise Error("%s holds %s %s, not %s %s" % (path, fields.get("Package"),
                                                   fields.get("Version"), package,
                                                   version))


def deb_md5sums(path):
    """{file: md5} from the package's md5sums (paths without the leading /)."""
    out = run(["dpkg-deb", "--info", path, "md5sums"], "dpkg-deb --info %s" % path)
    sums = {}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            sums[parts[1].strip()] = parts[0]
    return sums


def deb_files(deb, want):
    """(name, bytes) of each regular file in the package's data for which
    want(name) is true, in the archive's order (names without the leading
    ./).  dpkg-deb --fsys-tarfile streams the archive, so only the files
    wanted are held in memory (the kernel package unpacks to ~400 MB).
    A generator: closing it early stops dpkg-deb."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for m in tar:
                name = m.name[2:] if m.name.startswith("./") else m.name
                if m.isfile() and want(name):
                    yield name, tar.extractfile(m).read()
    except tarfile.TarError as e:
        raise Error("%s: cannot read its data: %s" % (deb, e))
    finally:
        p.stdout.close()
        p.kill()
        p.wait()
        p.stderr.close()


def extract_member(deb, pattern):
    """(name, bytes) of the one file in the package's data whose path matches
    pattern; only that file is kept."""
    files = deb_files(deb, lambda name: re.match(pattern, name))
    try:
        for found in files:
            return found
    finally:
        files.close()
    raise Error("%s holds no file matching %s" % (deb, pattern))


# ------------------------------------------------------------ manifest
MANIFEST_VERSION = 1


class Manifest:
    """assets.json: for each output, its SHA256 and the inputs it came from."""

    def __init__(self, path):
        self.path = path
        self.data = {"version": MANIFEST_VERSION, "outputs": {}}
        try:
            with open(path) as f:
                d = json.load(f)
            if d.get("version") == MANIFEST_VERSION:
                self.data = d
        except (OSError, ValueError):
            pass

    def fresh(self, out, inputs):
        """True when out exists as recorded and was made from these inputs."""
        rec = self.data["outputs"].get(os.path.basename(out))
        return (rec is not None and rec.get("inputs") == inputs
                and os.path.isfile(out) and os.path.getsize(out) == rec.get("size")
                and sha256_file(out) == rec.get("sha256"))

    def record(self, out, inputs, **extra):
        self.data["outputs"][os.path.basename(out)] = dict(
            inputs=inputs, size=os.path.getsize(out), sha256=sha256_file(out), **extra)

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)


def write_atomic(path, data, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ------------------------------------------------------------- outputs


def cached_records(man, debs):
    """apt-like records of the packages assets.json vouches for, if their
    .debs are still here and whole; else None."""
    pk = man.data.get("packages")
    if not pk:
        return None
    for rec in pk.values():
        if not deb_matches(os.path.join(debs, deb_name(rec)), rec["Size"], rec["SHA256"]):
            return None
    return pk


_held = []  # the lock files taken: the locks go with the process


def lock_dir(d, say=lambda msg: None):
    """One tool at a time in directory d (make check and make bench may
    both run one): waits for the lock on d/.lock and holds it until the
    process ends."""
    lock = open(os.path.join(d, ".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        say("waiting for another tool working in %s" % d)
        fcntl.flock(lock, fcntl.LOCK_EX)
    _held.append(lock)
