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
// so the common case is kept short: each VMREAD (a call into boot/) is done once — exit
// qualification and guest-physical address, the paging registers, CS access rights, SS access
// rights (the CPL) only when paging is on, CS base only outside 64-bit code; the MMIO range is
// found once and handed to the device dispatch; the instruction is fetched up to the end of its
// page and decoded from there, and only an instruction cut off at the page end is fetched again
// across it. The bytes are fetched and decoded on every exit (the guest may rewrite them), and
// every page walk reads the guest's tables again (it may change them without an exit). Rare
// outcomes (faults, stops) are in functions of their own, so the common path saves no registers
// for them.

import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmread64, vmreadNat } from "../../vmx/vmcs-access";
import { Vmcs32Guest, Vmcs32Ro, Vmcs64Ro, VmcsNatRo, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { IdentityPhys } from "../../ept/phys";
import { GuestPagingRegs, GuestWalk, guestTranslate, WalkStatus, PF_FETCH, PF_USER, CR0_PG, EFER_LMA } from "../../ept/guest-paging";
import {
  guestFetch, guestFetchHeadCached, guestFetchHeadSlow, FS_REGS, FS_WALK, FS_BYTES, FS_LINEAR, FS_ACCESS,
} from "../../ept/guest-fetch";
import { MmioInsn, DecodeStatus, AccessKind } from "../mmio/insn";
import { decodeMmio, decodeMmioGeneral, decodeMovFast, FAST_MAX_LENGTH } from "../mmio/decoder";
import { ExitAction } from "./action";
import { vmOf, hostPhys, stopVmBegin, stopVmEnd } from "../vm";
import { print, printHex } from "../console/print";
import { BusRange } from "../bus/bus";
import { platformMmioBus, platformReady } from "../devices/platform";
import { MmioStatus, mmioFind, mmioReadAt, mmioWriteAt } from "../devices/dispatch";
import { loadResult, storeValue } from "./mmio-writeback";
import { handlerEnter } from "./setup";
import { intrValid } from "../events/interruption";
import { eventsAfterExit } from "../events/apply";
import {
  guestCodeModeOf, guestCpl, guestEmuState, readPagingRegs, endInterruptShadow, raiseGp, raiseUd, raisePageFault,
  EMU_INSN, EMU_CELL, EMU_GPA, EMU_QUAL, EMU_RANGE, EMU_CSAR,
} from "./guest";

// Exit qualification bits (Table 28-7): the access that faulted.
const EPTV_READ: u64 = 1 << 0;
const EPTV_WRITE: u64 = 1 << 1;
const EPTV_FETCH: u64 = 1 << 2;
const MAX_INSN: u32 = 15;
// CS access rights (Vol 3C §24.4.1, Table 24-2): L, 64-bit code.
const AR_L: u32 = 1 << 13;

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
  // handlerEnter's work once the vCPU block and the platform exist: record an event whose
  // delivery this exit interrupted (§27.2.4) — nothing to do unless IDT-vectoring info is valid.
  if (intrValid(vmread32(Vmcs32Ro.IDT_VECTORING_INFO))) eventsAfterExit(vcpu);
  const es = guestEmuState(vcpu);
  if (!eptRead(vcpu, es)) return stopViolationAt(vcpu, es, "");
  const st = eptFetchDecode(vcpu, es);
  if (st != DecodeStatus.OK) return eptNotDecoded(vcpu, es, st);
  if (load<u32>(es, EMU_INSN + offsetof<MmioInsn>("kind")) == AccessKind.LOAD) return eptLoad(vcpu, es);
  return eptStore(vcpu, es);
}

/**
 * onEptViolation before the vCPU block or the platform exists: handlerEnter makes them, then the
 * same steps. (That each step has two callers also keeps binaryen from inlining them all into
 * one function, where every value would live across every call.)
 */
function eptViolationFirst(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const es = guestEmuState(vcpu);
  if (!eptRead(vcpu, es)) return stopViolationAt(vcpu, es, "");
  const st = eptFetchDecode(vcpu, es);
  if (st != DecodeStatus.OK) return eptNotDecoded(vcpu, es, st);
  if (load<u32>(es, EMU_INSN + offsetof<MmioInsn>("kind")) == AccessKind.LOAD) return eptLoad(vcpu, es);
  return eptStore(vcpu, es);
}

/** eptFetchDecode's answer besides DecodeStatus: a fault was raised instead. */
const EPT_FAULTED: u32 = 0x100;

/**
 * Reads the exit, each VMREAD once and straight into the emulation state `es` (guest-physical
 * address, qualification, paging registers, CS access rights, and SS access rights — the CPL —
 * only with paging: it matters only to the page walk's U/S checks), and finds the device. False
 * for a fetch or an address no device has.
 */
function eptRead(vcpu: VCpu, es: usize): bool {
  const gpa = vmread64(Vmcs64Ro.GUEST_PHYSICAL_ADDR);
  store<u64>(es, gpa, EMU_GPA);
  store<usize>(es, mmioFind(platformMmioBus(vmOf(vcpu)), gpa), EMU_RANGE);
  store<u64>(es, vmreadNat(VmcsNatRo.EXIT_QUALIFICATION), EMU_QUAL);
  readPagingRegs(es);
  store<u32>(es, vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS), EMU_CSAR);
  // (Each store right after its value: nothing of es's is kept on the wasm stack across a call.)
  store<u32>(es, PF_FETCH, FS_ACCESS);
  if ((load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("cr0")) & CR0_PG) != 0) {
    if (guestCpl() == 3) store<u32>(es, PF_FETCH | PF_USER, FS_ACCESS);
  }
  if ((load<u64>(es, EMU_QUAL) & EPTV_FETCH) != 0) return false;
  return load<usize>(es, EMU_RANGE) != 0;
}

/**
 * Fetches the instruction at CS:RIP (outside 64-bit code linear addresses are 32 bits wide) and
 * decodes it into es's MmioInsn. Returns its DecodeStatus, or EPT_FAULTED. The common case (all
 * in the page cache, a common MOV form) calls only the walk and the fast decoder; the rest is in
 * eptFetchDecodeSlow / eptDecodeGot, which compute again what they need.
 */
function eptFetchDecode(vcpu: VCpu, es: usize): u32 {
  store<u64>(es, vcpu.rip(), FS_LINEAR);
  store<u32>(es, 64, EMU_INSN + offsetof<MmioInsn>("mode"));
  if ((load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("efer")) & EFER_LMA) == 0) {
    legacyCode(vcpu, es);
  } else if ((load<u32>(es, EMU_CSAR) & AR_L) == 0) {
    legacyCode(vcpu, es);
  }
  const got = guestFetchHeadCached(vmOf(vcpu).memory(), es);
  if (got == 0) return eptFetchDecodeSlow(vcpu, es);
  if (got >= FAST_MAX_LENGTH) {
    if (load<u32>(es, EMU_INSN + offsetof<MmioInsn>("mode")) == 64) {
      // The common forms first (what decodeMmio would do first too, as a call of its own).
      if (decodeMovFast(es + FS_BYTES, changetype<MmioInsn>(es + EMU_INSN))) return DecodeStatus.OK;
    }
  }
  return eptDecodeGot(vcpu, es, got);
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
  if (st != DecodeStatus.TRUNCATED) return st;
  return fetchDecodeAcross(vcpu, es);
}

/**
 * Code outside 64-bit mode: its mode (16 or 32, guestCodeModeOf) into es's MmioInsn, and the
 * linear address of CS:RIP (CS base + RIP, 32 bits wide) into the fetch state.
 */
function legacyCode(vcpu: VCpu, es: usize): void {
  const efer = load<u64>(es, FS_REGS + offsetof<GuestPagingRegs>("efer"));
  store<u32>(es, guestCodeModeOf(efer, load<u32>(es, EMU_CSAR)), EMU_INSN + offsetof<MmioInsn>("mode"));
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
  if (st != DecodeStatus.TRUNCATED) return st;
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
  return stopViolation(vcpu, load<u64>(es, EMU_GPA), load<u64>(es, EMU_QUAL), why);
}

// The decoded direction must be the one that faulted: another vCPU (or DMA) may have rewritten the
// instruction between the fault and our fetch. Emulating something else is refused.
const MISMATCH = ", instruction does not match the access";

/** A decoded load: the device's value into the destination register (width rules: mmio-writeback.ts). */
function eptLoad(vcpu: VCpu, es: usize): ExitAction {
  const insn = changetype<MmioInsn>(es + EMU_INSN);
  if ((load<u64>(es, EMU_QUAL) & EPTV_READ) == 0) return stopViolationAt(vcpu, es, MISMATCH);
  const range = changetype<BusRange>(load<usize>(es, EMU_RANGE));
  if (mmioReadAt(range, load<u64>(es, EMU_GPA), insn.size, es + EMU_CELL) != MmioStatus.OK) return stopViolationAt(vcpu, es, "");
  const reg = insn.reg & 15;
  vcpu.setGpr(reg, loadResult(insn, vcpu.gpr(reg), load<u64>(es, EMU_CELL)));
  return complete(vcpu, insn);
}

/** A decoded store: the register's or the immediate's bytes to the device. */
function eptStore(vcpu: VCpu, es: usize): ExitAction {
  const insn = changetype<MmioInsn>(es + EMU_INSN);
  if ((load<u64>(es, EMU_QUAL) & EPTV_WRITE) == 0) return stopViolationAt(vcpu, es, MISMATCH);
  const v = storeValue(insn, insn.kind == AccessKind.STORE_REG ? vcpu.gpr(insn.reg & 15) : 0);
  const range = changetype<BusRange>(load<usize>(es, EMU_RANGE));
  if (mmioWriteAt(range, load<u64>(es, EMU_GPA), insn.size, v) != MmioStatus.OK) return stopViolationAt(vcpu, es, "");
  return complete(vcpu, insn);
}

/**
 * Completes an emulated instruction: RIP past it (IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB
 * in 32-bit code) and the end of an STI / MOV-SS interrupt shadow.
 */
@inline function complete(vcpu: VCpu, insn: MmioInsn): ExitAction {
  let next = vcpu.rip() + <u64>insn.length;
  const mode = insn.mode;
  if (mode != 64) next &= mode == 32 ? 0xFFFFFFFF : 0xFFFF;
  vcpu.setRip(next);
  endInterruptShadow();
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
