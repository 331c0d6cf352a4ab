// The E820 map builder (src/vmm/loader/e820.ts), against a reference written here: the type of
// every byte is the first listed reserved range covering it, else the legacy hole, else RAM.
import { describe, expect, it } from "vitest";
import { MiB, GiB, buildE820, readE820Table, type E820Entry } from "./vm.ts";

const OK = 0, BAD_RAM = 1, BAD_RES = 2, BAD_TYPE = 3, TOO_MANY = 4;
const HOLE = { addr: 0x9f000, size: 0x61000, type: 2 };

/** Reference: walk every boundary, classify, merge. */
function reference(ram: [number, number][], res: E820Entry[]): E820Entry[] {
  const all = [...res, HOLE];
  const pts = [...new Set([...ram.flat(), ...all.flatMap((r) => [r.addr, r.addr + r.size])])].sort((a, b) => a - b);
  const out: E820Entry[] = [];
  for (let i = 0; i + 1 < pts.length; i++) {
    const p = pts[i]!, q = pts[i + 1]!;
    const r = all.find((x) => p >= x.addr && p < x.addr + x.size);
    const t = r ? r.type : ram.some(([s, e]) => p >= s && p < e) ? 1 : 0;
    if (!t) continue;
    const last = out[out.length - 1];
    if (last && last.type === t && last.addr + last.size === p) last.size += q - p;
    else out.push({ addr: p, size: q - p, type: t });
  }
  return out;
}
const check = (ram: [number, number][], res: E820Entry[]): E820Entry[] => {
  expect(buildE820(ram, res)).toBe(OK);
  const got = readE820Table();
  expect(got).toEqual(reference(ram, res));
  return got;
};

describe("E820 map", () => {
  it("a plain VM: RAM split by the legacy hole", () => {
    expect(check([[0, 512 * MiB]], [])).toEqual([
      { addr: 0, size: 0x9f000, type: 1 }, HOLE, { addr: MiB, size: 511 * MiB, type: 1 },
    ]);
  });
  it("unsorted, adjacent and overlapping RAM ranges merge", () => {
    expect(check([[64 * MiB, 128 * MiB], [0, 32 * MiB], [16 * MiB, 64 * MiB]], [])).toEqual([
      { addr: 0, size: 0x9f000, type: 1 }, HOLE, { addr: MiB, size: 127 * MiB, type: 1 },
    ]);
  });
  it("reserved ranges punch RAM, sit in holes, and the first listed wins where they overlap", () => {
    const got = check([[0, 2 * GiB], [4 * GiB, 5 * GiB]], [
      { addr: 2 * GiB - 0x20000, size: 0x20000, type: 3 },
      { addr: 0xfec00000, size: 0x1000, type: 2 },
      { addr: 3 * GiB, size: GiB, type: 2 },
      { addr: 0xe0000, size: 0x20000, type: 4 },          // overrides the legacy hole's top
      { addr: 2 * GiB - 0x30000, size: 0x20000, type: 2 }, // half under the ACPI range above
    ]);
    expect(got.find((e) => e.addr === 0xe0000)).toEqual({ addr: 0xe0000, size: 0x20000, type: 4 });
    expect(got.find((e) => e.addr === 2 * GiB - 0x30000)).toEqual({ addr: 2 * GiB - 0x30000, size: 0x10000, type: 2 });
    expect(got[got.length - 1]).toEqual({ addr: 4 * GiB, size: GiB, type: 1 });
  });
  it("RAM that starts above the first MiB still gets the legacy hole", () => {
    expect(check([[MiB, 64 * MiB]], [])).toEqual([HOLE, { addr: MiB, size: 63 * MiB, type: 1 }]);
  });
  it("refuses empty or inverted RAM, empty or wrapping reserved ranges, RAM-typed reserved ranges", () => {
    expect(buildE820([[MiB, MiB]], [])).toBe(BAD_RAM);
    expect(buildE820([[2 * MiB, MiB]], [])).toBe(BAD_RAM);
    expect(buildE820([[0, MiB]], [{ addr: 0, size: 0, type: 2 }])).toBe(BAD_RES);
    expect(buildE820([[0, MiB]], [{ addr: 2 ** 63, size: 2 ** 63, type: 2 }])).toBe(BAD_RES);
    expect(buildE820([[0, MiB]], [{ addr: 0, size: 4096, type: 1 }])).toBe(BAD_TYPE);
    expect(buildE820([[0, MiB]], [{ addr: 0, size: 4096, type: 0 }])).toBe(BAD_TYPE);
  });
  it("more than 128 entries: refused, and the table is left empty", () => {
    const res = Array.from({ length: 70 }, (_, i) => ({ addr: 16 * MiB + i * 2 * 4096, size: 4096, type: 2 }));
    expect(buildE820([[0, 64 * MiB]], res)).toBe(TOO_MANY);
    expect(readE820Table()).toEqual([]);
    expect(buildE820(Array.from({ length: 129 }, (_, i) => [i * 2 * MiB, i * 2 * MiB + MiB] as [number, number]), [])).toBe(TOO_MANY);
  });
});
