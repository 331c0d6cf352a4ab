// A fake VM for the loader tests: guest RAM behind a real EPT and GuestMemory (src/ept), built in
// the test wasm's linear memory, plus the host-memory areas the input images are copied to.
//
// Wasm memory map (256 MiB):
//   1 MiB   SCRATCH   structures passed to the wasm (below)
//   2 MiB   BUF       read-back buffer
//   4 MiB   HOST_KERNEL   (up to 28 MiB)   32 MiB HOST_INITRD (6 MiB)   38 MiB HOST_CMDLINE
//   40 MiB  EPT table frames (frame allocator over [40, 48) MiB)
//   64 MiB  host frames of guest RAM: guest [0, 64M) -> host [128M, 192M) and guest [64M, 128M)
//           -> host [64M, 128M) (swapped halves, so that a test that forgot the translation fails)
//   192 MiB JUNK: 32 MiB window that every guest page above 128 MiB aliases (big VMs)
//
// hostOf() is the tests' own translation of that map, independent of the EPT code.
import { expect } from "vitest";
import { loaderWasm, type Wasm } from "./wasm.ts";

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const v: Wasm = loaderWasm();

export const SCRATCH = 1 * MiB;
export const PHYS = SCRATCH;
export const FRAMES = SCRATCH + 0x10;
export const EPT = SCRATCH + 0x20;
export const GM = SCRATCH + 0x40;
export const RAMMAP = SCRATCH + 0x80;          // GpaRange[] of GuestMemory (up to 8)
export const PARAMS = SCRATCH + 0x200;
export const INFO = SCRATCH + 0x400;
export const STATE = SCRATCH + 0x800;
export const USABLE = SCRATCH + 0xC00;
export const E820 = SCRATCH + 0x1000;          // E820Table (3080 bytes)
export const RAM_IN = SCRATCH + 0x2000;        // e820Build inputs
export const RES_IN = SCRATCH + 0x3000;
export const MODS = SCRATCH + 0x4000;          // multiboot module list
export const BUF = 2 * MiB;
export const HOST_KERNEL = 4 * MiB;
export const HOST_INITRD = 32 * MiB;
export const HOST_CMDLINE = 38 * MiB;
const FRAMES_START = 40 * MiB, FRAMES_END = 48 * MiB;
const GUEST_LOW_HOST = 128 * MiB, GUEST_HIGH_HOST = 64 * MiB, JUNK = 192 * MiB;
const JUNK_SIZE = 32 * MiB;
export const MEM_END = 256 * MiB;

/** Host (wasm) address of guest-physical `gpa`, by the map above; null outside guest RAM. */
let ramTop = 0;
export function hostOf(gpa: number): number | null {
  if (gpa < 0 || gpa >= ramTop) return null;
  if (gpa < 64 * MiB) return GUEST_LOW_HOST + gpa;
  if (gpa < 128 * MiB) return GUEST_HIGH_HOST + (gpa - 64 * MiB);
  return JUNK + ((gpa - 128 * MiB) % JUNK_SIZE);
}
/** Bytes from `gpa` to the end of its contiguous piece of the map (128 MiB is a multiple of both). */
const chunkLeft = (gpa: number): number => {
  const piece = gpa < 128 * MiB ? 64 * MiB : JUNK_SIZE;
  return piece - (gpa % piece);
};
/** Guest bytes [gpa, gpa + len), read through hostOf (contiguous within each 64 MiB part). */
export function guestBytes(gpa: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len;) {
    const h = hostOf(gpa + i);
    if (h === null) throw new Error(`guest 0x${(gpa + i).toString(16)} is not RAM`);
    const n = Math.min(len - i, chunkLeft(gpa + i));
    out.set(v.bytes.subarray(h, h + n), i);
    i += n;
  }
  return out;
}
export const g8 = (gpa: number): number => guestBytes(gpa, 1)[0]!;
export const g16 = (gpa: number): number => new DataView(guestBytes(gpa, 2).buffer).getUint16(0, true);
export const g32 = (gpa: number): number => new DataView(guestBytes(gpa, 4).buffer).getUint32(0, true);
export const g64 = (gpa: number): bigint => new DataView(guestBytes(gpa, 8).buffer).getBigUint64(0, true);

/**
 * Builds a VM with `ramBytes` of RAM at guest-physical 0 (a multiple of 2 MiB; at most 128 MiB
 * distinct, more aliases JUNK), filled with `fill`. The EPT maps exactly the RAM.
 */
export function makeVm(ramBytes: number, fill = 0xCC, ramStart = 0): void {
  ramTop = ramBytes;
  v.bytes.fill(0, FRAMES_START, FRAMES_END);
  v.bytes.fill(fill, GUEST_HIGH_HOST, JUNK + JUNK_SIZE);
  v.mem.setBigUint64(USABLE, BigInt(FRAMES_START), true);
  v.mem.setBigUint64(USABLE + 8, BigInt(FRAMES_END), true);
  const alloc = v.u32("frameInit", USABLE, 1, 0, 0, BigInt(MEM_END));
  expect(alloc).not.toBe(0);
  v.mem.setBigUint64(PHYS, BigInt(MEM_END), true);
  v.mem.setUint32(FRAMES, alloc, true);
  v.mem.setBigUint64(FRAMES + 8, BigInt(MEM_END), true);
  expect(v.u32("eptNew", EPT, PHYS, FRAMES, 0x00000f0106334141n)).toBe(0);
  const map = (gpa: number, hpa: number, size: number): void => {
    expect(v.u32("eptMapRange", EPT, PHYS, FRAMES, gpa, hpa, size, 7n, 6)).toBe(0);
  };
  for (let gpa = 0; gpa < ramBytes;) {
    const size = Math.min(ramBytes - gpa, chunkLeft(gpa));
    map(gpa, hostOf(gpa)!, size);
    gpa += size;
  }
  v.mem.setBigUint64(RAMMAP, BigInt(ramStart), true);
  v.mem.setBigUint64(RAMMAP + 8, BigInt(ramBytes), true);
  v.mem.setUint32(GM, EPT, true);
  v.mem.setUint32(GM + 4, RAMMAP, true);
  v.mem.setUint32(GM + 8, 1, true);
}

export const E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3;
export interface E820Entry { addr: number; size: number; type: number }

/** Builds the VM's E820 table at E820 from RAM ranges [start, end) and reserved entries. */
export function buildE820(ram: [number, number][], reserved: E820Entry[]): number {
  ram.forEach(([s, e], i) => {
    v.mem.setBigUint64(RAM_IN + 16 * i, BigInt(s), true);
    v.mem.setBigUint64(RAM_IN + 16 * i + 8, BigInt(e), true);
  });
  reserved.forEach((r, i) => {
    v.mem.setBigUint64(RES_IN + 24 * i, BigInt(r.addr), true);
    v.mem.setBigUint64(RES_IN + 24 * i + 8, BigInt(r.size), true);
    v.mem.setUint32(RES_IN + 24 * i + 16, r.type, true);
  });
  return v.u32("e820Make", E820, RAM_IN, ram.length, RES_IN, reserved.length);
}
export function readE820Table(): E820Entry[] {
  const n = v.mem.getUint32(E820, true);
  return Array.from({ length: n }, (_, i) => ({
    addr: Number(v.mem.getBigUint64(E820 + 8 + 24 * i, true)),
    size: Number(v.mem.getBigUint64(E820 + 8 + 24 * i + 8, true)),
    type: v.mem.getUint32(E820 + 8 + 24 * i + 16, true),
  }));
}

/** BootState (src/vmm/loader/boot-state.ts) read back from STATE. */
export interface Seg { selector: number; base: bigint; limit: number; ar: number }
export interface Boot {
  gpr: bigint[]; rip: bigint; rflags: bigint; cr0: bigint; cr3: bigint; cr4: bigint; efer: bigint;
  gdtrBase: bigint; idtrBase: bigint; gdtrLimit: number; idtrLimit: number; mode: number;
  es: Seg; cs: Seg; ss: Seg; ds: Seg; fs: Seg; gs: Seg; ldtr: Seg; tr: Seg;
}
export function readBootState(): Boot {
  const q = (o: number): bigint => v.mem.getBigUint64(STATE + o, true);
  const d = (o: number): number => v.mem.getUint32(STATE + o, true);
  const seg = (i: number): Seg => {
    const b = STATE + 208 + 24 * i;
    return { base: v.mem.getBigUint64(b, true), limit: v.mem.getUint32(b + 8, true), ar: v.mem.getUint32(b + 12, true), selector: v.mem.getUint16(b + 16, true) };
  };
  return {
    gpr: Array.from({ length: 16 }, (_, i) => q(8 * i)),
    rip: q(128), rflags: q(136), cr0: q(144), cr3: q(152), cr4: q(160), efer: q(168),
    gdtrBase: q(176), idtrBase: q(184), gdtrLimit: d(192), idtrLimit: d(196), mode: d(200),
    es: seg(0), cs: seg(1), ss: seg(2), ds: seg(3), fs: seg(4), gs: seg(5), ldtr: seg(6), tr: seg(7),
  };
}
