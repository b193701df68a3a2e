#!/usr/bin/env bash
# Installs the Debian packages the build, the runner and the tests need.
# Idempotent: prints what it installs, and does nothing when all are present.
set -euo pipefail

PKGS=(
  gcc make binutils            # the hypervisor and the host unit tests
  gnu-efi                      # hv.efi, the UEFI application
  grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools   # the boot ISO
  bochs bochsbios vgabios bochs-term                           # VT-x emulator
  qemu-system-x86 ovmf                                         # boot paths, UEFI
  python3 python3-pytest                                       # runner, system tests
  libcmocka-dev                                                # unit tests
  lz4 zstd                                                     # bzImage payloads (tools/bzimage.py)
  console-setup-linux                                          # the screen console's 8x16 font (tools/psf2c.py)
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
