# The reference Linux guest under the hypervisor (docs/vm-config.md, tools/guest-linux/README.md).
#   make run            (mk/image.mk) boots the hypervisor with the Linux VM in Bochs
#   make test-linux     the same boot, checked line by line (tests/linux/boot-hv.sh); in TEST_TARGETS
#   make bench-linux    bench: linux.boot_instructions / linux.boot_exits / linux.boot_overhead
#                       (against the bare-Bochs baseline of tools/guest-linux/bench-bochs.sh)
#   make test-linux-panic  a guest that idles, panics and resets: its VM ends, the hypervisor goes on
#   make test-vm-config unit tests of the VM definition parser (tests/linux/config*.test.ts) and of
#                       the PC platform wiring (tests/linux/pc.test.ts), in Node
#
# The ISO (tools/emu/mklinuxiso.sh): GRUB loads build/hypervisor.elf by multiboot2, the kernel
# and initrd of build/guest-linux as multiboot2 modules; the kernel module's string declares the
# VM (`linux name=linux mem=256 -- <cmdline>`).

DEB_PACKAGES += grub-pc-bin grub-common xorriso mtools bochs bochsbios vgabios bochs-term
TEST_TARGETS += test-vm-config test-linux test-linux-panic
BENCH_TARGETS += bench-linux

LINUX_ISO := $(BUILD)/linux/hv-linux.iso
LINUX_RUN := $(BUILD)/linux/run
LINUX_PANIC_ISO := $(BUILD)/linux/hv-panic.iso
# init is `busybox sleep 1`: the vCPU idles, then init exits and the kernel panics and resets.
LINUX_PANIC_CMDLINE := console=ttyS0 quiet cryptomgr.notests panic=-1 rdinit=/bin/busybox -- sleep 1
VMCFG_WASM := $(BUILD)/linux/vm-config.wasm
PC_WASM := $(BUILD)/linux/pc.wasm

.PHONY: linux-iso test-linux test-linux-panic bench-linux test-vm-config

linux-iso: image guest-linux
	@$(MAKE) --no-print-directory $(LINUX_ISO)

$(LINUX_ISO): $(IMAGE) $(GUEST_LINUX) tools/emu/mklinuxiso.sh
	@mkdir -p $(@D)
	tools/emu/mklinuxiso.sh $(IMAGE) $(GL) $@

test-linux: deps linux-iso
	tests/linux/boot-hv.sh $(LINUX_ISO) $(GL) $(LINUX_RUN)

$(LINUX_PANIC_ISO): $(IMAGE) $(GUEST_LINUX) tools/emu/mklinuxiso.sh mk/linux.mk
	@mkdir -p $(@D)
	LINUX_VM_CMDLINE='$(LINUX_PANIC_CMDLINE)' tools/emu/mklinuxiso.sh $(IMAGE) $(GL) $@

test-linux-panic: deps image guest-linux
	@$(MAKE) --no-print-directory $(LINUX_PANIC_ISO)
	tests/linux/panic-hv.sh $(LINUX_PANIC_ISO) $(BUILD)/linux/panic

# One hypervisor run and one bare run; the ratio compares kernel entry → init marker on both.
bench-linux: deps linux-iso
	@tests/linux/boot-hv.sh $(LINUX_ISO) $(GL) $(LINUX_RUN) >/dev/null
	@bare=$$($(GL_SRC)/bench-bochs.sh $(GL) | sed -n 's/^bench: linux.bare_kernel_to_marker_tsc \([0-9]*\) instructions$$/\1/p'); \
	[ -n "$$bare" ] || { echo "bench-linux: the bare baseline gave no figure" >&2; exit 1; }; \
	. $(LINUX_RUN)/figures; \
	hv=$$((marker - first_entry)); \
	echo "bench: linux.boot_instructions $$hv instructions"; \
	echo "bench: linux.boot_exits $$exits exits"; \
	echo "bench: linux.boot_overhead $$(awk -v a=$$hv -v b=$$bare 'BEGIN { printf "%.4f", a / b }') ratio"; \
	echo "bench-linux: info: bare kernel entry → marker $$bare instructions; hypervisor run wall $$((wall_ms / 1000)) s" >&2

# The parser alone, built by asc with a stub console (tests/linux/entry.ts).
$(VMCFG_WASM): $(wildcard src/vmm/config/*.ts) tests/linux/entry.ts $(wildcard src/vmm/console/*.ts) src/hw.ts mk/linux.mk | deps
	@mkdir -p $(@D)
	$(NODE_BIN)/asc tests/linux/entry.ts --runtime stub -O3 --noAssert --initialMemory 4 --maximumMemory 4 \
	    --use abort= -o $@

# The PC platform wiring (src/vmm/pc/) with its device models, no VT-x (tests/linux/pc/entry.ts).
$(PC_WASM): $(shell find src/vmm/pc src/vmm/platform src/vmm/acpi src/vmm/console -name '*.ts') src/vmm/vm.ts tests/linux/pc/entry.ts mk/linux.mk | deps
	@mkdir -p $(@D)
	$(NODE_BIN)/asc tests/linux/pc/entry.ts --runtime stub -O3 --noAssert --initialMemory 32 --maximumMemory 32 \
	    --use abort= -o $@

test-vm-config: deps $(VMCFG_WASM) $(PC_WASM)
	VMCFG_WASM=$(VMCFG_WASM) PC_WASM=$(PC_WASM) $(NODE_BIN)/vitest run tests/linux
