// Whether this CPU's XSAVEC writes the compacted format where SDM Vol 1 §13.4.3 says, probed once
// at boot (fpu.ts fpuInit, through boot/vmx.asm hw_xsavec_probe). Linux VMs are offered XSAVEC
// only when it does (exits/cpuid-view.ts): Linux saves task state with XSAVEC when it is offered,
// and on a CPU that writes the wrong offsets every context switch loses YMM/ZMM state. Bochs 2.7
// is such a CPU (the evidence: policy/cpuid.ts, before XCR0_GUEST_MASK); real CPUs follow the SDM.

import { hw_xsavec_probe } from "../hw";

export const enum XsavecLayout {
  /** The CPU has no XSAVEC (or no AVX to test it with): nothing to offer. */
  ABSENT = 0,
  /** XSAVEC put the AVX component at its SDM offset. */
  OK = 1,
  /** XSAVEC exists but wrote the AVX component elsewhere: hidden from guests. */
  BROKEN = 2,
}

/** The probe's scratch area: 1 KiB covers x87/SSE legacy region + header + AVX (832 bytes). */
const PROBE_AREA: usize = memory.data(1024, 64);
let layout: XsavecLayout = XsavecLayout.ABSENT;

/**
 * Runs the probe. Invariant (the caller's, fpuInit): CR4.OSXSAVE is set and the CPU has XSAVE,
 * AVX and XSAVEC with XCR0 bit 2 supported; no guest's extended state is in the CPU yet.
 */
export function xsavecProbe(): XsavecLayout {
  layout = hw_xsavec_probe(PROBE_AREA) != 0 ? XsavecLayout.OK : XsavecLayout.BROKEN;
  return layout;
}

/** The probe's verdict (ABSENT until it ran). */
export function xsavecLayout(): XsavecLayout { return layout; }
