// Filling a fresh VMCS: the VM-execution/exit/entry control fields (SDM Vol 3C §24.6–§24.8) from
// the CPU's control set, and the host-state area (§24.5) from the CPU's HostState, so that every
// VM exit lands in hw_vmrun with the core's own GDT, IDT, TSS, page tables, GS base (per-CPU
// block) and EFER/PAT. Guest state is src/vmm/guest-start.ts. The VMCS must be current.
//
// Each function returns the OR of the VMWRITE statuses: non-zero means a field the CPU refused,
// a VMM bug that the caller reports (and then does not enter the guest).

import { VmcsNatHost, Vmcs16Host, Vmcs32Host, Vmcs64Host, Vmcs16Ctl, Vmcs32Ctl, Vmcs64Ctl, VmcsNatCtl, Vmcs64Guest } from "./vmcs/fields";
import { vmwrite16, vmwrite32, vmwrite64, vmwriteNat } from "./vmcs-access";
import { PROC2_ENABLE_VPID, PROC_TSC_OFFSETTING } from "./vmcs/controls";
import { crHostOwnedMask, CR0_UNRESTRICTED_EXEMPT } from "./vmcs/basic";
import { vmxCaps, vmxControls, vmxHostState } from "./vmx-cpu";

/** The addresses a VMCS points to (all 4 KiB aligned, below 4 GiB). */
@unmanaged export class VmcsPointers {
  eptp: u64;
  ioBitmapA: u64;
  ioBitmapB: u64;
  msrBitmap: u64;
  vpid: u32;
  _pad: u32;
}

/**
 * Control fields. Entry controls get "IA-32e mode guest" (§24.8.1) when `longMode`; the base set
 * leaves the run-time bits (interrupt/NMI window) clear for the exit handlers to toggle.
 */
export function vmcsWriteControls(cpu: u32, p: VmcsPointers, longMode: bool): u32 {
  const ctl = vmxControls(cpu);
  let st: u32 = 0;
  st |= vmwrite32(Vmcs32Ctl.PIN_BASED_CONTROLS, ctl.pin);
  st |= vmwrite32(Vmcs32Ctl.PROC_BASED_CONTROLS, ctl.proc);
  st |= vmwrite32(Vmcs32Ctl.SECONDARY_PROC_CONTROLS, ctl.proc2);
  st |= vmwrite32(Vmcs32Ctl.EXIT_CONTROLS, ctl.exit);
  st |= vmwrite32(Vmcs32Ctl.ENTRY_CONTROLS, longMode ? ctl.entry | ctl.entryDynamic : ctl.entry);
  // Guest exceptions are the guest's own (bitmap 0): only a triple fault (reason 2) reaches us.
  st |= vmwrite32(Vmcs32Ctl.EXCEPTION_BITMAP, 0);
  st |= vmwrite32(Vmcs32Ctl.PAGE_FAULT_ERROR_CODE_MASK, 0);
  st |= vmwrite32(Vmcs32Ctl.PAGE_FAULT_ERROR_CODE_MATCH, 0);
  st |= vmwrite32(Vmcs32Ctl.CR3_TARGET_COUNT, 0);
  st |= vmwrite32(Vmcs32Ctl.EXIT_MSR_STORE_COUNT, 0);
  st |= vmwrite32(Vmcs32Ctl.EXIT_MSR_LOAD_COUNT, 0);
  st |= vmwrite32(Vmcs32Ctl.ENTRY_MSR_LOAD_COUNT, 0);
  st |= vmwrite32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO, 0);
  st |= vmwrite64(Vmcs64Ctl.EPT_POINTER, p.eptp);
  st |= vmwrite64(Vmcs64Ctl.IO_BITMAP_A, p.ioBitmapA);
  st |= vmwrite64(Vmcs64Ctl.IO_BITMAP_B, p.ioBitmapB);
  st |= vmwrite64(Vmcs64Ctl.MSR_BITMAP, p.msrBitmap);
  if ((ctl.proc & PROC_TSC_OFFSETTING) != 0) st |= vmwrite64(Vmcs64Ctl.TSC_OFFSET, 0);
  if ((ctl.proc2 & PROC2_ENABLE_VPID) != 0) st |= vmwrite16(Vmcs16Ctl.VPID, p.vpid);

  // CR0/CR4 bits the fixed MSRs force (A.7, A.8) are host-owned: the guest reads its own value
  // from the read shadow and a MOV to CR that would change them exits (§25.3). PE/PG are the
  // guest's under unrestricted guest.
  const caps = vmxCaps(cpu);
  st |= vmwriteNat(VmcsNatCtl.CR0_GUEST_HOST_MASK, crHostOwnedMask(caps.cr0Fixed0, caps.cr0Fixed1, CR0_UNRESTRICTED_EXEMPT));
  st |= vmwriteNat(VmcsNatCtl.CR4_GUEST_HOST_MASK, crHostOwnedMask(caps.cr4Fixed0, caps.cr4Fixed1, 0));
  st |= vmwrite64(Vmcs64Guest.VMCS_LINK_POINTER, u64.MAX_VALUE); // no shadow VMCS (§26.3.1.5)
  return st;
}

/** Host-state area (§24.5) from the CPU's snapshot. HOST_RSP/HOST_RIP are hw_vmrun's. */
export function vmcsWriteHostState(cpu: u32): u32 {
  const h = vmxHostState(cpu);
  let st: u32 = 0;
  st |= vmwriteNat(VmcsNatHost.CR0, h.cr0);
  st |= vmwriteNat(VmcsNatHost.CR3, h.cr3);
  st |= vmwriteNat(VmcsNatHost.CR4, h.cr4);
  // Selectors with RPL = TI = 0 (§26.2.3); the boot GDT's are.
  st |= vmwrite16(Vmcs16Host.CS_SELECTOR, h.cs & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.SS_SELECTOR, h.ss & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.DS_SELECTOR, h.ds & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.ES_SELECTOR, h.es & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.FS_SELECTOR, h.fs & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.GS_SELECTOR, h.gs & 0xFFF8);
  st |= vmwrite16(Vmcs16Host.TR_SELECTOR, h.tr & 0xFFF8);
  st |= vmwriteNat(VmcsNatHost.FS_BASE, h.fsBase);
  st |= vmwriteNat(VmcsNatHost.GS_BASE, h.gsBase);
  st |= vmwriteNat(VmcsNatHost.TR_BASE, h.trBase);
  st |= vmwriteNat(VmcsNatHost.GDTR_BASE, h.gdtrBase);
  st |= vmwriteNat(VmcsNatHost.IDTR_BASE, h.idtrBase);
  st |= vmwrite32(Vmcs32Host.IA32_SYSENTER_CS, 0);
  st |= vmwriteNat(VmcsNatHost.IA32_SYSENTER_ESP, 0);
  st |= vmwriteNat(VmcsNatHost.IA32_SYSENTER_EIP, 0);
  st |= vmwrite64(Vmcs64Host.IA32_EFER, h.efer);
  st |= vmwrite64(Vmcs64Host.IA32_PAT, h.pat);
  return st;
}
