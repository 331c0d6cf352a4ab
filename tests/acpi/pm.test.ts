// ACPI PM device (src/vmm/acpi/pm.ts): PM timer from the TSC, PM1 status/enable with TMR_STS
// and the power button, the SCI level, and S5 detection through SLP_TYP/SLP_EN (ACPI 6.4 §4.8).
import { beforeEach, describe, expect, it } from "vitest";
import { load } from "../apic/wasm.ts";

const w = load("acpi");
const PM = 0x10000;
const HZ = 3_579_545_000n; // exactly 1000 TSC ticks per PM timer tick
const T0 = 5_000_000n;
const NONE = 0, POWER_OFF = 1;
const inw = (port: number, now = T0, size = 2): number => w.u32("pmIn", PM, port, size, now);
const outw = (port: number, v: number, now = T0, size = 2): number => w.u32("pmOut", PM, port, size, v, now);

describe("ACPI PM device", () => {
  beforeEach(() => w.call("pmNew", PM, HZ, T0));

  it("the PM timer counts 3.579545 MHz from the TSC, 32 bits wide", () => {
    expect(inw(0x608, T0 + 999n, 4)).toBe(0);
    expect(inw(0x608, T0 + 1000n, 4)).toBe(1);
    expect(inw(0x608, T0 + 3_579_545_000n, 4)).toBe(3_579_545); // one second
    expect(inw(0x608, T0 + (1n << 32n) * 1000n + 5000n, 4)).toBe(5); // wrapped
    expect(inw(0x60a, T0 + 0x12345n * 1000n, 2)).toBe(0x1); // byte lanes: upper half
    expect(outw(0x608, 0xffff, T0, 4)).toBe(NONE); // read-only
    expect(inw(0x608, T0 + 1000n, 4)).toBe(1);
  });

  it("TMR_STS rises when bit 31 toggles; with TMR_EN that is an SCI at the predicted TSC", () => {
    const toggle = T0 + (1n << 31n) * 1000n;
    expect(w.u64("pmNext", PM, T0)).toBe(0xffffffffffffffffn); // TMR_EN clear
    outw(0x602, 1);
    expect(w.u64("pmNext", PM, T0)).toBe(toggle);
    expect(w.u32("pmSci", PM, toggle - 1n)).toBe(0);
    expect(inw(0x600, toggle - 1n) & 1).toBe(0);
    expect(w.u32("pmSci", PM, toggle)).toBe(1);
    expect(inw(0x600, toggle) & 1).toBe(1);
    outw(0x600, 1, toggle); // write 1 to clear
    expect(inw(0x600, toggle) & 1).toBe(0);
    expect(w.u32("pmSci", PM, toggle)).toBe(0);
    expect(w.u64("pmNext", PM, toggle)).toBe(toggle + (1n << 31n) * 1000n);
  });

  it("the power button raises PWRBTN_STS; enabled, it is an SCI until cleared", () => {
    w.call("pmButton", PM);
    expect(inw(0x600)).toBe(0x100);
    expect(w.u32("pmSci", PM, T0)).toBe(0);
    outw(0x602, 0x100);
    expect(inw(0x602)).toBe(0x100);
    expect(w.u32("pmSci", PM, T0)).toBe(1);
    outw(0x600, 0x0100);
    expect(inw(0x600)).toBe(0);
    expect(w.u32("pmSci", PM, T0)).toBe(0);
    outw(0x602, 0xffff);
    expect(inw(0x602)).toBe(0x4721); // only defined enable bits stick
  });

  it("SCI_EN is set from reset and stays set (no SMI_CMD: always ACPI mode)", () => {
    expect(inw(0x604)).toBe(1);
    outw(0x604, 0);
    expect(inw(0x604)).toBe(1);
  });

  it("Linux's S5 sequence (ACPICA acpi_hw_legacy_sleep) powers off on the SLP_EN write", () => {
    expect(outw(0x600, 0x8000)).toBe(NONE); // clear WAK_STS
    const cnt = inw(0x604) & ~((7 << 10) | (1 << 13));
    expect(outw(0x604, cnt | (5 << 10))).toBe(NONE); // SLP_TYP first
    expect(inw(0x604)).toBe(1 | (5 << 10));
    expect(outw(0x604, cnt | (5 << 10) | (1 << 13))).toBe(POWER_OFF);
    expect(inw(0x604) & (1 << 13)).toBe(0); // SLP_EN is write-only
  });

  it("other sleep types do nothing; a byte write of the high half works; stray ports are inert", () => {
    expect(outw(0x604, (3 << 10) | (1 << 13))).toBe(NONE);
    expect(outw(0x605, 0x34, T0, 1)).toBe(POWER_OFF); // SLP_TYP 5 + SLP_EN in bits 15:8
    expect(inw(0x60c, T0, 1)).toBe(0xffffffff);
    expect(inw(0x60a, T0, 4)).toBe(0xffffffff); // runs past the block
    expect(inw(0x600, T0, 3)).toBe(0xffffffff);
    expect(outw(0x5ff, 0x3400, T0, 2)).toBe(NONE);
    expect(inw(0x606)).toBe(0);
  });
});
