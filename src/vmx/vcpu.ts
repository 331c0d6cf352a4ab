// The virtual CPU: the guest register block that boot/vmrun.asm (hw_vmrun) loads and stores around
// every VM entry/exit, and the bookkeeping the run loop needs. Statically allocated, 16-byte
// aligned, VCPU_SIZE bytes each (src/vmm/vm.ts owns the slab).
//
// Layout (docs/native-abi.md "VM entry/exit: the guest register block"); qword q at byte 8·q:
//
//   byte 0                                            128     136     144       152
//   +------+------+------+------+------+--- … ---+-----+-------+-------+---------+
//   | rax  | rcx  | rdx  | rbx  |(rsp) | rbp … r15 | cr2 | xcr0  |hostRsp|  vm,idx |
//   +------+------+------+------+------+--- … ---+-----+-------+-------+---------+
//   q 0      1      2      3      4      5 … 15     16     17      18
//   byte 160 vmcsPa (u64)   168 state (u32)   172 launched (u32)   176 vpid (u32)
//   byte 180 exitReason (u32, full EXIT_REASON of the last exit)   184 ioQual (u64)
//   byte 192 sliceTicks (u64)   200 ripCache (u64)   208 exitInsnLen (u32)   212 ripDirty (u32)
//   byte 216 fpuArea (usize: 4 KiB XSAVE/FXSAVE area, src/vmm/fpu.ts)   220 ext (usize)
//   byte 224 fastAction (u32)   228 fastExt (usize)   232 … 255 reserved
//
// Slot 4 (rsp) is unused: the guest's RSP lives in the VMCS (GUEST_RSP), so gpr(4)/setGpr(4)
// go there. hostRsp is owned by hw_vmrun: the HOST_RSP value last written into this vCPU's VMCS,
// so the VMWRITE is skipped when the run loop's stack depth has not changed (KVM does the same);
// hw_vmrun also stores EXIT_REASON (180), GUEST_RIP (200) and the exit instruction length (208)
// at every exit, and VMWRITEs GUEST_RIP from 200 before an entry when ripDirty (212) is set: RIP
// is read and changed through rip()/setRip()/advanceRip() only, never by a direct VMWRITE, so
// skipping an instruction costs no VMX instruction in the core. Offsets: boot/defs.inc VCPU_*.
//
// hw_vmrun does not return at every exit: it calls the core's `vmm_exit` (src/vmm/exit-fast.ts)
// from the exit path and re-enters at once when that says so. fastExt (set by the run loop per
// slice) allows that; fastAction tells the run loop that vmm_exit already handled the exit it
// returns with (ExitAction + 1; 0: not handled, the run loop dispatches it). For CPUID and I/O
// exits hw_vmrun first calls a lite entry (src/vmm/exit-lite.ts) with only the caller-saved GPRs
// stored: during that call rbx, rbp, r12–r15, exitReason, ripCache and exitInsnLen are stale, and
// an exit it handles skips the instruction in the VMCS, leaving ripCache stale with ripDirty = 0
// (the next full exit re-reads GUEST_RIP), so nothing outside exit handling may trust them. The
// same holds after vmm_exit's EXIT_FAST_SKIP (an IN/OUT it performed, completed by hw_vmrun).

import { VmcsNatGuest } from "./vmcs/fields";
import { vmreadNat, vmwriteNat } from "./vmcs-access";

export { vmread16, vmread32, vmread64, vmreadNat, vmwrite16, vmwrite32, vmwrite64, vmwriteNat } from "./vmcs-access";

export const VCPU_SIZE: u32 = 256;
/** Qword index of CR2 and XCR0 in the register block. */
export const REG_CR2: u32 = 16;
export const REG_XCR0: u32 = 17;
/** x86 register numbers (the ModRM/REX numbering the block is indexed by). */
export const enum Gpr { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15 }

@unmanaged export class VCpu {
  rax: u64;
  rcx: u64;
  rdx: u64;
  rbx: u64;
  rspUnused: u64;
  rbp: u64;
  rsi: u64;
  rdi: u64;
  r8: u64;
  r9: u64;
  r10: u64;
  r11: u64;
  r12: u64;
  r13: u64;
  r14: u64;
  r15: u64;
  cr2: u64;
  xcr0: u64;
  /** Owned by hw_vmrun (boot/vmrun.asm): HOST_RSP last written to this vCPU's VMCS. */
  hostRsp: u64;
  /** The Vm (src/vmm/vm.ts) this vCPU belongs to. */
  vm: usize;
  /** Index of this vCPU within its VM. */
  index: u32;
  /** Physical address of this vCPU's VMCS. */
  vmcsPa: u64;
  /** Scheduler state (src/sched/state.ts, VCpuState). */
  state: u32;
  /** 0 until the first successful VMLAUNCH (SDM §24.1: launch state of the VMCS). */
  launched: u32;
  /** VPID (SDM §28.1): 1 + global vCPU number; 0 is the host's. */
  vpid: u32;
  /** EXIT_REASON of the last VM exit: stored by hw_vmrun at every exit (boot/defs.inc VCPU_EXIT_REASON). */
  exitReason: u32;
  /**
   * EXIT_QUALIFICATION of the last I/O-instruction exit (§27.2.1, Table 28-5): stored by hw_vmrun
   * at every exit of reason 30, before the core runs (boot/defs.inc VCPU_IO_QUAL); meaningful
   * only while such an exit is handled.
   */
  ioQual: u64;
  /** Length of this vCPU's time slice in TSC ticks (src/sched/policy.ts). */
  sliceTicks: u64;
  /** GUEST_RIP as of the last exit, plus the core's changes (written back by hw_vmrun). */
  ripCache: u64;
  /** VM-exit instruction length of the last exit (§27.2.5; meaningful for instruction exits). */
  exitInsnLen: u32;
  /** Non-zero: ripCache differs from the VMCS; hw_vmrun VMWRITEs it before the next entry. */
  ripDirty: u32;
  /** Where this vCPU's x87/SSE/AVX state lives while another vCPU runs (src/vmm/fpu.ts). */
  fpuArea: usize;
  /** This vCPU's emulation block (src/vmm/exits/vcpu-ext.ts); 0 until exitsVcpuReady made it. */
  ext: usize;
  /** Set by vmm_exit when it handled the exit hw_vmrun returns with: ExitAction + 1; else 0. */
  fastAction: u32;
  /**
   * Non-zero: vmm_exit and the lite entries may handle exits and re-enter without returning
   * (run.ts, per slice), and then it is `ext` (non-zero) and the VM's platform exists: the lite
   * entries test and locate the emulation block with one load.
   */
  fastExt: usize;

  /** Register block address: what hw_vmrun takes. */
  @inline regs(): usize { return changetype<usize>(this); }

  /**
   * General-purpose register `n` (x86 numbering, 0..15); n = 4 reads GUEST_RSP from the current
   * VMCS. Invariant: n < 16 — every caller passes a decoded 4-bit register number (& 15).
   */
  @inline gpr(n: u32): u64 {
    const r = n & 15;
    if (r == Gpr.RSP) return vmreadNat(VmcsNatGuest.RSP);
    return load<u64>(changetype<usize>(this) + (<usize>r << 3));
  }
  /** Sets register `n` (as for gpr; n = 4 writes GUEST_RSP). */
  @inline setGpr(n: u32, v: u64): void {
    const r = n & 15;
    if (r == Gpr.RSP) { vmwriteNat(VmcsNatGuest.RSP, v); return; }
    store<u64>(changetype<usize>(this) + (<usize>r << 3), v);
  }
  /** Guest RIP (as of the last exit, with the core's changes). */
  @inline rip(): u64 { return this.ripCache; }
  /** Sets guest RIP; reaches the VMCS at the next entry. */
  @inline setRip(v: u64): void { this.ripCache = v; this.ripDirty = 1; }
  /**
   * Skips the instruction that caused the exit: RIP += VM-exit instruction length (SDM §27.2.5,
   * valid for the instruction-caused exits this is used on: CPUID, HLT, VMCALL, I/O, RDMSR, …).
   */
  @inline advanceRip(): void { this.setRip(this.ripCache + <u64>this.exitInsnLen); }
  /** Basic exit reason of the last exit (bits 15:0). */
  @inline basicExitReason(): u32 { return this.exitReason & 0xFFFF; }
}
