// The small instruction exits: XSETBV (reason 55, exits unconditionally, SDM Vol 3C §25.1.2),
// INVD (13, unconditional) and WBINVD (54, with "WBINVD exiting"), and the interrupt-/NMI-window
// exits (7, 8, §25.2) that let a held-back event in.

import { hw_read_cr4, hw_write_cr4, hw_xsetbv } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { ExitAction } from "./action";
import { stopVm } from "../vm";
import { eventsBeforeEntry } from "../events/apply";
import { handlerEnter } from "./setup";
import { skipInstruction, raiseGp } from "./guest";
import { vcpuXcr0Supported, vcpuXcr0Changed } from "./cpuid-view";

const CR4_OSXSAVE: u64 = 1 << 18;
const XCR0_X87: u64 = 1 << 0;
const XCR0_SSE: u64 = 1 << 1;
const XCR0_AVX: u64 = 1 << 2;
const XCR0_BNDREGS: u64 = 1 << 3;
const XCR0_BNDCSR: u64 = 1 << 4;
const XCR0_AVX512: u64 = 0xE0; // opmask, ZMM_Hi256, Hi16_ZMM

/**
 * Whether XCR0 = `v` is legal given the `supported` bits (SDM Vol 1 §13.3; Vol 2D XSETBV "#GP
 * if ... "): x87 set; nothing unsupported; AVX needs SSE; the two MPX bits together; the three
 * AVX-512 bits all or none, and only with AVX.
 */
export function xcr0Valid(v: u64, supported: u64): bool {
  if ((v & XCR0_X87) == 0 || (v & ~supported) != 0) return false;
  if ((v & XCR0_AVX) != 0 && (v & XCR0_SSE) == 0) return false;
  if (((v & XCR0_BNDREGS) != 0) != ((v & XCR0_BNDCSR) != 0)) return false;
  const avx512 = v & XCR0_AVX512;
  if (avx512 != 0 && (avx512 != XCR0_AVX512 || (v & XCR0_AVX) == 0)) return false;
  return true;
}

/**
 * XSETBV: ECX selects the XCR (only XCR0 exists), EDX:EAX the value. CPL > 0 and CR4.OSXSAVE = 0
 * fault before the exit (§25.1.1), so what is left to check is the index and the value. The value
 * is loaded into the real XCR0, which the guest's XSAVE family uses while it runs; the register
 * block keeps it (`xcr0`) for a later switch between vCPUs on one CPU.
 */
export function onXsetbv(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const v = (vcpu.rdx << 32) | (vcpu.rax & 0xFFFFFFFF);
  if (<u32>vcpu.rcx != 0 || !xcr0Valid(v, vcpuXcr0Supported())) { raiseGp(vcpu); return ExitAction.Resume; }
  loadXcr0(v);
  vcpu.xcr0 = v;
  vcpuXcr0Changed(vcpu);
  skipInstruction(vcpu);
  return ExitAction.Resume;
}

/**
 * Loads XCR0 on this CPU. XSETBV raises #UD unless CR4.OSXSAVE = 1 (Vol 2D XSETBV); the host may
 * run without it, so it is set around the instruction and restored. XCR0 keeps its value when
 * CR4.OSXSAVE is cleared again, and neither VM entry nor VM exit touches XCR0, so the guest runs
 * with it (its own CR4.OSXSAVE is part of the guest state). The guest could only reach this with
 * XSAVE in its CPUID, which the policy shows only when the host CPU has it.
 */
function loadXcr0(v: u64): void {
  const cr4 = hw_read_cr4();
  if ((cr4 & CR4_OSXSAVE) != 0) { hw_xsetbv(0, v); return; }
  hw_write_cr4(cr4 | CR4_OSXSAVE);
  hw_xsetbv(0, v);
  hw_write_cr4(cr4);
}

/**
 * INVD / WBINVD: guest RAM is write-back and coherent and no emulated device caches anything, so
 * there is nothing to write back; dropping the caches without write-back (INVD) would corrupt the
 * host, so both complete as no-ops (as KVM does).
 */
export function onCacheFlush(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  skipInstruction(vcpu);
  return ExitAction.Resume;
}

/**
 * Interrupt window / NMI window: the guest can now take the event that waited. The decision runs
 * again (and clears the window request when nothing waits any more). No instruction completes.
 */
export function onEventWindow(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  if (!eventsBeforeEntry(vcpu)) {
    stopVm(vcpu, "triple fault (an exception while delivering a double fault)");
    return ExitAction.Stop;
  }
  return ExitAction.Resume;
}
