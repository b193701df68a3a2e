#!/bin/sh
# Writes the assembly for the hypervisor's symbol table (.hvsyms) from a
# linked image: gensyms.sh NM hv.elf > syms.S.  Text symbols only, sorted.
set -eu
nm=$1
elf=$2
"$nm" -n --defined-only "$elf" | awk '
BEGIN { n = 0 }
$2 ~ /^[tTwW]$/ && $3 !~ /^(\.|__)/ { addr[n] = $1; name[n] = $3; n++ }
END {
  print "\t.section .hvsyms, \"a\""
  print "\t.balign 8"
  print "\t.global hv_syms_count, hv_syms, hv_sym_names"
  print "hv_syms_count:\n\t.quad " n
  print "hv_syms:"
  off = 0
  for (i = 0; i < n; i++) {
    printf "\t.quad 0x%s\n\t.long %d, 0\n", addr[i], off
    off += length(name[i]) + 1
  }
  print "hv_sym_names:"
  for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", name[i]
}'
