// The platform unit-test wasm (built by `make platform-unit-wasm`, mk/platform-unit.mk); device state
// lives in its linear memory. Loading is shared (tests/support/as-wasm.ts).
import { loadAsWasm, type AsWasm } from "../support/as-wasm.ts";

export type { Arg, Fn } from "../support/as-wasm.ts";
export type Platform = AsWasm;

export function platform(): Platform {
  return loadAsWasm({ path: process.env["PLATFORM_UNIT_WASM"] ?? "build/platform-unit/platform.wasm",
    makeTarget: "platform-unit-wasm", lock: "platform-unit", skipBuildEnv: "PLATFORM_UNIT_WASM" });
}

/** Scratch area for device state (above asc's static data; the module has 4 pages = 256 KiB). */
export const SCRATCH = 64 * 1024;
export const U64_MAX = 0xffffffffffffffffn;

/** A bump allocator over the scratch area, reset per test file: each device gets fresh, 64-byte
 *  aligned state, pre-filled with 0xA5 so nothing relies on zeroed memory. */
export function layout(p: Platform): (size: number) => number {
  let next = SCRATCH;
  return (size: number): number => {
    const at = next;
    next = (next + size + 63) & ~63;
    if (next > p.bytes.length) throw new Error("scratch exhausted");
    p.bytes.fill(0xa5, at, at + size);
    return at;
  };
}
