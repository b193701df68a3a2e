"""hvrun's boot medium: module strings, GRUB quoting, grub.cfg and the ISO.

How a string travels from hvrun to the hypervisor
-------------------------------------------------
1. hvrun writes each *word* of a `multiboot2` / `module2` line into grub.cfg,
   single-quoted when it holds anything but [A-Za-z0-9_./=:,+-], so GRUB's
   script lexer ($ expansion, ; \\ ' " # and friends) leaves it untouched.
2. GRUB 2.06 (grub_create_loader_cmdline) joins the words with one space and
   *re-encodes* them: it puts a backslash before every \\ ' and ", and wraps a
   word that contains a space in double quotes.  So the word  a"b c  reaches
   the kernel as  "a\\"b c"  .  This is measured, not guessed (see
   test/system/test_runner_args.py and the module boot test).
3. The hypervisor therefore splits both its command line and each module
   string with one tokenizer, `decode_words()` below: words are separated by
   spaces (only ' '); inside a word a backslash takes the next character
   literally and an unescaped double quote is dropped (it only groups).

A hand-written grub.cfg on real hardware goes through the same steps 2 and 3,
so `module2 /boot/vmlinuz dom0 kernel mem=512 -- console=hvc0 root=/dev/xvda`
means what it says.

The module string (after decoding) is
    <domain> <kind> [key=value ...] [-- <guest command line>]
<domain> is dom0 or domu1, domu2, ...; <kind> is kernel or initrd; keys are
mem=MIB and vcpus=N (kernel modules only); the guest command line is the
decoded words after the first `--` joined with one space.  hvrun emits the
guest command line as separate words when it is single-space separated, and
as one word otherwise (leading/trailing/double spaces), so the hypervisor
rebuilds exactly the user's text either way.
"""

import os
import re
import shutil
import subprocess

# Files inside the ISO.
HV_PATH = "/boot/hv.elf"

_SAFE_WORD = re.compile(r"^[A-Za-z0-9_./=:,+-]+$")


def grub_quote(word):
    """One grub.cfg word that GRUB's lexer turns back into `word` exactly."""
    if _SAFE_WORD.match(word):
        return word
    # Inside '...' GRUB takes everything literally; a ' closes, so splice an
    # escaped one in between two quoted runs.
    return "'" + word.replace("'", "'\\''") + "'"


def grub_encode(words):
    """The string GRUB 2.06 hands to the kernel for these (lexed) words."""
    out = []
    for w in words:
        # An empty word leaves nothing but its separator.
        e = re.sub(r'([\\\'"])', r"\\\1", w)
        out.append('"' + e + '"' if " " in w else e)
    return " ".join(out)


def decode_words(s):
    """Reference for the hypervisor's tokenizer: GRUB-encoded string -> words."""
    words, cur, inq, have, i = [], [], False, False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i + 1])
            have = True
            i += 2
            continue
        if c == '"':
            inq = not inq
            have = True
        elif c == " " and not inq:
            if have:
                words.append("".join(cur))
            cur, have = [], False
        else:
            cur.append(c)
            have = True
        i += 1
    if have:
        words.append("".join(cur))
    return words


def decode_module_string(s):
    """Canonical text of a GRUB-encoded module string (what mica prints)."""
    words = decode_words(s)
    if "--" in words:
        i = words.index("--")
        head = " ".join(words[:i])
        return head + " -- " + " ".join(words[i + 1:])
    return " ".join(words)


def cmdline_words(text):
    """Words for a guest command line so the decoded join equals `text`."""
    if text == "":
        return []
    parts = text.split(" ")
    if all(parts):
        return parts
    return [text]


def hv_cmdline_words(text):
    """Words of the hypervisor command line: whitespace separated options."""
    return text.split()


def module_words(domain, kind, mem=None, vcpus=None, cmdline=None,
                 weight=None, cap=None, devices=None):
    """Words of one module2 string, e.g. dom0 kernel mem=128 -- console=hvc0."""
    words = [domain, kind]
    if devices is not None:
        words.append("devices=%s" % devices)
    if mem is not None:
        words.append("mem=%d" % mem)
    if vcpus is not None:
        words.append("vcpus=%d" % vcpus)
    if weight is not None:
        words.append("weight=%d" % weight)
    if cap is not None:
        words.append("cap=%d" % cap)
    if cmdline:
        words += ["--"] + cmdline_words(cmdline)
    return words


def module_string(domain, kind, mem=None, vcpus=None, cmdline=None):
    """The decoded module string the hypervisor should print for a module."""
    s = " ".join([domain, kind] +
                 (["mem=%d" % mem] if mem is not None else []) +
                 (["vcpus=%d" % vcpus] if vcpus is not None else []))
    if cmdline:
        s += " -- " + cmdline
    return s


def _cfg_head(tool):
    """The lines every generated grub.cfg starts with: GRUB on the serial
    line only, no menu delay."""
    return [
        "# generated by tools/%s" % tool,
        "serial --unit=0 --speed=115200",
        "terminal_input serial",
        "terminal_output serial",
        "set timeout=0",
    ]


def grub_cfg(hv_words, modules, hv_path=HV_PATH, after_modules=(), title="mica"):
    """grub.cfg text.  modules: list of (iso_path, words).  hv_path is the
    hypervisor's place in the ISO (mica's by default; hvrun --xen boots
    Xen's), after_modules are lines after the module2 lines (Xen's
    `set gfxpayload=text`: before them GRUB overrides it), title the menu
    entry's.

    Under UEFI GRUB hands a multiboot2 kernel a framebuffer only when a
    video driver is loaded (there is no text mode to fall back on), so the
    GOP driver is loaded there for the hypervisor's screen console.  GRUB
    still prints "WARNING: no console will be available to OS" (the
    hypervisor has no framebuffer header tag: with one GRUB would switch
    modes under BIOS too), and passes the framebuffer tag all the same.  Under
    BIOS nothing is loaded: GRUB stays in text mode and passes EGA text."""
    lines = _cfg_head("hvrun") + [
        'if [ "$grub_platform" = "efi" ]; then insmod efi_gop; fi',
        'menuentry "%s" {' % title,
        "    multiboot2 " + " ".join([hv_path] + [grub_quote(w) for w in hv_words]),
    ]
    for path, words in modules:
        lines.append("    module2 " + " ".join([path] + [grub_quote(w) for w in words]))
    lines += ["    " + line for line in after_modules]
    lines.append("}")
    return "\n".join(lines) + "\n"


def grub_cfg_linux(kernel, cmdline, initrd=None, tool="linuxrun"):
    """grub.cfg text booting a Linux bzImage natively, without the
    hypervisor: `linux` (the 32-bit boot protocol) and `initrd`.  GRUB
    hands the kernel its words joined by spaces (re-encoded as in
    grub_encode(), which plain words such as console=ttyS0 survive)."""
    lines = _cfg_head(tool) + [
        'menuentry "linux" {',
        "    linux " + " ".join([kernel] + [grub_quote(w) for w in cmdline.split()]),
    ]
    if initrd:
        lines.append("    initrd " + initrd)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _place(src, dst):
    """Put src at dst: a hard link when possible (big kernels), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def build_iso(workdir, hv, files, cfg_text):
    """Build workdir/hv.iso.  files: list of (host_path, iso_path); hv is
    placed at HV_PATH, unless it is None (a native Linux boot).

    Returns the ISO path; raises RuntimeError with grub-mkrescue's output on
    failure."""
    root = os.path.join(workdir, "iso")
    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(os.path.join(root, "boot", "grub"))
    if hv is not None:
        _place(hv, root + HV_PATH)
    for src, dst in files:
        _place(src, root + dst)
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(cfg_text)
    iso = os.path.join(workdir, "hv.iso")
    # No locales, fonts or themes: a serial-only menu needs none of them and
    # the ISO shrinks and builds faster.
    r = subprocess.run(
        ["grub-mkrescue", "--locales=", "--fonts=", "--themes=", "-o", iso, root],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0 or not os.path.exists(iso):
        raise RuntimeError(r.stdout.decode(errors="replace").strip())
    return iso
