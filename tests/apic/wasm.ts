// The APIC and ACPI unit-test wasm files (built into build/apic-acpi/ by mk/apic-acpi-unit.mk).
// Loading is shared (tests/support/as-wasm.ts).
import { loadAsWasm, type AsWasm } from "../support/as-wasm.ts";

export { root } from "../support/as-wasm.ts";
export type Wasm = AsWasm;

/** Builds (make skips fresh outputs) and instantiates `build/apic-acpi/<which>.wasm` once. */
export function load(which: "apic" | "acpi"): Wasm {
  const dir = process.env["APIC_ACPI_DIR"] ?? "build/apic-acpi";
  return loadAsWasm({ path: `${dir}/${which}.wasm`, makeTarget: `build/apic-acpi/${which}.wasm`,
    lock: "apic-acpi-unit", skipBuildEnv: "APIC_ACPI_DIR" });
}
