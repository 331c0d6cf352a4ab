// EPT violations (reason 48; SDM Vol 3C §28.3.3.2, qualification Table 28-7) and EPT
// misconfigurations (reason 49, §28.3.3.1). Guest RAM is mapped in full, so a violation is an
// access outside RAM: a device on the VM's MMIO bus, or a guest bug. For a device, the faulting
// instruction is fetched at CS:RIP through the guest's page tables and GuestMemory (up to 15
// bytes, across a page boundary), decoded (src/vmm/mmio/decoder.ts: the MOV forms), performed on
// the bus at the exit's guest-physical address, and its register side completed with the width
// rules of mmio-writeback.ts; RIP moves past it (the VM-exit instruction length is not defined
// for EPT violations, §27.2.5, so the decoded length is used). Anything else stops the VM with
// `EPT violation at GPA 0x… (read|write|fetch)`. The page walk and the fetch read guest memory
// through the vCPU's GmPageCache (src/ept/page-cache.ts): the same few table and code pages
// come back on every exit of a driver's MMIO loop.
//
// This runs on every MMIO access of a guest (hw_vmrun calls it directly, src/vmm/exit-fast.ts),
// so the common case is kept short: the VMCS fields it needs come in one call (hw_vmread_mmio,
// boot/vmread-mmio.asm, into the block of exits/ept-state.ts); the MMIO range is found once and
// handed to the device dispatch; the instruction is fetched up to the end of its page (through the
// fetch translation cache, src/ept/fetch-xlat.ts, which revalidates the last translation entry by
// entry, else the cached walk) and looked up in the decode cache (src/vmm/mmio/decode-cache.ts: the
// last instruction decoded, by its bytes), else decoded; only an instruction cut off at the page
// end is fetched again across it. The bytes are fetched on every exit and compared whole (the
// guest may rewrite them), and every translation is checked against the guest's tables as they are
// now (it may change them without an exit). Rare outcomes (faults, stops) are in functions of their
// own, so the common path saves no registers for them.

import { VCpu } from "../../vmx/vcpu";
import { vmread64, vmreadNat } from "../../vmx/vmcs-access";
import { Vmcs64Ro, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { hw_vmread_mmio } from "../../hw";
import { IdentityPhys } from "../../ept/phys";
import { GuestPagingRegs, GuestWalk, guestTranslate, WalkStatus, PF_FETCH, PF_USER, CR0_PG, EFER_LMA } from "../../ept/guest-paging";
import {
  guestFetch, guestFetchHeadCached, guestFetchHeadSlow, FS_REGS, FS_WALK, FS_BYTES, FS_LINEAR, FS_ACCESS,
} from "../../ept/guest-fetch";
import { MmioInsn, DecodeStatus, AccessKind } from "../mmio/insn";
import { decodeMmio, decodeMmioGeneral, decodeMovFast } from "../mmio/decoder";
import { decodeCacheLookup, decodeCacheFill } from "../mmio/decode-cache";
import { ExitAction } from "./action";
import { vmOf, hostPhys, stopVmBegin, stopVmEnd } from "../vm";
import { print, printHex } from "../console/print";
import { Bus, BusRange, BUS_RANGE_SIZE, busRangeAt } from "../bus/bus";
import { platformMmioBus, platformReady } from "../devices/platform";
import { MmioStatus, mmioFind, mmioReadAt, mmioWriteAt } from "../devices/dispatch";
import { loadResult, storeValue } from "./mmio-writeback";
import { handlerEnter } from "./setup";
import { intrValid, BLOCK_STI, BLOCK_MOV_SS } from "../events/interruption";
import { eventsAfterExit } from "../events/apply";
import { guestMaxPhysBits } from "./vcpu-ext";
import {
  guestCodeModeOf, guestEmuState, endInterruptShadow, raiseGp, raiseUd, raisePageFault, EMU_INSN, EMU_CELL, EMU_EPT,
} from "./guest";
import {
  EI_GPA, EI_QUAL, EI_CS_AR, EI_SS_AR, EI_IDT_VECTORING, EI_INTERRUPTIBILITY, EI_RANGE_INDEX, EI_RANGE,
  EI_DECODE_CACHE,
} from "./ept-state";

// Exit qualification bits (Table 28-7): the access that faulted.
const EPTV_READ: u64 = 1 << 0;
const EPTV_WRITE: u64 = 1 << 1;
const EPTV_FETCH: u64 = 1 << 2;
const MAX_INSN: u32 = 15;
// CS access rights (Vol 3C §24.4.1, Table 24-2): L, 64-bit code.
const AR_L: u32 = 1 << 13;
// The handler's block in the emulation state (ept-state.ts), as offsets from `es`.
const E_GPA: usize = EMU_EPT + EI_GPA;
const E_QUAL: usize = EMU_EPT + EI_QUAL;
const E_CS_AR: usize = EMU_EPT + EI_CS_AR;
const E_SS_AR: usize = EMU_EPT + EI_SS_AR;
const E_IDT_VECTORING: usize = EMU_EPT + EI_IDT_VECTORING;
const E_INTERRUPTIBILITY: usize = EMU_EPT + EI_INTERRUPTIBILITY;
const E_RANGE: usize = EMU_EPT + EI_RANGE;
const E_RANGE_INDEX: usize = EMU_EPT + EI_RANGE_INDEX;
const E_DECODE_CACHE: usize = EMU_EPT + EI_DECODE_CACHE;

/** `EPT violation at GPA 0x… (read|write|fetch)` and stop: the protocol's message. */
function stopViolation(vcpu: VCpu, gpa: u64, q: u64, why: string): ExitAction {
  stopVmBegin(vmOf(vcpu));
  print("EPT violation at GPA ");
  printHex(gpa);
  print((q & EPTV_FETCH) != 0 ? " (fetch" : (q & EPTV_WRITE) != 0 ? " (write" : " (read");
  print(why);
  print(")");
  stopVmEnd(vcpu);
  return ExitAction.Stop;
}

export function onEptViolation(vcpu: VCpu): ExitAction {
  if (vcpu.ext == 0) return eptViolationFirst(vcpu);
  if (!platformReady(vmOf(vcpu))) return eptViolationFirst(vcpu);
  const es = guestEmuState(vcpu);
  hw_vmread_mmio(es + FS_REGS, es + EMU_EPT);
  // handlerEnter's work once the vCPU block and the platform exist: record an event whose
  // delivery this exit interrupted (§27.2.4) — nothing to do unless IDT-vectoring info is valid.
  if (intrValid(load<u32>(es, E_IDT_VECTORING))) eventsAfterExit(vcpu);
  return emulate(vcpu, es); // inline: one frame, one register save on the path of every MMIO access
}

/** onEptViolation before the vCPU block or the platform exists: handlerEnter makes them, then the same steps. */
function eptViolationFirst(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const es = guestEmuState(vcpu);
  hw_vmread_mmio(es + FS_REGS, es + EMU_EPT);
  return eptEmulate(vcpu, es);
}

/** emulate as a function of its own, for the first exit (eptViolationFirst). */
function eptEmulate(vcpu: VCpu, es: usize): ExitAction {
  return emulate(vcpu, es);
}

/**
 * The exit's fields read into `es`: finds the device, fetches and decodes the instruction,
 * performs it. The decoded MmioInsn is es's or the decode cache's (eptFetchDecode says which).
 * Inlined into onEptViolation for the common case of a store (its steps are @inline too), so that
 * the path saves and restores registers once; loads, misses and faults call out.
 */
@inline function emulate(vcpu: VCpu, es: usize): ExitAction {
  if (!eptRead(vcpu, es)) return stopViolationAt(vcpu, es, "");
  const got = eptFetch(vcpu, es);
  let insn: usize = 0;
  if (got == MAX_INSN) {
    insn = decodeCacheLookup(es + E_DECODE_CACHE, load<u64>(es, FS_BYTES), load<u64>(es, FS_BYTES + 8),
      load<u32>(es, EMU_INSN + offsetof<MmioInsn>("mode")));
  }
  if (insn == 0) {
    const st = eptDecode(vcpu, es, got);
    if (st != DecodeStatus.OK) return eptNotDecoded(vcpu, es, st);
    insn = es + EMU_INSN;
  }
  if (load<u32>(insn, offsetof<MmioInsn>("kind")) == AccessKind.LOAD) return eptLoad(vcpu, es, changetype<MmioInsn>(insn));
  return eptStore(vcpu, es, changetype<MmioInsn>(insn));
}

/** eptFetchDecode's answer besides DecodeStatus: a fault was raised instead. */
const EPT_FAULTED: u32 = 0x100;

/**
 * Checks the exit (hw_vmread_mmio's fields in es) and finds the device: false for a fetch or an
 * address no device has. Fills in the fetch's access kind: the CPL (SS access rights' DPL, Vol
 * 3C §24.4.1) matters only with paging, to the page walk's U/S checks.
 */
@inline function eptRead(vcpu: VCpu, es: usize): bool {
  if (load<u32>(es, FS_REGS + offsetof<GuestPagingRegs>("maxPhysBits")) == 0) setMaxPhysBits(es);
  const range = findRange(platformMmioBus(vmOf(vcpu)), es, load<u64>(es, E_GPA));
  store<usize>(es, range, E_RANGE);
  let access = PF_FETCH;
  if ((load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("cr0")) & CR0_PG) != 0) {
    if (((load<u32>(es, E_SS_AR) >> 5) & 3) == 3) access = PF_FETCH | PF_USER;
  }
  store<u32>(es, access, FS_ACCESS);
  if ((load<u64>(es, E_QUAL) & EPTV_FETCH) != 0) return false;
  return range != 0;
}

/**
 * mmioFind's answer, trying first the range the last exit found (its index, E_RANGE_INDEX): a
 * driver's accesses go to one device many times in a row. Ranges never overlap (busRegister
 * refuses that) and are never moved or removed, so a registered range holding `gpa` is the one
 * mmioFind finds; an index from another bus (another VM in this slot) is checked like any other.
 */
@inline function findRange(bus: Bus, es: usize, gpa: u64): usize {
  const i = load<u32>(es, E_RANGE_INDEX);
  if (i < bus.count && i < bus.capacity) {
    const r = busRangeAt(bus, i);
    if (gpa - r.base < r.length) return changetype<usize>(r);
  }
  return findRangeScan(bus, es, gpa);
}

/** findRange's scan (mmioFind); the range found is where the next lookup starts. */
function findRangeScan(bus: Bus, es: usize, gpa: u64): usize {
  const r = mmioFind(bus, gpa);
  if (r != 0) store<u32>(es, <u32>((r - bus.ranges) / BUS_RANGE_SIZE), E_RANGE_INDEX);
  return r;
}

/** MAXPHYADDR into the paging registers, on the first exit (a constant of the host). */
function setMaxPhysBits(es: usize): void {
  store<u32>(es, guestMaxPhysBits(), FS_REGS + offsetof<GuestPagingRegs>("maxPhysBits"));
}

/**
 * The first step of fetching the instruction at CS:RIP (outside 64-bit code linear addresses are
 * 32 bits wide; the code mode goes to es's MmioInsn): guestFetchHeadCached — the translation cache
 * (src/ept/fetch-xlat.ts) or the cached walk, and the page cache. Returns the bytes fetched to
 * FS_BYTES, or 0 when it could not tell (eptDecode then fetches the exact way).
 */
@inline function eptFetch(vcpu: VCpu, es: usize): u32 {
  store<u64>(es, vcpu.rip(), FS_LINEAR);
  store<u32>(es, 64, EMU_INSN + offsetof<MmioInsn>("mode"));
  if ((load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("efer")) & EFER_LMA) == 0) {
    legacyCode(vcpu, es);
  } else if ((load<u32>(es, E_CS_AR) & AR_L) == 0) {
    legacyCode(vcpu, es);
  }
  return guestFetchHeadCached(vmOf(vcpu).memory(), es);
}

/**
 * Decodes the instruction into es's MmioInsn when the decode cache did not have it (`got`: what
 * eptFetch fetched, 0 for nothing yet): the fast decoder for the common forms, else decodeMmio,
 * else (cut off, or not fetched) the exact fetch. Returns its DecodeStatus, or EPT_FAULTED; an
 * instruction decoded OK is kept in the decode cache.
 */
function eptDecode(vcpu: VCpu, es: usize, got: u32): u32 {
  if (got == 0) return eptFetchDecodeSlow(vcpu, es);
  if (got == MAX_INSN) {
    if (load<u32>(es, EMU_INSN + offsetof<MmioInsn>("mode")) == 64) {
      // The common forms first (what decodeMmio would do first too, as a call of its own).
      if (decodeMovFast(es + FS_BYTES, changetype<MmioInsn>(es + EMU_INSN))) return decoded(es, DecodeStatus.OK);
    }
  }
  return eptDecodeGot(vcpu, es, got);
}

/**
 * An instruction decoded into es's MmioInsn from the bytes at FS_BYTES with status `st`: on OK
 * kept in the decode cache. Returns `st`.
 */
function decoded(es: usize, st: u32): u32 {
  if (st != DecodeStatus.OK) return st;
  const insn = changetype<MmioInsn>(es + EMU_INSN);
  decodeCacheFill(es + E_DECODE_CACHE, es + FS_BYTES, insn.mode, insn);
  return st;
}

/** eptFetchDecode when the cached fetch could not tell: the exact fetch (guestFetchHeadSlow), then the decode. */
function eptFetchDecodeSlow(vcpu: VCpu, es: usize): u32 {
  const got = guestFetchHeadSlow<IdentityPhys>(vmOf(vcpu).memory(), hostPhys(), es);
  if (got == 0) return fetchDecodeAcross(vcpu, es);
  return eptDecodeGot(vcpu, es, got);
}

/** Decodes the `got` bytes fetched (decodeMmio); an instruction cut off goes to fetchDecodeAcross. */
function eptDecodeGot(vcpu: VCpu, es: usize, got: u32): u32 {
  const insn = changetype<MmioInsn>(es + EMU_INSN);
  const st = decodeMmio(es + FS_BYTES, got, insn.mode, insn);
  if (st != DecodeStatus.TRUNCATED) return decoded(es, st);
  return fetchDecodeAcross(vcpu, es);
}

/**
 * Code outside 64-bit mode: its mode (16 or 32, guestCodeModeOf) into es's MmioInsn, and the
 * linear address of CS:RIP (CS base + RIP, 32 bits wide) into the fetch state.
 */
function legacyCode(vcpu: VCpu, es: usize): void {
  const efer = load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("efer"));
  store<u32>(es, guestCodeModeOf(efer, load<u32>(es, E_CS_AR)), EMU_INSN + offsetof<MmioInsn>("mode"));
  store<u64>(es, (vmreadNat(VmcsNatGuest.CS_BASE) + vcpu.rip()) & 0xFFFFFFFF, FS_LINEAR);
}

/**
 * The instruction needs bytes beyond what guestFetchHead got (it crosses a page, or the walk
 * failed): fetch all 15 bytes page by page and decode again (the general decoder: decodeMmio's
 * fast path is only for the common case, the result is the same). When it is still cut short, the
 * CPU would have faulted on the fetch: walk again at the first byte not fetched to learn why
 * (guestFetch returns only a count) and raise that fault (EPT_FAULTED), or answer TRUNCATED
 * (bytes outside guest RAM: the caller stops the VM).
 */
function fetchDecodeAcross(vcpu: VCpu, es: usize): u32 {
  const gm = vmOf(vcpu).memory();
  const regs = changetype<GuestPagingRegs>(es + FS_REGS);
  const walk = changetype<GuestWalk>(es + FS_WALK);
  const insn = changetype<MmioInsn>(es + EMU_INSN);
  const linear = load<u64>(es, FS_LINEAR);
  const access = load<u32>(es, FS_ACCESS);
  const got = guestFetch<IdentityPhys>(gm, hostPhys(), regs, linear, access, es + FS_BYTES, MAX_INSN, walk, es);
  const st = decodeMmioGeneral(es + FS_BYTES, got, insn.mode, insn);
  if (st != DecodeStatus.TRUNCATED) return decoded(es, st);
  const missing = linear + <u64>got;
  const ws = guestTranslate<IdentityPhys>(gm, hostPhys(), regs, missing, access, walk, es);
  if (ws == WalkStatus.PAGE_FAULT) { raisePageFault(vcpu, missing, walk.errorCode); return EPT_FAULTED; }
  if (ws == WalkStatus.NON_CANONICAL) { raiseGp(vcpu); return EPT_FAULTED; }
  return DecodeStatus.TRUNCATED;
}

/** No emulated device access (eptFetchDecode's answer `st`): fault, or stop the VM. */
function eptNotDecoded(vcpu: VCpu, es: usize, st: u32): ExitAction {
  if (st == EPT_FAULTED) return ExitAction.Resume;
  if (st == DecodeStatus.TRUNCATED) return stopViolationAt(vcpu, es, ", instruction bytes not in guest RAM");
  if (st == DecodeStatus.LOCK_PREFIX) { raiseUd(vcpu); return ExitAction.Resume; }
  if (st == DecodeStatus.TOO_LONG) { raiseGp(vcpu); return ExitAction.Resume; }
  return stopViolationAt(vcpu, es, ", instruction not emulated");
}

/** stopViolation with the exit's GPA and qualification from the emulation state. */
function stopViolationAt(vcpu: VCpu, es: usize, why: string): ExitAction {
  return stopViolation(vcpu, load<u64>(es, E_GPA), load<u64>(es, E_QUAL), why);
}

// The decoded direction must be the one that faulted: another vCPU (or DMA) may have rewritten the
// instruction between the fault and our fetch. Emulating something else is refused.
const MISMATCH = ", instruction does not match the access";

/** A decoded load: the device's value into the destination register (width rules: mmio-writeback.ts). */
function eptLoad(vcpu: VCpu, es: usize, insn: MmioInsn): ExitAction {
  if ((load<u64>(es, E_QUAL) & EPTV_READ) == 0) return stopViolationAt(vcpu, es, MISMATCH);
  const range = changetype<BusRange>(load<usize>(es, E_RANGE));
  if (mmioReadAt(range, load<u64>(es, E_GPA), insn.size, es + EMU_CELL) != MmioStatus.OK) return stopViolationAt(vcpu, es, "");
  const reg = insn.reg & 15;
  vcpu.setGpr(reg, loadResult(insn, vcpu.gpr(reg), load<u64>(es, EMU_CELL)));
  return complete(vcpu, es, insn);
}

/** A decoded store: the register's or the immediate's bytes to the device. */
@inline function eptStore(vcpu: VCpu, es: usize, insn: MmioInsn): ExitAction {
  if ((load<u64>(es, E_QUAL) & EPTV_WRITE) == 0) return stopViolationAt(vcpu, es, MISMATCH);
  const v = storeValue(insn, insn.kind == AccessKind.STORE_REG ? vcpu.gpr(insn.reg & 15) : 0);
  const range = changetype<BusRange>(load<usize>(es, E_RANGE));
  if (mmioWriteAt(range, load<u64>(es, E_GPA), insn.size, v) != MmioStatus.OK) return stopViolationAt(vcpu, es, "");
  return complete(vcpu, es, insn);
}

/**
 * Completes an emulated instruction: RIP past it (IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB
 * in 32-bit code) and the end of an STI / MOV-SS interrupt shadow (Vol 3C §24.4.2: only when the
 * exit's interruptibility state had one; nothing on this path starts one).
 */
@inline function complete(vcpu: VCpu, es: usize, insn: MmioInsn): ExitAction {
  let next = vcpu.rip() + <u64>insn.length;
  const mode = insn.mode;
  if (mode != 64) next &= mode == 32 ? 0xFFFFFFFF : 0xFFFF;
  vcpu.setRip(next);
  if ((load<u32>(es, E_INTERRUPTIBILITY) & (BLOCK_STI | BLOCK_MOV_SS)) != 0) endInterruptShadow();
  return ExitAction.Resume;
}

/** EPT misconfiguration: our own EPT is wrong (a VMM bug, never the guest's doing). */
export function onEptMisconfig(vcpu: VCpu): ExitAction {
  stopVmBegin(vmOf(vcpu));
  print("EPT misconfiguration at GPA ");
  printHex(vmread64(Vmcs64Ro.GUEST_PHYSICAL_ADDR));
  print(" (an invalid EPT entry: hypervisor bug)");
  stopVmEnd(vcpu);
  return ExitAction.Stop;
}
