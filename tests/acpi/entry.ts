// @ts-nocheck: AssemblyScript, compiled by asc (mk/apic-acpi-unit.mk), not by tsc.
// The ACPI unit-test wasm: the table builder over a real EPT + GuestMemory (this module's linear
// memory is the fake physical RAM, wasm address = physical address), and the PM device.

import { IdentityPhys } from "../../src/ept/phys";
import { Ept, eptInit, eptMap } from "../../src/ept/table";
import { GuestMemory } from "../../src/ept/guest-memory";
import { acpiBuild, acpiTablesSize, ACPI_SCRATCH_SIZE } from "../../src/vmm/acpi/build";
import {
  AcpiPm, pmInit, pmRead, pmWrite, pmSciLevel, pmNextEvent, pmPowerButton, pmTimer, PM_STATE_SIZE,
} from "../../src/vmm/acpi/pm";

/** Page-table frames for the EPT: a bump allocator over [next, end). 16 bytes. */
@final @unmanaged class BumpFrames {
  next: u64;
  end: u64;
  allocTable(): u64 {
    if (this.next >= this.end) return 0;
    const pa = this.next;
    this.next += 4096;
    memory.fill(<usize>pa, 0, 4096);
    return pa;
  }
  freeTable(pa: u64): void {}
}

@inline function phys(p: usize): IdentityPhys { return changetype<IdentityPhys>(p); }

export function framesInit(f: usize, start: u64, end: u64): void {
  const b = changetype<BumpFrames>(f);
  b.next = start;
  b.end = end;
}
export function eptNew(ept: usize, mem: usize, frames: usize, cap: u64): u32 {
  return eptInit<IdentityPhys, BumpFrames>(changetype<Ept>(ept), phys(mem), changetype<BumpFrames>(frames), cap);
}
export function eptMapRange(ept: usize, mem: usize, frames: usize, gpa: u64, hpa: u64, size: u64, perms: u64, mt: u32): u32 {
  return eptMap<IdentityPhys, BumpFrames>(changetype<Ept>(ept), phys(mem), changetype<BumpFrames>(frames), gpa, hpa, size, perms, mt);
}
export function build(gm: usize, mem: usize, gpa: u64, size: u64, vcpus: u32, scratch: usize): u64 {
  return acpiBuild<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, size, vcpus, scratch);
}
export function tablesSize(vcpus: u32): u32 { return acpiTablesSize(vcpus); }
export function scratchSize(): u32 { return ACPI_SCRATCH_SIZE; }

@inline function P(a: usize): AcpiPm { return changetype<AcpiPm>(a); }
export function pmSize(): u32 { return PM_STATE_SIZE; }
export function pmNew(a: usize, tscHz: u64, now: u64): void { pmInit(P(a), tscHz, now); }
export function pmIn(a: usize, port: u32, size: u32, now: u64): u32 { return pmRead(P(a), port, size, now); }
export function pmOut(a: usize, port: u32, size: u32, v: u32, now: u64): u32 { return pmWrite(P(a), port, size, v, now); }
export function pmSci(a: usize, now: u64): bool { return pmSciLevel(P(a), now); }
export function pmNext(a: usize, now: u64): u64 { return pmNextEvent(P(a), now); }
export function pmButton(a: usize): void { pmPowerButton(P(a)); }
export function pmTmr(a: usize, now: u64): u32 { return pmTimer(P(a), now); }
