// A loader's BootState (src/vmm/loader/boot-state.ts) into the current VMCS's guest-state area
// and the vCPU's register block: step 3 of the loader README's "Wiring into VM creation", checked
// at VM entry by SDM Vol 3C §26.3.1. Segment i of the state goes to the fields of segment i
// (ES, CS, SS, DS, FS, GS, LDTR, TR: the VMCS encoding order, Table B-1..B-4 — each group's
// fields are 2 apart), CR0/CR4 with the fixed bits forced and the read shadows showing the
// loader's values, EFER and the "IA-32e mode guest" entry control iff mode 64.

import { Vmcs16Guest, Vmcs32Guest, Vmcs64Guest, VmcsNatGuest, VmcsNatCtl, Vmcs32Ctl } from "../vmx/vmcs/fields";
import { vmwrite16, vmwrite32, vmwrite64, vmwriteNat, vmread32 } from "../vmx/vmcs-access";
import { guestCr0, guestCr4 } from "../vmx/vmcs/basic";
import { VmxCaps } from "../vmx/vmcs/caps";
import { ENTRY_IA32E_MODE_GUEST } from "../vmx/vmcs/controls";
import { VCpu } from "../vmx/vcpu";
import { BootState, bootSegment, SEG_COUNT, BOOT_MODE_LONG64, REG_RSP } from "./loader/boot-state";

/** IA32_PAT power-on value (SDM Vol 3A §11.12.4). */
const PAT_RESET: u64 = 0x0007040600070406;
const DR7_RESET: u64 = 0x400;
/** Consecutive fields of one kind (selectors, limits, …) are 2 encodings apart (App. B). */
const SEG_FIELD_STRIDE: u32 = 2;

/** Writes `s` into the current VMCS and `vcpu`'s registers. Returns the OR of VMWRITE statuses. */
export function writeBootState(s: BootState, vcpu: VCpu, caps: VmxCaps): u32 {
  let st: u32 = 0;
  for (let i: u32 = 0; i < SEG_COUNT; i++) {
    const g = bootSegment(s, i);
    const k = i * SEG_FIELD_STRIDE;
    st |= vmwrite16(Vmcs16Guest.ES_SELECTOR + k, <u32>g.selector);
    st |= vmwrite32(Vmcs32Guest.ES_LIMIT + k, g.limit);
    st |= vmwrite32(Vmcs32Guest.ES_ACCESS_RIGHTS + k, g.accessRights);
    st |= vmwriteNat(VmcsNatGuest.ES_BASE + k, g.base);
  }
  st |= vmwriteNat(VmcsNatGuest.GDTR_BASE, s.gdtrBase) | vmwrite32(Vmcs32Guest.GDTR_LIMIT, s.gdtrLimit);
  st |= vmwriteNat(VmcsNatGuest.IDTR_BASE, s.idtrBase) | vmwrite32(Vmcs32Guest.IDTR_LIMIT, s.idtrLimit);
  st |= vmwriteNat(VmcsNatGuest.CR0, guestCr0(s.cr0, caps.cr0Fixed0, caps.cr0Fixed1, true));
  st |= vmwriteNat(VmcsNatCtl.CR0_READ_SHADOW, s.cr0);
  st |= vmwriteNat(VmcsNatGuest.CR4, guestCr4(s.cr4, caps.cr4Fixed0, caps.cr4Fixed1));
  st |= vmwriteNat(VmcsNatCtl.CR4_READ_SHADOW, s.cr4);
  st |= vmwriteNat(VmcsNatGuest.CR3, s.cr3);
  st |= vmwrite64(Vmcs64Guest.IA32_EFER, s.efer);
  const entry = vmread32(Vmcs32Ctl.ENTRY_CONTROLS);
  const long = s.mode == BOOT_MODE_LONG64;
  st |= vmwrite32(Vmcs32Ctl.ENTRY_CONTROLS, long ? entry | ENTRY_IA32E_MODE_GUEST : entry & ~ENTRY_IA32E_MODE_GUEST);
  st |= vmwrite64(Vmcs64Guest.IA32_PAT, PAT_RESET);
  st |= vmwrite64(Vmcs64Guest.IA32_DEBUGCTL, 0);
  st |= vmwriteNat(VmcsNatGuest.DR7, DR7_RESET);
  st |= vmwriteNat(VmcsNatGuest.RIP, s.rip);
  st |= vmwriteNat(VmcsNatGuest.RSP, s.rsp);
  st |= vmwriteNat(VmcsNatGuest.RFLAGS, s.rflags);
  st |= vmwriteNat(VmcsNatGuest.PENDING_DEBUG_EXCEPTIONS, 0);
  st |= vmwrite32(Vmcs32Guest.INTERRUPTIBILITY_STATE, 0);
  st |= vmwrite32(Vmcs32Guest.ACTIVITY_STATE, 0);
  st |= vmwrite32(Vmcs32Guest.IA32_SYSENTER_CS, 0);
  st |= vmwriteNat(VmcsNatGuest.IA32_SYSENTER_ESP, 0);
  st |= vmwriteNat(VmcsNatGuest.IA32_SYSENTER_EIP, 0);
  // GPRs in register-block order (both blocks use x86 numbering); RSP lives in the VMCS.
  for (let r: u32 = 0; r < 16; r++) {
    if (r == REG_RSP) continue;
    store<u64>(vcpu.regs() + (<usize>r << 3), load<u64>(changetype<usize>(s) + (<usize>r << 3)));
  }
  vcpu.ripCache = s.rip;
  return st;
}
