# Host unit tests of generic code, with AddressSanitizer and UBSan.
# Included by the top-level Makefile; also works alone, from the repo root:
#   make -f test/unit/unit.mk unit-test
#
# To add a test of module X: write test/unit/test_X.c (cmocka, include
# "unit.h"), add X to UNIT_TESTS and list the real sources it compiles in
# UNIT_SRCS_X.  Every test also links the shim (printk, panic), the fake
# RAM behind phys_to_virt and the shared arch fake (fake_arch.h: clock,
# interrupts, CPU number and mask, kicks, timer, struct per_cpu).  UNIT_VERBOSE=1 echoes printk output.

UNIT_TESTS := frame heap mb2 efi cmdline bootmod timer console console_list abi elf vsnprintf evtchn sched grant xencons acpi_build vlapic screen \
	pwhash net pci e1000 hypercall evtchn_ops domain sched_core decode reservation foreign xenstore \
	pcidev platform_op hwdom vpci
UNIT_SRCS_frame := mm/frame.c
UNIT_SRCS_heap := mm/heap.c mm/frame.c
UNIT_SRCS_mb2 := boot/mb2.c
UNIT_SRCS_efi := boot/efi_cfg.c boot/efi_mmap.c boot/mb2.c
UNIT_SRCS_elf := hv/elf.c
# The printf is compiled into its test under other names (see the test).
UNIT_SRCS_vsnprintf :=
UNIT_SRCS_cmdline := hv/cmdline.c net/net_config.c hv/lib/strlcpy.c
UNIT_SRCS_timer := hv/timer.c
UNIT_SRCS_console_list := hv/console_list.c
UNIT_SRCS_bootmod := hv/bootmod.c hv/cmdline.c net/net_config.c hv/lib/strlcpy.c
UNIT_SRCS_abi :=
# Domains over the real event channels, heap and frames; the rest faked.
UNIT_SRCS_domain := hv/domain.c evtchn/evtchn.c evtchn/evtchn_2l.c mm/heap.c mm/frame.c \
	hv/lib/strlcpy.c test/unit/fake_domain_env.c test/unit/fake_sched.c
# The hypercall table, multicall and 32-bit callers, every handler faked in the test.
UNIT_SRCS_hypercall := hv/hypercall.c hv/hypercall_compat.c
# The network console's parts that need no network (no lwIP in them).
UNIT_SRCS_net := net/net_config.c net/net_out.c net/telnet.c hv/lib/strlcpy.c sched/lock.c
UNIT_SRCS_evtchn := evtchn/evtchn_2l.c
# The ports (EVTCHNOP_*) over the real 2-level bits, heap and frames.
UNIT_SRCS_evtchn_ops := evtchn/evtchn.c evtchn/evtchn_2l.c mm/heap.c mm/frame.c hv/domain.c \
	hv/lib/strlcpy.c test/unit/fake_domain_env.c test/unit/fake_sched.c
UNIT_SRCS_sched := sched/credit.c sched/place.c
# The generic scheduler with its policy, timers and hv_lock, over real
# domains and event channels; the test fakes the arch's run and idle.
UNIT_SRCS_sched_core := sched/core.c sched/credit.c sched/place.c sched/lock.c hv/timer.c \
	hv/domain.c evtchn/evtchn.c evtchn/evtchn_2l.c mm/heap.c mm/frame.c hv/lib/strlcpy.c \
	test/unit/fake_domain_env.c
# The reservation ops over the real frame allocator; the test fakes the pages.
UNIT_SRCS_reservation := hv/memory_reservation.c mm/frame.c
# Foreign mappings and the physical map ops over the real guest RAM code,
# grant tables, frames and heap; the test fakes the p2m and the domains.
UNIT_SRCS_foreign := hv/physmap.c hv/foreign.c mm/guestmem.c hv/grant_table.c hv/grant_op.c \
	hv/grant_pin.c mm/heap.c mm/frame.c
UNIT_SRCS_xencons := hv/xencons.c
# dom0's xenstore: the tree and the ring protocol (no hypercall in it).
UNIT_SRCS_xenstore := dom0/xenstore.c
UNIT_SRCS_acpi_build := hv/acpi_build.c
UNIT_SRCS_pwhash := hv/lib/pwhash.c hv/lib/sha256.c hv/lib/hex.c
# The screen console's cell grid: arch code without an x86 instruction.
UNIT_SRCS_screen := arch/x86/screen.c
# The emulated LAPIC: arch code, but no instruction of it runs (CPUID aside).
# The x86 decoder and emulator: arch code without an instruction of its own.
UNIT_SRCS_decode := arch/x86/decode.c arch/x86/emulate.c
UNIT_SRCS_vlapic := arch/x86/vlapic.c hv/timer.c
# grant_table_op over the real frame allocator and heap; the test fakes the p2m.
UNIT_SRCS_grant := hv/grant_pin.c hv/grant_table.c hv/grant_op.c mm/heap.c mm/frame.c
# The PCI device accounting over a fake configuration space.
UNIT_SRCS_pcidev := hv/pcidev.c
# The hardware domain's RAM and map over the real frames, heap, module
# strings and ELF checks; the test fakes the p2m and the arch's ranges.
UNIT_SRCS_hwdom := hv/hwdom.c hv/bootmod.c hv/cmdline.c net/net_config.c hv/lib/strlcpy.c hv/elf.c \
	mm/frame.c mm/heap.c
# platform_op, physdev_op and the wall clock over the real device
# accounting; the test fakes the guest, the CPUs, the RTC and PCI.
UNIT_SRCS_platform_op := hv/platform_op.c hv/physdev_op.c hv/wallclock.c hv/pcidev.c
# dom0's configuration space filter, its ECAM windows and its devices' MSI
# and MSI-X, over a fake configuration space, device memory and vectors.
UNIT_SRCS_vpci := arch/x86/vpci.c arch/x86/vmsi.c hv/pcidev.c
# The PCI module over a fake configuration space (the test is pci_io.c).
UNIT_SRCS_pci := arch/x86/pci.c hv/lib/hex.c
# The e1000 driver over a fake register file and the real frame allocator.
UNIT_SRCS_e1000 := net/e1000.c mm/frame.c
# console.c is the real printk: it replaces the shim, the test fakes the devices.
UNIT_SRCS_console := hv/console.c hv/domain_console.c sched/lock.c net/net_out.c
UNIT_SHIM_console := test/unit/fake_ram.c test/unit/fake_arch.c

UNIT_CC := gcc
UNIT_BUILD := build/unit
UNIT_SHIM := test/unit/shim.c test/unit/fake_ram.c test/unit/fake_arch.c
# test/unit/include precedes arch/x86/include so that its arch/mm.h (the
# fake RAM) replaces the hypervisor's 1:1 one.  -fno-sanitize-recover makes
# any UBSan finding fatal, so it fails the run instead of scrolling past.
UNIT_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Iinclude -Itest/unit/include -Itest/unit -Iarch/x86/include -MMD -MP
UNIT_LDFLAGS := -fsanitize=address,undefined
UNIT_LDLIBS := -lcmocka

UNIT_BINS := $(UNIT_TESTS:%=$(UNIT_BUILD)/test_%)
# A test may replace the shim with its own fakes: UNIT_SHIM_X := ...
unit_objs = $(patsubst %.c,$(UNIT_BUILD)/obj/%.o,test/unit/test_$(1).c $(UNIT_SRCS_$(1)) $(or $(UNIT_SHIM_$(1)),$(UNIT_SHIM)))

.PHONY: unit-test unit-clean

# Run every test binary even when one fails; fail at the end if any did.
# Then test/unit/compat_layout.sh: which ABI structures 32-bit guests lay
# out as 64-bit ones do (the public headers built for both, through gdb).
unit-test: $(UNIT_BINS)
	@rc=0; for t in $(UNIT_BINS); do \
		echo "=== $$t"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
			$$t || { echo "unit: $$t FAILED (exit $$?)"; rc=1; }; \
	done; \
	echo "=== test/unit/compat_layout.sh"; \
	CC=$(UNIT_CC) test/unit/compat_layout.sh || { echo "unit: compat_layout FAILED"; rc=1; }; \
	exit $$rc

$(UNIT_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

define unit_link_rule
$(UNIT_BUILD)/test_$(1): $(call unit_objs,$(1))
	$$(UNIT_CC) $$(UNIT_LDFLAGS) -o $$@ $$^ $$(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_link_rule,$(t))))

unit-clean:
	rm -rf $(UNIT_BUILD)

UNIT_OBJS := $(sort $(foreach t,$(UNIT_TESTS),$(call unit_objs,$(t))))
-include $(UNIT_OBJS:.o=.d)
