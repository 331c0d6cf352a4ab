# Unit tests of the PC platform device models (src/vmm/platform: 16550A UART, 8259A pair + ELCR,
# 8254 PIT, port 0x61/0x80, MC146818 RTC/CMOS, PCI host bridge): tests/platform/entry.ts
# re-exports thin wrappers; asc builds it into one wasm that vitest drives in Node (the harness
# runs `make platform-unit-wasm` itself, so `vitest run tests/platform` works alone).

PLATFORM_UNIT_DIR := $(BUILD)/platform-unit
PLATFORM_UNIT_WASM := $(PLATFORM_UNIT_DIR)/platform.wasm
# The LAPIC/IOAPIC files beside these models are tested elsewhere: they are not prerequisites.
PLATFORM_UNIT_SRC := $(filter-out src/vmm/platform/lapic% src/vmm/platform/ioapic%, \
                       $(shell find src/vmm/platform -name '*.ts' 2>/dev/null)) tests/platform/entry.ts

TEST_TARGETS += test-platform-unit

.PHONY: test-platform-unit platform-unit-wasm
platform-unit-wasm: $(PLATFORM_UNIT_WASM)

# Same flags as the core (no allocator, -O3); the check below keeps the models inside the core's
# rules: no runtime allocator, no memory.grow, no floats.
$(PLATFORM_UNIT_WASM): $(PLATFORM_UNIT_SRC) mk/platform-unit.mk | deps
	@mkdir -p $(PLATFORM_UNIT_DIR)
	$(NODE_BIN)/asc tests/platform/entry.ts --runtime stub -O3 --initialMemory 4 --maximumMemory 4 \
	    -o $@ -t $(PLATFORM_UNIT_DIR)/platform.wat
	@if grep -nE '~lib/rt/|memory\.grow|\b(f32|f64)\b' $(PLATFORM_UNIT_DIR)/platform.wat; then \
	  echo "platform-unit: device models use the allocator, memory.grow or floats (see above)"; rm -f $@; exit 1; fi

test-platform-unit: deps $(PLATFORM_UNIT_WASM)
	PLATFORM_UNIT_WASM=$(PLATFORM_UNIT_WASM) $(NODE_BIN)/vitest run tests/platform
