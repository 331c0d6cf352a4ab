# Unit tests of the guest loaders (src/vmm/loader: Linux 64-bit boot protocol, multiboot v1, E820
# map): tests/loader/entry.ts re-exports thin wrappers; asc builds it into one wasm that vitest
# drives in Node. The Linux tests load the real Debian kernel and initrd of mk/guest-linux.mk.
# 4096 pages (256 MiB) of linear memory: the images in "host memory", EPT table frames and the
# host frames behind the fake guest RAM (tests/loader/vm.ts has the map).
#
#   make test-loader-unit   build the wasm and the reference guest, run tests/loader (in TEST_TARGETS)

LOADER_UNIT_DIR := $(BUILD)/loader-unit
LOADER_UNIT_WASM := $(LOADER_UNIT_DIR)/loader.wasm
LOADER_UNIT_SRC := $(shell find src/vmm/loader src/ept src/vmm/mem -name '*.ts' 2>/dev/null) tests/loader/entry.ts

TEST_TARGETS += test-loader-unit

.PHONY: test-loader-unit loader-unit-wasm
loader-unit-wasm: $(LOADER_UNIT_WASM)

$(LOADER_UNIT_WASM): $(LOADER_UNIT_SRC) mk/loader-unit.mk | deps
	@mkdir -p $(LOADER_UNIT_DIR)
	$(NODE_BIN)/asc tests/loader/entry.ts --runtime stub -O3 --noAssert \
	    --initialMemory 4096 --maximumMemory 4096 \
	    -o $@ -t $(LOADER_UNIT_DIR)/loader.wat
	@if grep -nE '~lib/rt/|memory\.grow|\b(f32|f64)\b' $(LOADER_UNIT_DIR)/loader.wat; then \
	  echo "loader: the loaders use the allocator, memory.grow or floats (see above)"; rm -f $@; exit 1; fi

test-loader-unit: deps guest-linux $(LOADER_UNIT_WASM)
	LOADER_UNIT_WASM=$(LOADER_UNIT_WASM) GUEST_LINUX_DIR=$(GL) $(NODE_BIN)/vitest run tests/loader
