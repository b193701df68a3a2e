# mica: a micro-hypervisor for the Xen PV ABI.  `make` builds build/hv.elf and
# build/hv.iso; `make run` boots it; `make check` runs every test.
# See README.md.

CC := gcc
LD := ld
NM := nm
OBJCOPY := objcopy
BUILD := build

# Sources of the hypervisor image.  Generic code (hv/ mm/ sched/ evtchn/
# boot/mb2.c) never uses x86 instructions; arch/x86 holds all of those.
HV_SRCS := \
	boot/head.S boot/mb2.c boot/mb2_entry.c boot/efi_entry.c boot/efi_mmap.c \
	hv/setup.c hv/console.c hv/console_list.c hv/cmdline.c hv/bootmod.c hv/timer.c \
	hv/domain.c hv/domain_console.c hv/elf.c hv/dombuild.c hv/hwdom.c hv/acpi_build.c hv/hypercall.c hv/hypercall_compat.c hv/xen_version.c \
	hv/console_io.c hv/sched_op.c hv/memory_op.c hv/memory_reservation.c hv/physmap.c hv/foreign.c hv/hvm_op.c hv/vcpu_op.c hv/vm_assist.c \
	hv/vtime.c sched/core.c sched/credit.c sched/place.c sched/lock.c evtchn/evtchn.c evtchn/evtchn_2l.c \
	hv/grant_table.c hv/grant_op.c hv/grant_pin.c hv/domctl.c hv/createdomain.c hv/sysctl.c \
	hv/wallclock.c hv/platform_op.c hv/physdev_op.c hv/pcidev.c \
	hv/xencons.c hv/console_ring.c hv/console_mux.c \
	hv/lib/string.c hv/lib/strlcpy.c hv/lib/vsnprintf.c hv/lib/sha256.c hv/lib/pwhash.c hv/lib/hex.c \
	arch/x86/string.c arch/x86/page_zero.c mm/frame.c mm/heap.c mm/guestmem.c \
	arch/x86/entry.S arch/x86/traps.c arch/x86/serial.c arch/x86/paging.c \
	arch/x86/lapic.c arch/x86/time.c arch/x86/rtc.c arch/x86/acpi.c arch/x86/power.c \
	arch/x86/setup.c arch/x86/symbols.c arch/x86/debug_crash.c \
	arch/x86/vmx/vmx.c arch/x86/vmx/entry.S arch/x86/vmx/vmcs.c arch/x86/vmx/selftest.c \
	arch/x86/vmx/vcpu.c arch/x86/vmx/exit.c arch/x86/vmx/intr.c arch/x86/vmx/cpuid.c arch/x86/vmx/msr.c arch/x86/vmx/vmce.c \
	arch/x86/vmx/switch.c arch/x86/vmx/mmio.c arch/x86/vmx/context.c arch/x86/ept.c arch/x86/guest_walk.c arch/x86/vlapic.c \
	arch/x86/decode.c arch/x86/emulate.c \
	arch/x86/smp.c arch/x86/smp_tramp.S arch/x86/physinfo.c arch/x86/cpu_policy.c arch/x86/ioapic.c arch/x86/hwdom.c arch/x86/vioapic.c arch/x86/irq_bind.c \
	arch/x86/vpci.c arch/x86/vmsi.c \
	arch/x86/screen.c arch/x86/screen_con.c arch/x86/vga_text.c arch/x86/fbcon.c \
	net/net.c net/net_config.c net/net_out.c net/netconsole.c net/netcon.c net/telnet.c \
	net/lwip_port.c \
	arch/x86/pci.c arch/x86/pci_io.c net/nic.c net/e1000.c

HV_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie -mcmodel=small \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-strict-aliasing \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wformat=2 \
	-Iinclude -Iarch/x86/include -MMD -MP
HV_ASFLAGS := -D__ASSEMBLY__ -Iinclude -Iarch/x86/include -MMD -MP
HV_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
	-T arch/x86/hv.ld

# lwIP 2.1.3 for the network console (net/): Debian's source package,
# fetched and unpacked by tools/deps.sh, built with our port in net/lwip.
LWIP_DIR := $(BUILD)/lwip-2.1.3
LWIP_SRCS := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c \
	core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c
LWIP_INC := -Inet/lwip/include -I$(LWIP_DIR)/src/include
LWIP_OBJS := $(patsubst %.c,$(BUILD)/lwip/%.o,$(LWIP_SRCS))

HV_OBJS := $(patsubst %,$(BUILD)/hv/%.o,$(basename $(HV_SRCS))) $(BUILD)/hv/font.o $(LWIP_OBJS)

# The screen console's 8x16 font, converted at build time from a Linux
# console font of Debian's console-setup-linux (tools/deps.sh installs it).
FONT := /usr/share/consolefonts/Lat15-VGA16.psf.gz
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

.PHONY: all run check bench debug unit-test system-test deps clean
all: $(BUILD)/hv.elf $(BUILD)/hv.efi $(BUILD)/hv.iso guests dom0

# Code that runs once, at boot or when a domain is built or configured,
# and the hypervisor's own message formatting (vsnprintf), is built for
# size: none of it is on a path make bench times, and the image must stay
# under 300 KiB (-Os saves about 13 KiB here).  What runs per hypercall,
# exit or switch stays -O2.
HV_SIZE_SRCS := boot/mb2.c boot/efi_mmap.c boot/efi_entry.c hv/setup.c hv/cmdline.c hv/elf.c \
	hv/dombuild.c hv/hwdom.c hv/bootmod.c hv/acpi_build.c hv/console_list.c hv/domctl.c hv/createdomain.c hv/sysctl.c \
	arch/x86/vmx/context.c arch/x86/acpi.c arch/x86/smp.c arch/x86/setup.c arch/x86/symbols.c arch/x86/debug_crash.c \
	arch/x86/vmx/selftest.c arch/x86/physinfo.c arch/x86/cpu_policy.c arch/x86/pci.c arch/x86/power.c arch/x86/hwdom.c arch/x86/rtc.c \
	arch/x86/fbcon.c arch/x86/screen.c arch/x86/vga_text.c net/net_config.c \
	arch/x86/vpci.c arch/x86/vmsi.c hv/pcidev.c hv/platform_op.c hv/physmap.c \
	hv/lib/vsnprintf.c
$(patsubst %.c,$(BUILD)/hv/%.o,$(HV_SIZE_SRCS)): HV_OPT := -Os

$(BUILD)/hv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(HV_OPT) -c $< -o $@

# Stops the build with one message when the lwIP source is not there
# (an order-only prerequisite of everything that needs it).
.PHONY: lwip-src
lwip-src:
	@test -f $(LWIP_DIR)/src/core/tcp.c || { echo "error: the lwIP source is missing" \
		"($(LWIP_DIR)): run tools/deps.sh, which fetches Debian's lwip source package" >&2; \
		exit 1; }

# lwIP is not our code: its own warnings are not ours to fix, so -Werror
# stays but the two checks its style trips are off for its files only.
# Built for size (-Os saves 13 KiB of 62): a console does not need its
# speed, and the image must stay under 300 KiB of text and data.  (The
# source is a dependency through the .d file gcc writes.)
$(LWIP_OBJS): $(BUILD)/lwip/%.o: | lwip-src
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(LWIP_INC) -Os -Wno-sign-compare -Wno-address \
		-c $(LWIP_DIR)/src/$*.c -o $@

# Our side of the lwIP port sees lwIP's headers.
$(BUILD)/hv/net/%.o: net/%.c | lwip-src
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(LWIP_INC) $(HV_OPT) -c $< -o $@

$(BUILD)/font.c: tools/psf2c.py
	@mkdir -p $(dir $@)
	@test -r $(FONT) || { echo "error: font $(FONT) is missing: run tools/deps.sh" \
		"(Debian package console-setup-linux) or pass FONT=another 8x16 .psf[.gz]" >&2; exit 1; }
	tools/psf2c.py $(FONT) $@

$(BUILD)/hv/font.o: $(BUILD)/font.c
	$(CC) $(HV_CFLAGS) -c $< -o $@

# Offsets and constants the assembly takes from C (arch/x86/asm-offsets.c):
# compiled to assembly, each "->NAME value" marker becomes a #define.
$(BUILD)/generated/asm-offsets.h: arch/x86/asm-offsets.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MT $@ -S $< -o $(BUILD)/generated/asm-offsets.s
	@{ echo "/* Generated from arch/x86/asm-offsets.c by the Makefile: do not edit. */"; \
	  sed -n 's/.*"->\([A-Z0-9_]*\) \([0-9-]*\)".*/#define \1 \2/p' \
		$(BUILD)/generated/asm-offsets.s; } > $@.tmp
	@grep -q '^#define ' $@.tmp || { echo "error: no values in $@" >&2; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

$(BUILD)/hv/%.o: %.S $(BUILD)/generated/asm-offsets.h
	@mkdir -p $(dir $@)
	$(CC) $(HV_ASFLAGS) -I$(BUILD)/generated -c $< -o $@

# Two-pass link: the first image gives the symbol addresses, the second adds
# the symbol table in .hvsyms, which comes last and so moves no code.
$(BUILD)/hv.elf: $(HV_OBJS) arch/x86/hv.ld tools/gensyms.sh
	$(LD) $(HV_LDFLAGS) -o $(BUILD)/hv.pass1.elf $(HV_OBJS) $(LIBGCC)
	tools/gensyms.sh $(NM) $(BUILD)/hv.pass1.elf > $(BUILD)/syms.S
	$(CC) -c $(BUILD)/syms.S -o $(BUILD)/syms.o
	$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(BUILD)/syms.o $(LIBGCC)
	@cmp -s <($(NM) $(BUILD)/hv.pass1.elf | grep -i ' t ') <($(NM) $@ | grep -i ' t ') || \
		{ echo "error: code moved between link passes" >&2; rm -f $@; exit 1; }
	grub-file --is-x86-multiboot2 $@ || { echo "error: $@ is not multiboot2" >&2; rm -f $@; exit 1; }

# hv.efi: the UEFI application (boot/efi/, GNU-EFI from Debian's gnu-efi
# package) carrying the stripped hypervisor image, which it loads at its
# link address and enters at efi_start64.  Built as a PIC shared object on
# GNU-EFI's crt0 and linker script, then turned into a PE/COFF image.
EFI_SRCS := boot/efi/efi_main.c boot/efi_cfg.c hv/lib/string.c hv/lib/vsnprintf.c \
	hv/lib/strlcpy.c arch/x86/string.c
GNU_EFI_INC := /usr/include/efi
GNU_EFI_LIB := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-isystem $(GNU_EFI_INC) -isystem $(GNU_EFI_INC)/x86_64 -DGNU_EFI_USE_MS_ABI \
	-fpic -fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-strict-aliasing -fcf-protection=none -Wall -Wextra -Werror -Wmissing-prototypes -Wformat=2 \
	-Iinclude -I$(BUILD)/efi -MMD -MP
EFI_OBJS := $(patsubst %,$(BUILD)/efi/%.o,$(basename $(EFI_SRCS))) $(BUILD)/efi/hv_image.o

$(GNU_EFI_LIB)/crt0-efi-x86_64.o:
	@echo "error: GNU-EFI is missing ($@): run tools/deps.sh (Debian package gnu-efi)" >&2; exit 1

$(BUILD)/efi/hv-image.elf: $(BUILD)/hv.elf
	@mkdir -p $(@D)
	strip --strip-all -o $@ $<

$(BUILD)/efi/hv_entry.h: $(BUILD)/hv.elf
	@mkdir -p $(@D)
	@a=$$($(NM) $< | awk '$$3 == "efi_start64" { print $$1 }'); \
		[ -n "$$a" ] || { echo "error: no efi_start64 in $<" >&2; exit 1; }; \
		printf '#define HV_EFI_ENTRY 0x%sULL\n' "$$a" > $@

$(BUILD)/efi/%.o: %.c $(BUILD)/efi/hv_entry.h $(GNU_EFI_LIB)/crt0-efi-x86_64.o
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/hv_image.o: boot/efi/hv_image.S $(BUILD)/efi/hv-image.elf
	$(CC) -c -DHV_IMAGE='"$(BUILD)/efi/hv-image.elf"' $< -o $@

$(BUILD)/hv.efi: $(EFI_OBJS)
	$(LD) -nostdlib -znocombreloc -shared -Bsymbolic -T $(GNU_EFI_LIB)/elf_x86_64_efi.lds \
		-o $(BUILD)/efi/hv.so $(GNU_EFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
		-L$(GNU_EFI_LIB) -lgnuefi
	$(OBJCOPY) -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel \
		-j .rela -j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 \
		--subsystem=10 $(BUILD)/efi/hv.so $@

# A bootable ISO (BIOS and UEFI) with the hypervisor alone; tools/hvrun
# builds its own with the chosen domains.
$(BUILD)/hv.iso: $(BUILD)/hv.elf
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $< $(BUILD)/iso/boot/hv.elf
	printf 'serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\nset timeout=3\nif [ "$$grub_platform" = "efi" ]; then insmod efi_gop; fi\nmenuentry "mica" {\n  multiboot2 /boot/hv.elf\n}\n' > $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso >$(BUILD)/grub-mkrescue.log 2>&1 || \
		{ cat $(BUILD)/grub-mkrescue.log >&2; exit 1; }

deps:
	@tools/deps.sh

# The demo (tools/demo): a small control domain as dom0 and Debian's Linux
# as a PVH domU with a shell.  RUNARGS passes options to tools/hvrun, e.g.
# make run RUNARGS="--emulator qemu-kvm".
run: deps $(BUILD)/hv.elf guests dom0
	tools/demo $(RUNARGS)

# Under QEMU with its gdb stub, stopped at the first instruction: hvrun
# prints the gdb command that attaches with hv.elf's symbols (the boot and
# non-VMX paths; README says how to use Bochs' debugger for the VMX ones).
debug: deps $(BUILD)/hv.elf guests dom0
	tools/hvrun --emulator qemu --gdb --timeout 86400 $(RUNARGS)

include test/unit/unit.mk
include test/guests/guests.mk
include dom0/dom0.mk

system-test: deps $(BUILD)/hv.elf
	/usr/bin/python3 -m pytest -q test/system

bench: deps $(BUILD)/hv.elf guests dom0
	@tools/bench.sh

check: deps
	@tools/check.sh

clean:
	rm -rf $(BUILD)

SHELL := /bin/bash
-include $(HV_OBJS:.o=.d) $(EFI_OBJS:.o=.d) $(BUILD)/generated/asm-offsets.d
