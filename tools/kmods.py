"""kmods: the Linux kernel modules an initramfs needs, out of Debian's
kernel package, and the order to load them in.

Debian's linux-image package ships its modules under
lib/modules/RELEASE/kernel/ but no modules.dep: its postinst runs depmod on
the machine it is installed on.  depmod takes a module's dependencies from
the symbols it uses; modpost recorded the same list in the module's
.modinfo section when the kernel was built (`depends=libata`), beside
`softdep=` (what modprobe loads first, by module name or alias: ext4's
`pre: crypto-crc32c`, the crc32c it checksums with through the crypto API)
and `alias=`.  From those this file resolves the modules asked for to a
load order, dependencies first, the way modprobe would, without kmod.
modules.builtin says which are built into the kernel: those need no file,
and modules.builtin.modinfo gives their aliases.

Modules may be plain (.ko: Debian 12's kernels, CONFIG_MODULE_COMPRESS_NONE)
or compressed (.ko.xz, .ko.gz); busybox's insmod takes plain files only, so
compressed ones are unpacked here (Python's lzma and gzip) and shipped as
.ko.  zstd (.ko.zst) is refused: Python's library has no zstd.

Errors are debfetch.Error (one line for the user)."""

import collections
import gzip
import hashlib
import lzma
import re
import struct

from debfetch import Error, deb_files, deb_md5sums

RE_MODULE = re.compile(r"^lib/modules/([^/]+)/(kernel/.+\.ko(\.xz|\.gz|\.zst)?)$")
RE_LISTS = re.compile(r"^lib/modules/([^/]+)/(modules\.builtin(\.modinfo)?)$")

Module = collections.namedtuple("Module", "name path member depends pre post aliases")


def norm(name):
    """Module names treat - and _ alike (modprobe does)."""
    return name.replace("-", "_")


def unpack(member, data):
    """(path of the plain .ko, its bytes) for a module file as packaged."""
    if member.endswith(".ko.xz"):
        try:
            return member[:-3], lzma.decompress(data)
        except lzma.LZMAError as e:
            raise Error("%s: bad xz data: %s" % (member, e))
    if member.endswith(".ko.gz"):
        try:
            return member[:-3], gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise Error("%s: bad gzip data: %s" % (member, e))
    if member.endswith(".ko.zst"):
        raise Error("%s: zstd-compressed modules are not supported (no zstd in "
                    "Python's library)" % member)
    return member, data


def modinfo(data, what="module"):
    """{key: [values]} of an ELF64 module's .modinfo section (key=value
    strings separated by NULs)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or len(data) < 64:
        raise Error("%s: not an ELF64 file" % what)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    if shentsize < 64 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        raise Error("%s: bad section header table" % what)
    secs = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
    strtab = secs[shstrndx][4]
    for name_off, _, _, _, off, size in secs:
        end = data.find(b"\0", strtab + name_off)
        if data[strtab + name_off:end] == b".modinfo":
            if off + size > len(data):
                raise Error("%s: .modinfo outside the file" % what)
            return parse_modinfo(data[off:off + size])
    raise Error("%s: no .modinfo section" % what)


def parse_modinfo(blob, prefix=""):
    """{key: [values]} of NUL-separated key=value strings; with a prefix
    ("ext4.", as in modules.builtin.modinfo) only those that carry it."""
    info = collections.defaultdict(list)
    for item in blob.split(b"\0"):
        text = item.decode("utf-8", "replace")
        if "=" in text and text.startswith(prefix):
            k, v = text[len(prefix):].split("=", 1)
            info[k].append(v)
    return info


def softdeps(info):
    """(pre, post) names of a module's softdep= lines ("pre: a b post: c")."""
    pre, post, cur = [], [], None
    for line in info.get("softdep", []):
        for word in line.split():
            if word in ("pre:", "post:"):
                cur = pre if word == "pre:" else post
            elif cur is not None:
                cur.append(word)
    return pre, post


class Index:
    """Every module of a kernel package: scan() reads them all once."""

    def __init__(self, deb):
        self.deb = deb
        self.release = None
        self.modules = {}   # norm(name) -> Module
        self.builtin = set()  # norm(name) of the modules built into the kernel
        self.builtin_aliases = set()

    def scan(self):
        """One pass over the package (about 4 s for Debian's 70 MB one)."""
        builtin_info = b""

        def want(name):
            return RE_MODULE.match(name) or RE_LISTS.match(name)

        for name, data in deb_files(self.deb, want):
            m = RE_MODULE.match(name) or RE_LISTS.match(name)
            if self.release not in (None, m.group(1)):
                raise Error("%s: modules of two releases (%s, %s)"
                            % (self.deb, self.release, m.group(1)))
            self.release = m.group(1)
            if m.re is RE_LISTS:
                if m.group(2) == "modules.builtin":
                    for line in data.decode(errors="replace").split():
                        self.builtin.add(norm(line.rsplit("/", 1)[-1].split(".ko")[0]))
                else:
                    builtin_info = data
                continue
            path, plain = unpack(m.group(2), data)
            info = modinfo(plain, name)
            mod = norm((info.get("name") or [path.rsplit("/", 1)[-1][:-3]])[0])
            deps = [norm(d) for d in ",".join(info.get("depends", [])).split(",") if d]
            pre, post = softdeps(info)
            self.modules[mod] = Module(mod, path, name, deps, pre, post,
                                       set(info.get("alias", [])))
        if not self.modules:
            raise Error("%s holds no kernel modules" % self.deb)
        for k, v in parse_modinfo(builtin_info).items():
            if k.endswith(".alias"):
                self.builtin_aliases.update(v)
        return self

    def provider(self, want, chosen):
        """The module that a softdep's name means: a module of that name,
        else one with that alias (one already chosen, else the generic
        implementation, else the only one).  None when the kernel has it
        built in; Error when nothing provides it."""
        n = norm(want)
        if n in self.modules:
            return n
        if n in self.builtin or want in self.builtin_aliases:
            return None
        cands = sorted(k for k, m in self.modules.items() if want in m.aliases)
        picks = ([c for c in cands if c in chosen] or
                 [c for c in cands if c.endswith("_generic")] or cands)
        if len(picks) == 1 or (picks and picks[0] in chosen):
            return picks[0]
        if not picks:
            raise Error("no module of %s and nothing built in provides %s"
                        % (self.release, want))
        raise Error("%s is provided by several modules (%s): say which"
                    % (want, ", ".join(picks)))

    def resolve(self, wanted):
        """(modules to load in order, names of the wanted ones built in).
        Each module comes after its softdeps' "pre", its dependencies and
        before its "post" ones, as modprobe loads them."""
        order, state, builtin = [], {}, []

        def visit(n, why):
            if state.get(n) == "done":
                return
            if state.get(n) == "busy":
                raise Error("modules depend on each other in a circle at %s" % n)
            if n not in self.modules:
                raise Error("%s (%s) is no module of %s" % (n, why, self.release))
            state[n] = "busy"
            m = self.modules[n]
            for s in m.pre:
                p = self.provider(s, state)
                if p:
                    visit(p, "softdep of %s" % n)
            for d in m.depends:
                visit(d, "needed by %s" % n)
            state[n] = "done"
            order.append(m)
            for s in m.post:
                p = self.provider(s, state)
                if p:
                    visit(p, "softdep of %s" % n)

        for w in wanted:
            n = norm(w)
            if n in self.builtin:
                builtin.append(n)
            else:
                visit(n, "asked for")
        return order, builtin

    def extract(self, modules):
        """{path: plain bytes} of these modules, each checked against the
        package's md5sums (which cover the files as packaged)."""
        members = {m.member: m for m in modules}
        sums = deb_md5sums(self.deb)
        out = {}
        for name, data in deb_files(self.deb, lambda n: n in members):
            if hashlib.md5(data).hexdigest() != sums.get(name):
                raise Error("%s: %s does not match the package's md5sums"
                            % (self.deb, name))
            path, plain = unpack(name[len("lib/modules/%s/" % self.release):], data)
            out[path] = plain
        missing = set(m.path for m in modules) - set(out)
        if missing:
            raise Error("%s: %s vanished between two reads" % (self.deb, sorted(missing)[0]))
        return out

    def modules_dep(self, modules):
        """modules.dep for these modules, as depmod writes it: each path,
        then every module it needs (directly or not), last loaded first."""
        lines = []
        for m in modules:
            need, seen = [], set()

            def walk(n):
                for d in self.modules[n].depends:
                    if d not in seen:
                        seen.add(d)
                        walk(d)
                        need.append(self.modules[d].path)
            walk(m.name)
            lines.append("%s:%s" % (m.path, "".join(" " + p for p in reversed(need))))
        return "\n".join(lines) + "\n"
