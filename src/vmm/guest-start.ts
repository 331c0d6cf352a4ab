// The guest-state area (SDM Vol 3C §24.4) for the start states of docs/guest-protocol.md, checked
// at VM entry by §26.3.1. The VMCS must be current. Returns the OR of the VMWRITE statuses.
//
// Mode 16: real mode through "unrestricted guest" (§26.3.1.1: CR0.PE/PG may be 0): CS = 0 with
// base 0 and flat 64 KiB segments, access rights as after reset (§26.3.1.2: in real mode with
// unrestricted guest, type 3 data / 11 code, S = 1, P = 1). The same values the reference spike
// (shared/reference/vmx-spike/kernel.asm) entered under Bochs.
// Mode 64: IA-32e mode (§26.3.1.1: EFER.LMA = LME = "IA-32e mode guest" entry control, CR0.PG = 1,
// CR4.PAE = 1), a 64-bit code segment (L = 1, D = 0), flat data, and a busy 64-bit TSS (§26.3.1.2:
// TR must be usable with type 11 even though the guest has none yet).

import { Vmcs16Guest, Vmcs32Guest, Vmcs64Guest, VmcsNatGuest, VmcsNatCtl } from "../vmx/vmcs/fields";
import { vmwrite16, vmwrite32, vmwrite64, vmwriteNat } from "../vmx/vmcs-access";
import { guestCr0, guestCr4 } from "../vmx/vmcs/basic";
import { VmxCaps } from "../vmx/vmcs/caps";
import { GuestImageHeader, GUEST_MODE_LONG } from "./guest-image";

const CR0_PE: u64 = 1 << 0;
const CR0_ET: u64 = 1 << 4;
const CR0_NE: u64 = 1 << 5;
const CR0_WP: u64 = 1 << 16;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;
/** IA32_PAT power-on value (SDM Vol 3A §11.12.4): WB, WT, UC-, UC repeated. */
const PAT_RESET: u64 = 0x0007040600070406;
const RFLAGS_RESERVED1: u64 = 1 << 1;
const DR7_RESET: u64 = 0x400;

// Access rights (§24.4.1, Table 24-2): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15,
// unusable 16.
const AR_REAL_CODE: u32 = 0x9B;      // P, S, code execute/read, accessed
const AR_REAL_DATA: u32 = 0x93;      // P, S, data read/write, accessed
const AR_LONG_CODE: u32 = 0xA09B;    // G, L, P, S, code execute/read, accessed
const AR_FLAT_DATA: u32 = 0xC093;    // G, D/B, P, S, data read/write, accessed
const AR_TSS_BUSY: u32 = 0x8B;       // P, type 11 (busy 64-bit TSS / busy 16-bit in real mode)
const AR_UNUSABLE: u32 = 0x10000;

/** The four data segments and CS, by field group. */
function segment(sel: u32, selV: u32, base: u32, limit: u32, limitV: u32, ar: u32, arV: u32): u32 {
  return vmwrite16(sel, selV) | vmwriteNat(base, 0) | vmwrite32(limit, limitV) | vmwrite32(ar, arV);
}

export function writeGuestStart(h: GuestImageHeader, caps: VmxCaps): u32 {
  const long = h.mode == GUEST_MODE_LONG;
  const codeAr = long ? AR_LONG_CODE : AR_REAL_CODE;
  const dataAr = long ? AR_FLAT_DATA : AR_REAL_DATA;
  const limit: u32 = long ? 0xFFFFFFFF : 0xFFFF;
  const cs: u32 = long ? 0x08 : 0;
  const ds: u32 = long ? 0x10 : 0;
  let st: u32 = 0;
  st |= segment(Vmcs16Guest.CS_SELECTOR, cs, VmcsNatGuest.CS_BASE, Vmcs32Guest.CS_LIMIT, limit, Vmcs32Guest.CS_ACCESS_RIGHTS, codeAr);
  st |= segment(Vmcs16Guest.SS_SELECTOR, ds, VmcsNatGuest.SS_BASE, Vmcs32Guest.SS_LIMIT, limit, Vmcs32Guest.SS_ACCESS_RIGHTS, dataAr);
  st |= segment(Vmcs16Guest.DS_SELECTOR, ds, VmcsNatGuest.DS_BASE, Vmcs32Guest.DS_LIMIT, limit, Vmcs32Guest.DS_ACCESS_RIGHTS, dataAr);
  st |= segment(Vmcs16Guest.ES_SELECTOR, ds, VmcsNatGuest.ES_BASE, Vmcs32Guest.ES_LIMIT, limit, Vmcs32Guest.ES_ACCESS_RIGHTS, dataAr);
  st |= segment(Vmcs16Guest.FS_SELECTOR, ds, VmcsNatGuest.FS_BASE, Vmcs32Guest.FS_LIMIT, limit, Vmcs32Guest.FS_ACCESS_RIGHTS, dataAr);
  st |= segment(Vmcs16Guest.GS_SELECTOR, ds, VmcsNatGuest.GS_BASE, Vmcs32Guest.GS_LIMIT, limit, Vmcs32Guest.GS_ACCESS_RIGHTS, dataAr);
  st |= segment(Vmcs16Guest.LDTR_SELECTOR, 0, VmcsNatGuest.LDTR_BASE, Vmcs32Guest.LDTR_LIMIT, 0, Vmcs32Guest.LDTR_ACCESS_RIGHTS, AR_UNUSABLE);
  st |= segment(Vmcs16Guest.TR_SELECTOR, 0, VmcsNatGuest.TR_BASE, Vmcs32Guest.TR_LIMIT, long ? 0x67 : 0xFFFF, Vmcs32Guest.TR_ACCESS_RIGHTS, AR_TSS_BUSY);
  // GDTR/IDTR: limit 0 in mode 64 (the guest loads its own); the real-mode IVT at 0 in mode 16.
  st |= vmwriteNat(VmcsNatGuest.GDTR_BASE, 0) | vmwrite32(Vmcs32Guest.GDTR_LIMIT, long ? 0 : 0xFFFF);
  st |= vmwriteNat(VmcsNatGuest.IDTR_BASE, 0) | vmwrite32(Vmcs32Guest.IDTR_LIMIT, long ? 0 : 0x3FF);

  // Control registers: the protocol's value, with the fixed bits forced (A.7, A.8); the read
  // shadows show the guest the protocol's value without the forced bits (e.g. CR4.VMXE).
  const cr0Want: u64 = long ? CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_WP : CR0_ET;
  const cr4Want: u64 = long ? CR4_PAE : 0;
  st |= vmwriteNat(VmcsNatGuest.CR0, guestCr0(cr0Want, caps.cr0Fixed0, caps.cr0Fixed1, true));
  st |= vmwriteNat(VmcsNatCtl.CR0_READ_SHADOW, cr0Want);
  st |= vmwriteNat(VmcsNatGuest.CR4, guestCr4(cr4Want, caps.cr4Fixed0, caps.cr4Fixed1));
  st |= vmwriteNat(VmcsNatCtl.CR4_READ_SHADOW, cr4Want);
  st |= vmwriteNat(VmcsNatGuest.CR3, long ? h.cr3 : 0);
  st |= vmwrite64(Vmcs64Guest.IA32_EFER, long ? EFER_LME | EFER_LMA : 0);
  st |= vmwrite64(Vmcs64Guest.IA32_PAT, PAT_RESET);
  st |= vmwrite64(Vmcs64Guest.IA32_DEBUGCTL, 0);
  st |= vmwriteNat(VmcsNatGuest.DR7, DR7_RESET);

  st |= vmwriteNat(VmcsNatGuest.RIP, h.entry);
  st |= vmwriteNat(VmcsNatGuest.RSP, h.rsp);
  st |= vmwriteNat(VmcsNatGuest.RFLAGS, RFLAGS_RESERVED1);   // IF = 0: interrupts off
  st |= vmwriteNat(VmcsNatGuest.PENDING_DEBUG_EXCEPTIONS, 0);
  st |= vmwrite32(Vmcs32Guest.INTERRUPTIBILITY_STATE, 0);
  st |= vmwrite32(Vmcs32Guest.ACTIVITY_STATE, 0);            // active
  st |= vmwrite32(Vmcs32Guest.IA32_SYSENTER_CS, 0);
  st |= vmwriteNat(VmcsNatGuest.IA32_SYSENTER_ESP, 0);
  st |= vmwriteNat(VmcsNatGuest.IA32_SYSENTER_EIP, 0);
  return st;
}
