# Unit tests of the pure VT-x core logic (src/vmx/vmcs, src/ept, src/vmm/mem, src/vmm/mmio):
# tests/vtx/entry.ts re-exports thin wrappers; asc builds it into one wasm that vitest drives in
# Node (the harness runs `make vtx-unit-wasm` itself, so `vitest run tests/vtx` works alone). 1024 pages (64 MiB) of linear memory: the tests use part of it as fake physical RAM.

VTX_UNIT_DIR := $(BUILD)/vtx-unit
VTX_UNIT_WASM := $(VTX_UNIT_DIR)/vtx.wasm
VTX_UNIT_SRC := $(shell find src/vmx/vmcs src/ept src/vmm/mem src/vmm/mmio -name '*.ts' 2>/dev/null) tests/vtx/entry.ts

TEST_TARGETS += test-vtx-unit

.PHONY: test-vtx-unit vtx-unit-wasm
vtx-unit-wasm: $(VTX_UNIT_WASM)

$(VTX_UNIT_WASM): $(VTX_UNIT_SRC) mk/vtx-unit.mk
	@mkdir -p $(VTX_UNIT_DIR)
	$(NODE_BIN)/asc tests/vtx/entry.ts --runtime stub -O3 --noAssert \
	    --initialMemory 1024 --maximumMemory 1024 \
	    -o $@ -t $(VTX_UNIT_DIR)/vtx.wat

test-vtx-unit: deps $(VTX_UNIT_WASM)
	VTX_UNIT_WASM=$(VTX_UNIT_WASM) $(NODE_BIN)/vitest run tests/vtx
