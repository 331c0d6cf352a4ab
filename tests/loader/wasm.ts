// The loader unit-test wasm (built by `make loader-unit-wasm`, mk/loader-unit.mk): its linear memory
// holds host memory and the frames behind guest RAM. Loading is shared (tests/support/as-wasm.ts).
import { loadAsWasm, type AsWasm } from "../support/as-wasm.ts";

export type { Fn } from "../support/as-wasm.ts";
export type Wasm = AsWasm;

export function loaderWasm(): Wasm {
  return loadAsWasm({ path: process.env["LOADER_UNIT_WASM"] ?? "build/loader-unit/loader.wasm",
    makeTarget: "loader-unit-wasm", lock: "loader-unit", skipBuildEnv: "LOADER_UNIT_WASM" });
}
