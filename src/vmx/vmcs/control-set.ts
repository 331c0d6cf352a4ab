// The control set this hypervisor runs Linux guests with, computed from the capability MSRs.
// Pure: reads a `VmxCaps` block (caps.ts), writes a `VmxControlSet`; returns a status that names
// the control group and the missing bits when the CPU cannot run us.
//
// Choices (required = we refuse to run without it; optional = used when present):
//  pin   required: external-interrupt exiting and NMI exiting (the host owns interrupts and NMIs),
//                  VMX-preemption timer (the scheduler's time slice, DESIGN.md §3 sched).
//        optional: virtual NMIs (NMI blocking tracked per guest; enables NMI-window exiting).
//  proc  required: HLT exiting (an idle vCPU yields its CPU), I/O bitmaps and MSR bitmaps (exit
//                  only on the ports/MSRs we emulate), activate secondary controls.
//        optional: TSC offsetting (per-VM TSC without RDTSC exits).
//        run-time: interrupt-window exiting (required to be allowed: injecting an interrupt while
//                  the guest has IF=0 needs it), NMI-window exiting (optional). Not in the base
//                  value: the exit handlers set and clear them (`procDynamic` says which may be 1).
//        not requested: CR3 load/store exiting (EPT makes CR3 the guest's own; with TRUE MSRs they
//                  can be 0, without they are forced on and the CR handler must emulate them),
//                  unconditional I/O exiting (the I/O bitmaps decide), RDTSC/INVLPG/MOV-DR exiting.
//  proc2 required: enable EPT (guest RAM isolation), unrestricted guest (Linux's boot path runs in
//                  real mode and without paging; without it we would have to emulate real mode).
//        optional: VPID (keeps guest TLB entries across exits: performance only), RDTSCP, INVPCID,
//                  XSAVES (when absent these instructions #UD in the guest, so the CPUID handler
//                  must hide the features: it reads `proc2`).
//  exit  required: host address-space size (64-bit host), acknowledge interrupt on exit (the
//                  vector comes in the exit interruption info), save/load IA32_EFER and IA32_PAT
//                  (the guest's long mode and PAT must not leak into the host and back).
//        optional: save VMX-preemption timer value (a preempted vCPU keeps the rest of its slice).
//  entry required: load IA32_EFER, load IA32_PAT; "IA-32e mode guest" must be allowed (run-time:
//                  set on entry while the guest's EFER.LMA = 1; `entryDynamic`).

import { VmxCaps } from "./caps";
import { basicTrueControls } from "./basic";
import {
  adjustControls, ctlOk, ctlValue, ctlMissing, capAllows, capMayBe1,
  PIN_EXTERNAL_INTERRUPT_EXITING, PIN_NMI_EXITING, PIN_VIRTUAL_NMIS, PIN_PREEMPTION_TIMER,
  PROC_HLT_EXITING, PROC_USE_IO_BITMAPS, PROC_USE_MSR_BITMAPS, PROC_ACTIVATE_SECONDARY_CONTROLS,
  PROC_TSC_OFFSETTING, PROC_INTERRUPT_WINDOW_EXITING, PROC_NMI_WINDOW_EXITING,
  PROC2_ENABLE_EPT, PROC2_UNRESTRICTED_GUEST, PROC2_ENABLE_VPID, PROC2_ENABLE_RDTSCP,
  PROC2_ENABLE_INVPCID, PROC2_ENABLE_XSAVES,
  EXIT_HOST_ADDRESS_SPACE_SIZE, EXIT_ACK_INTERRUPT_ON_EXIT, EXIT_SAVE_EFER, EXIT_LOAD_EFER,
  EXIT_SAVE_PAT, EXIT_LOAD_PAT, EXIT_SAVE_PREEMPTION_TIMER,
  ENTRY_LOAD_EFER, ENTRY_LOAD_PAT, ENTRY_IA32E_MODE_GUEST,
} from "./controls";

export const PIN_REQUIRED: u32 = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER;
export const PIN_OPTIONAL: u32 = PIN_VIRTUAL_NMIS;
export const PROC_REQUIRED: u32 =
  PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY_CONTROLS;
export const PROC_OPTIONAL: u32 = PROC_TSC_OFFSETTING;
export const PROC_DYNAMIC_REQUIRED: u32 = PROC_INTERRUPT_WINDOW_EXITING;
export const PROC_DYNAMIC_OPTIONAL: u32 = PROC_NMI_WINDOW_EXITING;
export const PROC2_REQUIRED: u32 = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
export const PROC2_OPTIONAL: u32 =
  PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES;
export const EXIT_REQUIRED: u32 = EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT |
  EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT;
export const EXIT_OPTIONAL: u32 = EXIT_SAVE_PREEMPTION_TIMER;
export const ENTRY_REQUIRED: u32 = ENTRY_LOAD_EFER | ENTRY_LOAD_PAT;
export const ENTRY_DYNAMIC_REQUIRED: u32 = ENTRY_IA32E_MODE_GUEST;

/** Which control group failed (status of `computeControlSet`). */
export const enum ControlGroup { OK = 0, PIN = 1, PROC = 2, PROC2 = 3, EXIT = 4, ENTRY = 5 }

/**
 * The result. `failedGroup`/`missing` name what the CPU lacks (the boot log prints them, e.g.
 * "proc2 missing 0x80 (unrestricted guest)").
 *
 *   offset 0 pin  4 proc  8 proc2  12 exit  16 entry  20 procDynamic  24 entryDynamic
 *          28 failedGroup  32 missing   (36 bytes)
 */
@unmanaged export class VmxControlSet {
  pin: u32;
  proc: u32;
  proc2: u32;
  exit: u32;
  entry: u32;
  /** Run-time proc bits the CPU allows (interrupt window always; NMI window if present). */
  procDynamic: u32;
  /** Run-time entry bits the CPU allows (IA-32e mode guest). */
  entryDynamic: u32;
  failedGroup: u32;
  missing: u32;
}

function fail(out: VmxControlSet, group: ControlGroup, missing: u32): ControlGroup {
  out.failedGroup = group;
  out.missing = missing;
  return group;
}

/**
 * Fills `out` from `caps`. With IA32_VMX_BASIC bit 55 set, the TRUE MSRs give the pin, proc, exit
 * and entry capabilities; otherwise the plain ones (whose allowed-0 half forces the "default1"
 * controls to 1) — SDM A.2 and A.3.1. The secondary controls come from PROCBASED_CTLS2, present
 * only when "activate secondary controls" may be 1 (A.3.3).
 */
export function computeControlSet(caps: VmxCaps, out: VmxControlSet): ControlGroup {
  const useTrue = basicTrueControls(caps.basic);
  const pinCap = useTrue ? caps.truePin : caps.pinbased;
  const procCap = useTrue ? caps.trueProc : caps.procbased;
  const exitCap = useTrue ? caps.trueExit : caps.exit;
  const entryCap = useTrue ? caps.trueEntry : caps.entry;
  out.failedGroup = ControlGroup.OK;
  out.missing = 0;

  const pin = adjustControls(pinCap, PIN_REQUIRED, PIN_OPTIONAL);
  if (!ctlOk(pin)) return fail(out, ControlGroup.PIN, ctlMissing(pin));
  out.pin = ctlValue(pin);

  const proc = adjustControls(procCap, PROC_REQUIRED, PROC_OPTIONAL);
  if (!ctlOk(proc)) return fail(out, ControlGroup.PROC, ctlMissing(proc));
  if (!capAllows(procCap, PROC_DYNAMIC_REQUIRED)) {
    return fail(out, ControlGroup.PROC, PROC_DYNAMIC_REQUIRED & ~capMayBe1(procCap));
  }
  out.proc = ctlValue(proc);
  out.procDynamic = (PROC_DYNAMIC_REQUIRED | PROC_DYNAMIC_OPTIONAL) & capMayBe1(procCap);

  // Secondary MSR is meaningful only if bit 63 of the *plain* PROCBASED_CTLS is 1 (A.3.3); the
  // TRUE MSR reports the same allowed-1 half (A.3.2), so procCap answers it either way.
  const proc2Cap = capAllows(procCap, PROC_ACTIVATE_SECONDARY_CONTROLS) ? caps.procbased2 : <u64>0;
  const proc2 = adjustControls(proc2Cap, PROC2_REQUIRED, PROC2_OPTIONAL);
  if (!ctlOk(proc2)) return fail(out, ControlGroup.PROC2, ctlMissing(proc2));
  out.proc2 = ctlValue(proc2);

  const exit = adjustControls(exitCap, EXIT_REQUIRED, EXIT_OPTIONAL);
  if (!ctlOk(exit)) return fail(out, ControlGroup.EXIT, ctlMissing(exit));
  out.exit = ctlValue(exit);

  const entry = adjustControls(entryCap, ENTRY_REQUIRED, 0);
  if (!ctlOk(entry)) return fail(out, ControlGroup.ENTRY, ctlMissing(entry));
  if (!capAllows(entryCap, ENTRY_DYNAMIC_REQUIRED)) {
    return fail(out, ControlGroup.ENTRY, ENTRY_DYNAMIC_REQUIRED & ~capMayBe1(entryCap));
  }
  out.entry = ctlValue(entry);
  out.entryDynamic = ENTRY_DYNAMIC_REQUIRED;
  return ControlGroup.OK;
}
