// The scheduling policy, pure: round-robin over runnable vCPUs on one physical CPU, each slice
// bounded by the VMX-preemption timer (SDM Vol 3C §26.5.1: the timer counts down from the VMCS
// value at the rate of TSC bit X, X = IA32_VMX_MISC[4:0], Vol 3D A.6; a VM exit with reason 52
// when it reaches 0). Inputs are arrays of states the caller owns; nothing here touches hardware.

import { VCpuState } from "./state";

/** No vCPU can run. */
export const PICK_NONE: u32 = 0xFFFFFFFF;

/**
 * Slice in TSC ticks when the TSC's frequency is unknown (the PIT did not count at boot), and the
 * shortest slice ever given: Bochs' TSC counts instructions (DESIGN.md §4), so this is 200k guest
 * instructions there — many times a vCPU switch's cost.
 */
export const DEFAULT_SLICE_TICKS: u64 = 200000;
/** The slice in time, in microseconds, where the TSC's frequency is known: see sliceTicksFor. */
export const SLICE_US: u64 = 1000;

/**
 * A vCPU's slice for a TSC of `tscHz` (0: unknown): SLICE_US of time, at least DEFAULT_SLICE_TICKS.
 * 1 ms is below a Linux guest's tick (4 ms at Debian's HZ = 250): with a slice as long as a tick,
 * another VM's slice regularly covers a whole tick period, the periodic tick loses it, jiffies
 * fall behind the TSC and the clocksource watchdog marks the TSC unstable (src/vmm/pc/README.md).
 * On hardware (GHz TSC) this gives ~10^6 ticks; on Bochs (50 MHz measured) 1 ms is only 50,000
 * instructions, so the floor keeps the 200,000 that the test guests' timing is built on (and the
 * watchdog effect with two Linux VMs there, documented in docs/vm-config.md).
 */
export function sliceTicksFor(tscHz: u64): u64 {
  const t = tscHz / (1000000 / SLICE_US);
  return t > DEFAULT_SLICE_TICKS ? t : DEFAULT_SLICE_TICKS;
}

/** State of entry `i` of the u32 array at `states`. Invariant: i < the caller's count. */
@inline function stateAt(states: usize, i: u32): u32 { return load<u32>(states + (<usize>i << 2)); }

/**
 * The next vCPU to run after `last` (round robin: the first RUNNABLE one after it, wrapping, `last`
 * itself only when no other is runnable), or PICK_NONE when none is RUNNABLE. `last` may be
 * PICK_NONE (start at 0). `states` holds `count` u32 VCpuState values.
 */
export function pickNext(states: usize, count: u32, last: u32): u32 {
  if (count == 0) return PICK_NONE;
  const start = last >= count ? 0 : last + 1;
  for (let k: u32 = 0; k < count; k++) {
    let i: u32 = start + k;
    if (i >= count) i -= count;
    if (stateAt(states, i) == VCpuState.RUNNABLE) return i;
  }
  return PICK_NONE;
}

/** How many entries are in `state`. */
export function countInState(states: usize, count: u32, state: u32): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < count; i++) if (stateAt(states, i) == state) n++;
  return n;
}

/**
 * The VMX-preemption timer value for a slice of `ticks` TSC ticks at `rate` (IA32_VMX_MISC[4:0]):
 * ticks >> rate, at least 1 (0 would exit before the guest runs one instruction, §26.5.1) and at
 * most 2^32 - 1 (the field is 32 bits).
 */
export function preemptionTimerValue(ticks: u64, rate: u32): u32 {
  const v = ticks >> (<u64>(rate & 31));
  if (v == 0) return 1;
  if (v > 0xFFFFFFFF) return 0xFFFFFFFF;
  return <u32>v;
}
