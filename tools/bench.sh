#!/usr/bin/env bash
# `make bench`: deterministic figures under Bochs (clock: sync=none, so the
# TSC counts emulated instructions).  Prints a Markdown table for README.md.
# `tools/bench.sh dom0` runs only the rows of Linux as dom0 with the
# machine's devices (about 6 minutes), `tools/bench.sh xl` only those of
# Debian's xl creating a guest under mica and under Xen (about 10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Run an asset tool (tools/xen-assets, tools/linux-assets) quietly, with
# an apt update when we may, and any further arguments; its output in
# $out, its status in $rc (3: Debian's package registry is out of reach).
fetch_assets() {
  local args=(--quiet)
  [ "$(id -u)" -eq 0 ] && args+=(--apt-update)
  set +e
  "$1" "${args[@]}" "${@:2}" >"$out" 2>&1
  rc=$?
  set -e
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%+.1f%%", (a - b) * 100 / b; else print "?" }'; }
table_head() {
  echo "| what | figure | aim | Xen 4.17 | mica / Xen |"
  echo "| --- | --- | --- | --- | --- |"
}
# Xen's cell and ours / Xen's: "FIG | RATIO", or the reason and an empty cell.
xen_cells() {
  if [[ "$2" =~ ^[0-9.]+$ && "$1" =~ ^[0-9.]+$ ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%s | %.2f", b, a / b }'
  else
    printf '%s | ' "${2:-no figure: ?}"
  fi
}

# ---- Linux as dom0 owning the machine's devices (issue 17) ----------------
# tools/bench_dom0.py boots Debian's generic kernel and the dom0 initramfs
# (tools/linux-assets --flavour dom0) once natively and once as mica's PVH
# dom0 with devices=host, on the same machine (an e1000, an ext4 disk on
# the second IDE channel, Linux given 512 MiB; natively tsc_early_khz
# tells it the TSC's rate, which under mica the Xen clock does), and takes
# three figures from each boot: TSC ticks to /init's shell with the modules
# loaded and their devices probed (natively from vmlinux's entry, under
# mica from dom0's first instruction), the ticks of a 32 MiB dd of the raw
# disk, and the disk's interrupts during it, per emulated second.
dom0_boot="?" dom0_dd="?" dom0_irqs="?"
dom0_run() { # $1: native or mica; its dom0-bench: lines stay in $out
  if ! tools/bench_dom0.py "$1" >"$out" 2>&1 || ! grep -q '^dom0-bench: irqs-per-s ' "$out"; then
    tail -n 20 "$out" >&2
    echo "bench: the dom0 run ($1) failed" >&2
    exit 1
  fi
}
dom0_figure() { sed -n "s/^dom0-bench: $1 \([0-9.]*\)$/\1/p" "$out"; }
dom0_bench() {
  fetch_assets tools/linux-assets --flavour dom0
  if [ "$rc" -eq 3 ]; then
    cat "$out" >&2
    dom0_boot="no figure: Debian's package registry is out of reach"
    dom0_dd=$dom0_boot dom0_irqs=$dom0_boot
    return
  elif [ "$rc" -ne 0 ]; then
    cat "$out" >&2
    echo "bench: tools/linux-assets --flavour dom0 failed" >&2
    exit 1
  fi
  local nb nd ni nr ns mb md mi mr ms
  dom0_run native
  nb=$(dom0_figure boot) nd=$(dom0_figure dd) ni=$(dom0_figure dd-irqs) nr=$(dom0_figure irqs-per-s)
  ns=$(awk -v t="$nd" -v ips="$(dom0_figure ips)" 'BEGIN { printf "%.3f", t / ips }')
  dom0_run mica
  mb=$(dom0_figure boot) md=$(dom0_figure dd) mi=$(dom0_figure dd-irqs) mr=$(dom0_figure irqs-per-s)
  ms=$(awk -v t="$md" -v ips="$(dom0_figure ips)" 'BEGIN { printf "%.3f", t / ips }')
  dom0_boot=$(awk -v m="$mb" -v n="$nb" \
    'BEGIN { printf "%s (native %s; mica / native %.3f)", m, n, m / n }')
  dom0_dd=$(awk -v m="$md" -v n="$nd" \
    'BEGIN { printf "%s (native %s; throughput, native ticks / mica ticks, %.3f)", m, n, n / m }')
  dom0_irqs=$(awk -v m="$mr" -v n="$nr" -v mx="$mi in $ms s" -v nx="$ni in $ns s" \
    'BEGIN { printf "%s (%s; native %s, %s; mica / native %.3f)", m, mx, n, nx, m / n }')
}
dom0_rows() {
  echo "| Linux dom0 boot to /init with its devices: under mica dom0's first instruction to /init's \`linux-boot-tsc\` after loading the modules for the IDE disk, ext4 and the e1000 (devices probed), natively vmlinux's entry to the same (Debian's generic kernel, same initramfs, Bochs 1 CPU, e1000 and IDE disk, Linux given 512 MiB and natively told the TSC's rate, tsc_early_khz; TSC ticks) | $dom0_boot | mica / native <= 1.05 | | |"
  echo "| dom0 sequential read of 32 MiB from the IDE disk: \`dd if=/dev/sda of=/dev/null bs=1M count=32\`, cold, same boot (TSC ticks) | $dom0_dd | >= 0.9 of native | | |"
  echo "| disk interrupts per second in dom0: the ata_piix line's interrupts during that dd / its emulated seconds (ticks / ips) | $dom0_irqs | | | |"
}
# ---- Debian's xl creating a guest, under mica and under Xen (issue 18) ----
# tools/bench_xl.py boots the xl dom0 (tools/xl-assets: the dom0 kernel and
# initramfs with Debian's Xen 4.17 tools) once under mica and once under
# Xen 4.17 in the same Bochs machine (1 CPU, 2048 MiB, dom0 768 MiB) and
# runs /bin/xl-bench on its shell: dom0's TSC before `xl create` of a PVH
# guest (the cloud kernel, 128 MiB), at its return (libxl unpauses the
# guest last: its first instruction) and when xenconsoled's log shows the
# guest's /init line.  A Xen run that fails, or Xen's package out of reach,
# leaves its reason in the Xen cell; a mica run that fails fails the bench.
xl_unpause="?" xl_init="?" xl_unpause_xen="" xl_init_xen=""
xl_run() { # $1: mica or xen; its xl-bench: lines stay in $out
  xl_fail=""
  if ! tools/bench_xl.py "$1" >"$out" 2>&1 || ! grep -q '^xl-bench: create-init ' "$out"; then
    tail -n 20 "$out" >&2
    xl_fail=$(grep '^bench_xl: ' "$out" | tail -n 1)
    return 1
  fi
}
xl_figure() { sed -n "s/^xl-bench: $1 \(.*\)$/\1/p" "$out"; }
xl_bench() {
  local why="" entry machine
  fetch_assets tools/xl-assets
  if [ "$rc" -eq 3 ]; then
    cat "$out" >&2
    xl_unpause="no figure: Debian's package registry is out of reach" xl_init=$xl_unpause
    xl_unpause_xen=$xl_unpause xl_init_xen=$xl_unpause
    return
  elif [ "$rc" -ne 0 ]; then
    cat "$out" >&2
    echo "bench: tools/xl-assets failed" >&2
    exit 1
  fi
  if ! xl_run mica; then
    echo "bench: the xl run under mica failed" >&2
    exit 1
  fi
  xl_unpause=$(xl_figure create-return) xl_init=$(xl_figure create-init)
  entry=$(xl_figure create-entry) machine=$(xl_figure machine)
  fetch_assets tools/xen-assets
  if [ "$rc" -eq 3 ]; then
    cat "$out" >&2
    why="Debian's package registry is out of reach"
  elif [ "$rc" -ne 0 ]; then
    cat "$out" >&2
    why="tools/xen-assets failed ($(tail -n 1 "$out"))"
  elif ! xl_run xen; then
    why="the xl run under Xen failed (${xl_fail:-?})"
  elif [ "$(xl_figure machine)" != "$machine" ]; then
    why="the Xen run's machine ($(xl_figure machine)) is not mica's ($machine)"
  fi
  if [ -n "$why" ]; then
    xl_unpause_xen="no figure: $why" xl_init_xen="no figure: $why"
  else
    xl_unpause_xen=$(xl_figure create-return) xl_init_xen=$(xl_figure create-init)
  fi
  xl_unpause_cell=$xl_unpause
  [ -n "$entry" ] && xl_unpause_cell="$xl_unpause (the hypervisor's first VM entry of the guest: $entry)"
}
xl_rows() {
  echo "| Debian's \`xl create\` of a PVH guest (the cloud kernel, 128 MiB, 1 vcpu) in a Linux PVH dom0 (Debian's 4.17 tools, dom0 768 MiB, Bochs 1 CPU, 2048 MiB): dom0's TSC before it to its return, which libxl gives after unpausing the guest (its first instruction; TSC ticks) | ${xl_unpause_cell:-$xl_unpause} | mica / Xen <= 0.5 | $(xen_cells "$xl_unpause" "$xl_unpause_xen") |"
  echo "| the same to the guest's init: its /init's first line (\`mica-init: \`) in xenconsoled's log of its console (TSC ticks) | $xl_init | mica / Xen <= 0.5 | $(xen_cells "$xl_init" "$xl_init_xen") |"
}
case "${1:-}" in
  "") ;;
  dom0)
    dom0_bench
    table_head
    dom0_rows
    exit 0
    ;;
  xl)
    xl_bench
    table_head
    xl_rows
    exit 0
    ;;
  *)
    echo "usage: tools/bench.sh [dom0|xl]" >&2
    exit 2
    ;;
esac
if ! tools/hvrun --emulator bochs --ips 100000000 --timeout 120 >"$out" 2>&1; then
  cat "$out" >&2
  echo "bench: the benchmark boot failed" >&2
  exit 1
fi
boot=$(sed -n 's/.*mica: ready (boot took \([0-9]*\) TSC ticks).*/\1/p' "$out")
vmcall=$(sed -n 's/.*vmx: self-test passed.*(\([0-9]*\) TSC ticks per VMCALL round trip).*/\1/p' "$out")
# The same boot from UEFI: OVMF (Bochs takes its 2 MiB image) starts
# hv.efi from a FAT disk; the count runs from hv.efi's entry, and hv.efi
# logs where its part went (up to ExitBootServices, and after it).
if ! tools/hvrun --boot efi --emulator bochs --ips 100000000 --timeout 240 >"$out" 2>&1; then
  cat "$out" >&2
  echo "bench: the hv.efi boot failed" >&2
  exit 1
fi
efi_boot=$(sed -n 's/.*mica: ready (boot took \([0-9]*\) TSC ticks).*/\1/p' "$out")
efi_split=$(sed -n 's/.*hv.efi: TSC from entry: .* \([0-9]*\) to ExitBootServices, \([0-9]*\) after it.*/\1 \2/p' "$out")
read -r efi_before_ebs efi_jump <<<"${efi_split:-0 0}"
efi_fw=$((efi_jump - efi_before_ebs))
efi_hv=$((${efi_boot:-0} - efi_jump))
efi_ratio=$(awk -v a="${efi_boot:-0}" -v b="${boot:-1}" 'BEGIN { printf "%.2f", a / b }')
efi_hv_ratio=$(awk -v a="$efi_hv" -v b="${boot:-1}" 'BEGIN { printf "%.2f", a / b }')
efi_size=$(stat -c %s build/hv.efi)
elf_size=$(stat -c %s build/efi/hv-image.elf)

# The null hypercall: xen_version(XENVER_version) 10,000 times from the
# bench guest.
# --entry-tsc stops Bochs' debugger at the hypervisor's first instruction
# and at dom0's (the stops execute nothing, the counts stay the same):
# the start figure compared with Xen's below.
if ! tools/hvrun --emulator bochs --ips 100000000 --timeout 120 --entry-tsc \
    --dom0 build/guests/bench.elf >"$out" 2>&1; then
  cat "$out" >&2
  echo "bench: the bench guest failed" >&2
  exit 1
fi
null=$(sed -n 's/.*bench: null hypercall: [0-9]* calls, [0-9]* ticks, \([0-9.]*\) per call.*/\1/p' "$out")
# Where one round trip goes: tools/hvtrace traces one under Bochs'
# debugger, instruction by instruction.
trace() {
  tools/hvtrace --summary "$@" 2>/dev/null || echo "no trace"
}
null_parts=$(trace --break do_xen_version -- --dom0 build/guests/bench.elf)
start=$(sed -n "s/^hvrun: hypervisor entry to dom0's first instruction: \([0-9]*\) ticks$/\1/p" "$out")
# The same from a 32-bit guest: abi32 (-m32, 32-bit protected mode) times
# xen_version by VMCALL in the x86_32 convention (EAX, EBX, ECX).
if ! tools/hvrun --emulator bochs --ips 100000000 --timeout 120 \
    --dom0 "build/guests/abi32.elf,cmdline=bench" >"$out" 2>&1; then
  cat "$out" >&2
  echo "bench: the 32-bit guest failed" >&2
  exit 1
fi
null32=$(sed -n 's/.*abi32: null hypercall: [0-9]* calls, [0-9]* ticks, \([0-9.]*\) per call.*/\1/p' "$out")
# Events: send to upcall on one vcpu (the sender's own IPI port, taken by
# the callback vector); an interdomain ping-pong between two domains, each
# waiting in HLT; SCHEDOP_yield between two domains (each yield is a
# switch to the other domain and, after its yield, one back).
ev=build/guests/events.elf
run_guests() {
  if ! tools/hvrun --emulator bochs --ips 100000000 --timeout 120 "$@" >"$out" 2>&1; then
    cat "$out" >&2
    echo "bench: an events run failed" >&2
    exit 1
  fi
}
run_guests --dom0 "$ev,cmdline=mode=bench rounds=10000"
upcall=$(sed -n 's/.*events: send to upcall: [0-9]* sends, [0-9]* ticks, \([0-9]*\) per send.*/\1/p' "$out")
upcall_parts=$(trace --break do_event_channel_op -- --dom0 "$ev,cmdline=mode=bench rounds=10000")
pingpong_parts=$(trace --passes 2 --skip 200 --break do_event_channel_op -- \
  --dom0 "$ev,cmdline=mode=ping rounds=2000" --domu "$ev,cmdline=mode=pong rounds=2000")
yield_parts=$(trace --passes 2 --skip 200 --break do_sched_op -- \
  --dom0 "$ev,cmdline=mode=yield rounds=2000" --domu "$ev,cmdline=mode=yield rounds=2000")
run_guests --dom0 "$ev,cmdline=mode=ping rounds=2000" --domu "$ev,cmdline=mode=pong rounds=2000"
pingpong=$(sed -n 's/.*events: ping-pong: [0-9]* round trips, [0-9]* ticks, \([0-9]*\) per round trip.*/\1/p' "$out")
run_guests --dom0 "$ev,cmdline=mode=yield rounds=2000" --domu "$ev,cmdline=mode=yield rounds=2000"
yield=$(sed -n 's/.*(dom0) events: yield: [0-9]* yields, [0-9]* ticks, \([0-9]*\) per yield.*/\1/p' "$out")
switch=$(( ${yield:-0} / 2 ))
# An emulated MMIO read of a hole: the HPET's address, which no domain
# here has (arch/x86/vmx/mmio.c), read 10,000 times by the mmio guest.
run_guests --dom0 "build/guests/mmio.elf,cmdline=bench=10000"
hole=$(sed -n 's/.*mmio: hole read at 0x[0-9a-f]*: [0-9]* reads, [0-9]* ticks, \([0-9]*\) per read.*/\1/p' "$out")
# Ballooning: a 128 MiB domain gives 64 MiB back in one
# decrease_reservation of 4 KiB extents and takes it again in one
# populate_physmap (test/guests/balloon.c).  Taken twice: at once, when
# no frame is scrubbed yet (the worst case: each page is zeroed as it is
# taken), and after giving it back again and blocking until the idle
# loop has zeroed every free frame (physinfo's scrub_pages is 0), as a
# domain that takes memory back some time after it gave it sees.  The
# "up" row is that second figure, not the first.
run_guests --dom0 "build/guests/balloon.elf,mem=128,cmdline=bench=64"
balloon_down=$(sed -n 's/.*balloon: decrease 64 MiB: \([0-9]*\) ticks.*/\1/p' "$out")
balloon_up=$(sed -n 's/.*balloon: increase 64 MiB: \([0-9]*\) ticks.*/\1/p' "$out")
balloon_up_now=$(sed -n 's/.*balloon: increase 64 MiB at once (unscrubbed): \([0-9]*\) ticks.*/\1/p' "$out")
read -r text data bss _ < <(size build/hv.elf | tail -n 1)

# The same null hypercall and context switch with the network console on
# and idle: an e1000 on slirp, a static address, the UDP stream and the
# TCP console listening (no session).  Received frames are polled by the
# console multiplexer's timer that runs anyway.
netpw=$(tools/mica-passwd --iterations 200 --salt 0123456789abcdef --password bench)
net_args=(--net --net-fwd 23 --hv-cmdline
          "net=10.0.2.15/24,gw=10.0.2.2 netconsole=10.0.2.2:6666 netcon=23 $netpw")
run_guests "${net_args[@]}" --dom0 build/guests/bench.elf
null_net=$(sed -n 's/.*bench: null hypercall: [0-9]* calls, [0-9]* ticks, \([0-9.]*\) per call.*/\1/p' "$out")
run_guests "${net_args[@]}" --dom0 "$ev,cmdline=mode=yield rounds=2000" --domu "$ev,cmdline=mode=yield rounds=2000"
yield_net=$(sed -n 's/.*(dom0) events: yield: [0-9]* yields, [0-9]* ticks, \([0-9]*\) per yield.*/\1/p' "$out")
switch_net=$(( ${yield_net:-0} / 2 ))

# ---- Xen, the peer in the same run (issue 14) -----------------------------
# Debian's Xen 4.17 (tools/xen-assets fetches it into build/xen) in the same
# Bochs machine, the same guests as its PVH dom0 (tools/hvrun --xen).  A
# figure Xen cannot give says why instead; nothing here fails make bench.
xen=build/xen/xen.gz
xen_null="" xen_upcall="" xen_start="" xen_hole=""
xen_pingpong="no figure: needs a second domain (Xen builds only dom0 at boot; a domU needs its toolstack)"
xen_why=""
fetch_assets tools/xen-assets
if [ "$rc" -eq 3 ]; then
  xen_why="Debian's package registry is out of reach"
  cat "$out" >&2
elif [ "$rc" -ne 0 ]; then
  xen_why="tools/xen-assets failed ($(tail -n 1 "$out"))"
  cat "$out" >&2
fi
# One Xen boot; 0 when it powered off, else its last line goes to xen_fail.
xen_run() {
  xen_fail=""
  if ! tools/hvrun --xen "$xen" --emulator bochs --ips 100000000 --timeout 240 \
      "$@" >"$out" 2>&1; then
    xen_fail=$(grep '^hvrun: ' "$out" | tail -n 1)
    tail -n 20 "$out" >&2
    return 1
  fi
}
xen_base=""
if [ -z "$xen_why" ]; then
  if xen_run --dom0 build/guests/bench.elf; then
    xen_null=$(sed -n 's/^bench: null hypercall: [0-9]* calls, [0-9]* ticks, \([0-9.]*\) per call.*/\1/p' "$out")
    xen_base=$(sed -n 's/^(XEN) Xen image load base address: \(0x[0-9a-f]*\).*/\1/p' "$out")
  else
    xen_null="no figure: the bench guest under Xen failed (${xen_fail:-?})"
  fi
  if xen_run --dom0 "$ev,cmdline=mode=bench rounds=10000"; then
    xen_upcall=$(sed -n 's/^events: send to upcall: [0-9]* sends, [0-9]* ticks, \([0-9]*\) per send.*/\1/p' "$out")
  else
    xen_upcall="no figure: the events guest under Xen failed (${xen_fail:-?})"
  fi
  # Xen's PVH dom0 has no HPET either: its null handler answers.
  if xen_run --dom0 "build/guests/mmio.elf,cmdline=bench=10000"; then
    xen_hole=$(sed -n 's/^mmio: hole read at 0x[0-9a-f]*: [0-9]* reads, [0-9]* ticks, \([0-9]*\) per read.*/\1/p' "$out")
  else
    xen_hole="no figure: the mmio guest under Xen failed (${xen_fail:-?})"
  fi
  # Xen is relocatable: the first run logged where GRUB put it, and the
  # same ISO puts it there again.
  if [ -z "$xen_base" ]; then
    xen_start="no figure: Xen's load address is unknown (the first run failed)"
  elif xen_run --entry-tsc --xen-load-base "$xen_base" --dom0 build/guests/bench.elf; then
    xen_start=$(sed -n "s/^hvrun: hypervisor entry to dom0's first instruction: \([0-9]*\) ticks$/\1/p" "$out")
  else
    xen_start="no figure: the entry run under Xen failed (${xen_fail:-?})"
  fi
else
  xen_null="no figure: $xen_why" xen_upcall="no figure: $xen_why" xen_start="no figure: $xen_why"
  xen_hole="no figure: $xen_why"
fi

# Linux (issue 5): Debian's cloud kernel and the busybox initramfs that
# tools/linux-assets downloads once into build/linux.  Native: booted in
# Bochs without the hypervisor (256 MiB, 1 CPU, console=ttyS0 nokaslr
# quiet); TSC ticks from vmlinux's entry (startup_64, after GRUB and the
# decompressor) to the shell, see tools/linux_native.py.
linux_native="?"
linux_dir=build/linux # where tools/linux-assets puts them by default
fetch_assets tools/linux-assets
if [ "$rc" -eq 3 ]; then
  linux_native="no figure: Debian's package registry is out of reach"
  cat "$out" >&2
elif [ "$rc" -ne 0 ]; then
  cat "$out" >&2
  echo "bench: tools/linux-assets failed" >&2
  exit 1
elif ! tools/linuxrun --bench --timeout 600 >"$out" 2>&1; then
  cat "$out" >&2
  echo "bench: the native Linux boot failed" >&2
  exit 1
else
  linux_native=$(sed -n 's/^linux-native-boot: \([0-9]*\)$/\1/p' "$out")
fi
# ---- Linux under mica ---------------------------------------------------
# The same kernel and initramfs as a PVH domU (256 MiB, 1 vcpu, console on
# hvc0, quiet).  Guests read the host's TSC (no offset), so the figure is
# /init's TSC minus the TSC the hypervisor logs at the domain's first VM
# entry (its PVH entry point): entry to shell, as the native row.
# mica.bench makes /init power off once it has printed the TSC.
linux_mica="?"
linux_ratio="?"
# The network console with a Linux domU (tools/bench_net.py): keystroke
# to echo, and the console's rate to a TCP client, with and without the
# serial line.
key_avg="?"; key_max="?"; rate_net="?"; rate_com1="?"
if [[ "$linux_native" =~ ^[0-9]+$ ]]; then
  if tools/bench_net.py >"$out" 2>&1; then
    read -r key_avg key_max < <(sed -n 's/^key: \([0-9-]*\) \([0-9-]*\)$/\1 \2/p' "$out")
    rate_net=$(sed -n 's/^rate-net: \([0-9]*\)$/\1/p' "$out")
    rate_com1=$(sed -n 's/^rate-com1: \([0-9]*\)$/\1/p' "$out")
  else
    tail -20 "$out" >&2
    echo "bench: the network console's Linux runs failed" >&2
    exit 1
  fi
fi
if [[ "$linux_native" =~ ^[0-9]+$ ]]; then
  if tools/hvrun --emulator bochs --ips 100000000 --no-input --timeout 900 \
      --domu "$linux_dir/vmlinuz,initrd=$linux_dir/initramfs.cpio.gz,mem=256,cmdline=console=hvc0 quiet mica.bench" \
      >"$out" 2>&1; then
    first=$(sed -n 's/.*domu1: first entry at TSC \([0-9]*\).*/\1/p' "$out")
    last=$(sed -n 's/.*(domu1) linux-boot-tsc: \([0-9]*\).*/\1/p' "$out")
    boot_build=$(sed -n 's/.*domu1: built: .*(\([0-9]*\) TSC ticks).*/\1/p' "$out")
    if [[ "$first" =~ ^[0-9]+$ && "$last" =~ ^[0-9]+$ ]]; then
      linux_mica=$((last - first))
      linux_ratio=$(awk -v a="$linux_mica" -v b="$linux_native" 'BEGIN { printf "%.3f", a / b }')
    fi
  else
    tail -20 "$out" >&2
    echo "bench: the Linux boot under mica failed" >&2
    exit 1
  fi
else
  linux_mica="no figure: no native figure"
  linux_ratio="no figure"
fi
# ---- Linux created by dom0 at run time (issue 16) -------------------------
# dom0/builder.c builds the same kernel (its ELF vmlinux) and initramfs as
# a 256 MiB domU through the toolstack hypercalls; the figure is the TSC
# the hypervisor logs at the domain's first VM entry minus the TSC dom0
# read as `create` began.  Once after `settle` (the idle loop has zeroed
# the free memory, as on a machine left alone a moment), once at once
# after boot (every page zeroed as it is given).  dom0 prints where the
# ticks went, waits for the guest to boot (serving its xenstore) and power
# off (mica.bench), and quits, which ends the run.
boot_build=${boot_build:-?}
create_settled="?"; create_now="?"; create_parts="?"
dom0_create() { # $1: exec commands before create; sets create_ticks, create_split
  create_ticks="?"; create_split="?"
  if tools/hvrun --emulator bochs --ips 100000000 --no-input --timeout 300 --mem 768 \
      --dom0 "build/dom0.elf,mem=96,cmdline=exec=$1create linux mem=256 -- console=hvc0 quiet mica.bench;wait 1;quit" \
      --image "linux=$linux_dir/vmlinux" --ramdisk "linux=$linux_dir/initramfs.cpio.gz" \
      >"$out" 2>&1; then
    local a b
    a=$(sed -n 's/.*control: create linux: started at TSC \([0-9]*\).*/\1/p' "$out")
    b=$(sed -n 's/.*domu1: first entry at TSC \([0-9]*\).*/\1/p' "$out")
    create_split=$(sed -n 's/.*control: create linux: \(populate .*\)$/\1/p' "$out")
    if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]]; then
      create_ticks=$((b - a))
    fi
  else
    tail -20 "$out" >&2
    echo "bench: dom0's create of Linux failed" >&2
    exit 1
  fi
}
if [[ -f "$linux_dir/vmlinux" ]]; then
  dom0_create "settle;"
  create_settled=$create_ticks
  create_parts=$create_split
  dom0_create ""
  create_now=$create_ticks
fi
dom0_bench
xl_bench

table_head
echo "| boot, first instruction to \`mica: ready\` (Bochs, emulated instructions) | ${boot:-?} | < 5,000,000 | | |"
echo "| boot from UEFI, hv.efi's entry to \`mica: ready\` (Bochs + OVMF, no modules; emulated instructions) | ${efi_boot:-?} | | | |"
echo "| of which hv.efi up to ExitBootServices (hv.cfg read, image placed) | ${efi_before_ebs:-?} | | | |"
echo "| of which the firmware's GetMemoryMap and ExitBootServices | ${efi_fw} | | | |"
echo "| of which the hypervisor, efi_start64 to \`mica: ready\` | ${efi_hv} | | | |"
echo "| boot from UEFI / multiboot2, whole (hypervisor's part alone) | ${efi_ratio} (${efi_hv_ratio}) | < 1.2 | | |"
echo "| hypervisor's first instruction to dom0's first instruction, bench guest as dom0 (TSC ticks; Xen's includes waiting for an emulated-second boundary, see below) | ${start:-?} | | $(xen_cells "${start:-?}" "$xen_start") |"
echo "| null hypercall round trip, xen_version from a guest loop of 10,000 (emulated instructions) | ${null:-?} | <= 150 | $(xen_cells "${null:-?}" "$xen_null") |"
echo "| null hypercall from a 32-bit guest (abi32: xen_version by VMCALL, EAX/EBX/ECX, loop of 10,000; emulated instructions) | ${null32:-?} ($(pct "${null32:-0}" "${null:-0}")) | within 10% | | |"
echo "| event channel send to upcall, same vcpu (EVTCHNOP_send, callback vector, guest handler; emulated instructions) | ${upcall:-?} | <= 400 | $(xen_cells "${upcall:-?}" "$xen_upcall") |"
echo "| interdomain ping-pong round trip, both sides waiting in HLT (emulated instructions) | ${pingpong:-?} | <= 1,500 | $xen_pingpong | |"
echo "| vcpu context switch: half of a SCHEDOP_yield round trip between two domains (emulated instructions) | ${switch} | <= 500 | | |"
echo "| emulated MMIO read of a hole (the HPET's address, no HPET), round trip from a guest loop of 10,000 (emulated instructions) | ${hole:-?} | | $(xen_cells "${hole:-?}" "$xen_hole") |"
echo "| balloon: 64 MiB given back, one decrease_reservation of 4 KiB extents, 128 MiB domain (emulated instructions) | ${balloon_down:-?} | < 10,000,000 | | |"
echo "| balloon: the 64 MiB taken again, one populate_physmap, after the idle loop has zeroed the free frames (the guest blocks until it has; emulated instructions) | ${balloon_up:-?} | < 10,000,000 | | |"
echo "| balloon: the same, up at once after down, nothing scrubbed yet: each page zeroed when taken (the worst case; emulated instructions) | ${balloon_up_now:-?} | | | |"
echo "| null hypercall, network console on and idle (e1000, UDP stream, TCP console listening) | ${null_net:-?} ($(pct "${null_net:-0}" "${null:-0}")) | within 2% | | |"
echo "| context switch, network console on and idle | ${switch_net} ($(pct "$switch_net" "$switch")) | within 2% | | |"
echo "| Linux domU's console to a TCP client, network console alone (console=none; bytes per emulated second) | ${rate_net} | | | |"
echo "| the same with the serial line on (console=com1, 115200 baud paces the guest; bytes per emulated second) | ${rate_com1} | | | |"
echo "| keystroke to echo over TCP: key to the multiplexer to echo sent, Linux shell (emulated us, average / max; plus 5 ms average wait for the NIC poll) | ${key_avg} / ${key_max} | | | |"
echo "| bare VMCALL exit round trip, self-test guest, no hypercall dispatch (emulated instructions) | ${vmcall:-?} | | | |"
echo "| hypervisor image text + data, lwIP included (bytes) | $((text + data)) | < 307,200 | | |"
echo "| hypervisor bss (bytes, not in the image) | $bss | | | |"
echo "| hv.elf as hv.efi carries it, stripped (bytes) | $elf_size | | | |"
echo "| hv.efi, the UEFI application (bytes) | $efi_size | < 307,200 | | |"
echo "| Linux boot, native: vmlinux entry (startup_64) to the shell, Bochs 256 MiB, 1 CPU (TSC ticks) | ${linux_native:-?} | | | |"
echo "| Linux boot under mica: PVH entry to the shell, a domU of 256 MiB, 1 vcpu (TSC ticks) | $linux_mica | | | |"
echo "| Linux boot, under mica / native | $linux_ratio | < 1.15 | | |"
echo "| dom0's \`create\` of the same Linux, 256 MiB, to its first instruction, after \`settle\` (free memory zeroed by the idle loop; TSC ticks) | ${create_settled} | < 20,000,000 | | |"
echo "| the same at once after boot, nothing zeroed yet (each page zeroed as it is given; TSC ticks) | ${create_now} | | | |"
echo "| the boot-time builder's time for the same guest (hv/dombuild.c, memory zeroed as given; TSC ticks) | ${boot_build} | | | |"
dom0_rows
xl_rows
echo
echo "One round trip of each, traced instruction by instruction (tools/hvtrace):"
echo
echo "| round trip | where the instructions go |"
echo "| --- | --- |"
echo "| null hypercall | $null_parts |"
echo "| send to upcall | $upcall_parts |"
echo "| ping-pong | $pingpong_parts |"
echo "| two yields (two switches) | $yield_parts |"
echo "| dom0's create of Linux, settled (TSC ticks by stage; the rest is the zero-page checks, the ELF, the hypercalls around) | $create_parts |"
