// The VM definition parser (src/vmm/config/vm-config.ts, docs/vm-config.md) on multiboot2
// information blocks built here: valid declarations, and one test per refusal, each checking the
// console line names the module, its string and the reason, and that the VM is not created.
import { describe, expect, it } from "vitest";
import { run, type Mod } from "./vm-config-harness.ts";

const K = { start: 0x2000000, end: 0x2d80000 };
const I = { start: 0x2e00000, end: 0x2f20000 };

describe("VM definitions from multiboot2 modules", () => {
  it("a linux module with options, a command line and its initrd", () => {
    const r = run([
      { ...K, text: "linux name=web-1 mem=128 -- console=ttyS0 quiet  " },
      { ...I, text: "initrd" },
    ]);
    expect(r.lines).toEqual([]);
    expect(r.valid).toBe(1);
    expect(r.modules).toBe(2);
    expect(r.decls).toEqual([{
      name: "web-1", mem: 128, kind: "linux", kernel: [K.start, K.end - K.start], initrd: [I.start, I.end - I.start],
      cmdline: "console=ttyS0 quiet", modules: [],
    }]);
    expect(r.extent(0)).toEqual([BigInt(K.start), BigInt(K.end)]);
    expect(r.extent(1)).toEqual([BigInt(I.start), BigInt(I.end)]);
    expect(r.extent(2)).toEqual([-1n, -1n]); // no third module (u64 max, as i64)
  });

  it("defaults: 256 MiB, empty command line, no initrd; two VMs", () => {
    const r = run([{ ...K, text: "linux name=a" }, { ...K, text: "linux  name=b  mem=64" }]);
    expect(r.decls.map((d) => [d.name, d.mem, d.cmdline, d.initrd[1]])).toEqual([["a", 256, "", 0], ["b", 64, "", 0]]);
  });

  const refusals: [string, Mod[], RegExp][] = [
    ["unknown kind", [{ ...K, text: "linuz name=a" }], /module 1 \(`linuz name=a`\): the first word must be `linux`, `initrd`, `multiboot` or `module`; module ignored/],
    ["no name", [{ ...K, text: "linux mem=64" }], /module 1 .*: name= is required; VM not created/],
    ["bad name", [{ ...K, text: "linux name=Web" }], /name= must be 1-15 characters/],
    ["long name", [{ ...K, text: "linux name=abcdefghijklmnop" }], /name= must be 1-15 characters/],
    ["odd mem", [{ ...K, text: "linux name=a mem=65" }], /mem= must be a decimal number of MiB, even, 32..2048/],
    ["small mem", [{ ...K, text: "linux name=a mem=16" }], /mem= must be/],
    ["mem not a number", [{ ...K, text: "linux name=a mem=0x40" }], /mem= must be/],
    ["unknown option", [{ ...K, text: "linux name=a cpus=2" }], /unknown option/],
    ["option twice", [{ ...K, text: "linux name=a name=b" }], /option given twice/],
    ["empty module", [{ start: 0x3000000, end: 0x3000000, text: "linux name=a" }], /module is empty/],
    ["initrd first", [{ ...I, text: "initrd" }, { ...K, text: "linux name=a" }], /initrd module without a preceding valid linux module/],
    ["initrd options", [{ ...K, text: "linux name=a" }, { ...I, text: "initrd mem=4" }], /initrd takes no options; VM not created/],
    ["two initrds", [{ ...K, text: "linux name=a" }, { ...I, text: "initrd" }, { ...I, text: "initrd" }], /second initrd/],
    ["duplicate name", [{ ...K, text: "linux name=a" }, { ...K, text: "linux name=a" }], /module 2 .*another VM already has this name/],
    ["command line too long", [{ ...K, text: `linux name=a -- ${"x".repeat(1025)}` }], /longer than 1024 bytes/],
  ];
  for (const [what, mods, line] of refusals) {
    it(`refuses: ${what}`, () => {
      const r = run(mods);
      expect(r.lines.length).toBeGreaterThan(0);
      expect(r.lines.some((l) => /^VM config: module \d+ \(`/.test(l) && line.test(l))).toBe(true);
      // The refused VM is not created; only the unrelated valid one (if any) is.
      expect(r.decls.every((d) => d.name !== "a" || what === "initrd first" || what === "duplicate name")).toBe(true);
    });
  }

  it("refuses a string that runs past its tag", () => {
    // 16 bytes of string and no NUL: the tag (32 bytes) ends where the string does, and the
    // next bytes (the end tag) must not be read as part of it.
    const r = run([{ ...K, text: "linux name=abcde" }], { unterminated: true });
    expect(r.valid).toBe(0);
    expect(r.lines).toEqual(["VM config: module 1 (`linux name=abcde`): module string is not NUL-terminated inside its tag; module ignored"]);
  });

  it("a duplicate name keeps the first VM", () => {
    const r = run([{ ...K, text: "linux name=a mem=64" }, { ...K, text: "linux name=a" }]);
    expect(r.decls.map((d) => [d.name, d.mem])).toEqual([["a", 64]]);
  });

  it("more than 4 VMs: the fifth is refused", () => {
    const r = run(["a", "b", "c", "d", "e"].map((n) => ({ ...K, text: `linux name=${n}` })));
    expect(r.decls.map((d) => d.name)).toEqual(["a", "b", "c", "d"]);
    expect(r.lines.some((l) => /module 5 .*too many VMs declared/.test(l))).toBe(true);
  });

  it("more than 8 modules: the ninth is refused with its VM", () => {
    const mods: Mod[] = [];
    for (const n of ["a", "b", "c", "d"]) mods.push({ ...K, text: `linux name=${n}` }, { ...I, text: "initrd" });
    mods[6] = { ...K, text: "linux name=d" };
    mods[7] = { ...K, text: "linux name=e" };
    mods.push({ ...I, text: "initrd" });
    const r = run(mods);
    expect(r.lines.some((l) => /module 9 .*more than 8 boot modules/.test(l))).toBe(true);
    expect(r.decls.map((d) => d.name)).not.toContain("e");
  });
});
