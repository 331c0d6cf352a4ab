// Entry of the scheduling-policy test build (tests/sched/policy.test.ts compiles it with asc):
// thin exports of src/sched/policy.ts over a state array in this module's own memory.

import { pickNext, countInState, preemptionTimerValue, sliceTicksFor, PICK_NONE, DEFAULT_SLICE_TICKS } from "../../src/sched/policy";

/** The state array the tests fill (up to 64 vCPUs). */
const STATES: usize = memory.data(64 * 4, 16);

export function states(): usize { return STATES; }
export function testPickNext(count: u32, last: u32): u32 { return pickNext(STATES, count, last); }
export function testCountInState(count: u32, state: u32): u32 { return countInState(STATES, count, state); }
export function testTimerValue(ticks: u64, rate: u32): u32 { return preemptionTimerValue(ticks, rate); }
export function pickNone(): u32 { return PICK_NONE; }
export function defaultSlice(): u64 { return DEFAULT_SLICE_TICKS; }
export function testSliceTicks(tscHz: u64): u64 { return sliceTicksFor(tscHz); }
