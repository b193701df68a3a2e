# Our own dom0: build/dom0.elf, a PVH kernel on the guest runtime
# (runtime/, built by test/guests/guests.mk, which this fragment follows).
# Included by the top-level Makefile.
#
# DOM0_SRCS are dom0's own files; DOM0_SHARED_SRCS are the hypervisor's
# files that dom0 builds too (one source for the parsing both builders
# need): generic code that includes only freestanding headers
# (include/hv/elf.h, acpi_build.h, string.h, errno.h), whose functions the
# guest runtime provides.

DOM0_SRCS := dom0/control.c dom0/images.c dom0/builder.c dom0/bzimage.c dom0/xenstore.c \
	dom0/xsdomain.c
DOM0_SHARED_SRCS := hv/elf.c hv/acpi_build.c
DOM0_ELF := build/dom0.elf

DOM0_CFLAGS := $(GUEST_CFLAGS) -Idom0
DOM0_OBJS := $(patsubst %.c,build/dom0/obj/%.o,$(DOM0_SRCS) $(DOM0_SHARED_SRCS))

.PHONY: dom0
dom0: $(DOM0_ELF)
.SECONDARY: $(DOM0_OBJS)

build/dom0/obj/%.o: %.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(DOM0_CFLAGS) -c $< -o $@

$(DOM0_ELF): $(DOM0_OBJS) $(GUEST_LIB_OBJS) $(GUEST_LIB)/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(DOM0_OBJS) $(GUEST_LIB_OBJS)
	$(check_pvh_note)

-include $(DOM0_OBJS:.o=.d)
