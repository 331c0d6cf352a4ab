// A guest for the ACPI table builder: an EPT mapping guest RAM [0, 1 MiB) onto host frames at
// 4 MiB of the test module's memory, a GuestMemory over it, and a scratch buffer; plus readers
// of what the builder left in guest RAM (an ACPI parser written from the spec, not from the
// builder).
import { expect } from "vitest";
import { load, type Wasm } from "../apic/wasm.ts";

export const w: Wasm = load("acpi");
const MiB = 1024 * 1024;
export const PHYS = 0x10000, FRAMES = 0x10010, EPT = 0x10020, GM = 0x10040, RAMMAP = 0x10080, SCRATCH = 0x11000;
export const HOST_RAM = 4 * MiB;
export const GUEST_RAM = 1 * MiB;

export function setupGuest(): void {
  w.bytes.fill(0, HOST_RAM, HOST_RAM + GUEST_RAM);
  w.mem.setBigUint64(PHYS, BigInt(16 * MiB), true);
  w.call("framesInit", FRAMES, 8 * MiB, 12 * MiB);
  expect(w.u32("eptNew", EPT, PHYS, FRAMES, 0x00000f0106334141n)).toBe(0);
  expect(w.u32("eptMapRange", EPT, PHYS, FRAMES, 0, HOST_RAM, GUEST_RAM, 7, 6)).toBe(0);
  w.mem.setBigUint64(RAMMAP, 0n, true);
  w.mem.setBigUint64(RAMMAP + 8, BigInt(GUEST_RAM), true);
  w.mem.setUint32(GM, EPT, true);
  w.mem.setUint32(GM + 4, RAMMAP, true);
  w.mem.setUint32(GM + 8, 1, true);
}

/** Guest RAM bytes [gpa, gpa + len). */
export const guest = (gpa: number, len: number): Uint8Array => w.bytes.slice(HOST_RAM + gpa, HOST_RAM + gpa + len);
export const u8 = (gpa: number): number => w.bytes[HOST_RAM + gpa]!;
export const u16 = (gpa: number): number => w.mem.getUint16(HOST_RAM + gpa, true);
export const u32 = (gpa: number): number => w.mem.getUint32(HOST_RAM + gpa, true);
export const u64 = (gpa: number): bigint => w.mem.getBigUint64(HOST_RAM + gpa, true);
export const ascii = (gpa: number, len: number): string => String.fromCharCode(...guest(gpa, len));
export const sum8 = (bytes: Uint8Array): number => bytes.reduce((a, b) => (a + b) & 0xff, 0);

/** A table in guest RAM by address: signature, length, bytes. */
export interface Table { sig: string; addr: number; len: number; bytes: Uint8Array }
export function tableAt(addr: number): Table {
  const len = u32(addr + 4);
  return { sig: ascii(addr, 4), addr, len, bytes: guest(addr, len) };
}
