// PCI configuration mechanism #1 and the function registry: Linux's pci_check_type1 and bus scan
// of the 82441FX host bridge, empty slots, sub-dword accesses, BAR sizing, write masks.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout } from "./wasm.ts";

const p = platform();
let host = 0, bridge = 0, dev = 0;
const outl = (off: number, v: number): void => p.call("pciOut", host, off, 4, v);
const inl = (off: number): number => p.u32("pciIn", host, off, 4);
const addr = (d: number, f: number, reg: number, bus = 0): number => (0x80000000 | (bus << 16) | (d << 11) | (f << 8) | reg) >>> 0;
/** Configuration read the way Linux's pci_conf1_read does: address dword, then data at reg & 3. */
function cfgRead(d: number, f: number, reg: number, size: number, bus = 0): number {
  outl(0, addr(d, f, reg & 0xfc, bus));
  return p.u32("pciIn", host, 4 + (reg & 3), size);
}
function cfgWrite(d: number, f: number, reg: number, size: number, v: number): void {
  outl(0, addr(d, f, reg & 0xfc));
  p.call("pciOut", host, 4 + (reg & 3), size, v);
}

beforeEach(() => {
  const alloc = layout(p);
  host = alloc(p.u32("sizePciHost"));
  bridge = alloc(p.u32("sizePciFn"));
  dev = alloc(p.u32("sizePciFn"));
  p.call("pciHostInitAt", host, bridge);
});

describe("mechanism #1", () => {
  it("pci_check_type1: the 0xCFB byte write is ignored and the address dword reads back", () => {
    p.call("pciOut", host, 3, 1, 0x01);
    const tmp = inl(0);
    outl(0, 0x80000000);
    expect(inl(0)).toBe(0x80000000);
    outl(0, tmp);
    expect(inl(0)).toBe(tmp);
  });

  it("reserved address bits 30:24 and 1:0 read as 0; sub-dword reads of 0xCF8 float", () => {
    outl(0, 0xffffffff);
    expect(inl(0)).toBe(0x80fffffc);
    expect(p.u32("pciIn", host, 0, 2)).toBe(0xffff);
    expect(p.u32("pciIn", host, 1, 1)).toBe(0xff);
  });

  it("host bridge 00:00.0 is the 82441FX", () => {
    expect(cfgRead(0, 0, 0x00, 4)).toBe(0x12378086);
    expect(cfgRead(0, 0, 0x04, 4)).toBe(0x02800006);
    expect(cfgRead(0, 0, 0x08, 4)).toBe(0x06000002);
    expect(cfgRead(0, 0, 0x0e, 1)).toBe(0x00);
    expect(cfgRead(0, 0, 0x0a, 2)).toBe(0x0600);
    expect(cfgRead(0, 0, 0x02, 2)).toBe(0x1237);
    expect(cfgRead(0, 0, 0x0b, 1)).toBe(0x06);
    expect(cfgRead(0, 0, 0x50, 4)).toBe(0);
  });

  it("host bridge ignores writes to its read-only registers", () => {
    cfgWrite(0, 0, 0x00, 4, 0);
    cfgWrite(0, 0, 0x04, 2, 0);
    cfgWrite(0, 0, 0x59, 1, 0x33);      // PAM: not modelled, reads 0
    expect(cfgRead(0, 0, 0x00, 4)).toBe(0x12378086);
    expect(cfgRead(0, 0, 0x04, 2)).toBe(0x0006);
    expect(cfgRead(0, 0, 0x59, 1)).toBe(0);
  });

  it("empty slots, other buses, and a disabled address read all-ones (vendor 0xFFFF)", () => {
    expect(cfgRead(1, 0, 0, 4)).toBe(0xffffffff);
    expect(cfgRead(0, 1, 0, 2)).toBe(0xffff);
    expect(cfgRead(31, 7, 0, 1)).toBe(0xff);
    expect(cfgRead(0, 0, 0, 4, 1)).toBe(0xffffffff);
    outl(0, 0x00000000);
    expect(inl(4)).toBe(0xffffffff);
    p.call("pciOut", host, 4, 4, 0);    // dropped
    expect(cfgRead(0, 0, 0, 4)).toBe(0x12378086);
  });

  it("accesses that cross the data dword or have odd sizes are refused", () => {
    outl(0, addr(0, 0, 0));
    expect(p.u32("pciIn", host, 7, 2)).toBe(0xffff);
    expect(p.u32("pciIn", host, 5, 4)).toBe(0xffffffff);
    expect(p.u32("pciIn", host, 4, 3)).toBe(0xffffffff);
    expect(p.u32("pciIn", host, 6, 2)).toBe(0x1237);
  });
});

describe("registry and type 0 functions", () => {
  beforeEach(() => {
    p.call("pciFnInitAt", dev, 0x1af4, 0x1041, 0x020000, 0x01);
    p.u32("pciFnBar", dev, 0, 1, 0x1000n, false);   // MEM32 4 KiB
    p.u32("pciFnBar", dev, 1, 0, 0x20n, false);     // I/O 32 bytes
    p.u32("pciFnBar", dev, 2, 2, 0x4000n, true);    // MEM64 16 KiB prefetchable (BAR2+3)
    p.call("pciFnSetAt", dev, 0x3d, 1, 0x01);       // INTA#
    expect(p.u32("pciHostAttachAt", host, 3, 0, dev)).toBe(1);
  });

  it("attached functions appear in the scan; slots can't be taken twice or out of range", () => {
    expect(cfgRead(3, 0, 0, 4)).toBe(0x10411af4);
    expect(p.u32("pciFnDeviceId", dev)).toBe(0x1041);
    expect(p.u32("pciHostAttachAt", host, 3, 0, bridge)).toBe(0);
    expect(p.u32("pciHostAttachAt", host, 32, 0, bridge)).toBe(0);
    expect(p.u32("pciHostAttachAt", host, 4, 8, bridge)).toBe(0);
  });

  it("BAR sizing: all-ones reads back the size mask with the type bits", () => {
    for (const bar of [0, 1, 2, 3]) cfgWrite(3, 0, 0x10 + 4 * bar, 4, 0xffffffff);
    expect(cfgRead(3, 0, 0x10, 4)).toBe(0xfffff000);
    expect(cfgRead(3, 0, 0x14, 4)).toBe(0xffffffe1);
    expect(cfgRead(3, 0, 0x18, 4)).toBe(0xffffc00c);
    expect(cfgRead(3, 0, 0x1c, 4)).toBe(0xffffffff);
    expect(cfgRead(3, 0, 0x20, 4)).toBe(0);          // unimplemented BAR4: read-only 0
  });

  it("programmed BARs decode to addresses; 64-bit halves combine", () => {
    cfgWrite(3, 0, 0x10, 4, 0xfebd1234);
    cfgWrite(3, 0, 0x14, 4, 0x0000c043);
    cfgWrite(3, 0, 0x18, 4, 0xfe000000);
    cfgWrite(3, 0, 0x1c, 4, 0x00000001);
    expect(p.u64("pciFnBarAddr", dev, 0)).toBe(0xfebd1000n);
    expect(p.u64("pciFnBarAddr", dev, 1)).toBe(0xc040n);
    expect(p.u64("pciFnBarAddr", dev, 2)).toBe(0x1fe000000n);
  });

  it("command bits are masked; status error bits are write-1-to-clear; IDs are read-only", () => {
    const g0 = p.u32("pciFnGen", dev);
    cfgWrite(3, 0, 0x04, 2, 0xffff);
    expect(cfgRead(3, 0, 0x04, 2)).toBe(0x0547);
    expect(p.u32("pciFnGen", dev)).toBe(g0 + 1);
    cfgWrite(3, 0, 0x04, 2, 0x0547);                 // no change: no new generation
    expect(p.u32("pciFnGen", dev)).toBe(g0 + 1);
    p.call("pciFnSetAt", dev, 0x06, 2, 0x8010);      // device signals an error; capability list
    cfgWrite(3, 0, 0x06, 2, 0x0010);                 // writing 0 to the error bit keeps it
    expect(cfgRead(3, 0, 0x06, 2)).toBe(0x8010);
    cfgWrite(3, 0, 0x06, 2, 0xffff);                 // writing 1 clears it; RO bit 4 stays
    expect(cfgRead(3, 0, 0x06, 2)).toBe(0x0010);
    cfgWrite(3, 0, 0x00, 4, 0);
    expect(cfgRead(3, 0, 0x00, 4)).toBe(0x10411af4);
    cfgWrite(3, 0, 0x3c, 2, 0xffff);
    expect(cfgRead(3, 0, 0x3c, 2)).toBe(0x01ff);     // interrupt line RW, pin RO
  });

  it("invalid BAR declarations are refused", () => {
    expect(p.u32("pciFnBar", dev, 6, 1, 0x1000n, false)).toBe(0);
    expect(p.u32("pciFnBar", dev, 5, 2, 0x1000n, false)).toBe(0);  // 64-bit needs a pair
    expect(p.u32("pciFnBar", dev, 4, 1, 0x1800n, false)).toBe(0);  // not a power of two
    expect(p.u32("pciFnBar", dev, 4, 1, 8n, false)).toBe(0);       // memory BAR < 16 bytes
    expect(p.u32("pciFnBar", dev, 4, 0, 0x20000n, false)).toBe(0); // I/O BAR > 64 KiB
  });

  it("config offsets beyond 255 through the function API read 0xFF and write nothing", () => {
    expect(p.u32("pciFnIn", dev, 0xfe, 4)).toBe(0xffff0000);
    p.call("pciFnOut", dev, 0xff, 4, 0xffffffff);
    expect(p.u32("pciFnIn", dev, 0, 4)).toBe(0x10411af4);
  });
});
