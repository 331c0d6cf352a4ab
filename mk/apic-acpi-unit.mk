# Unit tests of the interrupt controllers and ACPI (src/vmm/platform/lapic*.ts, ioapic.ts,
# src/vmm/acpi/): tests/apic/entry.ts and tests/acpi/entry.ts re-export thin wrappers; asc builds
# each into one wasm that vitest drives in Node (the harness runs `make apic-acpi-unit-wasm`
# itself, so `vitest run tests/apic tests/acpi` works alone). The ACPI tests disassemble the
# tables the core builds with iasl (acpica-tools) as an independent check.

DEB_PACKAGES += acpica-tools

APIC_ACPI_DIR := $(BUILD)/apic-acpi
APIC_UNIT_WASM := $(APIC_ACPI_DIR)/apic.wasm
ACPI_UNIT_WASM := $(APIC_ACPI_DIR)/acpi.wasm
APIC_UNIT_SRC := $(wildcard src/vmm/platform/lapic*.ts src/vmm/platform/ioapic*.ts) \
                 src/vmm/platform/irq-lines.ts src/vmm/platform/time.ts tests/apic/entry.ts
ACPI_UNIT_SRC := $(shell find src/vmm/acpi src/ept -name '*.ts' 2>/dev/null) $(APIC_UNIT_SRC) tests/acpi/entry.ts

TEST_TARGETS += test-apic-acpi-unit

.PHONY: test-apic-acpi-unit apic-acpi-unit-wasm
apic-acpi-unit-wasm: $(APIC_UNIT_WASM) $(ACPI_UNIT_WASM)

# 16 pages (1 MiB): state blocks at fixed addresses chosen by the tests.
$(APIC_UNIT_WASM): $(APIC_UNIT_SRC) mk/apic-acpi-unit.mk | deps
	@mkdir -p $(APIC_ACPI_DIR)
	$(NODE_BIN)/asc tests/apic/entry.ts --runtime stub -O3 --noAssert --initialMemory 16 --maximumMemory 16 \
	    -o $@ -t $(APIC_ACPI_DIR)/apic.wat

# 256 pages (16 MiB): EPT tables and fake guest RAM for the table builder (tests/acpi/world.ts).
$(ACPI_UNIT_WASM): $(ACPI_UNIT_SRC) mk/apic-acpi-unit.mk | deps
	@mkdir -p $(APIC_ACPI_DIR)
	$(NODE_BIN)/asc tests/acpi/entry.ts --runtime stub -O3 --noAssert --initialMemory 256 --maximumMemory 256 \
	    -o $@ -t $(APIC_ACPI_DIR)/acpi.wat

test-apic-acpi-unit: deps $(APIC_UNIT_WASM) $(ACPI_UNIT_WASM)
	APIC_ACPI_DIR=$(APIC_ACPI_DIR) $(NODE_BIN)/vitest run tests/apic tests/acpi
