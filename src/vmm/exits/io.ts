// I/O-instruction VM exits (reason 30; SDM Vol 3C §25.1.3, exit qualification Table 28-5):
// IN/OUT go to the VM's port bus; INS/OUTS (with or without REP) move each element between the
// port and guest memory, through the guest's page tables and GuestMemory — never a host pointer
// derived from a guest value. Faults the instruction would take are injected (#PF with CR2 and
// the walk's error code, #GP for a non-canonical address); a memory operand outside guest RAM
// stops the VM. Not modelled: segment-limit checks of the memory operand (flat segments in the
// guests we run) and I/O-permission-bitmap checks (the CPU does them before the exit).

import { hw_cpu_index } from "../../hw";
import { VCpu, Gpr } from "../../vmx/vcpu";
import { vmread32, vmreadNat } from "../../vmx/vmcs-access";
import { Vmcs32Ro, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { basicInsOutsInfo } from "../../vmx/vmcs/basic";
import { vmxCaps } from "../../vmx/vmx-cpu";
import { IdentityPhys } from "../../ept/phys";
import { GmStatus, gmReadScalar, gmWriteScalar } from "../../ept/guest-memory";
import { WalkStatus, guestTranslate, PF_WRITE, PF_USER } from "../../ept/guest-paging";
import { Seg } from "../mmio/insn";
import { ExitAction } from "./action";
import { Vm, vmOf, hostPhys, stopVmBegin, stopVmEnd } from "../vm";
import { print, printHex } from "../console/print";
import { Bus } from "../bus/bus";
import { platformPortBus } from "../devices/platform";
import { portRead, portReadWide, portWrite } from "../devices/dispatch";
import { ioSize, ioLiteSize, ioIsIn, ioIsRep, ioPort, ioAddrSize, ioSegment, addrMask, addrRegUpdate, inMerge } from "./io-qual";
import { handlerEnterInsn } from "./setup";
import { extCell, extWalk } from "./vcpu-ext";
import {
  guestCodeMode, guestCpl, guestLongCode, guestSegmentBase, guestPagingRegs, guestPageCache, skipInstruction, raiseGp,
  raisePageFault,
} from "./guest";

/** Elements moved per exit; a longer REP resumes by re-executing (REP string instructions are
 *  restartable: RCX/RSI/RDI already describe the rest, SDM Vol 2B "REP/REPE/…"). */
const STRING_BATCH: u64 = 4096;
const RFLAGS_DF: u64 = 1 << 10;

/** Stops the VM for a memory operand that is not guest RAM (the protocol's EPT-violation message). */
function stopBadOperand(vcpu: VCpu, gpa: u64, write: bool): void {
  stopVmBegin(vmOf(vcpu));
  print("EPT violation at GPA ");
  printHex(gpa);
  print(write ? " (write" : " (read");
  print(", INS/OUTS memory operand)");
  stopVmEnd(vcpu);
}

function stopWith(vcpu: VCpu, what: string, value: u64): ExitAction {
  stopVmBegin(vmOf(vcpu));
  print(what);
  printHex(value);
  stopVmEnd(vcpu);
  return ExitAction.Stop;
}

export function onIoInstruction(vcpu: VCpu): ExitAction {
  if (!handlerEnterInsn(vcpu)) return ExitAction.Stop;
  if (ioPortDirect(vcpu, vmOf(vcpu))) {
    skipInstruction(vcpu);
    return ExitAction.Resume;
  }
  const q = vcpu.ioQual; // EXIT_QUALIFICATION, stored by hw_vmrun at every I/O exit (vcpu.ts)
  const size = ioSize(q);
  if (size == 0) return stopWith(vcpu, "I/O exit with a reserved size encoding, qualification ", q);
  return ioString(vcpu, platformPortBus(vmOf(vcpu)), q, size, ioPort(q));
}

/**
 * IN/OUT (not INS/OUTS, not the reserved size encoding): performs the port access (IN merges the
 * bus's answer into RAX, OUT writes RAX's low bytes) and answers true, leaving RIP alone: the
 * caller completes the instruction (skipInstruction, or hw_vmrun after vmm_exit's EXIT_FAST_SKIP,
 * src/vmm/exit-fast.ts). Otherwise answers false having done nothing. Called by onIoInstruction
 * and directly by vmm_exit, so both do the same device accesses; the handlerEnterInsn that
 * vmm_exit skips answers true with no effect there (VCpu.fastExt != 0: the emulation block and
 * the VM's platform exist).
 */
export function ioPortDirect(vcpu: VCpu, vm: Vm): bool {
  const q = vcpu.ioQual; // EXIT_QUALIFICATION, stored by hw_vmrun at every I/O exit (vcpu.ts)
  const size = ioLiteSize(q);
  if (size == 0) return false;
  const bus = platformPortBus(vm);
  const port = ioPort(q);
  if (ioIsIn(q)) vcpu.rax = inMerge(vcpu.rax, portReadWide(bus, port, size), size);
  else portWrite(bus, port, size, vcpu.rax);
  return true;
}

/** INS/OUTS [REP]: moves up to STRING_BATCH elements, then completes or lets the guest re-execute. */
function ioString(vcpu: VCpu, bus: Bus, q: u64, size: u32, port: u32): ExitAction {
  const vm = vmOf(vcpu);
  const isIn = ioIsIn(q);
  // Address size and segment come from the instruction information when the CPU reports it
  // (IA32_VMX_BASIC[54], §28.2.5); otherwise from the code's default (no prefixes assumed).
  let addrSize: u32;
  let seg: u32 = isIn ? Seg.ES : Seg.DS;
  if (basicInsOutsInfo(vmxCaps(hw_cpu_index()).basic)) {
    const info = vmread32(Vmcs32Ro.EXIT_INSTRUCTION_INFO);
    addrSize = ioAddrSize(info);
    if (!isIn) seg = ioSegment(info);
  } else {
    const mode = guestCodeMode();
    addrSize = mode == 64 ? 8 : mode == 32 ? 4 : 2;
  }
  if (addrSize == 0 || seg > <u32>Seg.GS) return stopWith(vcpu, "INS/OUTS exit with reserved instruction information, qualification ", q);
  const mask = addrMask(addrSize);
  const rep = ioIsRep(q);
  const count: u64 = rep ? vcpu.rcx & mask : 1;
  if (count == 0) { skipInstruction(vcpu); return ExitAction.Resume; }
  const batch = count < STRING_BATCH ? count : STRING_BATCH;
  const down = (vmreadNat(VmcsNatGuest.RFLAGS) & RFLAGS_DF) != 0;
  const reg: u32 = isIn ? Gpr.RDI : Gpr.RSI;
  const base = guestSegmentBase(seg);
  const long = guestLongCode();
  const access: u32 = (isIn ? PF_WRITE : 0) | (guestCpl() == 3 ? PF_USER : 0);
  const regs = guestPagingRegs(vcpu);
  const walk = extWalk(vcpu);
  const gm = vm.memory();
  const phys = hostPhys();
  const cell = extCell(vcpu);
  const cache = guestPageCache(vcpu);
  for (let i: u64 = 0; i < batch; i++) {
    const off = vcpu.gpr(reg) & mask;
    let linear = base + off;
    if (!long) linear &= 0xFFFFFFFF;
    // An element that crosses a page is translated per byte page: first and last byte.
    const last = linear + <u64>size - 1;
    const st = guestTranslate<IdentityPhys>(gm, phys, regs, linear, access, walk, cache);
    if (st == WalkStatus.PAGE_FAULT) { raisePageFault(vcpu, linear, walk.errorCode); return ExitAction.Resume; }
    if (st == WalkStatus.NON_CANONICAL) { raiseGp(vcpu); return ExitAction.Resume; }
    if (st != WalkStatus.OK) return stopWith(vcpu, "INS/OUTS: guest page walk failed (paging mode or tables outside RAM) for linear ", linear);
    const gpa = walk.gpa;
    let gpaLast = gpa + <u64>size - 1;
    if ((linear >> 12) != (last >> 12)) {
      const st2 = guestTranslate<IdentityPhys>(gm, phys, regs, last, access, walk, cache);
      if (st2 == WalkStatus.PAGE_FAULT) { raisePageFault(vcpu, last, walk.errorCode); return ExitAction.Resume; }
      if (st2 != WalkStatus.OK) return stopWith(vcpu, "INS/OUTS: guest page walk failed for linear ", last);
      gpaLast = walk.gpa;
    }
    if (isIn) {
      const v = portRead(bus, port, size);
      if (!writeElement(vm, gpa, gpaLast, size, v)) { stopBadOperand(vcpu, gpa, true); return ExitAction.Stop; }
    } else {
      if (!readElement(vm, gpa, gpaLast, size, cell)) { stopBadOperand(vcpu, gpa, false); return ExitAction.Stop; }
      portWrite(bus, port, size, load<u64>(cell));
    }
    const next = down ? off - <u64>size : off + <u64>size;
    vcpu.setGpr(reg, addrRegUpdate(vcpu.gpr(reg), next, addrSize));
    if (rep) vcpu.rcx = addrRegUpdate(vcpu.rcx, (vcpu.rcx & mask) - 1, addrSize);
  }
  if (batch == count) skipInstruction(vcpu);
  return ExitAction.Resume;
}

/**
 * Reads `size` bytes whose first byte is at `gpa` and last at `gpaLast` (another page when the
 * element crosses one) into the u64 at `cell`. Invariant: `cell` is the vCPU's 8-byte cell.
 */
function readElement(vm: Vm, gpa: u64, gpaLast: u64, size: u32, cell: usize): bool {
  const gm = vm.memory();
  if (gpaLast == gpa + <u64>size - 1) return gmReadScalar<IdentityPhys>(gm, hostPhys(), gpa, size, cell) == GmStatus.OK;
  let v: u64 = 0;
  for (let k: u32 = 0; k < size; k++) {
    const g = byteGpa(gpa, gpaLast, size, k);
    if (gmReadScalar<IdentityPhys>(gm, hostPhys(), g, 1, cell) != GmStatus.OK) return false;
    v |= (load<u64>(cell) & 0xFF) << (<u64>k * 8);
  }
  store<u64>(cell, v);
  return true;
}

/** Writes the low `size` bytes of `v` (first byte at `gpa`, last at `gpaLast`). */
function writeElement(vm: Vm, gpa: u64, gpaLast: u64, size: u32, v: u64): bool {
  const gm = vm.memory();
  if (gpaLast == gpa + <u64>size - 1) return gmWriteScalar<IdentityPhys>(gm, hostPhys(), gpa, size, v) == GmStatus.OK;
  // Byte by byte: a failure on the second page leaves the first page's bytes written, which is
  // moot: the caller stops the VM.
  for (let k: u32 = 0; k < size; k++) {
    if (gmWriteScalar<IdentityPhys>(gm, hostPhys(), byteGpa(gpa, gpaLast, size, k), 1, v >> (<u64>k * 8)) != GmStatus.OK) return false;
  }
  return true;
}

/**
 * Guest-physical address of byte `k` of an element crossing a page boundary: bytes before the
 * boundary follow `gpa`, the rest lead up to `gpaLast`.
 */
@inline function byteGpa(gpa: u64, gpaLast: u64, size: u32, k: u32): u64 {
  const firstPart = <u32>(4096 - (gpa & 4095));
  return k < firstPart ? gpa + <u64>k : gpaLast - <u64>(size - 1 - k);
}
