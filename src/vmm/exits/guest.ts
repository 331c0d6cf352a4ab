// Reading the guest's architectural state out of the current VMCS the way the guest sees it, and
// the small actions every handler shares (skip the instruction, raise a fault). The VMCS of
// `vcpu` must be current (it is, inside an exit handler).

import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmread64, vmreadNat, vmwrite32 } from "../../vmx/vmcs-access";
import { Vmcs32Guest, Vmcs64Guest, VmcsNatGuest, VmcsNatCtl } from "../../vmx/vmcs/fields";
import { GuestPagingRegs } from "../../ept/guest-paging";
import { Seg } from "../mmio/insn";
import { BLOCK_STI, BLOCK_MOV_SS, Vec } from "../events/interruption";
import { queueException } from "../events/pending";
import { stopVm, vmOf, MAX_VMS } from "../vm";
import { extEvents, guestMaxPhysBits, extFits, MAX_VCPUS_PER_VM } from "./vcpu-ext";
import { FETCH_STATE_SIZE, FS_REGS } from "../../ept/guest-fetch";
import { EPT_STATE_SIZE } from "./ept-state";
import { eventsBeforeEntry } from "../events/apply";

const EFER_LMA: u64 = 1 << 10;
const RFLAGS_VM: u64 = 1 << 17;
// Segment access rights (SDM Vol 3C §24.4.1, Table 24-2): DPL 6:5, L 13, D/B 14.
const AR_L: u32 = 1 << 13;
const AR_DB: u32 = 1 << 14;

/** The guest's CR0 view: shadow for the bits in the guest/host mask, the real CR0 elsewhere (§25.3). */
export function guestCr0(): u64 {
  const mask = vmreadNat(VmcsNatCtl.CR0_GUEST_HOST_MASK);
  return (vmreadNat(VmcsNatGuest.CR0) & ~mask) | (vmreadNat(VmcsNatCtl.CR0_READ_SHADOW) & mask);
}
/** The guest's CR4 view (as guestCr0). */
export function guestCr4(): u64 {
  const mask = vmreadNat(VmcsNatCtl.CR4_GUEST_HOST_MASK);
  return (vmreadNat(VmcsNatGuest.CR4) & ~mask) | (vmreadNat(VmcsNatCtl.CR4_READ_SHADOW) & mask);
}
@inline export function guestEfer(): u64 { return vmread64(Vmcs64Guest.IA32_EFER); }

/** CPL = SS.DPL (SDM Vol 3C §24.4.1: the SS DPL field holds the CPL). */
export function guestCpl(): u32 { return (vmread32(Vmcs32Guest.SS_ACCESS_RIGHTS) >> 5) & 3; }

/** Whether the guest executes 64-bit code: IA-32e mode and CS.L = 1 (SDM Vol 3A §5.2.1). */
export function guestLongCode(): bool {
  return (guestEfer() & EFER_LMA) != 0 && (vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS) & AR_L) != 0;
}

/** Default operand size of the code: 64, 32 or 16 (CS.L / CS.D; virtual-8086 mode is 16). */
export function guestCodeMode(): u32 {
  return guestCodeModeOf(guestEfer(), vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS));
}

/**
 * guestCodeMode from values the caller already read (IA32_EFER, CS access rights), for handlers
 * that need them anyway: each VMREAD is a call into boot/. RFLAGS is read only outside IA-32e mode.
 */
export function guestCodeModeOf(efer: u64, csAr: u32): u32 {
  if ((efer & EFER_LMA) != 0) return (csAr & AR_L) != 0 ? 64 : (csAr & AR_DB) != 0 ? 32 : 16;
  if ((vmreadNat(VmcsNatGuest.RFLAGS) & RFLAGS_VM) != 0) return 16;
  return (csAr & AR_DB) != 0 ? 32 : 16;
}

/**
 * Base of segment `seg` (Seg numbering ES CS SS DS FS GS). In 64-bit mode the bases of ES, CS,
 * SS and DS are treated as 0 (SDM Vol 3A §3.4.4).
 */
export function guestSegmentBase(seg: u32): u64 {
  const long = guestLongCode();
  switch (seg) {
    case Seg.ES: return long ? 0 : vmreadNat(VmcsNatGuest.ES_BASE);
    case Seg.CS: return long ? 0 : vmreadNat(VmcsNatGuest.CS_BASE);
    case Seg.SS: return long ? 0 : vmreadNat(VmcsNatGuest.SS_BASE);
    case Seg.DS: return long ? 0 : vmreadNat(VmcsNatGuest.DS_BASE);
    case Seg.FS: return vmreadNat(VmcsNatGuest.FS_BASE);
    case Seg.GS: return vmreadNat(VmcsNatGuest.GS_BASE);
  }
  return 0;
}

/**
 * Each vCPU's instruction-emulation state, in a static slab indexed like the vCPU extension blocks
 * (vcpu-ext.ts): everything the MMIO path (exits/ept.ts) and INS/OUTS (exits/io.ts) work in, at
 * fixed offsets from one address, so the exit path computes that address once. EMU_SIZE bytes:
 *   0 FetchState (FETCH_STATE_SIZE, src/ept/guest-fetch.ts: page cache, paging registers, walk,
 *     instruction bytes)   EMU_INSN MmioInsn (72)   EMU_CELL an 8-byte result cell
 *   EMU_EPT the EPT-violation handler's block (EPT_STATE_SIZE, exits/ept-state.ts: the exit's
 *     VMCS fields, the MMIO range, the decode cache)
 * A guest's exits come from the same few code and table pages, which the page cache spares a
 * RAM-map check and EPT walk each. A vCPU beyond the slab (extFits false) has none.
 */
export const EMU_INSN: usize = FETCH_STATE_SIZE;
export const EMU_CELL: usize = EMU_INSN + 72;
export const EMU_EPT: usize = EMU_CELL + 8;
const EMU_SIZE: usize = (EMU_EPT + EPT_STATE_SIZE + 15) & ~15;
const EMU_SLAB: usize = memory.data(<i32>(<usize>(MAX_VMS * MAX_VCPUS_PER_VM) * EMU_SIZE), 16);

/** `vcpu`'s emulation state (see above). Invariant: extFits(vcpu) (exitsVcpuReady succeeded). */
export function guestEmuState(vcpu: VCpu): usize {
  const i = (vmOf(vcpu).id % MAX_VMS) * MAX_VCPUS_PER_VM + vcpu.index % MAX_VCPUS_PER_VM;
  return EMU_SLAB + <usize>i * EMU_SIZE;
}

/**
 * The guest's paging registers (real CR0/CR4: what the MMU uses) into the paging-register block
 * of the emulation state at `es` (guestEmuState). maxPhysBits is a constant of the host, stored
 * on first use.
 */
export function guestPagingRegsAt(es: usize): GuestPagingRegs {
  readPagingRegs(es);
  return changetype<GuestPagingRegs>(es + FS_REGS);
}

/** guestPagingRegsAt's work, for callers that read more VMCS fields around it (one call fewer). */
@inline export function readPagingRegs(es: usize): void {
  store<u64>(es, vmreadNat(VmcsNatGuest.CR0), FS_REGS + offsetof<GuestPagingRegs>("cr0"));
  store<u64>(es, vmreadNat(VmcsNatGuest.CR3), FS_REGS + offsetof<GuestPagingRegs>("cr3"));
  store<u64>(es, vmreadNat(VmcsNatGuest.CR4), FS_REGS + offsetof<GuestPagingRegs>("cr4"));
  store<u64>(es, guestEfer(), FS_REGS + offsetof<GuestPagingRegs>("efer"));
  if (load<u32>(es, FS_REGS + offsetof<GuestPagingRegs>("maxPhysBits")) == 0) {
    store<u32>(es, guestMaxPhysBits(), FS_REGS + offsetof<GuestPagingRegs>("maxPhysBits"));
  }
}

/** guestPagingRegsAt for `vcpu`. Invariant: extFits(vcpu). */
export function guestPagingRegs(vcpu: VCpu): GuestPagingRegs {
  return guestPagingRegsAt(guestEmuState(vcpu));
}

/** `vcpu`'s page cache (what guestTranslate/guestFetch take), or 0 for a vCPU beyond the slab. */
export function guestPageCache(vcpu: VCpu): usize {
  if (!extFits(vcpu)) return 0;
  return guestEmuState(vcpu);
}

/**
 * Completes an emulated instruction: RIP += instruction length and, as after any instruction,
 * the STI / MOV-SS interrupt shadow ends (SDM Vol 3C §24.4.2, Table 24-3; Vol 2B STI).
 */
export function skipInstruction(vcpu: VCpu): void {
  vcpu.advanceRip();
  endInterruptShadow();
}

/** Ends the STI / MOV-SS shadow after an emulated instruction completed. */
export function endInterruptShadow(): void {
  const intr = vmread32(Vmcs32Guest.INTERRUPTIBILITY_STATE);
  if ((intr & (BLOCK_STI | BLOCK_MOV_SS)) != 0) {
    vmwrite32(Vmcs32Guest.INTERRUPTIBILITY_STATE, intr & ~(BLOCK_STI | BLOCK_MOV_SS));
  }
}

/**
 * Raises hardware exception `vector` (error code `err` where the vector has one) in the guest
 * instead of completing the instruction: queued, then written to the VM-entry fields. False when
 * the double-fault rules end in a triple fault: the VM has been stopped.
 */
export function raiseException(vcpu: VCpu, vector: u32, err: u32): bool {
  if (!queueException(extEvents(vcpu), vector, err) || !eventsBeforeEntry(vcpu)) {
    stopVm(vcpu, "triple fault (an exception while delivering a double fault)");
    return false;
  }
  return true;
}

/** #GP(0), the answer to most illegal register writes. */
@inline export function raiseGp(vcpu: VCpu): bool { return raiseException(vcpu, Vec.GP, 0); }
/** #UD. */
@inline export function raiseUd(vcpu: VCpu): bool { return raiseException(vcpu, Vec.UD, 0); }

/** #PF with error code `err` for linear address `cr2` (SDM Vol 3A §4.7: CR2 = the faulting address). */
export function raisePageFault(vcpu: VCpu, cr2: u64, err: u32): bool {
  vcpu.cr2 = cr2;
  return raiseException(vcpu, Vec.PF, err);
}
