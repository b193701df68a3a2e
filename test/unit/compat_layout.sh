#!/usr/bin/env bash
# Which guest ABI structures a 32-bit guest lays out as a 64-bit one does.
# Compiles test/unit/compat_layout.c (the public headers) for x86_64 and
# i386 and compares gdb's `ptype/o` of each structure (every field's
# offset and size, and the total) between the two.
#
# SAME: what a 32-bit caller's hypercalls pass through to the 64-bit
# handlers (hv/hypercall_compat.c; Xen's "?" lines in xen/include/xlat.lst,
# plus the PVH start info), and the x86_32 layouts of vcpu_info and
# shared_info the hypervisor writes for a 32-bit guest; each must be
# identical.
# DIFFERS: what a 32-bit caller's handler reads in its own layout (Xen's
# "!" lines), and shared_info/vcpu_info; each must differ, or the
# translation is needless (and this test could not tell a difference at
# all).  platform_op's firmware_info (and so the whole xen_platform_op)
# differs in its handles, which mica never touches: the fields it reads
# and writes sit at the same offsets for both, as compat_layout.c asserts
# when built for each.
# COMPAT: the hypervisor's own 32-bit layouts (include/hv/compat.h, built
# for x86_64) against the public structure built for i386: every field's
# offset, size and name, and the total, must be the same.
# Run from the repository root; exits 1 with the two layouts on a mismatch.
set -euo pipefail

SAME=(
  evtchn_alloc_unbound evtchn_bind_interdomain evtchn_bind_virq evtchn_bind_pirq
  evtchn_bind_ipi evtchn_close evtchn_send evtchn_status evtchn_bind_vcpu evtchn_unmask
  evtchn_reset evtchn_init_control evtchn_expand_array evtchn_set_priority
  sched_shutdown sched_remote_shutdown sched_watchdog sched_pin_override
  xen_compile_info xen_feature_info xen_build_id
  vcpu_set_periodic_timer vcpu_register_vcpu_info vcpu_get_physid
  vcpu_register_runstate_memory_area vcpu_register_time_memory_area vcpu_time_info
  xen_hvm_param xen_hvm_evtchn_upcall_vector xen_hvm_get_time xen_hvm_pagetable_dying
  gnttab_map_grant_ref gnttab_unmap_grant_ref gnttab_query_size gnttab_set_version
  gnttab_get_version gnttab_swap_grant_ref gnttab_dump_table gnttab_unmap_and_replace
  gnttab_cache_flush grant_entry_v1 grant_entry_header
  hvm_start_info hvm_modlist_entry hvm_memmap_table_entry e820entry
  compat_vcpu_info compat_shared_info
  xenpf_settime32 xenpf_settime64 xenpf_pcpuinfo xenpf_pcpu_version
  physdev_pci_mmcfg_reserved physdev_pci_device_add physdev_pci_device physdev_dbgp_op
  physdev_manage_pci physdev_manage_pci_ext
)
DIFFERS=(
  multicall_entry xen_platform_parameters
  xen_memory_reservation xen_add_to_physmap xen_add_to_physmap_batch xen_remove_from_physmap
  xen_memory_map xen_foreign_memory_map
  vcpu_runstate_info vcpu_set_singleshot_timer sched_poll
  gnttab_setup_table gnttab_transfer gnttab_copy gnttab_get_status_frames
  vcpu_info shared_info
  xenpf_firmware_info xen_platform_op
)

COMPAT=(
  multicall_entry:compat_multicall_entry xen_add_to_physmap:compat_add_to_physmap
  xen_add_to_physmap_batch:compat_add_to_physmap_batch
  xen_remove_from_physmap:compat_remove_from_physmap
  xen_memory_map:compat_memory_map xen_memory_reservation:compat_memory_reservation
  vcpu_runstate_info:compat_vcpu_runstate_info
  vcpu_set_singleshot_timer:compat_vcpu_set_singleshot_timer sched_poll:compat_sched_poll
  gnttab_setup_table:compat_gnttab_setup_table gnttab_copy:compat_gnttab_copy
)

cc=${CC:-gcc}
out=build/unit/compat_layout
mkdir -p "$out"
cmds=()
for s in "${SAME[@]}" "${DIFFERS[@]}" "${COMPAT[@]#*:}"; do
  cmds+=(-ex "echo === $s\n" -ex "ptype/o struct $s")
done
for m in 64 32; do
  "$cc" -m$m -std=gnu11 -g -fno-eliminate-unused-debug-types -ffreestanding -nostdinc \
    -isystem "$("$cc" -print-file-name=include)" -Iinclude -c test/unit/compat_layout.c \
    -o "$out/layout$m.o"
  gdb -batch -nx "${cmds[@]}" "$out/layout$m.o" >"$out/layout$m.txt" 2>&1
done

# The ptype/o text of structure $2 in layout file $1.
layout() { awk -v s="=== $2" '$0 == s { f = 1; next } /^=== / { f = 0 } f' "$1"; }

bad=0
for s in "${SAME[@]}" "${DIFFERS[@]}"; do
  a=$(layout "$out/layout64.txt" "$s")
  b=$(layout "$out/layout32.txt" "$s")
  if [ -z "$a" ] || ! grep -q 'total size' <<<"$a"; then
    echo "compat_layout: struct $s: no layout from gdb:"; echo "$a"; bad=$((bad + 1)); continue
  fi
  same=0
  [ "$a" = "$b" ] && same=1
  if [[ " ${SAME[*]} " == *" $s "* ]] && [ $same = 0 ]; then
    echo "compat_layout: FAIL struct $s differs for a 32-bit guest, but its calls pass through:"
    diff <(echo "$a") <(echo "$b") || true
    bad=$((bad + 1))
  elif [[ " ${DIFFERS[*]} " == *" $s "* ]] && [ $same = 1 ]; then
    echo "compat_layout: FAIL struct $s is the same for a 32-bit guest, but its calls are refused"
    bad=$((bad + 1))
  fi
done
# Offsets, sizes and field names only: the types' names differ.
fields() {
  layout "$1" "$2" | sed -E -e 's/type = struct [a-z_0-9]+/type/' -e 's/(struct|union) [a-z_0-9]+ \{/{/' \
    -e 's/^(\/\*[^/]*\*\/ +)[^/]* ([a-z_0-9]+(\[[0-9]+\])?;)$/\1\2/'
}
for pair in "${COMPAT[@]}"; do
  a=$(fields "$out/layout32.txt" "${pair%%:*}")
  b=$(fields "$out/layout64.txt" "${pair#*:}")
  if [ -z "$b" ] || ! grep -q 'total size' <<<"$b" || [ "$a" != "$b" ]; then
    echo "compat_layout: FAIL struct ${pair#*:} is not a 32-bit guest's struct ${pair%%:*}:"
    diff <(echo "$a") <(echo "$b") || true
    bad=$((bad + 1))
  fi
done
echo "compat_layout: ${#SAME[@]} structures the same for 32-bit guests, ${#DIFFERS[@]} different, ${#COMPAT[@]} translated, $bad wrong"
# One test in cmocka's words, which tools/check.sh counts.
if [ $bad = 0 ]; then
  echo "[  PASSED  ] 1 test(s)."
else
  echo "[  FAILED  ] 1 test(s), listed above"
  exit 1
fi
