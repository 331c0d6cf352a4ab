// The vtx unit-test wasm (built by `make vtx-unit-wasm`, see mk/vtx-unit.mk): its linear memory is
// the tests' fake physical RAM. Loading is shared by every unit-test area (tests/support/as-wasm.ts).
import { loadAsWasm, type AsWasm } from "../support/as-wasm.ts";

export type { Fn } from "../support/as-wasm.ts";
export type Vtx = AsWasm;

export function vtx(): Vtx {
  return loadAsWasm({ path: process.env["VTX_UNIT_WASM"] ?? "build/vtx-unit/vtx.wasm",
    makeTarget: "vtx-unit-wasm", lock: "vtx-unit", skipBuildEnv: "VTX_UNIT_WASM" });
}

export const MiB = 1024 * 1024;
/** Scratch area for structures passed to the wasm (well above asc's static data). */
export const SCRATCH = 1 * MiB;
/** Fake physical RAM handed to allocators and page tables: [4 MiB, 64 MiB). */
export const RAM_BASE = 4 * MiB;
export const RAM_END = 64 * MiB;
