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

import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmread64, vmreadNat } from "../../vmx/vmcs-access";
import { Vmcs32Guest, Vmcs64Ro, VmcsNatRo, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { IdentityPhys } from "../../ept/phys";
import { guestFetch, guestTranslate, WalkStatus, PF_FETCH, PF_USER } from "../../ept/guest-paging";
import { MmioInsn, DecodeStatus, AccessKind } from "../mmio/insn";
import { decodeMmio } from "../mmio/decoder";
import { ExitAction } from "./action";
import { vmOf, hostPhys, stopVmBegin, stopVmEnd } from "../vm";
import { print, printHex } from "../console/print";
import { busFind } from "../bus/bus";
import { platformMmioBus } from "../devices/platform";
import { MmioStatus, mmioRead, mmioWrite } from "../devices/dispatch";
import { loadResult, storeValue } from "./mmio-writeback";
import { handlerEnter } from "./setup";
import { extCell, extFetchBuffer, extInsn, extWalk } from "./vcpu-ext";
import {
  guestCodeModeOf, guestCpl, guestPagingRegs, guestPageCache, endInterruptShadow,
  raiseGp, raiseUd, raisePageFault,
} from "./guest";

// Exit qualification bits (Table 28-7): the access that faulted.
const EPTV_READ: u64 = 1 << 0;
const EPTV_WRITE: u64 = 1 << 1;
const EPTV_FETCH: u64 = 1 << 2;
const MAX_INSN: u32 = 15;

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
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const gpa = vmread64(Vmcs64Ro.GUEST_PHYSICAL_ADDR);
  const q = vmreadNat(VmcsNatRo.EXIT_QUALIFICATION);
  const bus = platformMmioBus(vmOf(vcpu));
  if ((q & EPTV_FETCH) != 0 || busFind(bus, gpa) < 0) return stopViolation(vcpu, gpa, q, "");

  // Fetch the instruction at CS:RIP (outside 64-bit code, linear addresses are 32 bits wide).
  // The guest state it needs is read once here (each VMREAD is a call into boot/): the paging
  // registers (EFER among them), CS's access rights, and CS's base only outside 64-bit code.
  const regs = guestPagingRegs(vcpu);
  const mode = guestCodeModeOf(regs.efer, vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS));
  const rip = vcpu.rip();
  const linear = mode == 64 ? rip : (vmreadNat(VmcsNatGuest.CS_BASE) + rip) & 0xFFFFFFFF;
  const buf = extFetchBuffer(vcpu);
  const walk = extWalk(vcpu);
  const access: u32 = PF_FETCH | (guestCpl() == 3 ? PF_USER : 0);
  const cache = guestPageCache(vcpu);
  const got = guestFetch<IdentityPhys>(vmOf(vcpu).memory(), hostPhys(), regs, linear, access, buf, MAX_INSN, walk, cache);
  const insn = extInsn(vcpu);
  const st = decodeMmio(buf, got, mode, insn);
  if (st == DecodeStatus.TRUNCATED) {
    // The bytes the decoder needed could not be fetched: the CPU would have faulted on the fetch.
    // Walk again at the first byte not fetched to learn why (guestFetch returns only a count).
    const missing = linear + <u64>got;
    const ws = guestTranslate<IdentityPhys>(vmOf(vcpu).memory(), hostPhys(), regs, missing, access, walk, cache);
    if (ws == WalkStatus.PAGE_FAULT) { raisePageFault(vcpu, missing, walk.errorCode); return ExitAction.Resume; }
    if (ws == WalkStatus.NON_CANONICAL) { raiseGp(vcpu); return ExitAction.Resume; }
    return stopViolation(vcpu, gpa, q, ", instruction bytes not in guest RAM");
  }
  if (st == DecodeStatus.LOCK_PREFIX) { raiseUd(vcpu); return ExitAction.Resume; }
  if (st == DecodeStatus.TOO_LONG) { raiseGp(vcpu); return ExitAction.Resume; }
  if (st != DecodeStatus.OK) return stopViolation(vcpu, gpa, q, ", instruction not emulated");
  return perform(vcpu, insn, gpa, q, rip, mode);
}

/** Performs the decoded access on the bus and completes the instruction. */
function perform(vcpu: VCpu, insn: MmioInsn, gpa: u64, q: u64, rip: u64, mode: u32): ExitAction {
  const bus = platformMmioBus(vmOf(vcpu));
  const isLoad = insn.kind == AccessKind.LOAD;
  // The decoded direction must be the one that faulted: another vCPU (or DMA) may have rewritten
  // the instruction between the fault and our fetch. Emulating something else is refused.
  if (isLoad ? (q & EPTV_READ) == 0 : (q & EPTV_WRITE) == 0) return stopViolation(vcpu, gpa, q, ", instruction does not match the access");
  if (isLoad) {
    const cell = extCell(vcpu);
    if (mmioRead(bus, gpa, insn.size, cell) != MmioStatus.OK) return stopViolation(vcpu, gpa, q, "");
    const reg = insn.reg & 15;
    vcpu.setGpr(reg, loadResult(insn, vcpu.gpr(reg), load<u64>(cell)));
  } else {
    const v = storeValue(insn, insn.kind == AccessKind.STORE_REG ? vcpu.gpr(insn.reg & 15) : 0);
    if (mmioWrite(bus, gpa, insn.size, v) != MmioStatus.OK) return stopViolation(vcpu, gpa, q, "");
  }
  // RIP past the instruction: IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB in 32-bit code.
  const next = rip + <u64>insn.length;
  vcpu.setRip(mode == 64 ? next : mode == 32 ? next & 0xFFFFFFFF : next & 0xFFFF);
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
