// VMCS field encodings, SDM Vol 3C Appendix B (field tables B-1 … B-12) and §24.11.2 (the
// structure of an encoding). Every field is a member of a `const enum` named for its width and
// its type, so a typed access layer can take e.g. `Vmcs32Guest` and the compiler inlines the value.
//
// Encoding layout (SDM Vol 3C §24.11.2, Table 24-17 "Structure of VMCS Component Encoding"):
//
//   31            15 14  13 12 11  10 9               1  0
//  +----------------+------+--+------+------------------+---+
//  |  reserved (0)  |width |0 | type |      index       | A |
//  +----------------+------+--+------+------------------+---+
//   width: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural-width
//   type:  0 = control, 1 = VM-exit information (read-only data), 2 = guest state, 3 = host state
//   A:     access type, 0 = full; 1 = high (the upper 32 bits of a 64-bit field; only 64-bit
//          fields have a high encoding — B.2 lists them as "full" encoding + 1)
//
// The enums below list full encodings only; `vmcsHigh` derives the high one. Names follow the
// SDM's wording. Tests (tests/vtx/fields.test.ts) read this file and check that every member's
// width and type bits agree with the enum it sits in, that no encoding is repeated, and spot-check
// values against Appendix B.

/** Width field, encoding bits 14:13. */
export const enum VmcsWidth { W16 = 0, W64 = 1, W32 = 2, NATURAL = 3 }
/** Type field, encoding bits 11:10. */
export const enum VmcsType { CONTROL = 0, READ_ONLY = 1, GUEST = 2, HOST = 3 }

/** Width of a field from its encoding (bits 14:13). */
@inline export function vmcsWidth(encoding: u32): u32 { return (encoding >> 13) & 3; }
/** Type of a field from its encoding (bits 11:10). */
@inline export function vmcsType(encoding: u32): u32 { return (encoding >> 10) & 3; }
/** Index of a field within its width/type group (bits 9:1). */
@inline export function vmcsIndex(encoding: u32): u32 { return (encoding >> 1) & 0x1FF; }
/** True when the encoding names the high half of a 64-bit field (bit 0 = 1). */
@inline export function vmcsIsHigh(encoding: u32): bool { return (encoding & 1) != 0; }
/** Size in bytes VMREAD/VMWRITE move for the field on a 64-bit host (natural width = 8). */
@inline export function vmcsSizeBytes(encoding: u32): u32 {
  const w = vmcsWidth(encoding);
  return w == VmcsWidth.W16 ? 2 : w == VmcsWidth.W32 ? 4 : (vmcsIsHigh(encoding) ? 4 : 8);
}
/**
 * Encoding of the high 32 bits of a 64-bit field (SDM §24.11.2: access type 1), or 0xFFFFFFFF
 * when the field has no high half (only 64-bit fields do). 32-bit hosts need it; on our 64-bit
 * host it is used only to check the layout.
 */
@inline export function vmcsHigh(encoding: u32): u32 {
  return vmcsWidth(encoding) == VmcsWidth.W64 && !vmcsIsHigh(encoding) ? encoding | 1 : 0xFFFFFFFF;
}
/** Bits that must be zero in any encoding: 31:15 and 12 (Table 24-17). */
@inline export function vmcsEncodingValid(encoding: u32): bool {
  return (encoding & 0xFFFF9000) == 0 && (vmcsWidth(encoding) == VmcsWidth.W64 || !vmcsIsHigh(encoding));
}

// ---------------------------------------------------------------- 16-bit (B.1)

/** B.1.1 16-bit control fields. */
export const enum Vmcs16Ctl {
  VPID = 0x0000,
  POSTED_INTR_NOTIFICATION_VECTOR = 0x0002,
  EPTP_INDEX = 0x0004,
}
/** B.1.2 16-bit guest-state fields. */
export const enum Vmcs16Guest {
  ES_SELECTOR = 0x0800,
  CS_SELECTOR = 0x0802,
  SS_SELECTOR = 0x0804,
  DS_SELECTOR = 0x0806,
  FS_SELECTOR = 0x0808,
  GS_SELECTOR = 0x080A,
  LDTR_SELECTOR = 0x080C,
  TR_SELECTOR = 0x080E,
  INTERRUPT_STATUS = 0x0810,
  PML_INDEX = 0x0812,
}
/** B.1.3 16-bit host-state fields. */
export const enum Vmcs16Host {
  ES_SELECTOR = 0x0C00,
  CS_SELECTOR = 0x0C02,
  SS_SELECTOR = 0x0C04,
  DS_SELECTOR = 0x0C06,
  FS_SELECTOR = 0x0C08,
  GS_SELECTOR = 0x0C0A,
  TR_SELECTOR = 0x0C0C,
}

// ---------------------------------------------------------------- 64-bit (B.2), full encodings

/** B.2.1 64-bit control fields. */
export const enum Vmcs64Ctl {
  IO_BITMAP_A = 0x2000,
  IO_BITMAP_B = 0x2002,
  MSR_BITMAP = 0x2004,
  EXIT_MSR_STORE_ADDR = 0x2006,
  EXIT_MSR_LOAD_ADDR = 0x2008,
  ENTRY_MSR_LOAD_ADDR = 0x200A,
  EXECUTIVE_VMCS_POINTER = 0x200C,
  PML_ADDRESS = 0x200E,
  TSC_OFFSET = 0x2010,
  VIRTUAL_APIC_ADDR = 0x2012,
  APIC_ACCESS_ADDR = 0x2014,
  POSTED_INTR_DESC_ADDR = 0x2016,
  VM_FUNCTION_CONTROLS = 0x2018,
  EPT_POINTER = 0x201A,
  EOI_EXIT_BITMAP0 = 0x201C,
  EOI_EXIT_BITMAP1 = 0x201E,
  EOI_EXIT_BITMAP2 = 0x2020,
  EOI_EXIT_BITMAP3 = 0x2022,
  EPTP_LIST_ADDR = 0x2024,
  VMREAD_BITMAP = 0x2026,
  VMWRITE_BITMAP = 0x2028,
  VE_INFO_ADDR = 0x202A,
  XSS_EXITING_BITMAP = 0x202C,
  ENCLS_EXITING_BITMAP = 0x202E,
  SPP_TABLE_POINTER = 0x2030,
  TSC_MULTIPLIER = 0x2032,
  TERTIARY_PROC_CONTROLS = 0x2034,
}
/** B.2.2 64-bit read-only data fields. */
export const enum Vmcs64Ro {
  GUEST_PHYSICAL_ADDR = 0x2400,
}
/** B.2.3 64-bit guest-state fields. */
export const enum Vmcs64Guest {
  VMCS_LINK_POINTER = 0x2800,
  IA32_DEBUGCTL = 0x2802,
  IA32_PAT = 0x2804,
  IA32_EFER = 0x2806,
  IA32_PERF_GLOBAL_CTRL = 0x2808,
  PDPTE0 = 0x280A,
  PDPTE1 = 0x280C,
  PDPTE2 = 0x280E,
  PDPTE3 = 0x2810,
  IA32_BNDCFGS = 0x2812,
  IA32_RTIT_CTL = 0x2814,
}
/** B.2.4 64-bit host-state fields. */
export const enum Vmcs64Host {
  IA32_PAT = 0x2C00,
  IA32_EFER = 0x2C02,
  IA32_PERF_GLOBAL_CTRL = 0x2C04,
}

// ---------------------------------------------------------------- 32-bit (B.3)

/** B.3.1 32-bit control fields. */
export const enum Vmcs32Ctl {
  PIN_BASED_CONTROLS = 0x4000,
  PROC_BASED_CONTROLS = 0x4002,
  EXCEPTION_BITMAP = 0x4004,
  PAGE_FAULT_ERROR_CODE_MASK = 0x4006,
  PAGE_FAULT_ERROR_CODE_MATCH = 0x4008,
  CR3_TARGET_COUNT = 0x400A,
  EXIT_CONTROLS = 0x400C,
  EXIT_MSR_STORE_COUNT = 0x400E,
  EXIT_MSR_LOAD_COUNT = 0x4010,
  ENTRY_CONTROLS = 0x4012,
  ENTRY_MSR_LOAD_COUNT = 0x4014,
  ENTRY_INTERRUPTION_INFO = 0x4016,
  ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
  ENTRY_INSTRUCTION_LENGTH = 0x401A,
  TPR_THRESHOLD = 0x401C,
  SECONDARY_PROC_CONTROLS = 0x401E,
  PLE_GAP = 0x4020,
  PLE_WINDOW = 0x4022,
}
/** B.3.2 32-bit read-only data fields. */
export const enum Vmcs32Ro {
  VM_INSTRUCTION_ERROR = 0x4400,
  EXIT_REASON = 0x4402,
  EXIT_INTERRUPTION_INFO = 0x4404,
  EXIT_INTERRUPTION_ERROR_CODE = 0x4406,
  IDT_VECTORING_INFO = 0x4408,
  IDT_VECTORING_ERROR_CODE = 0x440A,
  EXIT_INSTRUCTION_LENGTH = 0x440C,
  EXIT_INSTRUCTION_INFO = 0x440E,
}
/** B.3.3 32-bit guest-state fields. */
export const enum Vmcs32Guest {
  ES_LIMIT = 0x4800,
  CS_LIMIT = 0x4802,
  SS_LIMIT = 0x4804,
  DS_LIMIT = 0x4806,
  FS_LIMIT = 0x4808,
  GS_LIMIT = 0x480A,
  LDTR_LIMIT = 0x480C,
  TR_LIMIT = 0x480E,
  GDTR_LIMIT = 0x4810,
  IDTR_LIMIT = 0x4812,
  ES_ACCESS_RIGHTS = 0x4814,
  CS_ACCESS_RIGHTS = 0x4816,
  SS_ACCESS_RIGHTS = 0x4818,
  DS_ACCESS_RIGHTS = 0x481A,
  FS_ACCESS_RIGHTS = 0x481C,
  GS_ACCESS_RIGHTS = 0x481E,
  LDTR_ACCESS_RIGHTS = 0x4820,
  TR_ACCESS_RIGHTS = 0x4822,
  INTERRUPTIBILITY_STATE = 0x4824,
  ACTIVITY_STATE = 0x4826,
  SMBASE = 0x4828,
  IA32_SYSENTER_CS = 0x482A,
  PREEMPTION_TIMER_VALUE = 0x482E,
}
/** B.3.4 32-bit host-state field. */
export const enum Vmcs32Host {
  IA32_SYSENTER_CS = 0x4C00,
}

// ---------------------------------------------------------------- natural width (B.4)

/** B.4.1 natural-width control fields. */
export const enum VmcsNatCtl {
  CR0_GUEST_HOST_MASK = 0x6000,
  CR4_GUEST_HOST_MASK = 0x6002,
  CR0_READ_SHADOW = 0x6004,
  CR4_READ_SHADOW = 0x6006,
  CR3_TARGET_VALUE0 = 0x6008,
  CR3_TARGET_VALUE1 = 0x600A,
  CR3_TARGET_VALUE2 = 0x600C,
  CR3_TARGET_VALUE3 = 0x600E,
}
/** B.4.2 natural-width read-only data fields. */
export const enum VmcsNatRo {
  EXIT_QUALIFICATION = 0x6400,
  IO_RCX = 0x6402,
  IO_RSI = 0x6404,
  IO_RDI = 0x6406,
  IO_RIP = 0x6408,
  GUEST_LINEAR_ADDR = 0x640A,
}
/** B.4.3 natural-width guest-state fields. */
export const enum VmcsNatGuest {
  CR0 = 0x6800,
  CR3 = 0x6802,
  CR4 = 0x6804,
  ES_BASE = 0x6806,
  CS_BASE = 0x6808,
  SS_BASE = 0x680A,
  DS_BASE = 0x680C,
  FS_BASE = 0x680E,
  GS_BASE = 0x6810,
  LDTR_BASE = 0x6812,
  TR_BASE = 0x6814,
  GDTR_BASE = 0x6816,
  IDTR_BASE = 0x6818,
  DR7 = 0x681A,
  RSP = 0x681C,
  RIP = 0x681E,
  RFLAGS = 0x6820,
  PENDING_DEBUG_EXCEPTIONS = 0x6822,
  IA32_SYSENTER_ESP = 0x6824,
  IA32_SYSENTER_EIP = 0x6826,
}
/** B.4.4 natural-width host-state fields. */
export const enum VmcsNatHost {
  CR0 = 0x6C00,
  CR3 = 0x6C02,
  CR4 = 0x6C04,
  FS_BASE = 0x6C06,
  GS_BASE = 0x6C08,
  TR_BASE = 0x6C0A,
  GDTR_BASE = 0x6C0C,
  IDTR_BASE = 0x6C0E,
  IA32_SYSENTER_ESP = 0x6C10,
  IA32_SYSENTER_EIP = 0x6C12,
  RSP = 0x6C14,
  RIP = 0x6C16,
}
