// VMCS field encodings (src/vmx/vmcs/fields.ts) against SDM Vol 3C Appendix B and §24.11.2.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { vtx } from "./wasm.ts";

interface Field { group: string; name: string; enc: number }

/** Every member of every `Vmcs*` const enum in fields.ts, parsed from the source. */
function parseFields(): Field[] {
  const src = readFileSync(new URL("../../src/vmx/vmcs/fields.ts", import.meta.url), "utf8");
  const out: Field[] = [];
  for (const m of src.matchAll(/export const enum (Vmcs\w+) \{([^}]*)\}/g)) {
    const group = m[1]!;
    if (group === "VmcsWidth" || group === "VmcsType") continue;
    for (const e of m[2]!.matchAll(/(\w+)\s*=\s*(0x[0-9A-Fa-f]+)/g)) {
      out.push({ group, name: e[1]!, enc: Number(e[2]) });
    }
  }
  return out;
}

const WIDTH: Record<string, number> = { "16": 0, "64": 1, "32": 2, Nat: 3 };
const TYPE: Record<string, number> = { Ctl: 0, Ro: 1, Guest: 2, Host: 3 };

describe("VMCS field encodings", () => {
  const v = vtx();
  const fields = parseFields();

  it("parses every group with members", () => {
    const groups = new Set(fields.map((f) => f.group));
    expect(groups.size).toBe(15); // 16-bit has no read-only group: 4 widths x 4 types - 1
    expect(fields.length).toBeGreaterThan(140);
  });

  it("each field's width (bits 14:13) and type (bits 11:10) match its enum", () => {
    for (const f of fields) {
      const m = /^Vmcs(16|32|64|Nat)(Ctl|Ro|Guest|Host)$/.exec(f.group);
      expect(m, f.group).not.toBeNull();
      expect(v.u32("fieldWidth", f.enc), `${f.group}.${f.name}`).toBe(WIDTH[m![1]!]);
      expect(v.u32("fieldType", f.enc), `${f.group}.${f.name}`).toBe(TYPE[m![2]!]);
      expect(v.u32("fieldValid", f.enc), `${f.group}.${f.name}`).toBe(1);
      expect(f.enc & 1, `${f.group}.${f.name} is a full encoding`).toBe(0);
    }
  });

  it("no encoding and no name is repeated", () => {
    const encs = new Set(fields.map((f) => f.enc));
    expect(encs.size).toBe(fields.length);
    const names = new Set(fields.map((f) => `${f.group}.${f.name}`));
    expect(names.size).toBe(fields.length);
  });

  it("high access (bit 0) exists only for 64-bit fields", () => {
    for (const f of fields) {
      const high = v.u32("fieldHigh", f.enc);
      if (f.group.startsWith("Vmcs64")) {
        expect(high).toBe(f.enc | 1);
        expect(v.u32("fieldValid", high)).toBe(1);
        expect(v.u32("fieldSize", high)).toBe(4);
        expect(v.u32("fieldSize", f.enc)).toBe(8);
      } else {
        expect(high).toBe(0xffffffff);
        expect(v.u32("fieldValid", f.enc | 1)).toBe(0);
      }
    }
  });

  it("sizes follow the width; reserved bits make an encoding invalid", () => {
    expect(v.u32("fieldSize", 0x0802)).toBe(2);
    expect(v.u32("fieldSize", 0x4826)).toBe(4);
    expect(v.u32("fieldSize", 0x681e)).toBe(8);
    expect(v.u32("fieldValid", 0x681e | 0x1000)).toBe(0); // bit 12
    expect(v.u32("fieldValid", 0x681e | 0x8000)).toBe(0); // bit 15
    expect(v.u32("fieldIndex", 0x681e)).toBe(15); // RIP is index 15 of natural guest state
  });

  it("spot values agree with SDM Appendix B", () => {
    const byName = new Map(fields.map((f) => [`${f.group}.${f.name}`, f.enc]));
    const sdm: [string, number][] = [
      ["Vmcs16Ctl.VPID", 0x0000], ["Vmcs16Guest.CS_SELECTOR", 0x0802], ["Vmcs16Guest.TR_SELECTOR", 0x080e],
      ["Vmcs16Host.TR_SELECTOR", 0x0c0c], ["Vmcs64Ctl.IO_BITMAP_A", 0x2000], ["Vmcs64Ctl.MSR_BITMAP", 0x2004],
      ["Vmcs64Ctl.TSC_OFFSET", 0x2010], ["Vmcs64Ctl.EPT_POINTER", 0x201a], ["Vmcs64Ro.GUEST_PHYSICAL_ADDR", 0x2400],
      ["Vmcs64Guest.VMCS_LINK_POINTER", 0x2800], ["Vmcs64Guest.IA32_EFER", 0x2806], ["Vmcs64Guest.PDPTE3", 0x2810],
      ["Vmcs64Host.IA32_EFER", 0x2c02], ["Vmcs32Ctl.PIN_BASED_CONTROLS", 0x4000],
      ["Vmcs32Ctl.SECONDARY_PROC_CONTROLS", 0x401e], ["Vmcs32Ctl.ENTRY_INTERRUPTION_INFO", 0x4016],
      ["Vmcs32Ro.EXIT_REASON", 0x4402], ["Vmcs32Ro.EXIT_INSTRUCTION_LENGTH", 0x440c],
      ["Vmcs32Guest.CS_ACCESS_RIGHTS", 0x4816], ["Vmcs32Guest.PREEMPTION_TIMER_VALUE", 0x482e],
      ["Vmcs32Host.IA32_SYSENTER_CS", 0x4c00], ["VmcsNatCtl.CR4_READ_SHADOW", 0x6006],
      ["VmcsNatRo.EXIT_QUALIFICATION", 0x6400], ["VmcsNatRo.GUEST_LINEAR_ADDR", 0x640a],
      ["VmcsNatGuest.CR0", 0x6800], ["VmcsNatGuest.RIP", 0x681e], ["VmcsNatGuest.RFLAGS", 0x6820],
      ["VmcsNatHost.RSP", 0x6c14], ["VmcsNatHost.RIP", 0x6c16],
    ];
    for (const [name, enc] of sdm) expect(byName.get(name), name).toBe(enc);
  });
});
