// Bus accesses → device models. The port and MMIO buses (src/vmm/bus/bus.ts) say which range an
// address falls in; this file calls that range's device with the offset inside the range. Unassigned
// ports read all-ones and ignore writes (docs/guest-protocol.md, and what an ISA bus with nothing
// driving it returns); an unassigned MMIO address is reported to the caller, which stops the VM.
// MMIO is found first (mmioFind: the EPT-violation handler checks the address before decoding
// the instruction) and then performed on the range found (mmioReadAt / mmioWriteAt).

import { Bus, BusRange, BUS_RANGE_SIZE, busFind, busRangeAt, allOnes } from "../bus/bus";
import { Vm } from "../vm";
import { DeviceKind } from "./kinds";
import { debugconRead, debugconWrite } from "./debugcon";
import { TestDev, testdevRead, testdevWrite } from "./testdev";
import { pcPortRead, pcPortWrite, pcLapicMmioRead, pcLapicMmioWrite, pcIoapicMmioRead, pcIoapicMmioWrite } from "../pc/pc-io";

/** IN of `size` (1, 2, 4) bytes from `port`: the device's value, or all-ones when unassigned. */
export function portRead(bus: Bus, port: u32, size: u32): u64 {
  return portReadWide(bus, port, size) & allOnes(size);
}

/**
 * portRead before its mask to `size` bytes (bits above it are unspecified): the same device call.
 * Inlined into vmm_exit's direct IN path (exits/io.ts ioPortDirect), whose merge into RAX (inMerge)
 * takes only the low `size` bytes anyway: no call and no mask there.
 */
@inline export function portReadWide(bus: Bus, port: u32, size: u32): u64 {
  const i = busFind(bus, <u64>port);
  if (i < 0) return 0xFFFFFFFFFFFFFFFF;
  const r = busRangeAt(bus, <u32>i);
  switch (r.device) {
    case DeviceKind.DEBUGCON: return debugconRead();
    case DeviceKind.PC_PORTS: return <u64>pcPortRead(changetype<Vm>(<usize>r.ctx), port, size);
  }
  return 0xFFFFFFFFFFFFFFFF;
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
export const enum MmioStatus { OK = 0, UNASSIGNED = 1 }

/**
 * The MMIO range of `bus` holding `gpa` (its BusRange address), or 0. The MMIO bus has no index
 * (guest-physical space is too large for a byte table) and a handful of ranges: a scan, one
 * unsigned compare per range (gpa − base wraps above length when gpa < base). Same answer as
 * busFind.
 */
export function mmioFind(bus: Bus, gpa: u64): usize {
  if (bus.index != 0) {
    const i = busFind(bus, gpa);
    return i < 0 ? 0 : changetype<usize>(busRangeAt(bus, <u32>i));
  }
  let r = bus.ranges;
  const end = r + <usize>min<u32>(bus.count, bus.capacity) * BUS_RANGE_SIZE;
  while (r < end) {
    const range = changetype<BusRange>(r);
    if (gpa - range.base < range.length) return r;
    r += BUS_RANGE_SIZE;
  }
  return 0;
}

/**
 * MMIO read of `size` bytes at `gpa`, inside range `r` (mmioFind's), into the u64 at `out`
 * (zero-extended). Invariants: `size` is 1, 2, 4 or 8 (a decoded MmioInsn's); `out` is 8 writable
 * bytes the caller owns (a per-vCPU scratch cell).
 */
export function mmioReadAt(r: BusRange, gpa: u64, size: u32, out: usize): MmioStatus {
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

/**
 * MMIO write of `value` (`size` bytes) at `gpa`, inside range `r` (mmioFind's). Invariants: `size`
 * is 1, 2, 4 or 8 and `value` has no bits above it (storeValue's result, exits/mmio-writeback.ts),
 * so it goes to the device unmasked. The test device is called from here, the PC devices from
 * mmioWritePc (a separate function: nothing of theirs costs the test device's path). @inline: it
 * is the device call of the EPT-violation store path (exits/ept.ts eptStore), its only caller.
 */
@inline export function mmioWriteAt(r: BusRange, gpa: u64, size: u32, value: u64): MmioStatus {
  if (r.device != DeviceKind.TESTDEV) return mmioWritePc(r, <u64>(gpa - r.base), size, value);
  testdevWrite(changetype<TestDev>(<usize>r.ctx), <u32>(gpa - r.base), size, value);
  return MmioStatus.OK;
}

/** mmioWriteAt for the PC devices (LAPIC, I/O APIC) at offset `off` of range `r`. */
function mmioWritePc(r: BusRange, off: u64, size: u32, value: u64): MmioStatus {
  const dev = r.device;
  if (dev == DeviceKind.PC_LAPIC) {
    pcLapicMmioWrite(changetype<Vm>(<usize>r.ctx), off, size, value);
    return MmioStatus.OK;
  }
  if (dev == DeviceKind.PC_IOAPIC) {
    pcIoapicMmioWrite(changetype<Vm>(<usize>r.ctx), off, size, value);
    return MmioStatus.OK;
  }
  return MmioStatus.UNASSIGNED;
}
