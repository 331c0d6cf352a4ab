// Test entry for the PC platform wiring of a Linux VM (src/vmm/pc/): creation, port and MMIO
// accesses, the LAPIC MSRs, the interrupt path and power-off, without VT-x. Built by asc alone
// (mk/linux.mk); `hw` (rdtsc, the console's port I/O) comes from the test.

import { Vm, vmCreate } from "../../../src/vmm/vm";
import { pcCreate, pcBlock, pcCtl, pcTick, pcTakeInterrupt, pcInterruptWaiting, PC_BLOCK_BYTES } from "../../../src/vmm/pc/pc";
import {
  pcPortRead, pcPortWrite, pcLapicMmioRead, pcLapicMmioWrite, pcIoapicMmioRead, pcIoapicMmioWrite,
  pcLapicRdmsr, pcLapicWrmsr,
} from "../../../src/vmm/pc/pc-io";

/** The PC block: 24 KiB at 1 MiB (this module has 2 MiB of memory). */
const BLOCK: usize = 0x100000;
const NAME: usize = memory.data(8, 8);
const CELL: usize = memory.data(8, 8);
let vmAddr: usize = 0;

@inline function vm(): Vm { return changetype<Vm>(vmAddr); }

export function create(tscHz: u64, now: u64, ramBytes: u64): u32 {
  // "linux\0"
  store<u8>(NAME, 0x6C); store<u8>(NAME + 1, 0x69); store<u8>(NAME + 2, 0x6E);
  store<u8>(NAME + 3, 0x75); store<u8>(NAME + 4, 0x78); store<u8>(NAME + 5, 0);
  const v = vmCreate(NAME);
  if (v == null) return 0;
  vmAddr = changetype<usize>(v);
  memory.fill(BLOCK, 0, <usize>PC_BLOCK_BYTES);
  pcCreate(v, BLOCK, tscHz, now, ramBytes, 2025, 1, 2, 3, 4, 5);
  return pcBlock(v) == BLOCK ? 1 : 0;
}
export function inPort(port: u32, size: u32): u32 { return pcPortRead(vm(), port, size); }
export function outPort(port: u32, size: u32, value: u32): void { pcPortWrite(vm(), port, size, value); }
export function lapicRead(off: u32): u32 { return <u32>pcLapicMmioRead(vm(), <u64>off, 4); }
export function lapicWrite(off: u32, v: u32): void { pcLapicMmioWrite(vm(), <u64>off, 4, <u64>v); }
export function ioapicRead(off: u32): u32 { return <u32>pcIoapicMmioRead(vm(), <u64>off, 4); }
export function ioapicWrite(off: u32, v: u32): void { pcIoapicMmioWrite(vm(), <u64>off, 4, <u64>v); }
export function rdmsr(msr: u32): u64 { return pcLapicRdmsr(vm(), msr, CELL) ? load<u64>(CELL) : 0xDEAD; }
export function wrmsr(msr: u32, v: u64): u32 { return pcLapicWrmsr(vm(), msr, v, 39) ? 1 : 0; }
export function next(): u64 { return pcCtl(BLOCK).next; }
export function stop(): u32 { return pcCtl(BLOCK).stop; }
export function tick(now: u64): void { pcTick(vm(), BLOCK, now); }
export function take(now: u64): i32 { return pcTakeInterrupt(vm(), BLOCK, now); }
export function waiting(): u32 { return pcInterruptWaiting(BLOCK) ? 1 : 0; }
