import { msrRule, msrTableRows } from "../../src/vmm/policy/msr-table";
export function r(m: u32): u32 { return msrRule(m); }
export function n(): u32 { return msrTableRows(); }
