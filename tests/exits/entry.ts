// @ts-nocheck: AssemblyScript, compiled by asc (mk/exits-unit.mk), not by tsc.
// The exits unit-test wasm: thin exports over the pure parts of src/vmm/{policy,bus,devices,
// events,exits}. Structures are passed as addresses in this module's linear memory; the tests
// (tests/exits/*.test.ts) lay them out with the byte offsets documented in each source file.

// ---------------------------------------------------------------- CPUID policy
import { HostCpuid, hostCpuidPut, hostCpuidFind, hostEntry, HOST_CPUID_SIZE, HOST_CPUID_CAPACITY } from "../../src/vmm/policy/host-cpuid";
import { CpuidConfig, guestCpuid, guestXcr0Supported, coreIdBits } from "../../src/vmm/policy/cpuid";
import { CpuidResult } from "../../src/x86/cpuid";

export function hostCpuidSize(): u32 { return HOST_CPUID_SIZE; }
export function hostPut(snap: usize, leaf: u32, sub: u32, a: u32, b: u32, c: u32, d: u32): bool {
  return hostCpuidPut(changetype<HostCpuid>(snap), leaf, sub, a, b, c, d);
}
/** Register `reg` (0 eax … 3 edx) of the host entry, through hostEntry; -1 as u64 when absent per hostCpuidFind. */
export function hostGet(snap: usize, leaf: u32, sub: u32, reg: u32): u64 {
  const found = hostCpuidFind(changetype<HostCpuid>(snap), leaf, sub);
  const e = hostEntry(changetype<HostCpuid>(snap), leaf, sub);
  const v = reg == 0 ? e.eax : reg == 1 ? e.ebx : reg == 2 ? e.ecx : e.edx;
  if (found === null) return v == 0 ? u64.MAX_VALUE : 0xBAD; // absent must read as zeros
  return v;
}
export function hostCapacity(): u32 { return HOST_CPUID_CAPACITY; }
export function cpuidGuest(snap: usize, cfg: usize, leaf: u32, sub: u32, cr4: u64, xcr0: u64, out: usize): void {
  guestCpuid(changetype<HostCpuid>(snap), changetype<CpuidConfig>(cfg), leaf, sub, cr4, xcr0, changetype<CpuidResult>(out));
}
export function xcr0Supported(snap: usize): u64 { return guestXcr0Supported(changetype<HostCpuid>(snap)); }
export function cpuidCoreBits(n: u32): u32 { return coreIdBits(n); }

// ---------------------------------------------------------------- MSR policy
import {
  msrRule, msrTableRows, msrTableMsr, ruleReadExits, ruleWriteExits, MSR_TSC_AUX,
} from "../../src/vmm/policy/msr-table";
import {
  msrStateInit, msrSlotGet, msrEmulatedWrite, msrConstValue, patValid, mtrrFixedValid, mtrrDefTypeValid,
  mtrrPhysBaseValid, mtrrPhysMaskValid, eferWrite, isCanonical, MSR_STATE_SIZE,
} from "../../src/vmm/policy/msr-state";
import { msrBitmapBuild, msrBitmapExits } from "../../src/vmm/policy/msr-bitmap";

export function msrRuleOf(msr: u32): u32 { return msrRule(msr); }
export function msrRows(): u32 { return msrTableRows(); }
export function msrRowMsr(i: u32): u32 { return msrTableMsr(i); }
export function msrLastExpected(): u32 { return MSR_TSC_AUX; }
export function msrReadExits(r: u32): bool { return ruleReadExits(r); }
export function msrWriteExits(r: u32): bool { return ruleWriteExits(r); }
export function msrStateSize(): u32 { return MSR_STATE_SIZE; }
export function msrInit(state: usize, bsp: bool): void { msrStateInit(state, bsp); }
export function msrSlot(state: usize, i: u32): u64 { return msrSlotGet(state, i); }
export function msrWrite(state: usize, msr: u32, slot: u32, v: u64, maxPhys: u32): u32 {
  return msrEmulatedWrite(state, msr, slot, v, maxPhys);
}
export function msrConst(which: u32): u64 { return msrConstValue(which); }
export function patOk(v: u64): bool { return patValid(v); }
export function mtrrFixedOk(v: u64): bool { return mtrrFixedValid(v); }
export function mtrrDefOk(v: u64): bool { return mtrrDefTypeValid(v); }
export function mtrrBaseOk(v: u64, p: u32): bool { return mtrrPhysBaseValid(v, p); }
export function mtrrMaskOk(v: u64, p: u32): bool { return mtrrPhysMaskValid(v, p); }
export function efer(old: u64, v: u64, pg: bool, nx: bool): u64 { return eferWrite(old, v, pg, nx); }
export function canonical(v: u64): bool { return isCanonical(v); }
export function msrBitmap(page: usize): void { msrBitmapBuild(page); }
export function msrBitmapHit(page: usize, msr: u32, write: bool): bool { return msrBitmapExits(page, msr, write); }

// ---------------------------------------------------------------- buses and devices
import { Bus, busInit, busAttachIndex, busRegister, busFind, allOnes } from "../../src/vmm/bus/bus";
import { ioBitmapBuild, ioBitmapExits } from "../../src/vmm/bus/io-bitmap";
import { TestDev, testdevRead, testdevWrite, testdevReset } from "../../src/vmm/devices/testdev";

export function busSetup(bus: usize, storage: usize, cap: u32, limit: u64): void { busInit(changetype<Bus>(bus), storage, cap, limit); }
export function busAdd(bus: usize, base: u64, len: u64, dev: u32, ctx: u32): u32 {
  return busRegister(changetype<Bus>(bus), base, len, dev, ctx);
}
export function busLookup(bus: usize, addr: u64): i32 { return busFind(changetype<Bus>(bus), addr); }
export function busIndex(bus: usize, table: usize): void { busAttachIndex(changetype<Bus>(bus), table); }
export function ones(size: u32): u64 { return allOnes(size); }
export function ioBitmap(bus: usize, passKind: u32, a: usize, b: usize): void { ioBitmapBuild(changetype<Bus>(bus), passKind, a, b); }
export function ioBitmapHit(a: usize, b: usize, port: u32, size: u32): bool { return ioBitmapExits(a, b, port, size); }
export function tdReset(dev: usize): void { testdevReset(changetype<TestDev>(dev)); }
export function tdRead(dev: usize, off: u32, size: u32): u64 { return testdevRead(changetype<TestDev>(dev), off, size); }
export function tdWrite(dev: usize, off: u32, size: u32, v: u64): void { testdevWrite(changetype<TestDev>(dev), off, size, v); }

// ---------------------------------------------------------------- events
import { EventState, eventsReset, queueException, queueNmi, queueIrq, recordVectoring } from "../../src/vmm/events/pending";
import { EntryDecision, decideEntry } from "../../src/vmm/events/inject";
import { combineExceptions, exceptionHasErrorCode } from "../../src/vmm/events/interruption";

export function evReset(ev: usize): void { eventsReset(changetype<EventState>(ev)); }
export function evException(ev: usize, vector: u32, err: u32): bool { return queueException(changetype<EventState>(ev), vector, err); }
export function evNmi(ev: usize): void { queueNmi(changetype<EventState>(ev)); }
export function evIrq(ev: usize, vector: u32): void { queueIrq(changetype<EventState>(ev), vector); }
export function evVectoring(ev: usize, info: u32, err: u32, len: u32): void { recordVectoring(changetype<EventState>(ev), info, err, len); }
export function evDecide(ev: usize, rflags: u64, intr: u32, activity: u32, pe: bool, out: usize): u32 {
  return decideEntry(changetype<EventState>(ev), rflags, intr, activity, pe, changetype<EntryDecision>(out));
}
export function excCombine(a: u32, b: u32): u32 { return combineExceptions(a, b); }
export function excHasError(v: u32): bool { return exceptionHasErrorCode(v); }

// ---------------------------------------------------------------- exit qualifications and rules
import { ioSize, ioLiteSize, ioIsIn, ioIsString, ioIsRep, ioIsImmediate, ioPort, ioAddrSize, ioSegment, addrRegUpdate, inMerge } from "../../src/vmm/exits/io-qual";
import { crNumber, crAccessType, crLmswMemory, crGpr, crLmswSource } from "../../src/vmm/exits/cr-qual";
import { Cr0Update, cr0Write, cr4Write, cr4Allowed, lmswValue, cr3Write, cr8Valid, pdpteValid } from "../../src/vmm/exits/cr-rules";
import { loadResult, storeValue } from "../../src/vmm/exits/mmio-writeback";
import { MmioInsn } from "../../src/vmm/mmio/insn";

/** I/O qualification fields packed: size | in<<4 | str<<5 | rep<<6 | imm<<7 | port<<16. */
export function ioDecode(q: u64): u32 {
  return ioSize(q) | (ioIsIn(q) ? 16 : 0) | (ioIsString(q) ? 32 : 0) | (ioIsRep(q) ? 64 : 0) | (ioIsImmediate(q) ? 128 : 0) | (ioPort(q) << 16);
}
/** The lite entry's size (src/vmm/exit-lite.ts): 0 for INS/OUTS and the reserved encoding. */
export function ioLite(q: u64): u32 { return ioLiteSize(q); }
export function ioInfo(info: u32): u32 { return ioAddrSize(info) | (ioSegment(info) << 8); }
export function ioRegUpdate(old: u64, v: u64, a: u32): u64 { return addrRegUpdate(old, v, a); }
export function ioInMerge(rax: u64, v: u64, size: u32): u64 { return inMerge(rax, v, size); }
/** CR qualification packed: cr | type<<4 | mem<<6 | gpr<<8 | source<<16. */
export function crDecode(q: u64): u32 {
  return crNumber(q) | (crAccessType(q) << 4) | (crLmswMemory(q) ? 64 : 0) | (crGpr(q) << 8) | (crLmswSource(q) << 16);
}
export function cr0(cur: u64, v: u64, efer: u64, cr4: u64, csLong: bool, out: usize): u32 {
  return cr0Write(cur, v, efer, cr4, csLong, changetype<Cr0Update>(out));
}
export function cr4(cur: u64, v: u64, allowed: u64, efer: u64, cr3: u64): u32 { return cr4Write(cur, v, allowed, efer, cr3); }
export function cr4Mask(a: u32, b: u32, c: u32, d: u32): u64 { return cr4Allowed(a, b, c, d); }
export function lmsw(cur: u64, src: u32): u64 { return lmswValue(cur, src); }
export function cr3(v: u64, lma: bool, pcide: bool, p: u32): u64 { return cr3Write(v, lma, pcide, p); }
export function cr8(v: u64): bool { return cr8Valid(v); }
export function pdpte(e: u64, p: u32): bool { return pdpteValid(e, p); }
export function mmioLoad(insn: usize, old: u64, loaded: u64): u64 { return loadResult(changetype<MmioInsn>(insn), old, loaded); }
export function mmioStore(insn: usize, reg: u64): u64 { return storeValue(changetype<MmioInsn>(insn), reg); }
