// Control-register-access VM exits (reason 28; SDM Vol 3C §25.1.3, qualification Table 28-3).
// MOV to CR0/CR4 exits when it would change a bit of the guest/host mask away from the read
// shadow (§25.3); MOV to/from CR3 only with CR3-load/store exiting; CR8 with CR8 exiting; CLTS and
// LMSW when they touch masked bits. The guest's write is checked against the architectural rules
// (cr-rules.ts) as the guest sees its registers; a violation raises #GP(0). Accepted values go to
// the read shadow (guest view) and, with the VMX fixed bits applied (A.7, A.8), to the real guest
// register. Enabling or leaving paging with EFER.LME moves EFER.LMA and the "IA-32e mode guest"
// entry control together (§26.3.1.1 requires them equal); entering PAE paging outside IA-32e mode
// loads the PDPTEs into the VMCS, where VM entry takes them from under EPT (§26.3.2.4).

import { hw_cpu_index, hw_invvpid } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmreadNat, vmwrite32, vmwrite64, vmwriteNat } from "../../vmx/vmcs-access";
import { Vmcs32Ctl, Vmcs64Guest, VmcsNatCtl, VmcsNatGuest, VmcsNatRo } from "../../vmx/vmcs/fields";
import { ENTRY_IA32E_MODE_GUEST, PROC2_UNRESTRICTED_GUEST, PROC2_ENABLE_VPID } from "../../vmx/vmcs/controls";
import { crApplyFixed, CR0_UNRESTRICTED_EXEMPT } from "../../vmx/vmcs/basic";
import { vmxCaps, vmxControls } from "../../vmx/vmx-cpu";
import { IdentityPhys } from "../../ept/phys";
import { GmStatus, gmReadScalar } from "../../ept/guest-memory";
import { ExitAction } from "./action";
import { vmOf, hostPhys, stopVm } from "../vm";
import { CrAccess, crNumber, crAccessType, crGpr, crLmswSource } from "./cr-qual";
import {
  CrCheck, cr0Write, cr4Write, cr4Allowed, cr3Write, cr8Valid, lmswValue, cltsValue, pdpteValid,
  paePagingLegacy, CR4_PCIDE, EFER_LMA,
} from "./cr-rules";
import { handlerEnter } from "./setup";
import { extCell, extCr0Update, extSetTpr, extTpr, guestMaxPhysBits } from "./vcpu-ext";
import { guestCr0, guestCr4, guestEfer, guestLongCode, skipInstruction, raiseGp } from "./guest";
import { vcpuCpuid } from "./cpuid-view";

/** The guest TLB must forget translations after an emulated paging-control write (a real MOV to
 *  CR0/CR3/CR4 flushes them, Vol 3A §4.10.4.1); with VPID the entry itself does not (§28.3.3.3). */
function flushGuestTlb(vcpu: VCpu): void {
  if ((vmxControls(hw_cpu_index()).proc2 & PROC2_ENABLE_VPID) != 0) hw_invvpid(1, vcpu.vpid);
}

/**
 * Loads the four PAE PDPTEs from guest-physical CR3[31:5] into the VMCS (Vol 3A §4.4.1).
 * 1: loaded; 0: one is invalid (reserved bits), the write must raise #GP; -1: the PDPT is not
 * guest RAM.
 */
function loadPdptes(vcpu: VCpu, cr3: u64): i32 {
  const gm = vmOf(vcpu).memory();
  const cell = extCell(vcpu);
  const base = cr3 & 0xFFFFFFE0;
  const maxPhys = guestMaxPhysBits();
  for (let i: u32 = 0; i < 4; i++) {
    if (gmReadScalar<IdentityPhys>(gm, hostPhys(), base + (<u64>i << 3), 8, cell) != GmStatus.OK) return -1;
    if (!pdpteValid(load<u64>(cell), maxPhys)) return 0;
  }
  vmwrite64(Vmcs64Guest.PDPTE0, pdpteAt(vcpu, base, 0));
  vmwrite64(Vmcs64Guest.PDPTE1, pdpteAt(vcpu, base, 1));
  vmwrite64(Vmcs64Guest.PDPTE2, pdpteAt(vcpu, base, 2));
  vmwrite64(Vmcs64Guest.PDPTE3, pdpteAt(vcpu, base, 3));
  return 1;
}

/** PDPTE `i` at guest-physical `base` (already checked readable by loadPdptes). */
function pdpteAt(vcpu: VCpu, base: u64, i: u32): u64 {
  const cell = extCell(vcpu);
  gmReadScalar<IdentityPhys>(vmOf(vcpu).memory(), hostPhys(), base + (<u64>i << 3), 8, cell);
  return load<u64>(cell);
}

/** After a paging-relevant write: PDPTEs when PAE paging is legacy (not IA-32e). */
function afterPagingWrite(vcpu: VCpu, cr0: u64, cr4: u64, efer: u64): ExitAction {
  if (paePagingLegacy(cr0, cr4, efer)) {
    const r = loadPdptes(vcpu, vmreadNat(VmcsNatGuest.CR3));
    if (r < 0) { stopVm(vcpu, "PAE page-directory-pointer table outside guest RAM"); return ExitAction.Stop; }
    if (r == 0) { raiseGp(vcpu); return ExitAction.Resume; }
  }
  flushGuestTlb(vcpu);
  skipInstruction(vcpu);
  return ExitAction.Resume;
}

function writeCr0(vcpu: VCpu, value: u64): ExitAction {
  const efer = guestEfer();
  const cr4 = guestCr4();
  const up = extCr0Update(vcpu);
  if (cr0Write(guestCr0(), value, efer, cr4, guestLongCode(), up) != CrCheck.OK) { raiseGp(vcpu); return ExitAction.Resume; }
  const cpu = hw_cpu_index();
  const caps = vmxCaps(cpu);
  const unrestricted = (vmxControls(cpu).proc2 & PROC2_UNRESTRICTED_GUEST) != 0;
  vmwriteNat(VmcsNatGuest.CR0, crApplyFixed(up.cr0, caps.cr0Fixed0, caps.cr0Fixed1, unrestricted ? CR0_UNRESTRICTED_EXEMPT : 0));
  vmwriteNat(VmcsNatCtl.CR0_READ_SHADOW, up.cr0);
  if (up.efer != efer) vmwrite64(Vmcs64Guest.IA32_EFER, up.efer);
  const entry = vmread32(Vmcs32Ctl.ENTRY_CONTROLS);
  const want = up.ia32e != 0 ? entry | ENTRY_IA32E_MODE_GUEST : entry & ~ENTRY_IA32E_MODE_GUEST;
  if (want != entry) vmwrite32(Vmcs32Ctl.ENTRY_CONTROLS, want);
  return afterPagingWrite(vcpu, up.cr0, cr4, up.efer);
}

function writeCr4(vcpu: VCpu, value: u64): ExitAction {
  const cur = guestCr4();
  const efer = guestEfer();
  const cpu = hw_cpu_index();
  const l1 = vcpuCpuid(vcpu, cpu, 1, 0, cur, vcpu.xcr0);
  const l1edx = l1.edx;
  const l1ecx = l1.ecx;
  const l7 = vcpuCpuid(vcpu, cpu, 7, 0, cur, vcpu.xcr0);
  const allowed = cr4Allowed(l1edx, l1ecx, l7.ebx, l7.ecx);
  if (cr4Write(cur, value, allowed, efer, vmreadNat(VmcsNatGuest.CR3)) != CrCheck.OK) { raiseGp(vcpu); return ExitAction.Resume; }
  const caps = vmxCaps(cpu);
  vmwriteNat(VmcsNatGuest.CR4, crApplyFixed(value, caps.cr4Fixed0, caps.cr4Fixed1, 0));
  vmwriteNat(VmcsNatCtl.CR4_READ_SHADOW, value);
  return afterPagingWrite(vcpu, guestCr0(), value, efer);
}

function writeCr3(vcpu: VCpu, value: u64): ExitAction {
  const efer = guestEfer();
  const cr4 = guestCr4();
  const v = cr3Write(value, (efer & EFER_LMA) != 0, (cr4 & CR4_PCIDE) != 0, guestMaxPhysBits());
  if (v == 0xFFFFFFFFFFFFFFFF) { raiseGp(vcpu); return ExitAction.Resume; }
  vmwriteNat(VmcsNatGuest.CR3, v);
  return afterPagingWrite(vcpu, guestCr0(), cr4, efer);
}

export function onCrAccess(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const q = vmreadNat(VmcsNatRo.EXIT_QUALIFICATION);
  const cr = crNumber(q);
  const type = crAccessType(q);
  // Outside 64-bit mode MOV CR moves 32 bits (Vol 2B MOV CR: "operand size is fixed").
  const width: u64 = guestLongCode() ? 0xFFFFFFFFFFFFFFFF : 0xFFFFFFFF;
  if (type == CrAccess.MOV_TO) {
    const v = vcpu.gpr(crGpr(q)) & width;
    if (cr == 0) return writeCr0(vcpu, v);
    if (cr == 3) return writeCr3(vcpu, v);
    if (cr == 4) return writeCr4(vcpu, v);
    if (cr == 8) {
      if (!cr8Valid(v)) { raiseGp(vcpu); return ExitAction.Resume; }
      extSetTpr(vcpu, <u32>v);
      skipInstruction(vcpu);
      return ExitAction.Resume;
    }
  } else if (type == CrAccess.MOV_FROM) {
    if (cr == 3 || cr == 8) {
      vcpu.setGpr(crGpr(q), cr == 3 ? vmreadNat(VmcsNatGuest.CR3) & width : <u64>extTpr(vcpu));
      skipInstruction(vcpu);
      return ExitAction.Resume;
    }
  } else if (type == CrAccess.CLTS) {
    return writeCr0(vcpu, cltsValue(guestCr0()));
  } else {
    return writeCr0(vcpu, lmswValue(guestCr0(), crLmswSource(q)));
  }
  stopVm(vcpu, "control-register exit for a register the VMM does not intercept");
  return ExitAction.Stop;
}
