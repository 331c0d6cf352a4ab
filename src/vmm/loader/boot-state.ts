// The initial vCPU state a guest loader produces (linux.ts, multiboot.ts). The loader only
// describes the state; the VM-creation code writes it into the VMCS guest-state area (SDM Vol 3C
// §24.4) field by field and copies the general registers into the vCPU's register block
// (docs/native-abi.md, "the guest register block"). Nothing here touches hardware.
//
// Layout (BOOT_STATE_BYTES = 400 bytes, 8-aligned; the caller owns the block):
//
//   offset   0 .. 127  gpr[16]: rax rcx rdx rbx rsp rbp rsi rdi r8 .. r15 (u64 each), in x86
//                      register-number order, the same order as the guest register block, so
//                      slots 0..15 copy across directly; slot 4 (rsp) goes to GUEST_RSP instead.
//   offset 128 rip      136 rflags
//   offset 144 cr0      152 cr3      160 cr4      168 efer        (u64 each)
//   offset 176 gdtrBase 184 idtrBase (u64)   192 gdtrLimit 196 idtrLimit (u32)
//   offset 200 mode (u32: 32 = protected mode, paging off; 64 = IA-32e mode)   204 _pad (u32)
//   offset 208 .. 399  8 SegmentState records of 24 bytes, in VMCS encoding order
//                      ES CS SS DS FS GS LDTR TR (SEG_* below), so segment i maps to the
//                      fields ES_SELECTOR + 2i, ES_LIMIT + 2i, ES_ACCESS_RIGHTS + 2i, ES_BASE + 2i.
//
// SegmentState (24 bytes):
//
//   0 base (u64)   8 limit (u32, byte granular as the VMCS holds it)   12 accessRights (u32)
//   16 selector (u16)   18 _pad (u16)   20 _pad2 (u32)
//
// accessRights is the VMX format (SDM Vol 3C §24.4.1, Table 24-2):
//
//   bits 3:0 type   4 S   6:5 DPL   7 P   11:8 reserved   12 AVL   13 L (64-bit code)
//   14 D/B   15 G   16 unusable   31:17 reserved
//
// State the loaders do not set (DR7, IA32_PAT, DEBUGCTL, SYSENTER, activity and interruptibility
// state, pending debug exceptions) is the reset value, which the VMX side writes for every guest.
// The control registers are the values the boot protocol asks for; the VMX side still applies the
// CR0/CR4 fixed bits (SDM Vol 3D A.7, A.8) and keeps these values in the read shadows.

/** Segment indices, in VMCS field-encoding order (SDM Vol 3C Appendix B.1.2, B.3.3, B.4.3). */
export const SEG_ES: u32 = 0;
export const SEG_CS: u32 = 1;
export const SEG_SS: u32 = 2;
export const SEG_DS: u32 = 3;
export const SEG_FS: u32 = 4;
export const SEG_GS: u32 = 5;
export const SEG_LDTR: u32 = 6;
export const SEG_TR: u32 = 7;
export const SEG_COUNT: u32 = 8;

/** GPR slots, x86 register numbers (SDM Vol 2A Table 2-2). */
export const REG_RAX: u32 = 0;
export const REG_RCX: u32 = 1;
export const REG_RDX: u32 = 2;
export const REG_RBX: u32 = 3;
export const REG_RSP: u32 = 4;
export const REG_RBP: u32 = 5;
export const REG_RSI: u32 = 6;
export const REG_RDI: u32 = 7;

export const BOOT_MODE_PROTECTED32: u32 = 32;
export const BOOT_MODE_LONG64: u32 = 64;

// Access-rights values (Table 24-2 bit layout above).
/** 64-bit code: G, L, P, S, type 11 (execute/read, accessed). D/B must be 0 when L = 1 (§26.3.1.2). */
export const AR_CODE64: u32 = 0xA09B;
/** 32-bit flat code: G, D/B, P, S, type 11 (execute/read, accessed). */
export const AR_CODE32: u32 = 0xC09B;
/** Flat data: G, D/B, P, S, type 3 (read/write, accessed). */
export const AR_DATA: u32 = 0xC093;
/** Busy TSS, P, type 11: VM entry requires a usable TR of this type in both modes (§26.3.1.2). */
export const AR_TSS_BUSY: u32 = 0x008B;
/** The unusable bit (bit 16): LDTR carries no segment. */
export const AR_UNUSABLE: u32 = 0x10000;

export const RFLAGS_FIXED1: u64 = 1 << 1;     // bit 1 is always 1; IF (bit 9) = 0: interrupts off
export const CR0_PE: u64 = 1 << 0;
export const CR0_ET: u64 = 1 << 4;
export const CR0_NE: u64 = 1 << 5;
export const CR0_PG: u64 = 1 << 31;
export const CR4_PAE: u64 = 1 << 5;
export const EFER_LME: u64 = 1 << 8;
export const EFER_LMA: u64 = 1 << 10;

@unmanaged export class SegmentState {
  base: u64;
  limit: u32;
  accessRights: u32;
  selector: u16;
  _pad: u16;
  _pad2: u32;
}

@unmanaged export class BootState {
  rax: u64; rcx: u64; rdx: u64; rbx: u64; rsp: u64; rbp: u64; rsi: u64; rdi: u64;
  r8: u64; r9: u64; r10: u64; r11: u64; r12: u64; r13: u64; r14: u64; r15: u64;
  rip: u64;
  rflags: u64;
  cr0: u64;
  cr3: u64;
  cr4: u64;
  efer: u64;
  gdtrBase: u64;
  idtrBase: u64;
  gdtrLimit: u32;
  idtrLimit: u32;
  mode: u32;
  _pad: u32;
  // followed by SEG_COUNT SegmentState records (bootSegment)
}

export const SEGMENT_STATE_BYTES: usize = offsetof<SegmentState>();
export const BOOT_STATE_HEAD_BYTES: usize = offsetof<BootState>();
export const BOOT_STATE_BYTES: usize = BOOT_STATE_HEAD_BYTES + <usize>SEG_COUNT * SEGMENT_STATE_BYTES;

/** Segment `seg` (SEG_*) of `s`. Invariant: seg < SEG_COUNT and s spans BOOT_STATE_BYTES. */
@inline export function bootSegment(s: BootState, seg: u32): SegmentState {
  return changetype<SegmentState>(changetype<usize>(s) + BOOT_STATE_HEAD_BYTES + <usize>seg * SEGMENT_STATE_BYTES);
}

/** Clears the whole block (all BOOT_STATE_BYTES), so that no field keeps a previous VM's value. */
export function bootStateClear(s: BootState): void {
  memory.fill(changetype<usize>(s), 0, BOOT_STATE_BYTES);
}

export function bootSetSegment(s: BootState, seg: u32, selector: u16, base: u64, limit: u32, ar: u32): void {
  const d = bootSegment(s, seg);
  d.selector = selector;
  d.base = base;
  d.limit = limit;
  d.accessRights = ar;
}

/**
 * The segment state both loaders share: CS = `cs` with code rights `codeAr`, SS/DS/ES/FS/GS =
 * `ds`, all flat (base 0, 4 GiB limit); LDTR unusable; TR a busy TSS of 0x68 bytes at 0 (the
 * guest loads its own before it needs one; VM entry only checks its type, §26.3.1.2); no IDT
 * (IDTR limit 0: the guest runs with interrupts off until it loads its own).
 */
export function bootFlatSegments(s: BootState, cs: u16, codeAr: u32, ds: u16, gdtBase: u64, gdtLimit: u32): void {
  bootSetSegment(s, SEG_CS, cs, 0, 0xFFFF_FFFF, codeAr);
  bootSetSegment(s, SEG_SS, ds, 0, 0xFFFF_FFFF, AR_DATA);
  bootSetSegment(s, SEG_DS, ds, 0, 0xFFFF_FFFF, AR_DATA);
  bootSetSegment(s, SEG_ES, ds, 0, 0xFFFF_FFFF, AR_DATA);
  bootSetSegment(s, SEG_FS, ds, 0, 0xFFFF_FFFF, AR_DATA);
  bootSetSegment(s, SEG_GS, ds, 0, 0xFFFF_FFFF, AR_DATA);
  bootSetSegment(s, SEG_LDTR, 0, 0, 0, AR_UNUSABLE);
  bootSetSegment(s, SEG_TR, 0, 0, 0x67, AR_TSS_BUSY);
  s.gdtrBase = gdtBase;
  s.gdtrLimit = gdtLimit;
  s.idtrBase = 0;
  s.idtrLimit = 0;
  s.rflags = RFLAGS_FIXED1;
}
