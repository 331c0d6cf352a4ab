// Bus accesses → device models. The port and MMIO buses (src/vmm/bus/bus.ts) say which range an
// address falls in; this file calls that range's device with the offset inside the range. Unassigned
// ports read all-ones and ignore writes (docs/guest-protocol.md, and what an ISA bus with nothing
// driving it returns); an unassigned MMIO address is reported to the caller, which stops the VM.

import { Bus, busFind, busRangeAt, allOnes, busSizeValid } from "../bus/bus";
import { Vm } from "../vm";
import { DeviceKind } from "./kinds";
import { debugconRead, debugconWrite } from "./debugcon";
import { TestDev, testdevRead, testdevWrite } from "./testdev";
import { pcPortRead, pcPortWrite, pcLapicMmioRead, pcLapicMmioWrite, pcIoapicMmioRead, pcIoapicMmioWrite } from "../pc/pc-io";

/** IN of `size` (1, 2, 4) bytes from `port`: the device's value, or all-ones when unassigned. */
export function portRead(bus: Bus, port: u32, size: u32): u64 {
  const i = busFind(bus, <u64>port);
  if (i < 0) return allOnes(size);
  const r = busRangeAt(bus, <u32>i);
  switch (r.device) {
    case DeviceKind.DEBUGCON: return debugconRead() & allOnes(size);
    case DeviceKind.PC_PORTS: return <u64>pcPortRead(changetype<Vm>(<usize>r.ctx), port, size) & allOnes(size);
  }
  return allOnes(size);
}

/** OUT of the low `size` bytes of `value` to `port`; dropped when unassigned. */
export function portWrite(bus: Bus, port: u32, size: u32, value: u64): void {
  const i = busFind(bus, <u64>port);
  if (i < 0) return;
  const r = busRangeAt(bus, <u32>i);
  switch (r.device) {
    case DeviceKind.DEBUGCON: debugconWrite(changetype<Vm>(<usize>r.ctx), value & allOnes(size)); break;
    case DeviceKind.PC_PORTS: pcPortWrite(changetype<Vm>(<usize>r.ctx), port, size, <u32>(value & allOnes(size))); break;
  }
}

/** Status of an MMIO access. */
export const enum MmioStatus { OK = 0, UNASSIGNED = 1, BAD_SIZE = 2 }

/**
 * MMIO read of `size` bytes at `gpa` into the u64 at `out` (zero-extended). Invariant: `out` is 8
 * writable bytes the caller owns (a per-vCPU scratch cell).
 */
export function mmioRead(bus: Bus, gpa: u64, size: u32, out: usize): MmioStatus {
  if (!busSizeValid(size)) return MmioStatus.BAD_SIZE;
  const i = busFind(bus, gpa);
  if (i < 0) return MmioStatus.UNASSIGNED;
  const r = busRangeAt(bus, <u32>i);
  const off = <u32>(gpa - r.base);
  let v: u64 = 0;
  switch (r.device) {
    case DeviceKind.TESTDEV: v = testdevRead(changetype<TestDev>(<usize>r.ctx), off, size); break;
    case DeviceKind.PC_LAPIC: v = pcLapicMmioRead(changetype<Vm>(<usize>r.ctx), <u64>off, size); break;
    case DeviceKind.PC_IOAPIC: v = pcIoapicMmioRead(changetype<Vm>(<usize>r.ctx), <u64>off, size); break;
    default: return MmioStatus.UNASSIGNED;
  }
  store<u64>(out, v & allOnes(size));
  return MmioStatus.OK;
}

/** MMIO write of the low `size` bytes of `value` at `gpa`. */
export function mmioWrite(bus: Bus, gpa: u64, size: u32, value: u64): MmioStatus {
  if (!busSizeValid(size)) return MmioStatus.BAD_SIZE;
  const i = busFind(bus, gpa);
  if (i < 0) return MmioStatus.UNASSIGNED;
  const r = busRangeAt(bus, <u32>i);
  const off = <u32>(gpa - r.base);
  switch (r.device) {
    case DeviceKind.TESTDEV: testdevWrite(changetype<TestDev>(<usize>r.ctx), off, size, value & allOnes(size)); break;
    case DeviceKind.PC_LAPIC: pcLapicMmioWrite(changetype<Vm>(<usize>r.ctx), <u64>off, size, value & allOnes(size)); break;
    case DeviceKind.PC_IOAPIC: pcIoapicMmioWrite(changetype<Vm>(<usize>r.ctx), <u64>off, size, value & allOnes(size)); break;
    default: return MmioStatus.UNASSIGNED;
  }
  return MmioStatus.OK;
}
