// A fake VMX behind the core's VMX intrinsics (src/hw.ts), for running vmm_main's whole VT-x path in
// Node: VMXON checks CR4.VMXE and the revision id like the CPU (SDM Vol 3C §30.3 VMXON: #UD without
// CR4.VMXE, VMfailInvalid with a wrong revision id), each VMCS is a map from field encoding to value,
// and hw_vmrun hands the VM exit to a scripted guest: a function that, given the entered vCPU,
// returns what the "CPU" does next (an exit with its reason and information fields, or a VMfail).

/** VMCS field encodings the fake and the tests touch (SDM Vol 3C Appendix B). */
export const F = {
  VPID: 0x0000,
  EPT_POINTER: 0x201a,
  VM_INSTRUCTION_ERROR: 0x4400,
  EXIT_REASON: 0x4402,
  EXIT_INTERRUPTION_INFO: 0x4404,
  EXIT_INSTRUCTION_LENGTH: 0x440c,
  PREEMPTION_TIMER_VALUE: 0x482e,
  CS_AR: 0x4816,
  SS_AR: 0x4818,
  ENTRY_CONTROLS: 0x4012,
  ENTRY_INTERRUPTION_INFO: 0x4016,
  GUEST_INTERRUPTIBILITY: 0x4824,
  EXIT_QUALIFICATION: 0x6400,
  GUEST_CR0: 0x6800,
  GUEST_CR4: 0x6804,
  GUEST_RSP: 0x681c,
  GUEST_RIP: 0x681e,
  GUEST_RFLAGS: 0x6820,
  HOST_GS_BASE: 0x6c08,
} as const;

const CR4_VMXE = 1n << 13n;
/** Register block slots (docs/native-abi.md "VM entry/exit"). */
export const REG = { RAX: 0, RCX: 1, RDX: 2, RBX: 3, RBP: 5, RSI: 6, RDI: 7 } as const;

/** What the scripted guest does on an entry. */
export type GuestStep =
  | { exit: number; qual?: bigint; length?: number; intrInfo?: number }
  | { vmfail: 1 | 2; error?: number };

/** The entered vCPU as the script sees it. */
export interface Entered {
  /** VMCS physical address: one per vCPU, so it names the guest. */
  vmcs: number;
  launched: boolean;
  /** Index of this entry for this VMCS (0 = first). */
  entry: number;
  /** Address of the vCPU (its register block), for checks of the layout hw_vmrun relies on. */
  block: number;
  reg(n: number): bigint;
  setReg(n: number, v: bigint): void;
  field(f: number): bigint;
  setField(f: number, v: bigint): void;
}

export type GuestScript = (e: Entered) => GuestStep;

export class FakeVmx {
  cr0 = 0x80000011n;
  cr4 = 0x20n;
  on = false;
  current = 0;
  readonly vmcs = new Map<number, Map<number, bigint>>();
  readonly launchedSet = new Set<number>();
  readonly entries = new Map<number, number>();
  /** The order in which VMCSs were entered (the scheduler's decisions). */
  readonly entryLog: number[] = [];
  readonly inveptCalls: [number, bigint][] = [];
  readonly fpuLog: string[] = [];
  /** What the XSAVEC layout probe answers (true: as the SDM says; Bochs 2.7: false), and its calls. */
  xsavecLayoutOk = false;
  xsavecProbes = 0;
  readonly dr = new Map<number, bigint>();
  /** Stop runaway loops: a scripted guest that never ends fails the test instead of hanging. */
  maxEntries = 10000;
  script: GuestScript = () => ({ exit: 12 }); // HLT with IF = 0: every guest halts at once

  /** IA32_VMX_BASIC[30:0] of the fake CPU (the machine sets it from its MSRs). */
  revisionId = 0;

  constructor(private readonly view: () => DataView) {}

  private fields(): Map<number, bigint> {
    const m = this.vmcs.get(this.current);
    if (m === undefined) throw new Error("VMREAD/VMWRITE without a current VMCS");
    return m;
  }

  private revisionOk(pa: number): boolean {
    return (this.view().getUint32(pa, true) & 0x7fffffff) === this.revisionId;
  }

  readonly imports = {
    vmxon: (pa: bigint): number => {
      if ((this.cr4 & CR4_VMXE) === 0n) throw new Error("VMXON with CR4.VMXE = 0: #UD");
      if (this.on) return 2;
      if (!this.revisionOk(Number(pa))) return 1;
      this.on = true;
      return 0;
    },
    vmxoff: (): number => {
      this.on = false;
      return 0;
    },
    vmclear: (pa: bigint): number => {
      if (!this.on) throw new Error("VMCLEAR outside VMX operation");
      this.vmcs.set(Number(pa), new Map());
      this.launchedSet.delete(Number(pa));
      return 0;
    },
    vmptrld: (pa: bigint): number => {
      const p = Number(pa);
      if (!this.revisionOk(p)) return 2;
      if (!this.vmcs.has(p)) this.vmcs.set(p, new Map());
      this.current = p;
      return 0;
    },
    vmread: (field: number): bigint => this.fields().get(field >>> 0) ?? 0n,
    vmwrite: (field: number, value: bigint): number => {
      this.fields().set(field >>> 0, BigInt.asUintN(64, value));
      return 0;
    },
    invept: (type: number, eptp: bigint): number => {
      this.inveptCalls.push([type, eptp]);
      return 0;
    },
    invvpid: (): number => 0,
    host_state: (out: number): void => {
      const v = this.view();
      [0x08, 0x10, 0x10, 0x10, 0, 0, 0x20].forEach((sel, i) => v.setUint16(out + 2 * i, sel, true));
      v.setBigUint64(out + 48, 0x200000n, true); // GS base: a per-CPU block
      v.setBigUint64(out + 56, this.cr0, true);
      v.setBigUint64(out + 64, 0x1000n, true);
      v.setBigUint64(out + 72, this.cr4, true);
    },
    xgetbv: (): bigint => 3n,
    xsetbv: (): void => {},
    // The guest's extended state: which area was saved / restored, in order (src/vmm/fpu.ts).
    xsave: (area: number): void => void this.fpuLog.push(`xsave ${area >>> 0}`),
    xrstor: (area: number): void => void this.fpuLog.push(`xrstor ${area >>> 0}`),
    fxsave: (area: number): void => void this.fpuLog.push(`fxsave ${area >>> 0}`),
    fxrstor: (area: number): void => void this.fpuLog.push(`fxrstor ${area >>> 0}`),
    // XSAVEC's layout probe (boot/vmx.asm): the CPU answers this.xsavecLayoutOk (Bochs 2.7: false).
    xsavec_probe: (_area: number): number => (this.xsavecProbes++, this.xsavecLayoutOk ? 1 : 0),
    // DR0-DR3, DR6 as the CPU holds them (src/vmm/guest-dr.ts switches them between vCPUs).
    read_dr: (n: number): bigint => this.dr.get(n >>> 0) ?? 0n,
    write_dr: (n: number, v: bigint): void => void this.dr.set(n >>> 0, BigInt.asUintN(64, v)),
    vmrun: (regs: number, launched: number): number => this.run(regs >>> 0, launched !== 0),
  };

  /**
   * The core's vmm_exit (src/vmm/exit-fast.ts), which the real hw_vmrun calls after every exit:
   * 0 = enter the guest again without returning. Set by instantiate (fake-machine.ts).
   */
  exitHook: ((regs: number) => number) | undefined;
  /**
   * The core's lite entries (src/vmm/exit-lite.ts), which the real hw_vmrun calls first for CPUID
   * (reason 10) and I/O (30) exits: 0 = handled, 1 = refused. Set by instantiate when exported.
   */
  liteCpuidHook: ((regs: number) => number) | undefined;
  liteIoHook: ((regs: number, qual: bigint) => number) | undefined;
  /** Exits the lite entries handled (hw_vmrun re-entered without calling vmm_exit). */
  liteHandled = 0;

  /** hw_vmrun: entries until vmm_exit asks to return (boot/vmrun.asm). */
  private run(regs: number, launched: boolean): number {
    for (let first = true; ; first = false) {
      const st = this.enter(regs, first ? launched : true);
      if (st !== 0) return st;
      if (this.lite(regs)) continue;
      this.storeExit(regs);
      if (this.exitHook === undefined) return st;
      const v = this.view();
      const kept = [3, 5, 12, 13, 14, 15].map((i) => v.getBigUint64(regs + 8 * i, true));
      const r = this.exitHook(regs);
      if (r === 2) {
        if (kept.some((x, k) => x !== v.getBigUint64(regs + 8 * [3, 5, 12, 13, 14, 15][k]!, true))) {
          throw new Error("vmm_exit answered EXIT_FAST_SKIP but changed a callee-saved slot");
        }
        this.skip(regs);
      } else if (r !== 0) return st;
    }
  }

  /** Exits vmm_exit answered EXIT_FAST_SKIP (hw_vmrun completed the instruction). */
  skipped = 0;

  /**
   * hw_vmrun after vmm_exit's 2 (EXIT_FAST_SKIP): as after a lite answer (boot/vmrun.asm
   * .lite_resume): the core must have left RIP alone (ripDirty 0); GUEST_RIP += the instruction
   * length in the VMCS, STI/MOV-SS blocking cleared, ripCache left as it is (stale).
   */
  private skip(regs: number): void {
    const f = this.fields();
    const v = this.view();
    if (v.getUint32(regs + 212, true) !== 0) throw new Error("vmm_exit answered EXIT_FAST_SKIP with ripDirty set");
    f.set(F.GUEST_RIP, BigInt.asUintN(64, (f.get(F.GUEST_RIP) ?? 0n) + (f.get(F.EXIT_INSTRUCTION_LENGTH) ?? 0n)));
    f.set(F.GUEST_INTERRUPTIBILITY, (f.get(F.GUEST_INTERRUPTIBILITY) ?? 0n) & ~3n);
    this.skipped++;
  }

  /**
   * hw_vmrun's lite entries, with their contract checked (boot/vmrun.asm, docs/native-abi.md): the
   * block's rbx, rbp, r12-r15, exitReason, ripCache and exitInsnLen are stale during the call
   * (poisoned here, then given back the guest's values, which the real CPU kept in registers); a
   * refusal must leave the block unchanged; an answer must not touch RIP (ripDirty stays 0) nor
   * the callee-saved slots (CPUID's rbx excepted). Handled: GUEST_RIP += the instruction length
   * and STI/MOV-SS blocking cleared, as hw_vmrun does in the VMCS.
   */
  private lite(regs: number): boolean {
    const f = this.fields();
    const reason = Number(f.get(F.EXIT_REASON) ?? 0n);
    let call: (() => number) | undefined;
    if (reason === 10 && this.liteCpuidHook !== undefined) {
      const h = this.liteCpuidHook;
      call = () => h(regs);
    } else if (reason === 30 && this.liteIoHook !== undefined) {
      const h = this.liteIoHook;
      const q = f.get(F.EXIT_QUALIFICATION) ?? 0n;
      call = () => h(regs, q);
    }
    const v = this.view();
    // hw_vmrun stores an I/O exit's qualification in the VCpu (ioQual) before anything runs.
    if (reason === 30) v.setBigUint64(regs + 184, f.get(F.EXIT_QUALIFICATION) ?? 0n, true);
    // ... and calls a lite entry only when VCpu.fastExt (byte 228) is non-zero.
    if (call === undefined || v.getUint32(regs + 228, true) === 0) return false;
    const stale = [3, 5, 12, 13, 14, 15].map((i) => regs + 8 * i);
    const kept = stale.map((a) => v.getBigUint64(a, true));
    const POISON = 0xdead_beef_dead_beefn;
    for (const a of stale) v.setBigUint64(a, POISON, true);
    const meta = [180, 200, 208].map((o) => v.getBigUint64(regs + o, true));
    v.setUint32(regs + 180, 0xffff_ffff, true);
    v.setBigUint64(regs + 200, POISON, true);
    v.setUint32(regs + 208, 0xffff, true);
    const before = new Uint8Array(v.buffer.slice(regs, regs + 256));
    const r = call();
    const after = new Uint8Array(v.buffer, regs, 256);
    if (r !== 0 && !before.every((b, i) => b === after[i])) throw new Error("lite entry refused but changed the vCPU block");
    if (r === 0 && v.getUint32(regs + 212, true) !== 0) throw new Error("lite entry set ripDirty");
    stale.forEach((a, i) => {
      if (r === 0 && reason === 10 && i === 0) {
        if (v.getBigUint64(a, true) === POISON) throw new Error("lite CPUID left RBX unwritten");
        return;
      }
      if (v.getBigUint64(a, true) !== POISON) throw new Error(`lite entry wrote the stale slot at +${a - regs}`);
      v.setBigUint64(a, kept[i] ?? 0n, true);
    });
    [180, 200, 208].forEach((o, i) => v.setBigUint64(regs + o, meta[i] ?? 0n, true));
    if (r !== 0) return false;
    this.liteHandled++;
    f.set(F.GUEST_RIP, BigInt.asUintN(64, (f.get(F.GUEST_RIP) ?? 0n) + (f.get(F.EXIT_INSTRUCTION_LENGTH) ?? 0n)));
    f.set(F.GUEST_INTERRUPTIBILITY, (f.get(F.GUEST_INTERRUPTIBILITY) ?? 0n) & ~3n);
    return true;
  }

  /** hw_vmrun's full exit path: EXIT_REASON, GUEST_RIP and the instruction length into the VCpu. */
  private storeExit(regs: number): void {
    const f = this.fields();
    const v = this.view();
    v.setUint32(regs + 180, Number(f.get(F.EXIT_REASON) ?? 0n) >>> 0, true);
    v.setBigUint64(regs + 200, f.get(F.GUEST_RIP) ?? 0n, true);
    v.setUint32(regs + 208, Number(f.get(F.EXIT_INSTRUCTION_LENGTH) ?? 0n), true);
  }

  /** One VM entry and the exit the script answers with. */
  private enter(regs: number, launched: boolean): number {
    if (this.entryLog.length >= this.maxEntries) throw new Error(`more than ${this.maxEntries} VM entries`);
    const pa = this.current;
    const f = this.fields();
    if (launched !== this.launchedSet.has(pa)) {
      f.set(F.VM_INSTRUCTION_ERROR, launched ? 5n : 4n); // VMRESUME non-launched / VMLAUNCH non-clear
      return 2;
    }
    const v = this.view();
    // hw_vmrun writes the core's RIP back before the entry (VCpu.ripDirty, boot/vmrun.asm).
    if (v.getUint32(regs + 212, true) !== 0) {
      f.set(F.GUEST_RIP, v.getBigUint64(regs + 200, true));
      v.setUint32(regs + 212, 0, true);
    }
    const n = this.entries.get(pa) ?? 0;
    this.entries.set(pa, n + 1);
    this.entryLog.push(pa);
    const step = this.script({
      vmcs: pa,
      launched,
      block: regs,
      entry: n,
      reg: (i) => v.getBigUint64(regs + 8 * i, true),
      setReg: (i, x) => v.setBigUint64(regs + 8 * i, BigInt.asUintN(64, x), true),
      field: (x) => f.get(x) ?? 0n,
      setField: (x, y) => f.set(x, BigInt.asUintN(64, y)),
    });
    if ("vmfail" in step) {
      if (step.vmfail === 2) f.set(F.VM_INSTRUCTION_ERROR, BigInt(step.error ?? 0));
      return step.vmfail;
    }
    this.launchedSet.add(pa);
    f.set(F.EXIT_REASON, BigInt(step.exit >>> 0));
    f.set(F.EXIT_QUALIFICATION, step.qual ?? 0n);
    f.set(F.EXIT_INSTRUCTION_LENGTH, BigInt(step.length ?? 0));
    f.set(F.EXIT_INTERRUPTION_INFO, BigInt(step.intrInfo ?? 0));
    return 0;
  }
}
