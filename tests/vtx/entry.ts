// @ts-nocheck: AssemblyScript, compiled by asc (mk/vtx-unit.mk), not by tsc; tsconfig.json picks up tests/**/*.ts.
// The unit-test wasm: thin exports over the pure VT-x core logic, built by mk/vtx-unit.mk with
// `--runtime stub`. Structures are passed as addresses in this module's linear memory, which the
// tests also use as fake physical RAM (wasm address = physical address, as on bare metal).

import {
  vmcsWidth, vmcsType, vmcsIndex, vmcsHigh, vmcsSizeBytes, vmcsEncodingValid,
} from "../../src/vmx/vmcs/fields";
import { VmxCaps, capsSlot, VMX_CAPS_SIZE } from "../../src/vmx/vmcs/caps";
import {
  basicRevisionId, basicVmcsSize, basicMemoryType, basicTrueControls, basicAddr32,
  miscPreemptionTimerRate, miscCr3Targets, miscMaxMsrListEntries, miscActivityWaitForSipi,
  crFixedViolations, crHostOwnedMask, guestCr0, guestCr4,
} from "../../src/vmx/vmcs/basic";
import { adjustControls, ctlForcedExtra } from "../../src/vmx/vmcs/controls";
import { VmxControlSet, computeControlSet } from "../../src/vmx/vmcs/control-set";

// ---------------------------------------------------------------- vmcs/fields
export function fieldWidth(e: u32): u32 { return vmcsWidth(e); }
export function fieldType(e: u32): u32 { return vmcsType(e); }
export function fieldIndex(e: u32): u32 { return vmcsIndex(e); }
export function fieldHigh(e: u32): u32 { return vmcsHigh(e); }
export function fieldSize(e: u32): u32 { return vmcsSizeBytes(e); }
export function fieldValid(e: u32): bool { return vmcsEncodingValid(e); }

// ---------------------------------------------------------------- vmcs/basic, controls
export function capsSize(): u32 { return VMX_CAPS_SIZE; }
export function capsSlotAddr(caps: usize, msr: u32): usize { return capsSlot(caps, msr); }
export function revisionId(b: u64): u32 { return basicRevisionId(b); }
export function vmcsSize(b: u64): u32 { return basicVmcsSize(b); }
export function vmcsMemType(b: u64): u32 { return basicMemoryType(b); }
export function trueControls(b: u64): bool { return basicTrueControls(b); }
export function addr32(b: u64): bool { return basicAddr32(b); }
export function timerRate(m: u64): u32 { return miscPreemptionTimerRate(m); }
export function cr3Targets(m: u64): u32 { return miscCr3Targets(m); }
export function maxMsrList(m: u64): u32 { return miscMaxMsrListEntries(m); }
export function waitForSipi(m: u64): bool { return miscActivityWaitForSipi(m); }
export function crViolations(v: u64, f0: u64, f1: u64, exempt: u64): u64 {
  return crFixedViolations(v, f0, f1, exempt);
}
export function crHostMask(f0: u64, f1: u64, exempt: u64): u64 { return crHostOwnedMask(f0, f1, exempt); }
export function adjustCr0(v: u64, f0: u64, f1: u64, unrestricted: bool): u64 {
  return guestCr0(v, f0, f1, unrestricted);
}
export function adjustCr4(v: u64, f0: u64, f1: u64): u64 { return guestCr4(v, f0, f1); }
export function adjust(cap: u64, required: u32, optional: u32): u64 {
  return adjustControls(cap, required, optional);
}
export function forcedExtra(cap: u64, required: u32, optional: u32): u32 {
  return ctlForcedExtra(cap, required, optional);
}
export function controlSet(caps: usize, out: usize): u32 {
  return computeControlSet(changetype<VmxCaps>(caps), changetype<VmxControlSet>(out));
}

// ---------------------------------------------------------------- vmm/mem
import { MemRange, nextFreeSpan, writeStandardReserved } from "../../src/vmm/mem/ranges";
import {
  FrameAllocator, frameAllocInit, allocFrame, allocContiguous, alloc2MRun, freeFrames, frameInUse,
} from "../../src/vmm/mem/frames";

export function memNextSpan(usable: usize, nu: u32, reserved: usize, nr: u32, from: u64, out: usize): bool {
  return nextFreeSpan(usable, nu, reserved, nr, from, changetype<MemRange>(out));
}
export function memStandardReserved(out: usize, imageEnd: u64): u32 { return writeStandardReserved(out, imageEnd); }
export function frameInit(usable: usize, nu: u32, reserved: usize, nr: u32, limit: u64): usize {
  return frameAllocInit(usable, nu, reserved, nr, limit);
}
export function frameAlloc(a: usize, limit: u64): u64 { return allocFrame(changetype<FrameAllocator>(a), limit); }
export function frameAllocRun(a: usize, frames: u64, align: u64, limit: u64): u64 {
  return allocContiguous(changetype<FrameAllocator>(a), frames, align, limit);
}
export function frameAlloc2M(a: usize, count: u64, limit: u64): u64 {
  return alloc2MRun(changetype<FrameAllocator>(a), count, limit);
}
export function frameFree(a: usize, pa: u64, frames: u64): u32 { return freeFrames(changetype<FrameAllocator>(a), pa, frames); }
export function frameUsed(a: usize, pa: u64): bool { return frameInUse(changetype<FrameAllocator>(a), pa); }

// ---------------------------------------------------------------- ept
// One physical-memory view and one table-frame source, at fixed scratch addresses set by the tests.
import { IdentityPhys } from "../../src/ept/phys";
import { TableFrames } from "../../src/vmm/mem/table-frames";
import { eptPointer, eptCapsMissing } from "../../src/ept/entry";
import {
  Ept, EptLookup, eptInit, eptMap, eptTranslate, eptDestroy, eptTakeInveptNeeded, eptPointerOf,
} from "../../src/ept/table";
import { eptUnmap, eptProtect } from "../../src/ept/range";
import {
  GuestMemory, gmRead, gmWrite, gmReadScalar, gmWriteScalar, gmReadQword, gmReadShort,
} from "../../src/ept/guest-memory";
import { gmReadQwordCached, gmReadShortCached, GM_CACHE_SIZE } from "../../src/ept/page-cache";
import { GuestPagingRegs, GuestWalk, guestTranslate } from "../../src/ept/guest-paging";
import {
  guestFetch, guestFetchHead, FS_REGS, FS_WALK, FS_BYTES, FS_LINEAR, FETCH_STATE_SIZE,
} from "../../src/ept/guest-fetch";

@inline function phys(p: usize): IdentityPhys { return changetype<IdentityPhys>(p); }
@inline function tf(p: usize): TableFrames { return changetype<TableFrames>(p); }

export function eptp(pml4: u64): u64 { return eptPointer(pml4); }
export function eptCapMissing(cap: u64): u64 { return eptCapsMissing(cap); }
export function eptNew(ept: usize, mem: usize, frames: usize, cap: u64): u32 {
  return eptInit<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), cap);
}
export function eptMapRange(ept: usize, mem: usize, frames: usize, gpa: u64, hpa: u64, size: u64, perms: u64, mt: u32): u32 {
  return eptMap<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), gpa, hpa, size, perms, mt);
}
export function eptUnmapRange(ept: usize, mem: usize, frames: usize, gpa: u64, size: u64): u32 {
  return eptUnmap<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), gpa, size);
}
export function eptProtectRange(ept: usize, mem: usize, frames: usize, gpa: u64, size: u64, perms: u64): u32 {
  return eptProtect<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames), gpa, size, perms);
}
export function eptLookup(ept: usize, mem: usize, gpa: u64, out: usize): u32 {
  return eptTranslate<IdentityPhys>(changetype<Ept>(ept), phys(mem), gpa, changetype<EptLookup>(out));
}
export function eptFree(ept: usize, mem: usize, frames: usize): void {
  eptDestroy<IdentityPhys, TableFrames>(changetype<Ept>(ept), phys(mem), tf(frames));
}
export function eptTakeInvept(ept: usize): bool { return eptTakeInveptNeeded(changetype<Ept>(ept)); }
export function eptPtr(ept: usize): u64 { return eptPointerOf(changetype<Ept>(ept)); }

export function gmReadBytes(gm: usize, mem: usize, gpa: u64, dst: usize, len: u64): u32 {
  return gmRead<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, dst, len);
}
export function gmWriteBytes(gm: usize, mem: usize, gpa: u64, src: usize, len: u64): u32 {
  return gmWrite<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, src, len);
}
export function gmLoad(gm: usize, mem: usize, gpa: u64, size: u32, out: usize): u32 {
  return gmReadScalar<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, size, out);
}
export function gmReadShortBytes(gm: usize, mem: usize, gpa: u64, dst: usize, len: u32): u32 {
  return gmReadShort<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, dst, len);
}
export function gmCacheSize(): u32 { return GM_CACHE_SIZE; }
export function gmLoadQwordCached(gm: usize, mem: usize, cache: usize, gpa: u64, out: usize): u32 {
  return gmReadQwordCached<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), cache, gpa, out);
}
export function gmReadShortCachedBytes(gm: usize, mem: usize, cache: usize, gpa: u64, dst: usize, len: u32): u32 {
  return gmReadShortCached<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), cache, gpa, dst, len);
}
export function gmLoadQword(gm: usize, mem: usize, gpa: u64, out: usize): u32 {
  return gmReadQword<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, out);
}
export function gmStore(gm: usize, mem: usize, gpa: u64, size: u32, value: u64): u32 {
  return gmWriteScalar<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), gpa, size, value);
}
export function gwTranslate(gm: usize, mem: usize, regs: usize, linear: u64, access: u32, out: usize): u32 {
  return guestTranslate<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem),
    changetype<GuestPagingRegs>(regs), linear, access, changetype<GuestWalk>(out));
}
/** guestFetchHead with fetch state `fs` (its paging registers, linear address and access filled in). */
export function gwFetchHead(gm: usize, mem: usize, fs: usize): u32 {
  return guestFetchHead<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem), fs);
}
export function fsOffsets(): u64 {
  // FS_REGS | FS_WALK << 16 | FS_BYTES << 32 | FS_LINEAR << 48 (FS_ACCESS = FS_LINEAR + 8)
  return <u64>FS_REGS | (<u64>FS_WALK << 16) | (<u64>FS_BYTES << 32) | (<u64>FS_LINEAR << 48);
}
export function fetchStateSize(): u32 { return <u32>FETCH_STATE_SIZE; }
export function gwTranslateCached(gm: usize, mem: usize, regs: usize, linear: u64, access: u32, out: usize, cache: usize): u32 {
  return guestTranslate<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem),
    changetype<GuestPagingRegs>(regs), linear, access, changetype<GuestWalk>(out), cache);
}
export function gwFetch(gm: usize, mem: usize, regs: usize, linear: u64, access: u32, dst: usize, len: u32, out: usize): u32 {
  return guestFetch<IdentityPhys>(changetype<GuestMemory>(gm), phys(mem),
    changetype<GuestPagingRegs>(regs), linear, access, dst, len, changetype<GuestWalk>(out));
}

// ---------------------------------------------------------------- vmm/mmio
import { MmioInsn } from "../../src/vmm/mmio/insn";
import { decodeMmio, decodeMmioGeneral } from "../../src/vmm/mmio/decoder";

export function mmioDecode(code: usize, avail: u32, mode: u32, out: usize): u32 {
  return decodeMmio(code, avail, mode, changetype<MmioInsn>(out));
}
/** The general decoder alone (no fast path): the reference the fast path is compared with. */
export function mmioDecodeGeneral(code: usize, avail: u32, mode: u32, out: usize): u32 {
  return decodeMmioGeneral(code, avail, mode, changetype<MmioInsn>(out));
}

// ---------------------------------------------------------------- the MMIO path's caches
import { decodeCacheLookup, decodeCacheFill, DECODE_CACHE_SIZE } from "../../src/vmm/mmio/decode-cache";
import { xlatReset } from "../../src/ept/fetch-xlat";
import { FS_XLAT } from "../../src/ept/guest-fetch";

/** The decode cache's MmioInsn address for the 16 bytes at `code` in `mode`, or 0. */
export function dcLookup(dc: usize, code: usize, mode: u32): usize {
  return decodeCacheLookup(dc, load<u64>(code), load<u64>(code, 8), mode);
}
export function dcFill(dc: usize, code: usize, mode: u32, insn: usize): void {
  decodeCacheFill(dc, code, mode, changetype<MmioInsn>(insn));
}
export function dcSize(): u32 { return <u32>DECODE_CACHE_SIZE; }
/** Empties the fetch translation cache of fetch state `fs`. */
export function fsXlatReset(fs: usize): void { xlatReset(fs + FS_XLAT); }
