# Unit tests of the VM-exit side's pure logic (src/vmm/policy, bus, devices, events, exits):
# tests/exits/entry.ts re-exports thin wrappers; asc builds it into one wasm that vitest drives in
# Node (the harness runs `make exits-unit-wasm` itself, so `vitest run tests/exits` works alone).

EXITS_UNIT_DIR := $(BUILD)/exits-unit
EXITS_UNIT_WASM := $(EXITS_UNIT_DIR)/exits.wasm
EXITS_HANDLERS_WASM := $(EXITS_UNIT_DIR)/handlers.wasm
EXITS_UNIT_SRC := $(shell find src/vmm/policy src/vmm/bus src/vmm/devices src/vmm/events src/vmm/exits \
                    src/vmm/mmio src/x86 -name '*.ts' 2>/dev/null) tests/exits/entry.ts
# The handlers build pulls in the VM/vCPU/VMCS layer too (it runs the real handlers on a fake hw).
EXITS_HANDLERS_SRC := $(shell find src -name '*.ts' 2>/dev/null) tests/exits/handlers/entry.ts

TEST_TARGETS += test-exits-unit

.PHONY: test-exits-unit exits-unit-wasm
exits-unit-wasm: $(EXITS_UNIT_WASM) $(EXITS_HANDLERS_WASM)

$(EXITS_UNIT_WASM): $(EXITS_UNIT_SRC) mk/exits-unit.mk | deps
	@mkdir -p $(EXITS_UNIT_DIR)
	$(NODE_BIN)/asc tests/exits/entry.ts --runtime stub -O3 --initialMemory 64 --maximumMemory 64 \
	    -o $@ -t $(EXITS_UNIT_DIR)/exits.wat

# 256 pages (16 MiB): the VMM's static slabs, then fake guest RAM and EPT tables (tests/exits/world.ts).
$(EXITS_HANDLERS_WASM): $(EXITS_HANDLERS_SRC) mk/exits-unit.mk | deps
	@mkdir -p $(EXITS_UNIT_DIR)
	$(NODE_BIN)/asc tests/exits/handlers/entry.ts --runtime stub -O3 --initialMemory 256 --maximumMemory 256 \
	    -o $@ -t $(EXITS_UNIT_DIR)/handlers.wat

test-exits-unit: deps $(EXITS_UNIT_WASM) $(EXITS_HANDLERS_WASM)
	EXITS_UNIT_WASM=$(EXITS_UNIT_WASM) EXITS_HANDLERS_WASM=$(EXITS_HANDLERS_WASM) $(NODE_BIN)/vitest run tests/exits
