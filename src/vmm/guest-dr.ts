// Debug registers DR0-DR3 and DR6 across vCPU switches. Only DR7 is in the VMCS guest state (SDM
// Vol 3C §24.4.1; loaded on entry, saved on exit with "save debug controls"); with "MOV-DR
// exiting" off (src/vmx/vmcs/control-set.ts does not request it) a guest reads and writes the
// others directly, and VM transitions leave them alone (§27.5.2 only changes DR7 on exit). So a
// guest's values stay in the CPU across its exits, and a switch to another vCPU on this CPU must
// move them, lest one VM read another's breakpoint addresses. Lazy, like src/vmm/fpu.ts; a vCPU
// starts with DR0-DR3 = 0 and DR6 = FFFF0FF0H (Vol 3A Table 9-1).

import { hw_read_dr, hw_write_dr, hw_cpu_index } from "../hw";
import { VCpu } from "../vmx/vcpu";

const MAX_VCPUS: u32 = 8;
const MAX_DR_CPUS: u32 = 32;
/** Registers switched, in save order: DR0, DR1, DR2, DR3, DR6. */
const REGS: u32 = 5;
const DR6_INIT: u64 = 0xFFFF0FF0;
const VALUES: usize = memory.data(<i32>(MAX_VCPUS * REGS * 8), 8);
const OWNER: usize = memory.data(<i32>(MAX_DR_CPUS * 4), 4);

/** DR number of slot k (0..4). */
@inline function drOf(k: u32): u32 { return k < 4 ? k : 6; }
/** Value cell of slot k for the vCPU with `vpid`. Invariant: vpid >= 1, k < REGS. */
@inline function cell(vpid: u32, k: u32): usize {
  return VALUES + (<usize>(((vpid - 1) % MAX_VCPUS) * REGS + k) << 3);
}

/** Every vCPU starts from the INIT values. Boot CPU, once. */
export function guestDrInit(): void {
  memory.fill(OWNER, 0, <usize>(MAX_DR_CPUS * 4));
  for (let v: u32 = 1; v <= MAX_VCPUS; v++) {
    for (let k: u32 = 0; k < REGS; k++) store<u64>(cell(v, k), k == 4 ? DR6_INIT : 0);
  }
}

/** Makes `next`'s DR0-DR3/DR6 the CPU's, saving the current owner's first. */
export function guestDrSwitchTo(next: VCpu): void {
  const ownerCell = OWNER + (<usize>(hw_cpu_index() % MAX_DR_CPUS) << 2);
  const owner = load<u32>(ownerCell);
  if (owner == changetype<usize>(next) || next.vpid == 0) return;
  if (owner != 0) {
    const prev = changetype<VCpu>(owner).vpid;
    for (let k: u32 = 0; k < REGS; k++) store<u64>(cell(prev, k), hw_read_dr(drOf(k)));
  }
  for (let k: u32 = 0; k < REGS; k++) hw_write_dr(drOf(k), load<u64>(cell(next.vpid, k)));
  store<u32>(ownerCell, changetype<usize>(next));
}
