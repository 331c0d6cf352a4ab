// Guest x87/SSE/AVX state when vCPUs share a physical CPU. The core itself runs no x87, SSE or
// AVX instruction (no floats: src/README.md; tests/unit/wasm-shape.test.ts), so a guest's
// registers stay in the CPU across its VM exits and need no saving there. A switch to another
// vCPU does: otherwise one VM would read another's XMM/YMM/ZMM registers and XCR0. The state is
// switched lazily — only when the next vCPU on this CPU is not the one whose state is loaded.
//
// With XSAVE (CPUID.01H:ECX[26]; SDM Vol 1 ch. 13) the host runs with CR4.OSXSAVE = 1 so that
// XSAVE/XRSTOR/XSETBV work in VMX root operation (HOST_CR4 is captured after this is set). Both
// directions run with XCR0 = every component a guest may enable, so that nothing of the previous
// owner survives in a component the next guest has disabled now but could enable later:
//   out: XCR0 := all;  XSAVE (all)            in: XRSTOR (all; components the area does not hold
//                                                  are put in their initial state, §13.8.1);
//                                                  XCR0 := the guest's
// Without XSAVE: FXSAVE/FXRSTOR of x87 and SSE.
// Area: one 4 KiB frame per vCPU (XSAVE needs 64-byte alignment). It holds the standard-format
// image of the components in XCR0 = all (Vol 1 §13.4.1), not CPUID.(0DH,0):ECX bytes: that counts
// every component the CPU supports, e.g. AMX tile data (8 KiB), which guests are never offered
// (policy/cpuid.ts XCR0_GUEST_MASK) and XSAVE with that XCR0 never writes. Judged by ECX, a CPU
// with AMX would fall back to FXSAVE while its guests are still offered AVX and AVX-512 (CPUID and
// XSETBV follow the policy), and one VM's YMM/ZMM registers would reach the next.

import { hw_read_cr4, hw_write_cr4, hw_xsave, hw_xrstor, hw_fxsave, hw_fxrstor, hw_xsetbv, hw_cpu_index } from "../hw";
import { cpuid } from "../x86/cpuid";
import { VCpu } from "../vmx/vcpu";
import { exitsHostCpuid, vcpuXcr0Supported } from "./exits/cpuid-view";
import { xsaveStandardSize } from "./policy/cpuid";
import { xsavecProbe } from "./xsavec-layout";

const CPUID1_ECX_XSAVE: u32 = 1 << 26;
const CPUID1_ECX_AVX: u32 = 1 << 28;
/** CPUID.(EAX=0DH,ECX=1):EAX[1]: XSAVEC (SDM Vol 1 §13.10). */
const CPUID_D1_EAX_XSAVEC: u32 = 1 << 1;
const XCR0_AVX: u64 = 1 << 2;
const CR4_OSXSAVE: u64 = 1 << 18;
export const FPU_AREA_SIZE: u32 = 4096;
/** Legacy-region fields (Vol 1 Table 10-2): FCW at 0, MXCSR at 24. */
const FCW_OFF: usize = 0;
const MXCSR_OFF: usize = 24;
/** Initial values (Vol 1 §9.1.1 FINIT: FCW 037FH; §10.2.3 MXCSR 1F80H). */
const FCW_INIT: u16 = 0x37F;
const MXCSR_INIT: u32 = 0x1F80;
const MAX_FPU_CPUS: u32 = 32;

const OWNER: usize = memory.data(<i32>(MAX_FPU_CPUS * 4), 4);
let useXsave: bool = false;
let xcr0All: u64 = 1;

export const enum FpuStatus { OK = 0, AREA_TOO_LARGE = 1 }

/** Decides XSAVE vs FXSAVE and enables CR4.OSXSAVE on this CPU. Before VMX bring-up. */
export function fpuInit(): FpuStatus {
  memory.fill(OWNER, 0, <usize>(MAX_FPU_CPUS * 4));
  useXsave = (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) != 0;
  if (!useXsave) return FpuStatus.OK;
  const all = vcpuXcr0Supported() | 1;
  if (xsaveStandardSize(exitsHostCpuid(), all) > FPU_AREA_SIZE) { useXsave = false; return FpuStatus.AREA_TOO_LARGE; }
  hw_write_cr4(hw_read_cr4() | CR4_OSXSAVE);
  xcr0All = all;
  // XSAVEC's layout, checked on the CPU itself (xsavec-layout.ts): needs AVX to have a component
  // whose compacted offset differs from its standard one.
  if ((cpuid(1, 0).ecx & CPUID1_ECX_AVX) != 0 && (all & XCR0_AVX) != 0 &&
      (cpuid(0xD, 1).eax & CPUID_D1_EAX_XSAVEC) != 0) xsavecProbe();
  return FpuStatus.OK;
}

export function fpuUsesXsave(): bool { return useXsave; }

/** Prepares a vCPU's (zeroed) area: x87 and MXCSR at their initial values, empty XSAVE header. */
export function fpuAreaInit(area: usize): void {
  memory.fill(area, 0, FPU_AREA_SIZE);
  store<u16>(area + FCW_OFF, FCW_INIT);
  store<u32>(area + MXCSR_OFF, MXCSR_INIT);
}

/** The guest's XCR0: 1 (x87) until it has executed XSETBV (its reset value, Vol 1 §13.3). */
@inline function guestXcr0(v: VCpu): u64 { return v.xcr0 == 0 ? 1 : v.xcr0; }

/**
 * Makes `next`'s extended state the CPU's, saving the current owner's first. `next.fpuArea` must
 * be a prepared area. No-op when `next` already owns the CPU's state.
 */
export function fpuSwitchTo(next: VCpu): void {
  const cell = OWNER + <usize>((hw_cpu_index() % MAX_FPU_CPUS) << 2);
  const owner = load<u32>(cell);
  if (owner == changetype<usize>(next)) return;
  if (useXsave) {
    hw_xsetbv(0, xcr0All);
    if (owner != 0) hw_xsave(changetype<VCpu>(owner).fpuArea);
    hw_xrstor(next.fpuArea);
    hw_xsetbv(0, guestXcr0(next) & xcr0All);
  } else {
    if (owner != 0) hw_fxsave(changetype<VCpu>(owner).fpuArea);
    hw_fxrstor(next.fpuArea);
  }
  store<u32>(cell, changetype<usize>(next));
}
