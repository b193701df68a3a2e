#!/usr/bin/env bash
# Installs the Debian packages the build, the runner and the tests need.
# Idempotent: prints what it installs, and does nothing when all are present.
set -euo pipefail

PKGS=(
  gcc make binutils            # the hypervisor and the host unit tests
  gdb                          # make debug (and its test)
  clang-format                 # make check: the sources follow .clang-format
  gnu-efi                      # hv.efi, the UEFI application
  grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools   # the boot ISO
  bochs bochsbios vgabios bochs-term                           # VT-x emulator
  qemu-system-x86 ovmf                                         # boot paths, UEFI
  python3 python3-pytest                                       # runner, system tests
  libcmocka-dev                                                # unit tests
  lz4 zstd                                                     # bzImage payloads (tools/bzimage.py)
  console-setup-linux                                          # the screen console's 8x16 font (tools/psf2c.py)
  inetutils-telnet socat                                       # real clients of the network console (tests)
)

cd "$(dirname "$0")/.."

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  echo "deps: done" >&2
fi

# lwIP 2.1.3, the network console's TCP/IP stack, from Debian's *source*
# package (the binary liblwip-dev is built for Linux user space).  apt runs
# with a state directory of its own under build/deps/apt holding one
# deb-src entry, so the machine's apt configuration is left alone and no
# root is needed.  apt checks the Sources index against Debian's archive
# key and the tarball against the index; the SHA-256 below pins the exact
# upstream tarball on top.  Only the upstream (.orig) tarball is used:
# Debian's patches concern the sockets API, PPP and the Unix port, none of
# which mica builds.  Unpacked to build/lwip-2.1.3; never committed.
LWIP_VERSION=2.1.3
LWIP_ORIG=lwip_2.1.3+dfsg1.orig.tar.xz
LWIP_SHA256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
LWIP_DIR=build/lwip-$LWIP_VERSION
DEPS=build/deps

lwip_fetch() {
  local apt="$DEPS/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  cat > "$apt/mica-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local opts=(-o "Dir::Etc::SourceList=$PWD/$apt/mica-src.sources" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$PWD/$apt/lists" -o "Dir::Cache=$PWD/$apt/cache"
              -o "APT::Sandbox::User=root" -q)
  echo "deps: fetching lwIP $LWIP_VERSION from Debian's source package (apt-get source lwip)" >&2
  apt-get "${opts[@]}" update >&2 &&
    (cd "$DEPS" && apt-get "${opts[@]}" source --download-only "lwip=$LWIP_VERSION+dfsg1-2" >&2 ||
     apt-get "${opts[@]}" source --download-only lwip >&2)
}

if [ ! -f "$LWIP_DIR/.unpacked" ]; then
  mkdir -p "$DEPS"
  [ -f "$DEPS/$LWIP_ORIG" ] || lwip_fetch || {
    echo "deps: error: could not fetch Debian's lwip source package (is deb.debian.org reachable?)" >&2
    exit 1; }
  if ! echo "$LWIP_SHA256  $DEPS/$LWIP_ORIG" | sha256sum -c --quiet - >&2; then
    echo "deps: error: $DEPS/$LWIP_ORIG does not have the expected SHA-256; removed" >&2
    rm -f "$DEPS/$LWIP_ORIG"
    exit 1
  fi
  rm -rf "$LWIP_DIR"
  tar -C build -xJf "$DEPS/$LWIP_ORIG"
  [ -f "$LWIP_DIR/src/core/tcp.c" ] || { echo "deps: error: $LWIP_ORIG holds no src/core/tcp.c" >&2; exit 1; }
  touch "$LWIP_DIR/.unpacked"
  echo "deps: lwIP $LWIP_VERSION unpacked in $LWIP_DIR" >&2
fi
