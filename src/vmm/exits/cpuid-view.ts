// The CPUID a given vCPU sees, for the handlers that must agree with it (CR4 bits the guest may
// set, XCR0 bits XSETBV accepts, NX for EFER): the policy of src/vmm/policy/cpuid.ts over a host
// snapshot taken once, with this vCPU's APIC id (= its index) and its VM's vCPU count.
// `exitsCpuidInit` runs on the boot CPU before any VM does (src/vmm/exits/register.ts).

import { hw_cpu_index } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { CpuidResult } from "../../x86/cpuid";
import { HostCpuid, HOST_CPUID_SIZE, hostCpuidCapture } from "../policy/host-cpuid";
import { CpuidConfig, guestCpuid, guestXcr0Supported } from "../policy/cpuid";
import { Vm } from "../vm";
import { pcIs } from "../pc/pc";
import { hostTscHz } from "../time/host-time";
import { XsavecLayout, xsavecLayout } from "../xsavec-layout";
import { lapicCpuid15, lapicCpuid16 } from "../platform/lapic-timer";
import { exitsVcpuReady, extCpuidCache, extCpuidCacheAt } from "./vcpu-ext";
import { cpuidCacheEntry, cpuidCacheHit, cpuidCacheStore, cpuidCacheFlush } from "./cpuid-cache";

/** CPUID.01H:ECX[24]: the LAPIC timer's TSC-deadline mode (SDM Vol 3A §11.5.4.1). */
const CPUID1_ECX_TSC_DEADLINE: u32 = 1 << 24;
/** The frequency leaves: 15H (TSC/crystal ratio), 16H (processor base frequency). */
const LEAF_TSC: u32 = 0x15;
const LEAF_FREQ: u32 = 0x16;
/** CPUID.(EAX=0DH,ECX=1):EAX[1]: XSAVEC (SDM Vol 1 §13.10). */
const XSAVEC: u32 = 1 << 1;

const SNAPSHOT: usize = memory.data(<i32>HOST_CPUID_SIZE, 8);
const MAX_CPUS: u32 = 32;
/** Per-CPU scratch: CpuidConfig (16 bytes) + CpuidResult (16 bytes). */
const SCRATCH: usize = memory.data(<i32>(MAX_CPUS * 32), 16);
let captured: bool = false;

/** Takes the host snapshot (CPUID on this CPU). Idempotent. */
export function exitsCpuidInit(): void {
  if (captured) return;
  hostCpuidCapture(changetype<HostCpuid>(SNAPSHOT));
  captured = true;
}

/** The host snapshot (captured on first use if exitsCpuidInit has not run). */
export function exitsHostCpuid(): HostCpuid {
  exitsCpuidInit();
  return changetype<HostCpuid>(SNAPSHOT);
}

/**
 * CPUID(leaf, subleaf) as `vcpu` sees it, with `cr4`/`xcr0` its current values, into the result
 * block of CPU `cpu` (valid until the next call on that CPU).
 */
export function vcpuCpuid(vcpu: VCpu, cpu: u32, leaf: u32, subleaf: u32, cr4: u64, xcr0: u64): CpuidResult {
  const s = SCRATCH + <usize>(cpu % MAX_CPUS) * 32;
  const cfg = changetype<CpuidConfig>(s);
  const vm = changetype<Vm>(vcpu.vm);
  cfg.apicId = vcpu.index;
  cfg.vcpuIndex = vcpu.index;
  cfg.vcpuCount = vm.vcpuCount == 0 ? 1 : vm.vcpuCount;
  cfg.flags = 0;
  const out = changetype<CpuidResult>(s + 16);
  guestCpuid(exitsHostCpuid(), cfg, leaf, subleaf, cr4, xcr0, out);
  if (pcIs(vm)) pcCpuid(leaf, subleaf, out);
  return out;
}

/**
 * What a Linux VM's platform adds to the policy's answer (src/vmm/pc/): its LAPIC runs the
 * TSC-deadline timer (IA32_TSC_DEADLINE is one WRMSR exit per timer event instead of a decoded
 * MMIO write), and the TSC rate measured at boot (src/vmm/time/host-time.ts) goes into leaves
 * 15H/16H so that the kernel knows its TSC and APIC timer frequency without calibration loops
 * (Linux native_calibrate_tsc: crystal × EBX/EAX; lapic_timer_period from the crystal). Leaf 0
 * reaches 16H for them. Without a measured rate the policy's answer stands.
 */
function pcCpuid(leaf: u32, subleaf: u32, out: CpuidResult): void {
  const hz = hostTscHz();
  if (leaf == 0xD && subleaf == 1) {
    // XSAVEC offered only where the boot-time probe saw it write the SDM's compacted layout
    // (xsavec-layout.ts): Bochs 2.7's XSAVEC/XSAVES store the AVX component at byte 432 instead
    // of 592 (SDM Vol 1 §13.4.3) while its XRSTOR reads the right offsets, so Linux's compacted
    // save/restore loses YMM/ZMM state at context switches and busybox crashes. Evidence and the
    // bare-Bochs reproduction: policy/cpuid.ts XCR0_GUEST_MASK.
    if (xsavecLayout() != XsavecLayout.OK) out.eax &= ~XSAVEC;
  } else if (leaf == 0) {
    if (hz != 0 && out.eax < LEAF_FREQ) out.eax = LEAF_FREQ;
  } else if (leaf == 1) {
    out.ecx |= CPUID1_ECX_TSC_DEADLINE;
  } else if (leaf == LEAF_TSC && hz != 0) {
    lapicCpuid15(hz, changetype<usize>(out));
  } else if (leaf == LEAF_FREQ && hz != 0) {
    lapicCpuid16(hz, changetype<usize>(out));
  }
}

/**
 * Whether the answer for `leaf` may be cached per vCPU (exits/cpuid-cache.ts). The policy's
 * answers depend on the host snapshot, the vCPU's identity and the VM's kind (fixed for the
 * vCPU's life), on XCR0 (leaf 0DH; XSETBV always exits and flushes, vcpuXcr0Changed) and on
 * CR4: 01H.ECX.OSXSAVE and 07H.ECX.OSPKE (policy/cpuid.ts). The guest changes CR4.OSXSAVE and
 * CR4.PKE without an exit (they are not in the CR4 guest/host mask), so leaves 1 and 7 are never
 * stored: their lookups always miss and the policy answers them every time.
 */
@inline function cpuidCacheable(leaf: u32): bool { return leaf != 1 && leaf != 7; }

/** The cache entry for (leaf, subleaf) of the vCPU whose emulation block is `ext` (VCpu.ext, non-zero). */
@inline export function vcpuCpuidEntry(ext: usize, leaf: u32, subleaf: u32): usize {
  return cpuidCacheEntry(extCpuidCacheAt(ext), leaf, subleaf);
}

/**
 * A cache hit's answer into the vCPU's RAX..RDX, upper halves cleared (SDM Vol 2A CPUID: "the
 * high-order 32 bits are cleared"). `e` is the entry that matched (cpuidCacheHit).
 */
@inline export function vcpuCpuidFromEntry(vcpu: VCpu, e: usize): void {
  vcpu.rax = <u64>load<u32>(e, 8);
  vcpu.rbx = <u64>load<u32>(e, 12);
  vcpu.rcx = <u64>load<u32>(e, 16);
  vcpu.rdx = <u64>load<u32>(e, 20);
}

/**
 * CPUID(leaf, subleaf) for `vcpu` from the policy into its RAX..RDX, stored in the vCPU's cache
 * where the leaf allows. `cr4View` gives the guest's CR4 (it costs VMREADs: asked only when the
 * leaf depends on it).
 */
export function vcpuCpuidMiss(vcpu: VCpu, leaf: u32, subleaf: u32, cr4View: () => u64): void {
  const cacheable = cpuidCacheable(leaf) && (vcpu.ext != 0 || exitsVcpuReady(vcpu));
  const out = vcpuCpuid(vcpu, hw_cpu_index(), leaf, subleaf, cacheable ? 0 : cr4View(), vcpuXcr0(vcpu));
  if (cacheable) cpuidCacheStore(cpuidCacheEntry(extCpuidCache(vcpu), leaf, subleaf), leaf, subleaf, out.eax, out.ebx, out.ecx, out.edx);
  vcpu.rax = out.eax;
  vcpu.rbx = out.ebx;
  vcpu.rcx = out.ecx;
  vcpu.rdx = out.edx;
}

/** The guest's XCR0 as the policy needs it: x87 is always enabled (XCR0 bit 0, Vol 1 §13.3). */
@inline function vcpuXcr0(vcpu: VCpu): u64 { return vcpu.xcr0 == 0 ? 1 : vcpu.xcr0; }

/** The guest changed XCR0 (XSETBV): leaf 0DH's answers change with it. */
export function vcpuXcr0Changed(vcpu: VCpu): void {
  if (vcpu.ext != 0) cpuidCacheFlush(extCpuidCache(vcpu));
}

/** XCR0 bits the guest may enable (cpuid.ts guestXcr0Supported). */
export function vcpuXcr0Supported(): u64 { return guestXcr0Supported(exitsHostCpuid()); }
