// Every status a loader returns has its own console text (what `[VM] stopped: ...` prints).
import { describe, expect, it } from "vitest";
import { v, BUF } from "./vm.ts";
import { S as LINUX } from "./linux-setup.ts";

const text = (fn: string, s: number): string => {
  const n = v.u32(fn, s, BUF);
  return new TextDecoder().decode(v.bytes.subarray(BUF, BUF + n));
};
const MULTIBOOT = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 22];

describe("status texts", () => {
  for (const [fn, codes] of [["linuxReason", Object.values(LINUX)], ["multibootReason", MULTIBOOT], ["e820Reason", [0, 1, 2, 3, 4]]] as const) {
    it(`${fn}: one distinct text per status, none unknown`, () => {
      const texts = codes.map((s) => text(fn, s));
      for (const t of texts) expect(t).not.toMatch(/^$|unknown/);
      expect(new Set(texts).size).toBe(codes.length);
      expect(text(fn, 99)).toMatch(/unknown/);
    });
  }
});
