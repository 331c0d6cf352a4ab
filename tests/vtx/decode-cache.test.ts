// The decode cache (src/vmm/mmio/decode-cache.ts) against the general decoder (decoder-general.ts):
// the MMIO exit path performs the cached MmioInsn whenever the cache says the bytes are the same,
// so every hit must be exactly what decoding those bytes in that mode gives. Random MOV-like
// instructions (prefixes, REX, the MMIO opcodes, random ModRM/SIB/displacement/immediate bytes) in
// all three modes; the next instruction is mostly the previous one with bytes changed after it
// (must hit), inside it (must decode as the new bytes say), or another mode.
import { describe, expect, it } from "vitest";
import { vtx, SCRATCH } from "./wasm.ts";

const v = vtx();
const CODE = SCRATCH + 0x48000;
const REF = SCRATCH + 0x48100;
const DC = SCRATCH + 0x48200;

let seed = 0x1234567;
const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;

function randomInsn(): number[] {
  const prefixes = Array.from({ length: rnd() % 3 }, () => pick([0x66, 0x67, 0xf0, 0x2e, 0x64, 0x65, 0xf3]));
  const rex = rnd() % 2 ? [0x40 | (rnd() & 15)] : [];
  const op = pick([[0x88], [0x89], [0x8a], [0x8b], [0xc6], [0xc7], [0xa0], [0xa1], [0xa2], [0xa3],
    [0x0f, 0xb6], [0x0f, 0xb7], [0x0f, 0xbe], [0x0f, 0xbf], [rnd() & 0xff]]);
  return [...prefixes, ...rex, ...op, ...Array.from({ length: 16 }, () => rnd() & 0xff)].slice(0, 16);
}

describe("the decode cache answers as the general decoder", () => {
  it("hits only for the same bytes and mode, with the same MmioInsn", () => {
    const dcSize = v.u32("dcSize");
    v.bytes.fill(0, DC, DC + dcSize); // zeroed: empty
    const bad: string[] = [];
    let hits = 0;
    let bytes = randomInsn();
    let mode = 64;
    for (let round = 0; round < 20000; round++) {
      const r = rnd() % 10;
      if (r < 3) bytes = randomInsn();
      else if (r < 4) mode = pick([16, 32, 64]);
      else if (r < 8) bytes = bytes.map((b, i) => (i >= 8 + (rnd() % 8) ? rnd() & 0xff : b)); // mostly after it
      else bytes = bytes.map((b) => (rnd() % 16 === 0 ? rnd() & 0xff : b)); // anywhere
      v.bytes.set(bytes, CODE);
      v.bytes.fill(0x5a, REF, REF + 72);
      const st = v.u32("mmioDecodeGeneral", CODE, 15, mode, REF);
      const hit = v.u32("dcLookup", DC, CODE, mode);
      const show = (): string => `${bytes.map((x) => x.toString(16)).join(" ")} mode ${mode}`;
      if (hit !== 0) {
        hits++;
        const got = [...v.bytes.subarray(hit, hit + 72)].join(",");
        const want = [...v.bytes.subarray(REF, REF + 72)].join(",");
        if (st !== 0 || got !== want) bad.push(`${show()}: cached [${got}] vs ${st} [${want}]`);
      } else {
        v.u32("dcFill", DC, CODE, mode, REF); // keeps only an OK decode
      }
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(hits).toBeGreaterThan(2000);
  });
});
