// The lite entries of the exit path: hw_vmrun (boot/vmrun.asm) calls one of these first, for the
// two exits guests take in tight loops, with only the System V caller-saved GPRs stored:
//
//   vmm_exit_cpuid(regs)        CPUID (reason 10): a hit in the vCPU's answer cache
//   vmm_exit_io(regs, qual)     I/O (reason 30): IN/OUT (not INS/OUTS) of a port no device holds
//
// Each answers LITE_DONE (handled: hw_vmrun skips the instruction in the VMCS, clears STI/MOV-SS
// blocking and re-enters at once) or LITE_REFUSED (changed nothing: hw_vmrun stores the rest of
// the block and goes on to vmm_exit, src/vmm/exit-fast.ts, exactly as for any other exit). The
// answers are the ones the full path (core-exits.ts onCpuid, exits/io.ts onIoInstruction) gives;
// a refused exit is handled there, so the lite functions only need to be right when they answer.
//
// What a lite function may touch — the contract hw_vmrun relies on (docs/native-abi.md):
//   - read: the block's rax, rcx, rdx, rsi, rdi, r8–r11 (the guest's), VCpu fields the run loop
//     set before the entry (vm, fastExt), the vCPU's CPUID cache, the VM's port bus. NOT the
//     block's rbx, rbp, r12–r15, exitReason, ripCache, exitInsnLen: stale (earlier exits).
//   - write, only when answering LITE_DONE: the block's rax, rcx, rdx (CPUID also rbx — hw_vmrun
//     reloads rbx only on the CPUID path) and the VM's exit counters. Never RIP (no setRip /
//     advanceRip: hw_vmrun skips the instruction itself and runs no RIP write-back on this path),
//     never anything the run loop checks before an entry (VM or vCPU state, events, EPT flags):
//     an exit answered here must leave the run loop nothing to do, as vmm_exit's re-entry does.
//   - call nothing that can trap or print: they stay leaf functions, so the compiled code has no
//     stack check and no callee-saved register to spill.
// hw_vmrun calls them only when VCpu.fastExt is non-zero (the emulation block's address, `ext`):
// the run loop sets it only for a slice where vmm_exit may re-enter directly (run.ts), and only
// once the vCPU's emulation block and the VM's platform exist, so the block and the port bus's
// index are valid here without more checks. (hw_vmrun tests it, not these functions: VMs with
// fastExt = 0 — the PC platform's — then pay no call for a refusal on every CPUID/I-O exit.)
// tests/unit/support/fake-vmx.ts models this protocol and checks the contract on every call.

import { VCpu } from "../vmx/vcpu";
import { ExitReason } from "../vmx/exit-reasons";
import { vcpuCpuidEntry, vcpuCpuidFromEntry } from "./exits/cpuid-view";
import { cpuidCacheHit } from "./exits/cpuid-cache";
import { ioLiteSize, ioIsIn, ioPort, inMerge } from "./exits/io-qual";
import { allOnes, busIndexHolds } from "./bus/bus";
import { platformPortBus } from "./devices/platform";
import { Vm, vmCountExit } from "./vm";

/** The lite entries' answers to hw_vmrun. */
export const LITE_DONE: u32 = 0;
export const LITE_REFUSED: u32 = 1;

/**
 * CPUID: the answer cached for (EAX, ECX) into RAX..RDX (upper halves cleared, SDM Vol 2A CPUID),
 * or LITE_REFUSED on a miss (the full path asks the policy and fills the cache).
 */
export function vmmExitCpuid(vcpu: VCpu): u32 {
  const ext = vcpu.fastExt; // non-zero: hw_vmrun calls only then
  const regs = changetype<usize>(vcpu);
  const leaf = load<u32>(regs, offsetof<VCpu>("rax")); // EAX, ECX: the low halves (little-endian)
  const subleaf = load<u32>(regs, offsetof<VCpu>("rcx"));
  const e = vcpuCpuidEntry(ext, leaf, subleaf);
  if (!cpuidCacheHit(e, leaf, subleaf)) return LITE_REFUSED;
  vcpuCpuidFromEntry(vcpu, e);
  vmCountExit(changetype<Vm>(vcpu.vm), ExitReason.CPUID);
  return LITE_DONE;
}

/**
 * IN/OUT of a port that no device holds (the port bus's index says so in one load): a write is
 * dropped, a read returns all ones (devices/dispatch.ts portRead/portWrite, what an ISA bus with
 * nothing driving it returns). INS/OUTS, a port with a device or the reserved size encoding:
 * LITE_REFUSED (onIoInstruction handles them).
 */
export function vmmExitIo(vcpu: VCpu, qual: u64): u32 {
  // The device test first: a port with a device is the common refusal (real guests' I/O), and
  // every refusal is the same answer, so their order is free.
  const vm = changetype<Vm>(vcpu.vm);
  if (busIndexHolds(platformPortBus(vm), ioPort(qual))) return LITE_REFUSED;
  const size = ioLiteSize(qual);
  if (size == 0) return LITE_REFUSED;
  if (ioIsIn(qual)) vcpu.rax = inMerge(vcpu.rax, allOnes(size), size);
  vmCountExit(vm, ExitReason.IO_INSTRUCTION);
  return LITE_DONE;
}
