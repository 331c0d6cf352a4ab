// Prints the VT-x verdict (vmx/caps.ts) as the one console line the operator reads:
//   VT-x: supported: EPT unrestricted-guest VPID preemption-timer EPT-2M EPT-1G
//   VT-x: not available (<reason>)
//   VT-x: not usable (missing: EPT, unrestricted-guest)

import {
  FEAT_EPT,
  FEAT_EPT_1G,
  FEAT_EPT_2M,
  FEAT_PREEMPTION_TIMER,
  FEAT_UNRESTRICTED_GUEST,
  FEAT_VPID,
  VMX_STATUS_FEATURE_CONTROL_UNREADABLE,
  VMX_STATUS_LOCKED_OFF,
  VMX_STATUS_MISSING_REQUIRED,
  VMX_STATUS_MSRS_UNREADABLE,
  VMX_STATUS_NO_VMX,
  VMX_STATUS_USABLE,
  verdictFeatures,
  verdictMissing,
  verdictStatus,
} from "../vmx/caps";
import { print, println } from "./console/print";

/** The feature names, in the order the line lists them. */
function featureName(feature: u32): string {
  switch (feature) {
    case FEAT_EPT:
      return "EPT";
    case FEAT_UNRESTRICTED_GUEST:
      return "unrestricted-guest";
    case FEAT_VPID:
      return "VPID";
    case FEAT_PREEMPTION_TIMER:
      return "preemption-timer";
    case FEAT_EPT_2M:
      return "EPT-2M";
    case FEAT_EPT_1G:
      return "EPT-1G";
  }
  return "?";
}

/** Prints the names of the features in `set`, in a fixed order, separated by `sep`. */
function printFeatures(set: u32, sep: string): void {
  let first = true;
  // Order: EPT, unrestricted-guest, VPID, preemption-timer, EPT-2M, EPT-1G (the FEAT_* bit order).
  for (let b: u32 = 0; b < 8; b++) {
    const f: u32 = 1 << b;
    if ((set & f) == 0) continue;
    if (!first) print(sep);
    print(featureName(f));
    first = false;
  }
}

/** Prints the VT-x line for a verdict word; returns true when the hypervisor can use VT-x. */
export function reportVtx(verdict: u32): bool {
  const status = verdictStatus(verdict);
  print("VT-x: ");
  if (status == VMX_STATUS_USABLE) {
    print("supported: ");
    printFeatures(verdictFeatures(verdict), " ");
    println("");
    return true;
  }
  if (status == VMX_STATUS_MISSING_REQUIRED) {
    print("not usable (missing: ");
    printFeatures(verdictMissing(verdict), ", ");
    println(")");
    return false;
  }
  print("not available (");
  if (status == VMX_STATUS_NO_VMX) print("no VMX in CPUID");
  else if (status == VMX_STATUS_LOCKED_OFF) print("disabled and locked by firmware in IA32_FEATURE_CONTROL");
  else if (status == VMX_STATUS_MSRS_UNREADABLE) print("VMX capability MSRs unreadable");
  else if (status == VMX_STATUS_FEATURE_CONTROL_UNREADABLE) print("IA32_FEATURE_CONTROL unreadable");
  else print("unknown verdict");
  println(")");
  return false;
}
