# multiboot.mk -- multiboot v1 kernels as VMs (docs/vm-config.md, kinds `multiboot` and `module`):
# the NASM test kernels of tests/guests-mb1/ booted under the hypervisor in Bochs.
#
#   make mb1-kernels     $(BUILD)/guests-mb1/: mb-elf.elf (ELF32, linked by tests/guests-mb1/elf.ld),
#                        mb-aout.bin (flat, a.out kludge), mod1.bin .. mod3.bin (their modules)
#   make test-multiboot  a GRUB ISO with the hypervisor and both kernels declared as two VMs with
#                        modules (tests/guests-mb1/mkiso.sh), booted in Bochs; every kernel check
#                        and both ACPI power-offs asserted (tests/guests-mb1/boot-mb1.sh)

DEB_PACKAGES += nasm lld grub-pc-bin grub-common xorriso mtools bochs bochsbios vgabios bochs-term
TEST_TARGETS += test-multiboot

MB1_SRC := tests/guests-mb1
MB1_DIR := $(BUILD)/guests-mb1
MB1_INCS := $(wildcard $(MB1_SRC)/*.inc)
MB1_FILES := $(MB1_DIR)/mb-elf.elf $(MB1_DIR)/mb-aout.bin $(MB1_DIR)/mod1.bin $(MB1_DIR)/mod2.bin $(MB1_DIR)/mod3.bin
MB1_ISO := $(MB1_DIR)/hv-mb1.iso
TEST_MULTIBOOT_TIMEOUT ?= 240

.PHONY: mb1-kernels test-multiboot

mb1-kernels: deps
	@$(MAKE) --no-print-directory $(MB1_FILES)

$(MB1_DIR)/mb-elf.o: $(MB1_SRC)/mb-elf.asm $(MB1_INCS) mk/multiboot.mk
	@mkdir -p $(@D)
	nasm -f elf32 -w+all -I $(MB1_SRC)/ -o $@ $<

$(MB1_DIR)/mb-elf.elf: $(MB1_DIR)/mb-elf.o $(MB1_SRC)/elf.ld
	ld.lld -m elf_i386 -T $(MB1_SRC)/elf.ld -z max-page-size=4096 -nostdlib -static -o $@ $<

$(MB1_DIR)/mb-aout.bin: $(MB1_SRC)/mb-aout.asm $(MB1_INCS) mk/multiboot.mk
	@mkdir -p $(@D)
	nasm -f bin -w+all -I $(MB1_SRC)/ -o $@ $<

$(MB1_DIR)/mod%.bin: $(MB1_SRC)/module.asm $(MB1_SRC)/modules.inc
	@mkdir -p $(@D)
	nasm -f bin -w+all -I $(MB1_SRC)/ -DMOD=$* -o $@ $<

$(MB1_ISO): $(IMAGE) $(MB1_FILES) $(MB1_SRC)/mkiso.sh tools/emu/mkgrubiso.sh
	$(MB1_SRC)/mkiso.sh $(IMAGE) $(MB1_DIR) $@

test-multiboot: deps image mb1-kernels
	@$(MAKE) --no-print-directory $(MB1_ISO)
	$(MB1_SRC)/boot-mb1.sh $(MB1_ISO) $(MB1_DIR)/run $(TEST_MULTIBOOT_TIMEOUT)
