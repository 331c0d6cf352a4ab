// The exit handlers of src/vmm/exits/ end to end against a fake machine (world.ts): the VMCS
// fields they read and write, guest RAM through the EPT and GuestMemory, the VM's console.
import { describe, expect, it } from "vitest";
import { F, makeWorld, vmOfWorld, VCPU, World } from "./world.ts";

const R = { CPUID: 10, IO: 30, RDMSR: 31, WRMSR: 32, CR: 28, EPT: 48, EPT_MISCONFIG: 49, XSETBV: 55, IRQ_WINDOW: 7, WBINVD: 54 };
const RESUME = 0, STOP = 2;
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSI = 6, RDI = 7;
const GP_INFO = 0x80000b0dn, UD_INFO = 0x80000306n;

/** I/O exit qualification (Table 28-5): size-1, IN, string, REP, imm, port. */
const ioq = (port: number, size: 1 | 2 | 4, o: { in?: boolean; str?: boolean; rep?: boolean } = {}): bigint =>
  BigInt(((port << 16) | (size === 4 ? 3 : size - 1) | (o.in ? 8 : 0) | (o.str ? 16 : 0) | (o.rep ? 32 : 0)) >>> 0);

function io(w: World, q: bigint, len = 1, info = 0): number {
  w.set(F.QUAL, q); w.set(F.EXIT_LEN, len); w.set(F.EXIT_INFO, info);
  return w.exit(R.IO);
}

describe("I/O instructions", () => {
  it("OUT to 0xE9 goes to the VM console line by line; RIP advances", () => {
    const w = makeWorld();
    w.set(F.RIP, 0x1000);
    for (const ch of "hi\n") { w.setReg(RAX, 0x4100 | ch.charCodeAt(0)); expect(io(w, ioq(0xe9, 1) | 0x40n, 2)).toBe(RESUME); }
    expect(w.console).toContain("[t] hi");
    expect(w.get(F.RIP)).toBe(0x1006n);
  });
  it("IN from 0xE9 reads 0xE9; unassigned ports read all-ones, AL/AX merge, EAX zero-extends", () => {
    const w = makeWorld();
    w.setReg(RAX, 0x1122334455667700n);
    io(w, ioq(0xe9, 1, { in: true }));
    expect(w.reg(RAX)).toBe(0x11223344556677e9n);
    io(w, ioq(0x1234, 2, { in: true }));
    expect(w.reg(RAX)).toBe(0x112233445566ffffn);
    io(w, ioq(0x1234, 4, { in: true }));
    expect(w.reg(RAX)).toBe(0xffffffffn);
    w.setReg(RAX, 0x42);
    io(w, ioq(0x1234, 1));
    expect(w.console).toBe("");
  });
  it("REP OUTSB (16-bit addresses, DS) prints the string, counts CX down, moves SI", () => {
    const w = makeWorld();
    w.poke(0x500, "rep!\n");
    w.set(F.DS_BASE, 0x400);
    w.setReg(RSI, 0xabcd0100n); w.setReg(RCX, 0x77770005n);
    w.set(F.RIP, 0x1000);
    expect(io(w, ioq(0xe9, 1, { str: true, rep: true }), 2, (0 << 7) | (3 << 15))).toBe(RESUME);
    expect(w.console).toContain("[t] rep!");
    expect(w.reg(RCX)).toBe(0x77770000n);
    expect(w.reg(RSI)).toBe(0xabcd0105n);
    expect(w.get(F.RIP)).toBe(0x1002n);
  });
  it("REP INSB (32-bit addresses, ES:EDI) stores, with DF = 1 going down", () => {
    const w = makeWorld();
    w.set(F.RFLAGS, 0x402);
    w.setReg(RDI, 0xffffffff00000802n); w.setReg(RCX, 3);
    io(w, ioq(0xe9, 1, { in: true, str: true, rep: true }), 2, 1 << 7);
    expect(w.peek(0x800, 3)).toEqual([0xe9, 0xe9, 0xe9]);
    expect(w.reg(RDI)).toBe(0x7ffn); // 32-bit address size: zero-extended
    expect(w.reg(RCX)).toBe(0n);
  });
  it("REP with a zero count only skips the instruction", () => {
    const w = makeWorld();
    w.setReg(RCX, 0x10000n); // CX = 0 with 16-bit addressing
    w.set(F.RIP, 0x10);
    io(w, ioq(0xe9, 1, { str: true, rep: true }), 2, 0);
    expect(w.console).toBe("");
    expect(w.get(F.RIP)).toBe(0x12n);
  });
  it("OUTS from outside guest RAM stops the VM with the EPT-violation message", () => {
    const w = makeWorld();
    w.set(F.DS_BASE, 0xfeb00000n);
    w.setReg(RSI, 0); w.setReg(RCX, 1);
    expect(io(w, ioq(0xe9, 1, { str: true }), 1, (1 << 7) | (3 << 15))).toBe(STOP);
    expect(w.console).toMatch(/\[t\] stopped: EPT violation at GPA 0x0*feb00000 \(read, INS\/OUTS memory operand\)/);
  });
});

describe("RDMSR / WRMSR", () => {
  function msr(w: World, write: boolean, n: number, v = 0n): number {
    w.setReg(RCX, 0xdead000000000000n | BigInt(n)); w.setReg(RAX, v & 0xffffffffn); w.setReg(RDX, v >> 32n);
    w.set(F.EXIT_LEN, 2);
    return w.exit(write ? R.WRMSR : R.RDMSR);
  }
  it("an unknown MSR raises #GP(0): registers and RIP unchanged", () => {
    const w = makeWorld();
    w.set(F.RIP, 0x100);
    w.setReg(RAX, 0x11111111); w.setReg(RDX, 0x22222222);
    w.setReg(RCX, 0xc0de1234);
    w.set(F.CR0, 0x31); // protected mode: the error code is delivered
    expect(w.exit(R.RDMSR)).toBe(RESUME);
    expect([w.get(F.ENTRY_INFO), w.get(F.ENTRY_ERR), w.get(F.RIP)]).toEqual([GP_INFO, 0n, 0x100n]);
    expect([w.reg(RAX), w.reg(RDX)]).toEqual([0x11111111n, 0x22222222n]);
  });
  it("PAT lives in the VMCS and is validated", () => {
    const w = makeWorld();
    msr(w, false, 0x277);
    expect([w.reg(RAX), w.reg(RDX)]).toEqual([0x00070406n, 0x00070406n]);
    msr(w, true, 0x277, 0x0007010600070106n);
    expect(w.get(F.PAT)).toBe(0x0007010600070106n);
    expect(w.get(F.ENTRY_INFO)).toBe(0n);
    msr(w, true, 0x277, 0x0007010600070102n);
    expect(w.get(F.ENTRY_INFO) & 0xffffn).toBe(0x30dn);
    expect(w.get(F.PAT)).toBe(0x0007010600070106n);
  });
  it("guest-owned MSRs reach the real MSR only when canonical", () => {
    const w = makeWorld();
    msr(w, true, 0xc0000082, 0x0000800000000000n);
    expect(w.wrmsrLog).toEqual([]);
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
    const v = makeWorld();
    msr(v, true, 0xc0000082, 0xffffffff81000000n);
    expect(v.wrmsrLog).toEqual([[0xc0000082, 0xffffffff81000000n]]);
  });
  it("FEATURE_CONTROL reads locked with VMX off and refuses writes; APIC_BASE reads the BSP default", () => {
    const w = makeWorld();
    msr(w, false, 0x3a);
    expect(w.reg(RAX)).toBe(1n);
    msr(w, false, 0x1b);
    expect([w.reg(RAX), w.reg(RDX)]).toEqual([0xfee00900n, 0n]);
    msr(w, true, 0x3a, 5n);
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
  });
  it("EFER: LME may be set before paging; reserved bits raise #GP", () => {
    const w = makeWorld();
    msr(w, true, 0xc0000080, 0x100n);
    expect(w.get(F.EFER)).toBe(0x100n);
    msr(w, true, 0xc0000080, 0x10000n);
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
  });
});

describe("MMIO through EPT violations", () => {
  function mmio(w: World, gpa: bigint, write: boolean, code: number[], rip = 0x2000): number {
    w.poke(rip, code);
    w.set(F.RIP, rip);
    w.set(F.GUEST_PHYS, gpa);
    w.set(F.QUAL, write ? 2 : 1);
    return w.exit(R.EPT);
  }
  it("32-bit MOV ECX,[EBX] reads the test device ID, zero-extended; RIP moves by the decoded length", () => {
    const w = makeWorld();
    w.set(F.CS_AR, 0xc09b); w.set(F.CR0, 0x31); w.set(F.CR0_SHADOW, 0x11);
    w.setReg(RBX, 0xfeb00000n); w.setReg(RCX, 0xffffffff12345678n);
    expect(mmio(w, 0xfeb00000n, false, [0x8b, 0x0b])).toBe(RESUME);
    expect(w.reg(RCX)).toBe(0x76687374n);
    expect(w.get(F.RIP)).toBe(0x2002n);
  });
  it("MOV dword [EBX+8], imm32 writes SCRATCH; a 16-bit load keeps the upper bits", () => {
    const w = makeWorld();
    w.set(F.CS_AR, 0xc09b);
    expect(mmio(w, 0xfeb00008n, true, [0xc7, 0x43, 0x08, 0xef, 0xbe, 0xad, 0xde])).toBe(RESUME);
    expect(w.get(F.RIP)).toBe(0x2007n);
    w.setReg(RDX, 0xaaaa0000n);
    mmio(w, 0xfeb00008n, false, [0x66, 0x8b, 0x53, 0x08]);
    expect(w.reg(RDX)).toBe(0xaaaabeefn);
    mmio(w, 0xfeb00010n, false, [0x8b, 0x43, 0x10]);
    expect(w.reg(RAX)).toBe(1n); // WRITES
  });
  it("real mode: MOV AL,[FS:EBX+8] with 64h/67h prefixes; IP wraps at 64 KiB", () => {
    const w = makeWorld();
    w.set(F.FS_BASE, 0);
    mmio(w, 0xfeb00008n, true, [0x64, 0x67, 0xc6, 0x43, 0x08, 0xa5], 0xfff8);
    expect(w.get(F.RIP)).toBe(0xfffen);
    w.setReg(RAX, 0x1200);
    mmio(w, 0xfeb00008n, false, [0x64, 0x67, 0x8a, 0x43, 0x08], 0xfffc);
    expect(w.reg(RAX)).toBe(0x12a5n);
    expect(w.get(F.RIP)).toBe(0x1n);
  });
  it("LOCK MOV raises #UD; an instruction the emulator does not handle stops the VM", () => {
    const w = makeWorld();
    w.set(F.CS_AR, 0xc09b);
    mmio(w, 0xfeb00008n, true, [0xf0, 0x89, 0x03]);
    expect(w.get(F.ENTRY_INFO)).toBe(UD_INFO);
    const v = makeWorld();
    v.set(F.CS_AR, 0xc09b);
    expect(mmio(v, 0xfeb00008n, true, [0x01, 0x03])).toBe(STOP); // ADD [EBX], EAX
    expect(v.console).toMatch(/stopped: EPT violation at GPA 0x0*feb00008 \(write, instruction not emulated\)/);
  });
  it("a decoded direction that does not match the fault is refused", () => {
    const w = makeWorld();
    w.set(F.CS_AR, 0xc09b);
    expect(mmio(w, 0xfeb00000n, false, [0x89, 0x03])).toBe(STOP);
    expect(w.console).toMatch(/does not match the access/);
  });
  it("an access outside RAM and devices stops the VM: read, write, fetch", () => {
    for (const [q, word] of [[1, "read"], [2, "write"], [4, "fetch"]] as const) {
      const w = makeWorld();
      w.set(F.GUEST_PHYS, 0x500000n); w.set(F.QUAL, q);
      expect(w.exit(R.EPT)).toBe(STOP);
      expect(w.console).toMatch(new RegExp(`\\[t\\] stopped: EPT violation at GPA 0x0*500000 \\(${word}\\)`));
      expect(w.u32("hxVmState", vmOfWorld(w))).toBe(4);
    }
  });
  it("EPT misconfiguration stops the VM as a hypervisor bug", () => {
    const w = makeWorld();
    w.set(F.GUEST_PHYS, 0x1000n);
    expect(w.exit(R.EPT_MISCONFIG)).toBe(STOP);
    expect(w.console).toMatch(/EPT misconfiguration at GPA 0x0*1000/);
  });
});

describe("control registers", () => {
  const crq = (cr: number, type: number, gpr: number, src = 0): bigint => BigInt(cr | (type << 4) | (gpr << 8) | (src << 16));
  function cr(w: World, q: bigint): number { w.set(F.QUAL, q); w.set(F.EXIT_LEN, 3); return w.exit(R.CR); }
  it("real → protected mode: the shadow keeps the guest value, the real CR0 gets NE", () => {
    const w = makeWorld();
    w.setReg(RAX, 0x11);
    expect(cr(w, crq(0, 0, RAX))).toBe(RESUME);
    expect([w.get(F.CR0_SHADOW), w.get(F.CR0)]).toEqual([0x11n, 0x31n]);
    expect(w.get(F.ENTRY_INFO)).toBe(0n);
  });
  it("PG with EFER.LME and CR4.PAE enters IA-32e mode: EFER.LMA and the entry control follow", () => {
    const w = makeWorld();
    w.set(F.CR0, 0x31); w.set(F.CR0_SHADOW, 0x11); w.set(F.EFER, 0x100); w.set(F.CR4, 0x2020); w.set(F.CR4_SHADOW, 0x20);
    w.set(F.ENTRY_CTL, 0x11ff);
    w.setReg(RBX, 0x80000011n);
    cr(w, crq(0, 0, RBX));
    expect(w.get(F.EFER)).toBe(0x500n);
    expect(w.get(F.ENTRY_CTL) & 0x200n).toBe(0x200n);
    expect(w.get(F.CR0)).toBe(0x80000031n);
  });
  it("#GP: PG without PE, LME paging without PAE, VMXE in CR4", () => {
    const w = makeWorld();
    w.setReg(RAX, 0x80000010n);
    cr(w, crq(0, 0, RAX));
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
    const v = makeWorld();
    v.set(F.EFER, 0x100); v.set(F.CR0, 0x31); v.set(F.CR0_SHADOW, 0x11);
    v.setReg(RAX, 0x80000011n);
    cr(v, crq(0, 0, RAX));
    expect(v.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
    expect(v.get(F.EFER)).toBe(0x100n);
    const u = makeWorld();
    u.setReg(RCX, 0x2020n);
    cr(u, crq(4, 0, RCX));
    expect(u.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
    u.set(F.ENTRY_INFO, 0);
    u.setReg(RCX, 0x20n | (1n << 18n));
    cr(u, crq(4, 0, RCX));
    expect([u.get(F.ENTRY_INFO), u.get(F.CR4_SHADOW), u.get(F.CR4)]).toEqual([0n, 0x40020n, 0x42020n]);
  });
  it("LMSW sets PE but cannot clear it; CLTS clears TS", () => {
    const w = makeWorld();
    cr(w, crq(0, 3, 0, 0x0009));
    expect(w.get(F.CR0_SHADOW) & 0xfn).toBe(0x9n);
    cr(w, crq(0, 2, 0));
    expect(w.get(F.CR0_SHADOW) & 0xfn).toBe(0x1n);
    cr(w, crq(0, 3, 0, 0x0000));
    expect(w.get(F.CR0_SHADOW) & 0x1n).toBe(0x1n);
  });
  it("CR8: 0..15 stored and read back, larger values #GP", () => {
    const w = makeWorld();
    w.setReg(RDX, 7);
    cr(w, crq(8, 0, RDX));
    cr(w, crq(8, 1, RDI));
    expect(w.reg(RDI)).toBe(7n);
    w.setReg(RDX, 16);
    cr(w, crq(8, 0, RDX));
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
  });
});

describe("CPUID through the vCPU's answer cache (exits/cpuid-cache.ts)", () => {
  const cpuid = (w: World, leaf: number, sub: number): [bigint, bigint, bigint, bigint] => {
    w.setReg(RAX, 0xdead00000000n | BigInt(leaf)); w.setReg(RCX, sub); w.set(F.EXIT_LEN, 2);
    expect(w.exit(R.CPUID)).toBe(RESUME);
    return [w.reg(RAX), w.reg(3), w.reg(RCX), w.reg(RDX)];
  };
  it("repeats the policy's answer, upper halves cleared, RIP advanced each time", () => {
    const w = makeWorld();
    w.call("hxRegisterCore");
    w.set(F.RIP, 0x100);
    const first = cpuid(w, 0, 0);
    expect(first[1]).toBe(0x756e6547n); // "Genu"
    expect(first.every((r) => r < 1n << 32n)).toBe(true);
    expect(cpuid(w, 0, 0)).toEqual(first);
    expect(w.get(F.RIP)).toBe(0x104n);
    // Another key that lands on the same entry replaces it; both keep their own answers.
    const ext = cpuid(w, 0x80000008, 0);
    expect(ext[0] & 0xffn).toBe(39n);
    expect(cpuid(w, 0, 0)).toEqual(first);
    expect(cpuid(w, 0x80000008, 0)).toEqual(ext);
  });
  it("leaf 0DH follows XCR0: XSETBV empties the cache", () => {
    const w = makeWorld();
    w.call("hxRegisterCore");
    const before = cpuid(w, 0xd, 0)[1]; // EBX: the XSAVE area for XCR0 = x87 only
    w.set(F.EXIT_LEN, 3);
    w.setReg(RCX, 0); w.setReg(RAX, 0x7); w.setReg(RDX, 0);
    w.exit(R.XSETBV);
    const after = cpuid(w, 0xd, 0)[1];
    expect(before).toBe(576n);
    expect(after).toBe(832n); // x87 + SSE + AVX: 576 + 256
  });
  it("leaf 1's OSXSAVE follows the guest's CR4 without any exit in between (never cached)", () => {
    const w = makeWorld();
    w.call("hxRegisterCore");
    const osxsave = (): boolean => ((cpuid(w, 1, 0)[2] >> 27n) & 1n) === 1n;
    expect(osxsave()).toBe(false);
    w.set(F.CR4, w.get(F.CR4) | (1n << 18n));
    w.set(F.CR4_SHADOW, w.get(F.CR4_SHADOW) | (1n << 18n));
    expect(osxsave()).toBe(true);
    w.set(F.CR4, w.get(F.CR4) & ~(1n << 18n));
    w.set(F.CR4_SHADOW, w.get(F.CR4_SHADOW) & ~(1n << 18n));
    expect(osxsave()).toBe(false);
  });
});

describe("XSETBV, WBINVD, event windows", () => {
  it("XSETBV checks the index and XCR0 rules, then loads XCR0", () => {
    const w = makeWorld();
    w.set(F.EXIT_LEN, 3);
    w.setReg(RCX, 0); w.setReg(RAX, 0x4); w.setReg(RDX, 0);
    w.exit(R.XSETBV);
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
    w.set(F.ENTRY_INFO, 0);
    w.setReg(RAX, 0x7);
    w.exit(R.XSETBV);
    expect(w.xsetbvLog).toEqual([7n]);
    expect(w.reg(17)).toBe(7n);
    // CR4.OSXSAVE was set around the XSETBV only
    expect(w.cr4Log).toEqual([0x2020n | (1n << 18n), 0x2020n]);
    w.setReg(RCX, 1);
    w.exit(R.XSETBV);
    expect(w.get(F.ENTRY_INFO) & 0xffn).toBe(13n);
  });
  it("WBINVD completes as a no-op", () => {
    const w = makeWorld();
    w.set(F.RIP, 0x10); w.set(F.EXIT_LEN, 2);
    expect(w.exit(R.WBINVD)).toBe(RESUME);
    expect(w.get(F.RIP)).toBe(0x12n);
  });
  it("an interrupt waits for IF = 1 through the interrupt window, then is injected", () => {
    const w = makeWorld();
    w.u32("hxIrq", VCPU, 0x30);
    expect(w.u32("hxBeforeEntry", VCPU)).toBe(1);
    expect(w.get(F.PROC) & 4n).toBe(4n);
    expect(w.get(F.ENTRY_INFO)).toBe(0n);
    w.set(F.RFLAGS, 0x202);
    w.exit(R.IRQ_WINDOW);
    expect(w.get(F.ENTRY_INFO)).toBe(0x80000030n);
    expect(w.get(F.PROC) & 4n).toBe(0n);
  });
  it("an event whose delivery an exit interrupted is delivered again", () => {
    const w = makeWorld();
    w.set(F.CR0, 0x31);
    w.set(F.IDT_INFO, 0x80000b0en); w.set(F.IDT_ERR, 6);
    w.exit(R.IRQ_WINDOW);
    expect([w.get(F.ENTRY_INFO), w.get(F.ENTRY_ERR)]).toEqual([0x80000b0en, 6n]);
  });
});

describe("bitmaps", () => {
  it("MSR bitmap: FS_BASE and LSTAR pass, PAT and unknown low MSRs exit", () => {
    const w = makeWorld();
    const page = w.u32("hxMsrBitmap");
    const bit = (off: number, n: number): number => (w.bytes[page + off + (n >> 3)]! >> (n & 7)) & 1;
    expect(bit(1024, 0x100)).toBe(0);
    expect(bit(3072, 0x82)).toBe(0);
    expect(bit(0, 0x277)).toBe(1);
    expect(bit(2048, 0x1234)).toBe(1);
  });
  it("I/O bitmap of a VM: every port exits", () => {
    const w = makeWorld();
    const vm = vmOfWorld(w);
    expect(w.u32("hxVmReady", vm)).toBe(1);
    const a = w.u32("hxIoBitmapA", vm);
    expect(w.bytes.subarray(a, a + 8192).every((b) => b === 0xff)).toBe(true);
  });
});
