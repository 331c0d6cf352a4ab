// The debug console on port 0xE9 (docs/guest-protocol.md), as Bochs' port_e9_hack and QEMU's
// debugcon: OUT of any width appends its low byte to the VM's console line (src/vmm/vm.ts
// splits, prefixes and prints lines); IN returns 0xE9 in the low byte, so a guest can detect it.
// The string forms (OUTSB …) reach here one element at a time from the I/O exit handler.

import { Vm, vmConsolePutByte } from "../vm";

export const DEBUGCON_PORT: u64 = 0xE9;
/** What IN from the port returns (its own number: the detection convention of Bochs/QEMU). */
export const DEBUGCON_READBACK: u64 = 0xE9;

/** IN of any width: 0xE9 in the low byte, 0 above it (one 8-bit port). */
export function debugconRead(): u64 {
  return DEBUGCON_READBACK;
}

/** OUT of `size` bytes: the low byte is the character. */
export function debugconWrite(vm: Vm, value: u64): void {
  vmConsolePutByte(vm, <u32>value & 0xFF);
}
