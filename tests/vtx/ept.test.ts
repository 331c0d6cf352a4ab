// EPT map / unmap / protect / translate (src/ept) checked by an independent walker (ept-setup.ts)
// and against a model of the address space under random operations.
import { describe, expect, it } from "vitest";
import {
  v, setup, map, unmap, protect, takeInvept, refWalk, tables, freeFrames, pml4, EPT, PHYS, FRAMES, LOOKUP,
  R, W, X, RWX, WB, UC, SKYLAKE_EPT_CAP, LYNNFIELD_EPT_CAP,
} from "./ept-setup.ts";

const KiB = 1024n, MiB = 1024n * KiB, GiB = 1024n * MiB;

describe("EPTP and capabilities", () => {
  it("EPTP = PML4 | walk length 3 << 3 | WB (24.6.11), A/D off", () => {
    expect(v.u64("eptp", 0x123000n)).toBe(0x12301en);
    expect(v.u64("eptp", 0xabc_def000n | 0xfffn)).toBe(0xabc_def01en);
    setup();
    expect(v.u64("eptPtr", EPT)).toBe(BigInt(pml4()) | 0x1en);
  });
  it("every Bochs model's EPT caps are sufficient; an empty cap names what is missing", () => {
    expect(v.u64("eptCapMissing", SKYLAKE_EPT_CAP)).toBe(0n);
    expect(v.u64("eptCapMissing", LYNNFIELD_EPT_CAP)).toBe(0n);
    expect(v.u64("eptCapMissing", 0n)).toBe((1n << 6n) | (1n << 14n) | (1n << 20n) | (1n << 25n));
  });
});

describe("mapping", () => {
  it("uses 1 GiB, 2 MiB and 4 KiB pages as alignment allows", () => {
    setup();
    expect(map(1n * GiB, 2n * GiB, 1n * GiB + 2n * MiB + 8n * KiB)).toBe(0);
    expect(refWalk(1n * GiB + 5n)).toEqual({ hpa: 2n * GiB + 5n, perms: RWX, mt: WB, level: 3 });
    expect(refWalk(2n * GiB + 0x1234n)).toEqual({ hpa: 3n * GiB + 0x1234n, perms: RWX, mt: WB, level: 2 });
    expect(refWalk(2n * GiB + 2n * MiB + 4097n)).toEqual({ hpa: 3n * GiB + 2n * MiB + 4097n, perms: RWX, mt: WB, level: 1 });
    expect(refWalk(2n * GiB + 2n * MiB + 8n * KiB)).toBeNull();
    expect(refWalk(0n)).toBeNull();
    expect(tables()).toBe(4); // PML4, PDPT, PD, PT
    expect(takeInvept()).toBe(false); // only non-present entries were filled
  });
  it("without 1 GiB support (Lynnfield) a GiB becomes 512 large pages", () => {
    setup(LYNNFIELD_EPT_CAP);
    expect(map(1n * GiB, 2n * GiB, 1n * GiB)).toBe(0);
    expect(refWalk(1n * GiB + 1023n * MiB)!.level).toBe(2);
    expect(tables()).toBe(3);
  });
  it("misaligned host address forces 4 KiB pages; MMIO holes map UC", () => {
    setup();
    expect(map(0n, 0x1000n, 4n * MiB)).toBe(0);
    expect(refWalk(2n * MiB)).toEqual({ hpa: 2n * MiB + 0x1000n, perms: RWX, mt: WB, level: 1 });
    expect(tables()).toBe(3 + 2);
    expect(map(0xfee00000n, 0xfee00000n, 4096n, R | W, UC)).toBe(0);
    expect(refWalk(0xfee00010n)).toEqual({ hpa: 0xfee00010n, perms: R | W, mt: UC, level: 1 });
  });
  it("translate reports what the walker sees", () => {
    setup();
    map(2n * MiB, 6n * MiB, 2n * MiB, R | X);
    expect(v.u32("eptLookup", EPT, PHYS, 2n * MiB + 77n, LOOKUP)).toBe(0);
    expect(v.mem.getBigUint64(LOOKUP, true)).toBe(6n * MiB + 77n);
    expect(v.mem.getBigUint64(LOOKUP + 8, true)).toBe(2n * MiB);
    expect(v.mem.getUint32(LOOKUP + 16, true)).toBe(5);
    expect(v.mem.getUint32(LOOKUP + 20, true)).toBe(WB);
    expect(v.mem.getUint32(LOOKUP + 24, true)).toBe(2);
    expect(v.u32("eptLookup", EPT, PHYS, 4n * MiB, LOOKUP)).toBe(3);
    expect(v.u32("eptLookup", EPT, PHYS, 1n << 48n, LOOKUP)).toBe(3);
  });
  it("rejects bad arguments", () => {
    setup();
    expect(map(0x800n, 0n, 4096n)).toBe(2);
    expect(map(0n, 0x800n, 4096n)).toBe(2);
    expect(map(0n, 0n, 0n)).toBe(2);
    expect(map(0n, 0n, 4096n, W)).toBe(2); // write without read: EPT misconfiguration
    expect(map(0n, 0n, 4096n, 0n)).toBe(2);
    expect(map(0n, 0n, 4096n, RWX, 5)).toBe(2);
    expect(map((1n << 48n) - 4096n, 0n, 8192n)).toBe(2);
    expect(map(0n, 1n << 52n, 4096n)).toBe(2);
    expect(map(0n, 0n, 4096n, X)).toBe(0); // execute-only: Skylake supports it
    setup(0x00000f0106334140n); // same without execute-only
    expect(map(0n, 0n, 4096n, X)).toBe(2);
  });
  it("runs out of table frames cleanly", () => {
    setup(SKYLAKE_EPT_CAP, 3 * 4096); // bitmap block + PML4 + one more
    expect(map(0n, 0n, 4096n)).toBe(1);
    expect(refWalk(0n)).toBeNull();
  });
});

describe("changing mappings", () => {
  it("protecting 4 KiB inside a 2 MiB page splits it and keeps the rest", () => {
    setup();
    map(0n, 8n * MiB, 2n * MiB);
    expect(takeInvept()).toBe(false);
    expect(protect(0x1000n, 0x1000n, R)).toBe(0);
    expect(takeInvept()).toBe(true);
    expect(takeInvept()).toBe(false); // taking clears it
    expect(refWalk(0n)).toEqual({ hpa: 8n * MiB, perms: RWX, mt: WB, level: 1 });
    expect(refWalk(0x1fffn)).toEqual({ hpa: 8n * MiB + 0x1fffn, perms: R, mt: WB, level: 1 });
    expect(refWalk(0x2000n)).toEqual({ hpa: 8n * MiB + 0x2000n, perms: RWX, mt: WB, level: 1 });
    expect(refWalk(2n * MiB - 1n)!.hpa).toBe(10n * MiB - 1n);
  });
  it("unmapping 2 MiB inside a 1 GiB page splits it to 2 MiB pages only", () => {
    setup();
    map(0n, 4n * GiB, 1n * GiB);
    const before = tables();
    expect(unmap(6n * MiB, 2n * MiB)).toBe(0);
    expect(tables()).toBe(before + 1);
    expect(refWalk(6n * MiB)).toBeNull();
    expect(refWalk(8n * MiB)).toEqual({ hpa: 4n * GiB + 8n * MiB, perms: RWX, mt: WB, level: 2 });
    expect(refWalk(4n * MiB)!.level).toBe(2);
    expect(takeInvept()).toBe(true);
  });
  it("unmapping a hole changes nothing and needs no INVEPT; remapping frees replaced tables", () => {
    setup();
    expect(unmap(0n, 1n * GiB)).toBe(0);
    expect(takeInvept()).toBe(false);
    map(0n, 0x1000n, 2n * MiB); // 4 KiB pages: PT allocated
    expect(tables()).toBe(4);
    map(0n, 0n, 2n * MiB); // now one 2 MiB leaf replaces the PT
    expect(tables()).toBe(3);
    expect(refWalk(4096n)!.level).toBe(2);
    expect(takeInvept()).toBe(true);
  });
  it("destroy returns every table frame", () => {
    const before = setup();
    map(0n, 0n, 3n * GiB + 4096n * 3n);
    protect(5n * MiB, 4096n, R);
    unmap(1n * GiB + 4096n, 4096n);
    map(0x7f_0000_0000n, 0x1000n, 64n * 4096n);
    expect(freeFrames()).toBeLessThan(before);
    v.fn("eptFree")(EPT, PHYS, FRAMES);
    expect(freeFrames()).toBe(before);
    expect(v.mem.getUint32(EPT + 12, true)).toBe(0);
  });
  it("random map/unmap/protect sequences agree with a model of the address space", () => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 8) % n; };
    type Op = { kind: "map" | "unmap" | "protect"; gpa: bigint; size: bigint; hpa: bigint; perms: bigint };
    for (let round = 0; round < 4; round++) {
      const before = setup();
      const ops: Op[] = [];
      for (let i = 0; i < 40; i++) {
        const unit = [4096n, 2n * MiB, 1n * GiB][rnd(3)]!;
        const gpa = BigInt(rnd(4096)) * 4096n * (unit === 1n * GiB ? 0n : 1n) + BigInt(rnd(3)) * unit + (rnd(2) ? 0n : BigInt(rnd(8)) * 4096n);
        const size = unit * BigInt(1 + rnd(2)) + (rnd(3) === 0 ? BigInt(rnd(16)) * 4096n : 0n);
        const kind = (["map", "map", "unmap", "protect"] as const)[rnd(4)]!;
        const hpa = (BigInt(rnd(64)) * (rnd(2) ? 1n * GiB : 2n * MiB)) + (rnd(4) === 0 && unit !== 1n * GiB ? 4096n : 0n);
        const perms = [R, R | W, R | X, RWX][rnd(4)]!;
        const op = { kind, gpa, size, hpa, perms };
        ops.push(op);
        const st = kind === "map" ? map(gpa, hpa, size, perms) : kind === "unmap" ? unmap(gpa, size) : protect(gpa, size, perms);
        expect(st, JSON.stringify(op, (_k, x) => typeof x === "bigint" ? x.toString(16) : x)).toBe(0);
      }
      const model = (g: bigint): { hpa: bigint; perms: bigint } | null => {
        let cur: { hpa: bigint; perms: bigint } | null = null;
        for (const op of ops) {
          if (g < op.gpa || g >= op.gpa + op.size) continue;
          if (op.kind === "map") cur = { hpa: op.hpa + (g - op.gpa), perms: op.perms };
          else if (op.kind === "unmap") cur = null;
          else if (cur) cur = { hpa: cur.hpa, perms: op.perms };
        }
        return cur;
      };
      const probes: bigint[] = [];
      for (const op of ops) probes.push(op.gpa, op.gpa + op.size - 1n, op.gpa + op.size, op.gpa - 1n);
      for (let i = 0; i < 300; i++) probes.push(BigInt(rnd(1 << 20)) * 4096n + BigInt(rnd(4096)));
      let hits = 0;
      for (const g of probes) {
        if (g < 0n) continue;
        if (model(g)) hits++;
        const want = model(g);
        const got = refWalk(g);
        if (want === null) expect(got, `gpa ${g.toString(16)}`).toBeNull();
        else expect(got && { hpa: got.hpa, perms: got.perms }, `gpa ${g.toString(16)}`).toEqual(want);
      }
      expect(hits).toBeGreaterThan(probes.length / 4); // the probes do look at mapped memory
      v.fn("eptFree")(EPT, PHYS, FRAMES);
      expect(freeFrames()).toBe(before);
    }
  });
});
