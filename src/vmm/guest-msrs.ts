// The MSRs a guest owns outright while it runs: the MSR policy (src/vmm/policy/msr-table.ts,
// kind GUEST_OWNED: STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC_AUX) lets RDMSR/WRMSR of them
// run without an exit, and neither VM entry nor VM exit switches them (they are not in the VMCS,
// SDM Vol 3C §24.4, and no MSR-load list is used). The host never uses them (no SYSCALL, no
// SWAPGS, no RDTSCP). So the real MSRs hold the guest's values, and a switch to another vCPU on
// this CPU must save them for the one leaving and load them for the one coming in — otherwise a VM
// would run on another's SYSCALL entry point or read its KERNEL_GS_BASE.
//
// Switched lazily, like the FPU state (src/vmm/fpu.ts): only when the next vCPU is not the one
// whose values are loaded. A vCPU starts with all of them 0 (their value after INIT, Vol 3A
// Table 9-1), never with the previous guest's.

import { hw_rdmsr_safe, hw_wrmsr, hw_cpu_index } from "../hw";
import { VCpu } from "../vmx/vcpu";
import { MsrKind, msrTableRows, msrTableMsr, msrTableRule, ruleKind } from "./policy/msr-table";

const MAX_OWNED: u32 = 8;
const MAX_VCPUS: u32 = 8;
const MAX_MSR_CPUS: u32 = 32;
/** The GUEST_OWNED MSRs this CPU has (RDMSR does not #GP), in table order. */
const LIST: usize = memory.data(<i32>(MAX_OWNED * 4), 4);
/** Per vCPU (by VPID - 1): MAX_OWNED values. */
const VALUES: usize = memory.data(<i32>(MAX_VCPUS * MAX_OWNED * 8), 8);
const OWNER: usize = memory.data(<i32>(MAX_MSR_CPUS * 4), 4);
const SCRATCH: usize = memory.data(<i32>(MAX_MSR_CPUS * 8), 8);
let count: u32 = 0;

/** Builds the list from the policy table; every vCPU's values start at 0. Boot CPU, once. */
export function guestMsrsInit(): void {
  count = 0;
  memory.fill(VALUES, 0, <usize>(MAX_VCPUS * MAX_OWNED * 8));
  memory.fill(OWNER, 0, <usize>(MAX_MSR_CPUS * 4));
  const n = msrTableRows();
  for (let i: u32 = 0; i < n && count < MAX_OWNED; i++) {
    if (ruleKind(msrTableRule(i)) != MsrKind.GUEST_OWNED) continue;
    const msr = msrTableMsr(i);
    if (hw_rdmsr_safe(msr, SCRATCH) == 0) continue; // this CPU lacks it (e.g. TSC_AUX without RDTSCP)
    store<u32>(LIST + (<usize>count << 2), msr);
    count++;
  }
}

/** How many MSRs are switched (for tests and the boot log). */
export function guestMsrsCount(): u32 { return count; }

/** Value cell `k` of the vCPU with `vpid`. Invariant: 1 <= vpid <= MAX_VCPUS, k < count. */
@inline function cell(vpid: u32, k: u32): usize {
  return VALUES + (<usize>(((vpid - 1) % MAX_VCPUS) * MAX_OWNED + k) << 3);
}

/** Makes `next`'s guest-owned MSR values the CPU's, saving the current owner's first. */
export function guestMsrsSwitchTo(next: VCpu): void {
  const cpu = hw_cpu_index() % MAX_MSR_CPUS;
  const ownerCell = OWNER + (<usize>cpu << 2);
  const owner = load<u32>(ownerCell);
  if (owner == changetype<usize>(next) || next.vpid == 0) return;
  if (owner != 0) {
    const prev = changetype<VCpu>(owner).vpid;
    for (let k: u32 = 0; k < count; k++) hw_rdmsr_safe(load<u32>(LIST + (<usize>k << 2)), cell(prev, k));
  }
  for (let k: u32 = 0; k < count; k++) hw_wrmsr(load<u32>(LIST + (<usize>k << 2)), load<u64>(cell(next.vpid, k)));
  store<u32>(ownerCell, changetype<usize>(next));
}
