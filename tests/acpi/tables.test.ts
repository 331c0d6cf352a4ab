// ACPI tables (src/vmm/acpi/build.ts, fadt.ts, madt.ts, dsdt.ts): built through GuestMemory
// into guest RAM, then checked twice: by a parser here (ACPI 6.4 ch. 5 layouts) and by ACPICA's
// own disassembler, `iasl -d` (acpica-tools), which must accept every table without errors or
// checksum complaints; the disassembled DSDT must recompile to the same AML.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { w, setupGuest, GM, PHYS, SCRATCH, guest, u8, u16, u32, u64, ascii, sum8, tableAt, type Table } from "./world.ts";

const REGION = 0xe0000, REGION_SIZE = 0x20000;
const build = (vcpus: number, gpa = REGION, size = REGION_SIZE): number =>
  Number(w.u64("build", GM, PHYS, gpa, size, vcpus, SCRATCH));

/** Every table reachable from the RSDP, by signature (RSDT and XSDT must agree). */
function walk(rsdp: number): Map<string, Table> {
  const out = new Map<string, Table>();
  const rsdt = tableAt(u32(rsdp + 16));
  const xsdt = tableAt(Number(u64(rsdp + 24)));
  out.set("RSDT", rsdt).set("XSDT", xsdt);
  const n = (xsdt.len - 36) / 8;
  expect((rsdt.len - 36) / 4).toBe(n);
  for (let i = 0; i < n; i++) {
    const addr = Number(u64(xsdt.addr + 36 + 8 * i));
    expect(u32(rsdt.addr + 36 + 4 * i)).toBe(addr);
    const t = tableAt(addr);
    out.set(t.sig, t);
  }
  const fadt = out.get("FACP")!;
  out.set("DSDT", tableAt(Number(u64(fadt.addr + 140))));
  out.set("FACS", tableAt(Number(u64(fadt.addr + 132))));
  return out;
}

describe("ACPI tables in guest memory", () => {
  beforeEach(setupGuest);

  it("puts the RSDP at the region start with both checksums, revision 2, RSDT and XSDT", () => {
    expect(build(4)).toBe(REGION);
    expect(ascii(REGION, 8)).toBe("RSD PTR ");
    expect(sum8(guest(REGION, 20))).toBe(0);
    expect(sum8(guest(REGION, 36))).toBe(0);
    expect(u8(REGION + 15)).toBe(2);
    expect(u32(REGION + 20)).toBe(36);
    const t = walk(REGION);
    expect([...t.keys()].sort()).toEqual(["APIC", "DSDT", "FACP", "FACS", "RSDT", "XSDT"]);
  });

  it("seals every table (checksum 0) and keeps them inside the region, FACS 64-byte aligned", () => {
    const t = walk(build(4));
    for (const [sig, tab] of t) {
      expect(tab.addr >= REGION && tab.addr + tab.len <= REGION + REGION_SIZE, sig).toBe(true);
      if (sig !== "FACS") expect(sum8(tab.bytes), `${sig} checksum`).toBe(0);
    }
    expect(t.get("FACS")!.addr % 64).toBe(0);
    expect(t.get("FACS")!.len).toBe(64);
  });

  it("FADT: revision 6, PM1a blocks and PM timer at 0x600/0x604/0x608, SCI 9, X_ fields agree", () => {
    const f = walk(build(2)).get("FACP")!;
    const a = f.addr;
    expect(f.len).toBe(276);
    expect(u8(a + 8)).toBe(6);
    expect(u16(a + 46)).toBe(9);
    expect(u32(a + 48)).toBe(0); // no SMI command port
    expect([u32(a + 56), u32(a + 64), u32(a + 76)]).toEqual([0x600, 0x604, 0x608]);
    expect([u8(a + 88), u8(a + 89), u8(a + 91)]).toEqual([4, 2, 4]);
    expect(u32(a + 112) & (1 << 20)).toBe(0); // not hardware-reduced
    expect(u32(a + 112) & (1 << 8)).not.toBe(0); // 32-bit PM timer
    expect(u32(a + 112) & (1 << 4)).toBe(0); // fixed power button present
    expect(BigInt(u32(a + 40))).toBe(u64(a + 140));
    expect(BigInt(u32(a + 36))).toBe(u64(a + 132));
    const gas = (o: number): [number, number, number, bigint] => [u8(a + o), u8(a + o + 1), u8(a + o + 3), u64(a + o + 4)];
    expect(gas(148)).toEqual([1, 32, 2, 0x600n]);
    expect(gas(172)).toEqual([1, 16, 2, 0x604n]);
    expect(gas(208)).toEqual([1, 32, 3, 0x608n]);
  });

  it("MADT: one enabled LAPIC per vCPU, the IOAPIC, IRQ0→GSI2, SCI level/high, LINT1 NMI", () => {
    const m = walk(build(3)).get("APIC")!;
    expect(u32(m.addr + 36)).toBe(0xfee00000);
    expect(u32(m.addr + 40)).toBe(1);
    const entries: number[][] = [];
    for (let p = m.addr + 44; p < m.addr + m.len; p += u8(p + 1)) entries.push([...guest(p, u8(p + 1))]);
    const le32 = (e: number[], o: number): number => (e[o]! | e[o + 1]! << 8 | e[o + 2]! << 16 | e[o + 3]! << 24) >>> 0;
    expect(entries.filter((e) => e[0] === 0).map((e) => [e[2], e[3], le32(e, 4)])).toEqual([[0, 0, 1], [1, 1, 1], [2, 2, 1]]);
    const io = entries.filter((e) => e[0] === 1);
    expect(io.map((e) => [e[2], le32(e, 4), le32(e, 8)])).toEqual([[0, 0xfec00000, 0]]);
    const iso = entries.filter((e) => e[0] === 2).map((e) => [e[2], e[3], le32(e, 4), e[8]! | e[9]! << 8]);
    expect(iso).toEqual([[0, 0, 2, 0], [0, 9, 9, 0xd]]);
    expect(entries.filter((e) => e[0] === 4)).toEqual([[4, 6, 0xff, 0, 0, 1]]);
  });

  it("scales to 255 vCPUs; refuses 0, 256, a small or non-RAM region, and writes nothing then", () => {
    const t = walk(build(255)).get("APIC")!;
    expect(t.len).toBe(44 + 255 * 8 + 12 + 20 + 6);
    expect(sum8(t.bytes)).toBe(0);
    setupGuest();
    expect(build(0)).toBe(0);
    expect(build(256)).toBe(0);
    expect(build(4, REGION, w.u32("tablesSize", 4) - 1)).toBe(0);
    expect(build(4, 0xfff00, 0x2000)).toBe(0); // the tables would cross the end of guest RAM
    expect(guest(REGION, REGION_SIZE).every((b) => b === 0)).toBe(true);
    expect(build(4, REGION + 4, w.u32("tablesSize", 4) + 12)).toBe(REGION + 16); // aligned up
  });
});

describe("iasl (ACPICA) accepts the tables", () => {
  const dir = mkdtempSync(join(tmpdir(), "tshv-acpi-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Disassembles `bytes` with iasl -d; returns the .dsl text after checking iasl's verdict. */
  function disassemble(name: string, bytes: Uint8Array): string {
    const dat = join(dir, `${name}.dat`);
    writeFileSync(dat, bytes);
    let log: string;
    try {
      log = execFileSync("iasl", ["-d", dat], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      throw new Error(`iasl -d ${name} failed (is acpica-tools installed? make deps): ${String(e)}`);
    }
    expect(log, `${name}: iasl log`).not.toMatch(/error|warning/i);
    const dsl = readFileSync(join(dir, `${name}.dsl`), "utf8");
    expect(dsl, `${name}: checksum`).not.toMatch(/Incorrect checksum/i);
    expect(dsl, `${name}: iasl remarks`).not.toMatch(/\*\*\*\*|Invalid|Unknown/);
    return dsl;
  }
  const field = (dsl: string, label: string): string => {
    const m = new RegExp(`(?:\\]|^)\\s+${label.replace(/[()]/g, "\\$&")} : (.*)`, "m").exec(dsl);
    if (!m) throw new Error(`no field ${label}`);
    return m[1]!.trim();
  };

  // (iasl does not take a bare RSDP file: it has no table header. The parser above checks it.)
  it("RSDT, XSDT and FACS disassemble cleanly and point at the FADT and MADT", () => {
    setupGuest();
    const t = walk(build(2));
    const hex = (a: number, digits: number): string => a.toString(16).toUpperCase().padStart(digits, "0");
    const x = disassemble("xsdt", t.get("XSDT")!.bytes);
    expect(field(x, "ACPI Table Address   0")).toBe(hex(t.get("FACP")!.addr, 16));
    expect(field(x, "ACPI Table Address   1")).toBe(hex(t.get("APIC")!.addr, 16));
    const r = disassemble("rsdt", t.get("RSDT")!.bytes);
    expect(field(r, "ACPI Table Address   1")).toBe(hex(t.get("APIC")!.addr, 8));
    const f = disassemble("facs", t.get("FACS")!.bytes);
    expect(field(f, "Version")).toBe("02");
  });

  it("FADT: PM1a event/control and timer ports as iasl decodes them", () => {
    setupGuest();
    const dsl = disassemble("facp", walk(build(2)).get("FACP")!.bytes);
    expect(field(dsl, "PM1A Event Block Address")).toBe("00000600");
    expect(field(dsl, "PM1A Control Block Address")).toBe("00000604");
    expect(field(dsl, "PM Timer Block Address")).toBe("00000608");
    expect(field(dsl, "SCI Interrupt")).toBe("0009");
    expect(field(dsl, "Hardware Reduced (V5)")).toBe("0");
    expect(field(dsl, "32-bit PM Timer (V1)")).toBe("1");
  });

  it("MADT: iasl lists the LAPICs, the IOAPIC and the overrides", () => {
    setupGuest();
    const dsl = disassemble("apic", walk(build(4)).get("APIC")!.bytes);
    expect(dsl.match(/Subtable Type : 00 \[Processor Local APIC\]/g)).toHaveLength(4);
    expect(dsl.match(/Subtable Type : 01 \[I\/O APIC\]/g)).toHaveLength(1);
    expect(dsl.match(/Subtable Type : 02 \[Interrupt Source Override\]/g)).toHaveLength(2);
    expect(dsl.match(/Subtable Type : 04 \[Local APIC NMI\]/g)).toHaveLength(1);
    expect(field(dsl, "PC-AT Compatibility")).toBe("1");
    expect(dsl).toMatch(/Address : FEC00000/);
  });

  it("DSDT: the _S5 package is (5, 5, 0, 0), and recompiling the ASL gives the same AML", () => {
    setupGuest();
    const dsdt = walk(build(1)).get("DSDT")!;
    const dsl = disassemble("dsdt", dsdt.bytes);
    const pkg = /Name \(_S5, Package \(0x04\)[^{]*\{([^}]*)\}/.exec(dsl);
    expect(pkg, "Name (_S5, Package …)").not.toBeNull();
    expect(pkg![1]!.split(",").map((s) => s.trim())).toEqual(["0x05", "0x05", "Zero", "Zero"]);
    execFileSync("iasl", ["-p", join(dir, "recompiled"), join(dir, "dsdt.dsl")], { cwd: dir, stdio: "pipe" });
    const aml = readFileSync(join(dir, "recompiled.aml"));
    expect(aml.length).toBe(dsdt.len);
    expect([...aml.subarray(36)]).toEqual([...dsdt.bytes.subarray(36)]);
  });
});
