// The VM definition parser (src/vmm/config/vm-config.ts, docs/vm-config.md) for multiboot v1
// VMs: `multiboot OPTIONS [-- CMDLINE]` followed by `module [-- STRING]` lines, which become the
// kernel's multiboot modules in order. Valid declarations, mixes with Linux VMs, and one test per
// refusal, each checking the console line names the module, its string and the reason, and that
// the VM is not created (the other VMs are).
import { describe, expect, it } from "vitest";
import { run, type Mod } from "./vm-config-harness.ts";

const K = { start: 0x2000000, end: 0x2010000 };
const M1 = { start: 0x2100000, end: 0x2101388 };
const M2 = { start: 0x2200000, end: 0x2202003 };
const L = { start: 0x3000000, end: 0x3d80000 };
const I = { start: 0x3e00000, end: 0x3f20000 };

describe("multiboot VM definitions", () => {
  it("a multiboot kernel with a command line and two modules, one without a string", () => {
    const r = run([
      { ...K, text: "multiboot name=mb mem=32 -- tshv mb1 elf32  answer=42 " },
      { ...M1, text: "module -- first module arg=1  " },
      { ...M2, text: "module" },
    ]);
    expect(r.lines).toEqual([]);
    expect(r.valid).toBe(1);
    expect(r.modules).toBe(3);
    expect(r.decls).toEqual([{
      name: "mb", mem: 32, kind: "multiboot", kernel: [K.start, K.end - K.start], initrd: [0, 0],
      cmdline: "tshv mb1 elf32  answer=42",
      modules: [
        { extent: [M1.start, M1.end - M1.start], string: "first module arg=1" },
        { extent: [M2.start, M2.end - M2.start], string: "" },
      ],
    }]);
  });

  it("defaults: 256 MiB, empty command line, no modules; `module --` gives an empty string", () => {
    const r = run([{ ...K, text: "multiboot name=a" }, { ...K, text: "multiboot name=b mem=64 --" }, { ...M1, text: "module --" }]);
    expect(r.lines).toEqual([]);
    expect(r.decls.map((d) => [d.name, d.mem, d.cmdline, d.modules])).toEqual([
      ["a", 256, "", []],
      ["b", 64, "", [{ extent: [M1.start, M1.end - M1.start], string: "" }]],
    ]);
  });

  it("a zero-length module is allowed (§3.3: mod_end >= mod_start)", () => {
    const r = run([{ ...K, text: "multiboot name=a" }, { start: 0x2300000, end: 0x2300000, text: "module -- empty" }]);
    expect(r.lines).toEqual([]);
    expect(r.decls[0]?.modules).toEqual([{ extent: [0x2300000, 0], string: "empty" }]);
  });

  it("Linux and multiboot VMs side by side, each with its own modules", () => {
    const r = run([
      { ...L, text: "linux name=lin mem=128 -- console=ttyS0" },
      { ...I, text: "initrd" },
      { ...K, text: "multiboot name=mb1 mem=32 -- one" },
      { ...M1, text: "module -- a" },
      { ...K, text: "multiboot name=mb2 mem=64 -- two" },
      { ...M2, text: "module -- b" },
      { ...M1, text: "module -- c" },
    ]);
    expect(r.lines).toEqual([]);
    expect(r.decls.map((d) => [d.name, d.kind, d.initrd[1], d.modules.map((m) => m.string)])).toEqual([
      ["lin", "linux", I.end - I.start, []],
      ["mb1", "multiboot", 0, ["a"]],
      ["mb2", "multiboot", 0, ["b", "c"]],
    ]);
  });

  // [what, modules, the refusal line, the VMs still declared, lines printed (default 1)]
  const refusals: [string, Mod[], RegExp, string[], number?][] = [
    ["no name", [{ ...K, text: "multiboot mem=32" }], /module 1 .*: name= is required; VM not created/, []],
    ["bad name", [{ ...K, text: "multiboot name=MB" }], /name= must be 1-15 characters/, []],
    ["odd mem", [{ ...K, text: "multiboot name=a mem=33" }], /mem= must be a decimal number of MiB, even, 32..2048/, []],
    ["mem too large", [{ ...K, text: "multiboot name=a mem=4096" }], /mem= must be/, []],
    ["unknown option", [{ ...K, text: "multiboot name=a vga=1" }], /unknown option/, []],
    ["empty kernel", [{ start: 0x2000000, end: 0x2000000, text: "multiboot name=a" }], /module is empty/, []],
    ["command line too long", [{ ...K, text: `multiboot name=a -- ${"x".repeat(1025)}` }], /kernel command line longer than 1024 bytes/, []],
    ["module first", [{ ...M1, text: "module -- x" }, { ...K, text: "multiboot name=b" }],
      /module 1 \(`module -- x`\): module without a preceding valid multiboot module; module ignored/, ["b"]],
    ["module after a refused kernel", [{ ...K, text: "multiboot name=A" }, { ...M1, text: "module" }],
      /module 2 .*module without a preceding valid multiboot module; module ignored/, [], 2],
    ["module options", [{ ...K, text: "multiboot name=a" }, { ...M1, text: "module name=x" }],
      /module 2 \(`module name=x`\): module takes no options \(its string follows --\); VM not created/, []],
    ["module string too long", [{ ...K, text: "multiboot name=a" }, { ...M1, text: `module -- ${"s".repeat(256)}` }],
      /module 2 .*module string longer than 255 bytes; VM not created/, []],
    ["module ends before it starts", [{ ...K, text: "multiboot name=a" }, { start: 0x2101000, end: 0x2100000, text: "module" }],
      /module 2 .*the module ends before it starts \(mod_end < mod_start\); VM not created/, []],
    ["initrd for a multiboot VM", [{ ...K, text: "multiboot name=a" }, { ...I, text: "initrd" }, { ...L, text: "linux name=b" }],
      /module 2 .*initrd after a multiboot module .*; VM not created/, ["b"]],
    ["module for a Linux VM", [{ ...L, text: "linux name=a" }, { ...M1, text: "module -- x" }, { ...K, text: "multiboot name=b" }],
      /module 2 .*module after a linux module .*; VM not created/, ["b"]],
    ["duplicate name across kinds", [{ ...L, text: "linux name=a" }, { ...K, text: "multiboot name=a" }],
      /module 2 .*another VM already has this name; VM not created/, ["a"]],
  ];
  for (const [what, mods, line, survivors, nlines] of refusals) {
    it(`refuses: ${what}`, () => {
      const r = run(mods);
      expect(r.lines.filter((l) => /^VM config: module \d+ \(`/.test(l) && line.test(l)), r.lines.join("\n")).toHaveLength(1);
      expect(r.lines).toHaveLength(nlines ?? 1);
      expect(r.decls.map((d) => d.name)).toEqual(survivors);
    });
  }

  it("a bad module refuses its VM and the modules after it are ignored", () => {
    const r = run([
      { ...K, text: "multiboot name=a" },
      { ...M1, text: "module -- ok" },
      { ...M2, text: "module bad" },
      { ...M1, text: "module -- orphan" },
      { ...K, text: "multiboot name=b" },
      { ...M2, text: "module -- mine" },
    ]);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(/module 3 .*module takes no options \(its string follows --\); VM not created/);
    expect(r.lines[1]).toMatch(/module 4 .*module without a preceding valid multiboot module; module ignored/);
    expect(r.decls.map((d) => [d.name, d.modules.map((m) => m.string)])).toEqual([["b", ["mine"]]]);
  });

  it("more than 8 boot modules: a ninth `module` refuses its VM; a ninth kernel does not refuse the one before", () => {
    const mods: Mod[] = [{ ...K, text: "multiboot name=a" }];
    for (let i = 0; i < 7; i++) mods.push({ ...M1, text: `module -- m${i}` });
    const r = run([...mods, { ...M2, text: "module -- ninth" }]);
    expect(r.lines).toEqual([expect.stringMatching(/^VM config: module 9 .*more than 8 boot modules/)]);
    expect(r.decls).toEqual([]);
    const r2 = run([...mods, { ...K, text: "multiboot name=b" }]);
    expect(r2.lines).toEqual([expect.stringMatching(/^VM config: module 9 .*more than 8 boot modules/)]);
    expect(r2.decls.map((d) => [d.name, d.modules.length])).toEqual([["a", 7]]);
  });
});
