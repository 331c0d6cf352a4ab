# image.mk -- the bootable image: boot stub (boot/*.asm) + compiled core (build/vmm.o), linked
# by linker.ld into build/hypervisor.elf; `make run`; the image tests and the image-size figure.
#
#   make image            build/hypervisor.elf
#   make run              boot it in Bochs with the reference Linux guest as a VM (mk/linux.mk's ISO:
#                         the kernel and initrd are multiboot2 modules); ends when the CPU halts
#   make run-guests       boot it with the embedded NASM test guests only (EMU=qemu: QEMU TCG)
#   make test-image       boot it in QEMU TCG (-kernel) and Bochs (corei7_skylake_x), check the serial
#   make bench-image      bench: image.size N bytes
#   make test-sched       the scheduling policy's unit tests (tests/sched, vitest; src/sched is the
#                         VT-x core's, whose image this fragment builds)
#
# The core's wasm comes from the core fragment's target `core-wasm` (mk/core.mk), which leaves
# build/vmm.wasm; ts2native turns it into build/vmm.asm.
#
# The test guests: build/guests/guests.o (target `guests` of mk/guests.mk) defines
# guest_images_count / guest_images (docs/native-abi.md, hw_guest_images). While that fragment
# does not exist, the image links an empty table (build/guests-none.o: count 0) and the core says
# "VMs: no guest images linked". GUESTS_OBJ=path overrides both (e.g. a bring-up guest).

DEB_PACKAGES += nasm lld procps ncurses-base qemu-system-x86 bochs bochsbios vgabios bochs-term
TEST_TARGETS += test-sched test-image
BENCH_TARGETS += bench-image

IMAGE       := $(BUILD)/hypervisor.elf
IMAGE_DISK  := $(BUILD)/hypervisor.disk
BOOT_SRCS   := $(wildcard boot/*.asm)
BOOT_INCS   := $(wildcard boot/*.inc)
BOOT_OBJS   := $(patsubst boot/%.asm,$(BUILD)/boot/%.o,$(BOOT_SRCS))
# TS2NATIVE_DIR: the back end that compiles the core (another checkout's, to compare back ends).
TS2NATIVE_DIR ?= tools/ts2native
TS2NATIVE_SRCS := $(shell find $(TS2NATIVE_DIR) -path $(TS2NATIVE_DIR)/node_modules -prune -o \
                    -type f \( -name '*.ts' -o -name '*.js' \) -print 2>/dev/null)
RUN_TIMEOUT ?= 600

.PHONY: image run run-guests test-image bench-image image-core-wasm image-guests

ifneq ($(origin GUESTS_OBJ),undefined)
image-guests:
else ifneq ($(wildcard mk/guests.mk),)
GUESTS_OBJ := $(BUILD)/guests/guests.o
image-guests: guests
else
GUESTS_OBJ := $(BUILD)/guests-none.o
image-guests: $(GUESTS_OBJ)
$(BUILD)/guests-none.o: mk/image.mk
	@mkdir -p $(@D)
	printf 'global guest_images_count, guest_images\nsection .rodata\nalign 8\nguest_images_count: dq 0\nguest_images:\n' > $(@:.o=.asm)
	nasm -f elf64 -o $@ $(@:.o=.asm)
endif

# `core-wasm` is the core fragment's target. Say plainly when that fragment is not there yet,
# rather than make's terse "no rule to make target".
ifeq ($(wildcard mk/core.mk),)
image-core-wasm:
	@echo "image: mk/core.mk (target core-wasm, which builds build/vmm.wasm) does not exist yet" >&2
	@exit 1
else
image-core-wasm: core-wasm
endif

# Two steps: core-wasm is phony (it always runs and leaves build/vmm.wasm up to date), and the
# file rules below then rebuild only what is older than their inputs.
image: deps image-core-wasm image-guests
	@$(MAKE) --no-print-directory $(IMAGE) GUESTS_OBJ=$(GUESTS_OBJ)

$(BUILD)/boot/%.o: boot/%.asm $(BOOT_INCS) mk/image.mk
	@mkdir -p $(@D)
	nasm -f elf64 -I boot/ -o $@ $<

$(BUILD)/vmm.asm: $(BUILD)/vmm.wasm $(TS2NATIVE_SRCS)
	node $(TS2NATIVE_DIR)/bin/ts2native.js compile $< -o $@

$(BUILD)/vmm.o: $(BUILD)/vmm.asm
	nasm -f elf64 -o $@ $<

# --orphan-handling=error: a section linker.ld does not place (say, a new one ts2native starts
# emitting) fails the link instead of landing somewhere the layout contract does not allow.
$(IMAGE): $(BOOT_OBJS) $(BUILD)/vmm.o $(GUESTS_OBJ) linker.ld
	ld.lld -T linker.ld -z max-page-size=4096 -nostdlib -static --orphan-handling=error \
	  -o $@ $(BOOT_OBJS) $(BUILD)/vmm.o $(GUESTS_OBJ)

# Bochs boots a raw disk through tools/emu/mbr.asm (see there why not a GRUB ISO).
$(IMAGE_DISK): $(IMAGE) tools/emu/mbr.asm tools/emu/mkdisk.sh
	tools/emu/mkdisk.sh $< $@

# Interactive: serial on stdout (works with stdin/stdout not a terminal too); ends when the
# stub reports a halted CPU, at RUN_TIMEOUT seconds, or on Ctrl-C.
RUN_UNTIL := ^boot: CPU [0-9]+ halted
# Same Bochs machine as the Linux test and the bare baseline (tools/guest-linux/bench-bochs.sh):
# 512 MiB, a fixed start date, emulated time following the instruction count.
# QEMU TCG has no VT-x: there `make run` is `make run-guests`, which shows the refusal.
ifeq ($(EMU),qemu)
run: run-guests
else
run: deps linux-iso
	@tools/emu/bochs-run.sh --cdrom $(LINUX_ISO) --mem 512 --follow --timeout $(RUN_TIMEOUT) \
	  --extra 'clock: sync=none, time0=1735689600' \
	  --workdir $(BUILD)/run-linux --until '$(RUN_UNTIL)' || echo "(bochs-run exit status $$?)"
endif

run-guests: image
ifeq ($(EMU),qemu)
	@tools/emu/qemu-run.sh --kernel $(IMAGE) --follow --timeout $(RUN_TIMEOUT) \
	  --workdir $(BUILD)/run-qemu --until '$(RUN_UNTIL)' || echo "(QEMU exit status $$?)"
else ifeq ($(EMU),bochs)
	@$(MAKE) --no-print-directory $(IMAGE_DISK)
	@tools/emu/bochs-run.sh --disk $(IMAGE_DISK) --follow --timeout $(RUN_TIMEOUT) \
	  --workdir $(BUILD)/run-bochs --until '$(RUN_UNTIL)' || echo "(bochs-run exit status $$?)"
else
	@echo "run: EMU must be bochs or qemu, not '$(EMU)'" >&2; exit 2
endif

test-image: deps
	@$(MAKE) --no-print-directory image || { \
	  echo "test-image: FAIL: build/hypervisor.elf could not be built (see above)." >&2; \
	  if [ ! -e $(BUILD)/.ts2native-milestone1 ]; then \
	    echo "test-image: ts2native has not reached milestone 1 yet ($(BUILD)/.ts2native-milestone1 is missing), so the core cannot be compiled." >&2; fi; \
	  exit 1; }
	@$(MAKE) --no-print-directory $(IMAGE_DISK)
	tests/image/test-image.sh $(IMAGE) $(IMAGE_DISK)

.PHONY: test-sched
test-sched: deps
	$(NODE_BIN)/vitest run tests/sched

bench-image: image
	@echo "bench: image.size $$(stat -c %s $(IMAGE)) bytes"
