# Tiny PVH test kernels: build/guests/<name>.elf for each guest in GUESTS.
# Included by the top-level Makefile; also works alone, from the repo root:
#   make -f test/guests/guests.mk guests
#
# Each guest is one file test/guests/<name>.c defining guest_main(), linked
# with the guest runtime in runtime/ (PVH entry, traps, hypercalls, printf)
# at physical 1 MiB, which our dom0 (dom0/, dom0/dom0.mk) shares.  Guests
# include only include/public and runtime/.
# To add a guest: write test/guests/<name>.c and add <name> to GUESTS.
#
# The 32-bit guests (GUESTS32) are built with -m32 into ELF32 i386 images
# and never leave the 32-bit protected mode they start in (lib/head32.S);
# they share the runtime's portable files, compiled for 32 bits.

GUESTS := hello crash abi bench events grant console domctl acpi lapic mmio balloon toolstack \
	foreign platform fuzz
GUESTS32 := abi32

GUEST_CC := gcc
GUEST_LD := ld
GUEST_BUILD := build/guests
GUEST_LIB := runtime
GUEST_LIB_SRCS := $(addprefix $(GUEST_LIB)/, head.S trap_entry.S notes.c start.c trap.c \
	hypercall.c printf.c string.c cmdline.c paging.c time.c)

GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie -mcmodel=small \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fcf-protection=none -Wall -Wextra -Werror \
	-Iinclude -I$(GUEST_LIB) -MMD -MP
GUEST_ASFLAGS := -D__ASSEMBLY__ -I$(GUEST_LIB) -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -z noexecstack \
	-T $(GUEST_LIB)/guest.ld

GUEST_LIB_OBJS := $(patsubst %,$(GUEST_BUILD)/obj/%.o,$(basename $(GUEST_LIB_SRCS)))
GUEST_ELFS := $(GUESTS:%=$(GUEST_BUILD)/%.elf)

GUEST32_LIB_SRCS := $(addprefix $(GUEST_LIB)/, head32.S notes.c start.c rt32.c hypercall.c \
	printf.c string.c cmdline.c)
GUEST32_CFLAGS := $(filter-out -mno-red-zone -mcmodel=small,$(GUEST_CFLAGS)) -m32 -march=i686
GUEST32_LIB_OBJS := $(patsubst %,$(GUEST_BUILD)/obj32/%.o,$(basename $(GUEST32_LIB_SRCS)))
GUEST32_ELFS := $(GUESTS32:%=$(GUEST_BUILD)/%.elf)

.PHONY: guests guests-clean
guests: $(GUEST_ELFS) $(GUEST32_ELFS)
# Keep the objects: make would delete them as intermediate files.
.SECONDARY: $(GUEST_LIB_OBJS) $(GUESTS:%=$(GUEST_BUILD)/obj/test/guests/%.o) \
	$(GUEST32_LIB_OBJS) $(GUESTS32:%=$(GUEST_BUILD)/obj32/test/guests/%.o)

$(GUEST_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj32/%.o: %.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST32_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj32/%.o: %.S
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_ASFLAGS) -c $< -o $@

# The PHYS32_ENTRY note is what the domain builder enters by: refuse an
# image whose note went missing (e.g. dropped by a linker-script change).
check_pvh_note = @readelf -lnW $@ | grep -q 'NOTE ' && readelf -nW $@ | grep -q 'Xen.*0x00000012' || \
	{ echo "error: $@ has no XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment" >&2; rm -f $@; exit 1; }

# fuzz lives at 48 MiB, above everything its made-up calls may reach.
$(GUEST_BUILD)/fuzz.elf: GUEST_LDFLAGS := --defsym=GUEST_BASE=0x3000000 $(GUEST_LDFLAGS)

$(GUEST_ELFS): $(GUEST_BUILD)/%.elf: $(GUEST_BUILD)/obj/test/guests/%.o $(GUEST_LIB_OBJS) \
		$(GUEST_LIB)/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS)
	$(check_pvh_note)

$(GUEST32_ELFS): $(GUEST_BUILD)/%.elf: $(GUEST_BUILD)/obj32/test/guests/%.o $(GUEST32_LIB_OBJS) \
		$(GUEST_LIB)/guest.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -o $@ $< $(GUEST32_LIB_OBJS)
	$(check_pvh_note)

guests-clean:
	rm -rf $(GUEST_BUILD)

-include $(GUEST_LIB_OBJS:.o=.d) $(GUESTS:%=$(GUEST_BUILD)/obj/test/guests/%.d) \
	$(GUEST32_LIB_OBJS:.o=.d) $(GUESTS32:%=$(GUEST_BUILD)/obj32/test/guests/%.d)
