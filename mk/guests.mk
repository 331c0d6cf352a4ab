# guests.mk -- the NASM test guests (tests/guests/, docs/guest-protocol.md), their integration
# test on the hypervisor in Bochs, and the VM-exit cost figures.
#
#   make guests        build/guests/<name>.bin (flat TSG1 images) and build/guests/guests.o, the
#                      table `guest_images` / `guest_images_count` that mk/image.mk links in
#   make test-vmx      boot the image in Bochs, assert every guest's PASS lines, stops and exits
#   make bench-exits   bench: exit.{cpuid,io_out,mmio_write,io_in_dev} N instructions (in BENCH_TARGETS)
#
# TEST_GUESTS is the table's order, the order the VMs are created in: spin comes first so that the
# others can only finish if the VMX-preemption timer takes the CPU back from it. Another list
# (`make image TEST_GUESTS="rm16 lm64"`) builds an image with only those; test-vmx needs them all.

DEB_PACKAGES += nasm coreutils procps bochs bochsbios vgabios bochs-term ncurses-base
TEST_TARGETS += test-vmx
BENCH_TARGETS += bench-exits

TEST_GUESTS ?= spin rm16 pm32 lm64 oob triple hostile bench
GUEST_DIR := $(BUILD)/guests
GUEST_BINS := $(patsubst %,$(GUEST_DIR)/%.bin,$(TEST_GUESTS))
GUEST_INCS := $(wildcard tests/guests/*.inc)
GUEST_TABLE_OBJ := $(GUEST_DIR)/guests.o
TEST_VMX_TIMEOUT ?= 300

.PHONY: guests test-vmx bench-exits

guests: deps
	@$(MAKE) --no-print-directory $(GUEST_TABLE_OBJ)

$(GUEST_DIR)/%.bin: tests/guests/%.asm $(GUEST_INCS) mk/guests.mk
	@mkdir -p $(@D)
	nasm -f bin -w+all -I tests/guests/ -o $@ $<

# The list, rewritten only when it changes, so that a different TEST_GUESTS rebuilds the table.
.PHONY: FORCE-guest-list
$(GUEST_DIR)/list: FORCE-guest-list
	@mkdir -p $(@D)
	@echo '$(TEST_GUESTS)' > $@.tmp; if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(GUEST_DIR)/guests.asm: $(GUEST_BINS) $(GUEST_DIR)/list tests/guests/mkimages.sh
	tests/guests/mkimages.sh $@ $(foreach g,$(TEST_GUESTS),$(g)=$(GUEST_DIR)/$(g).bin)

$(GUEST_TABLE_OBJ): $(GUEST_DIR)/guests.asm
	nasm -f elf64 -o $@ $<

# Both need the hypervisor image with the guests linked in (mk/image.mk) and its Bochs disk.
test-vmx: deps guests
	@$(MAKE) --no-print-directory image
	@$(MAKE) --no-print-directory $(IMAGE_DISK)
	tests/vmx/test-vmx.sh $(IMAGE_DISK) $(TEST_VMX_TIMEOUT)

bench-exits: deps guests
	@$(MAKE) --no-print-directory image
	@$(MAKE) --no-print-directory $(IMAGE_DISK)
	@tests/vmx/bench-exits.sh $(IMAGE_DISK) $(TEST_VMX_TIMEOUT)
