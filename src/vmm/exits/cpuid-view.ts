// The CPUID a given vCPU sees, for the handlers that must agree with it (CR4 bits the guest may
// set, XCR0 bits XSETBV accepts, NX for EFER): the policy of src/vmm/policy/cpuid.ts over a host
// snapshot taken once, with this vCPU's APIC id (= its index) and its VM's vCPU count.
// `exitsCpuidInit` runs on the boot CPU before any VM does (src/vmm/exits/register.ts).

import { VCpu } from "../../vmx/vcpu";
import { CpuidResult } from "../../x86/cpuid";
import { HostCpuid, HOST_CPUID_SIZE, hostCpuidCapture } from "../policy/host-cpuid";
import { CpuidConfig, guestCpuid, guestXcr0Supported } from "../policy/cpuid";
import { Vm } from "../vm";

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
  return out;
}

/** XCR0 bits the guest may enable (cpuid.ts guestXcr0Supported). */
export function vcpuXcr0Supported(): u64 { return guestXcr0Supported(exitsHostCpuid()); }
