# Our own dom0: build/dom0.elf, a PVH kernel on the guest runtime
# (runtime/, built by test/guests/guests.mk, which this fragment follows).
# Included by the top-level Makefile.
#
# DOM0_SRCS are dom0's own files; DOM0_SHARED_SRCS are the hypervisor's
# files that dom0 builds too (one source for the parsing both builders
# need), compiled with dom0/include first on the include path so that
# their hv/ headers resolve to dom0's small stand-ins.

DOM0_SRCS := dom0/control.c
DOM0_SHARED_SRCS :=
DOM0_ELF := build/dom0.elf

DOM0_CFLAGS := $(GUEST_CFLAGS) -Idom0 -Idom0/include
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
