// The CPUID a given vCPU sees, for the handlers that must agree with it (CR4 bits the guest may
// set, XCR0 bits XSETBV accepts, NX for EFER): the policy of src/vmm/policy/cpuid.ts over a host
// snapshot taken once, with this vCPU's APIC id (= its index) and its VM's vCPU count.
// `exitsCpuidInit` runs on the boot CPU before any VM does (src/vmm/exits/register.ts).

import { VCpu } from "../../vmx/vcpu";
import { CpuidResult } from "../../x86/cpuid";
import { HostCpuid, HOST_CPUID_SIZE, hostCpuidCapture } from "../policy/host-cpuid";
import { CpuidConfig, guestCpuid, guestXcr0Supported } from "../policy/cpuid";
import { Vm } from "../vm";
import { pcIs } from "../pc/pc";
import { hostTscHz } from "../time/host-time";
import { lapicCpuid15, lapicCpuid16 } from "../platform/lapic-timer";

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
    // XSAVEC hidden: offered, the reference guest's user processes crash under Bochs
    // ("Segmentation fault" in busybox, test-linux) — with the standard-format XSAVEOPT they do
    // not. The compacted size the policy reports (policy/cpuid.ts xsaveCompactedSize) or Bochs'
    // XSAVEC itself is wrong; until the policy owner settles which, Linux VMs do without it.
    out.eax &= ~XSAVEC;
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

/** XCR0 bits the guest may enable (cpuid.ts guestXcr0Supported). */
export function vcpuXcr0Supported(): u64 { return guestXcr0Supported(exitsHostCpuid()); }
