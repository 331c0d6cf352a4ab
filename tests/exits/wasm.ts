// The exits unit-test wasm (built by `make exits-unit-wasm`, mk/exits-unit.mk). Loading is shared
// (tests/support/as-wasm.ts).
import { loadAsWasm, type AsWasm } from "../support/as-wasm.ts";

export type Exits = AsWasm;

export function exits(): Exits {
  return loadAsWasm({ path: process.env["EXITS_UNIT_WASM"] ?? "build/exits-unit/exits.wasm",
    makeTarget: "exits-unit-wasm", lock: "exits-unit", skipBuildEnv: "EXITS_UNIT_WASM" });
}

/** Scratch addresses well above asc's static data (the module has 4 MiB of memory). */
export const A = { SNAP: 0x100000, CFG: 0x101000, OUT: 0x101100, STATE: 0x102000, PAGE: 0x103000,
  PAGE_B: 0x104000, BUS: 0x105000, RANGES: 0x105100, DEV: 0x106000, EV: 0x106100, DEC: 0x106200,
  CRUP: 0x106300, INSN: 0x106400, INDEX: 0x110000 } as const;
